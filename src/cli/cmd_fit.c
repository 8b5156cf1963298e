/*
 * streamml fit: batch training with validation (seed 002, part 1).
 *   infer the schema -> read all rows typed -> for each fold: fit the pipeline on the training rows, solve every
 *   grid setting (warm-started) and score the held-out rows -> table of mean +- sd -> refit the best setting on all
 *   the data -> publish to the store and/or save to a file.
 */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_input.h"
#include "cli/fit_util.h"
#include "cli/schema_util.h"
#include "common/rng.h"
#include "common/strbuf.h"
#include "streamml/metrics.h"
#include "streamml/store.h"
#include "streamml/train.h"

#define MAX_GRID 1024

typedef struct setting {
    double l2, l1;
} setting;

/* "l2=0.001,0.01 l1=0,0.1" -> the cartesian product (l2 major). */
static int parse_grid(const char *grid, double l2, double l1, setting **out, size_t *n)
{
    double l2s[MAX_GRID], l1s[MAX_GRID];
    size_t n2 = 1, n1 = 1;
    l2s[0] = l2;
    l1s[0] = l1;
    if (grid) {
        const char *s = grid;
        while (*s) {
            while (*s == ' ')
                s++;
            if (!*s)
                break;
            const char *e = strchr(s, ' ');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            const char *eq = memchr(s, '=', len);
            double *dst;
            size_t *cnt;
            if (eq && (size_t)(eq - s) == 2 && memcmp(s, "l2", 2) == 0)
                dst = l2s, cnt = &n2;
            else if (eq && (size_t)(eq - s) == 2 && memcmp(s, "l1", 2) == 0)
                dst = l1s, cnt = &n1;
            else {
                cli_error("fit", "--grid: expected l2=V,V... or l1=V,V..., got \"%.*s\"", (int)len, s);
                return EXIT_USAGE;
            }
            *cnt = 0;
            const char *v = eq + 1, *end = s + len;
            while (v < end) {
                const char *c = memchr(v, ',', (size_t)(end - v));
                size_t vl = c ? (size_t)(c - v) : (size_t)(end - v);
                if (*cnt == MAX_GRID || sml_parse_double(v, vl, &dst[*cnt]) != 0 || !(dst[*cnt] >= 0) ||
                    !isfinite(dst[*cnt])) {
                    cli_error("fit", "--grid: \"%.*s\" is not a non-negative number", (int)vl, v);
                    return EXIT_USAGE;
                }
                (*cnt)++;
                v = c ? c + 1 : end;
            }
            if (*cnt == 0) {
                cli_error("fit", "--grid: no values in \"%.*s\"", (int)len, s);
                return EXIT_USAGE;
            }
            s += len;
        }
    }
    if (n2 * n1 > MAX_GRID) {
        cli_error("fit", "--grid has %zu settings (at most %d)", n2 * n1, MAX_GRID);
        return EXIT_USAGE;
    }
    *out = malloc(n2 * n1 * sizeof **out);
    if (!*out)
        return EXIT_RUNTIME;
    for (size_t i = 0; i < n2; i++)
        for (size_t j = 0; j < n1; j++)
            (*out)[i * n1 + j] = (setting){l2s[i], l1s[j]};
    *n = n2 * n1;
    return 0;
}

/* Fold of each row (0..k-1); stratified by label class for classification, shuffled with the seed. Rows
 * without a usable label get fold 0 (they are skipped anyway). */
static int assign_folds(const sml_table *t, int label_col, int classification, const char *positive, size_t k,
                        uint64_t seed, uint8_t **folds)
{
    size_t n = t->nrows, *idx = malloc((n ? n : 1) * sizeof *idx);
    uint8_t *cls = calloc(n ? n : 1, 1);
    *folds = calloc(n ? n : 1, 1);
    if (!idx || !cls || !*folds) {
        free(idx);
        free(cls);
        return -1;
    }
    size_t r = 0;
    for (size_t bi = 0; bi < t->nbatches; bi++) {
        const sml_batch *b = &t->batches[bi];
        const sml_column *c = &b->cols[label_col];
        for (size_t i = 0; i < b->nrows; i++, r++) {
            uint8_t v = 0;
            if (classification && !c->missing[i]) {
                if (c->type == SML_TYPE_NUM) {
                    double p;
                    sml_parse_double(positive, strlen(positive), &p);
                    v = c->num[i] == p;
                } else {
                    v = c->str_len[i] == strlen(positive) && memcmp(b->strings + c->str_off[i], positive, c->str_len[i]) == 0;
                }
            }
            cls[r] = v;
        }
    }
    sml_rng rng;
    sml_rng_seed(&rng, seed);
    for (int c = 0; c <= 1; c++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (cls[i] == c)
                idx[m++] = i;
        for (size_t i = m; i > 1; i--) { /* Fisher-Yates */
            size_t j = (size_t)sml_rng_below(&rng, i);
            size_t tmp = idx[i - 1];
            idx[i - 1] = idx[j];
            idx[j] = tmp;
        }
        for (size_t i = 0; i < m; i++)
            (*folds)[idx[i]] = (uint8_t)(i % k);
    }
    free(idx);
    free(cls);
    return 0;
}

