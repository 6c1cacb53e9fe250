//! The flags and files that state an output's assumptions: the currency of its money, the
//! opt-in CLV intervals, and the sidecar `OUTPUT.meta.json` built from the CLV flags.

use std::path::Path;

use clv::io::meta::{HorizonMeta, ModelMeta};
use clv::io::{ColumnSpec, Currency, OutputMeta, OutputUnits, write_meta};
use clv::predict::Bundle;
use clv::predict::clv::ClvSettings;
use clv::predict::intervals::IntervalSettings;
use clv::predict::score::ScoreSummary;

use crate::common::ClvArgs;

/// The currency of money columns: the flag shared by every command that writes money.
#[derive(Debug, Clone, clap::Args)]
pub struct CurrencyArgs {
    /// Currency code of the amounts (three letters, e.g. USD, EUR): names the money columns
    /// (`clv_usd`) and the sidecar; amounts are not converted.
    #[arg(long, default_value = "USD", value_name = "CODE", value_parser = parse_currency)]
    pub currency: Currency,
}

fn parse_currency(s: &str) -> Result<Currency, String> {
    s.parse().map_err(|e: clv::ClvError| e.to_string())
}

/// The `--currency` parser: three letters, upper-cased.
pub fn currency_arg(s: &str) -> Result<Currency, String> {
    parse_currency(s)
}

/// Parameter-uncertainty intervals of CLV: opt-in, since they cost one prediction per draw.
#[derive(Debug, Clone, clap::Args)]
pub struct IntervalArgs {
    /// Add 90% intervals of the CLV that reflect the uncertainty of the fitted parameters
    /// (parametric draws from the fits' covariance): per row `clv_low_CUR`/`clv_high_CUR`
    /// and for the totals. Off by default: every draw repeats the model's predictions (on
    /// the demo data about 25 times the plain run's time, on 1M simulated customers about 5).
    #[arg(long)]
    pub intervals: bool,
    /// Parameter draws of the intervals (with --intervals; at least 20).
    #[arg(long, default_value_t = 200, value_name = "N", requires = "intervals")]
    pub interval_draws: usize,
}

impl IntervalArgs {
    /// The validated interval settings, `None` without --intervals.
    pub fn settings(&self) -> anyhow::Result<Option<IntervalSettings>> {
        if !self.intervals {
            return Ok(None);
        }
        let s = IntervalSettings {
            draws: self.interval_draws,
            ..IntervalSettings::default()
        };
        s.validate()?;
        Ok(Some(s))
    }
}

/// Writes the sidecar `OUTPUT.meta.json` of an output file (none for stdout), atomically,
/// with the command line this run was given.
pub fn write_sidecar(output: Option<&Path>, meta: &OutputMeta) -> anyhow::Result<()> {
    if let Some(path) = output {
        let mut meta = meta.clone();
        meta.command_line = std::env::args_os()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        write_meta(path, &meta)?;
    }
    Ok(())
}

/// The sidecar of `command`'s table of `columns` in `units`, by this version; the model (when
/// `model` names one: its kind and file) and the assumptions are the caller's to add.
pub fn table_meta(
    command: &str,
    units: &OutputUnits,
    columns: &[ColumnSpec],
    model: Option<(&str, &Path)>,
) -> OutputMeta {
    let mut meta = OutputMeta::new(command, env!("CARGO_PKG_VERSION"), units, columns);
    meta.model = model.map(|(name, file)| ModelMeta {
        name: name.to_string(),
        file: file.display().to_string(),
    });
    meta
}

/// A horizon given in the model's own time unit `unit`.
pub fn horizon_in_model_units(value: f64, unit: &str) -> HorizonMeta {
    HorizonMeta {
        value,
        unit: unit.to_string(),
        in_model_units: value,
        model_unit: unit.to_string(),
    }
}

impl ClvArgs {
    /// The sidecar of `command`'s output: these flags (horizon as given and in the bundle's
    /// unit, annual discount rate, margin), the bundle's model and file, the columns.
    pub fn meta(
        &self,
        command: &str,
        bundle: &Bundle,
        model_file: &Path,
        settings: &ClvSettings,
        units: &OutputUnits,
        columns: &[ColumnSpec],
    ) -> OutputMeta {
        let model = Some((bundle.transaction_model.model.as_str(), model_file));
        let mut meta = table_meta(command, units, columns, model);
        meta.horizon = Some(HorizonMeta {
            value: self.horizon,
            unit: self.unit.unwrap_or(units.time).name().to_string(),
            in_model_units: settings.horizon(),
            model_unit: units.time.name().to_string(),
        });
        meta.annual_discount_rate = Some(self.discount_rate);
        meta.margin = Some(self.margin);
        meta
    }
}

/// What every sidecar of a scoring (`score`, `at-risk`) records of the churn side: the window,
/// where churn probabilities came from, the at-risk rule, and the customers scored.
pub fn record_churn_settings(meta: &mut OutputMeta, churn_window: f64, totals: &ScoreSummary) {
    meta.settings
        .insert("churn_window".into(), churn_window.into());
    meta.settings
        .insert("churn_source".into(), totals.churn_source.clone().into());
    meta.settings
        .insert("at_risk_rule".into(), totals.at_risk_rule.clone().into());
    meta.totals
        .insert("customers".into(), totals.customers as f64);
}
