"""Concurrent calls from many Python threads (frameworks evaluate from thread pools) give the
numbers of serial calls, in every family: the calls share fastscore's thread pool."""
import concurrent.futures
import contextlib
import io

import numpy as np
import pytest

from fastscore.calibration import calibration_report, smooth_ece, sorted_estimates
from fastscore.datasets import coco_sample_paths
from fastscore.detection import box_iou
from fastscore.diversity import similarity_matrix, vendi_score
from fastscore.ranking import bradley_terry, elo


def calibration_work(seed):
    rng = np.random.default_rng(seed)
    p = rng.random(200_000)
    y = (rng.random(200_000) < p ** 1.3).astype(np.int64)
    return (calibration_report(y, p).to_dict()["ece"], smooth_ece(y, p), tuple(sorted_estimates(y, p).values()))


def detection_work(seed):
    from fastscore.compat.pycocotools import COCO, COCOeval

    rng = np.random.default_rng(seed)
    boxes = np.column_stack([rng.uniform(0, 90, (300, 2)), rng.uniform(1, 30, (300, 2))])
    gt_file, dt_file = coco_sample_paths()
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_file)
        evaluation = COCOeval(gt, gt.loadRes(dt_file), "bbox")
        evaluation.params.iouThrs = np.array([0.5, 0.5 + 0.05 * (seed % 5)])
        evaluation.evaluate()
        evaluation.accumulate()
    return float(box_iou(boxes, boxes, box_format="xywh").sum()), evaluation.eval["precision"].tobytes()


def ranking_work(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 12, 20_000)
    b = (a + rng.integers(1, 12, 20_000)) % 12
    won = (rng.random(20_000) < 0.6).astype(float)
    return (bradley_terry(a, b, won, bootstrap=5, seed=seed).rating.tobytes(),
            elo(a, b, won, bootstrap=3, seed=seed).lower.tobytes())


def diversity_work(seed):
    X = np.random.default_rng(seed).normal(size=(300, 16))
    return vendi_score(X), vendi_score(X, kernel="rbf", q=2), float(similarity_matrix(X, kernel="laplacian").sum())


@pytest.mark.parametrize("work", [calibration_work, detection_work, ranking_work, diversity_work])
def test_concurrent_calls_equal_serial_calls(work):
    seeds = list(range(12))
    serial = [work(seed) for seed in seeds]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        concurrent_results = list(pool.map(work, seeds))
    assert concurrent_results == serial
