/* Helpers shared by the batch commands (see fit_util.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_input.h"
#include "cli/fit_util.h"

const char *fit_data_arg(const cli_args *a, const char *cmd)
{
    const char *data = sml_conf_str(a->conf, "data");
    if (data && a->npositional) {
        cli_error(cmd, "give the data either as --data or as an argument, not both");
        return NULL;
    }
    if (!data && a->npositional == 1)
        data = a->positional[0];
    if (a->npositional > 1) {
        cli_error(cmd, "expected one data file, got %d arguments", a->npositional);
        return NULL;
    }
    if (!data)
        cli_error(cmd, "no data: give --data FILE (or - for stdin)");
    return data;
}

int fit_config_from(fit_config *fc, const sml_conf *conf)
{
    static const sml_train_opts defaults = SML_TRAIN_OPTS_INIT;
    memset(fc, 0, sizeof *fc);
    fc->train = defaults;
    sml_pipeline_opts *po = &fc->train.pipeline;
    const char *s = sml_conf_str(conf, "scaling");
    po->scaling = !strcmp(s, "minmax") ? SML_SCALE_MINMAX : !strcmp(s, "none") ? SML_SCALE_NONE : SML_SCALE_STANDARD;
    s = sml_conf_str(conf, "impute");
    po->impute = !strcmp(s, "median") ? SML_IMPUTE_MEDIAN : !strcmp(s, "constant") ? SML_IMPUTE_CONSTANT : SML_IMPUTE_MEAN;
    po->impute_constant = sml_conf_double(conf, "impute_constant");
    s = sml_conf_str(conf, "missing_indicator");
    po->missing_indicator = !strcmp(s, "always") ? 1 : !strcmp(s, "never") ? 0 : -1;
    po->min_count = (uint64_t)sml_conf_int(conf, "min_count");
    po->top_k = (uint32_t)sml_conf_int(conf, "top_k");
    po->max_onehot = (uint32_t)sml_conf_int(conf, "max_onehot");
    po->hash_bits = (uint32_t)sml_conf_int(conf, "hash_bits");
    po->hash_seed = (uint32_t)sml_conf_int(conf, "hash_seed");
    fc->hash_columns = cli_split_list(sml_conf_str(conf, "hash_columns"));
    fc->interactions = cli_split_list(sml_conf_str(conf, "interactions"));
    po->hash_columns = (const char *const *)fc->hash_columns;
    po->interactions = (const char *const *)fc->interactions;
    fc->train.fit_intercept = sml_conf_bool(conf, "intercept");
    fc->train.solver = sml_conf_str(conf, "solver");
    fc->train.max_iter = (int)sml_conf_int(conf, "max_iter");
    fc->train.tol = sml_conf_double(conf, "tol");
    s = sml_conf_str(conf, "metric");
    if (s && strcmp(s, "auto") != 0 && sml_metric_from_name(s, &fc->metric) == 0)
        fc->metric_set = 1;
    return 0;
}

void fit_config_release(fit_config *fc)
{
    cli_free_list(fc->hash_columns);
    cli_free_list(fc->interactions);
    fc->hash_columns = fc->interactions = NULL;
}

int fit_read_table(const char *cmd, const char *path, const sml_conf *conf, const sml_schema *schema, fit_config *fc,
                   sml_table *t)
{
    sml_error err = SML_ERROR_INIT;
    sml_pipeline_fitter *f = NULL;
    cli_input ci;
    sml_batch b = SML_BATCH_INIT;
    const char *const *names;
    const sml_type *types;
    const uint8_t *optional;
    int code = 0, n;
    if (sml_pipeline_fitter_new(schema, &fc->train.pipeline, &f, &err) != 0)
        return cli_fail(cmd, &err);
    size_t nin = sml_pipeline_fitter_inputs(f, &names, &types, &optional);
    size_t nfeat = 0;
    for (size_t i = 0; i < schema->ncols; i++)
        nfeat += schema->cols[i].role == SML_ROLE_FEATURE;
    fc->label_input = nfeat;
    if ((code = cli_input_open(&ci, cmd, path, conf)) != 0)
        goto out;
    if (sml_reader_set_columns(sml_input_reader(ci.in), names, types, optional, nin, &err) != 0) {
        code = cli_fail(cmd, &err);
        goto out;
    }
    size_t cap = (size_t)sml_conf_int(conf, "batch_size");
    for (;;) {
        if (sml_batch_setup(&b, names, types, nin, cap, &err) != 0) {
            code = cli_fail(cmd, &err);
            goto out;
        }
        if ((n = cli_input_next(&ci, &b, &code)) < 0)
            goto out;
        if (n == 0)
            break;
        if (sml_table_take(t, &b, &err) != 0) {
            code = cli_fail(cmd, &err);
            goto out;
        }
    }
out:
    sml_batch_release(&b);
    cli_input_close(&ci);
    sml_pipeline_fitter_free(f);
    return code;
}

int fit_describe_hyper(sml_strbuf *sb, const fit_config *fc, const sml_conf *conf, double l2, double l1, double l2b,
                       int classification)
{
    int rc = 0;
    rc |= sml_strbuf_addf(sb, "{\"objective\": \"(1/W) sum w_i loss_i + (l2/2)||w||^2 + l1||w||_1 + "
                              "(l2_to_base/2)||theta - theta_base||^2\", \"loss\": \"%s\", \"l2\": ",
                          classification ? "logistic" : "squared");
    rc |= sml_strbuf_add_json_double(sb, l2);
    rc |= sml_strbuf_adds(sb, ", \"l1\": ");
    rc |= sml_strbuf_add_json_double(sb, l1);
    rc |= sml_strbuf_adds(sb, ", \"l2_to_base\": ");
    rc |= sml_strbuf_add_json_double(sb, l2b);
    rc |= sml_strbuf_addf(sb, ", \"intercept\": %s, \"solver\": \"%s\", \"max_iter\": %d, \"tol\": ",
                          fc->train.fit_intercept ? "true" : "false", fc->train.solver, fc->train.max_iter);
    rc |= sml_strbuf_add_json_double(sb, fc->train.tol);
    static const char *settings[] = {"scaling", "impute", "missing_indicator", "min_count", "top_k", "max_onehot",
                                     "hash_columns", "hash_bits", "hash_seed", "interactions", "base", "cv",
                                     "holdout", "grid", "metric", "seed", NULL};
    rc |= sml_strbuf_adds(sb, ", \"settings\": {");
    for (size_t i = 0; settings[i]; i++) {
        const char *v = sml_conf_str(conf, settings[i]);
        rc |= sml_strbuf_addf(sb, "%s\"%s\": ", i ? ", " : "", settings[i]);
        rc |= v ? sml_strbuf_add_json_str(sb, v, strlen(v)) : sml_strbuf_adds(sb, "null");
    }
    rc |= sml_strbuf_adds(sb, "}}");
    return rc;
}

int cli_spool_stdin(const char *cmd, char **path)
{
    const char *dir = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/streamml-stdin-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        cli_error(cmd, "cannot create a temp file for stdin: %s", strerror(errno));
        return EXIT_RUNTIME;
    }
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cli_error(cmd, "reading stdin: %s", strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(fd, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                cli_error(cmd, "writing %s: %s", tmpl, strerror(errno));
                goto fail;
            }
            off += w;
        }
    }
    close(fd);
    *path = strdup(tmpl);
    return *path ? 0 : EXIT_RUNTIME;
fail:
    close(fd);
    unlink(tmpl);
    return EXIT_RUNTIME;
}
