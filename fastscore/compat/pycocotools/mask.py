"""Drop-in replacement for ``pycocotools.mask``: ``encode``, ``decode``, ``area``, ``toBbox``,
``iou``, ``merge``, ``frPyObjects``, with pycocotools' signatures, dispatch and results (the same
bytes, areas, boxes and IoUs; see ``fastscore.detection.masks``).

Accepted beyond pycocotools (where it raises): masks in C order and of dtype int8; lists of
boxes and integer box arrays in ``frPyObjects``; a single polygon or box in ``frPyObjects``
(pycocotools fails on ``len()`` of a number); a 1-D box array in ``iou``; ``iscrowd=None``
(no crowd); uncompressed RLEs wherever an RLE is read. Refused with a ValueError where
pycocotools hangs, crashes or returns garbage: see ``fastscore.detection.masks``.

Examples
--------
>>> import numpy as np
>>> from fastscore.compat.pycocotools import mask
>>> rle = mask.encode(np.asfortranarray(np.eye(3, dtype=np.uint8)))
>>> rle, int(mask.area(rle)), mask.toBbox(rle).tolist()
({'size': [3, 3], 'counts': b'013000'}, 3, [0.0, 0.0, 3.0, 3.0])
"""
from __future__ import annotations

import numbers

import numpy as np

from ...detection import masks as _masks

__all__ = ["area", "decode", "encode", "frPyObjects", "iou", "merge", "toBbox"]


class IscrowdLengthError(ValueError, AssertionError):
    """iscrowd with a length other than gt's (pycocotools asserts: this is both errors)."""


def encode(bimask):
    """RLE of an (h, w) mask (a dict) or of each of an (h, w, n) stack (a list of dicts)."""
    if len(np.shape(bimask)) == 2:
        return _masks.encode(bimask)[0]
    return _masks.encode(bimask)


def decode(rleObjs):
    """Masks of a list of RLEs, (h, w, n) uint8 in Fortran order; of one RLE, (h, w)."""
    if type(rleObjs) == list:  # noqa: E721 - pycocotools dispatches on the exact type
        return _masks.decode(rleObjs)
    return _masks.decode([rleObjs])[:, :, 0]


def area(rleObjs):
    """Areas (uint32) of a list of RLEs, or of one RLE."""
    if type(rleObjs) == list:  # noqa: E721
        return _masks.area(rleObjs)
    stats = _masks.single_rle_stats(rleObjs, with_box=False)
    if stats is not None:
        return np.uint32(stats[0])
    return _masks.area([rleObjs])[0]


def toBbox(rleObjs):
    """[x, y, w, h] boxes (float64) of a list of RLEs, (n, 4), or of one RLE, (4,)."""
    if type(rleObjs) == list:  # noqa: E721
        return _masks.to_bbox(rleObjs)
    stats = _masks.single_rle_stats(rleObjs)
    if stats is not None:
        return np.array(stats[1])
    return _masks.to_bbox([rleObjs])[0]


def merge(rleObjs, intersect=0):
    """Union (or intersection) of a list of RLEs of one size, as one RLE."""
    return _masks.merge(rleObjs, bool(intersect))


def _iou_operand(objs, name):
    """pycocotools' _preproc: boxes as an (n, 4) float64 array, RLE dicts as Rles."""
    if type(objs) == np.ndarray:  # noqa: E721
        boxes = objs.reshape(1, -1) if objs.ndim == 1 and objs.size == 4 else objs
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"{name}: numpy ndarray input is only for *bounding boxes* and should have Nx4 "
                             f"dimension, got shape {objs.shape}.")
        return "boxes", boxes.astype(np.float64)
    if type(objs) == list:  # noqa: E721
        if all(isinstance(o, dict) for o in objs):
            return "rles", _masks.read_rles(objs, name)
        if all(isinstance(o, (list, np.ndarray)) and len(o) == 4 for o in objs):
            return "boxes", np.array(objs, dtype=np.float64).reshape(-1, 4)
        raise ValueError(f"{name}: list input can be bounding box (Nx4) or RLEs ([RLE]), not a mix or other items.")
    raise TypeError(f"{name}: unrecognized type {type(objs).__name__}. The following types are supported: a list "
                    f"of RLE dicts, an (n, 4) np.ndarray of boxes or a list of [x, y, w, h] boxes.")


def iou(dt, gt, pyiscrowd):
    """IoU of every (dt, gt) pair: an (len(dt), len(gt)) float64 matrix (Fortran order), of RLEs
    or of xywh boxes; ``pyiscrowd[j]`` makes gt j a crowd region (the union is the detection's
    area). An empty dt or gt gives ``[]``, as pycocotools."""
    n_gt = len(gt)
    crowd = np.zeros(n_gt, np.uint8) if pyiscrowd is None else np.array(pyiscrowd, dtype=np.uint8).reshape(-1)
    if len(crowd) != n_gt:
        raise IscrowdLengthError(f"iou(iscrowd=) must have the same length as gt ({n_gt}), got {len(crowd)}.")
    if len(dt) == 0 or n_gt == 0:
        return []
    dt_kind, dt_value = _iou_operand(dt, "dt")
    gt_kind, gt_value = _iou_operand(gt, "gt")
    if dt_kind != gt_kind:
        raise TypeError(f"The dt and gt should have the same data type, either RLEs, list or np.ndarray: dt holds "
                        f"{dt_kind}, gt holds {gt_kind}.")
    if dt_kind == "rles":
        return _masks.rle_iou(dt_value, gt_value, crowd)
    from ...detection.matching import box_iou

    return np.asfortranarray(box_iou(dt_value, gt_value, box_format="xywh", iscrowd=crowd))


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def frPyObjects(pyobj, h, w):
    """RLEs of polygons, boxes or uncompressed RLEs on an h x w image, dispatched as pycocotools
    does: an ndarray or a list whose first item has 4 values holds boxes, one with more values
    polygons, one of dicts uncompressed RLEs (each keeps its own size); a single polygon, box
    or uncompressed RLE gives one dict."""
    if type(pyobj) == np.ndarray:  # noqa: E721
        return _masks.from_boxes(pyobj, h, w)
    if type(pyobj) == list:  # noqa: E721
        if not pyobj:
            _masks.image_size(h, w, "frPyObjects")
            return []
        first = pyobj[0]
        if _is_number(first):  # a single polygon or box
            if len(pyobj) == 4:
                return _masks.from_boxes([pyobj], h, w)[0]
            return _masks.from_polygons([pyobj], h, w)[0]
        if isinstance(first, dict):
            if "counts" in first and "size" in first:
                _masks.image_size(h, w, "frPyObjects")
                return _masks.from_uncompressed(pyobj)
        elif len(first) == 4:
            return _masks.from_boxes(pyobj, h, w)
        elif len(first) > 4:
            return _masks.from_polygons(pyobj, h, w)
    elif type(pyobj) == dict and "counts" in pyobj and "size" in pyobj:  # noqa: E721
        _masks.image_size(h, w, "frPyObjects")
        return _masks.from_uncompressed([pyobj])[0]
    raise TypeError(f"frPyObjects: input type is not supported ({type(pyobj).__name__}); pass a list of polygons, "
                    f"an (n, 4) array or list of boxes, or (a list of) uncompressed RLE dicts.")
