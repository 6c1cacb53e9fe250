//! `clv track`: the customer base's actual and expected repeat transactions per calendar
//! period (the data of a tracking plot), as CSV.

use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clv::features::{SummaryOptions, TimeUnit};
use clv::io::{
    ColumnSpec, OutputMeta, OutputUnits, alive_path_columns, tracking_columns,
    write_alive_path_csv, write_tracking_csv,
};
use clv::models::saved::SavedModel;
use clv::predict::tracking::{TrackingPeriods, alive_path, tracking};

use crate::assumptions::table_meta;
use crate::common::{self, TransactionArgs, Ui, parse_date};

/// Track actual against expected repeat transactions over calendar time.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv track --model pnbd.json --input cdnow_sample.csv --period week --periods 78 --output tracking.csv

Columns: period,last_day,actual,expected,actual_incremental,expected_incremental. Periods run
from the earliest first purchase (or --start); period k ends before start + k periods. actual
counts repeat purchase days (one a day per customer) up to the period's end; expected sums, over
customers who first bought before that end, the model's expected repeat purchases of a new
customer over the time since their first purchase (lifetimes' expected_cumulative_transactions).
--customer ID writes age,p_alive instead: the customer's P(alive) after each period since their
first purchase (lifetimes' calculate_alive_path). With --output FILE the sidecar FILE.meta.json
states the model, the periods and every column's unit.")]
pub struct Args {
    /// Transaction model file written by `clv fit` (its time unit converts the ages).
    #[arg(long, value_name = "FILE.json")]
    pub model: PathBuf,
    #[command(flatten)]
    pub input: TransactionArgs,
    /// Length of a period: day or week (7 days).
    #[arg(long, default_value = "week")]
    pub period: TimeUnit,
    /// Number of periods.
    #[arg(long)]
    pub periods: u32,
    /// Instead of the whole base: this customer's P(alive) after each period since their
    /// first purchase (lifetimes' alive path), as age,p_alive.
    #[arg(long, value_name = "ID", conflicts_with = "start")]
    pub customer: Option<String>,
    /// First day (default: the earliest first purchase).
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    pub start: Option<NaiveDate>,
    /// CSV output file (default: stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    args.input.check_paths(
        args.output.as_deref(),
        &[("--model", Some(args.model.as_path()))],
    )?;
    let days = match args.period {
        TimeUnit::Day => 1,
        TimeUnit::Week => 7,
        other => bail!("--period {other}: tracking periods are whole days (day or week)"),
    };
    let saved = SavedModel::load(&args.model)?;
    let unit: TimeUnit = saved
        .time_unit
        .parse()
        .with_context(|| format!("{}: time unit", args.model.display()))?;
    let model = saved.to_model()?;
    let Some(tm) = model.as_transaction_model() else {
        bail!(
            "{}: a {} model makes no transaction predictions to track",
            args.model.display(),
            saved.model
        );
    };
    let opts = SummaryOptions {
        unit: TimeUnit::Day,
        keep_purchase_times: true,
        ..Default::default()
    };
    let summary = common::load_summary(&args.input, opts, args.output.as_deref(), ui)?;
    if let Some(id) = &args.customer {
        let Some(c) = summary.customers.iter().find(|c| &c.customer_id == id) else {
            bail!("customer '{id}' is not in the transactions");
        };
        let model_days = unit.days_per_unit();
        let times: Vec<f64> = c.purchase_times.iter().map(|d| d / model_days).collect();
        let step = f64::from(days) / model_days;
        let path = alive_path(tm, &times, step, args.periods)?;
        let mut out = common::output(args.output.as_deref())?;
        write_alive_path_csv(&mut out, &path)?;
        out.finish()?;
        let mut meta = sidecar(&args, &saved, unit, &alive_path_columns());
        meta.settings.insert("customer".into(), id.clone().into());
        common::write_sidecar(args.output.as_deref(), &meta)?;
        ui.info(format!(
            "alive path of customer '{id}' over {} {}s ({} purchase days)",
            args.periods,
            args.period,
            times.len()
        ));
        return Ok(());
    }
    let calendar = TrackingPeriods {
        start: args.start,
        days,
        periods: args.periods,
    };
    let rows = tracking(tm, unit, &summary, calendar)?;
    let mut out = common::output(args.output.as_deref())?;
    write_tracking_csv(&mut out, &rows)?;
    out.finish()?;
    let mut meta = sidecar(&args, &saved, unit, &tracking_columns());
    if let Some(first) = rows.first() {
        let start = first.last_day - chrono::Duration::days(i64::from(days) - 1);
        meta.settings
            .insert("start".into(), start.to_string().into());
    }
    meta.settings
        .insert("customers".into(), (summary.customers.len() as f64).into());
    if let Some(last) = rows.last() {
        meta.totals.insert("actual".into(), last.actual);
        meta.totals.insert("expected".into(), last.expected);
    }
    common::write_sidecar(args.output.as_deref(), &meta)?;
    if let Some(last) = rows.last() {
        ui.info(format!(
            "{} customers tracked over {} {}s to {}: {} repeat transactions, {:.1} expected by {}",
            summary.customers.len(),
            args.periods,
            args.period,
            last.last_day,
            last.actual,
            last.expected,
            saved.model
        ));
    }
    Ok(())
}

/// The sidecar of a tracking output: the model, the periods, the columns.
fn sidecar(args: &Args, saved: &SavedModel, unit: TimeUnit, columns: &[ColumnSpec]) -> OutputMeta {
    let units = OutputUnits {
        time: unit,
        currency: Default::default(),
    };
    let mut meta = table_meta(
        "clv track",
        &units,
        columns,
        Some((&saved.model, &args.model)),
    );
    meta.settings
        .insert("period".into(), args.period.name().into());
    meta.settings.insert("periods".into(), args.periods.into());
    meta
}
