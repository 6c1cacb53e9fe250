//! Tells the test targets which optional resources this build has: the reference datasets
//! (`CLV_DATASETS`) and a headless Chromium on `PATH`. A test that needs one is compiled
//! `#[ignore]`d without it, so `cargo test` reports it as ignored with its reason instead of a
//! silent pass. Under `CI=true` nothing is ignored: a missing resource fails the run.
//! Shared by the workspace's crates (`cli/Cargo.toml` points here).

use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(clv_datasets)");
    println!("cargo::rustc-check-cfg=cfg(clv_browser)");
    println!("cargo::rerun-if-env-changed=CLV_DATASETS");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-changed=build.rs");
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if ci || std::env::var_os("CLV_DATASETS").is_some() {
        println!("cargo::rustc-cfg=clv_datasets");
    }
    if ci || chromium_on_path() {
        println!("cargo::rustc-cfg=clv_browser");
    }
}

/// The same names `tests/common/browser.rs` looks for.
fn chromium_on_path() -> bool {
    let names = ["chromium", "chromium-browser", "google-chrome"];
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path)
            .any(|dir| names.iter().any(|n| Path::new(&dir).join(n).is_file()))
    })
}
