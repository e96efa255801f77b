"""Every ranking kernel: Cython (the default), Numba and the reference give the same numbers,
for every unsigned code width the kernels take."""
import numpy as np
import pytest

from fastscore._config import family_kernel
from fastscore.ranking.pairwise import _packed_battles

BACKENDS = ("cython", "numba", "reference")


def kernel(function, backend):
    return family_kernel("ranking", function, function).resolve(backend)[1]


def battles(n=5000, m=12, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    outcome = rng.integers(0, 3, n)
    return a, b, outcome, m


@pytest.mark.parametrize("code_dtype", [np.uint8, np.uint16, np.uint32, np.uint64])
def test_elo_equal_on_every_backend(code_dtype):
    a, b, outcome, m = battles()
    scores = np.array([0.0, 0.5, 1.0])
    outs = [kernel("online_elo", backend)(a.astype(code_dtype), b.astype(code_dtype), outcome.astype(np.uint8), scores,
                                          m, 4.0, np.log(10) / 400, 1000.0) for backend in BACKENDS]
    for ratings, played in outs[1:]:
        assert np.array_equal(ratings, outs[0][0]) and np.array_equal(played, outs[0][1])


@pytest.mark.parametrize("n_models", [12, 40000])  # uint32 and uint64 packing
def test_bootstrap_elo_equal_on_every_backend(n_models):
    a, b, outcome, _ = battles(m=12)
    a, b = a * (n_models // 12), b * (n_models // 12)
    battle, bits = _packed_battles(a, b, outcome, n_models, 3)
    scores = np.array([0.0, 0.5, 1.0])
    picks = np.random.default_rng(1).integers(0, a.size, (a.size, 4))
    rounds = []
    for backend in BACKENDS:
        single = np.zeros(n_models)
        kernel("bootstrap_elo_round", backend)(battle, bits, scores, np.ascontiguousarray(picks[:, 0]), 4.0, 0.005, single)
        several = np.zeros((4, n_models))
        kernel("bootstrap_elo_logistic", backend)(battle, bits, scores, picks, 4.0, 0.005, several, 0, 4)
        rounds.append((single, several))
    for single, several in rounds:
        assert np.array_equal(single, rounds[0][0]) and np.array_equal(several, rounds[0][1])
        assert np.array_equal(several[0], single)  # round 0 of the logistic form is that round


def test_counts_equal_on_every_backend():
    a, b, outcome, m = battles()
    score = np.array([0.0, 0.5, 1.0])[outcome]
    counts = [kernel("count_battles", backend)(a, b, score, m) for backend in BACKENDS]
    rows = [kernel("count_outcome_rows", backend)(a, b, outcome, m) for backend in BACKENDS]
    for (wins, ties), table in zip(counts, rows):
        assert np.array_equal(wins, counts[0][0]) and np.array_equal(ties, counts[0][1])
        assert np.array_equal(table, rows[0])
    assert counts[0][0].sum() + counts[0][1].sum() / 2 == a.size


def test_preferences_and_kemeny_equal_on_every_backend():
    rng = np.random.default_rng(4)
    rankings = np.array([rng.permutation(7) for _ in range(300)])
    weights = rng.gamma(1.0, size=300)
    prefer = [kernel("preference_counts", backend)(rankings, weights, 7) for backend in BACKENDS]
    for matrix in prefer:
        np.testing.assert_allclose(matrix, prefer[0], rtol=1e-13)
    assert np.array_equal(prefer[0], prefer[1])  # the two compiled loops add in one order
    orders = [kernel("kemeny_subsets", backend)(prefer[0]) for backend in BACKENDS]
    for order, value in orders:
        assert value == pytest.approx(orders[0][1], rel=1e-12)
    assert np.array_equal(orders[0][0], orders[1][0])


def test_style_step_equal_on_every_backend():
    a, b, outcome, m = battles(2000)
    rng = np.random.default_rng(5)
    features = rng.normal(size=(a.size, 3))
    params = rng.normal(size=m + 3) * 0.1
    steps = []
    for backend in BACKENDS:
        gradient, hessian = np.zeros(m + 3), np.zeros((m + 3, m + 3))
        kernel("contextual_bt_step", backend)(a, b, outcome / 2.0, features, params, m, 0.7, 0, a.size, gradient, hessian)
        steps.append((gradient, hessian))
    for gradient, hessian in steps[1:]:
        np.testing.assert_allclose(gradient, steps[0][0], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(hessian, steps[0][1], rtol=1e-10, atol=1e-10)
    assert np.array_equal(steps[0][0], steps[1][0]) and np.array_equal(steps[0][1], steps[1][1])
