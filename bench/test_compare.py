"""Comparisons against what people run today: scipy's paired bootstrap and a NumPy resampling loop.

- per-example scores, n = 10,000, 9,999 paired replicates of the mean difference:
  fastscore.compare.compare_scores against scipy.stats.bootstrap(paired=True,
  vectorized=True, method="percentile");
- calibration, 10M binary predictions of two models (one calibrated, one
  over-confident), 1,000 paired replicates of ECE, MCE, RMSCE and Brier:
  compare_calibration (method="bins") against a NumPy loop that draws the
  resampled indices and recomputes the bincount metrics of both models per
  replicate (timed on 10 replicates; the group's name says so: multiply by 100);
- COCO boxes, the synthetic set of the detection issue at 5,000 images (80
  classes, ~100 full-precision detections per image) and a second detector
  made from it by ``synthetic.second_detector`` (every box moved by N(0, 2 px),
  every score scaled by U(0.8, 1.2)): compare_detections from the three files
  (both loadings, both matchings, 1,000 paired replicates of the 12 stats and
  the per-class AP) against ONE pycocotools evaluate+accumulate+summarize of
  ONE model already loaded (the naive comparison runs 2,000 of those).

Run: python -m pytest bench/test_compare.py --benchmark-only
"""
import numpy as np
import pytest
import scipy.stats

from fastscore.compare import compare_calibration, compare_detections, compare_scores

FOUR = ("ece", "mce", "rmsce", "brier")  # the metrics the NumPy loop recomputes


@pytest.fixture(scope="module")
def scores():
    rng = np.random.default_rng(0)
    example = rng.normal(0, 1, 10_000)
    return example + rng.normal(0, 0.3, 10_000), example + 0.01 + rng.normal(0, 0.3, 10_000)


@pytest.mark.benchmark(group="paired bootstrap of a mean score difference, n = 10,000, 9,999 replicates")
@pytest.mark.parametrize("library", ["fastscore", "scipy"])
def test_paired_bootstrap(benchmark, scores, library):
    base, cand = scores
    if library == "fastscore":
        run = lambda: compare_scores(base, cand, method="bootstrap", n_boot=9999)["score"].ci_low  # noqa: E731
    else:
        def run():
            return scipy.stats.bootstrap(
                (base, cand), lambda x, y, axis: np.mean(y, axis=axis) - np.mean(x, axis=axis), paired=True,
                vectorized=True, method="percentile", n_resamples=9999, random_state=0).confidence_interval.low
    low = run()
    assert abs(low - compare_scores(base, cand, method="bootstrap", n_boot=9999)["score"].ci_low) < 0.01
    benchmark.pedantic(run, rounds=3, iterations=1)


@pytest.fixture(scope="module")
def predictions():
    rng = np.random.default_rng(1)
    p = rng.random(10_000_000)
    y = (rng.random(10_000_000) < p).astype(np.int8)
    return y, p, np.clip(0.5 + 1.3 * (p - 0.5), 0, 1)


def _numpy_replicate(y, p, rng, n_bins=15):
    idx = rng.integers(0, len(y), len(y))
    yy, pp = y[idx], p[idx]
    bins = np.minimum((pp * n_bins).astype(np.int64), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    gap = np.abs(np.bincount(bins, yy, n_bins) - np.bincount(bins, pp, n_bins))
    with np.errstate(invalid="ignore", divide="ignore"):
        per_bin = np.where(count > 0, gap / count, 0)
    return gap.sum() / len(y), per_bin.max(), np.sqrt((count * per_bin ** 2).sum() / len(y)), np.mean((yy - pp) ** 2)


@pytest.mark.benchmark(group="calibration comparison, 10M predictions x 2 models, 4 metrics "
                             "(fastscore: 1,000 replicates; NumPy loop: 10 replicates, x100 for 1,000)")
@pytest.mark.parametrize("library", ["fastscore", "numpy loop"])
def test_calibration_comparison(benchmark, predictions, library):
    y, pb, pc = predictions
    if library == "fastscore":
        run = lambda: compare_calibration(y, pb, pc, metrics=FOUR, n_boot=1000)  # noqa: E731
    else:
        def run():
            rng = np.random.default_rng(0)
            return [(_numpy_replicate(y, pb, rng), _numpy_replicate(y, pc, rng)) for _ in range(10)]
    run()
    benchmark.pedantic(run, rounds=3, iterations=1)


@pytest.fixture(scope="module")
def coco_files():
    from fastscore.bench import _CocoFiles

    return _CocoFiles(5000, with_candidate=True)


@pytest.mark.benchmark(group="COCO boxes, 5,000 images: fastscore = the whole comparison of 2 models from files "
                             "with 1,000 replicates; pycocotools = ONE evaluation of ONE model")
@pytest.mark.parametrize("library", ["fastscore", "pycocotools"])
def test_detection_comparison(benchmark, coco_files, library):
    if library == "fastscore":
        def run():
            return compare_detections(coco_files.gt_path, coco_files.dt_path, coco_files.candidate_path, n_boot=1000)
        result = benchmark.pedantic(run, rounds=3, iterations=1)
        stats = coco_files.evaluate("pycocotools", *coco_files.loaded("pycocotools"))
        assert [row.baseline for row in result.rows[:12]] == list(stats)
    else:
        gt, dt = coco_files.loaded("pycocotools")
        benchmark.pedantic(lambda: coco_files.evaluate("pycocotools", gt, dt), rounds=1, iterations=1)
