# cython: language_level=3
"""The COCO JSON reader (``fastscore._cy.coco_json``): files straight into columns.

Building Python dicts for 500k detections costs more than evaluating them,
so COCO files are read as bytes, once, by a strict recursive-descent
parser: it accepts exactly the JSON that ``json.loads`` accepts (RFC 8259
plus ``NaN`` / ``Infinity``; nesting up to 1000 levels) and names the byte
where a file stops being JSON. Of a results file (an array of detection
objects) or an annotation file (an object whose "images", "annotations"
and "categories" are arrays of objects) it keeps, per record object, the
fields the evaluation needs; every other value is checked and skipped.

Kept per record: the numbers of "bbox" (x, y, w, h), "area", "iscrowd" and
"score" as correctly rounded doubles (see ``json_primitives.pxd``), the ids
("id", "image_id", "category_id") as exact 64-bit integers, and the byte
span of the "name" string. A state per value tells whether it was absent,
a number, or of another type; as with ``json.loads``, the last of repeated
keys wins. A large results array can be read in chunks on several threads
(``start`` / ``stop`` / ``inside_array``): each chunk starts at a guessed
record and reports where it stopped, so the caller can check that the
guesses were record starts.
"""
import numpy as np

from libc.stdint cimport int8_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memchr, memcmp, memset

from cpython.bytes cimport PyBytes_FromStringAndSize

from json_primitives cimport *

cdef enum:
    MAX_DEPTH = 1000  # nesting levels accepted
    STACK_WORDS = 16  # 64-bit words holding one bit per level (16 * 64 >= MAX_DEPTH)

cpdef enum:  # states of a value
    ABSENT = 0
    NUMBER = 1
    OTHER_TYPE = 2  # of another type (for "bbox": not an array of four numbers)

cpdef enum:  # states of an id
    ID_ABSENT = 0
    ID_INTEGER = 1
    ID_FRACTION = 2  # a number that is not an integer (or NaN / infinite)
    ID_TOO_LARGE = 3  # an integer beyond int64
    ID_OTHER_TYPE = 4  # not a number

cpdef enum:  # the value columns: their states are value_state[:, column]
    BBOX = 0
    AREA = 1
    ISCROWD = 2
    SCORE = 3
    N_VALUE_COLUMNS = 4

cpdef enum:  # the id columns
    ID = 0
    IMAGE_ID = 1
    CATEGORY_ID = 2
    N_ID_COLUMNS = 3

SECTIONS = ("images", "annotations", "categories")
PADDING = 16

cpdef enum:
    E_NO_MEMORY = 99

ERROR_MESSAGES = {
    E_EXPECTED_VALUE: "expected a value",
    E_EXPECTED_COMMA_ARRAY: "expected ',' or ']' after an array element",
    E_EXPECTED_COMMA_OBJECT: "expected ',' or '}' after an object member",
    E_EXPECTED_KEY: "expected a property name in double quotes",
    E_EXPECTED_COLON: "expected ':' after a property name",
    E_UNTERMINATED_STRING: "unterminated string",
    E_CONTROL_CHARACTER: "a control character inside a string (escape it)",
    E_BAD_ESCAPE: "an invalid escape sequence in a string",
    E_BAD_UTF8: "bytes that are not valid UTF-8",
    E_BAD_NUMBER: "an invalid number",
    E_TOO_DEEP: f"arrays and objects nested deeper than {MAX_DEPTH} levels",
    E_EXTRA_DATA: "extra data after the JSON value (two values, or a file written twice?)",
    E_NOT_ARRAY: "a COCO results file must hold one JSON array of detection objects",
    E_NOT_OBJECT: "a COCO annotation file must hold one JSON object",
    E_RECORD_NOT_OBJECT: "an element that is not a JSON object where a record object is expected",
    E_SECTION_NOT_ARRAY: "'images', 'annotations' and 'categories' must be JSON arrays of objects",
    E_BOM: "a UTF-8 byte order mark at the start (json.load refuses it; save the file without it)",
    E_NO_MEMORY: "not enough memory for the records",
}
# JSON read so far is valid, but its layout is not a COCO file's
STRUCTURE_ERRORS = frozenset({E_NOT_ARRAY, E_NOT_OBJECT, E_RECORD_NOT_OBJECT, E_SECTION_NOT_ARRAY, E_TOO_DEEP})

cdef enum:  # what member_key_end matches a key against
    KEY_IGNORED = 0
    KEY_FIELD = 1
    KEY_SECTION = 2

cdef enum:
    F_ID = 0
    F_IMAGE_ID = 1
    F_CATEGORY_ID = 2
    F_BBOX = 3
    F_AREA = 4
    F_ISCROWD = 5
    F_SCORE = 6
    F_NAME = 7
    F_SEGMENTATION = 8
    F_KEYPOINTS = 9
    F_NUM_KEYPOINTS = 10
    F_HEIGHT = 11
    F_WIDTH = 12

cpdef enum:  # the value spans kept per record: spans[:, 2 * k], spans[:, 2 * k + 1]
    SPAN_SEGMENTATION = 0
    SPAN_KEYPOINTS = 1
    SPAN_NUM_KEYPOINTS = 2
    SPAN_HEIGHT = 3  # of an image
    SPAN_WIDTH = 4
    N_SPANS = 5


cdef struct Records:
    Py_ssize_t count
    Py_ssize_t capacity
    bint lean  # a results file: area, iscrowd, id, names and section are neither set up nor returned
    double *bbox  # (capacity, 4)
    double *area
    double *iscrowd
    double *score
    uint8_t *value_state  # (capacity, N_VALUE_COLUMNS)
    int64_t *id  # one array per id column
    int64_t *image_id
    int64_t *category_id
    uint8_t *id_state  # (capacity, N_ID_COLUMNS)
    int64_t *names  # (capacity, 2): byte span of the name string, -1 if none
    int64_t *spans  # (capacity, 2 * N_SPANS): byte spans of segmentation, keypoints, num_keypoints; -1 if none
    int8_t *section
    int64_t *slow  # (slow_capacity, 4): record, column, start, end (columns 0..3: bbox x..h, 4 area,
    Py_ssize_t n_slow  # 5 iscrowd, 6 score, 7 + id column)
    Py_ssize_t slow_capacity


