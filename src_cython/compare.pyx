# cython: language_level=3
"""Cython kernels of the comparison family (``fastscore._cy.compare``): resampled sums.

Random numbers come from NumPy's PCG64 (the same 64-bit stream as
``numpy.random.PCG64(...).random_raw()``; the state is passed in and stepped
here), so a seed gives the same replicates on every machine. An index in
[0, n) is drawn as NumPy's ``Generator.integers(0, n)`` draws it (Lemire's
multiply-shift of a 32-bit half of a 64-bit output, the low half first, for
n <= 2^32; of a whole output beyond), redrawn in the rare case that would
bias it; a Poisson(1) weight inverts the CDF at one draw; a
random sign is one bit of a draw. Each call handles a block of replicates in
order; blocks are independent (own seeds), so threads may run them in any
order. The reference implementations are in ``fastscore/compare/_reference.py``.
"""
from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport free, malloc

cdef extern from *:
    """
    typedef unsigned __int128 fs_u128;
    typedef struct { fs_u128 state; fs_u128 inc; } fs_pcg64;

    static inline uint64_t fs_pcg64_next(fs_pcg64 *g) {
        const fs_u128 mult = (((fs_u128)0x2360ED051FC65DA4ULL) << 64) | (fs_u128)0x4385DF649FCCF645ULL;
        g->state = g->state * mult + g->inc;
        uint64_t x = (uint64_t)(g->state >> 64) ^ (uint64_t)g->state;
        unsigned rot = (unsigned)(g->state >> 122);
        return (x >> rot) | (x << ((-rot) & 63u));
    }

    static inline void fs_pcg64_set(fs_pcg64 *g, uint64_t state_hi, uint64_t state_lo, uint64_t inc_hi, uint64_t inc_lo) {
        g->state = (((fs_u128)state_hi) << 64) | state_lo;
        g->inc = (((fs_u128)inc_hi) << 64) | inc_lo;
    }

    /* an index in [0, n), n >= 1: Lemire's multiply-shift, unbiased by rejection */
    static inline uint64_t fs_bounded(fs_pcg64 *g, uint64_t n) {
        fs_u128 m = (fs_u128)fs_pcg64_next(g) * n;
        uint64_t low = (uint64_t)m;
        if (low < n) {
            uint64_t threshold = (0 - n) % n;
            while (low < threshold) {
                m = (fs_u128)fs_pcg64_next(g) * n;
                low = (uint64_t)m;
            }
        }
        return (uint64_t)(m >> 64);
    }

    /* NumPy's Generator.integers(0, n) for n <= 2^32: 32-bit halves of the 64-bit outputs (the
       low half first, the high one at the next draw) and Lemire's 32-bit multiply-shift */
    typedef struct { fs_pcg64 g; uint64_t buf; int have; } fs_halves;

    static inline uint32_t fs_next32(fs_halves *h) {
        if (h->have) {
            h->have = 0;
            return (uint32_t)(h->buf >> 32);
        }
        h->buf = fs_pcg64_next(&h->g);
        h->have = 1;
        return (uint32_t)h->buf;
    }

    static inline uint64_t fs_bounded32(fs_halves *h, uint64_t n) {
        if (n == 1) return 0;  /* NumPy draws nothing for a range of one value */
        if (n == 4294967296ULL) return fs_next32(h);
        uint32_t range = (uint32_t)n;
        uint64_t m = (uint64_t)fs_next32(h) * range;
        uint32_t low = (uint32_t)m;
        if (low < range) {
            uint32_t threshold = (uint32_t)(0xFFFFFFFFu - (range - 1u)) % range;
            while (low < threshold) {
                m = (uint64_t)fs_next32(h) * range;
                low = (uint32_t)m;
            }
        }
        return m >> 32;
    }

    static inline void fs_halves_set(fs_halves *h, uint64_t state_hi, uint64_t state_lo, uint64_t inc_hi,
                                     uint64_t inc_lo) {
        fs_pcg64_set(&h->g, state_hi, state_lo, inc_hi, inc_lo);
        h->have = 0;
        h->buf = 0;
    }

    /* an index in [0, n) as NumPy's Generator.integers(0, n) draws it */
    static inline uint64_t fs_index(fs_halves *h, uint64_t n) {
        return n <= 4294967296ULL ? fs_bounded32(h, n) : fs_bounded(&h->g, n);
    }
    """
    ctypedef struct fs_pcg64:
        pass
    ctypedef struct fs_halves:
        pass
    uint64_t fs_pcg64_next(fs_pcg64 *g) nogil
    void fs_pcg64_set(fs_pcg64 *g, uint64_t state_hi, uint64_t state_lo, uint64_t inc_hi, uint64_t inc_lo) nogil
    uint64_t fs_bounded(fs_pcg64 *g, uint64_t n) nogil
    void fs_halves_set(fs_halves *h, uint64_t state_hi, uint64_t state_lo, uint64_t inc_hi, uint64_t inc_lo) nogil
    uint64_t fs_index(fs_halves *h, uint64_t n) nogil
    uint64_t fs_bounded32(fs_halves *h, uint64_t n) nogil


