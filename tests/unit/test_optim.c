/* Losses, the GLM objective and the batch solvers (src/models, src/optim). */
#include <math.h>
#include <stdlib.h>

#include "models/dataset.h"
#include "models/glm_objective.h"
#include "models/loss.h"
#include "optim/optim.h"
#include "unit.h"

/* ---------------------------------------------------------------- losses */

static void test_log1p_exp_and_sigmoid_are_stable(void)
{
    double xs[] = {-1e308, -1e4, -800, -40, -1, 0, 1, 40, 800, 1e4, 1e308};
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
        double v = sml_log1p_exp(xs[i]), s = sml_sigmoid(xs[i]);
        CHECK_MSG(isfinite(v) && v >= 0, "log1p_exp(%g) = %g", xs[i], v);
        CHECK_MSG(isfinite(s) && s >= 0 && s <= 1, "sigmoid(%g) = %g", xs[i], s);
    }
    CHECK_NEAR(sml_log1p_exp(0), log(2), 1e-16);
    CHECK_NEAR(sml_log1p_exp(800), 800, 0);
    CHECK(sml_log1p_exp(-800) == 0 || sml_log1p_exp(-800) < 1e-300);
    CHECK_NEAR(sml_log1p_exp(-40), exp(-40), 1e-30); /* relative precision where 1 + e^x would round to 1 */
    CHECK_NEAR(sml_log1p_exp(1), log1p(exp(1)), 1e-15);
    CHECK_NEAR(sml_log1p_exp(40), 40 + exp(-40), 1e-14);
    CHECK_NEAR(sml_sigmoid(0), 0.5, 0);
    CHECK_NEAR(sml_sigmoid(800), 1, 0);
    CHECK_NEAR(sml_sigmoid(-800), 0, 1e-300);
    CHECK_NEAR(sml_sigmoid(-30), exp(-30) / (1 + exp(-30)), 1e-27);
    CHECK_NEAR(sml_sigmoid(2) + sml_sigmoid(-2), 1, 3e-16);
}

static void test_logistic_loss_values_and_derivatives(void)
{
    const sml_loss *l = sml_loss_find("logistic");
    CHECK(l == &sml_loss_logistic);
    CHECK(l->binary_labels);
    double zs[] = {-3, -0.5, 0, 0.25, 2, 7};
    for (size_t i = 0; i < sizeof zs / sizeof *zs; i++)
        for (int s = -1; s <= 1; s += 2) {
            double z = zs[i], y = s, d1, d2, h = 1e-5;
            double v = l->eval(z, y, &d1, &d2);
            CHECK_NEAR(v, log(1 + exp(-y * z)), 1e-14);
            CHECK_NEAR(v, l->value(z, y), 0);
            /* central differences of the value and of the first derivative */
            double fd1 = (l->value(z + h, y) - l->value(z - h, y)) / (2 * h);
            double a, b, dummy;
            l->eval(z + h, y, &a, &dummy);
            l->eval(z - h, y, &b, &dummy);
            CHECK_NEAR(d1, fd1, 1e-8);
            CHECK_NEAR(d2, (a - b) / (2 * h), 1e-8);
            CHECK_NEAR(d1, -y / (1 + exp(y * z)), 1e-15);
        }
    CHECK_NEAR(l->mean(0), 0.5, 0);
}

static void test_logistic_loss_at_extreme_margins(void)
{
    const sml_loss *l = &sml_loss_logistic;
    double zs[] = {-1e300, -1e5, -800, -745, 745, 800, 1e5, 1e300};
    for (size_t i = 0; i < sizeof zs / sizeof *zs; i++)
        for (int s = -1; s <= 1; s += 2) {
            double d1, d2, v = l->eval(zs[i], s, &d1, &d2);
            CHECK_MSG(isfinite(v) && isfinite(d1) && isfinite(d2), "z %g y %d: %g %g %g", zs[i], s, v, d1, d2);
            CHECK(v >= 0 && fabs(d1) <= 1 && d2 >= 0 && d2 <= 0.25);
        }
    double d1, d2;
    /* badly wrong side: loss = |margin|, slope ∓1, no curvature left */
    CHECK_NEAR(l->eval(-800, 1, &d1, &d2), 800, 0);
    CHECK_NEAR(d1, -1, 0);
    CHECK_NEAR(d2, 0, 1e-300);
    CHECK_NEAR(l->eval(800, -1, &d1, &d2), 800, 0);
    CHECK_NEAR(d1, 1, 0);
    /* right side: loss e^-800 underflows to 0 without NaN */
    CHECK_NEAR(l->eval(800, 1, &d1, &d2), 0, 1e-300);
    CHECK_NEAR(d1, 0, 1e-300);
    CHECK(!signbit(d2));
}

