"""The ``fastscore`` command.

``fastscore info`` prints the configuration, ``fastscore calibration FILE``
scores a file of predictions, ``fastscore vendi FILE`` the diversity of a
file of embeddings, ``fastscore coco GT.json DT.json [--iou-type segm|keypoints]`` prints pycocotools'
summary, ``fastscore arena BATTLES`` a leaderboard with intervals,
``fastscore rank SCORES.csv`` aggregates a systems x tasks table,
``fastscore compare scores|calibration|coco|arena ...`` tells whether a candidate model
is worse than a baseline (exit code 1), and
``fastscore demo`` runs every family on the data shipped with the package
and prints results and timings.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def load_predictions(path, y_true_key="y_true", y_prob_key="y_prob"):
    """Read ``(y_true, y_prob)`` from a .npz, .npy or .csv file.

    - .npz: arrays named ``y_true`` and ``y_prob``.
    - .npy: a 2-D array; column 0 holds the labels, the other columns the
      probabilities (one column: binary positive-class probability).
    - .csv: a header row; the ``y_true`` column holds the labels; a ``y_prob``
      column is a binary probability, otherwise every other column is a class
      probability, in order.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path} does not exist; pass the path of a .npz, .npy or .csv file.")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with np.load(path) as archive:
            missing = [k for k in (y_true_key, y_prob_key) if k not in archive.files]
            if missing:
                raise ValueError(
                    f"{path} has arrays {archive.files} but not {missing}; name them {y_true_key!r} and "
                    f"{y_prob_key!r}, or pass --y-true/--y-prob with the names used."
                )
            return archive[y_true_key], archive[y_prob_key]
    if suffix == ".npy":
        table = np.load(path)
        if table.ndim != 2 or table.shape[1] < 2:
            raise ValueError(
                f"{path} holds an array of shape {table.shape}; a .npy file must be 2-D with the labels in column 0 "
                f"and the probabilities in the other columns."
            )
        probs = table[:, 1:]
        return table[:, 0], probs[:, 0] if probs.shape[1] == 1 else probs
    if suffix == ".csv":
        with open(path, newline="") as handle:
            first_line = handle.readline()
        if not first_line.strip():
            raise ValueError(f"{path} is empty (no header line); write a header such as 'y_true,y_prob' and one row per sample.")
        header = [name.strip() for name in first_line.split(",")]
        if y_true_key not in header:
            raise ValueError(f"{path} has columns {header} but no {y_true_key!r}; name the label column {y_true_key!r} or pass --y-true.")
        with open(path, newline="") as handle:
            rows = sum(1 for line in handle if line.strip()) - 1
        if rows < 1:
            raise ValueError(f"{path} has a header but no rows; a metric needs at least one sample.")
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
        labels = table[:, header.index(y_true_key)]
        if y_prob_key in header:
            return labels, table[:, header.index(y_prob_key)]
        others = [i for i, name in enumerate(header) if name != y_true_key]
        probs = table[:, others]
        return labels, probs[:, 0] if probs.shape[1] == 1 else probs
    raise ValueError(f"cannot read {path.name}: use a .npz, .npy or .csv file.")


def format_calibration(report) -> str:
    lines = [
        f"mode {report.mode}, {report.n_bins} {report.strategy} bins closed on the {report.closed}, "
        f"{report.n_samples} samples",
        f"  ECE      {report.ece:.6f}",
        f"  MCE      {report.mce:.6f}",
        f"  RMSCE    {report.rmsce:.6f}",
        f"  Brier    {report.brier:.6f}",
        f"  Balance  {report.balance:+.6f}   (accuracy {report.accuracy:.4f} - mean confidence {report.mean_confidence:.4f})",
        "  Brier decomposition: "
        + ", ".join(f"{k} {v:.6f}" for k, v in report.decomposition.to_dict().items()),
    ]
    if report.mode != "classwise":
        lines.append("  bin   lower   upper   weight   confidence   outcome")
        for b in range(report.n_bins):
            lines.append(
                f"  {b:>3}  {report.edges[b]:6.3f}  {report.edges[b + 1]:6.3f}  {report.bin_counts[b]:7.0f}"
                f"   {report.bin_confidence[b]:10.4f}   {report.bin_outcome[b]:7.4f}"
            )
    else:
        lines.append("  per-class ECE: " + " ".join(f"{v:.4f}" for v in report.class_ece))
    return "\n".join(lines)


