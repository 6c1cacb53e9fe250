//! Tables handed over through the Arrow PyCapsule interface (`__arrow_c_stream__` or
//! `__arrow_c_array__`), read here through the Arrow C data interface, so that an object
//! from any Arrow library is read without pyarrow or polars installed.
//!
//! Each column becomes one `(name, kind, data)` entry, as the core's result tables do
//! (`columns::table_to_python`): `f64` (float64 bytes; nulls NaN, which the engine refuses
//! naming the row), `i64` (int64 bytes, integer columns without nulls, so large ids stay
//! exact), `date` (int64 day bytes; nulls NaT) or `str` (a list; nulls None).
//! Dictionary-encoded columns (pandas categoricals, polars enums, Parquet's dictionary pages
//! as other readers hand them over) are decoded to their value type first.

use std::ptr::NonNull;

use arrow_array::RecordBatchReader;
use arrow_array::cast::AsArray;
use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi};
use arrow_array::ffi_stream::RecordBatchStreamReader;
use arrow_array::types::{
    Date32Type, Date64Type, Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, RecordBatch, StructArray};
use arrow_schema::{ArrowError, DataType, SchemaRef, TimeUnit};
use clv::ClvError;
use clv::features::TextColumn;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyList};

use crate::columns::{f64_bytes, i64_bytes};
use crate::errors::IntoPy;

const STREAM: &std::ffi::CStr = c"arrow_array_stream";
const SCHEMA: &std::ffi::CStr = c"arrow_schema";
const ARRAY: &std::ffi::CStr = c"arrow_array";

fn input_error(source: &str, message: String) -> ClvError {
    ClvError::Input {
        file: source.into(),
        message,
    }
}

fn arrow_error(source: &str, e: ArrowError) -> ClvError {
    input_error(source, format!("reading the Arrow data: {e}"))
}

/// The record batches of an `arrow_array_stream` capsule (what `__arrow_c_stream__` returns).
/// The stream is moved out of the capsule, which then holds a released stream (its destructor
/// does nothing more), as the PyCapsule interface prescribes for a consumer.
fn stream_batches(
    capsule: &Bound<'_, PyCapsule>,
    source: &str,
) -> PyResult<(SchemaRef, Vec<RecordBatch>)> {
    let pointer: NonNull<std::ffi::c_void> = capsule.pointer_checked(Some(STREAM))?;
    // SAFETY: a capsule named "arrow_array_stream" holds an FFI_ArrowArrayStream (the Arrow
    // PyCapsule interface); `from_raw` moves it out and marks the original released.
    let reader = unsafe { RecordBatchStreamReader::from_raw(pointer.as_ptr().cast()) }
        .map_err(|e| arrow_error(source, e))
        .py_err()?;
    let schema = reader.schema();
    let batches: Result<Vec<RecordBatch>, ArrowError> = reader.collect();
    Ok((
        schema,
        batches.map_err(|e| arrow_error(source, e)).py_err()?,
    ))
}

/// The record batch of an `(arrow_schema, arrow_array)` capsule pair (what
/// `__arrow_c_array__` returns); the array must be a struct array (a table's rows).
fn array_batch(
    schema: &Bound<'_, PyCapsule>,
    array: &Bound<'_, PyCapsule>,
    source: &str,
) -> PyResult<RecordBatch> {
    let schema_ptr = schema.pointer_checked(Some(SCHEMA))?;
    let array_ptr = array.pointer_checked(Some(ARRAY))?;
    // SAFETY: the capsules' names say they hold an FFI_ArrowSchema and an FFI_ArrowArray. The
    // schema is only borrowed (its capsule releases it); the array is moved out, leaving a
    // released array behind.
    let data = unsafe {
        let schema = &*(schema_ptr.as_ptr() as *const FFI_ArrowSchema);
        let array = FFI_ArrowArray::from_raw(array_ptr.as_ptr().cast());
        from_ffi(array, schema)
    }
    .map_err(|e| arrow_error(source, e))
    .py_err()?;
    if !matches!(data.data_type(), DataType::Struct(_)) {
        return Err(input_error(
            source,
            format!(
                "an Arrow array of {} is not a table (a struct array of columns is)",
                data.data_type()
            ),
        ))
        .py_err();
    }
    Ok(RecordBatch::from(StructArray::from(data)))
}

/// One column gathered from every batch.
enum Gathered {
    Floats(Vec<f64>),
    Ints(Vec<i64>),
    Days(Vec<i64>),
    Text(Vec<Option<String>>),
}

/// Appends the values of a primitive array through `f` to `out`, nulls as `null`.
fn primitive<T: ArrowPrimitiveType, V: Copy>(
    array: &ArrayRef,
    out: &mut Vec<V>,
    null: V,
    f: impl Fn(T::Native) -> V,
) {
    let a = array.as_primitive::<T>();
    out.extend((0..a.len()).map(|i| if a.is_null(i) { null } else { f(a.value(i)) }));
}

fn floats<T: ArrowPrimitiveType>(
    array: &ArrayRef,
    out: &mut Vec<f64>,
    f: impl Fn(T::Native) -> f64,
) {
    primitive::<T, f64>(array, out, f64::NAN, f);
}

