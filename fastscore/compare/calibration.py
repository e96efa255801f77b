"""Paired comparison of two models' calibration on the same labelled examples."""
from __future__ import annotations

import numpy as np

from .._config import map_threads, n_threads
from .._state import Accumulator
from .resampling import _kernel, check_seed, resampled_sums
from .result import Comparison, MetricComparison, adjust_p_values, verdict
from .scores import _percentile_interval, bootstrap_p_value, check_settings

METRICS = ("ece", "mce", "rmsce", "brier", "balance")
N_KEYS_PER_BIN_PAIR = 16  # groups per (baseline bin, candidate bin): two outcomes, two balance signs
_BINS = _kernel("bin indices", "bin_indices")
_MOMENTS = _kernel("group moments", "group_moments")


def _per_example(y_true, y_prob, mode, n_bins, closed, backend=None):
    """(mode, bin, outcome (uint8), confidence, squared error, positive) per example, as the
    calibration report bins them; ``positive`` False flips outcome - confidence into the balance
    term correct - confidence of the predicted class (binary: p < 0.5, class 0 predicted;
    top-label: always True). Few temporaries: at 10^7 examples each one is 80 MB of fresh pages."""
    from ..calibration.binned import _resolve_mode, uniform_edges

    y = np.asarray(y_true)
    p = np.asarray(y_prob, dtype=np.float64)
    mode = _resolve_mode(mode, p)
    if mode == "binary":
        confidence, outcome = p, y.astype(np.uint8)
        error = np.subtract(outcome, p)
        np.square(error, out=error)
        positive = p >= 0.5
    elif mode == "top-label":
        top = np.argmax(p, axis=1)
        confidence, outcome = p[np.arange(len(p)), top], (top == y).astype(np.uint8)
        onehot = np.zeros_like(p)
        onehot[np.arange(len(p)), y.astype(np.int64)] = 1.0
        error = ((p - onehot) ** 2).sum(axis=1)
        positive = np.ones(len(p), bool)
    else:
        raise ValueError(f"compare_calibration supports mode 'binary' and 'top-label', got {mode!r}.")
    inner = np.ascontiguousarray(uniform_edges(n_bins)[1:-1], dtype=np.float64)
    confidence = np.ascontiguousarray(confidence, dtype=np.float64)
    bins = np.empty(len(confidence), np.int64)
    _, kernel = _BINS.resolve(backend)
    map_threads(lambda lohi: kernel(confidence[lohi[0]:lohi[1]], inner, closed == "left", bins[lohi[0]:lohi[1]]),
                _row_chunks(len(confidence)))
    return mode, bins, outcome, confidence, np.ascontiguousarray(error, dtype=np.float64), positive


def _reported(reports, metrics) -> dict:
    """Both models' values of each metric from their calibration reports (balance: its absolute value)."""
    return {m: tuple(abs(float(r.balance)) if m == "balance" else float(getattr(r, m)) for r in reports)
            for m in metrics}


def _row_chunks(n: int) -> list:
    parts = max(1, min(n_threads(), n // 100_000))
    bounds = np.linspace(0, n, parts + 1).astype(np.int64)
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))


def _metrics_from_bins(weight, ones, conf_sum, error_sum, balance_sum, total):
    """ECE, MCE, RMSCE, Brier and |balance| from per-bin sums (last axis: bins) and the sum of the
    balance terms, for any leading shape."""
    gap_sum = np.abs(ones - conf_sum)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.where(weight > 0, gap_sum / weight, 0.0)
        return {"ece": gap_sum.sum(axis=-1) / total,
                "mce": np.where(weight > 0, gap, -np.inf).max(axis=-1),
                "rmsce": np.sqrt((weight * gap ** 2).sum(axis=-1) / total),
                "brier": error_sum / total,
                "balance": np.abs(balance_sum) / total}


