//! BG/BB model of discrete-time noncontractual purchasing (Fader, Hardie & Shang 2010,
//! "Customer-base analysis in a discrete-time noncontractual setting").
//!
//! At each transaction opportunity an active customer transacts with probability `p`
//! (Beta(alpha, beta) across customers); before each opportunity after the first it drops out
//! for good with probability `theta` (Beta(gamma, delta)). A history is `x` transactions in `n`
//! opportunities, the last at `t_x`. The likelihood is one term for "still alive after n" plus
//! one for each possible death time between `t_x` and `n`, summed in log space.

use super::common::{check_positive, flag_boundary};
use super::data::BgBbData;
use super::fit::fit_model;
use super::{DiscreteTransactionModel, FitOptions, Fitted, Model};
use crate::error::{ClvError, Result};
use crate::math::gamma::{digamma_diff, ln_beta, ln_beta_ratio, ln_gamma_shift};
use crate::math::log_space::LogSumExp;
use crate::math::series::{discount_factor, discounted_sum};

/// Horizons above which the expected-transactions sums use their telescoped closed form.
const DIRECT_SUM_MAX: u32 = 10_000;

/// The BG/BB model: `p ~ Beta(alpha, beta)`, `theta ~ Beta(gamma, delta)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgBb {
    pub(crate) alpha: f64,
    pub(crate) beta: f64,
    pub(crate) gamma: f64,
    pub(crate) delta: f64,
}

validated_parameters!(BgBb {
    alpha,
    beta,
    gamma,
    delta
});

/// One term of the likelihood, B(alpha + x, beta + m) / B(alpha, beta) *
/// B(gamma + c, delta + k) / B(gamma, delta) (each ratio formed from log-gamma shifts,
/// `ln_beta_ratio`: the plain difference of ln B values near 1e10 keeps only ~10 digits): `m` opportunities without a transaction while
/// alive, `c` = 1 for a death after `k` survived opportunities, 0 for survival through `k`.
#[derive(Clone, Copy)]
struct Term {
    m: f64,
    c: f64,
    k: f64,
}

impl BgBb {
    fn check(&self) -> Result<()> {
        check_positive(&[
            ("alpha", self.alpha),
            ("beta", self.beta),
            ("gamma", self.gamma),
            ("delta", self.delta),
        ])
    }

    fn ln_term(&self, x: f64, t: Term) -> f64 {
        ln_beta_ratio(self.alpha, self.beta, x, t.m)
            + ln_beta_ratio(self.gamma, self.delta, t.c, t.k)
    }

    /// The terms of L(x, t_x, n): alive through n, or dead just after opportunity t_x + i.
    fn terms(x: f64, t_x: f64, n: f64) -> impl Iterator<Item = Term> {
        let deaths = (n - t_x) as usize;
        std::iter::once(Term {
            m: n - x,
            c: 0.0,
            k: n,
        })
        .chain((0..deaths).map(move |i| Term {
            m: t_x - x + i as f64,
            c: 1.0,
            k: t_x + i as f64,
        }))
    }

    /// ln L(alpha, beta, gamma, delta | x, t_x, n) for one history.
    fn ln_likelihood_one(&self, x: f64, t_x: f64, n: f64) -> f64 {
        let mut acc = LogSumExp::new();
        Self::terms(x, t_x, n).for_each(|t| acc.push(self.ln_term(x, t)));
        acc.value()
    }

    /// Validates a single history given as whole numbers.
    fn history(&self, x: u32, t_x: u32, n: u32) -> Result<(f64, f64, f64)> {
        self.check()?;
        if x > t_x || t_x > n || (x == 0 && t_x != 0) {
            return Err(ClvError::InvalidParameter(format!(
                "need x <= t_x <= n and t_x = 0 when x = 0 (x={x}, t_x={t_x}, n={n})"
            )));
        }
        Ok((f64::from(x), f64::from(t_x), f64::from(n)))
    }

    /// Log of the factor shared by the conditional predictions, the transaction part of
    /// "alive and transacts at a future opportunity" over the likelihood:
    /// ln [B(alpha + x + 1, beta + n - x) / B(alpha, beta)] - ln L.
    fn ln_transact_factor(&self, x: f64, t_x: f64, n: f64) -> f64 {
        ln_beta_ratio(self.alpha, self.beta, x + 1.0, n - x) - self.ln_likelihood_one(x, t_x, n)
    }

