"""``fastscore bench``: fastscore against each installed anchor, same data, same process.

Every case builds its data, runs fastscore once (the first call, reported
apart), checks that fastscore and each anchor give the same numbers (to the
family's tolerance), then times them interleaved and reports medians and the
ratio anchor / fastscore. ``cold=True`` (``--cold``) also times each side in
a fresh process with an empty JIT cache: the import of the library plus its
first call, as a script that runs once per container pays them.
``compare`` turns two saved runs into a regression gate on the ratios (not on
absolute times, so it holds on a noisy or different machine).

Sizes: ``quick`` (the default) runs in seconds; ``full`` uses the sizes of
the README's table (see ``FULL_SIZES``): 10^7 predictions for the binned
report, 10^6 for smooth ECE (miscalibrated and well calibrated) and the
one-sort estimators, 10^5 for KDE-ECE; 4,000 Vendi samples of 64 features;
10^6 Arena battles (100 models), 10^6 integer-coded battles (30 models),
10^4 rankings of 50 items, exact Kemeny of 20 items; 2,000 COCO images (and
5,000, COCO val2017's size, end to end from files, full-precision boxes),
3,000 x 3,000 box IoU, 10^4 assignment problems of 20 x 20; comparisons:
5,000 COCO images x 2 models x 1,000 replicates (against one pycocotools
evaluation of one model), 10,000 paired scores x 9,999 replicates, 10^6
predictions x 1,000 replicates.

The pytest-benchmark suites in ``bench/`` hold the detailed benchmarks of the
family issues; this module is the quick, installable view of the same
comparisons.
"""
from __future__ import annotations

import gc
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
    module: str  # what must import for the anchor to run (comma-separated when several)
    pip: str  # how to install it
    run: Callable
    agrees: Callable  # (ours, theirs, data) -> bool
    extra: str = "test"  # the extra that installs it: "test" (so CI runs it) or "bench"


@dataclass
class Case:
    family: str
    kernel: str
    sizes: dict  # "quick" / "full" -> size; "scaling" / "scaling_full" -> lists of sizes
    make: Callable  # size -> data
    ours: Callable  # data -> result
    anchors: list = field(default_factory=list)
    complexity: str = "n"
    requires: str = ""  # modules the case itself needs (comma-separated), e.g. pandas for a DataFrame


@dataclass
class Row:
    family: str
    kernel: str
    size: int
    fastscore_s: float | None
    compile_s: float | None
    anchor: str | None = None
    anchor_s: float | None = None
    ratio: float | None = None
    agreed: bool | None = None
    skipped: str | None = None
    cold_s: float | None = None  # fresh process, empty JIT cache: import + first call (--cold)
    anchor_cold_s: float | None = None


