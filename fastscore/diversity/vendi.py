"""The Vendi score and its order-q family, intdiv, and a streaming feature state.

The Vendi score of n samples with a similarity kernel k (k(x, x) = 1) is
exp of the Shannon entropy of the eigenvalues of K/n (Friedman & Dieng,
2023); the order-q score uses the Renyi entropy (Pasarkar & Dieng, 2024):

    VS_q = (sum_i lam_i ** q) ** (1 / (1 - q)),   VS_1 = exp(-sum lam log lam),
    VS_0 = rank,   VS_inf = 1 / max lam.

With weights p (a probability vector) the eigenvalues are those of
diag(sqrt p) K diag(sqrt p). For kernels that are dot products of features
(cosine, linear) the non-zero eigenvalues equal those of the d x d matrix
X^T diag(p) X, found in O(n d^2) instead of O(n^3).
"""
from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import sys

import numpy as np

from .._config import Kernel, family_kernel, map_threads
from .._state import Accumulator
from .._validation import as_float_array, check_finite, check_option, check_positive_int, check_real

KERNELS = ("cosine", "linear", "rbf", "laplacian", "tanimoto", "hamming")
FEATURE_KERNELS = ("cosine", "linear")  # K = X X^T: the d x d dual applies
BIT_KERNELS = ("tanimoto", "hamming")
METHODS = ("auto", "dual", "primal", "approx")
# rows per block of the streamed X^T W X (bounds the extra memory)
CHUNK_ROWS = 8192
# beyond this n, a dense eigen-solve of an n x n matrix is refused
MAX_DENSE = 40_000
MAX_FEATURE_COMPONENTS = 1 << 20  # random features or landmarks per row


# ---------------------------------------------------------------- checks


