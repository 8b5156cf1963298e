/*
 * Internal: per-example losses of the linear models, as functions of the linear score z = w·x + b and the label y.
 *
 * A loss is a small constant table of function pointers; a model is the linear score plus one of these (logistic
 * regression is the linear model with the log loss and the logistic link, not a second copy of it).
 * Squared loss:  ½(y − z)²,             d/dz = z − y,        d²/dz² = 1,               link: identity.
 * Log loss:      log(1 + exp(−y·z)),    d/dz = −y·σ(−y·z),   d²/dz² = σ(m)·σ(−m),      link: σ(z) = P(y = +1),
 *                with y ∈ {−1, +1} and the margin m = y·z.
 * Every function is pure and finite for every finite input (margins of ±1e308 included): no overflow, no NaN.
 */
#ifndef SML_MODELS_LOSS_H
#define SML_MODELS_LOSS_H

typedef enum sml_loss_kind { SML_LOSS_SQUARED = 0, SML_LOSS_LOGISTIC = 1 } sml_loss_kind;

typedef struct sml_loss {
    const char *name;   /* "squared", "logistic" */
    sml_loss_kind kind;
    int binary_labels;  /* 1: labels must be -1 or +1 */
    /* The loss of one example with score z and label y. */
    double (*value)(double z, double y);
    /* The loss, and its first and second derivatives with respect to z, in one call (the training inner loop). */
    double (*eval)(double z, double y, double *d1, double *d2);
    /* The inverse link: the prediction (mean of y, or P(y = +1)) for a score z. */
    double (*mean)(double z);
} sml_loss;

extern const sml_loss sml_loss_squared;
extern const sml_loss sml_loss_logistic;

/* The loss named "squared" or "logistic" (also "log"), or NULL. */
const sml_loss *sml_loss_find(const char *name);

/* log(1 + exp(x)) without overflow or loss of precision at either end. */
double sml_log1p_exp(double x);
/* 1 / (1 + exp(−x)), in [0, 1], without overflow. */
double sml_sigmoid(double x);

#endif
