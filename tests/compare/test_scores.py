"""compare_scores: statistical checks (fixed seeds, modest sizes), scipy equalities, kernels, bad input."""
import numpy as np
import pytest
import scipy.stats

from fastscore.compare import adjust_p_values, compare_scores
from fastscore.compare import resampling


def _pair(rng, n, delta=0.0, noise=0.5):
    """Correlated scores of two models on n examples: a shared example effect, own noise."""
    example = rng.normal(0, 1, n)
    return example + rng.normal(0, noise, n), example + delta + rng.normal(0, noise, n)


@pytest.mark.parametrize("method", ["bootstrap", "permutation"])
def test_null_rejection_rate(method):
    rng = np.random.default_rng(1)
    rejected = 0
    sets = 400
    for k in range(sets):
        b, c = _pair(rng, 60)
        rejected += compare_scores(b, c, method=method, n_boot=499, seed=k)["score"].p_value < 0.05
    assert 0.03 <= rejected / sets <= 0.07


def test_null_rejection_rate_of_correct_answers():
    rng = np.random.default_rng(2)
    rejected = 0
    for k in range(400):
        skill = rng.random(80)
        b, c = (rng.random(80) < skill).astype(float), (rng.random(80) < skill).astype(float)
        rejected += compare_scores(b, c, method="bootstrap", n_boot=499, seed=k)["score"].p_value < 0.05
    # discrete scores: the bootstrap test may be a little conservative, never liberal
    assert 0.015 <= rejected / 400 <= 0.07


def test_interval_covers_a_known_delta():
    rng = np.random.default_rng(3)
    covered = 0
    for k in range(300):
        b, c = _pair(rng, 80, delta=0.3)  # the true mean difference is 0.3
        row = compare_scores(b, c, n_boot=499, seed=k)["score"]
        covered += row.ci_low <= 0.3 <= row.ci_high
    assert 0.92 <= covered / 300 <= 0.98


def test_holm_keeps_the_family_wise_error_with_20_null_metrics():
    rng = np.random.default_rng(4)
    any_rejected = 0
    for k in range(200):
        p = [compare_scores(*_pair(rng, 40), n_boot=199, seed=1000 * k + j)["score"].p_value for j in range(20)]
        any_rejected += (adjust_p_values(p, "holm") < 0.05).any()
    assert any_rejected / 200 <= 0.05 + 0.03  # alpha plus Monte-Carlo slack (sd ~ 0.015)


@pytest.mark.parametrize("method", ["bootstrap", "permutation", "mcnemar"])
def test_identical_models(method):
    rng = np.random.default_rng(5)
    scores = (rng.random(300) < 0.6).astype(float) if method == "mcnemar" else rng.random(300)
    row = compare_scores(scores, scores.copy(), method=method, n_boot=999)["score"]
    assert row.delta == 0 and row.p_value == 1 and row.p_adjusted == 1
    assert row.ci_low == 0 and row.ci_high == 0 and row.verdict == "no significant change"


def test_paired_test_has_more_power_than_unpaired():
    rng = np.random.default_rng(6)
    paired = unpaired = 0
    for k in range(100):
        b, c = _pair(rng, 50, delta=0.15, noise=0.2)  # strongly correlated models
        paired += compare_scores(b, c, n_boot=499, seed=k)["score"].p_value < 0.05
        # the unpaired bootstrap (each model resampled on its own) ignores the correlation
        g = np.random.default_rng(k)
        theta = (c[g.integers(0, 50, (499, 50))].mean(axis=1) - b[g.integers(0, 50, (499, 50))].mean(axis=1))
        unpaired += min(1.0, 2 * (min((theta <= 0).sum(), (theta >= 0).sum()) + 1) / 500) < 0.05
    assert paired > unpaired + 30


