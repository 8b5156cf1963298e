"""Independent reference for `streamml fit` on loan_data.csv: builds the same design matrix (one-hot purpose,
standard scaling with the population sd) and solves the same objective with scikit-learn, then compares with the
model streamml published (weights by feature name from `inspect --json`).
usage: fit_ref.py DATA MODEL_JSON MODE L2 L1   (MODE: logistic | ridge | lasso)"""
import csv, json, math, sys
import numpy as np

data, model_json, mode, l2, l1 = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
text = open(data, newline="").read().replace("\r\n", "\n").replace("\r", "\n")
rows = list(csv.reader(text.splitlines()))
header, rows = rows[0], rows[1:]
label = "not.fully.paid" if mode == "logistic" else "int.rate"
li = header.index(label)
names, cols = [], []
for j, h in enumerate(header):
    if j == li:
        continue
    if h == "purpose":
        for v in sorted(set(r[j] for r in rows)):
            names.append("purpose=" + v)
            cols.append(np.array([1.0 if r[j] == v else 0.0 for r in rows]))
    else:
        x = np.array([float(r[j]) for r in rows])
        sd = x.std()
        names.append(h)
        cols.append((x - x.mean()) / (sd if sd > 0 else 1.0))
X = np.column_stack(cols)
n = X.shape[0]
y = np.array([float(r[li]) for r in rows])

m = json.load(open(model_json))
w_sml = dict(m["weights"])
theta_sml = np.array([w_sml.get(nm, 0.0) for nm in names])
b_sml = m["intercept"]
extra = [k for k in w_sml if k not in names]
assert all(abs(w_sml[k]) == 0 for k in extra), ("unexpected non-zero features", extra)

def objective(theta, b):
    z = X @ theta + b
    if mode == "logistic":
        s = 2 * y - 1
        loss = np.mean(np.logaddexp(0, -s * z))
    else:
        loss = np.mean(0.5 * (y - z) ** 2)
    return loss + 0.5 * l2 * theta @ theta + l1 * np.abs(theta).sum()

if mode == "logistic":
    import warnings
    from sklearn.linear_model import LogisticRegression
    warnings.simplefilter("ignore")
    # lbfgs is the solver the issue names; on this design (one-hot columns summing to one, plus an intercept) its
    # stopping rule leaves coefficients ~3e-4 off while its objective is still above ours, so the coefficient check
    # uses newton-cg, which reaches the optimum, and lbfgs is checked on the objective.
    lb = LogisticRegression(solver="lbfgs", C=1.0 / (l2 * n), tol=1e-10, max_iter=2000).fit(X, y)
    f_lb = objective(lb.coef_[0], lb.intercept_[0])
    ref = LogisticRegression(solver="newton-cg", C=1.0 / (l2 * n), tol=1e-10, max_iter=200).fit(X, y)
    theta_ref, b_ref = ref.coef_[0], ref.intercept_[0]
    f_ours = objective(theta_sml, b_sml)
    print(f"figure: logistic objective: streamml {f_ours!r}, sklearn lbfgs {f_lb!r}, newton-cg {objective(theta_ref, b_ref)!r}")
    assert f_ours <= f_lb * (1 + 1e-6), "streamml's optimum must be at least as good as lbfgs's"
elif mode == "ridge":
    from sklearn.linear_model import Ridge
    ref = Ridge(alpha=l2 * n, tol=1e-14).fit(X, y)
    theta_ref, b_ref = ref.coef_, ref.intercept_
else:
    from sklearn.linear_model import Lasso
    ref = Lasso(alpha=l1, tol=1e-14, max_iter=1000000).fit(X, y)
    theta_ref, b_ref = ref.coef_, ref.intercept_

f_sml, f_ref = objective(theta_sml, b_sml), objective(theta_ref, b_ref)
rel = abs(f_sml - f_ref) / abs(f_ref)
dmax = max(np.abs(theta_sml - theta_ref).max(), abs(b_sml - b_ref))
print(f"figure: fit {mode} vs scikit-learn on loan_data.csv: objective rel diff {rel:.2e}, max coef diff {dmax:.2e}")
ok = rel <= 1e-6 and dmax <= 1e-4
if mode == "lasso":
    z_sml = set(nm for nm, t in zip(names, theta_sml) if t == 0)
    z_ref = set(nm for nm, t in zip(names, theta_ref) if t == 0)
    print(f"figure: lasso exact zeros: streamml {sorted(z_sml)}, scikit-learn {sorted(z_ref)}")
    ok = ok and z_sml == z_ref and len(z_ref) > 0
if not ok:
    for nm, a, b in zip(names, theta_sml, theta_ref):
        print(f"  {nm:30s} {a: .10f} {b: .10f}")
    print(f"  intercept {b_sml} {b_ref}; objective {f_sml!r} {f_ref!r}")
    sys.exit(1)
