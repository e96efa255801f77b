"""Numba kernels of binned calibration: one fused pass over a chunk of rows.

``<mode>_chunk(y_true, y_prob, weights, edges, uniform, sum_tol, start,
stop, acc, totals)`` adds rows [start, stop) into ``acc`` (shape
(rows, 2, 3): per bin and outcome y, the sums of w, w*p and w*p**2) and
``totals`` (see ``_layout``), and returns the index of the first row whose
values fail their check (probabilities in [0, 1], labels in range, row sums)
or -1, so that the Python side can write a precise error. ``weights`` is
None or a float64 array. The functions release the GIL: ``binned.py`` runs
chunks on a thread pool and adds their slots in order, so that results do
not depend on the number of threads. The Cython backend implements the same
functions, operation for operation, and gives bit-identical results.
"""
import numpy as np
from .._jit import njit


# p * n_bins within this distance of an integer may sit on a bin edge: only
# then are the exact edges consulted (a rare, well-predicted branch).
_EDGE_SLACK = 1e-9


@njit(cache=True, nogil=True, inline="always")
def _bin_index(p, edges, row, n_bins, uniform):
    """Bin b of ``p`` with edges[row, b] <= p < edges[row, b + 1], clamped to [0, n_bins).

    This is NumPy's ``searchsorted(edges[row, 1:-1], p, side="right")``.
    Right-closed (a, b] bins are the same search on ``np.nextafter(edges,
    inf)``: for floats, p <= e exactly when p < nextafter(e, inf).
    ``uniform`` promises that the edges are ``np.linspace(0, 1, n_bins + 1)``
    (possibly nudged by nextafter), so that int(p * n_bins) is the bin but
    within rounding of an edge, where the edges themselves decide.
    """
    if uniform:
        scaled = p * n_bins
        b = int(scaled)
        frac = scaled - b
        if frac < _EDGE_SLACK or frac > 1.0 - _EDGE_SLACK or b >= n_bins:
            if b > n_bins - 1:
                b = n_bins - 1
            while b > 0 and p < edges[row, b]:
                b -= 1
            while b < n_bins - 1 and p >= edges[row, b + 1]:
                b += 1
        return b
    # binary search: the number of inner edges edges[row, 1:n_bins] at or below p
    lo = 0
    hi = n_bins - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if edges[row, mid + 1] <= p:
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
def _binary_loop(y_true, y_prob, weights, edges, uniform, sum_tol, start, stop, acc, totals):
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
        _add(acc, _bin_index(p, edges, 0, n_bins, uniform), y, w, p)
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
def binary_chunk(y_true, y_prob, weights, edges, uniform, sum_tol, start, stop, acc, totals):
    """Sum rows [start, stop) into ``acc`` and ``totals``; index of a bad row or -1."""
    # ``uniform`` becomes a constant in each inlined copy of the loop, which
    # is about twice as fast as testing it for every sample
    if uniform:
        return _binary_loop(y_true, y_prob, weights, edges, True, sum_tol, start, stop, acc, totals)
    return _binary_loop(y_true, y_prob, weights, edges, False, sum_tol, start, stop, acc, totals)


@njit(cache=True, nogil=True, inline="always")
def _multiclass_loop(y_true, y_prob, weights, edges, uniform, classwise, sum_tol, start, stop, acc, totals):
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
        if classwise:
            # every class's probability against 1[y = k], bins of row k
            for k in range(n_classes):
                p = np.float64(y_prob[i, k])
                b = k * n_bins + _bin_index(p, edges, k, n_bins, uniform)
                _add(acc, b, 1 if k == label else 0, w, p)
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


@njit(cache=True, nogil=True)
def toplabel_chunk(y_true, y_prob, weights, edges, uniform, sum_tol, start, stop, acc, totals):
    """Sum rows [start, stop) into ``acc`` and ``totals``; index of a bad row or -1."""
    if uniform:
        return _multiclass_loop(y_true, y_prob, weights, edges, True, False, sum_tol, start, stop, acc, totals)
    return _multiclass_loop(y_true, y_prob, weights, edges, False, False, sum_tol, start, stop, acc, totals)


