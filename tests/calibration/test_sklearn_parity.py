"""Equal to scikit-learn's calibration_curve and brier_score_loss."""
import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from fastscore.calibration import brier_score, calibration_report

BACKENDS = ("reference", "numba", "cython")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [5, 10, 15])
def test_calibration_curve(binary_data, backend, strategy, n_bins):
    y, p, _ = binary_data
    # include values exactly on the edges, where the (a, b] convention matters
    p = np.concatenate([p, np.linspace(0, 1, n_bins + 1)])
    y = np.concatenate([y, np.arange(n_bins + 1) % 2])
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    report = calibration_report(y, p, n_bins=n_bins, strategy=strategy, closed="right", backend=backend)
    nonempty = report.bin_counts > 0
    np.testing.assert_allclose(report.bin_outcome[nonempty], prob_true, rtol=1e-12)
    np.testing.assert_allclose(report.bin_confidence[nonempty], prob_pred, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_calibration_curve_float32(binary_data, backend):
    y, p, _ = binary_data
    p32 = p.astype(np.float32)
    prob_true, prob_pred = calibration_curve(y, p32, n_bins=10)
    report = calibration_report(y, p32, n_bins=10, closed="right", backend=backend)
    nonempty = report.bin_counts > 0
    np.testing.assert_allclose(report.bin_outcome[nonempty], prob_true, rtol=1e-12)
    np.testing.assert_allclose(report.bin_confidence[nonempty], prob_pred, rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_binary_brier(binary_data, backend):
    y, p, w = binary_data
    assert brier_score(y, p, backend=backend) == pytest.approx(brier_score_loss(y, p), rel=1e-13)
    assert brier_score(y, p, sample_weight=w, backend=backend) == pytest.approx(
        brier_score_loss(y, p, sample_weight=w), rel=1e-13
    )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mode", ["top-label", "classwise"])
def test_multiclass_brier(multiclass_data, backend, mode):
    y, p = multiclass_data
    expected = brier_score_loss(y, p, labels=np.arange(p.shape[1]))  # sum over classes, in [0, 2]
    assert brier_score(y, p, mode=mode, backend=backend) == pytest.approx(expected, rel=1e-13)
    # the classwise decomposition adds up to the same multiclass Brier score
    report = calibration_report(y, p, mode="classwise", backend=backend)
    assert report.decomposition.score == pytest.approx(expected, rel=1e-12)


def test_classwise_equals_binary_per_class(multiclass_data):
    y, p = multiclass_data
    report = calibration_report(y, p, mode="classwise", n_bins=10)
    for k in range(p.shape[1]):
        binary = calibration_report((y == k).astype(int), p[:, k], n_bins=10)
        assert report.class_ece[k] == pytest.approx(binary.ece, rel=1e-12)
        np.testing.assert_array_equal(report.bin_counts[k], binary.bin_counts)


def test_toplabel_equals_binary_on_confidence(multiclass_data):
    y, p = multiclass_data
    top = calibration_report(y, p, n_bins=15)
    correct = (p.argmax(axis=1) == y).astype(int)
    confidence = p.max(axis=1)
    prob_true, prob_pred = calibration_curve(correct, confidence, n_bins=15)
    right = calibration_report(y, p, n_bins=15, closed="right")
    nonempty = right.bin_counts > 0
    np.testing.assert_allclose(right.bin_outcome[nonempty], prob_true, rtol=1e-12)
    np.testing.assert_allclose(right.bin_confidence[nonempty], prob_pred, rtol=1e-12)
    assert top.accuracy == pytest.approx(correct.mean())
