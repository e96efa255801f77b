"""Generated bad input for every public detection entry point (see tests/fuzz_harness.py)."""
import numpy as np

import fuzz_harness as fuzz

from fastscore.detection import (batch_linear_sum_assignment, box_iou, box_stability_score, evaluate_detections,
                                 linear_sum_assignment, match_boxes)

rng = np.random.default_rng(13)
BOXES = np.column_stack([rng.uniform(0, 80, (12, 2)), rng.uniform(1, 30, (12, 2))])
GT_BOXES = BOXES[:8] + rng.normal(0, 2, (8, 4)).clip(-1, 1)
CROWD = (rng.random(8) < 0.3).astype(np.uint8)
COST = rng.random((5, 7))
COSTS = rng.random((4, 5, 5))
SCORES = rng.random(12)
IMAGES = rng.integers(1, 4, 12)
GT_IMAGES = rng.integers(1, 4, 8)
CATEGORIES = rng.integers(1, 3, 12)
GT_CATEGORIES = rng.integers(1, 3, 8)

BOX_LISTS = {"objects": None, "shorter": True, "empty": True}  # object arrays of numbers: pandas columns of lists
COLUMN_LISTS = {"objects": None}  # a column: a shorter one does not fit the others


def evaluate(dt_bbox=BOXES, dt_score=SCORES, dt_image=IMAGES, gt_bbox=GT_BOXES, gt_crowd=CROWD, backend=None):
    gt = {"image_id": GT_IMAGES, "category_id": GT_CATEGORIES, "bbox": gt_bbox, "iscrowd": gt_crowd}
    dt = {"image_id": dt_image, "category_id": CATEGORIES, "bbox": dt_bbox, "score": dt_score}
    result = evaluate_detections(gt, dt, image_ids=[1, 2, 3], category_ids=[1, 2], backend=backend)
    return [result.stats, result.precision, result.recall]


def cases():
    out = [
        fuzz.Case("box_iou boxes1", box_iou, {"boxes1": BOXES, "boxes2": GT_BOXES, "box_format": "xywh"}, "boxes1",
                  backends=True, valid=BOX_LISTS),
        fuzz.Case("box_iou iscrowd", box_iou, {"boxes1": BOXES, "boxes2": GT_BOXES, "box_format": "xywh",
                                               "iscrowd": CROWD}, "iscrowd", backends=True, integer=True),
        fuzz.Case("linear_sum_assignment cost", linear_sum_assignment, {"cost_matrix": COST}, "cost_matrix",
                  backends=True, valid={"inf": None, "huge": None, "shorter": True, "objects": None, "empty": True}),
        fuzz.Case("batch_linear_sum_assignment costs", batch_linear_sum_assignment, {"costs": COSTS}, "costs",
                  backends=True, valid={"inf": None, "huge": None, "shorter": True, "objects": None},
                  summary=lambda r: [r[0]]),
        fuzz.Case("match_boxes boxes1", match_boxes, {"boxes1": BOXES, "boxes2": GT_BOXES, "box_format": "xywh"},
                  "boxes1", valid=BOX_LISTS, summary=lambda r: [np.asarray(r.pairs) if hasattr(r, "pairs") else 0]),
        fuzz.Case("match_boxes scores", match_boxes, {"boxes1": BOXES, "boxes2": GT_BOXES, "box_format": "xywh",
                                                      "scores": SCORES}, "scores", valid={"huge": None},
                  summary=lambda r: [np.asarray(r.pairs) if hasattr(r, "pairs") else 0]),
        fuzz.Case("box_stability_score boxes2", box_stability_score, {"boxes1": BOXES, "boxes2": BOXES[::-1].copy(),
                                                                     "box_format": "xywh"}, "boxes2",
                  valid={**BOX_LISTS, "empty": False}),
        fuzz.Case("evaluate_detections dt bbox", evaluate, {"dt_bbox": BOXES}, "dt_bbox", backends=True,
                  valid=COLUMN_LISTS),
        fuzz.Case("evaluate_detections dt score", evaluate, {"dt_score": SCORES}, "dt_score", backends=True,
                  valid={"huge": None}),
        fuzz.Case("evaluate_detections dt image_id", evaluate, {"dt_image": IMAGES}, "dt_image", backends=True,
                  integer=True, valid={"huge": None}),
        fuzz.Case("evaluate_detections gt bbox", evaluate, {"gt_bbox": GT_BOXES}, "gt_bbox", backends=True,
                  valid=COLUMN_LISTS),
        fuzz.Case("evaluate_detections gt iscrowd", evaluate, {"gt_crowd": CROWD}, "gt_crowd", backends=True,
                  integer=True),
    ]
    return out


test_every_class_at_every_position, test_generated_inputs = fuzz.make_tests(cases(), refused=300, ok=150)
