//! The `clv` command line: a thin layer over the library. Parses arguments, calls the library,
//! prints; errors become one line on stderr and exit code 1 (2 for usage errors, from clap).
//! One file per subcommand; this file only parses and dispatches.
//! Nothing here panics on a closed or full stdout or stderr: every write is fallible.

/// `println!` that returns the write error instead of panicking (`> /dev/full`, a closed pipe).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}

/// `print!` that returns the write error instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($arg)*)?
    }};
}

mod assumptions;
mod common;

mod at_risk;
mod churn;
mod demo;
mod describe;
mod evaluate;
mod fit;
mod predict;
mod report;
mod score;
mod score_new;
mod segment;
mod simulate;
mod summarize;
mod track;
mod train;

use clap::{Parser, Subcommand};

/// Churn and customer-lifetime-value engine: order histories in, CLV, churn risk and ad
/// budgets out.
#[derive(Debug, Parser)]
#[command(
    name = "clv",
    version,
    about,
    long_about = None,
    after_help = "Output files are written to a temporary file and renamed into place (never \
                  seen half-written); set CLV_FSYNC=1 to also fsync them (durable across a \
                  power loss, slower on large tables)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Hide progress bars and informational messages on stderr.
    #[arg(long, global = true)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    Summarize(summarize::Args),
    Describe(describe::Args),
    Segment(segment::Args),
    Simulate(simulate::Args),
    Fit(fit::Args),
    Predict(predict::Args),
    #[command(subcommand)]
    Churn(churn::Command),
    Evaluate(evaluate::Args),
    AtRisk(at_risk::Args),
    Track(track::Args),
    Train(train::Args),
    Score(score::Args),
    ScoreNew(score_new::Args),
    Report(report::Args),
    Demo(demo::Args),
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let ui = common::Ui::new(cli.quiet);
    match cli.command {
        Command::Summarize(a) => summarize::run(a, &ui),
        Command::Describe(a) => describe::run(a, &ui),
        Command::Segment(a) => segment::run(a, &ui),
        Command::Simulate(a) => simulate::run(a, &ui),
        Command::Fit(a) => fit::run(a, &ui),
        Command::Predict(a) => predict::run(a, &ui),
        Command::Churn(c) => churn::run(c, &ui),
        Command::Evaluate(a) => evaluate::run(a, &ui),
        Command::AtRisk(a) => at_risk::run(a, &ui),
        Command::Track(a) => track::run(a, &ui),
        Command::Train(a) => train::run(a, &ui),
        Command::Score(a) => score::run(a, &ui),
        Command::ScoreNew(a) => score_new::run(a, &ui),
        Command::Report(a) => report::run(a, &ui),
        Command::Demo(a) => demo::run(a, &ui),
    }
}

fn main() {
    let args = Cli::parse();
    let result = run(args).and_then(|()| {
        use std::io::Write as _;
        Ok(std::io::stdout().flush()?)
    });
    if let Err(err) = result {
        if is_broken_pipe(&err) {
            // The reader went away (`clv summarize ... | head`): not an error of ours.
            std::process::exit(0);
        }
        common::error_line(&format!("error: {err:#}"));
        std::process::exit(1);
    }
    if common::stderr_failed() {
        // The messages could not be written; the run must not look clean.
        std::process::exit(1);
    }
}

/// Whether an error comes from writing to a closed pipe, however deeply it is wrapped.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || e.to_string().contains("Broken pipe")
    })
}
