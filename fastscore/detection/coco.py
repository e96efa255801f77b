"""COCO bounding-box evaluation (mAP/mAR), bit-identical to pycocotools.

The annotations stay columnar from the moment they are read: one array per
field, sorted once by (image, category) and by descending score. One
compiled pass matches every (image, category) group for all IoU thresholds
and area ranges (pycocotools' greedy matching), and one pass per category
builds the precision/recall arrays (pycocotools' accumulate). The maxDets=1
and 10 curves are prefixes of the maxDets=100 matching, picked by a
detection's rank in its image, not by sorting again.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from .._config import family_kernel, map_threads, n_threads
from .._state import Accumulator
from .._validation import as_real_array


def _kernel(name: str, function: str):
    """A detection kernel: Cython (compiled at install) first, then Numba, then the reference."""
    return family_kernel("detection", function, name)


_MATCH = _kernel("COCO matching", "coco_match_groups")
_ACCUMULATE = _kernel("COCO accumulation", "coco_accumulate")
_GROUP_SORT = _kernel("group sort", "group_sort")
_BOX_PROBLEMS = _kernel("box table check", "box_table_problems")
_CROSS_MATCH = _kernel("cross-class matching", "greedy_cross_match")

AREA_LABELS = ("all", "small", "medium", "large")


def default_iou_thresholds() -> np.ndarray:
    """pycocotools' IoU thresholds 0.50:0.05:0.95 (the same linspace call, same bits)."""
    return np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)


def default_recall_thresholds() -> np.ndarray:
    """pycocotools' 101 recall thresholds 0:0.01:1."""
    return np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)


def default_area_ranges() -> list[list[float]]:
    """pycocotools' area ranges: all, small (< 32^2), medium, large (> 96^2)."""
    return [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]


@dataclass
class CocoParams:
    """Evaluation parameters, named as in pycocotools' ``Params`` (see there).

    ``image_ids`` / ``category_ids`` of None mean "every id in the ground
    truth" (the columnar API also adds images that only have detections).
    """

    image_ids: np.ndarray | None = None
    category_ids: np.ndarray | None = None
    iou_thresholds: np.ndarray = field(default_factory=default_iou_thresholds)
    recall_thresholds: np.ndarray = field(default_factory=default_recall_thresholds)
    max_detections: tuple = (1, 10, 100)
    area_ranges: list = field(default_factory=default_area_ranges)
    area_labels: tuple = AREA_LABELS
    use_categories: bool = True

    def checked(self) -> "CocoParams":
        """A validated copy with sorted unique ids, sorted maxDets and float arrays."""
        iou = np.asarray(self.iou_thresholds, dtype=np.float64).reshape(-1)
        rec = np.asarray(self.recall_thresholds, dtype=np.float64).reshape(-1)
        for name, arr in (("iou_thresholds (iouThrs)", iou), ("recall_thresholds (recThrs)", rec)):
            if arr.size == 0:
                raise ValueError(f"{name} is empty; give at least one threshold in [0, 1].")
            if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
                raise ValueError(f"{name} must hold finite values in [0, 1], got {arr.tolist()}.")
        try:
            max_dets = sorted(int(m) for m in np.atleast_1d(self.max_detections))
        except (TypeError, ValueError):
            raise TypeError(f"max_detections (maxDets) must be a list of positive integers, got {self.max_detections!r}.") from None
        if not max_dets or max_dets[0] < 1:
            raise ValueError(f"max_detections (maxDets) must be positive integers, got {self.max_detections!r}.")
        areas = np.asarray(self.area_ranges, dtype=np.float64)
        if areas.ndim != 2 or areas.shape[1] != 2 or areas.shape[0] == 0:
            raise ValueError(f"area_ranges (areaRng) must be a list of [low, high] pairs, got {self.area_ranges!r}.")
        if np.isnan(areas).any():
            raise ValueError("area_ranges (areaRng) contains NaN; give [low, high] numbers.")
        labels = tuple(self.area_labels)
        if len(labels) != areas.shape[0]:
            raise ValueError(
                f"area_labels (areaRngLbl) has {len(labels)} labels for {areas.shape[0]} area ranges; give one label per range."
            )
        return CocoParams(
            image_ids=None if self.image_ids is None else _unique_ids(self.image_ids, "image_ids (imgIds)"),
            category_ids=None if self.category_ids is None else _unique_ids(self.category_ids, "category_ids (catIds)"),
            iou_thresholds=iou, recall_thresholds=rec, max_detections=tuple(max_dets),
            area_ranges=areas, area_labels=labels, use_categories=bool(self.use_categories),
        )


