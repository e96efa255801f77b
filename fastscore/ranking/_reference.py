"""Reference implementations of the ranking kernels, written for clarity."""
import math

import numpy as np


def count_battles(a, b, score, n_models):
    """(wins, ties): wins[i, j] = battles i won against j; ties[i, j] = ties of i and j (symmetric).

    ``score`` is 1 (a won), 0 (b won) or 0.5 (tie) per battle.
    """
    wins = np.zeros((n_models, n_models))
    ties = np.zeros((n_models, n_models))
    for i, j, s in zip(a, b, score):
        if s == 1.0:
            wins[i, j] += 1
        elif s == 0.0:
            wins[j, i] += 1
        else:
            ties[i, j] += 1
            ties[j, i] += 1
    return wins, ties


def online_elo(a, b, outcome_code, code_score, n_models, k, alpha, init):
    """The online Elo update, battle by battle, in the order given (alpha = ln(base) / scale);
    model_a's score in battle t is code_score[outcome_code[t]]. Returns (ratings, battles per model)."""
    rating = np.full(n_models, float(init))
    for i, j, code in zip(a, b, outcome_code):
        expected = 1.0 / (1.0 + math.exp(alpha * (rating[j] - rating[i])))
        rating[i] += k * (code_score[code] - expected)
        rating[j] -= k * (code_score[code] - expected)
    battles = np.bincount(a, minlength=n_models) + np.bincount(b, minlength=n_models)
    return rating, battles.astype(np.float64)


def preference_counts(rankings, weights, n_items):
    """prefer[i, j] = total weight of the rankings that put i above j (from positions)."""
    position = np.empty_like(rankings)
    rows = np.arange(rankings.shape[0])[:, None]
    position[rows, rankings] = np.arange(rankings.shape[1])[None, :]
    above = position[:, :, None] < position[:, None, :]
    return np.einsum("r,rij->ij", np.asarray(weights, dtype=np.float64), above.astype(np.float64))
