"""Columnar COCO evaluation: ``evaluate_detections`` and its result object."""
from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np

from .._config import with_ordinary_pages
from .._state import Accumulator
from .instances import read_instances
from .keypoints import KEYPOINT_AREA_LABELS, KEYPOINT_AREA_RANGES
from .coco import (
    BoxTable,
    CocoParams,
    MatchedDetections,
    _index_of,
    accumulate_matches,
    ids_missing_from,
    check_ground_truth_ids,
    match_detections,
    positives_by_image,
    summarize,
)


@dataclass(frozen=True)
class DetectionEvaluation:
    """COCO bbox evaluation result (pycocotools' ``eval`` and ``stats``, plus analyses).

    Attributes
    ----------
    stats : ndarray (12,)
        pycocotools' summary numbers (AP, AP50, AP75, AP small/medium/large,
        AR@1, AR@10, AR@100, AR small/medium/large); -1 where undefined.
    precision : ndarray (T, R, K, A, M)
        Interpolated precision at each IoU threshold, recall threshold,
        category, area range and maxDets; -1 where a category has no ground truth.
    recall : ndarray (T, K, A, M)
    scores : ndarray (T, R, K, A, M)
        The detection score at which each precision entry is reached.
    params : CocoParams
    image_ids, category_ids : ndarray
        The evaluated ids (K = 1 and category_ids = [-1] when use_categories=False).
    """

    stats: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    scores: np.ndarray
    params: CocoParams
    image_ids: np.ndarray
    category_ids: np.ndarray
    matched: MatchedDetections
    summary_lines: tuple
    details: dict | None = None  # boxes and match positions, for confusion_matrix (None from an accumulator)
    iou_type: str = "bbox"

    def summary(self) -> str:
        """pycocotools' printed summary lines (12; 10 for keypoints)."""
        return "\n".join(self.summary_lines)

    def _area_index(self, area: str) -> int:
        labels = list(self.params.area_labels)
        if area not in labels:
            raise ValueError(f"area must be one of {labels}, got {area!r}.")
        return labels.index(area)

    def _max_det_index(self, max_dets: int | None) -> int:
        max_list = list(self.params.max_detections)
        if max_dets is None:
            return len(max_list) - 1
        if max_dets not in max_list:
            raise ValueError(f"max_dets must be one of the evaluated maxDets {max_list}, got {max_dets!r}.")
        return max_list.index(max_dets)

    def _iou_index(self, iou: float) -> int:
        hits = np.flatnonzero(np.isclose(self.params.iou_thresholds, iou, rtol=0, atol=1e-12))
        if hits.size == 0:
            raise ValueError(f"iou={iou} is not one of the evaluated IoU thresholds {self.params.iou_thresholds.tolist()}.")
        return int(hits[0])

    def per_class(self, *, max_dets: int | None = None) -> dict:
        """Per-category AP and AR (the numbers behind the summary, one row per category).

        Returns a dict of columns: category_id, AP, AP50, AP75, AP_small,
        AP_medium, AP_large, AR (at ``max_dets``, default the largest), and
        n_gt (ground truths not ignored, area "all"). Entries are NaN where a
        category has no ground truth (pycocotools' -1). ``to_pandas`` style:
        ``pandas.DataFrame(result.per_class())``.
        """
        m = self._max_det_index(max_dets)

        def mean_ap(prec):  # mean over thresholds of the entries pycocotools counts
            valid = prec > -1
            count = valid.sum(axis=(0, 1))
            total = np.where(valid, prec, 0).sum(axis=(0, 1))
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(count > 0, total / np.maximum(count, 1), np.nan)

        p = self.precision[..., m]  # T, R, K, A
        r = self.recall[..., m]  # T, K, A
        table = {"category_id": self.category_ids.copy()}
        table["AP"] = mean_ap(p[:, :, :, 0])
        for name, iou in (("AP50", 0.5), ("AP75", 0.75)):
            if np.isclose(self.params.iou_thresholds, iou, rtol=0, atol=1e-12).any():
                t = self._iou_index(iou)
                table[name] = mean_ap(p[t:t + 1, :, :, 0])
        for label in self.params.area_labels[1:]:
            table[f"AP_{label}"] = mean_ap(p[:, :, :, self._area_index(label)])
        valid = r[:, :, 0] > -1
        with np.errstate(invalid="ignore", divide="ignore"):
            table["AR"] = np.where(valid.any(axis=0), np.where(valid, r[:, :, 0], 0).sum(axis=0) / np.maximum(valid.sum(axis=0), 1), np.nan)
        table["n_gt"] = self.matched.n_positive[:, 0].copy()
        return table

    def pr_curve(self, category_id: int | None = None, *, iou: float = 0.5, area: str = "all",
                 max_dets: int | None = None):
        """Interpolated precision–recall curve at one IoU threshold.

        Returns ``(recall_thresholds, precision)``; ``category_id=None`` averages
        the categories that have ground truth (as mAP does).
        """
        t, a, m = self._iou_index(iou), self._area_index(area), self._max_det_index(max_dets)
        prec = self.precision[t, :, :, a, m]
        if category_id is None:
            valid = prec[0] > -1
            curve = prec[:, valid].mean(axis=1) if valid.any() else np.full(prec.shape[0], np.nan)
        else:
            hits = np.flatnonzero(self.category_ids == category_id)
            if hits.size == 0:
                raise ValueError(f"category_id {category_id!r} was not evaluated; known ids: {self.category_ids.tolist()}.")
            curve = prec[:, hits[0]]
            curve = np.where(curve > -1, curve, np.nan)
        return self.params.recall_thresholds.copy(), curve

    def _counts_by_threshold(self, iou: float, area: str, max_dets: int | None, category_id):
        """Detections sorted by descending score with cumulative TP / FP, and the positives."""
        t, a = self._iou_index(iou), self._area_index(area)
        max_det = self.params.max_detections[self._max_det_index(max_dets)]
        md = self.matched
        keep = md.rank < max_det
        n_pos = md.n_positive[:, a]
        if category_id is not None:
            hits = np.flatnonzero(self.category_ids == category_id)
            if hits.size == 0:
                raise ValueError(f"category_id {category_id!r} was not evaluated; known ids: {self.category_ids.tolist()}.")
            keep &= md.category_index == hits[0]
            n_pos = n_pos[hits[0]]
        else:
            n_pos = n_pos.sum()
        index = np.flatnonzero(keep)
        index = index[np.argsort(-md.score[index], kind="stable")]
        codes = md.codes[index, t, a]
        return md.score[index], np.cumsum(codes == 1), np.cumsum(codes == 2), int(n_pos)

    def precision_recall_f1(self, score_threshold: float, *, iou: float = 0.5, area: str = "all",
                            max_dets: int | None = None, category_id: int | None = None) -> dict:
        """Precision, recall and F1 of the detections scoring >= ``score_threshold``.

        Counts are pooled over categories (micro average) unless
        ``category_id`` is given; matching is COCO's at IoU ``iou``.
        """
        scores, tp, fp, n_pos = self._counts_by_threshold(iou, area, max_dets, category_id)
        n_kept = int(np.searchsorted(-scores, -score_threshold, side="right"))
        n_tp = int(tp[n_kept - 1]) if n_kept else 0
        n_fp = int(fp[n_kept - 1]) if n_kept else 0
        return _prf(n_tp, n_fp, n_pos, score_threshold)

    def best_f1(self, *, iou: float = 0.5, area: str = "all", max_dets: int | None = None,
                category_id: int | None = None) -> dict:
        """The score threshold with the highest F1 (precision, recall, F1, counts there)."""
        scores, tp, fp, n_pos = self._counts_by_threshold(iou, area, max_dets, category_id)
        if scores.size == 0:
            return _prf(0, 0, n_pos, np.nan)
        # a threshold can only cut between different scores: use the last of each run of ties
        last = np.r_[scores[1:] != scores[:-1], True]
        tp_c, fp_c = tp[last], fp[last]
        f1 = 2 * tp_c / np.maximum(tp_c + fp_c + n_pos, 1)
        best = int(np.argmax(f1))
        return _prf(int(tp_c[best]), int(fp_c[best]), n_pos, float(scores[last][best]))

    def confusion_matrix(self, *, iou: float = 0.5, score_threshold: float = 0.0, max_dets: int | None = None,
                         area: str = "all") -> dict:
        """Class confusion matrix with a background row and column, at one IoU threshold.

        Detections scoring >= ``score_threshold`` (and within ``max_dets`` of
        their image and category) are counted. First COCO's own same-class
        matching at ``iou`` (the same pass as mAP): its true positives are the
        diagonal. Then, per image, the detections left unmatched take, in
        descending score order, the left-over ground truth of another class
        with the highest IoU >= ``iou``: an off-diagonal count (row = the
        ground truth's class, column = the detected class). Detections still
        unmatched count in the background row (false positives), ground truth
        still unmatched in the background column (misses). Crowd regions and
        ground truth outside the area range, and the detections COCO ignores,
        are left out.

        Returns
        -------
        dict
            ``matrix`` (K + 1, K + 1) int64 and ``labels`` (the category ids,
            then "background").
        """
        if self.details is None:
            raise ValueError("confusion_matrix needs the boxes, which an accumulator does not keep; "
                             "use evaluate_detections (or fastscore coco) on the whole set.")
        if not self.params.use_categories:
            raise ValueError("a class confusion matrix needs use_categories=True.")
        t, a = self._iou_index(iou), self._area_index(area)
        max_det = self.params.max_detections[self._max_det_index(max_dets)]
        md, info = self.matched, self.details
        n_cat = len(self.category_ids)
        kept = (md.rank < max_det) & (md.score >= score_threshold)
        codes = md.codes[:, t, a]
        matrix = np.zeros((n_cat + 1, n_cat + 1), dtype=np.int64)
        true_pos = kept & (codes == 1)
        np.add.at(matrix, (md.category_index[true_pos], md.category_index[true_pos]), 1)
        # ground truth COCO counts at this area range, and whether a kept detection took it
        gt = info["gt"]
        lo, hi = self.params.area_ranges[a]
        counted = (gt.iscrowd == 0) & (gt.area >= lo) & (gt.area <= hi)
        taker = info["gt_match"][:, t, a]
        taken = (taker >= 0) & kept[np.maximum(taker, 0)]
        left_gt = np.flatnonzero(counted & ~taken)
        left_dt = np.flatnonzero(kept & (codes == 2))
        # cross-class greedy matching of the leftovers, image by image, by descending score
        left_dt = left_dt[np.lexsort((-md.score[left_dt], md.image_id[left_dt]))]
        left_gt = left_gt[np.argsort(gt.image_id[left_gt], kind="stable")]
        images = np.unique(md.image_id[left_dt])
        d_img, g_img = md.image_id[left_dt], gt.image_id[left_gt]
        dt_match = np.full(len(left_dt), -1, dtype=np.int64)
        from .coco import _CROSS_MATCH

        _, greedy_cross_match = _CROSS_MATCH.resolve()
        greedy_cross_match(np.ascontiguousarray(info["dt_bbox"][left_dt]), np.searchsorted(d_img, images),
                                  np.searchsorted(d_img, images, side="right"), np.ascontiguousarray(gt.bbox[left_gt]),
                                  np.searchsorted(g_img, images), np.searchsorted(g_img, images, side="right"),
                                  float(self.params.iou_thresholds[t]), dt_match)
        hit = dt_match >= 0
        gt_class = info["gt_category_index"][left_gt]
        np.add.at(matrix, (gt_class[dt_match[hit]], md.category_index[left_dt[hit]]), 1)
        np.add.at(matrix, (n_cat, md.category_index[left_dt[~hit]]), 1)
        missed = np.ones(len(left_gt), dtype=bool)
        missed[dt_match[hit]] = False
        np.add.at(matrix, (gt_class[missed], n_cat), 1)
        return {"matrix": matrix, "labels": self.category_ids.tolist() + ["background"]}

    def to_dict(self) -> dict:
        """The summary numbers by name (for JSON)."""
        names = _KEYPOINT_STAT_NAMES if self.iou_type == "keypoints" else _STAT_NAMES
        return {name: float(v) for name, v in zip(names, self.stats)}


