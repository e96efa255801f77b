"""Backend selection and ``show_config``.

Every performance-critical kernel of fastscore has a plain reference
implementation and one or more compiled ones. Which one runs is resolved, in
this order, from

1. the ``backend=`` argument of the public function,
2. the innermost ``with fastscore.config(backend=...)`` block,
3. the ``FASTSCORE_BACKEND`` environment variable,
4. ``"auto"``: the fastest backend available for that kernel.
"""
from __future__ import annotations

import contextlib
import contextvars
import importlib
import os
import sys
import threading
from typing import Callable, Iterator

BACKENDS = ("reference", "numba", "cython")
_AUTO = "auto"
_ENV_VAR = "FASTSCORE_BACKEND"

_backend_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "fastscore_backend", default=None
)


def _check_backend_name(value: str, source: str) -> str:
    if not isinstance(value, str) or value.lower() not in BACKENDS + (_AUTO,):
        raise ValueError(
            f"{source}={value!r} is not a backend; use one of "
            f"{', '.join(repr(b) for b in BACKENDS + (_AUTO,))}."
        )
    return value.lower()


@contextlib.contextmanager
def config(*, backend: str | None = None) -> Iterator[None]:
    """Set the default backend inside a ``with`` block.

    Parameters
    ----------
    backend : {"auto", "reference", "numba", "cython"}, optional
        Backend used by every fastscore function called inside the block that
        is not given ``backend=`` explicitly. ``None`` leaves it unchanged.

    Examples
    --------
    >>> import fastscore
    >>> with fastscore.config(backend="reference"):
    ...     round(fastscore.calibration.ece([0, 1, 1], [0.2, 0.7, 0.9], n_bins=5), 6)
    0.2
    """
    if backend is None:
        yield
        return
    token = _backend_var.set(_check_backend_name(backend, "backend"))
    try:
        yield
    finally:
        _backend_var.reset(token)


def requested_backend(backend: str | None = None) -> str:
    """The backend asked for: argument, then ``config``, then environment, then "auto"."""
    if backend is not None:
        return _check_backend_name(backend, "backend")
    from_context = _backend_var.get()
    if from_context is not None:
        return from_context
    from_env = os.environ.get(_ENV_VAR)
    if from_env:
        return _check_backend_name(from_env, _ENV_VAR)
    return _AUTO


class Kernel:
    """One kernel with its implementations, loaded lazily by backend name.

    Parameters
    ----------
    name : str
        Name used in error messages.
    implementations : dict
        Maps a backend name to ``"module:attribute"``; listed in order of
        preference for ``"auto"`` (the fastest first, "reference" last).
    """

    def __init__(self, name: str, implementations: dict[str, str]):
        self.name = name
        self.implementations = dict(implementations)
        self._loaded: dict[str, Callable | None] = {}

    def _load(self, backend: str) -> Callable | None:
        if backend not in self._loaded:
            module_name, attribute = self.implementations[backend].split(":")
            try:
                module = importlib.import_module(module_name)
                self._loaded[backend] = getattr(module, attribute)
            except ImportError:
                self._loaded[backend] = None
        return self._loaded[backend]

    def available(self) -> list[str]:
        """Backends of this kernel that import on this machine."""
        return [b for b in self.implementations if self._load(b) is not None]

    def resolve(self, backend: str | None = None, *, auto_order=None) -> tuple[str, Callable]:
        """Return ``(backend_name, function)`` for the requested backend.

        ``auto_order`` overrides the order of preference for "auto" (a caller
        may know that, for a small input, another backend is faster).
        """
        wanted = requested_backend(backend)
        if wanted == _AUTO:
            for name in auto_order or self.implementations:
                function = self._load(name)
                if function is not None:
                    return name, function
            raise RuntimeError(f"kernel {self.name!r} has no importable backend")
        if wanted not in self.implementations or self._load(wanted) is None:
            raise ValueError(
                f"backend={wanted!r} is not available for {self.name}; "
                f"available here: {', '.join(repr(b) for b in self.available())} "
                f"(or 'auto')."
            )
        return wanted, self._load(wanted)


def family_kernel(family: str, function: str, name: str, backends=("cython", "numba", "reference")) -> Kernel:
    """The kernel ``function`` of a family: ``fastscore._cy.<family>`` (Cython, compiled when the
    package is installed), ``fastscore.<family>._numba`` and ``fastscore.<family>._reference``,
    preferred in the order of ``backends``."""
    where = {"cython": f"fastscore._cy.{family}", "numba": f"fastscore.{family}._numba",
             "reference": f"fastscore.{family}._reference"}
    return Kernel(name, {backend: f"{where[backend]}:{function}" for backend in backends})


def n_threads() -> int:
    """Threads that compiled kernels run on: ``FASTSCORE_NUM_THREADS``, else the usable cores."""
    from_env = os.environ.get("FASTSCORE_NUM_THREADS")
    if from_env:
        try:
            value = int(from_env)
        except ValueError:
            value = 0
        if value < 1:
            raise ValueError(f"FASTSCORE_NUM_THREADS={from_env!r} must be a positive integer.")
        return value
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


_pools: dict = {}  # threads -> concurrent.futures.ThreadPoolExecutor


