"""Vendi scores: closed forms, invariances, vendi-score parity, dual = primal."""
import numpy as np
import pytest
import scipy.sparse
from hypothesis import given
from hypothesis import strategies as st
from vendi_score import vendi as anchor

from fastscore.diversity import (
    EmbeddingVendi,
    intdiv,
    score_from_eigenvalues,
    similarity_matrix,
    vendi_bounds,
    vendi_by_group,
    vendi_score,
)
from fastscore.diversity import _reference

QS = [0, 0.5, 1, 2, 3.5, np.inf]


def test_readme_reference_values():
    # the two values printed in vendi-score's README
    assert vendi_score([0, 0, 10, 10, 20, 20], kernel=lambda a, b: np.exp(-np.abs(a - b))) == pytest.approx(2.9999, abs=1e-4)
    K = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert vendi_score(K=K) == pytest.approx(2.1573, abs=1e-4)


@pytest.mark.parametrize("q", QS)
def test_identical_samples_score_one(q):
    assert vendi_score(np.tile([[0.3, -1.0, 2.0]], (7, 1)), q=q) == pytest.approx(1.0)
    assert vendi_score(K=np.ones((5, 5)), q=q) == pytest.approx(1.0)


@pytest.mark.parametrize("q", QS)
def test_orthogonal_samples_score_n(q):
    assert vendi_score(np.eye(6), q=q) == pytest.approx(6.0)
    assert vendi_score(K=np.eye(6), q=q) == pytest.approx(6.0)


@pytest.mark.parametrize("q", QS)
def test_block_clusters_score_the_cluster_size_diversity(q):
    # K = blocks of ones: eigenvalues are the cluster fractions
    sizes = np.array([1, 2, 3, 6])
    labels = np.repeat(np.arange(4), sizes)
    K = (labels[:, None] == labels[None, :]).astype(float)
    p = sizes / sizes.sum()
    if q == 1:
        expected = np.exp(-np.sum(p * np.log(p)))
    elif q == 0:
        expected = 4
    elif np.isinf(q):
        expected = 1 / p.max()
    else:
        expected = np.sum(p**q) ** (1 / (1 - q))
    assert vendi_score(K=K, q=q) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("s", [0.0, 0.3, 0.9, -0.5])
def test_two_by_two(s):
    # eigenvalues of [[1, s], [s, 1]] / 2 are (1 + s) / 2 and (1 - s) / 2
    lam = np.array([(1 + s) / 2, (1 - s) / 2])
    lam = lam[lam > 0]
    expected = np.exp(-np.sum(lam * np.log(lam)))
    assert vendi_score(K=np.array([[1.0, s], [s, 1.0]])) == pytest.approx(expected, rel=1e-12)


def test_duplicating_every_sample_changes_nothing(rng):
    X = rng.normal(size=(40, 6))
    for q in QS:
        assert vendi_score(np.vstack([X, X]), q=q) == pytest.approx(vendi_score(X, q=q), rel=1e-9)


def test_duplicates_equal_weights(rng):
    X = rng.normal(size=(20, 5))
    counts = rng.integers(1, 4, size=20)
    repeated = np.repeat(X, counts, axis=0)
    for kernel in ("cosine", "rbf", "laplacian"):
        for q in (0.5, 1, 2, np.inf):
            weighted = vendi_score(X, kernel=kernel, q=q, weights=counts / counts.sum())
            assert weighted == pytest.approx(vendi_score(repeated, kernel=kernel, q=q), rel=1e-9), (kernel, q)


def test_permutation_invariance(rng):
    X = rng.normal(size=(30, 4))
    order = rng.permutation(30)
    for kernel in ("cosine", "rbf"):
        assert vendi_score(X[order], kernel=kernel) == pytest.approx(vendi_score(X, kernel=kernel), rel=1e-10)


def test_monotone_non_increasing_in_q(rng):
    X = rng.normal(size=(50, 8))
    scores = [vendi_score(X, kernel="rbf", q=q) for q in [0, 0.25, 0.5, 1, 1.5, 2, 4, 10, np.inf]]
    assert all(a >= b - 1e-9 for a, b in zip(scores, scores[1:]))


@given(n=st.integers(2, 40), d=st.integers(1, 12), seed=st.integers(0, 2**32 - 1),
       q=st.sampled_from([0.5, 1.0, 2.0, 3.0, np.inf]), weighted=st.booleans())
def test_dual_equals_primal_equals_reference(n, d, seed, q, weighted):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.dirichlet(np.ones(n)) if weighted else None
    for kernel in ("cosine", "linear"):
        dual = vendi_score(X, kernel=kernel, q=q, weights=w, method="dual")
        primal = vendi_score(X, kernel=kernel, q=q, weights=w, method="primal")
        assert dual == pytest.approx(primal, rel=1e-8)
    K = _reference.gram("cosine", X, X, None)
    assert vendi_score(X, q=q, weights=w) == pytest.approx(_reference.vendi_from_matrix(K, q, w), rel=1e-8)


