"""Drop-in for ``vendi_score.vendi``: the same functions and signatures.

Change ``from vendi_score import vendi`` to
``from fastscore.compat import vendi_score as vendi``. Values equal
vendi-score's where it is right; where it is not, these return the correct
value:

- ``score_X(X, q=...)``: vendi-score ignores ``q`` (always Shannon); here q is used.
- ``score_K`` with a scipy sparse matrix: vendi-score's ``eigsh`` keeps only 6
  eigenvalues (or fails on small matrices); here the whole spectrum is used.
- ``q=0``: vendi-score counts round-off eigenvalues as spectrum, so a
  rank-deficient K gets a rank near n; here eigenvalues below the numerical
  rank tolerance are dropped. The same tolerance applies for every q (the
  difference is at round-off level for q >= 1).
- ``q=np.inf`` works as well as vendi-score's ``q="inf"``.
- ``intdiv_X`` (which raises a NameError in vendi-score) and ``intdiv`` work.
- Unlike :func:`fastscore.diversity.vendi_score`, ``score_K`` accepts a K
  without unit diagonal and, like vendi-score, uses the eigenvalues of K/n
  as they are (they then do not sum to 1).

Examples
--------
>>> import numpy as np
>>> from fastscore.compat import vendi_score as vendi
>>> round(vendi.score([0, 0, 10, 10, 20, 20], lambda a, b: np.exp(-np.abs(a - b))), 4)
3.0
"""
from __future__ import annotations

import numpy as np

from ..diversity import vendi as _vendi

__all__ = ["score", "score_K", "score_X", "score_dual", "intdiv", "intdiv_K", "intdiv_X",
           "weight_K", "normalize_K", "entropy_q"]


def _order(q):
    if isinstance(q, str):
        if q != "inf":
            raise ValueError(f"q={q!r}: use a number >= 0, np.inf or 'inf'.")
        return np.inf
    return _vendi.check_q(q)


def weight_K(K, p=None):
    """K / n, or K * sqrt(p_i p_j)."""
    if p is None:
        return K / K.shape[0]
    root = np.sqrt(np.asarray(p, dtype=np.float64))
    return K * np.outer(root, root)


def normalize_K(K):
    """K_ij / sqrt(K_ii K_jj)."""
    d = np.sqrt(np.diagonal(K))
    return K / np.outer(d, d)


def entropy_q(p, q=1):
    """Order-q Renyi entropy of the positive entries of ``p`` (as given)."""
    q = _order(q)
    p = np.asarray(p, dtype=np.float64)
    positive = p[p > 0]
    if q == 1:
        return float(-(positive * np.log(positive)).sum())
    if np.isinf(q):
        return float(-np.log(np.max(p)))
    return float(np.log((positive**q).sum()) / (1 - q))


def _raw_spectrum_score(A, q):
    """exp(entropy_q) of the eigenvalues of A as they are (not renormalised)."""
    eigenvalues = np.linalg.eigvalsh(A)
    tolerance = max(eigenvalues.max(), 0.0) * A.shape[0] * np.finfo(np.float64).eps
    kept = eigenvalues[eigenvalues > tolerance]
    if q == 0:
        return float(kept.size)
    if np.isinf(q):
        return float(1.0 / kept.max())
    if q == 1:
        return float(np.exp(-(kept * np.log(kept)).sum()))
    return float(np.exp(np.log((kept**q).sum()) / (1 - q)))


def score_K(K, q=1, p=None, normalize=False):
    """Vendi score of a similarity matrix (vendi-score's ``score_K``)."""
    q = _order(q)
    if _vendi._issparse(K):
        K = K.toarray()
    K = np.asarray(K, dtype=np.float64)
    if normalize:
        K = normalize_K(K)
    return _raw_spectrum_score(weight_K(K, p), q)


def score(samples, k, q=1, p=None, normalize=False):
    """Vendi score of ``samples`` under the similarity function ``k``."""
    K = _vendi.similarity_matrix(samples, kernel=k)
    return score_K(K, q=q, p=p, normalize=normalize)


def _rows(X, normalize):
    X = np.asarray(X, dtype=np.float64)
    return _vendi._unit_rows(X, "X") if normalize else X


def score_X(X, q=1, p=None, normalize=True):
    """Vendi score of the dot-product kernel of X's rows (q is honoured here)."""
    return score_K(_rows(X, normalize) @ _rows(X, normalize).T, q=q, p=p)


def score_dual(X, q=1, normalize=True):
    """Vendi score through the d x d matrix X^T X / n (vendi-score's ``score_dual``)."""
    q = _order(q)
    X = _rows(X, normalize)
    return _raw_spectrum_score(X.T @ X / X.shape[0], q)


def intdiv_K(K, q=1, p=None):
    """1 - sum_ij p_i p_j K_ij**q."""
    K = np.asarray(K, dtype=np.float64)
    if p is None:
        p = np.full(K.shape[0], 1.0 / K.shape[0])
    return float(1.0 - np.sum(K**q * np.outer(p, p)))


def intdiv_X(X, q=1, p=None, normalize=True):
    """intdiv_K of the dot-product kernel of X's rows."""
    rows = _rows(X, normalize)
    return intdiv_K(rows @ rows.T, q=q, p=p)


def intdiv(samples, k, q=1, p=None):
    """intdiv_K of ``samples`` under the similarity function ``k``."""
    return intdiv_K(_vendi.similarity_matrix(samples, kernel=k), q=q, p=p)
