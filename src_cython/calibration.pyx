# cython: language_level=3
"""Cython kernels of binned calibration (``fastscore._cy.calibration``).

The chunk functions of ``fastscore/calibration/_numba.py`` (see its
docstring for the contract), operation for operation, so that both backends
give bit-identical results. They release the GIL while they run.
"""
import numpy as np

from libc.math cimport exp, fabs
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy

ctypedef fused prob_t:
    float
    double

ctypedef fused label_t:
    signed char
    long long

cdef double EDGE_SLACK = 1e-9

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    /* condition ? a : b without a branch (a bit mask), for selects that are coin flips */
    static inline double fs_select(int condition, double a, double b) {
        uint64_t ua, ub, mask = (uint64_t)0 - (uint64_t)(condition != 0);
        memcpy(&ua, &a, 8);
        memcpy(&ub, &b, 8);
        ua = (ua & mask) | (ub & ~mask);
        memcpy(&a, &ua, 8);
        return a;
    }
    /* where[0..1] += (a, b) and where[0..3] += (a, b, c, d): one 128-bit load, add and store
       per pair where the compiler has vector extensions (each lane is the same IEEE addition
       as the scalar code, so the sums are bit-identical); scalar code elsewhere */
    #if defined(__GNUC__) || defined(__clang__)
    typedef double fs_pair __attribute__((vector_size(16)));
    static inline void fs_add2(double *where, double a, double b) {
        fs_pair added = {a, b}, current;
        memcpy(&current, where, 16);
        current += added;
        memcpy(where, &current, 16);
    }
    #else
    static inline void fs_add2(double *where, double a, double b) {
        where[0] += a;
        where[1] += b;
    }
    #endif
    static inline void fs_add4(double *where, double a, double b, double c, double d) {
        fs_add2(where, a, b);
        fs_add2(where + 2, c, d);
    }
    """
    double fs_select(int condition, double a, double b) nogil
    void fs_add2(double *where, double a, double b) nogil
    void fs_add4(double *where, double a, double b, double c, double d) nogil


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
    cdef Py_ssize_t i, y, b, n_bins = edges.shape[1] - 1
    cdef double p, w, yf, scaled, frac, brier = 0.0, correct = 0.0, confidence = 0.0, weight_sum = 0.0
    # raw pointers in the loop: the memoryview structs stay out of it
    cdef const label_t *labels = &y_true[0]
    cdef const prob_t *probs = &y_prob[0]
    cdef const double *edge = &edges[0, 0]
    cdef const double *weight = &weights[0] if weighted else NULL
    cdef double *sums = &acc[0, 0, 0]  # (bins, 2, 3), C order
    cdef double bins = <double>n_bins
    cdef double slack = EDGE_SLACK, upper = 1.0 - EDGE_SLACK  # locals: no reload after each store
    for i in range(start, stop):
        p = <double>probs[i]
        y = <Py_ssize_t>labels[i]
        if not (p >= 0.0 and p <= 1.0 and y >= 0 and y <= 1):
            return i
        w = weight[i] if weighted else 1.0
        if uniform:  # int(p * n_bins), but within rounding of an edge, where the edges decide
            scaled = p * bins
            b = <Py_ssize_t>scaled
            frac = scaled - <double>b
            if (frac < slack) | (frac > upper) | (b >= n_bins):  # one branch, rarely taken
                if b > n_bins - 1:
                    b = n_bins - 1
                while b > 0 and p < edge[b]:
                    b -= 1
                while b < n_bins - 1 and p >= edge[b + 1]:
                    b += 1
        else:
            b = _bin_index(p, edges, 0, n_bins, False)
        sums[(2 * b + y) * 3] += w
        sums[(2 * b + y) * 3 + 1] += w * p
        sums[(2 * b + y) * 3 + 2] += w * p * p
        yf = <double>y
        brier += w * (p - yf) * (p - yf)
        weight_sum += w
        # branch-free selects (p >= 0.5 is a coin flip for the branch predictor), the same values
        confidence += w * fs_select(p >= 1.0 - p, p, 1.0 - p)
        correct += w * fs_select(p >= 0.5, yf, 1.0 - yf)
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
        # (and drop the multiplications by a weight of 1 when there are no weights)
        if uniform and not weighted:
            bad = _binary_chunk(y_true, y_prob, w, False, edges, True, start, stop, acc, totals)
        elif uniform:
            bad = _binary_chunk(y_true, y_prob, w, True, edges, True, start, stop, acc, totals)
        elif not weighted:
            bad = _binary_chunk(y_true, y_prob, w, False, edges, False, start, stop, acc, totals)
        else:
            bad = _binary_chunk(y_true, y_prob, w, True, edges, False, start, stop, acc, totals)
    return bad


def _multiclass(const label_t[::1] y_true, const prob_t[:, ::1] y_prob, weights, const double[:, ::1] edges,
                bint uniform, double sum_tol, bint classwise, Py_ssize_t start, Py_ssize_t stop,
                double[:, :, ::1] acc, double[::1] totals):
    cdef bint weighted = weights is not None
    cdef const double[::1] w = weights if weighted else _NO_WEIGHTS
    cdef Py_ssize_t bad
    with nogil:
        # constant flags let the C compiler specialise the loop (as Numba does)
        # (and drop the multiplications by a weight of 1 when there are no weights)
        if uniform and not weighted:
            bad = _multiclass_chunk(y_true, y_prob, w, False, edges, True, sum_tol, classwise, start, stop, acc, totals)
        elif uniform:
            bad = _multiclass_chunk(y_true, y_prob, w, True, edges, True, sum_tol, classwise, start, stop, acc, totals)
        elif not weighted:
            bad = _multiclass_chunk(y_true, y_prob, w, False, edges, False, sum_tol, classwise, start, stop, acc,
                                    totals)
        else:
            bad = _multiclass_chunk(y_true, y_prob, w, True, edges, False, sum_tol, classwise, start, stop, acc,
                                    totals)
    return bad


def toplabel_chunk(y_true, y_prob, weights, edges, uniform, sum_tol, start, stop, acc, totals):
    return _multiclass(y_true, y_prob, weights, edges, uniform, sum_tol, False, start, stop, acc, totals)


def classwise_chunk(y_true, y_prob, weights, edges, uniform, sum_tol, start, stop, acc, totals):
    return _multiclass(y_true, y_prob, weights, edges, uniform, sum_tol, True, start, stop, acc, totals)


# ---------------------------------------------------------------- smooth ECE, KDE-ECE, one-sort estimators
# The functions of ``fastscore/calibration/_numba.py`` of the same names, operation for operation.


def splat_chunk(const prob_t[::1] confidence, const label_t[::1] outcome, weights, Py_ssize_t grid_size,
                Py_ssize_t start, Py_ssize_t stop, double[:, ::1] out):
    """Linear splat of rows [start, stop) onto ``grid_size`` nodes of [0, 1] (relplot's
    ``smooth_round_to_grid``): out[0] gets w (p - y), out[1] gets w. Index of a bad row or -1."""
    cdef bint weighted = weights is not None
    cdef const double[::1] w_view = weights if weighted else _NO_WEIGHTS
    cdef Py_ssize_t i, node, last = grid_size - 1, bad = -1
    cdef double p, w, scaled, frac, residual
    cdef Py_ssize_t y
    # the two rows interleaved, node by node, so that a node's two sums take one vector add
    cdef double *sums = <double *>calloc(2 * grid_size, sizeof(double))
    if sums == NULL:
        raise MemoryError(f"no memory for a smooth-calibration grid of {grid_size} nodes")
    with nogil:
        for i in range(start, stop):
            p = <double>confidence[i]
            y = <Py_ssize_t>outcome[i]
            if not (p >= 0.0 and p <= 1.0 and y >= 0 and y <= 1):
                bad = i
                break
            w = w_view[i] if weighted else 1.0
            scaled = p * last
            node = <Py_ssize_t>scaled
            if node > last - 1:
                node = last - 1
            frac = scaled - node
            residual = w * (p - <double>y)
            fs_add2(sums + 2 * node, (1.0 - frac) * residual, (1.0 - frac) * w)
            fs_add2(sums + 2 * node + 2, frac * residual, frac * w)
        for node in range(grid_size):
            out[0, node] += sums[2 * node]
            out[1, node] += sums[2 * node + 1]
    free(sums)
    return bad


cdef inline double decay(double x) noexcept nogil:
    """exp(-x) for x >= 0: below 2^-14 the cubic Taylor polynomial (within 1 ulp), else libm."""
    if x < 0.00006103515625:
        return (1.0 - x) + (x * x) * (0.5 - x * (1.0 / 6.0))
    return exp(-x)


def sorted_kernel_sum(const double[::1] confidence, const double[::1] residual, double width):
    """sum_ij a_i a_j exp(-|r_i - r_j| / width) for r sorted ascending, in O(n)."""
    cdef double total = 0.0, carried = 0.0, rate = 1.0 / width
    cdef Py_ssize_t i
    with nogil:
        for i in range(confidence.shape[0]):
            if i > 0:
                carried = (carried + residual[i - 1]) * decay((confidence[i] - confidence[i - 1]) * rate)
            total += residual[i] * (residual[i] + 2.0 * carried)
    return total


def triweight_sums(const double[::1] points, const uint8_t[::1] positive, const double[::1] grid, double bandwidth):
    """For each grid value x: sum_j K(x - points_j) over all points and over the positive ones
    (the triweight kernel of standard deviation ``bandwidth``; points and grid sorted)."""
    cdef double radius = 3.0 * bandwidth
    cdef double scale = 35.0 / 32.0 / radius, x, u, k, value
    cdef Py_ssize_t g, j, first = 0, n = points.shape[0], m = grid.shape[0]
    total_array = np.zeros(m)
    on_positive_array = np.zeros(m)
    cdef double[::1] total = total_array
    cdef double[::1] on_positive = on_positive_array
    with nogil:
        for g in range(m):
            x = grid[g]
            while first < n and points[first] <= x - radius:
                first += 1
            j = first
            while j < n and points[j] < x + radius:
                u = (x - points[j]) / radius
                k = 1.0 - u * u
                value = scale * k * k * k
                total[g] += value
                if positive[j]:
                    on_positive[g] += value
                j += 1
    return total_array, on_positive_array


cdef inline double bits_to_double(uint64_t bits) noexcept nogil:
    cdef double value
    memcpy(&value, &bits, 8)
    return value


def pack_keys(const double[::1] probs, const int64_t[::1] labels, uint64_t[::1] keys):
    """keys[i] = IEEE bits of probs[i] (-0.0 as 0.0) << 1 | labels[i] (see _numba.pack_keys)."""
    cdef Py_ssize_t i
    cdef uint64_t b
    with nogil:
        for i in range(keys.shape[0]):
            memcpy(&b, &probs[i], 8)
            if b == 0x8000000000000000ULL:  # -0.0
                b = 0
            keys[i] = (b << 1) | (1 if labels[i] != 0 else 0)
    return np.asarray(keys)


def merge_split(const uint64_t[::1] left, const uint64_t[::1] right, Py_ssize_t rank):
    """(l, r) with l + r = rank such that left[:l] and right[:r] are the first ``rank`` keys
    of the merge of the two sorted runs."""
    cdef Py_ssize_t lo = max(0, rank - right.shape[0]), hi = min(rank, left.shape[0]), l
    while lo < hi:
        l = (lo + hi) // 2
        if left[l] < right[rank - l - 1]:
            lo = l + 1
        else:
            hi = l
    return lo, rank - lo


def sorted_pass_part(const uint64_t[::1] left, const uint64_t[::1] right, Py_ssize_t rank0, Py_ssize_t n,
                     Py_ssize_t n_bins, double width, uint64_t previous_key, bint has_previous,
                     double[::1] bin_sums):
    """One stretch of the merged order of two sorted runs of packed keys (see
    ``fastscore.calibration._numba.sorted_pass_part`` for what it returns)."""
    cdef Py_ssize_t n_left = left.shape[0], n_right = right.shape[0], parts = min(n_bins, n)
    cdef Py_ssize_t base = n // parts, extra = n % parts, bin_index, bin_end, li = 0, ri = 0, i
    cdef double previous_p = 0.0, partial = 0.0, high = 0.0, low = 0.0, kernel_total = 0.0, carried = 0.0
    cdef double linked = 0.0, link = 1.0, previous_residual = 0.0, bin_sum = 0.0, rate = 1.0 / width
    cdef double p, residual, factor
    cdef bint read = False, take_left
    cdef uint64_t last = 0xFFFFFFFFFFFFFFFFULL, a, b, key
    if rank0 < extra * (base + 1):  # the bin of rank0 and where it ends
        bin_index = rank0 // (base + 1)
    else:
        bin_index = extra + (rank0 - extra * (base + 1)) // base
    bin_end = bin_index * base + min(bin_index, extra) + base + (1 if bin_index < extra else 0)
    if has_previous:
        previous_p = bits_to_double(previous_key >> 1)
    with nogil:
        for i in range(n_left + n_right):
            a = left[li] if li < n_left else last
            b = right[ri] if ri < n_right else last
            take_left = a <= b
            key = a if take_left else b
            li += take_left
            ri += 1 - take_left
            p = bits_to_double(key >> 1)
            residual = <double>(key & 1) - p
            if rank0 + i == bin_end:  # the bin's sum is kept in a register, stored when it ends
                bin_sums[bin_index] += bin_sum
                bin_sum = 0.0
                bin_index += 1
                bin_end += base + (1 if bin_index < extra else 0)
            bin_sum += residual
            if i > 0 or has_previous:
                if p != previous_p:  # the point before ends a run of equal p: KS reads the partial sum
                    high = partial if not read else max(high, partial)
                    low = partial if not read else min(low, partial)
                    read = True
                factor = decay((p - previous_p) * rate)
                link *= factor
                if i > 0:
                    carried = (carried + previous_residual) * factor
            partial += residual
            kernel_total += residual * (residual + 2.0 * carried)
            linked += residual * link
            previous_p = p
            previous_residual = residual
        if n_left + n_right:
            bin_sums[bin_index] += bin_sum
    return partial, high, low, read, kernel_total, linked, carried + previous_residual, link


def combine_sorted_parts(const double[:, ::1] results, const double[:, ::1] bin_sums, Py_ssize_t n):
    """Adaptive ECE, KS error and the MMCE kernel sum from the stretches, in order."""
    cdef double adaptive = 0.0, total, offset = 0.0, ks = 0.0, kernel_total = 0.0, carry = 0.0
    cdef Py_ssize_t b, k
    for b in range(bin_sums.shape[1]):
        total = 0.0
        for k in range(bin_sums.shape[0]):
            total += bin_sums[k, b]
        adaptive += fabs(total)
    for k in range(results.shape[0]):
        if results[k, 3] != 0.0:
            ks = max(ks, fabs(offset + results[k, 1]), fabs(offset + results[k, 2]))
        kernel_total += results[k, 4] + 2.0 * carry * results[k, 5]
        # the carry into the next stretch: this stretch's own carry plus the earlier one, decayed
        carry = results[k, 6] + carry * results[k, 7]
        offset += results[k, 0]
    ks = max(ks, fabs(offset))
    return adaptive / n, ks / n, kernel_total


def cell_moments(const prob_t[::1] confidence, const label_t[::1] outcome, weights, Py_ssize_t start,
                 Py_ssize_t stop, double[:, ::1] first, double[:, ::1] second, double[:, ::1] third):
    """Add rows [start, stop) into the moments of three uniform partitions of [0, 1]: each
    partition's row c += (w (p - y), w (p - y) p, w, w p) for its cell c = int(p * cells)
    (p = 1 in the last cell). Returns the index of a bad row or -1."""
    cdef bint weighted = weights is not None
    cdef const double[::1] w_view = weights if weighted else _NO_WEIGHTS
    cdef Py_ssize_t i, a, b, c, y, bad = -1
    cdef Py_ssize_t n_a = first.shape[0], n_b = second.shape[0], n_c = third.shape[0]
    cdef double p, w, residual, with_p, scale_a = <double>n_a, scale_b = <double>n_b, scale_c = <double>n_c
    cdef double *sums_a = &first[0, 0]
    cdef double *sums_b = &second[0, 0]
    cdef double *sums_c = &third[0, 0]
    with nogil:
        for i in range(start, stop):
            p = <double>confidence[i]
            y = <Py_ssize_t>outcome[i]
            if not (p >= 0.0 and p <= 1.0 and y >= 0 and y <= 1):
                bad = i
                break
            w = w_view[i] if weighted else 1.0
            residual = w * (p - <double>y)
            with_p = residual * p
            a = <Py_ssize_t>(p * scale_a)
            if a >= n_a:
                a = n_a - 1
            b = <Py_ssize_t>(p * scale_b)
            if b >= n_b:
                b = n_b - 1
            c = <Py_ssize_t>(p * scale_c)
            if c >= n_c:
                c = n_c - 1
            fs_add4(sums_a + 4 * a, residual, with_p, w, w * p)
            fs_add4(sums_b + 4 * b, residual, with_p, w, w * p)
            fs_add4(sums_c + 4 * c, residual, with_p, w, w * p)
    return bad


def grid_from_moments(const double[:, ::1] moments, Py_ssize_t size):
    """The (2, size) linear-splat grid from the (cells, 4) moments of a partition into ``cells``
    cells, ``size - 1`` dividing ``cells``: each node cell k gathers its cells' sums S of
    w (p - y), w (p - y) p, w, w p; node k gets (k + 1) S0 - (size - 1) S1, node k + 1 gets
    (size - 1) S1 - k S0 (likewise rows 2, 3 for the weights)."""
    cdef Py_ssize_t last = size - 1, cells = moments.shape[0], per = cells // last, k, j, c, row
    cdef double sums[4]
    cdef double kk, scale = <double>last
    grid_array = np.zeros((2, size))
    cdef double[:, ::1] grid = grid_array
    with nogil:
        for k in range(last):
            sums[0] = sums[1] = sums[2] = sums[3] = 0.0
            for j in range(per):
                c = k * per + j
                sums[0] += moments[c, 0]
                sums[1] += moments[c, 1]
                sums[2] += moments[c, 2]
                sums[3] += moments[c, 3]
            kk = <double>k
            for row in range(2):
                grid[row, k] += (kk + 1.0) * sums[2 * row] - scale * sums[2 * row + 1]
                grid[row, k + 1] += scale * sums[2 * row + 1] - kk * sums[2 * row]
    return grid_array


def interpolated_ece(const double[:, ::1] values, Py_ssize_t n_points, double density_eps):
    """sum_t |r(t) / d(t)| d(t) / sum_t d(t) over t = linspace(0, 1, n_points), where r and
    d (+ density_eps) interpolate values[0] and values[1] linearly between the nodes
    j / (size - 1) (the ECE of a smoothed grid; linspace's points, computed as NumPy does)."""
    cdef Py_ssize_t size = values.shape[1], last = size - 1, j, node
    cdef double step = 1.0 / <double>(n_points - 1), t, weight, residual, density
    cdef double weighted = 0.0, total = 0.0
    with nogil:
        for j in range(n_points):
            t = j * step if j < n_points - 1 else 1.0
            node = <Py_ssize_t>(t * last)
            if node > last - 1:
                node = last - 1
            weight = (t - <double>node / <double>last) * last
            residual = values[0, node] * (1.0 - weight) + values[0, node + 1] * weight
            density = values[1, node] * (1.0 - weight) + values[1, node + 1] * weight + density_eps
            weighted += fabs(residual / density) * density
            total += density
    return weighted / total
