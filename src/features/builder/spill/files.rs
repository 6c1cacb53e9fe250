//! The temporary files of the partitioned path: a partition's rows (written by the readers,
//! read back to rebuild its customers' states) and a partition's sorted summary lines (merged
//! into the output).
//!
//! Both are plain little-endian records, written and read by this process only:
//! - row file: `id_len: u32, id, day: i32, amount: f64 bits`, then for each extra column
//!   `len: u32, text`;
//! - run file: `id_len: u32, id, line_len: u32, line` (the summary CSV line of that customer).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::super::SortKey;
use super::super::state::{CustomerMap, RowSink};
use crate::error::{ClvError, Result};

/// The error for a temporary file that cannot be written or read.
pub(super) fn temp_error(path: &Path, what: &str, e: io::Error) -> ClvError {
    ClvError::input(
        path.display().to_string(),
        format!("temporary file of the partitioned summary: cannot {what}: {e}"),
    )
}

/// A partition's row file being written; the first write error is kept for [`Self::close`]
/// (the readers' sinks cannot fail row by row).
pub(super) struct RowFile {
    path: PathBuf,
    out: BufWriter<File>,
    error: Option<io::Error>,
}

impl RowFile {
    pub fn create(path: PathBuf, buffer_bytes: usize) -> Result<Self> {
        let file = File::create(&path).map_err(|e| temp_error(&path, "create", e))?;
        Ok(RowFile {
            path,
            out: BufWriter::with_capacity(buffer_bytes, file),
            error: None,
        })
    }

    fn write(&mut self, bytes: &[u8]) {
        if self.error.is_none()
            && let Err(e) = self.out.write_all(bytes)
        {
            self.error = Some(e);
        }
    }

    /// Flushes the file and returns its path, or the first write error.
    pub fn close(mut self) -> Result<PathBuf> {
        if let Some(e) = self.error.take() {
            return Err(temp_error(&self.path, "write", e));
        }
        self.out
            .flush()
            .map_err(|e| temp_error(&self.path, "write", e))?;
        Ok(self.path)
    }
}

impl RowSink for RowFile {
    fn add_row<'a>(
        &mut self,
        id: &[u8],
        day: i32,
        amount: f64,
        _cal_day: Option<i32>,
        has_extras: bool,
        extras: impl FnOnce() -> Vec<Cow<'a, str>>,
    ) {
        self.write(&(id.len() as u32).to_le_bytes());
        self.write(id);
        self.write(&day.to_le_bytes());
        self.write(&amount.to_bits().to_le_bytes());
        if has_extras {
            for e in extras() {
                self.write(&(e.len() as u32).to_le_bytes());
                self.write(e.as_bytes());
            }
        }
    }
}

/// Reads `n` bytes into `buf`.
fn read_field(r: &mut impl Read, buf: &mut Vec<u8>, n: usize) -> io::Result<()> {
    buf.resize(n, 0);
    r.read_exact(buf)
}