cdef bint grow(void **pointer, Py_ssize_t size) noexcept nogil:
    cdef void *grown = realloc(pointer[0], size)
    if grown == NULL:
        return False
    pointer[0] = grown
    return True


cdef Py_ssize_t new_record(Scan *scan, Records *out, int section, Py_ssize_t at) noexcept nogil:
    """Append a record (every value absent); its index, or -1 when memory runs out."""
    cdef Py_ssize_t r, k, capacity
    if out.count == out.capacity:
        capacity = max(2 * out.capacity, out.capacity + 64)
        if not (grow(<void **>&out.bbox, capacity * 4 * sizeof(double))
                and grow(<void **>&out.area, capacity * sizeof(double))
                and grow(<void **>&out.iscrowd, capacity * sizeof(double))
                and grow(<void **>&out.score, capacity * sizeof(double))
                and grow(<void **>&out.value_state, capacity * N_VALUE_COLUMNS)
                and grow(<void **>&out.id, capacity * sizeof(int64_t))
                and grow(<void **>&out.image_id, capacity * sizeof(int64_t))
                and grow(<void **>&out.category_id, capacity * sizeof(int64_t))
                and grow(<void **>&out.id_state, capacity * N_ID_COLUMNS)
                and grow(<void **>&out.names, capacity * 2 * sizeof(int64_t))
                and grow(<void **>&out.spans, capacity * 2 * N_SPANS * sizeof(int64_t))
                and grow(<void **>&out.section, capacity)):
            return fail(scan, E_NO_MEMORY, at)
        out.capacity = capacity
    r = out.count
    out.count += 1
    for k in range(4):
        out.bbox[4 * r + k] = 0.0
    out.score[r] = 0.0
    for k in range(N_VALUE_COLUMNS):
        out.value_state[r * N_VALUE_COLUMNS + k] = ABSENT
    out.image_id[r] = 0
    out.category_id[r] = 0
    for k in range(N_ID_COLUMNS):
        out.id_state[r * N_ID_COLUMNS + k] = ID_ABSENT
    for k in range(2 * N_SPANS):
        out.spans[r * 2 * N_SPANS + k] = -1
    if not out.lean:  # memory never touched costs nothing (a results file has no use for these)
        out.area[r] = 0.0
        out.iscrowd[r] = 0.0
        out.id[r] = 0
        out.names[2 * r] = -1
        out.names[2 * r + 1] = -1
        out.section[r] = section
    return r


