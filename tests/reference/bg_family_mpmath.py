#!/usr/bin/env python3
"""High-precision BG/NBD and MBG/NBD reference values for tests/models_bg_reference.rs.

Computed with mpmath (32 digits, 60 for the negative-binomial tails) straight from the
models' story, not from the hypergeometric closed forms the library evaluates:
  purchases: Poisson with rate lambda ~ Gamma(r, alpha); after each purchase (MBG/NBD: at
  the first purchase too, delta = 1) the customer drops out with probability p ~ Beta(a, b).
  Given lambda, p and being alive at 0, X(t) = min(N(t), K), K ~ Geometric(p) on {1, 2, ..},
  so E[X(t) | lambda, p] = lambda E[min(D, t)] with the death time D ~ Exp(lambda p):
  (1 - e^{-lambda p t})/p; over lambda: (1 - (alpha/(alpha + p t))^r)/p; that is
  integrated over p ~ Beta numerically (below), on ln p and ln(1 - p) so that the tiny-a,
  tiny-b and huge-a,b limits are all resolved.
  P(X(t) = n | lambda, p) = P(N = n)(1-p)^n + [n > 0] P(N >= n) p (1-p)^{n-1}; over
  lambda, P(N = n) and P(N >= n) are negative-binomial (the tail summed as 1 - sum at 60
  digits); over p, the Beta moments.
  The history (x, t_x, T) has likelihood E[(1-p)^{x+delta} lambda^x e^{-lambda T}]
  + [x+delta > 0] E[p (1-p)^{x+delta-1} lambda^x e^{-lambda t_x}]; P(alive) is the first
  term's share; given alive, lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x+delta).
  A new MBG/NBD customer is alive after the first purchase with probability 1 - p.
Run: python3 -m venv /tmp/mpvenv && /tmp/mpvenv/bin/pip install mpmath &&
     /tmp/mpvenv/bin/python tests/reference/bg_family_mpmath.py > tests/reference/bg_family.csv
(a model name as argument prints only that model's rows, without the header)
Every value is rounded once from mpmath to the nearest double (`refcommon.write_rows`).
"""
import sys

from mpmath import mp, mpf, exp, log, log1p, expm1, loggamma, beta, betainc, quad, hyp2f1

from refcommon import write_rows

mp.dps = 32

PARAMS = [
    # r, alpha, a, b: the CDNOW fit, a, b -> infinity with a/b fixed, tiny a and b, a = 1,
    # r, alpha -> infinity with r/alpha fixed, small b.
    ("0.2426", "4.4136", "0.7929", "2.4259"),
    ("0.25", "4", "8e5", "2.4e6"),
    ("0.25", "4", "8e9", "2.4e10"),
    ("0.25", "4", "1e-6", "2.4"),
    ("0.25", "4", "1e-6", "1e-6"),
    ("0.25", "4", "0.8", "1e-6"),
    ("0.5", "6", "1", "2.5"),
    ("2.5e5", "4e6", "0.8", "2.4"),
    ("1.3", "2", "3.5", "0.4"),
]
HISTORIES = [
    (0, "0", "38.86"),
    (2, "30.43", "38.86"),
    (7, "5", "52"),
    (300, "38", "39"),
    (5, "39", "39"),
    (0, "0", "0"),
    (1, "0.2", "104"),
]
HORIZONS = ["1", "39", "10000"]
NS = [0, 1, 3]


