/*
 * Unit tests of the online learners (src/optim/online.h): the interface and its errors, lazy penalties equal to
 * applying them every record, checkpoints that resume bit for bit, no NaN in the weights, order and batching.
 * The numbers themselves are checked against numpy in tests/integration/0040-learners-vs-numpy.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "optim/online.h"
#include "unit.h"

#define DIM 12
#define ROWS 600
#define NNZ 4

static const char *const learners[] = {"normalized", "sgd", "adagrad", "ftrl", "rls", "spark"};

/* A sparse stream: NNZ distinct features per row out of DIM, labels from a linear model. */
typedef struct stream {
    uint32_t idx[ROWS][NNZ];
    double val[ROWS][NNZ], yreg[ROWS], ycls[ROWS];
} stream;

static void make_stream(stream *s, uint64_t seed)
{
    sml_rng r;
    sml_rng_seed(&r, seed);
    for (int i = 0; i < ROWS; i++) {
        double z = 0.3;
        for (int k = 0; k < NNZ; k++) {
            uint32_t j;
            int again;
            do { /* distinct indices within a row */
                j = (uint32_t)sml_rng_below(&r, DIM);
                again = 0;
                for (int q = 0; q < k; q++)
                    again |= s->idx[i][q] == j;
            } while (again);
            s->idx[i][k] = j;
            s->val[i][k] = sml_rng_normal(&r) * (1 + (double)j / 4);
            z += s->val[i][k] * ((double)j / DIM - 0.5);
        }
        s->yreg[i] = z + 0.3 * sml_rng_normal(&r);
        s->ycls[i] = z + sml_rng_normal(&r) > 0 ? 1 : -1;
    }
}

static sml_online_opts opts_for(const char *learner, int logistic)
{
    sml_online_opts o = SML_ONLINE_OPTS_INIT;
    o.learner = learner;
    o.loss = logistic ? &sml_loss_logistic : &sml_loss_squared;
    o.dim = DIM;
    if (!strcmp(learner, "sgd") || !strcmp(learner, "adagrad"))
        o.learning_rate = 0.1;
    if (!strcmp(learner, "spark"))
        o.learning_rate = 0.1;
    return o;
}

static sml_learner *make(const sml_online_opts *o)
{
    sml_learner *l = NULL;
    sml_error err = SML_ERROR_INIT;
    int rc = sml_learner_new(o, &l, &err);
    CHECK_MSG(rc == 0, "%s: %s", o->learner, err.msg);
    return l;
}

/* rows [from, to) of the stream, prequentially; spark learns per batch of `batch` rows */
static void feed(sml_learner *l, const stream *s, int logistic, int from, int to, int batch)
{
    const double *y = logistic ? s->ycls : s->yreg;
    if (!sml_learner_per_batch(l)) {
        for (int i = from; i < to; i++) {
            double z = sml_learner_margin(l, s->idx[i], s->val[i], NNZ);
            sml_learner_update(l, s->idx[i], s->val[i], NNZ, y[i], 1.0, z);
        }
        return;
    }
    uint64_t row_ptr[ROWS + 1];
    uint8_t flags[ROWS];
    double w[ROWS];
    for (int b = from; b < to; b += batch) {
        int m = to - b < batch ? to - b : batch;
        for (int i = 0; i <= m; i++)
            row_ptr[i] = (uint64_t)i * NNZ;
        for (int i = 0; i < m; i++)
            flags[i] = SML_EX_LABEL, w[i] = 1;
        sml_examples ex = {(size_t)m, row_ptr, (uint32_t *)s->idx[b], (double *)s->val[b], (double *)(y + b), w,
                           flags, (size_t)m * NNZ, (size_t)m, (size_t)m * NNZ, NULL};
        sml_error err = SML_ERROR_INIT;
        CHECK_INT(sml_learner_update_batch(l, &ex, NULL, &err), 0);
    }
}

static int same_bits(const double *a, const double *b, size_t n) { return !memcmp(a, b, n * sizeof(double)); }

/* ---------------------------------------------------------------- interface */

