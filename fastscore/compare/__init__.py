"""Comparison: is the candidate model worse than the baseline? Paired intervals, tests and verdicts.

``compare_scores`` compares per-example scores (any metric, 0/1 correctness),
``compare_calibration`` calibration errors, ``compare_detections`` the COCO
summary and per-class AP, ``compare_ratings`` (and ``Leaderboard.compare``)
leaderboard ratings, ``compare_vendi`` diversity; every comparison returns a
:class:`Comparison` (one row per metric: both values, delta, its interval, the
test's p, the multiplicity-adjusted p, a verdict). The replicates of all
metrics share one resampling (see ``fastscore.compare.resampling``), so
comparisons are paired and joint. ``ScoresComparison``,
``CalibrationComparison`` and ``DetectionComparison`` are the same comparisons
as accumulators (shards, ``fastscore.dask``).
"""
import importlib

_WHERE = {
    "CalibrationComparison": "calibration",
    "Comparison": "result",
    "DetectionComparison": "detection",
    "ScoresComparison": "scores",
    "MetricComparison": "result",
    "adjust_p_values": "result",
    "compare_calibration": "calibration",
    "compare_detections": "detection",
    "compare_scores": "scores",
    "compare_vendi": "diversity",
    "compare_ratings": "ratings",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
