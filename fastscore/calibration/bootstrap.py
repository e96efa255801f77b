"""Bootstrap confidence intervals for the binned calibration report.

Two resampling schemes (both Poisson bootstraps: each sample is drawn a
Poisson(1) number of times, the scheme that also merges across shards):

- ``"bins"``: from the per-bin sufficient statistics alone, so the cost does
  not grow with n. In each bin and outcome group (y = 0 or 1) holding m
  samples, the replicate draws K ~ Poisson(m) samples (exact) and the sum of
  their probabilities from a normal law with the group's mean and variance,
  K * mean and K * variance (the central limit approximation of a sum of K
  draws from the group). Gives ECE, MCE and RMSCE intervals; needs
  unweighted, binary or top-label data.
- ``"exact"``: Poisson(1) weights per sample and a full pass per replicate
  (O(n * n_boot)); every field of the report, any mode and weights.

Intervals are percentile intervals of the replicates.
"""
from __future__ import annotations

import numbers

import numpy as np

from ._layout import SUM_CONF, SUM_CONF_OUTCOME, SUM_CONF_SQ, SUM_CONF_SQ_OUTCOME, SUM_OUTCOME, WEIGHT

BIN_FIELDS = ("ece", "mce", "rmsce")
ALL_FIELDS = ("ece", "mce", "rmsce", "brier", "balance", "accuracy", "mean_confidence")
SCHEMES = ("auto", "bins", "exact")


def check_bootstrap(ci, n_boot, scheme):
    if isinstance(ci, bool) or not isinstance(ci, numbers.Real) or not 0 < ci < 1:
        raise ValueError(f"ci must be a level in (0, 1), e.g. 0.95; got {ci!r}.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, numbers.Integral) or n_boot < 1:
        raise ValueError(f"n_boot must be an integer >= 1, got {n_boot!r}.")
    if scheme not in SCHEMES:
        raise ValueError(f"bootstrap={scheme!r} is not supported; use one of {', '.join(map(repr, SCHEMES))}.")


def percentile_interval(values, ci) -> tuple[float, float]:
    low, high = np.nanquantile(values, [(1 - ci) / 2, (1 + ci) / 2])
    return float(low), float(high)


def bin_replicates(stats: np.ndarray, n_boot: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """ECE, MCE and RMSCE of ``n_boot`` replicates drawn from (n_bins, 6) bin statistics."""
    ones, ones_sum, ones_sq = stats[:, SUM_OUTCOME], stats[:, SUM_CONF_OUTCOME], stats[:, SUM_CONF_SQ_OUTCOME]
    count = np.stack([stats[:, WEIGHT] - ones, ones], axis=-1)                       # (bins, 2)
    total = np.stack([stats[:, SUM_CONF] - ones_sum, ones_sum], axis=-1)
    squares = np.stack([stats[:, SUM_CONF_SQ] - ones_sq, ones_sq], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, 0.0)
        variance = np.where(count > 0, np.maximum(squares / count - mean**2, 0.0), 0.0)
    drawn = rng.poisson(np.maximum(count, 0.0), size=(n_boot,) + count.shape).astype(np.float64)
    sums = drawn * mean + np.sqrt(drawn * variance) * rng.standard_normal(drawn.shape)
    weight = drawn.sum(axis=-1)                                                         # (n_boot, bins)
    gap_sum = np.abs(drawn[..., 1] - sums.sum(axis=-1))
    n = weight.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.where(weight > 0, gap_sum / weight, np.nan)
        return {
            "ece": gap_sum.sum(axis=-1) / n,
            "mce": np.nanmax(np.where(weight > 0, gap, -np.inf), axis=-1),
            "rmsce": np.sqrt(np.nansum(weight * gap**2, axis=-1) / n),
        }


def poisson_bootstrap(estimator, y_true, y_prob, ci, n_boot, seed, **options):
    """(value, (low, high)): ``estimator`` on the data, and a percentile interval
    over replicates in which each sample is repeated a Poisson(1) number of times."""
    check_bootstrap(ci, n_boot, "exact")
    value = estimator(y_true, y_prob, **options)
    y_true, y_prob = np.asarray(y_true), np.asarray(y_prob)
    rng = np.random.default_rng(seed)
    n = y_true.shape[0]
    replicates = np.full(n_boot, np.nan)
    for r in range(n_boot):
        drawn = np.repeat(np.arange(n), rng.poisson(1.0, size=n))
        if drawn.size:
            replicates[r] = estimator(y_true[drawn], y_prob[drawn], **options)
    return value, percentile_interval(replicates, ci)
