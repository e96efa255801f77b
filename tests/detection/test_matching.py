"""Box IoU against pycocotools.mask.iou; assignment against scipy; match_boxes; BoS."""
import itertools

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given
from hypothesis import strategies as st
from pycocotools import mask as mask_utils

from fastscore.detection import (
    batch_linear_sum_assignment,
    box_iou,
    box_stability_score,
    linear_sum_assignment,
    match_boxes,
)
from fastscore.detection._reference import box_iou_xywh


def random_xywh(rng, n):
    xy = rng.uniform(0, 100, (n, 2)).round(2)
    wh = rng.uniform(0, 60, (n, 2)).round(2)
    return np.column_stack([xy, wh])


@pytest.mark.parametrize("seed", range(5))
def test_iou_bit_identical_to_pycocotools(seed):
    rng = np.random.default_rng(seed)
    det, gt = random_xywh(rng, 40), random_xywh(rng, 25)
    gt[:5] = det[:5]  # identical boxes
    gt[5, 2:] = 0.0  # an empty box
    crowd = rng.random(25) < 0.3
    theirs = mask_utils.iou(det.tolist(), gt.tolist(), crowd.astype(np.uint8).tolist())
    ours = box_iou(det, gt, box_format="xywh", iscrowd=crowd)
    assert np.array_equal(ours, theirs)
    reference = box_iou_xywh(det, gt, crowd.astype(np.uint8), np.empty((40, 25)))
    assert np.array_equal(ours, reference)


def test_iou_formats_agree_and_hand_values():
    xyxy = np.array([[0, 0, 10, 10], [5, 5, 15, 15], [20, 20, 30, 40]], dtype=float)
    xywh = np.column_stack([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]])
    cxcywh = np.column_stack([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]])
    a = box_iou(xyxy, xyxy)
    assert np.allclose(a, box_iou(xywh, xywh, box_format="xywh"), rtol=0, atol=1e-15)
    assert np.allclose(a, box_iou(cxcywh, cxcywh, box_format="cxcywh"), rtol=0, atol=1e-15)
    # overlap 5 x 5 = 25, union 100 + 100 - 25 = 175
    assert a[0, 1] == 25 / 175
    assert a[0, 2] == 0.0 and np.all(np.diag(a) == 1.0)
    # crowd: intersection over the first box's area only
    assert box_iou(xyxy[:1], xyxy[1:2], iscrowd=[1])[0, 0] == 25 / 100


def test_iou_large_matrix_threads():
    rng = np.random.default_rng(9)
    det, gt = random_xywh(rng, 700), random_xywh(rng, 300)
    assert np.array_equal(box_iou(det, gt, box_format="xywh"),
                          mask_utils.iou(det.tolist(), gt.tolist(), [0] * 300))


@pytest.mark.parametrize("bad, match", [
    ([[0, 0, np.nan, 1]], "NaN or infinite"),
    ([[0, 0, -1, 1]], "negative width"),
    ([[0, 0, 1]], r"shape \(n, 4\)"),
])
def test_iou_bad_boxes(bad, match):
    with pytest.raises(ValueError, match=match):
        box_iou(bad, [[0, 0, 1, 1]], box_format="xywh")


def test_iou_xyxy_reversed_corners():
    with pytest.raises(ValueError, match="x2 < x1"):
        box_iou([[10, 0, 0, 10]], [[0, 0, 1, 1]])


def test_iou_empty():
    assert box_iou(np.zeros((0, 4)), [[0, 0, 1, 1]]).shape == (0, 1)


@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 2 ** 31), st.booleans(), st.booleans())
def test_assignment_optimal_cost_equals_scipy(n, m, seed, integer, maximize):
    rng = np.random.default_rng(seed)
    cost = rng.integers(-3, 4, (n, m)).astype(float) if integer else rng.normal(size=(n, m))
    r1, c1 = scipy.optimize.linear_sum_assignment(cost, maximize=maximize)
    r2, c2 = linear_sum_assignment(cost, maximize=maximize)
    assert np.array_equal(r1, r2)  # rows sorted, min(n, m) of them
    assert len(set(c2.tolist())) == len(c2)
    assert np.isclose(cost[r1, c1].sum(), cost[r2, c2].sum(), rtol=0, atol=1e-9)


def test_assignment_brute_force_small():
    rng = np.random.default_rng(3)
    for _ in range(30):
        cost = rng.integers(0, 5, (4, 4)).astype(float)
        best = min(sum(cost[i, p[i]] for i in range(4)) for p in itertools.permutations(range(4)))
        r, c = linear_sum_assignment(cost)
        assert cost[r, c].sum() == best


