"""The fast path of the COCO JSON scanner: a recursive-descent reader for files of the usual shape.

``_json.scan`` walks any JSON byte by byte with an explicit stack, which
costs a dozen branches per byte. COCO files almost always have one shape: a
results array of flat record objects, or an annotation object whose
sections are arrays of records. This reader expects exactly that shape, so
each token is read where it must be (a key, ':', a value, ',' or '}'), the
fields we keep are parsed in place and every other value is skipped.

Digits and strings are read eight bytes at a time from an unaligned uint64
view of the text (the file is read into a buffer with zero padding after
it): one word tells how many digits a number has and their value (the
classic SWAR conversion), or where the next quote or backslash is, without
a branch per byte.

It never reports an error itself: on anything it does not expect (a
syntax error, a section that is not an array, a record inside ``bbox``,
nesting deeper than the generic scanner allows, ...) it gives up and the
caller runs the generic scanner on the same bytes, which then reads the
file or names the byte where the JSON is wrong. Whenever it does finish,
its columns are the generic scanner's (tested on random and corrupted files).
"""
from __future__ import annotations

import platform
import sys

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from ._json import BBOX, FIELDS, ISCROWD, N_VALUES, NAME, SECTIONS, _clinger, _exponent, _grow, _skip_number

MAX_DEPTH = 64  # the generic scanner's nesting limit, kept so that both accept the same files
PADDING = 16  # zero bytes after the text, so that an 8-byte word can be read at any position
# the word tricks below read bytes in little-endian order, with unaligned 8-byte loads
AVAILABLE = sys.byteorder == "little" and platform.machine().lower() in ("x86_64", "amd64", "aarch64", "arm64")

_TRUE, _FALSE, _NULL = (np.frombuffer(w, dtype=np.uint8) for w in (b"true", b"false", b"null"))

# eight bytes at a time ("SWAR"): every constant repeats one byte eight times
_ZEROS = np.uint64(0x3030303030303030)  # '0'
_TO_HIGH_BIT = np.uint64(0x7676767676767676)  # adding it sets bit 7 of a byte exactly when the byte is >= 10
_HIGH_BITS = np.uint64(0x8080808080808080)
_ONES = np.uint64(0x0101010101010101)
_QUOTES = np.uint64(0x2222222222222222)  # '"'
_BACKSLASHES = np.uint64(0x5C5C5C5C5C5C5C5C)  # '\\'
_POW10_INT = np.array([10 ** k for k in range(9)], dtype=np.uint64)
_EXACT_LIMIT = np.uint64(1 << 53)


def padded_words(data):
    """(buf, words) for the bytes ``data``: buf the bytes followed by PADDING zero bytes
    (``buf[:len(data)]`` is the text), words[i] the little-endian uint64 of buf[i:i + 8]
    (an unaligned view, no copy) for every i up to len(data) + PADDING - 8."""
    size = len(data)
    storage = np.zeros((size + PADDING + 7) // 8, dtype=np.uint64)
    raw = storage.view(np.uint8)
    raw[:size] = np.frombuffer(data, dtype=np.uint8)
    return raw[:size], words_of(raw, size)


def words_of(raw, size):
    """The unaligned word view of ``raw`` (at least size + PADDING bytes, zero after size)."""
    return np.lib.stride_tricks.as_strided(raw.view(np.uint64), shape=(size + PADDING - 7,), strides=(1,),
                                           writeable=False)


def _word_table(words):
    """The words as rows of two little-endian uint64 (zero-padded to 16 bytes), and their lengths."""
    table = np.zeros((len(words), 2), dtype=np.uint64)
    for k, w in enumerate(words):
        table[k] = np.frombuffer(w.ljust(16, b"\0")[:16], dtype="<u8")
    return table, np.array([len(w) for w in words], dtype=np.int64)


FIELD_WORDS, FIELD_WORD_LENGTHS = _word_table(FIELDS)
SECTION_WORDS, SECTION_WORD_LENGTHS = _word_table(SECTIONS)


@intrinsic
def _trailing_zeros(typingctx, value):
    """The index of the lowest set bit of a uint64 (64 for 0): LLVM's cttz."""
    if value != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 0))
    return types.uint64(types.uint64), codegen


