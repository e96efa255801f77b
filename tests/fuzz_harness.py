"""The contract every public entry point keeps under generated bad input (issue 17).

A case is a valid call (a function and its arguments) and the name of one
array argument to mutate. Each mutation class says whether the input stays
valid (a float32 copy, a strided view, a read-only view, ...) or not (NaN,
inf, wrong shape, complex, ...). For every generated input the call must
either return finite numbers or raise ValueError / TypeError; an invalid
input must be refused; a NumPy RuntimeWarning (an overflow, a 0 / 0) counts
as a failure; the inputs must be left unmodified; a valid layout change (a
non-contiguous or read-only view) must give the numbers of the contiguous
copy; and where the function takes ``backend``, the reference backend must
agree with the default one.

FASTSCORE_FUZZ_EXAMPLES sets the examples per case (default 25; e.g. 2000
for a long local run).
"""
from __future__ import annotations

import dataclasses
import math
import os
import warnings

import numpy as np

EXAMPLES = int(os.environ.get("FASTSCORE_FUZZ_EXAMPLES", "25"))

# (name, stays valid?) of each mutation class
CLASSES = (
    ("nan", False), ("inf", False), ("-inf", False), ("huge", None), ("empty", False), ("scalar", False),
    ("extra axis", False), ("shorter", False), ("complex", False), ("strings", False), ("objects", False),
    ("float16", None), ("non-contiguous", True), ("read-only", True), ("fortran", True),
    ("uint64", True), ("bool", True),
)  # float16 may legitimately fail a tolerance (rows summing to 1): a result or a refusal;
# uint64 and bool apply where the cast is exact (labels, codes, 0/1 values) and must not change the result
SAME_RESULT = ("non-contiguous", "read-only", "fortran", "uint64", "bool")


@dataclasses.dataclass
class Case:
    name: str
    call: object  # function(**kwargs)
    kwargs: dict
    target: str  # the array argument mutated
    backends: bool = False  # the function takes backend=
    huge_valid: bool = False  # 1e308 entries are valid input (a number, not a probability)
    integer: bool = False  # the target holds integers (labels, codes, ids): float16 is not a valid copy
    tolerance: float = 1e-9  # reference against the default backend (relative)
    valid: dict = dataclasses.field(default_factory=dict)  # class -> True / False / None (either), overriding
    summary: object = None  # result -> the numbers that must be finite and agree (default: all of them)


def _position(arr, where):
    flat = arr.size
    return {"first": 0, "middle": flat // 2, "last": flat - 1}[where]


def mutate(value, kind, where="middle"):
    """The mutated argument of class ``kind`` (None when the class does not apply)."""
    arr = np.asarray(value)
    if kind in ("nan", "inf", "-inf", "huge"):
        if arr.size == 0 or arr.dtype.kind not in "fiu":
            return None
        out = arr.astype(np.float64).copy()
        out.flat[_position(out, where)] = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf, "huge": 1e308}[kind]
        return out
    if kind == "empty":
        return arr[:0]
    if kind == "scalar":
        return arr.flat[0] if arr.size else None
    if kind == "extra axis":
        return arr[..., None]
    if kind == "shorter":
        return arr[:-1] if len(arr) > 1 else None
    if kind == "complex":
        return arr.astype(np.complex128) + 1j if arr.dtype.kind in "fiu" else None
    if kind == "strings":
        return arr.astype(str)
    if kind == "objects":
        return arr.astype(object)
    if kind == "float16":
        return arr.astype(np.float16) if arr.dtype.kind == "f" else None
    if kind == "non-contiguous":
        doubled = np.repeat(arr, 2, axis=0)
        return doubled[::2]
    if kind == "read-only":
        out = arr.copy()
        out.setflags(write=False)
        return out
    if kind == "fortran":
        return np.asfortranarray(arr) if arr.ndim == 2 else None
    if kind in ("uint64", "bool"):
        if arr.size == 0 or arr.dtype.kind not in "biuf" or arr.dtype == (np.uint64 if kind == "uint64" else bool):
            return None
        cast = arr.astype(np.uint64 if kind == "uint64" else bool)
        return cast if np.array_equal(cast.astype(np.float64), arr.astype(np.float64)) else None
    raise ValueError(kind)


def _finite(result) -> bool:
    if dataclasses.is_dataclass(result):
        return all(_finite(getattr(result, f.name)) for f in dataclasses.fields(result))
    if isinstance(result, dict):
        return all(_finite(v) for v in result.values())
    if isinstance(result, (list, tuple)):
        return all(_finite(v) for v in result)
    if isinstance(result, (bool, str, type(None), np.bool_)):
        return True
    if isinstance(result, (int, float, np.number)):
        return math.isfinite(float(result))
    if isinstance(result, np.ndarray):
        return result.dtype.kind not in "fc" or bool(np.isfinite(result).all())
    return True  # other objects (figures, names)