    /// ln of the sum over k = 1..=horizon of B(gamma, delta + start + k) / B(gamma, delta):
    /// the probability, summed over the next `horizon` opportunities, of being alive at each,
    /// given alive at `start`, times S(start). In logs because S(start) underflows where the
    /// factor it multiplies overflows (n = 10,000 with gamma, delta near 1e6: e^{∓2100}).
    ///
    /// Methods by region (checked against `tests/reference/bgbb.csv` at 1e-8, horizons and
    /// histories to 10,000 opportunities, gamma and delta from 1e-6 to 1e10):
    /// - horizon <= 10,000, or gamma within 1e-3 of 1: the terms, summed in log space;
    /// - longer horizons: the telescoped closed form, each log-gamma difference taken with
    ///   the smaller of its two possible shifts (see below).
    fn ln_survival_sum(&self, start: f64, horizon: u32) -> f64 {
        let (g, d) = (self.gamma, self.delta);
        if horizon <= DIRECT_SUM_MAX || (g - 1.0).abs() < 1e-3 {
            let mut acc = LogSumExp::new();
            (1..=horizon).for_each(|k| acc.push(ln_beta_ratio(g, d, 0.0, start + f64::from(k))));
            return acc.value();
        }
        // Telescoping: with f(m) = Gamma(d+m+1)/Gamma(g+d+m), f(m-1) - f(m) = (g-1) Gamma(d+m)/
        // Gamma(g+d+m), so the sum is Gamma(g+d)/Gamma(d) [f(start) - f(start+N)] / (g-1).
        // Each of ln[Gamma(g+d)/Gamma(d) f(start)] and ln[f(start+N)/f(start)] is a difference
        // of two log-gamma shifts, by g (or 1 - g) or by start (or N); the larger shift
        // makes terms of size shift * ln(d) that cancel to ~1e-5 when g or d is near 1e10,
        // so the smaller one is used.
        let h = f64::from(horizon);
        let b = g + d + start;
        let ln_ratio = if (1.0 - g).abs() <= h {
            ln_gamma_shift(b + h, 1.0 - g) - ln_gamma_shift(b, 1.0 - g)
        } else {
            ln_gamma_shift(d + start + 1.0, h) - ln_gamma_shift(b, h)
        };
        let ln_f_start = if g.abs() <= start + 1.0 {
            ln_gamma_shift(b, 1.0 - g) - ln_gamma_shift(g + d, -g)
        } else {
            ln_gamma_shift(d, start + 1.0) - ln_gamma_shift(g + d, start)
        };
        // f(start) - f(start+N) and g - 1 have the same sign.
        ln_f_start + (-ln_ratio.exp_m1() / (g - 1.0)).ln()
    }

    /// P(alive at opportunity n + 1 | x, t_x, n).
    pub fn p_alive(&self, x: u32, t_x: u32, n: u32) -> Result<f64> {
        self.p_alive_ahead(1, x, t_x, n)
    }

    /// P(alive at opportunity n + m | x, t_x, n), m >= 1 periods ahead (lifetimes'
    /// `conditional_probability_alive(m, ...)`): the likelihood's "alive through n" term with
    /// survival extended to n + m, over the likelihood. `m = 1` is [`BgBb::p_alive`].
    pub fn p_alive_ahead(&self, m: u32, x: u32, t_x: u32, n: u32) -> Result<f64> {
        if m == 0 {
            return Err(ClvError::InvalidParameter(
                "P(alive) ahead counts periods from 1 (the next opportunity)".into(),
            ));
        }
        let (x, t_x, n) = self.history(x, t_x, n)?;
        let ln_alive = ln_beta_ratio(self.alpha, self.beta, x, n - x)
            + ln_beta_ratio(self.gamma, self.delta, 0.0, n + f64::from(m));
        Ok((ln_alive - self.ln_likelihood_one(x, t_x, n))
            .exp()
            .min(1.0))
    }

