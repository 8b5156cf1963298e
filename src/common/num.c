/*
 * Numbers as text, both ways, locale-independent: every reader (CSV, JSONL, config) parses through here and
 * every writer (predictions, model files, metrics) prints through here.
 *
 * Parsing: the grammar scan collects up to 19 significant digits, then
 *   1. Clinger's fast path: mantissa <= 2^53 and |exp10| <= 22 is one exact IEEE multiply or divide;
 *   2. Eisel-Lemire: a 64x128-bit product with a truncated power of five decides the rounding unless the
 *      truncation error could reach the rounding bit (then we do not guess);
 *   3. an exact decimal fallback (a big decimal scaled by binary shifts, 800 digits plus a sticky bit).
 * Formatting: Ryu (Ulf Adams, PLDI 2018) for the shortest digits that round-trip, closest to the exact value.
 * The power-of-five tables come from tools/gen_num_pow5.c at build time ($(BUILD)/gen/num_pow5.h).
 */
#include "streamml/num.h"

#include <string.h>

#include "num_pow5.h"

__extension__ typedef unsigned __int128 sml_u128;

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double double_of(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

#define EXP_INF_BITS 0x7ff0000000000000u
#define NAN_BITS 0x7ff8000000000000u
#define SIGN_BIT 0x8000000000000000u

/* ============================================================================================================
 * Parsing: the scan
 * ========================================================================================================== */

/* What the grammar scan found in a decimal number. */
typedef struct {
    uint64_t mantissa;   /* the first (up to) 19 significant digits */
    int64_t exp10;       /* value ~= mantissa * 10^exp10 */
    int truncated;       /* nonzero digits were dropped after the 19th */
    size_t digits_start; /* span of the digits (with the '.'), for the exact fallback */
    size_t digits_end;
    int64_t explicit_exp; /* the exponent part, saturated */
} num_scan;

#define EXP_SATURATE 100000000 /* exponents beyond this give 0 or inf whatever the digits */

static int is_digit(unsigned char c)
{
    return (unsigned)(c - '0') < 10;
}

static int lower_eq(const char *s, const char *word, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != word[i])
            return 0;
    return 1;
}

/* inf, infinity, nan (any case) at s; returns bytes matched (3 or 8) or 0. */
static size_t scan_special(const char *s, size_t len, uint64_t *bits)
{
    if (len >= 3 && lower_eq(s, "inf", 3)) {
        *bits = EXP_INF_BITS;
        return len >= 8 && lower_eq(s + 3, "inity", 5) ? 8 : 3;
    }
    if (len >= 3 && lower_eq(s, "nan", 3)) {
        *bits = NAN_BITS;
        return 3;
    }
    return 0;
}

/* ============================================================================================================
 * Parsing: Eisel-Lemire
 * ========================================================================================================== */

/* Correctly rounded bits of w * 10^q (w != 0, q in the table's range), or -1 when the truncated power of five
 * leaves the rounding undecided. Let P = w' * T, where w' = w << lz and T ~= 5^q / 2^e is the table entry, so that
 * w * 10^q = P_exact * 2^(e + q - lz) with P <= P_exact < P + 2^64 (T truncated; P_exact == P when 5^q fits in
 * 128 bits, q in [0, 55]). */
