//! The release bundle's size: every `.wasm` and `.js` file in `dist/`, raw and gzip -9, so each
//! dependency's cost is visible.

use std::path::Path;

use crate::setup::Env;

/// `trunk build --release=true`, then the size table.
pub fn build_and_report(env: &Env) -> Result<(), String> {
    crate::run::trunk_build(env)?;
    report(env)
}

/// Prints the size table of `dist/`.
pub fn report(env: &Env) -> Result<(), String> {
    let dist = env.root.join("dist");
    let mut files: Vec<_> = std::fs::read_dir(&dist)
        .map_err(|e| format!("{}: {e}", dist.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("wasm" | "js")))
        .collect();
    files.sort();
    println!("release bundle size (dist/):");
    println!("  {:<40} {:>12} {:>12}", "FILE", "RAW", "GZIP -9");
    let (mut raw_total, mut gz_total) = (0, 0);
    for f in &files {
        let raw = std::fs::metadata(f).map_err(|e| e.to_string())?.len();
        let gz = gzip_size(env, f)?;
        raw_total += raw;
        gz_total += gz;
        let name = f.file_name().unwrap_or_default().to_string_lossy();
        println!("  {:<40} {:>12} {:>12}", name, kib(raw), kib(gz));
    }
    println!(
        "  {:<40} {:>12} {:>12}",
        "total",
        kib(raw_total),
        kib(gz_total)
    );
    Ok(())
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn gzip_size(env: &Env, file: &Path) -> Result<u64, String> {
    let out = env
        .command("gzip")
        .args(["-9", "-c"])
        .arg(file)
        .output()
        .map_err(|e| format!("gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!("gzip failed on {}", file.display()));
    }
    Ok(out.stdout.len() as u64)
}
