//! A result table as typed columns, and its Parquet file.
//!
//! Each result table (summary, predictions, scores ...) describes itself once as a [`Table`]:
//! the CSV header's names in order, each with its values typed as Parquet stores them (ids
//! and labels as strings, dates as Date32, counts as Int64, everything else as Float64).
//! [`write_parquet`] writes any such table atomically.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::AtomicFile;
use crate::error::{ClvError, Result};

/// One column's values.
#[derive(Debug, Clone, PartialEq)]
pub enum Values<'a> {
    Text(Vec<Cow<'a, str>>),
    Float(Cow<'a, [f64]>),
    Int(Vec<i64>),
    /// Days since 1970-01-01.
    Date(Vec<i32>),
    Bool(Vec<bool>),
}

impl Values<'_> {
    pub fn len(&self) -> usize {
        match self {
            Values::Text(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::Date(v) => v.len(),
            Values::Bool(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn to_arrow(&self) -> (DataType, ArrayRef) {
        match self {
            Values::Text(v) => (
                DataType::Utf8,
                Arc::new(StringArray::from_iter_values(v.iter())),
            ),
            Values::Float(v) => (DataType::Float64, Arc::new(Float64Array::from(v.to_vec()))),
            Values::Int(v) => (DataType::Int64, Arc::new(Int64Array::from(v.clone()))),
            Values::Date(v) => (DataType::Date32, Arc::new(Date32Array::from(v.clone()))),
            Values::Bool(v) => (DataType::Boolean, Arc::new(BooleanArray::from(v.clone()))),
        }
    }
}

/// A result table: named columns of equal length, in output order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table<'a> {
    pub columns: Vec<(String, Values<'a>)>,
}

impl<'a> Table<'a> {
    pub fn push(&mut self, name: impl Into<String>, values: Values<'a>) {
        self.columns.push((name.into(), values));
    }

    /// The column names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Rows (of the first column).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, v)| v.len())
    }
}

/// Rows per row group: small enough for readers to spread a million-row table over threads.
const ROW_GROUP: usize = 1 << 17;

/// Writes `table` as a Parquet file at `path` (zstd-compressed, non-null columns), through a
/// temporary file renamed into place.
pub fn write_parquet(table: &Table<'_>, path: &Path) -> Result<()> {
    let name = path.display().to_string();
    let rows = table.rows();
    if let Some((column, _)) = table.columns.iter().find(|(_, v)| v.len() != rows) {
        return Err(ClvError::input(
            &name,
            format!("column '{column}' has a different length from the others"),
        ));
    }
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = table
        .columns
        .iter()
        .map(|(n, v)| {
            let (t, a) = v.to_arrow();
            (Field::new(n, t, false), a)
        })
        .unzip();
    let schema = Arc::new(Schema::new(fields));
    let err = |e: &dyn std::fmt::Display| ClvError::input(&name, format!("cannot write: {e}"));
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| err(&e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .build();
    let mut file = AtomicFile::create(path)?;
    let mut writer = ArrowWriter::try_new(&mut file, schema, Some(props)).map_err(|e| err(&e))?;
    writer.write(&batch).map_err(|e| err(&e))?;
    writer.close().map_err(|e| err(&e))?;
    file.commit()
}

/// Whether `path` names a Parquet output (ends in `.parquet`).
pub fn is_parquet_output(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}
