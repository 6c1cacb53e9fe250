//! Cells of a Parquet column read whatever its physical type (text, numbers, dates,
//! timestamps, booleans), and which types can serve as which transaction column.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, RecordBatch};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, TimeUnit as ArrowUnit};

use super::ParquetFiles;
use crate::error::{ClvError, Result};
use crate::ingest::day_to_date;

/// A cell, whatever the column's type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Text(&'a str),
    Int(i64),
    Number(f64),
    /// Days since 1970-01-01 (a date or a timestamp's day).
    Day(i32),
    Bool(bool),
}

impl Cell<'_> {
    /// The cell as text (for attributes and messages): integers and numbers as Rust writes
    /// them, days as ISO dates, null as empty.
    pub fn to_text(&self) -> String {
        match *self {
            Cell::Null => String::new(),
            Cell::Text(s) => s.to_string(),
            Cell::Int(v) => v.to_string(),
            Cell::Number(v) => v.to_string(),
            Cell::Day(d) => day_to_date(d).to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }

    /// The value shown in a message: `null` for a null.
    pub fn shown(&self) -> String {
        match self {
            Cell::Null => "null".into(),
            c => c.to_text(),
        }
    }
}

const DAY_MS: i64 = 86_400_000;

/// A column's values in the form its cells are read from, chosen once per batch (a cell
/// read is then an index, not a type dispatch). Floats, 64-bit integers and dates share the
/// decoded buffers; other integer and time types are widened once.
#[derive(Debug, Clone)]
enum Values {
    Utf8(arrow_array::StringArray),
    LargeUtf8(arrow_array::LargeStringArray),
    View(arrow_array::StringViewArray),
    Int(ScalarBuffer<i64>),
    Float(ScalarBuffer<f64>),
    Day(ScalarBuffer<i32>),
    Bool(arrow_array::BooleanArray),
}

/// A column of one batch, read cell by cell.
#[derive(Debug, Clone)]
pub struct CellColumn {
    values: Values,
    nulls: Option<NullBuffer>,
    len: usize,
}

fn widen<T: ArrowPrimitiveType, U>(a: &ArrayRef, f: impl Fn(T::Native) -> U) -> Vec<U> {
    a.as_primitive::<T>()
        .values()
        .iter()
        .map(|&v| f(v))
        .collect()
}

impl CellColumn {
    /// `None` for a type this reader does not take (lists, structs, binary ...).
    pub fn new(a: ArrayRef) -> Option<Self> {
        let days = |v: Vec<i32>| Values::Day(v.into());
        let ts = |per_day: i64| move |v: i64| v.div_euclid(per_day) as i32;
        let values = match a.data_type() {
            DataType::Utf8 => Values::Utf8(a.as_string::<i32>().clone()),
            DataType::LargeUtf8 => Values::LargeUtf8(a.as_string::<i64>().clone()),
            DataType::Utf8View => Values::View(a.as_string_view().clone()),
            DataType::Int8 => Values::Int(widen::<Int8Type, i64>(&a, i64::from).into()),
            DataType::Int16 => Values::Int(widen::<Int16Type, i64>(&a, i64::from).into()),
            DataType::Int32 => Values::Int(widen::<Int32Type, i64>(&a, i64::from).into()),
            DataType::Int64 => Values::Int(a.as_primitive::<Int64Type>().values().clone()),
            DataType::UInt8 => Values::Int(widen::<UInt8Type, i64>(&a, i64::from).into()),
            DataType::UInt16 => Values::Int(widen::<UInt16Type, i64>(&a, i64::from).into()),
            DataType::UInt32 => Values::Int(widen::<UInt32Type, i64>(&a, i64::from).into()),
            // Above i64::MAX only as a number (an id that large is refused as a number).
            DataType::UInt64 => Values::Float(widen::<UInt64Type, f64>(&a, |v| v as f64).into()),
            DataType::Float32 => Values::Float(widen::<Float32Type, f64>(&a, f64::from).into()),
            DataType::Float64 => Values::Float(a.as_primitive::<Float64Type>().values().clone()),
            DataType::Decimal128(_, scale) => {
                let unit = 10f64.powi(i32::from(*scale));
                Values::Float(widen::<Decimal128Type, f64>(&a, |v| v as f64 / unit).into())
            }
            DataType::Date32 => Values::Day(a.as_primitive::<Date32Type>().values().clone()),
            DataType::Date64 => days(widen::<Date64Type, i32>(&a, ts(DAY_MS))),
            DataType::Timestamp(ArrowUnit::Second, _) => {
                days(widen::<TimestampSecondType, i32>(&a, ts(86_400)))
            }
            DataType::Timestamp(ArrowUnit::Millisecond, _) => {
                days(widen::<TimestampMillisecondType, i32>(&a, ts(DAY_MS)))
            }
            DataType::Timestamp(ArrowUnit::Microsecond, _) => {
                days(widen::<TimestampMicrosecondType, i32>(
                    &a,
                    ts(DAY_MS * 1000),
                ))
            }
            DataType::Timestamp(ArrowUnit::Nanosecond, _) => {
                days(widen::<TimestampNanosecondType, i32>(
                    &a,
                    ts(DAY_MS * 1_000_000),
                ))
            }
            DataType::Boolean => Values::Bool(a.as_boolean().clone()),
            _ => return None,
        };
        Some(CellColumn {
            values,
            nulls: a.logical_nulls(),
            len: a.len(),
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Cell `i` (`i < len()`).
    #[inline]
    pub fn get(&self, i: usize) -> Cell<'_> {
        if self.nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            return Cell::Null;
        }
        match &self.values {
            Values::Utf8(a) => Cell::Text(a.value(i)),
            Values::LargeUtf8(a) => Cell::Text(a.value(i)),
            Values::View(a) => Cell::Text(a.value(i)),
            Values::Int(v) => Cell::Int(v[i]),
            Values::Float(v) => Cell::Number(v[i]),
            Values::Day(v) => Cell::Day(v[i]),
            Values::Bool(a) => Cell::Bool(a.value(i)),
        }
    }
}

/// What a column can hold for a given use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Customer ids: text or integers.
    Id,
    /// Dates: dates, timestamps, text (parsed as in CSV) or integers (`%Y%m%d`).
    Date,
    /// Numbers: floats, integers, decimals, or text parsed as in CSV.
    Number,
    /// Attributes: anything [`CellColumn`] reads.
    Any,
}

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn is_int(t: &DataType) -> bool {
    t.is_integer()
}

