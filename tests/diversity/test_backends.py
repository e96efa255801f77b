"""The similarity kernels: Cython (the default), Numba and the reference give the same matrices."""
import numpy as np
import pytest

from fastscore.diversity import similarity_matrix, vendi_score

BACKENDS = ("cython", "numba", "reference")


@pytest.mark.parametrize("kernel", ["rbf", "laplacian", "tanimoto", "hamming"])
@pytest.mark.parametrize("dtypes", [(np.float64, np.float64), (np.float32, np.float64), (np.float32, np.float32)])
def test_similarities_equal_on_every_backend(kernel, dtypes):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 9)).astype(dtypes[0])
    Y = rng.normal(size=(11, 9)).astype(dtypes[1])
    if kernel in ("tanimoto", "hamming"):
        X, Y = X > 0, Y > 0
        X[:, 0] = Y[:, 0] = True
    for other in (None, Y):
        out = {b: similarity_matrix(X, other, kernel=kernel, gamma=0.2, backend=b) for b in BACKENDS}
        assert np.array_equal(out["cython"], out["numba"])
        np.testing.assert_allclose(out["cython"], out["reference"], rtol=1e-6 if dtypes[0] == np.float32 else 1e-12,
                                   atol=1e-7)


def test_symmetry_check_on_every_backend():
    rng = np.random.default_rng(8)
    A = rng.random((30, 30))
    K = (A + A.T) / 20
    np.fill_diagonal(K, 1.0)
    for dtype in (np.float64, np.float32):
        for order in ("C", "F"):
            Kd = np.asarray(K, dtype=dtype, order=order)
            assert vendi_score(K=Kd) == pytest.approx(vendi_score(K=K), rel=1e-5)
            bad = Kd.copy()
            bad[3, 5] += 0.1
            with pytest.raises(ValueError, match="not symmetric"):
                vendi_score(K=bad)
