/*
 * dense_model: a copy of a model with every weight non-zero, published as the current version of a store. A hashed
 * model is mostly zeros and its file carries only the others (LINS); this makes the worst case of the same size,
 * whose file carries every weight, for bench/bench_swap.sh. SALT makes two copies differ.
 * Usage: dense_model SRC_MODEL_OR_STORE DST_STORE SALT
 */
#include <stdio.h>
#include <stdlib.h>

#include "features/features_int.h"
#include "streamml/streamml.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: dense_model SRC_MODEL_OR_STORE DST_STORE SALT\n");
        return 2;
    }
    sml_error err = SML_ERROR_INIT;
    sml_model *m = NULL, *d = NULL;
    sml_pipeline *p = NULL;
    sml_store *st = NULL;
    double salt = atof(argv[3]), *w = NULL;
    uint64_t version = 0;
    int rc = sml_model_load(argv[1], &m, &err);
    sml_model_info info;
    if (!rc) {
        sml_model_get_info(m, &info);
        const double *src = sml_model_weights(m);
        if (!(w = malloc((info.dim ? info.dim : 1) * sizeof *w)))
            rc = sml_fail(&err, SML_ENOMEM, "out of memory");
        for (size_t i = 0; !rc && i < info.dim; i++)
            w[i] = src[i] + salt * 1e-6 * (double)(i % 13 + 1);
    }
    if (!rc)
        rc = sml_pipeline_clone(sml_model_pipeline(m), &p, &err);
    if (!rc) {
        rc = sml_model_new(p, info.loss, w, info.dim, info.has_intercept, info.intercept, &d, &err);
        p = NULL;
    }
    for (int i = 0; !rc && i <= SML_MODEL_SCHEMA; i++)
        if (sml_model_get_json(m, i))
            rc = sml_model_set_json(d, i, sml_model_get_json(m, i), &err);
    if (!rc)
        rc = sml_store_open(argv[2], 1, &st, &err);
    if (!rc)
        rc = sml_store_publish(st, d, 1, &version, &err);
    if (rc)
        fprintf(stderr, "dense_model: %s\n", err.msg);
    else
        printf("dense_model: %zu weights, all non-zero, published as version %llu of %s\n", info.dim,
               (unsigned long long)version, argv[2]);
    sml_store_close(st);
    sml_model_free(d);
    sml_model_free(m);
    free(w);
    return rc ? 1 : 0;
}
