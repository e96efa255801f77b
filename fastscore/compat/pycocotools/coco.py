"""``pycocotools.coco``'s name: ``from fastscore.compat.pycocotools.coco import COCO``."""
from . import COCO

__all__ = ["COCO"]
