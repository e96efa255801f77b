"""fastscore.compat.pycocotools.mask against pycocotools.mask itself: the same bytes, areas,
boxes and IoUs on random masks, RLEs and polygons, every edge of maskApi.c, and the reference
implementation on the same inputs."""
import threading

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from fastscore.compat.pycocotools import mask
from fastscore.detection import masks

RNG_SEED = 20261201


def random_masks(rng, h, w, n, density=None):
    p = rng.random() if density is None else density
    return np.asfortranarray((rng.random((h, w, n)) < p).astype(np.uint8))


def blobs(rng, h, w, n):
    """Masks with a few rectangles each: long runs, as real instance masks have."""
    out = np.zeros((h, w, n), np.uint8, order="F")
    if h * w == 0:
        return out
    for i in range(n):
        for _ in range(rng.integers(0, 4)):
            y, x = rng.integers(0, max(h, 1)), rng.integers(0, max(w, 1))
            out[y:y + rng.integers(1, h + 1), x:x + rng.integers(1, w + 1), i] = 1
    return out


def random_polygon(rng, h, w):
    k = int(rng.integers(3, 12))
    kind = rng.integers(0, 5)
    xy = rng.uniform(-0.2 * w - 2, 1.2 * w + 2, 2 * k)  # partly outside the image
    xy[1::2] = rng.uniform(-0.2 * h - 2, 1.2 * h + 2, k)
    if kind == 1:
        xy = np.round(xy * 2) / 2  # half-integer ties of the 5x upsampling
    elif kind == 2:
        xy = np.round(xy)
        j = int(rng.integers(0, k - 1))
        xy[2 * j + 2:2 * j + 4] = xy[2 * j:2 * j + 2]  # a repeated vertex
    elif kind == 3:
        xy = np.round(xy * 10) / 10  # values like 12.3: 5 * 12.3 + .5 near a whole number
    return xy.tolist()


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(RNG_SEED)


def test_encode_decode_area_bbox_equal_pycocotools(rng):
    shapes = [(0, 5, 2), (5, 0, 1), (1, 1, 3), (1, 7, 2), (7, 1, 2)] + \
             [(int(rng.integers(1, 60)), int(rng.integers(1, 60)), int(rng.integers(1, 4))) for _ in range(150)]
    for trial, (h, w, n) in enumerate(shapes):
        m = blobs(rng, h, w, n) if trial % 2 else random_masks(rng, h, w, n)
        if trial % 7 == 0 and h * w:
            m[..., 0] = 1  # a full mask
        if trial % 11 == 0:
            m[..., -1] = 0  # an empty mask
        expected = coco_mask.encode(m)
        got = mask.encode(m)
        assert got == expected
        if h * w == 0:
            continue  # pycocotools cannot decode or box an image without pixels (it divides by h)
        assert np.array_equal(mask.decode(got), coco_mask.decode(expected))
        assert mask.decode(got).flags.f_contiguous and mask.decode(got).dtype == np.uint8
        assert np.array_equal(mask.decode(got), m)
        a = mask.area(got)
        assert a.dtype == np.uint32 and np.array_equal(a, coco_mask.area(expected))
        assert np.array_equal(mask.toBbox(got), coco_mask.toBbox(expected))
        # single objects: pycocotools' 2-D and scalar forms
        assert mask.encode(np.asfortranarray(m[:, :, 0])) == coco_mask.encode(np.asfortranarray(m[:, :, 0]))
        assert np.array_equal(mask.decode(got[0]), coco_mask.decode(expected[0]))
        assert mask.decode(got[0]).shape == (h, w)
        assert mask.area(got[0]) == coco_mask.area(expected[0]) and type(mask.area(got[0])) is np.uint32
        assert np.array_equal(mask.toBbox(got[0]), coco_mask.toBbox(expected[0]))


def test_encode_takes_bool_other_values_and_any_memory_order(rng):
    m = blobs(rng, 30, 20, 3)
    assert mask.encode(m.astype(bool, order="F")) == coco_mask.encode(m.astype(bool, order="F"))
    assert mask.encode(np.ascontiguousarray(m)) == coco_mask.encode(m)  # pycocotools needs Fortran order
    many = np.asfortranarray((rng.integers(0, 3, (9, 8, 2))).astype(np.uint8))  # a run at every value change
    assert mask.encode(many) == coco_mask.encode(many)
    scaled = np.asfortranarray(m * 255)
    assert mask.encode(scaled) == coco_mask.encode(scaled)


