"""The result object's analyses, the `fastscore coco` command, and bad input."""
import json

import numpy as np
import pytest

from fastscore.cli import main
from fastscore.compat.pycocotools import COCO, COCOeval
from fastscore.datasets import coco_sample_paths
from fastscore.detection import evaluate_detections
from fastscore.detection.io import load_coco_ground_truth, load_coco_results


@pytest.fixture(scope="module")
def sample_result():
    gt_file, dt_file = coco_sample_paths()
    gt, images, categories = load_coco_ground_truth(gt_file)
    dt = load_coco_results(dt_file)
    result = evaluate_detections(gt, dt, image_ids=images, category_ids=sorted(categories))
    return result, gt, dt


def test_per_class_means_rebuild_the_summary(sample_result):
    result, _, _ = sample_result
    table = result.per_class()
    valid = ~np.isnan(table["AP"])
    # with as many recall thresholds per class, the mean of per-class AP is the overall AP
    assert np.isclose(np.mean(table["AP"][valid]), result.stats[0], rtol=0, atol=1e-12)
    assert np.isclose(np.mean(table["AP50"][valid]), result.stats[1], rtol=0, atol=1e-12)
    assert np.isclose(np.nanmean(table["AR"]), result.stats[8], rtol=0, atol=1e-12)
    assert table["n_gt"].sum() == 839 - 9  # crowd regions are not counted


def test_pr_curve_matches_precision_array(sample_result):
    result, _, _ = sample_result
    recall, precision = result.pr_curve(iou=0.5)
    assert recall.shape == (101,) and np.isclose(precision.mean(), result.stats[1], rtol=0, atol=1e-12)
    _, person = result.pr_curve(1, iou=0.75)
    assert np.array_equal(person, result.precision[5, :, 0, 0, 2])
    with pytest.raises(ValueError, match="not one of the evaluated IoU"):
        result.pr_curve(iou=0.52)
    with pytest.raises(ValueError, match="category_id"):
        result.pr_curve(12345)


def hand_counts(gt, dt, threshold):
    """TP/FP by COCO matching at IoU 0.5 recomputed one image and category at a time with box_iou."""
    from fastscore.detection import match_boxes

    tp = fp = 0
    keep = dt.score >= threshold
    for img in np.unique(dt.image_id):
        for cat in np.unique(dt.category_id[dt.image_id == img]):
            d = np.flatnonzero(keep & (dt.image_id == img) & (dt.category_id == cat))
            d = d[np.argsort(-dt.score[d], kind="stable")][:100]
            g = np.flatnonzero((gt.image_id == img) & (gt.category_id == cat))
            if not len(d):
                continue
            m = match_boxes(dt.bbox[d], gt.bbox[g], box_format="xywh", iscrowd=gt.iscrowd[g],
                            scores=dt.score[d])
            crowd_hit = np.isin(m.index2, np.flatnonzero(gt.iscrowd[g]))
            tp += int((~crowd_hit).sum())
            fp += len(d) - len(m.index1)
    return tp, fp


def test_precision_recall_f1_by_hand(sample_result):
    result, gt, dt = sample_result
    out = result.precision_recall_f1(0.5)
    tp, fp = hand_counts(gt, dt, 0.5)
    assert (out["tp"], out["fp"]) == (tp, fp)
    assert out["tp"] + out["fn"] == 830
    assert out["precision"] == tp / (tp + fp)
    best = result.best_f1()
    assert best["f1"] >= out["f1"]
    at_best = result.precision_recall_f1(best["score_threshold"])
    assert at_best["f1"] == best["f1"]