def _unique_ids(ids, name: str) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.dtype.kind not in "iu" and arr.size:
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must be integers, got {arr.dtype} values.")
    return np.unique(arr.astype(np.int64).reshape(-1))


# --------------------------------------------------------------------------- columns

_BOX_FORMATS = ("xywh", "xyxy", "cxcywh")


def to_xywh(boxes: np.ndarray, box_format: str) -> np.ndarray:
    """Convert (n, 4) boxes to COCO's [x, y, width, height]."""
    if box_format == "xywh":
        return boxes
    out = np.empty_like(boxes)
    if box_format == "xyxy":
        out[:, :2] = boxes[:, :2]
        out[:, 2:] = boxes[:, 2:] - boxes[:, :2]
    elif box_format == "cxcywh":
        out[:, :2] = boxes[:, :2] - boxes[:, 2:] / 2
        out[:, 2:] = boxes[:, 2:]
    else:
        raise ValueError(f"box_format must be one of {', '.join(map(repr, _BOX_FORMATS))}, got {box_format!r}.")
    return out


MAX_COORDINATE = 1e150  # beyond it a width times a height overflows float64


def read_boxes(boxes, name: str) -> np.ndarray:
    """An (n, 4) float64 array from a list, an array, or a pandas column of 4-lists."""
    if hasattr(boxes, "to_numpy"):
        boxes = boxes.to_numpy()
    try:
        # an object column (pandas' column of 4-lists) is read through its lists; strings, complex
        # numbers and other objects are refused, not parsed or cast
        arr = as_real_array(boxes.tolist() if getattr(boxes, "dtype", None) == object else boxes, name)
    except ValueError:
        raise TypeError(f"{name} could not be read as an (n, 4) array of numbers.") from None
    if arr.size == 0:
        arr = arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name} must have shape (n, 4), got {arr.shape}.")
    with np.errstate(invalid="ignore"):  # NaN and inf are reported by the callers' checks
        beyond = np.abs(arr) > MAX_COORDINATE
    beyond &= np.isfinite(arr)
    if beyond.any():
        i = int(np.flatnonzero(beyond.any(axis=1))[0])
        raise ValueError(f"{name}[{i}] = {arr[i].tolist()} has a coordinate beyond 1e150, where box areas overflow; "
                         f"rescale the boxes (IoU does not depend on the scale).")
    return arr


def _column(data, key: str, what: str):
    try:
        return data[key]
    except (KeyError, IndexError, ValueError):
        return None


def _crowd_flags(values, n: int) -> np.ndarray:
    """gt['iscrowd'] as 0/1 flags: numbers 0 or 1, or booleans."""
    arr = as_real_array(values, "gt['iscrowd']")
    if arr.shape != (n,):
        raise ValueError(f"gt['iscrowd'] must have one entry per box ({n}), got shape {arr.shape}.")
    bad = ~np.isin(arr, (0.0, 1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"gt['iscrowd'][{i}] = {arr[i].item()!r}; crowd flags are 0 or 1 (or booleans).")
    return (arr != 0).astype(np.uint8)


def _int_column(values, name: str, n: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have one entry per box ({n}), got shape {arr.shape}.")
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)) or np.any(np.abs(arr) >= 2.0 ** 63):
            raise ValueError(f"{name} must hold integers within int64; found non-integer, non-finite or too large "
                             f"values.")
        return arr.astype(np.int64)
    raise TypeError(f"{name} must hold integer ids, got dtype {arr.dtype}.")