static int64_t eisel_lemire(uint64_t w, int64_t q)
{
    const uint64_t *t = sml_pow5_128[q - SML_POW5_128_MIN];
    int lz = __builtin_clzll(w);
    uint64_t wn = w << lz;
    sml_u128 a = (sml_u128)wn * t[0], b = (sml_u128)wn * t[1];
    /* P = p2:p1:p0 */
    uint64_t p0 = (uint64_t)b;
    sml_u128 mid = (sml_u128)(uint64_t)a + (uint64_t)(b >> 64);
    uint64_t p1 = (uint64_t)mid;
    uint64_t p2 = (uint64_t)(a >> 64) + (uint64_t)(mid >> 64);
    int exact = q >= 0 && q <= 55;
    int top = p2 >> 63 ? 191 : 190;
    int64_t scale = sml_pow5_128_exp2[q - SML_POW5_128_MIN] + q - lz; /* bit j of P weighs 2^(j + scale) */
    int64_t e = top + scale;                                          /* value in [2^e, 2^(e+1)) */
    int64_t s = e >= -1022 ? top - 52 : -1074 - scale; /* lowest kept bit: 53 bits, or down to 2^-1074 */
    if (s > 192)
        return 0; /* below half the smallest subnormal, even allowing for the truncation */
    /* bits [64, s-1) all ones: the missing < 2^64 could carry into the rounding bit */
    int rs = (int)s - 1; /* rounding bit, >= 137 */
    uint64_t below_hi = rs - 128 >= 64 ? p2 : p2 & ((UINT64_C(1) << (rs - 128)) - 1);
    uint64_t full_hi = rs - 128 >= 64 ? UINT64_MAX : (UINT64_C(1) << (rs - 128)) - 1;
    if (!exact && p1 == UINT64_MAX && below_hi == full_hi)
        return -1;
    uint64_t m = s >= 192 ? 0 : p2 >> (s - 128);
    int round_bit = rs >= 192 ? 0 : (int)(p2 >> (rs - 128) & 1);
    int sticky = !exact || p0 || p1 || below_hi;
    if (round_bit && (sticky || (m & 1)))
        m++;
    if (e < -1022)
        return (int64_t)m; /* subnormal; m == 2^52 is the smallest normal, same bits */
    if (m >> 53) {
        m >>= 1;
        e++;
    }
    if (e > 1023)
        return (int64_t)EXP_INF_BITS;
    return (int64_t)((uint64_t)(e + 1023) << 52 | (m & ((UINT64_C(1) << 52) - 1)));
}

/* ============================================================================================================
 * Parsing: the exact fallback
 * ========================================================================================================== */

/* A decimal 0.d[0]d[1]...d[nd-1] * 10^dp with no trailing zeros; `truncated` says nonzero digits beyond the
 * 800 kept were dropped (the value is a little above what the digits say). 800 digits suffice: a halfway point
 * between two doubles has at most 767 significant digits, so the kept digits and the sticky bit put the value on
 * the same side of every halfway point as the full text. Shifts keep that invariant, as truncation is monotonic
 * and every halfway point, scaled, stays exactly representable. */
#define DEC_DIGITS 800
typedef struct {
    int nd, dp, truncated;
    uint8_t d[DEC_DIGITS + 24];
} decimal;

static void dec_trim(decimal *a)
{
    while (a->nd > 0 && a->d[a->nd - 1] == 0)
        a->nd--;
    if (a->nd == 0)
        a->dp = 0;
}

/* a *= 2^k, 1 <= k <= 60 */
static void dec_shift_left(decimal *a, int k)
{
    uint8_t out[DEC_DIGITS + 24];
    int w = DEC_DIGITS + 23;
    uint64_t n = 0;
    for (int r = a->nd - 1; r >= 0; r--) {
        n += (uint64_t)a->d[r] << k;
        uint64_t quo = n / 10;
        out[w--] = (uint8_t)(n - 10 * quo);
        n = quo;
    }
    while (n > 0) {
        uint64_t quo = n / 10;
        out[w--] = (uint8_t)(n - 10 * quo);
        n = quo;
    }
    int count = DEC_DIGITS + 23 - w;
    a->dp += count - a->nd;
    if (count > DEC_DIGITS) {
        for (int i = DEC_DIGITS; i < count; i++)
            if (out[w + 1 + i])
                a->truncated = 1;
        count = DEC_DIGITS;
    }
    memcpy(a->d, out + w + 1, (size_t)count);
    a->nd = count;
    dec_trim(a);
}

/* a /= 2^k, 1 <= k <= 60 */
static void dec_shift_right(decimal *a, int k)
{
    int r = 0, w = 0;
    uint64_t n = 0, mask = (UINT64_C(1) << k) - 1;
    while ((n >> k) == 0) {
        if (r >= a->nd) {
            if (n == 0) {
                a->nd = 0;
                a->dp = 0;
                return;
            }
            while ((n >> k) == 0) {
                n *= 10;
                r++;
            }
            break;
        }
        n = n * 10 + a->d[r++];
    }
    a->dp -= r - 1;
    for (; r < a->nd; r++) {
        uint8_t c = a->d[r];
        a->d[w++] = (uint8_t)(n >> k);
        n = (n & mask) * 10 + c;
    }
    while (n > 0) {
        uint8_t dig = (uint8_t)(n >> k);
        if (w < DEC_DIGITS)
            a->d[w++] = dig;
        else if (dig)
            a->truncated = 1;
        n = (n & mask) * 10;
    }
    a->nd = w;
    dec_trim(a);
}

