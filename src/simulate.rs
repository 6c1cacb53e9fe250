//! Synthetic order histories drawn from known model parameters, for tests, benchmarks and the
//! demo.
//!
//! Each customer is drawn from their own generator seeded by (seed, customer index), so the
//! output is reproducible and independent of how the work is split across threads.
//! Time is measured in model periods (e.g. weeks) from the start of the acquisition window;
//! customers make their first purchase uniformly within that window.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Gamma, Normal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{ClvError, Result};
use crate::models::bgbb::BgBb;
use crate::models::{AnyModel, BgBbData, CovariateShift, DrawWindow, draw_error};

/// Gamma-Gamma spend: each customer's mean-spend scale ν ~ Gamma(q, γ), each order's value
/// ~ Gamma(p, ν) (shape, rate).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpendProcess {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

/// Time-invariant covariates and their effects (Fader & Hardie 2007): the purchase scale α and
/// the dropout scale (β of Pareto/NBD, b of BG/NBD) vary as exp(−γ'z).
/// Two covariates are drawn per customer: `channel` (0 = organic, 1 = paid, each with
/// probability ½) and `score` (standard normal).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovariateEffects {
    pub purchase: [f64; 2],
    pub dropout: [f64; 2],
}

pub const COVARIATE_NAMES: [&str; 2] = ["channel", "score"];

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimulationSpec {
    /// The purchase-and-dropout process: any transaction model of the registry, whose
    /// [`crate::models::TransactionModel::draw_repeat_purchases`] tells its generative story.
    pub process: AnyModel,
    pub spend: SpendProcess,
    pub customers: usize,
    /// Length of the acquisition window, in periods.
    pub acquisition_periods: f64,
    /// Total length simulated from the start of the acquisition window, in periods.
    pub horizon_periods: f64,
    pub covariates: Option<CovariateEffects>,
    pub seed: u64,
}

impl SimulationSpec {
    pub fn validate(&self) -> Result<()> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(ClvError::InvalidParameter(format!(
                    "{name} must be finite and > 0, got {v}"
                )))
            }
        };
        self.process.transaction_model()?;
        // The model's own check (its fields are public, so it may have been built unchecked).
        AnyModel::from_params(self.process.kind(), &self.process.params())?;
        positive("p", self.spend.p)?;
        positive("q", self.spend.q)?;
        positive("gamma", self.spend.gamma)?;
        positive("horizon", self.horizon_periods)?;
        if !(self.acquisition_periods.is_finite()
            && self.acquisition_periods >= 0.0
            && self.acquisition_periods < self.horizon_periods)
        {
            return Err(ClvError::InvalidParameter(format!(
                "the acquisition window ({}) must be >= 0 and shorter than the horizon ({})",
                self.acquisition_periods, self.horizon_periods
            )));
        }
        if self.customers == 0 {
            return Err(ClvError::InvalidParameter("customers must be >= 1".into()));
        }
        if let Some(c) = &self.covariates
            && c.purchase.iter().chain(&c.dropout).any(|v| !v.is_finite())
        {
            return Err(ClvError::InvalidParameter(
                "covariate effects must be finite".into(),
            ));
        }
        Ok(())
    }
}

/// One simulated customer. Times are in periods from the start of the acquisition window.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedCustomer {
    pub index: usize,
    /// Time of the first purchase.
    pub birth: f64,
    /// Purchase times, the first purchase included, ascending.
    pub purchase_times: Vec<f64>,
    /// Order values, one per purchase.
    pub amounts: Vec<f64>,
    /// `channel` and `score` (zeros without covariate effects).
    pub covariates: [f64; 2],
}

impl SimulatedCustomer {
    /// Sufficient statistics at `end` (periods from the start): repeat purchases, time of the
    /// last one since the first purchase, age, mean repeat-order value (0 without repeats).
    pub fn summary_at(&self, end: f64) -> (f64, f64, f64, f64) {
        let n = self
            .purchase_times
            .iter()
            .take_while(|&&t| t <= end)
            .count();
        let x = n.saturating_sub(1) as f64;
        let t_x = if n > 1 {
            self.purchase_times[n - 1] - self.birth
        } else {
            0.0
        };
        let m = if n > 1 {
            self.amounts[1..n].iter().sum::<f64>() / x
        } else {
            0.0
        };
        (x, t_x, end - self.birth, m)
    }
}