@dataclass
class BoxTable:
    """Columnar boxes of one side (ground truth or detections), COCO's fields."""

    image_id: np.ndarray
    category_id: np.ndarray
    bbox: np.ndarray  # (n, 4) float64, xywh
    area: np.ndarray
    iscrowd: np.ndarray  # uint8
    id: np.ndarray
    score: np.ndarray | None = None

    def __len__(self) -> int:
        return self.image_id.shape[0]

    @classmethod
    def from_columns(cls, data, *, side: str, box_format: str = "xywh") -> "BoxTable":
        """Read a mapping or DataFrame with COCO's field names.

        Ground truth (side="gt") needs image_id, category_id, bbox; optional
        area (default: box area), iscrowd (default 0), id (default 1..n).
        Detections (side="dt") also need score; their area is the box area
        and their ids 1..n, as pycocotools' loadRes sets them.
        """
        if isinstance(data, BoxTable):
            return data
        name = "gt" if side == "gt" else "dt"
        missing = [k for k in ("image_id", "category_id", "bbox") + (("score",) if side == "dt" else ())
                   if _column(data, k, name) is None]
        if missing:
            raise ValueError(
                f"{name} lacks the column(s) {missing}; pass a mapping (dict or DataFrame) with "
                f"image_id, category_id, bbox{', score' if side == 'dt' else ''}."
            )
        bbox = read_boxes(_column(data, "bbox", name), f"{name}['bbox']")
        n = bbox.shape[0]
        bbox = np.ascontiguousarray(to_xywh(bbox, box_format))
        image_id = _int_column(_column(data, "image_id", name), f"{name}['image_id']", n)
        category_id = _int_column(_column(data, "category_id", name), f"{name}['category_id']", n)
        score = None
        if side == "dt":
            score = np.ascontiguousarray(as_real_array(_column(data, "score", name), "dt['score']"))
            if score.shape != (n,):
                raise ValueError(f"dt['score'] must have one score per box ({n}), got shape {score.shape}.")
            area = bbox[:, 2] * bbox[:, 3]
            crowd = np.zeros(n, dtype=np.uint8)
            ids = np.arange(1, n + 1, dtype=np.int64)
        else:
            area_col = _column(data, "area", name)
            area = bbox[:, 2] * bbox[:, 3] if area_col is None else as_real_array(area_col, "gt['area']")
            crowd_col = _column(data, "iscrowd", name)
            crowd = np.zeros(n, dtype=np.uint8) if crowd_col is None else _crowd_flags(crowd_col, n)
            id_col = _column(data, "id", name)
            ids = np.arange(1, n + 1, dtype=np.int64) if id_col is None else _int_column(id_col, "gt['id']", n)
            if area.shape != (n,) or crowd.shape != (n,):
                raise ValueError(f"gt['area'] and gt['iscrowd'] must have one entry per box ({n}).")
        table = cls(image_id, category_id, bbox, np.ascontiguousarray(area), crowd, ids, score)
        table.validate(name)
        return table

    def validate(self, name: str) -> None:
        # one compiled pass finds the first row of each problem; reported in this order
        no_score = np.empty(0)
        _, problems = _BOX_PROBLEMS.resolve()
        bad_box, negative, bad_area, bad_score = problems(
            self.bbox, self.area, no_score if self.score is None else self.score).tolist()
        if bad_box >= 0:
            i = bad_box
            raise ValueError(f"{name} box {i} (id {self.id[i]}) has a NaN or infinite coordinate: {self.bbox[i].tolist()}.")
        if negative >= 0:
            i = negative
            raise ValueError(
                f"{name} box {i} (id {self.id[i]}) has a negative width or height: {self.bbox[i].tolist()} "
                f"(COCO boxes are [x, y, width, height]; pass box_format='xyxy' for corner coordinates)."
            )
        if bad_area >= 0:
            i = bad_area
            raise ValueError(f"{name} annotation {i} (id {self.id[i]}) has a non-finite area {self.area[i]}.")
        if bad_score >= 0:
            i = bad_score
            raise ValueError(f"{name} detection {i} has a non-finite score {self.score[i]}; scores must be finite numbers.")

    def take(self, index) -> "BoxTable":
        return BoxTable(self.image_id[index], self.category_id[index], self.bbox[index], self.area[index],
                        self.iscrowd[index], self.id[index], None if self.score is None else self.score[index])


