# cython: language_level=3
"""Cython kernels of the detection family (``fastscore._cy.detection``).

The functions of ``fastscore/detection/_numba.py`` (same names, arguments
and results, see the docstrings there), with the float operations in the
same order, so that both backends give bit-identical numbers (and equal
pycocotools'). They release the GIL: the Python side runs chunks of groups,
categories or rows on its thread pool. Work buffers come from malloc; a
failed allocation raises MemoryError.
"""
import numpy as np

from libc.math cimport INFINITY, isfinite
from libc.stdint cimport int64_t, uint8_t
from libc.stdlib cimport free, malloc

# per-detection outcome codes of the COCO matching
cdef enum:
    IGNORED = 0
    TRUE_POSITIVE = 1
    FALSE_POSITIVE = 2


cdef inline double iou_xywh(double dx, double dy, double dw, double dh, double gx, double gy, double gw,
                            double gh, bint crowd) noexcept nogil:
    # pycocotools' bbIou: widths from x + w, no +1 pixel; a crowd region
    # divides by the detection's area only
    cdef double w = min(dw + dx, gw + gx) - max(dx, gx)
    cdef double h, inter, union
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


cdef void *allocate(size_t size) noexcept nogil:
    return malloc(size if size > 0 else 1)


def coco_match_groups(const int64_t[::1] groups, const int64_t[::1] gt_lo, const int64_t[::1] gt_hi,
                      const int64_t[::1] dt_lo, const int64_t[::1] dt_hi, const int64_t[::1] gt_index,
                      const int64_t[::1] dt_index, const double[:, ::1] gt_box, const double[::1] gt_area,
                      const uint8_t[::1] gt_crowd, const int64_t[::1] gt_id, const double[:, ::1] dt_box,
                      const double[::1] dt_area, const int64_t[::1] dt_id, const uint8_t[::1] dt_unmatched_ignored,
                      const uint8_t[::1] gt_ignored, const double[::1] pair_iou, const int64_t[::1] pair_start,
                      const double[::1] iou_thrs, const double[:, ::1] area_rng, uint8_t[:, :, ::1] codes,
                      int64_t[:, :, ::1] gt_match, int64_t[:, :, ::1] dt_match):
    """COCO greedy matching of the (image, category) groups listed in ``groups``
    (see ``fastscore.detection._numba.coco_match_groups``)."""
    cdef Py_ssize_t n_thr = iou_thrs.shape[0], n_area = area_rng.shape[0], n_groups = groups.shape[0]
    cdef Py_ssize_t max_g = 0, max_d = 0, k, grp, g0, n_g, d0, n_d, d, g, a, t, j, row, col, m
    cdef bint record_dt = dt_match.shape[0] > 0, given_ious = pair_start.shape[0] > 0, ignored, out_of_range
    cdef Py_ssize_t p0
    cdef double lo, hi, threshold, best, area
    cdef uint8_t code
    cdef double *ious = NULL
    cdef int64_t *order = NULL
    cdef int64_t *g_id = NULL
    cdef int64_t *d_id = NULL
    cdef uint8_t *ignore = NULL
    cdef uint8_t *taken = NULL
    cdef uint8_t *g_crowd = NULL
    cdef uint8_t *g_ignored = NULL
    cdef uint8_t *d_free_ignored = NULL
    cdef double *g_area = NULL
    cdef double *d_area = NULL
    for k in range(n_groups):
        grp = groups[k]
        max_g = max(max_g, gt_hi[grp] - gt_lo[grp])
        max_d = max(max_d, dt_hi[grp] - dt_lo[grp])
    with nogil:
        ious = <double *>allocate(max_d * max_g * sizeof(double))
        order = <int64_t *>allocate(max_g * sizeof(int64_t))
        g_id = <int64_t *>allocate(max_g * sizeof(int64_t))
        d_id = <int64_t *>allocate(max_d * sizeof(int64_t))
        ignore = <uint8_t *>allocate(max_g)
        taken = <uint8_t *>allocate(max_g)
        g_crowd = <uint8_t *>allocate(max_g)
        g_ignored = <uint8_t *>allocate(max_g)
        d_free_ignored = <uint8_t *>allocate(max_d)
        g_area = <double *>allocate(max_g * sizeof(double))
        d_area = <double *>allocate(max_d * sizeof(double))
    try:
        if (ious == NULL or order == NULL or g_id == NULL or d_id == NULL or ignore == NULL or taken == NULL
                or g_crowd == NULL or g_ignored == NULL or d_free_ignored == NULL or g_area == NULL or d_area == NULL):
            raise MemoryError("COCO matching: not enough memory for the work buffers")
        with nogil:
            for k in range(n_groups):
                grp = groups[k]
                g0 = gt_lo[grp]
                n_g = gt_hi[grp] - g0
                d0 = dt_lo[grp]
                n_d = dt_hi[grp] - d0
                if n_d <= 0:
                    continue
                if n_g == 0:
                    # no ground truth: every detection is a false positive, or ignored outside the area range
                    for d in range(n_d):
                        area = dt_area[dt_index[d0 + d]]
                        for a in range(n_area):
                            out_of_range = area < area_rng[a, 0] or area > area_rng[a, 1]
                            code = IGNORED if out_of_range or dt_unmatched_ignored[dt_index[d0 + d]] != 0 else FALSE_POSITIVE
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
                    if given_ious:  # mask IoU or OKS, one (n_d, n_g) block per group
                        p0 = pair_start[grp] + d * n_g
                        for g in range(n_g):
                            ious[d * max_g + g] = pair_iou[p0 + g]
                        continue
                    for g in range(n_g):
                        col = gt_index[g0 + g]
                        ious[d * max_g + g] = iou_xywh(dt_box[row, 0], dt_box[row, 1], dt_box[row, 2], dt_box[row, 3],
                                                       gt_box[col, 0], gt_box[col, 1], gt_box[col, 2], gt_box[col, 3],
                                                       g_crowd[g] != 0)
                for a in range(n_area):
                    lo = area_rng[a, 0]
                    hi = area_rng[a, 1]
                    # ground truths to ignore (crowd, no keypoints, or area outside the range) go last, stable
                    j = 0
                    for g in range(n_g):
                        ignored = g_ignored[g] != 0 or g_area[g] < lo or g_area[g] > hi
                        ignore[g] = 1 if ignored else 0
                        if not ignored:
                            order[j] = g
                            j += 1
                    for g in range(n_g):
                        if ignore[g]:
                            order[j] = g
                            j += 1
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
                                if ious[d * max_g + g] < best:
                                    continue
                                best = ious[d * max_g + g]
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
                            if record_dt:
                                dt_match[d0 + d, t, a] = g0 + m
                            if ignore[m]:
                                codes[d0 + d, t, a] = IGNORED
                            elif g_id[m] != 0:
                                codes[d0 + d, t, a] = TRUE_POSITIVE
                            else:
                                codes[d0 + d, t, a] = IGNORED if out_of_range else FALSE_POSITIVE
    finally:
        free(ious)
        free(order)
        free(g_id)
        free(d_id)
        free(ignore)
        free(taken)
        free(g_crowd)
        free(g_ignored)
        free(d_free_ignored)
        free(g_area)
        free(d_area)


