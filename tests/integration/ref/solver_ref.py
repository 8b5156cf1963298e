#!/usr/bin/python3
"""Reference solutions for tests/integration/0020-solver-vs-sklearn.sh, from scikit-learn and numpy.

  solver_ref.py gen DIR    writes, per case, DIR/CASE.svm (libsvm data), DIR/CASE.args (fitmat flags, one a line),
                           optional DIR/CASE.weights / DIR/CASE.base, and DIR/CASE.json (the reference)
  solver_ref.py check DIR  reads DIR/CASE.out (fitmat's output) for every case and compares; prints one line per
                           case and "figure:" lines with the achieved differences; exits 1 on any failure.

Our objective (DESIGN.md): (1/W)·Σ wᵢ·lossᵢ + (l2/2)·||w||² + l1·||w||₁ + (l2_to_base/2)·||θ − θ_base||²,
squared loss ½(y − z)², log loss log(1 + exp(−y·z)), y ∈ {−1, +1}. The mapping to scikit-learn:
  Ridge(alpha = l2·W), Lasso(alpha = l1) (its sample weights are rescaled to sum to n: same objective),
  LogisticRegression(C = 1/(l2·W)) or (penalty="l1", C = 1/(l1·W)), which sums weighted losses.
"""
import json
import os
import sys
import warnings

import numpy as np

COEF_TOL = 1e-4   # |ours − reference| per coefficient, intercept included
OBJ_TOL = 1e-6    # relative difference of objective values


def make_mixed(rng, n, regression):
    """20 numeric features with scales from 0.01 to 100, plus a 10-level one-hot block: d = 30."""
    scales = 10.0 ** rng.uniform(-2, 2, size=20)
    num = rng.normal(size=(n, 20)) * scales
    levels = rng.integers(0, 10, size=n)
    onehot = np.zeros((n, 10))
    onehot[np.arange(n), levels] = 1.0
    X = np.hstack([num, onehot])
    beta = np.concatenate([rng.normal(size=20) / scales, rng.normal(size=10) * 0.5])
    beta[[2, 5, 11, 17, 23]] = 0.0  # some truly irrelevant features, so that L1 finds zeros
    return X, finish(rng, X, beta, 0.3, regression)


def make_standard(rng, n, regression):
    """15 dense standardized features."""
    X = rng.normal(size=(n, 15))
    X = (X - X.mean(0)) / X.std(0)
    beta = rng.normal(size=15)
    beta[[1, 4, 9]] = 0.0
    return X, finish(rng, X, beta, -0.2, regression)


def finish(rng, X, beta, b, regression):
    z = X @ beta + b
    if regression:
        return z + rng.normal(size=len(z)) * 0.5
    return np.where(rng.uniform(size=len(z)) < 1 / (1 + np.exp(-z)), 1.0, -1.0)


def objective(X, y, w, theta, loss, l2, l1, l2b, base, intercept):
    d = X.shape[1]
    coef, b = theta[:d], (theta[d] if intercept else 0.0)
    z = X @ coef + b
    per_row = 0.5 * (y - z) ** 2 if loss == "squared" else np.logaddexp(0, -y * z)
    f = np.sum(w * per_row) / np.sum(w) + 0.5 * l2 * coef @ coef + l1 * np.sum(np.abs(coef))
    if l2b:
        f += 0.5 * l2b * np.sum((theta - base) ** 2)
    return f


def smooth_gradient(X, y, w, theta, loss, l2, l2b, base, intercept):
    d = X.shape[1]
    coef, b = theta[:d], (theta[d] if intercept else 0.0)
    z = X @ coef + b
    dz = (z - y) if loss == "squared" else -y / (1 + np.exp(y * z))
    c = w * dz / np.sum(w)
    g = X.T @ c + l2 * coef
    if intercept:
        g = np.append(g, c.sum())
    if l2b:
        g = g + l2b * (theta - base)
    return g


def write_svm(path, X, y):
    with open(path, "w") as f:
        for i in range(X.shape[0]):
            nz = np.nonzero(X[i])[0]
            f.write("%.17g %s\n" % (y[i], " ".join("%d:%.17g" % (j + 1, X[i, j]) for j in nz)))


