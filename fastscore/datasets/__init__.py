"""Small real data sets shipped with fastscore (see README.md in this folder)."""
from __future__ import annotations

from importlib import resources

import numpy as np


def load_calibration_digits() -> dict[str, np.ndarray]:
    """Real predictions on the UCI digits test split.

    Returns
    -------
    dict
        ``y_true`` (899,) int64 digits; ``naive_bayes`` and ``logistic``,
        (899, 10) float32 class probabilities of two scikit-learn models.

    Examples
    --------
    >>> from fastscore.datasets import load_calibration_digits
    >>> data = load_calibration_digits()
    >>> data["naive_bayes"].shape
    (899, 10)
    """
    with resources.files(__package__).joinpath("calibration_digits.npz").open("rb") as handle:
        with np.load(handle) as archive:
            return {name: archive[name] for name in archive.files}
