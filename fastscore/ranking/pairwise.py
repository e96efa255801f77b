"""Bradley-Terry and Elo ratings from pairwise battles (Chatbot Arena style).

Everything a Bradley-Terry fit needs is the win/tie count matrix: battles
are counted once (compiled), and Newton's method on the counts converges in
a few steps whatever the number of battles. Ties count as half a win for
each side, as Chatbot Arena's current leaderboard code does. Ratings are on
Arena's scale: P(a beats b) = 1 / (1 + base ** ((R_b - R_a) / scale)).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from .._config import family_kernel, map_threads
from .._state import Accumulator
from .._validation import as_real_array, check_finite, check_real

OUTCOMES = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}
_COUNT = family_kernel("ranking", "count_battles", "battle counting")
_ELO = family_kernel("ranking", "online_elo", "online Elo")
_ELO_ROUND = family_kernel("ranking", "bootstrap_elo_round", "bootstrap Elo")


@dataclass(frozen=True)
class Leaderboard:
    """Ratings, best first.

    Attributes
    ----------
    models : ndarray
    rating : ndarray
    lower, upper : ndarray or None
        Bootstrap percentile bounds (2.5 % and 97.5 % by default).
    battles : ndarray
        Battles each model played.
    rank : ndarray
        Arena's rank: 1 + the number of models whose lower bound exceeds this
        model's upper bound (without bounds: 1 + the number rated higher).
    tie_parameter : float or None
        Davidson's nu (``ties="davidson"``): P(tie) = nu sqrt(pi_i pi_j) / D.
    """

    models: np.ndarray
    rating: np.ndarray
    lower: np.ndarray | None
    upper: np.ndarray | None
    battles: np.ndarray
    rank: np.ndarray
    tie_parameter: float | None = None
    rounds: np.ndarray | None = dataclasses.field(default=None, repr=False)  # (bootstrap rounds, models)
    covariance: np.ndarray | None = dataclasses.field(default=None, repr=False)  # of the ratings, analytic

    def to_dict(self) -> dict:
        return {f.name: (getattr(self, f.name).tolist() if isinstance(getattr(self, f.name), np.ndarray)
                         else getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.name not in ("rounds", "covariance")}

    def compare(self, a, b, *, method="bootstrap", ci=0.95):
        """The rating difference a - b with its interval, P(a rated above b) and the p-value of equal
        ratings, from the joint bootstrap rounds (``method="bootstrap"``) or from the full covariance
        of the fit (``"analytic"``: the inverse Fisher information); see
        :func:`fastscore.compare.ratings.rating_difference`."""
        from ..compare.ratings import rating_difference

        return rating_difference(self, a, b, method=method, ci=ci)

    def pairwise(self, *, method="bootstrap", ci=0.95, correction="holm"):
        """Every pair's difference, interval, P(row above column) and Holm-adjusted p-value (see
        :func:`fastscore.compare.ratings.pairwise_differences`)."""
        from ..compare.ratings import pairwise_differences

        return pairwise_differences(self, method=method, ci=ci, correction=correction)

    def rank_intervals(self, ci=0.95) -> np.ndarray:
        """(models, 2): percentile interval of each model's rank (1 = best) over the bootstrap rounds."""
        from ..compare.ratings import rank_intervals

        return rank_intervals(self, ci=ci)

    def to_pandas(self):
        """A pandas DataFrame indexed by model (needs pandas)."""
        import pandas as pd

        data = {"rating": self.rating, "battles": self.battles, "rank": self.rank}
        if self.lower is not None:
            data.update(lower=self.lower, upper=self.upper)
        return pd.DataFrame(data, index=pd.Index(self.models, name="model"))


def _leaderboard(models, rating, battles, lower=None, upper=None, tie_parameter=None, rounds=None, covariance=None):
    order = np.argsort(-rating, kind="stable")
    models, rating, battles = np.asarray(models)[order], rating[order], battles[order]
    rounds = None if rounds is None else rounds[:, order]
    covariance = None if covariance is None else covariance[np.ix_(order, order)]
    if lower is not None:
        lower, upper = lower[order], upper[order]
        rank = 1 + (lower[None, :] > upper[:, None]).sum(axis=1)
    else:
        rank = 1 + (rating[None, :] > rating[:, None]).sum(axis=1)
    return Leaderboard(models, rating, lower, upper, battles, rank, tie_parameter, rounds, covariance)


# ----------------------------------------------------------------- encoding

