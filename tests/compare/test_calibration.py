"""compare_calibration: null calibration of the Brier test, agreement of the two schemes, values, bad input."""
import numpy as np
import pytest

from fastscore.calibration import calibration_report
from fastscore.compare import compare_calibration


def _models(rng, n, noise_b=0.1, noise_c=0.1):
    truth = rng.random(n)
    y = (rng.random(n) < truth).astype(int)
    pb = np.clip(truth + rng.normal(0, noise_b, n), 0.001, 0.999)
    pc = np.clip(truth + rng.normal(0, noise_c, n), 0.001, 0.999)
    return y, pb, pc


def test_brier_null_rejection_rate():
    rng = np.random.default_rng(0)
    rejected = 0
    for k in range(400):
        y, pb, pc = _models(rng, 300)  # exchangeable models
        rejected += compare_calibration(y, pb, pc, metrics=("brier",), n_boot=299, seed=k)["brier"].p_value < 0.05
    assert 0.03 <= rejected / 400 <= 0.07


def test_values_are_the_calibration_reports_and_identical_models_show_no_change():
    rng = np.random.default_rng(1)
    y, pb, pc = _models(rng, 5000, noise_c=0.2)
    result = compare_calibration(y, pb, pc, n_boot=300)
    for metric in ("ece", "mce", "rmsce", "brier"):
        assert result[metric].baseline == getattr(calibration_report(y, pb), metric)
        assert result[metric].candidate == getattr(calibration_report(y, pc), metric)
    # the absolute Balance score (accuracy of the predicted class minus its mean confidence)
    assert result["balance"].baseline == abs(calibration_report(y, pb).balance)
    assert result["balance"].candidate == abs(calibration_report(y, pc).balance)
    assert result["brier"].verdict == "regression"
    same = compare_calibration(y, pb, pb.copy(), n_boot=300)
    for row in same.rows:
        assert row.delta == 0 and row.ci_low == row.ci_high == 0 and row.p_value == 1
        assert row.verdict == "no significant change"


def test_bins_and_exact_schemes_agree():
    rng = np.random.default_rng(2)
    y, pb, pc = _models(rng, 20000, noise_c=0.15)
    pc = np.clip(pc * 0.8 + 0.15, 0.001, 0.999)  # biased: its balance is away from 0
    bins = compare_calibration(y, pb, pc, n_boot=400, method="bins", seed=1)
    exact = compare_calibration(y, pb, pc, n_boot=400, method="exact", seed=1)
    assert [r.metric for r in bins.rows] == ["ece", "mce", "rmsce", "brier", "balance"]
    for a, b in zip(bins.rows, exact.rows):
        width = b.ci_high - b.ci_low
        assert abs(a.ci_low - b.ci_low) < 0.25 * width and abs(a.ci_high - b.ci_high) < 0.25 * width, a.metric


def test_top_label_mode():
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 2, (3000, 4))
    pb = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(4, p=row) for row in pb])
    sharp = np.exp(2 * logits) / np.exp(2 * logits).sum(axis=1, keepdims=True)  # over-confident
    result = compare_calibration(y, pb, sharp, n_boot=300)
    assert result.details["mode"] == "top-label"
    assert result["ece"].baseline == calibration_report(y, pb).ece
    assert result["ece"].verdict == "regression"


@pytest.mark.parametrize("kwargs, match", [({"metrics": ("auc",)}, "metrics must be"), ({"method": "jackknife"}, "method"),
                                           ({"n_boot": 10}, "too few"), ({"margin": -1}, "margin")])
def test_bad_arguments(kwargs, match):
    rng = np.random.default_rng(4)
    y, pb, pc = _models(rng, 100)
    with pytest.raises(ValueError, match=match):
        compare_calibration(y, pb, pc, **kwargs)


def test_models_on_different_examples():
    with pytest.raises(ValueError, match="same examples"):
        compare_calibration([0, 1, 1], [0.2, 0.7, 0.9], [0.2, 0.7])


def test_shards_merge_into_the_one_call_comparison():
    import fastscore.dask
    from fastscore.compare.calibration import CalibrationComparison

    rng = np.random.default_rng(6)
    y, pb, pc = _models(rng, 30000, noise_c=0.15)
    whole = compare_calibration(y, pb, pc, n_boot=300, seed=4)
    shards = [(y[i::4], pb[i::4], pc[i::4]) for i in range(4)]
    merged = fastscore.dask.accumulate_shards(CalibrationComparison(), shards).compute(n_boot=300, seed=4)
    for a, b in zip(whole.rows, merged.rows):
        assert a.metric == b.metric and a.verdict == b.verdict
        for field in ("baseline", "candidate"):
            assert getattr(a, field) == pytest.approx(getattr(b, field), rel=1e-9, abs=1e-12), (a.metric, field)
        # the same draws; sums added in another order can rotate a group's near-degenerate covariance
        # root, so the interval's ends agree to a small fraction of its width, not to the bit
        width = a.ci_high - a.ci_low
        assert abs(a.ci_low - b.ci_low) < 0.01 * width and abs(a.ci_high - b.ci_high) < 0.01 * width, a.metric
    with pytest.raises(ValueError, match="different n_bins"):
        CalibrationComparison(n_bins=10).merge(CalibrationComparison(n_bins=15))
    with pytest.raises(ValueError, match="no example"):
        CalibrationComparison().compute()


def test_clusters_share_their_weights():
    rng = np.random.default_rng(12)
    y, pb, pc = _models(rng, 2000, noise_c=0.15)
    alone = compare_calibration(y, pb, pc, method="exact", n_boot=300, seed=2)
    assert compare_calibration(y, pb, pc, method="exact", n_boot=300, seed=2, cluster=np.arange(2000)).rows == alone.rows
    # twenty copies of each example: clusters of copies are one example's evidence, not twenty
    many = [np.repeat(a, 20) for a in (y[:100], pb[:100], pc[:100])]
    few = compare_calibration(y[:100], pb[:100], pc[:100], method="exact", n_boot=300, seed=2)
    clustered = compare_calibration(*many, method="exact", n_boot=300, seed=2, cluster=np.repeat(np.arange(100), 20))
    naive = compare_calibration(*many, method="exact", n_boot=300, seed=2)
    for metric in ("brier", "ece"):
        width = lambda r: r[metric].ci_high - r[metric].ci_low  # noqa: E731
        assert width(clustered) > 2.5 * width(naive)
        assert 0.6 < width(clustered) / width(few) < 1.6
    with pytest.raises(ValueError, match="method='exact'"):
        compare_calibration(y, pb, pc, cluster=np.arange(2000))
