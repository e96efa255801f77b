# cython: language_level=3
"""Cython kernels of the ranking family (``fastscore._cy.ranking``).

The functions of ``fastscore/ranking/_numba.py`` (same names, arguments and
results, see the docstrings there) with the same float operations: libm's
``exp`` per battle, as Python's ``math.exp``, so that the Elo ratings stay
bit-identical to FastChat's. They release the GIL while they run. Model and
outcome codes come as unsigned integers of any width (a pandas
categorical's int8 codes viewed as uint8 are read without a copy); the
caller has checked that they are in range.
"""
import numpy as np

from libc.math cimport INFINITY, exp
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc

ctypedef fused model_code:
    uint8_t
    uint16_t
    uint32_t
    uint64_t

ctypedef fused outcome_code:
    uint8_t
    uint16_t
    uint32_t
    uint64_t

ctypedef fused packed_battle:
    uint32_t
    uint64_t


def count_battles(const int64_t[::1] a, const int64_t[::1] b, const double[::1] score, Py_ssize_t n_models):
    """(wins, ties) count matrices from integer-coded battles."""
    wins_array = np.zeros((n_models, n_models))
    ties_array = np.zeros((n_models, n_models))
    cdef double[:, ::1] wins = wins_array
    cdef double[:, ::1] ties = ties_array
    cdef Py_ssize_t t, i, j
    cdef double s
    with nogil:
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
    return wins_array, ties_array


def online_elo(const model_code[::1] a, const model_code[::1] b, const outcome_code[::1] outcome_code_,
               const double[::1] code_score, Py_ssize_t n_models, double k, double alpha, double init):
    """Arena's online Elo (FastChat's current compute_elo), battle by battle: (ratings, battles played)."""
    rating_array = np.full(n_models, init)
    battles_array = np.zeros(n_models)
    cdef double[::1] rating = rating_array
    cdef double[::1] battles = battles_array
    cdef Py_ssize_t t, i, j
    cdef double prob, update
    with nogil:
        for t in range(a.shape[0]):
            i = a[t]
            j = b[t]
            prob = 1.0 / (1.0 + exp(alpha * (rating[j] - rating[i])))
            update = k * (code_score[outcome_code_[t]] - prob)
            rating[i] += update
            rating[j] -= update
            battles[i] += 1.0
            battles[j] += 1.0
    return rating_array, battles_array


def bootstrap_elo_round(const packed_battle[::1] battle, uint64_t bits, const double[::1] code_score,
                        const int64_t[::1] picks, double k, double alpha, double[::1] rating):
    """One round of elo(bootstrap=N): battle picks[t] at step t, from ``rating`` (zeros), with
    FastChat's expit form; battles packed as model_a | model_b << bits | outcome << 2 bits."""
    cdef uint64_t mask = (<uint64_t>1 << bits) - 1, packed
    cdef Py_ssize_t t, i, j
    cdef double prob, update
    with nogil:
        for t in range(picks.shape[0]):
            packed = battle[picks[t]]
            i = packed & mask
            j = (packed >> bits) & mask
            prob = 1.0 / (1.0 + exp(-(alpha * (rating[i] - rating[j]))))
            update = k * (code_score[packed >> (bits + bits)] - prob)
            rating[i] += update
            rating[j] -= update


def bootstrap_elo_logistic(const packed_battle[::1] battle, uint64_t bits, const double[::1] code_score,
                           const int64_t[:, ::1] sample_indices, double k, double alpha, double[:, ::1] ratings,
                           Py_ssize_t lo, Py_ssize_t hi):
    """Rounds lo..hi of FastChat's vectorized bootstrap Elo: ``ratings[s]`` plays battle
    ``sample_indices[t, s]`` at step t (see ``fastscore.ranking._numba.bootstrap_elo_logistic``)."""
    cdef uint64_t mask = (<uint64_t>1 << bits) - 1, packed
    cdef Py_ssize_t t, s, i, j
    cdef double prob, update
    with nogil:
        for t in range(sample_indices.shape[0]):
            for s in range(lo, hi):
                packed = battle[sample_indices[t, s]]
                i = packed & mask
                j = (packed >> bits) & mask
                prob = 1.0 / (1.0 + exp(-(alpha * (ratings[s, i] - ratings[s, j]))))
                update = k * (code_score[packed >> (bits + bits)] - prob)
                ratings[s, i] += update
                ratings[s, j] -= update


