//! History-based CLV metrics (`clv describe`): the back-of-the-envelope numbers computed from
//! past orders alone, no model.
//!
//! Over an observation window of `window_years`:
//! - average purchase value, two ways: `apv_revenue_per_order` (revenue ÷ orders) and
//!   `apv_mean_of_customer_averages` (the mean over customers of each one's spend per order);
//! - average purchase frequency `apf` = orders ÷ customers;
//! - customer value, two ways: `customer_value_mean_of_spend_x_visits` (the mean over
//!   customers of spend per order × orders, i.e. revenue ÷ customers) and
//!   `customer_value_apv_x_apf` (mean-of-averages APV × APF, the shortcut many guides use; it
//!   differs from the first when big spenders buy more or less often than small ones);
//! - both per window and per year (÷ `window_years`);
//! - lifespan: given, or 1 ÷ annual churn rate, or the observed mean span between first and last
//!   purchase;
//! - historical CLV = annual customer value × lifespan (years), both ways;
//! - LTV:CAC = historical CLV (mean of spend × visits) ÷ acquisition cost; 3:1 is the usual
//!   target.

use serde::Serialize;

use super::Summary;
use crate::error::{ClvError, Result};

/// One customer's history over the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerHistory {
    pub orders: f64,
    pub spend: f64,
}

/// Where the lifespan used for historical CLV came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LifespanSource {
    Given,
    OneOverChurnRate,
    Observed,
}

/// Lifespan inputs: a given value and the data-derived alternatives.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LifespanInputs {
    /// `--lifespan-years`.
    pub given_years: Option<f64>,
    /// Share of customers lost per year, if it can be estimated.
    pub annual_churn_rate: Option<f64>,
    /// Mean observed span between first and last purchase, in years.
    pub observed_years: Option<f64>,
}

/// The metrics; every monetary figure is in the data's currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryMetrics {
    pub customers: u64,
    pub orders: f64,
    pub revenue: f64,
    pub window_years: f64,
    pub apv_revenue_per_order: f64,
    pub apv_mean_of_customer_averages: f64,
    pub apf: f64,
    pub customer_value_mean_of_spend_x_visits: f64,
    pub customer_value_apv_x_apf: f64,
    pub annual_value_mean_of_spend_x_visits: f64,
    pub annual_value_apv_x_apf: f64,
    pub annual_churn_rate: Option<f64>,
    pub lifespan_years_observed: Option<f64>,
    pub lifespan_years: f64,
    pub lifespan_source: LifespanSource,
    pub historical_clv_mean_of_spend_x_visits: f64,
    pub historical_clv_apv_x_apf: f64,
    pub cac: Option<f64>,
    /// Historical CLV (mean of spend × visits) ÷ CAC.
    pub ltv_to_cac: Option<f64>,
    /// Whether LTV:CAC reaches the usual 3:1 target.
    pub ltv_to_cac_meets_3_to_1: Option<bool>,
}

fn positive(name: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(ClvError::InvalidParameter(format!(
            "{name} must be a finite number > 0, got {v}"
        )))
    }
}

/// A metric that exceeds the largest number (spend summed over many customers can) is an
/// error naming it, never an `inf` (or a JSON `null`) in the table.
fn finite(name: &str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(ClvError::Numerical {
            what: format!("{name} (the amounts sum beyond the largest number: {v})"),
            whom: "the customers together".into(),
        })
    }
}

/// Computes the metrics for customers observed over `window_years`.
pub fn history_metrics(
    customers: &[CustomerHistory],
    window_years: f64,
    lifespan: LifespanInputs,
    cac: Option<f64>,
) -> Result<HistoryMetrics> {
    let window_years = positive("observation window", window_years)?;
    let buyers: Vec<&CustomerHistory> = customers.iter().filter(|c| c.orders > 0.0).collect();
    if buyers.is_empty() {
        return Err(ClvError::InvalidParameter(
            "no customer with an order to describe".into(),
        ));
    }
    if let Some(c) = cac {
        positive("acquisition cost", c)?;
    }
    let n = buyers.len() as f64;
    let orders: f64 = buyers.iter().map(|c| c.orders).sum();
    let revenue = finite("revenue", buyers.iter().map(|c| c.spend).sum())?;
    let apv_mean = finite(
        "average purchase value",
        buyers.iter().map(|c| c.spend / c.orders).sum::<f64>() / n,
    )?;
    let apf = orders / n;
    // spend per order × orders is the customer's spend.
    let value_products = revenue / n;
    let value_apv_apf = apv_mean * apf;
    let (lifespan_years, lifespan_source) = match lifespan {
        LifespanInputs {
            given_years: Some(y),
            ..
        } => (positive("lifespan", y)?, LifespanSource::Given),
        LifespanInputs {
            annual_churn_rate: Some(c),
            ..
        } if c > 0.0 && c <= 1.0 => (1.0 / c, LifespanSource::OneOverChurnRate),
        LifespanInputs {
            observed_years: Some(y),
            ..
        } if y > 0.0 => (y, LifespanSource::Observed),
        _ => {
            return Err(ClvError::InvalidParameter(
                "no lifespan: give one (--lifespan-years), the data show neither churn nor repeat \
                 purchases"
                    .into(),
            ));
        }
    };
    let annual_products = value_products / window_years;
    let annual_apv_apf = value_apv_apf / window_years;
    let clv = finite("historical CLV", annual_products * lifespan_years)?;
    let clv_apv_apf = finite(
        "historical CLV (APV x APF)",
        annual_apv_apf * lifespan_years,
    )?;
    let ratio = cac
        .map(|c| clv / c)
        .map(|r| finite("LTV:CAC", r))
        .transpose()?;
    Ok(HistoryMetrics {
        customers: buyers.len() as u64,
        orders,
        revenue,
        window_years,
        apv_revenue_per_order: revenue / orders,
        apv_mean_of_customer_averages: apv_mean,
        apf,
        customer_value_mean_of_spend_x_visits: value_products,
        customer_value_apv_x_apf: value_apv_apf,
        annual_value_mean_of_spend_x_visits: annual_products,
        annual_value_apv_x_apf: annual_apv_apf,
        annual_churn_rate: lifespan.annual_churn_rate,
        lifespan_years_observed: lifespan.observed_years,
        lifespan_years,
        lifespan_source,
        historical_clv_mean_of_spend_x_visits: clv,
        historical_clv_apv_x_apf: clv_apv_apf,
        cac,
        ltv_to_cac: ratio,
        ltv_to_cac_meets_3_to_1: ratio.map(|r| r >= 3.0),
    })
}

