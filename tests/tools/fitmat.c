/*
 * fitmat: fits a linear or logistic model to a matrix file with the batch solvers, for tests and benchmarks.
 *
 *   fitmat [options] DATA.libsvm
 *     --loss squared|logistic   (default squared)       --l2 X  --l1 X  --l2-to-base X  --base FILE
 *     --intercept               fit an intercept b       --weights FILE  (one sample weight per line)
 *     --solver auto|lbfgs|owlqn|tron                     --tol X  --max-iter N  --dim D (at least D features)
 *     --eval FILE               print the objective at the parameters in FILE instead of fitting
 *
 * DATA is libsvm text: "label idx:value idx:value ..." with 1-based feature indices. Parameter files (--base,
 * --eval) hold one number per line: w_1 … w_d, then b with --intercept.
 * Prints "key value" lines (solver, status, iterations, fun_evals, hess_vecs, pg_norm_inf, objective,
 * time_read_s, time_solve_s (wall clock), cpu_read_s, cpu_solve_s (process CPU time)), then "w J VALUE" per feature and "b VALUE"; numbers with %.17g.
 * Exit codes: 0 ok, 1 usage, 2 failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/dataset.h"
#include "models/glm_objective.h"
#include "models/loss.h"
#include "optim/optim.h"
#include "streamml/num.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu_now(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static char *slurp(const char *path, size_t *len, sml_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) {
        sml_fail(err, SML_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 1 << 20;
            char *b = realloc(buf, cap + 1);
            if (!b) {
                free(buf);
                fclose(f);
                sml_fail(err, SML_ENOMEM, "%s: out of memory", path);
                return NULL;
            }
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        sml_fail(err, SML_EIO, "%s: read error", path);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Reads whitespace-separated numbers from a file into a growing array. */
static int read_vector(const char *path, double **out, size_t *count, sml_error *err)
{
    size_t len, n = 0, cap = 0;
    char *buf = slurp(path, &len, err), *p;
    double *v = NULL;
    if (!buf)
        return err->code;
    p = buf;
    while (p < buf + len) {
        while (p < buf + len && (is_space(*p) || *p == '\n'))
            p++;
        if (p >= buf + len)
            break;
        char *q = p;
        while (q < buf + len && !is_space(*q) && *q != '\n')
            q++;
        double x;
        if (sml_parse_double(p, (size_t)(q - p), &x)) {
            free(buf), free(v);
            return sml_fail(err, SML_EPARSE, "%s: bad number \"%.*s\"", path, (int)(q - p), p);
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            double *nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                free(buf), free(v);
                return sml_fail(err, SML_ENOMEM, "%s: out of memory", path);
            }
            v = nv;
        }
        v[n++] = x;
        p = q;
    }
    free(buf);
    *out = v;
    *count = n;
    return 0;
}

