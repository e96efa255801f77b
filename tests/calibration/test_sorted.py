"""Sort-based estimators: uncertainty-calibration parity, O(n^2) MMCE, hand cases."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import calibration as uncertainty_calibration  # the uncertainty-calibration package
from fastscore.calibration import adaptive_ece, debiased_ece, equal_mass_edges, ks_error, mmce
from fastscore.calibration import _numba, _reference


@pytest.mark.parametrize("n", [2, 31, 1000, 7000])
@pytest.mark.parametrize("p, debias", [(2, True), (2, False), (1, False), (3, False)])
def test_debiased_ece_equals_uncertainty_calibration(n, p, debias):
    rng = np.random.default_rng(n + p)
    probs = rng.random(n)
    labels = (rng.random(n) < probs**1.3).astype(int)
    expected = uncertainty_calibration.lower_bound_scaling_ce(probs, labels, p=p, debias=debias, num_bins=15,
                                                             mode="top-label")
    assert debiased_ece(labels, probs, p=p, debias=debias) == pytest.approx(expected, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("mode", ["top-label", "marginal"])
def test_debiased_ece_multiclass(multiclass_data, mode):
    y, probs = multiclass_data
    expected = uncertainty_calibration.lower_bound_scaling_ce(probs, y, p=2, debias=True, num_bins=15, mode=mode)
    ours = debiased_ece(y, probs, mode="classwise" if mode == "marginal" else mode)
    assert ours == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_debiased_ece_with_ties_and_few_bins():
    probs = np.array([0.3, 0.3, 0.3, 0.3, 0.6, 0.6, 0.9, 0.9])
    labels = np.array([0, 1, 0, 1, 1, 1, 1, 0])
    for bins in (2, 3, 8, 20):
        expected = uncertainty_calibration.lower_bound_scaling_ce(probs, labels, p=2, debias=False, num_bins=bins,
                                                                 mode="top-label")
        assert debiased_ece(labels, probs, n_bins=bins, debias=False) == pytest.approx(expected, rel=1e-12)


def test_equal_mass_edges_equal_get_equal_bins(binary_data):
    _, p, _ = binary_data
    for bins in (1, 2, 15, 40):
        expected = uncertainty_calibration.get_equal_bins(list(p), num_bins=bins)
        np.testing.assert_allclose(equal_mass_edges(p, bins)[1:], expected, rtol=0, atol=0)


def test_adaptive_ece_by_hand():
    # sorted p 0.2 (0), 0.3 (0) | 0.6 (1), 0.9 (1): |0 - 0.5| * 2 + |2 - 1.5| = 1.5, / 4
    assert adaptive_ece([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.3], n_bins=2) == pytest.approx(0.25)
    # 5 samples in 2 bins: sizes 3 and 2
    y, p = [1, 0, 1, 1, 0], [0.1, 0.2, 0.3, 0.8, 0.9]
    expected = (abs(2 - 0.6) + abs(1 - 1.7)) / 5
    assert adaptive_ece(y, p, n_bins=2) == pytest.approx(expected)


def test_adaptive_ece_classwise_is_the_mean_of_classes(multiclass_data):
    y, p = multiclass_data
    per_class = [adaptive_ece((y == k).astype(int), p[:, k], n_bins=10) for k in range(p.shape[1])]
    assert adaptive_ece(y, p, mode="classwise", n_bins=10) == pytest.approx(np.mean(per_class))


def test_ks_error_by_hand():
    # sorted: (0.2, 0), (0.3, 0), (0.6, 1), (0.9, 1); partial sums of y - p:
    # -0.2, -0.5, -0.1, 0.0 -> max |.| / 4 = 0.125
    assert ks_error([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.3]) == pytest.approx(0.125)
    assert ks_error([1, 1], [1.0, 1.0]) == 0.0


def mmce_quadratic(y, p, width=0.4):
    a = y - p
    return np.sqrt(a @ np.exp(-np.abs(p[:, None] - p[None, :]) / width) @ a) / p.size


@given(n=st.integers(1, 300), seed=st.integers(0, 2**32 - 1), width=st.sampled_from([0.05, 0.4, 2.0]),
       ties=st.booleans())
def test_mmce_equals_the_quadratic_definition(n, seed, width, ties):
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    if ties:
        p = np.round(p, 1)
    y = (rng.random(n) < p).astype(int)
    expected = mmce_quadratic(y, p, width)
    assert mmce(y, p, width=width) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert mmce(y, p, width=width, backend="reference") == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_mmce_kernels_agree_on_large_input():
    rng = np.random.default_rng(1)
    r = np.sort(rng.random(3000))
    a = (rng.random(3000) < r) - r
    assert _numba.sorted_kernel_sum(r, a, 0.4) == pytest.approx(_reference.kernel_sum(r, a, 0.4), rel=1e-10)


def test_mmce_top_label(multiclass_data):
    y, p = multiclass_data
    correct = (p.argmax(axis=1) == y).astype(float)
    assert mmce(y, p) == pytest.approx(mmce_quadratic(correct, p.max(axis=1)), rel=1e-9)


def test_bad_input():
    for function in (debiased_ece, adaptive_ece, ks_error, mmce):
        with pytest.raises(ValueError, match="NaN"):
            function([0, 1], [0.2, np.nan])
        with pytest.raises(ValueError, match="binary labels"):
            function([0, 2], [0.2, 0.4])
        with pytest.raises(ValueError, match="empty"):
            function([], [])
        with pytest.raises(ValueError, match="mode='marginal'"):
            function([0, 1], [0.2, 0.4], mode="marginal")
    with pytest.raises(ValueError, match="width"):
        mmce([0, 1], [0.2, 0.4], width=0)
    with pytest.raises(ValueError, match="n_bins"):
        adaptive_ece([0, 1], [0.2, 0.4], n_bins=0)


def test_mmce_by_hand():
    # residuals y - p sorted by p: -0.2, -0.3, 0.4, 0.1 at p = 0.2, 0.3, 0.6, 0.9
    a = np.array([-0.2, -0.3, 0.4, 0.1])
    r = np.array([0.2, 0.3, 0.6, 0.9])
    total = sum(a[i] * a[j] * np.exp(-abs(r[i] - r[j]) / 0.4) for i in range(4) for j in range(4))
    assert mmce([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.3]) == pytest.approx(np.sqrt(total) / 4)


def test_one_sort_equals_the_separate_estimators(multiclass_data):
    from fastscore.calibration import sorted_estimates

    y, p = multiclass_data
    for mode in ("top-label", "classwise"):
        together = sorted_estimates(y, p, mode=mode, n_bins=12, width=0.3)
        # one compiled pass against NumPy's reduceat/cumsum: equal to rounding
        assert together["adaptive_ece"] == pytest.approx(adaptive_ece(y, p, mode=mode, n_bins=12), rel=1e-12)
        assert together["ks_error"] == pytest.approx(ks_error(y, p, mode=mode), rel=1e-12)
        assert together["mmce"] == pytest.approx(mmce(y, p, mode=mode, width=0.3), rel=1e-12)


def test_ks_error_ignores_the_order_inside_ties():
    y = np.array([0, 1, 1, 0, 1, 1, 0, 1])
    p = np.array([0.7, 0.7, 0.7, 0.7, 0.2, 0.2, 0.9, 0.9])
    reordered = np.array([3, 0, 2, 1, 5, 4, 7, 6])
    assert ks_error(y, p) == ks_error(y[reordered], p[reordered])
    # groups by p: 0.2 -> (2 - 0.4), 0.7 -> (2 - 2.8), 0.9 -> (1 - 1.8); partial sums 1.6, 0.8, 0.0
    assert ks_error(y, p) == pytest.approx(1.6 / 8)


def test_one_sort_backends_agree_and_order_ties_by_outcome():
    from fastscore.calibration import sorted_estimates

    rng = np.random.default_rng(12)
    p = np.round(rng.random(500), 2)  # many ties
    y = (rng.random(500) < p).astype(int)
    fast = sorted_estimates(y, p, n_bins=7)
    slow = sorted_estimates(y, p, n_bins=7, backend="reference")
    assert fast["ks_error"] == pytest.approx(ks_error(y, p), rel=1e-12)
    assert fast["mmce"] == pytest.approx(mmce(y, p), rel=1e-10)
    assert slow["ks_error"] == pytest.approx(fast["ks_error"], rel=1e-12)
    # the one-sort adaptive ECE puts y = 0 first among ties: the separate
    # function gives the same number once the input is in that order
    order = np.lexsort((y, p))
    assert fast["adaptive_ece"] == pytest.approx(adaptive_ece(y[order], p[order], n_bins=7), rel=1e-12)
    # -0.0 sorts as 0.0
    assert sorted_estimates([0, 1], [-0.0, 0.5]) == sorted_estimates([0, 1], [0.0, 0.5])


@pytest.mark.parametrize("layout", ["ties", "constant", "sorted"])
@pytest.mark.parametrize("backend", ["cython", "numba"])
@pytest.mark.parametrize("n", [2, 3, 501, 2000])
def test_one_sort_in_two_halves_merged_in_the_pass(monkeypatch, n, layout, backend):
    """Large inputs sort two halves on two threads, cut the merged order at its middle and walk
    each half on its own thread: the numbers of one sort and one pass (forced on small inputs)."""
    import fastscore._config as config
    from fastscore.calibration import sorted as sorted_module
    from fastscore.calibration import sorted_estimates

    rng = np.random.default_rng(n)
    p = np.round(rng.random(n), 2)  # ties that straddle the two halves
    p[: n // 3] = rng.random(n // 3)
    if layout == "constant":  # one run of equal p across both halves
        p[:] = 0.3
    elif layout == "sorted":  # the first half's keys all below the second's
        p.sort()
    y = (rng.random(n) < p).astype(int)
    one_run = sorted_estimates(y, p, n_bins=7, backend=backend)
    monkeypatch.setattr(sorted_module, "PARALLEL_SORT_MIN", 0)
    monkeypatch.setattr(config, "n_threads", lambda: 2)  # two runs even on a one-core machine
    left, right = sorted_module._sorted_runs(p, y.astype(np.int64), sorted_module._compiled(backend))
    assert left.size == n // 2 and right.size == n - n // 2 and np.all(np.diff(right.astype(float)) >= 0)
    halves = sorted_estimates(y, p, n_bins=7, backend=backend)
    # the same sums in another order (bins and partial sums joined, the MMCE carry decayed once)
    assert halves == pytest.approx(one_run, rel=1e-10, abs=1e-15)
    reference = sorted_estimates(y, p, n_bins=7, backend="reference")
    assert halves["mmce"] == pytest.approx(reference["mmce"], rel=1e-10)
    assert halves["ks_error"] == pytest.approx(ks_error(y, p), rel=1e-12)
