"""Synthetic benchmark data: the COCO-like detection set and Arena-style battles.

Used by ``fastscore bench`` and the pytest-benchmark suites in ``bench/``, so
that both time the same data.
"""
from __future__ import annotations

import json

import numpy as np


def coco_like_set(n_images=2000, n_categories=80, gt_per_image=7, dt_per_image=100, crowd=0.01, seed=0,
                  full_precision=True):
    """A COCO-like ground truth (dict) and results list: by default the detection issue's
    2,000 images, 80 categories, ~7 ground-truth boxes and ~100 detections per image
    (30 % near a ground truth), 1 % crowd regions. Ground-truth boxes have 2 decimals, as
    COCO's annotations; detection boxes and scores are full-precision floats, as a detector
    writes them (``json.dumps`` of float64: 17 significant digits such as 32.07111139854394),
    or, with ``full_precision=False``, rounded to 2 and 3 decimals.

    Examples
    --------
    >>> from fastscore.datasets.synthetic import coco_like_set
    >>> dataset, results = coco_like_set(n_images=3, seed=1)
    >>> len(dataset["images"]), sorted(results[0])
    (3, ['bbox', 'category_id', 'image_id', 'score'])
    """
    rng = np.random.default_rng(seed)
    images = [{"id": i + 1, "width": 640, "height": 480, "file_name": f"{i + 1:012d}.jpg"} for i in range(n_images)]
    categories = [{"id": c + 1, "name": f"class-{c + 1}", "supercategory": "thing"} for c in range(n_categories)]
    annotations, results = [], []
    for img in images:
        n_gt = rng.poisson(gt_per_image)
        xy = rng.uniform(0, 560, (n_gt, 2))
        wh = rng.uniform(4, 200, (n_gt, 2))
        cats = rng.integers(1, n_categories + 1, n_gt)
        for k in range(n_gt):
            x, y, w, h = (round(float(v), 2) for v in (*xy[k], *wh[k]))
            annotations.append({"id": len(annotations) + 1, "image_id": img["id"], "category_id": int(cats[k]),
                                "bbox": [x, y, w, h], "area": round(w * h * rng.uniform(0.5, 0.9), 2),
                                "iscrowd": int(rng.random() < crowd), "segmentation": [[x, y, x + w, y, x + w, y + h]]})
        n_dt = rng.poisson(dt_per_image)
        near = rng.random(n_dt) < 0.3
        src = rng.integers(0, max(n_gt, 1), n_dt)
        for k in range(n_dt):
            if near[k] and n_gt:
                x, y = xy[src[k]] + rng.normal(0, 8, 2)
                w, h = wh[src[k]] * rng.uniform(0.8, 1.2, 2)
                cat = int(cats[src[k]]) if rng.random() < 0.8 else int(rng.integers(1, n_categories + 1))
            else:
                x, y = rng.uniform(0, 560, 2)
                w, h = rng.uniform(4, 200, 2)
                cat = int(rng.integers(1, n_categories + 1))
            box, score = [float(x), float(y), float(w), float(h)], float(rng.random())
            if not full_precision:
                box, score = [round(v, 2) for v in box], round(score, 3)
            results.append({"image_id": img["id"], "category_id": cat, "bbox": box, "score": score})
    return {"images": images, "categories": categories, "annotations": annotations}, results


def write_coco_like_set(folder, **kwargs):
    """Write :func:`coco_like_set` (same keyword arguments) to ``folder``/gt.json and dt.json; returns both paths."""
    return write_coco_set(folder, coco_like_set, **kwargs)


