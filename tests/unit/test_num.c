/* Number text conversion: parsing checked bit for bit against glibc strtod (the independent reference; it may be
 * used here, never in src/), formatting checked for round trip, shortness and closeness against printf.
 * The random tests run ~2 million cases by default; SML_LONG=1 runs ten times as many. */
#include <fenv.h>
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "streamml/streamml.h"
#include "unit.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
    return rnd() % n;
}

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

static long scale(long n)
{
    const char *l = getenv("SML_LONG");
    return l && strcmp(l, "1") == 0 ? n * 10 : n;
}

/* A random finite double from a random bit pattern; subnormals now and then. */
static double rnd_double(void)
{
    for (;;) {
        uint64_t b = rnd();
        if (rnd_below(16) == 0)
            b &= 0x800fffffffffffffu; /* subnormal or zero */
        double d = double_of(b);
        if (isfinite(d))
            return d;
    }
}

/* ---- parse vs strtod ---- */

static long parse_checked, parse_mismatches;

/* Parses NUL-terminated s both ways; both the whole-string and the prefix function must agree with strtod. */
static void check_against_strtod(const char *s)
{
    size_t len = strlen(s);
    char *end;
    double ref = strtod(s, &end);
    double got = 12345.0, got_prefix = 54321.0;
    int rc = sml_parse_double(s, len, &got);
    size_t n = sml_parse_double_prefix(s, len, &got_prefix);
    parse_checked++;
    int ok = rc == 0 && (size_t)(end - s) == len && n == len && bits_of(got) == bits_of(ref) &&
             bits_of(got_prefix) == bits_of(ref);
    if (!ok) {
        if (parse_mismatches++ < 10)
            fprintf(stderr, "  parse mismatch: \"%.120s%s\" (len %zu): rc %d got %.17g (%016llx) strtod %.17g (%016llx)\n",
                    s, len > 120 ? "..." : "", len, rc, got, (unsigned long long)bits_of(got), ref,
                    (unsigned long long)bits_of(ref));
    }
}

static double parse_ok(const char *s)
{
    double v = -777.0;
    CHECK_MSG(sml_parse_double(s, strlen(s), &v) == 0, "\"%s\" rejected", s);
    return v;
}

static void test_parse_simple(void)
{
    CHECK(parse_ok("0") == 0 && !signbit(parse_ok("0")));
    CHECK(parse_ok("-0") == 0 && signbit(parse_ok("-0")));
    CHECK(parse_ok("-0.0e5") == 0 && signbit(parse_ok("-0.0e5")));
    CHECK(parse_ok("+0") == 0 && !signbit(parse_ok("+0")));
    CHECK(parse_ok("1") == 1.0);
    CHECK(parse_ok("+1.5") == 1.5);
    CHECK(parse_ok("-2.25") == -2.25);
    CHECK(parse_ok("1.") == 1.0);
    CHECK(parse_ok(".5") == 0.5);
    CHECK(parse_ok("-.5e1") == -5.0);
    CHECK(parse_ok("0.1") == 0.1);
    CHECK(bits_of(parse_ok("0.1")) == 0x3fb999999999999au);
    CHECK(parse_ok("1e3") == 1000.0);
    CHECK(parse_ok("1E+3") == 1000.0);
    CHECK(parse_ok("25e-1") == 2.5);
    CHECK(parse_ok("000000000000000000000000000000000000000001") == 1.0);
    CHECK(parse_ok("0.000000000000000000000000000000000000000001e42") == 1.0);
    CHECK(parse_ok("829.1") == 829.1);
    CHECK(parse_ok("11.35040654") == 11.35040654);
    CHECK(parse_ok("123456789012345678901234567890") == 123456789012345678901234567890.0);
    CHECK(isinf(parse_ok("inf")) && parse_ok("inf") > 0);
    CHECK(isinf(parse_ok("-Infinity")) && parse_ok("-Infinity") < 0);
    CHECK(isinf(parse_ok("+INF")));
    CHECK(isinf(parse_ok("iNfInItY")));
    CHECK(isnan(parse_ok("nan")) && !signbit(parse_ok("nan")));
    CHECK(isnan(parse_ok("-NaN")) && signbit(parse_ok("-NaN")));
    CHECK(isnan(parse_ok("NAN")));
}

