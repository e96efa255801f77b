"""Smooth ECE (Blasiok & Nakkiran, 2023), equal to the ``relplot`` package.

The residuals p - y and the sample weights are splatted linearly onto a grid
of [0, 1] in one pass; every bandwidth tried by relplot's search then costs
a convolution of that grid (reflected Gaussian kernel, by FFT), not a pass
over the data. The grid is also the mergeable state of
:class:`SmoothCalibration`.

Conventions followed to match ``relplot.smECE`` / ``relplot.smECE_sigma``:
a grid of max(2000, round(20 / sigma)) // 2 + 1 nodes, evaluation at
max(round(10 / sigma), 200) points, 1e-4 added to the smoothed density, and
the bandwidth found by ten bisection steps on sigma < smECE(sigma) (sigma =
1 if that already holds there; sigma below ``eps`` = 0.001 counts as found).
"""
from __future__ import annotations

import functools
import math

import numpy as np

from .._config import Kernel, map_threads, requested_backend
from .._state import Accumulator
from .._validation import (
    as_float_array,
    as_label_array,
    check_consistent_length,
    check_labels_in_range,
    check_not_empty,
    check_probabilities,
    check_sample_weight,
)
from ._layout import chunk_size

_SPLAT = Kernel(
    "smooth calibration grid",
    {"cython": "fastscore._cy.calibration:splat_chunk", "numba": "fastscore.calibration._numba:splat_chunk",
     "reference": "fastscore.calibration._reference:splat"},
)
_MOMENTS = Kernel(
    "smooth calibration moments",
    {"cython": "fastscore._cy.calibration:cell_moments", "reference": "fastscore.calibration._reference:cell_moments"},
)
_GRID_FROM_MOMENTS = Kernel(
    "smooth calibration grid from moments",
    {"cython": "fastscore._cy.calibration:grid_from_moments",
     "reference": "fastscore.calibration._reference:grid_from_moments"},
)
_INTERPOLATED_ECE = Kernel(
    "smooth ECE of a smoothed grid",
    {"cython": "fastscore._cy.calibration:interpolated_ece",
     "reference": "fastscore.calibration._reference:interpolated_ece"},
)
DENSITY_EPS = 1e-4
MIN_SIGMA = 1e-5  # the smallest bandwidth accepted: its grid has 10^6 nodes
SEARCH_EPS = 1e-3
SEARCH_STEPS = 10
# streaming state: the grid of every sigma >= 0.01, and a fine grid for smaller ones
BASE_GRID = 1001
FINE_GRID = 40001


def grid_size(sigma: float) -> int:
    """Nodes of the convolution grid for bandwidth sigma (relplot's rule)."""
    return max(2000, round(20 / sigma)) // 2 + 1


def _evaluation_points(sigma: float) -> int:
    return max(round(10 / sigma), 200)


def _check_sigma(sigma) -> float:
    if isinstance(sigma, (bool, np.bool_)) or not isinstance(sigma, (int, float, np.floating, np.integer)):
        raise TypeError(f"sigma must be a number in (0, 1], got {sigma!r}.")
    sigma = float(sigma)
    if not MIN_SIGMA <= sigma <= 1.0:
        raise ValueError(f"sigma must be in [{MIN_SIGMA}, 1], got {sigma}; it is a bandwidth on the probability "
                         f"scale (below {MIN_SIGMA} relplot's grid would need more than a million nodes).")
    return sigma


