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
#endif
