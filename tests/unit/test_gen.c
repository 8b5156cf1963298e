/* Random numbers (src/common/rng.c) and the synthetic data generators (include/streamml/gen.h). */
#include <stdint.h>
#include <stdlib.h>

#include "common/rng.h"
#include "streamml/streamml.h"
#include "unit.h"

/* ---------------------------------------------------------------- rng */

static void test_rng_seeding_reference(void)
{
    /* splitmix64 from 0: the published first outputs, which seed xoshiro's state */
    sml_rng r;
    sml_rng_seed(&r, 0);
    CHECK(r.s[0] == 0xe220a8397b1dcdafull);
    CHECK(r.s[1] == 0x6e789e6aa1b965f4ull);
    CHECK(r.s[2] == 0x06c45d188009454full);
    CHECK(r.s[3] == 0xf88bb8a8724c81ecull);
    /* xoshiro256** step from a known state: result = rotl(s1 * 5, 7) * 9 */
    r.s[0] = 1, r.s[1] = 2, r.s[2] = 3, r.s[3] = 4;
    CHECK(sml_rng_next(&r) == 11520ull);
    CHECK(sml_rng_next(&r) == 0ull);
    CHECK(sml_rng_next(&r) == 1509978240ull);
}

static void test_rng_deterministic(void)
{
    sml_rng a, b, c;
    sml_rng_seed(&a, 42);
    sml_rng_seed(&b, 42);
    sml_rng_seed(&c, 43);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        double x = sml_rng_normal(&a), y = sml_rng_normal(&b), z = sml_rng_normal(&c);
        same &= x == y;
        differ += x != z;
    }
    CHECK(same);
    CHECK(differ > 990);
}

static void test_rng_uniform_moments(void)
{
    sml_rng r;
    sml_rng_seed(&r, 7);
    const int n = 1000000;
    double sum = 0, sum2 = 0, lo = 1, hi = 0;
    for (int i = 0; i < n; i++) {
        double u = sml_rng_uniform(&r);
        sum += u, sum2 += u * u;
        lo = u < lo ? u : lo, hi = u > hi ? u : hi;
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    CHECK_NEAR(mean, 0.5, 0.002);         /* sd of the mean: 0.00029 */
    CHECK_NEAR(var, 1.0 / 12, 0.0005);
    CHECK(lo >= 0 && lo < 1e-4 && hi < 1 && hi > 1 - 1e-4);
    int counts[10] = {0};
    for (int i = 0; i < 100000; i++)
        counts[sml_rng_below(&r, 10)]++;
    for (int k = 0; k < 10; k++)
        CHECK_MSG(abs(counts[k] - 10000) < 500, "bucket %d: %d", k, counts[k]);
}

static void test_rng_normal_moments(void)
{
    sml_rng r;
    sml_rng_seed(&r, 11);
    const int n = 1000000;
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
    for (int i = 0; i < n; i++) {
        double x = sml_rng_normal(&r);
        m1 += x, m2 += x * x, m3 += x * x * x, m4 += x * x * x * x;
    }
    m1 /= n, m2 /= n, m3 /= n, m4 /= n;
    CHECK_NEAR(m1, 0, 0.005);
    CHECK_NEAR(m2, 1, 0.01);
    CHECK_NEAR(m3, 0, 0.02);
    CHECK_NEAR(m4, 3, 0.05);
}

static void mean_var(double *x, int n, double *mean, double *var)
{
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++)
        s += x[i], s2 += x[i] * x[i];
    *mean = s / n;
    *var = s2 / n - *mean * *mean;
}

static void test_rng_gamma_poisson_negbin(void)
{
    sml_rng r;
    sml_rng_seed(&r, 5);
    const int n = 400000;
    double *x = malloc(n * sizeof *x), mean, var;
    CHECK(x != NULL);
    if (!x)
        return;
    static const double shapes[] = {0.3, 1, 4.5};
    for (size_t s = 0; s < 3; s++) {
        for (int i = 0; i < n; i++)
            x[i] = sml_rng_gamma(&r, shapes[s]);
        mean_var(x, n, &mean, &var);
        CHECK_NEAR(mean, shapes[s], 0.02 * shapes[s] + 0.005);
        CHECK_NEAR(var, shapes[s], 0.05 * shapes[s] + 0.01);
    }
    static const double lambdas[] = {0.2, 3, 9.9, 10, 55, 1000};
    for (size_t s = 0; s < 6; s++) {
        for (int i = 0; i < n; i++)
            x[i] = (double)sml_rng_poisson(&r, lambdas[s]);
        mean_var(x, n, &mean, &var);
        CHECK_MSG(fabs(mean - lambdas[s]) < 0.01 * lambdas[s] + 0.003, "lambda %g: mean %g", lambdas[s], mean);
        CHECK_MSG(fabs(var - lambdas[s]) < 0.03 * lambdas[s] + 0.005, "lambda %g: var %g", lambdas[s], var);
    }
    CHECK(sml_rng_poisson(&r, 0) == 0);
    for (int i = 0; i < n; i++)
        x[i] = (double)sml_rng_negbin(&r, 2.0, 0.5);
    mean_var(x, n, &mean, &var);
    CHECK_NEAR(mean, 2.0, 0.03);
    CHECK_NEAR(var, 2.0 + 4.0 / 0.5, 0.4);
    free(x);
}

