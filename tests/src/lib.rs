//! Helpers shared by the cross-crate tests: a loopback static file server for the built `dist/`
//! and a minimal W3C WebDriver client for chromedriver (blocking, std only, loopback only).

pub mod manifests;
pub mod static_server;
pub mod webdriver;

use std::path::PathBuf;

/// The workspace root (the folder holding the workspace `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}
