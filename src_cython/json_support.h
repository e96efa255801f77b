/* Small C helpers of the JSON reader (src_cython/coco_json.pyx): unaligned little-endian
   8-byte loads, the 64 x 64 -> 128-bit product and bit scans, with portable fallbacks. */
#ifndef FASTSCORE_JSON_SUPPORT_H
#define FASTSCORE_JSON_SUPPORT_H
#include <stdint.h>
#include <string.h>
#include <math.h>
#include "json_pow5.h"

/* the 8 bytes at p as a little-endian integer (byte p[0] lowest), whatever the alignment */
static inline uint64_t fs_load64(const unsigned char *p) {
    uint64_t word;
    memcpy(&word, p, 8);
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64(word);
#endif
    return word;
}

static inline void fs_mul128(uint64_t a, uint64_t b, uint64_t *high, uint64_t *low) {
#if defined(__SIZEOF_INT128__)
    unsigned __int128 product = (unsigned __int128)a * b;
    *high = (uint64_t)(product >> 64);
    *low = (uint64_t)product;
#else
    uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t middle = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
    *low = (middle << 32) | (p00 & 0xFFFFFFFFu);
    *high = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
#endif
}

/* leading / trailing zero bits of a non-zero word */
static inline int fs_clz64(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_clzll(x);
#else
    int n = 0;
    while (!(x & 0x8000000000000000ULL)) { x <<= 1; n++; }
    return n;
#endif
}

static inline int fs_ctz64(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(x);
#else
    int n = 0;
    while (!(x & 1)) { x >>= 1; n++; }
    return n;
#endif
}

/* eight bytes at a time: every constant repeats one byte */
#define FS_ONES 0x0101010101010101ULL
#define FS_HIGH_BITS 0x8080808080808080ULL
static const uint64_t fs_pow10_int[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
/* 5^k for k = 0..27, the powers of five below 2^64 */
static const uint64_t fs_pow5_int[28] = {1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL, 390625ULL, 1953125ULL, 9765625ULL, 48828125ULL, 244140625ULL, 1220703125ULL, 6103515625ULL, 30517578125ULL, 152587890625ULL, 762939453125ULL, 3814697265625ULL, 19073486328125ULL, 95367431640625ULL, 476837158203125ULL, 2384185791015625ULL, 11920928955078125ULL, 59604644775390625ULL, 298023223876953125ULL, 1490116119384765625ULL, 7450580596923828125ULL};
/* the powers of ten that are exact doubles (Clinger's fast path) */
static const double fs_pow10_exact[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                          1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static inline double fs_ldexp(double x, int e) { return ldexp(x, e); }

static inline double fs_from_bits(uint64_t bits) {
    double value;
    memcpy(&value, &bits, 8);
    return value;
}
#endif
