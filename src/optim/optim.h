/*
 * Internal: the batch optimisers and the one objective interface they work against.
 *
 * An objective is  F(θ) = f(θ) + Σ_j l1[j]·|θ_j|  over θ ∈ R^dim, where f is smooth and convex and the objective
 * supplies f's value and gradient (and, optionally, Hessian-vector products). Optimisers never know what f is:
 * the linear and logistic models (models/glm_objective.h), a quadratic in a unit test, anything else.
 *
 * Solvers, one file each, behind sml_solver tables:
 *   lbfgs  L-BFGS with a strong-Wolfe line search; OWL-QN (orthant-wise, projected line search, exact zeros) when
 *          any l1[j] > 0. Needs only fun_grad.
 *   tron   trust-region Newton with preconditioned conjugate gradients (as in liblinear). Needs hess_vec; smooth
 *          objectives only (no l1). Usually the fastest on L2-regularised problems.
 * SML_SOLVER_AUTO picks tron when hess_vec is there and no l1 is set, else lbfgs.
 *
 * Convergence: the run stops converged when ||pg(θ)||_inf <= tol · max(1, ||pg(θ_0)||_inf), where pg is the gradient
 * of F (the minimum-norm subgradient, i.e. the OWL-QN pseudo-gradient, when l1 is set) and θ_0 the start.
 * Reaching max_iter, or finding that no step can decrease F any more in floating point, ends the run without
 * "converged" in the report: not an error. A NaN or infinity from the objective, at the start or along a
 * search that cannot back off to finite values, is SML_ENUMERIC, and θ is then left at the last finite iterate.
 * Nothing here keeps global state; solvers allocate their work space per call.
 */
#ifndef SML_OPTIM_H
#define SML_OPTIM_H

#include <stddef.h>

#include "streamml/error.h"

typedef struct sml_objective {
    size_t dim;
    void *ctx;
    /* f(θ); when grad is not NULL also ∇f(θ) into grad[dim]. A NaN or infinite return means "cannot evaluate". */
    double (*fun_grad)(void *ctx, const double *theta, double *grad);
    /* Optional: Hv = ∇²f(θ)·v at the θ of the most recent fun_grad call that asked for a gradient. */
    void (*hess_vec)(void *ctx, const double *v, double *hv);
    /* Optional: the diagonal of that Hessian (a preconditioner for tron). */
    void (*hess_diag)(void *ctx, double *diag);
    /* Optional: per-coordinate L1 weights l1[dim] (>= 0), or NULL for a smooth objective. */
    const double *l1;
} sml_objective;

typedef enum sml_solver_kind { SML_SOLVER_AUTO = 0, SML_SOLVER_LBFGS, SML_SOLVER_TRON } sml_solver_kind;

typedef struct sml_optim_options {
    sml_solver_kind solver;
    int max_iter;        /* outer iterations; default 1000 */
    double tol;          /* see the convergence rule above; default 1e-6 */
    int lbfgs_memory;    /* correction pairs kept by L-BFGS; default 10 */
    int max_linesearch;  /* function evaluations per line search; default 40 */
} sml_optim_options;

#define SML_OPTIM_OPTIONS_INIT {SML_SOLVER_AUTO, 1000, 1e-6, 10, 40}

typedef enum sml_optim_status {
    SML_OPTIM_CONVERGED = 0,  /* the tolerance was met */
    SML_OPTIM_MAX_ITER,       /* max_iter iterations without meeting it */
    SML_OPTIM_STALLED         /* no further decrease possible in floating point before meeting it */
} sml_optim_status;

typedef struct sml_optim_report {
    const char *solver;     /* "lbfgs", "owlqn", "tron" */
    sml_optim_status status;
    int converged;          /* status == SML_OPTIM_CONVERGED */
    int iterations;
    long fun_evals;         /* fun_grad calls */
    long hess_vecs;         /* hess_vec calls (tron's CG steps) */
    double objective;       /* F(θ) at the returned θ, l1 term included */
    double pg_norm_inf;     /* ||pg(θ)||_inf at the returned θ */
    double pg0_norm_inf;    /* ||pg(θ_0)||_inf at the start */
} sml_optim_report;

typedef struct sml_solver {
    const char *name;
    int needs_hessian;  /* requires hess_vec */
    int handles_l1;     /* accepts l1 weights */
    /* Minimises obj from the start point in theta[dim]; leaves the result in theta and fills rep (not NULL).
     * Returns 0 (converged or not: see rep), SML_EINVAL, SML_ENOMEM or SML_ENUMERIC. */
    int (*minimize)(const sml_objective *obj, double *theta, const sml_optim_options *opt, sml_optim_report *rep,
                    sml_error *err);
} sml_solver;

extern const sml_solver sml_solver_lbfgs;
extern const sml_solver sml_solver_tron;

/* The solver named "lbfgs" (also "owlqn") or "tron", or NULL. */
const sml_solver *sml_solver_find(const char *name);
/* The solver opt->solver names, or for SML_SOLVER_AUTO the default for this objective. */
const sml_solver *sml_solver_choose(const sml_objective *obj, const sml_optim_options *opt);

/* Minimises obj from theta with the chosen solver: validates obj and opt, then runs it (see sml_solver.minimize).
 * opt may be NULL for the defaults. */
int sml_minimize(const sml_objective *obj, double *theta, const sml_optim_options *opt, sml_optim_report *rep,
                 sml_error *err);

/* ---- shared by the solver files ---- */

/* Σ_j l1[j]·|θ_j| (0 when l1 is NULL). */
double sml_optim_l1_term(const sml_objective *obj, const double *theta);
/* The minimum-norm subgradient of F = f + Σ l1|θ| given ∇f in grad: the OWL-QN pseudo-gradient. Returns its
 * inf-norm. pg may equal grad only when l1 is NULL. */
double sml_optim_pseudo_gradient(const sml_objective *obj, const double *theta, const double *grad, double *pg);
/* 1 if every one of n values is finite. */
int sml_optim_all_finite(const double *v, size_t n);

#endif
