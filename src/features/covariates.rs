//! Covariates from extra columns: per-customer attribute strings (acquisition channel,
//! campaign, region, a numeric score …) to numeric vectors the covariate models use.
//!
//! A column most of whose values parse as numbers is numeric and enters centred on its training
//! mean (so the base parameters describe an average customer); then every value must be a
//! finite number: a `NaN`, an empty cell or a typo is an error naming the column, row and
//! value, never a silent switch to categorical. Any other column is categorical and enters as
//! one indicator per level, the most common level being the baseline. A column with a single
//! value carries no information and is dropped with a warning; a categorical column with too
//! many levels keeps the most common ones and pools the rest with the baseline, with a warning.
//! At scoring, a level not seen in training (a new channel, `Paid` for `paid`) is an error
//! naming the column and level: it is never scored as the baseline without a word.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ClvError, Result};

/// Most levels a categorical column keeps (besides the baseline).
const MAX_LEVELS: usize = 20;

/// How one column is encoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ColumnEncoding {
    Numeric {
        name: String,
        mean: f64,
    },
    Categorical {
        name: String,
        baseline: String,
        levels: Vec<String>,
        /// Training levels beyond the kept ones, pooled with the baseline.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pooled: Vec<String>,
    },
}

impl ColumnEncoding {
    pub fn name(&self) -> &str {
        match self {
            ColumnEncoding::Numeric { name, .. } | ColumnEncoding::Categorical { name, .. } => name,
        }
    }
}

/// The encoding learnt from training data.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CovariateEncoding {
    pub columns: Vec<ColumnEncoding>,
}