fn days<T: ArrowPrimitiveType>(array: &ArrayRef, out: &mut Vec<i64>, f: impl Fn(T::Native) -> i64) {
    primitive::<T, i64>(array, out, i64::MIN, f);
}

fn ints<T: ArrowPrimitiveType>(array: &ArrayRef, out: &mut Vec<i64>, f: impl Fn(T::Native) -> i64) {
    // Integer columns are gathered as integers only without nulls: 0 never shows.
    primitive::<T, i64>(array, out, 0, f);
}

fn text<'a>(values: impl Iterator<Item = Option<&'a str>>, out: &mut Vec<Option<String>>) {
    out.extend(values.map(|v| v.map(str::to_owned)));
}

/// What a column of `data_type` becomes, or None for a type the engine has no use for.
fn empty_column(data_type: &DataType, has_nulls: bool) -> Option<Gathered> {
    use DataType::*;
    Some(match data_type {
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 if !has_nulls => {
            Gathered::Ints(Vec::new())
        }
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | Float16 | Float32 | Float64
        | Boolean | Null => Gathered::Floats(Vec::new()),
        // Beyond int64 (ids, in practice): exact as decimal text.
        UInt64 => Gathered::Text(Vec::new()),
        Date32 | Date64 | Timestamp(_, _) => Gathered::Days(Vec::new()),
        Utf8 | LargeUtf8 | Utf8View => Gathered::Text(Vec::new()),
        _ => return None,
    })
}

/// Days since 1970-01-01 of a timestamp in `per_day` units per day (floored, so times before
/// the epoch fall on their own day).
fn day_of(value: i64, per_day: i64) -> i64 {
    value.div_euclid(per_day)
}

fn append(column: &mut Gathered, array: &ArrayRef) {
    use DataType as D;
    match (column, array.data_type()) {
        (Gathered::Ints(out), t) => match t {
            D::Int8 => ints::<Int8Type>(array, out, i64::from),
            D::Int16 => ints::<Int16Type>(array, out, i64::from),
            D::Int32 => ints::<Int32Type>(array, out, i64::from),
            D::Int64 => ints::<Int64Type>(array, out, |v| v),
            D::UInt8 => ints::<UInt8Type>(array, out, i64::from),
            D::UInt16 => ints::<UInt16Type>(array, out, i64::from),
            D::UInt32 => ints::<UInt32Type>(array, out, i64::from),
            _ => unreachable!("integer columns are gathered as integers"),
        },
        (Gathered::Floats(out), t) => match t {
            D::Int8 => floats::<Int8Type>(array, out, f64::from),
            D::Int16 => floats::<Int16Type>(array, out, f64::from),
            D::Int32 => floats::<Int32Type>(array, out, f64::from),
            D::Int64 => floats::<Int64Type>(array, out, |v| v as f64),
            D::UInt8 => floats::<UInt8Type>(array, out, f64::from),
            D::UInt16 => floats::<UInt16Type>(array, out, f64::from),
            D::UInt32 => floats::<UInt32Type>(array, out, f64::from),
            D::Float16 => floats::<Float16Type>(array, out, f64::from),
            D::Float32 => floats::<Float32Type>(array, out, f64::from),
            D::Float64 => floats::<Float64Type>(array, out, |v| v),
            D::Boolean => {
                let a = array.as_boolean();
                out.extend((0..a.len()).map(|i| {
                    if a.is_null(i) {
                        f64::NAN
                    } else {
                        f64::from(u8::from(a.value(i)))
                    }
                }));
            }
            _ => out.extend(std::iter::repeat_n(f64::NAN, array.len())),
        },
        (Gathered::Days(out), t) => match t {
            D::Date32 => days::<Date32Type>(array, out, i64::from),
            D::Date64 => days::<Date64Type>(array, out, |ms| day_of(ms, 86_400_000)),
            D::Timestamp(TimeUnit::Second, _) => {
                days::<TimestampSecondType>(array, out, |v| day_of(v, 86_400))
            }
            D::Timestamp(TimeUnit::Millisecond, _) => {
                days::<TimestampMillisecondType>(array, out, |v| day_of(v, 86_400_000))
            }
            D::Timestamp(TimeUnit::Microsecond, _) => {
                days::<TimestampMicrosecondType>(array, out, |v| day_of(v, 86_400_000_000))
            }
            D::Timestamp(TimeUnit::Nanosecond, _) => {
                days::<TimestampNanosecondType>(array, out, |v| day_of(v, 86_400_000_000_000))
            }
            _ => unreachable!("date columns are gathered as days"),
        },
        (Gathered::Text(out), t) => match t {
            D::Utf8 => text(array.as_string::<i32>().iter(), out),
            D::LargeUtf8 => text(array.as_string::<i64>().iter(), out),
            D::Utf8View => text(array.as_string_view().iter(), out),
            D::UInt64 => {
                let a = array.as_primitive::<UInt64Type>();
                out.extend(a.iter().map(|v| v.map(|v| v.to_string())));
            }
            _ => unreachable!("text columns are gathered as text"),
        },
    }
}

