"""Detection: COCO bbox evaluation identical to pycocotools, box IoU, assignment, BoS.

The names below load their module on first use (PEP 562), so that
``fastscore.compat.pycocotools`` imports only what COCO evaluation needs.
"""
import importlib

_WHERE = {
    "CocoParams": "coco",
    "CocoAccumulator": "evaluation",
    "DetectionEvaluation": "evaluation",
    "evaluate_detections": "evaluation",
    "LvisEvaluation": "lvis",
    "evaluate_lvis": "lvis",
    "BoxMatches": "matching",
    "batch_linear_sum_assignment": "matching",
    "box_iou": "matching",
    "box_stability_score": "matching",
    "linear_sum_assignment": "matching",
    "match_boxes": "matching",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
