"""Plain Python twins of the comparison kernels (``src_cython/compare.pyx``), for differential tests."""
import numpy as np

_MULT = (0x2360ED051FC65DA4 << 64) | 0x4385DF649FCCF645
_M64 = (1 << 64) - 1
_M128 = (1 << 128) - 1


class _PCG64:
    def __init__(self, state_hi, state_lo, inc_hi, inc_lo):
        self.state = (int(state_hi) << 64) | int(state_lo)
        self.inc = (int(inc_hi) << 64) | int(inc_lo)

    def next(self) -> int:
        self.state = (self.state * _MULT + self.inc) & _M128
        x = ((self.state >> 64) ^ self.state) & _M64
        rot = self.state >> 122
        return ((x >> rot) | (x << ((64 - rot) & 63))) & _M64

    def bounded(self, n: int) -> int:
        m = self.next() * n
        low = m & _M64
        if low < n:
            threshold = (2 ** 64 - n) % n
            while low < threshold:
                m = self.next() * n
                low = m & _M64
        return m >> 64


def pcg64_raw(state_hi, state_lo, inc_hi, inc_lo, count):
    g = _PCG64(state_hi, state_lo, inc_hi, inc_lo)
    return [g.next() for _ in range(count)]


def bootstrap_sums(values, state_hi, state_lo, inc_hi, inc_lo, out):
    g = _PCG64(state_hi, state_lo, inc_hi, inc_lo)
    n, k = values.shape
    for b in range(out.shape[0]):
        acc = [0.0] * k
        for _ in range(n):
            row = g.bounded(n)
            for c in range(k):
                acc[c] += values[row, c]
        out[b] = acc


def poisson_sums(values, thresholds, state_hi, state_lo, inc_hi, inc_lo, out):
    g = _PCG64(state_hi, state_lo, inc_hi, inc_lo)
    n, k = values.shape
    limits = [int(t) for t in thresholds]
    for b in range(out.shape[0]):
        acc = [0.0] * k
        for j in range(n):
            u = g.next()
            w = sum(1 for t in limits if u >= t)
            if w:
                for c in range(k):
                    acc[c] += w * values[j, c]
        out[b] = acc


def signflip_sums(d, state_hi, state_lo, inc_hi, inc_lo, out):
    g = _PCG64(state_hi, state_lo, inc_hi, inc_lo)
    for b in range(out.shape[0]):
        acc, bits = 0.0, 0
        for j in range(len(d)):
            if j % 64 == 0:
                bits = g.next()
            acc = acc + d[j] if (bits >> (j % 64)) & 1 else acc - d[j]
        out[b] = acc


def bin_indices(values, inner, right, out):
    out[:] = np.searchsorted(inner, values, side="right" if right else "left")


def group_moments(group, a, b, c, d, count, sums, cross):
    x = np.column_stack([a, b, c, d])
    for i, g in enumerate(group):
        count[g] += 1.0
        sums[g] += x[i]
        cross[g] += np.triu(np.outer(x[i], x[i]))