_STAT_NAMES = ("AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
               "AR1", "AR10", "AR100", "AR_small", "AR_medium", "AR_large")
_KEYPOINT_STAT_NAMES = ("AP", "AP50", "AP75", "AP_medium", "AP_large", "AR", "AR50", "AR75", "AR_medium", "AR_large")


def _prf(tp: int, fp: int, n_pos: int, threshold) -> dict:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / n_pos if n_pos else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"score_threshold": threshold, "precision": precision, "recall": recall, "f1": f1,
            "tp": tp, "fp": fp, "fn": n_pos - tp}


def evaluate_matched(matched: MatchedDetections, params: CocoParams, image_ids, category_ids, *,
                     iou_type: str = "bbox", backend=None) -> DetectionEvaluation:
    precision, recall, scores = accumulate_matches(matched, params, backend=backend)
    if iou_type == "keypoints":
        stats, lines = summarize(precision, recall, params, iou_type="keypoints")
    elif len(params.max_detections) >= 3:
        stats, lines = summarize(precision, recall, params)
    else:
        stats, lines = np.full(12, np.nan), ()
    return DetectionEvaluation(stats=stats, precision=precision, recall=recall, scores=scores, params=params,
                               image_ids=image_ids, category_ids=category_ids, matched=matched,
                               summary_lines=tuple(lines), iou_type=iou_type)