def _cmd_info(args) -> int:
    from ._config import show_config

    show_config()
    return 0


def _cmd_calibration(args) -> int:
    from .calibration import calibration_report

    y_true, y_prob = load_predictions(args.file, args.y_true, args.y_prob)
    report = calibration_report(
        y_true, y_prob, n_bins=args.n_bins, strategy=args.strategy, mode=args.mode, closed=args.closed,
        backend=args.backend,
    )
    if args.json:
        print(json.dumps(_jsonable(report.to_dict()), indent=2))
    else:
        print(format_calibration(report))
    if args.plot:
        from .calibration import reliability_diagram

        figure = reliability_diagram(y_true, y_prob, n_bins=args.n_bins, mode=args.mode, closed=args.closed)
        figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        if not args.json:
            print(f"reliability diagram written to {args.plot}")
    return 0


def _parse_q(text: str) -> float:
    return float("inf") if text.lower() in ("inf", "infinity") else float(text)


def _cmd_vendi(args) -> int:
    from .diversity import vendi_score

    path = Path(args.file)
    if not path.exists():
        raise ValueError(f"{path} does not exist; pass a .npy file holding an (n, d) array.")
    if path.suffix.lower() != ".npy":
        raise ValueError(f"cannot read {path.name}: pass a .npy file holding an (n, d) array (or (n, n) with --K).")
    array = np.load(path)
    options = dict(q=args.q, method=args.method)
    if args.gamma is not None:
        options["gamma"] = args.gamma
    if args.K:
        score = vendi_score(K=array, q=args.q, normalize=args.normalize)
    else:
        score = vendi_score(array, kernel=args.kernel, **options)
    if args.json:
        print(json.dumps({"vendi_score": score, "q": args.q if np.isfinite(args.q) else "inf",
                          "kernel": None if args.K else args.kernel, "n": int(array.shape[0])}))
    else:
        what = "precomputed K" if args.K else f"kernel {args.kernel}"
        print(f"Vendi score (q={args.q:g}, {what}, n={array.shape[0]}): {score:.6f}")
    return 0


