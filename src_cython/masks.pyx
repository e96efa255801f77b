# cython: language_level=3
"""Cython kernels of the mask functions (``fastscore._cy.masks``).

A set of run-length encoded (RLE) masks is two arrays: ``counts`` (uint32,
every RLE's runs one after the other, column-major, the first run of zeros)
and ``starts`` (int64, RLE i is ``counts[starts[i]:starts[i + 1]]``), with
the heights and widths beside them. The kernels follow the arithmetic of
pycocotools' ``maskApi.c`` operation for operation (unsigned 32-bit runs and
areas, C's truncating double-to-int casts, the same sort and the same
zero-run rules), so that the strings, areas, boxes and IoUs are identical;
the reference implementations are in ``fastscore/detection/_reference.py``.
The callers validate the inputs first (see ``fastscore/detection/masks.py``):
counts that add up to h * w where a kernel walks two RLEs together, finite
polygon coordinates within bounds; the kernels release the GIL.
"""
import numpy as np

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.math cimport ceil, floor
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

ctypedef unsigned int uint


cdef void *allocate(size_t size) noexcept nogil:
    return malloc(size if size > 0 else 1)


# ---------------------------------------------------------------------------------------------
# runs and their compressed strings

cdef Py_ssize_t runs_of(const uint8_t *mask, Py_ssize_t a, uint *counts) noexcept nogil:
    """The runs of one column-major mask of a values: a new run at every change of byte value
    (a mask of 0/1 alternates), the first run of zeros (possibly empty). Runs are skipped
    8 bytes at a time; a run's length is taken mod 2^32, as pycocotools' uint counter."""
    cdef Py_ssize_t j = 0, k = 0, start = 0
    cdef uint8_t previous = 0
    cdef uint64_t word, pattern = 0
    while True:
        while j + 8 <= a:
            memcpy(&word, mask + j, 8)
            if word != pattern:
                break
            j += 8
        while j < a and mask[j] == previous:  # at most 8 bytes: the change is in this word
            j += 1
        if j >= a:
            break
        counts[k] = <uint>(j - start)
        k += 1
        start = j
        previous = mask[j]
        pattern = previous * <uint64_t>0x0101010101010101
    counts[k] = <uint>(a - start)
    return k + 1


cdef Py_ssize_t string_of(const uint *counts, Py_ssize_t m, char *s) noexcept nogil:
    """COCO's compressed string: each run (from the fourth on, its difference to the run two
    before) in 5-bit groups, least significant first, 0x20 marks "more groups follow",
    the characters offset by 48. Returns the length written (at most 7 per run)."""
    cdef Py_ssize_t i, p = 0
    cdef int64_t x
    cdef bint more
    cdef char c
    for i in range(m):
        x = <int64_t>counts[i]
        if i > 2:
            x -= <int64_t>counts[i - 2]
        more = True
        while more:
            c = <char>(x & 0x1f)
            x >>= 5  # arithmetic shift: a negative difference ends in a run of 1 bits
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            s[p] = c + 48
            p += 1
    return p


cdef Py_ssize_t counts_of_string(const char *s, Py_ssize_t length, uint *counts, Py_ssize_t *bad) noexcept nogil:
    """Runs of a compressed string (the inverse of string_of); -1 with ``bad`` set to the
    position of a character outside '0'..'o' or of a run cut off at the end of the string."""
    cdef Py_ssize_t m = 0, p = 0, k
    cdef int64_t x
    cdef int c
    cdef bint more
    while p < length:
        x = 0
        k = 0
        more = True
        while more:
            if p >= length:
                bad[0] = length
                return -1
            c = <int>(<uint8_t>s[p]) - 48
            if c < 0 or c > 63:
                bad[0] = p
                return -1
            # pycocotools shifts a C int: 32-bit arithmetic, the shift count taken mod 32 as
            # the hardware does (only runs of 2^29 pixels or more need a 7th group)
            x |= <int64_t>(<int32_t>(<uint32_t>(c & 0x1f) << ((5 * k) & 31)))
            more = (c & 0x20) != 0
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= <int64_t>(<int32_t>(<uint32_t>0xffffffff << ((5 * k) & 31)))
        if m > 2:
            x += <int64_t>counts[m - 2]
        counts[m] = <uint>x
        m += 1
    return m


