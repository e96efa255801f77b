"""``fastscore bench``: fastscore against each installed anchor, same data, same process.

Every case builds its data, runs fastscore once to compile (that time is
reported apart), checks that fastscore and each anchor give the same numbers
(to the family's tolerance), then times them interleaved and reports medians
and the ratio anchor / fastscore. ``compare`` turns two saved runs into a
regression gate on the ratios (not on absolute times, so it holds on a noisy
or different machine).

The pytest-benchmark suites in ``bench/`` hold the detailed benchmarks of the
family issues; this module is the quick, installable view of the same
comparisons.
"""
from __future__ import annotations

import importlib
import json
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Anchor:
    name: str
    module: str  # what must import for the anchor to run
    pip: str  # how to install it
    run: Callable
    agrees: Callable  # (ours, theirs) -> bool


@dataclass
class Case:
    family: str
    kernel: str
    sizes: dict  # "quick" / "full" -> size; "scaling" -> list of sizes
    make: Callable  # size -> data
    ours: Callable  # data -> result
    anchors: list = field(default_factory=list)
    complexity: str = "n"


@dataclass
class Row:
    family: str
    kernel: str
    size: int
    fastscore_s: float
    compile_s: float
    anchor: str | None = None
    anchor_s: float | None = None
    ratio: float | None = None
    agreed: bool | None = None
    skipped: str | None = None


def _median_time(function, data, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(data)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _available(module: str) -> bool:
    try:
        importlib.import_module(module)
        return True
    except Exception:  # an anchor that fails to import (missing, or broken) is skipped, not fatal
        return False


# ------------------------------------------------------------------ the cases

def _calibration_cases():
    from .calibration import calibration_report, smooth_ece

    def make(n):
        rng = np.random.default_rng(0)
        p = rng.random(n)
        return (rng.random(n) < p ** 1.2).astype(np.int64), p

    def numpy_ece(data):
        y, p = data
        edges = np.linspace(0.0, 1.0, 16)
        bins = np.searchsorted(edges[1:-1], p, side="right")
        count = np.bincount(bins, minlength=15)
        return float(np.abs(np.bincount(bins, weights=y, minlength=15) - np.bincount(bins, weights=p, minlength=15)).sum()
                     / count.sum())

    def relplot_smece(data):
        import relplot

        y, p = data
        return float(relplot.smECE(p, y))

    def ours_kde(data):
        from .calibration import kde_ece

        return kde_ece(*data)

    return [
        Case("calibration", "KDE-ECE (no installable anchor)", {"quick": 5_000, "full": 100_000,
                                                                "scaling": [10 ** 3, 10 ** 4, 10 ** 5]},
             make, ours_kde),
        Case("calibration", "binned ECE report (binary)", {"quick": 100_000, "full": 10_000_000,
                                                           "scaling": [10 ** 4, 10 ** 5, 10 ** 6, 10 ** 7]},
             make, lambda d: calibration_report(*d).ece,
             [Anchor("numpy searchsorted+bincount", "numpy", "numpy", numpy_ece, lambda a, b: abs(a - b) < 1e-12)]),
        Case("calibration", "smooth ECE", {"quick": 20_000, "full": 1_000_000, "scaling": [10 ** 4, 10 ** 5, 10 ** 6]},
             make, lambda d: smooth_ece(*d),
             [Anchor("relplot.smECE", "relplot", "pip install relplot", relplot_smece, lambda a, b: abs(a - b) < 1e-9)]),
    ]


def _diversity_cases():
    from .diversity import vendi_score

    def make(n):
        return np.random.default_rng(0).normal(size=(n, 64))

    def vendi_anchor(X):
        from vendi_score import vendi

        return float(vendi.score_X(X))

    return [Case("diversity", "cosine Vendi score (d = 64)", {"quick": 500, "full": 4000, "scaling": [500, 1000, 2000, 4000]},
                 make, lambda X: vendi_score(X),
                 [Anchor("vendi-score score_X", "vendi_score", "pip install vendi-score", vendi_anchor,
                         lambda a, b: abs(a - b) <= 1e-8 * abs(b))], complexity="n d^2")]


def _ranking_cases():
    from .ranking import borda, bradley_terry, margin_matrix

    def battles(n):
        rng = np.random.default_rng(0)
        m = 30
        a = rng.integers(0, m, n)
        b = (a + rng.integers(1, m, n)) % m
        strength = rng.normal(size=m)
        won = rng.random(n) < 1 / (1 + np.exp(strength[b] - strength[a]))
        return a, b, won.astype(np.float64)

    def ours_bt(data):
        board = bradley_terry(*data)
        theta = np.zeros(board.models.size)
        theta[board.models.astype(int)] = (board.rating - 1000.0) / 400.0 * np.log(10.0)
        return theta - theta.mean()

    def choix_bt(data):
        import choix

        a, b, won = data
        m = int(max(a.max(), b.max())) + 1
        counts = np.zeros((m, m))
        np.add.at(counts, (np.where(won == 1, a, b), np.where(won == 1, b, a)), 1.0)
        params = choix.ilsr_pairwise_dense(counts, tol=1e-10)
        return params - params.mean()

    def profile(n):
        return np.argsort(np.random.default_rng(0).random((n, 50)), axis=1)

    def pref_voting_borda(rankings):
        from pref_voting.profiles import Profile

        profile_ = Profile(rankings.tolist())
        scores = profile_.borda_scores()
        return np.array([scores[c] for c in range(rankings.shape[1])], dtype=float), np.asarray(profile_.margin_matrix)

    def ours_elo(data):
        from .ranking import elo

        return elo(*data).rating

    return [
        Case("ranking", "online Elo (no installable anchor)", {"quick": 20_000, "full": 1_000_000,
                                                               "scaling": [10 ** 4, 10 ** 5, 10 ** 6]},
             battles, ours_elo),
        Case("ranking", "Bradley-Terry fit (no ties)", {"quick": 20_000, "full": 1_000_000,
                                                        "scaling": [10 ** 4, 10 ** 5, 10 ** 6]},
             battles, ours_bt,
             [Anchor("choix ilsr_pairwise_dense", "choix", "pip install choix", choix_bt,
                     lambda a, b: np.abs(a - b).max() < 1e-6)]),
        Case("ranking", "Borda scores + margin matrix (50 items)", {"quick": 500, "full": 10_000,
                                                                     "scaling": [1000, 3000, 10_000]},
             profile, lambda r: (borda(r).scores, margin_matrix(r)),
             [Anchor("pref_voting Profile", "pref_voting", "pip install pref_voting", pref_voting_borda,
                     lambda a, b: np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]))]),
    ]


