//! Summaries larger than memory: the partitioned path.
//!
//! 1. The readers (parallel CSV, sequential CSV, Parquet) give each used row to its customer's
//!    partition (by a hash of the id, as the in-memory path does) and the partition appends it
//!    to its temporary row file, in file order. All checks, rejections and the row accounting
//!    happen here, so they are those of the in-memory path, line numbers included.
//! 2. A few partitions at a time (one per thread), each row file is read back into customer
//!    states, summarized with the in-memory path's own `finish` (with the observation end of
//!    the whole file) and written as a run of summary CSV lines, sorted by id.
//! 3. The runs are merged by the summary's id order into the output.
//!
//! Every customer sees its rows in file order and is summarized by the same code, so the
//! output is byte for byte that of the in-memory path. Memory is one round buffer of the
//! reader (step 1), or `threads` partitions' states (step 2), or one buffered reader per run
//! (step 3). The temporary files live in a fresh folder that is removed on success and error.

mod files;

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rayon::prelude::*;

use super::csv_out::{header_line, push_row};
use super::parallel::{Chunking, scan_file_parallel};
use super::parquet_in::scan_parquet;
use super::state::{CustomerState, IdKey};
use super::{ProgressReader, Scanned, SummaryOptions, effective_options, finish, scan_reader};
use crate::error::{ClvError, Result};
use crate::features::{CustomerSummary, TimeUnit};
use crate::ingest::parquet::{ParquetFiles, is_parquet_path};
use crate::ingest::{ReadOptions, RowAccounting};
use files::{RowFile, RunFile, load_rows, merge_runs, temp_error};

/// Partitions at least (as many as the in-memory path uses, for parallel balance), and at most
/// (each is an open file while reading).
const MIN_PARTITIONS: usize = 64;
const MAX_PARTITIONS: usize = 1024;
/// Memory of the reader itself (round buffers, row positions), outside the customer states.
const READER_BYTES: u64 = 256 << 20;

/// How to run the partitioned path.
#[derive(Debug, Clone)]
pub struct SpillOptions {
    /// Folder in which a fresh folder for the temporary files is made (and removed).
    pub temp_dir: PathBuf,
    /// Memory to stay within, in bytes; decides the number of partitions.
    pub memory_budget: u64,
    /// Number of partitions; `None`: from the budget and the estimated state size.
    pub partitions: Option<usize>,
}

/// Where the partitioned path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpillProgress {
    /// Reading the input into partitions: bytes (Parquet: compressed bytes) read so far.
    Reading(u64),
    /// Summarizing the partitions: `done` of `of`.
    Summarizing { done: u64, of: u64 },
    /// Writing the output: `done` of `of` customers.
    Writing { done: u64, of: u64 },
}

/// What a partitioned summary wrote: all of a [`crate::features::Summary`] but its customers.
#[derive(Debug, Clone, PartialEq)]
pub struct SpilledSummary {
    pub unit: TimeUnit,
    pub observation_end: NaiveDate,
    pub calibration_end: Option<NaiveDate>,
    pub extra_columns: Vec<String>,
    /// Customers written.
    pub customers: u64,
    /// Customers whose first purchase is after the calibration end, left out.
    pub customers_after_calibration: u64,
    /// Partitions used.
    pub partitions: usize,
}

/// An upper bound of the memory the in-memory path needs for the input at `path`: every row
/// could be a new customer, whose state and summary cost a fixed size; `None` when the input
/// cannot be measured before reading (stdin, an unreadable path).
pub fn estimated_memory(path: &Path) -> Option<u64> {
    let rows = estimated_rows(path)?;
    Some(rows.saturating_mul(bytes_per_customer()))
}

/// Whether the in-memory path would exceed `budget` bytes on the input at `path` (by
/// [`estimated_memory`]); `false` when that cannot be told.
pub fn needs_partitions(path: &Path, budget: u64) -> bool {
    estimated_memory(path).is_some_and(|m| m > budget)
}

/// Memory per customer of the in-memory path: the map entry (twice: the table grows by
/// doubling), the summary and its id.
fn bytes_per_customer() -> u64 {
    let entry = std::mem::size_of::<(IdKey, CustomerState)>() + 1;
    (2 * entry + std::mem::size_of::<CustomerSummary>() + 24) as u64
}

