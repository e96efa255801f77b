"""Numba kernels of the detection family: box IoU, COCO greedy matching and
accumulation, and the linear sum assignment (shortest augmenting paths).

The float operations of the IoU and of the precision/recall arithmetic are
written in the order pycocotools uses, so that the results are bit-identical.
"""
import numpy as np
from .._jit import njit

# Per-detection outcome codes of the COCO matching (one per IoU threshold and area range).
IGNORED = 0
TRUE_POSITIVE = 1
FALSE_POSITIVE = 2


@njit(cache=True, nogil=True, inline="always")
def _iou_xywh(dx, dy, dw, dh, gx, gy, gw, gh, crowd):
    # pycocotools' bbIou: widths from x + w, no +1 pixel; a crowd region
    # divides by the detection's area only.
    w = min(dw + dx, gw + gx) - max(dx, gx)
    if w <= 0:
        return 0.0
    h = min(dh + dy, gh + gy) - max(dy, gy)
    if h <= 0:
        return 0.0
    inter = w * h
    if crowd:
        union = dw * dh
    else:
        union = dw * dh + gw * gh - inter
    return inter / union


@njit(cache=True, nogil=True)
def box_iou_xywh(det, gt, crowd, out):
    """IoU matrix ``out[d, g]`` of xywh boxes, pycocotools' float operations."""
    for d in range(det.shape[0]):
        for g in range(gt.shape[0]):
            out[d, g] = _iou_xywh(det[d, 0], det[d, 1], det[d, 2], det[d, 3],
                                  gt[g, 0], gt[g, 1], gt[g, 2], gt[g, 3], crowd[g] != 0)
    return out


