"""Columns of mask and keypoint annotations for the columnar COCO API (``iou_type``).

``evaluate_detections``, ``CocoAccumulator`` and ``evaluate_lvis`` read
boxes by default; with ``iou_type="segm"`` they also read ``segmentation``
columns, with ``iou_type="keypoints"`` ``keypoints`` columns, and match on
mask IoU or OKS (pycocotools' rules, see ``segmentation`` and ``keypoints``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import masks as _masks
from .coco import BoxTable, _column
from .keypoints import COCO_SIGMAS, check_sigmas, keypoint_array, oks_pair_ious, result_areas_and_boxes
from .segmentation import MaskColumns, mask_pair_ious, result_rles, segmentation_rles

IOU_TYPES = ("bbox", "segm", "keypoints")


@dataclass
class InstanceColumns:
    """Both sides' tables and, for masks or keypoints, what the matching compares."""

    iou_type: str
    gt: BoxTable
    dt: BoxTable
    gt_masks: MaskColumns | None = None
    dt_masks: MaskColumns | None = None
    gt_keypoints: np.ndarray | None = None
    dt_keypoints: np.ndarray | None = None
    gt_ignored: np.ndarray | None = None
    sigmas: np.ndarray | None = None

    def take(self, gt_rows=None, dt_rows=None) -> "InstanceColumns":
        """The same columns restricted to some rows of either side."""
        out = InstanceColumns(**vars(self))
        if gt_rows is not None:
            out.gt = self.gt.take(gt_rows)
            out.gt_masks = None if self.gt_masks is None else take_masks(self.gt_masks, gt_rows)
            out.gt_keypoints = None if self.gt_keypoints is None else self.gt_keypoints[gt_rows]
            out.gt_ignored = None if self.gt_ignored is None else self.gt_ignored[gt_rows]
        if dt_rows is not None:
            out.dt = self.dt.take(dt_rows)
            out.dt_masks = None if self.dt_masks is None else take_masks(self.dt_masks, dt_rows)
            out.dt_keypoints = None if self.dt_keypoints is None else self.dt_keypoints[dt_rows]
        return out

    def match_options(self, params) -> dict:
        """The ``pair_ious`` / ``gt_ignored`` arguments of ``match_detections``."""
        if self.iou_type == "segm":
            lowest = min(float(np.min(params.iou_thresholds)), 1 - 1e-10)
            return {"pair_ious": mask_pair_ious(self.gt_masks, self.gt.iscrowd, self.dt_masks, lowest)}
        if self.iou_type == "keypoints":
            return {"gt_ignored": self.gt_ignored,
                    "pair_ious": oks_pair_ious(self.gt_keypoints, self.gt.bbox, self.gt.area, self.dt_keypoints,
                                               self.sigmas, use_categories=params.use_categories)}
        return {}


def take_masks(m: MaskColumns, rows) -> MaskColumns:
    rows = np.asarray(rows)
    if rows.dtype == bool:
        rows = np.flatnonzero(rows)
    lengths = np.diff(m.rles.starts)[rows]
    starts = np.zeros(len(rows) + 1, np.int64)
    np.cumsum(lengths, out=starts[1:])
    gather = np.repeat(m.rles.starts[:-1][rows] - starts[:-1], lengths) + np.arange(starts[-1])
    rles = _masks.Rles(m.rles.counts[gather], starts, m.rles.heights[rows], m.rles.widths[rows])
    return MaskColumns(rles, m.boxes[rows], m.areas[rows])


def _as_list(values, name: str, n: int) -> list:
    if values is None:
        raise ValueError(f"{name} is missing: iou_type needs it for every row.")
    if hasattr(values, "tolist") and not isinstance(values, np.ndarray):
        values = values.tolist()  # a pandas column
    values = list(values)
    if len(values) != n:
        raise ValueError(f"{name} must have one entry per row ({n}), got {len(values)}.")
    return values


