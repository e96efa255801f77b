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


def calibration_sample_path() -> str:
    """Path of the bundled ``calibration_digits.npz`` (``y_true``, ``naive_bayes``, ``logistic``),
    for commands such as ``fastscore compare calibration``.

    Examples
    --------
    >>> from fastscore.datasets import calibration_sample_path
    >>> calibration_sample_path().endswith("calibration_digits.npz")
    True
    """
    return str(resources.files(__package__).joinpath("calibration_digits.npz"))


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


def coco_sample_paths(kind: str = "bbox") -> tuple[str, str]:
    """Paths of the bundled COCO sample: (ground-truth JSON, results JSON).

    100 COCO val2014 images with their 839 annotations (polygons, and RLE for the
    crowds), and the COCO API's example results for them (see README.md in this
    folder): bounding boxes (``kind="bbox"``, 734 detections) or segmentation
    masks as compressed RLE (``kind="segm"``, 734 detections).

    Examples
    --------
    >>> from fastscore.datasets import coco_sample_paths
    >>> gt_file, dt_file = coco_sample_paths()
    >>> gt_file.endswith("instances_val2014_100.json")
    True
    >>> coco_sample_paths("segm")[1].endswith("instances_val2014_fakesegm100_results.json")
    True
    """
    results = {"bbox": "instances_val2014_fakebbox100_results.json",
               "segm": "instances_val2014_fakesegm100_results.json"}
    if kind not in results:
        raise ValueError(f"kind must be 'bbox' or 'segm', got {kind!r}.")
    folder = resources.files(__package__)
    return str(folder.joinpath("instances_val2014_100.json")), str(folder.joinpath(results[kind]))


def load_tac08() -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """TAC 2008 instance-level scores (see README.md in this folder).

    Returns
    -------
    systems : ndarray of int, (48,)
    utterances : ndarray of str, (62,)
    metrics : list of str, the 15 score columns (human judgements H:pyr and
        H:resp first, then the automatic metrics)
    scores : ndarray of float, (48, 62, 15): system x utterance x metric

    Examples
    --------
    >>> from fastscore.datasets import load_tac08
    >>> systems, utterances, metrics, scores = load_tac08()
    >>> scores.shape, metrics[:3]
    ((48, 62, 15), ['H:pyr', 'H:resp', 'S3_pyr'])
    """
    import csv
    import io

    text = resources.files(__package__).joinpath("tac08.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    metrics = header[2:]
    systems = sorted({int(row[0]) for row in body})
    utterances = sorted({row[1] for row in body}, key=lambda u: (len(u), u))
    s_index = {s: i for i, s in enumerate(systems)}
    u_index = {u: i for i, u in enumerate(utterances)}
    scores = np.full((len(systems), len(utterances), len(metrics)), np.nan)
    for row in body:
        scores[s_index[int(row[0])], u_index[row[1]]] = [float(v) for v in row[2:]]
    return np.array(systems), np.array(utterances), metrics, scores