static void test_rng_categorical(void)
{
    sml_rng r;
    sml_rng_seed(&r, 3);
    const double cum[4] = {1, 3, 3, 7}; /* weights 1, 2, 0, 4 */
    int counts[4] = {0};
    for (int i = 0; i < 700000; i++)
        counts[sml_rng_categorical(&r, cum, 4)]++;
    CHECK_NEAR(counts[0] / 700000.0, 1 / 7.0, 0.003);
    CHECK_NEAR(counts[1] / 700000.0, 2 / 7.0, 0.003);
    CHECK_INT(counts[2], 0);
    CHECK_NEAR(counts[3] / 700000.0, 4 / 7.0, 0.003);
}

/* ---------------------------------------------------------------- generators */

typedef struct mem_sink {
    char *data;
    size_t len, cap;
} mem_sink;

static int mem_write(void *opaque, const void *buf, size_t len, sml_error *err)
{
    mem_sink *m = opaque;
    if (m->len + len + 1 > m->cap) {
        size_t cap = (m->len + len + 1) * 2;
        char *p = realloc(m->data, cap);
        if (!p)
            return sml_fail(err, SML_ENOMEM, "test sink");
        m->data = p, m->cap = cap;
    }
    memcpy(m->data + m->len, buf, len);
    m->len += len;
    m->data[m->len] = 0;
    return 0;
}

/* Generates rows (in calls of `chunk` rows) as text into sink, which the caller frees. */
static void gen_text(sml_gen_kind kind, uint64_t seed, uint64_t drift_at, uint64_t rows, uint64_t chunk,
                     sml_text_format fmt, mem_sink *sink)
{
    sml_error err = SML_ERROR_INIT;
    memset(sink, 0, sizeof *sink);
    sml_gen *g = sml_gen_new(kind, seed, drift_at, &err);
    CHECK_MSG(g != NULL, "%s", err.msg);
    if (!g)
        return;
    sml_textout *t = sml_textout_new(fmt, ',', sml_gen_colnames(g), sml_gen_ncols(g), mem_write, sink, &err);
    CHECK(t != NULL);
    CHECK_INT(sml_textout_header(t, NULL), 0);
    for (uint64_t done = 0; done < rows; done += chunk)
        CHECK_INT(sml_gen_write(g, t, rows - done < chunk ? rows - done : chunk, &err), 0);
    CHECK_INT(sml_textout_flush(t, NULL), 0);
    CHECK_INT(sml_gen_row(g), rows);
    sml_textout_free(t);
    sml_gen_free(g);
}

static void test_gen_kinds_and_columns(void)
{
    sml_gen_kind k;
    sml_error err = SML_ERROR_INIT;
    CHECK_INT(sml_gen_kind_parse("loans", &k, NULL), 0);
    CHECK_INT(k, SML_GEN_LOANS);
    CHECK_INT(sml_gen_kind_parse("feed", &k, NULL), 0);
    CHECK_INT(k, SML_GEN_FEED);
    CHECK_INT(sml_gen_kind_parse("iris", &k, &err), SML_EINVAL);
    CHECK(strstr(err.msg, "loans") != NULL);

    static const char *loans[] = {"credit.policy", "purpose", "int.rate", "installment", "log.annual.inc", "dti",
                                  "fico", "days.with.cr.line", "revol.bal", "revol.util", "inq.last.6mths",
                                  "delinq.2yrs", "pub.rec", "not.fully.paid"};
    sml_gen *g = sml_gen_new(SML_GEN_LOANS, 1, 0, NULL);
    CHECK_INT(sml_gen_ncols(g), 14);
    for (size_t i = 0; i < 14; i++)
        CHECK_STR(sml_gen_colnames(g)[i], loans[i]);
    CHECK_STR(sml_gen_label(g), "not.fully.paid");
    CHECK(sml_gen_col_is_categorical(g, 1) && !sml_gen_col_is_categorical(g, 0));
    sml_gen_free(g);
    g = sml_gen_new(SML_GEN_FEED, 1, 0, NULL);
    CHECK_INT(sml_gen_ncols(g), 8);
    CHECK_STR(sml_gen_label(g), "metadata_numPhotos");
    CHECK(sml_gen_col_is_categorical(g, 2) && !sml_gen_col_is_categorical(g, 3));
    sml_gen_free(g);
    sml_gen_free(NULL);
}

