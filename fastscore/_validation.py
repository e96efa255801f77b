"""Input checks shared by every family.

Each check raises ``TypeError`` (wrong kind of input) or ``ValueError`` (wrong
values) with a message that names the argument, says what is wrong and how to
fix it. Compiled kernels only ever see arrays that passed through here (or
kernels that re-check the values they index with, see calibration).
"""
from __future__ import annotations

import numbers
from typing import Iterable

import numpy as np

# dtypes the compiled label kernels are specialised for (each one more costs
# compile time); bool and uint8 are viewed as int8, other integers become int64.
_LABEL_DTYPES = (np.dtype(np.int8), np.dtype(np.int64))


def _describe(x) -> str:
    return type(x).__name__ if not isinstance(x, np.ndarray) else f"array of dtype {x.dtype}"


def as_float_array(x, name: str, *, ndim: int | tuple[int, ...]) -> np.ndarray:
    """Return ``x`` as a C-contiguous float32 or float64 array.

    float32 and float64 input is kept as it is (no copy when already
    contiguous); integers and booleans become float64.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} could not be read as an array ({exc}); pass a NumPy array or a list of numbers.") from None
    if arr.dtype.kind not in "fiub":
        raise TypeError(
            f"{name} has dtype {arr.dtype} ({_describe(x)}); it must hold real numbers: "
            f"convert it with np.asarray({name}, dtype=float)."
        )
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in allowed:
        shapes = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{name} must be {shapes}, got an array of shape {arr.shape}.")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    return np.ascontiguousarray(arr)


def as_label_array(y, name: str) -> np.ndarray:
    """Return integer class labels as a contiguous int8 or int64 array."""
    try:
        arr = np.asarray(y)
    except Exception as exc:
        raise TypeError(f"{name} could not be read as an array ({exc}); pass a 1-D array of integer labels.") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per sample), got shape {arr.shape}.")
    if arr.dtype.kind in "USO":
        raise TypeError(
            f"{name} holds {arr.dtype} values; labels must be integers 0..k-1. Encode them first, "
            f"e.g. classes, {name} = np.unique({name}, return_inverse=True)."
        )
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValueError(f"{name} contains NaN or inf at index {int(np.argmax(bad))}; labels must be integers.")
        if not np.all(arr == np.round(arr)):
            i = int(np.argmax(arr != np.round(arr)))
            raise ValueError(f"{name} holds the non-integer value {arr[i].item()!r} at index {i}; labels must be integers 0..k-1.")
        if arr.size and np.abs(arr).max() >= 2.0 ** 62:
            i = int(np.argmax(np.abs(arr) >= 2.0 ** 62))
            raise ValueError(f"{name} holds {arr[i].item()!r} at index {i}, which is no class index; labels must be "
                             f"integers 0..k-1.")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "b":
        arr = arr.view(np.int8)
    elif arr.dtype == np.uint8:
        # values above 127 would wrap when viewed as int8: widen only then
        arr = arr.view(np.int8) if arr.size == 0 or arr.max() < 128 else arr.astype(np.int64)
    elif arr.dtype not in _LABEL_DTYPES:
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{name} has dtype {arr.dtype}; labels must be integers 0..k-1.")
        arr = arr.astype(np.int64)
    return np.ascontiguousarray(arr)


def check_consistent_length(**arrays) -> int:
    """All arrays have the same first dimension; return it."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise ValueError(f"inputs have different numbers of samples: {listing}; pass one entry per sample in each.")
    return next(iter(lengths.values()))


def check_not_empty(arr: np.ndarray, name: str) -> None:
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty; a metric needs at least one sample.")


def _first_true(mask: np.ndarray):
    """The first True position: an int, or a tuple of ints for 2-D and more (plain ints, so that
    messages read ``(1, 0)``, not ``(np.int64(1), np.int64(0))``)."""
    flat = int(np.argmax(mask.ravel()))
    return tuple(int(i) for i in np.unravel_index(flat, mask.shape)) if mask.ndim > 1 else flat


def check_finite(arr: np.ndarray, name: str) -> None:
    """No NaN or inf anywhere in ``arr``."""
    bad = ~np.isfinite(arr)
    if bad.any():
        where = _first_true(bad)
        kind = "NaN" if np.isnan(arr[where]) else "inf"
        raise ValueError(
            f"{name} contains {kind} at index {where}; remove or impute those samples before scoring."
        )


