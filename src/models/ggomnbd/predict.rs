//! GGom/NBD predictions. Given the history and being alive at T, λ ~ Gamma(r+x, α+T) and the
//! residual lifetime R has survival e^{−s(y(T+u) − y(T))}, independently. In y, where
//! R ≤ u ⇔ y ≤ y(T+u), the residual lifetime's density is s e^{−s(y−y(T))} dy and
//! du = τ'(y) dy, so every prediction is a one-dimensional integral over y, taken by the
//! panel quadrature of [`crate::math::panels`] laid out from the integrand's peak.

use statrs::function::gamma::ln_gamma;

use super::GgomNbd;
use crate::math::panels::{doubling_points, integrate};
use rand::Rng;
use rand::RngCore;
use rand_distr::{Distribution, Exp1, Gamma};

use crate::error::Result;
use crate::models::{DrawWindow, TransactionModel, draw_error};

/// Points where the integrand's log has fallen this far below its peak end the panels.
const DROP: f64 = 50.0;

/// Breakpoints on [lo, hi] doubling away from `peak` (clamped into the interval) in both
/// directions, starting with panels of width `w`, merged with those doubling from `lo`
/// with width `w_lo`; sorted, without duplicates.
fn breaks_around(lo: f64, hi: f64, peaks: &[(f64, f64)], ln_f: &impl Fn(f64) -> f64) -> Vec<f64> {
    let mut pts = vec![lo, hi];
    for &(p, w) in peaks {
        let p = p.clamp(lo, hi);
        pts.push(p);
        pts.extend(doubling_points(p, lo, w, ln_f, DROP));
        pts.extend(doubling_points(p, hi, w, ln_f, DROP));
    }
    pts.retain(|v| v.is_finite());
    pts.sort_by(f64::total_cmp);
    pts.dedup();
    // Where both ends were cut off by DROP the integrand outside the cut is negligible; the
    // outermost points still bound the range, which is harmless.
    pts
}

impl GgomNbd {
    /// E[min(R, horizon)] for a customer alive at T, with R the residual lifetime:
    /// ∫_{y(T)}^{y(T+h)} e^{−s(y−y(T))} τ'(y) dy. The integrand is log-concave (its log's
    /// derivative 1 − s − q(y) falls, q = βe^y/e^{bτ}), so its peak is found in closed form.
    pub fn expected_lifetime_in(&self, horizon: f64, t: f64) -> f64 {
        if horizon.is_nan() || horizon <= 0.0 {
            return 0.0;
        }
        let GgomNbd { b, s, beta, .. } = *self;
        let (y_t, y_h) = (self.y_of(t).0, self.y_of(t + horizon).0);
        if y_h.is_nan() || y_h <= y_t {
            // The horizon is below the resolution of y: R ≥ horizon almost surely.
            return horizon;
        }
        let lnb = beta.ln();
        let ln_g = |y: f64| {
            let (_, bt) = self.tau_of(y);
            -s * (y - y_t) + lnb + y - bt - b.ln()
        };
        let q = |y: f64| {
            let (_, bt) = self.tau_of(y);
            (lnb + y - bt).exp()
        };
        let slope = |y: f64| 1.0 - s - q(y);
        let (peak, w) = if slope(y_t) <= 0.0 {
            let qq = q(y_t);
            (
                y_t,
                (2.0 / slope(y_t).abs()).min(1.0 / (qq * (1.0 - qq)).abs().sqrt().max(1e-300)),
            )
        } else if slope(y_h) >= 0.0 {
            let qq = q(y_h);
            (
                y_h,
                (2.0 / slope(y_h).abs()).min(1.0 / (qq * (1.0 - qq)).abs().sqrt().max(1e-300)),
            )
        } else {
            // q(y*) = 1 − s (here s < 1 and β < 1).
            let ys = (-s).ln_1p() + (-beta).ln_1p() - s.ln() - lnb;
            (ys, 1.0 / (s * (1.0 - s)).sqrt())
        };
        let top = ln_g(peak.clamp(y_t, y_h));
        let breaks = breaks_around(y_t, y_h, &[(peak, w)], &ln_g);
        let f = |y: f64| [(ln_g(y) - top).exp()];
        let v = integrate(&f, &breaks, 1e-12, 0.0, 400)[0];
        (top.exp() * v).clamp(0.0, horizon)
    }

    /// Expected purchases in `horizon` of a customer alive at T:
    /// (r+x)/(α+T) · E[min(R, horizon)].
    pub fn expected_if_alive(&self, horizon: f64, x: f64, t: f64) -> f64 {
        (self.r + x) / (self.alpha + t) * self.expected_lifetime_in(horizon, t)
    }

