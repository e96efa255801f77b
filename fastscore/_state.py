"""The accumulator protocol shared by every streaming metric.

A metric's state is small and additive::

    m = Metric(...)          # parameters fixed here
    m.update(batch...)       # any number of times, any batch sizes
    m.merge(other)           # another Metric with the same parameters
    result = m.compute()     # the same numbers as one pass over all batches

``merge`` is commutative and associative (up to floating-point rounding of the
sums), states pickle, and ``update`` takes ``sample_weight``. ``fastscore.dask``
builds on exactly this protocol to scale any metric out.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np


class Accumulator:
    """Base class: subclasses name their parameters and additive state fields.

    Subclasses set ``_params`` (names of attributes that must match for two
    states to merge) and ``_sums`` (names of attributes holding NumPy arrays or
    numbers that add up on merge), and implement ``_initial_state``,
    ``update`` and ``compute``.
    """

    _params: tuple[str, ...] = ()
    _sums: tuple[str, ...] = ()

    def _initial_state(self) -> dict[str, Any]:
        raise NotImplementedError

    def reset(self):
        """Forget every update; keep the parameters. Returns ``self``."""
        for name, value in self._initial_state().items():
            setattr(self, name, value)
        return self

    def update(self, *args, sample_weight=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def compute(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_mergeable(self, other) -> None:
        if type(other) is not type(self):
            raise TypeError(f"cannot merge a {type(other).__name__} into a {type(self).__name__}.")
        for name in self._params:
            mine, theirs = getattr(self, name), getattr(other, name)
            same = np.array_equal(mine, theirs) if isinstance(mine, np.ndarray) else mine == theirs
            if not same:
                raise ValueError(
                    f"cannot merge states built with different {name} ({mine!r} and {theirs!r}); "
                    f"create every shard's {type(self).__name__} with the same parameters."
                )

    def merge(self, other):
        """Add ``other``'s state into this one (in place) and return ``self``."""
        self._check_mergeable(other)
        for name in self._sums:  # all checked before any is added: a refused merge changes nothing
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, np.ndarray) and isinstance(theirs, np.ndarray) and mine.shape != theirs.shape:
                raise ValueError(
                    f"cannot merge {type(self).__name__} states of different shapes ({name}: {mine.shape} here, "
                    f"{theirs.shape} there): the shards saw data of different widths (features, classes or "
                    f"bins); merge only states of the same data.")
        for name in self._sums:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    def copy(self):
        """An independent deep copy (parameters and state)."""
        return copy.deepcopy(self)

    def empty_like(self):
        """A new accumulator with the same parameters and no data."""
        return self.copy().reset()

    def __repr__(self) -> str:
        params = ", ".join(f"{p}={getattr(self, p)!r}" for p in self._params if not isinstance(getattr(self, p), np.ndarray))
        return f"{type(self).__name__}({params})"