def _median_time(function, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def numpy_bincount_ece(y_true, y_prob, n_bins=15):
    """ECE the plain NumPy way: searchsorted into [a, b) bins, three bincounts."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], y_prob, side="right")
    count = np.bincount(bins, minlength=n_bins)
    confidence = np.bincount(bins, weights=y_prob, minlength=n_bins)
    outcome = np.bincount(bins, weights=y_true, minlength=n_bins)
    return float(np.abs(outcome - confidence).sum() / count.sum())


def evaluate_coco_files(gt_path, dt_path, *, use_categories=True, iou_type="bbox"):
    """COCO evaluation of two JSON files: (result, {category id: name}).

    Boxes go through the compiled column readers; masks and keypoints through
    ``fastscore.compat.pycocotools`` (pycocotools' loadRes rules decide each
    result's area), whose matches are accumulated into the same result object.
    """
    if iou_type != "bbox":
        return _evaluate_instance_files(gt_path, dt_path, use_categories=use_categories, iou_type=iou_type)
    from .detection import evaluate_detections
    from .detection.coco import ids_missing_from
    from .detection.io import load_coco_ground_truth, load_coco_results

    gt, image_ids, categories = load_coco_ground_truth(gt_path)
    dt = load_coco_results(dt_path)
    unknown = ids_missing_from(dt.image_id, image_ids)
    if unknown.size:
        raise ValueError(f"{dt_path}: {unknown.size} detection image id(s) are not in {gt_path} "
                         f"(first: {unknown[:5].tolist()}); the files do not belong together.")
    cat_ids = np.array(sorted(categories), dtype=np.int64)
    result = evaluate_detections(gt, dt, image_ids=image_ids, category_ids=cat_ids, use_categories=use_categories)
    return result, categories


def _evaluate_instance_files(gt_path, dt_path, *, use_categories, iou_type):
    import contextlib
    import io

    from .compat.pycocotools import COCO, COCOeval
    from .detection.evaluation import evaluate_matched

    if iou_type not in ("segm", "keypoints"):
        raise ValueError(f"--iou-type must be bbox, segm or keypoints, got {iou_type!r}.")
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(gt_path)
        ev = COCOeval(coco_gt, coco_gt.loadRes(str(dt_path)), iou_type)
        ev.params.useCats = int(use_categories)
        ev.evaluate()
    core = ev._core
    shown = core.category_ids if core.use_categories else np.array([-1])
    result = evaluate_matched(ev._matched, core, core.image_ids, shown, iou_type=iou_type)
    categories = {int(c["id"]): c.get("name", str(c["id"])) for c in coco_gt.dataset.get("categories", [])}
    return result, categories


def format_per_class(result, categories) -> str:
    table = result.per_class()
    names = [categories.get(int(c), str(c)) for c in table["category_id"]]
    width = max([len("category")] + [len(n) for n in names])
    columns = [c for c in table if c not in ("category_id", "n_gt")]
    lines = [f"{'category':<{width}}  " + "  ".join(f"{c:>9}" for c in columns) + f"  {'n_gt':>6}"]
    for i, name in enumerate(names):
        cells = "  ".join("      n/a" if np.isnan(table[c][i]) else f"{table[c][i]:9.3f}" for c in columns)
        lines.append(f"{name:<{width}}  {cells}  {int(table['n_gt'][i]):>6}")
    return "\n".join(lines)


def _cmd_coco(args) -> int:
    result, categories = evaluate_coco_files(args.gt, args.dt, use_categories=not args.no_categories,
                                             iou_type=args.iou_type)
    if args.json:
        payload = {"stats": result.to_dict()}
        if args.per_class:
            table = result.per_class()
            payload["per_class"] = [
                {"category_id": int(cid), "name": categories.get(int(cid), str(cid)),
                 **{k: (None if np.isnan(v[i]) else float(v[i])) for k, v in table.items() if k not in ("category_id", "n_gt")},
                 "n_gt": int(table["n_gt"][i])}
                for i, cid in enumerate(table["category_id"])]
        print(json.dumps(_jsonable(payload), indent=2))
        return 0
    print(result.summary())
    if args.per_class:
        print()
        print(format_per_class(result, categories))
    return 0


def _starts_with(path, character):
    """Whether the first non-blank character of a text file is ``character``."""
    with open(path, encoding="utf-8") as f:
        while True:
            chunk = f.read(4096)
            if not chunk or chunk.strip():
                return chunk.lstrip()[:1] == character


def read_battles(path, extra=()):
    """model_a, model_b, winner columns (then the ``extra`` ones) of a .jsonl (or .json: lines,
    or one array of records), .csv or .parquet file of battles."""
    columns = ("model_a", "model_b", "winner", *extra)
    named = ", ".join(columns[:-1]) + " and " + columns[-1]
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            import pandas as pd

            frame = pd.read_parquet(path, columns=list(columns))
        except ImportError as exc:
            raise ValueError(f"reading {path.name} needs pandas and a Parquet engine ({exc}): pip install "
                             f"pandas pyarrow (or fastparquet), or save the battles as .csv / .jsonl.") from None
        except (ValueError, KeyError) as exc:  # the engines name a missing column in their own words
            raise ValueError(f"{path.name}: battles need the columns {named} ({exc}).") from None
        return tuple(frame[c].to_numpy() for c in columns)
    rows = []
    if suffix == ".json" and _starts_with(path, "["):  # one array of battle records (Arena's clean_battle dumps)
        with open(path, encoding="utf-8") as f:
            try:
                rows = json.load(f)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name} is not JSON (line {exc.lineno}: {exc.msg}).") from None
        if not all(isinstance(row, dict) for row in rows):
            raise ValueError(f"{path.name}: the array must hold one object per battle.")
    elif suffix in (".jsonl", ".json"):
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"{path.name} line {number} is not JSON ({exc.msg}).") from None
    elif suffix == ".csv":
        import csv

        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    else:
        raise ValueError(f"{path.name}: battles must be .jsonl, .csv or .parquet.")
    try:
        return tuple(np.array([row[c] for row in rows], dtype=object) for c in columns)
    except KeyError as exc:
        raise ValueError(f"{path.name}: every battle needs {named}; one lacks {exc}.") from None


def format_leaderboard(board, top=None) -> str:
    lines = [f"{'rank':>4}  {'model':<32} {'rating':>8}" + (f" {'95% interval':>19}" if board.lower is not None else "")
             + f" {'battles':>9}"]
    for i in range(len(board.models) if top is None else min(top, len(board.models))):
        interval = f" {board.lower[i]:>8.1f} .. {board.upper[i]:<8.1f}" if board.lower is not None else ""
        lines.append(f"{int(board.rank[i]):>4}  {str(board.models[i]):<32} {board.rating[i]:>8.1f}{interval} "
                     f"{int(board.battles[i]):>9}")
    return "\n".join(lines)


def _cmd_arena(args) -> int:
    from .ranking import bradley_terry, elo

    model_a, model_b, winner = read_battles(args.file)
    if args.elo:
        board = elo(model_a, model_b, winner, bootstrap=args.bootstrap, seed=args.seed)
    else:
        board = bradley_terry(model_a, model_b, winner, bootstrap=args.bootstrap, seed=args.seed,
                              ties_model=args.ties, resample=args.resample, regularization=args.regularization)
    if args.json:
        print(json.dumps(_jsonable(board.to_dict()), indent=2))
    else:
        print(format_leaderboard(board, args.top))
    return 0


def read_score_table(path, exclude=()):
    """(systems, tasks, scores) of a CSV: system names in the first column, one numeric column per task."""
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise ValueError(f"{Path(path).name} has no data rows; give a header and one row per system.")
    header, body = rows[0], rows[1:]
    keep = [j for j in range(1, len(header)) if header[j] not in set(exclude)]
    unknown = sorted(set(exclude) - set(header))
    if unknown:
        raise ValueError(f"--exclude names columns not in the file: {unknown}.")
    try:
        scores = np.array([[float(row[j]) for j in keep] for row in body])
    except (ValueError, IndexError):
        raise ValueError(f"{Path(path).name}: every task column must hold numbers (system names go in the first "
                         f"column; drop other text columns with --exclude).") from None
    return [row[0].strip() for row in body], [header[j] for j in keep], scores


def _cmd_rank(args) -> int:
    from .ranking import aggregate_benchmark

    systems, tasks, scores = read_score_table(args.file, args.exclude)
    higher = not args.lower_is_better
    result = aggregate_benchmark(scores, method=args.method, higher_is_better=higher)
    mean = aggregate_benchmark(scores, method="mean", higher_is_better=higher)
    mean_place = np.argsort(mean.order, kind="stable")
    if args.json:
        print(json.dumps({"method": args.method, "tasks": tasks,
                          "ranking": [systems[i] for i in result.order],
                          "mean_ranking": [systems[i] for i in mean.order]}, indent=2))
        return 0
    print(f"{len(systems)} systems x {len(tasks)} tasks, aggregated by {args.method} (place by the mean in brackets)")
    for place, i in enumerate(result.order[: args.top], 1):
        print(f"{place:>4}  {systems[i]:<40} ({mean_place[i] + 1})")
    return 0


def _cmd_bench(args) -> int:
    from . import bench

    families = [args.family] if args.family else None
    mode = "full" if args.full else "quick"
    if args.scaling and not args.plot:
        for entry in bench.scaling(families, mode):
            what = "time factor per item" if entry["claimed"].startswith("2^") else "log-log slope"
            if entry["anchor"] is None:
                print(f"{entry['family']:<12} {entry['kernel']:<48} {what} {entry['slope']:.2f} "
                      f"(between the two largest: {entry['tail_slope']:.2f}; claimed O({entry['claimed']})) "
                      f"at sizes {entry['sizes']} ({', '.join(f'{t * 1e3:.1f} ms' for t in entry['seconds'])})")
            else:
                slope = "n/a (one size within the time budget)" if entry["slope"] is None else f"{entry['slope']:.2f}"
                print(f"{'':<12}   vs {entry['anchor']:<42} {what} {slope} at sizes {entry['sizes']} "
                      f"({', '.join(f'{t * 1e3:.1f} ms' for t in entry['seconds'])})")
        return 0
    rows = bench.run(families, mode=mode, cold=args.cold)
    memory = bench.add_memory(rows, mode) if args.memory else None
    print(bench.format_table(rows, markdown=args.markdown, memory=memory))
    if args.plot:
        bench.plot(rows, bench.scaling(families, mode), args.plot)
        print(f"wrote {args.plot}")
    if args.json:
        bench.save(rows, args.json)
    if args.compare:
        problems = bench.confirmed_regressions(rows, args.compare, bench.parse_fraction(args.max_regression),
                                                mode=mode)
        for problem in problems:
            print(f"REGRESSION: {problem}", file=sys.stderr)
        return 1 if problems else 0
    return 0


def _demo_calibration(size: int) -> None:
    from .calibration import calibration_report
    from .datasets import load_calibration_digits

    print("== calibration: UCI digits test split, 899 real predictions, 10 classes ==")
    data = load_calibration_digits()
    for model in ("naive_bayes", "logistic"):
        top = calibration_report(data["y_true"], data[model])
        classwise = calibration_report(data["y_true"], data[model], mode="classwise")
        print(
            f"{model:>12}: top-label ECE {top.ece:.4f}  MCE {top.mce:.4f}  classwise ECE {classwise.ece:.4f}  "
            f"Brier {top.brier:.4f}  Balance {top.balance:+.4f}  accuracy {top.accuracy:.4f}"
        )
    rng = np.random.default_rng(0)
    y_prob = rng.random(size)
    y_true = (rng.random(size) < y_prob ** 1.2).astype(np.int64)
    start = time.perf_counter()
    report = calibration_report(y_true, y_prob)
    first = time.perf_counter() - start
    ours = _median_time(lambda: calibration_report(y_true, y_prob))
    numpy_time = _median_time(lambda: numpy_bincount_ece(y_true, y_prob))
    print(
        f"{size:,} synthetic binary predictions: full report (ECE {report.ece:.5f}, MCE, RMSCE, Brier, Balance, "
        f"decomposition) {ours * 1e3:.1f} ms ({first * 1e3:.1f} ms the first call); NumPy searchsorted+bincount ECE alone "
        f"{numpy_time * 1e3:.1f} ms ({numpy_time / ours:.1f}x); same ECE: "
        f"{abs(numpy_bincount_ece(y_true, y_prob) - report.ece) < 1e-12}"
    )


def _demo_diversity() -> None:
    from .datasets import load_calibration_digits
    from .diversity import vendi_by_group, vendi_score

    print("\n== diversity: Vendi scores of the digits' predicted-probability vectors ==")
    data = load_calibration_digits()
    for model in ("naive_bayes", "logistic"):
        probs = data[model]
        per_class = vendi_by_group(probs, data["y_true"], kernel="cosine")
        print(
            f"{model:>12}: cosine Vendi q=1 {vendi_score(probs):.3f}, q=2 {vendi_score(probs, q=2):.3f}, "
            f"q=inf {vendi_score(probs, q=float('inf')):.3f}; per true digit "
            + " ".join(f"{s:.2f}" for s in per_class.scores)
        )
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 512)).astype(np.float32)
    vendi_score(X[:100])
    dual = _median_time(lambda: vendi_score(X))
    floor = _median_time(lambda: np.linalg.eigvalsh((X.T @ X).astype(np.float64)))
    try:
        from vendi_score import vendi as anchor
    except ImportError:
        print(f"4,000 x 512 cosine Vendi: {dual * 1e3:.0f} ms ({floor * 1e3:.0f} ms for X.T @ X + eigvalsh alone); "
              f"pip install vendi-score to compare")
        return
    X64 = X.astype(np.float64)
    theirs = _median_time(lambda: anchor.score_X(X64), repeat=1)
    print(f"4,000 x 512 cosine Vendi: {dual * 1e3:.0f} ms vs vendi-score's score_X {theirs * 1e3:.0f} ms "
          f"({theirs / dual:.0f}x); X.T @ X + eigvalsh alone {floor * 1e3:.0f} ms; "
          f"same value: {abs(vendi_score(X64) - anchor.score_X(X64)) < 1e-8 * vendi_score(X64)}")


def _demo_ranking() -> None:
    from .datasets import load_glue
    from .ranking import aggregate_benchmark

    print("\n== ranking: the GLUE leaderboard, 105 systems x 14 tasks ==")
    systems, tasks, scores, average = load_glue()
    start = time.perf_counter()
    borda = aggregate_benchmark(scores, method="borda")
    elapsed = time.perf_counter() - start
    mean = aggregate_benchmark(scores, method="mean")
    leaderboard = np.argsort(-average, kind="stable")
    print(f"top 5 by Borda over tasks ({elapsed * 1e3:.1f} ms): " + "; ".join(systems[borda.order[:5]]))
    print("top 5 by the leaderboard's average:   " + "; ".join(systems[leaderboard[:5]]))
    moved = int(np.sum(borda.order[:10] != mean.order[:10]))
    print(f"Borda and the mean score disagree on {moved} of the top 10 places")
    _demo_instances()
    _demo_arena()


def _demo_arena() -> None:
    from .ranking import bradley_terry

    rng = np.random.default_rng(0)
    n, m = 200_000, 30
    names = np.array([f"model-{i:02d}" for i in range(m)])
    strength = np.sort(rng.normal(size=m))[::-1]
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    p = 1 / (1 + np.exp(strength[b] - strength[a]))
    winner = np.where(rng.random(n) < 0.15, "tie", np.where(rng.random(n) < p, "model_a", "model_b"))
    print(f"\n== ranking: an Arena-style leaderboard of {n:,} synthetic battles among {m} models ==")
    start = time.perf_counter()
    board = bradley_terry(names[a], names[b], winner, bootstrap=100, seed=0)
    elapsed = time.perf_counter() - start
    print(format_leaderboard(board, top=5))
    print(f"Bradley-Terry with 100 bootstrap rounds: {elapsed:.2f} s (from string names)")


def _demo_instances() -> None:
    from scipy.stats import kendalltau

    from .datasets import load_tac08
    from .ranking import aggregate_instances

    systems, utterances, metrics, scores = load_tac08()
    print(f"\n== ranking: TAC 2008, {len(systems)} summarisers x {len(utterances)} inputs x "
          f"{len(metrics) - 2} automatic metrics (two-level aggregation) ==")
    human = scores[:, :, 0].mean(axis=1)  # H:pyr, the human pyramid score
    human_position = np.argsort(np.argsort(-human, kind="stable"), kind="stable")
    for method in ("borda", "mean"):
        start = time.perf_counter()
        result = aggregate_instances(scores[:, :, 2:], method=method)
        elapsed = time.perf_counter() - start
        position = np.argsort(result.order, kind="stable")
        tau = kendalltau(position, human_position).statistic
        print(f"{method:>6} over instances, then metrics ({elapsed * 1e3:.0f} ms): Kendall tau with the human "
              f"pyramid ranking {tau:.3f}; top 3 systems {systems[result.order[:3]].tolist()}")


def _demo_detection() -> None:
    import contextlib
    import io

    from .datasets import coco_sample_paths

    print("\n== detection: COCO val2014 sample, 100 images, 734 detections (the COCO API's example results) ==")
    gt_file, dt_file = coco_sample_paths()
    start = time.perf_counter()
    result, _ = evaluate_coco_files(gt_file, dt_file)
    elapsed = time.perf_counter() - start
    print(result.summary())
    best = result.best_f1()
    print(f"from files to the 12 numbers: {elapsed * 1e3:.0f} ms (first call); best F1 at IoU 0.5: {best['f1']:.3f} "
          f"(score >= {best['score_threshold']:.3f}, precision {best['precision']:.3f}, recall {best['recall']:.3f})")
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError:
        print("pip install pycocotools to compare with the COCO API")
        return

    def pycocotools_run(results_file, iou_type):
        def run():
            with contextlib.redirect_stdout(io.StringIO()):
                gt = COCO(gt_file)
                ev = COCOeval(gt, gt.loadRes(results_file), iou_type)
                ev.evaluate()
                ev.accumulate()
                ev.summarize()
            return ev
        return run

    anchor = pycocotools_run(dt_file, "bbox")
    theirs = _median_time(anchor, repeat=1)
    ours = _median_time(lambda: evaluate_coco_files(gt_file, dt_file))
    print(f"pycocotools, same files: {theirs * 1e3:.0f} ms; fastscore again: {ours * 1e3:.0f} ms ({theirs / ours:.0f}x); "
          f"stats bit-identical: {bool(np.array_equal(anchor().stats, result.stats))}")
    segm_file = coco_sample_paths("segm")[1]
    start = time.perf_counter()
    masks, _ = evaluate_coco_files(gt_file, segm_file, iou_type="segm")
    elapsed = time.perf_counter() - start
    anchor = pycocotools_run(segm_file, "segm")
    theirs = _median_time(anchor, repeat=1)
    print(f"masks (the COCO API's example segmentation results, iouType='segm'): AP {masks.stats[0]:.3f}, AP50 "
          f"{masks.stats[1]:.3f}; {elapsed * 1e3:.0f} ms from files (first call), pycocotools {theirs * 1e3:.0f} ms "
          f"({theirs / elapsed:.0f}x); stats bit-identical: {bool(np.array_equal(anchor().stats, masks.stats))}")


def _demo_compare() -> None:
    import contextlib
    import io
    import json

    from .compare import compare_calibration, compare_detections
    from .datasets import coco_sample_paths, load_calibration_digits
    from .datasets.synthetic import second_detector

    print("\n== comparison: is the candidate worse than the baseline? (fastscore.compare, 1,000 paired replicates) ==")
    data = load_calibration_digits()
    start = time.perf_counter()
    result = compare_calibration(data["y_true"], data["logistic"], data["naive_bayes"])
    elapsed = time.perf_counter() - start
    print(f"calibration, logistic regression (baseline) vs naive Bayes (candidate), {elapsed * 1e3:.0f} ms:")
    print(result.summary())
    gt_file, dt_file = coco_sample_paths()
    with open(dt_file) as f:
        candidate = second_detector(json.load(f), box_noise=0.5)
    start = time.perf_counter()
    result = compare_detections(gt_file, dt_file, candidate, per_class=False)
    elapsed = time.perf_counter() - start
    print(f"\ndetection, the COCO sample's results (baseline) vs a second detector made from them "
          f"(synthetic.second_detector: boxes moved by N(0, 0.5 px), scores scaled by U(0.8, 1.2)), "
          f"{elapsed * 1e3:.0f} ms for both matchings and all replicates:")
    print(result.summary())
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError:
        return

    def one_evaluation():
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(gt_file)
            ev = COCOeval(gt, gt.loadRes(dt_file), "bbox")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()

    print(f"one pycocotools evaluation of one model from the same files: {_median_time(one_evaluation, repeat=1) * 1e3:.0f} "
          f"ms (a naive comparison runs 2,000 of them)")


def _cmd_demo(args) -> int:
    _demo_calibration(args.size)
    _demo_diversity()
    _demo_ranking()
    _demo_detection()
    _demo_compare()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastscore", description="Exact, drop-in, fast evaluation metrics.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    info = commands.add_parser("info", help="versions, each family's default backend, the JIT cache (show_config)")
    info.set_defaults(run=_cmd_info)

    calibration = commands.add_parser("calibration", help="binned calibration report of a predictions file")
    calibration.add_argument("file", help=".npz (y_true, y_prob), .npy (labels in column 0) or .csv with a header")
    calibration.add_argument("--n-bins", type=int, default=15)
    calibration.add_argument("--strategy", choices=["uniform", "quantile"], default="uniform")
    calibration.add_argument("--mode", choices=["auto", "binary", "top-label", "classwise"], default="auto")
    calibration.add_argument("--closed", choices=["left", "right"], default="left")
    calibration.add_argument("--backend", choices=["auto", "numba", "cython", "reference"], default=None)
    calibration.add_argument("--y-true", default="y_true", help="name of the label array or column")
    calibration.add_argument("--y-prob", default="y_prob", help="name of the probability array or column")
    calibration.add_argument("--json", action="store_true", help="print the report as JSON")
    calibration.add_argument("--plot", metavar="PNG", help="also write a reliability diagram (needs matplotlib)")
    calibration.set_defaults(run=_cmd_calibration)

    vendi = commands.add_parser("vendi", help="Vendi score of embeddings (or a similarity matrix) in a .npy file")
    vendi.add_argument("file", help=".npy holding an (n, d) array of embeddings, or (n, n) with --K")
    vendi.add_argument("--kernel", choices=["cosine", "linear", "rbf", "laplacian", "tanimoto", "hamming"],
                       default="cosine")
    vendi.add_argument("--q", type=_parse_q, default=1.0, help="order: a number >= 0 or inf (default 1)")
    vendi.add_argument("--method", choices=["auto", "dual", "primal", "approx"], default="auto")
    vendi.add_argument("--gamma", type=float, default=None, help="rbf/laplacian bandwidth (default 1/d)")
    vendi.add_argument("--K", action="store_true", help="the file holds a precomputed similarity matrix")
    vendi.add_argument("--normalize", action="store_true", help="with --K: use K_ij / sqrt(K_ii K_jj)")
    vendi.add_argument("--json", action="store_true")
    vendi.set_defaults(run=_cmd_vendi)

    coco = commands.add_parser("coco", help="COCO evaluation (boxes, masks, keypoints) of a ground-truth and a results JSON file")
    coco.add_argument("gt", help="COCO instances JSON (ground truth)")
    coco.add_argument("dt", help="COCO results JSON (a list of detections: bbox, segmentation RLE or keypoints)")
    coco.add_argument("--iou-type", choices=("bbox", "segm", "keypoints"), default="bbox",
                      help="what to match: boxes (default), masks or keypoints (pycocotools' iouType)")
    coco.add_argument("--per-class", action="store_true", help="add the per-category AP/AR table")
    coco.add_argument("--no-categories", action="store_true", help="pool categories (pycocotools' useCats=0)")
    coco.add_argument("--json", action="store_true", help="print the numbers as JSON")
    coco.set_defaults(run=_cmd_coco)

    arena = commands.add_parser("arena", help="Bradley-Terry (or Elo) leaderboard of a battles file")
    arena.add_argument("file", help=".jsonl, .json (lines or one array), .csv or .parquet with model_a, model_b, "
                                    "winner")
    arena.add_argument("--bootstrap", type=int, default=0, help="bootstrap rounds for 95%% intervals")
    arena.add_argument("--seed", type=int, default=0)
    arena.add_argument("--elo", action="store_true", help="online Elo instead of Bradley-Terry")
    arena.add_argument("--ties", choices=["half", "davidson"], default="half", help="tie model (default: half a win)")
    arena.add_argument("--resample", choices=["multinomial", "poisson"], default="multinomial")
    arena.add_argument("--regularization", type=float, default=0.0)
    arena.add_argument("--top", type=int, default=None, help="print only the best N")
    arena.add_argument("--json", action="store_true")
    arena.set_defaults(run=_cmd_arena)

    rank = commands.add_parser("rank", help="aggregate a systems x tasks score table by a voting rule")
    rank.add_argument("file", help="CSV: system names in the first column, one column per task")
    rank.add_argument("--method", choices=["borda", "copeland", "kemeny", "mean"], default="borda")
    rank.add_argument("--exclude", nargs="*", default=[], help="columns to leave out (e.g. an average column)")
    rank.add_argument("--lower-is-better", action="store_true")
    rank.add_argument("--top", type=int, default=20)
    rank.add_argument("--json", action="store_true")
    rank.set_defaults(run=_cmd_rank)

    bench = commands.add_parser("bench", help="time fastscore against each installed anchor (same data, same run)")
    bench.add_argument("--family", choices=["calibration", "detection", "ranking", "diversity", "compare"])
    size = bench.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes, about a minute (the default)")
    size.add_argument("--full", action="store_true",
                      help="the README table's sizes: 10^7 predictions (binned report), 10^6 (smooth ECE in both "
                           "regimes, one-sort estimators), 10^5 (KDE-ECE); 4,000 Vendi samples; 10^6 battles; 10^4 "
                           "rankings of 50 items; Kemeny m = 20; 2,000 and 5,000 COCO images; 3,000 boxes; 10^4 "
                           "assignments; comparisons of 5,000 COCO images, 10,000 scores and 10^6 predictions (several "
                           "minutes)")
    bench.add_argument("--cold", action="store_true",
                       help="also time each side in a fresh process with an empty JIT cache (import + first call)")
    bench.add_argument("--scaling", action="store_true", help="time fastscore at growing sizes (with --full up to 10^8 predictions, 10^7 battles, 5,000 COCO images, 10^6 Vendi samples); print log-log slopes")
    bench.add_argument("--json", metavar="FILE", help="save the rows (ratios included) as JSON")
    bench.add_argument("--compare", metavar="BASELINE", help="a saved --json run: exit 1 if a ratio regressed in two runs or the numbers stopped agreeing")
    bench.add_argument("--max-regression", default="15%", help="allowed fall of a ratio (default 15%%)")
    bench.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    bench.add_argument("--memory", action="store_true", help="also the peak extra memory of each side (slower)")
    bench.add_argument("--plot", metavar="PNG", help="draw the speed-ups and the scaling curves (needs matplotlib)")
    bench.set_defaults(run=_cmd_bench)

    from .compare.cli import add_parser as add_compare_parser

    add_compare_parser(commands)

    demo = commands.add_parser("demo", help="run every family on bundled data, with timings")
    demo.add_argument("--size", type=int, default=10_000_000, help="synthetic predictions for the timing")
    demo.set_defaults(run=_cmd_demo)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError) as exc:
        print(f"fastscore {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
