//! `clv predict`: per-customer predictions from a saved model (P(alive), expected purchases,
//! P(no purchase), expected spend, DERT), one CSV row per customer.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clv::features::read_summary_csv;
use clv::models::data::read_bgbb_csv;
use clv::models::saved::{AnyModel, SavedModel};
use clv::predict::batch::{Patterns, dert_patterns, score_patterns};
use rayon::prelude::*;

use crate::common::{Ui, output};

/// Score customers with a saved model.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv predict --model models/bgnbd.json --spend-model models/gg.json --summary summary.csv \\
      --horizon 39 --output predictions.csv

Columns: customer_id,frequency,recency,T,p_alive,expected_purchases,p_no_purchases, then
expected_avg_spend,predicted_revenue with --spend-model, dert with --discount-rate (Pareto/NBD).
A gamma-gamma model alone gives expected_avg_spend; a bgbb model reads frequency,recency,periods.")]
pub struct Args {
    /// Model file written by `clv fit`.
    #[arg(long, value_name = "FILE.json")]
    pub model: PathBuf,
    /// Gamma-Gamma model file, for expected spend and revenue.
    #[arg(long, value_name = "FILE.json")]
    pub spend_model: Option<PathBuf>,
    /// Summary CSV (as written by `clv summarize`) of the customers to score.
    #[arg(long, value_name = "FILE")]
    pub summary: PathBuf,
    /// Prediction horizon, in the model's time unit.
    #[arg(long, default_value_t = 52.0)]
    pub horizon: f64,
    /// Continuous discount rate per time unit for Pareto/NBD's DERT.
    #[arg(long)]
    pub discount_rate: Option<f64>,
    /// CSV output (default: stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn load(path: &Path) -> anyhow::Result<(SavedModel, AnyModel)> {
    let saved = SavedModel::load(path)?;
    let model = saved.to_model()?;
    Ok((saved, model))
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    if !(args.horizon.is_finite() && args.horizon >= 0.0) {
        bail!("--horizon must be a number >= 0, got {}", args.horizon);
    }
    let (saved, model) = load(&args.model)?;
    if let AnyModel::BgBb(m) = &model {
        return predict_bgbb(&args, m, ui);
    }
    let table = read_summary_csv(&args.summary)?;
    let spend = match (&args.spend_model, &model) {
        (Some(p), _) => match load(p)?.1 {
            AnyModel::GammaGamma(g) => Some(g),
            _ => bail!("{}: --spend-model must be a gamma-gamma model", p.display()),
        },
        (None, AnyModel::GammaGamma(g)) => Some(*g),
        _ => None,
    };
    let tm = model.as_transaction_model();
    if tm.is_none() && spend.is_none() {
        bail!(
            "{}: a {} model makes no per-customer predictions here",
            args.model.display(),
            saved.model
        );
    }
    let dert = match (args.discount_rate, &model) {
        (Some(d), AnyModel::ParetoNbd(m)) if d > 0.0 && d.is_finite() => Some((d, m)),
        (Some(d), AnyModel::ParetoNbd(_)) => bail!("--discount-rate must be > 0, got {d}"),
        (Some(_), _) => bail!("--discount-rate (DERT) needs a Pareto/NBD model"),
        (None, _) => None,
    };
    let mut header = vec!["customer_id", "frequency", "recency", "T"];
    if tm.is_some() {
        header.extend(["p_alive", "expected_purchases", "p_no_purchases"]);
    }
    if spend.is_some() {
        header.push("expected_avg_spend");
        if tm.is_some() {
            header.push("predicted_revenue");
        }
    }
    if dert.is_some() {
        header.push("dert");
    }
    let h = args.horizon;
    let start = std::time::Instant::now();
    let n = table.len();
    let patterns = Patterns::of(&table.frequency, &table.recency, &table.t);
    let scores = tm.map(|m| score_patterns(m, h, &patterns));
    let dert_values: Option<Vec<f64>> = match (dert, &scores) {
        (Some((d, m)), Some(s)) => {
            let p_alive: Vec<f64> = s.iter().map(|s| s.p_alive).collect();
            Some(dert_patterns(m, d, &patterns, &p_alive))
        }
        _ => None,
    };
    // One row of numbers per customer, flat: the columns after customer_id.
    let width = header.len() - 1;
    let mut values = vec![0.0; n * width];
    values
        .par_chunks_mut(width)
        .enumerate()
        .try_for_each(|(i, row)| -> anyhow::Result<()> {
            let (x, t_x, t) = (table.frequency[i], table.recency[i], table.t[i]);
            let p = patterns.of_customer[i] as usize;
            let mut col = 0;
            let mut put = |v: f64| {
                row[col] = v;
                col += 1;
            };
            put(x);
            put(t_x);
            put(t);
            if let Some(s) = &scores {
                put(s[p].p_alive);
                put(s[p].expected_purchases);
                put(s[p].p_no_purchase);
            }
            if let Some(g) = &spend {
                let m = g
                    .conditional_expected_average_spend(x, table.monetary_value[i])
                    .with_context(|| format!("customer {}", table.customer_id[i]))?;
                put(m);
                if let Some(s) = &scores {
                    put(m * s[p].expected_purchases);
                }
            }
            if let Some(d) = &dert_values {
                put(d[p]);
            }
            Ok(())
        })?;
    let seconds = start.elapsed().as_secs_f64();
    // Formatted in parallel, a block of rows per string; rows keep the input order.
    let blocks: Vec<String> = values
        .par_chunks(width * 8192)
        .enumerate()
        .map(|(b, block)| {
            let mut text = String::with_capacity(block.len() * 12);
            for (j, row) in block.chunks(width).enumerate() {
                text.push_str(&table.customer_id[b * 8192 + j]);
                for v in row {
                    // Writing to a String cannot fail.
                    let _ = write!(text, ",{v}");
                }
                text.push('\n');
            }
            text
        })
        .collect();
    let mut out = output(args.output.as_deref())?;
    writeln!(out, "{}", header.join(","))?;
    for block in blocks {
        out.write_all(block.as_bytes())?;
    }
    out.flush()?;
    if let Some(m) = tm {
        ui.info(format!(
            "scored {} customers in {seconds:.3} s with {} over {h} {}s; a new customer is expected to make {:.4} repeat purchases",
            table.len(),
            saved.model,
            saved.time_unit,
            m.expected_purchases_new(h)
        ));
    } else {
        ui.info(format!(
            "scored {} customers with {}",
            table.len(),
            saved.model
        ));
    }
    Ok(())
}

fn predict_bgbb(args: &Args, m: &clv::models::bgbb::BgBb, ui: &Ui) -> anyhow::Result<()> {
    let data = read_bgbb_csv(&args.summary)?;
    if args.horizon.fract() != 0.0 {
        bail!(
            "bgbb counts whole periods: --horizon must be a whole number, got {}",
            args.horizon
        );
    }
    let h = args.horizon as u32;
    let mut out = output(args.output.as_deref())?;
    writeln!(
        out,
        "frequency,recency,periods,weights,p_alive,expected_transactions"
    )?;
    for i in 0..data.x.len() {
        let (x, t_x, n) = (data.x[i] as u32, data.t_x[i] as u32, data.n[i] as u32);
        writeln!(
            out,
            "{x},{t_x},{n},{},{},{}",
            data.weights[i],
            m.p_alive(x, t_x, n)?,
            m.conditional_expected_transactions(h, x, t_x, n)?
        )?;
    }
    out.flush()?;
    ui.info(format!(
        "scored {} patterns; a new customer is expected to make {:.4} transactions in {h} periods",
        data.x.len(),
        m.expected_transactions_new(h)?
    ));
    Ok(())
}
