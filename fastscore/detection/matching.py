"""Box IoU, linear sum assignment (single and batched), box matching and the BoS score."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._config import Kernel, map_threads, n_threads
from .._validation import as_real_array
from .coco import _BOX_FORMATS, _kernel, read_boxes

_IOU = _kernel("box IoU", "box_iou_corners")
_LSA = _kernel("linear sum assignment", "linear_sum_assignment_batch")


def _boxes(boxes, name: str) -> np.ndarray:
    arr = read_boxes(boxes, name)
    if not np.isfinite(arr).all():
        i = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise ValueError(f"{name}[{i}] has a NaN or infinite coordinate: {arr[i].tolist()}.")
    return arr


def _corners_and_areas(boxes: np.ndarray, box_format: str, name: str):
    """(x1, y1, x2, y2) corners and areas, with the float operations of each format."""
    if box_format == "xywh":
        w, h = boxes[:, 2], boxes[:, 3]
        corners = np.column_stack([boxes[:, 0], boxes[:, 1], boxes[:, 2] + boxes[:, 0], boxes[:, 3] + boxes[:, 1]])
    elif box_format == "xyxy":
        corners = boxes
        w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    elif box_format == "cxcywh":
        w, h = boxes[:, 2], boxes[:, 3]
        corners = np.column_stack([boxes[:, 0] - w / 2, boxes[:, 1] - h / 2, boxes[:, 0] + w / 2, boxes[:, 1] + h / 2])
    else:
        raise ValueError(f"box_format must be one of {', '.join(map(repr, _BOX_FORMATS))}, got {box_format!r}.")
    if ((w < 0) | (h < 0)).any():
        i = int(np.flatnonzero((w < 0) | (h < 0))[0])
        hint = "x2 < x1 or y2 < y1" if box_format == "xyxy" else "a negative width or height"
        raise ValueError(f"{name}[{i}] = {boxes[i].tolist()} has {hint} (box_format={box_format!r}).")
    return np.ascontiguousarray(corners), np.ascontiguousarray(w * h)


def box_iou(boxes1, boxes2, *, box_format: str = "xyxy", iscrowd=None, backend=None) -> np.ndarray:
    """Pairwise intersection over union, pycocotools' conventions.

    Parameters
    ----------
    boxes1 : array-like (n, 4)
        Typically detections.
    boxes2 : array-like (m, 4)
        Typically ground truth.
    box_format : {"xyxy", "xywh", "cxcywh"}
    iscrowd : array-like of bool (m,), optional
        Crowd regions among ``boxes2``: their IoU is intersection / area of
        the ``boxes1`` box (the fraction of the detection inside the crowd).

    Returns
    -------
    ndarray (n, m), float64
        No +1 pixel convention; boxes that do not overlap have IoU 0. For
        "xywh" the values are bit-identical to ``pycocotools.mask.iou(boxes1,
        boxes2, iscrowd)``.

    Examples
    --------
    >>> from fastscore.detection import box_iou
    >>> box_iou([[0, 0, 10, 10]], [[5, 0, 15, 10], [0, 0, 10, 10]]).round(4).tolist()
    [[0.3333, 1.0]]
    """
    b1 = _boxes(boxes1, "boxes1")
    b2 = _boxes(boxes2, "boxes2")
    c1, a1 = _corners_and_areas(b1, box_format, "boxes1")
    c2, a2 = _corners_and_areas(b2, box_format, "boxes2")
    if iscrowd is None:
        crowd = np.zeros(len(b2), dtype=np.uint8)
    else:
        crowd = np.asarray(iscrowd)
        if crowd.shape != (len(b2),):
            raise ValueError(f"iscrowd must have one flag per boxes2 row ({len(b2)}), got shape {crowd.shape}.")
        if crowd.dtype.kind not in "biuf" or (crowd.size and not np.isin(crowd, (0, 1)).all()):
            bad = int(np.flatnonzero(~np.isin(crowd, (0, 1)))[0]) if crowd.dtype.kind in "biuf" else 0
            raise ValueError(f"iscrowd must hold 0/1 (or bool) flags; iscrowd[{bad}] = {np.asarray(crowd[bad]).item()!r}.")
        crowd = (crowd != 0).astype(np.uint8)
    out = np.empty((len(b1), len(b2)))
    _, kernel = _IOU.resolve(backend)
    bounds = np.linspace(0, len(b1), min(len(b1), n_threads()) + 1).astype(np.int64) if len(b1) * len(b2) > 1 << 16 \
        else np.array([0, len(b1)])
    map_threads(lambda lohi: kernel(c1, a1, c2, a2, crowd, lohi[0], lohi[1], out), zip(bounds[:-1], bounds[1:]))
    return out


def _cost_matrix(cost, name: str, maximize: bool) -> np.ndarray:
    arr = as_real_array(cost, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix, got shape {arr.shape}.")
    bad = np.isnan(arr) | (arr == (np.inf if maximize else -np.inf))
    if bad.any():
        raise ValueError(f"{name} contains invalid numeric entries (NaN or {'+' if maximize else '-'}inf); "
                         f"use +inf{' (or -inf when maximizing)' if not maximize else ''} for forbidden pairs only.")
    return -arr if maximize else arr


def _solve_padded(costs: np.ndarray, n_rows: np.ndarray, n_cols: np.ndarray, backend=None):
    """Column of each row (or row of each column when rows > columns) per problem, and feasibility."""
    n = costs.shape[0]
    col = np.full((n, min(costs.shape[1], costs.shape[2]) if n else 0), -1, dtype=np.int64)
    ok = np.ones(n, dtype=np.uint8)
    _, kernel = _LSA.resolve(backend)
    bounds = np.linspace(0, n, min(n, n_threads()) + 1).astype(np.int64)
    map_threads(lambda lohi: kernel(costs, n_rows, n_cols, lohi[0], lohi[1], col, ok), zip(bounds[:-1], bounds[1:]))
    return col, ok.astype(bool)


def _pairs(col_row: np.ndarray, nr: int, nc: int):
    k = min(nr, nc)
    if nc < nr:  # solved transposed: col_row[i] is the row of column i
        rows, cols = col_row[:k], np.arange(k)
        order = np.argsort(rows)
        return rows[order], cols[order]
    return np.arange(k), col_row[:k].copy()


def linear_sum_assignment(cost_matrix, maximize: bool = False, *, backend=None):
    """Solve the linear sum assignment problem (scipy's signature and results).

    Parameters
    ----------
    cost_matrix : array-like (n, m)
        Rectangular matrices allowed; +inf marks a forbidden pair.
    maximize : bool, default=False

    Returns
    -------
    row_ind, col_ind : ndarray of int
        ``cost_matrix[row_ind, col_ind].sum()`` is optimal; ``row_ind`` is
        sorted and has min(n, m) entries, as in scipy.

    Examples
    --------
    >>> from fastscore.detection import linear_sum_assignment
    >>> rows, cols = linear_sum_assignment([[4, 1, 3], [2, 0, 5], [3, 2, 2]])
    >>> cols.tolist()
    [1, 0, 2]
    """
    cost = _cost_matrix(cost_matrix, "cost_matrix", maximize)
    nr, nc = cost.shape
    if nr == 0 or nc == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    col, ok = _solve_padded(np.ascontiguousarray(cost[None]), np.array([nr], dtype=np.int64),
                            np.array([nc], dtype=np.int64), backend)
    if not ok[0]:
        raise ValueError("cost matrix is infeasible: no complete assignment avoids the +inf entries.")
    return _pairs(col[0], nr, nc)


def batch_linear_sum_assignment(costs, maximize: bool = False, *, sizes=None, backend=None):
    """Solve many assignment problems in one compiled call (threads across problems).

    Parameters
    ----------
    costs : list of 2-D array-likes, or a 3-D array (B, n, m)
        A list may mix shapes. A 3-D array is a padded batch: ``sizes``
        gives each problem's (rows, cols) (default: all n x m).
    maximize : bool, default=False
    sizes : array-like (B, 2), optional

    Returns
    -------
    list of (row_ind, col_ind), for a list input
        One pair per problem, each as ``linear_sum_assignment`` returns it.
    (row_ind, col_ind), for a 3-D array input
        Two (B, k) int64 arrays, k = min(n, m): row b holds problem b's pairs
        (rows sorted), padded with -1 where a problem has fewer than k pairs.

    Examples
    --------
    >>> from fastscore.detection import batch_linear_sum_assignment
    >>> out = batch_linear_sum_assignment([[[1, 2], [2, 1]], [[5, 1, 9]]])
    >>> [cols.tolist() for rows, cols in out]
    [[0, 1], [1]]
    >>> import numpy as np
    >>> rows, cols = batch_linear_sum_assignment(np.array([[[1, 2], [2, 1]], [[2, 1], [1, 2]]]))
    >>> cols.tolist()
    [[0, 1], [1, 0]]
    """
    padded_input = isinstance(costs, np.ndarray) and costs.ndim == 3
    if padded_input:
        batch = _cost_matrix(costs.reshape(costs.shape[0], -1), "costs", maximize).reshape(costs.shape)
        if sizes is None:
            n_rows = np.full(len(batch), batch.shape[1], dtype=np.int64)
            n_cols = np.full(len(batch), batch.shape[2], dtype=np.int64)
        else:
            sizes = np.asarray(sizes, dtype=np.int64)
            if sizes.shape != (len(batch), 2):
                raise ValueError(f"sizes must have shape ({len(batch)}, 2), one (rows, cols) per problem; got {sizes.shape}.")
            if (sizes < 0).any() or (sizes[:, 0] > batch.shape[1]).any() or (sizes[:, 1] > batch.shape[2]).any():
                raise ValueError(f"sizes must lie within the padded shape {batch.shape[1:]}.")
            n_rows, n_cols = sizes[:, 0].copy(), sizes[:, 1].copy()
        batch = np.ascontiguousarray(batch)
    else:
        if sizes is not None:
            raise ValueError("sizes applies to a padded 3-D array only; a list carries its own shapes.")
        try:
            mats = [np.asarray(c, dtype=np.float64) for c in costs]
        except (TypeError, ValueError):
            raise TypeError("costs must be a list of 2-D arrays of numbers (or a 3-D array).") from None
        for i, m in enumerate(mats):
            if m.ndim != 2:
                raise ValueError(f"costs[{i}] must be a 2-D matrix, got shape {m.shape}.")
        n_rows = np.array([m.shape[0] for m in mats], dtype=np.int64)
        n_cols = np.array([m.shape[1] for m in mats], dtype=np.int64)
        if len(mats) and (n_rows == n_rows[0]).all() and (n_cols == n_cols[0]).all():
            batch = np.stack(mats)
        else:
            batch = np.zeros((len(mats), int(n_rows.max(initial=0)), int(n_cols.max(initial=0))))
            for i, m in enumerate(mats):
                batch[i, :m.shape[0], :m.shape[1]] = m
        batch = _cost_matrix(batch.reshape(len(mats), -1), "costs", maximize).reshape(batch.shape)
    col, ok = _solve_padded(batch, n_rows, n_cols, backend)
    if not ok.all():
        raise ValueError(f"cost matrix {int(np.flatnonzero(~ok)[0])} is infeasible: no complete assignment avoids the +inf entries.")
    if not padded_input:
        return [_pairs(col[b], int(n_rows[b]), int(n_cols[b])) for b in range(len(batch))]
    k = col.shape[1]
    rows = np.where(np.arange(k) < np.minimum(n_rows, n_cols)[:, None], np.arange(k), -1)
    cols = col.copy()
    for b in np.flatnonzero(n_cols < n_rows):  # solved transposed: give pairs by row
        rows[b], cols[b] = -1, -1
        r, c = _pairs(col[b], int(n_rows[b]), int(n_cols[b]))
        rows[b, :len(r)], cols[b, :len(c)] = r, c
    return rows, cols


@dataclass(frozen=True)
class BoxMatches:
    """Matched pairs of two box sets: indices into each and the pair's IoU."""

    index1: np.ndarray
    index2: np.ndarray
    iou: np.ndarray
    unmatched1: np.ndarray
    unmatched2: np.ndarray


def _last_argmax(values: np.ndarray) -> int:
    """Index of the last maximum (COCO's loop keeps the later of two equal IoUs)."""
    return len(values) - 1 - int(np.argmax(values[::-1]))


def match_boxes(boxes1, boxes2, *, iou_threshold: float = 0.5, method: str = "greedy", scores=None,
                box_format: str = "xyxy", iscrowd=None, backend=None) -> BoxMatches:
    """Match two box sets at an IoU threshold.

    Parameters
    ----------
    boxes1 : (n, 4) detections; boxes2 : (m, 4) ground truth.
    iou_threshold : float
        Pairs need IoU >= this.
    method : {"greedy", "optimal"}
        "greedy" is COCO's rule: detections in descending ``scores`` order
        (stable; input order without scores) each take the free ground truth
        of highest IoU (crowd regions, ``iscrowd``, may take several and are
        not reported as free). "optimal" maximizes the total IoU of the
        pairs above the threshold (Hungarian algorithm).

    Returns
    -------
    BoxMatches

    Examples
    --------
    >>> from fastscore.detection import match_boxes
    >>> m = match_boxes([[0, 0, 10, 10], [0, 0, 9, 10]], [[0, 0, 10, 10]], scores=[0.2, 0.9])
    >>> m.index1.tolist(), m.index2.tolist(), m.iou.tolist()
    ([1], [0], [0.9])
    """
    if not 0 <= iou_threshold <= 1:
        raise ValueError(f"iou_threshold must be in [0, 1], got {iou_threshold}.")
    ious = box_iou(boxes1, boxes2, box_format=box_format, iscrowd=iscrowd, backend=backend)
    n, m = ious.shape
    crowd = np.zeros(m, bool) if iscrowd is None else np.asarray(iscrowd) != 0
    if method == "greedy":
        order = np.arange(n)
        if scores is not None:
            scores = as_real_array(scores, "scores")
            if scores.shape != (n,) or not np.isfinite(scores).all():
                raise ValueError(f"scores must be {n} finite numbers, one per boxes1 row.")
            order = np.argsort(-scores, kind="stable")
        taken = np.zeros(m, bool)
        pairs = []
        for i in order:
            row = np.where(taken & ~crowd, -1.0, ious[i])
            # prefer a regular ground truth to a crowd region, as COCO does
            regular = np.where(crowd, -1.0, row)
            j = _last_argmax(regular) if m else -1
            if m and regular[j] >= iou_threshold:
                taken[j] = True
                pairs.append((i, j))
            elif m and row.max() >= iou_threshold:
                pairs.append((i, _last_argmax(row)))
        i1 = np.array([p[0] for p in pairs], dtype=np.int64)
        i2 = np.array([p[1] for p in pairs], dtype=np.int64)
    elif method == "optimal":
        if n == 0 or m == 0:
            i1 = i2 = np.zeros(0, dtype=np.int64)
        else:
            gain = np.where(ious >= iou_threshold, ious, 0.0)
            r, c = linear_sum_assignment(gain, maximize=True, backend=backend)
            keep = ious[r, c] >= iou_threshold
            i1, i2 = r[keep], c[keep]
    else:
        raise ValueError(f"method must be 'greedy' or 'optimal', got {method!r}.")
    return BoxMatches(index1=i1, index2=i2, iou=ious[i1, i2] if len(i1) else np.zeros(0),
                      unmatched1=np.setdiff1d(np.arange(n), i1),
                      unmatched2=np.setdiff1d(np.flatnonzero(~crowd), i2))


def box_stability_score(boxes1, boxes2, image_ids1=None, image_ids2=None, *, box_format: str = "xyxy",
                        area_range: str | tuple = "all", backend=None) -> float:
    """Box stability (BoS) score: the mean IoU of optimally matched boxes of two runs.

    Yang et al., "Bounding Box Stability against Feature Dropout Reflects
    Detector Generalization across Environments" (ICLR 2024): per image, the
    boxes of a normal pass and of a pass with feature dropout are matched by
    the Hungarian algorithm on -IoU; the image's score is the mean IoU of the
    min(n, m) matched pairs (pairs without overlap count as 0); the BoS score
    is the mean over the images that have boxes in both sets.

    Parameters
    ----------
    boxes1, boxes2 : array-like (n, 4) and (m, 4)
        Boxes of the two passes.
    image_ids1, image_ids2 : array-like of int, optional
        The image of each box; without them, all boxes belong to one image.
    area_range : {"all", "small", "medium", "large"} or (low, high)
        Keep only boxes whose area lies in the range (COCO's limits 32^2 and
        96^2, bounds included), in both sets, before matching.

    Returns
    -------
    float
        (A ValueError when no image has boxes in both sets within the area
        range: the score is undefined there.)

    Examples
    --------
    >>> from fastscore.detection import box_stability_score
    >>> normal = [[0, 0, 10, 10], [20, 20, 30, 30]]
    >>> dropout = [[20, 20, 30, 30], [0, 0, 10, 5]]
    >>> box_stability_score(normal, dropout)
    0.75
    """
    b1 = _boxes(boxes1, "boxes1")
    b2 = _boxes(boxes2, "boxes2")
    img1 = np.zeros(len(b1), np.int64) if image_ids1 is None else np.asarray(image_ids1)
    img2 = np.zeros(len(b2), np.int64) if image_ids2 is None else np.asarray(image_ids2)
    if (image_ids1 is None) != (image_ids2 is None):
        raise ValueError("pass image ids for both box sets or for neither.")
    if img1.shape != (len(b1),) or img2.shape != (len(b2),):
        raise ValueError("image_ids1 / image_ids2 must have one id per box.")
    ranges = {"all": (0.0, 1e5 ** 2), "small": (0.0, 32.0 ** 2), "medium": (32.0 ** 2, 96.0 ** 2),
              "large": (96.0 ** 2, 1e5 ** 2)}
    if isinstance(area_range, str):
        if area_range not in ranges:
            raise ValueError(f"area_range must be one of {list(ranges)} or a (low, high) pair, got {area_range!r}.")
        lo, hi = ranges[area_range]
    else:
        lo, hi = (float(v) for v in area_range)
    c1, a1 = _corners_and_areas(b1, box_format, "boxes1")
    c2, a2 = _corners_and_areas(b2, box_format, "boxes2")
    keep1 = (a1 >= lo) & (a1 <= hi)
    keep2 = (a2 >= lo) & (a2 <= hi)
    c1, a1, img1 = c1[keep1], a1[keep1], img1[keep1]
    c2, a2, img2 = c2[keep2], a2[keep2], img2[keep2]
    shared = np.intersect1d(img1, img2)
    if shared.size == 0:
        raise ValueError("no image has boxes in both sets (within area_range), so the box-stability score is "
                         "undefined; pass boxes of the same images, or another area_range.")
    o1, o2 = np.argsort(img1, kind="stable"), np.argsort(img2, kind="stable")
    s1, s2 = img1[o1], img2[o2]
    lo1, hi1 = np.searchsorted(s1, shared), np.searchsorted(s1, shared, side="right")
    lo2, hi2 = np.searchsorted(s2, shared), np.searchsorted(s2, shared, side="right")
    n_rows, n_cols = hi1 - lo1, hi2 - lo2
    batch = np.zeros((len(shared), int(n_rows.max()), int(n_cols.max())))
    ious = []
    _, iou_kernel = _IOU.resolve(backend)
    no_crowd = np.zeros(int(n_cols.max()), np.uint8)
    for b in range(len(shared)):
        r, c = o1[lo1[b]:hi1[b]], o2[lo2[b]:hi2[b]]
        block = np.empty((len(r), len(c)))
        iou_kernel(c1[r], a1[r], c2[c], a2[c], no_crowd, 0, len(r), block)
        batch[b, :len(r), :len(c)] = -block
        ious.append(block)
    col, _ = _solve_padded(batch, n_rows.astype(np.int64), n_cols.astype(np.int64), backend)
    per_image = np.empty(len(shared))
    for b in range(len(shared)):
        rows, cols = _pairs(col[b], int(n_rows[b]), int(n_cols[b]))
        per_image[b] = ious[b][rows, cols].mean()
    return float(per_image.mean())
