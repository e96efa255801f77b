"""Calibration errors from one sort of the confidences.

- :func:`debiased_ece`: the (debiased) L2 calibration error of Kumar et al.
  (2019), "Verified Uncertainty Calibration", with their equal-mass bins;
  equal to the ``uncertainty-calibration`` package.
- :func:`adaptive_ece`: ECE over equal-mass bins cut at ranks (Nixon et al.
  2019's ACE in classwise mode).
- :func:`ks_error`: the Kolmogorov-Smirnov calibration error (Gupta et al. 2021).
- :func:`mmce`: the maximum mean calibration error (Kumar et al. 2018) with a
  Laplacian kernel, exact in O(n log n) instead of the O(n^2) matrix.

Multiclass input is scored on the top label (``mode="top-label"``) or per
class and averaged (``mode="classwise"``, called "marginal" by Kumar et al.).
"""
from __future__ import annotations

import numpy as np

from .._config import Kernel
from .._validation import (
    as_float_array,
    as_label_array,
    check_consistent_length,
    check_labels_in_range,
    check_not_empty,
    check_option,
    check_positive_int,
    check_probabilities,
)
from .binned import MAX_BINS, BinnedCalibration
from ._layout import SUM_CONF, SUM_OUTCOME, WEIGHT

_KERNEL_SUM = Kernel(
    "MMCE kernel sum",
    {"cython": "fastscore._cy.calibration:sorted_kernel_sum", "numba": "fastscore.calibration._numba:sorted_kernel_sum",
     "reference": "fastscore.calibration._reference:kernel_sum"},
)
MODES = ("auto", "binary", "top-label", "classwise")


def _columns(y_true, y_prob, mode, sum_tol=1e-4):
    """Validated (p, y) pairs to score: one for binary/top-label, one per class for classwise."""
    y_prob = as_float_array(y_prob, "y_prob", ndim=(1, 2))
    y_true = as_label_array(y_true, "y_true")
    check_consistent_length(y_true=y_true, y_prob=y_prob)
    check_not_empty(y_prob, "y_prob")
    check_option(mode, "mode", MODES)
    if mode == "auto":
        mode = "binary" if y_prob.ndim == 1 else "top-label"
    if mode == "binary":
        if y_prob.ndim != 1:
            raise ValueError(f"mode='binary' expects y_prob of shape (n,), got {y_prob.shape}; pass y_prob[:, 1].")
        check_probabilities(y_prob, "y_prob")
        check_labels_in_range(y_true, "y_true", 2, binary=True)
        return mode, [(y_prob.astype(np.float64, copy=False), y_true.astype(np.int64, copy=False))]
    if y_prob.ndim != 2:
        raise ValueError(f"mode={mode!r} expects y_prob of shape (n, k), got {y_prob.shape}.")
    check_probabilities(y_prob, "y_prob", sum_tol=sum_tol)
    check_labels_in_range(y_true, "y_true", y_prob.shape[1])
    if mode == "top-label":
        correct = (np.argmax(y_prob, axis=1) == y_true).astype(np.int64)
        return mode, [(y_prob.max(axis=1).astype(np.float64), correct)]
    return mode, [(y_prob[:, k].astype(np.float64), (y_true == k).astype(np.int64)) for k in range(y_prob.shape[1])]


