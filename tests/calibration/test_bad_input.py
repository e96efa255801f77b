"""Every class of bad input gets a ValueError/TypeError that names it and the fix."""
import numpy as np
import pytest

from fastscore.calibration import BinnedCalibration, brier_score, calibration_report

BACKENDS = ("reference", "numba", "cython")
Y = np.array([0, 1, 1, 0, 1])
P = np.array([0.1, 0.9, 0.8, 0.3, 0.6])
Y3 = np.array([0, 2, 1])
P3 = np.array([[0.7, 0.2, 0.1], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("value, message", [(np.nan, "NaN at index 2"), (np.inf, "inf at index 2|outside"),
                                            (-0.1, "outside \\[0, 1\\]"), (1.5, "outside \\[0, 1\\]")])
def test_bad_binary_probabilities(backend, value, message):
    p = P.copy()
    p[2] = value
    with pytest.raises(ValueError, match=message):
        calibration_report(Y, p, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("position", [0, 1, 2])
def test_bad_multiclass_rows(backend, position):
    for value, message in [(np.nan, "NaN"), (-0.2, "outside"), (1.2, "outside")]:
        p = P3.copy()
        p[position, 1] = value
        with pytest.raises(ValueError, match=message):
            calibration_report(Y3, p, backend=backend, sum_tol=None if value != value else 1e-4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_rows_not_summing_to_one(backend):
    p = P3.copy()
    p[1] = [0.1, 0.2, 0.6]
    with pytest.raises(ValueError, match="row 1 of y_prob sums to 0.9"):
        calibration_report(Y3, p, backend=backend)
    # a looser tolerance, or none, accepts it
    calibration_report(Y3, p, backend=backend, sum_tol=0.2)
    calibration_report(Y3, p, backend=backend, sum_tol=None)


@pytest.mark.parametrize("backend", BACKENDS)
def test_labels_out_of_range(backend):
    with pytest.raises(ValueError, match="binary labels must be 0 or 1"):
        calibration_report([0, 2, 1, 0, 1], P, backend=backend)
    with pytest.raises(ValueError, match="binary labels must be 0 or 1"):
        calibration_report([0, -1, 1, 0, 1], P, backend=backend)
    with pytest.raises(ValueError, match="labels must be in \\[0, 2\\]"):
        calibration_report([0, 3, 1], P3, backend=backend)
    with pytest.raises(ValueError, match="labels must be in \\[0, 2\\]"):
        calibration_report([0, 1, -1], P3, backend=backend, mode="classwise")


def test_label_types():
    with pytest.raises(TypeError, match="Encode them first"):
        calibration_report(["a", "b", "a", "b", "a"], P)
    with pytest.raises(ValueError, match="non-integer value 0.5"):
        calibration_report([0, 0.5, 1, 0, 1], P)
    with pytest.raises(ValueError, match="NaN or inf"):
        calibration_report([0, np.nan, 1, 0, 1], P)
    with pytest.raises(ValueError, match="1-D"):
        calibration_report(np.zeros((5, 1)), P)
    # booleans, floats holding integers, small and unsigned integer types are fine
    expected = calibration_report(Y, P).ece
    for labels in (Y.astype(bool), Y.astype(float), Y.astype(np.uint8), Y.astype(np.int16), Y.astype(np.uint64)):
        assert calibration_report(labels, P).ece == expected


def test_probability_types_and_shapes():
    with pytest.raises(TypeError, match="real numbers"):
        calibration_report(Y, np.array(["0.1"] * 5))
    with pytest.raises(TypeError, match="real numbers"):
        calibration_report(Y, P.astype(complex))
    with pytest.raises(ValueError, match="1-D"):
        calibration_report(Y, P3, mode="binary")
    with pytest.raises(ValueError, match="2-D"):
        calibration_report(Y, P, mode="top-label")
    with pytest.raises(ValueError, match="at least 2 columns"):
        calibration_report(Y, P[:, None], mode="classwise")
    with pytest.raises(TypeError, match="could not be read"):
        calibration_report(Y3, [[0.5, 0.5], [1.0]])


def test_length_mismatch_and_empty():
    with pytest.raises(ValueError, match="y_true has 4, y_prob has 5"):
        calibration_report(Y[:4], P)
    with pytest.raises(ValueError, match="empty"):
        calibration_report([], [])
    with pytest.raises(ValueError, match="sample_weight has 3 entries"):
        calibration_report(Y, P, sample_weight=[1, 2, 3])


def test_bad_weights():
    with pytest.raises(ValueError, match="negative weight"):
        calibration_report(Y, P, sample_weight=[1, 1, -1, 1, 1])
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        calibration_report(Y, P, sample_weight=[1, 1, np.nan, 1, 1])


def test_bad_options():
    with pytest.raises(ValueError, match="n_bins must be >= 1"):
        calibration_report(Y, P, n_bins=0)
    with pytest.raises(TypeError, match="n_bins must be an integer"):
        calibration_report(Y, P, n_bins=2.5)
    with pytest.raises(ValueError, match="strategy='median'"):
        calibration_report(Y, P, strategy="median")
    with pytest.raises(ValueError, match="mode='multi'"):
        calibration_report(Y, P, mode="multi")
    with pytest.raises(ValueError, match="closed='both'"):
        calibration_report(Y, P, closed="both")
    with pytest.raises(ValueError, match="sum_tol"):
        calibration_report(Y3, P3, sum_tol=-1)
    with pytest.raises(ValueError, match="not a backend"):
        calibration_report(Y, P, backend="gpu")


def test_bad_edges():
    with pytest.raises(ValueError, match="non-decreasing"):
        BinnedCalibration(edges=[0, 0.5, 0.2, 1])
    with pytest.raises(ValueError, match="at least 2 values"):
        BinnedCalibration(edges=[0.5])
    with pytest.raises(ValueError, match="edges contains NaN"):
        BinnedCalibration(edges=[0, np.nan, 1])
    with pytest.raises(ValueError, match="one row per class"):
        BinnedCalibration(mode="classwise", n_classes=3, edges=np.tile(np.linspace(0, 1, 5), (2, 1)))


def test_brier_score_validates_too():
    with pytest.raises(ValueError, match="NaN"):
        brier_score(Y, [0.1, np.nan, 0.8, 0.3, 0.6])


def test_constant_predictions_and_a_single_class():
    """Every estimator gives a number (or a clear error) for degenerate but valid data."""
    from fastscore.calibration import (adaptive_ece, debiased_ece, kde_ece, ks_error, mmce, smooth_ece,
                                       sorted_estimates)

    constant = ([0, 1, 1, 0, 1, 1], [0.7] * 6)
    one_class = ([1, 1, 1, 1], [0.2, 0.5, 0.9, 0.6])
    for y, p in (constant, one_class):
        for function in (calibration_report, adaptive_ece, debiased_ece, ks_error, mmce, smooth_ece, sorted_estimates):
            result = function(y, p)
            values = [result.ece] if hasattr(result, "ece") else (list(result.values()) if isinstance(result, dict) else [result])
            assert all(np.isfinite(v) and v >= 0 for v in values), function.__name__
    # constant predictions: ECE is |accuracy - p| exactly
    assert calibration_report(*constant).ece == pytest.approx(abs(4 / 6 - 0.7))
    assert ks_error(*constant) == pytest.approx(abs(4 / 6 - 0.7))
    with pytest.raises(ValueError, match="pass bandwidth"):
        kde_ece(*constant)
    assert kde_ece(*one_class) >= 0
