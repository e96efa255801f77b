"""A faithful baseline of Chatbot Arena's leaderboard algorithm (our code; FastChat needs PyTorch).

It follows FastChat's fastchat/serve/monitor/rating_systems.py step by step, with the same
pandas / NumPy calls in the same order so that timings compare like for like. Bradley-Terry:
models factorized (pd.factorize of model_a then model_b), an int32 (model_a, model_b, outcome
id 2 / 1 / 0) schedule made unique with counts, then L-BFGS-B from zeros on the count-weighted
logistic loss with logits ln(base) * (r_a - r_b), gtol 1e-6; ratings r * scale + init_rating.
Elo: the plain Python online update with K = 4, over the rows of an (n, 2) matchups array. The
anchor of the tests, bench/ and ``fastscore bench``; not part of fastscore's API.
"""
from collections import defaultdict

import numpy as np

SCORES = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}
_PLUS_MINUS = np.array([1.0, -1.0])  # a row's gradient goes + to model_a and - to model_b


def compute_bt(model_a, model_b, winner, scale=400.0, base=10.0, init_rating=1000.0, tol=1e-6, converge=False):
    """Arena's fit; ``converge=True`` runs L-BFGS-B to the optimum (ftol 0) instead of Arena's early stop."""
    import pandas as pd

    n = len(model_a)
    matchups, models = _matchups_models(pd.Series(model_a), pd.Series(model_b))
    winner = pd.Series(winner)
    schedule = np.full((n, 3), 1, dtype=np.int32)  # outcome id 1 (a tie) unless a side won
    schedule[:, [0, 1]] = matchups
    schedule[(winner == "model_a").to_numpy(), 2] = 2
    schedule[(winner == "model_b").to_numpy(), 2] = 0
    unique_rows, counts = np.unique(schedule, return_counts=True, axis=0)
    matchups = unique_rows[:, [0, 1]]
    outcomes = unique_rows[:, 2].astype(np.float64) / 2.0
    counts = counts.astype(np.float64)
    alpha = np.log(base)

    def loss_and_grad(ratings):
        logits = alpha * (ratings[matchups[:, 0]] - ratings[matchups[:, 1]])
        probs = expit(logits)
        loss = -((np.log(probs) * outcomes + np.log(1.0 - probs) * (1.0 - outcomes)) * counts).sum()
        per_row = -alpha * (outcomes - probs) * counts
        grad = np.zeros_like(ratings)
        np.add.at(grad, matchups[:, [0, 1]], per_row[:, None] * _PLUS_MINUS)
        return loss, grad

    options = {"maxiter": 10000, "gtol": 1e-10, "ftol": 0.0} if converge else {"maxiter": 100, "gtol": tol}
    result = minimize(loss_and_grad, x0=np.zeros(len(models)), jac=True, method="L-BFGS-B", options=options)
    return dict(zip(list(models), result.x * scale + init_rating))


def compute_elo(battles, k=4, scale=400, base=10, init_rating=1000):
    """battles: a DataFrame with model_a, model_b, winner, iterated row by row as Arena does."""
    rating = defaultdict(lambda: init_rating)
    for _, a, b, w in battles[["model_a", "model_b", "winner"]].itertuples():
        ra, rb = rating[a], rating[b]
        ea = 1 / (1 + base ** ((rb - ra) / scale))
        eb = 1 / (1 + base ** ((ra - rb) / scale))
        sa = SCORES[w]
        rating[a] += k * (sa - ea)
        rating[b] += k * (1 - sa - eb)
    return dict(rating)


# FastChat's current leaderboard code: models in pd.factorize order of model_a then model_b,
# outcome 1 / 0 for a model_a / model_b win and 0.5 for anything else, alpha = ln(base) / scale.

def _matchups_models(model_a, model_b):
    """(n, 2) model ids, as np.column_stack of the factorized columns, and the model names."""
    import pandas as pd

    n = len(model_a)
    codes, models = pd.factorize(pd.concat([model_a, model_b]))
    return np.column_stack([codes[:n], codes[n:]]), models.to_list()


def _factorized(df):
    matchups, models = _matchups_models(df["model_a"], df["model_b"])
    outcome = np.full(len(df), 0.5)
    outcome[(df["winner"] == "model_a").to_numpy()] = 1.0
    outcome[(df["winner"] == "model_b").to_numpy()] = 0.0
    return matchups, outcome, models


def current_compute_elo(df, k=4.0, base=10.0, init_rating=1000.0, scale=400.0):
    import math

    matchups, outcome, models = _factorized(df)
    alpha = math.log(base) / scale
    ratings = np.full(len(models), init_rating)
    for (i, j), s in zip(matchups, outcome):  # a row of the (n, 2) array per battle, as FastChat's loop
        prob = 1.0 / (1.0 + math.exp(alpha * (ratings[j] - ratings[i])))
        update = k * (s - prob)
        ratings[i] += update
        ratings[j] -= update
    return {model: ratings[idx] for idx, model in enumerate(models)}


