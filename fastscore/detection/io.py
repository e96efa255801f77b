"""Reading COCO JSON files into columns."""
from __future__ import annotations

import numpy as np

from .coco import BoxTable


def columns_from_dicts(anns: list, side: str) -> BoxTable:
    """Columns of a list of annotation dicts (COCO's field names)."""
    n = len(anns)
    if n and not all(isinstance(a, dict) for a in anns[:1]):
        raise TypeError("annotations must be dicts with image_id, category_id and bbox.")
    try:
        image_id = np.fromiter((a["image_id"] for a in anns), np.int64, n)
        category_id = np.fromiter((a["category_id"] for a in anns), np.int64, n)
        bbox = np.array([a["bbox"] for a in anns], dtype=np.float64).reshape(n, -1) if n else np.zeros((0, 4))
    except KeyError as exc:
        raise ValueError(f"an annotation lacks the field {exc}; COCO annotations need image_id, category_id and bbox.") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"annotation fields could not be read as numbers ({exc}); bbox must be [x, y, width, height].") from None
    if bbox.shape[1] != 4:
        raise ValueError(f"every bbox must have 4 numbers [x, y, width, height]; got rows of {bbox.shape[1]}.")
    if side == "dt":
        try:
            score = np.fromiter((a["score"] for a in anns), np.float64, n)
        except KeyError:
            raise ValueError("a detection lacks its 'score'; results need image_id, category_id, bbox and score.") from None
        data = {"image_id": image_id, "category_id": category_id, "bbox": bbox, "score": score}
    else:
        data = {
            "image_id": image_id, "category_id": category_id, "bbox": bbox,
            "area": np.fromiter((a["area"] if "area" in a else a["bbox"][2] * a["bbox"][3] for a in anns), np.float64, n),
            "iscrowd": np.fromiter((bool(a.get("iscrowd", 0)) for a in anns), np.uint8, n),
            "id": np.fromiter((a["id"] for a in anns), np.int64, n),
        }
    return BoxTable.from_columns(data, side=side)


def load_coco_ground_truth(path):
    """Read a COCO instances file: (ground truth BoxTable, image ids, {category id: name}).

    The file is scanned by a compiled reader that keeps only the numbers the
    evaluation needs (see ``_json``); no Python dict is built per annotation.
    """
    from ._json import annotation_columns

    columns, image_ids, categories = annotation_columns(path)
    return BoxTable.from_columns(columns, side="gt"), np.unique(image_ids), dict(categories)


def load_coco_results(path):
    """Read a COCO results file (a JSON array of bbox detections) as a BoxTable."""
    from ._json import results_columns

    return BoxTable.from_columns(results_columns(path), side="dt")
