"""Reliability diagrams render, and show the report's numbers."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import relplot  # noqa: E402
from relplot.kernels import ReflectedGaussianKernel  # noqa: E402

from fastscore.calibration import calibration_report, reliability_diagram, smooth_ece  # noqa: E402
from fastscore.calibration.smooth import smooth_calibration_curve  # noqa: E402


def test_renders_png_with_the_report_bars(tmp_path, binary_data):
    y, p, _ = binary_data
    fig = reliability_diagram(y, p, n_bins=10, n_boot=5)
    path = tmp_path / "diagram.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    report = calibration_report(y, p, n_bins=10)
    ax = fig.axes[0]
    heights = [patch.get_height() for patch in ax.containers[0]]
    np.testing.assert_allclose(heights, report.bin_outcome[report.bin_counts > 0])
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert any(f"ECE {report.ece:.4f}" in label for label in labels)
    assert any(f"smECE {smooth_ece(y, p):.4f}" in label for label in labels)


def test_multiclass_and_given_axes(multiclass_data):
    import matplotlib.pyplot as plt

    y, p = multiclass_data
    fig, axes = plt.subplots(1, 2)
    assert reliability_diagram(y, p, ax=axes[1], smooth=False) is fig
    assert axes[1].get_xlabel() == "top-label confidence"
    with pytest.raises(ValueError, match="one diagram per class"):
        reliability_diagram(y, p, mode="classwise")
    with pytest.raises(ValueError, match="ci must be in"):
        reliability_diagram(y, p, ci=1.5)
    with pytest.raises(ValueError, match="n_boot"):
        reliability_diagram(y, p, n_boot=-1)
    plt.close("all")


def test_smooth_curve_is_relplots(binary_data):
    y, p, _ = binary_data
    t, curve, density, sigma = smooth_calibration_curve(y, p)
    residual, relplot_density = ReflectedGaussianKernel(sigma).smooth(p, p - y, t)
    np.testing.assert_allclose(curve, t - residual, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(density, relplot_density, rtol=1e-9)
    assert sigma == relplot.smECE(p, y.astype(float), return_width=True)[1]
