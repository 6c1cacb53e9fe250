//! The parallel path of the feature builder, for files without quotes.
//!
//! The file is read in rounds of a few megabytes per thread, each cut at a newline. A round
//! runs in two parallel phases:
//! 1. the round is cut at newlines into one chunk per thread; each thread parses and checks its
//!    chunk's lines ([`crate::ingest::lines`]) and sorts the good rows into partitions by a
//!    hash of the customer id;
//! 2. each partition, owning its customers' states, takes its rows from chunk 0, chunk 1, ...
//!    in turn, so every customer sees its rows in file order.
//!
//! Because each customer is updated by one thread in file order, the float sums, the first-day
//! amount and the row whose extra columns count are exactly those of the sequential path; no
//! per-customer state is ever merged. Line numbers are counted per chunk and made absolute
//! from the line counts of the chunks before it, so rejections and errors name the same lines
//! as the sequential reader. Memory is the customer states plus one round buffer.
//!
//! The rule for falling back: a header or any line with a `"` (quoting may hide newlines) or a
//! `\r` not followed by `\n` makes this path return `None`, and the caller reads the file
//! sequentially with the full CSV reader.

use std::borrow::Cow;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use super::state::{CustomerMap, RowSink, ShortId};
use super::{Scanned, SummaryOptions, effective_options, finish};
use crate::error::{ClvError, Result};
use crate::features::Summary;
use crate::features::hash::FastBuildHasher;
use crate::ingest::lines::{GoodRow, Scan, ScanError, extra_field, scan_chunk, split_fields};
use crate::ingest::{Columns, DateParser, ReadOptions, RowAccounting, date_to_day};

/// How to cut the work.
#[derive(Debug, Clone)]
pub struct Chunking {
    /// Chunks per round (one per thread is right).
    pub threads: usize,
    /// Bytes per chunk and round.
    pub chunk_bytes: usize,
    /// Customer partitions (more than threads, for balance).
    pub partitions: usize,
}

impl Default for Chunking {
    fn default() -> Self {
        Chunking {
            threads: rayon::current_num_threads().max(1),
            // Measured on the 12.6M-row benchmark: bigger rounds and smaller partitions (each
            // partition's table nearer to fitting a core's cache) cut CPU time by ~10%.
            chunk_bytes: 32 << 20,
            partitions: 256,
        }
    }
}

/// A good row: positions in the round buffer, with its id copied when short.
#[derive(Debug, Clone, Copy)]
struct RowRef {
    line_start: u32,
    id_start: u32,
    id_end: u32,
    day: i32,
    amount: f64,
    short_id: ShortId,
}

/// Phase-1 output of one chunk.
#[derive(Default)]
struct ChunkOut {
    scan: Scan,
    /// Good rows by partition.
    parts: Vec<Vec<RowRef>>,
    max_day: i32,
}

/// Summarizes the file at `path` with the parallel chunked reader; `Ok(None)` when the file
/// needs the full CSV reader (see the module comment). `progress` gets the bytes read so far.
pub fn summarize_file_parallel(
    path: &Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
    chunking: &Chunking,
    progress: &mut dyn FnMut(u64),
) -> Result<Option<(Summary, RowAccounting)>> {
    let (read, cal_day) = effective_options(read, opts)?;
    let mut maps: Vec<CustomerMap> = (0..chunking.partitions.max(1))
        .map(|_| CustomerMap::default())
        .collect();
    let Some(scanned) = scan_file_parallel(path, &read, cal_day, chunking, &mut maps, progress)?
    else {
        return Ok(None);
    };
    let summary = finish(
        &scanned.source_name,
        maps,
        scanned.extra_columns,
        scanned.max_day,
        &read,
        opts,
    )?;
    Ok(Some((summary, scanned.accounting)))
}