def _detection_cases():
    from .detection import batch_linear_sum_assignment, box_iou, evaluate_detections

    def coco(n_images):
        rng = np.random.default_rng(0)
        gt_img = np.repeat(np.arange(n_images), 7)
        gt_box = np.column_stack([rng.uniform(0, 500, (gt_img.size, 2)), rng.uniform(4, 150, (gt_img.size, 2))]).round(2)
        gt = {"image_id": gt_img, "category_id": rng.integers(1, 11, gt_img.size), "bbox": gt_box,
              "iscrowd": (rng.random(gt_img.size) < 0.01).astype(int), "id": np.arange(1, gt_img.size + 1)}
        src = rng.integers(0, gt_img.size, 40 * n_images)
        dt_box = gt_box[src] + rng.normal(0, 6, (src.size, 4))
        dt_box[:, 2:] = np.abs(dt_box[:, 2:]) + 1
        dt = {"image_id": gt_img[src], "category_id": np.where(rng.random(src.size) < 0.8, gt["category_id"][src],
                                                                rng.integers(1, 11, src.size)),
              "bbox": dt_box.round(2), "score": rng.random(src.size).round(3)}
        gt["area"] = gt_box[:, 2] * gt_box[:, 3]
        return gt, dt

    def pycocotools_stats(data):
        import contextlib
        import io

        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval

        gt, dt = data
        with contextlib.redirect_stdout(io.StringIO()):
            coco_gt = COCO()
            coco_gt.dataset = {
                "images": [{"id": int(i)} for i in np.unique(gt["image_id"])],
                "categories": [{"id": c} for c in range(1, 11)],
                "annotations": [{"id": int(i), "image_id": int(im), "category_id": int(c), "bbox": [float(v) for v in b],
                                 "area": float(ar), "iscrowd": int(cr)} for i, im, c, b, ar, cr in
                                zip(gt["id"], gt["image_id"], gt["category_id"], gt["bbox"], gt["area"], gt["iscrowd"])]}
            coco_gt.createIndex()
            results = [{"image_id": int(im), "category_id": int(c), "bbox": [float(v) for v in b], "score": float(s)}
                       for im, c, b, s in zip(dt["image_id"], dt["category_id"], dt["bbox"], dt["score"])]
            ev = COCOeval(coco_gt, coco_gt.loadRes(results), "bbox")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        return np.asarray(ev.stats)

    def ours_coco(data):
        gt, dt = data
        return evaluate_detections(gt, dt, category_ids=np.arange(1, 11)).stats

    def boxes(n):
        rng = np.random.default_rng(0)
        return (np.column_stack([rng.uniform(0, 500, (n, 2)), rng.uniform(1, 100, (n, 2))]),
                np.column_stack([rng.uniform(0, 500, (n, 2)), rng.uniform(1, 100, (n, 2))]))

    def mask_iou(data):
        from pycocotools import mask

        return mask.iou(data[0].tolist(), data[1].tolist(), [0] * len(data[1]))

    def costs(n):
        return np.random.default_rng(0).random((n, 20, 20))

    def scipy_loop(c):
        from scipy.optimize import linear_sum_assignment

        return np.array([c[i][linear_sum_assignment(c[i])].sum() for i in range(len(c))])

    def ours_lsa(c):
        rows, cols = batch_linear_sum_assignment(c)
        return np.take_along_axis(c, cols[:, :, None], axis=2)[:, :, 0].sum(axis=1)

    return [
        Case("detection", "COCO bbox evaluate+accumulate", {"quick": 30, "full": 2000, "scaling": [100, 300, 1000]},
             coco, ours_coco,
             [Anchor("pycocotools COCOeval", "pycocotools", "pip install pycocotools", pycocotools_stats,
                     lambda a, b: np.array_equal(a, b))]),
        Case("detection", "box IoU matrix (xywh)", {"quick": 300, "full": 3000, "scaling": [300, 1000, 3000]},
             boxes, lambda d: box_iou(*d, box_format="xywh"),
             [Anchor("pycocotools.mask.iou", "pycocotools", "pip install pycocotools", mask_iou,
                     lambda a, b: np.array_equal(a, b))], complexity="n^2"),
        Case("detection", "batched 20 x 20 assignment", {"quick": 1000, "full": 10_000, "scaling": [1000, 3000, 10_000]},
             costs, ours_lsa,
             [Anchor("scipy linear_sum_assignment loop", "scipy", "pip install scipy", scipy_loop,
                     lambda a, b: np.allclose(a, b, rtol=0, atol=1e-9))]),
    ]


