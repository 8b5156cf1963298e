/*
 * TRON (optim.h): trust-region Newton with preconditioned conjugate gradients, for smooth objectives with
 * Hessian-vector products. The ideas follow Lin, Weng & Keerthi, "Trust region Newton method for large-scale
 * logistic regression" (JMLR 2008) and liblinear's later preconditioned variant (Hsia, Chiang & Lin, 2018):
 *
 *   at θ: solve  min_s g's + ½ s'Hs  subject to ||s||_M <= Δ  approximately by CG (Steihaug: stop on the boundary),
 *   with M = diag(H) as preconditioner when the objective offers it; accept θ + s when the actual decrease is a
 *   fair share of the predicted one, and resize Δ from how well the quadratic model predicted it.
 *
 * CG stops at a relative residual that tightens as the gradient shrinks (an inexact Newton forcing term), so the
 * outer iteration converges superlinearly while early steps stay cheap. Every data pass counts: one fun_grad per
 * outer iteration (plus one more after a rejected step, to bring the objective's Hessian back to θ), one hess_vec
 * per CG step.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim/optim.h"

/* step acceptance and trust-region update constants (Lin, Weng & Keerthi 2008, section 2) */
#define ETA0 1e-4
#define ETA1 0.25
#define ETA2 0.75
#define SIGMA1 0.25
#define SIGMA2 0.5
#define SIGMA3 4.0
/* reductions below NOISE_REL·|f| are rounding noise; STALL_STEPS such steps in a row that also fail to lower the
 * gradient end the run as stalled */
#define NOISE_REL 1e-12
#define STALL_STEPS 5

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t j = 0; j < n; j++)
        s += a[j] * b[j];
    return s;
}

/* u'Mv with M diagonal */
static double dot_m(const double *u, const double *m, const double *v, size_t n)
{
    double s = 0;
    for (size_t j = 0; j < n; j++)
        s += u[j] * m[j] * v[j];
    return s;
}

static double norm_inf(const double *v, size_t n)
{
    double m = 0;
    for (size_t j = 0; j < n; j++)
        if (fabs(v[j]) > m)
            m = fabs(v[j]);
    return m;
}

typedef struct tron_work {
    const sml_objective *obj;
    sml_optim_report *rep;
    size_t n;
    double *m;                      /* preconditioner diag(H) */
    double *s, *r, *z, *d, *hd;     /* CG: step, residual, preconditioned residual, direction, H·direction */
} tron_work;

/* Approximately solves H s = −g inside ||s||_M <= delta. Returns 1 when the step reached the boundary. */
static int trust_cg(tron_work *w, const double *g, double delta, double forcing, int max_cg)
{
    size_t n = w->n;
    double *s = w->s, *r = w->r, *z = w->z, *d = w->d, *hd = w->hd, *m = w->m;
    for (size_t j = 0; j < n; j++) {
        s[j] = 0;
        r[j] = -g[j];
        z[j] = r[j] / m[j];
        d[j] = z[j];
    }
    double ztr = dot(z, r, n), tol = forcing * sqrt(ztr);
    for (int it = 0; it < max_cg; it++) {
        if (sqrt(ztr) <= tol)
            break;
        w->obj->hess_vec(w->obj->ctx, d, hd);
        w->rep->hess_vecs++;
        double dhd = dot(d, hd, n), alpha = dhd > 0 ? ztr / dhd : INFINITY;
        /* would the full CG step leave the region (or is the curvature not positive)? then stop on the boundary */
        double sms = dot_m(s, m, s, n), smd = dot_m(s, m, d, n), dmd = dot_m(d, m, d, n);
        double reach = sms + 2 * alpha * smd + alpha * alpha * dmd;
        if (!(dhd > 0) || reach > delta * delta) {
            double dsq = delta * delta, rad = sqrt(smd * smd + dmd * (dsq - sms));
            alpha = smd >= 0 ? (dsq - sms) / (smd + rad) : (rad - smd) / dmd;
            for (size_t j = 0; j < n; j++) {
                s[j] += alpha * d[j];
                r[j] -= alpha * hd[j];
            }
            return 1;
        }
        for (size_t j = 0; j < n; j++) {
            s[j] += alpha * d[j];
            r[j] -= alpha * hd[j];
            z[j] = r[j] / m[j];
        }
        double ztr_new = dot(z, r, n), beta = ztr_new / ztr;
        for (size_t j = 0; j < n; j++)
            d[j] = z[j] + beta * d[j];
        ztr = ztr_new;
    }
    return 0;
}

static void preconditioner(tron_work *w)
{
    size_t n = w->n;
    if (w->obj->hess_diag) {
        w->obj->hess_diag(w->obj->ctx, w->m);
        for (size_t j = 0; j < n; j++)
            if (!(w->m[j] > 0) || !isfinite(w->m[j]))
                w->m[j] = 1; /* a column without curvature: leave it unscaled */
    } else {
        for (size_t j = 0; j < n; j++)
            w->m[j] = 1;
    }
}