cdef bint note_slow(Records *out, Py_ssize_t record, int column, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    """Remember a number that Python's float() must convert."""
    cdef Py_ssize_t k
    if out.n_slow == out.slow_capacity:
        if not grow(<void **>&out.slow, (2 * out.slow_capacity + 16) * 4 * sizeof(int64_t)):
            return False
        out.slow_capacity = 2 * out.slow_capacity + 16
    k = out.n_slow
    out.slow[4 * k] = record
    out.slow[4 * k + 1] = column
    out.slow[4 * k + 2] = start
    out.slow[4 * k + 3] = end
    out.n_slow += 1
    return True


cdef inline bint starts_number(unsigned char c) noexcept nogil:
    return c == 45 or (48 <= c <= 57) or c == 78 or c == 73  # '-', digit, NaN, Infinity


cdef inline Py_ssize_t digits_end(const unsigned char *buf, Py_ssize_t i) noexcept nogil:
    cdef uint64_t values
    cdef int count = 8
    while count == 8:
        count = digit_run(fs_load64(buf + i), &values)
        i += count
    return i


cdef Py_ssize_t number_end(Scan *scan, Py_ssize_t i) noexcept nogil:
    """The end of the valid JSON number at i, not converted (a value that is not kept)."""
    cdef const unsigned char *buf = scan.buf
    cdef Py_ssize_t start = i
    if buf[i] == 45:
        i += 1
    if buf[i] == 48:
        i += 1
    elif 49 <= buf[i] <= 57:
        i = digits_end(buf, i)
    elif buf[i] == 73:
        return literal_end(scan, i, "Infinity", 8)
    elif buf[i] == 78 and i == start:
        return literal_end(scan, i, "NaN", 3)
    else:
        return fail(scan, E_BAD_NUMBER, start)
    if buf[i] == 46:
        i += 1
        if not (48 <= buf[i] <= 57):
            return fail(scan, E_BAD_NUMBER, start)
        i = digits_end(buf, i)
    if buf[i] == 101 or buf[i] == 69:
        i += 1
        if buf[i] == 45 or buf[i] == 43:
            i += 1
        if not (48 <= buf[i] <= 57):
            return fail(scan, E_BAD_NUMBER, start)
        i = digits_end(buf, i)
    return i


cdef Py_ssize_t member_key_end(Scan *scan, Py_ssize_t i, int which, int *named) noexcept nogil:
    """i at a property name (after '{' or ','): the position of its value (after ':'), or -1.
    With ``which`` KEY_FIELD or KEY_SECTION, ``named`` gets the field or section the key names
    (-1 if none); with KEY_IGNORED the key is only checked."""
    cdef Py_ssize_t end
    if scan.buf[i] != 34:
        return fail(scan, E_EXPECTED_KEY, i)
    end = string_end(scan, i)
    if end < 0:
        return -1
    if which != KEY_IGNORED:
        named[0] = match_key(scan.buf, i + 1, end - 1, which == KEY_SECTION)
    i = skip_space(scan.buf, end)
    if scan.buf[i] != 58:
        return fail(scan, E_EXPECTED_COLON, i)
    return skip_space(scan.buf, i + 1)


cdef inline bint starts_value(unsigned char c) noexcept nogil:
    """Whether a JSON value can start with the byte c."""
    return c == 123 or c == 91 or c == 34 or c == 116 or c == 102 or c == 110 or starts_number(c)


cdef Py_ssize_t skip_value(Scan *scan, Py_ssize_t i, int depth) noexcept nogil:
    """The end of the JSON value at i (nested ``depth`` levels deep), checked and not kept."""
    cdef const unsigned char *buf = scan.buf
    cdef uint64_t[STACK_WORDS] is_object  # bit per open container: an object?
    cdef int level = 0
    cdef unsigned char c
    cdef bint closed
    while True:
        # a value starts at i
        c = buf[i]
        closed = False
        if c == 123 or c == 91:  # '{' or '['
            if depth + level >= MAX_DEPTH:
                return fail(scan, E_TOO_DEEP, i)
            if c == 123:
                is_object[level >> 6] |= (<uint64_t>1) << (level & 63)
            else:
                is_object[level >> 6] &= ~((<uint64_t>1) << (level & 63))
            level += 1
            i = skip_space(buf, i + 1)
            if buf[i] == (125 if c == 123 else 93):  # empty
                i += 1
                level -= 1
                closed = True
            elif c == 123:
                i = member_key_end(scan, i, KEY_IGNORED, NULL)
                if i < 0:
                    return -1
                continue
            else:
                continue
        elif c == 34:
            i = string_end(scan, i)
        elif c == 116:
            i = literal_end(scan, i, "true", 4)
        elif c == 102:
            i = literal_end(scan, i, "false", 5)
        elif c == 110:
            i = literal_end(scan, i, "null", 4)
        elif starts_number(c):
            i = number_end(scan, i)
        else:
            return fail(scan, E_EXPECTED_VALUE, i)
        if i < 0:
            return -1
        # after a value: close containers, or find the next element / member
        while True:
            if level == 0:
                return i
            i = skip_space(buf, i)
            closed = (is_object[(level - 1) >> 6] >> ((level - 1) & 63)) & 1
            if buf[i] == 44:  # ','
                i = skip_space(buf, i + 1)
                if closed:  # inside an object: a member follows
                    i = member_key_end(scan, i, KEY_IGNORED, NULL)
                    if i < 0:
                        return -1
                break
            if buf[i] == (125 if closed else 93):
                i += 1
                level -= 1
                continue
            return fail(scan, E_EXPECTED_COMMA_OBJECT if closed else E_EXPECTED_COMMA_ARRAY, i)


cdef int match_word(const unsigned char *word, Py_ssize_t length, bint sections) noexcept nogil:
    """The field (or, with ``sections``, section) that the key bytes name; -1 if none."""
    if sections:
        if length == 6 and memcmp(word, b"images", 6) == 0:
            return 0
        if length == 11 and memcmp(word, b"annotations", 11) == 0:
            return 1
        if length == 10 and memcmp(word, b"categories", 10) == 0:
            return 2
        return -1
    if length == 2:
        return F_ID if memcmp(word, b"id", 2) == 0 else -1
    if length == 4:
        if memcmp(word, b"bbox", 4) == 0:
            return F_BBOX
        if memcmp(word, b"area", 4) == 0:
            return F_AREA
        if memcmp(word, b"name", 4) == 0:
            return F_NAME
        return -1
    if length == 5:
        if memcmp(word, b"score", 5) == 0:
            return F_SCORE
        return F_WIDTH if memcmp(word, b"width", 5) == 0 else -1
    if length == 6:
        return F_HEIGHT if memcmp(word, b"height", 6) == 0 else -1
    if length == 9:
        return F_KEYPOINTS if memcmp(word, b"keypoints", 9) == 0 else -1
    if length == 12:
        return F_SEGMENTATION if memcmp(word, b"segmentation", 12) == 0 else -1
    if length == 13:
        return F_NUM_KEYPOINTS if memcmp(word, b"num_keypoints", 13) == 0 else -1
    if length == 7:
        return F_ISCROWD if memcmp(word, b"iscrowd", 7) == 0 else -1
    if length == 8:
        return F_IMAGE_ID if memcmp(word, b"image_id", 8) == 0 else -1
    if length == 11:
        return F_CATEGORY_ID if memcmp(word, b"category_id", 11) == 0 else -1
    return -1


cdef inline int hex_value(unsigned char c) noexcept nogil:
    if c <= 57:
        return c - 48
    if c <= 70:
        return c - 55
    return c - 87


cdef int match_key(const unsigned char *buf, Py_ssize_t start, Py_ssize_t end, bint sections) noexcept nogil:
    """The field or section named by the (already checked) key buf[start:end]; escapes decoded."""
    cdef unsigned char[16] decoded
    cdef Py_ssize_t i = start, length = 0
    cdef int code
    cdef unsigned char c
    if memchr(buf + start, 92, end - start) == NULL:
        return match_word(buf + start, end - start, sections)
    while i < end:  # only ASCII keys can name a field
        c = buf[i]
        if c == 92:
            c = buf[i + 1]
            if c == 117:
                code = (hex_value(buf[i + 2]) << 12 | hex_value(buf[i + 3]) << 8
                        | hex_value(buf[i + 4]) << 4 | hex_value(buf[i + 5]))
                if code >= 128:
                    return -1
                c = <unsigned char>code
                i += 6
            else:
                if c == 98:
                    c = 8
                elif c == 102:
                    c = 12
                elif c == 110:
                    c = 10
                elif c == 114:
                    c = 13
                elif c == 116:
                    c = 9
                i += 2
        else:
            i += 1
        if length == 16:
            return -1
        decoded[length] = c
        length += 1
    return match_word(decoded, length, sections)


cdef Py_ssize_t keep_number(Scan *scan, Records *out, Py_ssize_t r, double *target, int slow_column,
                            Py_ssize_t i) noexcept nogil:
    """Parse the number at i into ``target`` (a value of record r)."""
    cdef Number number
    cdef Py_ssize_t end = parse_number(scan, i, &number)
    if end < 0:
        return -1
    if number.kind == NUMBER_SLOW:
        if not note_slow(out, r, slow_column, i, end):
            return fail(scan, E_NO_MEMORY, i)
    elif number.integer and number.value == 0.0:
        target[0] = 0.0  # "-0" is the integer 0 for json.loads
    else:
        target[0] = number.value
    return end


cdef Py_ssize_t keep_id(Scan *scan, Records *out, Py_ssize_t r, int column, Py_ssize_t i) noexcept nogil:
    """Parse the id at i: an integer literal within int64 exactly; a number written with a
    fraction or an exponent counts when its value is an integer within int64 (1.0 and 1e3
    equal the ids 1 and 1000 for Python, as in pycocotools' dicts)."""
    cdef Number number
    cdef Py_ssize_t end = parse_number(scan, i, &number)
    cdef int64_t *target = out.id + r if column == ID else (out.image_id + r if column == IMAGE_ID
                                                            else out.category_id + r)
    cdef uint8_t *state = out.id_state + r * N_ID_COLUMNS + column
    if end < 0:
        return -1
    if number.integer:
        if number.fits_int64:
            target[0] = number.int_value
            state[0] = ID_INTEGER
        else:
            state[0] = ID_TOO_LARGE
    elif number.kind == NUMBER_SLOW:
        state[0] = ID_FRACTION  # decided by Python from the bytes
        if not note_slow(out, r, 7 + column, i, end):
            return fail(scan, E_NO_MEMORY, i)
    elif number.value != number.value or number.value - number.value != 0.0:
        state[0] = ID_FRACTION  # NaN or infinite
    elif number.value >= 9.223372036854775808e18 or number.value < -9.223372036854775808e18:
        state[0] = ID_TOO_LARGE
    elif number.value != <double><int64_t>number.value:
        state[0] = ID_FRACTION
    else:
        target[0] = <int64_t>number.value
        state[0] = ID_INTEGER
    return end


cdef Py_ssize_t read_bbox(Scan *scan, Records *out, Py_ssize_t r, Py_ssize_t i, int depth) noexcept nogil:
    """The value of "bbox" at i: four numbers are kept; anything else marks the box invalid."""
    cdef const unsigned char *buf = scan.buf
    cdef int count = 0
    cdef bint numbers_only = True
    if buf[i] != 91:
        i = skip_value(scan, i, depth)
        numbers_only = False
    else:
        if depth + 1 > MAX_DEPTH:
            return fail(scan, E_TOO_DEEP, i)
        i = skip_space(buf, i + 1)
        if buf[i] == 93:
            i += 1
        else:
            while True:
                if starts_number(buf[i]) and count < 4:
                    i = keep_number(scan, out, r, out.bbox + 4 * r + count, count, i)
                elif starts_number(buf[i]):
                    i = number_end(scan, i)
                else:
                    i = skip_value(scan, i, depth + 1)
                    numbers_only = False
                if i < 0:
                    return -1
                count += 1
                i = skip_space(buf, i)
                if buf[i] == 44:
                    i = skip_space(buf, i + 1)
                elif buf[i] == 93:
                    i += 1
                    break
                else:
                    return fail(scan, E_EXPECTED_COMMA_ARRAY, i)
    # a repeated key: the last one wins
    out.value_state[r * N_VALUE_COLUMNS + BBOX] = NUMBER if numbers_only and count == 4 else OTHER_TYPE
    return i


cdef Py_ssize_t read_field(Scan *scan, Records *out, Py_ssize_t r, int field, Py_ssize_t i, int depth) noexcept nogil:
    """The value at i of the member ``field`` of record r."""
    cdef const unsigned char *buf = scan.buf
    cdef unsigned char c = buf[i]
    cdef int column
    cdef double *target
    cdef Py_ssize_t i_end
    if field == F_BBOX:
        return read_bbox(scan, out, r, i, depth)
    if field == F_AREA or field == F_ISCROWD or field == F_SCORE:
        if field == F_AREA:
            column, target = AREA, out.area + r
        elif field == F_ISCROWD:
            column, target = ISCROWD, out.iscrowd + r
        else:
            column, target = SCORE, out.score + r
        if starts_number(c):
            out.value_state[r * N_VALUE_COLUMNS + column] = NUMBER
            return keep_number(scan, out, r, target, 3 + column, i)
        if field == F_ISCROWD and (c == 116 or c == 102 or c == 110):  # true / false / null
            target[0] = 1.0 if c == 116 else 0.0
            out.value_state[r * N_VALUE_COLUMNS + column] = NUMBER
        else:
            out.value_state[r * N_VALUE_COLUMNS + column] = OTHER_TYPE
        return skip_value(scan, i, depth)
    if field == F_ID or field == F_IMAGE_ID or field == F_CATEGORY_ID:
        if starts_number(c):
            return keep_id(scan, out, r, field, i)
        out.id_state[r * N_ID_COLUMNS + field] = ID_OTHER_TYPE
        return skip_value(scan, i, depth)
    if field >= F_SEGMENTATION:
        # kept as a byte span (a repeated key: the last one wins), parsed when an evaluation needs it
        column = (SPAN_SEGMENTATION if field == F_SEGMENTATION else SPAN_KEYPOINTS if field == F_KEYPOINTS else
                  SPAN_NUM_KEYPOINTS if field == F_NUM_KEYPOINTS else SPAN_HEIGHT if field == F_HEIGHT else SPAN_WIDTH)
        i_end = skip_value(scan, i, depth)
        if i_end >= 0:
            out.spans[r * 2 * N_SPANS + 2 * column] = i
            out.spans[r * 2 * N_SPANS + 2 * column + 1] = i_end
        return i_end
    if field == F_NAME:
        out.names[2 * r] = -1
        out.names[2 * r + 1] = -1
        if c == 34:
            i_end = string_end(scan, i)
            if i_end >= 0:
                out.names[2 * r] = i
                out.names[2 * r + 1] = i_end
            return i_end
    return skip_value(scan, i, depth)


cdef Py_ssize_t read_record(Scan *scan, Records *out, Py_ssize_t i, int section, int depth) noexcept nogil:
    """The record object at i (its '{', nested ``depth`` levels deep) into a new row."""
    cdef const unsigned char *buf = scan.buf
    cdef Py_ssize_t r
    cdef int field = -1
    if depth > MAX_DEPTH:
        return fail(scan, E_TOO_DEEP, i)
    r = new_record(scan, out, section, i)
    if r < 0:
        return -1
    i = skip_space(buf, i + 1)
    if buf[i] == 125:
        return i + 1
    while True:
        i = member_key_end(scan, i, KEY_FIELD, &field)
        if i < 0:
            return -1
        i = read_field(scan, out, r, field, i, depth + 1)
        if i < 0:
            return -1
        i = skip_space(buf, i)
        if buf[i] == 44:
            i = skip_space(buf, i + 1)
        elif buf[i] == 125:
            return i + 1
        else:
            return fail(scan, E_EXPECTED_COMMA_OBJECT, i)


cdef Py_ssize_t read_elements(Scan *scan, Records *out, Py_ssize_t i, Py_ssize_t stop, int section, int depth,
                              bint *closed) noexcept nogil:
    """The elements of an array from its first element at i: record objects (nested ``depth``
    levels deep), up to and past its ']' (``closed``), or up to the first element at or after
    ``stop`` (a chunk ends there)."""
    cdef const unsigned char *buf = scan.buf
    closed[0] = False
    while True:
        if buf[i] == 123:
            i = read_record(scan, out, i, section, depth)
        elif starts_value(buf[i]):
            return fail(scan, E_RECORD_NOT_OBJECT, i)
        else:
            return fail(scan, E_EXPECTED_VALUE, i)
        if i < 0:
            return -1
        i = skip_space(buf, i)
        if buf[i] == 44:
            i = skip_space(buf, i + 1)
            if i >= stop:
                return i
        elif buf[i] == 93:
            closed[0] = True
            return i + 1
        else:
            return fail(scan, E_EXPECTED_COMMA_ARRAY, i)


cdef Py_ssize_t read_results(Scan *scan, Records *out, Py_ssize_t start, Py_ssize_t stop, bint inside_array,
                             bint *closed) noexcept nogil:
    cdef const unsigned char *buf = scan.buf
    cdef Py_ssize_t i = skip_space(buf, start)
    closed[0] = False
    if not inside_array:
        if buf[i] != 91:
            return fail(scan, E_NOT_ARRAY if i < scan.n and starts_value(buf[i]) else E_EXPECTED_VALUE, i)
        i = skip_space(buf, i + 1)
        if buf[i] == 93:
            closed[0] = True
            i += 1
    if not closed[0]:
        i = read_elements(scan, out, i, stop, -1, 2, closed)
        if i < 0 or not closed[0]:
            return i
    i = skip_space(buf, i)
    if i < scan.n:
        return fail(scan, E_EXTRA_DATA, i)
    return i


cdef void drop_section(Records *out, int section) noexcept nogil:
    """A repeated section key: json.loads keeps the last, so earlier records of it are dropped."""
    cdef Py_ssize_t r
    for r in range(out.count):
        if out.section[r] == section:
            out.section[r] = -1


cdef Py_ssize_t read_annotations(Scan *scan, Records *out) noexcept nogil:
    cdef const unsigned char *buf = scan.buf
    cdef Py_ssize_t i = skip_space(buf, 0)
    cdef int section = -1
    cdef bint[3] seen = [False, False, False]
    cdef bint closed
    if buf[i] != 123:
        return fail(scan, E_NOT_OBJECT if i < scan.n and starts_value(buf[i]) else E_EXPECTED_VALUE, i)
    i = skip_space(buf, i + 1)
    if buf[i] == 125:
        i += 1
    else:
        while True:
            i = member_key_end(scan, i, KEY_SECTION, &section)
            if i < 0:
                return -1
            if section >= 0:
                if seen[section]:
                    drop_section(out, section)
                seen[section] = True
                if buf[i] != 91:
                    return fail(scan, E_SECTION_NOT_ARRAY, i)
                i = skip_space(buf, i + 1)
                if buf[i] == 93:
                    i += 1
                else:
                    i = read_elements(scan, out, i, scan.n + 1, section, 3, &closed)
            else:
                i = skip_value(scan, i, 2)
            if i < 0:
                return -1
            i = skip_space(buf, i)
            if buf[i] == 44:
                i = skip_space(buf, i + 1)
            elif buf[i] == 125:
                i += 1
                break
            else:
                return fail(scan, E_EXPECTED_COMMA_OBJECT, i)
    i = skip_space(buf, i)
    if i < scan.n:
        return fail(scan, E_EXTRA_DATA, i)
    return i


cdef class _Owned:
    """Memory from malloc handed to NumPy without a copy (freed with the last array using it)."""
    cdef void *data
    cdef Py_ssize_t size

    def __getbuffer__(self, Py_buffer *view, int flags):
        view.buf = self.data
        view.len = self.size
        view.readonly = 0
        view.itemsize = 1
        view.format = "B"
        view.ndim = 1
        view.shape = &self.size
        view.strides = &view.itemsize
        view.suboffsets = NULL
        view.internal = NULL
        view.obj = self

    def __releasebuffer__(self, Py_buffer *view):
        pass

    def __dealloc__(self):
        free(self.data)


cdef object owned(void **data, Py_ssize_t count, object dtype, tuple shape):
    """An array over the first ``count`` bytes of data[0] (which it takes over: data[0] is set to NULL)."""
    if count == 0 or data[0] == NULL:
        return np.zeros(shape, dtype=dtype)
    cdef _Owned holder = _Owned()
    holder.data = data[0]
    holder.size = count
    data[0] = NULL
    return np.frombuffer(holder, dtype=np.uint8).view(dtype).reshape(shape)


def read(const unsigned char[::1] buf, Py_ssize_t n, bint results, Py_ssize_t start=0, Py_ssize_t stop=-1,
         bint inside_array=False):
    """Read the COCO JSON text ``buf[:n]`` (``buf`` holds at least PADDING zero bytes after it).

    ``results``: a results array (else an annotation object). A chunk of a
    results array is read from ``start`` (a record's '{' when
    ``inside_array``) up to the first record at or after ``stop``.

    Returns a dict of columns, one row per record object: ``bbox`` (r, 4),
    ``area``, ``iscrowd``, ``score`` (float64), ``value_state`` (r, 4)
    uint8 (of bbox, area, iscrowd, score: ABSENT, NUMBER or OTHER_TYPE),
    ``id``, ``image_id``, ``category_id`` (int64), ``id_state`` (r, 3)
    uint8, ``spans`` (r, 10) int64 byte spans [start, end) of the values of
    ``segmentation``, ``keypoints``, ``num_keypoints``, ``height`` and ``width``
    (-1 when absent),
    ``names`` (r, 2) byte spans and ``section`` (r,) int8 (area,
    iscrowd, id, names and section only for an annotation file); ``slow`` (k, 4) int64: numbers to convert with Python's
    float() (record, column, start, end; columns 0-3 bbox, 4 area, 5
    iscrowd, 6 score, 7 + an id column); ``error`` and ``error_at`` (0 and
    -1 when the text is valid), ``end`` (where reading stopped) and
    ``closed`` (whether the array, and the text, ended).
    """
    if buf.shape[0] < n + PADDING:
        raise ValueError("the buffer must hold the text followed by at least 16 zero bytes")
    if stop < 0:
        stop = n + 1
    cdef Scan scan
    cdef Records out
    cdef bint closed = False
    cdef Py_ssize_t end, r
    scan.buf = &buf[0]
    scan.n = n
    scan.error = OK
    scan.error_at = -1
    memset(&out, 0, sizeof(Records))
    out.lean = results
    # room for the records a text of this size usually holds (grown when short)
    out.capacity = ((stop if stop <= n else n) - start) // (48 if results else 96) + 64
    if not (grow(<void **>&out.bbox, out.capacity * 4 * sizeof(double))
            and grow(<void **>&out.area, out.capacity * sizeof(double))
            and grow(<void **>&out.iscrowd, out.capacity * sizeof(double))
            and grow(<void **>&out.score, out.capacity * sizeof(double))
            and grow(<void **>&out.value_state, out.capacity * N_VALUE_COLUMNS)
            and grow(<void **>&out.id, out.capacity * sizeof(int64_t))
            and grow(<void **>&out.image_id, out.capacity * sizeof(int64_t))
            and grow(<void **>&out.category_id, out.capacity * sizeof(int64_t))
            and grow(<void **>&out.id_state, out.capacity * N_ID_COLUMNS)
            and grow(<void **>&out.names, out.capacity * 2 * sizeof(int64_t))
            and grow(<void **>&out.spans, out.capacity * 2 * N_SPANS * sizeof(int64_t))
            and grow(<void **>&out.section, out.capacity)):
        out.capacity = 0  # the first record reports the failure
    try:
        with nogil:
            if start == 0 and n >= 3 and buf[0] == 0xEF and buf[1] == 0xBB and buf[2] == 0xBF:
                end = fail(&scan, E_BOM, 0)
            elif results:
                end = read_results(&scan, &out, start, stop, inside_array, &closed)
            else:
                end = read_annotations(&scan, &out)
                closed = end >= 0
        r = out.count
        columns = {
            "bbox": owned(<void **>&out.bbox, r * 4 * sizeof(double), np.float64, (r, 4)),
            "score": owned(<void **>&out.score, r * sizeof(double), np.float64, (r,)),
            "value_state": owned(<void **>&out.value_state, r * N_VALUE_COLUMNS, np.uint8, (r, N_VALUE_COLUMNS)),
            "image_id": owned(<void **>&out.image_id, r * sizeof(int64_t), np.int64, (r,)),
            "category_id": owned(<void **>&out.category_id, r * sizeof(int64_t), np.int64, (r,)),
            "id_state": owned(<void **>&out.id_state, r * N_ID_COLUMNS, np.uint8, (r, N_ID_COLUMNS)),
            "spans": owned(<void **>&out.spans, r * 2 * N_SPANS * sizeof(int64_t), np.int64, (r, 2 * N_SPANS)),
        }
        if not results:
            columns.update({
                "area": owned(<void **>&out.area, r * sizeof(double), np.float64, (r,)),
                "iscrowd": owned(<void **>&out.iscrowd, r * sizeof(double), np.float64, (r,)),
                "id": owned(<void **>&out.id, r * sizeof(int64_t), np.int64, (r,)),
                "names": owned(<void **>&out.names, r * 2 * sizeof(int64_t), np.int64, (r, 2)),
                "section": owned(<void **>&out.section, r, np.int8, (r,)),
            })
        return {
            **columns,
            "slow": owned(<void **>&out.slow, out.n_slow * 4 * sizeof(int64_t), np.int64, (out.n_slow, 4)),
            "error": scan.error,
            "error_at": scan.error_at,
            "end": end,
            "closed": bool(closed),
        }
    finally:  # whatever was not handed to an array
        free(out.bbox)
        free(out.area)
        free(out.iscrowd)
        free(out.score)
        free(out.value_state)
        free(out.id)
        free(out.image_id)
        free(out.category_id)
        free(out.id_state)
        free(out.names)
        free(out.spans)
        free(out.section)
        free(out.slow)


def record_start_after(const unsigned char[::1] buf, Py_ssize_t n, Py_ssize_t position):
    """A '{' at or after ``position`` that follows a ',' (a likely record start); -1 if none."""
    cdef Py_ssize_t before, found = -1
    with nogil:
        while position < n:
            if buf[position] == 123:
                before = position - 1
                while before > 0 and (buf[before] == 32 or buf[before] == 9 or buf[before] == 13
                                      or buf[before] == 10):
                    before -= 1
                if before >= 0 and buf[before] == 44:
                    found = position
                    break
            position += 1
    return found


def parse_numbers(texts):
    """(values, exact) of JSON number strings (bytes), for tests: ``exact`` is False where the
    number was left to Python's float(). Raises ValueError on an invalid number."""
    cdef Scan scan
    cdef Number number
    cdef Py_ssize_t end, k = 0
    values = np.empty(len(texts))
    exact = np.empty(len(texts), dtype=bool)
    cdef double[::1] out_values = values
    for text in texts:
        padded = bytes(text) + b"\0" * PADDING
        scan.buf = padded
        scan.n = len(text)
        scan.error = OK
        scan.error_at = -1
        end = parse_number(&scan, 0, &number)
        if end != scan.n:
            raise ValueError(f"not a JSON number: {text!r}")
        out_values[k] = number.value if number.kind == NUMBER_EXACT else float(text)
        exact[k] = number.kind == NUMBER_EXACT
        k += 1
    return values, exact


# ---------------------------------------------------------------------------------------------
# values kept as byte spans (segmentation, keypoints), parsed when an evaluation needs them; the
# whole text was checked by ``read``, so a span is valid JSON and only its shape is checked here

cdef bint grow_to(void **pointer, Py_ssize_t *capacity, Py_ssize_t needed, Py_ssize_t item) noexcept nogil:
    cdef Py_ssize_t size = capacity[0]
    if needed <= size:
        return True
    while size < needed:
        size = max(2 * size, 64)
    if not grow(pointer, size * item):
        return False
    capacity[0] = size
    return True


def number_arrays(const unsigned char[::1] buf, Py_ssize_t n, const int64_t[::1] starts, const int64_t[::1] ends,
                  bint nested):
    """Spans holding a JSON array of numbers (``nested`` False: keypoints) or an array of such
    arrays (``nested`` True: polygons). Returns (values, list_offsets, row_offsets, ok, slow):
    list j is values[list_offsets[j]:list_offsets[j + 1]], row r holds lists
    row_offsets[r]..row_offsets[r + 1] - 1 (one list per row without nesting); ``ok[r]`` is False
    where the span has another shape or is absent (start < 0: the caller reads those rows
    otherwise); ``slow`` (k, 3) int64 lists the numbers for Python's float(): value index, start,
    end. ``buf`` holds the text of length n and its zero padding."""
    cdef Py_ssize_t rows = starts.shape[0], r, i, end, v_cap = 0, l_cap = 0, s_cap = 0, n_values = 0, n_lists = 0
    cdef Py_ssize_t n_slow = 0, row_values, row_lists
    cdef double *values = NULL
    cdef int64_t *lists = NULL
    cdef int64_t *slow = NULL
    cdef bint good, memory = True
    cdef Scan scan
    cdef Number number
    row_offsets = np.zeros(rows + 1, dtype=np.int64)
    ok = np.zeros(rows, dtype=bool)
    cdef int64_t[::1] ro = row_offsets
    cdef uint8_t[::1] ok_view = ok.view(np.uint8)
    scan.buf = &buf[0]
    scan.n = n
    scan.error = OK
    scan.error_at = -1
    memory = grow_to(<void **>&lists, &l_cap, 1, sizeof(int64_t))
    if memory:
        lists[0] = 0
    with nogil:
        for r in range(rows):
            if not memory:
                break
            row_values, row_lists = n_values, n_lists
            good = starts[r] >= 0 and buf[starts[r]] == 91
            i = starts[r] + 1 if good else 0
            end = ends[r]
            while good:
                i = skip_space(scan.buf, i)
                if buf[i] == 93:  # the closing ']' of the row
                    if not nested:
                        if not grow_to(<void **>&lists, &l_cap, n_lists + 2, sizeof(int64_t)):
                            memory = False
                            break
                        n_lists += 1
                        lists[n_lists] = n_values
                    break
                if buf[i] == 44:
                    i = skip_space(scan.buf, i + 1)
                if nested:
                    if buf[i] != 91:
                        good = False
                        break
                    i = skip_space(scan.buf, i + 1)
                    while buf[i] != 93:
                        if buf[i] == 44:
                            i = skip_space(scan.buf, i + 1)
                        i = append_number(&scan, i, &values, &v_cap, &n_values, &slow, &s_cap, &n_slow)
                        if i < 0:
                            memory = i != -2
                            good = False
                            break
                        i = skip_space(scan.buf, i)
                    if not good:
                        break
                    i += 1
                    if not grow_to(<void **>&lists, &l_cap, n_lists + 2, sizeof(int64_t)):
                        memory = good = False
                        break
                    n_lists += 1
                    lists[n_lists] = n_values
                else:
                    i = append_number(&scan, i, &values, &v_cap, &n_values, &slow, &s_cap, &n_slow)
                    if i < 0:
                        memory = i != -2
                        good = False
                        break
                if i > end:
                    good = False
            if not good:  # drop what this row added; the caller reads it another way
                n_values, n_lists = row_values, row_lists
                while n_slow > 0 and slow[3 * (n_slow - 1)] >= row_values:
                    n_slow -= 1
            ok_view[r] = good
            ro[r + 1] = n_lists
    try:
        if not memory:
            raise MemoryError("not enough memory for the parsed values")
        values_array = owned(<void **>&values, n_values * sizeof(double), np.float64, (n_values,))
        lists_array = owned(<void **>&lists, (n_lists + 1) * sizeof(int64_t), np.int64, (n_lists + 1,))
        slow_array = owned(<void **>&slow, n_slow * 3 * sizeof(int64_t), np.int64, (n_slow, 3))
        return values_array, lists_array, row_offsets, ok, slow_array
    finally:
        free(values)
        free(lists)
        free(slow)


cdef Py_ssize_t append_number(Scan *scan, Py_ssize_t i, double **values, Py_ssize_t *v_cap, Py_ssize_t *n_values,
                              int64_t **slow, Py_ssize_t *s_cap, Py_ssize_t *n_slow) noexcept nogil:
    """The number at i appended to values; -1 if i holds no number, -2 when memory runs out."""
    if not starts_number(scan.buf[i]):
        return -1
    if not grow_to(<void **>values, v_cap, n_values[0] + 1, sizeof(double)):
        return -2
    i = parse_number_into(scan, i, values[0] + n_values[0], n_values[0], slow, s_cap, n_slow)
    if i < 0:
        return -2
    n_values[0] += 1
    return i


cdef Py_ssize_t parse_number_into(Scan *scan, Py_ssize_t i, double *target, Py_ssize_t index, int64_t **slow,
                                  Py_ssize_t *s_cap, Py_ssize_t *n_slow) noexcept nogil:
    """The number at i into target (as ``keep_number``); one left to Python's float() is noted
    in ``slow``. -1 when memory runs out."""
    cdef Number number
    cdef Py_ssize_t end = parse_number(scan, i, &number)
    if end < 0:
        return -1
    if number.kind == NUMBER_SLOW:
        if not grow_to(<void **>slow, s_cap, n_slow[0] + 1, 3 * sizeof(int64_t)):
            return -1
        slow[0][3 * n_slow[0]] = index
        slow[0][3 * n_slow[0] + 1] = i
        slow[0][3 * n_slow[0] + 2] = end
        n_slow[0] += 1
        target[0] = 0.0
    elif number.integer and number.value == 0.0:
        target[0] = 0.0  # "-0" is the integer 0 for json.loads
    else:
        target[0] = number.value
    return end


cdef Py_ssize_t plain_integer(Scan *scan, Py_ssize_t i, int64_t *value) noexcept nogil:
    """An integer literal at i (within int64) into value; -1 if it is anything else."""
    cdef Number number
    cdef Py_ssize_t end
    if not starts_number(scan.buf[i]):
        return -1
    end = parse_number(scan, i, &number)
    if end < 0 or not number.integer or not number.fits_int64:
        return -1
    value[0] = number.int_value
    return end


cdef Py_ssize_t integer_pair_end(Scan *scan, Py_ssize_t j, int64_t *first, int64_t *second) noexcept nogil:
    """An array of exactly two integer literals at j, [a, b]: into first and second; the position
    past its ']', or -1 if the value is anything else."""
    if scan.buf[j] != 91:
        return -1
    j = plain_integer(scan, skip_space(scan.buf, j + 1), first)
    if j < 0:
        return -1
    j = skip_space(scan.buf, j)
    if scan.buf[j] != 44:
        return -1
    j = plain_integer(scan, skip_space(scan.buf, j + 1), second)
    if j < 0:
        return -1
    j = skip_space(scan.buf, j)
    return j + 1 if scan.buf[j] == 93 else -1


def rle_objects(const unsigned char[::1] buf, Py_ssize_t n, const int64_t[::1] starts):
    """Spans holding an RLE object {"size": [h, w], "counts": "..."} (other keys skipped) with a
    compressed string: (heights, widths, strings), the strings as bytes (JSON's escapes of
    '\\\\' undone); strings[r] is None where the span is absent, counts is a list (uncompressed)
    or anything else is unusual (the caller reads those rows with json)."""
    cdef Py_ssize_t rows = starts.shape[0], r, i, key_end, j, k, text_start, text_end
    cdef int64_t h, w
    cdef bint good, has_size, has_counts, escaped
    cdef Scan scan
    cdef char *copy
    heights = np.zeros(rows, dtype=np.int64)
    widths = np.zeros(rows, dtype=np.int64)
    cdef int64_t[::1] hv = heights
    cdef int64_t[::1] wv = widths
    strings = [None] * rows
    scan.buf = &buf[0]
    scan.n = n
    scan.error = OK
    scan.error_at = -1
    for r in range(rows):
        i = starts[r]
        if i < 0 or buf[i] != 123:
            continue
        good = True
        has_size = has_counts = escaped = False
        text_start = text_end = -1
        i = skip_space(scan.buf, i + 1)
        while good and buf[i] != 125:
            if buf[i] == 44:
                i = skip_space(scan.buf, i + 1)
            key_end = string_end(&scan, i)  # the key, quotes included
            j = skip_space(scan.buf, key_end)
            j = skip_space(scan.buf, j + 1)  # past ':'
            if key_end - i == 6 and memcmp(&buf[i + 1], b"size", 4) == 0:
                j = integer_pair_end(&scan, j, &h, &w)
                if j < 0:
                    good = False
                    break
                i = j
                has_size = True
            elif key_end - i == 8 and memcmp(&buf[i + 1], b"counts", 6) == 0:
                if buf[j] != 34:
                    good = False
                    break
                text_start = j + 1
                i = string_end(&scan, j)
                text_end = i - 1
                for k in range(text_start, text_end):
                    if buf[k] == 92:
                        escaped = True
                        break
                has_counts = True
            else:
                i = skip_value(&scan, j, 2)
            i = skip_space(scan.buf, i)
        if not (good and has_size and has_counts):
            continue
        if escaped:  # COCO's alphabet holds '\\': undo its escapes, refuse any other
            copy = <char *>malloc(text_end - text_start + 1)
            if copy == NULL:
                raise MemoryError()
            k = 0
            j = text_start
            while j < text_end:
                if buf[j] == 92:
                    if buf[j + 1] != 92:
                        good = False
                        break
                    j += 1
                copy[k] = <char>buf[j]
                k += 1
                j += 1
            if good:
                strings[r] = PyBytes_FromStringAndSize(copy, k)
            free(copy)
            if not good:
                continue
        else:
            strings[r] = PyBytes_FromStringAndSize(<const char *>&buf[text_start], text_end - text_start)
        hv[r] = h
        wv[r] = w
    return heights, widths, strings
