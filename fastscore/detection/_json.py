"""A compiled scanner that reads COCO JSON files straight into columns.

Building Python dicts for 200k detections costs more than evaluating them, so
the files are scanned as bytes: the scanner walks the JSON structure (strings,
escapes, nested arrays and objects) and keeps only the numbers of the fields
the evaluation needs. Everything else (segmentations, file names, ...) is
skipped without being decoded.

Files of the usual COCO shape are read by the faster recursive-descent reader
of ``_json_records``; this generic walk reads the rest (and names the byte
where a file is not JSON).

Numbers are converted exactly: a decimal with at most 19 significant digits
whose mantissa is below 2^53 and whose power of ten is at most 22 in size is
one correctly rounded IEEE multiplication or division (Clinger's fast path);
any other number is flagged and converted by Python's float() afterwards.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# field ids (index into FIELDS)
FIELDS = (b"id", b"image_id", b"category_id", b"bbox", b"area", b"iscrowd", b"score", b"name")
ID, IMAGE_ID, CATEGORY_ID, BBOX, AREA, ISCROWD, SCORE, NAME = range(len(FIELDS))
# top-level sections of an annotation file
SECTIONS = (b"images", b"annotations", b"categories")
IMAGES, ANNOTATIONS, CATEGORIES = range(len(SECTIONS))
N_VALUES = 10  # id, image_id, category_id, bbox x4, area, iscrowd, score
# the value slot of a numeric field (-1: not a number we keep; bbox numbers go to slots 3..6)
FIELD_SLOT = np.array([0, 1, 2, -1, 7, 8, 9, -1], dtype=np.int64)


def _table(words):
    width = max(len(w) for w in words)
    table = np.zeros((len(words), width), dtype=np.uint8)
    lengths = np.array([len(w) for w in words], dtype=np.int64)
    for i, w in enumerate(words):
        table[i, :len(w)] = np.frombuffer(w, dtype=np.uint8)
    return table, lengths


FIELD_TABLE, FIELD_LENGTHS = _table(FIELDS)
SECTION_TABLE, SECTION_LENGTHS = _table(SECTIONS)

_POW10 = np.array([10.0 ** i for i in range(23)])


@njit(cache=True, nogil=True)
def _match_word(buf, start, end, table, lengths):
    n = end - start
    for w in range(table.shape[0]):
        if lengths[w] != n:
            continue
        same = True
        for i in range(n):
            if buf[start + i] != table[w, i]:
                same = False
                break
        if same:
            return w
    return -1


@njit(cache=True, nogil=True)
def _skip_string(buf, i):
    """i at the opening quote; returns the index just past the closing quote."""
    i += 1
    n = buf.shape[0]
    while i < n:
        c = buf[i]
        if c == 92:  # backslash: skip the escaped byte
            i += 2
            continue
        if c == 34:
            return i + 1
        i += 1
    return -1


@njit(cache=True, nogil=True)
def _parse_number(buf, i, pow10):
    """Parse the number at i: (value, end, exact); end = -1 if no number starts there.

    Digits accumulate into an int64 mantissa (the leading zeros of a fraction
    skipped); more than 18 significant digits, a mantissa above 2^53 or a
    power of ten beyond 22 leaves the number inexact (converted by float() later).
    """
    n = buf.shape[0]
    negative = buf[i] == 45
    if negative:
        i += 1
    start = i
    mantissa = 0
    n_digits = 0
    exp10 = 0
    while i < n:
        c = np.int64(buf[i]) - 48
        if np.uint64(c) > 9:  # not a digit (one unsigned comparison)
            break
        mantissa = mantissa * 10 + c  # may wrap past 18 digits: then n_digits marks it inexact
        n_digits += 1
        i += 1
    if i == start:
        return 0.0, -1, False
    if i < n and buf[i] == 46:  # '.'
        i += 1
        if mantissa == 0:  # "0.000123": the zeros are not significant digits
            n_digits = 0
            while i < n and buf[i] == 48:
                exp10 -= 1
                i += 1
        while i < n:
            c = np.int64(buf[i]) - 48
            if np.uint64(c) > 9:
                break
            mantissa = mantissa * 10 + c
            n_digits += 1
            exp10 -= 1
            i += 1
    i, e = _exponent(buf, i, n)
    value, exact = _clinger(mantissa, n_digits <= 18 and mantissa <= 9007199254740992, exp10 + e, negative, pow10)
    return value, i, exact


@njit(cache=True, nogil=True)
def _exponent(buf, i, n):
    """(end, power of ten) of an exponent part 'e'/'E' [sign] digits at i; (i, 0) if none starts there."""
    if i >= n or (buf[i] != 101 and buf[i] != 69):
        return i, 0
    i += 1
    sign = 1
    if i < n and buf[i] == 45:
        sign = -1
        i += 1
    elif i < n and buf[i] == 43:
        i += 1
    e = 0
    while i < n:
        c = np.int64(buf[i]) - 48
        if np.uint64(c) > 9:
            break
        if e < 100000:
            e = e * 10 + c
        i += 1
    return i, sign * e


@njit(cache=True, nogil=True, inline="always")
def _clinger(mantissa, mantissa_exact, exp10, negative, pow10):
    """(value, exact): Clinger's fast path, an exact mantissa times an exact power of ten, rounded
    once; not exact (value 0, left to Python's float()) unless ``mantissa_exact`` (at most 18
    digits and 2^53, checked by the caller in the mantissa's own integer type) and |exp10| <= 22."""
    exact = mantissa_exact and -22 <= exp10 <= 22
    value = 0.0
    if exact:
        value = float(mantissa)
        if exp10 > 0:
            value = value * pow10[exp10]
        elif exp10 < 0:
            value = value / pow10[-exp10]
        if negative:
            value = -value
    return value, exact


@njit(cache=True, nogil=True)
def _skip_number(buf, i):
    """The end of the number at i, not converted (a field we do not keep); -1 if none starts there."""
    n = buf.shape[0]
    start = i
    while i < n:
        c = buf[i]
        if (48 <= c <= 57) or c == 45 or c == 46 or c == 43 or c == 101 or c == 69:
            i += 1
        else:
            break
    return i if i > start else -1


@njit(cache=True, nogil=True)
def _grow(section, values, names, n_records):
    """The record arrays with room for about twice as many records, the first n_records copied."""
    capacity = 2 * section.shape[0] + 16
    grown_section = np.empty(capacity, dtype=np.int8)
    grown_values = np.empty((capacity, N_VALUES))
    grown_names = np.empty((capacity, 2), dtype=np.int64)
    grown_section[:n_records] = section[:n_records]
    grown_values[:n_records] = values[:n_records]
    grown_names[:n_records] = names[:n_records]
    return grown_section, grown_values, grown_names


@njit(cache=True, nogil=True)
def scan(buf, start, stop, inside_array, record_depth, field_table, field_lengths, field_slot, section_table,
         section_lengths, pow10, capacity):
    """Walk the JSON in ``buf[start:]`` up to ``stop`` and collect the fields of every record object.

    A record is an object at ``record_depth`` (1 for a results array, 2 for
    the arrays of an annotation file). With ``inside_array`` the walk starts
    inside the top-level array (a chunk of a results file). Returns, per
    record: its section, the N_VALUES numbers (NaN when absent), the byte span
    of its "name" string, the byte spans of numbers the fast path could not
    convert exactly (record, value slot, start, end); then an error position
    (-1 if none), where the walk stopped and the nesting depth there.
    """
    n = buf.shape[0]
    max_depth = 64
    kind = np.zeros(max_depth, dtype=np.int8)  # 1 object, 2 array
    key = np.full(max_depth, -1, dtype=np.int64)  # field/section id of the value being read
    count = np.zeros(max_depth, dtype=np.int64)  # values read so far in an array
    is_record = np.zeros(max_depth, dtype=np.bool_)  # the object open at this depth is a record
    # rows are filled when a record opens: only the memory of real records is touched
    section = np.empty(capacity, dtype=np.int8)
    values = np.empty((capacity, N_VALUES))
    names = np.empty((capacity, 2), dtype=np.int64)
    slow = np.empty((0, 4), dtype=np.int64)
    slow_list = []
    n_records = 0
    depth = 0
    if inside_array:
        kind[0] = 2
        depth = 1
    expect_key = False
    i = start
    current_section = -1
    while i < stop:
        c = buf[i]
        if c == 32 or c == 10 or c == 13 or c == 9 or c == 44 or c == 58:  # space, newline, ',', ':'
            i += 1
            continue
        if depth > 0 and kind[depth - 1] == 1 and expect_key:
            # an object key
            if c == 125:  # '}' ends an empty or finished object
                depth -= 1
                expect_key = depth > 0 and kind[depth - 1] == 1
                i += 1
                continue
            if c != 34:
                return section[:n_records], values[:n_records], names[:n_records], slow, i, i, depth
            end = _skip_string(buf, i)
            if end < 0:
                return section[:n_records], values[:n_records], names[:n_records], slow, i, i, depth
            if depth == 1 and record_depth == 2:
                key[0] = _match_word(buf, i + 1, end - 1, section_table, section_lengths)
            else:
                key[depth - 1] = _match_word(buf, i + 1, end - 1, field_table, field_lengths)
            expect_key = False
            i = end
            continue
        # a value at depth `depth` (inside the container at depth - 1)
        if depth >= 1 and record_depth == 2:
            current_section = key[0]
        in_record_field = depth == record_depth + 1 and is_record[record_depth]
        field = key[depth - 1] if depth > 0 else -1
        if c == 123 or c == 91:  # '{' or '['
            if depth >= max_depth:
                return section[:n_records], values[:n_records], names[:n_records], slow, i, i, depth
            is_record[depth] = False
            if c == 123 and depth == record_depth and (record_depth == 1 or current_section >= 0):
                if n_records >= section.shape[0]:  # grow the record arrays
                    section, values, names = _grow(section, values, names, n_records)
                section[n_records] = current_section
                for slot in range(N_VALUES):
                    values[n_records, slot] = np.nan  # absent until read
                names[n_records, 0] = -1
                names[n_records, 1] = -1
                n_records += 1
                is_record[depth] = True
            kind[depth] = 1 if c == 123 else 2
            key[depth] = -1
            count[depth] = 0
            depth += 1
            expect_key = c == 123
            i += 1
            continue
        if c == 125 or c == 93:  # '}' or ']'
            depth -= 1
            expect_key = depth > 0 and kind[depth - 1] == 1
            i += 1
            continue
        if c == 34:  # a string value
            end = _skip_string(buf, i)
            if end < 0:
                return section[:n_records], values[:n_records], names[:n_records], slow, i, i, depth
            if in_record_field and field == 7:  # "name"
                names[n_records - 1, 0] = i
                names[n_records - 1, 1] = end
            i = end
        elif c == 116 or c == 102 or c == 110:  # true, false, null
            if in_record_field and field == 5:  # iscrowd given as a boolean
                values[n_records - 1, 8] = 1.0 if c == 116 else 0.0
            i += 4 if c != 102 else 5
        else:
            slot = -1
            if in_record_field:
                if field >= 0:
                    slot = field_slot[field]
            elif depth == record_depth + 2 and is_record[record_depth] and key[record_depth] == 3 and kind[depth - 1] == 2:
                # a number inside the record's "bbox" array
                if count[depth - 1] < 4:
                    slot = 3 + count[depth - 1]
                count[depth - 1] += 1
            if slot >= 0:
                value, end, exact = _parse_number(buf, i, pow10)
                if end >= 0:
                    if exact:
                        values[n_records - 1, slot] = value
                    else:
                        slow_list.append((n_records - 1, slot, i, end))
            else:  # a number we do not keep (segmentation polygons, widths, ...): only its end
                end = _skip_number(buf, i)
            if end < 0:
                return section[:n_records], values[:n_records], names[:n_records], slow, i, i, depth
            i = end
        if depth > 0 and kind[depth - 1] == 1:
            expect_key = True
    if len(slow_list):
        slow = np.empty((len(slow_list), 4), dtype=np.int64)
        for j in range(len(slow_list)):
            slow[j, 0] = slow_list[j][0]
            slow[j, 1] = slow_list[j][1]
            slow[j, 2] = slow_list[j][2]
            slow[j, 3] = slow_list[j][3]
    return section[:n_records], values[:n_records], names[:n_records], slow, -1, i, depth


@njit(cache=True, nogil=True)
def _record_start_after(buf, position):
    """A '{' at or after ``position`` that follows a ',' (a likely record start); -1 if none."""
    n = buf.shape[0]
    while position < n:
        if buf[position] == 123:
            before = position - 1
            while before > 0 and (buf[before] == 32 or buf[before] == 9 or buf[before] == 13 or buf[before] == 10):
                before -= 1
            if before >= 0 and buf[before] == 44:  # ','
                return position
        position += 1
    return -1


def _scan(buf, words, start, stop, inside_array, results, fast=True):
    """``scan`` of buf[start:stop]: first by the fast reader of the usual COCO shape
    (``_json_records``), then, if that gives up, by the generic walk."""
    from ._json_records import AVAILABLE, scan_records

    capacity = (stop - start) // 64 + 16  # grown by the scanner when short
    if fast and AVAILABLE:
        section, values, names, slow, given_up, end, depth = scan_records(
            buf, words, start, stop, inside_array, 1 if results else 2, FIELD_SLOT, _POW10, capacity)
        if not given_up:
            return section, values, names, slow, -1, end, depth
    return scan(buf, start, stop, inside_array, 1 if results else 2, FIELD_TABLE, FIELD_LENGTHS, FIELD_SLOT,
                SECTION_TABLE, SECTION_LENGTHS, _POW10, capacity)


def _scan_chunks(buf, words, results: bool, fast=True):
    """Scan a large results file in one chunk per thread; None when the chunks do not line up.

    Each chunk but the first starts at a guessed record start. The guess is
    right exactly when the scan of the chunk before stops at that byte, still
    inside the top-level array: that is checked, and on any doubt the caller
    scans the file in one piece. Returns the chunks' (section, values, names, slow).
    """
    from .._config import map_threads, n_threads

    n = buf.shape[0]
    parts = n_threads()
    if not results or parts < 2 or n < 1 << 20:
        return None
    cuts = [0]
    for p in range(1, parts):
        cut = _record_start_after(buf, max(p * n // parts, cuts[-1] + 1))
        if cut < 0:
            break
        cuts.append(cut)
    cuts.append(n)
    if len(cuts) < 3:
        return None
    chunks = map_threads(lambda j: _scan(buf, words, cuts[j], cuts[j + 1], j > 0, results, fast),
                         range(len(cuts) - 1))
    for j, (_, _, _, _, error, end, depth) in enumerate(chunks):
        last = j == len(chunks) - 1
        if error >= 0 or (not last and (end != cuts[j + 1] or depth != 1)) or (last and depth != 0):
            return None
    return [chunk[:4] for chunk in chunks]


def read_padded(path):
    """The file's bytes as (buf, words) of ``_json_records.padded_words``, read without a second copy."""
    import os

    from ._json_records import PADDING, padded_words, words_of

    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        storage = np.empty((size + PADDING + 7) // 8, dtype=np.uint64)
        raw = storage.view(np.uint8)
        raw[size:] = 0
        view = memoryview(raw)
        read = 0
        while read < size:  # readinto may return less than asked
            got = f.readinto(view[read:size])
            if not got:
                break
            read += got
        if read < size or f.read(1):  # the file changed while being read
            f.seek(0)
            return padded_words(f.read())
    return raw[:size], words_of(raw, size)


def scan_bytes(buf, words, *, results: bool, fast=True, where="the text"):
    """The records of a COCO results file (results=True) or annotation file, from its bytes as
    (buf, words): a list of (sections, values, names) parts, in file order (one part unless a
    large results file was read in chunks); ``fast=False`` skips the fast reader (for tests)."""
    parts = _scan_chunks(buf, words, results, fast)
    if parts is None:
        section, values, names, slow, error, _, depth = _scan(buf, words, 0, len(buf), False, results, fast)
        if error < 0 and depth != 0:
            error = len(buf)
        if error >= 0:
            raise ValueError(f"{where}: not valid JSON near byte {error} (or nested too deeply); "
                             f"the file must be a COCO {'results array' if results else 'annotation object'}.")
        parts = [(section, values, names, slow)]
    for _, values, _, slow in parts:
        for record, slot, start, end in slow:
            values[record, slot] = float(buf[start:end].tobytes())
    return [part[:3] for part in parts]


def scan_file(path, *, results: bool, fast=True):
    """Scan a COCO results file (results=True) or annotation file into (parts, buf), see scan_bytes."""
    buf, words = read_padded(path)
    return scan_bytes(buf, words, results=results, fast=fast, where=str(path)), buf


def _ids(column: np.ndarray, what: str, path) -> np.ndarray:
    if np.isnan(column).any():
        i = int(np.flatnonzero(np.isnan(column))[0])
        raise ValueError(f"{path}: {what} is missing or not a number in record {i}.")
    if (column != np.round(column)).any():
        raise ValueError(f"{path}: {what} must be integers.")
    return column.astype(np.int64)


@njit(cache=True, nogil=True)
def _as_id(value):
    """(the integer, 0) for a float holding an int64, else (0, 1 if NaN (absent) or 2)."""
    if value != value:
        return 0, 1
    if not (-9.223372036854775808e18 <= value < 9.223372036854775808e18) or value != np.floor(value):
        return 0, 2
    return np.int64(value), 0


@njit(cache=True, nogil=True)
def gather_results(values, row0, image_id, category_id, bbox, score, problems):
    """Copy one part's records into the result columns from row ``row0`` on; ``problems`` gets the
    first record (global index) of each kind of bad value: no box, no score, image_id absent or
    not an integer, category_id absent or not an integer (-1: none)."""
    for r in range(values.shape[0]):
        row = row0 + r
        for k in range(4):
            x = values[r, 3 + k]
            bbox[row, k] = x
            if x != x and problems[0] < 0:
                problems[0] = row
        score[row] = values[r, 9]
        if values[r, 9] != values[r, 9] and problems[1] < 0:
            problems[1] = row
        value, bad = _as_id(values[r, 1])
        image_id[row] = value
        if bad and problems[1 + bad] < 0:
            problems[1 + bad] = row
        value, bad = _as_id(values[r, 2])
        category_id[row] = value
        if bad and problems[3 + bad] < 0:
            problems[3 + bad] = row


def results_columns(path) -> dict:
    """Columns of a COCO results file: image_id, category_id, bbox (n, 4), score."""
    from .._config import map_threads

    parts, _ = scan_file(path, results=True)
    rows = np.cumsum([0] + [len(values) for _, values, _ in parts])
    n = int(rows[-1])
    image_id, category_id = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    bbox, score = np.empty((n, 4)), np.empty(n)
    problems = np.full((len(parts), 6), -1, dtype=np.int64)
    map_threads(lambda j: gather_results(parts[j][1], rows[j], image_id, category_id, bbox, score, problems[j]),
                range(len(parts)))
    first = [int(min((p for p in problems[:, k] if p >= 0), default=-1)) for k in range(6)]
    messages = [f"detection {first[0]} has no 'bbox' of 4 numbers [x, y, width, height] "
                f"(only bounding-box results are supported)",
                f"detection {first[1]} lacks its 'score'",
                f"image_id is missing or not a number in record {first[2]}",
                f"image_id must be integers (record {first[3]})",
                f"category_id is missing or not a number in record {first[4]}",
                f"category_id must be integers (record {first[5]})"]
    for k in range(6):
        if first[k] >= 0:
            raise ValueError(f"{path}: {messages[k]}.")
    return {"image_id": image_id, "category_id": category_id, "bbox": bbox, "score": score}


def annotation_columns(path):
    """(ground-truth columns, image ids in file order, [(category id, name)]) of a COCO annotation file."""
    import json

    [(section, values, names)], data = scan_file(path, results=False)
    ann = values[section == ANNOTATIONS]
    bbox = ann[:, 3:7]
    if np.isnan(bbox).any():
        i = int(np.flatnonzero(np.isnan(bbox).any(axis=1))[0])
        raise ValueError(f"{path}: annotation {i} has no 'bbox' of 4 numbers [x, y, width, height].")
    area = np.where(np.isnan(ann[:, 7]), bbox[:, 2] * bbox[:, 3], ann[:, 7])
    crowd = np.where(np.isnan(ann[:, 8]), 0.0, ann[:, 8]) != 0
    gt = {"image_id": _ids(ann[:, 1], "annotation image_id", path),
          "category_id": _ids(ann[:, 2], "annotation category_id", path),
          "bbox": np.ascontiguousarray(bbox), "area": area, "iscrowd": crowd.astype(np.uint8),
          "id": _ids(ann[:, 0], "annotation id", path)}
    images = _ids(values[section == IMAGES, 0], "image id", path)
    cat_rows = np.flatnonzero(section == CATEGORIES)
    cat_ids = _ids(values[cat_rows, 0], "category id", path)
    categories = []
    for cid, row in zip(cat_ids.tolist(), cat_rows):
        start, end = names[row]
        categories.append((cid, json.loads(data[start:end].tobytes()) if start >= 0 else str(cid)))
    return gt, images, categories