static void test_parse_edges(void)
{
    static const struct {
        const char *text;
        uint64_t bits;
    } cases[] = {
        {"9007199254740993", 0x4340000000000000u},           /* 2^53 + 1: tie, to even 2^53 */
        {"9007199254740995", 0x4340000000000002u},           /* 2^53 + 3: tie, to even 2^53 + 4 */
        {"9007199254740993.000000000000000000001", 0x4340000000000001u}, /* just above the tie */
        {"9007199254740992.999999999999999999999", 0x4340000000000000u},
        {"2.2250738585072011e-308", 0x000fffffffffffffu},    /* largest subnormal */
        {"2.2250738585072012e-308", 0x0010000000000000u},    /* smallest normal */
        {"2.2250738585072014e-308", 0x0010000000000000u},
        {"4.9406564584124654e-324", 0x0000000000000001u},    /* smallest subnormal */
        {"2.4703282292062327e-324", 0x0000000000000000u},    /* just below half of it */
        {"2.4703282292062328e-324", 0x0000000000000001u},    /* just above */
        {"7.4109846876186982e-324", 0x0000000000000002u},    /* 1.5 * 2^-1074 rounds to even 2 */
        {"1.7976931348623157e308", 0x7fefffffffffffffu},     /* DBL_MAX */
        {"1.7976931348623158e308", 0x7fefffffffffffffu},     /* below DBL_MAX + half ulp */
        {"1.7976931348623159e308", 0x7ff0000000000000u},     /* above: inf */
        {"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791.9999999", 0x7fefffffffffffffu},
        {"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792", 0x7ff0000000000000u}, /* DBL_MAX + half ulp: tie to even = inf */
        {"1e-400", 0},
        {"-1e-400", 0x8000000000000000u},
        {"1e999", 0x7ff0000000000000u},
        {"-1e999", 0xfff0000000000000u},
        {"1e-999", 0},
        {"1e2147483648", 0x7ff0000000000000u},
        {"1e-2147483649", 0},
        {"1e99999999999999999999999999", 0x7ff0000000000000u},
        {"0e99999999999999999999999999", 0},
        {"0.00000000000000000000000000000000000000000000000000000000000001e99999999999999", 0x7ff0000000000000u},
        {"100000000000000000000000000000000000000000000000000e-99999999999999", 0},
        {"1e308", 0x7fe1ccf385ebc8a0u},
        {"1e-308", 0x000730d67819e8d2u},
        {"1e23", 0x44b52d02c7e14af6u},                      /* famous: 1e23 is not 0x44b52d02c7e14af5 */
        {"8.98846567431158e307", 0x7fe0000000000000u},            /* 2^1023 */
        {"0.500000000000000166533453693773481063544750213623046875", 0x3fe0000000000002u},
        {"3.518437208883201171875e13", 0x42c0000000000002u},
        {"62.5364939768271845828", 0x404f44abd5aa7ca4u},
        {"8.10109172351e-10", 0x3e0bd5cbaef0fd0cu},
        {"1.50000000000000011102230246251565404236316680908203125", 0x3ff8000000000000u},
        {"9007199254740993.0", 0x4340000000000000u},
        {"4503599627370496.5", 0x4330000000000000u},       /* tie below 2^53: to even */
        {"4503599627370497.5", 0x4330000000000002u},
        {"1.00000000000000011102230246251565404236316680908203125", 0x3ff0000000000000u}, /* 1 + 2^-53 tie */
        {"1.00000000000000011102230246251565404236316680908203126", 0x3ff0000000000001u},
        {"1.00000000000000011102230246251565404236316680908203124", 0x3ff0000000000000u},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -777.0;
        int rc = sml_parse_double(cases[i].text, strlen(cases[i].text), &v);
        CHECK_MSG(rc == 0 && bits_of(v) == cases[i].bits, "\"%.60s\": %016llx, want %016llx", cases[i].text,
                  (unsigned long long)bits_of(v), (unsigned long long)cases[i].bits);
        check_against_strtod(cases[i].text);
    }
    CHECK_INT(parse_mismatches, 0);
}

/* Exact decimal text of a long double (holds any midpoint of two doubles exactly) */
static void exact_text(long double v, char *buf, size_t size)
{
    snprintf(buf, size, "%.800Le", v);
}

