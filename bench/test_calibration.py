"""Binned calibration against plain NumPy and scikit-learn (same data, same run).

Run: ``python -m pytest bench/test_calibration.py --benchmark-only``
(``pip install -e ".[bench]"`` first). Every anchor's result is checked
against fastscore's before it is timed.
"""
import tracemalloc

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from fastscore.calibration import calibration_report
from fastscore.cli import numpy_bincount_ece

N_BINARY = 10_000_000
N_TOP, K_TOP = 1_000_000, 100


@pytest.fixture(scope="module")
def binary():
    rng = np.random.default_rng(0)
    y_prob = rng.random(N_BINARY)
    y_true = (rng.random(N_BINARY) < y_prob**1.2).astype(np.int64)
    return y_true, y_prob


@pytest.fixture(scope="module")
def toplabel():
    rng = np.random.default_rng(1)
    y_prob = rng.random((N_TOP, K_TOP), dtype=np.float32) ** 4
    y_prob /= y_prob.sum(axis=1, keepdims=True)
    y_true = rng.integers(0, K_TOP, size=N_TOP)
    return y_true, y_prob


def numpy_floor_ece(y_true, y_prob, n_bins=15):
    """The shortest NumPy ECE: bin = min(int(p * n_bins), n_bins - 1).

    It can put values lying on an edge in the neighbouring bin (np.linspace
    edges are not exactly k / n_bins), so it is not always the same number."""
    bins = np.minimum((y_prob * n_bins).astype(np.int64), n_bins - 1)
    confidence = np.bincount(bins, weights=y_prob, minlength=n_bins)
    outcome = np.bincount(bins, weights=y_true, minlength=n_bins)
    return float(np.abs(outcome - confidence).sum() / len(y_prob))


def numpy_toplabel_ece(y_true, y_prob, n_bins=15):
    """Top-label ECE in NumPy: argmax and max, then searchsorted and bincounts."""
    predicted = y_prob.argmax(axis=1)
    confidence = y_prob.max(axis=1)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], confidence, side="right")
    conf_sum = np.bincount(bins, weights=confidence, minlength=n_bins)
    correct_sum = np.bincount(bins, weights=predicted == y_true, minlength=n_bins)
    return float(np.abs(correct_sum - conf_sum).sum() / len(y_true))


@pytest.mark.benchmark(group="binary 10M float64, 15 bins")
def test_fastscore_report(benchmark, binary):
    report = benchmark(calibration_report, *binary)
    assert report.n_samples == N_BINARY


@pytest.mark.benchmark(group="binary 10M float64, 15 bins")
def test_numpy_searchsorted_bincount_ece(benchmark, binary):
    value = benchmark.pedantic(numpy_bincount_ece, binary, rounds=5, iterations=1)
    assert value == pytest.approx(calibration_report(*binary).ece, abs=1e-12)


@pytest.mark.benchmark(group="binary 10M float64, 15 bins")
def test_numpy_floor_bincount_ece(benchmark, binary):
    value = benchmark.pedantic(numpy_floor_ece, binary, rounds=5, iterations=1)
    assert value == pytest.approx(calibration_report(*binary).ece, abs=1e-6)


@pytest.mark.benchmark(group="binary 10M float64, 15 bins")
def test_sklearn_calibration_curve_and_brier(benchmark, binary):
    y_true, y_prob = binary

    def sklearn_metrics():
        return calibration_curve(y_true, y_prob, n_bins=15), brier_score_loss(y_true, y_prob)

    (prob_true, _), brier = benchmark.pedantic(sklearn_metrics, rounds=3, iterations=1)
    report = calibration_report(y_true, y_prob, closed="right")
    np.testing.assert_allclose(report.bin_outcome[report.bin_counts > 0], prob_true, rtol=1e-12)
    assert brier == pytest.approx(report.brier, rel=1e-12)


