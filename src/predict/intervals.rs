//! Intervals for predictions that reflect the uncertainty of the estimated parameters.
//!
//! The maximum-likelihood estimates are asymptotically normal with the inverse observed
//! information as covariance (which the optimiser reports). Positive parameters are drawn on
//! the log scale, where that normal approximation is better and every draw stays valid: by the
//! delta method Cov(ln θ) = D⁻¹ Cov(θ) D⁻¹ with D = diag(θ̂), and a draw is
//! θ* = exp(ln θ̂ + L z), L the Cholesky factor of Cov(ln θ), z standard normal. Each draw's
//! predictions (expected purchases, spend, CLV) are computed exactly, and the interval of a
//! prediction is the central quantile range of its draws. The transaction and the spend models
//! are fitted on separate likelihoods, so their draws are independent. Draws are seeded per
//! index, so results do not depend on the number of threads.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::batch::{Patterns, clv_per_unit_spend, score_patterns};
use super::bundle::Bundle;
use super::clv::ClvSettings;
use super::score::BundleScores;
use crate::error::{ClvError, Result};
use crate::features::{CustomerSummary, Summary};
use crate::models::AnyModel;
use crate::models::data::distinct;
use crate::models::gamma_gamma::GammaGamma;
use crate::models::saved::SavedModel;
use crate::optim::FitReport;
use std::collections::HashMap;

/// Level, number of draws and seed of the intervals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntervalSettings {
    /// Central coverage, in (0, 1): 0.9 for a 90% interval.
    pub level: f64,
    /// Parameter draws (at least 20).
    pub draws: usize,
    pub seed: u64,
}

impl Default for IntervalSettings {
    fn default() -> Self {
        IntervalSettings {
            level: 0.9,
            draws: 200,
            seed: 20_261_202,
        }
    }
}

impl IntervalSettings {
    pub fn validate(&self) -> Result<()> {
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(ClvError::InvalidParameter(format!(
                "the interval level must be strictly between 0 and 1, got {}",
                self.level
            )));
        }
        if self.draws < 20 {
            return Err(ClvError::InvalidParameter(format!(
                "intervals need at least 20 parameter draws, got {}",
                self.draws
            )));
        }
        Ok(())
    }
}

/// A central interval of a prediction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

