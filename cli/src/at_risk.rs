//! `clv at-risk`: the customers likely to churn and worth saving, ranked by value at risk
//! (churn probability × CLV, or × historical spend without a CLV file), each with the three
//! features that push their churn score up most.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clv::churn::jobs::at_risk_list;
use clv::churn::{AtRiskOptions, RiskSelection};
use clv::io::write_at_risk_csv;
use clv::report::text::at_risk_table;

use crate::churn::load_for_scoring;
use crate::common::{ChurnScoringArgs, Ui, output};

/// Rows shown on the terminal when the full list goes to a file.
const TERMINAL_ROWS: usize = 20;
/// Reasons listed per customer.
const REASONS: usize = 3;

/// List the customers at risk of churning, by value at risk.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  clv at-risk --model churn.json --input orders.csv --top-percent 10 --min-value 50 \\
      --clv-file scores.csv --output at_risk.csv
  clv at-risk --model churn.json --input orders.csv --risk-threshold 0.7 --limit 100

Value at risk = churn probability × value, the value being the customer's CLV from --clv-file
(a CSV with customer_id,clv columns) or else their historical spend. Ranked by value at risk,
ties by customer id; each row lists the three features raising the churn score most.")]
pub struct Args {
    #[command(flatten)]
    pub scoring: ChurnScoringArgs,
    /// Customers with churn probability at or above this (default 0.5).
    #[arg(
        long,
        alias = "threshold",
        conflicts_with = "top_percent",
        value_name = "P"
    )]
    pub risk_threshold: Option<f64>,
    /// Or the top K percent of customers by churn probability.
    #[arg(long, value_name = "K")]
    pub top_percent: Option<f64>,
    /// Only customers whose value is at least this.
    #[arg(long, default_value_t = 0.0, value_name = "V")]
    pub min_value: f64,
    /// CSV with customer_id and clv columns (e.g. from `clv score`); customers not in it are
    /// left out.
    #[arg(long, value_name = "FILE")]
    pub clv_file: Option<PathBuf>,
    /// Keep at most this many rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Output file, Parquet when it ends in `.parquet`, else CSV (default: a table on stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Reads `customer_id,clv` (other columns ignored); errors name the file and line.
fn read_clv_file(path: &Path) -> anyhow::Result<HashMap<String, f64>> {
    let name = path.display();
    let mut rdr = csv::Reader::from_path(path).with_context(|| format!("reading {name}"))?;
    let headers = rdr
        .headers()
        .with_context(|| format!("reading {name}"))?
        .clone();
    let col = |want: &str| headers.iter().position(|h| h.trim() == want);
    let (Some(id_col), Some(clv_col)) = (col("customer_id"), col("clv")) else {
        bail!(
            "{name}: needs customer_id and clv columns (found: {})",
            headers.iter().collect::<Vec<_>>().join(", ")
        );
    };
    let mut values = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.with_context(|| format!("{name}: line {line}"))?;
        let id = rec.get(id_col).unwrap_or("").trim().to_string();
        let raw = rec.get(clv_col).unwrap_or("").trim();
        let v: f64 = match raw.parse() {
            Ok(v) if f64::is_finite(v) => v,
            _ => bail!("{name}: line {line}: clv '{raw}' is not a finite number"),
        };
        if values.insert(id.clone(), v).is_some() {
            bail!("{name}: line {line}: customer '{id}' appears more than once");
        }
    }
    Ok(values)
}

fn selection(args: &Args) -> anyhow::Result<RiskSelection> {
    Ok(match (args.risk_threshold, args.top_percent) {
        (_, Some(k)) => {
            if !(k > 0.0 && k <= 100.0) {
                bail!("--top-percent must be in (0, 100], got {k}");
            }
            RiskSelection::TopFraction(k / 100.0)
        }
        (Some(t), None) => {
            if !(0.0..=1.0).contains(&t) {
                bail!("--risk-threshold must be in [0, 1], got {t}");
            }
            RiskSelection::Threshold(t)
        }
        (None, None) => RiskSelection::Threshold(0.5),
    })
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    args.scoring.check_paths(
        args.output.as_deref(),
        &[("--clv-file", args.clv_file.as_deref())],
    )?;
    let selection = selection(&args)?;
    if !args.min_value.is_finite() {
        bail!("--min-value must be a number, got {}", args.min_value);
    }
    let s = load_for_scoring(&args.scoring, args.output.as_deref(), ui)?;
    let values = args.clv_file.as_deref().map(read_clv_file).transpose()?;
    let options = AtRiskOptions {
        selection,
        value_floor: args.min_value,
        max_rows: args.limit,
        reasons: REASONS,
    };
    let list =
        at_risk_list(&s.file, &s.customers, values.as_ref(), &options).map_err(|e| match &args
            .clv_file
        {
            Some(path) => anyhow::anyhow!("{}: {e}", path.display()),
            None => e.into(),
        })?;
    if let (Some(path), Some(first)) = (&args.clv_file, list.without_clv.first()) {
        ui.warn(format!(
            "{} of {} customers have no CLV in {} and are left out (e.g. '{first}')",
            list.without_clv.len(),
            s.customers.len(),
            path.display(),
        ));
    }
    let rows = list.rows;

    if let Some(path) = &args.output {
        crate::common::write_result(
            Some(path),
            |out| write_at_risk_csv(out, &rows, REASONS),
            || clv::io::at_risk_table(&rows, REASONS),
        )?;
        out!("{}", at_risk_table(&rows, TERMINAL_ROWS));
        ui.info(format!(
            "{} customers at risk written to {}",
            rows.len(),
            path.display()
        ));
    } else {
        let mut out = output(None)?;
        write!(out, "{}", at_risk_table(&rows, rows.len()))?;
        out.finish()?;
    }
    let total: f64 = rows.iter().map(|r| r.value_at_risk).sum();
    ui.info(format!(
        "{} of {} customers at risk; total value at risk {total:.2}",
        rows.len(),
        list.considered
    ));
    Ok(())
}