cdef void merge_sort_by_key(int64_t *items, Py_ssize_t n, const double *key, int64_t *work) noexcept nogil:
    """Sort items[:n] stably by key[items] ascending (bottom-up merge sort; ``work`` holds n items).
    Every stable sort gives this one order, NumPy's mergesort included."""
    cdef Py_ssize_t width = 1, lo, mid, hi, i, j, k
    cdef int64_t *source = items
    cdef int64_t *target = work
    cdef int64_t *swap
    cdef int64_t item
    # runs of 16 by insertion sort first (stable: an item moves only past strictly larger keys)
    width = 16
    lo = 0
    while lo < n:
        hi = min(lo + width, n)
        for i in range(lo + 1, hi):
            item = items[i]
            j = i - 1
            while j >= lo and key[items[j]] > key[item]:
                items[j + 1] = items[j]
                j -= 1
            items[j + 1] = item
        lo += width
    while width < n:
        lo = 0
        while lo < n:
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i = lo
            j = mid
            k = lo
            while i < mid and j < hi:
                if key[source[j]] < key[source[i]]:  # the left item first among equals
                    target[k] = source[j]
                    j += 1
                else:
                    target[k] = source[i]
                    i += 1
                k += 1
            while i < mid:
                target[k] = source[i]
                i += 1
                k += 1
            while j < hi:
                target[k] = source[j]
                j += 1
                k += 1
            lo += 2 * width
        swap = source
        source = target
        target = swap
        width *= 2
    if source != items:
        for i in range(n):
            items[i] = source[i]


