"""Paired comparison of two detectors on one COCO ground truth: the 12 COCO stats and per-class AP.

Each model is matched once (pycocotools' greedy matching, bit-identical); a
replicate resamples the images (multinomial counts, the same draw for both
models) and re-accumulates with image multiplicities: a replicate's numbers
are those of pycocotools run on the data set in which each image is repeated
as often as it was drawn, the copies of an image side by side (new ids that
keep the original order). Matching does not change when an image is repeated
(it is per image), so only the accumulation is redone.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np

from .result import Comparison, MetricComparison, adjust_p_values, verdict
from .resampling import check_seed
from .scores import _percentile_interval, bootstrap_p_value, check_settings

STAT_NAMES = ("AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
              "AR1", "AR10", "AR100", "AR_small", "AR_medium", "AR_large")


class _Matched:
    """One model matched once: what every replicate re-accumulates."""

    def __init__(self, gt, results, iou_type, image_ids, category_ids):
        from ..compat.pycocotools import COCOeval

        with contextlib.redirect_stdout(io.StringIO()):
            dt = gt.loadRes(results)
            ev = COCOeval(gt, dt, iou_type)
            if image_ids is not None:
                ev.params.imgIds = list(image_ids)
            if category_ids is not None:
                ev.params.catIds = list(category_ids)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        self.stats = np.asarray(ev.stats, dtype=np.float64)
        self.precision = ev.eval["precision"]
        self.core = ev._core
        self.matched = ev._matched
        gt_table = gt.table("gt")
        info = ev._match_info
        self.image_ids = self.core.image_ids
        # the positives of every image, category and area range (to weight by image)
        rows = info["gt_index"]
        image_of = np.searchsorted(self.image_ids, gt_table.image_id[rows])
        k_of = info["gt_category_index"]
        n_img, n_k, n_area = len(self.image_ids), len(self.core.category_ids), len(self.core.area_ranges)
        self.positives = np.zeros((n_img, n_k, n_area))
        regular = info["gt_ignored"][rows] == 0
        area = gt_table.area[rows]
        for a, (lo, hi) in enumerate(self.core.area_ranges):
            counted = regular & (area >= lo) & (area <= hi)
            np.add.at(self.positives[:, :, a], (image_of[counted], k_of[counted]), 1.0)
        # detections come image by image: each image's block, for repeating it
        self.det_image = np.searchsorted(self.image_ids, self.matched.image_id)
        # image multiplicities as detection weights are exact unless two detections of one image
        # and category tie in score (their copies would interleave): then the blocks are repeated
        m = self.matched
        by = np.lexsort((m.score, m.category_index, self.det_image))
        same = ((np.diff(self.det_image[by]) == 0) & (np.diff(m.category_index[by]) == 0)
                & (np.diff(m.score[by]) == 0))
        self.weighted = not same.any()
        if self.weighted:  # sorted once: the kernel then skips its sort on every replicate
            from ..detection.coco import accumulation_order

            self.sorted_order = accumulation_order(m, len(self.core.category_ids) if self.core.use_categories else 1,
                                                   by_score=True)
        self.block_start = np.searchsorted(self.det_image, np.arange(n_img))
        self.block_end = np.searchsorted(self.det_image, np.arange(n_img), side="right")

    def replicate(self, counts):
        """precision (T, R, K, A, M) and recall of the data set with image i repeated counts[i] times."""
        import dataclasses

        from ..detection.coco import MatchedDetections, accumulate_matches

        positives = np.einsum("i,ika->ka", counts.astype(np.float64), self.positives).round().astype(np.int64)
        if self.weighted:
            weighted = dataclasses.replace(self.matched, n_positive=positives)
            precision, recall, _ = accumulate_matches(weighted, self.core, contiguous=False,
                                                      weights=counts[self.det_image].astype(np.float64),
                                                      sorted_order=self.sorted_order)
            return precision, recall

        lengths = (self.block_end - self.block_start) * counts
        total = int(lengths.sum())
        out_start = np.zeros(len(lengths), np.int64)
        np.cumsum(lengths[:-1], out=out_start[1:])
        owner = np.repeat(np.arange(len(lengths)), lengths)
        block_len = (self.block_end - self.block_start)[owner]
        index = self.block_start[owner] + (np.arange(total) - out_start[owner]) % np.maximum(block_len, 1)
        m = self.matched
        weighted = MatchedDetections(image_id=m.image_id[index], category_index=m.category_index[index],
                                     rank=m.rank[index], score=m.score[index], codes=m.codes[index],
                                     n_positive=positives)
        precision, recall, _ = accumulate_matches(weighted, self.core, contiguous=False)
        return precision, recall


def _per_class_ap(precision):
    """AP per category (mean of the valid precision at area "all" and the largest maxDets); NaN where
    a category has no positive."""
    p = precision[:, :, :, 0, -1]
    valid = p > -1
    count = valid.sum(axis=(0, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.where(valid, p, 0).sum(axis=(0, 1)) / np.maximum(count, 1), np.nan)


def compare_detections(gt, baseline, candidate, *, iou_type="bbox", n_boot=1000, ci=0.95, seed=0, margin=None,
                       correction="holm", per_class=True, image_ids=None, category_ids=None) -> Comparison:
    """Is the candidate detector worse than the baseline on the same COCO ground truth?

    Parameters
    ----------
    gt : str, path or ``fastscore.compat.pycocotools.COCO``
        The ground truth.
    baseline, candidate : str, path or list of result dicts
        The two models' results (as ``COCO.loadRes`` reads them).
    iou_type : {"bbox", "segm", "keypoints"}
    n_boot, ci, seed, margin, correction
        As in ``compare_scores`` (the margin in the stats' units, e.g. 0.005 AP).
    per_class : bool, default True
        Add one row per category (its AP) after the 12 COCO stats.
    image_ids, category_ids : optional
        pycocotools' imgIds / catIds (default: every image and category of the ground truth).

    Returns
    -------
    Comparison
        The 12 stats in pycocotools' order (the baseline and candidate values are
        pycocotools' own numbers), then per-class AP ("AP[name]"). A replicate where a stat
        is undefined (-1: no positive in the drawn images) is left out of that stat's
        interval and p-value (``details["undefined"]`` counts them).

    Examples
    --------
    >>> from fastscore.compare.detection import compare_detections
    >>> from fastscore.datasets import coco_sample_paths
    >>> import json
    >>> gt_file, dt_file = coco_sample_paths()
    >>> worse = [d for i, d in enumerate(json.load(open(dt_file))) if i % 3]  # a third of the detections lost
    >>> result = compare_detections(gt_file, dt_file, worse, n_boot=200, per_class=False)
    >>> round(result["AP"].baseline, 3), result["AP"].delta < 0  # the COCO API prints AP 0.505
    (0.505, True)
    """
    from ..compat.pycocotools import COCO

    n_boot, ci, margin = check_settings(n_boot, ci, margin, correction)
    seed = check_seed(seed)
    if not isinstance(gt, COCO):
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(gt)
    models = [_Matched(gt, results, iou_type, image_ids, category_ids) for results in (baseline, candidate)]
    if len(models[0].matched.rank) == 0 or len(models[1].matched.rank) == 0:
        which = "baseline" if len(models[0].matched.rank) == 0 else "candidate"
        raise ValueError(f"the {which} has no detection on the evaluated images and categories; nothing to compare.")
    n_img = len(models[0].image_ids)
    names = list(STAT_NAMES[:len(models[0].stats)]) if iou_type != "keypoints" else \
        ["AP", "AP50", "AP75", "AP_medium", "AP_large", "AR", "AR50", "AR75", "AR_medium", "AR_large"]
    from ..detection.coco import summarize

    values = [list(m.stats) for m in models]
    cat_names = []
    if per_class:
        cats = gt.loadCats(list(models[0].core.category_ids)) if models[0].core.use_categories else []
        cat_names = [f"AP[{c.get('name', c['id'])}]" for c in cats]
        for v, m in zip(values, models):
            v.extend(_per_class_ap(m.precision).tolist())
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    replicates = np.empty((2, n_boot, len(names) + len(cat_names)))
    kind = "keypoints" if iou_type == "keypoints" else "bbox"
    for b, counts in enumerate(rng.multinomial(n_img, np.full(n_img, 1.0 / n_img), size=n_boot)):
        for side, m in enumerate(models):
            precision, recall = m.replicate(counts)
            stats, _ = summarize(precision, recall, m.core, iou_type=kind)
            replicates[side, b, :len(names)] = stats
            if per_class:
                replicates[side, b, len(names):] = _per_class_ap(precision)
    rows, undefined, p_values, errors = [], {}, [], []
    all_names = names + cat_names
    intervals = []
    for j, name in enumerate(all_names):
        b, c = replicates[0, :, j], replicates[1, :, j]
        defined = (b > -1) & (c > -1) & np.isfinite(b) & np.isfinite(c)
        undefined[name] = int((~defined).sum())
        theta = c[defined] - b[defined]
        if theta.size < 2:
            intervals.append((np.nan, np.nan))
            p_values.append(1.0)
            errors.append(0.0)
            continue
        intervals.append(_percentile_interval(theta, ci))
        p, se = bootstrap_p_value(theta, margin, True)
        p_values.append(p)
        errors.append(se)
    adjusted = adjust_p_values(p_values, correction or "none")
    for j, name in enumerate(all_names):
        base, cand = float(values[0][j]), float(values[1][j])
        low, high = intervals[j]
        rows.append(MetricComparison(metric=name, higher_is_better=True, baseline=base, candidate=cand,
                                     delta=cand - base, ci_low=float(low), ci_high=float(high),
                                     p_value=float(p_values[j]), p_adjusted=float(adjusted[j]), p_mc_se=float(errors[j]),
                                     test="paired image bootstrap (matched once, re-accumulated)",
                                     verdict=verdict(cand - base, low, high, float(adjusted[j]), 1 - ci, True, margin)
                                     if np.isfinite(low) else "no significant change"))
    return Comparison(rows=tuple(rows), method="bootstrap", n_boot=n_boot, ci=ci, margin=margin,
                      correction=correction or "none", seed=seed, resample="multinomial (images)",
                      details={"undefined": undefined, "replicates": replicates})
