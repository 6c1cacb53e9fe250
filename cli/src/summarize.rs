//! `clv summarize`: transactions to the per-customer frequency / recency / T / monetary table
//! (plus holdout columns with a calibration end), as CSV to a file or stdout.

use std::path::PathBuf;

use clv::features::builder::write_summary_csv;
use clv::features::{SummaryOptions, TimeUnit};

use crate::common::{self, TransactionArgs, Ui};

/// Summarize transactions per customer: frequency, recency, T, monetary value.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv summarize --input orders.csv --unit week --calibration-end 1997-09-30 --output summary.csv

Columns: customer_id,frequency,recency,T,monetary_value,first_purchase,orders,total_spend,
then frequency_holdout,monetary_value_holdout,duration_holdout with --calibration-end, then the
input's extra columns (values from each customer's first purchase). Purchases on one day count
once (amounts summed); T runs to the calibration end, inclusive. With --on-error skip, bad rows
go to --rejects (default: <output>.rejects.csv, or clv.rejects.csv without --output).")]
pub struct Args {
    #[command(flatten)]
    pub input: TransactionArgs,
    /// Time unit of recency, T and holdout length: hour (1/24 day; purchases still count
    /// by day), day, week (7 days) or month (365.25/12
    /// days).
    #[arg(long, default_value = "week")]
    pub unit: TimeUnit,
    /// Last day of the calibration period (inclusive); later purchases form the holdout,
    /// which runs to the observation end.
    #[arg(long, value_parser = common::date_arg, value_name = "DATE")]
    pub calibration_end: Option<common::DateArg>,
    /// Output file, Parquet when it ends in `.parquet`, else CSV (default: CSV on stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    args.input.check_paths(args.output.as_deref(), &[])?;
    let opts = SummaryOptions {
        unit: args.unit,
        calibration_end: args
            .input
            .optional_date("--calibration-end", args.calibration_end.as_ref())?,
        ..Default::default()
    };
    let summary = common::load_summary(&args.input, opts, args.output.as_deref(), ui)?;
    // CSV: the same bytes as `Summary::write_csv`, formatted in parallel.
    common::write_result(
        args.output.as_deref(),
        |out| write_summary_csv(&summary, out),
        || summary.to_table(),
    )?;
    let period = match summary.calibration_end {
        Some(c) => format!("calibration to {c}, holdout to {}", summary.observation_end),
        None => format!("observed to {}", summary.observation_end),
    };
    ui.info(format!(
        "{} customers summarized in {}s ({period}){}",
        summary.customers.len(),
        summary.unit,
        args.output
            .as_ref()
            .map(|p| format!(", written to {}", p.display()))
            .unwrap_or_default()
    ));
    Ok(())
}
