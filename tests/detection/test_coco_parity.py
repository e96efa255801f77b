"""fastscore's COCO evaluation against pycocotools, bit for bit."""
import contextlib
import copy
import importlib.util
import io
import json
import pathlib

import numpy as np
import pytest
from pycocotools.coco import COCO as PyCOCO
from pycocotools.cocoeval import COCOeval as PyCOCOeval

from fastscore.compat.pycocotools import COCO, COCOeval
from fastscore.datasets import coco_sample_paths
from fastscore.detection import evaluate_detections

_spec = importlib.util.spec_from_file_location("coco_synth", pathlib.Path(__file__).with_name("coco_synth.py"))
coco_synth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(coco_synth)


def _coco_from_dict(cls, dataset):
    with contextlib.redirect_stdout(io.StringIO()):
        coco = cls()
        coco.dataset = copy.deepcopy(dataset)
        coco.createIndex()
    return coco


def run_eval(coco_cls, eval_cls, dataset, results, **params):
    """evaluate + accumulate + summarize; returns the evaluator and what it printed."""
    with contextlib.redirect_stdout(io.StringIO()) as out:
        gt = _coco_from_dict(coco_cls, dataset)
        dt = gt.loadRes(copy.deepcopy(results))
        ev = eval_cls(gt, dt, "bbox")
        for name, value in params.items():
            setattr(ev.params, name, value)
        ev.evaluate()
        ev.accumulate()
        if len(ev.params.maxDets) >= 3:
            ev.summarize()
    return ev, out.getvalue()


def assert_identical(ours, theirs):
    for key in ("precision", "recall", "scores"):
        assert ours.eval[key].shape == theirs.eval[key].shape, key
        assert np.array_equal(ours.eval[key], theirs.eval[key]), key
    if len(theirs.params.maxDets) >= 3:
        assert np.array_equal(np.asarray(ours.stats), np.asarray(theirs.stats))


def summary_lines(printed):
    return [line for line in printed.splitlines() if line.startswith(" Average")]


@pytest.fixture(scope="module")
def sample():
    gt_file, dt_file = coco_sample_paths()
    with open(gt_file) as f:
        dataset = json.load(f)
    with open(dt_file) as f:
        results = json.load(f)
    return dataset, results


def test_bundled_sample_files_bit_identical():
    gt_file, dt_file = coco_sample_paths()
    runs = []
    for coco_cls, eval_cls in ((PyCOCO, PyCOCOeval), (COCO, COCOeval)):
        with contextlib.redirect_stdout(io.StringIO()) as out:
            gt = coco_cls(gt_file)
            ev = eval_cls(gt, gt.loadRes(dt_file), "bbox")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        runs.append((ev, out.getvalue()))
    (theirs, printed_theirs), (ours, printed_ours) = runs
    assert_identical(ours, theirs)
    assert summary_lines(printed_ours) == summary_lines(printed_theirs)
    assert len(summary_lines(printed_ours)) == 12
    # the numbers the COCO API prints for this pair (data README)
    assert np.round(ours.stats, 3).tolist() == [0.505, 0.697, 0.573, 0.586, 0.519, 0.501,
                                                0.387, 0.594, 0.595, 0.640, 0.566, 0.564]


@pytest.mark.parametrize("use_cats", [1, 0])
def test_bundled_sample_use_cats(sample, use_cats):
    dataset, results = sample
    theirs, _ = run_eval(PyCOCO, PyCOCOeval, dataset, results, useCats=use_cats)
    ours, _ = run_eval(COCO, COCOeval, dataset, results, useCats=use_cats)
    assert_identical(ours, theirs)


@pytest.mark.parametrize("seed", range(8))
def test_random_sets_bit_identical(seed):
    dataset, results = coco_synth.make_coco(seed)
    theirs, printed_theirs = run_eval(PyCOCO, PyCOCOeval, dataset, results)
    ours, printed_ours = run_eval(COCO, COCOeval, dataset, results)
    assert_identical(ours, theirs)
    assert summary_lines(printed_ours) == summary_lines(printed_theirs)


@pytest.mark.parametrize("seed", range(4))
def test_random_sets_without_categories(seed):
    dataset, results = coco_synth.make_coco(100 + seed)
    theirs, _ = run_eval(PyCOCO, PyCOCOeval, dataset, results, useCats=0)
    ours, _ = run_eval(COCO, COCOeval, dataset, results, useCats=0)
    assert_identical(ours, theirs)


CUSTOM = [
    {"iouThrs": np.array([0.3, 0.5, 0.75]), "recThrs": np.linspace(0, 1, 11)},
    {"maxDets": [5, 1, 50]},  # unsorted: pycocotools sorts them
    {"maxDets": [1, 10, 100, 300]},
    {"maxDets": [2, 20]},
    {"areaRng": [[0, 1e10], [0, 40 ** 2], [40 ** 2, 1e10]], "areaRngLbl": ["all", "small", "large"]},
    {"recThrs": np.array([0.9, 0.1, 0.5])},  # unsorted: pycocotools stops at the first past the curve
]


