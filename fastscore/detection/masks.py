"""Segmentation masks as COCO run-length encodings (RLE), identical to ``pycocotools.mask``.

An RLE is a dict ``{"size": [h, w], "counts": b"..."}``: the lengths of the
alternating runs of 0s and 1s of the mask read column by column, starting
with 0s, stored as COCO's compressed string (``counts`` may also be a str, or
on input a list of run lengths: an "uncompressed" RLE). The functions here
give the same strings, areas, boxes and IoUs as pycocotools, bit for bit
(the same unsigned 32-bit arithmetic, the same polygon rasterisation); the
kernels are compiled ahead of time and release the GIL, and the masks of one
call run on worker threads.

``fastscore.compat.pycocotools.mask`` exposes them under pycocotools' names
and dispatch rules (``encode``, ``decode``, ``area``, ``toBbox``, ``iou``,
``merge``, ``frPyObjects``).

Where pycocotools would hang, crash or read uninitialised memory, these
functions raise a ValueError instead: RLEs whose runs do not add up to
h * w (pycocotools' ``decode`` returns garbage for a short one and ``merge``
and ``iou`` loop forever), an RLE with foreground on an image of height 0,
NaN or huge polygon coordinates, polygons with fewer than 3 points or an
odd number of coordinates (pycocotools drops the last one).
"""
from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from .._config import Kernel, map_threads, n_threads

_MAX_PIXELS = 2 ** 32  # runs and areas are uint32, as in pycocotools
_MAX_COORDINATE = 1e8  # 5x upsampled it stays within a C int
_MAX_OUTLINE = 2 ** 27  # points of one polygon's upsampled outline (~1.5 GB of work arrays)
_PARALLEL_PIXELS = 1 << 18  # below this many pixels per call, one thread


def compiled_kernel(name: str, function: str, module: str = "masks") -> Kernel:
    """A kernel compiled ahead of time (``fastscore._cy.<module>``) with its reference twin."""
    return Kernel(name, {"cython": f"fastscore._cy.{module}:{function}",
                         "reference": f"fastscore.detection._reference:{function}"})


_kernel = compiled_kernel


_ENCODE = _kernel("mask encode", "encode_masks")
_TO_STRINGS = _kernel("RLE strings", "strings_of_counts")
_FROM_STRINGS = _kernel("RLE string parsing", "counts_of_strings")
_DECODE = _kernel("RLE decode", "decode_counts")
_AREAS = _kernel("RLE areas", "rle_areas")
_PIXELS = _kernel("RLE pixel sums", "rle_pixels")
_BBOXES = _kernel("RLE boxes", "rle_bboxes")
_IOU = _kernel("mask IoU", "rle_iou")
_MERGE = _kernel("RLE merge", "merge_rles")
_OUTLINE = _kernel("polygon outline length", "polygon_outline_length")
_RASTERISE = _kernel("polygon rasterisation", "rasterise_polygons")
_RASTERISE_LISTS = _kernel("polygon rasterisation (Python lists)", "rasterise_polygon_lists")
_STRING_STATS = _kernel("RLE string area and box", "string_area_and_box")


class Rles(NamedTuple):
    """RLEs in columns: RLE i has runs ``counts[starts[i]:starts[i + 1]]`` on an image of
    ``heights[i] x widths[i]``."""

    counts: np.ndarray  # uint32
    starts: np.ndarray  # int64, n + 1
    heights: np.ndarray  # int64
    widths: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.heights)

    @classmethod
    def concatenate(cls, parts: list[tuple[np.ndarray, int, int]]) -> "Rles":
        """From (counts, h, w) per RLE."""
        lengths = np.array([len(c) for c, _, _ in parts], dtype=np.int64)
        starts = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        counts = np.concatenate([c for c, _, _ in parts]).astype(np.uint32, copy=False) if parts \
            else np.zeros(0, np.uint32)
        return cls(counts, starts, np.array([h for _, h, _ in parts], dtype=np.int64),
                   np.array([w for _, _, w in parts], dtype=np.int64))

    def runs(self, i: int) -> np.ndarray:
        return self.counts[self.starts[i]:self.starts[i + 1]]

    def pixel_sums(self) -> np.ndarray:
        """Pixels the runs of each RLE cover (uint64, no wrap-around)."""
        if len(self.counts) < 4 * len(self.heights):  # short RLEs: one cumulative sum
            total = np.zeros(len(self.counts) + 1, dtype=np.uint64)
            np.cumsum(self.counts, dtype=np.uint64, out=total[1:])
            return total[self.starts[1:]] - total[self.starts[:-1]]
        out = np.empty(len(self.heights), dtype=np.uint64)
        _PIXELS.resolve()[1](self.counts, self.starts, out)
        return out


