/*
 * The online learners' common front (see online.h): option checks, the learner table, input validation shared by
 * every learner, counters, and the checkpoint framing. Each learner's maths lives in its own online_<name>.c.
 */
#include "optim/online_int.h"

#include <stdlib.h>
#include <string.h>

static const sml_learner_type *const learner_types[] = {&sml_learner_normalized, &sml_learner_sgd,
                                                        &sml_learner_adagrad,    &sml_learner_ftrl,
                                                        &sml_learner_rls,        &sml_learner_spark};

#define CHECKPOINT_MAGIC 0x4f4c4d53u /* "SMLO" */
#define CHECKPOINT_VERSION 1u

static const sml_learner_type *find_type(const char *name)
{
    if (!name)
        name = "normalized";
    for (size_t i = 0; i < sizeof learner_types / sizeof *learner_types; i++) /* NOLINT(bugprone-sizeof-expression): pointers */
        if (!strcmp(learner_types[i]->name, name))
            return learner_types[i];
    return NULL;
}

static int finite_nonneg(double v) { return isfinite(v) && v >= 0; }

static int check_opts(const sml_online_opts *o, const sml_learner_type *type, sml_error *err)
{
    const char *name = type->name;
    const sml_loss *loss = o->loss ? o->loss : &sml_loss_squared;
    if (loss != &sml_loss_squared && loss != &sml_loss_logistic)
        return sml_fail(err, SML_EINVAL, "online learner: loss must be squared or logistic");
    if (o->dim > (size_t)UINT32_MAX)
        return sml_fail(err, SML_EINVAL, "online learner: dim %zu is above 2^32 - 1", o->dim);
    if (o->dim == 0 && !o->fit_intercept)
        return sml_fail(err, SML_EINVAL, "online learner: no parameters (dim 0 and no intercept)");
    if (!(isfinite(o->learning_rate) && o->learning_rate > 0))
        return sml_fail(err, SML_EINVAL, "online learner: learning_rate must be > 0, got %g", o->learning_rate);
    if (!finite_nonneg(o->power_t))
        return sml_fail(err, SML_EINVAL, "online learner: power_t must be >= 0, got %g", o->power_t);
    if (!finite_nonneg(o->initial_t))
        return sml_fail(err, SML_EINVAL, "online learner: initial_t must be >= 0, got %g", o->initial_t);
    if (!finite_nonneg(o->l2) || !finite_nonneg(o->l1) || !finite_nonneg(o->l2_to_base))
        return sml_fail(err, SML_EINVAL, "online learner: l2, l1 and l2_to_base must be finite and >= 0");
    if (!finite_nonneg(o->warm_records))
        return sml_fail(err, SML_EINVAL, "online learner: warm_records must be >= 0, got %g", o->warm_records);
    if (!(isfinite(o->ftrl_alpha) && o->ftrl_alpha > 0) || !(isfinite(o->ftrl_beta) && o->ftrl_beta > 0))
        return sml_fail(err, SML_EINVAL, "online learner: ftrl_alpha and ftrl_beta must be > 0");
    if (!(o->rls_forgetting > 0 && o->rls_forgetting <= 1))
        return sml_fail(err, SML_EINVAL, "online learner: rls_forgetting must be in (0, 1], got %g",
                        o->rls_forgetting);
    if (!(isfinite(o->rls_delta) && o->rls_delta > 0))
        return sml_fail(err, SML_EINVAL, "online learner: rls_delta must be > 0, got %g", o->rls_delta);
    if (o->spark_iterations < 1)
        return sml_fail(err, SML_EINVAL, "online learner: spark_iterations must be >= 1, got %d",
                        o->spark_iterations);
    if (!(o->spark_mini_batch_fraction > 0 && o->spark_mini_batch_fraction <= 1))
        return sml_fail(err, SML_EINVAL, "online learner: spark_mini_batch_fraction must be in (0, 1], got %g",
                        o->spark_mini_batch_fraction);
    if (!finite_nonneg(o->spark_reg_param) || !finite_nonneg(o->spark_convergence_tol))
        return sml_fail(err, SML_EINVAL, "online learner: spark_reg_param and spark_convergence_tol must be >= 0");
    if (!strcmp(name, "rls")) {
        if (loss != &sml_loss_squared)
            return sml_fail(err, SML_EINVAL, "online learner rls: squared loss only (use normalized or ftrl "
                                             "for the logistic loss)");
        if (o->l1 > 0)
            return sml_fail(err, SML_EINVAL, "online learner rls: l1 is not supported");
        if (o->dim > o->rls_max_features)
            return sml_fail(err, SML_ERANGE,
                            "online learner rls: %zu features is above rls_max_features %zu (RLS costs O(dim^2) "
                            "memory and time per record; use normalized, or hash to fewer features)",
                            o->dim, o->rls_max_features);
    }
    if (!strcmp(name, "spark") && (o->l2 > 0 || o->l1 > 0 || o->l2_to_base > 0))
        return sml_fail(err, SML_EINVAL, "online learner spark: l2, l1 and l2_to_base are not part of Spark's "
                                         "update; use spark_reg_param");
    size_t n = o->dim + (o->fit_intercept ? 1 : 0);
    for (size_t j = 0; j < n; j++) {
        if (o->base && !isfinite(o->base[j]))
            return sml_fail(err, SML_EINVAL, "online learner: base[%zu] is not finite", j);
        if (o->init && !isfinite(o->init[j]))
            return sml_fail(err, SML_EINVAL, "online learner: init[%zu] is not finite", j);
    }
    return 0;
}

