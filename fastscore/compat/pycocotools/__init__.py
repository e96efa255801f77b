"""Drop-in replacement for ``pycocotools.coco.COCO`` and ``pycocotools.cocoeval.COCOeval`` (bbox),
and (``fastscore.compat.pycocotools.mask``) for ``pycocotools.mask``.

Change the two import lines::

    from fastscore.compat.pycocotools import COCO, COCOeval

and keep the rest: the same constructor arguments, ``params``, ``evaluate()``,
``accumulate()``, ``summarize()`` (the same printed lines), ``stats`` and
``eval["precision" | "recall" | "scores"]``, bit-identical to pycocotools 2.0.

Annotations are kept as columns from the moment they are read; the
dictionary views (``anns``, ``imgs``, ``imgToAnns`` ...) are built on first use.

Differences, all deliberate:

- only ``iouType="bbox"`` (segmentation and keypoints raise an error);
- ``evalImgs`` (pycocotools' per-image list of dicts) is built only when
  read, by a second matching pass (the evaluation keeps arrays);
- duplicate ground-truth annotation ids raise an error (pycocotools silently
  keeps the last), an annotation id of 0 warns (pycocotools' numbers are kept);
- ``loadRes`` raises ValueError (not AssertionError) for detections on images
  the ground truth does not list, and warns about unknown category ids;
- ``accumulate(p)`` accepts only the parameters ``evaluate()`` used.

Examples
--------
>>> from fastscore.compat.pycocotools import COCO, COCOeval
>>> from fastscore.datasets import coco_sample_paths
>>> gt_file, dt_file = coco_sample_paths()
>>> coco_gt = COCO(gt_file)  # doctest: +ELLIPSIS
loading annotations into memory...
...
>>> coco_dt = coco_gt.loadRes(dt_file)  # doctest: +ELLIPSIS
Loading and preparing results...
...
>>> E = COCOeval(coco_gt, coco_dt, "bbox")
>>> E.evaluate(); E.accumulate(); E.summarize()  # doctest: +ELLIPSIS
Running per image evaluation...
...
 Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505
...
"""
from __future__ import annotations

import copy
import datetime
import itertools
import json
import time
import warnings
from collections import defaultdict

import numpy as np

from ...detection.coco import (
    BoxTable,
    CocoParams,
    check_ground_truth_ids,
    default_area_ranges,
    default_iou_thresholds,
    default_recall_thresholds,
    ids_missing_from,
    match_detections,
)
from ...detection.evaluation import evaluate_matched
from ..._config import with_ordinary_pages
from ...detection._json import annotation_columns, results_columns
from ...detection.io import columns_from_dicts

__all__ = ["COCO", "COCOeval", "Params"]


def _is_array_like(obj) -> bool:
    return hasattr(obj, "__iter__") and hasattr(obj, "__len__")


def _first_occurrences(ids: np.ndarray) -> list:
    _, first = np.unique(ids, return_index=True)
    return ids[np.sort(first)].tolist()


def _read_json_object(path) -> dict:
    with open(path, "r") as f:
        dataset = json.load(f)
    if not isinstance(dataset, dict):
        raise ValueError(f"annotation file format {type(dataset).__name__} not supported: a COCO file holds a JSON object.")
    return dataset


def _read_json_list(path) -> list:
    with open(path, "r") as f:
        anns = json.load(f)
    if not isinstance(anns, list):
        raise ValueError(f"results must be a list of detection dicts (a JSON array), got {type(anns).__name__}.")
    return anns


