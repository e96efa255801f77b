"""The compiled COCO JSON reader (fastscore._cy.coco_json) against Python's json module.

Random files of the COCO shapes (key order, spacing, extra nested fields,
escapes, every number form) must give the columns that ``json.loads`` gives;
corrupted files must be refused exactly when ``json.loads`` refuses them (or
when they are JSON of another shape); numbers must be correctly rounded.
"""
import json
import math
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from fastscore._cy import coco_json
from fastscore.detection import _json

ROOT = Path(__file__).resolve().parents[2]

NUMBERS = [0, 7, -3, 0.5, 481.99, 1e-7, 2.5e3, -0.0, 1.7976931348623157e308, 5e-324, 0.1, 123456789.123,
           0.12345678901234567, 9007199254740993, 123456789012345678901234567890, 1.5e22, 1e23, 3.0,
           32.07111139854394, 0.30000000000000004, 2.2250738585072014e-308, 4503599627370496.5]


def _number_text(rng):
    u = rng.random()
    if u < 0.4:
        value = NUMBERS[rng.integers(len(NUMBERS))]
    elif u < 0.7:
        value = float(rng.uniform(-1e4, 1e4))  # full precision, as detectors write boxes
    else:
        value = round(float(rng.uniform(-1e4, 1e4)), 2)
    text = json.dumps(value)
    style = rng.integers(4)
    if style == 1 and "e" not in text and "." in text:
        text += "000"  # trailing zeros
    elif style == 2 and isinstance(value, float) and value and math.isfinite(value) and "e" not in text:
        text = f"{value:.6e}".replace("e+0", "E+").replace("e-0", "e-")  # exponent forms
    return text


def _extra_value(rng, depth=0):
    kind = rng.integers(7 if depth < 3 else 4)
    if kind == 0:
        return '"a \\"quoted\\" {string} [with], \\\\ \\/ \\b\\f\\n\\r\\t and \\u00e9 é \U0001f600"'
    if kind == 1:
        return ["true", "false", "null"][rng.integers(3)]
    if kind in (2, 3):
        return _number_text(rng)
    if kind == 4:
        return "[" + ", ".join(_extra_value(rng, depth + 1) for _ in range(rng.integers(0, 4))) + "]"
    if kind == 5:
        return "[[" + ", ".join(_number_text(rng) for _ in range(rng.integers(1, 9))) + "]]"
    return "{" + ", ".join(f'"k{j}": {_extra_value(rng, depth + 1)}' for j in range(rng.integers(0, 3))) + "}"


def _id_text(rng):
    u = rng.random()
    if u < 0.8:
        return str(int(rng.integers(0, 10 ** 6)))
    return ["9007199254740993", "-5", "3.0", "1e3", "0", "-0", "9223372036854775807", "-9223372036854775808"][
        rng.integers(8)]


def _record(rng, fields, name=None):
    """One record as JSON text, its fields in random order, some left out, extra fields mixed in."""
    items = []
    for key in fields:
        if rng.random() < 0.05:
            continue  # absent
        if key == "bbox":
            count = 4 if rng.random() < 0.9 else int(rng.integers(0, 7))
            value = "[" + ", ".join(_number_text(rng) for _ in range(count)) + "]"
        elif key == "iscrowd" and rng.random() < 0.3:
            value = ["true", "false", "null"][rng.integers(3)]
        elif key in ("id", "image_id", "category_id"):
            value = _id_text(rng)
        else:
            value = _number_text(rng)
        items.append(f'"{key}": {value}')
    if name is not None:
        items.append(f'"name": {json.dumps(name)}')
    for j in range(rng.integers(0, 3)):
        items.append(f'"extra_{j}": {_extra_value(rng)}')
    rng.shuffle(items)
    space = [" ", "", "\n  ", "\t", "\r\n"][rng.integers(5)]
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


# ----------------------------------------------------------------------------- the oracle

class NotCocoShape(Exception):
    """Valid JSON that is not a COCO results array / annotation object."""


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _expected_id(record, key):
    """(state, value) of an id as the reader must give it, from the json module's value."""
    if key not in record:
        return coco_json.ID_ABSENT, 0
    value = record[key]
    if not _is_number(value):
        return coco_json.ID_OTHER_TYPE, 0
    if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
        return coco_json.ID_FRACTION, 0
    if not -2 ** 63 <= int(value) < 2 ** 63:
        return coco_json.ID_TOO_LARGE, 0
    return coco_json.ID_INTEGER, int(value)


