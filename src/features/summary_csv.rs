//! Summary CSV files: writing them (`clv summarize`) and reading them back for fitting.
//!
//! Column names are those `lifetimes` users know: `customer_id,frequency,recency,T,
//! monetary_value`, then `first_purchase,orders,total_spend`, the holdout columns
//! `frequency_holdout,monetary_value_holdout,duration_holdout` with a calibration end, and the
//! extra columns of the transaction file last.

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;

use super::Summary;
use crate::error::{ClvError, Result};
use crate::ingest::Fields;
use crate::ingest::lines::{SplitLine, line_of, split_fields};

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
}

impl SummaryTable {
    /// Checks a table built in memory (a DataFrame's columns) as [`read_summary_csv`] checks a
    /// file's rows: equal lengths, every number finite and >= 0, a possible history (x, t_x, T).
    /// `source` names the table in messages, and a row's "line" is its 1-based position.
    /// `recency` and `T` may both be empty: a spend-only table (frequency and monetary value,
    /// what Gamma-Gamma reads), whose histories are then not checked.
    pub fn check(&self, source: &str) -> Result<()> {
        let n = self.len();
        let spend_only = self.recency.is_empty() && self.t.is_empty();
        let required: Vec<(&str, &[f64])> = [
            ("frequency", self.frequency.as_slice()),
            ("recency", &self.recency),
            ("T", &self.t),
            ("monetary_value", &self.monetary_value),
        ]
        .into_iter()
        .filter(|(name, _)| !(spend_only && matches!(*name, "recency" | "T")))
        .collect();
        let optional = [
            ("weights", &self.weights),
            ("frequency_holdout", &self.holdout_frequency),
            ("duration_holdout", &self.holdout_duration),
        ];
        let columns: Vec<(&str, &[f64])> = required
            .iter()
            .copied()
            .chain(
                optional
                    .iter()
                    .filter_map(|(name, c)| c.as_deref().map(|c| (*name, c))),
            )
            .collect();
        if self.customer_id.len() != n || columns.iter().any(|(_, c)| c.len() != n) {
            return Err(ClvError::input(
                source,
                "columns of different lengths (every column needs one value per customer)",
            ));
        }
        if n == 0 {
            return Err(ClvError::input(source, "empty input (no customers)"));
        }
        let bad = |row: usize, column: &str, v: f64, reason: &str| ClvError::BadRow {
            file: source.into(),
            line: row as u64 + 1,
            column: column.into(),
            value: v.to_string(),
            reason: reason.into(),
        };
        for (name, column) in &columns {
            if let Some(row) = column.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(bad(row, name, column[row], "not a finite number >= 0"));
            }
        }
        for row in (0..n).filter(|_| !spend_only) {
            let history = (self.frequency[row], self.recency[row], self.t[row]);
            if let Some((col, v, reason)) = history_problem(history.0, history.1, history.2) {
                let column = ["frequency", "recency"][col];
                return Err(bad(row, column, v, &reason));
            }
        }
        Ok(())
    }
}

/// The peers' checks of a history (x, t_x, T): where one fails, the index of the column it
/// names (0 frequency, 1 recency), its value and the reason.
pub(crate) fn history_problem(x: f64, t_x: f64, t: f64) -> Option<(usize, f64, String)> {
    if x.fract() != 0.0 {
        return Some((0, x, "not a whole number of repeat purchases".into()));
    }
    if t_x > t * (1.0 + 1e-9) {
        return Some((
            1,
            t_x,
            format!("after T ({t}): the last purchase is later than the end"),
        ));
    }
    if x > 0.0 && t_x == 0.0 {
        return Some((
            1,
            t_x,
            format!("0 with {x} repeat purchases (they come after the first)"),
        ));
    }
    if x == 0.0 && t_x > 0.0 {
        return Some((1, t_x, "above 0 without repeat purchases".into()));
    }
    None
}

/// Reads a summary CSV as written by `clv summarize` (or by `lifetimes`): required columns
/// frequency, recency, T, monetary_value (customer_id, weights, frequency_holdout and
/// duration_holdout optional). Every value must be a finite number >= 0; errors name file,
/// line, column and value.
pub fn read_summary_csv(path: &Path) -> Result<SummaryTable> {
    let file = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| ClvError::input(&file, format!("cannot open: {e}")))?;
    read_summary_bytes(&bytes, &file)
}

