"""LVIS-style bbox evaluation (federated negatives), equal to the lvis-api's LVISEval.

LVIS annotates each image exhaustively only for some categories. The lvis-api
therefore evaluates a detection of category c in image i only if c is known
there: c has ground truth in i, or c is in the image's ``neg_category_ids``
(verified absent). A detection left unmatched in a category listed in the
image's ``not_exhaustive_category_ids`` is ignored, not a false positive.
Each image keeps its ``max_dets`` (300) best-scoring detections over all
categories; annotations and detections of area 0 are dropped, as the
lvis-api's index lookup does. The matching and the accumulation are the COCO
kernels (no crowd regions in LVIS); AP is also reported per frequency group
(rare, common, frequent categories).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .instances import read_instances
from .coco import BoxTable, CocoParams, _index_of, accumulate_matches, check_ground_truth_ids, match_detections

_FREQUENCIES = ("r", "c", "f")
_LINE = " {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} catIds={:>3s}] = {:0.3f}"


@dataclass(frozen=True)
class LvisEvaluation:
    """LVIS evaluation result, laid out as the lvis-api's.

    Attributes
    ----------
    results : dict
        AP, AP50, AP75, APs, APm, APl, APr, APc, APf, AR@300, ARs@300, ARm@300,
        ARl@300 (the lvis-api's ``get_results()``; -1 where undefined).
    precision : ndarray (T, R, K, A)
    recall : ndarray (T, K, A)
    category_ids, image_ids : ndarray
    """

    results: dict
    precision: np.ndarray
    recall: np.ndarray
    params: CocoParams
    category_ids: np.ndarray
    image_ids: np.ndarray

    def summary(self) -> str:
        """The lvis-api's ``print_results()`` lines."""
        max_dets = self.params.max_detections[-1]
        iou = self.params.iou_thresholds
        lines = []
        for key, value in self.results.items():
            iou_str = "{:0.2f}".format(float(key[2:]) / 100) if len(key) > 2 and key[2].isdigit() \
                else "{:0.2f}:{:0.2f}".format(iou[0], iou[-1])
            group = key[2] if len(key) > 2 and key[2] in _FREQUENCIES else "all"
            area = key[2] if len(key) > 2 and key[2] in "sml" else "all"
            lines.append(_LINE.format("Average Precision" if "AP" in key else "Average Recall",
                                      "(AP)" if "AP" in key else "(AR)", iou_str, area, max_dets, group, value))
        return "\n".join(lines)


def _id_lists(images, field: str, image_ids: np.ndarray, category_ids: np.ndarray, n_cat: int) -> np.ndarray:
    """Sorted (image index * K + category index) keys of a per-image category list."""
    keys = []
    for img in images:
        cats = img.get(field, None)
        if cats is None:
            raise ValueError(f"image {img.get('id')!r} has no {field!r}; LVIS images list it (possibly empty).")
        if len(cats):
            c = _index_of(np.asarray(cats, dtype=np.int64), category_ids)
            i = _index_of(np.array([img["id"]], dtype=np.int64), image_ids)[0]
            keys.append(i * n_cat + c[c >= 0])
    return np.unique(np.concatenate(keys)) if keys else np.zeros(0, np.int64)


def _top_per_image(dt: BoxTable, max_dets: int) -> np.ndarray:
    """Rows of each image's ``max_dets`` best detections (ties by file order), in file order."""
    order = np.lexsort((-dt.score, dt.image_id))  # by image, then descending score, stable
    starts = np.searchsorted(dt.image_id[order], dt.image_id[order], side="left")
    keep = order[np.arange(len(order)) - starts < max_dets]
    return np.sort(keep)


def evaluate_lvis(gt, dt, *, images, categories, max_dets: int = 300, box_format: str = "xywh",
                  iou_type: str = "bbox", image_sizes=None, backend=None) -> LvisEvaluation:
    """LVIS AP/AR of boxes or masks with federated negatives, equal to the lvis-api's LVISEval.

    Parameters
    ----------
    gt, dt : mapping or DataFrame
        Columns as in ``evaluate_detections`` (LVIS has no crowd regions:
        ``iscrowd`` must be absent or 0).
    images : list of dicts
        The LVIS file's ``images``: ``id``, ``neg_category_ids`` and
        ``not_exhaustive_category_ids`` of each image.
    categories : list of dicts
        The LVIS file's ``categories``: ``id`` and ``frequency`` ("r", "c", "f").
    max_dets : int, default=300
        Detections kept per image, best scores first, over all categories.
    iou_type : {"bbox", "segm"}
        "segm": ``segmentation`` columns as in ``evaluate_detections`` (a detection's
        area is its mask's, as the lvis-api's mask results); ``image_sizes``
        ({image_id: (height, width)}) is needed for polygon ground truth, or taken
        from ``images`` when they have ``height`` and ``width``.

    Returns
    -------
    LvisEvaluation

    Examples
    --------
    >>> from fastscore.detection import evaluate_lvis
    >>> images = [{"id": 1, "neg_category_ids": [2], "not_exhaustive_category_ids": []}]
    >>> categories = [{"id": 1, "frequency": "f"}, {"id": 2, "frequency": "r"}, {"id": 3, "frequency": "c"}]
    >>> gt = {"image_id": [1], "category_id": [1], "bbox": [[0, 0, 10, 10]]}
    >>> dt = {"image_id": [1, 1, 1], "category_id": [1, 2, 3], "bbox": [[0, 0, 10, 10]] * 3,
    ...       "score": [0.9, 0.8, 0.7]}
    >>> result = evaluate_lvis(gt, dt, images=images, categories=categories)
    >>> round(float(result.results["AP"]), 6), result.results["APr"]  # category 3: not evaluated in image 1
    (1.0, -1)
    """
    if iou_type not in ("bbox", "segm"):
        raise ValueError(f"iou_type must be 'bbox' or 'segm' for LVIS, got {iou_type!r}.")
    if image_sizes is None and iou_type == "segm" and all(isinstance(i, dict) and "height" in i for i in images):
        image_sizes = {i["id"]: (i["height"], i["width"]) for i in images}
    columns = read_instances(gt, dt, iou_type, box_format=box_format, image_sizes=image_sizes)
    gt_t, dt_t = columns.gt, columns.dt
    if gt_t.iscrowd.any():
        raise ValueError("LVIS has no crowd regions: gt['iscrowd'] must be 0 everywhere.")
    check_ground_truth_ids(gt_t)
    if max_dets < 1:
        raise ValueError(f"max_dets must be a positive integer, got {max_dets}.")
    try:
        image_ids = np.unique(np.array([img["id"] for img in images], dtype=np.int64))
        category_ids = np.array(sorted(c["id"] for c in categories), dtype=np.int64)
        frequency = {int(c["id"]): c.get("frequency") for c in categories}
    except (KeyError, TypeError):
        raise ValueError("images and categories must be lists of dicts with 'id' (as in an LVIS file).") from None
    unknown = np.setdiff1d(np.unique(dt_t.image_id), image_ids)
    if unknown.size:
        raise ValueError(f"detections refer to {unknown.size} image id(s) not in images (first: {unknown[:5].tolist()}).")
    n_cat = len(category_ids)
    params = CocoParams(image_ids=image_ids, category_ids=category_ids, max_detections=(max_dets,)).checked()
    # the lvis-api: the best max_dets per image first, then the index lookup drops area 0
    columns = columns.take(dt_rows=_top_per_image(dt_t, max_dets))
    columns = columns.take(dt_rows=np.flatnonzero(columns.dt.area > 0), gt_rows=np.flatnonzero(gt_t.area > 0))
    dt_t, gt_t = columns.dt, columns.gt
    dt_t = BoxTable(dt_t.image_id, dt_t.category_id, dt_t.bbox, dt_t.area, dt_t.iscrowd,
                    np.arange(1, len(dt_t) + 1, dtype=np.int64), dt_t.score)
    # a detection counts only in a category known for its image: with ground truth there, or verified absent
    d_img, d_cat = _index_of(dt_t.image_id, image_ids), _index_of(dt_t.category_id, category_ids)
    g_img, g_cat = _index_of(gt_t.image_id, image_ids), _index_of(gt_t.category_id, category_ids)
    d_key = d_img * n_cat + d_cat
    positive = np.unique((g_img * n_cat + g_cat)[(g_img >= 0) & (g_cat >= 0)])
    negative = _id_lists(images, "neg_category_ids", image_ids, category_ids, n_cat)
    known = (d_cat >= 0) & (np.isin(d_key, positive) | np.isin(d_key, negative))
    columns.dt, columns.gt = dt_t, gt_t
    columns = columns.take(dt_rows=np.flatnonzero(known))
    not_exhaustive = _id_lists(images, "not_exhaustive_category_ids", image_ids, category_ids, n_cat)
    unmatched_ignored = np.isin(d_key[known], not_exhaustive)
    matched, _ = match_detections(columns.gt, columns.dt, params, image_ids, category_ids,
                                  unmatched_ignored=unmatched_ignored, backend=backend, **columns.match_options(params))
    precision, recall, _ = accumulate_matches(matched, params, backend=backend)
    precision, recall = precision[..., 0], recall[..., 0]
    groups = [[k for k, c in enumerate(category_ids.tolist()) if frequency[c] == f] for f in _FREQUENCIES]
    results = _lvis_summary(precision, recall, params, groups)
    return LvisEvaluation(results=results, precision=precision, recall=recall, params=params,
                          category_ids=category_ids, image_ids=image_ids)


def _mean_valid(s):
    return -1 if len(s[s > -1]) == 0 else np.mean(s[s > -1])


def _lvis_summary(precision, recall, params: CocoParams, groups) -> dict:
    """The lvis-api's summarize(): the same selections and means."""
    labels = list(params.area_labels)
    iou = params.iou_thresholds

    def ap(iou_thr=None, area="all", group=None):
        aidx = [i for i, label in enumerate(labels) if label == area]
        s = precision if iou_thr is None else precision[np.where(iou_thr == iou)[0]]
        s = s[:, :, groups[group], aidx] if group is not None else s[:, :, :, aidx]
        return _mean_valid(s)

    def ar(area="all"):
        aidx = [i for i, label in enumerate(labels) if label == area]
        return _mean_valid(recall[:, :, aidx])

    max_dets = params.max_detections[-1]
    results = {"AP": ap(), "AP50": ap(iou_thr=0.50), "AP75": ap(iou_thr=0.75), "APs": ap(area="small"),
               "APm": ap(area="medium"), "APl": ap(area="large"), "APr": ap(group=0), "APc": ap(group=1),
               "APf": ap(group=2), f"AR@{max_dets}": ar()}
    for area in ("small", "medium", "large"):
        results[f"AR{area[0]}@{max_dets}"] = ar(area)
    return results