/// Rows of the input: Parquet row counts from the footers, a CSV file's size over the mean
/// length of its first lines.
fn estimated_rows(path: &Path) -> Option<u64> {
    if path.as_os_str() == "-" {
        return None;
    }
    if is_parquet_path(path) {
        let files = ParquetFiles::open(path).ok()?;
        return Some(files.units().iter().map(|u| u.rows).sum());
    }
    let size = std::fs::metadata(path).ok()?.len();
    let mut head = Vec::with_capacity(1 << 20);
    File::open(path)
        .ok()?
        .take(1 << 20)
        .read_to_end(&mut head)
        .ok()?;
    let lines = head.iter().filter(|&&c| c == b'\n').count().max(1) as u64;
    Some(size * lines / (head.len().max(1) as u64) + 1)
}

/// Partitions such that one partition per thread fits in what the budget leaves after the
/// reader, assuming the upper bound of [`estimated_memory`].
fn partitions_for(path: &Path, budget: u64, threads: usize) -> usize {
    let state = estimated_memory(path).unwrap_or(0);
    let room = budget.saturating_sub(READER_BYTES).max(budget / 4).max(1);
    let needed = (state.saturating_mul(threads as u64)).div_ceil(room);
    (needed as usize).clamp(MIN_PARTITIONS, MAX_PARTITIONS)
}

/// Summarizes the transactions at `path` (a CSV file, `-` for stdin, or Parquet) through
/// temporary partition files and writes the summary CSV to `out`: the same bytes as
/// [`super::write_summary_csv`] of [`super::summarize_path`]'s summary, with the same row
/// accounting and errors.
pub fn summarize_path_partitioned(
    path: &Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
    spill: &SpillOptions,
    progress: &mut dyn FnMut(SpillProgress),
    out: &mut dyn Write,
) -> Result<(SpilledSummary, RowAccounting)> {
    let (read, cal_day) = effective_options(read, opts)?;
    let threads = rayon::current_num_threads().max(1);
    let nparts = spill
        .partitions
        .unwrap_or_else(|| partitions_for(path, spill.memory_budget, threads))
        .clamp(1, MAX_PARTITIONS);
    let dir = tempfile::Builder::new()
        .prefix(".clv-partitions-")
        .tempdir_in(&spill.temp_dir)
        .map_err(|e| temp_error(&spill.temp_dir, "make a folder", e))?;
    // Write buffers share a sixteenth of the budget.
    let buffer = (spill.memory_budget / 16 / nparts as u64).clamp(8 << 10, 1 << 20) as usize;
    let row_files = |dir: &Path| -> Result<Vec<RowFile>> {
        (0..nparts)
            .map(|p| RowFile::create(dir.join(format!("rows-{p}")), buffer))
            .collect()
    };

    let mut reading = |b: u64| progress(SpillProgress::Reading(b));
    let mut sinks = row_files(dir.path())?;
    let scanned = if path.as_os_str() == "-" {
        let stdin = ProgressReader::new(io::stdin().lock(), &mut reading);
        scan_reader(stdin, "<stdin>", &read, cal_day, &mut sinks)?
    } else if is_parquet_path(path) {
        scan_parquet(path, &read, cal_day, &mut sinks, &mut reading)?
    } else {
        let chunking = Chunking {
            partitions: nparts,
            ..Chunking::default()
        };
        match scan_file_parallel(path, &read, cal_day, &chunking, &mut sinks, &mut reading)? {
            Some(scanned) => scanned,
            None => {
                // Quotes: start again with the full CSV reader, on fresh files.
                drop(sinks);
                sinks = row_files(dir.path())?;
                let name = path.display().to_string();
                let file = File::open(path)
                    .map_err(|e| ClvError::input(&name, format!("cannot open: {e}")))?;
                let reader = BufReader::with_capacity(1 << 20, file);
                let reader = ProgressReader::new(reader, &mut reading);
                scan_reader(reader, &name, &read, cal_day, &mut sinks)?
            }
        }
    };
    let row_paths: Vec<PathBuf> = sinks
        .into_iter()
        .map(RowFile::close)
        .collect::<Result<_>>()?;

    let runs = summarize_partitions(&row_paths, &scanned, &read, opts, cal_day, progress)?;
    out.write_all(&header_line(
        opts.calibration_end.is_some(),
        &scanned.extra_columns,
    ))?;
    let customers: u64 = runs.iter().map(|r| r.customers).sum();
    let run_paths: Vec<PathBuf> = runs.iter().map(|r| r.path.clone()).collect();
    merge_runs(&run_paths, out, &mut |done| {
        progress(SpillProgress::Writing {
            done,
            of: customers,
        })
    })?;
    out.flush()?;
    let first = &runs[0];
    let summary = SpilledSummary {
        unit: opts.unit,
        observation_end: first.observation_end,
        calibration_end: opts.calibration_end,
        extra_columns: scanned.extra_columns,
        customers,
        customers_after_calibration: runs.iter().map(|r| r.after_calibration).sum(),
        partitions: nparts,
    };
    dir.close()
        .map_err(|e| temp_error(&spill.temp_dir, "remove the temporary folder", e))?;
    Ok((summary, scanned.accounting))
}

