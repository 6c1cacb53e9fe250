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