def _chunks(n: int, pixels: int) -> list[tuple[int, int]]:
    if pixels < _PARALLEL_PIXELS or n <= 1:
        return [(0, n)] if n else []
    parts = min(n, n_threads())
    bounds = np.linspace(0, n, max(parts, 1) + 1).astype(np.int64)
    return [(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:]) if hi > lo]


def image_size(h, w, name: str = "size") -> tuple[int, int]:
    """(h, w) as ints: non-negative integers with h * w < 2^32 (pycocotools' runs are uint32)."""
    values = []
    for label, value in (("height", h), ("width", w)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)):
            raise TypeError(f"{name}: the image {label} must be an integer, got {type(value).__name__} {value!r}.")
        if isinstance(value, (float, np.floating)) and not (np.isfinite(value) and float(value).is_integer()):
            raise ValueError(f"{name}: the image {label} must be a whole number of pixels, got {value!r}.")
        if value < 0:
            raise ValueError(f"{name}: the image {label} must be >= 0, got {value!r}.")
        values.append(int(value))
    if values[0] * values[1] >= _MAX_PIXELS:
        raise ValueError(f"{name}: an image of {values[0]} x {values[1]} pixels is too large for COCO's RLE "
                         f"(uint32 run lengths: fewer than 2^32 pixels).")
    return values[0], values[1]


# ---------------------------------------------------------------------------------------------
# reading RLE dicts

def _text(counts, where: str) -> bytes:
    if isinstance(counts, bytes):
        return counts
    if isinstance(counts, str):
        try:
            return counts.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError(f"{where}: counts is not a COCO compressed RLE string (non-ASCII characters).") from None
    raise TypeError(f"{where}: counts must be bytes or str (a compressed RLE) or a list of run lengths, "
                    f"got {type(counts).__name__}.")


def _uncompressed_runs(counts, where: str) -> np.ndarray:
    runs = np.asarray(counts)
    if runs.ndim != 1 or (runs.size and runs.dtype.kind not in "iuf"):
        raise ValueError(f"{where}: uncompressed counts must be a flat list of run lengths, got shape {runs.shape} "
                         f"of {runs.dtype}.")
    if runs.size and runs.dtype.kind == "f" and not (np.isfinite(runs).all() and (runs == np.floor(runs)).all()):
        raise ValueError(f"{where}: run lengths must be whole numbers, got {runs[~(runs == np.floor(runs))][:3]}.")
    if runs.size and (runs.min() < 0 or runs.max() >= _MAX_PIXELS):
        raise ValueError(f"{where}: run lengths must be in [0, 2^32), got {runs.min()}..{runs.max()}.")
    return runs.astype(np.uint32)


