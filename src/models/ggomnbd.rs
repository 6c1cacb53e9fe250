//! Gamma-Gompertz/NBD (Bemmaor & Glady 2012, "Modeling purchasing behavior with sudden
//! 'death': a flexible customer lifetime model", Management Science 58(5), 1012–1021).
//!
//! Purchasing is Poisson with rate λ ~ Gamma(r, α) while alive. A customer's lifetime τ has
//! the Gompertz hazard b·η·e^{bt} with η ~ Gamma(s, β) (rate β), independent of λ, so that
//! S(t | η) = exp(−η(e^{bt} − 1)) and the population survival is
//! S(t) = (β/(β + e^{bt} − 1))^s (CLVTools' parameterisation: r, alpha, b, s, beta).
//! As b → 0 with β/b fixed the lifetime becomes exponential with a Gamma(s, β/b) rate:
//! Pareto/NBD is the limit.
//!
//! Likelihood (from the definition, integrating λ out): with A = Γ(r+x) α^r / Γ(r),
//! L = A [ S(T) (α+T)^{−(r+x)} + ∫_{t_x}^{T} f(τ) (α+τ)^{−(r+x)} dτ ], f = −S'.
//! The integral is taken in y = −ln S(τ)/s = ln((β + e^{bτ} − 1)/β), where f(τ)dτ = s e^{−sy}dy
//! and τ(y) = ln(1 + β(e^y − 1))/b: the integrand s e^{−sy}(α+τ(y))^{−(r+x)} is then
//! monotone, decays at least like e^{−sy}, and has no e^{bτ} to overflow. It is split as
//! J(x, t_x) − J(x, T) with J(x, t) = ∫_{y(t)}^{∞}, J(x, T) ≤ S(T)(α+T)^{−(r+x)}, so the
//! difference loses no more than the quadrature's relative accuracy on the whole bracket,
//! and J is tabulated on the data's distinct (x, t_x) and (x, T) pairs. The gradient
//! differentiates under the integral sign (the same quadrature points) plus the moving
//! lower limit y(t).
//!
//! Given the history and being alive at T, λ ~ Gamma(r+x, α+T) and η ~ Gamma(s, β+e^{bT}−1)
//! independently; the residual lifetime then has survival
//! ((β + e^{bT} − 1)/(β + e^{b(T+u)} − 1))^s = e^{−s(y(T+u) − y(T))}. Predictions are in
//! `ggomnbd/predict.rs`, the quadrature in `ggomnbd/quad.rs`.
//!
//! Reference values used by the tests: CLVTools 0.12.1,
//! `tests/testthat/test_correctness_ggomnbd.R` (CDNOW, estimation split 1997-09-30):
//! r = 0.55313, alpha = 10.5758, b = 0.0000011, s = 0.60682, beta = 0.000013,
//! LL = −9594.9762; Bemmaor & Glady (2012), Table 2 (quoted in the same file):
//! r = 0.553, alpha = 10.578, b = 0.0002, s = 0.603, beta = 0.0026, LL = −9594.98.

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::common::{data_scale, positive_params};
use super::data::RfmData;
use super::pattern_sum::{PatternTables, single_pattern, weighted_likelihood_sum};
use super::{DrawWindow, Model, TransactionModel};
use crate::error::Result;
use crate::math::gamma::{digamma_diff, ln_gamma_shift};
use crate::math::log_space::{ln_expm1, softplus};
use crate::math::panels::{doubling_points, integrate};

mod predict;
#[cfg(test)]
mod tests;

/// Gamma-Gompertz/NBD parameters: purchase rates ~ Gamma(r, alpha); lifetimes with
/// Gompertz hazard b·η·e^{bt}, η ~ Gamma(s, beta).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GgomNbd {
    pub(crate) r: f64,
    pub(crate) alpha: f64,
    pub(crate) b: f64,
    pub(crate) s: f64,
    pub(crate) beta: f64,
}

validated_parameters!(GgomNbd {
    r,
    alpha,
    b,
    s,
    beta
});

/// Relative accuracy asked of the likelihood's integrals (on the pessimistic 10-point
/// estimate; the 20-point values are typically accurate to ~1e-15).
const LL_REL_TOL: f64 = 1e-12;
/// Panel cap of one integral.
const MAX_PANELS: usize = 400;

/// ln of one J(x, t) and d ln J/d(r, α, b, s, β).
#[derive(Debug, Clone, Copy)]
struct Tail {
    ln: f64,
    d: [f64; 5],
}

