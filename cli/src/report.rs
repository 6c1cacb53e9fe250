//! `clv report`: the self-contained HTML report of a model bundle on a transaction file —
//! what to do in one sentence, the assumptions, the model comparison, the at-risk list, the
//! new-customer value and maximum acquisition cost, CLV concentration, tracking, calibration vs
//! holdout, frequency–recency maps, churn evaluation, cohorts and model fits.

use std::path::PathBuf;

use clv::features::SummaryOptions;
use clv::predict::intervals::IntervalSettings;
use clv::report::build::{BuildSettings, DEFAULT_TARGET_LTV_CAC, build_report, currency_code};
use clv::report::inputs::report_summaries;
use clv::report::render_html;

use crate::common::{self, BundleScoringArgs, Ui};

/// Write the HTML report of a model bundle on historical orders.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  clv report --model models/demo.json --transactions data/demo_transactions.csv --horizon 52 \\
      --discount-rate 0.10 --margin 0.30 --currency USD --target-ltv-cac 3 --output report.html

The transactions are summarized in the bundle's time unit, once over the whole history (scores,
segments, channels, cohorts, tracking) and once split at the bundle's calibration end (calibration
vs holdout, churn evaluation). Money figures state their currency, margin, annual discount rate
and horizon. The page has no scripts and loads nothing: one file to send.")]
pub struct Args {
    #[command(flatten)]
    pub scoring: BundleScoringArgs,
    /// Currency of the amounts: a three-letter ISO 4217 code (USD, EUR, GBP …).
    #[arg(long, default_value = "USD", value_name = "CODE", value_parser = currency_arg)]
    pub currency: String,
    /// Target ratio of a new customer's CLV to its acquisition cost: the maximum CAC is the
    /// CLV divided by it (as in `clv score-new`).
    #[arg(long, default_value_t = DEFAULT_TARGET_LTV_CAC, value_name = "RATIO")]
    pub target_ltv_cac: f64,
    /// Parameter draws of the 90% intervals of the total CLV and the new-customer values
    /// (at least 20; 0: no intervals).
    #[arg(long, default_value_t = IntervalSettings::default().draws, value_name = "N")]
    pub interval_draws: usize,
    /// Page title.
    #[arg(long, default_value = "Customer value report")]
    pub title: String,
    /// HTML file to write.
    #[arg(long, short = 'o', value_name = "FILE.html")]
    pub output: PathBuf,
}

fn currency_arg(code: &str) -> Result<String, String> {
    currency_code(code).map_err(|e| e.to_string())
}

impl Args {
    /// The validated report settings around the CLV settings.
    fn settings(&self, clv: clv::predict::ClvSettings) -> anyhow::Result<BuildSettings> {
        if !(self.target_ltv_cac.is_finite() && self.target_ltv_cac > 0.0) {
            anyhow::bail!(
                "--target-ltv-cac must be a number > 0, got {}",
                self.target_ltv_cac
            );
        }
        let intervals = match self.interval_draws {
            0 => None,
            draws => {
                let settings = IntervalSettings {
                    draws,
                    ..IntervalSettings::default()
                };
                settings.validate()?;
                Some(settings)
            }
        };
        Ok(BuildSettings {
            churn_window: self.scoring.churn_window,
            at_risk: self.scoring.at_risk.rule()?,
            currency: self.currency.clone(),
            target_ltv_cac: self.target_ltv_cac,
            intervals,
            title: self.title.clone(),
            ..BuildSettings::new(clv)
        })
    }
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    args.scoring.check_paths(Some(&args.output))?;
    let (bundle, _, clv) = args.scoring.load()?;
    let settings = args.settings(clv)?;
    let summaries = report_summaries(&bundle, |opts: SummaryOptions| {
        common::load_summary(&args.scoring.input, opts, Some(&args.output), ui)
    })?;
    for w in &summaries.warnings {
        ui.warn(w);
    }
    let (history, calibration) = (summaries.history, summaries.calibration);
    let data = build_report(&bundle, &history, calibration.as_ref(), &settings)?;
    let html = render_html(&data)?;
    clv::persist::write_atomic(&args.output, html.as_bytes())?;
    ui.info(format!("report written to {}", args.output.display()));
    ui.info(clv::report::text::report_summary_line(&data));
    Ok(())
}
