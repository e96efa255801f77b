"""Bradley-Terry and Elo against a faithful baseline of Chatbot Arena's algorithm (same data, same run).

Arena's leaderboard code is not installable without PyTorch, so
fastscore/ranking/_arena_baseline.py carries its algorithm, our code following
FastChat's rating_systems.py step by step (pd.factorize, an int32 schedule made
unique with counts, L-BFGS-B with gtol 1e-6; the plain Python Elo loop over the
rows of the (n, 2) matchups array), so that the timings compare like for like.
"""
import numpy as np
import pandas as pd
import pytest

from fastscore.ranking import borda, bradley_terry, elo, margin_matrix
from fastscore.datasets.synthetic import arena_battles
from fastscore.ranking import _arena_baseline as arena


@pytest.fixture(scope="module")
def battles():
    """1M battles among 100 models, 15 % ties; model and winner columns categorical (both sides get this frame)."""
    frame = arena_battles(1_000_000, 100, ties=0.15, seed=0)
    bradley_terry(frame.iloc[:1000])
    elo(frame.iloc[:1000])
    return frame


@pytest.mark.benchmark(group="Bradley-Terry, 1M battles, 100 models, categorical")
def test_fastscore_bradley_terry(benchmark, battles):
    benchmark(bradley_terry, battles)


@pytest.mark.benchmark(group="Bradley-Terry, 1M battles, 100 models, categorical")
def test_arena_compute_bt(benchmark, battles):
    expected = benchmark.pedantic(arena.compute_bt, (battles.model_a, battles.model_b, battles.winner),
                                  rounds=3, iterations=1)
    board = bradley_terry(battles)
    ours = dict(zip(board.models.tolist(), board.rating))
    # Arena's L-BFGS-B stops early (~1e-3 points here); its fit run to convergence is ours to 1e-6
    assert max(abs(ours[k] - v) for k, v in expected.items()) < 1e-2
    converged = arena.compute_bt(battles.model_a, battles.model_b, battles.winner, converge=True)
    assert max(abs(ours[k] - v) for k, v in converged.items()) < 1e-6


@pytest.fixture(scope="module")
def string_battles():
    """The same 1M battles with plain string columns: both sides hash the names."""
    return arena_battles(1_000_000, 100, ties=0.15, seed=0, categorical=False)


@pytest.mark.benchmark(group="Bradley-Terry, 1M battles, 100 models, string columns")
def test_fastscore_bradley_terry_strings(benchmark, string_battles):
    benchmark.pedantic(bradley_terry, (string_battles,), rounds=5, iterations=1)


@pytest.mark.benchmark(group="Bradley-Terry, 1M battles, 100 models, string columns")
def test_arena_compute_bt_strings(benchmark, string_battles):
    frame = string_battles
    expected = benchmark.pedantic(arena.compute_bt, (frame.model_a, frame.model_b, frame.winner), rounds=3, iterations=1)
    board = bradley_terry(frame)
    ours = dict(zip(board.models.tolist(), board.rating))
    assert max(abs(ours[k] - v) for k, v in expected.items()) < 1e-2


@pytest.mark.benchmark(group="Elo, 1M battles")
def test_fastscore_elo(benchmark, battles):
    benchmark(elo, battles)


@pytest.mark.benchmark(group="Elo, 1M battles")
def test_arena_compute_elo(benchmark, battles):
    expected = benchmark.pedantic(arena.compute_elo, (battles,), rounds=1, iterations=1)
    board = elo(battles)
    ours = dict(zip(board.models.tolist(), board.rating))
    assert max(abs(ours[k] - v) for k, v in expected.items()) < 1e-6


@pytest.mark.benchmark(group="Elo, 1M battles")
def test_fastchat_current_compute_elo(benchmark, battles):
    """FastChat's current rating_systems.compute_elo (factorize, then a loop with math.exp): identical ratings."""
    expected = benchmark.pedantic(arena.current_compute_elo, (battles,), rounds=1, iterations=1)
    board = elo(battles)
    ours = dict(zip(board.models.tolist(), board.rating))
    assert all(ours[k] == v for k, v in expected.items())


@pytest.mark.benchmark(group="Bradley-Terry bootstrap: 1,000 rounds (fastscore) vs 10 rounds (Arena)")
def test_fastscore_bootstrap_1000_rounds(benchmark, battles):
    board = benchmark.pedantic(bradley_terry, (battles,), kwargs=dict(bootstrap=1000, seed=0), rounds=1, iterations=1)
    assert np.all(board.lower <= board.upper)


@pytest.mark.benchmark(group="Bradley-Terry bootstrap: 1,000 rounds (fastscore) vs 10 rounds (Arena)")
def test_arena_bootstrap_10_rounds(benchmark, battles):
    """Arena resamples battle rows and refits; 10 rounds here (100 would take minutes): multiply by 10."""
    rng = np.random.default_rng(0)

    def ten_rounds():
        for _ in range(10):
            sample = battles.sample(frac=1.0, replace=True, random_state=int(rng.integers(2**31)))
            arena.compute_bt(sample.model_a, sample.model_b, sample.winner)

    benchmark.pedantic(ten_rounds, rounds=1, iterations=1)


# evalica (Rust core), each call given its documented input form: the two model columns, a list of
# evalica.Winner and a prebuilt pd.Index (built once, outside the timing) -----------------------