def sklearn_fit(kind, X, y, w, p):
    from sklearn.linear_model import Lasso, LogisticRegression, Ridge
    W = w.sum()
    icpt = p["intercept"]
    if kind == "ridge":
        m = Ridge(alpha=p["l2"] * W, fit_intercept=icpt, solver="cholesky").fit(X, y, sample_weight=w)
    elif kind == "lasso":
        m = Lasso(alpha=p["l1"], fit_intercept=icpt, tol=1e-14, max_iter=1000000, selection="cyclic")
        m.fit(X, y, sample_weight=w)
    elif kind in ("logit_l2", "logit_l2_lbfgs"):
        # scikit-learn's lbfgs stops on a relative value change of 64·eps, which on badly scaled data leaves
        # coefficients 1e-2 off; newton-cholesky solves the same problem to machine precision. Both are compared.
        solver = "lbfgs" if kind == "logit_l2_lbfgs" else "newton-cholesky"
        m = LogisticRegression(solver=solver, C=1 / (p["l2"] * W), tol=1e-14, max_iter=100000,
                               fit_intercept=icpt).fit(X, y, sample_weight=w)
    elif kind == "logit_l1_saga":
        m = LogisticRegression(penalty="l1", solver="saga", C=1 / (p["l1"] * W), tol=1e-12, max_iter=200000,
                               fit_intercept=icpt).fit(X, y, sample_weight=w)
    elif kind == "logit_l1_liblinear":
        assert not icpt  # liblinear penalises its intercept
        # liblinear's newGLMNET stalls below 1e-8 on these scales; 1e-8 is far inside the coefficient tolerance
        m = LogisticRegression(penalty="l1", solver="liblinear", C=1 / (p["l1"] * W), tol=1e-8, max_iter=100000,
                               fit_intercept=False).fit(X, y, sample_weight=w)
    else:
        raise ValueError(kind)
    coef = np.ravel(m.coef_)
    theta = np.append(coef, np.ravel(m.intercept_)[0]) if icpt else coef.copy()
    return theta, "%s(n_iter=%s)" % (type(m).__name__, np.max(getattr(m, "n_iter_", [0])))


def closed_form_squared(X, y, w, p, base):
    """Squared loss with l2 and l2_to_base (no l1): the normal equations with the intercept as a column of ones."""
    n, d = X.shape
    Xt = np.hstack([X, np.ones((n, 1))]) if p["intercept"] else X
    W = w.sum()
    P = np.eye(Xt.shape[1]) * p["l2"]
    if p["intercept"]:
        P[d, d] = 0.0
    A = Xt.T @ (w[:, None] * Xt) / W + P + p["l2_to_base"] * np.eye(Xt.shape[1])
    rhs = Xt.T @ (w * y) / W + p["l2_to_base"] * base
    return np.linalg.solve(A, rhs)


def residual_ridge(X, y, p, base):
    """The brief's form for l2 = 0, unit weights: θ0 + the ridge solution on y − X̃θ0, all of it penalised."""
    n = X.shape[0]
    Xt = np.hstack([X, np.ones((n, 1))])
    r = y - Xt @ base
    delta = np.linalg.solve(Xt.T @ Xt / n + p["l2_to_base"] * np.eye(Xt.shape[1]), Xt.T @ r / n)
    return base + delta


def cases(small):
    rng = np.random.default_rng(20240607)
    n_mixed, n_std = (1500, 1000) if small else (3000, 2000)
    mixed_reg = make_mixed(rng, n_mixed, True)
    mixed_cls = make_mixed(rng, n_mixed, False)
    std_reg = make_standard(rng, n_std, True)
    std_cls = make_standard(rng, n_std, False)
    weights_mixed = rng.uniform(0.2, 3.0, size=n_mixed)
    weights_std = rng.uniform(0.2, 3.0, size=n_std)
    ones_m, ones_s = np.ones(n_mixed), np.ones(n_std)
    out = []

    def add(name, data, w, loss, kind, l2=0.0, l1=0.0, l2b=0.0, intercept=True, base=None, solver=None, extra=(),
            expect=None):
        X, y = data
        out.append(dict(name=name, X=X, y=y, w=w, loss=loss, kind=kind, l2=l2, l1=l1, l2_to_base=l2b,
                        intercept=intercept, base=base, solver=solver, extra=list(extra), expect=expect))

    add("logit_l2_mixed", mixed_cls, ones_m, "logistic", "logit_l2", l2=1e-3)
    add("logit_l2_mixed_lbfgs", mixed_cls, ones_m, "logistic", "logit_l2", l2=1e-3, solver="lbfgs")
    add("logit_l2_std", std_cls, ones_s, "logistic", "logit_l2", l2=1e-2)
    add("logit_l2_weighted", mixed_cls, weights_mixed, "logistic", "logit_l2", l2=1e-3)
    add("ridge_mixed", mixed_reg, ones_m, "squared", "ridge", l2=1e-2)
    add("ridge_mixed_lbfgs", mixed_reg, ones_m, "squared", "ridge", l2=1e-2, solver="lbfgs")
    add("ridge_std", std_reg, ones_s, "squared", "ridge", l2=1e-1)
    add("ridge_weighted", mixed_reg, weights_mixed, "squared", "ridge", l2=1e-2)
    add("lasso_mixed", mixed_reg, ones_m, "squared", "lasso", l1=2e-2)
    add("lasso_std", std_reg, ones_s, "squared", "lasso", l1=5e-2)
    add("lasso_weighted", mixed_reg, weights_mixed, "squared", "lasso", l1=2e-2)
    add("logit_l1_std", std_cls, ones_s, "logistic", "logit_l1_saga", l1=1e-2)
    add("logit_l1_mixed_noint", mixed_cls, ones_m, "logistic", "logit_l1_liblinear", l1=5e-3, intercept=False)
    d_m = mixed_reg[0].shape[1]
    base_m = rng.normal(size=d_m + 1)
    add("to_base_residual", mixed_reg, ones_m, "squared", "residual_ridge", l2b=0.5, base=base_m)
    add("to_base_l2_weighted", mixed_reg, weights_mixed, "squared", "closed_form", l2=1e-2, l2b=0.3, base=base_m)
    d_s = std_cls[0].shape[1]
    add("to_base_logit_kkt", std_cls, ones_s, "logistic", "kkt", l2=1e-3, l2b=0.2, base=rng.normal(size=d_s + 1))
    add("to_base_logit_l1_kkt", std_cls, ones_s, "logistic", "kkt", l1=2e-2, l2b=0.05,
        base=rng.normal(size=d_s + 1))
    # separable data at margins of hundreds: must stay finite, converge or say it did not
    Xs = rng.normal(size=(400, 5)) * 50
    ys = np.where(Xs @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) > 0, 1.0, -1.0)
    add("separable_l2", (Xs, ys), np.ones(400), "logistic", "finite", l2=1e-8)
    add("separable_none", (Xs, ys), np.ones(400), "logistic", "finite", solver="lbfgs",
        extra=["--max-iter", "300"])
    add("separable_none_tron", (Xs, ys), np.ones(400), "logistic", "finite", l2=1e-12, solver="tron",
        extra=["--max-iter", "300"])
    add("separable_limited", (Xs, ys), np.ones(400), "logistic", "finite", solver="lbfgs",
        extra=["--max-iter", "3"], expect="max_iter")
    return out


