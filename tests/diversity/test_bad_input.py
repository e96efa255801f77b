"""Bad input to the diversity functions: clear errors."""
import numpy as np
import pytest

from fastscore.diversity import EmbeddingVendi, intdiv, vendi_score


def test_q():
    X = np.eye(3)
    with pytest.raises(ValueError, match="q must be in"):
        vendi_score(X, q=-1)
    with pytest.raises(ValueError, match="q must be in"):
        vendi_score(X, q=np.nan)
    with pytest.raises(TypeError, match="q must be a number"):
        vendi_score(X, q="inf")


def test_X_and_K():
    with pytest.raises(ValueError, match="either X"):
        vendi_score()
    with pytest.raises(ValueError, match="either X"):
        vendi_score(np.eye(2), K=np.eye(2))
    with pytest.raises(ValueError, match="empty"):
        vendi_score(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="X contains NaN at index"):
        vendi_score(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="inf"):
        vendi_score(np.array([[1.0, np.inf], [0.0, 1.0]]), kernel="rbf")
    with pytest.raises(ValueError, match="row 1 of X has zero norm"):
        vendi_score(np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]))
    with pytest.raises(ValueError, match="2-D"):
        vendi_score(np.ones(4))


def test_K_checks():
    with pytest.raises(ValueError, match="not symmetric"):
        vendi_score(K=np.array([[1.0, 0.2], [0.5, 1.0]]))
    with pytest.raises(ValueError, match="normalize=True"):
        vendi_score(K=np.array([[2.0, 0.2], [0.2, 1.0]]))
    assert vendi_score(K=np.array([[4.0, 0.0], [0.0, 1.0]]), normalize=True) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="square"):
        vendi_score(K=np.ones((2, 3)))
    with pytest.raises(ValueError, match="K contains NaN"):
        vendi_score(K=np.array([[1.0, np.nan], [np.nan, 1.0]]))
    with pytest.warns(RuntimeWarning, match="not positive semi-definite"):
        vendi_score(K=np.array([[1.0, 0.0, 0.9], [0.0, 1.0, 0.9], [0.9, 0.9, 1.0]]))


def test_weights():
    X = np.eye(3)
    with pytest.raises(ValueError, match="negative"):
        vendi_score(X, weights=[0.5, 0.6, -0.1])
    with pytest.raises(ValueError, match="sum to"):
        vendi_score(X, weights=[1, 1, 1])
    with pytest.raises(ValueError, match="3 samples"):
        vendi_score(X, weights=[0.5, 0.5])
    with pytest.raises(ValueError, match="weights contains NaN"):
        vendi_score(X, weights=[0.5, np.nan, 0.5])


def test_options():
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match="kernel='poly'"):
        vendi_score(X, kernel="poly")
    with pytest.raises(ValueError, match="method='fast'"):
        vendi_score(X, method="fast")
    with pytest.raises(ValueError, match="not a dot product"):
        vendi_score(X, kernel="rbf", method="dual")
    with pytest.raises(ValueError, match="dtype"):
        vendi_score(X, dtype=np.int32)
    with pytest.raises(ValueError, match="binary fingerprints"):
        vendi_score(X, kernel="tanimoto")
    with pytest.raises(ValueError, match="no bit set"):
        vendi_score(np.array([[1, 0], [0, 0]]), kernel="tanimoto")


def test_state_and_intdiv_errors():
    with pytest.raises(ValueError, match="no samples"):
        EmbeddingVendi().compute()
    with pytest.raises(ValueError, match="kernel='rbf'"):
        EmbeddingVendi(kernel="rbf")
    with pytest.raises(ValueError, match="either X"):
        intdiv()
