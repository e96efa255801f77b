# cython: language_level=3
"""Scanning primitives of the JSON reader: whitespace, strings, literals and numbers.

Inline functions over a text ``buf[0:n]`` followed by at least 16 zero bytes,
so that an 8-byte word can be loaded at any position up to n. A function
that finds the text invalid sets ``scan.error`` / ``scan.error_at`` (first
error wins) and returns -1; ``coco_json.pyx`` builds on these.

Numbers follow RFC 8259's grammar (plus Python's ``NaN``, ``Infinity`` and
``-Infinity``, which ``json.loads`` accepts) and convert to the correctly
rounded double:

1. Clinger's fast path: a mantissa w <= 2^53 times 10^q with |q| <= 22 is one
   IEEE multiplication or division of exact operands, rounded once.
2. Eisel and Lemire's method: w (up to 19 digits) times a 128-bit
   approximation T of 5^q (``json_pow5.h``) gives the top bits of w * 5^q
   with an error below w in the last 64 of 192 bits. Unless the exact value
   could lie within that error of a rounding boundary (checked
   conservatively, then the number is left to Python's ``float``), those
   bits round to the same double as the exact value.
3. More than 19 significant digits: w is the first 19; the value lies
   between w and w + 1 units of the last digit kept, and when both round to
   the same double so does the number.

4. A binary fraction with a long mantissa (3728151218663162.5: w divisible
   by 5^-q, q >= -27) is (w / 5^-q) * 2^q, one rounding of an integer.

Anything else (subnormal results, rare boundary cases, exponents beyond
10^8) is flagged ``NUMBER_SLOW`` and converted by Python's ``float`` from
its bytes, so every value is exact.
"""
from libc.stdint cimport int16_t, int64_t, uint64_t

cdef extern from "json_support.h" nogil:
    uint64_t fs_load64(const unsigned char *p)
    void fs_mul128(uint64_t a, uint64_t b, uint64_t *high, uint64_t *low)
    int fs_clz64(uint64_t x)
    int fs_ctz64(uint64_t x)
    double fs_from_bits(uint64_t bits)
    const uint64_t fs_pow5_128[651][2]
    const int16_t fs_pow5_exponent[651]
    int FS_POW5_LOWEST
    int FS_POW5_HIGHEST
    uint64_t FS_ONES
    uint64_t FS_HIGH_BITS
    const uint64_t fs_pow10_int[9]
    const double fs_pow10_exact[23]
    const uint64_t fs_pow5_int[28]
    double fs_ldexp(double x, int e)

# error codes (``coco_json.ERROR_MESSAGES`` words them)
cdef enum:
    OK = 0
    E_EXPECTED_VALUE = 1
    E_EXPECTED_COMMA_ARRAY = 2
    E_EXPECTED_COMMA_OBJECT = 3
    E_EXPECTED_KEY = 4
    E_EXPECTED_COLON = 5
    E_UNTERMINATED_STRING = 6
    E_CONTROL_CHARACTER = 7
    E_BAD_ESCAPE = 8
    E_BAD_UTF8 = 9
    E_BAD_NUMBER = 10
    E_TOO_DEEP = 11
    E_EXTRA_DATA = 12
    E_NOT_ARRAY = 13
    E_NOT_OBJECT = 14
    E_RECORD_NOT_OBJECT = 15
    E_SECTION_NOT_ARRAY = 16
    E_BOM = 17

# what parse_number found
cdef enum:
    NUMBER_EXACT = 0  # value is the correctly rounded double
    NUMBER_SLOW = 1  # value unknown: convert the bytes with Python's float()

cdef struct Scan:
    const unsigned char *buf
    Py_ssize_t n
    int error
    Py_ssize_t error_at

cdef struct Number:
    double value
    int kind  # NUMBER_EXACT or NUMBER_SLOW
    bint integer  # written as an integer (no fraction, no exponent)
    bint fits_int64  # an integer literal within int64: int_value holds it
    int64_t int_value

cdef inline Py_ssize_t fail(Scan *scan, int code, Py_ssize_t at) noexcept nogil:
    if scan.error == OK:
        scan.error = code
        scan.error_at = at
    return -1


cdef inline Py_ssize_t skip_space(const unsigned char *buf, Py_ssize_t i) noexcept nogil:
    """The first position at or after i that is not JSON whitespace (the zero padding stops it)."""
    cdef unsigned char c = buf[i]
    while c == 32 or c == 10 or c == 13 or c == 9:
        i += 1
        c = buf[i]
    return i


