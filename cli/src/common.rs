//! What every subcommand shares: informational output on stderr, progress bars, writing
//! results to a file or stdout.

use std::io::{self, BufWriter, IsTerminal, Write};

use clv::persist::AtomicFile;
use clv::persist::table::{Table, is_parquet_output, write_parquet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::NaiveDate;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clv::features::{Summary, SummaryOptions, TimeUnit, summarize_path};
use clv::ingest::{DateParser, OnError, ReadOptions, RowAccounting, day_to_date};

pub use crate::assumptions::{CurrencyArgs, IntervalArgs, write_sidecar};
use clv::models::{Family, ModelKind};
use clv::predict::Bundle;
use clv::predict::clv::ClvSettings;
use clv::predict::train::ModelChoice;
use indicatif::{ProgressBar, ProgressStyle};

pub use clv::report::text::table;

/// Terminal-facing settings: quiet mode and whether stderr is a terminal.
#[derive(Debug, Clone)]
pub struct Ui {
    pub quiet: bool,
    stderr_is_terminal: bool,
}

impl Ui {
    pub fn new(quiet: bool) -> Self {
        Ui {
            quiet,
            stderr_is_terminal: io::stderr().is_terminal(),
        }
    }

    /// An informational line on stderr (row counts, warnings), unless `--quiet`.
    pub fn info(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            error_line(msg.as_ref());
        }
    }

    /// A warning always goes to stderr, quiet or not: it says something may be wrong.
    pub fn warn(&self, msg: impl AsRef<str>) {
        error_line(&format!("warning: {}", msg.as_ref()));
    }

    /// Text for the reader on stderr, quiet or not (when stdout carries the data).
    pub fn text(&self, msg: impl AsRef<str>) {
        error_line(msg.as_ref());
    }

    /// A byte-count progress bar, hidden when stderr is not a terminal or with `--quiet`.
    pub fn progress_bytes(&self, total: u64, what: &str) -> ProgressBar {
        self.progress_bar(total, what, "{bytes}/{total_bytes}")
    }

    /// A count progress bar (`done/of`), hidden as [`Self::progress_bytes`] is.
    pub fn progress_count(&self, total: u64, what: &str) -> ProgressBar {
        self.progress_bar(total, what, "{human_pos}/{human_len}")
    }

    fn progress_bar(&self, total: u64, what: &str, counts: &str) -> ProgressBar {
        if self.quiet || !self.stderr_is_terminal {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new(total);
        pb.set_style(
            ProgressStyle::with_template(&format!("{{msg}} [{{bar:30}}] {counts} ({{eta}})"))
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(what.to_string());
        pb
    }
}

/// Set when a line could not be written to stderr; the process then exits with 1.
static STDERR_FAILED: AtomicBool = AtomicBool::new(false);

/// One line on stderr; a failed write (`2> /dev/full`) is remembered, not a panic.
pub fn error_line(line: &str) {
    if writeln!(io::stderr(), "{line}").is_err() {
        STDERR_FAILED.store(true, Ordering::Relaxed);
    }
}

/// Whether some line could not be written to stderr.
pub fn stderr_failed() -> bool {
    STDERR_FAILED.load(Ordering::Relaxed)
}

/// Where results go: a file, written atomically, or stdout.
pub enum Output {
    File(AtomicFile),
    Stdout(BufWriter<io::StdoutLock<'static>>),
}

impl Output {
    /// Completes the output: the file is renamed into place, stdout is flushed. An output
    /// dropped without `finish` (an error on the way) leaves the old file as it was.
    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            Output::File(f) => Ok(f.commit()?),
            Output::Stdout(mut w) => Ok(w.flush()?),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::File(f) => f.write(buf),
            Output::Stdout(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::File(f) => f.flush(),
            Output::Stdout(w) => w.flush(),
        }
    }
}

/// Writes a result table: to `path` as Parquet when it ends in `.parquet`, else as CSV (by
/// `csv`) to `path` or stdout; files atomically either way.
pub fn write_result<'a>(
    path: Option<&Path>,
    csv: impl FnOnce(&mut Output) -> clv::error::Result<()>,
    table: impl FnOnce() -> Table<'a>,
) -> anyhow::Result<()> {
    if let Some(p) = path.filter(|p| is_parquet_output(p)) {
        return Ok(write_parquet(&table(), p)?);
    }
    let mut out = output(path)?;
    csv(&mut out)?;
    out.finish()
}

/// Bytes to read at `path` for the progress bar: a file's size, a folder's `*.parquet` files'.
pub fn input_bytes(path: &Path) -> u64 {
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    match std::fs::read_dir(path) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .map(|p| size(&p))
            .sum(),
        Err(_) => size(path),
    }
}