cdef inline Py_ssize_t search_left(const double *values, Py_ssize_t n, double x) noexcept nogil:
    """First index i < n with values[i] >= x (values non-decreasing); n if none."""
    cdef Py_ssize_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if values[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def coco_accumulate(Py_ssize_t cat_lo, Py_ssize_t cat_hi, const int64_t[::1] cat_start, const int64_t[::1] order,
                    const uint8_t[:, :, ::1] codes, const int64_t[::1] rank, const double[::1] scores,
                    const int64_t[::1] max_dets, const int64_t[:, ::1] n_positive, const double[::1] rec_thrs,
                    double[:, :, :, :, ::1] precision, double[:, :, :, ::1] recall,
                    double[:, :, :, :, ::1] score_out):
    """pycocotools' accumulate() for the categories ``cat_lo..cat_hi``
    (see ``fastscore.detection._numba.coco_accumulate``)."""
    cdef Py_ssize_t n_thr = codes.shape[1], n_area = codes.shape[2], n_rec = rec_thrs.shape[0]
    cdef Py_ssize_t n_m = max_dets.shape[0], longest = 0, k, s0, n_k, i, t, a, m, r, j, nd, count, d
    cdef int64_t top_rank, max_det, npig
    cdef bint rec_sorted = True, presorted
    cdef double eps = np.spacing(1.0), first_score, thr
    cdef uint8_t code
    for r in range(1, n_rec):
        if rec_thrs[r] < rec_thrs[r - 1]:
            rec_sorted = False
    for k in range(cat_lo, cat_hi):
        longest = max(longest, cat_start[k + 1] - cat_start[k])
    # the category's detections copied in score order: the passes below read memory in sequence
    cdef uint8_t *local_codes = <uint8_t *>allocate(longest * n_thr * n_area)
    cdef int64_t *local_rank = <int64_t *>allocate(longest * sizeof(int64_t))
    cdef double *local_score = <double *>allocate(longest * sizeof(double))
    cdef double *neg_score = <double *>allocate(longest * sizeof(double))
    cdef int64_t *by_score = <int64_t *>allocate(longest * sizeof(int64_t))
    cdef int64_t *work = <int64_t *>allocate(longest * sizeof(int64_t))
    cdef double *tp_pr = <double *>allocate(n_thr * longest * sizeof(double))  # precision, recall, score at each TP
    cdef double *tp_rc = <double *>allocate(n_thr * longest * sizeof(double))
    cdef double *tp_sc = <double *>allocate(n_thr * longest * sizeof(double))
    cdef uint8_t *tp_first = <uint8_t *>allocate(n_thr * longest)
    cdef int64_t *n_tp = <int64_t *>allocate(n_thr * sizeof(int64_t))
    cdef double *tp = <double *>allocate(n_thr * sizeof(double))
    cdef double *fp = <double *>allocate(n_thr * sizeof(double))
    try:
        if (local_codes == NULL or local_rank == NULL or local_score == NULL
                or neg_score == NULL or by_score == NULL
                or work == NULL or tp_pr == NULL or tp_rc == NULL or tp_sc == NULL or tp_first == NULL
                or n_tp == NULL or tp == NULL or fp == NULL):
            raise MemoryError("COCO accumulation: not enough memory for the work buffers")
        with nogil:
            for k in range(cat_lo, cat_hi):
                s0 = cat_start[k]
                n_k = cat_start[k + 1] - s0
                presorted = True
                for i in range(n_k):
                    neg_score[i] = -scores[order[s0 + i]]
                    by_score[i] = i
                    if i > 0 and neg_score[i] < neg_score[i - 1]:
                        presorted = False
                if not presorted:  # (an order sorted by score already is its own stable sort)
                    merge_sort_by_key(by_score, n_k, neg_score, work)
                top_rank = -1
                for i in range(n_k):
                    d = order[s0 + by_score[i]]
                    local_rank[i] = rank[d]
                    top_rank = max(top_rank, rank[d])
                    local_score[i] = scores[d]
                    for t in range(n_thr):
                        for a in range(n_area):
                            local_codes[(i * n_thr + t) * n_area + a] = codes[d, t, a]
                for a in range(n_area):
                    npig = n_positive[k, a]
                    if npig == 0:
                        continue  # stays -1, as in pycocotools
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
                        # precision and recall are needed at the true positives only (see _numba)
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
                                code = local_codes[(i * n_thr + t) * n_area + a]
                                if code == TRUE_POSITIVE:
                                    tp[t] += 1.0
                                    j = n_tp[t]
                                    tp_rc[t * longest + j] = tp[t] / npig
                                    tp_pr[t * longest + j] = tp[t] / (fp[t] + tp[t] + eps)
                                    tp_sc[t * longest + j] = local_score[i]
                                    tp_first[t * longest + j] = nd == 0
                                    n_tp[t] = j + 1
                                elif code == FALSE_POSITIVE:
                                    fp[t] += 1.0
                            nd += 1
                        for t in range(n_thr):
                            count = n_tp[t]
                            recall[k, a, m, t] = (tp[t] / npig) if nd > 0 else 0.0
                            for j in range(count - 1, 0, -1):  # envelope: running maximum from the right
                                if tp_pr[t * longest + j] > tp_pr[t * longest + j - 1]:
                                    tp_pr[t * longest + j - 1] = tp_pr[t * longest + j]
                            for r in range(n_rec):
                                precision[k, a, m, t, r] = 0.0
                                score_out[k, a, m, t, r] = 0.0
                            if nd == 0:
                                continue
                            j = 0
                            for r in range(n_rec):
                                thr = rec_thrs[r]
                                if thr <= 0.0 and not (count > 0 and tp_first[t * longest]):
                                    # the first position (not a true positive) has recall 0 >= thr
                                    precision[k, a, m, t, r] = tp_pr[t * longest] if count > 0 else 0.0
                                    score_out[k, a, m, t, r] = first_score
                                    continue
                                # first true positive whose recall reaches thr (searchsorted, side="left")
                                if rec_sorted:
                                    while j < count and tp_rc[t * longest + j] < thr:
                                        j += 1
                                else:
                                    j = search_left(tp_rc + t * longest, count, thr)
                                if j >= count:
                                    break  # pycocotools stops at the first threshold past the curve
                                precision[k, a, m, t, r] = tp_pr[t * longest + j]
                                score_out[k, a, m, t, r] = tp_sc[t * longest + j]
    finally:
        free(local_codes)
        free(local_rank)
        free(local_score)
        free(neg_score)
        free(by_score)
        free(work)
        free(tp_pr)
        free(tp_rc)
        free(tp_sc)
        free(tp_first)
        free(n_tp)
        free(tp)
        free(fp)


def box_iou_corners(const double[:, ::1] b1, const double[::1] area1, const double[:, ::1] b2,
                    const double[::1] area2, const uint8_t[::1] crowd, Py_ssize_t row_lo, Py_ssize_t row_hi,
                    double[:, ::1] out):
    """IoU of boxes given as corners (x1, y1, x2, y2) with their areas, rows row_lo..row_hi
    (see ``fastscore.detection._numba.box_iou_corners``)."""
    cdef Py_ssize_t i, j, m = b2.shape[0]
    cdef double w, h, inter, union
    with nogil:
        for i in range(row_lo, row_hi):
            for j in range(m):
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


cdef bint assign(const double *cost, Py_ssize_t stride, Py_ssize_t n_rows, Py_ssize_t n_cols, int64_t *col4row,
                 double *u, double *v, double *shortest, int64_t *path, int64_t *row4col, uint8_t *seen_row,
                 uint8_t *seen_col, int64_t *remaining) noexcept nogil:
    """Minimum-cost assignment of every row of the n_rows x n_cols matrix at ``cost`` (row
    stride ``stride``; n_rows <= n_cols): shortest augmenting paths with dual potentials, as
    ``fastscore.detection._numba._assign``. False when no complete assignment has finite cost."""
    cdef Py_ssize_t i, j, it, current, best_row, best, n_remaining, sink
    cdef double best_cost, lowest, min_value, reduced
    cdef int64_t previous
    for j in range(n_cols):
        v[j] = 0.0
        row4col[j] = -1
    for i in range(n_rows):
        u[i] = 0.0
        col4row[i] = -1
    if n_rows == n_cols:
        # square problems: column reduction (see _numba)
        for j in range(n_cols - 1, -1, -1):
            best_row = 0
            best_cost = cost[j]
            for i in range(1, n_rows):
                if cost[i * stride + j] < best_cost:
                    best_cost = cost[i * stride + j]
                    best_row = i
            if best_cost == INFINITY:
                return False
            v[j] = best_cost
            if col4row[best_row] == -1:
                col4row[best_row] = j
                row4col[j] = best_row
    for current in range(n_rows):
        if col4row[current] != -1:
            continue
        for j in range(n_cols):
            remaining[j] = n_cols - j - 1
            shortest[j] = INFINITY
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
            lowest = INFINITY
            for it in range(n_remaining):
                j = remaining[it]
                reduced = min_value + cost[i * stride + j] - u[i] - v[j]
                if reduced < shortest[j]:
                    path[j] = i
                    shortest[j] = reduced
                # prefer a free column among equals: it ends the path
                if shortest[j] < lowest or (shortest[j] == lowest and row4col[j] == -1):
                    lowest = shortest[j]
                    best = it
            min_value = lowest
            if min_value == INFINITY:
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


def linear_sum_assignment_batch(const double[:, :, ::1] costs, const int64_t[::1] n_rows, const int64_t[::1] n_cols,
                                Py_ssize_t lo, Py_ssize_t hi, int64_t[:, ::1] col_out, uint8_t[::1] ok):
    """Solve problems lo..hi of a padded (B, R, C) batch
    (see ``fastscore.detection._numba.linear_sum_assignment_batch``)."""
    cdef Py_ssize_t size = max(costs.shape[1], costs.shape[2]), b, i, j, nr, nc
    cdef double *work = <double *>allocate(size * size * sizeof(double))
    cdef int64_t *col4row = <int64_t *>allocate(size * sizeof(int64_t))
    cdef double *u = <double *>allocate(size * sizeof(double))
    cdef double *v = <double *>allocate(size * sizeof(double))
    cdef double *shortest = <double *>allocate(size * sizeof(double))
    cdef int64_t *path = <int64_t *>allocate(size * sizeof(int64_t))
    cdef int64_t *row4col = <int64_t *>allocate(size * sizeof(int64_t))
    cdef uint8_t *seen_row = <uint8_t *>allocate(size)
    cdef uint8_t *seen_col = <uint8_t *>allocate(size)
    cdef int64_t *remaining = <int64_t *>allocate(size * sizeof(int64_t))
    try:
        if (work == NULL or col4row == NULL or u == NULL or v == NULL or shortest == NULL or path == NULL
                or row4col == NULL or seen_row == NULL or seen_col == NULL or remaining == NULL):
            raise MemoryError("linear sum assignment: not enough memory for the work buffers")
        with nogil:
            for b in range(lo, hi):
                nr = n_rows[b]
                nc = n_cols[b]
                if nc < nr:  # solved transposed: the row of each column
                    for i in range(nc):
                        for j in range(nr):
                            work[i * size + j] = costs[b, j, i]
                    ok[b] = assign(work, size, nc, nr, col4row, u, v, shortest, path, row4col, seen_row,
                                   seen_col, remaining)
                    for i in range(nc):
                        col_out[b, i] = col4row[i]
                else:
                    ok[b] = assign(&costs[b, 0, 0], costs.shape[2], nr, nc, col4row, u, v, shortest, path,
                                   row4col, seen_row, seen_col, remaining)
                    for i in range(nr):
                        col_out[b, i] = col4row[i]
    finally:
        free(work)
        free(col4row)
        free(u)
        free(v)
        free(shortest)
        free(path)
        free(row4col)
        free(seen_row)
        free(seen_col)
        free(remaining)


def group_sort(const int64_t[::1] keys, Py_ssize_t n_keys, const double[::1] values, bint sort_runs=True):
    """(order, starts): stable order by (key, value), a counting sort on the keys (0 <= key <
    n_keys) then a stable sort of each key's run by value; ``np.lexsort((values, keys))``
    (see ``fastscore.detection._numba.group_sort``)."""
    cdef Py_ssize_t n = keys.shape[0], i, k, lo, hi, longest = 0
    starts_array = np.zeros(n_keys + 1, dtype=np.int64)
    order_array = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] starts = starts_array
    cdef int64_t[::1] order = order_array
    cdef int64_t *fill = <int64_t *>allocate(n_keys * sizeof(int64_t))
    cdef int64_t *work = NULL
    try:
        if fill == NULL:
            raise MemoryError("group sort: not enough memory")
        with nogil:
            for i in range(n):
                starts[keys[i] + 1] += 1
            for k in range(n_keys):
                starts[k + 1] += starts[k]
            for k in range(n_keys):
                fill[k] = starts[k]
            for i in range(n):
                k = keys[i]
                order[fill[k]] = i
                fill[k] += 1
            if sort_runs:
                for k in range(n_keys):
                    longest = max(longest, starts[k + 1] - starts[k])
                work = <int64_t *>allocate(longest * sizeof(int64_t))
                if work != NULL and n > 0:
                    for k in range(n_keys):
                        lo = starts[k]
                        hi = starts[k + 1]
                        if hi - lo > 1:
                            merge_sort_by_key(&order[lo], hi - lo, &values[0], work)
        if sort_runs and work == NULL:
            raise MemoryError("group sort: not enough memory")
    finally:
        free(fill)
        free(work)
    return order_array, starts_array