cdef inline uint64_t zero_bytes(uint64_t x) noexcept nogil:
    """High bit set in (at least) the lowest zero byte of x; bytes above it may be flagged falsely."""
    return (x - FS_ONES) & ~x & FS_HIGH_BITS


cdef inline Py_ssize_t utf8_sequence_end(Scan *scan, Py_ssize_t i) noexcept nogil:
    """The end of the UTF-8 sequence starting at i (a byte >= 0x80), as Python's strict decoder
    accepts it (no overlong forms, no surrogates, at most U+10FFFF); -1 otherwise."""
    cdef const unsigned char *buf = scan.buf
    cdef unsigned char c = buf[i], c1 = buf[i + 1]
    cdef unsigned char low = 0x80, high = 0xBF
    cdef int length
    if 0xC2 <= c <= 0xDF:
        length = 2
    elif 0xE0 <= c <= 0xEF:
        length = 3
        if c == 0xE0:
            low = 0xA0
        elif c == 0xED:
            high = 0x9F
    elif 0xF0 <= c <= 0xF4:
        length = 4
        if c == 0xF0:
            low = 0x90
        elif c == 0xF4:
            high = 0x8F
    else:
        return fail(scan, E_BAD_UTF8, i)
    if c1 < low or c1 > high:
        return fail(scan, E_BAD_UTF8, i)
    if length >= 3 and (buf[i + 2] & 0xC0) != 0x80:
        return fail(scan, E_BAD_UTF8, i)
    if length == 4 and (buf[i + 3] & 0xC0) != 0x80:
        return fail(scan, E_BAD_UTF8, i)
    if i + length > scan.n:
        return fail(scan, E_BAD_UTF8, i)
    return i + length


cdef inline bint is_hex(unsigned char c) noexcept nogil:
    return (48 <= c <= 57) or (65 <= c <= 70) or (97 <= c <= 102)


cdef inline Py_ssize_t string_end(Scan *scan, Py_ssize_t i) noexcept nogil:
    """i at an opening quote: the position just past the closing quote, checking what
    ``json.loads`` checks (escapes, no control characters, valid UTF-8); -1 on an error."""
    cdef const unsigned char *buf = scan.buf
    cdef uint64_t word, found
    cdef unsigned char c
    cdef Py_ssize_t opening = i
    i += 1
    while True:
        word = fs_load64(buf + i)
        # a quote, a backslash, a control character (< 0x20) or a non-ASCII byte
        found = (zero_bytes(word ^ 0x2222222222222222ULL) | zero_bytes(word ^ 0x5C5C5C5C5C5C5C5CULL)
                 | ((word - 0x2020202020202020ULL) & ~word & FS_HIGH_BITS) | (word & FS_HIGH_BITS))
        if found == 0:
            i += 8
            continue
        i += fs_ctz64(found) >> 3
        c = buf[i]
        if c == 34:
            if i >= scan.n:
                return fail(scan, E_UNTERMINATED_STRING, opening)
            return i + 1
        if c == 92:
            c = buf[i + 1]
            if c == 34 or c == 92 or c == 47 or c == 98 or c == 102 or c == 110 or c == 114 or c == 116:
                i += 2
            elif c == 117 and is_hex(buf[i + 2]) and is_hex(buf[i + 3]) and is_hex(buf[i + 4]) and is_hex(buf[i + 5]):
                i += 6
            elif i + 1 >= scan.n:
                return fail(scan, E_UNTERMINATED_STRING, opening)
            else:
                return fail(scan, E_BAD_ESCAPE, i)
            if i > scan.n:
                return fail(scan, E_UNTERMINATED_STRING, opening)
        elif c < 32:
            if i >= scan.n:
                return fail(scan, E_UNTERMINATED_STRING, opening)
            return fail(scan, E_CONTROL_CHARACTER, i)
        else:
            i = utf8_sequence_end(scan, i)
            if i < 0:
                return -1


cdef inline Py_ssize_t literal_end(Scan *scan, Py_ssize_t i, const char *word, int length) noexcept nogil:
    """The end of ``word`` written at i; -1 (an error at i) if it is not there."""
    cdef int k
    for k in range(length):
        if scan.buf[i + k] != <unsigned char>word[k]:
            return fail(scan, E_EXPECTED_VALUE, i)
    if i + length > scan.n:
        return fail(scan, E_EXPECTED_VALUE, i)
    return i + length


