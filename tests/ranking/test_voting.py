"""Voting rules: hand cases, compiled counts = reference, Kemeny = brute force."""
import itertools

import numpy as np
import pytest

from fastscore.ranking import (
    aggregate_benchmark,
    aggregate_instances,
    borda,
    copeland,
    kemeny,
    margin_matrix,
    preference_matrix,
)
from fastscore.ranking.voting import agreement


def random_profile(seed, voters, items):
    rng = np.random.default_rng(seed)
    # voters share a noisy common order, so that the rules have something to find
    base = rng.normal(size=items)
    return np.array([np.argsort(-(base + rng.normal(scale=1.5, size=items))) for _ in range(voters)])


def test_hand_profile():
    # 2 voters a > b > c, 1 voter b > c > a
    rankings = [[0, 1, 2], [0, 1, 2], [1, 2, 0]]
    assert borda(rankings).scores.tolist() == [4.0, 4.0, 1.0]  # a: 2+2+0, b: 1+1+2, c: 0+0+1
    assert borda(rankings).order.tolist() == [0, 1, 2]  # a and b tie: by item id
    assert margin_matrix(rankings).tolist() == [[0, 1, 1], [-1, 0, 3], [-1, -3, 0]]
    assert copeland(rankings).scores.tolist() == [2.0, 0.0, -2.0]
    assert kemeny(rankings).order.tolist() == [0, 1, 2]


def test_weights_equal_repeated_rankings():
    rankings = random_profile(1, 30, 6)
    counts = np.random.default_rng(2).integers(1, 4, size=30)
    repeated = np.repeat(rankings, counts, axis=0)
    np.testing.assert_allclose(borda(rankings, weights=counts).scores, borda(repeated).scores)
    np.testing.assert_allclose(margin_matrix(rankings, weights=counts), margin_matrix(repeated))


def test_compiled_counts_equal_reference():
    rankings = random_profile(3, 500, 9)
    weights = np.random.default_rng(4).random(500)
    np.testing.assert_allclose(preference_matrix(rankings, weights=weights),
                               preference_matrix(rankings, weights=weights, backend="reference"), rtol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_kemeny_is_optimal_by_brute_force(seed):
    items = 3 + seed % 5
    rankings = random_profile(seed, 15, items)
    prefer = preference_matrix(rankings)
    best = max(agreement(prefer, np.array(order)) for order in itertools.permutations(range(items)))
    result = kemeny(rankings)
    assert result.exact
    assert agreement(prefer, result.order) == pytest.approx(best)


def test_kemeny_beyond_twenty_items_is_approximate_and_no_worse_than_borda():
    rankings = random_profile(9, 40, 23)
    result = kemeny(rankings, seed=1, restarts=2)
    assert not result.exact
    prefer = preference_matrix(rankings)
    assert agreement(prefer, result.order) >= agreement(prefer, borda(rankings).order)
    assert sorted(result.order.tolist()) == list(range(23))


def test_bad_profiles():
    with pytest.raises(ValueError, match="not a permutation"):
        borda([[0, 1, 1], [0, 1, 2]])
    with pytest.raises(ValueError, match="not a permutation"):
        borda([[0, 1, 3]])
    with pytest.raises(TypeError, match="integer item ids"):
        borda([[0.0, 1.0]])
    with pytest.raises(ValueError, match="non-empty"):
        borda(np.zeros((0, 3), dtype=int))
    with pytest.raises(ValueError, match="one entry per ranking"):
        borda([[0, 1]], weights=[1, 2])
    with pytest.raises(ValueError, match=">= 0"):
        margin_matrix([[0, 1]], weights=[-1])


def test_aggregate_benchmark_on_glue():
    from fastscore.datasets import load_glue
    from fastscore.ranking import aggregate_benchmark

    systems, tasks, scores, average = load_glue()
    assert scores.shape == (105, 14) and len(tasks) == 14
    # the leaderboard's Score column is (close to) the mean of the tasks
    mean = aggregate_benchmark(scores, method="mean")
    np.testing.assert_allclose(mean.scores, scores.mean(axis=1))
    # Borda over tasks equals Borda computed from the per-task rankings by hand
    rankings = np.stack([np.lexsort((np.arange(105), -scores[:, t])) for t in range(14)])
    expected_points = np.zeros(105)
    for row in rankings:
        expected_points[row] += np.arange(104, -1, -1)
    result = aggregate_benchmark(scores)
    np.testing.assert_allclose(result.scores, expected_points)
    assert sorted(result.order.tolist()) == list(range(105))
    # lower is better flips the order
    flipped = aggregate_benchmark(-scores, higher_is_better=False)
    np.testing.assert_array_equal(flipped.order, result.order)
    with pytest.raises(ValueError, match="method='median'"):
        aggregate_benchmark(scores, method="median")
    with pytest.raises(ValueError, match="scores contains NaN"):
        aggregate_benchmark([[1.0, np.nan]])


def manual_borda_order(rankings):
    m = rankings.shape[1]
    points = np.zeros(m)
    for row in rankings:
        points[row] += np.arange(m - 1, -1, -1)
    return np.lexsort((np.arange(m), -points)), points


def test_aggregate_instances_two_levels_by_hand():
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 5, (6, 9, 4)).astype(float)  # ties within instances on purpose
    result = aggregate_instances(scores, method="borda")
    per_metric = []
    for j in range(4):
        # an instance ranks the systems by score, ties by system index
        rankings = np.array([sorted(range(6), key=lambda s: (-scores[s, i, j], s)) for i in range(9)])
        per_metric.append(manual_borda_order(rankings)[0])
    per_metric = np.array(per_metric)
    np.testing.assert_array_equal(result.per_metric, per_metric)
    order, points = manual_borda_order(per_metric)
    np.testing.assert_array_equal(result.order, order)
    np.testing.assert_array_equal(result.scores, points)
    mean = aggregate_instances(scores, method="mean")
    np.testing.assert_array_equal(mean.order, np.lexsort((np.arange(6), -scores.mean(axis=(1, 2)))))


