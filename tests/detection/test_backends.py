"""Every detection kernel: Cython (the default), Numba and the reference give the same numbers."""
import importlib.util
import pathlib

import numpy as np
import pytest

import fastscore
from fastscore.detection import (batch_linear_sum_assignment, box_iou, evaluate_detections, evaluate_lvis,
                                 linear_sum_assignment)
from fastscore.detection.coco import _BOX_PROBLEMS, _GROUP_SORT

_spec = importlib.util.spec_from_file_location("coco_synth", pathlib.Path(__file__).with_name("coco_synth.py"))
coco_synth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(coco_synth)

BACKENDS = ("cython", "numba", "reference")


def columns(dataset, results):
    anns = dataset["annotations"]
    gt = {key: [a[key] for a in anns] for key in ("image_id", "category_id", "bbox", "area", "iscrowd", "id")}
    dt = {key: [r[key] for r in results] for key in ("image_id", "category_id", "bbox", "score")}
    return gt, dt


@pytest.mark.parametrize("seed, options", [(3, {}), (4, {"use_categories": False}),
                                           (5, {"max_detections": (1, 3, 7)}), (6, {"iou_thresholds": [0.9, 0.5, 0.1]})])
def test_evaluation_equal_on_every_backend(seed, options):
    dataset, results = coco_synth.make_coco(seed, n_images=10, crowd_rate=0.2)
    gt, dt = columns(dataset, results)
    outs = {}
    for backend in BACKENDS:
        with fastscore.config(backend=backend):
            result = evaluate_detections(gt, dt, image_ids=[i["id"] for i in dataset["images"]],
                                         category_ids=[c["id"] for c in dataset["categories"]], **options)
            outs[backend] = (result.precision, result.recall, result.scores,
                             result.confusion_matrix()["matrix"] if options.get("use_categories", True) else None)
    for backend in BACKENDS[1:]:
        for mine, theirs in zip(outs["cython"], outs[backend]):
            assert mine is None or np.array_equal(mine, theirs), backend


def test_lvis_equal_on_every_backend():
    dataset, results = coco_synth.make_coco(8, n_images=8, crowd_rate=0.0)
    gt, dt = columns(dataset, results)
    images = [{"id": i["id"], "neg_category_ids": [], "not_exhaustive_category_ids": [c["id"] for c in dataset["categories"][:1]]}
              for i in dataset["images"]]
    categories = [{"id": c["id"], "frequency": "cfr"[k % 3]} for k, c in enumerate(dataset["categories"])]
    outs = [evaluate_lvis(gt, dt, images=images, categories=categories, backend=b).precision for b in BACKENDS]
    assert all(np.array_equal(outs[0], other) for other in outs[1:])


def test_box_iou_equal_on_every_backend():
    rng = np.random.default_rng(1)
    boxes = np.column_stack([rng.uniform(0, 90, (300, 2)), rng.uniform(0, 40, (300, 2))])
    crowd = rng.random(200) < 0.3
    outs = [box_iou(boxes, boxes[:200], box_format="xywh", iscrowd=crowd, backend=b) for b in BACKENDS]
    assert all(np.array_equal(outs[0], other) for other in outs[1:])


def test_assignment_equal_on_every_backend():
    rng = np.random.default_rng(2)
    problems = [rng.integers(0, 6, (rng.integers(1, 9), rng.integers(1, 9))).astype(float) for _ in range(300)]
    problems.append(np.array([[np.inf, 1.0], [2.0, np.inf]]))
    for backend in ("numba", "reference"):
        for cost, mine, theirs in zip(problems, batch_linear_sum_assignment(problems, backend="cython"),
                                      batch_linear_sum_assignment(problems, backend=backend)):
            assert np.array_equal(mine[0], theirs[0])
            assert cost[mine].sum() == cost[theirs].sum()  # the optimum (ties may pick another assignment)
            if backend == "numba":
                assert np.array_equal(mine[1], theirs[1])  # the same algorithm: the same assignment
    with pytest.raises(ValueError, match="infeasible"):
        linear_sum_assignment([[np.inf, np.inf], [1.0, 2.0]], backend="cython")


@pytest.mark.parametrize("sort_runs", [True, False])
def test_group_sort_and_box_checks_equal_on_every_backend(sort_runs):
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 50, 3000)
    values = np.round(rng.random(3000), 2)  # ties: the order must be the stable one
    outs = [_GROUP_SORT.resolve(b)[1](keys, 50, values if sort_runs else np.zeros(0), sort_runs) for b in BACKENDS]
    want = np.lexsort((values, keys)) if sort_runs else np.argsort(keys, kind="stable")
    for order, starts in outs:
        assert np.array_equal(order, want) and np.array_equal(starts, outs[0][1])
    bbox = rng.random((100, 4))
    bbox[7, 1], bbox[9, 3], bbox[11, 2] = np.nan, -1.0, np.inf
    area = rng.random(100)
    area[20] = np.inf
    score = rng.random(100)
    score[30] = np.nan
    found = [_BOX_PROBLEMS.resolve(b)[1](bbox, area, score).tolist() for b in BACKENDS]
    assert found == [[7, 9, 20, 30]] * 3
