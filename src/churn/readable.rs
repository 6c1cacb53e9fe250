//! The features of one customer in the customer's own terms, for the at-risk reasons: the
//! untransformed value with its unit ("no purchase for 27 weeks") where the model sees
//! ln(1 + 27) standardised.

use super::data::{ChurnCustomer, CovariateKind};
use super::features::{FULL_FEATURES, FeatureEncoder, gaps};
use crate::error::{ClvError, Result};
use crate::features::TimeUnit;

/// One feature of one customer in the customer's own terms (see [`FeatureEncoder::readable`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Readable {
    /// The untransformed value: weeks, purchases, money, a probability, a covariate.
    pub value: f64,
    /// The value with its unit, e.g. "no purchase for 27 weeks".
    pub text: String,
}

impl FeatureEncoder {
    /// Column `j` of customer `c` as an analyst reads it: the customer's own value, before
    /// any transform, with its unit, e.g. `log1p_time_since_last` → 27, "no purchase for 27
    /// weeks". `row` is the customer's row of [`Self::matrix`] (model predictions are read
    /// from it); `unit` is the unit of the customer's times.
    pub fn readable(
        &self,
        j: usize,
        c: &ChurnCustomer,
        row: &[f64],
        unit: TimeUnit,
    ) -> Result<Readable> {
        let missing = || {
            ClvError::InvalidParameter(format!(
                "customer '{}': no feature column {j} in a row of {}",
                c.customer_id,
                row.len()
            ))
        };
        let feature_value = *row.get(j).ok_or_else(missing)?;
        let base = self.base_features();
        if let Some(name) = base.get(j) {
            return Ok(self.readable_base(name, c, row, unit));
        }
        let mut col = base.len();
        for cov in &self.covariates {
            let width = match cov.kind {
                CovariateKind::Numeric => 1,
                CovariateKind::Categorical => cov.categories.len(),
            };
            if j < col + width {
                let text = match cov.kind {
                    CovariateKind::Numeric => format!("{} {}", cov.name, number(feature_value)),
                    CovariateKind::Categorical => {
                        let category = &cov.categories[j - col];
                        let actual = c.covariates.get(cov.position).ok_or_else(missing)?;
                        if actual == category {
                            format!("{} is {category}", cov.name)
                        } else {
                            format!("{} is {actual} rather than {category}", cov.name)
                        }
                    }
                };
                // A covariate enters the model as given (or as its 0/1 indicator).
                return Ok(Readable {
                    value: feature_value,
                    text,
                });
            }
            col += width;
        }
        Err(missing())
    }

