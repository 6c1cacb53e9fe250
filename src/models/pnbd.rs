//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987): Poisson purchasing with gamma rates
//! λ ~ Gamma(r, α), exponential lifetimes with gamma rates μ ~ Gamma(s, β).
//!
//! The likelihood follows Fader & Hardie's note on the Pareto/NBD likelihood:
//! L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^{−(r+x)} (β+T)^{−s} + s/(r+s+x) · A₀ ], where A₀ is a
//! difference of two 2F1 terms whose argument is (α−β)/(α+·) when α ≥ β and (β−α)/(β+·)
//! otherwise, so that 0 ≤ z < 1. Everything is combined in log space; the gradient
//! differentiates the 2F1 terms through their series.
//!
//! Methods by region (every one checked against `tests/reference/pnbd.csv` at 1e-8):
//! - all terms are written relative to τ = 0, Γ(r+x) α^{−x}/Γ(r) · [(1+T/α)^{−(r+x)}
//!   (1+T/β)^{−s} + ...], with ln_1p, so s, β → ∞ (1e10, 2e11) and r, α → ∞ keep their
//!   digits (the form with α^r β^s (α+T)^{−(r+x)} cancels logarithms of size s ln β);
//! - z ≤ 0.95 and a short series: each 2F1 in its Euler-transformed form 2F1(1, ·; K+1; z),
//!   whose terms fall like z^n;
//! - z near 1 (α and β far apart), heavy buyers, huge s: A₀ as its integral over the death
//!   time, by Gauss-Legendre in u = ln((α+τ)/(α+t_x)) (`pieces_by_quadrature`).
//!
//! Given the history and being alive at T, λ ~ Gamma(r+x, α+T) and μ ~ Gamma(s, β+T)
//! independently, and the future is a fresh Pareto/NBD process with those parameters.

use rand::RngCore;
use rand_distr::{Distribution, Exp, Gamma};
use statrs::function::gamma::ln_gamma;

use super::common::{data_scale, positive_params};
use super::data::RfmData;
use super::pattern_sum::{PatternTables, single_pattern, weighted_likelihood_sum};
use super::{DrawWindow, Model, TransactionModel, draw_error};
use crate::error::Result;
use crate::math::gamma::{digamma_diff, ln_gamma_shift};
use crate::math::panels::{doubling_points, integrate};
use crate::math::quadrature::{adaptive_gl, adaptive_gl_vec, decaying_gl_vec};
use crate::math::special::ln_hyp2f1;

#[path = "pnbd_score.rs"]
mod score;

/// Pareto/NBD parameters: purchase rates ~ Gamma(r, alpha), dropout rates ~ Gamma(s, beta).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParetoNbd {
    pub(crate) r: f64,
    pub(crate) alpha: f64,
    pub(crate) s: f64,
    pub(crate) beta: f64,
}

validated_parameters!(ParetoNbd { r, alpha, s, beta });

/// Largest 2F1 argument evaluated by its series: the Euler-transformed series' terms fall at
/// least like z^n, so up to ~800 terms; beyond it A₀ is integrated numerically instead.
const SERIES_MAX_Z: f64 = 0.95;

/// One pattern's log-likelihood pieces.
struct Pieces {
    /// Log-likelihood of the pattern.
    ll: f64,
    /// Gradient with respect to (r, α, s, β) (zeros unless asked for).
    grad: [f64; 4],
    /// P(alive at T | history).
    p_alive: f64,
}

/// ln[(1+τ/α)^{−(r+x)} (1+τ/β)^{−s}] and its gradient in (r, α, s, β): the "alive at τ"
/// factor relative to τ = 0. Written with ln_1p, so s ln(1+τ/β) keeps its digits when s and β
/// are huge (s = 1e10, β = 2e11: s ln β is 2.6e11 and the plain difference of logs keeps
/// ~1e-5 absolute, the whole error of P(alive) there before this form).
fn alive_factor(p: &ParetoNbd, x: f64, tau: f64) -> (f64, [f64; 4]) {
    let ParetoNbd { r, alpha, s, beta } = *p;
    let (la, lb) = ((tau / alpha).ln_1p(), (tau / beta).ln_1p());
    (
        -(r + x) * la - s * lb,
        [
            -la,
            (r + x) * tau / (alpha * (alpha + tau)),
            -lb,
            s * tau / (beta * (beta + tau)),
        ],
    )
}

