"""Backend resolution, show_config and the thread setting."""
import io

import numpy as np
import pytest

import fastscore
from fastscore._config import Kernel, n_threads, requested_backend
from fastscore.calibration import calibration_report


def test_resolution_order(monkeypatch):
    monkeypatch.delenv("FASTSCORE_BACKEND", raising=False)
    assert requested_backend() == "auto"
    monkeypatch.setenv("FASTSCORE_BACKEND", "cython")
    assert requested_backend() == "cython"
    with fastscore.config(backend="reference"):
        assert requested_backend() == "reference"  # the context beats the environment
        assert requested_backend("numba") == "numba"  # the argument beats both
        with fastscore.config(backend="numba"):
            assert requested_backend() == "numba"
        assert requested_backend() == "reference"
    assert requested_backend() == "cython"


def test_bad_backend_names(monkeypatch):
    with pytest.raises(ValueError, match="'gpu' is not a backend; use one of"):
        requested_backend("gpu")
    monkeypatch.setenv("FASTSCORE_BACKEND", "fast")
    with pytest.raises(ValueError, match="FASTSCORE_BACKEND='fast'"):
        requested_backend()
    with pytest.raises(ValueError):
        with fastscore.config(backend="nope"):
            pass


def test_unavailable_backend_names_the_available_ones():
    kernel = Kernel("demo kernel", {"cython": "fastscore._cy.not_built:f", "reference": "numpy:sum"})
    assert kernel.available() == ["reference"]
    assert kernel.resolve()[0] == "reference"
    with pytest.raises(ValueError, match="backend='cython' is not available for demo kernel; available here: 'reference'"):
        kernel.resolve("cython")
    with pytest.raises(ValueError, match="not available"):
        kernel.resolve("numba")


def test_every_backend_gives_the_same_report(binary_data):
    y, p, _ = binary_data
    values = set()
    for backend in ("reference", "numba", "cython"):
        with fastscore.config(backend=backend):
            values.add(round(calibration_report(y, p).ece, 12))
    assert len(values) == 1


def test_threads_do_not_change_results(monkeypatch):
    rng = np.random.default_rng(0)
    p = rng.random(400_000)
    y = (rng.random(400_000) < p).astype(np.int64)
    monkeypatch.setenv("FASTSCORE_NUM_THREADS", "1")
    one = calibration_report(y, p, backend="numba")
    monkeypatch.setenv("FASTSCORE_NUM_THREADS", "3")
    three = calibration_report(y, p, backend="numba")
    assert one.to_dict() == three.to_dict()
    monkeypatch.setenv("FASTSCORE_NUM_THREADS", "zero")
    with pytest.raises(ValueError, match="FASTSCORE_NUM_THREADS"):
        n_threads()


def test_show_config_lists_versions_and_extensions():
    out = io.StringIO()
    fastscore.show_config(file=out)
    text = out.getvalue()
    assert f"fastscore" in text and fastscore.__version__ in text
    assert "calibration" in text  # the compiled Cython extension
    assert "numba threading layer" in text


def test_import_is_light_and_families_load_on_first_use():
    """`import fastscore` loads no family and nothing heavy; each family (and what it needs) loads
    on first use, `fastscore.detection` included; the pycocotools drop-in imports no SciPy,
    Numba or pandas."""
    import subprocess
    import sys

    code = ("import sys, fastscore\n"
            "heavy = ('numba', 'scipy', 'pandas', 'matplotlib', 'llvmlite', 'fastscore.calibration',\n"
            "         'fastscore.detection', 'fastscore.diversity', 'fastscore.ranking')\n"
            "print(sorted(m for m in heavy if m in sys.modules))\n"
            "print(fastscore.detection.box_iou([[0, 0, 2, 2]], [[1, 0, 3, 2]]).tolist())\n"
            "print(sorted(m for m in ('numba', 'scipy', 'pandas') if m in sys.modules))\n"
            "from fastscore.compat.pycocotools import COCO, COCOeval\n"
            "print(sorted(m for m in ('numba', 'scipy', 'pandas', 'matplotlib') if m in sys.modules))\n"
            "print([set(dir(fastscore)) >= {'calibration', 'detection', 'diversity', 'ranking', 'show_config'}])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:5] == ["[]", "[[0.3333333333333333]]", "[]", "[]", "[True]"]
