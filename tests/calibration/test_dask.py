"""fastscore.dask on a two-worker LocalCluster gives the one-pass numbers."""
import numpy as np
import pytest

import dask.array as da  # the test extra installs dask[distributed]: no skip
from distributed import Client, LocalCluster

import fastscore.dask
from fastscore.calibration import BinnedCalibration, calibration_report


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as c:
            yield c


def test_binary_on_cluster(client, binary_data):
    y, p, w = binary_data
    dy, dp, dw = (da.from_array(a, chunks=700) for a in (y, p, w))
    state = fastscore.dask.accumulate(BinnedCalibration(n_bins=15), dy, dp, sample_weight=dw, split_every=3)
    expected = calibration_report(y, p, sample_weight=w)
    got = state.compute()
    assert state.n_samples == len(y)
    for name in ("ece", "mce", "rmsce", "brier", "balance"):
        assert getattr(got, name) == pytest.approx(getattr(expected, name), rel=1e-12)


def test_multiclass_on_cluster_with_uneven_chunks(client, multiclass_data):
    y, p = multiclass_data
    dy = da.from_array(y, chunks=((1000, 1, 999, 1000),))
    dp = da.from_array(p, chunks=(500, 3))  # rechunked to y's rows, whole columns
    state = fastscore.dask.accumulate(BinnedCalibration(mode="classwise"), dy, dp)
    expected = calibration_report(y, p, mode="classwise")
    np.testing.assert_allclose(state.compute().class_ece, expected.class_ece, rtol=1e-12)


def test_numpy_arrays_and_local_scheduler(binary_data):
    y, p, _ = binary_data
    state = fastscore.dask.accumulate(BinnedCalibration(), y, p, scheduler="sync")
    assert state.compute().ece == pytest.approx(calibration_report(y, p).ece, rel=1e-12)


def test_errors():
    with pytest.raises(TypeError, match="accumulator"):
        fastscore.dask.accumulate(object(), [0, 1], [0.5, 0.5])
    with pytest.raises(ValueError, match="rows"):
        fastscore.dask.accumulate(BinnedCalibration(), [0, 1, 1], [0.5, 0.5])
