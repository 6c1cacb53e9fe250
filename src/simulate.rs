//! Synthetic order histories drawn from known model parameters, for tests, benchmarks and the
//! demo.
//!
//! Each customer is drawn from their own generator seeded by (seed, customer index), so the
//! output is reproducible and independent of how the work is split across threads.
//! Time is measured in model periods (e.g. weeks) from the start of the acquisition window;
//! customers make their first purchase uniformly within that window.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma, Normal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{ClvError, Result};

/// The purchase-and-dropout process customers follow.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum PurchaseProcess {
    /// BG/NBD: Poisson purchases at rate λ ~ Gamma(r, α); after each repeat purchase the
    /// customer drops out with probability p ~ Beta(a, b).
    BgNbd { r: f64, alpha: f64, a: f64, b: f64 },
    /// MBG/NBD: as BG/NBD, but the dropout coin is also tossed right after the first purchase.
    MbgNbd { r: f64, alpha: f64, a: f64, b: f64 },
    /// Pareto/NBD: Poisson purchases at rate λ ~ Gamma(r, α) during an exponential lifetime
    /// with rate μ ~ Gamma(s, β).
    ParetoNbd {
        r: f64,
        alpha: f64,
        s: f64,
        beta: f64,
    },
}

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationSpec {
    pub process: PurchaseProcess,
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
        match self.process {
            PurchaseProcess::BgNbd { r, alpha, a, b }
            | PurchaseProcess::MbgNbd { r, alpha, a, b } => {
                positive("r", r)?;
                positive("alpha", alpha)?;
                positive("a", a)?;
                positive("b", b)?;
            }
            PurchaseProcess::ParetoNbd { r, alpha, s, beta } => {
                positive("r", r)?;
                positive("alpha", alpha)?;
                positive("s", s)?;
                positive("beta", beta)?;
            }
        }
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

fn dist_err(e: impl std::fmt::Display) -> ClvError {
    ClvError::InvalidParameter(format!("simulation distribution: {e}"))
}

fn simulate_one(spec: &SimulationSpec, index: usize) -> Result<SimulatedCustomer> {
    // SplitMix-style scrambling so neighbouring indices get unrelated streams.
    let mut z = spec.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    let mut rng = StdRng::seed_from_u64(z ^ (z >> 31));

    let birth = rng.random::<f64>() * spec.acquisition_periods;
    let mut covariates = [0.0; 2];
    let (mut purchase_shift, mut dropout_shift) = (0.0, 0.0);
    if let Some(effects) = &spec.covariates {
        covariates[0] = if rng.random::<bool>() { 1.0 } else { 0.0 };
        covariates[1] = Normal::new(0.0, 1.0).map_err(dist_err)?.sample(&mut rng);
        purchase_shift = effects.purchase[0] * covariates[0] + effects.purchase[1] * covariates[1];
        dropout_shift = effects.dropout[0] * covariates[0] + effects.dropout[1] * covariates[1];
    }
    let end = spec.horizon_periods;
    let mut times = vec![birth];
    // Rates are Gamma(shape, rate); rand_distr's Gamma takes a scale, hence 1/rate.
    let gamma = |shape: f64, rate: f64| Gamma::new(shape, 1.0 / rate).map_err(dist_err);
    match spec.process {
        PurchaseProcess::BgNbd { r, alpha, a, b } | PurchaseProcess::MbgNbd { r, alpha, a, b } => {
            let lambda = gamma(r, alpha * (-purchase_shift).exp())?.sample(&mut rng);
            let p = Beta::new(a, b * (-dropout_shift).exp())
                .map_err(dist_err)?
                .sample(&mut rng);
            let modified = matches!(spec.process, PurchaseProcess::MbgNbd { .. });
            let gap = Exp::new(lambda.max(1e-300)).map_err(dist_err)?;
            let mut alive = !(modified && rng.random::<f64>() < p);
            let mut t = birth;
            while alive {
                t += gap.sample(&mut rng);
                if t > end {
                    break;
                }
                times.push(t);
                alive = rng.random::<f64>() >= p;
            }
        }
        PurchaseProcess::ParetoNbd { r, alpha, s, beta } => {
            let lambda = gamma(r, alpha * (-purchase_shift).exp())?.sample(&mut rng);
            let mu = gamma(s, beta * (-dropout_shift).exp())?.sample(&mut rng);
            let death = birth + Exp::new(mu.max(1e-300)).map_err(dist_err)?.sample(&mut rng);
            let gap = Exp::new(lambda.max(1e-300)).map_err(dist_err)?;
            let stop = death.min(end);
            let mut t = birth;
            loop {
                t += gap.sample(&mut rng);
                if t > stop {
                    break;
                }
                times.push(t);
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(process: PurchaseProcess, customers: usize) -> SimulationSpec {
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
            PurchaseProcess::BgNbd {
                r: 0.25,
                alpha: 4.0,
                a: 0.8,
                b: 2.4,
            },
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
                PurchaseProcess::ParetoNbd {
                    r: 2.0,
                    alpha: 4.0,
                    s: 0.01,
                    beta: 1e6,
                },
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
            PurchaseProcess::BgNbd {
                r: 1.0,
                alpha: 1.0,
                a: 1.0,
                b: 5.0,
            },
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
            PurchaseProcess::BgNbd {
                r: -1.0,
                alpha: 4.0,
                a: 0.8,
                b: 2.4,
            },
            10,
        );
        assert!(simulate(&s).is_err());
        s.process = PurchaseProcess::BgNbd {
            r: 1.0,
            alpha: 4.0,
            a: 0.8,
            b: 2.4,
        };
        s.acquisition_periods = 100.0;
        assert!(simulate(&s).is_err());
    }
}
