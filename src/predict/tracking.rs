//! Tracking: the customer base's actual and expected repeat transactions over calendar time,
//! the data behind tracking plots (lifetimes' `expected_cumulative_transactions`, CLVTools'
//! tracking plot, BTYD's `cum.tracking`).
//!
//! Time runs in periods of whole days from `start` (by default the earliest first purchase).
//! Row k (k = 1..=periods) ends at the boundary b = start + k periods, exclusive: its `actual`
//! counts the repeat purchase days before b of every customer; its `expected` is the sum over
//! customers who first bought before b of the model's expected repeat purchases of a new
//! customer over (b − first purchase), in the model's unit. These are the conventions of
//! lifetimes' function, whose test values (from BTYD's walkthrough) the tests reproduce.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};

use crate::error::{ClvError, Result};
use crate::features::{Summary, TimeUnit};
use crate::models::TransactionModel;

/// One period of the tracking table: cumulative and per-period repeat transactions.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingRow {
    /// 1-based period number.
    pub period: u32,
    /// The period's last day (inclusive).
    pub last_day: NaiveDate,
    /// Repeat purchase days up to the period's end, all customers.
    pub actual: f64,
    /// The model's expectation of `actual`.
    pub expected: f64,
    /// `actual` of this period alone.
    pub actual_incremental: f64,
    /// `expected` of this period alone.
    pub expected_incremental: f64,
}

/// The calendar of the tracking: where it starts, how long a period is and how many.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackingPeriods {
    /// First day; `None`: the earliest first purchase of the summary.
    pub start: Option<NaiveDate>,
    /// Length of a period in whole days (7 for weeks).
    pub days: u32,
    pub periods: u32,
}

/// The tracking table of `summary`'s customers under `model` (fitted in `model_unit`). The
/// summary must hold every purchase day (built with `keep_purchase_times`, no calibration
/// end), and run at least to the last period's end.
pub fn tracking(
    model: &dyn TransactionModel,
    model_unit: TimeUnit,
    summary: &Summary,
    calendar: TrackingPeriods,
) -> Result<Vec<TrackingRow>> {
    let TrackingPeriods {
        start,
        days,
        periods,
    } = calendar;
    if days == 0 || periods == 0 {
        return Err(ClvError::InvalidParameter(format!(
            "tracking needs periods of at least one day and at least one period (got {days} \
             days x {periods})"
        )));
    }
    if summary.calibration_end.is_some() {
        return Err(ClvError::InvalidParameter(
            "tracking counts every purchase: build the summary without a calibration end".into(),
        ));
    }
    let Some(earliest) = summary.customers.iter().map(|c| c.first_purchase).min() else {
        return Err(ClvError::InvalidParameter("no customers to track".into()));
    };
    let start = start.unwrap_or(earliest);
    if start > earliest {
        return Err(ClvError::InvalidParameter(format!(
            "the tracking start {start} is after the earliest first purchase ({earliest}): \
             every customer must be tracked from the start"
        )));
    }
    let day = |n: u64| {
        start.checked_add_days(Days::new(n)).ok_or_else(|| {
            ClvError::InvalidParameter(format!("{n} days after {start} is not a date"))
        })
    };
    let span = u64::from(days) * u64::from(periods);
    let last_day = day(span - 1)?;
    if last_day > summary.observation_end {
        return Err(ClvError::InvalidParameter(format!(
            "the tracking runs to {last_day}, past the data's end ({}): give fewer periods",
            summary.observation_end
        )));
    }
    // Customers by first purchase day, and repeat purchase days by day, both from `start`.
    let dpu = summary.unit.days_per_unit();
    let mut firsts: BTreeMap<i64, f64> = BTreeMap::new();
    let mut repeats: BTreeMap<i64, f64> = BTreeMap::new();
    for c in &summary.customers {
        if c.purchase_times.is_empty() {
            return Err(ClvError::InvalidParameter(
                "tracking needs every purchase day: build the summary with keep_purchase_times"
                    .into(),
            ));
        }
        let first = (c.first_purchase - start).num_days();
        *firsts.entry(first).or_default() += 1.0;
        for &t in &c.purchase_times[1..] {
            *repeats.entry(first + (t * dpu).round() as i64).or_default() += 1.0;
        }
    }
    let model_days = model_unit.days_per_unit();
    let mut rows: Vec<TrackingRow> = Vec::with_capacity(periods as usize);
    for k in 1..=periods {
        let boundary = i64::from(k) * i64::from(days);
        // A fold from +0: an empty f64 sum is -0, which would print as "-0".
        let actual = repeats.range(..boundary).fold(0.0, |acc, (_, n)| acc + n);
        let mut expected = 0.0;
        for (&first, &count) in firsts.range(..boundary) {
            let age = (boundary - first) as f64 / model_days;
            expected += count * model.expected_purchases_new(age);
        }
        if !expected.is_finite() {
            return Err(ClvError::Numerical {
                what: format!("the expected repeat transactions up to period {k} ({expected})"),
                whom: "the tracked customers".into(),
            });
        }
        let (prev_actual, prev_expected) =
            rows.last().map_or((0.0, 0.0), |r| (r.actual, r.expected));
        rows.push(TrackingRow {
            period: k,
            last_day: day(u64::try_from(boundary - 1).unwrap_or(0))?,
            actual,
            expected,
            actual_incremental: actual - prev_actual,
            expected_incremental: expected - prev_expected,
        });
    }
    Ok(rows)
}

