"""Instance segmentation for COCO evaluation (``iouType="segm"``): annotations as RLE columns
and the mask IoU of every (detection, ground truth) pair the matching needs.

Masks stay run-length encoded from the moment they are read: polygons are
rasterised straight to runs (all of a file's polygons in one compiled call,
the parts of one object merged as pycocotools' ``annToRLE`` merges them),
compressed strings are decoded once, and no h x w array is ever made. The
IoUs are pycocotools' ``maskUtils.iou`` values; pairs whose areas and boxes
cannot reach the lowest IoU threshold are not walked (see
``group_mask_iou``).
"""
from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from .._config import map_threads, n_threads
from . import masks as _masks
from .masks import Rles, compiled_kernel


def _kernel(name: str, function: str):
    return compiled_kernel(name, function, "masks")


_GROUP_IOU = _kernel("group mask IoU", "group_mask_iou")
_MERGE_GROUPS = _kernel("RLE group merge", "merge_rle_groups")


class MaskColumns(NamedTuple):
    """One RLE per annotation row, with pycocotools' box (rleToBbox) and area of each."""

    rles: Rles
    boxes: np.ndarray  # (n, 4) float64
    areas: np.ndarray  # uint32

    @classmethod
    def of(cls, rles: Rles, *, backend=None) -> "MaskColumns":
        return cls(rles, _masks.to_bbox(rles, backend=backend), _masks.area(rles, backend=backend))

    def __len__(self) -> int:
        return len(self.rles)


def _interleave(n: int, parts: list[tuple[np.ndarray, Rles]]) -> Rles:
    """One Rles of n rows from parts (rows, Rles of those rows), without a loop over rows."""
    lengths = np.zeros(n, np.int64)
    heights = np.zeros(n, np.int64)
    widths = np.zeros(n, np.int64)
    source = np.zeros(n, np.int64)
    offset = 0
    for rows, r in parts:
        lengths[rows] = np.diff(r.starts)
        heights[rows] = r.heights
        widths[rows] = r.widths
        source[rows] = r.starts[:-1] + offset
        offset += len(r.counts)
    if len(parts) == 1 and np.array_equal(parts[0][0], np.arange(n)):
        r = parts[0][1]
        return Rles(r.counts, r.starts, heights, widths)
    starts = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=starts[1:])
    all_counts = np.concatenate([r.counts for _, r in parts]) if parts else np.zeros(0, np.uint32)
    gather = np.repeat(source - starts[:-1], lengths) + np.arange(starts[-1])
    return Rles(all_counts[gather], starts, heights, widths)


def _polygon_rles(polygons: list, heights: np.ndarray, widths: np.ndarray, labels, backend) -> Rles:
    """annToRLE of polygon annotations: each object's parts rasterised and merged (one RLE per object)."""
    n_parts = np.fromiter(map(len, polygons), np.int64, len(polygons))
    parts = list(itertools.chain.from_iterable(polygons))
    members = np.zeros(len(polygons) + 1, np.int64)
    np.cumsum(n_parts, out=members[1:])
    try:
        lengths = np.fromiter(map(len, parts), np.int64, len(parts))
        xy = np.fromiter(itertools.chain.from_iterable(parts), np.float64, int(lengths.sum()))
    except (TypeError, ValueError):
        xy = lengths = None
    if xy is None or not _polygons_valid(xy, lengths):
        for j, polygon in enumerate(parts):  # name the first bad polygon
            obj = int(np.searchsorted(members, j, side="right") - 1)
            _masks.polygon_array(polygon, f"{labels(obj)}: segmentation[{j - members[obj]}]", backend=backend)
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return _rasterise_objects(xy, offsets, members, heights, widths, lambda j: parts[j], labels, backend)


def _polygons_valid(xy: np.ndarray, lengths: np.ndarray) -> bool:
    """Every polygon has an even number (at least 6) of finite coordinates within bounds."""
    if len(lengths) and ((lengths % 2).any() or lengths.min() < 6):
        return False
    return len(xy) == 0 or (-_masks._MAX_COORDINATE <= float(xy.min()) and float(xy.max()) <= _masks._MAX_COORDINATE)


