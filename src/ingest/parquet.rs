//! Reading Parquet: one file or a folder of `*.parquet` files, with row groups as the units
//! of parallel work, columns found by name, and cells read as text, numbers or days whatever
//! the column's physical type.
//!
//! [`ParquetFiles`] opens the files' footers once; [`ParquetFiles::read`] decodes one row
//! group (in any thread). [`scan_transactions`] checks a row group's transactions exactly as
//! the CSV readers check a line (same reasons, same accounting); a bad value is named by file,
//! row group and row (both counted from 0, as Parquet tools count) and column.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, RecordBatch};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, TimeUnit as ArrowUnit};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};

use super::{DateParser, Fields, OnError, ReadOptions, Rejection, day_to_date, raw_text, reason};
use crate::error::{ClvError, Result};

/// Whether `path` is read as Parquet: a `.parquet` file or a folder (of `*.parquet` files).
pub fn is_parquet_path(path: &Path) -> bool {
    path.is_dir()
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// One row group of one file: the unit of parallel reading.
#[derive(Debug, Clone, Copy)]
pub struct Unit {
    pub file: usize,
    pub row_group: usize,
    pub rows: u64,
    /// Rows of the file before this group.
    pub first_row: u64,
    /// Compressed bytes of its column chunks (for progress).
    pub bytes: u64,
}

/// Parquet files with the same columns, their footers read.
pub struct ParquetFiles {
    files: Vec<(PathBuf, String, ArrowReaderMetadata)>,
    /// Column names (top-level fields), the same in every file.
    pub names: Vec<String>,
}

impl ParquetFiles {
    /// Opens `path`: a Parquet file, or a folder whose `*.parquet` files (sorted by name) are
    /// read as one table; every file must have the first one's column names.
    pub fn open(path: &Path) -> Result<Self> {
        let shown = path.display().to_string();
        let paths = if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| ClvError::input(&shown, format!("cannot read folder: {e}")))?;
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
                })
                .collect();
            paths.sort();
            if paths.is_empty() {
                return Err(ClvError::input(&shown, "folder without *.parquet files"));
            }
            paths
        } else {
            vec![path.to_path_buf()]
        };
        let mut files = Vec::with_capacity(paths.len());
        let mut names: Option<Vec<String>> = None;
        for p in paths {
            let name = p.display().to_string();
            let file =
                File::open(&p).map_err(|e| ClvError::input(&name, format!("cannot open: {e}")))?;
            let meta = ArrowReaderMetadata::load(&file, Default::default())
                .map_err(|e| ClvError::input(&name, format!("not a readable Parquet file: {e}")))?;
            let these: Vec<String> = meta
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().trim().to_string())
                .collect();
            match &names {
                None => names = Some(these),
                Some(first) if *first != these => {
                    return Err(ClvError::input(
                        &name,
                        format!(
                            "columns {} differ from the first file's ({})",
                            these.join(", "),
                            first.join(", ")
                        ),
                    ));
                }
                Some(_) => {}
            }
            files.push((p, name, meta));
        }
        Ok(ParquetFiles {
            files,
            names: names.unwrap_or_default(),
        })
    }

    /// The name of file `i` in messages.
    pub fn file_name(&self, i: usize) -> &str {
        &self.files[i].1
    }

    /// How `path` is named in messages about the whole input.
    pub fn describe(&self) -> String {
        match self.files.as_slice() {
            [(_, name, _)] => name.clone(),
            all => format!("{} Parquet files", all.len()),
        }
    }

    /// Every row group of every file, in file order.
    pub fn units(&self) -> Vec<Unit> {
        let mut units = Vec::new();
        for (file, (_, _, meta)) in self.files.iter().enumerate() {
            let mut first_row = 0u64;
            for (row_group, rg) in meta.metadata().row_groups().iter().enumerate() {
                let rows = rg.num_rows().max(0) as u64;
                units.push(Unit {
                    file,
                    row_group,
                    rows,
                    first_row,
                    bytes: rg.compressed_size().max(0) as u64,
                });
                first_row += rows;
            }
        }
        units
    }

    /// The index of column `wanted`, or an error naming the columns there are; `hint` says
    /// what to do about it.
    pub fn column(&self, wanted: &str, hint: &str) -> Result<usize> {
        self.names.iter().position(|n| n == wanted).ok_or_else(|| {
            ClvError::input(
                self.describe(),
                format!(
                    "missing column '{wanted}' (columns are: {}); {hint}",
                    self.names.join(", ")
                ),
            )
        })
    }

    /// The data type of column `i` (that of the first file; every file is checked when read).
    pub fn data_type(&self, i: usize) -> &DataType {
        self.files[0].2.schema().field(i).data_type()
    }

    /// Decodes the row group `unit`, columns `columns` only (indexes into [`Self::names`]),
    /// as record batches whose columns are in file order.
    pub fn read(&self, unit: &Unit, columns: &[usize]) -> Result<Vec<RecordBatch>> {
        let (path, name, meta) = &self.files[unit.file];
        let err = |e: &dyn std::fmt::Display| {
            ClvError::input(
                name,
                format!("row group {}: cannot read: {e}", unit.row_group),
            )
        };
        let file = File::open(path).map_err(|e| err(&e))?;
        let mask = ProjectionMask::roots(meta.metadata().file_metadata().schema_descr(), {
            let mut c = columns.to_vec();
            c.sort_unstable();
            c
        });
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
            .with_row_groups(vec![unit.row_group])
            .with_projection(mask)
            .with_batch_size(unit.rows.clamp(1, 1 << 20) as usize)
            .build()
            .map_err(|e| err(&e))?;
        reader
            .map(|b| b.map_err(|e| err(&e)))
            .collect::<Result<Vec<_>>>()
    }
}

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