def encode_masks(const uint8_t[::1] flat, Py_ssize_t a, Py_ssize_t lo, Py_ssize_t hi):
    """Compressed strings of masks lo..hi of ``flat`` (mask i is flat[i * a:(i + 1) * a],
    column-major): a list of bytes."""
    cdef uint *counts = <uint *>allocate(sizeof(uint) * (a + 1))
    cdef char *text = <char *>allocate(7 * (a + 1) + 1)
    cdef Py_ssize_t i, m, length
    out = []
    if counts == NULL or text == NULL:
        free(counts)
        free(text)
        raise MemoryError()
    try:
        for i in range(lo, hi):
            with nogil:
                m = runs_of(&flat[0] + i * a if a > 0 else NULL, a, counts)
                length = string_of(counts, m, text)
            out.append(PyBytes_FromStringAndSize(text, length))
    finally:
        free(counts)
        free(text)
    return out


def strings_of_counts(const uint32_t[::1] counts, const int64_t[::1] starts, Py_ssize_t lo, Py_ssize_t hi):
    """Compressed strings of RLEs lo..hi: a list of bytes."""
    cdef Py_ssize_t i, longest = 0, length
    for i in range(lo, hi):
        longest = max(longest, starts[i + 1] - starts[i])
    cdef char *text = <char *>allocate(7 * longest + 1)
    if text == NULL:
        raise MemoryError()
    out = []
    try:
        for i in range(lo, hi):
            with nogil:
                length = string_of(<const uint *>&counts[0] + starts[i] if starts[i + 1] > starts[i] else NULL,
                                   starts[i + 1] - starts[i], text)
            out.append(PyBytes_FromStringAndSize(text, length))
    finally:
        free(text)
    return out


def counts_of_strings(list strings):
    """Runs of compressed strings (a list of bytes): (counts, starts, bad_index, bad_position),
    bad_index -1 when every string is well formed."""
    cdef Py_ssize_t n = len(strings), i, total = 0, m
    cdef Py_ssize_t bad = -1
    cdef bytes s
    for i in range(n):
        s = strings[i]  # a TypeError unless bytes
        if s is None:
            raise TypeError(f"RLE {i}: counts must be bytes, got None.")
        total += PyBytes_GET_SIZE(s)
    counts = np.empty(total, dtype=np.uint32)
    starts = np.empty(n + 1, dtype=np.int64)
    cdef uint32_t[::1] c = counts
    cdef int64_t[::1] st = starts
    cdef uint *base = <uint *>&c[0] if total > 0 else NULL
    st[0] = 0
    for i in range(n):
        s = strings[i]
        m = counts_of_string(PyBytes_AS_STRING(s), PyBytes_GET_SIZE(s), base + st[i] if base != NULL else NULL, &bad)
        if m < 0:
            return counts, starts, i, bad
        st[i + 1] = st[i] + m
    return counts[:st[n]], starts, -1, -1


# ---------------------------------------------------------------------------------------------
# masks, areas, boxes

def decode_counts(const uint32_t[::1] counts, const int64_t[::1] starts, Py_ssize_t a, Py_ssize_t lo,
                  Py_ssize_t hi, uint8_t[::1] out):
    """Masks lo..hi into ``out`` (mask i at out[i * a:(i + 1) * a], column-major); every RLE's
    counts add up to a (checked by the caller)."""
    cdef Py_ssize_t i, j, p
    cdef uint8_t value
    with nogil:
        for i in range(lo, hi):
            p = i * a
            value = 0
            for j in range(starts[i], starts[i + 1]):
                if counts[j]:
                    memset(&out[p], value, counts[j])
                    p += counts[j]
                value = 1 - value


def rle_areas(const uint32_t[::1] counts, const int64_t[::1] starts, uint32_t[::1] out):
    """Foreground pixels of each RLE: the sum of its odd runs, in uint32 as pycocotools."""
    cdef Py_ssize_t i, j
    cdef uint area
    with nogil:
        for i in range(out.shape[0]):
            area = 0
            for j in range(starts[i] + 1, starts[i + 1], 2):
                area += counts[j]
            out[i] = area