static void test_squared_loss(void)
{
    const sml_loss *l = sml_loss_find("squared");
    double d1, d2;
    CHECK_NEAR(l->eval(3, 1, &d1, &d2), 2, 0);
    CHECK_NEAR(d1, 2, 0);
    CHECK_NEAR(d2, 1, 0);
    CHECK_NEAR(l->value(-1, 2), 4.5, 0);
    CHECK_NEAR(l->mean(1.5), 1.5, 0);
    CHECK(sml_loss_find("hinge") == NULL);
}

/* ---------------------------------------------------------------- a quadratic with a known optimum */

/* f(θ) = ½ Σ a_j (θ_j − c_j)² + ρ·(θ_0 − θ_1)²/2: coupled, badly scaled (a from 1e-2 to 1e2). */
typedef struct quad {
    size_t n;
    double a[8], c[8], rho;
    int bad_at_far; /* return NaN when |θ| gets large */
    long evals;
} quad;

static double quad_fun_grad(void *ctx, const double *x, double *g)
{
    quad *q = ctx;
    double f = 0, diff = x[0] - x[1];
    q->evals++;
    for (size_t j = 0; j < q->n; j++) {
        if (q->bad_at_far && fabs(x[j]) > 50)
            return NAN;
        f += 0.5 * q->a[j] * (x[j] - q->c[j]) * (x[j] - q->c[j]);
        if (g)
            g[j] = q->a[j] * (x[j] - q->c[j]);
    }
    f += 0.5 * q->rho * diff * diff;
    if (g) {
        g[0] += q->rho * diff;
        g[1] -= q->rho * diff;
    }
    return f;
}

static void quad_hess_vec(void *ctx, const double *v, double *hv)
{
    quad *q = ctx;
    for (size_t j = 0; j < q->n; j++)
        hv[j] = q->a[j] * v[j];
    hv[0] += q->rho * (v[0] - v[1]);
    hv[1] -= q->rho * (v[0] - v[1]);
}

static void quad_hess_diag(void *ctx, double *diag)
{
    quad *q = ctx;
    for (size_t j = 0; j < q->n; j++)
        diag[j] = q->a[j];
    diag[0] += q->rho;
    diag[1] += q->rho;
}

static quad make_quad(void)
{
    quad q = {8, {1e-2, 1, 3, 1e2, 0.5, 7, 20, 0.1}, {1, -2, 3, 0.5, -1, 0, 4, -3}, 0.7, 0, 0};
    return q;
}

/* The optimum of the coupled quadratic: only θ_0, θ_1 couple; solve the 2×2 system. */
static void quad_optimum(const quad *q, double *x)
{
    for (size_t j = 2; j < q->n; j++)
        x[j] = q->c[j];
    double a00 = q->a[0] + q->rho, a11 = q->a[1] + q->rho, a01 = -q->rho;
    double b0 = q->a[0] * q->c[0], b1 = q->a[1] * q->c[1], det = a00 * a11 - a01 * a01;
    x[0] = (b0 * a11 - a01 * b1) / det;
    x[1] = (a00 * b1 - a01 * b0) / det;
}