    /// P(n purchases in `horizon` | alive at T, x):
    /// P(R > h) NB(n; h) + ∫_{y(T)}^{y(T+h)} s e^{−s(y−y(T))} NB(n; τ(y) − T) dy, with NB the
    /// gamma-Poisson probability under Gamma(r+x, α+T).
    pub fn prob_n_if_alive(&self, n: u32, horizon: f64, x: f64, t: f64) -> f64 {
        if horizon.is_nan() || horizon <= 0.0 {
            return if n == 0 { 1.0 } else { 0.0 };
        }
        let s = self.s;
        let (rp, ap) = (self.r + x, self.alpha + t);
        let nf = n as f64;
        let ln_c = ln_gamma(rp + nf) - ln_gamma(rp) - ln_gamma(nf + 1.0);
        let ln_nb = |u: f64| {
            if u <= 0.0 {
                return if n == 0 { 0.0 } else { f64::NEG_INFINITY };
            }
            let l1 = -(u / ap).ln_1p();
            let lq = if n == 0 {
                0.0
            } else {
                nf * ((u / ap).ln() + l1)
            };
            ln_c + rp * l1 + lq
        };
        let (y_t, y_h) = (self.y_of(t).0, self.y_of(t + horizon).0);
        let alive = (-s * (y_h - y_t) + ln_nb(horizon)).exp();
        if y_h.is_nan() || y_h <= y_t {
            return alive.clamp(0.0, 1.0);
        }
        let ln_f = |y: f64| {
            let u = (self.tau_of(y).0 - t).clamp(0.0, horizon);
            s.ln() - s * (y - y_t) + ln_nb(u)
        };
        let (_, bt_t) = self.tau_of(y_t);
        let d_t = self.dtau_dy(y_t, bt_t);
        let mut peaks = vec![(y_t, 2.0 / (s + (rp + nf) * d_t / ap))];
        if n > 0 {
            // The NB mode n(α+T)/(r+x), with its width in ln u.
            let u_star = nf * ap / rp;
            if u_star < horizon {
                let y_star = self.y_of(t + u_star).0;
                let (_, bt) = self.tau_of(y_star);
                let wu = u_star * ((rp + nf) / (nf * rp)).sqrt().min(1.0);
                peaks.push((y_star, wu / self.dtau_dy(y_star, bt)));
            }
        }
        let breaks = breaks_around(y_t, y_h, &peaks, &ln_f);
        let f = |y: f64| [ln_f(y).exp()];
        let dead = integrate(&f, &breaks, 1e-13, 1e-17, 400)[0];
        (alive + dead).clamp(0.0, 1.0)
    }

    /// Unconditional P(X(t) = n) of a just-acquired customer.
    pub fn prob_n_purchases_new(&self, n: u32, t: f64) -> f64 {
        self.prob_n_if_alive(n, t, 0.0, 0.0)
    }
}

impl TransactionModel for GgomNbd {
    /// NaN only if the likelihood's integral failed (non-finite or non-positive), which the
    /// property tests have not produced for any valid parameters.
    fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        self.pieces(x, t_x, t, false)
            .map_or(f64::NAN, |p| p.p_alive)
    }

    fn expected_purchases_if_alive(&self, horizon: f64, x: f64, t: f64) -> Option<f64> {
        Some(self.expected_if_alive(horizon, x, t))
    }

    fn prob_no_purchase_if_alive(&self, horizon: f64, x: f64, t: f64) -> Option<f64> {
        Some(self.prob_n_if_alive(0, horizon, x, t))
    }

    fn expected_purchases_new(&self, horizon: f64) -> f64 {
        self.expected_if_alive(horizon, 0.0, 0.0)
    }

    fn prob_n_purchases(&self, n: u32, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        let pa = self.p_alive(x, t_x, t);
        let future = self.prob_n_if_alive(n, horizon, x, t);
        (pa * future + if n == 0 { 1.0 - pa } else { 0.0 }).clamp(0.0, 1.0)
    }

    fn prob_n_purchases_new(&self, n: u32, t: f64) -> f64 {
        Self::prob_n_purchases_new(self, n, t)
    }

    /// Poisson purchases at rate λ ~ Gamma(r, α) until a Gamma-Gompertz lifetime (drawn by
    /// inverting the population survival at a uniform).
    fn draw_repeat_purchases(&self, rng: &mut dyn RngCore, w: DrawWindow) -> Result<Vec<f64>> {
        let DrawWindow { birth, end, shift } = w;
        let shifted = GgomNbd {
            alpha: self.alpha * (-shift.purchase).exp(),
            beta: self.beta * (-shift.dropout).exp(),
            ..*self
        };
        // rand_distr's Gamma takes a scale, hence 1/rate.
        let lambda: f64 = Gamma::new(shifted.r, 1.0 / shifted.alpha)
            .map_err(draw_error)?
            .sample(rng);
        // 1 − U is in (0, 1], so the lifetime is finite.
        let u: f64 = 1.0 - rng.random::<f64>();
        let stop = (birth + shifted.simulate_lifetime(u)).min(end);
        let mut times = Vec::new();
        if lambda > 0.0 {
            let mut t = birth;
            loop {
                let gap: f64 = Exp1.sample(rng);
                t += gap / lambda;
                if t > stop {
                    break;
                }
                times.push(t);
            }
        }
        Ok(times)
    }
}
