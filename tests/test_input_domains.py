"""Inputs that used to give a silent number or an unclear error (issue 17's classes): each now
gets a ValueError/TypeError naming the argument and the fix, or a documented finite result."""
import numpy as np
import pandas as pd
import pytest

from fastscore.calibration import BinnedCalibration, debiased_ece, ece, smooth_ece
from fastscore.compat.fastchat import compute_elo, compute_style_control
from fastscore.detection import box_iou, linear_sum_assignment
from fastscore.diversity import EmbeddingVendi, approximate_features, intdiv, similarity_matrix, vendi_bounds, vendi_by_group, vendi_score
from fastscore.ranking import borda, kemeny, bradley_terry, bradley_terry_from_counts, elo

A, B, W = ["a", "b", "a"], ["b", "a", "b"], ["model_a", "model_b", "model_a"]
X = np.random.default_rng(0).normal(size=(20, 3))
Y_TRUE = np.random.default_rng(1).integers(0, 2, 100)
Y_PROB = np.random.default_rng(2).random(100)

REFUSED = [
    ("base below 1 reverses the ratings", lambda: bradley_terry(A, B, W, base=0.5), ValueError, r"base must be in \(1.0, inf\)"),
    ("NaN scale", lambda: bradley_terry(A, B, W, scale=np.nan), ValueError, "scale must be a finite number"),
    ("Elo with a negative k", lambda: elo(A, B, W, k=-1.0), ValueError, r"k must be in \[0.0, inf\)"),
    ("NaN regularization", lambda: bradley_terry(A, B, W, regularization=np.nan), ValueError,
     "regularization must be a finite number"),
    ("a count matrix with battles on its diagonal", lambda: bradley_terry_from_counts(np.array([[5, 3], [1, 0]])),
     ValueError, r"wins\[0, 0\] = 5.0: a model cannot battle itself"),
    ("complex counts", lambda: bradley_terry_from_counts(np.array([[0, 3j], [1, 0]])), TypeError, "complex"),
    ("an unknown winner label", lambda: compute_elo(pd.DataFrame({"model_a": ["x", "y"], "model_b": ["y", "x"],
                                                                 "winner": ["model_q", "model_a"]})),
     ValueError, r"winner holds \['model_q'\]"),
    ("a self-battle", lambda: compute_elo(pd.DataFrame({"model_a": ["x", "x"], "model_b": ["y", "x"],
                                                        "winner": ["tie", "model_a"]})),
     ValueError, "battle 1 pits 'x' against itself"),
    ("style control without Arena's counts",
     lambda: compute_style_control(pd.DataFrame({"model_a": ["x", "y"], "model_b": ["y", "x"],
                                                 "winner": ["model_a", "model_b"], "conv_metadata": [{}, {}]})),
     ValueError, "battle 0: conv_metadata lacks"),
    ("complex ranks", lambda: borda(ranks=np.array([[1 + 1j, 2], [2, 1]])), TypeError, "ranks holds complex"),
    ("NaN gamma", lambda: similarity_matrix(X, kernel="rbf", gamma=np.nan), ValueError, "gamma must be a finite"),
    ("negative gamma", lambda: vendi_score(X, kernel="rbf", gamma=-1), ValueError, r"gamma must be in \(0.0, inf\)"),
    ("rows without features", lambda: vendi_score(np.zeros((5, 0))), ValueError, r"X has no features \(shape \(5, 0\)\)"),
    ("empty samples for intdiv", lambda: intdiv(np.zeros((0, 3))), ValueError, "X is empty"),
    ("empty samples for bounds", lambda: vendi_bounds(np.zeros((0, 3))), ValueError, "X is empty"),
    ("states of different widths", lambda: EmbeddingVendi().update(np.ones((3, 1))).merge(
        EmbeddingVendi().update(np.ones((3, 3)))), ValueError, "cannot merge EmbeddingVendi states of different shapes"),
    ("all sample weights 0", lambda: smooth_ece([0, 1, 1], [0.2, 0.5, 0.9], sample_weight=[0, 0, 0]), ValueError,
     "every sample_weight is 0"),
    ("weights whose sum overflows", lambda: ece([0, 1], [0.2, 0.9], sample_weight=[1e308, 1e308]), ValueError,
     "sample_weight sums to inf"),
    ("a terabyte of bins", lambda: ece(Y_TRUE, Y_PROB, n_bins=10 ** 12), ValueError, "n_bins must be <= 1,000,000"),
    ("a bandwidth whose grid would not fit", lambda: smooth_ece(Y_TRUE, Y_PROB, sigma=1e-9), ValueError,
     r"sigma must be in \[1e-05, 1\]"),
    ("a NaN crowd flag", lambda: box_iou([[0, 0, 1, 1]], [[0, 0, 1, 1]], iscrowd=[np.nan]), ValueError,
     r"iscrowd\[0\] = nan"),
    ("boxes whose areas overflow", lambda: box_iou([[0, 0, 1e200, 1e200]], [[0, 0, 1, 1]]), ValueError,
     "beyond 1e150"),
    ("NaN among string model names (numpy would make it the model 'nan')",
     lambda: elo(["a", np.nan, "a"], B, W), ValueError, r"model_a\[1\] is a missing model name"),
    ("NaN as a float model name", lambda: bradley_terry(A, np.array([0.5, 1.5, np.nan]), W), ValueError,
     r"model_b\[2\] is a missing model name"),
    ("negative Kemeny restarts", lambda: kemeny([[0, 1, 2], [1, 0, 2]], restarts=-1), ValueError,
     "restarts must be >= 0"),
    ("a NaN anchor rating", lambda: bradley_terry(A, B, W, regularization=1e-4, anchor={"a": np.nan}), ValueError,
     "anchor rating of 'a' must be a finite number"),
    ("a NaN interval level", lambda: bradley_terry(A, B, W, regularization=1e-4, bootstrap=3, ci=np.nan), ValueError,
     r"ci must be in \(0, 1\)"),
    ("NaN gamma for random features", lambda: approximate_features(X, gamma=np.nan), ValueError,
     "gamma must be a finite"),
    ("a trillion random features", lambda: approximate_features(X, n_components=10 ** 12), ValueError,
     "n_components must be <= 1,048,576"),
    ("complex costs", lambda: linear_sum_assignment(np.array([[1 + 1j, 2], [3, 4]])), TypeError,
     "cost_matrix holds complex"),
]


