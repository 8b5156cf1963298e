/*
 * Batch training (engine stage: it ties the pipeline, the linear model's objective and the solvers together).
 * table of typed batches -> fitted pipeline -> CSR training set -> solver -> model. See include/streamml/train.h.
 */
#include "streamml/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine_int.h"
#include "features/features_int.h"
#include "models/dataset.h"
#include "models/glm_objective.h"
#include "models/loss.h"
#include "optim/optim.h"

/* ------------------------------------------------------------------ table */

int sml_table_take(sml_table *t, sml_batch *b, sml_error *err)
{
    if (b->nrows == 0) {
        sml_batch_release(b);
        return 0;
    }
    if (t->nbatches == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        sml_batch *nb = realloc(t->batches, cap * sizeof *nb);
        if (!nb)
            return sml_fail(err, SML_ENOMEM, "out of memory holding the training data");
        t->batches = nb;
        t->cap = cap;
    }
    t->batches[t->nbatches++] = *b;
    t->nrows += b->nrows;
    memset(b, 0, sizeof *b);
    return 0;
}

void sml_table_release(sml_table *t)
{
    for (size_t i = 0; i < t->nbatches; i++)
        sml_batch_release(&t->batches[i]);
    free(t->batches);
    memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------------ trainer */

struct sml_trainer {
    sml_pipeline *pipeline;
    const sml_loss *loss;
    sml_train_opts opts;
    sml_dataset ds;
    size_t dim;        /* parameters: features + intercept */
    double *theta;
    double *base;      /* θ_base mapped onto this pipeline's features, or NULL */
    size_t skipped_bad_x, skipped_no_label;
};

void sml_trainer_free(sml_trainer *tr)
{
    if (!tr)
        return;
    sml_pipeline_free(tr->pipeline);
    sml_dataset_release(&tr->ds);
    free(tr->theta);
    free(tr->base);
    free(tr);
}

/* θ_base for this pipeline: the base model's weight of the feature with the same name, its intercept last. */
static int map_base(sml_trainer *tr, const sml_model *base, sml_error *err)
{
    if (!(tr->base = calloc(tr->dim ? tr->dim : 1, sizeof *tr->base)))
        return sml_fail(err, SML_ENOMEM, "out of memory");
    return sml_map_weights_by_name(tr->pipeline, base, tr->opts.fit_intercept, tr->base,
                                   sml_pipeline_dim(tr->pipeline), err);
}

int sml_trainer_new(const sml_schema *schema, const sml_table *t, const uint8_t *mask, const sml_train_opts *opts,
                    sml_trainer **out, sml_error *err)
{
    static const sml_train_opts defaults = SML_TRAIN_OPTS_INIT;
    sml_pipeline_fitter *f = NULL;
    sml_examples ex = SML_EXAMPLES_INIT;
    int rc;
    *out = NULL;
    if (schema->label < 0)
        return sml_fail(err, SML_EINVAL, "no label column: say which one with --label");
    sml_trainer *tr = calloc(1, sizeof *tr);
    if (!tr)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    tr->opts = opts ? *opts : defaults;
    tr->loss = schema->task == SML_TASK_CLASSIFICATION ? &sml_loss_logistic : &sml_loss_squared;
    if ((rc = sml_pipeline_fitter_new(schema, &tr->opts.pipeline, &f, err)) != 0)
        goto fail;
    size_t row0 = 0;
    for (size_t bi = 0; bi < t->nbatches; bi++) {
        const sml_batch *b = &t->batches[bi];
        if ((rc = sml_pipeline_fitter_add(f, b, mask ? mask + row0 : NULL, err)) != 0)
            goto fail;
        row0 += b->nrows;
    }
    rc = sml_pipeline_fitter_finish(f, &tr->pipeline, err);
    sml_pipeline_fitter_free(f);
    f = NULL;
    if (rc)
        goto fail;
    size_t d = sml_pipeline_dim(tr->pipeline);
    tr->dim = d + (tr->opts.fit_intercept != 0);
    sml_dataset_set_min_cols(&tr->ds, (uint32_t)d);
    row0 = 0;
    for (size_t bi = 0; bi < t->nbatches; bi++) {
        const sml_batch *b = &t->batches[bi];
        if ((rc = sml_pipeline_transform(tr->pipeline, b, &ex, err)) != 0)
            goto fail;
        size_t r = 0;
        for (size_t i = 0; i < b->nrows; i++) {
            if (mask && !mask[row0 + i])
                continue;
            /* transform skipped nothing: rows of ex are the rows of b */
            uint8_t fl = ex.flags[i];
            (void)r;
            if (fl & (SML_EX_BAD_X | SML_EX_BAD_W)) {
                tr->skipped_bad_x++;
                continue;
            }
            if (!(fl & SML_EX_LABEL)) {
                tr->skipped_no_label++;
                continue;
            }
            uint64_t a = ex.row_ptr[i], e = ex.row_ptr[i + 1];
            if ((rc = sml_dataset_add_row(&tr->ds, ex.y[i], ex.w[i], ex.idx + a, ex.val + a, (size_t)(e - a), err)) != 0)
                goto fail;
        }
        row0 += b->nrows;
    }
    if (tr->ds.x.n_rows == 0) {
        rc = sml_fail(err, SML_EINVAL, "no usable training rows (%zu without a label, %zu with NaN/Inf values)",
                      tr->skipped_no_label, tr->skipped_bad_x);
        goto fail;
    }
    if (!(tr->theta = calloc(tr->dim ? tr->dim : 1, sizeof *tr->theta))) {
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
        goto fail;
    }
    if (tr->opts.base && (rc = map_base(tr, tr->opts.base, err)) != 0)
        goto fail;
    if (tr->base) /* start at the base: the solution is near it */
        memcpy(tr->theta, tr->base, tr->dim * sizeof *tr->theta);
    sml_examples_release(&ex);
    *out = tr;
    return 0;
fail:
    sml_pipeline_fitter_free(f);
    sml_examples_release(&ex);
    sml_trainer_free(tr);
    return rc;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int sml_trainer_solve(sml_trainer *tr, double l2, double l1, double l2_to_base, sml_train_report *rep,
                      sml_error *err)
{
    sml_glm_objective *g = NULL;
    sml_glm_penalty pen = {l2, l1, l2_to_base, tr->base};
    sml_optim_options oo = SML_OPTIM_OPTIONS_INIT;
    sml_optim_report orep;
    double t0 = now_seconds();
    int rc;
    if (l2_to_base > 0 && !tr->base)
        return sml_fail(err, SML_EINVAL, "l2_to_base needs a base model (--base)");
    const char *s = tr->opts.solver ? tr->opts.solver : "auto";
    if (strcmp(s, "auto") == 0)
        oo.solver = SML_SOLVER_AUTO;
    else if (strcmp(s, "newton") == 0 || strcmp(s, "tron") == 0)
        oo.solver = SML_SOLVER_TRON;
    else if (strcmp(s, "lbfgs") == 0 || strcmp(s, "owlqn") == 0)
        oo.solver = SML_SOLVER_LBFGS;
    else
        return sml_fail(err, SML_EINVAL, "unknown solver \"%s\" (auto, newton, lbfgs)", s);
    if (oo.solver == SML_SOLVER_TRON && l1 > 0)
        return sml_fail(err, SML_EINVAL, "the newton solver cannot handle l1 > 0; use lbfgs (OWL-QN) or auto");
    oo.max_iter = tr->opts.max_iter;
    oo.tol = tr->opts.tol;
    if ((rc = sml_glm_objective_new(&tr->ds, tr->loss, &pen, tr->opts.fit_intercept, &g, err)) != 0)
        return rc;
    sml_objective obj = {sml_glm_dim(g), g, sml_glm_fun_grad, sml_glm_hess_vec, sml_glm_hess_diag, sml_glm_l1(g)};
    rc = sml_minimize(&obj, tr->theta, &oo, &orep, err);
    sml_glm_objective_free(g);
    if (rc)
        return rc;
    if (!sml_optim_all_finite(tr->theta, tr->dim))
        return sml_fail(err, SML_ENUMERIC, "the solver produced non-finite weights");
    if (rep) {
        memset(rep, 0, sizeof *rep);
        snprintf(rep->solver, sizeof rep->solver, "%s", orep.solver);
        rep->converged = orep.converged;
        rep->iterations = orep.iterations;
        rep->evaluations = orep.fun_evals;
        rep->objective = orep.objective;
        rep->grad_norm = orep.pg_norm_inf;
        rep->rows = tr->ds.x.n_rows;
        rep->features = sml_pipeline_dim(tr->pipeline);
        rep->nonzeros = sml_dataset_nnz(&tr->ds);
        rep->skipped_bad_x = tr->skipped_bad_x;
        rep->skipped_no_label = tr->skipped_no_label;
        rep->seconds = now_seconds() - t0;
    }
    return 0;
}

int sml_trainer_model(const sml_trainer *tr, sml_model **out, sml_error *err)
{
    sml_pipeline *p;
    int rc = sml_pipeline_clone(tr->pipeline, &p, err);
    if (rc)
        return rc;
    size_t d = sml_pipeline_dim(p);
    return sml_model_new(p, tr->loss->name, tr->theta, d, tr->opts.fit_intercept,
                         tr->opts.fit_intercept ? tr->theta[d] : 0.0, out, err);
}

int sml_trainer_predict(const sml_trainer *tr, const sml_table *t, const uint8_t *mask, double **y, double **pred,
                        double **w, size_t *n, sml_error *err)
{
    sml_examples ex = SML_EXAMPLES_INIT;
    size_t cap = 0, k = 0, d = sml_pipeline_dim(tr->pipeline), row0 = 0;
    double icpt = tr->opts.fit_intercept ? tr->theta[d] : 0.0;
    int rc = 0;
    for (size_t bi = 0; bi < t->nbatches; bi++)
        cap += t->batches[bi].nrows;
    *y = malloc((cap ? cap : 1) * sizeof **y);
    *pred = malloc((cap ? cap : 1) * sizeof **pred);
    *w = malloc((cap ? cap : 1) * sizeof **w);
    if (!*y || !*pred || !*w) {
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t bi = 0; bi < t->nbatches; bi++) {
        const sml_batch *b = &t->batches[bi];
        if ((rc = sml_pipeline_transform(tr->pipeline, b, &ex, err)) != 0)
            goto out;
        for (size_t i = 0; i < b->nrows; i++) {
            if ((mask && !mask[row0 + i]) || (ex.flags[i] & (SML_EX_BAD_X | SML_EX_BAD_W)) ||
                !(ex.flags[i] & SML_EX_LABEL))
                continue;
            double z = icpt;
            for (uint64_t q = ex.row_ptr[i]; q < ex.row_ptr[i + 1]; q++)
                z += tr->theta[ex.idx[q]] * ex.val[q];
            (*y)[k] = ex.y[i];
            (*pred)[k] = tr->loss->mean(z);
            (*w)[k] = ex.w[i];
            k++;
        }
        row0 += b->nrows;
    }
    *n = k;
out:
    sml_examples_release(&ex);
    if (rc) {
        free(*y);
        free(*pred);
        free(*w);
        *y = *pred = *w = NULL;
    }
    return rc;
}
