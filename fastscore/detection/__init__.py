"""Detection: COCO bbox evaluation identical to pycocotools, box IoU, assignment, BoS."""
from .coco import CocoParams
from .evaluation import DetectionEvaluation, evaluate_detections

__all__ = ["CocoParams", "DetectionEvaluation", "evaluate_detections"]