@njit(cache=True, nogil=True)
def classwise_chunk(y_true, y_prob, weights, edges, uniform, sum_tol, start, stop, acc, totals):
    """Sum rows [start, stop) into ``acc`` and ``totals``; index of a bad row or -1."""
    if uniform:
        return _multiclass_loop(y_true, y_prob, weights, edges, True, True, sum_tol, start, stop, acc, totals)
    return _multiclass_loop(y_true, y_prob, weights, edges, False, True, sum_tol, start, stop, acc, totals)


@njit(cache=True, nogil=True)
def splat_chunk(confidence, outcome, weights, grid_size, start, stop, out):
    """Linear splat of rows [start, stop) onto ``grid_size`` nodes of [0, 1].

    out[0] gets w * (p - y), out[1] gets w, each shared between the two
    nearest nodes in proportion to the distance (relplot's
    ``smooth_round_to_grid``). Returns the index of a bad row or -1.
    """
    last = grid_size - 1
    for i in range(start, stop):
        p = np.float64(confidence[i])
        y = outcome[i]
        if not ((p >= 0.0) & (p <= 1.0) & (y >= 0) & (y <= 1)):
            return i
        w = 1.0 if weights is None else weights[i]
        scaled = p * last
        node = min(int(scaled), last - 1)
        frac = scaled - node
        residual = w * (p - np.float64(y))
        out[0, node] += (1.0 - frac) * residual
        out[0, node + 1] += frac * residual
        out[1, node] += (1.0 - frac) * w
        out[1, node + 1] += frac * w
    return -1


@njit(cache=True, nogil=True, inline="always")
def _decay(x):
    """exp(-x) for x >= 0. Neighbouring sorted confidences are close, so x is mostly tiny: below
    2^-14 the cubic Taylor polynomial (the next term, x^4 / 24, is under 2^-60) evaluated as
    (1 - x) + x^2 (1/2 - x/6), a few independent operations instead of a libm call."""
    if x < 0.00006103515625:
        return (1.0 - x) + (x * x) * (0.5 - x * (1.0 / 6.0))
    return np.exp(-x)


@njit(cache=True, nogil=True)
def sorted_kernel_sum(confidence, residual, width):
    """sum_ij a_i a_j exp(-|r_i - r_j| / width) for r sorted ascending, in O(n).

    For j < i the kernel factorises, exp(-(r_i - r_j) / w) =
    exp(-(r_i - r_{i-1}) / w) * exp(-(r_{i-1} - r_j) / w), so the sum over
    earlier points is carried along with factors <= 1 (no overflow).
    """
    total = 0.0
    carried = 0.0
    rate = 1.0 / width
    for i in range(confidence.shape[0]):
        if i > 0:
            carried = (carried + residual[i - 1]) * _decay((confidence[i] - confidence[i - 1]) * rate)
        total += residual[i] * (residual[i] + 2.0 * carried)
    return total


@njit(cache=True, nogil=True)
def triweight_sums(points, positive, grid, bandwidth):
    """For each grid value x: sum_j K(x - points_j) over all points and over the positive ones.

    K is the triweight kernel with standard deviation ``bandwidth`` (support
    radius 3 * bandwidth). ``points`` must be sorted ascending, as must
    ``grid``: a window of the points within the support slides along.
    """
    radius = 3.0 * bandwidth
    scale = 35.0 / 32.0 / radius
    total = np.zeros(grid.shape[0])
    on_positive = np.zeros(grid.shape[0])
    first = 0
    n = points.shape[0]
    for g in range(grid.shape[0]):
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
    return total, on_positive


@njit(cache=True, nogil=True)
def pack_keys(probs, labels, keys):
    """keys[i] = IEEE bits of probs[i] (-0.0 as 0.0) << 1 | labels[i]: for p >= 0 the bits order
    like the values, so one sort of the keys sorts by p and puts y = 0 first within ties."""
    bits = probs.view(np.uint64)
    for i in range(keys.shape[0]):
        b = bits[i]
        if b == np.uint64(0x8000000000000000):  # -0.0
            b = np.uint64(0)
        keys[i] = (b << np.uint64(1)) | np.uint64(labels[i] != 0)
    return keys


