"""Numba kernels of the ranking family: battle counting and the online Elo update."""
import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def count_battles(a, b, score, n_models):
    """(wins, ties) count matrices from integer-coded battles (see _reference)."""
    wins = np.zeros((n_models, n_models))
    ties = np.zeros((n_models, n_models))
    for t in range(a.shape[0]):
        i = a[t]
        j = b[t]
        s = score[t]
        if s == 1.0:
            wins[i, j] += 1.0
        elif s == 0.0:
            wins[j, i] += 1.0
        else:
            ties[i, j] += 1.0
            ties[j, i] += 1.0
    return wins, ties


@njit(cache=True, nogil=True)
def online_elo(a, b, score, n_models, k, scale, base, init):
    """Arena's online Elo update, battle by battle, with the same float operations."""
    rating = np.full(n_models, init)
    for t in range(a.shape[0]):
        i = a[t]
        j = b[t]
        expected_a = 1.0 / (1.0 + base ** ((rating[j] - rating[i]) / scale))
        expected_b = 1.0 / (1.0 + base ** ((rating[i] - rating[j]) / scale))
        rating[i] += k * (score[t] - expected_a)
        rating[j] += k * (1.0 - score[t] - expected_b)
    return rating
