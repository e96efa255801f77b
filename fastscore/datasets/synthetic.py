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
    import pathlib

    folder = pathlib.Path(folder)
    dataset, results = coco_like_set(**kwargs)
    gt_path, dt_path = folder / "gt.json", folder / "dt.json"
    gt_path.write_text(json.dumps(dataset))
    dt_path.write_text(json.dumps(results))
    return gt_path, dt_path


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
