"""COCO segm and keypoint evaluation against pycocotools and ultrafast-pycocotools.

The synthetic sets of fastscore.datasets.synthetic: masks (polygon ground truth,
~7 per image, 1 % crowds as uncompressed RLE; ~100 compressed-RLE results per
image, 640 x 480) and person keypoints (17 per person, ~20 results per image),
FASTSCORE_BENCH_IMAGES images (default 1,000; `fastscore bench --full` times
5,000). Every library reads the same two files and must give the same
precision array (asserted before timing).

Run: python -m pytest bench/test_instances.py --benchmark-only
"""
import contextlib
import io
import os

import numpy as np
import pytest

from fastscore.compat import pycocotools as fast_coco
from fastscore.datasets import synthetic

N_IMAGES = int(os.environ.get("FASTSCORE_BENCH_IMAGES", "1000"))


def _peers():
    import pycocotools.coco
    import pycocotools.cocoeval
    import ultrafast_pycocotools

    return {"fastscore": (fast_coco.COCO, fast_coco.COCOeval),
            "ultrafast_pycocotools": (ultrafast_pycocotools.COCO, ultrafast_pycocotools.COCOeval),
            "pycocotools": (pycocotools.coco.COCO, pycocotools.cocoeval.COCOeval)}


PEERS = _peers()
MAKERS = {"segm": synthetic.coco_segm_like_set, "keypoints": synthetic.coco_keypoints_like_set}


def quiet(function):
    with contextlib.redirect_stdout(io.StringIO()):
        return function()


@pytest.fixture(scope="module", params=list(MAKERS))
def files(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    return request.param, synthetic.write_coco_set(folder, MAKERS[request.param], n_images=N_IMAGES)


def run(name, iou_type, gt, dt):
    ev = PEERS[name][1](gt, dt, iou_type)
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    return ev


@pytest.fixture(scope="module")
def loaded(files):
    iou_type, (gt_path, dt_path) = files
    out = {}
    for name, (coco, _) in PEERS.items():
        gt = quiet(lambda: coco(str(gt_path)))
        out[name] = (gt, quiet(lambda: gt.loadRes(str(dt_path))))
    reference = quiet(lambda: run("pycocotools", iou_type, *out["pycocotools"])).eval["precision"]
    return iou_type, out, reference


@pytest.mark.benchmark(group="COCO segm / keypoints evaluate+accumulate+summarize")
@pytest.mark.parametrize("name", list(PEERS))
def test_evaluate(benchmark, loaded, name):
    iou_type, objects, reference = loaded
    gt, dt = objects[name]
    assert np.array_equal(quiet(lambda: run(name, iou_type, gt, dt)).eval["precision"], reference)
    benchmark.extra_info["iou_type"] = iou_type
    benchmark.pedantic(lambda: quiet(lambda: run(name, iou_type, gt, dt)), rounds=1 if name == "pycocotools" else 5,
                       iterations=1)


@pytest.mark.benchmark(group="COCO segm / keypoints end to end from files")
@pytest.mark.parametrize("name", ["fastscore", "ultrafast_pycocotools"])
def test_end_to_end(benchmark, files, name):
    iou_type, (gt_path, dt_path) = files
    coco = PEERS[name][0]

    def end_to_end():
        gt = coco(str(gt_path))
        return run(name, iou_type, gt, gt.loadRes(str(dt_path)))

    benchmark.extra_info["iou_type"] = iou_type
    quiet(end_to_end)
    benchmark.pedantic(lambda: quiet(end_to_end), rounds=3, iterations=1)
