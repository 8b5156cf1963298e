/*
 * The linear model (models stage): weights over the pipeline's features, plus a link. Immutable once built,
 * reference counted, safe to score from many threads.
 */
#include "streamml/model.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/loss.h"
#include "models/model_int.h"
#include "streamml/num.h"

/* The index of the first weight that is NaN or infinite, or n. The scan has no branch per weight (the exponent bits
 * of blocks are OR-ed together, which vectorises): isfinite() per element took a fifth of loading 2^20 weights. */
static size_t first_not_finite(const double *w, size_t n)
{
    const uint64_t exp = 0x7ff0000000000000u; /* all exponent bits set: Inf or NaN */
    for (size_t i = 0; i < n; i += 1024) {
        size_t m = n - i < 1024 ? n - i : 1024;
        uint64_t any = 0;
        for (size_t j = 0; j < m; j++) {
            uint64_t u;
            memcpy(&u, &w[i + j], 8);
            any |= (uint64_t)((u & exp) == exp);
        }
        if (any)
            for (size_t j = 0; j < m; j++)
                if (!isfinite(w[i + j]))
                    return i + j;
    }
    return n;
}

/* Builds a model; with take, `weights` becomes the model's own array (freed here on failure) instead of a copy. */
static int model_build(sml_pipeline *p, const char *loss, double *weights, int take, int finite, size_t dim,
                       int has_intercept, double intercept, sml_model **out, sml_error *err)
{
    sml_model *m = NULL;
    int rc;
    *out = NULL;
    const sml_loss *l = sml_loss_find(loss);
    if (!l) {
        rc = sml_fail(err, SML_EINVAL, "unknown loss \"%s\" (squared or logistic)", loss);
        goto fail;
    }
    if (dim != sml_pipeline_dim(p)) {
        rc = sml_fail(err, SML_EINVAL, "%zu weights for a pipeline of %zu features", dim, sml_pipeline_dim(p));
        goto fail;
    }
    size_t bad = finite ? dim : first_not_finite(weights, dim);
    if (bad < dim) {
        rc = sml_fail(err, SML_ENUMERIC, "weight %zu is not finite; refusing to build the model", bad);
        goto fail;
    }
    if (!isfinite(intercept)) {
        rc = sml_fail(err, SML_ENUMERIC, "the intercept is not finite; refusing to build the model");
        goto fail;
    }
    sml_task task;
    sml_pipeline_label(p, &task, NULL, NULL);
    if ((task == SML_TASK_CLASSIFICATION) != (l->kind == SML_LOSS_LOGISTIC)) {
        rc = sml_fail(err, SML_EINVAL, "loss \"%s\" does not fit a %s label", loss,
                      task == SML_TASK_CLASSIFICATION ? "classification" : "regression");
        goto fail;
    }
    if (!(m = calloc(1, sizeof *m)) || !(m->weights = take ? weights : malloc((dim ? dim : 1) * sizeof *m->weights))) {
        free(m);
        m = NULL;
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
        goto fail;
    }
    atomic_init(&m->refs, 1);
    m->pipeline = p;
    m->loss = l;
    if (take)
        weights = NULL;
    else if (dim)
        memcpy(m->weights, weights, dim * sizeof *weights);
    m->dim = dim;
    m->has_intercept = has_intercept;
    m->intercept = has_intercept ? intercept : 0.0;
    m->format_major = SML_MODEL_FORMAT_MAJOR;
    m->format_minor = SML_MODEL_FORMAT_MINOR;
    *out = m;
    return 0;
fail:
    sml_pipeline_free(p);
    if (take)
        free(weights);
    return rc;
}

int sml_model_new(sml_pipeline *p, const char *loss, const double *weights, size_t dim, int has_intercept,
                  double intercept, sml_model **out, sml_error *err)
{
    return model_build(p, loss, (double *)weights, 0, 0, dim, has_intercept, intercept, out, err);
}

int sml_model_new_taking(sml_pipeline *p, const char *loss, double *weights, size_t dim, int finite,
                         int has_intercept, double intercept, sml_model **out, sml_error *err)
{
    return model_build(p, loss, weights, 1, finite, dim, has_intercept, intercept, out, err);
}