@pytest.mark.parametrize("label, call, error, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_with_a_clear_error(label, call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_uint64_model_codes_above_int64_stay_distinct():
    big = np.array([2 ** 64 - 1, 5, 2 ** 63], dtype=np.uint64)
    board = elo(big, np.array([5, 2 ** 63, 2 ** 64 - 1], dtype=np.uint64), ["model_a", "tie", "model_b"])
    assert sorted(int(m) for m in board.models) == [5, 2 ** 63, 2 ** 64 - 1]


def test_documented_results_instead_of_overflow():
    # q far beyond the spectrum's range tends to q = inf (1 / max eigenvalue), computed in logs
    assert vendi_score(X, q=1e300) == pytest.approx(vendi_score(X, q=np.inf), rel=1e-12)
    assert vendi_score(X, q=400.0) == pytest.approx(vendi_score(X, q=np.inf), rel=1e-2)
    # a large L_p calibration error is the power mean around the largest gap (no underflow to 0)
    large = debiased_ece(Y_TRUE, Y_PROB, p=2000, debias=False)
    assert debiased_ece(Y_TRUE, Y_PROB, p=200, debias=False) <= large <= 1.0 and large > 0.1
    # sparse integer codes (ids up to 2^40) are the distinct models, not an array as long as the largest
    board = bradley_terry(np.array([0, 2 ** 40, 7]), np.array([2 ** 40, 7, 0]), [1.0, 1.0, 1.0])
    assert sorted(board.models.tolist()) == [0, 7, 2 ** 40]


def test_messages_read_plain_numbers_and_indices_of_the_input():
    with pytest.raises(ValueError, match=r"X contains NaN at index \(2, 0\)"):  # the row in X, not in its group
        vendi_by_group(np.array([[1.0, 0], [0, 1], [np.nan, 1]]), [0, 1, 1])
    with pytest.raises(ValueError, match=r"K\[0, 0\] = 2.0, but"):
        vendi_score(K=np.array([[2.0, 0], [0, 1]]))
    with pytest.raises(ValueError, match="y_prob holds 1.5 at index 4"):
        smooth_ece([0, 0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4, 1.5])
    with pytest.raises(ValueError, match="battle 1 pits 'b' against itself"):
        elo(np.array(["a", "b"]), np.array(["b", "b"]), ["model_a", "tie"])


def test_a_refused_update_leaves_the_state_as_it_was():
    state, fresh = BinnedCalibration(mode="top-label"), BinnedCalibration(mode="top-label")
    with pytest.raises(ValueError):
        state.update([0, 1], [[0.5, 0.6], [0.5, 0.5]])  # a row that does not sum to 1
    assert state.n_classes is None and np.array_equal(state.stats, fresh.stats) and state.n_samples == 0
    state.update([0, 2], [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])  # a batch of 3 classes is now welcome
    assert state.n_classes == 3 and state.compute().n_samples == 2