static int tron_minimize(const sml_objective *obj, double *theta, const sml_optim_options *opt,
                         sml_optim_report *rep, sml_error *err)
{
    size_t n = obj->dim;
    int rc = 0;
    tron_work w = {.obj = obj, .rep = rep, .n = n};
    double *block = malloc(10 * n * sizeof *block);
    if (!block)
        return sml_fail(err, SML_ENOMEM, "tron: out of memory for %zu parameters", n);
    double *x = block, *g = block + n, *x_new = block + 2 * n, *g_new = block + 3 * n;
    w.m = block + 4 * n, w.s = block + 5 * n, w.r = block + 6 * n, w.z = block + 7 * n, w.d = block + 8 * n,
    w.hd = block + 9 * n;
    /* CG iterations per Newton step: enough for an exact solve of small problems, bounded for large ones */
    int max_cg = n < 1000 ? (int)n + 10 : 1000;

    memcpy(x, theta, n * sizeof *x);
    rep->fun_evals++;
    double f = obj->fun_grad(obj->ctx, x, g);
    if (!isfinite(f) || !sml_optim_all_finite(g, n)) {
        rc = sml_fail(err, SML_ENUMERIC, "tron: the objective is not finite at the start point");
        f = NAN;
        goto out;
    }
    double gnorm = norm_inf(g, n), gnorm0 = gnorm;
    rep->pg0_norm_inf = gnorm0;
    double threshold = opt->tol * (gnorm0 > 1 ? gnorm0 : 1);
    preconditioner(&w);
    double delta = 0; /* the first region: the preconditioned gradient's length */
    for (size_t j = 0; j < n; j++)
        delta += g[j] * g[j] / w.m[j];
    delta = sqrt(delta);
    int iter = 0, accepted_once = 0, idle = 0;
    for (;;) {
        if (gnorm <= threshold) {
            rep->status = SML_OPTIM_CONVERGED;
            break;
        }
        if (iter >= opt->max_iter) {
            rep->status = SML_OPTIM_MAX_ITER;
            break;
        }
        iter++;
        double rel = gnorm / gnorm0, forcing = rel < 0.01 ? 0.1 * sqrt(rel / 0.01) : 0.1;
        if (forcing < 1e-3)
            forcing = 1e-3;
        int boundary = trust_cg(&w, g, delta, forcing, max_cg);
        for (size_t j = 0; j < n; j++)
            x_new[j] = x[j] + w.s[j];
        double gs = dot(g, w.s, n), prered = -0.5 * (gs - dot(w.s, w.r, n));
        rep->fun_evals++;
        double f_new = obj->fun_grad(obj->ctx, x_new, g_new);
        int finite = isfinite(f_new) && sml_optim_all_finite(g_new, n);
        double actred = finite ? f - f_new : -INFINITY;
        double snorm = sqrt(dot_m(w.s, w.m, w.s, n));
        if (!accepted_once && snorm < delta)
            delta = snorm;
        double alpha; /* the step length the quadratic interpolation of f along s suggests */
        if (!finite || f_new - f - gs <= 0)
            alpha = finite ? SIGMA3 : SIGMA1;
        else
            alpha = fmax(SIGMA1, -0.5 * (gs / (f_new - f - gs)));
        if (actred < ETA0 * prered)
            delta = fmin(alpha * snorm, SIGMA2 * delta);
        else if (actred < ETA1 * prered)
            delta = fmax(SIGMA1 * delta, fmin(alpha * snorm, SIGMA2 * delta));
        else if (actred < ETA2 * prered)
            delta = fmax(SIGMA1 * delta, fmin(alpha * snorm, SIGMA3 * delta));
        else
            delta = boundary ? SIGMA3 * delta : fmax(delta, fmin(alpha * snorm, SIGMA3 * delta));

        /* Near the optimum both reductions sink below the rounding noise of f, and comparing values says nothing:
         * there a step is judged by the gradient norm instead (Newton steps stay good long after values stop
         * telling). */
        int in_noise = fabs(prered) <= NOISE_REL * fabs(f) && fabs(actred) <= NOISE_REL * fabs(f);
        int accept = finite && (in_noise ? norm_inf(g_new, n) < gnorm : actred > ETA0 * prered);
        if (in_noise && accept)
            delta = fmax(delta, snorm); /* the value-based update above is noise: keep the region */
        if (in_noise && !accept && ++idle >= STALL_STEPS) {
            rep->status = SML_OPTIM_STALLED;
            break;
        }
        if (!in_noise || accept)
            idle = 0;
        if (accept) {
            double *t = x;
            x = x_new, x_new = t;
            t = g, g = g_new, g_new = t;
            f = f_new;
            gnorm = norm_inf(g, n);
            accepted_once = 1;
            preconditioner(&w);
        } else {
            /* rejected: the objective's cached curvature is at x_new now; bring it back to x */
            rep->fun_evals++;
            double f_back = obj->fun_grad(obj->ctx, x, g);
            if (!isfinite(f_back)) { /* cannot happen for a deterministic objective; be safe */
                rc = sml_fail(err, SML_ENUMERIC, "tron: the objective is no longer finite at an accepted point");
                goto out;
            }
        }
        if (!(delta > 0) || delta < 1e-300 * (1 + sqrt(dot(x, x, n)))) {
            rep->status = SML_OPTIM_STALLED;
            break;
        }
    }
    rep->iterations = iter;
    rep->converged = rep->status == SML_OPTIM_CONVERGED;
out:
    memcpy(theta, x, n * sizeof *theta);
    rep->objective = f;
    rep->pg_norm_inf = norm_inf(g, n);
    free(block);
    return rc;
}

const sml_solver sml_solver_tron = {"tron", 1, 0, tron_minimize};