/// A log term and its gradient in (r, α, b, s, β).
type Term = (f64, [f64; 5]);

/// A customer's log-likelihood, its gradient and P(alive at T).
struct Pieces {
    ll: f64,
    grad: [f64; 5],
    p_alive: f64,
}

impl GgomNbd {
    /// y(t) = ln((β + e^{bt} − 1)/β) = −ln S(t)/s, with dy/db and dy/dβ.
    pub(crate) fn y_of(&self, t: f64) -> (f64, f64, f64) {
        if t <= 0.0 {
            return (0.0, 0.0, 0.0);
        }
        let bt = self.b * t;
        let lb = self.beta.ln();
        let y = softplus(ln_expm1(bt) - lb);
        // e^{bt} − 1 + β = β e^y.
        let dy_db = t * (bt - lb - y).exp();
        let dy_dbeta = (-y).exp_m1() / self.beta;
        (y, dy_db, dy_dbeta)
    }

    /// τ(y) = ln(1 + β(e^y − 1))/b, the inverse of [`GgomNbd::y_of`], with b·τ.
    pub(crate) fn tau_of(&self, y: f64) -> (f64, f64) {
        let bt = softplus(self.beta.ln() + ln_expm1(y));
        (bt / self.b, bt)
    }

    /// τ(y), bτ and dτ/dβ = (e^y − 1)/(b e^{bτ}) for the likelihood's integrands, with
    /// e^{bτ} = 1 + β(e^y − 1) formed directly while finite: one expm1 and one ln_1p, where
    /// the log-space form of [`GgomNbd::tau_of`] needs five transcendental calls (they are
    /// most of a fit's time). Beyond overflow, the log-space form.
    fn tau_with_dbeta(&self, y: f64) -> (f64, f64, f64) {
        let em1 = y.exp_m1();
        let z = self.beta * em1;
        if z.is_finite() {
            let bt = z.ln_1p();
            return (bt / self.b, bt, em1 / (self.b * (1.0 + z)));
        }
        let (tau, bt) = self.tau_of(y);
        (tau, bt, (ln_expm1(y) - bt).exp() / self.b)
    }

    /// dτ/dy = β e^y/(b e^{bτ}).
    pub(crate) fn dtau_dy(&self, y: f64, bt: f64) -> f64 {
        (self.beta.ln() + y - bt).exp() / self.b
    }

    /// ln[S(T)(1+T/α)^{−(r+x)}] and its gradient. The factor α^{−(r+x)} is moved into
    /// [`GgomNbd::base`] (as in `pnbd.rs`): written as α^r (α+T)^{−(r+x)} the two logarithms
    /// reach ~1e10 when r, α → ∞ (homogeneous purchasing) and their difference keeps only
    /// ~1e-6 of its digits, noise on which the line search stalls for hundreds of iterations.
    fn alive_term(&self, x: f64, t: f64) -> Term {
        let (y, dy_db, dy_dbeta) = self.y_of(t);
        let k = self.r + x;
        let l = (t / self.alpha).ln_1p();
        (
            -self.s * y - k * l,
            [
                -l,
                k * t / (self.alpha * (self.alpha + t)),
                -self.s * dy_db,
                -y,
                -self.s * dy_dbeta,
            ],
        )
    }

    /// ln Γ(r+x) − ln Γ(r) − x ln α and its gradient, by the differenced Stirling series
    /// for large r (a difference of two ln Γ near 1e10 would keep ~6 digits).
    fn base(&self, x: f64) -> Term {
        (
            ln_gamma_shift(self.r, x) - x * self.alpha.ln(),
            [digamma_diff(self.r, x), -x / self.alpha, 0.0, 0.0, 0.0],
        )
    }

