//! `clv summarize`: transactions to the per-customer frequency / recency / T / monetary table
//! (plus holdout columns with a calibration end), as CSV to a file or stdout.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clv::features::builder::{
    SpillOptions, SpillProgress, available_memory, needs_partitions, parse_memory_size,
    summarize_path_partitioned, write_summary_csv,
};
use clv::features::{SummaryOptions, TimeUnit};
use clv::persist::table::is_parquet_output;

use clv::io::{OutputMeta, OutputUnits, summary_columns};

use crate::assumptions::table_meta;
use crate::common::{self, CurrencyArgs, TransactionArgs, Ui};

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
    /// Memory to stay within, e.g. 2GiB, 512MB (KB/MB/GB are powers of 1000, K/M/G and
    /// KiB/MiB/GiB of 1024). When holding every customer may need more (estimated from the
    /// input's size), the rows are split by customer into temporary files and summarized part
    /// by part: the same output, CSV only. Default: the available memory (the estimate is an
    /// upper bound: it counts every row as a possible new customer).
    #[arg(long, value_name = "SIZE", value_parser = memory_size)]
    pub memory_budget: Option<u64>,
    /// Folder for the temporary files of a partitioned summary (default: the output's folder,
    /// else the system's temporary folder); they are removed at the end, error or not.
    #[arg(long, value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,
    #[command(flatten)]
    pub currency: CurrencyArgs,
}

/// The budget given, else the available memory.
fn memory_budget(args: &Args) -> u64 {
    args.memory_budget
        .or_else(available_memory)
        .unwrap_or(u64::MAX)
}

fn memory_size(text: &str) -> Result<u64, String> {
    parse_memory_size(text).map_err(|e| e.to_string())
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
    if let Some(input) = partitioned_input(&args, ui)? {
        return run_partitioned(&args, opts, &input, ui);
    }
    let summary = common::load_summary(&args.input, opts, args.output.as_deref(), ui)?;
    // CSV: the same bytes as `Summary::write_csv`, formatted in parallel.
    common::write_result(
        args.output.as_deref(),
        |out| write_summary_csv(&summary, out),
        || summary.to_table(),
    )?;
    let meta = sidecar(
        &args,
        summary.unit,
        (summary.calibration_end, summary.observation_end),
        &summary.extra_columns,
        summary.customers.len() as u64,
    );
    common::write_sidecar(args.output.as_deref(), &meta)?;
    ui.info(done_message(
        summary.customers.len() as u64,
        summary.unit,
        summary.calibration_end,
        summary.observation_end,
        args.output.as_deref(),
    ));
    Ok(())
}

/// The input, when it is to be summarized through partition files: its in-memory state may
/// exceed the memory budget (or it is stdin, which cannot be measured, and a budget is given).
fn partitioned_input(args: &Args, ui: &Ui) -> anyhow::Result<Option<PathBuf>> {
    let Some(input) = args.input.input.clone() else {
        return Ok(None);
    };
    let budget = memory_budget(args);
    let stdin_with_budget = input.as_os_str() == "-" && args.memory_budget.is_some();
    if !(stdin_with_budget || needs_partitions(&input, budget)) {
        return Ok(None);
    }
    if args.output.as_deref().is_some_and(is_parquet_output) {
        if args.memory_budget.is_some() {
            anyhow::bail!(
                "--memory-budget: {} may need more memory than the budget, and partitioned \
                 summaries are written as CSV only: give an --output not ending in .parquet, or \
                 a larger budget",
                input.display()
            );
        }
        ui.warn(format!(
            "{} may need more than the available memory; summarizing in memory because \
             the output is Parquet (partitioned summaries are CSV only)",
            input.display()
        ));
        return Ok(None);
    }
    Ok(Some(input))
}

/// Summarizes through temporary partition files, with a progress bar per stage.
fn run_partitioned(
    args: &Args,
    mut opts: SummaryOptions,
    input: &Path,
    ui: &Ui,
) -> anyhow::Result<()> {
    let read = args.input.read_options()?;
    opts.observation_end = read.observation_end;
    let output = args.output.as_deref();
    let temp_dir = args.temp_dir.clone().unwrap_or_else(|| match output {
        Some(p) => match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        },
        None => std::env::temp_dir(),
    });
    let spill = SpillOptions {
        temp_dir,
        memory_budget: memory_budget(args),
        partitions: None,
    };
    let total = if input.as_os_str() == "-" {
        0
    } else {
        common::input_bytes(input)
    };
    let mut bar = ui.progress_bytes(total, "reading into partitions");
    let mut stage = "reading";
    let mut out = common::output(output)?;
    let result = summarize_path_partitioned(
        input,
        &read,
        &opts,
        &spill,
        &mut |p| {
            let (name, done, of) = match p {
                SpillProgress::Reading(b) => ("reading", b, total),
                SpillProgress::Summarizing { done, of } => ("summarizing partitions", done, of),
                SpillProgress::Writing { done, of } => ("writing", done, of),
            };
            if name != stage {
                bar.finish_and_clear();
                bar = ui.progress_count(of, name);
                stage = name;
            }
            bar.set_position(done);
        },
        &mut out,
    );
    bar.finish_and_clear();
    let (summary, acc) = result?;
    // An error here (no customer) leaves the output file as it was.
    common::report_rows(
        &args.input,
        output,
        &acc,
        summary.customers_after_calibration,
        summary.customers,
        ui,
    )?;
    out.finish()?;
    let meta = sidecar(
        args,
        summary.unit,
        (summary.calibration_end, summary.observation_end),
        &summary.extra_columns,
        summary.customers,
    );
    common::write_sidecar(output, &meta)?;
    ui.info(format!(
        "{} (through {} partitions)",
        done_message(
            summary.customers,
            summary.unit,
            summary.calibration_end,
            summary.observation_end,
            output,
        ),
        summary.partitions
    ));
    Ok(())
}

/// The sidecar of a summary: its time unit, the calibration and observation ends, the
/// currency of the amounts, the columns and the customer count.
fn sidecar(
    args: &Args,
    unit: TimeUnit,
    (calibration_end, observation_end): (Option<NaiveDate>, NaiveDate),
    extra_columns: &[String],
    customers: u64,
) -> OutputMeta {
    let units = OutputUnits {
        time: unit,
        currency: args.currency.currency.clone(),
    };
    let columns = summary_columns(calibration_end.is_some(), extra_columns);
    let mut meta = table_meta("clv summarize", &units, &columns, None);
    let settings = &mut meta.settings;
    settings.insert("unit".into(), unit.name().into());
    settings.insert("observation_end".into(), observation_end.to_string().into());
    if let Some(c) = calibration_end {
        settings.insert("calibration_end".into(), c.to_string().into());
    }
    settings.insert("customers".into(), customers.into());
    meta
}

fn done_message(
    customers: u64,
    unit: TimeUnit,
    calibration_end: Option<NaiveDate>,
    observation_end: NaiveDate,
    output: Option<&Path>,
) -> String {
    let period = match calibration_end {
        Some(c) => format!("calibration to {c}, holdout to {observation_end}"),
        None => format!("observed to {observation_end}"),
    };
    format!(
        "{customers} customers summarized in {unit}s ({period}){}",
        output
            .map(|p| format!(", written to {}", p.display()))
            .unwrap_or_default()
    )
}
