"""``fastscore compare scores|calibration|coco|arena``: the comparison table, exit 0 (no regression), 1 (a
regression after the multiplicity correction) or 2 (bad input), for CI jobs."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np


def read_scores(path, column=None, id_column=None):
    """(scores, ids or None) of a .npy file (one column) or a .csv file (a header row allowed;
    ``column`` picks one of several numeric columns, ``id_column`` the ids)."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path} does not exist; pass a .npy or .csv file of per-example scores.")
    if path.suffix.lower() == ".npy":
        if column is not None or id_column is not None:
            raise ValueError(f"{path}: --column and --id-column are for .csv files.")
        array = np.load(path)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim != 1:
            raise ValueError(f"{path} holds an array of shape {array.shape}; give one score per example (1-D).")
        return array.astype(np.float64), None
    if path.suffix.lower() != ".csv":
        raise ValueError(f"cannot read {path.name}: use a .npy or .csv file of per-example scores.")
    with open(path, newline="") as handle:
        rows = [row for row in csv.reader(handle) if row]
    if not rows:
        raise ValueError(f"{path} is empty.")

    def numeric(cell):
        try:
            float(cell)
            return True
        except ValueError:
            return False

    header = None if all(numeric(c) for c in rows[0]) else [c.strip() for c in rows[0]]
    body = rows[1:] if header else rows
    width = len(rows[0])
    if any(len(r) != width for r in body):
        raise ValueError(f"{path}: rows have different numbers of cells.")

    def index_of(name, what):
        if header is None:
            raise ValueError(f"{path} has no header row; {what} names a column of the header.")
        if name not in header:
            raise ValueError(f"{path} has columns {header} but no {name!r} ({what}).")
        return header.index(name)

    ids = None
    id_index = None
    if id_column is not None:
        id_index = index_of(id_column, "--id-column")
        ids = np.array([r[id_index].strip() for r in body])
    if column is not None:
        score_index = index_of(column, "--column")
    else:
        candidates = [i for i in range(width) if i != id_index]
        if len(candidates) != 1:
            raise ValueError(f"{path} has {len(candidates)} columns besides the ids; pick the score with --column "
                             f"(columns: {header or list(range(width))}).")
        score_index = candidates[0]
    try:
        scores = np.array([float(r[score_index]) for r in body])
    except ValueError:
        raise ValueError(f"{path}: column {header[score_index] if header else score_index} holds a value that is "
                         f"not a number.") from None
    return scores, ids


def _finish(result, args) -> int:
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2))
    if args.plot:
        result.plot(args.plot)
    print(result.summary())
    if result.regressions:
        print(f"regression: {', '.join(result.regressions)}")
    return result.exit_code


def _cmd_scores(args) -> int:
    from .scores import compare_scores

    base, base_ids = read_scores(args.baseline, args.column, args.id_column)
    cand, cand_ids = read_scores(args.candidate, args.column, args.id_column)
    ids = None if base_ids is None else (base_ids, cand_ids)
    result = compare_scores(base, cand, ids=ids, method=args.method, n_boot=args.n_boot, ci=args.ci, seed=args.seed,
                            margin=args.margin, correction=args.correction, higher_is_better=not args.lower_is_better,
                            name=args.name, allow_missing=args.allow_missing)
    return _finish(result, args)


def _cmd_calibration(args) -> int:
    from .calibration import compare_calibration

    path = Path(args.file)
    if path.suffix.lower() != ".npz" or not path.exists():
        raise ValueError(f"{path}: give an existing .npz file holding the labels and both models' probabilities.")
    with np.load(path) as archive:
        missing = [k for k in (args.y_true, args.baseline, args.candidate) if k not in archive.files]
        if missing:
            raise ValueError(f"{path} has arrays {archive.files} but not {missing}; name them with --y-true, "
                             f"--baseline and --candidate.")
        y, pb, pc = archive[args.y_true], archive[args.baseline], archive[args.candidate]
    result = compare_calibration(y, pb, pc, metrics=tuple(args.metrics.split(",")), n_bins=args.n_bins,
                                 method=args.method, n_boot=args.n_boot, ci=args.ci, seed=args.seed,
                                 margin=args.margin, correction=args.correction)
    return _finish(result, args)


def _cmd_coco(args) -> int:
    from .detection import compare_detections

    for path in (args.gt, args.baseline, args.candidate):
        if not Path(path).exists():
            raise ValueError(f"{path} does not exist.")
    result = compare_detections(str(args.gt), str(args.baseline), str(args.candidate), iou_type=args.iou_type,
                                n_boot=args.n_boot, ci=args.ci, seed=args.seed, margin=args.margin,
                                correction=args.correction, per_class=not args.no_per_class)
    return _finish(result, args)


