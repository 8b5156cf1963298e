# RLS on 1M records (make check-long): theta equals the exponentially weighted ridge solution in closed form to
# 1e-8 with forgetting 1 and 0.999, checked every 100k records; the U·D factorisation keeps it there.
. "$(dirname "$0")/lib.bash"
/usr/bin/python3 -c 'import numpy' 2>/dev/null || fail "python3-numpy is needed"
TRACE="$SML_BUILD/tools/online_trace"
cd "$T"
/usr/bin/python3 - <<'PY'
import numpy as np
rng = np.random.default_rng(3)
n, d = 1000000, 8
X = rng.normal(size=(n, d)) * np.linspace(0.2, 5, d)
X[:, 1] = X[:, 0] + 1e-2 * rng.normal(size=n)  # nearly collinear pair: a badly conditioned problem
y = X @ np.linspace(-1, 1, d) + 0.5 + rng.normal(size=n)
np.savetxt("big.csv", np.column_stack([y, X]), delimiter=",", fmt="%.17g")
PY
for lam in 1 0.999; do
    "$TRACE" big.csv --learner rls --rls-forgetting $lam --every 100000 > trace.txt 2>/dev/null || fail "online_trace"
    /usr/bin/python3 - big.csv trace.txt $lam <<'PY' || fail "rls forgetting $lam differs from the closed form"
import sys
import numpy as np
D = np.loadtxt(sys.argv[1], delimiter=",")
got = np.loadtxt(sys.argv[2])
lam = float(sys.argv[3])
y, X = D[:, 0], np.hstack([D[:, 1:], np.ones((len(D), 1))])
n, p = X.shape
A, b, worst = np.eye(p), np.zeros(p), 0.0  # prior: precision rls_delta = 1, mean 0
for k, t in enumerate(range(100000, n + 1, 100000)):
    Xc, yc = X[t - 100000:t], y[t - 100000:t]
    w = lam ** np.arange(len(yc) - 1, -1, -1.0)  # lambda^(t - s) within the chunk
    A = lam ** len(yc) * A + (Xc * w[:, None]).T @ Xc
    b = lam ** len(yc) * b + Xc.T @ (w * yc)
    worst = max(worst, float(np.max(np.abs(np.linalg.solve(A, b) - got[k]))))
print(f"figure: rls forgetting {lam} on {n} records: max |theta - closed form| at every 100k = {worst:.2g} (tol 1e-8)")
sys.exit(0 if worst < 1e-8 else 1)
PY
done