def _factorize(values):
    """(codes, uniques) of hashable values: pandas' hash-based factorize when
    pandas is installed (much faster than sorting strings), else np.unique."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is optional
        uniques, codes = np.unique(np.asarray(values).astype(str), return_inverse=True)
        return codes.astype(np.int64), uniques
    codes, uniques = pd.factorize(np.asarray(values, dtype=object) if not hasattr(values, "dtype") else values)
    return codes.astype(np.int64), np.asarray(uniques)


def _names_array(column) -> np.ndarray:
    """A model column as an array; a list mixing strings with NaN or None stays an object array
    (np.asarray would turn NaN into the string 'nan', a model of that name)."""
    arr = np.asarray(column)
    if not hasattr(column, "dtype") and arr.dtype.kind in "US":
        arr = np.asarray(column, dtype=object)
    return arr


def _column(frame, name):
    if name not in frame:
        raise ValueError(f"the DataFrame has no {name!r} column; Chatbot Arena's columns are model_a, model_b, winner.")
    return frame[name]


def encode_battles(model_a, model_b=None, outcome=None):
    """Integer codes of the battles: (a, b, score, model names).

    Accepts a pandas DataFrame with Arena's columns (``model_a``,
    ``model_b``, ``winner``), or three arrays. Model columns may be strings,
    integer codes, or pandas categoricals (whose codes are used without
    hashing the names again). ``outcome``: "model_a", "model_b", "tie",
    "tie (bothbad)", or the score of model_a (1, 0, 0.5); a categorical
    outcome column is scored per category, the fastest form.
    """
    a, b, outcome_code, code_score, names = _battle_codes(model_a, model_b, outcome)
    return a.astype(np.int64), b.astype(np.int64), code_score[outcome_code], names


def _battle_codes(model_a, model_b=None, outcome=None):
    """Validated codes without copies: (a, b, outcome_code, code_score, names).

    ``a`` and ``b`` keep the integer dtype they come in (a categorical's int8
    codes stay int8); model_a's score in battle t is ``code_score[outcome_code[t]]``."""
    if model_b is None and outcome is None and hasattr(model_a, "columns"):
        frame = model_a
        model_a, model_b, outcome = _column(frame, "model_a"), _column(frame, "model_b"), _column(frame, "winner")
    if model_b is None or outcome is None:
        raise ValueError("pass model_a, model_b and outcome arrays, or one DataFrame with model_a, model_b, winner.")
    a_cat, b_cat = _categorical(model_a), _categorical(model_b)
    if a_cat is not None and b_cat is not None and a_cat.categories.equals(b_cat.categories):
        names = np.asarray(a_cat.categories)
        a, b = a_cat.codes, b_cat.codes  # the Categorical's own code arrays, no Series built
        if a.size and min(a.min(), b.min()) < 0:
            raise ValueError("a model column holds missing values; drop those battles.")
    else:
        a_arr, b_arr = np.asarray(model_a), np.asarray(model_b)
        if a_arr.ndim != 1 or b_arr.shape != a_arr.shape:
            raise ValueError(f"model_a and model_b must be 1-D of the same length, got {a_arr.shape} and {b_arr.shape}.")
        if a_arr.dtype.kind in "iu" and b_arr.dtype.kind in "iu":
            if a_arr.size and (min(a_arr.min(), b_arr.min()) < 0):
                raise ValueError("integer model codes must be >= 0.")
            n = max(int(a_arr.max()), int(b_arr.max())) + 1 if a_arr.size else 0  # Python ints: uint64 too
            if n <= 4 * a_arr.size + (1 << 16):
                names, a, b = np.arange(n), a_arr.astype(np.int64), b_arr.astype(np.int64)
            else:  # sparse codes (ids up to 2^64): the distinct ones, not an array as long as the largest
                # every code is >= 0, so uint64 holds both columns exactly (int64 with uint64 is float64)
                names, codes = np.unique(np.concatenate([a_arr.astype(np.uint64), b_arr.astype(np.uint64)]),
                                         return_inverse=True)
                a, b = codes[: a_arr.size].astype(np.int64), codes[a_arr.size:].astype(np.int64)
        else:
            a_arr, b_arr = _names_array(model_a), _names_array(model_b)
            if a_arr.dtype != b_arr.dtype:  # e.g. floats and strings: concatenated, NaN would read 'nan'
                a_arr, b_arr = a_arr.astype(object), b_arr.astype(object)
            codes, names = _factorize(np.concatenate([a_arr, b_arr]))
            if (codes < 0).any():
                t = int(np.argmax(codes < 0))
                column, t = ("model_a", t) if t < a_arr.size else ("model_b", t - a_arr.size)
                raise ValueError(f"{column}[{t}] is a missing model name (None or NaN); drop that battle "
                                 f"or name the model.")
            a, b = codes[: a_arr.size], codes[a_arr.size:]
    outcome_code, code_score = _outcome_codes(outcome, a.size)
    if a.size == 0:
        raise ValueError("there are no battles; a rating needs at least one.")
    if (a == b).any():
        t = int(np.argmax(a == b))
        raise ValueError(f"battle {t} pits {_plain(names[a[t]])!r} against itself; drop self-battles.")
    return a, b, outcome_code, code_score, names