def test_q_zero_is_the_rank_where_vendi_score_is_not(rng):
    # rank-3 embeddings of 50 samples: the n x n K has rank 3
    X = rng.normal(size=(50, 3))
    assert vendi_score(X, q=0, method="primal") == 3.0
    assert vendi_score(X, q=0) == 3.0
    assert anchor.score_K(X @ X.T / np.linalg.norm(X, axis=1)[:, None] / np.linalg.norm(X, axis=1)[None, :], q=0) > 3


@pytest.mark.parametrize("q", [0.5, 1, 2, 3])
def test_equal_to_vendi_score(rng, q):
    X = rng.normal(size=(80, 10))
    assert vendi_score(X, q=q) == pytest.approx(anchor.score_dual(X, q=q), rel=1e-10)
    assert vendi_score(X, q=q, method="primal") == pytest.approx(anchor.score_dual(X, q=q), rel=1e-10)
    if q == 1:  # vendi-score's score_X ignores q
        assert vendi_score(X) == pytest.approx(anchor.score_X(X), rel=1e-10)
    K = similarity_matrix(X, kernel="rbf", gamma=0.05)
    w = rng.dirichlet(np.ones(80))
    assert vendi_score(K=K, q=q) == pytest.approx(anchor.score_K(K, q=q), rel=1e-10)
    assert vendi_score(K=K, q=q, weights=w) == pytest.approx(anchor.score_K(K, q=q, p=w), rel=1e-10)
    samples = list(rng.normal(size=12))
    k = lambda a, b: np.exp(-((a - b) ** 2))  # noqa: E731
    assert vendi_score(samples, kernel=k, q=q) == pytest.approx(anchor.score(samples, k, q=q), rel=1e-10)
    assert vendi_score(K=K * 3, q=q, normalize=True) == pytest.approx(anchor.score_K(K * 3, q=q, normalize=True), rel=1e-10)


