/*
 * Online learner "spark": the update of Spark MLlib's StreamingLinearRegressionWithSGD and
 * StreamingLogisticRegressionWithSGD, one micro-batch at a time (their trainOn runs GradientDescent.runMiniBatchSGD
 * on every batch RDD, starting from the previous batch's weights). Per batch, for i = 1..spark_iterations:
 *   sample the batch's rows (Bernoulli with spark_mini_batch_fraction; all rows at 1.0); if none, skip this i;
 *   gradient = mean over the sample of ℓ'(θ·x)·x;  step = learning_rate/sqrt(i);
 *   squared loss (SimpleUpdater): θ ← θ − step·gradient           (spark_reg_param ignored, as in Spark)
 *   logistic (SquaredL2Updater):  θ ← θ·(1 − step·reg) − step·gradient   (the intercept too, as in Spark)
 *   stop when a previous iterate exists and ||θ − θ_prev|| < tol·max(||θ||, 1).
 * Spark samples with seed 42 + i through its own XORShift generator; here the sampling draws from the learner's
 * xoshiro state (seeded from opts.seed, saved in checkpoints), so fractions below 1 match Spark in law, not row
 * for row.
 */
#include "optim/online_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/rng.h"

typedef struct spark_learner {
    sml_learner base;
    double *theta, *grad, *prev, *start; /* n each */
    sml_rng rng;
    uint64_t batches, skipped; /* micro-batches learned from, and empty ones */
} spark_learner;

static int spark_init(sml_learner *l, sml_error *err)
{
    spark_learner *s = (spark_learner *)l;
    s->theta = calloc(4 * l->n, sizeof(double));
    if (!s->theta)
        return sml_fail(err, SML_ENOMEM, "online learner spark: out of memory for %zu parameters", l->n);
    s->grad = s->theta + l->n;
    s->prev = s->grad + l->n;
    s->start = s->prev + l->n;
    memcpy(s->theta, l->init, l->n * sizeof(double));
    sml_rng_seed(&s->rng, l->o.seed);
    return 0;
}

static void spark_release(sml_learner *l) { free(((spark_learner *)l)->theta); }

static double dot(const spark_learner *s, const uint32_t *idx, const double *val, size_t nnz)
{
    const sml_learner *l = &s->base;
    double z = l->o.fit_intercept ? s->theta[l->dim] : 0.0;
    for (size_t k = 0; k < nnz; k++)
        if (idx[k] < l->dim)
            z += s->theta[idx[k]] * val[k];
    return z;
}

static double spark_margin(const sml_learner *l, const uint32_t *idx, const double *val, size_t nnz)
{
    return dot((const spark_learner *)l, idx, val, nnz);
}