def _plain(value):
    """A NumPy scalar as the Python value it holds (messages read 'x', not np.str_('x'))."""
    return value.item() if isinstance(value, np.generic) else value


def _categorical(column):
    """The pandas Categorical behind a categorical Series, else None."""
    return column.array if getattr(column, "cat", None) is not None else None


def _packed_battles(a, b, outcome_code, n_models, n_outcomes):
    """One unsigned integer per battle, a | b << bits | outcome << 2 bits, and bits (np.uint64);
    every code is below 2 ** bits, so unpacking stays inside the rating array."""
    bits = max(1, (n_models - 1).bit_length())
    dtype = np.uint32 if 2 * bits + max(1, (n_outcomes - 1).bit_length()) <= 32 else np.uint64
    packed = _unsigned(outcome_code).astype(dtype) << dtype(2 * bits)
    packed |= _unsigned(b).astype(dtype) << dtype(bits)
    packed |= _unsigned(a).astype(dtype)
    return packed, np.uint64(bits)


def _unsigned(codes):
    """The same validated (non-negative) integer codes viewed as unsigned, no copy."""
    return codes.view(codes.dtype.str.replace("i", "u")) if codes.dtype.kind == "i" else codes


def _outcome_codes(outcome, n):
    """(codes, score of each code) of the outcome column."""
    categorical = _categorical(outcome)
    if categorical is not None:  # a pandas categorical: score the categories, then index by code
        codes = categorical.codes
        if codes.shape != (n,):
            raise ValueError(f"outcome must have one entry per battle ({n}), got shape {codes.shape}.")
        if codes.size and codes.min() < 0:
            raise ValueError("outcome holds missing values; drop those battles.")
        labels = np.asarray(categorical.categories)
        label_code, label_score = _outcome_codes(labels, labels.size)
        return codes, label_score[label_code]
    values = np.asarray(outcome)
    if values.shape != (n,):
        raise ValueError(f"outcome must have one entry per battle ({n}), got shape {values.shape}.")
    if values.dtype.kind in "iuf":
        score = values.astype(np.float64)
        bad = ~np.isin(score, (0.0, 0.5, 1.0))
        if bad.any():
            t = int(np.argmax(bad))
            raise ValueError(f"outcome {_plain(values[t])!r} at battle {t}: numeric outcomes are model_a's score, 1, 0.5 or 0.")
        return (score * 2.0).astype(np.int8), np.array([0.0, 0.5, 1.0])
    codes, labels = _factorize(np.asarray(outcome))
    unknown = [str(label) for label in labels if label not in OUTCOMES]
    if unknown:
        raise ValueError(f"unknown outcome labels {unknown}; use {', '.join(map(repr, OUTCOMES))}.")
    return codes, np.array([OUTCOMES[label] for label in labels], dtype=np.float64)


def count_matrix(model_a, model_b=None, outcome=None, *, backend=None):
    """(wins, ties, model names): wins[i, j] = battles i won against j; ties symmetric."""
    a, b, score, names = encode_battles(model_a, model_b, outcome)
    _, count = _COUNT.resolve(backend)
    wins, ties = count(a, b, score, names.size)
    return wins, ties, names


# -------------------------------------------------------------- the fit

def _check_counts(wins, ties):
    wins = as_real_array(wins, "wins")
    if wins.ndim != 2 or wins.shape[0] != wins.shape[1]:
        raise ValueError(f"wins must be a square (models x models) matrix, got shape {wins.shape}.")
    ties = np.zeros_like(wins) if ties is None else as_real_array(ties, "ties")
    if ties.shape != wins.shape:
        raise ValueError(f"ties has shape {ties.shape} but wins has {wins.shape}.")
    for name, matrix in (("wins", wins), ("ties", ties)):
        check_finite(matrix, name)
        if (matrix < 0).any():
            raise ValueError(f"{name} holds negative counts; counts must be >= 0.")
    if not np.allclose(ties, ties.T):
        raise ValueError("ties must be symmetric (ties[i, j] = ties[j, i] = ties between i and j).")
    for name, matrix in (("wins", wins), ("ties", ties)):
        if np.diagonal(matrix).any():
            i = int(np.flatnonzero(np.diagonal(matrix))[0])
            raise ValueError(f"{name}[{i}, {i}] = {float(matrix[i, i])!r}: a model cannot battle itself; the diagonal of "
                             f"the count matrices must be 0.")
    if wins.shape[0] < 2:
        raise ValueError("a rating needs at least two models.")
    return wins, ties