def test_percentile_interval_equals_scipy_on_the_same_draws():
    rng = np.random.default_rng(7)
    b, c = _pair(rng, 200, delta=0.1)
    seed, n_boot = 11, 999
    ref = scipy.stats.bootstrap((b, c), lambda x, y, axis: np.mean(y, axis=axis) - np.mean(x, axis=axis),
                                paired=True, vectorized=True, method="percentile", n_resamples=n_boot,
                                random_state=np.random.default_rng(seed), confidence_level=0.9)
    indices = np.random.default_rng(seed).integers(0, 200, (n_boot, 200))  # scipy's draws, all in one batch
    row = compare_scores(b, c, n_boot=n_boot, ci=0.9, resample_indices=indices)["score"]
    assert (row.ci_low, row.ci_high) == (ref.confidence_interval.low, ref.confidence_interval.high)


def test_exact_mcnemar_equals_scipy_binomtest():
    b = np.array([1] * 30 + [0] * 12 + [1] * 50 + [0] * 8, dtype=float)
    c = np.array([0] * 30 + [1] * 12 + [1] * 50 + [0] * 8, dtype=float)
    row = compare_scores(b, c, n_boot=999)["score"]
    assert row.test == "exact McNemar"
    # exact integer arithmetic here, scipy's incomplete beta there: equal to rounding
    assert row.p_value == pytest.approx(scipy.stats.binomtest(12, 42, 0.5).pvalue, rel=1e-12)
    for n10, n01 in ((0, 7), (3, 3), (40, 61), (900, 1000)):
        b = np.array([1] * n10 + [0] * n01, dtype=float)
        p = compare_scores(b, 1 - b, n_boot=199)["score"].p_value
        assert p == pytest.approx(scipy.stats.binomtest(min(n10, n01), n10 + n01, 0.5).pvalue, rel=1e-12)
    assert row.delta == pytest.approx((12 - 30) / 100, abs=1e-15)


def test_margin_turns_it_into_non_inferiority():
    rng = np.random.default_rng(8)
    b, c = _pair(rng, 2000, delta=-0.01, noise=0.05)
    assert compare_scores(b, c, n_boot=999, margin=0.05)["score"].verdict == "equivalent"
    assert compare_scores(b, c, n_boot=999, margin=0.001)["score"].verdict == "regression"
    lower_better = compare_scores(b, c, n_boot=999, higher_is_better=False)["score"]
    assert lower_better.verdict == "improvement"  # a lower error is better


def test_clusters_resample_whole_groups():
    rng = np.random.default_rng(9)
    prompts = np.repeat(np.arange(50), 8)  # 8 generations per prompt
    effect = rng.normal(0, 1, 50)[prompts]
    b = effect + rng.normal(0, 0.1, 400)
    c = effect + 0.02 + rng.normal(0, 0.1, 400)
    clustered = compare_scores(b, c, cluster=prompts, n_boot=999)["score"]
    plain = compare_scores(b, c, n_boot=999)["score"]
    assert clustered.delta == plain.delta
    assert clustered.ci_high - clustered.ci_low > 0  # both finite intervals around the same delta
    assert clustered.ci_low <= clustered.delta <= clustered.ci_high


def test_ids_align_and_name_the_missing_examples():
    b, c = np.array([0.1, 0.5, 0.9]), np.array([0.9, 0.1, 0.5])
    aligned = compare_scores(b, c, ids=(["a", "b", "c"], ["c", "a", "b"]), method="permutation", n_boot=199)
    assert aligned["score"].delta == 0
    with pytest.raises(ValueError, match="1 id\\(s\\) only in the baseline \\(first: \\['c'\\]\\)"):
        compare_scores(b, c, ids=(["a", "b", "c"], ["a", "b", "d"]))
    ids = (["a", "b", "c"], ["a", "b", "d"])
    dropped = compare_scores(b, c, ids=ids, allow_missing="drop", method="permutation", n_boot=199)["score"]
    assert (dropped.baseline, dropped.candidate) == (np.mean([0.1, 0.5]), np.mean([0.9, 0.1]))
    zero = compare_scores(b, c, ids=ids, allow_missing="zero", method="permutation", n_boot=199)["score"]
    assert zero.baseline == np.mean([0.1, 0.5, 0.9, 0.0]) and zero.candidate == np.mean([0.9, 0.1, 0.0, 0.5])