static void spark_update(sml_learner *l, const uint32_t *idx, const double *val, size_t nnz, double y, double weight,
                         double margin)
{
    (void)l, (void)idx, (void)val, (void)nnz, (void)y, (void)weight, (void)margin; /* learns per batch only */
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

static int usable(const sml_learner *l, const sml_examples *ex, const uint8_t *use, size_t i)
{
    if (use && !use[i])
        return 0;
    uint8_t fl = ex->flags ? ex->flags[i] : SML_EX_LABEL;
    if (!(fl & SML_EX_LABEL) || (fl & (SML_EX_BAD_X | SML_EX_BAD_Y)))
        return 0;
    double y = ex->y[i];
    if (!isfinite(y) || (l->loss->binary_labels && y != 1 && y != -1))
        return 0;
    for (uint64_t k = ex->row_ptr[i]; k < ex->row_ptr[i + 1]; k++)
        if (ex->idx[k] >= l->dim || !isfinite(ex->val[k]))
            return 0;
    return 1;
}

static int spark_update_batch(sml_learner *l, const sml_examples *ex, const uint8_t *use, sml_error *err)
{
    spark_learner *s = (spark_learner *)l;
    size_t n = l->n, rows = 0;
    for (size_t i = 0; i < ex->nrows; i++)
        if (usable(l, ex, use, i))
            rows++;
        else if ((!use || use[i]) && ex->flags && (ex->flags[i] & SML_EX_LABEL))
            l->refused++;
    if (rows == 0) {
        s->skipped++; /* Spark: "GradientDescent.runMiniBatchSGD returning initial weights, no data found" */
        return 0;
    }
    const sml_online_opts *o = &l->o;
    int logistic = l->loss->kind == SML_LOSS_LOGISTIC, have_prev = 0;
    memcpy(s->start, s->theta, n * sizeof(double));
    for (int it = 1; it <= o->spark_iterations; it++) {
        memset(s->grad, 0, n * sizeof(double));
        size_t count = 0;
        for (size_t i = 0; i < ex->nrows; i++) {
            if (!usable(l, ex, use, i))
                continue;
            if (o->spark_mini_batch_fraction < 1 && !(sml_rng_uniform(&s->rng) < o->spark_mini_batch_fraction))
                continue;
            const uint32_t *idx = ex->idx + ex->row_ptr[i];
            const double *val = ex->val + ex->row_ptr[i];
            size_t nnz = (size_t)(ex->row_ptr[i + 1] - ex->row_ptr[i]);
            double d1, d2;
            l->loss->eval(dot(s, idx, val, nnz), ex->y[i], &d1, &d2);
            for (size_t k = 0; k < nnz; k++)
                s->grad[idx[k]] += d1 * val[k];
            if (o->fit_intercept)
                s->grad[l->dim] += d1;
            count++;
        }
        if (count == 0)
            continue; /* Spark: an empty sample leaves the weights (and the convergence check) alone */
        double step = o->learning_rate / sqrt((double)it);
        double shrink = logistic ? 1.0 - step * o->spark_reg_param : 1.0;
        double diff2 = 0, norm2 = 0;
        for (size_t j = 0; j < n; j++) {
            double t = s->theta[j] * shrink - step * (s->grad[j] / (double)count);
            double dlt = t - s->prev[j];
            diff2 += dlt * dlt;
            norm2 += t * t;
            s->theta[j] = t;
        }
        int converged = have_prev && sqrt(diff2) < o->spark_convergence_tol * fmax(sqrt(norm2), 1.0);
        memcpy(s->prev, s->theta, n * sizeof(double));
        have_prev = 1;
        if (converged)
            break;
    }
    if (!all_finite(s->theta, n)) {
        memcpy(s->theta, s->start, n * sizeof(double));
        l->numeric++;
        return sml_fail(err, SML_ENUMERIC, "online learner spark: the weights diverged on a micro-batch of %zu rows "
                                            "(learning_rate %g is too large?); the batch was not learned",
                        rows, o->learning_rate);
    }
    s->batches++;
    l->learned += rows;
    return 0;
}

static void spark_weights(const sml_learner *l, double *theta)
{
    memcpy(theta, ((const spark_learner *)l)->theta, l->n * sizeof(double));
}

static int spark_encode(const sml_learner *l, sml_strbuf *sb)
{
    const spark_learner *s = (const spark_learner *)l;
    int rc = sml_online_put_f64s(sb, s->theta, l->n);
    for (int i = 0; i < 4; i++)
        rc |= sml_put_u64(sb, s->rng.s[i]);
    rc |= sml_put_f64(sb, s->rng.spare) | sml_put_u8(sb, (uint8_t)s->rng.has_spare);
    rc |= sml_put_u64(sb, s->batches) | sml_put_u64(sb, s->skipped);
    return rc;
}

static int spark_decode(sml_learner *l, sml_cursor *c)
{
    spark_learner *s = (spark_learner *)l;
    sml_online_get_f64s(c, s->theta, l->n);
    for (int i = 0; i < 4; i++)
        s->rng.s[i] = sml_get_u64(c);
    s->rng.spare = sml_get_f64(c);
    s->rng.has_spare = sml_get_u8(c);
    s->batches = sml_get_u64(c);
    s->skipped = sml_get_u64(c);
    return c->failed ? SML_EFORMAT : 0;
}

const sml_learner_type sml_learner_spark = {"spark",       sizeof(spark_learner), 1,
                                            spark_init,    spark_release,         spark_margin,
                                            spark_update,  spark_update_batch,    NULL, spark_weights,
                                            spark_encode,  spark_decode};
