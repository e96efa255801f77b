"""Reference implementations of the binned-calibration kernels, for clarity.

Plain NumPy, one step per line, written to be read and trusted; the compiled
backends (``_numba``, ``fastscore._cy.calibration``) are tested against these.
Each takes the whole input, the bin edges as given (one row, or one per
class), ``right`` for (a, b] bins and the row-sum tolerance (unused in binary
mode), and returns ``(stats, totals, first_bad_index)`` in the layout of
``_layout``. Bins come from ``np.searchsorted``, independently of the
compiled kernels' nextafter formulation of the right-closed convention.
"""
import numpy as np

from ._layout import N_STATS, N_TOTALS


def _bin_of(values, edges_row, right):
    """NumPy's searchsorted over the inner edges: (a, b] bins if right else [a, b)."""
    return np.searchsorted(edges_row[1:-1], values, side="left" if right else "right")


def _bin_sums(bins, n_bins, w, p, y):
    """The per-bin sums of ``_layout`` for binned values p with outcomes y."""
    stats = np.empty((n_bins, N_STATS))
    for column, values in enumerate((w, w * p, w * y, w * p * p, w * p * y, w * p * p * y)):
        stats[:, column] = np.bincount(bins, weights=values, minlength=n_bins)
    return stats


def _empty(shape):
    return np.zeros(shape + (N_STATS,)), np.zeros(N_TOTALS)


def binary_bins(y_true, y_prob, weights, edges, right, sum_tol=None):
    n_bins = edges.shape[1] - 1
    p = y_prob.astype(np.float64)
    y = y_true.astype(np.int64)
    bad = ~((p >= 0) & (p <= 1)) | ((y != 0) & (y != 1))
    if bad.any():
        return (*_empty((n_bins,)), int(np.argmax(bad)))
    w = np.ones_like(p) if weights is None else weights
    y = y.astype(np.float64)
    stats = _bin_sums(_bin_of(p, edges[0], right), n_bins, w, p, y)
    # the top-label view of a binary prediction: class 1 when p >= 0.5
    confidence = np.maximum(p, 1 - p)
    correct = np.where(p >= 0.5, y, 1 - y)
    totals = np.array([np.sum(w * (p - y) ** 2), np.sum(w * correct), np.sum(w * confidence), np.sum(w)])
    return stats, totals, -1


def _check_rows(y_true, p, sum_tol):
    """Index of the first row with a bad label or bad probabilities, or -1."""
    n_classes = p.shape[1]
    bad = (y_true < 0) | (y_true >= n_classes)
    with np.errstate(invalid="ignore"):
        bad |= ~np.all((p >= 0) & (p <= 1), axis=1)
        bad |= ~(np.abs(p.sum(axis=1) - 1.0) <= sum_tol)
    return int(np.argmax(bad)) if bad.any() else -1


def _multiclass_totals(y, p, w):
    n = p.shape[0]
    onehot = np.zeros_like(p)
    onehot[np.arange(n), y] = 1.0
    brier = np.sum((p - onehot) ** 2, axis=1)
    correct = (np.argmax(p, axis=1) == y).astype(np.float64)
    confidence = np.max(p, axis=1)
    totals = np.array([np.sum(w * brier), np.sum(w * correct), np.sum(w * confidence), np.sum(w)])
    return totals, correct, confidence


def toplabel_bins(y_true, y_prob, weights, edges, right, sum_tol):
    n_bins = edges.shape[1] - 1
    p = y_prob.astype(np.float64)
    first_bad = _check_rows(y_true, p, sum_tol)
    if first_bad >= 0:
        return (*_empty((n_bins,)), first_bad)
    y = y_true.astype(np.int64)
    w = np.ones(p.shape[0]) if weights is None else weights
    totals, correct, confidence = _multiclass_totals(y, p, w)
    stats = _bin_sums(_bin_of(confidence, edges[0], right), n_bins, w, confidence, correct)
    return stats, totals, -1


def classwise_bins(y_true, y_prob, weights, edges, right, sum_tol):
    n_classes = y_prob.shape[1]
    n_bins = edges.shape[1] - 1
    p = y_prob.astype(np.float64)
    first_bad = _check_rows(y_true, p, sum_tol)
    if first_bad >= 0:
        return (*_empty((n_classes, n_bins)), first_bad)
    y = y_true.astype(np.int64)
    w = np.ones(p.shape[0]) if weights is None else weights
    totals, _, _ = _multiclass_totals(y, p, w)
    stats = np.empty((n_classes, n_bins, N_STATS))
    for k in range(n_classes):
        is_k = (y == k).astype(np.float64)
        stats[k] = _bin_sums(_bin_of(p[:, k], edges[k], right), n_bins, w, p[:, k], is_k)
    return stats, totals, -1