def check_ground_truth_ids(gt: BoxTable) -> None:
    """Duplicate ids are an error; id 0 a warning (pycocotools reads a match to it as none)."""
    ids = gt.id
    if ids.size:
        sorted_ids = np.sort(ids)
        dup = sorted_ids[1:][sorted_ids[1:] == sorted_ids[:-1]]
        if dup.size:
            raise ValueError(
                f"ground-truth annotation ids must be unique; id {int(dup[0])} appears more than once "
                f"({dup.size} duplicates). pycocotools would keep only the last annotation of each id."
            )
        if (ids == 0).any():
            warnings.warn(
                "a ground-truth annotation has id 0: pycocotools counts a detection matched to it as a false "
                "positive (it stores matches by id and 0 means 'none'). fastscore keeps pycocotools' numbers; "
                "renumber the annotations from 1 to avoid it.", UserWarning, stacklevel=3)


# --------------------------------------------------------------------------- evaluation state


@dataclass
class MatchedDetections:
    """The outcome of matching, per detection, enough to accumulate any subset of images.

    Arrays are aligned: one entry per detection kept (rank < maxDets[-1]), in
    image order and, within an image, in rank order (for each category).
    ``codes[i, t, a]`` is 0 ignored, 1 true positive, 2 false positive.
    """

    image_id: np.ndarray
    category_index: np.ndarray
    rank: np.ndarray
    score: np.ndarray
    codes: np.ndarray
    n_positive: np.ndarray  # (K, A) ground truths not ignored


def _index_of(ids: np.ndarray, universe: np.ndarray) -> np.ndarray:
    """Index of each id in the sorted ``universe``; -1 where absent."""
    if len(universe) and universe[0] >= 0 and universe[-1] < max(4 * (len(ids) + len(universe)), 1 << 16):
        # small non-negative ids (the usual COCO numbering): a lookup table
        table = np.full(int(universe[-1]) + 2, -1, dtype=np.int64)
        table[universe] = np.arange(len(universe))
        return table[np.clip(ids, -1, universe[-1] + 1)]
    pos = np.searchsorted(universe, ids)
    pos = np.minimum(pos, max(len(universe) - 1, 0))
    found = universe[pos] == ids if len(universe) else np.zeros(ids.shape, bool)
    return np.where(found, pos, -1)


def ids_missing_from(ids: np.ndarray, known) -> np.ndarray:
    """The distinct values of ``ids`` that are not in ``known`` (sorted)."""
    missing = ids[_index_of(ids, np.unique(np.asarray(known, dtype=np.int64))) < 0]
    return np.unique(missing)


def _sort_by_group(keys: np.ndarray, n_keys: int, values: np.ndarray, backend=None):
    """Stable order by (key, value) and the start of each key's run."""
    if n_keys <= max(4 * len(keys), 1 << 16):
        _, group_sort = _GROUP_SORT.resolve(backend)
        if values is None:
            return group_sort(keys, n_keys, np.zeros(0), False)
        return group_sort(keys, n_keys, values)
    order = np.argsort(keys, kind="stable") if values is None else np.lexsort((values, keys))  # too many (image, category) keys for a counting sort
    return order, np.searchsorted(keys[order], np.arange(n_keys + 1))


