"""Layout of the binned-calibration state, shared by every backend.

Per bin (last axis of ``stats``; with y in {0, 1} these are the sums of
w, w*p and w*p**2 over each outcome, what the bin-level bootstrap needs):

=====  ======================  ====================================
index  name                    sum over the samples in the bin of
=====  ======================  ====================================
0      WEIGHT                  w
1      SUM_CONF                w * p
2      SUM_OUTCOME             w * y
3      SUM_CONF_SQ             w * p**2
4      SUM_CONF_OUTCOME        w * p * y
5      SUM_CONF_SQ_OUTCOME     w * p**2 * y
=====  ======================  ====================================

``p`` is the binned probability (the positive-class probability in binary
mode, the top-label confidence, or a class's probability in classwise mode)
and ``y`` the matching 0/1 outcome. Global sums (``totals``):

=====  ============  ================================================
0      BRIER         w * per-sample Brier (sum over classes of (p_k - 1[k = y])**2)
1      CORRECT       w * 1[top-label prediction is right]
2      CONFIDENCE    w * top-label confidence (binary: max(p, 1 - p))
3      TOTAL_WEIGHT  w
=====  ============  ================================================

Sums are float64 whatever the input dtype. Compiled kernels accumulate per
chunk of rows (``chunk_size``, a function of n only) and the chunks are added
in order, so that results do not depend on the number of threads.
"""
WEIGHT, SUM_CONF, SUM_OUTCOME, SUM_CONF_SQ, SUM_CONF_OUTCOME, SUM_CONF_SQ_OUTCOME = range(6)
N_STATS = 6
BRIER, CORRECT, CONFIDENCE, TOTAL_WEIGHT = range(4)
N_TOTALS = 4

MIN_CHUNK = 1 << 16
MAX_CHUNKS = 64


def chunk_size(n: int) -> int:
    """Rows per chunk: depends on ``n`` only, never on the thread count."""
    return max(MIN_CHUNK, -(-n // MAX_CHUNKS))