def _issparse(x) -> bool:
    """Whether x is a scipy sparse matrix (without importing scipy: if scipy.sparse was never
    imported, x cannot be one)."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and sparse.issparse(x)


def _scipy():
    """scipy with its linalg and sparse modules, imported on first use."""
    import scipy.linalg
    import scipy.sparse
    import scipy.sparse.linalg

    return scipy

def check_q(q) -> float:
    """q must be a number in [0, inf] (np.inf included)."""
    if isinstance(q, (bool, np.bool_)) or not isinstance(q, numbers.Real):
        raise TypeError(f"q must be a number in [0, inf] (np.inf allowed), got {q!r}.")
    q = float(q)
    if np.isnan(q) or q < 0:
        raise ValueError(f"q must be in [0, inf] (np.inf allowed), got {q}.")
    return q


def check_probability_weights(weights, n: int) -> np.ndarray | None:
    """A probability vector over the n samples (``None`` means uniform)."""
    if weights is None:
        return None
    w = as_float_array(weights, "weights", ndim=1).astype(np.float64, copy=False)
    if w.shape[0] != n:
        raise ValueError(f"weights has {w.shape[0]} entries but there are {n} samples; pass one weight per sample.")
    check_finite(w, "weights")
    if (w < 0).any():
        i = int(np.argmax(w < 0))
        raise ValueError(f"weights holds the negative value {w[i].item()!r} at index {i}; weights must be >= 0.")
    total = w.sum()
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"weights sum to {total!r}, not 1; pass a probability vector (weights / weights.sum()).")
    return w


# ------------------------------------------------------- spectrum -> score

def score_from_eigenvalues(eigenvalues, q: float, *, tolerance: float | None = None) -> float:
    """Order-q Vendi score of a spectrum (normalised here to sum to one).

    Eigenvalues at or below ``tolerance`` (default: the numerical rank
    tolerance max(lam) * len(lam) * eps) are round-off, not spectrum, and
    are dropped: this is what makes q < 1 right for rank-deficient K.
    """
    from .._validation import as_real_array

    lam = as_real_array(eigenvalues, "eigenvalues")
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(f"eigenvalues must be a non-empty 1-D array, got shape {lam.shape}.")
    check_finite(lam, "eigenvalues")
    if not lam.max() > 0:
        raise ValueError("eigenvalues has no positive value; a similarity spectrum has a positive trace.")
    top = lam.max()
    lam = lam / top  # the score does not depend on the scale; this keeps the sums from overflowing
    if tolerance is not None:
        tolerance = tolerance / top
    if tolerance is None:
        tolerance = lam.max() * lam.size * np.finfo(np.float64).eps
    lam = lam[lam > tolerance]
    lam = lam / lam.sum()
    if q == 0:
        return float(lam.size)
    if q == 1:
        return float(np.exp(-np.sum(lam * np.log(lam))))
    if np.isinf(q):
        return float(1.0 / lam.max())
    # (sum lam^q)^(1/(1-q)) in logs around the largest eigenvalue, so that a large q neither
    # underflows (1e300 tends to q = inf's 1 / max lam) nor overflows
    top = lam.max()
    log_sum = q * np.log(top) + np.log(np.sum((lam / top) ** q))
    return float(np.exp(log_sum / (1.0 - q)))


def _eigenvalues(A, dtype) -> np.ndarray:
    """All eigenvalues of the symmetric matrix A, solved in ``dtype`` (LAPACK syevd: for eigenvalues
    only it is the tridiagonal reduction and a QR sweep, 10-20 % faster here than the syevr that
    ``scipy.linalg.eigvalsh`` and vendi-score use by default; both are backward stable)."""
    A = np.asarray(A, dtype=dtype)
    return _scipy().linalg.eigvalsh(A, driver="evd", check_finite=False).astype(np.float64)


def _rank_tolerance(eigenvalues, size, dtype) -> float:
    """Eigenvalues at or below this are round-off.

    float64: max(lam) * size * eps, the rank tolerance of ``np.linalg.matrix_rank``.
    float32: max(lam) * sqrt(size) * eps; size * eps32 (5e-4 at n = 4,000)
    would cut true eigenvalues of well-conditioned kernels.
    """
    eps = np.finfo(dtype).eps
    factor = size if dtype == np.float64 else np.sqrt(size)
    return float(eigenvalues.max() * factor * eps)


def _largest_eigenvalue(A) -> float:
    if A.shape[0] <= 1000:
        dense = A.toarray() if _issparse(A) else A
        return float(_scipy().linalg.eigvalsh(dense, subset_by_index=[A.shape[0] - 1] * 2, check_finite=False)[0])
    return float(_scipy().sparse.linalg.eigsh(A, k=1, which="LA", return_eigenvectors=False, tol=1e-14)[0])


def _score_symmetric(A, q: float, *, dtype=np.float64) -> float:
    """Vendi score of the (weighted) similarity or second-moment matrix A.

    The spectrum is normalised by trace(A), so A may be K (unweighted,
    trace n), diag(sqrt p) K diag(sqrt p) (trace 1) or X^T W X.
    """
    sparse = _issparse(A)
    trace = float(A.diagonal().sum())
    if not trace > 0:
        raise ValueError("the similarity matrix has a zero trace; a Vendi score needs k(x, x) > 0.")
    if q == 2:
        # sum lam^2 = |A|_F^2: no eigen-solve
        squares = float(A.multiply(A).sum()) if sparse else float(np.einsum("ij,ij->", A, A, dtype=np.float64))
        return trace**2 / squares
    if np.isinf(q):
        return trace / _largest_eigenvalue(A)
    if sparse:
        if A.shape[0] > MAX_DENSE:
            raise ValueError(
                f"an exact order-{q:g} score needs every eigenvalue of this {A.shape[0]} x {A.shape[0]} sparse matrix; "
                f"use q=2 or q=np.inf (no full eigen-solve), or vendi_bounds(K=..., rank=...) for bounds."
            )
        A = A.toarray()
    eigenvalues = _eigenvalues(A, dtype)
    tolerance = _rank_tolerance(eigenvalues, A.shape[0], dtype)
    if eigenvalues.min() < -1e3 * tolerance:
        warnings.warn(
            f"the similarity matrix is not positive semi-definite (eigenvalue {eigenvalues.min():.3g}); "
            f"its negative eigenvalues are dropped.",
            RuntimeWarning,
            stacklevel=3,
        )
    return score_from_eigenvalues(eigenvalues, q, tolerance=tolerance)


# ------------------------------------------------------------ similarities

def _pack_bits(X, name="X"):
    """Boolean / 0-1 rows -> packed uint8 rows and the number of bits."""
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples x bits), got shape {arr.shape}.")
    if arr.dtype != bool:
        if arr.dtype.kind not in "iuf" or not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{name} must hold binary fingerprints (booleans or 0/1) for the tanimoto and hamming kernels.")
        arr = arr.astype(bool)
    return np.ascontiguousarray(np.packbits(arr, axis=1)), arr.shape[1]


def similarity_matrix(X, Y=None, *, kernel="rbf", gamma=None, backend=None) -> np.ndarray:
    """Similarity matrix between the rows of X and of Y (Y=None: X with itself).

    Parameters
    ----------
    X, Y : array-like of shape (n, d) and (m, d)
    kernel : {"cosine", "linear", "rbf", "laplacian", "tanimoto", "hamming"} or callable
        rbf: exp(-gamma |x - y|^2); laplacian: exp(-gamma |x - y|_1) (gamma
        defaults to 1 / d, as scikit-learn); tanimoto |x & y| / |x | y| and
        hamming 1 - (fraction of differing bits) on binary rows, bit-packed
        internally; a callable k(x, y) is compiled when it is a Numba function.
    backend : {"auto", "numba", "reference"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.diversity import similarity_matrix
    >>> similarity_matrix(np.array([[0.0], [1.0]]), kernel="rbf", gamma=1.0).round(4)
    array([[1.    , 0.3679],
           [0.3679, 1.    ]])
    """
    from .._config import requested_backend

    symmetric = Y is None
    if callable(kernel):
        return _callable_matrix(X, X if symmetric else Y, kernel, symmetric)
    check_option(kernel, "kernel", KERNELS)
    if kernel in BIT_KERNELS:
        Xp, n_bits = _pack_bits(X)
        Yp, m_bits = (Xp, n_bits) if symmetric else _pack_bits(Y, "Y")
        if m_bits != n_bits:
            raise ValueError(f"X has {n_bits} bits per row but Y has {m_bits}; fingerprints must have the same length.")
        if kernel == "tanimoto" and (not Xp.any(axis=1).all() or not Yp.any(axis=1).all()):
            raise ValueError("a fingerprint with no bit set has no Tanimoto similarity; drop all-zero rows.")
    else:
        X = as_float_array(X, "X", ndim=2)
        check_finite(X, "X")
        _with_features(X, "X")
        Y = X if symmetric else as_float_array(Y, "Y", ndim=2)
        if not symmetric:
            check_finite(Y, "Y")
            _with_features(Y, "Y")
            if Y.shape[1] != X.shape[1]:
                raise ValueError(f"X has {X.shape[1]} features but Y has {Y.shape[1]}; pass rows of the same length.")
        if X.shape[1] == 0:
            raise ValueError(f"X has no features (shape {X.shape}); pass (n, d) rows with d >= 1.")
        if gamma is None:
            gamma = 1.0 / X.shape[1]
        gamma = check_real(gamma, "gamma", low=0.0, low_open=True,
                           hint="It is the kernel's inverse length scale, e.g. 1 / d (the default).")
        if kernel == "cosine":
            X, Y = _unit_rows(X, "X"), (None if symmetric else _unit_rows(Y, "Y"))
            Y = X if symmetric else Y
    if requested_backend(backend) == "reference":
        if kernel in BIT_KERNELS:
            return _reference_gram(kernel, np.unpackbits(Xp, axis=1)[:, :n_bits],
                                   np.unpackbits(Yp, axis=1)[:, :n_bits], gamma)
        return _reference_gram(kernel, X, Y, gamma)
    if kernel in ("cosine", "linear"):
        X64 = X.astype(np.float64, copy=False)
        return X64 @ (X64 if symmetric else Y.astype(np.float64, copy=False)).T
    _numba = _gram_kernels(backend)
    if kernel == "rbf":
        n = X.shape[0]
        X64, Y64 = X.astype(np.float64, copy=False), Y.astype(np.float64, copy=False)
        out = X64 @ Y64.T
        x_sq, y_sq = np.einsum("ij,ij->i", X64, X64), np.einsum("ij,ij->i", Y64, Y64)
        _on_row_blocks(n, lambda a, b: _numba.rbf_from_products(out, x_sq, y_sq, float(gamma), a, b))
        if symmetric:
            np.fill_diagonal(out, 1.0)
        return out
    n, m = (X.shape[0], Y.shape[0]) if kernel == "laplacian" else (Xp.shape[0], Yp.shape[0])
    out = np.empty((n, m))
    if kernel == "laplacian":
        _on_row_blocks(n, lambda a, b: _numba.laplacian_rows(X, Y, float(gamma), out, a, b, symmetric))
    else:
        _on_row_blocks(n, lambda a, b: _numba.bits_rows(Xp, Yp, kernel == "tanimoto", n_bits, out, a, b, symmetric))
    if symmetric:
        _on_row_blocks(n, lambda a, b: _numba.mirror_upper(out, a, b))
    return out


_GRAM_KERNELS = Kernel("similarity matrix", {"cython": "fastscore._cy.diversity:mirror_upper",
                                               "numba": "fastscore.diversity._numba:mirror_upper"})


def _gram_kernels(backend):
    """The module of the compiled similarity kernels: Cython (compiled at install) or Numba."""
    import importlib

    name, function = _GRAM_KERNELS.resolve(backend)
    return importlib.import_module(function.__module__)


_ASYMMETRY = family_kernel("diversity", "max_asymmetry", "symmetry check")


def _reference_gram(kernel, X, Y, gamma):
    from . import _reference

    return _reference.gram(kernel, X, Y, gamma)


def _on_row_blocks(n: int, work) -> None:
    """Run work(row_start, row_stop) over blocks of rows on the thread pool."""
    n_blocks = min(n, 64)
    bounds = np.linspace(0, n, n_blocks + 1).astype(int)
    map_threads(lambda b: work(bounds[b], bounds[b + 1]), range(n_blocks))


def _callable_matrix(X, Y, function, symmetric):
    try:
        from numba.core.registry import CPUDispatcher
    except ImportError:  # pragma: no cover
        CPUDispatcher = ()
    if isinstance(function, CPUDispatcher) and isinstance(X, np.ndarray) and X.ndim == 2:
        from . import _numba

        X = as_float_array(X, "X", ndim=2)
        Y = X if symmetric else as_float_array(Y, "Y", ndim=2)
        out = np.empty((X.shape[0], Y.shape[0]))
        _on_row_blocks(X.shape[0], lambda a, b: _numba.callable_rows(X, Y, function, out, a, b, symmetric))
        if symmetric:
            _on_row_blocks(X.shape[0], lambda a, b: _numba.mirror_upper(out, a, b))
        return out
    # any Python callable on any samples, as vendi-score's score(samples, k)
    n, m = len(X), len(Y)
    out = np.empty((n, m))
    for i in range(n):
        for j in range(i if symmetric else 0, m):
            out[i, j] = function(X[i], Y[j])
            if symmetric:
                out[j, i] = out[i, j]
    return out


MAX_MAGNITUDE = 1e150  # beyond it squares and dot products of features overflow float64


def _with_features(X, name="X"):
    """X itself, refused when it has rows but no columns (every similarity would be 0 / 0), or
    entries so large that their squares overflow."""
    if X.ndim == 2 and X.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {X.shape}); pass (n, d) rows with d >= 1.")
    if X.size:
        with np.errstate(invalid="ignore"):
            largest = float(np.nanmax(np.abs(X))) if X.dtype.kind == "f" else float(np.abs(X).max())
        if largest > MAX_MAGNITUDE and np.isfinite(largest):
            raise ValueError(f"{name} holds entries of magnitude {largest:.3g}, beyond 1e150, where their squares "
                             f"overflow; rescale the features (the cosine kernel does not depend on the scale).")
    return X


def _unit_rows(X, name):
    norms = np.sqrt(np.einsum("ij,ij->i", X, X, dtype=np.float64))
    if (norms == 0).any():
        i = int(np.argmax(norms == 0))
        raise ValueError(f"row {i} of {name} has zero norm, so its cosine similarity is undefined; drop or replace it.")
    return (X / norms[:, None].astype(X.dtype)).astype(X.dtype, copy=False)


# ------------------------------------------------------ dual (X^T W X)

def second_moment(X, *, kernel="cosine", sample_weight=None, chunk_rows=CHUNK_ROWS):
    """sum_i w_i x_i x_i^T (float64, d x d) and sum_i w_i, streamed over row blocks.

    Cosine rows are normalised block by block (the norm and the weight make
    one scale per row, applied in one pass); the block product is BLAS syrk
    in the input's precision, accumulated in float64 across blocks, so the
    extra memory is one block of rows, never an n x d copy. float32 input
    thus carries float32 rounding inside a block (about 1e-6 relative on the
    score, measured in the tests).
    """
    n, d = X.shape
    blas = _scipy().linalg.blas
    syrk = blas.ssyrk if X.dtype == np.float32 else blas.dsyrk
    total = np.zeros((d, d))
    for start in range(0, n, chunk_rows):
        block = X[start:start + chunk_rows]
        scale = None
        if kernel == "cosine":
            norms = np.sqrt(np.einsum("ij,ij->i", block, block))
            if not np.isfinite(norms).all():
                _raise_non_finite(block, start)
            if (norms == 0).any():
                i = start + int(np.argmax(norms == 0))
                raise ValueError(f"row {i} of X has zero norm, so its cosine similarity is undefined; drop or replace it.")
            scale = 1.0 / norms
        if sample_weight is not None:
            root = np.sqrt(sample_weight[start:start + chunk_rows])
            scale = root if scale is None else scale * root
        if scale is not None:
            block = block * scale.astype(X.dtype)[:, None]
        # block.T is Fortran-ordered: syrk reads it without a copy
        product = syrk(1.0, block.T, trans=0, lower=0)
        if not np.isfinite(product).all():
            _raise_non_finite(X[start:start + chunk_rows], start)
        total += product
    upper = np.triu(total)
    return upper + np.triu(upper, 1).T, float(n if sample_weight is None else sample_weight.sum())


def _raise_non_finite(block, offset):
    bad = ~np.isfinite(block)
    if not bad.any():
        raise ValueError("X is too large in magnitude: its squares overflow; rescale the rows.")
    i, j = np.unravel_index(int(np.argmax(bad)), bad.shape)
    kind = "NaN" if np.isnan(block[i, j]) else "inf"
    raise ValueError(f"X contains {kind} at index ({offset + i}, {j}); remove or impute those rows before scoring.")


class EmbeddingVendi(Accumulator):
    """Streaming Vendi score for feature kernels (cosine, linear).

    The state is the d x d second-moment matrix sum_i w_i x_i x_i^T (float64)
    and the weight sum: batches of embeddings stream in, shards merge, and
    ``compute(q)`` eigen-solves only the d x d matrix. The result equals
    :func:`vendi_score` on all rows at once, with weights proportional to
    the ``sample_weight`` given.

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.diversity import EmbeddingVendi
    >>> state = EmbeddingVendi(kernel="cosine")
    >>> state.update(np.eye(3)).update(np.eye(3))
    EmbeddingVendi(kernel='cosine')
    >>> round(state.compute(q=1), 6)
    3.0
    """

    _params = ("kernel",)
    _sums = ("moment", "total_weight", "n_samples")

    def __init__(self, *, kernel="cosine"):
        self.kernel = check_option(kernel, "kernel", FEATURE_KERNELS)
        self.moment = None
        self.reset()

    def _initial_state(self):
        return {"moment": 0.0, "total_weight": 0.0, "n_samples": 0}

    def update(self, X, *, sample_weight=None):
        """Add a batch of embeddings (rows); returns ``self``."""
        X = as_float_array(X, "X", ndim=2)
        if sample_weight is not None:
            from .._validation import check_sample_weight

            sample_weight = check_sample_weight(sample_weight, X.shape[0])
        if X.shape[0] == 0:
            return self
        if not isinstance(self.moment, float) and self.moment.shape[0] != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features but this state holds {self.moment.shape[0]}; every batch must have the same width."
            )
        moment, weight = second_moment(X, kernel=self.kernel, sample_weight=sample_weight)
        self.moment = self.moment + moment
        self.total_weight += weight
        self.n_samples += X.shape[0]
        return self

    def compute(self, q=1) -> float:
        """The order-q Vendi score of every row seen so far."""
        q = check_q(q)
        if self.n_samples == 0:
            raise ValueError("no samples were added; call update() with at least one row before compute().")
        if not self.total_weight > 0:
            raise ValueError("the sample weights sum to 0; give at least one row a positive weight.")
        return _score_symmetric(self.moment, q)

    def __repr__(self):
        return f"EmbeddingVendi(kernel={self.kernel!r})"


# -------------------------------------------------------------- public API

def _check_K(K, normalize):
    sparse = _issparse(K)
    if sparse:
        K = _scipy().sparse.csr_matrix(K, dtype=np.float64)
        if K.shape[0] != K.shape[1]:
            raise ValueError(f"K must be square (n x n), got shape {K.shape}.")
        if not np.isfinite(K.data).all():
            raise ValueError("K contains NaN or inf; a similarity matrix must be finite.")
        asym = abs(K - K.T)
        if asym.nnz and asym.max() > 1e-8 * max(abs(K).max(), 1e-300):
            raise ValueError("K is not symmetric; pass a symmetric similarity matrix (e.g. (K + K.T) / 2).")
        diagonal = K.diagonal()
    else:
        K = as_float_array(K, "K", ndim=2)
        if K.shape[0] != K.shape[1]:
            raise ValueError(f"K must be square (n x n), got shape {K.shape}.")
        check_finite(K, "K")
        _, max_asymmetry = _ASYMMETRY.resolve()
        scale = max(float(np.abs(np.diagonal(K)).max(initial=0.0)), 1e-300)
        if max_asymmetry(K, 64) > 1e-8 * scale:
            raise ValueError("K is not symmetric; pass a symmetric similarity matrix (e.g. (K + K.T) / 2).")
        diagonal = np.diagonal(K)
    if K.shape[0] == 0:
        raise ValueError("K is empty; a Vendi score needs at least one sample.")
    if normalize:
        if (diagonal <= 0).any():
            raise ValueError("K has a diagonal entry <= 0, so it cannot be normalised to a unit diagonal.")
        inv = 1.0 / np.sqrt(diagonal)
        K = (_scipy().sparse.diags(inv) @ K @ _scipy().sparse.diags(inv)).tocsr() if sparse else K * inv[:, None] * inv[None, :]
    elif not np.allclose(diagonal, 1.0, rtol=0, atol=1e-6):
        i = int(np.argmax(np.abs(diagonal - 1.0) > 1e-6))
        raise ValueError(
            f"K[{i}, {i}] = {float(diagonal[i])!r}, but a Vendi score needs k(x, x) = 1; pass normalize=True to use "
            f"K_ij / sqrt(K_ii K_jj)."
        )
    return K


def _weighted(A, weights):
    """diag(sqrt p) A diag(sqrt p) (A itself when unweighted: the trace normalises)."""
    if weights is None:
        return A
    root = np.sqrt(weights)
    if _issparse(A):
        return (_scipy().sparse.diags(root) @ A @ _scipy().sparse.diags(root)).tocsr()
    return A * root[:, None] * root[None, :]


def vendi_score(X=None, *, K=None, kernel="cosine", q=1, weights=None, method="auto", gamma=None,
                normalize=False, n_components=2048, seed=0, dtype=None, backend=None) -> float:
    """Order-q Vendi score of samples (embeddings) or of a similarity matrix.

    Parameters
    ----------
    X : array-like of shape (n, d), optional
        Embeddings or features (binary fingerprints for tanimoto/hamming; any
        samples for a Python callable kernel).
    K : array-like or scipy sparse matrix of shape (n, n), optional
        A precomputed symmetric similarity matrix with unit diagonal (or
        ``normalize=True``). Pass X or K.
    kernel : {"cosine", "linear", "rbf", "laplacian", "tanimoto", "hamming"} or callable
        See :func:`similarity_matrix`. "linear" has no unit diagonal: its
        spectrum is normalised by the trace (for unit-norm rows it equals
        "cosine").
    q : float in [0, inf], default=1
        Order: 1 Shannon, 2 (closed form, no eigen-solve), np.inf (largest
        eigenvalue only), 0 the numerical rank.
    weights : array-like of shape (n,), optional
        A probability vector over the samples (default uniform).
    method : {"auto", "dual", "primal", "approx"}
        "auto": the d x d dual X^T W X for cosine/linear when d < n (exact),
        else the n x n matrix. "approx": random Fourier features (rbf,
        laplacian) or Nystrom features (others) with ``n_components``
        features, for large n; see Notes.
    gamma : float, optional
        rbf/laplacian bandwidth; default 1 / d.
    normalize : bool, default=False
        With K: use K_ij / sqrt(K_ii K_jj) instead of requiring a unit diagonal.
    n_components, seed : int
        Features of the "approx" method and the seed of their randomness.
    dtype : {None, np.float32}
        np.float32 eigen-solves an n x n matrix in single precision, about
        twice as fast. Eigenvalues then carry absolute errors of about
        1e-7 * max eigenvalue (times a small factor), and eigenvalues below
        max * sqrt(n) * 1.2e-7 are dropped as round-off: measured, the score
        moved by 4e-9 relative (rbf K of 4,000 Gaussian points in 64-D,
        smallest eigenvalue 3e-4 of the largest) and by < 1e-4 in the tests;
        a spectrum with much mass below that floor loses it.
    backend : {"auto", "numba", "reference"}, optional

    Returns
    -------
    float

    Notes
    -----
    Eigenvalues below max(lam) * size * eps are round-off and are dropped,
    so q < 1 is right for rank-deficient K. The "approx" method replaces k by
    an explicit feature map z with E[z(x).z(y)] = k(x, y); each entry of the
    implied K has a standard error of about 1/sqrt(n_components). The noise
    biases the score: measured on 300 Gaussian points in 3-D, random Fourier
    features with 4,000 components gave -1.5 % (rbf) and -8 % (laplacian,
    whose Cauchy frequencies converge more slowly); Nystrom features are
    exact when every row is a landmark.

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.diversity import vendi_score
    >>> K = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> round(vendi_score(K=K), 4)
    2.1573
    >>> round(vendi_score(np.eye(4)), 4), round(vendi_score(np.ones((5, 3))), 4)
    (4.0, 1.0)
    """
    q = check_q(q)
    check_option(method, "method", METHODS)
    if dtype not in (None, np.float32, np.float64):
        raise ValueError(f"dtype must be None, np.float32 or np.float64, got {dtype!r}.")
    solve_dtype = np.float32 if dtype == np.float32 else np.float64
    if (X is None) == (K is None):
        raise ValueError("pass either X (samples) or K (a similarity matrix), not both and not neither.")
    if K is not None:
        K = _check_K(K, normalize)
        weights = check_probability_weights(weights, K.shape[0])
        if not _issparse(K) and K.shape[0] > MAX_DENSE and q not in (2.0, np.inf):
            raise ValueError(f"K is {K.shape[0]} x {K.shape[0]}: too large for a dense eigen-solve; use q=2 or q=np.inf.")
        return _score_symmetric(_weighted(K, weights), q, dtype=solve_dtype)

    n = len(X)
    if n == 0:
        raise ValueError("X is empty; a Vendi score needs at least one sample.")
    weights = check_probability_weights(weights, n)
    if callable(kernel):
        if method not in ("auto", "primal"):
            raise ValueError("a callable kernel has no feature map; use method='auto' or 'primal'.")
        return _score_symmetric(_weighted(similarity_matrix(X, kernel=kernel), weights), q, dtype=solve_dtype)
    check_option(kernel, "kernel", KERNELS)
    if kernel in FEATURE_KERNELS:
        X = _with_features(as_float_array(X, "X", ndim=2))
        if method == "approx":
            raise ValueError(f"kernel={kernel!r} is exact and cheap through method='dual'; 'approx' is for rbf and others.")
        use_dual = method == "dual" or (method == "auto" and X.shape[1] < n)
        if use_dual:
            moment, _ = second_moment(X, kernel=kernel, sample_weight=weights)
            return _score_symmetric(moment, q)
    elif method == "dual":
        raise ValueError(f"kernel={kernel!r} is not a dot product of the features: use method='primal' or 'approx'.")
    if method == "approx":
        features = approximate_features(X, kernel=kernel, gamma=gamma, n_components=n_components, seed=seed)
        if features.shape[1] < n:
            moment, _ = second_moment(features, kernel="linear", sample_weight=weights)
            return _score_symmetric(moment, q)
        # more features than samples: the n x n side is the smaller one
        return _score_symmetric(_weighted(features @ features.T, weights), q, dtype=solve_dtype)
    if n > MAX_DENSE:
        raise ValueError(
            f"n = {n} is too large for an exact n x n eigen-solve; use method='approx' (or q=2 with a precomputed K)."
        )
    K = similarity_matrix(X, kernel=kernel, gamma=gamma, backend=backend)
    return _score_symmetric(_weighted(K, weights), q, dtype=solve_dtype)


def approximate_features(X, *, kernel="rbf", gamma=None, n_components=2048, seed=0) -> np.ndarray:
    """Explicit features z with z(x).z(y) ~ k(x, y), for the "approx" method.

    rbf: random Fourier features sqrt(2/D) cos(W x + b), W ~ N(0, 2 gamma);
    laplacian: the same with W ~ Cauchy(0, gamma) (Rahimi & Recht, 2007).
    Other kernels: Nystrom features K_nm K_mm^(-1/2) from ``n_components``
    landmark rows drawn without replacement.
    """
    n_components = check_positive_int(n_components, "n_components", maximum=MAX_FEATURE_COMPONENTS,
                                      why="the features take n x n_components floats; 2048 to 8192 is typical")
    rng = np.random.default_rng(seed)
    if kernel in ("rbf", "laplacian"):
        X = as_float_array(X, "X", ndim=2)
        check_finite(X, "X")
        _with_features(X, "X")
        d = X.shape[1]
        if d == 0:
            raise ValueError(f"X has no features (shape {X.shape}); pass (n, d) rows with d >= 1.")
        gamma = 1.0 / d if gamma is None else gamma
        gamma = check_real(gamma, "gamma", low=0.0, low_open=True,
                           hint="It is the kernel's inverse length scale, e.g. 1 / d (the default).")
        if kernel == "rbf":
            W = rng.normal(scale=np.sqrt(2.0 * gamma), size=(d, n_components))
        else:
            W = rng.standard_cauchy(size=(d, n_components)) * gamma
        b = rng.uniform(0.0, 2.0 * np.pi, size=n_components)
        return np.sqrt(2.0 / n_components) * np.cos(X.astype(np.float64) @ W + b)
    n = len(X)
    m = min(n_components, n)
    landmarks = np.sort(rng.choice(n, size=m, replace=False))
    X_arr = np.asarray(X)
    K_mm = similarity_matrix(X_arr[landmarks], kernel=kernel, gamma=gamma)
    K_nm = similarity_matrix(X_arr, X_arr[landmarks], kernel=kernel, gamma=gamma)
    values, vectors = np.linalg.eigh(K_mm)
    keep = values > values.max() * m * np.finfo(np.float64).eps
    return K_nm @ (vectors[:, keep] / np.sqrt(values[keep]))


@dataclass(frozen=True)
class VendiBounds:
    """Rigorous bounds on a Vendi score from the top of the spectrum.

    ``lower <= true score <= upper`` for every order q: the remaining mass
    1 - sum(top) is spread over the other n - rank eigenvalues, each at most
    the smallest one found; the Renyi entropies are Schur-concave, so the
    most concentrated such spread bounds the score from below and the even
    spread from above. ``estimate`` is their geometric mean.
    """

    lower: float
    upper: float
    estimate: float
    rank: int
    captured: float

    def to_dict(self) -> dict:
        return dict(lower=self.lower, upper=self.upper, estimate=self.estimate, rank=self.rank, captured=self.captured)


def vendi_bounds(X=None, *, K=None, kernel="rbf", q=1, rank=100, weights=None, gamma=None,
                 normalize=False) -> VendiBounds:
    """Bounds on the order-q Vendi score from the ``rank`` largest eigenvalues.

    For n too large for a full eigen-solve: Lanczos (``eigsh``) finds the top
    eigenvalues of the weighted K (dense or sparse), and :class:`VendiBounds`
    brackets the score.

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.diversity import vendi_bounds, vendi_score
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> b = vendi_bounds(X, kernel="rbf", rank=40)
    >>> b.lower <= vendi_score(X, kernel="rbf") <= b.upper
    True
    """
    q = check_q(q)
    if (X is None) == (K is None):
        raise ValueError("pass either X (samples) or K (a similarity matrix), not both and not neither.")
    if X is not None and len(X) == 0:
        raise ValueError("X is empty; bounds of a Vendi score need at least one sample.")
    K = _check_K(K, normalize) if K is not None else similarity_matrix(X, kernel=kernel, gamma=gamma)
    n = K.shape[0]
    weights = check_probability_weights(weights, n)
    rank = check_positive_int(rank, "rank")
    A = _weighted(K, weights)
    trace = float(A.diagonal().sum())
    if rank >= n - 1:
        top = _eigenvalues(A.toarray() if _issparse(A) else A, np.float64)
    else:
        top = _scipy().sparse.linalg.eigsh(A, k=rank, which="LA", return_eigenvectors=False)
    top = np.sort(np.clip(top, 0.0, None))[::-1] / trace
    smallest = top[-1]
    remaining = max(1.0 - top.sum(), 0.0)
    others = n - top.size
    if remaining <= 0 or others == 0:
        value = score_from_eigenvalues(top, q)
        return VendiBounds(value, value, value, int(top.size), float(top.sum()))
    # most concentrated: as many copies of the smallest found eigenvalue as fit
    copies = min(int(remaining // smallest), others)
    rest = remaining - copies * smallest
    concentrated = np.concatenate([top, np.full(copies, smallest), [rest] if rest > 0 else []])
    spread = np.concatenate([top, np.full(others, remaining / others)])
    lower = score_from_eigenvalues(concentrated, q, tolerance=0.0)
    upper = score_from_eigenvalues(spread, q, tolerance=0.0)
    return VendiBounds(lower, upper, float(np.sqrt(lower * upper)), int(top.size), float(top.sum()))


def intdiv(X=None, *, K=None, kernel="cosine", q=1, weights=None, gamma=None, normalize=False) -> float:
    """Internal diversity: 1 - sum_ij p_i p_j k(x_i, x_j)**q (vendi-score's intdiv_K).

    For the cosine and linear kernels with q = 1 it is 1 - |sum_i p_i x_i|^2,
    in O(n d) without the n x n matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.diversity import intdiv
    >>> round(intdiv(np.eye(4)), 4)
    0.75
    """
    q = check_q(q)
    if (X is None) == (K is None):
        raise ValueError("pass either X (samples) or K (a similarity matrix), not both and not neither.")
    if X is not None and len(X) == 0:
        raise ValueError("X is empty; internal diversity needs at least one sample.")
    if K is None and kernel in FEATURE_KERNELS and q == 1:
        X = _with_features(as_float_array(X, "X", ndim=2))
        check_finite(X, "X")
        weights = check_probability_weights(weights, X.shape[0])
        rows = _unit_rows(X, "X") if kernel == "cosine" else X
        p = np.full(X.shape[0], 1.0 / X.shape[0]) if weights is None else weights
        mean = p @ rows.astype(np.float64)
        return float(1.0 - mean @ mean)
    if K is not None:
        K = _check_K(K, normalize)
        K = K.toarray() if _issparse(K) else K
    else:
        K = similarity_matrix(X, kernel=kernel, gamma=gamma)
    weights = check_probability_weights(weights, K.shape[0])
    p = np.full(K.shape[0], 1.0 / K.shape[0]) if weights is None else weights
    return float(1.0 - p @ (K**q) @ p)


@dataclass(frozen=True)
class GroupDiversity:
    """Vendi scores per group and overall (see :func:`vendi_by_group`)."""

    groups: np.ndarray
    sizes: np.ndarray
    scores: np.ndarray
    overall: float

    def to_dict(self) -> dict:
        return {"groups": self.groups.tolist(), "sizes": self.sizes.tolist(), "scores": self.scores.tolist(),
                "overall": self.overall}


def vendi_by_group(X, groups, **options) -> GroupDiversity:
    """The Vendi score of each group of rows (e.g. per class or per prompt) and of all rows.

    ``options`` are those of :func:`vendi_score`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastscore.diversity import vendi_by_group
    >>> X = np.array([[1.0, 0], [1, 0], [0, 1], [1, 0]])
    >>> result = vendi_by_group(X, ["a", "a", "b", "b"])
    >>> result.scores.round(3).tolist(), round(result.overall, 3)
    ([1.0, 2.0], 1.755)
    """
    groups = np.asarray(groups)
    n = len(X)
    if groups.shape != (n,):
        raise ValueError(f"groups must have one label per row of X ({n}), got shape {groups.shape}.")
    labels, codes = np.unique(groups, return_inverse=True)
    X_arr = X if callable(options.get("kernel")) else np.asarray(X)
    overall = vendi_score(X_arr, **options)  # first: a bad row is named by its index in X, not in its group
    scores = np.array([vendi_score(X_arr[codes == g], **options) for g in range(labels.size)])
    return GroupDiversity(labels, np.bincount(codes), scores, overall)
