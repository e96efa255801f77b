"""fastscore: exact, drop-in and fast evaluation-metric kernels.

Families: ``fastscore.calibration``, ``fastscore.detection``,
``fastscore.diversity`` and ``fastscore.ranking``; ``fastscore.compat`` holds
drop-in modules with the anchors' names. ``import fastscore`` loads NumPy and
nothing heavy: each family (and SciPy, pandas, matplotlib, Numba) is imported
on first use. ``fastscore.show_config()`` prints the backends found here.

Examples
--------
>>> import fastscore
>>> round(fastscore.calibration.ece([0, 1, 1], [0.2, 0.7, 0.9], n_bins=5), 6)
0.2
"""
import importlib

__version__ = "0.1.0"

_SUBMODULES = ("calibration", "compat", "dask", "datasets", "detection", "diversity", "ranking")
_FROM_CONFIG = ("config", "show_config")

__all__ = ["__version__", *_FROM_CONFIG, *_SUBMODULES]


def __getattr__(name):
    # PEP 562: families load on first use, as scikit-learn and SciPy load their submodules
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _FROM_CONFIG:
        from . import _config

        return getattr(_config, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
