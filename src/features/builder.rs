//! The feature builder: streams transactions into one small state per customer, then turns
//! each state into a [`CustomerSummary`].
//!
//! Memory grows with the number of customers, not of transactions (see `state`). A file is
//! read by the parallel chunked reader of `parallel` when it has no quotes; stdin and files
//! with quotes go through the sequential CSV reader ([`summarize_reader`]). Both give exactly
//! the same summaries, accounting and errors.

mod csv_out;
mod memory;
mod parallel;
mod parquet_in;
mod spill;
mod state;
mod text_column;

use std::borrow::Cow;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, BufReader, Read};
use std::path::Path;

use chrono::NaiveDate;
use rayon::prelude::*;

use super::{CustomerSummary, Holdout, Summary, TimeUnit, compare_ids};
use crate::error::{ClvError, Result};
use crate::features::hash::FastBuildHasher;
use crate::ingest::parquet::is_parquet_path;
use crate::ingest::{
    Header, ReadOptions, RowAccounting, check_date_format, date_to_day, day_to_date,
    read_transactions,
};
pub use csv_out::write_summary_csv;
pub use memory::{TextColumn, TransactionTable, summarize_table};
use parallel::partition;
pub use parallel::{Chunking, summarize_file_parallel};
pub use parquet_in::summarize_parquet;
pub use spill::{
    SpillOptions, SpillProgress, SpilledSummary, available_memory, estimated_memory,
    needs_partitions, parse_memory_size, summarize_path_partitioned,
};
use state::{CustomerMap, CustomerState, IdKey, RowSink};

/// What to summarize and how.
#[derive(Debug, Clone, Default)]
pub struct SummaryOptions {
    pub unit: TimeUnit,
    /// Last day of observation (inclusive); `None`: the last date in the data. Rows after it
    /// are rejected. Overrides [`ReadOptions::observation_end`] when both are given.
    pub observation_end: Option<NaiveDate>,
    /// Last day of the calibration period (inclusive); later purchases form the holdout,
    /// which runs to the observation end.
    pub calibration_end: Option<NaiveDate>,
    /// Fill [`CustomerSummary::purchase_times`].
    pub keep_purchase_times: bool,
}

/// Summarizes a transaction file (`-` reads stdin), or Parquet transactions: a `.parquet` file
/// or a folder of them. `progress` is called with the number of bytes read so far, about
/// every megabyte (for Parquet: the rows read so far, after each round of row groups).
pub fn summarize_path(
    path: &Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
    progress: impl FnMut(u64),
) -> Result<(Summary, RowAccounting)> {
    if path.as_os_str() == "-" {
        let stdin = io::stdin().lock();
        return summarize_reader(ProgressReader::new(stdin, progress), "<stdin>", read, opts);
    }
    let mut progress = progress;
    if is_parquet_path(path) {
        return summarize_parquet(path, read, opts, &mut progress);
    }
    if let Some(result) =
        summarize_file_parallel(path, read, opts, &Chunking::default(), &mut progress)?
    {
        return Ok(result);
    }
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| ClvError::input(&name, format!("cannot open: {e}")))?;
    let reader = BufReader::with_capacity(1 << 20, file);
    summarize_reader(ProgressReader::new(reader, progress), &name, read, opts)
}

/// Summarizes transactions from any reader, sequentially; `source_name` names it in messages.
pub fn summarize_reader<R: Read>(
    r: R,
    source_name: &str,
    read: &ReadOptions,
    opts: &SummaryOptions,
) -> Result<(Summary, RowAccounting)> {
    let (read, cal_day) = effective_options(read, opts)?;
    let mut maps = vec![CustomerMap::default()];
    let scanned = scan_reader(r, source_name, &read, cal_day, &mut maps)?;
    let summary = finish(
        source_name,
        maps,
        scanned.extra_columns,
        scanned.max_day,
        &read,
        opts,
    )?;
    Ok((summary, scanned.accounting))
}

/// What reading the transactions into per-partition sinks found, besides the rows.
pub(crate) struct Scanned {
    pub source_name: String,
    pub accounting: RowAccounting,
    pub extra_columns: Vec<String>,
    /// The last day of a used row (`i32::MIN` without any).
    pub max_day: i32,
}