/// Reads a little-endian u32; `None` at the end of the file.
fn read_u32_or_end(r: &mut impl Read) -> io::Result<Option<u32>> {
    let mut b = [0u8; 4];
    match r.read_exact(&mut b) {
        Ok(()) => Ok(Some(u32::from_le_bytes(b))),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// Rebuilds the customer states of one partition from its row file, rows in file order.
pub(super) fn load_rows(
    path: &Path,
    extra_count: usize,
    cal_day: Option<i32>,
) -> Result<CustomerMap> {
    let read_err = |e| temp_error(path, "read", e);
    let file = File::open(path).map_err(read_err)?;
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut map = CustomerMap::default();
    let mut id = Vec::new();
    let mut extras: Vec<Vec<u8>> = vec![Vec::new(); extra_count];
    let mut fixed = [0u8; 12];
    while let Some(id_len) = read_u32_or_end(&mut r).map_err(read_err)? {
        read_field(&mut r, &mut id, id_len as usize).map_err(read_err)?;
        r.read_exact(&mut fixed).map_err(read_err)?;
        let day = i32::from_le_bytes(fixed[..4].try_into().unwrap_or_default());
        let amount = f64::from_bits(u64::from_le_bytes(
            fixed[4..].try_into().unwrap_or_default(),
        ));
        for e in &mut extras {
            let n = read_u32(&mut r).map_err(read_err)?;
            read_field(&mut r, e, n as usize).map_err(read_err)?;
        }
        let extras = &extras;
        map.add_row(&id, day, amount, cal_day, extra_count > 0, || {
            // Written from validated UTF-8 text.
            extras.iter().map(|e| String::from_utf8_lossy(e)).collect()
        });
    }
    Ok(map)
}

/// A partition's sorted summary lines being written.
pub(super) struct RunFile {
    path: PathBuf,
    out: BufWriter<File>,
}

impl RunFile {
    pub fn create(path: PathBuf) -> Result<Self> {
        let file = File::create(&path).map_err(|e| temp_error(&path, "create", e))?;
        Ok(RunFile {
            path,
            out: BufWriter::with_capacity(1 << 18, file),
        })
    }

    pub fn push(&mut self, id: &str, line: &[u8]) -> Result<()> {
        let path = &self.path;
        let mut put = |b: &[u8]| {
            self.out
                .write_all(b)
                .map_err(|e| temp_error(path, "write", e))
        };
        put(&(id.len() as u32).to_le_bytes())?;
        put(id.as_bytes())?;
        put(&(line.len() as u32).to_le_bytes())?;
        put(line)
    }

    pub fn close(mut self) -> Result<PathBuf> {
        self.out
            .flush()
            .map_err(|e| temp_error(&self.path, "write", e))?;
        Ok(self.path)
    }
}

/// The next line of a run, ordered for a min-heap by the summary's id order.
struct Head {
    key: SortKey,
    id: String,
    line: Vec<u8>,
    run: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` pops the greatest.
        SortKey::compare(other.key, &other.id, self.key, &self.id)
            .then_with(|| other.run.cmp(&self.run))
    }
}

struct RunReader {
    path: PathBuf,
    r: BufReader<File>,
}

impl RunReader {
    fn next(&mut self, run: usize) -> Result<Option<Head>> {
        let read_err = |e| temp_error(&self.path, "read", e);
        let Some(id_len) = read_u32_or_end(&mut self.r).map_err(read_err)? else {
            return Ok(None);
        };
        let mut id = Vec::new();
        read_field(&mut self.r, &mut id, id_len as usize).map_err(read_err)?;
        let line_len = read_u32(&mut self.r).map_err(read_err)?;
        let mut line = Vec::new();
        read_field(&mut self.r, &mut line, line_len as usize).map_err(read_err)?;
        let id = String::from_utf8(id)
            .map_err(|_| temp_error(&self.path, "read", io::Error::other("an id is not UTF-8")))?;
        Ok(Some(Head {
            key: SortKey::of(id.as_bytes()),
            id,
            line,
            run,
        }))
    }
}

/// Merges the sorted runs into `out`, calling `progress` with the lines written so far about
/// every million lines. Each partition holds other customers, so the merge is the one order.
pub(super) fn merge_runs(
    runs: &[PathBuf],
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    let mut readers = Vec::with_capacity(runs.len());
    for path in runs {
        let file = File::open(path).map_err(|e| temp_error(path, "read", e))?;
        readers.push(RunReader {
            path: path.clone(),
            r: BufReader::with_capacity(1 << 16, file),
        });
    }
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (run, reader) in readers.iter_mut().enumerate() {
        if let Some(head) = reader.next(run)? {
            heap.push(head);
        }
    }
    let mut written = 0u64;
    while let Some(head) = heap.pop() {
        out.write_all(&head.line)?;
        written += 1;
        if written.is_multiple_of(1 << 20) {
            progress(written);
        }
        if let Some(next) = readers[head.run].next(head.run)? {
            heap.push(next);
        }
    }
    progress(written);
    Ok(written)
}