static void check_solver_on_quadratic(sml_solver_kind kind, const char *name)
{
    quad q = make_quad();
    sml_objective obj = {q.n, &q, quad_fun_grad, quad_hess_vec, quad_hess_diag, NULL};
    sml_optim_options opt = SML_OPTIM_OPTIONS_INIT;
    opt.solver = kind;
    opt.tol = 1e-12;
    double x[8] = {0}, want[8];
    sml_optim_report rep;
    sml_error err = SML_ERROR_INIT;
    quad_optimum(&q, want);
    CHECK_INT(sml_minimize(&obj, x, &opt, &rep, &err), 0);
    CHECK_STR(rep.solver, name);
    CHECK(rep.converged);
    CHECK_INT(rep.status, SML_OPTIM_CONVERGED);
    CHECK(rep.pg_norm_inf <= 1e-12 * (rep.pg0_norm_inf > 1 ? rep.pg0_norm_inf : 1));
    for (size_t j = 0; j < q.n; j++)
        CHECK_NEAR(x[j], want[j], 1e-9);
    CHECK_NEAR(rep.objective, quad_fun_grad(&q, want, NULL), 1e-15);
    CHECK(rep.fun_evals > 0 && rep.iterations > 0);
}

static void test_lbfgs_finds_the_quadratic_optimum(void) { check_solver_on_quadratic(SML_SOLVER_LBFGS, "lbfgs"); }
static void test_tron_finds_the_quadratic_optimum(void) { check_solver_on_quadratic(SML_SOLVER_TRON, "tron"); }

static void test_auto_picks_newton_when_smooth(void)
{
    quad q = make_quad();
    sml_objective obj = {q.n, &q, quad_fun_grad, quad_hess_vec, NULL, NULL};
    double l1[8] = {0, 0, 0.1};
    CHECK(sml_solver_choose(&obj, NULL) == &sml_solver_tron);
    obj.l1 = l1;
    CHECK(sml_solver_choose(&obj, NULL) == &sml_solver_lbfgs);
    obj.l1 = NULL;
    obj.hess_vec = NULL;
    CHECK(sml_solver_choose(&obj, NULL) == &sml_solver_lbfgs);
    CHECK(sml_solver_find("owlqn") == &sml_solver_lbfgs);
    CHECK(sml_solver_find("tron") == &sml_solver_tron);
    CHECK(sml_solver_find("sgd") == NULL);
}

/* ---------------------------------------------------------------- OWL-QN */

/* Separable: min ½ a_j (θ_j − c_j)² + l1_j |θ_j| has θ_j = sign(c_j)·max(|c_j| − l1_j/a_j, 0) (soft threshold);
 * the coupling term is left out here so the answer is exact. */
static void test_owlqn_gives_exact_zeros(void)
{
    quad q = make_quad();
    q.rho = 0;
    double l1[8] = {0.5, 1.0, 10.0, 20.0, 0.0, 50.0, 1.0, 0.05};
    sml_objective obj = {q.n, &q, quad_fun_grad, NULL, NULL, l1};
    sml_optim_options opt = SML_OPTIM_OPTIONS_INIT;
    opt.tol = 1e-12;
    double x[8] = {0.3, -0.3, 0, 0, 1, 1, 1, 1};
    sml_optim_report rep;
    sml_error err = SML_ERROR_INIT;
    CHECK_INT(sml_minimize(&obj, x, &opt, &rep, &err), 0);
    CHECK_STR(rep.solver, "owlqn");
    CHECK(rep.converged);
    int zeros = 0;
    for (size_t j = 0; j < q.n; j++) {
        double c = q.c[j], t = fabs(c) - l1[j] / q.a[j], want = t > 0 ? copysign(t, c) : 0;
        CHECK_MSG(fabs(x[j] - want) <= 1e-9, "θ_%zu = %.17g, want %.17g", j, x[j], want);
        if (want == 0) {
            CHECK_MSG(x[j] == 0.0, "θ_%zu = %.17g is not an exact zero", j, x[j]);
            zeros++;
        }
    }
    CHECK(zeros >= 3);
    /* tron cannot take an l1 term */
    obj.hess_vec = quad_hess_vec;
    opt.solver = SML_SOLVER_TRON;
    CHECK_INT(sml_minimize(&obj, x, &opt, &rep, &err), SML_EINVAL);
}

/* ---------------------------------------------------------------- limits and failures */