def match_detections(gt: BoxTable, dt: BoxTable, params: CocoParams, image_ids: np.ndarray,
                     category_ids: np.ndarray, *, unmatched_ignored=None, record_pairs=False,
                     gt_ignored=None, pair_ious=None, backend=None) -> tuple[MatchedDetections, dict]:
    """Sort, group and greedily match; returns the per-detection outcome.

    By default the IoUs are box IoUs. ``pair_ious``, a function of the group
    layout ``(groups, gt_starts, dt_lo, dt_hi, gt_index, dt_index)``, gives
    them instead (mask IoU, keypoint OKS): ``(values, pair_start)`` with group
    ``grp``'s (n_d, n_g) block of detection-by-ground-truth values at
    ``values[pair_start[grp]:]``. ``gt_ignored`` (one flag per ground truth,
    default the crowd flags) marks ground truths ignored at every area.

    ``unmatched_ignored`` (one flag per detection) marks detections that are
    ignored when they match nothing (LVIS' non-exhaustive categories). With
    ``record_pairs`` the extra dict also holds ``dt_match[d, t, a]``, the
    ground-truth position each detection took (-1: none), and the group
    bounds (for pycocotools' evalImgs).

    Also returns what the error analyses of the result object need: the
    sorted ground truth (``gt_index`` into ``gt``) with ``gt_match[g, t, a]``,
    the position of the detection that took it (-1: none), and the
    detections' boxes in the same order as the MatchedDetections.
    """
    n_cat = len(category_ids)
    n_img = len(image_ids)
    g_img = _index_of(gt.image_id, image_ids)
    g_cat = _index_of(gt.category_id, category_ids)
    g_keep = np.flatnonzero((g_img >= 0) & (g_cat >= 0))
    d_img = _index_of(dt.image_id, image_ids)
    d_cat = _index_of(dt.category_id, category_ids)
    d_keep = np.flatnonzero((d_img >= 0) & (d_cat >= 0))
    neg_score = -dt.score
    if params.use_categories:
        # groups in (image, category) order: results files come image by image, so the
        # counting sort reads and writes nearby slots; accumulate() then takes each
        # category's detections in image order (a stable sort by category)
        n_groups = n_img * n_cat
        g_key = g_img[g_keep] * n_cat + g_cat[g_keep]
        d_key = d_img[d_keep] * n_cat + d_cat[d_keep]
    else:
        # one group per image; before the score sort, its detections are ordered by
        # category (in id order) then file order, as pycocotools concatenates them
        n_groups = n_img
        g_keep = g_keep[np.argsort(g_cat[g_keep], kind="stable")]
        d_keep = d_keep[np.argsort(d_cat[d_keep], kind="stable")]
        g_key = g_img[g_keep]
        d_key = d_img[d_keep]
    # ground truth in (group, file) order; detections in (group, descending score) order, stable
    g_sub, gt_starts = _sort_by_group(g_key, n_groups, None, backend)
    d_sub, dt_starts = _sort_by_group(d_key, n_groups, neg_score[d_keep], backend)
    gt_index = g_keep[g_sub]
    dt_index = d_keep[d_sub]
    d_key_sorted = d_key[d_sub]
    rank = np.arange(len(dt_index)) - dt_starts[d_key_sorted]
    max_det = params.max_detections[-1]
    groups = np.flatnonzero(dt_starts[1:] > dt_starts[:-1])
    dt_lo = dt_starts[:-1]
    dt_hi = np.minimum(dt_starts[1:], dt_lo + max_det)  # pycocotools keeps the top maxDets[-1] per group

    n_thr = len(params.iou_thresholds)
    n_area = len(params.area_ranges)
    codes = np.zeros((len(dt_index), n_thr, n_area), dtype=np.uint8)
    gt_match = np.full((len(gt_index), n_thr, n_area), -1, dtype=np.int64)
    dt_match = np.full((len(dt_index) if record_pairs else 0, n_thr, n_area), -1, dtype=np.int64)
    free_ignored = np.zeros(len(dt), np.uint8) if unmatched_ignored is None else unmatched_ignored.astype(np.uint8)
    gt_ignored = gt.iscrowd if gt_ignored is None else np.ascontiguousarray(gt_ignored, dtype=np.uint8)
    if pair_ious is None:
        given, pair_start = np.zeros(0), np.zeros(0, np.int64)
    else:
        given, pair_start = pair_ious(groups, gt_starts, dt_lo, dt_hi, gt_index, dt_index)
    _, match = _MATCH.resolve(backend)
    chunks = np.array_split(groups, max(1, min(len(groups), 4 * n_threads())))
    map_threads(lambda chunk: match(chunk, gt_starts[:-1], gt_starts[1:], dt_lo, dt_hi, gt_index, dt_index,
                                    gt.bbox, gt.area, gt.iscrowd, gt.id, dt.bbox, dt.area, dt.id, free_ignored,
                                    gt_ignored, given, pair_start, params.iou_thresholds, params.area_ranges, codes,
                                    gt_match, dt_match), chunks)
    pairs = {}
    if record_pairs:  # positions before the maxDets cut, as the group bounds use them
        pairs = dict(dt_match=dt_match, codes_all=codes, dt_index_all=dt_index, gt_index_all=gt_index,
                     gt_starts=gt_starts, dt_starts=dt_starts, dt_keep_upto=dt_hi, n_groups=n_groups)
    kept = rank < max_det
    if not kept.all():
        keep = np.flatnonzero(kept)
        dt_index, rank, codes, d_key_sorted = dt_index[keep], rank[keep], codes[keep], d_key_sorted[keep]
        new_position = np.cumsum(kept) - 1  # only kept detections match: renumber their positions
        gt_match = np.where(gt_match >= 0, new_position[np.maximum(gt_match, 0)], -1)

    g_cat_s = g_cat[gt_index]
    k_gt = g_cat_s if params.use_categories else np.zeros(len(gt_index), np.int64)
    n_k = n_cat if params.use_categories else 1
    n_positive = np.zeros((n_k, n_area), dtype=np.int64)
    g_area = gt.area[gt_index]
    regular = gt_ignored[gt_index] == 0
    for a, (lo, hi) in enumerate(params.area_ranges):
        counted = regular & (g_area >= lo) & (g_area <= hi)
        n_positive[:, a] = np.bincount(k_gt[counted], minlength=n_k)
    d_cat_s = d_cat[dt_index]
    matched = MatchedDetections(
        image_id=dt.image_id[dt_index], category_index=d_cat_s if params.use_categories else np.zeros(len(dt_index), np.int64),
        rank=rank, score=dt.score[dt_index], codes=codes, n_positive=n_positive)
    extra = {"gt_index": gt_index, "gt_category_index": g_cat_s, "gt_match": gt_match, "dt_index": dt_index,
             "dt_category_index": d_cat_s, "gt_ignored": gt_ignored}
    extra.update(pairs)
    return matched, extra


