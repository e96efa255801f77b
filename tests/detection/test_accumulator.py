"""CocoAccumulator: shards of images merge to the one-call numbers; the Dask path."""
import contextlib
import importlib.util
import io
import pathlib
import pickle

import numpy as np
import pytest
from distributed import Client, LocalCluster  # the test extra installs dask[distributed]: no skip
from pycocotools.coco import COCO as PyCOCO
from pycocotools.cocoeval import COCOeval as PyCOCOeval

import fastscore.dask
from fastscore.detection import CocoAccumulator, evaluate_detections

_spec = importlib.util.spec_from_file_location("coco_synth", pathlib.Path(__file__).with_name("coco_synth.py"))
coco_synth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(coco_synth)


def columns(dataset, results):
    anns = dataset["annotations"]
    gt = {key: np.array([a[key] for a in anns]) for key in ("image_id", "category_id", "bbox", "area", "iscrowd", "id")}
    dt = {key: np.array([r[key] for r in results]) for key in ("image_id", "category_id", "bbox", "score")}
    return gt, dt


def shard(gt, dt, images):
    gi, di = np.isin(gt["image_id"], images), np.isin(dt["image_id"], images)
    return {k: v[gi] for k, v in gt.items()}, {k: v[di] for k, v in dt.items()}


@pytest.fixture(scope="module")
def data():
    dataset, results = coco_synth.make_coco(31, n_images=15)
    gt, dt = columns(dataset, results)
    images = np.array(sorted(img["id"] for img in dataset["images"]))
    cats = np.array(sorted(c["id"] for c in dataset["categories"]))
    with contextlib.redirect_stdout(io.StringIO()):
        coco = PyCOCO()
        coco.dataset = dataset
        coco.createIndex()
        ev = PyCOCOeval(coco, coco.loadRes([dict(r) for r in results]), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return gt, dt, images, cats, ev


def test_shards_equal_one_call_and_pycocotools(data):
    gt, dt, images, cats, theirs = data
    parts = np.array_split(images, 4)
    accs = []
    for part in parts:
        acc = CocoAccumulator(category_ids=cats)
        acc.update(*shard(gt, dt, part), image_ids=part)
        accs.append(acc)
    merged = accs[3].copy().merge(accs[1]).merge(accs[0]).merge(accs[2])  # any order
    result = merged.compute()
    assert np.array_equal(result.precision, theirs.eval["precision"])
    assert np.array_equal(result.recall, theirs.eval["recall"])
    assert np.array_equal(result.stats, theirs.stats)
    one_call = evaluate_detections(gt, dt, image_ids=images, category_ids=cats)
    assert np.array_equal(result.scores, one_call.scores)
    restored = pickle.loads(pickle.dumps(merged))
    assert np.array_equal(restored.compute().stats, result.stats)


def test_default_categories_and_updates_in_place(data):
    gt, dt, images, _, _ = data
    acc = CocoAccumulator()
    for part in np.array_split(images, 3):
        acc.update(*shard(gt, dt, part))
    with pytest.warns(UserWarning, match="no ground truth"):
        one_call = evaluate_detections(gt, dt)
    assert np.array_equal(acc.compute().precision, one_call.precision)


def test_without_categories(data):
    gt, dt, images, cats, _ = data
    acc = CocoAccumulator(category_ids=cats, use_categories=False)
    for part in np.array_split(images, 2):
        acc.update(*shard(gt, dt, part))
    expected = evaluate_detections(gt, dt, image_ids=images, category_ids=cats, use_categories=False)
    assert np.array_equal(acc.compute().precision, expected.precision)
    with pytest.raises(ValueError, match="category_ids"):
        CocoAccumulator(use_categories=False)


def test_an_image_in_two_shards_is_refused(data):
    gt, dt, images, _, _ = data
    a = CocoAccumulator().update(*shard(gt, dt, images[:5]))
    b = CocoAccumulator().update(*shard(gt, dt, images[4:]))
    with pytest.raises(ValueError, match="two shards"):
        a.merge(b)
    with pytest.raises(ValueError, match="two shards"):
        a.update(*shard(gt, dt, images[3:4]))
    with pytest.raises(ValueError, match="different"):
        a.merge(CocoAccumulator(max_detections=(1, 10, 50)))


def test_dask_shards_on_cluster(data):
    gt, dt, images, cats, theirs = data
    shards = [shard(gt, dt, part) for part in np.array_split(images, 5)]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster):
            state = fastscore.dask.accumulate_shards(CocoAccumulator(category_ids=cats), shards, split_every=2)
    assert np.array_equal(state.compute().precision, theirs.eval["precision"])
    assert np.array_equal(state.compute().stats, theirs.stats)