impl Interval {
    /// The central `level` range of `values` (sorted in place), quantiles linearly
    /// interpolated between order statistics.
    pub fn of(values: &mut [f64], level: f64) -> Interval {
        values.sort_by(f64::total_cmp);
        let q = |p: f64| {
            let pos = p * (values.len().max(1) - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            values[lo] + (pos - lo as f64) * (values[hi] - values[lo])
        };
        let tail = (1.0 - level) / 2.0;
        Interval {
            lower: q(tail),
            upper: q(1.0 - tail),
        }
    }
}

/// The generator of draw `index`: (seed, index) scrambled SplitMix-style.
fn draw_rng(seed: u64, index: usize) -> StdRng {
    let mut z = seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    StdRng::seed_from_u64(z ^ (z >> 31))
}

/// Lower Cholesky factor of a symmetric positive-definite matrix; `None` when it is not.
fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let k = a.len();
    let mut l = vec![vec![0.0; k]; k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = (0..j).map(|m| l[i][m] * l[j][m]).sum();
            if i == j {
                let d = a[i][i] - s;
                if !(d.is_finite() && d > 0.0) {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    Some(l)
}

/// The Cholesky factor of the covariance of a fit's estimates on the scale they are drawn on:
/// the first `log_scaled` parameters (positive ones) on the log scale, the others (regression
/// coefficients) as they are. An error says why there is none: no covariance (a singular
/// information matrix, e.g. a maximum on the boundary), one that does not match the
/// parameters, or one that is not positive definite.
pub(super) fn draw_factor(
    fit: &FitReport,
    log_scaled: usize,
) -> std::result::Result<Vec<Vec<f64>>, String> {
    let estimates = &fit.estimates;
    let Some(cov) = fit.covariance.as_ref() else {
        return Err(format!(
            "the {} fit has no covariance (its information matrix is singular, as at a \
             boundary of the parameter space)",
            fit.model
        ));
    };
    let k = estimates.len();
    if cov.len() != k || cov.iter().any(|row| row.len() != k) || log_scaled > k {
        return Err(format!(
            "the {} fit's covariance does not match its parameters",
            fit.model
        ));
    }
    let scale = |i: usize| if i < log_scaled { estimates[i] } else { 1.0 };
    let scaled: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| cov[i][j] / (scale(i) * scale(j))).collect())
        .collect();
    cholesky(&scaled).ok_or_else(|| {
        format!(
            "the {} fit's covariance is not positive definite",
            fit.model
        )
    })
}

/// Parameters of draw `d` of a fit with factor `l` from [`draw_factor`].
pub(super) fn drawn_params(
    fit: &FitReport,
    log_scaled: usize,
    l: &[Vec<f64>],
    seed: u64,
    d: usize,
) -> Vec<f64> {
    let k = fit.estimates.len();
    let mut rng = draw_rng(seed, d);
    let z: Vec<f64> = (0..k).map(|_| StandardNormal.sample(&mut rng)).collect();
    (0..k)
        .map(|i| {
            let shift: f64 = (0..=i).map(|j| l[i][j] * z[j]).sum();
            if i < log_scaled {
                fit.estimates[i] * shift.exp()
            } else {
                fit.estimates[i] + shift
            }
        })
        .collect()
}

/// Why parameter-uncertainty intervals cannot be drawn for the saved model (`None`: they can).
pub fn no_interval_reason(saved: &SavedModel) -> Option<String> {
    draw_factor(&saved.fit, saved.fit.estimates.len()).err()
}

/// `draws` models of the saved model's kind with parameters drawn from the estimates'
/// sampling distribution on the log scale. Errors, naming the model, when the fit has no
/// covariance (singular information, e.g. a maximum on the boundary).
pub fn parameter_draws(saved: &SavedModel, draws: usize, seed: u64) -> Result<Vec<AnyModel>> {
    let kind = saved.kind()?;
    let k = saved.fit.estimates.len();
    let l = draw_factor(&saved.fit, k)
        .map_err(|why| ClvError::numerical("the parameter-uncertainty interval", why))?;
    (0..draws)
        .into_par_iter()
        .map(|d| AnyModel::from_params(kind, &drawn_params(&saved.fit, k, &l, seed, d)))
        .collect()
}

/// Per pattern, for one parameter draw of the transaction model: expected purchases over the
/// horizon and discounted expected purchases (CLV per unit of spend).
#[derive(Debug, Clone)]
pub struct PatternDraw {
    pub expected_purchases: Vec<f64>,
    pub clv_per_spend: Vec<f64>,
}

/// Every draw's pattern predictions, checked finite and non-negative.
pub fn transaction_pattern_draws(
    saved: &SavedModel,
    patterns: &Patterns,
    clv: &ClvSettings,
    settings: &IntervalSettings,
) -> Result<Vec<PatternDraw>> {
    settings.validate()?;
    let models = parameter_draws(saved, settings.draws, settings.seed)?;
    models
        .par_iter()
        .enumerate()
        .map(|(d, any)| {
            let model = any.transaction_model()?;
            let scores = score_patterns(model, clv.horizon(), patterns);
            let p_alive: Vec<f64> = scores.iter().map(|s| s.p_alive).collect();
            let draw = PatternDraw {
                expected_purchases: scores.iter().map(|s| s.expected_purchases).collect(),
                clv_per_spend: clv_per_unit_spend(model, clv, patterns, &p_alive),
            };
            let bad = draw
                .expected_purchases
                .iter()
                .chain(&draw.clv_per_spend)
                .position(|v| !(v.is_finite() && *v >= 0.0));
            if let Some(i) = bad {
                let p = i % patterns.len().max(1);
                return Err(ClvError::numerical(
                    "the expected purchases of a parameter draw",
                    format!(
                        "draw {d} of {} ({:?}) at frequency {}, recency {}, T {}",
                        saved.model,
                        any.params(),
                        patterns.x[p],
                        patterns.t_x[p],
                        patterns.t[p]
                    ),
                ));
            }
            Ok(draw)
        })
        .collect()
}

/// The intervals of one customer's predictions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CustomerIntervals {
    pub expected_purchases: Interval,
    pub predicted_revenue: Interval,
    pub clv: Interval,
}

