"""The compiled kernels equal the reference implementation (hypothesis)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastscore.calibration import calibration_report
from fastscore.calibration.binned import _binned_sums, quantile_edges, uniform_edges

COMPILED = ("numba", "cython")


@st.composite
def binary_problems(draw):
    n = draw(st.integers(1, 300))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_bins = draw(st.integers(1, 25))
    # mix in exact edges, 0 and 1 so that the edge conventions are exercised
    pool = np.concatenate([rng.random(n), uniform_edges(n_bins), [0.0, 1.0]])
    p = rng.choice(pool, size=n).astype(draw(st.sampled_from([np.float32, np.float64])))
    y = rng.integers(0, 2, size=n).astype(draw(st.sampled_from([np.int8, np.int64])))
    weights = rng.gamma(1.0, size=n) if draw(st.booleans()) else None
    quantile = draw(st.booleans())
    edges = quantile_edges(p, n_bins) if quantile else uniform_edges(n_bins)
    return y, p, weights, np.ascontiguousarray(edges[None]), quantile, draw(st.booleans())


@st.composite
def multiclass_problems(draw):
    n = draw(st.integers(1, 200))
    k = draw(st.integers(2, 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    raw = rng.random((n, k)) ** draw(st.sampled_from([1, 4]))
    if draw(st.booleans()):  # ties: round so that equal maxima appear
        raw = np.round(raw * 4) + 1
    p = (raw / raw.sum(axis=1, keepdims=True)).astype(dtype)
    y = rng.integers(0, k, size=n).astype(draw(st.sampled_from([np.int8, np.int64])))
    weights = rng.gamma(1.0, size=n) if draw(st.booleans()) else None
    n_bins = draw(st.integers(1, 20))
    quantile = draw(st.booleans())
    if quantile:
        edges = np.stack([quantile_edges(p[:, j], n_bins) for j in range(k)])
    else:
        edges = np.tile(uniform_edges(n_bins), (k, 1))
    return y, p, weights, edges, quantile, draw(st.booleans())


def sums(mode, backend, y, p, w, edges, quantile, right):
    return _binned_sums(mode, backend, y, p, w, edges, not quantile, right, 1e-4)


def assert_same(result, expected):
    stats, totals, bad = result
    ref_stats, ref_totals, ref_bad = expected
    assert bad == ref_bad
    np.testing.assert_allclose(stats, ref_stats, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(totals, ref_totals, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backend", COMPILED)
@given(problem=binary_problems())
def test_binary_kernel_equals_reference(backend, problem):
    assert_same(sums("binary", backend, *problem), sums("binary", "reference", *problem))


@pytest.mark.parametrize("backend", COMPILED)
@given(problem=multiclass_problems())
def test_toplabel_kernel_equals_reference(backend, problem):
    y, p, w, edges, quantile, right = problem
    if quantile:
        edges = quantile_edges(p.max(axis=1), edges.shape[1] - 1)[None]
    problem = (y, p, w, np.ascontiguousarray(edges[:1]), quantile, right)
    assert_same(sums("top-label", backend, *problem), sums("top-label", "reference", *problem))


@pytest.mark.parametrize("backend", COMPILED)
@given(problem=multiclass_problems())
def test_classwise_kernel_equals_reference(backend, problem):
    assert_same(sums("classwise", backend, *problem), sums("classwise", "reference", *problem))


@given(problem=multiclass_problems())
def test_numba_and_cython_are_bit_identical(problem):
    a = sums("classwise", "numba", *problem)
    b = sums("classwise", "cython", *problem)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_many_chunks_equal_reference():
    # more rows than one chunk, so that the chunked sums are exercised
    rng = np.random.default_rng(5)
    n = 300_000
    p = rng.random(n)
    y = (rng.random(n) < p).astype(np.int64)
    edges = uniform_edges(15)[None]
    expected = sums("binary", "reference", y, p, None, edges, False, False)
    for backend in COMPILED:
        assert_same(sums("binary", backend, y, p, None, edges, False, False), expected)


@pytest.mark.parametrize("backend", ["reference", "numba", "cython"])
@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_bad_value_found_at_any_position(backend, position):
    p = np.full(1000, 0.5)
    i = {"first": 0, "middle": 500, "last": 999}[position]
    p[i] = np.nan
    with pytest.raises(ValueError, match=f"NaN at index {i}"):
        calibration_report(np.zeros(1000, int), p, backend=backend)


def test_other_calibration_kernels_equal_on_every_backend(binary_data, multiclass_data):
    """Smooth ECE's splat, KDE-ECE's sums, the one-sort pass and the MMCE sum: Cython (the
    default) and Numba bit for bit, the reference to rounding."""
    from fastscore.calibration import kde_ece, mmce, smooth_ece, sorted_estimates
    from fastscore.calibration.smooth import splat_grid

    y, p, w = binary_data
    for weights in (None, w):
        grids = [splat_grid(p, y, weights, 2001, backend=b) for b in ("cython", "numba", "reference")]
        assert np.array_equal(grids[0], grids[1])
        np.testing.assert_allclose(grids[0], grids[2], rtol=1e-12, atol=1e-12)
    y_multi, p_multi = multiclass_data
    for args in ((y, p), (y_multi, p_multi)):
        values = [(smooth_ece(*args, backend=b), kde_ece(*args, backend=b), mmce(*args, backend=b),
                   tuple(sorted_estimates(*args, backend=b).values())) for b in ("cython", "numba", "reference")]
        assert values[0][1:] == values[1][1:]
        # the bandwidth search of the default backends reads most grids off cell moments (to rounding)
        assert values[0][0] == pytest.approx(values[1][0], rel=1e-12)
        assert values[0][:3] == pytest.approx(values[2][:3], rel=1e-9)
        assert values[0][3][1:] == pytest.approx(values[2][3][1:], rel=1e-9)  # KS, MMCE (adaptive ties differ)


@pytest.mark.parametrize("weighted", [False, True])
def test_cell_moment_grids_equal_the_direct_splat(binary_data, weighted):
    """The grids the bandwidth search reads off one pass of cell moments equal the direct splat
    (to rounding) for every size whose cells refine, on the compiled and the reference backend;
    the other sizes are left to the direct splat."""
    from fastscore.calibration.smooth import _CellMoments, grid_size, splat_grid

    y, p, w = binary_data
    p = np.concatenate([p, [0.0, 1.0, 0.5, 0.25]])  # values on cell edges and at both ends
    y = np.concatenate([y, [0, 1, 1, 0]])
    w = np.concatenate([w, [1.0, 2.0, 0.5, 3.0]]) if weighted else None
    sizes = sorted({grid_size(k / 1024) for k in range(2, 1025)})
    assert len(sizes) == 10
    for backend in ("cython", "reference"):
        moments = _CellMoments(p, y, w, backend)
        covered = [size for size in sizes if moments.grid(size) is not None]
        assert covered == [1001, 1025, 1281, 2049, 2561, 3414, 5121]
        for size in covered:
            direct = splat_grid(p, y, w, size)
            np.testing.assert_allclose(moments.grid(size), direct, rtol=0, atol=1e-11 * np.abs(direct).max())


def test_smoothed_grid_evaluations_equal_the_reference(binary_data):
    """The ECE of a smoothed grid (interpolation at linspace points) and the grid read off cell
    moments: Cython equals the NumPy reference to rounding; the short circular convolutions (the
    whole kernel, and a narrow kernel's taps within 9 sigma) equal relplot's full linear one."""
    from fastscore._cy import calibration as cy
    from fastscore.calibration import _reference as ref
    from fastscore.calibration.smooth import DENSITY_EPS, _CellMoments, _SmoothedGrid, splat_grid

    y, p, w = binary_data
    for size, cells in ((1001, 0), (1281, 1), (3414, 2)):
        moments = _CellMoments(p, y, w, "reference").moments[cells]
        np.testing.assert_allclose(cy.grid_from_moments(moments, size), ref.grid_from_moments(moments, size),
                                   rtol=1e-13, atol=1e-13)
    grid = splat_grid(p, y, None, 2001)
    smoothed = _SmoothedGrid(grid)
    nodes = np.linspace(0.0, 1.0, grid.shape[1])
    assert smoothed._reach(1.0) is None and smoothed._reach(0.004) is not None  # both forms below
    for sigma in (1.0, 0.2, 0.01, 0.004):
        values = smoothed.smoothed(sigma)
        for n_points in (200, 1000, 2001, 3337):
            assert cy.interpolated_ece(values, n_points, DENSITY_EPS) == pytest.approx(
                ref.interpolated_ece(values, n_points, DENSITY_EPS), rel=1e-13)
        # relplot's convolution: np.convolve of the reflected extension with the kernel, its
        # "valid" middle
        kernel = np.exp(-(nodes - 0.5) ** 2 / (2 * sigma ** 2)) / (np.sqrt(2 * np.pi) * sigma)
        size = grid.shape[1]
        for row in range(2):
            extended = np.concatenate([grid[row, ::-1][:-1], grid[row], grid[row, ::-1][1:]])
            direct = np.convolve(extended, kernel)[size - 1 + size // 2:][:size]
            np.testing.assert_allclose(values[row], direct, rtol=0, atol=1e-12 * np.abs(direct).max())
