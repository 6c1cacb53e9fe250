//! Small hand-made summaries for the library's unit tests.

use chrono::NaiveDate;

use super::{CustomerSummary, Holdout, Summary, TimeUnit};

/// A customer with `x` repeat purchases two weeks apart, 5.00 an order, aged 10 weeks, with a
/// holdout of 8 weeks holding `holdout` purchases when given.
pub fn customer(id: &str, x: f64, extras: &[&str], holdout: Option<f64>) -> CustomerSummary {
    let day = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    CustomerSummary {
        customer_id: id.into(),
        frequency: x,
        recency: x * 2.0,
        t: 10.0,
        monetary_value: if x > 0.0 { 5.0 } else { 0.0 },
        first_purchase: day,
        last_purchase: day,
        orders: x as u64 + 1,
        total_spend: 5.0 * (x + 1.0),
        first_order_value: 5.0,
        holdout: holdout.map(|f| Holdout {
            frequency: f,
            monetary_value: 0.0,
            duration: 8.0,
            spend: 0.0,
            last_purchase_after_calibration: if f > 0.0 { 8.0 } else { 0.0 },
        }),
        extras: extras.iter().map(|s| s.to_string()).collect(),
        purchase_times: (0..=x as usize).map(|k| k as f64 * 2.0).collect(),
    }
}

/// Two extra columns, `channel` and `score`; calibration and observation end on 2020-03-01.
pub fn summary(customers: Vec<CustomerSummary>) -> Summary {
    let day = NaiveDate::from_ymd_opt(2020, 3, 1).unwrap_or_default();
    Summary {
        unit: TimeUnit::Week,
        observation_end: day,
        calibration_end: Some(day),
        extra_columns: vec!["channel".into(), "score".into()],
        customers,
        customers_after_calibration: 0,
    }
}
