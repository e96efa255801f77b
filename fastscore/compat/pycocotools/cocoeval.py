"""``pycocotools.cocoeval``: ``COCOeval`` and ``Params`` for boxes, masks and keypoints.

``evaluate()`` matches every image at once on columns (compiled kernels; masks
as RLE runs, keypoints as arrays) and ``accumulate()`` builds the
precision/recall arrays from those matches; the numbers are pycocotools'
bit for bit. pycocotools' internal steps are real methods with pycocotools'
behaviour, for frameworks that call or override them: ``_prepare()``,
``computeIoU()``, ``computeOks()``, ``evaluateImg()``, and the attributes
``_gts``, ``_dts``, ``ious`` and ``evalImgs`` (built on first read after
the fast ``evaluate()``). A subclass whose ``evaluate()`` fills
``evalImgs`` itself (detectron2's and YOLOX's ``COCOeval_opt`` pattern) gets
pycocotools' ``accumulate()`` on that list.
"""
from __future__ import annotations

import copy
import datetime
import time
from collections import defaultdict

import numpy as np

from ...detection.coco import (
    CocoParams,
    check_ground_truth_ids,
    default_area_ranges,
    default_iou_thresholds,
    default_recall_thresholds,
    match_detections,
    summarize as summarize_arrays,
)
from ...detection.evaluation import evaluate_matched
from ...detection.keypoints import COCO_SIGMAS, KEYPOINT_AREA_LABELS, KEYPOINT_AREA_RANGES, oks_pair_ious
from ...detection.segmentation import mask_pair_ious
from ..._config import with_ordinary_pages
from . import mask as mask_utils

__all__ = ["COCOeval", "Params"]

IOU_TYPES = ("bbox", "segm", "keypoints")


class Params:
    """pycocotools' evaluation parameters (``setDetParams`` / ``setKpParams`` by iouType)."""

    def setDetParams(self):
        self.imgIds = []
        self.catIds = []
        self.iouThrs = default_iou_thresholds()
        self.recThrs = default_recall_thresholds()
        self.maxDets = [1, 10, 100]
        self.areaRng = default_area_ranges()
        self.areaRngLbl = ["all", "small", "medium", "large"]
        self.useCats = 1

    def setKpParams(self):
        self.imgIds = []
        self.catIds = []
        self.iouThrs = default_iou_thresholds()
        self.recThrs = default_recall_thresholds()
        self.maxDets = [20]
        self.areaRng = [list(r) for r in KEYPOINT_AREA_RANGES]
        self.areaRngLbl = list(KEYPOINT_AREA_LABELS)
        self.useCats = 1
        self.kpt_oks_sigmas = COCO_SIGMAS.copy()

    def __init__(self, iouType="segm"):
        if iouType in ("segm", "bbox"):
            self.setDetParams()
        elif iouType == "keypoints":
            self.setKpParams()
        else:
            raise Exception("iouType not supported")
        self.iouType = iouType
        self.useSegm = None  # deprecated in pycocotools

    def _copy(self) -> "Params":
        """An independent copy (what pycocotools' deepcopy gives: new lists and arrays, same ids)."""
        other = copy.copy(self)
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray):
                setattr(other, name, value.copy())
            elif isinstance(value, list):
                setattr(other, name, [list(v) if isinstance(v, list) else v for v in value])
        return other

    def _to_core(self) -> CocoParams:
        return CocoParams(image_ids=self.imgIds, category_ids=self.catIds, iou_thresholds=self.iouThrs,
                          recall_thresholds=self.recThrs, max_detections=self.maxDets, area_ranges=self.areaRng,
                          area_labels=self.areaRngLbl, use_categories=bool(self.useCats)).checked()


def _check_iou_type(iou_type):
    if iou_type not in IOU_TYPES:
        raise ValueError(f"iouType must be one of {', '.join(map(repr, IOU_TYPES))}, got {iou_type!r}.")


def _by_score(dts: list) -> list:
    """Detections by descending score, ties in their order (pycocotools' mergesort)."""
    order = np.argsort([-d["score"] for d in dts], kind="mergesort")
    return [dts[i] for i in order]


