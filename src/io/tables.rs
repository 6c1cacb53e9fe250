//! CSV writers of the result tables: customer scores, prediction columns, churn scores,
//! at-risk lists and prospect scores. Large tables are formatted in parallel, a block of rows
//! per string, and keep their order.

use std::io::Write;

use chrono::{Duration, NaiveDate};

use rayon::prelude::*;

use crate::churn::AtRiskRow;
use crate::churn::jobs::ChurnScore;
use crate::error::Result;
use crate::features::format_number;
use crate::features::rfm::RfmScore;
use crate::models::BgBbData;
use crate::predict::prospects::{BudgetRow, ProspectScore, Prospects};
use crate::predict::score::CustomerScore;
use crate::predict::table::{Columns, SharedColumns};
use crate::predict::tracking::TrackingRow;
use crate::simulate::{COVARIATE_NAMES, SimulatedCustomer, SimulatedOrder};

use super::columns::{
    alive_path_columns, at_risk_columns, at_risk_fields, budget_columns, budget_fields,
    churn_score_columns, prospect_columns, prospect_fields, score_columns, score_fields,
    segment_columns, segment_fields, tracking_columns,
};
use super::number::push_shortest;
use super::units::{ColumnKind, ColumnSpec, OutputUnits, format_money};

/// Rows per block formatted on one thread: ~200 KB of `clv predict` text, so that a batch of
/// blocks stays small and its buffers are reused from batch to batch (fresh memory is costly:
/// the kernel zeroes every page first touched, see BENCHMARKS.md issue #13 item 4).
const BLOCK: usize = 2048;

/// Formats `n` rows in parallel blocks and writes them in order. The rows go in batches of a
/// few blocks per thread: while this thread writes one batch, the pool formats the next into
/// a second set of buffers, so memory stays bounded and writing overlaps formatting.
fn write_rows(
    out: &mut dyn Write,
    n: usize,
    row: impl Fn(&mut String, usize) + Sync,
) -> Result<()> {
    let batch = BLOCK * 2 * rayon::current_num_threads().max(1);
    let format = |blocks: &mut Vec<String>, start: usize| {
        let end = (start + batch).min(n);
        blocks.resize_with((end - start).div_ceil(BLOCK), String::new);
        blocks.par_iter_mut().enumerate().for_each(|(k, text)| {
            text.clear();
            let first = start + k * BLOCK;
            for i in first..(first + BLOCK).min(end) {
                row(text, i);
            }
        });
    };
    let mut ready = Vec::new();
    let mut next = Vec::new();
    format(&mut ready, 0);
    let mut start = 0;
    while start < n {
        start += batch;
        let written = rayon::in_place_scope(|s| {
            if start < n {
                s.spawn(|_| format(&mut next, start));
            }
            ready.iter().try_for_each(|b| out.write_all(b.as_bytes()))
        });
        written?;
        std::mem::swap(&mut ready, &mut next);
    }
    Ok(())
}

/// A number as CSV text: money rounded to cents, other numbers to 8 significant digits, NaN
/// (no value) as an empty cell.
fn cell(text: &mut String, kind: ColumnKind, v: f64) {
    if v.is_nan() {
        return;
    }
    match kind {
        ColumnKind::Money => text.push_str(&format_money(v)),
        _ => text.push_str(&format_number(v)),
    }
}

/// A header line of `columns`.
fn header(out: &mut dyn Write, columns: &[ColumnSpec]) -> Result<()> {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    writeln!(out, "{}", names.join(","))?;
    Ok(())
}

/// `clv score`'s table, one row per customer ([`score_columns`]); with `intervals` the CLV's
/// bounds.
pub fn write_scores_csv(
    out: &mut dyn Write,
    rows: &[CustomerScore],
    units: &OutputUnits,
    intervals: bool,
) -> Result<()> {
    header(out, &score_columns(units, intervals))?;
    let fields = score_fields(intervals);
    write_rows(out, rows.len(), |text, i| {
        let r = &rows[i];
        text.push_str(&r.customer_id);
        for (_, kind, f) in &fields {
            text.push(',');
            cell(text, *kind, f(r));
        }
        text.push(',');
        text.push_str(&r.segment);
        text.push_str(if r.at_risk { ",true\n" } else { ",false\n" });
    })
}