/// Where the transaction columns are.
#[derive(Debug, Clone)]
pub struct TransactionColumns {
    pub id: usize,
    pub date: usize,
    pub amount: usize,
    /// The other columns, in file order.
    pub extras: Vec<usize>,
}

impl TransactionColumns {
    /// The columns named in `opts`, their types checked.
    pub fn find(files: &ParquetFiles, opts: &ReadOptions) -> Result<Self> {
        let hint = "name it with the column flags";
        let id = files.column(&opts.customer_col, hint)?;
        let date = files.column(&opts.date_col, hint)?;
        let amount = files.column(&opts.amount_col, hint)?;
        check_type(files, id, Use::Id, ID_TYPES)?;
        check_type(files, date, Use::Date, DATE_TYPES)?;
        check_type(files, amount, Use::Number, AMOUNT_TYPES)?;
        let extras: Vec<usize> = (0..files.names.len())
            .filter(|i| ![id, date, amount].contains(i))
            .collect();
        for &e in &extras {
            check_type(files, e, Use::Any, ANY_TYPES)?;
        }
        Ok(TransactionColumns {
            id,
            date,
            amount,
            extras,
        })
    }

    /// Every column read: all of them.
    pub fn all(&self) -> Vec<usize> {
        let mut all = vec![self.id, self.date, self.amount];
        all.extend(&self.extras);
        all
    }
}

/// One decoded batch of transactions: the id column and the extras, kept for the rows'
/// customers to be updated after the checks.
pub struct Batch {
    pub id: CellColumn,
    pub extras: Vec<CellColumn>,
    /// Rows of the row group before this batch.
    pub offset: u64,
}

/// The text of an id cell (integers written into `buf`).
pub fn id_text<'a>(cell: Cell<'a>, buf: &'a mut String) -> &'a str {
    match cell {
        Cell::Text(s) => s.trim_ascii(),
        Cell::Int(v) => {
            buf.clear();
            use std::fmt::Write as _;
            let _ = write!(buf, "{v}");
            buf.as_str()
        }
        _ => "",
    }
}

/// What a scan of one row group found.
#[derive(Default)]
pub struct UnitScan {
    pub rows_read: u64,
    pub rows_used: u64,
    pub rejected_by_reason: BTreeMap<&'static str, u64>,
    pub rejections: Vec<Rejection>,
    /// The first bad value with `--on-error fail`, or a read failure.
    pub error: Option<ClvError>,
    pub batches: Vec<Batch>,
}

/// A good row: its batch, its row in the batch, day and amount.
#[derive(Debug, Clone, Copy)]
pub struct GoodCell {
    pub batch: u32,
    pub row: u32,
    pub day: i32,
    pub amount: f64,
}

/// The row's cells as text, for the rejects file.
struct RowText(Vec<Vec<u8>>);

impl Fields for RowText {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn field(&self, i: usize) -> &[u8] {
        &self.0[i]
    }
}

