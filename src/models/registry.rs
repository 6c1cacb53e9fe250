//! The one list of models. Every model kind is named once, in [`registry!`] below; the kind
//! enum, the enum of fitted models, fitting by kind, rebuilding a model from a file, the
//! family-level views (transaction, spend, retention, discrete) and therefore the CLI's
//! `--model` values, training's candidates and simulation all derive from that list.
//!
//! Adding a model means writing its file (a type implementing [`Model`] and its family's
//! prediction trait) and adding one line here.

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use super::bgbb::BgBb;
use super::bgnbd::BgNbd;
use super::data::{BgBbData, RepeatSpendData, RfmData, SurvivorData};
use super::gamma_gamma::GammaGamma;
use super::ggomnbd::GgomNbd;
use super::mbgnbd::MbgNbd;
use super::pnbd::ParetoNbd;
use super::saved::SavedModel;
use super::sbg::ShiftedBetaGeometric;
use super::{DiscreteTransactionModel, Model, RetentionModel, SpendModel, TransactionModel};
use super::{FitOptions, FitReport};
use crate::error::{ClvError, Result};
use crate::persist::fingerprint;

/// What a model describes, and so which data it is fitted on and which predictions it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Continuous-time purchases and dropout, fitted on (x, t_x, T): [`TransactionModel`].
    Transaction,
    /// Purchase opportunities in discrete periods, fitted on (x, t_x, n).
    Discrete,
    /// Order values of repeat buyers, fitted on (x, mean spend).
    Spend,
    /// Contract renewals of a cohort, fitted on survivor counts.
    Retention,
}