sml_model *sml_model_ref(sml_model *m)
{
    if (m)
        atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

void sml_model_free(sml_model *m)
{
    if (!m || atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
        return;
    sml_pipeline_free(m->pipeline);
    free(m->weights);
    for (int i = 0; i < SML_MODEL_NJSON; i++)
        free(m->json[i]);
    free(m);
}

int sml_model_set_json(sml_model *m, int which, const char *json, sml_error *err)
{
    if (which < 0 || which >= SML_MODEL_NJSON)
        return sml_fail(err, SML_EINVAL, "unknown model section %d", which);
    char *copy = json ? strdup(json) : NULL;
    if (json && !copy)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    free(m->json[which]);
    m->json[which] = copy;
    return 0;
}

const char *sml_model_get_json(const sml_model *m, int which)
{
    return which >= 0 && which < SML_MODEL_NJSON ? m->json[which] : NULL;
}

void sml_model_get_info(const sml_model *m, sml_model_info *info)
{
    memset(info, 0, sizeof *info);
    info->version = m->version;
    info->loss = m->loss->name;
    info->label = sml_pipeline_label(m->pipeline, &info->task, &info->positive, &info->negative);
    info->dim = m->dim;
    info->has_intercept = m->has_intercept;
    info->intercept = m->intercept;
    info->format_major = m->format_major;
    info->format_minor = m->format_minor;
}

const double *sml_model_weights(const sml_model *m) { return m->weights; }
const sml_pipeline *sml_model_pipeline(const sml_model *m) { return m->pipeline; }
void sml_model_set_version(sml_model *m, uint64_t version) { m->version = version; }

double sml_model_margin(const sml_model *m, const uint32_t *idx, const double *val, size_t nnz)
{
    double z = m->intercept;
    const double *w = m->weights;
    for (size_t k = 0; k < nnz; k++)
        z += w[idx[k]] * val[k];
    return z;
}

double sml_model_mean(const sml_model *m, double margin) { return m->loss->mean(margin); }

void sml_model_score_examples(const sml_model *m, const sml_examples *ex, double *score)
{
    for (size_t i = 0; i < ex->nrows; i++) {
        uint64_t a = ex->row_ptr[i], b = ex->row_ptr[i + 1];
        score[i] = m->loss->mean(sml_model_margin(m, ex->idx + a, ex->val + a, (size_t)(b - a)));
    }
}

int sml_model_predict_record(const sml_model *m, const char *const *names, const char *const *values, size_t n,
                             double *prediction, const char **klass, sml_error *err)
{
    const char *const *in_names;
    const sml_type *in_types;
    size_t nin = sml_pipeline_inputs(m->pipeline, &in_names, &in_types, NULL);
    sml_batch b = SML_BATCH_INIT;
    sml_examples ex = SML_EXAMPLES_INIT;
    int rc;
    if ((rc = sml_batch_setup(&b, in_names, in_types, nin, 1, err)) != 0)
        return rc;
    for (size_t k = 0; k < nin; k++)
        b.cols[k].missing[0] = 1;
    for (size_t j = 0; j < n; j++) {
        int k = sml_batch_find(&b, names[j]);
        if (k < 0 || !values[j])
            continue;
        sml_column *c = &b.cols[k];
        size_t len = strlen(values[j]);
        if (len == 0)
            continue;
        if (c->type == SML_TYPE_NUM) {
            if (sml_parse_double(values[j], len, &c->num[0]) != 0) {
                rc = sml_fail(err, SML_EPARSE, "field \"%s\": expected a number, got \"%.40s\"", names[j], values[j]);
                goto out;
            }
        } else if ((rc = sml_batch_put_string(&b, values[j], len, &c->str_off[0])) != 0) {
            rc = sml_fail(err, rc, "out of memory");
            goto out;
        } else {
            c->str_len[0] = (uint32_t)len;
        }
        c->missing[0] = 0;
    }
    b.nrows = 1;
    if ((rc = sml_pipeline_transform(m->pipeline, &b, &ex, err)) != 0)
        goto out;
    if (ex.flags[0] & SML_EX_BAD_X) {
        rc = sml_fail(err, SML_EPARSE, "%s", ex.bad_reason);
        goto out;
    }
    sml_model_score_examples(m, &ex, prediction);
    if (klass) {
        sml_task task;
        const char *pos, *neg;
        sml_pipeline_label(m->pipeline, &task, &pos, &neg);
        *klass = task == SML_TASK_CLASSIFICATION ? (*prediction >= 0.5 ? pos : neg) : NULL;
    }
out:
    sml_examples_release(&ex);
    sml_batch_release(&b);
    return rc;
}
