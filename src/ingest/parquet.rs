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

use arrow_array::RecordBatch;
use arrow_schema::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};

use super::{DateParser, Fields, OnError, ReadOptions, Rejection, raw_text, reason};
use crate::error::{ClvError, Result};

mod cells;
pub use cells::*;

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