/// Where results go: `path` if given (atomically), otherwise stdout.
pub fn output(path: Option<&Path>) -> anyhow::Result<Output> {
    Ok(match path {
        Some(p) => Output::File(AtomicFile::create(p)?),
        None => Output::Stdout(BufWriter::new(io::stdout().lock())),
    })
}

/// Errors when two of the named paths of one command are the same file (an output over an
/// input, the rejects over the output ...), before anything is read or written.
pub fn distinct_paths(paths: &[(&str, Option<&Path>)]) -> anyhow::Result<()> {
    let key = |p: &Path| -> Option<PathBuf> {
        if p.as_os_str() == "-" {
            return None;
        }
        // A file that does not exist yet: its folder's real path plus its name.
        std::fs::canonicalize(p).ok().or_else(|| {
            let dir = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            Some(std::fs::canonicalize(dir).ok()?.join(p.file_name()?))
        })
    };
    let keyed: Vec<(&str, &Path, PathBuf)> = paths
        .iter()
        .filter_map(|(flag, p)| p.and_then(|p| key(p).map(|k| (*flag, p, k))))
        .collect();
    for (i, (a, pa, ka)) in keyed.iter().enumerate() {
        if let Some((b, _, _)) = keyed[i + 1..].iter().find(|(_, _, kb)| kb == ka) {
            anyhow::bail!(
                "{a} and {b} are the same file ({}): refusing to overwrite it",
                pa.display()
            );
        }
    }
    Ok(())
}

/// The `--model` values of the registry's kinds of the given families, each with its
/// description, parsed into the kind.
pub fn model_kind_parser(families: &'static [Family]) -> impl TypedValueParser<Value = ModelKind> {
    PossibleValuesParser::new(kind_values(families)).try_map(|name| name.parse::<ModelKind>())
}

/// [`model_kind_parser`] for the transaction models, plus `auto`: fit them all and keep the
/// best on the holdout.
pub fn model_choice_parser() -> impl TypedValueParser<Value = ModelChoice> {
    let auto = PossibleValue::new("auto")
        .help("Fit every transaction model below; keep the best holdout fit");
    let values = std::iter::once(auto).chain(kind_values(&[Family::Transaction]));
    PossibleValuesParser::new(values).map(|name| {
        name.parse::<ModelKind>()
            .map_or(ModelChoice::Auto, ModelChoice::Given)
    })
}

fn kind_values(families: &'static [Family]) -> impl Iterator<Item = PossibleValue> {
    ModelKind::ALL
        .iter()
        .filter(|k| families.contains(&k.family()))
        .map(|k| PossibleValue::new(k.name()).help(k.about()))
}

/// `--on-error` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnErrorArg {
    /// Stop at the first bad row, naming file, line, column and value.
    Fail,
    /// Reject bad rows into the rejects file and go on.
    Skip,
}

/// A `YYYY-MM-DD` date argument.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|e| format!("'{s}' is not a YYYY-MM-DD date ({e})"))
}

/// A date flag as given (`--observation-end`, `--calibration-end`): read as the data's dates
/// are, with `--date-format` when one is given, and always also as YYYY-MM-DD, an ISO
/// datetime or %Y%m%d ([`TransactionArgs::date`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DateArg(String);

/// Keeps a date flag's text, read once `--date-format` is known.
pub fn date_arg(s: &str) -> Result<DateArg, String> {
    Ok(DateArg(s.trim().to_string()))
}