/// Reads transactions from `r` with the sequential CSV reader, giving each used row to the
/// sink of its customer's partition, in file order. `read` are the effective options.
fn scan_reader<R: Read, S: RowSink>(
    r: R,
    source_name: &str,
    read: &ReadOptions,
    cal_day: Option<i32>,
    sinks: &mut [S],
) -> Result<Scanned> {
    let mut extra_columns = Vec::new();
    let mut max_day = i32::MIN;
    let hasher = FastBuildHasher::default();
    let nparts = sinks.len();
    let accounting = read_transactions(
        r,
        source_name,
        read,
        |h: &Header| extra_columns = h.extra_columns.clone(),
        |row| {
            max_day = max_day.max(row.day);
            let id = row.customer.as_bytes();
            let p = if nparts == 1 {
                0
            } else {
                partition(hasher.hash_one(id), nparts)
            };
            let has_extras = row.extra_count() > 0;
            sinks[p].add_row(id, row.day, row.amount, cal_day, has_extras, || {
                (0..row.extra_count())
                    .map(|j| Cow::Borrowed(row.extra(j)))
                    .collect()
            });
        },
    )?;
    Ok(Scanned {
        source_name: source_name.to_string(),
        accounting,
        extra_columns,
        max_day,
    })
}

/// The read options with the summary's observation end, and the calibration end's day number;
/// an error when the calibration end is after the observation end.
fn effective_options(
    read: &ReadOptions,
    opts: &SummaryOptions,
) -> Result<(ReadOptions, Option<i32>)> {
    if let Some(format) = &read.date_format {
        check_date_format(format)?;
    }
    let observation_end = opts.observation_end.or(read.observation_end);
    if let (Some(cal), Some(obs)) = (opts.calibration_end, observation_end)
        && cal > obs
    {
        return Err(ClvError::InvalidParameter(format!(
            "calibration end {cal} is after the observation end {obs}"
        )));
    }
    let read = ReadOptions {
        observation_end,
        ..read.clone()
    };
    Ok((read, opts.calibration_end.map(date_to_day)))
}

