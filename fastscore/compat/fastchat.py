"""Drop-in replacements for FastChat's leaderboard functions (``fastchat/serve/monitor/rating_systems.py``).

Change one import::

    from fastscore.compat.fastchat import compute_bt, compute_bootstrap_bt, compute_elo, compute_bootstrap_elo

Same signatures and return types as FastChat's current code, computed on the
win/tie counts and compiled loops:

- ``compute_elo``: identical ratings (the same float operations, battle by battle);
- ``compute_bootstrap_elo``: identical ratings per round (the same
  ``np.random.randint`` draws from NumPy's global generator, the same
  vectorised update);
- ``compute_bt``: FastChat's L-BFGS fit (gtol ``tol``) is replaced by
  Newton's method on the count matrix: the same maximum-likelihood ratings,
  to well within 1e-3 points, with the same anchoring (mixtral-8x7b-instruct-v0.1
  at 1114 when present);
- ``compute_bootstrap_bt``: the same multinomial draws (``default_rng(0)``
  over the same unique (model_a, model_b, outcome) rows), each round fitted by
  Newton's method; ``num_cpu`` is accepted and unused (no process pool is needed).

``compute_style_control``: the same features (from ``conv_metadata``) and L2 penalty;
Newton's method reaches the optimum that FastChat's L-BFGS approaches.

Examples
--------
>>> import pandas as pd
>>> from fastscore.compat.fastchat import compute_elo
>>> battles = pd.DataFrame({"model_a": ["x", "x"], "model_b": ["y", "y"], "winner": ["model_a", "tie"]})
>>> {m: round(float(r), 3) for m, r in compute_elo(battles).items()}
{'x': 1001.977, 'y': 998.023}
"""
from __future__ import annotations

import math

import numpy as np

from .._config import family_kernel, map_threads, n_threads
from ..ranking.pairwise import _ELO, _packed_battles, _plain, _unsigned, fit_bradley_terry

_BOOTSTRAP_ELO = family_kernel("ranking", "bootstrap_elo_logistic", "FastChat's bootstrap Elo")
_OUTCOME_ROWS = family_kernel("ranking", "count_outcome_rows", "outcome rows")

__all__ = ["compute_bootstrap_bt", "compute_bootstrap_elo", "compute_bt", "compute_elo", "compute_style_control"]

BASELINE_MODEL = "mixtral-8x7b-instruct-v0.1"
BASELINE_RATING = 1114


_SCORES = np.array([0.0, 0.5, 1.0])  # model_a's score by outcome code: model_b won, tie, model_a won


def _matchups(df):
    """Model codes in FastChat's order (pd.factorize of model_a then model_b) and the outcome codes."""
    import pandas as pd

    for column in ("model_a", "model_b", "winner"):
        if column not in df:
            raise ValueError(f"the battles DataFrame has no {column!r} column (FastChat's columns: model_a, model_b, winner).")
    n = len(df)
    if n == 0:
        raise ValueError("there are no battles.")
    codes, models = pd.factorize(pd.concat([df["model_a"], df["model_b"]]))
    if (codes < 0).any():
        raise ValueError("a model column holds missing values; drop those battles.")
    a = np.ascontiguousarray(codes[:n], dtype=np.int64)
    b = np.ascontiguousarray(codes[n:], dtype=np.int64)
    winner = df["winner"]
    labels = pd.unique(winner)
    unknown = [label for label in labels if label not in ("model_a", "model_b", "tie", "tie (bothbad)")]
    if unknown:  # FastChat would count them as ties
        raise ValueError(f"winner holds {unknown[:5]}; Arena's outcomes are 'model_a', 'model_b', 'tie' and "
                         f"'tie (bothbad)' (map other labels to these, or drop those battles).")
    if (a == b).any():
        t = int(np.argmax(a == b))
        raise ValueError(f"battle {t} pits {_plain(models[a[t]])!r} against itself; drop self-battles.")
    outcome = np.full(n, 1, dtype=np.int64)  # a tie unless model_a or model_b won
    outcome[np.asarray(winner == "model_a")] = 2
    outcome[np.asarray(winner == "model_b")] = 0
    return a, b, outcome, list(models)


def _scale_and_offset(ratings, models, scale, init_rating):
    scaled = ratings * scale + init_rating
    if BASELINE_MODEL in models:
        index = models.index(BASELINE_MODEL)
        scaled = scaled + (BASELINE_RATING - scaled[..., [index]])
    return scaled


def _sorted_by_median(ratings, models):
    import pandas as pd

    frame = pd.DataFrame(ratings, columns=models)
    return frame[frame.median().sort_values(ascending=False).index]


def compute_elo(df, k=4.0, base=10.0, init_rating=1000.0, scale=400.0):
    """Online Elo over the battles in order: {model: rating} (FastChat's compute_elo, identical numbers)."""
    a, b, outcome, models = _matchups(df)
    _, online_elo = _ELO.resolve()
    ratings, _ = online_elo(_unsigned(a), _unsigned(b), _unsigned(outcome), _SCORES, len(models), float(k),
                                   math.log(base) / scale, float(init_rating))
    return {model: ratings[i] for i, model in enumerate(models)}