/// How to read a transaction file: the flags shared by `summarize`, `describe` and `segment`.
#[derive(Debug, Clone, clap::Args)]
pub struct TransactionArgs {
    /// Transaction CSV with a header line (`-` reads stdin), or Parquet: a `.parquet` file or
    /// a folder of them, columns named as in CSV. Required by every command that
    /// reads transactions (optional at the parser level only so that commands such as `fit`
    /// can take either transactions or a summary).
    #[arg(long, short = 'i', visible_alias = "transactions", value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Column holding the customer id.
    #[arg(long, default_value = "customer_id", value_name = "NAME")]
    pub customer_col: String,
    /// Column holding the purchase date or timestamp.
    #[arg(long, default_value = "date", value_name = "NAME")]
    pub date_col: String,
    /// Column holding the purchase amount.
    #[arg(long, default_value = "amount", value_name = "NAME")]
    pub amount_col: String,
    /// strftime pattern of the dates (e.g. %d/%m/%Y); default: ISO date, ISO datetime or
    /// %Y%m%d.
    #[arg(long, value_name = "PATTERN")]
    pub date_format: Option<String>,
    /// Last day observed (inclusive); later rows are rejected. Default: the last date in the
    /// data. In --date-format when one is given, or YYYY-MM-DD.
    #[arg(long, value_parser = date_arg, value_name = "DATE")]
    pub observation_end: Option<DateArg>,
    /// What to do with a bad row.
    #[arg(long, value_enum, default_value = "fail")]
    pub on_error: OnErrorArg,
    /// Where rejected rows go with --on-error skip (default: the output file name with
    /// `.rejects.csv`, or clv.rejects.csv).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
}

impl TransactionArgs {
    /// The date of a date flag `flag`: in `--date-format` if given, else (or failing that) in
    /// the automatic layouts (YYYY-MM-DD, ISO datetime, %Y%m%d).
    pub fn date(&self, flag: &str, d: &DateArg) -> anyhow::Result<NaiveDate> {
        let text = d.0.as_bytes();
        let day = DateParser::new(self.date_format.as_deref())
            .parse(text)
            .or_else(|| DateParser::new(None).parse(text));
        match (day, &self.date_format) {
            (Some(day), _) => Ok(day_to_date(day)),
            (None, Some(f)) => anyhow::bail!(
                "{flag} '{}' is not a date in --date-format '{f}' nor YYYY-MM-DD",
                d.0
            ),
            (None, None) => anyhow::bail!("{flag} '{}' is not a YYYY-MM-DD date", d.0),
        }
    }

    /// [`TransactionArgs::date`] of an optional flag.
    pub fn optional_date(
        &self,
        flag: &str,
        d: Option<&DateArg>,
    ) -> anyhow::Result<Option<NaiveDate>> {
        d.map(|d| self.date(flag, d)).transpose()
    }

    pub fn read_options(&self) -> anyhow::Result<ReadOptions> {
        Ok(ReadOptions {
            customer_col: self.customer_col.clone(),
            date_col: self.date_col.clone(),
            amount_col: self.amount_col.clone(),
            date_format: self.date_format.clone(),
            on_error: match self.on_error {
                OnErrorArg::Fail => OnError::Fail,
                OnErrorArg::Skip => OnError::Skip,
            },
            observation_end: self
                .optional_date("--observation-end", self.observation_end.as_ref())?,
        })
    }

    /// Errors when the input, the rejects file, `output` and `others` are not all different
    /// files: nothing is read or written before.
    pub fn check_paths(
        &self,
        output: Option<&Path>,
        others: &[(&str, Option<&Path>)],
    ) -> anyhow::Result<()> {
        let rejects = self.rejects_path(output);
        let mut all = vec![
            ("--input", self.input.as_deref()),
            ("--rejects", Some(rejects.as_path())),
            ("--output", output),
        ];
        all.extend_from_slice(others);
        distinct_paths(&all)
    }