def _median_time(function, data, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(data)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _available(modules: str) -> bool:
    for module in filter(None, modules.split(",")):
        try:
            importlib.import_module(module)
        except Exception:  # an anchor that fails to import (missing, or broken) is skipped, not fatal
            return False
    return True


def _quiet(function):
    """Run ``function()`` with its stdout (pycocotools' progress lines) swallowed."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        return function()


def _close(tolerance, relative=False):
    """agrees(): every number within ``tolerance`` (absolute, or relative to the anchor's)."""
    def agrees(ours, theirs, data):
        ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
        bound = tolerance * np.abs(theirs) if relative else tolerance
        return ours.shape == theirs.shape and bool(np.all(np.abs(ours - theirs) <= bound))
    return agrees


def _equal(ours, theirs, data):
    return bool(np.array_equal(np.asarray(ours), np.asarray(theirs)))


# ------------------------------------------------------------------ the cases

def _calibration_cases():
    from .calibration import ace, calibration_report, kde_ece, smooth_ece, sorted_estimates

    def make(n):
        rng = np.random.default_rng(0)
        p = rng.random(n)
        return (rng.random(n) < p ** 1.2).astype(np.int64), p

    def make_calibrated(n):  # y ~ Bernoulli(p): the bandwidth search ends near sigma = 0.004 at 10^6
        rng = np.random.default_rng(1)
        p = rng.random(n)
        return (rng.random(n) < p).astype(np.int64), p

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

    def netcal_ace(data):
        from netcal.metrics import ACE

        y, p = data
        return float(ACE(bins=10).measure(p, y))

    def same_ace(ours, theirs, data):  # sorted_estimates' companion: netcal's ACE definition (fastscore.calibration.ace)
        return abs(ace(*data) - theirs) <= 1e-9 * abs(theirs)

    return [
        Case("calibration", "KDE-ECE (no installable anchor)",
             {"quick": 5_000, "full": 100_000, "scaling": [10 ** 3, 10 ** 4, 10 ** 5],
              "scaling_full": [10 ** 3, 10 ** 4, 10 ** 5, 10 ** 6]},
             make, lambda d: kde_ece(*d)),
        Case("calibration", "binned ECE report (binary)",
             {"quick": 100_000, "full": 10_000_000, "scaling": [10 ** 4, 10 ** 5, 10 ** 6, 10 ** 7],
              "scaling_full": [10 ** 4, 10 ** 5, 10 ** 6, 10 ** 7, 10 ** 8]},
             make, lambda d: calibration_report(*d).ece,
             [Anchor("numpy searchsorted+bincount", "numpy", "numpy", numpy_ece, _close(1e-12))]),
        Case("calibration", "smooth ECE",
             {"quick": 20_000, "full": 1_000_000, "scaling": [10 ** 4, 10 ** 5, 10 ** 6],
              "scaling_full": [10 ** 4, 10 ** 5, 10 ** 6, 10 ** 7]},
             make, lambda d: smooth_ece(*d),
             [Anchor("relplot.smECE", "relplot", "pip install relplot", relplot_smece, _close(1e-9))]),
        Case("calibration", "smooth ECE (well calibrated: small searched bandwidth)",
             {"quick": 20_000, "full": 1_000_000, "scaling": [10 ** 4, 10 ** 5, 10 ** 6],
              "scaling_full": [10 ** 4, 10 ** 5, 10 ** 6, 10 ** 7]},
             make_calibrated, lambda d: smooth_ece(*d),
             [Anchor("relplot.smECE", "relplot", "pip install relplot", relplot_smece, _close(1e-9, relative=True))]),
        Case("calibration", "adaptive ECE + KS + MMCE (one sort)",
             {"quick": 20_000, "full": 1_000_000, "scaling": [10 ** 4, 10 ** 5, 10 ** 6],
              "scaling_full": [10 ** 4, 10 ** 5, 10 ** 6, 10 ** 7]},
             make, lambda d: sorted_estimates(*d),
             [Anchor("netcal ACE alone", "netcal.metrics", "pip install netcal (or the bench extra)", netcal_ace,
                     same_ace, extra="bench")], complexity="n log n"),
    ]


def _diversity_cases():
    from .diversity import vendi_score

    def make(n):
        return np.random.default_rng(0).normal(size=(n, 64))

    def vendi_anchor(X):
        from vendi_score import vendi

        return float(vendi.score_X(X))

    def sklearn_rbf_score_k(X):
        from sklearn.metrics.pairwise import rbf_kernel
        from vendi_score import vendi

        return float(vendi.score_K(rbf_kernel(X)))  # gamma = 1 / d, fastscore's default too

    return [
        Case("diversity", "cosine Vendi score (d = 64, dual path)",
             {"quick": 500, "full": 4000, "scaling": [500, 1000, 2000, 4000],
              "scaling_full": [10 ** 3, 10 ** 4, 10 ** 5, 10 ** 6]},
             make, lambda X: vendi_score(X),
             [Anchor("vendi-score score_X", "vendi_score", "pip install vendi-score", vendi_anchor,
                     _close(1e-8, relative=True))], complexity="n d^2"),
        Case("diversity", "RBF Vendi score (d = 64)",
             {"quick": 300, "full": 4000, "scaling": [250, 500, 1000, 2000],
              "scaling_full": [500, 1000, 2000, 4000]},
             make, lambda X: vendi_score(X, kernel="rbf"),
             [Anchor("scikit-learn rbf_kernel + score_K", "sklearn,vendi_score", "pip install scikit-learn vendi-score",
                     sklearn_rbf_score_k, _close(1e-8, relative=True))], complexity="n^3"),
    ]


class _Battles:
    """Arena-style battles (a categorical DataFrame) and evalica's input form, built once on first use."""

    def __init__(self, n_battles, n_models=100):
        from .datasets.synthetic import arena_battles

        self.frame = arena_battles(n_battles, n_models, ties=0.15, seed=0)
        self._evalica = None

    def evalica_inputs(self):
        if self._evalica is None:  # evalica's documented form: the two columns, a Winner list, a prebuilt index
            import evalica
            import pandas as pd

            outcome = {"model_a": evalica.Winner.X, "model_b": evalica.Winner.Y, "tie": evalica.Winner.Draw}
            self._evalica = (self.frame.model_a, self.frame.model_b, [outcome[w] for w in self.frame.winner],
                             pd.Index(self.frame.model_a.cat.categories))
        return self._evalica


def _ranking_cases():
    from .ranking import _arena_baseline as arena
    from .ranking import borda, bradley_terry, elo, kemeny, margin_matrix

    def as_dict(board):
        return dict(zip(board.models.tolist(), board.rating.tolist()))

    def same_ratings(tolerance, centred=False):
        def agrees(ours, theirs, data):
            names = sorted(theirs)
            if sorted(ours) != names:
                return False
            a, b = np.array([ours[k] for k in names]), np.array([theirs[k] for k in names])
            if centred:
                a, b = a - a.mean(), b - b.mean()
            return bool(np.abs(a - b).max() <= tolerance)
        return agrees

    def same_as_converged_arena(ours, theirs, data):
        # Arena's L-BFGS-B stops early (gtol 1e-6): up to ~0.01 points from its own optimum on small sets.
        # What is timed is that algorithm; the numbers are checked against its fit run to convergence.
        frame = data.frame
        return same_ratings(1e-3)(ours, arena.compute_bt(frame.model_a, frame.model_b, frame.winner, converge=True),
                                  data)

    def evalica_elo(data):
        import evalica

        xs, ys, winners, index = data.evalica_inputs()
        return evalica.elo(xs, ys, winners, index=index).scores.to_dict()

    def evalica_bt(data):
        import evalica

        xs, ys, winners, index = data.evalica_inputs()
        scores = evalica.bradley_terry(xs, ys, winners, index=index).scores
        return (np.log(scores) * 400.0 / np.log(10.0)).to_dict()  # its exp scale to Arena's rating points

    def battles(n):
        rng = np.random.default_rng(0)
        m = 30
        a = rng.integers(0, m, n)
        b = (a + rng.integers(1, m, n)) % m
        strength = rng.normal(size=m)
        won = rng.random(n) < 1 / (1 + np.exp(strength[b] - strength[a]))
        return a, b, won.astype(np.float64)

    def ours_bt_codes(data):
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

    def borda_agrees(ours, theirs, data):
        return bool(np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1]))

    def kemeny_profile(m):  # 200 noisy copies of one order: the exact dynamic program over 2^m subsets
        rng = np.random.default_rng(0)
        return np.argsort(np.arange(m) + rng.normal(0, m / 4, (200, m)), axis=1)

    arena_sizes = {"quick": 20_000, "full": 1_000_000, "scaling": [10 ** 4, 10 ** 5, 10 ** 6],
                   "scaling_full": [10 ** 4, 10 ** 5, 10 ** 6, 10 ** 7]}
    return [
        Case("ranking", "online Elo (100 models, categorical DataFrame)", arena_sizes, _Battles,
             lambda d: as_dict(elo(d.frame)),
             [Anchor("Arena compute_elo (baseline)", "pandas,scipy", "pip install pandas",
                     lambda d: arena.current_compute_elo(d.frame), same_ratings(0.0)),
              Anchor("evalica elo", "evalica", "pip install evalica (or the bench extra)", evalica_elo,
                     same_ratings(1e-6), extra="bench")], requires="pandas"),
        Case("ranking", "Bradley-Terry fit (100 models, 15 % ties, categorical)", arena_sizes, _Battles,
             lambda d: as_dict(bradley_terry(d.frame)),
             [Anchor("Arena compute_bt (baseline)", "pandas,scipy", "pip install pandas",
                     lambda d: arena.compute_bt(d.frame.model_a, d.frame.model_b, d.frame.winner),
                     same_as_converged_arena),
              Anchor("evalica bradley_terry", "evalica", "pip install evalica (or the bench extra)", evalica_bt,
                     same_ratings(1e-3, centred=True), extra="bench")], requires="pandas"),
        Case("ranking", "Bradley-Terry fit (30 models, integer codes, no ties)",
             {"quick": 20_000, "full": 1_000_000, "scaling": [10 ** 4, 10 ** 5, 10 ** 6]},
             battles, ours_bt_codes,
             [Anchor("choix ilsr_pairwise_dense", "choix", "pip install choix", choix_bt, _close(1e-6))]),
        Case("ranking", "Borda scores + margin matrix (50 items)",
             {"quick": 500, "full": 10_000, "scaling": [1000, 3000, 10_000],
              "scaling_full": [1000, 10_000, 100_000, 1_000_000]},
             profile, lambda r: (borda(r).scores, margin_matrix(r)),
             [Anchor("pref_voting Profile", "pref_voting", "pip install pref_voting", pref_voting_borda,
                     borda_agrees)]),
        Case("ranking", "exact Kemeny, m items (no installable anchor)",
             {"quick": 10, "full": 20, "scaling": [10, 12, 14, 16], "scaling_full": [12, 14, 16, 18, 20]},
             kemeny_profile, lambda r: kemeny(r).order, complexity="2^m m^2"),
    ]


