//! Helpers shared by the cross-crate tests: a loopback static file server for the built `dist/`
//! and a minimal W3C WebDriver client for chromedriver (blocking, std only, loopback only).

pub mod manifests;
pub mod static_server;
pub mod webdriver;

use std::path::PathBuf;

use podflow_core::ApplyResult;

/// The workspace root (the folder holding the workspace `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// kubectl's lines for a list of apply results, one per line, as the terminal shows them.
pub fn kubectl_lines(results: &[ApplyResult]) -> String {
    results
        .iter()
        .map(|r| r.message.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}