static void test_iteration_limit_is_reported_not_an_error(void)
{
    sml_solver_kind kinds[] = {SML_SOLVER_LBFGS, SML_SOLVER_TRON};
    for (int k = 0; k < 2; k++) {
        quad q = make_quad();
        sml_objective obj = {q.n, &q, quad_fun_grad, quad_hess_vec, quad_hess_diag, NULL};
        sml_optim_options opt = SML_OPTIM_OPTIONS_INIT;
        opt.solver = kinds[k];
        opt.max_iter = 2;
        opt.tol = 1e-14;
        double x[8] = {0};
        sml_optim_report rep;
        CHECK_INT(sml_minimize(&obj, x, &opt, &rep, NULL), 0);
        CHECK(!rep.converged);
        CHECK_INT(rep.status, SML_OPTIM_MAX_ITER);
        CHECK_INT(rep.iterations, 2);
        CHECK(sml_optim_all_finite(x, q.n));
        CHECK(rep.objective < quad_fun_grad(&q, (double[8]){0}, NULL));
    }
}

static void test_nan_start_or_objective_is_an_error(void)
{
    quad q = make_quad();
    sml_objective obj = {q.n, &q, quad_fun_grad, quad_hess_vec, NULL, NULL};
    sml_optim_report rep;
    sml_error err = SML_ERROR_INIT;
    double x[8] = {0, NAN};
    CHECK_INT(sml_minimize(&obj, x, NULL, &rep, &err), SML_ENUMERIC);
    /* an objective that is NaN at the start */
    q.bad_at_far = 1;
    double far[8] = {100};
    CHECK_INT(sml_minimize(&obj, far, NULL, &rep, &err), SML_ENUMERIC);
    CHECK(strstr(err.msg, "not finite") != NULL);
    CHECK(sml_optim_all_finite(far, q.n));
    /* NaN regions on the way: the searches back off and still find the optimum */
    q.c[3] = 45;
    double start[8] = {0}, want[8];
    quad_optimum(&q, want);
    sml_optim_options opt = SML_OPTIM_OPTIONS_INIT;
    opt.tol = 1e-10;
    for (int k = SML_SOLVER_LBFGS; k <= SML_SOLVER_TRON; k++) {
        double x2[8];
        memcpy(x2, start, sizeof x2);
        opt.solver = (sml_solver_kind)k;
        CHECK_INT(sml_minimize(&obj, x2, &opt, &rep, &err), 0);
        CHECK(rep.converged);
        CHECK(sml_optim_all_finite(x2, q.n));
        CHECK_NEAR(x2[3], want[3], 1e-7);
    }
    /* bad options */
    opt.tol = NAN;
    CHECK_INT(sml_minimize(&obj, x, &opt, &rep, &err), SML_EINVAL);
}

/* ---------------------------------------------------------------- the GLM objective */

static void add(sml_dataset *ds, double y, double w, uint32_t i0, double v0, uint32_t i1, double v1)
{
    uint32_t idx[2] = {i0, i1};
    double val[2] = {v0, v1};
    CHECK_INT(sml_dataset_add_row(ds, y, w, idx, val, 2, NULL), 0);
}

static void test_dataset_rows_and_weights(void)
{
    sml_dataset ds = SML_DATASET_INIT;
    for (int i = 0; i < 1000; i++)
        add(&ds, i % 2 ? 1 : -1, 1, (uint32_t)(i % 3), 1.0 * i, 5, -1);
    CHECK(ds.weight == NULL);
    add(&ds, 1, 2.5, 0, 1, 7, 1);
    CHECK(ds.weight != NULL);
    CHECK_INT(ds.x.n_rows, 1001);
    CHECK_INT(ds.x.n_cols, 8);
    CHECK_INT(sml_dataset_nnz(&ds), 2002);
    CHECK_NEAR(ds.weight[3], 1, 0);
    CHECK_NEAR(ds.weight[1000], 2.5, 0);
    CHECK_NEAR(ds.x.values[2 * 999], 999, 0);
    uint32_t bad = UINT32_MAX;
    double v = 1;
    sml_error err = SML_ERROR_INIT;
    CHECK_INT(sml_dataset_add_row(&ds, 1, 1, &bad, &v, 1, &err), SML_ERANGE);
    CHECK_INT(ds.x.n_rows, 1001);
    sml_dataset_release(&ds);
    sml_dataset_release(&ds);
    CHECK(ds.x.row_ptr == NULL);
}

