//! The sidecar of an output file, `OUTPUT.meta.json`: the assumptions its numbers rest on
//! (horizon, annual discount rate, margin, currency, model), its columns with their units, and
//! the command and version that wrote it. A CSV cannot carry these itself; without them a CLV
//! figure cannot be read correctly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::units::{ColumnKind, ColumnSpec, OutputUnits};
use crate::error::Result;

/// A horizon as given and in the model's unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonMeta {
    pub value: f64,
    pub unit: String,
    /// The horizon converted to the model's time unit.
    pub in_model_units: f64,
    pub model_unit: String,
}

/// The model that made the numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// The transaction model (`pnbd`, `bgnbd` ...).
    pub name: String,
    /// The bundle file, as given.
    pub file: String,
}

/// A column and its unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMeta {
    pub name: String,
    pub unit: String,
}

/// How the intervals were made, or why there are none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalMeta {
    /// Central coverage (0.9 for 90%).
    pub level: f64,
    pub method: String,
    pub draws: usize,
    pub seed: u64,
    /// False when the model has no covariance to draw from; `reason` says why.
    pub available: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The sidecar's contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputMeta {
    /// The subcommand, e.g. `clv score`.
    pub command: String,
    /// The arguments the command was run with (after the program's name), as given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command_line: Vec<String>,
    pub version: String,
    /// The currency of the money columns; absent when the table has none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelMeta>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon: Option<HorizonMeta>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_discount_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
    /// Anything else the numbers depend on (`target_ltv_cac`, `churn_window` ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, serde_json::Value>,
    pub columns: Vec<ColumnMeta>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intervals: Option<IntervalMeta>,
    /// Totals over the rows (money in `currency`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub totals: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl OutputMeta {
    /// A sidecar of `command` (version `version`) for a table of `columns` in `units`, with
    /// the currency when a column is money; the assumptions are filled in by the caller.
    pub fn new(command: &str, version: &str, units: &OutputUnits, columns: &[ColumnSpec]) -> Self {
        let money = columns.iter().any(|c| c.kind == ColumnKind::Money);
        OutputMeta {
            command: command.to_string(),
            command_line: Vec::new(),
            version: version.to_string(),
            currency: if money {
                units.currency.code().to_string()
            } else {
                String::new()
            },
            model: None,
            horizon: None,
            annual_discount_rate: None,
            margin: None,
            settings: BTreeMap::new(),
            columns: columns
                .iter()
                .map(|c| ColumnMeta {
                    name: c.name.clone(),
                    unit: c.unit(units),
                })
                .collect(),
            intervals: None,
            totals: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }
}

/// The sidecar of `output`: `scores.csv` → `scores.csv.meta.json`.
pub fn meta_path(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".meta.json");
    PathBuf::from(name)
}

/// Writes the sidecar of `output` atomically (temporary file in its folder, then rename).
pub fn write_meta(output: &Path, meta: &OutputMeta) -> Result<()> {
    crate::persist::save_json(&meta_path(output), meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::TimeUnit;
    use crate::io::units::Currency;

    #[test]
    fn the_sidecar_sits_beside_its_output_and_names_column_units() {
        assert_eq!(
            meta_path(Path::new("out/scores.csv")),
            PathBuf::from("out/scores.csv.meta.json")
        );
        let units = OutputUnits {
            time: TimeUnit::Day,
            currency: "eur".parse::<Currency>().unwrap(),
        };
        let columns = [ColumnSpec {
            name: "clv_eur".into(),
            kind: ColumnKind::Money,
        }];
        let meta = OutputMeta::new("clv score", "0.1.0", &units, &columns);
        assert_eq!(meta.currency, "EUR");
        assert_eq!(meta.columns[0].unit, "EUR");
        // A table without money states no currency.
        let counts = [ColumnSpec {
            name: "actual".into(),
            kind: ColumnKind::Count,
        }];
        let meta = OutputMeta::new("clv track", "0.1.0", &units, &counts);
        assert_eq!(
            (meta.currency.as_str(), meta.columns[0].unit.as_str()),
            ("", "count")
        );
        let json = serde_json::to_value(&meta).unwrap();
        assert!(json.get("currency").is_none(), "{json}");
    }
}