def _expected_record(record):
    row = {"ids": [], "states": [], "values": [], "name": None}
    for key in ("id", "image_id", "category_id"):
        state, value = _expected_id(record, key)
        row["ids"].append(value if state == coco_json.ID_INTEGER else None)
        row["states"].append(state)
    box = record.get("bbox")
    if "bbox" not in record:
        row["box"] = (coco_json.ABSENT, None)
    elif isinstance(box, list) and len(box) == 4 and all(_is_number(x) for x in box):
        row["box"] = (coco_json.NUMBER, [float(x) for x in box])
    else:
        row["box"] = (coco_json.OTHER_TYPE, None)
    for key in ("area", "iscrowd", "score"):
        value = record.get(key, "absent")
        if isinstance(value, str) and value == "absent" and key not in record:
            row["values"].append((coco_json.ABSENT, None))
        elif _is_number(value):
            row["values"].append((coco_json.NUMBER, float(value)))
        elif key == "iscrowd" and (isinstance(value, bool) or value is None):
            row["values"].append((coco_json.NUMBER, 1.0 if value is True else 0.0))
        else:
            row["values"].append((coco_json.OTHER_TYPE, None))
    if isinstance(record.get("name"), str):
        row["name"] = record["name"]
    return row


def expected_sections(text, results):
    """{section: [expected rows]} from json.loads, or NotCocoShape / the json error."""
    document = json.loads(text)
    if results:
        if not isinstance(document, list):
            raise NotCocoShape
        groups = {-1: document}
    else:
        if not isinstance(document, dict):
            raise NotCocoShape
        groups = {}
        for index, key in enumerate(coco_json.SECTIONS):
            if key in document:
                if not isinstance(document[key], list):
                    raise NotCocoShape
                groups[index] = document[key]
    out = {}
    for section, records in groups.items():
        if not all(isinstance(r, dict) for r in records):
            raise NotCocoShape
        out[section] = [_expected_record(r) for r in records]
    return out


def same_float(a, b):
    return (a == b and math.copysign(1, a) == math.copysign(1, b)) or (a != a and b != b)


def read_sections(text, results):
    """{section: [rows]} of the reader, in the oracle's form (or the reader's ValueError). A
    results file keeps the values and ids of detections only (not area, iscrowd, id, name)."""
    buf, n = _json.padded(text.encode())
    records = _json.read_records(buf, n, results=results)
    out = {}
    for r in range(len(records["score"])):
        section = -1 if results else int(records["section"][r])
        if not results and section < 0:
            continue
        states = records["id_state"][r].tolist()
        ids = [int(records[key][r]) if state == coco_json.ID_INTEGER and key in records else None
               for key, state in zip(("id", "image_id", "category_id"), states)]
        box_state = int(records["value_state"][r, 0])
        row = {"ids": ids, "states": states,
               "box": (box_state, records["bbox"][r].tolist() if box_state == coco_json.NUMBER else None),
               "values": [(int(records["value_state"][r, k]),
                           float(records[key][r]) if records["value_state"][r, k] == coco_json.NUMBER and key in records
                           else None)
                          for k, key in ((1, "area"), (2, "iscrowd"), (3, "score"))],
               "name": None}
        if not results:
            start, end = records["names"][r].tolist()
            if start >= 0:
                row["name"] = json.loads(bytes(buf[start:end]).decode())
        out.setdefault(section, []).append(row)
    return out


def assert_same_rows(got, want, results):
    assert sorted(got) == sorted(k for k, rows in want.items() if rows) or sorted(got) == sorted(want)
    for section, rows in want.items():
        mine = got.get(section, [])
        assert len(mine) == len(rows), section
        for a, b in zip(mine, rows):
            kept = [1, 2] if results else [0, 1, 2]  # a results file keeps image_id and category_id
            assert [a["ids"][k] for k in kept] == [b["ids"][k] for k in kept] and a["states"] == b["states"]
            assert results or a["name"] == b["name"]
            assert a["box"][0] == b["box"][0]
            if b["box"][1] is not None:
                assert all(same_float(x, y) for x, y in zip(a["box"][1], b["box"][1])), (a["box"], b["box"])
            for k, ((sa, va), (sb, vb)) in enumerate(zip(a["values"], b["values"])):
                assert sa == sb, (a["values"], b["values"])
                if vb is not None and (k == 2 or not results):
                    assert same_float(va, vb), (a["values"], b["values"])


def outcome(text, results):
    """'json error', 'not coco', or the rows; for the reader: 'error' or its rows."""
    try:
        want = expected_sections(text, results)
    except NotCocoShape:
        want = "not coco"
    except (ValueError, RecursionError):
        want = "json error"
    try:
        got = read_sections(text, results)
    except ValueError as error:
        got = str(error)
    return want, got


