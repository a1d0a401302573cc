//! `podflow-bench`: runs podflow's scale and speed workloads and prints a table.
//!
//! ```text
//! cargo run --release -p podflow-bench -- [WORKLOAD…] [--runs N]   # default: all, 3 runs
//! cargo run --release -p podflow-bench -- --smoke                   # every workload, tiny, checked
//! cargo run --release -p podflow-bench -- --fingerprint             # hash of each tiny run's trace
//! cargo run --release -p podflow-bench --bin podflow-soak -- [HOURS]  # 24 h of virtual churn
//! ```
//!
//! Each run of each workload is a child process of this binary (`--one WORKLOAD`), so the peak
//! RSS it reports is that workload's own.

use std::process::{Command, ExitCode};

use podflow_bench::report::{self, Row, Sample};
use podflow_bench::shape::{expand, Scale, Shape, WORKLOADS};
use podflow_bench::{check, rss};

fn usage() -> String {
    format!(
        "usage: podflow-bench [WORKLOAD…] [--runs N] | --smoke | --fingerprint | --one WORKLOAD\nworkloads: {}, growth, all (default)",
        WORKLOADS.join(", ")
    )
}

/// Runs one workload once in this process and prints its `RESULT` line.
fn one(name: &str) -> ExitCode {
    let Some(shape) = Shape::named(name, Scale::Full) else {
        eprintln!("{}", usage());
        return ExitCode::from(2);
    };
    match podflow_bench::run(&shape) {
        Ok((outcome, cluster)) => {
            let sample = Sample {
                outcome,
                peak_rss_kib: rss::peak_rss_kib(),
            };
            println!("{}", report::encode(&sample));
            // Tearing down a large cluster is not part of any measurement: leave it to exit.
            std::mem::forget(cluster);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Every workload at smoke size, checked.
fn smoke() -> ExitCode {
    let mut failed = 0;
    match check::smoke_soak() {
        Ok(o) => println!(
            "ok   {:<20} {:>4} nodes {:>5} pods  {:>8.1} ms  virtual {}",
            "soak",
            o.shape.nodes,
            o.samples.last().map_or(0, |s| s.pods),
            o.wall.as_secs_f64() * 1e3,
            o.samples.last().map_or(String::new(), |s| s.at.to_string())
        ),
        Err(e) => {
            failed += 1;
            println!("FAIL {:<20} {e}", "soak");
        }
    }
    for name in WORKLOADS {
        match check::smoke(name) {
            Ok(o) => println!(
                "ok   {name:<20} {:>4} nodes {:>5} pods  {:>8.1} ms  virtual {}",
                o.nodes,
                o.pods,
                o.measured.as_secs_f64() * 1e3,
                o.virtual_end
            ),
            Err(e) => {
                failed += 1;
                println!("FAIL {name:<20} {e}");
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Every workload at smoke size, fingerprinted (trace and final objects), to compare builds.
fn fingerprints() -> ExitCode {
    for name in WORKLOADS {
        match check::smoke_fingerprint(name) {
            Ok((h, steps)) => println!("{name:<20} {h:016x} {steps} steps"),
            Err(e) => {
                println!("{name:<20} FAIL {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn child(name: &str) -> Result<Sample, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args(["--one", name])
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout.lines().find_map(report::decode).ok_or_else(|| {
        format!(
            "{name}: {}{}",
            String::from_utf8_lossy(&out.stderr).trim(),
            if out.status.success() {
                ""
            } else {
                " (failed)"
            }
        )
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut runs = 3usize;
    let mut names = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--one" => return one(it.next().map(String::as_str).unwrap_or("")),
            "--smoke" => return smoke(),
            "--fingerprint" => return fingerprints(),
            "--runs" => match it.next().and_then(|n| n.parse().ok()).filter(|n| *n > 0) {
                Some(n) => runs = n,
                None => {
                    eprintln!("{}", usage());
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("{}", usage());
                return ExitCode::SUCCESS;
            }
            name => names.push(name.to_string()),
        }
    }
    if names.is_empty() {
        names.push("all".into());
    }
    let names = match expand(&names) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("{e}\n{}", usage());
            return ExitCode::from(2);
        }
    };
    println!("{}", report::header());
    let mut failed = false;
    for name in &names {
        let mut row = Row {
            samples: Vec::new(),
        };
        for _ in 0..runs {
            match child(name) {
                Ok(s) => row.samples.push(s),
                Err(e) => {
                    eprintln!("{e}");
                    failed = true;
                    break;
                }
            }
        }
        if !row.samples.is_empty() {
            println!("{}", report::line(&row));
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
