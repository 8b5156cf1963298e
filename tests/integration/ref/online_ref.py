#!/usr/bin/python3
"""Dense, per-record numpy transcriptions of the online learners' papers, to check src/optim/online*.c.

    online_ref.py DATA.csv TRACE [the flags of tests/tools/online_trace.c] [--tol X] [--label NAME]

DATA is the CSV online_trace read (y, then x); TRACE is its output with --print theta (one line of theta per
record, or per micro-batch for spark). Recomputes the trajectory here, densely (every coordinate, every record: no
laziness), prints "figure: NAME: max |theta_C - theta_ref| over R steps = X" and exits 1 above --tol. For ftrl it
also compares the sets of exact zeros after every record; rls is compared with the exponentially weighted ridge
solution in closed form instead of a recursion.

The penalty step of sgd, adagrad and normalized is the exact gradient flow of
    (l2/2)||w||^2 + l1||w||_1 + (l2_to_base/2)||theta - base||^2
over the coordinate's step (src/optim/online.h), written here per coordinate and per record.
"""
import argparse
import math
import sys

import numpy as np


def dloss(loss, z, y):
    if loss == "squared":
        return z - y
    m = y * z  # d/dz log(1 + exp(-y z)) = -y sigma(-m)
    s = 1.0 / (1.0 + math.exp(m)) if m > -700 else 1.0
    return -y * s


def flow(u, tau, lam, l1, pull):
    """theta after time tau on d theta/d tau = -lam theta + pull - l1 sign(theta) (stays at 0 while |pull| <= l1)."""
    if tau <= 0:
        return u
    if lam == 0:
        m = abs(u) - l1 * tau
        return math.copysign(m, u) if m > 0 else 0.0
    if u != 0:  # within a sign: theta = c + (u - c) exp(-lam tau), c = (pull -+ l1)/lam, until it reaches 0
        c = (pull - math.copysign(l1, u)) / lam
        v = c + (u - c) * math.exp(-lam * tau)
        if c * u >= 0 or v * u > 0:  # heading for c of the same sign, or not at 0 yet
            return v
        tau, u = max(tau - math.log1p(abs(u) / abs(c)) / lam, 0.0), 0.0
    if pull > l1:
        return -((pull - l1) / lam) * math.expm1(-lam * tau)
    if pull < -l1:
        return -((pull + l1) / lam) * math.expm1(-lam * tau)
    return 0.0


class Setup:
    def __init__(self, a, X, Y):
        self.a, self.Y = a, Y
        self.d = X.shape[1]
        self.icpt = not a.no_intercept
        self.n = self.d + (1 if self.icpt else 0)
        self.X = np.hstack([X, np.ones((X.shape[0], 1))]) if self.icpt else X
        self.base = np.array(a.base, float) if a.base is not None else np.zeros(self.n)
        self.init = np.array(a.init, float) if a.init is not None else self.base.copy()
        feat = np.arange(self.n) < self.d
        self.lam = np.where(feat, a.l2, 0.0) + a.l2_to_base
        self.l1 = np.where(feat, a.l1, 0.0)
        self.pull = a.l2_to_base * self.base

    def penalty(self, theta, tau):  # tau: per-coordinate time
        for j in range(self.n):
            theta[j] = flow(theta[j], tau[j], self.lam[j], self.l1[j], self.pull[j])


def run_sgd(S):
    a, th, out = S.a, S.init.copy(), []
    k = a.warm_records
    for x, y in zip(S.X, S.Y):
        z = th @ x
        k += 1
        eta = a.lr / (k + a.initial_t) ** a.power_t
        th = th - eta * dloss(a.loss, z, y) * x
        S.penalty(th, np.full(S.n, eta))
        out.append(th.copy())
    return out


def run_adagrad(S):
    a, th, G, out = S.a, S.init.copy(), np.zeros(S.n), []
    for x, y in zip(S.X, S.Y):
        g = dloss(a.loss, th @ x, y) * x
        for j in range(S.n):
            if g[j] != 0:
                G[j] = (a.warm_records + 1) * g[j] ** 2 if G[j] == 0 else G[j] + g[j] ** 2
                th[j] -= a.lr * g[j] / math.sqrt(G[j])
        S.penalty(th, np.where(G > 0, a.lr / np.sqrt(np.where(G > 0, G, 1)), 0.0))
        out.append(th.copy())
    return out


def run_normalized(S):
    """NAG, Ross, Mineiro & Langford 2013, Algorithm 2 (weights rescaled by s_i/|x_i| on a new maximum, applied to
    what was learned since theta_init), with exponent p = power_t on G."""
    a, th, out = S.a, S.init.copy(), []
    s, G, t, N, p = np.zeros(S.n), np.zeros(S.n), 0.0, 0.0, a.power_t
    for r, (x, y) in enumerate(zip(S.X, S.Y)):
        nz = x != 0
        for j in np.nonzero(nz)[0]:
            if abs(x[j]) > s[j]:
                if s[j] > 0:
                    th[j] = S.init[j] + (th[j] - S.init[j]) * s[j] / abs(x[j])
                s[j] = abs(x[j])
        z = th @ x
        times = a.warm_records + 1 if r == 0 else 1
        t += times
        N += times * np.sum((x[nz] / s[nz]) ** 2)
        rate = a.lr * math.sqrt(t / N)
        g = dloss(a.loss, z, y) * x
        for j in range(S.n):
            if g[j] != 0:
                G[j] = (a.warm_records + 1) * g[j] ** 2 if G[j] == 0 else G[j] + g[j] ** 2
                th[j] -= rate * g[j] / (s[j] ** (2 - 2 * p) * G[j] ** p)
        d = np.array([1 / (s[j] ** (2 - 2 * p) * G[j] ** p) if G[j] > 0 else 0.0 for j in range(S.n)])
        S.penalty(th, rate * d)
        out.append(th.copy())
    return out


