//! Parameter-uncertainty intervals of new customers' CLV (`clv score-new --intervals`) and the
//! conservative maximum acquisition cost from their lower end.
//!
//! The repeat purchases of a new customer come from the transaction model (or, with
//! covariates, the covariate model at the prospect's attributes); its parameters are drawn
//! from the fit's covariance as in [`super::intervals`]: positive parameters on the log scale,
//! regression coefficients as they are. The first order and the expected order value of the
//! prospect's group are kept at their estimates (their uncertainty is not in the interval).

use rayon::prelude::*;

use super::bundle::Bundle;
use super::clv::{ClvSettings, new_customer_clv};
use super::intervals::{Interval, IntervalSettings, draw_factor, drawn_params, parameter_draws};
use super::prospects::{ProspectScore, Prospects};
use crate::error::{ClvError, Result};
use crate::models::TransactionModel;
use crate::models::bgnbd::BgNbd;
use crate::models::covariates::CovariateModel;
use crate::models::pnbd::ParetoNbd;

/// Adds to every prospect's score its CLV interval and the maximum CAC from the interval's
/// lower end. Returns why there are none when the fit has no usable covariance (the scores
/// are then left without intervals).
pub fn attach_prospect_intervals(
    bundle: &Bundle,
    prospects: &Prospects,
    scores: &mut [ProspectScore],
    clv: &ClvSettings,
    target_ltv_cac: f64,
    settings: &IntervalSettings,
) -> Result<Option<String>> {
    settings.validate()?;
    // Per draw and prospect: the discounted repeat purchases per unit of order value.
    let per_spend: Vec<Vec<f64>> = match &bundle.covariates {
        None => {
            if let Some(why) = super::intervals::no_interval_reason(&bundle.transaction_model) {
                return Ok(Some(why));
            }
            let models = parameter_draws(&bundle.transaction_model, settings.draws, settings.seed)?;
            models
                .par_iter()
                .map(|m| {
                    let v = new_customer_clv(m.transaction_model()?, 1.0, clv);
                    Ok(vec![v; scores.len()])
                })
                .collect::<Result<_>>()?
        }
        Some(cov) => {
            let (names, k) = (&cov.model.names, cov.fit.estimates.len());
            let Some(base) = k.checked_sub(2 * names.len()) else {
                return Ok(Some(
                    "the covariate fit's parameters do not match its model".into(),
                ));
            };
            let l = match draw_factor(&cov.fit, base) {
                Ok(l) => l,
                Err(why) => return Ok(Some(why)),
            };
            let z: Vec<Vec<f64>> = (0..scores.len())
                .map(|i| {
                    let row = &prospects.rows[i];
                    let value_of = |name: &str| {
                        let j = prospects.columns.iter().position(|c| c == name)?;
                        row.get(j).cloned()
                    };
                    cov.encoding.encode(value_of)
                })
                .collect::<Result<_>>()?;
            let pnbd = cov.base_model == <ParetoNbd as crate::models::Model>::NAME;
            (0..settings.draws)
                .into_par_iter()
                .map(|d| {
                    let p = drawn_params(&cov.fit, base, &l, settings.seed, d);
                    let n = names.len();
                    let model = CovariateModel {
                        base: p[..base].to_vec(),
                        names: names.clone(),
                        purchase: p[base..base + n].to_vec(),
                        dropout: p[base + n..].to_vec(),
                    };
                    z.iter()
                        .map(|z| {
                            let m: Box<dyn TransactionModel> = if pnbd {
                                Box::new(model.individual::<ParetoNbd>(z)?)
                            } else {
                                Box::new(model.individual::<BgNbd>(z)?)
                            };
                            Ok(new_customer_clv(m.as_ref(), 1.0, clv))
                        })
                        .collect::<Result<Vec<f64>>>()
                })
                .collect::<Result<_>>()?
        }
    };
    for (i, s) in scores.iter_mut().enumerate() {
        let mut values: Vec<f64> = per_spend
            .iter()
            .map(|draw| s.first_order_value * clv.margin + draw[i] * s.expected_order_value)
            .collect();
        if let Some(bad) = values.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(ClvError::numerical(
                "the new-customer CLV of a parameter draw",
                format!("prospect row {} ({bad})", i + 1),
            ));
        }
        let interval = Interval::of(&mut values, settings.level);
        s.clv_interval = Some(interval);
        s.max_cac_conservative = Some(interval.lower / target_ltv_cac);
    }
    Ok(None)
}
