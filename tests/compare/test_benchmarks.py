"""aggregate_benchmark / aggregate_instances with bootstrap=: resampled tasks (instances) as voter weights."""
import numpy as np
import pytest

from fastscore.datasets import load_glue, load_tac08
from fastscore.ranking import aggregate_benchmark, aggregate_instances


def _draws(seed, n, n_boot):
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed))).multinomial(n, np.full(n, 1 / n), n_boot)


@pytest.mark.parametrize("method", ["borda", "copeland", "mean"])
def test_weights_are_duplicated_tasks(method):
    _, _, scores, _ = load_glue()
    scores = scores[:30]
    result = aggregate_benchmark(scores, method=method, bootstrap=120, seed=4)
    # the same replicates by hand: each task repeated as often as it was drawn
    position = np.empty((120, 30), np.int64)
    for b, counts in enumerate(_draws(4, scores.shape[1], 120)):
        order = aggregate_benchmark(np.repeat(scores, counts, axis=1), method=method).order
        position[b, order] = np.arange(30)
    assert np.array_equal(result.p_above, (position[:, :, None] < position[:, None, :]).mean(axis=0))
    assert np.array_equal(result.rank_intervals, np.quantile(position + 1, [(1 - 0.95) / 2, 1 - (1 - 0.95) / 2], axis=0).T)
    assert np.array_equal(result.order, aggregate_benchmark(scores, method=method).order)


def test_rank_intervals_and_probabilities():
    _, _, scores, _ = load_glue()
    result = aggregate_benchmark(scores, bootstrap=300)
    off = ~np.eye(len(result.order), dtype=bool)
    assert np.allclose((result.p_above + result.p_above.T)[off], 1.0)
    best = result.order[0]
    assert result.rank_intervals[best, 0] == 1 and (result.rank_intervals[:, 0] <= result.rank_intervals[:, 1]).all()


def test_instances_resampled():
    _, _, _, scores = load_tac08()
    scores = scores[:12, :, 2:5]
    result = aggregate_instances(scores, bootstrap=100, seed=2)
    position = np.empty((100, 12), np.int64)
    for b, counts in enumerate(_draws(2, scores.shape[1], 100)):
        order = aggregate_instances(np.repeat(scores, counts, axis=1)).order
        position[b, order] = np.arange(12)
    assert np.array_equal(result.p_above, (position[:, :, None] < position[:, None, :]).mean(axis=0))


def test_too_few_replicates():
    with pytest.raises(ValueError, match="too few"):
        aggregate_benchmark([[1, 2], [2, 1]], bootstrap=10)