    /// J(x, t) = ∫_{y(t)}^{∞} s e^{−sy} (1 + τ(y)/α)^{−(r+x)} dy and d ln J (when asked);
    /// α^{−(r+x)} is in [`GgomNbd::base`].
    fn tail(&self, x: f64, t: f64, want_grad: bool) -> Option<Tail> {
        let GgomNbd { r, alpha, b, s, .. } = *self;
        let k = r + x;
        let (y0, dy0_db, dy0_dbeta) = self.y_of(t);
        let phi0 = -s * y0 - k * (t / alpha).ln_1p();
        // ln of the integrand relative to its value at y0, without forming k·ln(α+τ): for
        // large r and α that is ~1e8 and its difference from phi0 would keep only ~1e-8 of
        // precision, noise that no quadrature tolerance can meet.
        // ln(1 + (τ−t)/(α+t)) = ln(1 + τ/α) − ln(1 + t/α).
        let q = |tau: f64| ((tau - t) / (alpha + t)).ln_1p();
        let l_t = (t / alpha).ln_1p();
        let phi = |y: f64| -s * (y - y0) - k * q(self.tau_of(y).0);
        let (_, bt0) = self.tau_of(y0);
        // Decay rate of the integrand at y0; it is at least s everywhere.
        let rate = s + k * self.dtau_dy(y0, bt0) / (alpha + t);
        // Beyond a point where the integrand has fallen by `drop` the rest is below
        // e^{−drop}/s of it, negligible against the first panel's ~1/rate.
        let drop = 45.0 + (rate / s).ln().max(0.0);
        let ln_f = |y: f64| phi(y);
        let mut breaks = vec![y0];
        breaks.extend(doubling_points(y0, f64::INFINITY, 2.0 / rate, &ln_f, drop));
        let integrand = |y: f64| {
            let (tau, _, dtau_dbeta) = self.tau_with_dbeta(y);
            let qy = q(tau);
            let f = (-s * (y - y0) - k * qy).exp();
            if !want_grad {
                return [f, 0.0, 0.0, 0.0, 0.0, 0.0];
            }
            let l = l_t + qy;
            let ka = k / (alpha + tau);
            // d/dα of −k ln(1 + τ/α) = k τ/(α(α+τ)), formed without cancellation.
            [
                f,
                -f * l,
                f * ka * tau / alpha,
                f * ka * tau / b,
                -f * y,
                -f * ka * dtau_dbeta,
            ]
        };
        let v = integrate(&integrand, &breaks, LL_REL_TOL, 0.0, MAX_PANELS);
        if !(v[0] > 0.0 && v.iter().all(|c| c.is_finite())) {
            return None;
        }
        let ln = s.ln() + phi0 + v[0].ln();
        let mut d = [0.0; 5];
        if want_grad {
            // The lower limit moves with b and β; the integrand there is 1 (scaled).
            d = [
                v[1] / v[0],
                v[2] / v[0],
                (v[3] - dy0_db) / v[0],
                1.0 / s + v[4] / v[0],
                (v[5] - dy0_dbeta) / v[0],
            ];
        }
        ln.is_finite().then_some(Tail { ln, d })
    }

    /// Combines base, alive term and the two J's into a customer's pieces (`None` for the
    /// J's when t_x = T, where the dead part vanishes).
    fn combine(base: &Term, alive: &Term, js: Option<(&Tail, &Tail)>, want_grad: bool) -> Pieces {
        let (lb, db) = base;
        let (la, da) = alive;
        let Some((jx, jt)) = js else {
            return Pieces {
                ll: lb + la,
                grad: std::array::from_fn(|i| if want_grad { db[i] + da[i] } else { 0.0 }),
                p_alive: 1.0,
            };
        };
        let mx = la.max(jx.ln);
        let (ea, ex, et) = ((la - mx).exp(), (jx.ln - mx).exp(), (jt.ln - mx).exp());
        // J(t_x) − J(T) ≥ 0; computed relative to J(t_x) to keep its digits.
        let dead = (ex * -(jt.ln - jx.ln).exp_m1()).max(0.0);
        let h = ea + dead;
        let mut grad = [0.0; 5];
        if want_grad {
            for i in 0..5 {
                grad[i] = db[i] + (ea * da[i] + ex * jx.d[i] - et * jt.d[i]) / h;
            }
        }
        Pieces {
            ll: lb + mx + h.ln(),
            grad,
            p_alive: (ea / h).clamp(0.0, 1.0),
        }
    }

    /// One customer's pieces, computed afresh.
    fn pieces(&self, x: f64, t_x: f64, t: f64, want_grad: bool) -> Option<Pieces> {
        let base = self.base(x);
        let alive = self.alive_term(x, t);
        if t_x >= t {
            return Some(Self::combine(&base, &alive, None, want_grad));
        }
        let jx = self.tail(x, t_x, want_grad)?;
        let jt = self.tail(x, t, want_grad)?;
        let p = Self::combine(&base, &alive, Some((&jx, &jt)), want_grad);
        p.ll.is_finite().then_some(p)
    }