@njit(cache=True, nogil=True)
def coco_match_groups(groups, gt_lo, gt_hi, dt_lo, dt_hi, gt_index, dt_index,
                      gt_box, gt_area, gt_crowd, gt_id,
                      dt_box, dt_area, dt_id, dt_unmatched_ignored,
                      gt_ignored, pair_iou, pair_start,
                      iou_thrs, area_rng, codes, gt_match, dt_match):
    """COCO greedy matching of the (image, category) groups listed in ``groups``.

    Position p of the sorted order is row ``dt_index[p]`` (``gt_index[p]``) of
    the box arrays. A group's detections are in descending score order
    (stable), cut to maxDets[-1]; its ground truths in file order. A
    detection flagged in ``dt_unmatched_ignored`` is ignored when it matches
    nothing (LVIS: a category not exhaustively annotated in the image).
    ``gt_ignored`` flags ground truths that are ignored whatever their area
    (crowds; for keypoints also those without keypoints), ``gt_crowd`` those
    that may match several detections. When ``pair_start`` is not empty the
    IoUs are given, not computed from boxes: group ``grp``'s (n_d, n_g) block
    of detection-by-ground-truth values (mask IoU or OKS), row-major, starts
    at ``pair_iou[pair_start[grp]]``.
    ``dt_match[d, t, a]``, when given (not empty), receives the position of
    the ground truth a detection took (for pycocotools' evalImgs). Writes, for every IoU
    threshold t and area range a, ``codes[d, t, a]`` (IGNORED, TRUE_POSITIVE,
    FALSE_POSITIVE) and ``gt_match[g, t, a]`` (the position of the detection that took
    the ground truth; left as is, -1, when none did).
    """
    n_thr = iou_thrs.shape[0]
    n_area = area_rng.shape[0]
    max_g = 0
    max_d = 0
    for grp in groups:
        max_g = max(max_g, gt_hi[grp] - gt_lo[grp])
        max_d = max(max_d, dt_hi[grp] - dt_lo[grp])
    ious = np.empty((max_d, max_g))
    order = np.empty(max_g, dtype=np.int64)
    ignore = np.empty(max_g, dtype=np.uint8)
    taken = np.empty(max_g, dtype=np.uint8)
    g_area = np.empty(max_g)
    g_crowd = np.empty(max_g, dtype=np.uint8)
    g_ignored = np.empty(max_g, dtype=np.uint8)
    given_ious = pair_start.shape[0] > 0
    g_id = np.empty(max_g, dtype=np.int64)
    d_area = np.empty(max_d)
    d_id = np.empty(max_d, dtype=np.int64)
    d_free_ignored = np.empty(max_d, dtype=np.uint8)
    for grp in groups:
        g0 = gt_lo[grp]
        n_g = gt_hi[grp] - g0
        d0 = dt_lo[grp]
        n_d = dt_hi[grp] - d0
        if n_d == 0:
            continue
        if n_g == 0:
            # no ground truth: every detection is a false positive, or ignored outside the area range
            for d in range(n_d):
                area = dt_area[dt_index[d0 + d]]
                free_ignored = dt_unmatched_ignored[dt_index[d0 + d]] != 0
                for a in range(n_area):
                    outside = area < area_rng[a, 0] or area > area_rng[a, 1]
                    code = IGNORED if outside or free_ignored else FALSE_POSITIVE
                    for t in range(n_thr):
                        codes[d0 + d, t, a] = code
            continue
        for g in range(n_g):
            row = gt_index[g0 + g]
            g_area[g] = gt_area[row]
            g_crowd[g] = gt_crowd[row]
            g_ignored[g] = gt_ignored[row]
            g_id[g] = gt_id[row]
        for d in range(n_d):
            row = dt_index[d0 + d]
            d_area[d] = dt_area[row]
            d_id[d] = dt_id[row]
            d_free_ignored[d] = dt_unmatched_ignored[row]
            if given_ious:
                p0 = pair_start[grp] + d * n_g
                for g in range(n_g):
                    ious[d, g] = pair_iou[p0 + g]
                continue
            for g in range(n_g):
                col = gt_index[g0 + g]
                ious[d, g] = _iou_xywh(dt_box[row, 0], dt_box[row, 1], dt_box[row, 2], dt_box[row, 3],
                                       gt_box[col, 0], gt_box[col, 1], gt_box[col, 2], gt_box[col, 3],
                                       g_crowd[g] != 0)
        for a in range(n_area):
            lo = area_rng[a, 0]
            hi = area_rng[a, 1]
            # ground truths to ignore (crowd, no keypoints, or area outside the range) go last, stable
            k = 0
            for g in range(n_g):
                ignored = g_ignored[g] != 0 or g_area[g] < lo or g_area[g] > hi
                ignore[g] = 1 if ignored else 0
                if not ignored:
                    order[k] = g
                    k += 1
            for g in range(n_g):
                if ignore[g]:
                    order[k] = g
                    k += 1
            for t in range(n_thr):
                for g in range(n_g):
                    taken[g] = 0
                threshold = min(iou_thrs[t], 1 - 1e-10)
                for d in range(n_d):
                    best = threshold
                    m = -1
                    for j in range(n_g):
                        g = order[j]
                        if taken[g] and not g_crowd[g]:
                            continue
                        if m > -1 and ignore[m] == 0 and ignore[g] == 1:
                            break
                        if ious[d, g] < best:
                            continue
                        best = ious[d, g]
                        m = g
                    out_of_range = d_area[d] < lo or d_area[d] > hi or d_free_ignored[d] != 0
                    if m == -1:
                        codes[d0 + d, t, a] = IGNORED if out_of_range else FALSE_POSITIVE
                        continue
                    # pycocotools marks the pair by ids: a ground truth with id 0 reads
                    # as "unmatched" for the detection, a detection id <= 0 does not
                    # take the ground truth. Kept for identical numbers.
                    if d_id[d] > 0:
                        taken[m] = 1
                        gt_match[g0 + m, t, a] = d0 + d
                    if dt_match.shape[0] > 0:
                        dt_match[d0 + d, t, a] = g0 + m
                    if ignore[m]:
                        codes[d0 + d, t, a] = IGNORED
                    elif g_id[m] != 0:
                        codes[d0 + d, t, a] = TRUE_POSITIVE
                    else:
                        codes[d0 + d, t, a] = IGNORED if out_of_range else FALSE_POSITIVE