def splat(confidence, outcome, weights, grid_size):
    """Linear splat of (p - y) and of 1 onto ``grid_size`` nodes of [0, 1].

    Returns ``(grid, first_bad_index)`` with grid of shape (2, grid_size).
    """
    p = confidence.astype(np.float64)
    y = outcome.astype(np.int64)
    bad = ~((p >= 0) & (p <= 1)) | ((y != 0) & (y != 1))
    if bad.any():
        return np.zeros((2, grid_size)), int(np.argmax(bad))
    w = np.ones_like(p) if weights is None else weights
    scaled = p * (grid_size - 1)
    node = np.minimum(scaled.astype(np.int64), grid_size - 2)
    frac = scaled - node
    grid = np.zeros((2, grid_size))
    for row, values in enumerate((w * (p - y), w)):
        np.add.at(grid[row], node, (1 - frac) * values)
        np.add.at(grid[row], node + 1, frac * values)
    return grid, -1


def kernel_sum(confidence, residual, width):
    """sum_ij a_i a_j exp(-|r_i - r_j| / width), the O(n^2) definition."""
    r = np.asarray(confidence, dtype=np.float64)
    a = np.asarray(residual, dtype=np.float64)
    return float(a @ np.exp(-np.abs(r[:, None] - r[None, :]) / width) @ a)


def triweight_sums(points, positive, grid, bandwidth):
    """sum_j K(x - points_j), all and positive points, for every x of ``grid`` (direct)."""
    radius = 3.0 * bandwidth
    u = (np.asarray(grid)[:, None] - np.asarray(points)[None, :]) / radius
    kernel = np.where(np.abs(u) < 1, 35.0 / 32.0 / radius * (1 - u**2) ** 3, 0.0)
    return kernel.sum(axis=1), kernel[:, np.asarray(positive, dtype=bool)].sum(axis=1)


def cell_moments(confidence, outcome, weights, cells):
    """For each number of cells C in ``cells``: a (C, 4) array of the sums of w (p - y),
    w (p - y) p, w and w p over the samples of cell int(p * C) (p = 1 in the last); and the
    first bad row (-1 if none)."""
    p = confidence.astype(np.float64)
    y = outcome.astype(np.int64)
    bad = ~((p >= 0) & (p <= 1)) | ((y != 0) & (y != 1))
    if bad.any():
        return [np.zeros((c, 4)) for c in cells], int(np.argmax(bad))
    w = np.ones_like(p) if weights is None else weights
    residual = w * (p - y)
    out = []
    for c in cells:
        cell = np.minimum((p * c).astype(np.int64), c - 1)
        out.append(np.stack([np.bincount(cell, weights=v, minlength=c) for v in (residual, residual * p, w, w * p)],
                            axis=1))
    return out, -1


def grid_from_moments(moments, size):
    """The (2, size) splat grid from (cells, 4) cell moments, size - 1 dividing cells: the
    cells of node cell k summed, then the linear splat of each sum (see cell_moments)."""
    last = size - 1
    per_cell = moments.reshape(last, moments.shape[0] // last, 4).sum(axis=1)
    k = np.arange(last, dtype=np.float64)
    grid = np.zeros((2, size))
    for row, (first, second) in enumerate(((0, 1), (2, 3))):
        grid[row, :-1] += (k + 1.0) * per_cell[:, first] - last * per_cell[:, second]
        grid[row, 1:] += last * per_cell[:, second] - k * per_cell[:, first]
    return grid


def interpolated_ece(values, n_points, density_eps):
    """The ECE of a smoothed (residual, density) grid at linspace(0, 1, n_points)."""
    points = np.linspace(0.0, 1.0, n_points)
    last = values.shape[1] - 1
    node = np.clip((points * last).astype(np.int64), 0, last - 1)
    weight = (points - node / last) * last
    residual, density = values[:, node] * (1 - weight) + values[:, node + 1] * weight
    density = density + density_eps
    return float(np.sum(np.abs(residual / density) * density) / np.sum(density))
