//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987): Poisson purchasing with gamma rates
//! λ ~ Gamma(r, α), exponential lifetimes with gamma rates μ ~ Gamma(s, β).
//!
//! The likelihood follows Fader & Hardie's note on the Pareto/NBD likelihood:
//! L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^{−(r+x)} (β+T)^{−s} + s/(r+s+x) · A₀ ], where A₀ is a
//! difference of two 2F1 terms whose argument is (α−β)/(α+·) when α ≥ β and (β−α)/(β+·)
//! otherwise, so that 0 ≤ z < 1. Everything is combined in log space; the gradient
//! differentiates the 2F1 terms through their series.
//!
//! Given the history and being alive at T, λ ~ Gamma(r+x, α+T) and μ ~ Gamma(s, β+T)
//! independently, and the future is a fresh Pareto/NBD process with those parameters.

use std::collections::HashMap;

use rayon::prelude::*;
use statrs::function::gamma::{digamma, ln_gamma};

use super::bgnbd::{data_scale, positive_params};
use super::data::RfmData;
use super::special::{gauss_legendre_20, ln_hyp2f1, ln_hyperu_aa};
use super::{Model, TransactionModel};
use crate::error::Result;

/// Pareto/NBD parameters: purchase rates ~ Gamma(r, alpha), dropout rates ~ Gamma(s, beta).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParetoNbd {
    pub r: f64,
    pub alpha: f64,
    pub s: f64,
    pub beta: f64,
}

/// Largest 2F1 argument evaluated by its series; beyond it the series needs more than
/// ~700 terms and A₀ is integrated numerically instead.
const SERIES_MAX_Z: f64 = 0.95;
/// Largest number of growing series terms accepted before the integral is used instead.
const SERIES_MAX_TERMS: f64 = 400.0;

/// One pattern's log-likelihood pieces.
struct Pieces {
    /// Log-likelihood of the pattern.
    ll: f64,
    /// Gradient with respect to (r, α, s, β) (zeros unless asked for).
    grad: [f64; 4],
    /// P(alive at T | history).
    p_alive: f64,
}

/// One of the two 2F1 terms of A₀: ln[2F1(K, B; K+1; z)/(m+τ)^K] and its derivatives
/// with respect to (r, α, s, β).
fn a0_term(p: &ParetoNbd, x: f64, tau: f64) -> Option<(f64, [f64; 4])> {
    let ParetoNbd { r, alpha, s, beta } = *p;
    let k = r + s + x;
    let alpha_ge = alpha >= beta;
    let (m, other, b) = if alpha_ge {
        (alpha, beta, s + 1.0)
    } else {
        (beta, alpha, r + x)
    };
    let z = (m - other) / (m + tau);
    let h = ln_hyp2f1(k, b, k + 1.0, z).ok()?;
    let l_m = (m + tau).ln();
    let value = h.ln_abs - k * l_m;
    // K = r+s+x enters as a and as c = a+1.
    let f_k = h.d_a + h.d_c;
    // dz/d(larger) = (other+τ)/(m+τ)², dz/d(smaller) = −1/(m+τ).
    let dz_dm = (other + tau) / ((m + tau) * (m + tau));
    let dz_do = -1.0 / (m + tau);
    let g = if alpha_ge {
        [
            f_k - l_m,
            h.d_z * dz_dm - k / (m + tau),
            f_k + h.d_b - l_m,
            h.d_z * dz_do,
        ]
    } else {
        [
            f_k + h.d_b - l_m,
            h.d_z * dz_do,
            f_k - l_m,
            h.d_z * dz_dm - k / (m + tau),
        ]
    };
    Some((value, g))
}

/// ln of one A₀ term and its gradient in (r, α, s, β).
type A0Term = (f64, [f64; 4]);

