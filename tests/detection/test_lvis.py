"""evaluate_lvis against the lvis-api's LVISEval (bbox), bit for bit."""
import json
import logging
import sys
import types

import numpy as np
import pytest

from fastscore.detection import evaluate_lvis


@pytest.fixture(scope="module")
def lvis_api():
    """The lvis-api (lvis 0.5.3, the last release) uses np.float, removed in NumPy 1.24,
    and imports cv2 for its plotting only: restore np.float while it runs."""
    try:
        import cv2  # noqa: F401
    except ImportError:  # only lvis.vis needs it; the evaluation does not
        sys.modules["cv2"] = types.ModuleType("cv2")
    had_float = hasattr(np, "float")
    if not had_float:
        np.float = float
    from lvis import LVIS, LVISEval, LVISResults

    logging.getLogger("lvis").setLevel(logging.ERROR)
    yield LVIS, LVISEval, LVISResults
    if not had_float:
        del np.float


def make_lvis(seed, n_images=15, n_cats=6, per_image_dets=40):
    rng = np.random.default_rng(seed)
    cat_ids = sorted(int(c) for c in rng.choice(np.arange(1, 50), n_cats, replace=False))
    categories = [{"id": c, "name": f"c{c}", "frequency": "rcf"[i % 3]} for i, c in enumerate(cat_ids)]
    images, annotations, results = [], [], []
    for i in range(n_images):
        img_id = int(1000 + 7 * i)
        present = sorted(rng.choice(cat_ids, rng.integers(0, 3), replace=False).tolist())
        absent = [c for c in cat_ids if c not in present]
        neg = sorted(rng.choice(absent, min(len(absent), rng.integers(0, 3)), replace=False).tolist())
        not_exhaustive = sorted(rng.choice(present, min(len(present), rng.integers(0, 2)), replace=False).tolist()) \
            if present else []
        images.append({"id": img_id, "width": 640, "height": 480, "neg_category_ids": neg,
                       "not_exhaustive_category_ids": not_exhaustive})
        boxes = []
        for c in present:
            for _ in range(rng.integers(1, 4)):
                x, y = rng.uniform(0, 400, 2).round(1)
                w, h = rng.uniform(5, 150, 2).round(1)
                area = float(w * h) if rng.random() > 0.1 else float(rng.choice([32 ** 2, 96 ** 2]))
                annotations.append({"id": len(annotations) + 1, "image_id": img_id, "category_id": int(c),
                                    "bbox": [float(x), float(y), float(w), float(h)], "area": area})
                boxes.append((c, x, y, w, h))
        n_dt = per_image_dets if i != 2 else 320  # more than 300 in one image
        for _ in range(n_dt):
            if boxes and rng.random() < 0.5:
                c, x, y, w, h = boxes[rng.integers(len(boxes))]
                x, y, w, h = x + rng.normal(0, 5), y + rng.normal(0, 5), w * rng.uniform(0.8, 1.2), h * rng.uniform(0.8, 1.2)
                if rng.random() < 0.3:
                    c = int(rng.choice(cat_ids))
            else:
                c = int(rng.choice(cat_ids))
                x, y = rng.uniform(0, 400, 2)
                w, h = rng.uniform(0 if rng.random() < 0.02 else 5, 150, 2)
            results.append({"image_id": img_id, "category_id": int(c),
                            "bbox": [round(float(v), 2) for v in (x, y, w, h)], "score": round(float(rng.random()), 2)})
    return {"images": images, "categories": categories, "annotations": annotations}, results


