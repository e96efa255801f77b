"""A faithful baseline of Chatbot Arena's leaderboard algorithm, written from its documented behaviour.

Bradley-Terry: models factorized (pd.factorize), (model_a, model_b,
outcome) rows made unique with counts, then L-BFGS-B from zeros on the count-weighted logistic
loss with logits ln(base) * (r_a - r_b), gtol 1e-6; ratings r * scale +
init_rating. Elo: the plain Python online update with K = 4. The anchor of
the tests, bench/ and ``fastscore bench`` (Arena's code is not installable
without PyTorch); not part of fastscore's API.
"""
from collections import defaultdict

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

SCORES = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}


def compute_bt(model_a, model_b, winner, scale=400.0, base=10.0, init_rating=1000.0, tol=1e-6, converge=False):
    """Arena's fit; ``converge=True`` runs L-BFGS-B to the optimum (ftol 0) instead of Arena's early stop."""
    import pandas as pd

    codes, models = pd.factorize(pd.concat([pd.Series(model_a), pd.Series(model_b)], ignore_index=True))
    n = len(model_a)
    outcome = pd.Series(winner).map(SCORES).to_numpy(dtype=np.float64)
    rows = np.column_stack([codes[:n], codes[n:], outcome])
    unique_rows, counts = np.unique(rows, axis=0, return_counts=True)
    matchups = unique_rows[:, :2].astype(int)
    outcomes = unique_rows[:, 2]
    alpha = np.log(base)

    def loss_and_grad(ratings):
        logits = alpha * (ratings[matchups[:, 0]] - ratings[matchups[:, 1]])
        probs = expit(logits)
        loss = -((np.log(probs) * outcomes + np.log(1.0 - probs) * (1.0 - outcomes)) * counts).sum()
        per_row = (probs - outcomes) * counts * alpha
        grad = np.zeros_like(ratings)
        np.add.at(grad, matchups[:, 0], per_row)
        np.add.at(grad, matchups[:, 1], -per_row)
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


# FastChat's current leaderboard code (fastchat/serve/monitor/rating_systems.py), written from its
# documented behaviour: models in pd.factorize order of model_a then model_b, outcome 1 / 0 for a
# model_a / model_b win and 0.5 for anything else, alpha = ln(base) / scale for Elo.

def _factorized(df):
    import pandas as pd

    n = len(df)
    codes, models = pd.factorize(pd.concat([df["model_a"], df["model_b"]]))
    outcome = np.full(n, 0.5)
    outcome[(df["winner"] == "model_a").to_numpy()] = 1.0
    outcome[(df["winner"] == "model_b").to_numpy()] = 0.0
    return codes[:n], codes[n:], outcome, list(models)


def current_compute_elo(df, k=4.0, base=10.0, init_rating=1000.0, scale=400.0):
    import math

    a, b, outcome, models = _factorized(df)
    alpha = math.log(base) / scale
    ratings = np.full(len(models), init_rating)
    for i, j, s in zip(a, b, outcome):
        prob = 1.0 / (1.0 + math.exp(alpha * (ratings[j] - ratings[i])))
        update = k * (s - prob)
        ratings[i] += update
        ratings[j] -= update
    return {model: ratings[idx] for idx, model in enumerate(models)}


def current_compute_bootstrap_elo(df, num_round=100, k=4.0, base=10.0, init_rating=1000.0, scale=400.0):
    """All rounds advance together, one resampled battle per round and step (numpy vectorised)."""
    import math

    import pandas as pd

    a, b, outcome, models = _factorized(df)
    sample_indices = np.random.randint(low=0, high=len(df), size=(len(df), num_round))
    alpha = math.log(base) / scale
    ratings = np.zeros((num_round, len(models)))
    rounds = np.arange(num_round)
    for step in sample_indices:
        ra, rb = ratings[rounds, a[step]], ratings[rounds, b[step]]
        updates = k * (outcome[step] - expit(alpha * (ra - rb)))
        ratings[rounds, a[step]] += updates
        ratings[rounds, b[step]] -= updates
    frame = pd.DataFrame(ratings + init_rating, columns=models)
    return frame[frame.median().sort_values(ascending=False).index]


def current_compute_bootstrap_bt(df, num_round, base=10.0, scale=400.0, init_rating=1000.0, tol=1e-6):
    """Multinomial draws (default_rng(0)) over the unique (a, b, outcome) rows; L-BFGS-B per round on
    the weights divided by the number of battles."""
    import pandas as pd

    a, b, outcome, models = _factorized(df)
    rows = np.column_stack([a, b, (outcome * 2).astype(int)])
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

    a, b, outcome, models = _factorized(df)
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
