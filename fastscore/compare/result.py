"""The result of every comparison: one row per metric, with its interval, test, adjusted p and verdict."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

VERDICTS = ("regression", "improvement", "no significant change", "equivalent")


@dataclass(frozen=True)
class MetricComparison:
    """One metric of a comparison (see :class:`Comparison`)."""

    metric: str
    higher_is_better: bool
    baseline: float
    candidate: float
    delta: float  # candidate - baseline
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    p_mc_se: float  # Monte-Carlo standard error of p_value (0 for an exact test)
    test: str
    verdict: str


def resolution_note(n_boot: int, family_size: int, alpha: float, family: str, one_sided: bool) -> str | None:
    """A note when no member of a Holm family can pass alpha: a bootstrap p is at least
    1/(B+1) one-sided (2/(B+1) two-sided), and Holm multiplies the smallest by the family's size."""
    floor = (1.0 if one_sided else 2.0) / (n_boot + 1)
    if family_size < 2 or floor * family_size < alpha:
        return None
    needed = math.ceil((1.0 if one_sided else 2.0) * family_size / alpha)
    return (f"{family}: Holm over {family_size} metrics; with {n_boot} replicates the smallest adjusted p is "
            f"{min(1.0, floor * family_size):.3g} >= {alpha:g}, so none of them can be significant "
            f"(n_boot >= {needed:,} can).")


