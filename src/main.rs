//! The `clv` command line: a thin layer over the library. Parses arguments, calls the library,
//! prints; errors become one line on stderr and exit code 1 (2 for usage errors, from clap).

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(err) = cli::run(args) {
        if is_broken_pipe(&err) {
            // The reader went away (`clv summarize ... | head`): not an error of ours.
            std::process::exit(0);
        }
        eprintln!("error: {err:#}");
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
