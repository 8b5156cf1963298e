/*
 * The batch objective of the linear and logistic models (glm_objective.h): sums of per-row losses over a CSR
 * training set plus the penalties, with the passes over the data kept to one per call:
 *   fun_grad   zᵢ = xᵢ·w + b → loss, first derivative (scattered into the gradient) and second derivative (cached
 *              as Dᵢ = wᵢ·loss''(zᵢ)/W for the Hessian, as liblinear does);
 *   hess_vec   (1/W)·Xᵀ D X v, one row at a time: tᵢ = Dᵢ·(xᵢ·v + v_b), then Hv += tᵢ·xᵢ.
 */
#include "models/glm_objective.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sml_glm_objective {
    const sml_dataset *ds;
    const sml_loss *loss;
    double l2, l1, l2_to_base;
    int fit_intercept;
    size_t d, dim;         /* features, parameters (d + fit_intercept) */
    double inv_w;          /* 1 / Σ wᵢ */
    double *base;          /* θ_base[dim] */
    double *l1_weights;    /* l1 per parameter, or NULL */
    double *curvature;     /* Dᵢ per row, from the last fun_grad with a gradient */
};

int sml_glm_objective_new(const sml_dataset *ds, const sml_loss *loss, const sml_glm_penalty *pen, int fit_intercept,
                          sml_glm_objective **out, sml_error *err)
{
    *out = NULL;
    const sml_csr *x = &ds->x;
    size_t n = x->n_rows;
    if (!loss)
        return sml_fail(err, SML_EINVAL, "no loss");
    if (n == 0)
        return sml_fail(err, SML_EINVAL, "no training rows");
    double l2 = pen ? pen->l2 : 0, l1 = pen ? pen->l1 : 0, l2b = pen ? pen->l2_to_base : 0;
    if (!(l2 >= 0) || !(l1 >= 0) || !(l2b >= 0) || !isfinite(l2) || !isfinite(l1) || !isfinite(l2b))
        return sml_fail(err, SML_EINVAL, "penalties must be finite and >= 0 (l2 %g, l1 %g, l2_to_base %g)", l2, l1,
                        l2b);
    double wsum = 0;
    for (size_t i = 0; i < n; i++) {
        double y = ds->y[i], w = ds->weight ? ds->weight[i] : 1;
        if (!isfinite(y))
            return sml_fail(err, SML_ENUMERIC, "row %zu: label is %g", i + 1, y);
        if (loss->binary_labels && y != 1 && y != -1)
            return sml_fail(err, SML_EINVAL, "row %zu: label %g for the %s loss (expected -1 or 1)", i + 1, y,
                            loss->name);
        if (!isfinite(w) || w < 0)
            return sml_fail(err, w < 0 ? SML_EINVAL : SML_ENUMERIC, "row %zu: sample weight is %g", i + 1, w);
        wsum += w;
        for (uint64_t k = x->row_ptr[i]; k < x->row_ptr[i + 1]; k++)
            if (!isfinite(x->values[k]))
                return sml_fail(err, SML_ENUMERIC, "row %zu, column %u: value is %g", i + 1, x->col_idx[k] + 1,
                                x->values[k]);
    }
    if (!(wsum > 0) || !isfinite(wsum))
        return sml_fail(err, SML_EINVAL, "the sample weights sum to %g", wsum);

    sml_glm_objective *g = calloc(1, sizeof *g);
    if (!g)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    g->ds = ds, g->loss = loss, g->l2 = l2, g->l1 = l1, g->l2_to_base = l2b;
    g->fit_intercept = fit_intercept != 0;
    g->d = x->n_cols, g->dim = g->d + (size_t)g->fit_intercept;
    g->inv_w = 1 / wsum;
    g->base = calloc(g->dim ? g->dim : 1, sizeof *g->base);
    g->curvature = calloc(n, sizeof *g->curvature);
    if (l1 > 0)
        g->l1_weights = calloc(g->dim ? g->dim : 1, sizeof *g->l1_weights);
    if (!g->base || !g->curvature || (l1 > 0 && !g->l1_weights)) {
        sml_glm_objective_free(g);
        return sml_fail(err, SML_ENOMEM, "out of memory for %zu rows", n);
    }
    if (pen && pen->base) {
        for (size_t j = 0; j < g->dim; j++)
            if (!isfinite(pen->base[j])) {
                sml_glm_objective_free(g);
                return sml_fail(err, SML_ENUMERIC, "base parameter %zu is %g", j + 1, pen->base[j]);
            }
        memcpy(g->base, pen->base, g->dim * sizeof *g->base);
    }
    if (g->l1_weights)
        for (size_t j = 0; j < g->d; j++)
            g->l1_weights[j] = l1; /* the intercept's stays 0 */
    *out = g;
    return 0;
}

