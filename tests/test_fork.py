"""Process pools after threaded calls: a `fork` Pool (Linux's default up to Python 3.13, and
PyTorch's DataLoader workers) must not inherit the parent's thread pool, whose threads do not
exist in the child; a `spawn` Pool must work too. Every family runs threaded work in the parent
first (inputs large enough to be split over the thread pool), then the same work in children."""
import multiprocessing as mp
import sys

import numpy as np
import pytest


def family_work(seed):
    from fastscore.calibration import calibration_report
    from fastscore.detection import box_iou
    from fastscore.diversity import similarity_matrix
    from fastscore.ranking import elo

    rng = np.random.default_rng(seed)
    p = rng.random(300_000)
    y = (rng.random(300_000) < p).astype(np.int64)
    boxes = np.column_stack([rng.uniform(0, 90, (400, 2)), rng.uniform(1, 30, (400, 2))])
    a = rng.integers(0, 10, 2000)
    b = (a + rng.integers(1, 10, 2000)) % 10
    return (calibration_report(y, p).ece, float(box_iou(boxes, boxes, box_format="xywh").sum()),
            float(similarity_matrix(rng.normal(size=(200, 8)), kernel="rbf").sum()),
            float(elo(a, b, rng.integers(0, 2, 2000).astype(float), bootstrap=4, seed=0).lower.sum()))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_process_pools_after_threaded_calls(method):
    if method not in mp.get_all_start_methods():
        pytest.skip(f"{method} is not a start method on {sys.platform}")
    expected = [family_work(seed) for seed in (1, 2)]  # the parent's threads now exist
    with mp.get_context(method).Pool(2) as pool:
        got = pool.map_async(family_work, [1, 2]).get(timeout=120)  # a hang fails here, not forever
    assert got == expected
