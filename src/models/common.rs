//! Helpers the model files share: parameter checks, the scale of the data for starting points
//! and the flagging of fits whose maximum lies on the boundary.

use super::Fitted;
use super::data::RfmData;
use crate::error::{ClvError, Result};

/// Errors unless every named value is finite and > 0.
pub(crate) fn check_positive(values: &[(&str, f64)]) -> Result<()> {
    for (name, v) in values {
        if !(v.is_finite() && *v > 0.0) {
            return Err(ClvError::InvalidParameter(format!(
                "{name} must be finite and > 0, got {v}"
            )));
        }
    }
    Ok(())
}

/// Checks that `params` has `N` finite positive values.
pub(crate) fn positive_params<const N: usize>(model: &str, params: &[f64]) -> Result<[f64; N]> {
    let p: [f64; N] = params.try_into().map_err(|_| {
        ClvError::InvalidParameter(format!(
            "{model}: expected {N} parameters, got {}",
            params.len()
        ))
    })?;
    if let Some(v) = p.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(ClvError::InvalidParameter(format!(
            "{model}: parameters must be finite and > 0, got {v}"
        )));
    }
    Ok(p)
}

/// Weighted mean number of repeat purchases and mean age, for scale-aware starting points.
pub(crate) fn data_scale(data: &RfmData) -> (f64, f64) {
    let w: f64 = data.weights.iter().sum();
    let mx = data
        .x
        .iter()
        .zip(&data.weights)
        .map(|(x, w)| x * w)
        .sum::<f64>()
        / w;
    let mt = data
        .t
        .iter()
        .zip(&data.weights)
        .map(|(t, w)| t * w)
        .sum::<f64>()
        / w;
    (mx.max(1e-3), mt.max(1e-3))
}

/// Marks a fit whose data put the maximum on the boundary of the parameter space: the named
/// parameters are listed as at the boundary, a warning says why, and the fit is not reported
/// as converged (the estimates are not identified; predictions remain usable).
pub(crate) fn flag_boundary<M>(fitted: &mut Fitted<M>, params: &[&str], why: &str) {
    let report = &mut fitted.report;
    for p in params {
        if !report.at_boundary.iter().any(|b| b == p) {
            report.at_boundary.push((*p).to_string());
        }
    }
    report.converged = false;
    report.warnings.push(format!(
        "the maximum lies on the boundary: {why}; {} are not identified (estimates {}), \
         predictions remain usable",
        params.join(", "),
        report
            .param_names
            .iter()
            .zip(&report.estimates)
            .map(|(n, v)| format!("{n}={v:.3e}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
}