static void test_defaults_and_names(void)
{
    sml_online_opts o = SML_ONLINE_OPTS_INIT;
    CHECK_STR(o.learner, "normalized");
    CHECK(o.learning_rate == 0.5 && o.power_t == 0.5 && o.fit_intercept == 1 && o.rls_max_features == 4096);
    CHECK(o.ftrl_alpha == 0.1 && o.ftrl_beta == 1 && o.spark_convergence_tol == 0.001);
    o.dim = 3;
    o.learner = NULL;
    sml_learner *l = make(&o);
    if (!l)
        return;
    CHECK_STR(sml_learner_name(l), "normalized");
    CHECK_INT(sml_learner_size(l), 4);
    CHECK_INT(sml_learner_per_batch(l), 0);
    double theta[4] = {1, 1, 1, 1};
    sml_learner_weights(l, theta);
    CHECK(theta[0] == 0 && theta[3] == 0);
    sml_learner_free(l);
    sml_learner_free(NULL);
    for (size_t i = 0; i < sizeof learners / sizeof *learners; i++) {
        sml_online_opts q = opts_for(learners[i], 0);
        l = make(&q);
        CHECK_STR(sml_learner_name(l), learners[i]);
        CHECK_INT(sml_learner_per_batch(l), !strcmp(learners[i], "spark"));
        sml_learner_free(l);
    }
}

static void expect_error(sml_online_opts o, int code, const char *needle)
{
    sml_learner *l = (sml_learner *)1;
    sml_error err = SML_ERROR_INIT;
    int rc = sml_learner_new(&o, &l, &err);
    CHECK_MSG(rc == code, "%s: got %d, want %d (%s)", needle, rc, code, err.msg);
    CHECK(l == NULL);
    CHECK_MSG(strstr(err.msg, needle) != NULL, "message \"%s\" lacks \"%s\"", err.msg, needle);
}

static void test_bad_options(void)
{
    sml_online_opts o = opts_for("normalized", 0);
    o.learner = "vw";
    expect_error(o, SML_EINVAL, "unknown learner \"vw\"");
    o = opts_for("sgd", 0);
    o.learning_rate = 0;
    expect_error(o, SML_EINVAL, "learning_rate");
    o = opts_for("sgd", 0);
    o.l1 = -1;
    expect_error(o, SML_EINVAL, "l1");
    o = opts_for("ftrl", 0);
    o.ftrl_alpha = NAN;
    expect_error(o, SML_EINVAL, "ftrl_alpha");
    o = opts_for("rls", 1);
    expect_error(o, SML_EINVAL, "squared loss only");
    o = opts_for("rls", 0);
    o.rls_forgetting = 1.5;
    expect_error(o, SML_EINVAL, "rls_forgetting");
    o = opts_for("spark", 0);
    o.l2 = 0.1;
    expect_error(o, SML_EINVAL, "spark_reg_param");
    o = opts_for("spark", 0);
    o.spark_mini_batch_fraction = 0;
    expect_error(o, SML_EINVAL, "spark_mini_batch_fraction");
    double base[DIM + 1] = {0};
    base[3] = INFINITY;
    o = opts_for("sgd", 0);
    o.base = base;
    expect_error(o, SML_EINVAL, "base[3]");
    o = opts_for("sgd", 0);
    o.dim = 0;
    o.fit_intercept = 0;
    expect_error(o, SML_EINVAL, "no parameters");
}

static void test_rls_feature_cap(void)
{
    sml_online_opts o = opts_for("rls", 0);
    o.dim = 5000;
    expect_error(o, SML_ERANGE, "5000 features is above rls_max_features 4096");
    o.rls_max_features = 5000;
    o.dim = 100; /* a raised cap is honoured (kept small here: O(dim^2) memory) */
    sml_learner *l = make(&o);
    sml_learner_free(l);
}

static void test_update_batch_on_per_record_learner(void)
{
    sml_online_opts o = opts_for("sgd", 0);
    sml_learner *l = make(&o);
    sml_examples ex = SML_EXAMPLES_INIT;
    sml_error err = SML_ERROR_INIT;
    CHECK_INT(sml_learner_update_batch(l, &ex, NULL, &err), SML_ESTATE);
    sml_learner_free(l);
}

/* ---------------------------------------------------------------- lazy == dense */

/* Rows padded with explicit zeros for every other feature make every coordinate be brought up to date on every
 * record, which is the dense application of the penalty; the sparse rows leave it to the lazy catch-up. */