def compare_calibration(y_true, p_baseline, p_candidate, *, metrics=METRICS, n_bins=15, mode="auto", closed="left",
                        method="bins", n_boot=1000, ci=0.95, seed=0, margin=None, correction="holm",
                        cluster=None, backend=None) -> Comparison:
    """Is the candidate worse calibrated than the baseline on the same labelled examples?

    The reported values are ``fastscore.calibration.calibration_report``'s; every metric is
    lower-is-better. Replicates are paired (both models, all metrics, one resampling).

    Parameters
    ----------
    y_true : array-like (n,)
        0/1 outcomes (binary) or class ids (top-label).
    p_baseline, p_candidate : array-like (n,) or (n, k)
        The two models' probabilities for the same examples, in the same order.
    metrics : tuple of str
        Among "ece", "mce", "rmsce", "brier", "balance" (default: all). "balance" is the absolute
        Balance score, |sum(outcome - confidence)| / n (the report's ``balance`` is signed: its
        sign says whether the model is under- or over-confident; the comparison asks which model
        is closer to 0).
    n_bins, mode, closed
        As in ``calibration_report`` (uniform bins; mode "binary" or "top-label").
    method : {"bins", "exact"}
        "bins" (the default; cost independent of n): the examples are grouped by (baseline
        bin, candidate bin, outcomes, and in binary mode which class each model predicts); a
        replicate draws K ~ Poisson(m) examples in a group of
        m (exact) and the sums of their confidences and squared errors from the normal law
        with the group's mean and covariance, times K (the central limit approximation of a
        sum of K draws from the group, as the calibration report's "bins" bootstrap). "exact":
        Poisson(1) weights per example and every per-bin sum recomputed, O(n * n_boot * bins).
    n_boot, ci, seed, margin, correction
        As in ``compare_scores`` (the margin in the metrics' units).
    cluster : array-like, optional
        One cluster id per example (the images of one patient, the questions of one
        document): whole clusters get the Poisson weights. Needs ``method="exact"`` (the bins
        scheme draws examples independently).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.compare.calibration import compare_calibration
    >>> rng = np.random.default_rng(0)
    >>> p = rng.random(20000)
    >>> y = (rng.random(20000) < p).astype(int)              # the baseline is calibrated
    >>> over = np.clip(0.5 + 1.6 * (p - 0.5), 0, 1)           # the candidate over-confident
    >>> result = compare_calibration(y, p, over, n_boot=500)
    >>> result["ece"].verdict, result["brier"].verdict
    ('regression', 'regression')
    """
    from ..calibration import calibration_report

    n_boot, ci, margin = check_settings(n_boot, ci, margin, correction)
    seed = check_seed(seed)
    metrics = tuple(metrics)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise ValueError(f"metrics must be among {METRICS}, got {list(metrics)}.")
    if method not in ("bins", "exact"):
        raise ValueError(f"method must be 'bins' or 'exact', got {method!r}.")
    if cluster is not None and method != "exact":
        raise ValueError("cluster= needs method='exact': the 'bins' scheme draws examples independently.")
    y = np.asarray(y_true)
    pb, pc = np.asarray(p_baseline), np.asarray(p_candidate)
    if pb.shape != pc.shape or pb.shape[:1] != y.shape[:1]:
        raise ValueError(f"y_true {y.shape}, p_baseline {pb.shape} and p_candidate {pc.shape} must describe the same "
                         f"examples (the same number of rows, the same shape for both models).")
    reports = [calibration_report(y, p, n_bins=n_bins, mode=mode, closed=closed, backend=backend) for p in (pb, pc)]
    values = _reported(reports, metrics)
    per_model = [_per_example(y, p, mode, n_bins, closed, backend) for p in (pb, pc)]
    mode = per_model[0][0]
    if method == "bins":
        replicates = _bin_replicates(per_model, n_bins, n_boot, seed, backend)
    else:
        replicates = _exact_replicates(per_model, n_bins, n_boot, seed, backend, cluster)
    return _comparison(values, replicates, metrics, ci, margin, correction, method, {"mode": mode}, seed)


