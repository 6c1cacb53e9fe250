//! Summaries of transactions already in memory, as columns (a DataFrame's, an Arrow batch's):
//! the same customer states, the same rules and the same row accounting as the file readers,
//! so that a front end holding its data gets exactly the summaries `clv summarize` writes.
//!
//! The rows are summarized in parallel as the file reader does it (`parallel`): in rounds, each
//! round's rows are checked by one thread per chunk and sorted into partitions by a hash of the
//! customer id, then each partition applies its rows chunk by chunk, so every customer sees its
//! rows in table order and the sums are those of a sequential pass.

use std::borrow::Cow;
use std::hash::BuildHasher;

use chrono::NaiveDate;
use rayon::prelude::*;

use super::parallel::{Chunking, partition};
use super::state::{CustomerMap, RowSink, ShortId};
pub use super::text_column::TextColumn;
use super::{SummaryOptions, effective_options, finish};
use crate::error::{ClvError, Result};
use crate::features::Summary;
use crate::features::hash::FastBuildHasher;
use crate::ingest::{OnError, ReadOptions, Rejection, RowAccounting, date_to_day, reason};

/// Transactions as columns: one entry per order in `customer_id`, `date` and `amount`, and in
/// each extra column (channel, campaign ...), which is carried along as a customer attribute.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransactionTable {
    pub customer_id: TextColumn,
    pub date: Vec<NaiveDate>,
    pub amount: Vec<f64>,
    /// Names of the extra columns, in order.
    pub extra_names: Vec<String>,
    /// The extra columns' values, one column each.
    pub extras: Vec<TextColumn>,
}

impl TransactionTable {
    fn check_shape(&self, source_name: &str) -> Result<()> {
        let n = self.customer_id.len();
        let lengths = [self.date.len(), self.amount.len()]
            .into_iter()
            .chain(self.extras.iter().map(TextColumn::len));
        if lengths.into_iter().any(|l| l != n) || self.extras.len() != self.extra_names.len() {
            return Err(ClvError::input(
                source_name,
                "columns of different lengths (every column needs one value per order)",
            ));
        }
        Ok(())
    }

    /// What is wrong with row `i`, if anything: `(column, value, reason)`. `id` is its trimmed
    /// id and `day` its date's day number, which the caller needs too.
    fn problem(
        &self,
        i: usize,
        id: &str,
        day: i32,
        end_day: Option<i32>,
    ) -> Option<(&'static str, String, &'static str)> {
        let amount = self.amount[i];
        if id.is_empty() {
            Some((
                "customer_id",
                self.customer_id.get(i).to_string(),
                reason::EMPTY_ID,
            ))
        } else if !amount.is_finite() {
            Some(("amount", amount.to_string(), reason::NON_FINITE_AMOUNT))
        } else if amount < 0.0 {
            Some(("amount", amount.to_string(), reason::NEGATIVE_AMOUNT))
        } else if end_day.is_some_and(|e| day > e) {
            Some(("date", self.date[i].to_string(), reason::AFTER_END))
        } else {
            None
        }
    }

    fn rejection(&self, i: usize, column: &str, value: String, why: &str) -> Rejection {
        Rejection {
            line: i as u64 + 1,
            column: column.to_string(),
            value,
            reason: why.to_string(),
            raw: format!(
                "{},{},{}",
                self.customer_id.get(i),
                self.date[i],
                self.amount[i]
            ),
            location: None,
        }
    }
}

/// Rows per chunk and round: bounds the row lists a round holds (40 bytes a row).
const CHUNK_ROWS: usize = 1 << 22;

/// A used row of a round: its index in the round, its day and amount, and its id when short
/// (so that the second phase reads its rows in order, not the columns at random).
#[derive(Debug, Clone, Copy)]
struct RowRef {
    row: u32,
    day: i32,
    amount: f64,
    short_id: ShortId,
}

/// Phase-1 output of one chunk.
#[derive(Default)]
struct ChunkOut {
    parts: Vec<Vec<RowRef>>,
    used: u64,
    rejections: Vec<Rejection>,
    /// The chunk's first bad row, when bad rows fail the call.
    error: Option<ClvError>,
    max_day: i32,
}