FAMILIES = {"calibration": _calibration_cases, "diversity": _diversity_cases, "ranking": _ranking_cases,
            "detection": _detection_cases}


def run(families=None, *, mode="quick", repeats=None) -> list[Row]:
    """Run the cases of ``families`` (default: all) at the "quick" or "full" sizes."""
    rows = []
    for family in families or FAMILIES:
        if family not in FAMILIES:
            raise ValueError(f"unknown family {family!r}; choose from {list(FAMILIES)}.")
        for case in FAMILIES[family]():
            size = case.sizes[mode]
            data = case.make(size)
            start = time.perf_counter()
            ours = case.ours(data)  # the first call compiles (or loads the Numba cache)
            compile_s = time.perf_counter() - start
            runs = repeats or (3 if mode == "quick" else 5)
            ours_s = _median_time(case.ours, data, runs)
            if not case.anchors:
                rows.append(Row(family, case.kernel, size, ours_s, compile_s))
            for anchor in case.anchors:
                if not _available(anchor.module):
                    rows.append(Row(family, case.kernel, size, ours_s, compile_s, anchor.name,
                                    skipped=f"not installed: {anchor.pip}"))
                    continue
                theirs = anchor.run(data)  # a warm-up (anchors may compile too); its result is compared
                anchor_runs = 1 if _median_time(anchor.run, data, 1) > 2.0 else runs
                # interleaved: fastscore and the anchor alternate, so a slow spell hits both
                ours_times, anchor_times = [], []
                for _ in range(anchor_runs):
                    ours_times.append(_median_time(case.ours, data, 1))
                    anchor_times.append(_median_time(anchor.run, data, 1))
                ours_med, anchor_med = float(np.median(ours_times + [ours_s])), float(np.median(anchor_times))
                rows.append(Row(family, case.kernel, size, ours_med, compile_s, anchor.name, anchor_med,
                                anchor_med / ours_med, bool(anchor.agrees(ours, theirs))))
    return rows