def _comparison(values, replicates, metrics, ci, margin, correction, method, details, seed):
    """The Comparison of the metrics from both models' values and their paired replicates."""
    deltas = {m: replicates[m][:, 1] - replicates[m][:, 0] for m in metrics}
    p_values, errors = zip(*(bootstrap_p_value(deltas[m][np.isfinite(deltas[m])], margin, False) for m in metrics))
    adjusted = adjust_p_values(p_values, correction or "none")
    rows = []
    for m, p, se, p_adj in zip(metrics, p_values, errors, adjusted):
        theta = deltas[m][np.isfinite(deltas[m])]
        low, high = _percentile_interval(theta, ci)
        base, cand = values[m]
        rows.append(MetricComparison(metric=m, higher_is_better=False, baseline=base, candidate=cand, delta=cand - base,
                                     ci_low=low, ci_high=high, p_value=float(p), p_adjusted=float(p_adj),
                                     p_mc_se=float(se), test=f"paired Poisson bootstrap ({method})",
                                     verdict=verdict(cand - base, low, high, float(p_adj), 1 - ci, False, margin)))
    n_boot = len(next(iter(replicates.values())))
    return Comparison(rows=tuple(rows), method=f"bootstrap ({method})", n_boot=n_boot, ci=ci, margin=margin,
                      correction=correction or "none", seed=seed, resample="poisson", details=details)


def group_statistics(per_model, n_bins, backend=None):
    """The joint groups' sufficient statistics, additive across shards: for every key (baseline
    bin, candidate bin, baseline outcome, candidate outcome, both balance signs) the count, the
    sums and the cross products of x = (both confidences, both squared errors), and the number
    of examples to which the two models give different values. Returns (keys present, count,
    sums, cross, differs)."""
    (_, bin_b, out_b, conf_b, err_b, pos_b), (_, bin_c, out_c, conf_c, err_c, pos_c) = per_model
    key = bin_b * n_bins  # (((bin_b * n_bins + bin_c) * 2 + out_b) * 2 + out_c) * 4 + pos_b * 2 + pos_c, in place
    key += bin_c
    for bit in (out_b, out_c, pos_b, pos_c):
        key <<= 1
        np.add(key, bit, out=key, casting="unsafe")
    n_keys = N_KEYS_PER_BIN_PAIR * n_bins * n_bins
    if n_keys <= max(4 * len(key), 1 << 20):  # the groups present, numbered without a sort
        groups = np.flatnonzero(np.bincount(key, minlength=n_keys))
        number = np.zeros(n_keys, np.int64)
        number[groups] = np.arange(len(groups))
        group_of = number[key]
    else:
        groups, group_of = np.unique(key, return_inverse=True)
    g = len(groups)
    count, total_x, cross = np.zeros(g), np.zeros((g, 4)), np.zeros((g, 4, 4))
    _, moments = _MOMENTS.resolve(backend)
    pieces = [(np.zeros(g), np.zeros((g, 4)), np.zeros((g, 4, 4))) for _ in _row_chunks(len(group_of))]
    map_threads(lambda item: moments(group_of[item[0][0]:item[0][1]], conf_b[item[0][0]:item[0][1]],
                                     conf_c[item[0][0]:item[0][1]], err_b[item[0][0]:item[0][1]],
                                     err_c[item[0][0]:item[0][1]], *item[1]),
                list(zip(_row_chunks(len(group_of)), pieces)))
    for c_part, s_part, x_part in pieces:
        count += c_part
        total_x += s_part
        cross += x_part
    cross = np.triu(cross) + np.triu(cross, 1).transpose(0, 2, 1)
    differs = np.bincount(group_of, ((conf_b != conf_c) | (err_b != err_c)).astype(np.float64), g)
    return groups, count, total_x, cross, differs


def _bin_replicates(per_model, n_bins, n_boot, seed, backend=None):
    """Replicates (n_boot, 2) of every metric from the joint groups' sufficient statistics."""
    return replicates_from_groups(*group_statistics(per_model, n_bins, backend), n_bins, n_boot, seed)