/* Gradient and Hessian-vector products against finite differences, all penalties on, with weights. */
static void test_glm_derivatives(void)
{
    sml_dataset ds = SML_DATASET_INIT;
    for (int i = 0; i < 40; i++)
        add(&ds, (i * 7) % 3 ? 1 : -1, 0.5 + (i % 4), (uint32_t)(i % 3), sin(i), 3, cos(0.3 * i) * 5);
    double base[5] = {0.1, -0.2, 0.3, 0.4, -0.5};
    sml_glm_penalty pen = {0.05, 0, 0.2, base};
    const sml_loss *losses[] = {&sml_loss_logistic, &sml_loss_squared};
    for (int li = 0; li < 2; li++) {
        sml_glm_objective *g;
        CHECK_INT(sml_glm_objective_new(&ds, losses[li], &pen, 1, &g, NULL), 0);
        CHECK_INT(sml_glm_dim(g), 5);
        double th[5] = {0.3, -0.7, 0.2, 0.5, 0.1}, grad[5], hv[5], diag[5], v[5] = {1, -2, 0.5, 0.3, 2};
        double f = sml_glm_fun_grad(g, th, grad);
        sml_glm_hess_vec(g, v, hv);
        sml_glm_hess_diag(g, diag);
        double h = 1e-6;
        for (int j = 0; j < 5; j++) {
            double tp[5], tm[5], gp[5], gm[5];
            memcpy(tp, th, sizeof tp);
            memcpy(tm, th, sizeof tm);
            tp[j] += h, tm[j] -= h;
            double fd = (sml_glm_fun_grad(g, tp, NULL) - sml_glm_fun_grad(g, tm, NULL)) / (2 * h);
            CHECK_NEAR(grad[j], fd, 1e-7);
            /* column j of the Hessian from gradient differences gives the diagonal entry */
            sml_glm_fun_grad(g, tp, gp);
            sml_glm_fun_grad(g, tm, gm);
            CHECK_NEAR(diag[j], (gp[j] - gm[j]) / (2 * h), 1e-6);
        }
        /* Hv along v from gradient differences */
        double tp[5], tm[5], gp[5], gm[5];
        for (int j = 0; j < 5; j++)
            tp[j] = th[j] + h * v[j], tm[j] = th[j] - h * v[j];
        sml_glm_fun_grad(g, tp, gp);
        sml_glm_fun_grad(g, tm, gm);
        for (int j = 0; j < 5; j++)
            CHECK_NEAR(hv[j], (gp[j] - gm[j]) / (2 * h), 1e-6);
        CHECK(isfinite(f));
        sml_glm_objective_free(g);
    }
    sml_dataset_release(&ds);
}

static void test_glm_rejects_bad_data(void)
{
    sml_dataset ds = SML_DATASET_INIT;
    sml_glm_objective *g = NULL;
    sml_error err = SML_ERROR_INIT;
    add(&ds, 1, 1, 0, 1, 1, 2);
    add(&ds, 0.5, 1, 0, 1, 1, NAN);
    CHECK_INT(sml_glm_objective_new(&ds, &sml_loss_squared, NULL, 1, &g, &err), SML_ENUMERIC);
    CHECK(strstr(err.msg, "row 2") != NULL);
    CHECK(g == NULL);
    ds.x.values[3] = 1;
    CHECK_INT(sml_glm_objective_new(&ds, &sml_loss_logistic, NULL, 1, &g, &err), SML_EINVAL); /* label 0.5 */
    sml_glm_penalty pen = {-1, 0, 0, NULL};
    CHECK_INT(sml_glm_objective_new(&ds, &sml_loss_squared, &pen, 1, &g, &err), SML_EINVAL);
    double base[3] = {0, INFINITY, 0};
    sml_glm_penalty pen2 = {0, 0, 1, base};
    CHECK_INT(sml_glm_objective_new(&ds, &sml_loss_squared, &pen2, 1, &g, &err), SML_ENUMERIC);
    CHECK_INT(sml_glm_objective_new(&ds, &sml_loss_squared, NULL, 1, &g, &err), 0);
    sml_glm_objective_free(g);
    sml_glm_objective_free(NULL);
    sml_dataset_release(&ds);
}