/// One of the two 2F1 terms of A₀ times α^{r+x} β^s, ln[α^{r+x} β^s 2F1(K, B; K+1; z)/(m+τ)^K],
/// and its derivatives with respect to (r, α, s, β). Euler's transformation
/// 2F1(K, B; K+1; z) = (1−z)^{1−B} 2F1(1, K+1−B; K+1; z), with 1 − z the ratio of β+τ and
/// α+τ, turns the term into the alive factor at τ times 2F1(1, K+1−B; K+1; z) (times
/// (α+τ)/(β+τ) when α < β): no large logarithms to cancel, and a series whose terms fall
/// at least like z^n.
fn a0_term(p: &ParetoNbd, x: f64, tau: f64) -> Option<(f64, [f64; 4])> {
    let ParetoNbd { r, alpha, s, beta } = *p;
    let k = r + s + x;
    let (value, mut g) = alive_factor(p, x, tau);
    if alpha >= beta {
        // 2F1(1, r+x; K+1; z), z = (α−β)/(α+τ).
        let z = (alpha - beta) / (alpha + tau);
        let h = ln_hyp2f1(1.0, r + x, k + 1.0, z).ok()?;
        let dz_da = (beta + tau) / ((alpha + tau) * (alpha + tau));
        let dz_db = -1.0 / (alpha + tau);
        g[0] += h.d_b + h.d_c;
        g[1] += h.d_z * dz_da;
        g[2] += h.d_c;
        g[3] += h.d_z * dz_db;
        Some((value + h.ln_abs, g))
    } else {
        // 2F1(1, s+1; K+1; z), z = (β−α)/(β+τ), and the factor (α+τ)/(β+τ) = 1 − z.
        let z = (beta - alpha) / (beta + tau);
        let h = ln_hyp2f1(1.0, s + 1.0, k + 1.0, z).ok()?;
        let dz_da = -1.0 / (beta + tau);
        let dz_db = (alpha + tau) / ((beta + tau) * (beta + tau));
        g[0] += h.d_c;
        g[1] += h.d_z * dz_da + 1.0 / (alpha + tau);
        g[2] += h.d_b + h.d_c;
        g[3] += h.d_z * dz_db - 1.0 / (beta + tau);
        let ln_ratio = (-z).ln_1p();
        Some((value + h.ln_abs + ln_ratio, g))
    }
}

/// ln of one A₀ term and its gradient in (r, α, s, β).
type A0Term = (f64, [f64; 4]);

/// The parts of a pattern's likelihood other than A₀'s two terms, borrowed from the tables:
/// the terms of x (`xf`) and ln[(1+T/α)^{−(r+x)} (1+T/β)^{−s}] with its gradient (`alive`).
#[derive(Clone, Copy)]
struct Front<'a> {
    xf: &'a XFront,
    alive: &'a AliveTerm,
}

/// ln[(1+T/α)^{−(r+x)} (1+T/β)^{−s}] and its gradient in (r, α, s, β).
type AliveTerm = (f64, [f64; 4]);

/// The terms that depend on x alone: ln[Γ(r+x) α^{−x} / Γ(r)] (`base`; the likelihood's
/// α^r β^s is carried by the other terms, each of which is relative to τ = 0) and s/(r+s+x)
/// (`sk`), each with its gradient in (r, α, s, β).
struct XFront {
    base: f64,
    dbase: [f64; 4],
    sk: f64,
    dsk: [f64; 4],
}

impl ParetoNbd {
    /// `base` and s/(r+s+x) for repeat purchases `x`; ln Γ(r+x) − ln Γ(r) as a shift, which
    /// keeps its digits for r in the millions.
    fn x_front(&self, x: f64) -> XFront {
        let ParetoNbd { r, alpha, s, .. } = *self;
        let k = r + s + x;
        XFront {
            base: ln_gamma_shift(r, x) - x * alpha.ln(),
            dbase: [digamma_diff(r, x), -x / alpha, 0.0, 0.0],
            sk: s / k,
            dsk: [-s / (k * k), 0.0, (r + x) / (k * k), 0.0],
        }
    }

    /// ln[(1+T/α)^{−(r+x)} (1+T/β)^{−s}] and its gradient.
    fn alive_term(&self, x: f64, t: f64) -> AliveTerm {
        alive_factor(self, x, t)
    }

    /// Whether A₀ at (x, t_x) is integrated numerically: where z(t_x) is so close to 1 that
    /// the series, whose terms fall like z^n, would need more than ~800 terms.
    fn needs_quadrature(&self, t_x: f64) -> bool {
        let ParetoNbd { alpha, beta, .. } = *self;
        (alpha - beta).abs() / (alpha.max(beta) + t_x) > SERIES_MAX_Z
    }

