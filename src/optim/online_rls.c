/*
 * Online learner "rls": recursive least squares with a forgetting factor λ, squared loss only. The covariance
 * P = U·D·Uᵀ is kept in Bierman's factorisation (U unit upper triangular, D diagonal): the measurement update
 * works on the factors, so P stays symmetric and positive definite in floating point, where the textbook update
 * P ← (P − k·hᵀP)/λ drifts. Per record: time update D ← D/λ (the forgetting), then Bierman's scalar measurement
 * update with noise variance 1/weight, then θ += k·(y − ŷ). The result is exactly the exponentially weighted ridge
 * solution of online.h. Cost O(n²) per record (n = dim + intercept), hence rls_max_features.
 *
 * Reference: G. J. Bierman, "Factorization Methods for Discrete Sequential Estimation" (1977), the U-D update.
 */
#include "optim/online_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct rls_learner {
    sml_learner base;
    double *theta; /* n */
    double *d;     /* n: D */
    double *u;     /* packed strict upper triangle of U by columns: column j holds U_0j..U_{j−1,j} at j(j−1)/2 */
    double *h, *f, *v, *b; /* work space, n each */
    double d_max;  /* cap of a variance: no wind-up to infinity in directions the data never excites */
} rls_learner;

static size_t col(size_t j) { return j * (j - 1) / 2; }

static int rls_init(sml_learner *l, sml_error *err)
{
    rls_learner *r = (rls_learner *)l;
    size_t n = l->n;
    r->theta = calloc(n, sizeof(double));
    r->d = calloc(n, sizeof(double));
    r->u = calloc(n * (n - 1) / 2 + 1, sizeof(double));
    r->h = calloc(4 * n, sizeof(double));
    if (!r->theta || !r->d || !r->u || !r->h)
        return sml_fail(err, SML_ENOMEM, "online learner rls: out of memory for %zu parameters", n);
    r->f = r->h + n;
    r->v = r->f + n;
    r->b = r->v + n;
    r->d_max = 1e30 / l->o.rls_delta;
    for (size_t j = 0; j < n; j++) {
        sml_penalty_coef p = sml_penalty_of(l, j);
        double prec = l->o.rls_delta + p.lam; /* rls_delta + l2_j + l2_to_base */
        r->d[j] = 1.0 / prec;
        r->theta[j] = (l->o.rls_delta * l->init[j] + p.pull) / prec;
    }
    return 0;
}

static void rls_release(sml_learner *l)
{
    rls_learner *r = (rls_learner *)l;
    free(r->theta);
    free(r->d);
    free(r->u);
    free(r->h);
}

static double rls_margin(const sml_learner *l, const uint32_t *idx, const double *val, size_t nnz)
{
    const rls_learner *r = (const rls_learner *)l;
    double z = l->o.fit_intercept ? r->theta[l->dim] : 0.0;
    for (size_t k = 0; k < nnz; k++)
        if (idx[k] < l->dim)
            z += r->theta[idx[k]] * val[k];
    return z;
}

static void rls_update(sml_learner *l, const uint32_t *idx, const double *val, size_t nnz, double y, double weight,
                       double margin)
{
    rls_learner *r = (rls_learner *)l;
    size_t n = l->n;
    double *h = r->h, *f = r->f, *v = r->v, *b = r->b, *d = r->d;
    double lambda = l->o.rls_forgetting;
    if (lambda < 1)
        for (size_t j = 0; j < n; j++)
            d[j] = fmin(d[j] / lambda, r->d_max);
    for (size_t k = 0; k < nnz; k++)
        h[idx[k]] = val[k];
    if (l->o.fit_intercept)
        h[l->dim] = 1;
    /* f = Uᵀh, v = D·f */
    for (size_t j = 0; j < n; j++) {
        const double *uj = r->u + col(j);
        double s = h[j];
        for (size_t i = 0; i < j; i++)
            s += uj[i] * h[i];
        f[j] = s;
        v[j] = d[j] * s;
    }
    /* Bierman: α accumulates the innovation variance 1/weight + hᵀPh; b becomes the unnormalised gain P·h */
    double alpha = 1.0 / weight;
    for (size_t j = 0; j < n; j++) {
        double alpha_old = alpha;
        alpha = alpha_old + f[j] * v[j];
        d[j] = d[j] * (alpha_old / alpha);
        double p = -f[j] / alpha_old;
        double *uj = r->u + col(j);
        for (size_t i = 0; i < j; i++) {
            double u_old = uj[i];
            uj[i] = u_old + b[i] * p;
            b[i] += u_old * v[j];
        }
        b[j] = v[j];
    }
    double e = (y - margin) / alpha;
    for (size_t j = 0; j < n; j++) {
        double t = r->theta[j] + b[j] * e;
        if (isfinite(t))
            r->theta[j] = t;
        else
            l->numeric++;
    }
    for (size_t k = 0; k < nnz; k++)
        h[idx[k]] = 0;
    if (l->o.fit_intercept)
        h[l->dim] = 0;
}

static void rls_weights(const sml_learner *l, double *theta)
{
    memcpy(theta, ((const rls_learner *)l)->theta, l->n * sizeof(double));
}

static int rls_encode(const sml_learner *l, sml_strbuf *sb)
{
    const rls_learner *r = (const rls_learner *)l;
    return sml_online_put_f64s(sb, r->theta, l->n) | sml_online_put_f64s(sb, r->d, l->n) |
           sml_online_put_f64s(sb, r->u, l->n * (l->n - 1) / 2);
}

static int rls_decode(sml_learner *l, sml_cursor *c)
{
    rls_learner *r = (rls_learner *)l;
    sml_online_get_f64s(c, r->theta, l->n);
    sml_online_get_f64s(c, r->d, l->n);
    sml_online_get_f64s(c, r->u, l->n * (l->n - 1) / 2);
    return c->failed ? SML_EFORMAT : 0;
}

const sml_learner_type sml_learner_rls = {"rls",       sizeof(rls_learner), 0,          rls_init,
                                          rls_release, rls_margin,          rls_update, NULL, NULL,
                                          rls_weights, rls_encode,          rls_decode};