class _CocoFiles:
    """The synthetic COCO-like set in two JSON files, and each library's COCO objects (loaded once)."""

    LIBRARIES = {  # name: (module of COCO, COCO, module of COCOeval, COCOeval)
        "fastscore": ("fastscore.compat.pycocotools", "COCO", "fastscore.compat.pycocotools", "COCOeval"),
        "pycocotools": ("pycocotools.coco", "COCO", "pycocotools.cocoeval", "COCOeval"),
        "faster_coco_eval": ("faster_coco_eval", "COCO", "faster_coco_eval", "COCOeval_faster"),
        "ultrafast_pycocotools": ("ultrafast_pycocotools", "COCO", "ultrafast_pycocotools", "COCOeval"),
    }

    def __init__(self, n_images, iou_type="bbox", with_candidate=False):
        import tempfile

        from .datasets import synthetic

        maker = {"bbox": synthetic.coco_like_set, "segm": synthetic.coco_segm_like_set,
                 "keypoints": synthetic.coco_keypoints_like_set}[iou_type]
        self.iou_type = iou_type
        self._folder = tempfile.TemporaryDirectory(prefix="fastscore-bench-")
        self.gt_path, self.dt_path = (str(p) for p in synthetic.write_coco_set(self._folder.name, maker,
                                                                             n_images=n_images))
        self._loaded = {}
        self.candidate_path = None
        if with_candidate:  # a second detector's results on the same images (synthetic.second_detector)
            self.candidate_path = f"{self._folder.name}/dt_candidate.json"
            with open(self.dt_path) as f:
                results = json.load(f)
            with open(self.candidate_path, "w") as f:
                json.dump(synthetic.second_detector(results), f)

    @classmethod
    def classes(cls, library):
        coco_module, coco, eval_module, coco_eval = cls.LIBRARIES[library]
        return (getattr(importlib.import_module(coco_module), coco),
                getattr(importlib.import_module(eval_module), coco_eval))

    def load(self, library):
        coco = self.classes(library)[0]
        gt = _quiet(lambda: coco(self.gt_path))
        return gt, _quiet(lambda: gt.loadRes(self.dt_path))

    def loaded(self, library):
        if library not in self._loaded:
            self._loaded[library] = self.load(library)
        return self._loaded[library]

    def evaluate(self, library, gt, dt):
        def run():
            coco_eval = self.classes(library)[1](gt, dt, self.iou_type)
            coco_eval.evaluate()
            coco_eval.accumulate()
            coco_eval.summarize()
            return np.asarray(coco_eval.stats)

        return _quiet(run)


