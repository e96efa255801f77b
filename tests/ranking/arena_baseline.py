"""A faithful baseline of Chatbot Arena's leaderboard algorithm, written from its documented behaviour.

Bradley-Terry: models factorized, (model_a, model_b, outcome) rows made
unique with counts, then L-BFGS-B from zeros on the count-weighted logistic
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
    models, codes = np.unique(np.concatenate([np.asarray(model_a, dtype=str), np.asarray(model_b, dtype=str)]),
                              return_inverse=True)
    n = len(model_a)
    outcome = np.array([SCORES[w] for w in winner])
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
                      options={"disp": False, "maxiter": 100, "gtol": tol})
    return dict(zip(models, result.x * scale + init_rating))


def compute_elo(model_a, model_b, winner, k=4, scale=400, base=10, init_rating=1000):
    rating = defaultdict(lambda: init_rating)
    for a, b, w in zip(model_a, model_b, winner):
        ra, rb = rating[a], rating[b]
        ea = 1 / (1 + base ** ((rb - ra) / scale))
        eb = 1 / (1 + base ** ((ra - rb) / scale))
        sa = SCORES[w]
        rating[a] += k * (sa - ea)
        rating[b] += k * (1 - sa - eb)
    return dict(rating)