@pytest.mark.parametrize("kernel", ["rbf", "laplacian", "cosine", "linear"])
def test_compiled_similarities_equal_reference(rng, kernel):
    X = rng.normal(size=(70, 5)).astype(np.float32)
    Y = rng.normal(size=(9, 5))
    for a, b in ((X, None), (X, Y)):
        fast = similarity_matrix(a, b, kernel=kernel, gamma=0.3)
        slow = similarity_matrix(a, b, kernel=kernel, gamma=0.3, backend="reference")
        np.testing.assert_allclose(fast, slow, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kernel", ["tanimoto", "hamming"])
def test_bit_similarities(rng, kernel):
    bits = rng.random((40, 77)) < 0.3
    bits[:, 0] = True  # no empty fingerprint
    fast = similarity_matrix(bits, kernel=kernel)
    slow = similarity_matrix(bits, kernel=kernel, backend="reference")
    np.testing.assert_allclose(fast, slow, rtol=1e-12)
    # by hand for one pair
    a, b = bits[0], bits[1]
    expected = (a & b).sum() / (a | b).sum() if kernel == "tanimoto" else 1 - (a ^ b).mean()
    assert fast[0, 1] == pytest.approx(expected)
    assert vendi_score(bits, kernel=kernel) == pytest.approx(_reference.vendi_from_matrix(slow, 1), rel=1e-10)


def test_numba_callable_is_compiled_and_equal(rng):
    from numba import njit

    @njit
    def similarity(a, b):
        return np.exp(-np.sum((a - b) ** 2) / 4.0)

    X = rng.normal(size=(25, 3))
    expected = similarity_matrix(X, kernel="rbf", gamma=0.25)
    np.testing.assert_allclose(similarity_matrix(X, kernel=similarity), expected, rtol=1e-12)
    python_version = lambda a, b: float(np.exp(-np.sum((a - b) ** 2) / 4.0))  # noqa: E731
    assert vendi_score(X, kernel=similarity) == pytest.approx(vendi_score(X, kernel=python_version), rel=1e-12)


def test_sparse_K(rng):
    labels = rng.integers(0, 5, size=60)
    dense = (labels[:, None] == labels[None, :]) * 0.5 + np.eye(60) * 0.5
    sparse = scipy.sparse.csr_matrix(dense)
    for q in (0.5, 1, 2, np.inf):
        assert vendi_score(K=sparse, q=q) == pytest.approx(vendi_score(K=dense, q=q), rel=1e-9)


def test_float32_option_error_is_small(rng):
    X = rng.normal(size=(400, 16))
    K = similarity_matrix(X, kernel="rbf")
    for q in (0.5, 1, 2):
        exact = vendi_score(K=K, q=q)
        assert vendi_score(K=K, q=q, dtype=np.float32) == pytest.approx(exact, rel=1e-4)


def test_approx_features_converge(rng):
    X = rng.normal(size=(300, 3))
    exact = vendi_score(X, kernel="rbf", gamma=0.5)
    rough = vendi_score(X, kernel="rbf", gamma=0.5, method="approx", n_components=4000)
    assert rough == pytest.approx(exact, rel=0.03)
    # Cauchy frequencies converge more slowly
    laplacian = vendi_score(X, kernel="laplacian", method="approx", n_components=8000)
    assert laplacian == pytest.approx(vendi_score(X, kernel="laplacian"), rel=0.1)
    tanimoto_bits = rng.random((200, 64)) < 0.5
    full = vendi_score(tanimoto_bits, kernel="tanimoto")
    # Nystrom with every row as landmark is exact
    assert vendi_score(tanimoto_bits, kernel="tanimoto", method="approx", n_components=200) == pytest.approx(full, rel=1e-6)


@pytest.mark.parametrize("q", [0.5, 1, 2, np.inf])
def test_bounds_bracket_the_score(rng, q):
    X = rng.normal(size=(250, 2))
    exact = vendi_score(X, kernel="rbf", q=q)
    bounds = vendi_bounds(X, kernel="rbf", q=q, rank=30)
    assert bounds.lower <= exact * (1 + 1e-9) and exact <= bounds.upper * (1 + 1e-9)
    tight = vendi_bounds(X, kernel="rbf", q=q, rank=120)
    assert tight.upper - tight.lower <= bounds.upper - bounds.lower + 1e-9


def test_intdiv(rng):
    X = rng.normal(size=(30, 4))
    K = similarity_matrix(X, kernel="cosine")
    for q in (1, 2):
        assert intdiv(K=K, q=q) == pytest.approx(anchor.intdiv_K(K, q=q), rel=1e-12)
    assert intdiv(X) == pytest.approx(anchor.intdiv_K(K), rel=1e-12)
    w = rng.dirichlet(np.ones(30))
    assert intdiv(X, weights=w) == pytest.approx(anchor.intdiv_K(K, p=w), rel=1e-12)
    assert intdiv(X, kernel="rbf") == pytest.approx(anchor.intdiv_K(similarity_matrix(X, kernel="rbf")), rel=1e-12)


def test_groups(rng):
    X = rng.normal(size=(40, 5))
    groups = np.repeat(["x", "y"], 20)
    result = vendi_by_group(X, groups, q=2)
    assert result.groups.tolist() == ["x", "y"] and result.sizes.tolist() == [20, 20]
    assert result.scores[1] == pytest.approx(vendi_score(X[20:], q=2))
    assert result.overall == pytest.approx(vendi_score(X, q=2))


def test_score_from_eigenvalues():
    assert score_from_eigenvalues([0.5, 0.5, 1e-20], 0) == 2
    assert score_from_eigenvalues([0.25] * 4, 1) == pytest.approx(4)


def test_embedding_state_streams_and_merges(rng):
    X = rng.normal(size=(500, 12)).astype(np.float32)
    w = rng.gamma(2.0, size=500)
    whole = EmbeddingVendi().update(X, sample_weight=w)
    parts = [EmbeddingVendi().update(X[a:b], sample_weight=w[a:b]) for a, b in ((0, 100), (100, 101), (101, 500))]
    merged = parts[2].copy().merge(parts[0]).merge(parts[1])
    for q in (0.5, 1, 2, np.inf):
        expected = vendi_score(X.astype(np.float64), q=q, weights=w / w.sum())
        assert whole.compute(q) == pytest.approx(expected, rel=1e-5)
        # float32 products inside a block: the split changes their rounding
        assert merged.compute(q) == pytest.approx(whole.compute(q), rel=1e-6)
    import pickle

    assert pickle.loads(pickle.dumps(merged)).compute() == merged.compute()
    with pytest.raises(ValueError, match="same width"):
        merged.update(X[:, :5])
    with pytest.raises(ValueError, match="different kernel"):
        merged.merge(EmbeddingVendi(kernel="linear"))


def test_embedding_state_on_dask(rng):
    import dask.array as da

    import fastscore.dask

    X = rng.normal(size=(3000, 16))
    state = fastscore.dask.accumulate(EmbeddingVendi(), da.from_array(X, chunks=(700, 16)), scheduler="threads")
    assert state.compute(q=1) == pytest.approx(vendi_score(X), rel=1e-10)


def test_float32_embeddings_dual_is_accurate(rng):
    X = rng.normal(size=(20_000, 32)).astype(np.float32)
    assert vendi_score(X) == pytest.approx(vendi_score(X.astype(np.float64)), rel=1e-5)


def test_largest_eigenvalue_by_lanczos_for_large_n(rng):
    # n > 1000 takes eigsh for q = inf; compare with the full spectrum
    labels = rng.integers(0, 30, size=1200)
    K = (labels[:, None] == labels[None, :]).astype(float)
    counts = np.bincount(labels)
    expected = 1200 / counts.max()
    assert vendi_score(K=K, q=np.inf) == pytest.approx(expected, rel=1e-9)
    assert vendi_score(K=scipy.sparse.csr_matrix(K), q=np.inf) == pytest.approx(expected, rel=1e-9)
    assert vendi_score(K=scipy.sparse.csr_matrix(K), q=2) == pytest.approx(1 / np.sum((counts / 1200) ** 2), rel=1e-12)