/// Draws all customers. Deterministic for a given spec, whatever the number of threads.
pub fn simulate(spec: &SimulationSpec) -> Result<Vec<SimulatedCustomer>> {
    spec.validate()?;
    (0..spec.customers)
        .into_par_iter()
        .map(|i| simulate_one(spec, i))
        .collect()
}

/// The generator of customer `index`: SplitMix-style scrambling of (seed, index), so
/// neighbouring indices get unrelated streams.
fn customer_rng(seed: u64, index: usize) -> StdRng {
    let mut z = seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    StdRng::seed_from_u64(z ^ (z >> 31))
}

/// BG/BB histories of `customers` just-acquired customers over `periods` transaction
/// opportunities, merged into weighted (x, t_x, n) patterns: each customer draws
/// p ~ Beta(alpha, beta) and theta ~ Beta(gamma, delta); before each opportunity it drops out
/// for good with probability theta, else transacts with probability p (the likelihood's
/// story). Seeded per customer like [`simulate`].
pub fn simulate_bgbb(model: &BgBb, customers: usize, periods: u32, seed: u64) -> Result<BgBbData> {
    if customers == 0 {
        return Err(ClvError::InvalidParameter(
            "simulate at least one customer".into(),
        ));
    }
    let p_dist = Beta::new(model.alpha(), model.beta()).map_err(draw_error)?;
    let theta_dist = Beta::new(model.gamma(), model.delta()).map_err(draw_error)?;
    let histories: Vec<[f64; 2]> = (0..customers)
        .into_par_iter()
        .map(|i| {
            let mut rng = customer_rng(seed, i);
            let (p, theta) = (p_dist.sample(&mut rng), theta_dist.sample(&mut rng));
            let (mut x, mut t_x) = (0u32, 0u32);
            for t in 1..=periods {
                if rng.random::<f64>() < theta {
                    break;
                }
                if rng.random::<f64>() < p {
                    x += 1;
                    t_x = t;
                }
            }
            [f64::from(x), f64::from(t_x)]
        })
        .collect();
    let x: Vec<f64> = histories.iter().map(|h| h[0]).collect();
    let t_x: Vec<f64> = histories.iter().map(|h| h[1]).collect();
    let n = vec![f64::from(periods); customers];
    Ok(BgBbData::new(&x, &t_x, &n, None)?.merged())
}

fn simulate_one(spec: &SimulationSpec, index: usize) -> Result<SimulatedCustomer> {
    let mut rng = customer_rng(spec.seed, index);

    let birth = rng.random::<f64>() * spec.acquisition_periods;
    let mut covariates = [0.0; 2];
    let (mut purchase_shift, mut dropout_shift) = (0.0, 0.0);
    if let Some(effects) = &spec.covariates {
        covariates[0] = if rng.random::<bool>() { 1.0 } else { 0.0 };
        covariates[1] = Normal::new(0.0, 1.0).map_err(draw_error)?.sample(&mut rng);
        purchase_shift = effects.purchase[0] * covariates[0] + effects.purchase[1] * covariates[1];
        dropout_shift = effects.dropout[0] * covariates[0] + effects.dropout[1] * covariates[1];
    }
    let end = spec.horizon_periods;
    let mut times = vec![birth];
    let window = DrawWindow {
        birth,
        end,
        shift: CovariateShift {
            purchase: purchase_shift,
            dropout: dropout_shift,
        },
    };
    times.extend(
        spec.process
            .transaction_model()?
            .draw_repeat_purchases(&mut rng, window)?,
    );
    // Rates are Gamma(shape, rate); rand_distr's Gamma takes a scale, hence 1/rate.
    let gamma = |shape: f64, rate: f64| Gamma::new(shape, 1.0 / rate).map_err(draw_error);
    let nu = gamma(spec.spend.q, spec.spend.gamma)?.sample(&mut rng);
    let order = gamma(spec.spend.p, nu)?;
    let amounts = times.iter().map(|_| order.sample(&mut rng)).collect();
    Ok(SimulatedCustomer {
        index,
        birth,
        purchase_times: times,
        amounts,
        covariates,
    })
}