def resolve_ids(gt: BoxTable, dt: BoxTable, params: CocoParams):
    """The image and category ids to evaluate (sorted, unique) and a warning for stray detections."""
    image_ids = params.image_ids
    if image_ids is None:
        image_ids = np.unique(np.concatenate([gt.image_id, dt.image_id]))
    category_ids = params.category_ids
    if category_ids is None:
        category_ids = np.unique(gt.category_id)
        stray = ids_missing_from(dt.category_id, category_ids)
        if stray.size:
            warnings.warn(
                f"{stray.size} detection category id(s) have no ground truth and are not evaluated "
                f"(first: {stray[:5].tolist()}); pass category_ids=... to evaluate them (they would score -1).",
                UserWarning, stacklevel=3)
    return image_ids, category_ids


@with_ordinary_pages
def evaluate_detections(gt, dt, *, image_ids=None, category_ids=None, iou_thresholds=None,
                        recall_thresholds=None, max_detections=None, area_ranges=None,
                        area_labels=None, use_categories=True, box_format="xywh", iou_type="bbox",
                        image_sizes=None, kpt_oks_sigmas=None, backend=None) -> DetectionEvaluation:
    """COCO mAP/mAR of boxes, masks or keypoints from columns, bit-identical to pycocotools.

    Parameters
    ----------
    gt : mapping or DataFrame
        Ground truth columns: ``image_id``, ``category_id``, ``bbox`` (n, 4);
        optional ``area`` (default: the box area; COCO files give the mask
        area), ``iscrowd`` (default 0) and ``id`` (default 1..n).
    dt : mapping or DataFrame
        Detections: ``image_id``, ``category_id``, ``bbox``, ``score``.
    image_ids, category_ids : array-like, optional
        What to evaluate (pycocotools' imgIds / catIds). By default every
        image with ground truth or detections and every ground-truth category.
    iou_thresholds, recall_thresholds, max_detections, area_ranges, area_labels, use_categories
        pycocotools' iouThrs, recThrs, maxDets, areaRng, areaRngLbl, useCats (the defaults
        of the iou_type: maxDets [1, 10, 100], or [20] and the areas all/medium/large for keypoints).
    box_format : {"xywh", "xyxy", "cxcywh"}
        Layout of both ``bbox`` columns (COCO's is "xywh").
    iou_type : {"bbox", "segm", "keypoints"}
        What is matched. "segm": ``gt['segmentation']`` holds each object's polygons
        (merged) or RLE dict, ``dt['segmentation']`` RLE dicts (compressed or not);
        a detection's area is its mask's (pycocotools' segmentation results) and its
        ``bbox`` may be left out. "keypoints": ``keypoints`` columns of 3K numbers
        [x1, y1, v1, ...]; ``gt['num_keypoints']`` (default: the visible ones; 0 is
        ignored, as crowds) and a ground truth's ``bbox`` and ``area`` are used; a
        detection's box and area are those around its keypoints.
    image_sizes : mapping, optional
        {image_id: (height, width)}, needed when ground-truth masks are polygons.
    kpt_oks_sigmas : array-like, optional
        One sigma per keypoint (default: COCO's 17 person-keypoint sigmas).
    backend : str, optional

    Returns
    -------
    DetectionEvaluation

    Examples
    --------
    >>> from fastscore.detection import evaluate_detections
    >>> gt = {"image_id": [1, 1], "category_id": [1, 1],
    ...       "bbox": [[0, 0, 10, 10], [20, 20, 10, 10]]}
    >>> dt = {"image_id": [1, 1], "category_id": [1, 1],
    ...       "bbox": [[0, 0, 10, 10], [50, 50, 5, 5]], "score": [0.9, 0.8]}
    >>> result = evaluate_detections(gt, dt)
    >>> round(float(result.stats[1]), 4)  # AP at IoU 0.5: one of two found, at the top score
    0.505
    """
    from .._config import requested_backend  # noqa: F401  (validates the name early)

    params = default_params(iou_type, image_ids=image_ids, category_ids=category_ids, iou_thresholds=iou_thresholds,
                            recall_thresholds=recall_thresholds, max_detections=max_detections,
                            area_ranges=area_ranges, area_labels=area_labels, use_categories=use_categories)
    columns = read_instances(gt, dt, iou_type, box_format=box_format, image_sizes=image_sizes,
                             kpt_oks_sigmas=kpt_oks_sigmas)
    gt_table, dt_table = columns.gt, columns.dt
    check_ground_truth_ids(gt_table)
    img_ids, cat_ids = resolve_ids(gt_table, dt_table, params)
    matched, info = match_detections(gt_table, dt_table, params, img_ids, cat_ids, backend=backend,
                                     **columns.match_options(params))
    shown_cats = cat_ids if params.use_categories else np.array([-1])
    result = evaluate_matched(matched, params, img_ids, shown_cats, iou_type=iou_type, backend=backend)
    if iou_type != "bbox":
        return result  # the confusion matrix matches boxes: box evaluations only
    details = {"gt": gt_table.take(info["gt_index"]), "gt_category_index": info["gt_category_index"],
               "gt_match": info["gt_match"], "dt_bbox": dt_table.bbox[info["dt_index"]]}
    return dataclasses.replace(result, details=details)