/// Metrics of a transaction summary: the window runs from the earliest first purchase to the
/// observation end (inclusive). The annual churn rate is the share of customers acquired at
/// least a year before the end who bought nothing in the last 365 days; the observed lifespan
/// is the mean of (last − first purchase + 1 day).
pub fn describe_summary(
    summary: &Summary,
    lifespan_years: Option<f64>,
    cac: Option<f64>,
) -> Result<HistoryMetrics> {
    let end = summary.calibration_period_end();
    let start = summary
        .customers
        .iter()
        .map(|c| c.first_purchase)
        .min()
        .ok_or_else(|| ClvError::InvalidParameter("no customers to describe".into()))?;
    let window_days = (end - start).num_days() as f64 + 1.0;
    let histories: Vec<CustomerHistory> = summary
        .customers
        .iter()
        .map(|c| CustomerHistory {
            orders: c.orders as f64,
            spend: c.total_spend,
        })
        .collect();
    let mature: Vec<_> = summary
        .customers
        .iter()
        .filter(|c| (end - c.first_purchase).num_days() >= 365)
        .collect();
    let annual_churn_rate = (!mature.is_empty()).then(|| {
        let lapsed = mature
            .iter()
            .filter(|c| (end - c.last_purchase).num_days() >= 365)
            .count();
        lapsed as f64 / mature.len() as f64
    });
    let n = summary.customers.len() as f64;
    let observed = summary
        .customers
        .iter()
        .map(|c| ((c.last_purchase - c.first_purchase).num_days() as f64 + 1.0) / 365.25)
        .sum::<f64>()
        / n;
    history_metrics(
        &histories,
        window_days / 365.25,
        LifespanInputs {
            given_years: lifespan_years,
            annual_churn_rate,
            observed_years: Some(observed),
        },
        cac,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    /// Five customers spending 3.50, 8.50, 5.00, 6.50, 6.00 per visit with 4, 3, 5, 6, 3 visits
    /// a week, a 20-year lifespan.
    #[test]
    fn worked_example() {
        let per_visit = [3.5, 8.5, 5.0, 6.5, 6.0];
        let visits = [4.0, 3.0, 5.0, 6.0, 3.0];
        let customers: Vec<CustomerHistory> = per_visit
            .iter()
            .zip(visits)
            .map(|(&p, v)| CustomerHistory {
                orders: v,
                spend: p * v,
            })
            .collect();
        let lifespan = LifespanInputs {
            given_years: Some(20.0),
            ..Default::default()
        };
        let m = history_metrics(&customers, 1.0 / 52.0, lifespan, Some(8000.0)).unwrap();
        assert!(close(m.apv_mean_of_customer_averages, 5.90));
        assert!(close(m.apf, 4.2));
        assert!(close(m.customer_value_mean_of_spend_x_visits, 24.30));
        assert!(close(m.annual_value_mean_of_spend_x_visits, 1263.60));
        assert!(close(m.historical_clv_mean_of_spend_x_visits, 25_272.0));
        assert!(close(m.customer_value_apv_x_apf, 24.78));
        assert!(close(m.historical_clv_apv_x_apf, 24.78 * 52.0 * 20.0));
        assert!(close(m.apv_revenue_per_order, 121.5 / 21.0));
        assert!(close(m.ltv_to_cac.unwrap(), 25_272.0 / 8000.0));
        assert_eq!(m.ltv_to_cac_meets_3_to_1, Some(true));
        assert_eq!(m.lifespan_source, LifespanSource::Given);
    }

    #[test]
    fn lifespan_falls_back_to_churn_then_observed() {
        let c = [CustomerHistory {
            orders: 2.0,
            spend: 10.0,
        }];
        let churn = LifespanInputs {
            annual_churn_rate: Some(0.25),
            observed_years: Some(1.5),
            ..Default::default()
        };
        let m = history_metrics(&c, 2.0, churn, None).unwrap();
        assert_eq!(
            (m.lifespan_years, m.lifespan_source),
            (4.0, LifespanSource::OneOverChurnRate)
        );
        assert!(close(
            m.historical_clv_mean_of_spend_x_visits,
            10.0 / 2.0 * 4.0
        ));
        let no_churn = LifespanInputs {
            annual_churn_rate: Some(0.0),
            ..churn
        };
        let m = history_metrics(&c, 2.0, no_churn, None).unwrap();
        assert_eq!(
            (m.lifespan_years, m.lifespan_source),
            (1.5, LifespanSource::Observed)
        );
        assert!(history_metrics(&c, 2.0, LifespanInputs::default(), None).is_err());
        assert!(history_metrics(&c, 0.0, churn, None).is_err());
        assert!(history_metrics(&c, 1.0, churn, Some(-1.0)).is_err());
    }
}
