//! The summary as a typed table (the columns of its CSV, see `builder::csv_out`), for
//! Parquet output.

use std::borrow::Cow;

use super::Summary;
use crate::ingest::date_to_day;
use crate::persist::table::{Table, Values};

impl Summary {
    /// The columns `clv summarize` writes, in its CSV's order: counts as integers, the first
    /// purchase as a date, the extra columns as text.
    pub fn to_table(&self) -> Table<'_> {
        let c = &self.customers;
        let floats = |f: fn(&super::CustomerSummary) -> f64| {
            Values::Float(Cow::Owned(c.iter().map(f).collect()))
        };
        let mut t = Table::default();
        t.push(
            "customer_id",
            Values::Text(
                c.iter()
                    .map(|c| Cow::Borrowed(c.customer_id.as_str()))
                    .collect(),
            ),
        );
        t.push(
            "frequency",
            Values::Int(c.iter().map(|c| c.frequency as i64).collect()),
        );
        t.push("recency", floats(|c| c.recency));
        t.push("T", floats(|c| c.t));
        t.push("monetary_value", floats(|c| c.monetary_value));
        t.push(
            "first_purchase",
            Values::Date(c.iter().map(|c| date_to_day(c.first_purchase)).collect()),
        );
        t.push(
            "orders",
            Values::Int(c.iter().map(|c| c.orders as i64).collect()),
        );
        t.push("total_spend", floats(|c| c.total_spend));
        if self.calibration_end.is_some() {
            let h = |f: fn(&super::Holdout) -> f64| {
                move |c: &super::CustomerSummary| c.holdout.as_ref().map_or(0.0, f)
            };
            t.push(
                "frequency_holdout",
                Values::Int(c.iter().map(|c| h(|h| h.frequency)(c) as i64).collect()),
            );
            t.push(
                "monetary_value_holdout",
                Values::Float(Cow::Owned(c.iter().map(h(|h| h.monetary_value)).collect())),
            );
            t.push(
                "duration_holdout",
                Values::Float(Cow::Owned(c.iter().map(h(|h| h.duration)).collect())),
            );
        }
        for (j, name) in self.extra_columns.iter().enumerate() {
            let values = c
                .iter()
                .map(|c| Cow::Borrowed(c.extras.get(j).map_or("", String::as_str)))
                .collect();
            t.push(name.clone(), Values::Text(values));
        }
        t
    }
}