    /// One customer's pieces, everything computed afresh (predictions, single customers).
    fn pieces(&self, x: f64, t_x: f64, t: f64, want_grad: bool) -> Option<Pieces> {
        let xf = self.x_front(x);
        let alive = self.alive_term(x, t);
        let front = Front {
            xf: &xf,
            alive: &alive,
        };
        if t_x >= t {
            return Some(self.combine(front, None, want_grad));
        }
        if self.needs_quadrature(t_x) {
            return self.pieces_by_quadrature(x, t_x, t, want_grad, front);
        }
        let a0 = (a0_term(self, x, t_x)?, a0_term(self, x, t)?);
        let p = self.combine(front, Some(a0), want_grad);
        p.ll.is_finite().then_some(p)
    }

    /// The pattern's pieces from its front and A₀'s terms at t_x and at T (none when
    /// t_x = T, where A₀ = 0: the customer bought at the end of observation).
    fn combine(&self, f: Front, a0: Option<(A0Term, A0Term)>, want_grad: bool) -> Pieces {
        let (
            &XFront {
                base,
                dbase,
                sk,
                dsk,
            },
            &(b1, db1),
        ) = (f.xf, f.alive);
        let Some(((b2, db2), (b3, db3))) = a0 else {
            return Pieces {
                ll: base + b1,
                grad: if want_grad {
                    std::array::from_fn(|i| dbase[i] + db1[i])
                } else {
                    [0.0; 4]
                },
                p_alive: 1.0,
            };
        };
        let mx = b1.max(b2);
        let (e1, e2) = ((b1 - mx).exp(), (b2 - mx).exp());
        // e2 − e3 without cancellation; B₂ ≥ B₃ because A₀ is an integral of a positive function.
        let diff = (e2 * -(b3 - b2).exp_m1()).max(0.0);
        let h = e1 + sk * diff;
        let mut grad = [0.0; 4];
        if want_grad {
            let e3 = (b3 - mx).exp();
            for i in 0..4 {
                let dh = e1 * db1[i] + dsk[i] * diff + sk * (e2 * db2[i] - e3 * db3[i]);
                grad[i] = dbase[i] + dh / h;
            }
        }
        Pieces {
            ll: base + mx + h.ln(),
            grad,
            p_alive: e1 / h,
        }
    }

    /// The same pieces with s/(r+s+x) A₀ written as the integral it comes from,
    /// s ∫_{t_x}^{T} (α+τ)^{−(r+x)} (β+τ)^{−(s+1)} dτ, for arguments z so close to 1 that the
    /// 2F1 series would need too many terms. Times α^{r+x} β^s (as the other terms) it is
    /// s/(β+t_x) (α+t_x) [(1+t_x/α)^{−(r+x)} (1+t_x/β)^{−s}] I with
    /// I = ∫_0^U e^{−(r+x−1)u} (1 + ρ(e^u − 1))^{−(s+1)} du in u = ln((α+τ)/(α+t_x)),
    /// ρ = (α+t_x)/(β+t_x), U = ln(1 + (T−t_x)/(α+t_x)): the integrand decays at most
    /// exponentially and is written with expm1/ln_1p, so neither large r+x nor s near 1e10
    /// cost digits. I and its derivatives (taken in τ under the integral sign) come from
    /// Gauss-Legendre quadrature on the same points.
    fn pieces_by_quadrature(
        &self,
        x: f64,
        t_x: f64,
        t: f64,
        want_grad: bool,
        front: Front,
    ) -> Option<Pieces> {
        let ParetoNbd { r, alpha, s, beta } = *self;
        let (&XFront { base, dbase, .. }, &(b1, db1)) = (front.xf, front.alive);
        let (a_tx, b_tx) = (alpha + t_x, beta + t_x);
        let rho = a_tx / b_tx;
        let upper = ((t - t_x) / a_tx).ln_1p();
        let (la_tx, lb_tx) = ((t_x / alpha).ln_1p(), (t_x / beta).ln_1p());
        let integrand = |u: f64| {
            let em1 = u.exp_m1();
            let lb_rel = (rho * em1).ln_1p();
            let f = (-(r + x - 1.0) * u - (s + 1.0) * lb_rel).exp();
            if !want_grad {
                return [f, 0.0, 0.0, 0.0, 0.0];
            }
            // τ and the derivatives of ln[(1+τ/α)^{−(r+x)} (1+τ/β)^{−(s+1)}] at τ(u).
            let tau = t_x + a_tx * em1;
            let (a_tau, b_tau) = (a_tx * u.exp(), b_tx * (1.0 + rho * em1));
            [
                f,
                -f * (la_tx + u),
                f * (r + x) * tau / (alpha * a_tau),
                -f * (lb_tx + lb_rel),
                f * (s + 1.0) * tau / (beta * b_tau),
            ]
        };
        // For heavy buyers the integrand falls like e^{-(r+x-1)u}: panels that double in
        // width from 0 follow that decay with a fixed number of points; otherwise adapt.
        let rate = (r + x - 1.0) + (s + 1.0) * rho;
        let integral = if rate >= 5.0 {
            decaying_gl_vec(&integrand, 0.0, upper, rate)
        } else {
            adaptive_gl_vec(&integrand, 0.0, upper)
        };
        if !(integral[0] > 0.0 && integral.iter().all(|v| v.is_finite())) {
            return None;
        }
        let ln_j = s.ln() + a_tx.ln() - b_tx.ln() - (r + x) * la_tx - s * lb_tx + integral[0].ln();
        let mx = b1.max(ln_j);
        let (e1, ej) = ((b1 - mx).exp(), (ln_j - mx).exp());
        let h = e1 + ej;
        let ll = base + mx + h.ln();
        let mut grad = [0.0; 4];
        if want_grad {
            // J = s/β ∫ g dτ: ∂/∂s gains 1/s and ∂/∂β −1/β; the rest is ∫∂g/∫g.
            let dj = [
                integral[1] / integral[0],
                integral[2] / integral[0],
                1.0 / s + integral[3] / integral[0],
                -1.0 / beta + integral[4] / integral[0],
            ];
            for i in 0..4 {
                grad[i] = dbase[i] + (e1 * db1[i] + ej * dj[i]) / h;
            }
        }
        ll.is_finite().then_some(Pieces {
            ll,
            grad,
            p_alive: e1 / h,
        })
    }

