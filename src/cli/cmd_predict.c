/*
 * streamml predict / eval: score a file with a model and its own fitted pipeline.
 * predict writes the output columns of DESIGN.md (passthrough columns, prediction, probability, model_version);
 * eval prints the metrics over labelled rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_input.h"
#include "cli/fit_util.h"
#include "common/strbuf.h"
#include "streamml/io.h"
#include "streamml/metrics.h"
#include "streamml/store.h"
#include "streamml/textout.h"

/* The scoring input: the model's inputs (label and weight optional), then passthrough columns as text. */
typedef struct scoring {
    sml_model *model;
    sml_model_info info;
    size_t nin;      /* model inputs */
    size_t ncols;    /* + passthrough */
    const char **names;
    sml_type *types;
    uint8_t *optional;
    int *keep;       /* batch column of each output passthrough column */
    size_t nkeep;
    int label_present;
    /* the read -> transform -> score loop (scoring_next) */
    sml_batch b;
    sml_examples ex;
    double *pred;
} scoring;

static void scoring_release(scoring *s)
{
    for (size_t i = s->nin; i < s->ncols; i++)
        free((char *)s->names[i]);
    free(s->names);
    free(s->types);
    free(s->optional);
    free(s->keep);
    free(s->pred);
    sml_examples_release(&s->ex);
    sml_batch_release(&s->b);
    sml_model_free(s->model);
    memset(s, 0, sizeof *s);
}

static int in_header(const char *const *hdr, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(hdr[i], name) == 0)
            return 1;
    return 0;
}

/* Loads the model, opens the data and sets the reader's columns. */
static int scoring_open(scoring *s, const char *cmd, const cli_args *a, cli_input *ci, const char *data)
{
    sml_error err = SML_ERROR_INIT;
    const char *const *in_names;
    const sml_type *in_types;
    const uint8_t *in_opt;
    char **keep = NULL;
    int code = 0;
    memset(s, 0, sizeof *s);
    const char *model = sml_conf_str(a->conf, "model");
    if (!model) {
        cli_error(cmd, "no model: give --model STORE|FILE");
        return EXIT_USAGE;
    }
    if (sml_model_load(model, &s->model, &err) != 0)
        return cli_fail(cmd, &err);
    sml_model_get_info(s->model, &s->info);
    s->nin = sml_pipeline_inputs(sml_model_pipeline(s->model), &in_names, &in_types, &in_opt);
    if ((code = cli_input_open(ci, cmd, data, a->conf)) != 0)
        return code;
    const char *const *hdr = NULL;
    size_t nhdr = 0;
    if (sml_input_columns(ci->in, &hdr, &nhdr, &err) != 0)
        return cli_fail(cmd, &err);
    int csv = nhdr > 0; /* JSONL names its fields per record: assume present */
    s->label_present = s->info.label && (!csv || in_header(hdr, nhdr, s->info.label));
    keep = cli_split_list(sml_prop_for_command(sml_conf_find_prop("keep"), cmd) ? sml_conf_str(a->conf, "keep") : NULL);
    size_t nk = 0;
    for (char **k = keep; k && *k; k++)
        nk++;
    s->names = calloc(s->nin + nk + 1, sizeof *s->names);
    s->types = calloc(s->nin + nk + 1, sizeof *s->types);
    s->optional = calloc(s->nin + nk + 1, 1);
    s->keep = calloc(nk + 2, sizeof *s->keep);
    if (!s->names || !s->types || !s->optional || !s->keep) {
        cli_error(cmd, "out of memory");
        code = EXIT_RUNTIME;
        goto out;
    }
    for (size_t i = 0; i < s->nin; i++) {
        s->names[i] = in_names[i];
        s->types[i] = in_types[i];
        /* a feature absent from the data is missing in every row (imputed); say so once */
        s->optional[i] = 1;
        if (csv && !in_opt[i] && !in_header(hdr, nhdr, in_names[i]))
            fprintf(stderr, "streamml %s: warning: feature \"%s\" is not in %s; it is treated as missing\n", cmd,
                    in_names[i], data);
    }
    s->ncols = s->nin;
    for (size_t j = 0; j < nk; j++) {
        int found = -1;
        for (size_t i = 0; i < s->ncols; i++)
            if (strcmp(s->names[i], keep[j]) == 0)
                found = (int)i;
        if (csv && !in_header(hdr, nhdr, keep[j])) {
            cli_error(cmd, "--keep: column \"%s\" is not in %s", keep[j], data);
            code = EXIT_USAGE;
            goto out;
        }
        if (found < 0) {
            found = (int)s->ncols;
            s->names[s->ncols] = strdup(keep[j]);
            s->types[s->ncols] = SML_TYPE_STR;
            s->optional[s->ncols++] = 1;
        }
        s->keep[s->nkeep++] = found;
    }
    if (s->label_present) { /* the label is kept when present */
        int li = -1, dup = 0;
        for (size_t i = 0; i < s->nin; i++)
            if (strcmp(s->names[i], s->info.label) == 0)
                li = (int)i;
        for (size_t j = 0; j < s->nkeep; j++)
            dup |= s->keep[j] == li;
        if (li >= 0 && !dup)
            s->keep[s->nkeep++] = li;
    }
    if (sml_reader_set_columns(sml_input_reader(ci->in), s->names, s->types, s->optional, s->ncols, &err) != 0)
        code = cli_fail(cmd, &err);
out:
    cli_free_list(keep);
    return code;
}

