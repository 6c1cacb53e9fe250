//! The process shared by BG/NBD and MBG/NBD, its likelihood and its predictions: Poisson
//! purchasing with gamma rates
//! λ ~ Gamma(r, α), and a chance p ~ Beta(a, b) of dropping out at each purchase: after each
//! repeat purchase (BG/NBD), or at every purchase including the first (MBG/NBD).
//!
//! Let δ = 0 for BG/NBD and δ = 1 for MBG/NBD. Given λ and p, a customer with x repeat
//! purchases, the last at t_x, observed for T, has likelihood (1−p)^{x+δ} λ^x e^{−λT}, plus,
//! when x+δ > 0, p (1−p)^{x+δ−1} λ^x e^{−λ t_x}. Integrated over λ and p this is
//! Γ(r+x) α^r/Γ(r) · B(a, b+x+δ)/B(a, b) times the sum of (α+T)^{−(r+x)} and, when x+δ > 0,
//! a/(b+x+δ−1) · (α+t_x)^{−(r+x)} (Fader, Hardie & Lee 2005 for δ = 0; Batislam, Denizel &
//! Filiztekin 2007 for δ = 1). The two terms are combined in log space, as in Hardie's note
//! on the numerical stability of the BG/NBD.
//!
//! Given the history and being alive at T, the future is a BG/NBD process (dropout after
//! repeat purchases only) with parameters (r+x, α+T, a, b+x+δ).

use statrs::function::beta::checked_beta_reg;
use statrs::function::gamma::{digamma, ln_gamma};

use rand::Rng;
use rand::RngCore;
use rand_distr::{Beta, Distribution, Exp, Gamma};

use super::data::RfmData;
use super::pattern_sum::{map_collect, pattern_sum};
use super::{DrawWindow, TransactionModel, draw_error};
use crate::error::Result;
use crate::math::beta_mean::beta_mean;

/// BG/NBD-type parameters and where dropout can happen. The models [`super::bgnbd::BgNbd`]
/// and [`super::mbgnbd::MbgNbd`] fit these parameters and delegate their predictions here.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BgProcess {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
    /// Whether a customer can drop out at the first purchase too (MBG/NBD).
    pub first_purchase: bool,
}

/// The parts of a pattern's likelihood and gradient that depend on `x` alone: computed once
/// per distinct `x` (customers share few frequencies), not once per pattern.
struct XTerms {
    /// Whether the dropped-out term exists (x + δ > 0).
    can_drop: bool,
    ln_gamma_rx: f64,
    ln_gamma_bx: f64,
    ln_gamma_abx: f64,
    digamma_rx: f64,
    digamma_bx: f64,
    digamma_abx: f64,
    /// ln(b+x+δ−1) and 1/(b+x+δ−1), when the dropped-out term exists.
    ln_bx1: f64,
    inv_bx1: f64,
}

impl BgProcess {
    /// The process with parameters `[r, α, a, b]`.
    pub fn new([r, alpha, a, b]: [f64; 4], first_purchase: bool) -> Self {
        BgProcess {
            r,
            alpha,
            a,
            b,
            first_purchase,
        }
    }

    fn delta(&self) -> f64 {
        if self.first_purchase { 1.0 } else { 0.0 }
    }

    fn x_terms(&self, x: f64) -> XTerms {
        let BgProcess { r, a, b, .. } = *self;
        let xd = x + self.delta();
        let can_drop = xd > 0.0;
        XTerms {
            can_drop,
            ln_gamma_rx: ln_gamma(r + x),
            ln_gamma_bx: ln_gamma(b + xd),
            ln_gamma_abx: ln_gamma(a + b + xd),
            digamma_rx: digamma(r + x),
            digamma_bx: digamma(b + xd),
            digamma_abx: digamma(a + b + xd),
            ln_bx1: if can_drop { (b + xd - 1.0).ln() } else { 0.0 },
            inv_bx1: if can_drop { 1.0 / (b + xd - 1.0) } else { 0.0 },
        }
    }