/// [`read_summary_csv`] on any reader; `file` names it in messages.
pub fn read_summary<R: std::io::Read>(mut r: R, file: &str) -> Result<SummaryTable> {
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes)
        .map_err(|e| ClvError::input(file, format!("cannot read: {e}")))?;
    read_summary_bytes(&bytes, file)
}

/// Bodies above this size are parsed in parallel chunks (one row per line, no quotes).
const PARALLEL_BYTES: usize = 1 << 20;

/// Where the columns of a summary file are.
struct Layout {
    names: Vec<String>,
    /// frequency, recency, T, monetary_value.
    required: [usize; 4],
    customer_id: Option<usize>,
    /// weights, frequency_holdout, duration_holdout.
    optional: [Option<usize>; 3],
}

/// The rows of one chunk of the body (or one Parquet row group).
#[derive(Default)]
pub(crate) struct Rows {
    pub ids: Vec<String>,
    /// frequency, recency, T, monetary_value.
    pub required: [Vec<f64>; 4],
    /// weights, frequency_holdout, duration_holdout (empty where absent).
    pub optional: [Vec<f64>; 3],
}

fn read_summary_bytes(bytes: &[u8], file: &str) -> Result<SummaryTable> {
    read_summary_chunked(bytes, file, PARALLEL_BYTES)
}

/// Reads a summary, cutting quote-free bodies above `parallel_bytes` into parallel chunks.
fn read_summary_chunked(bytes: &[u8], file: &str, parallel_bytes: usize) -> Result<SummaryTable> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = rdr
        .byte_headers()
        .map_err(|e| ClvError::input(file, format!("cannot read: {e}")))?
        .clone();
    let layout = layout(&header, file)?;
    // The body starts after the header's line; files written by hand may quote fields (and
    // then a newline need not end a row), so only quote-free bodies are cut into chunks.
    let start = rdr.position().byte() as usize;
    let body = &bytes[start.min(bytes.len())..];
    let header_lines = bytes[..start.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64;
    let chunks = if body.len() > parallel_bytes && !body.contains(&b'"') {
        split_at_newlines(body, 4 * rayon::current_num_threads())
    } else {
        vec![body]
    };
    let parsed = match chunks[..] {
        // A small file is one chunk, read on this thread: starting the thread pool would cost
        // more than reading it (`clv fit` on the CDNOW sample, issue #13 item 4).
        [chunk] => vec![parse_rows(chunk, header_lines, &layout, file)],
        _ => parse_chunks(&chunks, header_lines, &layout, file),
    };
    let present = layout.optional.map(|o| o.is_some());
    let empty = ClvError::input(file, "empty input (a header line but no rows)");
    assemble(parsed, layout.customer_id.is_some(), present, empty)
}

/// [`parse_rows`] of each chunk in parallel, the chunks following `header_lines` lines.
fn parse_chunks(
    chunks: &[&[u8]],
    header_lines: u64,
    layout: &Layout,
    file: &str,
) -> Vec<Result<Rows>> {
    // Lines before each chunk, so that errors name the line in the whole file (counted in
    // parallel: this is a pass over the whole body).
    let line_counts: Vec<u64> = chunks
        .par_iter()
        .map(|c| c.iter().filter(|&&b| b == b'\n').count() as u64)
        .collect();
    let line_base: Vec<u64> = line_counts
        .iter()
        .scan(header_lines, |lines, n| {
            let base = *lines;
            *lines += n;
            Some(base)
        })
        .collect();
    chunks
        .par_iter()
        .zip(line_base)
        .map(|(chunk, base)| parse_rows(chunk, base, layout, file))
        .collect()
}

