/*
 * Test tool: runs one online learner (src/optim/online.h) over a numeric CSV and prints its trajectory, for the
 * integration tests that compare it with the numpy transcriptions in tests/integration/ref/online_ref.py.
 *
 *   online_trace DATA.csv [--learner NAME] [--loss squared|logistic] [--lr X] [--power-t X] [--initial-t X]
 *                [--l2 X] [--l1 X] [--l2-to-base X] [--base a,b,..] [--init a,b,..] [--warm-records X]
 *                [--ftrl-alpha X] [--ftrl-beta X] [--rls-forgetting X] [--rls-delta X] [--rls-max-features N]
 *                [--spark-iterations N] [--spark-fraction X] [--spark-reg X] [--spark-tol X] [--seed N]
 *                [--no-intercept] [--batch N] [--print theta|margin|final] [--every K] [--checkpoint-every K]
 *
 * DATA: one row per line, y first then the x columns (a first line that is not numeric is a header). Zeros are
 * left out of the sparse rows the learner sees. Per-record learners score then learn each row; spark learns per
 * micro-batch of --batch rows (default 100). --print theta (default): θ (intercept last) after every record or
 * batch; margin: the prequential score of every row; final: θ at the end. Numbers are printed with %.17g.
 * --every K prints θ only after every K-th record or batch (and the last).
 * --checkpoint-every K encodes the learner every K records, frees it and continues from the decoded copy.
 * Exit status: 0, 1 usage, 2 runtime error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optim/online.h"

static double *parse_list(const char *s, size_t *n)
{
    size_t cap = 8, k = 0;
    double *v = malloc(cap * sizeof *v);
    while (v && *s) {
        char *end;
        if (k == cap) {
            double *nv = realloc(v, (cap *= 2) * sizeof *v);
            if (!nv) {
                free(v);
                return NULL;
            }
            v = nv;
        }
        v[k++] = strtod(s, &end);
        s = *end == ',' ? end + 1 : end;
        if (end == s && *s)
            break;
    }
    *n = k;
    return v;
}

typedef struct data {
    size_t rows, cols; /* cols = 1 + number of x columns */
    double *v;
} data;

static int read_data(const char *path, data *d)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    char *line = NULL;
    size_t cap = 0, vcap = 0;
    ssize_t len;
    d->rows = d->cols = 0;
    d->v = NULL;
    int first = 1, rc = 0;
    while ((len = getline(&line, &cap, fp)) > 0) {
        if (len && line[len - 1] == '\n')
            line[--len] = 0;
        if (!len)
            continue;
        size_t k = 0;
        char *s = line;
        int numeric = 1;
        double row[4096];
        while (*s && k < 4096) {
            char *end;
            errno = 0;
            row[k] = strtod(s, &end);
            if (end == s) {
                numeric = 0;
                break;
            }
            k++;
            s = end;
            if (*s == ',')
                s++;
        }
        if (!numeric && first) {
            first = 0;
            continue;
        }
        first = 0;
        if (!numeric || (d->cols && k != d->cols)) {
            rc = -1;
            break;
        }
        d->cols = k;
        if ((d->rows + 1) * k > vcap) {
            vcap = vcap ? 2 * vcap : 1024 * k;
            double *nv = realloc(d->v, vcap * sizeof(double));
            if (!nv) {
                rc = -1;
                break;
            }
            d->v = nv;
        }
        memcpy(d->v + d->rows * k, row, k * sizeof(double));
        d->rows++;
    }
    free(line);
    fclose(fp);
    return rc;
}

static void print_theta(const sml_learner *l, double *theta)
{
    size_t n = sml_learner_size(l);
    sml_learner_weights(l, theta);
    for (size_t j = 0; j < n; j++)
        printf(j ? " %.17g" : "%.17g", theta[j]);
    putchar('\n');
}

