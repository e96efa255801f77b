"""Keypoints for COCO evaluation (``iouType="keypoints"``): object keypoint similarity (OKS).

The OKS of a detection and a ground truth is pycocotools' ``computeOks``:
the mean over the ground truth's visible keypoints of
``exp(-d^2 / (2 * (2 sigma)^2 * (area + eps)))``; a ground truth with no
visible keypoint is compared by the distance of each detected keypoint to
its box doubled about the box (zero inside). The same float operations in
the same order, NumPy's ``exp`` and NumPy's pairwise summation, so the values
(and the evaluation) are bit-identical to pycocotools'.
"""
from __future__ import annotations

import numpy as np

from .._config import map_threads, n_threads
from .masks import compiled_kernel
from .segmentation import pair_start_of

# pycocotools' sigmas of COCO's 17 person keypoints (Params.kpt_oks_sigmas)
COCO_SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]) / 10.0

# keypoint evaluation's area ranges and labels (pycocotools' setKpParams)
KEYPOINT_AREA_RANGES = [[0 ** 2, 1e5 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
KEYPOINT_AREA_LABELS = ("all", "medium", "large")
_MAX_COORDINATE = 1e15


def _kernel(name: str, function: str):
    return compiled_kernel(name, function, "keypoints")


_TERM_COUNTS = _kernel("OKS term counts", "oks_term_counts")
_EXPONENTS = _kernel("OKS exponents", "oks_exponents")
_MEANS = _kernel("OKS means", "oks_means")


def check_sigmas(sigmas) -> np.ndarray:
    """Per-keypoint sigmas as a float64 array: finite and positive."""
    s = np.asarray(sigmas, dtype=np.float64).reshape(-1) if not isinstance(sigmas, np.ndarray) else sigmas
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"kpt_oks_sigmas must be a 1-D array of one sigma per keypoint, got shape {np.shape(s)}.")
    if not np.isfinite(s).all() or (s <= 0).any():
        raise ValueError(f"kpt_oks_sigmas must be finite and positive, got {s.tolist()}.")
    return s.astype(np.float64, copy=False)


def keypoint_array(rows, n_keypoints: int | None, *, labels, name: str) -> np.ndarray:
    """An (n, 3K) float64 array of keypoint lists [x1, y1, v1, ...], checked: 3K numbers each,
    finite. ``labels(i)`` names row i in errors."""
    n = len(rows)
    try:
        lengths = np.fromiter(map(len, rows), np.int64, n)
    except TypeError:
        bad = next(i for i, r in enumerate(rows) if not hasattr(r, "__len__"))
        raise ValueError(f"{labels(bad)}: keypoints must be a list [x1, y1, v1, x2, y2, v2, ...], got "
                         f"{type(rows[bad]).__name__}.") from None
    expected = 3 * n_keypoints if n_keypoints is not None else (int(lengths[0]) if n else 0)
    wrong = np.flatnonzero(lengths != expected)
    if wrong.size or expected % 3:
        i = int(wrong[0]) if wrong.size else 0
        raise ValueError(f"{labels(i)}: keypoints has {int(lengths[i])} numbers; it must hold 3 per keypoint "
                         f"(x, y, visibility){f', {expected} for the {expected // 3} sigmas' if n_keypoints else ''}.")
    try:
        arr = np.array(rows, dtype=np.float64).reshape(n, expected)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: keypoints must be lists of numbers.") from None
    bad = ~np.isfinite(arr) | (np.abs(arr) > _MAX_COORDINATE)
    if bad.any():
        i = int(np.flatnonzero(bad.any(axis=1))[0])
        raise ValueError(f"{labels(i)}: keypoints has a NaN, infinite or huge value "
                         f"({arr[i][bad[i]][0]!r}); coordinates are pixels.")
    return arr


def oks_pair_ious(gt_keypoints: np.ndarray, gt_box: np.ndarray, gt_area: np.ndarray, dt_keypoints: np.ndarray,
                  sigmas, *, use_categories: bool = True, backend=None):
    """The ``pair_ious`` function of ``match_detections`` for keypoints (pycocotools' OKS).

    With ``use_categories=False`` pycocotools compares nothing (its computeOks reads the
    pooled category -1, which holds no annotation): every pair gets -1, no match.
    """
    sigmas = check_sigmas(sigmas)
    variances = (sigmas * 2) ** 2
    k = len(sigmas)
    for name, arr in (("ground-truth", gt_keypoints), ("detection", dt_keypoints)):
        if arr.shape[0] and arr.shape[1] != 3 * k:
            raise ValueError(f"{name} keypoints have {arr.shape[1]} numbers each, but there are {k} sigmas "
                             f"(kpt_oks_sigmas): give 3 numbers per keypoint or one sigma per keypoint.")
    gt_kp = np.ascontiguousarray(gt_keypoints, dtype=np.float64).reshape(-1, 3 * k)
    dt_kp = np.ascontiguousarray(dt_keypoints, dtype=np.float64).reshape(-1, 3 * k)
    gt_box = np.ascontiguousarray(gt_box, dtype=np.float64)
    gt_area = np.ascontiguousarray(gt_area, dtype=np.float64)

    def pair_ious(groups, gt_starts, dt_lo, dt_hi, gt_index, dt_index):
        pair_start, total = pair_start_of(groups, gt_starts, dt_lo, dt_hi)
        out = np.full(total, -1.0)
        if not use_categories:
            return out, pair_start
        gt_lo, gt_hi = gt_starts[:-1], gt_starts[1:]
        with_pairs = groups[gt_hi[groups] > gt_lo[groups]]
        _, counts = _TERM_COUNTS.resolve(backend)
        _, exponents = _EXPONENTS.resolve(backend)
        _, means = _MEANS.resolve(backend)

        def run(chunk):
            term_start = np.zeros(len(chunk) + 1, np.int64)
            counts(chunk, gt_lo, gt_hi, dt_lo, dt_hi, gt_index, gt_kp, term_start)
            terms = np.empty(int(term_start[-1]))
            exponents(chunk, gt_lo, gt_hi, dt_lo, dt_hi, gt_index, dt_index, gt_kp, gt_box, gt_area, dt_kp,
                      variances, term_start, terms)
            np.negative(terms, out=terms)
            np.exp(terms, out=terms)  # NumPy's exp, as pycocotools' np.exp(-e)
            means(chunk, gt_lo, gt_hi, dt_lo, dt_hi, gt_index, gt_kp, terms, term_start, pair_start, out)

        map_threads(run, np.array_split(with_pairs, max(1, min(len(with_pairs), 8 * n_threads()))))
        return out, pair_start

    return pair_ious


def result_areas_and_boxes(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """pycocotools' loadRes for keypoint results: the box around the keypoints (visible or
    not) and its area."""
    x, y = keypoints[:, 0::3], keypoints[:, 1::3]
    if keypoints.shape[0] and keypoints.shape[1] == 0:
        raise ValueError("keypoint results need at least one keypoint each.")
    x0, x1, y0, y1 = x.min(axis=1), x.max(axis=1), y.min(axis=1), y.max(axis=1)
    return (x1 - x0) * (y1 - y0), np.column_stack([x0, y0, x1 - x0, y1 - y0])
