"""Paired comparison of per-example scores: bootstrap, permutation and McNemar."""
from __future__ import annotations

import math

import numpy as np

from .._state import Accumulator
from .._validation import as_real_array
from .resampling import check_seed, resampled_sums, signflip_sums
from .result import Comparison, MetricComparison, adjust_p_values, verdict

METHODS = ("auto", "bootstrap", "permutation", "mcnemar")
MIN_REPLICATES = 100


def check_settings(n_boot, ci, margin, correction="holm"):
    """The shared arguments of every comparison, checked."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)):
        raise TypeError(f"n_boot must be an integer, got {type(n_boot).__name__}.")
    if n_boot < MIN_REPLICATES:
        raise ValueError(f"n_boot={n_boot} is too few: with fewer than {MIN_REPLICATES} replicates an interval's "
                         f"ends and a p-value below 0.05 rest on a handful of draws (their Monte-Carlo error is "
                         f"as large as the effect); use 1000 or more (9999 for p-values near 0.01).")
    if not (isinstance(ci, (float, int, np.floating)) and 0.0 < float(ci) < 1.0):
        raise ValueError(f"ci must be a confidence level in (0, 1) such as 0.95, got {ci!r}.")
    if margin is not None and not (isinstance(margin, (float, int, np.floating)) and math.isfinite(margin)
                                   and margin >= 0):
        raise ValueError(f"margin must be a finite number >= 0 (in the metric's units), got {margin!r}.")
    if correction not in ("holm", "bh", "none", None):
        raise ValueError(f"correction must be 'holm', 'bh' or 'none', got {correction!r}.")
    return int(n_boot), float(ci), None if margin is None else float(margin)


def align(baseline, candidate, ids, name: str = "scores", allow_missing=None):
    """(baseline, candidate, source) as float arrays in one order: by position, or by ids, given as
    one array for both or as (baseline_ids, candidate_ids); ``source[i]`` is the position in the
    baseline of row i (-1: a row the baseline lacks, filled with 0), for what comes per baseline
    example (clusters). An example scored by one model only is an error, unless
    ``allow_missing`` is "drop" (compare on the shared examples) or "zero" (the missing score
    counts as 0, e.g. a failed generation)."""
    if allow_missing not in (None, "drop", "zero"):
        raise ValueError(f"allow_missing must be None, 'drop' or 'zero', got {allow_missing!r}.")
    b = as_real_array(baseline, f"baseline {name}").reshape(-1)
    c = as_real_array(candidate, f"candidate {name}").reshape(-1)
    if ids is None:
        if b.shape != c.shape:
            raise ValueError(f"baseline and candidate {name} have different lengths ({b.size} and {c.size}); "
                             f"pass ids=(baseline_ids, candidate_ids) to align them by example.")
        return b, c, np.arange(b.size)
    if isinstance(ids, tuple) and len(ids) == 2:
        b_ids, c_ids = (np.asarray(i).reshape(-1) for i in ids)
    else:
        b_ids = c_ids = np.asarray(ids).reshape(-1)
    for label, arr, ident in (("baseline", b, b_ids), ("candidate", c, c_ids)):
        if ident.shape != arr.shape:
            raise ValueError(f"{label} ids ({ident.size}) and {label} {name} ({arr.size}) differ in length.")
        if np.unique(ident).size != ident.size:
            raise ValueError(f"{label} ids are not unique; each example needs one id.")
    only_b, only_c = np.setdiff1d(b_ids, c_ids), np.setdiff1d(c_ids, b_ids)
    if (only_b.size or only_c.size) and allow_missing is None:
        raise ValueError(f"the two models were scored on different examples: {only_b.size} id(s) only in the "
                         f"baseline (first: {only_b[:5].tolist()}), {only_c.size} only in the candidate (first: "
                         f"{only_c[:5].tolist()}); compare them on the same eval set, or pass allow_missing='drop' "
                         f"(the shared examples) or 'zero' (a missing score counts 0).")
    source = np.arange(b.size)
    if allow_missing == "drop":
        keep_b, keep_c = np.isin(b_ids, c_ids), np.isin(c_ids, b_ids)
        b, b_ids, c, c_ids, source = b[keep_b], b_ids[keep_b], c[keep_c], c_ids[keep_c], source[keep_b]
    elif allow_missing == "zero" and (only_b.size or only_c.size):
        b, b_ids = np.concatenate([b, np.zeros(only_c.size)]), np.concatenate([b_ids, only_c])
        c, c_ids = np.concatenate([c, np.zeros(only_b.size)]), np.concatenate([c_ids, only_b])
        source = np.concatenate([source, np.full(only_c.size, -1)])
    order_b, order_c = np.argsort(b_ids, kind="stable"), np.argsort(c_ids, kind="stable")
    return b[order_b], c[order_c], source[order_b]


def _cluster_rows(b, c, cluster):
    """Units of resampling: (n_units, 3) rows [baseline sum, candidate sum, examples], and the
    per-unit differences."""
    if cluster is None:
        rows = np.column_stack([b, c, np.ones_like(b)])
    else:
        cluster = np.asarray(cluster).reshape(-1)
        if cluster.shape != b.shape:
            raise ValueError(f"cluster must give one id per example ({b.size}), got {cluster.size}.")
        _, unit = np.unique(cluster, return_inverse=True)
        n_units = int(unit.max()) + 1 if unit.size else 0
        rows = np.column_stack([np.bincount(unit, b, n_units), np.bincount(unit, c, n_units),
                                np.bincount(unit, minlength=n_units).astype(np.float64)])
    return rows


def _percentile_interval(theta, ci):
    """The percentile interval: the alpha / 2 and 1 - alpha / 2 quantiles of the replicates (linear
    interpolation, as ``scipy.stats.bootstrap``)."""
    alpha = (1.0 - ci) / 2
    ordered = np.sort(theta)
    return quantile_linear(ordered, alpha), quantile_linear(ordered, 1 - alpha)


def bca_interval(theta, d, ci):
    """Efron's bias-corrected and accelerated interval of the mean of d from its replicates theta
    (the bias from the replicates below the estimate, the acceleration from the leave-one-out
    means; the arithmetic of ``scipy.stats.bootstrap(method="BCa")``)."""
    from scipy.special import ndtr, ndtri

    n = d.size
    estimate = float(np.mean(d))
    z0 = ndtri((np.count_nonzero(theta < estimate) + np.count_nonzero(theta <= estimate)) / (2 * theta.size))
    leave_one_out = (d.sum() - d) / (n - 1)
    u = (n - 1) * (leave_one_out.mean() - leave_one_out)
    denominator = (np.sum(u ** 2) / n ** 2) ** 1.5
    a = (np.sum(u ** 3) / n ** 3) / 6 / denominator if denominator > 0 else 0.0
    alpha = (1.0 - ci) / 2
    levels = []
    for z in (float(ndtri(alpha)), -float(ndtri(alpha))):
        levels.append(float(ndtr(z0 + (z0 + z) / (1 - a * (z0 + z)))))
    ordered = np.sort(theta)
    if not all(np.isfinite(levels)):  # every replicate on one side (a degenerate distribution)
        return _percentile_interval(theta, ci)
    return quantile_linear(ordered, levels[0]), quantile_linear(ordered, levels[1])


def quantile_linear(ordered: np.ndarray, p: float) -> float:
    """The p-quantile of sorted values, linear interpolation (Hyndman and Fan's type 7) in the
    arithmetic ``scipy.stats.quantile`` uses (NumPy's np.quantile can differ in the last bit)."""
    n = ordered.size
    position = p * n + (1 - p)
    upper = position // 1
    lower = upper - 1
    fraction = position % 1
    if lower < 0:
        fraction = 0.0
    lower, upper = int(min(max(lower, 0), n - 1)), int(min(max(upper, 0), n - 1))
    return float((1 - fraction) * ordered[lower] + fraction * ordered[upper])


def bootstrap_p_value(theta, margin, higher_is_better) -> tuple[float, float]:
    """(p, its Monte-Carlo standard error) from paired replicates of delta: two-sided for delta = 0
    (the percentile interval's inversion), or one-sided for "worse by more than margin"."""
    theta = np.asarray(theta)
    n = theta.size
    if margin is None:
        below, above = np.count_nonzero(theta <= 0), np.count_nonzero(theta >= 0)
        p = min(1.0, 2.0 * (min(below, above) + 1) / (n + 1))
    else:
        sign = 1.0 if higher_is_better else -1.0
        p = (np.count_nonzero(sign * theta >= -margin) + 1) / (n + 1)
    return p, math.sqrt(p * (1 - p) / n)


def mcnemar_p_value(b: np.ndarray, c: np.ndarray) -> float:
    """Exact McNemar test of 0/1 outcomes: the two-sided binomial test (p = 1/2) of the discordant
    pairs, 2 P(X <= min(n10, n01)) capped at 1, in exact integer arithmetic up to 5,000 discordant
    pairs (scipy.stats.binomtest beyond)."""
    n10 = int(np.count_nonzero((b == 1) & (c == 0)))
    n01 = int(np.count_nonzero((b == 0) & (c == 1)))
    m, k = n10 + n01, min(n10, n01)
    if m == 0 or 2 * k == m:
        return 1.0
    if m <= 5000:
        tail = sum(math.comb(m, i) for i in range(k + 1))
        return min(1.0, float(2 * tail / 2 ** m)) if tail < 2 ** (m - 1) else 1.0
    from scipy.stats import binomtest

    return float(binomtest(k, m, 0.5).pvalue)


def compare_scores(baseline, candidate, *, ids=None, statistic="mean", method="auto", n_boot=9999, ci=0.95,
                   seed=0, resample="multinomial", cluster=None, margin=None, correction="holm",
                   higher_is_better=True, name="score", resample_indices=None, ci_method="percentile",
                   allow_missing=None, backend=None) -> Comparison:
    """Is the candidate's mean score different from (or worse than) the baseline's, on the same examples?

    Parameters
    ----------
    baseline, candidate : array-like of float
        Per-example scores of the two models (any float metric, or 0/1 correctness).
    ids : array-like or (array-like, array-like), optional
        Example ids (shared, or one array per model) to align the two; an example scored by one
        model only is an error that says how many and which, unless ``allow_missing`` is
        "drop" (compare on the shared examples) or "zero" (a missing score counts as 0).
    statistic : "mean"
        The compared statistic (the mean over examples; other statistics are not offered yet).
    method : {"auto", "bootstrap", "permutation", "mcnemar"}
        The test behind ``p_value``. "bootstrap": the paired bootstrap (the interval's inversion);
        "permutation": paired sign flips (approximate randomization, p = (c + 1) / (B + 1));
        "mcnemar": the exact McNemar test (0/1 scores). "auto": McNemar for 0/1 scores without
        clusters or margin, else the bootstrap. The interval is always the paired bootstrap's
        percentile interval (for 0/1 scores without clusters, drawn on the 2 x 2 table: each
        replicate costs O(1) whatever n).
    n_boot : int, default 9999
        Replicates (bootstrap and permutation; at least 100).
    ci : float, default 0.95
        Confidence level of the interval; 1 - ci is the level of the tests.
    seed : int or None
        Seeds NumPy's PCG64 (see ``fastscore.compare.resampling``): the same seed and data give
        the same replicates on every machine.
    resample : {"multinomial", "poisson"}
        The bootstrap's weights.
    cluster : array-like, optional
        One cluster id per example (generations of one prompt, ...), in the baseline's order:
        whole clusters are resampled (and sign-flipped), the mean stays the mean over examples.
    margin : float, optional
        Non-inferiority margin in the score's units: the test becomes "is the candidate worse by
        more than margin?", and an interval within +-margin is ``equivalent``.
    correction : {"holm", "bh", "none"}
        Multiplicity correction over the comparison's metrics (one here).
    higher_is_better : bool, default True
    name : str
        The metric's name in the result.
    resample_indices : array (B, n) of int, optional
        Use these bootstrap draws (B replicates of n example indices) instead of drawing: the
        interval then equals ``scipy.stats.bootstrap(..., paired=True, method="percentile")``
        given the same indices.
    ci_method : {"percentile", "bca"}
        The interval: percentile, or bias-corrected and accelerated (Efron's BCa, the
        acceleration from the leave-one-out means: O(n); not with clusters).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.compare import compare_scores
    >>> rng = np.random.default_rng(0)
    >>> base = rng.normal(0.70, 0.1, 500)
    >>> cand = base - 0.02 + rng.normal(0, 0.02, 500)  # slightly worse on every example
    >>> result = compare_scores(base, cand, n_boot=2000)
    >>> result["score"].verdict, round(result["score"].delta, 3)
    ('regression', -0.021)
    """
    n_boot, ci, margin = check_settings(n_boot, ci, margin, correction)
    seed = check_seed(seed)
    if statistic != "mean":
        raise ValueError(f"statistic must be 'mean' (the mean score over examples), got {statistic!r}.")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}.")
    b, c, source = align(baseline, candidate, ids, allow_missing=allow_missing)
    if b.size == 0:
        raise ValueError("no examples to compare: the scores are empty.")
    if cluster is not None:  # one cluster id per baseline example: into the aligned order
        cluster = np.asarray(cluster).reshape(-1)
        if cluster.size != np.asarray(baseline).reshape(-1).size:
            raise ValueError(f"cluster must give one id per baseline example ({np.asarray(baseline).size}), "
                             f"got {cluster.size}.")
        if (source < 0).any():
            raise ValueError("cluster ids with allow_missing='zero': the examples only the candidate scored have no "
                             "cluster; use allow_missing='drop' or give both models every example.")
        cluster = cluster[source]
    for label, arr in (("baseline", b), ("candidate", c)):
        if not np.isfinite(arr).all():
            i = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise ValueError(f"{label} scores[{i}] = {arr[i]}: scores must be finite (drop or impute the example "
                             f"for both models).")
    binary = bool(np.isin(b, (0.0, 1.0)).all() and np.isin(c, (0.0, 1.0)).all())
    if method == "auto":
        method = "mcnemar" if binary and cluster is None and margin is None else "bootstrap"
    if method == "mcnemar":
        if not binary:
            raise ValueError("method='mcnemar' needs 0/1 scores (correct / wrong); use 'bootstrap' or 'permutation'.")
        if cluster is not None or margin is not None:
            raise ValueError("the exact McNemar test takes neither clusters nor a margin; use method='bootstrap'.")
    base_value, cand_value = float(np.mean(b)), float(np.mean(c))
    delta = cand_value - base_value
    theta = _replicates(b, c, n_boot=n_boot, seed=seed, resample=resample, cluster=cluster, binary=binary,
                        resample_indices=resample_indices, backend=backend)
    if ci_method == "bca":
        if cluster is not None:
            raise ValueError("ci_method='bca' is not offered with clusters; use the percentile interval.")
        low, high = bca_interval(theta, c - b, ci)
    elif ci_method == "percentile":
        low, high = _percentile_interval(theta, ci)
    else:
        raise ValueError(f"ci_method must be 'percentile' or 'bca', got {ci_method!r}.")
    if method == "mcnemar":
        p, p_se, test = mcnemar_p_value(b, c), 0.0, "exact McNemar"
    elif method == "permutation":
        p, p_se = _permutation_p_value(b, c, cluster=cluster, n_perm=n_boot, seed=seed, margin=margin,
                                       higher_is_better=higher_is_better, backend=backend)
        test = "paired permutation (sign flips)"
    else:
        p, p_se = bootstrap_p_value(theta, margin, higher_is_better)
        test = "paired bootstrap"
    p_adj = float(adjust_p_values([p], correction or "none")[0])
    row = MetricComparison(metric=name, higher_is_better=bool(higher_is_better), baseline=base_value,
                           candidate=cand_value, delta=delta, ci_low=low, ci_high=high, p_value=float(p),
                           p_adjusted=p_adj, p_mc_se=float(p_se), test=test,
                           verdict=verdict(delta, low, high, p_adj, 1 - ci, higher_is_better, margin))
    return Comparison(rows=(row,), method=method, n_boot=n_boot, ci=ci, margin=margin, correction=correction or "none",
                      seed=seed, resample=resample, details={"replicates": theta})


def _replicates(b, c, *, n_boot, seed, resample, cluster, binary, resample_indices, backend):
    """Paired bootstrap replicates of delta = mean(candidate) - mean(baseline)."""
    if resample_indices is not None:
        idx = np.asarray(resample_indices)
        if idx.ndim != 2 or idx.shape[1] != b.size or idx.dtype.kind not in "iu":
            raise ValueError(f"resample_indices must be a (B, {b.size}) integer array of example indices.")
        if idx.size and (idx.min() < 0 or idx.max() >= b.size):
            raise ValueError(f"resample_indices must lie in [0, {b.size}).")
        return np.mean(c[idx], axis=-1) - np.mean(b[idx], axis=-1)  # scipy's statistic on the same draws
    if binary and cluster is None and resample == "multinomial":
        # four cells: a replicate is one multinomial draw of the 2 x 2 table
        n = b.size
        cells = np.array([np.count_nonzero((b == 1) & (c == 0)), np.count_nonzero((b == 0) & (c == 1)),
                          np.count_nonzero(b == c)], dtype=np.float64)
        draws = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed))).multinomial(n, cells / n, size=n_boot)
        return (draws[:, 1] - draws[:, 0]) / n
    rows = _cluster_rows(b, c, cluster)
    if cluster is None and resample == "multinomial":
        # n draws of n examples: a replicate's delta is the sum of the drawn differences over n
        sums = resampled_sums((rows[:, 1] - rows[:, 0])[:, None], n_boot, seed=seed, resample=resample,
                              backend=backend)
        return sums[:, 0] / b.size
    # resampled differences and example counts (clusters: whole groups; Poisson: a random n)
    sums = resampled_sums(np.column_stack([rows[:, 1] - rows[:, 0], rows[:, 2]]), n_boot, seed=seed,
                          resample=resample, backend=backend)
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = sums[:, 0] / sums[:, 1]
    # a Poisson replicate may draw no example at all: it is dropped (said in the docs)
    return theta[np.isfinite(theta)]


