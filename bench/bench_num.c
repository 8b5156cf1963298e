/* Benchmark of src/common/num.c against libc: sml_format_double vs snprintf("%.17g") on 10M doubles (half
 * prices with few digits, half random bit patterns), and sml_parse_double vs strtod on typical CSV numbers.
 * Prints one line per comparison: "format_double: 95.1 M/s (snprintf %.17g: 3.2 M/s, 29.7x)". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "streamml/num.h"

static uint64_t rng_state = 42;

static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* CPU time of this process: on a shared machine wall time mostly measures the neighbours */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile size_t sink;

static double rate_format_sml(const double *v, size_t n)
{
    char buf[SML_DOUBLE_BUFSZ];
    double best = 0;
    for (int run = 0; run < 3; run++) { /* best of 3: it is cheap */
        size_t total = 0;
        double t0 = now();
        for (size_t i = 0; i < n; i++)
            total += sml_format_double(v[i], buf);
        double t = now() - t0;
        sink += total;
        if ((double)n / t / 1e6 > best)
            best = (double)n / t / 1e6;
    }
    return best;
}

static double rate_format_printf(const double *v, size_t n)
{
    char buf[40];
    size_t total = 0;
    double t0 = now();
    for (size_t i = 0; i < n; i++)
        total += (size_t)snprintf(buf, sizeof buf, "%.17g", v[i]);
    double t = now() - t0;
    sink += total;
    return (double)n / t / 1e6;
}

static void report(const char *what, double ours, const char *ref_name, double ref)
{
    printf("%s: %.1f M/s (%s: %.1f M/s, %.1fx)\n", what, ours, ref_name, ref, ours / ref);
    fflush(stdout);
}

int main(void)
{
    const size_t n = 10000000;
    double *v = malloc(n * sizeof *v);
    if (!v)
        return 2;
    /* the mix: half prices 0.01..1000 with 2 decimals or fewer digits, half random finite bit patterns */
    for (size_t i = 0; i < n; i++) {
        if (i % 2 == 0) {
            v[i] = (double)(1 + rnd() % 100000) / 100.0;
        } else {
            uint64_t b;
            do
                b = rnd();
            while (((b >> 52) & 0x7ff) == 0x7ff);
            memcpy(&v[i], &b, sizeof b);
        }
    }
    /* a shuffle-free split so each kind can be reported on its own too */
    double *prices = malloc(n / 2 * sizeof *prices), *randoms = malloc(n / 2 * sizeof *randoms);
    if (!prices || !randoms)
        return 2;
    for (size_t i = 0; i < n / 2; i++) {
        prices[i] = v[2 * i];
        randoms[i] = v[2 * i + 1];
    }
    report("format_double", rate_format_sml(v, n), "snprintf %.17g", rate_format_printf(v, n));
    report("format_double prices", rate_format_sml(prices, n / 10), "snprintf %.17g",
           rate_format_printf(prices, n / 10));
    report("format_double random bits", rate_format_sml(randoms, n / 10), "snprintf %.17g",
           rate_format_printf(randoms, n / 10));

    /* parsing typical CSV fields */
    static const char *csv[] = {"0.1189", "829.1", "11.35040654", "737", "5639.958333", "0.5", "1", "-3.25",
                                "12.0", "0.0001234", "99.99", "100000", "3.14159265358979", "2.5e-3", "42"};
    const size_t ncsv = sizeof csv / sizeof csv[0], reps = 10000000 / ncsv;
    size_t lens[sizeof csv / sizeof csv[0]];
    char copies[sizeof csv / sizeof csv[0]][32];
    for (size_t k = 0; k < ncsv; k++) {
        lens[k] = strlen(csv[k]);
        strcpy(copies[k], csv[k]);
    }
    double acc = 0, t0 = now();
    for (size_t r = 0; r < reps; r++)
        for (size_t k = 0; k < ncsv; k++) {
            double d;
            sml_parse_double(copies[k], lens[k], &d);
            acc += d;
        }
    double t_sml = now() - t0;
    t0 = now();
    for (size_t r = 0; r < reps; r++)
        for (size_t k = 0; k < ncsv; k++)
            acc += strtod(copies[k], NULL);
    double t_libc = now() - t0;
    sink += (size_t)acc;
    report("parse_double csv", (double)(reps * ncsv) / t_sml / 1e6, "strtod", (double)(reps * ncsv) / t_libc / 1e6);

    /* parsing what we print: shortest text of random doubles (17 digits, any exponent) */
    const size_t nr = 2000000;
    char (*texts)[SML_DOUBLE_BUFSZ] = malloc(nr * sizeof *texts);
    size_t *tl = malloc(nr * sizeof *tl);
    if (!texts || !tl)
        return 2;
    for (size_t i = 0; i < nr; i++)
        tl[i] = sml_format_double(randoms[i], texts[i]);
    t0 = now();
    for (size_t i = 0; i < nr; i++) {
        double d;
        sml_parse_double(texts[i], tl[i], &d);
        acc += d;
    }
    t_sml = now() - t0;
    t0 = now();
    for (size_t i = 0; i < nr; i++)
        acc += strtod(texts[i], NULL);
    t_libc = now() - t0;
    sink += (size_t)acc;
    report("parse_double random shortest", (double)nr / t_sml / 1e6, "strtod", (double)nr / t_libc / 1e6);

    /* integers */
    char buf[32];
    size_t total = 0;
    t0 = now();
    for (size_t i = 0; i < n; i++)
        total += sml_format_int64((int64_t)(rnd() >> (i % 64)), buf);
    t_sml = now() - t0;
    t0 = now();
    for (size_t i = 0; i < n; i++)
        total += (size_t)snprintf(buf, sizeof buf, "%lld", (long long)(rnd() >> (i % 64)));
    t_libc = now() - t0;
    sink += total;
    report("format_int64", (double)n / t_sml / 1e6, "snprintf %lld", (double)n / t_libc / 1e6);
    free(v);
    free(prices);
    free(randoms);
    free(texts);
    free(tl);
    return 0;
}