    /// Log-likelihood of one pattern and its gradient, given the `x` terms, the constants
    /// `[ln Γ(r), ln Γ(a+b) − ln Γ(b), ψ(r), ψ(a+b), ψ(b), ln α, ln a]` and
    /// `(ln(α+T), 1/(α+T))`, `(ln(α+t_x), 1/(α+t_x))`.
    fn pattern(
        &self,
        c: &[f64; 7],
        xt: &XTerms,
        x: f64,
        at: (f64, f64),
        atx: (f64, f64),
    ) -> ([f64; 4], f64) {
        let BgProcess { r, alpha, a, .. } = *self;
        let [lg_r, lg_ab_b, psi_r, psi_ab, psi_b, ln_alpha, ln_a] = *c;
        let a1 = xt.ln_gamma_rx - lg_r + r * ln_alpha;
        let a2 = lg_ab_b + xt.ln_gamma_bx - xt.ln_gamma_abx;
        let (l_t, l_tx) = (at.0, atx.0);
        let a3 = -(r + x) * l_t;
        let (ll, w4) = if xt.can_drop {
            // ln(e^{a3} + e^{a4}) and the weight e^{a4}/(e^{a3} + e^{a4}) from one exponential.
            let a4 = ln_a - xt.ln_bx1 - (r + x) * l_tx;
            let d = a4 - a3;
            let e = (-d.abs()).exp();
            let w4 = if d > 0.0 {
                1.0 / (1.0 + e)
            } else {
                e / (1.0 + e)
            };
            // ln(1+e) with e in (0, 1]: the absolute error of ln is all the sum needs.
            (a1 + a2 + a3.max(a4) + (1.0 + e).ln(), w4)
        } else {
            (a1 + a2 + a3, 0.0)
        };
        let w3 = 1.0 - w4;
        let g = [
            xt.digamma_rx - psi_r + ln_alpha - w3 * l_t - w4 * l_tx,
            r / alpha - (r + x) * (w3 * at.1 + w4 * atx.1),
            psi_ab - xt.digamma_abx + w4 / a,
            psi_ab + xt.digamma_bx - psi_b - xt.digamma_abx - w4 * xt.inv_bx1,
        ];
        (g, ll)
    }

    /// Log-likelihood and gradient in one pass over the patterns; the terms of x, of t_x and
    /// of T are computed once per distinct value.
    pub fn evaluate(&self, d: &RfmData) -> (f64, [f64; 4]) {
        let BgProcess { r, alpha, a, b, .. } = *self;
        let c = [
            ln_gamma(r),
            ln_gamma(a + b) - ln_gamma(b),
            digamma(r),
            digamma(a + b),
            digamma(b),
            alpha.ln(),
            a.ln(),
        ];
        let lv = d.levels();
        let terms: Vec<XTerms> = lv.x.values.iter().map(|&x| self.x_terms(x)).collect();
        // In parallel: with continuous times nearly every pattern has its own t_x and T.
        let ln_inv = |v: &[f64]| -> Vec<(f64, f64)> {
            map_collect(v, |_, t| ((alpha + t).ln(), 1.0 / (alpha + t)))
        };
        let (at, atx) = (ln_inv(&lv.t.values), ln_inv(&lv.t_x.values));
        let sum = pattern_sum::<5, _>(d.patterns(), |i| {
            let w = d.weights[i];
            let (g, ll) = self.pattern(
                &c,
                &terms[lv.x.index[i] as usize],
                d.x[i],
                at[lv.t.index[i] as usize],
                atx[lv.t_x.index[i] as usize],
            );
            [w * ll, w * g[0], w * g[1], w * g[2], w * g[3]]
        });
        (sum[0], [sum[1], sum[2], sum[3], sum[4]])
    }
}

impl BgProcess {
    /// Parameters (r, α, a, b) of the process that continues from T for a customer alive at T.
    fn future(&self, x: f64, t: f64) -> (f64, f64, f64, f64) {
        (
            self.r + x,
            self.alpha + t,
            self.a,
            self.b + x + self.delta(),
        )
    }
}

