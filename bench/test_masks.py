"""pycocotools.mask against fastscore.compat.pycocotools.mask on instance-like masks.

100 masks of 640 x 480 (discs of radius 10-120 px, as instance masks: long runs), their
RLEs, a 100 x 10 IoU matrix and 1,000 random star-shaped polygons of 8-40 points with
full-precision coordinates. Each pair is checked equal before timing.

Run: python -m pytest bench/test_masks.py --benchmark-only
(FASTSCORE_NUM_THREADS=1 for the single-threaded comparison).
"""
import numpy as np
import pytest
from pycocotools import mask as coco_mask

from fastscore.compat.pycocotools import mask as fast_mask

H, W = 480, 640


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    masks = np.zeros((H, W, 100), np.uint8, order="F")
    yy, xx = np.ogrid[:H, :W]
    for i in range(masks.shape[2]):
        cy, cx, r = rng.integers(0, H), rng.integers(0, W), rng.integers(10, 120)
        masks[:, :, i] = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    polygons = []
    for _ in range(1000):
        k = int(rng.integers(8, 40))
        angle = np.sort(rng.uniform(0, 2 * np.pi, k))
        radius = rng.uniform(10, 150) * rng.uniform(0.7, 1.0, k)
        cx, cy = rng.uniform(0, W), rng.uniform(0, H)
        polygons.append(np.column_stack([cx + radius * np.cos(angle), cy + radius * np.sin(angle)]).ravel().tolist())
    return masks, coco_mask.encode(masks), polygons


CASES = {
    "encode 100 masks 640x480": (lambda m, d: m.encode(d[0])),
    "decode 100 RLEs": (lambda m, d: m.decode(d[1])),
    "iou 100 x 10 RLEs": (lambda m, d: m.iou(d[1], d[1][:10], [0, 1] * 5)),
    "area + toBbox 100 RLEs": (lambda m, d: (m.area(d[1]), m.toBbox(d[1]))),
    "merge 100 RLEs": (lambda m, d: m.merge(d[1])),
    "frPyObjects 1,000 polygons": (lambda m, d: m.frPyObjects(d[2], H, W)),
}


def _same(a, b):
    if isinstance(a, tuple):
        return all(_same(x, y) for x, y in zip(a, b))
    return np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b


@pytest.mark.parametrize("library", ["fastscore", "pycocotools"])
@pytest.mark.parametrize("case", list(CASES))
def test_mask_functions(benchmark, data, case, library):
    benchmark.group = case
    module = fast_mask if library == "fastscore" else coco_mask
    assert _same(CASES[case](fast_mask, data), CASES[case](coco_mask, data))
    benchmark(CASES[case], module, data)