def map_threads(function: Callable, items) -> list:
    """``[function(item) for item in items]`` on a shared thread pool.

    For kernels that release the GIL (Numba ``nogil=True``, Cython ``with
    nogil``): each item is a chunk of the input writing its own output slot.
    Each worker thread takes every ``threads``-th item (one task per thread,
    not per item: a task costs tens of microseconds); the results come back in
    item order, so what the caller adds up does not depend on the threads. An
    exception (Ctrl-C in the waiting thread included) stops the other workers
    after the item they are running.
    """
    items = list(items)
    threads = min(n_threads(), len(items))
    if threads <= 1:
        return [function(item) for item in items]
    if threads not in _pools:
        import concurrent.futures

        _pools[threads] = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="fastscore")
    results = [None] * len(items)
    stop = threading.Event()

    def run_share(first):
        for k in range(first, len(items), threads):
            if stop.is_set():  # the caller was interrupted (Ctrl-C) or another share failed
                return
            results[k] = function(items[k])

    futures = [_pools[threads].submit(run_share, first) for first in range(threads)]
    try:
        for future in futures:
            future.result()
    except BaseException:
        # KeyboardInterrupt reaches the waiting main thread: the shares stop after the chunks
        # they are running, and the pool is free for the next call
        stop.set()
        raise
    return results


_pages_lock = threading.Lock()
_pages_users = [0, None]  # callers inside ordinary_pages(), and NumPy's setting before the first


@contextlib.contextmanager
def ordinary_pages():
    """Inside the block, NumPy does not ask for transparent huge pages on large arrays.

    NumPy madvises every array of 4 MB or more for huge pages; where the kernel
    defragments on such a fault (``defrag=madvise``, a common default) the
    first touch of fresh memory can stall: 150 ms instead of 45 ms to read a
    78 MB results file. The COCO loaders and evaluation run their large
    temporaries inside this block. The setting is NumPy's process-wide one
    (``numpy._core.multiarray._set_madvise_hugepage``), turned off by the first
    caller to enter and restored by the last to leave; where NumPy lacks it,
    nothing changes.
    """
    import numpy

    multiarray = getattr(getattr(numpy, "_core", None), "multiarray", None) or numpy.core.multiarray
    toggle = getattr(multiarray, "_set_madvise_hugepage", None)
    if toggle is None:
        yield
        return
    with _pages_lock:
        if _pages_users[0] == 0:
            _pages_users[1] = toggle(False)
        _pages_users[0] += 1
    try:
        yield
    finally:
        with _pages_lock:
            _pages_users[0] -= 1
            if _pages_users[0] == 0:
                toggle(_pages_users[1])


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's threads: drop the pools (they are made again on
    first use) and the state of ordinary_pages (its lock may have been held by another thread)."""
    global _pages_lock
    _pools.clear()
    _pages_lock = threading.Lock()
    _pages_users[0] = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def with_ordinary_pages(function):
    """Decorate ``function`` to run inside :func:`ordinary_pages`."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with ordinary_pages():
            return function(*args, **kwargs)
    return wrapper


def _compiled_extensions() -> list[str]:
    import pkgutil

    try:
        import fastscore._cy as cy
    except ImportError:  # pragma: no cover - the package itself is broken
        return []
    found = []
    for info in pkgutil.iter_modules(cy.__path__):
        try:
            importlib.import_module(f"fastscore._cy.{info.name}")
            found.append(info.name)
        except ImportError:
            pass
    return sorted(found)


# the kernels each family's public functions reach by default, to report their backend
_FAMILY_KERNELS = {
    "calibration": ("fastscore.calibration.binned", "_KERNELS"),
    "detection": ("fastscore.detection.coco", "_MATCH"),
    "diversity": ("fastscore.diversity.vendi", "_GRAM_KERNELS"),
    "ranking": ("fastscore.ranking.pairwise", "_ELO"),
}


def default_backends() -> dict:
    """{family: the backend its default path resolves to, e.g. "cython (compiled at install)"}."""
    out = {}
    for family, (module_name, attribute) in _FAMILY_KERNELS.items():
        kernel = getattr(importlib.import_module(module_name), attribute)
        if isinstance(kernel, dict):
            kernel = next(iter(kernel.values()))
        try:
            name, _ = kernel.resolve()
        except (RuntimeError, ValueError) as error:
            out[family] = f"unavailable ({error})"
            continue
        out[family] = {"cython": "cython (compiled at install, no JIT)", "numba": "numba (JIT, cached)",
                       "reference": "reference (plain NumPy)"}[name]
    return out


def config_info() -> dict:
    """Versions, the backend of each family's default path, compiled extensions, the JIT cache
    and Numba's threading, as a dict."""
    import platform

    import numpy

    import fastscore

    from . import _jit

    info = {
        "fastscore": fastscore.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "backend (requested)": requested_backend(),
    }
    for family, backend in default_backends().items():
        info[f"default backend: {family}"] = backend
    info["cython extensions"] = _compiled_extensions()
    info["threads (FASTSCORE_NUM_THREADS)"] = n_threads()
    try:
        import scipy

        info["scipy"] = scipy.__version__
    except ImportError:
        info["scipy"] = None
    try:
        import numba

        folder = _jit.cache_folder()
        info["numba"] = numba.__version__
        info["numba JIT cache"] = (f"{folder} (only kernels run with backend='numba' compile; the default paths "
                                   f"are compiled at install)" if folder else "none (no writable folder)")
        info["numba threads"] = numba.get_num_threads()
        try:
            layer = numba.threading_layer()
        except ValueError:  # no parallel kernel has run yet
            layer = f"not yet chosen (config: {numba.config.THREADING_LAYER})"
        info["numba threading layer"] = layer
    except ImportError:
        info["numba"] = None
    return info


def show_config(file=None) -> None:
    """Print versions, available backends and Numba's threading settings.

    Examples
    --------
    >>> import fastscore
    >>> fastscore.show_config()  # doctest: +SKIP
    fastscore: 0.1.0
    ...
    """
    info = config_info()
    width = max(len(k) for k in info)
    for key, value in info.items():
        if isinstance(value, list):
            value = ", ".join(value) if value else "none found"
        print(f"{key:<{width}} : {value}", file=file or sys.stdout)
