"""fastscore compare: the table, the JSON, the exit codes CI jobs gate on."""
import json
import pathlib
import tempfile

import numpy as np
import pytest

from fastscore.cli import main
from fastscore.datasets import calibration_sample_path


def _write_csv(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n")


def test_scores_exit_codes_and_json(tmp_path, capsys):
    rng = np.random.default_rng(0)
    base = rng.random(400)
    np.save(tmp_path / "base.npy", base)
    np.save(tmp_path / "worse.npy", base - 0.05 + rng.normal(0, 0.02, 400))
    np.save(tmp_path / "same.npy", base + rng.normal(0, 0.02, 400))
    assert main(["compare", "scores", str(tmp_path / "base.npy"), str(tmp_path / "worse.npy"), "--n-boot", "999",
                 "--json", str(tmp_path / "out.json")]) == 1
    out = capsys.readouterr().out
    assert "regression" in out and "score" in out
    payload = json.loads((tmp_path / "out.json").read_text())
    assert payload["metrics"][0]["verdict"] == "regression" and payload["n_boot"] == 999
    assert main(["compare", "scores", str(tmp_path / "base.npy"), str(tmp_path / "same.npy"), "--n-boot", "999"]) == 0
    # an error, lower is better: the "worse" scores are now better
    assert main(["compare", "scores", str(tmp_path / "base.npy"), str(tmp_path / "worse.npy"), "--n-boot", "999",
                 "--lower-is-better"]) == 0
    assert main(["compare", "scores", str(tmp_path / "base.npy"), str(tmp_path / "worse.npy"), "--ci", "1.5"]) == 2
    assert "ci must be" in capsys.readouterr().err


def test_scores_from_csv_aligned_by_id(tmp_path, capsys):
    _write_csv(tmp_path / "a.csv", ["id", "acc", "loss"], [(f"q{i}", i % 2, 0.1 * i) for i in range(200)])
    shuffled = [(f"q{i}", i % 2, 0.1 * i) for i in reversed(range(200))]
    _write_csv(tmp_path / "b.csv", ["id", "acc", "loss"], shuffled)
    assert main(["compare", "scores", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--column", "acc",
                 "--id-column", "id", "--n-boot", "199"]) == 0
    assert "no significant change" in capsys.readouterr().out
    _write_csv(tmp_path / "c.csv", ["id", "acc", "loss"], [(f"x{i}", 1, 0.0) for i in range(200)])
    assert main(["compare", "scores", str(tmp_path / "a.csv"), str(tmp_path / "c.csv"), "--column", "acc",
                 "--id-column", "id"]) == 2
    assert "200 id(s) only in the baseline" in capsys.readouterr().err
    assert main(["compare", "scores", str(tmp_path / "a.csv"), str(tmp_path / "c.csv"), "--column", "acc",
                 "--id-column", "id", "--allow-missing", "drop"]) == 2  # nothing shared
    assert "empty" in capsys.readouterr().err
    assert main(["compare", "scores", str(tmp_path / "a.csv"), str(tmp_path / "c.csv"), "--column", "acc",
                 "--id-column", "id", "--allow-missing", "zero", "--n-boot", "199"]) in (0, 1)
    assert "score" in capsys.readouterr().out
    assert main(["compare", "scores", str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]) == 2
    assert "pick the score with --column" in capsys.readouterr().err


def test_calibration_on_the_bundled_digits(capsys):
    path = calibration_sample_path()
    code = main(["compare", "calibration", path, "--baseline", "logistic", "--candidate", "naive_bayes",
                 "--json", str(path_out := pathlib.Path(tempfile.mkdtemp()) / "c.json")])
    out = capsys.readouterr().out
    rows = {r["metric"]: r for r in json.loads(path_out.read_text())["metrics"]}
    # naive Bayes: a lower ECE (logistic regression is under-confident), but a worse Brier score
    assert rows["ece"]["verdict"] == "improvement" and rows["brier"]["delta"] > 0
    assert code == (1 if "regression: brier" in out else 0) and code == 1
    assert main(["compare", "calibration", path, "--baseline", "logistic", "--candidate", "svm"]) == 2
    assert "not ['svm']" in capsys.readouterr().err


def test_coco_comparison(tmp_path, capsys):
    from fastscore.datasets import coco_sample_paths

    gt_file, dt_file = coco_sample_paths()
    results = json.loads(pathlib.Path(dt_file).read_text())
    (tmp_path / "worse.json").write_text(json.dumps([d for i, d in enumerate(results) if i % 3]))
    code = main(["compare", "coco", gt_file, dt_file, str(tmp_path / "worse.json"), "--n-boot", "300",
                 "--no-per-class", "--json", str(tmp_path / "out.json")])
    rows = {r["metric"]: r for r in json.loads((tmp_path / "out.json").read_text())["metrics"]}
    assert list(rows)[:3] == ["AP", "AP50", "AP75"] and len(rows) == 12
    assert round(rows["AP"]["baseline"], 3) == 0.505 and rows["AP"]["delta"] < 0
    assert code == (1 if any(r["verdict"] == "regression" for r in rows.values()) else 0)
    assert main(["compare", "coco", gt_file, dt_file, dt_file, "--n-boot", "200", "--no-per-class"]) == 0
    assert main(["compare", "coco", gt_file, dt_file, str(tmp_path / "missing.json")]) == 2


@pytest.mark.parametrize("argv", [["compare"], ["compare", "vendi"]])
def test_unknown_kind(argv, capsys):
    with pytest.raises(SystemExit):
        main(argv)


def test_arena_comparison(tmp_path, capsys):
    rng = np.random.default_rng(0)
    strength = {"old": 0.0, "new": -0.4, "twin": 0.0}
    rows = []
    for _ in range(3000):
        a, b = rng.choice(list(strength), 2, replace=False)
        won = rng.random() < 1 / (1 + np.exp(-(strength[a] - strength[b])))
        rows.append(json.dumps({"model_a": a, "model_b": b, "winner": "model_a" if won else "model_b",
                                "conv_id": len(rows) // 4}))
    path = tmp_path / "battles.jsonl"
    path.write_text("\n".join(rows))
    assert main(["compare", "arena", str(path), "--baseline", "old", "--candidate", "new"]) == 1
    assert "regression" in capsys.readouterr().out
    assert main(["compare", "arena", str(path), "--baseline", "old", "--candidate", "twin", "--method", "analytic",
                 "--margin", "60"]) == 0
    assert "equivalent" in capsys.readouterr().out
    assert main(["compare", "arena", str(path), "--baseline", "old", "--candidate", "ghost"]) == 2
    assert "fought no battle" in capsys.readouterr().err
    # conversations of four battles redrawn whole
    assert main(["compare", "arena", str(path), "--baseline", "old", "--candidate", "new", "--cluster-column",
                 "conv_id", "--json", str(tmp_path / "out.json")]) == 1
    assert main(["compare", "arena", str(path), "--baseline", "old", "--candidate", "new", "--cluster-column",
                 "session"]) == 2
    assert "session" in capsys.readouterr().err


def test_the_readme_detection_example(tmp_path):
    from fastscore.datasets import coco_sample_paths
    from fastscore.datasets.synthetic import second_detector

    gt_file, dt_file = coco_sample_paths()
    candidate = second_detector(json.loads(pathlib.Path(dt_file).read_text()), box_noise=0.5)
    (tmp_path / "candidate.json").write_text(json.dumps(candidate))
    code = main(["compare", "coco", gt_file, dt_file, str(tmp_path / "candidate.json"), "--no-per-class",
                 "--margin", "0.01", "--json", str(tmp_path / "out.json")])
    rows = {r["metric"]: r for r in json.loads((tmp_path / "out.json").read_text())["metrics"]}
    assert code == 1
    assert rows["AP75"]["verdict"] == "regression" and rows["AP50"]["verdict"] == "no significant change"
