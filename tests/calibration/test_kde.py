"""KDE-ECE: compiled sums = reference, and = an adaptive-quadrature evaluation of the formula."""
import numpy as np
import pytest
from scipy.integrate import quad

from fastscore.calibration import calibration_report, kde_ece
from fastscore.calibration import _numba, _reference


def triweight(x, bandwidth):
    u = x / (3 * bandwidth)
    return np.where(np.abs(u) < 1, 35 / 32 / (3 * bandwidth) * (1 - u**2) ** 3, 0.0)


def kde_ece_by_quadrature(y, p, order=1):
    """The formula of Zhang et al. at any x (no grid), integrated by scipy's adaptive quad."""
    n = p.size
    h = np.std(p[y == 1]) * (2 * n) ** -0.2
    mirrored = np.where(p < 0.5, -p, 2 - p)

    def sums(x):
        k = triweight(x - p, h) + triweight(x - mirrored, h)
        return k.sum() / n, k[y == 1].sum() / n

    def density(x):
        return sums(x)[0]

    def integrand(x):
        f, f_correct = sums(x)
        if f <= 1e-6:
            return 0.0
        return abs(x - min(f_correct / f, 1.0)) ** order * f

    top = quad(integrand, 0, 1, limit=500, points=np.linspace(0, 1, 41)[1:-1])[0]
    return top / quad(density, 0, 1, limit=500, points=np.linspace(0, 1, 41)[1:-1])[0]


@pytest.mark.parametrize("order", [1, 2])
def test_equals_the_formula(order):
    rng = np.random.default_rng(order)
    p = rng.random(400)
    y = (rng.random(400) < p**1.5).astype(int)
    assert kde_ece(y, p, order=order, grid=40001) == pytest.approx(kde_ece_by_quadrature(y, p, order), rel=1e-4)


def test_compiled_sums_equal_reference():
    rng = np.random.default_rng(3)
    points = np.sort(rng.random(3000) * 3 - 1)
    positive = rng.random(3000) < 0.5
    grid = np.linspace(0, 1, 501)
    for h in (0.003, 0.05, 0.4):
        for a, b in zip(_numba.triweight_sums(points, positive, grid, h), _reference.triweight_sums(points, positive, grid, h)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    p = rng.random(700)
    y = (rng.random(700) < p).astype(int)
    assert kde_ece(y, p, backend="numba") == pytest.approx(kde_ece(y, p, backend="reference"), rel=1e-12)


def test_close_to_binned_ece_on_large_samples():
    rng = np.random.default_rng(5)
    p = rng.random(50_000)
    y = (rng.random(50_000) < p**2).astype(int)
    assert kde_ece(y, p) == pytest.approx(calibration_report(y, p, n_bins=20).ece, rel=0.05)


def test_multiclass_modes(multiclass_data):
    y, p = multiclass_data
    correct = (p.argmax(axis=1) == y).astype(int)
    assert kde_ece(y, p) == pytest.approx(kde_ece(correct, p.max(axis=1)))
    per_class = [kde_ece((y == k).astype(int), p[:, k]) for k in range(p.shape[1])]
    assert kde_ece(y, p, mode="classwise") == pytest.approx(np.mean(per_class))


def test_bad_input():
    with pytest.raises(ValueError, match="pass bandwidth"):
        kde_ece([1, 1, 0], [0.6, 0.6, 0.2])  # one distinct confidence among the correct ones
    assert kde_ece([1, 1, 0], [0.6, 0.6, 0.2], bandwidth=0.05) >= 0
    with pytest.raises(ValueError, match="bandwidth must be"):
        kde_ece([1, 0], [0.6, 0.2], bandwidth=2)
    with pytest.raises(ValueError, match="order must be"):
        kde_ece([1, 0], [0.6, 0.2], order=0)
    with pytest.raises(ValueError, match="NaN"):
        kde_ece([1, 0], [np.nan, 0.2])