def _numbers(result):
    """The numbers of a result, flattened, for comparisons."""
    if dataclasses.is_dataclass(result):
        return [x for f in dataclasses.fields(result) for x in _numbers(getattr(result, f.name))]
    if isinstance(result, dict):
        return [x for k in sorted(result, key=str) for x in _numbers(result[k])]
    if isinstance(result, (list, tuple)):
        return [x for v in result for x in _numbers(v)]
    if isinstance(result, np.ndarray) and result.dtype.kind in "biuf":
        return result.astype(np.float64).ravel().tolist()
    if isinstance(result, (int, float, np.number)) and not isinstance(result, bool):
        return [float(result)]
    return []


def _same(a, b, tolerance) -> bool:
    x, y = np.array(_numbers(a)), np.array(_numbers(b))
    return x.shape == y.shape and bool(np.all(np.abs(x - y) <= tolerance * np.maximum(np.abs(y), 1.0)))


def outcome(case: Case, kwargs: dict):
    """('ok', result) or ('refused', exception) of one call; anything else raises AssertionError."""
    snapshot = {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            result = case.call(**kwargs)
            status = ("ok", result if case.summary is None else case.summary(result))
        except (ValueError, TypeError) as error:
            assert str(error), f"{case.name}: an error without a message"
            status = ("refused", error)
        except Exception as error:  # MemoryError, IndexError, ZeroDivisionError, RuntimeWarning, ...
            raise AssertionError(f"{case.name}: {type(error).__name__}: {error}") from error
    for k, v in snapshot.items():
        if isinstance(v, np.ndarray):
            current = kwargs[k]
            assert isinstance(current, np.ndarray) and current.shape == v.shape and (
                np.array_equal(current, v, equal_nan=v.dtype.kind in "fc")), f"{case.name}: {k} was modified"
    return status


def check(case: Case, kind: str, where: str = "middle") -> str:
    """Run one mutation of one case; returns what happened ('ok', 'refused' or 'skipped')."""
    mutated = mutate(case.kwargs[case.target], kind, where)
    if mutated is None:
        return "skipped"
    valid = dict(CLASSES)[kind]
    if kind == "huge":
        valid = True if case.huge_valid else False
        if case.huge_valid:
            valid = None  # a number: a finite result or a clear refusal (overflow) are both right
    if kind == "float16" and case.integer:
        valid = None
    valid = case.valid.get(kind, valid)
    kwargs = {**case.kwargs, case.target: mutated}
    status, value = outcome(case, kwargs)
    if status == "ok":
        assert _finite(value), f"{case.name} / {kind}: a non-finite result {value!r}"
        assert valid is not False, f"{case.name} / {kind} ({where}): invalid input gave a silent result {value!r}"
        if kind in SAME_RESULT:
            base_status, base = outcome(case, dict(case.kwargs))
            assert base_status == "ok" and _same(value, base, 1e-12), f"{case.name} / {kind}: another result"
        if case.backends:
            ref_status, reference = outcome(case, {**kwargs, "backend": "reference"})
            assert ref_status == "ok" and _same(value, reference, case.tolerance), \
                f"{case.name} / {kind}: the reference backend disagrees"
    else:
        assert valid is not True, f"{case.name} / {kind}: a valid input was refused: {value}"
    return status


def run_cases(cases, data, counts: dict) -> None:
    """One hypothesis example: a case, a class and a position drawn by ``data``."""
    from hypothesis import strategies as st

    case = data.draw(st.sampled_from(cases), label="case")
    kind = data.draw(st.sampled_from([name for name, _ in CLASSES]), label="class")
    where = data.draw(st.sampled_from(["first", "middle", "last"]), label="position")
    status = check(case, kind, where)
    counts[(case.name, kind, status)] = counts.get((case.name, kind, status), 0) + 1


def check_every_class(cases) -> dict:
    """Every case under every class at every position (deterministic, the floor of the suite)."""
    counts = {}
    for case in cases:
        status, _ = outcome(case, dict(case.kwargs))
        assert status == "ok", f"{case.name}: the valid call itself was refused"
        for kind, _ in CLASSES:
            for where in ("first", "middle", "last"):
                status = check(case, kind, where)
                counts[status] = counts.get(status, 0) + 1
    return counts


def make_tests(cases, *, refused: int, ok: int):
    """The two tests of a family's fuzz module: every case under every class at every position
    (at least ``refused`` refusals and ``ok`` results), and EXAMPLES x 4 generated examples."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    counts = {}

    def test_every_class_at_every_position():
        seen = check_every_class(cases)
        assert seen.get("refused", 0) >= refused and seen.get("ok", 0) >= ok, seen

    @settings(max_examples=EXAMPLES * 4, deadline=None)
    @given(st.data())
    def test_generated_inputs(data):
        run_cases(cases, data, counts)

    return test_every_class_at_every_position, test_generated_inputs
