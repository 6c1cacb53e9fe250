//! The `clv` command line: a thin layer over the library. Parses arguments, calls the library,
//! prints; errors become one line on stderr and exit code 1 (2 for usage errors, from clap).

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(err) = cli::run(args) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