    /// The log-likelihood of one customer (`None` where not computable).
    pub fn customer_log_likelihood(&self, x: f64, t_x: f64, t: f64) -> Option<f64> {
        self.pieces(x, t_x, t, false).map(|p| p.ll)
    }

    /// Log-likelihood and gradient over all patterns; J is tabulated on the distinct
    /// (x, t_x) and (x, T) pairs, in parallel.
    fn evaluate(&self, d: &RfmData, want_grad: bool) -> Term {
        let one = |x, t_x, t| self.pieces(x, t_x, t, want_grad).map(|p| (p.ll, p.grad));
        if let Some(value) = single_pattern(d, one) {
            return value;
        }
        // J at t_x is needed only where some customer with that pair has t_x < T.
        let tables = PatternTables::new(
            d,
            |x| self.base(x),
            |x, t| (self.alive_term(x, t), self.tail(x, t, want_grad)),
            |x, t_x, needed| needed.then(|| self.tail(x, t_x, want_grad)).flatten(),
        );
        weighted_likelihood_sum(d, |i| {
            let (base, (alive, jt), at_tx) = tables.of(i);
            let pieces = if d.t_x[i] >= d.t[i] {
                Some(Self::combine(base, alive, None, want_grad))
            } else {
                match (at_tx, jt) {
                    (Some(jx), Some(jt)) => {
                        Some(Self::combine(base, alive, Some((jx, jt)), want_grad))
                            .filter(|p| p.ll.is_finite())
                    }
                    _ => None,
                }
            };
            pieces.map(|p| (p.ll, p.grad))
        })
    }

    /// Population lifetime quantile: the τ with S(τ) = u, for u in (0, 1]
    /// (u = 0 gives +∞). A uniform u gives a draw of the population lifetime.
    pub fn simulate_lifetime(&self, u: f64) -> f64 {
        if u <= 0.0 {
            return f64::INFINITY;
        }
        // S(τ) = e^{−s y(τ)}.
        let y = -u.min(1.0).ln() / self.s;
        self.tau_of(y).0
    }

    /// Simulates `n` customers observed for `t` periods since their first purchase:
    /// (x, t_x, T) each, from a seeded generator (reproducible for a given seed), through the
    /// model's one generative story, [`TransactionModel::draw_repeat_purchases`].
    pub fn simulate(&self, n: usize, t: f64, seed: u64) -> Result<Vec<(f64, f64, f64)>> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let times = self.draw_repeat_purchases(
                    &mut rng,
                    DrawWindow {
                        end: t,
                        ..Default::default()
                    },
                )?;
                Ok((times.len() as f64, times.last().copied().unwrap_or(0.0), t))
            })
            .collect()
    }
}

impl Model for GgomNbd {
    type Data = RfmData;
    const NAME: &'static str = "ggomnbd";
    const PARAM_NAMES: &'static [&'static str] = &["r", "alpha", "b", "s", "beta"];
    /// Every evaluation is a quadrature per pattern pair: on homogeneous data (r, α → ∞,
    /// b → 0 with s, β → ∞) the crawl along the flat ridge took ~70 of a fit's ~150.
    const STOP_ON_FLAT_BOUNDARY: bool = true;

    fn from_params(params: &[f64]) -> Result<Self> {
        let [r, alpha, b, s, beta] = positive_params::<5>(Self::NAME, params)?;
        Ok(GgomNbd {
            r,
            alpha,
            b,
            s,
            beta,
        })
    }

    fn params(&self) -> Vec<f64> {
        vec![self.r, self.alpha, self.b, self.s, self.beta]
    }

    likelihood_via_evaluate!();

    /// Pareto/NBD-like starts (b tiny, β = b × a Pareto/NBD β, so the fit can reach the
    /// nested optimum), and starts where the Gompertz shape matters (e^{bT} ≈ e at the
    /// mean age).
    fn initial_guesses(d: &RfmData) -> Vec<Vec<f64>> {
        let (mx, mt) = data_scale(d);
        let mut starts = Vec::new();
        for &b in &[1e-4 / mt, 1.0 / mt] {
            for &(r, s, bf) in &[(0.5, 0.5, 1.0), (1.0, 1.0, 1.0), (0.3, 1.5, 2.0)] {
                // β/b plays Pareto/NBD's β when b is small.
                let beta = if b * mt < 0.01 { b * bf * mt } else { bf };
                starts.push(vec![r, r * mt / mx, b, s, beta]);
            }
        }
        starts
    }
}
