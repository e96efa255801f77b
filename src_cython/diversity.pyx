# cython: language_level=3
"""Cython kernels of the diversity family (``fastscore._cy.diversity``): similarity matrices.

The functions of ``fastscore/diversity/_numba.py`` (same names, arguments and
results): each fills rows [row_start, row_stop) of ``out`` with the GIL
released, so ``vendi.py`` runs blocks of rows on the thread pool; with
``symmetric`` only the upper triangle is computed (then mirrored). Sums are
float64 whatever the input's precision.
"""
from libc.math cimport exp, fabs
from libc.stdint cimport uint8_t

ctypedef fused real:
    float
    double

ctypedef fused other_real:
    float
    double

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define FS_POPCOUNT(x) __builtin_popcount(x)
    #else
    static int FS_POPCOUNT(unsigned int x) { int n = 0; while (x) { n += x & 1; x >>= 1; } return n; }
    #endif
    """
    int FS_POPCOUNT(unsigned int x) nogil


def rbf_from_products(double[:, ::1] products, const double[::1] x_sq, const double[::1] y_sq, double gamma,
                      Py_ssize_t row_start, Py_ssize_t row_stop):
    """In place: products[i, j] = x.y  ->  exp(-gamma * max(|x|^2 + |y|^2 - 2 x.y, 0))."""
    cdef Py_ssize_t i, j, m = products.shape[1]
    cdef double distance
    with nogil:
        for i in range(row_start, row_stop):
            for j in range(m):
                distance = x_sq[i] + y_sq[j] - 2.0 * products[i, j]
                products[i, j] = exp(-gamma * (distance if distance > 0.0 else 0.0))


def laplacian_rows(const real[:, ::1] X, const other_real[:, ::1] Y, double gamma, double[:, ::1] out,
                   Py_ssize_t row_start, Py_ssize_t row_stop, bint symmetric):
    """out[i, j] = exp(-gamma * sum_k |X[i, k] - Y[j, k]|)."""
    cdef Py_ssize_t i, j, k, d = X.shape[1], m = Y.shape[0]
    cdef double total
    with nogil:
        for i in range(row_start, row_stop):
            for j in range(i if symmetric else 0, m):
                total = 0.0
                for k in range(d):
                    total += fabs(<double>X[i, k] - <double>Y[j, k])
                out[i, j] = exp(-gamma * total)


def bits_rows(const uint8_t[:, ::1] X, const uint8_t[:, ::1] Y, bint tanimoto, Py_ssize_t n_bits,
              double[:, ::1] out, Py_ssize_t row_start, Py_ssize_t row_stop, bint symmetric):
    """Tanimoto |a & b| / |a | b| or Hamming 1 - |a ^ b| / n_bits on packed uint8 rows."""
    cdef Py_ssize_t i, j, k, n_bytes = X.shape[1], m = Y.shape[0]
    cdef long both, either, differ
    with nogil:
        for i in range(row_start, row_stop):
            for j in range(i if symmetric else 0, m):
                if tanimoto:
                    both = 0
                    either = 0
                    for k in range(n_bytes):
                        both += FS_POPCOUNT(X[i, k] & Y[j, k])
                        either += FS_POPCOUNT(X[i, k] | Y[j, k])
                    out[i, j] = <double>both / <double>either
                else:
                    differ = 0
                    for k in range(n_bytes):
                        differ += FS_POPCOUNT(X[i, k] ^ Y[j, k])
                    out[i, j] = 1.0 - <double>differ / <double>n_bits


def mirror_upper(double[:, ::1] out, Py_ssize_t row_start, Py_ssize_t row_stop):
    """Copy the upper triangle of rows [row_start, row_stop) into the lower one."""
    cdef Py_ssize_t i, j, n = out.shape[0]
    with nogil:
        for i in range(row_start, row_stop):
            for j in range(i + 1, n):
                out[j, i] = out[i, j]


def max_asymmetry(const real[:, :] K, Py_ssize_t tile):
    """max |K[i, j] - K[j, i]| over i < j, visiting tiles so that both reads stay in cache."""
    cdef Py_ssize_t n = K.shape[0], bi, bj, i, j
    cdef double worst = 0.0, gap
    with nogil:
        bi = 0
        while bi < n:
            bj = bi
            while bj < n:
                for i in range(bi, min(bi + tile, n)):
                    for j in range(max(bj, i + 1), min(bj + tile, n)):
                        gap = fabs(<double>K[i, j] - <double>K[j, i])
                        if gap > worst:
                            worst = gap
                bj += tile
            bi += tile
    return worst
