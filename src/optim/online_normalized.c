/*
 * Online learner "normalized" (the default): NAG, the normalized adaptive gradient of Ross, Mineiro & Langford 2013
 * ("Normalized online learning", Algorithm 2), which is Vowpal Wabbit's adaptive + normalized update. Per record:
 *   for each feature with |x_j| > s_j: θ_j ← θ_init_j + (θ_j − θ_init_j)·s_j/|x_j| (if s_j > 0), s_j ← |x_j|;
 *   ŷ = θ·x;  t += weight;  N += weight·Σ_j x_j²/s_j²;  r = η·sqrt(t/N);
 *   g_j = weight·ℓ'(ŷ)·x_j;  G_j += g_j²;  θ_j −= r·g_j·d_j  with d_j = 1/(s_j^(2−2p)·G_j^p), p = power_t (0.5).
 * The intercept is a feature of constant value 1. Penalties flow for time r·d_j per record (online.h), lazily: the
 * global clock is S = Σ r and d_j is fixed while coordinate j is not touched.
 */
#include "optim/online_int.h"

#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct nag_coord {
    double w;     /* θ_j as of clock `last` */
    double last;
    double g2;    /* G_j = Σ g_j² */
    double scale; /* s_j = max |x_j| seen */
    double d;     /* rate(g2, scale), cached: fixed while the coordinate is not touched */
} nag_coord;

typedef struct nag_learner {
    sml_learner base;
    nag_coord *c;
    double t, N; /* weighted record count and Σ weight·Σ x²/s² */
    double S;    /* Σ r: the penalty clock */
    int plain;   /* power_t = 0.5 and the penalty is l2 alone (the defaults): the inlined paths below apply */
} nag_learner;

static double rate(const nag_learner *a, double g2, double scale)
{
    if (!(g2 > 0))
        return 0.0; /* no penalty before the coordinate's first gradient */
    double p = a->base.o.power_t;
    if (p == 0.5)
        return 1.0 / (scale * sqrt(g2));
    return 1.0 / (pow(scale, 2 - 2 * p) * pow(g2, p));
}

static double current(const nag_learner *a, size_t j)
{
    const nag_coord *c = &a->c[j];
    if (!a->base.penalized || c->g2 == 0)
        return c->w;
    return sml_penalty_flow(c->w, c->d * (a->S - c->last), sml_penalty_of(&a->base, j));
}

/* θ_j as the paper's step (b) leaves it for a row value x: a new scale maximum shrinks what was learned online */
static double rescaled(const nag_learner *a, size_t j, double u, double ax)
{
    double s = a->c[j].scale;
    if (ax > s && s > 0)
        u = a->base.init[j] + (u - a->base.init[j]) * (s / ax);
    return u;
}

static int nag_init(sml_learner *l, sml_error *err)
{
    nag_learner *a = (nag_learner *)l;
    a->c = calloc(l->n, sizeof *a->c);
    if (!a->c)
        return sml_fail(err, SML_ENOMEM, "online learner normalized: out of memory for %zu parameters", l->n);
    /* calloc's pages are zero until touched: write only non-zero starting weights, so a large hashing block costs
     * memory only where records land */
    for (size_t j = 0; j < l->n && !l->init_zero; j++)
        if (l->init[j] != 0 || signbit(l->init[j]))
            a->c[j].w = l->init[j];
    a->plain = l->o.power_t == 0.5 && l->o.l1 == 0 && l->o.l2_to_base == 0;
    return 0;
}

static void nag_release(sml_learner *l) { free(((nag_learner *)l)->c); }

static double nag_margin(const sml_learner *l, const uint32_t *idx, const double *val, size_t nnz)
{
    const nag_learner *a = (const nag_learner *)l;
    double z = l->o.fit_intercept ? current(a, l->dim) : 0.0;
    for (size_t k = 0; k < nnz; k++) {
        size_t j = idx[k];
        if (j >= l->dim || val[k] == 0)
            continue;
        z += rescaled(a, j, current(a, j), fabs(val[k])) * val[k];
    }
    return z;
}

static void descend(nag_learner *a, size_t j, double g, double r)
{
    nag_coord *c = &a->c[j];
    if (g == 0)
        return;
    double g2 = c->g2 == 0 ? (a->base.o.warm_records + 1) * g * g : c->g2 + g * g;
    double d = rate(a, g2, c->scale), v = c->w - r * g * d;
    if (isfinite(v) && isfinite(g2) && g2 > 0) {
        c->w = v;
        c->g2 = g2;
        c->d = d;
    } else {
        a->base.numeric++;
    }
}