void sml_glm_objective_free(sml_glm_objective *g)
{
    if (!g)
        return;
    free(g->base);
    free(g->l1_weights);
    free(g->curvature);
    free(g);
}

size_t sml_glm_dim(const sml_glm_objective *g) { return g->dim; }
const double *sml_glm_l1(const sml_glm_objective *g) { return g->l1_weights; }

double sml_glm_fun_grad(void *ctx, const double *theta, double *grad)
{
    sml_glm_objective *g = ctx;
    const sml_csr *x = &g->ds->x;
    const uint64_t *row_ptr = x->row_ptr;
    const uint32_t *col = x->col_idx;
    const double *val = x->values, *y = g->ds->y, *weight = g->ds->weight;
    double (*eval)(double, double, double *, double *) = g->loss->eval;
    size_t n = x->n_rows, d = g->d;
    double b = g->fit_intercept ? theta[d] : 0, inv_w = g->inv_w;
    double sum = 0, grad_b = 0;
    if (grad)
        memset(grad, 0, g->dim * sizeof *grad);
    for (size_t i = 0; i < n; i++) {
        uint64_t k0 = row_ptr[i], k1 = row_ptr[i + 1];
        double z = b;
        for (uint64_t k = k0; k < k1; k++)
            z += val[k] * theta[col[k]];
        double d1, d2, wi = weight ? weight[i] : 1;
        sum += wi * eval(z, y[i], &d1, &d2);
        if (grad) {
            double c = wi * d1 * inv_w;
            for (uint64_t k = k0; k < k1; k++)
                grad[col[k]] += c * val[k];
            grad_b += c;
            g->curvature[i] = wi * d2 * inv_w;
        }
    }
    double f = sum * inv_w, reg = 0, to_base = 0;
    for (size_t j = 0; j < d; j++)
        reg += theta[j] * theta[j];
    for (size_t j = 0; j < g->dim; j++)
        to_base += (theta[j] - g->base[j]) * (theta[j] - g->base[j]);
    f += 0.5 * g->l2 * reg + 0.5 * g->l2_to_base * to_base;
    if (grad) {
        for (size_t j = 0; j < d; j++)
            grad[j] += g->l2 * theta[j] + g->l2_to_base * (theta[j] - g->base[j]);
        if (g->fit_intercept)
            grad[d] = grad_b + g->l2_to_base * (theta[d] - g->base[d]);
    }
    return f;
}

void sml_glm_hess_vec(void *ctx, const double *v, double *hv)
{
    sml_glm_objective *g = ctx;
    const sml_csr *x = &g->ds->x;
    const uint64_t *row_ptr = x->row_ptr;
    const uint32_t *col = x->col_idx;
    const double *val = x->values, *curv = g->curvature;
    size_t n = x->n_rows, d = g->d;
    double v_b = g->fit_intercept ? v[d] : 0, hv_b = 0;
    memset(hv, 0, g->dim * sizeof *hv);
    for (size_t i = 0; i < n; i++) {
        uint64_t k0 = row_ptr[i], k1 = row_ptr[i + 1];
        double t = v_b;
        for (uint64_t k = k0; k < k1; k++)
            t += val[k] * v[col[k]];
        t *= curv[i];
        for (uint64_t k = k0; k < k1; k++)
            hv[col[k]] += t * val[k];
        hv_b += t;
    }
    for (size_t j = 0; j < d; j++)
        hv[j] += (g->l2 + g->l2_to_base) * v[j];
    if (g->fit_intercept)
        hv[d] = hv_b + g->l2_to_base * v[d];
}

void sml_glm_hess_diag(void *ctx, double *diag)
{
    sml_glm_objective *g = ctx;
    const sml_csr *x = &g->ds->x;
    size_t n = x->n_rows, d = g->d;
    double diag_b = 0;
    memset(diag, 0, g->dim * sizeof *diag);
    for (size_t i = 0; i < n; i++) {
        double c = g->curvature[i];
        for (uint64_t k = x->row_ptr[i]; k < x->row_ptr[i + 1]; k++)
            diag[x->col_idx[k]] += c * x->values[k] * x->values[k];
        diag_b += c;
    }
    for (size_t j = 0; j < d; j++)
        diag[j] += g->l2 + g->l2_to_base;
    if (g->fit_intercept)
        diag[d] = diag_b + g->l2_to_base;
}

double sml_glm_value(sml_glm_objective *g, const double *theta)
{
    double f = sml_glm_fun_grad(g, theta, NULL), l1 = 0;
    for (size_t j = 0; j < g->d; j++)
        l1 += fabs(theta[j]);
    return f + g->l1 * l1;
}
