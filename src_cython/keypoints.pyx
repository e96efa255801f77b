# cython: language_level=3
"""Cython kernels of COCO's keypoint similarity (OKS) (``fastscore._cy.keypoints``).

pycocotools' ``computeOks`` in two passes around NumPy's ``exp`` (so that the
exponentials are NumPy's own, bit for bit): ``oks_exponents`` writes, for each
(detection, ground truth) pair of the listed groups, the exponents
``e = (dx**2 + dy**2) / var / (area + eps) / 2`` of the keypoints that count
(the visible ones, or all of them measured to the ground truth's doubled box
when none is visible); the caller replaces them by ``exp(-e)``;
``oks_means`` sums them in NumPy's pairwise order and divides by their number.
The reference implementations are in ``fastscore/detection/_reference.py``.
"""
from libc.stdint cimport int64_t
from numpy_sums cimport pairwise_sum

# np.spacing(1): pycocotools adds it to the ground truth's area
cdef double EPSILON = 2.220446049250313e-16


cdef inline Py_ssize_t counted(const double[:, ::1] kp, Py_ssize_t row, Py_ssize_t k) noexcept nogil:
    """Keypoints a ground truth's OKS averages over: the visible ones, or all k if none is."""
    cdef Py_ssize_t j, n = 0
    for j in range(k):
        if kp[row, 3 * j + 2] > 0:
            n += 1
    return n if n > 0 else k


def oks_term_counts(const int64_t[::1] groups, const int64_t[::1] gt_lo, const int64_t[::1] gt_hi,
                    const int64_t[::1] dt_lo, const int64_t[::1] dt_hi, const int64_t[::1] gt_index,
                    const double[:, ::1] gt_kp, int64_t[::1] term_start):
    """term_start[j]: where group groups[j]'s exponents start (j = 0..len(groups)); a pair of
    the group has one per counted keypoint of its ground truth."""
    cdef Py_ssize_t j, grp, g, k = gt_kp.shape[1] // 3, per_detection
    with nogil:
        term_start[0] = 0
        for j in range(groups.shape[0]):
            grp = groups[j]
            per_detection = 0
            for g in range(gt_lo[grp], gt_hi[grp]):
                per_detection += counted(gt_kp, gt_index[g], k)
            term_start[j + 1] = term_start[j] + per_detection * (dt_hi[grp] - dt_lo[grp])


def oks_exponents(const int64_t[::1] groups, const int64_t[::1] gt_lo, const int64_t[::1] gt_hi,
                  const int64_t[::1] dt_lo, const int64_t[::1] dt_hi, const int64_t[::1] gt_index,
                  const int64_t[::1] dt_index, const double[:, ::1] gt_kp, const double[:, ::1] gt_box,
                  const double[::1] gt_area, const double[:, ::1] dt_kp, const double[::1] variances,
                  const int64_t[::1] term_start, double[::1] out):
    """The exponents of every pair of groups[j], from out[term_start[j]] on, detection-major
    (pairs in (n_d, n_g) row-major order), each pair's keypoints in order."""
    cdef Py_ssize_t j, grp, d, g, rd, rg, i, p, k = variances.shape[0], n_visible
    cdef double x0, x1, y0, y1, dx, dy, xd, yd, scale
    with nogil:
        for j in range(groups.shape[0]):
            grp = groups[j]
            p = term_start[j]
            for d in range(dt_hi[grp] - dt_lo[grp]):
                rd = dt_index[dt_lo[grp] + d]
                for g in range(gt_hi[grp] - gt_lo[grp]):
                    rg = gt_index[gt_lo[grp] + g]
                    scale = gt_area[rg] + EPSILON
                    n_visible = 0
                    for i in range(k):
                        if gt_kp[rg, 3 * i + 2] > 0:
                            n_visible += 1
                    if n_visible > 0:
                        for i in range(k):
                            if gt_kp[rg, 3 * i + 2] > 0:
                                dx = dt_kp[rd, 3 * i] - gt_kp[rg, 3 * i]
                                dy = dt_kp[rd, 3 * i + 1] - gt_kp[rg, 3 * i + 1]
                                out[p] = (dx * dx + dy * dy) / variances[i] / scale / 2
                                p += 1
                    else:
                        # no visible keypoint: the distance to the ground truth's box doubled about
                        # its centre (zero inside it)
                        x0 = gt_box[rg, 0] - gt_box[rg, 2]
                        x1 = gt_box[rg, 0] + gt_box[rg, 2] * 2
                        y0 = gt_box[rg, 1] - gt_box[rg, 3]
                        y1 = gt_box[rg, 1] + gt_box[rg, 3] * 2
                        for i in range(k):
                            xd = dt_kp[rd, 3 * i]
                            yd = dt_kp[rd, 3 * i + 1]
                            dx = max(0.0, x0 - xd) + max(0.0, xd - x1)
                            dy = max(0.0, y0 - yd) + max(0.0, yd - y1)
                            out[p] = (dx * dx + dy * dy) / variances[i] / scale / 2
                            p += 1


def oks_means(const int64_t[::1] groups, const int64_t[::1] gt_lo, const int64_t[::1] gt_hi,
              const int64_t[::1] dt_lo, const int64_t[::1] dt_hi, const int64_t[::1] gt_index,
              const double[:, ::1] gt_kp, const double[::1] terms, const int64_t[::1] term_start,
              const int64_t[::1] pair_start, double[::1] out):
    """OKS of every pair of the listed groups: the mean of its exp(-e) terms (np.sum's order,
    divided by their number), into group grp's (n_d, n_g) block at out[pair_start[grp]]."""
    cdef Py_ssize_t j, grp, d, g, n_g, c, p, k = gt_kp.shape[1] // 3
    with nogil:
        for j in range(groups.shape[0]):
            grp = groups[j]
            p = term_start[j]
            n_g = gt_hi[grp] - gt_lo[grp]
            for d in range(dt_hi[grp] - dt_lo[grp]):
                for g in range(n_g):
                    c = counted(gt_kp, gt_index[gt_lo[grp] + g], k)
                    out[pair_start[grp] + d * n_g + g] = pairwise_sum(&terms[p], c) / c
                    p += c
