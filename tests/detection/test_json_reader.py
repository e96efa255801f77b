"""The compiled COCO JSON reader: the fast reader of the usual shape and the generic walk.

Both are checked against Python's json module on randomly written files
(key order, spacing, extra nested fields, escapes, every number form), and
against each other on corrupted files: the fast reader either gives the
generic walk's columns or gives up, so the two paths never disagree.
"""
import json

import numpy as np
import pytest

from fastscore.detection import _json
from fastscore.detection._json_records import padded_words, scan_records

NUMBERS = [0, 7, -3, 0.5, 481.99, 1e-7, 2.5e3, -0.0, 1.7976931348623157e308, 5e-324, 0.1, 123456789.123,
           0.12345678901234567, 9007199254740993, 123456789012345678901234567890, 1.5e22, 1e23, 3.0]


def _number_text(rng):
    value = NUMBERS[rng.integers(len(NUMBERS))] if rng.random() < 0.5 else round(float(rng.uniform(-1e4, 1e4)), 2)
    text = json.dumps(value)
    style = rng.integers(4)
    if style == 1 and "e" not in text and "." in text:
        text += "000"  # trailing zeros
    elif style == 2 and isinstance(value, float) and value and np.isfinite(value) and "e" not in text:
        text = f"{value:.6e}".replace("e+0", "E+").replace("e-0", "e-")  # exponent forms
    return text


def _extra_value(rng, depth=0):
    kind = rng.integers(7 if depth < 3 else 4)
    if kind == 0:
        return '"a \\"quoted\\" {string} [with], \\\\ and \\u00e9 é"'
    if kind == 1:
        return ["true", "false", "null"][rng.integers(3)]
    if kind in (2, 3):
        return _number_text(rng)
    if kind == 4:
        return "[" + ", ".join(_extra_value(rng, depth + 1) for _ in range(rng.integers(0, 4))) + "]"
    if kind == 5:
        return "[[" + ", ".join(_number_text(rng) for _ in range(rng.integers(1, 9))) + "]]"
    return "{" + ", ".join(f'"k{j}": {_extra_value(rng, depth + 1)}' for j in range(rng.integers(0, 3))) + "}"


def _record(rng, fields, name=None):
    """One record as JSON text, its fields in random order, some left out, extra fields mixed in."""
    items = []
    for key in fields:
        if rng.random() < 0.05:
            continue  # absent: NaN in the columns
        if key == "bbox":
            value = "[" + ", ".join(_number_text(rng) for _ in range(4 if rng.random() < 0.9 else rng.integers(0, 7))) + "]"
        elif key == "iscrowd" and rng.random() < 0.3:
            value = ["true", "false", "null"][rng.integers(3)]
        else:
            value = _number_text(rng)
        items.append(f'"{key}": {value}')
    if name is not None:
        items.append(f'"name": {json.dumps(name)}')
    for j in range(rng.integers(0, 3)):
        items.append(f'"extra_{j}": {_extra_value(rng)}')
    rng.shuffle(items)
    space = [" ", "", "\n  ", "\t"][rng.integers(4)]
    return "{" + space + ("," + space).join(items) + space + "}"


def results_text(rng, n):
    return "[" + ",\n ".join(_record(rng, ["image_id", "category_id", "bbox", "score"]) for _ in range(n)) + "]\n"


def annotation_text(rng, n_images, n_annotations):
    images = ", ".join(_record(rng, ["id", "width", "height"]) for _ in range(n_images))
    annotations = ", ".join(_record(rng, ["id", "image_id", "category_id", "bbox", "area", "iscrowd"])
                            for _ in range(n_annotations))
    categories = ", ".join(_record(rng, ["id"], name=f"class \"{k}\" é") for k in range(3))
    return (f'{{"info": {{"year": 2014, "note": "a ]}} in a string"}}, "images": [{images}],\n'
            f' "licenses": [{{"id": 1}}], "annotations": [{annotations}], "categories": [{categories}]}}')


def expected_parts(text, results):
    """(sections, values, names) the reader must give, from Python's json module."""
    document = json.loads(text)
    slots = {"id": 0, "image_id": 1, "category_id": 2, "area": 7, "iscrowd": 8, "score": 9}
    sections = [s.decode() for s in _json.SECTIONS]
    groups = [(-1, document)] if results else [(sections.index(key), value) for key, value in document.items()
                                               if key in sections and isinstance(value, list)]
    sections, rows, names = [], [], []
    for section, records in groups:
        for record in records:
            if not isinstance(record, dict):
                continue
            row = np.full(_json.N_VALUES, np.nan)
            for key, value in record.items():
                if key in slots and isinstance(value, (int, float)) and not isinstance(value, bool):
                    row[slots[key]] = float(value)
                elif key == "iscrowd" and (isinstance(value, bool) or value is None):
                    row[8] = 1.0 if value is True else 0.0
                elif key == "bbox" and isinstance(value, list):
                    for k, x in enumerate(value[:4]):
                        row[3 + k] = float(x)
            sections.append(section)
            rows.append(row)
            names.append(record.get("name") if isinstance(record.get("name"), str) else None)
    return np.array(sections), np.array(rows).reshape(-1, _json.N_VALUES), names


def scanned(text, results, fast):
    buf, words = padded_words(text.encode())
    parts = _json.scan_bytes(buf, words, results=results, fast=fast)
    section = np.concatenate([p[0] for p in parts])
    values = np.concatenate([p[1] for p in parts])
    spans = np.concatenate([p[2] for p in parts])
    names = [json.loads(bytes(buf[a:b])) if a >= 0 else None for a, b in spans]
    return section, values, names