/* Ridge with an unpenalised intercept on a tiny set: the normal equations solved by hand. Then l1 on the same set
 * through OWL-QN, checked by its optimality conditions. */
static void test_glm_solvers_agree_on_small_ridge(void)
{
    sml_dataset ds = SML_DATASET_INIT;
    for (int i = 0; i < 30; i++)
        add(&ds, 2.0 * sin(i) + 0.5 * i / 30.0 - 1, 1, 0, sin(i), 1, i / 30.0);
    sml_glm_penalty pen = {0.1, 0, 0, NULL};
    sml_glm_objective *g;
    CHECK_INT(sml_glm_objective_new(&ds, &sml_loss_squared, &pen, 1, &g, NULL), 0);
    sml_objective obj = {sml_glm_dim(g), g, sml_glm_fun_grad, sml_glm_hess_vec, sml_glm_hess_diag, sml_glm_l1(g)};
    double x_tron[3] = {0}, x_lbfgs[3] = {0};
    sml_optim_options opt = SML_OPTIM_OPTIONS_INIT;
    opt.tol = 1e-12;
    sml_optim_report rep;
    CHECK_INT(sml_minimize(&obj, x_tron, &opt, &rep, NULL), 0);
    CHECK_STR(rep.solver, "tron");
    CHECK(rep.converged);
    opt.solver = SML_SOLVER_LBFGS;
    CHECK_INT(sml_minimize(&obj, x_lbfgs, &opt, &rep, NULL), 0);
    CHECK(rep.converged);
    /* normal equations: (XᵀX/n + diag(l2, l2, 0)) θ = Xᵀy/n with X = [x0 x1 1] */
    double A[3][4] = {{0}};
    for (size_t i = 0; i < ds.x.n_rows; i++) {
        double r[3] = {ds.x.values[2 * i], ds.x.values[2 * i + 1], 1};
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++)
                A[a][b] += r[a] * r[b] / 30;
            A[a][3] += r[a] * ds.y[i] / 30;
        }
    }
    A[0][0] += 0.1, A[1][1] += 0.1;
    for (int c = 0; c < 3; c++) /* Gauss-Jordan, the matrix is positive definite */
        for (int r = 0; r < 3; r++)
            if (r != c) {
                double m = A[r][c] / A[c][c];
                for (int k = 0; k < 4; k++)
                    A[r][k] -= m * A[c][k];
            }
    for (int j = 0; j < 3; j++) {
        CHECK_NEAR(x_tron[j], A[j][3] / A[j][j], 1e-9);
        CHECK_NEAR(x_lbfgs[j], A[j][3] / A[j][j], 1e-9);
    }
    sml_glm_objective_free(g);
    sml_dataset_release(&ds);
}

int main(void)
{
    RUN(test_log1p_exp_and_sigmoid_are_stable);
    RUN(test_logistic_loss_values_and_derivatives);
    RUN(test_logistic_loss_at_extreme_margins);
    RUN(test_squared_loss);
    RUN(test_lbfgs_finds_the_quadratic_optimum);
    RUN(test_tron_finds_the_quadratic_optimum);
    RUN(test_auto_picks_newton_when_smooth);
    RUN(test_owlqn_gives_exact_zeros);
    RUN(test_iteration_limit_is_reported_not_an_error);
    RUN(test_nan_start_or_objective_is_an_error);
    RUN(test_dataset_rows_and_weights);
    RUN(test_glm_derivatives);
    RUN(test_glm_rejects_bad_data);
    RUN(test_glm_solvers_agree_on_small_ridge);
    return UNIT_DONE();
}
