"""The resampling shared by every comparison: one stream of replicates for both models and all metrics.

A replicate is a set of weights on the evaluation's units (examples, images,
clusters): multinomial counts (n draws with replacement, the classical
bootstrap) or independent Poisson(1) counts (the Poisson bootstrap, which
shards can draw without knowing n). Both models and every metric use the same
weights, so a comparison is paired and joint.

The generator is NumPy's PCG64: replicates come in blocks of 64, block k
seeded by ``numpy.random.SeedSequence(seed).spawn(n_blocks)[k]``; within a
block the kernels step the PCG64 state themselves (the same 64-bit stream as
``PCG64(...).random_raw()``) and draw, replicate after replicate: for the
multinomial bootstrap, the example indices NumPy's
``Generator(PCG64(child)).integers(0, n, size=(64, n))`` gives (Lemire's
unbiased multiply-shift of 32-bit halves, tested equal); a Poisson weight per
unit by inverting its CDF at one 64-bit number; one bit per unit for a sign
flip. So a seed gives the same replicates on every machine, whatever the
number of threads.
"""
from __future__ import annotations

import math

import numpy as np

from .._config import Kernel, map_threads

BLOCK = 64  # replicates per generator
_MASK = (1 << 64) - 1


def _kernel(name: str, function: str) -> Kernel:
    return Kernel(name, {"cython": f"fastscore._cy.compare:{function}",
                         "reference": f"fastscore.compare._reference:{function}"})


_BOOTSTRAP = _kernel("bootstrap sums", "bootstrap_sums")
_POISSON = _kernel("Poisson bootstrap sums", "poisson_sums")
_SIGNFLIP = _kernel("sign-flip sums", "signflip_sums")


def check_seed(seed):
    if seed is None or isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return seed
    raise ValueError(f"seed must be a non-negative integer (or None for fresh entropy), got {seed!r}.")


def block_states(seed, n_replicates: int) -> list[tuple[int, int, int, int]]:
    """PCG64 (state, increment) of each block of ``BLOCK`` replicates, as four 64-bit halves."""
    n_blocks = -(-n_replicates // BLOCK)
    states = []
    for child in np.random.SeedSequence(seed).spawn(n_blocks):
        st = np.random.PCG64(child).state["state"]
        state, inc = st["state"], st["inc"]
        states.append((state >> 64, state & _MASK, inc >> 64, inc & _MASK))
    return states


def poisson_thresholds() -> np.ndarray:
    """The CDF of Poisson(1) at 0, 1, 2, ... scaled to 2^64 (as uint64), while below 2^64."""
    out, cdf, term, w = [], 0.0, math.exp(-1.0), 0
    while True:
        cdf += term
        value = int(cdf * 2.0 ** 64)
        if value >= 2 ** 64 - 1 or cdf >= 1.0:
            break
        out.append(value)
        w += 1
        term /= w
    return np.array(out, dtype=np.uint64)


def resampled_sums(values: np.ndarray, n_boot: int, *, seed=0, resample: str = "multinomial",
                   backend=None) -> np.ndarray:
    """(n_boot, k): for each replicate, the weighted column sums of ``values`` (n units x k).

    ``resample="multinomial"``: n draws of units with replacement; ``"poisson"``: a
    Poisson(1) weight per unit.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    out = np.empty((n_boot, values.shape[1]))
    states = block_states(seed, n_boot)
    if resample == "multinomial":
        name, kernel = _BOOTSTRAP.resolve(backend)
        if name == "cython" and values.shape[1] == 1 and values.shape[0] <= 2 ** 32:
            return _one_column_sums(values[:, 0].copy(), states, out, kernel)
        run = lambda k: kernel(values, *states[k], out[k * BLOCK:(k + 1) * BLOCK])  # noqa: E731
    elif resample == "poisson":
        _, kernel = _POISSON.resolve(backend)
        thresholds = poisson_thresholds()
        run = lambda k: kernel(values, thresholds, *states[k], out[k * BLOCK:(k + 1) * BLOCK])  # noqa: E731
    else:
        raise ValueError(f"resample must be 'multinomial' or 'poisson', got {resample!r}.")
    map_threads(run, range(len(states)))
    return out


def _one_column_sums(column, states, out, kernel):
    """The multinomial sums of one column, full blocks four at a time (``bootstrap_sums_4``: the
    same numbers as one block per call, the generators' latencies overlapped)."""
    from .._cy.compare import bootstrap_sums_4

    n_boot = out.shape[0]
    groups = n_boot // BLOCK // 4
    packed = np.array(states[:4 * groups], dtype=np.uint64).reshape(groups, 4, 4)
    rest = list(range(4 * groups, len(states)))

    def run(job):
        if job < groups:
            bootstrap_sums_4(column, packed[job], out[4 * BLOCK * job:4 * BLOCK * (job + 1), 0].reshape(4, BLOCK))
        else:
            k = rest[job - groups]
            kernel(column[:, None], *states[k], out[k * BLOCK:(k + 1) * BLOCK])
    map_threads(run, range(groups + len(rest)))
    return out


def signflip_sums(d: np.ndarray, n_perm: int, *, seed=0, backend=None) -> np.ndarray:
    """(n_perm,): sums of ``d`` with a random sign per unit (the paired permutation test)."""
    d = np.ascontiguousarray(d, dtype=np.float64)
    out = np.empty(n_perm)
    states = block_states(seed, n_perm)
    _, kernel = _SIGNFLIP.resolve(backend)
    map_threads(lambda k: kernel(d, *states[k], out[k * BLOCK:(k + 1) * BLOCK]), range(len(states)))
    return out
