"""fastscore.compat.init_as_pycocotools(): frameworks' pycocotools calls, unchanged, give pycocotools' numbers."""
import json
import math
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).with_name("framework_calls.py")


def _run(mode, tmp_path):
    out = tmp_path / f"{mode}.json"
    subprocess.run([sys.executable, str(SCRIPT), mode, str(out)], check=True, capture_output=True, text=True)
    return json.loads(out.read_text())


def _same(a, b):
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def test_framework_calls_after_the_switch_equal_pycocotools(tmp_path):
    ours, theirs = _run("fastscore", tmp_path), _run("pycocotools", tmp_path)
    assert ours["detectron2_segm"]["modules"] == ["fastscore.compat.pycocotools", "fastscore.compat.pycocotools.cocoeval",
                                                  "fastscore.compat.pycocotools.mask"]
    assert theirs["detectron2_segm"]["modules"][1] == "pycocotools.cocoeval"
    for case in ours:
        for key in ours[case]:
            if key != "modules":
                assert _same(ours[case][key], theirs[case][key]), (case, key)
    # the cases evaluate something: AP well above 0 somewhere
    assert max(ours["torchmetrics_segm"]["stats"]) > 0.3 and max(ours["detectron2_keypoints"]["stats"]) > 0.1


def test_switch_warns_when_pycocotools_came_first():
    code = ("import warnings, pycocotools.coco, fastscore.compat\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    fastscore.compat.init_as_pycocotools()\n"
            "import pycocotools, pycocotools.mask, pycocotools._mask\n"
            "from pycocotools.cocoeval import COCOeval\n"
            "print(len(w), 'imported before' in str(w[0].message), pycocotools.__name__, pycocotools.mask.__name__,"
            " pycocotools._mask.__name__, COCOeval.__module__)\n")
    printed = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    assert printed == ["1", "True", "fastscore.compat.pycocotools", "fastscore.compat.pycocotools.mask",
                       "fastscore.compat.pycocotools.mask", "fastscore.compat.pycocotools.cocoeval"]
