"""Drop-in replacement for pycocotools: ``COCO`` (``pycocotools.coco``), ``COCOeval`` and
``Params`` (``pycocotools.cocoeval``, boxes, masks and keypoints) and ``mask``
(``pycocotools.mask``).

Change the import lines::

    from fastscore.compat.pycocotools import COCO, COCOeval, mask

(or call ``fastscore.compat.init_as_pycocotools()`` first, and every ``import
pycocotools`` of the process gets these modules) and keep the rest: the same
constructor arguments, ``params``, ``evaluate()``, ``accumulate()``,
``summarize()`` (the same printed lines), ``stats`` and
``eval["precision" | "recall" | "scores"]``, bit-identical to pycocotools 2.0.

Annotations are kept as columns from the moment they are read (masks as
run-length encodings, keypoints as arrays); the dictionary views (``anns``,
``imgs``, ``imgToAnns`` ...) are built on first use.

Differences, all deliberate:

- ``evalImgs``, ``ious``, ``_gts`` and ``_dts`` (pycocotools' per-image state)
  are built only when read, by a second pass (the evaluation keeps arrays);
- duplicate ground-truth annotation ids raise an error (pycocotools silently
  keeps the last), an annotation id of 0 warns (pycocotools' numbers are kept);
- ``loadRes`` raises ValueError (not AssertionError) for detections on images
  the ground truth does not list, and warns about unknown category ids; mask
  results store their area as a Python int and box as a list (pycocotools: a
  NumPy uint32 and an array, the same values); caption results are refused;
- masks whose size differs from their image's, polygons with fewer than 3
  points, NaN or huge coordinates, keypoint lists of another length than
  3 x the sigmas raise a ValueError naming the annotation (pycocotools gives
  IoU -1, drops values, crashes or broadcasts);
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
import itertools
import json
import time
import warnings
from collections import defaultdict

import numpy as np

from ...detection import masks as _masks
from ...detection.coco import BoxTable, ids_missing_from
from ...detection.keypoints import keypoint_array, result_areas_and_boxes
from ...detection.segmentation import MaskColumns, result_rles, segmentation_rles, span_rles
from ..._config import with_ordinary_pages
from ...detection._json import (
    SPAN_HEIGHT,
    SPAN_SEGMENTATION,
    SPAN_KEYPOINTS,
    SPAN_NUM_KEYPOINTS,
    SPAN_WIDTH,
    SpanSource,
    annotation_columns,
    results_columns,
    results_records,
)
from ..._cy.coco_json import NUMBER as NUMBER_STATE
from ...detection.io import columns_from_dicts

__all__ = ["COCO", "COCOeval", "Params", "mask"]


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


def _result_kind(anns: list) -> str:
    """pycocotools' loadRes branch order, decided by the first result."""
    if not anns:
        return "bbox"
    first = anns[0]
    if "caption" in first:
        raise NotImplementedError("caption results are not evaluated by fastscore (pycocotools' caption branch).")
    if "bbox" in first and not first["bbox"] == []:
        return "bbox"
    if "segmentation" in first:
        return "segm"
    if "keypoints" in first:
        return "keypoints"
    raise ValueError("results must hold 'bbox', 'segmentation' (RLE) or 'keypoints' (the first result has "
                     f"{sorted(first)}).")


