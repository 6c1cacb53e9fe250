//! Helpers of the CLI's integration tests: the workspace's shared helpers (reference datasets,
//! headless Chromium) and running the `clv` binary.
#![allow(dead_code)]

#[path = "../../../tests/common/mod.rs"]
mod shared;

#[allow(unused_imports)]
pub use shared::*;

/// Runs the `clv` binary with `args`.
pub fn run_clv(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_clv"))
        .args(args)
        .output()
        .expect("run clv")
}

/// Runs the `clv` binary with `args` in the folder `dir`.
pub fn run_clv_in(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_clv"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run clv")
}

/// The flags of a run on `sample`'s 39-week CDNOW calibration period (to 1997-09-30) in `unit`.
pub fn cdnow_calibration<'a>(sample: &'a str, unit: &'a str) -> [&'a str; 6] {
    [
        "--input",
        sample,
        "--unit",
        unit,
        "--calibration-end",
        "1997-09-30",
    ]
}
