"""Scale any fastscore accumulator out over Dask.

Each block of rows is fed to a fresh copy of the accumulator (``update``),
and the partial states are merged in a tree (``merge``), so a metric runs on
a cluster without new kernel code. Only the small states travel.

This module imports dask; ``import fastscore`` never does.

Examples
--------
>>> import dask.array as da
>>> import fastscore.dask
>>> from fastscore.calibration import BinnedCalibration
>>> y_true = da.from_array([0, 1, 1, 0, 1, 0], chunks=2)
>>> y_prob = da.from_array([0.1, 0.8, 0.7, 0.4, 0.9, 0.2], chunks=2)
>>> state = fastscore.dask.accumulate(BinnedCalibration(n_bins=5), y_true, y_prob)
>>> round(state.compute().brier, 4)
0.0583
"""
from __future__ import annotations

try:
    import dask
    import dask.array as da
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "fastscore.dask needs dask; install it with: pip install 'fastscore[dask]'"
    ) from exc

from ._state import Accumulator


def _update_block(empty: Accumulator, *blocks, weights=None):
    return empty.copy().update(*blocks, sample_weight=weights)


def _merge_states(*states: Accumulator) -> Accumulator:
    merged = states[0].copy()
    for state in states[1:]:
        merged.merge(state)
    return merged


def _merge_tree(metric: Accumulator, states: list, split_every: int, compute: bool, compute_kwargs: dict):
    """Merge delayed states ``split_every`` at a time, then into ``metric``; compute unless told not to."""
    merge = dask.delayed(_merge_states, pure=True)
    while len(states) > 1:
        states = [merge(*states[i:i + split_every]) for i in range(0, len(states), split_every)]
    total = merge(metric, states[0]) if states else dask.delayed(metric.copy)()
    if not compute:
        return total
    (result,) = dask.compute(total, **compute_kwargs)
    return result


def _row_blocks(array, row_chunks):
    """Delayed blocks of ``array`` cut at ``row_chunks``, whole along other axes."""
    array = da.asarray(array)
    array = array.rechunk((row_chunks,) + tuple((size,) for size in array.shape[1:]))
    return array.to_delayed().reshape(-1)


def accumulate(metric: Accumulator, *arrays, sample_weight=None, split_every: int = 8,
               compute: bool = True, **compute_kwargs):
    """Feed Dask (or NumPy) arrays through ``metric`` block by block and merge.

    Parameters
    ----------
    metric : Accumulator
        The accumulator to use as template (its parameters; its state is not
        changed). Its data, if any, is merged into the result.
    *arrays : dask arrays or array-likes
        The arguments of ``metric.update``, aligned along the first axis;
        they are rechunked to the row chunks of the first one.
    sample_weight : array-like, optional
        Per-row weights, chunked like the others.
    split_every : int, default=8
        Fan-in of the merge tree.
    compute : bool, default=True
        Return the merged accumulator; with False, a ``dask.delayed`` of it.
    **compute_kwargs
        Passed to ``dask.compute`` (e.g. ``scheduler=...``).

    Returns
    -------
    Accumulator
        A new accumulator holding the state of every row; call ``.compute()``
        on it for the metric.
    """
    if not isinstance(metric, Accumulator):
        raise TypeError(f"metric must be a fastscore accumulator (e.g. BinnedCalibration), got {type(metric).__name__}.")
    if not arrays:
        raise ValueError("pass the arrays to feed to metric.update (e.g. y_true, y_prob).")
    if split_every < 2:
        raise ValueError(f"split_every must be >= 2, got {split_every}.")
    first = da.asarray(arrays[0])
    for i, array in enumerate(arrays[1:] + ((sample_weight,) if sample_weight is not None else ()), start=1):
        if da.asarray(array).shape[0] != first.shape[0]:
            raise ValueError(
                f"argument {i} has {da.asarray(array).shape[0]} rows but the first has {first.shape[0]}; "
                f"pass one row per sample in each."
            )
    row_chunks = first.chunks[0]
    columns = [_row_blocks(array, row_chunks) for array in arrays]
    weight_blocks = _row_blocks(sample_weight, row_chunks) if sample_weight is not None else None
    empty = metric.empty_like()
    update = dask.delayed(_update_block, pure=True)
    states = [
        update(empty, *(column[i] for column in columns),
               weights=None if weight_blocks is None else weight_blocks[i])
        for i in range(len(row_chunks))
    ]
    return _merge_tree(metric, states, split_every, compute, compute_kwargs)


def accumulate_shards(metric: Accumulator, shards, *, split_every: int = 8, compute: bool = True,
                      **compute_kwargs):
    """Feed whole shards (tuples of ``update`` arguments) through ``metric`` and merge.

    For metrics whose rows must not be split at arbitrary points, such as COCO
    evaluation (all of an image's boxes in one shard): each shard is one
    ``metric.update(*shard)`` on a fresh copy, then the states merge in a tree.

    Parameters
    ----------
    metric : Accumulator
        Template (its parameters); its own data, if any, is merged in too.
    shards : iterable
        Each item a tuple of ``update`` arguments, or a ``dask.delayed`` that
        computes such a tuple (e.g. a loader reading one file of images).
    split_every : int, default=8
    compute : bool, default=True
        With False, return a ``dask.delayed`` of the merged accumulator.

    Examples
    --------
    >>> import fastscore.dask
    >>> from fastscore.detection import CocoAccumulator
    >>> shard = lambda i: ({"image_id": [i], "category_id": [1], "bbox": [[0, 0, 10, 10]]},
    ...                    {"image_id": [i], "category_id": [1], "bbox": [[0, 0, 10, 10]], "score": [0.5]})
    >>> state = fastscore.dask.accumulate_shards(CocoAccumulator(), [shard(1), shard(2)])
    >>> float(state.compute().stats[0])
    1.0
    """
    if not isinstance(metric, Accumulator):
        raise TypeError(f"metric must be a fastscore accumulator, got {type(metric).__name__}.")
    if split_every < 2:
        raise ValueError(f"split_every must be >= 2, got {split_every}.")
    empty = metric.empty_like()
    update = dask.delayed(_update_shard, pure=True)
    states = [update(empty, shard) for shard in shards]
    return _merge_tree(metric, states, split_every, compute, compute_kwargs)


def _update_shard(empty: Accumulator, shard):
    if not isinstance(shard, tuple):
        raise TypeError(f"each shard must be a tuple of update arguments, got {type(shard).__name__}.")
    return empty.copy().update(*shard)