def fast_reader_finishes(text, results):
    buf, words = padded_words(text.encode())
    out = scan_records(buf, words, 0, len(buf), False, 1 if results else 2, _json.FIELD_SLOT, _json._POW10, 16)
    return not out[4]


def same_values(a, b):
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b)))) and \
        bool(np.all(np.signbit(a) == np.signbit(b)))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("results", [True, False])
def test_both_readers_equal_the_json_module(seed, results):
    rng = np.random.default_rng(seed)
    text = results_text(rng, 300) if results else annotation_text(rng, 40, 300)
    want_sections, want_values, want_names = expected_parts(text, results)
    assert fast_reader_finishes(text, results)  # the usual shape takes the fast path
    for fast in (True, False):
        section, values, names = scanned(text, results, fast)
        if results:
            assert section.size == want_values.shape[0]
        else:
            assert section.tolist() == want_sections.tolist()
        assert same_values(values, want_values)
        assert names == want_names


def test_chunked_results_file_equals_one_pass(tmp_path):
    # over 1 MB, read in one chunk per thread; strings holding ", {" make some guessed record
    # starts wrong, which must fall back to one pass with the same columns
    rng = np.random.default_rng(7)
    for note in ("plain", 'tricky, {\\"image_id\\": 5, \\"score\\": 1}, {'):
        records = [f'{{"image_id": {i // 100}, "note": "{note}", "category_id": {i % 80}, '
                   f'"bbox": [{_number_text(rng)}, 1.5, 2.25, 3], "score": {rng.random():.3f}}}' for i in range(12000)]
        text = "[" + ", ".join(records) + "]"
        path = tmp_path / "dt.json"
        path.write_text(text)
        parts, _ = _json.scan_file(path, results=True)
        values = np.concatenate([p[1] for p in parts])
        assert same_values(values, expected_parts(text, True)[1])
        columns = _json.results_columns(path)
        assert columns["image_id"].tolist() == [i // 100 for i in range(12000)]
        assert columns["bbox"].flags.c_contiguous and columns["bbox"][:, 3].tolist() == [3.0] * 12000


def _outcome(text, results, fast):
    try:
        return scanned(text, results, fast)
    except ValueError as error:
        return str(error)


@pytest.mark.parametrize("results", [True, False])
def test_corrupted_files_read_the_same_on_both_paths(results):
    """Truncated, deleted, inserted and replaced bytes: the fast reader gives up where unsure, so
    the outcome (columns or the error message) is the generic walk's every time."""
    rng = np.random.default_rng(11)
    text = results_text(rng, 12) if results else annotation_text(rng, 3, 8)
    specials = list('{}[]",:-+.eE0 \\tfnNx') + ["true", "1e999", "é"]
    checked_fast = 0
    for trial in range(400):
        i = int(rng.integers(len(text)))
        kind = trial % 4
        if kind == 0:
            bad = text[:i]
        elif kind == 1:
            bad = text[:i] + text[i + 1:]
        elif kind == 2:
            bad = text[:i] + specials[rng.integers(len(specials))] + text[i:]
        else:
            bad = text[:i] + specials[rng.integers(len(specials))] + text[i + 1:]
        fast, generic = _outcome(bad, results, True), _outcome(bad, results, False)
        if isinstance(generic, str):
            assert fast == generic
        else:
            assert not isinstance(fast, str)
            assert fast[0].tolist() == generic[0].tolist() and same_values(fast[1], generic[1])
            assert fast[2] == generic[2]
        checked_fast += fast_reader_finishes(bad, results)
    assert checked_fast > 50  # many corrupted files still take the fast path (and agree)


def test_shapes_the_fast_reader_leaves_to_the_generic_walk():
    cases = [
        ('[{"image_id": 1, "bbox": [[1, 2], 3, 4, 5], "score": 1}]', True),  # nested inside bbox
        ('{"images": {"a": {"id": 1}}, "annotations": []}', False),  # a section that is not an array
        ('[{"image_id": 1, "score": 1}] [ ]', True),  # a second top-level value
        ('[{"image_id": 1 "score": 1}]', True),  # the generic walk reads ',' as optional
        ('{"annotations": [' + "[" * 70 + "]" * 70 + "]}", False),  # deeper than the generic limit
    ]
    for text, results in cases:
        assert not fast_reader_finishes(text, results)
        assert str(_outcome(text, results, True)) == str(_outcome(text, results, False))
    # more numbers that need Python's float() than the fast reader has room to note: still exact
    text = "[" + ", ".join(f'{{"bbox": [1e-3{k % 9}, 2e-30, 3e-30, 4e-30]}}' for k in range(40)) + "]"
    assert not fast_reader_finishes(text, True)
    values = scanned(text, True, True)[1]
    assert values[:, 3].tolist() == [float(f"1e-3{k % 9}") for k in range(40)] and values[0, 6] == 4e-30


def test_real_coco_files_take_the_fast_path():
    from fastscore.datasets import coco_sample_paths

    for path, results in zip(coco_sample_paths(), (False, True)):
        text = open(path, encoding="utf-8").read()
        assert fast_reader_finishes(text, results), path
        fast, generic = scanned(text, results, True), scanned(text, results, False)
        assert fast[0].tolist() == generic[0].tolist() and same_values(fast[1], generic[1]) and fast[2] == generic[2]
