"""fastscore.compat.vendi_score against vendi-score itself, function by function."""
import numpy as np
import pytest
import scipy.sparse
from vendi_score import vendi as anchor

from fastscore.compat import vendi_score as compat


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 9))
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    K = np.exp(-0.1 * ((X[:, None] - X[None]) ** 2).sum(-1))
    p = rng.dirichlet(np.ones(60))
    return X, unit @ unit.T, K, p


@pytest.mark.parametrize("q", [0.5, 1, 2, 3, "inf"])
def test_same_values_where_vendi_score_is_right(data, q):
    X, cosine, K, p = data
    assert compat.score_K(K, q=q) == pytest.approx(anchor.score_K(K, q=q), rel=1e-10)
    assert compat.score_K(K, q=q, p=p) == pytest.approx(anchor.score_K(K, q=q, p=p), rel=1e-10)
    assert compat.score_K(K * 2, q=q, normalize=True) == pytest.approx(anchor.score_K(K * 2, q=q, normalize=True), rel=1e-10)
    assert compat.score_dual(X, q=q) == pytest.approx(anchor.score_dual(X, q=q), rel=1e-10)
    samples = list(X[:15, 0])
    k = lambda a, b: np.exp(-abs(a - b))  # noqa: E731
    assert compat.score(samples, k, q=q) == pytest.approx(anchor.score(samples, k, q=q), rel=1e-10)
    # a K without unit diagonal is taken as it is, as vendi-score does
    assert compat.score_K(K * 2, q=q) == pytest.approx(anchor.score_K(K * 2, q=q), rel=1e-10)


def test_score_X_honours_q(data):
    X, cosine, _, _ = data
    assert compat.score_X(X) == pytest.approx(anchor.score_X(X), rel=1e-10)
    assert anchor.score_X(X, q=2) == anchor.score_X(X, q=1)  # vendi-score ignores q
    assert compat.score_X(X, q=2) == pytest.approx(anchor.score_K(cosine, q=2), rel=1e-10)


def test_intdiv(data):
    X, cosine, K, p = data
    for q in (1, 2):
        assert compat.intdiv_K(K, q=q, p=p) == pytest.approx(anchor.intdiv_K(K, q=q, p=p), rel=1e-12)
        assert compat.intdiv_X(X, q=q) == pytest.approx(anchor.intdiv_K(cosine, q=q), rel=1e-12)
    with pytest.raises(Exception):
        anchor.intdiv_X(X)  # broken in vendi-score
    k = lambda a, b: float(np.exp(-abs(a - b)))  # noqa: E731
    samples = list(X[:10, 0])
    expected = anchor.intdiv_K(np.array([[k(a, b) for b in samples] for a in samples]))
    assert compat.intdiv(samples, k) == pytest.approx(expected, rel=1e-12)


def test_sparse_and_rank_deficient_are_right(data):
    X, cosine, K, _ = data
    sparse = scipy.sparse.csr_matrix(np.kron(np.eye(10), np.ones((2, 2))))
    # ten blocks of two identical samples: exactly 10
    assert compat.score_K(sparse) == pytest.approx(10.0)
    low_rank = X[:, :3] @ X[:, :3].T
    d = np.sqrt(np.diag(low_rank))
    assert compat.score_K(low_rank / np.outer(d, d), q=0) == 3.0


def test_helpers(data):
    _, _, K, p = data
    np.testing.assert_allclose(compat.weight_K(K, p), anchor.weight_K(K, p))
    np.testing.assert_allclose(compat.normalize_K(K * 3), anchor.normalize_K(K * 3))
    lam = np.array([0.5, 0.25, 0.25, 0.0])
    for q in (1, 2, "inf"):
        assert compat.entropy_q(lam, q) == pytest.approx(anchor.entropy_q(lam, q))