def check_probabilities(arr: np.ndarray, name: str, *, sum_tol: float | None = None) -> None:
    """Finite values in [0, 1]; with ``sum_tol``, rows of a 2-D array sum to 1."""
    # the usual case in two passes without temporaries (NaN fails both comparisons); otherwise find
    # and name the first bad entry
    if not (arr.size > 0 and arr.min() >= 0 and arr.max() <= 1):
        check_finite(arr, name)
        bad = (arr < 0) | (arr > 1)
        if bad.any():
            where = _first_true(bad)
            raise ValueError(
                f"{name} holds {arr[where].item()!r} at index {where}, outside [0, 1]; pass probabilities "
                f"(apply a sigmoid or softmax to logits first)."
            )
    if sum_tol is not None and arr.ndim == 2:
        row_sums = arr.sum(axis=1, dtype=np.float64)
        off = np.abs(row_sums - 1.0) > sum_tol
        if off.any():
            i = int(np.argmax(off))
            raise ValueError(
                f"row {i} of {name} sums to {row_sums[i].item()!r}, not 1 (tolerance sum_tol={sum_tol}); "
                f"normalise the rows (softmax) or raise sum_tol."
            )


def check_labels_in_range(y: np.ndarray, name: str, n_classes: int, *, binary: bool = False) -> None:
    """Every label is an integer in ``[0, n_classes)``."""
    if y.size and y.min() >= 0 and y.max() < n_classes:
        return
    bad = (y < 0) | (y >= n_classes)
    if bad.any():
        i = int(np.argmax(bad))
        if binary:
            raise ValueError(
                f"{name} holds {y[i].item()!r} at index {i}; binary labels must be 0 or 1 "
                f"(map your positive class to 1, e.g. {name} = ({name} == positive_label))."
            )
        raise ValueError(
            f"{name} holds {y[i].item()!r} at index {i}, but y_prob has {n_classes} columns so labels must be in "
            f"[0, {n_classes - 1}]; encode classes as column indices of y_prob."
        )


def check_sample_weight(sample_weight, n: int, name: str = "sample_weight") -> np.ndarray | None:
    """Finite, non-negative float64 weights, one per sample (``None`` passes through)."""
    if sample_weight is None:
        return None
    w = as_float_array(sample_weight, name, ndim=1)
    if w.shape[0] != n:
        raise ValueError(f"{name} has {w.shape[0]} entries but there are {n} samples; pass one weight per sample.")
    check_finite(w, name)
    if (w < 0).any():
        i = int(np.argmax(w < 0))
        raise ValueError(f"{name} holds the negative weight {w[i].item()!r} at index {i}; weights must be >= 0.")
    w = np.ascontiguousarray(w, dtype=np.float64)
    if n:  # all-zero weights are refused where a metric is computed (a shard may hold only zeros)
        with np.errstate(over="ignore"):  # an overflowing sum is the problem reported below
            total = float(w.sum())
        if not np.isfinite(total) or total > 1e300:
            raise ValueError(f"{name} sums to {total!r}: the weighted sums would overflow; rescale the weights "
                             f"(the metrics depend only on their ratios), e.g. {name} / {name}.max().")
    return w


def check_positive_int(value, name: str, *, minimum: int = 1, maximum: int | None = None, why: str = "") -> int:
    """An integer in [minimum, maximum]; ``why`` says what the maximum protects (memory, time)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum:,}, got {int(value):,}{f' ({why})' if why else ''}.")
    return int(value)


def check_real(value, name: str, *, low=None, high=None, low_open: bool = False, high_open: bool = False,
               hint: str = "") -> float:
    """A finite real number in the stated range (NaN, inf, bools, strings and complex refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__}).")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.{f' {hint}' if hint else ''}")
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and (value >= high if high_open else value > high)
    if below or above:
        left = "(" if low_open or low is None else "["
        right = ")" if high_open or high is None else "]"
        interval = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}.{f' {hint}' if hint else ''}")
    return value


def as_real_array(x, name: str, dtype=np.float64) -> np.ndarray:
    """``x`` as an array of ``dtype``, refusing what a cast would turn silently into numbers:
    complex values (the imaginary part dropped), strings ("1.5" parsed) and Python objects."""
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} could not be read as an array ({exc}); pass a NumPy array of numbers.") from None
    refuse_complex(arr, name)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} has dtype {arr.dtype} ({_describe(x)}); it must hold real numbers: convert it with "
                        f"np.asarray({name}, dtype=float).")
    return arr.astype(dtype, copy=False)


def refuse_complex(arr: np.ndarray, name: str) -> None:
    """Complex values would lose their imaginary part in a cast to float: refuse them."""
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} holds complex numbers ({arr.dtype}); pass real numbers (e.g. np.real({name}) if "
                        f"the imaginary parts are 0).")


def check_option(value, name: str, options: Iterable[str]) -> str:
    options = tuple(options)
    if value not in options:
        raise ValueError(f"{name}={value!r} is not supported; use one of {', '.join(repr(o) for o in options)}.")
    return value