/// A column as plain values: a dictionary-encoded array is expanded to its value type (a
/// null key, or a key pointing at a null value, becomes a null); others are returned as they
/// are.
fn decoded(array: &ArrayRef, name: &str, source: &str) -> PyResult<ArrayRef> {
    match array.data_type() {
        DataType::Dictionary(_, values) => arrow_cast::cast(array, values)
            .map_err(|e| {
                input_error(
                    source,
                    format!("column '{name}': decoding its dictionary: {e}"),
                )
            })
            .py_err(),
        _ => Ok(array.clone()),
    }
}

/// The columns of `batches` as `(name, kind, data)` entries.
fn columns_to_python<'py>(
    py: Python<'py>,
    batches: &[RecordBatch],
    schema: &arrow_schema::Schema,
    source: &str,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for (index, field) in schema.fields().iter().enumerate() {
        let arrays = batches
            .iter()
            .map(|b| decoded(b.column(index), field.name(), source))
            .collect::<PyResult<Vec<ArrayRef>>>()?;
        let data_type = match field.data_type() {
            DataType::Dictionary(_, values) => values.as_ref(),
            t => t,
        };
        let has_nulls = arrays.iter().any(|a| a.null_count() > 0);
        let Some(mut column) = empty_column(data_type, has_nulls) else {
            return Err(input_error(
                source,
                format!(
                    "column '{}': Arrow type {} is not supported (numbers, booleans, text, \
                     dates and timestamps are)",
                    field.name(),
                    field.data_type()
                ),
            ))
            .py_err();
        };
        for array in &arrays {
            append(&mut column, array);
        }
        let (kind, data): (&str, Bound<'py, PyAny>) = match column {
            Gathered::Floats(v) => ("f64", f64_bytes(py, &v).into_any()),
            Gathered::Ints(v) => ("i64", i64_bytes(py, &v).into_any()),
            Gathered::Days(v) => ("date", i64_bytes(py, &v).into_any()),
            Gathered::Text(v) => ("str", PyList::new(py, v)?.into_any()),
        };
        out.append((field.name().as_str(), kind, data))?;
    }
    Ok(out)
}

/// Reads an object with the Arrow PyCapsule interface: the capsule of `__arrow_c_stream__`
/// (`stream`) or the pair of `__arrow_c_array__` (`schema`, `array`). Returns its columns as
/// `(name, kind, data)`; `source` names the table in messages.
#[pyfunction]
#[pyo3(signature = (source, stream=None, schema=None, array=None))]
pub fn read_arrow<'py>(
    py: Python<'py>,
    source: &str,
    stream: Option<Bound<'py, PyCapsule>>,
    schema: Option<Bound<'py, PyCapsule>>,
    array: Option<Bound<'py, PyCapsule>>,
) -> PyResult<Bound<'py, PyList>> {
    let (schema, batches) = match (stream, schema, array) {
        (Some(stream), None, None) => stream_batches(&stream, source)?,
        (None, Some(schema), Some(array)) => {
            let batch = array_batch(&schema, &array, source)?;
            (batch.schema(), vec![batch])
        }
        _ => {
            return Err(ClvError::InvalidParameter(
                "read_arrow takes a stream capsule, or a schema and an array capsule".into(),
            ))
            .py_err();
        }
    };
    columns_to_python(py, &batches, &schema, source)
}

/// The first column of the table in an `arrow_array_stream` capsule as text: strings of any
/// Arrow string type, integers in decimal, dictionary-encoded ones decoded; nulls are empty
/// values (the summaries refuse or reject an empty id, naming its row). One buffer copy, no
/// per-row allocation: the fast way for the ids of millions of orders.
pub fn text_column(capsule: &Bound<'_, PyCapsule>, source: &str) -> PyResult<TextColumn> {
    let (schema, batches) = stream_batches(capsule, source)?;
    let name = schema.fields().first().map_or("", |f| f.name().as_str());
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut text = String::new();
    let mut offsets = Vec::with_capacity(rows + 1);
    offsets.push(0);
    for batch in &batches {
        let Some(column) = batch.columns().first() else {
            return Err(input_error(source, "an Arrow table without columns".into())).py_err();
        };
        let strings = arrow_cast::cast(column, &DataType::LargeUtf8)
            .map_err(|e| input_error(source, format!("column '{name}' as text: {e}")))
            .py_err()?;
        let strings = strings.as_string::<i64>();
        if strings.null_count() == 0 {
            // The whole batch's text at once, its offsets shifted to the buffer's end.
            let o = strings.value_offsets();
            let (first, last) = (o[0] as usize, o[o.len() - 1] as usize);
            let base = text.len();
            text.push_str(
                std::str::from_utf8(&strings.values()[first..last])
                    .map_err(|e| input_error(source, format!("column '{name}': {e}")))
                    .py_err()?,
            );
            offsets.extend(o[1..].iter().map(|&x| base + x as usize - first));
        } else {
            for value in strings.iter() {
                text.push_str(value.unwrap_or(""));
                offsets.push(text.len());
            }
        }
    }
    TextColumn::from_parts(text, offsets).py_err()
}
