"""COCOeval with iouType "segm" and "keypoints" against pycocotools, bit for bit."""
import contextlib
import copy
import importlib.util
import io
import json
import pathlib
from collections import defaultdict

import numpy as np
import pytest
from pycocotools.coco import COCO as PyCOCO
from pycocotools.cocoeval import COCOeval as PyCOCOeval

from fastscore.compat.pycocotools import COCO, COCOeval
from fastscore.datasets import coco_sample_paths


def _load(name):
    spec = importlib.util.spec_from_file_location(name, pathlib.Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synth = _load("instances_synth")
assert_same_eval_imgs = _load("test_coco_parity").assert_same_eval_imgs


def _quiet(function, *args):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        value = function(*args)
    return value, out.getvalue()


def _coco(cls, dataset):
    def build():
        coco = cls()
        coco.dataset = copy.deepcopy(dataset)
        coco.createIndex()
        return coco
    return _quiet(build)[0]


def run(coco_cls, eval_cls, dataset, results, iou_type, **params):
    """evaluate + accumulate + summarize on copies of the data; (evaluator, printed text)."""
    def go():
        gt = _coco(coco_cls, dataset)
        dt = gt.loadRes(copy.deepcopy(results))
        ev = eval_cls(gt, dt, iou_type)
        for name, value in params.items():
            setattr(ev.params, name, value)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        return ev
    return _quiet(go)


def assert_identical(ours, theirs):
    for key in ("precision", "recall", "scores"):
        assert ours.eval[key].shape == theirs.eval[key].shape, key
        assert np.array_equal(ours.eval[key], theirs.eval[key]), key
    assert np.array_equal(np.asarray(ours.stats), np.asarray(theirs.stats))


def summary_lines(printed):
    return [line for line in printed.splitlines() if line.startswith(" Average")]


def test_coco_api_fake_segmentation_results_bit_identical():
    gt_file, _ = coco_sample_paths()
    dt_file = coco_sample_paths("segm")[1]
    printed = {}
    evals = {}
    for name, (coco_cls, eval_cls) in {"ours": (COCO, COCOeval), "theirs": (PyCOCO, PyCOCOeval)}.items():
        def go():
            gt = coco_cls(gt_file)
            ev = eval_cls(gt, gt.loadRes(dt_file), "segm")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
            return ev
        evals[name], printed[name] = _quiet(go)
    assert_identical(evals["ours"], evals["theirs"])
    assert summary_lines(printed["ours"]) == summary_lines(printed["theirs"])
    # the COCO API's own printout for this pair (results/val2014_fake_eval_res.txt): AP 0.320, AP50 0.562
    assert [round(float(v), 3) for v in evals["ours"].stats[:3]] == [0.320, 0.562, 0.299]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_segmentation_sets(seed):
    dataset, results = synth.make_segm(seed)
    ours, printed = run(COCO, COCOeval, dataset, results, "segm")
    theirs, printed_ref = run(PyCOCO, PyCOCOeval, dataset, results, "segm")
    assert_identical(ours, theirs)
    assert summary_lines(printed) == summary_lines(printed_ref)


@pytest.mark.parametrize("params", [
    {"useCats": 0},
    {"maxDets": [1, 5, 50]},
    {"iouThrs": np.array([0.0, 0.1, 0.5, 0.85])},  # a threshold of 0 matches pairs of IoU 0
    {"areaRng": [[0, 1e10], [0, 50], [50, 400], [400, 1e10]], "areaRngLbl": ["all", "small", "medium", "large"]},
])
def test_segmentation_parameters(params):
    dataset, results = synth.make_segm(7, crowd_rate=0.3)
    ours, _ = run(COCO, COCOeval, dataset, results, "segm", **params)
    theirs, _ = run(PyCOCO, PyCOCOeval, dataset, results, "segm", **params)
    assert_identical(ours, theirs)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_keypoint_sets(seed):
    dataset, results = synth.make_keypoints(seed)
    ours, printed = run(COCO, COCOeval, dataset, results, "keypoints")
    theirs, printed_ref = run(PyCOCO, PyCOCOeval, dataset, results, "keypoints")
    assert_identical(ours, theirs)
    assert len(ours.stats) == 10
    assert summary_lines(printed) == summary_lines(printed_ref)


@pytest.mark.parametrize("params", [
    {"useCats": 0},
    {"maxDets": [5]},
    {"iouThrs": np.array([0.3, 0.5, 0.9])},
    {"kpt_oks_sigmas": np.linspace(0.02, 0.2, 17)},
])
def test_keypoint_parameters(params):
    dataset, results = synth.make_keypoints(5, crowd_rate=0.3)
    ours, _ = run(COCO, COCOeval, dataset, results, "keypoints", **params)
    theirs, _ = run(PyCOCO, PyCOCOeval, dataset, results, "keypoints", **params)
    assert_identical(ours, theirs)


def test_keypoints_of_another_skeleton_with_its_own_sigmas():
    dataset, results = synth.make_keypoints(9, n_keypoints=5)
    sigmas = np.array([0.05, 0.1, 0.07, 0.2, 0.12])
    ours, _ = run(COCO, COCOeval, dataset, results, "keypoints", kpt_oks_sigmas=sigmas)
    theirs, _ = run(PyCOCO, PyCOCOeval, dataset, results, "keypoints", kpt_oks_sigmas=sigmas)
    assert_identical(ours, theirs)


@pytest.mark.parametrize("iou_type, make", [("segm", synth.make_segm), ("keypoints", synth.make_keypoints)])
def test_eval_imgs_and_ious_equal_pycocotools(iou_type, make):
    dataset, results = make(4)
    ours, _ = run(COCO, COCOeval, dataset, results, iou_type)
    theirs, _ = run(PyCOCO, PyCOCOeval, dataset, results, iou_type)
    assert_same_eval_imgs(ours.evalImgs, theirs.evalImgs)
    assert set(ours.ious) == set(theirs.ious)
    for key, value in theirs.ious.items():
        assert np.array_equal(np.asarray(ours.ious[key]), np.asarray(value)), key
    assert set(ours._gts) >= {k for k, v in theirs._gts.items() if v}


class _OptPattern:
    """detectron2's / YOLOX's COCOeval_opt.evaluate(): pycocotools' own steps, called one by one."""

    def evaluate(self):
        p = self.params
        p.imgIds = list(np.unique(p.imgIds))
        if p.useCats:
            p.catIds = list(np.unique(p.catIds))
        p.maxDets = sorted(p.maxDets)
        self.params = p
        self._prepare()
        cat_ids = p.catIds if p.useCats else [-1]
        compute = self.computeIoU if p.iouType in ("segm", "bbox") else self.computeOks
        self.ious = {(i, c): compute(i, c) for i in p.imgIds for c in cat_ids}
        self.evalImgs = [self.evaluateImg(i, c, a, p.maxDets[-1]) for c in cat_ids for a in p.areaRng
                         for i in p.imgIds]
        self._paramsEval = copy.deepcopy(self.params)


class OptOurs(_OptPattern, COCOeval):
    pass


class OptTheirs(_OptPattern, PyCOCOeval):
    pass


@pytest.mark.parametrize("iou_type, make", [("segm", synth.make_segm), ("keypoints", synth.make_keypoints),
                                            ("bbox", synth.make_segm)])
def test_subclass_that_overrides_evaluate(iou_type, make):
    dataset, results = make(6)
    if iou_type == "bbox":
        results = [dict(r, bbox=[1.0 + i % 7, 2.0, 10.0 + i % 5, 8.0]) for i, r in enumerate(results)]
    ours, _ = run(COCO, OptOurs, dataset, results, iou_type)
    theirs, _ = run(PyCOCO, OptTheirs, dataset, results, iou_type)
    reference, _ = run(PyCOCO, PyCOCOeval, dataset, results, iou_type)
    assert_identical(ours, theirs)
    assert_identical(ours, reference)
    # the per-(image, category) state the subclass read is pycocotools'
    assert isinstance(ours._gts, defaultdict) and ours._gts.keys() == theirs._gts.keys()


def test_results_with_box_and_mask_take_the_box_branch():
    dataset, results = synth.make_segm(8)
    boxed = [dict(r, bbox=[float(i % 9), float(i % 4), 12.5, 7.25]) for i, r in enumerate(results)]
    ours, _ = run(COCO, COCOeval, dataset, boxed, "segm")
    theirs, _ = run(PyCOCO, PyCOCOeval, dataset, boxed, "segm")
    assert_identical(ours, theirs)  # the box's area decides the area ranges, as in pycocotools
    assert ours.cocoDt.loadAnns([1])[0]["area"] == 12.5 * 7.25


@pytest.mark.parametrize("iou_type, make", [("segm", synth.make_segm), ("keypoints", synth.make_keypoints)])
def test_files_equal_pycocotools(tmp_path, iou_type, make):
    dataset, results = make(10)
    gt_file, dt_file = tmp_path / "gt.json", tmp_path / "dt.json"
    gt_file.write_text(json.dumps(dataset))
    dt_file.write_text(json.dumps(results))
    evals = {}
    for name, (coco_cls, eval_cls) in {"ours": (COCO, COCOeval), "theirs": (PyCOCO, PyCOCOeval)}.items():
        def go():
            gt = coco_cls(str(gt_file))
            ev = eval_cls(gt, gt.loadRes(str(dt_file)), iou_type)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
            return ev
        evals[name] = _quiet(go)[0]
    assert_identical(evals["ours"], evals["theirs"])


def test_ann_to_rle_and_mask_equal_pycocotools():
    dataset, _ = synth.make_segm(11)
    ours, theirs = _coco(COCO, dataset), _coco(PyCOCO, dataset)
    kinds = set()
    for ann in dataset["annotations"]:
        a, b = ours.annToRLE(copy.deepcopy(ann)), theirs.annToRLE(copy.deepcopy(ann))
        kinds.add(type(ann["segmentation"]).__name__ + ("-list" if isinstance(ann["segmentation"], dict)
                                                         and isinstance(ann["segmentation"]["counts"], list) else ""))
        assert a["size"] == b["size"]
        assert (a["counts"].encode() if isinstance(a["counts"], str) else a["counts"]) == \
            (b["counts"].encode() if isinstance(b["counts"], str) else b["counts"])
        assert np.array_equal(ours.annToMask(copy.deepcopy(ann)), theirs.annToMask(copy.deepcopy(ann)))
    assert kinds == {"list", "dict", "dict-list"}  # polygons, compressed and uncompressed RLE


def _bad(dataset, results, iou_type, match, **params):
    def go():
        gt = _coco(COCO, dataset)
        ev = COCOeval(gt, gt.loadRes(copy.deepcopy(results)), iou_type)
        for name, value in params.items():
            setattr(ev.params, name, value)
        ev.evaluate()
    with pytest.raises(ValueError, match=match):
        _quiet(go)


def test_bad_segmentations_are_named():
    dataset, results = synth.make_segm(12)
    polygon_ann = next(a for a in dataset["annotations"] if isinstance(a["segmentation"], list))
    for bad, match in (([[0, 0, 5, 5], [1, 2, 3]], "every part must be a box"), ([[0, 0, 5, 5, 3]], "odd number"),
                       ([[0, 0, 5, 5, float("nan"), 2]], "NaN"), ([[0, 0, 1e12, 5, 3, 3]], "beyond"),
                       ([[0, 0, 5, 0, 5, 5], [1, 1, 2, 2]], "at least 3 points"), ([], "empty list")):
        broken = copy.deepcopy(dataset)
        target = next(a for a in broken["annotations"] if a["id"] == polygon_ann["id"])
        target["segmentation"] = bad
        _bad(broken, results, "segm", rf"(?s)id {polygon_ann['id']}.*{match}|{match}.*id {polygon_ann['id']}")
    wrong_size = copy.deepcopy(dataset)
    target = next(a for a in wrong_size["annotations"] if a["id"] == polygon_ann["id"])
    target["segmentation"] = {"size": [7, 7], "counts": [49]}
    _bad(wrong_size, results, "segm", "its image is")
    too_long = copy.deepcopy(results)
    h, w = too_long[0]["segmentation"]["size"]
    too_long[0]["segmentation"] = {"size": [h, w], "counts": [h * w, 5]}
    with pytest.raises(ValueError, match="Invalid RLE"):
        _quiet(lambda: _coco(COCO, dataset).loadRes(too_long))


def test_bad_keypoints_are_named():
    dataset, results = synth.make_keypoints(13)
    short = copy.deepcopy(dataset)
    short["annotations"][3]["keypoints"] = short["annotations"][3]["keypoints"][:-1]
    _bad(short, results, "keypoints", "3 per keypoint")
    _bad(dataset, results, "keypoints", "17 sigmas|sigmas", kpt_oks_sigmas=np.full(5, 0.1))
    nan = copy.deepcopy(results)
    nan[2]["keypoints"][4] = float("nan")
    with pytest.raises(ValueError, match="result 2: keypoints has a NaN"):
        _quiet(lambda: _coco(COCO, dataset).loadRes(nan))
    no_count = copy.deepcopy(dataset)
    del no_count["annotations"][0]["num_keypoints"]
    _bad(no_count, results, "keypoints", "num_keypoints")


@pytest.mark.parametrize("iou_type, make", [("segm", synth.make_segm), ("keypoints", synth.make_keypoints)])
def test_reference_kernels_and_one_thread_give_the_same_numbers(iou_type, make, monkeypatch):
    import fastscore

    dataset, results = make(14, n_images=6)
    compiled, _ = run(COCO, COCOeval, dataset, results, iou_type)
    with fastscore.config(backend="reference"):
        reference, _ = run(COCO, COCOeval, dataset, results, iou_type)
    monkeypatch.setenv("FASTSCORE_NUM_THREADS", "1")
    single, _ = run(COCO, COCOeval, dataset, results, iou_type)
    assert_identical(reference, compiled)
    assert_identical(single, compiled)


# --------------------------------------------------------------------------- the columnar API

def _columns(dataset, results, iou_type):
    anns = dataset["annotations"]
    fields = ["image_id", "category_id", "bbox", "area", "iscrowd", "id"]
    fields += ["segmentation"] if iou_type == "segm" else ["keypoints", "num_keypoints"]
    gt = {key: [a[key] for a in anns] for key in fields}
    dt = {key: [r[key] for r in results] for key in ("image_id", "category_id", "score",
                                                     "segmentation" if iou_type == "segm" else "keypoints")}
    return gt, dt


@pytest.mark.parametrize("iou_type, make", [("segm", synth.make_segm), ("keypoints", synth.make_keypoints)])
def test_columnar_api_equals_pycocotools(iou_type, make):
    from fastscore.detection import evaluate_detections

    dataset, results = make(15)
    theirs, _ = run(PyCOCO, PyCOCOeval, dataset, results, iou_type)
    gt, dt = _columns(dataset, results, iou_type)
    sizes = {img["id"]: (img["height"], img["width"]) for img in dataset["images"]}
    result = evaluate_detections(gt, dt, iou_type=iou_type, image_sizes=sizes,
                                 image_ids=[img["id"] for img in dataset["images"]],
                                 category_ids=[c["id"] for c in dataset["categories"]])
    for key in ("precision", "recall", "scores"):
        assert np.array_equal(getattr(result, key), theirs.eval[key]), key
    assert np.array_equal(result.stats, theirs.stats)
    assert len(result.to_dict()) == len(theirs.stats)
    assert result.summary().splitlines()[0].startswith(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all")


@pytest.mark.parametrize("iou_type, make", [("segm", synth.make_segm), ("keypoints", synth.make_keypoints)])
def test_accumulator_shards_equal_one_call(iou_type, make):
    from fastscore.detection import CocoAccumulator, evaluate_detections

    dataset, results = make(16)
    gt, dt = _columns(dataset, results, iou_type)
    sizes = {img["id"]: (img["height"], img["width"]) for img in dataset["images"]}
    cats = [c["id"] for c in dataset["categories"]]
    images = [img["id"] for img in dataset["images"]]
    whole = evaluate_detections(gt, dt, iou_type=iou_type, image_sizes=sizes, image_ids=images, category_ids=cats)
    shards = [images[:4], images[4:7], images[7:]]
    accumulators = []
    for shard in shards:
        keep_gt = [i for i, v in enumerate(gt["image_id"]) if v in shard]
        keep_dt = [i for i, v in enumerate(dt["image_id"]) if v in shard]
        acc = CocoAccumulator(category_ids=cats, iou_type=iou_type, image_sizes=sizes)
        acc.update({k: [v[i] for i in keep_gt] for k, v in gt.items()}, {k: [v[i] for i in keep_dt] for k, v in dt.items()},
                   image_ids=shard)
        accumulators.append(acc)
    merged = accumulators[0].merge(accumulators[1]).merge(accumulators[2]).compute()
    assert np.array_equal(merged.precision, whole.precision) and np.array_equal(merged.stats, whole.stats)


def test_columnar_bad_inputs():
    from fastscore.detection import evaluate_detections

    dataset, results = synth.make_segm(17)
    gt, dt = _columns(dataset, results, "segm")
    with pytest.raises(ValueError, match="image_sizes"):
        evaluate_detections(gt, dt, iou_type="segm")  # polygons without their image size
    with pytest.raises(ValueError, match="iou_type must be one of"):
        evaluate_detections(gt, dt, iou_type="mask")
    sizes = {img["id"]: (img["height"] + 1, img["width"]) for img in dataset["images"]}
    rle_gt = dict(gt, segmentation=[s if isinstance(s, dict) else {"size": [1, 1], "counts": [1]}
                                    for s in gt["segmentation"]])
    with pytest.raises(ValueError, match="encode masks at their image's size"):
        evaluate_detections(rle_gt, dt, iou_type="segm", image_sizes=sizes)
    kp_dataset, kp_results = synth.make_keypoints(17)
    kgt, kdt = _columns(kp_dataset, kp_results, "keypoints")
    with pytest.raises(ValueError, match="for the 5 sigmas"):
        evaluate_detections(kgt, kdt, iou_type="keypoints", kpt_oks_sigmas=np.full(5, 0.1))


def test_file_values_read_from_spans_equal_the_dict_path(tmp_path):
    """Polygons, RLE strings with escaped backslashes, uncompressed crowds, numbers the compiled
    conversion leaves to Python (subnormal, 25 digits), keys in any order, repeated keys: the
    values read from a file's byte spans equal those of its dicts."""
    dataset, results = synth.make_segm(18)
    assert any("\\" in r["segmentation"]["counts"] for r in results)  # COCO's alphabet holds the backslash
    polygon_anns = [a for a in dataset["annotations"] if isinstance(a["segmentation"], list)]
    polygon_anns[0]["segmentation"][0][0] = 5e-324  # subnormal: converted by float()
    polygon_anns[1]["segmentation"][0][1] = 12.3456789012345678901234567
    text = json.dumps(dataset)
    text = text.replace('"segmentation": {"size"', '"segmentation": {"extra": [1, {"a": 2}], "size"', 1)
    (tmp_path / "gt.json").write_text(text)
    results[0] = {"score": results[0]["score"], "segmentation": {"counts": results[0]["segmentation"]["counts"],
                  "size": results[0]["segmentation"]["size"]}, "category_id": results[0]["category_id"],
                  "image_id": results[0]["image_id"]}
    (tmp_path / "dt.json").write_text(json.dumps(results).replace('"score"', '"score": 0.0, "score"', 1))
    from_file = _quiet(lambda: COCO(str(tmp_path / "gt.json")))[0]
    res = _quiet(lambda: from_file.loadRes(str(tmp_path / "dt.json")))[0]
    masks_from_spans = from_file._mask_columns("gt")
    dt_from_spans = res._mask_columns("dt")
    from_dicts = _coco(COCO, json.loads(text))
    assert from_file._dataset is None and res._dataset is None  # no dicts were built
    for mine, ref in ((masks_from_spans, from_dicts._mask_columns("gt")),
                      (dt_from_spans, MaskColumns_of_dicts(results))):
        assert np.array_equal(mine.rles.counts, ref.rles.counts) and np.array_equal(mine.rles.starts, ref.rles.starts)
        assert np.array_equal(mine.boxes, ref.boxes) and np.array_equal(mine.areas, ref.areas)
    ours = _quiet(lambda: _evaluate(COCOeval, from_file, res, "segm"))[0]
    gt_ref = _quiet(lambda: PyCOCO(str(tmp_path / "gt.json")))[0]
    theirs = _quiet(lambda: _evaluate(PyCOCOeval, gt_ref, gt_ref.loadRes(str(tmp_path / "dt.json")), "segm"))[0]
    assert_identical(ours, theirs)


def MaskColumns_of_dicts(results):
    from fastscore.detection.segmentation import MaskColumns, result_rles

    return MaskColumns.of(result_rles([r["segmentation"] for r in results]))


def _evaluate(eval_cls, gt, dt, iou_type):
    ev = eval_cls(gt, dt, iou_type)
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    return ev


def test_keypoint_files_with_unusual_numbers(tmp_path):
    dataset, results = synth.make_keypoints(19)
    results[0]["keypoints"][0] = 1e-310
    results[1]["keypoints"][3] = 123.45678901234567890123
    dataset["annotations"][1]["keypoints"][0] = 7.0  # a float among ints
    (tmp_path / "gt.json").write_text(json.dumps(dataset))
    (tmp_path / "dt.json").write_text(json.dumps(results))
    gt = _quiet(lambda: COCO(str(tmp_path / "gt.json")))[0]
    res = _quiet(lambda: gt.loadRes(str(tmp_path / "dt.json")))[0]
    ours = _quiet(lambda: _evaluate(COCOeval, gt, res, "keypoints"))[0]
    assert gt._dataset is None and res._dataset is None
    assert np.array_equal(res._keypoint_columns("dt")[0], np.array([r["keypoints"] for r in results]))
    gt_ref = _quiet(lambda: PyCOCO(str(tmp_path / "gt.json")))[0]
    theirs = _quiet(lambda: _evaluate(PyCOCOeval, gt_ref, gt_ref.loadRes(str(tmp_path / "dt.json")), "keypoints"))[0]
    assert_identical(ours, theirs)


@pytest.mark.parametrize("bad, match", [([[0, 0, 5, 0, float("nan"), 5]], "NaN"), ([], "empty list"),
                                        ([[0, 0, 5, 0, 5]], "odd number"), ([[0, 0, 1e12, 0, 5, 5]], "beyond")])
def test_bad_polygons_in_files_are_named(tmp_path, bad, match):
    dataset, results = synth.make_segm(20)
    target = next(a for a in dataset["annotations"] if isinstance(a["segmentation"], list))
    target["segmentation"] = bad
    (tmp_path / "gt.json").write_text(json.dumps(dataset))
    (tmp_path / "dt.json").write_text(json.dumps(results))
    gt = _quiet(lambda: COCO(str(tmp_path / "gt.json")))[0]
    res = _quiet(lambda: gt.loadRes(str(tmp_path / "dt.json")))[0]
    with pytest.raises(ValueError, match=rf"(?s)id {target['id']}\b.*{match}"):
        _quiet(lambda: _evaluate(COCOeval, gt, res, "segm"))


def test_overlong_rle_in_a_results_file(tmp_path):
    dataset, results = synth.make_segm(21)
    h, w = results[3]["segmentation"]["size"]
    results[3]["segmentation"]["counts"] = _as_string([h * w, 4])
    (tmp_path / "dt.json").write_text(json.dumps(results))
    gt = _coco(COCO, dataset)
    with pytest.raises(ValueError, match=r"Invalid RLE.*results\[3\]"):
        _quiet(lambda: gt.loadRes(str(tmp_path / "dt.json")))


def _as_string(runs):
    from fastscore.detection import masks

    rles = masks.Rles(np.array(runs, np.uint32), np.array([0, len(runs)]), np.array([1]), np.array([1]))
    return masks.to_dicts(rles)[0]["counts"].decode()
