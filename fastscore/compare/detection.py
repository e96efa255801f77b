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

from .._config import Kernel, map_threads
from .._state import Accumulator
from .result import Comparison, MetricComparison, adjust_p_values, resolution_note, verdict
from .resampling import check_seed
from .scores import _percentile_interval, bootstrap_p_value, check_settings

STAT_NAMES = ("AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
              "AR1", "AR10", "AR100", "AR_small", "AR_medium", "AR_large")


class _Matched:
    """One model matched once: what every replicate re-accumulates.

    ``pos_image, pos_k, pos_counts``: the ground truths not ignored per (image, category index)
    and area range (see ``detection.coco.positives_by_image``).
    """

    def __init__(self, stats, precision, core, matched, image_ids, pos_image, pos_k, pos_counts):
        from ..detection.coco import accumulation_order

        self.stats = np.asarray(stats, dtype=np.float64)
        self.precision, self.core, self.matched = precision, core, matched
        self.image_ids = np.asarray(image_ids, dtype=np.int64)
        n_k = matched.n_positive.shape[0]
        self.positives = np.zeros((len(self.image_ids), n_k, len(core.area_ranges)))
        np.add.at(self.positives, (np.searchsorted(self.image_ids, pos_image), pos_k), pos_counts)
        self.det_image = np.searchsorted(self.image_ids, matched.image_id)
        # by category, then descending score (stable): pycocotools' accumulation order
        self.sorted_order = accumulation_order(matched, n_k, by_score=True)

    @classmethod
    def from_coco(cls, gt, results, iou_type, image_ids, category_ids):
        """Evaluated by the pycocotools-compatible COCOeval (its numbers are pycocotools')."""
        from ..compat.pycocotools import COCOeval
        from ..detection.coco import positives_by_image

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
        gt_table, info = gt.table("gt"), ev._match_info
        rows = info["gt_index"]
        positives = positives_by_image(gt_table.image_id[rows], info["gt_category_index"], gt_table.area[rows],
                                       info["gt_ignored"][rows] == 0, ev._core.area_ranges)
        return cls(ev.stats, ev.eval["precision"], ev._core, ev._matched, ev._core.image_ids, *positives)

    @classmethod
    def from_accumulator(cls, acc, image_ids):
        """From a ``CocoAccumulator`` (its shards merged), on the given image set."""
        import dataclasses

        evaluation = acc.compute()
        core = dataclasses.replace(acc.params, image_ids=np.asarray(image_ids),
                                   category_ids=np.asarray(evaluation.category_ids))
        if acc.params.use_categories:
            known = np.isin(acc.pos_category_id, evaluation.category_ids)
            pos_k = np.searchsorted(evaluation.category_ids, acc.pos_category_id[known])
        else:
            known = np.ones(len(acc.pos_category_id), bool)
            pos_k = np.zeros(int(known.sum()), np.int64)
        return cls(evaluation.stats, evaluation.precision, core, evaluation.matched, image_ids,
                   acc.pos_image_id[known], pos_k, acc.pos_counts[known])

    def plan(self, kind, per_class):
        """The kernel's streams (:class:`_ReplicatePlan`), or None where the kernel does not apply."""
        return _ReplicatePlan.build(self, kind, per_class)


TRUE_POSITIVE, IGNORED = 1, 0


def _packed(parts, dtypes):
    """Streams one after another: each part is (its per-category offsets, its columns...); returns
    the offsets over all parts (part i, category k at ``offsets[i * n_k + k]``) and each column
    concatenated."""
    offsets = [0]
    for part in parts:
        offsets.extend((part[0][1:] + offsets[-1]).tolist())
    columns = [np.ascontiguousarray(np.concatenate([part[1 + i] for part in parts]) if parts else np.zeros(0), dtype=dt)
               for i, dt in enumerate(dtypes)]
    return (np.array(offsets, np.int64), *columns)


