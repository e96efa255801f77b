"""Bradley-Terry and Elo: Arena's algorithm, choix, counting kernels, bad input."""

import choix
import numpy as np
import pandas as pd
import pytest

from fastscore.ranking import bradley_terry, bradley_terry_from_counts, count_matrix, elo, fit_bradley_terry
from fastscore.ranking import _arena_baseline as arena


@pytest.fixture(scope="module")
def battles():
    """20,000 battles among 12 models with true strengths, 15 % ties."""
    rng = np.random.default_rng(0)
    names = np.array([f"model-{i:02d}" for i in range(12)])
    strength = rng.normal(scale=1.0, size=12)
    a = rng.integers(0, 12, 20_000)
    b = (a + rng.integers(1, 12, 20_000)) % 12
    p_a = 1 / (1 + np.exp(-(strength[a] - strength[b])))
    u = rng.random(20_000)
    winner = np.where(u < 0.15, "tie", np.where(rng.random(20_000) < p_a, "model_a", "model_b")).astype("<U13")
    winner[(winner == "tie") & (rng.random(20_000) < 0.3)] = "tie (bothbad)"
    return names[a], names[b], winner


def test_equal_to_arena_bt(battles):
    expected = arena.compute_bt(*battles)
    board = bradley_terry(*battles)
    ours = dict(zip(board.models.tolist(), board.rating))
    assert set(ours) == set(expected)
    for model, rating in expected.items():
        assert ours[model] == pytest.approx(rating, abs=1e-3)


def test_equal_to_arena_elo(battles):
    a, b, winner = (x[:3000] for x in battles)
    expected = arena.compute_elo(pd.DataFrame({"model_a": a, "model_b": b, "winner": winner}))
    for backend in ("numba", "reference"):
        board = elo(a, b, winner, backend=backend)
        for model, rating in zip(board.models.tolist(), board.rating):
            assert rating == pytest.approx(expected[model], abs=1e-9)


def test_equal_to_choix_without_ties():
    rng = np.random.default_rng(1)
    strength = rng.normal(size=8)
    pairs = []
    for _ in range(3000):
        i, j = rng.choice(8, 2, replace=False)
        pairs.append((i, j) if rng.random() < 1 / (1 + np.exp(strength[j] - strength[i])) else (j, i))
    theta_choix = choix.ilsr_pairwise(8, pairs, alpha=0.0, tol=1e-12)
    wins = np.zeros((8, 8))
    for winner, loser in pairs:
        wins[winner, loser] += 1
    theta = fit_bradley_terry(wins)
    np.testing.assert_allclose(theta - theta.mean(), theta_choix - theta_choix.mean(), atol=1e-6)
    # choix's MAP penalises alpha * |theta|^2: our regularization = 2 * alpha
    theta_map = choix.opt_pairwise(8, pairs, alpha=0.5, tol=1e-12)
    np.testing.assert_allclose(fit_bradley_terry(wins, regularization=1.0), theta_map, atol=1e-6)


def test_counting_kernels_and_input_forms(battles):
    a, b, winner = battles
    wins, ties, names = count_matrix(a, b, winner)
    wins_ref, ties_ref, _ = count_matrix(a, b, winner, backend="reference")
    np.testing.assert_array_equal(wins, wins_ref)
    np.testing.assert_array_equal(ties, ties_ref)
    assert wins.sum() + ties.sum() / 2 == len(a)
    frame = pd.DataFrame({"model_a": a, "model_b": b, "winner": winner})
    categories = sorted(set(a) | set(b))
    categorical = frame.assign(model_a=pd.Categorical(a, categories=categories),
                               model_b=pd.Categorical(b, categories=categories),
                               winner=pd.Categorical(winner))
    expected = bradley_terry(a, b, winner)
    for form in (bradley_terry(frame), bradley_terry(categorical)):
        np.testing.assert_array_equal(form.models, expected.models)
        np.testing.assert_allclose(form.rating, expected.rating, rtol=0, atol=1e-9)
    index = {name: i for i, name in enumerate(names.tolist())}
    codes = np.array([index[x] for x in a]), np.array([index[x] for x in b])
    score = np.select([winner == "model_a", winner == "model_b"], [1.0, 0.0], 0.5)
    by_codes = bradley_terry(*codes, score)
    np.testing.assert_allclose(by_codes.rating, expected.rating, atol=1e-9)
    np.testing.assert_array_equal(names[by_codes.models], expected.models)