cdef inline int digit_run(uint64_t word, uint64_t *values) noexcept nogil:
    """How many of the word's bytes, from the first, are ASCII digits; values = word minus '0'
    in every byte (exact in the bytes before the first non-digit)."""
    cdef uint64_t t = word - 0x3030303030303030ULL
    cdef uint64_t not_digit = ((t + 0x7676767676767676ULL) | t) & FS_HIGH_BITS
    values[0] = t
    if not_digit == 0:
        return 8
    return fs_ctz64(not_digit) >> 3


cdef inline uint64_t digits_value(uint64_t t, int count) noexcept nogil:
    """The integer written by the first ``count`` (1..8) digit values in the bytes of t."""
    cdef uint64_t v = t << (64 - 8 * count)
    v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FFULL
    v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFFULL
    return (v * 10000 + (v >> 32)) & 0x00000000FFFFFFFFULL


cdef inline bint eisel_lemire(uint64_t w, int q, bint negative, double *out) noexcept nogil:
    """The correctly rounded double of w * 10^q (w > 0), or False when this method cannot decide."""
    cdef uint64_t high, middle, low, cross_high, cross_low, mantissa, rest
    cdef int shift, top, exponent2, biased
    cdef bint exact_table, round_up
    if q < FS_POW5_LOWEST:
        out[0] = -0.0 if negative else 0.0
        return True
    if q > FS_POW5_HIGHEST:
        out[0] = -fs_from_bits(0x7FF0000000000000ULL) if negative else fs_from_bits(0x7FF0000000000000ULL)
        return True
    shift = fs_clz64(w)
    w <<= shift
    # the 192-bit product w * T = (high, middle, low)
    fs_mul128(w, fs_pow5_128[q - FS_POW5_LOWEST][1], &middle, &low)
    fs_mul128(w, fs_pow5_128[q - FS_POW5_LOWEST][0], &cross_high, &cross_low)
    middle += cross_low
    high = cross_high + (middle < cross_low)
    exact_table = 0 <= q <= 55
    if not exact_table:
        # the exact product is within w of this one: refuse when a multiple of 2^137 (every
        # rounding boundary of either mantissa position is one) may lie in between
        if (high & 0x1FF) == 0 and middle == 0 and low < w:
            return False
        if (high & 0x1FF) == 0x1FF and middle == 0xFFFFFFFFFFFFFFFFULL and ~low < w:
            return False
    top = <int>(high >> 63)
    # 53 bits from the top; the bit below them decides the rounding
    mantissa = high >> (10 + top)
    round_up = ((high >> (9 + top)) & 1) != 0
    if round_up and exact_table:
        # the product is exact: a tie (nothing below the rounding bit) rounds to even
        rest = high & ((<uint64_t>1 << (9 + top)) - 1)
        if rest == 0 and middle == 0 and low == 0 and (mantissa & 1) == 0:
            round_up = False
    if round_up:
        mantissa += 1
        if mantissa == (<uint64_t>1 << 53):
            mantissa >>= 1
            top += 1
    exponent2 = 138 + top + fs_pow5_exponent[q - FS_POW5_LOWEST] + q - shift
    biased = exponent2 + 52 + 1023
    if biased <= 0:
        return False  # subnormal: left to Python's float()
    if biased >= 2047:
        out[0] = -fs_from_bits(0x7FF0000000000000ULL) if negative else fs_from_bits(0x7FF0000000000000ULL)
        return True
    out[0] = fs_from_bits((<uint64_t>biased << 52) | (mantissa & 0x000FFFFFFFFFFFFFULL)
                          | ((<uint64_t>1 << 63) if negative else 0))
    return True