def positives_by_image(image_id, category, area, regular, area_ranges):
    """The ground truths not ignored of each (image, category) in each area range:
    (image ids, categories, counts (n, A)), one row per (image, category) that has any."""
    inside = np.stack([regular & (area >= lo) & (area <= hi) for lo, hi in area_ranges], axis=1).astype(np.int64)
    keys, inverse = np.unique(np.stack([np.asarray(image_id, np.int64), np.asarray(category, np.int64)], axis=1),
                              axis=0, return_inverse=True)
    counts = np.zeros((len(keys), len(area_ranges)), np.int64)
    np.add.at(counts, inverse.reshape(-1), inside)
    return keys[:, 0], keys[:, 1], counts


def accumulation_order(matched: MatchedDetections, n_k: int, backend=None, *, by_score=False):
    """(order, category starts): the detections by category in (image, rank) order; with
    ``by_score`` also by descending score within a category, stable (the kernel's own order,
    which it then finds sorted and keeps)."""
    _, group_sort = _GROUP_SORT.resolve(backend)
    order, cat_start = group_sort(matched.category_index, n_k, matched.score, False)
    if by_score:
        for k in range(n_k):
            members = order[cat_start[k]:cat_start[k + 1]]
            order[cat_start[k]:cat_start[k + 1]] = members[np.argsort(-matched.score[members], kind="stable")]
    return order, cat_start


