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


def load_glue() -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    """The public GLUE leaderboard (see README.md in this folder).

    Returns
    -------
    systems : ndarray of str, (105,)
    tasks : list of str, the 14 task columns
    scores : ndarray of float, (105, 14)
    leaderboard_score : ndarray of float, (105,), the leaderboard's own average

    Examples
    --------
    >>> from fastscore.datasets import load_glue
    >>> systems, tasks, scores, average = load_glue()
    >>> scores.shape, tasks[:2]
    ((105, 14), ['CoLA', 'SST-2'])
    """
    import csv
    import io

    text = resources.files(__package__).joinpath("glue.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    systems = np.array([row[0].strip() for row in body])
    average = np.array([float(row[1]) for row in body])
    scores = np.array([[float(v) for v in row[2:]] for row in body])
    return systems, header[2:], scores, average


def coco_sample_paths() -> tuple[str, str]:
    """Paths of the bundled COCO sample: (ground-truth JSON, detections JSON).

    100 COCO val2014 images with their 839 annotations, and the COCO API's
    example bounding-box results for them (see README.md in this folder).

    Examples
    --------
    >>> from fastscore.datasets import coco_sample_paths
    >>> gt_file, dt_file = coco_sample_paths()
    >>> gt_file.endswith("instances_val2014_100.json")
    True
    """
    folder = resources.files(__package__)
    return (str(folder.joinpath("instances_val2014_100.json")),
            str(folder.joinpath("instances_val2014_fakebbox100_results.json")))