class _ReplicatePlan:
    """One model's detections as the replicate kernel reads them (``src_cython/coco_replicates.pyx``).

    Streams of (area range, maxDets, category) in accumulation order for the
    precision curves the summary reads (and per-class AP); true positives only
    for the (area, maxDets) pairs of which the summary reads only the recall.
    """

    @classmethod
    def build(cls, model, kind, per_class):
        from ..detection.coco import _SUMMARY_SPECS

        core, matched = model.core, model.matched
        iou_thrs = np.asarray(core.iou_thresholds)
        max_dets = list(core.max_detections)
        T, A, M = len(iou_thrs), len(core.area_ranges), len(max_dets)
        n_k = matched.n_positive.shape[0]
        if T > 32:  # the masks hold one bit per threshold
            return None
        specs = []  # (kind: 1 AP / 0 AR / -1 nothing, (area, maxDets), thresholds)
        for ap, iou_thr, area, md in _SUMMARY_SPECS[kind]:
            md = max_dets[int(md)] if isinstance(md, str) else md
            aind = [j for j, label in enumerate(core.area_labels) if label == area]
            mind = [j for j, m in enumerate(max_dets) if m == md]
            if len(aind) > 1 or len(mind) > 1:
                return None  # pycocotools would pair the lists up; left to the reference
            thresholds = np.arange(T) if iou_thr is None else np.where(iou_thr == iou_thrs)[0]
            if len(thresholds) > 1 and np.any(np.diff(thresholds) != 1):
                return None  # the kernel averages consecutive thresholds (sorted unique ones always are)
            specs.append((ap if aind and mind else -1, (aind[0], mind[0]) if aind and mind else None, thresholds))
        curves = list(dict.fromkeys([pair for k, pair, _ in specs if k == 1]))
        per_class_pair = (0, M - 1)
        if per_class and per_class_pair not in curves:
            curves.append(per_class_pair)
        recall_only = list(dict.fromkeys([pair for k, pair, _ in specs if k == 0 and pair not in curves]))
        combos = curves + recall_only

        order, cat_start = model.sorted_order
        category = np.repeat(np.arange(n_k), np.diff(cat_start))
        image = model.det_image[order].astype(np.int32)
        rank = matched.rank[order]
        score = matched.score[order]
        bits = np.left_shift(np.uint32(1), np.arange(T, dtype=np.uint32))
        codes = matched.codes[order]
        tp_mask = np.stack([(codes[:, :, a] == TRUE_POSITIVE).astype(np.uint32) @ bits for a in range(A)], 1)
        ign_mask = np.stack([(codes[:, :, a] == IGNORED).astype(np.uint32) @ bits for a in range(A)], 1)
        all_thresholds = np.uint32((1 << T) - 1)

        def starts(selected):
            """Offsets of each category's entries in ``selected`` (category-sorted positions)."""
            return np.searchsorted(category[selected], np.arange(n_k + 1)).astype(np.int64)

        plan = cls()
        streams, heads, head_of = [], [], {}
        for a, m in curves:
            kept = np.flatnonzero((rank < max_dets[m]) & (ign_mask[:, a] != all_thresholds))
            k_s, img_s, score_s = category[kept], image[kept], score[kept]
            # a tie block: consecutive detections of one image, category and score
            new_block = np.ones(len(kept), bool)
            new_block[1:] = (k_s[1:] != k_s[:-1]) | (img_s[1:] != img_s[:-1]) | (score_s[1:] != score_s[:-1])
            block_at = np.flatnonzero(new_block)
            run = np.zeros(len(kept), np.int32)
            run[block_at] = np.diff(np.append(block_at, len(kept)))
            streams.append((starts(kept), img_s,
                            tp_mask[kept, a].astype(np.uint64) | (ign_mask[kept, a].astype(np.uint64) << 32), run))
            if m not in head_of:
                in_head = np.flatnonzero(rank < max_dets[m])
                head_of[m] = len(heads)
                heads.append((starts(in_head), image[in_head]))
        plan.curve_area = np.array([a for a, _ in curves], np.int64)
        plan.curve_head = np.array([head_of[m] for _, m in curves], np.int64)
        plan.curve_start, plan.e_image, plan.e_bits, plan.e_run = _packed(streams, (np.int32, np.uint64, np.int32))
        plan.curve_tied = np.array([(plan.e_run[lo:hi] > 1).any()
                                    for lo, hi in zip(plan.curve_start[:-1], plan.curve_start[1:])], np.uint8)
        plan.head_start, plan.h_image = _packed(heads, (np.int32,))
        recall_parts = []
        for a, m in recall_only:
            kept = np.flatnonzero((rank < max_dets[m]) & (tp_mask[:, a] != 0))
            recall_parts.append((starts(kept), image[kept], tp_mask[kept, a]))
        plan.recall_area = np.array([a for a, _ in recall_only], np.int64)
        plan.recall_start, plan.r_image, plan.r_tp = _packed(recall_parts, (np.int32, np.uint32))
        img, k, a = np.nonzero(model.positives)
        plan.pos_image = img.astype(np.int32)
        plan.pos_cell = (k * A + a).astype(np.int64)
        plan.pos_count = np.ascontiguousarray(model.positives[img, k, a], dtype=np.float64)
        plan.spec_kind = np.array([k for k, _, _ in specs], np.int64)
        plan.spec_combo = np.array([combos.index(pair) if pair is not None else -1 for _, pair, _ in specs], np.int64)
        plan.spec_t_start = np.cumsum([0] + [len(t) for _, _, t in specs]).astype(np.int64)
        plan.spec_t = np.concatenate([t for _, _, t in specs]).astype(np.int64)
        plan.per_class_curve = curves.index(per_class_pair) if per_class else -1
        plan.shape = (n_k, A, T)
        plan.rec_thrs = np.ascontiguousarray(core.recall_thresholds, dtype=np.float64)
        plan.n_out = len(specs) + (n_k if per_class else 0)
        return plan

    def arguments(self):
        n_k, A, T = self.shape
        return (n_k, A, T, self.rec_thrs, self.curve_area, self.curve_head, self.curve_start, self.e_image, self.e_bits,
                self.e_run, self.curve_tied, self.head_start, self.h_image, self.recall_area, self.recall_start,
                self.r_image, self.r_tp, self.pos_image, self.pos_cell, self.pos_count, self.spec_kind,
                self.spec_combo, self.spec_t_start, self.spec_t, self.per_class_curve)