def compute_bootstrap_elo(df, num_round=100, k=4.0, base=10.0, init_rating=1000.0, scale=400.0):
    """Elo on ``num_round`` resamples of the battles (np.random.randint, as FastChat); a DataFrame
    with one row per round and the models sorted by median rating."""
    a, b, outcome, models = _matchups(df)
    sample_indices = np.random.randint(low=0, high=len(df), size=(len(df), num_round))
    ratings = np.zeros((num_round, len(models)))
    battle, bits = _packed_battles(a, b, outcome, len(models), 3)
    alpha = math.log(base) / scale
    bounds = np.linspace(0, num_round, min(num_round, n_threads()) + 1).astype(np.int64)
    _, bootstrap_elo_logistic = _BOOTSTRAP_ELO.resolve()
    map_threads(lambda lohi: bootstrap_elo_logistic(battle, bits, _SCORES, sample_indices, float(k), alpha,
                                                           ratings, lohi[0], lohi[1]), zip(bounds[:-1], bounds[1:]))
    return _sorted_by_median(ratings + init_rating, models)


def _rows(a, b, outcome, n_models):
    """FastChat's unique (model_a, model_b, outcome) rows in np.unique's order, and their counts."""
    _, count_outcome_rows = _OUTCOME_ROWS.resolve()
    counts = count_outcome_rows(a, b, outcome, n_models)
    cells = np.flatnonzero(counts.ravel())  # C order = the lexicographic order np.unique sorts rows in
    i, j, o = np.unravel_index(cells, counts.shape)
    return i, j, o, counts.ravel()[cells]


def _fit_rows(i, j, o, weights, n_models):
    """Natural-log strengths / ln(base) from weighted rows, by Newton on the count matrices."""
    wins = np.zeros((n_models, n_models))
    ties = np.zeros((n_models, n_models))
    np.add.at(wins, (i[o == 2], j[o == 2]), weights[o == 2])
    np.add.at(wins, (j[o == 0], i[o == 0]), weights[o == 0])
    np.add.at(ties, (i[o == 1], j[o == 1]), weights[o == 1])
    ties = ties + ties.T
    return fit_bradley_terry(wins, ties, regularization=1e-10)


def compute_bt(df, base=10.0, scale=400.0, init_rating=1000, tol=1e-6):
    """Bradley-Terry ratings (ties half a win each): a pandas Series, best first (FastChat's compute_bt).

    ``tol`` is accepted for the signature; Newton's method converges to 1e-12.
    """
    import pandas as pd

    a, b, outcome, models = _matchups(df)
    i, j, o, weights = _rows(a, b, outcome, len(models))
    theta = _fit_rows(i, j, o, weights, len(models))
    scaled = _scale_and_offset(theta / math.log(base), models, scale, init_rating)
    return pd.Series(scaled, index=models).sort_values(ascending=False)


def compute_bootstrap_bt(battles, num_round, base=10.0, scale=400.0, init_rating=1000.0, tol=1e-6, num_cpu=None):
    """Bradley-Terry on ``num_round`` multinomial resamples (FastChat's draws, seed 0): a DataFrame with
    one row per round and the models sorted by median rating."""
    a, b, outcome, models = _matchups(battles)
    i, j, o, weights = _rows(a, b, outcome, len(models))
    rng = np.random.default_rng(seed=0)
    draws = rng.multinomial(n=len(battles), pvals=weights / weights.sum(), size=num_round)
    thetas = np.array([_fit_rows(i, j, o, draw.astype(np.float64), len(models)) for draw in draws])
    scaled = _scale_and_offset(thetas / math.log(base), models, scale, init_rating)
    return _sorted_by_median(scaled, models)


STYLE_CONTROL_ELEMENTS_V1 = ["sum_assistant_a_tokens", "header_count_a", "list_count_a", "bold_count_a",
                             "sum_assistant_b_tokens", "header_count_b", "list_count_b", "bold_count_b"]


def _style_counts(metadata, element):
    value = metadata[element]
    return value if isinstance(value, int) else sum(value.values())


def compute_style_control(df, alpha=math.log(10.0), reg=0.5, init_rating=1000.0, scale=400.0, tol=1e-6):
    """Style-controlled ratings (a Series, best first) and the style coefficients (FastChat's
    compute_style_control). Features from ``df.conv_metadata`` as FastChat builds them; the fit is
    Newton's method to the optimum (FastChat's L-BFGS stops near it); ``tol`` is accepted for the signature."""
    import pandas as pd

    from ..ranking.style import fit_style_control, style_features

    if "conv_metadata" not in df:
        raise ValueError("style control needs a conv_metadata column (Arena's per-battle token and markdown counts).")
    a, b, outcome, models = _matchups(df)
    k = len(STYLE_CONTROL_ELEMENTS_V1) // 2
    for t, meta in enumerate(df["conv_metadata"]):
        missing = [element for element in STYLE_CONTROL_ELEMENTS_V1 if not isinstance(meta, dict) or element not in meta]
        if missing:
            raise ValueError(f"battle {t}: conv_metadata lacks {missing[:4]}; style control needs Arena's per-battle "
                             f"counts {STYLE_CONTROL_ELEMENTS_V1} (drop battles without them).")
    counts = np.array([[_style_counts(meta, element) for element in STYLE_CONTROL_ELEMENTS_V1]
                       for meta in df["conv_metadata"]], dtype=np.int64)
    features = np.ascontiguousarray(style_features(counts[:, :k], counts[:, k:]))
    ratings, params = fit_style_control(a, b, outcome / 2.0, features, len(models), alpha=alpha, reg=reg)
    scaled = _scale_and_offset(ratings, models, scale, init_rating)
    return pd.Series(scaled, index=models).sort_values(ascending=False), params