/// The intervals of a scoring run: per customer (in the summary's order) and of the totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreIntervals {
    pub settings: IntervalSettings,
    pub customers: Vec<CustomerIntervals>,
    pub total_expected_purchases: Interval,
    pub total_predicted_revenue: Interval,
    pub total_clv: Interval,
}

/// Expected order value of customer `c` under spend draw `g`, checked.
fn order_value(g: &GammaGamma, c: &CustomerSummary, draw: usize) -> Result<f64> {
    let m = g.conditional_expected_average_spend(c.frequency, c.monetary_value)?;
    if m.is_finite() && m >= 0.0 {
        Ok(m)
    } else {
        Err(ClvError::numerical(
            "the expected order value of a parameter draw",
            format!("customer '{}' (spend draw {draw}: {g:?})", c.customer_id),
        ))
    }
}

/// Parameter-uncertainty intervals of `clv score`'s expected purchases, predicted revenue and
/// CLV, per customer and in total, for the customers of `summary` scored with `bundle`.
/// Customers who share (x, t_x, T) and monetary value share every draw's predictions, so each
/// such group is computed once.
pub fn score_intervals(
    bundle: &Bundle,
    summary: &Summary,
    clv: &ClvSettings,
    settings: &IntervalSettings,
) -> Result<ScoreIntervals> {
    clv.validate()?;
    let cs = &summary.customers;
    let column = |f: fn(&CustomerSummary) -> f64| cs.iter().map(f).collect::<Vec<f64>>();
    let patterns = Patterns::of(
        &column(|c| c.frequency),
        &column(|c| c.recency),
        &column(|c| c.t),
    );
    let transaction =
        transaction_pattern_draws(&bundle.transaction_model, &patterns, clv, settings)?;
    // The spend draws use their own stream (seed + 1), independent of the transaction draws.
    let spend: Vec<GammaGamma> = parameter_draws(
        &bundle.spend_model,
        settings.draws,
        settings.seed.wrapping_add(1),
    )?
    .into_iter()
    .map(|m| m.spend_model().copied())
    .collect::<Result<_>>()?;
    let (groups, group_of) = distinct(cs.len(), |i| {
        [f64::from(patterns.of_customer[i]), cs[i].monetary_value]
    });
    // Per group: its first customer (who stands for it) and its size.
    let mut first = vec![0usize; groups.len()];
    let mut size = vec![0.0f64; groups.len()];
    for (i, &g) in group_of.iter().enumerate().rev() {
        first[g as usize] = i;
        size[g as usize] += 1.0;
    }
    // Per draw and group: (purchases, revenue, CLV).
    let value = |d: usize, g: usize| -> Result<[f64; 3]> {
        let p = groups[g][0] as usize;
        let m = order_value(&spend[d], &cs[first[g]], d)?;
        let purchases = transaction[d].expected_purchases[p];
        Ok([
            purchases,
            purchases * m,
            transaction[d].clv_per_spend[p] * m,
        ])
    };
    let level = settings.level;
    let per_group: Vec<CustomerIntervals> = (0..groups.len())
        .into_par_iter()
        .map(|g| {
            let mut v = [
                Vec::with_capacity(settings.draws),
                Vec::with_capacity(settings.draws),
                Vec::with_capacity(settings.draws),
            ];
            for d in 0..settings.draws {
                let [a, b, c] = value(d, g)?;
                v[0].push(a);
                v[1].push(b);
                v[2].push(c);
            }
            let [a, b, c] = &mut v;
            Ok(CustomerIntervals {
                expected_purchases: Interval::of(a, level),
                predicted_revenue: Interval::of(b, level),
                clv: Interval::of(c, level),
            })
        })
        .collect::<Result<_>>()?;
    let totals: Vec<[f64; 3]> = (0..settings.draws)
        .into_par_iter()
        .map(|d| {
            let mut t = [0.0; 3];
            for (g, n) in size.iter().enumerate() {
                let v = value(d, g)?;
                (0..3).for_each(|k| t[k] += n * v[k]);
            }
            Ok(t)
        })
        .collect::<Result<_>>()?;
    let total = |k: usize| {
        let mut v: Vec<f64> = totals.iter().map(|t| t[k]).collect();
        Interval::of(&mut v, level)
    };
    Ok(ScoreIntervals {
        settings: *settings,
        customers: group_of.iter().map(|&g| per_group[g as usize]).collect(),
        total_expected_purchases: total(0),
        total_predicted_revenue: total(1),
        total_clv: total(2),
    })
}