def _strong_components(won, names):
    """Groups of models (strongly connected components of 'i beat j'); one group means a finite fit."""
    from scipy.sparse.csgraph import connected_components

    count, labels = connected_components(won > 0, directed=True, connection="strong")
    return [np.asarray(names)[labels == c].tolist() for c in range(count)]


def _require_finite_fit(won, names):
    """A finite maximum-likelihood fit needs every model played and a strongly connected graph."""
    unplayed = np.flatnonzero((won + won.T).sum(axis=1) == 0)
    if unplayed.size:
        raise ValueError(f"models {np.asarray(names)[unplayed].tolist()} played no battle; drop them.")
    groups = _strong_components(won, names)
    if len(groups) > 1:
        raise ValueError(
            f"the comparison graph is not strongly connected: no finite maximum-likelihood rating exists "
            f"(a group of models never loses, or never wins, against the rest); groups: {groups}. Pass "
            f"regularization=1e-4 (a small Gaussian prior) for a finite fit."
        )


def fit_bradley_terry(wins, ties=None, *, regularization=0.0, tol=1e-12, max_iter=100, names=None, initial=None):
    """Natural-log strengths theta (mean zero) maximising the Bradley-Terry likelihood.

    Ties count half a win each. Newton's method with a mean-zero gauge; with
    ``regularization`` lambda > 0, the penalty lambda / 2 |theta|^2 makes
    the fit finite for any comparison graph (choix's ``alpha`` penalises
    alpha |theta|^2: lambda = 2 alpha). ``initial``: a starting point (a
    bootstrap round starts from the full fit).
    """
    regularization = _check_regularization(regularization)
    wins, ties = _check_counts(wins, ties)
    m = wins.shape[0]
    names = np.arange(m) if names is None else np.asarray(names)
    won = wins + ties / 2.0
    games = won + won.T
    if regularization == 0.0:
        _require_finite_fit(won, names)
    theta = np.zeros(m) if initial is None else np.array(initial, dtype=np.float64)
    total_won = won.sum(axis=1)
    for _ in range(max_iter):
        difference = theta[:, None] - theta[None, :]
        p = 1.0 / (1.0 + np.exp(-difference))
        gradient = total_won - (games * p).sum(axis=1) - regularization * theta
        curvature = games * p * (1.0 - p)
        hessian = np.diag(curvature.sum(axis=1) + regularization) - curvature  # minus the Hessian
        step = np.linalg.solve(hessian + 1.0 / m, gradient)  # + 1/m 11^T fixes the gauge
        theta = theta + step
        theta -= theta.mean()
        if np.abs(step).max() < tol:
            break
    else:
        raise ValueError(f"the Bradley-Terry fit did not converge in {max_iter} Newton steps (counts spanning many "
                         f"orders of magnitude?); rescale the counts or pass regularization=1e-4.")
    return theta


