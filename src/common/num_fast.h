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
#if defined(__SSE2__)
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
 * (Clinger's fast path: one IEEE division), but the digits are checked with one 16-byte compare and the integer
 * and fraction parts (up to 8 digits each) converted eight at a time, with no branch that depends on the digits
 * or the sign. Other shapes go to sml_parse_decimal_fast. */
static inline int sml_parse_decimal_padded(const char *s, size_t len, double *out)
{
#if defined(__SSE2__)
    static const double p10[9] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
    static const uint64_t p10i[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    const uint64_t zeros = 0x3030303030303030ull;
    const char *const s0 = s;
    const size_t len0 = len;
    unsigned c0 = (unsigned char)s[0];
    uint64_t neg = c0 == '-';
    size_t sign = (size_t)((c0 == '-') | (c0 == '+'));
    s += sign;
    len -= sign;
    if (len - 1 >= 16) /* empty, or longer than one load */
        return sml_parse_decimal_fast(s0, len0, out);
    __m128i v = _mm_loadu_si128((const __m128i *)s);
    __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    unsigned in = (1u << len) - 1;
    unsigned dig = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d)) & in;
    unsigned dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))) & in;
    if ((dig | dot) != in || (dot & (dot - 1)) != 0)
        return 0;
    size_t ni = dot ? (size_t)__builtin_ctz(dot) : len; /* integer digits */
    size_t nf = dot ? len - 1 - ni : 0;                  /* fraction digits */
    if (ni > 8 || nf > 8 || ni + nf == 0)
        return sml_parse_decimal_fast(s0, len0, out);
    /* digits to values (a borrow only runs upward, into bytes past the digits), then shifted to the top of the
     * word: the bytes shifted in are leading zeros */
    uint64_t a, b;
    memcpy(&a, s, 8);
    memcpy(&b, s + ni + 1, 8);
    uint64_t ip = ni ? sml_swar8_digits((a - zeros) << (8 * (8 - ni))) : 0;
    uint64_t fp = nf ? sml_swar8_digits((b - zeros) << (8 * (8 - nf))) : 0;
    double r = (double)(ip * p10i[nf] + fp);
    if (nf > 0)
        r /= p10[nf];
    uint64_t bits;
    memcpy(&bits, &r, 8);
    bits ^= neg << 63;
    memcpy(out, &bits, 8);
    return 1;
#else
    return sml_parse_decimal_fast(s, len, out);
#endif
}

#endif
