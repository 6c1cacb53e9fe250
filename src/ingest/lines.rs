//! A fast reader for plain CSV text: lines split at `\n` (a `\r` before it dropped), fields
//! split at `,`, each row checked exactly as [`read_transactions`](super::read_transactions)
//! checks it.
//!
//! It handles only text without quoting: a `"` anywhere, or a `\r` not followed by `\n` (an
//! old-Mac line end), makes it give up ([`Scan::unsupported`]) so the caller reads the input
//! with the full CSV reader instead. Without quotes a record is exactly one line, which is what
//! lets a file be cut at newlines into chunks that are read independently. Empty lines are
//! skipped, as the CSV reader skips them. Line numbers in a scan count from the chunk's start
//! and are made absolute by the caller, who knows how many lines came before.

use std::collections::BTreeMap;

use super::{Columns, DateParser, Fields, OnError, Rejection, check_row, raw_text};

/// A record split from one line: field `i` is `line[bounds[i].0..bounds[i].1]`.
pub(crate) struct SplitLine<'a> {
    pub line: &'a [u8],
    pub bounds: &'a [(u32, u32)],
}

impl Fields for SplitLine<'_> {
    fn count(&self) -> usize {
        self.bounds.len()
    }
    fn field(&self, i: usize) -> &[u8] {
        let (a, b) = self.bounds[i];
        &self.line[a as usize..b as usize]
    }
}

/// Splits `line` (no line end) at commas into `bounds`; `false` when it holds a quote or a
/// carriage return, which this reader does not handle.
#[inline]
pub(crate) fn split_fields(line: &[u8], bounds: &mut Vec<(u32, u32)>) -> bool {
    bounds.clear();
    let mut start = 0u32;
    for (i, &c) in line.iter().enumerate() {
        match c {
            b',' => {
                bounds.push((start, i as u32));
                start = i as u32 + 1;
            }
            b'"' | b'\r' => return false,
            _ => {}
        }
    }
    bounds.push((start, line.len() as u32));
    true
}

/// Finds the end of the line at the start of `rest` and splits it at commas in the same pass
/// (one look at each byte instead of two). Returns the line's length without its line end
/// (`\n`, or `\r\n`), the bytes it takes with its `\n`, whether it has that `\n`, and whether
/// it is plain: no quote, no carriage return but the one before the `\n` (as
/// [`split_fields`] requires). `bounds` is filled only for a plain line.
#[inline]
fn split_next_line(rest: &[u8], bounds: &mut Vec<(u32, u32)>) -> (usize, usize, bool, bool) {
    bounds.clear();
    let mut start = 0u32;
    let mut special = false;
    let mut i = 0usize;
    while i < rest.len() {
        match rest[i] {
            b'\n' => break,
            b',' => {
                bounds.push((start, i as u32));
                start = i as u32 + 1;
            }
            b'"' | b'\r' => special = true,
            _ => {}
        }
        i += 1;
    }
    let newline = i < rest.len();
    let consumed = if newline { i + 1 } else { i };
    let mut len = i;
    if len > 0 && rest[len - 1] == b'\r' {
        len -= 1;
    }
    let plain = !special || !rest[..len].iter().any(|&c| c == b'"' || c == b'\r');
    bounds.push((start.min(len as u32), len as u32));
    (len, consumed, newline, plain)
}

/// Why a scan stopped early; `line` counts from 1 at the chunk's first line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ScanError {
    /// A rejected row with `--on-error fail`.
    BadRow {
        line: u64,
        column: String,
        value: String,
        reason: &'static str,
    },
    /// Bytes that are not UTF-8 (always fatal).
    NotUtf8 { line: u64 },
}

/// What a scan of one chunk found. Rejection lines count from 1 at the chunk's first line.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Newlines consumed (the chunk's line count when it ends with a newline).
    pub newlines: u64,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rejected_by_reason: BTreeMap<&'static str, u64>,
    pub rejections: Vec<Rejection>,
    pub error: Option<ScanError>,
    /// A quote or lone carriage return was seen: the result is void.
    pub unsupported: bool,
}

