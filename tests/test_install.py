"""The README's quick start on a fresh virtual environment, and an install that stays clean.

The two commands run in order, `pip install . && fastscore demo` then
`pip install -e ...`, on a copy of the repository's tracked files (a fresh
clone), must leave a working install: from an unrelated folder `fastscore
demo` and `fastscore coco` on the bundled files work, and nothing was
written into site-packages by a JIT cache. The second command is run
without the test extra, whose third-party packages do not change how
fastscore itself is reinstalled (and would cost minutes to install).
Slow (about 1.5 minutes: two builds of the Cython extensions), and run in CI.
"""
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tracked_copy(target: Path) -> Path:
    """The repository's tracked files (what a clone holds) copied to ``target``."""
    try:
        files = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: everything but build outputs
        files = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and not any(
            part in ("build", "__pycache__", ".git") or part.endswith(".egg-info") for part in p.relative_to(ROOT).parts)
            and p.suffix not in (".so", ".c", ".pyd")]
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _run(command, cwd, env, timeout=900):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.slow
def test_readme_commands_on_a_fresh_virtual_environment(tmp_path):
    clone = _tracked_copy(tmp_path / "clone")
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    bin_dir = environment / ("Scripts" if sys.platform == "win32" else "bin")
    python, fastscore = str(bin_dir / "python"), str(bin_dir / "fastscore")
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for name in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "PYTHONPATH", "VIRTUAL_ENV", "FASTSCORE_BACKEND"):
        env.pop(name, None)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], elsewhere, env).strip())

    # command 1: install and run the demo (an empty JIT cache: a fresh HOME)
    _run([python, "-m", "pip", "install", "-q", str(clone)], clone, env)
    demo = _run([fastscore, "demo"], clone, env)
    assert "== detection" in demo and "Average Precision" in demo and "== comparison" in demo
    leftovers = [p for p in (site / "fastscore").rglob("*") if p.suffix in (".nbi", ".nbc")]
    assert leftovers == [], "a JIT cache was written into site-packages"

    # command 2: the editable reinstall, then every command from an unrelated folder
    _run([python, "-m", "pip", "install", "-q", "-e", str(clone)], clone, env)
    assert not (site / "fastscore").exists(), "the first install left a fastscore folder in site-packages"
    paths = _run([python, "-c", "from fastscore.datasets import coco_sample_paths; print(*coco_sample_paths())"],
                 elsewhere, env).split()
    summary = _run([fastscore, "coco", *paths], elsewhere, env)
    assert "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505" in summary
    assert "== ranking" in _run([fastscore, "demo"], elsewhere, env)
    info = _run([fastscore, "info"], elsewhere, env)
    assert "default backend: detection      : cython" in info


def test_unwritable_home_and_temp_folder_still_work(tmp_path):
    """No writable folder for Numba's cache (a read-only container with an unwritable home): a
    Numba kernel still runs, after one warning; the default (Cython) path needs no cache at all.
    With only the home unwritable, the cache goes to the temporary folder (never site-packages)."""
    blocked = tmp_path / "a-file"
    blocked.write_text("")  # folders below a file cannot be created, not even by root
    env = {**os.environ, "HOME": str(blocked / "home"), "XDG_CACHE_HOME": str(blocked / "cache")}
    env.pop("NUMBA_CACHE_DIR", None)
    code = ("import sys, warnings\n"
            "import fastscore._jit as jit\n"
            "if sys.argv[1] == 'none':\n"
            "    jit._candidates = lambda: [sys.argv[2] + '/x', sys.argv[2] + '/y']\n"
            "from fastscore.calibration import ece\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    a = ece([0, 1, 1], [0.2, 0.7, 0.9], n_bins=5)\n"
            "    b = ece([0, 1, 1], [0.2, 0.7, 0.9], n_bins=5, backend='numba')\n"
            "    c = ece([0, 1, 0], [0.2, 0.7, 0.9], n_bins=5, backend='numba')\n"
            "print(abs(a - b) < 1e-12, sum('Numba' in str(w.message) for w in caught), jit.cache_folder())\n")
    for case, warnings_expected in (("none", "1"), ("temp", "0")):
        out = subprocess.run([sys.executable, "-c", code, case, str(blocked)], env=env, capture_output=True, text=True,
                             timeout=600, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        same, warned, folder = out.stdout.split()
        assert same == "True" and warned == warnings_expected
        if case == "none":
            assert folder == "None"
        else:
            import tempfile

            assert folder.startswith(tempfile.gettempdir()) and "site-packages" not in folder
