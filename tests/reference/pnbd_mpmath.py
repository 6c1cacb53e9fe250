#!/usr/bin/env python3
"""High-precision Pareto/NBD reference values for tests/models_pnbd_reference.rs.

Computed with mpmath (40 digits) straight from the model's story, as one-dimensional
integrals over the death time, not from the 2F1 forms the library evaluates:
  purchases: Poisson with rate lambda ~ Gamma(r, alpha); lifetime Exp(mu), mu ~ Gamma(s, beta).
  Over the gamma mixing distributions, E[lambda^x e^{-lambda u}] = G(r+x)/G(r) alpha^r
  (alpha+u)^{-(r+x)}, E[e^{-mu u}] = (beta/(beta+u))^s and E[mu e^{-mu u}] =
  s beta^s (beta+u)^{-(s+1)}, the last being the density of the death time.
  Likelihood of (x, t_x, T): alive at T, E[lambda^x e^{-lambda T}] E[e^{-mu T}], plus died at
  tau in (t_x, T): the integral over tau of E[lambda^x e^{-lambda tau}] E[mu e^{-mu tau}].
  P(alive) is the first term's share. Given alive at T, lambda ~ Gamma(r+x, alpha+T) and
  mu ~ Gamma(s, beta+T), independent.
  E[X(h) | alive at 0] = E[lambda] * integral_0^h E[e^{-mu u}] du.
  P(X(h) = n | alive at 0) = E[e^{-mu h}] NB(n; h) + integral_0^h s beta^s (beta+u)^{-(s+1)}
  NB(n; u) du, NB(n; u) the negative binomial law of Poisson(lambda u) over lambda.
The integrals are split at points geometric in the distance from their lower end (the
integrands vary on the scales of alpha, beta and (alpha+t_x)/(r+x)) and done by tanh-sinh;
`--check` recomputes every value by Gauss-Legendre on the same pieces and, for P(alive) and
the expectation, compares with mpmath's own hyp2f1 closed forms where they are defined.
`--dert` prints instead the discounted expected residual transactions of a customer alive at
T, E[lambda] times the integral over u of e^{-delta u} E[e^{-mu u}], checked against
mpmath's hyperu closed form (b^s delta^(s-1) U(s, s, delta b)) where s <= 100.
Run: python3 -m venv /tmp/mpvenv && /tmp/mpvenv/bin/pip install mpmath &&
     /tmp/mpvenv/bin/python tests/reference/pnbd_mpmath.py > tests/reference/pnbd.csv &&
     /tmp/mpvenv/bin/python tests/reference/pnbd_mpmath.py --dert > tests/reference/pnbd_dert.csv
Every value is rounded once from mpmath to the nearest double (`refcommon.write_rows`).
"""
import sys

from mpmath import mp, mpf, exp, log, log1p, loggamma, quad, hyperu, inf

from refcommon import write_rows

mp.dps = 40
METHOD = "tanh-sinh"

PARAMS = [
    # r, alpha, s, beta: the CDNOW fit, s, beta -> infinity with s/beta fixed (1e6, 1e10),
    # r, alpha -> infinity with r/alpha fixed, both at once, tiny s, s = 1 exactly (the
    # expectation's special case), tiny r, alpha > beta with s > 1.
    ("0.5534", "10.5802", "0.6061", "11.6562"),
    ("0.55", "10.5", "1e6", "2e7"),
    ("0.55", "10.5", "1e10", "2e11"),
    ("2.5e5", "4e6", "0.6", "11.7"),
    ("2.5e5", "4e6", "1e6", "2e7"),
    ("0.55", "10.5", "1e-6", "11.7"),
    ("0.55", "10.5", "1", "11.7"),
    ("1e-6", "10", "0.6", "11.7"),
    ("1.3", "2", "3.5", "0.4"),
]
HISTORIES = [
    (0, "0", "38.86"),
    (2, "30.43", "38.86"),
    (7, "5", "52"),
    (300, "38", "39"),
    (450, "10", "78"),
    (5, "39", "39"),
    (0, "0", "0"),
    (1, "0.2", "104"),
]
HORIZONS = ["1", "39", "10000"]
NS = [0, 1, 3]


