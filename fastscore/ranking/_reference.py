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


def _unpack(packed, bits):
    mask = (1 << bits) - 1
    return packed & mask, (packed >> bits) & mask, packed >> (2 * bits)


def bootstrap_elo_round(battle, bits, code_score, picks, k, alpha, rating):
    """One bootstrap round of Elo: battle picks[t] at step t, FastChat's expit form, in place."""
    bits = int(bits)
    for pick in picks:
        i, j, code = _unpack(int(battle[pick]), bits)
        prob = 1.0 / (1.0 + math.exp(-(alpha * (rating[i] - rating[j]))))
        rating[i] += k * (code_score[code] - prob)
        rating[j] -= k * (code_score[code] - prob)


def bootstrap_elo_logistic(battle, bits, code_score, sample_indices, k, alpha, ratings, lo, hi):
    """Rounds lo..hi of FastChat's vectorized bootstrap Elo (round s plays sample_indices[:, s])."""
    for s in range(lo, hi):
        bootstrap_elo_round(battle, bits, code_score, sample_indices[:, s], k, alpha, ratings[s])


def count_outcome_rows(a, b, outcome_code, n_models):
    """counts[i, j, o]: battles of model_a i, model_b j and outcome code o."""
    counts = np.zeros((n_models, n_models, 3))
    np.add.at(counts, (a, b, outcome_code), 1.0)
    return counts


def kemeny_subsets(prefer):
    """The Kemeny order (best first) and its agreement, by the same dynamic programming over
    subsets as the compiled kernels, written with Python sets: best[S] is the largest agreement
    of an order of S placed above every other item."""
    m = prefer.shape[0]
    best = {frozenset(): (0.0, ())}
    for size in range(m):
        grown = {}
        for placed, (value, order) in best.items():
            if len(placed) != size:
                continue
            rest = [y for y in range(m) if y not in placed]
            for x in rest:
                candidate = value + sum(prefer[x, y] for y in rest if y != x)
                key = placed | {x}
                if key not in grown or candidate > grown[key][0]:
                    grown[key] = (candidate, order + (x,))
        best = grown
    (value, order), = best.values()
    return np.array(order, dtype=np.int64), value


def contextual_bt_step(a, b, outcome, features, params, n_models, alpha, lo, hi, gradient, hessian):
    """Add battles lo..hi to the gradient and Hessian of the contextual Bradley-Terry log loss."""
    for t in range(lo, hi):
        x = np.zeros(n_models + features.shape[1])  # d logit / d params
        x[a[t]] += alpha
        x[b[t]] -= alpha
        x[n_models:] = features[t]
        p = 1.0 / (1.0 + math.exp(-(x @ params)))
        gradient += (p - outcome[t]) * x
        hessian += p * (1.0 - p) * np.outer(x, x)