static double mean_of(const double *v, size_t n, double *sd)
{
    double m = 0, s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i])) {
            m += v[i];
            k++;
        }
    m = k ? m / (double)k : NAN;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            s += (v[i] - m) * (v[i] - m);
    *sd = k > 1 ? sqrt(s / (double)(k - 1)) : 0;
    return m;
}

/* Keeps only the newest `rows` rows of the table. */
static void keep_tail(sml_table *t, size_t rows)
{
    while (t->nbatches && t->nrows - t->batches[0].nrows >= rows) {
        t->nrows -= t->batches[0].nrows;
        sml_batch_release(&t->batches[0]);
        memmove(t->batches, t->batches + 1, (t->nbatches - 1) * sizeof *t->batches);
        t->nbatches--;
    }
    if (t->nbatches && t->nrows > rows) {
        size_t k = t->nrows - rows;
        sml_batch_drop_front(&t->batches[0], k);
        t->nrows -= k;
    }
}

static int fit_once(cli_args *ap, int *published);

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

int cmd_fit(int argc, char **argv)
{
    cli_args a;
    int code;
    if (cli_parse(cli_find_command("fit"), argc, argv, &a, &code)) {
        cli_args_release(&a);
        return code;
    }
    int64_t every = sml_conf_is_set(a.conf, "every") ? sml_conf_duration_ms(a.conf, "every") : 0;
    if (every && !sml_conf_str(a.conf, "store")) {
        cli_error("fit", "--every needs --store DIR to publish to");
        cli_args_release(&a);
        return EXIT_USAGE;
    }
    if (every)
        cli_on_stop(on_stop);
    for (uint64_t round = 1;; round++) {
        int published = 0;
        code = fit_once(&a, &published);
        if (!every || stop_requested || code == EXIT_USAGE)
            break;
        if (code)
            fprintf(stderr, "streamml fit: refit %llu failed; trying again in %lld ms\n", (unsigned long long)round,
                    (long long)every);
        fflush(stdout);
        /* sleep in small steps so that SIGTERM ends the loop promptly */
        for (int64_t slept = 0; slept < every && !stop_requested; slept += 50) {
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (stop_requested)
            break;
    }
    cli_args_release(&a);
    return stop_requested ? EXIT_OK : code;
}

static int fit_once(cli_args *ap, int *published)
{
    cli_args a = *ap; /* borrowed: released by the caller */
    int code = 0;
    sml_error err = SML_ERROR_INIT;
    sml_schema *schema = NULL;
    sml_table table = SML_TABLE_INIT;
    setting *grid = NULL;
    size_t ngrid = 0;
    uint8_t *folds = NULL, *mask = NULL;
    double *scores = NULL; /* [setting][fold][metric] */
    sml_trainer *tr = NULL;
    sml_model *model = NULL, *base = NULL;
    char *spooled = NULL;
    fit_config fc;
    memset(&fc, 0, sizeof fc);
    const char *data = fit_data_arg(&a, "fit");
    if (!data) {
        code = EXIT_USAGE;
        goto out;
    }
    if (strcmp(data, "-") == 0) { /* fit reads its input twice: keep stdin in a temp file */
        if ((code = cli_spool_stdin("fit", &spooled)) != 0)
            goto out;
        data = spooled;
    }
    if ((code = fit_config_from(&fc, a.conf)) != 0)
        goto out;
    if ((code = parse_grid(sml_conf_is_set(a.conf, "grid") ? sml_conf_str(a.conf, "grid") : NULL,
                           sml_conf_double(a.conf, "l2"), sml_conf_double(a.conf, "l1"), &grid, &ngrid)) != 0)
        goto out;
    const char *base_uri = sml_conf_str(a.conf, "base");
    double l2b = sml_conf_double(a.conf, "l2_to_base");
    if (l2b > 0 && !base_uri) {
        cli_error("fit", "--l2-to-base needs --base STORE|FILE");
        code = EXIT_USAGE;
        goto out;
    }
    if (base_uri) {
        if (sml_model_load(base_uri, &base, &err) != 0) {
            code = cli_fail("fit", &err);
            goto out;
        }
        fc.train.base = base;
    }
    if (!sml_conf_str(a.conf, "label")) {
        cli_error("fit", "which column is the label? Say --label COL (see `streamml schema %s`)", data);
        code = EXIT_USAGE;
        goto out;
    }
    if ((code = cli_infer_schema("fit", data, a.conf, &schema)) != 0)
        goto out;
    const sml_schema_col *lc = &schema->cols[schema->label];
    if (lc->distinct < 2) {
        cli_error("fit", "label \"%s\" has a single value (\"%s\") in the first %llu rows: there is nothing to learn",
                  lc->name, lc->ntop ? lc->top[0] : "", (unsigned long long)schema->rows);
        code = EXIT_RUNTIME;
        goto out;
    }
    if ((code = fit_read_table("fit", data, a.conf, schema, &fc, &table)) != 0)
        goto out;
    if (sml_conf_int(a.conf, "window_rows") > 0)
        keep_tail(&table, (size_t)sml_conf_int(a.conf, "window_rows"));
    int classification = schema->task == SML_TASK_CLASSIFICATION;
    sml_metric metric = fc.metric_set ? fc.metric : classification ? SML_METRIC_AUC : SML_METRIC_RMSE;
    if (sml_metric_for_classification(metric) != classification) {
        cli_error("fit", "--metric %s does not fit a %s task", sml_metric_name(metric),
                  classification ? "classification" : "regression");
        code = EXIT_USAGE;
        goto out;
    }
    /* metrics reported besides the chosen one */
    sml_metric shown[4];
    size_t nshown = 0;
    shown[nshown++] = metric;
    const sml_metric extra[] = {SML_METRIC_AUC, SML_METRIC_LOGLOSS, SML_METRIC_ACCURACY, SML_METRIC_RMSE,
                                SML_METRIC_MAE, SML_METRIC_R2};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0] && nshown < 3; i++)
        if (sml_metric_for_classification(extra[i]) == classification && extra[i] != metric)
            shown[nshown++] = extra[i];

    int64_t cv = sml_conf_int(a.conf, "cv");
    double holdout = sml_conf_double(a.conf, "holdout");
    if (cv == 1) {
        cli_error("fit", "--cv needs at least 2 folds");
        code = EXIT_USAGE;
        goto out;
    }
    size_t nfolds = cv >= 2 ? (size_t)cv : holdout > 0 ? 1 : 0;
    if (nfolds > 255) {
        cli_error("fit", "--cv: at most 255 folds");
        code = EXIT_USAGE;
        goto out;
    }
    uint64_t seed = (uint64_t)sml_conf_int(a.conf, "seed");
    int progress = cli_progress_enabled(a.conf);
    size_t best = 0;
    if (nfolds) {
        /* holdout is one fold of round(1/holdout) with only the first used for validation */
        size_t k = cv >= 2 ? (size_t)cv : (size_t)llround(1.0 / holdout);
        if (k < 2)
            k = 2;
        if (assign_folds(&table, schema->label < 0 ? 0 : (int)fc.label_input, classification, schema->positive, k,
                         seed, &folds) != 0 ||
            !(mask = malloc(table.nrows ? table.nrows : 1)) ||
            !(scores = calloc(ngrid * nfolds * nshown, sizeof *scores))) {
            cli_error("fit", "out of memory");
            code = EXIT_RUNTIME;
            goto out;
        }
        for (size_t f = 0; f < nfolds; f++) {
            for (size_t i = 0; i < table.nrows; i++)
                mask[i] = folds[i] != f;
            if (sml_trainer_new(schema, &table, mask, &fc.train, &tr, &err) != 0) {
                code = cli_fail("fit", &err);
                goto out;
            }
            for (size_t i = 0; i < table.nrows; i++)
                mask[i] = !mask[i];
            for (size_t g = 0; g < ngrid; g++) {
                if (progress)
                    fprintf(stderr, "\rfit: fold %zu/%zu, setting %zu/%zu (l2=%g l1=%g)   ", f + 1, nfolds, g + 1, ngrid,
                            grid[g].l2, grid[g].l1);
                sml_train_report rep;
                double *y, *p, *w;
                size_t n;
                if (sml_trainer_solve(tr, grid[g].l2, grid[g].l1, l2b, &rep, &err) != 0 ||
                    sml_trainer_predict(tr, &table, mask, &y, &p, &w, &n, &err) != 0) {
                    if (progress)
                        fputc('\n', stderr);
                    code = cli_fail("fit", &err);
                    goto out;
                }
                for (size_t m = 0; m < nshown; m++)
                    scores[(g * nfolds + f) * nshown + m] = sml_metric_compute(shown[m], y, p, w, n);
                free(y);
                free(p);
                free(w);
            }
            sml_trainer_free(tr);
            tr = NULL;
        }
        if (progress)
            fprintf(stderr, "\r%*s\r", 70, "");
        /* the table: one row per setting, mean +- sd over folds per metric */
        printf("%s: %zu rows, %s, %s\n", data, table.nrows, classification ? "classification" : "regression",
               cv >= 2 ? "cross-validation" : "holdout");
        printf("%-12s %-12s", "l2", "l1");
        for (size_t m = 0; m < nshown; m++)
            printf(" %22s", sml_metric_name(shown[m]));
        printf("\n");
        double best_v = NAN;
        int hib = sml_metric_higher_is_better(metric);
        for (size_t g = 0; g < ngrid; g++) {
            double v[256], sd;
            for (size_t f = 0; f < nfolds; f++)
                v[f] = scores[(g * nfolds + f) * nshown];
            double mv = mean_of(v, nfolds, &sd);
            if (!isnan(mv) && (isnan(best_v) || (hib ? mv > best_v : mv < best_v))) {
                best_v = mv;
                best = g;
            }
        }
        for (size_t g = 0; g < ngrid; g++) {
            printf("%-12g %-12g", grid[g].l2, grid[g].l1);
            for (size_t m = 0; m < nshown; m++) {
                double v[256], sd;
                for (size_t f = 0; f < nfolds; f++)
                    v[f] = scores[(g * nfolds + f) * nshown + m];
                double mv = mean_of(v, nfolds, &sd);
                char cell[64];
                if (nfolds > 1)
                    snprintf(cell, sizeof cell, "%.6f +- %.6f", mv, sd);
                else
                    snprintf(cell, sizeof cell, "%.6f", mv);
                printf(" %22s", cell);
            }
            printf("%s\n", g == best ? "  <- best" : "");
        }
    }
    /* refit the chosen setting on all the data */
    if (progress)
        fprintf(stderr, "fit: training on all %zu rows (l2=%g l1=%g)...", table.nrows, grid[best].l2, grid[best].l1);
    sml_train_report rep;
    if (sml_trainer_new(schema, &table, NULL, &fc.train, &tr, &err) != 0 ||
        sml_trainer_solve(tr, grid[best].l2, grid[best].l1, l2b, &rep, &err) != 0 ||
        sml_trainer_model(tr, &model, &err) != 0) {
        if (progress)
            fputc('\n', stderr);
        code = cli_fail("fit", &err);
        goto out;
    }
    if (progress)
        fprintf(stderr, "\r%*s\r", 78, "");
    if (!rep.converged)
        fprintf(stderr, "streamml fit: warning: the solver stopped after %d iterations without reaching --tol %g "
                        "(gradient %g); raise --max-iter or --tol\n",
                rep.iterations, fc.train.tol, rep.grad_norm);
    double *y, *p, *w;
    size_t n;
    double train_metrics[SML_METRIC_COUNT];
    for (int m = 0; m < SML_METRIC_COUNT; m++)
        train_metrics[m] = NAN;
    if (sml_trainer_predict(tr, &table, NULL, &y, &p, &w, &n, &err) == 0) {
        for (int m = 0; m < SML_METRIC_COUNT; m++)
            if (sml_metric_for_classification((sml_metric)m) == classification)
                train_metrics[m] = sml_metric_compute((sml_metric)m, y, p, w, n);
        free(y);
        free(p);
        free(w);
    }
    /* what the model says about itself */
    sml_strbuf hyper = SML_STRBUF_INIT, summ = SML_STRBUF_INIT, metr = SML_STRBUF_INIT;
    fit_describe_hyper(&hyper, &fc, a.conf, grid[best].l2, grid[best].l1, l2b, classification);
    char when[32];
    time_t now = time(NULL);
    struct tm tmv;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tmv));
    sml_strbuf_addf(&summ, "{\"created\": \"%s\", \"data\": ", when);
    sml_strbuf_add_json_str(&summ, data == spooled ? "-" : data, strlen(data == spooled ? "-" : data));
    sml_strbuf_addf(&summ, ", \"rows\": %zu, \"skipped_bad_values\": %zu, \"skipped_no_label\": %zu, \"features\": %zu, "
                           "\"nonzeros\": %zu, \"solver\": \"%s\", \"iterations\": %d, \"converged\": %s, "
                           "\"objective\": ",
                    rep.rows, rep.skipped_bad_x, rep.skipped_no_label, rep.features, rep.nonzeros, rep.solver,
                    rep.iterations, rep.converged ? "true" : "false");
    sml_strbuf_add_json_double(&summ, rep.objective);
    sml_strbuf_adds(&summ, ", \"gradient_inf_norm\": ");
    sml_strbuf_add_json_double(&summ, rep.grad_norm);
    sml_strbuf_addf(&summ, ", \"seconds\": %.3f, \"streamml\": \"%s\"}", rep.seconds, sml_version());
    sml_strbuf_adds(&metr, "{\"train\": {");
    int first = 1;
    for (int m = 0; m < SML_METRIC_COUNT; m++) {
        if (isnan(train_metrics[m]))
            continue;
        sml_strbuf_addf(&metr, "%s\"%s\": ", first ? "" : ", ", sml_metric_name((sml_metric)m));
        sml_strbuf_add_json_double(&metr, train_metrics[m]);
        first = 0;
    }
    sml_strbuf_adds(&metr, "}");
    if (nfolds) {
        sml_strbuf_addf(&metr, ", \"validation\": {\"method\": \"%s\", \"folds\": %zu, \"seed\": %llu, \"metric\": \"%s\"",
                        cv >= 2 ? "cv" : "holdout", nfolds, (unsigned long long)seed, sml_metric_name(metric));
        for (size_t m = 0; m < nshown; m++) {
            double v[256], sd;
            for (size_t f = 0; f < nfolds; f++)
                v[f] = scores[(best * nfolds + f) * nshown + m];
            double mv = mean_of(v, nfolds, &sd);
            sml_strbuf_addf(&metr, ", \"%s\": ", sml_metric_name(shown[m]));
            sml_strbuf_add_json_double(&metr, mv);
            sml_strbuf_addf(&metr, ", \"%s_sd\": ", sml_metric_name(shown[m]));
            sml_strbuf_add_json_double(&metr, sd);
        }
        sml_strbuf_adds(&metr, "}");
    }
    sml_strbuf_adds(&metr, "}");
    char *schema_json = NULL;
    sml_schema_write_json(schema, &schema_json, NULL, NULL);
    int rc = sml_model_set_json(model, SML_MODEL_HYPERPARAMS, hyper.buf, &err) ||
             sml_model_set_json(model, SML_MODEL_SUMMARY, summ.buf, &err) ||
             sml_model_set_json(model, SML_MODEL_METRICS, metr.buf, &err) ||
             sml_model_set_json(model, SML_MODEL_SCHEMA, schema_json, &err);
    free(schema_json);
    sml_strbuf_release(&hyper);
    sml_strbuf_release(&summ);
    sml_strbuf_release(&metr);
    if (rc) {
        code = cli_fail("fit", &err);
        goto out;
    }
    printf("trained on %zu rows, %zu features: %s, %d iterations, %s, objective %.10g\n", rep.rows, rep.features,
           rep.solver, rep.iterations, rep.converged ? "converged" : "NOT converged", rep.objective);
    for (int m = 0; m < SML_METRIC_COUNT; m++)
        if (!isnan(train_metrics[m]))
            printf("  train %-9s %.6f\n", sml_metric_name((sml_metric)m), train_metrics[m]);
    const char *store_uri = sml_conf_str(a.conf, "store");
    if (store_uri && sml_conf_bool(a.conf, "gate")) {
        /* promotion gate: on the same held-out rows, the candidate's validation metric against the current model */
        sml_model *cur = NULL;
        sml_error gerr = SML_ERROR_INIT;
        const char *gate_data = sml_conf_str(a.conf, "gate_data");
        if (!nfolds && !gate_data) {
            cli_error("fit", "the promotion gate needs held-out rows: give --gate-data FILE, --holdout F or --cv K");
            code = EXIT_USAGE;
            goto out;
        }
        if (sml_model_load(store_uri, &cur, &gerr) == 0) {
            double v[256], sd, cur_v = NAN, cand_v;
            if (gate_data) {
                /* both models on the same fixed validation file: the final candidate and the current model */
                sml_table gt = SML_TABLE_INIT;
                if ((code = fit_read_table("fit", gate_data, a.conf, schema, &fc, &gt)) != 0 ||
                    sml_model_metric_on(model, &gt, NULL, metric, &cand_v, &gerr) != 0 ||
                    sml_model_metric_on(cur, &gt, NULL, metric, &cur_v, &gerr) != 0) {
                    if (!code)
                        code = cli_fail("fit", &gerr);
                    sml_table_release(&gt);
                    sml_model_free(cur);
                    goto out;
                }
                sml_table_release(&gt);
            } else {
                for (size_t f = 0; f < nfolds; f++)
                    v[f] = scores[(best * nfolds + f) * nshown];
                cand_v = mean_of(v, nfolds, &sd);
                /* holdout: fold 0 is what was held out; cv: every row was held out once */
                for (size_t i = 0; i < table.nrows; i++)
                    mask[i] = cv >= 2 ? 1 : folds[i] == 0;
                if (sml_model_metric_on(cur, &table, mask, metric, &cur_v, &gerr) != 0) {
                    code = cli_fail("fit", &gerr);
                    sml_model_free(cur);
                    goto out;
                }
            }
            sml_model_info ci;
            sml_model_get_info(cur, &ci);
            sml_model_free(cur);
            double tol = sml_conf_double(a.conf, "gate_tolerance");
            int pass = sml_gate_pass(metric, cand_v, cur_v, tol);
            printf("promotion gate (%s on %s): candidate %.6f, current version %llu %.6f, tolerance %g: %s\n",
                   sml_metric_name(metric), gate_data ? gate_data : "the held-out rows", cand_v,
                   (unsigned long long)ci.version, cur_v, tol, pass ? "passed" : "REJECTED");
            if (!pass) {
                fprintf(stderr, "streamml fit: candidate rejected by the promotion gate (%s %.6f vs current %.6f, "
                                "tolerance %g); version %llu stays current\n",
                        sml_metric_name(metric), cand_v, cur_v, tol, (unsigned long long)ci.version);
                store_uri = NULL; /* not published */
            }
        } else if (gerr.code != SML_ENOTFOUND) {
            code = cli_fail("fit", &gerr);
            goto out;
        }
    }
    if (store_uri) {
        sml_store *st = NULL;
        uint64_t version;
        if (sml_store_open(store_uri, 1, &st, &err) != 0 || sml_store_publish(st, model, 1, &version, &err) != 0) {
            sml_store_close(st);
            if (err.code == 0)
                err.code = SML_EIO;
            code = cli_fail("fit", &err);
            goto out;
        }
        sml_store_close(st);
        printf("published version %llu to %s\n", (unsigned long long)version, store_uri);
        *published = 1;
    }
    if (sml_conf_is_set(a.conf, "output")) {
        const char *path = sml_conf_str(a.conf, "output");
        if (sml_model_save(model, path, &err) != 0) {
            code = cli_fail("fit", &err);
            goto out;
        }
        printf("saved the model to %s\n", path);
    }
    if (!sml_conf_str(a.conf, "store") && !sml_conf_is_set(a.conf, "output"))
        fprintf(stderr, "streamml fit: note: the model was not saved (use --store DIR or -o FILE)\n");
    if (fflush(stdout) != 0)
        code = EXIT_RUNTIME;
out:
    fit_config_release(&fc);
    if (spooled) {
        unlink(spooled);
        free(spooled);
    }
    sml_trainer_free(tr);
    sml_model_free(model);
    sml_model_free(base);
    free(scores);
    free(mask);
    free(folds);
    free(grid);
    sml_table_release(&table);
    sml_schema_free(schema);
    return code;
}
