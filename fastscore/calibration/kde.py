"""KDE-ECE of Zhang, Kailkhura & Han (2020), "Mix-n-Match".

The calibration function is estimated with kernel density estimates,
acc(x) = min(f_correct(x) * n_correct / n / f(x), 1), and the error is
int_0^1 |x - acc(x)|^order f(x) dx / int_0^1 f(x) dx, with:

- a triweight kernel whose standard deviation is the bandwidth (as KDEpy);
- the bandwidth rule of the authors' code: the standard deviation of the
  confidences of the correct predictions times (2 n)^(-1/5);
- boundary reflection: a point below 1/2 is mirrored about 0, a point at or
  above 1/2 about 1, and the density on [0, 1] doubled;
- the integrals by the trapezoid rule on ``grid`` evenly spaced points of
  [0, 1] (the authors integrate the part of a 2^14-point grid of
  [-0.6, 1.6] inside [0, 1], about 7,450 points, and evaluate the KDE by
  binning and FFT; here the kernel sums are exact).

Where the density estimate vanishes (< 1e-6) the integrand is 0 (the
authors' code carries the previous value there).
"""
from __future__ import annotations

import numpy as np

from .._config import Kernel
from .._validation import check_positive_int
from .sorted import _columns

_SUMS = Kernel(
    "KDE-ECE kernel sums",
    {"cython": "fastscore._cy.calibration:triweight_sums", "numba": "fastscore.calibration._numba:triweight_sums",
     "reference": "fastscore.calibration._reference:triweight_sums"},
)


def _trapezoid(values, x):
    return float(np.sum((values[1:] + values[:-1]) * np.diff(x)) / 2.0)


def _kde_ece_1d(probs, labels, order, bandwidth, grid, sums):
    n = probs.size
    positive = labels == 1
    if bandwidth is None:
        spread = float(np.std(probs[positive])) if positive.any() else 0.0
        bandwidth = spread * (2 * n) ** -0.2
        if not bandwidth > 0:
            raise ValueError(
                "the bandwidth rule (std of the correct predictions' confidences x (2n)^-1/5) gives 0 here "
                "(fewer than two distinct confidences among correct predictions); pass bandwidth=."
            )
    mirrored = np.where(probs < 0.5, -probs, 2.0 - probs)
    points = np.concatenate([probs, mirrored])
    is_positive = np.concatenate([positive, positive])
    order_ = np.argsort(points, kind="stable")
    x = np.linspace(0.0, 1.0, grid)
    total, on_positive = sums(np.ascontiguousarray(points[order_]),
                              np.ascontiguousarray(is_positive[order_]).view(np.uint8), x, float(bandwidth))
    density = total / n  # (2 / 2n) sum over data and mirrors: the doubled density on [0, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.minimum(on_positive / total, 1.0)
    supported = density > 1e-6
    integrand = np.where(supported, np.abs(x - np.where(supported, accuracy, 0.0)) ** order * density, 0.0)
    return _trapezoid(integrand, x) / _trapezoid(density, x)


def kde_ece(y_true, y_prob, *, mode="auto", order=1, bandwidth=None, grid=8193, ci=None, n_boot=200, seed=None,
            backend=None):
    """KDE-based ECE of Zhang et al. (2020) (see the module docstring for the conventions).

    Parameters
    ----------
    y_true, y_prob
        As :func:`calibration_report`; multiclass input is scored on the top
        label (``mode="top-label"``) or per class and averaged ("classwise").
    order : int, default=1
        The power of |x - acc(x)| (1: ECE; 2: the squared L2 error).
    bandwidth : float, optional
        The kernel's standard deviation; default: the authors' rule.
    grid : int, default=8193
        Points of the trapezoid rule on [0, 1].
    ci, n_boot, seed
        With ``ci`` (e.g. 0.95) the result is ``(value, (low, high))``, a
        Poisson-bootstrap percentile interval (the bandwidth re-chosen in
        every replicate).

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.calibration import kde_ece
    >>> rng = np.random.default_rng(0)
    >>> p = rng.random(2000)
    >>> round(kde_ece(rng.random(2000) < p, p), 2)  # calibrated by construction
    0.02
    """
    if ci is not None:
        from .bootstrap import poisson_bootstrap

        return poisson_bootstrap(kde_ece, y_true, y_prob, ci, n_boot, seed, mode=mode, order=order,
                                 bandwidth=bandwidth, grid=grid, backend=backend)
    order = check_positive_int(order, "order")
    grid = check_positive_int(grid, "grid", minimum=3)
    if bandwidth is not None and not (isinstance(bandwidth, (int, float)) and 0 < bandwidth < 1):
        raise ValueError(f"bandwidth must be a number in (0, 1), got {bandwidth!r}.")
    _, columns = _columns(y_true, y_prob, mode)
    _, sums = _SUMS.resolve(backend)
    return float(np.mean([_kde_ece_1d(p, y, order, bandwidth, grid, sums) for p, y in columns]))