def pcg64_raw(uint64_t state_hi, uint64_t state_lo, uint64_t inc_hi, uint64_t inc_lo, Py_ssize_t count):
    """The next ``count`` 64-bit outputs of a PCG64 state (for tests: NumPy's random_raw)."""
    cdef fs_pcg64 g
    cdef Py_ssize_t i
    fs_pcg64_set(&g, state_hi, state_lo, inc_hi, inc_lo)
    out = [0] * count
    for i in range(count):
        out[i] = fs_pcg64_next(&g)
    return out


def bootstrap_sums(const double[:, ::1] values, uint64_t state_hi, uint64_t state_lo, uint64_t inc_hi,
                   uint64_t inc_lo, double[:, ::1] out):
    """Multinomial bootstrap: for each replicate b (row of ``out``, in order), n draws with
    replacement of the n rows of ``values``, the indices NumPy's
    ``Generator(PCG64).integers(0, n, size=(B, n))`` would draw from this state;
    out[b, c] = the sum of column c over the draws (added in draw order)."""
    cdef Py_ssize_t n = values.shape[0], k = values.shape[1], b, j, c
    cdef uint64_t row
    cdef fs_halves h
    cdef double *acc = <double *>malloc(sizeof(double) * (k if k > 0 else 1))
    if acc == NULL:
        raise MemoryError()
    cdef double one, two
    fs_halves_set(&h, state_hi, state_lo, inc_hi, inc_lo)
    with nogil:
        for b in range(out.shape[0]):
            if k == 1:  # the common cases in registers
                one = 0.0
                for j in range(n):
                    one += values[fs_index(&h, <uint64_t>n), 0]
                out[b, 0] = one
                continue
            if k == 2:
                one = two = 0.0
                for j in range(n):
                    row = fs_index(&h, <uint64_t>n)
                    one += values[row, 0]
                    two += values[row, 1]
                out[b, 0] = one
                out[b, 1] = two
                continue
            for c in range(k):
                acc[c] = 0.0
            for j in range(n):
                row = fs_index(&h, <uint64_t>n)
                for c in range(k):
                    acc[c] += values[row, c]
            for c in range(k):
                out[b, c] = acc[c]
    free(acc)


def bootstrap_sums_4(const double[::1] values, const uint64_t[:, ::1] states, double[:, ::1] out):
    """``bootstrap_sums`` of one column for four blocks at once (row i of ``states`` is block i's
    (state_hi, state_lo, inc_hi, inc_lo), row i of ``out`` its replicates): the same numbers as
    four calls, the four generators stepped side by side so that their latencies overlap."""
    cdef Py_ssize_t n = values.shape[0], b, j
    cdef fs_halves h0, h1, h2, h3
    cdef double s0, s1, s2, s3
    if states.shape[0] != 4 or out.shape[0] != 4 or n > 4294967296:
        raise ValueError("bootstrap_sums_4 takes four blocks of at most 2^32 rows")
    fs_halves_set(&h0, states[0, 0], states[0, 1], states[0, 2], states[0, 3])
    fs_halves_set(&h1, states[1, 0], states[1, 1], states[1, 2], states[1, 3])
    fs_halves_set(&h2, states[2, 0], states[2, 1], states[2, 2], states[2, 3])
    fs_halves_set(&h3, states[3, 0], states[3, 1], states[3, 2], states[3, 3])
    with nogil:
        for b in range(out.shape[1]):
            s0 = s1 = s2 = s3 = 0.0
            for j in range(n):
                s0 += values[fs_bounded32(&h0, <uint64_t>n)]
                s1 += values[fs_bounded32(&h1, <uint64_t>n)]
                s2 += values[fs_bounded32(&h2, <uint64_t>n)]
                s3 += values[fs_bounded32(&h3, <uint64_t>n)]
            out[0, b] = s0
            out[1, b] = s1
            out[2, b] = s2
            out[3, b] = s3