static void dec_shift(decimal *a, int k)
{
    for (; k > 60; k -= 60)
        dec_shift_left(a, 60);
    for (; k < -60; k += 60)
        dec_shift_right(a, 60);
    if (k > 0)
        dec_shift_left(a, k);
    else if (k < 0)
        dec_shift_right(a, -k);
}

/* The integer part rounded half-even (the value is below 2^54 here). */
static uint64_t dec_rounded_integer(const decimal *a)
{
    uint64_t n = 0;
    int i = 0;
    if (a->dp < 0)
        return 0; /* below 0.1 */
    for (; i < a->dp && i < a->nd; i++)
        n = n * 10 + a->d[i];
    for (; i < a->dp; i++)
        n *= 10;
    if (a->dp < a->nd) {
        uint8_t next = a->d[a->dp];
        if (next > 5 || (next == 5 && (a->truncated || a->dp + 1 < a->nd || (n & 1))))
            n++;
    }
    return n;
}

/* Reads the digits of [s+start, s+end) (with at most one '.') times 10^exp10 into a. */
static void dec_from_text(decimal *a, const char *s, size_t start, size_t end, int64_t exp10)
{
    int64_t dp = 0;
    int seen_dot = 0;
    a->nd = 0;
    a->truncated = 0;
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            seen_dot = 1;
            continue;
        }
        uint8_t dig = (uint8_t)(c - '0');
        if (a->nd == 0 && dig == 0) {
            if (seen_dot)
                dp--; /* leading zero after the point */
            continue;
        }
        if (!seen_dot)
            dp++;
        if (a->nd < DEC_DIGITS)
            a->d[a->nd++] = dig;
        else if (dig)
            a->truncated = 1;
    }
    dp += exp10;
    /* clamp: anything this far out is 0 or inf anyway, and the caller checks the range first */
    a->dp = dp > 100000 ? 100000 : dp < -100000 ? -100000 : (int)dp;
    dec_trim(a);
}

static uint64_t dec_to_bits(decimal *a)
{
    static const int steps[19] = {0, 3, 6, 9, 13, 16, 19, 23, 26, 29, 33, 36, 39, 43, 46, 49, 53, 56, 59};
    int exp = 0;
    if (a->nd == 0)
        return 0;
    if (a->dp > 310)
        return EXP_INF_BITS;
    if (a->dp < -330)
        return 0;
    /* scale into [0.5, 1) by binary shifts, counting them in exp */
    while (a->dp > 0) {
        int n = a->dp >= 19 ? 60 : steps[a->dp];
        dec_shift(a, -n);
        exp += n;
    }
    while (a->dp < 0 || (a->dp == 0 && a->d[0] < 5)) {
        int n = -a->dp >= 19 ? 60 : a->dp == 0 ? 1 : steps[-a->dp];
        dec_shift(a, n);
        exp -= n;
    }
    exp--; /* value = (2a) * 2^exp with 2a in [1, 2) */
    if (exp < -1022) {
        dec_shift(a, -(-1022 - exp));
        exp = -1022;
    }
    if (exp > 1023)
        return EXP_INF_BITS;
    dec_shift(a, 53);
    uint64_t m = dec_rounded_integer(a);
    if (m >> 53) {
        m >>= 1;
        exp++;
        if (exp > 1023)
            return EXP_INF_BITS;
    }
    if (!(m >> 52))
        return m; /* subnormal */
    return (uint64_t)(exp + 1023) << 52 | (m & ((UINT64_C(1) << 52) - 1));
}

/* ============================================================================================================
 * Parsing: the public functions
 * ========================================================================================================== */

