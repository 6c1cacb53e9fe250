#!/usr/bin/env python3
"""High-precision GGom/NBD reference values for tests/models_ggomnbd_reference.rs.

Computed straight from the model's definition (Bemmaor & Glady 2012), in the lifetime
variable tau (not in y = -ln S/s, the variable the library integrates in), with mpmath at
40 digits:
  S(t) = (beta/(beta + e^{bt} - 1))^s,  f = -S',  A = Gamma(r+x) alpha^r / Gamma(r)
  L = A [ S(T) (alpha+T)^{-(r+x)} + int_{t_x}^{T} f(tau) (alpha+tau)^{-(r+x)} dtau ]
  P(alive) = A S(T) (alpha+T)^{-(r+x)} / L
  E[purchases in h] = P(alive) (r+x)/(alpha+T) int_0^h S(T+u)/S(T) du
  P(N(h) = n) = P(alive) [S(T+h)/S(T) NB(n; h) + int_0^h f(T+u)/S(T) NB(n; u) du]
                + (1 - P(alive)) [n == 0],
  NB(n; u) = Gamma(r'+n)/(Gamma(r') n!) (alpha'/(alpha'+u))^{r'} (u/(alpha'+u))^n,
  r' = r+x, alpha' = alpha+T; a new customer's E[X(h)] is the expectation at x = T = 0.
Ratios such as S(T+u)/S(T) are formed as exp(-s [ln(beta + e^{b(T+u)} - 1) - ln(beta +
e^{bT} - 1)]) from 40-digit logarithms, which keeps ~25 digits even at s = 1e10.
The grid reaches the limits fits run into: b -> 0 with beta/b fixed (the Pareto/NBD
boundary, where CDNOW fits land: b = 1.1e-6, 1e-9), s, beta -> infinity with s/beta fixed
(1e6, 1e10: the Gompertz lifetime with a fixed eta), r, alpha -> infinity (2.5e5/4e6),
tiny s, a steep Gompertz (b = 1.5), horizons of 1, 39 and 10,000 periods, heavy buyers
(x = 300), T = t_x and t_x = T = 0.
The integrals are split at points geometric in the distance from their lower end, on the
scales the integrands vary on (1/b, alpha, (alpha+t)/(r+x), the lifetime), and done by
tanh-sinh; `--check` recomputes every value by Gauss-Legendre at 50 digits and reports the
largest relative disagreement.
Run: python3 -m venv /tmp/mpvenv && /tmp/mpvenv/bin/pip install mpmath &&
     /tmp/mpvenv/bin/python tests/reference/ggomnbd_mpmath.py > tests/reference/ggomnbd.csv
(about an hour on a loaded machine; `--sets 5,6` computes only those parameter sets, without
the header, so parts can run in parallel and be concatenated in order).
Every value is rounded once from mpmath to the nearest double (`refcommon.write_rows`).
"""
import sys

from mpmath import mp, mpf, exp, log, expm1, loggamma, quad

from refcommon import write_rows

mp.dps = 40
METHOD = "tanh-sinh"

PARAMS = [
    # r, alpha, b, s, beta: moderate Gompertz shapes (the first three: the sets of the
    # earlier table), CLVTools' CDNOW estimate near the Pareto/NBD boundary, b -> 0 with
    # beta/b = 11.7, s, beta -> infinity with s/beta fixed (1e6, 1e10), r, alpha -> infinity
    # with r/alpha fixed, tiny s.
    ("0.55", "10.58", "0.05", "0.6", "2.0"),
    ("1.2", "5", "1.5", "0.3", "30"),
    ("0.55", "10.58", "0.0001", "0.6", "0.0012"),
    ("0.55313", "10.5758", "0.0000011", "0.60682", "0.000013"),
    ("0.55", "10.58", "1e-9", "0.6", "1.17e-8"),
    ("0.55", "10.58", "0.05", "1e6", "2e6"),
    ("0.55", "10.58", "0.05", "1e10", "2e10"),
    ("2.5e5", "4e6", "0.05", "0.6", "2.0"),
    ("0.55", "10.58", "0.05", "1e-6", "2.0"),
]
HISTORIES = [
    (0, "0", "38.86"),
    (2, "30.43", "38.86"),
    (7, "5", "52"),
    (50, "38", "39"),
    (300, "38", "39"),
    (1, "0.2", "104"),
    (5, "39", "39"),
    (0, "0", "0"),
]
HORIZONS = ["1", "39", "10000"]
NS = [0, 2, 3]


class Model:
    def __init__(self, r, alpha, b, s, beta):
        self.r, self.alpha, self.b, self.s, self.beta = r, alpha, b, s, beta

    def ln_d(self, t):
        """ln(beta + e^{bt} - 1), so that ln S(t) = s (ln beta - ln_d(t))."""
        return log(self.beta + expm1(self.b * t))

    def surv_ratio(self, t, u):
        """S(t + u)/S(t)."""
        return exp(-self.s * (self.ln_d(t + u) - self.ln_d(t)))

    def dens_ratio(self, t, u):
        """f(t + u)/S(t) = b s e^{b(t+u)}/(beta + e^{b(t+u)} - 1) S(t + u)/S(t)."""
        m = self
        return m.b * m.s * exp(m.b * (t + u) - m.ln_d(t + u)) * m.surv_ratio(t, u)

    def life_scale(self, t):
        """A time over which a customer alive at t dies: hazard at t, or 1/b once it grows."""
        m = self
        hazard = m.b * m.s * exp(m.b * t - m.ln_d(t))
        return 1 / (hazard + m.b)


