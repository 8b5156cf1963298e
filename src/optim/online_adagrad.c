/*
 * Online learner "adagrad": diagonal AdaGrad (Duchi, Hazan & Singer 2011, composite mirror descent with δ = 0):
 * G_j += g_j², θ_j −= η·g_j/sqrt(G_j), and the penalty applied as its exact flow over the coordinate's step
 * η/sqrt(G_j) every record (online.h). G_j only changes when the coordinate is touched, so the lazy state is the
 * count of learned records and, per coordinate, the count at which it was last brought up to date.
 */
#include "optim/online_int.h"

#include <stdlib.h>

typedef struct adagrad_coord {
    double w, last, g2; /* θ_j as of record count `last`, and Σ g_j² */
} adagrad_coord;

typedef struct adagrad_learner {
    sml_learner base;
    adagrad_coord *c;
    double S; /* learned records: every record gives coordinate j the penalty time η/sqrt(G_j) */
} adagrad_learner;

static double rate(const adagrad_learner *a, double g2)
{
    return g2 > 0 ? a->base.o.learning_rate / sqrt(g2) : 0.0; /* no penalty before the first gradient */
}

static double current(const adagrad_learner *a, size_t j)
{
    const adagrad_coord *c = &a->c[j];
    if (!a->base.penalized || c->g2 == 0)
        return c->w;
    return sml_penalty_flow(c->w, rate(a, c->g2) * (a->S - c->last), sml_penalty_of(&a->base, j));
}

static int adagrad_init(sml_learner *l, sml_error *err)
{
    adagrad_learner *a = (adagrad_learner *)l;
    a->c = calloc(l->n, sizeof *a->c);
    if (!a->c)
        return sml_fail(err, SML_ENOMEM, "online learner adagrad: out of memory for %zu parameters", l->n);
    for (size_t j = 0; j < l->n; j++)
        a->c[j].w = l->init[j];
    return 0;
}

static void adagrad_release(sml_learner *l) { free(((adagrad_learner *)l)->c); }

static double adagrad_margin(const sml_learner *l, const uint32_t *idx, const double *val, size_t nnz)
{
    const adagrad_learner *a = (const adagrad_learner *)l;
    double z = l->o.fit_intercept ? current(a, l->dim) : 0.0;
    for (size_t k = 0; k < nnz; k++)
        if (idx[k] < l->dim)
            z += current(a, idx[k]) * val[k];
    return z;
}

static void descend(adagrad_learner *a, size_t j, double g)
{
    adagrad_coord *c = &a->c[j];
    double u = current(a, j);
    c->last = a->S;
    c->w = u;
    if (g == 0)
        return;
    /* a warm start counts a coordinate's first squared gradient warm_records + 1 times */
    double g2 = c->g2 == 0 ? (a->base.o.warm_records + 1) * g * g : c->g2 + g * g;
    double v = u - a->base.o.learning_rate * g / sqrt(g2);
    if (isfinite(v) && isfinite(g2) && g2 > 0) {
        c->w = v;
        c->g2 = g2;
    } else {
        a->base.numeric++;
    }
}

static void adagrad_update(sml_learner *l, const uint32_t *idx, const double *val, size_t nnz, double y,
                           double weight, double margin)
{
    adagrad_learner *a = (adagrad_learner *)l;
    double d1, d2;
    l->loss->eval(margin, y, &d1, &d2);
    double g = weight * d1;
    for (size_t k = 0; k < nnz; k++)
        descend(a, idx[k], g * val[k]);
    if (l->o.fit_intercept)
        descend(a, l->dim, g);
    a->S += 1;
}

static void adagrad_weights(const sml_learner *l, double *theta)
{
    for (size_t j = 0; j < l->n; j++)
        theta[j] = current((const adagrad_learner *)l, j);
}

static int adagrad_encode(const sml_learner *l, sml_strbuf *sb)
{
    const adagrad_learner *a = (const adagrad_learner *)l;
    int rc = sml_put_f64(sb, a->S);
    for (size_t j = 0; j < l->n && !rc; j++)
        rc = sml_put_f64(sb, a->c[j].w) | sml_put_f64(sb, a->c[j].last) | sml_put_f64(sb, a->c[j].g2);
    return rc;
}

static int adagrad_decode(sml_learner *l, sml_cursor *c)
{
    adagrad_learner *a = (adagrad_learner *)l;
    a->S = sml_get_f64(c);
    if (l->n > sml_cursor_left(c) / 24)
        c->failed = 1;
    for (size_t j = 0; j < l->n && !c->failed; j++) {
        a->c[j].w = sml_get_f64(c);
        a->c[j].last = sml_get_f64(c);
        a->c[j].g2 = sml_get_f64(c);
    }
    return c->failed ? SML_EFORMAT : 0;
}

const sml_learner_type sml_learner_adagrad = {
    "adagrad",      sizeof(adagrad_learner), 0, adagrad_init, adagrad_release, adagrad_margin, adagrad_update, NULL, NULL,
    adagrad_weights, adagrad_encode,         adagrad_decode};