/// The summary table from its parts in file order (the first error wins); ids numbered from 1
/// without an id column, optional columns where `present`. An empty table is `empty`.
pub(crate) fn assemble(
    parts: Vec<Result<Rows>>,
    has_ids: bool,
    present: [bool; 3],
    empty: ClvError,
) -> Result<SummaryTable> {
    let mut table = SummaryTable::default();
    let mut opt_values: [Vec<f64>; 3] = Default::default();
    for rows in parts {
        let rows = rows?;
        table.customer_id.extend(rows.ids);
        let [f, r, t, m] = rows.required;
        table.frequency.extend(f);
        table.recency.extend(r);
        table.t.extend(t);
        table.monetary_value.extend(m);
        for (all, part) in opt_values.iter_mut().zip(rows.optional) {
            all.extend(part);
        }
    }
    if table.is_empty() {
        return Err(empty);
    }
    if !has_ids {
        table.customer_id = (1..=table.len()).map(|i| i.to_string()).collect();
    }
    let [w, hf, hd] = opt_values;
    let keep = |k: usize, v: Vec<f64>| present[k].then_some(v);
    table.weights = keep(0, w);
    table.holdout_frequency = keep(1, hf);
    table.holdout_duration = keep(2, hd);
    Ok(table)
}

fn layout(header: &csv::ByteRecord, file: &str) -> Result<Layout> {
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
    Ok(Layout {
        required: [
            required("frequency")?,
            required("recency")?,
            required("T")?,
            required("monetary_value")?,
        ],
        customer_id: find("customer_id"),
        optional: [
            find("weights"),
            find("frequency_holdout"),
            find("duration_holdout"),
        ],
        names,
    })
}

/// Cuts `body` into about `parts` pieces, each ending just after a newline (the last at the
/// end of `body`).
fn split_at_newlines(body: &[u8], parts: usize) -> Vec<&[u8]> {
    let target = body.len().div_ceil(parts.max(1)).max(1);
    let mut chunks = Vec::with_capacity(parts);
    let mut rest = body;
    while !rest.is_empty() {
        let cut = match rest
            .get(target..)
            .and_then(|r| r.iter().position(|&b| b == b'\n'))
        {
            Some(i) => target + i + 1,
            None => rest.len(),
        };
        let (chunk, tail) = rest.split_at(cut);
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

/// Parses the header-less rows of `chunk`, which starts after `line_base` lines of the file:
/// split at newlines and commas directly when its lines are plain (no quote, no lone `\r`),
/// else with the CSV reader. Both give the same rows and errors; the direct split takes a
/// fraction of the time (`clv predict` on 1M customers, `clv fit` on small files).
fn parse_rows(chunk: &[u8], line_base: u64, layout: &Layout, file: &str) -> Result<Rows> {
    match parse_plain(chunk, line_base, layout, file) {
        Some(rows) => rows,
        None => parse_csv(chunk, line_base, layout, file),
    }
}

/// [`parse_rows`] on plain lines; `None` at the first line that is not plain. Blank lines are
/// skipped, as the CSV reader skips them.
fn parse_plain(chunk: &[u8], line_base: u64, layout: &Layout, file: &str) -> Option<Result<Rows>> {
    let mut rows = Rows::default();
    let mut bounds = Vec::with_capacity(layout.names.len());
    for (k, line) in chunk.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if !split_fields(line, &mut bounds) {
            return None;
        }
        let rec = SplitLine {
            line,
            bounds: &bounds,
        };
        let number = line_base + 1 + k as u64;
        if let Err(e) = add_row(&mut rows, &rec, line, &|| number, layout, file) {
            return Some(Err(e));
        }
    }
    Some(Ok(rows))
}

/// [`parse_rows`] with the CSV reader (quoted fields, old-Mac line ends).
fn parse_csv(chunk: &[u8], line_base: u64, layout: &Layout, file: &str) -> Result<Rows> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(chunk);
    let mut rows = Rows::default();
    let mut rec = csv::ByteRecord::new();
    while rdr
        .read_byte_record(&mut rec)
        .map_err(|e| ClvError::input(file, format!("cannot read: {e}")))?
    {
        // Counted only for a message: csv's own line count skips blank lines.
        let line = || line_base + line_of(chunk, rec.position().map_or(0, |p| p.byte()));
        add_row(&mut rows, &rec, rec.as_slice(), &line, layout, file)?;
    }
    Ok(rows)
}