def random_string(rng, runs: int) -> bytes:
    """A well-formed compressed string of random groups (any values, not only valid masks)."""
    out = bytearray()
    for _ in range(runs):
        groups = int(rng.integers(1, 5))
        for g in range(groups):
            c = int(rng.integers(0, 32))
            out.append(48 + (c | (0x20 if g < groups - 1 else 0)))
    return bytes(out)


def test_area_and_boxes_of_arbitrary_strings_equal_pycocotools(rng):
    # strings whose runs need not add up to h * w: pycocotools computes areas and boxes anyway
    for _ in range(400):
        h, w = int(rng.integers(1, 50)), int(rng.integers(1, 50))
        rles = [{"size": [h, w], "counts": random_string(rng, int(rng.integers(0, 12)))} for _ in range(3)]
        assert np.array_equal(mask.area(rles), coco_mask.area(rles))
        assert np.array_equal(mask.toBbox(rles), coco_mask.toBbox(rles))
        strs = [{"size": r["size"], "counts": r["counts"].decode()} for r in rles]  # str counts accepted
        assert np.array_equal(mask.area(strs), coco_mask.area(strs))


def test_iou_equals_pycocotools_crowd_sizes_and_boxes(rng):
    for trial in range(120):
        h, w = int(rng.integers(1, 40)), int(rng.integers(1, 40))
        dt = coco_mask.encode(blobs(rng, h, w, int(rng.integers(1, 6))))
        gt = coco_mask.encode(blobs(rng, h, w, int(rng.integers(1, 6))))
        if trial % 10 == 0:  # a ground truth of another image size: -1 where the boxes overlap
            gt.append(coco_mask.encode(blobs(rng, h + 1, w, 1))[0])
        crowd = rng.integers(0, 2, len(gt)).tolist()
        expected = coco_mask.iou(dt, gt, crowd)
        got = mask.iou(dt, gt, crowd)
        assert got.flags.f_contiguous and got.shape == (len(dt), len(gt))
        assert np.array_equal(got, expected)
        boxes_dt, boxes_gt = coco_mask.toBbox(dt) + rng.random((len(dt), 4)), coco_mask.toBbox(gt)
        assert np.array_equal(mask.iou(boxes_dt, boxes_gt, crowd), coco_mask.iou(boxes_dt, boxes_gt, crowd))
        assert np.array_equal(mask.iou(boxes_dt.tolist(), boxes_gt.tolist(), crowd),
                              coco_mask.iou(boxes_dt.tolist(), boxes_gt.tolist(), crowd))
    assert mask.iou([], gt, crowd) == coco_mask.iou([], gt, crowd) == []
    assert mask.iou(dt, [], []) == coco_mask.iou(dt, [], []) == []


def test_merge_equals_pycocotools_with_zero_length_runs(rng):
    for trial in range(200):
        h, w = int(rng.integers(1, 30)), int(rng.integers(1, 30))
        rles = coco_mask.encode(blobs(rng, h, w, int(rng.integers(1, 5))))
        if trial % 3 == 0:  # runs of length 0 inside: split a run into (k, 0, rest)
            runs = [int(c) for c in masks.read_rles([rles[0]]).runs(0)]
            j = int(rng.integers(0, len(runs)))
            if runs[j] > 1:
                runs[j:j + 1] = [1, 0, runs[j] - 1]
            rles[0] = coco_mask.frPyObjects({"size": [h, w], "counts": runs}, h, w)
            assert mask.frPyObjects({"size": [h, w], "counts": runs}, h, w) == rles[0]
        for intersect in (0, 1):
            assert mask.merge(rles, intersect) == coco_mask.merge(rles, intersect=intersect)
    other = coco_mask.encode(blobs(rng, 4, 5, 1))
    assert mask.merge(rles + other) == coco_mask.merge(rles + other) == {"size": [0, 0], "counts": b""}
    assert mask.merge([]) == coco_mask.merge([])