@pytest.mark.parametrize("params", CUSTOM, ids=lambda p: ",".join(p))
@pytest.mark.parametrize("seed", [3, 4])
def test_custom_parameters(seed, params):
    dataset, results = coco_synth.make_coco(seed, score_decimals=2)
    theirs, _ = run_eval(PyCOCO, PyCOCOeval, dataset, results, **params)
    ours, _ = run_eval(COCO, COCOeval, dataset, results, **params)
    assert_identical(ours, theirs)


def test_subset_of_images_and_categories():
    dataset, results = coco_synth.make_coco(7)
    img_ids = sorted(img["id"] for img in dataset["images"])[::2]
    cat_ids = sorted(c["id"] for c in dataset["categories"])[1:]
    theirs, _ = run_eval(PyCOCO, PyCOCOeval, dataset, results, imgIds=img_ids, catIds=cat_ids)
    ours, _ = run_eval(COCO, COCOeval, dataset, results, imgIds=img_ids, catIds=cat_ids)
    assert_identical(ours, theirs)


def test_heavy_crowd_and_many_ties():
    dataset, results = coco_synth.make_coco(11, crowd_rate=0.4, score_decimals=1, dt_per_image=60)
    theirs, _ = run_eval(PyCOCO, PyCOCOeval, dataset, results)
    ours, _ = run_eval(COCO, COCOeval, dataset, results)
    assert_identical(ours, theirs)


def test_ground_truth_id_zero_keeps_pycocotools_numbers():
    dataset, results = coco_synth.make_coco(5)
    for ann in dataset["annotations"]:
        ann["id"] -= 1  # the first annotation gets id 0
    theirs, _ = run_eval(PyCOCO, PyCOCOeval, dataset, results)
    with pytest.warns(UserWarning, match="id 0"):
        ours, _ = run_eval(COCO, COCOeval, dataset, results)
    assert_identical(ours, theirs)


def test_numpy_results_array(sample):
    dataset, results = sample
    array = np.array([[r["image_id"], *r["bbox"], r["score"], r["category_id"]] for r in results])
    evs = []
    for coco_cls, eval_cls in ((PyCOCO, PyCOCOeval), (COCO, COCOeval)):
        with contextlib.redirect_stdout(io.StringIO()):
            gt = _coco_from_dict(coco_cls, dataset)
            ev = eval_cls(gt, gt.loadRes(array), "bbox")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        evs.append(ev)
    assert_identical(evs[1], evs[0])


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_columnar_api_equals_pycocotools(backend):
    dataset, results = coco_synth.make_coco(21, n_images=8)
    theirs, _ = run_eval(PyCOCO, PyCOCOeval, dataset, results)
    anns = dataset["annotations"]
    gt = {"image_id": [a["image_id"] for a in anns], "category_id": [a["category_id"] for a in anns],
          "bbox": [a["bbox"] for a in anns], "area": [a["area"] for a in anns],
          "iscrowd": [a["iscrowd"] for a in anns], "id": [a["id"] for a in anns]}
    dt = {key: [r[key] for r in results] for key in ("image_id", "category_id", "bbox", "score")}
    result = evaluate_detections(gt, dt, image_ids=[img["id"] for img in dataset["images"]],
                                 category_ids=[c["id"] for c in dataset["categories"]], backend=backend)
    assert np.array_equal(result.precision, theirs.eval["precision"])
    assert np.array_equal(result.recall, theirs.eval["recall"])
    assert np.array_equal(result.scores, theirs.eval["scores"])
    assert np.array_equal(result.stats, theirs.stats)


def assert_same_eval_imgs(ours, theirs):
    assert len(ours) == len(theirs)
    for mine, ref in zip(ours, theirs):
        assert (mine is None) == (ref is None)
        if ref is None:
            continue
        assert set(mine) == set(ref)
        for key, value in ref.items():
            if isinstance(value, np.ndarray):
                assert mine[key].shape == value.shape and np.array_equal(mine[key], value), key
            else:
                assert list(np.ravel(mine[key])) == list(np.ravel(value)) if key == "aRng" else mine[key] == value, key


@pytest.mark.parametrize("seed, params", [(1, {}), (2, {"useCats": 0}), (11, {"maxDets": [1, 5, 20]})])
def test_eval_imgs_equal_pycocotools(seed, params):
    dataset, results = coco_synth.make_coco(seed, crowd_rate=0.3, n_images=8)
    theirs, _ = run_eval(PyCOCO, PyCOCOeval, dataset, results, **params)
    ours, _ = run_eval(COCO, COCOeval, dataset, results, **params)
    assert_same_eval_imgs(ours.evalImgs, theirs.evalImgs)
