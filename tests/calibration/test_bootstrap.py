"""Bootstrap intervals: reproducible, and agreeing with resample-and-recompute."""
import numpy as np
import pytest

from fastscore.calibration import BinnedCalibration, calibration_report


@pytest.fixture(scope="module")
def sample():
    rng = np.random.default_rng(11)
    p = rng.random(2500)
    y = (rng.random(2500) < p**1.4).astype(np.int64)
    return y, p


@pytest.fixture(scope="module")
def plain_bootstrap(sample):
    """Resample with replacement and recompute the whole report, 1,500 times."""
    y, p = sample
    rng = np.random.default_rng(99)
    values = {name: [] for name in ("ece", "mce", "rmsce", "brier", "balance", "accuracy")}
    for _ in range(1500):
        i = rng.integers(0, y.size, y.size)
        report = calibration_report(y[i], p[i])
        for name in values:
            values[name].append(getattr(report, name))
    return {name: np.quantile(v, [0.05, 0.95]) for name, v in values.items()}


def assert_close_interval(got, expected):
    width = expected[1] - expected[0]
    assert abs(got[0] - expected[0]) < 0.15 * width + 1e-4, (got, expected)
    assert abs(got[1] - expected[1]) < 0.15 * width + 1e-4, (got, expected)


@pytest.mark.parametrize("scheme", ["bins", "exact"])
def test_agrees_with_resample_and_recompute(sample, plain_bootstrap, scheme):
    y, p = sample
    report = calibration_report(y, p, ci=0.9, n_boot=1500, seed=5, bootstrap=scheme)
    assert report.ci == 0.9
    names = ("ece", "mce", "rmsce") if scheme == "bins" else tuple(plain_bootstrap)
    assert set(names) <= set(report.intervals)
    for name in names:
        assert_close_interval(report.intervals[name], plain_bootstrap[name])


def test_reproducible_with_a_seed(sample):
    y, p = sample
    a = calibration_report(y, p, ci=0.95, n_boot=200, seed=3)
    b = calibration_report(y, p, ci=0.95, n_boot=200, seed=3)
    c = calibration_report(y, p, ci=0.95, n_boot=200, seed=4)
    assert a.intervals == b.intervals and a.intervals != c.intervals
    assert a.to_dict()["intervals"]["ece"] == list(a.intervals["ece"])


def test_state_intervals_equal_the_function(sample):
    y, p = sample
    state = BinnedCalibration().update(y[:1000], p[:1000]).merge(BinnedCalibration().update(y[1000:], p[1000:]))
    from_state = state.compute(ci=0.95, n_boot=300, seed=8).intervals
    from_function = calibration_report(y, p, ci=0.95, n_boot=300, seed=8).intervals
    for name in from_state:
        assert from_state[name] == pytest.approx(from_function[name], rel=1e-9)


def test_multiclass_and_weights_use_the_exact_scheme(multiclass_data):
    y, p = multiclass_data
    report = calibration_report(y[:600], p[:600], mode="classwise", ci=0.9, n_boot=50, seed=0)
    assert "brier" in report.intervals
    low, high = report.intervals["ece"]
    assert low <= high
    weighted = calibration_report(y[:600], p[:600], sample_weight=np.ones(600) * 2, ci=0.9, n_boot=50, seed=0)
    assert "balance" in weighted.intervals
    with pytest.raises(ValueError, match="unweighted"):
        BinnedCalibration().update([0, 1], [0.2, 0.7], sample_weight=[1.0, 3.0]).compute(ci=0.9)
    with pytest.raises(ValueError, match="binary or top-label"):
        BinnedCalibration(mode="classwise").update(y, p).compute(ci=0.9)


def test_bad_bootstrap_options(sample):
    y, p = sample
    with pytest.raises(ValueError, match="ci must be"):
        calibration_report(y, p, ci=1.5)
    with pytest.raises(ValueError, match="ci must be"):
        calibration_report(y, p, ci=0)
    with pytest.raises(ValueError, match="n_boot must be"):
        calibration_report(y, p, ci=0.9, n_boot=0)
    with pytest.raises(ValueError, match="bootstrap='jackknife'"):
        calibration_report(y, p, ci=0.9, bootstrap="jackknife")


@pytest.mark.parametrize("name", ["smooth_ece", "debiased_ece", "adaptive_ece", "ks_error", "mmce", "kde_ece"])
def test_estimator_intervals_agree_with_resample_and_recompute(sample, name):
    import fastscore.calibration as calibration

    estimator = getattr(calibration, name)
    y, p = sample
    y, p = y[:800], p[:800]
    value, (low, high) = estimator(y, p, ci=0.9, n_boot=300, seed=2)
    assert value == estimator(y, p)
    again = estimator(y, p, ci=0.9, n_boot=300, seed=2)
    assert again == (value, (low, high))
    rng = np.random.default_rng(7)
    plain = [estimator(y[i], p[i]) for i in (rng.integers(0, 800, 800) for _ in range(300))]
    expected = np.quantile(plain, [0.05, 0.95])
    width = expected[1] - expected[0]
    assert abs(low - expected[0]) < 0.25 * width + 1e-4
    assert abs(high - expected[1]) < 0.25 * width + 1e-4


def test_estimator_interval_errors(sample):
    from fastscore.calibration import ks_error, smooth_ece

    y, p = sample
    with pytest.raises(ValueError, match="n_boot"):
        ks_error(y, p, ci=0.9, n_boot=0)
    with pytest.raises(ValueError, match="return_sigma"):
        smooth_ece(y, p, ci=0.9, return_sigma=True)