def test_cli_coco_summary_per_class_and_json(capsys):
    gt_file, dt_file = coco_sample_paths()
    assert main(["coco", gt_file, dt_file, "--per-class"]) == 0
    out = capsys.readouterr().out
    assert out.count("Average Precision") == 6 and out.count("Average Recall") == 6
    assert "person" in out and "toothbrush" in out
    assert main(["coco", gt_file, dt_file, "--json", "--per-class"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert round(payload["stats"]["AP"], 3) == 0.505
    assert len(payload["per_class"]) == 80


def test_cli_coco_segmentation_and_keypoints(tmp_path, capsys):
    gt_file, dt_file = coco_sample_paths("segm")
    assert main(["coco", gt_file, dt_file, "--iou-type", "segm", "--json", "--per-class"]) == 0
    payload = json.loads(capsys.readouterr().out)
    # the COCO API's printout for these files (results/val2014_fake_eval_res.txt of the COCO API)
    assert [round(payload["stats"][k], 3) for k in ("AP", "AP50", "AP75", "AR100")] == [0.320, 0.562, 0.299, 0.417]
    assert len(payload["per_class"]) == 80
    import importlib.util
    import pathlib

    spec = importlib.util.spec_from_file_location("instances_synth", pathlib.Path(__file__).with_name("instances_synth.py"))
    synth = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth)
    dataset, results = synth.make_keypoints(3)
    (tmp_path / "gt.json").write_text(json.dumps(dataset))
    (tmp_path / "dt.json").write_text(json.dumps(results))
    assert main(["coco", str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), "--iou-type", "keypoints"]) == 0
    out = capsys.readouterr().out
    assert out.count("Average Precision") == 5 and "maxDets= 20" in out and "area=medium" in out


def test_cli_coco_mismatched_files(tmp_path, capsys):
    gt_file, _ = coco_sample_paths()
    bad = tmp_path / "dt.json"
    bad.write_text(json.dumps([{"image_id": 999999999, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}]))
    assert main(["coco", gt_file, str(bad)]) == 2
    assert "not in" in capsys.readouterr().err


@pytest.mark.parametrize("text, message", [
    ("", "not valid JSON at line 1, column 1 (byte 0): expected a value"),
    ("[\n", "not valid JSON at line 2, column 1 (byte 2): expected a value"),
    ('[{"image_id": 1, "bbox": [0, 0, 1', "not valid JSON"),
    ('{"images": []}', "not laid out as a COCO file at line 1, column 1 (byte 0): a COCO results file"),
    ("[1, 2]", "not laid out as a COCO file at line 1, column 2 (byte 1): an element that is not"),
])
def test_cli_coco_refuses_broken_results_files(tmp_path, capsys, text, message):
    gt_file, _ = coco_sample_paths()
    bad = tmp_path / "dt.json"
    bad.write_text(text)
    assert main(["coco", gt_file, str(bad)]) == 2
    assert message in capsys.readouterr().err


def test_cli_coco_refuses_ground_truth_as_results_and_a_broken_ground_truth(tmp_path, capsys):
    gt_file, dt_file = coco_sample_paths()
    assert main(["coco", gt_file, gt_file]) == 2
    assert "a COCO results file must hold one JSON array" in capsys.readouterr().err
    bad = tmp_path / "gt.json"
    bad.write_text('{"images": 3}')
    assert main(["coco", str(bad), dt_file]) == 2
    assert "'images', 'annotations' and 'categories' must be JSON arrays" in capsys.readouterr().err


GT = {"image_id": [1, 1], "category_id": [1, 2], "bbox": [[0, 0, 10, 10], [5, 5, 10, 10]]}
DT = {"image_id": [1], "category_id": [1], "bbox": [[0, 0, 10, 10]], "score": [0.5]}


@pytest.mark.parametrize("field, value, error, match", [
    ("bbox", [[0, 0, -1, 10], [0, 0, 1, 1]], ValueError, "negative width"),
    ("bbox", [[0, 0, np.nan, 10], [0, 0, 1, 1]], ValueError, "NaN or infinite"),
    ("bbox", [[0, 0, 10], [0, 0, 1]], ValueError, r"shape \(n, 4\)"),
    ("image_id", [1.5, 1], ValueError, "integers"),
    ("category_id", ["a", "b"], TypeError, "integer ids"),
])
def test_bad_ground_truth(field, value, error, match):
    with pytest.raises(error, match=match):
        evaluate_detections({**GT, field: value}, DT)


def test_bad_detections_and_duplicates():
    with pytest.raises(ValueError, match="non-finite score"):
        evaluate_detections(GT, {**DT, "score": [np.inf]})
    with pytest.raises(ValueError, match="lacks the column"):
        evaluate_detections(GT, {k: v for k, v in DT.items() if k != "score"})
    with pytest.raises(ValueError, match="unique"):
        evaluate_detections({**GT, "id": [4, 4]}, DT)
    with pytest.warns(UserWarning, match="no ground truth"):
        evaluate_detections(GT, {**DT, "category_id": [7]})
    with pytest.raises(ValueError, match="maxDets"):
        evaluate_detections(GT, DT, max_detections=[0, 10])
    with pytest.raises(ValueError, match="area_labels"):
        evaluate_detections(GT, DT, area_ranges=[[0, 1e10]])