/// A row that passed the checks: where its line starts in the chunk, its trimmed id's range
/// in the chunk, day and amount.
pub(crate) struct GoodRow {
    pub line_start: usize,
    pub id: (usize, usize),
    pub day: i32,
    pub amount: f64,
}

/// Scans `chunk` (whole lines; the last may lack its newline), calling `on_row` for each good
/// row. Stops at the first fatal problem (recorded in the result).
pub(crate) fn scan_chunk(
    chunk: &[u8],
    cols: &Columns,
    dates: &mut DateParser,
    end_day: Option<i32>,
    on_error: OnError,
    mut on_row: impl FnMut(GoodRow),
) -> Scan {
    let mut scan = Scan::default();
    // Checking the whole chunk at once is much faster than line by line; only a chunk that
    // fails is checked per line, to find the line to report.
    let all_utf8 = std::str::from_utf8(chunk).is_ok();
    let ncols = cols.names.len();
    let mut bounds = Vec::with_capacity(ncols + 1);
    let mut pos = 0usize;
    while pos < chunk.len() {
        let rest = &chunk[pos..];
        let (len, consumed, newline, plain) = split_next_line(rest, &mut bounds);
        let line = &rest[..len];
        let line_no = scan.newlines + 1;
        if newline {
            scan.newlines += 1;
        }
        let line_start = pos;
        pos += consumed;
        if line.is_empty() {
            continue;
        }
        if !plain {
            scan.unsupported = true;
            return scan;
        }
        scan.rows_read += 1;
        if !all_utf8 && std::str::from_utf8(line).is_err() {
            scan.error = Some(ScanError::NotUtf8 { line: line_no });
            return scan;
        }
        let rec = SplitLine {
            line,
            bounds: &bounds,
        };
        match check_row(
            &rec,
            ncols,
            [cols.id_col, cols.date_col, cols.amount_col],
            &cols.names,
            dates,
            end_day,
        ) {
            Ok((day, amount)) => {
                scan.rows_used += 1;
                let (a, b) = bounds[cols.id_col];
                let (a, b) = trimmed(line, a as usize, b as usize);
                on_row(GoodRow {
                    line_start,
                    id: (line_start + a, line_start + b),
                    day,
                    amount,
                });
            }
            Err((column, value, why)) => {
                if on_error == OnError::Fail {
                    scan.error = Some(ScanError::BadRow {
                        line: line_no,
                        column,
                        value,
                        reason: why,
                    });
                    return scan;
                }
                *scan.rejected_by_reason.entry(why).or_insert(0) += 1;
                scan.rejections.push(Rejection {
                    line: line_no,
                    column,
                    value,
                    reason: why.to_string(),
                    raw: raw_text(&rec),
                    location: None,
                });
            }
        }
    }
    scan
}

/// The range of `line[a..b]` without surrounding ASCII whitespace.
fn trimmed(line: &[u8], mut a: usize, mut b: usize) -> (usize, usize) {
    while a < b && line[a].is_ascii_whitespace() {
        a += 1;
    }
    while b > a && line[b - 1].is_ascii_whitespace() {
        b -= 1;
    }
    (a, b)
}

/// The text of extra column `i` of a row whose line starts at `line_start` in `chunk` (empty
/// when missing).
pub(crate) fn extra_field<'a>(
    chunk: &'a [u8],
    line_start: usize,
    column: usize,
    bounds: &mut Vec<(u32, u32)>,
) -> &'a str {
    let rest = &chunk[line_start..];
    let line = match rest.iter().position(|&c| c == b'\n') {
        Some(n) => &rest[..n],
        None => rest,
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !split_fields(line, bounds) || column >= bounds.len() {
        return "";
    }
    let (a, b) = bounds[column];
    std::str::from_utf8(&line[a as usize..b as usize]).unwrap_or("")
}

/// The line (from 1) of the record that csv reports at byte `pos` of `text`: csv gives the
/// end of the previous record, so line ends (blank lines) after it are skipped first.
pub(crate) fn line_of(text: &[u8], pos: u64) -> u64 {
    let mut p = (pos as usize).min(text.len());
    while p < text.len() && (text[p] == b'\n' || text[p] == b'\r') {
        p += 1;
    }
    1 + text[..p].iter().filter(|&&b| b == b'\n').count() as u64
}