static void test_lazy_equals_dense(void)
{
    static stream s;
    make_stream(&s, 5);
    const char *lazy[] = {"sgd", "adagrad", "normalized"};
    double base[DIM + 1];
    for (int j = 0; j <= DIM; j++)
        base[j] = 0.1 * (j % 5) - 0.2;
    for (int logistic = 0; logistic < 2; logistic++)
        for (size_t t = 0; t < 3; t++) {
            sml_online_opts o = opts_for(lazy[t], logistic);
            o.l2 = 0.01;
            o.l1 = 0.02;
            o.l2_to_base = 0.05;
            o.base = base;
            sml_learner *a = make(&o), *b = make(&o);
            if (!a || !b)
                return;
            const double *y = logistic ? s.ycls : s.yreg;
            double max_diff = 0, ta[DIM + 1], tb[DIM + 1];
            int zeros = 0;
            for (int i = 0; i < ROWS; i++) {
                uint32_t idx[DIM];
                double val[DIM];
                for (int j = 0; j < DIM; j++)
                    idx[j] = (uint32_t)j, val[j] = 0;
                for (int k = 0; k < NNZ; k++)
                    val[s.idx[i][k]] = s.val[i][k];
                double za = sml_learner_margin(a, s.idx[i], s.val[i], NNZ);
                double zb = sml_learner_margin(b, idx, val, DIM);
                sml_learner_update(a, s.idx[i], s.val[i], NNZ, y[i], 1.0, za);
                sml_learner_update(b, idx, val, DIM, y[i], 1.0, zb);
                sml_learner_weights(a, ta);
                sml_learner_weights(b, tb);
                for (int j = 0; j <= DIM; j++) {
                    max_diff = fmax(max_diff, fabs(ta[j] - tb[j]));
                    zeros += ta[j] == 0;
                    CHECK_MSG((ta[j] == 0) == (tb[j] == 0), "%s record %d coordinate %d: zero in one only",
                              lazy[t], i, j);
                }
            }
            CHECK_MSG(max_diff < 1e-12, "%s %s: lazy vs dense %g", lazy[t], logistic ? "logistic" : "squared",
                      max_diff);
            CHECK_MSG(zeros > 0, "%s: l1 made no exact zero", lazy[t]);
            sml_learner_free(a);
            sml_learner_free(b);
        }
}

/* ---------------------------------------------------------------- checkpoints */

static void test_checkpoint_resume_is_bit_identical(void)
{
    static stream s;
    make_stream(&s, 9);
    double base[DIM + 1];
    for (int j = 0; j <= DIM; j++)
        base[j] = 0.05 * j - 0.3;
    for (size_t t = 0; t < sizeof learners / sizeof *learners; t++)
        for (int logistic = 0; logistic < 2; logistic++) {
            if (logistic && !strcmp(learners[t], "rls"))
                continue;
            sml_online_opts o = opts_for(learners[t], logistic);
            if (strcmp(learners[t], "spark") != 0) {
                o.l2 = 0.01;
                o.l2_to_base = 0.02;
                o.base = base;
                if (strcmp(learners[t], "rls") != 0)
                    o.l1 = 0.005;
            } else {
                o.spark_mini_batch_fraction = 0.5; /* the random state must travel in the checkpoint too */
                o.spark_reg_param = 0.01;
                o.seed = 42;
            }
            sml_learner *whole = make(&o), *first = make(&o), *resumed = NULL;
            feed(whole, &s, logistic, 0, ROWS, 50);
            feed(first, &s, logistic, 0, 300, 50);
            sml_strbuf sb = SML_STRBUF_INIT;
            CHECK_INT(sml_learner_encode(first, &sb), 0);
            sml_learner_free(first);
            sml_cursor c = {(const uint8_t *)sb.buf, (const uint8_t *)sb.buf + sb.len, "learner", 0};
            sml_error err = SML_ERROR_INIT;
            CHECK_MSG(sml_learner_decode(&c, &o, &resumed, &err) == 0, "%s: %s", learners[t], err.msg);
            CHECK_INT(sml_cursor_left(&c), 0);
            if (resumed) {
                feed(resumed, &s, logistic, 300, ROWS, 50);
                double a[DIM + 1], b[DIM + 1];
                sml_learner_weights(whole, a);
                sml_learner_weights(resumed, b);
                CHECK_MSG(same_bits(a, b, DIM + 1), "%s %s: resumed run differs", learners[t],
                          logistic ? "logistic" : "squared");
                uint64_t n1, n2;
                sml_learner_counts(whole, &n1, NULL, NULL);
                sml_learner_counts(resumed, &n2, NULL, NULL);
                CHECK_INT(n1, n2);
                /* and the checkpoint of both is the same bytes */
                sml_strbuf s1 = SML_STRBUF_INIT, s2 = SML_STRBUF_INIT;
                CHECK(!sml_learner_encode(whole, &s1) && !sml_learner_encode(resumed, &s2));
                CHECK(s1.len == s2.len && !memcmp(s1.buf, s2.buf, s1.len));
                sml_strbuf_release(&s1);
                sml_strbuf_release(&s2);
            }
            /* truncated checkpoints and mismatched options are refused with clear errors */
            for (size_t cut = 0; cut < sb.len; cut += sb.len / 7 + 1) {
                sml_cursor tc = {(const uint8_t *)sb.buf, (const uint8_t *)sb.buf + cut, "learner", 0};
                sml_learner *bad = (sml_learner *)1;
                CHECK_INT(sml_learner_decode(&tc, &o, &bad, &err), SML_EFORMAT);
                CHECK(bad == NULL);
            }
            sml_online_opts other = o;
            other.dim = DIM + 1;
            other.base = NULL;
            c.p = (const uint8_t *)sb.buf;
            c.failed = 0;
            sml_learner *bad = NULL;
            CHECK_INT(sml_learner_decode(&c, &other, &bad, &err), SML_EINVAL);
            CHECK(strstr(err.msg, "checkpoint") != NULL);
            sml_strbuf_release(&sb);
            sml_learner_free(whole);
            sml_learner_free(resumed);
        }
}