impl TransactionModel for BgProcess {
    /// P(alive at T | x, t_x, T) = 1/(1 + a/(b+x+δ−1) ((α+T)/(α+t_x))^{r+x}), 1 when the
    /// customer cannot have dropped out yet.
    fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        let xd = x + self.delta();
        if xd <= 0.0 {
            return 1.0;
        }
        let l = self.a.ln() - (self.b + xd - 1.0).ln()
            + (self.r + x) * ((t - t_x) / (self.alpha + t_x)).ln_1p();
        // 1/(1 + e^{l}) written so that it neither overflows nor loses digits.
        if l > 0.0 {
            (-l).exp() / (1.0 + (-l).exp())
        } else {
            1.0 / (1.0 + l.exp())
        }
    }

    fn expected_purchases(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        let (r, alpha, a, b) = self.future(x, t);
        self.p_alive(x, t_x, t) * bg_expected(horizon, r, alpha, a, b)
    }

    fn expected_purchases_if_alive(&self, horizon: f64, x: f64, t: f64) -> Option<f64> {
        let (r, alpha, a, b) = self.future(x, t);
        Some(bg_expected(horizon, r, alpha, a, b))
    }

    fn prob_no_purchase_if_alive(&self, horizon: f64, x: f64, t: f64) -> Option<f64> {
        let (r, alpha, a, b) = self.future(x, t);
        Some(bg_prob_n(0, horizon, r, alpha, a, b))
    }

    /// A just-acquired customer is one with no repeat purchases and age 0 (under MBG/NBD
    /// already possibly gone).
    fn expected_purchases_new(&self, horizon: f64) -> f64 {
        self.expected_purchases(horizon, 0.0, 0.0, 0.0)
    }

    fn prob_n_purchases(&self, n: u32, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        let pa = self.p_alive(x, t_x, t);
        let (r, alpha, a, b) = self.future(x, t);
        pa * bg_prob_n(n, horizon, r, alpha, a, b) + if n == 0 { 1.0 - pa } else { 0.0 }
    }

    /// Poisson purchases at rate λ ~ Gamma(r, α); after each purchase (MBG/NBD: the first one
    /// too) the customer drops out with probability p ~ Beta(a, b).
    fn draw_repeat_purchases(&self, rng: &mut dyn RngCore, w: DrawWindow) -> Result<Vec<f64>> {
        let DrawWindow { birth, end, shift } = w;
        // rand_distr's Gamma takes a scale, hence 1/rate.
        let rate = self.alpha * (-shift.purchase).exp();
        let lambda = Gamma::new(self.r, 1.0 / rate)
            .map_err(draw_error)?
            .sample(rng);
        let p = Beta::new(self.a, self.b * (-shift.dropout).exp())
            .map_err(draw_error)?
            .sample(rng);
        let gap = Exp::new(lambda.max(1e-300)).map_err(draw_error)?;
        let mut times = Vec::new();
        let mut alive = !(self.first_purchase && rng.random::<f64>() < p);
        let mut t = birth;
        while alive {
            t += gap.sample(rng);
            if t > end {
                break;
            }
            times.push(t);
            alive = rng.random::<f64>() >= p;
        }
        Ok(times)
    }
}

