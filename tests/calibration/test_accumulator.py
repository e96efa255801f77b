"""The BinnedCalibration state: split and merge, pickle, parameters."""
import pickle

import numpy as np
import pytest

from fastscore.calibration import BinnedCalibration, calibration_report
from fastscore.calibration.binned import quantile_edges

FIELDS = ("ece", "mce", "rmsce", "brier", "balance", "accuracy", "mean_confidence")


def assert_reports_equal(a, b, rel=1e-12):
    # rounding of the sums depends on the split; a difference of two sums
    # (balance) can lose relative precision, hence the absolute term
    tol = dict(rel=rel, abs=1e-13 if rel else 0)
    for name in FIELDS:
        assert getattr(a, name) == pytest.approx(getattr(b, name), **tol), name
    np.testing.assert_allclose(a.bin_counts, b.bin_counts, rtol=rel)
    for name, value in a.decomposition.to_dict().items():
        assert value == pytest.approx(getattr(b.decomposition, name), **tol)


@pytest.mark.parametrize("mode", ["binary", "top-label", "classwise"])
def test_split_and_merge_equals_one_pass(mode, binary_data, multiclass_data):
    if mode == "binary":
        y, p, w = binary_data
    else:
        (y, p), w = multiclass_data, None
    whole = BinnedCalibration(mode=mode, n_bins=12).update(y, p, sample_weight=w).compute()
    cuts = [0, 7, 1000, 1001, 2500, len(y)]
    shards = []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        shard = BinnedCalibration(mode=mode, n_bins=12)
        shard.update(y[lo:hi], p[lo:hi], sample_weight=None if w is None else w[lo:hi])
        shards.append(shard)
    forward = shards[0].copy()
    for shard in shards[1:]:
        forward.merge(shard)
    backward = shards[-1].copy()
    for shard in reversed(shards[:-1]):
        backward.merge(shard)
    # a tree: ((0 1) (2 (3 4)))
    tree = shards[0].copy().merge(shards[1]).merge(shards[2].copy().merge(shards[3].copy().merge(shards[4])))
    for merged in (forward, backward, tree):
        assert merged.n_samples == len(y)
        assert_reports_equal(merged.compute(), whole)
    # updating batch by batch is the same as merging
    streamed = BinnedCalibration(mode=mode, n_bins=12)
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        streamed.update(y[lo:hi], p[lo:hi], sample_weight=None if w is None else w[lo:hi])
    assert_reports_equal(streamed.compute(), whole)


def test_one_shot_function_is_the_state(binary_data):
    y, p, w = binary_data
    assert_reports_equal(
        calibration_report(y, p, sample_weight=w, n_bins=20),
        BinnedCalibration(n_bins=20).update(y, p, sample_weight=w).compute(),
        rel=0,
    )


def test_pickle_round_trip(multiclass_data):
    y, p = multiclass_data
    state = BinnedCalibration(mode="classwise", n_bins=8).update(y[:100], p[:100])
    restored = pickle.loads(pickle.dumps(state))
    restored.update(y[100:], p[100:])
    state.update(y[100:], p[100:])
    assert_reports_equal(restored.compute(), state.compute(), rel=0)


def test_reset_and_empty_like(binary_data):
    y, p, _ = binary_data
    state = BinnedCalibration().update(y, p)
    fresh = state.empty_like()
    assert fresh.n_samples == 0 and state.n_samples == len(y)
    state.reset()
    assert state.n_samples == 0 and not state.stats.any()
    with pytest.raises(ValueError, match="no samples"):
        state.compute()


def test_merge_refuses_other_parameters(binary_data):
    y, p, _ = binary_data
    a = BinnedCalibration(n_bins=10).update(y, p)
    with pytest.raises(ValueError, match="different n_bins"):
        a.merge(BinnedCalibration(n_bins=15).update(y, p))
    with pytest.raises(ValueError, match="different closed"):
        a.merge(BinnedCalibration(n_bins=10, closed="right"))
    with pytest.raises(ValueError, match="different edges"):
        a.merge(BinnedCalibration(edges=quantile_edges(p, 10), strategy="uniform"))
    with pytest.raises(TypeError, match="cannot merge"):
        a.merge(object())


def test_classwise_state_learns_classes_and_merges_with_empty(multiclass_data):
    y, p = multiclass_data
    empty = BinnedCalibration(mode="classwise")
    full = BinnedCalibration(mode="classwise").update(y, p)
    assert full.n_classes == p.shape[1]
    assert_reports_equal(empty.copy().merge(full).compute(), full.compute(), rel=0)
    assert_reports_equal(full.copy().merge(empty).compute(), full.compute(), rel=0)
    with pytest.raises(ValueError, match="n_classes=6"):
        full.update(y, p[:, :5])


def test_quantile_needs_edges_up_front(binary_data):
    y, p, _ = binary_data
    edges = quantile_edges(p, 10)
    state = BinnedCalibration(edges=edges)
    state.update(y[:2000], p[:2000]).update(y[2000:], p[2000:])
    assert_reports_equal(state.compute(), calibration_report(y, p, n_bins=10, strategy="quantile"))


def test_zero_weights_everywhere():
    state = BinnedCalibration().update([0, 1], [0.2, 0.7], sample_weight=[0.0, 0.0])
    with pytest.raises(ValueError, match="weights sum to 0"):
        state.compute()


def test_float32_input_is_not_copied(monkeypatch):
    """The float32 probabilities reach the kernel as they are (no float64 copy)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    p = rng.random((20_000, 50), dtype=np.float32)
    p /= p.sum(axis=1, keepdims=True)
    y = rng.integers(0, 50, size=20_000)
    calibration_report(y, p, backend="numba")  # compile first
    tracemalloc.start()
    calibration_report(y, p, backend="numba")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < p.nbytes // 4, f"peak {peak} bytes for a {p.nbytes}-byte float32 input"