@njit(cache=True, nogil=True)
def merge_split(left, right, rank):
    """(l, r) with l + r = rank such that left[:l] and right[:r] are the first ``rank`` keys
    of the merge of the two sorted runs (a binary search on l)."""
    lo = max(0, rank - right.shape[0])
    hi = min(rank, left.shape[0])
    while lo < hi:
        l = (lo + hi) // 2
        if left[l] < right[rank - l - 1]:  # left[l] belongs to the first rank keys: take more of left
            lo = l + 1
        else:
            hi = l
    return lo, rank - lo


@njit(cache=True, nogil=True)
def sorted_pass_part(left, right, rank0, n, n_bins, width, previous_key, has_previous, bin_sums):
    """One stretch of the merged order of two sorted runs of packed keys (see pack_keys),
    starting at global rank ``rank0`` of ``n``, after ``previous_key`` when ``has_previous``.

    Adds the residuals y - p into ``bin_sums`` (equal-mass bins by global rank: sizes
    n // n_bins or one more, the larger first) and returns (sum of residuals, largest and
    smallest partial sum read at the end of a run of equal p (local to this stretch),
    whether any was read, the MMCE kernel sum within the stretch, sum of r_i D_i, carry,
    D of its last point): D_i = exp(-(p_i - previous p) / width) links the stretch to the
    points before it and carry = C + r of its last point, where C_i carries the earlier
    points of the stretch with factors exp(-(p_i - p_{i-1}) / width) <= 1.
    """
    n_left = left.shape[0]
    n_right = right.shape[0]
    bits = np.empty(1, dtype=np.uint64)
    as_float = bits.view(np.float64)  # reads the bits of p back as a float64
    parts = min(n_bins, n)
    base = n // parts
    extra = n % parts
    if rank0 < extra * (base + 1):  # the bin of rank0 and where it ends
        bin_index = rank0 // (base + 1)
    else:
        bin_index = extra + (rank0 - extra * (base + 1)) // base
    bin_end = bin_index * base + min(bin_index, extra) + base + (1 if bin_index < extra else 0)
    previous_p = 0.0
    if has_previous:
        bits[0] = previous_key >> np.uint64(1)
        previous_p = as_float[0]
    partial = 0.0
    high = 0.0
    low = 0.0
    read = False
    kernel_total = 0.0
    carried = 0.0
    linked = 0.0
    link = 1.0
    previous_residual = 0.0
    bin_sum = 0.0
    rate = 1.0 / width  # a multiplication per point instead of a division
    last = np.uint64(0xFFFFFFFFFFFFFFFF)  # an exhausted run reads as the largest key
    li = 0
    ri = 0
    for i in range(n_left + n_right):
        a = left[li] if li < n_left else last
        b = right[ri] if ri < n_right else last
        take_left = a <= b  # no branch on the comparison: the merge order is data-dependent
        key = a if take_left else b
        li += np.int64(take_left)
        ri += 1 - np.int64(take_left)
        bits[0] = key >> np.uint64(1)
        p = as_float[0]
        residual = np.float64(key & np.uint64(1)) - p
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
            factor = _decay((p - previous_p) * rate)
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


@njit(cache=True, nogil=True)
def combine_sorted_parts(results, bin_sums, n):
    """Adaptive ECE, KS error and the MMCE kernel sum from the stretches, in order."""
    adaptive = 0.0
    for b in range(bin_sums.shape[1]):
        total = 0.0
        for k in range(bin_sums.shape[0]):
            total += bin_sums[k, b]
        adaptive += abs(total)
    offset = 0.0
    ks = 0.0
    kernel_total = 0.0
    carry = 0.0
    for k in range(results.shape[0]):
        partial, high, low, read = results[k, 0], results[k, 1], results[k, 2], results[k, 3]
        inside, linked, carry_out, link = results[k, 4], results[k, 5], results[k, 6], results[k, 7]
        if read != 0.0:
            ks = max(ks, abs(offset + high), abs(offset + low))
        kernel_total += inside + 2.0 * carry * linked
        # the carry into the next stretch: this stretch's own carry plus the earlier one, decayed
        carry = carry_out + carry * link
        offset += partial
    ks = max(ks, abs(offset))
    return adaptive / n, ks / n, kernel_total