/// E[X(t)] for a customer alive at time 0 who can drop out only after purchases, in a
/// BG/NBD process with parameters (r, α, a, b):
/// (a+b−1)/(a−1) · [1 − (α/(α+t))^r 2F1(r, b; a+b−1; z)], z = t/(α+t), which is
/// E_p[(1 − (α/(α+pt))^r)/p] over p ~ Beta(a, b) (given λ and p the death time is
/// Exp(λp), so E[X(t) | λ, p] = (1 − e^{−λpt})/p).
///
/// Where the series is exact, it is used: Euler's transformation turns
/// (α/(α+t))^r 2F1(r,b;a+b−1;z) into (1−z)^{a−1} 2F1(a+b−1−r, a−1; a+b−1; z), whose series
/// has the factor (a−1) in every term after the first; dividing it out removes the 0/0 at
/// a = 1. The series is trusted when it converges within a few thousand terms and its
/// rounding (1e-16 times the sum of the absolute values of what it adds and subtracts) is
/// below 1e-11 of the result; that excludes a, b → ∞ (terms like (az)^n/n!), r ≫ a + b
/// (alternating terms of huge size) and long horizons with z near 1. There the integral over
/// p is evaluated by quadrature ([`beta_mean`]).
pub(crate) fn bg_expected(t: f64, r: f64, alpha: f64, a: f64, b: f64) -> f64 {
    if t <= 0.0 {
        return 0.0;
    }
    if let Some(v) = bg_expected_series(t, r, alpha, a, b) {
        return v;
    }
    let y = t / alpha;
    // (1 − (1 + py)^{−r})/p, r·y at p = 0.
    let g = |p: f64| {
        if p * y < 1e-300 {
            r * y
        } else {
            -(-r * (p * y).ln_1p()).exp_m1() / p
        }
    };
    // a + b beyond 1e20 (fits on the boundary reach 1e43), where the quadrature's weight
    // underflows to 0/0: the mean of g is g at the mean a/(a+b) to double precision. Either a
    // is large too (the variance is below 1e-20 of the mean's square), or the mean is below
    // 1e-20·a, where g is linear in p (its curvature term is of order (p·y)²).
    if a + b > 1e20 {
        return g(a / (a + b));
    }
    beta_mean(a, b, &g, &[1.0 / y, 1.0 / (y * r.max(1.0))])
}

/// The Euler-transformed series of [`bg_expected`], `None` where it is not exact.
fn bg_expected_series(t: f64, r: f64, alpha: f64, a: f64, b: f64) -> Option<f64> {
    const MAX_TERMS: f64 = 5000.0;
    let l1z = -(t / alpha).ln_1p(); // ln(1 − z)
    let z = t / (alpha + t);
    let c = a + b - 1.0;
    let big_a = c - r;
    let am1 = a - 1.0;
    let first = if am1.abs() < 1e-12 {
        -l1z
    } else {
        -(am1 * l1z).exp_m1() / am1
    };
    // Σ_{n≥1} (A)_n (a)_{n−1} / ((c)_n n!) z^n
    let mut term = big_a * z / c;
    let mut sum = term;
    let mut abs_sum = term.abs();
    let mut n = 1.0;
    let mut converged = false;
    while n < MAX_TERMS {
        term *= (big_a + n) * (a + n - 1.0) * z / ((c + n) * (n + 1.0));
        sum += term;
        abs_sum += term.abs();
        n += 1.0;
        if !abs_sum.is_finite() {
            return None;
        }
        let ratio = ((big_a + n) * (a + n - 1.0) / ((c + n) * (n + 1.0))).abs() * z;
        let r_bound = ratio.max(z);
        if n > (-big_a).max(1.0 - a).max(0.0) + 1.0
            && r_bound < 1.0
            && term.abs() * r_bound / (1.0 - r_bound) <= 1e-17 * sum.abs()
        {
            converged = true;
            break;
        }
    }
    let scale = (am1 * l1z).exp();
    let value = c * (first - scale * sum);
    let rounding = 1e-16 * c.abs() * (first.abs() + scale * abs_sum);
    (converged && value.is_finite() && value > 0.0 && rounding <= 1e-11 * value).then_some(value)
}