def rle_pixels(const uint32_t[::1] counts, const int64_t[::1] starts, uint64_t[::1] out):
    """Pixels each RLE's runs cover, in 64 bits (no wrap-around: for the callers' checks)."""
    cdef Py_ssize_t i, j
    cdef uint64_t total
    with nogil:
        for i in range(out.shape[0]):
            total = 0
            for j in range(starts[i], starts[i + 1]):
                total += counts[j]
            out[i] = total


cdef Py_ssize_t bbox_of(const uint *counts, Py_ssize_t m, uint h, uint w, double *bb) noexcept nogil:
    """pycocotools' rleToBbox (the release's version: the rows of every foreground run, a run
    across columns spanning the whole height); -1 if h == 0 with foreground runs."""
    cdef uint xs = w, ys = h, xe = 0, ye = 0, cc = 0, start, y_start, x_start, y_end, x_end
    cdef Py_ssize_t j
    m = (m // 2) * 2
    if m == 0:
        bb[0] = bb[1] = bb[2] = bb[3] = 0
        return 0
    for j in range(m):
        start = cc
        cc += counts[j]
        if j % 2 == 0 or counts[j] == 0:
            continue
        if h == 0:
            return -1
        y_start = start % h
        x_start = (start - y_start) // h
        y_end = (cc - 1) % h
        x_end = (cc - 1 - y_end) // h
        xs = min(xs, x_start)
        xe = max(xe, x_end)
        if x_start < x_end:
            ys = 0
            ye = h - 1
        else:
            ys = min(ys, y_start)
            ye = max(ye, y_end)
    bb[0] = xs
    bb[2] = <uint>(xe - xs + 1)
    bb[1] = ys
    bb[3] = <uint>(ye - ys + 1)
    return 0


def rle_bboxes(const uint32_t[::1] counts, const int64_t[::1] starts, const int64_t[::1] heights,
               const int64_t[::1] widths, double[:, ::1] out):
    """xywh boxes of the RLEs into ``out``; -1, or the index of an RLE of height 0 with
    foreground runs (pycocotools divides by zero there)."""
    cdef Py_ssize_t i
    cdef Py_ssize_t bad = -1
    with nogil:
        for i in range(out.shape[0]):
            if bbox_of(<const uint *>&counts[0] + starts[i] if starts[i + 1] > starts[i] else NULL,
                       starts[i + 1] - starts[i], <uint>heights[i], <uint>widths[i], &out[i, 0]) < 0:
                bad = i
                break
    return bad


# ---------------------------------------------------------------------------------------------
# IoU and merge: two RLEs walked together

cdef double iou_of(const uint *d, Py_ssize_t kd, const uint *g, Py_ssize_t kg, bint crowd) noexcept nogil:
    # intersection and union in uint32 as pycocotools; a crowd region divides by the
    # detection's area; no intersection gives 0 / 1
    cdef uint c, cd = d[0], cg = g[0], ct = 1, inter = 0, union = 0
    cdef Py_ssize_t a = 1, b = 1, j
    cdef bint vd = False, vg = False
    while ct > 0:
        c = min(cd, cg)
        if vd or vg:
            union += c
            if vd and vg:
                inter += c
        ct = 0
        cd -= c
        if not cd and a < kd:
            cd = d[a]
            a += 1
            vd = not vd
        ct += cd
        cg -= c
        if not cg and b < kg:
            cg = g[b]
            b += 1
            vg = not vg
        ct += cg
    if inter == 0:
        union = 1
    elif crowd:
        union = 0
        for j in range(1, kd, 2):
            union += d[j]
    return <double>inter / <double>union


def rle_iou(const uint32_t[::1] dt_counts, const int64_t[::1] dt_starts, const int64_t[::1] dt_h,
            const int64_t[::1] dt_w, const double[:, ::1] dt_box, const uint32_t[::1] gt_counts,
            const int64_t[::1] gt_starts, const int64_t[::1] gt_h, const int64_t[::1] gt_w,
            const double[:, ::1] gt_box, const uint8_t[::1] crowd, Py_ssize_t g_lo, Py_ssize_t g_hi,
            double[::1] out):
    """pycocotools' rleIou for ground truths g_lo..g_hi: out[g * m + d] (m detections; the
    caller reads out as an (m, n) column-major matrix). Pairs whose boxes (rle_bboxes) do not
    overlap are 0 without a walk, pairs of different image sizes -1; each RLE has at least one
    run and its runs add up to h * w (checked by the caller)."""
    cdef Py_ssize_t m = dt_box.shape[0], g, d
    cdef double w, h
    with nogil:
        for g in range(g_lo, g_hi):
            for d in range(m):
                out[g * m + d] = 0.0
                # the box pre-filter of bbIou: boxes of integers, so IoU > 0 iff they overlap
                w = min(dt_box[d, 2] + dt_box[d, 0], gt_box[g, 2] + gt_box[g, 0]) - max(dt_box[d, 0], gt_box[g, 0])
                if w <= 0:
                    continue
                h = min(dt_box[d, 3] + dt_box[d, 1], gt_box[g, 3] + gt_box[g, 1]) - max(dt_box[d, 1], gt_box[g, 1])
                if h <= 0:
                    continue
                if dt_h[d] != gt_h[g] or dt_w[d] != gt_w[g]:
                    out[g * m + d] = -1.0
                    continue
                out[g * m + d] = iou_of(<const uint *>&dt_counts[dt_starts[d]], dt_starts[d + 1] - dt_starts[d],
                                        <const uint *>&gt_counts[gt_starts[g]], gt_starts[g + 1] - gt_starts[g],
                                        crowd[g] != 0)




def string_area_and_box(bytes text, Py_ssize_t h, Py_ssize_t w, bint with_box=True):
    """(area, x, y, box w, box h) of one compressed RLE string on an h x w image, without
    arrays (pycocotools' rleArea and rleToBbox; the box is 0s unless ``with_box``); None if the
    string is not a valid compressed RLE or has foreground on an image of height 0."""
    cdef Py_ssize_t length = PyBytes_GET_SIZE(text), m, bad = -1, j
    cdef uint *counts = <uint *>allocate(sizeof(uint) * (length + 1))
    cdef uint area = 0
    cdef double bb[4]
    if counts == NULL:
        raise MemoryError()
    bb[0] = bb[1] = bb[2] = bb[3] = 0
    m = counts_of_string(PyBytes_AS_STRING(text), length, counts, &bad)
    if m < 0 or (with_box and bbox_of(counts, m, <uint>h, <uint>w, bb) < 0):
        free(counts)
        return None
    for j in range(1, m, 2):
        area += counts[j]
    free(counts)
    return area, bb[0], bb[1], bb[2], bb[3]


def group_mask_iou(const int64_t[::1] groups, const int64_t[::1] gt_lo, const int64_t[::1] gt_hi,
                   const int64_t[::1] dt_lo, const int64_t[::1] dt_hi, const int64_t[::1] gt_index,
                   const int64_t[::1] dt_index, const uint32_t[::1] gt_counts, const int64_t[::1] gt_starts,
                   const int64_t[::1] gt_h, const int64_t[::1] gt_w, const double[:, ::1] gt_box,
                   const uint32_t[::1] gt_area, const uint8_t[::1] gt_crowd, const uint32_t[::1] dt_counts,
                   const int64_t[::1] dt_starts, const int64_t[::1] dt_h, const int64_t[::1] dt_w,
                   const double[:, ::1] dt_box, const uint32_t[::1] dt_area, const int64_t[::1] pair_start,
                   double threshold, double[::1] out):
    """Mask IoU of every (detection, ground truth) pair of the listed COCO groups (see
    ``fastscore.detection._reference.group_mask_iou``): group ``grp``'s (n_d, n_g) block,
    row-major, at ``out[pair_start[grp]]``; positions p read RLE row ``dt_index[p]`` /
    ``gt_index[p]``. The values are pycocotools' rleIou (box pre-filter, -1 for different
    image sizes), except that a pair whose exact upper bound min(areas, box overlap) /
    union lower bound is below ``threshold`` is written 0 without walking its runs
    (its IoU is below the threshold too: the matching ignores both)."""
    cdef Py_ssize_t k, grp, n_g, n_d, d, g, rd, rg, p0
    cdef double w, h, overlap, smaller, larger, union
    with nogil:
        for k in range(groups.shape[0]):
            grp = groups[k]
            n_g = gt_hi[grp] - gt_lo[grp]
            n_d = dt_hi[grp] - dt_lo[grp]
            for d in range(n_d):
                rd = dt_index[dt_lo[grp] + d]
                p0 = pair_start[grp] + d * n_g
                for g in range(n_g):
                    rg = gt_index[gt_lo[grp] + g]
                    out[p0 + g] = 0.0
                    w = min(dt_box[rd, 2] + dt_box[rd, 0], gt_box[rg, 2] + gt_box[rg, 0]) - max(dt_box[rd, 0], gt_box[rg, 0])
                    if w <= 0:
                        continue
                    h = min(dt_box[rd, 3] + dt_box[rd, 1], gt_box[rg, 3] + gt_box[rg, 1]) - max(dt_box[rd, 1], gt_box[rg, 1])
                    if h <= 0:
                        continue
                    if dt_h[rd] != gt_h[rg] or dt_w[rd] != gt_w[rg]:
                        out[p0 + g] = -1.0
                        continue
                    if threshold > 0:
                        # the intersection is at most the smaller area and the boxes' overlap; the
                        # union at least the larger area (a crowd region: the detection's area)
                        overlap = w * h
                        smaller = <double>min(dt_area[rd], gt_area[rg])
                        larger = <double>max(dt_area[rd], gt_area[rg])
                        union = <double>dt_area[rd] if gt_crowd[rg] else larger
                        if union <= 0 or min(smaller, overlap) / union < threshold:
                            continue
                    out[p0 + g] = iou_of(<const uint *>&dt_counts[dt_starts[rd]], dt_starts[rd + 1] - dt_starts[rd],
                                         <const uint *>&gt_counts[gt_starts[rg]], gt_starts[rg + 1] - gt_starts[rg],
                                         gt_crowd[rg] != 0)


cdef Py_ssize_t merge_walk(const uint32_t *counts, const int64_t *starts, Py_ssize_t first, Py_ssize_t last,
                           bint intersect, uint *merged, uint *previous) noexcept nogil:
    """pycocotools' rleMerge of RLEs first..last-1 (at least one) into ``merged`` (returns its
    number of runs); ``merged`` and ``previous`` hold the runs of all of them plus one."""
    cdef Py_ssize_t i, ka, kb, a, b, m
    cdef uint *swap
    cdef const uint *B
    cdef uint c, ca, cb, cc, ct
    cdef bint v, va, vb, vp
    m = starts[first + 1] - starts[first]
    for a in range(m):
        merged[a] = counts[starts[first] + a]
    for i in range(first + 1, last):
        swap = previous
        previous = merged
        merged = swap
        ka = m
        B = <const uint *>&counts[starts[i]]
        kb = starts[i + 1] - starts[i]
        ca = previous[0]
        cb = B[0]
        v = va = vb = False
        m = 0
        a = b = 1
        cc = 0
        ct = 1
        while ct > 0:
            c = min(ca, cb)
            cc += c
            ct = 0
            ca -= c
            if not ca and a < ka:
                ca = previous[a]
                a += 1
                va = not va
            ct += ca
            cb -= c
            if not cb and b < kb:
                cb = B[b]
                b += 1
                vb = not vb
            ct += cb
            vp = v
            v = (va and vb) if intersect else (va or vb)
            if v != vp or ct == 0:
                merged[m] = cc
                m += 1
                cc = 0
    if (last - first) % 2 == 0:  # an odd number of swaps: the result sits in the other buffer
        for a in range(m):
            previous[a] = merged[a]
    return m


def merge_rles(const uint32_t[::1] counts, const int64_t[::1] starts, bint intersect):
    """pycocotools' rleMerge of n >= 2 RLEs of one size (union, or intersection with
    ``intersect``), keeping the zero-length runs its walk produces; each RLE has at least one
    run and its runs add up to h * w (checked by the caller). Returns the merged counts."""
    cdef Py_ssize_t n = starts.shape[0] - 1, m, a
    # the walk emits at most one run per run read: the result so far plus the next RLE
    cdef Py_ssize_t size = <Py_ssize_t>(starts[n] - starts[0]) + 1
    cdef uint *merged = <uint *>allocate(sizeof(uint) * size)
    cdef uint *previous = <uint *>allocate(sizeof(uint) * size)
    if merged == NULL or previous == NULL:
        free(merged)
        free(previous)
        raise MemoryError()
    with nogil:
        m = merge_walk(&counts[0], &starts[0], 0, n, intersect, merged, previous)
    result = np.empty(m, dtype=np.uint32)
    cdef uint32_t[::1] r = result
    for a in range(m):
        r[a] = merged[a]
    free(merged)
    free(previous)
    return result


def merge_rle_groups(const uint32_t[::1] counts, const int64_t[::1] starts, const int64_t[::1] members):
    """The union of each group of RLEs (group j: RLEs members[j]..members[j + 1]-1, at least one,
    of one size, each with a run, adding up to h * w): (counts, starts), pycocotools' merge of
    each group (a group of one is copied)."""
    cdef Py_ssize_t n = members.shape[0] - 1, j, longest = 1, m, a
    for j in range(n):
        longest = max(longest, <Py_ssize_t>(starts[members[j + 1]] - starts[members[j]]) + 1)
    out = np.empty(starts[starts.shape[0] - 1] - starts[0] + n, dtype=np.uint32)
    out_starts = np.zeros(n + 1, dtype=np.int64)
    cdef uint32_t[::1] o = out
    cdef int64_t[::1] os = out_starts
    cdef uint *merged = <uint *>allocate(sizeof(uint) * longest)
    cdef uint *previous = <uint *>allocate(sizeof(uint) * longest)
    if merged == NULL or previous == NULL:
        free(merged)
        free(previous)
        raise MemoryError()
    with nogil:
        for j in range(n):
            m = merge_walk(&counts[0], &starts[0], members[j], members[j + 1], False, merged, previous)
            for a in range(m):
                o[os[j] + a] = merged[a]
            os[j + 1] = os[j] + m
    free(merged)
    free(previous)
    return out[:os[n]], out_starts


# ---------------------------------------------------------------------------------------------
# polygons

cdef void sort_uints(uint *a, Py_ssize_t n, uint *work) noexcept nogil:
    """Sort a[:n] ascending: insertion sort when short, else a byte-wise radix sort (``work`` holds n)."""
    cdef Py_ssize_t i, j, shift, total
    cdef Py_ssize_t count[256]
    cdef uint value
    cdef uint *source = a
    cdef uint *target = work
    cdef uint *swap
    if n <= 24:
        for i in range(1, n):
            value = a[i]
            j = i - 1
            while j >= 0 and a[j] > value:
                a[j + 1] = a[j]
                j -= 1
            a[j + 1] = value
        return
    for shift in range(0, 32, 8):
        memset(count, 0, sizeof(count))
        for i in range(n):
            count[(source[i] >> shift) & 255] += 1
        if count[(source[0] >> shift) & 255] == n:
            continue  # every value has this byte: nothing to move
        total = 0
        for j in range(256):
            total += count[j]
            count[j] = total - count[j]
        for i in range(n):
            j = (source[i] >> shift) & 255
            target[count[j]] = source[i]
            count[j] += 1
        swap = source
        source = target
        target = swap
    if source != a:
        memcpy(a, source, n * sizeof(uint))


cdef Py_ssize_t outline_length(const double *xy, Py_ssize_t k) noexcept nogil:
    """Points of the upsampled outline (what rasterising allocates), in 64 bits."""
    cdef Py_ssize_t j, m = 0
    cdef int x0, y0, x1, y1
    for j in range(k):
        x0 = <int>(5.0 * xy[2 * j] + .5)
        y0 = <int>(5.0 * xy[2 * j + 1] + .5)
        x1 = <int>(5.0 * xy[2 * ((j + 1) % k)] + .5)
        y1 = <int>(5.0 * xy[2 * ((j + 1) % k) + 1] + .5)
        m += max(abs(x0 - x1), abs(y0 - y1)) + 1
    return m


def polygon_outline_length(const double[::1] xy):
    """Points the rasterisation of a polygon (x0, y0, x1, y1, ...) walks, so that the caller can
    refuse outlines too long to hold."""
    return outline_length(&xy[0], xy.shape[0] // 2) if xy.shape[0] >= 2 else 0


cdef Py_ssize_t rasterise(const double *xy, Py_ssize_t k, uint h, uint w, int *x, int *y, int *u, int *v,
                          uint *a, uint *out) noexcept nogil:
    """pycocotools' rleFrPoly into ``out`` (returns the number of runs). Work arrays: x, y of
    k + 1, u, v, a of the outline length + 1."""
    cdef Py_ssize_t j, m = 0, n
    cdef int xs, xe, ys, ye, dx, dy, t, d
    cdef bint flip
    cdef double s, xd, yd
    cdef uint previous, value
    # upsample by 5 and walk the outline densely (C's truncating casts, as pycocotools)
    for j in range(k):
        x[j] = <int>(5.0 * xy[2 * j] + .5)
    x[k] = x[0]
    for j in range(k):
        y[j] = <int>(5.0 * xy[2 * j + 1] + .5)
    y[k] = y[0]
    for j in range(k):
        xs = x[j]
        xe = x[j + 1]
        ys = y[j]
        ye = y[j + 1]
        dx = abs(xe - xs)
        dy = abs(ys - ye)
        flip = (dx >= dy and xs > xe) or (dx < dy and ys > ye)
        if flip:
            t = xs
            xs = xe
            xe = t
            t = ys
            ys = ye
            ye = t
        # a repeated vertex (dx = dy = 0) gives 0 / 0 = NaN here, and its one point takes C's
        # cast of NaN, as in pycocotools on the same machine
        s = (<double>(ye - ys) / dx) if dx >= dy else (<double>(xe - xs) / dy)
        if dx >= dy:
            for d in range(dx + 1):
                t = dx - d if flip else d
                u[m] = t + xs
                v[m] = <int>(ys + s * t + .5)
                m += 1
        else:
            for d in range(dy + 1):
                t = dy - d if flip else d
                v[m] = t + ys
                u[m] = <int>(xs + s * t + .5)
                m += 1
    # the points where the outline crosses a pixel column's centre, downsampled
    n = m
    m = 0
    for j in range(1, n):
        if u[j] != u[j - 1]:
            xd = <double>(u[j] if u[j] < u[j - 1] else u[j] - 1)
            xd = (xd + .5) / 5.0 - .5
            if floor(xd) != xd or xd < 0 or xd > <double>(<size_t>w - 1):
                continue
            yd = <double>(v[j] if v[j] < v[j - 1] else v[j - 1])
            yd = (yd + .5) / 5.0 - .5
            if yd < 0:
                yd = 0
            elif yd > <double>(<size_t>h):
                yd = <double>(<size_t>h)
            yd = ceil(yd)
            x[m] = <int>xd
            y[m] = <int>yd
            m += 1
    # the crossings as column-major positions, sorted: their differences are the runs, a zero
    # run merging its neighbours
    n = m
    for j in range(n):
        a[j] = <uint>x[j] * h + <uint>y[j]  # pycocotools' int arithmetic, without its overflow
    a[n] = <uint>(<size_t>h * <size_t>w)
    n += 1
    sort_uints(a, n, <uint *>u)  # u (the outline's points) is free by now
    previous = 0
    for j in range(n):
        value = a[j]
        a[j] -= previous
        previous = value
    j = 0
    m = 0
    out[m] = a[j]
    m += 1
    j += 1
    while j < n:
        if a[j] > 0:
            out[m] = a[j]
            m += 1
            j += 1
        else:
            j += 1
            if j < n:
                out[m - 1] += a[j]
                j += 1
    return m


cdef tuple rasterise_all(const double *xy, const int64_t *offsets, Py_ssize_t n, const int64_t *heights,
                         const int64_t *widths, Py_ssize_t max_outline):
    """(counts, starts, -1) of polygons 0..n-1 of xy, or (None, None, i) when polygon i's
    outline exceeds max_outline."""
    cdef Py_ssize_t i, k, longest = 0, total = 0, most_points = 0, m, length
    for i in range(n):
        k = (offsets[i + 1] - offsets[i]) // 2
        length = outline_length(xy + offsets[i], k) if k > 0 else 0
        if length > max_outline:
            return None, None, i
        longest = max(longest, length)
        most_points = max(most_points, k)
        total += length + 2
    counts = np.empty(total, dtype=np.uint32)
    starts = np.zeros(n + 1, dtype=np.int64)
    cdef uint32_t[::1] c = counts
    cdef int64_t[::1] st = starts
    cdef int *x = <int *>allocate(sizeof(int) * (max(most_points, longest) + 1))
    cdef int *y = <int *>allocate(sizeof(int) * (max(most_points, longest) + 1))
    cdef int *u = <int *>allocate(sizeof(int) * (longest + 1))
    cdef int *v = <int *>allocate(sizeof(int) * (longest + 1))
    cdef uint *a = <uint *>allocate(sizeof(uint) * (longest + 2))
    if x == NULL or y == NULL or u == NULL or v == NULL or a == NULL:
        free(x); free(y); free(u); free(v); free(a)
        raise MemoryError()
    with nogil:
        for i in range(n):
            k = (offsets[i + 1] - offsets[i]) // 2
            m = rasterise(xy + offsets[i] if k > 0 else NULL, k, <uint>heights[i], <uint>widths[i], x, y, u, v, a,
                          <uint *>&c[0] + st[i])
            st[i + 1] = st[i] + m
    free(x); free(y); free(u); free(v); free(a)
    return counts[:st[n]], starts, -1


def rasterise_polygons(const double[::1] xy, const int64_t[::1] offsets, const int64_t[::1] heights,
                       const int64_t[::1] widths, Py_ssize_t max_outline):
    """Runs of polygons i = 0..n-1 (coordinates xy[offsets[i]:offsets[i + 1]]) on images of
    heights[i] x widths[i]: (counts, starts, -1), or (None, None, i) when polygon i's outline
    exceeds max_outline."""
    cdef double dummy = 0
    return rasterise_all(&xy[0] if xy.shape[0] else &dummy, &offsets[0], offsets.shape[0] - 1, &heights[0],
                         &widths[0], max_outline)


def rasterise_polygon_lists(list polygons, Py_ssize_t h, Py_ssize_t w, Py_ssize_t max_outline,
                            double max_coordinate):
    """rasterise_polygons of Python lists of floats or ints on one h x w image, read and
    checked here (an even number, at least 6, of finite coordinates within +-max_coordinate):
    (counts, starts, -1); (None, None, i) when polygon i breaks a rule or its outline is too
    long; (None, None, -2) when an item is not a plain list of numbers (the caller converts)."""
    cdef Py_ssize_t n = len(polygons), i, j, k, total = 0
    cdef object p, item
    cdef double value
    for i in range(n):
        p = polygons[i]
        if type(p) is not list:
            return None, None, -2
        k = len(<list>p)
        if k % 2 or k < 6:
            return None, None, i
        total += k
    cdef double *xy = <double *>allocate(sizeof(double) * total)
    cdef int64_t *offsets = <int64_t *>allocate(sizeof(int64_t) * (n + 1))
    cdef int64_t *sizes = <int64_t *>allocate(sizeof(int64_t) * (2 * n + 1))
    if xy == NULL or offsets == NULL or sizes == NULL:
        free(xy); free(offsets); free(sizes)
        raise MemoryError()
    try:
        offsets[0] = 0
        for i in range(n):
            p = polygons[i]
            k = len(<list>p)
            for j in range(k):
                item = (<list>p)[j]
                if type(item) is float:
                    value = <double>item
                elif type(item) is int:
                    value = <double>item
                else:
                    return None, None, -2
                if not (-max_coordinate <= value <= max_coordinate):  # NaN fails too
                    return None, None, i
                xy[offsets[i] + j] = value
            offsets[i + 1] = offsets[i] + k
            sizes[i] = h
            sizes[n + i] = w
        return rasterise_all(xy, offsets, n, sizes, sizes + n, max_outline)
    finally:
        free(xy); free(offsets); free(sizes)
