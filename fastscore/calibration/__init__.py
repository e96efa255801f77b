"""Calibration metrics: binned ECE/MCE/RMSCE, Brier and its decomposition, Balance score, smooth ECE."""
from .binned import (
    ace,
    BinnedCalibration,
    BrierDecomposition,
    CalibrationReport,
    balance_score,
    brier_score,
    calibration_report,
    ece,
    mce,
    quantile_edges,
    rmsce,
    uniform_edges,
)
from .smooth import SmoothCalibration, smooth_ece
from .diagram import reliability_diagram
from .kde import kde_ece
from .sorted import adaptive_ece, debiased_ece, equal_mass_edges, ks_error, mmce, sorted_estimates

__all__ = [
    "ace",
    "BinnedCalibration",
    "BrierDecomposition",
    "CalibrationReport",
    "balance_score",
    "brier_score",
    "calibration_report",
    "ece",
    "mce",
    "quantile_edges",
    "rmsce",
    "uniform_edges",
    "SmoothCalibration",
    "smooth_ece",
    "adaptive_ece",
    "debiased_ece",
    "equal_mass_edges",
    "ks_error",
    "mmce",
    "reliability_diagram",
    "kde_ece",
    "sorted_estimates",
]
