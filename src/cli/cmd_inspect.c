/* streamml inspect: a model, readably — format, task, pipeline, training summary, metrics, weights by name. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/strbuf.h"
#include "features/features_int.h"
#include "streamml/store.h"

#define SHOWN_WEIGHTS 30

typedef struct wi {
    size_t i;
    double w;
} wi;

static int by_abs(const void *a, const void *b)
{
    double x = fabs(((const wi *)a)->w), y = fabs(((const wi *)b)->w);
    if (x != y)
        return x < y ? 1 : -1;
    return (((const wi *)a)->i > ((const wi *)b)->i) - (((const wi *)a)->i < ((const wi *)b)->i);
}

int cmd_inspect(int argc, char **argv)
{
    cli_args a;
    int code = 0;
    sml_error err = SML_ERROR_INIT;
    sml_model *m = NULL;
    wi *order = NULL;
    if (cli_parse(cli_find_command("inspect"), argc, argv, &a, &code))
        goto out;
    const char *uri = sml_conf_str(a.conf, "model");
    if (!uri && a.npositional == 1)
        uri = a.positional[0];
    if (!uri) {
        cli_error("inspect", "no model: give --model STORE|FILE");
        code = EXIT_USAGE;
        goto out;
    }
    if (sml_model_load(uri, &m, &err) != 0) {
        code = cli_fail("inspect", &err);
        goto out;
    }
    sml_model_info info;
    sml_model_get_info(m, &info);
    const sml_pipeline *p = sml_model_pipeline(m);
    const double *w = sml_model_weights(m);
    size_t nz = 0;
    if (!(order = malloc((info.dim ? info.dim : 1) * sizeof *order))) {
        cli_error("inspect", "out of memory");
        code = EXIT_RUNTIME;
        goto out;
    }
    for (size_t i = 0; i < info.dim; i++)
        if (w[i] != 0)
            order[nz++] = (wi){i, w[i]};
    qsort(order, nz, sizeof *order, by_abs);
    uint64_t coll_names, coll_slots;
    sml_pipeline_hash_collisions(p, &coll_names, &coll_slots);
    char *pipe_json = NULL;
    sml_pipeline_describe(p, &pipe_json, NULL);
    const char *hyper = sml_model_get_json(m, SML_MODEL_HYPERPARAMS), *summ = sml_model_get_json(m, SML_MODEL_SUMMARY),
               *metr = sml_model_get_json(m, SML_MODEL_METRICS);
    char name[512];
    if (sml_conf_bool(a.conf, "json")) {
        sml_strbuf sb = SML_STRBUF_INIT;
        sml_strbuf_addf(&sb, "{\"format\": \"%u.%u\", \"version\": %llu, \"task\": \"%s\", \"loss\": \"%s\", \"label\": ",
                        info.format_major, info.format_minor, (unsigned long long)info.version,
                        info.task == SML_TASK_CLASSIFICATION ? "classification" : "regression", info.loss);
        if (info.label)
            sml_strbuf_add_json_str(&sb, info.label, strlen(info.label));
        else
            sml_strbuf_adds(&sb, "null");
        if (info.positive) {
            sml_strbuf_adds(&sb, ", \"positive\": ");
            sml_strbuf_add_json_str(&sb, info.positive, strlen(info.positive));
            sml_strbuf_adds(&sb, ", \"negative\": ");
            sml_strbuf_add_json_str(&sb, info.negative, strlen(info.negative));
        }
        sml_strbuf_addf(&sb, ", \"dim\": %zu, \"nonzero\": %zu, \"intercept\": ", info.dim, nz);
        sml_strbuf_add_json_double(&sb, info.intercept);
        sml_strbuf_addf(&sb, ", \"hash_collisions\": {\"names\": %llu, \"slots\": %llu}",
                        (unsigned long long)coll_names, (unsigned long long)coll_slots);
        sml_strbuf_addf(&sb, ", \"pipeline\": %s, \"hyperparameters\": %s, \"summary\": %s, \"metrics\": %s, \"weights\": [",
                        pipe_json ? pipe_json : "null", hyper ? hyper : "null", summ ? summ : "null",
                        metr ? metr : "null");
        for (size_t k = 0; k < nz; k++) {
            sml_pipeline_feature_name(p, order[k].i, name, sizeof name);
            sml_strbuf_adds(&sb, k ? ", [" : "[");
            sml_strbuf_add_json_str(&sb, name, strlen(name));
            sml_strbuf_adds(&sb, ", ");
            sml_strbuf_add_json_double(&sb, order[k].w);
            sml_strbuf_adds(&sb, "]");
        }
        sml_strbuf_adds(&sb, "]}\n");
        if (sb.buf)
            fputs(sb.buf, stdout);
        sml_strbuf_release(&sb);
    } else {
        printf("model:      %s (format %u.%u%s)\n", uri, info.format_major, info.format_minor, "");
        if (info.version)
            printf("version:    %llu\n", (unsigned long long)info.version);
        printf("task:       %s (%s loss) of label \"%s\"",
               info.task == SML_TASK_CLASSIFICATION ? "classification" : "regression", info.loss,
               info.label ? info.label : "?");
        if (info.positive)
            printf(", positive class \"%s\", negative \"%s\"", info.positive, info.negative);
        printf("\nfeatures:   %zu (%zu non-zero weights)\n", info.dim, nz);
        if (coll_slots)
            printf("hashing:    %llu training values share %llu hash slots (collisions)\n",
                   (unsigned long long)coll_names, (unsigned long long)coll_slots);
        if (pipe_json)
            printf("pipeline:   %s\n", pipe_json);
        if (hyper)
            printf("training:   %s\n", hyper);
        if (summ)
            printf("summary:    %s\n", summ);
        if (metr)
            printf("metrics:    %s\n", metr);
        printf("\nintercept   %.10g\n", info.intercept);
        printf("weights (largest |w| first%s):\n", nz > SHOWN_WEIGHTS ? ", first 30" : "");
        for (size_t k = 0; k < nz && k < SHOWN_WEIGHTS; k++) {
            sml_pipeline_feature_name(p, order[k].i, name, sizeof name);
            printf("  %-40s %+.10g\n", name, order[k].w);
        }
        if (nz > SHOWN_WEIGHTS)
            printf("  ... %zu more (--json lists them all)\n", nz - SHOWN_WEIGHTS);
    }
    free(pipe_json);
    if (fflush(stdout) != 0)
        code = EXIT_RUNTIME;
out:
    free(order);
    sml_model_free(m);
    cli_args_release(&a);
    return code;
}
