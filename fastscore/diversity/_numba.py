"""Numba kernels of the diversity family: similarity matrices.

``gram_block(kind, X, Y, gamma, out, row_start, row_stop, symmetric)``-style
functions fill rows [row_start, row_stop) of ``out`` and release the GIL, so
``vendi.py`` runs blocks of rows on the thread pool. With ``symmetric`` (X is
Y) only the upper triangle is computed and mirrored. Sums are float64.
"""
import numpy as np
from .._jit import njit

# population count of every byte, for bit-packed fingerprints
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


@njit(cache=True, nogil=True)
def rbf_from_products(products, x_sq, y_sq, gamma, row_start, row_stop):
    """In place: products[i, j] = x.y  ->  exp(-gamma * max(|x|^2 + |y|^2 - 2 x.y, 0))."""
    for i in range(row_start, row_stop):
        for j in range(products.shape[1]):
            distance = x_sq[i] + y_sq[j] - 2.0 * products[i, j]
            products[i, j] = np.exp(-gamma * max(distance, 0.0))


@njit(cache=True, nogil=True)
def laplacian_rows(X, Y, gamma, out, row_start, row_stop, symmetric):
    d = X.shape[1]
    for i in range(row_start, row_stop):
        first = i if symmetric else 0
        for j in range(first, Y.shape[0]):
            total = 0.0
            for k in range(d):
                total += abs(np.float64(X[i, k]) - np.float64(Y[j, k]))
            out[i, j] = np.exp(-gamma * total)


@njit(cache=True, nogil=True)
def bits_rows(X, Y, tanimoto, n_bits, out, row_start, row_stop, symmetric):
    """Tanimoto |a & b| / |a | b| or Hamming 1 - |a ^ b| / n_bits on packed uint8 rows."""
    n_bytes = X.shape[1]
    for i in range(row_start, row_stop):
        first = i if symmetric else 0
        for j in range(first, Y.shape[0]):
            if tanimoto:
                both = 0
                either = 0
                for k in range(n_bytes):
                    both += _POPCOUNT[X[i, k] & Y[j, k]]
                    either += _POPCOUNT[X[i, k] | Y[j, k]]
                out[i, j] = both / either
            else:
                differ = 0
                for k in range(n_bytes):
                    differ += _POPCOUNT[X[i, k] ^ Y[j, k]]
                out[i, j] = 1.0 - differ / n_bits


@njit(cache=True, nogil=True)
def callable_rows(X, Y, function, out, row_start, row_stop, symmetric):
    """out[i, j] = function(X[i], Y[j]) for a Numba-compiled ``function``."""
    for i in range(row_start, row_stop):
        first = i if symmetric else 0
        for j in range(first, Y.shape[0]):
            out[i, j] = function(X[i], Y[j])


@njit(cache=True, nogil=True)
def mirror_upper(out, row_start, row_stop):
    """Copy the upper triangle of rows [row_start, row_stop) into the lower one."""
    for i in range(row_start, row_stop):
        for j in range(i + 1, out.shape[0]):
            out[j, i] = out[i, j]


@njit(cache=True, nogil=True)
def max_asymmetry(K, tile):
    """max |K[i, j] - K[j, i]| over i < j, visiting tiles so that both reads stay in cache."""
    n = K.shape[0]
    worst = 0.0
    for bi in range(0, n, tile):
        for bj in range(bi, n, tile):
            for i in range(bi, min(bi + tile, n)):
                for j in range(max(bj, i + 1), min(bj + tile, n)):
                    gap = abs(K[i, j] - K[j, i])
                    if gap > worst:
                        worst = gap
    return worst
