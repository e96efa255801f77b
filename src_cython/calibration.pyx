# cython: language_level=3
"""Cython kernels of binned calibration (``fastscore._cy.calibration``).

The chunk functions of ``fastscore/calibration/_numba.py`` (see its
docstring for the contract), operation for operation, so that both backends
give bit-identical results. They release the GIL while they run.
"""
import numpy as np

from libc.math cimport fabs

ctypedef fused prob_t:
    float
    double

ctypedef fused label_t:
    signed char
    long long

cdef double EDGE_SLACK = 1e-9


cdef inline Py_ssize_t _bin_index(double p, const double[:, ::1] edges, Py_ssize_t row,
                                  Py_ssize_t n_bins, bint uniform) noexcept nogil:
    cdef double scaled, frac
    cdef Py_ssize_t b, lo, hi, mid
    if uniform:
        scaled = p * n_bins
        b = <Py_ssize_t>scaled
        frac = scaled - b
        if frac < EDGE_SLACK or frac > 1.0 - EDGE_SLACK or b >= n_bins:
            if b > n_bins - 1:
                b = n_bins - 1
            while b > 0 and p < edges[row, b]:
                b -= 1
            while b < n_bins - 1 and p >= edges[row, b + 1]:
                b += 1
        return b
    lo = 0
    hi = n_bins - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if edges[row, mid + 1] <= p:
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


cdef inline Py_ssize_t _binary_chunk(const label_t[::1] y_true, const prob_t[::1] y_prob, const double[::1] weights,
                              bint weighted, const double[:, ::1] edges, bint uniform,
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
        _add(acc, _bin_index(p, edges, 0, n_bins, uniform), y, w, p)
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


cdef inline Py_ssize_t _multiclass_chunk(const label_t[::1] y_true, const prob_t[:, ::1] y_prob,
                                  const double[::1] weights, bint weighted, const double[:, ::1] edges,
                                  bint uniform, double sum_tol, bint classwise,
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
                _add(acc, k * n_bins + _bin_index(p, edges, k, n_bins, uniform),
                     1 if k == label else 0, w, p)
        else:
            _add(acc, _bin_index(confidence, edges, 0, n_bins, uniform), correct, w, confidence)
        brier_sum += w * brier
        correct_sum += w * correct
        confidence_sum += w * confidence
        weight_sum += w
    totals[0] = brier_sum
    totals[1] = correct_sum
    totals[2] = confidence_sum
    totals[3] = weight_sum
    return -1


cdef const double[::1] _NO_WEIGHTS = np.empty(0)


def binary_chunk(const label_t[::1] y_true, const prob_t[::1] y_prob, weights, const double[:, ::1] edges,
                 bint uniform, double sum_tol, Py_ssize_t start, Py_ssize_t stop,
                 double[:, :, ::1] acc, double[::1] totals):
    cdef bint weighted = weights is not None
    cdef const double[::1] w = weights if weighted else _NO_WEIGHTS
    cdef Py_ssize_t bad
    with nogil:
        # constant flags let the C compiler specialise the loop (as Numba does)
        if uniform:
            bad = _binary_chunk(y_true, y_prob, w, weighted, edges, True, start, stop, acc, totals)
        else:
            bad = _binary_chunk(y_true, y_prob, w, weighted, edges, False, start, stop, acc, totals)
    return bad


def _multiclass(const label_t[::1] y_true, const prob_t[:, ::1] y_prob, weights, const double[:, ::1] edges,
                bint uniform, double sum_tol, bint classwise, Py_ssize_t start, Py_ssize_t stop,
                double[:, :, ::1] acc, double[::1] totals):
    cdef bint weighted = weights is not None
    cdef const double[::1] w = weights if weighted else _NO_WEIGHTS
    cdef Py_ssize_t bad
    with nogil:
        # constant flags let the C compiler specialise the loop (as Numba does)
        if uniform:
            bad = _multiclass_chunk(y_true, y_prob, w, weighted, edges, True, sum_tol, classwise,
                                    start, stop, acc, totals)
        else:
            bad = _multiclass_chunk(y_true, y_prob, w, weighted, edges, False, sum_tol, classwise,
                                    start, stop, acc, totals)
    return bad


def toplabel_chunk(y_true, y_prob, weights, edges, uniform, sum_tol, start, stop, acc, totals):
    return _multiclass(y_true, y_prob, weights, edges, uniform, sum_tol, False, start, stop, acc, totals)


def classwise_chunk(y_true, y_prob, weights, edges, uniform, sum_tol, start, stop, acc, totals):
    return _multiclass(y_true, y_prob, weights, edges, uniform, sum_tol, True, start, stop, acc, totals)
