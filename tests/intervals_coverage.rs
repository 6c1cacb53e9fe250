//! Coverage of the parameter-uncertainty intervals, by simulation: many small datasets are
//! simulated from known BG/NBD parameters and fitted, and the 90% interval of the total
//! expected purchases over a year (and of the total discounted purchases, CLV per unit of
//! spend) is compared with the value the model implies at the TRUE parameters for the same
//! customers. That truth is what a parameter-uncertainty interval is about (not the purchases
//! the customers will actually make, which add the customers' own randomness).
//!
//! Monte Carlo error: with 200 datasets the observed coverage of a true 90% interval has a
//! standard error of sqrt(0.9 · 0.1 / 200) = 2.1 points, so the 85–95% band is ±2.4 standard
//! errors; the datasets are seeded, so the run is reproducible.

use clv::models::{AnyModel, FitData, FitOptions, ModelKind, RfmData, registry};
use clv::predict::ClvSettings;
use clv::predict::batch::Patterns;
use clv::predict::intervals::{Interval, IntervalSettings, transaction_pattern_draws};
use clv::simulate::{SimulationSpec, SpendProcess, simulate};
use rayon::prelude::*;

const DATASETS: u64 = 200;
const CUSTOMERS: usize = 300;
const TRUTH: [f64; 4] = [0.25, 4.0, 0.8, 2.5];

/// Whether the interval of dataset `seed` covers the truth: (total purchases, total CLV per
/// unit of spend); `None` when the fit has no covariance (a maximum on the boundary, where the
/// library refuses an interval), which the test counts and bounds.
fn covers(seed: u64) -> Option<(bool, bool)> {
    let truth = AnyModel::from_params(ModelKind::BgNbd, &TRUTH).unwrap();
    let spec = SimulationSpec {
        process: truth.clone(),
        spend: SpendProcess {
            p: 6.0,
            q: 4.0,
            gamma: 15.0,
        },
        customers: CUSTOMERS,
        acquisition_periods: 12.0,
        horizon_periods: 39.0,
        covariates: None,
        seed,
    };
    let (mut x, mut t_x, mut t) = (vec![], vec![], vec![]);
    for c in simulate(&spec).unwrap() {
        // Whole weeks, as summaries in weeks of daily data are close to.
        let (a, b, c, _) = c.summary_at(39.0);
        x.push(a);
        t_x.push((b * 7.0).floor() / 7.0);
        t.push((c * 7.0).floor() / 7.0);
    }
    let data = RfmData::new(&x, &t_x, &t, None).unwrap();
    let fitted = registry::fit(
        ModelKind::BgNbd,
        FitData::Transaction(&data),
        &FitOptions::default(),
        "week",
    )
    .unwrap();
    let patterns = Patterns::of(&x, &t_x, &t);
    // A year in quarters (13-week periods), discounted 10% a year: quarters rather than weeks
    // keep the discounted sums (one evaluation per period) cheap across 200 × 200 draws.
    let clv = ClvSettings {
        horizon: 52.0,
        period_length: 13.0,
        discount_per_period: 1.1f64.powf(0.25) - 1.0,
        margin: 1.0,
    };
    clv.validate().unwrap();
    let settings = IntervalSettings {
        seed: seed ^ 0xABCD,
        ..IntervalSettings::default()
    };
    fitted.saved.fit.covariance.as_ref()?;
    let draws = transaction_pattern_draws(&fitted.saved, &patterns, &clv, &settings).unwrap();
    let total = |f: &dyn Fn(usize, usize) -> f64| -> Vec<f64> {
        (0..draws.len())
            .map(|d| patterns.of_customer.iter().map(|&p| f(d, p as usize)).sum())
            .collect()
    };
    let mut purchases = total(&|d, p| draws[d].expected_purchases[p]);
    let mut discounted = total(&|d, p| draws[d].clv_per_spend[p]);
    // The same quantities at the true parameters.
    let truth_draws = {
        let model = truth.transaction_model().unwrap();
        let scores = clv::predict::batch::score_patterns(model, clv.horizon(), &patterns);
        let p_alive: Vec<f64> = scores.iter().map(|s| s.p_alive).collect();
        let cps = clv::predict::batch::clv_per_unit_spend(model, &clv, &patterns, &p_alive);
        let sum = |v: &dyn Fn(usize) -> f64| -> f64 {
            patterns.of_customer.iter().map(|&p| v(p as usize)).sum()
        };
        (sum(&|p| scores[p].expected_purchases), sum(&|p| cps[p]))
    };
    let inside = |v: &mut Vec<f64>, truth: f64| {
        let i = Interval::of(v, 0.9);
        i.lower <= truth && truth <= i.upper
    };
    Some((
        inside(&mut purchases, truth_draws.0),
        inside(&mut discounted, truth_draws.1),
    ))
}

#[test]
fn ninety_percent_intervals_cover_the_truth_85_to_95_percent_of_the_time() {
    let all: Vec<Option<(bool, bool)>> = (0..DATASETS)
        .into_par_iter()
        .map(|s| covers(1000 + s))
        .collect();
    let results: Vec<(bool, bool)> = all.iter().flatten().copied().collect();
    assert!(
        results.len() as f64 >= 0.95 * DATASETS as f64,
        "{} of {DATASETS} fits had no covariance",
        all.len() - results.len()
    );
    let share = |f: fn(&(bool, bool)) -> bool| {
        results.iter().filter(|r| f(r)).count() as f64 / results.len() as f64
    };
    let (purchases, discounted) = (share(|r| r.0), share(|r| r.1));
    for (what, c) in [
        ("total expected purchases", purchases),
        ("total discounted purchases", discounted),
    ] {
        eprintln!(
            "90% interval of the {what}: covered the truth in {:.1}% of {} datasets",
            100.0 * c,
            results.len()
        );
        assert!(
            (0.85..=0.95).contains(&c),
            "the 90% interval of the {what} covered the truth in {:.1}% of {DATASETS} datasets",
            100.0 * c
        );
    }
}