static void test_parse_long_mantissas(void)
{
    static char buf[4096], tmp[4096];
    /* 1 + 2^-53 sits on a tie: any number of trailing zeros keeps it there, a final 1 breaks it */
    strcpy(buf, "1.00000000000000011102230246251565404236316680908203125");
    for (int i = 0; i < 800; i++)
        strcat(buf, "0");
    CHECK(bits_of(parse_ok(buf)) == 0x3ff0000000000000u);
    check_against_strtod(buf);
    strcat(buf, "1");
    CHECK(bits_of(parse_ok(buf)) == 0x3ff0000000000001u);
    check_against_strtod(buf);

    /* half the smallest subnormal, all ~750 digits: a tie that rounds to 0; a digit more rounds to 2^-1074 */
    exact_text(ldexpl(1.0L, -1075), buf, sizeof buf);
    CHECK(bits_of(parse_ok(buf)) == 0);
    check_against_strtod(buf);
    char *e = strchr(buf, 'e');
    snprintf(tmp, sizeof tmp, "%.*s1%s", (int)(e - buf), buf, e);
    CHECK(bits_of(parse_ok(tmp)) == 1);
    check_against_strtod(tmp);

    /* halfway between the two largest subnormals and between DBL_MAX's neighbours, with and without a tail */
    const long double mids[] = {
        ((long double)double_of(0x000ffffffffffffeu) + (long double)double_of(0x000fffffffffffffu)) / 2,
        ((long double)double_of(0x000fffffffffffffu) + (long double)double_of(0x0010000000000000u)) / 2,
        ((long double)double_of(0x7feffffffffffffeu) + (long double)DBL_MAX) / 2,
        ((long double)double_of(0x3ff0000000000001u) + (long double)double_of(0x3ff0000000000002u)) / 2,
    };
    for (size_t i = 0; i < sizeof mids / sizeof mids[0]; i++) {
        exact_text(mids[i], buf, sizeof buf);
        check_against_strtod(buf);
        e = strchr(buf, 'e');
        snprintf(tmp, sizeof tmp, "%.*s000000001%s", (int)(e - buf), buf, e);
        check_against_strtod(tmp);
        /* cut short just before the exponent: slightly below the tie */
        snprintf(tmp, sizeof tmp, "%.*s%s", (int)(e - buf - 300), buf, e);
        check_against_strtod(tmp);
    }

    /* 1000-digit inputs */
    memset(buf, '0', 1000);
    buf[0] = '1';
    strcpy(buf + 1000, "e-999");
    CHECK(parse_ok(buf) == 1.0);
    check_against_strtod(buf);
    strcpy(buf, "0.");
    memset(buf + 2, '0', 999);
    strcpy(buf + 1001, "1e1000");
    CHECK(parse_ok(buf) == 1.0);
    check_against_strtod(buf);
    for (int i = 0; i < 1000; i++)
        buf[i] = (char)('0' + (i * 7 + 3) % 10);
    buf[1000] = 0;
    check_against_strtod(buf);
    strcpy(buf + 1000, "e-1300");
    check_against_strtod(buf);
    CHECK_INT(parse_mismatches, 0);
}

static void test_parse_rejects(void)
{
    static const char *bad[] = {"",    ".",   "e5",     "1e",    "1e+",  "1e-",   "0x1p3", " 1",    "1 ",
                                "1,5", "+",   "-",      "+-1",   "--1",  "1..2",  "1.2.3", "in",    "infin",
                                "nan(1)", "nanx", "inf ", "1e5x", "1e5.0", ".e1", "-.e1",  "\t1",   "1\n",
                                "١",   "1_000", "0b101", "e",    "E+1",  "+.",   "1e+-2", "infinityy", "1f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 42.0;
        int rc = sml_parse_double(bad[i], strlen(bad[i]), &v);
        CHECK_MSG(rc == SML_EPARSE && v == 42.0, "\"%s\" accepted (rc %d)", bad[i], rc);
    }
    /* the length bounds the text: no reading past it */
    double v = 0;
    CHECK(sml_parse_double("12345", 3, &v) == 0 && v == 123.0);
    CHECK(sml_parse_double("1e5", 2, &v) == SML_EPARSE);
}