/* ---------------------------------------------------------------- robustness */

static void test_non_finite_never_enters_weights(void)
{
    static stream s;
    make_stream(&s, 3);
    for (size_t t = 0; t < 5; t++) { /* the per-record learners */
        sml_online_opts o = opts_for(learners[t], 0);
        sml_learner *l = make(&o);
        feed(l, &s, 0, 0, 100, 1);
        double before[DIM + 1], after[DIM + 1];
        sml_learner_weights(l, before);
        uint32_t idx[2] = {1, 2}, far[2] = {1, DIM};
        double ok[2] = {1, 2}, nan_x[2] = {1, NAN}, inf_x[2] = {INFINITY, 1};
        double z = sml_learner_margin(l, idx, ok, 2);
        sml_learner_update(l, idx, nan_x, 2, 1.0, 1.0, z);
        sml_learner_update(l, idx, inf_x, 2, 1.0, 1.0, z);
        sml_learner_update(l, idx, ok, 2, NAN, 1.0, z);
        sml_learner_update(l, idx, ok, 2, 1.0, INFINITY, z);
        sml_learner_update(l, idx, ok, 2, 1.0, -1.0, z);
        sml_learner_update(l, idx, ok, 2, 1.0, 1.0, NAN);
        sml_learner_update(l, far, ok, 2, 1.0, 1.0, z); /* index >= dim */
        sml_learner_update(l, idx, ok, 2, 1.0, 0.0, z); /* weight 0: not learned, not refused */
        sml_learner_weights(l, after);
        CHECK_MSG(same_bits(before, after, DIM + 1), "%s: a refused record changed the weights", learners[t]);
        uint64_t learned, refused;
        sml_learner_counts(l, &learned, &refused, NULL);
        CHECK_INT(learned, 100);
        CHECK_INT(refused, 7);
        /* a huge but finite record: whatever happens, the weights stay finite */
        double huge[2] = {1e300, -1e300};
        for (int r = 0; r < 3; r++) {
            z = sml_learner_margin(l, idx, huge, 2);
            sml_learner_update(l, idx, huge, 2, 1e300, 1.0, isfinite(z) ? z : 0);
        }
        sml_learner_weights(l, after);
        for (int j = 0; j <= DIM; j++)
            CHECK_MSG(isfinite(after[j]), "%s: weight %d is %g", learners[t], j, after[j]);
        sml_learner_free(l);
    }
    /* a logistic label must be ±1 */
    sml_online_opts o = opts_for("ftrl", 1);
    sml_learner *l = make(&o);
    uint32_t idx[1] = {0};
    double val[1] = {1};
    sml_learner_update(l, idx, val, 1, 0.0, 1.0, 0.0);
    uint64_t refused;
    sml_learner_counts(l, NULL, &refused, NULL);
    CHECK_INT(refused, 1);
    sml_learner_free(l);
}

