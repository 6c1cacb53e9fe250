//! `clv report`: the self-contained HTML report of a model bundle on a transaction file —
//! headline, tracking, calibration vs holdout, frequency–recency maps, CLV by segment and
//! channel, churn evaluation, cohorts and model fits.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clv::features::SummaryOptions;
use clv::report::build::{BuildSettings, build_report};
use clv::report::render_html;

use crate::common::{self, BundleScoringArgs, Ui};

/// Write the HTML report of a model bundle on historical orders.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv report --model models/demo.json --transactions data/demo_transactions.csv --horizon 52 \\
      --discount-rate 0.10 --margin 0.30 --currency '$' --output report.html

The transactions are summarized in the bundle's time unit, once over the whole history (scores,
segments, channels, cohorts, tracking) and once split at the bundle's calibration end (calibration
vs holdout, churn evaluation). The page has no scripts and loads nothing: one file to send.")]
pub struct Args {
    #[command(flatten)]
    pub scoring: BundleScoringArgs,
    /// Currency: a symbol ("$") is shown before amounts, a code ("EUR") after.
    #[arg(long, default_value = "$")]
    pub currency: String,
    /// Page title.
    #[arg(long, default_value = "Customer value report")]
    pub title: String,
    /// HTML file to write.
    #[arg(long, short = 'o', value_name = "FILE.html")]
    pub output: PathBuf,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    let (bundle, unit, clv) = args.scoring.load()?;
    let calibration_end = bundle
        .training
        .calibration_end
        .as_deref()
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
        .transpose()
        .with_context(|| {
            format!(
                "{}: unreadable calibration end",
                args.scoring.model.display()
            )
        })?;
    let whole = SummaryOptions {
        unit,
        keep_purchase_times: true,
        ..Default::default()
    };
    let history = common::load_summary(&args.scoring.input, whole.clone(), Some(&args.output), ui)?;
    let calibration = match calibration_end {
        Some(end) if end < history.observation_end => {
            let opts = SummaryOptions {
                calibration_end: Some(end),
                ..whole
            };
            Some(common::load_summary(
                &args.scoring.input,
                opts,
                Some(&args.output),
                ui,
            )?)
        }
        Some(end) => {
            ui.warn(format!(
                "the data end on {} but the bundle's calibration ends on {end}: no holdout \
                 sections",
                history.observation_end
            ));
            None
        }
        None => None,
    };
    let settings = BuildSettings {
        churn_window: args.scoring.churn_window,
        risk_threshold: args.scoring.risk_threshold,
        currency: args.currency.clone(),
        title: args.title.clone(),
        ..BuildSettings::new(clv)
    };
    let data = build_report(&bundle, &history, calibration.as_ref(), &settings)?;
    let html = render_html(&data)?;
    clv::persist::write_atomic(&args.output, html.as_bytes())?;
    ui.info(format!("report written to {}", args.output.display()));
    ui.info(clv::report::text::report_summary_line(&data));
    Ok(())
}
