"""pycocotools called the way torchmetrics and detectron2 call it; run as a script.

``python framework_calls.py fastscore OUT.json`` first calls
``fastscore.compat.init_as_pycocotools()``, ``python framework_calls.py
pycocotools OUT.json`` uses the real pycocotools; both write the numbers they
got to OUT.json (tests/detection/test_switch.py compares the two).
"""
import contextlib
import io
import json
import sys
import tempfile

import numpy as np

if sys.argv[1] == "fastscore":
    import fastscore.compat

    fastscore.compat.init_as_pycocotools()

import pycocotools.mask as mask_utils  # noqa: E402
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

H, W = 64, 80


def ellipse(rng, cx, cy, rx, ry):
    yy, xx = np.mgrid[:H, :W]
    return (((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1).astype(np.uint8)


def make_arrays(seed=0, n_images=8, n_classes=3):
    """Per image: target masks, labels, crowd flags; predicted masks, labels, scores (torchmetrics' inputs)."""
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(n_images):
        n_gt = int(rng.integers(1, 6))
        params = [(rng.uniform(10, 70), rng.uniform(10, 54), rng.uniform(3, 15), rng.uniform(3, 15)) for _ in range(n_gt)]
        gt_masks = np.stack([ellipse(rng, *p) for p in params])
        gt_labels = rng.integers(0, n_classes, n_gt)
        crowd = (rng.random(n_gt) < 0.15).astype(int)
        preds, labels, scores = [], [], []
        for p, label in zip(params, gt_labels):
            for _ in range(int(rng.integers(0, 3))):
                jitter = np.array(p) + rng.normal(0, [1.5, 1.5, 1.0, 1.0])
                preds.append(ellipse(rng, *jitter))
                labels.append(label if rng.random() < 0.9 else rng.integers(0, n_classes))
                scores.append(float(rng.random()))
        for _ in range(int(rng.integers(0, 3))):
            preds.append(ellipse(rng, rng.uniform(10, 70), rng.uniform(10, 54), rng.uniform(3, 12), rng.uniform(3, 12)))
            labels.append(rng.integers(0, n_classes))
            scores.append(float(rng.random()))
        pred_masks = np.stack(preds) if preds else np.zeros((0, H, W), np.uint8)
        images.append((gt_masks, gt_labels, crowd, pred_masks, np.array(labels, int), np.array(scores)))
    return images


def torchmetrics_style(images, iou_type):
    """torchmetrics' MeanAveragePrecision(backend="pycocotools"): COCO() + dataset + createIndex()."""
    def coco_format(with_scores):
        annotations, ann_id = [], 1
        for image_id, (gm, gl, gc, pm, pl, ps) in enumerate(images):
            masks, labels = (pm, pl) if with_scores else (gm, gl)
            for k in range(len(masks)):
                rle = mask_utils.encode(np.asfortranarray(masks[k]))
                box = [float(v) for v in mask_utils.toBbox(rle)]
                ann = {"id": ann_id, "image_id": image_id, "bbox": box, "category_id": int(labels[k]),
                       "iscrowd": 0 if with_scores else int(gc[k])}
                ann["area"] = float(mask_utils.area(rle)) if iou_type == "segm" else box[2] * box[3]
                if iou_type == "segm":
                    ann["segmentation"] = rle
                if with_scores:
                    ann["score"] = float(ps[k])
                annotations.append(ann)
                ann_id += 1
        return {"images": [{"id": i, "height": H, "width": W} for i in range(len(images))],
                "annotations": annotations, "categories": [{"id": c, "name": str(c)} for c in range(3)]}

    out = {}
    with contextlib.redirect_stdout(io.StringIO()):
        target, preds = COCO(), COCO()
        target.dataset = coco_format(False)
        preds.dataset = coco_format(True)
        target.createIndex()
        preds.createIndex()
        ev = COCOeval(target, preds, iouType=iou_type)
        ev.params.iouThrs = np.array([0.5, 0.75], dtype=np.float64)
        ev.params.recThrs = np.linspace(0, 1, 101)
        ev.params.maxDets = [1, 10, 100]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        out["stats"] = list(map(float, ev.stats))
        out["per_class"] = []
        for class_id in range(3):
            ev.params.catIds = [class_id]
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
            out["per_class"].append(list(map(float, ev.stats)))
    return out


def detectron2_style(images, iou_type):
    """detectron2's COCOEvaluator: COCO(json_file), results with str RLE counts, loadRes, per-category AP."""
    annotations, ann_id = [], 1
    for image_id, (gm, gl, gc, _, _, _) in enumerate(images):
        for k in range(len(gm)):
            rle = mask_utils.encode(np.asfortranarray(gm[k]))
            x, y, w, h = (float(v) for v in mask_utils.toBbox(rle))
            keypoints = [x + 1, y + 1, 2, x + w - 1, y + 1, 2, x + w / 2, y + h / 2, 2 if k % 3 else 0]
            annotations.append({"id": ann_id, "image_id": image_id, "category_id": int(gl[k]), "iscrowd": int(gc[k]),
                                "bbox": [x, y, w, h], "area": float(mask_utils.area(rle)),
                                "segmentation": {"size": rle["size"], "counts": rle["counts"].decode()},
                                "keypoints": keypoints, "num_keypoints": 3 if k % 3 else 2})
            ann_id += 1
    dataset = {"images": [{"id": i, "height": H, "width": W, "file_name": f"{i}.jpg"} for i in range(len(images))],
               "annotations": annotations, "categories": [{"id": c, "name": str(c)} for c in range(3)]}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(dataset, f)
    results = []
    for image_id, (_, _, _, pm, pl, ps) in enumerate(images):
        if len(pm) == 0:
            continue
        rles = [mask_utils.encode(np.array(m[:, :, None], order="F", dtype="uint8"))[0] for m in pm]
        for k, rle in enumerate(rles):
            rle["counts"] = rle["counts"].decode("utf-8")
            x, y, w, h = (float(v) for v in mask_utils.toBbox(rle))
            result = {"image_id": image_id, "category_id": int(pl[k]), "score": float(ps[k])}
            if iou_type == "segm":
                result["segmentation"] = rle
            else:
                result["keypoints"] = [x + 1.3, y + 0.6, 1, x + w - 0.4, y + 1.7, 1, x + w / 2 + 0.9, y + h / 2, 1]
            results.append(result)
    out = {}
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(f.name)
        coco_dt = coco_gt.loadRes(results)
        ev = COCOeval(coco_gt, coco_dt, iou_type)
        if iou_type == "keypoints":
            ev.params.kpt_oks_sigmas = np.array([0.5, 0.5, 0.8])
        else:
            ev.params.maxDets = [1, 10, 100]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    precisions = ev.eval["precision"]
    out["stats"] = list(map(float, ev.stats))
    out["per_category_ap"] = []
    for idx in range(precisions.shape[2]):
        p = precisions[:, :, idx, 0, -1]
        p = p[p > -1]
        out["per_category_ap"].append(float(np.mean(p)) if p.size else float("nan"))
    out["precision_sum"] = float(precisions.sum())
    out["modules"] = [COCO.__module__, COCOeval.__module__, mask_utils.__name__]
    return out


if __name__ == "__main__":
    arrays = make_arrays()
    numbers = {"torchmetrics_segm": torchmetrics_style(arrays, "segm"),
               "torchmetrics_bbox": torchmetrics_style(arrays, "bbox"),
               "detectron2_segm": detectron2_style(arrays, "segm"),
               "detectron2_keypoints": detectron2_style(arrays, "keypoints")}
    with open(sys.argv[2], "w") as f:
        json.dump(numbers, f)