/// One customer's P(alive) over their own history (lifetimes' `calculate_alive_path`): at each
/// age `k * step` (k = 0..=steps, in the model's unit since the first purchase) the P(alive)
/// of the history up to then, purchases at that age included. `purchase_times` are the
/// customer's distinct purchase times in the model's unit, ascending from 0 (the first).
pub fn alive_path(
    model: &dyn TransactionModel,
    purchase_times: &[f64],
    step: f64,
    steps: u32,
) -> Result<Vec<(f64, f64)>> {
    if !(step.is_finite() && step > 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "the alive path's step must be a number > 0, got {step}"
        )));
    }
    if purchase_times.first() != Some(&0.0) || purchase_times.windows(2).any(|w| w[1] <= w[0]) {
        return Err(ClvError::InvalidParameter(
            "purchase times must ascend strictly from 0 (the first purchase)".into(),
        ));
    }
    (0..=steps)
        .map(|k| {
            let age = f64::from(k) * step;
            // Purchases up to this age: the first, then the repeats.
            let seen = purchase_times.partition_point(|&t| t <= age);
            let (x, t_x) = ((seen - 1) as f64, purchase_times[seen - 1]);
            let p = model.p_alive(x, t_x, age);
            if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
                return Err(ClvError::Numerical {
                    what: format!("P(alive) at age {age} ({p})"),
                    whom: format!("the history with {x} repeat purchases, the last at {t_x}"),
                });
            }
            Ok((age, p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{SummaryOptions, summarize_reader};
    use crate::ingest::ReadOptions;

    /// Half a repeat purchase per unit of age.
    struct Steady;
    impl TransactionModel for Steady {
        fn p_alive(&self, _: f64, _: f64, _: f64) -> f64 {
            1.0
        }
        fn expected_purchases_new(&self, h: f64) -> f64 {
            0.5 * h
        }
        fn prob_n_purchases(&self, _: u32, _: f64, _: f64, _: f64, _: f64) -> f64 {
            0.0
        }
    }

    fn summary(text: &str, unit: TimeUnit) -> Summary {
        let opts = SummaryOptions {
            unit,
            keep_purchase_times: true,
            ..Default::default()
        };
        summarize_reader(text.as_bytes(), "t", &ReadOptions::default(), &opts)
            .unwrap()
            .0
    }

    #[test]
    fn counts_repeats_and_sums_new_customer_expectations_by_first_purchase() {
        // Customer 1 from day 0 (repeats on days 2 and 5, twice on day 5), customer 2 from
        // day 3 (repeat on day 4); data to day 6.
        let text = "customer_id,date,amount\n1,2020-01-01,1\n1,2020-01-03,1\n1,2020-01-06,1\n\
                    1,2020-01-06,1\n2,2020-01-04,1\n2,2020-01-05,1\n3,2020-01-07,1\n";
        // The summary's unit does not matter; the model's does (weeks: ages in days / 7).
        for unit in [TimeUnit::Day, TimeUnit::Week] {
            let s = summary(text, unit);
            let cal = TrackingPeriods {
                start: None,
                days: 2,
                periods: 3,
            };
            let rows = tracking(&Steady, TimeUnit::Day, &s, cal).unwrap();
            let actual: Vec<f64> = rows.iter().map(|r| r.actual).collect();
            assert_eq!(actual, [0.0, 1.0, 3.0]);
            // Boundaries 2, 4, 6: customer 1 aged 2, 4, 6 days; customer 2 (day 3) 1, 3.
            let expected: Vec<f64> = rows.iter().map(|r| r.expected).collect();
            assert_eq!(expected, [1.0, 0.5 * (4.0 + 1.0), 0.5 * (6.0 + 3.0)]);
            assert_eq!(rows[2].actual_incremental, 2.0);
            assert_eq!(rows[2].expected_incremental, 2.0);
            assert_eq!(
                rows[2].last_day,
                NaiveDate::from_ymd_opt(2020, 1, 6).unwrap()
            );
            let weekly = tracking(&Steady, TimeUnit::Week, &s, cal).unwrap();
            assert!((weekly[2].expected - 0.5 * 9.0 / 7.0).abs() < 1e-12);
        }
    }

    #[test]
    fn refuses_summaries_without_purchase_days_or_a_late_start() {
        let text = "customer_id,date,amount\n1,2020-01-01,1\n1,2020-01-03,1\n";
        let cal = TrackingPeriods {
            start: None,
            days: 1,
            periods: 2,
        };
        let plain = summarize_reader(
            text.as_bytes(),
            "t",
            &ReadOptions::default(),
            &SummaryOptions::default(),
        )
        .unwrap()
        .0;
        assert!(tracking(&Steady, TimeUnit::Day, &plain, cal).is_err());
        let s = summary(text, TimeUnit::Day);
        assert!(tracking(&Steady, TimeUnit::Day, &s, cal).is_ok());
        let late = TrackingPeriods {
            start: NaiveDate::from_ymd_opt(2020, 1, 2),
            ..cal
        };
        assert!(tracking(&Steady, TimeUnit::Day, &s, late).is_err());
    }
}

#[cfg(test)]
mod alive_path_tests {
    use super::*;
    use crate::models::bgnbd::BgNbd;

    #[test]
    fn follows_the_history_and_ends_at_the_customers_p_alive() {
        // lifetimes' test_calculate_alive_path: 1 at the first purchase (BG/NBD: no repeat
        // yet), the customer's own P(alive) at their age T.
        let m = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let times = [0.0, 3.0, 4.0, 10.0];
        let path = alive_path(&m, &times, 1.0, 20).unwrap();
        assert_eq!(path.len(), 21);
        assert_eq!(path[0], (0.0, 1.0));
        assert_eq!(path[20].1, m.p_alive(3.0, 10.0, 20.0));
        // Just before and at a repeat purchase: (0, 0, 2) then (1, 3, 3).
        assert_eq!(path[2].1, m.p_alive(0.0, 0.0, 2.0));
        assert_eq!(path[3].1, m.p_alive(1.0, 3.0, 3.0));
        // Between purchases P(alive) only falls; a purchase raises it.
        assert!(path[9].1 < path[5].1 && path[10].1 > path[9].1);
        assert!(alive_path(&m, &[1.0, 2.0], 1.0, 3).is_err());
        assert!(alive_path(&m, &times, 0.0, 3).is_err());
    }
}
