//! Time-invariant covariates for BG/NBD and Pareto/NBD (Fader & Hardie 2007, "Incorporating
//! time-invariant covariates into the Pareto/NBD and BG/NBD models").
//!
//! Customer i's purchase scale and dropout scale vary as α_i = α·exp(−γ_p'z_i) and
//! s_i = s·exp(−γ_d'z_i), where s is β for Pareto/NBD and b for BG/NBD. A positive purchase
//! coefficient therefore raises the purchase rate, a positive dropout coefficient raises the
//! dropout rate. With no covariates the model is exactly the plain one. The likelihood is the
//! base model's per-customer likelihood at the customer's own scales, so its gradient follows
//! from the base gradient by the chain rule: ∂ℓ_i/∂γ_pj = ∂ℓ_i/∂α_i · α_i · (−z_ij).

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::bgnbd::BgNbd;
use super::data::RfmData;
use super::pnbd::ParetoNbd;
use super::{FitOptions, FitReport, Model, TransactionModel};
use crate::error::{ClvError, Result};
use crate::optim::{Problem, maximise};

/// A four-parameter transaction model whose per-customer log-likelihood and gradient are
/// available, with one purchase-scale and one dropout-scale parameter.
pub trait ScaleCovariates: Model<Data = RfmData> + TransactionModel {
    /// Index of the purchase scale (α) in [`Model::params`].
    const PURCHASE_SCALE: usize;
    /// Index of the dropout scale (β or b) in [`Model::params`].
    const DROPOUT_SCALE: usize;
    /// One customer's log-likelihood and its gradient with respect to the natural parameters:
    /// the model's own likelihood on a one-customer data set.
    fn customer_log_likelihood(&self, x: f64, t_x: f64, t: f64) -> (f64, Vec<f64>)
    where
        Self: Model<Data = RfmData>,
    {
        let one = RfmData::single(x, t_x, t);
        self.log_likelihood_and_gradient(&one)
    }
}

impl ScaleCovariates for BgNbd {
    const PURCHASE_SCALE: usize = 1;
    const DROPOUT_SCALE: usize = 3;
}

impl ScaleCovariates for ParetoNbd {
    const PURCHASE_SCALE: usize = 1;
    const DROPOUT_SCALE: usize = 3;
}

/// Customers with their covariate vectors, identical rows merged into weights.
#[derive(Debug, Clone, PartialEq)]
pub struct CovariateData {
    pub names: Vec<String>,
    pub x: Vec<f64>,
    pub t_x: Vec<f64>,
    pub t: Vec<f64>,
    /// Covariates, one row per pattern.
    pub z: Vec<Vec<f64>>,
    pub weights: Vec<f64>,
}

impl CovariateData {
    pub fn new(
        names: Vec<String>,
        x: &[f64],
        t_x: &[f64],
        t: &[f64],
        z: &[Vec<f64>],
    ) -> Result<Self> {
        let n = x.len();
        if t_x.len() != n || t.len() != n || z.len() != n {
            return Err(ClvError::InvalidParameter(
                "x, t_x, T and covariates must have the same length".into(),
            ));
        }
        let k = names.len();
        let mut index: HashMap<Vec<u64>, usize> = HashMap::new();
        let mut out = CovariateData {
            names,
            x: vec![],
            t_x: vec![],
            t: vec![],
            z: vec![],
            weights: vec![],
        };
        for i in 0..n {
            if z[i].len() != k || z[i].iter().any(|v| !v.is_finite()) {
                return Err(ClvError::InvalidParameter(format!(
                    "customer {}: expected {k} finite covariate values, got {:?}",
                    i + 1,
                    z[i]
                )));
            }
            if !(x[i].is_finite() && t_x[i].is_finite() && t[i].is_finite())
                || x[i] < 0.0
                || t_x[i] < 0.0
                || t_x[i] > t[i] + 1e-9
            {
                return Err(ClvError::InvalidParameter(format!(
                    "customer {}: need x >= 0 and 0 <= t_x <= T (x={}, t_x={}, T={})",
                    i + 1,
                    x[i],
                    t_x[i],
                    t[i]
                )));
            }
            let mut key = vec![x[i].to_bits(), t_x[i].to_bits(), t[i].to_bits()];
            key.extend(z[i].iter().map(|v| v.to_bits()));
            if let Some(&j) = index.get(&key) {
                out.weights[j] += 1.0;
            } else {
                index.insert(key, out.x.len());
                out.x.push(x[i]);
                out.t_x.push(t_x[i]);
                out.t.push(t[i]);
                out.z.push(z[i].clone());
                out.weights.push(1.0);
            }
        }
        if out.x.is_empty() {
            return Err(ClvError::InvalidParameter("no customers to fit on".into()));
        }
        Ok(out)
    }
}

