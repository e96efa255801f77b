"""Smooth ECE: equal to relplot, streaming state, compiled splat = reference."""
import numpy as np
import pytest
import relplot
from hypothesis import given
from hypothesis import strategies as st

from fastscore.calibration import SmoothCalibration, smooth_ece
from fastscore.calibration.smooth import grid_size, splat_grid


def relplot_value(y, p, sigma=None):
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    if sigma is None:
        return relplot.smECE(p, y, return_width=True)
    return relplot.smECE_sigma(p, y, sigma)


@given(n=st.integers(1, 3000), seed=st.integers(0, 2**32 - 1), power=st.sampled_from([0.5, 1.0, 1.3, 3.0]))
def test_equal_to_relplot_smECE(n, seed, power):
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    y = (rng.random(n) < p**power).astype(np.int64)
    expected, expected_sigma = relplot_value(y, p)
    value, sigma = smooth_ece(y, p, return_sigma=True)
    assert sigma == expected_sigma
    assert value == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("sigma", [1.0, 0.5, 0.1, 0.05, 0.0123, 0.003, 0.001])
def test_equal_to_relplot_smECE_sigma(binary_data, sigma):
    y, p, _ = binary_data
    assert smooth_ece(y, p, sigma=sigma) == pytest.approx(relplot_value(y, p, sigma), rel=1e-9)
    assert smooth_ece(y, p, sigma=sigma, backend="reference") == pytest.approx(relplot_value(y, p, sigma), rel=1e-9)


def test_edges_and_float32():
    p = np.array([0.0, 1.0, 1.0, 0.5, 0.25, 0.0], dtype=np.float32)
    y = np.array([0, 1, 0, 1, 0, 0])
    expected, expected_sigma = relplot_value(y, p.astype(np.float64))
    assert smooth_ece(y, p, return_sigma=True) == pytest.approx((expected, expected_sigma), rel=1e-9)


def test_multiclass_is_top_label_confidence(multiclass_data):
    y, p = multiclass_data
    confidence, correct = relplot.multiclass_logits_to_confidences(p, y, probs=True)
    expected = relplot.smECE(confidence, correct)
    assert smooth_ece(y, p) == pytest.approx(expected, rel=1e-9)


def test_weights_equal_repetition(binary_data):
    y, p, _ = binary_data
    counts = np.random.default_rng(4).integers(0, 3, size=y.size)
    assert smooth_ece(y, p, sample_weight=counts, return_sigma=True) == pytest.approx(
        smooth_ece(np.repeat(y, counts), np.repeat(p, counts), return_sigma=True), rel=1e-9
    )


@pytest.mark.parametrize("size", [1001, 3334, 10001])
def test_compiled_splat_equals_reference(binary_data, size):
    y, p, w = binary_data
    for weights in (None, w):
        np.testing.assert_allclose(
            splat_grid(p, y, weights, size, backend="numba"),
            splat_grid(p, y, weights, size, backend="reference"),
            rtol=1e-12, atol=1e-12,
        )


def test_grid_size_rule():
    assert grid_size(0.5) == 1001 and grid_size(0.01) == 1001
    assert grid_size(0.005) == 2001 and grid_size(0.001) == 10001


def test_state_split_merge_and_pickle(binary_data):
    import pickle

    y, p, _ = binary_data
    whole = smooth_ece(y, p, return_sigma=True)
    a = SmoothCalibration().update(y[:1234], p[:1234])
    b = SmoothCalibration().update(y[1234:], p[1234:])
    merged = pickle.loads(pickle.dumps(b)).merge(a)
    assert merged.n_samples == y.size
    assert merged.compute(return_sigma=True) == pytest.approx(whole, rel=1e-12)
    for sigma in (0.3, 0.02):  # the exact grid
        assert merged.compute(sigma) == pytest.approx(smooth_ece(y, p, sigma=sigma), rel=1e-12)
    for sigma in (0.005, 0.0017):  # the fine grid, re-splatted
        assert merged.compute(sigma) == pytest.approx(smooth_ece(y, p, sigma=sigma), rel=1e-5)


def test_state_on_dask(binary_data):
    import dask.array as da

    import fastscore.dask

    y, p, _ = binary_data
    state = fastscore.dask.accumulate(SmoothCalibration(), da.from_array(y, chunks=999), da.from_array(p, chunks=999),
                                      scheduler="threads")
    assert state.compute() == pytest.approx(smooth_ece(y, p), rel=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="sigma must be in \\[1e-05, 1\\]"):
        smooth_ece([0, 1], [0.2, 0.8], sigma=0)
    with pytest.raises(ValueError, match="sigma must be in \\[1e-05, 1\\]"):
        smooth_ece([0, 1], [0.2, 0.8], sigma=1.5)
    with pytest.raises(TypeError, match="sigma must be a number"):
        smooth_ece([0, 1], [0.2, 0.8], sigma="wide")
    with pytest.raises(ValueError, match="NaN at index 0"):
        smooth_ece([0, 1], [np.nan, 0.8])
    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        smooth_ece([0, 1], [0.2, 1.8])
    with pytest.raises(ValueError, match="binary labels must be 0 or 1"):
        smooth_ece([0, 2], [0.2, 0.8])
    with pytest.raises(ValueError, match="empty"):
        smooth_ece([], [])
    with pytest.raises(ValueError, match="sums to"):
        smooth_ece([0, 1], [[0.5, 0.6], [0.2, 0.8]])
    with pytest.raises(ValueError, match="no samples"):
        SmoothCalibration().compute()


def test_constant_predictions_and_single_class():
    # all one value, and only one class present: defined, equal to relplot
    for y, p in (([1, 0, 1, 1], [0.7] * 4), ([1, 1, 1], [0.2, 0.9, 0.5]), ([0, 0, 0], [0.2, 0.9, 0.5])):
        assert smooth_ece(y, p) == pytest.approx(relplot_value(y, p)[0], rel=1e-9)


def test_classwise_is_the_mean_of_the_classes(multiclass_data):
    y, p = multiclass_data
    expected = [relplot.smECE(p[:, k], (y == k).astype(float), return_width=True) for k in range(p.shape[1])]
    value, sigmas = smooth_ece(y, p, mode="classwise", return_sigma=True)
    assert value == pytest.approx(np.mean([e[0] for e in expected]), rel=1e-9)
    assert sigmas == [e[1] for e in expected]
    with pytest.raises(ValueError, match="mode='binary' does not fit"):
        smooth_ece(y, p, mode="binary")