def per_class_ap(precision):
    """AP per category as detectron2 reports it: np.mean of the valid (> -1) precision at area
    "all" and the largest maxDets, NaN where a category has no positive."""
    p = precision[:, :, :, 0, -1]
    out = np.full(p.shape[2], np.nan)
    for k in range(p.shape[2]):
        valid = p[:, :, k][p[:, :, k] > -1]
        if valid.size:
            out[k] = np.mean(valid)
    return out


_REPLICATES = Kernel("COCO replicates", {"cython": "fastscore._cy.coco_replicates:coco_replicate_stats",
                                          "reference": "fastscore.compare._reference:coco_replicate_stats"})
REPLICATE_BLOCK = 256  # replicates drawn at a time (their counts: REPLICATE_BLOCK x images int32)


def _check_resample(resample):
    if resample not in ("multinomial", "poisson"):
        raise ValueError(f"resample must be 'multinomial' (images drawn with replacement) or 'poisson', "
                         f"got {resample!r}.")


def _image_units(image_ids, cluster):
    """(unit of each image, number of units): images resampled alone, or by ``cluster``, a mapping
    image id -> cluster id (the frames of one video, the crops of one scene)."""
    if cluster is None:
        return np.arange(len(image_ids)), len(image_ids)
    if not hasattr(cluster, "get"):
        raise TypeError(f"cluster must map image id -> cluster id (a dict), got {type(cluster).__name__}.")
    missing = [int(i) for i in image_ids if int(i) not in cluster]
    if missing:
        raise ValueError(f"cluster gives no cluster to {len(missing)} evaluated image(s) (first: {missing[:5]}); "
                         f"map every image id.")
    labels = np.array([str(cluster[int(i)]) for i in image_ids])
    _, unit = np.unique(labels, return_inverse=True)
    return unit.reshape(-1), int(unit.max()) + 1


