/*
 * The promotion gate, shared by `fit --gate` (a refit) and `run --publish-every --gate` (an online model): a
 * candidate becomes a new version only if, on the same rows, its metric is not worse than the current model's by
 * more than a tolerance. Here: scoring a model on rows in memory (its inputs matched to the table's columns by
 * name), reading a validation file laid out as a model's inputs, and the decision.
 */
#include "streamml/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "streamml/io.h"

int sml_model_metric_on(const sml_model *m, const sml_table *t, const uint8_t *mask, sml_metric metric,
                        double *value, sml_error *err)
{
    const char *const *names;
    const sml_type *types;
    size_t nin = sml_pipeline_inputs(sml_model_pipeline(m), &names, &types, NULL);
    sml_examples ex = SML_EXAMPLES_INIT;
    double *y = NULL, *p = NULL, *w = NULL, *score = NULL;
    size_t n = 0, row0 = 0;
    int rc = 0;
    sml_column *cols = calloc(nin ? nin : 1, sizeof *cols);
    uint8_t *none = NULL;
    double *zero_num = NULL;
    uint32_t *zero_u32 = NULL;
    y = malloc((t->nrows ? t->nrows : 1) * sizeof *y);
    p = malloc((t->nrows ? t->nrows : 1) * sizeof *p);
    w = malloc((t->nrows ? t->nrows : 1) * sizeof *w);
    if (!cols || !y || !p || !w) {
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t bi = 0; bi < t->nbatches && !rc; bi++) {
        const sml_batch *b = &t->batches[bi];
        sml_batch view = *b;
        size_t cap = b->capacity ? b->capacity : 1;
        uint8_t *n1 = realloc(none, cap);
        if (n1)
            none = n1;
        double *s1 = n1 ? realloc(score, cap * sizeof *score) : NULL;
        if (s1)
            score = s1;
        double *z1 = s1 ? realloc(zero_num, cap * sizeof *zero_num) : NULL;
        if (z1)
            zero_num = z1;
        uint32_t *u1 = z1 ? realloc(zero_u32, cap * sizeof *zero_u32) : NULL;
        if (u1)
            zero_u32 = u1;
        if (!u1) {
            rc = sml_fail(err, SML_ENOMEM, "out of memory");
            break;
        }
        memset(none, 1, cap);
        memset(zero_num, 0, cap * sizeof *zero_num);
        memset(zero_u32, 0, cap * sizeof *zero_u32);
        for (size_t k = 0; k < nin; k++) {
            int j = sml_batch_find(b, names[k]);
            if (j >= 0 && b->cols[j].type == types[k]) {
                cols[k] = b->cols[j];
            } else { /* absent or of another type for this model: missing everywhere (types[k] picks the array) */
                memset(&cols[k], 0, sizeof cols[k]);
                cols[k].name = (char *)names[k];
                cols[k].type = types[k];
                cols[k].missing = none;
                if (types[k] == SML_TYPE_NUM)
                    cols[k].num = zero_num;
                else
                    cols[k].str_off = cols[k].str_len = zero_u32;
            }
        }
        view.cols = cols;
        view.ncols = nin;
        if ((rc = sml_pipeline_transform(sml_model_pipeline(m), &view, &ex, err)) != 0)
            break;
        sml_model_score_examples(m, &ex, score);
        for (size_t i = 0; i < b->nrows; i++)
            if ((!mask || mask[row0 + i]) && (ex.flags[i] & SML_EX_LABEL) &&
                !(ex.flags[i] & (SML_EX_BAD_X | SML_EX_BAD_W))) {
                y[n] = ex.y[i];
                p[n] = score[i];
                w[n] = ex.w[i];
                n++;
            }
        row0 += b->nrows;
    }
    if (!rc)
        *value = sml_metric_compute(metric, y, p, w, n);
out:
    sml_examples_release(&ex);
    free(cols);
    free(none);
    free(zero_num);
    free(zero_u32);
    free(score);
    free(y);
    free(p);
    free(w);
    return rc;
}

int sml_table_read_for(const char *path, const sml_reader_opts *opts, const sml_model *m, sml_table *t,
                       sml_error *err)
{
    const char *const *names;
    const sml_type *types;
    const uint8_t *optional;
    size_t nin = sml_pipeline_inputs(sml_model_pipeline(m), &names, &types, &optional);
    sml_input *in = NULL;
    sml_batch b = SML_BATCH_INIT;
    int rc, n;
    if ((rc = sml_input_open(path, opts, &in, err)) != 0)
        return rc;
    if ((rc = sml_reader_set_columns(sml_input_reader(in), names, types, optional, nin, err)) != 0)
        goto out;
    for (;;) {
        if ((rc = sml_batch_setup(&b, names, types, nin, 4096, err)) != 0)
            goto out;
        if ((n = sml_input_next(in, &b, err)) < 0) {
            rc = n;
            goto out;
        }
        if (n == 0)
            break;
        if ((rc = sml_table_take(t, &b, err)) != 0)
            goto out;
    }
out:
    sml_batch_release(&b);
    sml_input_close(in);
    return rc;
}

int sml_gate_pass(sml_metric metric, double candidate, double current, double tolerance)
{
    if (isnan(current))
        return 1; /* nothing to compare with (no labelled rows, or one class only for auc) */
    return sml_metric_higher_is_better(metric) ? candidate >= current - tolerance : candidate <= current + tolerance;
}