def default_params(iou_type: str, *, image_ids=None, category_ids=None, iou_thresholds=None, recall_thresholds=None,
                   max_detections=None, area_ranges=None, area_labels=None, use_categories=True) -> CocoParams:
    """Checked CocoParams with pycocotools' defaults for the iou_type where a value is None."""
    keypoints = iou_type == "keypoints"
    if max_detections is None:
        max_detections = (20,) if keypoints else (1, 10, 100)
    if area_ranges is None and keypoints:
        area_ranges = [list(r) for r in KEYPOINT_AREA_RANGES]
        area_labels = KEYPOINT_AREA_LABELS if area_labels is None else area_labels
    return CocoParams(
        image_ids=image_ids, category_ids=category_ids,
        iou_thresholds=default_if_none(iou_thresholds, "iou"), recall_thresholds=default_if_none(recall_thresholds, "rec"),
        max_detections=max_detections, area_ranges=default_if_none(area_ranges, "area"),
        area_labels=area_labels if area_labels is not None else ("all", "small", "medium", "large"),
        use_categories=use_categories).checked()


def default_if_none(value, kind: str):
    from .coco import default_area_ranges, default_iou_thresholds, default_recall_thresholds

    if value is not None:
        return value
    return {"iou": default_iou_thresholds, "rec": default_recall_thresholds, "area": default_area_ranges}[kind]()


