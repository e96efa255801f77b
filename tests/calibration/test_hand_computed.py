"""Cases computed by hand, and bin conventions against NumPy's histogram."""
import numpy as np
import pytest

from fastscore.calibration import (
    BinnedCalibration,
    balance_score,
    brier_score,
    calibration_report,
    ece,
    mce,
    rmsce,
)

BACKENDS = ("reference", "numba", "cython")

# y = [0, 1, 1, 0], p = [0.2, 0.9, 0.6, 0.3], 5 bins of width 0.2.
# np.linspace(0, 1, 6)[3] is 0.6000000000000001 > 0.6, so 0.6 lies in bin 2:
# bin 1 holds 0.2, 0.3 (outcomes 0, 0), bin 2 holds 0.6 (1), bin 4 holds 0.9 (1).
# ECE = (2 * 0.25 + 0.4 + 0.1) / 4 = 0.25; MCE = 0.4;
# RMSCE = sqrt((2 * 0.0625 + 0.16 + 0.01) / 4); Brier = (0.04 + 0.01 + 0.16 + 0.09) / 4;
# confidences 0.8, 0.9, 0.6, 0.7 all right: Balance = 1 - 0.75.
Y = [0, 1, 1, 0]
P = [0.2, 0.9, 0.6, 0.3]


@pytest.mark.parametrize("backend", BACKENDS)
def test_four_samples(backend):
    report = calibration_report(Y, P, n_bins=5, backend=backend)
    assert report.ece == pytest.approx(0.25, abs=1e-15)
    assert report.mce == pytest.approx(0.4, abs=1e-15)
    assert report.rmsce == pytest.approx(np.sqrt(0.295 / 4), abs=1e-15)
    assert report.brier == pytest.approx(0.075, abs=1e-15)
    assert report.balance == pytest.approx(0.25, abs=1e-15)
    assert report.accuracy == 1.0
    np.testing.assert_array_equal(report.bin_counts, [0, 2, 1, 0, 1])
    np.testing.assert_allclose(report.bin_confidence, [np.nan, 0.25, 0.6, np.nan, 0.9])
    np.testing.assert_array_equal(report.bin_outcome, [np.nan, 0, 1, np.nan, 1])


def test_one_line_functions_match_report():
    report = calibration_report(Y, P, n_bins=5)
    assert ece(Y, P, n_bins=5) == report.ece
    assert mce(Y, P, n_bins=5) == report.mce
    assert rmsce(Y, P, n_bins=5) == report.rmsce
    assert brier_score(Y, P) == report.brier
    assert balance_score(Y, P) == report.balance


@pytest.mark.parametrize("backend", BACKENDS)
def test_edges_zero_and_one(backend):
    # [a, b): p = 0 in bin 0, p = 0.5 in bin 1 of 2, p = 1.0 in the last bin
    left = calibration_report([0, 1, 1], [0.0, 0.5, 1.0], n_bins=2, backend=backend)
    np.testing.assert_array_equal(left.bin_counts, [1, 2])
    # (a, b]: p = 0 still in bin 0 (scikit-learn), p = 0.5 now in bin 0
    right = calibration_report([0, 1, 1], [0.0, 0.5, 1.0], n_bins=2, closed="right", backend=backend)
    np.testing.assert_array_equal(right.bin_counts, [2, 1])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n_bins", [1, 3, 7, 10, 15, 20, 100])