/// Named columns (`clv predict`), after a `customer_id` column when ids are given; numbers in
/// Rust's shortest round-trip form. Columns shared by the customers of a pattern
/// ([`Columns::shared`]) are formatted once per pattern.
pub fn write_columns_csv(
    out: &mut dyn Write,
    ids: Option<&[String]>,
    columns: &Columns,
) -> Result<()> {
    let mut header: Vec<&str> = ids.map(|_| "customer_id").into_iter().collect();
    header.extend(columns.names.iter().map(String::as_str));
    writeln!(out, "{}", header.join(","))?;
    let shared = columns
        .shared
        .as_ref()
        .filter(|s| s.of_customer.len() == columns.len() && s.columns <= columns.values.len());
    let texts = shared.map(|s| SharedTexts::new(columns, s));
    let rest = &columns.values[shared.map_or(0, |s| s.columns)..];
    write_rows(out, columns.len(), |text, i| {
        let mut first = true;
        if let Some(ids) = ids {
            text.push_str(&ids[i]);
            first = false;
        }
        if let (Some(s), Some(t)) = (shared, &texts) {
            if !first {
                text.push(',');
            }
            first = false;
            text.push_str(t.of(s.of_customer[i] as usize));
        }
        for column in rest {
            if !first {
                text.push(',');
            }
            first = false;
            push_shortest(text, column[i]);
        }
        text.push('\n');
    })
}

/// The text of the shared leading columns of each pattern (`1,30.5,38,0.91,...`), formatted
/// in parallel blocks of patterns.
struct SharedTexts {
    /// Per block of patterns, their texts one after the other and where each ends.
    blocks: Vec<(String, Vec<u32>)>,
}

impl SharedTexts {
    fn new(columns: &Columns, shared: &SharedColumns) -> Self {
        // A customer of each pattern (all of them have the same leading values).
        let mut customer = vec![0u32; shared.patterns];
        let mut seen = vec![false; shared.patterns];
        for (i, &p) in shared.of_customer.iter().enumerate() {
            if let Some(s) = seen.get_mut(p as usize).filter(|s| !**s) {
                *s = true;
                customer[p as usize] = i as u32;
            }
        }
        let leading = &columns.values[..shared.columns];
        let blocks = customer
            .par_chunks(BLOCK)
            .map(|of_block| {
                let mut text = String::with_capacity(of_block.len() * 48);
                let ends = of_block
                    .iter()
                    .map(|&i| {
                        for (j, column) in leading.iter().enumerate() {
                            if j > 0 {
                                text.push(',');
                            }
                            push_shortest(&mut text, column[i as usize]);
                        }
                        text.len() as u32
                    })
                    .collect();
                (text, ends)
            })
            .collect();
        SharedTexts { blocks }
    }

    /// Pattern `p`'s text.
    fn of(&self, p: usize) -> &str {
        let (text, ends) = &self.blocks[p / BLOCK];
        let k = p % BLOCK;
        let start = if k == 0 { 0 } else { ends[k - 1] as usize };
        &text[start..ends[k] as usize]
    }
}

