//! The monthly acquisition-cohort retention table.
//!
//! Customers are grouped by the calendar month of their first purchase. For each cohort and
//! each month offset k (0 = the acquisition month) the table gives how many of the cohort
//! bought in calendar month `cohort + k`, and that count as a share of the cohort. Offsets run
//! up to the month of the end of the (calibration) period, which may be partly observed. The
//! purchase days come from [`CustomerSummary::purchase_times`](super::CustomerSummary), so the
//! summary must be built with `keep_purchase_times`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::Summary;
use crate::error::{ClvError, Result};

/// One acquisition cohort.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortRow {
    /// `YYYY-MM`.
    pub cohort: String,
    pub size: u64,
    /// Customers with a purchase in month offset k, k = 0, 1, ...
    pub active: Vec<u64>,
    /// `active[k] / size`.
    pub retention: Vec<f64>,
}

/// Cohorts in calendar order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortTable {
    pub cohorts: Vec<CohortRow>,
}

/// Months since year 0, to count calendar months between dates.
fn month_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

/// Builds the table from a summary made with `keep_purchase_times`.
pub fn cohort_retention(summary: &Summary) -> Result<CohortTable> {
    let dpu = summary.unit.days_per_unit();
    let end_month = month_index(summary.calibration_period_end());
    // cohort month -> (size, month offset -> active customers)
    let mut table: BTreeMap<i64, (u64, BTreeMap<i64, u64>)> = BTreeMap::new();
    for c in &summary.customers {
        if c.purchase_times.is_empty() {
            return Err(ClvError::InvalidParameter(
                "the cohort table needs purchase times (summarize with keep_purchase_times)".into(),
            ));
        }
        let cohort = month_index(c.first_purchase);
        let months: BTreeSet<i64> = c
            .purchase_times
            .iter()
            .map(|&t| {
                let day = c.first_purchase + chrono::Days::new((t * dpu).round().max(0.0) as u64);
                month_index(day) - cohort
            })
            .collect();
        let entry = table.entry(cohort).or_default();
        entry.0 += 1;
        for k in months {
            *entry.1.entry(k).or_insert(0) += 1;
        }
    }
    let cohorts = table
        .into_iter()
        .map(|(month, (size, active))| {
            let span = (end_month - month).max(0) as usize + 1;
            let active: Vec<u64> = (0..span as i64)
                .map(|k| active.get(&k).copied().unwrap_or(0))
                .collect();
            CohortRow {
                cohort: format!(
                    "{:04}-{:02}",
                    month.div_euclid(12),
                    month.rem_euclid(12) + 1
                ),
                size,
                retention: active.iter().map(|&a| a as f64 / size as f64).collect(),
                active,
            }
        })
        .collect();
    Ok(CohortTable { cohorts })
}

impl CohortTable {
    /// The months of the CSV's retention columns: the oldest cohort's observed months.
    pub fn months(&self) -> usize {
        self.cohorts
            .iter()
            .map(|c| c.retention.len())
            .max()
            .unwrap_or(0)
    }

    /// CSV: `cohort,size,month_0,month_1,...` with retention shares, blank where unobserved
    /// (the columns of [`crate::io::cohort_columns`] with [`Self::months`]).
    pub fn write_csv<W: std::io::Write>(&self, w: W) -> Result<()> {
        let width = self.months();
        let mut out = csv::Writer::from_writer(w);
        let mut header = vec!["cohort".to_string(), "size".to_string()];
        header.extend((0..width).map(|k| format!("month_{k}")));
        out.write_record(&header)?;
        for c in &self.cohorts {
            let mut row = vec![c.cohort.clone(), c.size.to_string()];
            row.extend(c.retention.iter().map(|r| super::format_number(*r)));
            // Later cohorts have fewer observed months: blank, not zero.
            row.resize(width + 2, String::new());
            out.write_record(&row)?;
        }
        out.flush()?;
        Ok(())
    }
}