def fit_davidson(wins, ties, *, regularization=0.0, tol=1e-10, names=None, initial=None):
    """Davidson's tie model: (theta, nu) maximising its likelihood on the counts.

    P(i beats j) = pi_i / D, P(tie) = nu sqrt(pi_i pi_j) / D with
    D = pi_i + pi_j + nu sqrt(pi_i pi_j) and pi = exp(theta), theta mean-zero
    (Davidson 1970). Without any tie nu = 0 and this is Bradley-Terry.
    Fitted by L-BFGS on (theta, log nu) with the analytic gradient.
    """
    from scipy.optimize import minimize

    wins, ties = _check_counts(wins, ties)
    m = wins.shape[0]
    names = np.arange(m) if names is None else np.asarray(names)
    if ties.sum() == 0:
        return fit_bradley_terry(wins, ties, regularization=regularization, names=names, initial=initial), 0.0
    if regularization == 0.0:
        _require_finite_fit(wins + ties / 2.0, names)
    pair_ties = np.triu(ties, 1)  # each tie once
    games = wins + wins.T + ties  # battles between i and j (symmetric)
    won_half = (wins + ties / 2.0).sum(axis=1)

    def loss_and_gradient(params):
        theta, log_nu = params[:m], params[m]
        nu = np.exp(log_nu)
        half = np.exp((theta[:, None] + theta[None, :]) / 2.0)
        denominator = np.exp(theta)[:, None] + np.exp(theta)[None, :] + nu * half
        p_win = np.exp(theta)[:, None] / denominator
        p_tie = nu * half / denominator
        log_denominator = np.log(denominator)
        loglik = (wins * (theta[:, None] - log_denominator)).sum() + (
            pair_ties * (log_nu + (theta[:, None] + theta[None, :]) / 2.0 - log_denominator)).sum()
        grad_theta = won_half - (games * (p_win + p_tie / 2.0)).sum(axis=1) - regularization * theta
        grad_nu = pair_ties.sum() - (np.triu(games, 1) * p_tie).sum()
        loss = -loglik + regularization / 2.0 * theta @ theta
        return loss, -np.concatenate([grad_theta, [grad_nu]])

    start = np.zeros(m + 1)
    if initial is not None:
        start[:m] = initial
    start[m] = np.log(max(pair_ties.sum(), 1.0) / max(np.triu(games, 1).sum(), 1.0))
    result = minimize(loss_and_gradient, start, jac=True, method="L-BFGS-B",
                      options={"gtol": tol, "ftol": 1e-15, "maxiter": 1000})
    theta = result.x[:m] - result.x[:m].mean()
    return theta, float(np.exp(result.x[m]))


def _check_scale(scale, base, init_rating) -> None:
    """Arena's rating scale: rating = theta / ln(base) * scale + init_rating."""
    check_real(base, "base", low=1.0, low_open=True,
               hint="P(a beats b) = 1 / (1 + base ** ((R_b - R_a) / scale)): a base <= 1 would reverse or "
                    "flatten the ratings (Arena uses 10).")
    check_real(scale, "scale", low=0.0, low_open=True, hint="Arena uses 400 rating points per factor of base.")
    check_real(init_rating, "init_rating")


def _check_regularization(regularization) -> float:
    return check_real(regularization, "regularization", low=0.0,
                      hint="It is the weight of a Gaussian prior: 0 for none, e.g. 1e-4 for a finite fit on any graph.")


def _to_scale(theta, names, scale, base, init_rating, anchor):
    rating = theta / np.log(base) * scale + init_rating
    if anchor:
        if len(anchor) != 1:
            raise ValueError("anchor takes one {model: rating} pair.")
        (model, value), = anchor.items()
        value = check_real(value, f"anchor rating of {model!r}")
        where = np.flatnonzero(np.asarray(names) == model)
        if where.size == 0:
            raise ValueError(f"anchor model {model!r} is not among the rated models.")
        rating = rating + (value - rating[where[0]])
    return rating


def bradley_terry_from_counts(wins, ties=None, *, models=None, scale=400.0, base=10.0, init_rating=1000.0,
                              anchor=None, regularization=0.0, ties_model="half", bootstrap=0,
                              resample="multinomial", seed=None, ci=0.95) -> Leaderboard:
    """Bradley-Terry leaderboard from the win (and tie) count matrices.

    The arguments are those of :func:`bradley_terry`; the counts are the
    sufficient statistics of the battles (``count_matrix``, ``BattleCounts``).

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.ranking import bradley_terry_from_counts
    >>> board = bradley_terry_from_counts(np.array([[0, 3], [1, 0]]), models=["a", "b"])
    >>> board.models.tolist(), np.round(board.rating, 2).tolist()  # 3:1, so 10**(diff/400) = 3
    (['a', 'b'], [1095.42, 904.58])
    """
    _check_scale(scale, base, init_rating)
    regularization = _check_regularization(regularization)
    wins, ties = _check_counts(wins, ties)
    names = np.arange(wins.shape[0]) if models is None else np.asarray(models)
    theta, nu = _fit(wins, ties, ties_model, regularization, names)
    battles = (wins + wins.T + ties).sum(axis=1)
    lower, upper, rounds = _bootstrap_bounds(wins, ties, theta, names, bootstrap, resample, seed, ci, regularization,
                                             (scale, base, init_rating, anchor), ties_model)
    covariance = _rating_covariance(wins, ties, theta, regularization, scale, base) if ties_model == "half" else None
    return _leaderboard(names, _to_scale(theta, names, scale, base, init_rating, anchor), battles, lower, upper, nu,
                        rounds, covariance)


