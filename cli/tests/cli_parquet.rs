//! Parquet through the command line: `clv summarize` from Parquet gives the CSV's bytes and
//! writes Parquet; `clv fit` and `clv predict` read Parquet summaries and `clv predict` and
//! `clv score` write Parquet with the CSV's columns; bad values fail naming the row group.

mod common;
#[path = "../../tests/common/parquet.rs"]
mod parquet_files;

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_schema::DataType;
use common::run_clv_in as clv;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet_files::{Col, as_refs, csv_columns, write};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn root() -> PathBuf {
    common::workspace_root()
}

fn run_ok(args: &[&str], dir: &Path) -> String {
    let out = clv(args, dir);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    text(&out.stderr)
}

/// Column names and the batches of a Parquet file.
fn read(path: &Path) -> (Vec<(String, DataType)>, Vec<arrow_array::RecordBatch>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let schema = builder.schema().clone();
    let reader = builder.build().unwrap();
    let fields = schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect();
    (fields, reader.map(|b| b.unwrap()).collect())
}

fn float_column(batches: &[arrow_array::RecordBatch], name: &str) -> Vec<f64> {
    batches
        .iter()
        .flat_map(|b| {
            let c = b
                .column_by_name(name)
                .unwrap()
                .as_primitive::<Float64Type>();
            c.values().to_vec()
        })
        .collect()
}

#[test]
fn summarize_fit_predict_through_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = root().join("data/demo_transactions.csv");
    let orders = d.join("orders.parquet");
    write(&orders, &as_refs(&csv_columns(&demo, &["score"])), 2000);
    let (demo, orders) = (demo.to_str().unwrap(), orders.to_str().unwrap());
    let cal = ["--calibration-end", "2024-09-30"];
    let from_csv = run_ok(
        &[&["summarize", "-i", demo, "-o", "a.csv"][..], &cal].concat(),
        d,
    );
    let from_pq = run_ok(
        &[&["summarize", "-i", orders, "-o", "b.csv"][..], &cal].concat(),
        d,
    );
    assert_eq!(from_csv.lines().next(), from_pq.lines().next());
    let (a, b) = (
        std::fs::read(d.join("a.csv")).unwrap(),
        std::fs::read(d.join("b.csv")).unwrap(),
    );
    assert!(
        a == b,
        "the summary of the Parquet orders differs from the CSV's"
    );
    run_ok(
        &[&["summarize", "-i", orders, "-o", "s.parquet"][..], &cal].concat(),
        d,
    );
    let (fields, _) = read(&d.join("s.parquet"));
    let header = text(&a).lines().next().unwrap().to_string();
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.join(","), header);

    // Fit and predict on both summaries: the Parquet one holds the exact values, the CSV one
    // 8 significant digits, so the numbers agree closely but not bit for bit.
    for (summary, model) in [("a.csv", "m_csv.json"), ("s.parquet", "m_pq.json")] {
        run_ok(
            &["fit", "--summary", summary, "--model", "bgnbd", "-o", model],
            d,
        );
    }
    run_ok(
        &[
            "predict",
            "--model",
            "m_csv.json",
            "--summary",
            "a.csv",
            "--horizon",
            "39",
            "-o",
            "p.csv",
        ],
        d,
    );
    run_ok(
        &[
            "predict",
            "--model",
            "m_pq.json",
            "--summary",
            "s.parquet",
            "--horizon",
            "39",
            "-o",
            "p.parquet",
        ],
        d,
    );
    let csv = std::fs::read_to_string(d.join("p.csv")).unwrap();
    let (fields, batches) = read(&d.join("p.parquet"));
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.join(","), csv.lines().next().unwrap());
    assert_eq!(fields[0].1, DataType::Utf8);
    let p_alive = float_column(&batches, "p_alive");
    let col = names.iter().position(|n| *n == "p_alive").unwrap();
    let from_csv: Vec<f64> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(col).unwrap().parse().unwrap())
        .collect();
    assert_eq!(p_alive.len(), from_csv.len());
    for (a, b) in p_alive.iter().zip(&from_csv) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
}

#[test]
fn score_writes_parquet_with_the_csv_columns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bundle = root().join("models/demo_bundle.json");
    let demo = root().join("data/demo_transactions.csv");
    let (bundle, demo) = (bundle.to_str().unwrap(), demo.to_str().unwrap());
    run_ok(
        &[
            "score", "--margin", "1", "--model", bundle, "-i", demo, "-o", "s.csv",
        ],
        d,
    );
    run_ok(
        &[
            "score",
            "--margin",
            "1",
            "--model",
            bundle,
            "-i",
            demo,
            "-o",
            "s.parquet",
        ],
        d,
    );
    let csv = std::fs::read_to_string(d.join("s.csv")).unwrap();
    let (fields, batches) = read(&d.join("s.parquet"));
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.join(","), csv.lines().next().unwrap());
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, csv.lines().count() - 1);
    let ty = |n: &str| fields.iter().find(|(f, _)| f == n).unwrap().1.clone();
    assert_eq!(ty("frequency"), DataType::Int64);
    assert_eq!(ty("clv_usd"), DataType::Float64);
    assert_eq!(ty("at_risk"), DataType::Boolean);
    let clv = float_column(&batches, "clv_usd");
    let col = names.iter().position(|n| *n == "clv_usd").unwrap();
    // The CSV rounds money to cents; Parquet keeps every digit.
    for (line, v) in csv.lines().skip(1).zip(&clv) {
        let shown: f64 = line.split(',').nth(col).unwrap().parse().unwrap();
        assert!((shown - v).abs() <= 0.005 + 1e-9, "{shown} vs {v}");
    }
}

#[test]
fn bad_parquet_value_fails_with_one_line_naming_the_row_group() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = d.join("bad.parquet");
    let ids = Col::Text((1..=6).map(|i| Some(i.to_string())).collect());
    let dates = Col::Text(
        [
            "2020-01-01",
            "2020-01-02",
            "2020-01-03",
            "2020-01-04",
            "not a date",
            "2020-01-06",
        ]
        .map(|s| Some(s.to_string()))
        .to_vec(),
    );
    let amounts = Col::Float(vec![Some(1.0); 6]);
    write(
        &path,
        &[("customer_id", ids), ("date", dates), ("amount", amounts)],
        4,
    );
    let out = clv(&["summarize", "-i", path.to_str().unwrap()], d);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains(
            "bad.parquet: row group 1, row 0: column 'date': unparsable date (value 'not a date')"
        ),
        "{err}"
    );
    // Skipped: the rejects file names the place.
    let out = clv(
        &[
            "summarize",
            "-i",
            path.to_str().unwrap(),
            "--on-error",
            "skip",
            "-o",
            "s.parquet",
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("read 6 rows: 5 used, 1 rejected"));
    let rejects = std::fs::read_to_string(d.join("s.rejects.csv")).unwrap();
    assert!(rejects.contains("row group 1, row 0"), "{rejects}");
}