def test_empty_sets():
    empty_dt = {"image_id": [], "category_id": [], "bbox": np.zeros((0, 4)), "score": []}
    result = evaluate_detections(GT, empty_dt)
    assert result.stats[0] == 0.0 and result.stats[8] == 0.0
    empty_gt = {"image_id": [], "category_id": [], "bbox": np.zeros((0, 4))}
    result = evaluate_detections(empty_gt, DT, category_ids=[1])
    assert result.stats[0] == -1.0  # no ground truth anywhere: pycocotools' -1


def test_compat_rejects_bad_results_and_stray_images(capsys):
    gt_file, _ = coco_sample_paths()
    coco = COCO(gt_file)
    with pytest.raises(ValueError, match="iouType must be one of"):
        COCOeval(coco, coco, "mask")
    with pytest.raises(ValueError, match="do not correspond"):
        coco.loadRes([{"image_id": -5, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.3}])
    with pytest.warns(UserWarning, match="not in the ground truth"):
        coco.loadRes([{"image_id": 42, "category_id": 1000, "bbox": [0, 0, 1, 1], "score": 0.3}])
    with pytest.raises(ValueError, match="must be RLE dicts"):
        coco.loadRes([{"image_id": 42, "category_id": 1, "segmentation": [[0, 0, 1, 1]], "score": 0.3}])
    with pytest.raises(NotImplementedError, match="caption"):
        coco.loadRes([{"image_id": 42, "caption": "a dog"}])
    before = COCOeval(coco, coco, "bbox").evalImgs
    assert not before and isinstance(before, dict)  # before evaluate(), pycocotools' empty defaultdict
    assert len(coco.getImgIds()) == 100 and coco.loadCats(1)[0]["name"] == "person"
    assert len(coco.getAnnIds(imgIds=[42])) == len(coco.imgToAnns[42])


def test_compat_file_loading_is_columnar_with_lazy_dicts():
    gt_file, dt_file = coco_sample_paths()
    coco = COCO(gt_file)
    res = coco.loadRes(dt_file)
    with open(gt_file) as f:
        raw = json.load(f)
    assert coco.getImgIds() == list(dict.fromkeys(img["id"] for img in raw["images"]))
    assert coco.getCatIds() == [c["id"] for c in raw["categories"]]
    # all ids before the dicts are read (from the ids column), then after: pycocotools' list both times
    assert coco.getAnnIds() == [a["id"] for a in raw["annotations"]] and coco._dataset is None
    assert res.getAnnIds() == list(range(1, 735)) and res._dataset is None
    assert coco.dataset["annotations"][0] == raw["annotations"][0]  # read on first access
    assert coco.getAnnIds() == [a["id"] for a in raw["annotations"]]
    first = res.dataset["annotations"][0]
    assert first["id"] == 1 and first["area"] == first["bbox"][2] * first["bbox"][3] and first["iscrowd"] == 0
    assert len(res.getAnnIds()) == 734 and res.dataset["categories"] == raw["categories"]


def test_json_reader_exact_numbers(tmp_path):
    from fastscore.detection._json import results_columns

    values = [0.1, 1e-7, 123456789.123, 0.12345678901234567, 1.7976931348623157e308, -2.5e-3, 5e-324, 3,
              0.00012345678901234567, 0.0001, -0.0, 9007199254740993, 123456789012345678901234567890, 1.5e22, 0.5]
    rows = [{"image_id": i, "category_id": 1, "bbox": [v, 0, 1, 2], "score": v, "segmentation": [[1.5e-3, -2, 0.25]],
             "note": 'a "quoted" { string [\\'} for i, v in enumerate(values)]
    path = tmp_path / "dt.json"
    # as written by json.dumps, and as text other writers produce (leading zeros of a fraction, trailing zeros)
    text = json.dumps(rows, indent=1).replace('"score": 0.5', '"score": 0.50000000000000000000000')
    path.write_text(text.replace('"bbox": [0.0001,', '"bbox": [0.000100000,'))
    columns = results_columns(path)
    assert columns["score"].tolist() == [float(v) for v in values]
    assert columns["bbox"][:, 0].tolist() == [float(v) for v in values]
    assert str(columns["score"][10]) == "-0.0"
    bad = tmp_path / "bad.json"
    bad.write_text('[{"image_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5, "category_id": 1}')
    with pytest.raises(ValueError, match="not valid JSON"):
        results_columns(bad)