/// The data a model is fitted on, one variant per [`Family`].
#[derive(Debug, Clone, Copy)]
pub enum FitData<'a> {
    Transaction(&'a RfmData),
    Discrete(&'a BgBbData),
    Spend(&'a RepeatSpendData),
    Retention(&'a SurvivorData),
}

impl FitData<'_> {
    pub fn family(&self) -> Family {
        match self {
            FitData::Transaction(_) => Family::Transaction,
            FitData::Discrete(_) => Family::Discrete,
            FitData::Spend(_) => Family::Spend,
            FitData::Retention(_) => Family::Retention,
        }
    }

    /// Customers (or cohort size) behind the data.
    pub fn customers(&self) -> f64 {
        match self {
            FitData::Transaction(d) => d.customers(),
            FitData::Discrete(d) => d.weights.iter().sum(),
            FitData::Spend(d) => d.weights.iter().sum(),
            FitData::Retention(d) => d.survivors[0],
        }
    }

    /// Distinct patterns after compression (periods for survivor counts).
    pub fn patterns(&self) -> usize {
        match self {
            FitData::Transaction(d) => d.patterns(),
            FitData::Discrete(d) => d.merged().x.len(),
            FitData::Spend(d) => d.x.len(),
            FitData::Retention(d) => d.survivors.len(),
        }
    }

    /// The fingerprint recorded in model files: of exactly the numbers fitted on.
    pub fn fingerprint(&self) -> String {
        match self {
            FitData::Transaction(d) => fingerprint([d.x.as_slice(), &d.t_x, &d.t, &d.weights]),
            FitData::Discrete(d) => fingerprint([d.x.as_slice(), &d.t_x, &d.n, &d.weights]),
            FitData::Spend(d) => fingerprint([d.x.as_slice(), &d.mean_spend, &d.weights]),
            FitData::Retention(d) => fingerprint([d.survivors.as_slice()]),
        }
    }
}

/// A fitted model of any kind with its file.
#[derive(Debug, Clone)]
pub struct FittedModel {
    pub model: AnyModel,
    pub saved: SavedModel,
}

/// Fits a model of kind `kind` on `data` and packs it, with the fit's wall time and the data's
/// size and fingerprint, as a model file in time unit `unit`.
pub fn fit(
    kind: ModelKind,
    data: FitData<'_>,
    options: &FitOptions,
    unit: &str,
) -> Result<FittedModel> {
    let start = Instant::now();
    let (model, report) = fit_kind(kind, data, options)?;
    let saved = SavedModel::new(
        &report,
        data.customers(),
        data.patterns(),
        unit,
        data.fingerprint(),
        start.elapsed().as_secs_f64(),
    );
    Ok(FittedModel { model, saved })
}

/// The error of a kind given another family's data; `done` is what could not be done to it.
fn family_mismatch(kind: ModelKind, data: FitData<'_>, done: &str) -> ClvError {
    ClvError::InvalidParameter(format!(
        "{} is a {:?} model and cannot be {done} on {:?} data",
        kind.name(),
        kind.family(),
        data.family()
    ))
}

/// Emits the registry: `Kind => Type, Family, "label", "description";` per model.
macro_rules! registry {
    ($($kind:ident => $ty:ty, $family:ident, $label:literal, $about:literal;)*) => {
        /// Every model `clv` knows, by kind.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ModelKind {
            $(#[doc = $about] $kind,)*
        }

        impl ModelKind {
            /// Every kind, in the registry's order.
            pub const ALL: &'static [ModelKind] = &[$(ModelKind::$kind,)*];

            /// The short name used on the CLI and in model files (`bgnbd`, `pnbd`, ...).
            pub fn name(self) -> &'static str {
                match self {
                    $(ModelKind::$kind => <$ty as Model>::NAME,)*
                }
            }

            /// The model's name as the literature writes it (`BG/NBD`).
            pub fn label(self) -> &'static str {
                match self {
                    $(ModelKind::$kind => $label,)*
                }
            }

            /// The model and its source, in a few words.
            pub fn about(self) -> &'static str {
                match self {
                    $(ModelKind::$kind => $about,)*
                }
            }

            pub fn family(self) -> Family {
                match self {
                    $(ModelKind::$kind => Family::$family,)*
                }
            }

            /// The literature's parameter names, in the order of the model's parameters.
            pub fn param_names(self) -> &'static [&'static str] {
                match self {
                    $(ModelKind::$kind => <$ty as Model>::PARAM_NAMES,)*
                }
            }
        }

        /// A model of any kind.
        #[derive(Debug, Clone)]
        pub enum AnyModel {
            $($kind($ty),)*
        }

        // A family's view leaves the other kinds' models unused.
        #[allow(unused_variables)]
        impl AnyModel {
            /// Builds a model of `kind` from natural parameters, validating them.
            pub fn from_params(kind: ModelKind, params: &[f64]) -> Result<Self> {
                Ok(match kind {
                    $(ModelKind::$kind => AnyModel::$kind(<$ty as Model>::from_params(params)?),)*
                })
            }

            pub fn kind(&self) -> ModelKind {
                match self {
                    $(AnyModel::$kind(_) => ModelKind::$kind,)*
                }
            }

            /// The natural parameters, in the order of [`ModelKind::param_names`].
            pub fn params(&self) -> Vec<f64> {
                match self {
                    $(AnyModel::$kind(m) => m.params(),)*
                }
            }

            /// The continuous-time transaction model, for the kinds that are one.
            pub fn as_transaction_model(&self) -> Option<&dyn TransactionModel> {
                match self {
                    $(AnyModel::$kind(m) => registry!(@view Transaction $family m as &dyn TransactionModel),)*
                }
            }

            /// The same, owned.
            pub fn into_transaction_model(self) -> Option<Box<dyn TransactionModel>> {
                match self {
                    $(AnyModel::$kind(m) => registry!(@view Transaction $family Box::new(m) as Box<dyn TransactionModel>),)*
                }
            }

            /// The spend model, for the kinds that are one.
            pub fn as_spend_model(&self) -> Option<&dyn SpendModel> {
                match self {
                    $(AnyModel::$kind(m) => registry!(@view Spend $family m as &dyn SpendModel),)*
                }
            }

            /// The retention model, for the kinds that are one.
            pub fn as_retention_model(&self) -> Option<&dyn RetentionModel> {
                match self {
                    $(AnyModel::$kind(m) => registry!(@view Retention $family m as &dyn RetentionModel),)*
                }
            }

            /// The discrete-time transaction model, for the kinds that are one.
            pub fn as_discrete_model(&self) -> Option<&dyn DiscreteTransactionModel> {
                match self {
                    $(AnyModel::$kind(m) => registry!(@view Discrete $family m as &dyn DiscreteTransactionModel),)*
                }
            }
        }

        /// The log-likelihood of `data` under a model of `kind` with natural parameters
        /// `params` (validated as [`AnyModel::from_params`] does): [`Model::log_likelihood`]
        /// without a fit. Errors when `data` is not of the kind's family, and when the value is
        /// not a number (data the likelihood is not defined on).
        pub fn log_likelihood_at(kind: ModelKind, params: &[f64], data: FitData<'_>) -> Result<f64> {
            let ll = match (kind, data) {
                $((ModelKind::$kind, FitData::$family(d)) => {
                    <$ty as Model>::from_params(params)?.log_likelihood(d)
                })*
                (kind, data) => return Err(family_mismatch(kind, data, "evaluated")),
            };
            if ll.is_nan() {
                return Err(ClvError::numerical(
                    "the log-likelihood",
                    format!("{kind} at parameters {params:?}"),
                ));
            }
            Ok(ll)
        }

        fn fit_kind(
            kind: ModelKind,
            data: FitData<'_>,
            options: &FitOptions,
        ) -> Result<(AnyModel, FitReport)> {
            match (kind, data) {
                $((ModelKind::$kind, FitData::$family(d)) => {
                    let fitted = <$ty as Model>::fit(d, options)?;
                    Ok((AnyModel::$kind(fitted.model), fitted.report))
                })*
                (kind, data) => Err(family_mismatch(kind, data, "fitted")),
            }
        }
    };
    // A model's view as its family's trait: `Some` when the family is the one wanted.
    (@view Transaction Transaction $e:expr) => { Some($e) };
    (@view Spend Spend $e:expr) => { Some($e) };
    (@view Retention Retention $e:expr) => { Some($e) };
    (@view Discrete Discrete $e:expr) => { Some($e) };
    (@view $want:ident $family:ident $e:expr) => { None };
}