    /// Discounted expected residual transactions at continuous discount rate `delta` per
    /// period (Fader, Hardie & Lee 2005, "RFM and CLV"):
    /// P(alive) · (r+x)/(α+T) · (β+T)^s δ^{s−1} U(s, s; δ(β+T)).
    /// NaN when `delta` is not positive and finite.
    pub fn dert(&self, delta: f64, x: f64, t_x: f64, t: f64) -> f64 {
        self.p_alive(x, t_x, t) * self.dert_if_alive(delta, x, t)
    }

    /// DERT of a customer known to be alive at T, which depends on x and T alone:
    /// (r+x)/(α+T) · (β+T)^s δ^{s−1} U(s, s; δ(β+T)), where the last factor is the discounted
    /// mean lifetime ∫_0^∞ e^{−δu} (1 + u/(β+T))^{−s} du, integrated directly. Through U the
    /// sum s ln(β+T) + (s−1) ln δ + ln U cancels: 8e-6 relative off at s = 99 and 0 (an
    /// underflow) at s = 1e6 (`tests/reference/pnbd_dert.csv`); the integral has no such loss.
    pub fn dert_if_alive(&self, delta: f64, x: f64, t: f64) -> f64 {
        (self.r + x) / (self.alpha + t) * discounted_lifetime(delta, self.s, self.beta + t)
    }

    /// Unconditional P(X(t) = n) for a just-acquired customer.
    pub fn prob_n_purchases_new(&self, n: u32, t: f64) -> f64 {
        fresh_prob_n(n, t, self.r, self.alpha, self.s, self.beta)
    }
}

/// ∫_0^∞ e^{−δu} (1 + u/b)^{−s} du for δ > 0 (NaN otherwise): the integrand is log-convex and
/// falls from 1, at rate δ + s/b at 0 and δ far out, so panels doubling from 0 in units of
/// 1/(δ + s/b) follow it; they stop where it has fallen by e^{−45}·δ/(δ + s/b), beyond which
/// the tail (at most the integrand over δ) is below 1e-19 of the total.
fn discounted_lifetime(delta: f64, s: f64, b: f64) -> f64 {
    if !(delta > 0.0 && delta.is_finite()) {
        return f64::NAN;
    }
    let ln_f = |u: f64| -delta * u - s * (u / b).ln_1p();
    let rate = delta + s / b;
    let drop = 45.0 + (rate / delta).ln();
    let mut breaks = vec![0.0];
    breaks.extend(doubling_points(0.0, f64::INFINITY, 1.0 / rate, &ln_f, drop));
    integrate(&|u: f64| [ln_f(u).exp()], &breaks, 1e-13, 0.0, 400)[0]
}