@pytest.mark.parametrize("seed", range(5))
def test_equal_to_lvis_api(lvis_api, tmp_path, seed):
    LVIS, LVISEval, LVISResults = lvis_api
    dataset, results = make_lvis(seed)
    path = tmp_path / "lvis.json"
    path.write_text(json.dumps(dataset))
    gt_api = LVIS(str(path))
    ev = LVISEval(gt_api, LVISResults(gt_api, [dict(r) for r in results]), "bbox")
    ev.run()
    anns = dataset["annotations"]
    gt = {"image_id": [a["image_id"] for a in anns], "category_id": [a["category_id"] for a in anns],
          "bbox": [a["bbox"] for a in anns], "area": [a["area"] for a in anns], "id": [a["id"] for a in anns]}
    dt = {k: [r[k] for r in results] for k in ("image_id", "category_id", "bbox", "score")}
    ours = evaluate_lvis(gt, dt, images=dataset["images"], categories=dataset["categories"])
    assert np.array_equal(ours.precision, ev.eval["precision"])
    assert np.array_equal(ours.recall, ev.eval["recall"])
    assert list(ours.results) == list(ev.results)
    assert all(ours.results[k] == ev.results[k] for k in ev.results)
    assert len(ours.summary().splitlines()) == 13


def test_federated_rules_by_hand():
    images = [{"id": 1, "neg_category_ids": [2], "not_exhaustive_category_ids": [1]}]
    categories = [{"id": 1, "frequency": "f"}, {"id": 2, "frequency": "r"}, {"id": 3, "frequency": "c"}]
    gt = {"image_id": [1], "category_id": [1], "bbox": [[0, 0, 10, 10]]}
    # a miss in category 1 (not exhaustive: ignored), a false positive in the verified-absent
    # category 2, and category 3 unknown for the image: not evaluated
    dt = {"image_id": [1, 1, 1, 1], "category_id": [1, 1, 2, 3],
          "bbox": [[0, 0, 10, 10], [50, 50, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]], "score": [0.5, 0.9, 0.8, 0.7]}
    result = evaluate_lvis(gt, dt, images=images, categories=categories)
    # the unmatched 0.9 detection does not count: precision 1 / (1 + eps), COCO's formula
    assert result.results["APf"] == pytest.approx(1.0, abs=1e-15)
    assert result.results["APr"] == -1  # no ground truth in category 2: undefined, its false positive aside
    with pytest.raises(ValueError, match="crowd"):
        evaluate_lvis({**gt, "iscrowd": [1]}, dt, images=images, categories=categories)
    with pytest.raises(ValueError, match="neg_category_ids"):
        evaluate_lvis(gt, dt, images=[{"id": 1}], categories=categories)


@pytest.mark.parametrize("seed", range(2))
def test_segmentation_equal_to_lvis_api(lvis_api, tmp_path, seed):
    from pycocotools import mask as pycoco_mask

    LVIS, LVISEval, LVISResults = lvis_api
    dataset, results = make_lvis(seed + 10, n_images=8, per_image_dets=25)
    rng = np.random.default_rng(seed)
    for a in dataset["annotations"]:  # a polygon inside each box: a diamond with jittered corners
        x, y, w, h = a["bbox"]
        a["segmentation"] = [[float(v) for v in np.array([x + w / 2, y, x + w, y + h / 2, x + w / 2, y + h, x, y + h / 2])
                              + rng.normal(0, 1, 8)]]
    for r in results:
        x, y, w, h = r.pop("bbox")
        poly = [x + w / 2, y, x + w, y + h / 2, x + w / 2, y + h, x, y + h / 2]
        rle = pycoco_mask.frPyObjects([poly], 480, 640)[0]
        r["segmentation"] = {"size": rle["size"], "counts": rle["counts"].decode()}
    path = tmp_path / "lvis.json"
    path.write_text(json.dumps(dataset))
    gt_api = LVIS(str(path))
    ev = LVISEval(gt_api, LVISResults(gt_api, [dict(r) for r in results]), "segm")
    ev.run()
    anns = dataset["annotations"]
    gt = {key: [a[key] for a in anns] for key in ("image_id", "category_id", "bbox", "area", "id", "segmentation")}
    dt = {k: [r[k] for r in results] for k in ("image_id", "category_id", "segmentation", "score")}
    ours = evaluate_lvis(gt, dt, images=dataset["images"], categories=dataset["categories"], iou_type="segm")
    assert np.array_equal(ours.precision, ev.eval["precision"])
    assert np.array_equal(ours.recall, ev.eval["recall"])
    assert all(ours.results[k] == ev.results[k] for k in ev.results)
    assert ev.results["AP"] > 0.05
