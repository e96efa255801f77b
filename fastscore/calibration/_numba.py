"""Numba kernels of binned calibration: one fused pass over the data.

Each kernel checks the values it reads (probabilities in [0, 1], labels in
range, row sums) and returns the index of the first bad sample (or -1)
instead of raising, so that the Python side can write a precise message.

Rows are cut into chunks (``_layout.chunk_size``); each chunk is summed by a
plain sequential function into its own slot, and the slots are added in
order, so that results do not depend on the number of threads. The Cython
backend runs the same chunk functions in the same order.

Inside a chunk the state is kept split by outcome, ``acc[bin, y, j]`` with
j = (sum w, sum w*p, sum w*p**2): three additions per sample and no multiply
by ``y``. ``_to_layout`` turns it into the five-column layout of ``_layout``.
"""
import numpy as np
from numba import njit, prange

from ._layout import MAX_CHUNKS, MIN_CHUNK, N_STATS, N_TOTALS

# p * n_bins within this distance of an integer may sit on a bin edge: only
# then are the exact edges consulted (a rare, well-predicted branch).
_EDGE_SLACK = 1e-9


@njit(cache=True, nogil=True, inline="always")
def _bin_index(p, edges, row, n_bins, uniform, right):
    """Bin of ``p`` among ``edges[row]``, as NumPy's searchsorted on the inner edges.

    ``right=False``: [a, b) bins, p = 1 in the last (side="right").
    ``right=True``: (a, b] bins, p = 0 in the first (side="left", scikit-learn).
    ``uniform`` promises ``edges[row] == np.linspace(0, 1, n_bins + 1)``.
    """
    if uniform:
        scaled = p * n_bins
        b = int(scaled)
        frac = scaled - b
        if frac < _EDGE_SLACK or frac > 1.0 - _EDGE_SLACK or b >= n_bins:
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
    # binary search: the number of inner edges edges[row, 1:n_bins] below p
    # (strictly below when right-closed, at or below when left-closed)
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


@njit(cache=True, nogil=True, inline="always")
def _add(acc, b, y, w, p):
    acc[b, y, 0] += w
    acc[b, y, 1] += w * p
    acc[b, y, 2] += w * p * p


@njit(cache=True, nogil=True, inline="always")
def _scan_row(y_prob, i, label, n_classes, sum_tol):
    """(ok, correct, top probability, Brier term) of row ``i``.

    ``correct`` follows np.argmax: the label holds the maximum and no earlier
    column does. The Brier term is sum_k p_k**2 - 2 p_label + 1. A NaN makes
    the row sum NaN, which fails the tolerance test, so ``ok`` is False.
    """
    row_sum = 0.0
    squares = 0.0
    top = -1.0
    low = 2.0
    for k in range(n_classes):
        p = np.float64(y_prob[i, k])
        row_sum += p
        squares += p * p
        top = max(top, p)
        low = min(low, p)
    ok = (low >= 0.0) & (top <= 1.0) & (abs(row_sum - 1.0) <= sum_tol)
    p_label = np.float64(y_prob[i, label])
    correct = 0
    if p_label == top:
        earlier = 0
        for k in range(label):
            earlier += np.float64(y_prob[i, k]) == top
        correct = 1 if earlier == 0 else 0
    return ok, correct, top, squares - 2.0 * p_label + 1.0


@njit(cache=True, nogil=True, inline="always")
def _binary_loop(y_true, y_prob, weights, edges, uniform, right, start, stop, acc, totals):
    n_bins = edges.shape[1] - 1
    brier = 0.0
    correct = 0.0
    confidence = 0.0
    weight_sum = 0.0
    for i in range(start, stop):
        p = np.float64(y_prob[i])
        y = y_true[i]
        if not ((p >= 0.0) & (p <= 1.0) & (y >= 0) & (y <= 1)):
            return i
        w = 1.0 if weights is None else weights[i]
        _add(acc, _bin_index(p, edges, 0, n_bins, uniform, right), y, w, p)
        # top-label view: predict 1 when p >= 0.5, confidence max(p, 1 - p)
        yf = np.float64(y)
        brier += w * (p - yf) * (p - yf)
        weight_sum += w
        confidence += w * max(p, 1.0 - p)
        correct += w * (yf if p >= 0.5 else 1.0 - yf)
    totals[0] = brier
    totals[1] = correct
    totals[2] = confidence
    totals[3] = weight_sum
    return -1

