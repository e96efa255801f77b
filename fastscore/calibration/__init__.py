"""Calibration metrics: binned ECE/MCE/RMSCE, Brier and its decomposition, Balance score."""
from .binned import (
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

__all__ = [
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
]