/* encode, free, decode: the learner continues from its checkpoint */
static int roundtrip(sml_learner **l, const sml_online_opts *o)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    sml_error err = SML_ERROR_INIT;
    if (sml_learner_encode(*l, &sb))
        return -1;
    sml_learner_free(*l);
    *l = NULL;
    sml_cursor c = {(const uint8_t *)sb.buf, (const uint8_t *)sb.buf + sb.len, "learner", 0};
    int rc = sml_learner_decode(&c, o, l, &err);
    if (rc)
        fprintf(stderr, "online_trace: decode: %s\n", err.msg);
    sml_strbuf_release(&sb);
    return rc;
}

int main(int argc, char **argv)
{
    sml_online_opts o = SML_ONLINE_OPTS_INIT;
    o.loss = &sml_loss_squared;
    const char *path = NULL, *print = "theta";
    double *base = NULL, *init = NULL;
    size_t nbase = 0, ninit = 0, batch = 100, checkpoint_every = 0, every = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (!strcmp(a, name) && v && ++i)
        if (OPT("--learner"))
            o.learner = v;
        else if (OPT("--loss"))
            o.loss = sml_loss_find(v);
        else if (OPT("--lr"))
            o.learning_rate = atof(v);
        else if (OPT("--power-t"))
            o.power_t = atof(v);
        else if (OPT("--initial-t"))
            o.initial_t = atof(v);
        else if (OPT("--l2"))
            o.l2 = atof(v);
        else if (OPT("--l1"))
            o.l1 = atof(v);
        else if (OPT("--l2-to-base"))
            o.l2_to_base = atof(v);
        else if (OPT("--base"))
            base = parse_list(v, &nbase);
        else if (OPT("--init"))
            init = parse_list(v, &ninit);
        else if (OPT("--warm-records"))
            o.warm_records = atof(v);
        else if (OPT("--ftrl-alpha"))
            o.ftrl_alpha = atof(v);
        else if (OPT("--ftrl-beta"))
            o.ftrl_beta = atof(v);
        else if (OPT("--rls-forgetting"))
            o.rls_forgetting = atof(v);
        else if (OPT("--rls-delta"))
            o.rls_delta = atof(v);
        else if (OPT("--rls-max-features"))
            o.rls_max_features = (size_t)atol(v);
        else if (OPT("--spark-iterations"))
            o.spark_iterations = atoi(v);
        else if (OPT("--spark-fraction"))
            o.spark_mini_batch_fraction = atof(v);
        else if (OPT("--spark-reg"))
            o.spark_reg_param = atof(v);
        else if (OPT("--spark-tol"))
            o.spark_convergence_tol = atof(v);
        else if (OPT("--seed"))
            o.seed = strtoull(v, NULL, 10);
        else if (OPT("--batch"))
            batch = (size_t)atol(v);
        else if (OPT("--print"))
            print = v;
        else if (OPT("--every"))
            every = (size_t)atol(v);
        else if (OPT("--checkpoint-every"))
            checkpoint_every = (size_t)atol(v);
        else if (OPT("--tol") || OPT("--label"))
            ; /* online_ref.py's flags: the tests pass one flag list to both */
        else if (!strcmp(a, "--no-intercept"))
            o.fit_intercept = 0;
        else if (a[0] != '-' && !path)
            path = a;
        else {
            fprintf(stderr, "online_trace: bad argument %s\n", a);
            return 1;
        }
#undef OPT
    }
    if (!path || !o.loss || !batch || !every) {
        fprintf(stderr, "usage: online_trace DATA.csv [options] (see the source)\n");
        return 1;
    }
    data d;
    if (read_data(path, &d) || d.cols < 1) {
        fprintf(stderr, "online_trace: cannot read %s\n", path);
        return 2;
    }
    o.dim = d.cols - 1;
    size_t n = o.dim + (o.fit_intercept ? 1 : 0);
    if ((base && nbase != n) || (init && ninit != n)) {
        fprintf(stderr, "online_trace: --base/--init need %zu values\n", n);
        return 1;
    }
    o.base = base;
    o.init = init;
    sml_error err = SML_ERROR_INIT;
    sml_learner *l = NULL;
    if (sml_learner_new(&o, &l, &err)) {
        fprintf(stderr, "online_trace: %s\n", err.msg);
        return 2;
    }
    double *theta = malloc((n + 1) * sizeof(double));
    uint32_t *idx = malloc((d.cols + 1) * sizeof *idx);
    double *val = malloc((d.cols + 1) * sizeof *val);
    int each = !strcmp(print, "theta"), margins = !strcmp(print, "margin");
    int rc = 0;
    if (!sml_learner_per_batch(l)) {
        for (size_t r = 0; r < d.rows; r++) {
            const double *row = d.v + r * d.cols;
            size_t nnz = 0;
            for (size_t j = 1; j < d.cols; j++)
                if (row[j] != 0) {
                    idx[nnz] = (uint32_t)(j - 1);
                    val[nnz++] = row[j];
                }
            double z = sml_learner_margin(l, idx, val, nnz);
            sml_learner_update(l, idx, val, nnz, row[0], 1.0, z);
            if (margins)
                printf("%.17g\n", z);
            if (each && ((r + 1) % every == 0 || r + 1 == d.rows))
                print_theta(l, theta);
            if (checkpoint_every && (r + 1) % checkpoint_every == 0 && roundtrip(&l, &o)) {
                rc = 2;
                goto out;
            }
        }
    } else {
        sml_examples ex = SML_EXAMPLES_INIT;
        ex.row_ptr = malloc((batch + 1) * sizeof *ex.row_ptr);
        ex.idx = malloc(batch * d.cols * sizeof *ex.idx);
        ex.val = malloc(batch * d.cols * sizeof *ex.val);
        ex.y = malloc(batch * sizeof *ex.y);
        ex.w = malloc(batch * sizeof *ex.w);
        ex.flags = malloc(batch);
        for (size_t r0 = 0; r0 < d.rows; r0 += batch) {
            size_t m = d.rows - r0 < batch ? d.rows - r0 : batch, nnz = 0;
            ex.nrows = m;
            ex.row_ptr[0] = 0;
            for (size_t i = 0; i < m; i++) {
                const double *row = d.v + (r0 + i) * d.cols;
                for (size_t j = 1; j < d.cols; j++)
                    if (row[j] != 0) {
                        ex.idx[nnz] = (uint32_t)(j - 1);
                        ex.val[nnz++] = row[j];
                    }
                ex.row_ptr[i + 1] = nnz;
                ex.y[i] = row[0];
                ex.w[i] = 1;
                ex.flags[i] = SML_EX_LABEL;
                if (margins)
                    printf("%.17g\n", sml_learner_margin(l, ex.idx + ex.row_ptr[i], ex.val + ex.row_ptr[i],
                                                         (size_t)(ex.row_ptr[i + 1] - ex.row_ptr[i])));
            }
            ex.nnz = nnz;
            if (sml_learner_update_batch(l, &ex, NULL, &err)) {
                fprintf(stderr, "online_trace: %s\n", err.msg);
                rc = 2;
                break;
            }
            if (each && ((r0 / batch + 1) % every == 0 || r0 + m == d.rows))
                print_theta(l, theta);
            if (checkpoint_every && roundtrip(&l, &o)) {
                rc = 2;
                break;
            }
        }
        sml_examples_release(&ex);
    }
    if (!strcmp(print, "final"))
        print_theta(l, theta);
    uint64_t learned, refused, numeric;
    sml_learner_counts(l, &learned, &refused, &numeric);
    fprintf(stderr, "online_trace: %s learned %llu, refused %llu, numeric %llu\n", sml_learner_name(l),
            (unsigned long long)learned, (unsigned long long)refused, (unsigned long long)numeric);
out:
    sml_learner_free(l);
    free(theta);
    free(idx);
    free(val);
    free(d.v);
    free(base);
    free(init);
    return rc;
}