def read_rles(objects, name: str = "rles", *, labels=None, backend=None) -> Rles:
    """A list of RLE dicts as :class:`Rles` (``labels[i]`` names RLE i in errors)."""
    if isinstance(objects, dict):
        objects = [objects]
    if not isinstance(objects, (list, tuple)):
        raise TypeError(f"{name} must be a list of RLE dicts ({{'size': [h, w], 'counts': ...}}), "
                        f"got {type(objects).__name__}.")
    fast = _read_plain_rles(objects, backend)
    if fast is not None:
        return fast
    heights, widths, strings, lists = [], [], [], {}
    for i, obj in enumerate(objects):
        where = f"{name}[{i}]" if labels is None else labels[i]
        if not isinstance(obj, dict) or "size" not in obj or "counts" not in obj:
            raise TypeError(f"{where} must be an RLE dict with 'size' and 'counts', got "
                            f"{type(obj).__name__}{' with keys ' + str(sorted(obj)) if isinstance(obj, dict) else ''}.")
        size = obj["size"]
        if not isinstance(size, (list, tuple, np.ndarray)) or len(size) != 2:
            raise ValueError(f"{where}: size must be [height, width], got {size!r}.")
        h, w = image_size(size[0], size[1], f"{where} size")
        heights.append(h)
        widths.append(w)
        counts = obj["counts"]
        if isinstance(counts, (list, np.ndarray)):
            lists[i] = _uncompressed_runs(counts, where)
            strings.append(b"")
        else:
            strings.append(_text(counts, where))
    _, parse = _FROM_STRINGS.resolve(backend)
    counts, starts, bad, position = parse(strings)
    if bad >= 0:
        where = f"{name}[{bad}]" if labels is None else labels[bad]
        text = strings[bad]
        problem = "ends inside a run" if position >= len(text) else \
            f"has {chr(text[position])!r} at position {position} (COCO's strings use the characters '0' to 'o')"
        raise ValueError(f"{where}: counts {text[:40]!r}{'...' if len(text) > 40 else ''} is not a compressed "
                         f"RLE: it {problem}.")
    if lists:  # uncompressed RLEs: their runs replace the empty strings
        parts = [lists[i] if i in lists else counts[starts[i]:starts[i + 1]] for i in range(len(strings))]
        return Rles.concatenate([(p, h, w) for p, h, w in zip(parts, heights, widths)])
    return Rles(counts, starts, np.array(heights, dtype=np.int64), np.array(widths, dtype=np.int64))


def _read_plain_rles(objects, backend) -> Rles | None:
    """The common case without per-item checks: dicts of bytes counts and integer sizes.
    None when anything else is there (the careful loop then reads it and names the problem)."""
    if len(objects) <= 8:  # a few RLEs (one per call, as frameworks call): checked in Python
        return _read_few_rles(objects, backend)
    try:
        strings = [obj["counts"] for obj in objects]
        sizes = np.array([obj["size"] for obj in objects] or np.zeros((0, 2), np.int64))
    except (TypeError, KeyError, IndexError, ValueError):
        return None
    if sizes.ndim != 2 or sizes.shape[1] != 2 or sizes.dtype.kind not in "iu":
        return None
    if strings and type(strings[0]) is str:  # as JSON files hold them
        if any(type(t) is not str for t in strings):
            return None
        try:
            strings = [t.encode("ascii") for t in strings]
        except UnicodeEncodeError:
            return None
    elif any(type(t) is not bytes for t in strings):
        return None
    sizes = sizes.astype(np.int64)
    if len(sizes) and (sizes.min() < 0 or sizes.max() >= _MAX_PIXELS
                       or (sizes[:, 0].astype(np.uint64) * sizes[:, 1].astype(np.uint64) >= _MAX_PIXELS).any()):
        return None
    counts, starts, bad, _ = _FROM_STRINGS.resolve(backend)[1](strings)
    if bad >= 0:
        return None
    return Rles(counts, starts, np.ascontiguousarray(sizes[:, 0]), np.ascontiguousarray(sizes[:, 1]))


def _read_few_rles(objects, backend) -> Rles | None:
    strings, heights, widths = [], [], []
    for obj in objects:
        if type(obj) is not dict:
            return None
        counts, size = obj.get("counts"), obj.get("size")
        if type(counts) is str:
            if not counts.isascii():
                return None
            counts = counts.encode()
        elif type(counts) is not bytes:
            return None
        if type(size) not in (list, tuple) or len(size) != 2:
            return None
        h, w = size
        if type(h) is not int or type(w) is not int or h < 0 or w < 0 or h * w >= _MAX_PIXELS:
            return None
        strings.append(counts)
        heights.append(h)
        widths.append(w)
    counts, starts, bad, _ = _FROM_STRINGS.resolve(backend)[1](strings)
    if bad >= 0:
        return None
    return Rles(counts, starts, np.array(heights, dtype=np.int64), np.array(widths, dtype=np.int64))


