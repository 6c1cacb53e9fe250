#!/usr/bin/env python3
"""High-precision BG/BB reference values for tests/models_bgbb_reference.rs.

Computed with mpmath (60 digits: the log-gammas of parameters near 1e10 are ~2e11 and
their differences keep 45 digits) straight from the model's story, as explicit sums over
the opportunities, not from the telescoped forms the library uses for long horizons:
  a customer alive at an opportunity transacts with probability p ~ Beta(alpha, beta); before
  each opportunity (the first too) it dies with probability theta ~ Beta(gamma, delta), so it
  is alive at opportunities 1..k with probability (1 - theta)^k.
  E[p^a (1-p)^b] and E[theta^c (1-theta)^d] are Beta-function ratios.
  Likelihood of (x, t_x, n): alive through n, plus dead after opportunity t_x + i for
  i = 0..n-t_x-1. P(alive at n+1) is the alive-through-n+1 term over the likelihood.
  E[transactions at n+1..n+h | history] = sum over k of E[p^{x+1}(1-p)^{n-x}]
  E[(1-theta)^{n+k}] over the likelihood.
  New customer: E[X(n)] = sum over k <= n of E[p] E[(1-theta)^k]; P(X(n) = x) = alive
  through n with x of n, plus dead after i (x <= i < n) with x of i.
The grid (every parameter set by every history and horizon, then by the LONG rows) reaches
horizons and histories of 10,000 opportunities; the sums are explicit there too (about 11
minutes for the table).
Run: python3 -m venv /tmp/mpvenv && /tmp/mpvenv/bin/pip install mpmath &&
     /tmp/mpvenv/bin/python tests/reference/bgbb_mpmath.py > tests/reference/bgbb.csv
Every value is rounded once from mpmath to the nearest double (`refcommon.write_rows`).
"""
from mpmath import mp, mpf, exp, loggamma, binomial, log

from refcommon import write_rows

mp.dps = 60

PARAMS = [
    # alpha, beta, gamma, delta: the donation fit, alpha, beta -> infinity with alpha/beta
    # fixed (1e6, 1e10), tiny alpha, beta, gamma, delta -> infinity, tiny gamma, delta.
    ("1.204", "0.750", "0.657", "2.783"),
    ("1.2e6", "7.5e5", "0.657", "2.783"),
    ("1.2e10", "7.5e9", "0.657", "2.783"),
    ("1e-6", "1e-6", "0.657", "2.783"),
    ("1.204", "0.750", "6.57e5", "2.783e6"),
    ("1.204", "0.750", "6.57e9", "2.783e10"),
    ("1.204", "0.750", "1e-6", "1e-6"),
    ("1.204", "0.750", "1e-6", "2.783"),
]
HISTORIES = [(0, 0, 6), (3, 5, 6), (6, 6, 6), (1, 1, 6), (0, 0, 0), (200, 400, 500), (450, 500, 500)]
HORIZONS = [1, 10, 1000]
XS = [0, 1, 3]
# Long horizons and long, heavy histories (#11 item 1), every parameter set each:
# (x, t_x, n, h, x_new) with h and n up to 10,000 and new customers with up to 9,990
# transactions. The library sums the survival directly up to 10,000 opportunities and
# telescopes above, so 10,000 is the last direct sum and 10,001 the first telescoped one.
LONG = [
    (1, 1, 6, 10000, 0),
    (200, 400, 500, 10000, 7),
    (0, 0, 10000, 10, 2),
    (2000, 9000, 10000, 10000, 4000),
    (9990, 10000, 10000, 10001, 9990),
]


def lnb(a, b):
    return loggamma(a) + loggamma(b) - loggamma(a + b)


def case(al, be, ga, de, x, tx, n, h, xn):
    ep = lambda a, b: exp(lnb(al + a, be + b) - lnb(al, be))
    eq = lambda c, d: exp(lnb(ga + c, de + d) - lnb(ga, de))
    alive = ep(x, n - x) * eq(0, n)
    lik = alive + sum(ep(x, tx - x + i) * eq(1, tx + i) for i in range(n - tx))
    pa = ep(x, n - x) * eq(0, n + 1) / lik
    e = ep(x + 1, n - x) * sum(eq(0, n + k) for k in range(1, h + 1)) / lik
    mean_p = al / (al + be)
    new = mean_p * sum(eq(0, k) for k in range(1, h + 1))
    pn = 0
    if xn <= h:
        pn = binomial(h, xn) * ep(xn, h - xn) * eq(0, h) + sum(
            binomial(i, xn) * ep(xn, i - xn) * eq(1, i) for i in range(xn, h))
    return pa, e, new, pn


def rows():
    for pr in PARAMS:
        al, be, ga, de = (mpf(v) for v in pr)
        for (x, tx, n) in HISTORIES:
            for hi, h in enumerate(HORIZONS):
                xn = XS[hi]
                yield [*pr, x, tx, n, h, xn], case(al, be, ga, de, x, tx, n, h, xn)
        for (x, tx, n, h, xn) in LONG:
            yield [*pr, x, tx, n, h, xn], case(al, be, ga, de, x, tx, n, h, xn)


def main():
    header = "alpha,beta,gamma,delta,x,t_x,n,h,x_new,p_alive,expected,new_expected,p_x_new"
    write_rows(header.split(","), rows())

if __name__ == "__main__":
    main()