def _detection_cases():
    from .detection import batch_linear_sum_assignment, box_iou

    def evaluation(library):
        return lambda files: files.evaluate(library, *files.loaded(library))

    def loading(library):
        return lambda files: files.load(library)

    def same_annotations(ours, theirs, data):  # checked after the timing: lazy readers stay lazy while timed
        def ids(loaded):
            return _quiet(lambda: (sorted(loaded[0].getAnnIds()), len(loaded[1].getAnnIds()), sorted(loaded[0].getImgIds())))
        return ids(ours) == ids(theirs)

    def end_to_end(library):
        return lambda files: files.evaluate(library, *files.load(library))

    pip = {"pycocotools": ("pycocotools", "pip install pycocotools", "test"),
           "faster_coco_eval": ("faster_coco_eval", "pip install faster-coco-eval (or the bench extra)", "bench"),
           "ultrafast_pycocotools": ("ultrafast_pycocotools", "pip install ultrafast-pycocotools (or the bench extra)",
                                     "bench")}

    def peers(make_function, libraries=tuple(pip), agrees=None):
        # faster-coco-eval's stats can differ from pycocotools' in the last bit (seen on small sets)
        return [Anchor(library, pip[library][0], pip[library][1], make_function(library),
                       agrees or (_close(1e-12) if library == "faster_coco_eval" else _equal), extra=pip[library][2])
                for library in libraries]

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

    coco_sizes = {"quick": 30, "full": 2000, "scaling": [100, 300, 1000], "scaling_full": [100, 300, 1000, 2000, 5000]}
    return [
        Case("detection", "COCO bbox evaluate+accumulate+summarize (80 classes, ~100 dets/image)", coco_sizes,
             _CocoFiles, evaluation("fastscore"), peers(evaluation)),
        Case("detection", "COCO(gt) + loadRes(dt) from JSON files", coco_sizes, _CocoFiles, loading("fastscore"),
             peers(loading, agrees=same_annotations)),
        Case("detection", "COCO end to end from files", coco_sizes, _CocoFiles, end_to_end("fastscore"),
             peers(end_to_end, ("faster_coco_eval", "ultrafast_pycocotools"))),
        Case("detection", "COCO end to end from files, COCO val2017's size (full-precision boxes)",
             {"quick": 60, "full": 5000, "scaling": [300, 1000], "scaling_full": [1000, 5000]},
             _CocoFiles, end_to_end("fastscore"), peers(end_to_end, ("ultrafast_pycocotools",))),
        Case("detection", "COCO segm evaluate+accumulate+summarize (polygon ground truth, ~100 RLE masks/image)",
             {"quick": 30, "full": 5000, "scaling": [100, 300, 1000], "scaling_full": [300, 1000, 5000]},
             lambda n: _CocoFiles(n, "segm"), evaluation("fastscore"),
             peers(evaluation, ("pycocotools", "ultrafast_pycocotools"))),
        Case("detection", "COCO segm end to end from files (~100 RLE masks/image)",
             {"quick": 30, "full": 5000, "scaling": [100, 300, 1000], "scaling_full": [300, 1000, 5000]},
             lambda n: _CocoFiles(n, "segm"), end_to_end("fastscore"), peers(end_to_end, ("ultrafast_pycocotools",))),
        Case("detection", "COCO keypoints evaluate+accumulate+summarize (17 keypoints, ~20 results/image)",
             {"quick": 30, "full": 5000, "scaling": [100, 300, 1000], "scaling_full": [300, 1000, 5000]},
             lambda n: _CocoFiles(n, "keypoints"), evaluation("fastscore"),
             peers(evaluation, ("pycocotools", "ultrafast_pycocotools"))),
        Case("detection", "box IoU matrix (xywh)",
             {"quick": 300, "full": 3000, "scaling": [300, 1000, 3000], "scaling_full": [300, 1000, 3000, 10_000]},
             boxes, lambda d: box_iou(*d, box_format="xywh"),
             [Anchor("pycocotools.mask.iou", "pycocotools", "pip install pycocotools", mask_iou, _equal)],
             complexity="n^2"),
        Case("detection", "batched 20 x 20 assignment",
             {"quick": 1000, "full": 10_000, "scaling": [1000, 3000, 10_000],
              "scaling_full": [1000, 10_000, 100_000]},
             costs, ours_lsa,
             [Anchor("scipy linear_sum_assignment loop", "scipy", "pip install scipy", scipy_loop, _close(1e-9))]),
    ]