/* The next batch of the input, transformed by the model's pipeline and scored into s->pred (regression value or
 * P(positive)). Returns its rows + bad rows, 0 at the end, or -1 with *code set (the error printed). */
static int scoring_next(scoring *s, cli_input *ci, const char *cmd, const sml_conf *conf, int *code)
{
    sml_error err = SML_ERROR_INIT;
    if (!s->pred) {
        size_t cap = (size_t)sml_conf_int(conf, "batch_size");
        if (!(s->pred = malloc(cap * sizeof *s->pred)) ||
            sml_batch_setup(&s->b, s->names, s->types, s->ncols, cap, &err) != 0) {
            *code = err.code ? cli_fail(cmd, &err) : (cli_error(cmd, "out of memory"), EXIT_RUNTIME);
            return -1;
        }
    }
    int n = cli_input_next(ci, &s->b, code);
    if (n <= 0)
        return n;
    if (sml_pipeline_transform(sml_model_pipeline(s->model), &s->b, &s->ex, &err) != 0) {
        *code = cli_fail(cmd, &err);
        return -1;
    }
    sml_model_score_examples(s->model, &s->ex, s->pred);
    return n;
}

static int open_output(const char *path, int *fd)
{
    if (strcmp(path, "-") == 0) {
        *fd = 1;
        return 0;
    }
    *fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    return *fd < 0 ? -1 : 0;
}