def greedy_cross_match(const double[:, ::1] dt_box, const int64_t[::1] dt_lo, const int64_t[::1] dt_hi,
                       const double[:, ::1] gt_box, const int64_t[::1] gt_lo, const int64_t[::1] gt_hi,
                       double iou_threshold, int64_t[::1] dt_match):
    """Per image, detections in order each take the free ground truth of highest IoU >= the
    threshold (see ``fastscore.detection._numba.greedy_cross_match``)."""
    cdef Py_ssize_t img, g0, n_g, d, g, m, longest = 0
    cdef double best, iou
    for img in range(dt_lo.shape[0]):
        longest = max(longest, gt_hi[img] - gt_lo[img])
    cdef uint8_t *taken = <uint8_t *>allocate(longest)
    if taken == NULL:
        raise MemoryError("cross-class matching: not enough memory")
    with nogil:
        for img in range(dt_lo.shape[0]):
            g0 = gt_lo[img]
            n_g = gt_hi[img] - g0
            for g in range(n_g):
                taken[g] = 0
            for d in range(dt_lo[img], dt_hi[img]):
                best = iou_threshold
                m = -1
                for g in range(n_g):
                    if taken[g]:
                        continue
                    iou = iou_xywh(dt_box[d, 0], dt_box[d, 1], dt_box[d, 2], dt_box[d, 3],
                                   gt_box[g0 + g, 0], gt_box[g0 + g, 1], gt_box[g0 + g, 2], gt_box[g0 + g, 3], False)
                    if iou < best:
                        continue
                    best = iou  # on equal IoUs the later one wins, as in COCO's loop
                    m = g
                if m >= 0:
                    taken[m] = 1
                    dt_match[d] = g0 + m
    free(taken)


def box_table_problems(const double[:, ::1] bbox, const double[::1] area, const double[::1] score):
    """The first row of each problem of a box table, -1 where none: a NaN or infinite coordinate,
    a negative width or height, a non-finite area, a non-finite score (``score`` may be empty)."""
    cdef int64_t[4] first = [-1, -1, -1, -1]
    cdef Py_ssize_t i, n = bbox.shape[0], n_score = score.shape[0]
    with nogil:
        for i in range(n):
            if first[0] < 0 and not (isfinite(bbox[i, 0]) and isfinite(bbox[i, 1]) and isfinite(bbox[i, 2])
                                     and isfinite(bbox[i, 3])):
                first[0] = i
            if first[1] < 0 and (bbox[i, 2] < 0 or bbox[i, 3] < 0):
                first[1] = i
            if first[2] < 0 and not isfinite(area[i]):
                first[2] = i
            if i < n_score and first[3] < 0 and not isfinite(score[i]):
                first[3] = i
    return np.array([first[0], first[1], first[2], first[3]], dtype=np.int64)