    /// The rejects file: `--rejects`, else next to `output`, else `clv.rejects.csv`.
    pub fn rejects_path(&self, output: Option<&Path>) -> PathBuf {
        match (&self.rejects, output) {
            (Some(p), _) => p.clone(),
            (None, Some(o)) => o.with_extension("rejects.csv"),
            (None, None) => PathBuf::from("clv.rejects.csv"),
        }
    }
}

/// A saved churn model and the transactions to score with it: the flags shared by
/// `churn score` and `at-risk`.
#[derive(Debug, Clone, clap::Args)]
pub struct ChurnScoringArgs {
    /// Churn model file written by `clv churn train`.
    #[arg(long, value_name = "FILE.json")]
    pub model: PathBuf,
    #[command(flatten)]
    pub transactions: TransactionArgs,
    /// Time unit expected of the model (default: the model's own); a mismatch is an error.
    #[arg(long)]
    pub unit: Option<TimeUnit>,
}

impl ChurnScoringArgs {
    /// The input, rejects, model, `output` and `others` must be different files.
    pub fn check_paths(
        &self,
        output: Option<&Path>,
        others: &[(&str, Option<&Path>)],
    ) -> anyhow::Result<()> {
        let mut all = vec![("--model", Some(self.model.as_path()))];
        all.extend_from_slice(others);
        self.transactions.check_paths(output, &all)
    }
}

/// Reads and summarizes transactions with a progress bar, writes the rejects file, and prints
/// the row counts. Fails when no customer is left.
pub fn load_summary(
    args: &TransactionArgs,
    opts: SummaryOptions,
    output: Option<&Path>,
    ui: &Ui,
) -> anyhow::Result<Summary> {
    Ok(load_summary_with_accounting(args, opts, output, ui)?.0)
}

/// [`load_summary`], also returning the row accounting (recorded in model bundles).
pub fn load_summary_with_accounting(
    args: &TransactionArgs,
    mut opts: SummaryOptions,
    output: Option<&Path>,
    ui: &Ui,
) -> anyhow::Result<(Summary, RowAccounting)> {
    let read = args.read_options()?;
    opts.observation_end = read.observation_end;
    let input = args
        .input
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("--input FILE (the transactions) is required"))?;
    let total = if input.as_os_str() == "-" {
        0
    } else {
        input_bytes(input)
    };
    let bar = ui.progress_bytes(total, "reading");
    let result = summarize_path(input, &read, &opts, |b| bar.set_position(b));
    bar.finish_and_clear();
    let (summary, acc) = result?;
    report_rows(
        args,
        output,
        &acc,
        summary.customers_after_calibration,
        summary.customers.len() as u64,
        ui,
    )?;
    Ok((summary, acc))
}

/// Says what became of the input rows: the rejects file (written here), the customers left
/// out after the calibration end; an error when no customer is left.
pub fn report_rows(
    args: &TransactionArgs,
    output: Option<&Path>,
    acc: &RowAccounting,
    customers_after_calibration: u64,
    customers: u64,
    ui: &Ui,
) -> anyhow::Result<()> {
    if acc.rows_rejected > 0 {
        let path = args.rejects_path(output);
        let mut file = AtomicFile::create(&path)
            .map_err(|e| anyhow::anyhow!("cannot create rejects file {}: {e}", path.display()))?;
        acc.write_rejections_csv(&mut file)?;
        file.commit()?;
        ui.warn(format!(
            "{}; rejected rows written to {}",
            acc.describe(),
            path.display()
        ));
    } else {
        ui.info(acc.describe());
    }
    if customers_after_calibration > 0 {
        ui.info(format!(
            "{customers_after_calibration} customers first bought after the calibration end \
             and are left out"
        ));
    }
    if customers == 0 {
        let input = args.input.as_deref().unwrap_or(Path::new("-"));
        anyhow::bail!(
            "{}: no usable transactions ({})",
            input.display(),
            acc.describe()
        );
    }
    Ok(())
}