    /// Expected transactions in the next `horizon` opportunities, n + 1 ..= n + horizon,
    /// for a customer with history (x, t_x, n).
    pub fn conditional_expected_transactions(
        &self,
        horizon: u32,
        x: u32,
        t_x: u32,
        n: u32,
    ) -> Result<f64> {
        let (x, t_x, n) = self.history(x, t_x, n)?;
        Ok((self.ln_transact_factor(x, t_x, n) + self.ln_survival_sum(n, horizon)).exp())
    }

    /// Expected transactions of a just-acquired customer in the first `n` opportunities:
    /// alpha / (alpha + beta) times the expected number of those opportunities it is alive at.
    pub fn expected_transactions_new(&self, n: u32) -> Result<f64> {
        self.check()?;
        Ok(self.alpha / (self.alpha + self.beta) * self.ln_survival_sum(0.0, n).exp())
    }

    /// P(X(n) = x) for a just-acquired customer: alive through n with x transactions, or
    /// dead after opportunity i (x <= i < n) with x transactions among the first i.
    pub fn prob_transactions_new(&self, x: u32, n: u32) -> Result<f64> {
        self.check()?;
        if x > n {
            return Ok(0.0);
        }
        let (xf, nf) = (f64::from(x), f64::from(n));
        // ln C(i, x) = -ln(i + 1) - ln B(x + 1, i - x + 1).
        let ln_choose = |i: f64| -(i + 1.0).ln() - ln_beta(xf + 1.0, i - xf + 1.0);
        let alive = Term {
            m: nf - xf,
            c: 0.0,
            k: nf,
        };
        let mut acc = LogSumExp::new();
        acc.push(ln_choose(nf) + self.ln_term(xf, alive));
        for i in x..n {
            let i = f64::from(i);
            let dead = Term {
                m: i - xf,
                c: 1.0,
                k: i,
            };
            acc.push(ln_choose(i) + self.ln_term(xf, dead));
        }
        Ok(acc.value().exp().min(1.0))
    }

    /// Discounted expected residual transactions at per-opportunity discount rate `d`:
    /// sum over k >= 1 of P(transact at n + k | history) / (1 + d)^k, the paper's
    /// B(alpha+x+1, beta+n-x)/B(alpha,beta) * B(gamma, delta+n+1)/B(gamma,delta) / (1+d)
    /// * 2F1(1, delta+n+1; gamma+delta+n+1; 1/(1+d)) / L, summed as its convergent series.
    pub fn discounted_expected_residual_transactions(
        &self,
        d: f64,
        x: u32,
        t_x: u32,
        n: u32,
    ) -> Result<f64> {
        let (x, t_x, n) = self.history(x, t_x, n)?;
        let r = discount_factor(d)?;
        let (g, dl) = (self.gamma, self.delta);
        let ln_first = self.ln_transact_factor(x, t_x, n) + ln_beta_ratio(g, dl, 0.0, n + 1.0);
        // Successive alive probabilities fall by (delta+n+k)/(gamma+delta+n+k) < 1.
        let series = discounted_sum(1.0, r, |j| {
            let m = dl + n + 1.0 + j as f64;
            m / (g + m)
        })?;
        Ok(ln_first.exp() * r * series)
    }
}

/// The (x, t_x, n, weight) rows of the data with positive weight.
fn rows(data: &BgBbData) -> impl Iterator<Item = (f64, f64, f64, f64)> + '_ {
    data.x
        .iter()
        .zip(&data.t_x)
        .zip(&data.n)
        .zip(&data.weights)
        .map(|(((x, t_x), n), w)| (*x, *t_x, *n, *w))
        .filter(|r| r.3 > 0.0)
}

impl DiscreteTransactionModel for BgBb {
    fn p_alive(&self, x: u32, t_x: u32, n: u32) -> Result<f64> {
        BgBb::p_alive(self, x, t_x, n)
    }

    fn expected_transactions(&self, horizon: u32, x: u32, t_x: u32, n: u32) -> Result<f64> {
        self.conditional_expected_transactions(horizon, x, t_x, n)
    }

    fn expected_transactions_new(&self, n: u32) -> Result<f64> {
        BgBb::expected_transactions_new(self, n)
    }

    fn prob_transactions_new(&self, x: u32, n: u32) -> Result<f64> {
        BgBb::prob_transactions_new(self, x, n)
    }
}

