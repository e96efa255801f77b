"""Plain Python/NumPy reference implementations of the detection kernels.

Written for clarity, one detection at a time, with the same signatures as the
Numba kernels in ``_numba`` so the tests can run both on the same input.
"""
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
                      dt_box, dt_area, dt_id, dt_unmatched_ignored, iou_thrs, area_rng, codes, gt_match, dt_match):
    # sorted positions p read row gt_index[p] / dt_index[p] of the box arrays
    gt_box, gt_area, gt_crowd, gt_id = gt_box[gt_index], gt_area[gt_index], gt_crowd[gt_index], gt_id[gt_index]
    dt_box, dt_area, dt_id = dt_box[dt_index], dt_area[dt_index], dt_id[dt_index]
    dt_unmatched_ignored = dt_unmatched_ignored[dt_index]
    for grp in groups:
        gts = range(gt_lo[grp], gt_hi[grp])
        dts = range(dt_lo[grp], dt_hi[grp])
        for a, (lo, hi) in enumerate(area_rng):
            ignore = {g: bool(gt_crowd[g]) or gt_area[g] < lo or gt_area[g] > hi for g in gts}
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