/// Memo of the terms that repeat across patterns within one evaluation: the A₀ terms depend
/// on (x, t_x) and (x, T) only, and customers share few of those pairs, so each is computed
/// once rather than once per pattern.
#[derive(Default)]
struct Memo {
    a0: HashMap<(u64, u64), Option<A0Term>>,
    /// ln Γ(r+x) and ψ(r+x) of the last x seen (patterns come sorted by x).
    last_x: Option<(u64, f64, f64)>,
}

impl Memo {
    fn a0(&mut self, p: &ParetoNbd, x: f64, tau: f64) -> Option<A0Term> {
        *self
            .a0
            .entry((x.to_bits(), tau.to_bits()))
            .or_insert_with(|| a0_term(p, x, tau))
    }

    fn gamma_terms(&mut self, r: f64, x: f64) -> (f64, f64) {
        match self.last_x {
            Some((bits, lg, psi)) if bits == x.to_bits() => (lg, psi),
            _ => {
                let (lg, psi) = (ln_gamma(r + x), digamma(r + x));
                self.last_x = Some((x.to_bits(), lg, psi));
                (lg, psi)
            }
        }
    }
}

impl ParetoNbd {
    fn pieces(&self, x: f64, t_x: f64, t: f64, want_grad: bool) -> Option<Pieces> {
        self.pieces_memo(&mut Memo::default(), x, t_x, t, want_grad)
    }

    fn pieces_memo(
        &self,
        memo: &mut Memo,
        x: f64,
        t_x: f64,
        t: f64,
        want_grad: bool,
    ) -> Option<Pieces> {
        let ParetoNbd { r, alpha, s, beta } = *self;
        let k = r + s + x;
        let (l_at, l_bt) = ((alpha + t).ln(), (beta + t).ln());
        let b1 = -(r + x) * l_at - s * l_bt;
        let db1 = [-l_at, -(r + x) / (alpha + t), -l_bt, -s / (beta + t)];
        let (lg_rx, psi_rx) = memo.gamma_terms(r, x);
        let base = lg_rx - ln_gamma(r) + r * alpha.ln() + s * beta.ln();
        let mut dbase = [
            psi_rx - digamma(r) + alpha.ln(),
            r / alpha,
            beta.ln(),
            s / beta,
        ];
        if !want_grad {
            dbase = [0.0; 4];
        }
        if t_x >= t {
            // A₀ = 0: the customer bought at the end of observation.
            let grad = if want_grad {
                std::array::from_fn(|i| dbase[i] + db1[i])
            } else {
                [0.0; 4]
            };
            return Some(Pieces {
                ll: base + b1,
                grad,
                p_alive: 1.0,
            });
        }
        let z_tx = (alpha - beta).abs() / (alpha.max(beta) + t_x);
        // The 2F1 series' terms grow until n ≈ b z/(1−z) (b = s+1 or r+x): for heavy buyers or
        // a large s that is thousands of terms, where the integral is cheaper.
        let b_param = if alpha >= beta { s + 1.0 } else { r + x };
        if z_tx > SERIES_MAX_Z || b_param * z_tx / (1.0 - z_tx) > SERIES_MAX_TERMS {
            return self.pieces_by_quadrature(x, t_x, t, want_grad, base, b1, dbase, db1);
        }
        let (b2, db2) = memo.a0(self, x, t_x)?;
        let (b3, db3) = memo.a0(self, x, t)?;
        let mx = b1.max(b2);
        let (e1, e2) = ((b1 - mx).exp(), (b2 - mx).exp());
        // e2 − e3 without cancellation; B₂ ≥ B₃ because A₀ is an integral of a positive function.
        let e3 = (b3 - mx).exp();
        let diff = (e2 * -(b3 - b2).exp_m1()).max(0.0);
        let sk = s / k;
        let h = e1 + sk * diff;
        let ll = base + mx + h.ln();
        let p_alive = e1 / h;
        let mut grad = [0.0; 4];
        if want_grad {
            let dsk = [-s / (k * k), 0.0, (r + x) / (k * k), 0.0];
            for i in 0..4 {
                let dh = e1 * db1[i] + dsk[i] * diff + sk * (e2 * db2[i] - e3 * db3[i]);
                grad[i] = dbase[i] + dh / h;
            }
        }
        ll.is_finite().then_some(Pieces { ll, grad, p_alive })
    }