    fn readable_base(
        &self,
        name: &str,
        c: &ChurnCustomer,
        row: &[f64],
        unit: TimeUnit,
    ) -> Readable {
        let (x, t_x, t) = (c.frequency, c.recency, c.t);
        let span = |v: f64| counted(v, unit.name());
        // Model predictions are not customer data: they are read back from the row.
        let column = |name: &str| {
            FULL_FEATURES
                .iter()
                .position(|f| *f == name)
                .map_or(f64::NAN, |k| row[k])
        };
        let window = span(self.window);
        let (value, text) = match name {
            "frequency" | "log1p_frequency" => (x, counted(x, "repeat purchase")),
            "recency" | "log1p_recency" if x == 0.0 => (t_x, "no repeat purchase".to_string()),
            "recency" | "log1p_recency" => {
                (t_x, format!("last purchase {} after the first", span(t_x)))
            }
            "tenure" | "log1p_tenure" => (t, format!("first purchase {} ago", span(t))),
            "time_since_last" | "log1p_time_since_last" => {
                (t - t_x, format!("no purchase for {}", span(t - t_x)))
            }
            "monetary_value" | "log1p_monetary_value" => (
                c.monetary_value,
                format!("average repeat order {:.2}", c.monetary_value),
            ),
            "log1p_total_spend" => (c.total_spend, format!("total spend {:.2}", c.total_spend)),
            // Without a repeat purchase the gap is only known to be at least T.
            "mean_gap" if x == 0.0 => (t, format!("no repeat purchase in {}", span(t))),
            "mean_gap" => {
                let gap = gaps(c).0;
                (gap, format!("usual gap between purchases {}", span(gap)))
            }
            "log1p_gap_ratio" => {
                let ratio = gaps(c).1;
                (
                    ratio,
                    format!("no purchase for {}× the usual gap", number(ratio)),
                )
            }
            "recent_purchases" => {
                let n = self.recent_purchases(c);
                let recent = span(self.recent_periods);
                (
                    n,
                    format!("{} in the last {recent}", counted(n, "purchase")),
                )
            }
            "p_alive" => {
                let p = column("p_alive");
                (p, format!("{}% chance still active", number(100.0 * p)))
            }
            "expected_purchases" | "log1p_expected_purchases" => {
                let e = column("expected_purchases");
                (
                    e,
                    format!("{} expected in the next {window}", counted(e, "purchase")),
                )
            }
            "p_no_purchase" => {
                let p = column("p_no_purchase");
                (
                    p,
                    format!(
                        "{}% chance of no purchase in the next {window}",
                        number(100.0 * p)
                    ),
                )
            }
            // Unreachable: every base column is named above.
            other => (f64::NAN, other.to_string()),
        };
        Readable { value, text }
    }
}

/// A value for reading: whole numbers without decimals, others to two decimals (two
/// significant digits below 1), trailing zeros dropped.
fn number(v: f64) -> String {
    let decimals = if v == v.round() {
        0
    } else if v.abs() >= 1.0 {
        2
    } else {
        (1 - v.abs().log10().floor() as i32).clamp(2, 6) as usize
    };
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// "1 week", "27.43 weeks", "0 repeat purchases".
fn counted(v: f64, what: &str) -> String {
    let shown = number(v);
    let s = if shown == "1" { "" } else { "s" };
    format!("{shown} {what}{s}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::churn::features::FeatureSet;

    #[test]
    fn numbers_read_plainly() {
        assert_eq!(number(15.0), "15");
        assert_eq!(number(27.0 + 3.0 / 7.0), "27.43");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(0.15), "0.15");
        assert_eq!(number(0.000_512), "0.00051");
        assert_eq!(counted(1.0, "week"), "1 week");
        assert_eq!(counted(0.0, "repeat purchase"), "0 repeat purchases");
    }

    #[test]
    fn baseline_columns_show_the_customers_values_in_the_asked_unit() {
        let encoder = FeatureEncoder {
            feature_set: FeatureSet::Baseline,
            window: 26.0,
            recent_periods: 6.5,
            n_covariates: 0,
            covariates: Vec::new(),
        };
        let c = ChurnCustomer {
            customer_id: "a".into(),
            frequency: 3.0,
            recency: 20.0,
            t: 47.0,
            monetary_value: 12.5,
            total_spend: 50.0,
            purchase_times: vec![0.0, 5.0, 12.0, 20.0],
            holdout_frequency: None,
            holdout_duration: None,
            covariates: Vec::new(),
            cancelled_within_window: None,
        };
        // The row as the model would see it, transformed: the text must not show these.
        let row = [3f64.ln_1p(), 20f64.ln_1p(), 47f64.ln_1p(), 12.5f64.ln_1p()];
        let read = |j| encoder.readable(j, &c, &row, TimeUnit::Day).unwrap();
        assert_eq!(read(0).value, 3.0);
        assert_eq!(read(0).text, "3 repeat purchases");
        assert_eq!(read(1).text, "last purchase 20 days after the first");
        assert_eq!(read(2).value, 47.0);
        assert_eq!(read(2).text, "first purchase 47 days ago");
        assert_eq!(read(3).text, "average repeat order 12.50");
        assert!(encoder.readable(4, &c, &row, TimeUnit::Day).is_err());
    }
}