/// `clv churn score`'s table, in the order given (highest churn probability first).
pub fn write_churn_scores_csv(out: &mut dyn Write, scores: &[ChurnScore]) -> Result<()> {
    header(out, &churn_score_columns())?;
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

/// The at-risk list with `reasons` reason columns (empty where a row has fewer).
pub fn write_at_risk_csv(
    out: &mut dyn Write,
    rows: &[AtRiskRow],
    reasons: usize,
    units: &OutputUnits,
) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(at_risk_columns(units, reasons).iter().map(|c| &c.name))?;
    let fields = at_risk_fields();
    for r in rows {
        let mut rec = vec![r.rank.to_string(), r.customer_id.clone()];
        rec.extend(fields.iter().map(|(_, kind, f)| {
            let mut text = String::new();
            cell(&mut text, *kind, f(r));
            text
        }));
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

/// `clv score-new`'s table ([`prospect_columns`]): the prospects' attribute columns, then their
/// values. A `first_order_value` input column is not repeated: the output's column of that
/// name holds the value used (the input's when given).
pub fn write_prospect_scores_csv(
    out: &mut dyn Write,
    prospects: &Prospects,
    scores: &[ProspectScore],
    units: &OutputUnits,
    intervals: bool,
) -> Result<()> {
    let kept = super::typed::attribute_columns(prospects);
    let names: Vec<&str> = kept
        .iter()
        .map(|&j| prospects.columns[j].as_str())
        .collect();
    header(out, &prospect_columns(&names, units, intervals))?;
    let fields = prospect_fields(intervals);
    for s in scores {
        let mut line: Vec<String> = kept
            .iter()
            .map(|&j| s.attributes.get(j).cloned().unwrap_or_default())
            .collect();
        line.extend(fields.iter().map(|(_, kind, f)| {
            let mut text = String::new();
            cell(&mut text, *kind, f(s));
            text
        }));
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

/// The budget table of `clv score-new` ([`budget_columns`]): overall, then per attribute level.
pub fn write_budget_csv(
    out: &mut dyn Write,
    rows: &[BudgetRow],
    units: &OutputUnits,
) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(budget_columns(units).iter().map(|c| &c.name))?;
    let fields = budget_fields();
    for b in rows {
        let mut rec = vec![b.group.clone()];
        rec.extend(fields.iter().map(|(_, kind, f)| {
            let mut text = String::new();
            cell(&mut text, *kind, f(b));
            text
        }));
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

/// `clv segment`'s per-customer table ([`segment_columns`]).
pub fn write_segments_csv(
    out: &mut dyn Write,
    scores: &[RfmScore],
    units: &OutputUnits,
) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(segment_columns(units).iter().map(|c| &c.name))?;
    let fields = segment_fields();
    for s in scores {
        let mut rec = vec![s.customer_id.clone()];
        rec.extend(fields.iter().map(|(_, kind, f)| {
            let mut text = String::new();
            cell(&mut text, *kind, f(s));
            text
        }));
        rec.extend([s.r, s.f, s.m].map(|v| v.to_string()));
        rec.push(s.segment.to_string());
        rec.push(s.high_value.to_string());
        w.write_record(&rec)?;
    }
    w.flush()?;
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
    header(out, &tracking_columns())?;
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
    header(out, &alive_path_columns())?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::SummaryTable;
    use crate::models::bgnbd::BgNbd;
    use crate::models::gamma_gamma::GammaGamma;
    use crate::models::{AnyModel, Model};
    use crate::predict::table::predict_table;

    /// Formatting the shared columns once per pattern writes the same bytes as formatting
    /// every customer's values, over several blocks of rows and of patterns.
    #[test]
    fn shared_columns_are_written_as_per_customer_columns() {
        let n = 3 * BLOCK + 17;
        let x: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
        let table = SummaryTable {
            customer_id: (0..n).map(|i| format!("c{i}")).collect(),
            recency: x
                .iter()
                .enumerate()
                .map(|(i, &x)| x * (1 + i % 5) as f64 / 3.0)
                .collect(),
            t: (0..n).map(|i| 40.0 + (i % 3) as f64 / 7.0).collect(),
            monetary_value: (0..n).map(|i| (i % 11) as f64 * 1.25).collect(),
            frequency: x,
            ..Default::default()
        };
        let model = AnyModel::BgNbd(BgNbd::from_params(&[0.24, 4.41, 0.79, 2.43]).unwrap());
        let spend = GammaGamma::from_params(&[6.25, 3.74, 15.44]).unwrap();
        let columns = predict_table(&model, Some(&spend), &table, 39.0, None, 1.0, &[1]).unwrap();
        let shared = columns.shared.as_ref().unwrap();
        assert_eq!((shared.columns, shared.patterns < n / 10), (7, true));
        let write = |c: &Columns| {
            let mut out = Vec::new();
            write_columns_csv(&mut out, Some(&table.customer_id), c).unwrap();
            out
        };
        let plain = Columns {
            shared: None,
            ..columns.clone()
        };
        let (a, b) = (write(&columns), write(&plain));
        assert_eq!(String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
    }
}