def pieces(lo, hi, scales):
    """Break points for an integral over [lo, hi]: geometric in the distance from lo."""
    pts = {lo, hi}
    width = hi - lo
    for sc in scales:
        for j in range(-30, 31, 2):
            d = sc * mpf(2) ** j
            if 0 < d < width:
                pts.add(lo + d)
    return sorted(pts)


def integral(f, lo, hi, scales):
    if hi <= lo:
        return mpf(0)
    return quad(f, pieces(lo, hi, scales), method=METHOD)


def p_alive(r, alpha, s, beta, x, tx, T):
    k = r + x
    # Both terms over the alive one: the dead term's integrand relative to it.
    f = lambda tau: s / (beta + tau) * exp(k * log((alpha + T) / (alpha + tau))
                                           + s * log((beta + T) / (beta + tau)))
    dead = integral(f, tx, T, [(alpha + tx) / k, beta + tx, alpha + tx])
    return 1 / (1 + dead)


def mean_life(s, beta, h):
    """integral_0^h E[e^{-mu u}] du, mu ~ Gamma(s, beta)."""
    return integral(lambda u: exp(-s * log1p(u / beta)), mpf(0), h, [beta, beta / s])


def nb(n, r, alpha, u):
    if u == 0:
        return mpf(1) if n == 0 else mpf(0)
    return exp(loggamma(r + n) - loggamma(r) - loggamma(n + 1)
               + r * log(alpha / (alpha + u)) + n * log(u / (alpha + u)))


def prob_n_alive(n, h, r, alpha, s, beta):
    if h == 0:
        return mpf(1) if n == 0 else mpf(0)
    alive = exp(-s * log1p(h / beta)) * nb(n, r, alpha, h)
    dens = lambda u: s / (beta + u) * exp(-s * log1p(u / beta)) * nb(n, r, alpha, u)
    return alive + integral(dens, mpf(0), h, [beta, beta / s, alpha, alpha * n / r if n else alpha])


def case(r, alpha, s, beta, x, tx, T, h, n):
    pa = p_alive(r, alpha, s, beta, x, tx, T)
    k, a2, b2 = r + x, alpha + T, beta + T
    e = pa * k / a2 * mean_life(s, b2, h)
    pn = pa * prob_n_alive(n, h, k, a2, s, b2) + ((1 - pa) if n == 0 else 0)
    new = r / alpha * mean_life(s, beta, h)
    return pa, e, pn, new


def closed_forms(r, alpha, s, beta, x, tx, T, h):
    """FHL's P(alive) via mpmath's hyp2f1 and the expectation's closed form (s != 1)."""
    from mpmath import hyp2f1
    k = r + s + x
    if alpha >= beta:
        m, z1, z2, b = alpha, (alpha - beta) / (alpha + tx), (alpha - beta) / (alpha + T), s + 1
    else:
        m, z1, z2, b = beta, (beta - alpha) / (beta + tx), (beta - alpha) / (beta + T), r + x
    a1 = hyp2f1(k, b, k + 1, z1) / (m + tx) ** k - hyp2f1(k, b, k + 1, z2) / (m + T) ** k
    alive = 1 / ((alpha + T) ** (r + x) * (beta + T) ** s)
    pa = 1 / (1 + s / k * a1 / alive)
    b2 = beta + T
    e = pa * (r + x) / (alpha + T) * b2 / (s - 1) * (1 - (b2 / (b2 + h)) ** (s - 1))
    return pa, e


def rel(a, b):
    return abs(a - b) / max(abs(b), mpf(10) ** -30)