fn readable(t: &DataType) -> bool {
    is_text(t)
        || t.is_integer()
        || matches!(
            t,
            DataType::Float32
                | DataType::Float64
                | DataType::Decimal128(..)
                | DataType::Date32
                | DataType::Date64
                | DataType::Timestamp(..)
                | DataType::Boolean
        )
}

/// Whether column type `t` can serve `what`.
pub fn type_fits(t: &DataType, what: Use) -> bool {
    match what {
        Use::Id => is_text(t) || is_int(t),
        Use::Date => {
            is_text(t)
                || is_int(t)
                || matches!(
                    t,
                    DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
                )
        }
        Use::Number => {
            is_text(t)
                || is_int(t)
                || matches!(
                    t,
                    DataType::Float32 | DataType::Float64 | DataType::Decimal128(..)
                )
        }
        Use::Any => readable(t),
    }
}

/// An error unless column `i` of `files` can serve `what`.
pub fn check_type(files: &ParquetFiles, i: usize, what: Use, needs: &str) -> Result<()> {
    let t = files.data_type(i);
    if type_fits(t, what) {
        return Ok(());
    }
    Err(ClvError::input(
        files.describe(),
        format!(
            "column '{}' has type {t}; {needs}",
            files.names.get(i).map_or("?", String::as_str)
        ),
    ))
}

/// The column named `name` of `batch` (a projected read holds it), checked against `what`:
/// files of a folder may differ in type.
pub fn batch_column(
    batch: &RecordBatch,
    name: &str,
    what: Use,
    file: &str,
    needs: &str,
) -> Result<CellColumn> {
    let array = batch
        .schema()
        .index_of(name)
        .ok()
        .map(|i| batch.column(i).clone())
        .ok_or_else(|| ClvError::input(file, format!("missing column '{name}'")))?;
    let t = array.data_type().clone();
    if !type_fits(&t, what) {
        return Err(ClvError::input(
            file,
            format!("column '{name}' has type {t}; {needs}"),
        ));
    }
    CellColumn::new(array)
        .ok_or_else(|| ClvError::input(file, format!("column '{name}' has type {t}; {needs}")))
}

/// What a transaction column must be, for messages.
pub const ID_TYPES: &str = "a customer id must be text or an integer";
pub const DATE_TYPES: &str = "a date must be a date, a timestamp, text or a %Y%m%d integer";
pub const AMOUNT_TYPES: &str = "an amount must be a number or text";
pub const ANY_TYPES: &str = "an attribute must be text, a number, a date, a timestamp or a boolean";