    /// The same pieces with s/(r+s+x) A₀ written as the integral it comes from,
    /// s ∫_{t_x}^{T} (α+τ)^{−(r+x)} (β+τ)^{−(s+1)} dτ, for arguments z so close to 1 that the
    /// 2F1 series would need too many terms. The integral (and its derivatives, taken under
    /// the integral sign) is computed in v = ln(α+τ), where the integrand decays at most
    /// exponentially, by adaptive Gauss-Legendre quadrature relative to its value at t_x.
    #[allow(clippy::too_many_arguments)]
    fn pieces_by_quadrature(
        &self,
        x: f64,
        t_x: f64,
        t: f64,
        want_grad: bool,
        base: f64,
        b1: f64,
        dbase: [f64; 4],
        db1: [f64; 4],
    ) -> Option<Pieces> {
        let ParetoNbd { r, alpha, s, beta } = *self;
        // In v = ln(α+τ) directly: forming τ = e^v − α first would put round-off of relative
        // size 1e-16 (r+x) into (α+τ)^{−(r+x)}.
        let (v0, v1) = ((alpha + t_x).ln(), (alpha + t).ln());
        let ln_g = |v: f64, l_beta: f64| -(r + x - 1.0) * v - (s + 1.0) * l_beta;
        let l0 = ln_g(v0, (beta + t_x).ln());
        let integrand = |v: f64| {
            let b_tau = (beta - alpha + v.exp()).max(beta + t_x);
            let f = (ln_g(v, b_tau.ln()) - l0).exp();
            [
                f,
                -f * v,
                -f * (r + x) * (-v).exp(),
                -f * b_tau.ln(),
                -f * (s + 1.0) / b_tau,
            ]
        };
        // For heavy buyers the integrand falls like e^{-(r+x-1)(v-v0)}: panels that double in
        // width from v0 follow that decay with a fixed number of points; otherwise adapt.
        let rate = (r + x - 1.0) + (s + 1.0) * (alpha + t_x) / (beta + t_x);
        let integral = if rate >= 5.0 {
            decaying_gl_vec(&integrand, v0, v1, rate)
        } else {
            adaptive_gl_vec(&integrand, v0, v1)
        };
        if !(integral[0] > 0.0 && integral.iter().all(|v| v.is_finite())) {
            return None;
        }
        let ln_j = s.ln() + l0 + integral[0].ln();
        let mx = b1.max(ln_j);
        let (e1, ej) = ((b1 - mx).exp(), (ln_j - mx).exp());
        let h = e1 + ej;
        let ll = base + mx + h.ln();
        let mut grad = [0.0; 4];
        if want_grad {
            // d ln J: J = s I, so ∂/∂s gains 1/s; the rest is ∂I/I.
            let dj = [
                integral[1] / integral[0],
                integral[2] / integral[0],
                1.0 / s + integral[3] / integral[0],
                integral[4] / integral[0],
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
        let Some(pc) = self.pieces(x, t_x, t, false) else {
            return f64::NAN;
        };
        let zb = delta * (self.beta + t);
        let Ok(ln_u) = ln_hyperu_aa(self.s, zb) else {
            return f64::NAN;
        };
        let ln_rest = self.s * (self.beta + t).ln() + (self.s - 1.0) * delta.ln() + ln_u;
        pc.p_alive * (self.r + x) / (self.alpha + t) * ln_rest.exp()
    }

    /// Unconditional P(X(t) = n) for a just-acquired customer.
    pub fn prob_n_purchases_new(&self, n: u32, t: f64) -> f64 {
        fresh_prob_n(n, t, self.r, self.alpha, self.s, self.beta)
    }
}

/// P(X(t) = n) for a fresh Pareto/NBD customer:
/// (β/(β+t))^s NB(n; t) + ∫_0^t s β^s (β+τ)^{−(s+1)} NB(n; τ) dτ, where NB(n; τ) is the
/// gamma-Poisson probability of n purchases in τ. The integral is done by adaptive
/// Gauss-Legendre quadrature in log space (absolute accuracy ~1e-14 on a probability).
fn fresh_prob_n(n: u32, t: f64, r: f64, alpha: f64, s: f64, beta: f64) -> f64 {
    if t <= 0.0 {
        return if n == 0 { 1.0 } else { 0.0 };
    }
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

fn gl20(f: &impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
    half * gauss_legendre_20()
        .iter()
        .map(|(x, w)| w * f(mid + half * x))
        .sum::<f64>()
}

fn adaptive_gl(f: &impl Fn(f64) -> f64, a: f64, b: f64, tol: f64, depth: u32) -> f64 {
    let whole = gl20(f, a, b);
    let m = 0.5 * (a + b);
    let (left, right) = (gl20(f, a, m), gl20(f, m, b));
    let err = (whole - (left + right)).abs();
    if !err.is_finite() || err <= tol.max(1e-14 * (left + right).abs()) || depth >= 30 {
        left + right
    } else {
        adaptive_gl(f, a, m, tol, depth + 1) + adaptive_gl(f, m, b, tol, depth + 1)
    }
}

/// Globally adaptive Gauss-Legendre quadrature of a positive integrand (component 0) and
/// companions integrated on the same panels: the panel with the largest error estimate is
/// split until the summed estimate is below 1e-13 of the total (or 1,000 panels), so a sharp
/// peak is resolved without refining the regions where the integrand is negligible.
/// ∫_a^b f for an f that decays roughly like e^{−rate (v−a)}: Gauss-Legendre on panels whose
/// widths double (in units of 1/rate) from a, up to where e^{−rate (v−a)} < e^{−80}, or b.
fn decaying_gl_vec<const N: usize>(
    f: &impl Fn(f64) -> [f64; N],
    a: f64,
    b: f64,
    rate: f64,
) -> [f64; N] {
    let mut total = [0.0; N];
    let (mut lo, mut width): (f64, f64) = (0.0, 0.5);
    while lo < 80.0 {
        let hi = (lo + width).min(80.0);
        let (pa, pb) = (a + lo / rate, (a + hi / rate).min(b));
        let (mid, half) = (0.5 * (pa + pb), 0.5 * (pb - pa));
        for (x, w) in gauss_legendre_20() {
            let v = f(mid + half * x);
            for k in 0..N {
                total[k] += half * w * v[k];
            }
        }
        if pb >= b {
            break;
        }
        lo = hi;
        width *= 2.0;
    }
    total
}

fn adaptive_gl_vec<const N: usize>(f: &impl Fn(f64) -> [f64; N], a: f64, b: f64) -> [f64; N] {
    let gl = |a: f64, b: f64| {
        let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
        let mut acc = [0.0; N];
        for (x, w) in gauss_legendre_20() {
            let v = f(mid + half * x);
            for k in 0..N {
                acc[k] += half * w * v[k];
            }
        }
        acc
    };
    // A panel: (a, b, value from its two halves, error estimate on component 0).
    let panel = |a: f64, b: f64| {
        let m = 0.5 * (a + b);
        let (w, l, r) = (gl(a, b), gl(a, m), gl(m, b));
        let v: [f64; N] = std::array::from_fn(|k| l[k] + r[k]);
        let err = (w[0] - v[0]).abs();
        (a, b, v, if err.is_finite() { err } else { 0.0 })
    };
    let panels0 = 8;
    let width = (b - a) / panels0 as f64;
    let mut panels: Vec<(f64, f64, [f64; N], f64)> = (0..panels0)
        .map(|i| panel(a + i as f64 * width, a + (i + 1) as f64 * width))
        .collect();
    while panels.len() < 256 {
        let total: f64 = panels.iter().map(|p| p.2[0]).sum();
        let err: f64 = panels.iter().map(|p| p.3).sum();
        if err.is_nan() || err <= 1e-11 * total.abs() {
            break;
        }
        let (worst, _) =
            panels.iter().enumerate().fold(
                (0, -1.0),
                |acc, (i, p)| if p.3 > acc.1 { (i, p.3) } else { acc },
            );
        let (pa, pb, _, _) = panels.swap_remove(worst);
        let m = 0.5 * (pa + pb);
        panels.push(panel(pa, m));
        panels.push(panel(m, pb));
    }
    let mut total = [0.0; N];
    for p in &panels {
        for (t, v) in total.iter_mut().zip(&p.2) {
            *t += v;
        }
    }
    total
}

impl ParetoNbd {
    /// Log-likelihood (and gradient, when asked) over all patterns. The patterns are split
    /// into contiguous blocks, each with its own [`Memo`]; blocks of data sorted by x share
    /// few (x, τ) pairs, so the memo stays small and the blocks run in parallel.
    fn evaluate(&self, d: &RfmData, want_grad: bool) -> (f64, [f64; 4]) {
        let n = d.patterns();
        // Fixed block size (not tied to the thread count), so that sums are reproducible.
        let block = 16_384;
        let blocks: Vec<(usize, usize)> = (0..n)
            .step_by(block)
            .map(|lo| (lo, (lo + block).min(n)))
            .collect();
        let block_sum = |(lo, hi): (usize, usize)| {
            let mut memo = Memo::default();
            let mut acc = [0.0; 5];
            for i in lo..hi {
                let w = d.weights[i];
                match self.pieces_memo(&mut memo, d.x[i], d.t_x[i], d.t[i], want_grad) {
                    Some(p) => {
                        acc[0] += w * p.ll;
                        for k in 0..4 {
                            acc[k + 1] += w * p.grad[k];
                        }
                    }
                    None => acc = [f64::NAN; 5],
                }
            }
            acc
        };
        // A single block (one customer, as the covariate models ask for) skips the thread pool.
        let sum = if blocks.len() == 1 {
            block_sum(blocks[0])
        } else {
            // Partial sums added in block order: the same result on every run.
            let partial: Vec<[f64; 5]> = blocks.into_par_iter().map(block_sum).collect();
            partial.into_iter().fold([0.0; 5], |mut a, b| {
                for k in 0..5 {
                    a[k] += b[k];
                }
                a
            })
        };
        (sum[0], [sum[1], sum[2], sum[3], sum[4]])
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

    fn log_likelihood(&self, d: &RfmData) -> f64 {
        self.evaluate(d, false).0
    }

    fn gradient(&self, d: &RfmData) -> Vec<f64> {
        self.evaluate(d, true).1.to_vec()
    }

    fn log_likelihood_and_gradient(&self, d: &RfmData) -> (f64, Vec<f64>) {
        let (ll, g) = self.evaluate(d, true);
        (ll, g.to_vec())
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
    fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        self.pieces(x, t_x, t, false)
            .map_or(f64::NAN, |p| p.p_alive)
    }

    fn expected_purchases(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        // (r+x)(β+T)/(α+T) · [1 − ((β+T)/(β+T+t))^{s−1}]/(s−1) · P(alive); the bracket is
        // written with expm1 so that s = 1 (where it tends to ln(1 + t/(β+T))) is exact.
        let l = (horizon / (self.beta + t)).ln_1p();
        let sm1 = self.s - 1.0;
        let bracket = if sm1.abs() < 1e-12 {
            l
        } else {
            -(-sm1 * l).exp_m1() / sm1
        };
        self.p_alive(x, t_x, t) * (self.r + x) * (self.beta + t) / (self.alpha + t) * bracket
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
}