/// One partition's summary: its run file and counts.
struct Run {
    path: PathBuf,
    customers: u64,
    after_calibration: u64,
    observation_end: NaiveDate,
}

/// Step 2: each row file to a run of sorted summary lines, one partition per thread at a time
/// (which bounds the memory); each row file is removed once read.
fn summarize_partitions(
    row_paths: &[PathBuf],
    scanned: &Scanned,
    read: &ReadOptions,
    opts: &SummaryOptions,
    cal_day: Option<i32>,
    progress: &mut dyn FnMut(SpillProgress),
) -> Result<Vec<Run>> {
    let threads = rayon::current_num_threads().max(1);
    let holdout = opts.calibration_end.is_some();
    let of = row_paths.len() as u64;
    let mut runs = Vec::with_capacity(row_paths.len());
    progress(SpillProgress::Summarizing { done: 0, of });
    for batch in row_paths.chunks(threads) {
        let batch_runs: Vec<Run> = batch
            .par_iter()
            .map(|rows| -> Result<Run> {
                let map = load_rows(rows, scanned.extra_columns.len(), cal_day)?;
                std::fs::remove_file(rows).map_err(|e| temp_error(rows, "remove", e))?;
                let summary = finish(
                    &scanned.source_name,
                    vec![map],
                    scanned.extra_columns.clone(),
                    scanned.max_day,
                    read,
                    opts,
                )?;
                let mut run = RunFile::create(rows.with_extension("run"))?;
                let mut line = Vec::with_capacity(128);
                for c in &summary.customers {
                    line.clear();
                    push_row(&mut line, c, holdout);
                    run.push(&c.customer_id, &line)?;
                }
                Ok(Run {
                    path: run.close()?,
                    customers: summary.customers.len() as u64,
                    after_calibration: summary.customers_after_calibration,
                    observation_end: summary.observation_end,
                })
            })
            .collect::<Result<_>>()?;
        runs.extend(batch_runs);
        progress(SpillProgress::Summarizing {
            done: runs.len() as u64,
            of,
        });
    }
    Ok(runs)
}

/// Parses a memory size: a number with an optional unit, `B`, `KB`/`MB`/`GB`/`TB` (powers of
/// 1000), `KiB`/`MiB`/`GiB`/`TiB` or `K`/`M`/`G`/`T` (powers of 1024), case-insensitive:
/// `2GiB`, `512M`, `1.5GB`, `1000000`.
pub fn parse_memory_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let bad = |why: &str| {
        ClvError::InvalidParameter(format!(
            "memory size '{text}': {why} (give e.g. 2GiB, 512MB or 1000000)"
        ))
    };
    let value: f64 = number.parse().map_err(|_| bad("not a number"))?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024f64.powi(2),
        "g" | "gib" => 1024f64.powi(3),
        "t" | "tib" => 1024f64.powi(4),
        _ => return Err(bad("unknown unit")),
    };
    let bytes = value * scale;
    if !(bytes >= 1.0 && bytes < 2f64.powi(63)) {
        return Err(bad("out of range"));
    }
    Ok(bytes as u64)
}

/// Memory the system can give without swapping (`MemAvailable` of `/proc/meminfo`), if known.
pub fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_parse_with_units() {
        for (text, bytes) in [
            ("2GiB", 2u64 << 30),
            ("2gib", 2 << 30),
            ("512M", 512 << 20),
            ("1.5GB", 1_500_000_000),
            ("1000000", 1_000_000),
            ("64 KiB", 64 << 10),
            ("3kb", 3000),
            ("1T", 1 << 40),
        ] {
            assert_eq!(parse_memory_size(text).unwrap(), bytes, "{text}");
        }
        for bad in ["", "GiB", "2XB", "-1G", "0", "1e3", "2..5G", "99999999999T"] {
            assert!(parse_memory_size(bad).is_err(), "{bad}");
        }
    }
}