def poisson_sums(const double[:, ::1] values, const uint64_t[::1] thresholds, uint64_t state_hi,
                 uint64_t state_lo, uint64_t inc_hi, uint64_t inc_lo, double[:, ::1] out):
    """Poisson bootstrap: each row gets a Poisson(1) weight w per replicate (the number of
    ``thresholds`` below one 64-bit draw: the CDF of Poisson(1) scaled to 2^64);
    out[b, c] = sum over rows of w * values[row, c] (in row order)."""
    cdef Py_ssize_t n = values.shape[0], k = values.shape[1], b, j, c, w, n_thr = thresholds.shape[0]
    cdef uint64_t u
    cdef fs_pcg64 g
    cdef double *acc = <double *>malloc(sizeof(double) * (k if k > 0 else 1))
    if acc == NULL:
        raise MemoryError()
    fs_pcg64_set(&g, state_hi, state_lo, inc_hi, inc_lo)
    with nogil:
        for b in range(out.shape[0]):
            for c in range(k):
                acc[c] = 0.0
            for j in range(n):
                u = fs_pcg64_next(&g)
                w = 0
                while w < n_thr and u >= thresholds[w]:
                    w += 1
                if w:
                    for c in range(k):
                        acc[c] += w * values[j, c]
            for c in range(k):
                out[b, c] = acc[c]
    free(acc)


def signflip_sums(const double[::1] d, uint64_t state_hi, uint64_t state_lo, uint64_t inc_hi, uint64_t inc_lo,
                  double[::1] out):
    """Paired permutation: out[b] = sum of d[j] with a random sign each (bit j % 64 of the
    (j // 64)-th draw of replicate b: 1 keeps the sign)."""
    cdef Py_ssize_t n = d.shape[0], b, j
    cdef uint64_t bits = 0
    cdef double acc
    cdef fs_pcg64 g
    fs_pcg64_set(&g, state_hi, state_lo, inc_hi, inc_lo)
    with nogil:
        for b in range(out.shape[0]):
            acc = 0.0
            for j in range(n):
                if j % 64 == 0:
                    bits = fs_pcg64_next(&g)
                if (bits >> (j % 64)) & 1:
                    acc += d[j]
                else:
                    acc -= d[j]
            out[b] = acc


def bin_indices(const double[::1] values, const double[::1] inner, bint right, int64_t[::1] out):
    """out[i] = numpy.searchsorted(inner, values[i], side="right" if right else "left") (binary
    search; ``inner`` sorted)."""
    cdef Py_ssize_t i, lo, hi, mid, m = inner.shape[0]
    cdef double v
    with nogil:
        for i in range(values.shape[0]):
            v = values[i]
            lo = 0
            hi = m
            while lo < hi:
                mid = (lo + hi) >> 1
                if (inner[mid] <= v) if right else (inner[mid] < v):
                    lo = mid + 1
                else:
                    hi = mid
            out[i] = lo


def group_moments(const int64_t[::1] group, const double[::1] a, const double[::1] b, const double[::1] c,
                  const double[::1] d, double[::1] count, double[:, ::1] sums, double[:, :, ::1] cross):
    """Per group g: count[g] += 1, sums[g] += x, cross[g] += x x^T for x = (a, b, c, d)[i] (the
    caller zeroes the outputs; cross filled on and above the diagonal)."""
    cdef Py_ssize_t i, j, k, g
    cdef double x[4]
    with nogil:
        for i in range(group.shape[0]):
            g = group[i]
            x[0] = a[i]
            x[1] = b[i]
            x[2] = c[i]
            x[3] = d[i]
            count[g] += 1.0
            for j in range(4):
                sums[g, j] += x[j]
                for k in range(j, 4):
                    cross[g, j, k] += x[j] * x[k]
