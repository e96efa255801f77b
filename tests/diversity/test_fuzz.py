"""Generated bad input for every public diversity entry point (see tests/fuzz_harness.py)."""
import numpy as np

import fuzz_harness as fuzz

from fastscore.diversity import (EmbeddingVendi, intdiv, score_from_eigenvalues, similarity_matrix, vendi_bounds,
                                 vendi_by_group, vendi_score)

rng = np.random.default_rng(17)
X = rng.normal(size=(30, 5))
Y = rng.normal(size=(7, 5))
BITS = rng.random((20, 12)) < 0.4
BITS[:, 0] = True
A = rng.random((15, 15))
K = (A + A.T) / 4
np.fill_diagonal(K, 1.0)
WEIGHTS = rng.random(30) + 0.1
WEIGHTS /= WEIGHTS.sum()
GROUPS = rng.integers(0, 3, 30)
EIGENVALUES = rng.random(10)

SAMPLES = {"shorter": True, "huge": None}  # fewer samples are still samples; 1e308 may overflow (refused) or not


def streaming(X, sample_weight=None):
    return EmbeddingVendi().update(X, sample_weight=sample_weight).compute(q=2)


def cases():
    out = []
    for kernel in ("cosine", "linear", "rbf", "laplacian"):
        for q in (1, 2, 0.5, np.inf):
            out.append(fuzz.Case(f"vendi_score {kernel} q={q}", vendi_score, {"X": X, "kernel": kernel, "q": q}, "X",
                                 backends=True, tolerance=1e-7, valid=SAMPLES))
        matrix = {**SAMPLES, "empty": True}  # the similarities of no rows: an empty matrix
        out.append(fuzz.Case(f"similarity_matrix {kernel} X", similarity_matrix, {"X": X, "Y": Y, "kernel": kernel},
                             "X", backends=True, tolerance=1e-9, valid=matrix))
        out.append(fuzz.Case(f"similarity_matrix {kernel} Y", similarity_matrix, {"X": X, "Y": Y, "kernel": kernel},
                             "Y", backends=True, tolerance=1e-9, valid=matrix))
    for kernel in ("tanimoto", "hamming"):
        out.append(fuzz.Case(f"vendi_score {kernel}", vendi_score, {"X": BITS, "kernel": kernel}, "X", backends=True,
                             valid={"shorter": True, "float16": None, "huge": None}))
    out.append(fuzz.Case("vendi_score weights", vendi_score, {"X": X, "weights": WEIGHTS}, "weights"))
    out.append(fuzz.Case("vendi_score K", vendi_score, {"K": K}, "K", backends=True, tolerance=1e-7,
                         valid={"huge": False}))
    out.append(fuzz.Case("vendi_score K q=2", vendi_score, {"K": K, "q": 2}, "K"))
    out.append(fuzz.Case("intdiv X", intdiv, {"X": X}, "X", valid=SAMPLES))
    out.append(fuzz.Case("intdiv rbf X", intdiv, {"X": X, "kernel": "rbf"}, "X", valid=SAMPLES))
    out.append(fuzz.Case("vendi_bounds X", vendi_bounds, {"X": X, "rank": 5}, "X", valid=SAMPLES))
    out.append(fuzz.Case("vendi_by_group X", vendi_by_group, {"X": X, "groups": GROUPS}, "X",
                         summary=lambda r: [r.scores, r.overall], valid={"huge": None}))
    out.append(fuzz.Case("EmbeddingVendi X", streaming, {"X": X}, "X", valid=SAMPLES))
    out.append(fuzz.Case("EmbeddingVendi weights", streaming, {"X": X, "sample_weight": WEIGHTS * 30}, "sample_weight",
                         huge_valid=True))
    out.append(fuzz.Case("score_from_eigenvalues", score_from_eigenvalues, {"eigenvalues": EIGENVALUES, "q": 1},
                         "eigenvalues", valid=SAMPLES))
    return out


test_every_class_at_every_position, test_generated_inputs = fuzz.make_tests(cases(), refused=1000, ok=500)