def _rasterise_objects(xy, offsets, members, heights, widths, polygon_of, labels, backend) -> Rles:
    """Polygons (xy[offsets[j]:offsets[j + 1]]) of objects (object i: polygons members[i]..members[i + 1] - 1)
    rasterised on their object's image and merged per object."""
    n_parts = np.diff(members)
    h = np.repeat(np.asarray(heights, np.int64), n_parts)
    w = np.repeat(np.asarray(widths, np.int64), n_parts)
    rasterise, merge = _masks._RASTERISE.resolve(backend)[1], _MERGE_GROUPS.resolve(backend)[1]

    def run(lohi):  # objects lo..hi-1: their polygons rasterised and merged
        lo, hi = lohi
        p0, p1 = members[lo], members[hi]
        counts, starts, bad = rasterise(xy, offsets[p0:p1 + 1], h[p0:p1], w[p0:p1], _masks._MAX_OUTLINE)
        if bad >= 0:
            return p0 + bad, None
        return -1, merge(counts, starts, members[lo:hi + 1] - p0)

    pieces = map_threads(run, _masks._chunks(len(members) - 1, int(len(xy)) * 64))
    bad = min((b for b, _ in pieces if b >= 0), default=-1)
    if bad >= 0:
        obj = int(np.searchsorted(members, bad, side="right") - 1)
        _masks.polygon_array(polygon_of(bad), f"{labels(obj)}: segmentation[{bad - members[obj]}]", backend=backend)
    if len(pieces) == 1:
        merged, merged_starts = pieces[0][1]
    else:
        merged = np.concatenate([m for _, (m, _) in pieces]) if pieces else np.zeros(0, np.uint32)
        merged_starts = np.zeros(len(members), np.int64)
        np.cumsum(np.concatenate([np.diff(st) for _, (_, st) in pieces]) if pieces else [], out=merged_starts[1:])
    return Rles(merged, merged_starts, np.asarray(heights, np.int64), np.asarray(widths, np.int64))


def span_rles(source, heights, widths, *, labels, backend=None) -> Rles:
    """``segmentation_rles`` of the segmentation values of a file's records, read from their byte
    spans (``_json.SpanSource``) without a Python object per polygon: polygons as flat arrays,
    compressed RLE strings as bytes; the rare other rows (uncompressed RLE, pycocotools' box
    lists, anything unusual) through ``segmentation_rles`` on their JSON values."""
    from ._json import SPAN_SEGMENTATION

    n = len(source.spans)
    heights = np.asarray(heights, np.int64)
    widths = np.asarray(widths, np.int64)
    present = source.has(SPAN_SEGMENTATION)
    if not present.all():
        raise ValueError(f"{labels(int(np.flatnonzero(~present)[0]))} has no 'segmentation'; iouType='segm' needs "
                         f"one per annotation (polygons or RLE).")
    buf = source.buffer()
    values, lists, rows, ok = source.numbers(SPAN_SEGMENTATION, True, buf)
    n_parts = np.diff(rows)
    lengths = np.diff(lists)
    list_row = np.repeat(np.arange(n), n_parts)
    first_length = np.full(n, -1, np.int64)
    has_parts = n_parts > 0
    first_length[has_parts] = lengths[rows[:-1][has_parts]]
    polygon_row = ok & has_parts & (first_length != 4)
    bad_list = (lengths % 2 != 0) | (lengths < 6)
    if bad_list.any():
        polygon_row[list_row[bad_list]] = False
    parts = []
    rows_polygons = np.flatnonzero(polygon_row)
    if len(rows_polygons):
        kept = polygon_row[list_row]
        kept_lengths = lengths[kept]
        offsets = np.zeros(len(kept_lengths) + 1, np.int64)
        np.cumsum(kept_lengths, out=offsets[1:])
        gather = np.repeat(lists[:-1][kept] - offsets[:-1], kept_lengths) + np.arange(offsets[-1])
        xy = values[gather]
        if not _polygons_valid(xy, kept_lengths):  # NaN, infinite or huge coordinates: named below
            polygon_row[:] = False
            rows_polygons = rows_polygons[:0]
        else:
            members = np.zeros(len(rows_polygons) + 1, np.int64)
            np.cumsum(n_parts[rows_polygons], out=members[1:])
            parts.append((rows_polygons, _rasterise_objects(
                xy, offsets, members, heights[rows_polygons], widths[rows_polygons],
                lambda j: xy[offsets[j]:offsets[j + 1]], lambda i: labels(int(rows_polygons[i])), backend)))
    others = np.flatnonzero(~polygon_row)
    if len(others):
        r_heights, r_widths, strings = source.rle_strings(buf)
        compressed = np.array([strings[i] is not None for i in others.tolist()], dtype=bool)
        rows_strings = others[compressed]
        if len(rows_strings):
            text = [strings[i] for i in rows_strings.tolist()]
            counts, starts, bad, _ = _masks._FROM_STRINGS.resolve(backend)[1](text)
            if bad >= 0:  # the careful reader names the problem
                _masks.read_rles([{"size": [int(r_heights[i]), int(r_widths[i])], "counts": strings[i]}
                                  for i in rows_strings.tolist()], labels=[labels(int(i)) for i in rows_strings])
            for i in rows_strings.tolist():
                _masks.image_size(int(r_heights[i]), int(r_widths[i]), labels(int(i)))
            r = Rles(counts, starts, r_heights[rows_strings], r_widths[rows_strings])
            _masks.check_complete(r, labels=[labels(int(i)) for i in rows_strings], at_least_one_run=False)
            parts.append((rows_strings, r))
        rows_json = others[~compressed]
        if len(rows_json):
            segs = [source.value(SPAN_SEGMENTATION, int(i), buf) for i in rows_json]
            parts.append((rows_json, segmentation_rles(segs, heights[rows_json], widths[rows_json],
                                                       labels=lambda j: labels(int(rows_json[j])), backend=backend)))
    return _interleave(n, parts)


