"""Reference implementations of the diversity kernels, written for clarity.

Similarity matrices straight from their definitions (scipy's ``cdist`` and
NumPy broadcasting) and the Vendi score straight from an eigen-decomposition
of the weighted n x n matrix. The compiled kernels of ``_numba`` and the
fast paths of ``vendi.py`` are tested against these.
"""
import numpy as np
from scipy.spatial.distance import cdist


def gram(kind, X, Y, gamma):
    """Similarity matrix between the rows of X and of Y.

    ``kind``: "rbf" exp(-gamma |x - y|^2), "laplacian" exp(-gamma |x - y|_1),
    "tanimoto" |x & y| / |x | y| and "hamming" 1 - (fraction of differing
    bits) for boolean rows, "cosine" and "linear" dot products.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if kind == "rbf":
        return np.exp(-gamma * cdist(X, Y, "sqeuclidean"))
    if kind == "laplacian":
        return np.exp(-gamma * cdist(X, Y, "cityblock"))
    if kind == "tanimoto":
        both = X @ Y.T
        either = X.sum(axis=1)[:, None] + Y.sum(axis=1)[None, :] - both
        return both / either
    if kind == "hamming":
        return 1.0 - cdist(X, Y, "hamming")
    if kind == "cosine":
        X = X / np.linalg.norm(X, axis=1, keepdims=True)
        Y = Y / np.linalg.norm(Y, axis=1, keepdims=True)
        return X @ Y.T
    if kind == "linear":
        return X @ Y.T
    raise ValueError(kind)


def vendi_from_matrix(K, q, weights=None):
    """exp of the order-q Renyi entropy of the eigenvalues of the weighted K.

    The eigenvalues of diag(sqrt(w)) K diag(sqrt(w)) are normalised to sum
    to one; those below the numerical rank tolerance are dropped.
    """
    K = np.asarray(K, dtype=np.float64)
    n = K.shape[0]
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=np.float64)
    root = np.sqrt(w)
    eigenvalues = np.linalg.eigvalsh(root[:, None] * K * root[None, :])
    tolerance = eigenvalues.max() * n * np.finfo(np.float64).eps
    lam = eigenvalues[eigenvalues > tolerance]
    lam = lam / lam.sum()
    if q == 0:
        return float(lam.size)
    if q == 1:
        return float(np.exp(-np.sum(lam * np.log(lam))))
    if np.isinf(q):
        return float(1.0 / lam.max())
    return float(np.sum(lam**q) ** (1.0 / (1.0 - q)))


def max_asymmetry(K, tile=None):
    """max |K[i, j] - K[j, i]|."""
    K = np.asarray(K, dtype=np.float64)
    return float(np.abs(K - K.T).max(initial=0.0))