def run_ftrl(S):
    """FTRL-Proximal, McMahan et al. 2013, Algorithm 1, with lambda1 = m*l1, lambda2 = m*l2 (+ m*l2_to_base toward
    the base) after m records."""
    a, out = S.a, []
    alpha, beta, m = a.ftrl_alpha, a.ftrl_beta, a.warm_records
    nsq = np.zeros(S.n)

    def weights(z):
        zz = z - m * S.pull
        den = (beta + np.sqrt(nsq)) / alpha + m * S.lam
        w = -(zz - np.sign(zz) * m * S.l1) / den
        return np.where(np.abs(zz) <= m * S.l1, 0.0, w)

    w0 = S.init
    z = np.where(w0 == 0, 0.0, -(beta / alpha + m * S.lam) * w0 - np.sign(w0) * m * S.l1) + m * S.pull
    for x, y in zip(S.X, S.Y):
        w = weights(z)
        g = dloss(a.loss, w @ x, y) * x
        for j in range(S.n):
            if g[j] != 0:
                n_new = (a.warm_records + 1) * g[j] ** 2 if nsq[j] == 0 else nsq[j] + g[j] ** 2
                sigma = (math.sqrt(n_new) - math.sqrt(nsq[j])) / alpha
                z[j] += g[j] - sigma * w[j]
                nsq[j] = n_new
        m += 1
        out.append(weights(z))
    return out


def run_rls(S):
    """Exponentially weighted ridge in closed form after every record:
    argmin 1/2 sum_s lambda^(t-s) (y_s - theta.x_s)^2 + 1/2 lambda^t sum_j D_j (theta_j - m_j)^2."""
    a, lam, out = S.a, S.a.rls_forgetting, []
    D = a.rls_delta + S.lam
    mean = (a.rls_delta * S.init + S.pull) / D
    A, b = np.diag(D), D * mean
    for x, y in zip(S.X, S.Y):
        A = lam * A + np.outer(x, x)
        b = lam * b + x * y
        out.append(np.linalg.solve(A, b))
    return out


def run_spark(S):
    """Spark MLlib GradientDescent.runMiniBatchSGD per micro-batch (miniBatchFraction 1.0), SimpleUpdater for
    least squares, SquaredL2Updater for logistic regression."""
    a, w, out = S.a, S.init.copy(), []
    for b0 in range(0, len(S.Y), a.batch):
        Xb, Yb = S.X[b0:b0 + a.batch], S.Y[b0:b0 + a.batch]
        if len(Yb) == 0:
            continue
        prev = None
        for i in range(1, a.spark_iterations + 1):
            dl = np.array([dloss(a.loss, z, y) for z, y in zip(Xb @ w, Yb)])
            grad = Xb.T @ dl / len(Yb)
            step = a.lr / math.sqrt(i)
            if a.loss == "logistic":
                w = w * (1.0 - step * a.spark_reg) - step * grad
            else:
                w = w - step * grad
            conv = prev is not None and np.linalg.norm(prev - w) < a.spark_tol * max(np.linalg.norm(w), 1.0)
            prev = w
            if conv:
                break
        out.append(w.copy())
    return out


def floats(s):
    return [float(v) for v in s.split(",")]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data")
    p.add_argument("trace")
    p.add_argument("--learner", default="normalized")
    p.add_argument("--loss", default="squared")
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--power-t", type=float, default=0.5)
    p.add_argument("--initial-t", type=float, default=0.0)
    p.add_argument("--l2", type=float, default=0.0)
    p.add_argument("--l1", type=float, default=0.0)
    p.add_argument("--l2-to-base", type=float, default=0.0)
    p.add_argument("--base", type=floats)
    p.add_argument("--init", type=floats)
    p.add_argument("--warm-records", type=float, default=0.0)
    p.add_argument("--ftrl-alpha", type=float, default=0.1)
    p.add_argument("--ftrl-beta", type=float, default=1.0)
    p.add_argument("--rls-forgetting", type=float, default=1.0)
    p.add_argument("--rls-delta", type=float, default=1.0)
    p.add_argument("--spark-iterations", type=int, default=50)
    p.add_argument("--spark-reg", type=float, default=0.0)
    p.add_argument("--spark-tol", type=float, default=0.001)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--no-intercept", action="store_true")
    p.add_argument("--checkpoint-every", type=int)  # the C side's business
    p.add_argument("--tol", type=float, default=1e-10)
    p.add_argument("--label", default=None)
    a = p.parse_args()
    D = np.loadtxt(a.data, delimiter=",", ndmin=2, skiprows=0)
    S = Setup(a, D[:, 1:], D[:, 0])
    ref = np.array(globals()["run_" + a.learner](S))
    got = np.loadtxt(a.trace, ndmin=2)
    label = a.label or a.learner
    if got.shape != ref.shape:
        print(f"FAIL: {label}: trace shape {got.shape}, reference {ref.shape}")
        return 1
    err = float(np.max(np.abs(got - ref)))
    print(f"figure: {label}: max |theta_C - theta_ref| over {len(ref)} steps = {err:.3g} (tol {a.tol:g})")
    ok = err <= a.tol
    if a.learner == "ftrl":
        zeros_ref, zeros_got = ref == 0, got == 0
        diff = int(np.sum(zeros_ref != zeros_got))
        print(f"figure: {label}: exact zeros {int(zeros_ref.sum())} (ref) vs {int(zeros_got.sum())} (C), "
              f"{diff} positions differ, final zero set {np.nonzero(ref[-1] == 0)[0].tolist()}")
        ok = ok and diff == 0 and zeros_ref.sum() > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
