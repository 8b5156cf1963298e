/*
 * The optimiser front door (optim.h): picks a solver for an objective, checks the objective and options, and holds
 * the few helpers every solver shares (the L1 term and the OWL-QN pseudo-gradient).
 */
#include "optim/optim.h"

#include <math.h>
#include <string.h>

static const sml_solver *const solvers[] = {&sml_solver_lbfgs, &sml_solver_tron};

const sml_solver *sml_solver_find(const char *name)
{
    if (!name)
        return NULL;
    if (!strcmp(name, "owlqn"))
        return &sml_solver_lbfgs;
    for (size_t i = 0; i < sizeof solvers / sizeof *solvers; i++) /* NOLINT(bugprone-sizeof-expression): pointers */
        if (!strcmp(solvers[i]->name, name))
            return solvers[i];
    return NULL;
}

static int has_l1(const sml_objective *obj)
{
    if (!obj->l1)
        return 0;
    for (size_t j = 0; j < obj->dim; j++)
        if (obj->l1[j] != 0)
            return 1;
    return 0;
}

const sml_solver *sml_solver_choose(const sml_objective *obj, const sml_optim_options *opt)
{
    switch (opt ? opt->solver : SML_SOLVER_AUTO) {
    case SML_SOLVER_LBFGS: return &sml_solver_lbfgs;
    case SML_SOLVER_TRON: return &sml_solver_tron;
    case SML_SOLVER_AUTO: break;
    }
    /* Newton for smooth problems when second derivatives are there; OWL-QN as soon as one l1 weight is set. */
    return obj->hess_vec && !has_l1(obj) ? &sml_solver_tron : &sml_solver_lbfgs;
}

int sml_minimize(const sml_objective *obj, double *theta, const sml_optim_options *opt, sml_optim_report *rep,
                 sml_error *err)
{
    sml_optim_options defaults = SML_OPTIM_OPTIONS_INIT;
    if (!opt)
        opt = &defaults;
    memset(rep, 0, sizeof *rep);
    if (!obj || !obj->fun_grad || obj->dim == 0)
        return sml_fail(err, SML_EINVAL, "optimiser: empty objective");
    if (opt->max_iter < 0 || !(opt->tol >= 0) || !isfinite(opt->tol) || opt->lbfgs_memory < 1 ||
        opt->max_linesearch < 1)
        return sml_fail(err, SML_EINVAL, "optimiser: bad options (max_iter %d, tol %g, memory %d, line search %d)",
                        opt->max_iter, opt->tol, opt->lbfgs_memory, opt->max_linesearch);
    if (obj->l1)
        for (size_t j = 0; j < obj->dim; j++)
            if (!(obj->l1[j] >= 0) || !isfinite(obj->l1[j]))
                return sml_fail(err, SML_EINVAL, "optimiser: l1 weight %zu is %g", j, obj->l1[j]);
    if (!sml_optim_all_finite(theta, obj->dim))
        return sml_fail(err, SML_ENUMERIC, "optimiser: the start point is not finite");
    const sml_solver *s = sml_solver_choose(obj, opt);
    if (s->needs_hessian && !obj->hess_vec)
        return sml_fail(err, SML_EINVAL, "solver %s needs Hessian-vector products", s->name);
    if (!s->handles_l1 && has_l1(obj))
        return sml_fail(err, SML_EINVAL, "solver %s cannot handle an L1 penalty (use lbfgs/owlqn)", s->name);
    rep->solver = s->name;
    return s->minimize(obj, theta, opt, rep, err);
}

double sml_optim_l1_term(const sml_objective *obj, const double *theta)
{
    double sum = 0;
    if (obj->l1)
        for (size_t j = 0; j < obj->dim; j++)
            sum += obj->l1[j] * fabs(theta[j]);
    return sum;
}

double sml_optim_pseudo_gradient(const sml_objective *obj, const double *theta, const double *grad, double *pg)
{
    double norm = 0;
    for (size_t j = 0; j < obj->dim; j++) {
        double l1 = obj->l1 ? obj->l1[j] : 0, g = grad[j], p;
        if (l1 == 0)
            p = g;
        else if (theta[j] > 0)
            p = g + l1;
        else if (theta[j] < 0)
            p = g - l1;
        else if (g + l1 < 0) /* moving up decreases F */
            p = g + l1;
        else if (g - l1 > 0) /* moving down decreases F */
            p = g - l1;
        else
            p = 0;
        pg[j] = p;
        if (fabs(p) > norm)
            norm = fabs(p);
    }
    return norm;
}

int sml_optim_all_finite(const double *v, size_t n)
{
    for (size_t j = 0; j < n; j++)
        if (!isfinite(v[j]))
            return 0;
    return 1;
}
