"""Committee rules against brute force over every committee (small m)."""
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastscore.ranking import item_scores, select_committee


def random_profile(seed, n, m):
    rng = np.random.default_rng(seed)
    return np.array([rng.permutation(m) for _ in range(n)]), rng.integers(1, 4, n).astype(float)


def brute_additive(rankings, weights, k, rule, groups=None, low=None, high=None):
    m = rankings.shape[1]
    position = np.argsort(rankings, axis=1)
    points = {"sntv": position == 0, "bloc": position < k, "borda": m - 1 - position}[rule].astype(float)
    scores = weights @ points
    best = None
    for committee in itertools.combinations(range(m), k):
        if groups is not None:
            counts = {g: sum(groups[c] == g for c in committee) for g in set(groups)}
            if any(counts[g] < low.get(g, 0) or counts[g] > high.get(g, k) for g in counts):
                continue
        value = scores[list(committee)].sum()
        best = value if best is None else max(best, value)
    return best


def brute_cc(rankings, weights, k):
    m = rankings.shape[1]
    utility = (m - 1 - np.argsort(rankings, axis=1)) * weights[:, None]
    return max(utility[:, list(c)].max(axis=1).sum() for c in itertools.combinations(range(m), k))


@given(st.integers(0, 2 ** 31), st.integers(1, 12), st.integers(2, 7), st.data())
def test_additive_rules_are_optimal(seed, n, m, data):
    rankings, weights = random_profile(seed, n, m)
    k = data.draw(st.integers(1, m))
    for rule in ("sntv", "bloc", "borda"):
        result = select_committee(rankings, k, rule=rule, weights=weights)
        assert result.exact and len(set(result.members.tolist())) == k
        assert result.score == pytest.approx(brute_additive(rankings, weights, k, rule))
        assert result.score == pytest.approx(item_scores(rankings, k, rule, weights=weights)[result.members].sum())


@given(st.integers(0, 2 ** 31), st.integers(1, 10), st.integers(3, 7), st.data())
def test_fair_additive_rules_are_optimal(seed, n, m, data):
    rankings, weights = random_profile(seed, n, m)
    rng = np.random.default_rng(seed)
    groups = rng.choice(["a", "b"], m)
    groups[:2] = ["a", "b"]  # both groups exist (bounds on an unknown group are an error)
    k = data.draw(st.integers(1, m))
    low = {"a": int(min(1, (groups == "a").sum()))}
    high = {"b": int(max(k - 1, 0))}
    feasible = brute_additive(rankings, weights, k, "borda", groups, low, high)
    if feasible is None:
        with pytest.raises(ValueError, match="bounds|cannot"):
            select_committee(rankings, k, rule="borda", groups=groups, at_least=low, at_most=high)
        return
    for rule in ("sntv", "bloc", "borda"):
        result = select_committee(rankings, k, rule=rule, weights=weights, groups=groups, at_least=low, at_most=high)
        chosen = groups[result.members]
        assert (chosen == "a").sum() >= low["a"] and (chosen == "b").sum() <= high["b"]
        assert result.score == pytest.approx(brute_additive(rankings, weights, k, rule, groups, low, high))


@given(st.integers(0, 2 ** 31), st.integers(1, 10), st.integers(2, 7), st.data())
def test_chamberlin_courant_greedy_guarantee(seed, n, m, data):
    rankings, weights = random_profile(seed, n, m)
    k = data.draw(st.integers(1, m))
    result = select_committee(rankings, k, rule="chamberlin_courant", weights=weights)
    optimum = brute_cc(rankings, weights, k)
    assert result.score <= optimum + 1e-9
    assert result.score >= (1 - 1 / np.e) * optimum - 1e-9


def test_chamberlin_courant_respects_group_bounds():
    rankings, weights = random_profile(4, 20, 8)
    groups = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    result = select_committee(rankings, 4, rule="chamberlin_courant", groups=groups, at_least={1: 2})
    assert (groups[result.members] == 1).sum() >= 2


def test_bad_input():
    rankings = [[0, 1, 2], [2, 1, 0]]
    with pytest.raises(ValueError, match="k must be"):
        select_committee(rankings, 4)
    with pytest.raises(ValueError, match="rule"):
        select_committee(rankings, 1, rule="pav")
    with pytest.raises(ValueError, match="no committee"):
        select_committee(rankings, 1, groups=[0, 0, 1], at_least={0: 1, 1: 1})
    with pytest.raises(ValueError, match="no item belongs"):
        select_committee(rankings, 1, groups=[0, 0, 1], at_least={5: 1})
    with pytest.raises(ValueError, match="groups"):
        select_committee(rankings, 1, at_least={0: 1})
    with pytest.raises(ValueError, match="permutation"):
        select_committee([[0, 0, 1]], 1)