@pytest.mark.parametrize("kwargs, match", [
    ({"n_boot": 50}, "too few"), ({"ci": 1.2}, "ci must be"), ({"margin": -0.1}, "margin must be"),
    ({"method": "wilcoxon"}, "method must be"), ({"statistic": "median"}, "statistic must be"),
    ({"seed": -3}, "seed must be"), ({"resample": "jackknife"}, "resample must be"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compare_scores([0.1, 0.2, 0.3], [0.2, 0.2, 0.4], method=kwargs.pop("method", "bootstrap"), **kwargs)


def test_bad_scores():
    with pytest.raises(ValueError, match="different lengths"):
        compare_scores([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match=r"candidate scores\[1\] = nan"):
        compare_scores([0.1, 0.2], [0.1, np.nan])
    with pytest.raises(ValueError, match="empty"):
        compare_scores([], [])
    with pytest.raises(ValueError, match="0/1 scores"):
        compare_scores([0.1, 0.2], [0.3, 0.4], method="mcnemar")


def test_same_seed_same_replicates_and_kernels_equal_their_reference():
    rng = np.random.default_rng(10)
    values = rng.random((37, 3))
    for kind in ("multinomial", "poisson"):
        a = resampling.resampled_sums(values, 150, seed=5, resample=kind)
        assert np.array_equal(a, resampling.resampled_sums(values, 150, seed=5, resample=kind))
        assert np.array_equal(a, resampling.resampled_sums(values, 150, seed=5, resample=kind, backend="reference"))
    d = values[:, 0] - values[:, 1]
    assert np.array_equal(resampling.signflip_sums(d, 130, seed=2),
                          resampling.signflip_sums(d, 130, seed=2, backend="reference"))
    # the kernels' generator is NumPy's PCG64 stream
    from fastscore._cy.compare import pcg64_raw

    state = resampling.block_states(5, 1)[0]
    child = np.random.SeedSequence(5).spawn(1)[0]
    assert pcg64_raw(*state, 10) == np.random.PCG64(child).random_raw(10).tolist()


@pytest.mark.parametrize("n", [1, 2, 3, 1000, 40_000])
def test_bootstrap_draws_are_numpys_integers(n):
    """A block's indices are NumPy's Generator(PCG64(child)).integers(0, n, size=(B, n)); the sums
    add them in draw order (a cumulative sum's last value)."""
    values = np.random.default_rng(n).normal(size=(n, 1))
    sums = resampling.resampled_sums(values, 70, seed=8)  # two blocks: 64 and 6 replicates
    children = np.random.SeedSequence(8).spawn(2)
    for block, size in enumerate((64, 6)):
        idx = np.random.Generator(np.random.PCG64(children[block])).integers(0, n, size=(size, n))
        expected = np.cumsum(values[idx, 0], axis=1)[:, -1]
        assert np.array_equal(sums[64 * block:64 * block + size, 0], expected)


def test_multinomial_weights_draw_n_units_and_poisson_weights_have_mean_one():
    ones = np.ones((500, 1))
    assert (resampling.resampled_sums(ones, 64, seed=0) == 500).all()
    poisson = resampling.resampled_sums(ones, 256, seed=0, resample="poisson")[:, 0]
    assert abs(poisson.mean() / 500 - 1) < 0.01 and 0.8 < poisson.var() / 500 < 1.2


def test_bca_interval_equals_scipy_on_the_same_draws():
    rng = np.random.default_rng(12)
    b = rng.exponential(1.0, 150)
    c = b + rng.exponential(0.3, 150)  # a skewed difference: BCa moves the interval
    seed, n_boot = 5, 1999
    ref = scipy.stats.bootstrap((b, c), lambda x, y, axis: np.mean(y, axis=axis) - np.mean(x, axis=axis),
                                paired=True, vectorized=True, method="BCa", n_resamples=n_boot,
                                random_state=np.random.default_rng(seed))
    indices = np.random.default_rng(seed).integers(0, 150, (n_boot, 150))
    row = compare_scores(b, c, n_boot=n_boot, resample_indices=indices, ci_method="bca")["score"]
    assert row.ci_low == pytest.approx(ref.confidence_interval.low, rel=1e-9)
    assert row.ci_high == pytest.approx(ref.confidence_interval.high, rel=1e-9)
    percentile = compare_scores(b, c, n_boot=n_boot, resample_indices=indices)["score"]
    assert (percentile.ci_low, percentile.ci_high) != (row.ci_low, row.ci_high)


def test_clusters_follow_their_examples_when_ids_reorder_them():
    rng = np.random.default_rng(8)
    cluster = np.repeat(np.arange(40), 5)
    base = rng.normal(0, 1, 200) + np.repeat(rng.normal(0, 1, 40), 5)
    cand = base + rng.normal(0.05, 0.3, 200)
    ids = rng.permutation(200)
    order = np.argsort(ids)
    by_ids = compare_scores(base, cand, ids=ids, cluster=cluster, n_boot=500)
    by_position = compare_scores(base[order], cand[order], cluster=cluster[order], n_boot=500)
    assert by_ids.rows == by_position.rows
    # a candidate-only example has no cluster
    with pytest.raises(ValueError, match="no cluster"):
        compare_scores(base[:-1], cand, ids=(ids[:-1], ids), cluster=cluster[:-1], allow_missing="zero", n_boot=500)


def test_score_shards_merge_to_the_one_call_comparison():
    import pickle

    import dask.array as da

    import fastscore.dask
    from fastscore.compare import ScoresComparison

    rng = np.random.default_rng(9)
    base = rng.normal(0.6, 0.1, 3000)
    cand = base + rng.normal(-0.004, 0.03, 3000)
    ids = rng.permutation(3000) + 10
    cluster = ids // 3
    one_call = compare_scores(base, cand, ids=ids, cluster=cluster, n_boot=999, seed=4)
    parts = np.array_split(rng.permutation(3000), 4)
    states = [ScoresComparison().update(base[p], cand[p], ids[p], cluster[p]) for p in parts]
    merged = pickle.loads(pickle.dumps(states[3])).merge(states[1]).merge(states[0]).merge(states[2])
    assert merged.compute(n_boot=999, seed=4).rows == one_call.rows
    on_dask = fastscore.dask.accumulate(ScoresComparison(), da.from_array(base, chunks=700),
                                        da.from_array(cand, chunks=700), da.from_array(ids, chunks=700),
                                        da.from_array(cluster, chunks=700), scheduler="sync")
    assert on_dask.compute(n_boot=999, seed=4).rows == one_call.rows
    with pytest.raises(ValueError, match="in two batches"):
        states[0].copy().merge(states[0])
    with pytest.raises(ValueError, match="with every batch or none"):
        ScoresComparison().update(base[:5], cand[:5], ids[:5]).update(base[5:9], cand[5:9])
    with pytest.raises(TypeError, match="to update"):
        merged.compute(ids=ids)


def test_four_blocks_side_by_side_equal_one_block_per_call():
    from fastscore._cy.compare import bootstrap_sums, bootstrap_sums_4

    values = np.random.default_rng(3).normal(size=(777, 1))
    sums = resampling.resampled_sums(values, 64 * 9 + 5, seed=12)  # two groups of four, two more blocks
    states = resampling.block_states(12, 64 * 9 + 5)
    for k, state in enumerate(states):
        alone = np.empty((64 if k < 9 else 5, 1))
        bootstrap_sums(values, *state, alone)
        assert np.array_equal(sums[64 * k:64 * k + len(alone)], alone)
    with pytest.raises(ValueError, match="four blocks"):
        bootstrap_sums_4(values[:, 0].copy(), np.zeros((3, 4), np.uint64), np.empty((3, 64)))
