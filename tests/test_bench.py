"""`fastscore bench`: every case runs against its anchor (all installed by the test extra) and agrees;
the regression gate compares ratios. No timing assertions: timings are only reported."""
import json

import numpy as np
import pytest

from fastscore import bench
from fastscore.cli import main


@pytest.fixture(scope="module")
def quick_rows():
    return bench.run(mode="quick", repeats=1)


def test_every_case_runs_against_an_installed_anchor_and_agrees(quick_rows):
    assert {r.family for r in quick_rows} == set(bench.FAMILIES)
    # every anchor of the test extra runs here (those of the bench extra may be listed as skipped)
    in_test_extra = {(case.kernel, anchor.name) for make in bench.FAMILIES.values() for case in make()
                     for anchor in case.anchors if anchor.extra == "test"}
    assert len(in_test_extra) >= 10
    ran = {(r.kernel, r.anchor) for r in quick_rows if r.skipped is None}
    assert in_test_extra <= ran, in_test_extra - ran
    assert all("pip install" in r.skipped for r in quick_rows if r.skipped)
    anchored = [r for r in quick_rows if r.anchor is not None and r.skipped is None]
    assert all(r.agreed for r in anchored), [(r.kernel, r.anchor) for r in anchored if not r.agreed]
    assert all(r.ratio > 0 for r in anchored) and all(r.fastscore_s > 0 for r in quick_rows)
    assert any(r.anchor is None for r in quick_rows)  # kernels without an installable anchor are timed too
    table = bench.format_table(quick_rows, markdown=True)
    assert table.count("\n") == len(quick_rows) + 1 and table.startswith("| family")


def test_regression_gate(tmp_path, quick_rows):
    path = tmp_path / "base.json"
    bench.save(quick_rows, path)
    assert bench.compare(quick_rows, path, 0.15) == []  # the same run: no regression
    data = json.loads(path.read_text())
    for row in data["rows"]:
        if row["ratio"] is None:
            row["fastscore_s"] /= 2.0  # no anchor: a baseline twice as fast as now
        else:
            row["ratio"] *= 2.0  # a baseline twice as fast relative to the anchors
    path.write_text(json.dumps(data))
    problems = bench.compare(quick_rows, path, 0.15)
    assert len(problems) == len([r for r in quick_rows if r.skipped is None]) and any("worse" in p for p in problems) and any("slower" in p for p in problems)
    broken = [bench.Row(**{**vars(quick_rows[0]), "agreed": False})]
    assert "no longer give the same numbers" in bench.compare(broken, path, 0.15)[0]
    assert bench.parse_fraction("15%") == 0.15 and bench.parse_fraction("0.2") == 0.2
    with pytest.raises(ValueError, match="max-regression"):
        bench.parse_fraction("150%")


def test_cli_bench_json_and_compare(tmp_path, capsys):
    out = tmp_path / "run.json"
    assert main(["bench", "--quick", "--family", "calibration", "--json", str(out)]) == 0
    assert "relplot.smECE" in capsys.readouterr().out
    data = json.loads(out.read_text())
    for row in data["rows"]:
        if row["ratio"] is not None:
            row["ratio"] *= 100.0
    out.write_text(json.dumps(data))
    assert main(["bench", "--family", "calibration", "--compare", str(out)]) == 1
    assert "REGRESSION" in capsys.readouterr().err