def count_outcome_rows(const int64_t[::1] a, const int64_t[::1] b, const int64_t[::1] outcome_code_,
                       Py_ssize_t n_models):
    """counts[i, j, o]: battles with model_a = i, model_b = j and outcome code o."""
    counts_array = np.zeros((n_models, n_models, 3))
    cdef double[:, :, ::1] counts = counts_array
    cdef Py_ssize_t t
    with nogil:
        for t in range(a.shape[0]):
            counts[a[t], b[t], outcome_code_[t]] += 1.0
    return counts_array


def preference_counts(const int64_t[:, ::1] rankings, const double[::1] weights, Py_ssize_t n_items):
    """prefer[i, j] = total weight of the rankings that put i above j."""
    prefer_array = np.zeros((n_items, n_items))
    cdef double[:, ::1] prefer = prefer_array
    cdef Py_ssize_t r, p, q, above, width = rankings.shape[1]
    cdef double w
    with nogil:
        for r in range(rankings.shape[0]):
            w = weights[r]
            for p in range(width):
                above = rankings[r, p]
                for q in range(p + 1, width):
                    prefer[above, rankings[r, q]] += w
    return prefer_array


def kemeny_subsets(const double[:, ::1] prefer):
    """Exact Kemeny order by dynamic programming over subsets (items placed from the top):
    (order, agreement); see ``fastscore.ranking._numba.kemeny_subsets``."""
    cdef Py_ssize_t m = prefer.shape[0], size = (<Py_ssize_t>1) << m, subset, grown, x, y, position
    cdef double gain, value
    cdef double *best = <double *>malloc(size * sizeof(double))
    cdef int64_t *choice = <int64_t *>malloc(size * sizeof(int64_t))
    order_array = np.empty(m, dtype=np.int64)
    cdef int64_t[::1] order = order_array
    cdef double total
    if best == NULL or choice == NULL:
        free(best)
        free(choice)
        raise MemoryError(f"exact Kemeny over {m} items needs 2^{m} states: not enough memory")
    try:
        with nogil:
            for subset in range(size):
                best[subset] = -INFINITY
                choice[subset] = -1
            best[0] = 0.0
            for subset in range(size):
                if best[subset] == -INFINITY:
                    continue
                for x in range(m):
                    if subset & ((<Py_ssize_t>1) << x):
                        continue
                    gain = 0.0
                    for y in range(m):
                        if y != x and not (subset & ((<Py_ssize_t>1) << y)):
                            gain += prefer[x, y]
                    grown = subset | ((<Py_ssize_t>1) << x)
                    value = best[subset] + gain
                    if value > best[grown]:
                        best[grown] = value
                        choice[grown] = x
            subset = size - 1
            for position in range(m - 1, -1, -1):
                x = choice[subset]
                order[position] = x
                subset &= ~((<Py_ssize_t>1) << x)
            total = best[size - 1]
    finally:
        free(best)
        free(choice)
    return order_array, total


def contextual_bt_step(const int64_t[::1] a, const int64_t[::1] b, const double[::1] outcome,
                       const double[:, ::1] features, const double[::1] params, Py_ssize_t n_models, double alpha,
                       Py_ssize_t lo, Py_ssize_t hi, double[::1] gradient, double[:, ::1] hessian):
    """Add battles lo..hi to the gradient and Hessian of the contextual Bradley-Terry loss
    (see ``fastscore.ranking._numba.contextual_bt_step``)."""
    cdef Py_ssize_t k = features.shape[1], t, i, j, f, g
    cdef double logit, p, residual, weight, aa, x, cross
    with nogil:
        for t in range(lo, hi):
            i = a[t]
            j = b[t]
            logit = alpha * (params[i] - params[j])
            for f in range(k):
                logit += features[t, f] * params[n_models + f]
            p = 1.0 / (1.0 + exp(-logit))
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