/// Summarizes `table`; `source_name` names it in messages, and a row's "line" is its 1-based
/// position. Rows are checked as a file's are (empty id, non-finite or negative amount, date
/// after the observation end) and fail the call or are rejected per `read.on_error`.
pub fn summarize_table(
    table: &TransactionTable,
    source_name: &str,
    read: &ReadOptions,
    opts: &SummaryOptions,
) -> Result<(Summary, RowAccounting)> {
    table.check_shape(source_name)?;
    let (read, cal_day) = effective_options(read, opts)?;
    let end_day = read.observation_end.map(date_to_day);
    let n = table.customer_id.len();
    if n == 0 {
        return Err(ClvError::input(source_name, "empty input (no rows)"));
    }
    let chunking = Chunking::default();
    let threads = chunking.threads.min(n.div_ceil(1 << 16)).max(1);
    // Small tables need no partitions (and no 256 maps to gather from).
    let nparts = if threads == 1 { 1 } else { chunking.partitions };
    let mut maps: Vec<CustomerMap> = (0..nparts).map(|_| CustomerMap::default()).collect();
    let mut outs: Vec<ChunkOut> = (0..threads).map(|_| ChunkOut::default()).collect();
    let hasher = FastBuildHasher::default();
    let mut acc = RowAccounting::default();
    let mut max_day = i32::MIN;

    let round_rows = threads * CHUNK_ROWS;
    for round_start in (0..n).step_by(round_rows) {
        let round_end = (round_start + round_rows).min(n);
        let per_chunk = (round_end - round_start).div_ceil(threads);

        // Phase 1: check each chunk's rows, sorting the used ones into partitions.
        outs.par_iter_mut().enumerate().for_each(|(k, out)| {
            let from = (round_start + k * per_chunk).min(round_end);
            let to = (from + per_chunk).min(round_end);
            out.parts.resize_with(nparts, Vec::new);
            out.parts.iter_mut().for_each(Vec::clear);
            out.used = 0;
            out.max_day = i32::MIN;
            for i in from..to {
                let id = table.customer_id.get(i).trim_ascii();
                let day = date_to_day(table.date[i]);
                if let Some((column, value, why)) = table.problem(i, id, day, end_day) {
                    if read.on_error == OnError::Fail {
                        out.error = Some(ClvError::BadRow {
                            file: source_name.to_string(),
                            line: i as u64 + 1,
                            column: column.to_string(),
                            value,
                            reason: why.to_string(),
                        });
                        return;
                    }
                    out.rejections.push(table.rejection(i, column, value, why));
                    continue;
                }
                out.max_day = out.max_day.max(day);
                out.used += 1;
                let p = partition(hasher.hash_one(id.as_bytes()), nparts);
                out.parts[p].push(RowRef {
                    row: (i - round_start) as u32,
                    day,
                    amount: table.amount[i],
                    short_id: ShortId::new(id.as_bytes()),
                });
            }
        });

        // Accounting in chunk order; the first bad row in table order fails the call.
        for out in &mut outs {
            if let Some(e) = out.error.take() {
                return Err(e);
            }
            acc.rows_used += out.used;
            for r in out.rejections.drain(..) {
                acc.rows_rejected += 1;
                *acc.rejected_by_reason.entry(r.reason.clone()).or_insert(0) += 1;
                acc.rejections.push(r);
            }
            max_day = max_day.max(out.max_day);
        }

        // Phase 2: each partition applies its rows, chunk by chunk, in table order.
        let outs_ref = &outs;
        let has_extras = !table.extras.is_empty();
        maps.par_iter_mut().enumerate().for_each(|(p, map)| {
            for out in outs_ref {
                for r in &out.parts[p] {
                    let i = round_start + r.row as usize;
                    let long_id = || table.customer_id.get(i).trim_ascii().as_bytes();
                    let id = r.short_id.get().unwrap_or_else(long_id);
                    map.add_row(id, r.day, r.amount, cal_day, has_extras, || {
                        let extras = table.extras.iter();
                        extras.map(|column| Cow::Borrowed(column.get(i))).collect()
                    });
                }
            }
        });
    }
    acc.rows_read = n as u64;
    let summary = finish(
        source_name,
        maps,
        table.extra_names.clone(),
        max_day,
        &read,
        opts,
    )?;
    Ok((summary, acc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::TimeUnit;
    use crate::features::builder::summarize_reader;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// Random orders, some bad (empty ids, negative amounts, dates after the end), as a table
    /// and as the same CSV text.
    fn orders(rows: usize, customers: u32, seed: u64) -> (TransactionTable, String) {
        let mut rng = StdRng::seed_from_u64(seed);
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let mut table = TransactionTable {
            extra_names: vec!["channel".into()],
            extras: vec![TextColumn::default()],
            ..Default::default()
        };
        let mut csv = String::from("customer_id,date,amount,channel\n");
        for _ in 0..rows {
            // Ids past 16 bytes take the phases' long-id path.
            let id = match rng.random_range(0..1000) {
                0 => String::new(),
                1..=99 => format!(
                    "a-customer-with-a-long-id-{}",
                    rng.random_range(0..customers)
                ),
                _ => format!("c{}", rng.random_range(0..customers)),
            };
            let date = start + chrono::Duration::days(rng.random_range(0..400));
            let amount = match rng.random_range(0..1000) {
                0 => -1.5,
                _ => f64::from(rng.random_range(0..10_000u32)) / 100.0,
            };
            let channel = ["web", "store", "app"][rng.random_range(0..3)];
            csv.push_str(&format!("{id},{date},{amount},{channel}\n"));
            table.customer_id.push(&id);
            table.date.push(date);
            table.amount.push(amount);
            table.extras[0].push(channel);
        }
        (table, csv)
    }

    /// The parallel in-memory path (tables past one chunk of 65,536 rows) gives the summaries,
    /// the accounting and the first error of the sequential CSV reader on the same rows.
    #[test]
    fn parallel_table_summaries_match_the_sequential_reader() {
        for (rows, customers, seed) in [(300_000, 40_000, 1), (150_000, 7, 2), (70_000, 1, 3)] {
            let (table, csv) = orders(rows, customers, seed);
            let end = NaiveDate::from_ymd_opt(2024, 12, 1).unwrap();
            for calibration_end in [None, NaiveDate::from_ymd_opt(2024, 9, 1)] {
                let opts = SummaryOptions {
                    unit: TimeUnit::Week,
                    observation_end: Some(end),
                    calibration_end,
                    keep_purchase_times: true,
                };
                let skip = ReadOptions {
                    on_error: OnError::Skip,
                    ..Default::default()
                };
                let mine = summarize_table(&table, "t", &skip, &opts).unwrap();
                let theirs = summarize_reader(csv.as_bytes(), "t", &skip, &opts).unwrap();
                assert_eq!(mine.0, theirs.0, "{rows} rows, {customers} customers");
                assert_eq!(mine.1.rows_read, rows as u64);
                assert_eq!(mine.1.rows_used + mine.1.rows_rejected, rows as u64);
                assert_eq!(mine.1.rejected_by_reason, theirs.1.rejected_by_reason);
                let lines =
                    |a: &RowAccounting| a.rejections.iter().map(|r| r.line).collect::<Vec<u64>>();
                // The CSV's lines count the header; the table's rows do not.
                let their_lines: Vec<u64> = lines(&theirs.1).iter().map(|l| l - 1).collect();
                assert_eq!(lines(&mine.1), their_lines);
                let fail = ReadOptions::default();
                let e = summarize_table(&table, "t", &fail, &opts).unwrap_err();
                let first = mine.1.rejections.first().map(|r| r.line);
                match e {
                    ClvError::BadRow { line, .. } => assert_eq!(Some(line), first),
                    other => panic!("unexpected error {other}"),
                }
            }
        }
    }
}
