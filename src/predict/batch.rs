//! Scoring many customers at once: P(alive), expected purchases and P(no purchase) over a
//! horizon. Customers who share (x, t_x, T) share every prediction, and those who share
//! (x, T) share the outlook if alive (see [`TransactionModel::outlook_if_alive`]), so each is
//! computed once, in parallel. 1M simulated customers have 153,632 distinct (x, t_x, T) but
//! only 2,613 distinct (x, T).

use rayon::prelude::*;

use super::clv::{ClvSettings, clv_if_alive, customer_clv};
use crate::models::TransactionModel;
use crate::models::data::distinct;
use crate::models::pnbd::ParetoNbd;

/// The distinct (x, t_x, T) of a set of customers, which one each customer has, and the
/// distinct (x, T) of those patterns.
#[derive(Debug, Clone, Default)]
pub struct Patterns {
    pub x: Vec<f64>,
    pub t_x: Vec<f64>,
    pub t: Vec<f64>,
    /// Per customer, the index of its pattern.
    pub of_customer: Vec<u32>,
    /// The distinct (x, T) of the patterns.
    pub x_t: Vec<[f64; 2]>,
    /// Per pattern, the index of its (x, T).
    pub x_t_of_pattern: Vec<u32>,
}

impl Patterns {
    /// Groups customers by their exact (x, t_x, T), in order of first appearance; where a
    /// sample says nearly every customer has a pattern of their own (continuous times), each
    /// customer is its own pattern, which gives the same predictions without the hashing
    /// (0.5 s of the 0.8 s that 1M such customers took to score).
    pub fn of(x: &[f64], t_x: &[f64], t: &[f64]) -> Self {
        if nearly_all_distinct(x, t_x, t) {
            return Patterns {
                x: x.to_vec(),
                t_x: t_x.to_vec(),
                t: t.to_vec(),
                of_customer: (0..x.len() as u32).collect(),
                x_t: x.iter().zip(t).map(|(&x, &t)| [x, t]).collect(),
                x_t_of_pattern: (0..x.len() as u32).collect(),
            };
        }
        Self::merged(x, t_x, t)
    }

    /// Customers grouped by hashing their (x, t_x, T), then the patterns' (x, T).
    fn merged(x: &[f64], t_x: &[f64], t: &[f64]) -> Self {
        let (values, of_customer) = distinct(x.len(), |i| [x[i], t_x[i], t[i]]);
        let (x_t, x_t_of_pattern) = distinct(values.len(), |i| [values[i][0], values[i][2]]);
        Patterns {
            x: values.iter().map(|v| v[0]).collect(),
            t_x: values.iter().map(|v| v[1]).collect(),
            t: values.iter().map(|v| v[2]).collect(),
            of_customer,
            x_t,
            x_t_of_pattern,
        }
    }

    pub fn len(&self) -> usize {
        self.x.len()
    }

    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// `f(x, T)` once per distinct (x, T), in parallel.
    fn per_x_t<R: Send>(&self, f: impl Fn(f64, f64) -> R + Sync) -> Vec<R> {
        self.x_t.par_iter().map(|&[x, t]| f(x, t)).collect()
    }
}

/// Rows sampled to decide whether merging the patterns pays.
const SAMPLE: usize = 4096;

/// Whether at least 98% of an evenly spaced sample of the customers have distinct (x, t_x,
/// T): merging would then save at most a few per cent of the scoring and cost a hash-table
/// insert per customer. Day-based summaries (1M customers, 153,632 patterns) merge.
fn nearly_all_distinct(x: &[f64], t_x: &[f64], t: &[f64]) -> bool {
    let n = x.len();
    if n < 2 * SAMPLE {
        return false;
    }
    let step = n / SAMPLE;
    let (values, _) = distinct(SAMPLE, |k| {
        let i = k * step;
        [x[i], t_x[i], t[i]]
    });
    values.len() * 50 >= SAMPLE * 49
}

/// Predictions for one pattern.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PatternScore {
    pub p_alive: f64,
    pub expected_purchases: f64,
    pub p_no_purchase: f64,
}

/// Scores each pattern over `horizon`.
pub fn score_patterns(
    model: &dyn TransactionModel,
    horizon: f64,
    patterns: &Patterns,
) -> Vec<PatternScore> {
    let Patterns { x, t_x, t, .. } = patterns;
    let pair_index = &patterns.x_t_of_pattern;
    let if_alive = patterns.per_x_t(|x, t| {
        Some((
            model.expected_purchases_if_alive(horizon, x, t)?,
            model.prob_no_purchase_if_alive(horizon, x, t)?,
        ))
    });
    (0..x.len())
        .into_par_iter()
        .map(|i| {
            let (x, t_x, t) = (x[i], t_x[i], t[i]);
            let p_alive = model.p_alive(x, t_x, t);
            match if_alive[pair_index[i] as usize] {
                Some((expected, none)) => PatternScore {
                    p_alive,
                    expected_purchases: p_alive * expected,
                    p_no_purchase: p_alive * none + (1.0 - p_alive),
                },
                None => PatternScore {
                    p_alive,
                    expected_purchases: model.expected_purchases(horizon, x, t_x, t),
                    p_no_purchase: model.prob_n_purchases(0, horizon, x, t_x, t),
                },
            }
        })
        .collect()
}

