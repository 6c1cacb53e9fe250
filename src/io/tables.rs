//! CSV writers of the result tables: customer scores, prediction columns, churn scores,
//! at-risk lists and prospect scores. Large tables are formatted in parallel, a block of rows
//! per string, and keep their order.

use std::fmt::Write as _;
use std::io::Write;

use chrono::{Duration, NaiveDate};

use rayon::prelude::*;

use crate::churn::jobs::ChurnScore;
use crate::churn::{AtRiskRow, ValueSource};
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

/// Appends `v` exactly as `{}` writes it (the shortest digits that read back as `v`, never an
/// exponent), from ryu's shortest digits: `{}` costs several times more per number.
pub(crate) fn push_display(text: &mut String, v: f64) {
    if !v.is_finite() || v == 0.0 || may_tie(v) {
        // Rare: `{}` itself ("0", "-0", "NaN", "inf", and exact ties, see `may_tie`).
        let _ = write!(text, "{v}");
        return;
    }
    let mut buf = ryu::Buffer::new();
    let s = buf.format_finite(v);
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mantissa, exp) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    // Digits without the point, and where the point goes: value = 0.digits x 10^point.
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let mut point = int.len() as i32 + exp;
    let lead = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..lead);
    point -= lead as i32;
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if negative {
        text.push('-');
    }
    let digits = std::str::from_utf8(&digits).unwrap_or("0");
    let n = digits.len() as i32;
    if point <= 0 {
        text.push_str("0.");
        text.extend(std::iter::repeat_n('0', (-point) as usize));
        text.push_str(digits);
    } else if point >= n {
        text.push_str(digits);
        text.extend(std::iter::repeat_n('0', (point - n) as usize));
    } else {
        text.push_str(&digits[..point as usize]);
        text.push('.');
        text.push_str(&digits[point as usize..]);
    }
}

/// Whether the shortest digits of `v` may end in a tie between two candidates (`{}` then
/// rounds half up, ryu half to even). A tie needs the exact decimal value of `v` to have at
/// most 18 significant digits: `m x 2^-k` (m odd) has as many as `m x 5^k`. Computed values
/// almost never qualify; round binary fractions such as 2^46 + 5/8 do.
fn may_tie(v: f64) -> bool {
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let mut m = bits & ((1 << 52) - 1);
    let mut e2 = if biased == 0 {
        -1074
    } else {
        m |= 1 << 52;
        biased - 1075
    };
    let tz = m.trailing_zeros();
    m >>= tz;
    e2 += tz as i32;
    if e2 >= 0 {
        // An integer: exact below 2^53, where the shortest digits are its own.
        return v.abs() >= 9_007_199_254_740_992.0;
    }
    let k = -e2;
    const LOG10_5: f64 = 0.698_970_004_336_018_8;
    k <= 27 && (m as f64).log10() + f64::from(k) * LOG10_5 < 18.5
}

/// `clv score`'s table, one row per customer.
pub fn write_scores_csv(out: &mut dyn Write, rows: &[CustomerScore]) -> Result<()> {
    writeln!(
        out,
        "customer_id,frequency,recency,T,total_spend,p_alive,churn_probability,expected_purchases,\
         expected_avg_spend,predicted_revenue,clv,segment,at_risk"
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
            r.expected_purchases,
            r.expected_avg_spend,
            r.predicted_revenue,
            r.clv,
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
            push_display(text, column[i]);
        }
        text.push('\n');
    })
}

/// `clv churn score`'s table, in the order given (highest churn probability first).
pub fn write_churn_scores_csv(out: &mut dyn Write, scores: &[ChurnScore]) -> Result<()> {
    writeln!(
        out,
        "customer_id,churn_probability,p_alive,expected_purchases_window,total_spend"
    )?;
    for c in scores {
        writeln!(
            out,
            "{},{},{},{},{}",
            c.customer_id,
            c.churn_probability,
            c.p_alive,
            c.expected_purchases_window,
            c.total_spend
        )?;
    }
    Ok(())
}

pub(super) fn source_name(s: ValueSource) -> &'static str {
    match s {
        ValueSource::PredictedClv => "clv",
        ValueSource::HistoricalSpend => "historical_spend",
    }
}

/// The at-risk list with `reasons` reason columns (empty where a row has fewer).
pub fn write_at_risk_csv(out: &mut dyn Write, rows: &[AtRiskRow], reasons: usize) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec![
        "rank".to_string(),
        "customer_id".into(),
        "churn_probability".into(),
        "value".into(),
        "value_source".into(),
        "value_at_risk".into(),
    ];
    header.extend((1..=reasons).map(|k| format!("reason_{k}")));
    w.write_record(&header)?;
    for r in rows {
        let mut rec = vec![
            r.rank.to_string(),
            r.customer_id.clone(),
            r.churn_probability.to_string(),
            r.value.to_string(),
            source_name(r.value_source).to_string(),
            r.value_at_risk.to_string(),
        ];
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

/// `clv score-new`'s table: the prospects' attribute columns, then their values.
pub fn write_prospect_scores_csv(
    out: &mut dyn Write,
    prospects: &Prospects,
    scores: &[ProspectScore],
) -> Result<()> {
    writeln!(
        out,
        "{},expected_repeat_purchases,expected_order_value,first_order_value,clv,max_cac",
        prospects.columns.join(",")
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
        writeln!(out, "{},{}", s.attributes.join(","), nums.join(","))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    #[test]
    fn push_display_writes_what_display_writes() {
        let mut rng = StdRng::seed_from_u64(11);
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            1e-7,
            1.5e-300,
            5e-324,
            1e16,
            1e21,
            1.7976931348623157e308,
            123456.0,
            0.1 + 0.2,
            1.2259103448861184,
            0.726609107342796,
            f64::NAN,
            f64::INFINITY,
            -f64::INFINITY,
            100.0,
            0.001,
            30.229252658556046,
            100583603231624.0 + 0.625,
            2.5,
            0.125,
            1e23,
            9007199254740993.0,
        ];
        for _ in 0..300_000 {
            values.push(rng.random::<f64>() * 10f64.powi(rng.random_range(-30..30)));
            values.push(f64::from_bits(rng.random::<u64>()));
            values.push(f64::from(rng.random_range(0u32..100_000)) / 100.0);
            // Round binary fractions of every size, where ties live.
            let k = rng.random_range(0..30);
            values.push(rng.random_range(0u64..1 << 53) as f64 / (1u64 << k) as f64);
        }
        for v in values {
            let mut ours = String::new();
            push_display(&mut ours, v);
            assert_eq!(ours, format!("{v}"), "{v:e}");
        }
    }
}
