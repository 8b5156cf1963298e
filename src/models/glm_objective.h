/*
 * Internal: the batch training objective of the linear models (DESIGN.md, Conventions → Objective):
 *
 *   F(θ) = (1/W)·Σ wᵢ·loss(zᵢ, yᵢ) + (l2/2)·||w||² + l1·||w||₁ + (l2_to_base/2)·||θ − θ_base||²
 *
 * with θ = (w_0 … w_{d−1}, b), zᵢ = w·xᵢ + b, W = Σ wᵢ. The intercept b exists only with fit_intercept (then it is
 * θ[d], the last parameter); l2 and l1 never touch it, l2_to_base does.
 *
 * The objective offers the pieces an optimiser (optim/optim.h) asks for, with the signatures of sml_objective's
 * members, so a caller wires it up as
 *     sml_objective o = {sml_glm_dim(g), g, sml_glm_fun_grad, sml_glm_hess_vec, sml_glm_hess_diag, sml_glm_l1(g)};
 * (models come before optim in the data flow, so this header does not include optim.h.)
 * It reads the dataset in place (borrowed: it must outlive the objective) and keeps per-row work arrays, so one
 * objective serves one optimiser at a time: not thread-safe.
 */
#ifndef SML_MODELS_GLM_OBJECTIVE_H
#define SML_MODELS_GLM_OBJECTIVE_H

#include <stddef.h>

#include "models/dataset.h"
#include "models/loss.h"
#include "streamml/error.h"

typedef struct sml_glm_penalty {
    double l2;            /* on w */
    double l1;            /* on w */
    double l2_to_base;    /* on all of θ, toward base */
    const double *base;   /* θ_base[dim] (copied), or NULL for zeros */
} sml_glm_penalty;

typedef struct sml_glm_objective sml_glm_objective;

/* Builds the objective. Checks that every value, label and weight is finite, weights are >= 0 with a positive sum,
 * labels are −1/+1 for a binary loss, and the penalties are finite and >= 0.
 * Returns 0 and *out, or SML_EINVAL (bad penalty or labels), SML_ENUMERIC (NaN/Inf in the data or base),
 * SML_ENOMEM. */
int sml_glm_objective_new(const sml_dataset *ds, const sml_loss *loss, const sml_glm_penalty *pen, int fit_intercept,
                          sml_glm_objective **out, sml_error *err);
void sml_glm_objective_free(sml_glm_objective *g);

/* Number of parameters: d, plus 1 with an intercept. */
size_t sml_glm_dim(const sml_glm_objective *g);
/* Per-parameter L1 weights (l1 for w, 0 for the intercept), or NULL when l1 is 0. Owned by g. */
const double *sml_glm_l1(const sml_glm_objective *g);

/* The smooth part (everything but the l1 term) at theta, and its gradient into grad when not NULL. One pass over the
 * data; with a gradient it also caches the per-row curvature for sml_glm_hess_vec/_diag. ctx is the objective. */
double sml_glm_fun_grad(void *ctx, const double *theta, double *grad);
/* Hv for the smooth part, at the θ of the last sml_glm_fun_grad call with a gradient. */
void sml_glm_hess_vec(void *ctx, const double *v, double *hv);
/* The diagonal of that Hessian. */
void sml_glm_hess_diag(void *ctx, double *diag);
/* The full objective F(θ), the l1 term included. */
double sml_glm_value(sml_glm_objective *g, const double *theta);

#endif