cdef inline Py_ssize_t parse_number(Scan *scan, Py_ssize_t i, Number *number) noexcept nogil:
    """Parse the JSON number (or NaN / Infinity / -Infinity) at i into ``number``; returns its
    end, or -1 (an error) when no valid number starts at i."""
    cdef const unsigned char *buf = scan.buf
    cdef Py_ssize_t start = i
    cdef bint negative = buf[i] == 45
    cdef uint64_t w = 0, values
    cdef int n_significant = 0, count, digit, q = 0
    cdef int64_t exponent = 0
    cdef bint dropped_nonzero = False, dropped = False, exponent_sign, huge_exponent = False
    cdef double value, other
    number.kind = NUMBER_EXACT
    number.integer = False
    number.fits_int64 = False
    if negative:
        i += 1
    if buf[i] == 78 and not negative:  # NaN
        i = literal_end(scan, i, "NaN", 3)
        number.value = fs_from_bits(0x7FF8000000000000ULL)
        return i
    if buf[i] == 73:  # Infinity or -Infinity
        i = literal_end(scan, i, "Infinity", 8)
        number.value = -fs_from_bits(0x7FF0000000000000ULL) if negative else fs_from_bits(0x7FF0000000000000ULL)
        return i
    if buf[i] == 48:  # a lone 0 (JSON allows no leading zeros)
        i += 1
    elif 49 <= buf[i] <= 57:
        while True:  # eight digits at a time while they fit the 19 significant digits kept
            count = digit_run(fs_load64(buf + i), &values)
            if count == 0 or n_significant + count > 19:
                break
            w = w * fs_pow10_int[count] + digits_value(values, count)
            n_significant += count
            i += count
            if count < 8:
                break
        while 48 <= buf[i] <= 57:  # digits past the 19th: dropped, each one a power of ten
            digit = buf[i] - 48
            if n_significant < 19:
                w = w * 10 + digit
                n_significant += 1
            else:
                dropped = True
                dropped_nonzero = dropped_nonzero or digit != 0
                q += 1
            i += 1
    else:
        return fail(scan, E_BAD_NUMBER, start)
    number.integer = True
    if buf[i] == 46:  # '.'
        number.integer = False
        i += 1
        if not (48 <= buf[i] <= 57):
            return fail(scan, E_BAD_NUMBER, start)
        if n_significant == 0:
            while buf[i] == 48:  # "0.000123": zeros before the first significant digit
                q -= 1
                i += 1
        while True:
            count = digit_run(fs_load64(buf + i), &values)
            if count == 0 or n_significant + count > 19:
                break
            w = w * fs_pow10_int[count] + digits_value(values, count)
            n_significant += count
            q -= count
            i += count
            if count < 8:
                break
        while 48 <= buf[i] <= 57:
            digit = buf[i] - 48
            if n_significant < 19:
                w = w * 10 + digit
                n_significant += 1
                q -= 1
            else:
                dropped = True
                dropped_nonzero = dropped_nonzero or digit != 0
            i += 1
    if buf[i] == 101 or buf[i] == 69:  # 'e' or 'E'
        number.integer = False
        i += 1
        exponent_sign = buf[i] == 45
        if buf[i] == 45 or buf[i] == 43:
            i += 1
        if not (48 <= buf[i] <= 57):
            return fail(scan, E_BAD_NUMBER, start)
        while 48 <= buf[i] <= 57:
            if exponent < 100000000:
                exponent = exponent * 10 + (buf[i] - 48)
            else:
                huge_exponent = True
            i += 1
        q += <int>(-exponent if exponent_sign else exponent)
    if number.integer and not dropped:
        if negative and w <= 0x8000000000000000ULL:
            number.fits_int64 = True
            number.int_value = -<int64_t>(w - 1) - 1
        elif not negative and w <= 0x7FFFFFFFFFFFFFFFULL:
            number.fits_int64 = True
            number.int_value = <int64_t>w
    if huge_exponent or q > 100000000 or q < -100000000:
        number.kind = NUMBER_SLOW
        return i
    if w == 0:
        number.value = -0.0 if negative else 0.0
        return i
    if not dropped and w <= 9007199254740992ULL and -22 <= q <= 22:
        value = <double>w  # exact: Clinger's fast path rounds once
        if q > 0:
            value = value * fs_pow10_exact[q]
        elif q < 0:
            value = value / fs_pow10_exact[-q]
        number.value = -value if negative else value
        return i
    if not eisel_lemire(w, q, negative, &value):
        if not dropped and -27 <= q < 0 and w % fs_pow5_int[-q] == 0:
            # w * 10^q = (w / 5^-q) * 2^q exactly (a binary fraction, e.g. 3728151218663162.5): one
            # correctly rounded integer conversion, then an exact power of two
            value = fs_ldexp(<double>(w // fs_pow5_int[-q]), q)
            number.value = -value if negative else value
            return i
        number.kind = NUMBER_SLOW
        return i
    if dropped_nonzero:
        # the number lies strictly between w and w + 1 units of its 19th digit
        if not eisel_lemire(w + 1, q, negative, &other) or other != value:
            number.kind = NUMBER_SLOW
            return i
    number.value = value
    return i