/* ---- the plain case, inlined: the same operations in the same order as current/rescaled/rate/descend with
 * power_t = 0.5 and sml_penalty_flow's l2-only branch (l1 = 0, pull = 0), so the results are bit-identical */

static inline double plain_current(const nag_coord *c, double S, double lam, int penalized)
{
    if (!penalized || c->g2 == 0)
        return c->w;
    double tau = c->d * (S - c->last);
    if (!(tau > 0))
        return c->w;
    return c->w * sml_exp_neg(lam * tau);
}

static inline double plain_rate(double g2, double scale)
{
    return g2 > 0 ? 1.0 / (scale * sqrt(g2)) : 0.0;
}

/* returns 1 when the coordinate could not move (a non-finite result) */
static inline int plain_descend(nag_coord *c, double g, double r, double warm1)
{
    if (g == 0)
        return 0;
    double g2 = c->g2 == 0 ? warm1 * g * g : c->g2 + g * g;
    if (!(isfinite(g2) && g2 > 0))
        return 1;
    double d = 1.0 / (c->scale * sqrt(g2)), v = c->w - r * g * d;
    if (!isfinite(v))
        return 1;
    c->w = v;
    c->g2 = g2;
    c->d = d;
    return 0;
}

#ifdef __SSE2__
/* Two distinct coordinates at once: the same IEEE operations, lane by lane, as the scalar code above (so the same
 * bits), at half the cost of the divisions and square roots that bound this loop. Only the common case: both
 * coordinates penalised, with gradients, inside their scale, decaying along the polynomial branch of
 * sml_exp_neg; otherwise they return 0 having changed nothing, and the caller takes the scalar path. */
static inline __m128d pair_of(double lane0, double lane1) { return _mm_set_pd(lane1, lane0); }

static inline int pair_prepare(nag_coord *c0, nag_coord *c1, const double *x, double S, double lam, double *m,
                               double *norm)
{
    double ax0 = fabs(x[0]), ax1 = fabs(x[1]);
    if (c0->g2 == 0 || c1->g2 == 0 || !(ax0 > 0 && ax0 <= c0->scale) || !(ax1 > 0 && ax1 <= c1->scale))
        return 0;
    __m128d tau = _mm_mul_pd(pair_of(c0->d, c1->d), _mm_sub_pd(_mm_set1_pd(S), pair_of(c0->last, c1->last)));
    __m128d e = _mm_mul_pd(_mm_set1_pd(lam), tau);
    if (_mm_movemask_pd(_mm_and_pd(_mm_cmpgt_pd(tau, _mm_setzero_pd()), _mm_cmplt_pd(e, _mm_set1_pd(0x1p-10)))) != 3)
        return 0;
    /* sml_exp_neg's polynomial, innermost first */
    __m128d t = _mm_mul_pd(e, _mm_set1_pd(-1.0 / 120));
    t = _mm_mul_pd(e, _mm_add_pd(_mm_set1_pd(1.0 / 24), t));
    t = _mm_mul_pd(e, _mm_add_pd(_mm_set1_pd(-1.0 / 6), t));
    t = _mm_mul_pd(e, _mm_add_pd(_mm_set1_pd(0.5), t));
    t = _mm_mul_pd(e, _mm_add_pd(_mm_set1_pd(-1.0), t));
    t = _mm_add_pd(_mm_set1_pd(1.0), t);
    __m128d xv = _mm_loadu_pd(x);
    __m128d u = _mm_mul_pd(pair_of(c0->w, c1->w), t);
    __m128d ux = _mm_mul_pd(u, xv);
    __m128d q = _mm_div_pd(xv, pair_of(c0->scale, c1->scale));
    __m128d qq = _mm_mul_pd(q, q);
    _mm_storel_pd(&c0->w, u);
    _mm_storeh_pd(&c1->w, u);
    c0->last = S;
    c1->last = S;
    *m += _mm_cvtsd_f64(ux);
    *m += _mm_cvtsd_f64(_mm_unpackhi_pd(ux, ux));
    *norm += _mm_cvtsd_f64(qq);
    *norm += _mm_cvtsd_f64(_mm_unpackhi_pd(qq, qq));
    return 1;
}

