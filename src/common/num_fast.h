/*
 * Internal: the fast path of decimal parsing for the shapes data files are full of ("0.1189", "829.1", "-12",
 * "737"): at most 15 significant digits and no exponent. Then the digits form an integer w < 2^53 and the value is
 * w / 10^k with k <= 15, both exact doubles, so one IEEE division rounds it correctly (Clinger's fast path) and the
 * result equals sml_parse_double's. Returns 0 when the text is not of that shape (the caller falls back).
 */
#ifndef SML_NUM_FAST_H
#define SML_NUM_FAST_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static inline int sml_parse_decimal_fast(const char *s, size_t len, double *out)
{
    static const double p10[16] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    size_t i = 0;
    int neg = 0, nd = 0, frac = -1;
    uint64_t w = 0;
    if (len == 0 || len > 17)
        return 0;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    for (; i < len; i++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d < 10) {
            w = w * 10 + d;
            nd++;
            frac += frac >= 0;
        } else if (s[i] == '.' && frac < 0) {
            frac = 0;
        } else {
            return 0;
        }
    }
    if (nd == 0 || nd > 15)
        return 0;
    double v = (double)w;
    if (frac > 0)
        v /= p10[frac];
    *out = neg ? -v : v;
    return 1;
}
#if defined(__SSE2__) && defined(__SIZEOF_INT128__)
/* The value of 8 decimal digits (bytes 0..9, the most significant in the lowest byte): three multiplies. */
static inline uint64_t sml_swar8_digits(uint64_t v)
{
    v = v * 10 + (v >> 8);
    v = (((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
         (((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >> 32;
    return (uint32_t)v;
}
#endif

/* sml_parse_decimal_fast for text that is followed by at least 16 readable bytes (a padded buffer): the same values
 * (Clinger's fast path: at most 15 digits, one IEEE division), but the digits are checked with one 16-byte compare
 * and converted eight at a time, without a branch per character. */
static inline int sml_parse_decimal_padded(const char *s, size_t len, double *out)
{
#if defined(__SSE2__) && defined(__SIZEOF_INT128__)
    static const double p10[16] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const char *const s0 = s;
    const size_t len0 = len;
    int neg = 0;
    if (len && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++;
        len--;
    }
    if (len == 0 || len > 16)
        return sml_parse_decimal_fast(s0, len0, out);
    __m128i v = _mm_loadu_si128((const __m128i *)s);
    __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    unsigned in = (1u << len) - 1;
    unsigned dig = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d)) & in;
    unsigned dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))) & in;
    if ((dig | dot) != in || (dot & (dot - 1)) != 0)
        return 0;
    unsigned __int128 x;
    memcpy(&x, s, 16);
    size_t nd = len, frac = 0;
    if (dot) { /* close the gap the point leaves */
        unsigned pt = (unsigned)__builtin_ctz(dot);
        unsigned __int128 low = pt ? x & (((unsigned __int128)1 << (8 * pt)) - 1) : 0;
        x = pt < 15 ? low | ((x >> (8 * (pt + 1))) << (8 * pt)) : low;
        nd = len - 1;
        frac = len - 1 - pt;
    }
    if (nd == 0 || nd > 15)
        return 0;
    /* digits to values (a borrow only runs upward, into bytes past the digits), then right-aligned: the bytes
     * shifted in are leading zeros */
    const uint64_t zeros = 0x3030303030303030ull;
    uint64_t lo = (uint64_t)x - zeros, hi = (uint64_t)(x >> 64) - zeros;
    x = ((unsigned __int128)hi << 64 | lo) << (8 * (16 - nd));
    uint64_t w = sml_swar8_digits((uint64_t)x) * 100000000ull + sml_swar8_digits((uint64_t)(x >> 64));
    double r = (double)w;
    if (frac > 0)
        r /= p10[frac];
    *out = neg ? -r : r;
    return 1;
#else
    return sml_parse_decimal_fast(s, len, out);
#endif
}

#endif
