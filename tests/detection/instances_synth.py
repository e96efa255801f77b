"""Random COCO-like instance segmentation and keypoint sets, for the parity tests against pycocotools.

Segmentation: ground truth as polygons (one or several parts), uncompressed
RLE (crowds, as COCO stores them) and compressed RLE, on images of several
sizes; detections as compressed RLEs of jittered polygons (str counts, as
JSON files hold them), some empty, some with a box too. Keypoints: 17
keypoints with visibility 0/1/2, ground truths without visible keypoints
(num_keypoints 0) and crowds, full-precision detections.
"""
import numpy as np
from pycocotools import mask as pycoco_mask


def _polygon(rng, cx, cy, radius, n_points):
    angles = np.sort(rng.uniform(0, 2 * np.pi, n_points))
    r = radius * rng.uniform(0.5, 1.0, n_points)
    return np.column_stack([cx + r * np.cos(angles), cy + r * np.sin(angles)]).ravel()


def make_segm(seed, n_images=10, n_cats=3, gt_per_image=5, dt_per_image=15, crowd_rate=0.15, heavy_image=True):
    rng = np.random.default_rng(seed)
    sizes = [(48, 64), (60, 40), (33, 33)]
    images = []
    for i, image_id in enumerate(rng.choice(1000, n_images, replace=False)):
        h, w = sizes[i % len(sizes)]
        images.append({"id": int(image_id), "height": h, "width": w})
    cat_ids = sorted(int(c) for c in rng.choice(np.arange(1, 50), n_cats, replace=False))
    categories = [{"id": c, "name": f"c{c}"} for c in cat_ids]
    annotations, results = [], []
    ann_id = 1
    for n, img in enumerate(images):
        h, w = img["height"], img["width"]
        n_gt = 0 if n == 0 else int(rng.integers(0, 2 * gt_per_image + 1))
        n_dt = 0 if n == 1 else int(rng.integers(0, 2 * dt_per_image + 1))
        if heavy_image and n == 2:
            n_dt = 120  # beyond maxDets = 100
        objects = []
        for _ in range(n_gt):
            cat = int(rng.choice(cat_ids[:-1]))
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            radius = rng.uniform(2, 20)
            parts = [_polygon(rng, cx, cy, radius, int(rng.integers(3, 9)))]
            if rng.random() < 0.3:  # a second part
                parts.append(_polygon(rng, cx + radius, cy, radius / 2, int(rng.integers(3, 6))))
            crowd = int(rng.random() < crowd_rate)
            rle = pycoco_mask.merge(pycoco_mask.frPyObjects([p.tolist() for p in parts], h, w))
            kind = rng.random()
            if crowd:
                # COCO's crowds: uncompressed RLE
                runs = _runs(pycoco_mask.decode(rle))
                segmentation = {"size": [h, w], "counts": runs}
            elif kind < 0.7:
                segmentation = [p.round(2).tolist() for p in parts]
            else:
                segmentation = {"size": [h, w], "counts": rle["counts"].decode()}
            area = float(pycoco_mask.area(rle))
            if rng.random() < 0.1:
                area = float(rng.choice([32 ** 2, 0.0, 10.0]))
            x, y, bw, bh = pycoco_mask.toBbox(rle).tolist()
            annotations.append({"id": ann_id, "image_id": img["id"], "category_id": cat, "segmentation": segmentation,
                                "area": area, "bbox": [x, y, bw, bh], "iscrowd": crowd})
            objects.append((cat, parts[0]))
            ann_id += 1
        for j in range(n_dt):
            if objects and rng.random() < 0.7:
                cat, poly = objects[rng.integers(len(objects))]
                poly = poly + rng.normal(0, rng.choice([0.3, 1.0, 3.0]), len(poly))  # the object's outline, jittered
                if rng.random() < 0.15:
                    cat = int(rng.choice(cat_ids))
            else:
                cat = int(rng.choice(cat_ids))
                poly = _polygon(rng, rng.uniform(0, w), rng.uniform(0, h), rng.uniform(2, 15), int(rng.integers(3, 10)))
            if heavy_image and n == 2 and j < 110:
                cat = cat_ids[0]
            if rng.random() < 0.03:
                poly = np.array([-50.0, -50, -40, -50, -40, -40])  # outside the image: an empty mask
            rle = pycoco_mask.frPyObjects([poly.tolist()], h, w)[0]
            results.append({"image_id": img["id"], "category_id": cat,
                            "segmentation": {"size": [h, w], "counts": rle["counts"].decode()},
                            "score": round(float(rng.random()), 2)})
    return {"images": images, "categories": categories, "annotations": annotations}, results