static inline int pair_descend(nag_coord *c0, nag_coord *c1, double g, const double *x, double r)
{
    if (c0->g2 == 0 || c1->g2 == 0)
        return 0;
    __m128d gv = _mm_mul_pd(_mm_set1_pd(g), _mm_loadu_pd(x));
    __m128d g2 = _mm_add_pd(pair_of(c0->g2, c1->g2), _mm_mul_pd(gv, gv));
    double g2_0 = _mm_cvtsd_f64(g2), g2_1 = _mm_cvtsd_f64(_mm_unpackhi_pd(g2, g2));
    double gk0 = _mm_cvtsd_f64(gv), gk1 = _mm_cvtsd_f64(_mm_unpackhi_pd(gv, gv));
    if (gk0 == 0 || gk1 == 0 || !(isfinite(g2_0) && g2_0 > 0) || !(isfinite(g2_1) && g2_1 > 0))
        return 0;
    __m128d d = _mm_div_pd(_mm_set1_pd(1.0), _mm_mul_pd(pair_of(c0->scale, c1->scale), _mm_sqrt_pd(g2)));
    __m128d v = _mm_sub_pd(pair_of(c0->w, c1->w), _mm_mul_pd(_mm_mul_pd(_mm_set1_pd(r), gv), d));
    double v0 = _mm_cvtsd_f64(v), v1 = _mm_cvtsd_f64(_mm_unpackhi_pd(v, v));
    if (!isfinite(v0) || !isfinite(v1))
        return 0;
    c0->w = v0;
    c1->w = v1;
    c0->g2 = g2_0;
    c1->g2 = g2_1;
    _mm_storel_pd(&c0->d, d);
    _mm_storeh_pd(&c1->d, d);
    return 1;
}
#endif

/* (b): bring the row's coordinates up to date, rescale on new maxima; returns Σ x²/s² and (in *z) the margin the
 * paper predicts with, computed in the same order as nag_margin. */
static double nag_prepare(nag_learner *a, const uint32_t *idx, const double *val, size_t nnz, double *z)
{
    const sml_learner *l = &a->base;
    double norm = 0, m = 0;
    if (a->plain) {
        /* sml_penalty_of's lam of a feature and of the intercept */
        const double S = a->S, lam = l->o.l2 + l->o.l2_to_base, lam0 = 0.0 + l->o.l2_to_base;
        const double *init = l->init;
        const int pen = l->penalized;
        nag_coord *const cs = a->c;
        if (l->o.fit_intercept)
            m = plain_current(&cs[l->dim], S, lam0, pen);
        for (size_t k = 0; k < nnz; k++) {
#ifdef __SSE2__
            if (k + 1 < nnz && pen && idx[k] != idx[k + 1] &&
                pair_prepare(&cs[idx[k]], &cs[idx[k + 1]], val + k, S, lam, &m, &norm)) {
                k++;
                continue;
            }
#endif
            size_t j = idx[k];
            nag_coord *c = &cs[j];
            double x = val[k], ax = fabs(x), s = c->scale;
            double u = plain_current(c, S, lam, pen);
            if (ax > s && s > 0)
                u = init[j] + (u - init[j]) * (s / ax);
            c->w = u;
            c->last = S;
            if (ax == 0)
                continue;
            m += u * x;
            if (ax > s) {
                c->scale = s = ax;
                c->d = plain_rate(c->g2, ax);
            }
            double q = x / s;
            norm += q * q;
        }
        if (l->o.fit_intercept) {
            nag_coord *c = &cs[l->dim];
            c->w = plain_current(c, S, lam0, pen);
            c->last = S;
            if (c->scale != 1) {
                c->scale = 1;
                c->d = plain_rate(c->g2, 1);
            }
            norm += 1;
        }
        *z = m;
        return norm;
    }
    if (l->o.fit_intercept)
        m = current(a, l->dim);
    for (size_t k = 0; k < nnz; k++) {
        nag_coord *c = &a->c[idx[k]];
        double ax = fabs(val[k]);
        c->w = rescaled(a, idx[k], current(a, idx[k]), ax);
        c->last = a->S;
        if (ax == 0)
            continue; /* an explicit zero only brings the coordinate up to date */
        m += c->w * val[k];
        if (ax > c->scale) {
            c->scale = ax;
            c->d = rate(a, c->g2, ax);
        }
        double q = val[k] / c->scale;
        norm += q * q;
    }
    if (l->o.fit_intercept) {
        nag_coord *c = &a->c[l->dim];
        c->w = current(a, l->dim);
        c->last = a->S;
        if (c->scale != 1) {
            c->scale = 1;
            c->d = rate(a, c->g2, 1);
        }
        norm += 1;
    }
    *z = m;
    return norm;
}

/* ℓ'(margin): the loss's own eval, except that the logistic derivative is taken alone (eval's loss value costs a
 * log1p the step does not need); the same expression as logistic_eval's d1 (models/loss.c) */