def bradley_terry(model_a, model_b=None, outcome=None, *, scale=400.0, base=10.0, init_rating=1000.0, anchor=None,
                  regularization=0.0, ties_model="half", bootstrap=0, resample="multinomial", seed=None,
                  ci=0.95, cluster=None, backend=None) -> Leaderboard:
    """Bradley-Terry leaderboard of battles (Chatbot Arena's maximum-likelihood ratings).

    Parameters
    ----------
    model_a, model_b, outcome
        See :func:`encode_battles` (or one DataFrame with Arena's columns).
    scale, base, init_rating
        Arena's scale: rating = theta / ln(base) * scale + init_rating, with
        theta the mean-zero natural-log strengths.
    anchor : dict, optional
        {model: rating}: shift every rating so that this model has it.
    regularization : float, default=0
        Gaussian prior lambda / 2 |theta|^2; > 0 gives finite ratings when the
        comparison graph is not strongly connected.
    bootstrap : int, default=0
        Bootstrap rounds: battles resampled with replacement (multinomial, as
        Arena's ``compute_bootstrap_bt``), done on the count matrix, each
        round refitted; the leaderboard gets percentile bounds at ``ci``.
    ties_model : {"half", "davidson"}
        "half" (Arena's convention): a tie is half a win for each side.
        "davidson": Davidson's model, a tie parameter nu fitted with the
        strengths (``Leaderboard.tie_parameter``).
    resample : {"multinomial", "poisson"}
        "poisson" weights each battle by a Poisson(1) draw instead: the law
        that merges across shards (see ``BattleCounts``).
    seed : int, optional
    cluster : array-like, optional
        One id per battle (its conversation, prompt or judge session): the
        bootstrap redraws whole clusters (multinomial: as many clusters as
        there are; poisson: a Poisson(1) weight per cluster), for battles that
        are not independent.

    Examples
    --------
    >>> from fastscore.ranking import bradley_terry
    >>> board = bradley_terry(["x", "x", "y", "z", "x"], ["y", "y", "z", "x", "z"], ["model_a"] * 4 + ["tie"])
    >>> board.models.tolist(), board.rank.tolist()
    (['x', 'z', 'y'], [1, 2, 3])
    """
    _check_scale(scale, base, init_rating)
    regularization = _check_regularization(regularization)
    a, b, score, names = encode_battles(model_a, model_b, outcome)
    _, count = _COUNT.resolve(backend)
    wins, ties = count(a, b, score, names.size)
    theta, nu = _fit(wins, ties, ties_model, regularization, names)
    rating = _to_scale(theta, names, scale, base, init_rating, anchor)
    battles = (wins + wins.T + ties).sum(axis=1)
    clusters = None if cluster is None else _cluster_cells(a, b, score, cluster, names.size)
    lower, upper, rounds = _bootstrap_bounds(wins, ties, theta, names, bootstrap, resample, seed, ci, regularization,
                                             (scale, base, init_rating, anchor), ties_model, clusters)
    covariance = _rating_covariance(wins, ties, theta, regularization, scale, base) if ties_model == "half" else None
    return _leaderboard(names, rating, battles, lower, upper, nu, rounds, covariance)


def _cluster_cells(a, b, score, cluster, m):
    """(unit, cell, count, n_units): the battles of each cluster in the cells of ``_bootstrap_bounds``
    (i beat j at i * m + j; a tie of i < j at m * m + its place in np.triu_indices(m, 1))."""
    cluster = np.asarray(cluster).reshape(-1)
    if cluster.shape != a.shape:
        raise ValueError(f"cluster must give one id per battle ({a.size}), got {cluster.size}.")
    _, unit = np.unique(cluster, return_inverse=True)
    unit = unit.reshape(-1)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    tie_cell = m * m + lo * (2 * m - lo - 1) // 2 + (hi - lo - 1)
    cell = np.where(score == 1, a * m + b, np.where(score == 0, b * m + a, tie_cell))
    n_cells = m * m + m * (m - 1) // 2
    keys, counts = np.unique(unit * n_cells + cell, return_counts=True)
    return keys // n_cells, keys % n_cells, counts.astype(np.float64), int(unit.max()) + 1 if unit.size else 0