@njit(cache=True, nogil=True)
def _search_left(values, n, x):
    """First index i < n with values[i] >= x (values non-decreasing); n if none."""
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) >> 1
        if values[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def coco_accumulate(cat_lo, cat_hi, cat_start, order, codes, rank, scores, max_dets, n_positive,
                    rec_thrs, precision, recall, score_out):
    """pycocotools' accumulate() for the categories ``cat_lo..cat_hi``.

    ``order[cat_start[k]:cat_start[k + 1]]`` lists the detections of category k
    by image, then by rank in the image; each run is sorted here (stable) by
    descending score, which is the order pycocotools' stable sort of the
    concatenated images gives.
    ``rank`` is a detection's place in its image's score order; ``n_positive``
    the (category, area) count of ground truths not ignored. The outputs are
    laid out (K, A, M, T[, R]) so each curve is written in one piece.
    """
    n_thr = codes.shape[1]
    n_area = codes.shape[2]
    n_rec = rec_thrs.shape[0]
    rec_sorted = True
    for r in range(1, n_rec):
        if rec_thrs[r] < rec_thrs[r - 1]:
            rec_sorted = False
    longest = 0
    for k in range(cat_lo, cat_hi):
        longest = max(longest, cat_start[k + 1] - cat_start[k])
    # the category's detections copied in score order: the passes below read memory in sequence
    local_codes = np.empty((longest, n_thr, n_area), dtype=np.uint8)
    local_rank = np.empty(longest, dtype=np.int64)
    local_score = np.empty(longest)
    neg_score = np.empty(longest)
    tp_pr = np.empty((n_thr, longest))  # precision, recall and score at each true positive
    tp_rc = np.empty((n_thr, longest))
    tp_sc = np.empty((n_thr, longest))
    tp_first = np.empty((n_thr, longest), dtype=np.bool_)
    n_tp = np.empty(n_thr, dtype=np.int64)
    tp = np.empty(n_thr)
    fp = np.empty(n_thr)
    eps = np.spacing(1.0)
    for k in range(cat_lo, cat_hi):
        s0 = cat_start[k]
        n_k = cat_start[k + 1] - s0
        for i in range(n_k):
            neg_score[i] = -scores[order[s0 + i]]
        by_score = np.argsort(neg_score[:n_k], kind="mergesort")
        top_rank = -1
        for i in range(n_k):
            d = order[s0 + by_score[i]]
            local_rank[i] = rank[d]
            top_rank = max(top_rank, rank[d])
            local_score[i] = scores[d]
            for t in range(n_thr):
                for a in range(n_area):
                    local_codes[i, t, a] = codes[d, t, a]
        for a in range(n_area):
            npig = n_positive[k, a]
            if npig == 0:
                continue  # stays -1, as in pycocotools
            n_m = max_dets.shape[0]
            for m in range(n_m - 1, -1, -1):  # maxDets ascending: the largest first
                max_det = max_dets[m]
                if m < n_m - 1 and max_det > top_rank:
                    # every detection is within this maxDets too: the same curve
                    for t in range(n_thr):
                        recall[k, a, m, t] = recall[k, a, n_m - 1, t]
                        for r in range(n_rec):
                            precision[k, a, m, t, r] = precision[k, a, n_m - 1, t, r]
                            score_out[k, a, m, t, r] = score_out[k, a, n_m - 1, t, r]
                    continue
                # pycocotools computes recall tp / npig and precision tp / (fp + tp + eps) at
                # every position, takes the running maximum of precision from the right, and
                # reads it at the first position whose recall reaches each threshold. Recall
                # only rises at a true positive, and after a true positive precision only
                # falls until the next one, so both are needed at the true positives alone
                # (plus the first position, which the threshold 0 reads).
                for t in range(n_thr):
                    tp[t] = 0.0
                    fp[t] = 0.0
                    n_tp[t] = 0
                nd = 0
                first_score = 0.0
                for i in range(n_k):
                    if local_rank[i] >= max_det:
                        continue
                    if nd == 0:
                        first_score = local_score[i]
                    for t in range(n_thr):
                        code = local_codes[i, t, a]
                        if code == TRUE_POSITIVE:
                            tp[t] += 1.0
                            j = n_tp[t]
                            tp_rc[t, j] = tp[t] / npig
                            tp_pr[t, j] = tp[t] / (fp[t] + tp[t] + eps)
                            tp_sc[t, j] = local_score[i]
                            tp_first[t, j] = nd == 0
                            n_tp[t] = j + 1
                        elif code == FALSE_POSITIVE:
                            fp[t] += 1.0
                    nd += 1
                for t in range(n_thr):
                    count = n_tp[t]
                    recall[k, a, m, t] = (tp[t] / npig) if nd > 0 else 0.0
                    for j in range(count - 1, 0, -1):  # envelope: running maximum from the right
                        if tp_pr[t, j] > tp_pr[t, j - 1]:
                            tp_pr[t, j - 1] = tp_pr[t, j]
                    for r in range(n_rec):
                        precision[k, a, m, t, r] = 0.0
                        score_out[k, a, m, t, r] = 0.0
                    if nd == 0:
                        continue
                    j = 0
                    for r in range(n_rec):
                        thr = rec_thrs[r]
                        if thr <= 0.0 and not (count > 0 and tp_first[t, 0]):
                            # the first position (not a true positive) has recall 0 >= thr
                            precision[k, a, m, t, r] = tp_pr[t, 0] if count > 0 else 0.0
                            score_out[k, a, m, t, r] = first_score
                            continue
                        # first true positive whose recall reaches thr (searchsorted, side="left")
                        if rec_sorted:
                            while j < count and tp_rc[t, j] < thr:
                                j += 1
                        else:
                            j = _search_left(tp_rc[t], count, thr)
                        if j >= count:
                            break  # pycocotools stops at the first threshold past the curve
                        precision[k, a, m, t, r] = tp_pr[t, j]
                        score_out[k, a, m, t, r] = tp_sc[t, j]


@njit(cache=True, nogil=True)
def box_iou_corners(b1, area1, b2, area2, crowd, row_lo, row_hi, out):
    """IoU of boxes given as corners (x1, y1, x2, y2) with their areas, rows row_lo..row_hi.

    For xywh input the corners are x + w, y + h and the areas w * h, which
    reproduces pycocotools' float operations exactly.
    """
    for i in range(row_lo, row_hi):
        for j in range(b2.shape[0]):
            w = min(b1[i, 2], b2[j, 2]) - max(b1[i, 0], b2[j, 0])
            if w <= 0:
                out[i, j] = 0.0
                continue
            h = min(b1[i, 3], b2[j, 3]) - max(b1[i, 1], b2[j, 1])
            if h <= 0:
                out[i, j] = 0.0
                continue
            inter = w * h
            union = area1[i] if crowd[j] else area1[i] + area2[j] - inter
            out[i, j] = inter / union


@njit(cache=True, nogil=True)
def _assign(cost, n_rows, n_cols, col4row, u, v, shortest, path, row4col, seen_row, seen_col, remaining):
    """Minimum-cost assignment of every row of cost[:n_rows, :n_cols] (n_rows <= n_cols).

    Shortest augmenting paths with dual potentials (Jonker-Volgenant style,
    as described by Crouse 2016): each row is added by a Dijkstra search over
    reduced costs. Returns False when no complete assignment has finite cost.
    """
    for j in range(n_cols):
        v[j] = 0.0
        row4col[j] = -1
    for i in range(n_rows):
        u[i] = 0.0
        col4row[i] = -1
    if n_rows == n_cols:
        # Square problems: column reduction (Jonker-Volgenant). v[j] = the column
        # minimum keeps every reduced cost >= 0, and a row that is the minimum of
        # a column takes it if still free: that edge is tight, so the partial
        # assignment is optimal for the rows it covers and only the free rows
        # need an augmenting path. (A rectangular problem needs v <= 0.)
        for j in range(n_cols - 1, -1, -1):
            best_row = 0
            best = cost[0, j]
            for i in range(1, n_rows):
                if cost[i, j] < best:
                    best = cost[i, j]
                    best_row = i
            if best == np.inf:
                return False
            v[j] = best
            if col4row[best_row] == -1:
                col4row[best_row] = j
                row4col[j] = best_row
    for current in range(n_rows):
        if col4row[current] != -1:
            continue
        for j in range(n_cols):
            remaining[j] = n_cols - j - 1
            shortest[j] = np.inf
            seen_col[j] = False
        for i in range(n_rows):
            seen_row[i] = False
        n_remaining = n_cols
        min_value = 0.0
        i = current
        sink = -1
        while sink == -1:
            seen_row[i] = True
            best = -1
            lowest = np.inf
            for it in range(n_remaining):
                j = remaining[it]
                reduced = min_value + cost[i, j] - u[i] - v[j]
                if reduced < shortest[j]:
                    path[j] = i
                    shortest[j] = reduced
                # prefer a free column among equals: it ends the path
                if shortest[j] < lowest or (shortest[j] == lowest and row4col[j] == -1):
                    lowest = shortest[j]
                    best = it
            min_value = lowest
            if min_value == np.inf:
                return False
            j = remaining[best]
            if row4col[j] == -1:
                sink = j
            else:
                i = row4col[j]
            seen_col[j] = True
            n_remaining -= 1
            remaining[best] = remaining[n_remaining]
        # update the potentials along the search tree
        u[current] += min_value
        for i in range(n_rows):
            if seen_row[i] and i != current:
                u[i] += min_value - shortest[col4row[i]]
        for j in range(n_cols):
            if seen_col[j]:
                v[j] -= min_value - shortest[j]
        # augment along the path back to the current row
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            previous = col4row[i]
            col4row[i] = j
            j = previous
            if i == current:
                break
    return True


@njit(cache=True, nogil=True)
def linear_sum_assignment_batch(costs, n_rows, n_cols, lo, hi, col_out, ok):
    """Solve problems lo..hi of a padded (B, R, C) batch; costs[b] is read as
    its top-left n_rows[b] x n_cols[b] block. Writes, per problem, the column
    of each row (or the row of each column when it has more rows) into
    col_out[b] and ok[b] = feasible."""
    size = max(costs.shape[1], costs.shape[2])
    work = np.empty((size, size))
    col4row = np.empty(size, dtype=np.int64)
    u = np.empty(size)
    v = np.empty(size)
    shortest = np.empty(size)
    path = np.empty(size, dtype=np.int64)
    row4col = np.empty(size, dtype=np.int64)
    seen_row = np.empty(size, dtype=np.bool_)
    seen_col = np.empty(size, dtype=np.bool_)
    remaining = np.empty(size, dtype=np.int64)
    for b in range(lo, hi):
        nr = n_rows[b]
        nc = n_cols[b]
        transpose = nc < nr
        if transpose:
            for i in range(nc):
                for j in range(nr):
                    work[i, j] = costs[b, j, i]
            ok[b] = _assign(work, nc, nr, col4row, u, v, shortest, path, row4col, seen_row, seen_col, remaining)
            for i in range(nc):
                col_out[b, i] = col4row[i]
        else:
            ok[b] = _assign(costs[b], nr, nc, col4row, u, v, shortest, path, row4col, seen_row, seen_col, remaining)
            for i in range(nr):
                col_out[b, i] = col4row[i]


@njit(cache=True, nogil=True)
def group_sort(keys, n_keys, values, sort_runs=True):
    """Stable order by (key, value): a counting sort on the integer keys
    (0 <= key < n_keys), then a stable sort of each key's run by value.

    Equals ``np.lexsort((values, keys))`` in O(n + n_keys) for small runs;
    with ``sort_runs=False`` the counting sort alone (input order within a key).
    Returns (order, starts) where keys of order[starts[k]:starts[k + 1]] equal k.
    """
    n = keys.shape[0]
    starts = np.zeros(n_keys + 1, dtype=np.int64)
    for i in range(n):
        starts[keys[i] + 1] += 1
    for k in range(n_keys):
        starts[k + 1] += starts[k]
    fill = starts[:-1].copy()
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        k = keys[i]
        order[fill[k]] = i
        fill[k] += 1
    if not sort_runs:
        return order, starts
    for k in range(n_keys):
        lo = starts[k]
        hi = starts[k + 1]
        if hi - lo <= 1:
            continue
        if hi - lo <= 16:
            # insertion sort: stable, moves an element only past strictly larger values
            for i in range(lo + 1, hi):
                item = order[i]
                v = values[item]
                j = i - 1
                while j >= lo and values[order[j]] > v:
                    order[j + 1] = order[j]
                    j -= 1
                order[j + 1] = item
        else:
            run = order[lo:hi].copy()
            sub = np.argsort(values[run], kind="mergesort")
            for i in range(hi - lo):
                order[lo + i] = run[sub[i]]
    return order, starts


@njit(cache=True, nogil=True)
def greedy_cross_match(dt_box, dt_lo, dt_hi, gt_box, gt_lo, gt_hi, iou_threshold, dt_match):
    """Per image (dt_lo[i]:dt_hi[i] against gt_lo[i]:gt_hi[i]), detections in
    the given order each take the free ground truth of highest IoU >= the
    threshold (the last of equals, as COCO); writes its position into dt_match (-1: none)."""
    for img in range(dt_lo.shape[0]):
        g0 = gt_lo[img]
        n_g = gt_hi[img] - g0
        taken = np.zeros(n_g, dtype=np.bool_)
        for d in range(dt_lo[img], dt_hi[img]):
            best = iou_threshold
            m = -1
            for g in range(n_g):
                if taken[g]:
                    continue
                iou = _iou_xywh(dt_box[d, 0], dt_box[d, 1], dt_box[d, 2], dt_box[d, 3],
                                gt_box[g0 + g, 0], gt_box[g0 + g, 1], gt_box[g0 + g, 2], gt_box[g0 + g, 3], False)
                if iou < best:
                    continue
                best = iou  # on equal IoUs the later one wins, as in COCO's loop
                m = g
            if m >= 0:
                taken[m] = True
                dt_match[d] = g0 + m


@njit(cache=True, nogil=True)
def box_table_problems(bbox, area, score):
    """The first row of each problem of a box table, -1 where none: a NaN or infinite coordinate,
    a negative width or height, a non-finite area, a non-finite score (``score`` may be empty)."""
    first = np.full(4, -1, dtype=np.int64)
    for i in range(bbox.shape[0]):
        finite = True
        for k in range(4):
            if not np.isfinite(bbox[i, k]):
                finite = False
        if not finite and first[0] < 0:
            first[0] = i
        if (bbox[i, 2] < 0 or bbox[i, 3] < 0) and first[1] < 0:
            first[1] = i
        if not np.isfinite(area[i]) and first[2] < 0:
            first[2] = i
        if i < score.shape[0] and not np.isfinite(score[i]) and first[3] < 0:
            first[3] = i
    return first
