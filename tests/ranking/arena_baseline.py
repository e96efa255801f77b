"""A faithful baseline of Chatbot Arena's leaderboard algorithm, written from its documented behaviour.

Bradley-Terry: models factorized (pd.factorize), (model_a, model_b,
outcome) rows made unique with counts, then L-BFGS-B from zeros on the count-weighted logistic
loss with logits ln(base) * (r_a - r_b), gtol 1e-6; ratings r * scale +
init_rating. Elo: the plain Python online update with K = 4. Used by the
tests and the benchmarks as the anchor; not part of fastscore.
"""
from collections import defaultdict

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

SCORES = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}


def compute_bt(model_a, model_b, winner, scale=400.0, base=10.0, init_rating=1000.0, tol=1e-6):
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

    result = minimize(loss_and_grad, x0=np.zeros(len(models)), jac=True, method="L-BFGS-B",
                      options={"maxiter": 100, "gtol": tol})
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
