"""BattleCounts (the mergeable count state), the Poisson bootstrap, and the Dask path."""
import numpy as np
import pytest

import dask.array as da  # the test extra installs dask[distributed]: no skip
import fastscore.dask
from fastscore.ranking import (
    BattleCounts,
    bradley_terry,
    bradley_terry_from_counts,
    count_matrix,
    fit_bradley_terry,
    fit_davidson,
)


@pytest.fixture(scope="module")
def battles():
    rng = np.random.default_rng(7)
    names = np.array([f"m{i}" for i in range(8)])
    strength = rng.normal(size=8)
    a = rng.integers(0, 8, 6000)
    b = (a + rng.integers(1, 8, 6000)) % 8
    p = 1 / (1 + np.exp(strength[b] - strength[a]))
    outcome = np.where(rng.random(6000) < 0.1, "tie", np.where(rng.random(6000) < p, "model_a", "model_b"))
    return names[a], names[b], outcome


def test_shards_merge_to_the_one_pass_fit(battles):
    a, b, outcome = battles
    cuts = [0, 1000, 1001, 3500, 6000]
    shards = [BattleCounts().update(a[i:j], b[i:j], outcome[i:j]) for i, j in zip(cuts, cuts[1:])]
    merged = shards[2].copy().merge(shards[0]).merge(shards[3]).merge(shards[1])
    whole = bradley_terry(a, b, outcome)
    board = merged.compute()
    assert board.models.tolist() == whole.models.tolist()
    np.testing.assert_allclose(board.rating, whole.rating, rtol=0, atol=1e-9)
    wins, ties, names = count_matrix(a, b, outcome)
    order = [merged.models.tolist().index(n) for n in names.tolist()]
    np.testing.assert_array_equal(merged.wins[np.ix_(order, order)], wins)
    np.testing.assert_array_equal(merged.ties[np.ix_(order, order)], ties)


def test_models_seen_in_one_shard_only():
    one = BattleCounts().update(["a", "b"], ["b", "a"], ["model_a", "model_a"])
    two = BattleCounts().update(["c", "a"], ["a", "c"], ["model_a", "tie"])
    merged = one.merge(two)
    assert merged.models.tolist() == ["a", "b", "c"]
    assert merged.wins.sum() == 3 and merged.ties.sum() == 2
    with pytest.raises(ValueError, match="weights"):
        BattleCounts().update(["a"], ["b"], ["tie"], sample_weight=[2.0])
    with pytest.raises(ValueError, match="no battles"):
        BattleCounts().compute()


def test_poisson_bootstrap_matches_per_battle_poisson_weights(battles):
    """A cell of c battles with Poisson(1) weights each sums to Poisson(c): the rounds have the same law.

    Checked against a plain per-battle Poisson bootstrap: the interval endpoints agree within a
    fraction of the interval width (both are Monte Carlo estimates of the same quantiles).
    """
    a, b, outcome = battles
    board = bradley_terry(a, b, outcome, bootstrap=300, resample="poisson", seed=1)
    rng = np.random.default_rng(2)
    codes = {n: i for i, n in enumerate(board.models.tolist())}
    ai = np.array([codes[x] for x in a])
    bi = np.array([codes[x] for x in b])
    score = np.where(outcome == "model_a", 1.0, np.where(outcome == "model_b", 0.0, 0.5))
    m = len(codes)
    ratings = []
    for _ in range(300):
        w = rng.poisson(1.0, len(a))
        wins = np.zeros((m, m))
        ties = np.zeros((m, m))
        np.add.at(wins, (ai[score == 1], bi[score == 1]), w[score == 1])
        np.add.at(wins, (bi[score == 0], ai[score == 0]), w[score == 0])
        np.add.at(ties, (ai[score == 0.5], bi[score == 0.5]), w[score == 0.5])
        ties = ties + ties.T
        ratings.append(bradley_terry_from_counts(wins, ties, models=board.models).to_dict())
    per_model = {n: [r["rating"][r["models"].index(n)] for r in ratings] for n in board.models.tolist()}
    lower = np.array([np.quantile(per_model[n], 0.025) for n in board.models])
    upper = np.array([np.quantile(per_model[n], 0.975) for n in board.models])
    width = upper - lower
    assert np.all(np.abs(board.lower - lower) < 0.25 * width)
    assert np.all(np.abs(board.upper - upper) < 0.25 * width)
    with pytest.raises(ValueError, match="resample"):
        bradley_terry(a, b, outcome, bootstrap=2, resample="jackknife")


def test_counts_bootstrap_equals_battles_bootstrap(battles):
    a, b, outcome = battles
    wins, ties, names = count_matrix(a, b, outcome)
    from_counts = bradley_terry_from_counts(wins, ties, models=names, bootstrap=20, seed=4)
    from_battles = bradley_terry(a, b, outcome, bootstrap=20, seed=4)
    np.testing.assert_allclose(from_counts.lower, from_battles.lower, rtol=0, atol=1e-9)


def test_dask_accumulate(battles):
    a, b, outcome = battles
    arrays = [da.from_array(x, chunks=1500) for x in (a, b, outcome)]
    state = fastscore.dask.accumulate(BattleCounts(), *arrays, scheduler="threads")
    np.testing.assert_allclose(state.compute().rating, bradley_terry(a, b, outcome).rating, rtol=0, atol=1e-9)


def davidson_loglik(theta, nu, wins, ties):
    pi = np.exp(theta)
    d = pi[:, None] + pi[None, :] + nu * np.sqrt(pi[:, None] * pi[None, :])
    upper = np.triu(ties, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        win_terms = np.where(wins > 0, wins * np.log(pi[:, None] / d), 0.0)
        tie_terms = np.where(upper > 0, upper * np.log(nu * np.sqrt(pi[:, None] * pi[None, :]) / d), 0.0)
    return win_terms.sum() + tie_terms.sum()


def test_davidson_two_models_closed_form():
    # the multinomial MLE: pi_a / pi_b = wins_a / wins_b, nu = ties / sqrt(wins_a wins_b)
    theta, nu = fit_davidson(np.array([[0, 6], [2, 0]]), np.array([[0, 3], [3, 0]]))
    assert np.exp(theta[0] - theta[1]) == pytest.approx(3.0, rel=1e-8)
    assert nu == pytest.approx(3 / np.sqrt(12), rel=1e-8)


def test_davidson_is_a_maximum_and_bradley_terry_without_ties(battles):
    wins, ties, names = count_matrix(*battles)
    theta, nu = fit_davidson(wins, ties)
    best = davidson_loglik(theta, nu, wins, ties)
    rng = np.random.default_rng(0)
    for _ in range(20):  # every nearby point is worse
        step = rng.normal(scale=1e-3, size=theta.size)
        assert davidson_loglik(theta + step, nu * np.exp(rng.normal(scale=1e-3)), wins, ties) < best
    no_ties, _ = fit_davidson(wins, np.zeros_like(ties))
    np.testing.assert_allclose(no_ties, fit_bradley_terry(wins), rtol=0, atol=1e-9)
    board = bradley_terry(*battles, ties_model="davidson", bootstrap=5, seed=0)
    assert board.tie_parameter == pytest.approx(nu) and board.lower is not None
    with pytest.raises(ValueError, match="ties_model"):
        bradley_terry(*battles, ties_model="rao-kupper")