def single_rle_stats(obj, backend=None, *, with_box=True):
    """(area, [x, y, w, h]) of one plain RLE dict (bytes or str counts, integer size) without
    arrays (the box 0s unless ``with_box``); None when it is anything else (the general path
    then reads it)."""
    if type(obj) is not dict:
        return None
    counts, size = obj.get("counts"), obj.get("size")
    if type(counts) is str and counts.isascii():
        counts = counts.encode()
    if type(counts) is not bytes or type(size) not in (list, tuple) or len(size) != 2:
        return None
    h, w = size
    if type(h) is not int or type(w) is not int or h < 0 or w < 0 or h * w >= _MAX_PIXELS:
        return None
    stats = _STRING_STATS.resolve(backend)[1](counts, h, w, with_box)
    return None if stats is None else (stats[0], list(stats[1:]))


def check_complete(rles: Rles, name: str = "rles", *, labels=None, at_least_one_run: bool = True) -> None:
    """Refuse RLEs whose runs do not add up to h * w (or that have no run at all)."""
    sums = rles.pixel_sums()
    expected = (rles.heights * rles.widths).astype(np.uint64)
    bad = np.flatnonzero((sums != expected) | ((np.diff(rles.starts) == 0) if at_least_one_run else False))
    if len(bad):
        i = int(bad[0])
        where = f"{name}[{i}]" if labels is None else labels[i]
        raise ValueError(f"Invalid RLE mask representation: {where} has runs adding up to {int(sums[i])} pixels, "
                         f"but its size [{rles.heights[i]}, {rles.widths[i]}] has {int(expected[i])}; "
                         f"the counts do not belong to an image of that size.")


def to_dicts(rles: Rles, *, backend=None) -> list[dict]:
    """Compressed RLE dicts (pycocotools' output form: size as Python ints, counts as bytes)."""
    _, strings = _TO_STRINGS.resolve(backend)
    chunks = _chunks(len(rles), len(rles.counts) * 16)
    if len(chunks) == 1:
        texts = strings(rles.counts, rles.starts, *chunks[0])
    else:
        texts = [t for part in map_threads(lambda lohi: strings(rles.counts, rles.starts, *lohi), chunks) for t in part]
    return [{"size": [int(h), int(w)], "counts": t} for h, w, t in zip(rles.heights.tolist(), rles.widths.tolist(),
                                                                        texts)]


# ---------------------------------------------------------------------------------------------
# the operations

def encode(masks, *, backend=None) -> list[dict]:
    """Compressed RLEs of binary masks.

    Parameters
    ----------
    masks : array (h, w, n) or (h, w)
        Masks of a 1-byte dtype (uint8, bool, int8), in any memory order (pycocotools needs
        Fortran order; any order gives the same RLEs here). As in pycocotools, a new run
        starts at every change of value, so pass 0/1 (or 0/255) masks.

    Returns
    -------
    list of dict
        One ``{"size": [h, w], "counts": bytes}`` per mask (also for a 2-D input; the
        pycocotools form, a single dict, is ``fastscore.compat.pycocotools.mask.encode``).

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.detection.masks import encode
    >>> encode(np.eye(3, dtype=np.uint8))
    [{'size': [3, 3], 'counts': b'013000'}]
    """
    arr = masks if isinstance(masks, np.ndarray) else np.asarray(masks)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"masks must be an (h, w) or (h, w, n) array, got shape {arr.shape}.")
    if arr.dtype.itemsize != 1 or arr.dtype.kind not in "biu":
        raise ValueError(f"masks must have a 1-byte dtype (uint8 or bool), got {arr.dtype}; "
                         f"convert with (masks > 0).astype(np.uint8).")
    h, w, n = arr.shape
    image_size(h, w, "masks")
    flat = np.ravel(arr, order="F").view(np.uint8)  # mask i is the i-th block of h * w bytes
    _, kernel = _ENCODE.resolve(backend)
    texts = [t for part in map_threads(lambda lohi: kernel(flat, h * w, *lohi), _chunks(n, h * w * n)) for t in part]
    return [{"size": [h, w], "counts": t} for t in texts]