int cmd_predict(int argc, char **argv)
{
    cli_args a;
    cli_input ci;
    scoring s;
    sml_error err = SML_ERROR_INIT;
    sml_textout *out = NULL;
    int code = 0, fd = -1, n;
    uint64_t rows = 0, bad_x = 0;
    memset(&ci, 0, sizeof ci);
    memset(&s, 0, sizeof s);
    if (cli_parse(cli_find_command("predict"), argc, argv, &a, &code))
        goto done;
    const char *data = fit_data_arg(&a, "predict");
    if (!data) {
        code = EXIT_USAGE;
        goto done;
    }
    if ((code = scoring_open(&s, "predict", &a, &ci, data)) != 0)
        goto done;
    const char *opath = sml_conf_str(a.conf, "output");
    sml_format of = sml_format_from_path(opath);
    const char *ofmt = sml_conf_str(a.conf, "output_format"), *ifmt = sml_conf_str(a.conf, "format");
    if (strcmp(ofmt, "auto") != 0)
        of = !strcmp(ofmt, "jsonl") ? SML_FORMAT_JSONL : SML_FORMAT_CSV;
    else if (of == SML_FORMAT_AUTO)
        of = (!strcmp(ifmt, "jsonl") || sml_format_from_path(data) == SML_FORMAT_JSONL) ? SML_FORMAT_JSONL
                                                                                      : SML_FORMAT_CSV;
    const char *cols[260];
    size_t nout = 0;
    int classification = s.info.task == SML_TASK_CLASSIFICATION;
    if (s.nkeep > 250) {
        cli_error("predict", "--keep: too many columns");
        code = EXIT_USAGE;
        goto done;
    }
    for (size_t j = 0; j < s.nkeep; j++)
        cols[nout++] = s.names[s.keep[j]];
    cols[nout++] = "prediction";
    if (classification)
        cols[nout++] = "probability";
    cols[nout++] = "model_version";
    if (open_output(opath, &fd) != 0) {
        cli_error("predict", "%s: cannot create: %s", opath, strerror(errno));
        code = EXIT_RUNTIME;
        goto done;
    }
    out = sml_textout_new(of == SML_FORMAT_JSONL ? SML_TEXT_JSONL : SML_TEXT_CSV, ',', cols, nout, sml_write_fd, &fd,
                          &err);
    if (!out || sml_textout_header(out, &err) != 0) {
        code = cli_fail("predict", &err);
        goto done;
    }
    while ((n = scoring_next(&s, &ci, "predict", a.conf, &code)) != 0) {
        if (n < 0)
            goto done;
        const sml_batch *bp = &s.b;
        const double *pred = s.pred;
        for (size_t i = 0; i < bp->nrows; i++) {
            int rc = sml_textout_begin_row(out, &err);
            for (size_t j = 0; j < s.nkeep && !rc; j++) {
                const sml_column *c = &bp->cols[s.keep[j]];
                if (c->missing[i])
                    rc = sml_textout_put_missing(out, &err);
                else if (c->type == SML_TYPE_NUM)
                    rc = sml_textout_put_num(out, c->num[i], &err);
                else
                    rc = sml_textout_put_str(out, bp->strings + c->str_off[i], c->str_len[i], &err);
            }
            if (s.ex.flags[i] & SML_EX_BAD_X) { /* no prediction from NaN/Inf features */
                bad_x++;
                rc = rc ? rc : sml_textout_put_missing(out, &err);
                if (classification && !rc)
                    rc = sml_textout_put_missing(out, &err);
            } else if (classification) {
                const char *k = pred[i] >= 0.5 ? s.info.positive : s.info.negative;
                rc = rc ? rc : sml_textout_put_str(out, k, strlen(k), &err);
                rc = rc ? rc : sml_textout_put_num(out, pred[i], &err);
            } else {
                rc = rc ? rc : sml_textout_put_num(out, pred[i], &err);
            }
            rc = rc ? rc : sml_textout_put_int(out, (int64_t)s.info.version, &err);
            rc = rc ? rc : sml_textout_end_row(out, &err);
            if (rc) {
                code = cli_fail("predict", &err);
                goto done;
            }
        }
        rows += bp->nrows;
    }
    if (sml_textout_flush(out, &err) != 0) {
        code = cli_fail("predict", &err);
        goto done;
    }
    if (fd > 1 && fsync(fd) != 0 && errno != EINVAL) {
        cli_error("predict", "%s: %s", opath, strerror(errno));
        code = EXIT_RUNTIME;
        goto done;
    }
    if (bad_x)
        fprintf(stderr, "streamml predict: warning: %llu rows had NaN or infinite features; their prediction is empty\n",
                (unsigned long long)bad_x);
    if (strcmp(opath, "-") != 0)
        fprintf(stderr, "streamml predict: %llu predictions written to %s\n", (unsigned long long)rows, opath);
done:
    if (fd > 1)
        close(fd);
    sml_textout_free(out);
    if (ci.in)
        cli_input_close(&ci);
    scoring_release(&s);
    cli_args_release(&a);
    return code;
}