def test_assignment_infinite_entries():
    cost = np.array([[np.inf, 1.0], [2.0, np.inf]])
    r, c = linear_sum_assignment(cost)
    assert c.tolist() == [1, 0]
    with pytest.raises(ValueError, match="infeasible"):
        linear_sum_assignment([[np.inf, np.inf], [1.0, 2.0]])
    with pytest.raises(ValueError, match="invalid numeric entries"):
        linear_sum_assignment([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="2-D"):
        linear_sum_assignment([1.0, 2.0])
    assert [a.tolist() for a in linear_sum_assignment(np.zeros((0, 3)))] == [[], []]


def test_batch_list_and_padded():
    rng = np.random.default_rng(5)
    problems = [rng.random((rng.integers(1, 8), rng.integers(1, 8))) for _ in range(200)]
    for cost, (r, c) in zip(problems, batch_linear_sum_assignment(problems)):
        r1, c1 = scipy.optimize.linear_sum_assignment(cost)
        assert np.array_equal(r, r1) and np.isclose(cost[r, c].sum(), cost[r1, c1].sum(), rtol=0, atol=1e-12)
    padded = np.zeros((len(problems), 7, 7))
    sizes = np.array([p.shape for p in problems])
    for i, p in enumerate(problems):
        padded[i, :p.shape[0], :p.shape[1]] = p
    rows, cols = batch_linear_sum_assignment(padded, sizes=sizes, maximize=True)
    for i, p in enumerate(problems):
        r1, c1 = scipy.optimize.linear_sum_assignment(p, maximize=True)
        k = len(r1)
        assert np.array_equal(rows[i, :k], r1) and (rows[i, k:] == -1).all()
        assert np.isclose(p[rows[i, :k], cols[i, :k]].sum(), p[r1, c1].sum(), rtol=0, atol=1e-12)


def test_batch_square_uniform_equals_scipy():
    costs = np.random.default_rng(6).random((300, 20, 20))
    rows, cols = batch_linear_sum_assignment(costs)
    for b in range(300):
        r1, c1 = scipy.optimize.linear_sum_assignment(costs[b])
        assert np.isclose(costs[b][rows[b], cols[b]].sum(), costs[b][r1, c1].sum(), rtol=0, atol=1e-12)


def test_batch_bad_sizes():
    with pytest.raises(ValueError, match="sizes"):
        batch_linear_sum_assignment(np.zeros((2, 3, 3)), sizes=[[4, 3], [1, 1]])


def test_match_boxes_greedy_is_coco_rule():
    gt = [[0, 0, 10, 10], [0, 0, 10, 9]]
    det = [[0, 0, 10, 9.5], [0, 0, 10, 10]]
    # the higher-scoring second detection takes the first ground truth; the first detection the other
    m = match_boxes(det, gt, scores=[0.5, 0.9], box_format="xywh")
    assert sorted(zip(m.index1.tolist(), m.index2.tolist())) == [(0, 1), (1, 0)]
    m = match_boxes(det, gt, iou_threshold=0.99, box_format="xywh", scores=[0.5, 0.9])
    assert list(zip(m.index1.tolist(), m.index2.tolist())) == [(1, 0)]
    assert m.unmatched1.tolist() == [0] and m.unmatched2.tolist() == [1]


def test_match_boxes_optimal_beats_greedy():
    # greedy gives the first detection its best ground truth and leaves the second without one
    gt = [[0, 0, 10, 10], [4, 0, 14, 10]]
    det = [[1, 0, 11, 10], [-4, 0, 6, 10]]
    greedy = match_boxes(det, gt, iou_threshold=0.3)
    optimal = match_boxes(det, gt, iou_threshold=0.3, method="optimal")
    assert len(optimal.index1) == 2 and len(greedy.index1) == 1
    assert optimal.iou.sum() > greedy.iou.sum()
    with pytest.raises(ValueError, match="method"):
        match_boxes(det, gt, method="hungarian")


def test_match_boxes_crowd_absorbs_many():
    crowd_gt = [[0, 0, 100, 100]]
    det = [[0, 0, 10, 10], [20, 20, 30, 30]]
    m = match_boxes(det, crowd_gt, iscrowd=[1])
    assert m.index1.tolist() == [0, 1] and m.unmatched2.tolist() == []


def brute_bos(images1, images2):
    per_image = []
    for b1, b2 in zip(images1, images2):
        if not len(b1) or not len(b2):
            continue
        iou = box_iou(b1, b2)
        k = min(len(b1), len(b2))
        best = max(
            (sum(iou[i, j] for i, j in zip(rows, cols)) for rows in itertools.permutations(range(len(b1)), k)
             for cols in [tuple(range(len(b2)))[:k]] if k == len(b2))
            if len(b1) >= len(b2) else
            (sum(iou[i, j] for i, j in zip(range(k), cols)) for cols in itertools.permutations(range(len(b2)), k))
        )
        per_image.append(best / k)
    return np.mean(per_image)


def test_box_stability_score_brute_force():
    rng = np.random.default_rng(8)
    images1, images2, ids1, ids2 = [], [], [], []
    for img in range(12):
        n, m = rng.integers(0, 5), rng.integers(0, 5)
        b1 = np.column_stack([rng.uniform(0, 50, (n, 2)), rng.uniform(0, 50, (n, 2)) + 55])
        b2 = b1[rng.permutation(n)][:m] + rng.normal(0, 4, (min(n, m), 4)) if m <= n else \
            np.vstack([b1 + rng.normal(0, 4, (n, 4)), np.column_stack([rng.uniform(0, 50, (m - n, 2)), rng.uniform(0, 50, (m - n, 2)) + 55])])
        images1.append(b1)
        images2.append(b2)
        ids1 += [img] * n
        ids2 += [img] * len(b2)
    score = box_stability_score(np.vstack(images1), np.vstack(images2), ids1, ids2)
    assert np.isclose(score, brute_bos(images1, images2), rtol=0, atol=1e-12)


def test_box_stability_area_ranges_and_empty():
    small = [[0, 0, 10, 10]]
    large = [[0, 0, 200, 200]]
    both1 = np.array(small + large, dtype=float)
    both2 = np.array([[0, 0, 10, 5], [0, 0, 200, 200]], dtype=float)
    assert box_stability_score(both1, both2, area_range="large") == 1.0
    # the 10 x 5 box is small too: its IoU with the 10 x 10 box is 0.5
    assert box_stability_score(both1, both2, area_range="small") == 0.5
    with pytest.raises(ValueError, match="no image has boxes in both sets"):
        box_stability_score(small, np.zeros((0, 4)))
    with pytest.raises(ValueError, match="area_range"):
        box_stability_score(small, small, area_range="tiny")