/// P(X(t) = n) for a customer alive at time 0 who can drop out only after purchases
/// (FHL 2005 eq. 8); the NBD tail 1 − Σ_{j<n} P_NBD(j) is the regularised incomplete beta
/// I_q(n, r), which avoids the cancellation of the finite sum. The ratios of beta and gamma
/// functions are products over j < n ((b+j)/(a+b+j), r+j), exact when a, b or r are in the
/// billions where differences of ln Γ lose their digits.
pub(crate) fn bg_prob_n(n: u32, t: f64, r: f64, alpha: f64, a: f64, b: f64) -> f64 {
    if t <= 0.0 {
        return if n == 0 { 1.0 } else { 0.0 };
    }
    let nf = n as f64;
    let q = t / (alpha + t);
    let ln_p = -(t / alpha).ln_1p();
    let ln_q = (t / alpha).ln() + ln_p;
    // ln [B(a, b+n)/B(a, b)] and ln [Γ(r+n)/(Γ(r) n!)].
    let ln_keep: f64 = (0..n)
        .map(|j| ((b + j as f64) / (a + b + j as f64)).ln())
        .sum();
    let ln_nb: f64 = (0..n)
        .map(|j| ((r + j as f64) / (j as f64 + 1.0)).ln())
        .sum();
    let alive = ln_keep + ln_nb + r * ln_p + nf * ln_q;
    let mut p = alive.exp();
    if n > 0 {
        let tail = checked_beta_reg(nf, r, q).unwrap_or(f64::NAN);
        // B(a+1, b+n−1)/B(a, b) = a/(a+b) Π_{j<n−1} (b+j)/(a+b+1+j).
        let ln_drop: f64 = (a / (a + b)).ln()
            + (0..n - 1)
                .map(|j| ((b + j as f64) / (a + b + 1.0 + j as f64)).ln())
                .sum::<f64>();
        p += ln_drop.exp() * tail;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::gamma::ln_beta;

    /// The integrated likelihood written term by term from the papers, without logs of sums.
    fn direct(m: &BgProcess, x: f64, t_x: f64, t: f64) -> f64 {
        let BgProcess { r, alpha, a, b, .. } = *m;
        let delta = m.delta();
        let front = (ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln()).exp()
            * (ln_beta(a, b + x + delta) - ln_beta(a, b)).exp();
        let alive = (alpha + t).powf(-(r + x));
        let dropped = if x + delta > 0.0 {
            a / (b + x + delta - 1.0) * (alpha + t_x).powf(-(r + x))
        } else {
            0.0
        };
        (front * (alive + dropped)).ln()
    }

    #[test]
    fn both_forms_match_the_papers_formula_and_its_derivatives() {
        let patterns = [
            (0.0, 0.0, 30.0),
            (1.0, 5.0, 30.0),
            (4.0, 20.5, 38.0),
            (12.0, 37.0, 39.0),
        ];
        for first_purchase in [false, true] {
            let m = BgProcess {
                r: 0.4,
                alpha: 6.0,
                a: 0.8,
                b: 2.5,
                first_purchase,
            };
            let (x, t_x, t): (Vec<f64>, Vec<f64>, Vec<f64>) = (
                patterns.iter().map(|p| p.0).collect(),
                patterns.iter().map(|p| p.1).collect(),
                patterns.iter().map(|p| p.2).collect(),
            );
            let weights = [3.0, 1.0, 2.0, 1.0];
            let data = RfmData::new(&x, &t_x, &t, Some(&weights)).unwrap();
            let want: f64 = patterns
                .iter()
                .zip(weights)
                .map(|(&(x, tx, t), w)| w * direct(&m, x, tx, t))
                .sum();
            let (ll, grad) = m.evaluate(&data);
            assert!((ll - want).abs() < 1e-10 * want.abs(), "{ll} vs {want}");
            // Gradient against central differences of the direct formula.
            for (k, g) in grad.iter().enumerate() {
                let at = |h: f64| {
                    let mut p = [m.r, m.alpha, m.a, m.b];
                    p[k] += h;
                    let q = BgProcess {
                        r: p[0],
                        alpha: p[1],
                        a: p[2],
                        b: p[3],
                        first_purchase,
                    };
                    patterns
                        .iter()
                        .zip(weights)
                        .map(|(&(x, tx, t), w)| w * direct(&q, x, tx, t))
                        .sum::<f64>()
                };
                let fd = (at(1e-6) - at(-1e-6)) / 2e-6;
                assert!(
                    (g - fd).abs() < 1e-6 * fd.abs().max(1.0),
                    "k={k}: {g} vs {fd}"
                );
            }
            // P(alive) is the share of the alive term.
            for &(x, tx, t) in &patterns {
                let d = x + m.delta();
                let want = if d > 0.0 {
                    let alive = (m.alpha + t).powf(-(m.r + x));
                    alive / (alive + m.a / (m.b + d - 1.0) * (m.alpha + tx).powf(-(m.r + x)))
                } else {
                    1.0
                };
                assert!((m.p_alive(x, tx, t) - want).abs() < 1e-12);
            }
        }
    }
}