def _rating_covariance(wins, ties, theta, regularization, scale, base):
    """The covariance of the ratings at the fit: the inverse of the Bradley-Terry Fisher information
    (the pseudo-inverse without a prior: the mean-zero gauge), in rating units. Differences of
    ratings are gauge-free: Var(r_a - r_b) = e^T C e."""
    won = wins + ties / 2.0
    games = won + won.T
    p = 1.0 / (1.0 + np.exp(-(theta[:, None] - theta[None, :])))
    curvature = games * p * (1.0 - p)
    information = np.diag(curvature.sum(axis=1) + regularization) - curvature
    covariance = np.linalg.pinv(information, hermitian=True) if regularization == 0 else np.linalg.inv(information)
    return covariance * (scale / np.log(base)) ** 2


def _fit(wins, ties, ties_model, regularization, names, initial=None):
    """(theta, Davidson's nu or None) for ties_model "half" (Arena's) or "davidson"."""
    if ties_model == "half":
        return fit_bradley_terry(wins, ties, regularization=regularization, names=names, initial=initial), None
    if ties_model == "davidson":
        return fit_davidson(wins, ties, regularization=regularization, names=names, initial=initial)
    raise ValueError(f"ties_model must be 'half' (a tie is half a win each, Arena's) or 'davidson', got {ties_model!r}.")


def _bootstrap_bounds(wins, ties, theta, names, rounds, resample, seed, ci, regularization, scale_args,
                      ties_model="half", clusters=None):
    """Percentile bounds of the ratings over bootstrap rounds drawn on the count matrix (None, None if rounds = 0).

    "multinomial" redraws as many battles as there were, with replacement
    (Arena's law): one multinomial over the cells (i beat j; i tied j, i < j).
    "poisson" gives every battle a Poisson(1) weight: a cell holding c
    battles becomes Poisson(c), so the rounds of merged shards follow the law
    of one pass over all battles. ``clusters`` (``_cluster_cells``) redraws
    whole clusters of battles instead (multinomial or Poisson weights per cluster).
    """
    if not rounds:
        return None, None, None
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 0:
        raise ValueError(f"bootstrap must be a number of rounds >= 0, got {rounds!r}.")
    if not 0 < ci < 1:
        raise ValueError(f"ci must be in (0, 1), got {ci!r}.")
    if resample not in ("multinomial", "poisson"):
        raise ValueError(f"resample must be 'multinomial' (Arena's) or 'poisson', got {resample!r}.")
    rng = np.random.default_rng(seed)
    m = names.size
    upper = np.triu_indices(m, 1)
    cells = np.concatenate([wins.ravel(), ties[upper]])
    total = int(round(cells.sum()))
    ratings = np.empty((rounds, m))
    for r in range(rounds):
        if clusters is not None:
            unit, cell, count, n_units = clusters
            weight = rng.multinomial(n_units, np.full(n_units, 1.0 / n_units)) if resample == "multinomial" \
                else rng.poisson(1.0, n_units)
            drawn = np.bincount(cell, weight[unit] * count, minlength=cells.size)
        else:
            drawn = rng.multinomial(total, cells / cells.sum()) if resample == "multinomial" else rng.poisson(cells)
        boot_wins = drawn[: m * m].reshape(m, m).astype(np.float64)
        boot_ties = np.zeros((m, m))
        boot_ties[upper] = drawn[m * m:]
        boot_ties = boot_ties + boot_ties.T
        theta_r, _ = _fit(boot_wins, boot_ties, ties_model, max(regularization, 0.0) or 1e-10, names, theta)
        ratings[r] = _to_scale(theta_r, names, *scale_args)
    return (*np.quantile(ratings, [(1 - ci) / 2, (1 + ci) / 2], axis=0), ratings)