int cmd_eval(int argc, char **argv)
{
    cli_args a;
    cli_input ci;
    scoring s;
    double *ys = NULL, *ps = NULL, *ws = NULL;
    size_t n_ok = 0, cap_ok = 0;
    uint64_t rows = 0, no_label = 0, bad = 0;
    int code = 0, n;
    memset(&ci, 0, sizeof ci);
    memset(&s, 0, sizeof s);
    if (cli_parse(cli_find_command("eval"), argc, argv, &a, &code))
        goto done;
    const char *data = fit_data_arg(&a, "eval");
    if (!data) {
        code = EXIT_USAGE;
        goto done;
    }
    if ((code = scoring_open(&s, "eval", &a, &ci, data)) != 0)
        goto done;
    if (!s.info.label) {
        cli_error("eval", "the model has no label column to evaluate against");
        code = EXIT_USAGE;
        goto done;
    }
    if (!s.label_present) {
        cli_error("eval", "%s has no column \"%s\" (the model's label)", data, s.info.label);
        code = EXIT_RUNTIME;
        goto done;
    }
    while ((n = scoring_next(&s, &ci, "eval", a.conf, &code)) != 0) {
        if (n < 0)
            goto done;
        const sml_batch *bp = &s.b;
        const double *pred = s.pred;
        if (n_ok + bp->nrows > cap_ok) {
            cap_ok = 2 * (n_ok + bp->nrows);
            double *y2 = realloc(ys, cap_ok * sizeof *ys), *p2 = y2 ? realloc(ps, cap_ok * sizeof *ps) : NULL,
                   *w2 = p2 ? realloc(ws, cap_ok * sizeof *ws) : NULL;
            if (y2)
                ys = y2;
            if (p2)
                ps = p2;
            if (!w2) {
                cli_error("eval", "out of memory");
                code = EXIT_RUNTIME;
                goto done;
            }
            ws = w2;
        }
        for (size_t i = 0; i < bp->nrows; i++) {
            uint8_t f = s.ex.flags[i];
            if (f & (SML_EX_BAD_X | SML_EX_BAD_Y | SML_EX_BAD_W)) {
                bad++;
                continue;
            }
            if (!(f & SML_EX_LABEL)) {
                no_label++;
                continue;
            }
            ys[n_ok] = s.ex.y[i];
            ps[n_ok] = pred[i];
            ws[n_ok] = s.ex.w[i];
            n_ok++;
        }
        rows += bp->nrows;
    }
    if (n_ok == 0) {
        cli_error("eval", "%s: no rows with a usable label (%llu rows, %llu without a label, %llu unusable)", data,
                  (unsigned long long)rows, (unsigned long long)no_label, (unsigned long long)bad);
        code = EXIT_RUNTIME;
        goto done;
    }
    int classification = s.info.task == SML_TASK_CLASSIFICATION, json = sml_conf_bool(a.conf, "json");
    if (json)
        printf("{\"model_version\": %llu, \"rows\": %zu, \"skipped_no_label\": %llu, \"skipped_bad\": %llu",
               (unsigned long long)s.info.version, n_ok, (unsigned long long)no_label, (unsigned long long)bad);
    else
        printf("%s: %zu labelled rows (model version %llu, %s)\n", data, n_ok, (unsigned long long)s.info.version,
               classification ? "classification" : "regression");
    for (int m = 0; m < SML_METRIC_COUNT; m++) {
        if (sml_metric_for_classification((sml_metric)m) != classification)
            continue;
        double v = sml_metric_compute((sml_metric)m, ys, ps, ws, n_ok);
        if (json) {
            sml_strbuf sb = SML_STRBUF_INIT;
            sml_strbuf_add_json_double(&sb, v);
            printf(", \"%s\": %s", sml_metric_name((sml_metric)m), sb.buf ? sb.buf : "null");
            sml_strbuf_release(&sb);
        } else {
            printf("  %-9s %.6f\n", sml_metric_name((sml_metric)m), v);
        }
    }
    if (json)
        printf("}\n");
    else if (no_label || bad)
        printf("  skipped: %llu without a label, %llu unusable\n", (unsigned long long)no_label, (unsigned long long)bad);
done:
    free(ys);
    free(ps);
    free(ws);
    if (ci.in)
        cli_input_close(&ci);
    scoring_release(&s);
    cli_args_release(&a);
    return code;
}