class COCOeval:
    """pycocotools' ``COCOeval`` (bbox, segm, keypoints), with identical numbers.

    Parameters
    ----------
    cocoGt, cocoDt : COCO
    iouType : {"segm", "bbox", "keypoints"}
        pycocotools' default is "segm".

    Examples
    --------
    >>> from fastscore.compat.pycocotools import COCO, COCOeval
    >>> from fastscore.datasets import coco_sample_paths
    >>> gt_file, dt_file = coco_sample_paths()
    >>> coco_gt = COCO(gt_file)  # doctest: +ELLIPSIS
    loading annotations into memory...
    ...
    >>> E = COCOeval(coco_gt, coco_gt.loadRes(dt_file), "bbox")  # doctest: +ELLIPSIS
    Loading and preparing results...
    ...
    >>> E.evaluate(); E.accumulate(); E.summarize()  # doctest: +ELLIPSIS
    Running per image evaluation...
    ...
     Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505
    ...
    """

    def __init__(self, cocoGt=None, cocoDt=None, iouType="segm"):
        if not iouType:
            print("iouType not specified. use default iouType segm")
            iouType = "segm"
        _check_iou_type(iouType)
        self.cocoGt = cocoGt
        self.cocoDt = cocoDt
        self._matched = None  # the fast evaluate()'s matches
        self._match_info = None  # and their sorted ground truth (match_detections' extra)
        self._core = None
        self._eval_imgs = None  # evalImgs, built on first read or set by a subclass
        self._eval_imgs_given = False
        self._ious = None
        self._gts_value = None
        self._dts_value = None
        self.eval = {}
        self.params = Params(iouType=iouType)
        self._paramsEval = {}
        self.stats = []
        if cocoGt is not None:
            self.params.imgIds = sorted(cocoGt.getImgIds())
            self.params.catIds = sorted(cocoGt.getCatIds())

    # -- pycocotools' attributes, built when read ----------------------------------------------
    @property
    def evalImgs(self):
        """pycocotools' per-image results: a K x A x I list of dicts (None where an image and
        category have neither ground truth nor detections), built on first read from a second
        matching pass (the evaluation itself keeps arrays)."""
        if self._eval_imgs is None:
            if self._matched is None:
                return defaultdict(list)  # pycocotools' value before evaluate()
            self._eval_imgs = self._build_eval_imgs()
        return self._eval_imgs

    @evalImgs.setter
    def evalImgs(self, value):
        self._eval_imgs = value
        self._eval_imgs_given = True

    @property
    def ious(self):
        """{(imgId, catId): IoU (or OKS) matrix}, pycocotools' computeIoU / computeOks of every
        pair (computed on first read after the fast evaluate())."""
        if self._ious is None:
            if self._matched is None:
                return {}
            p = self.params
            compute = self.computeOks if p.iouType == "keypoints" else self.computeIoU
            cat_ids = p.catIds if p.useCats else [-1]
            self._ious = {(i, c): compute(i, c) for i in p.imgIds for c in cat_ids}
        return self._ious

    @ious.setter
    def ious(self, value):
        self._ious = value

    @property
    def _gts(self):
        if self._gts_value is None:
            self._prepare_dicts()
        return self._gts_value

    @_gts.setter
    def _gts(self, value):
        self._gts_value = value

    @property
    def _dts(self):
        if self._dts_value is None:
            self._prepare_dicts()
        return self._dts_value

    @_dts.setter
    def _dts(self, value):
        self._dts_value = value

    # -- pycocotools' steps, for code that calls or overrides them ----------------------------------
    def _prepare_dicts(self):
        p = self.params
        if p.useCats:
            gts = self.cocoGt.loadAnns(self.cocoGt.getAnnIds(imgIds=p.imgIds, catIds=p.catIds))
            dts = self.cocoDt.loadAnns(self.cocoDt.getAnnIds(imgIds=p.imgIds, catIds=p.catIds))
        else:
            gts = self.cocoGt.loadAnns(self.cocoGt.getAnnIds(imgIds=p.imgIds))
            dts = self.cocoDt.loadAnns(self.cocoDt.getAnnIds(imgIds=p.imgIds))
        if p.iouType == "segm":  # pycocotools turns the segmentations into RLEs in place
            for coco, anns in ((self.cocoGt, gts), (self.cocoDt, dts)):
                for ann in anns:
                    ann["segmentation"] = coco.annToRLE(ann)
        for gt in gts:
            gt["ignore"] = "iscrowd" in gt and gt["iscrowd"]
            if p.iouType == "keypoints":
                gt["ignore"] = (gt["num_keypoints"] == 0) or gt["ignore"]
        self._gts_value = defaultdict(list)
        self._dts_value = defaultdict(list)
        for gt in gts:
            self._gts_value[gt["image_id"], gt["category_id"]].append(gt)
        for dt in dts:
            self._dts_value[dt["image_id"], dt["category_id"]].append(dt)

    def _prepare(self):
        """pycocotools' _prepare: ``_gts`` / ``_dts`` by (image, category), ignore flags, masks as RLE."""
        self._prepare_dicts()
        self._eval_imgs = defaultdict(list)
        self._eval_imgs_given = True
        self._matched = None
        self._ious = None
        self.eval = {}

    def _group(self, imgId, catId):
        p = self.params
        if p.useCats:
            return self._gts[imgId, catId], self._dts[imgId, catId]
        return ([g for c in p.catIds for g in self._gts[imgId, c]],
                [d for c in p.catIds for d in self._dts[imgId, c]])

    def computeIoU(self, imgId, catId):
        """IoU of the image's top maxDets[-1] detections (by score) with its ground truths."""
        p = self.params
        gt, dt = self._group(imgId, catId)
        if len(gt) == 0 and len(dt) == 0:
            return []
        dt = _by_score(dt)[:p.maxDets[-1]]
        if p.iouType == "segm":
            g, d = [o["segmentation"] for o in gt], [o["segmentation"] for o in dt]
        elif p.iouType == "bbox":
            g, d = [o["bbox"] for o in gt], [o["bbox"] for o in dt]
        else:
            raise Exception("unknown iouType for iou computation")
        return mask_utils.iou(d, g, [int(o["iscrowd"]) for o in gt])

    def computeOks(self, imgId, catId):
        """pycocotools' object keypoint similarity of the image's top detections and ground truths."""
        p = self.params
        gts, dts = self._gts[imgId, catId], self._dts[imgId, catId]
        dts = _by_score(dts)[:p.maxDets[-1]]
        if len(gts) == 0 or len(dts) == 0:
            return []
        sigmas = np.asarray(p.kpt_oks_sigmas, dtype=np.float64)
        variances = (sigmas * 2) ** 2
        k = len(sigmas)
        ious = np.zeros((len(dts), len(gts)))
        for j, gt in enumerate(gts):
            g = np.array(gt["keypoints"])
            xg, yg, vg = g[0::3], g[1::3], g[2::3]
            visible = np.count_nonzero(vg > 0)
            bb = gt["bbox"]
            x0, x1 = bb[0] - bb[2], bb[0] + bb[2] * 2
            y0, y1 = bb[1] - bb[3], bb[1] + bb[3] * 2
            for i, dt in enumerate(dts):
                d = np.array(dt["keypoints"])
                xd, yd = d[0::3], d[1::3]
                if visible > 0:
                    dx, dy = xd - xg, yd - yg
                else:  # distance to the box doubled about its centre
                    zero = np.zeros(k)
                    dx = np.max((zero, x0 - xd), axis=0) + np.max((zero, xd - x1), axis=0)
                    dy = np.max((zero, y0 - yd), axis=0) + np.max((zero, yd - y1), axis=0)
                e = (dx ** 2 + dy ** 2) / variances / (gt["area"] + np.spacing(1)) / 2
                if visible > 0:
                    e = e[vg > 0]
                ious[i, j] = np.sum(np.exp(-e)) / e.shape[0]
        return ious

    def evaluateImg(self, imgId, catId, aRng, maxDet):
        """pycocotools' matching of one image and category at one area range (a dict, or None)."""
        p = self.params
        gt, dt = self._group(imgId, catId)
        if len(gt) == 0 and len(dt) == 0:
            return None
        for g in gt:
            g["_ignore"] = 1 if (g["ignore"] or g["area"] < aRng[0] or g["area"] > aRng[1]) else 0
        gt_order = np.argsort([g["_ignore"] for g in gt], kind="mergesort")
        gt = [gt[i] for i in gt_order]
        dt = _by_score(dt)[:maxDet]
        crowd = [int(o["iscrowd"]) for o in gt]
        ious = self.ious[imgId, catId]
        ious = ious[:, gt_order] if len(ious) > 0 else ious
        T, G, D = len(p.iouThrs), len(gt), len(dt)
        gtm, dtm = np.zeros((T, G)), np.zeros((T, D))
        gt_ignore = np.array([g["_ignore"] for g in gt])
        dt_ignore = np.zeros((T, D))
        if len(ious) != 0:
            for t_index, t in enumerate(p.iouThrs):
                for d_index, d in enumerate(dt):
                    best, m = min([t, 1 - 1e-10]), -1
                    for g_index in range(G):
                        if gtm[t_index, g_index] > 0 and not crowd[g_index]:
                            continue  # taken, and not a crowd region
                        if m > -1 and gt_ignore[m] == 0 and gt_ignore[g_index] == 1:
                            break  # matched a regular ground truth: the ignored ones come after
                        if ious[d_index, g_index] < best:
                            continue
                        best, m = ious[d_index, g_index], g_index
                    if m == -1:
                        continue
                    dt_ignore[t_index, d_index] = gt_ignore[m]
                    dtm[t_index, d_index] = gt[m]["id"]
                    gtm[t_index, m] = d["id"]
        outside = np.array([d["area"] < aRng[0] or d["area"] > aRng[1] for d in dt]).reshape((1, len(dt)))
        dt_ignore = np.logical_or(dt_ignore, np.logical_and(dtm == 0, np.repeat(outside, T, 0)))
        return {"image_id": imgId, "category_id": catId, "aRng": aRng, "maxDet": maxDet,
                "dtIds": [d["id"] for d in dt], "gtIds": [g["id"] for g in gt], "dtMatches": dtm, "gtMatches": gtm,
                "dtScores": [d["score"] for d in dt], "gtIgnore": gt_ignore, "dtIgnore": dt_ignore}

    # -- the fast path ------------------------------------------------------------------------------
    def _match(self, core, record_pairs=False):
        """match_detections on the columns, with mask IoU or OKS as the iouType says."""
        p = self.params
        gt = self.cocoGt.table("gt")
        dt = self.cocoDt.table("dt")
        image_ids = core.image_ids if core.image_ids is not None else np.zeros(0, np.int64)
        cat_ids = core.category_ids if core.category_ids is not None else np.zeros(0, np.int64)
        options = {}
        if p.iouType == "segm":
            lowest = min(float(np.min(core.iou_thresholds)), 1 - 1e-10)
            options["pair_ious"] = mask_pair_ious(self.cocoGt._mask_columns("gt"), gt.iscrowd,
                                                  self.cocoDt._mask_columns("dt"), lowest)
        elif p.iouType == "keypoints":
            gt_kp, num_keypoints = self.cocoGt._keypoint_columns("gt")
            dt_kp, _ = self.cocoDt._keypoint_columns("dt")
            options["gt_ignored"] = (gt.iscrowd != 0) | (num_keypoints == 0)
            options["pair_ious"] = oks_pair_ious(gt_kp, gt.bbox, gt.area, dt_kp, p.kpt_oks_sigmas,
                                                 use_categories=core.use_categories)
        return match_detections(gt, dt, core, image_ids, cat_ids, record_pairs=record_pairs, **options)

    @with_ordinary_pages
    def evaluate(self):
        """Match detections to ground truth for every image, category and area range."""
        tic = time.time()
        print("Running per image evaluation...")
        p = self.params
        if p.useSegm is not None:
            p.iouType = "segm" if p.useSegm == 1 else "bbox"
            print("useSegm (deprecated) is not None. Running {} evaluation".format(p.iouType))
        _check_iou_type(p.iouType)
        print("Evaluate annotation type *{}*".format(p.iouType))
        p.imgIds = list(np.unique(p.imgIds))
        if p.useCats:
            p.catIds = list(np.unique(p.catIds))
        p.maxDets = sorted(p.maxDets)
        self.params = p
        core = p._to_core()
        check_ground_truth_ids(self.cocoGt.table("gt"))
        self._matched, self._match_info = self._match(core)
        self._core = core
        self._eval_imgs, self._eval_imgs_given = None, False
        self._ious = self._gts_value = self._dts_value = None
        self._paramsEval = self.params._copy()
        print("DONE (t={:0.2f}s).".format(time.time() - tic))

    def _build_eval_imgs(self) -> list:
        core, p = self._core, self._paramsEval
        gt, dt = self.cocoGt.table("gt"), self.cocoDt.table("dt")
        _, info = self._match(core, record_pairs=True)
        n_cat = len(core.category_ids)
        cat_ids = list(core.category_ids) if core.use_categories else [-1]
        gt_rows, dt_rows = info["gt_index_all"], info["dt_index_all"]
        gt_starts, dt_starts, dt_upto = info["gt_starts"], info["dt_starts"], info["dt_keep_upto"]
        codes, dt_match, gt_ignored = info["codes_all"], info["dt_match"], info["gt_ignored"]
        max_det = core.max_detections[-1]
        out = []
        for k, cat_id in enumerate(cat_ids):
            for a, area_range in enumerate(p.areaRng):
                lo, hi = core.area_ranges[a]
                for i, img_id in enumerate(core.image_ids):
                    key = i * n_cat + k if core.use_categories else i  # groups in (image, category) order
                    g0, g1 = gt_starts[key], gt_starts[key + 1]
                    d0, d1 = dt_starts[key], dt_upto[key]
                    if g0 == g1 and d0 == dt_starts[key + 1]:
                        out.append(None)
                        continue
                    rows = gt_rows[g0:g1]
                    ignore = ((gt_ignored[rows] != 0) | (gt.area[rows] < lo) | (gt.area[rows] > hi)).astype(np.int64)
                    order = np.argsort(ignore, kind="mergesort")  # ignored ground truth last
                    place = np.empty(len(order), np.int64)
                    place[order] = np.arange(len(order))
                    det_rows = dt_rows[d0:d1]
                    taken = dt_match[d0:d1, :, a].T  # (T, D) ground-truth positions
                    hit = taken >= 0
                    dt_matches = np.where(hit, gt.id[gt_rows[np.maximum(taken, 0)]], 0).astype(np.float64)
                    gt_matches = np.zeros((len(core.iou_thresholds), len(order)))
                    for t in range(gt_matches.shape[0]):
                        d_hit = np.flatnonzero(hit[t])[::-1]  # the last detection to take a crowd region wins
                        g_hit, first = np.unique(place[taken[t, d_hit] - g0], return_index=True)
                        gt_matches[t, g_hit] = dt.id[det_rows[d_hit[first]]]
                    out.append({
                        "image_id": img_id, "category_id": cat_id, "aRng": area_range, "maxDet": max_det,
                        "dtIds": dt.id[det_rows].tolist(), "gtIds": gt.id[rows[order]].tolist(),
                        "dtMatches": dt_matches, "gtMatches": gt_matches, "dtScores": dt.score[det_rows].tolist(),
                        "gtIgnore": ignore[order], "dtIgnore": codes[d0:d1, :, a].T == 0,
                    })
        return out

    @with_ordinary_pages
    def accumulate(self, p=None):
        """Precision/recall arrays into ``self.eval`` (pycocotools' layout)."""
        print("Accumulating evaluation results...")
        tic = time.time()
        if self._matched is None:
            if self._eval_imgs_given and self._eval_imgs:
                self._accumulate_eval_imgs(p)  # evalImgs from a subclass's own evaluate()
                print("DONE (t={:0.2f}s).".format(time.time() - tic))
                return
            print("Please run evaluate() first")  # pycocotools' line; it then fails on a missing attribute
            raise ValueError("accumulate() needs the matches of evaluate(): call E.evaluate() first.")
        if p is not None and p is not self.params:
            if not _same_params(p._to_core(), self._core):
                raise ValueError("accumulate(p) accepts only the parameters evaluate() ran with; "
                                 "set them on E.params and call evaluate() again.")
        p = self.params
        p.catIds = p.catIds if p.useCats == 1 else [-1]
        cats = np.asarray(p.catIds, dtype=np.int64)
        result = evaluate_matched(self._matched, self._core, self._core.image_ids, cats)
        T, R, K, A, M = result.precision.shape
        self.eval = {"params": p, "counts": [T, R, K, A, M],
                     "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
                     "precision": result.precision, "recall": result.recall, "scores": result.scores}
        print("DONE (t={:0.2f}s).".format(time.time() - tic))

    def _accumulate_eval_imgs(self, p=None):
        """pycocotools' accumulate() on ``evalImgs`` (the same NumPy operations)."""
        p = self.params if p is None else p
        p.catIds = p.catIds if p.useCats == 1 else [-1]
        T, R = len(p.iouThrs), len(p.recThrs)
        K, A, M = len(p.catIds) if p.useCats else 1, len(p.areaRng), len(p.maxDets)
        precision, recall, scores = -np.ones((T, R, K, A, M)), -np.ones((T, K, A, M)), -np.ones((T, R, K, A, M))
        pe = self._paramsEval
        set_k = set(pe.catIds if pe.useCats else [-1])
        set_a, set_m, set_i = set(map(tuple, pe.areaRng)), set(pe.maxDets), set(pe.imgIds)
        k_list = [n for n, k in enumerate(p.catIds) if k in set_k]
        m_list = [m for m in p.maxDets if m in set_m]
        a_list = [n for n, a in enumerate(map(tuple, p.areaRng)) if a in set_a]
        i_list = [n for n, i in enumerate(p.imgIds) if i in set_i]
        n_img, n_area = len(pe.imgIds), len(pe.areaRng)
        for k, k0 in enumerate(k_list):
            for a, a0 in enumerate(a_list):
                for m, max_det in enumerate(m_list):
                    E = [self.evalImgs[k0 * n_area * n_img + a0 * n_img + i] for i in i_list]
                    E = [e for e in E if e is not None]
                    if not E:
                        continue
                    dt_scores = np.concatenate([e["dtScores"][0:max_det] for e in E])
                    order = np.argsort(-dt_scores, kind="mergesort")
                    sorted_scores = dt_scores[order]
                    dtm = np.concatenate([e["dtMatches"][:, 0:max_det] for e in E], axis=1)[:, order]
                    dt_ig = np.concatenate([e["dtIgnore"][:, 0:max_det] for e in E], axis=1)[:, order]
                    gt_ig = np.concatenate([e["gtIgnore"] for e in E])
                    npig = np.count_nonzero(gt_ig == 0)
                    if npig == 0:
                        continue
                    tp_sum = np.cumsum(np.logical_and(dtm, np.logical_not(dt_ig)), axis=1).astype(dtype=float)
                    fp_sum = np.cumsum(np.logical_and(np.logical_not(dtm), np.logical_not(dt_ig)), axis=1).astype(dtype=float)
                    for t, (tp, fp) in enumerate(zip(tp_sum, fp_sum)):
                        nd = len(tp)
                        rc = tp / npig
                        pr = (tp / (fp + tp + np.spacing(1))).tolist()
                        recall[t, k, a, m] = rc[-1] if nd else 0
                        for i in range(nd - 1, 0, -1):  # precision made monotone from the right
                            if pr[i] > pr[i - 1]:
                                pr[i - 1] = pr[i]
                        q, ss = np.zeros(R), np.zeros(R)
                        for r, i in enumerate(np.searchsorted(rc, p.recThrs, side="left")):
                            if i >= nd:
                                break  # recall thresholds beyond the curve keep 0
                            q[r], ss[r] = pr[i], sorted_scores[i]
                        precision[t, :, k, a, m] = q
                        scores[t, :, k, a, m] = ss
        self.eval = {"params": p, "counts": [T, R, K, A, M],
                     "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
                     "precision": precision, "recall": recall, "scores": scores}

    def summarize(self):
        """Print pycocotools' summary lines (12 for bbox and segm, 10 for keypoints); set ``stats``."""
        if not self.eval:
            raise Exception("Please run accumulate() first")
        p = self.params
        core = CocoParams(iou_thresholds=p.iouThrs, max_detections=p.maxDets, area_labels=p.areaRngLbl)
        kind = "keypoints" if p.iouType == "keypoints" else "bbox"
        stats, lines = summarize_arrays(self.eval["precision"], self.eval["recall"], core, iou_type=kind)
        for line in lines:
            print(line)
        self.stats = stats

    def __str__(self):
        self.summarize()
        return ""


def _same_params(a: CocoParams, b: CocoParams) -> bool:
    return (np.array_equal(a.image_ids, b.image_ids) and np.array_equal(a.category_ids, b.category_ids)
            and np.array_equal(a.iou_thresholds, b.iou_thresholds) and np.array_equal(a.recall_thresholds, b.recall_thresholds)
            and a.max_detections == b.max_detections and np.array_equal(a.area_ranges, b.area_ranges)
            and a.use_categories == b.use_categories)