def check():
    """Second methods: Gauss-Legendre on the same pieces, and the closed forms (at 60 digits
    where the parameters are moderate; the closed forms cancel catastrophically in the limits)."""
    global METHOD
    worst = mpf(0)
    for pr in PARAMS:
        r, alpha, s, beta = (mpf(v) for v in pr)
        for (x, tx, T) in HISTORIES:
            for hi, h in enumerate(HORIZONS):
                args = (r, alpha, s, beta, x, mpf(tx), mpf(T), mpf(h))
                METHOD = "tanh-sinh"
                a = case(*args, NS[hi])
                METHOD = "gauss-legendre"
                b = case(*args, NS[hi])
                METHOD = "tanh-sinh"
                d = max(rel(u, v) for u, v in zip(a, b))
                worst = max(worst, d)
                if d > mpf(10) ** -20:
                    print("quadratures disagree", pr, x, tx, T, h, d, file=sys.stderr)
                if s != 1 and s < 100 and r < 100:
                    with mp.workdps(60):
                        c = closed_forms(*args)
                    dc = max(rel(a[0], c[0]), rel(a[1], c[1]))
                    if dc > mpf(10) ** -20:
                        print("closed form disagrees", pr, x, tx, T, h, dc, file=sys.stderr)
    print("worst quadrature disagreement", mp.nstr(worst, 3), file=sys.stderr)


def rows():
    for pr in PARAMS:
        r, alpha, s, beta = (mpf(v) for v in pr)
        for (x, tx, T) in HISTORIES:
            for hi, h in enumerate(HORIZONS):
                n = NS[hi]
                vals = case(r, alpha, s, beta, x, mpf(tx), mpf(T), mpf(h), n)
                yield [*pr, x, tx, T, h, n], vals


DERT_PARAMS = PARAMS + [
    # Moderately large s, where U(s, s; z) in double precision already loses digits.
    ("0.55", "10.5", "99", "1900"),
    ("0.55", "10.5", "101", "1950"),
]
DERT_HISTORIES = [(0, "0"), (2, "38.86"), (300, "39"), (1, "104")]
DELTAS = ["0.001", "0.01", "0.2"]


def dert_alive(r, alpha, s, beta, x, T, delta):
    """DERT of a customer alive at T: E[lambda] integral_0^inf e^{-delta u} E[e^{-mu u}] du,
    lambda ~ Gamma(r+x, alpha+T), mu ~ Gamma(s, beta+T)."""
    b = beta + T
    rate = delta + s / b
    pts = {mpf(0)} | {mpf(2) ** j / rate for j in range(-10, 60, 2)}
    pts |= {b * mpf(2) ** j for j in range(-10, 30, 2)}
    f = lambda u: exp(-delta * u - s * log1p(u / b))
    life = quad(f, sorted(pts) + [inf], method=METHOD)
    if s <= 100:
        # Second method where it is well conditioned: b^s delta^(s-1) U(s, s, delta b).
        with mp.workdps(60):
            closed = b ** s * delta ** (s - 1) * hyperu(s, s, delta * b)
        assert rel(life, closed) < mpf(10) ** -25, (s, beta, T, delta, life, closed)
    return (r + x) / (alpha + T) * life


def dert_rows():
    for pr in DERT_PARAMS:
        r, alpha, s, beta = (mpf(v) for v in pr)
        for (x, T) in DERT_HISTORIES:
            for delta in DELTAS:
                yield [*pr, x, T, delta], [dert_alive(r, alpha, s, beta, x, mpf(T), mpf(delta))]


def main():
    if sys.argv[1:] == ["--check"]:
        check()
        return
    if sys.argv[1:] == ["--dert"]:
        write_rows("r,alpha,s,beta,x,T,delta,dert_if_alive".split(","), dert_rows())
        return
    write_rows("r,alpha,s,beta,x,t_x,T,h,n,p_alive,expected,p_n,new_expected".split(","), rows())

if __name__ == "__main__":
    main()
