//! `clv segment`: RFM quintile scores, named segments and the high-value flag per customer,
//! plus the monthly acquisition-cohort retention table.

use std::io::Write;
use std::path::PathBuf;

use clv::features::cohort::cohort_retention;
use clv::features::rfm::{rfm_scores, segment_counts};
use clv::features::{SummaryOptions, TimeUnit};

use crate::common::{self, CurrencyArgs, TransactionArgs, Ui};
use clv::io::{OutputMeta, OutputUnits, cohort_columns, segment_columns, write_segments_csv};

/// Score customers by recency, frequency and monetary value, name their segments, and build
/// the monthly cohort retention table.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv segment --input orders.csv --output segments.csv --cohorts cohorts.csv

Scores are quintiles, 1 (worst) to 5 (best): recency = days since the last purchase (fewer is
better), frequency = orders, monetary = total spend. The recency score is at most 2 past twice
the customer's expected gap between purchases (their own mean gap; the repeat buyers' median
for one-time buyers) and at most 1 past four times it. Segments (first match wins):
  champions R4-5 F4-5 | loyal R3-5 F3-5 | new R5 F1 | potential R4-5 F1-2 |
  needs attention R3 F1-2 | cannot lose R1-2 F4-5 M4-5 | at risk R1-2 F3-5 |
  hibernating R2 F1-2 | lost R1 F1-2
High value: a repeat buyer whose average order value is above the median.")]
pub struct Args {
    #[command(flatten)]
    pub input: TransactionArgs,
    #[command(flatten)]
    pub currency: CurrencyArgs,
    /// Per-customer CSV: customer_id,days_since_last_purchase,expected_gap_days,orders,
    /// total_spend_usd,average_order_value_usd,r,f,m,segment,high_value (money in --currency,
    /// rounded to cents), with the sidecar FILE.meta.json (columns and their units).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Cohort retention CSV: cohort,size,month_0,month_1,... (the share of the cohort buying
    /// in each month since its first), with the sidecar FILE.meta.json.
    #[arg(long, value_name = "FILE")]
    pub cohorts: Option<PathBuf>,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    args.input.check_paths(
        args.output.as_deref(),
        &[("--cohorts", args.cohorts.as_deref())],
    )?;
    let opts = SummaryOptions {
        unit: TimeUnit::Day,
        keep_purchase_times: true,
        ..Default::default()
    };
    let summary = common::load_summary(&args.input, opts, args.output.as_deref(), ui)?;
    let scores = rfm_scores(&summary);
    let cohorts = cohort_retention(&summary)?;

    let units = OutputUnits {
        time: TimeUnit::Day,
        currency: args.currency.currency.clone(),
    };
    let as_of = summary.calibration_period_end().to_string();
    if let Some(path) = &args.output {
        let mut out = common::output(Some(path))?;
        write_segments_csv(&mut out, &scores, &units)?;
        out.finish()?;
        let mut meta = OutputMeta::new(
            "clv segment",
            env!("CARGO_PKG_VERSION"),
            &units,
            &segment_columns(&units),
        );
        meta.settings.insert("as_of".into(), as_of.clone().into());
        common::write_sidecar(Some(path), &meta)?;
        ui.info(format!(
            "{} customers written to {}",
            scores.len(),
            path.display()
        ));
    }
    if let Some(path) = &args.cohorts {
        let mut out = common::output(Some(path))?;
        cohorts.write_csv(&mut out)?;
        out.finish()?;
        let mut meta = crate::assumptions::table_meta(
            "clv segment",
            &units,
            &cohort_columns(cohorts.months()),
            None,
        );
        meta.settings.insert("as_of".into(), as_of.clone().into());
        meta.settings
            .insert("cohort".into(), "month of the first purchase".into());
        meta.totals
            .insert("customers".into(), summary.customers.len() as f64);
        common::write_sidecar(Some(path), &meta)?;
        ui.info(format!(
            "{} cohorts written to {}",
            cohorts.cohorts.len(),
            path.display()
        ));
    }

    let mut out = common::output(None)?;
    let rows: Vec<Vec<String>> = segment_counts(&scores)
        .iter()
        .map(|c| {
            vec![
                c.segment.to_string(),
                c.customers.to_string(),
                format!("{:.1}%", 100.0 * c.share),
                c.high_value.to_string(),
                format!("{:.2}", c.revenue),
            ]
        })
        .collect();
    writeln!(out, "Segments as of {}:", summary.calibration_period_end())?;
    out.write_all(
        common::table(
            &["segment", "customers", "share", "high value", "revenue"],
            &rows,
        )
        .as_bytes(),
    )?;
    writeln!(out)?;
    out.write_all(clv::report::text::cohort_text(&cohorts).as_bytes())?;
    out.finish()?;
    Ok(())
}