/// Turns the customer maps (any partition of the customers) into the sorted summary.
fn finish(
    source_name: &str,
    maps: Vec<CustomerMap>,
    extra_columns: Vec<String>,
    max_day: i32,
    read: &ReadOptions,
    opts: &SummaryOptions,
) -> Result<Summary> {
    let observation_end = read.observation_end;
    let cal_day = opts.calibration_end.map(date_to_day);
    let end = match observation_end {
        Some(d) => d,
        None if max_day == i32::MIN => opts.calibration_end.unwrap_or(NaiveDate::MIN),
        None => day_to_date(max_day),
    };
    if let Some(cal) = opts.calibration_end
        && cal > end
    {
        return Err(ClvError::InvalidParameter(format!(
            "calibration end {cal} is after the last date in the data ({end}); \
             give --observation-end to set the holdout end"
        )));
    }
    let cal_end_day = cal_day.unwrap_or_else(|| date_to_day(end));
    let holdout_duration = cal_day.map(|c| f64::from(date_to_day(end) - c));

    let dpu = opts.unit.days_per_unit();
    let after_calibration: usize = maps
        .iter()
        .map(|m| m.values().filter(|s| s.first_day == i32::MAX).count())
        .sum();
    // References, not moved entries: moving every state out of its map copied ~130 bytes per
    // customer for nothing.
    let entries: Vec<(&IdKey, &CustomerState)> = maps
        .iter()
        .flat_map(|m| m.iter().filter(|(_, s)| s.first_day != i32::MAX))
        .collect();
    // Sort small keys, not summaries: numeric ids compare as integers, the rest by
    // `compare_ids`. When every id is a plain number (the common case) the keys alone decide
    // and the sort never touches the entries, whose random reads would dominate it.
    let mut order: Vec<(SortKey, u32)> = entries
        .par_iter()
        .enumerate()
        .map(|(i, (id, _))| (SortKey::of(id.as_bytes()), i as u32))
        .collect();
    if order.iter().all(|(k, _)| matches!(k, SortKey::Number(_))) {
        order.par_sort_unstable_by_key(|&(k, _)| match k {
            SortKey::Number(v) => v,
            SortKey::Other => u64::MAX,
        });
    } else {
        order.par_sort_unstable_by(|&(ka, ia), &(kb, ib)| {
            SortKey::compare_lazy(ka, kb, || {
                (
                    id_text(entries[ia as usize].0),
                    id_text(entries[ib as usize].0),
                )
            })
        });
    }
    // An indexed collect writes each summary in its place; the chunked `flat_map_iter` it
    // replaces collected per-thread lists and then copied all ~300 MB of them (measured: a
    // fifth of the CPU time of a 2M-customer summary in `memmove` and page faults).
    let first_overflow = std::sync::Mutex::new(None::<(usize, &'static str)>);
    let customers: Vec<CustomerSummary> = order
        .par_iter()
        .enumerate()
        .with_min_len(GATHER)
        .map(|(k, &(_, i))| {
            // The states are read in sorted-id order, i.e. at random: at the start of each
            // run of GATHER customers touch all their states first, in a tight loop whose
            // cache misses overlap, instead of taking one miss per customer behind the work
            // on the previous one.
            if k % GATHER == 0 {
                let run = &order[k..(k + GATHER).min(order.len())];
                let touched = run.iter().fold(0i64, |acc, &(_, j)| {
                    let (id, s) = entries[j as usize];
                    acc ^ i64::from(s.first_day)
                        ^ i64::from(s.holdout.is_some())
                        ^ id.as_bytes().len() as i64
                });
                std::hint::black_box(touched);
            }
            let (id, s) = entries[i as usize];
            if let Some(column) = overflowed_column(s) {
                let mut first = first_overflow.lock().unwrap_or_else(|e| e.into_inner());
                if first.is_none_or(|(at, _)| k < at) {
                    *first = Some((k, column));
                }
            }
            finish_customer(id, s, cal_end_day, holdout_duration, dpu, opts)
        })
        .collect();
    let first_overflow = first_overflow
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    if let Some((k, column)) = first_overflow {
        let id = &customers[k].customer_id;
        return Err(overflow(source_name, id, &read.amount_col, column));
    }
    drop(entries);
    drop(maps);
    Ok(Summary {
        unit: opts.unit,
        observation_end: end,
        calibration_end: opts.calibration_end,
        extra_columns,
        customers,
        customers_after_calibration: after_calibration as u64,
    })
}

/// Customers whose states are fetched together when building the sorted summaries.
const GATHER: usize = 32;

/// A sort key for ids: all-digit ids without a leading zero and below 2^64 as their value
/// (ordered as [`compare_ids`] orders them), everything else for `compare_ids`.
#[derive(Debug, Clone, Copy)]
enum SortKey {
    Number(u64),
    Other,
}

impl SortKey {
    fn of(id: &[u8]) -> Self {
        if id.is_empty() || id.len() > 19 || (id[0] == b'0' && id.len() > 1) {
            return SortKey::Other;
        }
        let mut v = 0u64;
        for &c in id {
            if !c.is_ascii_digit() {
                return SortKey::Other;
            }
            v = v * 10 + u64::from(c - b'0');
        }
        SortKey::Number(v)
    }

    /// The order of summary rows: ids `a` and `b` with their keys.
    fn compare(ka: SortKey, a: &str, kb: SortKey, b: &str) -> std::cmp::Ordering {
        Self::compare_lazy(ka, kb, || (a, b))
    }

    /// [`SortKey::compare`] with the ids' texts given by `ids`, called only when the keys
    /// do not decide.
    #[inline]
    fn compare_lazy<'a>(
        ka: SortKey,
        kb: SortKey,
        ids: impl FnOnce() -> (&'a str, &'a str),
    ) -> std::cmp::Ordering {
        match (ka, kb) {
            (SortKey::Number(x), SortKey::Number(y)) => x.cmp(&y),
            _ => {
                let (a, b) = ids();
                compare_ids(a, b)
            }
        }
    }
}

/// An id as text (ids come from validated UTF-8).
fn id_text(id: &IdKey) -> &str {
    std::str::from_utf8(id.as_bytes()).unwrap_or("")
}

/// The error for a customer whose amounts sum beyond the largest number.
fn overflow(source_name: &str, id: &str, amount_col: &str, column: &str) -> ClvError {
    ClvError::input(
        source_name,
        format!(
            "customer '{id}': column '{amount_col}': the amounts sum beyond the largest number \
             (its {column} would be infinite)"
        ),
    )
}

/// One customer's summary; `Err` names the sum that overflowed (amounts are finite one by
/// one, but their sum need not be).
fn finish_customer(
    id: &IdKey,
    s: &CustomerState,
    cal_end_day: i32,
    holdout_days: Option<f64>,
    dpu: f64,
    opts: &SummaryOptions,
) -> CustomerSummary {
    // The sorted days are built only when the purchase times are wanted: one allocation per
    // customer otherwise spent on a count.
    let days = if opts.keep_purchase_times {
        s.days.clone().into_sorted()
    } else {
        Vec::new()
    };
    let n_days = if opts.keep_purchase_times {
        days.len()
    } else {
        s.days.distinct_count()
    };
    let x = n_days.saturating_sub(1) as f64;
    let monetary_value = if x > 0.0 {
        ((s.spend - s.first_day_amount) / x).max(0.0)
    } else {
        0.0
    };
    let (holdout_n, holdout_spend, holdout_last) = match &s.holdout {
        Some(h) => {
            let last = h.days.max().map_or(0, |d| d - cal_end_day);
            (
                h.days.distinct_count() as f64,
                h.spend,
                f64::from(last) / dpu,
            )
        }
        None => (0.0, 0.0, 0.0),
    };
    let holdout = holdout_days.map(|duration| Holdout {
        frequency: holdout_n,
        monetary_value: if holdout_n > 0.0 {
            holdout_spend / holdout_n
        } else {
            0.0
        },
        duration: duration / dpu,
        spend: holdout_spend,
        last_purchase_after_calibration: holdout_last,
    });
    let purchase_times = if opts.keep_purchase_times {
        days.iter()
            .map(|&d| f64::from(d - s.first_day) / dpu)
            .collect()
    } else {
        Vec::new()
    };
    CustomerSummary {
        // Ids come from validated UTF-8 text.
        customer_id: id_text(id).to_string(),
        frequency: x,
        recency: f64::from(s.last_day - s.first_day) / dpu,
        t: f64::from(cal_end_day - s.first_day) / dpu,
        monetary_value,
        first_purchase: day_to_date(s.first_day),
        last_purchase: day_to_date(s.last_day),
        orders: s.orders,
        total_spend: s.spend,
        first_order_value: s.first_day_amount,
        holdout,
        extras: s.extras.iter().map(|e| e.to_string()).collect(),
        purchase_times,
    }
}

/// The first money sum of a customer that overflowed to infinity, if any.
fn overflowed_column(s: &CustomerState) -> Option<&'static str> {
    let holdout_spend = s.holdout.as_ref().map_or(0.0, |h| h.spend);
    [
        ("total_spend", s.spend),
        ("first_order_value", s.first_day_amount),
        ("holdout spend", holdout_spend),
        ("monetary_value", s.spend - s.first_day_amount),
    ]
    .into_iter()
    .find(|(_, v)| !v.is_finite())
    .map(|(name, _)| name)
}