/// P(X(t) = n) for a fresh Pareto/NBD customer: for n = 0 by A₀'s series where it applies
/// (`score::prob_none_by_series`, agreeing with the quadrature to ~1e-13), else
/// [`fresh_prob_n_by_quadrature`].
fn fresh_prob_n(n: u32, t: f64, r: f64, alpha: f64, s: f64, beta: f64) -> f64 {
    if t <= 0.0 {
        return if n == 0 { 1.0 } else { 0.0 };
    }
    if n == 0
        && let Some(p) = score::prob_none_by_series(t, r, alpha, s, beta)
    {
        return p;
    }
    fresh_prob_n_by_quadrature(n, t, r, alpha, s, beta)
}

/// P(X(t) = n) for a fresh Pareto/NBD customer, t > 0:
/// (β/(β+t))^s NB(n; t) + ∫_0^t s β^s (β+τ)^{−(s+1)} NB(n; τ) dτ, where NB(n; τ) is the
/// gamma-Poisson probability of n purchases in τ. The integral is done by adaptive
/// Gauss-Legendre quadrature in log space (absolute accuracy ~1e-14 on a probability).
fn fresh_prob_n_by_quadrature(n: u32, t: f64, r: f64, alpha: f64, s: f64, beta: f64) -> f64 {
    let nf = n as f64;
    let ln_c = ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0);
    let ln_nb = |tau: f64| {
        let l1 = -(tau / alpha).ln_1p();
        let lq = if n == 0 {
            0.0
        } else {
            nf * ((tau / alpha).ln() + l1)
        };
        ln_c + r * l1 + lq
    };
    let alive = (-s * (t / beta).ln_1p() + ln_nb(t)).exp();
    let ln_s = s.ln();
    let integrand =
        |tau: f64| (ln_s - (s + 1.0) * (tau / beta).ln_1p() - beta.ln() + ln_nb(tau)).exp();
    let panels = 16;
    let width = t / panels as f64;
    let integral: f64 = (0..panels)
        .map(|i| {
            adaptive_gl(
                &integrand,
                i as f64 * width,
                (i + 1) as f64 * width,
                1e-15,
                0,
            )
        })
        .sum();
    alive + integral
}

/// One entry of the (x, t_x) table: A₀'s term at t_x, or a note that this pair's patterns
/// are integrated numerically.
enum AtTx {
    Series(Option<A0Term>),
    Quadrature,
}

impl ParetoNbd {
    /// Log-likelihood (and gradient, when asked) over all patterns. The costly terms depend on
    /// x alone, on (x, T) or on (x, t_x), and customers share few of those (1M simulated
    /// customers: 153,632 patterns but 46 values of x, 2,613 (x, T) and 5,948 (x, t_x)
    /// pairs), so they are tabulated first, in parallel, and each pattern only combines
    /// its table entries.
    fn evaluate(&self, d: &RfmData, want_grad: bool) -> (f64, [f64; 4]) {
        let one = |x, t_x, t| self.pieces(x, t_x, t, want_grad).map(|p| (p.ll, p.grad));
        if let Some(value) = single_pattern(d, one) {
            return value;
        }
        let tables = PatternTables::new(
            d,
            |x| self.x_front(x),
            // The series at T is needed only with the series at t_x, and z(T) <= z(t_x): where
            // it would be long no pattern reads it.
            |x, t| {
                let a0 = (!self.needs_quadrature(t)).then(|| a0_term(self, x, t));
                (self.alive_term(x, t), a0.flatten())
            },
            |x, t_x, _| {
                if self.needs_quadrature(t_x) {
                    AtTx::Quadrature
                } else {
                    AtTx::Series(a0_term(self, x, t_x))
                }
            },
        );
        weighted_likelihood_sum(d, |i| {
            let (x, t_x, t) = (d.x[i], d.t_x[i], d.t[i]);
            let (xf, (alive, a0_t), at_tx) = tables.of(i);
            let front = Front { xf, alive };
            let pieces = if t_x >= t {
                Some(self.combine(front, None, want_grad))
            } else {
                match at_tx {
                    AtTx::Quadrature => self.pieces_by_quadrature(x, t_x, t, want_grad, front),
                    AtTx::Series(a0_tx) => a0_tx
                        .zip(*a0_t)
                        .map(|a0| self.combine(front, Some(a0), want_grad))
                        .filter(|p| p.ll.is_finite()),
                }
            };
            pieces.map(|p| (p.ll, p.grad))
        })
    }
}