def _image_sizes(image_sizes, image_ids: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    if image_sizes is None:
        raise ValueError(f"{name} holds polygons, which need their image's size: pass image_sizes={{image_id: "
                         f"(height, width)}} (or give RLE dicts, which carry their size).")
    heights = np.empty(len(image_ids), np.int64)
    widths = np.empty(len(image_ids), np.int64)
    for i, image_id in enumerate(image_ids.tolist()):
        if image_id not in image_sizes:
            raise ValueError(f"{name}[{i}]: image {image_id} is not in image_sizes; give its (height, width).")
        heights[i], widths[i] = _masks.image_size(*image_sizes[image_id], f"image_sizes[{image_id}]")
    return heights, widths


def _gt_masks(segs: list, image_ids: np.ndarray, image_sizes, labels) -> MaskColumns:
    need_size = any(not isinstance(s, dict) for s in segs)
    if need_size:
        heights, widths = _image_sizes(image_sizes, image_ids, "gt['segmentation']")
    else:
        heights = widths = np.zeros(len(segs), np.int64)  # RLE dicts keep their own size
    rles = segmentation_rles(segs, heights, widths, labels=labels)
    if image_sizes is not None:
        expected_h, expected_w = _image_sizes(image_sizes, image_ids, "gt['segmentation']")
        wrong = np.flatnonzero((rles.heights != expected_h) | (rles.widths != expected_w))
        if wrong.size:
            i = int(wrong[0])
            raise ValueError(f"{labels(i)}: its mask is {rles.heights[i]} x {rles.widths[i]} but image_sizes gives "
                             f"{expected_h[i]} x {expected_w[i]}; encode masks at their image's size.")
    return MaskColumns.of(rles)


def read_instances(gt, dt, iou_type: str, *, box_format: str = "xywh", image_sizes=None,
                   kpt_oks_sigmas=None) -> InstanceColumns:
    """Both sides' columns for ``iou_type`` (see ``evaluate_detections`` for the fields)."""
    if iou_type not in IOU_TYPES:
        raise ValueError(f"iou_type must be one of {', '.join(map(repr, IOU_TYPES))}, got {iou_type!r}.")
    if iou_type == "bbox":
        return InstanceColumns("bbox", BoxTable.from_columns(gt, side="gt", box_format=box_format),
                               BoxTable.from_columns(dt, side="dt", box_format=box_format))
    if isinstance(gt, BoxTable) or isinstance(dt, BoxTable):
        raise TypeError(f"iou_type={iou_type!r} needs the annotation columns (a mapping or DataFrame), not a BoxTable.")
    dt_image = _column(dt, "image_id", "dt")
    if dt_image is None:
        raise ValueError("dt lacks the column 'image_id'.")
    dt_image = np.asarray(dt_image)
    if iou_type == "segm":
        segs = _as_list(_column(dt, "segmentation", "dt"), "dt['segmentation']", len(dt_image))
        bad = next((i for i, s in enumerate(segs) if not isinstance(s, dict)), None)
        if bad is not None:
            raise ValueError(f"dt['segmentation'][{bad}] must be an RLE dict {{'size': [h, w], 'counts': ...}} "
                             f"(encode binary masks with fastscore.detection.masks.encode).")
        dt_masks = MaskColumns.of(result_rles(segs, labels=lambda i: f"dt['segmentation'][{i}]"))
        dt_cols = dict(_mapping(dt))
        if _column(dt, "bbox", "dt") is None:
            dt_cols["bbox"] = dt_masks.boxes
            box_format_dt = "xywh"
        else:
            box_format_dt = box_format
        dt_table = BoxTable.from_columns(dt_cols, side="dt", box_format=box_format_dt)
        dt_table.area = dt_masks.areas.astype(np.float64)  # the mask's area (pycocotools' segm results)
        gt_table = BoxTable.from_columns(gt, side="gt", box_format=box_format)
        segs = _as_list(_column(gt, "segmentation", "gt"), "gt['segmentation']", len(gt_table))
        gt_masks = _gt_masks(segs, gt_table.image_id, image_sizes,
                             lambda i: f"gt['segmentation'][{i}] (id {int(gt_table.id[i])})")
        return InstanceColumns("segm", gt_table, dt_table, gt_masks=gt_masks, dt_masks=dt_masks)
    # keypoints
    sigmas = check_sigmas(COCO_SIGMAS if kpt_oks_sigmas is None else kpt_oks_sigmas)
    k = len(sigmas)
    dt_kp_rows = _as_list(_column(dt, "keypoints", "dt"), "dt['keypoints']", len(dt_image))
    dt_kp = keypoint_array(dt_kp_rows, k, labels=lambda i: f"dt['keypoints'][{i}]", name="dt['keypoints']")
    areas, boxes = result_areas_and_boxes(dt_kp)
    dt_cols = dict(_mapping(dt))
    dt_cols["bbox"] = boxes  # the box around the keypoints (pycocotools' keypoint results)
    dt_table = BoxTable.from_columns(dt_cols, side="dt", box_format="xywh")
    dt_table.area = areas
    gt_table = BoxTable.from_columns(gt, side="gt", box_format=box_format)
    gt_kp_rows = _as_list(_column(gt, "keypoints", "gt"), "gt['keypoints']", len(gt_table))
    gt_kp = keypoint_array(gt_kp_rows, k, labels=lambda i: f"gt['keypoints'][{i}] (id {int(gt_table.id[i])})",
                           name="gt['keypoints']")
    counts = _column(gt, "num_keypoints", "gt")
    if counts is None:
        counts = (gt_kp[:, 2::3] > 0).sum(axis=1)
    counts = np.asarray(counts, dtype=np.float64).reshape(-1)
    if counts.shape != (len(gt_table),):
        raise ValueError(f"gt['num_keypoints'] must have one entry per row ({len(gt_table)}).")
    ignored = ((gt_table.iscrowd != 0) | (counts == 0)).astype(np.uint8)
    return InstanceColumns("keypoints", gt_table, dt_table, gt_keypoints=gt_kp, dt_keypoints=dt_kp,
                           gt_ignored=ignored, sigmas=sigmas)


def _mapping(data):
    """The columns of a mapping or DataFrame as a dict (values as given)."""
    if hasattr(data, "columns") and hasattr(data, "__getitem__"):
        return {c: data[c] for c in data.columns}
    return dict(data)