/// A fitted covariate model: the base parameters and one coefficient per covariate for the
/// purchase scale and for the dropout scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovariateModel {
    pub base: Vec<f64>,
    pub names: Vec<String>,
    pub purchase: Vec<f64>,
    pub dropout: Vec<f64>,
}

impl CovariateModel {
    /// The base model of a customer with covariates `z`.
    pub fn individual<M: ScaleCovariates>(&self, z: &[f64]) -> Result<M> {
        if z.len() != self.names.len() {
            return Err(ClvError::InvalidParameter(format!(
                "expected {} covariates ({}), got {}",
                self.names.len(),
                self.names.join(", "),
                z.len()
            )));
        }
        M::from_params(&individual_params::<M>(
            &self.base,
            &self.purchase,
            &self.dropout,
            z,
        ))
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn individual_params<M: ScaleCovariates>(
    base: &[f64],
    gp: &[f64],
    gd: &[f64],
    z: &[f64],
) -> Vec<f64> {
    let mut p = base.to_vec();
    p[M::PURCHASE_SCALE] *= (-dot(gp, z)).exp();
    p[M::DROPOUT_SCALE] *= (-dot(gd, z)).exp();
    p
}

/// Log-likelihood and gradient of the covariate model at the stacked parameter vector
/// [base (4), purchase coefficients (k), dropout coefficients (k)].
fn log_likelihood<M: ScaleCovariates>(
    theta: &[f64],
    data: &CovariateData,
) -> Option<(f64, Vec<f64>)> {
    let k = data.names.len();
    let nb = M::PARAM_NAMES.len();
    let (base, rest) = theta.split_at(nb);
    let (gp, gd) = rest.split_at(k);
    let dim = theta.len();
    let one = |i: usize| -> Option<(f64, Vec<f64>)> {
        let z = &data.z[i];
        let p = individual_params::<M>(base, gp, gd, z);
        let m = M::from_params(&p).ok()?;
        let (ll, g) = m.customer_log_likelihood(data.x[i], data.t_x[i], data.t[i]);
        let w = data.weights[i];
        let mut out = vec![0.0; dim];
        for j in 0..nb {
            // ∂p_i/∂base_j = p_i/base_j for the scales, 1 otherwise.
            out[j] = w * g[j] * p[j] / base[j];
        }
        let (ps, ds) = (M::PURCHASE_SCALE, M::DROPOUT_SCALE);
        for j in 0..k {
            out[nb + j] = -w * g[ps] * p[ps] * z[j];
            out[nb + k + j] = -w * g[ds] * p[ds] * z[j];
        }
        Some((w * ll, out))
    };
    let add = |mut a: (f64, Vec<f64>), b: (f64, Vec<f64>)| {
        a.0 += b.0;
        a.1.iter_mut().zip(&b.1).for_each(|(x, y)| *x += y);
        a
    };
    // Fixed blocks added in block order: the same sum on every run and thread count.
    const BLOCK: usize = 2_048;
    let n = data.x.len();
    let blocks: Vec<(f64, Vec<f64>)> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            (b * BLOCK..((b + 1) * BLOCK).min(n))
                .try_fold((0.0, vec![0.0; dim]), |acc, i| Some(add(acc, one(i)?)))
        })
        .collect::<Option<_>>()?;
    let fold = blocks.into_iter().fold((0.0, vec![0.0; dim]), add);
    fold.0.is_finite().then_some(fold)
}

/// Fits the covariate model by maximum likelihood, starting from the plain model's fit.
pub fn fit_with_covariates<M: ScaleCovariates>(
    data: &CovariateData,
    plain: &M,
    options: &FitOptions,
) -> Result<(CovariateModel, FitReport)> {
    let k = data.names.len();
    let nb = M::PARAM_NAMES.len();
    let mut names: Vec<String> = M::PARAM_NAMES.iter().map(|s| s.to_string()).collect();
    names.extend(data.names.iter().map(|n| format!("purchase:{n}")));
    names.extend(data.names.iter().map(|n| format!("dropout:{n}")));
    let mut positive = vec![true; nb];
    positive.extend(vec![false; 2 * k]);
    let mut start = plain.params();
    start.extend(vec![0.0; 2 * k]);
    let ll = |theta: &[f64]| log_likelihood::<M>(theta, data);
    let problem = Problem {
        model: format!("{} with covariates", M::NAME),
        names,
        positive,
        starts: vec![start],
        log_likelihood: &ll,
        stop_on_flat_boundary: false,
        coarse: None,
    };
    let report = maximise(&problem, options)?;
    let est = &report.estimates;
    let model = CovariateModel {
        base: est[..nb].to_vec(),
        names: data.names.clone(),
        purchase: est[nb..nb + k].to_vec(),
        dropout: est[nb + k..].to_vec(),
    };
    Ok((model, report))
}
