"""The fastscore command."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from fastscore.calibration import calibration_report
from fastscore.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_help():
    result = subprocess.run([sys.executable, "-m", "fastscore", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("info", "calibration", "demo"):
        assert command in result.stdout


def test_info(capsys):
    code, out, _ = run(capsys, "info")
    assert code == 0 and "numba" in out


@pytest.fixture
def files(tmp_path, multiclass_data, binary_data):
    y, p = multiclass_data
    yb, pb, _ = binary_data
    np.savez(tmp_path / "multi.npz", y_true=y, y_prob=p)
    np.save(tmp_path / "binary.npy", np.column_stack([yb, pb]))
    np.savetxt(tmp_path / "multi.csv", np.column_stack([y, p]), delimiter=",",
               header="y_true," + ",".join(f"p{k}" for k in range(p.shape[1])), comments="")
    np.savetxt(tmp_path / "binary.csv", np.column_stack([pb, yb]), delimiter=",", header="y_prob,y_true", comments="")
    return tmp_path


def test_calibration_files_agree_with_the_api(capsys, files, multiclass_data, binary_data):
    y, p = multiclass_data
    yb, pb, _ = binary_data
    expected_multi = calibration_report(y, p)
    expected_binary = calibration_report(yb, pb)
    for name, expected in (("multi.npz", expected_multi), ("multi.csv", expected_multi),
                           ("binary.npy", expected_binary), ("binary.csv", expected_binary)):
        code, out, _ = run(capsys, "calibration", str(files / name), "--json")
        assert code == 0
        report = json.loads(out)
        assert report["ece"] == pytest.approx(expected.ece, rel=1e-9), name
        assert report["mode"] == expected.mode


def test_calibration_text_and_options(capsys, files):
    code, out, _ = run(capsys, "calibration", str(files / "binary.npy"), "--n-bins", "5", "--closed", "right")
    assert code == 0
    assert "ECE" in out and "Balance" in out and "closed on the right" in out
    assert len([line for line in out.splitlines() if line.strip().startswith(("0 ", "1 ", "2 ", "3 ", "4 "))]) == 5
    code, out, _ = run(capsys, "calibration", str(files / "multi.npz"), "--mode", "classwise")
    assert code == 0 and "per-class ECE" in out


def test_calibration_errors(capsys, files):
    code, _, err = run(capsys, "calibration", str(files / "missing.npz"))
    assert code == 2 and "does not exist" in err
    np.savez(files / "bad.npz", labels=[0, 1], probs=[0.2, 0.7])
    code, _, err = run(capsys, "calibration", str(files / "bad.npz"))
    assert code == 2 and "--y-true" in err
    code, out, _ = run(capsys, "calibration", str(files / "bad.npz"), "--y-true", "labels", "--y-prob", "probs")
    assert code == 0
    np.savez(files / "nan.npz", y_true=[0, 1], y_prob=[0.2, np.nan])
    code, _, err = run(capsys, "calibration", str(files / "nan.npz"))
    assert code == 2 and "NaN at index 1" in err
    (files / "empty.csv").write_text("")
    code, _, err = run(capsys, "calibration", str(files / "empty.csv"))
    assert code == 2 and "is empty (no header line)" in err
    (files / "header.csv").write_text("y_true,y_prob\n")
    code, _, err = run(capsys, "calibration", str(files / "header.csv"))
    assert code == 2 and "has a header but no rows" in err
    (files / "x.txt").write_text("1,2\n")
    code, _, err = run(capsys, "calibration", str(files / "x.txt"))
    assert code == 2 and ".npz, .npy or .csv" in err


def test_demo_small(capsys):
    code, out, _ = run(capsys, "demo", "--size", "200000")
    assert code == 0
    assert "naive_bayes" in out and "same ECE: True" in out
    assert "GLUE leaderboard" in out and "Borda" in out
    assert "== comparison" in out and out.count("(bootstrap") == 2  # the calibration and the detection tables
    assert "brier    0.2721    0.3244" in out and "AP75" in out


def test_vendi_command(capsys, tmp_path):
    from fastscore.diversity import vendi_score

    X = np.random.default_rng(0).normal(size=(50, 6))
    np.save(tmp_path / "emb.npy", X)
    code, out, _ = run(capsys, "vendi", str(tmp_path / "emb.npy"), "--json")
    assert code == 0 and json.loads(out)["vendi_score"] == pytest.approx(vendi_score(X))
    code, out, _ = run(capsys, "vendi", str(tmp_path / "emb.npy"), "--kernel", "rbf", "--q", "inf")
    assert code == 0 and f"{vendi_score(X, kernel='rbf', q=np.inf):.6f}" in out
    np.save(tmp_path / "K.npy", np.eye(4) * 2)
    code, out, _ = run(capsys, "vendi", str(tmp_path / "K.npy"), "--K", "--normalize", "--q", "2")
    assert code == 0 and "4.000000" in out
    code, _, err = run(capsys, "vendi", str(tmp_path / "K.npy"), "--K")
    assert code == 2 and "normalize=True" in err


def test_calibration_plot(capsys, files):
    path = files / "diagram.png"
    code, out, _ = run(capsys, "calibration", str(files / "binary.npy"), "--plot", str(path))
    assert code == 0 and "reliability diagram written" in out
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_arena_command_jsonl_csv_parquet_and_json(tmp_path, capsys):
    rng = np.random.default_rng(0)
    battles = [{"model_a": a, "model_b": b, "winner": w} for a, b, w in zip(
        rng.choice(["x", "y", "z"], 300), rng.choice(["x", "y", "z"], 300), rng.choice(["model_a", "model_b", "tie"], 300))
        if a != b]
    jsonl = tmp_path / "battles.jsonl"
    jsonl.write_text("\n".join(json.dumps(row) for row in battles))
    csv_file = tmp_path / "battles.csv"
    csv_file.write_text("model_a,model_b,winner\n" + "\n".join(f"{r['model_a']},{r['model_b']},{r['winner']}"
                                                               for r in battles))
    array = tmp_path / "clean_battle.json"  # Arena's published dumps: one indented array of records
    array.write_text(json.dumps([dict(row, tstamp=1.0, judge="x") for row in battles], indent=1))
    parquet = tmp_path / "battles.parquet"
    pd.DataFrame(battles).assign(turn=1).to_parquet(parquet)  # an extra column, as Arena's dumps have
    from fastscore.ranking import bradley_terry

    expected = bradley_terry(*(np.array([r[c] for r in battles]) for c in ("model_a", "model_b", "winner")))
    for path in (jsonl, array, csv_file, parquet):
        assert main(["arena", str(path), "--json"]) == 0
        board = json.loads(capsys.readouterr().out)
        assert board["models"] == expected.models.tolist()
        np.testing.assert_allclose(board["rating"], expected.rating, rtol=0, atol=1e-9)
    assert main(["arena", str(jsonl), "--bootstrap", "20", "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "95% interval" in out and len(out.strip().splitlines()) == 3
    assert main(["arena", str(jsonl), "--elo"]) == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"model_a": "x", "model_b": "y"}\n')
    assert main(["arena", str(bad)]) == 2
    assert "winner" in capsys.readouterr().err
    bad.with_suffix(".json").write_text('[{"model_a": "x", "model_b": "y", "winner": "tie"}, 3]')
    assert main(["arena", str(bad.with_suffix(".json"))]) == 2
    assert "one object per battle" in capsys.readouterr().err
    pd.DataFrame(battles).drop(columns="winner").to_parquet(bad.with_suffix(".parquet"))
    assert main(["arena", str(bad.with_suffix(".parquet"))]) == 2
    assert "need the columns model_a, model_b and winner" in capsys.readouterr().err


def test_rank_command_on_glue(capsys):
    from importlib import resources

    from fastscore.datasets import load_glue
    from fastscore.ranking import aggregate_benchmark

    path = str(resources.files("fastscore.datasets").joinpath("glue.csv"))
    systems, tasks, scores, _ = load_glue()
    assert main(["rank", path, "--exclude", "Score", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tasks"] == tasks
    assert out["ranking"] == systems[aggregate_benchmark(scores).order].tolist()
    assert main(["rank", path, "--exclude", "Score", "--method", "mean", "--top", "3"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 4


def test_rank_command_errors(tmp_path, capsys):
    table = tmp_path / "scores.csv"
    table.write_text("system,team,task1\na,x,0.5\nb,y,0.7\n")
    assert main(["rank", str(table)]) == 2
    assert "--exclude" in capsys.readouterr().err
    assert main(["rank", str(table), "--exclude", "team", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ranking"] == ["b", "a"]
    assert main(["rank", str(table), "--exclude", "nope"]) == 2