static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The bits of the unsigned value scanned into sc (text in s). */
static uint64_t scan_to_bits(const num_scan *sc, const char *s)
{
    uint64_t w = sc->mantissa;
    int64_t q = sc->exp10;
    if (w == 0)
        return 0;
    if (!sc->truncated && w <= (UINT64_C(1) << 53) && q >= -22 && q <= 22) {
        double d = (double)w;
        d = q < 0 ? d / exact_pow10[-q] : d * exact_pow10[q];
        return bits_of(d);
    }
    if (q < SML_POW5_128_MIN)
        return 0; /* w * 10^q < 10^(19 + q) <= 10^-324, below half of 2^-1074 */
    if (q > SML_POW5_128_MAX)
        return EXP_INF_BITS;
    int64_t r = eisel_lemire(w, q);
    if (r >= 0 && sc->truncated) {
        /* the value lies in (w, w+1) * 10^q: both ends must round alike (w+1 <= 10^19 does not overflow) */
        int64_t r1 = eisel_lemire(w + 1, q);
        if (r1 != r)
            r = -1;
    }
    if (r >= 0)
        return (uint64_t)r;
    decimal dec;
    dec_from_text(&dec, s, sc->digits_start, sc->digits_end, sc->explicit_exp);
    return dec_to_bits(&dec);
}

size_t sml_parse_double_prefix(const char *s, size_t len, double *out)
{
    size_t i = 0;
    uint64_t sign = 0, bits;
    num_scan sc;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        sign = s[i++] == '-' ? SIGN_BIT : 0;
    if (i < len && !is_digit((unsigned char)s[i]) && s[i] != '.') {
        size_t n = scan_special(s + i, len - i, &bits);
        if (!n)
            return 0;
        *out = double_of(bits | sign);
        return i + n;
    }

    uint64_t w = 0;
    int nsig = 0, any_digit = 0;
    int64_t dexp = 0;
    sc.truncated = 0;
    sc.digits_start = i;
    /* integer part: leading zeros carry no information */
    while (i < len && s[i] == '0')
        i++, any_digit = 1;
    for (; i < len && is_digit((unsigned char)s[i]); i++) {
        any_digit = 1;
        if (nsig < 19) {
            w = w * 10 + (uint64_t)(s[i] - '0');
            nsig++;
        } else {
            dexp++;
            sc.truncated |= s[i] != '0';
        }
    }
    if (i < len && s[i] == '.') {
        size_t dot = i++;
        if (nsig == 0) /* zeros right after the point only move it */
            for (; i < len && s[i] == '0'; i++)
                dexp--, any_digit = 1;
        for (; i < len && is_digit((unsigned char)s[i]); i++) {
            any_digit = 1;
            if (nsig < 19) {
                w = w * 10 + (uint64_t)(s[i] - '0');
                nsig++;
                dexp--;
            } else {
                sc.truncated |= s[i] != '0';
            }
        }
        if (!any_digit && i == dot + 1)
            return 0; /* "." alone */
    }
    if (!any_digit)
        return 0;
    sc.digits_end = i;
    int64_t ex = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        int eneg = 0;
        if (j < len && (s[j] == '+' || s[j] == '-'))
            eneg = s[j++] == '-';
        if (j < len && is_digit((unsigned char)s[j])) {
            for (; j < len && is_digit((unsigned char)s[j]); j++)
                if (ex < EXP_SATURATE)
                    ex = ex * 10 + (s[j] - '0');
            ex = eneg ? -ex : ex;
            i = j;
        } /* else "1e", "1e+": the number ends before the 'e' */
    }
    sc.mantissa = w;
    sc.exp10 = dexp + ex;
    sc.explicit_exp = ex;
    *out = double_of(scan_to_bits(&sc, s) | sign);
    return i;
}

int sml_parse_double(const char *s, size_t len, double *out)
{
    double v;
    if (len == 0 || sml_parse_double_prefix(s, len, &v) != len)
        return SML_EPARSE;
    *out = v;
    return 0;
}

