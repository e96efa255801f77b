"""Every docstring example runs and prints what it says."""
import doctest
import importlib

import pytest

MODULES = [
    "fastscore._config",
    "fastscore.calibration.binned",
    "fastscore.calibration.smooth",
    "fastscore.calibration.sorted",
    "fastscore.calibration.diagram",
    "fastscore.calibration.kde",
    "fastscore.datasets",
    "fastscore.dask",
    "fastscore.diversity.vendi",
    "fastscore.compat.vendi_score",
    "fastscore.ranking.pairwise",
    "fastscore.ranking.voting",
    "fastscore.ranking.multiwinner",
    "fastscore.ranking.style",
    "fastscore.detection.evaluation",
    "fastscore.detection.matching",
    "fastscore.detection.lvis",
    "fastscore.detection.masks",
    "fastscore.compat.pycocotools",
    "fastscore.compat.pycocotools.mask",
    "fastscore.compat.pycocotools.cocoeval",
    "fastscore.detection.segmentation",
    "fastscore.compat.fastchat",
    "fastscore.compare.result",
    "fastscore.compare.scores",
    "fastscore.compare.calibration",
    "fastscore.compare.ratings",
    "fastscore.compare.diversity",
    "fastscore.compare.detection",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
