//! Discrete-time (BG/BB) input files: one row per purchase pattern, columns
//! `frequency,recency,periods` and optionally `weights` (the number of customers with the
//! pattern), as in the donations data of Fader, Hardie & Shang (2010). The model input built
//! from them is `crate::models::BgBbData` (see `crate::models::data::read_bgbb_csv`).

use std::path::Path;

use crate::error::{ClvError, Result};

/// The rows of a BG/BB pattern file, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternTable {
    pub frequency: Vec<f64>,
    pub recency: Vec<f64>,
    pub periods: Vec<f64>,
    /// The `weights` column, when the file has one.
    pub weights: Option<Vec<f64>>,
}

/// Reads a BG/BB pattern file; errors name file, line, column and value.
pub fn read_pattern_csv(path: &Path) -> Result<PatternTable> {
    let file = path.display().to_string();
    let mut rdr = csv::Reader::from_path(path)
        .map_err(|e| ClvError::input(&file, format!("cannot open: {e}")))?;
    let header = rdr
        .headers()
        .map_err(|e| ClvError::input(&file, e.to_string()))?
        .clone();
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let need = |name: &str| {
        col(name).ok_or_else(|| ClvError::input(&file, format!("missing column '{name}'")))
    };
    let (cx, ct, cn) = (need("frequency")?, need("recency")?, need("periods")?);
    let cw = col("weights");
    let (mut x, mut t_x, mut n) = (vec![], vec![], vec![]);
    let mut w = cw.map(|_| vec![]);
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| ClvError::input(&file, format!("line {line}: {e}")))?;
        let get = |c: usize, name: &str| -> Result<f64> {
            let raw = rec.get(c).unwrap_or("").trim();
            raw.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| ClvError::BadRow {
                    file: file.clone(),
                    line,
                    column: name.to_string(),
                    value: raw.to_string(),
                    reason: "not a finite number >= 0".into(),
                })
        };
        x.push(get(cx, "frequency")?);
        t_x.push(get(ct, "recency")?);
        n.push(get(cn, "periods")?);
        if let (Some(c), Some(w)) = (cw, w.as_mut()) {
            w.push(get(c, "weights")?);
        }
    }
    if x.is_empty() {
        return Err(ClvError::input(&file, "no data rows"));
    }
    Ok(PatternTable {
        frequency: x,
        recency: t_x,
        periods: n,
        weights: w,
    })
}