def decode(rles, *, backend=None) -> np.ndarray:
    """Binary masks of RLEs, an (h, w, n) uint8 array in Fortran order (pycocotools' layout).

    All RLEs must have the same size; their runs must add up to h * w.

    Examples
    --------
    >>> from fastscore.detection.masks import decode
    >>> decode([{"size": [2, 2], "counts": b"112"}])[:, :, 0].tolist()
    [[0, 0], [1, 0]]
    """
    r = read_rles(rles, backend=backend)
    if len(r) == 0:
        raise ValueError("decode needs at least one RLE (the masks' size comes from the RLEs).")
    if (r.heights != r.heights[0]).any() or (r.widths != r.widths[0]).any():
        i = int(np.flatnonzero((r.heights != r.heights[0]) | (r.widths != r.widths[0]))[0])
        raise ValueError(f"decode needs RLEs of one size: rles[0] is {r.heights[0]} x {r.widths[0]}, rles[{i}] is "
                         f"{r.heights[i]} x {r.widths[i]}; decode them in separate calls.")
    check_complete(r, at_least_one_run=False)
    h, w, n = int(r.heights[0]), int(r.widths[0]), len(r)
    flat = np.empty(h * w * n, dtype=np.uint8)
    _, kernel = _DECODE.resolve(backend)
    map_threads(lambda lohi: kernel(r.counts, r.starts, h * w, lohi[0], lohi[1], flat), _chunks(n, h * w * n))
    return flat.reshape((h, w, n), order="F")


def area(rles, *, backend=None) -> np.ndarray:
    """Foreground pixels of each RLE (uint32, as pycocotools).

    Examples
    --------
    >>> from fastscore.detection.masks import area
    >>> area([{"size": [2, 2], "counts": b"112"}]).tolist()
    [1]
    """
    r = rles if isinstance(rles, Rles) else read_rles(rles, backend=backend)
    out = np.empty(len(r), dtype=np.uint32)
    kernel = _AREAS.resolve(backend)[1]
    map_threads(lambda lohi: kernel(r.counts, r.starts[lohi[0]:lohi[1] + 1], out[lohi[0]:lohi[1]]),
                _chunks(len(r), len(r.counts) * 2))
    return out


def to_bbox(rles, *, backend=None) -> np.ndarray:
    """Boxes [x, y, w, h] around each RLE's foreground (float64, pycocotools' rleToBbox of
    the current release: a run that continues into the next column spans the full height).

    Examples
    --------
    >>> from fastscore.detection.masks import to_bbox
    >>> to_bbox([{"size": [2, 2], "counts": b"112"}]).tolist()
    [[0.0, 1.0, 1.0, 1.0]]
    """
    r = rles if isinstance(rles, Rles) else read_rles(rles, backend=backend)
    out = np.empty((len(r), 4))
    kernel = _BBOXES.resolve(backend)[1]
    found = map_threads(lambda lohi: (lohi[0], kernel(r.counts, r.starts[lohi[0]:lohi[1] + 1], r.heights[lohi[0]:lohi[1]],
                                                      r.widths[lohi[0]:lohi[1]], out[lohi[0]:lohi[1]])),
                        _chunks(len(r), len(r.counts) * 8))
    bad = min((lo + b for lo, b in found if b >= 0), default=-1)
    if bad >= 0:
        raise ValueError(f"rles[{bad}] has foreground pixels on an image of height 0 (size "
                         f"[{r.heights[bad]}, {r.widths[bad]}]); its counts do not belong to that size.")
    return out


def rle_iou(dt: Rles, gt: Rles, iscrowd, *, backend=None, dt_box=None, gt_box=None) -> np.ndarray:
    """Mask IoU of every (detection, ground truth) pair, an (len(dt), len(gt)) Fortran-ordered
    float64 matrix, as pycocotools: 0 where the masks' boxes do not overlap, -1 where the
    image sizes differ, the detection's area as the union for a crowd ground truth."""
    check_complete(dt, "dt")
    check_complete(gt, "gt")
    crowd = np.ascontiguousarray(iscrowd, dtype=np.uint8)
    if dt_box is None:
        dt_box = to_bbox(dt, backend=backend)
    if gt_box is None:
        gt_box = to_bbox(gt, backend=backend)
    m, n = len(dt), len(gt)
    out = np.empty(m * n)
    _, kernel = _IOU.resolve(backend)
    map_threads(lambda lohi: kernel(dt.counts, dt.starts, dt.heights, dt.widths, dt_box, gt.counts, gt.starts,
                                    gt.heights, gt.widths, gt_box, crowd, lohi[0], lohi[1], out),
                _chunks(n, int(len(dt.counts) + len(gt.counts)) * 64))
    return out.reshape((m, n), order="F")


