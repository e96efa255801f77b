"""Detection: COCO bbox evaluation identical to pycocotools, box IoU, assignment, BoS."""
from .coco import CocoParams
from .evaluation import CocoAccumulator, DetectionEvaluation, evaluate_detections
from .lvis import LvisEvaluation, evaluate_lvis
from .matching import (
    BoxMatches,
    batch_linear_sum_assignment,
    box_iou,
    box_stability_score,
    linear_sum_assignment,
    match_boxes,
)

__all__ = [
    "BoxMatches",
    "CocoAccumulator",
    "CocoParams",
    "DetectionEvaluation",
    "LvisEvaluation",
    "batch_linear_sum_assignment",
    "box_iou",
    "box_stability_score",
    "evaluate_detections",
    "evaluate_lvis",
    "linear_sum_assignment",
    "match_boxes",
]