// The registry: kind => type, family, label, description.
#[rustfmt::skip]
registry! {
    // Continuous-time purchases and dropout ("buy till you die").
    BgNbd => BgNbd, Transaction, "BG/NBD", "BG/NBD (Fader, Hardie & Lee 2005)";
    ParetoNbd => ParetoNbd, Transaction, "Pareto/NBD", "Pareto/NBD (Schmittlein, Morrison & Colombo 1987)";
    MbgNbd => MbgNbd, Transaction, "MBG/NBD", "MBG/NBD (Batislam, Denizel & Filiztekin 2007)";
    GgomNbd => GgomNbd, Transaction, "GGom/NBD", "Gamma-Gompertz/NBD (Bemmaor & Glady 2012)";
    // Discrete opportunities, order values, contract renewals.
    BgBb => BgBb, Discrete, "BG/BB", "BG/BB for discrete purchase opportunities (Fader, Hardie & Shang 2010)";
    GammaGamma => GammaGamma, Spend, "Gamma-Gamma", "Gamma-Gamma spend model (Fader, Hardie & Lee 2005)";
    Sbg => ShiftedBetaGeometric, Retention, "sBG", "Shifted-beta-geometric retention for subscriptions (Fader & Hardie 2007)";
}

impl ModelKind {
    /// The kinds of one family, in the registry's order.
    pub fn of_family(family: Family) -> impl Iterator<Item = ModelKind> {
        ModelKind::ALL
            .iter()
            .copied()
            .filter(move |k| k.family() == family)
    }

    /// Every name, for error messages and CLI value lists.
    pub fn names() -> Vec<&'static str> {
        ModelKind::ALL.iter().map(|k| k.name()).collect()
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = ClvError;

    fn from_str(s: &str) -> Result<Self> {
        ModelKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                ClvError::InvalidParameter(format!(
                    "unknown model kind '{s}' (known: {})",
                    ModelKind::names().join(", ")
                ))
            })
    }
}

impl AnyModel {
    /// The transaction model, or an error naming the kind that is not one.
    pub fn transaction_model(&self) -> Result<&dyn TransactionModel> {
        self.as_transaction_model().ok_or_else(|| {
            ClvError::InvalidParameter(format!(
                "'{}' is not a transaction model",
                self.kind().name()
            ))
        })
    }

    /// The Gamma-Gamma spend model, or an error naming the kind that is not one.
    pub fn spend_model(&self) -> Result<&GammaGamma> {
        match self {
            AnyModel::GammaGamma(g) => Ok(g),
            other => Err(ClvError::InvalidParameter(format!(
                "'{}' is not a gamma-gamma model",
                other.kind().name()
            ))),
        }
    }
}

/// Model files back to models: here rather than in `saved.rs`, so that the file format knows
/// nothing of the models.
impl SavedModel {
    /// The model's kind, from its name.
    pub fn kind(&self) -> Result<ModelKind> {
        self.model.parse()
    }

    /// The model this file describes.
    pub fn to_model(&self) -> Result<AnyModel> {
        let kind = self.kind()?;
        let params = kind
            .param_names()
            .iter()
            .map(|name| {
                self.params.get(*name).copied().ok_or_else(|| {
                    ClvError::InvalidParameter(format!(
                        "{} model without parameter '{name}'",
                        self.model
                    ))
                })
            })
            .collect::<Result<Vec<f64>>>()?;
        AnyModel::from_params(kind, &params)
    }

    /// The model exactly as a reader of the saved JSON rebuilds it (the JSON float parser need
    /// not return the very bits that were written), so that scoring right after training
    /// agrees with scoring after a reload.
    pub fn reloaded_model(&self) -> Result<AnyModel> {
        let back: SavedModel = serde_json::from_str(&serde_json::to_string(self)?)?;
        back.to_model()
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
