"""fastscore.compat.fastchat against a faithful baseline of FastChat's current rating_systems.py."""
import numpy as np
import pandas as pd
import pytest

from fastscore.compat import fastchat
from fastscore.ranking import _arena_baseline as arena


@pytest.fixture(scope="module")
def battles():
    rng = np.random.default_rng(11)
    names = np.array([f"model-{i}" for i in range(9)] + ["mixtral-8x7b-instruct-v0.1"])
    strength = rng.normal(size=10)
    a = rng.integers(0, 10, 3000)
    b = (a + rng.integers(1, 10, 3000)) % 10
    p = 1 / (1 + np.exp(strength[b] - strength[a]))
    u = rng.random(3000)
    winner = np.where(u < 0.1, "tie", np.where(u < 0.15, "tie (bothbad)",
                                                np.where(rng.random(3000) < p, "model_a", "model_b")))
    return pd.DataFrame({"model_a": names[a], "model_b": names[b], "winner": winner})


def test_compute_elo_identical(battles):
    ours, theirs = fastchat.compute_elo(battles), arena.current_compute_elo(battles)
    assert list(ours) == list(theirs)
    assert all(ours[m] == theirs[m] for m in theirs)


def test_compute_bootstrap_elo_identical(battles):
    np.random.seed(5)
    ours = fastchat.compute_bootstrap_elo(battles, num_round=12)
    np.random.seed(5)
    theirs = arena.current_compute_bootstrap_elo(battles, num_round=12)
    assert list(ours.columns) == list(theirs.columns)
    assert np.array_equal(ours.to_numpy(), theirs.to_numpy())


def test_compute_bt_is_the_maximum_likelihood_fit(battles):
    ours = fastchat.compute_bt(battles)
    columns = battles["model_a"], battles["model_b"], battles["winner"]
    for converge, tolerance in ((True, 1e-6), (False, 1e-2)):
        # converged L-BFGS: the same optimum; FastChat's own run stops early on scipy's default ftol
        raw = arena.compute_bt(*columns, converge=converge)
        shift = 1114 - raw["mixtral-8x7b-instruct-v0.1"]  # FastChat anchors this model at 1114
        assert max(abs(ours[m] - (raw[m] + shift)) for m in raw) < tolerance
    assert isinstance(ours, pd.Series) and list(ours.index) == sorted(raw, key=raw.get, reverse=True)
    assert ours["mixtral-8x7b-instruct-v0.1"] == pytest.approx(1114)


def test_compute_bootstrap_bt_same_draws(battles):
    ours = fastchat.compute_bootstrap_bt(battles, num_round=8, num_cpu=2)
    theirs = arena.current_compute_bootstrap_bt(battles, num_round=8)
    theirs = theirs + (1114 - theirs["mixtral-8x7b-instruct-v0.1"].to_numpy()[:, None])
    assert list(ours.columns) == list(theirs.columns)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=0, atol=1e-2)


def test_missing_columns():
    with pytest.raises(ValueError, match="winner"):
        fastchat.compute_elo(pd.DataFrame({"model_a": ["x"], "model_b": ["y"]}))


def test_native_elo_is_fastchat_compute_elo(battles):
    from fastscore.ranking import elo

    theirs = arena.current_compute_elo(battles)
    for backend in ("numba", "reference"):
        board = elo(battles, backend=backend)
        assert all(board.rating[list(board.models).index(m)] == theirs[m] for m in theirs)


def test_native_elo_bootstrap(battles):
    from fastscore.ranking import elo

    board = elo(battles, bootstrap=40, seed=3)
    again = elo(battles, bootstrap=40, seed=3)
    np.testing.assert_array_equal(board.lower, again.lower)
    assert np.all(board.lower < board.upper)
    # the same law as FastChat's compute_bootstrap_elo: the percentile bounds agree within Monte Carlo error
    np.random.seed(0)
    theirs = arena.current_compute_bootstrap_elo(battles, num_round=40)
    width = board.upper - board.lower
    lower = theirs.quantile(0.025)[board.models].to_numpy()
    upper = theirs.quantile(0.975)[board.models].to_numpy()
    assert np.all(np.abs(board.lower - lower) < 0.5 * width) and np.all(np.abs(board.upper - upper) < 0.5 * width)