class COCO:
    """COCO annotations (pycocotools' ``COCO``): reads the same JSON files.

    Parameters
    ----------
    annotation_file : str or path, optional
        A COCO instances JSON file.
    """

    @with_ordinary_pages
    def __init__(self, annotation_file=None):
        self._dataset = {}
        self._load_dataset = None  # builds the dict view of a file on first use
        self._index = None
        self._table = None
        self._image_ids = None  # image / category ids in file order, from the compiled reader
        self._category_ids = None
        if annotation_file is not None:
            print("loading annotations into memory...")
            tic = time.time()
            columns, image_ids, categories = annotation_columns(annotation_file)
            self._table = BoxTable.from_columns(columns, side="gt")
            self._image_ids = _first_occurrences(image_ids)
            self._category_ids = [cid for cid, _ in categories]
            self._dataset = None
            self._load_dataset = lambda: _read_json_object(annotation_file)
            print("Done (t={:0.2f}s)".format(time.time() - tic))
            self.createIndex()

    @property
    def dataset(self) -> dict:
        """The JSON content as dicts (read on first access when loaded from a file)."""
        if self._dataset is None:
            self._dataset = self._load_dataset()
        return self._dataset

    @dataset.setter
    def dataset(self, value):
        self._dataset = value
        self._load_dataset = None
        self._index = None
        self._table = None
        self._image_ids = None
        self._category_ids = None

    # -- the dictionary index, built lazily -------------------------------------------------
    def createIndex(self):
        """Reset the dict index; it is rebuilt from ``dataset`` on first use."""
        print("creating index...")
        self._index = None
        if self._load_dataset is None:  # dataset set by hand: the columns follow it
            self._table = None
            self._image_ids = None
            self._category_ids = None
        print("index created!")

    def _build_index(self):
        anns, cats, imgs = {}, {}, {}
        img_to_anns, cat_to_imgs = defaultdict(list), defaultdict(list)
        for ann in self.dataset.get("annotations", []):
            img_to_anns[ann["image_id"]].append(ann)
            anns[ann["id"]] = ann
        for img in self.dataset.get("images", []):
            imgs[img["id"]] = img
        for cat in self.dataset.get("categories", []):
            cats[cat["id"]] = cat
        if "annotations" in self.dataset and "categories" in self.dataset:
            for ann in self.dataset["annotations"]:
                cat_to_imgs[ann["category_id"]].append(ann["image_id"])
        self._index = (anns, cats, imgs, img_to_anns, cat_to_imgs)
        return self._index

    @property
    def anns(self) -> dict:
        return (self._index or self._build_index())[0]

    @property
    def cats(self) -> dict:
        return (self._index or self._build_index())[1]

    @property
    def imgs(self) -> dict:
        return (self._index or self._build_index())[2]

    @property
    def imgToAnns(self) -> dict:
        return (self._index or self._build_index())[3]

    @property
    def catToImgs(self) -> dict:
        return (self._index or self._build_index())[4]

    def table(self, side: str = "gt") -> BoxTable:
        """The annotations as columns (cached)."""
        if self._table is None:
            self._table = columns_from_dicts(self.dataset.get("annotations", []), side)
        return self._table

    # -- pycocotools' queries ----------------------------------------------------------------
    def info(self):
        for key, value in self.dataset["info"].items():
            print("{}: {}".format(key, value))

    def getAnnIds(self, imgIds=[], catIds=[], areaRng=[], iscrowd=None):  # noqa: B006 - pycocotools' signature
        imgIds = imgIds if _is_array_like(imgIds) else [imgIds]
        catIds = catIds if _is_array_like(catIds) else [catIds]
        if len(imgIds) == len(catIds) == len(areaRng) == 0:
            if iscrowd is None and self._dataset is None and self._table is not None:
                return self._table.id.tolist()  # a file not yet read as dicts: the ids column, in file order
            anns = self.dataset.get("annotations", [])
        else:
            if len(imgIds):
                anns = list(itertools.chain.from_iterable(self.imgToAnns[i] for i in imgIds if i in self.imgToAnns))
            else:
                anns = self.dataset.get("annotations", [])
            anns = anns if len(catIds) == 0 else [a for a in anns if a["category_id"] in catIds]
            anns = anns if len(areaRng) == 0 else [a for a in anns if areaRng[0] < a["area"] < areaRng[1]]
        if iscrowd is not None:
            return [a["id"] for a in anns if a["iscrowd"] == iscrowd]
        return [a["id"] for a in anns]

    def getCatIds(self, catNms=[], supNms=[], catIds=[]):  # noqa: B006
        catNms = catNms if _is_array_like(catNms) else [catNms]
        supNms = supNms if _is_array_like(supNms) else [supNms]
        catIds = catIds if _is_array_like(catIds) else [catIds]
        if len(catNms) == len(supNms) == len(catIds) == 0 and self._category_ids is not None:
            return list(self._category_ids)
        cats = self.dataset.get("categories", [])
        cats = cats if len(catNms) == 0 else [c for c in cats if c["name"] in catNms]
        cats = cats if len(supNms) == 0 else [c for c in cats if c["supercategory"] in supNms]
        cats = cats if len(catIds) == 0 else [c for c in cats if c["id"] in catIds]
        return [c["id"] for c in cats]

    def getImgIds(self, imgIds=[], catIds=[]):  # noqa: B006
        imgIds = imgIds if _is_array_like(imgIds) else [imgIds]
        catIds = catIds if _is_array_like(catIds) else [catIds]
        if len(imgIds) == len(catIds) == 0:
            if self._image_ids is not None:
                return list(self._image_ids)
            return list(self.imgs.keys())
        ids = set(imgIds)
        for i, cat in enumerate(catIds):
            ids = set(self.catToImgs[cat]) if i == 0 and len(ids) == 0 else ids & set(self.catToImgs[cat])
        return list(ids)

    def loadAnns(self, ids=[]):  # noqa: B006
        return [self.anns[i] for i in ids] if _is_array_like(ids) else [self.anns[ids]]

    def loadCats(self, ids=[]):  # noqa: B006
        return [self.cats[i] for i in ids] if _is_array_like(ids) else [self.cats[ids]]

    def loadImgs(self, ids=[]):  # noqa: B006
        return [self.imgs[i] for i in ids] if _is_array_like(ids) else [self.imgs[ids]]

    # -- results -----------------------------------------------------------------------------
    @with_ordinary_pages
    def loadRes(self, resFile):
        """Load detections (a JSON file, a list of dicts or an (N, 7) array) against this ground truth."""
        res = COCO()
        print("Loading and preparing results...")
        tic = time.time()
        if isinstance(resFile, (str, bytes)) or hasattr(resFile, "__fspath__"):
            # the compiled reader fills the columns; the dicts are built only if asked for
            table = BoxTable.from_columns(results_columns(resFile), side="dt")
            self._check_results(table)
            res._table = table
            res._dataset = None
            res._load_dataset = lambda: self._results_dataset(_read_json_list(resFile))
            print("DONE (t={:0.2f}s)".format(time.time() - tic))
            return res
        if isinstance(resFile, np.ndarray):
            anns = self.loadNumpyAnnotations(resFile)
        else:
            anns = resFile
        if not isinstance(anns, list):
            raise ValueError(f"results must be a list of detection dicts (a JSON array), got {type(anns).__name__}.")
        if anns and not ("bbox" in anns[0] and len(anns[0]["bbox"]) > 0):
            raise NotImplementedError(
                "fastscore.compat.pycocotools supports bounding-box results only (dicts with a 'bbox'); "
                "segmentation, keypoint and caption results are not supported yet."
            )
        table = columns_from_dicts(anns, "dt")
        self._check_results(table)
        res.dataset = self._results_dataset(anns)
        res.createIndex()
        res._table = table
        print("DONE (t={:0.2f}s)".format(time.time() - tic))
        return res

    def _check_results(self, table):
        unknown = ids_missing_from(table.image_id, self.getImgIds())
        if unknown.size:
            raise ValueError(
                f"Results do not correspond to current coco set: {unknown.size} image id(s) are not in the "
                f"ground truth (first: {unknown[:5].tolist()}); drop those detections or use the matching annotation file."
            )
        unknown = ids_missing_from(table.category_id, self.getCatIds())
        if unknown.size:
            warnings.warn(
                f"{unknown.size} category id(s) of the results are not in the ground truth (first: {unknown[:5].tolist()}); "
                f"pycocotools ignores those detections, and so does fastscore.", UserWarning, stacklevel=3)

    def _results_dataset(self, anns: list) -> dict:
        """pycocotools' results dataset: the images, a copy of the categories, completed result dicts."""
        # pycocotools completes each result dict in place (id, area, iscrowd, a box polygon)
        for i, ann in enumerate(anns):
            bb = ann["bbox"]
            x1, x2, y1, y2 = bb[0], bb[0] + bb[2], bb[1], bb[1] + bb[3]
            if "segmentation" not in ann:
                ann["segmentation"] = [[x1, y1, x1, y2, x2, y2, x2, y1]]
            ann["area"] = bb[2] * bb[3]
            ann["id"] = i + 1
            ann["iscrowd"] = 0
        return {"images": [img for img in self.dataset.get("images", [])],
                "categories": copy.deepcopy(self.dataset.get("categories", [])), "annotations": anns}

    def loadNumpyAnnotations(self, data):
        """An (N, 7) array [image_id, x, y, w, h, score, category_id] as a list of result dicts."""
        print("Converting ndarray to lists...")
        data = np.asarray(data)
        if data.ndim != 2 or data.shape[1] != 7:
            raise ValueError(f"detections as an array must have shape (N, 7) [image_id, x, y, w, h, score, category_id], got {data.shape}.")
        print(data.shape)
        return [{"image_id": int(row[0]), "bbox": [row[1], row[2], row[3], row[4]], "score": row[5],
                 "category_id": int(row[6])} for row in data]

    def __getattr__(self, name):
        if name in ("showAnns", "annToRLE", "annToMask", "download"):
            raise AttributeError(f"COCO.{name} works on masks or images, which fastscore does not handle; use pycocotools for it.")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class Params:
    """pycocotools' evaluation parameters (bbox)."""

    def __init__(self, iouType="segm"):
        if iouType not in ("bbox", "segm", "keypoints"):
            raise Exception("iouType not supported")
        self.imgIds = []
        self.catIds = []
        self.iouThrs = default_iou_thresholds()
        self.recThrs = default_recall_thresholds()
        self.maxDets = [1, 10, 100]
        self.areaRng = default_area_ranges()
        self.areaRngLbl = ["all", "small", "medium", "large"]
        self.useCats = 1
        self.iouType = iouType
        self.useSegm = None

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
    if iou_type != "bbox":
        raise NotImplementedError(
            f"fastscore.compat.pycocotools evaluates iouType='bbox' only; got iouType={iou_type!r} "
            f"(segm and keypoints are not supported yet). Pass iouType='bbox'."
        )