def _permutation_p_value(b, c, *, cluster, n_perm, seed, margin, higher_is_better, backend):
    rows = _cluster_rows(b, c, cluster)
    sign = 1.0 if higher_is_better else -1.0
    d = sign * (rows[:, 1] - rows[:, 0])
    if margin is not None:
        d = d + margin * rows[:, 2]  # H0: the mean difference is -margin: shifted to 0
    observed = float(d.sum())
    flips = signflip_sums(d, n_perm, seed=seed + 1 if seed is not None else None, backend=backend)
    tolerance = 1e-12 * float(np.abs(d).sum())  # sums of the same terms in another order
    if margin is None:
        count = np.count_nonzero(np.abs(flips) >= abs(observed) - tolerance)
    else:
        count = np.count_nonzero(flips <= observed + tolerance)
    p = (count + 1) / (n_perm + 1)
    return p, math.sqrt(p * (1 - p) / n_perm)


class ScoresComparison(Accumulator):
    """``compare_scores`` built shard by shard (accumulator protocol; ``fastscore.dask``).

    The bootstrap of a mean redraws examples, so the exact state is every example's two
    scores (plus its id and cluster when given): it grows with the data (16 bytes per
    example, 24 with ids). ``update(baseline, candidate, ids=None, cluster=None)`` adds a
    batch, shards merge, and ``compute(**options)`` is ``compare_scores`` on all of them:
    with ids the examples are taken in id order, so any sharding and merge order gives the
    one call's replicates exactly; without ids, in the order the states merged (another
    order draws other replicates of the same law). For 0/1 scores the replicates only need
    the 2 x 2 table, but the state keeps the examples so that every method stays available.

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.compare.scores import ScoresComparison
    >>> rng = np.random.default_rng(0)
    >>> base = rng.normal(0.7, 0.1, 600)
    >>> cand = base - 0.02 + rng.normal(0, 0.02, 600)
    >>> ids = rng.permutation(600)
    >>> shards = [ScoresComparison().update(base[p], cand[p], ids[p]) for p in np.array_split(np.arange(600), 3)]
    >>> merged = shards[2].merge(shards[0]).merge(shards[1])
    >>> merged.compute(n_boot=2000)["score"].verdict
    'regression'
    """

    def __init__(self):
        self.reset()

    def _initial_state(self):
        return {"baseline": np.zeros(0), "candidate": np.zeros(0), "ids": None, "cluster": None}

    def update(self, baseline, candidate, ids=None, cluster=None, *, sample_weight=None):
        """Add a batch of examples scored by both models (ids and clusters: all batches or none)."""
        if sample_weight is not None:
            raise ValueError("a score comparison does not take sample weights (examples are resampled).")
        b = as_real_array(baseline, "baseline scores").reshape(-1)
        c = as_real_array(candidate, "candidate scores").reshape(-1)
        if b.shape != c.shape:
            raise ValueError(f"baseline ({b.size}) and candidate ({c.size}) scores must describe the same examples; "
                             f"align them by id before update().")
        extra = {}
        for label, value in (("ids", ids), ("cluster", cluster)):
            if value is not None:
                value = np.asarray(value).reshape(-1)
                if value.shape != b.shape:
                    raise ValueError(f"{label} must give one value per example ({b.size}), got {value.size}.")
            extra[label] = value
        self._add(b, c, extra["ids"], extra["cluster"])
        return self

    def _add(self, b, c, ids, cluster):
        for label, mine, theirs in (("ids", self.ids, ids), ("cluster", self.cluster, cluster)):
            if self.baseline.size and b.size and (mine is None) != (theirs is None):
                raise ValueError(f"some batches have {label} and others not; give {label} with every batch or none.")
        if ids is not None and self.ids is not None:
            shared = np.intersect1d(self.ids, ids)
            if shared.size:
                raise ValueError(f"example id {shared[0]!r} is in two batches ({shared.size} shared); each example "
                                 f"once.")
        self.ids = ids if self.ids is None else (self.ids if ids is None else np.concatenate([self.ids, ids]))
        self.cluster = cluster if self.cluster is None else (
            self.cluster if cluster is None else np.concatenate([self.cluster, cluster]))
        self.baseline = np.concatenate([self.baseline, b])
        self.candidate = np.concatenate([self.candidate, c])

    def merge(self, other):
        """Add another state's examples and return ``self``."""
        self._check_mergeable(other)
        self._add(other.baseline, other.candidate, other.ids, other.cluster)
        return self

    def compute(self, **options) -> Comparison:
        """``compare_scores`` on every example added (its keyword options, ``ids`` and ``cluster`` aside)."""
        for given in ("ids", "cluster"):
            if given in options:
                raise TypeError(f"give {given} to update(), not to compute().")
        return compare_scores(self.baseline, self.candidate, ids=self.ids, cluster=self.cluster, **options)