def _replicates(models, iou_type, per_class, n_boot, seed, resample="multinomial", cluster=None):
    """(2, n_boot, stats [+ per-class AP]): the two models on the same image (or cluster) draws."""
    from ._reference import repeated_images_stats

    kind = "keypoints" if iou_type == "keypoints" else "bbox"
    plans = [m.plan(kind, per_class) for m in models]
    n_out = len(models[0].stats) + (models[0].matched.n_positive.shape[0] if per_class else 0)
    out = np.empty((2, n_boot, n_out))
    unit, n_units = _image_units(models[0].image_ids, cluster)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    _, kernel = _REPLICATES.resolve()
    for first in range(0, n_boot, REPLICATE_BLOCK):
        size = min(REPLICATE_BLOCK, n_boot - first)
        if resample == "multinomial":
            drawn = rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=size)
        else:
            drawn = rng.poisson(1.0, (size, n_units))
        counts = np.ascontiguousarray(drawn[:, unit], dtype=np.int32)  # an image as often as its cluster
        for side, (model, plan) in enumerate(zip(models, plans)):
            if plan is None:  # settings the kernel does not take: the repeated images themselves
                for b in range(size):
                    out[side, first + b] = repeated_images_stats(model, counts[b], iou_type, per_class)
        # chunks of replicates (both models) on the thread pool
        chunks = [(side, lo, min(lo + 8, size)) for side in range(2) if plans[side] is not None
                  for lo in range(0, size, 8)]
        map_threads(lambda job: kernel(counts[job[1]:job[2]], *plans[job[0]].arguments(),
                                       out[job[0], first + job[1]:first + job[2]]), chunks)
    return out


