//! Running the checks: each step streams its output, cargo test summaries are counted, and the
//! run ends with one machine-readable line, `podflow: N passed, M failed`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::setup::{Env, Installs};

/// `trunk serve` on 127.0.0.1:8080 (see Trunk.toml).
pub fn serve(env: &Env) -> Result<bool, String> {
    println!("podflow: serving the playground at http://127.0.0.1:8080 (Ctrl+C stops)");
    let status = env
        .command("trunk")
        .args([
            "serve",
            "--address",
            "127.0.0.1",
            "--port",
            "8080",
            "--disable-address-lookup",
        ])
        .status()
        .map_err(|e| format!("trunk: {e}"))?;
    Ok(status.success())
}

/// `trunk build --release=true` into dist/.
pub fn trunk_build(env: &Env) -> Result<(), String> {
    let status = env
        .command("trunk")
        .args(["build", "--release=true"])
        .status()
        .map_err(|e| format!("trunk: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("trunk build failed ({status})"))
}

/// Tallies of passed and failed tests and checks.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, name: &str, ok: bool) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
            self.failures.push(name.to_string());
        }
    }
}

/// Runs a command, echoing its stdout, and returns (success, counted passed, counted failed).
fn run_counting(mut cmd: Command) -> Result<(bool, u64, u64), String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let (mut passed, mut failed) = (0, 0);
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some((p, f)) = parse_test_result(&line) {
                passed += p;
                failed += f;
            }
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok((status.success(), passed, failed))
}

/// Reads `test result: ok. 3 passed; 0 failed; …` (libtest and wasm-bindgen-test-runner).
fn parse_test_result(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let count = |label: &str| {
        rest.split(';')
            .find_map(|part| {
                part.trim()
                    .trim_start_matches("ok. ")
                    .trim_start_matches("FAILED. ")
                    .strip_suffix(label)
            })
            .and_then(|n| n.trim().parse::<u64>().ok())
    };
    Some((count(" passed").unwrap_or(0), count(" failed").unwrap_or(0)))
}

/// Every check and test, in order; true when all passed.
pub fn test(env: &Env, installs: &Installs) -> Result<bool, String> {
    let mut tally = Tally::default();
    let banner = |s: &str| println!("\n==> {s}");

    banner("cargo fmt --check");
    let ok = env
        .command("cargo")
        .args(["fmt", "--all", "--check"])
        .status()
        .is_ok_and(|s| s.success());
    tally.check("cargo fmt --check", ok);

    banner("cargo clippy --workspace --all-targets -- -D warnings");
    let ok = env
        .command("cargo")
        .args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ])
        .status()
        .is_ok_and(|s| s.success());
    tally.check("cargo clippy", ok);

    let suites: [(&str, bool, Vec<&str>); 3] = [
        (
            "native tests: cargo test --workspace",
            false,
            vec!["test", "--workspace", "--no-fail-fast"],
        ),
        (
            "core on wasm32 (node): cargo test -p podflow-core -p podflow-wasm-memcmp --target wasm32-unknown-unknown",
            true,
            vec![
                "test",
                "--no-fail-fast",
                "-p",
                "podflow-core",
                "-p",
                "podflow-wasm-memcmp",
                "--target",
                "wasm32-unknown-unknown",
            ],
        ),
        (
            "web in headless Chromium: cargo test -p podflow-web --target wasm32-unknown-unknown",
            true,
            vec![
                "test",
                "-p",
                "podflow-web",
                "--target",
                "wasm32-unknown-unknown",
            ],
        ),
    ];
    for (name, wasm, args) in suites {
        banner(name);
        if wasm {
            // wasm-bindgen-test-runner comes with wasm-bindgen-cli.
            installs.wait("wasm-bindgen")?;
        }
        let mut cmd = env.command("cargo");
        cmd.args(&args);
        let (ok, p, f) = run_counting(cmd)?;
        tally.passed += p;
        tally.failed += f;
        if !ok && f == 0 {
            tally.check(name, false);
        }
        if ok && p == 0 {
            tally.check(&format!("{name} ran no test"), false);
        }
    }

    banner("release build: trunk build --release=true");
    installs.wait("wasm-bindgen")?;
    installs.wait("trunk")?;
    let built = trunk_build(env);
    if let Err(e) = &built {
        eprintln!("{e}");
    }
    tally.check("trunk build --release=true", built.is_ok());

    if built.is_ok() {
        banner("size report");
        if let Err(e) = crate::size::report(env) {
            eprintln!("{e}");
        }
        banner("end to end in headless Chromium: cargo test --workspace --test e2e -- --ignored");
        let mut cmd = env.command("cargo");
        // `--workspace`, as in the native run, so features unify the same way and nothing is
        // rebuilt (`-p podflow-tests` alone rebuilt serde, k8s-openapi and the core).
        cmd.args([
            "test",
            "--workspace",
            "--test",
            "e2e",
            "--",
            "--ignored",
            "--test-threads=1",
        ]);
        let (ok, p, f) = run_counting(cmd)?;
        tally.passed += p;
        tally.failed += f;
        if !ok && f == 0 {
            tally.check("end to end", false);
        }
    }

    println!();
    for f in &tally.failures {
        println!("failed: {f}");
    }
    println!("podflow: {} passed, {} failed", tally.passed, tally.failed);
    Ok(tally.failed == 0)
}

#[cfg(test)]
mod tests {
    use super::parse_test_result;

    #[test]
    fn reads_libtest_and_wasm_bindgen_summaries() {
        assert_eq!(
            parse_test_result("test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s"),
            Some((12, 0))
        );
        assert_eq!(
            parse_test_result("test result: FAILED. 3 passed; 2 failed; 0 ignored"),
            Some((3, 2))
        );
        assert_eq!(parse_test_result("running 3 tests"), None);
    }
}