def _star_polygons(rng, cx, cy, radius, n_points):
    """Star-shaped polygons (one row of 2 * n_points coordinates per centre) with full-precision vertices."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, (len(cx), n_points)), axis=1)
    r = radius[:, None] * rng.uniform(0.6, 1.0, (len(cx), n_points))
    xy = np.empty((len(cx), 2 * n_points))
    xy[:, 0::2] = cx[:, None] + r * np.cos(angles)
    xy[:, 1::2] = cy[:, None] + r * np.sin(angles)
    return xy


def coco_segm_like_set(n_images=5000, n_categories=80, gt_per_image=7, dt_per_image=100, crowd=0.01, seed=0):
    """A COCO-like instance segmentation set: ground truth as polygons (2 decimals, one or two
    parts, as COCO's annotations; crowds as uncompressed RLE), and ~100 mask results per image as
    compressed RLE strings (30 % the outline of a ground truth, jittered; the rest elsewhere),
    on 640 x 480 images. The masks are rasterised by fastscore's pycocotools-identical encoder.

    Examples
    --------
    >>> from fastscore.datasets.synthetic import coco_segm_like_set
    >>> dataset, results = coco_segm_like_set(n_images=2, seed=1)
    >>> sorted(results[0]), type(dataset["annotations"][0]["segmentation"]).__name__
    (['category_id', 'image_id', 'score', 'segmentation'], 'list')
    """
    from ..detection import masks

    rng = np.random.default_rng(seed)
    h, w = 480, 640
    images = [{"id": i + 1, "width": w, "height": h, "file_name": f"{i + 1:012d}.jpg"} for i in range(n_images)]
    categories = [{"id": c + 1, "name": f"class-{c + 1}", "supercategory": "thing"} for c in range(n_categories)]
    annotations, results = [], []
    for img in images:
        n_gt = rng.poisson(gt_per_image)
        cx, cy = rng.uniform(20, w - 20, n_gt), rng.uniform(20, h - 20, n_gt)
        radius = np.exp(rng.uniform(np.log(4), np.log(150), n_gt))
        outlines = _star_polygons(rng, cx, cy, radius, 16).round(2)
        gt_rles = masks.from_polygons(list(outlines), h, w)
        boxes = masks.to_bbox(gt_rles)
        areas = masks.area(gt_rles)
        cats = rng.integers(1, n_categories + 1, n_gt)
        for k in range(n_gt):
            segmentation = [outlines[k].tolist()]
            is_crowd = int(rng.random() < crowd)
            if is_crowd:
                runs = masks.read_rles([gt_rles[k]]).counts
                segmentation = {"size": [h, w], "counts": runs.astype(int).tolist()}
            annotations.append({"id": len(annotations) + 1, "image_id": img["id"], "category_id": int(cats[k]),
                                "segmentation": segmentation, "area": float(areas[k]),
                                "bbox": boxes[k].tolist(), "iscrowd": is_crowd})
        n_dt = rng.poisson(dt_per_image)
        near = (rng.random(n_dt) < 0.3) & (n_gt > 0)
        src = rng.integers(0, max(n_gt, 1), n_dt)
        dcx, dcy = rng.uniform(20, w - 20, n_dt), rng.uniform(20, h - 20, n_dt)
        dr = np.exp(rng.uniform(np.log(4), np.log(150), n_dt))
        polys = _star_polygons(rng, dcx, dcy, dr, 16)
        if near.any():
            polys[near] = outlines[src[near]] + rng.normal(0, 1, (int(near.sum()), 1)) * rng.normal(0, 2, (int(near.sum()), 32))
        dt_cats = np.where(near & (rng.random(n_dt) < 0.8), cats[src] if n_gt else 0, rng.integers(1, n_categories + 1, n_dt))
        rles = masks.from_polygons(list(polys), h, w) if n_dt else []
        scores = rng.random(n_dt)
        for k in range(n_dt):
            results.append({"image_id": img["id"], "category_id": int(dt_cats[k]),
                            "segmentation": {"size": [h, w], "counts": rles[k]["counts"].decode()},
                            "score": float(scores[k])})
    return {"images": images, "categories": categories, "annotations": annotations}, results


def coco_keypoints_like_set(n_images=5000, gt_per_image=3, dt_per_image=20, seed=0):
    """A COCO-like person keypoint set: 17 keypoints per person (visibility 0/1/2, some people
    without visible keypoints), ~20 full-precision keypoint results per image.

    Examples
    --------
    >>> from fastscore.datasets.synthetic import coco_keypoints_like_set
    >>> dataset, results = coco_keypoints_like_set(n_images=2, seed=1)
    >>> len(results[0]["keypoints"]), dataset["categories"][0]["name"]
    (51, 'person')
    """
    rng = np.random.default_rng(seed)
    images = [{"id": i + 1, "width": 640, "height": 480} for i in range(n_images)]
    annotations, results = [], []
    for img in images:
        n_gt = rng.poisson(gt_per_image)
        people = []
        for _ in range(n_gt):
            x, y = rng.uniform(0, 540), rng.uniform(0, 380)
            bw, bh = rng.uniform(20, 100), rng.uniform(40, 100)
            px, py = rng.uniform(x, x + bw, 17).round(0), rng.uniform(y, y + bh, 17).round(0)
            v = rng.choice([0, 1, 2], 17, p=[0.3, 0.1, 0.6]) if rng.random() > 0.1 else np.zeros(17, int)
            kp = np.column_stack([np.where(v > 0, px, 0), np.where(v > 0, py, 0), v]).ravel()
            annotations.append({"id": len(annotations) + 1, "image_id": img["id"], "category_id": 1,
                                "keypoints": kp.astype(int).tolist(), "num_keypoints": int((v > 0).sum()),
                                "bbox": [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)],
                                "area": round(bw * bh * 0.6, 2), "iscrowd": 0})
            people.append((px, py))
        for _ in range(rng.poisson(dt_per_image)):
            if people and rng.random() < 0.5:
                px, py = people[rng.integers(len(people))]
                dx, dy = px + rng.normal(0, 4, 17), py + rng.normal(0, 4, 17)
            else:
                dx, dy = rng.uniform(0, 640, 17), rng.uniform(0, 480, 17)
            kp = np.column_stack([dx, dy, rng.random(17)]).ravel()
            results.append({"image_id": img["id"], "category_id": 1, "keypoints": kp.tolist(),
                            "score": float(rng.random())})
    return {"images": images, "annotations": annotations,
            "categories": [{"id": 1, "name": "person", "supercategory": "person"}]}, results


def write_coco_set(folder, maker, **kwargs):
    """Write ``maker(**kwargs)`` (a dataset and results) to ``folder``/gt.json and dt.json; returns both paths."""
    import pathlib

    folder = pathlib.Path(folder)
    dataset, results = maker(**kwargs)
    gt_path, dt_path = folder / "gt.json", folder / "dt.json"
    gt_path.write_text(json.dumps(dataset))
    dt_path.write_text(json.dumps(results))
    return gt_path, dt_path


def second_detector(results, seed=1, box_noise=2.0, score_noise=0.2):
    """Another detector's results on the same images, for comparisons: every box of ``results``
    moved by N(0, box_noise) pixels per coordinate (width and height kept >= 1) and every
    score multiplied by U(1 - score_noise, 1 + score_noise) and clipped to [0, 1]; full-precision
    floats, the same images and categories.

    Examples
    --------
    >>> from fastscore.datasets.synthetic import coco_like_set, second_detector
    >>> _, results = coco_like_set(n_images=3, seed=1)
    >>> other = second_detector(results)
    >>> len(other) == len(results), other[0]["image_id"] == results[0]["image_id"]
    (True, True)
    """
    rng = np.random.default_rng(seed)
    box = np.array([r["bbox"] for r in results], dtype=np.float64).reshape(-1, 4)
    box += rng.normal(0, box_noise, box.shape)
    box[:, 2:] = np.maximum(box[:, 2:], 1.0)
    score = np.clip(np.array([r["score"] for r in results]) * rng.uniform(1 - score_noise, 1 + score_noise,
                                                                         len(results)), 0.0, 1.0)
    return [dict(r, bbox=b, score=s) for r, b, s in zip(results, box.tolist(), score.tolist())]


def arena_battles(n_battles=1_000_000, n_models=100, ties=0.15, seed=0, categorical=True):
    """Chatbot-Arena-style battles as a pandas DataFrame (``model_a``, ``model_b``, ``winner``).

    Models of normally distributed strength, opponents drawn uniformly
    (never a model against itself), a fraction ``ties`` of "tie" outcomes and
    Bradley-Terry wins otherwise. With ``categorical=True`` (the ranking issue's
    benchmark form) the three columns are pandas categoricals; otherwise strings.

    Examples
    --------
    >>> from fastscore.datasets.synthetic import arena_battles
    >>> frame = arena_battles(1000, 10, seed=1)
    >>> list(frame.columns), len(frame)
    (['model_a', 'model_b', 'winner'], 1000)
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    names = np.array([f"model-{i:03d}" for i in range(n_models)])
    strength = rng.normal(size=n_models)
    a = rng.integers(0, n_models, n_battles)
    b = (a + rng.integers(1, n_models, n_battles)) % n_models
    p_a = 1 / (1 + np.exp(-(strength[a] - strength[b])))
    winner = np.where(rng.random(n_battles) < ties, "tie", np.where(rng.random(n_battles) < p_a, "model_a", "model_b"))
    if not categorical:
        return pd.DataFrame({"model_a": names[a], "model_b": names[b], "winner": winner})
    return pd.DataFrame({
        "model_a": pd.Categorical.from_codes(a, categories=names),
        "model_b": pd.Categorical.from_codes(b, categories=names),
        "winner": pd.Categorical(winner),
    })
