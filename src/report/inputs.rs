//! The summaries a report needs: the whole history (scores, segments, channels, cohorts,
//! tracking) and, when the bundle was trained with a calibration end inside the data, the
//! calibration / holdout split (calibration vs holdout, churn evaluation). The caller supplies
//! the data source as a function that summarizes it with the given options, so a file, a
//! table in memory or a cluster job can back it.

use chrono::NaiveDate;

use crate::error::{ClvError, Result};
use crate::features::{Summary, SummaryOptions};
use crate::predict::Bundle;

/// The report's summaries, and why a split is missing when it is.
#[derive(Debug, Clone)]
pub struct ReportSummaries {
    pub history: Summary,
    pub calibration: Option<Summary>,
    pub warnings: Vec<String>,
}

/// Summarizes the data twice as the report needs it, in the bundle's time unit.
pub fn report_summaries<E: From<ClvError>>(
    bundle: &Bundle,
    mut summarize: impl FnMut(SummaryOptions) -> std::result::Result<Summary, E>,
) -> std::result::Result<ReportSummaries, E> {
    let calibration_end = calibration_end(bundle)?;
    let whole = SummaryOptions {
        unit: bundle.unit()?,
        keep_purchase_times: true,
        ..Default::default()
    };
    let history = summarize(whole.clone())?;
    let mut warnings = Vec::new();
    let calibration = match calibration_end {
        Some(end) if end < history.observation_end => Some(summarize(SummaryOptions {
            calibration_end: Some(end),
            ..whole
        })?),
        Some(end) => {
            warnings.push(format!(
                "the data end on {} but the bundle's calibration ends on {end}: no holdout \
                 sections",
                history.observation_end
            ));
            None
        }
        None => None,
    };
    Ok(ReportSummaries {
        history,
        calibration,
        warnings,
    })
}

/// The calibration end the bundle was trained with, if any.
fn calibration_end(bundle: &Bundle) -> Result<Option<NaiveDate>> {
    bundle
        .training
        .calibration_end
        .as_deref()
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|e| {
                ClvError::InvalidParameter(format!(
                    "the bundle's calibration end '{d}' is not a date ({e})"
                ))
            })
        })
        .transpose()
}