# ----------------------------------------------------------------------------- tests

@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("results", [True, False])
def test_reader_equals_the_json_module(seed, results):
    rng = np.random.default_rng(seed)
    text = results_text(rng, 300) if results else annotation_text(rng, 40, 300)
    assert_same_rows(read_sections(text, results), expected_sections(text, results), results)


@pytest.mark.parametrize("results", [True, False])
def test_corrupted_files_are_refused_exactly_when_json_refuses_them(results):
    """Truncated, deleted, inserted and replaced bytes (and doubled files): the reader refuses
    what json.loads refuses or what is not of the COCO shape, and reads the rest as json does."""
    rng = np.random.default_rng(11)
    text = results_text(rng, 12) if results else annotation_text(rng, 3, 8)
    specials = list('{}[]",:-+.eE0 \\\tfnNIx\x01') + ["true", "1e999", "é", "\\u12", "NaN", "-Infinity", "01",
                                                      "1.", ".5", "\xff", "\ufeff"]
    counts = {"valid": 0, "refused": 0}
    for trial in range(500):
        i = int(rng.integers(len(text)))
        kind = trial % 5
        if kind == 0:
            bad = text[:i]
        elif kind == 1:
            bad = text[:i] + text[i + 1:]
        elif kind == 2:
            bad = text[:i] + specials[rng.integers(len(specials))] + text[i:]
        elif kind == 3:
            bad = text[:i] + specials[rng.integers(len(specials))] + text[i + 1:]
        else:
            bad = text + text[:i]  # a file written twice, or twice in part
        want, got = outcome(bad, results)
        if isinstance(want, str):
            assert isinstance(got, str), (bad, want)
            counts["refused"] += 1
        else:
            assert not isinstance(got, str), (bad, got)
            assert_same_rows(got, want, results)
            counts["valid"] += 1
    assert counts["valid"] > 50 and counts["refused"] > 100


@pytest.mark.parametrize("text, results", [
    ('[{"image_id": 1, "score": 1}] [ ]', True),  # two top-level values
    ('[{"image_id": 1 "score": 1}]', True),  # a missing comma
    ('{"images": [{"id": 1}] "annotations": []}', False),
    ("", True), ("   \n", False),  # empty files
    ('[{"image_id": 1,}]', True), ('[{"image_id": 1},]', True),  # trailing commas
    ('[{"image_id": 01}]', True), ('[{"score": 1.}]', True), ('[{"score": .5}]', True), ('[{"score": +1}]', True),
    ('[{"score": -}]', True), ('[{"score": 1e}]', True), ('[{"score": nan}]', True), ('[{"score": -NaN}]', True),
    ('[{"note": "a\x01b"}]', True), ('[{"note": "\\x"}]', True), ('[{"note": "\\u12g4"}]', True),
    ('[{"note": "abc}]', True), ("[{'image_id': 1}]", True), ('[{"a": tru}]', True),
    ('\ufeff[{"image_id": 1}]', True),
    ('{"images": {"a": {"id": 1}}, "annotations": []}', False),  # a section that is not an array
    ('[1, 2]', True), ('{"annotations": [1]}', False), ('{"a": 1}', True), ('[]', False),
    ('[' + '[' * 1000 + ']' * 1000 + ']', True),
])
def test_refused(text, results):
    # json.loads decides which message applies: broken JSON, or JSON not laid out as COCO
    # (json.loads gives up on deep nesting with a RecursionError; that text is valid JSON)
    try:
        json.loads(text)
        message = "not laid out as a COCO file at line"
    except RecursionError:
        message = "not laid out as a COCO file at line"
    except ValueError:
        message = "not valid JSON at line"
    with pytest.raises(ValueError, match=message):
        read_sections(text, results)


def test_refused_bytes():
    for data in (b'[{"note": "\xff"}]', b'[{"note": "\xc0\x80"}]', b'[{"note": "\xed\xa0\x80"}]',
                 b'[{"note": "\xf4\x90\x80\x80"}]', b'[{"note": "\xe2\x82"}]'):
        with pytest.raises(ValueError, match="UTF-8"):
            buf, n = _json.padded(data)
            _json.read_records(buf, n, results=True)
        with pytest.raises(ValueError):
            json.loads(data.decode("utf-8"))