/* Per-record learners: the weights depend on the records and their order, never on how the caller groups them
 * into batches or on reading the weights in between (weights and margin are read-only). */
static void test_batching_and_order(void)
{
    static stream s;
    make_stream(&s, 21);
    for (size_t t = 0; t < 5; t++) {
        sml_online_opts o = opts_for(learners[t], 0);
        o.l2 = 0.01;
        if (strcmp(learners[t], "rls") != 0)
            o.l1 = 0.001;
        sml_learner *a = make(&o), *b = make(&o), *c = make(&o);
        double ta[DIM + 1], tb[DIM + 1], tc[DIM + 1];
        feed(a, &s, 0, 0, ROWS, 1);
        for (int from = 0; from < ROWS; from += 37) { /* "batches" of 37, reading weights and margins between */
            feed(b, &s, 0, from, from + 37 < ROWS ? from + 37 : ROWS, 1);
            sml_learner_weights(b, tb);
            (void)sml_learner_margin(b, s.idx[0], s.val[0], NNZ);
        }
        sml_learner_weights(a, ta);
        sml_learner_weights(b, tb);
        CHECK_MSG(same_bits(ta, tb, DIM + 1), "%s: batching changed the weights", learners[t]);
        /* the order does matter: swapping two records gives other weights (so the tests above mean something) */
        feed(c, &s, 0, 1, 2, 1);
        feed(c, &s, 0, 0, 1, 1);
        feed(c, &s, 0, 2, ROWS, 1);
        sml_learner_weights(c, tc);
        CHECK_MSG(!same_bits(ta, tc, DIM + 1), "%s: swapping records 0 and 1 changed nothing", learners[t]);
        sml_learner_free(a);
        sml_learner_free(b);
        sml_learner_free(c);
    }
}

static void test_spark_skips_empty_batches_and_unusable_rows(void)
{
    static stream s;
    make_stream(&s, 4);
    sml_online_opts o = opts_for("spark", 0);
    sml_learner *a = make(&o), *b = make(&o);
    uint64_t row_ptr[3] = {0, NNZ, 2 * NNZ};
    uint8_t flags[2] = {SML_EX_LABEL, SML_EX_LABEL | SML_EX_BAD_X}, use[2] = {0, 1};
    double w[2] = {1, 1};
    sml_examples ex = {2, row_ptr, s.idx[0], s.val[0], s.yreg, w, flags, 2 * NNZ, 2, 2 * NNZ, NULL};
    sml_error err = SML_ERROR_INIT;
    /* row 0 not in use, row 1 flagged bad: nothing to learn, the weights stay */
    CHECK_INT(sml_learner_update_batch(a, &ex, use, &err), 0);
    double ta[DIM + 1], tb[DIM + 1];
    sml_learner_weights(a, ta);
    sml_learner_weights(b, tb);
    CHECK(same_bits(ta, tb, DIM + 1));
    ex.nrows = 0;
    CHECK_INT(sml_learner_update_batch(a, &ex, NULL, &err), 0);
    /* per-record updates are ignored in spark mode */
    sml_learner_update(a, s.idx[0], s.val[0], NNZ, 1.0, 1.0, 0.0);
    sml_learner_weights(a, ta);
    CHECK(same_bits(ta, tb, DIM + 1));
    /* a step size that diverges is refused and leaves the weights as they were */
    o.learning_rate = 1e200;
    sml_learner *c = make(&o);
    ex.nrows = 2;
    flags[1] = SML_EX_LABEL;
    CHECK_INT(sml_learner_update_batch(c, &ex, NULL, &err), SML_ENUMERIC);
    sml_learner_weights(c, ta);
    CHECK(same_bits(ta, tb, DIM + 1));
    sml_learner_free(a);
    sml_learner_free(b);
    sml_learner_free(c);
}

int main(void)
{
    RUN(test_defaults_and_names);
    RUN(test_bad_options);
    RUN(test_rls_feature_cap);
    RUN(test_update_batch_on_per_record_learner);
    RUN(test_lazy_equals_dense);
    RUN(test_checkpoint_resume_is_bit_identical);
    RUN(test_non_finite_never_enters_weights);
    RUN(test_batching_and_order);
    RUN(test_spark_skips_empty_batches_and_unusable_rows);
    return UNIT_DONE();
}