def test_polygons_boxes_and_uncompressed_equal_pycocotools(rng):
    for trial in range(2000):
        h, w = int(rng.integers(1, 60)), int(rng.integers(1, 60))
        polygons = [random_polygon(rng, h, w) for _ in range(int(rng.integers(1, 4)))]
        assert mask.frPyObjects(polygons, h, w) == coco_mask.frPyObjects(polygons, h, w), polygons
    boxes = np.column_stack([rng.uniform(-5, 40, 300), rng.uniform(-5, 40, 300), rng.uniform(0, 30, 300),
                             rng.uniform(0, 30, 300)])
    boxes[::5] = np.round(boxes[::5] * 2) / 2
    boxes[::7, 2] = 0  # a box of width 0
    assert mask.frPyObjects(boxes, 35, 28) == coco_mask.frPyObjects(boxes, 35, 28)
    # a single box or polygon (pycocotools fails on len() of a number; its list branch would box it)
    assert mask.frPyObjects(boxes[0].tolist(), 35, 28) == coco_mask.frPyObjects(boxes[:1], 35, 28)[0]
    poly = random_polygon(rng, 20, 20)
    assert mask.frPyObjects(poly, 20, 20) == coco_mask.frPyObjects([poly], 20, 20)[0]
    unc = [{"size": [3, 4], "counts": [2, 3, 7]}, {"size": [2, 2], "counts": [0, 4]}]
    assert mask.frPyObjects(unc, 10, 10) == coco_mask.frPyObjects(unc, 10, 10)
    assert mask.frPyObjects(unc[0], 10, 10) == coco_mask.frPyObjects(unc[0], 10, 10)


@pytest.mark.parametrize("h,w", [(1, 1), (1, 9), (9, 1), (0, 5), (5, 0)])
def test_polygon_edges_of_tiny_and_empty_images(h, w):
    polygons = [[0, 0, 3, 0, 3, 3, 0, 3], [-1, -1, 0.5, -1, 0.5, 0.5], [0.4, 0.4, 0.6, 0.4, 0.5, 0.6]]
    assert mask.frPyObjects(polygons, h, w) == coco_mask.frPyObjects(polygons, h, w)


def test_reference_backend_equals_the_compiled_one(rng):
    for trial in range(40):
        h, w = int(rng.integers(1, 25)), int(rng.integers(1, 25))
        m = blobs(rng, h, w, 3)
        rles = masks.encode(m)
        assert masks.encode(m, backend="reference") == rles
        assert np.array_equal(masks.decode(rles, backend="reference"), m)
        assert np.array_equal(masks.area(rles, backend="reference"), masks.area(rles))
        assert np.array_equal(masks.to_bbox(rles, backend="reference"), masks.to_bbox(rles))
        for intersect in (False, True):
            assert masks.merge(rles, intersect, backend="reference") == masks.merge(rles, intersect)
        dt, gt = masks.read_rles(rles), masks.read_rles(masks.encode(blobs(rng, h, w, 2)))
        crowd = np.array([0, 1], np.uint8)
        assert np.array_equal(masks.rle_iou(dt, gt, crowd, backend="reference"), masks.rle_iou(dt, gt, crowd))
        polygons = [random_polygon(rng, h, w) for _ in range(3)]
        assert masks.from_polygons(polygons, h, w, backend="reference") == masks.from_polygons(polygons, h, w)
        strings = [random_string(rng, 6) for _ in range(3)]
        got = masks.read_rles([{"size": [h, w], "counts": s} for s in strings], backend="reference")
        want = masks.read_rles([{"size": [h, w], "counts": s} for s in strings])
        assert np.array_equal(got.counts, want.counts) and np.array_equal(got.starts, want.starts)


def test_threads_give_the_single_thread_result(rng, monkeypatch):
    m = blobs(rng, 480, 640, 24)  # 7M pixels: split over the worker threads
    polygons = [random_polygon(rng, 480, 640) for _ in range(400)]
    rles = mask.encode(m)
    results = {}

    def run(key):
        results[key] = (mask.encode(m), mask.decode(rles), mask.iou(rles, rles[:5], [0, 1, 0, 1, 0]),
                        mask.frPyObjects(polygons, 480, 640))

    run("threads")
    monkeypatch.setenv("FASTSCORE_NUM_THREADS", "1")
    run("one")
    workers = [threading.Thread(target=run, args=(f"t{i}",)) for i in range(3)]  # callers on threads too
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    for key in results:
        enc, dec, iou, poly = results[key]
        assert enc == results["one"][0] == coco_mask.encode(m)
        assert np.array_equal(dec, m) and np.array_equal(iou, results["one"][2])
        assert poly == results["one"][3]
    assert np.array_equal(results["one"][2], coco_mask.iou(rles, rles[:5], [0, 1, 0, 1, 0]))
    assert results["one"][3] == coco_mask.frPyObjects(polygons, 480, 640)


# ---------------------------------------------------------------------------------------------
# bad input: what pycocotools does with it, and what fastscore says instead

