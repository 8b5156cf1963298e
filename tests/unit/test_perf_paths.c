/* The fast paths of the hot loop, each checked against the plain code it stands in for:
 *   sml_parse_decimal_padded (CSV numbers, 16 bytes at a time) against sml_parse_decimal_fast and sml_parse_double,
 *   bit for bit, on millions of random short decimals followed by random bytes.
 * SML_LONG=1 runs ten times as many cases. */
#include <stdint.h>
#include <stdlib.h>

#include "common/num_fast.h"
#include "streamml/streamml.h"
#include "unit.h"

static uint64_t rng_state = 0x2545f4914f6cdd1du;

static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static long cases(long n)
{
    const char *l = getenv("SML_LONG");
    return l && l[0] == '1' ? 10 * n : n;
}

/* The text s[0, len) (followed by at least 16 readable bytes) parses the same on every path. */
static int same_parse(const char *s, size_t len)
{
    double fast = 0, padded = 0, ref = 0;
    int f = sml_parse_decimal_fast(s, len, &fast);
    int p = sml_parse_decimal_padded(s, len, &padded);
    if (f != p) {
        fprintf(stderr, "  \"%.*s\": fast %d, padded %d\n", (int)len, s, f, p);
        return 0;
    }
    if (!p)
        return 1;
    if (sml_parse_double(s, len, &ref) != 0 || bits_of(ref) != bits_of(padded) || bits_of(fast) != bits_of(padded)) {
        fprintf(stderr, "  \"%.*s\": padded %.17g, fast %.17g, sml_parse_double %.17g\n", (int)len, s, padded, fast,
                ref);
        return 0;
    }
    return 1;
}

static void test_decimal_padded_random(void)
{
    static const char tail_chars[] = "0123456789.-+e,\n\"x ";
    char buf[64];
    long n = cases(3000000), bad = 0, accepted = 0;
    for (long i = 0; i < n && bad < 10; i++) {
        uint64_t r = rnd();
        size_t len = 0;
        int sign = (int)(r % 4);
        r /= 4;
        if (sign == 1)
            buf[len++] = '-';
        else if (sign == 2)
            buf[len++] = '+';
        size_t digits = 1 + r % 18; /* 1..18: past the 15-digit and 16-byte limits */
        r /= 18;
        size_t dot = r % (digits + 3); /* where the point goes; beyond digits: none */
        r /= digits + 3;
        for (size_t k = 0; k < digits; k++) {
            if (k == dot)
                buf[len++] = '.';
            buf[len++] = (char)('0' + rnd() % 10);
        }
        if (dot == digits)
            buf[len++] = '.';
        if (r % 50 == 0) /* now and then a stray character inside */
            buf[rnd() % len] = tail_chars[rnd() % (sizeof tail_chars - 1)];
        for (size_t k = len; k < sizeof buf; k++) /* what follows the field in the buffer */
            buf[k] = tail_chars[rnd() % (sizeof tail_chars - 1)];
        double v;
        accepted += sml_parse_decimal_padded(buf, len, &v);
        if (!same_parse(buf, len))
            bad++;
    }
    CHECK_INT(bad, 0);
    CHECK(accepted > n / 2); /* most cases exercise the fast path itself */
}

/* every place of the point in every length up to the 16-byte limit, with digits that carry all nine values */
static void test_decimal_padded_shapes(void)
{
    char buf[64];
    long bad = 0;
    for (size_t len = 1; len <= 18; len++)
        for (size_t dot = 0; dot <= len; dot++)
            for (int sign = 0; sign < 3; sign++)
                for (int fill = 0; fill < 4; fill++) {
                    size_t n = 0;
                    if (sign)
                        buf[n++] = sign == 1 ? '-' : '+';
                    for (size_t k = 0; k < len; k++)
                        buf[n++] = k == dot ? '.' : (char)('0' + (fill == 0 ? 9 : fill == 1 ? 0 : (k * 7 + 3) % 10));
                    memset(buf + n, fill & 1 ? '9' : '.', sizeof buf - n);
                    if (!same_parse(buf, n))
                        bad++;
                }
    CHECK_INT(bad, 0);
    double v = 0;
    CHECK(sml_parse_decimal_padded("-1221.1701,xxxxxxxxxxxxxxxx", 10, &v) && v == -1221.1701);
    CHECK(sml_parse_decimal_padded("999999999999999,xxxxxxxxxxxxxxxxx", 15, &v) && v == 999999999999999.0);
    CHECK(!sml_parse_decimal_padded("1.2.3,xxxxxxxxxxxxxxxx", 5, &v));
    CHECK(!sml_parse_decimal_padded("-,xxxxxxxxxxxxxxxx", 1, &v));
    CHECK(!sml_parse_decimal_padded(".,xxxxxxxxxxxxxxxx", 1, &v));
}

int main(void)
{
    RUN(test_decimal_padded_random);
    RUN(test_decimal_padded_shapes);
    return UNIT_DONE();
}