@pytest.fixture(scope="module")
def evalica_inputs(battles):
    evalica = pytest.importorskip("evalica", reason="evalica is in the bench extra")
    outcome = {"model_a": evalica.Winner.X, "model_b": evalica.Winner.Y, "tie": evalica.Winner.Draw}
    return evalica, (battles.model_a, battles.model_b, [outcome[w] for w in battles.winner]), \
        pd.Index(battles.model_a.cat.categories)


@pytest.mark.benchmark(group="Bradley-Terry, 1M battles, 100 models, categorical")
def test_evalica_bradley_terry(benchmark, battles, evalica_inputs):
    evalica, columns, index = evalica_inputs
    result = benchmark.pedantic(lambda: evalica.bradley_terry(*columns, index=index), rounds=5, iterations=1)
    theirs = np.log(result.scores) * 400 / np.log(10)  # its exp scale to rating points
    board = bradley_terry(battles)
    ours = pd.Series(board.rating, index=board.models)[theirs.index]
    assert np.abs((ours - ours.mean()) - (theirs - theirs.mean())).max() < 1e-3


@pytest.mark.benchmark(group="Elo, 1M battles")
def test_evalica_elo(benchmark, battles, evalica_inputs):
    evalica, columns, index = evalica_inputs
    result = benchmark.pedantic(lambda: evalica.elo(*columns, index=index), rounds=5, iterations=1)
    board = elo(battles)
    ours = dict(zip(board.models.tolist(), board.rating))
    assert max(abs(ours[k] - v) for k, v in result.scores.items()) < 1e-6


@pytest.mark.benchmark(group="Bradley-Terry bootstrap: 1,000 rounds (fastscore) vs 3 rounds (evalica)")
def test_evalica_bootstrap_3_rounds(benchmark, evalica_inputs):
    """evalica.bootstrap refits on resampled battle rows through scipy: 3 rounds here; divide by 3 per round."""
    evalica, columns, index = evalica_inputs
    benchmark.pedantic(lambda: evalica.bootstrap(evalica.bradley_terry, *columns, index=index, n_resamples=3,
                                                 random_state=0, bootstrap_method="percentile"),
                       rounds=1, iterations=1)


@pytest.mark.benchmark(group="Bradley-Terry bootstrap: 1,000 rounds (fastscore) vs 3 rounds (evalica)")
def test_fastscore_bootstrap_1000_rounds_again(benchmark, battles):
    benchmark.pedantic(bradley_terry, (battles,), kwargs=dict(bootstrap=1000, seed=0), rounds=1, iterations=1)


@pytest.fixture(scope="module")
def profile_10k():
    rng = np.random.default_rng(0)
    rankings = np.argsort(rng.random((10_000, 50)), axis=1)
    borda(rankings[:10])
    margin_matrix(rankings[:10])
    return rankings


@pytest.mark.benchmark(group="10,000 rankings of 50 items: Borda scores + margin matrix")
def test_fastscore_borda_and_margins(benchmark, profile_10k):
    benchmark(lambda: (borda(profile_10k), margin_matrix(profile_10k)))


@pytest.mark.benchmark(group="10,000 rankings of 50 items: Borda scores + margin matrix")
def test_pref_voting_profile(benchmark, profile_10k):
    from pref_voting.profiles import Profile

    def run():
        profile = Profile(profile_10k.tolist())
        return profile.borda_scores(), np.asarray(profile.margin_matrix)

    scores, margins = benchmark.pedantic(run, rounds=3, iterations=1)
    assert borda(profile_10k).scores.tolist() == [scores[c] for c in range(50)]
    assert np.array_equal(margin_matrix(profile_10k), margins)


# FastChat's compute_bootstrap_elo (all rounds advance together, one NumPy step per battle) against
# fastscore.compat.fastchat's, same np.random draws, identical ratings; 100,000 battles, 100 rounds

@pytest.fixture(scope="module")
def bootstrap_elo_battles(battles):
    from fastscore.compat import fastchat

    frame = battles.iloc[:100_000]
    np.random.seed(0)
    fastchat.compute_bootstrap_elo(frame.iloc[:1000], num_round=2)
    return frame


@pytest.mark.benchmark(group="Elo bootstrap, 100k battles, 100 rounds (FastChat's draws)")
def test_fastscore_compute_bootstrap_elo(benchmark, bootstrap_elo_battles):
    from fastscore.compat import fastchat

    def run():
        np.random.seed(0)
        return fastchat.compute_bootstrap_elo(bootstrap_elo_battles, num_round=100)

    ours = benchmark.pedantic(run, rounds=5, iterations=1)
    np.random.seed(0)
    theirs = arena.current_compute_bootstrap_elo(bootstrap_elo_battles, num_round=100)
    assert np.array_equal(ours[theirs.columns].to_numpy(), theirs.to_numpy())


@pytest.mark.benchmark(group="Elo bootstrap, 100k battles, 100 rounds (FastChat's draws)")
def test_fastchat_compute_bootstrap_elo(benchmark, bootstrap_elo_battles):
    def run():
        np.random.seed(0)
        return arena.current_compute_bootstrap_elo(bootstrap_elo_battles, num_round=100)

    benchmark.pedantic(run, rounds=1, iterations=1)
