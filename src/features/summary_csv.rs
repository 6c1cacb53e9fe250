//! Summary CSV files: writing them (`clv summarize`) and reading them back for fitting.
//!
//! Column names are those `lifetimes` users know: `customer_id,frequency,recency,T,
//! monetary_value`, then `first_purchase,orders,total_spend`, the holdout columns
//! `frequency_holdout,monetary_value_holdout,duration_holdout` with a calibration end, and the
//! extra columns of the transaction file last.

use std::io::Write;
use std::path::Path;

use super::Summary;
use crate::error::{ClvError, Result};

impl Summary {
    /// Writes one CSV row per customer: `customer_id,frequency,recency,T,monetary_value,
    /// first_purchase,orders,total_spend`, the holdout columns with a calibration end, then the
    /// extra columns (formatted in parallel blocks, see `builder::csv_out`).
    pub fn write_csv<W: Write>(&self, w: W) -> Result<()> {
        super::builder::write_summary_csv(self, w)
    }
}

/// A summary file as columns, ready for the models.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SummaryTable {
    /// Ids from the `customer_id` column, or `1, 2, ...` (row numbers) without one.
    pub customer_id: Vec<String>,
    pub frequency: Vec<f64>,
    pub recency: Vec<f64>,
    pub t: Vec<f64>,
    pub monetary_value: Vec<f64>,
    pub weights: Option<Vec<f64>>,
    pub holdout_frequency: Option<Vec<f64>>,
    pub holdout_duration: Option<Vec<f64>>,
}

impl SummaryTable {
    pub fn len(&self) -> usize {
        self.frequency.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }

    /// The model input (identical rows merged, weights applied).
    pub fn to_rfm_data(&self) -> Result<crate::models::RfmData> {
        crate::models::RfmData::new(
            &self.frequency,
            &self.recency,
            &self.t,
            self.weights.as_deref(),
        )
    }
}

/// Reads a summary CSV as written by `clv summarize` (or by `lifetimes`): required columns
/// frequency, recency, T, monetary_value (customer_id, weights, frequency_holdout and
/// duration_holdout optional). Every value must be a finite number >= 0; errors name file,
/// line, column and value.
pub fn read_summary_csv(path: &Path) -> Result<SummaryTable> {
    let file = path.display().to_string();
    let f = std::fs::File::open(path)
        .map_err(|e| ClvError::input(&file, format!("cannot open: {e}")))?;
    read_summary(std::io::BufReader::new(f), &file)
}

/// [`read_summary_csv`] on any reader; `file` names it in messages.
pub fn read_summary<R: std::io::Read>(r: R, file: &str) -> Result<SummaryTable> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(r);
    let header = rdr
        .byte_headers()
        .map_err(|e| ClvError::input(file, format!("cannot read: {e}")))?
        .clone();
    let names: Vec<String> = header
        .iter()
        .map(|h| {
            std::str::from_utf8(h)
                .map(|s| s.trim().trim_start_matches('\u{feff}').to_string())
                .map_err(|_| ClvError::input(file, "line 1: header is not valid UTF-8 text"))
        })
        .collect::<Result<_>>()?;
    if names.is_empty() || (names.len() == 1 && names[0].is_empty()) {
        return Err(ClvError::input(file, "empty input (no header line)"));
    }
    let find = |n: &str| names.iter().position(|h| h == n);
    let required = |n: &str| {
        find(n).ok_or_else(|| {
            ClvError::input(
                file,
                format!(
                    "missing column '{n}' (a summary needs frequency, recency, T, monetary_value; \
                     columns are: {})",
                    names.join(", ")
                ),
            )
        })
    };
    let cols = [
        required("frequency")?,
        required("recency")?,
        required("T")?,
        required("monetary_value")?,
    ];
    let id_col = find("customer_id");
    let optional = [
        find("weights"),
        find("frequency_holdout"),
        find("duration_holdout"),
    ];
    let mut table = SummaryTable::default();
    let mut opt_values: [Vec<f64>; 3] = Default::default();
    let mut rec = csv::ByteRecord::new();
    let mut row = 0u64;
    while rdr
        .read_byte_record(&mut rec)
        .map_err(|e| ClvError::input(file, format!("cannot read: {e}")))?
    {
        row += 1;
        let line = rec.position().map_or(row + 1, |p| p.line());
        if std::str::from_utf8(rec.as_slice()).is_err() {
            return Err(ClvError::input(
                file,
                format!("line {line}: not valid UTF-8 text"),
            ));
        }
        if rec.len() != names.len() {
            return Err(ClvError::BadRow {
                file: file.into(),
                line,
                column: "*".into(),
                value: format!("{} fields", rec.len()),
                reason: format!("wrong column count (header has {})", names.len()),
            });
        }
        let number = |i: usize| -> Result<f64> {
            let text = std::str::from_utf8(&rec[i]).unwrap_or("").trim();
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => Err(ClvError::BadRow {
                    file: file.into(),
                    line,
                    column: names[i].clone(),
                    value: text.into(),
                    reason: "not a finite number >= 0".into(),
                }),
            }
        };
        table.frequency.push(number(cols[0])?);
        table.recency.push(number(cols[1])?);
        table.t.push(number(cols[2])?);
        table.monetary_value.push(number(cols[3])?);
        for (k, col) in optional.iter().enumerate() {
            if let Some(i) = *col {
                opt_values[k].push(number(i)?);
            }
        }
        table.customer_id.push(match id_col {
            Some(i) => String::from_utf8_lossy(&rec[i]).trim().to_string(),
            None => row.to_string(),
        });
    }
    if table.is_empty() {
        return Err(ClvError::input(
            file,
            "empty input (a header line but no rows)",
        ));
    }
    let [w, hf, hd] = opt_values;
    table.weights = optional[0].map(|_| w);
    table.holdout_frequency = optional[1].map(|_| hf);
    table.holdout_duration = optional[2].map(|_| hd);
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lifetimes_style_summary_with_weights() {
        let text =
            "frequency,recency,T,monetary_value,weights\n2,30.43,38.86,22.35,3\n0,0,38.86,0,1\n";
        let t = read_summary(text.as_bytes(), "s.csv").unwrap();
        assert_eq!(t.customer_id, vec!["1", "2"]);
        assert_eq!(t.frequency, vec![2.0, 0.0]);
        assert_eq!(t.t, vec![38.86, 38.86]);
        assert_eq!(t.weights, Some(vec![3.0, 1.0]));
        assert_eq!(t.holdout_frequency, None);
        assert_eq!(t.to_rfm_data().unwrap().customers(), 4.0);
    }

    #[test]
    fn bad_values_name_file_line_column_and_value() {
        let text = "customer_id,frequency,recency,T,monetary_value\na,1,2,3,4\nb,1,x2,3,4\n";
        let e = read_summary(text.as_bytes(), "s.csv")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("s.csv:3") && e.contains("recency") && e.contains("x2"),
            "{e}"
        );
        let e = read_summary("customer_id,frequency\n".as_bytes(), "s.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing column 'recency'"), "{e}");
        let e = read_summary(
            "frequency,recency,T,monetary_value\n1,1,1,-1\n".as_bytes(),
            "s",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("monetary_value") && e.contains("-1"), "{e}");
    }
}
