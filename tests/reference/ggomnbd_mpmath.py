#!/usr/bin/env python3
"""High-precision GGom/NBD reference values for tests/models_ggomnbd.rs.

Computed straight from the model's definition (Bemmaor & Glady 2012), in the lifetime
variable tau, with mpmath at 40 digits:
  S(t) = (beta/(beta + e^{bt} - 1))^s,  f = -S',  A = Gamma(r+x) alpha^r / Gamma(r)
  L = A [ S(T) (alpha+T)^{-(r+x)} + int_{t_x}^{T} f(tau) (alpha+tau)^{-(r+x)} dtau ]
  P(alive) = A S(T) (alpha+T)^{-(r+x)} / L
  E[purchases in h] = P(alive) (r+x)/(alpha+T) int_0^h S(T+u)/S(T) du
  P(N(h) = n) = P(alive) [S(T+h)/S(T) NB(n; h) + int_0^h f(T+u)/S(T) NB(n; u) du]
                + (1 - P(alive)) [n == 0],
  NB(n; u) = Gamma(r'+n)/(Gamma(r') n!) (alpha'/(alpha'+u))^{r'} (u/(alpha'+u))^n,
  r' = r+x, alpha' = alpha+T.
Run: python3 -m venv /tmp/mpvenv && /tmp/mpvenv/bin/pip install mpmath &&
     /tmp/mpvenv/bin/python tests/reference/ggomnbd_mpmath.py
It prints one Rust array literal of (params, x, t_x, T, h, n, LL, P(alive), E, P(n)), each
value rounded once from 40 digits to the nearest double (shortest round-trip form).
"""
from mpmath import mp, mpf, exp, log, loggamma, quad, linspace

mp.dps = 40

PARAMS = [
    # r, alpha, b, s, beta
    (mpf("0.55"), mpf("10.58"), mpf("0.05"), mpf("0.6"), mpf("2.0")),
    (mpf("1.2"), mpf("5"), mpf("1.5"), mpf("0.3"), mpf("30")),
    (mpf("0.55"), mpf("10.58"), mpf("0.0001"), mpf("0.6"), mpf("0.0012")),
]
HISTORIES = [
    (0, mpf(0), mpf("38.86")),
    (2, mpf("30.43"), mpf("38.86")),
    (7, mpf("5"), mpf("52")),
    (50, mpf("38"), mpf("39")),
    (1, mpf("0.2"), mpf("104")),
]
H = mpf(39)
N = 2


def points(a, c, k):
    """Breakpoints on [a, c], dense near a where (alpha+tau)^-(r+x) is steep."""
    pts = set(linspace(a, c, 41))
    w = mpf(1) / k
    while a + w < c:
        pts.add(a + w)
        w *= 2
    return sorted(pts)


def case(r, alpha, b, s, beta, x, tx, t):
    k = r + x
    S = lambda u: (beta / (beta + exp(b * u) - 1)) ** s
    f = lambda u: b * s * beta**s * exp(b * u) / (beta + exp(b * u) - 1) ** (s + 1)
    lnA = loggamma(r + x) - loggamma(r) + r * log(alpha)
    alive = S(t) * (alpha + t) ** (-k)
    dead = 0
    if tx < t:
        g = lambda u: f(u) * (alpha + u) ** (-k)
        dead = quad(g, points(tx, t, k / (alpha + tx) + b * 5))
    ll = lnA + log(alive + dead)
    pa = alive / (alive + dead)
    st = S(t)
    life = quad(lambda u: S(t + u) / st, points(0, H, b * 5 + 1))
    e = pa * k / (alpha + t) * life
    rp, ap = k, alpha + t
    lnc = loggamma(rp + N) - loggamma(rp) - loggamma(N + 1)
    nb = lambda u: exp(lnc + rp * log(ap / (ap + u)) + N * log(u / (ap + u))) if u > 0 else mpf(0)
    cond = S(t + H) / st * nb(H) + quad(lambda u: f(t + u) / st * nb(u), points(0, H, b * 5 + 1))
    pn = pa * cond
    return ll, pa, e, pn


def d(v):
    """The double nearest to v, in its shortest round-trip form."""
    return repr(float(v))


def main():
    print("const MPMATH: [Reference; %d] = ["
          % (len(PARAMS) * len(HISTORIES)))
    for p in PARAMS:
        for (x, tx, t) in HISTORIES:
            ll, pa, e, pn = case(*p, x, tx, t)
            ps = ", ".join(mp.nstr(v, 17) for v in p)
            print("    ([%s], %s.0, %s, %s, %s, %d, %s, %s, %s, %s)," % (
                ps, x, mp.nstr(tx, 17), mp.nstr(t, 17), mp.nstr(H, 17), N,
                d(ll), d(pa), d(e), d(pn)))
    print("];")


if __name__ == "__main__":
    main()