def merge_runs(r: Rles, intersect: bool = False, *, backend=None, name: str = "rles") -> tuple[np.ndarray, int, int]:
    """(counts, h, w) of the union (or intersection) of RLEs, as pycocotools' merge: no RLE gives
    a 0 x 0 image, RLEs of different sizes too."""
    if len(r) == 0:
        return np.zeros(0, np.uint32), 0, 0
    if len(r) == 1:
        return r.runs(0).copy(), int(r.heights[0]), int(r.widths[0])
    if (r.heights != r.heights[0]).any() or (r.widths != r.widths[0]).any():
        return np.zeros(0, np.uint32), 0, 0  # pycocotools' answer for RLEs of different sizes
    check_complete(r, name)
    return _MERGE.resolve(backend)[1](r.counts, r.starts, bool(intersect)), int(r.heights[0]), int(r.widths[0])


def merge(rles, intersect: bool = False, *, backend=None) -> dict:
    """The union (or with ``intersect`` the intersection) of RLEs of one size, as one RLE.

    Examples
    --------
    >>> from fastscore.detection.masks import merge
    >>> merge([{"size": [2, 2], "counts": b"112"}, {"size": [2, 2], "counts": b"31"}])
    {'size': [2, 2], 'counts': b'1110'}
    """
    counts, h, w = merge_runs(read_rles(rles, backend=backend), intersect, backend=backend)
    text = _TO_STRINGS.resolve(backend)[1](counts, np.array([0, len(counts)], np.int64), 0, 1)[0]
    return {"size": [h, w], "counts": text}


