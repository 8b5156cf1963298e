/*
 * L-BFGS and OWL-QN (optim.h): limited-memory quasi-Newton for smooth objectives, and its orthant-wise variant for
 * objectives with an L1 term (Andrew & Gao, "Scalable training of L1-regularized log-linear models", 2007).
 *
 * Smooth: the two-loop recursion gives d = −H·∇f, and a line search finds a step meeting the strong Wolfe
 * conditions (Nocedal & Wright, algorithms 3.5 and 3.6, with safeguarded cubic interpolation), so every stored
 * pair has positive curvature. With L1: the pseudo-gradient replaces the gradient, the direction is cut to the
 * orthant it descends into, and a backtracking search projects each trial point onto that orthant, so
 * coordinates land on exact zeros; curvature pairs use the smooth part's gradients.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim/optim.h"

#define WOLFE_C1 1e-4
#define WOLFE_C2 0.9
/* Near the optimum the decrease a step can make falls below the rounding noise of F (decrease ~ ||g||²/curvature,
 * so gradients below ~1e-8 cannot be told apart by values). There the searches use the approximate Wolfe
 * conditions of Hager & Zhang (CG_DESCENT, 2005): a value within the noise band of F(x) is accepted when the slope at
 * the trial point shows the step did not overshoot, φ'(α) <= (1 − 2δ)·|φ'(0)|. */
#define NOISE_REL 1e-12
#define APPROX_DELTA 0.1
/* Give up (status "stalled") after this many iterations without progress in value or gradient. */
#define STALL_ITERATIONS 300

typedef struct lbfgs_work {
    const sml_objective *obj;
    sml_optim_report *rep;
    size_t n;
    int owl;                       /* an L1 term is present: OWL-QN */
    double *x, *g, *pg, *d;        /* iterate, ∇f, pseudo-gradient, direction */
    double *xt, *gt, *xl, *gl;     /* trial point, and the best point of a bracketing search */
    double *s, *y, *rho, *alpha;   /* m correction pairs, ring buffer */
    int m, k, head;                /* capacity, pairs stored, slot of the next pair */
} lbfgs_work;

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t j = 0; j < n; j++)
        s += a[j] * b[j];
    return s;
}

/* F(x) = f(x) + l1 term, with ∇f into g; NAN when the objective gives anything non-finite. */
static double evaluate(lbfgs_work *w, const double *x, double *g)
{
    w->rep->fun_evals++;
    double f = w->obj->fun_grad(w->obj->ctx, x, g);
    if (!isfinite(f) || !sml_optim_all_finite(g, w->n))
        return NAN;
    return f + sml_optim_l1_term(w->obj, x);
}

/* d = −H·v by the two-loop recursion over the stored pairs (H_0 = γI with γ = s'y / y'y of the newest pair). */
static void two_loop(lbfgs_work *w, const double *v)
{
    size_t n = w->n;
    double *d = w->d;
    for (size_t j = 0; j < n; j++)
        d[j] = -v[j];
    for (int i = 0; i < w->k; i++) {
        int slot = (w->head - 1 - i + 2 * w->m) % w->m;
        double *s = w->s + (size_t)slot * n, *y = w->y + (size_t)slot * n;
        w->alpha[slot] = w->rho[slot] * dot(s, d, n);
        for (size_t j = 0; j < n; j++)
            d[j] -= w->alpha[slot] * y[j];
    }
    if (w->k > 0) {
        int newest = (w->head - 1 + w->m) % w->m;
        double *y = w->y + (size_t)newest * n;
        double gamma = 1.0 / (w->rho[newest] * dot(y, y, n));
        for (size_t j = 0; j < n; j++)
            d[j] *= gamma;
    }
    for (int i = w->k - 1; i >= 0; i--) {
        int slot = (w->head - 1 - i + 2 * w->m) % w->m;
        double *s = w->s + (size_t)slot * n, *y = w->y + (size_t)slot * n;
        double beta = w->rho[slot] * dot(y, d, n);
        for (size_t j = 0; j < n; j++)
            d[j] += (w->alpha[slot] - beta) * s[j];
    }
}