static void test_parse_prefix(void)
{
    static const struct {
        const char *text;
        size_t consumed;
        double value;
    } cases[] = {
        {"1e", 1, 1},          {"1e+", 1, 1},     {"1e-x", 1, 1},      {"1.5,2", 3, 1.5},   {"12abc", 2, 12},
        {"-.5x", 3, -0.5},     {"2.}", 2, 2},     {"1e5}", 3, 1e5},    {"0x1p3", 1, 0},     {"7 8", 1, 7},
        {"infinityx", 8, INFINITY}, {"infx", 3, INFINITY}, {"-infinit", 4, -INFINITY}, {"1.5e3.2", 5, 1500},
        {"", 0, 0},            {"-", 0, 0},       {".", 0, 0},         {".e1", 0, 0},       {"e1", 0, 0},
        {"+x", 0, 0},          {"in", 0, 0},      {"3.25E-2,", 7, 0.0325}, {"00012,", 5, 12},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -777.0;
        size_t n = sml_parse_double_prefix(cases[i].text, strlen(cases[i].text), &v);
        CHECK_MSG(n == cases[i].consumed, "\"%s\": consumed %zu, want %zu", cases[i].text, n, cases[i].consumed);
        if (cases[i].consumed)
            CHECK_MSG(v == cases[i].value, "\"%s\": %.17g", cases[i].text, v);
        else
            CHECK(v == -777.0);
    }
    double v = 0;
    CHECK(sml_parse_double_prefix("nan(123)", 8, &v) == 3 && isnan(v));
    CHECK(sml_parse_double_prefix("123", 2, &v) == 2 && v == 12);
}

static void test_parse_int64(void)
{
    int64_t v = 0;
    CHECK(sml_parse_int64("0", 1, &v) == 0 && v == 0);
    CHECK(sml_parse_int64("-42", 3, &v) == 0 && v == -42);
    CHECK(sml_parse_int64("+42", 3, &v) == 0 && v == 42);
    CHECK(sml_parse_int64("9223372036854775807", 19, &v) == 0 && v == INT64_MAX);
    CHECK(sml_parse_int64("-9223372036854775808", 20, &v) == 0 && v == INT64_MIN);
    CHECK_INT(sml_parse_int64("9223372036854775808", 19, &v), SML_ERANGE);
    CHECK_INT(sml_parse_int64("-9223372036854775809", 20, &v), SML_ERANGE);
    CHECK_INT(sml_parse_int64("99999999999999999999999", 23, &v), SML_ERANGE);
    CHECK_INT(sml_parse_int64("", 0, &v), SML_EPARSE);
    CHECK_INT(sml_parse_int64("-", 1, &v), SML_EPARSE);
    CHECK_INT(sml_parse_int64("1.0", 3, &v), SML_EPARSE);
    CHECK_INT(sml_parse_int64(" 1", 2, &v), SML_EPARSE);
    CHECK_INT(sml_parse_int64("1e3", 3, &v), SML_EPARSE);
}

/* ---- random parse tests ---- */

static void random_digits(char *p, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (char)('0' + rnd_below(10));
}

/* Random decimal text in the grammar: digits with a point somewhere, an optional exponent. */
static void random_decimal(char *buf)
{
    char *p = buf;
    int len = rnd_below(8) == 0 ? 1 + (int)rnd_below(900) : 1 + (int)rnd_below(25);
    int dot = (int)rnd_below((uint64_t)len + 2) - 1; /* -1: no point */
    if (rnd_below(4) == 0)
        *p++ = rnd_below(2) ? '-' : '+';
    if (rnd_below(4) == 0) { /* leading zeros */
        int z = (int)rnd_below(5);
        memset(p, '0', (size_t)z);
        p += z;
    }
    for (int i = 0; i < len; i++) {
        if (i == dot)
            *p++ = '.';
        *p++ = (char)('0' + rnd_below(10));
    }
    if (dot == len)
        *p++ = '.';
    if (rnd_below(8) != 0) {
        int e = (int)rnd_below(700) - 350 - (len > 300 ? (int)rnd_below((uint64_t)len) : 0);
        p += sprintf(p, "%c%s%d", rnd_below(2) ? 'e' : 'E', e >= 0 && rnd_below(2) ? "+" : "", e);
    }
    *p = 0;
}