def gen(outdir, small):
    warnings.simplefilter("ignore")
    names = []
    for c in cases(small):
        name, X, y, w = c["name"], c["X"], c["y"], c["w"]
        d = X.shape[1]
        write_svm(os.path.join(outdir, name + ".svm"), X, y)
        args = ["--loss", c["loss"], "--l2", repr(c["l2"]), "--l1", repr(c["l1"]), "--dim", str(d),
                "--tol", "1e-10", "--max-iter", "100000"]
        if c["intercept"]:
            args.append("--intercept")
        if not np.all(w == 1):
            np.savetxt(os.path.join(outdir, name + ".weights"), w, fmt="%.17g")
            args += ["--weights", os.path.join(outdir, name + ".weights")]
        if c["base"] is not None:
            np.savetxt(os.path.join(outdir, name + ".base"), c["base"], fmt="%.17g")
            args += ["--l2-to-base", repr(c["l2_to_base"]), "--base", os.path.join(outdir, name + ".base")]
        if c["solver"]:
            args += ["--solver", c["solver"]]
        args += c["extra"]
        with open(os.path.join(outdir, name + ".args"), "w") as f:
            f.write("\n".join(args) + "\n")
        kind, ref, how, ref2, how2 = c["kind"], None, c["kind"], None, None
        if kind in ("ridge", "lasso", "logit_l2", "logit_l1_saga", "logit_l1_liblinear"):
            ref, how = sklearn_fit(kind, X, y, w, c)
        if kind == "logit_l2":
            ref2, how2 = sklearn_fit("logit_l2_lbfgs", X, y, w, c)
        elif kind == "closed_form":
            ref, how = closed_form_squared(X, y, w, c, c["base"]), "numpy normal equations"
        elif kind == "residual_ridge":
            ref, how = residual_ridge(X, y, c, c["base"]), "numpy ridge on residuals"
        np.save(os.path.join(outdir, name + ".X.npy"), X)
        np.save(os.path.join(outdir, name + ".y.npy"), y)
        np.save(os.path.join(outdir, name + ".w.npy"), w)
        meta = {k: c[k] for k in ("name", "loss", "kind", "l2", "l1", "l2_to_base", "intercept", "expect")}
        meta["base"] = None if c["base"] is None else list(c["base"])
        meta["ref"] = None if ref is None else list(ref)
        meta["how"] = how
        meta["ref2"] = None if ref2 is None else list(ref2)
        meta["how2"] = how2
        with open(os.path.join(outdir, name + ".json"), "w") as f:
            json.dump(meta, f)
        names.append(name)
    with open(os.path.join(outdir, "cases"), "w") as f:
        f.write("\n".join(names) + "\n")