impl Model for BgBb {
    type Data = BgBbData;
    const NAME: &'static str = "bgbb";
    const PARAM_NAMES: &'static [&'static str] = &["alpha", "beta", "gamma", "delta"];

    fn from_params(params: &[f64]) -> Result<Self> {
        if params.len() != 4 {
            return Err(ClvError::InvalidParameter(format!(
                "bgbb takes 4 parameters (alpha, beta, gamma, delta), got {}",
                params.len()
            )));
        }
        let m = BgBb {
            alpha: params[0],
            beta: params[1],
            gamma: params[2],
            delta: params[3],
        };
        m.check()?;
        Ok(m)
    }

    fn params(&self) -> Vec<f64> {
        vec![self.alpha, self.beta, self.gamma, self.delta]
    }

    fn log_likelihood(&self, data: &BgBbData) -> f64 {
        if self.check().is_err() {
            return f64::NAN;
        }
        rows(data)
            .map(|(x, t_x, n, w)| w * self.ln_likelihood_one(x, t_x, n))
            .sum()
    }

    fn gradient(&self, data: &BgBbData) -> Vec<f64> {
        if self.check().is_err() {
            return vec![f64::NAN; 4];
        }
        let (a, b, g, d) = (self.alpha, self.beta, self.gamma, self.delta);
        let mut grad = [0.0; 4];
        for (x, t_x, n, w) in rows(data) {
            let ll = self.ln_likelihood_one(x, t_x, n);
            // d ln L = sum of (term share) * d ln term; d ln B(u, v)/du = psi(u) - psi(u + v).
            // The terms are recomputed rather than stored: n may be large.
            for t in Self::terms(x, t_x, n) {
                let share = w * (self.ln_term(x, t) - ll).exp();
                if share == 0.0 {
                    continue;
                }
                grad[0] += share * (digamma_diff(a, x) - digamma_diff(a + b, x + t.m));
                grad[1] += share * (digamma_diff(b, t.m) - digamma_diff(a + b, x + t.m));
                grad[2] += share * (digamma_diff(g, t.c) - digamma_diff(g + d, t.c + t.k));
                grad[3] += share * (digamma_diff(d, t.k) - digamma_diff(g + d, t.c + t.k));
            }
        }
        grad.to_vec()
    }

    /// As the shared optimiser, but flags the two data sets whose maximum lies at the edge of
    /// the parameter space, which the optimiser may approach without reaching its bound:
    /// everyone transacting at every opportunity (p -> 1 and theta -> 0), and nobody
    /// transacting at all (p -> 0, dropout not identified).
    fn fit(data: &BgBbData, options: &FitOptions) -> Result<Fitted<Self>> {
        let data = &data.merged();
        let mut fitted = fit_model::<Self>(data, options)?;
        if rows(data).all(|(x, _, n, _)| x == n) {
            flag_boundary(
                &mut fitted,
                Self::PARAM_NAMES,
                "every customer transacted at every opportunity, so the estimated transaction \
                 probability is 1 and the dropout probability 0",
            );
        } else if rows(data).all(|(x, _, _, _)| x == 0.0) {
            flag_boundary(
                &mut fitted,
                Self::PARAM_NAMES,
                "no customer transacted, so the estimated transaction probability is 0 and \
                 dropout cannot be told from inactivity",
            );
        }
        Ok(fitted)
    }

    fn initial_guesses(data: &BgBbData) -> Vec<Vec<f64>> {
        // Transaction rate among opportunities while plausibly alive (up to t_x) sets the
        // mean of p; the dropout starts are generic.
        let (mut xs, mut opp) = (0.0, 0.0);
        for (x, _, n, w) in rows(data) {
            xs += w * x;
            opp += w * n;
        }
        let mean_p = if opp > 0.0 {
            (xs / opp).clamp(0.05, 0.95)
        } else {
            0.5
        };
        vec![
            vec![mean_p, 1.0 - mean_p, 1.0, 1.0],
            vec![1.0, 1.0, 1.0, 1.0],
            vec![2.0 * mean_p, 2.0 * (1.0 - mean_p), 0.5, 3.0],
            vec![0.5, 0.5, 0.5, 5.0],
        ]
    }
}
