"""Voting rules over rankings: Borda, Copeland, Kemeny, and the margin matrix.

A profile is an (n, m) integer array whose row r lists the m item ids from
best to worst (a permutation of 0..m-1), with optional ``weights`` (how many
voters cast each ranking).

Ties and partial rankings take the second form, ``ranks=``: an (n, m) array
where ``ranks[r, i]`` is where voter r puts item i, smaller is better (a
position, or any number such as a negated score); equal values are ties and
NaN marks an item the voter did not rank, placed below every ranked item and
tied with the other unranked ones. A tie is no preference either way; in
Borda, an item gets one point per item below it and half a point per item
tied with it (for a strict ranking: m - 1 for the top, as in the first form).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .._config import family_kernel, map_threads, n_threads
from .._validation import as_real_array, check_finite, check_positive_int

_PREFER = family_kernel("ranking", "preference_counts", "preference counts")
_KEMENY = family_kernel("ranking", "kemeny_subsets", "exact Kemeny")
EXACT_KEMENY_MAX = 20


@dataclass(frozen=True)
class VoteResult:
    """``order``: item ids, best first; ``scores``: per item id (None where the rule has none)."""

    order: np.ndarray
    scores: np.ndarray | None
    exact: bool = True
    rank_intervals: np.ndarray | None = None  # (items, 2), with bootstrap=
    p_above: np.ndarray | None = None  # (items, items): P(row ranked above column), with bootstrap=

    @property
    def winner(self) -> int:
        return int(self.order[0])


def _profile(rankings, weights):
    rankings = np.asarray(rankings)
    if rankings.ndim != 2 or rankings.shape[0] == 0 or rankings.shape[1] == 0:
        raise ValueError(f"rankings must be a non-empty (voters, items) array, got shape {rankings.shape}.")
    if rankings.dtype.kind not in "iu":
        raise TypeError(f"rankings must hold integer item ids, got dtype {rankings.dtype}.")
    m = rankings.shape[1]
    rankings = rankings.astype(np.int64)
    if not (np.sort(rankings, axis=1) == np.arange(m)).all():
        r = int(np.argmax(~(np.sort(rankings, axis=1) == np.arange(m)).all(axis=1)))
        raise ValueError(f"ranking {r} is not a permutation of the item ids 0..{m - 1}: {rankings[r].tolist()}.")
    return np.ascontiguousarray(rankings), _check_weights(weights, rankings.shape[0], "ranking"), m


def _check_weights(weights, n, per):
    """Weights of the n ballots (ones when None): finite, >= 0, one per ``per``."""
    if weights is None:
        return np.ones(n)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (n,):
        raise ValueError(f"weights must have one entry per {per} ({n}), got {weights.shape}.")
    check_finite(weights, "weights")
    if (weights < 0).any():
        raise ValueError("weights must be >= 0.")
    return weights


def _rank_profile(ranks, weights):
    from .._validation import as_real_array

    ranks = as_real_array(ranks, "ranks")
    if ranks.ndim != 2 or ranks.shape[0] == 0 or ranks.shape[1] == 0:
        raise ValueError(f"ranks must be a non-empty (voters, items) array, got shape {ranks.shape}.")
    if np.isinf(ranks).any():
        raise ValueError("ranks hold an infinite value; use NaN for an item a voter did not rank.")
    return np.where(np.isnan(ranks), np.inf, ranks), _check_weights(weights, ranks.shape[0], "voter")


def _preferences_from_ranks(ranks, weights, chunk=256):
    """(prefer, tied): weight of the voters putting i above j, and of those tying i and j (i != j)."""
    ranks, weights = _rank_profile(ranks, weights)
    m = ranks.shape[1]
    prefer, tied = np.zeros((m, m)), np.zeros((m, m))
    for start in range(0, ranks.shape[0], chunk):  # voters in chunks: (chunk, m, m) at a time
        r, w = ranks[start:start + chunk], weights[start:start + chunk]
        prefer += np.einsum("v,vij->ij", w, (r[:, :, None] < r[:, None, :]).astype(np.float64))
        tied += np.einsum("v,vij->ij", w, (r[:, :, None] == r[:, None, :]).astype(np.float64))
    np.fill_diagonal(tied, 0.0)
    return prefer, tied


def _either_form(rankings, ranks):
    if (rankings is None) == (ranks is None):
        raise ValueError("pass rankings (item ids, best first) or ranks= (ties and partial rankings), one of them.")


def preference_matrix(rankings=None, *, ranks=None, weights=None, backend=None) -> np.ndarray:
    """prefer[i, j]: total weight of the rankings that put item i above item j."""
    _either_form(rankings, ranks)
    if ranks is not None:
        return _preferences_from_ranks(ranks, weights)[0]
    rankings, weights, m = _profile(rankings, weights)
    _, count = _PREFER.resolve(backend)
    # rankings in chunks on the threads, one matrix each, added in order
    bounds = np.linspace(0, rankings.shape[0], min(n_threads(), max(rankings.shape[0] // 1000, 1)) + 1).astype(int)
    parts = map_threads(lambda lohi: count(rankings[lohi[0]:lohi[1]], weights[lohi[0]:lohi[1]], m),
                        zip(bounds[:-1], bounds[1:]))
    return sum(parts[1:], parts[0])


def margin_matrix(rankings=None, *, ranks=None, weights=None, backend=None) -> np.ndarray:
    """margin[i, j] = (weight preferring i to j) - (weight preferring j to i).

    Examples
    --------
    >>> from fastscore.ranking import margin_matrix
    >>> margin_matrix([[0, 1, 2], [1, 0, 2], [0, 2, 1]]).astype(int).tolist()
    [[0, 1, 3], [-1, 0, 1], [-3, -1, 0]]
    """
    prefer = preference_matrix(rankings, ranks=ranks, weights=weights, backend=backend)
    return prefer - prefer.T


def _ordered(scores):
    # best first; equal scores by item id
    return VoteResult(np.lexsort((np.arange(scores.size), -scores)), scores)


def borda(rankings=None, *, ranks=None, weights=None) -> VoteResult:
    """Borda count: an item gets m - 1 points for a first place, ..., 0 for the last.

    With ``ranks=`` (ties, partial rankings): one point per item ranked
    below, half a point per item tied with it.

    Examples
    --------
    >>> from fastscore.ranking import borda
    >>> result = borda([[0, 1, 2], [1, 0, 2], [0, 2, 1]])
    >>> result.order.tolist(), result.scores.tolist()
    ([0, 1, 2], [5.0, 3.0, 1.0])
    >>> borda(ranks=[[1, 1, 2], [1, float("nan"), 2]]).scores.tolist()  # a tie; item 1 unranked
    [3.5, 1.5, 1.0]
    """
    _either_form(rankings, ranks)
    if ranks is not None:
        prefer, tied = _preferences_from_ranks(ranks, weights)
        return _ordered(prefer.sum(axis=1) + 0.5 * tied.sum(axis=1))
    rankings, weights, m = _profile(rankings, weights)
    points = np.bincount(rankings.ravel(), weights=(weights[:, None] * (m - 1 - np.arange(m))[None, :]).ravel(),
                         minlength=m)
    return _ordered(points)


def copeland(rankings=None, *, ranks=None, weights=None, backend=None) -> VoteResult:
    """Copeland: pairwise majority wins minus losses (a tie counts 0).

    Examples
    --------
    >>> from fastscore.ranking import copeland
    >>> copeland([[0, 1, 2], [1, 0, 2], [0, 2, 1]]).scores.tolist()
    [2.0, 0.0, -2.0]
    """
    margin = margin_matrix(rankings, ranks=ranks, weights=weights, backend=backend)
    return _ordered(np.sign(margin).sum(axis=1))


def kemeny(rankings=None, *, ranks=None, weights=None, seed=0, restarts=20, backend=None) -> VoteResult:
    """Kemeny-Young: the order that agrees with the most pairwise preferences.

    Exact for up to 20 items (dynamic programming over subsets, O(2^m m^2));
    beyond that a seeded local search (moves of one item to any position,
    from the Borda order and ``restarts`` random orders), marked
    ``exact=False``. ``scores`` is None (Kemeny ranks, it does not score).

    Examples
    --------
    >>> from fastscore.ranking import kemeny
    >>> kemeny([[0, 1, 2], [1, 0, 2], [0, 2, 1]]).order.tolist()
    [0, 1, 2]
    """
    restarts = check_positive_int(restarts, "restarts", minimum=0, maximum=100_000,
                                  why="each restart is one local search; 20 is the default")
    prefer = preference_matrix(rankings, ranks=ranks, weights=weights, backend=backend)
    m = prefer.shape[0]
    if m <= EXACT_KEMENY_MAX:
        _, kemeny_subsets = _KEMENY.resolve(backend)
        order, _ = kemeny_subsets(np.ascontiguousarray(prefer))
        return VoteResult(order, None, True)
    rng = np.random.default_rng(seed)
    starts = [borda(rankings, ranks=ranks, weights=weights).order] + [rng.permutation(m) for _ in range(restarts)]
    best_order, best_value = None, -np.inf
    for start in starts:
        order, value = _local_search(prefer, np.array(start))
        if value > best_value:
            best_order, best_value = order, value
    return VoteResult(best_order, None, False)


def agreement(prefer, order) -> float:
    """sum over i placed above j of prefer[i, j]."""
    position = np.empty(order.size, dtype=np.int64)
    position[order] = np.arange(order.size)
    return float(prefer[position[:, None] < position[None, :]].sum())


def _local_search(prefer, order):
    value = agreement(prefer, order)
    improved = True
    while improved:
        improved = False
        for i in range(order.size):
            item = order[i]
            rest = np.delete(order, i)
            for j in range(order.size):
                candidate = np.insert(rest, j, item)
                candidate_value = agreement(prefer, candidate)
                if candidate_value > value + 1e-12:
                    order, value, improved = candidate, candidate_value, True
                    break
            if improved:
                break
    return order, value


def aggregate_benchmark(scores, *, method="borda", higher_is_better=True, ties="by_index", seed=0, bootstrap=0,
                        ci=0.95) -> VoteResult:
    """Rank systems across tasks by a social-choice rule (Colombo et al. 2022).

    Each task (column of ``scores``, systems as rows) ranks the systems; the
    rankings are aggregated by ``method``: "borda", "copeland", "kemeny", or
    "mean" (the usual average of the scores, for comparison). With
    ``ties="by_index"`` equal scores within a task are ordered by system
    index; with ``ties="tied"`` they are ties (see the module's ``ranks=``
    form), and a NaN score is a missing result: that system is unranked in
    that task (the mean then averages the tasks it has).

    With ``bootstrap=N`` (N >= 100) the tasks are resampled with replacement N times
    (multinomial counts as voter weights, the same rule re-run): the result also holds
    each system's ``ci`` rank interval (``rank_intervals``, 1 = best) and ``p_above[i, j]``,
    the fraction of replicates ranking system i above system j.

    Examples
    --------
    >>> from fastscore.ranking import aggregate_benchmark
    >>> scores = [[90, 80], [85, 95], [70, 60]]  # 3 systems, 2 tasks
    >>> aggregate_benchmark(scores).order.tolist(), aggregate_benchmark(scores, method="mean").order.tolist()
    ([0, 1, 2], [1, 0, 2])
    """
    scores = as_real_array(scores, "scores")
    if scores.ndim != 2 or scores.size == 0:
        raise ValueError(f"scores must be a non-empty (systems, tasks) array, got shape {scores.shape}.")
    if ties not in ("by_index", "tied"):
        raise ValueError(f"ties must be 'by_index' or 'tied', got {ties!r}.")
    if ties == "by_index":
        check_finite(scores, "scores")
    elif np.isinf(scores).any() or np.isnan(scores).all(axis=1).any():
        raise ValueError("scores hold an infinite value, or a system with no score at all; NaN marks a missing result.")
    signed = scores if higher_is_better else -scores
    rules = {"borda": borda, "copeland": copeland, "kemeny": kemeny}
    if method not in rules and method != "mean":
        raise ValueError(f"method={method!r} is not supported; use 'borda', 'copeland', 'kemeny' or 'mean'.")
    rankings = None
    if ties != "tied" and method != "mean":
        systems = np.arange(scores.shape[0])
        rankings = np.stack([np.lexsort((systems, -signed[:, t])) for t in range(scores.shape[1])])

    def aggregate(weights=None):
        if method == "mean":
            if weights is None:
                return _ordered(np.nanmean(signed, axis=1))
            # the drawn tasks themselves (a weighted sum would round differently and could reorder
            # near-ties): the replicate is exactly the mean over the resampled table
            return _ordered(np.nanmean(np.repeat(signed, weights.astype(np.int64), axis=1), axis=1))
        extra = {"seed": seed} if method == "kemeny" else {}
        if ties == "tied":  # each task is a voter ranking the systems by score: smaller -score is better
            return rules[method](ranks=-signed.T, weights=weights, **extra)
        return rules[method](rankings, weights=weights, **extra)

    result = aggregate()
    if not bootstrap:
        return result
    return _with_rank_bootstrap(result, aggregate, scores.shape[1], bootstrap, seed, ci)


def _with_rank_bootstrap(result, aggregate, n_voters, n_boot, seed, ci):
    """``result`` with rank intervals and P(i above j) over ``n_boot`` resamples of the voters."""
    from ..compare.scores import check_settings

    n_boot, ci, _ = check_settings(n_boot, ci, None)
    m = result.order.size
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    position = np.empty((n_boot, m), np.int64)
    for b, counts in enumerate(rng.multinomial(n_voters, np.full(n_voters, 1.0 / n_voters), size=n_boot)):
        order = aggregate(counts.astype(np.float64)).order
        position[b, order] = np.arange(m)
    alpha = (1 - ci) / 2
    intervals = np.quantile(position + 1, [alpha, 1 - alpha], axis=0).T
    p_above = (position[:, :, None] < position[:, None, :]).mean(axis=0)
    return dataclasses.replace(result, rank_intervals=intervals, p_above=p_above)


@dataclass(frozen=True)
class TwoLevelResult:
    """``order``: systems, best first, after both levels; ``per_metric``: (metrics, systems) array,
    row j the first-level order of metric j; ``scores``: the second-level rule's scores (if any)."""

    order: np.ndarray
    per_metric: np.ndarray
    scores: np.ndarray | None
    rank_intervals: np.ndarray | None = None  # (systems, 2), with bootstrap=
    p_above: np.ndarray | None = None  # (systems, systems), with bootstrap=

    @property
    def winner(self) -> int:
        return int(self.order[0])