/* Stores the pair (x_new − x, g_new − g) when its curvature is safely positive. */
static void remember(lbfgs_work *w, const double *x_new, const double *g_new)
{
    size_t n = w->n;
    double *s = w->s + (size_t)w->head * n, *y = w->y + (size_t)w->head * n;
    for (size_t j = 0; j < n; j++) {
        s[j] = x_new[j] - w->x[j];
        y[j] = g_new[j] - w->g[j];
    }
    double sy = dot(s, y, n), yy = dot(y, y, n);
    if (!(sy > 1e-12 * yy) || !(yy > 0))
        return; /* flat or non-convex along s: drop it (can only happen in OWL-QN or through rounding) */
    w->rho[w->head] = 1.0 / sy;
    w->head = (w->head + 1) % w->m;
    if (w->k < w->m)
        w->k++;
}

/* ---------------------------------------------------------------- line searches */

enum { LS_WOLFE = 0, LS_ARMIJO = 1, LS_FAIL = -1, LS_NONFINITE = -2 };

static void trial_point(lbfgs_work *w, double a)
{
    for (size_t j = 0; j < w->n; j++)
        w->xt[j] = w->x[j] + a * w->d[j];
}

/* The minimiser of the cubic through (a, fa, da) and (b, fb, db), kept inside the middle 80% of [a, b];
 * bisection when the cubic has none or a side is not finite. */
static double interpolate(double a, double fa, double da, double b, double fb, double db)
{
    double lo = a < b ? a : b, hi = a < b ? b : a, width = hi - lo, t = NAN;
    if (isfinite(fb) && isfinite(db)) {
        double d1 = da + db - 3 * (fa - fb) / (a - b);
        double d2sq = d1 * d1 - da * db;
        if (d2sq >= 0) {
            double d2 = (b > a ? 1 : -1) * sqrt(d2sq);
            t = b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
        }
    }
    if (!isfinite(t) || t < lo + 0.1 * width || t > hi - 0.1 * width)
        t = lo + 0.5 * width;
    return t;
}

/* The approximate Wolfe conditions, only where values are within rounding noise of f0. */
static int approx_wolfe(double f, double f0, double noise, double dphi, double dphi0)
{
    return f <= f0 + noise && dphi <= (1 - 2 * APPROX_DELTA) * -dphi0 && dphi >= WOLFE_C2 * dphi0;
}

/* Strong Wolfe search along d from x (value f0, slope dphi0 < 0). The accepted point is left in xt/gt, its value
 * in *f_out. */
static int search_wolfe(lbfgs_work *w, int max_evals, double f0, double dphi0, double a, double *f_out)
{
    size_t n = w->n;
    double a_prev = 0, f_prev = f0, dp_prev = dphi0;
    double a_lo, f_lo, dp_lo, a_hi, f_hi, dp_hi;
    double noise = NOISE_REL * fabs(f0);
    int evals = 0, finite_seen = 0;

    /* bracketing: grow the step until the minimiser along d is enclosed */
    for (;;) {
        if (evals >= max_evals)
            goto fallback;
        trial_point(w, a);
        double f = evaluate(w, w->xt, w->gt);
        evals++;
        if (!isfinite(f)) { /* too far: the bracket is [a_prev, a] */
            a_lo = a_prev, f_lo = f_prev, dp_lo = dp_prev, a_hi = a, f_hi = INFINITY, dp_hi = NAN;
            break;
        }
        finite_seen = 1;
        double dp = dot(w->gt, w->d, n);
        if (approx_wolfe(f, f0, noise, dp, dphi0)) {
            *f_out = f;
            return LS_WOLFE;
        }
        if (f > f0 + WOLFE_C1 * a * dphi0 || (evals > 1 && f >= f_prev)) {
            a_lo = a_prev, f_lo = f_prev, dp_lo = dp_prev, a_hi = a, f_hi = f, dp_hi = dp;
            break;
        }
        if (fabs(dp) <= -WOLFE_C2 * dphi0) {
            *f_out = f;
            return LS_WOLFE;
        }
        memcpy(w->xl, w->xt, n * sizeof *w->xl);
        memcpy(w->gl, w->gt, n * sizeof *w->gl);
        if (dp >= 0) {
            a_lo = a, f_lo = f, dp_lo = dp, a_hi = a_prev, f_hi = f_prev, dp_hi = dp_prev;
            break;
        }
        a_prev = a, f_prev = f, dp_prev = dp;
        a *= 4;
    }
    /* zoom: shrink [a_lo, a_hi]; a_lo always satisfies sufficient decrease, its point is in xl/gl (x/g if 0) */
    while (evals < max_evals) {
        if (fabs(a_hi - a_lo) <= 1e-15 * fabs(a_lo) || fabs(a_hi - a_lo) < 1e-300)
            break;
        a = interpolate(a_lo, f_lo, dp_lo, a_hi, f_hi, dp_hi);
        trial_point(w, a);
        double f = evaluate(w, w->xt, w->gt);
        evals++;
        if (!isfinite(f)) {
            a_hi = a, f_hi = INFINITY, dp_hi = NAN;
            continue;
        }
        finite_seen = 1;
        double dp = dot(w->gt, w->d, n);
        if (approx_wolfe(f, f0, noise, dp, dphi0)) {
            *f_out = f;
            return LS_WOLFE;
        }
        if (f > f0 + WOLFE_C1 * a * dphi0 || f >= f_lo) {
            a_hi = a, f_hi = f, dp_hi = dp;
            continue;
        }
        if (fabs(dp) <= -WOLFE_C2 * dphi0) {
            *f_out = f;
            return LS_WOLFE;
        }
        if (dp * (a_hi - a_lo) >= 0)
            a_hi = a_lo, f_hi = f_lo, dp_hi = dp_lo;
        a_lo = a, f_lo = f, dp_lo = dp;
        memcpy(w->xl, w->xt, n * sizeof *w->xl);
        memcpy(w->gl, w->gt, n * sizeof *w->gl);
    }
    a_prev = a_lo, f_prev = f_lo;
fallback:
    /* out of evaluations: settle for the best point with sufficient decrease, if any */
    if (a_prev > 0 && f_prev < f0) {
        memcpy(w->xt, w->xl, n * sizeof *w->xt);
        memcpy(w->gt, w->gl, n * sizeof *w->gt);
        *f_out = f_prev;
        return LS_ARMIJO;
    }
    return finite_seen ? LS_FAIL : LS_NONFINITE;
}