static void test_parse_random(void)
{
    static char buf[4096];
    long n = scale(400000);
    clock_t t0 = clock();
    parse_mismatches = 0;
    for (long i = 0; i < n; i++) {
        double d = rnd_double();
        snprintf(buf, sizeof buf, "%.17g", d);
        check_against_strtod(buf);
        snprintf(buf, sizeof buf, "%.15g", d);
        check_against_strtod(buf);
        snprintf(buf, sizeof buf, "%.20e", d);
        check_against_strtod(buf);
        /* short digits over the whole exponent range, the CSV-like case */
        snprintf(buf, sizeof buf, "%.*g", 1 + (int)rnd_below(8), d);
        check_against_strtod(buf);
        random_decimal(buf);
        check_against_strtod(buf);
        /* 19 to 21 digit mantissas: the edge of the 64-bit fast paths */
        buf[0] = (char)('1' + rnd_below(9));
        int k = 18 + (int)rnd_below(3);
        random_digits(buf + 1, k);
        sprintf(buf + 1 + k, "e%d", (int)rnd_below(640) - 330);
        check_against_strtod(buf);
    }
    CHECK_INT(parse_mismatches, 0);
    fprintf(stderr, "  parse random: %ld strings in %.1fs\n", parse_checked, (double)(clock() - t0) / CLOCKS_PER_SEC);
}

/* Strings on and around the midpoint of two adjacent doubles: the exact tie, the tie cut short (below), the tie
 * with a nonzero digit appended (above), and 17-20 digit roundings of it. */
static void test_parse_halfway(void)
{
    static char buf[4096], tmp[4096];
    long n = scale(100000);
    long before = parse_checked;
    clock_t t0 = clock();
    parse_mismatches = 0;
    for (long i = 0; i < n; i++) {
        double d;
        if (rnd_below(4) == 0) {
            d = fabs(rnd_double());
        } else { /* moderate exponents: short exact midpoints, the common hard case */
            d = ldexp(1.0 + (double)(rnd() >> 12) * 0x1p-52, (int)rnd_below(200) - 100);
        }
        if (d == DBL_MAX)
            continue;
        long double mid = ((long double)d + (long double)nextafter(d, INFINITY)) / 2;
        snprintf(buf, sizeof buf, "%.*Le", 780, mid);
        /* drop trailing zeros of the mantissa: keep the text as short as the exact value */
        char *e = strchr(buf, 'e'), *z = e;
        while (z[-1] == '0')
            z--;
        if (z[-1] == '.')
            z--;
        memmove(z, e, strlen(e) + 1);
        e = z;
        check_against_strtod(buf);
        int mlen = (int)(e - buf);
        snprintf(tmp, sizeof tmp, "%.*s%s1%s", mlen, buf, strchr(buf, '.') ? "" : ".", e);
        check_against_strtod(tmp);
        if (mlen > 3) {
            int cut = 2 + (int)rnd_below((uint64_t)mlen - 2);
            snprintf(tmp, sizeof tmp, "%.*s%s", cut, buf, e);
            check_against_strtod(tmp);
        }
        snprintf(tmp, sizeof tmp, "%.*Le", 16 + (int)rnd_below(4), mid);
        check_against_strtod(tmp);
    }
    CHECK_INT(parse_mismatches, 0);
    fprintf(stderr, "  parse halfway: %ld strings in %.1fs\n", parse_checked - before,
            (double)(clock() - t0) / CLOCKS_PER_SEC);
}

/* ---- formatting ---- */

