"""compare_vendi: values, the resampled score equals vendi_score of the resampled set, verdicts."""
import numpy as np
import pytest

from fastscore.compare import compare_vendi
from fastscore.compare.diversity import _replicates
from fastscore.diversity import vendi_score


def test_a_replicate_is_the_vendi_score_of_the_resampled_set():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    seq = np.random.SeedSequence(3)
    fast = _replicates(X, "cosine", 1, 5, seq)
    counts = np.random.Generator(np.random.PCG64(np.random.SeedSequence(3))).multinomial(60, np.full(60, 1 / 60), size=5)
    for value, w in zip(fast, counts):
        resampled = np.repeat(X, w, axis=0)  # the set with its duplicates
        assert value == pytest.approx(vendi_score(resampled), rel=1e-9)
    slow = _replicates(X, "rbf", 2, 5, np.random.SeedSequence(3))  # the n x n path
    for value, w in zip(slow, counts):
        assert value == pytest.approx(vendi_score(np.repeat(X, w, axis=0), kernel="rbf", q=2), rel=1e-9)


def test_values_verdicts_and_identical_sets():
    rng = np.random.default_rng(1)
    varied = rng.normal(size=(500, 12))
    collapsed = rng.normal(size=(500, 12)) * np.r_[np.ones(3), np.full(9, 0.05)]
    result = compare_vendi(varied, collapsed, n_boot=300)
    row = result["vendi"]
    assert row.baseline == vendi_score(varied) and row.candidate == vendi_score(collapsed)
    assert row.verdict == "regression" and row.ci_high < 0
    same = compare_vendi(varied, varied.copy(), n_boot=300)["vendi"]
    assert same.delta == 0 and same.verdict == "no significant change"
    # the same rows drawn for both sets: identical sets tie on every replicate
    paired = compare_vendi(varied, varied.copy(), n_boot=300, paired=True)["vendi"]
    assert paired.delta == 0 and paired.p_value == 1 and paired.ci_low == paired.ci_high == 0
    with pytest.raises(ValueError, match="one row per prompt"):
        compare_vendi(varied, varied[:-1], paired=True)


def test_bad_input():
    with pytest.raises(ValueError, match="different dimensions"):
        compare_vendi(np.ones((5, 3)), np.ones((5, 4)), n_boot=100)
    with pytest.raises(ValueError, match="NaN"):
        compare_vendi(np.full((5, 3), np.nan), np.ones((5, 3)), n_boot=100)