/// Reads the file at `path` with the parallel chunked reader, giving each used row to the sink
/// of its customer's partition (one sink per partition), in file order; `Ok(None)` when the
/// file needs the full CSV reader (the sinks then hold part of the rows). `read` are the
/// effective options ([`effective_options`]).
pub(super) fn scan_file_parallel<S: RowSink>(
    path: &Path,
    read: &ReadOptions,
    cal_day: Option<i32>,
    chunking: &Chunking,
    sinks: &mut [S],
    progress: &mut dyn FnMut(u64),
) -> Result<Option<Scanned>> {
    let name = path.display().to_string();
    let mut file =
        File::open(path).map_err(|e| ClvError::input(&name, format!("cannot open: {e}")))?;
    let io_err = |e: std::io::Error| ClvError::input(&name, format!("cannot read: {e}"));
    let threads = chunking.threads.max(1);
    let nparts = sinks.len().max(1);
    let round_bytes = threads * chunking.chunk_bytes.max(1 << 10);

    let mut buf: Vec<u8> = Vec::with_capacity(round_bytes);
    let mut bytes_read = 0u64;
    let mut eof = fill(&mut file, &mut buf, round_bytes, &mut bytes_read).map_err(io_err)?;
    // The header: a plain first line, else the CSV reader decides what it is.
    let Some(header_end) = buf.iter().position(|&c| c == b'\n') else {
        return Ok(None);
    };
    let header_line = buf[..header_end]
        .strip_suffix(b"\r")
        .unwrap_or(&buf[..header_end]);
    let mut bounds = Vec::new();
    if header_line.is_empty() || !split_fields(header_line, &mut bounds) {
        return Ok(None);
    }
    let header_rec: csv::ByteRecord = bounds
        .iter()
        .map(|&(a, b)| &header_line[a as usize..b as usize])
        .collect();
    let cols = Columns::from_header(&header_rec, &name, read)?;
    let extra_columns = cols.header().extra_columns;
    buf.drain(..=header_end);

    let end_day = read.observation_end.map(date_to_day);
    let mut dates: Vec<DateParser> = (0..threads)
        .map(|_| DateParser::new(read.date_format.as_deref()))
        .collect();
    let mut outs: Vec<ChunkOut> = (0..threads).map(|_| ChunkOut::default()).collect();
    let mut acc = RowAccounting::default();
    // Lines before the current chunk: the header so far.
    let mut lines_before = 1u64;
    let mut max_day = i32::MIN;
    let hasher = FastBuildHasher::default();
    let has_extras = !cols.extra_idx.is_empty();
    let mut carry = Vec::new();

    loop {
        progress(bytes_read);
        // Cut the round after its last newline; the rest waits for the next round.
        let data_len = if eof {
            buf.len()
        } else {
            match buf.iter().rposition(|&c| c == b'\n') {
                Some(p) => p + 1,
                None => {
                    // A line longer than the round: read more of it.
                    let want = buf.len() + round_bytes;
                    eof = fill(&mut file, &mut buf, want, &mut bytes_read).map_err(io_err)?;
                    continue;
                }
            }
        };
        if data_len > u32::MAX as usize {
            return Ok(None);
        }
        carry.clear();
        carry.extend_from_slice(&buf[data_len..]);
        buf.truncate(data_len);
        let data = &buf[..];
        let cuts = cut_points(data, threads);

        // Phase 1: parse and check each chunk, sorting good rows into partitions.
        outs.par_iter_mut()
            .zip(dates.par_iter_mut())
            .enumerate()
            .for_each(|(k, (out, dates))| {
                let (from, to) = (cuts[k], cuts[k + 1]);
                out.parts.resize_with(nparts, Vec::new);
                out.parts.iter_mut().for_each(Vec::clear);
                let mut max_day = i32::MIN;
                let parts = &mut out.parts;
                out.scan = scan_chunk(
                    &data[from..to],
                    &cols,
                    dates,
                    end_day,
                    read.on_error,
                    |row: GoodRow| {
                        max_day = max_day.max(row.day);
                        let id = &data[from + row.id.0..from + row.id.1];
                        let p = partition(hasher.hash_one(id), nparts);
                        parts[p].push(RowRef {
                            line_start: (from + row.line_start) as u32,
                            id_start: (from + row.id.0) as u32,
                            id_end: (from + row.id.1) as u32,
                            day: row.day,
                            amount: row.amount,
                            short_id: ShortId::new(id),
                        });
                    },
                );
                out.max_day = max_day;
            });

        // Accounting in chunk order; the first fatal problem in file order wins.
        for out in &mut outs {
            let scan = std::mem::take(&mut out.scan);
            if scan.unsupported {
                return Ok(None);
            }
            if let Some(e) = scan.error {
                return Err(match e {
                    ScanError::BadRow {
                        line,
                        column,
                        value,
                        reason,
                    } => ClvError::BadRow {
                        file: name.clone(),
                        line: lines_before + line,
                        column,
                        value,
                        reason: reason.to_string(),
                    },
                    ScanError::NotUtf8 { line } => ClvError::input(
                        &name,
                        format!(
                            "line {}: not valid UTF-8 text (convert the file to UTF-8)",
                            lines_before + line
                        ),
                    ),
                });
            }
            acc.rows_read += scan.rows_read;
            acc.rows_used += scan.rows_used;
            acc.rows_rejected += scan.rejections.len() as u64;
            for (why, n) in scan.rejected_by_reason {
                *acc.rejected_by_reason.entry(why.to_string()).or_insert(0) += n;
            }
            acc.rejections
                .extend(scan.rejections.into_iter().map(|mut r| {
                    r.line += lines_before;
                    r
                }));
            lines_before += scan.newlines;
            max_day = max_day.max(out.max_day);
        }

        // Phase 2: each partition applies its rows, chunk by chunk, in file order.
        let outs_ref = &outs;
        let extra_idx = &cols.extra_idx;
        sinks.par_iter_mut().enumerate().for_each(|(p, sink)| {
            let mut bounds = Vec::new();
            for out in outs_ref {
                for r in &out.parts[p] {
                    let id = r
                        .short_id
                        .get()
                        .unwrap_or(&data[r.id_start as usize..r.id_end as usize]);
                    let line = r.line_start as usize;
                    sink.add_row(id, r.day, r.amount, cal_day, has_extras, || {
                        extra_idx
                            .iter()
                            .map(|&j| Cow::Borrowed(extra_field(data, line, j, &mut bounds)))
                            .collect()
                    });
                }
            }
        });

        if eof && carry.is_empty() {
            break;
        }
        std::mem::swap(&mut buf, &mut carry);
        if !eof {
            let want = buf.len() + round_bytes;
            eof = fill(&mut file, &mut buf, want, &mut bytes_read).map_err(io_err)?;
        }
    }
    progress(bytes_read);
    if acc.rows_read == 0 {
        return Err(ClvError::input(
            &name,
            "empty input (a header line but no rows)",
        ));
    }
    Ok(Some(Scanned {
        source_name: name,
        accounting: acc,
        extra_columns,
        max_day,
    }))
}