def polygon_array(polygon, where: str, *, backend=None) -> np.ndarray:
    """A polygon [x0, y0, x1, y1, ...] as float64, checked: at least 3 points, an even number of
    finite coordinates within +-1e8, an outline short enough to rasterise."""
    try:
        xy = np.asarray(polygon, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: a polygon must be a flat list of numbers [x0, y0, x1, y1, ...].") from None
    if xy.ndim != 1:
        raise ValueError(f"{where}: a polygon must be a flat list [x0, y0, x1, y1, ...], got shape {xy.shape}.")
    if len(xy) % 2:
        raise ValueError(f"{where}: a polygon has an odd number of coordinates ({len(xy)}); it must list x, y pairs "
                         f"(pycocotools would drop the last value).")
    if len(xy) < 6:
        raise ValueError(f"{where}: a polygon needs at least 3 points, got {len(xy) // 2}; drop it (as detectron2 "
                         f"does) or give the object as a box.")
    if not np.isfinite(xy).all():
        raise ValueError(f"{where}: a polygon has a NaN or infinite coordinate at index "
                         f"{int(np.flatnonzero(~np.isfinite(xy))[0])}.")
    if np.abs(xy).max() > _MAX_COORDINATE:
        raise ValueError(f"{where}: a polygon coordinate is {xy[np.argmax(np.abs(xy))]:g}, beyond +-1e8 pixels; "
                         f"coordinates are pixels of the image (pycocotools would crash on it).")
    length = _OUTLINE.resolve(backend)[1](xy)
    if length > _MAX_OUTLINE:
        raise ValueError(f"{where}: the polygon's outline is {length} upsampled pixels long (at most {_MAX_OUTLINE}); "
                         f"are its coordinates pixels of the image?")
    return xy


def polygons_to_rles(polygons, h: int, w: int, *, backend=None, where: str = "polygons") -> Rles:
    """Each polygon rasterised on an h x w image (pycocotools' frPoly), as :class:`Rles`.

    The coordinates are read into one array and checked at once (see
    :func:`polygon_array` for the rules); a problem is reported for its polygon."""
    h, w = image_size(h, w, where)
    n = len(polygons)
    if type(polygons) is list:  # lists of Python numbers (JSON's): read and checked in one compiled pass
        counts, starts, bad = _RASTERISE_LISTS.resolve(backend)[1](polygons, h, w, _MAX_OUTLINE, _MAX_COORDINATE)
        if bad >= 0:
            polygon_array(polygons[bad], f"{where}[{bad}]", backend=backend)  # names the problem
            raise AssertionError("unreachable: polygon_array accepted a polygon the kernel refused")
        if bad == -1:
            return Rles(counts, starts, np.full(n, h, np.int64), np.full(n, w, np.int64))
    try:
        lengths = [len(p) for p in polygons]
        xy = np.fromiter(itertools.chain.from_iterable(polygons), np.float64, sum(lengths))
    except (TypeError, ValueError):
        xy = None
    # NaN and inf show in the extremes; one min and one max check every coordinate
    if xy is None or any(k % 2 or k < 6 for k in lengths) or not (
            len(xy) == 0 or -_MAX_COORDINATE <= float(xy.min()) and float(xy.max()) <= _MAX_COORDINATE):
        for i, p in enumerate(polygons):  # names the first bad polygon
            polygon_array(p, f"{where}[{i}]", backend=backend)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    heights, widths = np.full(n, h, np.int64), np.full(n, w, np.int64)
    counts, starts, bad = _RASTERISE.resolve(backend)[1](xy, offsets, heights, widths, _MAX_OUTLINE)
    if bad >= 0:
        polygon_array(polygons[bad], f"{where}[{bad}]", backend=backend)
    return Rles(counts, starts, heights, widths)


def from_polygons(polygons, h, w, *, backend=None) -> list[dict]:
    """RLEs of polygons [x0, y0, x1, y1, ...] on an h x w image, one per polygon (pycocotools'
    rasterisation: 5x upsampling, pixel centres). Merge them for an object of several parts.

    Examples
    --------
    >>> from fastscore.detection.masks import area, from_polygons
    >>> area(from_polygons([[0, 0, 4, 0, 4, 4, 0, 4]], 6, 6)).tolist()
    [16]
    """
    if type(polygons) is list and len(polygons) <= 8 and type(h) is int and type(w) is int and 0 <= h and 0 <= w \
            and h * w < _MAX_PIXELS:
        # a few polygons (one object per call, as annToRLE calls it): no arrays but the runs
        counts, starts, bad = _RASTERISE_LISTS.resolve(backend)[1](polygons, h, w, _MAX_OUTLINE, _MAX_COORDINATE)
        if bad == -1:
            texts = _TO_STRINGS.resolve(backend)[1](counts, starts, 0, len(polygons))
            return [{"size": [h, w], "counts": t} for t in texts]
    return to_dicts(polygons_to_rles(polygons, h, w, backend=backend, where="polygons"), backend=backend)


def box_polygons(boxes) -> np.ndarray:
    """The polygon (x, y, x, y + h, x + w, y + h, x + w, y) of each xywh box, as pycocotools'
    frBbox builds it."""
    b = np.asarray(boxes, dtype=np.float64)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes must be an (n, 4) array of [x, y, w, h], got shape {b.shape}.")
    if not np.isfinite(b).all():
        raise ValueError(f"boxes[{int(np.flatnonzero(~np.isfinite(b).all(axis=1))[0])}] has a NaN or infinite value.")
    xe, ye = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    return np.column_stack([b[:, 0], b[:, 1], b[:, 0], ye, xe, ye, xe, b[:, 1]])


def from_boxes(boxes, h, w, *, backend=None) -> list[dict]:
    """RLEs of xywh boxes on an h x w image (pycocotools' frBbox: the box as a polygon).

    Examples
    --------
    >>> from fastscore.detection.masks import area, from_boxes
    >>> area(from_boxes([[1, 1, 2, 3]], 5, 5)).tolist()
    [6]
    """
    return from_polygons(list(box_polygons(boxes)), h, w, backend=backend)


def from_uncompressed(rles, *, backend=None) -> list[dict]:
    """Compressed RLEs of uncompressed ones (counts as a list of run lengths; each keeps its
    own size, as pycocotools' frUncompressedRLE)."""
    return to_dicts(read_rles(rles, "rles", backend=backend), backend=backend)