impl Model for ParetoNbd {
    type Data = RfmData;
    const NAME: &'static str = "pnbd";
    const PARAM_NAMES: &'static [&'static str] = &["r", "alpha", "s", "beta"];

    fn from_params(params: &[f64]) -> Result<Self> {
        let [r, alpha, s, beta] = positive_params::<4>(Self::NAME, params)?;
        Ok(ParetoNbd { r, alpha, s, beta })
    }

    fn params(&self) -> Vec<f64> {
        vec![self.r, self.alpha, self.s, self.beta]
    }

    likelihood_via_evaluate!();

    fn coarse_data(d: &RfmData) -> Option<RfmData> {
        d.coarse_copy()
    }

    fn initial_guesses(d: &RfmData) -> Vec<Vec<f64>> {
        let (mx, mt) = data_scale(d);
        [(0.5, 0.5, 1.0), (1.0, 1.0, 1.0), (0.3, 1.5, 2.0)]
            .iter()
            .map(|&(r, s, bf)| vec![r, r * mt / mx, s, bf * mt])
            .collect()
    }
}

impl TransactionModel for ParetoNbd {
    /// By the value-only series where it applies (`score`), else by the fit's pieces.
    fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        if let Some((p, _)) = self.scored_by_series(x, t_x, t) {
            return p;
        }
        self.pieces(x, t_x, t, false)
            .map_or(f64::NAN, |p| p.p_alive)
    }

    /// Expected purchases in `horizon` of a customer alive at T:
    /// (r+x)(β+T)/(α+T) · [1 − ((β+T)/(β+T+t))^{s−1}]/(s−1); the bracket is written with
    /// expm1 so that s = 1 (where it tends to ln(1 + t/(β+T))) is exact.
    fn expected_purchases_if_alive(&self, horizon: f64, x: f64, t: f64) -> Option<f64> {
        let l = (horizon / (self.beta + t)).ln_1p();
        let sm1 = self.s - 1.0;
        let bracket = if sm1.abs() < 1e-12 {
            l
        } else {
            -(-sm1 * l).exp_m1() / sm1
        };
        Some((self.r + x) * (self.beta + t) / (self.alpha + t) * bracket)
    }

    fn prob_no_purchase_if_alive(&self, horizon: f64, x: f64, t: f64) -> Option<f64> {
        let (r, alpha, beta) = (self.r + x, self.alpha + t, self.beta + t);
        Some(fresh_prob_n(0, horizon, r, alpha, self.s, beta))
    }

    fn expected_purchases_new(&self, horizon: f64) -> f64 {
        self.expected_purchases(horizon, 0.0, 0.0, 0.0)
    }

    fn prob_n_purchases(&self, n: u32, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        let pa = self.p_alive(x, t_x, t);
        let future = fresh_prob_n(
            n,
            horizon,
            self.r + x,
            self.alpha + t,
            self.s,
            self.beta + t,
        );
        pa * future + if n == 0 { 1.0 - pa } else { 0.0 }
    }

    fn prob_n_purchases_new(&self, n: u32, t: f64) -> f64 {
        Self::prob_n_purchases_new(self, n, t)
    }

    /// Poisson purchases at rate λ ~ Gamma(r, α) during an exponential lifetime with rate
    /// μ ~ Gamma(s, β).
    fn draw_repeat_purchases(&self, rng: &mut dyn RngCore, w: DrawWindow) -> Result<Vec<f64>> {
        let DrawWindow { birth, end, shift } = w;
        // rand_distr's Gamma takes a scale, hence 1/rate.
        let gamma = |shape: f64, rate: f64| Gamma::new(shape, 1.0 / rate).map_err(draw_error);
        let lambda = gamma(self.r, self.alpha * (-shift.purchase).exp())?.sample(rng);
        let mu = gamma(self.s, self.beta * (-shift.dropout).exp())?.sample(rng);
        let death = birth + Exp::new(mu.max(1e-300)).map_err(draw_error)?.sample(rng);
        let gap = Exp::new(lambda.max(1e-300)).map_err(draw_error)?;
        let stop = death.min(end);
        let mut times = Vec::new();
        let mut t = birth;
        loop {
            t += gap.sample(rng);
            if t > stop {
                break;
            }
            times.push(t);
        }
        Ok(times)
    }
}