static int read_libsvm(const char *path, const double *weights, size_t n_weights, sml_dataset *ds, sml_error *err)
{
    size_t len, line = 0, cap = 64;
    char *buf = slurp(path, &len, err);
    if (!buf)
        return err->code;
    uint32_t *idx = malloc(cap * sizeof *idx);
    double *val = malloc(cap * sizeof *val);
    int rc = 0;
    if (!idx || !val) {
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
        goto out;
    }
    char *p = buf, *end = buf + len;
    while (p < end) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        line++;
        while (p < eol && is_space(*p))
            p++;
        if (p == eol || *p == '#') {
            p = eol + 1;
            continue;
        }
        double y;
        size_t used = sml_parse_double_prefix(p, (size_t)(eol - p), &y);
        if (!used) {
            rc = sml_fail(err, SML_EPARSE, "%s:%zu: bad label", path, line);
            goto out;
        }
        p += used;
        size_t nnz = 0;
        for (;;) {
            while (p < eol && is_space(*p))
                p++;
            if (p >= eol)
                break;
            char *colon;
            unsigned long j = strtoul(p, &colon, 10);
            if (colon == p || colon >= eol || *colon != ':' || j == 0 || j > UINT32_MAX - 1) {
                rc = sml_fail(err, SML_EPARSE, "%s:%zu: expected index:value", path, line);
                goto out;
            }
            double x;
            used = sml_parse_double_prefix(colon + 1, (size_t)(eol - colon - 1), &x);
            if (!used) {
                rc = sml_fail(err, SML_EPARSE, "%s:%zu: bad value for feature %lu", path, line, j);
                goto out;
            }
            p = colon + 1 + used;
            if (nnz == cap) {
                cap *= 2;
                uint32_t *ni = realloc(idx, cap * sizeof *idx);
                if (ni)
                    idx = ni;
                double *nv = realloc(val, cap * sizeof *val);
                if (nv)
                    val = nv;
                if (!ni || !nv) {
                    rc = sml_fail(err, SML_ENOMEM, "out of memory");
                    goto out;
                }
            }
            idx[nnz] = (uint32_t)(j - 1);
            val[nnz++] = x;
        }
        size_t row = ds->x.n_rows;
        if (weights && row >= n_weights) {
            rc = sml_fail(err, SML_EINVAL, "fewer weights (%zu) than rows", n_weights);
            goto out;
        }
        if ((rc = sml_dataset_add_row(ds, y, weights ? weights[row] : 1, idx, val, nnz, err)) < 0)
            goto out;
        p = eol + 1;
    }
    if (weights && ds->x.n_rows != n_weights)
        rc = sml_fail(err, SML_EINVAL, "%zu weights for %zu rows", n_weights, ds->x.n_rows);
out:
    free(idx);
    free(val);
    free(buf);
    return rc;
}

static int usage(const char *msg)
{
    fprintf(stderr, "fitmat: %s\nusage: fitmat [--loss squared|logistic] [--l2 X] [--l1 X] [--l2-to-base X "
                    "--base FILE] [--intercept] [--weights FILE] [--solver auto|lbfgs|owlqn|tron] [--tol X] "
                    "[--max-iter N] [--dim D] [--eval FILE] DATA.libsvm\n", msg);
    return 1;
}

static int number_arg(const char *s, double *out)
{
    return sml_parse_double(s, strlen(s), out) == 0 && *out >= 0;
}

