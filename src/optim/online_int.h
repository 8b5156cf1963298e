/*
 * Internal to the online learners (src/optim/online*.c): the common learner header, the table of functions each
 * learner file provides, and the closed-form penalty flow the lazy learners share. See online.h for the maths.
 */
#ifndef SML_OPTIM_ONLINE_INT_H
#define SML_OPTIM_ONLINE_INT_H

#include <math.h>

#include "optim/online.h"

typedef struct sml_learner_type {
    const char *name;
    size_t size;     /* bytes of the learner's struct, which starts with an sml_learner */
    int per_batch;
    /* Allocates and initialises the learner's own state (common fields are set). 0 or SML_E*. */
    int (*init)(sml_learner *l, sml_error *err);
    void (*release)(sml_learner *l);
    double (*margin)(const sml_learner *l, const uint32_t *idx, const double *val, size_t nnz);
    /* Called with validated input (finite, weight > 0, indices < dim). */
    void (*update)(sml_learner *l, const uint32_t *idx, const double *val, size_t nnz, double y, double weight,
                   double margin);
    int (*update_batch)(sml_learner *l, const sml_examples *ex, const uint8_t *use, sml_error *err);
    /* Optional: margin and update of one validated row in one pass (bit-identical to margin then update). */
    double (*score_learn)(sml_learner *l, const uint32_t *idx, const double *val, size_t nnz, double y,
                          double weight);
    void (*weights)(const sml_learner *l, double *theta);
    int (*encode)(const sml_learner *l, sml_strbuf *sb);
    int (*decode)(sml_learner *l, sml_cursor *c); /* 0, or sets c->failed */
} sml_learner_type;

struct sml_learner {
    const sml_learner_type *type;
    sml_online_opts o;      /* a copy; o.base and o.init point to base and init below */
    const sml_loss *loss;
    size_t dim, n;          /* n = dim + fit_intercept */
    double *base, *init;    /* n each, own copies (zeros when not given; init = base when not given) */
    int penalized;          /* l2, l1 or l2_to_base > 0 */
    int init_zero;          /* neither init nor base was given: init is calloc's zeros (its pages untouched) */
    uint64_t learned, refused, numeric;
};

extern const sml_learner_type sml_learner_sgd, sml_learner_adagrad, sml_learner_normalized, sml_learner_ftrl,
    sml_learner_rls, sml_learner_spark;

/* ---- the penalty of coordinate j, and its exact gradient flow */

typedef struct sml_penalty_coef {
    double lam;  /* l2_j + l2_to_base */
    double l1;   /* l1_j */
    double pull; /* l2_to_base · base_j */
} sml_penalty_coef;

static inline sml_penalty_coef sml_penalty_of(const sml_learner *l, size_t j)
{
    sml_penalty_coef p;
    int feature = j < l->dim;
    p.lam = (feature ? l->o.l2 : 0.0) + l->o.l2_to_base;
    p.l1 = feature ? l->o.l1 : 0.0;
    p.pull = l->o.l2_to_base * l->base[j];
    return p;
}

/* θ after flowing for time tau >= 0 along dθ/dτ = −lam·θ + pull − l1·sign(θ) (Filippov solution: θ stays at 0
 * while |pull| <= l1). Within a sign the flow is θ(τ) = c + (θ − c)·e^(−lam·τ) with c = (pull ∓ l1)/lam; a path
 * that reaches 0 continues from 0 with the time left. */
/* e^(−x) for x >= 0. Records touch coordinates often, so x = lam·tau is usually tiny: there a degree-5 Taylor
 * polynomial (truncation error below x^6/720 < 2e-21 for x < 2^-10, far under one ulp) saves a libm call. */
static inline double sml_exp_neg(double x)
{
    if (x < 0x1p-10)
        return 1.0 + x * (-1.0 + x * (0.5 + x * (-1.0 / 6 + x * (1.0 / 24 + x * (-1.0 / 120)))));
    return exp(-x);
}

static inline double sml_penalty_flow(double u, double tau, sml_penalty_coef p)
{
    if (!(tau > 0))
        return u;
    if (p.l1 == 0 && p.pull == 0) /* plain l2 (the common case): a decay, no divisions */
        return u * sml_exp_neg(p.lam * tau);
    if (p.lam > 0) {
        /* the path is monotone within a sign, so it reached 0 iff the formula says it crossed; only then is the
         * crossing time (a log1p) needed */
        if (u > 0) {
            double c = (p.pull - p.l1) / p.lam;
            double v = c + (u - c) * sml_exp_neg(p.lam * tau);
            if (c >= 0 || v > 0)
                return v;
            tau = fmax(tau - log1p(u / -c) / p.lam, 0.0);
            u = 0;
        } else if (u < 0) {
            double c = (p.pull + p.l1) / p.lam;
            double v = c + (u - c) * sml_exp_neg(p.lam * tau);
            if (c <= 0 || v < 0)
                return v;
            tau = fmax(tau - log1p(-u / c) / p.lam, 0.0);
            u = 0;
        }
        /* at 0: leave it only when the pull toward the base beats l1 */
        if (p.pull > p.l1)
            return -((p.pull - p.l1) / p.lam) * expm1(-p.lam * tau);
        if (p.pull < -p.l1)
            return -((p.pull + p.l1) / p.lam) * expm1(-p.lam * tau);
        return 0.0;
    }
    /* lam == 0 implies pull == 0: l1 alone moves |θ| toward 0 at rate l1 */
    if (p.l1 > 0) {
        double m = fabs(u) - p.l1 * tau;
        return m > 0 ? copysign(m, u) : 0.0;
    }
    return u;
}

/* Encoding helpers for arrays of doubles (bit patterns, so decode is bit-identical). */
int sml_online_put_f64s(sml_strbuf *sb, const double *v, size_t n);
void sml_online_get_f64s(sml_cursor *c, double *v, size_t n);

#endif