def _peak_extra_memory(function, *args):
    tracemalloc.start()
    function(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


@pytest.mark.benchmark(group="top-label 1M x 100 float32, 15 bins")
def test_fastscore_toplabel_ece(benchmark, toplabel):
    report = benchmark(calibration_report, *toplabel)
    peak = _peak_extra_memory(calibration_report, *toplabel)
    benchmark.extra_info["fastscore peak extra memory (MB)"] = round(peak / 1e6, 1)
    benchmark.extra_info["input size (MB)"] = round(toplabel[1].nbytes / 1e6, 1)
    assert peak < toplabel[1].nbytes / 10  # no float64 copy of the input
    assert report.n_samples == N_TOP


@pytest.mark.benchmark(group="top-label 1M x 100 float32, 15 bins")
def test_numpy_argmax_bincount_ece(benchmark, toplabel):
    value = benchmark.pedantic(numpy_toplabel_ece, toplabel, rounds=5, iterations=1)
    benchmark.extra_info["NumPy peak extra memory (MB)"] = round(_peak_extra_memory(numpy_toplabel_ece, *toplabel) / 1e6, 1)
    assert value == pytest.approx(calibration_report(*toplabel).ece, abs=1e-9)


# smooth ECE, 1M binary predictions -------------------------------------------

@pytest.fixture(scope="module")
def binary_1m(binary):
    return binary[0][:1_000_000], binary[1][:1_000_000]


@pytest.mark.benchmark(group="smooth ECE 1M binary")
def test_fastscore_smooth_ece(benchmark, binary_1m):
    from fastscore.calibration import smooth_ece

    smooth_ece(*binary_1m)
    benchmark(smooth_ece, *binary_1m)


@pytest.mark.benchmark(group="smooth ECE 1M binary")
def test_relplot_smECE(benchmark, binary_1m):
    import relplot

    from fastscore.calibration import smooth_ece

    y_true, y_prob = binary_1m
    value = benchmark.pedantic(relplot.smECE, (y_prob, y_true.astype(np.float64)), rounds=5, iterations=1)
    assert value == pytest.approx(smooth_ece(y_true, y_prob), rel=1e-9)


# smooth ECE, 1M well-calibrated predictions (y ~ Bernoulli(p)): the bandwidth search ends near
# sigma = 0.004 and visits five grid sizes ------------------------------------------------------

@pytest.fixture(scope="module")
def calibrated_1m():
    rng = np.random.default_rng(1)
    y_prob = rng.random(1_000_000)
    return (rng.random(1_000_000) < y_prob).astype(np.int64), y_prob


@pytest.mark.benchmark(group="smooth ECE 1M well calibrated")
def test_fastscore_smooth_ece_calibrated(benchmark, calibrated_1m):
    from fastscore.calibration import smooth_ece

    smooth_ece(*calibrated_1m)
    benchmark(smooth_ece, *calibrated_1m)


@pytest.mark.benchmark(group="smooth ECE 1M well calibrated")
def test_relplot_smECE_calibrated(benchmark, calibrated_1m):
    import relplot

    from fastscore.calibration import smooth_ece

    y_true, y_prob = calibrated_1m
    value = benchmark.pedantic(relplot.smECE, (y_prob, y_true.astype(np.float64)), rounds=5, iterations=1)
    assert value == pytest.approx(smooth_ece(y_true, y_prob), rel=1e-9)


# 1,000 bootstrap replicates of the binned report, 10M predictions ------------

@pytest.mark.benchmark(group="binary 10M: 1,000 bootstrap replicates of the report")
def test_fastscore_report_bootstrap_1000(benchmark, binary):
    from fastscore.calibration import BinnedCalibration

    state = BinnedCalibration().update(*binary)  # the state is built once; replicates cost O(bins)
    report = benchmark(state.compute, ci=0.95, n_boot=1000, seed=0)
    assert report.intervals["ece"][0] <= report.ece <= report.intervals["ece"][1] + 1e-3


@pytest.mark.benchmark(group="binary 10M: 1,000 bootstrap replicates of the report")
def test_numpy_one_bincount_ece_pass(benchmark, binary):
    benchmark.pedantic(numpy_bincount_ece, binary, rounds=5, iterations=1)


@pytest.mark.benchmark(group="binary 10M: 1,000 bootstrap replicates of the report")
def test_numpy_one_floor_bincount_ece_pass(benchmark, binary):
    benchmark.pedantic(numpy_floor_ece, binary, rounds=5, iterations=1)


# adaptive ECE + KS + MMCE from one sort, 1M ------------------------------------

@pytest.mark.benchmark(group="adaptive ECE + KS + MMCE, 1M binary")
def test_fastscore_sorted_estimates(benchmark, binary_1m):
    from fastscore.calibration import sorted_estimates

    sorted_estimates(*binary_1m)
    benchmark(sorted_estimates, *binary_1m)


@pytest.mark.benchmark(group="adaptive ECE + KS + MMCE, 1M binary")
def test_netcal_ACE_alone(benchmark, binary_1m):
    netcal = pytest.importorskip("netcal.metrics", reason="netcal (pulls torch) is in the bench extra only")
    from fastscore.calibration import ace

    y_true, y_prob = binary_1m
    value = benchmark.pedantic(netcal.ACE(bins=10).measure, (y_prob, y_true), rounds=3, iterations=1)
    assert value == pytest.approx(ace(y_true, y_prob), rel=1e-9)


@pytest.mark.benchmark(group="MMCE, 20k binary")
def test_fastscore_mmce_20k(benchmark, binary_1m):
    from fastscore.calibration import mmce

    y_true, y_prob = binary_1m[0][:20_000], binary_1m[1][:20_000]
    benchmark(mmce, y_true, y_prob)


@pytest.mark.benchmark(group="MMCE, 20k binary")
def test_netcal_MMCE_quadratic(benchmark, binary_1m):
    netcal = pytest.importorskip("netcal.metrics", reason="netcal (pulls torch) is in the bench extra only")
    from fastscore.calibration import mmce

    y_true, y_prob = binary_1m[0][:20_000], binary_1m[1][:20_000]
    # netcal's binary MMCE pairs p with 1[(p > 0.5) == y]; its multiclass one is ours
    probs = np.stack([1 - y_prob, y_prob], axis=1)
    value = benchmark.pedantic(netcal.MMCE().measure, (probs, y_true), rounds=1, iterations=1)
    assert value == pytest.approx(mmce(y_true, probs), rel=1e-9)
