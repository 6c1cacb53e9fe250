//! The partitioned (larger-than-memory) summarizer against the in-memory one: byte-identical
//! summary CSV, identical row accounting and rejections, identical errors, on random files
//! (many seeds, with bad rows, quotes, extra columns, calibration/holdout splits), degenerate
//! files (one customer, one row, every customer in one partition), Parquet input and the CDNOW
//! sample; and the temporary files are gone afterwards, on success and on error.

mod common;
#[path = "common/parquet.rs"]
mod parquet_files;

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use clv::features::builder::{SpillOptions, summarize_path_partitioned, write_summary_csv};
use clv::features::{SummaryOptions, TimeUnit, summarize_path};
use clv::ingest::{OnError, ReadOptions, RowAccounting};
use rand::{Rng, SeedableRng, rngs::StdRng};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The in-memory summary CSV and accounting, or the error text.
fn in_memory(
    path: &Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
) -> Result<(Vec<u8>, RowAccounting), String> {
    let (summary, acc) = summarize_path(path, read, opts, |_| {}).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    write_summary_csv(&summary, &mut out).unwrap();
    Ok((out, acc))
}

/// The partitioned summary CSV and accounting, or the error text; asserts that the temporary
/// folder is left empty either way.
fn partitioned(
    path: &Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
    partitions: Option<usize>,
    budget: u64,
) -> Result<(Vec<u8>, RowAccounting), String> {
    let temp = tempfile::tempdir().unwrap();
    let spill = SpillOptions {
        temp_dir: temp.path().to_path_buf(),
        memory_budget: budget,
        partitions,
    };
    let mut out = Vec::new();
    let mut stages = Vec::new();
    let result =
        summarize_path_partitioned(path, read, opts, &spill, &mut |p| stages.push(p), &mut out);
    let left: Vec<_> = std::fs::read_dir(temp.path()).unwrap().collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    let (summary, acc) = result.map_err(|e| e.to_string())?;
    assert!(!stages.is_empty(), "no progress reported");
    assert_eq!(summary.partitions, partitions.unwrap_or(summary.partitions));
    // The counts returned agree with the lines written (header + one per customer).
    let lines = out.iter().filter(|&&c| c == b'\n').count() as u64;
    assert!(
        lines > summary.customers,
        "{lines} lines for {} customers",
        summary.customers
    );
    Ok((out, acc))
}

/// Asserts that the partitioned path gives what the in-memory path gives, for several
/// partition counts (1 and 2 put many customers into one partition).
fn assert_same(path: &Path, read: &ReadOptions, opts: &SummaryOptions, what: &str) {
    let expected = in_memory(path, read, opts);
    for partitions in [Some(1), Some(2), Some(3), Some(17), None] {
        let got = partitioned(path, read, opts, partitions, 64 << 20);
        match (&expected, &got) {
            (Ok((e, ea)), Ok((g, ga))) => {
                assert!(
                    e == g,
                    "{what}, {partitions:?} partitions: summaries differ\n--- in memory\n{}\n--- partitioned\n{}",
                    String::from_utf8_lossy(e),
                    String::from_utf8_lossy(g)
                );
                assert_eq!(ea, ga, "{what}, {partitions:?} partitions: accounting");
            }
            (Err(e), Err(g)) => assert_eq!(e, g, "{what}, {partitions:?} partitions: errors"),
            _ => panic!(
                "{what}, {partitions:?} partitions: in memory {:?}, partitioned {:?}",
                expected.as_ref().map(|r| r.1.clone()),
                got.as_ref().map(|r| r.1.clone())
            ),
        }
    }
}

