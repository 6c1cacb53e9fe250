//! Parquet files for the tests, written with the `parquet` crate directly (not through the
//! library): a CSV file's columns typed as a user's tool would type them.
#![allow(dead_code)]

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use chrono::{Datelike, NaiveDate};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

/// A column to write: its values as the CSV holds them and the type to give them.
pub enum Col {
    /// Text (`None` = null).
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    /// ISO dates.
    Date(Vec<Option<NaiveDate>>),
}

fn day(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - 719_163
}

impl Col {
    fn array(&self) -> (DataType, ArrayRef) {
        match self {
            Col::Text(v) => (DataType::Utf8, Arc::new(StringArray::from(v.clone()))),
            Col::Int(v) => (DataType::Int64, Arc::new(Int64Array::from(v.clone()))),
            Col::Float(v) => (DataType::Float64, Arc::new(Float64Array::from(v.clone()))),
            Col::Date(v) => (
                DataType::Date32,
                Arc::new(Date32Array::from(
                    v.iter().map(|d| d.map(day)).collect::<Vec<_>>(),
                )),
            ),
        }
    }

    fn slice(&self, from: usize, to: usize) -> Col {
        match self {
            Col::Text(v) => Col::Text(v[from..to].to_vec()),
            Col::Int(v) => Col::Int(v[from..to].to_vec()),
            Col::Float(v) => Col::Float(v[from..to].to_vec()),
            Col::Date(v) => Col::Date(v[from..to].to_vec()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Col::Text(v) => v.len(),
            Col::Int(v) => v.len(),
            Col::Float(v) => v.len(),
            Col::Date(v) => v.len(),
        }
    }
}

/// Writes `columns` to `path`, `rows_per_group` rows per row group, snappy-compressed.
pub fn write(path: &Path, columns: &[(&str, Col)], rows_per_group: usize) {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns
        .iter()
        .map(|(n, c)| {
            let (t, a) = c.array();
            (Field::new(*n, t, true), a)
        })
        .unzip();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(rows_per_group))
        .build();
    let mut w = ArrowWriter::try_new(File::create(path).unwrap(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// Writes `columns` as `files` Parquet files `part-0.parquet` ... in folder `dir`, rows split
/// in order.
pub fn write_folder(dir: &Path, columns: &[(&str, Col)], files: usize, rows_per_group: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let n = columns[0].1.len();
    for k in 0..files {
        let (from, to) = (n * k / files, n * (k + 1) / files);
        let part: Vec<(&str, Col)> = columns
            .iter()
            .map(|(c, v)| (*c, v.slice(from, to)))
            .collect();
        write(
            &dir.join(format!("part-{k}.parquet")),
            &part,
            rows_per_group,
        );
    }
}

/// The columns of a CSV file (no quotes), typed as DuckDB types them: all-integer columns as
/// Int64, ISO-date columns as dates, other numeric columns as Float64, the rest and the
/// columns named in `text` as text.
pub fn csv_columns(path: &Path, text: &[&str]) -> Vec<(String, Col)> {
    let content = std::fs::read_to_string(path).unwrap();
    let mut lines = content.lines();
    let names: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    (0..names.len())
        .map(|j| {
            let cells: Vec<&str> = rows.iter().map(|r| r[j]).collect();
            let col = if text.contains(&names[j].as_str()) {
                Col::Text(cells.iter().map(|c| Some(c.to_string())).collect())
            } else if cells.iter().all(|c| c.parse::<i64>().is_ok()) {
                Col::Int(cells.iter().map(|c| c.parse().ok()).collect())
            } else if cells
                .iter()
                .all(|c| NaiveDate::parse_from_str(c, "%Y-%m-%d").is_ok())
            {
                Col::Date(
                    cells
                        .iter()
                        .map(|c| NaiveDate::parse_from_str(c, "%Y-%m-%d").ok())
                        .collect(),
                )
            } else if cells.iter().all(|c| c.parse::<f64>().is_ok()) {
                Col::Float(cells.iter().map(|c| c.parse().ok()).collect())
            } else {
                Col::Text(cells.iter().map(|c| Some(c.to_string())).collect())
            };
            (names[j].clone(), col)
        })
        .collect()
}

/// [`csv_columns`] borrowed as `write` takes them.
pub fn as_refs(cols: &[(String, Col)]) -> Vec<(&str, Col)> {
    cols.iter()
        .map(|(n, c)| (n.as_str(), c.slice(0, c.len())))
        .collect()
}
