//! `clv describe`: history-based CLV metrics (average purchase value and frequency, customer
//! value, lifespan, historical CLV, LTV:CAC) from past orders, as a table or JSON.

use std::io::Write;

use clv::features::format_number;
use clv::features::metrics::{HistoryMetrics, LifespanSource, describe_summary};
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
        out.write_all(render(&m).as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

fn render(m: &HistoryMetrics) -> String {
    let n = |v: f64| format_number((v * 100.0).round() / 100.0);
    let opt = |v: Option<f64>| v.map_or("-".to_string(), n);
    let source = match m.lifespan_source {
        LifespanSource::Given => "given",
        LifespanSource::OneOverChurnRate => "1 / annual churn rate",
        LifespanSource::Observed => "observed first-to-last purchase span",
    };
    let rows: Vec<Vec<String>> = [
        ("customers", m.customers.to_string()),
        ("orders", n(m.orders)),
        ("revenue", n(m.revenue)),
        ("observed window (years)", n(m.window_years)),
        (
            "average purchase value (revenue / orders)",
            n(m.apv_revenue_per_order),
        ),
        (
            "average purchase value (mean of customer averages)",
            n(m.apv_mean_of_customer_averages),
        ),
        ("average purchase frequency (orders / customers)", n(m.apf)),
        (
            "customer value, window (mean of spend x visits)",
            n(m.customer_value_mean_of_spend_x_visits),
        ),
        (
            "customer value, window (APV x APF)",
            n(m.customer_value_apv_x_apf),
        ),
        (
            "customer value per year (mean of spend x visits)",
            n(m.annual_value_mean_of_spend_x_visits),
        ),
        (
            "customer value per year (APV x APF)",
            n(m.annual_value_apv_x_apf),
        ),
        ("annual churn rate", opt(m.annual_churn_rate)),
        ("observed lifespan (years)", opt(m.lifespan_years_observed)),
        (
            "lifespan used (years)",
            format!("{} ({source})", n(m.lifespan_years)),
        ),
        (
            "historical CLV (mean of spend x visits)",
            n(m.historical_clv_mean_of_spend_x_visits),
        ),
        ("historical CLV (APV x APF)", n(m.historical_clv_apv_x_apf)),
        ("acquisition cost", opt(m.cac)),
        (
            "LTV:CAC (target 3:1)",
            match (m.ltv_to_cac, m.ltv_to_cac_meets_3_to_1) {
                (Some(r), Some(ok)) => {
                    format!(
                        "{}:1 ({})",
                        n(r),
                        if ok { "meets target" } else { "below target" }
                    )
                }
                _ => "- (give --cac)".into(),
            },
        ),
    ]
    .into_iter()
    .map(|(k, v)| vec![k.to_string(), v])
    .collect();
    common::table(&["metric", "value"], &rows)
}