/// A random transaction file: ids of several kinds (numbers, leading zeros, text, long,
/// non-ASCII, and with `quotes` some quoted with a comma), shuffled rows, a channel column,
/// and bad rows of every kind.
fn random_file(path: &Path, seed: u64, quotes: bool) {
    let mut rng = StdRng::seed_from_u64(seed);
    let customers = rng.random_range(1..400);
    let rows = rng.random_range(1..3000);
    let start = date("2020-01-01");
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "customer_id,date,amount,channel").unwrap();
    for _ in 0..rows {
        let c: u32 = rng.random_range(0..customers);
        let id = match c % 6 {
            0 => format!("c{c}"),
            1 => format!("00{c}"),
            2 => format!("{}", u64::MAX - u64::from(c)),
            3 => format!("kunde-ü-{c}-with-a-rather-long-identifier"),
            4 if quotes => format!("\"q,{c}\""),
            _ => c.to_string(),
        };
        let day = start + chrono::Duration::days(rng.random_range(0..900));
        let amount = match rng.random_range(0..5) {
            0 => format!("{:.2}", rng.random::<f64>() * 200.0),
            1 => format!("{}", rng.random_range(0..50)),
            2 => format!("{:.4}", rng.random::<f64>()),
            3 => "0".to_string(),
            _ => format!("{:.1}", rng.random::<f64>() * 1e6),
        };
        let channel = ["web", "shop", "app", ""][rng.random_range(0..4)];
        let line = match rng.random_range(0..60) {
            0 => format!(",{day},{amount},{channel}"),
            1 => format!("{id},{day},-3,{channel}"),
            2 => format!("{id},not-a-date,{amount},{channel}"),
            3 => format!("{id},{day},abc,{channel}"),
            4 => format!("{id},2031-01-01,{amount},{channel}"),
            _ => format!("{id},{day},{amount},{channel}"),
        };
        writeln!(f, "{line}").unwrap();
    }
    f.flush().unwrap();
}

fn skip_read() -> ReadOptions {
    ReadOptions {
        on_error: OnError::Skip,
        ..Default::default()
    }
}

#[test]
fn random_files_give_byte_identical_summaries() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 0..40 {
        let path = dir.path().join(format!("t{seed}.csv"));
        random_file(&path, seed, seed % 4 == 3);
        let calibration = [None, Some(date("2021-03-31")), Some(date("2022-06-01"))];
        let observation = [None, Some(date("2022-08-01")), Some(date("2030-01-01"))];
        let opts = SummaryOptions {
            unit: [TimeUnit::Week, TimeUnit::Day, TimeUnit::Month][seed as usize % 3],
            calibration_end: calibration[seed as usize % 3],
            observation_end: observation[(seed as usize / 3) % 3],
            keep_purchase_times: false,
        };
        assert_same(&path, &skip_read(), &opts, &format!("seed {seed}"));
        // Fail mode: the same first error (file, line, column, value), or the same summary.
        assert_same(
            &path,
            &ReadOptions::default(),
            &opts,
            &format!("seed {seed}, fail"),
        );
    }
}

#[test]
fn degenerate_files_give_byte_identical_summaries() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, String)> = vec![
        ("one row", "customer_id,date,amount\n7,2020-01-01,3\n".into()),
        (
            "one customer",
            (0..500)
                .map(|i| format!("a,2020-{:02}-{:02},{}.25\n", 1 + i % 12, 1 + i % 28, i))
                .fold("customer_id,date,amount\n".to_string(), |s, l| s + &l),
        ),
        (
            "only rejected rows",
            "customer_id,date,amount\n,2020-01-01,3\nx,2020-01-01,-1\n".into(),
        ),
        ("header only", "customer_id,date,amount\n".into()),
        (
            "all after the calibration end",
            "customer_id,date,amount\na,2021-01-01,3\nb,2021-02-01,4\n".into(),
        ),
        (
            "quoted ids with commas and newlines",
            "customer_id,date,amount\n\"a,1\",2020-01-01,3\n\"b\nc\",2020-01-02,4\n\"a,1\",2020-02-01,5\n".into(),
        ),
        (
            "no trailing newline, CRLF",
            "customer_id,date,amount\r\n2,2020-01-01,3\r\n10,2020-01-05,4".into(),
        ),
    ];
    for (what, text) in &cases {
        let path = dir.path().join("d.csv");
        std::fs::write(&path, text).unwrap();
        for calibration_end in [None, Some(date("2020-06-30"))] {
            let opts = SummaryOptions {
                calibration_end,
                ..Default::default()
            };
            assert_same(&path, &skip_read(), &opts, what);
            assert_same(&path, &ReadOptions::default(), &opts, what);
        }
    }
}