def _complete_mask_results(anns: list) -> MaskColumns:
    """pycocotools' segm branch of loadRes, in place: area and (if absent) box from the RLE; id, iscrowd."""
    missing = next((i for i, a in enumerate(anns) if "segmentation" not in a), None)
    if missing is not None:
        raise ValueError(f"result {missing} has no 'segmentation'; mask results need an RLE each.")
    segs = [a["segmentation"] for a in anns]
    bad = next((i for i, sg in enumerate(segs) if not isinstance(sg, dict)), None)
    if bad is not None:
        raise ValueError(f"result {bad}: segmentation results must be RLE dicts {{'size': [h, w], 'counts': ...}} "
                         f"(pycocotools reads only RLE here); encode polygons with mask.frPyObjects first.")
    masks = MaskColumns.of(result_rles(segs, labels=lambda i: f"result {i} (image {anns[i].get('image_id')})"))
    areas = masks.areas.tolist()
    boxes = masks.boxes.tolist()
    # pycocotools stores a NumPy uint32 area and a box array; the same values as a Python int and list
    for i, ann in enumerate(anns):
        ann["area"] = areas[i]
        if "bbox" not in ann:
            ann["bbox"] = boxes[i]
        ann["id"] = i + 1
        ann["iscrowd"] = 0
    return masks


def _checked_rles(r):
    _masks.check_complete(r, "results", at_least_one_run=False)
    for i in np.flatnonzero(r.heights * r.widths >= 2 ** 32)[:1].tolist():
        _masks.image_size(int(r.heights[i]), int(r.widths[i]), f"result {i}")
    return r


def _complete_results(anns: list, kind: str) -> list:
    """pycocotools' loadRes completion of result dicts read from a file (in place)."""
    if kind == "segm":
        _complete_mask_results(anns)
    elif kind == "keypoints":
        _complete_keypoint_results(anns)
    return anns