def scaling(families=None) -> list[dict]:
    """fastscore's time at growing sizes and the log-log slope, beside the claimed complexity."""
    out = []
    for family in families or FAMILIES:
        for case in FAMILIES[family]():
            sizes = case.sizes["scaling"]
            times = []
            for size in sizes:
                data = case.make(size)
                case.ours(data)
                times.append(_median_time(case.ours, data, 3))
            slope = float(np.polyfit(np.log(sizes), np.log(times), 1)[0])
            out.append({"family": family, "kernel": case.kernel, "sizes": sizes, "seconds": times,
                        "slope": slope, "claimed": case.complexity})
    return out


def format_table(rows: list[Row], markdown: bool = False, memory: dict | None = None) -> str:
    """The rows as a table; with ``memory`` ({(family, kernel, anchor or None): MB}, see add_memory),
    two more columns: the peak extra memory of fastscore and of the anchor."""
    header = ("family", "kernel", "size", "fastscore", "first call", "anchor", "anchor time", "ratio",
              "same numbers") + (("fastscore MB", "anchor MB") if memory is not None else ())
    lines = []
    for r in rows:
        if r.skipped:
            lines.append((r.family, r.kernel, f"{r.size:,}", _ms(r.fastscore_s), _ms(r.compile_s), r.anchor,
                          r.skipped, "", ""))
        else:
            lines.append((r.family, r.kernel, f"{r.size:,}", _ms(r.fastscore_s), _ms(r.compile_s), r.anchor or "",
                          _ms(r.anchor_s), "" if r.ratio is None else f"{r.ratio:.1f}x",
                          "" if r.agreed is None else ("yes" if r.agreed else "NO")))
        if memory is not None:
            ours, theirs = memory.get((r.family, r.kernel, None)), memory.get((r.family, r.kernel, r.anchor))
            lines[-1] = lines[-1] + ("" if ours is None else f"{ours:.1f}",
                                     "" if theirs is None or r.anchor is None else f"{theirs:.1f}")
    if markdown:
        return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                         + ["| " + " | ".join(str(c) for c in line) + " |" for line in lines])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths)) for line in [header, *lines])


def _ms(seconds) -> str:
    return "" if seconds is None else f"{seconds * 1e3:.1f} ms"


def save(rows: list[Row], path) -> None:
    with open(path, "w") as f:
        json.dump({"rows": [asdict(r) for r in rows]}, f, indent=2)


def compare(rows: list[Row], baseline_path, max_regression: float = 0.15) -> list[str]:
    """Kernels whose ratio to an anchor fell by more than ``max_regression`` against the baseline,
    or whose numbers stopped agreeing (an empty list: the gate passes). A kernel without an
    anchor is compared by its own time (meaningful between runs on the same machine)."""
    with open(baseline_path) as f:
        base = {(r["family"], r["kernel"], r["anchor"]): r for r in json.load(f)["rows"]}
    problems = []
    for r in rows:
        if r.agreed is False:
            problems.append(f"{r.family} / {r.kernel}: fastscore and {r.anchor} no longer give the same numbers")
        old = base.get((r.family, r.kernel, r.anchor))
        if r.anchor is None and old is not None and old.get("fastscore_s"):
            # no anchor: fastscore against its own earlier run (times: compare runs on one machine)
            if r.fastscore_s > old["fastscore_s"] / (1.0 - max_regression):
                problems.append(f"{r.family} / {r.kernel}: {r.fastscore_s * 1e3:.1f} ms, baseline "
                                f"{old['fastscore_s'] * 1e3:.1f} ms ({(r.fastscore_s / old['fastscore_s'] - 1) * 100:.0f}% slower)")
            continue
        if old is None or old.get("ratio") is None or r.ratio is None:
            continue
        if r.ratio < old["ratio"] * (1.0 - max_regression):
            problems.append(f"{r.family} / {r.kernel} vs {r.anchor}: ratio {r.ratio:.2f}x, baseline {old['ratio']:.2f}x "
                            f"({(1 - r.ratio / old['ratio']) * 100:.0f}% worse)")
    return problems