def brute_confusion(gt, dt, cats, iou, score_threshold):
    """Same-class COCO matching, then cross-class greedy matching of the leftovers, by plain loops."""
    from fastscore.detection import match_boxes

    k = len(cats)
    index = {c: i for i, c in enumerate(cats)}
    matrix = np.zeros((k + 1, k + 1), dtype=np.int64)
    for img in np.union1d(gt["image_id"], dt["image_id"]):
        g = np.flatnonzero(gt["image_id"] == img)
        d = np.flatnonzero((dt["image_id"] == img) & (dt["score"] >= score_threshold))
        left_g, left_d = set(g.tolist()), set(d.tolist())
        for c in cats:
            gc, dc = g[gt["category_id"][g] == c], d[dt["category_id"][d] == c]
            m = match_boxes(dt["bbox"][dc], gt["bbox"][gc], iou_threshold=iou, scores=dt["score"][dc], box_format="xywh")
            for i, j in zip(m.index1, m.index2):
                matrix[index[c], index[c]] += 1
                left_d.discard(int(dc[i]))
                left_g.discard(int(gc[j]))
        ld, lg = np.array(sorted(left_d), dtype=int), np.array(sorted(left_g), dtype=int)
        m = match_boxes(dt["bbox"][ld], gt["bbox"][lg], iou_threshold=iou, scores=dt["score"][ld], box_format="xywh")
        for i, j in zip(m.index1, m.index2):
            matrix[index[gt["category_id"][lg[j]]], index[dt["category_id"][ld[i]]]] += 1
        for i in m.unmatched1:
            matrix[k, index[dt["category_id"][ld[i]]]] += 1
        for j in m.unmatched2:
            matrix[index[gt["category_id"][lg[j]]], k] += 1
    return matrix


@pytest.mark.parametrize("iou, threshold", [(0.5, 0.0), (0.75, 0.3)])
def test_confusion_matrix_brute_force(iou, threshold):
    rng = np.random.default_rng(4)
    n_img, cats = 30, [2, 5, 9]
    gt = {"image_id": rng.integers(0, n_img, 150), "category_id": rng.choice(cats, 150),
          "bbox": np.column_stack([rng.uniform(0, 200, (150, 2)), rng.uniform(5, 60, (150, 2))])}
    src = rng.integers(0, 150, 400)
    noisy = gt["bbox"][src] + rng.normal(0, 4, (400, 4))
    noisy[:, 2:] = np.abs(noisy[:, 2:]) + 1
    dt = {"image_id": gt["image_id"][src], "category_id": np.where(rng.random(400) < 0.7, gt["category_id"][src],
                                                                    rng.choice(cats, 400)),
          "bbox": noisy, "score": rng.random(400)}
    result = evaluate_detections(gt, dt, category_ids=cats)
    out = result.confusion_matrix(iou=iou, score_threshold=threshold)
    assert out["labels"] == cats + ["background"]
    assert np.array_equal(out["matrix"], brute_confusion(gt, dt, cats, iou, threshold))
    # the diagonal is COCO's true positives; every kept detection and ground truth is counted once
    prf = result.precision_recall_f1(threshold, iou=iou)
    assert np.trace(out["matrix"][:-1, :-1]) >= prf["tp"]
    assert out["matrix"][:-1].sum() == 150 and out["matrix"][:, :-1].sum() == int((dt["score"] >= threshold).sum())


def test_confusion_matrix_by_hand_and_errors():
    gt = {"image_id": [1, 1], "category_id": [1, 2], "bbox": [[0, 0, 10, 10], [50, 50, 10, 10]]}
    dt = {"image_id": [1, 1, 1], "category_id": [1, 1, 2], "bbox": [[0, 0, 10, 10], [50, 50, 10, 10], [100, 100, 5, 5]],
          "score": [0.9, 0.8, 0.7]}
    out = evaluate_detections(gt, dt).confusion_matrix()
    # class 1 found; the second class-1 box sits on the class-2 object; the class-2 box is background
    assert out["matrix"].tolist() == [[1, 0, 0], [1, 0, 0], [0, 1, 0]]
    with pytest.raises(ValueError, match="use_categories"):
        evaluate_detections(gt, dt, use_categories=False, category_ids=[1, 2]).confusion_matrix()