@njit(cache=True, nogil=True)
def binary_chunk(y_true, y_prob, weights, edges, uniform, right, start, stop, acc, totals):
    """Sum rows [start, stop) into ``acc``/``totals``; index of a bad row or -1."""
    # the flags become constants in each inlined copy of the loop, which is
    # about twice as fast as testing them for every sample
    if uniform:
        if right:
            return _binary_loop(y_true, y_prob, weights, edges, True, True, start, stop, acc, totals)
        return _binary_loop(y_true, y_prob, weights, edges, True, False, start, stop, acc, totals)
    if right:
        return _binary_loop(y_true, y_prob, weights, edges, False, True, start, stop, acc, totals)
    return _binary_loop(y_true, y_prob, weights, edges, False, False, start, stop, acc, totals)


@njit(cache=True, nogil=True, inline="always")
def _toplabel_loop(y_true, y_prob, weights, edges, uniform, right, sum_tol, start, stop, acc, totals):
    n_classes = y_prob.shape[1]
    n_bins = edges.shape[1] - 1
    brier_sum = 0.0
    correct_sum = 0.0
    confidence_sum = 0.0
    weight_sum = 0.0
    for i in range(start, stop):
        label = y_true[i]
        if label < 0 or label >= n_classes:
            return i
        ok, correct, confidence, brier = _scan_row(y_prob, i, label, n_classes, sum_tol)
        if not ok:
            return i
        w = 1.0 if weights is None else weights[i]
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

@njit(cache=True, nogil=True)
def toplabel_chunk(y_true, y_prob, weights, edges, uniform, right, sum_tol, start, stop, acc, totals):
    """Sum rows [start, stop) into ``acc``/``totals``; index of a bad row or -1."""
    # the flags become constants in each inlined copy of the loop, which is
    # about twice as fast as testing them for every sample
    if uniform:
        if right:
            return _toplabel_loop(y_true, y_prob, weights, edges, True, True, sum_tol, start, stop, acc, totals)
        return _toplabel_loop(y_true, y_prob, weights, edges, True, False, sum_tol, start, stop, acc, totals)
    if right:
        return _toplabel_loop(y_true, y_prob, weights, edges, False, True, sum_tol, start, stop, acc, totals)
    return _toplabel_loop(y_true, y_prob, weights, edges, False, False, sum_tol, start, stop, acc, totals)


@njit(cache=True, nogil=True, inline="always")
def _classwise_loop(y_true, y_prob, weights, edges, uniform, right, sum_tol, start, stop, acc, totals):
    n_classes = y_prob.shape[1]
    n_bins = edges.shape[1] - 1
    brier_sum = 0.0
    correct_sum = 0.0
    confidence_sum = 0.0
    weight_sum = 0.0
    for i in range(start, stop):
        label = y_true[i]
        if label < 0 or label >= n_classes:
            return i
        ok, correct, confidence, brier = _scan_row(y_prob, i, label, n_classes, sum_tol)
        if not ok:
            return i
        w = 1.0 if weights is None else weights[i]
        for k in range(n_classes):
            p = np.float64(y_prob[i, k])
            b = k * n_bins + _bin_index(p, edges, k, n_bins, uniform, right)
            _add(acc, b, 1 if k == label else 0, w, p)
        brier_sum += w * brier
        correct_sum += w * correct
        confidence_sum += w * confidence
        weight_sum += w
    totals[0] = brier_sum
    totals[1] = correct_sum
    totals[2] = confidence_sum
    totals[3] = weight_sum
    return -1