def test_memory_probe_and_plot(tmp_path, quick_rows):
    # a fresh process per call; the IoU of 300 x 300 boxes needs at least its 0.7 MB result, within reason
    family = "detection"
    index = [case.kernel for case in bench.FAMILIES[family]()].index("box IoU matrix (xywh)")
    megabytes = bench.peak_memory(family, index, -1, "quick")
    assert 0.0 <= megabytes < 200.0
    path = tmp_path / "speed.png"
    entries = [{"kernel": "k", "anchor": None, "sizes": [10, 100], "seconds": [0.001, 0.01], "slope": 1.0},
               {"kernel": "k", "anchor": "a", "sizes": [10], "seconds": [0.1], "slope": None}]
    bench.plot(quick_rows, entries, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scaling_reports_slopes_per_item_factors_and_anchor_curves(monkeypatch, capsys):
    def cases():
        sizes = {"quick": 8, "full": 8, "scaling": [1000, 4000, 16000], "scaling_full": [1000, 4000, 16000, 64000]}
        anchor = bench.Anchor("mergesort", "numpy", "numpy", lambda x: np.sort(x, kind="stable"), bench._equal)
        return [bench.Case("ranking", "sort", sizes, lambda n: np.random.default_rng(0).random(n), np.sort, [anchor]),
                bench.Case("ranking", "subsets", {**sizes, "scaling": [8, 10, 12], "scaling_full": [8, 10, 12, 14]},
                           lambda m: np.arange(2 ** m), np.cumsum, complexity="2^m")]
    monkeypatch.setattr(bench, "FAMILIES", {"ranking": cases})
    quick, full = bench.scaling(["ranking"]), bench.scaling(["ranking"], mode="full")
    assert [(e["kernel"], e["anchor"], e["sizes"]) for e in quick] == [
        ("sort", None, [1000, 4000, 16000]), ("sort", "mergesort", [1000, 4000, 16000]), ("subsets", None, [8, 10, 12])]
    assert full[0]["sizes"] == [1000, 4000, 16000, 64000]
    assert all(np.isfinite(e["slope"]) and np.isfinite(e["tail_slope"]) for e in quick + full)
    assert quick[2]["slope"] > 0 and quick[2]["claimed"] == "2^m"  # a time factor per item, not a log-log slope
    # an anchor predicted to exceed the time budget stops; one size gives no slope
    stopped = bench.scaling(["ranking"], budget=0.0)[1]
    assert stopped["anchor"] == "mergesort" and stopped["sizes"] == [1000] and stopped["slope"] is None
    assert main(["bench", "--scaling", "--family", "ranking"]) == 0
    out = capsys.readouterr().out
    assert "log-log slope" in out and "time factor per item" in out and "claimed O(2^m)" in out and "vs mergesort" in out


def test_cold_mode_times_fresh_processes_with_an_empty_jit_cache(capsys):
    # one cheap case: the import of each library plus its first call, each in its own process
    index = [case.kernel for case in bench.FAMILIES["detection"]()].index("box IoU matrix (xywh)")
    ours, theirs = bench.cold_time("detection", index, -1), bench.cold_time("detection", index, 0)
    assert 0.0 < ours < 60.0 and 0.0 < theirs < 60.0
    rows = [bench.Row("detection", "box IoU matrix (xywh)", 300, 0.001, 0.002, "pycocotools.mask.iou", 0.003, 3.0, True,
                      cold_s=ours, anchor_cold_s=theirs)]
    table = bench.format_table(rows, markdown=True)
    assert "cold: fastscore" in table and table.splitlines()[-1].rstrip(" |").endswith("x")


def test_full_sizes_are_those_the_help_and_docstring_state():
    """`fastscore bench --help` says what --full means; the cases' sizes must match it."""
    from fastscore.cli import build_parser

    bench_parser = build_parser()._subparsers._group_actions[0].choices["bench"]
    text = " ".join(bench_parser.format_help().split())
    sizes = {case.kernel: case.sizes["full"] for make in bench.FAMILIES.values() for case in make()}
    assert sizes["binned ECE report (binary)"] == 10 ** 7 and "10^7 predictions (binned report)" in text
    assert sizes["smooth ECE"] == sizes["adaptive ECE + KS + MMCE (one sort)"] == 10 ** 6 and "10^6 (smooth ECE" in text
    assert sizes["KDE-ECE (no installable anchor)"] == 10 ** 5 and "10^5 (KDE-ECE)" in text
    assert sizes["cosine Vendi score (d = 64, dual path)"] == 4000 and "4,000 Vendi samples" in text
    assert sizes["exact Kemeny, m items (no installable anchor)"] == 20 and "Kemeny m = 20" in text
    coco = [v for k, v in sizes.items() if k.startswith("COCO")]
    assert sorted(set(coco)) == [2000, 5000] and "2,000 and 5,000 COCO images" in text
    assert "10^7 predictions for the binned" in bench.FULL_SIZES


def test_regression_gate_measures_a_flagged_kernel_twice(tmp_path, quick_rows, monkeypatch):
    row = next(r for r in quick_rows if r.family == "calibration" and r.ratio is not None)
    path = tmp_path / "base.json"
    data = {"rows": [{**vars(row), "ratio": row.ratio * 100.0}]}  # a baseline no run can reach
    path.write_text(json.dumps(data))
    # measured again for real: still 100x short, so it fails and says it was measured twice
    problems = bench.confirmed_regressions([row], path, 0.15, mode="quick")
    assert len(problems) == 1 and problems[0].endswith("(measured twice)") and row.kernel in problems[0]
    # a second run that reaches the baseline clears the first one
    calls = []

    def second_run(families, *, mode, kernels):
        calls.append((families, kernels))
        return [bench.Row(**{**vars(row), "ratio": row.ratio * 100.0})]

    monkeypatch.setattr(bench, "run", second_run)
    assert bench.confirmed_regressions([row], path, 0.15, mode="quick") == []
    assert calls == [(["calibration"], {("calibration", row.kernel)})]
    # numbers that stop agreeing fail at once, with no second run
    calls.clear()
    broken = bench.Row(**{**vars(row), "agreed": False})
    assert "no longer give the same numbers" in bench.confirmed_regressions([broken], path, 0.15)[0]
    assert calls == []