static void test_gen_same_seed_same_text(void)
{
    for (int kind = 0; kind < 2; kind++) {
        mem_sink a, b, c, d;
        gen_text((sml_gen_kind)kind, 9, 0, 3000, 3000, SML_TEXT_CSV, &a);
        gen_text((sml_gen_kind)kind, 9, 0, 3000, 7, SML_TEXT_CSV, &b); /* call size does not matter */
        gen_text((sml_gen_kind)kind, 10, 0, 3000, 3000, SML_TEXT_CSV, &c);
        gen_text((sml_gen_kind)kind, 9, 0, 3000, 3000, SML_TEXT_JSONL, &d);
        CHECK(a.len > 0 && a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        CHECK(c.len > 0 && !(a.len == c.len && memcmp(a.data, c.data, a.len) == 0));
        size_t lines = 0;
        for (size_t i = 0; i < d.len; i++)
            lines += d.data[i] == '\n';
        CHECK_INT(lines, 3000);
        free(a.data), free(b.data), free(c.data), free(d.data);
    }
}

/* Drift changes only the label's model: features are the same, and labels too before the drift row. */
static void test_gen_drift_changes_only_labels_after(void)
{
    for (int kind = 0; kind < 2; kind++) {
        sml_batch a = SML_BATCH_INIT, b = SML_BATCH_INIT;
        sml_gen *g0 = sml_gen_new((sml_gen_kind)kind, 4, 0, NULL);
        sml_gen *g1 = sml_gen_new((sml_gen_kind)kind, 4, 1000, NULL);
        CHECK_INT(sml_gen_fill(g0, &a, 3000, NULL), 0);
        CHECK_INT(sml_gen_fill(g1, &b, 3000, NULL), 0);
        size_t label = a.ncols - 1, before = 0, after = 0;
        int features_same = 1;
        for (size_t i = 0; i < 3000; i++) {
            for (size_t j = 0; j < label; j++) {
                const sml_column *ca = &a.cols[j], *cb = &b.cols[j];
                if (ca->type == SML_TYPE_NUM)
                    features_same &= ca->num[i] == cb->num[i];
                else
                    features_same &= ca->str_len[i] == cb->str_len[i] &&
                                     memcmp(a.strings + ca->str_off[i], b.strings + cb->str_off[i],
                                            ca->str_len[i]) == 0;
            }
            int differ = a.cols[label].num[i] != b.cols[label].num[i];
            if (i < 1000)
                before += differ;
            else
                after += differ;
        }
        CHECK(features_same);
        CHECK_INT(before, 0);
        CHECK_MSG(after > 100, "kind %d: %zu labels changed after the drift", kind, after);
        sml_batch_release(&a), sml_batch_release(&b);
        sml_gen_free(g0), sml_gen_free(g1);
    }
}

/* sml_gen_fill gives the values that sml_gen_write prints. */
static void test_gen_fill_matches_text(void)
{
    mem_sink s;
    gen_text(SML_GEN_LOANS, 21, 0, 2000, 2000, SML_TEXT_CSV, &s);
    sml_gen *g = sml_gen_new(SML_GEN_LOANS, 21, 0, NULL);
    sml_batch b = SML_BATCH_INIT;
    CHECK_INT(sml_gen_fill(g, &b, 1500, NULL), 0);
    CHECK_INT(b.nrows, 1500);
    CHECK_INT(sml_batch_find(&b, "fico"), 6);
    CHECK(b.cols[1].type == SML_TYPE_STR && b.cols[2].type == SML_TYPE_NUM);
    char *line = strchr(s.data, '\n') + 1; /* skip the header */
    int all_equal = 1;
    for (size_t i = 0; i < 1500 && line; i++) {
        char *field = line;
        for (size_t j = 0; j < b.ncols; j++) {
            size_t len = strcspn(field, ",\n");
            if (b.cols[j].type == SML_TYPE_NUM) {
                double v;
                all_equal &= sml_parse_double(field, len, &v) == 0 && v == b.cols[j].num[i];
            } else {
                all_equal &= b.cols[j].str_len[i] == len &&
                             memcmp(b.strings + b.cols[j].str_off[i], field, len) == 0;
            }
            field += len + 1;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    CHECK(all_equal);
    /* the next fill continues the same stream (rows 1500..1999), reusing the batch */
    CHECK_INT(sml_gen_fill(g, &b, 500, NULL), 0);
    CHECK_INT(b.nrows, 500);
    CHECK_INT(b.line[0], 1501);
    CHECK_INT(sml_gen_row(g), 2000);
    sml_batch_release(&b);
    sml_gen_free(g);
    free(s.data);
}

static void test_gen_ranges_and_rates(void)
{
    sml_gen *g = sml_gen_new(SML_GEN_LOANS, 1, 0, NULL);
    sml_batch b = SML_BATCH_INIT;
    CHECK_INT(sml_gen_fill(g, &b, 50000, NULL), 0);
    static const struct { const char *name; double lo, hi; } ranges[] = {
        {"credit.policy", 0, 1}, {"int.rate", 0.06, 0.2164}, {"installment", 15.67, 940.14},
        {"log.annual.inc", 7.5475, 14.5284}, {"dti", 0, 29.96}, {"fico", 612, 827},
        {"days.with.cr.line", 178.96, 17639.96}, {"revol.bal", 0, 1207359}, {"revol.util", 0, 119},
        {"inq.last.6mths", 0, 33}, {"delinq.2yrs", 0, 13}, {"pub.rec", 0, 5}, {"not.fully.paid", 0, 1},
    };
    for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
        int c = sml_batch_find(&b, ranges[k].name);
        CHECK(c >= 0);
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < b.nrows; i++) {
            double v = b.cols[c].num[i];
            lo = v < lo ? v : lo, hi = v > hi ? v : hi;
        }
        CHECK_MSG(lo >= ranges[k].lo && hi <= ranges[k].hi, "%s: [%g, %g]", ranges[k].name, lo, hi);
    }
    double pos = 0, policy = 0;
    for (size_t i = 0; i < b.nrows; i++)
        pos += b.cols[13].num[i], policy += b.cols[0].num[i];
    CHECK_NEAR(pos / (double)b.nrows, 0.16, 0.015);
    CHECK_NEAR(policy / (double)b.nrows, 0.805, 0.02);
    sml_batch_release(&b);
    sml_gen_free(g);
}

static void test_gen_truth_json(void)
{
    mem_sink s = {0};
    sml_gen *g = sml_gen_new(SML_GEN_FEED, 3, 500, NULL);
    CHECK_INT(sml_gen_truth_json(g, mem_write, &s, NULL), 0);
    CHECK(s.data && strncmp(s.data, "{\"generator\":\"feed\",\"seed\":3,\"label\":\"metadata_numPhotos\"", 57) == 0);
    CHECK(strstr(s.data, "\"link\":\"identity\"") != NULL);
    CHECK(strstr(s.data, "{\"start_row\":0,") != NULL);
    CHECK(strstr(s.data, "{\"start_row\":500,") != NULL);
    CHECK(strstr(s.data, "\"noise_sd\":") != NULL);
    CHECK(strstr(s.data, "\"audit_resourceType\":{\"3\":0,") != NULL);
    sml_gen_free(g);
    free(s.data);
    memset(&s, 0, sizeof s);
    g = sml_gen_new(SML_GEN_LOANS, 3, 0, NULL);
    CHECK_INT(sml_gen_truth_json(g, mem_write, &s, NULL), 0);
    CHECK(s.data && strstr(s.data, "\"link\":\"logistic\"") != NULL);
    CHECK(s.data && strstr(s.data, "start_row\":0") != NULL && strstr(s.data, "\"start_row\":1") == NULL);
    sml_gen_free(g);
    free(s.data);
}

int main(void)
{
    RUN(test_rng_seeding_reference);
    RUN(test_rng_deterministic);
    RUN(test_rng_uniform_moments);
    RUN(test_rng_normal_moments);
    RUN(test_rng_gamma_poisson_negbin);
    RUN(test_rng_categorical);
    RUN(test_gen_kinds_and_columns);
    RUN(test_gen_same_seed_same_text);
    RUN(test_gen_drift_changes_only_labels_after);
    RUN(test_gen_fill_matches_text);
    RUN(test_gen_ranges_and_rates);
    RUN(test_gen_truth_json);
    return UNIT_DONE();
}
