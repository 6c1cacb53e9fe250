//! Summaries read from Parquet (a file or a folder of files), row groups in parallel: the
//! columns, checks and table of the summary CSV reader, with bad values named by file, row
//! group, row and column.

use std::path::Path;

use rayon::prelude::*;

use super::SummaryTable;
use super::summary_csv::{Rows, assemble, history_problem, read_summary_csv};
use crate::error::{ClvError, Result};
use crate::ingest::parquet::{
    CellColumn, ID_TYPES, ParquetFiles, Unit, Use, batch_column, check_type, id_text,
    is_parquet_path,
};

const NUMBER_TYPES: &str = "a summary column must hold numbers";
const REQUIRED: [&str; 4] = ["frequency", "recency", "T", "monetary_value"];
const OPTIONAL: [&str; 3] = ["weights", "frequency_holdout", "duration_holdout"];

/// Reads a summary from CSV, or from Parquet when `path` is a `.parquet` file or a folder.
pub fn read_summary_file(path: &Path) -> Result<SummaryTable> {
    if is_parquet_path(path) {
        read_summary_parquet(path)
    } else {
        read_summary_csv(path)
    }
}

/// Reads a Parquet summary: required columns frequency, recency, T, monetary_value
/// (customer_id, weights, frequency_holdout and duration_holdout optional), numbers of any
/// numeric type; every value a finite number >= 0, the histories checked as in CSV.
pub fn read_summary_parquet(path: &Path) -> Result<SummaryTable> {
    let files = ParquetFiles::open(path)?;
    let hint = "a summary needs frequency, recency, T, monetary_value";
    let required = REQUIRED
        .iter()
        .map(|n| files.column(n, hint))
        .collect::<Result<Vec<_>>>()?;
    let find = |n: &str| files.names.iter().position(|h| h == n);
    let optional: Vec<Option<usize>> = OPTIONAL.iter().map(|n| find(n)).collect();
    let id = find("customer_id");
    for &i in required.iter().chain(optional.iter().flatten()) {
        check_type(&files, i, Use::Number, NUMBER_TYPES)?;
    }
    if let Some(i) = id {
        check_type(&files, i, Use::Id, ID_TYPES)?;
    }
    let mut columns: Vec<usize> = required.clone();
    columns.extend(optional.iter().flatten());
    columns.extend(id);
    let parts: Vec<Result<Rows>> = files
        .units()
        .par_iter()
        .map(|unit| read_part(&files, unit, &columns, id.is_some()))
        .collect();
    let present = [0, 1, 2].map(|k| optional[k].is_some());
    let empty = ClvError::input(files.describe(), "empty input (no rows)");
    assemble(parts, id.is_some(), present, empty)
}

fn read_part(files: &ParquetFiles, unit: &Unit, columns: &[usize], ids: bool) -> Result<Rows> {
    let file = files.file_name(unit.file);
    let mut part = Rows::default();
    let mut offset = 0u64;
    let mut buf = String::new();
    for batch in files.read(unit, columns)? {
        let column = |name: &str| batch_column(&batch, name, Use::Number, file, NUMBER_TYPES);
        let required: Vec<CellColumn> =
            REQUIRED.iter().map(|n| column(n)).collect::<Result<_>>()?;
        let optional: Vec<Option<CellColumn>> = OPTIONAL
            .iter()
            .map(|n| {
                batch
                    .schema()
                    .index_of(n)
                    .ok()
                    .map(|_| column(n))
                    .transpose()
            })
            .collect::<Result<_>>()?;
        let id = match ids {
            true => Some(batch_column(
                &batch,
                "customer_id",
                Use::Id,
                file,
                ID_TYPES,
            )?),
            false => None,
        };
        for row in 0..batch.num_rows() {
            let bad = |name: &str, value: String, reason: String| ClvError::BadCell {
                file: file.to_string(),
                row_group: unit.row_group,
                row: offset + row as u64,
                column: name.to_string(),
                value,
                reason,
            };
            let number = |c: &CellColumn, name: &str| -> Result<f64> {
                let cell = c.get(row);
                let v = match cell {
                    crate::ingest::parquet::Cell::Number(v) => Some(v),
                    crate::ingest::parquet::Cell::Int(v) => Some(v as f64),
                    crate::ingest::parquet::Cell::Text(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                };
                match v {
                    Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
                    _ => Err(bad(name, cell.shown(), "not a finite number >= 0".into())),
                }
            };
            let mut values = [0.0; 4];
            for ((v, c), name) in values.iter_mut().zip(&required).zip(REQUIRED) {
                *v = number(c, name)?;
            }
            let [x, t_x, t, _] = values;
            if let Some((col, v, reason)) = history_problem(x, t_x, t) {
                return Err(bad(REQUIRED[col], v.to_string(), reason));
            }
            for (all, v) in part.required.iter_mut().zip(values) {
                all.push(v);
            }
            for ((all, c), name) in part.optional.iter_mut().zip(&optional).zip(OPTIONAL) {
                if let Some(c) = c {
                    all.push(number(c, name)?);
                }
            }
            if let Some(c) = &id {
                part.ids.push(id_text(c.get(row), &mut buf).to_string());
            }
        }
        offset += batch.num_rows() as u64;
    }
    Ok(part)
}
