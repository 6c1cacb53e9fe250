//! Pareto/NBD scoring without derivatives: P(alive) and P(no purchase in a horizon) from the
//! same 2F1 series as the likelihood, value only.
//!
//! Scoring 1M customers with continuous times (1M distinct (x, t_x, T) and (x, T)) spent 95%
//! of its time integrating P(X(h) = 0) of the customer's posterior process numerically (16
//! adaptive Gauss-Legendre panels per (x, T)), and most of the rest in the fit's pieces,
//! which also form ln Γ(r+x) − ln Γ(r), ψ differences and the 2F1 series' derivatives that no
//! prediction reads. P(X(h) = 0) of a fresh Pareto/NBD process is the likelihood of the
//! history (x = 0, t_x = 0, T = h), so where A₀'s series is used (z ≤
//! [`super::SERIES_MAX_Z`]) both come from a few terms of 2F1(1, b; c; z) summed here;
//! elsewhere the careful paths (`pieces`, its quadrature, and the panels of
//! `fresh_prob_n_by_quadrature`) still answer.

use super::ParetoNbd;

/// Relative size of the neglected tail at which the series stops (as the careful series').
const TAIL_EPS: f64 = 1e-17;

/// ln 2F1(1, b; c; z) for 0 ≤ z ≤ [`super::SERIES_MAX_Z`] and c > b > 0 (A₀'s terms: c − b
/// is s + 1 or r + x). Each term is the previous times (b+n)/(c+n) z ≤ z, so the terms are positive
/// and falling and the tail after a term is below term · z/(1−z): no cancellation, no
/// rescaling (the sum is at most 1/(1−z) = 20), ~800 terms at most.
fn ln_hyp2f1_1(b: f64, c: f64, z: f64) -> f64 {
    let tail = z / (1.0 - z);
    let (mut term, mut sum, mut n) = (1.0f64, 1.0f64, 0.0f64);
    while term * tail > TAIL_EPS * sum {
        term *= (b + n) / (c + n) * z;
        sum += term;
        n += 1.0;
    }
    sum.ln()
}

impl ParetoNbd {
    /// ln[(1+τ/α)^{−(r+x)} (1+τ/β)^{−s}], the alive factor at τ (`alive_factor`'s value).
    fn ln_alive(&self, x: f64, tau: f64) -> f64 {
        -(self.r + x) * (tau / self.alpha).ln_1p() - self.s * (tau / self.beta).ln_1p()
    }

    /// ln of one A₀ term at τ (`a0_term`'s value, by the same Euler-transformed series).
    fn ln_a0(&self, x: f64, tau: f64) -> f64 {
        let ParetoNbd { r, alpha, s, beta } = *self;
        let k = r + s + x;
        let alive = self.ln_alive(x, tau);
        if alpha >= beta {
            alive + ln_hyp2f1_1(r + x, k + 1.0, (alpha - beta) / (alpha + tau))
        } else {
            let z = (beta - alpha) / (beta + tau);
            alive + ln_hyp2f1_1(s + 1.0, k + 1.0, z) + (-z).ln_1p()
        }
    }

    /// P(alive at T) and ln[L / (Γ(r+x) α^{−x} / Γ(r))] (the likelihood without the terms of
    /// x alone) of the history (x, t_x, T), combined as `combine` does; None outside the
    /// series' region or where a value is not finite, which the careful path then decides.
    pub(super) fn scored_by_series(&self, x: f64, t_x: f64, t: f64) -> Option<(f64, f64)> {
        let b1 = self.ln_alive(x, t);
        if t_x >= t {
            return b1.is_finite().then_some((1.0, b1));
        }
        if self.needs_quadrature(t_x) {
            return None;
        }
        let (b2, b3) = (self.ln_a0(x, t_x), self.ln_a0(x, t));
        let sk = self.s / (self.r + self.s + x);
        let mx = b1.max(b2);
        let (e1, e2) = ((b1 - mx).exp(), (b2 - mx).exp());
        let h = e1 + sk * (e2 * -(b3 - b2).exp_m1()).max(0.0);
        let rest = mx + h.ln();
        (rest.is_finite() && h > 0.0).then_some((e1 / h, rest))
    }
}

/// P(X(t) = 0) of a fresh Pareto/NBD process (r, α, s, β), t > 0: the likelihood of the
/// history x = 0, t_x = 0, T = t, whose terms of x alone are 1. None where A₀ at 0 needs the
/// quadrature (α and β so far apart that z(0) = |α−β|/max(α, β) > [`super::SERIES_MAX_Z`]).
pub(super) fn prob_none_by_series(t: f64, r: f64, alpha: f64, s: f64, beta: f64) -> Option<f64> {
    let fresh = ParetoNbd { r, alpha, s, beta };
    fresh
        .scored_by_series(0.0, 0.0, t)
        .map(|(_, ln_l)| ln_l.exp())
}

#[cfg(test)]
#[path = "pnbd_score_tests.rs"]
mod tests;