def aggregate_instances(scores, *, method="borda", higher_is_better=True, seed=0, bootstrap=0,
                        ci=0.95) -> TwoLevelResult:
    """Two-level aggregation of instance-level scores (Colombo et al. 2022).

    ``scores`` is (systems, instances, metrics). First level: for each
    metric, every instance ranks the systems and ``method`` aggregates those
    rankings (``aggregate_benchmark`` with instances as tasks). Second level:
    ``method`` aggregates the per-metric rankings. With "mean", the scores
    are averaged over instances, then over metrics (the usual practice).
    ``bootstrap=N`` resamples the instances (the same draw for every metric) and adds
    rank intervals and P(i ranked above j), as in :func:`aggregate_benchmark`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.ranking import aggregate_instances
    >>> scores = np.array([[[0.9, 10], [0.2, 30]],   # system 0: two instances, two metrics
    ...                    [[0.5, 20], [0.6, 20]],   # system 1
    ...                    [[0.1, 5], [0.1, 25]]])   # system 2
    >>> result = aggregate_instances(scores)
    >>> result.per_metric.tolist(), result.order.tolist()
    ([[0, 1, 2], [0, 1, 2]], [0, 1, 2])
    """
    scores = as_real_array(scores, "scores")
    if scores.ndim != 3 or scores.size == 0:
        raise ValueError(f"scores must be a non-empty (systems, instances, metrics) array, got shape {scores.shape}.")
    check_finite(scores, "scores")
    systems = np.arange(scores.shape[0])
    signed = scores if higher_is_better else -scores
    rules = {"borda": borda, "copeland": copeland, "kemeny": kemeny}
    if method not in rules and method != "mean":
        raise ValueError(f"method={method!r} is not supported; use 'borda', 'copeland', 'kemeny' or 'mean'.")
    extra = {"seed": seed} if method == "kemeny" else {}
    if method != "mean":  # each instance's ranking of the systems, per metric
        rankings = [np.stack([np.lexsort((systems, -signed[:, t, j])) for t in range(scores.shape[1])])
                    for j in range(scores.shape[2])]

    def aggregate(weights=None):
        if method == "mean":
            per_instance_mean = (signed if weights is None
                                 else np.repeat(signed, weights.astype(np.int64), axis=1)).mean(axis=1)
            per_metric = np.stack([np.lexsort((systems, -per_instance_mean[:, j])) for j in range(scores.shape[2])])
            final = _ordered(per_instance_mean.mean(axis=1))
            return TwoLevelResult(final.order, per_metric, final.scores)
        per_metric = np.stack([rules[method](rankings[j], weights=weights, **extra).order
                               for j in range(scores.shape[2])])
        final = rules[method](per_metric, **extra)
        return TwoLevelResult(final.order, per_metric, final.scores)

    result = aggregate()
    if not bootstrap:
        return result
    return _with_rank_bootstrap(result, aggregate, scores.shape[1], bootstrap, seed, ci)
