"""compare_detections: a replicate equals pycocotools on the data set with the drawn images repeated."""
import contextlib
import copy
import importlib.util
import io
import pathlib

import numpy as np
import pytest
from pycocotools.coco import COCO as PyCOCO
from pycocotools.cocoeval import COCOeval as PyCOCOeval

from fastscore.compare.detection import compare_detections

_spec = importlib.util.spec_from_file_location(
    "coco_synth", pathlib.Path(__file__).parents[1] / "detection" / "coco_synth.py")
coco_synth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(coco_synth)
_spec = importlib.util.spec_from_file_location(
    "instances_synth", pathlib.Path(__file__).parents[1] / "detection" / "instances_synth.py")
instances_synth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(instances_synth)


def _pycocotools_stats(dataset, results):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = PyCOCO()
        gt.dataset = copy.deepcopy(dataset)
        gt.createIndex()
        ev = PyCOCOeval(gt, gt.loadRes(copy.deepcopy(results)), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return np.asarray(ev.stats)


def _fastscore_coco(dataset):
    from fastscore.compat.pycocotools import COCO

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = copy.deepcopy(dataset)
        gt.createIndex()
    return gt


def _repeated(dataset, results, counts, image_ids):
    """The data set with image i repeated counts[i] times (ids orig * 1000 + copy, keeping the order)."""
    weight = dict(zip(image_ids, counts))
    images = [dict(img, id=img["id"] * 1000 + c) for img in dataset["images"] for c in range(weight[img["id"]])]
    anns = [dict(a, id=a["id"] * 1000 + c, image_id=a["image_id"] * 1000 + c) for a in dataset["annotations"]
            for c in range(weight[a["image_id"]])]
    res = []
    for c in range(max(counts)):
        res += [dict(r, image_id=r["image_id"] * 1000 + c) for r in results if weight[r["image_id"]] > c]
    return {"images": images, "annotations": anns, "categories": dataset["categories"]}, res


def _assert_replicate_is_pycocotools(result, b, dataset, models, counts, image_ids):
    """Replicate b's 12 stats of both models = pycocotools on the data set with the drawn images repeated."""
    for side, results in enumerate(models):
        repeated = _repeated(dataset, results, counts, image_ids)
        assert np.array_equal(result.details["replicates"][side, b, :12], _pycocotools_stats(*repeated)), (b, side)


@pytest.fixture(scope="module")
def two_models():
    dataset, results = coco_synth.make_coco(21, n_images=10, crowd_rate=0.15)
    rng = np.random.default_rng(0)
    worse = [dict(r, score=round(r["score"] * float(rng.uniform(0.3, 1.0)), 3)) for r in results]
    return dataset, results, worse


def test_a_replicate_is_pycocotools_on_the_repeated_images(two_models):
    dataset, base, cand = two_models
    gt = _fastscore_coco(dataset)
    result = compare_detections(gt, copy.deepcopy(base), copy.deepcopy(cand), n_boot=100, seed=3)
    image_ids = sorted(img["id"] for img in dataset["images"])
    draws = np.random.Generator(np.random.PCG64(np.random.SeedSequence(3))).multinomial(
        len(image_ids), np.full(len(image_ids), 1 / len(image_ids)), size=100)
    for b in (0, 1, 7):
        _assert_replicate_is_pycocotools(result, b, dataset, (base, cand), draws[b], image_ids)
    # the reported values are pycocotools' own numbers
    assert [row.baseline for row in result.rows[:12]] == list(_pycocotools_stats(dataset, base))
    assert [row.candidate for row in result.rows[:12]] == list(_pycocotools_stats(dataset, cand))
    assert [r.metric for r in result.rows[:3]] == ["AP", "AP50", "AP75"] and result.rows[12].metric.startswith("AP[")


def test_replicates_without_ties_equal_the_repeated_images():
    dataset, base = coco_synth.make_coco(22, n_images=10, crowd_rate=0.15, score_decimals=12, exact_ties=False)
    rng = np.random.default_rng(1)
    cand = [dict(r, score=r["score"] * float(rng.uniform(0.3, 1.0))) for r in base]
    from fastscore.compare.detection import _Matched
    gt = _fastscore_coco(dataset)
    assert _Matched.from_coco(gt, copy.deepcopy(base), "bbox", None, None).plan("bbox", True).e_run.max() == 1  # no ties
    result = compare_detections(gt, copy.deepcopy(base), copy.deepcopy(cand), n_boot=100, seed=5, per_class=False)
    image_ids = sorted(img["id"] for img in dataset["images"])
    draws = np.random.Generator(np.random.PCG64(np.random.SeedSequence(5))).multinomial(
        len(image_ids), np.full(len(image_ids), 1 / len(image_ids)), size=100)
    for b in (0, 3, 9):
        _assert_replicate_is_pycocotools(result, b, dataset, (base, cand), draws[b], image_ids)


def test_identical_models_and_a_clear_regression(two_models):
    dataset, base, cand = two_models
    gt = _fastscore_coco(dataset)
    same = compare_detections(gt, copy.deepcopy(base), copy.deepcopy(base), n_boot=100, per_class=False)
    assert all(r.delta == 0 and r.p_value == 1 and r.verdict == "no significant change" for r in same.rows)
    empty = [dict(r, category_id=r["category_id"]) for r in base[:1]]
    with pytest.raises(ValueError, match="n_boot"):
        compare_detections(gt, copy.deepcopy(base), empty, n_boot=5)


def _replicates_three_ways(model, iou_type, per_class, counts):
    """The kernel, its Python twin and the repeated-images definition on the same draws."""
    import fastscore
    from fastscore.compare._reference import repeated_images_stats
    from fastscore.compare.detection import _REPLICATES

    plan = model.plan("keypoints" if iou_type == "keypoints" else "bbox", per_class)
    outs = []
    for backend in ("cython", "reference"):
        _, kernel = _REPLICATES.resolve(backend)
        out = np.empty((len(counts), plan.n_out))
        kernel(counts, *plan.arguments(), out)
        outs.append(out)
    outs.append(np.array([repeated_images_stats(model, c, iou_type, per_class) for c in counts]))
    return plan, outs


@pytest.mark.parametrize("case", ["ties", "subset", "segm", "keypoints"])
def test_replicate_kernel_equals_its_twin_and_the_repeated_images(two_models, case):
    from fastscore.compare.detection import _Matched

    dataset, base, _ = two_models
    iou_type, image_ids, category_ids = "bbox", None, None
    if case == "subset":  # pycocotools' imgIds / catIds
        image_ids = sorted(img["id"] for img in dataset["images"])[1:8]
        category_ids = sorted(c["id"] for c in dataset["categories"])[:3]
    if case in ("segm", "keypoints"):
        iou_type = case
        dataset, base = (instances_synth.make_segm if case == "segm" else instances_synth.make_keypoints)(5)
    model = _Matched.from_coco(_fastscore_coco(dataset), copy.deepcopy(base), iou_type, image_ids, category_ids)
    n_img = len(model.image_ids)
    counts = np.random.default_rng(4).multinomial(n_img, np.full(n_img, 1 / n_img), size=12).astype(np.int32)
    counts[0] = 0
    counts[0, 0] = n_img  # one image drawn every time
    plan, (kernel, twin, repeated) = _replicates_three_ways(model, iou_type, True, counts)
    if case == "ties":
        assert plan.e_run.max() > 1  # 3-decimal scores: tie blocks walked copy by copy
    np.testing.assert_array_equal(kernel, repeated)
    np.testing.assert_array_equal(twin, repeated)


def test_the_stats_are_the_gate_and_per_class_ap_its_own_family():
    import json

    from fastscore.compare import adjust_p_values
    from fastscore.datasets import coco_sample_paths

    gt_file, dt_file = coco_sample_paths()
    with open(dt_file) as f:
        worse = [d for i, d in enumerate(json.load(f)) if i % 3]  # a third of the detections lost
    result = compare_detections(gt_file, dt_file, worse, n_boot=1000, seed=1)
    n_stats = len(result.details["families"]["summary stats"])
    stats, classes = result.rows[:n_stats], result.rows[n_stats:]
    assert n_stats == 12 and len(classes) == len(result.details["families"]["per-class AP"]) > 12
    assert [r.p_adjusted for r in stats] == adjust_p_values([r.p_value for r in stats]).tolist()
    assert [r.p_adjusted for r in classes] == adjust_p_values([r.p_value for r in classes]).tolist()
    assert result["AP"].verdict == "regression" and result.exit_code == 1
    # 1,000 replicates cannot make any of the classes significant under Holm: said, not hidden
    assert len(result.notes) == 1 and result.notes[0].startswith("per-class AP") and "note: per-class" in result.summary()
    few = compare_detections(gt_file, dt_file, worse, n_boot=100, per_class=False)
    assert few.notes and few.notes[0].startswith("the summary stats") and few.exit_code == 0


def _columns(dataset, results):
    anns = dataset["annotations"]
    gt = {key: np.array([a[key] for a in anns]) for key in ("image_id", "category_id", "bbox", "area", "iscrowd", "id")}
    dt = {key: np.array([r[key] for r in results]) for key in ("image_id", "category_id", "bbox", "score")}
    return gt, dt


def _rows(comparison):
    return [tuple(np.nan_to_num(np.array([r.baseline, r.candidate, r.ci_low, r.ci_high, r.p_value, r.p_adjusted]),
                                nan=-99.0).tolist()) + (r.metric, r.verdict) for r in comparison.rows]


def test_shards_of_images_merge_to_the_one_call_comparison(two_models):
    import pickle

    import fastscore.dask
    from fastscore.compare.detection import DetectionComparison

    dataset, base, cand = two_models
    (gt, dt_base), (_, dt_cand) = _columns(dataset, base), _columns(dataset, cand)
    images = np.array(sorted(img["id"] for img in dataset["images"]))
    one_call = compare_detections(_fastscore_coco(dataset), copy.deepcopy(base), copy.deepcopy(cand), n_boot=200,
                                  seed=11)

    def shard(part):
        gi, bi, ci = (np.isin(t["image_id"], part) for t in (gt, dt_base, dt_cand))
        return ({k: v[gi] for k, v in gt.items()}, {k: v[bi] for k, v in dt_base.items()},
                {k: v[ci] for k, v in dt_cand.items()})

    parts = np.array_split(images, 3)
    cats = sorted(c["id"] for c in dataset["categories"])  # pycocotools' catIds: every category, some unseen
    states = [DetectionComparison(category_ids=cats).update(*shard(p), image_ids=p) for p in parts]
    merged = pickle.loads(pickle.dumps(states[2])).merge(states[0]).merge(states[1])  # any order, pickled
    names = {c["id"]: c["name"] for c in dataset["categories"]}
    ours = merged.compute(n_boot=200, seed=11, category_names=names)
    assert _rows(ours) == _rows(one_call)
    assert np.array_equal(ours.details["replicates"], one_call.details["replicates"], equal_nan=True)
    on_dask = fastscore.dask.accumulate_shards(DetectionComparison(category_ids=cats),
                                               [shard(p) for p in parts], scheduler="sync")
    assert _rows(on_dask.compute(n_boot=200, seed=11, category_names=names)) == _rows(one_call)
    with pytest.raises(ValueError, match="two shards"):
        states[0].copy().merge(states[0])
    with pytest.raises(ValueError, match="no images"):
        DetectionComparison().compute()


def test_dataset_dicts_and_columns_are_accepted(two_models):
    dataset, base, cand = two_models
    from_objects = compare_detections(_fastscore_coco(dataset), copy.deepcopy(base), copy.deepcopy(cand), n_boot=100)
    from_dict = compare_detections(copy.deepcopy(dataset), copy.deepcopy(base), copy.deepcopy(cand), n_boot=100)
    assert _rows(from_dict) == _rows(from_objects)
    (gt, dt_base), (_, dt_cand) = _columns(dataset, base), _columns(dataset, cand)
    images = sorted(img["id"] for img in dataset["images"])
    cats = sorted(c["id"] for c in dataset["categories"])
    columns = compare_detections(gt, dt_base, dt_cand, n_boot=100, image_ids=images, category_ids=cats)
    by_id = [(r[:-2], r[-1]) for r in _rows(columns)]
    assert by_id == [(r[:-2], r[-1]) for r in _rows(from_objects)]  # the same numbers, classes named by id


@pytest.mark.parametrize("resample, clustered", [("multinomial", True), ("poisson", False), ("poisson", True)])
def test_cluster_and_poisson_replicates_are_pycocotools_on_the_repeated_images(two_models, resample, clustered):
    dataset, base, cand = two_models
    image_ids = sorted(img["id"] for img in dataset["images"])
    cluster = {i: f"video-{k // 3}" for k, i in enumerate(image_ids)} if clustered else None  # 3 frames a video
    result = compare_detections(_fastscore_coco(dataset), copy.deepcopy(base), copy.deepcopy(cand), n_boot=100,
                                seed=6, per_class=False, resample=resample, cluster=cluster)
    unit = np.unique([cluster[i] for i in image_ids], return_inverse=True)[1] if clustered else np.arange(10)
    n_units = unit.max() + 1
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(6)))
    drawn = rng.multinomial(n_units, np.full(n_units, 1 / n_units), size=100) if resample == "multinomial" else \
        rng.poisson(1.0, (100, n_units))
    checked = 0
    for b in range(100):
        counts = drawn[b][unit]
        if counts.max() == 0 or checked == 3:
            continue
        _assert_replicate_is_pycocotools(result, b, dataset, (base, cand), counts, image_ids)
        checked += 1
    assert result.resample.startswith(resample)
    with pytest.raises(ValueError, match="no cluster"):
        compare_detections(_fastscore_coco(dataset), copy.deepcopy(base), copy.deepcopy(cand), n_boot=100,
                           cluster={image_ids[0]: 1})
    with pytest.raises(ValueError, match="resample"):
        compare_detections(_fastscore_coco(dataset), base, cand, resample="jackknife")
