"""Plain Python twins of the comparison kernels (``src_cython/compare.pyx``), for differential tests."""
import numpy as np

_MULT = (0x2360ED051FC65DA4 << 64) | 0x4385DF649FCCF645
_M64 = (1 << 64) - 1
_M128 = (1 << 128) - 1


class _PCG64:
    def __init__(self, state_hi, state_lo, inc_hi, inc_lo):
        self.state = (int(state_hi) << 64) | int(state_lo)
        self.inc = (int(inc_hi) << 64) | int(inc_lo)

    def next(self) -> int:
        self.state = (self.state * _MULT + self.inc) & _M128
        x = ((self.state >> 64) ^ self.state) & _M64
        rot = self.state >> 122
        return ((x >> rot) | (x << ((64 - rot) & 63))) & _M64

    def bounded(self, n: int) -> int:
        m = self.next() * n
        low = m & _M64
        if low < n:
            threshold = (2 ** 64 - n) % n
            while low < threshold:
                m = self.next() * n
                low = m & _M64
        return m >> 64


class _Halves(_PCG64):
    """32-bit halves of the outputs, the low half first (NumPy's buffered uint32 draws)."""

    def __init__(self, *state):
        super().__init__(*state)
        self.buffer = None

    def next32(self) -> int:
        if self.buffer is not None:
            half, self.buffer = self.buffer >> 32, None
            return half
        self.buffer = self.next()
        return self.buffer & 0xFFFFFFFF

    def index(self, n: int) -> int:
        """As NumPy's Generator.integers(0, n)."""
        if n > 2 ** 32:
            return self.bounded(n)
        if n == 1:
            return 0
        if n == 2 ** 32:
            return self.next32()
        m = self.next32() * n
        if (m & 0xFFFFFFFF) < n:
            threshold = (0xFFFFFFFF - (n - 1)) % n
            while (m & 0xFFFFFFFF) < threshold:
                m = self.next32() * n
        return m >> 32


def pcg64_raw(state_hi, state_lo, inc_hi, inc_lo, count):
    g = _PCG64(state_hi, state_lo, inc_hi, inc_lo)
    return [g.next() for _ in range(count)]


def bootstrap_sums(values, state_hi, state_lo, inc_hi, inc_lo, out):
    g = _Halves(state_hi, state_lo, inc_hi, inc_lo)
    n, k = values.shape
    for b in range(out.shape[0]):
        acc = [0.0] * k
        for _ in range(n):
            row = g.index(n)
            for c in range(k):
                acc[c] += values[row, c]
        out[b] = acc


def poisson_sums(values, thresholds, state_hi, state_lo, inc_hi, inc_lo, out):
    g = _PCG64(state_hi, state_lo, inc_hi, inc_lo)
    n, k = values.shape
    limits = [int(t) for t in thresholds]
    for b in range(out.shape[0]):
        acc = [0.0] * k
        for j in range(n):
            u = g.next()
            w = sum(1 for t in limits if u >= t)
            if w:
                for c in range(k):
                    acc[c] += w * values[j, c]
        out[b] = acc


def signflip_sums(d, state_hi, state_lo, inc_hi, inc_lo, out):
    g = _PCG64(state_hi, state_lo, inc_hi, inc_lo)
    for b in range(out.shape[0]):
        acc, bits = 0.0, 0
        for j in range(len(d)):
            if j % 64 == 0:
                bits = g.next()
            acc = acc + d[j] if (bits >> (j % 64)) & 1 else acc - d[j]
        out[b] = acc


def bin_indices(values, inner, right, out):
    out[:] = np.searchsorted(inner, values, side="right" if right else "left")


def group_moments(group, a, b, c, d, count, sums, cross):
    x = np.column_stack([a, b, c, d])
    for i, g in enumerate(group):
        count[g] += 1.0
        sums[g] += x[i]
        cross[g] += np.triu(np.outer(x[i], x[i]))