/// Discounted, margin-adjusted CLV per unit of expected order value for each pattern (the
/// CLV of a customer is this times their expected spend), given each pattern's P(alive).
pub fn clv_per_unit_spend(
    model: &dyn TransactionModel,
    settings: &ClvSettings,
    patterns: &Patterns,
    p_alive: &[f64],
) -> Vec<f64> {
    let pair_index = &patterns.x_t_of_pattern;
    let if_alive = patterns.per_x_t(|x, t| clv_if_alive(model, x, t, 1.0, settings));
    (0..patterns.len())
        .into_par_iter()
        .map(|i| match if_alive[pair_index[i] as usize] {
            Some(v) => p_alive[i] * v,
            None => {
                let (x, t_x, t) = (patterns.x[i], patterns.t_x[i], patterns.t[i]);
                customer_clv(model, x, t_x, t, 1.0, settings)
            }
        })
        .collect()
}

/// Pareto/NBD's DERT at continuous discount rate `delta` for each pattern, given each
/// pattern's P(alive) (from [`score_patterns`]).
pub fn dert_patterns(
    model: &ParetoNbd,
    delta: f64,
    patterns: &Patterns,
    p_alive: &[f64],
) -> Vec<f64> {
    let if_alive = patterns.per_x_t(|x, t| model.dert_if_alive(delta, x, t));
    patterns
        .x_t_of_pattern
        .iter()
        .zip(p_alive)
        .map(|(&j, pa)| pa * if_alive[j as usize])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Model;
    use crate::models::bgnbd::BgNbd;
    use crate::models::mbgnbd::MbgNbd;
    use crate::models::pnbd::ParetoNbd;

    /// Customers with continuous times are their own patterns, and score as when merged.
    #[test]
    fn distinct_customers_are_their_own_patterns() {
        let n = 3 * SAMPLE;
        let x: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
        let t_x: Vec<f64> = (0..n)
            .map(|i| {
                if i % 7 == 0 {
                    0.0
                } else {
                    1.0 + i as f64 * 1e-3
                }
            })
            .collect();
        let t: Vec<f64> = (0..n).map(|i| 20.0 + i as f64 * 1e-3).collect();
        let own = Patterns::of(&x, &t_x, &t);
        assert_eq!(own.len(), n);
        // Day-rounded times repeat: merged.
        let days = |v: &[f64]| v.iter().map(|v| v.round()).collect::<Vec<f64>>();
        let merged = Patterns::of(&x, &days(&t_x), &days(&t));
        assert!(merged.len() < n / 2, "{}", merged.len());
        let by_hash = Patterns::merged(&x, &t_x, &t);
        let m = ParetoNbd::from_params(&[0.55, 10.58, 0.61, 11.67]).unwrap();
        let (a, b) = (
            score_patterns(&m, 39.0, &own),
            score_patterns(&m, 39.0, &by_hash),
        );
        for i in 0..n {
            assert_eq!(
                a[own.of_customer[i] as usize],
                b[by_hash.of_customer[i] as usize]
            );
        }
    }

    #[test]
    fn batch_scores_equal_the_per_customer_methods_and_clv() {
        let x = [0.0, 2.0, 2.0, 7.0, 2.0, 0.0];
        let t_x = [0.0, 10.0, 30.5, 36.0, 10.0, 0.0];
        let t = [38.0, 38.0, 38.0, 39.0, 38.0, 20.0];
        let patterns = Patterns::of(&x, &t_x, &t);
        assert_eq!(patterns.len(), 5);
        assert_eq!(patterns.of_customer, vec![0, 1, 2, 3, 1, 4]);
        let models: Vec<Box<dyn TransactionModel>> = vec![
            Box::new(BgNbd::from_params(&[0.24, 4.41, 0.79, 2.43]).unwrap()),
            Box::new(MbgNbd::from_params(&[0.5, 6.0, 0.6, 1.5]).unwrap()),
            Box::new(ParetoNbd::from_params(&[0.55, 10.58, 0.61, 11.67]).unwrap()),
        ];
        for m in &models {
            let scores = score_patterns(m.as_ref(), 39.0, &patterns);
            for (i, &p) in patterns.of_customer.iter().enumerate() {
                let s = scores[p as usize];
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-3);
                assert!(close(s.p_alive, m.p_alive(x[i], t_x[i], t[i])));
                assert!(close(
                    s.expected_purchases,
                    m.expected_purchases(39.0, x[i], t_x[i], t[i])
                ));
                assert!(close(
                    s.p_no_purchase,
                    m.prob_n_purchases(0, 39.0, x[i], t_x[i], t[i])
                ));
            }
        }
        let settings = ClvSettings {
            horizon: 12.0 * 4.345,
            period_length: 4.345,
            discount_per_period: 0.01,
            margin: 0.3,
        };
        for m in &models {
            let p_alive: Vec<f64> = score_patterns(m.as_ref(), 39.0, &patterns)
                .iter()
                .map(|s| s.p_alive)
                .collect();
            let clv = clv_per_unit_spend(m.as_ref(), &settings, &patterns, &p_alive);
            for (i, got) in clv.iter().enumerate() {
                let (x, t_x, t) = (patterns.x[i], patterns.t_x[i], patterns.t[i]);
                let want = customer_clv(m.as_ref(), x, t_x, t, 1.0, &settings);
                assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
            }
        }
        let pnbd = ParetoNbd::from_params(&[0.55, 10.58, 0.61, 11.67]).unwrap();
        let p_alive: Vec<f64> = score_patterns(&pnbd, 39.0, &patterns)
            .iter()
            .map(|s| s.p_alive)
            .collect();
        let dert = dert_patterns(&pnbd, 0.01, &patterns, &p_alive);
        for (i, got) in dert.iter().enumerate() {
            let want = pnbd.dert(0.01, patterns.x[i], patterns.t_x[i], patterns.t[i]);
            assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
        }
    }
}
