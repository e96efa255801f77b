"""Voting rules against pref_voting on the same profiles (strict, and with ties and partial rankings)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pref_voting.other_methods import kemeny_young, kemeny_young_rankings
from pref_voting.profiles import Profile
from pref_voting.profiles_with_ties import ProfileWithTies

from fastscore.ranking import borda, copeland, kemeny, margin_matrix
from fastscore.ranking.voting import agreement, preference_matrix


def strict_profile(seed, n, m):
    rng = np.random.default_rng(seed)
    return np.array([rng.permutation(m) for _ in range(n)]), rng.integers(1, 4, n)


@given(st.integers(0, 2 ** 31), st.integers(1, 15), st.integers(2, 6))
def test_strict_profiles_equal_pref_voting(seed, n, m):
    rankings, counts = strict_profile(seed, n, m)
    profile = Profile(rankings.tolist(), rcounts=counts.tolist())
    weights = counts.astype(float)
    theirs = profile.borda_scores()
    assert borda(rankings, weights=weights).scores.tolist() == [theirs[c] for c in range(m)]
    theirs = profile.copeland_scores()
    assert copeland(rankings, weights=weights).scores.tolist() == [theirs[c] for c in range(m)]
    assert np.array_equal(margin_matrix(rankings, weights=weights), np.asarray(profile.margin_matrix))
    # Kemeny: the same optimal agreement, and our winner is one of pref_voting's Kemeny winners
    ours = kemeny(rankings, weights=weights)
    best_rankings, distance = kemeny_young_rankings(profile)
    prefer = preference_matrix(rankings, weights=weights)
    assert agreement(prefer, ours.order) == pytest.approx(agreement(prefer, np.array(best_rankings[0])))
    assert ours.winner in kemeny_young(profile)


@given(st.integers(0, 2 ** 31), st.integers(1, 12), st.integers(2, 6))
def test_ties_and_partial_rankings_equal_pref_voting(seed, n, m):
    rng = np.random.default_rng(seed)
    ranks = rng.integers(1, 4, (n, m)).astype(float)
    ranks[rng.random((n, m)) < 0.25] = np.nan
    ranks[:, 0] = np.where(np.isnan(ranks).all(axis=1), 1.0, ranks[:, 0])  # every ballot ranks something
    counts = rng.integers(1, 3, n)
    ballots = [{c: float(r[c]) for c in range(m) if not np.isnan(r[c])} for r in ranks]
    profile = ProfileWithTies(ballots, rcounts=counts.tolist(), candidates=list(range(m)))
    profile.use_extended_strict_preference()  # unranked below the ranked ones, as fastscore does
    weights = counts.astype(float)
    assert np.array_equal(margin_matrix(ranks=ranks, weights=weights), np.asarray(profile.margin_matrix))
    theirs = profile.copeland_scores()
    assert copeland(ranks=ranks, weights=weights).scores.tolist() == [theirs[c] for c in range(m)]
    # pref_voting's symmetric Borda (below - above) is 2 * ours - (m - 1) per ballot
    theirs = profile.borda_scores()
    ours = borda(ranks=ranks, weights=weights).scores
    assert (2 * ours - weights.sum() * (m - 1)).tolist() == [theirs[c] for c in range(m)]