/// Reads from `r` until `buf` holds `want` bytes or the input ends (then `true`), adding the
/// bytes read to `total`.
fn fill(
    r: &mut impl Read,
    buf: &mut Vec<u8>,
    want: usize,
    total: &mut u64,
) -> std::io::Result<bool> {
    let start = buf.len();
    if want > start {
        let n = r.take((want - start) as u64).read_to_end(buf)?;
        *total += n as u64;
    }
    Ok(buf.len() < want)
}

/// `chunks + 1` offsets cutting `data` into chunks of about equal size, each cut just after a
/// newline (chunks may be empty).
fn cut_points(data: &[u8], chunks: usize) -> Vec<usize> {
    let mut cuts = Vec::with_capacity(chunks + 1);
    cuts.push(0);
    for k in 1..chunks {
        let prev = cuts[k - 1];
        let target = (data.len() * k / chunks).max(prev);
        let cut = if target == 0 || data[target - 1] == b'\n' {
            target
        } else {
            match data[target..].iter().position(|&c| c == b'\n') {
                Some(n) => target + n + 1,
                None => data.len(),
            }
        };
        cuts.push(cut);
    }
    cuts.push(data.len());
    cuts
}

/// The partition of a customer-id hash. The bits used are neither the table's low bucket bits
/// nor its top tag bits, so that each partition's own table stays well spread.
#[inline]
pub(super) fn partition(hash: u64, partitions: usize) -> usize {
    ((hash >> 32) as usize) % partitions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_fall_after_newlines_and_cover_the_data() {
        let data = b"aa\nbbbb\nc\ndddddd\ne";
        for chunks in 1..8 {
            let cuts = cut_points(data, chunks);
            assert_eq!(cuts.len(), chunks + 1);
            assert_eq!((cuts[0], cuts[chunks]), (0, data.len()));
            for w in cuts.windows(2) {
                assert!(w[0] <= w[1]);
            }
            for &c in &cuts[1..chunks] {
                assert!(c == data.len() || data[c - 1] == b'\n', "{cuts:?}");
            }
        }
    }
}
