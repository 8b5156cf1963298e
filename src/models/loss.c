/*
 * Losses of the linear models (see loss.h): the per-example pieces the batch objective (glm_objective.c) and the
 * online learners sum up. Everything here is pure arithmetic, safe for any finite score.
 */
#include "models/loss.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

double sml_log1p_exp(double x)
{
    /* For x > 0, log(1 + e^x) = x + log(1 + e^-x): e^-x cannot overflow. Past 37, log1p(e^-x) < 2^-53·x. */
    if (x > 0)
        return x > 37 ? x + exp(-x) : x + log1p(exp(-x));
    return log1p(exp(x)); /* exp underflows gracefully to 0 for very negative x */
}

double sml_sigmoid(double x)
{
    /* 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below: the same values, without a branch on the margin's sign (a coin
     * toss to the branch predictor when scoring a stream) */
    double e = exp(-fabs(x));
    uint64_t one, num, pick = 0 - (uint64_t)(x >= 0);
    double d1 = 1.0, r;
    memcpy(&one, &d1, 8);
    memcpy(&num, &e, 8);
    num = (one & pick) | (num & ~pick);
    memcpy(&r, &num, 8);
    return r / (1.0 + e);
}

/* ---------------------------------------------------------------- squared loss: ½(y − z)² */

static double squared_value(double z, double y)
{
    double r = y - z;
    return 0.5 * r * r;
}

static double squared_eval(double z, double y, double *d1, double *d2)
{
    double r = z - y;
    *d1 = r;
    *d2 = 1.0;
    return 0.5 * r * r;
}

static double identity(double z) { return z; }

const sml_loss sml_loss_squared = {"squared", SML_LOSS_SQUARED, 0, squared_value, squared_eval, identity};

/* ---------------------------------------------------------------- log loss: log(1 + exp(−y·z)), y = ±1 */

static double logistic_value(double z, double y) { return sml_log1p_exp(-y * z); }

static double logistic_eval(double z, double y, double *d1, double *d2)
{
    double m = y * z;
    /* One exp serves all three: with e = exp(−|m|) in (0, 1], σ(|m|) = 1/(1+e), σ(−|m|) = e/(1+e). */
    double e = exp(-fabs(m));
    double p_big = 1.0 / (1.0 + e), p_small = e * p_big;
    double value = m > 0 ? log1p(e) : -m + log1p(e);
    double s_neg = m > 0 ? p_small : p_big; /* σ(−m) */
    *d1 = -y * s_neg;
    *d2 = p_big * p_small;
    return value;
}

const sml_loss sml_loss_logistic = {"logistic", SML_LOSS_LOGISTIC, 1, logistic_value, logistic_eval, sml_sigmoid};

const sml_loss *sml_loss_find(const char *name)
{
    if (!name)
        return NULL;
    if (!strcmp(name, "squared"))
        return &sml_loss_squared;
    if (!strcmp(name, "logistic") || !strcmp(name, "log"))
        return &sml_loss_logistic;
    return NULL;
}