def parse_fraction(text: str) -> float:
    """'15%' or '0.15' -> 0.15."""
    value = float(text.rstrip("%")) / (100.0 if text.endswith("%") else 1.0)
    if not 0 <= value < 1 or math.isnan(value):
        raise ValueError(f"--max-regression must be a fraction in [0, 1) such as 15% or 0.15, got {text!r}.")
    return value


def _resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096  # resident pages (Linux)


def _peak_child(family, case_index, anchor_index, mode, queue):
    """In a fresh process: the peak extra resident memory (bytes) of one call, data already built.

    A thread samples the resident set every 0.2 ms during the call; the peak
    minus the resident set before the call is the extra memory (memory the
    allocator reuses from earlier frees is not counted, on either side)."""
    import threading

    case = FAMILIES[family]()[case_index]
    data = case.make(case.sizes[mode])
    function = case.ours if anchor_index < 0 else case.anchors[anchor_index].run
    function(data)  # warm-up: compilation and imports are not what we measure
    before = _resident_bytes()
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _resident_bytes())
            time.sleep(0.0002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    function(data)
    done.set()
    sampler.join()
    queue.put(max(peak[0] - before, 0))


def peak_memory(family: str, case_index: int, anchor_index: int = -1, mode: str = "quick") -> float:
    """Peak extra memory in MB of fastscore (anchor_index = -1) or an anchor on a case, measured in a fresh
    process (the resident set, so memory allocated by compiled code counts too; Linux only)."""
    import multiprocessing as mp

    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_peak_child, args=(family, case_index, anchor_index, mode, queue))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the memory probe of {family} case {case_index} failed (exit code {process.exitcode}).")
    return queue.get() / 1e6


def add_memory(rows: list[Row], mode: str) -> dict:
    """{(family, kernel, anchor or None): MB} for every row (fastscore once per kernel)."""
    memory = {}
    for family in dict.fromkeys(r.family for r in rows):
        for index, case in enumerate(FAMILIES[family]()):
            memory[(family, case.kernel, None)] = peak_memory(family, index, -1, mode)
            for a, anchor in enumerate(case.anchors):
                if _available(anchor.module):
                    memory[(family, case.kernel, anchor.name)] = peak_memory(family, index, a, mode)
    return memory


def plot(rows: list[Row], scaling_entries: list[dict], path) -> None:
    """Speed-up of fastscore over each anchor (log scale) and fastscore's scaling curves, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = [r for r in rows if r.ratio is not None]
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 0.45 * max(len(timed), 8) + 1.5))
    labels = [f"{r.kernel}\nvs {r.anchor}" for r in timed]
    left.barh(range(len(timed)), [r.ratio for r in timed], color="tab:blue")
    left.set_xscale("log")
    left.axvline(1.0, color="grey", lw=1)
    left.set_yticks(range(len(timed)), labels, fontsize=7)
    left.invert_yaxis()
    left.set_xlabel("speed-up: anchor time / fastscore time (log)")
    for entry in scaling_entries:
        right.loglog(entry["sizes"], entry["seconds"], marker="o", label=f"{entry['kernel']} ({entry['slope']:.2f})")
    right.set_xlabel("size (items, predictions, battles, images, ...)")
    right.set_ylabel("fastscore seconds")
    right.legend(fontsize=6, title="kernel (log-log slope)", title_fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