/* OWL-QN: backtracking along d, each trial projected onto the orthant of x (or of −pg where x_j = 0); sufficient
 * decrease is measured with the pseudo-gradient. */
static int search_orthant(lbfgs_work *w, int max_evals, double f0, double dphi0, double a, double *f_out)
{
    size_t n = w->n;
    double noise = NOISE_REL * fabs(f0);
    int finite_seen = 0;
    for (int evals = 0; evals < max_evals; evals++) {
        double decrease = 0;
        for (size_t j = 0; j < n; j++) {
            double xj = w->x[j], t = xj + a * w->d[j];
            if (w->obj->l1[j] != 0) {
                double orthant = xj != 0 ? xj : -w->pg[j];
                if (t * orthant <= 0)
                    t = 0;
            }
            w->xt[j] = t;
            decrease += w->pg[j] * (t - xj);
        }
        double f = evaluate(w, w->xt, w->gt);
        if (isfinite(f)) {
            finite_seen = 1;
            if (f <= f0 + WOLFE_C1 * decrease) {
                *f_out = f;
                return LS_ARMIJO;
            }
            if (f <= f0 + noise) {
                /* the slope of F along d at the trial point, over the coordinates still free to move */
                double dphi = 0;
                for (size_t j = 0; j < n; j++) {
                    double l1 = w->obj->l1[j], t = w->xt[j];
                    if (l1 == 0 || t != 0)
                        dphi += (w->gt[j] + (t > 0 ? l1 : t < 0 ? -l1 : 0)) * w->d[j];
                }
                if (dphi <= (1 - 2 * APPROX_DELTA) * -dphi0) {
                    *f_out = f;
                    return LS_ARMIJO;
                }
            }
        }
        a *= isfinite(f) ? 0.5 : 0.1;
    }
    return finite_seen ? LS_FAIL : LS_NONFINITE;
}

/* ---------------------------------------------------------------- the iteration */

