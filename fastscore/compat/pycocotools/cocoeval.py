"""``pycocotools.cocoeval``'s names: ``from fastscore.compat.pycocotools.cocoeval import COCOeval``."""
from . import COCOeval, Params

__all__ = ["COCOeval", "Params"]
