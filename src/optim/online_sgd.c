/*
 * Online learner "sgd": plain stochastic gradient descent with step η_k = learning_rate / (k + initial_t)^power_t
 * and the penalties applied lazily as their exact gradient flow over the step (online.h). Every coordinate gets
 * penalty time η_k each record, touched or not, so the lazy state is one global sum S = Σ η and, per coordinate,
 * the S at which it was last brought up to date.
 */
#include "optim/online_int.h"

#include <stdlib.h>

typedef struct sgd_coord {
    double w;    /* θ_j as of S = last */
    double last; /* S when θ_j was last brought up to date */
} sgd_coord;

typedef struct sgd_learner {
    sml_learner base;
    sgd_coord *c;
    double steps; /* k of the last learned record (starts at warm_records) */
    double S;     /* Σ η over learned records: the penalty clock */
} sgd_learner;

static double current(const sgd_learner *s, size_t j)
{
    const sgd_coord *c = &s->c[j];
    if (!s->base.penalized)
        return c->w;
    return sml_penalty_flow(c->w, s->S - c->last, sml_penalty_of(&s->base, j));
}

static double step_size(const sgd_learner *s)
{
    const sml_online_opts *o = &s->base.o;
    double k = s->steps + 1 + o->initial_t;
    if (o->power_t == 0)
        return o->learning_rate;
    if (o->power_t == 0.5)
        return o->learning_rate / sqrt(k);
    if (o->power_t == 1)
        return o->learning_rate / k;
    return o->learning_rate * pow(k, -o->power_t);
}

static int sgd_init(sml_learner *l, sml_error *err)
{
    sgd_learner *s = (sgd_learner *)l;
    s->c = calloc(l->n, sizeof *s->c);
    if (!s->c)
        return sml_fail(err, SML_ENOMEM, "online learner sgd: out of memory for %zu parameters", l->n);
    for (size_t j = 0; j < l->n; j++)
        s->c[j].w = l->init[j];
    s->steps = l->o.warm_records;
    return 0;
}

static void sgd_release(sml_learner *l) { free(((sgd_learner *)l)->c); }

static double sgd_margin(const sml_learner *l, const uint32_t *idx, const double *val, size_t nnz)
{
    const sgd_learner *s = (const sgd_learner *)l;
    double z = l->o.fit_intercept ? current(s, l->dim) : 0.0;
    for (size_t k = 0; k < nnz; k++)
        if (idx[k] < l->dim)
            z += current(s, idx[k]) * val[k];
    return z;
}

/* θ_j ← θ_j − step·g·x_j on a coordinate brought up to date; a non-finite result keeps the old value. */
static void descend(sgd_learner *s, size_t j, double delta)
{
    sgd_coord *c = &s->c[j];
    double u = current(s, j);
    double v = u - delta;
    c->last = s->S;
    if (isfinite(v)) {
        c->w = v;
    } else {
        c->w = u;
        s->base.numeric++;
    }
}

static void sgd_update(sml_learner *l, const uint32_t *idx, const double *val, size_t nnz, double y, double weight,
                       double margin)
{
    sgd_learner *s = (sgd_learner *)l;
    double d1, d2;
    l->loss->eval(margin, y, &d1, &d2);
    double eta = step_size(s), g = weight * d1;
    for (size_t k = 0; k < nnz; k++)
        descend(s, idx[k], eta * g * val[k]);
    if (l->o.fit_intercept)
        descend(s, l->dim, eta * g);
    s->steps += 1;
    s->S += eta; /* this record's penalty time, applied at the next catch-up */
}

static void sgd_weights(const sml_learner *l, double *theta)
{
    for (size_t j = 0; j < l->n; j++)
        theta[j] = current((const sgd_learner *)l, j);
}

static int sgd_encode(const sml_learner *l, sml_strbuf *sb)
{
    const sgd_learner *s = (const sgd_learner *)l;
    int rc = sml_put_f64(sb, s->steps) | sml_put_f64(sb, s->S);
    for (size_t j = 0; j < l->n && !rc; j++)
        rc = sml_put_f64(sb, s->c[j].w) | sml_put_f64(sb, s->c[j].last);
    return rc;
}

static int sgd_decode(sml_learner *l, sml_cursor *c)
{
    sgd_learner *s = (sgd_learner *)l;
    s->steps = sml_get_f64(c);
    s->S = sml_get_f64(c);
    if (l->n > sml_cursor_left(c) / 16)
        c->failed = 1;
    for (size_t j = 0; j < l->n && !c->failed; j++) {
        s->c[j].w = sml_get_f64(c);
        s->c[j].last = sml_get_f64(c);
    }
    return c->failed ? SML_EFORMAT : 0;
}

const sml_learner_type sml_learner_sgd = {"sgd",       sizeof(sgd_learner), 0,           sgd_init,
                                          sgd_release, sgd_margin,          sgd_update,  NULL, NULL,
                                          sgd_weights, sgd_encode,          sgd_decode};
