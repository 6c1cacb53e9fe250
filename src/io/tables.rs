//! CSV writers of the result tables: customer scores, prediction columns, churn scores,
//! at-risk lists and prospect scores. Large tables are formatted in parallel, a block of rows
//! per string, and keep their order.

use std::fmt::Write as _;
use std::io::Write;

use chrono::{Duration, NaiveDate};

use rayon::prelude::*;

use crate::churn::AtRiskRow;
use crate::churn::jobs::ChurnScore;
use crate::error::Result;
use crate::features::format_number;
use crate::models::BgBbData;
use crate::predict::prospects::{ProspectScore, Prospects};
use crate::predict::score::CustomerScore;
use crate::predict::table::Columns;
use crate::predict::tracking::TrackingRow;
use crate::simulate::{COVARIATE_NAMES, SimulatedCustomer, SimulatedOrder};

/// Rows per block formatted on one thread.
const BLOCK: usize = 8192;

/// Formats `n` rows in parallel blocks and writes them in order.
fn write_rows(
    out: &mut dyn Write,
    n: usize,
    row: impl Fn(&mut String, usize) + Sync,
) -> Result<()> {
    let starts: Vec<usize> = (0..n).step_by(BLOCK).collect();
    let blocks: Vec<String> = starts
        .par_iter()
        .map(|&start| {
            let mut text = String::with_capacity(BLOCK * 64);
            for i in start..(start + BLOCK).min(n) {
                row(&mut text, i);
            }
            text
        })
        .collect();
    for block in blocks {
        out.write_all(block.as_bytes())?;
    }
    Ok(())
}

/// `clv score`'s table, one row per customer.
pub fn write_scores_csv(out: &mut dyn Write, rows: &[CustomerScore]) -> Result<()> {
    writeln!(
        out,
        "customer_id,frequency,recency,T,total_spend,p_alive,churn_probability,\
         p_no_purchase_if_alive,expected_purchases,expected_avg_spend,predicted_revenue,clv,\
         value_at_risk,segment,at_risk"
    )?;
    write_rows(out, rows.len(), |text, i| {
        let r = &rows[i];
        text.push_str(&r.customer_id);
        for v in [
            r.frequency,
            r.recency,
            r.t,
            r.total_spend,
            r.p_alive,
            r.churn_probability,
            r.p_no_purchase_if_alive,
            r.expected_purchases,
            r.expected_avg_spend,
            r.predicted_revenue,
            r.clv,
            r.value_at_risk,
        ] {
            text.push(',');
            text.push_str(&format_number(v));
        }
        text.push(',');
        text.push_str(&r.segment);
        text.push_str(if r.at_risk { ",true\n" } else { ",false\n" });
    })
}

/// Named columns (`clv predict`), after a `customer_id` column when ids are given; numbers in
/// Rust's shortest round-trip form.
pub fn write_columns_csv(
    out: &mut dyn Write,
    ids: Option<&[String]>,
    columns: &Columns,
) -> Result<()> {
    let mut header: Vec<&str> = ids.map(|_| "customer_id").into_iter().collect();
    header.extend(columns.names.iter().map(String::as_str));
    writeln!(out, "{}", header.join(","))?;
    write_rows(out, columns.len(), |text, i| {
        let mut first = true;
        if let Some(ids) = ids {
            text.push_str(&ids[i]);
            first = false;
        }
        for column in &columns.values {
            if !first {
                text.push(',');
            }
            first = false;
            // Writing to a String cannot fail.
            let _ = write!(text, "{}", column[i]);
        }
        text.push('\n');
    })
}

/// `clv churn score`'s table, in the order given (highest churn probability first).
pub fn write_churn_scores_csv(out: &mut dyn Write, scores: &[ChurnScore]) -> Result<()> {
    writeln!(
        out,
        "customer_id,churn_probability,p_alive,p_no_purchase_if_alive,expected_purchases_window,\
         total_spend"
    )?;
    for c in scores {
        writeln!(
            out,
            "{},{},{},{},{},{}",
            c.customer_id,
            c.churn_probability,
            c.p_alive,
            c.p_no_purchase_if_alive,
            c.expected_purchases_window,
            c.total_spend
        )?;
    }
    Ok(())
}

/// Column names of the at-risk list before its `reasons` reason columns.
pub(super) const AT_RISK_COLUMNS: [&str; 7] = [
    "rank",
    "customer_id",
    "churn_probability",
    "p_alive",
    "clv",
    "clv_if_alive",
    "value_at_risk",
];

