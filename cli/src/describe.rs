//! `clv describe`: history-based CLV metrics (average purchase value and frequency, customer
//! value, lifespan, historical CLV, LTV:CAC) from past orders, as a table or JSON.

use std::io::Write;

use clv::features::metrics::describe_summary;
use clv::features::{SummaryOptions, TimeUnit};

use crate::common::{self, TransactionArgs, Ui};

/// Describe past orders: average purchase value and frequency, customer value, lifespan,
/// historical CLV and LTV:CAC.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv describe --input orders.csv --cac 40 --lifespan-years 3

Customer value is reported two ways: the mean over customers of spend per order x orders
(what each customer actually spent), and APV x APF (mean order value x orders per customer),
which differs when heavy buyers spend more or less per order. Values are per year of the
observed window; the lifespan is --lifespan-years, else 1 / annual churn rate (share of
customers older than a year with no purchase in the last 365 days), else the mean observed
span between first and last purchase.")]
pub struct Args {
    #[command(flatten)]
    pub input: TransactionArgs,
    /// Customer acquisition cost, for the LTV:CAC ratio.
    #[arg(long, value_name = "X")]
    pub cac: Option<f64>,
    /// Expected customer lifespan in years (default: from the data).
    #[arg(long, value_name = "Y")]
    pub lifespan_years: Option<f64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    let opts = SummaryOptions {
        unit: TimeUnit::Day,
        ..Default::default()
    };
    let summary = common::load_summary(&args.input, opts, None, ui)?;
    let m = describe_summary(&summary, args.lifespan_years, args.cac)?;
    let mut out = common::output(None)?;
    if args.json {
        serde_json::to_writer_pretty(&mut out, &m)?;
        writeln!(out)?;
    } else {
        out.write_all(clv::report::text::history_metrics_text(&m).as_bytes())?;
    }
    out.finish()?;
    Ok(())
}
