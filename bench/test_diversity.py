"""Vendi scores against vendi-score and scikit-learn (same data, same run).

Run: ``python -m pytest bench/test_diversity.py --benchmark-only``. Each
anchor's value is checked against fastscore's before it is timed.
"""
import tracemalloc

import numpy as np
import pytest
import scipy.linalg
from sklearn.metrics.pairwise import rbf_kernel
from vendi_score import vendi as anchor

from fastscore.diversity import similarity_matrix, vendi_score


@pytest.fixture(scope="module")
def embeddings():
    return np.random.default_rng(0).normal(size=(4000, 512))


@pytest.fixture(scope="module")
def gram():
    X = np.random.default_rng(1).normal(size=(4000, 64))
    return X, similarity_matrix(X, kernel="rbf")


@pytest.fixture(scope="module")
def large():
    rng = np.random.default_rng(2)
    X = np.empty((1_000_000, 768), dtype=np.float32)
    for start in range(0, X.shape[0], 100_000):
        X[start:start + 100_000] = rng.standard_normal((100_000, 768), dtype=np.float32)
    return X


# cosine, n = 4,000, d = 512 -------------------------------------------------

@pytest.mark.benchmark(group="cosine n=4000 d=512")
def test_fastscore_cosine(benchmark, embeddings):
    vendi_score(embeddings[:10])
    benchmark(vendi_score, embeddings)


@pytest.mark.benchmark(group="cosine n=4000 d=512")
def test_vendi_score_score_X(benchmark, embeddings):
    value = benchmark.pedantic(anchor.score_X, (embeddings,), rounds=3, iterations=1)
    assert value == pytest.approx(vendi_score(embeddings), rel=1e-9)


@pytest.mark.benchmark(group="cosine n=4000 d=512")
def test_floor_XtX_and_eigvalsh(benchmark, embeddings):
    """The floor: one X.T @ X of the normalised rows and the d x d eigen-solve."""
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)

    def floor():
        return np.linalg.eigvalsh(unit.T @ unit)

    benchmark(floor)


# precomputed K, n = 4,000 ---------------------------------------------------

@pytest.mark.benchmark(group="precomputed K n=4000")
def test_fastscore_score_K(benchmark, gram):
    benchmark.pedantic(vendi_score, kwargs=dict(K=gram[1]), rounds=3, iterations=1)


@pytest.mark.benchmark(group="precomputed K n=4000")
def test_fastscore_score_K_float32(benchmark, gram):
    value = benchmark.pedantic(vendi_score, kwargs=dict(K=gram[1], dtype=np.float32), rounds=3, iterations=1)
    exact = vendi_score(K=gram[1])
    benchmark.extra_info["float32 relative error"] = f"{abs(value - exact) / exact:.1e}"
    assert value == pytest.approx(exact, rel=1e-4)


@pytest.mark.benchmark(group="precomputed K n=4000")
def test_vendi_score_score_K(benchmark, gram):
    value = benchmark.pedantic(anchor.score_K, (gram[1],), rounds=3, iterations=1)
    assert value == pytest.approx(vendi_score(K=gram[1]), rel=1e-9)


# rbf from X, n = 4,000, d = 64 ----------------------------------------------

@pytest.mark.benchmark(group="rbf from X n=4000 d=64")
def test_fastscore_rbf(benchmark, gram):
    benchmark.pedantic(vendi_score, (gram[0],), kwargs=dict(kernel="rbf"), rounds=3, iterations=1)


@pytest.mark.benchmark(group="rbf from X n=4000 d=64")
def test_fastscore_rbf_float32(benchmark, gram):
    benchmark.pedantic(vendi_score, (gram[0],), kwargs=dict(kernel="rbf", dtype=np.float32), rounds=3, iterations=1)


@pytest.mark.benchmark(group="rbf from X n=4000 d=64")
def test_sklearn_rbf_kernel_and_score_K(benchmark, gram):
    value = benchmark.pedantic(lambda X: anchor.score_K(rbf_kernel(X)), (gram[0],), rounds=3, iterations=1)
    assert value == pytest.approx(vendi_score(gram[0], kernel="rbf"), rel=1e-9)


# 1,000,000 x 768 float32, cosine, exact --------------------------------------

@pytest.mark.benchmark(group="cosine n=1M d=768 float32")
def test_fastscore_cosine_large(benchmark, large):
    vendi_score(large[:1000])
    benchmark.pedantic(vendi_score, (large,), rounds=3, iterations=1)
    tracemalloc.start()
    vendi_score(large)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    benchmark.extra_info["peak extra memory (MB)"] = round(peak / 1e6, 1)
    benchmark.extra_info["input (MB)"] = round(large.nbytes / 1e6, 1)
    assert peak < large.nbytes / 20  # a block of rows, never an n x d copy


@pytest.mark.benchmark(group="cosine n=1M d=768 float32")
def test_single_XtX(benchmark, large):
    """The yardstick: one X.T @ X of the raw float32 rows."""
    benchmark.pedantic(lambda X: X.T @ X, (large,), rounds=3, iterations=1)
