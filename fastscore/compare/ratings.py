"""Comparisons of two models on one leaderboard: the interval of a rating difference, P(a above b),
every pair with Holm's correction, and rank intervals.

Two sources: the joint bootstrap rounds of the fit (``bradley_terry(..., bootstrap=N)``: every
round rates all models at once, so a difference's replicates are paired), or the full
covariance of the Bradley-Terry fit (the inverse Fisher information at the maximum; Arena's
tooling reports only its diagonal, which cannot give the interval of a difference).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .result import adjust_p_values
from .scores import _percentile_interval, bootstrap_p_value

METHODS = ("bootstrap", "analytic")


@dataclass(frozen=True)
class RatingDifference:
    """rating[a] - rating[b] on a leaderboard, its interval, P(a rated above b) and the p-value of
    equal ratings (two-sided)."""

    a: object
    b: object
    difference: float
    ci_low: float
    ci_high: float
    p_above: float
    p_value: float
    method: str


@dataclass(frozen=True)
class PairwiseDifferences:
    """Every ordered pair (row i, column j) of a leaderboard's models (leaderboard order):
    rating differences i - j, their interval, P(i rated above j), the p-value of equal ratings
    and its multiplicity-adjusted value over the m (m - 1) / 2 pairs."""

    models: np.ndarray
    difference: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_above: np.ndarray
    p_value: np.ndarray
    p_adjusted: np.ndarray
    method: str
    correction: str

    def significant(self, alpha=0.05) -> list:
        """(i, j) model pairs, i rated above j, whose adjusted p is below alpha."""
        rows, cols = np.nonzero((self.p_adjusted < alpha) & (self.difference > 0))
        return [(self.models[i], self.models[j]) for i, j in zip(rows, cols)]


def _normal_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _normal_quantile(p):
    """The standard normal quantile (the standard library's NormalDist)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


def _index(board, model) -> int:
    hits = np.flatnonzero(board.models == model)
    if hits.size == 0:
        raise ValueError(f"model {model!r} is not on the leaderboard; models: {board.models.tolist()[:10]}"
                         f"{' ...' if len(board.models) > 10 else ''}.")
    return int(hits[0])


def _check(board, method, ci):
    if method not in METHODS:
        raise ValueError(f"method must be 'bootstrap' or 'analytic', got {method!r}.")
    if not 0 < ci < 1:
        raise ValueError(f"ci must be in (0, 1), got {ci!r}.")
    if method == "bootstrap" and board.rounds is None:
        raise ValueError("this leaderboard has no bootstrap rounds: fit it with bootstrap=1000 (or more), or use "
                         "method='analytic' (the covariance of the fit).")
    if method == "analytic" and board.covariance is None:
        raise ValueError("this leaderboard has no analytic covariance (it comes with Bradley-Terry fits with "
                         "ties_model='half'); use method='bootstrap'.")


def rating_difference(board, a, b, *, method="bootstrap", ci=0.95) -> RatingDifference:
    """rating[a] - rating[b] of ``board`` with its ``ci`` interval, P(a rated above b) and the p-value
    of equal ratings. "bootstrap": percentile interval and frequencies over the joint rounds (a
    tie counts half); "analytic": the normal law with the fit's covariance.

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.ranking import bradley_terry_from_counts
    >>> wins = np.array([[0, 60, 70], [40, 0, 55], [30, 45, 0]])
    >>> board = bradley_terry_from_counts(wins, models=["a", "b", "c"], bootstrap=500, seed=0)
    >>> d = board.compare("a", "b", method="analytic")
    >>> round(d.difference, 1), round(d.p_above, 3)
    (84.0, 0.998)
    """
    _check(board, method, ci)
    i, j = _index(board, a), _index(board, b)
    difference = float(board.rating[i] - board.rating[j])
    if method == "bootstrap":
        replicates = board.rounds[:, i] - board.rounds[:, j]
        low, high = _percentile_interval(replicates, ci)
        p_above = float(np.mean(replicates > 0) + 0.5 * np.mean(replicates == 0))
        p = bootstrap_p_value(replicates, None, True)[0] if i != j else 1.0
    else:
        e = np.zeros(len(board.models))
        e[i] += 1.0
        e[j] -= 1.0
        sd = math.sqrt(max(float(e @ board.covariance @ e), 0.0))
        z = _normal_quantile((1 + ci) / 2)
        low, high = difference - z * sd, difference + z * sd
        p_above = _normal_cdf(difference / sd) if sd > 0 else 0.5 + 0.5 * np.sign(difference)
        p = 2 * _normal_cdf(-abs(difference) / sd) if sd > 0 else 1.0
    return RatingDifference(a, b, difference, float(low), float(high), float(p_above), float(min(p, 1.0)), method)


def pairwise_differences(board, *, method="bootstrap", ci=0.95, correction="holm") -> PairwiseDifferences:
    """:func:`rating_difference` of every pair of ``board``'s models, with the p-values adjusted over
    the m (m - 1) / 2 pairs (Holm by default)."""
    _check(board, method, ci)
    m = len(board.models)
    difference = board.rating[:, None] - board.rating[None, :]
    low, high = np.zeros((m, m)), np.zeros((m, m))
    p_above, p = np.full((m, m), 0.5), np.ones((m, m))
    upper = np.triu_indices(m, 1)
    if method == "bootstrap":
        rounds = board.rounds
        for i, j in zip(*upper):
            replicates = rounds[:, i] - rounds[:, j]
            low[i, j], high[i, j] = _percentile_interval(replicates, ci)
            p_above[i, j] = np.mean(replicates > 0) + 0.5 * np.mean(replicates == 0)
            p[i, j] = bootstrap_p_value(replicates, None, True)[0]
    else:
        c = board.covariance
        variance = np.diag(c)[:, None] + np.diag(c)[None, :] - 2 * c
        sd = np.sqrt(np.maximum(variance, 0.0))
        z = _normal_quantile((1 + ci) / 2)
        low, high = difference - z * sd, difference + z * sd
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(sd > 0, difference / sd, 0.0)
        cdf = np.vectorize(_normal_cdf)
        p_above = cdf(ratio)
        p = np.minimum(1.0, 2 * cdf(-np.abs(ratio)))
        np.fill_diagonal(p, 1.0)
    # the lower triangle mirrors the upper one
    for name, matrix in (("low", low), ("high", high)):
        lower_part = -(high if name == "low" else low).T
        matrix[np.tril_indices(m, -1)] = lower_part[np.tril_indices(m, -1)]
    if method == "bootstrap":
        p_above[np.tril_indices(m, -1)] = (1 - p_above.T)[np.tril_indices(m, -1)]
        p[np.tril_indices(m, -1)] = p.T[np.tril_indices(m, -1)]
    adjusted = np.ones((m, m))
    if len(upper[0]):
        adjusted[upper] = adjust_p_values(p[upper], correction)
        adjusted[np.tril_indices(m, -1)] = adjusted.T[np.tril_indices(m, -1)]
    return PairwiseDifferences(board.models, difference, low, high, p_above, p, adjusted, method, correction)


def rank_intervals(board, ci=0.95) -> np.ndarray:
    """(models, 2): the ``ci`` percentile interval of each model's rank (1 = best; ties share the
    best rank) over the bootstrap rounds."""
    _check(board, "bootstrap", ci)
    rounds = board.rounds
    ranks = 1 + (rounds[:, None, :] > rounds[:, :, None]).sum(axis=2)  # (rounds, models)
    alpha = (1 - ci) / 2
    return np.quantile(ranks, [alpha, 1 - alpha], axis=0).T


def compare_ratings(board, baseline, candidate, *, method="bootstrap", ci=0.95, margin=None):
    """A :class:`~fastscore.compare.result.Comparison` of two models of one leaderboard: delta is
    rating[candidate] - rating[baseline] (higher is better), its interval and p-value as in
    :func:`rating_difference`; with ``margin`` (rating points) the one-sided test of "the candidate
    is rated lower by more than margin".

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.ranking import bradley_terry_from_counts
    >>> from fastscore.compare.ratings import compare_ratings
    >>> board = bradley_terry_from_counts(np.array([[0, 60], [40, 0]]), models=["old", "new"], bootstrap=500, seed=0)
    >>> compare_ratings(board, "old", "new")["rating"].verdict
    'regression'
    """
    from .result import Comparison, MetricComparison, verdict
    from .scores import check_settings

    _, ci, margin = check_settings(1000, ci, margin)
    d = rating_difference(board, candidate, baseline, method=method, ci=ci)
    p = d.p_value
    if margin is not None:
        if method == "bootstrap":
            i, j = _index(board, candidate), _index(board, baseline)
            p = bootstrap_p_value(board.rounds[:, i] - board.rounds[:, j], margin, True)[0]
        else:
            z = _normal_quantile((1 + ci) / 2)
            sd = (d.ci_high - d.ci_low) / (2 * z)
            p = _normal_cdf((d.difference + margin) / sd) if sd > 0 else float(d.difference < -margin)
    base, cand = float(board.rating[_index(board, baseline)]), float(board.rating[_index(board, candidate)])
    row = MetricComparison(metric="rating", higher_is_better=True, baseline=base, candidate=cand, delta=d.difference,
                           ci_low=d.ci_low, ci_high=d.ci_high, p_value=float(p), p_adjusted=float(p),
                           p_mc_se=0.0 if method == "analytic" else math.sqrt(p * (1 - p) / len(board.rounds)),
                           test=f"leaderboard {method}", verdict=verdict(d.difference, d.ci_low, d.ci_high, p, 1 - ci,
                                                                          True, margin))
    n = 0 if board.rounds is None else len(board.rounds)
    return Comparison(rows=(row,), method=f"leaderboard ({method})", n_boot=n, ci=ci, margin=margin, correction="none",
                      seed=None, resample="battles", details={"p_above": d.p_above})