def pieces(lo, hi, scales):
    """Break points for an integral over [lo, hi]: geometric in the distance from lo."""
    pts = {lo, hi}
    width = hi - lo
    for sc in scales:
        for j in range(-40, 41, 2):
            d = sc * mpf(2) ** j
            if 0 < d < width:
                pts.add(lo + d)
    return sorted(pts)


def integral(f, lo, hi, scales):
    if hi <= lo:
        return mpf(0)
    return quad(f, pieces(lo, hi, scales), method=METHOD)


def nb(n, r, alpha, u):
    if u == 0:
        return mpf(1) if n == 0 else mpf(0)
    return exp(loggamma(r + n) - loggamma(r) - loggamma(n + 1)
               + r * log(alpha / (alpha + u)) + n * log(u / (alpha + u)))


def history(m, x, tx, t):
    """ln L and P(alive) of (x, t_x, T)."""
    k = m.r + x
    # The dead part over the alive one: f(tau)/S(T) ((alpha+T)/(alpha+tau))^{r+x}.
    dead = integral(lambda tau: m.dens_ratio(t, tau - t) * exp(k * log((m.alpha + t) / (m.alpha + tau))),
                    tx, t, [(m.alpha + tx) / k, m.alpha + tx, 1 / m.b, m.life_scale(tx)])
    ln_alive = m.s * (log(m.beta) - m.ln_d(t)) - k * log(m.alpha + t)
    ll = loggamma(m.r + x) - loggamma(m.r) + m.r * log(m.alpha) + ln_alive + log(1 + dead)
    return ll, 1 / (1 + dead)


def new_expected(m, h):
    return m.r / m.alpha * integral(lambda u: m.surv_ratio(0, u), mpf(0), h,
                                    [1 / m.b, m.life_scale(0)])


def case(m, x, tx, t, h, n, cache):
    """(ln L, P(alive), E[X(h)], P(X(h) = n), a new customer's E[X(h)]); `cache` keeps the
    parts shared by rows of one parameter set."""
    if (x, tx, t) not in cache:
        cache[(x, tx, t)] = history(m, x, tx, t)
    if h not in cache:
        cache[h] = new_expected(m, h)
    (ll, pa), new = cache[(x, tx, t)], cache[h]
    k = m.r + x
    life_scales = [1 / m.b, m.life_scale(t)]
    life = integral(lambda u: m.surv_ratio(t, u), mpf(0), h, life_scales)
    e = pa * k / (m.alpha + t) * life
    rp, ap = k, m.alpha + t
    nb_scales = life_scales + [ap, ap * n / rp if n else ap, ap / rp]
    cond = m.surv_ratio(t, h) * nb(n, rp, ap, h) + integral(
        lambda u: m.dens_ratio(t, u) * nb(n, rp, ap, u), mpf(0), h, nb_scales)
    pn = pa * cond + ((1 - pa) if n == 0 else 0)
    return ll, pa, e, pn, new


def grid(sets=None):
    for pr in (PARAMS if sets is None else [PARAMS[i] for i in sets]):
        m, cache = Model(*(mpf(v) for v in pr)), {}
        for (x, tx, t) in HISTORIES:
            for hi, h in enumerate(HORIZONS):
                yield pr, m, cache, x, tx, t, h, NS[hi]


def rows(sets=None):
    for pr, m, cache, x, tx, t, h, n in grid(sets):
        yield [*pr, x, tx, t, h, n], case(m, x, mpf(tx), mpf(t), mpf(h), n, cache)


def check():
    """Gauss-Legendre at 50 digits on the same pieces against tanh-sinh at 40."""
    global METHOD
    worst = mpf(0)
    for pr, m, cache, x, tx, t, h, n in grid():
        args = (x, mpf(tx), mpf(t), mpf(h), n)
        METHOD = "tanh-sinh"
        a = case(m, *args, {})
        METHOD = "gauss-legendre"
        with mp.workdps(50):
            b = case(Model(*(mpf(v) for v in pr)), *args, {})
        d = max(abs(u - v) / max(abs(v), mpf(10) ** -30) for u, v in zip(a, b))
        worst = max(worst, d)
        if d > mpf(10) ** -16:
            print("quadratures disagree", pr, x, tx, t, h, mp.nstr(d, 3), file=sys.stderr)
    print("worst quadrature disagreement", mp.nstr(worst, 3), file=sys.stderr)


def main():
    if sys.argv[1:] == ["--check"]:
        check()
        return
    if sys.argv[1:2] == ["--sets"]:
        # Only the parameter sets numbered (from 0) in the comma-separated list, without the
        # header: for computing parts of the table in parallel.
        write_rows(None, rows([int(i) for i in sys.argv[2].split(",")]))
        return
    header = "r,alpha,b,s,beta,x,t_x,T,h,n,ll,p_alive,expected,p_n,new_expected"
    write_rows(header.split(","), rows())


if __name__ == "__main__":
    main()