/// Counts bytes read and reports them about every megabyte.
struct ProgressReader<R, F> {
    inner: R,
    progress: F,
    bytes: u64,
    reported: u64,
}

impl<R, F: FnMut(u64)> ProgressReader<R, F> {
    fn new(inner: R, progress: F) -> Self {
        ProgressReader {
            inner,
            progress,
            bytes: 0,
            reported: 0,
        }
    }
}

impl<R: Read, F: FnMut(u64)> Read for ProgressReader<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        if n == 0 || self.bytes - self.reported >= 1 << 20 {
            self.reported = self.bytes;
            (self.progress)(self.bytes);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn shuffled_rows_give_the_same_summary_as_sorted_rows() {
        let sorted = "customer_id,date,amount\n\
            a,2020-01-01,10\na,2020-01-01,5\na,2020-01-08,20\na,2020-01-15,30\nb,2020-01-10,7\n";
        let shuffled = "customer_id,date,amount\n\
            a,2020-01-15,30\nb,2020-01-10,7\na,2020-01-01,5\na,2020-01-08,20\na,2020-01-01,10\n";
        let opts = SummaryOptions {
            unit: TimeUnit::Week,
            observation_end: Some(date("2020-01-29")),
            keep_purchase_times: true,
            ..Default::default()
        };
        let read = ReadOptions::default();
        let (s1, a1) = summarize_reader(sorted.as_bytes(), "s", &read, &opts).unwrap();
        let (s2, _) = summarize_reader(shuffled.as_bytes(), "s", &read, &opts).unwrap();
        assert_eq!(s1, s2);
        assert_eq!(a1.rows_used, 5);
        let a = &s1.customers[0];
        assert_eq!(a.frequency, 2.0);
        assert_eq!(a.recency, 2.0);
        assert_eq!(a.t, 4.0);
        assert_eq!(a.monetary_value, 25.0);
        assert_eq!(a.first_order_value, 15.0);
        assert_eq!((a.orders, a.total_spend), (4, 65.0));
        assert_eq!(a.purchase_times, vec![0.0, 1.0, 2.0]);
        let b = &s1.customers[1];
        assert_eq!((b.frequency, b.recency, b.monetary_value), (0.0, 0.0, 0.0));
        assert!((b.t - 19.0 / 7.0).abs() < 1e-12);
    }
}
