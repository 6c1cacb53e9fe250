//! (being written)

use super::common::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, _ui: &Ui) -> anyhow::Result<()> {
    anyhow::bail!("this subcommand is being written")
}
