//! Summaries of Parquet transactions: a file or a folder of files, row groups read in
//! parallel.
//!
//! The same two phases as the CSV path (`parallel`), with a row group in place of a chunk:
//! 1. a round of row groups is decoded and checked in parallel, each sorting its good rows
//!    into partitions by a hash of the customer id;
//! 2. each partition takes its rows from the round's row groups in file order.
//!
//! So every customer sees its rows in file order and the float sums, first-day amounts and
//! attribute rows are those of the same rows read from CSV: the summaries are identical.
//! Memory is the customer states plus one round of decoded row groups.

use std::borrow::Cow;
use std::hash::BuildHasher;
use std::path::Path;

use rayon::prelude::*;

use super::parallel::partition;
use super::state::{CustomerMap, RowSink};
use super::{Scanned, SummaryOptions, effective_options, finish};
use crate::error::{ClvError, Result};
use crate::features::Summary;
use crate::features::hash::FastBuildHasher;
use crate::ingest::parquet::{
    GoodCell, ParquetFiles, TransactionColumns, UnitScan, id_text, scan_transactions,
};
use crate::ingest::{DateParser, ReadOptions, RowAccounting, date_to_day};

/// Customer partitions (more than threads, for balance).
const PARTITIONS: usize = 64;

/// A good row of a row group: its place in the group's batches, day and amount.
type Good = GoodCell;

/// Phase-1 output of one row group.
struct UnitOut {
    scan: UnitScan,
    parts: Vec<Vec<Good>>,
    max_day: i32,
}

/// Summarizes the Parquet file or folder at `path`. `progress` gets the compressed bytes of
/// the row groups read so far.
pub fn summarize_parquet(
    path: &Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<(Summary, RowAccounting)> {
    let (read, cal_day) = effective_options(read, opts)?;
    let mut maps: Vec<CustomerMap> = (0..PARTITIONS).map(|_| CustomerMap::default()).collect();
    let scanned = scan_parquet(path, &read, cal_day, &mut maps, progress)?;
    let summary = finish(
        &scanned.source_name,
        maps,
        scanned.extra_columns,
        scanned.max_day,
        &read,
        opts,
    )?;
    Ok((summary, scanned.accounting))
}

/// Reads the Parquet file or folder at `path`, giving each used row to the sink of its
/// customer's partition (one sink per partition), in file order. `read` are the effective
/// options ([`effective_options`]).
pub(super) fn scan_parquet<S: RowSink>(
    path: &Path,
    read: &ReadOptions,
    cal_day: Option<i32>,
    sinks: &mut [S],
    progress: &mut dyn FnMut(u64),
) -> Result<Scanned> {
    let nparts = sinks.len().max(1);
    let files = ParquetFiles::open(path)?;
    let cols = TransactionColumns::find(&files, read)?;
    let extra_columns: Vec<String> = cols
        .extras
        .iter()
        .map(|&i| files.names[i].clone())
        .collect();
    let units = files.units();
    let end_day = read.observation_end.map(date_to_day);
    let hasher = FastBuildHasher::default();
    let mut acc = RowAccounting::default();
    let mut max_day = i32::MIN;
    let has_extras = !cols.extras.is_empty();
    // Two row groups per thread and round: enough to balance uneven groups.
    let round = 2 * rayon::current_num_threads().max(1);
    let mut bytes = 0u64;

    for units in units.chunks(round) {
        let mut outs: Vec<UnitOut> = units
            .par_iter()
            .map(|unit| {
                let mut dates = DateParser::new(read.date_format.as_deref());
                let mut parts: Vec<Vec<Good>> = vec![Vec::new(); nparts];
                let mut max_day = i32::MIN;
                let scan = scan_transactions(
                    &files,
                    unit,
                    &cols,
                    &mut dates,
                    end_day,
                    read.on_error,
                    |id, good| {
                        max_day = max_day.max(good.day);
                        parts[partition(hasher.hash_one(id.as_bytes()), nparts)].push(good);
                    },
                );
                UnitOut {
                    scan,
                    parts,
                    max_day,
                }
            })
            .collect();

        // Accounting in file order; the first fatal problem in file order wins.
        for out in &mut outs {
            let scan = &mut out.scan;
            if let Some(e) = scan.error.take() {
                return Err(e);
            }
            acc.rows_read += scan.rows_read;
            acc.rows_used += scan.rows_used;
            acc.rows_rejected += scan.rejections.len() as u64;
            for (why, n) in &scan.rejected_by_reason {
                *acc.rejected_by_reason.entry(why.to_string()).or_insert(0) += n;
            }
            acc.rejections.append(&mut scan.rejections);
            max_day = max_day.max(out.max_day);
        }
        bytes += units.iter().map(|u| u.bytes).sum::<u64>();
        progress(bytes);

        // Phase 2: each partition applies its rows, row group by row group, in file order.
        let outs = &outs;
        sinks.par_iter_mut().enumerate().for_each(|(p, sink)| {
            let mut buf = String::new();
            for out in outs {
                let batches = &out.scan.batches;
                for g in &out.parts[p] {
                    let batch = &batches[g.batch as usize];
                    let row = g.row as usize;
                    let id = id_text(batch.id.get(row), &mut buf);
                    sink.add_row(id.as_bytes(), g.day, g.amount, cal_day, has_extras, || {
                        batch
                            .extras
                            .iter()
                            .map(|c| Cow::Owned(c.get(row).to_text()))
                            .collect()
                    });
                }
            }
        });
    }
    if acc.rows_read == 0 {
        return Err(ClvError::input(files.describe(), "empty input (no rows)"));
    }
    Ok(Scanned {
        source_name: path.display().to_string(),
        accounting: acc,
        extra_columns,
        max_day,
    })
}