static void test_format_table(void)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0.1, "0.1"},
        {1e21, "1e+21"},
        {1e20, "100000000000000000000"},
        {1e-7, "1e-07"},
        {1.5e-7, "1.5e-07"},
        {123456789012.0, "123456789012"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {-0.0, "-0"},
        {0.0, "0"},
        {100, "100"},
        {3, "3"},
        {-3.5, "-3.5"},
        {0.000001, "1e-06"},
        {0.00001, "0.00001"},
        {0.000012345, "0.000012345"},
        {0.1189, "0.1189"},
        {829.1, "829.1"},
        {5639.958333, "5639.958333"},
        {1.0 / 3, "0.3333333333333333"},
        {2.0 / 3, "0.6666666666666666"},
        {123456.789, "123456.789"},
        {9007199254740993.0, "9007199254740992"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {2.225073858507201e-308, "2.225073858507201e-308"},
        {1e23, "1e+23"},
        {9.5e21, "9.5e+21"},
        {1.2345678901234567e20, "123456789012345670000"},
        {-1e100, "-1e+100"},
        {4.35, "4.35"},
        {0.3, "0.3"},
        {1e-5, "0.00001"},
        {2e-323, "2e-323"},
        {5e-310, "5e-310"},
        {1.5, "1.5"},
        {1e15, "1000000000000000"},
        {-123.456e-10, "-1.23456e-08"},
    };
    char buf[SML_DOUBLE_BUFSZ];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = sml_format_double(cases[i].v, buf);
        CHECK_STR(buf, cases[i].text);
        CHECK_INT(n, strlen(cases[i].text));
    }
    CHECK(sml_format_double(NAN, buf) == 3 && strcmp(buf, "nan") == 0);
    CHECK(sml_format_double(-NAN, buf) == 3 && strcmp(buf, "nan") == 0);
    CHECK(sml_format_double(INFINITY, buf) == 3 && strcmp(buf, "inf") == 0);
    CHECK(sml_format_double(-INFINITY, buf) == 4 && strcmp(buf, "-inf") == 0);
}

/* Significant digits and decimal exponent of a number's text: "0.00125" -> "125", -3. */
static void normalize(const char *s, char *digits, int *exp10)
{
    int n = 0, point = -1, first = -1, pos = 0;
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    for (; *p && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.') {
            point = pos;
            continue;
        }
        if (first < 0 && *p == '0') {
            pos++;
            continue;
        }
        if (first < 0)
            first = pos;
        digits[n++] = *p;
        pos++;
    }
    if (point < 0)
        point = pos;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = 0;
    *exp10 = (first < 0 ? 0 : point - first - 1) + (*p ? atoi(p + 1) : 0);
}

static int reads_back(const char *s, double v)
{
    return bits_of(strtod(s, NULL)) == bits_of(v);
}

/* printf's n-significant-digit rounding of v in a rounding mode (glibc rounds printf output in the current mode) */
static void printf_rounded(double v, int ndigits, int mode, char *buf, size_t size)
{
    fesetround(mode);
    snprintf(buf, size, "%.*e", ndigits - 1, v);
    fesetround(FE_TONEAREST);
}

static long format_failures;

static void check_shortest_closest(double v)
{
    char buf[SML_DOUBLE_BUFSZ], dn[64], up[64], near[64], dg[32], dg2[32];
    int ex, ex2;
    v = fabs(v);
    sml_format_double(v, buf);
    normalize(buf, dg, &ex);
    int n = (int)strlen(dg);
    int bad = 0;
    /* closest: of the n-digit neighbours of v that read back, the nearest (printf's round-to-nearest, ties to
     * even, when it reads back) */
    printf_rounded(v, n, FE_TONEAREST, near, sizeof near);
    printf_rounded(v, n, FE_DOWNWARD, dn, sizeof dn);
    printf_rounded(v, n, FE_UPWARD, up, sizeof up);
    const char *want = reads_back(near, v) ? near : reads_back(dn, v) ? dn : up;
    normalize(want, dg2, &ex2);
    if (strcmp(dg, dg2) != 0 || ex != ex2)
        bad = 1;
    /* shortest: neither (n-1)-digit neighbour reads back */
    if (n >= 2) {
        printf_rounded(v, n - 1, FE_DOWNWARD, dn, sizeof dn);
        printf_rounded(v, n - 1, FE_UPWARD, up, sizeof up);
        if (reads_back(dn, v) || reads_back(up, v))
            bad = 2;
    }
    if (bad && format_failures++ < 10)
        fprintf(stderr, "  format %.17g (%016llx) -> \"%s\": %s (want \"%s\")\n", v, (unsigned long long)bits_of(v),
                buf, bad == 1 ? "not the closest" : "not the shortest", want);
}