int sml_parse_int64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t v = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i] == '-', i++;
    if (i == len)
        return SML_EPARSE;
    for (; i < len; i++) {
        if (!is_digit((unsigned char)s[i]))
            return SML_EPARSE;
        if (v > (UINT64_MAX - 9) / 10)
            return SML_ERANGE;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
        return SML_ERANGE;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* ============================================================================================================
 * Formatting: Ryu
 * ========================================================================================================== */

/* ceil(log2(5^e)) for e in [1, 3528]; 1 for e = 0, as Ryu's tables assume */
static int pow5bits(int e)
{
    return (int)(((uint32_t)e * 1217359) >> 19) + 1;
}

/* floor(log10(2^e)), e in [0, 1650] */
static int log10_pow2(int e)
{
    return (int)(((uint32_t)e * 78913) >> 18);
}

/* floor(log10(5^e)), e in [0, 2620] */
static int log10_pow5(int e)
{
    return (int)(((uint32_t)e * 732923) >> 20);
}

static int pow5_factor(uint64_t v)
{
    int count = 0;
    for (;;) {
        uint64_t q = v / 5;
        if (v - 5 * q != 0)
            return count;
        v = q;
        count++;
    }
}

static int multiple_of_pow5(uint64_t v, int p)
{
    return pow5_factor(v) >= p;
}

static int multiple_of_pow2(uint64_t v, int p)
{
    return (v & ((UINT64_C(1) << p) - 1)) == 0;
}

/* (m * mul) >> j, mul a 128-bit {lo, hi}, j >= 64 */
static uint64_t mul_shift64(uint64_t m, const uint64_t *mul, int j)
{
    sml_u128 b0 = (sml_u128)m * mul[0];
    sml_u128 b2 = (sml_u128)m * mul[1];
    return (uint64_t)(((b0 >> 64) + b2) >> (j - 64));
}

/* Shortest decimal of a finite positive-or-zero double's fields: *digits * 10^return. */
static int ryu_d2d(uint64_t ieee_mantissa, unsigned ieee_exponent, uint64_t *digits)
{
    int e2;
    uint64_t m2;
    if (ieee_exponent == 0) {
        e2 = 1 - 1023 - 52 - 2;
        m2 = ieee_mantissa;
    } else {
        e2 = (int)ieee_exponent - 1023 - 52 - 2;
        m2 = (UINT64_C(1) << 52) | ieee_mantissa;
    }
    int even = (m2 & 1) == 0, accept_bounds = even;

    /* the interval of values that read back to this double, times 4: [mm, mp] around mv */
    uint64_t mv = 4 * m2;
    uint32_t mm_shift = ieee_mantissa != 0 || ieee_exponent <= 1;
    uint64_t vr, vp, vm;
    int e10;
    int vm_trailing_zeros = 0, vr_trailing_zeros = 0;
    if (e2 >= 0) {
        int q = log10_pow2(e2) - (e2 > 3);
        e10 = q;
        int k = SML_RYU_POW5_INV_BITCOUNT + pow5bits(q) - 1;
        int i = -e2 + q + k;
        vr = mul_shift64(4 * m2, sml_ryu_pow5_inv[q], i);
        vp = mul_shift64(4 * m2 + 2, sml_ryu_pow5_inv[q], i);
        vm = mul_shift64(4 * m2 - 1 - mm_shift, sml_ryu_pow5_inv[q], i);
        if (q <= 21) {
            /* only one of mp, mv, mm can be a multiple of 5, if any */
            if (mv % 5 == 0)
                vr_trailing_zeros = multiple_of_pow5(mv, q);
            else if (accept_bounds)
                vm_trailing_zeros = multiple_of_pow5(mv - 1 - mm_shift, q);
            else
                vp -= (uint64_t)multiple_of_pow5(mv + 2, q);
        }
    } else {
        int q = log10_pow5(-e2) - (-e2 > 1);
        e10 = q + e2;
        int i = -e2 - q;
        int k = pow5bits(i) - SML_RYU_POW5_BITCOUNT;
        int j = q - k;
        vr = mul_shift64(4 * m2, sml_ryu_pow5[i], j);
        vp = mul_shift64(4 * m2 + 2, sml_ryu_pow5[i], j);
        vm = mul_shift64(4 * m2 - 1 - mm_shift, sml_ryu_pow5[i], j);
        if (q <= 1) {
            /* mv = 4 m2 has at least 2 trailing zero bits */
            vr_trailing_zeros = 1;
            if (accept_bounds)
                vm_trailing_zeros = mm_shift == 1; /* mm = mv - 1 - mm_shift has one trailing 0 bit iff mm_shift 1 */
            else
                --vp; /* mp = mv + 2 always has one trailing 0 bit */
        } else if (q < 63) {
            vr_trailing_zeros = multiple_of_pow2(mv, q);
        }
    }

    /* drop digits while the interval still holds a shorter number */
    int removed = 0;
    uint8_t last_removed = 0;
    uint64_t output;
    if (vm_trailing_zeros || vr_trailing_zeros) {
        /* rare: exact bounds or an exact tie are possible */
        while (vp / 10 > vm / 10) {
            vm_trailing_zeros &= vm % 10 == 0;
            vr_trailing_zeros &= last_removed == 0;
            last_removed = (uint8_t)(vr % 10);
            vr /= 10;
            vp /= 10;
            vm /= 10;
            removed++;
        }
        if (vm_trailing_zeros) {
            while (vm % 10 == 0) {
                vr_trailing_zeros &= last_removed == 0;
                last_removed = (uint8_t)(vr % 10);
                vr /= 10;
                vp /= 10;
                vm /= 10;
                removed++;
            }
        }
        if (vr_trailing_zeros && last_removed == 5 && vr % 2 == 0)
            last_removed = 4; /* exactly halfway: round to even */
        output = vr + ((vr == vm && (!accept_bounds || !vm_trailing_zeros)) || last_removed >= 5);
    } else {
        /* common: only the last removed digit matters, so remove digits in chunks of 8, 4, 2, 1 (the count
         * removable is monotonic, so this greedy split finds the same count as one at a time); constant
         * divisors compile to multiplications */
        int round_up = 0;
#define RYU_REMOVE_CHUNK(p10, len)                                                                             \
    for (uint64_t vp_ = vp / (p10), vm_ = vm / (p10); vp_ > vm_; vp_ = vp / (p10), vm_ = vm / (p10)) {          \
        uint64_t q_ = vr / (p10);                                                                              \
        round_up = vr - q_ * (p10) >= (p10) / 2;                                                               \
        vr = q_;                                                                                               \
        vp = vp_;                                                                                              \
        vm = vm_;                                                                                              \
        removed += (len);                                                                                      \
    }
        RYU_REMOVE_CHUNK(UINT64_C(100000000), 8)
        RYU_REMOVE_CHUNK(UINT64_C(10000), 4)
        RYU_REMOVE_CHUNK(UINT64_C(100), 2)
        RYU_REMOVE_CHUNK(UINT64_C(10), 1)
#undef RYU_REMOVE_CHUNK
        output = vr + (vr == vm || round_up);
    }
    *digits = output;
    return e10 + removed;
}

/* ============================================================================================================
 * Formatting: layout
 * ========================================================================================================== */

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                     "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                     "8081828384858687888990919293949596979899";

static int decimal_length(uint64_t v)
{
    static const uint64_t pow10[20] = {1u,
                                       10u,
                                       100u,
                                       1000u,
                                       10000u,
                                       100000u,
                                       1000000u,
                                       10000000u,
                                       100000000u,
                                       1000000000u,
                                       10000000000u,
                                       100000000000u,
                                       1000000000000u,
                                       10000000000000u,
                                       100000000000000u,
                                       1000000000000000u,
                                       10000000000000000u,
                                       100000000000000000u,
                                       1000000000000000000u,
                                       10000000000000000000u};
    /* bit length * 1233 / 4096 ~ log10; one comparison fixes it up */
    if (v < 10)
        return 1;
    int guess = ((64 - __builtin_clzll(v)) * 1233) >> 12;
    return guess + (v >= pow10[guess]);
}

static void write_pair(char *p, uint32_t v)
{
    memcpy(p, digit_pairs + 2 * v, 2);
}

/* 8 digits of v < 10^8, zero-padded, at p[0..8) */
static void write_8digits(char *p, uint32_t v)
{
    uint32_t hi = v / 10000, lo = v - hi * 10000;
    uint32_t hh = hi / 100, lh = lo / 100;
    write_pair(p, hh);
    write_pair(p + 2, hi - hh * 100);
    write_pair(p + 4, lh);
    write_pair(p + 6, lo - lh * 100);
}

/* Writes the n decimal digits of v at p[0..n). */
static void write_digits(char *p, uint64_t v, int n)
{
    while (n > 8) {
        uint64_t q = v / 100000000;
        write_8digits(p + n - 8, (uint32_t)(v - q * 100000000));
        v = q;
        n -= 8;
    }
    uint32_t w = (uint32_t)v;
    while (n >= 2) {
        uint32_t q = w / 100;
        write_pair(p + n - 2, w - 100 * q);
        w = q;
        n -= 2;
    }
    if (n)
        p[0] = (char)('0' + w);
}

/* Fast path for values with at most 6 decimals (prices, measurements) in [2^-20, 2^30): for these 10^-6 is more
 * than 3 ulps, so at most one 6-decimal number N * 10^-6 reads back to v, and when one does, the floating-point
 * product v * 10^6 lies within 1.5 ulp * 10^6 < 0.5 of N, so rounding it finds N. Its digits without trailing
 * zeros are then the unique shortest text, the same Ryu finds. v is positive (its sign is printed already). */
static int short_decimal(double v, unsigned ieee_exponent, uint64_t *digits, int *e10)
{
    if (ieee_exponent < 1023 - 20 || ieee_exponent >= 1023 + 30)
        return 0;
    v = v < 0 ? -v : v;
    double scaled = v * 1e6;
    uint64_t n = (uint64_t)(scaled + 0.5);
    double ulp_scaled = double_of((uint64_t)(ieee_exponent - 52) << 52) * 2e6; /* 2 ulp * 10^6, exact */
    double diff = scaled - (double)n;
    if (n == 0 || (diff < 0 ? -diff : diff) > ulp_scaled || (double)n / 1e6 != v)
        return 0;
    int k = 6;
    while (k > 0 && n % 10 == 0) {
        n /= 10;
        k--;
    }
    *digits = n;
    *e10 = -k;
    return 1;
}

size_t sml_format_double(double v, char *buf)
{
    uint64_t bits = bits_of(v);
    uint64_t mant = bits & ((UINT64_C(1) << 52) - 1);
    unsigned exp = (unsigned)(bits >> 52) & 0x7ff;
    char *p = buf;
    if (exp == 0x7ff) {
        const char *text = mant ? "nan" : bits >> 63 ? "-inf" : "inf";
        size_t n = strlen(text);
        memcpy(buf, text, n + 1);
        return n;
    }
    if (bits >> 63)
        *p++ = '-';
    if (exp == 0 && mant == 0) {
        *p++ = '0';
        *p = 0;
        return (size_t)(p - buf);
    }
    uint64_t digits;
    int e10;
    int int_shift = 1075 - (int)exp; /* v = (2^52 + mant) / 2^int_shift for normal v */
    if (exp != 0 && int_shift >= 0 && int_shift <= 52 &&
        (mant & ((UINT64_C(1) << int_shift) - 1)) == 0) {
        /* an integer below 2^53: its digits are the shortest text (trailing zeros are laid out as zeros) */
        digits = ((UINT64_C(1) << 52) | mant) >> int_shift;
        e10 = 0;
    } else if (!short_decimal(v, exp, &digits, &e10)) {
        e10 = ryu_d2d(mant, exp, &digits);
    }
    int n = decimal_length(digits);
    int x = e10 + n - 1; /* scientific exponent: value = d.ddd * 10^x */
    if (x >= -5 && x < 21) {
        if (x < 0) { /* 0.000ddd */
            memcpy(p, "0.00000", (size_t)(1 - x));
            p += 1 - x;
            write_digits(p, digits, n);
            p += n;
        } else if (x >= n - 1) { /* ddd000 */
            write_digits(p, digits, n);
            p += n;
            memset(p, '0', (size_t)(x - n + 1));
            p += x - n + 1;
        } else { /* dd.dd */
            write_digits(p + 1, digits, n);
            for (int i = 0; i <= x; i++) /* short: a call to memmove costs more */
                p[i] = p[i + 1];
            p[x + 1] = '.';
            p += n + 1;
        }
    } else {
        write_digits(p + 1, digits, n);
        p[0] = p[1];
        if (n > 1) {
            p[1] = '.';
            p += n + 1;
        } else {
            p += 1;
        }
        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        unsigned ax = (unsigned)(x < 0 ? -x : x);
        if (ax >= 100) {
            *p++ = (char)('0' + ax / 100);
            ax %= 100;
        }
        memcpy(p, digit_pairs + 2 * ax, 2);
        p += 2;
    }
    *p = 0;
    return (size_t)(p - buf);
}

size_t sml_format_int64(int64_t v, char *buf)
{
    char *p = buf;
    uint64_t u = (uint64_t)v;
    if (v < 0) {
        *p++ = '-';
        u = 0 - u;
    }
    int n = decimal_length(u);
    write_digits(p, u, n);
    p[n] = 0;
    return (size_t)(p - buf) + (size_t)n;
}
