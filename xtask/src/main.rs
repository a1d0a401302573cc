//! podflow's developer commands, run as `cargo xtask <command>`:
//!
//! * `serve` — set up the toolchain if needed, then `trunk serve` the playground at
//!   <http://127.0.0.1:8080>.
//! * `test`  — set up everything if needed, then run every check and test; the last line is
//!   `podflow: N passed, M failed`.
//! * `size`  — build the release bundle and print the wasm and JS sizes, raw and gzip -9.
//! * `setup` — only install what is missing.
//!
//! Every tool comes from a package registry (crates.io, npm, Debian), pinned, and is installed
//! only when missing or at the wrong version, so the commands work on a fresh machine.

mod run;
mod setup;
mod size;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => setup::ensure(setup::Needs::SERVE).and_then(|env| run::serve(&env)),
        Some("test") => setup::ensure_in_background(setup::Needs::TEST)
            .and_then(|(env, installs)| run::test(&env, &installs)),
        Some("size") => setup::ensure(setup::Needs::SERVE)
            .and_then(|env| size::build_and_report(&env).map(|_| true)),
        Some("setup") => setup::ensure(setup::Needs::TEST).map(|_| true),
        _ => {
            eprintln!("usage: cargo xtask <serve|test|size|setup>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