def test_left_closed_bins_equal_numpy_histogram(backend, n_bins):
    rng = np.random.default_rng(n_bins)
    # values on and next to every edge, plus 0 and 1
    edges = np.linspace(0, 1, n_bins + 1)
    p = np.concatenate([edges, np.nextafter(edges, 0), np.nextafter(edges, 1), rng.random(500)])
    p = np.clip(p, 0, 1)
    y = (rng.random(p.size) < 0.5).astype(int)
    report = calibration_report(y, p, n_bins=n_bins, backend=backend)
    counts, _ = np.histogram(p, bins=n_bins, range=(0, 1))
    sums, _ = np.histogram(p, bins=n_bins, range=(0, 1), weights=p)
    np.testing.assert_array_equal(report.bin_counts, counts)
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(report.bin_confidence, sums / counts, rtol=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_bins_do_not_count(backend):
    # all predictions in one bin: ECE = MCE = RMSCE = |mean outcome - mean p|
    report = calibration_report([1, 0, 1, 1], [0.71, 0.72, 0.73, 0.74], n_bins=10, backend=backend)
    gap = abs(0.75 - 0.725)
    assert report.ece == pytest.approx(gap)
    assert report.mce == pytest.approx(gap)
    assert report.rmsce == pytest.approx(gap)
    assert np.isnan(report.bin_confidence[0])
    assert report.bin_counts.sum() == 4


def test_balance_of_binary_predictions_at_one_half():
    # p = 0.5 predicts class 1 (confidence 0.5); p = 0.3 predicts 0 (confidence 0.7)
    # samples: (y=1, p=0.5) right, (y=0, p=0.3) right, (y=1, p=0.3) wrong, (y=0, p=0.9) wrong
    y, p = [1, 0, 1, 0], [0.5, 0.3, 0.3, 0.9]
    assert balance_score(y, p) == pytest.approx(0.5 - (0.5 + 0.7 + 0.7 + 0.9) / 4)


def test_multiclass_hand_case():
    # rows: argmax 0 (right), argmax 1 (wrong, label 2), tie between 0 and 2 -> argmax 0 (label 2: wrong)
    y = [0, 2, 2]
    p = [[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.4, 0.2, 0.4]]
    report = calibration_report(y, p, n_bins=10)
    assert report.mode == "top-label"
    assert report.accuracy == pytest.approx(1 / 3)
    assert report.mean_confidence == pytest.approx((0.7 + 0.5 + 0.4) / 3)
    brier = ((0.3**2 + 0.2**2 + 0.1**2) + (0.2**2 + 0.5**2 + 0.7**2) + (0.4**2 + 0.2**2 + 0.6**2)) / 3
    assert report.brier == pytest.approx(brier)
    # bins: 0.7 -> bin 7 (right), 0.5 -> bin 5 (wrong), 0.4 -> bin 4 (wrong)
    assert report.ece == pytest.approx((0.3 + 0.5 + 0.4) / 3)


def test_classwise_hand_case():
    y = [0, 1]
    p = [[0.8, 0.2], [0.4, 0.6]]
    report = calibration_report(y, p, n_bins=2, mode="classwise")
    # class 0: p 0.8 (y 1) in bin 1, p 0.4 (y 0) in bin 0 -> gaps 0.2, 0.4 -> ECE 0.3
    # class 1: p 0.2 (y 0) in bin 0, p 0.6 (y 1) in bin 1 -> gaps 0.2, 0.4 -> ECE 0.3
    np.testing.assert_allclose(report.class_ece, [0.3, 0.3])
    assert report.ece == pytest.approx(0.3)
    assert report.mce == pytest.approx(0.4)
    assert report.bin_counts.shape == (2, 2)


@pytest.mark.parametrize("mode", ["binary", "top-label", "classwise"])
def test_decomposition_identity(mode, binary_data, multiclass_data):
    y, p = (binary_data[:2]) if mode == "binary" else multiclass_data
    report = calibration_report(y, p, mode=mode, n_bins=12)
    d = report.decomposition
    total = d.reliability - d.resolution + d.uncertainty + d.within_bin_variance - d.within_bin_covariance
    assert total == pytest.approx(d.score, abs=1e-12)
    if mode != "top-label":
        assert d.score == pytest.approx(report.brier, abs=1e-12)


def test_decomposition_by_hand():
    # one bin holding p = 0.2 (y 0) and p = 0.4 (y 1): mean p 0.3, mean y 0.5
    d = calibration_report([0, 1], [0.2, 0.4], n_bins=1).decomposition
    assert d.reliability == pytest.approx(0.04)
    assert d.resolution == pytest.approx(0.0)
    assert d.uncertainty == pytest.approx(0.25)
    assert d.within_bin_variance == pytest.approx(0.01)
    # 2/N * sum (p - 0.3)(y - 0.5) = 2/2 * ((-0.1)(-0.5) + (0.1)(0.5)) = 0.1
    assert d.within_bin_covariance == pytest.approx(0.1)
    assert d.score == pytest.approx((0.04 + 0.36) / 2)


def test_weights_equal_repetition(binary_data):
    y, p, _ = binary_data
    counts = np.random.default_rng(3).integers(0, 4, size=y.size)
    weighted = calibration_report(y, p, sample_weight=counts)
    repeated = calibration_report(np.repeat(y, counts), np.repeat(p, counts))
    for name in ("ece", "mce", "rmsce", "brier", "balance"):
        assert getattr(weighted, name) == pytest.approx(getattr(repeated, name), rel=1e-12)


def test_quantile_bins_hold_equal_mass(binary_data):
    y, p, _ = binary_data
    report = calibration_report(y, p, n_bins=10, strategy="quantile")
    assert report.strategy == "quantile"
    np.testing.assert_allclose(report.bin_counts, 500, atol=1)


def test_state_docstring_example():
    state = BinnedCalibration(n_bins=10)
    state.update([0, 1, 1], [0.1, 0.8, 0.65]).update([1, 0], [0.9, 0.4])
    assert state.compute().ece == pytest.approx((0.1 + 0.2 + 0.35 + 0.1 + 0.4) / 5)


def test_ace_is_the_unweighted_mean_over_nonempty_bins():
    from fastscore.calibration import ace

    # gaps 0.25 (2 samples), 0.4 (1), 0.1 (1): ECE weighs them, ACE does not
    assert ace(Y, P, n_bins=5) == pytest.approx((0.25 + 0.4 + 0.1) / 3)
    report = calibration_report(Y, P, n_bins=5)
    assert report.ace == pytest.approx((0.25 + 0.4 + 0.1) / 3)
    assert report.ece == pytest.approx((2 * 0.25 + 0.4 + 0.1) / 4)