@pytest.mark.parametrize("text, results", [
    ('[{"image_id": 1, "score": NaN, "bbox": [Infinity, -Infinity, 1, 2]}]', True),  # json.loads accepts these
    ('[{"note": "\\ud800 lone surrogate", "image_id": 2}]', True),
    ('{"annotations": [' + '{"x": ' + '[' * 500 + ']' * 500 + '}' + ']}', False),
    ('[{"bb\\u006fx": [1, 2, 3, 4], "image_id": 1}]', True),  # an escaped key naming a field
    ('[{"image_id": 1, "score": 0.5, "score": 0.75, "bbox": [1, 2, 3, 4], "bbox": [5, 6]}]', True),  # last wins
    ('{"images": [{"id": 1}], "annotations": [], "images": [{"id": 2}, {"id": 3}]}', False),
    ('  [ ]  ', True), ('{}', False), ('{"images": []}', False),
    ('[{"image_id": -0, "score": -0, "bbox": [-0.0, 0, 1E+2, 1e-2]}]', True),
])
def test_accepted_as_json_loads_reads_it(text, results):
    assert_same_rows(read_sections(text, results), expected_sections(text, results), results)


def test_error_messages_give_line_column_and_byte():
    buf, n = _json.padded(b'[{"image_id": 1},\n {"image_id": 2 "score": 1}]')
    with pytest.raises(ValueError, match=r"line 2, column 17 \(byte 34\): expected ',' or '}'"):
        _json.read_records(buf, n, results=True, where="dt.json")


def test_ids_are_read_exactly():
    text = ('[{"image_id": 9007199254740993}, {"image_id": 9007199254740992}, {"image_id": 9223372036854775807},'
            ' {"image_id": -9223372036854775808}, {"image_id": 3.0}, {"image_id": 1e3}, {"image_id": 9223372036854775808},'
            ' {"image_id": 1.7}, {"image_id": 1e30}, {"image_id": "5"}, {"image_id": 1e-400}, {"image_id": 2.0e18}]')
    buf, n = _json.padded(text.encode())
    records = _json.read_records(buf, n, results=True)
    state = records["id_state"][:, 1].tolist()
    assert records["image_id"][:6].tolist() == [9007199254740993, 9007199254740992, 2 ** 63 - 1, -2 ** 63, 3, 1000]
    assert state == [1] * 6 + [coco_json.ID_TOO_LARGE, coco_json.ID_FRACTION, coco_json.ID_TOO_LARGE,
                               coco_json.ID_OTHER_TYPE, 1, 1]
    assert records["image_id"][10:].tolist() == [0, 2 * 10 ** 18]


def test_bad_ids_are_named(tmp_path):
    for value, problem in (("1.7", "is not an integer"), ("9223372036854775808", "is an integer beyond the int64 range"),
                           ('"3"', "is not a number")):
        path = tmp_path / "dt.json"
        path.write_text(f'[{{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}}, '
                        f'{{"image_id": {value}, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}}]')
        with pytest.raises(ValueError, match=rf"results\[1\] 'image_id' {problem}"):
            _json.results_columns(path)
    path.write_text('[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1], "score": 0.5}]')
    with pytest.raises(ValueError, match=r"results\[0\] has no 'bbox' of 4 numbers"):
        _json.results_columns(path)
    path.write_text('[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": "0.5"}]')
    with pytest.raises(ValueError, match=r"results\[0\] 'score' is not a number"):
        _json.results_columns(path)


