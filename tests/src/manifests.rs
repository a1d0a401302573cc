//! The Kubernetes documentation's example manifests in `../shared/manifests`, and their
//! `INDEX.tsv`. Under CI (`CI=true`) a missing folder is a failure, never a skip.

use std::path::PathBuf;

/// The manifests folder, or `None` outside CI when it is absent.
pub fn dir() -> Option<PathBuf> {
    let dir = crate::workspace_root().join("../shared/manifests");
    if dir.join("INDEX.tsv").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").map(|v| v != "true").unwrap_or(true),
        "CI=true but {} is missing: the conformance run needs ../shared/manifests",
        dir.display()
    );
    eprintln!("skipping: {} not found (not under CI)", dir.display());
    None
}

/// One row of INDEX.tsv.
#[derive(Debug, Clone)]
pub struct Row {
    /// The file name.
    pub file: String,
    /// The kinds it holds, comma-separated.
    pub kinds: String,
    /// What a real cluster does with it, as prose.
    pub expected: String,
}

/// Every row of INDEX.tsv, in order.
pub fn index(dir: &std::path::Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("INDEX.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Row {
                file: cols.first().unwrap_or(&"").to_string(),
                kinds: cols.get(1).unwrap_or(&"").to_string(),
                expected: cols.get(4).unwrap_or(&"").to_string(),
            }
        })
        .collect()
}

/// The text of one manifest.
pub fn read(dir: &std::path::Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}
