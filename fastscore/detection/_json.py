"""Reading COCO JSON files straight into columns, with the compiled reader ``fastscore._cy.coco_json``.

The file is read once into a zero-padded buffer; the reader (ahead-of-time
compiled, see ``src_cython/coco_json.pyx``) checks the whole text as
``json.loads`` would and keeps, per record object, the few fields the
evaluation needs. A large results file is read in one chunk per thread.
Numbers are correctly rounded; the rare ones the compiled conversion
leaves open are converted here by Python's ``float``.
"""
from __future__ import annotations

import math
import os

import numpy as np

from .._cy import coco_json as _reader

PADDING = _reader.PADDING
IMAGES, ANNOTATIONS, CATEGORIES = range(3)
_VALUE_COLUMNS = ("bbox", "area", "iscrowd", "score")  # the columns of value_state, in order
_ID_COLUMNS = ("id", "image_id", "category_id")  # the columns of id_state
_COLUMNS = _VALUE_COLUMNS + _ID_COLUMNS + ("value_state", "id_state", "names", "section", "spans")
_CHUNKED_FROM = 1 << 20  # results files from 1 MB on are read in chunks on threads


def read_padded(path) -> tuple[np.ndarray, int]:
    """(buffer, n): the file's n bytes followed by PADDING zero bytes, read without a second copy.

    Called inside ``ordinary_pages()`` (see ``read_file``): NumPy's huge-page hint on a
    large buffer can make its first touch cost several times the read itself.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        buf = np.empty(size + PADDING, dtype=np.uint8)
        buf[size:] = 0
        view = memoryview(buf)
        read = 0
        while read < size:  # readinto may return less than asked
            got = f.readinto(view[read:size])
            if not got:
                break
            read += got
        if read < size or f.read(1):  # the file changed while being read
            f.seek(0)
            return padded(f.read())
    return buf, size


def padded(data: bytes) -> tuple[np.ndarray, int]:
    """(buffer, n) of ``read_padded`` for bytes in memory."""
    buf = np.zeros(len(data) + PADDING, dtype=np.uint8)
    buf[:len(data)] = np.frombuffer(data, dtype=np.uint8)
    return buf, len(data)


def _where(buf, n, position) -> str:
    """'line L, column C (byte B)' of a byte position, as json's messages give it."""
    head = buf[:min(position, n)]
    line = int(np.count_nonzero(head == 10)) + 1
    newlines = np.flatnonzero(head == 10)
    column = position - (int(newlines[-1]) + 1 if newlines.size else 0) + 1
    return f"line {line}, column {column} (byte {position})"


def _raise_if_invalid(part, buf, n, where):
    if part["error"]:
        message = _reader.ERROR_MESSAGES.get(part["error"], "not valid JSON")
        if part["error"] == _reader.E_NO_MEMORY:
            raise MemoryError(f"{where}: {message}.")
        what = "not laid out as a COCO file" if part["error"] in _reader.STRUCTURE_ERRORS else "not valid JSON"
        raise ValueError(f"{where}: {what} at {_where(buf, n, part['error_at'])}: {message}.")


