//! (being written)

use super::common::Ui;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Train the churn classifier.
    Train,
    /// Score customers with a trained churn classifier.
    Score,
}

pub fn run(_cmd: Command, _ui: &Ui) -> anyhow::Result<()> {
    anyhow::bail!("this subcommand is being written")
}
