"""Numba's ``njit`` with the cache kept outside site-packages.

Numba caches compiled kernels next to their source file by default, which
writes into ``site-packages`` (and leaves files that ``pip uninstall`` does
not remove). fastscore's Numba kernels cache into ``NUMBA_CACHE_DIR`` when
that is set, else into a per-user cache folder (``$XDG_CACHE_HOME`` or
``~/.cache`` on Linux, ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on
Windows, then the temporary folder), under ``fastscore/numba``. Where none
is writable (a read-only container with an unwritable home) the kernels
compile without a cache, after one warning. Nothing here imports Numba until
a Numba kernel module is imported, which the default (Cython) paths never do.
"""
from __future__ import annotations

import os
import sys
import tempfile
import warnings

_folder_checked = False
_folder: str | None = None


def _candidates() -> list[str]:
    home = os.path.expanduser("~")
    if sys.platform == "darwin":
        base = [os.path.join(home, "Library", "Caches")]
    elif sys.platform == "win32":
        base = [os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")]
    else:
        base = [os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")]
    user = getattr(os, "getuid", lambda: os.environ.get("USERNAME", "user"))()
    return [os.path.join(b, "fastscore", "numba") for b in base] + [
        os.path.join(tempfile.gettempdir(), f"fastscore-numba-{user}")]


def _writable(folder: str) -> bool:
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def cache_folder() -> str | None:
    """The folder Numba caches fastscore's kernels in (None: no cache, nothing was writable)."""
    global _folder_checked, _folder
    if not _folder_checked:
        _folder_checked = True
        from_env = os.environ.get("NUMBA_CACHE_DIR")
        if from_env:
            _folder = from_env
        else:
            _folder = next((c for c in _candidates() if _writable(c)), None)
            if _folder is None:
                warnings.warn(
                    f"fastscore: no writable folder for Numba's cache (tried {', '.join(_candidates())}); "
                    f"Numba kernels compile at their first use in every process. Set NUMBA_CACHE_DIR to a "
                    f"writable folder to keep them.", RuntimeWarning, stacklevel=3)
    return _folder


def njit(**options):
    """``numba.njit(**options)``, its ``cache=True`` kept in :func:`cache_folder`."""
    def decorate(function):
        import numba
        from numba.core import config

        if not options.get("cache"):
            return numba.njit(**options)(function)
        folder = cache_folder()
        if folder is None:
            return numba.njit(**{**options, "cache": False})(function)
        # Numba reads its cache folder when a function is decorated: set it for ours only
        saved = config.CACHE_DIR
        config.CACHE_DIR = folder
        try:
            return numba.njit(**options)(function)
        finally:
            config.CACHE_DIR = saved
    return decorate
