# cython: language_level=3
"""Bootstrap replicates of the COCO summary (``fastscore._cy.coco_replicates``).

One call turns image multiplicities (one row of counts per replicate) into
the summary stats and per-class AP of the data set in which image i is
repeated counts[i] times, from the matching of the original images (done
once: matching is per image, so a repeated image is matched the same way).

The model's detections come prepared (``fastscore/compare/detection.py``)
as streams, one per (area range, maxDets, category), in pycocotools'
accumulation order (descending score, stable), each detection reduced to
its image and 64 bits: bit t true positive at IoU threshold t, bit 32 + t
ignored at t (no bit: a false positive). Detections ignored at every threshold are left
out of a stream (they move no cumulative sum); a curve with no detection
at all in a replicate is found from a list of its detections' images. A detection of an image drawn w times stands for w
copies side by side; its precision counts at its last copy, which is the
envelope's value at the earlier copies too (their precision is lower and
comes before). Detections of one image, category and score (a tie) are
interleaved copy by copy in the repeated data set, so such a block is
walked w times instead.

Cumulative counts are sums of integers (exact in float64), precision
``tp / ((fp + tp) + eps)`` and recall ``tp / npig`` in pycocotools'
operations, and the means of the summary are NumPy's pairwise sums of the
selected values in NumPy's order divided by their number: the numbers equal
pycocotools (and the reference) to the bit. The reference is
``fastscore.compare._reference.coco_replicate_stats``.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.math cimport NAN
from numpy_sums cimport pairwise_sum

cdef extern from *:
    int __builtin_ctz(unsigned int x) nogil

# np.spacing(1): pycocotools adds it to the denominator of precision
cdef double EPSILON = 2.220446049250313e-16


cdef inline void count_marked(uint64_t bits, int64_t w, int64_t total, double npig, Py_ssize_t cap,
                              int64_t *tp, int64_t *ignored, int64_t *n_points, double *point_recall,
                              double *point_precision) noexcept nogil:
    """A detection of weight w (w copies, ``total`` counted so far including them) that is a true
    positive (low 32 bits) or ignored (high 32 bits) at some thresholds: its cumulative counts,
    and a curve point at each threshold where it is a true positive."""
    cdef uint32_t mask = <uint32_t>(bits >> 32)
    cdef Py_ssize_t t, q
    while mask:
        ignored[__builtin_ctz(mask)] += w
        mask &= mask - 1
    mask = <uint32_t>bits
    while mask:
        t = __builtin_ctz(mask)
        tp[t] += w
        q = t * cap + n_points[t]
        point_recall[q] = tp[t] / npig
        # fp + tp is the count of detections not ignored at t so far (integers: exact in float64)
        point_precision[q] = tp[t] / (<double>(total - ignored[t]) + EPSILON)
        n_points[t] += 1
        mask &= mask - 1


cdef inline Py_ssize_t search_left(const double *values, Py_ssize_t n, double x) noexcept nogil:
    """np.searchsorted(values[:n], x, side="left")."""
    cdef Py_ssize_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def coco_replicate_stats(const int32_t[:, ::1] counts, Py_ssize_t n_k, Py_ssize_t n_area, Py_ssize_t n_thr,
                         const double[::1] rec_thrs,
                         const int64_t[::1] curve_area, const int64_t[::1] curve_head, const int64_t[::1] curve_start,
                         const int32_t[::1] e_image, const uint64_t[::1] e_bits,
                         const int32_t[::1] e_run, const uint8_t[::1] curve_tied,
                         const int64_t[::1] head_start, const int32_t[::1] h_image,
                         const int64_t[::1] recall_area, const int64_t[::1] recall_start, const int32_t[::1] r_image,
                         const uint32_t[::1] r_tp,
                         const int32_t[::1] pos_image, const int64_t[::1] pos_cell, const double[::1] pos_count,
                         const int64_t[::1] spec_kind, const int64_t[::1] spec_combo, const int64_t[::1] spec_t_start,
                         const int64_t[::1] spec_t, Py_ssize_t per_class_curve, double[:, ::1] out):
    """The summary stats (then per-class AP) of each replicate, into ``out[replicate]``.

    Parameters (all prepared by ``fastscore.compare.detection``)
    ----------
    counts : (B, n_images) int32
        Image multiplicities of each replicate.
    curve_area, curve_head : (C,)
        Area range and head list of each precision curve (an (area, maxDets) pair).
    curve_start : (C * n_k + 1,)
        Stream of curve c, category k: ``e_*[curve_start[c * n_k + k]:curve_start[c * n_k + k + 1]]``;
        ``e_run[i]`` is the length of the tie block starting at i (1: no tie);
        ``curve_tied[c * n_k + k]`` whether that stream has a tie block at all.
    head_start, h_image
        Per (head, category): the images of the detections within the curve's maxDets (ignored
        ones too): whether a replicate has any detection on the curve.
    recall_area, recall_start, r_image, r_tp
        Recall-only (area, maxDets) pairs: their true positives (any order).
    pos_image, pos_cell, pos_count
        Ground truths not ignored: image, category * n_area + area, how many.
    spec_kind, spec_combo, spec_t_start, spec_t
        Per summary stat: 1 AP of curve ``combo``, 0 AR of pair ``combo`` (curves first, then
        the recall-only pairs), -1 nothing selected (-1); the thresholds it averages over
        (consecutive indices).
    per_class_curve : int
        The curve of per-class AP (area "all", the last maxDets), -1 for none.
    """
    cdef Py_ssize_t n_rep = counts.shape[0], n_img = counts.shape[1], n_rec = rec_thrs.shape[0]
    cdef Py_ssize_t n_curve = curve_area.shape[0], n_recall = recall_area.shape[0]
    cdef Py_ssize_t n_combo = n_curve + n_recall, n_spec = spec_kind.shape[0]
    cdef Py_ssize_t b, c, k, t, r, i, j, s0, s1, a, count, cap = 1, need, run, copy, s, n, q
    cdef Py_ssize_t curve_size = n_thr * n_rec * n_k, longest_select = 1
    cdef bint rec_sorted = True, found
    cdef double npig, thr
    cdef int64_t total, w
    cdef uint64_t bits
    cdef uint32_t mask
    cdef const int32_t *weight
    cdef double *curve_values
    cdef double *recall_values
    cdef Py_ssize_t nv, slot, stride, t0
    for r in range(1, n_rec):
        if rec_thrs[r] < rec_thrs[r - 1]:
            rec_sorted = False
    for c in range(n_curve * n_k):
        cap = max(cap, curve_start[c + 1] - curve_start[c])
    longest_select = max(curve_size, 1)
    cdef double *precision = <double *>malloc(max(n_curve * curve_size, 1) * sizeof(double))
    cdef double *recall = <double *>malloc(max(n_combo * n_thr * n_k, 1) * sizeof(double))
    cdef double *positives = <double *>malloc(max(n_k * n_area, 1) * sizeof(double))
    cdef int64_t *tp = <int64_t *>malloc(max(n_thr, 1) * sizeof(int64_t))
    cdef int64_t *ignored = <int64_t *>malloc(max(n_thr, 1) * sizeof(int64_t))
    cdef int64_t *n_points = <int64_t *>malloc(max(n_thr, 1) * sizeof(int64_t))
    cdef double *selected = <double *>malloc(longest_select * sizeof(double))
    cdef double *point_recall = <double *>malloc(n_thr * cap * sizeof(double))
    cdef double *point_precision = <double *>malloc(n_thr * cap * sizeof(double))
    # per (area, maxDets) pair: the categories with positives in this replicate, numbered in order
    cdef int64_t *slots = <int64_t *>malloc(max(n_combo * n_k, 1) * sizeof(int64_t))
    cdef int64_t *n_valid = <int64_t *>malloc(max(n_combo, 1) * sizeof(int64_t))
    try:
        if (precision == NULL or recall == NULL or positives == NULL or tp == NULL or ignored == NULL
                or n_points == NULL or selected == NULL or point_recall == NULL or point_precision == NULL
                or slots == NULL or n_valid == NULL):
            raise MemoryError("COCO replicates: not enough memory for the work buffers")
        with nogil:
            for b in range(n_rep):
                weight = &counts[b, 0]
                # positives of each (category, area): the drawn images' ground truths
                for i in range(n_k * n_area):
                    positives[i] = 0.0
                for i in range(pos_image.shape[0]):
                    positives[pos_cell[i]] += weight[pos_image[i]] * pos_count[i]
                # The summary averages the values > -1, which are those of the categories with
                # positives (the others stay -1 in pycocotools). Each pair's values are kept
                # compacted in NumPy's selection order: (threshold, recall threshold, category),
                # the category fastest, only those categories, so a stat is one pairwise sum.
                for c in range(n_combo):
                    a = curve_area[c] if c < n_curve else recall_area[c - n_curve]
                    nv = 0
                    for k in range(n_k):
                        if positives[k * n_area + a] > 0:
                            slots[c * n_k + k] = nv
                            nv += 1
                        else:
                            slots[c * n_k + k] = -1
                    n_valid[c] = nv

                for c in range(n_curve):
                    a = curve_area[c]
                    nv = n_valid[c]
                    for k in range(n_k):
                        slot = slots[c * n_k + k]
                        if slot < 0:  # no positive: -1 in pycocotools, left out of every mean
                            continue
                        npig = positives[k * n_area + a]
                        # value (t, r) of this category at curve_values[(t * n_rec + r) * nv];
                        # its recall at t at recall_values[t * nv]
                        curve_values = precision + c * curve_size + slot
                        recall_values = recall + c * n_thr * n_k + slot
                        found = False
                        for i in range(head_start[curve_head[c] * n_k + k], head_start[curve_head[c] * n_k + k + 1]):
                            if weight[h_image[i]] > 0:
                                found = True
                                break
                        if not found:  # no detection in the drawn images: precision and recall 0
                            for t in range(n_thr):
                                recall_values[t * nv] = 0.0
                            for j in range(n_thr * n_rec):
                                curve_values[j * nv] = 0.0
                            continue
                        s0 = curve_start[c * n_k + k]
                        s1 = curve_start[c * n_k + k + 1]
                        # room for one point per detection copy (a tie block counts once per copy)
                        need = s1 - s0
                        if curve_tied[c * n_k + k]:
                            need = 0
                            i = s0
                            while i < s1:
                                run = e_run[i]
                                need += run * weight[e_image[i]] if run > 1 else 1
                                i += run
                        if need > cap:
                            free(point_recall)
                            free(point_precision)
                            cap = need
                            point_recall = <double *>malloc(n_thr * cap * sizeof(double))
                            point_precision = <double *>malloc(n_thr * cap * sizeof(double))
                            if point_recall == NULL or point_precision == NULL:
                                with gil:
                                    raise MemoryError("COCO replicates: not enough memory for the curve points")
                        total = 0
                        for t in range(n_thr):
                            tp[t] = 0
                            ignored[t] = 0
                            n_points[t] = 0
                        if not curve_tied[c * n_k + k]:
                            # most detections are false positives at every threshold (bits 0): one add
                            for i in range(s0, s1):
                                w = weight[e_image[i]]
                                total += w
                                bits = e_bits[i]
                                if bits != 0 and w > 0:
                                    count_marked(bits, w, total, npig, cap, tp, ignored, n_points, point_recall,
                                                 point_precision)
                        else:
                            i = s0
                            while i < s1:
                                run = e_run[i]
                                w = weight[e_image[i]]
                                if run == 1 or w == 0:
                                    total += w
                                    if e_bits[i] != 0 and w > 0:
                                        count_marked(e_bits[i], w, total, npig, cap, tp, ignored, n_points,
                                                     point_recall, point_precision)
                                else:  # a tie block: its copies interleave, one block copy after another
                                    for copy in range(w):
                                        for j in range(i, i + run):
                                            total += 1
                                            if e_bits[j] != 0:
                                                count_marked(e_bits[j], 1, total, npig, cap, tp, ignored, n_points,
                                                             point_recall, point_precision)
                                i += run
                        for t in range(n_thr):
                            recall_values[t * nv] = tp[t] / npig
                            count = n_points[t]
                            q = t * cap
                            for j in range(count - 1, 0, -1):  # envelope: running maximum from the right
                                if point_precision[q + j] > point_precision[q + j - 1]:
                                    point_precision[q + j - 1] = point_precision[q + j]
                            j = 0
                            for r in range(n_rec):
                                thr = rec_thrs[r]
                                if thr <= 0.0:
                                    # the first position has recall >= thr; its envelope is the curve's maximum
                                    curve_values[(t * n_rec + r) * nv] = point_precision[q] if count > 0 else 0.0
                                    continue
                                if rec_sorted:
                                    while j < count and point_recall[q + j] < thr:
                                        j += 1
                                else:
                                    j = search_left(point_recall + q, count, thr)
                                if j >= count:  # pycocotools stops at the first threshold past the curve
                                    for r in range(r, n_rec):
                                        curve_values[(t * n_rec + r) * nv] = 0.0
                                    break
                                curve_values[(t * n_rec + r) * nv] = point_precision[q + j]

                for c in range(n_recall):
                    a = recall_area[c]
                    nv = n_valid[n_curve + c]
                    for k in range(n_k):
                        slot = slots[(n_curve + c) * n_k + k]
                        if slot < 0:
                            continue
                        npig = positives[k * n_area + a]
                        for t in range(n_thr):
                            tp[t] = 0
                        for i in range(recall_start[c * n_k + k], recall_start[c * n_k + k + 1]):
                            w = weight[r_image[i]]
                            if w > 0:
                                mask = r_tp[i]
                                while mask:
                                    tp[__builtin_ctz(mask)] += w
                                    mask &= mask - 1
                        recall_values = recall + (n_curve + c) * n_thr * n_k + slot
                        for t in range(n_thr):
                            recall_values[t * nv] = tp[t] / npig

                # the summary: np.mean of the selected values > -1, in NumPy's order: blocks of one
                # threshold each (n_rec * nv values for AP, nv for AR), one pairwise sum
                for s in range(n_spec):
                    if spec_kind[s] < 0:
                        out[b, s] = -1.0
                        continue
                    nv = n_valid[spec_combo[s]]
                    if spec_kind[s] == 1:
                        curve_values = precision + spec_combo[s] * curve_size
                        stride = n_rec * nv
                    else:
                        curve_values = recall + spec_combo[s] * n_thr * n_k
                        stride = nv
                    n = (spec_t_start[s + 1] - spec_t_start[s]) * stride
                    if n == 0:
                        out[b, s] = -1.0
                        continue
                    t0 = spec_t[spec_t_start[s]]  # the thresholds of a stat are consecutive (see the plan)
                    out[b, s] = pairwise_sum(curve_values + t0 * stride, n) / n
                if per_class_curve >= 0:  # detectron2's per-class AP: np.mean(precision[:, :, k, 0, -1] > -1)
                    nv = n_valid[per_class_curve]
                    curve_values = precision + per_class_curve * curve_size
                    for k in range(n_k):
                        slot = slots[per_class_curve * n_k + k]
                        if slot < 0:
                            out[b, n_spec + k] = NAN
                            continue
                        for j in range(n_thr * n_rec):
                            selected[j] = curve_values[j * nv + slot]
                        out[b, n_spec + k] = pairwise_sum(selected, n_thr * n_rec) / (n_thr * n_rec)
    finally:
        free(precision)
        free(recall)
        free(positives)
        free(tp)
        free(ignored)
        free(n_points)
        free(selected)
        free(point_recall)
        free(point_precision)
        free(slots)
        free(n_valid)