def equal_mass_edges(values, n_bins: int) -> np.ndarray:
    """Bin edges of Kumar et al.'s ``get_equal_bins``, for right-closed (a, b] bins.

    The sorted values are split into ``n_bins`` runs of (almost) equal size
    (``np.array_split``); a boundary lies halfway between the last value of
    a run and the first of the next; repeated boundaries merge.
    """
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    parts = min(n_bins, ordered.size)
    sizes = np.full(parts, ordered.size // parts)
    sizes[: ordered.size % parts] += 1
    ends = np.cumsum(sizes)[:-1]
    bounds = np.unique(np.append((ordered[ends - 1] + ordered[ends]) / 2.0, 1.0))
    return np.concatenate([[0.0], bounds])


def _bin_stats(p, y, edges):
    state = BinnedCalibration(edges=edges, closed="right", strategy="quantile")
    return state.update(y, p).stats


def debiased_ece(y_true, y_prob, *, mode="auto", n_bins=15, p=2, debias=True, ci=None, n_boot=200, seed=None):
    """L_p calibration error over equal-mass bins; for p = 2, debiased (Kumar et al. 2019).

    Equal to ``calibration.lower_bound_scaling_ce(probs, labels, p, debias,
    num_bins, mode=...)`` of the ``uncertainty-calibration`` package (whose
    ``get_calibration_error`` calls it for continuous probabilities).

    The debiased squared error subtracts from each bin's (mean p - mean y)^2
    the variance of its mean outcome, mean_y (1 - mean_y) / (n_b - 1); bins
    with fewer than two samples contribute 0; a negative total becomes 0.
    ``mode="classwise"`` (their "marginal") averages the classes' p-th
    powers. ``debias`` only applies to p = 2 (other p give the plug-in).

    With ``ci`` (e.g. 0.95) the result is ``(value, (low, high))``: a
    Poisson-bootstrap percentile interval from ``n_boot`` replicates, seeded
    by ``seed``.

    Examples
    --------
    >>> from fastscore.calibration import debiased_ece
    >>> y, p = [0, 1, 1, 0, 1, 1], [0.2, 0.7, 0.9, 0.1, 0.4, 0.8]
    >>> round(debiased_ece(y, p, n_bins=2, debias=False), 4)  # sqrt((0.1**2 + 0.2**2) / 2)
    0.1581
    >>> debiased_ece(y, p, n_bins=2)  # the variance of 3 outcomes per bin exceeds the error
    0.0
    """
    if ci is not None:
        from .bootstrap import poisson_bootstrap

        return poisson_bootstrap(debiased_ece, y_true, y_prob, ci, n_boot, seed, mode=mode, n_bins=n_bins, p=p,
                                 debias=debias)
    n_bins = check_positive_int(n_bins, "n_bins", maximum=MAX_BINS, why="more bins than that is not an estimator")
    p = check_positive_int(p, "p")
    mode, columns = _columns(y_true, y_prob, mode)
    errors = []
    for probs, labels in columns:
        stats = _bin_stats(probs, labels, equal_mass_edges(probs, n_bins))
        count = stats[:, WEIGHT]
        share = count / count.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_p = stats[:, SUM_CONF] / count
            mean_y = stats[:, SUM_OUTCOME] / count
            if p == 2 and debias:
                per_bin = np.where(count >= 2, (mean_p - mean_y) ** 2 - mean_y * (1 - mean_y) / (count - 1), 0.0)
                errors.append(max(float(share @ per_bin), 0.0) ** 0.5)
            else:
                gaps = np.where(count > 0, np.abs(mean_p - mean_y), 0.0)
                errors.append(_power_mean(gaps, share, p))
    return _power_mean(np.array(errors), np.full(len(errors), 1.0 / len(errors)), p)


def _power_mean(values, weights, p) -> float:
    """(sum_i w_i v_i^p)^(1/p) for v >= 0, computed around the largest v, so that a large p
    neither underflows to 0 nor overflows."""
    top = float(values.max(initial=0.0))
    if top == 0.0:
        return 0.0
    return top * float(weights @ (values / top) ** p) ** (1.0 / p)


def _sorted_columns(columns):
    """(p, y, y - p) of each column, sorted by p (stable): the one sort all estimators share."""
    out = []
    for probs, labels in columns:
        order = np.argsort(probs, kind="stable")
        p = np.ascontiguousarray(probs[order])
        out.append((p, labels[order], np.ascontiguousarray(labels[order] - p)))
    return out


def _adaptive_from_sorted(p, residual, n_bins):
    n = p.size
    parts = min(n_bins, n)
    sizes = np.full(parts, n // parts)
    sizes[: n % parts] += 1
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return float(np.abs(np.add.reduceat(residual, starts)).sum() / n)


def _ks_from_sorted(p, residual):
    # the partial sums are a function of the confidence: read them only at the
    # end of each run of equal values, so that the order inside ties is irrelevant
    partial = np.cumsum(residual)
    ends = np.append(p[1:] != p[:-1], True)
    return float(np.abs(partial[ends]).max() / residual.size)


def _mmce_from_sorted(p, residual, width, kernel_sum):
    return float(np.sqrt(max(kernel_sum(p, residual, float(width)), 0.0))) / p.size


def _check_width(width):
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not width > 0:
        raise ValueError(f"width must be a positive number, got {width!r}.")
    return float(width)


def adaptive_ece(y_true, y_prob, *, mode="auto", n_bins=15, ci=None, n_boot=200, seed=None):
    """ECE over equal-mass bins cut at ranks: every bin holds n // n_bins or one more sample.

    Samples are ordered by a stable sort of their probability, so ties are
    split by input order. ``mode="classwise"`` is Nixon et al.'s ACE: the
    mean over classes of each class's adaptive ECE.

    With ``ci`` (e.g. 0.95) the result is ``(value, (low, high))``: a
    Poisson-bootstrap percentile interval from ``n_boot`` replicates, seeded
    by ``seed``.

    Examples
    --------
    >>> from fastscore.calibration import adaptive_ece
    >>> round(adaptive_ece([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.3], n_bins=2), 4)
    0.25
    """
    if ci is not None:
        from .bootstrap import poisson_bootstrap

        return poisson_bootstrap(adaptive_ece, y_true, y_prob, ci, n_boot, seed, mode=mode, n_bins=n_bins)
    n_bins = check_positive_int(n_bins, "n_bins", maximum=MAX_BINS, why="more bins than that is not an estimator")
    _, columns = _columns(y_true, y_prob, mode)
    return float(np.mean([_adaptive_from_sorted(p, r, n_bins) for p, _, r in _sorted_columns(columns)]))


def ks_error(y_true, y_prob, *, mode="auto", ci=None, n_boot=200, seed=None):
    """Kolmogorov-Smirnov calibration error (Gupta et al. 2021).

    With the samples sorted by probability, the largest absolute partial sum
    of (y - p) / n, taken where the probability changes (tied samples enter
    together, so their order does not matter). ``mode="classwise"`` averages
    the classes.

    With ``ci`` (e.g. 0.95) the result is ``(value, (low, high))``: a
    Poisson-bootstrap percentile interval from ``n_boot`` replicates, seeded
    by ``seed``.

    Examples
    --------
    >>> from fastscore.calibration import ks_error
    >>> round(ks_error([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.3]), 4)
    0.125
    """
    if ci is not None:
        from .bootstrap import poisson_bootstrap

        return poisson_bootstrap(ks_error, y_true, y_prob, ci, n_boot, seed, mode=mode)
    _, columns = _columns(y_true, y_prob, mode)
    return float(np.mean([_ks_from_sorted(p, r) for p, _, r in _sorted_columns(columns)]))


def mmce(y_true, y_prob, *, mode="auto", width=0.4, ci=None, n_boot=200, seed=None, backend=None):
    """Maximum mean calibration error (Kumar et al. 2018), Laplacian kernel.

    sqrt(sum_ij (y_i - p_i)(y_j - p_j) exp(-|p_i - p_j| / width)) / n,
    computed exactly in O(n log n): one sort, then a running sum (the
    Laplacian kernel factorises along the sorted order). ``width`` = 0.4 as
    in Kumar et al. and netcal. ``mode="classwise"`` averages the classes.

    With ``ci`` (e.g. 0.95) the result is ``(value, (low, high))``: a
    Poisson-bootstrap percentile interval from ``n_boot`` replicates, seeded
    by ``seed``.

    Examples
    --------
    >>> from fastscore.calibration import mmce
    >>> round(mmce([1, 0], [0.5, 0.5]), 4)
    0.0
    """
    if ci is not None:
        from .bootstrap import poisson_bootstrap

        return poisson_bootstrap(mmce, y_true, y_prob, ci, n_boot, seed, mode=mode, width=width, backend=backend)
    width = _check_width(width)
    _, columns = _columns(y_true, y_prob, mode)
    _, kernel_sum = _KERNEL_SUM.resolve(backend)
    return float(np.mean([_mmce_from_sorted(p, r, width, kernel_sum) for p, _, r in _sorted_columns(columns)]))


PARALLEL_SORT_MIN = 1 << 18  # below this, one sort on one thread


def _compiled(backend_name):
    """The module of the one-sort kernels: ``fastscore._cy.calibration`` or the Numba one."""
    if backend_name == "numba":
        from . import _numba

        return _numba
    from .._cy import calibration

    return calibration


def _sorted_runs(probs, labels, kernels):
    """The samples as packed keys (see ``pack_keys``) in two sorted halves, each built
    and sorted on its own thread (NumPy's sort releases the GIL), for ``sorted_pass_part`` to
    merge on the fly; one sorted run and an empty one when the input is small."""
    from .._config import map_threads, n_threads

    pack_keys = kernels.pack_keys

    probs = np.ascontiguousarray(probs, dtype=np.float64)
    keys = np.empty(probs.size, dtype=np.uint64)
    halves = 2 if probs.size >= PARALLEL_SORT_MIN and n_threads() >= 2 else 1
    cuts = [0, probs.size // 2, probs.size] if halves == 2 else [0, probs.size]

    def build_and_sort(h):
        run = keys[cuts[h]:cuts[h + 1]]
        pack_keys(probs[cuts[h]:cuts[h + 1]], labels[cuts[h]:cuts[h + 1]], run)
        # the keys of p in [0, 1] are at most 0x7FE0000000000001: as float64 they are finite and
        # non-negative, which order like their bits, and NumPy sorts float64 faster than uint64
        run.view(np.float64).sort()
        return run

    runs = map_threads(build_and_sort, range(halves))
    return (runs[0], runs[1]) if halves == 2 else (runs[0], keys[:0])


def _one_sort_pass(probs, labels, n_bins, width, backend_name="cython"):
    """(adaptive ECE, KS error, MMCE kernel sum) from the two sorted runs: the merged order is
    cut at its middle rank and each half is walked on its own thread, then the halves are joined
    (bin sums added, KS partial sums offset, the MMCE carry decayed into the second half)."""
    from .._config import map_threads

    kernels = _compiled(backend_name)
    combine_sorted_parts, merge_split, sorted_pass_part = (kernels.combine_sorted_parts, kernels.merge_split,
                                                          kernels.sorted_pass_part)
    left, right = _sorted_runs(probs, labels, kernels)
    n = left.size + right.size
    if right.size == 0:
        stretches = [(left, right, 0, np.uint64(0), False)]
    else:
        l, r = merge_split(left, right, n // 2)
        before = max(left[l - 1] if l else np.uint64(0), right[r - 1] if r else np.uint64(0))
        stretches = [(left[:l], right[:r], 0, np.uint64(0), False), (left[l:], right[r:], n // 2, before, True)]
    bin_sums = np.zeros((len(stretches), n_bins))
    results = np.array(map_threads(
        lambda k: sorted_pass_part(*stretches[k][:3], n, n_bins, float(width), *stretches[k][3:], bin_sums[k]),
        range(len(stretches))), dtype=np.float64)
    return combine_sorted_parts(results, bin_sums, n)


def sorted_estimates(y_true, y_prob, *, mode="auto", n_bins=15, width=0.4, backend=None) -> dict:
    """Adaptive ECE, KS error and MMCE from a single sort of the probabilities.

    Returns ``{"adaptive_ece": ..., "ks_error": ..., "mmce": ...}``. KS and
    MMCE equal the separate functions (to rounding); the adaptive ECE
    orders tied probabilities by outcome (0 first) instead of by input
    order, which can move tied samples across a rank cut. One sort of packed
    keys (in two halves on two threads for large inputs, merged inside the
    pass) and one compiled pass (the reference backend: the separate NumPy
    computations).

    Examples
    --------
    >>> from fastscore.calibration import sorted_estimates
    >>> {k: round(v, 4) for k, v in sorted_estimates([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.3], n_bins=2).items()}
    {'adaptive_ece': 0.25, 'ks_error': 0.125, 'mmce': 0.1221}
    """
    n_bins = check_positive_int(n_bins, "n_bins", maximum=MAX_BINS, why="more bins than that is not an estimator")
    width = _check_width(width)
    _, columns = _columns(y_true, y_prob, mode)
    name, kernel_sum = _KERNEL_SUM.resolve(backend)
    values = {"adaptive_ece": [], "ks_error": [], "mmce": []}
    if name == "reference":
        for p, _, r in _sorted_columns(columns):
            values["adaptive_ece"].append(_adaptive_from_sorted(p, r, n_bins))
            values["ks_error"].append(_ks_from_sorted(p, r))
            values["mmce"].append(_mmce_from_sorted(p, r, width, kernel_sum))
    else:
        for probs, labels in columns:
            adaptive, ks, total = _one_sort_pass(probs, labels, n_bins, width, name)
            values["adaptive_ece"].append(adaptive)
            values["ks_error"].append(ks)
            values["mmce"].append(float(np.sqrt(max(total, 0.0))) / probs.size)
    return {name: float(np.mean(v)) for name, v in values.items()}