/// The intervals of a scoring run's totals, or why there are none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IntervalOutcome {
    /// Every row has its CLV interval.
    Computed {
        settings: IntervalSettings,
        total_predicted_revenue: Interval,
        total_clv: Interval,
    },
    /// The models' fits give no parameter draws (the reason); rows have no interval.
    Unavailable(String),
}

/// Adds the CLV interval of every customer of `scored` (a scoring run of `summary` with
/// `bundle`), or says why there is none: a fit without a usable covariance is not an error but
/// an [`IntervalOutcome::Unavailable`], so that scores are still written, without intervals.
pub fn attach_score_intervals(
    bundle: &Bundle,
    summary: &Summary,
    scored: &mut BundleScores,
    settings: &IntervalSettings,
) -> Result<IntervalOutcome> {
    settings.validate()?;
    let why = [&bundle.transaction_model, &bundle.spend_model]
        .into_iter()
        .filter_map(no_interval_reason)
        .collect::<Vec<_>>();
    if !why.is_empty() {
        return Ok(IntervalOutcome::Unavailable(why.join("; ")));
    }
    let intervals = score_intervals(bundle, summary, &scored.settings.clv, settings)?;
    let index: HashMap<&str, usize> = summary
        .customers
        .iter()
        .enumerate()
        .map(|(i, c)| (c.customer_id.as_str(), i))
        .collect();
    for row in &mut scored.rows {
        row.clv_interval = index
            .get(row.customer_id.as_str())
            .map(|&i| intervals.customers[i].clv);
    }
    Ok(IntervalOutcome::Computed {
        settings: *settings,
        total_predicted_revenue: intervals.total_predicted_revenue,
        total_clv: intervals.total_clv,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let mut v: Vec<f64> = (0..=100).rev().map(f64::from).collect();
        let i = Interval::of(&mut v, 0.9);
        assert!((i.lower - 5.0).abs() < 1e-12 && (i.upper - 95.0).abs() < 1e-12);
        let mut w = vec![1.0, 2.0];
        let j = Interval::of(&mut w, 0.5);
        assert!((j.lower - 1.25).abs() < 1e-12 && (j.upper - 1.75).abs() < 1e-12);
    }

    #[test]
    fn cholesky_rebuilds_the_matrix_and_rejects_indefinite_ones() {
        let a = vec![
            vec![4.0, 2.0, 0.4],
            vec![2.0, 3.0, 0.5],
            vec![0.4, 0.5, 1.0],
        ];
        let l = cholesky(&a).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let back: f64 = (0..3).map(|m| l[i][m] * l[j][m]).sum();
                assert!((back - a[i][j]).abs() < 1e-12);
            }
        }
        assert!(cholesky(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
        assert!(cholesky(&[vec![f64::NAN]]).is_none());
    }
}
