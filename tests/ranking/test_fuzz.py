"""Generated bad input for every public ranking entry point (see tests/fuzz_harness.py)."""
import numpy as np

import fuzz_harness as fuzz

from fastscore.ranking import (aggregate_benchmark, aggregate_instances, borda, bradley_terry,
                               bradley_terry_from_counts, copeland, count_matrix, elo, kemeny, margin_matrix,
                               preference_matrix, select_committee, style_control)

rng = np.random.default_rng(11)
A = rng.integers(0, 6, 300)
B = (A + rng.integers(1, 6, 300)) % 6
OUTCOME = rng.choice([0.0, 0.5, 1.0], 300)
WINS = rng.integers(0, 20, (5, 5)).astype(float)
np.fill_diagonal(WINS, 0.0)
RANKINGS = np.array([rng.permutation(6) for _ in range(25)])
RANKS = rng.random((25, 6))
SCORES = rng.random((8, 5))
INSTANCES = rng.random((6, 7, 3))
FEATURES = rng.normal(size=(300, 2))

NAMES = {"huge": None, "inf": None, "-inf": None, "float16": None, "complex": None, "strings": None, "objects": None}  # any names


def leaderboard(board):
    return [board.rating, board.battles] + ([board.lower, board.upper] if board.lower is not None else [])


def cases():
    out = []
    for name, function, backends in (("bradley_terry", bradley_terry, True), ("elo", elo, True)):
        kwargs = {"model_a": A, "model_b": B, "outcome": OUTCOME}
        if name == "bradley_terry":
            kwargs["regularization"] = 1e-3  # finite for any comparison graph
        for target in ("model_a", "outcome"):
            out.append(fuzz.Case(f"{name} {target}", function, kwargs, target, backends=backends, integer=True,
                                 valid=NAMES if target == "model_a" else {}, summary=leaderboard))
    out.append(fuzz.Case("elo bootstrap outcome", elo, {"model_a": A, "model_b": B, "outcome": OUTCOME, "bootstrap": 3,
                                                        "seed": 0}, "outcome", integer=True, summary=leaderboard))
    out.append(fuzz.Case("count_matrix outcome", count_matrix, {"model_a": A, "model_b": B, "outcome": OUTCOME},
                         "outcome", backends=True, integer=True, summary=lambda r: r[:2]))
    out.append(fuzz.Case("bradley_terry_from_counts wins", bradley_terry_from_counts,
                         {"wins": WINS, "regularization": 1e-3}, "wins", huge_valid=True, summary=leaderboard,
                         valid={"shorter": False}))
    out.append(fuzz.Case("style_control features", style_control,
                         {"model_a": A, "model_b": B, "outcome": (OUTCOME > 0.5).astype(float), "features": FEATURES},
                         "features", huge_valid=True, summary=lambda r: leaderboard(r.leaderboard) + [r.coefficients]))
    for name, function, backends in (("borda", borda, False), ("copeland", copeland, True), ("kemeny", kemeny, True),
                                     ("margin_matrix", margin_matrix, True), ("preference_matrix", preference_matrix, True)):
        summary = (lambda r: [r.order, r.scores] if r.scores is not None else [r.order]) if name in (
            "borda", "copeland", "kemeny") else None
        out.append(fuzz.Case(f"{name} rankings", function, {"rankings": RANKINGS}, "rankings", backends=backends,
                             integer=True, valid={"shorter": True}, summary=summary))
        out.append(fuzz.Case(f"{name} ranks", function, {"ranks": RANKS}, "ranks", backends=backends,
                             valid={"shorter": True, "nan": None, "huge": None}, summary=summary))
    out.append(fuzz.Case("aggregate_benchmark scores", aggregate_benchmark, {"scores": SCORES}, "scores",
                         valid={"shorter": True, "huge": None}, summary=lambda r: [r.order]))
    out.append(fuzz.Case("aggregate_instances scores", aggregate_instances, {"scores": INSTANCES}, "scores",
                         valid={"shorter": True, "huge": None}, summary=lambda r: [r.order]))
    out.append(fuzz.Case("select_committee rankings", select_committee, {"rankings": RANKINGS, "k": 2}, "rankings",
                         integer=True, valid={"shorter": True}, summary=lambda r: [np.asarray(r.members)]))
    return out


test_every_class_at_every_position, test_generated_inputs = fuzz.make_tests(cases(), refused=500, ok=250)