@njit(cache=True, nogil=True)
def _digit_run(word):
    """(how many of the word's bytes, from the first, are ASCII digits; the word minus '0' in
    every byte). A byte before the first non-digit is exact: no borrow reaches it."""
    t = word - _ZEROS
    not_digit = ((t + _TO_HIGH_BIT) | t) & _HIGH_BITS
    return np.int64(_trailing_zeros(not_digit) >> np.uint64(3)), t


@njit(cache=True, nogil=True)
def _digits_value(t, count):
    """The integer written by the first ``count`` (0..8) digit values in the bytes of t."""
    if count == 0:
        return np.uint64(0)
    v = t << np.uint64(64 - 8 * count)  # the digits in the high bytes, zeros before them
    v = (v * np.uint64(10) + (v >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)  # pairs
    v = (v * np.uint64(100) + (v >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)  # fours
    return (v * np.uint64(10000) + (v >> np.uint64(32))) & np.uint64(0x00000000FFFFFFFF)


@njit(cache=True, nogil=True, inline="always")
def _number(buf, words, i, n, pow10):
    """``_json._parse_number`` eight digits at a time: (value, end, exact), end = -1 if no number
    starts at i. Leading zeros count as digits here, so a few more numbers than there are left
    to Python's float(); the value of every number is the same."""
    negative = buf[i] == 45
    if negative:
        i += 1
    count, t = _digit_run(words[i])
    if count == 0:
        return 0.0, -1, False
    mantissa = _digits_value(t, count)
    digits = count
    i += count
    while count == 8:
        count, t = _digit_run(words[i])
        mantissa = mantissa * _POW10_INT[count] + _digits_value(t, count)
        digits += count
        i += count
    exp10 = 0
    if i < n and buf[i] == 46:  # '.'
        i += 1
        count = 8
        while count == 8:
            count, t = _digit_run(words[i])
            mantissa = mantissa * _POW10_INT[count] + _digits_value(t, count)
            digits += count
            exp10 -= count
            i += count
    i, e = _exponent(buf, i, n)
    value, exact = _clinger(mantissa, digits <= 18 and mantissa <= _EXACT_LIMIT, exp10 + e, negative, pow10)
    return value, i, exact


@njit(cache=True, nogil=True)
def _string_end(buf, words, i, n):
    """``_json._skip_string`` eight bytes at a time: i at the opening quote; the index just past
    the closing quote, -1 if the text ends first."""
    i += 1
    while i < n:
        word = words[i]
        quotes = word ^ _QUOTES
        escapes = word ^ _BACKSLASHES
        # the classic zero-byte test: exact for the lowest flagged byte, which is all we read
        found = (((quotes - _ONES) & ~quotes) | ((escapes - _ONES) & ~escapes)) & _HIGH_BITS
        if found == 0:
            i += 8
            continue
        i += np.int64(_trailing_zeros(found) >> np.uint64(3))
        if i >= n:
            return -1
        if buf[i] == 34:
            return i + 1
        i += 2  # a backslash: the next byte is escaped
    return -1


@njit(cache=True, nogil=True)
def _key(words, start, length, table, lengths):
    """The row of ``table`` (see _word_table) holding the bytes buf[start:start + length]; -1 if none."""
    if length == 0 or length > 16:
        return -1
    first = words[start]
    second = words[start + 8]
    if length < 8:
        first &= (np.uint64(1) << np.uint64(8 * length)) - np.uint64(1)
        second = np.uint64(0)
    elif length < 16:
        second &= (np.uint64(1) << np.uint64(8 * (length - 8))) - np.uint64(1)
    for k in range(table.shape[0]):
        if lengths[k] == length and table[k, 0] == first and table[k, 1] == second:
            return k
    return -1


@njit(cache=True, nogil=True)
def _skip_space(buf, i, n):
    while i < n:
        c = buf[i]
        if c != 32 and c != 10 and c != 13 and c != 9:
            return i
        i += 1
    return i


@njit(cache=True, nogil=True)
def _literal_end(buf, i, n, word):
    """The end of ``word`` (true, false or null) written at i; -1 if it is not there."""
    if i + word.shape[0] > n:
        return -1
    for k in range(word.shape[0]):
        if buf[i + k] != word[k]:
            return -1
    return i + word.shape[0]


@njit(cache=True, nogil=True)
def _skip_value(buf, words, i, n, levels):
    """The end of the value at i without reading it; -1 when unsure (the caller then gives up).

    Inside the value it accepts what the generic scanner accepts: ',' and ':'
    read as spaces, a key string (or '}') where an object expects a key, any
    value elsewhere. ``levels``: how many arrays/objects may be open at once
    before the generic scanner's depth limit is reached (at most 63).
    """
    if i >= n or buf[i] == 44 or buf[i] == 58:  # a value must start here (the generic walk would skip these)
        return -1
    depth = 0
    objects = np.uint64(0)  # bit d: the container open at depth d + 1 is an object
    expect_key = False
    while i < n:
        c = buf[i]
        if c == 32 or c == 10 or c == 13 or c == 9 or c == 44 or c == 58:
            i += 1
            continue
        if c == 34:
            i = _string_end(buf, words, i, n)
            if i < 0:
                return -1
            if depth == 0:
                return i
            if expect_key:
                expect_key = False
                continue
        elif expect_key and c != 125:
            return -1
        elif c == 123 or c == 91:
            if depth == levels:
                return -1
            if c == 123:
                objects |= np.uint64(1) << np.uint64(depth)
            else:
                objects &= ~(np.uint64(1) << np.uint64(depth))
            depth += 1
            expect_key = c == 123
            i += 1
            continue
        elif c == 125 or c == 93:
            if depth == 0:
                return -1
            depth -= 1
            i += 1
            if depth == 0:
                return i
        elif c == 116 or c == 102 or c == 110:
            i = _literal_end(buf, i, n, _TRUE if c == 116 else (_FALSE if c == 102 else _NULL))
            if i < 0:
                return -1
        else:
            i = _skip_number(buf, i)
            if i < 0:
                return -1
        if depth == 0:
            return i
        expect_key = (objects >> np.uint64(depth - 1)) & np.uint64(1) == np.uint64(1)
    return -1


@njit(cache=True, nogil=True, inline="always")
def _keep_number(buf, words, i, n, row, slot, values, slow, n_slow, pow10):
    """Parse the number at i into values[row, slot], or note its span in ``slow`` when the fast
    conversion is not exact; returns (end, n_slow), end = -1 if no number is there or ``slow`` is full."""
    value, end, exact = _number(buf, words, i, n, pow10)
    if end < 0:
        return -1, n_slow
    if exact:
        values[row, slot] = value
        return end, n_slow
    if n_slow == slow.shape[0]:
        return -1, n_slow
    slow[n_slow, 0] = row
    slow[n_slow, 1] = slot
    slow[n_slow, 2] = i
    slow[n_slow, 3] = end
    return end, n_slow + 1


@njit(cache=True, nogil=True)
def _read_record(buf, words, i, n, row, depth, section_id, field_slot, section, values, names, slow, n_slow, pow10):
    """Read the record object at i (its '{') at nesting ``depth`` into row ``row`` (of section
    ``section_id``; absent values NaN, no name); returns (end or -1 to give up, n_slow)."""
    section[row] = section_id
    for slot in range(N_VALUES):
        values[row, slot] = np.nan
    names[row, 0] = -1
    names[row, 1] = -1
    i = _skip_space(buf, i + 1, n)
    if i < n and buf[i] == 125:  # {}
        return i + 1, n_slow
    levels = MAX_DEPTH - depth - 1  # containers a field value may open
    while i < n:
        if buf[i] != 34:
            return -1, n_slow
        key_end = _string_end(buf, words, i, n)
        if key_end < 0:
            return -1, n_slow
        field = _key(words, i + 1, key_end - i - 2, FIELD_WORDS, FIELD_WORD_LENGTHS)
        i = _skip_space(buf, key_end, n)
        if i >= n or buf[i] != 58:  # ':'
            return -1, n_slow
        i = _skip_space(buf, i + 1, n)
        if i >= n:
            return -1, n_slow
        c = buf[i]
        if c == 91 and field == BBOX and levels >= 1:  # the box: up to four numbers kept, more skipped
            i = _skip_space(buf, i + 1, n)
            count = 0
            if i < n and buf[i] == 93:
                i += 1
            else:
                while True:
                    if i >= n:
                        return -1, n_slow
                    c = buf[i]
                    if c == 91 or c == 123 or c == 34 or c == 116 or c == 102 or c == 110:
                        return -1, n_slow  # not a flat array of numbers: the generic scanner decides
                    if count < 4:
                        i, n_slow = _keep_number(buf, words, i, n, row, 3 + count, values, slow, n_slow, pow10)
                    else:
                        i = _skip_number(buf, i)
                    if i < 0:
                        return -1, n_slow
                    count += 1
                    i = _skip_space(buf, i, n)
                    if i < n and buf[i] == 44:
                        i = _skip_space(buf, i + 1, n)
                    elif i < n and buf[i] == 93:
                        i += 1
                        break
                    else:
                        return -1, n_slow
        elif c == 34:
            end = _string_end(buf, words, i, n)
            if end < 0:
                return -1, n_slow
            if field == NAME:
                names[row, 0] = i
                names[row, 1] = end
            i = end
        elif c == 116 or c == 102 or c == 110:
            end = _skip_value(buf, words, i, n, levels)
            if end < 0:
                return -1, n_slow
            if field == ISCROWD:  # a boolean crowd flag (null reads as 0, as in the generic scanner)
                values[row, 8] = 1.0 if c == 116 else 0.0
            i = end
        elif c == 91 or c == 123:
            i = _skip_value(buf, words, i, n, levels)
        else:
            slot = field_slot[field] if field >= 0 else -1
            if slot >= 0:
                i, n_slow = _keep_number(buf, words, i, n, row, slot, values, slow, n_slow, pow10)
            else:
                i = _skip_number(buf, i)
        if i < 0:
            return -1, n_slow
        i = _skip_space(buf, i, n)
        if i >= n:
            return -1, n_slow
        if buf[i] == 44:
            i = _skip_space(buf, i + 1, n)
        elif buf[i] == 125:
            return i + 1, n_slow
        else:
            return -1, n_slow
    return -1, n_slow


@njit(cache=True, nogil=True)
def _after_element(buf, i, n, closer):
    """After an element of an array (closer ']') or a member of an object ('}'): (start of the next
    one, True), (just past the closer, False), or (-1, False) for anything else."""
    i = _skip_space(buf, i, n)
    if i < n and buf[i] == 44:
        return _skip_space(buf, i + 1, n), True
    if i < n and buf[i] == closer:
        return i + 1, False
    return -1, False


@njit(cache=True, nogil=True)
def _open(buf, i, n, closer):
    """Just inside an opening bracket at i: (first element, True), or (past the closer, False) when empty."""
    i = _skip_space(buf, i + 1, n)
    if i < n and buf[i] == closer:
        return i + 1, False
    return i, True


@njit(cache=True, nogil=True)
def scan_records(buf, words, start, stop, inside_array, record_depth, field_slot, pow10, capacity):
    """The columns of ``_json.scan`` for a file of the usual COCO shape, or ``given_up`` = True.

    Returns (section, values, names, slow, given_up, end, depth) with
    ``_json.scan``'s meaning; ``end`` and ``depth`` tell where a chunk of a
    results array stopped (at ``stop``, between two records, depth 1) or that
    the file ended (depth 0).
    """
    n = buf.shape[0]
    section = np.empty(capacity, dtype=np.int8)
    values = np.empty((capacity, N_VALUES))
    names = np.empty((capacity, 2), dtype=np.int64)
    # room for every number that could need Python's float(): untouched memory costs nothing
    slow = np.empty(((stop - start) // 16 + 16, 4), dtype=np.int64)
    # counters and constants passed on as int64, not as literals, so that each helper compiles once
    n_slow = np.int64(0)
    n_records = np.int64(0)
    no_section = np.int64(-1)
    top_levels = np.int64(MAX_DEPTH - 1)  # containers a value may open at depth 1 (2 inside a section)
    given_up = (section[:0], values[:0], names[:0], slow[:0], True, start, 0)
    i = _skip_space(buf, start, stop)
    if record_depth == 1:
        array_open = inside_array
        if not array_open:
            if i >= n or buf[i] != 91:  # a results file is one array
                return given_up
            i, array_open = _open(buf, i, n, 93)
        while array_open:
            if i >= stop:  # a chunk ends between two records
                return section[:n_records], values[:n_records], names[:n_records], slow[:n_slow], False, i, 1
            if buf[i] == 123:
                if n_records == section.shape[0]:
                    section, values, names = _grow(section, values, names, n_records)
                i, n_slow = _read_record(buf, words, i, n, n_records, record_depth, no_section, field_slot, section, values, names, slow,
                                         n_slow, pow10)
                n_records += 1
            else:  # not a record: skipped, as the generic scanner does
                i = _skip_value(buf, words, i, n, top_levels)
            if i < 0:
                return given_up
            i, array_open = _after_element(buf, i, n, 93)
            if i < 0:
                return given_up
    else:
        if inside_array or i >= n or buf[i] != 123:  # an annotation file is one object
            return given_up
        i, object_open = _open(buf, i, n, 125)
        while object_open:
            if i >= n or buf[i] != 34:
                return given_up
            key_end = _string_end(buf, words, i, n)
            if key_end < 0:
                return given_up
            current = _key(words, i + 1, key_end - i - 2, SECTION_WORDS, SECTION_WORD_LENGTHS)
            i = _skip_space(buf, key_end, n)
            if i >= n or buf[i] != 58:
                return given_up
            i = _skip_space(buf, i + 1, n)
            if current < 0:
                i = _skip_value(buf, words, i, n, top_levels)
                if i < 0:
                    return given_up
            else:
                if i >= n or buf[i] != 91:  # a section that is not an array: the generic scanner decides
                    return given_up
                i, open_section = _open(buf, i, n, 93)
                while open_section:
                    if i < n and buf[i] == 123:
                        if n_records == section.shape[0]:
                            section, values, names = _grow(section, values, names, n_records)
                        i, n_slow = _read_record(buf, words, i, n, n_records, record_depth, current, field_slot, section, values,
                                                 names, slow, n_slow, pow10)
                        n_records += 1
                    else:
                        i = _skip_value(buf, words, i, n, top_levels - 1)
                    if i < 0:
                        return given_up
                    i, open_section = _after_element(buf, i, n, 93)
                    if i < 0:
                        return given_up
            i, object_open = _after_element(buf, i, n, 125)
            if i < 0:
                return given_up
    if _skip_space(buf, i, n) < stop:  # bytes after the top-level value
        return given_up
    return section[:n_records], values[:n_records], names[:n_records], slow[:n_slow], False, i, 0