@njit(cache=True, nogil=True)
def classwise_chunk(y_true, y_prob, weights, edges, uniform, right, sum_tol, start, stop, acc, totals):
    """Sum rows [start, stop) into ``acc``/``totals``; index of a bad row or -1."""
    # the flags become constants in each inlined copy of the loop, which is
    # about twice as fast as testing them for every sample
    if uniform:
        if right:
            return _classwise_loop(y_true, y_prob, weights, edges, True, True, sum_tol, start, stop, acc, totals)
        return _classwise_loop(y_true, y_prob, weights, edges, True, False, sum_tol, start, stop, acc, totals)
    if right:
        return _classwise_loop(y_true, y_prob, weights, edges, False, True, sum_tol, start, stop, acc, totals)
    return _classwise_loop(y_true, y_prob, weights, edges, False, False, sum_tol, start, stop, acc, totals)


@njit(cache=True, nogil=True)
def _chunks(n):
    size = max(MIN_CHUNK, -(-n // MAX_CHUNKS))
    return size, max(1, (n + size - 1) // size)


@njit(cache=True, nogil=True)
def finish(part, part_totals, bad):
    """Add chunk slots in order; (chunk, bins, y, 3) -> (bins, 5); first bad index."""
    acc = part[0].copy()
    totals = part_totals[0].copy()
    for c in range(1, part.shape[0]):
        acc += part[c]
        totals += part_totals[c]
    stats = np.empty((acc.shape[0], N_STATS))
    for b in range(acc.shape[0]):
        stats[b, 0] = acc[b, 0, 0] + acc[b, 1, 0]
        stats[b, 1] = acc[b, 0, 1] + acc[b, 1, 1]
        stats[b, 2] = acc[b, 1, 0]
        stats[b, 3] = acc[b, 0, 2] + acc[b, 1, 2]
        stats[b, 4] = acc[b, 1, 1]
    first = -1
    for c in range(bad.shape[0]):
        if bad[c] >= 0 and (first < 0 or bad[c] < first):
            first = bad[c]
    return stats, totals, first


@njit(cache=True, nogil=True, parallel=True)
def binary_bins(y_true, y_prob, weights, edges, uniform, right):
    n = y_prob.shape[0]
    n_bins = edges.shape[1] - 1
    size, n_chunks = _chunks(n)
    part = np.zeros((n_chunks, n_bins, 2, 3))
    part_totals = np.zeros((n_chunks, N_TOTALS))
    bad = np.empty(n_chunks, np.int64)
    for c in prange(n_chunks):
        bad[c] = binary_chunk(y_true, y_prob, weights, edges, uniform, right,
                              c * size, min(n, (c + 1) * size), part[c], part_totals[c])
    return finish(part, part_totals, bad)


@njit(cache=True, nogil=True, parallel=True)
def toplabel_bins(y_true, y_prob, weights, edges, uniform, right, sum_tol):
    n = y_prob.shape[0]
    n_bins = edges.shape[1] - 1
    size, n_chunks = _chunks(n)
    part = np.zeros((n_chunks, n_bins, 2, 3))
    part_totals = np.zeros((n_chunks, N_TOTALS))
    bad = np.empty(n_chunks, np.int64)
    for c in prange(n_chunks):
        bad[c] = toplabel_chunk(y_true, y_prob, weights, edges, uniform, right, sum_tol,
                                c * size, min(n, (c + 1) * size), part[c], part_totals[c])
    return finish(part, part_totals, bad)


@njit(cache=True, nogil=True, parallel=True)
def classwise_bins(y_true, y_prob, weights, edges, uniform, right, sum_tol):
    n, n_classes = y_prob.shape
    n_bins = edges.shape[1] - 1
    size, n_chunks = _chunks(n)
    part = np.zeros((n_chunks, n_classes * n_bins, 2, 3))
    part_totals = np.zeros((n_chunks, N_TOTALS))
    bad = np.empty(n_chunks, np.int64)
    for c in prange(n_chunks):
        bad[c] = classwise_chunk(y_true, y_prob, weights, edges, uniform, right, sum_tol,
                                 c * size, min(n, (c + 1) * size), part[c], part_totals[c])
    stats, totals, first = finish(part, part_totals, bad)
    return stats.reshape((n_classes, n_bins, N_STATS)), totals, first
