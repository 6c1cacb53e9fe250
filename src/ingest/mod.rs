//! Ingestion: streaming a transaction CSV into typed rows, every row used or rejected.
//!
//! [`read_transactions`] reads one record at a time into a reused `csv::ByteRecord` and hands
//! each usable row to a callback, so memory does not grow with the number of rows. A row is
//! rejected, with a reason, for a wrong column count, an empty customer id, a date that does
//! not parse, a non-numeric, non-finite or negative amount, or a date after the observation
//! end. With [`OnError::Fail`] the first rejection is an error naming file, line, column and
//! value; with [`OnError::Skip`] it is counted and kept in [`RowAccounting::rejections`].
//! Whole-input problems (no header, a missing column, bytes that are not UTF-8) are always
//! errors.
//!
//! [`lines`] is a second, faster reader for the common case of a file without quotes: it
//! splits plain lines itself and applies exactly the same checks, so that a file can be read
//! in parallel chunks (see `features::builder`).

pub mod date;
pub mod lines;
pub mod parquet;

use std::collections::BTreeMap;
use std::io::Read;

use chrono::NaiveDate;
use csv::ByteRecord;
use serde::Serialize;

use crate::error::{ClvError, Result};
pub use date::{DateParser, check_date_format, date_to_day, day_to_date};

/// What to do with a row that cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Stop at the first bad row with an error naming it.
    #[default]
    Fail,
    /// Reject the row with a reason and go on.
    Skip,
}

/// How to read a transaction file.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub customer_col: String,
    pub date_col: String,
    pub amount_col: String,
    /// A strftime pattern; `None` accepts ISO dates, ISO datetimes and `%Y%m%d`.
    pub date_format: Option<String>,
    pub on_error: OnError,
    /// Rows dated after this day are rejected.
    pub observation_end: Option<NaiveDate>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            customer_col: "customer_id".into(),
            date_col: "date".into(),
            amount_col: "amount".into(),
            date_format: None,
            on_error: OnError::Fail,
            observation_end: None,
        }
    }
}

/// One rejected row: 1-based line (a Parquet file's 1-based row), the offending column and
/// value, why, and the row itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    pub line: u64,
    pub column: String,
    pub value: String,
    pub reason: String,
    pub raw: String,
    /// Where in a Parquet input: file, row group and row (from 0); `None` for text input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// Where every input row went: `rows_read == rows_used + rows_rejected`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RowAccounting {
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_rejected: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
    pub rejections: Vec<Rejection>,
}

impl RowAccounting {
    /// One line: `read N rows: U used, R rejected (reason: n, ...)`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "read {} rows: {} used, {} rejected",
            self.rows_read, self.rows_used, self.rows_rejected
        );
        if !self.rejected_by_reason.is_empty() {
            let parts: Vec<String> = self
                .rejected_by_reason
                .iter()
                .map(|(r, n)| format!("{r}: {n}"))
                .collect();
            s.push_str(&format!(" ({})", parts.join(", ")));
        }
        s
    }

    /// Writes the rejected rows as CSV: `line,column,value,reason,raw`, then `location` when
    /// the input was Parquet.
    pub fn write_rejections_csv<W: std::io::Write>(&self, w: W) -> Result<()> {
        let mut out = csv::Writer::from_writer(w);
        let located = self.rejections.iter().any(|r| r.location.is_some());
        let mut header = vec!["line", "column", "value", "reason", "raw"];
        if located {
            header.push("location");
        }
        out.write_record(&header)?;
        for r in &self.rejections {
            let line = r.line.to_string();
            let mut rec = vec![line.as_str(), &r.column, &r.value, &r.reason, &r.raw];
            if located {
                rec.push(r.location.as_deref().unwrap_or(""));
            }
            out.write_record(&rec)?;
        }
        out.flush()?;
        Ok(())
    }
}

/// Reasons a row is rejected, as counted in [`RowAccounting::rejected_by_reason`].
pub mod reason {
    pub const COLUMN_COUNT: &str = "wrong column count";
    pub const EMPTY_ID: &str = "empty customer id";
    pub const BAD_DATE: &str = "unparsable date";
    pub const BAD_AMOUNT: &str = "non-numeric amount";
    pub const NON_FINITE_AMOUNT: &str = "non-finite amount";
    pub const NEGATIVE_AMOUNT: &str = "negative amount (refund)";
    pub const AFTER_END: &str = "date after observation end";
}

