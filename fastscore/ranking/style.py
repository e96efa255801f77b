"""Style control: the contextual Bradley-Terry model of Chatbot Arena's style-controlled leaderboard.

Each battle adds features (differences in response length and markdown
counts between the two answers, normalised and standardised) to the
Bradley-Terry logit: logit = ln(base) (r_a - r_b) + features . beta, so the
ratings r measure the models with the style effects beta taken out. The
L2 penalty reg / 2 |(r, beta)|^2 is Arena's (``compute_style_control``, reg
0.5). Fitted by Newton's method (the Hessian accumulated in one compiled pass
over the battles per step), which reaches the optimum that Arena's L-BFGS
approaches.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._config import family_kernel, map_threads, n_threads
from .._validation import as_real_array
from .pairwise import _leaderboard, _to_scale, encode_battles

_STEP = family_kernel("ranking", "contextual_bt_step", "contextual Bradley-Terry step")

# Arena's style features: a's then b's value of each
STYLE_ELEMENTS = ("sum_assistant_tokens", "header_count", "list_count", "bold_count")


@dataclass(frozen=True)
class StyleControlled:
    """The style-controlled leaderboard and the style coefficients ``beta`` (one per feature)."""

    leaderboard: object
    coefficients: np.ndarray


def style_features(features_a, features_b, *, apply_ratio=None, add_one=True) -> np.ndarray:
    """Arena's style features from per-battle counts of each side, (n, k) each:
    differences a - b, divided by the sums (+1) where ``apply_ratio`` says so (default: every
    feature, as Arena's [1, 1, 1, 1]), then standardised."""
    fa = as_real_array(features_a, "features_a")
    fb = as_real_array(features_b, "features_b")
    if fa.ndim != 2 or fa.shape != fb.shape:
        raise ValueError(f"features_a and features_b must be (battles, features) of one shape, got {fa.shape}, {fb.shape}.")
    difference = fa - fb
    total = fa + fb + (1.0 if add_one else 0.0)
    ratio = np.arange(fa.shape[1]) if apply_ratio is None else np.flatnonzero(np.asarray(apply_ratio))
    if apply_ratio is not None and len(apply_ratio) != fa.shape[1]:
        raise ValueError(f"apply_ratio needs one flag per feature ({fa.shape[1]}), got {len(apply_ratio)}.")
    difference[:, ratio] /= total[:, ratio]
    std = difference.std(axis=0)
    if (std == 0).any():
        raise ValueError(f"style feature(s) {np.flatnonzero(std == 0).tolist()} are constant over the battles; drop them.")
    return (difference - difference.mean(axis=0)) / std


def fit_style_control(a, b, outcome, features, n_models, *, alpha=np.log(10.0), reg=0.5, tol=1e-10, max_iter=50,
                      initial=None):
    """(ratings in 1 / alpha units, beta) minimising the contextual Bradley-Terry log loss + reg/2 |params|^2."""
    n, k = features.shape
    params = np.zeros(n_models + k) if initial is None else np.array(initial, dtype=np.float64)
    bounds = np.linspace(0, n, min(max(n // 50_000, 1), n_threads()) + 1).astype(np.int64)
    for _ in range(max_iter):
        parts = map_threads(lambda lohi: _accumulate(a, b, outcome, features, params, n_models, alpha, lohi),
                            zip(bounds[:-1], bounds[1:]))
        gradient = sum(p[0] for p in parts) + reg * params
        hessian = sum(p[1] for p in parts) + reg * np.eye(n_models + k)
        step = np.linalg.solve(hessian, gradient)
        params = params - step
        if np.abs(step).max() < tol:
            break
    else:
        raise ValueError(f"the style-control fit did not converge in {max_iter} Newton steps (features of very "
                         f"different scales?); standardize the features (style_features does).")
    return params[:n_models], params[n_models:]


def _accumulate(a, b, outcome, features, params, n_models, alpha, lohi):
    size = params.size
    gradient = np.zeros(size)
    hessian = np.zeros((size, size))
    _, step = _STEP.resolve()
    step(a, b, outcome, features, params, n_models, alpha, lohi[0], lohi[1], gradient, hessian)
    return gradient, hessian


def style_control(model_a, model_b=None, outcome=None, *, features, reg=0.5, scale=400.0, base=10.0,
                  init_rating=1000.0, anchor=None, bootstrap=0, seed=None, ci=0.95) -> StyleControlled:
    """Style-controlled Bradley-Terry leaderboard (Arena's ``compute_style_control``).

    Parameters
    ----------
    model_a, model_b, outcome
        As in :func:`bradley_terry` (ties count half a win).
    features : array-like (battles, k)
        Per-battle style features, e.g. from :func:`style_features`.
    reg : float, default=0.5
        L2 penalty on ratings and coefficients, as Arena's (its default).
    bootstrap : int
        Rounds of battles resampled with replacement, each refitted (warm start).

    Returns
    -------
    StyleControlled

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.ranking import style_control
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.integers(0, 3, 3000), rng.integers(0, 3, 3000)
    >>> keep = a != b
    >>> length = rng.normal(size=keep.sum())  # longer answers win more often here
    >>> won = rng.random(keep.sum()) < 1 / (1 + np.exp(-(a[keep] - b[keep] + 2 * length)))
    >>> result = style_control(a[keep], b[keep], won.astype(float), features=length[:, None])
    >>> bool(result.coefficients[0] > 1.0), result.leaderboard.models.tolist()
    (True, [2, 1, 0])
    """
    a, b, score, names = encode_battles(model_a, model_b, outcome)
    feats = np.ascontiguousarray(as_real_array(features, "features"))
    if feats.ndim == 1:
        feats = feats[:, None]
    if feats.shape[0] != a.size:
        raise ValueError(f"features must have one row per battle ({a.size}), got shape {feats.shape}.")
    if not np.isfinite(feats).all():
        raise ValueError("features hold NaN or infinite values.")
    if reg < 0:
        raise ValueError(f"reg must be >= 0, got {reg}.")
    alpha = float(np.log(base))
    ratings, beta = fit_style_control(a, b, score, feats, names.size, alpha=alpha, reg=reg)
    rating = _to_scale(ratings * alpha, names, scale, base, init_rating, anchor)
    battles = (np.bincount(a, minlength=names.size) + np.bincount(b, minlength=names.size)).astype(np.float64)
    lower = upper = None
    if bootstrap:
        if not 0 < ci < 1:
            raise ValueError(f"ci must be in (0, 1), got {ci!r}.")
        rng = np.random.default_rng(seed)
        start = np.concatenate([ratings, beta])
        rounds = np.empty((bootstrap, names.size))
        for r in range(bootstrap):
            pick = rng.integers(0, a.size, a.size)
            boot_r, _ = fit_style_control(a[pick], b[pick], score[pick], feats[pick], names.size, alpha=alpha,
                                          reg=reg, initial=start)
            rounds[r] = _to_scale(boot_r * alpha, names, scale, base, init_rating, anchor)
        lower, upper = np.quantile(rounds, [(1 - ci) / 2, (1 + ci) / 2], axis=0)
    return StyleControlled(_leaderboard(names, rating, battles, lower, upper), beta)
