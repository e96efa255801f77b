"""Binned calibration: ECE, MCE, RMSCE, Brier and its decomposition, Balance score.

One fused pass over the predictions builds a small per-bin state (see
``_layout``); every metric of :class:`CalibrationReport` is read off it. The
state is the :class:`BinnedCalibration` accumulator: update it batch by
batch, merge shards, pickle it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .._config import Kernel, map_threads
from .._state import Accumulator
from .._validation import (
    as_float_array,
    as_label_array,
    check_consistent_length,
    check_finite,
    check_not_empty,
    check_option,
    check_positive_int,
    check_sample_weight,
)
from ._layout import SUM_CONF, SUM_CONF_OUTCOME, SUM_CONF_SQ, SUM_CONF_SQ_OUTCOME, SUM_OUTCOME, WEIGHT
from ._layout import BRIER, CONFIDENCE, CORRECT, N_STATS, N_TOTALS, TOTAL_WEIGHT, chunk_size

MODES = ("binary", "top-label", "classwise")
MAX_BINS = 1_000_000  # the largest n_bins accepted (the state holds 6 float64 numbers per bin and class)
STRATEGIES = ("uniform", "quantile")
CLOSED = ("left", "right")

# Compiled backends give chunk kernels (see _numba's docstring), the reference
# one whole-input functions. Listed in order of preference for "auto": the
# Cython kernels, compiled when the package is installed, at every size (on
# two threads they are within ~10 % of Numba's on 10^7 binary predictions and
# as fast on multiclass input, without a JIT compilation in a fresh process).
_KERNELS = {
    mode: Kernel(
        f"binned calibration, mode={mode!r}",
        {
            "cython": f"fastscore._cy.calibration:{name}_chunk",
            "numba": f"fastscore.calibration._numba:{name}_chunk",
            "reference": f"fastscore.calibration._reference:{name}_bins",
        },
    )
    for mode, name in (("binary", "binary"), ("top-label", "toplabel"), ("classwise", "classwise"))
}


def _binned_sums(mode, backend, y_true, y_prob, weights, edges, uniform, right, sum_tol):
    """Run the kernel of ``mode``: ``(stats, totals, first_bad_index)`` of ``_layout``."""
    name, kernel = _KERNELS[mode].resolve(backend)
    if name == "reference":
        return kernel(y_true, y_prob, weights, edges, right, sum_tol)
    if right:
        # p <= e exactly when p < nextafter(e, inf): (a, b] bins are [a', b') bins
        edges = np.nextafter(edges, np.inf)
    n = y_prob.shape[0]
    n_bins = edges.shape[1] - 1
    n_rows = n_bins * y_prob.shape[1] if mode == "classwise" else n_bins
    size = chunk_size(n)
    n_chunks = max(1, -(-n // size))
    # one slot per chunk, added in order: the result does not depend on threads
    part = np.zeros((n_chunks, n_rows, 2, 3))
    part_totals = np.zeros((n_chunks, N_TOTALS))

    def run_chunk(c):
        return kernel(y_true, y_prob, weights, edges, uniform, sum_tol,
                      c * size, min(n, (c + 1) * size), part[c], part_totals[c])

    bad = [b for b in map_threads(run_chunk, range(n_chunks)) if b >= 0]
    acc, totals = part[0], part_totals[0]
    for c in range(1, n_chunks):
        acc += part[c]
        totals += part_totals[c]
    # (rows, y, [w, w p, w p^2]) -> the columns of _layout
    stats = np.empty((n_rows, N_STATS))
    stats[:, WEIGHT] = acc[:, 0, 0] + acc[:, 1, 0]
    stats[:, SUM_CONF] = acc[:, 0, 1] + acc[:, 1, 1]
    stats[:, SUM_OUTCOME] = acc[:, 1, 0]
    stats[:, SUM_CONF_SQ] = acc[:, 0, 2] + acc[:, 1, 2]
    stats[:, SUM_CONF_OUTCOME] = acc[:, 1, 1]
    stats[:, SUM_CONF_SQ_OUTCOME] = acc[:, 1, 2]
    if mode == "classwise":
        stats = stats.reshape(y_prob.shape[1], n_bins, N_STATS)
    return stats, totals, min(bad) if bad else -1


@dataclass(frozen=True)
class BrierDecomposition:
    """Murphy's decomposition of the Brier score of the binned probabilities.

    ``score == reliability - resolution + uncertainty + within_bin_variance
    - within_bin_covariance`` holds exactly (up to rounding): the last two
    terms (Stephenson et al., 2008) account for the spread of the
    probabilities inside each bin. In binary and classwise mode ``score`` is
    the Brier score of the report; in top-label mode it is the Brier score of
    the top-label confidence against correctness.
    """

    reliability: float
    resolution: float
    uncertainty: float
    within_bin_variance: float
    within_bin_covariance: float
    score: float

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CalibrationReport:
    """Every binned calibration number of one evaluation.

    Attributes
    ----------
    mode : {"binary", "top-label", "classwise"}
    ece, mce, rmsce : float
        Expected (L1), maximum and root-mean-square (L2) calibration error
        over the bins. In classwise mode: the mean over classes of the
        per-class ECE, the maximum over classes and bins, and the root of the
        mean over classes of the squared L2 error.
    ace : float
        netcal's ACE: the unweighted mean of |outcome - confidence| over the
        non-empty bins (classwise: over every class's non-empty bins).
    brier : float
        Mean Brier score; for multiclass input the sum over classes of
        (p_k - 1[y = k])**2, as scikit-learn's ``brier_score_loss``.
    balance : float
        Balance score of Choi et al. (2023): mean over samples of
        1[top-label prediction right] - top-label confidence, i.e. accuracy
        minus mean confidence. Positive: under-confident; negative:
        over-confident. A binary prediction predicts 1 when p >= 0.5.
    accuracy, mean_confidence : float
        Top-label accuracy and mean top-label confidence.
    decomposition : BrierDecomposition
    edges : ndarray
        Bin edges, (n_bins + 1,) or, in classwise mode, (n_classes, n_bins + 1).
    bin_counts, bin_confidence, bin_outcome : ndarray
        Per bin: total sample weight (the count when unweighted), mean binned
        probability and mean outcome (NaN in empty bins). Shape (n_bins,),
        or (n_classes, n_bins) in classwise mode.
    class_ece : ndarray or None
        Per-class ECE in classwise mode.
    intervals : dict or None
        With ``ci``: {metric: (low, high)} bootstrap percentile intervals
        (see :mod:`fastscore.calibration.bootstrap`).
    ci : float or None
        Their level.
    """

    mode: str
    n_bins: int
    strategy: str
    closed: str
    n_samples: int
    total_weight: float
    ece: float
    mce: float
    rmsce: float
    ace: float
    brier: float
    balance: float
    accuracy: float
    mean_confidence: float
    decomposition: BrierDecomposition
    edges: np.ndarray
    bin_counts: np.ndarray
    bin_confidence: np.ndarray
    bin_outcome: np.ndarray
    class_ece: np.ndarray | None = None
    intervals: dict | None = None
    ci: float | None = None

    def to_dict(self) -> dict:
        """Plain Python types only (arrays become lists; NaN stays NaN)."""
        out = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, np.ndarray):
                value = value.tolist()
            elif isinstance(value, BrierDecomposition):
                value = value.to_dict()
            elif isinstance(value, dict):
                value = {name: list(bounds) for name, bounds in value.items()}
            out[field.name] = value
        return out


def uniform_edges(n_bins: int) -> np.ndarray:
    """The edges of ``n_bins`` equal-width bins on [0, 1] (``np.linspace``)."""
    return np.linspace(0.0, 1.0, check_positive_int(n_bins, "n_bins", maximum=MAX_BINS, why="a state of that many bins would not fit in memory") + 1)


def quantile_edges(values, n_bins: int) -> np.ndarray:
    """Equal-mass bin edges: the quantiles of ``values`` (as scikit-learn's
    ``calibration_curve(strategy="quantile")``, ``np.percentile`` with linear
    interpolation). Edges may repeat when values do."""
    values = np.asarray(values)
    return np.percentile(values, np.linspace(0.0, 1.0, check_positive_int(n_bins, "n_bins", maximum=MAX_BINS, why="a state of that many bins would not fit in memory") + 1) * 100)


def _check_edges(edges, n_rows: int | None) -> np.ndarray:
    edges = as_float_array(edges, "edges", ndim=(1, 2)).astype(np.float64, copy=False)
    if edges.shape[-1] < 2:
        raise ValueError(f"edges needs at least 2 values (one bin), got shape {edges.shape}.")
    check_finite(edges, "edges")
    if np.any(np.diff(edges, axis=-1) < 0):
        raise ValueError("edges must be non-decreasing along each row; sort them.")
    if edges.ndim == 1:
        edges = edges[None, :]
    if n_rows is not None and edges.shape[0] not in (1, n_rows):
        raise ValueError(
            f"edges has {edges.shape[0]} rows but there are {n_rows} classes; pass one row, or one row per class."
        )
    return np.ascontiguousarray(edges)


def _describe_bad_sample(mode, y_true, y_prob, i, sum_tol, n_classes):
    """A precise message for sample ``i``, which a kernel found bad."""
    label = y_true[i]
    if mode == "binary":
        p = float(y_prob[i])
        if np.isnan(p):
            return f"y_prob contains NaN at index {i}; remove or impute those samples before scoring."
        if not 0.0 <= p <= 1.0:
            return f"y_prob holds {p!r} at index {i}, outside [0, 1]; pass probabilities (apply a sigmoid to logits first)."
        return (
            f"y_true holds {label.item()!r} at index {i}; binary labels must be 0 or 1 "
            f"(map your positive class to 1, e.g. y_true = (y_true == positive_label))."
        )
    if not 0 <= label < n_classes:
        return (
            f"y_true holds {label.item()!r} at index {i}, but y_prob has {n_classes} columns so labels must be in "
            f"[0, {n_classes - 1}]; encode classes as column indices of y_prob."
        )
    row = y_prob[i].astype(np.float64)
    if not np.all(np.isfinite(row)):
        kind = "NaN" if np.isnan(row).any() else "inf"
        return f"row {i} of y_prob contains {kind}; remove or impute those samples before scoring."
    if np.any((row < 0) | (row > 1)):
        j = int(np.argmax((row < 0) | (row > 1)))
        return f"y_prob holds {row[j].item()!r} at index ({i}, {j}), outside [0, 1]; pass probabilities (apply a softmax to logits first)."
    return (
        f"row {i} of y_prob sums to {row.sum().item()!r}, not 1 (tolerance sum_tol={sum_tol}); "
        f"normalise the rows (softmax), or raise sum_tol (None skips the check)."
    )


class BinnedCalibration(Accumulator):
    """Streaming, mergeable state of binned calibration.

    Parameters
    ----------
    n_bins : int, default=15
        Number of bins, at most 1,000,000 (ignored when ``edges`` is given).
    mode : {"binary", "top-label", "classwise"}, default="binary"
        "binary": ``y_prob`` of shape (n,) is the positive-class probability
        and ``y_true`` is 0/1. "top-label": ``y_prob`` (n, k) rows are class
        probabilities; the top probability is binned against correctness.
        "classwise": every class's probability is binned against 1[y = k].
    edges : array-like, optional
        Explicit bin edges, (n_bins + 1,) or one row per class in classwise
        mode. Default: ``n_bins`` equal-width bins on [0, 1]. Equal-mass bins
        depend on all the data; compute them first with
        :func:`quantile_edges` (``calibration_report(strategy="quantile")``
        does this for you).
    closed : {"left", "right"}, default="left"
        "left": bins [a, b), with p = 1.0 in the last bin (NumPy's histogram,
        netcal, torchmetrics). "right": bins (a, b], with p = 0 in the first
        (scikit-learn's ``calibration_curve``).
    sum_tol : float or None, default=1e-4
        Largest allowed |row sum - 1| of a multiclass ``y_prob``; None skips
        the check.
    backend : {"auto", "numba", "cython", "reference"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.calibration import BinnedCalibration
    >>> state = BinnedCalibration(n_bins=10)
    >>> state.update([0, 1, 1], [0.1, 0.8, 0.65]).update([1, 0], [0.9, 0.4])
    BinnedCalibration(n_bins=10, mode='binary', closed='left', sum_tol=0.0001, n_classes=None, strategy='uniform')
    >>> round(state.compute().ece, 4)
    0.23
    """

    _params = ("n_bins", "mode", "closed", "sum_tol", "n_classes", "strategy", "edges")
    _sums = ("stats", "totals", "n_samples")

    def __init__(self, *, n_bins=15, mode="binary", edges=None, closed="left", sum_tol=1e-4,
                 n_classes=None, backend=None, strategy=None):
        self.mode = check_option(mode, "mode", MODES)
        self.closed = check_option(closed, "closed", CLOSED)
        if sum_tol is not None and not (isinstance(sum_tol, (int, float)) and sum_tol >= 0):
            raise ValueError(f"sum_tol must be a non-negative number or None, got {sum_tol!r}.")
        self.sum_tol = sum_tol
        self.n_classes = None if n_classes is None else check_positive_int(n_classes, "n_classes", minimum=2)
        self.backend = backend
        if edges is None:
            self.edges = uniform_edges(n_bins)[None, :]
            self.uniform = True
            self.strategy = "uniform" if strategy is None else strategy
        else:
            self.edges = _check_edges(edges, self.n_classes if mode == "classwise" else 1)
            self.uniform = False
            self.strategy = "custom" if strategy is None else strategy
        self.n_bins = self.edges.shape[1] - 1
        self.reset()

    def _initial_state(self):
        if self.mode == "classwise" and self.n_classes is None:
            stats = None  # shape known at the first update
        elif self.mode == "classwise":
            stats = np.zeros((self.n_classes, self.n_bins, N_STATS))
        else:
            stats = np.zeros((self.n_bins, N_STATS))
        return {"stats": stats, "totals": np.zeros(N_TOTALS), "n_samples": 0}

    def _prepare(self, y_true, y_prob, sample_weight):
        y_prob = as_float_array(y_prob, "y_prob", ndim=1 if self.mode == "binary" else 2)
        y_true = as_label_array(y_true, "y_true")
        n = check_consistent_length(y_true=y_true, y_prob=y_prob)
        weights = check_sample_weight(sample_weight, n)
        if self.mode != "binary":
            if y_prob.shape[1] < 2:
                raise ValueError(f"y_prob must have at least 2 columns (classes), got shape {y_prob.shape}.")
            if self.n_classes is None:
                self.n_classes = y_prob.shape[1]
                if self.stats is None:
                    self.stats = np.zeros((self.n_classes, self.n_bins, N_STATS))
            elif y_prob.shape[1] != self.n_classes:
                raise ValueError(
                    f"y_prob has {y_prob.shape[1]} columns but this state was built for n_classes={self.n_classes}; "
                    f"pass probabilities for every class, in the same order, in each batch."
                )
        return y_true, y_prob, weights, n

    def _edges_for_kernel(self):
        if self.mode == "classwise" and self.edges.shape[0] == 1:
            return np.ascontiguousarray(np.broadcast_to(self.edges, (self.n_classes, self.edges.shape[1])))
        return self.edges

    def update(self, y_true, y_prob, *, sample_weight=None):
        """Add a batch of predictions; returns ``self`` (a refused batch leaves the state as it was)."""
        before = (self.n_classes, self.stats)
        try:
            y_true, y_prob, weights, n = self._prepare(y_true, y_prob, sample_weight)
            if n == 0:
                return self
            tol = np.inf if self.sum_tol is None else float(self.sum_tol)
            stats, totals, bad = _binned_sums(self.mode, self.backend, y_true, y_prob, weights,
                                              self._edges_for_kernel(), self.uniform, self.closed == "right", tol)
            if bad >= 0:
                raise ValueError(_describe_bad_sample(self.mode, y_true, y_prob, int(bad), self.sum_tol,
                                                      self.n_classes))
        except BaseException:
            self.n_classes, self.stats = before  # the first batch may have set the number of classes
            raise
        self.stats = self.stats + stats
        self.totals = self.totals + totals
        self.n_samples += n
        return self

    def merge(self, other):
        if self.mode == "classwise" and (self.n_classes is None) != (other.n_classes is None):
            # a state that never saw data adopts the other's number of classes
            if self.n_classes is None:
                self.n_classes, self.stats = other.n_classes, np.zeros_like(other.stats)
            else:
                other = other.copy()
                other.n_classes, other.stats = self.n_classes, np.zeros_like(self.stats)
        return super().merge(other)

    def compute(self, *, ci=None, n_boot=1000, seed=None) -> CalibrationReport:
        """The :class:`CalibrationReport` of everything seen so far.

        With ``ci`` (e.g. 0.95), ECE, MCE and RMSCE get bootstrap intervals
        resampled from the bin statistics (the "bins" scheme of
        :mod:`fastscore.calibration.bootstrap`; cost independent of n).
        """
        report = self._compute()
        if ci is None:
            return report
        from .bootstrap import bin_replicates, check_bootstrap, percentile_interval

        check_bootstrap(ci, n_boot, "bins")
        if self.mode == "classwise":
            raise ValueError("bin-level intervals need binary or top-label mode; use calibration_report(..., "
                             "bootstrap='exact') for classwise intervals.")
        if not np.isclose(self.totals[TOTAL_WEIGHT], self.n_samples):
            raise ValueError("bin-level intervals need unweighted samples; use calibration_report(..., "
                             "bootstrap='exact') with sample weights.")
        replicates = bin_replicates(self.stats, n_boot, np.random.default_rng(seed))
        intervals = {name: percentile_interval(values, ci) for name, values in replicates.items()}
        return dataclasses.replace(report, intervals=intervals, ci=float(ci))

    def _compute(self) -> CalibrationReport:
        if self.n_samples == 0:
            raise ValueError("no samples were added; call update() with at least one sample before compute().")
        total = self.totals[TOTAL_WEIGHT]
        if not total > 0:
            raise ValueError("the sample weights sum to 0; give at least one sample a positive weight.")
        stats = self.stats if self.mode == "classwise" else self.stats[None]
        weight = stats[..., WEIGHT]
        with np.errstate(invalid="ignore", divide="ignore"):
            confidence = stats[..., SUM_CONF] / weight
            outcome = stats[..., SUM_OUTCOME] / weight
        nonempty = weight > 0
        gap = np.where(nonempty, np.abs(outcome - confidence), 0.0)
        class_ece = np.abs(stats[..., SUM_OUTCOME] - stats[..., SUM_CONF]).sum(axis=-1) / total
        squared = (weight * gap**2).sum(axis=-1) / total

        mean_outcome = stats[..., SUM_OUTCOME].sum(axis=-1) / total
        safe = np.where(nonempty, weight, 1.0)
        decomposition = BrierDecomposition(
            reliability=float((weight * (confidence - outcome) ** 2)[nonempty].sum() / total),
            resolution=float((weight * (outcome - mean_outcome[:, None]) ** 2)[nonempty].sum() / total),
            uncertainty=float(np.sum(mean_outcome * (1.0 - mean_outcome))),
            within_bin_variance=float(np.sum(stats[..., SUM_CONF_SQ] - stats[..., SUM_CONF] ** 2 / safe) / total),
            within_bin_covariance=float(
                2.0 * np.sum(stats[..., SUM_CONF_OUTCOME] - stats[..., SUM_CONF] * stats[..., SUM_OUTCOME] / safe) / total
            ),
            score=float(np.sum(stats[..., SUM_CONF_SQ] - 2.0 * stats[..., SUM_CONF_OUTCOME] + stats[..., SUM_OUTCOME]) / total),
        )
        classwise = self.mode == "classwise"
        squeeze = (lambda a: a) if classwise else (lambda a: a[0])
        edges = self._edges_for_kernel() if classwise else self.edges[0]
        return CalibrationReport(
            mode=self.mode,
            n_bins=self.n_bins,
            strategy=self.strategy,
            closed=self.closed,
            n_samples=int(self.n_samples),
            total_weight=float(total),
            ece=float(class_ece.mean()),
            mce=float(gap[nonempty].max()),
            rmsce=float(np.sqrt(squared.mean())),
            ace=float(gap[nonempty].mean()),
            brier=float(self.totals[BRIER] / total),
            balance=float((self.totals[CORRECT] - self.totals[CONFIDENCE]) / total),
            accuracy=float(self.totals[CORRECT] / total),
            mean_confidence=float(self.totals[CONFIDENCE] / total),
            decomposition=decomposition,
            edges=edges.copy(),
            bin_counts=squeeze(weight).copy(),
            bin_confidence=squeeze(np.where(nonempty, confidence, np.nan)),
            bin_outcome=squeeze(np.where(nonempty, outcome, np.nan)),
            class_ece=class_ece if classwise else None,
        )


def _resolve_mode(mode, y_prob: np.ndarray) -> str:
    if mode == "auto":
        return "binary" if y_prob.ndim == 1 else "top-label"
    return check_option(mode, "mode", MODES + ("auto",))


def calibration_report(y_true, y_prob, *, n_bins=15, strategy="uniform", mode="auto", closed="left",
                       sample_weight=None, sum_tol=1e-4, ci=None, n_boot=1000, seed=None, bootstrap="auto",
                       backend=None) -> CalibrationReport:
    """All binned calibration metrics from one pass over the data.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0/1 outcomes (binary) or class ids 0..k-1 (multiclass).
    y_prob : array-like of shape (n,) or (n, k)
        Positive-class probabilities, or class probabilities whose rows sum
        to 1. float32 input is read as float32, never copied to float64.
    n_bins : int, default=15
        Number of bins (at most 1,000,000).
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width bins on [0, 1], or equal-mass bins whose edges are the
        quantiles of the binned probabilities (per class in classwise mode).
    mode : {"auto", "binary", "top-label", "classwise"}, default="auto"
        "auto" is "binary" for 1-D ``y_prob`` and "top-label" for 2-D.
    closed : {"left", "right"}, default="left"
        Bins [a, b) with p = 1 in the last bin (NumPy, netcal, torchmetrics),
        or (a, b] with p = 0 in the first (scikit-learn).
    sample_weight : array-like of shape (n,), optional
        Non-negative weights (Poisson weights give a bootstrap replicate).
    sum_tol : float or None, default=1e-4
        Allowed |row sum - 1| of a multiclass ``y_prob``; None skips the check.
    ci : float in (0, 1), optional
        Add bootstrap percentile intervals at this level (``report.intervals``).
    n_boot : int, default=1000
        Bootstrap replicates.
    seed : int, optional
        Seed of the bootstrap: the same seed gives the same intervals.
    bootstrap : {"auto", "bins", "exact"}, default="auto"
        "bins": resample the per-bin statistics (ECE, MCE, RMSCE; cost
        independent of n); "exact": Poisson weights per sample and a pass
        per replicate (every metric). "auto" is "bins" for unweighted binary
        or top-label data, else "exact". See :mod:`fastscore.calibration.bootstrap`.
    backend : {"auto", "numba", "cython", "reference"}, optional

    Returns
    -------
    CalibrationReport

    Examples
    --------
    >>> from fastscore.calibration import calibration_report
    >>> report = calibration_report([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.3], n_bins=5)
    >>> round(report.ece, 3), round(report.brier, 4), round(report.balance, 3)
    (0.25, 0.075, 0.25)
    """
    y_prob = as_float_array(y_prob, "y_prob", ndim=(1, 2))
    mode = _resolve_mode(mode, y_prob)
    check_option(strategy, "strategy", STRATEGIES)
    n_bins = check_positive_int(n_bins, "n_bins", maximum=MAX_BINS, why="a state of that many bins would not fit in memory")
    state = BinnedCalibration(n_bins=n_bins, mode=mode, closed=closed, sum_tol=sum_tol, backend=backend)
    y_true, y_prob, weights, n = state._prepare(y_true, y_prob, sample_weight)
    check_not_empty(y_prob, "y_prob")
    if strategy == "quantile":
        check_finite(y_prob, "y_prob")
        if mode == "binary":
            edges = quantile_edges(y_prob, n_bins)
        elif mode == "top-label":
            edges = quantile_edges(y_prob.max(axis=1), n_bins)
        else:
            edges = np.stack([quantile_edges(y_prob[:, k], n_bins) for k in range(y_prob.shape[1])])
        state = BinnedCalibration(mode=mode, edges=edges, closed=closed, sum_tol=sum_tol, backend=backend,
                                  n_classes=state.n_classes, strategy="quantile")
    template = state.empty_like()
    state.update(y_true, y_prob, sample_weight=weights)
    if ci is None:
        return state.compute()
    from .bootstrap import ALL_FIELDS, check_bootstrap, percentile_interval

    check_bootstrap(ci, n_boot, bootstrap)
    if bootstrap == "auto":
        bootstrap = "exact" if mode == "classwise" or weights is not None else "bins"
    if bootstrap == "bins":
        return state.compute(ci=ci, n_boot=n_boot, seed=seed)
    rng = np.random.default_rng(seed)
    replicates = {name: np.empty(n_boot) for name in ALL_FIELDS}
    for r in range(n_boot):
        counts = rng.poisson(1.0, size=n).astype(np.float64)
        resampled = template.copy().update(y_true, y_prob, sample_weight=counts if weights is None else counts * weights)
        if resampled.totals[TOTAL_WEIGHT] > 0:
            replica = resampled.compute()
            for name in ALL_FIELDS:
                replicates[name][r] = getattr(replica, name)
        else:  # every sample drawn 0 times (only for tiny n)
            for name in ALL_FIELDS:
                replicates[name][r] = np.nan
    intervals = {name: percentile_interval(values, ci) for name, values in replicates.items()}
    return dataclasses.replace(state.compute(), intervals=intervals, ci=float(ci))


def _one_metric(name, doc_example):
    def metric(y_true, y_prob, *, n_bins=15, strategy="uniform", mode="auto", closed="left",
               sample_weight=None, sum_tol=1e-4, backend=None) -> float:
        report = calibration_report(y_true, y_prob, n_bins=n_bins, strategy=strategy, mode=mode, closed=closed,
                                    sample_weight=sample_weight, sum_tol=sum_tol, backend=backend)
        return getattr(report, name)

    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = f"""The ``{name}`` field of :func:`calibration_report` (same parameters).

    Examples
    --------
    >>> from fastscore.calibration import {name}
    >>> {doc_example}
    """
    return metric


ece = _one_metric("ece", "round(ece([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.3], n_bins=5), 3)\n    0.25")
mce = _one_metric("mce", "round(mce([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.3], n_bins=5), 3)\n    0.4")
rmsce = _one_metric("rmsce", "round(rmsce([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.3], n_bins=5), 4)\n    0.2716")


def ace(y_true, y_prob, *, n_bins=10, strategy="uniform", mode="auto", closed="left", sample_weight=None,
        sum_tol=1e-4, backend=None) -> float:
    """netcal's Average Calibration Error: the unweighted mean over non-empty bins.

    ACE = mean over bins holding a sample of |mean outcome - mean confidence|
    (netcal's ``ACE``, whose default is 10 equal-width bins, as here). Unlike
    the ECE, a bin with one sample weighs as much as one with thousands.
    Parameters are those of :func:`calibration_report`.

    Examples
    --------
    >>> from fastscore.calibration import ace
    >>> round(ace([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.3], n_bins=5), 4)  # (0.25 + 0.4 + 0.1) / 3
    0.25
    """
    return calibration_report(y_true, y_prob, n_bins=n_bins, strategy=strategy, mode=mode, closed=closed,
                              sample_weight=sample_weight, sum_tol=sum_tol, backend=backend).ace


def _unbinned(name, summary, example, value):
    def metric(y_true, y_prob, *, mode="auto", sample_weight=None, sum_tol=1e-4, backend=None) -> float:
        report = calibration_report(y_true, y_prob, mode=mode, sample_weight=sample_weight,
                                    sum_tol=sum_tol, backend=backend)
        return getattr(report, name)

    metric.__name__ = metric.__qualname__ = f"{name}_score"
    metric.__doc__ = f"""{summary}

    No binning is involved; the parameters are those of :func:`calibration_report`.

    Examples
    --------
    >>> from fastscore.calibration import {name}_score
    >>> round({name}_score({example}), 4)
    {value}
    """
    return metric


brier_score = _unbinned(
    "brier",
    "Mean Brier score (scikit-learn's ``brier_score_loss``; multiclass: the sum over classes).",
    "[0, 1, 1, 0], [0.2, 0.9, 0.6, 0.3]", "0.075",
)
balance_score = _unbinned(
    "balance",
    "Balance score (Choi et al., 2023): accuracy minus mean top-label confidence.\n\n"
    "    Positive values mean under-confidence, negative over-confidence, 0 is\n"
    "    balanced. Binary predictions predict class 1 when p >= 0.5.",
    "[0, 1, 1, 0], [0.2, 0.9, 0.6, 0.3]", "0.25",
)