def _runs(mask2d):
    flat = np.asarray(mask2d).ravel(order="F")
    change = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0] == 1:
        runs = [0] + runs
    return runs


def make_keypoints(seed, n_images=12, gt_per_image=4, dt_per_image=12, n_keypoints=17, crowd_rate=0.1):
    rng = np.random.default_rng(seed)
    images = [{"id": int(i), "height": 480, "width": 640} for i in rng.choice(1000, n_images, replace=False)]
    categories = [{"id": 1, "name": "person", "keypoints": [f"k{j}" for j in range(n_keypoints)]}]
    annotations, results = [], []
    ann_id = 1
    for n, img in enumerate(images):
        n_gt = 0 if n == 0 else int(rng.integers(0, 2 * gt_per_image + 1))
        n_dt = 0 if n == 1 else int(rng.integers(0, 2 * dt_per_image + 1))
        if n == 2:
            n_dt = 30  # beyond maxDets = 20
        people = []
        for _ in range(n_gt):
            x, y = rng.uniform(0, 500, 2).round(2)
            bw, bh = rng.uniform(10, 150, 2).round(2)
            px = rng.uniform(x, x + bw, n_keypoints).round(0)
            py = rng.uniform(y, y + bh, n_keypoints).round(0)
            v = rng.choice([0, 1, 2], n_keypoints, p=[0.3, 0.2, 0.5])
            if rng.random() < 0.25:
                v[:] = 0  # no visible keypoint: the box-distance rule (and num_keypoints 0)
            px, py = np.where(v > 0, px, 0), np.where(v > 0, py, 0)
            kp = np.column_stack([px, py, v]).ravel().astype(int).tolist()
            num = int((v > 0).sum())
            if rng.random() < 0.1 and num == 0:
                num = 1  # num_keypoints disagreeing with the visibilities: pycocotools trusts num_keypoints
            area = float(bw * bh * rng.uniform(0.5, 1.0))
            annotations.append({"id": ann_id, "image_id": img["id"], "category_id": 1, "keypoints": kp,
                                "num_keypoints": num, "bbox": [float(x), float(y), float(bw), float(bh)],
                                "area": area, "iscrowd": int(rng.random() < crowd_rate)})
            people.append((px, py, x, y, bw, bh))
            ann_id += 1
        for _ in range(n_dt):
            if people and rng.random() < 0.7:
                px, py, x, y, bw, bh = people[rng.integers(len(people))]
                scale = rng.uniform(1, 12)
                dx = np.where(px > 0, px, x + bw / 2) + rng.normal(0, scale, n_keypoints)
                dy = np.where(py > 0, py, y + bh / 2) + rng.normal(0, scale, n_keypoints)
            else:
                dx, dy = rng.uniform(0, 640, n_keypoints), rng.uniform(0, 480, n_keypoints)
            kp = np.column_stack([dx, dy, np.ones(n_keypoints)]).ravel().tolist()
            results.append({"image_id": img["id"], "category_id": 1, "keypoints": kp,
                            "score": round(float(rng.random()), 2)})
    return {"images": images, "categories": categories, "annotations": annotations}, results