impl CovariateEncoding {
    /// Learns the encoding of `names` from per-customer values (`values[i][j]` = customer i,
    /// column j; `row_name(i)` names customer i in errors). Returns the encoding and warnings
    /// about dropped or truncated columns.
    pub fn fit(
        names: &[String],
        values: &[Vec<String>],
        row_name: &dyn Fn(usize) -> String,
    ) -> Result<(Self, Vec<String>)> {
        let mut columns = Vec::new();
        let mut warnings = Vec::new();
        for (j, name) in names.iter().enumerate() {
            let col: Vec<&str> = values
                .iter()
                .map(|row| row.get(j).map(|s| s.trim()).unwrap_or(""))
                .collect();
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for v in &col {
                *counts.entry(v).or_default() += 1;
            }
            if counts.len() < 2 {
                warnings.push(format!(
                    "covariate '{name}' has a single value and is left out"
                ));
                continue;
            }
            // Numeric by majority, so that one NaN or typo is an error rather than making the
            // column categorical.
            let parsed = col.iter().filter(|v| v.parse::<f64>().is_ok()).count();
            if 2 * parsed > col.len() {
                let xs = col
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        v.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| {
                            ClvError::InvalidParameter(format!(
                                "covariate '{name}', {}: '{v}' is not a finite number in a numeric column; fix the value, or leave the column out of --covariates",
                                row_name(i)
                            ))
                        })
                    })
                    .collect::<Result<Vec<f64>>>()?;
                let mean = xs.iter().sum::<f64>() / xs.len() as f64;
                columns.push(ColumnEncoding::Numeric {
                    name: name.clone(),
                    mean,
                });
                continue;
            }
            // Most common first; ties by name, so the encoding is deterministic.
            let mut by_count: Vec<(&str, usize)> = counts.into_iter().collect();
            by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let baseline = by_count[0].0.to_string();
            let mut levels: Vec<String> =
                by_count[1..].iter().map(|(l, _)| l.to_string()).collect();
            let mut pooled = Vec::new();
            if levels.len() > MAX_LEVELS {
                warnings.push(format!(
                    "covariate '{name}' has {} levels; the {MAX_LEVELS} most common are kept, the others count as '{baseline}'",
                    levels.len() + 1
                ));
                pooled = levels.split_off(MAX_LEVELS);
            }
            columns.push(ColumnEncoding::Categorical {
                name: name.clone(),
                baseline,
                levels,
                pooled,
            });
        }
        if columns.is_empty() && !names.is_empty() {
            warnings.push("no usable covariate: every column was left out".into());
        }
        Ok((CovariateEncoding { columns }, warnings))
    }

    /// Names of the encoded features: `score`, `channel=paid`, …
    pub fn feature_names(&self) -> Vec<String> {
        self.columns
            .iter()
            .flat_map(|c| match c {
                ColumnEncoding::Numeric { name, .. } => vec![name.clone()],
                ColumnEncoding::Categorical { name, levels, .. } => {
                    levels.iter().map(|l| format!("{name}={l}")).collect()
                }
            })
            .collect()
    }

    /// Encodes one customer. `value_of(column)` gives the raw value; a missing or non-finite
    /// numeric value and a level not seen in training are errors naming the column and value
    /// (the caller adds the row).
    pub fn encode(&self, value_of: impl Fn(&str) -> Option<String>) -> Result<Vec<f64>> {
        let mut out = Vec::new();
        for c in &self.columns {
            match c {
                ColumnEncoding::Numeric { name, mean } => {
                    let raw = value_of(name).unwrap_or_default();
                    let v: f64 = raw
                        .trim()
                        .parse()
                        .ok()
                        .filter(|v: &f64| v.is_finite())
                        .ok_or_else(|| {
                            ClvError::InvalidParameter(format!(
                                "covariate '{name}': '{raw}' is not a finite number (the column is numeric in the bundle)"
                            ))
                        })?;
                    out.push(v - mean);
                }
                ColumnEncoding::Categorical {
                    name,
                    baseline,
                    levels,
                    pooled,
                } => {
                    let raw = value_of(name).unwrap_or_default();
                    let raw = raw.trim();
                    if raw != baseline && !levels.iter().chain(pooled).any(|l| l == raw) {
                        return Err(ClvError::InvalidParameter(format!(
                            "covariate '{name}': level '{raw}' was not seen in training (levels: {}); fix the value (levels are case-sensitive) or retrain with it (clv train --covariates)",
                            std::iter::once(baseline)
                                .chain(levels)
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                    out.extend(levels.iter().map(|l| f64::from(u8::from(l == raw))));
                }
            }
        }
        Ok(out)
    }
}

/// Per-customer attributes read from a CSV: a `customer_id` column and one column per
/// attribute.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttributeTable {
    pub names: Vec<String>,
    pub rows: std::collections::HashMap<String, Vec<String>>,
}

/// Reads a per-customer attribute file; duplicate ids are an error naming the line.
pub fn read_attributes_csv(path: &std::path::Path) -> Result<AttributeTable> {
    let file = path.display().to_string();
    let mut rdr = csv::Reader::from_path(path)
        .map_err(|e| ClvError::input(&file, format!("cannot open: {e}")))?;
    let header = rdr
        .headers()
        .map_err(|e| ClvError::input(&file, e.to_string()))?
        .clone();
    let id_col = header
        .iter()
        .position(|h| h.trim() == "customer_id")
        .ok_or_else(|| ClvError::input(&file, "missing column 'customer_id'"))?;
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != id_col)
        .map(|(_, h)| h.trim().to_string())
        .collect();
    let mut rows = std::collections::HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| ClvError::input(&file, format!("line {line}: {e}")))?;
        let id = rec.get(id_col).unwrap_or("").trim().to_string();
        let values: Vec<String> = rec
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != id_col)
            .map(|(_, v)| v.trim().to_string())
            .collect();
        if rows.insert(id.clone(), values).is_some() {
            return Err(ClvError::BadRow {
                file: file.clone(),
                line,
                column: "customer_id".into(),
                value: id,
                reason: "duplicate customer id".into(),
            });
        }
    }
    Ok(AttributeTable { names, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(v: &[[&str; 3]]) -> Vec<Vec<String>> {
        v.iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn numeric_categorical_and_constant_columns() {
        let names: Vec<String> = ["channel", "score", "country"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let data = rows(&[
            ["paid", "1", "NL"],
            ["organic", "3", "NL"],
            ["organic", "2", "NL"],
        ]);
        let (enc, warnings) = CovariateEncoding::fit(&names, &data, &row).unwrap();
        assert_eq!(enc.feature_names(), ["channel=paid", "score"]);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let get = |c: &str| match c {
            "channel" => Some("paid".to_string()),
            "score" => Some("4".to_string()),
            _ => None,
        };
        assert_eq!(enc.encode(get).unwrap(), vec![1.0, 2.0]);
        let get = |c: &str| Some(if c == "channel" { "organic" } else { "2" }.to_string());
        assert_eq!(enc.encode(get).unwrap(), vec![0.0, 0.0]);
        // An unseen level (also one differing in case) and a non-number are errors that
        // name the column, the value and the flag.
        for level in ["tv", "Paid", ""] {
            let get = |c: &str| Some(if c == "channel" { level } else { "2" }.to_string());
            let err = enc.encode(get).unwrap_err().to_string();
            assert!(
                err.contains("'channel'")
                    && err.contains(&format!("'{level}'"))
                    && err.contains("--covariates"),
                "{err}"
            );
        }
        let get = |c: &str| Some(if c == "channel" { "paid" } else { "NaN" }.to_string());
        let err = enc.encode(get).unwrap_err().to_string();
        assert!(err.contains("'score'") && err.contains("'NaN'"), "{err}");
    }

    fn row(i: usize) -> String {
        format!("customer '{}'", i + 1)
    }

    #[test]
    fn a_bad_value_in_a_numeric_column_is_an_error_not_a_category() {
        let names = vec!["channel".to_string(), "score".to_string(), "x".to_string()];
        for bad in ["NaN", "nan", "inf", "", "1.2.3", "abc"] {
            let data = rows(&[
                ["paid", "1", "a"],
                ["organic", bad, "b"],
                ["organic", "2", "a"],
            ]);
            let err = CovariateEncoding::fit(&names, &data, &row)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("'score'")
                    && err.contains("customer '2'")
                    && err.contains(&format!("'{bad}'"))
                    && err.contains("--covariates"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn pooled_levels_count_as_the_baseline_and_round_trip() {
        let names = vec!["level".to_string()];
        // Level "a" most common (baseline), then MAX_LEVELS + 2 others.
        let mut data: Vec<Vec<String>> = (0..5).map(|_| vec!["a".to_string()]).collect();
        for k in 0..MAX_LEVELS + 2 {
            data.push(vec![format!("l{k:02}")]);
        }
        let (enc, warnings) = CovariateEncoding::fit(&names, &data, &row).unwrap();
        assert_eq!(warnings.len(), 1);
        let pooled = format!("l{:02}", MAX_LEVELS + 1);
        let z = enc.encode(|_| Some(pooled.clone())).unwrap();
        assert!(z.iter().all(|v| *v == 0.0));
        let json = serde_json::to_string(&enc).unwrap();
        let back: CovariateEncoding = serde_json::from_str(&json).unwrap();
        assert_eq!(back, enc);
        assert!(enc.encode(|_| Some("zz".to_string())).is_err());
    }
}