/// Checks the transactions of row group `unit` as a CSV line is checked, calling `on_row`
/// with the id of each good row. Problems land in the result (the first fatal one stops it).
pub fn scan_transactions(
    files: &ParquetFiles,
    unit: &Unit,
    cols: &TransactionColumns,
    dates: &mut DateParser,
    end_day: Option<i32>,
    on_error: OnError,
    mut on_row: impl FnMut(&str, GoodCell),
) -> UnitScan {
    let mut scan = UnitScan::default();
    let file = files.file_name(unit.file);
    let names = &files.names;
    let batches = match files.read(unit, &cols.all()) {
        Ok(b) => b,
        Err(e) => {
            scan.error = Some(e);
            return scan;
        }
    };
    let mut offset = 0u64;
    let mut id_buf = String::new();
    let mut date_buf = String::new();
    for (b, batch) in batches.iter().enumerate() {
        let column = |i: usize, what, needs| batch_column(batch, &names[i], what, file, needs);
        let got = (|| {
            Ok::<_, ClvError>((
                column(cols.id, Use::Id, ID_TYPES)?,
                column(cols.date, Use::Date, DATE_TYPES)?,
                column(cols.amount, Use::Number, AMOUNT_TYPES)?,
                cols.extras
                    .iter()
                    .map(|&e| column(e, Use::Any, ANY_TYPES))
                    .collect::<Result<Vec<_>>>()?,
            ))
        })();
        let (ids, days, amounts, extras) = match got {
            Ok(c) => c,
            Err(e) => {
                scan.error = Some(e);
                return scan;
            }
        };
        for row in 0..batch.num_rows() {
            scan.rows_read += 1;
            let id_cell = ids.get(row);
            let checked = check_cells(
                [id_cell, days.get(row), amounts.get(row)],
                dates,
                &mut date_buf,
                end_day,
            );
            match checked {
                Ok((day, amount)) => {
                    scan.rows_used += 1;
                    on_row(
                        id_text(id_cell, &mut id_buf),
                        GoodCell {
                            batch: b as u32,
                            row: row as u32,
                            day,
                            amount,
                        },
                    );
                }
                Err((which, value, why)) => {
                    let column = names[[cols.id, cols.date, cols.amount][which]].clone();
                    let in_group = offset + row as u64;
                    if on_error == OnError::Fail {
                        scan.error = Some(ClvError::BadCell {
                            file: file.to_string(),
                            row_group: unit.row_group,
                            row: in_group,
                            column,
                            value,
                            reason: why.to_string(),
                        });
                        return scan;
                    }
                    *scan.rejected_by_reason.entry(why).or_insert(0) += 1;
                    let mut cells = vec![Vec::new(); names.len()];
                    cells[cols.id] = id_cell.to_text().into_bytes();
                    cells[cols.date] = days.get(row).to_text().into_bytes();
                    cells[cols.amount] = amounts.get(row).to_text().into_bytes();
                    for (&e, x) in cols.extras.iter().zip(&extras) {
                        cells[e] = x.get(row).to_text().into_bytes();
                    }
                    scan.rejections.push(Rejection {
                        line: unit.first_row + in_group + 1,
                        column,
                        value,
                        reason: why.to_string(),
                        raw: raw_text(&RowText(cells)),
                        location: Some(format!(
                            "{file}: row group {}, row {in_group}",
                            unit.row_group
                        )),
                    });
                }
            }
        }
        scan.batches.push(Batch {
            id: ids,
            extras,
            offset,
        });
        offset += batch.num_rows() as u64;
    }
    scan
}

/// Day and amount of a row's id, date and amount cells, or which of the three is bad (0, 1,
/// 2), its value and the reason: the checks of `check_row` on typed cells.
fn check_cells(
    [id, date, amount]: [Cell<'_>; 3],
    dates: &mut DateParser,
    buf: &mut String,
    end_day: Option<i32>,
) -> std::result::Result<(i32, f64), (usize, String, &'static str)> {
    let empty_id = match id {
        Cell::Text(s) => s.trim_ascii().is_empty(),
        Cell::Int(_) => false,
        _ => true,
    };
    if empty_id {
        return Err((0, id.shown(), reason::EMPTY_ID));
    }
    let day = match date {
        Cell::Day(d) => Some(d),
        Cell::Text(s) => dates.parse(s.as_bytes()),
        Cell::Int(v) => {
            buf.clear();
            use std::fmt::Write as _;
            let _ = write!(buf, "{v}");
            dates.parse(buf.as_bytes())
        }
        _ => None,
    };
    let Some(day) = day else {
        return Err((1, date.shown(), reason::BAD_DATE));
    };
    let value = match amount {
        Cell::Number(v) => Some(v),
        Cell::Int(v) => Some(v as f64),
        Cell::Text(s) => super::parse_amount(s.trim_ascii().as_bytes()),
        _ => None,
    };
    let a = match value {
        None => return Err((2, amount.shown(), reason::BAD_AMOUNT)),
        Some(a) if !a.is_finite() => return Err((2, amount.shown(), reason::NON_FINITE_AMOUNT)),
        Some(a) if a < 0.0 => return Err((2, amount.shown(), reason::NEGATIVE_AMOUNT)),
        Some(a) => a,
    };
    if end_day.is_some_and(|e| day > e) {
        return Err((1, date.shown(), reason::AFTER_END));
    }
    Ok((day, a))
}