/// A usable row, borrowed from the reader's buffer.
pub struct Row<'a> {
    /// 1-based line number of the row in the file.
    pub line: u64,
    pub customer: &'a str,
    /// Days since 1970-01-01 (see [`day_to_date`]).
    pub day: i32,
    pub amount: f64,
    fields: &'a dyn Fields,
    extra_idx: &'a [usize],
}

impl Row<'_> {
    /// Number of extra columns.
    pub fn extra_count(&self) -> usize {
        self.extra_idx.len()
    }

    /// Value of the `i`-th extra column (in [`Header::extra_columns`] order).
    pub fn extra(&self, i: usize) -> &str {
        self.extra_idx
            .get(i)
            .filter(|&&j| j < self.fields.count())
            .and_then(|&j| std::str::from_utf8(self.fields.field(j)).ok())
            .unwrap_or("")
    }
}

impl std::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row")
            .field("line", &self.line)
            .field("customer", &self.customer)
            .field("day", &self.day)
            .field("amount", &self.amount)
            .finish_non_exhaustive()
    }
}

/// The fields of one record, whether held by the CSV reader or split from a plain line.
pub(crate) trait Fields {
    fn count(&self) -> usize;
    /// Field `i`; callers check `i < count()`.
    fn field(&self, i: usize) -> &[u8];
}

impl Fields for ByteRecord {
    fn count(&self) -> usize {
        self.len()
    }
    fn field(&self, i: usize) -> &[u8] {
        &self[i]
    }
}

/// What the header line said.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Names of the columns other than customer, date and amount, in file order.
    pub extra_columns: Vec<String>,
}

fn column_index(names: &[String], wanted: &str, file: &str) -> Result<usize> {
    names.iter().position(|n| n == wanted).ok_or_else(|| {
        ClvError::input(
            file,
            format!(
                "missing column '{wanted}' (columns are: {}); name it with the column flags",
                names.join(", ")
            ),
        )
    })
}

/// Text of a record for the rejects file, fields re-quoted where needed.
fn raw_text(rec: &dyn Fields) -> String {
    let fields: Vec<String> = (0..rec.count())
        .map(|i| rec.field(i))
        .map(|f| {
            let s = String::from_utf8_lossy(f);
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.into_owned()
            }
        })
        .collect();
    fields.join(",")
}

/// Streams transactions from `r`, calling `on_row` for each usable row; `source_name` names the
/// input in messages. The callback is called once [`Header`] is known via `on_header`.
pub fn read_transactions<R: Read>(
    r: R,
    source_name: &str,
    opts: &ReadOptions,
    on_header: impl FnOnce(&Header),
    mut on_row: impl FnMut(&Row<'_>),
) -> Result<RowAccounting> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(r);
    let io_err = |e: csv::Error| ClvError::input(source_name, format!("cannot read: {e}"));
    let header_bytes = rdr.byte_headers().map_err(io_err)?.clone();
    let cols = Columns::from_header(&header_bytes, source_name, opts)?;
    on_header(&cols.header());
    let Columns {
        names,
        id_col,
        date_col,
        amount_col,
        extra_idx,
    } = cols;

    let end_day = opts.observation_end.map(date_to_day);
    let mut dates = DateParser::new(opts.date_format.as_deref());
    let mut acc = RowAccounting::default();
    let mut rec = ByteRecord::new();
    let ncols = names.len();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(io_err(e)),
        }
        acc.rows_read += 1;
        let line = rec.position().map_or(acc.rows_read + 1, |p| p.line());
        if std::str::from_utf8(rec.as_slice()).is_err() {
            return Err(ClvError::input(
                source_name,
                format!("line {line}: not valid UTF-8 text (convert the file to UTF-8)"),
            ));
        }
        let checked = check_row(
            &rec,
            ncols,
            [id_col, date_col, amount_col],
            &names,
            &mut dates,
            end_day,
        );
        match checked {
            Ok((day, amount)) => {
                // Validated as UTF-8 above, so this cannot fail.
                let customer = std::str::from_utf8(rec[id_col].trim_ascii()).unwrap_or("");
                acc.rows_used += 1;
                on_row(&Row {
                    line,
                    customer,
                    day,
                    amount,
                    fields: &rec,
                    extra_idx: &extra_idx,
                });
            }
            Err((column, value, why)) => {
                if opts.on_error == OnError::Fail {
                    return Err(ClvError::BadRow {
                        file: source_name.to_string(),
                        line,
                        column,
                        value,
                        reason: why.to_string(),
                    });
                }
                acc.rows_rejected += 1;
                *acc.rejected_by_reason.entry(why.to_string()).or_insert(0) += 1;
                acc.rejections.push(Rejection {
                    line,
                    column,
                    value,
                    reason: why.to_string(),
                    raw: raw_text(&rec),
                    location: None,
                });
            }
        }
    }
    if acc.rows_read == 0 {
        return Err(ClvError::input(
            source_name,
            "empty input (a header line but no rows)",
        ));
    }
    Ok(acc)
}