def _cmd_arena(args) -> int:
    from ..cli import read_battles
    from ..ranking import bradley_terry
    from .ratings import compare_ratings

    columns = read_battles(args.file, (args.cluster_column,) if args.cluster_column else ())
    model_a, model_b, winner = columns[:3]
    if args.method == "bootstrap" and args.n_boot < 100:
        raise ValueError(f"--n-boot {args.n_boot} is too few bootstrap rounds for an interval; use 1000 or more.")
    if args.cluster_column and args.method != "bootstrap":
        raise ValueError("--cluster-column needs --method bootstrap (the analytic covariance treats battles as "
                         "independent).")
    board = bradley_terry(model_a, model_b, winner, bootstrap=args.n_boot if args.method == "bootstrap" else 0,
                          seed=args.seed, ci=args.ci, cluster=columns[3] if args.cluster_column else None)
    for model in (args.baseline, args.candidate):
        if model not in set(board.models.tolist()):
            raise ValueError(f"model {model!r} fought no battle in {args.file}.")
    result = compare_ratings(board, args.baseline, args.candidate, method=args.method, ci=args.ci, margin=args.margin)
    return _finish(result, args)


def _shared(parser, n_boot):
    parser.add_argument("--n-boot", type=int, default=n_boot, help=f"replicates (default {n_boot}, at least 100)")
    parser.add_argument("--ci", type=float, default=0.95, help="confidence level; 1 - ci is the tests' level")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--margin", type=float, default=None,
                        help="non-inferiority margin in the metric's units: fail only if worse by more than it")
    parser.add_argument("--correction", choices=["holm", "bh", "none"], default="holm")
    parser.add_argument("--json", metavar="FILE", help="also write the comparison as JSON")
    parser.add_argument("--plot", metavar="PNG", help="also draw a forest plot (needs matplotlib)")


def add_parser(commands):
    compare = commands.add_parser("compare", help="is the candidate worse than the baseline? (exit 1 if so)")
    kinds = compare.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True
    scores = kinds.add_parser("scores", help="per-example scores of two models (.npy or .csv)")
    scores.add_argument("baseline")
    scores.add_argument("candidate")
    scores.add_argument("--column", help="the score column of a .csv with several")
    scores.add_argument("--id-column", help="align the rows by this .csv column of example ids")
    scores.add_argument("--method", choices=["auto", "bootstrap", "permutation", "mcnemar"], default="auto")
    scores.add_argument("--lower-is-better", action="store_true", help="the score is an error or a loss")
    scores.add_argument("--name", default="score", help="the metric's name in the table")
    scores.add_argument("--allow-missing", choices=["drop", "zero"], default=None,
                        help="with --id-column: compare on the shared examples (drop), or count a missing score "
                             "as 0 (zero); by default examples scored by one model only are an error")
    _shared(scores, 9999)
    scores.set_defaults(run=_cmd_scores)
    calibration = kinds.add_parser("calibration", help="calibration of two models' probabilities (.npz)")
    calibration.add_argument("file", help=".npz with the labels and both models' probabilities")
    calibration.add_argument("--baseline", required=True, help="name of the baseline's probability array")
    calibration.add_argument("--candidate", required=True, help="name of the candidate's probability array")
    calibration.add_argument("--y-true", default="y_true", help="name of the label array")
    calibration.add_argument("--metrics", default="ece,mce,rmsce,brier,balance",
                             help="comma-separated, among ece, mce, rmsce, brier, balance (the absolute Balance score)")
    calibration.add_argument("--n-bins", type=int, default=15)
    calibration.add_argument("--method", choices=["bins", "exact"], default="bins")
    _shared(calibration, 1000)
    calibration.set_defaults(run=_cmd_calibration)
    coco = kinds.add_parser("coco", help="two detectors' COCO results on one ground truth (12 stats, per-class AP)")
    coco.add_argument("gt", help="COCO ground-truth JSON")
    coco.add_argument("baseline", help="the baseline's results JSON")
    coco.add_argument("candidate", help="the candidate's results JSON")
    coco.add_argument("--iou-type", choices=["bbox", "segm", "keypoints"], default="bbox")
    coco.add_argument("--no-per-class", action="store_true", help="only the 12 (10) COCO stats")
    _shared(coco, 1000)
    coco.set_defaults(run=_cmd_coco)
    arena = kinds.add_parser("arena", help="two models' Bradley-Terry ratings on one battles file")
    arena.add_argument("file", help=".jsonl, .json, .csv or .parquet with model_a, model_b, winner")
    arena.add_argument("--baseline", required=True, help="the baseline model's name")
    arena.add_argument("--candidate", required=True, help="the candidate model's name")
    arena.add_argument("--cluster-column", metavar="NAME",
                       help="a column of conversation (or prompt) ids: the bootstrap redraws whole conversations")
    arena.add_argument("--method", choices=["bootstrap", "analytic"], default="bootstrap",
                       help="joint bootstrap rounds, or the covariance of the fit (no resampling)")
    _shared(arena, 1000)
    arena.set_defaults(run=_cmd_arena)