static inline double loss_d1(const sml_loss *loss, double margin, double y)
{
    double d1, d2;
    if (loss->kind == SML_LOSS_SQUARED)
        return margin - y;
    if (loss->kind == SML_LOSS_LOGISTIC) {
        double mm = y * margin;
        double e = exp(-fabs(mm));
        double p_big = 1.0 / (1.0 + e), p_small = e * p_big;
        /* the margin's sign is a coin toss to the branch predictor: select without a branch */
        uint64_t small, big, pick = 0 - (uint64_t)(mm > 0);
        memcpy(&small, &p_small, 8);
        memcpy(&big, &p_big, 8);
        small = (small & pick) | (big & ~pick);
        double s_neg;
        memcpy(&s_neg, &small, 8);
        return -y * s_neg;
    }
    loss->eval(margin, y, &d1, &d2);
    return d1;
}

/* (d), (e): the step for a row whose margin is known */
static void nag_step(nag_learner *a, const uint32_t *idx, const double *val, size_t nnz, double y, double weight,
                     double margin, double norm)
{
    sml_learner *l = &a->base;
    /* (d): a warm start counts the first record warm_records + 1 times in t and N */
    double times = l->learned == 0 ? l->o.warm_records + 1 : 1;
    a->t += times * weight;
    a->N += times * weight * norm;
    double r = a->N > 0 ? l->o.learning_rate * sqrt(a->t / a->N) : 0.0;
    double g = weight * loss_d1(l->loss, margin, y);
    if (a->plain) {
        const double warm1 = l->o.warm_records + 1;
        nag_coord *const cs = a->c;
        uint64_t bad = 0;
        for (size_t k = 0; k < nnz; k++) {
#ifdef __SSE2__
            if (k + 1 < nnz && val[k] != 0 && val[k + 1] != 0 && idx[k] != idx[k + 1] &&
                pair_descend(&cs[idx[k]], &cs[idx[k + 1]], g, val + k, r)) {
                k++;
                continue;
            }
#endif
            if (val[k] != 0)
                bad += (uint64_t)plain_descend(&cs[idx[k]], g * val[k], r, warm1);
        }
        if (l->o.fit_intercept)
            bad += (uint64_t)plain_descend(&cs[l->dim], g, r, warm1);
        l->numeric += bad;
        a->S += r;
        return;
    }
    for (size_t k = 0; k < nnz; k++)
        if (val[k] != 0)
            descend(a, idx[k], g * val[k], r);
    if (l->o.fit_intercept)
        descend(a, l->dim, g, r);
    a->S += r;
}

static void nag_update(sml_learner *l, const uint32_t *idx, const double *val, size_t nnz, double y, double weight,
                       double margin)
{
    nag_learner *a = (nag_learner *)l;
    double z;
    double norm = nag_prepare(a, idx, val, nnz, &z);
    nag_step(a, idx, val, nnz, y, weight, margin, norm);
}

static double nag_score_learn(sml_learner *l, const uint32_t *idx, const double *val, size_t nnz, double y,
                              double weight)
{
    nag_learner *a = (nag_learner *)l;
    double z;
    double norm = nag_prepare(a, idx, val, nnz, &z);
    if (isfinite(z))
        nag_step(a, idx, val, nnz, y, weight, z, norm);
    return z;
}

static void nag_weights(const sml_learner *l, double *theta)
{
    for (size_t j = 0; j < l->n; j++)
        theta[j] = current((const nag_learner *)l, j);
}

static int nag_encode(const sml_learner *l, sml_strbuf *sb)
{
    const nag_learner *a = (const nag_learner *)l;
    int rc = sml_put_f64(sb, a->t) | sml_put_f64(sb, a->N) | sml_put_f64(sb, a->S);
    for (size_t j = 0; j < l->n && !rc; j++)
        rc = sml_put_f64(sb, a->c[j].w) | sml_put_f64(sb, a->c[j].last) | sml_put_f64(sb, a->c[j].g2) |
             sml_put_f64(sb, a->c[j].scale);
    return rc;
}

static int nag_decode(sml_learner *l, sml_cursor *c)
{
    nag_learner *a = (nag_learner *)l;
    a->t = sml_get_f64(c);
    a->N = sml_get_f64(c);
    a->S = sml_get_f64(c);
    if (l->n > sml_cursor_left(c) / 32)
        c->failed = 1;
    for (size_t j = 0; j < l->n && !c->failed; j++) {
        a->c[j].w = sml_get_f64(c);
        a->c[j].last = sml_get_f64(c);
        a->c[j].g2 = sml_get_f64(c);
        a->c[j].scale = sml_get_f64(c);
        a->c[j].d = rate(a, a->c[j].g2, a->c[j].scale);
    }
    return c->failed ? SML_EFORMAT : 0;
}

const sml_learner_type sml_learner_normalized = {"normalized", sizeof(nag_learner), 0,          nag_init,
                                                 nag_release,  nag_margin,          nag_update, NULL,
                                                 nag_score_learn, nag_weights,      nag_encode, nag_decode};