/// What scoring a bundle's customers needs: the flags shared by `score` and `report`.
#[derive(Debug, Clone, clap::Args)]
pub struct BundleScoringArgs {
    /// Model bundle written by `clv train`.
    #[arg(long, value_name = "BUNDLE.json")]
    pub model: PathBuf,
    #[command(flatten)]
    pub input: TransactionArgs,
    #[command(flatten)]
    pub clv: ClvArgs,
    /// Churn window in the bundle's unit: churned = no purchase within it. Used when the
    /// bundle has no churn classifier (default: the horizon); the classifier has its own.
    #[arg(long)]
    pub churn_window: Option<f64>,
    #[command(flatten)]
    pub at_risk: AtRiskArgs,
}

/// Who is at risk: the flags of the one at-risk rule, shared by `score` (its `at_risk` flag),
/// `at-risk` and `report`, so that the same flags select the same customers everywhere.
#[derive(Debug, Clone, clap::Args)]
pub struct AtRiskArgs {
    /// Churn probability (no purchase in the churn window) from which a customer can be at
    /// risk.
    #[arg(long, alias = "threshold", default_value_t = clv::churn::at_risk::DEFAULT_CHURN_THRESHOLD, value_name = "P")]
    pub risk_threshold: f64,
    /// At risk: the N customers with the most value at risk ((1 - P(alive)) x CLV if alive)
    /// among those above the threshold.
    #[arg(long, default_value_t = clv::churn::at_risk::DEFAULT_TOP, value_name = "N")]
    pub top: usize,
    /// At risk: every customer above the threshold with a positive value at risk (no --top).
    #[arg(long, conflicts_with = "top")]
    pub all: bool,
    /// Only customers whose value at risk is at least this.
    #[arg(long, default_value_t = 0.0, value_name = "V")]
    pub min_value_at_risk: f64,
}

impl AtRiskArgs {
    /// The validated rule.
    pub fn rule(&self) -> anyhow::Result<clv::churn::AtRiskRule> {
        let rule = clv::churn::AtRiskRule {
            churn_threshold: self.risk_threshold,
            min_value_at_risk: self.min_value_at_risk,
            top: (!self.all).then_some(self.top),
        };
        rule.validate()?;
        Ok(rule)
    }
}

impl BundleScoringArgs {
    /// The input, rejects, bundle and `output` must be different files.
    pub fn check_paths(&self, output: Option<&Path>) -> anyhow::Result<()> {
        self.input
            .check_paths(output, &[("--model", Some(self.model.as_path()))])
    }

    /// The bundle, its time unit and the CLV settings.
    pub fn load(&self) -> anyhow::Result<(Bundle, TimeUnit, ClvSettings)> {
        let bundle = Bundle::load(&self.model)?;
        let (unit, clv) = self.clv.settings(&bundle, &self.model)?;
        Ok((bundle, unit, clv))
    }
}

/// The horizon, discounting and margin of a CLV: the flags shared by `score`, `score-new` and
/// `report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ClvArgs {
    /// How far ahead to value customers, in --unit (default unit: the bundle's); converted to
    /// the bundle's unit (12 months on a weekly bundle = 52.18 weeks).
    #[arg(long, default_value_t = 52.0)]
    pub horizon: f64,
    /// Unit of --horizon: hour, day, week or month (a month is 365.25/12 days); default: the
    /// bundle's time unit.
    #[arg(long)]
    pub unit: Option<TimeUnit>,
    /// Annual effective discount rate (0.10 = 10% a year), converted to the bundle's unit over
    /// a 365.25-day year.
    #[arg(long, default_value_t = 0.10)]
    pub discount_rate: f64,
    /// Profit margin on revenue (0.30 = 30%): required, so that a CLV never silently means
    /// revenue; --margin 1 values revenue.
    #[arg(long, required = true)]
    pub margin: f64,
}

impl ClvArgs {
    /// The bundle's time unit and the CLV settings: the horizon converted from --unit to the
    /// bundle's unit, the annual discount rate to the bundle's period.
    pub fn settings(
        &self,
        bundle: &Bundle,
        path: &Path,
    ) -> anyhow::Result<(TimeUnit, ClvSettings)> {
        let unit = bundle
            .unit()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let clv = bundle.clv_settings(
            self.horizon,
            self.unit.unwrap_or(unit),
            self.discount_rate,
            self.margin,
        )?;
        Ok((unit, clv))
    }
}