def read_out(path):
    vals, coef, b = {}, {}, None
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "w":
                coef[int(parts[1])] = float(parts[2])
            elif parts[0] == "b":
                b = float(parts[1])
            else:
                vals[parts[0]] = parts[1]
    return vals, coef, b


def check(outdir):
    failures = 0
    names = open(os.path.join(outdir, "cases")).read().split()
    for name in names:
        meta = json.load(open(os.path.join(outdir, name + ".json")))
        X = np.load(os.path.join(outdir, name + ".X.npy"))
        y = np.load(os.path.join(outdir, name + ".y.npy"))
        w = np.load(os.path.join(outdir, name + ".w.npy"))
        d, icpt = X.shape[1], meta["intercept"]
        base = None if meta["base"] is None else np.array(meta["base"])
        vals, coef, b = read_out(os.path.join(outdir, name + ".out"))
        theta = np.array([coef.get(j + 1, np.nan) for j in range(d)] + ([b if b is not None else np.nan]
                                                                         if icpt else []))
        args = (meta["loss"], meta["l2"], meta["l1"], meta["l2_to_base"], base, icpt)
        problems = []
        if not np.all(np.isfinite(theta)):
            problems.append("non-finite parameters")
        ours_reported = float(vals.get("objective", "nan"))
        ours = objective(X, y, w, theta, *args)
        if not (abs(ours - ours_reported) <= 1e-9 * max(1.0, abs(ours))):
            problems.append("reported objective %.17g, numpy says %.17g" % (ours_reported, ours))
        detail = "%s %s iters=%s" % (vals.get("solver"), vals.get("status"), vals.get("iterations"))
        if meta["kind"] == "finite":
            if vals.get("status") not in ("converged", "max_iter", "stalled"):
                problems.append("no status")
            if meta["expect"] and vals.get("status") != meta["expect"]:
                problems.append("status %s, expected %s" % (vals.get("status"), meta["expect"]))
            if not np.isfinite(ours_reported):
                problems.append("objective not finite")
            margins = y * (X @ theta[:d] + (theta[d] if icpt else 0))
            detail += " max|margin|=%.3g" % np.max(np.abs(margins))
        elif meta["kind"] == "kkt":
            g = smooth_gradient(X, y, w, theta, meta["loss"], meta["l2"], meta["l2_to_base"], base, icpt)
            l1 = np.full(len(theta), meta["l1"])
            if icpt:
                l1[d] = 0.0
            viol = np.where(theta != 0, np.abs(g + l1 * np.sign(theta)), np.maximum(np.abs(g) - l1, 0))
            detail += " max KKT violation %.2e" % viol.max()
            if viol.max() > 1e-8:
                problems.append("KKT violation %.3g" % viol.max())
        else:
            ref = np.array(meta["ref"])
            ref_obj = objective(X, y, w, ref, *args)
            rel = (ours - ref_obj) / max(1.0, abs(ref_obj))
            diff = np.max(np.abs(theta - ref))
            detail += " vs %s: max|Δcoef|=%.2e rel Δobj=%.2e" % (meta["how"], diff, rel)
            if diff > COEF_TOL:
                problems.append("coefficients differ by %.3g" % diff)
            if abs(rel) > OBJ_TOL:
                problems.append("objective %.17g vs reference %.17g" % (ours, ref_obj))
            if meta.get("ref2"):
                # a second, looser reference (sklearn's lbfgs): ours must be at least as good an optimum
                ref2 = np.array(meta["ref2"])
                obj2 = objective(X, y, w, ref2, *args)
                rel2 = (ours - obj2) / max(1.0, abs(obj2))
                detail += "; vs %s: max|Δcoef|=%.2e rel Δobj=%.2e" % (meta["how2"], np.max(np.abs(theta - ref2)),
                                                                    rel2)
                if rel2 > 1e-12:
                    problems.append("objective %.17g above %s's %.17g" % (ours, meta["how2"], obj2))
            if meta["l1"] > 0:
                zo, zr = set(np.nonzero(theta == 0)[0]), set(np.nonzero(ref == 0)[0])
                detail += " zeros=%d" % len(zo)
                if zo != zr:
                    problems.append("zero sets differ: ours %s, reference %s" % (sorted(zo), sorted(zr)))
                if not zo:
                    problems.append("no zeros at all: the case does not test sparsity")
        if meta["kind"] != "finite" and vals.get("status") != "converged":
            problems.append("status %s" % vals.get("status"))
        print("figure: %-22s %s" % (name, detail))
        for p in problems:
            print("FAIL %s: %s" % (name, p))
        failures += bool(problems)
    print("%d cases, %d failed" % (len(names), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gen", "check"):
        sys.exit(__doc__)
    if sys.argv[1] == "gen":
        gen(sys.argv[2], os.environ.get("SML_SANITIZED") == "1")
    else:
        sys.exit(check(sys.argv[2]))