/// The at-risk list with `reasons` reason columns (empty where a row has fewer).
pub fn write_at_risk_csv(out: &mut dyn Write, rows: &[AtRiskRow], reasons: usize) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<String> = AT_RISK_COLUMNS.iter().map(|c| c.to_string()).collect();
    header.extend((1..=reasons).map(|k| format!("reason_{k}")));
    w.write_record(&header)?;
    for r in rows {
        let mut rec = vec![r.rank.to_string(), r.customer_id.clone()];
        rec.extend(
            [
                r.churn_probability,
                r.p_alive,
                r.clv,
                r.clv_if_alive,
                r.value_at_risk,
            ]
            .map(|v| v.to_string()),
        );
        rec.extend((0..reasons).map(|k| {
            r.reasons
                .get(k)
                .map(|x| x.description.clone())
                .unwrap_or_default()
        }));
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

/// `clv score-new`'s table: the prospects' attribute columns, then their values. A
/// `first_order_value` input column is not repeated: the output's column of that name holds the
/// value used (the input's when given).
pub fn write_prospect_scores_csv(
    out: &mut dyn Write,
    prospects: &Prospects,
    scores: &[ProspectScore],
) -> Result<()> {
    let kept = super::typed::attribute_columns(prospects);
    let names: Vec<&str> = kept
        .iter()
        .map(|&j| prospects.columns[j].as_str())
        .collect();
    writeln!(
        out,
        "{},expected_repeat_purchases,expected_order_value,first_order_value,clv,max_cac",
        names.join(",")
    )?;
    for s in scores {
        let nums = [
            s.expected_repeat_purchases,
            s.expected_order_value,
            s.first_order_value,
            s.clv,
            s.max_cac,
        ];
        let nums: Vec<String> = nums.iter().map(|v| format_number(*v)).collect();
        let attributes: Vec<&str> = kept
            .iter()
            .map(|&j| s.attributes.get(j).map_or("", String::as_str))
            .collect();
        writeln!(out, "{},{}", attributes.join(","), nums.join(","))?;
    }
    Ok(())
}

/// Simulated orders as a transaction file: `customer_id,date,amount` (ids from 1), plus
/// `channel,score` when the customers have covariates. Day `d` is `start` + d days.
pub fn write_orders_csv(
    out: &mut dyn Write,
    orders: &[SimulatedOrder],
    customers: &[SimulatedCustomer],
    start: NaiveDate,
    with_covariates: bool,
) -> Result<()> {
    let last = orders.iter().map(|o| o.day).max().unwrap_or(0);
    // Dates are formatted once per day, not once per row.
    let dates: Vec<String> = (0..=i64::from(last))
        .map(|d| (start + Duration::days(d)).format("%Y-%m-%d").to_string())
        .collect();
    write!(out, "customer_id,date,amount")?;
    if with_covariates {
        write!(out, ",{},{}", COVARIATE_NAMES[0], COVARIATE_NAMES[1])?;
    }
    writeln!(out)?;
    for o in orders {
        write!(
            out,
            "{},{},{}.{:02}",
            o.customer + 1,
            dates[o.day as usize],
            o.cents / 100,
            o.cents % 100
        )?;
        if with_covariates {
            let cov = customers[o.customer as usize].covariates;
            let channel = if cov[0] > 0.5 { "paid" } else { "organic" };
            write!(out, ",{channel},{:.4}", cov[1])?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The exact continuous-time summary of the customers acquired by `at` (periods from the
/// start): `customer_id,frequency,recency,T,monetary_value`.
pub fn write_simulated_summary_csv(
    out: &mut dyn Write,
    customers: &[SimulatedCustomer],
    at: f64,
) -> Result<()> {
    writeln!(out, "customer_id,frequency,recency,T,monetary_value")?;
    for c in customers.iter().filter(|c| c.birth <= at) {
        let (x, t_x, t, m) = c.summary_at(at);
        writeln!(out, "{},{x},{t_x:.6},{t:.6},{m:.4}", c.index + 1)?;
    }
    Ok(())
}

/// The tracking table (`clv track`): per period its last day, the cumulative actual and
/// expected repeat transactions, and the same per period.
pub fn write_tracking_csv(out: &mut dyn Write, rows: &[TrackingRow]) -> Result<()> {
    writeln!(
        out,
        "period,last_day,actual,expected,actual_incremental,expected_incremental"
    )?;
    for r in rows {
        writeln!(
            out,
            "{},{},{},{},{},{}",
            r.period,
            r.last_day.format("%Y-%m-%d"),
            r.actual,
            r.expected,
            r.actual_incremental,
            r.expected_incremental
        )?;
    }
    Ok(())
}

/// One customer's alive path (`clv track --customer`): age in the model's unit, P(alive).
pub fn write_alive_path_csv(out: &mut dyn Write, path: &[(f64, f64)]) -> Result<()> {
    writeln!(out, "age,p_alive")?;
    for (age, p) in path {
        writeln!(out, "{age},{p}")?;
    }
    Ok(())
}

/// BG/BB patterns as a pattern file (`clv simulate --model bgbb`), the layout `clv fit --model
/// bgbb` reads: `frequency,recency,periods,weights`.
pub fn write_patterns_csv(out: &mut dyn Write, data: &BgBbData) -> Result<()> {
    writeln!(out, "frequency,recency,periods,weights")?;
    for i in 0..data.x.len() {
        writeln!(
            out,
            "{},{},{},{}",
            data.x[i], data.t_x[i], data.n[i], data.weights[i]
        )?;
    }
    Ok(())
}
