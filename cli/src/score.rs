//! `clv score`: scores existing customers with a model bundle — P(alive), churn probability,
//! expected purchases and spend, discounted CLV, RFM segment, at-risk flag — sorted by CLV.

use std::io::Write;
use std::path::PathBuf;

use clv::features::{SummaryOptions, format_number};
use clv::predict::Bundle;
use clv::predict::score::{CustomerScore, ScoreSettings, ScoreSummary, score_bundle};
use rayon::prelude::*;

use crate::common::{self, BundleScoringArgs, Ui, output, table};

/// Score existing customers: CLV, churn probability, at-risk flag.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv score --model models/demo.json --transactions data/demo_transactions.csv --horizon 52 \\
      --unit week --discount-rate 0.10 --margin 0.30 --output scores.csv

CLV = sum over the horizon's periods of expected purchases in the period x expected order
value x margin / (1 + d)^k, d the per-period rate derived from the annual --discount-rate.
Columns: customer_id,frequency,recency,T,total_spend,p_alive,churn_probability,
expected_purchases,expected_avg_spend,predicted_revenue,clv,segment,at_risk.")]
pub struct Args {
    #[command(flatten)]
    pub scoring: BundleScoringArgs,
    /// CSV output (default: stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    let (bundle, unit, clv) = args.scoring.load()?;
    let opts = SummaryOptions {
        unit,
        keep_purchase_times: true,
        ..Default::default()
    };
    let summary = common::load_summary(&args.scoring.input, opts, args.output.as_deref(), ui)?;
    let scored = score_bundle(
        &bundle,
        &summary,
        clv,
        args.scoring.churn_window,
        args.scoring.risk_threshold,
    )?;
    if let Some(asked) = scored.ignored_churn_window {
        ui.warn(format!(
            "the bundle's churn classifier predicts a {}-{}s window; --churn-window {asked} is ignored",
            scored.settings.churn_window, bundle.time_unit
        ));
    }
    let (rows, totals, settings) = (&scored.rows, &scored.totals, &scored.settings);
    let mut out = output(args.output.as_deref())?;
    write_scores(&mut out, rows)?;
    out.flush()?;
    if args.output.is_some() || ui.quiet {
        ui.info(portfolio_text(totals, &bundle, settings));
    } else {
        eprintln!("{}", portfolio_text(totals, &bundle, settings));
    }
    Ok(())
}

/// Writes the scores as CSV.
pub fn write_scores(out: &mut dyn Write, rows: &[CustomerScore]) -> anyhow::Result<()> {
    writeln!(
        out,
        "customer_id,frequency,recency,T,total_spend,p_alive,churn_probability,expected_purchases,\
         expected_avg_spend,predicted_revenue,clv,segment,at_risk"
    )?;
    // Formatted in parallel, a block of rows per string; rows keep their order.
    let blocks: Vec<String> = rows
        .par_chunks(8192)
        .map(|block| {
            let mut text = String::with_capacity(block.len() * 120);
            for r in block {
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
            }
            text
        })
        .collect();
    for block in blocks {
        out.write_all(block.as_bytes())?;
    }
    Ok(())
}

/// The portfolio summary a marketer reads first.
pub fn portfolio_text(t: &ScoreSummary, bundle: &Bundle, s: &ScoreSettings) -> String {
    let unit = &bundle.time_unit;
    let mut text = format!(
        "{} customers scored with {} + gamma-gamma over {} {unit}s (discount {:.3}% per {unit}, margin {})\n\
         active share (mean P(alive)): {:.1}%\n\
         predicted revenue: {:.2}   CLV: {:.2}\n\
         at risk: {} customers holding {:.2} of CLV ({})\n\
         churn probability from: {}\n\n",
        t.customers,
        bundle.transaction_model.model,
        s.clv.periods,
        100.0 * s.clv.discount_per_period,
        s.clv.margin,
        100.0 * t.mean_p_alive,
        t.total_predicted_revenue,
        t.total_clv,
        t.at_risk_customers,
        t.at_risk_clv,
        t.at_risk_rule,
        t.churn_source,
    );
    let rows: Vec<Vec<String>> = t
        .deciles
        .iter()
        .map(|d| {
            vec![
                d.decile.to_string(),
                d.customers.to_string(),
                format!("{:.2}", d.mean_clv),
                format!("{:.1}%", 100.0 * d.share_of_clv),
            ]
        })
        .collect();
    text.push_str(&table(
        &["CLV decile", "customers", "mean CLV", "share of CLV"],
        &rows,
    ));
    text
}
