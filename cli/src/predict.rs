//! `clv predict`: per-customer predictions from a saved model (P(alive), expected purchases,
//! P(no purchase), expected spend, DERT), one CSV row per customer.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clv::features::{TimeUnit, read_summary_file};
use clv::io::units::round_to_cents;
use clv::io::{Currency, OutputUnits, columns_table, predict_columns, write_columns_csv};
use clv::models::AnyModel;
use clv::models::data::read_bgbb_csv;
use clv::models::saved::SavedModel;
use clv::predict::table::{Columns, new_customer_distribution, predict_discrete, predict_table};

use crate::assumptions::{currency_arg, horizon_in_model_units, table_meta};
use crate::common::{Ui, write_result, write_sidecar};

/// Score customers with a saved model.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv predict --model models/bgnbd.json --spend-model models/gg.json --summary summary.csv \\
      --horizon 39 --output predictions.csv

  clv predict --model models/bgnbd.json --summary summary.csv --horizon 39 --p-purchases 1,2,3
  clv predict --model models/bgnbd.json --new-customers --horizon 39 --p-purchases 0,1,2,3

Columns: customer_id,frequency,recency,T,p_alive,expected_purchases,p_no_purchases, then
p_purchases_N for each N of --p-purchases (P(exactly N purchases in the horizon)),
expected_avg_spend,predicted_revenue with --spend-model, dert with --discount-rate (annual; Pareto/NBD).
A gamma-gamma model alone gives expected_avg_spend; a bgbb model reads frequency,recency,periods
(--alive-ahead M adds p_alive_M, P(alive M periods ahead)).
--new-customers writes purchases,probability: P(X(horizon) = N) of a just-acquired customer.
With --output FILE the sidecar FILE.meta.json states the horizon, the discount rate, the
model files, the currency and margin of the money columns (revenue: margin 1) and every
column's unit.")]
pub struct Args {
    /// Model file written by `clv fit`.
    #[arg(long, value_name = "FILE.json")]
    pub model: PathBuf,
    /// Gamma-Gamma model file, for expected spend and revenue.
    #[arg(long, value_name = "FILE.json")]
    pub spend_model: Option<PathBuf>,
    /// Summary (as written by `clv summarize`, CSV or Parquet) of the customers to score.
    #[arg(long, value_name = "FILE", required_unless_present = "new_customers")]
    pub summary: Option<PathBuf>,
    /// Instead of scoring customers, the distribution of a just-acquired customer's repeat
    /// purchases over the horizon, for the counts of --p-purchases.
    #[arg(long, conflicts_with_all = ["summary", "spend_model", "discount_rate"], requires = "p_purchases")]
    pub new_customers: bool,
    /// BG/BB: periods ahead M whose P(alive at opportunity n + M) to add as p_alive_M.
    #[arg(long, value_delimiter = ',', value_name = "M,M,...")]
    pub alive_ahead: Vec<u32>,
    /// Purchase counts N whose probability P(exactly N purchases in the horizon) to add.
    #[arg(long, value_delimiter = ',', value_name = "N,N,...")]
    pub p_purchases: Vec<u32>,
    /// Prediction horizon, in the model's time unit.
    #[arg(long, default_value_t = 52.0)]
    pub horizon: f64,
    /// Annual effective discount rate for Pareto/NBD's DERT (0.10 = 10% a year), converted to
    /// the continuous rate per model time unit over a 365.25-day year, as `clv score` does.
    #[arg(long)]
    pub discount_rate: Option<f64>,
    /// Currency code of the amounts (three letters, e.g. USD, EUR), stated in the sidecar and
    /// the messages; the columns keep their names (lifetimes') and amounts are not converted.
    #[arg(long, default_value = "USD", value_name = "CODE", value_parser = currency_arg)]
    pub currency: Currency,
    /// Output file, Parquet when it ends in `.parquet`, else CSV (default: CSV on stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn load(path: &Path) -> anyhow::Result<(SavedModel, AnyModel)> {
    let saved = SavedModel::load(path)?;
    let model = saved.to_model()?;
    Ok((saved, model))
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    crate::common::distinct_paths(&[
        ("--model", Some(args.model.as_path())),
        ("--spend-model", args.spend_model.as_deref()),
        ("--summary", args.summary.as_deref()),
        ("--output", args.output.as_deref()),
    ])?;
    let (saved, model) = load(&args.model)?;
    let Some(summary) = &args.summary else {
        let columns = new_customer_distribution(&model, args.horizon, &args.p_purchases)
            .with_context(|| format!("{}", args.model.display()))?;
        write_columns(&args, &saved, None, &columns, false)?;
        ui.info(format!(
            "purchase distribution of a new customer over {} {}s with {}",
            args.horizon, saved.time_unit, saved.model
        ));
        return Ok(());
    };
    if let AnyModel::BgBb(m) = &model {
        if !args.p_purchases.is_empty() {
            bail!("bgbb: --p-purchases is for new customers only (--new-customers)");
        }
        let data = read_bgbb_csv(summary)?;
        let columns = predict_discrete(m, &data, args.horizon, &args.alive_ahead)?;
        write_columns(&args, &saved, None, &columns, true)?;
        ui.info(format!(
            "scored {} patterns; a new customer is expected to make {:.4} transactions in {} periods",
            data.x.len(),
            m.expected_transactions_new(args.horizon as u32)?,
            args.horizon
        ));
        return Ok(());
    }
    if !args.alive_ahead.is_empty() {
        bail!("--alive-ahead is for bgbb models");
    }
    let table = read_summary_file(summary)?;
    let spend = match &args.spend_model {
        Some(p) => match load(p)?.1 {
            AnyModel::GammaGamma(g) => Some(g),
            _ => bail!("{}: --spend-model must be a gamma-gamma model", p.display()),
        },
        None => None,
    };
    let h = args.horizon;
    // The model's unit matters only to convert a discount rate (models in abstract periods,
    // sBG's, have none).
    let unit_days = match args.discount_rate {
        Some(_) => saved
            .time_unit
            .parse::<TimeUnit>()
            .with_context(|| format!("{}", args.model.display()))?
            .days_per_unit(),
        None => 1.0,
    };
    let start = std::time::Instant::now();
    let columns = predict_table(
        &model,
        spend.as_ref(),
        &table,
        h,
        args.discount_rate,
        unit_days,
        &args.p_purchases,
    )
    .with_context(|| format!("{}", args.model.display()))?;
    let seconds = start.elapsed().as_secs_f64();
    let ids = Some(table.customer_id.as_slice());
    write_columns(&args, &saved, ids, &columns, false)?;
    let revenue = columns
        .names
        .iter()
        .position(|n| n == "predicted_revenue")
        .map(|j| {
            format!(
                "; predicted revenue {:.2} {} (no margin applied)",
                columns.values[j].iter().sum::<f64>(),
                args.currency
            )
        })
        .unwrap_or_default();
    if let Some(m) = model.as_transaction_model() {
        ui.info(format!(
            "scored {} customers in {seconds:.3} s with {} over {h} {}s; a new customer is expected to make {:.4} repeat purchases{revenue}",
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

/// Writes the prediction columns, as CSV or (a `.parquet` name) Parquet, and with an output
/// file its sidecar; `discrete` for a BG/BB pattern table.
fn write_columns(
    args: &Args,
    saved: &SavedModel,
    ids: Option<&[String]>,
    columns: &Columns,
    discrete: bool,
) -> anyhow::Result<()> {
    let path = args.output.as_deref();
    write_result(
        path,
        |out| write_columns_csv(out, ids, columns),
        || columns_table(ids, columns),
    )?;
    let units = OutputUnits {
        // Only continuous models' times are in calendar units (BG/BB counts periods).
        time: saved.time_unit.parse().unwrap_or_default(),
        currency: args.currency.clone(),
    };
    let specs = predict_columns(ids.is_some(), &columns.names, discrete);
    let mut meta = table_meta(
        "clv predict",
        &units,
        &specs,
        Some((&saved.model, &args.model)),
    );
    meta.horizon = Some(horizon_in_model_units(args.horizon, &saved.time_unit));
    meta.annual_discount_rate = args.discount_rate;
    if let Some(spend) = &args.spend_model {
        meta.settings
            .insert("spend_model".into(), spend.display().to_string().into());
    }
    if !meta.currency.is_empty() {
        // Expected spend and revenue are before any margin.
        meta.margin = Some(1.0);
    }
    for (name, values) in columns.names.iter().zip(&columns.values) {
        let total: f64 = values.iter().sum();
        match name.as_str() {
            "predicted_revenue" => meta.totals.insert(name.clone(), round_to_cents(total)),
            "expected_purchases" => meta.totals.insert(name.clone(), total),
            _ => None,
        };
    }
    meta.totals.insert("rows".into(), columns.len() as f64);
    write_sidecar(path, &meta)
}