def splat_grid(confidence, outcome, weights, size: int, backend=None) -> np.ndarray:
    """(2, size) grid: linear splats of w (p - y) and of w (validated values)."""
    name, kernel = _SPLAT.resolve(backend)
    if name == "reference":
        grid, bad = kernel(confidence, outcome, weights, size)
    else:
        n = confidence.shape[0]
        step = chunk_size(n)
        n_chunks = max(1, -(-n // step))
        part = np.zeros((n_chunks, 2, size))
        bads = map_threads(
            lambda c: kernel(confidence, outcome, weights, size, c * step, min(n, (c + 1) * step), part[c]),
            range(n_chunks),
        )
        grid = part[0]
        for c in range(1, n_chunks):
            grid += part[c]
        bad = min([b for b in bads if b >= 0], default=-1)
    if bad >= 0:
        check_probabilities(confidence, "y_prob")  # names the first bad value at its own index
        raise ValueError(
            f"y_true holds {outcome[bad].item()!r} at index {bad}; binary labels must be 0 or 1 "
            f"(map your positive class to 1)."
        )
    return grid


def _interpolate(points, values):
    """Piecewise-linear function through (j / (len - 1), values[j]) at ``points`` (relplot's rule)."""
    last = values.shape[-1] - 1
    node = np.clip((points * last).astype(np.int64), 0, last - 1)
    weight = (points - node / last) * last
    return values[..., node] * (1 - weight) + values[..., node + 1] * weight


@functools.lru_cache(maxsize=256)
def next_fast_len(n: int) -> int:
    """The smallest 5-smooth number (2^a 3^b 5^c) >= n: ``scipy.fft.next_fast_len(n, real=True)``,
    a length the FFT factors well, without importing scipy."""
    best = 1 << max(int(n - 1).bit_length(), 0)  # the next power of two
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            # the smallest power of two that lifts power35 to n or more
            candidate = power35 << max(int(-(-n // power35) - 1).bit_length(), 0)
            best = min(best, candidate)
            power35 *= 3
        power5 *= 5
    return best


class _SmoothedGrid:
    """A splat grid with the FFTs of its reflected extension, reused for every sigma.

    relplot convolves the grid, reflected at 0 and 1 (so that no mass leaks out
    of [0, 1]), with the Gaussian sampled on all ``size`` nodes, by an FFT of the
    whole linear convolution (4 size - 3). Two shortcuts give the same outputs:
    a circular convolution of about 2.5 size, long enough that no wrapped term
    reaches the ``size`` outputs kept (the extension folded modulo its length);
    and, for a narrow kernel, only its taps within TAIL_SIGMAS standard deviations
    of the centre, on an extension that long: the taps left out are below 3e-18
    of the largest, under the rounding of the FFT itself.
    """

    TAIL_SIGMAS = 9.0
    REACH_STEP = 32  # reaches rounded up to a multiple: the bandwidths of one grid share a spectrum

    def __init__(self, grid: np.ndarray, backend=None):
        # the evaluations have Cython and reference kernels; backend="numba" evaluates in Cython
        self.backend = "reference" if requested_backend(backend) == "reference" else None
        self.grid = grid
        self.size = grid.shape[1]
        self.nodes = np.linspace(0.0, 1.0, self.size)
        self._spectra = {}  # reach (None: the whole kernel) -> (FFT length, spectrum of the extension)
        self._ece = {}

    def _reach(self, sigma: float):
        """Kernel taps kept on each side of the centre, or None for all of them."""
        reach = -(-math.ceil(self.TAIL_SIGMAS * sigma * (self.size - 1)) // self.REACH_STEP) * self.REACH_STEP
        return reach if 8 * reach <= self.size else None  # else the whole kernel costs about as much

    def _spectrum(self, reach):
        if reach not in self._spectra:
            grid, size = self.grid, self.size
            if reach is None:
                extended = np.concatenate([grid[:, ::-1][:, :-1], grid, grid[:, ::-1][:, 1:]], axis=1)
                # relplot keeps the outputs [first, first + size) of the linear convolution; a
                # circular one of length N equals it there when N >= first + size and
                # N >= 4 size - 3 - first
                first = size - 1 + size // 2
                n_fft = next_fast_len(max(first + size, 4 * size - 3 - first))
                folded = extended[:, :n_fft].copy()
                tail = extended[:, n_fft:]
                folded[:, :tail.shape[1]] += tail
            else:  # the grid with ``reach`` reflected nodes on each side: grid[r], ..., grid[1] on the left
                folded = np.concatenate([grid[:, reach:0:-1], grid, grid[:, size - 2:size - 2 - reach:-1]], axis=1)
                n_fft = next_fast_len(size + 4 * reach)  # the whole linear convolution: no wrapped term
            self._spectra[reach] = n_fft, np.fft.rfft(folded, n_fft, axis=1)
        return self._spectra[reach]

    def smoothed(self, sigma: float) -> np.ndarray:
        """(2, size): the grid convolved with the Gaussian of width sigma, at the grid's nodes."""
        size = self.size
        reach = self._reach(sigma)
        n_fft, spectrum = self._spectrum(reach)
        # relplot's kernel: the Gaussian at node - 0.5 for every node; its centre tap is size // 2
        taps = self.nodes if reach is None else self.nodes[size // 2 - reach:size // 2 + reach + 1]
        kernel = np.exp(-(taps - 0.5) ** 2 / (2 * sigma**2)) / (np.sqrt(2 * np.pi) * sigma)
        full = np.fft.irfft(spectrum * np.fft.rfft(kernel, n_fft), n_fft, axis=1)
        first = size - 1 + size // 2 if reach is None else 2 * reach
        return np.ascontiguousarray(full[:, first:first + size])

    def curve(self, sigma: float, points: np.ndarray):
        """Smoothed (residual, density) at ``points``; E[p - y | p = t] = residual / density."""
        residual, density = _interpolate(points, self.smoothed(sigma))
        return residual, density + DENSITY_EPS

    def ece(self, sigma: float) -> float:
        # memoized: the bandwidth search ends on a sigma it has evaluated (relplot evaluates it again)
        if sigma not in self._ece:
            _, interpolated_ece = _INTERPOLATED_ECE.resolve(self.backend)
            self._ece[sigma] = float(interpolated_ece(self.smoothed(sigma), _evaluation_points(sigma), DENSITY_EPS))
        return self._ece[sigma]


def smooth_ece_from_grid(grid: np.ndarray, sigma: float, backend=None) -> float:
    """Smooth ECE at bandwidth sigma from a (2, grid_size(sigma)) splat grid."""
    return _SmoothedGrid(grid, backend).ece(sigma)


def _grid_cache(make_grid, make_moments=None, backend=None):
    """sigma -> the _SmoothedGrid of its grid size, built once per size by make_grid(size).

    With ``make_moments`` (the bandwidth search), the first grid comes with
    :class:`_CellMoments`: one pass over the samples, from which the first grid
    (1001 nodes, every sigma >= 0.01) and six of the nine finer sizes the search
    can visit follow.
    """
    grids = {}
    moments = []

    def smoothed(sigma):
        size = grid_size(sigma)
        if size not in grids:
            if make_moments is not None and not moments:
                moments.append(make_moments())
            grid = moments[0].grid(size) if moments else None
            grids[size] = _SmoothedGrid(make_grid(size, sigma) if grid is None else grid, backend)
        return grids[size]

    return smoothed


class _CellMoments:
    """Splat grids of several sizes from one pass over the samples.

    Within a cell [k h, (k + 1) h) of a grid (h = 1 / (size - 1)) the linear
    splat gives node k the sum of w (p - y) ((k + 1) - p / h) and node k + 1
    that of w (p - y) (p / h - k): linear in the sums of w (p - y) and of
    w (p - y) p over the cell's samples (likewise for the weights). One pass
    adds these four moments over three partitions of [0, 1], into 1000, 10240
    and 3413 cells; a grid whose size - 1 divides one of them is the sum of its
    cells' moments. relplot's bandwidth search then reads the samples once for
    its first grid (1001 nodes) and its grids of 1025, 1281, 2049, 2561, 3414
    and 5121 nodes (the path of well-calibrated data from about 10^6 samples
    on), and once more for each other size it visits (1139, 1464 or 1707 nodes,
    at most two of them). Miscalibrated data, whose search ends on the first
    grid, pays for the finer partitions (four vector adds per sample) to spare
    the well-calibrated a second pass. The splat is continuous in p, so a sample
    within rounding of a cell edge moves a grid by rounding only (the grids
    equal the direct splat to about 1e-12 relative).
    """

    CELLS = (1000, 10240, 3413)
    CHUNKS = 4  # a fixed number of chunks (each with its own sums): the sums do not depend on the threads

    def __init__(self, confidence, outcome, weights, backend=None):
        self.backend = backend
        name, kernel = _MOMENTS.resolve(backend)
        if name == "reference":
            self.moments, bad = kernel(confidence, outcome, weights, self.CELLS)
        else:
            n = confidence.shape[0]
            step = max(-(-n // self.CHUNKS), 1)
            n_chunks = max(1, -(-n // step))
            parts = [[np.zeros((cells, 4)) for cells in self.CELLS] for _ in range(n_chunks)]
            bads = map_threads(lambda c: kernel(confidence, outcome, weights, c * step, min(n, (c + 1) * step),
                                                *parts[c]), range(n_chunks))
            self.moments = parts[0]
            for part in parts[1:]:  # in chunk order
                for total, added in zip(self.moments, part):
                    total += added
            bad = min([b for b in bads if b >= 0], default=-1)
        if bad >= 0:
            check_probabilities(confidence, "y_prob")
            raise ValueError(f"y_true holds {outcome[bad].item()!r} at index {bad}; binary labels must be 0 or 1 "
                             f"(map your positive class to 1).")

    def grid(self, size: int):
        """The (2, size) grid of ``splat_grid``, or None when no partition refines its cells."""
        for cells, moments in zip(self.CELLS, self.moments):
            if cells % (size - 1) == 0:
                _, grid_from_moments = _GRID_FROM_MOMENTS.resolve(self.backend)
                return grid_from_moments(moments, size)
        return None


def _bandwidth(smoothed, sigma) -> float:
    """The given sigma (checked), or relplot's search on the cached grids."""
    if sigma is None:
        return search_sigma(lambda value: smoothed(value).ece(value))
    return _check_sigma(sigma)


def search_sigma(ece_at) -> float:
    """relplot's bandwidth search: the fixed point of sigma = smECE(sigma), by bisection."""
    def found(sigma):
        return sigma < SEARCH_EPS or sigma < ece_at(sigma)

    if found(1.0):
        return 1.0
    start, end = 1.0, 0.0
    for _ in range(SEARCH_STEPS):
        middle = (start + end) / 2
        if found(middle):
            end = middle
        else:
            start = middle
    return start


def _confidence_and_outcome(y_true, y_prob, sum_tol):
    """Binary: (p, y). Multiclass: top-label (max probability, 1[argmax = y])."""
    if y_prob.ndim == 1:
        return y_prob, y_true
    check_probabilities(y_prob, "y_prob", sum_tol=sum_tol)
    check_labels_in_range(y_true, "y_true", y_prob.shape[1])
    return y_prob.max(axis=1), (np.argmax(y_prob, axis=1) == y_true).astype(np.int8)


def _prepare(y_true, y_prob, sample_weight, sum_tol):
    y_prob = as_float_array(y_prob, "y_prob", ndim=(1, 2))
    y_true = as_label_array(y_true, "y_true")
    n = check_consistent_length(y_true=y_true, y_prob=y_prob)
    check_not_empty(y_prob, "y_prob")
    weights = check_sample_weight(sample_weight, n)
    if weights is not None and not weights.any():
        raise ValueError("every sample_weight is 0, so the smooth ECE is undefined; give some sample a positive "
                         "weight.")
    confidence, outcome = _confidence_and_outcome(y_true, y_prob, sum_tol)
    return np.ascontiguousarray(confidence), np.ascontiguousarray(outcome), weights


def smooth_ece(y_true, y_prob, *, sigma=None, return_sigma=False, sample_weight=None, sum_tol=1e-4, ci=None,
               n_boot=200, seed=None, mode="auto", backend=None):
    """Smooth ECE of Blasiok & Nakkiran (2023), as ``relplot.smECE``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0/1 outcomes, or class ids for multiclass ``y_prob``.
    y_prob : array-like of shape (n,) or (n, k)
        Positive-class probabilities, or class probabilities (top-label
        confidence calibration: the largest probability against correctness).
    sigma : float in (0, 1], optional
        Kernel bandwidth; default: relplot's fixed-point search (``smECE``).
        Given, the value equals ``relplot.smECE_sigma(f, y, sigma)``.
    return_sigma : bool, default=False
        Also return the bandwidth used.
    sample_weight : array-like of shape (n,), optional
        Weights (counts): an integer weight equals repeating the sample.
    ci, n_boot, seed
        With ``ci`` (e.g. 0.95) the result is ``(value, (low, high))``: a
        Poisson-bootstrap percentile interval, the bandwidth searched again
        in every replicate unless ``sigma`` is given.
    mode : {"auto", "binary", "top-label", "classwise"}, default="auto"
        "auto": binary for 1-D ``y_prob``, top-label for 2-D. "classwise":
        the mean over classes of each class's smooth ECE (each with its own
        bandwidth; ``return_sigma`` then gives the list of bandwidths).

    Returns
    -------
    float, or (float, float) with ``return_sigma``

    Examples
    --------
    >>> from fastscore.calibration import smooth_ece
    >>> value, sigma = smooth_ece([0, 1, 1, 0, 1], [0.1, 0.9, 0.6, 0.4, 0.7], return_sigma=True)
    >>> round(value, 4), sigma
    (0.1628, 0.1630859375)
    """
    if ci is not None:
        if return_sigma or sample_weight is not None:
            raise ValueError("ci cannot be combined with return_sigma or sample_weight; call smooth_ece twice.")
        from .bootstrap import poisson_bootstrap

        return poisson_bootstrap(smooth_ece, y_true, y_prob, ci, n_boot, seed, sigma=sigma, sum_tol=sum_tol,
                                 mode=mode, backend=backend)
    if mode not in ("auto", "binary", "top-label", "classwise"):
        raise ValueError(f"mode={mode!r} is not supported; use 'auto', 'binary', 'top-label' or 'classwise'.")
    if mode == "classwise":
        from .sorted import _columns

        _, columns = _columns(y_true, y_prob, "classwise", sum_tol)
        results = [smooth_ece(labels, probs, sigma=sigma, return_sigma=True, backend=backend,
                              sample_weight=sample_weight) for probs, labels in columns]
        value = float(np.mean([r[0] for r in results]))
        return (value, [r[1] for r in results]) if return_sigma else value
    if mode != "auto" and (mode == "binary") != (np.ndim(y_prob) == 1):
        raise ValueError(f"mode={mode!r} does not fit y_prob of {np.ndim(y_prob)} dimension(s); binary takes (n,), "
                         f"top-label (n, k).")
    confidence, outcome, weights = _prepare(y_true, y_prob, sample_weight, sum_tol)
    smoothed = _grid_cache(lambda size, _: splat_grid(confidence, outcome, weights, size, backend),
                           None if sigma is not None or requested_backend(backend) == "numba" else
                           lambda: _CellMoments(confidence, outcome, weights, backend), backend)
    sigma = _bandwidth(smoothed, sigma)
    value = smoothed(sigma).ece(sigma)
    return (value, sigma) if return_sigma else value


def smooth_calibration_curve(y_true, y_prob, *, sigma=None, points=200, sample_weight=None, sum_tol=1e-4,
                             backend=None):
    """The kernel-smoothed calibration curve behind :func:`smooth_ece`.

    Returns
    -------
    t : ndarray of shape (points,)
        Evaluation points on [0, 1].
    outcome : ndarray
        Smoothed mean outcome E[y | p = t] (relplot's curve).
    density : ndarray
        Smoothed density of the predictions at t (its scale: sample weight).
    sigma : float
        The bandwidth (searched as in :func:`smooth_ece` unless given).

    Examples
    --------
    >>> from fastscore.calibration.smooth import smooth_calibration_curve
    >>> t, outcome, density, sigma = smooth_calibration_curve([0, 1, 1, 0, 1], [0.1, 0.9, 0.6, 0.4, 0.7])
    >>> t.shape, round(sigma, 4)
    ((200,), 0.1631)
    """
    confidence, outcome, weights = _prepare(y_true, y_prob, sample_weight, sum_tol)
    smoothed = _grid_cache(lambda size, _: splat_grid(confidence, outcome, weights, size, backend),
                           None if sigma is not None or requested_backend(backend) == "numba" else
                           lambda: _CellMoments(confidence, outcome, weights, backend), backend)
    sigma = _bandwidth(smoothed, sigma)
    t = np.linspace(0.0, 1.0, check_points(points))
    residual, density = smoothed(sigma).curve(sigma, t)
    return t, t - residual / density, density, sigma


def check_points(points) -> int:
    from .._validation import check_positive_int

    return check_positive_int(points, "points", minimum=2)


class SmoothCalibration(Accumulator):
    """Streaming, mergeable state of the smooth ECE: splat grids, not samples.

    The state holds the grid on which every bandwidth sigma >= 0.01 is
    computed exactly as :func:`smooth_ece` does (1,001 nodes), and a 40,001
    node grid for smaller bandwidths. For those, the fine grid's nodes are
    re-splatted onto the bandwidth's grid, which moves each sample by at most
    1/40,000 before smoothing: an approximation (relative error below 1e-5
    in the tests), where :func:`smooth_ece` on all the data is exact.

    Examples
    --------
    >>> from fastscore.calibration import SmoothCalibration
    >>> state = SmoothCalibration().update([0, 1, 1], [0.1, 0.9, 0.6]).update([0, 1], [0.4, 0.7])
    >>> round(state.compute(), 4)
    0.1628
    """

    _params = ()
    _sums = ("base", "fine", "n_samples")

    def __init__(self, *, sum_tol=1e-4, backend=None):
        self.sum_tol = sum_tol
        self.backend = backend
        self.reset()

    def _initial_state(self):
        return {"base": np.zeros((2, BASE_GRID)), "fine": np.zeros((2, FINE_GRID)), "n_samples": 0}

    def update(self, y_true, y_prob, *, sample_weight=None):
        """Add a batch of predictions; returns ``self``."""
        confidence, outcome, weights = _prepare(y_true, y_prob, sample_weight, self.sum_tol)
        self.base = self.base + splat_grid(confidence, outcome, weights, BASE_GRID, self.backend)
        self.fine = self.fine + splat_grid(confidence, outcome, weights, FINE_GRID, self.backend)
        self.n_samples += confidence.shape[0]
        return self

    def _grid(self, sigma):
        size = grid_size(sigma)
        if size == BASE_GRID:
            return self.base
        nodes = np.linspace(0.0, 1.0, FINE_GRID)
        scaled = nodes * (size - 1)
        node = np.minimum(scaled.astype(np.int64), size - 2)
        frac = scaled - node
        grid = np.zeros((2, size))
        for row in range(2):
            np.add.at(grid[row], node, (1 - frac) * self.fine[row])
            np.add.at(grid[row], node + 1, frac * self.fine[row])
        return grid

    def compute(self, sigma=None, *, return_sigma=False):
        """Smooth ECE of everything seen so far (bandwidth searched unless given)."""
        if self.n_samples == 0:
            raise ValueError("no samples were added; call update() with at least one sample before compute().")
        smoothed = _grid_cache(lambda _, value: self._grid(value))
        sigma = _bandwidth(smoothed, sigma)
        value = smoothed(sigma).ece(sigma)
        return (value, sigma) if return_sigma else value
