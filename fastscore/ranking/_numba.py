"""Numba kernels of the ranking family: battle counting and the online Elo update."""
import math

import numpy as np
from .._jit import njit


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
def preference_counts(rankings, weights, n_items):
    """prefer[i, j] = total weight of the rankings that put i above j."""
    prefer = np.zeros((n_items, n_items))
    for r in range(rankings.shape[0]):
        w = weights[r]
        row = rankings[r]
        for a in range(row.shape[0]):
            above = prefer[row[a]]  # the row of the item at position a
            for b in range(a + 1, row.shape[0]):
                above[row[b]] += w
    return prefer


@njit(cache=True, nogil=True)
def kemeny_subsets(prefer):
    """Exact Kemeny order by dynamic programming over subsets (items placed from the top).

    best[S] is the largest agreement sum_{i above j} prefer[i, j] of an order
    of the items in S placed above all the others; placing x next, below S,
    adds sum over the items still unplaced of prefer[x, y].
    """
    m = prefer.shape[0]
    size = 1 << m
    best = np.full(size, -np.inf)
    choice = np.full(size, -1, np.int64)
    best[0] = 0.0
    for subset in range(size):
        if best[subset] == -np.inf:
            continue
        for x in range(m):
            if subset & (1 << x):
                continue
            gain = 0.0
            for y in range(m):
                if y != x and not (subset & (1 << y)):
                    gain += prefer[x, y]
            grown = subset | (1 << x)
            value = best[subset] + gain
            if value > best[grown]:
                best[grown] = value
                choice[grown] = x
    order = np.empty(m, np.int64)
    subset = size - 1
    for position in range(m - 1, -1, -1):
        x = choice[subset]
        order[position] = x
        subset &= ~(1 << x)
    return order, best[size - 1]


@njit(cache=True, nogil=True, error_model="numpy")
def online_elo(a, b, outcome_code, code_score, n_models, k, alpha, init):
    """Arena's online Elo (FastChat's current compute_elo), with the same float operations:
    one logistic probability per battle, +update for model_a and -update for model_b.
    Model_a's score is code_score[outcome_code[t]]; also counts each model's battles.
    Unsigned codes index without Numba's negative-index fix-up (~15 % of the loop here);
    1 + exp(x) >= 1, so the numpy error model only drops a zero-division test."""
    rating = np.full(n_models, init)
    battles = np.zeros(n_models)
    for t in range(a.shape[0]):
        i = a[t]
        j = b[t]
        prob = 1.0 / (1.0 + math.exp(alpha * (rating[j] - rating[i])))
        update = k * (code_score[outcome_code[t]] - prob)
        rating[i] += update
        rating[j] -= update
        battles[i] += 1.0
        battles[j] += 1.0
    return rating, battles


@njit(cache=True, nogil=True, error_model="numpy")
def bootstrap_elo_logistic(battle, bits, code_score, sample_indices, k, alpha, ratings, lo, hi):
    """Rounds lo..hi of FastChat's vectorized bootstrap Elo: ``ratings[s]`` (starting at 0)
    plays battle ``sample_indices[t, s]`` at step t; expit(x) = 1 / (1 + exp(-x)). Battles are
    packed as in :func:`bootstrap_elo_round`."""
    mask = (np.uint64(1) << bits) - np.uint64(1)
    for t in range(sample_indices.shape[0]):
        for s in range(lo, hi):
            packed = np.uint64(battle[sample_indices[t, s]])
            i = packed & mask
            j = (packed >> bits) & mask
            prob = 1.0 / (1.0 + math.exp(-(alpha * (ratings[s, i] - ratings[s, j]))))
            update = k * (code_score[packed >> (bits + bits)] - prob)
            ratings[s, i] += update
            ratings[s, j] -= update


@njit(cache=True, nogil=True, error_model="numpy")
def bootstrap_elo_round(battle, bits, code_score, picks, k, alpha, rating):
    """One round of elo(bootstrap=N): battle picks[t] at step t, from ``rating`` (zeros), with
    FastChat's expit form. A battle is one packed integer, model_a | model_b << bits | outcome
    code << 2 bits, so each random pick touches one array instead of three."""
    mask = (np.uint64(1) << bits) - np.uint64(1)
    for t in range(picks.shape[0]):
        packed = np.uint64(battle[picks[t]])
        i = packed & mask
        j = (packed >> bits) & mask
        prob = 1.0 / (1.0 + math.exp(-(alpha * (rating[i] - rating[j]))))
        update = k * (code_score[packed >> (bits + bits)] - prob)
        rating[i] += update
        rating[j] -= update


@njit(cache=True, nogil=True)
def count_outcome_rows(a, b, outcome_code, n_models):
    """counts[i, j, o]: battles with model_a = i, model_b = j and outcome code o
    (0 model_b won, 1 tie, 2 model_a won), FastChat's (a, b, outcome) rows."""
    counts = np.zeros((n_models, n_models, 3))
    for t in range(a.shape[0]):
        counts[a[t], b[t], outcome_code[t]] += 1.0
    return counts


@njit(cache=True, nogil=True)
def contextual_bt_step(a, b, outcome, features, params, n_models, alpha, lo, hi, gradient, hessian):
    """Add battles lo..hi to the gradient and Hessian of the contextual Bradley-Terry loss
    (logit = alpha (r_a - r_b) + features . beta; the loss is the log loss of the outcome)."""
    k = features.shape[1]
    for t in range(lo, hi):
        i = a[t]
        j = b[t]
        logit = alpha * (params[i] - params[j])
        for f in range(k):
            logit += features[t, f] * params[n_models + f]
        p = 1.0 / (1.0 + np.exp(-logit))
        residual = p - outcome[t]
        weight = p * (1.0 - p)
        gradient[i] += alpha * residual
        gradient[j] -= alpha * residual
        aa = alpha * alpha * weight
        hessian[i, i] += aa
        hessian[j, j] += aa
        hessian[i, j] -= aa
        hessian[j, i] -= aa
        for f in range(k):
            x = features[t, f]
            gradient[n_models + f] += residual * x
            cross = alpha * weight * x
            hessian[i, n_models + f] += cross
            hessian[n_models + f, i] += cross
            hessian[j, n_models + f] -= cross
            hessian[n_models + f, j] -= cross
            for g in range(k):
                hessian[n_models + f, n_models + g] += weight * x * features[t, g]