int main(int argc, char **argv)
{
    const char *data = NULL, *base_path = NULL, *weight_path = NULL, *eval_path = NULL;
    const sml_loss *loss = &sml_loss_squared;
    sml_glm_penalty pen = {0, 0, 0, NULL};
    sml_optim_options opt = SML_OPTIM_OPTIONS_INIT;
    int intercept = 0;
    double dim_min = 0, max_iter = opt.max_iter;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 1;
        if (!strcmp(a, "--intercept")) {
            intercept = 1;
            continue;
        }
        if (a[0] != '-' || !a[1]) {
            if (data)
                return usage("more than one data file");
            data = a;
            continue;
        }
        if (!v)
            return usage("option needs a value");
        i++;
        if (!strcmp(a, "--loss"))
            ok = (loss = sml_loss_find(v)) != NULL;
        else if (!strcmp(a, "--l2"))
            ok = number_arg(v, &pen.l2);
        else if (!strcmp(a, "--l1"))
            ok = number_arg(v, &pen.l1);
        else if (!strcmp(a, "--l2-to-base"))
            ok = number_arg(v, &pen.l2_to_base);
        else if (!strcmp(a, "--base"))
            base_path = v;
        else if (!strcmp(a, "--weights"))
            weight_path = v;
        else if (!strcmp(a, "--eval"))
            eval_path = v;
        else if (!strcmp(a, "--tol"))
            ok = number_arg(v, &opt.tol);
        else if (!strcmp(a, "--max-iter"))
            ok = number_arg(v, &max_iter) && max_iter <= 1e9;
        else if (!strcmp(a, "--dim"))
            ok = number_arg(v, &dim_min) && dim_min < 4e9;
        else if (!strcmp(a, "--solver")) {
            const sml_solver *s = sml_solver_find(v);
            ok = s != NULL || !strcmp(v, "auto");
            opt.solver = !s ? SML_SOLVER_AUTO : s == &sml_solver_tron ? SML_SOLVER_TRON : SML_SOLVER_LBFGS;
        } else
            return usage("unknown option");
        if (!ok) {
            fprintf(stderr, "fitmat: bad value \"%s\" for %s\n", v, a);
            return 1;
        }
    }
    if (!data)
        return usage("no data file");
    opt.max_iter = (int)max_iter;

    sml_error err = SML_ERROR_INIT;
    sml_dataset ds = SML_DATASET_INIT;
    sml_glm_objective *glm = NULL;
    double *weights = NULL, *base = NULL, *theta = NULL;
    size_t n_weights = 0, n_base = 0;
    int rc = 0;
    double t0 = now(), c0 = cpu_now();
    if (weight_path && (rc = read_vector(weight_path, &weights, &n_weights, &err)) < 0)
        goto out;
    if ((rc = read_libsvm(data, weights, n_weights, &ds, &err)) < 0)
        goto out;
    sml_dataset_set_min_cols(&ds, (uint32_t)dim_min);
    size_t dim = ds.x.n_cols + (size_t)intercept;
    if (base_path) {
        if ((rc = read_vector(base_path, &base, &n_base, &err)) < 0)
            goto out;
        if (n_base != dim) {
            rc = sml_fail(&err, SML_EINVAL, "%s: %zu numbers for %zu parameters", base_path, n_base, dim);
            goto out;
        }
        pen.base = base;
    }
    if (eval_path) {
        size_t n_theta;
        if ((rc = read_vector(eval_path, &theta, &n_theta, &err)) < 0)
            goto out;
        if (n_theta != dim) {
            rc = sml_fail(&err, SML_EINVAL, "%s: %zu numbers for %zu parameters", eval_path, n_theta, dim);
            goto out;
        }
    } else if (!(theta = calloc(dim, sizeof *theta))) {
        rc = sml_fail(&err, SML_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = sml_glm_objective_new(&ds, loss, &pen, intercept, &glm, &err)) < 0)
        goto out;
    double t1 = now(), c1 = cpu_now();
    if (eval_path) {
        printf("objective %.17g\n", sml_glm_value(glm, theta));
        goto out;
    }
    sml_objective obj = {sml_glm_dim(glm), glm, sml_glm_fun_grad, sml_glm_hess_vec, sml_glm_hess_diag,
                         sml_glm_l1(glm)};
    sml_optim_report rep;
    if ((rc = sml_minimize(&obj, theta, &opt, &rep, &err)) < 0)
        goto out;
    double t2 = now(), c2 = cpu_now();
    static const char *const status[] = {"converged", "max_iter", "stalled"};
    printf("solver %s\nstatus %s\niterations %d\nfun_evals %ld\nhess_vecs %ld\npg_norm_inf %.17g\n", rep.solver,
           status[rep.status], rep.iterations, rep.fun_evals, rep.hess_vecs, rep.pg_norm_inf);
    printf("objective %.17g\ntime_read_s %.3f\ntime_solve_s %.3f\ncpu_read_s %.3f\ncpu_solve_s %.3f\n",
           sml_glm_value(glm, theta), t1 - t0, t2 - t1, c1 - c0, c2 - c1);
    for (size_t j = 0; j < ds.x.n_cols; j++)
        printf("w %zu %.17g\n", j + 1, theta[j]);
    if (intercept)
        printf("b %.17g\n", theta[ds.x.n_cols]);
out:
    if (rc < 0)
        fprintf(stderr, "fitmat: %s\n", err.msg);
    sml_glm_objective_free(glm);
    sml_dataset_release(&ds);
    free(weights);
    free(base);
    free(theta);
    return rc < 0 ? 2 : 0;
}
