"""Comparison of the Vendi diversity of two sample sets (each resampled within itself)."""
from __future__ import annotations

import numpy as np

from .resampling import check_seed
from .result import Comparison, MetricComparison, adjust_p_values, verdict
from .scores import _percentile_interval, bootstrap_p_value, check_settings

_BLOCK = 64


def _replicates(X, kernel, q, n_boot, seed_sequence):
    """Vendi scores of bootstrap resamples of X (multinomial counts as sample weights): on the dual
    path one weighted d x d second moment and one d x d eigen-solve per replicate."""
    from ..diversity.vendi import _score_symmetric, _unit_rows, vendi_score

    n, d = X.shape
    rng = np.random.Generator(np.random.PCG64(seed_sequence))
    uniform = np.full(n, 1.0 / n)
    out = np.empty(n_boot)
    dual = kernel in ("cosine", "linear") and d < n
    rows = (_unit_rows(X, "X") if kernel == "cosine" else X).astype(np.float64) if dual else None
    for start in range(0, n_boot, _BLOCK):
        counts = rng.multinomial(n, uniform, size=min(_BLOCK, n_boot - start))
        for k, w in enumerate(counts):
            if dual:
                out[start + k] = _score_symmetric((rows * w[:, None]).T @ rows, q)
            else:
                out[start + k] = vendi_score(X, kernel=kernel, q=q, weights=w / n)
    return out


def compare_vendi(X_baseline, X_candidate, *, kernel="cosine", q=1, n_boot=1000, ci=0.95, seed=0, margin=None,
                  higher_is_better=True, correction="holm", paired=False) -> Comparison:
    """Is the candidate's sample set less diverse (Vendi score) than the baseline's?

    The two sets are independent (generations of two models): each is resampled within itself
    (multinomial counts as sample weights, which is exactly the Vendi score of the resampled set
    with its duplicates). With ``kernel`` "cosine" or "linear" and fewer features than samples a
    replicate is one weighted d x d second moment and one d x d eigen-solve; other kernels
    re-solve the n x n matrix per replicate (slow for large n).

    Parameters
    ----------
    X_baseline, X_candidate : array-like (n, d)
        Embeddings of the two sample sets (their sizes may differ).
    kernel, q
        As in ``fastscore.diversity.vendi_score``.
    n_boot, ci, seed, margin, correction
        As in ``compare_scores`` (the margin in Vendi units).
    higher_is_better : bool, default True
        More diverse is better.
    paired : bool, default False
        Row i of both sets comes from the same prompt (or seed): both sets are resampled with
        the same draws (then identical sets give every replicate delta 0 and p = 1).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.compare.diversity import compare_vendi
    >>> rng = np.random.default_rng(0)
    >>> varied = rng.normal(size=(400, 16))
    >>> collapsed = rng.normal(size=(400, 16)) * np.r_[np.ones(4), np.full(12, 0.1)]  # 4 directions
    >>> result = compare_vendi(varied, collapsed, n_boot=200)
    >>> result["vendi"].verdict, result["vendi"].delta < 0
    ('regression', True)
    """
    from ..diversity import vendi_score

    n_boot, ci, margin = check_settings(n_boot, ci, margin, correction)
    seed = check_seed(seed)
    Xb, Xc = (np.asarray(X, dtype=np.float64) for X in (X_baseline, X_candidate))
    for label, X in (("X_baseline", Xb), ("X_candidate", Xc)):
        if X.ndim != 2 or X.shape[0] < 2:
            raise ValueError(f"{label} must be an (n, d) array of at least 2 samples, got shape {X.shape}.")
        if not np.isfinite(X).all():
            raise ValueError(f"{label} holds NaN or infinite values.")
    if paired and Xb.shape[0] != Xc.shape[0]:
        raise ValueError(f"paired=True needs one row per prompt in both sets, got {Xb.shape[0]} and {Xc.shape[0]} "
                         f"rows; pass paired=False for two independent sets.")
    if Xb.shape[1] != Xc.shape[1]:
        raise ValueError(f"the two sets have different dimensions ({Xb.shape[1]} and {Xc.shape[1]}); embed both "
                         f"with the same model.")
    base, cand = float(vendi_score(Xb, kernel=kernel, q=q)), float(vendi_score(Xc, kernel=kernel, q=q))
    seeds = np.random.SeedSequence(seed).spawn(2)
    theta = (_replicates(Xc, kernel, q, n_boot, seeds[0] if paired else seeds[1])
             - _replicates(Xb, kernel, q, n_boot, seeds[0]))
    low, high = _percentile_interval(theta, ci)
    p, p_se = bootstrap_p_value(theta, margin, higher_is_better)
    p_adj = float(adjust_p_values([p], correction or "none")[0])
    row = MetricComparison(metric="vendi", higher_is_better=bool(higher_is_better), baseline=base, candidate=cand,
                           delta=cand - base, ci_low=low, ci_high=high, p_value=float(p), p_adjusted=p_adj,
                           p_mc_se=float(p_se), test="paired bootstrap (the same draws of rows for both sets)" if paired
                           else "two-sample bootstrap (each set resampled within itself)",
                           verdict=verdict(cand - base, low, high, p_adj, 1 - ci, higher_is_better, margin))
    return Comparison(rows=(row,), method="bootstrap", n_boot=n_boot, ci=ci, margin=margin,
                      correction=correction or "none", seed=seed, resample="multinomial",
                      details={"kernel": kernel, "q": q})
