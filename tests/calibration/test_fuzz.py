"""Generated bad input for every public calibration entry point (see tests/fuzz_harness.py)."""
import numpy as np

import fuzz_harness as fuzz
from fastscore.calibration import (BinnedCalibration, ace, adaptive_ece, balance_score, brier_score,
                                   calibration_report, debiased_ece, ece, kde_ece, ks_error, mce, mmce, rmsce,
                                   smooth_ece, sorted_estimates)

rng = np.random.default_rng(7)
P = rng.random(40)
Y = (rng.random(40) < P).astype(np.int64)
logits = rng.normal(size=(30, 4))
PROBS = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
LABELS = rng.integers(0, 4, 30)
WEIGHTS = rng.gamma(1.0, size=40)


def state_update(y_true, y_prob, sample_weight=None, mode="binary"):
    return BinnedCalibration(mode=mode).update(y_true, y_prob, sample_weight=sample_weight).compute()


def report_numbers(report):
    """The numbers of a report (its per-bin arrays hold NaN for empty bins, as documented)."""
    if not hasattr(report, "ece"):
        return report
    return [report.ece, report.mce, report.rmsce, report.brier, report.balance, report.accuracy]


def cases():
    out = []
    binary = [("ece", ece, True), ("mce", mce, True), ("rmsce", rmsce, True), ("brier", brier_score, False),
              ("balance", balance_score, False), ("report", calibration_report, True),
              ("smooth_ece", smooth_ece, True), ("adaptive_ece", adaptive_ece, False), ("ks_error", ks_error, False),
              ("mmce", mmce, True), ("sorted_estimates", sorted_estimates, True), ("kde_ece", kde_ece, True),
              ("debiased_ece", debiased_ece, False), ("ace", ace, False)]
    for name, function, backends in binary:
        kwargs = {"y_true": Y, "y_prob": P}
        out.append(fuzz.Case(f"{name} y_prob", function, kwargs, "y_prob", backends=backends, tolerance=1e-7,
                             summary=report_numbers))
        out.append(fuzz.Case(f"{name} y_true", function, kwargs, "y_true", backends=backends, integer=True,
                             tolerance=1e-7, summary=report_numbers))
        multi = {"y_true": LABELS, "y_prob": PROBS}
        out.append(fuzz.Case(f"{name} multiclass y_prob", function, multi, "y_prob", backends=backends,
                             tolerance=1e-7, summary=report_numbers))
    for name, function in (("ece", ece), ("report", calibration_report), ("smooth_ece", smooth_ece),
                           ("state", state_update)):
        kwargs = {"y_true": Y, "y_prob": P, "sample_weight": WEIGHTS}
        out.append(fuzz.Case(f"{name} sample_weight", function, kwargs, "sample_weight", huge_valid=True,
                             summary=report_numbers))
    out.append(fuzz.Case("state classwise y_prob", state_update,
                         {"y_true": LABELS, "y_prob": PROBS, "mode": "classwise"}, "y_prob", summary=report_numbers))
    out.append(fuzz.Case("state top-label y_true", state_update,
                         {"y_true": LABELS, "y_prob": PROBS, "mode": "top-label"}, "y_true", integer=True,
                         summary=report_numbers))
    return out


test_every_class_at_every_position, test_generated_inputs = fuzz.make_tests(cases(), refused=1500, ok=350)