/// One simulated order as it goes into a transaction file: the customer's index, the day
/// (from the start of the acquisition window) and the amount in cents (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulatedOrder {
    pub customer: u32,
    pub day: u32,
    pub cents: u64,
}

/// The customers' orders on calendar days (`days_per_unit` days a period, days clamped to
/// `0..=horizon_days`), by customer and date, or shuffled with `shuffle_seed` as a real export
/// might be ordered. Compact, so that millions of orders can be shuffled.
pub fn orders(
    customers: &[SimulatedCustomer],
    days_per_unit: f64,
    horizon_days: u32,
    shuffle_seed: Option<u64>,
) -> Vec<SimulatedOrder> {
    let mut rows = Vec::new();
    for c in customers {
        for (t, amount) in c.purchase_times.iter().zip(&c.amounts) {
            let day = ((t * days_per_unit).floor() as i64).clamp(0, i64::from(horizon_days));
            rows.push(SimulatedOrder {
                customer: c.index as u32,
                day: day as u32,
                cents: (amount * 100.0).round().max(1.0) as u64,
            });
        }
    }
    if let Some(seed) = shuffle_seed {
        use rand::seq::SliceRandom;
        rows.shuffle(&mut StdRng::seed_from_u64(seed));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::bgnbd::BgNbd;
    use crate::models::pnbd::ParetoNbd;

    fn spec(process: AnyModel, customers: usize) -> SimulationSpec {
        SimulationSpec {
            process,
            spend: SpendProcess {
                p: 6.0,
                q: 4.0,
                gamma: 15.0,
            },
            customers,
            acquisition_periods: 12.0,
            horizon_periods: 78.0,
            covariates: None,
            seed: 7,
        }
    }

    #[test]
    fn reproducible_for_a_seed_and_different_across_seeds() {
        let s = spec(
            AnyModel::BgNbd(BgNbd {
                r: 0.25,
                alpha: 4.0,
                a: 0.8,
                b: 2.4,
            }),
            500,
        );
        let a = simulate(&s).unwrap();
        let b = simulate(&s).unwrap();
        assert_eq!(a, b);
        let c = simulate(&SimulationSpec { seed: 8, ..s }).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn pareto_nbd_mean_purchases_match_the_closed_form() {
        // Without dropout (s/β tiny) the expected number of repeat purchases in t is r t / α.
        let s = SimulationSpec {
            acquisition_periods: 0.0,
            horizon_periods: 10.0,
            ..spec(
                AnyModel::ParetoNbd(ParetoNbd {
                    r: 2.0,
                    alpha: 4.0,
                    s: 0.01,
                    beta: 1e6,
                }),
                40_000,
            )
        };
        let sims = simulate(&s).unwrap();
        let mean = sims.iter().map(|c| c.summary_at(10.0).0).sum::<f64>() / sims.len() as f64;
        assert!(
            (mean - 5.0).abs() < 0.1,
            "mean repeat purchases {mean}, expected 5"
        );
    }

    #[test]
    fn spend_mean_matches_gamma_gamma() {
        // E[z] = p γ / (q − 1) for the Gamma-Gamma model.
        let sims = simulate(&spec(
            AnyModel::BgNbd(BgNbd {
                r: 1.0,
                alpha: 1.0,
                a: 1.0,
                b: 5.0,
            }),
            40_000,
        ))
        .unwrap();
        let (sum, n) = sims
            .iter()
            .map(|c| (c.amounts[0], 1.0))
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        let expected = 6.0 * 15.0 / 3.0;
        assert!(
            (sum / n - expected).abs() / expected < 0.03,
            "mean {} vs {expected}",
            sum / n
        );
    }

    #[test]
    fn invalid_spec_is_an_error() {
        let mut s = spec(
            AnyModel::BgNbd(BgNbd {
                r: -1.0,
                alpha: 4.0,
                a: 0.8,
                b: 2.4,
            }),
            10,
        );
        assert!(simulate(&s).is_err());
        s.process = AnyModel::BgNbd(BgNbd {
            r: 1.0,
            alpha: 4.0,
            a: 0.8,
            b: 2.4,
        });
        s.acquisition_periods = 100.0;
        assert!(simulate(&s).is_err());
    }
}