def segmentation_rles(segmentations: list, heights, widths, *, labels=None, backend=None) -> Rles:
    """pycocotools' ``COCO.annToRLE`` of every annotation, as :class:`Rles` in the same order.

    Parameters
    ----------
    segmentations : list
        Each a list of polygons [x0, y0, x1, y1, ...] (the parts of one object, merged), an
        uncompressed RLE dict (``counts`` a list of run lengths) or a compressed one
        (``counts`` a str or bytes); RLE dicts keep their own ``size``.
    heights, widths : array-like
        The size of each annotation's image (used by polygons).
    labels : callable, optional
        ``labels(i)`` names annotation i in error messages (default "segmentation[i]").

    Examples
    --------
    >>> from fastscore.detection.segmentation import segmentation_rles
    >>> from fastscore.detection.masks import area
    >>> rles = segmentation_rles([[[0, 0, 4, 0, 4, 4, 0, 4]], {"size": [6, 6], "counts": [6, 30]}], [6, 6], [6, 6])
    >>> area(rles).tolist()
    [16, 30]
    """
    labels = labels or (lambda i: f"segmentation[{i}]")
    n = len(segmentations)
    heights = np.asarray(heights, np.int64).reshape(-1)
    widths = np.asarray(widths, np.int64).reshape(-1)
    if heights.shape != (n,) or widths.shape != (n,):
        raise ValueError(f"segmentation_rles needs one image height and width per segmentation ({n}).")
    kinds = np.zeros(n, np.int8)  # 0 polygons, 1 RLE dict, 2 boxes (pycocotools' 4-number rule)
    for i, seg in enumerate(segmentations):
        if type(seg) is list:
            if len(seg) == 0:
                raise ValueError(f"{labels(i)}: the segmentation is an empty list (pycocotools fails on it); give "
                                 f"the object's polygons or an RLE, or drop the annotation.")
            first = seg[0]
            if not isinstance(first, (list, tuple, np.ndarray)):
                raise ValueError(f"{labels(i)}: a polygon segmentation is a list of polygons [[x0, y0, x1, y1, ...], "
                                 f"...], got a list of {type(first).__name__}.")
            if len(first) == 4:
                kinds[i] = 2
        elif isinstance(seg, dict):
            kinds[i] = 1
        else:
            raise TypeError(f"{labels(i)}: segmentation must be a list of polygons or an RLE dict "
                            f"{{'size': [h, w], 'counts': ...}}, got {type(seg).__name__}.")
    parts = []
    poly_rows = np.flatnonzero(kinds == 0)
    if len(poly_rows):
        polys = [segmentations[i] for i in poly_rows.tolist()] if len(poly_rows) < n else segmentations
        parts.append((poly_rows, _polygon_rles(polys, heights[poly_rows], widths[poly_rows],
                                               lambda j: labels(int(poly_rows[j])), backend)))
    rle_rows = np.flatnonzero(kinds == 1)
    if len(rle_rows):
        r = _masks.read_rles([segmentations[i] for i in rle_rows.tolist()], backend=backend,
                             labels=[labels(int(i)) for i in rle_rows])
        _masks.check_complete(r, labels=[labels(int(i)) for i in rle_rows], at_least_one_run=False)
        parts.append((rle_rows, r))
    box_rows = np.flatnonzero(kinds == 2)
    if len(box_rows):
        # pycocotools reads [[x, y, w, h], ...] as boxes (frBbox) and merges them
        polys = []
        for i in box_rows.tolist():
            try:
                boxes = np.asarray(segmentations[i], dtype=np.float64)
            except (TypeError, ValueError):
                boxes = None
            if boxes is None or boxes.ndim != 2 or boxes.shape[1] != 4:
                raise ValueError(f"{labels(i)}: its first polygon has 4 numbers, which pycocotools reads as a box "
                                 f"[x, y, w, h]; then every part must be a box of 4 numbers.")
            polys.append([list(p) for p in _masks.box_polygons(boxes)])
        parts.append((box_rows, _polygon_rles(polys, heights[box_rows], widths[box_rows],
                                              lambda j: labels(int(box_rows[j])), backend)))
    return _interleave(n, parts)