def compare_detections(gt, baseline, candidate, *, iou_type="bbox", n_boot=1000, ci=0.95, seed=0, margin=None,
                       correction="holm", per_class=True, image_ids=None, category_ids=None, resample="multinomial",
                       cluster=None) -> Comparison:
    """Is the candidate detector worse than the baseline on the same COCO ground truth?

    Parameters
    ----------
    gt : str, path, ``fastscore.compat.pycocotools.COCO``, a COCO dataset dict, or columns
        The ground truth: a file, a COCO object, the dict a COCO file holds ("images",
        "annotations", "categories"), or the columnar form of ``evaluate_detections`` (a mapping
        of arrays "image_id", "category_id", "bbox", ...; then the results are columns too, the
        images those in the columns or ``image_ids``, the per-class rows named by id).
    baseline, candidate : str, path, list of result dicts, or columns
        The two models' results (as ``COCO.loadRes`` reads them, or columns with ``gt``).
    iou_type : {"bbox", "segm", "keypoints"}
    n_boot, ci, seed, margin, correction
        As in ``compare_scores`` (the margin in the stats' units, e.g. 0.005 AP).
    per_class : bool, default True
        Add one row per category (its AP) after the 12 COCO stats.
    image_ids, category_ids : optional
        pycocotools' imgIds / catIds (default: every image and category of the ground truth).
    resample : {"multinomial", "poisson"}
        Images drawn with replacement as many times as there are (a replicate is the data set
        with each image repeated as often as drawn), or a Poisson(1) count per image.
    cluster : dict, optional
        image id -> cluster id (the frames of one video, ...): whole clusters are drawn, each
        image of a cluster as often as its cluster.

    Returns
    -------
    Comparison
        The 12 stats in pycocotools' order (the baseline and candidate values are
        pycocotools' own numbers), then per-class AP ("AP[name]", detectron2's per-class AP).
        The stats and the per-class rows are two families for the correction (the stats are
        the gate; a class is adjusted among the classes), and ``notes`` says when a family is
        too large for ``n_boot`` replicates to make any member significant (80 classes at
        0.05 need n_boot >= 3,200). A replicate where a stat is undefined (-1: no positive in
        the drawn images) is left out of that stat's interval and p-value
        (``details["undefined"]`` counts them).

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
    _check_resample(resample)
    if hasattr(gt, "keys") and "image_id" in gt.keys():  # the columnar form: one shard of every image
        state = DetectionComparison(iou_type=iou_type, category_ids=category_ids)
        state.update(gt, baseline, candidate, image_ids=image_ids)
        return state.compute(n_boot=n_boot, ci=ci, seed=seed, margin=margin, correction=correction,
                             per_class=per_class, resample=resample, cluster=cluster)
    if isinstance(gt, dict):  # a COCO dataset held in memory
        with contextlib.redirect_stdout(io.StringIO()):
            dataset, gt = gt, COCO()
            gt.dataset = dataset
            gt.createIndex()
    elif not isinstance(gt, COCO):
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(gt)
    models = [_Matched.from_coco(gt, results, iou_type, image_ids, category_ids) for results in (baseline, candidate)]
    cat_names = []
    if per_class and models[0].core.use_categories:
        cat_names = [f"AP[{c.get('name', c['id'])}]" for c in gt.loadCats(list(models[0].core.category_ids))]
    return _comparison(models, iou_type, cat_names, n_boot, ci, seed, margin, correction, resample, cluster)


def _comparison(models, iou_type, cat_names, n_boot, ci, seed, margin, correction, resample="multinomial",
                cluster=None) -> Comparison:
    """The comparison of two matched models: the stats, then per-class AP when ``cat_names``."""
    if len(models[0].matched.rank) == 0 or len(models[1].matched.rank) == 0:
        which = "baseline" if len(models[0].matched.rank) == 0 else "candidate"
        raise ValueError(f"the {which} has no detection on the evaluated images and categories; nothing to compare.")
    names = list(STAT_NAMES[:len(models[0].stats)]) if iou_type != "keypoints" else \
        ["AP", "AP50", "AP75", "AP_medium", "AP_large", "AR", "AR50", "AR75", "AR_medium", "AR_large"]
    values = [list(m.stats) + (per_class_ap(m.precision).tolist() if cat_names else []) for m in models]
    replicates = _replicates(models, iou_type, bool(cat_names), n_boot, seed, resample, cluster)
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
    # two families: the summary stats (the gate) and the per-class AP (each adjusted within itself)
    n_stats = len(names)
    adjusted = np.concatenate([adjust_p_values(p_values[:n_stats], correction or "none"),
                               adjust_p_values(p_values[n_stats:], correction or "none") if cat_names else []])
    notes = [] if (correction or "none") != "holm" else [
        note for note in (resolution_note(n_boot, n_stats, 1 - ci, "the summary stats", margin is not None),
                          resolution_note(n_boot, len(cat_names), 1 - ci, "per-class AP", margin is not None))
        if note]
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
                      correction=correction or "none", seed=seed,
                      resample=f"{resample} ({'clusters of images' if cluster is not None else 'images'})",
                      details={"undefined": undefined, "replicates": replicates,
                               "families": {"summary stats": names, "per-class AP": cat_names}},
                      notes=tuple(notes))


class DetectionComparison(Accumulator):
    """``compare_detections`` built shard by shard (accumulator protocol; ``fastscore.dask``).

    Each ``update(gt, dt_baseline, dt_candidate)`` matches one shard of images for both models
    (columns as in ``evaluate_detections``; all of an image's ground truth and detections in one
    shard). The state is the two models' matched detections (one small record per detection,
    as ``CocoAccumulator`` keeps: it grows with the detections) and the ground truths counted
    per image, so ``compute()`` runs the replicates on the merged state: the same comparison
    as ``compare_detections`` on all the images at once (the same draws for the same seed,
    bit for bit), provided the shards list every image (``image_ids=``, images without any
    ground truth or detection included, as pycocotools' imgIds would).

    Parameters
    ----------
    iou_type, category_ids, box_format, image_sizes, kpt_oks_sigmas
        As in ``CocoAccumulator``.

    Examples
    --------
    >>> from fastscore.compare.detection import DetectionComparison
    >>> gt = {"image_id": [1, 2], "category_id": [1, 1], "bbox": [[0, 0, 10, 10], [0, 0, 10, 10]]}
    >>> good = {"image_id": [1, 2], "category_id": [1, 1], "bbox": [[0, 0, 10, 10]] * 2, "score": [0.9, 0.8]}
    >>> poor = {"image_id": [1, 2], "category_id": [1, 1], "bbox": [[5, 5, 10, 10]] * 2, "score": [0.9, 0.8]}
    >>> acc = DetectionComparison()
    >>> acc.update(gt, good, poor, image_ids=[1, 2])
    DetectionComparison(...)
    >>> round(acc.compute(n_boot=100, per_class=False)["AP"].delta, 3)
    -1.0
    """

    _params = ("params_key",)

    def __init__(self, *, iou_type="bbox", category_ids=None, box_format="xywh", image_sizes=None,
                 kpt_oks_sigmas=None):
        from ..detection import CocoAccumulator

        self.template = CocoAccumulator(category_ids=category_ids, iou_type=iou_type, box_format=box_format,
                                        image_sizes=image_sizes, kpt_oks_sigmas=kpt_oks_sigmas)
        self.iou_type = iou_type
        self.params_key = self.template.params_key + repr(box_format)
        self.reset()

    def _initial_state(self):
        return {"models": (self.template.empty_like(), self.template.empty_like())}

    def update(self, gt, dt_baseline, dt_candidate, *, image_ids=None, image_sizes=None, sample_weight=None):
        """Add one shard of images: their ground truth and both models' detections."""
        if sample_weight is not None:
            raise ValueError("a detection comparison does not take sample weights (images are resampled).")
        for model, dt in zip(self.models, (dt_baseline, dt_candidate)):
            model.update(gt, dt, image_ids=image_ids, image_sizes=image_sizes)
        return self

    def merge(self, other):
        """Add another shard's state (other images) and return ``self``."""
        self._check_mergeable(other)
        for mine, theirs in zip(self.models, other.models):
            mine._check_disjoint(theirs.image_ids)
        for mine, theirs in zip(self.models, other.models):
            mine.merge(theirs)
        return self

    def compute(self, *, n_boot=1000, ci=0.95, seed=0, margin=None, correction="holm", per_class=True,
                category_names=None, resample="multinomial", cluster=None) -> Comparison:
        """The comparison over every shard added so far (arguments as in ``compare_detections``;
        ``category_names``: a dict id -> name for the per-class rows, default the ids)."""
        n_boot, ci, margin = check_settings(n_boot, ci, margin, correction)
        seed = check_seed(seed)
        _check_resample(resample)
        if not len(self.models[0].image_ids):
            raise ValueError("the comparison has no images yet; update() it with at least one shard.")
        image_ids = np.union1d(self.models[0].image_ids, self.models[1].image_ids)
        models = [_Matched.from_accumulator(m, image_ids) for m in self.models]
        if not np.array_equal(models[0].core.category_ids, models[1].core.category_ids):
            raise ValueError("the two models were evaluated on different categories; pass category_ids=... .")
        cat_names = []
        if per_class and self.template.params.use_categories:
            names = category_names or {}
            cat_names = [f"AP[{names.get(int(c), int(c))}]" for c in models[0].core.category_ids]
        return _comparison(models, self.iou_type, cat_names, n_boot, ci, seed, margin, correction, resample, cluster)