def _compare_cases():
    from .compare import compare_calibration, compare_detections, compare_scores

    def paired_scores(n):
        rng = np.random.default_rng(0)
        example = rng.normal(0, 1, n)
        return example + rng.normal(0, 0.3, n), example + 0.01 + rng.normal(0, 0.3, n)

    def ours_scores(data):
        row = compare_scores(*data, method="bootstrap", n_boot=9999)["score"]
        return row.ci_low, row.ci_high

    def scipy_scores(data):
        from scipy.stats import bootstrap

        ci = bootstrap(data, lambda x, y, axis: np.mean(y, axis=axis) - np.mean(x, axis=axis), paired=True,
                       vectorized=True, method="percentile", n_resamples=9999, random_state=0).confidence_interval
        return ci.low, ci.high

    def same_interval(ours, theirs, data):  # two resamplings: the ends agree to a fraction of the width
        width = theirs[1] - theirs[0]
        return abs(ours[0] - theirs[0]) < 0.1 * width and abs(ours[1] - theirs[1]) < 0.1 * width

    def two_models(n):
        rng = np.random.default_rng(1)
        p = rng.random(n)
        y = (rng.random(n) < p).astype(np.int8)
        return y, p, np.clip(0.5 + 1.3 * (p - 0.5), 0, 1)

    def ours_calibration(data):
        row = compare_calibration(*data, metrics=("ece", "mce", "rmsce", "brier"), n_boot=1000)["ece"]
        return row.ci_low, row.ci_high

    def numpy_loop(data):
        y, pb, pc = data
        rng = np.random.default_rng(0)
        n = len(y)
        deltas = []
        for _ in range(1000):
            idx = rng.integers(0, n, n)
            ece = []
            for p in (pb, pc):
                yy, pp = y[idx], p[idx]
                bins = np.minimum((pp * 15).astype(np.int64), 14)
                gap = np.abs(np.bincount(bins, yy, 15) - np.bincount(bins, pp, 15))
                ece.append(gap.sum() / n)
            deltas.append(ece[1] - ece[0])
        return tuple(np.quantile(deltas, [0.025, 0.975]))

    def ours_detections(files):  # from the three files: both loadings, both matchings, every replicate
        return compare_detections(files.gt_path, files.dt_path, files.candidate_path, n_boot=1000)

    def pycocotools_one_model(files):
        return files.evaluate("pycocotools", *files.loaded("pycocotools"))

    def baseline_is_pycocotools(ours, theirs, files):
        return [row.baseline for row in ours.rows[:12]] == list(theirs)

    return [
        Case("compare", "COCO boxes, 2 models x 1,000 replicates (12 stats + per-class AP) from files "
                        "vs ONE evaluation of one model",
             {"quick": 300, "full": 5000, "scaling": [100, 300, 1000], "scaling_full": [300, 1000, 5000]},
             lambda n: _CocoFiles(n, with_candidate=True), ours_detections,
             [Anchor("pycocotools (one evaluation)", "pycocotools", "pip install pycocotools",
                     pycocotools_one_model, baseline_is_pycocotools, extra="test")]),
        Case("compare", "paired bootstrap of a mean score difference (9,999 replicates)",
             {"quick": 2000, "full": 10_000, "scaling": [1000, 3000, 10_000], "scaling_full": [1000, 10_000, 100_000]},
             paired_scores, ours_scores,
             [Anchor("scipy.stats.bootstrap (paired, vectorized, percentile)", "scipy", "pip install scipy",
                     scipy_scores, same_interval)]),
        Case("compare", "calibration comparison, 1,000 replicates of ECE/MCE/RMSCE/Brier (bins)",
             {"quick": 20_000, "full": 1_000_000, "scaling": [10_000, 100_000, 1_000_000],
              "scaling_full": [100_000, 1_000_000, 10_000_000]},
             two_models, ours_calibration,
             [Anchor("NumPy loop: resampled indices, bincount ECE of both models per replicate", "numpy",
                     "pip install numpy", numpy_loop, same_interval)]),
    ]


