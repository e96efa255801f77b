"""Plain Python/NumPy reference implementations of the detection kernels.

Written for clarity, one detection at a time, with the same signatures as the
Numba kernels in ``_numba`` so the tests can run both on the same input.
"""
import math

import numpy as np

IGNORED, TRUE_POSITIVE, FALSE_POSITIVE = 0, 1, 2


def iou_xywh(d, g, crowd):
    """IoU of two xywh boxes as pycocotools computes it (no +1 pixel)."""
    w = min(d[2] + d[0], g[2] + g[0]) - max(d[0], g[0])
    h = min(d[3] + d[1], g[3] + g[1]) - max(d[1], g[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    # a crowd region: the fraction of the detection that lies inside it
    union = d[2] * d[3] if crowd else d[2] * d[3] + g[2] * g[3] - inter
    return inter / union


def box_iou_xywh(det, gt, crowd, out):
    for i in range(det.shape[0]):
        for j in range(gt.shape[0]):
            out[i, j] = iou_xywh(det[i], gt[j], bool(crowd[j]))
    return out


def coco_match_groups(groups, gt_lo, gt_hi, dt_lo, dt_hi, gt_index, dt_index, gt_box, gt_area, gt_crowd, gt_id,
                      dt_box, dt_area, dt_id, dt_unmatched_ignored, gt_ignored, pair_iou, pair_start, iou_thrs,
                      area_rng, codes, gt_match, dt_match):
    # sorted positions p read row gt_index[p] / dt_index[p] of the box arrays
    gt_ignored = gt_ignored[gt_index]
    gt_box, gt_area, gt_crowd, gt_id = gt_box[gt_index], gt_area[gt_index], gt_crowd[gt_index], gt_id[gt_index]
    dt_box, dt_area, dt_id = dt_box[dt_index], dt_area[dt_index], dt_id[dt_index]
    dt_unmatched_ignored = dt_unmatched_ignored[dt_index]
    for grp in groups:
        gts = range(gt_lo[grp], gt_hi[grp])
        dts = range(dt_lo[grp], dt_hi[grp])
        if len(pair_start):  # given IoUs (masks, keypoints): the group's (n_d, n_g) block
            block = pair_iou[pair_start[grp]:pair_start[grp] + len(dts) * len(gts)].reshape(len(dts), len(gts))
        for a, (lo, hi) in enumerate(area_rng):
            ignore = {g: bool(gt_ignored[g]) or gt_area[g] < lo or gt_area[g] > hi for g in gts}
            ordered = [g for g in gts if not ignore[g]] + [g for g in gts if ignore[g]]
            for t, thr in enumerate(iou_thrs):
                taken = set()
                for d in dts:
                    best, match = min(thr, 1 - 1e-10), None
                    for g in ordered:
                        if g in taken and not gt_crowd[g]:
                            continue
                        if match is not None and not ignore[match] and ignore[g]:
                            break  # a match to a regular ground truth beats any ignored one
                        if len(pair_start):
                            iou = block[d - dt_lo[grp], g - gt_lo[grp]]
                        else:
                            iou = iou_xywh(dt_box[d], gt_box[g], bool(gt_crowd[g]))
                        if iou < best:
                            continue
                        best, match = iou, g
                    # unmatched: ignored outside the area range (or, LVIS, in a non-exhaustive category)
                    outside = dt_area[d] < lo or dt_area[d] > hi or bool(dt_unmatched_ignored[d])
                    if match is None:
                        codes[d, t, a] = IGNORED if outside else FALSE_POSITIVE
                        continue
                    if dt_id[d] > 0:
                        taken.add(match)
                        gt_match[match, t, a] = d
                    if dt_match.shape[0] > 0:
                        dt_match[d, t, a] = match
                    if ignore[match]:
                        codes[d, t, a] = IGNORED
                    elif gt_id[match] != 0:
                        codes[d, t, a] = TRUE_POSITIVE
                    else:  # pycocotools reads a match to ground-truth id 0 as no match
                        codes[d, t, a] = IGNORED if outside else FALSE_POSITIVE


def coco_accumulate(cat_lo, cat_hi, cat_start, order, codes, rank, scores, max_dets, n_positive,
                    rec_thrs, precision, recall, score_out):
    for k in range(cat_lo, cat_hi):
        members = order[cat_start[k]:cat_start[k + 1]]
        members = members[np.argsort(-scores[members], kind="stable")]
        for a in range(codes.shape[2]):
            npig = n_positive[k, a]
            if npig == 0:
                continue
            for m, max_det in enumerate(max_dets):
                kept = members[rank[members] < max_det]
                for t in range(codes.shape[1]):
                    c = codes[kept, t, a]
                    tp = np.cumsum(c == TRUE_POSITIVE).astype(float)
                    fp = np.cumsum(c == FALSE_POSITIVE).astype(float)
                    rc = tp / npig
                    pr = tp / (fp + tp + np.spacing(1))
                    recall[k, a, m, t] = rc[-1] if len(kept) else 0
                    pr = np.maximum.accumulate(pr[::-1])[::-1]
                    q = np.zeros(len(rec_thrs))
                    ss = np.zeros(len(rec_thrs))
                    for r, i in enumerate(np.searchsorted(rc, rec_thrs, side="left")):
                        if i >= len(kept):
                            break
                        q[r] = pr[i]
                        ss[r] = scores[kept[i]]
                    precision[k, a, m, t] = q
                    score_out[k, a, m, t] = ss


def box_iou_corners(b1, area1, b2, area2, crowd, row_lo, row_hi, out):
    """IoU of corner boxes (x1, y1, x2, y2) with their areas, rows row_lo..row_hi."""
    for i in range(row_lo, row_hi):
        for j in range(b2.shape[0]):
            w = min(b1[i, 2], b2[j, 2]) - max(b1[i, 0], b2[j, 0])
            h = min(b1[i, 3], b2[j, 3]) - max(b1[i, 1], b2[j, 1])
            if w <= 0 or h <= 0:
                out[i, j] = 0.0
                continue
            inter = w * h
            out[i, j] = inter / (area1[i] if crowd[j] else area1[i] + area2[j] - inter)


def linear_sum_assignment_batch(costs, n_rows, n_cols, lo, hi, col_out, ok):
    """Problems lo..hi of a padded batch solved one by one with scipy (an independent oracle:
    among several optimal assignments it may pick another one than the compiled kernels)."""
    from scipy.optimize import linear_sum_assignment

    for b in range(lo, hi):
        cost = costs[b, :n_rows[b], :n_cols[b]]
        transpose = n_cols[b] < n_rows[b]
        try:
            rows, cols = linear_sum_assignment(cost.T if transpose else cost)
        except ValueError:  # infeasible
            ok[b] = False
            continue
        ok[b] = True
        col_out[b, rows] = cols


def group_sort(keys, n_keys, values, sort_runs=True):
    """(order, starts): the stable order by (key, value), or by key alone."""
    order = np.lexsort((values, keys)) if sort_runs else np.argsort(keys, kind="stable")
    return order.astype(np.int64), np.searchsorted(keys[order], np.arange(n_keys + 1)).astype(np.int64)


def greedy_cross_match(dt_box, dt_lo, dt_hi, gt_box, gt_lo, gt_hi, iou_threshold, dt_match):
    """Per image, each detection in turn takes the free ground truth of highest IoU (the later
    of equals) when that IoU reaches the threshold."""
    for img in range(len(dt_lo)):
        taken = set()
        for d in range(dt_lo[img], dt_hi[img]):
            best, match = iou_threshold, -1
            for g in range(gt_lo[img], gt_hi[img]):
                if g in taken:
                    continue
                iou = iou_xywh(dt_box[d], gt_box[g], False)
                if iou >= best:
                    best, match = iou, g
            if match >= 0:
                taken.add(match)
                dt_match[d] = match


def box_table_problems(bbox, area, score):
    """The first row of each problem (non-finite coordinate, negative size, non-finite area,
    non-finite score), -1 where none."""
    def first(flags):
        hits = np.flatnonzero(flags)
        return int(hits[0]) if hits.size else -1

    return np.array([first(~np.isfinite(bbox).all(axis=1)), first((bbox[:, 2] < 0) | (bbox[:, 3] < 0)),
                     first(~np.isfinite(area)), first(~np.isfinite(score))], dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# masks: pycocotools' maskApi.c, written out in Python with the same arithmetic (runs and areas
# in uint32, C's truncating casts); the same signatures as the kernels in src_cython/masks.pyx

_U32 = 0xFFFFFFFF


def _c_int(value: float) -> int:
    """C's (int) cast of a double on x86-64: truncation, and INT_MIN for NaN or out of range."""
    if value != value or not -2.0 ** 31 < value < 2.0 ** 31:
        return -(2 ** 31)
    return int(value)


def _runs(mask) -> list:
    runs, count, previous = [], 0, 0
    for value in mask:
        if value != previous:
            runs.append(count)
            count, previous = 0, value
        count += 1
    runs.append(count)
    return runs


def _string(runs) -> bytes:
    out = bytearray()
    for i, run in enumerate(runs):
        x = run - runs[i - 2] if i > 2 else run
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = x != -1 if c & 0x10 else x != 0
            out.append((c | 0x20 if more else c) + 48)
    return bytes(out)


def _string_runs(text: bytes):
    """Runs of a compressed string, or the position of its first bad character."""
    runs, p = [], 0
    while p < len(text):
        x, k, more = 0, 0, True
        while more:
            if p >= len(text):
                return None, len(text)
            c = text[p] - 48
            if not 0 <= c <= 63:
                return None, p
            part = ((c & 0x1F) << ((5 * k) & 31)) & _U32  # a 32-bit C int, shift count mod 32
            x |= part - (1 << 32) if part >> 31 else part
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                fill = (_U32 << ((5 * k) & 31)) & _U32
                x |= fill - (1 << 32) if fill >> 31 else fill
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x & _U32)
    return runs, -1


def _split(counts, starts, i) -> list:
    return [int(c) for c in counts[starts[i]:starts[i + 1]]]


def encode_masks(flat, a, lo, hi):
    return [_string(_runs(flat[i * a:(i + 1) * a].tolist())) for i in range(lo, hi)]


def strings_of_counts(counts, starts, lo, hi):
    return [_string(_split(counts, starts, i)) for i in range(lo, hi)]


def counts_of_strings(strings):
    all_runs, starts = [], [0]
    for i, text in enumerate(strings):
        if not isinstance(text, bytes):
            raise TypeError(f"RLE {i}: counts must be bytes, got {type(text).__name__}.")
        runs, bad = _string_runs(text)
        if runs is None:
            return (np.array(all_runs, dtype=np.uint32), np.array(starts + [starts[-1]] * (len(strings) - i),
                                                                  dtype=np.int64), i, bad)
        all_runs += runs
        starts.append(len(all_runs))
    return np.array(all_runs, dtype=np.uint32), np.array(starts, dtype=np.int64), -1, -1


def decode_counts(counts, starts, a, lo, hi, out):
    for i in range(lo, hi):
        values = [j % 2 for j, run in enumerate(_split(counts, starts, i)) for _ in range(run)]
        out[i * a:(i + 1) * a] = values
    return out


def rle_areas(counts, starts, out):
    for i in range(len(out)):
        out[i] = sum(_split(counts, starts, i)[1::2]) & _U32
    return out


def rle_pixels(counts, starts, out):
    for i in range(len(out)):
        out[i] = sum(_split(counts, starts, i))
    return out


def _bbox(runs, h, w):
    m = len(runs) // 2 * 2
    if m == 0:
        return [0.0, 0.0, 0.0, 0.0]
    xs, ys, xe, ye, cc = w, h, 0, 0, 0
    for j in range(m):
        start, cc = cc, (cc + runs[j]) & _U32
        if j % 2 == 0 or runs[j] == 0:
            continue
        if h == 0:
            return None
        x_start, x_end = start // h, ((cc - 1) & _U32) // h
        xs, xe = min(xs, x_start), max(xe, x_end)
        if x_start < x_end:  # a run across columns: the whole height
            ys, ye = 0, h - 1
        else:
            ys, ye = min(ys, start % h), max(ye, ((cc - 1) & _U32) % h)
    return [float(xs), float(ys), float((xe - xs + 1) & _U32), float((ye - ys + 1) & _U32)]


def rle_bboxes(counts, starts, heights, widths, out):
    for i in range(len(out)):
        box = _bbox(_split(counts, starts, i), int(heights[i]), int(widths[i]))
        if box is None:
            return i
        out[i] = box
    return -1


def _walk(a_runs, b_runs):
    """Yield (pixels, in a, in b) for the stretches where neither RLE changes value, as
    pycocotools' two-run walk visits them (zero-length stretches included)."""
    ca, cb, ia, ib, va, vb = a_runs[0], b_runs[0], 1, 1, False, False
    while True:
        c = min(ca, cb)
        ca -= c
        cb -= c
        if not ca and ia < len(a_runs):
            ca, ia, va_next = a_runs[ia], ia + 1, not va
        else:
            va_next = va
        if not cb and ib < len(b_runs):
            cb, ib, vb_next = b_runs[ib], ib + 1, not vb
        else:
            vb_next = vb
        yield c, va, vb, va_next, vb_next, ca + cb
        va, vb = va_next, vb_next
        if ca + cb == 0:
            return


def rle_iou(dt_counts, dt_starts, dt_h, dt_w, dt_box, gt_counts, gt_starts, gt_h, gt_w, gt_box, crowd, g_lo, g_hi,
            out):
    m = len(dt_box)
    for g in range(g_lo, g_hi):
        for d in range(m):
            out[g * m + d] = 0.0
            if iou_xywh(dt_box[d], gt_box[g], False) <= 0:
                continue  # boxes that do not overlap: mask IoU 0 (pycocotools' pre-filter)
            if dt_h[d] != gt_h[g] or dt_w[d] != gt_w[g]:
                out[g * m + d] = -1.0
                continue
            d_runs, g_runs = _split(dt_counts, dt_starts, d), _split(gt_counts, gt_starts, g)
            inter = union = 0
            for c, vd, vg, _, _, _ in _walk(d_runs, g_runs):
                if vd or vg:
                    union = (union + c) & _U32
                if vd and vg:
                    inter = (inter + c) & _U32
            if inter == 0:
                union = 1
            elif crowd[g]:
                union = sum(d_runs[1::2]) & _U32
            out[g * m + d] = inter / union
    return out



def group_mask_iou(groups, gt_lo, gt_hi, dt_lo, dt_hi, gt_index, dt_index, gt_counts, gt_starts, gt_h, gt_w,
                   gt_box, gt_area, gt_crowd, dt_counts, dt_starts, dt_h, dt_w, dt_box, dt_area, pair_start,
                   threshold, out):
    """Mask IoU of each group's (detection, ground truth) pairs into its (n_d, n_g) block of
    ``out``: pycocotools' rleIou, with pairs that cannot reach ``threshold`` written 0."""
    for grp in groups:
        n_g = gt_hi[grp] - gt_lo[grp]
        for d in range(dt_hi[grp] - dt_lo[grp]):
            rd = dt_index[dt_lo[grp] + d]
            for g in range(n_g):
                rg = gt_index[gt_lo[grp] + g]
                value = np.zeros(1)
                overlap = iou_xywh(dt_box[rd], gt_box[rg], False)
                if overlap > 0 and (dt_h[rd] != gt_h[rg] or dt_w[rd] != gt_w[rg]):
                    value[0] = -1.0
                elif overlap > 0:
                    x_overlap = min(dt_box[rd, 0] + dt_box[rd, 2], gt_box[rg, 0] + gt_box[rg, 2]) - max(dt_box[rd, 0], gt_box[rg, 0])
                    y_overlap = min(dt_box[rd, 1] + dt_box[rd, 3], gt_box[rg, 1] + gt_box[rg, 3]) - max(dt_box[rd, 1], gt_box[rg, 1])
                    union = float(dt_area[rd]) if gt_crowd[rg] else float(max(dt_area[rd], gt_area[rg]))
                    bound = min(float(min(dt_area[rd], gt_area[rg])), x_overlap * y_overlap) / union if union > 0 else 0.0
                    if threshold <= 0 or bound >= threshold:
                        rle_iou(dt_counts[dt_starts[rd]:dt_starts[rd + 1]], np.array([0, dt_starts[rd + 1] - dt_starts[rd]]),
                                dt_h[rd:rd + 1], dt_w[rd:rd + 1], dt_box[rd:rd + 1],
                                gt_counts[gt_starts[rg]:gt_starts[rg + 1]], np.array([0, gt_starts[rg + 1] - gt_starts[rg]]),
                                gt_h[rg:rg + 1], gt_w[rg:rg + 1], gt_box[rg:rg + 1], gt_crowd[rg:rg + 1], 0, 1, value)
                out[pair_start[grp] + d * n_g + g] = value[0]


def merge_rle_groups(counts, starts, members):
    parts = []
    for j in range(len(members) - 1):
        lo, hi = members[j], members[j + 1]
        if hi - lo == 1:
            parts.append(np.asarray(counts[starts[lo]:starts[lo + 1]], np.uint32))
        else:
            parts.append(merge_rles(counts[starts[lo]:starts[hi]], starts[lo:hi + 1] - starts[lo], False))
    out_starts = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=out_starts[1:])
    return (np.concatenate(parts).astype(np.uint32) if parts else np.zeros(0, np.uint32)), out_starts


def merge_rles(counts, starts, intersect):
    merged = _split(counts, starts, 0)
    for i in range(1, len(starts) - 1):
        result, run, value = [], 0, False
        for c, _, _, va, vb, left in _walk(merged, _split(counts, starts, i)):
            run = (run + c) & _U32
            previous, value = value, (va and vb) if intersect else (va or vb)
            if value != previous or left == 0:
                result.append(run)
                run = 0
        merged = result
    return np.array(merged, dtype=np.uint32)


def polygon_outline_length(xy):
    k = len(xy) // 2
    x = [_c_int(5.0 * xy[2 * j] + .5) for j in range(k)]
    y = [_c_int(5.0 * xy[2 * j + 1] + .5) for j in range(k)]
    return sum(max(abs(x[j] - x[(j + 1) % k]), abs(y[j] - y[(j + 1) % k])) + 1 for j in range(k))


def polygon_counts(xy, h, w):
    k = len(xy) // 2
    # upsample by 5 and walk the outline densely, as pycocotools (C's casts)
    x = [_c_int(5.0 * float(xy[2 * j]) + .5) for j in range(k)]
    y = [_c_int(5.0 * float(xy[2 * j + 1]) + .5) for j in range(k)]
    x, y = x + x[:1], y + y[:1]
    u, v = [], []
    for j in range(k):
        xs, xe, ys, ye = x[j], x[j + 1], y[j], y[j + 1]
        dx, dy = abs(xe - xs), abs(ys - ye)
        flip = (dx >= dy and xs > xe) or (dx < dy and ys > ye)
        if flip:
            xs, xe, ys, ye = xe, xs, ye, ys
        if dx >= dy:
            s = (ye - ys) / dx if dx else float("nan")  # a repeated vertex: 0 / 0 in C
            for d in range(dx + 1):
                t = dx - d if flip else d
                u.append(t + xs)
                v.append(_c_int(ys + s * t + .5))
        else:
            s = (xe - xs) / dy
            for d in range(dy + 1):
                t = dy - d if flip else d
                v.append(t + ys)
                u.append(_c_int(xs + s * t + .5))
    # where the outline crosses a pixel column's centre, downsampled
    upper_x = float((w - 1) % 2 ** 64)  # C's unsigned w - 1 (w = 0 wraps)
    positions = []
    for j in range(1, len(u)):
        if u[j] == u[j - 1]:
            continue
        xd = (float(u[j] if u[j] < u[j - 1] else u[j] - 1) + .5) / 5.0 - .5
        if math.floor(xd) != xd or xd < 0 or xd > upper_x:
            continue
        yd = (float(min(v[j], v[j - 1])) + .5) / 5.0 - .5
        yd = math.ceil(min(max(yd, 0.0), float(h)))
        positions.append((int(xd) * h + int(yd)) & _U32)
    positions.append((h * w) & _U32)
    positions.sort()
    runs = [b - a for a, b in zip([0] + positions[:-1], positions)]
    out, j = [runs[0]], 1
    while j < len(runs):  # a zero run joins its two neighbours
        if runs[j] > 0:
            out.append(runs[j])
            j += 1
        else:
            j += 1
            if j < len(runs):
                out[-1] += runs[j]
                j += 1
    return np.array(out, dtype=np.uint32)


def rasterise_polygons(xy, offsets, heights, widths, max_outline):
    parts = []
    for i in range(len(offsets) - 1):
        polygon = xy[offsets[i]:offsets[i + 1]]
        if polygon_outline_length(polygon) > max_outline:
            return None, None, i
        parts.append(polygon_counts(polygon, int(heights[i]), int(widths[i])))
    starts = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=starts[1:])
    return (np.concatenate(parts).astype(np.uint32) if parts else np.zeros(0, np.uint32)), starts, -1