def elo(model_a, model_b=None, outcome=None, *, k=4.0, scale=400.0, base=10.0, init_rating=1000.0,
        bootstrap=0, seed=None, ci=0.95, backend=None) -> Leaderboard:
    """Online Elo ratings, battle by battle in the order given (Arena's ``compute_elo``).

    The update is FastChat's current one, with its float operations:
    p = 1 / (1 + exp(ln(base) / scale * (R_b - R_a))), R_a += K (s - p),
    R_b -= K (s - p). With ``bootstrap=N``, each round replays the battles
    resampled with replacement (FastChat's ``compute_bootstrap_elo`` law)
    from ratings 0, and the leaderboard gets percentile bounds at ``ci``.

    Examples
    --------
    >>> from fastscore.ranking import elo
    >>> board = elo(["a", "a"], ["b", "b"], ["model_a", "model_a"])
    >>> board.models.tolist(), [round(float(r), 3) for r in board.rating]
    (['a', 'b'], [1003.977, 996.023])
    """
    a, b, outcome_code, code_score, names = _battle_codes(model_a, model_b, outcome)
    _check_scale(scale, base, init_rating)
    check_real(k, "k", low=0.0, hint="the Elo step size (Arena uses 4).")
    alpha = math.log(base) / scale
    _, update = _ELO.resolve(backend)
    # one pass over the codes as they come (no int64 copies, no score column): ratings and battle counts
    rating, battles = update(_unsigned(a), _unsigned(b), _unsigned(outcome_code), code_score, names.size, float(k),
                             alpha, float(init_rating))
    lower = upper = None
    if bootstrap:
        if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
            raise ValueError(f"bootstrap must be a number of rounds >= 0, got {bootstrap!r}.")
        if not 0 < ci < 1:
            raise ValueError(f"ci must be in (0, 1), got {ci!r}.")
        _, play_round = _ELO_ROUND.resolve(backend)
        battle, bits = _packed_battles(a, b, outcome_code, names.size, code_score.size)
        seeds = np.random.SeedSequence(seed).spawn(bootstrap)
        rounds = np.zeros((bootstrap, names.size))

        def replay(r):  # one round: its own generator, so the result does not depend on the threads
            picks = np.random.default_rng(seeds[r]).integers(0, a.size, a.size)
            play_round(battle, bits, code_score, picks, float(k), alpha, rounds[r])

        map_threads(replay, range(bootstrap))
        lower, upper = np.quantile(rounds + init_rating, [(1 - ci) / 2, (1 + ci) / 2], axis=0)
    return _leaderboard(names, rating, battles, lower, upper)


class BattleCounts(Accumulator):
    """The win/tie count matrices of battles: Bradley-Terry's mergeable state.

    ``update`` counts a batch of battles (any input form of
    :func:`encode_battles`), ``merge`` adds another shard's counts (models
    are aligned by name), ``compute`` fits the leaderboard. With
    ``compute(bootstrap=N, resample="poisson")`` the rounds follow the law of
    a Poisson bootstrap over every battle of every shard.

    Examples
    --------
    >>> from fastscore.ranking import BattleCounts
    >>> shard_1 = BattleCounts().update(["a", "a", "b"], ["b", "c", "c"], ["model_a"] * 3)
    >>> shard_2 = BattleCounts().update(["c", "b"], ["a", "a"], ["model_a", "tie"])
    >>> board = shard_1.merge(shard_2).compute()
    >>> board.models.tolist(), board.battles.tolist()
    (['a', 'b', 'c'], [4.0, 3.0, 3.0])
    """

    def __init__(self):
        self.reset()

    def _initial_state(self):
        return {"models": np.zeros(0, dtype=object), "wins": np.zeros((0, 0)), "ties": np.zeros((0, 0))}

    def update(self, model_a, model_b=None, outcome=None, *, sample_weight=None):
        """Count a batch of battles into the state; returns ``self``."""
        if sample_weight is not None:
            raise ValueError("BattleCounts does not take weights; every battle counts once.")
        wins, ties, names = count_matrix(model_a, model_b, outcome)
        self._add(names, wins, ties)
        return self

    def _add(self, names, wins, ties):
        index = {name: i for i, name in enumerate(self.models.tolist())}
        added = [name for name in np.asarray(names).tolist() if name not in index]
        models = np.array(self.models.tolist() + added, dtype=object)
        for name in added:
            index[name] = len(index)
        m = len(models)
        total_wins, total_ties = np.zeros((m, m)), np.zeros((m, m))
        old = np.arange(len(self.models))
        total_wins[np.ix_(old, old)] = self.wins
        total_ties[np.ix_(old, old)] = self.ties
        where = np.array([index[name] for name in np.asarray(names).tolist()], dtype=np.int64)
        total_wins[np.ix_(where, where)] += wins
        total_ties[np.ix_(where, where)] += ties
        self.models, self.wins, self.ties = models, total_wins, total_ties

    def merge(self, other):
        """Add another shard's counts (models aligned by name); returns ``self``."""
        self._check_mergeable(other)
        self._add(other.models, other.wins, other.ties)
        return self

    def compute(self, **kwargs) -> Leaderboard:
        """The Bradley-Terry leaderboard; keyword arguments as in :func:`bradley_terry_from_counts`."""
        if len(self.models) < 2:
            raise ValueError("no battles between two models were counted yet.")
        models = self.models
        if all(isinstance(name, str) for name in models):
            models = models.astype(str)
        return bradley_terry_from_counts(self.wins, self.ties, models=models, **kwargs)