def result_rles(segmentations: list, *, labels=None, backend=None) -> Rles:
    """Segmentation results: RLE dicts (compressed or uncompressed, each with its size)."""
    labels = labels or (lambda i: f"results[{i}]")
    r = _masks.read_rles(segmentations, "results", backend=backend,
                         labels=None if labels is None else _LazyLabels(labels, len(segmentations)))
    _masks.check_complete(r, "results", labels=_LazyLabels(labels, len(r)), at_least_one_run=False)
    return r


class _LazyLabels:
    """labels[i] computed on demand (error messages only)."""

    def __init__(self, label, n):
        self._label, self._n = label, n

    def __getitem__(self, i):
        return self._label(i)

    def __len__(self):
        return self._n


def pair_start_of(groups, gt_starts, dt_lo, dt_hi) -> tuple[np.ndarray, int]:
    """Where each group's (n_d, n_g) block starts in a flat array of pairs, and the total."""
    sizes = (dt_hi - dt_lo) * (gt_starts[1:] - gt_starts[:-1])
    pair_start = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=pair_start[1:])
    return pair_start, int(pair_start[-1])


def mask_pair_ious(gt: MaskColumns, gt_crowd: np.ndarray, dt: MaskColumns, threshold: float, *, backend=None):
    """The ``pair_ious`` function of ``match_detections`` for masks.

    ``threshold``: pairs that cannot reach it are written 0 unwalked (pass the lowest IoU
    threshold of the evaluation; 0 or less computes every pair exactly).
    """
    crowd = np.ascontiguousarray(gt_crowd, dtype=np.uint8)

    def pair_ious(groups, gt_starts, dt_lo, dt_hi, gt_index, dt_index):
        pair_start, total = pair_start_of(groups, gt_starts, dt_lo, dt_hi)
        out = np.zeros(total)
        _, kernel = _GROUP_IOU.resolve(backend)
        with_pairs = groups[(gt_starts[1:][groups] > gt_starts[:-1][groups])]
        chunks = np.array_split(with_pairs, max(1, min(len(with_pairs), 8 * n_threads())))
        map_threads(lambda chunk: kernel(chunk, gt_starts[:-1], gt_starts[1:], dt_lo, dt_hi, gt_index, dt_index,
                                         gt.rles.counts, gt.rles.starts, gt.rles.heights, gt.rles.widths, gt.boxes,
                                         gt.areas, crowd, dt.rles.counts, dt.rles.starts, dt.rles.heights,
                                         dt.rles.widths, dt.boxes, dt.areas, pair_start, float(threshold), out),
                    chunks)
        return out, pair_start

    return pair_ious