# --------------------------------------------------------------------------- keypoint similarity

def _oks_pair_exponents(g_kp, g_box, g_area, d_kp, variances):
    """pycocotools' computeOks exponents of one (detection, ground truth) pair, as NumPy computes them."""
    xg, yg, vg = g_kp[0::3], g_kp[1::3], g_kp[2::3]
    xd, yd = d_kp[0::3], d_kp[1::3]
    visible = vg > 0
    if visible.any():
        dx, dy = xd - xg, yd - yg
    else:
        x0, x1 = g_box[0] - g_box[2], g_box[0] + g_box[2] * 2
        y0, y1 = g_box[1] - g_box[3], g_box[1] + g_box[3] * 2
        zero = np.zeros(len(variances))
        dx = np.maximum(zero, x0 - xd) + np.maximum(zero, xd - x1)
        dy = np.maximum(zero, y0 - yd) + np.maximum(zero, yd - y1)
    e = (dx ** 2 + dy ** 2) / variances / (g_area + np.spacing(1)) / 2
    return e[visible] if visible.any() else e


def oks_term_counts(groups, gt_lo, gt_hi, dt_lo, dt_hi, gt_index, gt_kp, term_start):
    term_start[0] = 0
    for j, grp in enumerate(groups):
        visible = (gt_kp[gt_index[gt_lo[grp]:gt_hi[grp]], 2::3] > 0).sum(axis=1)
        per_detection = int(np.where(visible > 0, visible, gt_kp.shape[1] // 3).sum())
        term_start[j + 1] = term_start[j] + per_detection * (dt_hi[grp] - dt_lo[grp])


def oks_exponents(groups, gt_lo, gt_hi, dt_lo, dt_hi, gt_index, dt_index, gt_kp, gt_box, gt_area, dt_kp,
                  variances, term_start, out):
    for j, grp in enumerate(groups):
        p = term_start[j]
        for d in dt_index[dt_lo[grp]:dt_hi[grp]]:
            for g in gt_index[gt_lo[grp]:gt_hi[grp]]:
                e = _oks_pair_exponents(gt_kp[g], gt_box[g], gt_area[g], dt_kp[d], variances)
                out[p:p + len(e)] = e
                p += len(e)


def oks_means(groups, gt_lo, gt_hi, dt_lo, dt_hi, gt_index, gt_kp, terms, term_start, pair_start, out):
    k = gt_kp.shape[1] // 3
    for j, grp in enumerate(groups):
        p = term_start[j]
        n_g = gt_hi[grp] - gt_lo[grp]
        for d in range(dt_hi[grp] - dt_lo[grp]):
            for g in range(n_g):
                visible = int((gt_kp[gt_index[gt_lo[grp] + g], 2::3] > 0).sum())
                c = visible if visible > 0 else k
                out[pair_start[grp] + d * n_g + g] = np.sum(terms[p:p + c]) / c
                p += c


def string_area_and_box(text, h, w, with_box=True):
    counts, starts, bad, _ = counts_of_strings([text])
    if bad >= 0:
        return None
    box = np.zeros((1, 4))
    if with_box and rle_bboxes(counts, starts, np.array([h]), np.array([w]), box) >= 0:
        return None
    return int(counts[1::2].sum(dtype=np.uint64)) & _U32, *box[0].tolist()


def rasterise_polygon_lists(polygons, h, w, max_outline, max_coordinate):
    for i, p in enumerate(polygons):
        if type(p) is not list or any(type(v) not in (float, int) for v in p):
            return None, None, -2
        if len(p) % 2 or len(p) < 6 or not all(-max_coordinate <= v <= max_coordinate for v in p):
            return None, None, i
    offsets = np.zeros(len(polygons) + 1, np.int64)
    np.cumsum([len(p) for p in polygons], out=offsets[1:])
    xy = np.array([v for p in polygons for v in p], dtype=np.float64)
    n = len(polygons)
    return rasterise_polygons(xy, offsets, np.full(n, h, np.int64), np.full(n, w, np.int64), max_outline)