def _complete_keypoint_results(anns: list) -> np.ndarray:
    """pycocotools' keypoints branch of loadRes, in place: the box around the keypoints, its area, id."""
    missing = next((i for i, a in enumerate(anns) if "keypoints" not in a), None)
    if missing is not None:
        raise ValueError(f"result {missing} has no 'keypoints'; keypoint results need them [x1, y1, v1, ...].")
    kps = keypoint_array([a["keypoints"] for a in anns], None, labels=lambda i: f"result {i}", name="results")
    areas, boxes = result_areas_and_boxes(kps)
    areas, boxes = areas.tolist(), boxes.tolist()
    for i, ann in enumerate(anns):
        ann["area"] = areas[i]
        ann["id"] = i + 1
        ann["bbox"] = boxes[i]
    return kps


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
        self._derived = {}  # mask and keypoint columns, built when an evaluation needs them
        self._image_ids = None  # image / category ids in file order, from the compiled reader
        self._category_ids = None
        self._spans = None  # where a file's segmentation / keypoints values are (read when needed)
        self._image_spans = None  # (image ids, their height / width spans)
        self._sizes_from = None  # results: the ground truth whose images they share
        if annotation_file is not None:
            print("loading annotations into memory...")
            tic = time.time()
            columns, image_ids, categories = annotation_columns(annotation_file)
            self._spans = SpanSource(annotation_file, columns.pop("spans"))
            self._image_spans = (image_ids, SpanSource(annotation_file, columns.pop("image_spans")))
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
        self._derived = {}
        self._image_ids = None
        self._category_ids = None
        self._spans = self._image_spans = self._sizes_from = None

    # -- the dictionary index, built lazily -------------------------------------------------
    def createIndex(self):
        """Reset the dict index; it is rebuilt from ``dataset`` on first use."""
        print("creating index...")
        self._index = None
        if self._load_dataset is None:  # dataset set by hand: the columns follow it
            self._table = None
            self._derived = {}
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
            anns = self.dataset.get("annotations", [])
            table = columns_from_dicts(anns, side)
            if side == "dt" and anns and all("area" in a and "id" in a for a in anns):
                # results given as a dataset (torchmetrics builds COCO() + dataset, not loadRes):
                # pycocotools reads their own area and id fields
                table.area = np.fromiter((a["area"] for a in anns), np.float64, len(anns))
                table.id = np.fromiter((a["id"] for a in anns), np.int64, len(anns))
            self._table = table
            self._derived = {}
        return self._table

    def _annotation_label(self, side: str):
        table = self.table(side)
        what = "ground-truth annotation" if side == "gt" else "result"
        return lambda i: f"{what} {i} (id {int(table.id[i])}, image {int(table.image_id[i])})"

    def _from_spans(self) -> bool:
        """Whether the file's values can be read from their spans: the dicts were never built."""
        return self._dataset is None and self._spans is not None

    def _size_map(self) -> dict:
        """{image id: (height, width)} of ``images`` (-1 where absent), cached."""
        if "sizes" not in self._derived:
            if self._dataset is None and self._image_spans is not None:
                ids, source = self._image_spans
                buf = source.buffer()
                sizes = dict(zip(ids.tolist(), zip(
                    [-1 if v is None else v for v in source.scalars(SPAN_HEIGHT, buf)],
                    [-1 if v is None else v for v in source.scalars(SPAN_WIDTH, buf)])))
            elif self._dataset is None and self._sizes_from is not None:
                sizes = self._sizes_from._size_map()
            else:
                sizes = {img["id"]: (img.get("height", -1), img.get("width", -1)) for img in self.dataset.get("images", [])}
            self._derived["sizes"] = sizes
        return self._derived["sizes"]

    def _image_sizes(self, side: str) -> tuple[np.ndarray, np.ndarray]:
        """Height and width of each annotation's image (from ``images``)."""
        table = self.table(side)
        sizes = self._size_map()
        heights = np.empty(len(table), np.int64)
        widths = np.empty(len(table), np.int64)
        label = self._annotation_label(side)
        for i, image_id in enumerate(table.image_id.tolist()):
            size = sizes.get(image_id)
            if size is None or size[0] is None or size[1] is None or size[0] == -1 or size[1] == -1:
                raise ValueError(f"{label(i)}: its image {'is not in images' if size is None else 'has no height/width'}; "
                                 f"masks need the image size (COCO's images[].height and width).")
            heights[i], widths[i] = _masks.image_size(size[0], size[1], f"image {image_id}")
        return heights, widths

    def _mask_columns(self, side: str) -> MaskColumns:
        """annToRLE of every annotation, as RLE columns aligned with ``table()`` (cached)."""
        self.table(side)
        if "masks" not in self._derived:
            label = self._annotation_label(side)
            heights, widths = self._image_sizes(side)
            if self._from_spans():
                rles = span_rles(self._spans, heights, widths, labels=label)
            else:
                anns = self.dataset.get("annotations", [])
                missing = next((i for i, a in enumerate(anns) if "segmentation" not in a), None)
                if missing is not None:
                    raise ValueError(f"{label(missing)} has no 'segmentation'; iouType='segm' needs one per annotation "
                                     f"(polygons or RLE).")
                rles = segmentation_rles([a["segmentation"] for a in anns], heights, widths, labels=label)
            wrong = np.flatnonzero((rles.heights != heights) | (rles.widths != widths))
            if wrong.size:
                i = int(wrong[0])
                raise ValueError(f"{label(i)}: its RLE has size [{rles.heights[i]}, {rles.widths[i]}] but its image is "
                                 f"{heights[i]} x {widths[i]} (pycocotools would give it IoU -1 with every mask of the "
                                 f"image); encode the mask at the image's size.")
            self._derived["masks"] = MaskColumns.of(rles)
        return self._derived["masks"]

    def _keypoint_columns(self, side: str) -> tuple[np.ndarray, np.ndarray | None]:
        """(keypoints (n, 3K), num_keypoints or None for results) aligned with ``table()`` (cached)."""
        self.table(side)
        if "keypoints" not in self._derived and self._from_spans():
            self._derived["keypoints"] = self._keypoints_from_spans(side)
        if "keypoints" not in self._derived:
            anns = self.dataset.get("annotations", [])
            label = self._annotation_label(side)
            missing = next((i for i, a in enumerate(anns) if "keypoints" not in a), None)
            if missing is not None:
                raise ValueError(f"{label(missing)} has no 'keypoints'; iouType='keypoints' needs them "
                                 f"[x1, y1, v1, ...] on every annotation.")
            kps = keypoint_array([a["keypoints"] for a in anns], None, labels=label, name="keypoints")
            counts = None
            if side == "gt":
                missing = next((i for i, a in enumerate(anns) if "num_keypoints" not in a), None)
                if missing is not None:
                    raise ValueError(f"{label(missing)} has no 'num_keypoints'; pycocotools ignores ground truths "
                                     f"with num_keypoints == 0, so every annotation needs it.")
                counts = np.array([a["num_keypoints"] for a in anns], dtype=np.float64)
            self._derived["keypoints"] = (kps, counts)
        return self._derived["keypoints"]

    def _keypoints_from_spans(self, side: str):
        label = self._annotation_label(side)
        source = self._spans
        present = source.has(SPAN_KEYPOINTS)
        if not present.all():
            raise ValueError(f"{label(int(np.flatnonzero(~present)[0]))} has no 'keypoints'; iouType='keypoints' needs "
                             f"them [x1, y1, v1, ...] on every annotation.")
        buf = source.buffer()
        values, lists, _, ok = source.numbers(SPAN_KEYPOINTS, False, buf)
        lengths = np.diff(lists)
        if not ok.all() or (len(lengths) and (lengths != lengths[0]).any()):
            # another shape somewhere: the checked reader names the row
            rows = [source.value(SPAN_KEYPOINTS, i, buf) for i in range(len(ok))]
            kps = keypoint_array(rows, None, labels=label, name="keypoints")
        else:
            rows = values.reshape(len(ok), int(lengths[0]) if len(lengths) else 0)
            kps = keypoint_array(rows, None, labels=label, name="keypoints")
        counts = None
        if side == "gt":
            numbers = source.scalars(SPAN_NUM_KEYPOINTS, buf)
            missing = next((i for i, v in enumerate(numbers) if v is None), None)
            if missing is not None:
                raise ValueError(f"{label(missing)} has no 'num_keypoints'; pycocotools ignores ground truths "
                                 f"with num_keypoints == 0, so every annotation needs it.")
            counts = np.array(numbers, dtype=np.float64)
        return kps, counts

    # -- masks of annotations (pycocotools' annToRLE / annToMask) -------------------------------
    def annToRLE(self, ann):
        """The annotation's segmentation as an RLE (polygons merged into one mask)."""
        t = self.imgs[ann["image_id"]]
        h, w = t["height"], t["width"]
        segm = ann["segmentation"]
        if type(segm) is list:
            return mask.merge(mask.frPyObjects(segm, h, w))
        if type(segm["counts"]) is list:
            return mask.frPyObjects(segm, h, w)
        return segm

    def annToMask(self, ann):
        """The annotation's segmentation as an (h, w) uint8 mask."""
        return mask.decode(self.annToRLE(ann))

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
        """Load results (a JSON file, a list of dicts or an (N, 7) array) against this ground truth.

        As pycocotools, the first result decides the kind: a non-empty ``bbox`` makes them box
        results (area = box area, a box polygon as segmentation where none is given), else a
        ``segmentation`` (RLE) makes them mask results (area and box from the mask), else
        ``keypoints`` (box and area around the keypoints).
        """
        res = COCO()
        print("Loading and preparing results...")
        tic = time.time()
        if isinstance(resFile, (str, bytes)) or hasattr(resFile, "__fspath__"):
            # the compiled reader fills the columns (masks and keypoints from their byte spans);
            # the dicts are built only if asked for
            loaded = self._load_results_file(resFile, res)
            if loaded:
                print("DONE (t={:0.2f}s)".format(time.time() - tic))
                return res
            anns = _read_json_list(resFile)  # another layout: pycocotools' rules on the dicts
        elif isinstance(resFile, np.ndarray):
            anns = self.loadNumpyAnnotations(resFile)
        else:
            anns = resFile
        if not isinstance(anns, list):
            raise ValueError(f"results must be a list of detection dicts (a JSON array), got {type(anns).__name__}.")
        if anns and not isinstance(anns[0], dict):
            raise ValueError(f"results must be detection dicts, got {type(anns[0]).__name__}.")
        kind = _result_kind(anns)
        derived = {}
        if kind == "segm":
            derived["masks"] = _complete_mask_results(anns)
        elif kind == "keypoints":
            derived["keypoints"] = (_complete_keypoint_results(anns), None)
        table = columns_from_dicts(anns, "dt")
        if kind != "bbox":  # the area of a mask or of the keypoints' box, not of the box
            table.area = np.fromiter((a["area"] for a in anns), np.float64, len(anns))
        self._check_results(table)
        res.dataset = self._results_dataset(anns, kind)
        res.createIndex()
        res._table = table
        res._derived = derived
        print("DONE (t={:0.2f}s)".format(time.time() - tic))
        return res

    def _load_results_file(self, path, res) -> bool:
        """Fill ``res`` from a results file read by the compiled reader; False when the file needs
        the dict path (caption results, a first result whose kind is unclear, mask results that
        are not all RLE objects, ragged keypoints)."""
        columns, source = results_records(path)
        n = len(columns["image_id"])
        has_box = columns["bbox_state"] == NUMBER_STATE
        if n == 0 or has_box[0]:
            if n and not has_box.all():
                results_columns(path)  # raises, naming the first record without a box
            table = BoxTable.from_columns({k: columns[k] for k in ("image_id", "category_id", "bbox", "score")}, side="dt")
            kind = "bbox"
        elif source.has(SPAN_SEGMENTATION)[0]:
            heights, widths, strings = source.rle_strings()
            if any(t is None for t in strings):
                return False
            counts, starts, bad, _ = _masks._FROM_STRINGS.resolve()[1](strings)
            if bad >= 0 or len(heights) and (heights.min() < 0 or widths.min() < 0):
                return False
            masks = MaskColumns.of(_checked_rles(_masks.Rles(counts, starts, heights, widths)))
            boxes = np.where(has_box[:, None], columns["bbox"], masks.boxes)
            table = BoxTable.from_columns({"image_id": columns["image_id"], "category_id": columns["category_id"],
                                           "bbox": boxes, "score": columns["score"]}, side="dt")
            table.area = masks.areas.astype(np.float64)
            res._derived["masks"] = masks
            kind = "segm"
        elif source.has(SPAN_KEYPOINTS)[0]:
            values, lists, _, ok = source.numbers(SPAN_KEYPOINTS, False)
            lengths = np.diff(lists)
            if not ok.all() or (lengths != lengths[0]).any():
                return False
            kps = keypoint_array(values.reshape(n, int(lengths[0])), None, labels=lambda i: f"result {i}",
                                 name="results")
            areas, boxes = result_areas_and_boxes(kps)
            table = BoxTable.from_columns({"image_id": columns["image_id"], "category_id": columns["category_id"],
                                           "bbox": boxes, "score": columns["score"]}, side="dt")
            table.area = areas
            res._derived["keypoints"] = (kps, None)
            kind = "keypoints"
        else:
            return False
        self._check_results(table)
        res._table = table
        res._dataset = None
        res._sizes_from = self
        res._load_dataset = lambda: self._results_dataset(_complete_results(_read_json_list(path), kind), kind)
        return True

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

    def _results_dataset(self, anns: list, kind: str = "bbox") -> dict:
        """pycocotools' results dataset: the images, a copy of the categories, completed result dicts."""
        # pycocotools completes each box result in place (id, area, iscrowd, a box polygon);
        # mask and keypoint results were completed by loadRes
        for i, ann in enumerate(anns if kind == "bbox" else ()):
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
        if name in ("showAnns", "download"):
            raise AttributeError(f"COCO.{name} draws or downloads images, which fastscore does not do; use pycocotools for it.")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


from . import mask  # noqa: E402
from .cocoeval import COCOeval, Params  # noqa: E402  (they import this package's mask module)