def adjust_p_values(p, correction: str = "holm") -> np.ndarray:
    """Multiplicity-adjusted p-values: Holm's step-down (family-wise error), Benjamini-Hochberg's
    step-up (false discovery rate) or none.

    Examples
    --------
    >>> from fastscore.compare import adjust_p_values
    >>> adjust_p_values([0.01, 0.04, 0.03], "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_p_values([0.01, 0.04, 0.03], "bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(p, dtype=np.float64).reshape(-1)
    if p.size and (np.isnan(p).any() or p.min() < 0 or p.max() > 1):
        raise ValueError(f"p-values must lie in [0, 1], got {p.tolist()}.")
    m = p.size
    if correction in (None, "none"):
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if correction == "holm":
        adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * ranked))
    elif correction in ("bh", "fdr_bh", "benjamini-hochberg"):
        adjusted = np.minimum.accumulate(np.minimum(1.0, m * ranked / np.arange(1, m + 1))[::-1])[::-1]
    else:
        raise ValueError(f"correction must be 'holm', 'bh' or 'none', got {correction!r}.")
    out = np.empty(m)
    out[order] = adjusted
    return out


def verdict(delta, ci_low, ci_high, p_adjusted, alpha, higher_is_better, margin) -> str:
    """regression / improvement / no significant change / equivalent (see :class:`Comparison`)."""
    sign = 1.0 if higher_is_better else -1.0
    low, high = sorted((sign * ci_low, sign * ci_high))  # in "better is positive" units
    if margin is None:
        if p_adjusted < alpha:
            return "improvement" if sign * delta > 0 else "regression"
        return "no significant change"
    if p_adjusted < alpha:  # worse by more than the margin
        return "regression"
    if -margin <= low and high <= margin:
        return "equivalent"
    if low > 0:
        return "improvement"
    return "no significant change"


@dataclass(frozen=True)
class Comparison:
    """A comparison of a candidate with a baseline: one :class:`MetricComparison` per metric.

    ``delta`` is candidate - baseline in the metric's own units; its interval is
    the ``ci`` percentile interval of the paired replicates. Without a margin,
    ``p_value`` tests delta = 0 (two-sided) and a metric is a ``regression`` or
    an ``improvement`` when its adjusted p is below 1 - ci, in the direction
    the metric calls better. With ``margin`` (in the metric's units, >= 0) the
    question is "is the candidate worse by more than margin?": ``p_value`` is
    the one-sided test of that (small: a regression), and a metric whose whole
    interval lies within +-margin is ``equivalent``.
    """

    rows: tuple
    method: str
    n_boot: int
    ci: float
    margin: float | None
    correction: str
    seed: object
    resample: str
    details: dict = field(default_factory=dict, compare=False)
    notes: tuple = ()  # printed under the table (e.g. what the replicates cannot resolve)

    @property
    def alpha(self) -> float:
        return 1.0 - self.ci

    @property
    def regressions(self) -> list:
        """Names of the metrics judged a regression."""
        return [r.metric for r in self.rows if r.verdict == "regression"]

    @property
    def exit_code(self) -> int:
        """0 without a regression, 1 with one (for CI jobs)."""
        return 1 if self.regressions else 0

    def __getitem__(self, metric: str) -> MetricComparison:
        for row in self.rows:
            if row.metric == metric:
                return row
        raise KeyError(f"no metric {metric!r}; metrics: {[r.metric for r in self.rows]}")

    def to_dict(self) -> dict:
        """The settings and one dict per metric (for JSON)."""
        return {"method": self.method, "n_boot": self.n_boot, "ci": self.ci, "margin": self.margin,
                "correction": self.correction, "seed": self.seed, "resample": self.resample,
                "notes": list(self.notes), "metrics": [{k: (float(v) if isinstance(v, (np.floating, float)) else v) for k, v in asdict(r).items()}
                            for r in self.rows]}

    def to_pandas(self):
        """One row per metric as a pandas DataFrame (pandas needed)."""
        import pandas as pd

        return pd.DataFrame([asdict(r) for r in self.rows]).set_index("metric")

    def summary(self) -> str:
        """A plain-text table: metric, baseline, candidate, delta [interval], p, adjusted p, verdict."""
        header = ("metric", "baseline", "candidate", "delta", f"{self.ci:.0%} interval", "p", "p adj", "verdict")
        lines = [[r.metric, f"{r.baseline:.4g}", f"{r.candidate:.4g}", f"{r.delta:+.4g}",
                  f"[{r.ci_low:+.4g}, {r.ci_high:+.4g}]", f"{r.p_value:.3g}", f"{r.p_adjusted:.3g}", r.verdict]
                 for r in self.rows]
        widths = [max(len(h), *(len(row[i]) for row in lines)) if lines else len(h) for i, h in enumerate(header)]
        out = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
        out += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in lines]
        margin = "" if self.margin is None else f", margin {self.margin:g}"
        out.append(f"({self.method}, {self.n_boot} replicates, {self.correction} correction{margin})")
        out += [f"note: {note}" for note in self.notes]
        return "\n".join(out)

    def plot(self, path=None, ax=None):
        """A forest plot: delta and its interval per metric, the margin shaded (matplotlib needed).
        Saves to ``path`` when given; returns the axes."""
        import matplotlib

        if ax is None and path is not None:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.45 * max(len(self.rows), 2) + 1.2))
        colors = {"regression": "tab:red", "improvement": "tab:green", "equivalent": "tab:blue",
                  "no significant change": "tab:gray"}
        for i, r in enumerate(self.rows):
            ax.plot([r.ci_low, r.ci_high], [i, i], color=colors[r.verdict], lw=2)
            ax.plot([r.delta], [i], "o", color=colors[r.verdict])
        if self.margin is not None:
            ax.axvspan(-self.margin, self.margin, color="tab:blue", alpha=0.1, label=f"margin +-{self.margin:g}")
            ax.legend(loc="best", fontsize=8)
        ax.axvline(0.0, color="black", lw=0.8)
        ax.set_yticks(range(len(self.rows)), [f"{r.metric} ({r.verdict})" for r in self.rows])
        ax.invert_yaxis()
        ax.set_xlabel(f"candidate - baseline ({self.ci:.0%} interval)")
        if path is not None:
            ax.figure.tight_layout()
            ax.figure.savefig(path, dpi=120)
        return ax