def current_compute_bootstrap_elo(df, num_round=100, k=4.0, base=10.0, init_rating=1000.0, scale=400.0):
    """All rounds advance together, one resampled battle per round and step (numpy vectorised)."""
    import math

    import pandas as pd

    matchups, outcome, models = _factorized(df)
    sample_indices = np.random.randint(low=0, high=len(df), size=(len(df), num_round))
    alpha = math.log(base) / scale
    ratings = np.zeros((num_round, len(models)))
    rounds = np.arange(num_round)
    for step in sample_indices:
        a, b = matchups[step, 0], matchups[step, 1]
        ra, rb = ratings[rounds, a], ratings[rounds, b]
        updates = k * (outcome[step] - expit(alpha * (ra - rb)))
        ratings[rounds, a] += updates
        ratings[rounds, b] -= updates
    frame = pd.DataFrame(ratings + init_rating, columns=models)
    return frame[frame.median().sort_values(ascending=False).index]


def current_compute_bootstrap_bt(df, num_round, base=10.0, scale=400.0, init_rating=1000.0, tol=1e-6):
    """Multinomial draws (default_rng(0)) over the unique (a, b, outcome) rows; L-BFGS-B per round on
    the weights divided by the number of battles."""
    import pandas as pd

    pairs, outcome, models = _factorized(df)
    rows = np.column_stack([pairs, (outcome * 2).astype(int)])
    unique_rows, counts = np.unique(rows, axis=0, return_counts=True)
    matchups, outcomes = unique_rows[:, :2], unique_rows[:, 2] / 2.0
    weights = counts.astype(np.float64)
    draws = np.random.default_rng(seed=0).multinomial(n=len(df), pvals=weights / weights.sum(), size=num_round)
    alpha = np.log(base)

    def fit(w):
        def loss_and_grad(r):
            probs = expit(alpha * (r[matchups[:, 0]] - r[matchups[:, 1]]))
            loss = -((np.log(probs) * outcomes + np.log(1.0 - probs) * (1.0 - outcomes)) * w).sum()
            per_row = -alpha * (outcomes - probs) * w
            grad = np.zeros_like(r)
            np.add.at(grad, matchups[:, 0], per_row)
            np.add.at(grad, matchups[:, 1], -per_row)
            return loss, grad

        return minimize(loss_and_grad, np.zeros(len(models)), jac=True, method="L-BFGS-B",
                        options={"maxiter": 100, "gtol": tol}).x

    ratings = np.array([fit(d / len(df)) for d in draws]) * scale + init_rating
    frame = pd.DataFrame(ratings, columns=models)
    return frame[frame.median().sort_values(ascending=False).index]


def current_compute_style_control(df, alpha=np.log(10.0), reg=0.5, init_rating=1000.0, scale=400.0, tol=1e-6,
                                  converge=False):
    """FastChat's style control: features (a - b) / (a + b + 1) of four conv_metadata counts, standardised;
    L-BFGS-B from zeros on the log loss + reg / 2 |params|^2 (``converge=True``: to the optimum)."""
    import pandas as pd

    pairs, outcome, models = _factorized(df)
    a, b = pairs[:, 0], pairs[:, 1]
    elements = ["sum_assistant_a_tokens", "header_count_a", "list_count_a", "bold_count_a",
                "sum_assistant_b_tokens", "header_count_b", "list_count_b", "bold_count_b"]

    def count(meta, element):
        value = meta[element]
        return value if isinstance(value, int) else sum(value.values())

    style = np.array([[count(meta, e) for meta in df["conv_metadata"]] for e in elements], dtype=np.int32)
    diff = (style[:4] - style[4:]).astype(float)
    total = (style[:4] + style[4:]).astype(float) + 1.0
    diff = diff / total
    features = ((diff - diff.mean(axis=1)[:, None]) / diff.std(axis=1)[:, None]).T
    n_models, n_features = len(models), features.shape[1]

    def loss_and_grad(params):
        ratings, beta = params[:n_models], params[n_models:]
        probs = expit(alpha * (ratings[a] - ratings[b]) + features @ beta)
        loss = -(np.log(probs) * outcome + np.log(1.0 - probs) * (1.0 - outcome)).sum() + reg / 2 * params @ params
        error = outcome - probs
        grad = reg * params
        np.add.at(grad[:n_models], a, -alpha * error)
        np.add.at(grad[:n_models], b, alpha * error)
        grad[n_models:] -= features.T @ error
        return loss, grad

    options = {"maxiter": 10000, "gtol": 1e-10, "ftol": 0.0} if converge else {"maxiter": 100, "gtol": tol}
    params = minimize(loss_and_grad, np.zeros(n_models + n_features), jac=True, method="L-BFGS-B", options=options).x
    scaled = params[:n_models] * scale + init_rating
    if "mixtral-8x7b-instruct-v0.1" in models:
        scaled = scaled + 1114 - scaled[models.index("mixtral-8x7b-instruct-v0.1")]
    return pd.Series(scaled, index=models).sort_values(ascending=False), params[n_models:]


def minimize(*args, **kwargs):
    """scipy.optimize.minimize, imported on first use; the name is then bound to scipy's own
    function, so the timed loops call it directly, as FastChat's code does."""
    global minimize
    from scipy.optimize import minimize

    return minimize(*args, **kwargs)


def expit(x):
    """scipy.special.expit, imported on first use (then bound to it, as minimize)."""
    global expit
    from scipy.special import expit

    return expit(x)