FAMILIES = {"calibration": _calibration_cases, "diversity": _diversity_cases, "ranking": _ranking_cases,
            "detection": _detection_cases, "compare": _compare_cases}


FULL_SIZES = __doc__[__doc__.index("Sizes:"):].strip()


def run(families=None, *, mode="quick", repeats=None, cold=False, kernels=None) -> list[Row]:
    """Run the cases of ``families`` (default: all) at the "quick" or "full" sizes; with
    ``cold``, also :func:`cold_time` of fastscore and of each anchor; with ``kernels`` (a set of
    (family, kernel) pairs), only those cases."""
    rows = []
    for family in families or FAMILIES:
        if family not in FAMILIES:
            raise ValueError(f"unknown family {family!r}; choose from {list(FAMILIES)}.")
        for case in FAMILIES[family]():
            if kernels is not None and (family, case.kernel) not in kernels:
                continue
            size = case.sizes[mode]
            if not _available(case.requires):
                rows.append(Row(family, case.kernel, size, None, None, skipped=f"needs {case.requires}"))
                continue
            data = case.make(size)
            start = time.perf_counter()
            ours = case.ours(data)  # the first call in this process
            compile_s = time.perf_counter() - start
            runs = repeats or (3 if mode == "quick" else 5)
            ours_s = _median_time(case.ours, data, runs)
            # a call of a few milliseconds is timed several times per sample (up to ~50 ms of
            # calls), so one slow spell of the shared machine does not move its median
            ours_calls = int(min(25, max(1, 0.05 // max(ours_s, 1e-6))))
            index = [c.kernel for c in FAMILIES[family]()].index(case.kernel)
            cold_s = cold_time(family, index, -1, mode) if cold else None
            if not case.anchors:
                rows.append(Row(family, case.kernel, size, ours_s, compile_s, cold_s=cold_s))
            for anchor in case.anchors:
                if not _available(anchor.module):
                    rows.append(Row(family, case.kernel, size, ours_s, compile_s, anchor.name,
                                    skipped=f"not installed: {anchor.pip}", cold_s=cold_s))
                    continue
                # a warm-up (anchors may compile too) whose result is compared now and then dropped:
                # large results kept alive (200k dicts) would slow every later call through the GC
                agreed = bool(anchor.agrees(ours, anchor.run(data), data))
                gc.collect()
                anchor_runs = 1 if _median_time(anchor.run, data, 1) > 2.0 else runs
                # interleaved: fastscore and the anchor alternate, so a slow spell hits both
                ours_times, anchor_times = [], []
                for _ in range(anchor_runs):
                    ours_times.append(_median_time(case.ours, data, ours_calls))
                    anchor_times.append(_median_time(anchor.run, data, 1))
                ours_med, anchor_med = float(np.median(ours_times + [ours_s])), float(np.median(anchor_times))
                anchor_cold = cold_time(family, index, case.anchors.index(anchor), mode) if cold else None
                rows.append(Row(family, case.kernel, size, ours_med, compile_s, anchor.name, anchor_med,
                                anchor_med / ours_med, agreed, cold_s=cold_s, anchor_cold_s=anchor_cold))
    return rows


def _cold_child(family, case_index, anchor_index, mode, queue):
    """In a fresh process: the import of the library under test plus its first call, in seconds.

    The library (fastscore's family, or the anchor's modules) is imported
    first, timed; then the data is built (not timed) and the first call is
    timed. NumPy is imported before either (both sides need it to hold data).
    """
    import numpy  # noqa: F401

    case_list = None
    start = time.perf_counter()
    if anchor_index < 0:
        importlib.import_module(f"fastscore.{family}")
    else:
        case_list = FAMILIES[family]()
        for module in filter(None, case_list[case_index].anchors[anchor_index].module.split(",")):
            importlib.import_module(module)
    imported = time.perf_counter() - start
    case = (case_list or FAMILIES[family]())[case_index]
    data = case.make(case.sizes[mode])
    function = case.ours if anchor_index < 0 else case.anchors[anchor_index].run
    start = time.perf_counter()
    function(data)
    queue.put(imported + time.perf_counter() - start)


def cold_time(family: str, case_index: int, anchor_index: int = -1, mode: str = "quick") -> float:
    """Seconds of the import plus the first call of fastscore (anchor_index = -1) or an anchor on
    a case, in a fresh process whose Numba cache is an empty folder (see ``_cold_child``)."""
    import multiprocessing as mp
    import os
    import tempfile

    context = mp.get_context("spawn")
    queue = context.Queue()
    with tempfile.TemporaryDirectory(prefix="fastscore-cold-") as cache:
        saved = os.environ.get("NUMBA_CACHE_DIR")
        os.environ["NUMBA_CACHE_DIR"] = cache  # inherited by the spawned process
        try:
            process = context.Process(target=_cold_child, args=(family, case_index, anchor_index, mode, queue))
            process.start()
            process.join()
        finally:
            if saved is None:
                del os.environ["NUMBA_CACHE_DIR"]
            else:
                os.environ["NUMBA_CACHE_DIR"] = saved
    if process.exitcode != 0:
        raise RuntimeError(f"the cold run of {family} case {case_index} failed (exit code {process.exitcode}).")
    return queue.get()


def _slopes(sizes, times, complexity):
    """(fit over all sizes, between the two largest) of log time against log size; for an
    exponential complexity ("2^m ...") the time factor per added item instead. None below 2 sizes."""
    if len(times) < 2:
        return None, None
    exponential = complexity.startswith("2^")
    x = np.asarray(sizes[:len(times)], dtype=float) if exponential else np.log(sizes[:len(times)])
    slope = float(np.polyfit(x, np.log(times), 1)[0])
    tail = float(np.log(times[-1] / times[-2]) / (x[-1] - x[-2]))
    return (float(np.exp(slope)), float(np.exp(tail))) if exponential else (slope, tail)


def scaling(families=None, mode="quick", *, anchors=True, budget=None) -> list[dict]:
    """fastscore's time at growing sizes and its slopes, beside the claimed complexity, and the
    installed anchors timed on the same data (``mode="full"``: the larger sizes of the family
    issues, e.g. 10^8 predictions, 10^7 battles).

    An anchor stops at the first size where its predicted time (from its last two sizes, or a
    square law after one) exceeds ``budget`` seconds (default 2 s quick, 10 s full).
    Returns one entry per curve: family, kernel, anchor (None for fastscore), sizes, seconds,
    slope (fit over all sizes), tail_slope (the two largest sizes), claimed."""
    budget = budget if budget is not None else (10.0 if mode == "full" else 2.0)
    out = []
    for family in families or FAMILIES:
        for case in FAMILIES[family]():
            if not _available(case.requires):
                continue
            sizes = case.sizes["scaling_full"] if mode == "full" and "scaling_full" in case.sizes else case.sizes["scaling"]
            present = [a for a in case.anchors if anchors and _available(a.module)]
            curves = {None: []} | {a.name: [] for a in present}
            active = {a.name for a in present}
            for k, size in enumerate(sizes):
                data = case.make(size)
                case.ours(data)
                curves[None].append(_median_time(case.ours, data, 3))
                for anchor in present:
                    if anchor.name not in active:
                        continue
                    times = curves[anchor.name]
                    if times:  # predict this size's time before paying for it
                        growth = max(np.log(times[-1] / times[-2]) / np.log(sizes[k - 1] / sizes[k - 2]), 1.0) \
                            if len(times) >= 2 else 2.0
                        if times[-1] * (size / sizes[k - 1]) ** growth > budget:
                            active.discard(anchor.name)
                            continue
                    else:
                        anchor.run(data)  # warm-up (imports, compilation) at the first size only
                    first = _median_time(anchor.run, data, 1)
                    times.append(first if first > budget / 3 else float(np.median([first] + [
                        _median_time(anchor.run, data, 1) for _ in range(2)])))
            for name, times in curves.items():
                slope, tail = _slopes(sizes, times, case.complexity)
                out.append({"family": family, "kernel": case.kernel, "anchor": name, "sizes": sizes[:len(times)],
                            "seconds": times, "slope": slope, "tail_slope": tail, "claimed": case.complexity})
    return out


def format_table(rows: list[Row], markdown: bool = False, memory: dict | None = None) -> str:
    """The rows as a table; with ``memory`` ({(family, kernel, anchor or None): MB}, see add_memory),
    two more columns: the peak extra memory of fastscore and of the anchor."""
    cold = any(r.cold_s is not None for r in rows)
    header = ("family", "kernel", "size", "fastscore", "first call", "anchor", "anchor time", "ratio",
              "same numbers") + (("cold: fastscore", "cold: anchor", "cold ratio") if cold else ()) \
        + (("fastscore MB", "anchor MB") if memory is not None else ())
    lines = []
    for r in rows:
        if r.skipped:
            lines.append((r.family, r.kernel, f"{r.size:,}", _ms(r.fastscore_s), _ms(r.compile_s), r.anchor or "",
                          r.skipped, "", ""))
            r = Row(**{**asdict(r), "anchor_cold_s": None})
        else:
            lines.append((r.family, r.kernel, f"{r.size:,}", _ms(r.fastscore_s), _ms(r.compile_s), r.anchor or "",
                          _ms(r.anchor_s), "" if r.ratio is None else f"{r.ratio:.1f}x",
                          "" if r.agreed is None else ("yes" if r.agreed else "NO")))
        if cold:
            lines[-1] = lines[-1] + (_ms(r.cold_s), _ms(r.anchor_cold_s),
                                     f"{r.anchor_cold_s / r.cold_s:.1f}x" if r.cold_s and r.anchor_cold_s else "")
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
    return [message for _, message in _regressions(rows, baseline_path, max_regression)]


def confirmed_regressions(rows: list[Row], baseline_path, max_regression: float = 0.15, *,
                          mode="quick") -> list[str]:
    """:func:`compare`, with each flagged kernel measured once more before it counts: a kernel
    fails the gate only if the second run falls short too (on a shared machine a slow spell can
    move one ratio by 20-30 %, which is not a regression of the code). Numbers that stop agreeing
    fail at once."""
    flagged = _regressions(rows, baseline_path, max_regression)
    disagreeing = [message for r, message in flagged if r.agreed is False]
    slow = {(r.family, r.kernel, r.anchor) for r, _ in flagged if r.agreed is not False}
    if not slow:
        return disagreeing
    rerun = run(sorted({key[0] for key in slow}), mode=mode, kernels={key[:2] for key in slow})
    return disagreeing + [f"{message} (measured twice)" for r, message in _regressions(rerun, baseline_path, max_regression)
                          if (r.family, r.kernel, r.anchor) in slow and r.agreed is not False]


def _regressions(rows, baseline_path, max_regression):
    with open(baseline_path) as f:
        base = {(r["family"], r["kernel"], r["anchor"]): r for r in json.load(f)["rows"]}
    problems = []
    for r in rows:
        if r.fastscore_s is None:  # a case skipped for a missing requirement
            continue
        if r.agreed is False:
            problems.append((r, f"{r.family} / {r.kernel}: fastscore and {r.anchor} no longer give the same numbers"))
        old = base.get((r.family, r.kernel, r.anchor))
        if r.anchor is None and old is not None and old.get("fastscore_s"):
            # no anchor: fastscore against its own earlier run (times: compare runs on one machine)
            if r.fastscore_s > old["fastscore_s"] / (1.0 - max_regression):
                problems.append((r, f"{r.family} / {r.kernel}: {r.fastscore_s * 1e3:.1f} ms, baseline "
                                    f"{old['fastscore_s'] * 1e3:.1f} ms ({(r.fastscore_s / old['fastscore_s'] - 1) * 100:.0f}% slower)"))
            continue
        if old is None or old.get("ratio") is None or r.ratio is None:
            continue
        if r.ratio < old["ratio"] * (1.0 - max_regression):
            problems.append((r, f"{r.family} / {r.kernel} vs {r.anchor}: ratio {r.ratio:.2f}x, baseline {old['ratio']:.2f}x "
                                f"({(1 - r.ratio / old['ratio']) * 100:.0f}% worse)"))
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
            if not _available(case.requires):
                continue
            memory[(family, case.kernel, None)] = peak_memory(family, index, -1, mode)
            for a, anchor in enumerate(case.anchors):
                if _available(anchor.module):
                    memory[(family, case.kernel, anchor.name)] = peak_memory(family, index, a, mode)
    return memory


def plot(rows: list[Row], scaling_entries: list[dict], path) -> None:
    """Speed-up of fastscore over each anchor (log scale) and the scaling curves (fastscore and anchors), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = [r for r in rows if r.ratio is not None]
    fig, (left, right) = plt.subplots(1, 2, figsize=(16, 0.45 * max(len(timed), 8) + 1.5),
                                      gridspec_kw={"width_ratios": [1, 1.3]})
    labels = [f"{r.kernel}\nvs {r.anchor}" for r in timed]
    left.barh(range(len(timed)), [r.ratio for r in timed], color="tab:blue")
    left.set_xscale("log")
    left.axvline(1.0, color="grey", lw=1)
    left.set_yticks(range(len(timed)), labels, fontsize=7)
    left.invert_yaxis()
    left.set_xlabel("speed-up: anchor time / fastscore time (log)")
    colors = {}
    for entry in scaling_entries:  # fastscore solid with dots; its anchors dashed, in the kernel's colour
        color = colors.setdefault(entry["kernel"], plt.get_cmap("tab20")(len(colors) % 20))
        if entry.get("anchor") is None:
            slope = "" if entry["slope"] is None else f" ({entry['slope']:.2f})"
            right.loglog(entry["sizes"], entry["seconds"], marker="o", color=color, label=entry["kernel"] + slope)
        else:
            right.loglog(entry["sizes"], entry["seconds"], marker="x", ls="--", lw=0.8, color=color)
    right.set_xlabel("size (items, predictions, battles, images, ...)")
    right.set_ylabel("seconds (solid: fastscore; dashed: its anchors, up to a time budget)")
    right.legend(fontsize=6, title="kernel (log-log slope; for 2^m kernels the time factor per item)", title_fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