def beta_mean(a, b, g, scales):
    """E[g(p)] for p ~ Beta(a, b): the ends p < eps and 1 - p < eps by g's value there
    times their probability, the rest on u = ln p (p <= 1/2) and v = ln(1 - p)."""
    eps = mpf(2) ** -200
    lnb = loggamma(a) + loggamma(b) - loggamma(a + b)
    dens = lambda p, q: exp((a - 1) * log(p) + (b - 1) * log(q) - lnb)
    mode = (a - 1) / (a + b - 2) if a > 1 and b > 1 else mpf("0.5")
    sd = (a * b / ((a + b) ** 2 * (a + b + 1))) ** mpf("0.5")
    pts = set()
    if sd < mpf("0.05"):
        # A concentrated density: resolve its peak.
        for k in range(-40, 41):
            p = mode + k * sd
            if 0 < p < 1:
                pts.add(p)
    for s in scales:
        for j in range(-40, 41, 2):
            p = s * mpf(2) ** j
            if 0 < p < 1:
                pts.add(p)
    for k in range(1, 200, 6):
        pts.add(mpf(2) ** -k)
        pts.add(1 - mpf(2) ** -k)
    lo = sorted(log(p) for p in pts if eps < p <= mpf(1) / 2)
    hi = sorted(log(1 - p) for p in pts if eps < 1 - p <= mpf(1) / 2)
    lo = [log(eps)] + lo + [log(mpf(1) / 2)]
    hi = [log(eps)] + hi + [log(mpf(1) / 2)]
    lower = quad(lambda u: dens(exp(u), -expm1(u)) * g(exp(u)) * exp(u), sorted(set(lo)))
    upper = quad(lambda v: dens(-expm1(v), exp(v)) * g(-expm1(v)) * exp(v), sorted(set(hi)))
    # P(1 - p < eps) as P(p' < eps) for p' ~ Beta(b, a): 1 - eps would round to 1.
    ends = g(mpf(0)) * betainc(a, b, 0, eps, regularized=True) + g(mpf(1)) * betainc(
        b, a, 0, eps, regularized=True
    )
    return lower + upper + ends


def expected_alive(t, r, alpha, a, b, survive_first=False):
    """E[X(t)] of a customer alive at 0 (times 1 - p when the first purchase may end it)."""
    if t == 0:
        return mpf(0)

    def g(p):
        v = r * t / alpha if p == 0 else -expm1(-r * log1p(p * t / alpha)) / p
        return v * (1 - p) if survive_first else v

    return beta_mean(a, b, g, [alpha / t])


def nb(n, r, alpha, t):
    return exp(loggamma(r + n) - loggamma(r) - loggamma(n + 1)
               + r * log(alpha / (alpha + t)) + n * log(t / (alpha + t)))


def prob_n_alive(n, t, r, alpha, a, b):
    """P(X(t) = n) of a customer alive at 0, dropout only after purchases."""
    if t == 0:
        return mpf(1) if n == 0 else mpf(0)
    with mp.workdps(60):
        p = nb(n, r, alpha, t) * beta(a, b + n) / beta(a, b)
        if n > 0:
            tail = 1 - sum(nb(j, r, alpha, t) for j in range(n))
            p += tail * beta(a + 1, b + n - 1) / beta(a, b)
    return p


def case(model, r, alpha, a, b, x, tx, T, h, n):
    d = 1 if model == "mbgnbd" else 0
    k = r + x
    with mp.workdps(60):
        alive = beta(a, b + x + d) / beta(a, b) * (alpha + T) ** (-k)
        dead = 0
        if x + d > 0:
            dead = beta(a + 1, b + x + d - 1) / beta(a, b) * (alpha + tx) ** (-k)
        pa = alive / (alive + dead)
    r2, a2, b2 = k, alpha + T, b + x + d
    e = pa * expected_alive(h, r2, a2, a, b2)
    pn = pa * prob_n_alive(n, h, r2, a2, a, b2) + ((1 - pa) if n == 0 else 0)
    key = (model, r, alpha, a, b, h)
    if key not in NEW:
        NEW[key] = expected_alive(h, r, alpha, a, b, survive_first=(d == 1))
    return pa, e, pn, NEW[key]


NEW = {}


def check_closed_form():
    """The integral agrees with FHL's hypergeometric form where that converges well."""
    r, alpha, a, b, t = mpf("0.2426"), mpf("4.4136"), mpf("0.7929"), mpf("2.4259"), mpf(39)
    z = t / (alpha + t)
    closed = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
    got = expected_alive(t, r, alpha, a, b)
    assert abs(got / closed - 1) < mpf(10) ** -30, (got, closed)


def rows(models):
    for model in models:
        for pr in PARAMS:
            r, alpha, a, b = (mpf(v) for v in pr)
            for (x, tx, T) in HISTORIES:
                for hi, h in enumerate(HORIZONS):
                    n = NS[hi]
                    vals = case(model, r, alpha, a, b, x, mpf(tx), mpf(T), mpf(h), n)
                    yield [model, *pr, x, tx, T, h, n], vals


def main():
    check_closed_form()
    header = "model,r,alpha,a,b,x,t_x,T,h,n,p_alive,expected,p_n,new_expected".split(",")
    models = sys.argv[1:] or ["bgnbd", "mbgnbd"]
    write_rows(header if len(sys.argv) == 1 else None, rows(models))

if __name__ == "__main__":
    main()