def test_aggregate_instances_on_tac08():
    from fastscore.datasets import load_tac08

    systems, utterances, metrics, scores = load_tac08()
    automatic = scores[:, :, 2:]
    for method in ("borda", "copeland", "mean"):
        result = aggregate_instances(automatic, method=method)
        assert sorted(result.order.tolist()) == list(range(48))
        assert result.per_metric.shape == (13, 48)
    with pytest.raises(ValueError, match="systems, instances, metrics"):
        aggregate_instances(scores[:, :, 0])


def test_ranks_form_equals_rankings_form_for_strict_rankings():
    rng = np.random.default_rng(8)
    rankings = np.array([rng.permutation(6) for _ in range(40)])
    weights = rng.integers(1, 4, 40).astype(float)
    ranks = np.argsort(rankings, axis=1).astype(float)  # ranks[v, i]: position of item i
    np.testing.assert_array_equal(preference_matrix(ranks=ranks, weights=weights),
                                  preference_matrix(rankings, weights=weights))
    for rule in (borda, copeland, kemeny):
        a, b = rule(rankings, weights=weights), rule(ranks=ranks, weights=weights)
        np.testing.assert_array_equal(a.order, b.order)
        if a.scores is not None:
            np.testing.assert_allclose(a.scores, b.scores)


def brute_points(ranks):
    """Borda with ties and partial rankings, one voter and one pair at a time."""
    n, m = ranks.shape
    points = np.zeros(m)
    for v in range(n):
        r = np.where(np.isnan(ranks[v]), np.inf, ranks[v])
        for i in range(m):
            for j in range(m):
                if i != j:
                    points[i] += 1.0 if r[i] < r[j] else 0.5 if r[i] == r[j] else 0.0
    return points


def test_ties_and_partial_rankings_by_hand_and_kemeny_brute_force():
    rng = np.random.default_rng(9)
    ranks = rng.integers(0, 3, (25, 5)).astype(float)  # many ties
    ranks[rng.random((25, 5)) < 0.2] = np.nan  # partial ballots
    np.testing.assert_allclose(borda(ranks=ranks).scores, brute_points(ranks))
    prefer = preference_matrix(ranks=ranks)
    best = max(itertools.permutations(range(5)), key=lambda order: agreement(prefer, np.array(order)))
    assert agreement(prefer, kemeny(ranks=ranks).order) == pytest.approx(agreement(prefer, np.array(best)))
    margin = margin_matrix(ranks=ranks)
    np.testing.assert_allclose(copeland(ranks=ranks).scores, np.sign(margin).sum(axis=1))
    with pytest.raises(ValueError, match="one of them"):
        borda([[0, 1]], ranks=[[0, 1]])
    with pytest.raises(ValueError, match="infinite"):
        borda(ranks=[[0, np.inf]])


def test_aggregate_benchmark_ties_and_missing_results():
    scores = np.array([[0.9, 0.5, np.nan], [0.9, 0.7, 0.2], [0.1, 0.7, 0.4]])
    result = aggregate_benchmark(scores, ties="tied")
    # tasks as voters: task 0 ties systems 0 and 1; task 1 ties 1 and 2; task 2 lacks system 0
    expected = brute_points(-scores.T)
    np.testing.assert_allclose(result.scores, expected)
    mean = aggregate_benchmark(scores, method="mean", ties="tied")
    np.testing.assert_allclose(mean.scores, np.nanmean(scores, axis=1))
    with pytest.raises(ValueError):
        aggregate_benchmark(scores)  # NaN needs ties="tied"
