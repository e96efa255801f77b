"""Random COCO-like data sets that stress pycocotools' corner cases.

Crowd regions, tied scores (rounded), areas exactly on the range boundaries
(32^2, 96^2), more than 100 detections in an image, images without ground
truth or without detections, categories without ground truth. Detection
boxes are full-precision floats, as detectors write them (``box_decimals``
rounds them); ground-truth boxes have 2 decimals, as COCO's annotations.
"""
import numpy as np


def make_coco(seed, n_images=12, n_cats=4, gt_per_image=6, dt_per_image=20, crowd_rate=0.1,
              heavy_image=True, score_decimals=1, exact_ties=True, box_decimals=None):
    rng = np.random.default_rng(seed)
    images = [{"id": int(i), "width": 640, "height": 480} for i in rng.choice(1000, n_images, replace=False)]
    cat_ids = sorted(int(c) for c in rng.choice(np.arange(1, 100), n_cats, replace=False))
    categories = [{"id": c, "name": f"c{c}", "supercategory": "s"} for c in cat_ids]
    annotations = []
    results = []
    ann_id = 1
    for n, img in enumerate(images):
        if n == 0:
            n_gt, n_dt = 0, dt_per_image  # detections without ground truth
        elif n == 1:
            n_gt, n_dt = gt_per_image, 0  # ground truth without detections
        else:
            n_gt, n_dt = rng.integers(0, 2 * gt_per_image + 1), rng.integers(0, 2 * dt_per_image + 1)
        if heavy_image and n == 2:
            n_dt = 150  # more than maxDets = 100 in one image (and one category below)
        gt_boxes = []
        for _ in range(n_gt):
            x, y = rng.uniform(0, 500, 2).round(2)
            w, h = rng.uniform(1, 150, 2).round(2)
            cat = int(rng.choice(cat_ids[:-1]))  # the last category never has ground truth
            area = float(w * h)
            u = rng.random()
            if u < 0.15:
                area = float(rng.choice([32 ** 2, 96 ** 2]))  # exactly on a boundary
            elif u < 0.2:
                area = float(rng.choice([32 ** 2 - 0.5, 96 ** 2 + 0.5, 0.0]))
            annotations.append({"id": ann_id, "image_id": img["id"], "category_id": cat,
                                "bbox": [float(x), float(y), float(w), float(h)], "area": area,
                                "iscrowd": int(rng.random() < crowd_rate)})
            gt_boxes.append((cat, x, y, w, h))
            ann_id += 1
        for j in range(n_dt):
            if gt_boxes and rng.random() < 0.6:
                cat, x, y, w, h = gt_boxes[rng.integers(len(gt_boxes))]
                x, y = x + rng.normal(0, 6), y + rng.normal(0, 6)
                w, h = max(w * rng.uniform(0.7, 1.3), 0.5), max(h * rng.uniform(0.7, 1.3), 0.5)
                if rng.random() < 0.2:
                    cat = int(rng.choice(cat_ids))
            else:
                cat = int(rng.choice(cat_ids))
                x, y = rng.uniform(0, 500, 2)
                w, h = rng.uniform(1, 150, 2)
            if heavy_image and n == 2 and j < 120:
                cat = cat_ids[0]
            if rng.random() < 0.05:  # a detection exactly the size of a boundary
                w, h = 32.0, 32.0
            results.append({"image_id": img["id"], "category_id": int(cat),
                            "bbox": [float(v) if box_decimals is None else round(float(v), box_decimals)
                                     for v in (x, y, w, h)],
                            "score": round(float(rng.random()), score_decimals)})
    if exact_ties and n_images > 3:
        # integer boxes whose IoU is exactly 0.5 or 0.75 (a threshold), and duplicated
        # ground truths (equal IoU with two of them): the ties of the greedy matching
        img, cat = images[3]["id"], cat_ids[0]
        for gx, (w_gt, w_dt) in enumerate([(20, 10), (40, 30), (40, 30), (20, 10)]):
            box = [float(100 * gx), 10.0, float(w_gt), 10.0]
            for _ in range(2):
                annotations.append({"id": ann_id, "image_id": img, "category_id": cat, "bbox": list(box),
                                    "area": float(w_gt * 10), "iscrowd": 0})
                ann_id += 1
            for score in (0.5, 0.5, 0.25):
                results.append({"image_id": img, "category_id": cat,
                                "bbox": [float(100 * gx), 10.0, float(w_dt), 10.0], "score": score})
    dataset = {"images": images, "categories": categories, "annotations": annotations}
    return dataset, results