def test_malformed_rles_get_a_clear_error():
    long = {"size": [3, 4], "counts": b"5:"}  # runs 5 + 10 > 12 pixels: pycocotools refuses to decode too
    with pytest.raises(ValueError, match="Invalid RLE mask representation"):
        coco_mask.decode(long)
    with pytest.raises(ValueError, match=r"Invalid RLE mask representation: rles\[0\] has runs adding up to 15"):
        mask.decode(long)
    short = {"size": [3, 4], "counts": b"52"}  # 7 of 12 pixels: pycocotools decodes uninitialised memory
    with pytest.raises(ValueError, match="adding up to 7 pixels, but its size \\[3, 4\\] has 12"):
        mask.decode(short)
    with pytest.raises(ValueError, match="adding up to 7"):  # pycocotools' merge and iou loop forever on it
        mask.merge([short, mask.encode(np.ones((3, 4), np.uint8, order="F"))])
    with pytest.raises(ValueError, match="adding up to 7"):
        mask.iou([short], [short], [0])
    with pytest.raises(ValueError, match="has '~' at position 1"):
        mask.area({"size": [3, 4], "counts": "5~"})
    with pytest.raises(ValueError, match="ends inside a run"):
        mask.area({"size": [3, 4], "counts": b"5P"})  # 'P' = 32 + 48: "more groups follow"
    with pytest.raises(ValueError, match="height 0"):
        mask.toBbox({"size": [0, 4], "counts": b"11"})  # pycocotools divides by zero here
    with pytest.raises(TypeError, match="'size' and 'counts'"):
        mask.area([{"counts": b"5"}])
    with pytest.raises(ValueError, match="size must be"):
        mask.area([{"size": [3], "counts": b"5"}])
    with pytest.raises(ValueError, match="must be >= 0"):
        mask.area([{"size": [-3, 4], "counts": b"5"}])
    with pytest.raises(ValueError, match="too large"):
        mask.frPyObjects([[0, 0, 1, 0, 1, 1]], 70000, 70000)
    with pytest.raises(ValueError, match="one size"):
        mask.decode([mask.encode(np.ones((3, 4), np.uint8, order="F")), mask.encode(np.ones((2, 2), np.uint8))])
    with pytest.raises(ValueError, match="at least one RLE"):
        mask.decode([])


def test_bad_masks_polygons_and_iou_arguments():
    with pytest.raises(ValueError, match="1-byte dtype"):
        mask.encode(np.zeros((3, 4, 1)))
    with pytest.raises(ValueError, match=r"\(h, w\) or \(h, w, n\)"):
        mask.encode(np.zeros((3, 4, 1, 1), np.uint8))
    with pytest.raises(ValueError, match="NaN or infinite coordinate at index 3"):
        mask.frPyObjects([[1, 2, 3, float("nan"), 5, 6]], 10, 10)  # pycocotools runs out of memory here
    with pytest.raises(ValueError, match="beyond"):
        mask.frPyObjects([[0, 0, 1e12, 0, 5, 5]], 10, 10)  # pycocotools crashes here
    with pytest.raises(ValueError, match="odd number of coordinates"):
        mask.frPyObjects([[1, 2, 3, 4, 5, 6, 7]], 10, 10)
    with pytest.raises(ValueError, match="at least 3 points"):
        mask.frPyObjects([[1, 2, 3, 4, 5, 6], [1, 2, 3, 4]], 10, 10)
    with pytest.raises(ValueError, match="whole number"):
        mask.frPyObjects([[1, 2, 3, 4, 5, 6]], 10.5, 10)
    with pytest.raises(TypeError, match="input type is not supported"):
        mask.frPyObjects((1, 2, 3, 4, 5, 6), 10, 10)
    boxes = [[0, 0, 2, 2]]
    with pytest.raises(AssertionError, match="same length as gt"):  # pycocotools asserts
        mask.iou(boxes, boxes, [0, 1])
    with pytest.raises(ValueError, match="same length as gt"):
        mask.iou(boxes, boxes, [0, 1])
    with pytest.raises(TypeError, match="same data type"):
        mask.iou(boxes, [mask.encode(np.ones((3, 4), np.uint8, order="F"))], [0])
    with pytest.raises(ValueError, match="Nx4"):
        mask.iou(np.zeros((2, 3)), boxes, [0])
    with pytest.raises(TypeError, match="unrecognized type"):
        mask.iou("abc", boxes, [0])
