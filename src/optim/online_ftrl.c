/*
 * Online learner "ftrl": FTRL-Proximal (McMahan et al. 2013, "Ad click prediction", Algorithm 1) with
 * per-coordinate learning rates. State per coordinate: z_j and n_j = Σ g_j²; the weight is a closed form of them
 * and of m, the number of records learned (plus warm_records), so nothing is ever pending: a record costs
 * O(its non-zeros) and untouched coordinates need no catch-up. The paper's λ1, λ2 become m·l1, m·l2 (the penalty
 * of every record so far) and the L2-to-base term m·l2_to_base pulls toward θ_base:
 *     w_j = 0                                                          if |z_j − m·l2_to_base·b_j| <= m·l1_j
 *     w_j = −(z_j − m·l2_to_base·b_j − sgn·m·l1_j) / ((β + sqrt(n_j))/α + m·(l2_j + l2_to_base))   otherwise.
 */
#include "optim/online_int.h"

#include <stdlib.h>

typedef struct ftrl_coord {
    double z, nsq;
} ftrl_coord;

typedef struct ftrl_learner {
    sml_learner base;
    ftrl_coord *c;
    double m; /* records seen: warm_records + learned */
} ftrl_learner;

static double weight_of(const ftrl_learner *f, size_t j, double z, double nsq)
{
    const sml_online_opts *o = &f->base.o;
    sml_penalty_coef p = sml_penalty_of(&f->base, j);
    double m = f->m;
    double zz = z - m * p.pull;
    double l1 = m * p.l1;
    if (fabs(zz) <= l1)
        return 0.0;
    double den = (o->ftrl_beta + sqrt(nsq)) / o->ftrl_alpha + m * p.lam;
    return -(zz - copysign(l1, zz)) / den;
}

static int ftrl_init(sml_learner *l, sml_error *err)
{
    ftrl_learner *f = (ftrl_learner *)l;
    f->c = calloc(l->n, sizeof *f->c);
    if (!f->c)
        return sml_fail(err, SML_ENOMEM, "online learner ftrl: out of memory for %zu parameters", l->n);
    f->m = l->o.warm_records;
    /* z such that the first weights are exactly θ_init (n = 0): the optimality condition of the closed form */
    double sigma0 = l->o.ftrl_beta / l->o.ftrl_alpha;
    for (size_t j = 0; j < l->n; j++) {
        sml_penalty_coef p = sml_penalty_of(l, j);
        double w0 = l->init[j], m = f->m;
        double zz = w0 == 0 ? 0.0 : -(sigma0 + m * p.lam) * w0 - copysign(m * p.l1, w0);
        f->c[j].z = zz + m * p.pull;
    }
    return 0;
}

static void ftrl_release(sml_learner *l) { free(((ftrl_learner *)l)->c); }

static double ftrl_margin(const sml_learner *l, const uint32_t *idx, const double *val, size_t nnz)
{
    const ftrl_learner *f = (const ftrl_learner *)l;
    double z = 0;
    if (l->o.fit_intercept)
        z = weight_of(f, l->dim, f->c[l->dim].z, f->c[l->dim].nsq);
    for (size_t k = 0; k < nnz; k++)
        if (idx[k] < l->dim && val[k] != 0)
            z += weight_of(f, idx[k], f->c[idx[k]].z, f->c[idx[k]].nsq) * val[k];
    return z;
}

static void step(ftrl_learner *f, size_t j, double g)
{
    ftrl_coord *c = &f->c[j];
    if (g == 0)
        return;
    double w = weight_of(f, j, c->z, c->nsq);
    double nsq = c->nsq == 0 ? (f->base.o.warm_records + 1) * g * g : c->nsq + g * g;
    double sigma = (sqrt(nsq) - sqrt(c->nsq)) / f->base.o.ftrl_alpha;
    double z = c->z + g - sigma * w;
    if (isfinite(z) && isfinite(nsq)) {
        c->z = z;
        c->nsq = nsq;
    } else {
        f->base.numeric++;
    }
}

static void ftrl_update(sml_learner *l, const uint32_t *idx, const double *val, size_t nnz, double y, double weight,
                        double margin)
{
    ftrl_learner *f = (ftrl_learner *)l;
    double d1, d2;
    l->loss->eval(margin, y, &d1, &d2);
    double g = weight * d1;
    for (size_t k = 0; k < nnz; k++)
        if (val[k] != 0)
            step(f, idx[k], g * val[k]);
    if (l->o.fit_intercept)
        step(f, l->dim, g);
    f->m += 1;
}

static void ftrl_weights(const sml_learner *l, double *theta)
{
    const ftrl_learner *f = (const ftrl_learner *)l;
    for (size_t j = 0; j < l->n; j++)
        theta[j] = weight_of(f, j, f->c[j].z, f->c[j].nsq);
}

static int ftrl_encode(const sml_learner *l, sml_strbuf *sb)
{
    const ftrl_learner *f = (const ftrl_learner *)l;
    int rc = sml_put_f64(sb, f->m);
    for (size_t j = 0; j < l->n && !rc; j++)
        rc = sml_put_f64(sb, f->c[j].z) | sml_put_f64(sb, f->c[j].nsq);
    return rc;
}

static int ftrl_decode(sml_learner *l, sml_cursor *c)
{
    ftrl_learner *f = (ftrl_learner *)l;
    f->m = sml_get_f64(c);
    if (l->n > sml_cursor_left(c) / 16)
        c->failed = 1;
    for (size_t j = 0; j < l->n && !c->failed; j++) {
        f->c[j].z = sml_get_f64(c);
        f->c[j].nsq = sml_get_f64(c);
    }
    return c->failed ? SML_EFORMAT : 0;
}

const sml_learner_type sml_learner_ftrl = {"ftrl",       sizeof(ftrl_learner), 0,           ftrl_init,
                                           ftrl_release, ftrl_margin,          ftrl_update, NULL, NULL,
                                           ftrl_weights, ftrl_encode,          ftrl_decode};