class COCOeval:
    """pycocotools' ``COCOeval`` for bounding boxes, with identical numbers.

    Parameters
    ----------
    cocoGt, cocoDt : COCO
    iouType : str
        Must be "bbox" (pycocotools' default, "segm", is not supported).
    """

    def __init__(self, cocoGt=None, cocoDt=None, iouType="segm"):
        if not iouType:
            print("iouType not specified. use default iouType segm")
            iouType = "segm"
        _check_iou_type(iouType)
        self.cocoGt = cocoGt
        self.cocoDt = cocoDt
        self.eval = {}
        self.params = Params(iouType=iouType)
        self._paramsEval = {}
        self.stats = []
        self._matched = None
        self._eval_imgs = None
        if cocoGt is not None:
            self.params.imgIds = sorted(cocoGt.getImgIds())
            self.params.catIds = sorted(cocoGt.getCatIds())

    @property
    def evalImgs(self):
        """pycocotools' per-image results (a K x A x I list of dicts or None), built on first access.

        The evaluation itself keeps the matching as arrays; this list is made
        for code that reads it, by a second matching pass that records the
        pairs, so it costs about what pycocotools' own evaluate() does.
        """
        if self._matched is None:
            return []
        if self._eval_imgs is None:
            self._eval_imgs = self._build_eval_imgs()
        return self._eval_imgs

    def _build_eval_imgs(self) -> list:
        core, p = self._core, self._paramsEval
        gt, dt = self.cocoGt.table("gt"), self.cocoDt.table("dt")
        _, info = match_detections(gt, dt, core, core.image_ids, core.category_ids, record_pairs=True)
        n_cat = len(core.category_ids)
        cat_ids = list(core.category_ids) if core.use_categories else [-1]
        gt_rows, dt_rows = info["gt_index_all"], info["dt_index_all"]
        gt_starts, dt_starts, dt_upto = info["gt_starts"], info["dt_starts"], info["dt_keep_upto"]
        codes, dt_match = info["codes_all"], info["dt_match"]
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
                    ignore = ((gt.iscrowd[rows] != 0) | (gt.area[rows] < lo) | (gt.area[rows] > hi)).astype(np.int64)
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
        gt = self.cocoGt.table("gt")
        dt = self.cocoDt.table("dt")
        check_ground_truth_ids(gt)
        image_ids = core.image_ids if core.image_ids is not None else np.zeros(0, np.int64)
        cat_ids = core.category_ids if core.category_ids is not None else np.zeros(0, np.int64)
        self._matched, _ = match_detections(gt, dt, core, image_ids, cat_ids)
        self._eval_imgs = None
        self._core = core
        self._paramsEval = self.params._copy()
        print("DONE (t={:0.2f}s).".format(time.time() - tic))

    @with_ordinary_pages
    def accumulate(self, p=None):
        """Precision/recall arrays into ``self.eval`` (pycocotools' layout)."""
        print("Accumulating evaluation results...")
        tic = time.time()
        if self._matched is None:
            print("Please run evaluate() first")  # pycocotools' line; it then fails on a missing attribute
            raise ValueError("accumulate() needs the matches of evaluate(): call E.evaluate() first.")
        if p is not None and p is not self.params:
            core = p._to_core()
            if not _same_params(core, self._core):
                raise ValueError("accumulate(p) accepts only the parameters evaluate() ran with; "
                                 "set them on E.params and call evaluate() again.")
        p = self.params
        p.catIds = p.catIds if p.useCats == 1 else [-1]
        cats = np.asarray(p.catIds, dtype=np.int64)
        self._result = evaluate_matched(self._matched, self._core, self._core.image_ids, cats)
        r = self._result
        T, R, K, A, M = r.precision.shape
        self.eval = {
            "params": p,
            "counts": [T, R, K, A, M],
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "precision": r.precision,
            "recall": r.recall,
            "scores": r.scores,
        }
        print("DONE (t={:0.2f}s).".format(time.time() - tic))

    def summarize(self):
        """Print the 12 summary lines and set ``stats``."""
        if not self.eval:
            raise Exception("Please run accumulate() first")
        for line in self._result.summary_lines:
            print(line)
        if not self._result.summary_lines:
            raise ValueError("the COCO summary needs three maxDets (e.g. [1, 10, 100]).")
        self.stats = self._result.stats.copy()

    def __str__(self):
        self.summarize()
        return ""


def _same_params(a: CocoParams, b: CocoParams) -> bool:
    return (np.array_equal(a.image_ids, b.image_ids) and np.array_equal(a.category_ids, b.category_ids)
            and np.array_equal(a.iou_thresholds, b.iou_thresholds) and np.array_equal(a.recall_thresholds, b.recall_thresholds)
            and a.max_detections == b.max_detections and np.array_equal(a.area_ranges, b.area_ranges)
            and a.use_categories == b.use_categories)