static int lbfgs_minimize(const sml_objective *obj, double *theta, const sml_optim_options *opt,
                          sml_optim_report *rep, sml_error *err)
{
    size_t n = obj->dim;
    int m = opt->lbfgs_memory, rc = 0;
    lbfgs_work w = {.obj = obj, .rep = rep, .n = n, .m = m};
    w.owl = 0;
    if (obj->l1)
        for (size_t j = 0; j < n; j++)
            w.owl |= obj->l1[j] != 0;
    rep->solver = w.owl ? "owlqn" : "lbfgs";
    double *block = malloc((8 * n + 2 * (size_t)m * n + 2 * (size_t)m) * sizeof *block);
    if (!block)
        return sml_fail(err, SML_ENOMEM, "%s: out of memory for %zu parameters", rep->solver, n);
    double *p = block;
    w.x = p, p += n;
    w.g = p, p += n;
    w.pg = p, p += n;
    w.d = p, p += n;
    w.xt = p, p += n;
    w.gt = p, p += n;
    w.xl = p, p += n;
    w.gl = p, p += n;
    w.s = p, p += (size_t)m * n;
    w.y = p, p += (size_t)m * n;
    w.rho = p, p += m;
    w.alpha = p;

    memcpy(w.x, theta, n * sizeof *w.x);
    double f = evaluate(&w, w.x, w.g);
    if (!isfinite(f)) {
        rc = sml_fail(err, SML_ENUMERIC, "%s: the objective is not finite at the start point", rep->solver);
        goto out;
    }
    double pg_norm = sml_optim_pseudo_gradient(obj, w.x, w.g, w.pg);
    rep->pg0_norm_inf = pg_norm;
    double threshold = opt->tol * (pg_norm > 1 ? pg_norm : 1);
    /* iterations in a row that neither lowered F beyond its noise nor set a new best gradient norm */
    int iter = 0, retried = 0, idle = 0;
    double best_pg = pg_norm;
    for (;;) {
        if (pg_norm <= threshold) {
            rep->status = SML_OPTIM_CONVERGED;
            break;
        }
        if (iter >= opt->max_iter) {
            rep->status = SML_OPTIM_MAX_ITER;
            break;
        }
        two_loop(&w, w.pg);
        if (w.owl) /* keep only the components that descend into the orthant the pseudo-gradient points to */
            for (size_t j = 0; j < n; j++)
                if (w.d[j] * w.pg[j] >= 0)
                    w.d[j] = 0;
        double dphi0 = dot(w.d, w.pg, n);
        if (!(dphi0 < 0)) { /* not a descent direction: start over from steepest descent */
            w.k = 0;
            for (size_t j = 0; j < n; j++)
                w.d[j] = -w.pg[j];
            dphi0 = -dot(w.pg, w.pg, n);
        }
        double a0 = 1;
        if (w.k == 0) /* no curvature known yet: a first step of unit length */
            a0 = 1 / sqrt(dot(w.d, w.d, n));
        double f_new = f;
        int ls = w.owl ? search_orthant(&w, opt->max_linesearch, f, dphi0, a0, &f_new)
                       : search_wolfe(&w, opt->max_linesearch, f, dphi0, a0, &f_new);
        if (ls < 0) {
            if (w.k > 0 && !retried) { /* the quasi-Newton model may be stale: one retry from steepest descent */
                w.k = 0;
                retried = 1;
                continue;
            }
            if (ls == LS_NONFINITE) {
                rc = sml_fail(err, SML_ENUMERIC, "%s: the objective is not finite anywhere along the search "
                              "direction at iteration %d", rep->solver, iter + 1);
                goto out;
            }
            rep->status = SML_OPTIM_STALLED;
            break;
        }
        retried = 0;
        remember(&w, w.xt, w.gt);
        double *t = w.x;
        w.x = w.xt, w.xt = t;
        t = w.g, w.g = w.gt, w.gt = t;
        int lowered = f_new < f - NOISE_REL * fabs(f);
        f = f_new;
        iter++;
        pg_norm = sml_optim_pseudo_gradient(obj, w.x, w.g, w.pg);
        idle = lowered || pg_norm < 0.999 * best_pg ? 0 : idle + 1;
        if (pg_norm < best_pg)
            best_pg = pg_norm;
        if (idle >= STALL_ITERATIONS && pg_norm > threshold) {
            rep->status = SML_OPTIM_STALLED;
            break;
        }
    }
    rep->iterations = iter;
    rep->converged = rep->status == SML_OPTIM_CONVERGED;
out:
    /* θ gets the last iterate, which was evaluated finite (the start point if nothing better was found) */
    memcpy(theta, w.x, n * sizeof *theta);
    rep->objective = f;
    rep->pg_norm_inf = sml_optim_pseudo_gradient(obj, w.x, w.g, w.pg);
    free(block);
    return rc;
}

const sml_solver sml_solver_lbfgs = {"lbfgs", 0, 1, lbfgs_minimize};