def replicates_from_groups(groups, count, total_x, cross, differs, n_bins, n_boot, seed):
    """Poisson replicates (n_boot, 2) of every metric from the groups' statistics (see
    ``group_statistics``): exact counts, CLT sums with each group's mean and covariance."""
    g = len(groups)
    mean = total_x / count[:, None]
    cov = cross / count[:, None, None] - mean[:, :, None] * mean[:, None, :]
    # a square root of each covariance (eigenvalues clipped at 0: rounding can make them slightly negative)
    eigval, eigvec = np.linalg.eigh(cov)
    root = eigvec * np.sqrt(np.maximum(eigval, 0.0))[:, None, :]
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    drawn = rng.poisson(count, size=(n_boot, g)).astype(np.float64)  # examples drawn per group
    noise = rng.standard_normal((n_boot, g, 4))
    sums = drawn[..., None] * mean + np.sqrt(drawn)[..., None] * np.einsum("gij,bgj->bgi", root, noise)
    # groups where both models give every example the same confidence and error: the same sums
    # (exactly, not up to the rounding of the covariance's root), so identical models tie exactly
    same = differs == 0
    sums[:, same, 1] = sums[:, same, 0]
    sums[:, same, 3] = sums[:, same, 2]
    group_sign = [np.where((groups // 2) % 2 == 1, 1.0, -1.0), np.where(groups % 2 == 1, 1.0, -1.0)]
    cell = groups // 4
    group_bins = [(cell // (2 * 2)) // n_bins, (cell // (2 * 2)) % n_bins]
    group_out = [(cell // 2) % 2, cell % 2]
    total = drawn.sum(axis=1)
    out = {m: np.empty((n_boot, 2)) for m in METRICS}
    for model in range(2):
        to_bins = np.zeros((g, n_bins))
        to_bins[np.arange(g), group_bins[model]] = 1.0
        weight = drawn @ to_bins
        ones = (drawn * group_out[model]) @ to_bins
        conf_sum = sums[..., model] @ to_bins
        error_sum = sums[..., 2 + model].sum(axis=1)
        balance_sum = (drawn * group_out[model] - sums[..., model]) @ group_sign[model]
        for m, value in _metrics_from_bins(weight, ones, conf_sum, error_sum, balance_sum, total).items():
            out[m][:, model] = value
    return out


def _exact_replicates(per_model, n_bins, n_boot, seed, backend, cluster=None):
    """Replicates from Poisson(1) weights per example (or per cluster of examples): per-bin sums of
    both models as columns."""
    n = len(per_model[0][1])
    columns = []
    for _, bins, outcome, confidence, error, positive in per_model:
        onehot = np.zeros((n, n_bins))
        onehot[np.arange(n), bins] = 1.0
        gap = outcome - confidence
        columns += [onehot, onehot * outcome[:, None], onehot * confidence[:, None], error[:, None],
                    np.where(positive, gap, -gap)[:, None]]
    values = np.hstack(columns + [np.ones((n, 1))])
    if cluster is not None:  # a cluster's examples share its weight: resample the clusters' sums
        cluster = np.asarray(cluster).reshape(-1)
        if cluster.shape != (n,):
            raise ValueError(f"cluster must give one id per example ({n}), got {cluster.size}.")
        _, unit = np.unique(cluster, return_inverse=True)
        summed = np.zeros((int(unit.max()) + 1, values.shape[1]))
        np.add.at(summed, unit.reshape(-1), values)
        values = summed
    sums = resampled_sums(values, n_boot, seed=seed, resample="poisson", backend=backend)
    total = sums[:, -1]
    out = {m: np.empty((n_boot, 2)) for m in METRICS}
    width = 3 * n_bins + 2
    for model in range(2):
        block = sums[:, model * width:(model + 1) * width]
        weight, ones, conf_sum = block[:, :n_bins], block[:, n_bins:2 * n_bins], block[:, 2 * n_bins:3 * n_bins]
        for m, value in _metrics_from_bins(weight, ones, conf_sum, block[:, -2], block[:, -1], total).items():
            out[m][:, model] = value
    return out


class CalibrationComparison(Accumulator):
    """``compare_calibration`` (method "bins") built shard by shard (accumulator protocol).

    Each ``update(y_true, p_baseline, p_candidate)`` adds a batch of examples; the state is the
    joint groups' sufficient statistics (``group_statistics``, additive) and both models'
    binned calibration states, so shards merge (``fastscore.dask``) and ``compute()`` runs the
    replicates on the merged statistics: the same comparison as one call on all examples, with
    the same draws (sums added in another order round differently, which can rotate a group's
    near-degenerate covariance root: the interval's ends then move by a small fraction of its
    width, the law of the replicates being the same).

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.compare.calibration import CalibrationComparison
    >>> rng = np.random.default_rng(0)
    >>> p = rng.random(4000)
    >>> y = (rng.random(4000) < p).astype(int)
    >>> acc = CalibrationComparison()
    >>> for part in np.array_split(np.arange(4000), 4):
    ...     acc.update(y[part], p[part], np.clip(1.5 * p[part] - 0.25, 0, 1)[()])
    CalibrationComparison(...)
    >>> acc.compute(n_boot=300)["ece"].verdict
    'regression'
    """

    _params = ("n_bins", "mode", "closed")
    _sums = ("count", "sums", "cross", "differs")

    def __init__(self, *, n_bins=15, mode="binary", closed="left"):
        if mode not in ("binary", "top-label"):
            raise ValueError(f"mode must be 'binary' or 'top-label', got {mode!r}.")
        if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or not 1 <= n_bins <= 200:
            raise ValueError(f"n_bins must be an integer in [1, 200] for a comparison state, got {n_bins!r}.")
        self.n_bins, self.mode, self.closed = int(n_bins), mode, closed
        self.reset()

    def _initial_state(self):
        from ..calibration import BinnedCalibration

        k = N_KEYS_PER_BIN_PAIR * self.n_bins * self.n_bins
        return {"count": np.zeros(k), "sums": np.zeros((k, 4)), "cross": np.zeros((k, 4, 4)), "differs": np.zeros(k),
                "reports": tuple(BinnedCalibration(n_bins=self.n_bins, mode=self.mode, closed=self.closed)
                                 for _ in range(2))}

    def update(self, y_true, p_baseline, p_candidate, *, sample_weight=None):
        """Add a batch of labelled examples scored by both models."""
        if sample_weight is not None:
            raise ValueError("a calibration comparison does not take sample weights.")
        y = np.asarray(y_true)
        pb, pc = np.asarray(p_baseline), np.asarray(p_candidate)
        if pb.shape != pc.shape or pb.shape[:1] != y.shape[:1]:
            raise ValueError(f"y_true {y.shape}, p_baseline {pb.shape} and p_candidate {pc.shape} must describe the "
                             f"same examples.")
        self.reports[0].update(y, pb)
        self.reports[1].update(y, pc)
        per_model = [_per_example(y, p, self.mode, self.n_bins, self.closed) for p in (pb, pc)]
        groups, count, sums, cross, differs = group_statistics(per_model, self.n_bins)
        self.count[groups] += count
        self.sums[groups] += sums
        self.cross[groups] += cross
        self.differs[groups] += differs
        return self

    def merge(self, other):
        """Add another shard's state (the same parameters) and return ``self``."""
        super().merge(other)
        self.reports[0].merge(other.reports[0])
        self.reports[1].merge(other.reports[1])
        return self

    def compute(self, *, metrics=METRICS, n_boot=1000, ci=0.95, seed=0, margin=None, correction="holm"):
        """The comparison of every example added so far (see ``compare_calibration``)."""
        n_boot, ci, margin = check_settings(n_boot, ci, margin, correction)
        metrics = tuple(metrics)
        if not metrics or any(m not in METRICS for m in metrics):
            raise ValueError(f"metrics must be among {METRICS}, got {list(metrics)}.")
        present = np.flatnonzero(self.count > 0)
        if present.size == 0:
            raise ValueError("no example was added: call update(y_true, p_baseline, p_candidate) first.")
        reports = [r.compute() for r in self.reports]
        values = _reported(reports, metrics)
        replicates = replicates_from_groups(present, self.count[present], self.sums[present], self.cross[present],
                                            self.differs[present], self.n_bins, n_boot, check_seed(seed))
        return _comparison(values, replicates, metrics, ci, margin, correction, "bins", {"mode": self.mode}, seed)