def test_categorical_columns_missing_values_and_other_categories():
    a, b = ["x", "y", "z", "x"], ["y", "z", "x", "z"]
    winner = ["model_a", "tie", "model_b", "model_a"]
    expected = elo(a, b, winner)
    # different category lists on the two columns: the names are matched, not the codes
    frame = pd.DataFrame({"model_a": pd.Categorical(a, categories=["z", "y", "x"]),
                          "model_b": pd.Categorical(b, categories=["x", "y", "z", "unused"]),
                          "winner": pd.Categorical(winner)})
    board = elo(frame)
    assert dict(zip(board.models, board.rating)) == dict(zip(expected.models, expected.rating))
    for func in (elo, bradley_terry):  # a missing model or outcome (code -1) is refused before any kernel runs
        with pytest.raises(ValueError, match="missing values"):
            func(frame.assign(model_a=pd.Categorical(a, categories=["x", "y", "z"]),
                              model_b=pd.Categorical(["y", None, "x", "z"], categories=["x", "y", "z"])))
        with pytest.raises(ValueError, match="missing values"):
            func(frame.assign(winner=pd.Categorical(["model_a", None, "tie", "tie"])))


def test_from_counts_by_hand():
    # two models, 3 wins to 1: 10 ** (difference / 400) = 3
    board = bradley_terry_from_counts(np.array([[0, 3], [1, 0]]), models=["a", "b"])
    assert board.rating[0] - board.rating[1] == pytest.approx(400 * np.log10(3))
    assert board.rating.mean() == pytest.approx(1000)
    # a tie counts half a win each: 2 wins + 2 ties against 0 wins -> 3 : 1
    tied = bradley_terry_from_counts(np.array([[0, 2], [0, 0]]), np.array([[0, 2], [2, 0]]), models=["a", "b"])
    np.testing.assert_allclose(tied.rating, board.rating)
    anchored = bradley_terry_from_counts(np.array([[0, 3], [1, 0]]), models=["a", "b"], anchor={"b": 1114})
    assert anchored.rating[1] == pytest.approx(1114)


def test_bootstrap_bounds_and_rank(battles):
    board = bradley_terry(*battles, bootstrap=50, seed=3)
    again = bradley_terry(*battles, bootstrap=50, seed=3)
    np.testing.assert_array_equal(board.lower, again.lower)
    assert np.all(board.lower <= board.rating + 1e-9) and np.all(board.rating <= board.upper + 1e-9)
    expected_rank = [1 + int(np.sum(board.lower > up)) for up in board.upper]
    assert board.rank.tolist() == expected_rank
    frame = board.to_pandas()
    assert list(frame.columns) == ["rating", "battles", "rank", "lower", "upper"]


def test_disconnected_graph_and_regularization():
    wins = np.array([[0, 2, 1], [0, 0, 1], [0, 1, 0]])  # model 0 never loses
    with pytest.raises(ValueError, match="not strongly connected.*groups: \\[\\['b', 'c'\\], \\['a'\\]\\]"):
        bradley_terry_from_counts(wins, models=["a", "b", "c"])
    board = bradley_terry_from_counts(wins, models=["a", "b", "c"], regularization=1e-3)
    assert np.isfinite(board.rating).all() and board.models[0] == "a"


def test_bad_input():
    with pytest.raises(ValueError, match="unknown outcome labels \\['draw'\\]"):
        bradley_terry(["a"], ["b"], ["draw"])
    with pytest.raises(ValueError, match="against itself"):
        bradley_terry(["a", "b"], ["b", "b"], ["model_a", "tie"])
    with pytest.raises(ValueError, match="no battles"):
        bradley_terry([], [], [])
    with pytest.raises(ValueError, match="at least two models"):
        bradley_terry_from_counts(np.zeros((1, 1)))
    with pytest.raises(ValueError, match="one entry per battle"):
        bradley_terry(["a", "b"], ["b", "a"], ["model_a"])
    with pytest.raises(ValueError, match="wins contains NaN"):
        bradley_terry_from_counts(np.array([[0, np.nan], [1, 0]]))
    with pytest.raises(ValueError, match="numeric outcomes"):
        elo([0, 1], [1, 0], [2, 1])
    with pytest.raises(ValueError, match="winner"):
        bradley_terry(pd.DataFrame({"model_a": ["a"], "model_b": ["b"]}))
    with pytest.raises(ValueError, match="anchor model 'zzz'"):
        bradley_terry_from_counts(np.array([[0, 3], [1, 0]]), models=["a", "b"], anchor={"zzz": 1000})