def coco_replicate_stats(counts, n_k, n_area, n_thr, rec_thrs, curve_area, curve_head, curve_start, e_image, e_bits,
                         e_run, curve_tied, head_start, h_image, recall_area, recall_start, r_image, r_tp, pos_image,
                         pos_cell, pos_count, spec_kind, spec_combo, spec_t_start, spec_t, per_class_curve, out):
    """Twin of ``coco_replicates.coco_replicate_stats``: every copy of a detection spelled out and
    accumulated as pycocotools does (cumulative sums, searchsorted, NumPy means)."""
    eps = np.spacing(1)
    n_rec, n_curve = len(rec_thrs), len(curve_area)
    thresholds = np.arange(n_thr)
    for b, weight in enumerate(np.asarray(counts)):
        positives = np.zeros(n_k * n_area)
        np.add.at(positives, pos_cell, weight[pos_image] * pos_count)
        precision = np.full((n_curve, n_thr, n_rec, n_k), -1.0)
        recall = np.full((n_curve + len(recall_area), n_thr, n_k), -1.0)
        for c, a in enumerate(curve_area):
            for k in range(n_k):
                npig = positives[k * n_area + a]
                if npig == 0:
                    continue
                head = slice(head_start[curve_head[c] * n_k + k], head_start[curve_head[c] * n_k + k + 1])
                precision[c, :, :, k] = 0.0
                recall[c, :, k] = 0.0
                if not (weight[h_image[head]] > 0).any():
                    continue
                copies, i, end = [], curve_start[c * n_k + k], curve_start[c * n_k + k + 1]
                while i < end:  # an image drawn w times: its detections w times, copy after copy
                    copies += list(range(i, i + e_run[i])) * int(weight[e_image[i]])
                    i += e_run[i]
                copies = np.array(copies, dtype=np.int64)
                tps = ((e_bits[copies][:, None] >> thresholds.astype(np.uint64)) & 1).astype(np.int64)
                ignored = ((e_bits[copies][:, None] >> (thresholds + 32).astype(np.uint64)) & 1).astype(np.int64)
                tp_sum = np.cumsum(tps, axis=0).astype(float)
                fp_sum = np.cumsum((1 - tps) * (1 - ignored), axis=0).astype(float)
                for t in range(n_thr):
                    tp, fp = tp_sum[:, t], fp_sum[:, t]
                    rc = tp / npig
                    pr = (tp / (fp + tp + eps)).tolist()
                    recall[c, t, k] = rc[-1] if len(rc) else 0.0
                    for j in range(len(pr) - 1, 0, -1):
                        pr[j - 1] = max(pr[j - 1], pr[j])
                    for r, j in enumerate(np.searchsorted(rc, rec_thrs, side="left")):
                        if j >= len(pr):
                            break
                        precision[c, t, r, k] = pr[j]
        for c, a in enumerate(recall_area):
            for k in range(n_k):
                npig = positives[k * n_area + a]
                if npig == 0:
                    continue
                rows = slice(recall_start[c * n_k + k], recall_start[c * n_k + k + 1])
                tps = (r_tp[rows][:, None].astype(np.int64) >> thresholds) & 1
                recall[n_curve + c, :, k] = (tps * weight[r_image[rows]][:, None]).sum(axis=0) / npig
        for s in range(len(spec_kind)):
            chosen = spec_t[spec_t_start[s]:spec_t_start[s + 1]]
            if spec_kind[s] < 0:
                out[b, s] = -1.0
                continue
            values = precision[spec_combo[s]][chosen] if spec_kind[s] == 1 else recall[spec_combo[s]][chosen]
            values = values[values > -1]
            out[b, s] = np.mean(values) if values.size else -1.0
        if per_class_curve >= 0:
            for k in range(n_k):
                values = precision[per_class_curve][:, :, k]
                values = values[values > -1]
                out[b, len(spec_kind) + k] = np.mean(values) if values.size else np.nan


def repeated_images_stats(model, counts, iou_type, per_class):
    """A replicate by definition: the model's matched detections with image i's block repeated
    counts[i] times (copies side by side), accumulated and summarized as one evaluation; the
    summary stats, then detectron2's per-class AP. ``model`` is a ``compare.detection._Matched``."""
    from ..detection.coco import MatchedDetections, accumulate_matches, summarize
    from .detection import per_class_ap

    m = model.matched
    n_img = len(model.image_ids)
    block_start = np.searchsorted(model.det_image, np.arange(n_img))
    block_len = np.searchsorted(model.det_image, np.arange(n_img), side="right") - block_start
    lengths = block_len * counts
    out_start = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    owner = np.repeat(np.arange(n_img), lengths)
    index = block_start[owner] + (np.arange(int(lengths.sum())) - out_start[owner]) % np.maximum(block_len[owner], 1)
    positives = np.einsum("i,ika->ka", counts.astype(np.float64), model.positives).round().astype(np.int64)
    repeated = MatchedDetections(image_id=m.image_id[index], category_index=m.category_index[index],
                                 rank=m.rank[index], score=m.score[index], codes=m.codes[index], n_positive=positives)
    precision, recall, _ = accumulate_matches(repeated, model.core, contiguous=False)
    stats, _ = summarize(precision, recall, model.core, iou_type="keypoints" if iou_type == "keypoints" else "bbox")
    return np.concatenate([stats, per_class_ap(precision)]) if per_class else stats
