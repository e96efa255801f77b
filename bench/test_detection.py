"""COCO evaluation, file loading and batched assignment against pycocotools and its peers.

The synthetic set of the detection issue (fastscore.datasets.synthetic): 2,000
images, 80 categories, ~7 ground truths and ~100 detections per image, 1 %
crowd, scores rounded to 3 decimals. Every library reads the same two files
and must give the same stats (asserted before timing).

Run: python -m pytest bench/test_detection.py --benchmark-only
(pip install -e ".[bench]" for faster-coco-eval and ultrafast-pycocotools).
"""
import contextlib
import io

import numpy as np
import pytest
import scipy.optimize

from fastscore.compat import pycocotools as fast_coco
from fastscore.datasets.synthetic import write_coco_like_set
from fastscore.detection import batch_linear_sum_assignment


def _peers():
    import faster_coco_eval
    import pycocotools.coco
    import pycocotools.cocoeval
    import ultrafast_pycocotools

    return {
        "fastscore": (fast_coco.COCO, fast_coco.COCOeval),
        "ultrafast_pycocotools": (ultrafast_pycocotools.COCO, ultrafast_pycocotools.COCOeval),
        "faster_coco_eval": (faster_coco_eval.COCO, faster_coco_eval.COCOeval_faster),
        "pycocotools": (pycocotools.coco.COCO, pycocotools.cocoeval.COCOeval),
    }


PEERS = _peers()


def quiet(function):
    with contextlib.redirect_stdout(io.StringIO()):
        return function()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_coco_like_set(tmp_path_factory.mktemp("coco"))


@pytest.fixture(scope="module")
def loaded(files):
    gt_path, dt_path = files
    out = {}
    for name, (coco, _) in PEERS.items():
        gt = quiet(lambda: coco(str(gt_path)))
        out[name] = (gt, quiet(lambda: gt.loadRes(str(dt_path))))
    return out


def evaluate(name, gt, dt):
    ev = PEERS[name][1](gt, dt, "bbox")
    ev.evaluate()
    ev.accumulate()
    return ev


@pytest.fixture(scope="module")
def reference_stats(loaded):
    ev = quiet(lambda: evaluate("pycocotools", *loaded["pycocotools"]))
    quiet(ev.summarize)
    return np.asarray(ev.stats)


@pytest.mark.benchmark(group="COCO evaluate+accumulate, 2,000 images")
@pytest.mark.parametrize("name", list(PEERS))
def test_evaluate_accumulate(benchmark, loaded, reference_stats, name):
    gt, dt = loaded[name]
    ev = quiet(lambda: evaluate(name, gt, dt))
    quiet(ev.summarize)
    assert np.array_equal(np.asarray(ev.stats), reference_stats)
    rounds = 1 if name == "pycocotools" else 5
    benchmark.pedantic(lambda: quiet(lambda: evaluate(name, gt, dt)), rounds=rounds, iterations=1)


@pytest.mark.benchmark(group="COCO load: COCO(gt) + loadRes(dt) from JSON files")
@pytest.mark.parametrize("name", list(PEERS))
def test_load(benchmark, files, name):
    gt_path, dt_path = files
    coco = PEERS[name][0]

    def load():
        gt = coco(str(gt_path))
        return gt.loadRes(str(dt_path))

    quiet(load)
    benchmark.pedantic(lambda: quiet(load), rounds=3, iterations=1)


@pytest.mark.benchmark(group="COCO end to end from files (load + evaluate + accumulate + summarize)")
@pytest.mark.parametrize("name", [n for n in PEERS if n != "pycocotools"])
def test_end_to_end(benchmark, files, name):
    gt_path, dt_path = files
    coco, coco_eval = PEERS[name]

    def run():
        gt = coco(str(gt_path))
        ev = coco_eval(gt, gt.loadRes(str(dt_path)), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        return ev

    quiet(run)
    benchmark.pedantic(lambda: quiet(run), rounds=3, iterations=1)


@pytest.fixture(scope="module")
def assignment_costs():
    costs = np.random.default_rng(0).random((10_000, 20, 20))
    batch_linear_sum_assignment(costs[:2])
    return costs


@pytest.mark.benchmark(group="10,000 assignment problems of 20 x 20")
def test_fastscore_batch_assignment(benchmark, assignment_costs):
    rows, cols = benchmark(batch_linear_sum_assignment, assignment_costs)
    for b in range(0, 10_000, 997):
        r, c = scipy.optimize.linear_sum_assignment(assignment_costs[b])
        assert np.isclose(assignment_costs[b][r, c].sum(), assignment_costs[b][rows[b], cols[b]].sum())


@pytest.mark.benchmark(group="10,000 assignment problems of 20 x 20")
def test_scipy_loop(benchmark, assignment_costs):
    benchmark(lambda: [scipy.optimize.linear_sum_assignment(c) for c in assignment_costs])