/// Amounts that are finite one by one but not in sum: the same error, naming the file and
/// the customer, from a partition as from memory.
#[test]
fn overflow_in_a_partition_is_the_in_memory_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    std::fs::write(
        &path,
        "customer_id,date,amount\n1,2020-01-01,1e308\n2,2020-01-01,5\n1,2020-01-02,1e308\n",
    )
    .unwrap();
    let opts = SummaryOptions::default();
    let e = partitioned(&path, &ReadOptions::default(), &opts, Some(3), 64 << 20).unwrap_err();
    assert!(e.contains("big.csv") && e.contains("customer '1'"), "{e}");
    assert_same(&path, &ReadOptions::default(), &opts, "overflow");
}

/// A bad row is reported with the original file and line, in fail mode.
#[test]
fn errors_name_the_original_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(
        &path,
        "customer_id,date,amount\n1,2020-01-01,3\n2,2020-01-02,x\n",
    )
    .unwrap();
    let e = partitioned(
        &path,
        &ReadOptions::default(),
        &SummaryOptions::default(),
        Some(2),
        1,
    )
    .unwrap_err();
    assert!(e.contains("bad.csv:3:") && e.contains("'x'"), "{e}");
}

#[test]
fn parquet_input_gives_the_in_memory_summary() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    random_file(&csv, 99, false);
    // Only good rows: Parquet columns are typed.
    let text = std::fs::read_to_string(&csv).unwrap();
    let good: String = text
        .lines()
        .filter(|l| {
            let f: Vec<&str> = l.split(',').collect();
            !f[0].is_empty()
                && !f[1].starts_with("not")
                && f[2].parse::<f64>().is_ok_and(|a| a >= 0.0)
                || l.starts_with("customer_id")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&csv, good).unwrap();
    let cols = parquet_files::csv_columns(&csv, &["customer_id", "channel"]);
    let pq = dir.path().join("t.parquet");
    parquet_files::write(&pq, &parquet_files::as_refs(&cols), 97);
    let opts = SummaryOptions {
        calibration_end: Some(date("2021-06-30")),
        ..Default::default()
    };
    assert_same(&pq, &skip_read(), &opts, "parquet");
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    parquet_files::write_folder(&folder, &parquet_files::as_refs(&cols), 3, 50);
    assert_same(&folder, &skip_read(), &opts, "parquet folder");
}

/// Acceptance: the CDNOW master file (calibration/holdout split, weeks), partitioned, gives
/// the in-memory summary byte for byte.
#[test]
#[cfg_attr(
    not(clv_datasets),
    ignore = "needs the reference datasets: set CLV_DATASETS"
)]
fn cdnow_partitioned_is_byte_identical() {
    let Some(path) = common::dataset("cdnow_master.csv") else {
        return;
    };
    let opts = SummaryOptions {
        unit: TimeUnit::Week,
        calibration_end: Some(date("1997-09-30")),
        ..Default::default()
    };
    let expected = in_memory(&path, &ReadOptions::default(), &opts).unwrap();
    assert!(expected.0.len() > 100_000);
    for partitions in [Some(5), None] {
        let got = partitioned(&path, &ReadOptions::default(), &opts, partitions, 1 << 20).unwrap();
        assert!(expected == got, "{partitions:?} partitions");
    }
}

/// A temporary folder that cannot be made is an error naming it, not a panic.
#[test]
fn a_missing_temp_dir_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    random_file(&path, 5, false);
    let spill = SpillOptions {
        temp_dir: dir.path().join("no/such/dir"),
        memory_budget: 1 << 20,
        partitions: None,
    };
    let e = summarize_path_partitioned(
        &path,
        &skip_read(),
        &SummaryOptions::default(),
        &spill,
        &mut |_| {},
        &mut Vec::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("no/such/dir"), "{e}");
}