int sml_learner_new(const sml_online_opts *o, sml_learner **out, sml_error *err)
{
    *out = NULL;
    const sml_learner_type *type = find_type(o->learner);
    if (!type)
        return sml_fail(err, SML_EINVAL, "online learner: unknown learner \"%s\" (normalized, sgd, adagrad, ftrl, "
                                         "rls, spark)", o->learner);
    int rc = check_opts(o, type, err);
    if (rc)
        return rc;
    size_t n = o->dim + (o->fit_intercept ? 1 : 0);
    if (n > SIZE_MAX / (2 * sizeof(double)))
        return sml_fail(err, SML_ENOMEM, "online learner: dim %zu is too large", o->dim);
    sml_learner *l = calloc(1, type->size);
    if (!l)
        return sml_fail(err, SML_ENOMEM, "online learner: out of memory");
    l->type = type;
    l->o = *o;
    l->o.learner = type->name;
    l->o.fit_intercept = o->fit_intercept ? 1 : 0;
    l->loss = o->loss ? o->loss : &sml_loss_squared;
    l->o.loss = l->loss;
    l->dim = o->dim;
    l->n = n;
    l->base = calloc(n, sizeof(double));
    l->init = calloc(n, sizeof(double));
    if (!l->base || !l->init) {
        rc = sml_fail(err, SML_ENOMEM, "online learner: out of memory");
        goto out;
    }
    /* both start as calloc's zeros: copy only what is given, so untouched pages stay unmapped */
    if (o->base)
        memcpy(l->base, o->base, n * sizeof(double));
    if (o->init || o->base)
        memcpy(l->init, o->init ? o->init : l->base, n * sizeof(double));
    l->init_zero = !o->init && !o->base;
    l->o.base = l->base;
    l->o.init = l->init;
    l->penalized = o->l2 > 0 || o->l1 > 0 || o->l2_to_base > 0;
    rc = type->init(l, err);
out:
    if (rc) {
        sml_learner_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

void sml_learner_free(sml_learner *l)
{
    if (!l)
        return;
    if (l->type->release)
        l->type->release(l);
    free(l->base);
    free(l->init);
    free(l);
}

const char *sml_learner_name(const sml_learner *l) { return l->type->name; }
size_t sml_learner_size(const sml_learner *l) { return l->n; }
int sml_learner_per_batch(const sml_learner *l) { return l->type->per_batch; }

double sml_learner_margin(const sml_learner *l, const uint32_t *idx, const double *val, size_t nnz)
{
    return l->type->margin(l, idx, val, nnz);
}

void sml_learner_update(sml_learner *l, const uint32_t *idx, const double *val, size_t nnz, double y, double weight,
                        double margin)
{
    if (l->type->per_batch)
        return;
    if (weight == 0)
        return; /* a record of weight 0 counts as no record */
    if (!isfinite(y) || !isfinite(weight) || weight < 0 || !isfinite(margin) ||
        (l->loss->binary_labels && y != 1 && y != -1)) {
        l->refused++;
        return;
    }
    for (size_t k = 0; k < nnz; k++)
        if (idx[k] >= l->dim || !isfinite(val[k])) {
            l->refused++;
            return;
        }
    l->type->update(l, idx, val, nnz, y, weight, margin);
    l->learned++;
}

double sml_learner_score_learn(sml_learner *l, const uint32_t *idx, const double *val, size_t nnz, double y,
                               double weight)
{
    if (!l->type->score_learn || l->type->per_batch || !(weight > 0) || !isfinite(y) || !isfinite(weight) ||
        (l->loss->binary_labels && y != 1 && y != -1))
        goto plain;
    for (size_t k = 0; k < nnz; k++)
        if (idx[k] >= l->dim || !isfinite(val[k]))
            goto plain;
    double m = l->type->score_learn(l, idx, val, nnz, y, weight);
    if (isfinite(m))
        l->learned++;
    else
        l->refused++; /* the fused step left the weights as they were */
    return m;
plain:;
    double margin = l->type->margin(l, idx, val, nnz);
    sml_learner_update(l, idx, val, nnz, y, weight, margin);
    return margin;
}

int sml_learner_update_batch(sml_learner *l, const sml_examples *ex, const uint8_t *use, sml_error *err)
{
    if (!l->type->per_batch)
        return sml_fail(err, SML_ESTATE, "online learner %s learns per record, not per micro-batch",
                        l->type->name);
    return l->type->update_batch(l, ex, use, err);
}

void sml_learner_weights(const sml_learner *l, double *theta) { l->type->weights(l, theta); }

void sml_learner_counts(const sml_learner *l, uint64_t *learned, uint64_t *refused, uint64_t *numeric)
{
    if (learned)
        *learned = l->learned;
    if (refused)
        *refused = l->refused;
    if (numeric)
        *numeric = l->numeric;
}

/* ---------------------------------------------------------------- checkpoints */

int sml_online_put_f64s(sml_strbuf *sb, const double *v, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = sml_put_f64(sb, v[i]);
    return rc;
}

void sml_online_get_f64s(sml_cursor *c, double *v, size_t n)
{
    if (n > sml_cursor_left(c) / 8) {
        c->failed = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = sml_get_f64(c);
}

int sml_learner_encode(const sml_learner *l, sml_strbuf *sb)
{
    int rc = sml_put_u32(sb, CHECKPOINT_MAGIC);
    rc |= sml_put_u32(sb, CHECKPOINT_VERSION);
    rc |= sml_put_str(sb, l->type->name);
    rc |= sml_put_str(sb, l->loss->name);
    rc |= sml_put_u64(sb, l->dim);
    rc |= sml_put_u8(sb, (uint8_t)l->o.fit_intercept);
    rc |= sml_put_u64(sb, l->learned);
    rc |= sml_put_u64(sb, l->refused);
    rc |= sml_put_u64(sb, l->numeric);
    if (!rc)
        rc = l->type->encode(l, sb);
    return rc ? SML_ENOMEM : 0;
}

int sml_learner_decode(sml_cursor *c, const sml_online_opts *o, sml_learner **out, sml_error *err)
{
    *out = NULL;
    sml_learner *l = NULL;
    char *name = NULL, *loss = NULL;
    int rc = 0;
    uint32_t magic = sml_get_u32(c), version = sml_get_u32(c);
    if (c->failed || magic != CHECKPOINT_MAGIC || version != CHECKPOINT_VERSION) {
        rc = sml_fail(err, SML_EFORMAT, "online learner checkpoint: %s", c->failed ? "truncated"
                                        : magic != CHECKPOINT_MAGIC ? "bad magic" : "unsupported version");
        goto out;
    }
    name = sml_get_str(c);
    loss = sml_get_str(c);
    uint64_t dim = sml_get_u64(c);
    int intercept = sml_get_u8(c);
    if (c->failed || !name || !loss) {
        rc = sml_fail(err, SML_EFORMAT, "online learner checkpoint: truncated");
        goto out;
    }
    const sml_learner_type *type = find_type(o->learner);
    const sml_loss *want_loss = o->loss ? o->loss : &sml_loss_squared;
    if (!type || strcmp(type->name, name) || strcmp(want_loss->name, loss) || dim != o->dim ||
        intercept != (o->fit_intercept ? 1 : 0)) {
        rc = sml_fail(err, SML_EINVAL,
                      "online learner checkpoint: written by learner %s, loss %s, dim %llu, intercept %d; the "
                      "options ask for %s, %s, %zu, %d", name, loss, (unsigned long long)dim, intercept,
                      o->learner ? o->learner : "normalized", want_loss->name, o->dim, o->fit_intercept ? 1 : 0);
        goto out;
    }
    rc = sml_learner_new(o, &l, err);
    if (rc)
        goto out;
    l->learned = sml_get_u64(c);
    l->refused = sml_get_u64(c);
    l->numeric = sml_get_u64(c);
    if (c->failed || l->type->decode(l, c) || c->failed) {
        rc = sml_fail(err, SML_EFORMAT, "online learner checkpoint: truncated or corrupt %s state", name);
        goto out;
    }
    *out = l;
    l = NULL;
out:
    sml_learner_free(l);
    free(name);
    free(loss);
    return rc;
}