def test_chunked_results_file_equals_one_pass(tmp_path, monkeypatch):
    # large results files are read in one chunk per thread; strings holding ", {" make some
    # guessed record starts wrong, which must fall back to one pass with the same columns
    rng = np.random.default_rng(7)
    monkeypatch.setattr(_json, "_CHUNKED_FROM", 1000)
    monkeypatch.setenv("FASTSCORE_NUM_THREADS", "4")
    for note in ("plain", 'tricky, {\\"image_id\\": 5, \\"score\\": 1}, {'):
        records = [f'{{"image_id": {i // 100}, "note": "{note}", "category_id": {i % 80}, '
                   f'"bbox": [{_number_text(rng)}, 1.5, 2.25, 3], "score": {rng.random()!r}}}' for i in range(3000)]
        text = "[" + ", ".join(records) + "]"
        assert_same_rows(read_sections(text, True), expected_sections(text, True), True)
        path = tmp_path / "dt.json"
        path.write_text(text)
        columns = _json.results_columns(path)
        assert columns["image_id"].tolist() == [i // 100 for i in range(3000)]
        assert columns["bbox"].flags.c_contiguous and columns["bbox"][:, 3].tolist() == [3.0] * 3000
    # a truncated or doubled large file is refused, chunks or not
    for bad in (text[:-1], text + text[:5000]):
        path.write_text(bad)
        with pytest.raises(ValueError, match="not valid JSON"):
            _json.results_columns(path)


# ----------------------------------------------------------------------------- numbers

def check_numbers(texts):
    values, _ = coco_json.parse_numbers([t.encode() for t in texts])
    want = np.array([float(t) for t in texts])
    same = (values.view(np.uint64) == want.view(np.uint64)) | (np.isnan(values) & np.isnan(want))
    assert same.all(), [texts[i] for i in np.flatnonzero(~same)[:5]]


def test_numbers_are_correctly_rounded():
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2 ** 63, 40000, dtype=np.uint64) | (rng.integers(0, 2, 40000, dtype=np.uint64) << np.uint64(63))
    doubles = bits.view(np.float64)
    doubles = doubles[np.isfinite(doubles)]
    check_numbers([repr(float(v)) for v in doubles])  # shortest round-trip forms, 17 digits at most
    check_numbers([f"{v:.20e}" for v in doubles[:10000]])  # more digits than 19: the two-sided test
    check_numbers([repr(float(v)) for v in rng.standard_normal(20000) * 10.0 ** rng.integers(-30, 30, 20000)])
    check_numbers([repr(float(np.float32(v))) for v in rng.uniform(0, 640, 20000)])  # float32 detector outputs
    generator = random.Random(0)

    def random_text():
        digits = "".join(generator.choice("0123456789") for _ in range(generator.randint(1, 30))).lstrip("0") or "0"
        if generator.random() < 0.6:
            digits += "." + "".join(generator.choice("0123456789") for _ in range(generator.randint(1, 25)))
        if generator.random() < 0.5:
            digits += generator.choice("eE") + generator.choice(["", "+", "-"]) + str(generator.randint(0, 400))
        return ("-" if generator.random() < 0.5 else "") + digits

    check_numbers([random_text() for _ in range(40000)])


def test_hard_numbers():
    hard = ["9007199254740993", "9007199254740992", "9007199254740994", "9007199254740995", "2.2250738585072011e-308",
            "2.2250738585072014e-308", "4.9406564584124654e-324", "1.7976931348623157e308", "1.7976931348623158e308",
            "1.7976931348623159e308", "0", "-0", "-0.0", "0.0", "1e-400", "1e400", "123456789012345678901234567890",
            "0.1", "0.30000000000000004", "5e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e23",
            "8.41e21", "4503599627370496.5", "4503599627370497.5", "45035996273704965e-1", "7.2057594037927933e16",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124",
            "1.00000000000000011102230246251565404236316680908203126", "9223372036854775807", "18446744073709551615",
            "18446744073709551616", "1" + "0" * 400 + "e-400", "0." + "0" * 400 + "1e400", "1e99999999999",
            "1e-99999999999", "NaN", "Infinity", "-Infinity", "1E5", "1e+5", "3728151218663162.5"]
    check_numbers(hard)
    values, exact = coco_json.parse_numbers([b"32.07111139854394", b"0.30000000000000004", b"3728151218663162.5"])
    assert exact.all()  # the common full-precision forms take the compiled conversion
    for bad in (b"01", b"1.", b".5", b"+1", b"-", b"1e", b"nan", b"-NaN", b"0x10", b"1e+"):
        with pytest.raises(ValueError):
            coco_json.parse_numbers([bad])


def test_power_of_five_table_is_the_scripts():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_pow5_table
    finally:
        sys.path.pop(0)
    assert (ROOT / "src_cython" / "json_pow5.h").read_text() == make_pow5_table.header_text()
    for q in (-342, -28, -27, -1, 0, 1, 27, 55, 56, 308):  # the documented bounds, checked on the integers
        t, e = make_pow5_table.power_of_five(q)
        assert 2 ** 127 <= t < 2 ** 128
        if 0 <= q <= 55:
            assert t * 2 ** e == 5 ** q if e >= 0 else t == 5 ** q * 2 ** -e
        elif q > 55:
            assert t * 2 ** e <= 5 ** q < (t + 1) * 2 ** e
        else:
            assert (t - 1) * 5 ** -q < 2 ** -e <= t * 5 ** -q


def test_bundled_coco_files_equal_the_json_module():
    from fastscore.datasets import coco_sample_paths

    for path, results in zip(coco_sample_paths(), (False, True)):
        text = open(path, encoding="utf-8").read()
        assert_same_rows(read_sections(text, results), expected_sections(text, results), results)
