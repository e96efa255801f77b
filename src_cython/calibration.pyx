# cython: language_level=3
"""Cython kernels of binned calibration (``fastscore._cy.calibration``).

The same algorithm as ``fastscore/calibration/_numba.py``, chunk by chunk in
the same order, sequentially: results equal the Numba backend's. See
``fastscore/calibration/_layout.py`` for the state layout. Each function
returns ``(stats, totals, first_bad_index)``; a bad index >= 0 means a value
failed its check and the caller raises a precise error.
"""
import numpy as np

from libc.math cimport fabs

ctypedef fused prob_t:
    float
    double

ctypedef fused label_t:
    signed char
    int
    long long

cdef int N_STATS = 5
cdef int N_TOTALS = 4
cdef Py_ssize_t MIN_CHUNK = 1 << 16
cdef Py_ssize_t MAX_CHUNKS = 64
cdef double EDGE_SLACK = 1e-9


cdef inline Py_ssize_t _chunk_size(Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t size = (n + MAX_CHUNKS - 1) // MAX_CHUNKS
    return MIN_CHUNK if size < MIN_CHUNK else size


cdef inline Py_ssize_t _bin_index(double p, const double[:, ::1] edges, Py_ssize_t row,
                                  Py_ssize_t n_bins, bint uniform, bint right) noexcept nogil:
    cdef double scaled, frac, e
    cdef Py_ssize_t b, lo, hi, mid
    if uniform:
        scaled = p * n_bins
        b = <Py_ssize_t>scaled
        frac = scaled - b
        if frac < EDGE_SLACK or frac > 1.0 - EDGE_SLACK or b >= n_bins:
            if b > n_bins - 1:
                b = n_bins - 1
            if right:
                while b > 0 and p <= edges[row, b]:
                    b -= 1
                while b < n_bins - 1 and p > edges[row, b + 1]:
                    b += 1
            else:
                while b > 0 and p < edges[row, b]:
                    b -= 1
                while b < n_bins - 1 and p >= edges[row, b + 1]:
                    b += 1
        return b
    lo = 0
    hi = n_bins - 1
    while lo < hi:
        mid = (lo + hi) // 2
        e = edges[row, mid + 1]
        if (e < p) if right else (e <= p):
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef inline void _add(double[:, :, ::1] acc, Py_ssize_t b, Py_ssize_t y, double w, double p) noexcept nogil:
    acc[b, y, 0] += w
    acc[b, y, 1] += w * p
    acc[b, y, 2] += w * p * p


cdef inline bint _scan_row(const prob_t[:, ::1] y_prob, Py_ssize_t i, Py_ssize_t label, double sum_tol,
                           int* correct, double* top_out, double* brier) noexcept nogil:
    cdef Py_ssize_t k, n_classes = y_prob.shape[1], earlier = 0
    cdef double p, row_sum = 0.0, squares = 0.0, top = -1.0, low = 2.0, p_label
    cdef bint ok
    for k in range(n_classes):
        p = <double>y_prob[i, k]
        row_sum += p
        squares += p * p
        if p > top:
            top = p
        if p < low:
            low = p
    ok = (low >= 0.0) and (top <= 1.0) and (fabs(row_sum - 1.0) <= sum_tol)
    p_label = <double>y_prob[i, label]
    correct[0] = 0
    if p_label == top:
        for k in range(label):
            earlier += (<double>y_prob[i, k]) == top
        correct[0] = 1 if earlier == 0 else 0
    top_out[0] = top
    brier[0] = squares - 2.0 * p_label + 1.0
    return ok


cdef Py_ssize_t _binary_chunk(const label_t[::1] y_true, const prob_t[::1] y_prob, const double[::1] weights,
                              bint weighted, const double[:, ::1] edges, bint uniform, bint right,
                              Py_ssize_t start, Py_ssize_t stop, double[:, :, ::1] acc,
                              double[::1] totals) noexcept nogil:
    cdef Py_ssize_t i, y, n_bins = edges.shape[1] - 1
    cdef double p, w, yf, brier = 0.0, correct = 0.0, confidence = 0.0, weight_sum = 0.0
    for i in range(start, stop):
        p = <double>y_prob[i]
        y = <Py_ssize_t>y_true[i]
        if not (p >= 0.0 and p <= 1.0 and y >= 0 and y <= 1):
            return i
        w = weights[i] if weighted else 1.0
        _add(acc, _bin_index(p, edges, 0, n_bins, uniform, right), y, w, p)
        yf = <double>y
        brier += w * (p - yf) * (p - yf)
        weight_sum += w
        confidence += w * (p if p >= 1.0 - p else 1.0 - p)
        correct += w * (yf if p >= 0.5 else 1.0 - yf)
    totals[0] = brier
    totals[1] = correct
    totals[2] = confidence
    totals[3] = weight_sum
    return -1


cdef Py_ssize_t _multiclass_chunk(const label_t[::1] y_true, const prob_t[:, ::1] y_prob,
                                  const double[::1] weights, bint weighted, const double[:, ::1] edges,
                                  bint uniform, bint right, double sum_tol, bint classwise,
                                  Py_ssize_t start, Py_ssize_t stop, double[:, :, ::1] acc,
                                  double[::1] totals) noexcept nogil:
    cdef Py_ssize_t i, k, label, n_classes = y_prob.shape[1], n_bins = edges.shape[1] - 1
    cdef int correct
    cdef double w, p, confidence, brier
    cdef double brier_sum = 0.0, correct_sum = 0.0, confidence_sum = 0.0, weight_sum = 0.0
    for i in range(start, stop):
        label = <Py_ssize_t>y_true[i]
        if label < 0 or label >= n_classes:
            return i
        if not _scan_row(y_prob, i, label, sum_tol, &correct, &confidence, &brier):
            return i
        w = weights[i] if weighted else 1.0
        if classwise:
            for k in range(n_classes):
                p = <double>y_prob[i, k]
                _add(acc, k * n_bins + _bin_index(p, edges, k, n_bins, uniform, right),
                     1 if k == label else 0, w, p)
        else:
            _add(acc, _bin_index(confidence, edges, 0, n_bins, uniform, right), correct, w, confidence)
        brier_sum += w * brier
        correct_sum += w * correct
        confidence_sum += w * confidence
        weight_sum += w
    totals[0] = brier_sum
    totals[1] = correct_sum
    totals[2] = confidence_sum
    totals[3] = weight_sum
    return -1


cdef tuple _finish(double[:, :, :, ::1] part, double[:, ::1] part_totals, Py_ssize_t[::1] bad):
    """Add chunk slots in order; (chunk, bins, y, 3) -> (bins, 5); first bad index."""
    cdef Py_ssize_t c, b, j, y, n_chunks = part.shape[0], n_rows = part.shape[1]
    cdef Py_ssize_t first = -1
    acc_arr = np.array(part[0], dtype=np.float64)
    totals_arr = np.array(part_totals[0], dtype=np.float64)
    cdef double[:, :, ::1] acc = acc_arr
    cdef double[::1] totals = totals_arr
    for c in range(1, n_chunks):
        for b in range(n_rows):
            for y in range(2):
                for j in range(3):
                    acc[b, y, j] += part[c, b, y, j]
        for j in range(N_TOTALS):
            totals[j] += part_totals[c, j]
    stats_arr = np.empty((n_rows, N_STATS), dtype=np.float64)
    cdef double[:, ::1] stats = stats_arr
    for b in range(n_rows):
        stats[b, 0] = acc[b, 0, 0] + acc[b, 1, 0]
        stats[b, 1] = acc[b, 0, 1] + acc[b, 1, 1]
        stats[b, 2] = acc[b, 1, 0]
        stats[b, 3] = acc[b, 0, 2] + acc[b, 1, 2]
        stats[b, 4] = acc[b, 1, 1]
    for c in range(n_chunks):
        if bad[c] >= 0 and (first < 0 or bad[c] < first):
            first = bad[c]
    return stats_arr, totals_arr, first


def binary_bins(const label_t[::1] y_true, const prob_t[::1] y_prob, weights,
                const double[:, ::1] edges, bint uniform, bint right):
    cdef Py_ssize_t n = y_prob.shape[0], n_bins = edges.shape[1] - 1
    cdef Py_ssize_t size = _chunk_size(n), n_chunks = max(1, (n + size - 1) // size), c, b
    cdef bint weighted = weights is not None
    cdef const double[::1] w = weights if weighted else np.empty(0)
    part_arr = np.zeros((n_chunks, n_bins, 2, 3))
    part_totals_arr = np.zeros((n_chunks, N_TOTALS))
    bad_arr = np.empty(n_chunks, dtype=np.intp)
    cdef double[:, :, :, ::1] part = part_arr
    cdef double[:, ::1] part_totals = part_totals_arr
    cdef Py_ssize_t[::1] bad = bad_arr
    with nogil:
        for c in range(n_chunks):
            bad[c] = _binary_chunk(y_true, y_prob, w, weighted, edges, uniform, right,
                                   c * size, min(n, (c + 1) * size), part[c], part_totals[c])
    return _finish(part, part_totals, bad)


def _multiclass(const label_t[::1] y_true, const prob_t[:, ::1] y_prob, weights,
                const double[:, ::1] edges, bint uniform, bint right, double sum_tol, bint classwise):
    cdef Py_ssize_t n = y_prob.shape[0], n_classes = y_prob.shape[1], n_bins = edges.shape[1] - 1
    cdef Py_ssize_t size = _chunk_size(n), n_chunks = max(1, (n + size - 1) // size), c
    cdef Py_ssize_t n_rows = n_classes * n_bins if classwise else n_bins
    cdef bint weighted = weights is not None
    cdef const double[::1] w = weights if weighted else np.empty(0)
    part_arr = np.zeros((n_chunks, n_rows, 2, 3))
    part_totals_arr = np.zeros((n_chunks, N_TOTALS))
    bad_arr = np.empty(n_chunks, dtype=np.intp)
    cdef double[:, :, :, ::1] part = part_arr
    cdef double[:, ::1] part_totals = part_totals_arr
    cdef Py_ssize_t[::1] bad = bad_arr
    with nogil:
        for c in range(n_chunks):
            bad[c] = _multiclass_chunk(y_true, y_prob, w, weighted, edges, uniform, right, sum_tol, classwise,
                                       c * size, min(n, (c + 1) * size), part[c], part_totals[c])
    return _finish(part, part_totals, bad)


def toplabel_bins(y_true, y_prob, weights, edges, uniform, right, sum_tol):
    return _multiclass(y_true, y_prob, weights, edges, uniform, right, sum_tol, False)


def classwise_bins(y_true, y_prob, weights, edges, uniform, right, sum_tol):
    stats, totals, first = _multiclass(y_true, y_prob, weights, edges, uniform, right, sum_tol, True)
    return stats.reshape(y_prob.shape[1], edges.shape[1] - 1, N_STATS), totals, first