static void test_format_shortest(void)
{
    long n = scale(150000);
    format_failures = 0;
    for (long i = 0; i < n; i++) {
        double v = rnd_double();
        if (v != 0)
            check_shortest_closest(v);
        /* short decimals (prices, rates) and integers */
        check_shortest_closest((double)(1 + rnd_below(100000)) / 100);
        check_shortest_closest((double)(int64_t)(rnd() >> rnd_below(64)) + 1);
        /* few decimals at any magnitude near the formatter's short-decimal fast path ([2^-20, 2^30), 6 places) */
        check_shortest_closest((double)(1 + rnd_below(UINT64_C(10000000000))) / pow(10, (double)rnd_below(12)));
    }
    /* powers of two (asymmetric intervals), extremes and every exponent */
    for (int e = -1074; e <= 1023; e++) {
        check_shortest_closest(ldexp(1, e));
        check_shortest_closest(nextafter(ldexp(1, e), 0));
        check_shortest_closest(nextafter(ldexp(1, e), INFINITY));
    }
    for (int e = -323; e <= 308; e++) {
        char p10[16];
        snprintf(p10, sizeof p10, "1e%d", e);
        check_shortest_closest(strtod(p10, NULL));
    }
    CHECK_INT(format_failures, 0);
}

static void test_format_round_trip(void)
{
    char buf[SML_DOUBLE_BUFSZ];
    long n = scale(1000000), failures = 0;
    clock_t t0 = clock();
    for (long i = 0; i < n; i++) {
        double v = i < 3000 ? double_of((uint64_t)i) : rnd_double(); /* the smallest subnormals, then random */
        if (i % 2)
            v = -v;
        size_t len = sml_format_double(v, buf);
        double back = -777.0, back_ref = strtod(buf, NULL);
        int rc = sml_parse_double(buf, len, &back);
        if (rc != 0 || bits_of(back) != bits_of(v) || bits_of(back_ref) != bits_of(v) || len != strlen(buf) ||
            len >= SML_DOUBLE_BUFSZ) {
            if (failures++ < 10)
                fprintf(stderr, "  round trip %016llx -> \"%s\" -> %016llx\n", (unsigned long long)bits_of(v), buf,
                        (unsigned long long)bits_of(back));
        }
        /* the layout: plain for decimal exponents in [-5, 21), else scientific */
        double a = fabs(v);
        int sci = strchr(buf, 'e') != NULL;
        if (a != 0 && sci != (a < 1e-5 || a >= 1e21))
            if (failures++ < 10)
                fprintf(stderr, "  layout of %.17g: \"%s\"\n", v, buf);
    }
    CHECK_INT(failures, 0);
    fprintf(stderr, "  format round trip: %ld doubles in %.1fs\n", n, (double)(clock() - t0) / CLOCKS_PER_SEC);
}

static void test_format_int64(void)
{
    char buf[24], ref[24];
    static const int64_t cases[] = {0, 1, -1, 9, 10, 99, 100, -100, 12345, INT64_MAX, INT64_MIN, 1000000000000};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(ref, sizeof ref, "%lld", (long long)cases[i]);
        size_t n = sml_format_int64(cases[i], buf);
        CHECK_STR(buf, ref);
        CHECK_INT(n, strlen(ref));
    }
    long failures = 0;
    for (long i = 0; i < scale(200000); i++) {
        int64_t v = (int64_t)(rnd() >> rnd_below(64));
        if (i % 2)
            v = -v;
        snprintf(ref, sizeof ref, "%lld", (long long)v);
        sml_format_int64(v, buf);
        int64_t back;
        if (strcmp(buf, ref) != 0 || sml_parse_int64(buf, strlen(buf), &back) != 0 || back != v)
            failures++;
    }
    CHECK_INT(failures, 0);
}

int main(void)
{
    const char *seed = getenv("SML_SEED");
    if (seed)
        rng_state = strtoull(seed, NULL, 0);
    RUN(test_parse_simple);
    RUN(test_parse_edges);
    RUN(test_parse_long_mantissas);
    RUN(test_parse_rejects);
    RUN(test_parse_prefix);
    RUN(test_parse_int64);
    RUN(test_parse_random);
    RUN(test_parse_halfway);
    RUN(test_format_table);
    RUN(test_format_shortest);
    RUN(test_format_round_trip);
    RUN(test_format_int64);
    return UNIT_DONE();
}