def _replayed_bounds(a, b, outcome, n_models, rounds, seed, ci=0.95):
    """elo(bootstrap=rounds, seed=seed)'s bounds rebuilt by the reference update: round r replays the
    battles its own generator picks (SeedSequence(seed).spawn), from ratings 0."""
    from fastscore.ranking import _reference

    score = np.array([0.0, 0.5, 1.0])
    ratings = []
    for child in np.random.SeedSequence(seed).spawn(rounds):
        picks = np.random.default_rng(child).integers(0, a.size, a.size)
        rating, _ = _reference.online_elo(a[picks], b[picks], outcome[picks], score, n_models, 4.0,
                                          np.log(10) / 400, 0.0)
        ratings.append(rating)
    return np.quantile(np.array(ratings) + 1000.0, [(1 - ci) / 2, (1 + ci) / 2], axis=0)


@pytest.mark.parametrize("n_models", [12, 40_000])  # battles packed into uint32, and into uint64
def test_native_elo_bootstrap_replays_the_picked_battles(n_models):
    from fastscore.ranking import elo

    rng = np.random.default_rng(n_models)
    a = rng.integers(0, n_models, 2000)
    b = (a + rng.integers(1, n_models, 2000)) % n_models
    a[0], b[0] = n_models - 1, 0  # the largest code is used
    outcome = rng.integers(0, 3, 2000)  # model_a's score, doubled
    board = elo(a, b, outcome / 2.0, bootstrap=7, seed=21)
    lower, upper = _replayed_bounds(a, b, outcome, n_models, 7, 21)
    order = board.models.astype(np.int64)
    np.testing.assert_array_equal(board.lower, lower[order])
    np.testing.assert_array_equal(board.upper, upper[order])


@pytest.fixture(scope="module")
def styled_battles(battles):
    rng = np.random.default_rng(12)
    n = len(battles)
    frame = battles.copy()
    tokens_a, tokens_b = rng.integers(50, 800, n), rng.integers(50, 800, n)
    frame["conv_metadata"] = [
        {"sum_assistant_a_tokens": int(ta), "sum_assistant_b_tokens": int(tb),
         "header_count_a": {"h1": int(rng.integers(0, 3)), "h2": int(rng.integers(0, 2))},
         "header_count_b": {"h1": int(rng.integers(0, 3)), "h2": 0},
         "list_count_a": {"ordered": int(rng.integers(0, 4)), "unordered": int(rng.integers(0, 4))},
         "list_count_b": {"ordered": int(rng.integers(0, 4)), "unordered": 0},
         "bold_count_a": {"**": int(rng.integers(0, 5)), "__": 0}, "bold_count_b": {"**": int(rng.integers(0, 5)), "__": 0}}
        for ta, tb in zip(tokens_a, tokens_b)]
    return frame


def test_compute_style_control_is_the_optimum(styled_battles):
    ratings, params = fastchat.compute_style_control(styled_battles)
    for converge, tolerance in ((True, 1e-5), (False, 0.5)):
        # converged L-BFGS: the same optimum; FastChat's own run stops early (gtol 1e-6, 100 iterations)
        theirs, their_params = arena.current_compute_style_control(styled_battles, converge=converge)
        assert max(abs(ratings[m] - theirs[m]) for m in theirs.index) < tolerance
        if converge:
            np.testing.assert_allclose(params, their_params, rtol=0, atol=1e-7)
            assert list(ratings.index) == list(theirs.index)
    assert ratings["mixtral-8x7b-instruct-v0.1"] == pytest.approx(1114)


def test_native_style_control_equals_compat(styled_battles):
    from fastscore.ranking import style_control, style_features

    compat_ratings, compat_params = fastchat.compute_style_control(styled_battles)
    elements = fastchat.STYLE_CONTROL_ELEMENTS_V1
    counts = np.array([[fastchat._style_counts(m, e) for e in elements] for m in styled_battles["conv_metadata"]])
    features = style_features(counts[:, :4], counts[:, 4:])
    result = style_control(styled_battles, features=features, anchor={"mixtral-8x7b-instruct-v0.1": 1114},
                           bootstrap=5, seed=0)
    board = result.leaderboard
    np.testing.assert_allclose(result.coefficients, compat_params, rtol=0, atol=1e-9)
    for model, rating in zip(board.models, board.rating):
        assert rating == pytest.approx(compat_ratings[model], abs=1e-6)
    assert board.lower is not None and np.all(board.lower <= board.upper)
    with pytest.raises(ValueError, match="one row per battle"):
        style_control(styled_battles, features=features[:10])
    with pytest.raises(ValueError, match="constant"):
        style_features(np.ones((5, 1)), np.ones((5, 1)))
