import pathlib
import sys

import numpy as np
import pytest
from hypothesis import settings

# helper modules of the suite (fuzz_harness) import by name from the test modules
sys.path.insert(0, str(pathlib.Path(__file__).parent))

# Numba compiles on first use (then caches): no per-example deadline.
settings.register_profile("fastscore", deadline=None, max_examples=40, derandomize=True)
settings.load_profile("fastscore")

BACKENDS = ("reference", "numba", "cython")


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(20261127)


@pytest.fixture(scope="session")
def binary_data():
    """5,000 binary predictions with a miscalibration, and weights."""
    rng = np.random.default_rng(1)
    y_prob = rng.random(5000)
    y_true = (rng.random(5000) < y_prob**1.3).astype(np.int64)
    weights = rng.gamma(2.0, size=5000)
    return y_true, y_prob, weights


@pytest.fixture(scope="session")
def multiclass_data():
    """3,000 predictions over 6 classes (float64 rows summing to 1)."""
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(3000, 6)) * 2.0
    y_prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y_true = np.array([rng.choice(6, p=row) for row in y_prob])
    return y_true, y_prob
