"""Drop-in modules with the anchors' own names and signatures.

``from fastscore.compat import vendi_score`` stands in for
``from vendi_score import vendi``; ``fastscore.compat.pycocotools`` for
``pycocotools`` (``coco``, ``cocoeval``, ``mask``), and
:func:`init_as_pycocotools` makes every later ``import pycocotools`` of the
process (a framework's included) load fastscore's modules.
"""
from __future__ import annotations

import sys
import warnings

_PYCOCOTOOLS_MODULES = {
    "pycocotools": "fastscore.compat.pycocotools",
    "pycocotools.coco": "fastscore.compat.pycocotools.coco",
    "pycocotools.cocoeval": "fastscore.compat.pycocotools.cocoeval",
    "pycocotools.mask": "fastscore.compat.pycocotools.mask",
    "pycocotools._mask": "fastscore.compat.pycocotools.mask",
}


def init_as_pycocotools() -> None:
    """Make ``pycocotools`` and its modules resolve to fastscore's for the rest of the process.

    After the call, ``import pycocotools``, ``from pycocotools.coco import COCO``,
    ``from pycocotools.cocoeval import COCOeval`` and ``import pycocotools.mask``
    (also ``pycocotools._mask``) give ``fastscore.compat.pycocotools``' modules, so
    detectron2, mmdetection, torchmetrics, YOLOX and other code that imports
    pycocotools evaluate with fastscore, unchanged. Call it before those imports:
    a module that already holds pycocotools' classes keeps them (a warning says
    so when pycocotools was imported first).

    Examples
    --------
    (Skipped by the docstring tests, which must keep the real pycocotools; the
    same lines run in a fresh process in tests/detection/test_switch.py.)

    >>> import fastscore.compat
    >>> fastscore.compat.init_as_pycocotools()  # doctest: +SKIP
    >>> from pycocotools.cocoeval import COCOeval  # doctest: +SKIP
    >>> COCOeval.__module__  # doctest: +SKIP
    'fastscore.compat.pycocotools.cocoeval'
    """
    import importlib

    already = [name for name in _PYCOCOTOOLS_MODULES
               if name in sys.modules and not sys.modules[name].__name__.startswith("fastscore.")]
    for name, target in _PYCOCOTOOLS_MODULES.items():
        sys.modules[name] = importlib.import_module(target)
    # ``import pycocotools._mask`` then reads the attribute of the package
    sys.modules["pycocotools"]._mask = sys.modules["pycocotools._mask"]
    if already:
        warnings.warn(
            f"pycocotools was imported before init_as_pycocotools() ({', '.join(already)}); names taken from it "
            f"earlier (from pycocotools.coco import COCO, ...) still refer to pycocotools. Call "
            f"fastscore.compat.init_as_pycocotools() first thing in the process.", UserWarning, stacklevel=2)