def _read_chunks(buf, n):
    """A large results file read in one chunk per thread; None when the chunks did not line up.

    Each chunk but the first starts at a guessed record start (a '{' after a
    ','). The guess is right exactly when the chunk before stops at that byte
    between two records (a chunk reads up to the first record at or after its
    end); that is checked, and on any doubt the file is read in one piece.
    """
    from .._config import map_threads, n_threads

    parts = n_threads()
    if parts < 2 or n < _CHUNKED_FROM:
        return None
    cuts = [0]
    for p in range(1, parts):
        cut = _reader.record_start_after(buf, n, max(p * n // parts, cuts[-1] + 1))
        if cut < 0:
            break
        cuts.append(cut)
    if len(cuts) < 2:
        return None
    bounds = list(zip(cuts, cuts[1:] + [-1]))
    chunks = map_threads(lambda lohi: _reader.read(buf, n, True, lohi[0], lohi[1], lohi[0] > 0), bounds)
    for j, chunk in enumerate(chunks):
        last = j == len(chunks) - 1
        if chunk["error"] or chunk["closed"] != last or (not last and chunk["end"] != cuts[j + 1]):
            return None
    return chunks


def _convert_slow(part, buf):
    """Numbers the compiled conversion left open, converted by Python's float() from their bytes."""
    for record, column, start, end in part["slow"].tolist():
        value = float(bytes(buf[start:end]))
        if column < 4:
            part["bbox"][record, column] = value
        elif column < 7:
            if _VALUE_COLUMNS[column - 3] in part:  # a results file keeps only the score
                part[_VALUE_COLUMNS[column - 3]][record] = value
        else:  # an id written with a fraction or an exponent: an integral value counts
            column -= 7
            if _ID_COLUMNS[column] not in part:
                continue
            if math.isfinite(value) and value == int(value):
                if -2 ** 63 <= value < 2 ** 63:
                    part[_ID_COLUMNS[column]][record] = int(value)
                    part["id_state"][record, column] = _reader.ID_INTEGER
                else:
                    part["id_state"][record, column] = _reader.ID_TOO_LARGE


def read_records(buf, n, *, results: bool, where="the text") -> dict:
    """The records of a COCO results file (results=True) or annotation file, as the columns
    of ``fastscore._cy.coco_json.read`` (chunks joined in file order); ValueError if the text
    is not JSON of that shape."""
    chunks = _read_chunks(buf, n) if results else None
    if chunks is None:
        chunks = [_reader.read(buf, n, results)]
        _raise_if_invalid(chunks[0], buf, n, where)
    for chunk in chunks:
        _convert_slow(chunk, buf)
    if len(chunks) == 1:
        return chunks[0]
    return {key: np.concatenate([c[key] for c in chunks]) for key in _COLUMNS if key in chunks[0]}


def read_file(path, *, results: bool):
    """(records, buffer) of a COCO file, see ``read_records``."""
    from .._config import ordinary_pages

    with ordinary_pages():
        buf, n = read_padded(path)
        return read_records(buf, n, results=results, where=str(path)), buf


_ID_PROBLEMS = {
    _reader.ID_ABSENT: "is missing",
    _reader.ID_FRACTION: "is not an integer",
    _reader.ID_TOO_LARGE: "is an integer beyond the int64 range (ids must fit in 64 bits)",
    _reader.ID_OTHER_TYPE: "is not a number",
}


def _ids(records, rows, column: str, where, section_name: str) -> np.ndarray:
    """The integer ids of ``rows``, or a ValueError naming the first record whose id is bad."""
    state = records["id_state"][rows, _ID_COLUMNS.index(column)]
    if not _all_equal(state, _reader.ID_INTEGER):
        i = int(np.flatnonzero(state != _reader.ID_INTEGER)[0])
        raise ValueError(f"{where}: {section_name}[{i}] '{column}' {_ID_PROBLEMS[int(state[i])]}; "
                         f"COCO ids are integers.")
    return records[column][rows]


def _all_equal(values: np.ndarray, value) -> bool:
    return values.size == 0 or (values.min() == value and values.max() == value)


def _box_column(records, rows, where, section_name: str) -> np.ndarray:
    state = records["value_state"][rows, 0]
    if not _all_equal(state, _reader.NUMBER):
        i = int(np.flatnonzero(state != _reader.NUMBER)[0])
        raise ValueError(f"{where}: {section_name}[{i}] has no 'bbox' of 4 numbers [x, y, width, height]"
                         f"{' (only bounding-box results are supported)' if section_name == 'results' else ''}.")
    return records["bbox"][rows]


def _number_column(records, rows, column: str, where, section_name: str, default=None):
    state = records["value_state"][rows, _VALUE_COLUMNS.index(column)]
    values = records[column][rows]
    if _all_equal(state, _reader.NUMBER):
        return values
    wrong = np.flatnonzero(state == _reader.OTHER_TYPE)
    if wrong.size:
        raise ValueError(f"{where}: {section_name}[{int(wrong[0])}] '{column}' is not a number.")
    absent = state == _reader.ABSENT
    if default is None:
        raise ValueError(f"{where}: {section_name}[{int(np.flatnonzero(absent)[0])}] lacks its '{column}'.")
    return np.where(absent, default, values)


def results_columns(path) -> dict:
    """Columns of a COCO results file: image_id, category_id, bbox (n, 4), score."""
    records, _ = read_file(path, results=True)
    rows = slice(None)
    return {"image_id": _ids(records, rows, "image_id", path, "results"),
            "category_id": _ids(records, rows, "category_id", path, "results"),
            "bbox": _box_column(records, rows, path, "results"),
            "score": _number_column(records, rows, "score", path, "results")}


def annotation_columns(path):
    """(ground-truth columns, image ids in file order, [(category id, name)]) of a COCO annotation file."""
    import json

    records, buf = read_file(path, results=False)
    section = records["section"]
    ann = np.flatnonzero(section == ANNOTATIONS)
    bbox = _box_column(records, ann, path, "annotations")
    gt = {"image_id": _ids(records, ann, "image_id", path, "annotations"),
          "category_id": _ids(records, ann, "category_id", path, "annotations"),
          "bbox": bbox,
          "area": _number_column(records, ann, "area", path, "annotations", default=bbox[:, 2] * bbox[:, 3]),
          "iscrowd": (_number_column(records, ann, "iscrowd", path, "annotations", default=0.0) != 0).astype(np.uint8),
          "id": _ids(records, ann, "id", path, "annotations")}
    gt["spans"] = records["spans"][ann]  # segmentation / keypoints, parsed when needed (SpanSource)
    image_rows = np.flatnonzero(section == IMAGES)
    gt["image_spans"] = records["spans"][image_rows]  # their height and width
    images = _ids(records, image_rows, "id", path, "images")
    cat_rows = np.flatnonzero(section == CATEGORIES)
    cat_ids = _ids(records, cat_rows, "id", path, "categories")
    categories = []
    for cid, (start, end) in zip(cat_ids.tolist(), records["names"][cat_rows].tolist()):
        categories.append((cid, json.loads(bytes(buf[start:end])) if start >= 0 else str(cid)))
    return gt, images, categories


# --------------------------------------------------------------------------- values kept as spans

SPAN_SEGMENTATION, SPAN_KEYPOINTS, SPAN_NUM_KEYPOINTS = (_reader.SPAN_SEGMENTATION, _reader.SPAN_KEYPOINTS,
                                                        _reader.SPAN_NUM_KEYPOINTS)
SPAN_HEIGHT, SPAN_WIDTH = _reader.SPAN_HEIGHT, _reader.SPAN_WIDTH


class SpanSource:
    """Where the segmentation / keypoints values of a file's records are (byte spans), so that
    they are parsed only when an evaluation needs them: ``spans`` (n, 6) of the rows, and the
    buffer (kept, or read again from ``path``: the file must not change meanwhile)."""

    def __init__(self, path, spans: np.ndarray, buf=None):
        self.path = path
        self.spans = spans
        self._buf = buf
        self._size = os.path.getsize(path)

    def buffer(self) -> np.ndarray:
        if self._buf is None:
            from .._config import ordinary_pages

            with ordinary_pages():
                buf, n = read_padded(self.path)
            if n != self._size:
                raise ValueError(f"{self.path} changed since it was read; load it again.")
            return buf
        return self._buf

    def drop_buffer(self):
        self._buf = None

    def has(self, which: int) -> np.ndarray:
        return self.spans[:, 2 * which] >= 0

    def numbers(self, which: int, nested: bool, buf=None):
        """(values, list_offsets, row_offsets, ok) of the span column (see
        ``coco_json.number_arrays``), numbers left to Python's float() converted."""
        buf = self.buffer() if buf is None else buf
        values, lists, rows, ok, slow = _reader.number_arrays(
            buf, len(buf) - PADDING, np.ascontiguousarray(self.spans[:, 2 * which]),
            np.ascontiguousarray(self.spans[:, 2 * which + 1]), nested)
        for index, start, end in slow.tolist():
            values[index] = float(bytes(buf[start:end]))
        return values, lists, rows, ok

    def rle_strings(self, buf=None):
        """(heights, widths, strings) of the segmentation spans that are compressed RLE objects."""
        buf = self.buffer() if buf is None else buf
        return _reader.rle_objects(buf, len(buf) - PADDING, np.ascontiguousarray(self.spans[:, 2 * SPAN_SEGMENTATION]))

    def scalars(self, which: int, buf=None) -> list:
        """Each row's span value as json.loads reads it (None when absent): for short scalars
        such as num_keypoints, height and width."""
        import json

        buf = self.buffer() if buf is None else buf
        out = []
        for start, end in self.spans[:, 2 * which:2 * which + 2].tolist():
            out.append(None if start < 0 else json.loads(bytes(buf[start:end])))
        return out

    def value(self, which: int, row: int, buf=None):
        """The JSON value of one row's span, as json.loads reads it (None when absent)."""
        import json

        start, end = self.spans[row, 2 * which], self.spans[row, 2 * which + 1]
        if start < 0:
            return None
        buf = self.buffer() if buf is None else buf
        return json.loads(bytes(buf[start:end]))


def results_records(path):
    """(columns of the results file's records, its SpanSource): image_id, category_id, score,
    bbox (NaN rows where a record has none), bbox_state, the span source."""
    records, buf = read_file(path, results=True)
    rows = slice(None)
    columns = {"image_id": _ids(records, rows, "image_id", path, "results"),
               "category_id": _ids(records, rows, "category_id", path, "results"),
               "score": _number_column(records, rows, "score", path, "results"),
               "bbox": records["bbox"], "bbox_state": records["value_state"][:, 0]}
    return columns, SpanSource(path, records["spans"], buf)