def accumulate_matches(matched: MatchedDetections, params: CocoParams, *, backend=None, contiguous=True):
    """pycocotools' accumulate(): precision (T,R,K,A,M), recall (T,K,A,M), scores (T,R,K,A,M)."""
    n_k = matched.n_positive.shape[0]
    T, R = len(params.iou_thresholds), len(params.recall_thresholds)
    A, M = len(params.area_ranges), len(params.max_detections)
    # the kernels write (K, A, M, T, R): one curve in one piece; pycocotools' (T, R, K, A, M) below
    precision = np.full((n_k, A, M, T, R), -1.0)
    recall = np.full((n_k, A, M, T), -1.0)
    scores = np.full((n_k, A, M, T, R), -1.0)
    # within a category: descending score, ties by image id then rank in the image. The
    # detections come in (image, rank) order, so two stable sorts give that order.
    order, cat_start = accumulation_order(matched, n_k, backend)
    max_dets = np.asarray(params.max_detections, dtype=np.int64)
    _, accumulate = _ACCUMULATE.resolve(backend)
    bounds = np.linspace(0, n_k, min(n_k, 4 * n_threads()) + 1).astype(np.int64)
    map_threads(lambda lohi: accumulate(lohi[0], lohi[1], cat_start, order, matched.codes, matched.rank,
                                        matched.score, max_dets, matched.n_positive, params.recall_thresholds,
                                        precision, recall, scores), zip(bounds[:-1], bounds[1:]))
    # pycocotools' (T, R, K, A, M) layout in memory too: a sum over the array then adds in its order
    # (``contiguous=False``: transposed views, for callers that only index them)
    views = precision.transpose(3, 4, 0, 1, 2), recall.transpose(3, 0, 1, 2), scores.transpose(3, 4, 0, 1, 2)
    return tuple(np.ascontiguousarray(v) for v in views) if contiguous else views


# --------------------------------------------------------------------------- summary

_SUMMARY_LINE = " {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}"
# (ap, iouThr, areaRng label, maxDets) of pycocotools' summary statistics: maxDets an int is
# that number, a str "i" the i-th of params.maxDets (pycocotools' _summarizeDets / _summarizeKps)
_SUMMARY_SPECS = {
    "bbox": ((1, None, "all", 100), (1, .5, "all", "2"), (1, .75, "all", "2"), (1, None, "small", "2"),
             (1, None, "medium", "2"), (1, None, "large", "2"), (0, None, "all", "0"), (0, None, "all", "1"),
             (0, None, "all", "2"), (0, None, "small", "2"), (0, None, "medium", "2"), (0, None, "large", "2")),
    "keypoints": ((1, None, "all", 20), (1, .5, "all", 20), (1, .75, "all", 20), (1, None, "medium", 20),
                  (1, None, "large", 20), (0, None, "all", 20), (0, .5, "all", 20), (0, .75, "all", 20),
                  (0, None, "medium", 20), (0, None, "large", 20)),
}


def summarize(precision, recall, params: CocoParams, *, iou_type: str = "bbox"):
    """pycocotools' summarize(): (stats, the printed lines); 12 numbers for bbox and segm
    (iou_type "bbox"), 10 for keypoints.

    The same NumPy selections and means as pycocotools, so the numbers are
    bit-identical given identical precision/recall arrays.
    """
    max_dets = list(params.max_detections)
    if iou_type == "bbox" and len(max_dets) < 3:
        raise ValueError(
            f"the 12-number COCO summary needs three maxDets (e.g. [1, 10, 100]), got {max_dets}; "
            f"read result.precision / result.recall directly for other settings."
        )
    iou_thrs = np.asarray(params.iou_thresholds)
    spec = _SUMMARY_SPECS[iou_type]
    stats = np.zeros((len(spec),))
    lines = []
    for i, (ap, iou_thr, area, md) in enumerate(spec):
        md = max_dets[int(md)] if isinstance(md, str) else md
        aind = [j for j, label in enumerate(params.area_labels) if label == area]
        mind = [j for j, m in enumerate(max_dets) if m == md]
        s = precision if ap == 1 else recall
        if iou_thr is not None:
            s = s[np.where(iou_thr == iou_thrs)[0]]
        s = s[:, :, :, aind, mind] if ap == 1 else s[:, :, aind, mind]
        mean_s = -1 if len(s[s > -1]) == 0 else np.mean(s[s > -1])
        iou_str = "{:0.2f}:{:0.2f}".format(iou_thrs[0], iou_thrs[-1]) if iou_thr is None else "{:0.2f}".format(iou_thr)
        lines.append(_SUMMARY_LINE.format("Average Precision" if ap == 1 else "Average Recall",
                                          "(AP)" if ap == 1 else "(AR)", iou_str, area, md, mean_s))
        stats[i] = mean_s
    return stats, lines