/// Checks one record (`text`: its bytes, for the UTF-8 check) and adds it to `rows`; `line`
/// gives its line in the file, for messages.
fn add_row(
    rows: &mut Rows,
    rec: &dyn Fields,
    text: &[u8],
    line: &dyn Fn() -> u64,
    layout: &Layout,
    file: &str,
) -> Result<()> {
    if std::str::from_utf8(text).is_err() {
        return Err(ClvError::input(
            file,
            format!("line {}: not valid UTF-8 text", line()),
        ));
    }
    if rec.count() != layout.names.len() {
        return Err(ClvError::BadRow {
            file: file.into(),
            line: line(),
            column: "*".into(),
            value: format!("{} fields", rec.count()),
            reason: format!("wrong column count (header has {})", layout.names.len()),
        });
    }
    let number = |i: usize| -> Result<f64> {
        let text = std::str::from_utf8(rec.field(i)).unwrap_or("").trim();
        match crate::ingest::parse_amount(text.as_bytes()) {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err(ClvError::BadRow {
                file: file.into(),
                line: line(),
                column: layout.names[i].clone(),
                value: text.into(),
                reason: "not a finite number >= 0".into(),
            }),
        }
    };
    let [x, t_x, t, m] = layout.required.map(&number);
    let (x, t_x, t) = (x?, t_x?, t?);
    let bad = |col: usize, v: f64, reason: &str| ClvError::BadRow {
        file: file.into(),
        line: line(),
        column: layout.names[layout.required[col]].clone(),
        value: v.to_string(),
        reason: reason.into(),
    };
    if let Some((col, v, reason)) = history_problem(x, t_x, t) {
        return Err(bad(col, v, &reason));
    }
    for (values, v) in rows.required.iter_mut().zip([x, t_x, t, m?]) {
        values.push(v);
    }
    for (values, col) in rows.optional.iter_mut().zip(&layout.optional) {
        if let Some(i) = *col {
            values.push(number(i)?);
        }
    }
    if let Some(i) = layout.customer_id {
        rows.ids
            .push(String::from_utf8_lossy(rec.field(i)).trim().to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A summary body of `n` rows with varied numbers, CRLF line ends and a blank line.
    fn many_rows(n: usize) -> String {
        let mut text = String::from("customer_id,frequency,recency,T,monetary_value,weights\r\n");
        for i in 0..n {
            let x = i % 17;
            let recency = if x == 0 {
                0.0
            } else {
                (1 + i % 29) as f64 * 0.5
            };
            text.push_str(&format!(
                "c{i},{x},{recency},{},{}.25,{}\r\n",
                30 + i % 11,
                i % 97,
                1 + i % 3
            ));
            if i == n / 2 {
                text.push_str("\r\n");
            }
        }
        text
    }

    #[test]
    fn parallel_chunks_read_the_same_table_as_one_pass() {
        let text = many_rows(5_000);
        let one = read_summary_chunked(text.as_bytes(), "s.csv", usize::MAX).unwrap();
        let chunked = read_summary_chunked(text.as_bytes(), "s.csv", 0).unwrap();
        assert_eq!(one.len(), 5_000);
        assert_eq!(one, chunked);
        assert_eq!(one.customer_id[4_999], "c4999");
        assert_eq!(one.monetary_value[3], 3.25);
        // Without ids, rows are numbered across chunks.
        let no_ids = text.replacen("customer_id", "name", 1);
        let t = read_summary_chunked(no_ids.as_bytes(), "s.csv", 0).unwrap();
        assert_eq!(t.customer_id[4_999], "5000");
    }

    /// The direct split of plain lines and the CSV reader give the same rows and the same
    /// errors; a quote or a lone `\r` sends a chunk to the CSV reader.
    #[test]
    fn plain_lines_are_read_as_the_csv_reader_reads_them() {
        let text = many_rows(3_000);
        let layout_of = |text: &str| {
            let header = csv::ReaderBuilder::new()
                .from_reader(text.as_bytes())
                .byte_headers()
                .unwrap()
                .clone();
            layout(&header, "s.csv").unwrap()
        };
        let layout = layout_of(&text);
        let body = &text.as_bytes()[text.find('\n').unwrap() + 1..];
        let plain = parse_plain(body, 1, &layout, "s.csv").unwrap().unwrap();
        let csv = parse_csv(body, 1, &layout, "s.csv").unwrap();
        assert_eq!((plain.ids.len(), &plain.ids), (3_000, &csv.ids));
        assert_eq!(plain.required, csv.required);
        assert_eq!(plain.optional, csv.optional);
        for bad in [
            "c7, 1 ,2,30,1.25,1",
            "c7,1,2,30",
            "c7,1,x,30,1,1",
            "c7,\u{e9}\u{301},2,30,1,1",
        ] {
            let body = format!("a,1,2,30,1.25,1\r\n\n{bad}\nb,0,0,30,0,1");
            let plain = parse_plain(body.as_bytes(), 1, &layout, "s.csv").unwrap();
            let csv = parse_csv(body.as_bytes(), 1, &layout, "s.csv");
            match (plain, csv) {
                (Ok(p), Ok(c)) => assert_eq!(p.required, c.required, "{bad}"),
                (Err(p), Err(c)) => assert_eq!(p.to_string(), c.to_string(), "{bad}"),
                (p, c) => panic!("{bad}: {:?} vs {:?}", p.is_ok(), c.is_ok()),
            }
        }
        for odd in ["a,1,2,30,1.25,1\rb,0,0,30,0,1\n", "\"a\",1,2,30,1.25,1\n"] {
            assert!(parse_plain(odd.as_bytes(), 1, &layout, "s.csv").is_none());
            assert!(parse_rows(odd.as_bytes(), 1, &layout, "s.csv").is_ok());
        }
    }

    #[test]
    fn errors_in_later_chunks_name_the_line_of_the_whole_file() {
        let mut text = many_rows(5_000);
        // Row 4,000 sits on line 4,002: after the header and the blank line at row 2,500.
        text = text.replacen("c3999,", "c3999,-1", 1);
        for limit in [usize::MAX, 0] {
            let e = read_summary_chunked(text.as_bytes(), "s.csv", limit)
                .unwrap_err()
                .to_string();
            assert!(e.contains("s.csv:4002") && e.contains("frequency"), "{e}");
        }
    }

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

    #[test]
    fn tables_in_memory_are_checked_as_files_are() {
        let text = "customer_id,frequency,recency,T,monetary_value\na,2,30,38,20\nb,0,0,38,0\n";
        let good = read_summary(text.as_bytes(), "s.csv").unwrap();
        good.check("df").unwrap();
        let mut t = good.clone();
        t.recency[1] = f64::NAN;
        let e = t.check("df").unwrap_err().to_string();
        assert!(
            e.contains("df:2") && e.contains("'recency'") && e.contains("NaN"),
            "{e}"
        );
        let mut t = good.clone();
        t.recency[0] = 40.0;
        let e = t.check("df").unwrap_err().to_string();
        assert!(e.contains("df:1") && e.contains("after T"), "{e}");
        let mut t = good.clone();
        t.weights = Some(vec![1.0]);
        assert!(t.check("df").unwrap_err().to_string().contains("lengths"));
        let mut spend_only = good.clone();
        spend_only.recency.clear();
        spend_only.t.clear();
        spend_only.check("df").unwrap();
        let mut t = good;
        t.monetary_value[0] = -1.0;
        let e = t.check("df").unwrap_err().to_string();
        assert!(e.contains("'monetary_value'") && e.contains("-1"), "{e}");
    }

    #[test]
    fn impossible_histories_are_refused_where_they_are() {
        let head = "customer_id,frequency,recency,T,monetary_value\nok,2,30,38,20\n";
        for (row, column, words) in [
            ("a,1.5,10,38,10", "frequency", "whole number"),
            ("a,1,50,38,5", "recency", "after T"),
            ("a,2,0,38,5", "recency", "repeat purchases"),
            ("a,0,3,38,0", "recency", "without repeat purchases"),
        ] {
            let text = format!("{head}{row}\n");
            let e = read_summary(text.as_bytes(), "s.csv")
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("s.csv:3") && e.contains(&format!("'{column}'")) && e.contains(words),
                "{row}: {e}"
            );
        }
        // A last purchase at T exactly, and rounding in the last digit, are fine.
        let text = format!("{head}b,3,38.000000001,38,5\nc,1,38,38,5\n");
        assert_eq!(read_summary(text.as_bytes(), "s.csv").unwrap().len(), 3);
    }
}
