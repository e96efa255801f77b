"""Reliability diagrams (needs matplotlib: ``pip install 'fastscore[plot]'``)."""
from __future__ import annotations

import numpy as np

from .binned import calibration_report
from .smooth import smooth_calibration_curve, smooth_ece


def _pyplot():
    try:
        import matplotlib

        if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
            import os

            if not os.environ.get("DISPLAY"):
                matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("reliability diagrams need matplotlib: pip install 'fastscore[plot]'") from exc
    return plt


def reliability_diagram(y_true, y_prob, *, n_bins=15, mode="auto", closed="left", smooth=True, n_boot=50,
                        ci=0.95, seed=0, ax=None, title=None):
    """Binned reliability diagram with the smooth calibration curve and its bootstrap band.

    Bars: the mean outcome of each bin (top-label accuracy for multiclass
    input), drawn over the bin's width, with the mean confidence marked and
    the per-bin sample share underneath; the diagonal is perfect
    calibration. The smooth curve is the kernel-smoothed calibration
    function of :func:`smooth_ece` at its bandwidth, with a ``ci`` band from
    ``n_boot`` Poisson-bootstrap replicates (``n_boot=0``: no band). The
    legend gives ECE and smECE.

    Parameters
    ----------
    y_true, y_prob, n_bins, mode, closed
        As :func:`calibration_report` (mode "binary" or "top-label").
    smooth : bool, default=True
    n_boot : int, default=50
    ci : float, default=0.95
    seed : int, default=0
    ax : matplotlib Axes, optional
        Draw there; default: a new figure.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from fastscore.calibration import reliability_diagram
    >>> fig = reliability_diagram([0, 1, 1, 0, 1], [0.1, 0.9, 0.6, 0.4, 0.7], n_boot=10)
    >>> fig.savefig("reliability.png")  # doctest: +SKIP
    """
    if not 0 < ci < 1:
        raise ValueError(f"ci must be in (0, 1), got {ci!r}.")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(f"n_boot must be an integer >= 0, got {n_boot!r}.")
    report = calibration_report(y_true, y_prob, n_bins=n_bins, mode=mode, closed=closed)
    if report.mode == "classwise":
        raise ValueError("mode='classwise' has one diagram per class; draw them one class at a time (binary mode).")
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 5.5))
    else:
        fig = ax.figure
    edges = report.edges
    centers, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    nonempty = report.bin_counts > 0
    ax.bar(centers[nonempty], report.bin_outcome[nonempty], width=widths[nonempty], color="#9ecae1",
           edgecolor="#3182bd", linewidth=0.8, label=f"binned (ECE {report.ece:.4f})")
    ax.scatter(report.bin_confidence[nonempty], report.bin_outcome[nonempty], s=12, color="#08519c", zorder=3,
               label="bin mean confidence")
    share = report.bin_counts / report.bin_counts.sum()
    ax.bar(centers, -0.12 * share / share.max(), width=widths, color="#bdbdbd", label="share of samples")
    ax.plot([0, 1], [0, 1], color="black", linestyle="--", linewidth=1, label="perfect calibration")
    if smooth:
        value, sigma = smooth_ece(y_true, y_prob, return_sigma=True)
        t, curve, density, _ = smooth_calibration_curve(y_true, y_prob, sigma=sigma)
        # where (almost) no prediction lies, the smoothed ratio is noise: do not draw it
        supported = density >= 1e-3 * density.max()
        curve = np.where(supported, curve, np.nan)
        if n_boot:
            rng = np.random.default_rng(seed)
            n = report.n_samples
            replicates = np.array([
                smooth_calibration_curve(y_true, y_prob, sigma=sigma, sample_weight=rng.poisson(1.0, size=n))[1]
                for _ in range(n_boot)
            ])
            low, high = np.quantile(replicates, [(1 - ci) / 2, (1 + ci) / 2], axis=0)
            ax.fill_between(t, low, high, where=supported, color="#fc9272", alpha=0.4, linewidth=0,
                            label=f"{ci:.0%} bootstrap band ({n_boot})")
        ax.plot(t, curve, color="#de2d26", linewidth=2, label=f"smooth (smECE {value:.4f}, sigma {sigma:.3f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.13, 1.02)
    ax.set_xlabel("predicted probability" if report.mode == "binary" else "top-label confidence")
    ax.set_ylabel("observed frequency" if report.mode == "binary" else "accuracy")
    ax.set_title(title or f"reliability diagram ({report.n_samples} samples)")
    ax.legend(loc="upper left", fontsize=8)
    return fig
