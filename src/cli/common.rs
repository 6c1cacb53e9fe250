//! What every subcommand shares: informational output on stderr, progress bars, writing
//! results to a file or stdout.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

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
            eprintln!("{}", msg.as_ref());
        }
    }

    /// A warning always goes to stderr, quiet or not: it says something may be wrong.
    pub fn warn(&self, msg: impl AsRef<str>) {
        eprintln!("warning: {}", msg.as_ref());
    }

    /// A byte-count progress bar, hidden when stderr is not a terminal or with `--quiet`.
    pub fn progress_bytes(&self, total: u64, what: &str) -> ProgressBar {
        if self.quiet || !self.stderr_is_terminal {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new(total);
        pb.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(what.to_string());
        pb
    }
}

/// Where results go: a file if given, otherwise stdout.
pub fn output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => Box::new(BufWriter::new(File::create(p).map_err(|e| {
            anyhow::anyhow!("cannot create output file {}: {e}", p.display())
        })?)),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}