/// The header's column names and where the needed columns are.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    pub names: Vec<String>,
    pub id_col: usize,
    pub date_col: usize,
    pub amount_col: usize,
    /// Columns other than id, date and amount, in file order.
    pub extra_idx: Vec<usize>,
}

impl Columns {
    /// Column layout from the header record (a UTF-8 byte-order mark and spaces ignored).
    pub fn from_header(header: &ByteRecord, source_name: &str, opts: &ReadOptions) -> Result<Self> {
        if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
            return Err(ClvError::input(source_name, "empty input (no header line)"));
        }
        let mut names = Vec::with_capacity(header.len());
        for (i, field) in header.iter().enumerate() {
            let field = if i == 0 {
                field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field)
            } else {
                field
            };
            let name = std::str::from_utf8(field).map_err(|_| {
                ClvError::input(source_name, "line 1: header is not valid UTF-8 text")
            })?;
            names.push(name.trim().to_string());
        }
        let id_col = column_index(&names, &opts.customer_col, source_name)?;
        let date_col = column_index(&names, &opts.date_col, source_name)?;
        let amount_col = column_index(&names, &opts.amount_col, source_name)?;
        let extra_idx: Vec<usize> = (0..names.len())
            .filter(|i| ![id_col, date_col, amount_col].contains(i))
            .collect();
        Ok(Columns {
            names,
            id_col,
            date_col,
            amount_col,
            extra_idx,
        })
    }

    pub fn header(&self) -> Header {
        Header {
            extra_columns: self
                .extra_idx
                .iter()
                .map(|&i| self.names[i].clone())
                .collect(),
        }
    }
}

/// An amount: digits with an optional decimal point are converted exactly here (an integer
/// below 2^53 divided by an exact power of ten is correctly rounded, so the result equals
/// `str::parse`); anything else goes to `str::parse`.
pub(crate) fn parse_amount(text: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let mut mantissa = 0u64;
    let mut digits = 0usize;
    let mut decimals = None;
    for (i, &c) in text.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += 1;
                if digits > 15 {
                    return slow_amount(text);
                }
            }
            b'.' if decimals.is_none() => decimals = Some(i),
            _ => return slow_amount(text),
        }
    }
    if digits == 0 {
        return slow_amount(text);
    }
    let scale = decimals.map_or(0, |d| text.len() - d - 1);
    Some(mantissa as f64 / POW10[scale])
}

fn slow_amount(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.parse::<f64>().ok()
}

type RowProblem = (String, String, &'static str);

/// Day and amount of a row, or the column, value and reason it is rejected for.
pub(crate) fn check_row(
    rec: &dyn Fields,
    ncols: usize,
    [id_col, date_col, amount_col]: [usize; 3],
    names: &[String],
    dates: &mut DateParser,
    end_day: Option<i32>,
) -> std::result::Result<(i32, f64), RowProblem> {
    let text = |i: usize| String::from_utf8_lossy(rec.field(i)).into_owned();
    if rec.count() != ncols {
        return Err((
            "*".into(),
            format!("{} fields, header has {ncols}", rec.count()),
            reason::COLUMN_COUNT,
        ));
    }
    if rec.field(id_col).trim_ascii().is_empty() {
        return Err((names[id_col].clone(), text(id_col), reason::EMPTY_ID));
    }
    let Some(day) = dates.parse(rec.field(date_col)) else {
        return Err((names[date_col].clone(), text(date_col), reason::BAD_DATE));
    };
    let amount = match parse_amount(rec.field(amount_col).trim_ascii()).ok_or(()) {
        Err(_) => {
            return Err((
                names[amount_col].clone(),
                text(amount_col),
                reason::BAD_AMOUNT,
            ));
        }
        Ok(a) if !a.is_finite() => {
            return Err((
                names[amount_col].clone(),
                text(amount_col),
                reason::NON_FINITE_AMOUNT,
            ));
        }
        Ok(a) if a < 0.0 => {
            return Err((
                names[amount_col].clone(),
                text(amount_col),
                reason::NEGATIVE_AMOUNT,
            ));
        }
        Ok(a) => a,
    };
    if end_day.is_some_and(|e| day > e) {
        return Err((names[date_col].clone(), text(date_col), reason::AFTER_END));
    }
    Ok((day, amount))
}