class CocoAccumulator(Accumulator):
    """COCO bbox evaluation built shard by shard (accumulator protocol).

    Each ``update(gt, dt)`` matches one shard of images (an image's ground
    truth and detections must all be in the same shard: shards that share an
    image refuse to merge). The state keeps one small record per detection
    (its image, category, rank, score and outcome codes) and the ground-truth
    counts, so ``compute()`` gives exactly the numbers of one
    ``evaluate_detections`` call over all shards.

    Parameters
    ----------
    category_ids : array-like, optional
        Categories to evaluate; by default every ground-truth category seen.
        Required when ``use_categories=False``.
    iou_thresholds, recall_thresholds, max_detections, area_ranges, area_labels, use_categories, box_format
        As in ``evaluate_detections``.
    iou_type, image_sizes, kpt_oks_sigmas
        As in ``evaluate_detections``: shards of masks or keypoints (``image_sizes`` may
        also be given to each ``update``).

    Examples
    --------
    >>> from fastscore.detection import CocoAccumulator
    >>> acc = CocoAccumulator()
    >>> acc.update({"image_id": [1], "category_id": [3], "bbox": [[0, 0, 10, 10]]},
    ...            {"image_id": [1], "category_id": [3], "bbox": [[0, 0, 10, 10]], "score": [0.9]})
    CocoAccumulator(...)
    >>> acc.update({"image_id": [2], "category_id": [3], "bbox": [[5, 5, 10, 10]]},
    ...            {"image_id": [2], "category_id": [3], "bbox": [[50, 50, 10, 10]], "score": [0.8]})
    CocoAccumulator(...)
    >>> round(float(acc.compute().stats[1]), 4)
    0.505
    """

    _params = ("params_key", "box_format")

    def __init__(self, *, category_ids=None, iou_thresholds=None, recall_thresholds=None,
                 max_detections=None, area_ranges=None, area_labels=None, use_categories=True,
                 box_format="xywh", iou_type="bbox", image_sizes=None, kpt_oks_sigmas=None):
        self.params = default_params(iou_type, category_ids=category_ids, iou_thresholds=iou_thresholds,
                                     recall_thresholds=recall_thresholds, max_detections=max_detections,
                                     area_ranges=area_ranges, area_labels=area_labels, use_categories=use_categories)
        if not self.params.use_categories and self.params.category_ids is None:
            raise ValueError("with use_categories=False, pass category_ids=... (the categories pooled per image).")
        self.box_format = box_format
        self.iou_type = iou_type
        self.image_sizes = image_sizes
        self.kpt_oks_sigmas = None if kpt_oks_sigmas is None else np.asarray(kpt_oks_sigmas, dtype=np.float64)
        self.params_key = repr((self.params.category_ids, self.params.iou_thresholds, self.params.recall_thresholds,
                                self.params.max_detections, self.params.area_ranges, self.params.area_labels,
                                self.params.use_categories, iou_type,
                                None if kpt_oks_sigmas is None else self.kpt_oks_sigmas.tolist()))
        self.reset()

    def _initial_state(self):
        n_thr, n_area = len(self.params.iou_thresholds), len(self.params.area_ranges)
        return {
            "image_ids": np.zeros(0, np.int64),
            "gt_category_ids": np.zeros(0, np.int64),
            "gt_positive": np.zeros((0, n_area), np.int64),
            "dt_image_id": np.zeros(0, np.int64),
            "dt_category_id": np.zeros(0, np.int64),
            "dt_rank": np.zeros(0, np.int64),
            "dt_score": np.zeros(0),
            "dt_codes": np.zeros((0, n_thr, n_area), np.uint8),
            # ground truths not ignored per (image, category) and area (image multiplicities: compare)
            "pos_image_id": np.zeros(0, np.int64),
            "pos_category_id": np.zeros(0, np.int64),
            "pos_counts": np.zeros((0, n_area), np.int64),
        }

    def update(self, gt, dt, *, image_ids=None, image_sizes=None, sample_weight=None):
        """Add one shard: its ground truth and detections (columns as in evaluate_detections).

        ``image_ids`` lists the shard's images (default: those in gt or dt).
        """
        if sample_weight is not None:
            raise ValueError("COCO evaluation does not take sample weights.")
        columns = read_instances(gt, dt, self.iou_type, box_format=self.box_format,
                                 image_sizes=self.image_sizes if image_sizes is None else image_sizes,
                                 kpt_oks_sigmas=self.kpt_oks_sigmas)
        gt_t, dt_t = columns.gt, columns.dt
        check_ground_truth_ids(gt_t)
        shard_images = np.unique(np.concatenate([gt_t.image_id, dt_t.image_id]) if image_ids is None
                                 else np.asarray(image_ids, dtype=np.int64))
        outside = np.setdiff1d(np.concatenate([gt_t.image_id, dt_t.image_id]), shard_images)
        if outside.size:
            raise ValueError(f"annotations refer to images not in image_ids (first: {outside[:5].tolist()}).")
        self._check_disjoint(shard_images)
        cats = self.params.category_ids
        if cats is None:
            cats = np.unique(np.concatenate([gt_t.category_id, dt_t.category_id]))
        matched, info = match_detections(gt_t, dt_t, self.params, shard_images, cats,
                                         **columns.match_options(self.params))
        k_ids = cats[matched.category_index] if self.params.use_categories else np.zeros(len(matched.rank), np.int64)
        pos_ids = cats if self.params.use_categories else np.zeros(1, np.int64)
        has_gt = np.isin(pos_ids, gt_t.category_id) if self.params.use_categories else np.ones(1, bool)
        rows = info["gt_index"]
        by_image = positives_by_image(gt_t.image_id[rows], pos_ids[info["gt_category_index"]]
                                      if self.params.use_categories else np.zeros(len(rows), np.int64),
                                      gt_t.area[rows], info["gt_ignored"][rows] == 0, self.params.area_ranges)
        self._add(shard_images, pos_ids[has_gt], matched.n_positive[has_gt], matched.image_id, k_ids,
                  matched.rank, matched.score, matched.codes, by_image)
        return self

    def _check_disjoint(self, images):
        shared = np.intersect1d(self.image_ids, images)
        if shared.size:
            raise ValueError(
                f"image {int(shared[0])} is in two shards ({shared.size} shared); put all of an image's ground truth "
                f"and detections in one shard (split the data by image id)."
            )

    def _add(self, images, cat_ids, positive, img, cat, rank, score, codes, by_image):
        all_cats = np.union1d(self.gt_category_ids, cat_ids)
        merged = np.zeros((len(all_cats), self.gt_positive.shape[1]), np.int64)
        merged[np.searchsorted(all_cats, self.gt_category_ids)] += self.gt_positive
        merged[np.searchsorted(all_cats, cat_ids)] += positive
        self.gt_category_ids, self.gt_positive = all_cats, merged
        self.image_ids = np.union1d(self.image_ids, images)
        self.dt_image_id = np.concatenate([self.dt_image_id, img])
        self.dt_category_id = np.concatenate([self.dt_category_id, cat])
        self.dt_rank = np.concatenate([self.dt_rank, rank])
        self.dt_score = np.concatenate([self.dt_score, score])
        self.dt_codes = np.concatenate([self.dt_codes, codes], axis=0)
        self.pos_image_id = np.concatenate([self.pos_image_id, by_image[0]])
        self.pos_category_id = np.concatenate([self.pos_category_id, by_image[1]])
        self.pos_counts = np.concatenate([self.pos_counts, by_image[2]], axis=0)

    def merge(self, other):
        """Add another shard's state (it must hold other images) and return ``self``."""
        self._check_mergeable(other)
        self._check_disjoint(other.image_ids)
        self._add(other.image_ids, other.gt_category_ids, other.gt_positive, other.dt_image_id,
                  other.dt_category_id, other.dt_rank, other.dt_score, other.dt_codes,
                  (other.pos_image_id, other.pos_category_id, other.pos_counts))
        return self

    def compute(self, *, backend=None) -> DetectionEvaluation:
        """The evaluation of every shard added so far."""
        cats = self.params.category_ids
        if cats is None:
            cats = self.gt_category_ids
        if self.params.use_categories:
            k = _index_of(self.dt_category_id, cats)
            n_positive = np.zeros((len(cats), self.gt_positive.shape[1]), np.int64)
            known = _index_of(self.gt_category_ids, cats)
            n_positive[known[known >= 0]] = self.gt_positive[known >= 0]
            shown = cats
        else:
            k = np.zeros(len(self.dt_rank), np.int64)
            n_positive = self.gt_positive.sum(axis=0, keepdims=True)
            shown = np.array([-1])
        keep = np.flatnonzero(k >= 0)
        # shards arrive in any order: by category, image and rank, as one call would give
        keep = keep[np.lexsort((self.dt_rank[keep], self.dt_image_id[keep], k[keep]))]
        matched = MatchedDetections(image_id=self.dt_image_id[keep], category_index=k[keep], rank=self.dt_rank[keep],
                                    score=self.dt_score[keep], codes=self.dt_codes[keep], n_positive=n_positive)
        return evaluate_matched(matched, self.params, self.image_ids, shown, iou_type=self.iou_type, backend=backend)

