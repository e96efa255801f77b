"""Leaderboard comparisons: bootstrap and analytic intervals of rating differences, pairs, ranks."""
import numpy as np
import pytest

from fastscore.ranking import bradley_terry, bradley_terry_from_counts

SCALE = 400 / np.log(10)


def _wins(rng, strength, games):
    m = len(strength)
    wins = np.zeros((m, m))
    for i in range(m):
        for j in range(i + 1, m):
            won = rng.binomial(games, 1 / (1 + np.exp(-(strength[i] - strength[j]))))
            wins[i, j], wins[j, i] = won, games - won
    return wins


def test_analytic_covariance_matches_the_bootstrap():
    rng = np.random.default_rng(0)
    board = bradley_terry_from_counts(_wins(rng, np.linspace(0, 1.2, 6), 300), bootstrap=2000, seed=1)
    boot = np.cov(board.rounds.T)
    e = np.zeros(6)
    e[0], e[3] = 1, -1
    assert e @ board.covariance @ e == pytest.approx(e @ boot @ e, rel=0.15)
    assert np.sqrt(np.diag(board.covariance)) == pytest.approx(np.sqrt(np.diag(boot)), rel=0.15)


def test_analytic_interval_covers_the_true_difference():
    rng = np.random.default_rng(1)
    strength = np.array([0.0, 0.3, 0.5, 1.0])
    covered = 0
    for _ in range(200):
        board = bradley_terry_from_counts(_wins(rng, strength, 150), models=["w", "x", "y", "z"])
        d = board.compare("z", "x", method="analytic")
        covered += d.ci_low <= (1.0 - 0.3) * SCALE <= d.ci_high
    assert 0.92 <= covered / 200 <= 0.98


def test_bootstrap_difference_is_paired_over_the_rounds():
    rng = np.random.default_rng(2)
    board = bradley_terry_from_counts(_wins(rng, np.array([0.0, 0.05, 0.8]), 200), models=["a", "b", "c"],
                                      bootstrap=1000, seed=3)
    d = board.compare("b", "a")
    i, j = list(board.models).index("b"), list(board.models).index("a")
    replicates = board.rounds[:, i] - board.rounds[:, j]
    assert d.p_above == np.mean(replicates > 0) + 0.5 * np.mean(replicates == 0)
    assert d.ci_low <= d.difference <= d.ci_high
    same = board.compare("a", "a")
    assert same.difference == 0 and same.p_value == 1 and same.p_above == 0.5


def test_pairwise_matrix_with_holm():
    rng = np.random.default_rng(4)
    board = bradley_terry_from_counts(_wins(rng, np.array([0.0, 0.02, 0.6, 1.2]), 300), bootstrap=500, seed=0)
    for method in ("bootstrap", "analytic"):
        pw = board.pairwise(method=method)
        assert np.allclose(pw.difference, -pw.difference.T)
        assert np.array_equal(pw.p_adjusted, pw.p_adjusted.T) and (pw.p_adjusted >= pw.p_value - 1e-15).all()
        assert np.allclose(pw.p_above + pw.p_above.T, 1.0)
        assert np.allclose(pw.ci_low, -pw.ci_high.T)
        best, worst = board.models[0], board.models[-1]
        assert (best, worst) in pw.significant()
    ranks = board.rank_intervals()
    assert ranks.shape == (4, 2) and (ranks[:, 0] <= board.rank).all() and (board.rank <= ranks[:, 1]).all()


def test_bad_requests():
    rng = np.random.default_rng(5)
    board = bradley_terry_from_counts(_wins(rng, np.array([0.0, 0.5]), 50), models=["a", "b"])
    with pytest.raises(ValueError, match="no bootstrap rounds"):
        board.compare("a", "b")
    with pytest.raises(ValueError, match="not on the leaderboard"):
        board.compare("a", "zz", method="analytic")
    davidson = bradley_terry(["a", "b", "a", "b"], ["b", "a", "b", "a"], ["model_a", "tie", "model_b", "model_a"],
                             ties_model="davidson")
    with pytest.raises(ValueError, match="no analytic covariance"):
        davidson.compare("a", "b", method="analytic")
    assert "rounds" not in board.to_dict()


def test_battle_shards_give_the_one_call_rating_comparison():
    import dask.array as da

    import fastscore.dask
    from fastscore.compare import compare_ratings
    from fastscore.datasets.synthetic import arena_battles
    from fastscore.ranking.pairwise import BattleCounts

    battles = arena_battles(n_battles=30_000, n_models=6, seed=2)
    columns = [np.asarray(battles[c], dtype=str) for c in ("model_a", "model_b", "winner")]
    whole = BattleCounts().update(*columns).compute(bootstrap=300, seed=5)
    on_dask = fastscore.dask.accumulate(BattleCounts(), *(da.from_array(c, chunks=7_000) for c in columns),
                                        scheduler="sync").compute(bootstrap=300, seed=5)
    a, b = whole.models[0], whole.models[-1]
    for method in ("bootstrap", "analytic"):
        ours, theirs = compare_ratings(on_dask, a, b, method=method), compare_ratings(whole, a, b, method=method)
        assert [r.metric for r in ours.rows] == ["rating"]
        np.testing.assert_allclose([ours.rows[0].delta, ours.rows[0].ci_low, ours.rows[0].ci_high],
                                   [theirs.rows[0].delta, theirs.rows[0].ci_low, theirs.rows[0].ci_high], atol=1e-6)
        assert ours.rows[0].verdict == theirs.rows[0].verdict


def test_a_clustered_round_is_the_fit_on_the_drawn_conversations():
    from fastscore.datasets.synthetic import arena_battles

    battles = arena_battles(n_battles=3000, n_models=5, seed=3)
    a, b, w = (np.asarray(battles[c], dtype=str) for c in ("model_a", "model_b", "winner"))
    conversation = np.arange(3000) // 3  # three battles per conversation
    board = bradley_terry(a, b, w, bootstrap=4, seed=7, cluster=conversation)
    rng = np.random.default_rng(7)
    for r in range(4):
        drawn = rng.multinomial(1000, np.full(1000, 1 / 1000))
        take = np.repeat(np.arange(3000), drawn[conversation])  # each conversation as often as drawn
        refit = bradley_terry(a[take], b[take], w[take])
        by_name = dict(zip(refit.models.tolist(), refit.rating))
        np.testing.assert_allclose(board.rounds[r], [by_name[m] for m in board.models.tolist()], atol=1e-6)
    with pytest.raises(ValueError, match="one id per battle"):
        bradley_terry(a, b, w, bootstrap=4, cluster=conversation[:-1])
