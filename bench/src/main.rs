//! `podflow-bench`: runs podflow's scale and speed workloads and prints a table.
//!
//! ```text
//! cargo run --profile native -p podflow-bench -- [WORKLOAD…] [--runs N]   # default: all, 3 runs
//! cargo run --profile native -p podflow-bench -- --smoke                   # every workload, tiny, checked
//! cargo run --profile native -p podflow-bench -- --fingerprint             # hash of each tiny run's trace
//! cargo run --profile native -p podflow-bench -- --wasm [--native] [--wasm-profile P]… WORKLOAD…
//! cargo run --profile native -p podflow-bench -- --wasm --smoke [WORKLOAD…]
//! cargo run --profile native -p podflow-bench -- --ui-frames [--dist DIR] [--warmup S] [--seconds S] [--speed X]… [--ui-profile] [--ui-css FILE]
//! cargo run --profile native -p podflow-bench --bin podflow-soak -- [HOURS]  # 24 h of virtual churn
//! ```
//!
//! Each native run of each workload is a child process of this binary (`--one WORKLOAD`), so the
//! peak RSS it reports is that workload's own. `--wasm` runs the workloads compiled to wasm32 in
//! headless Chromium instead (see `podflow_bench::browser`), one fresh browser session per run;
//! with `--native` too, both rows are printed and the wasm/native ratio after the table.
//! `--ui-frames` plays the release playground at 1,000 nodes and 30,000 pods at each speed and
//! prints frame intervals (see `podflow_bench::ui`); with `--ui-profile`, the renderer's style
//! and layout time and what V8's CPU profile shows in the long tasks among them
//! (`podflow_bench::ui_profile`); `--ui-css FILE` adds a stylesheet to the page first (to see
//! what hiding or restyling a part of it saves).

#[global_allocator]
static GLOBAL: podflow_bench::allocator::Mimalloc = podflow_bench::allocator::Mimalloc;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use podflow_bench::browser::{self, Answer, Browser, Page};
use podflow_bench::report::{self, Row, Sample};
use podflow_bench::shape::{expand, Scale, Shape, WORKLOADS};
use podflow_bench::{check, items, rss, ui, ui_profile};

fn usage() -> String {
    format!(
        "usage: podflow-bench [WORKLOAD…] [--runs N] [--native] [--wasm | --wasm-warm] [--wasm-profile P]… [--wasm-timeout SECS]\n       podflow-bench --smoke [--wasm] | --fingerprint | --one WORKLOAD\n       podflow-bench --ui-frames [--dist DIR] [--warmup S] [--seconds S] [--speed 1×|10×|100×|max]… [--ui-nodes N] [--ui-pods N] [--ui-profile] [--ui-css FILE]\n       podflow-bench --ui-items [--seconds S] [--ui-nodes N] [--ui-pods N]\nworkloads: {}, growth, all (default); NAME/N divides a workload by N\n--wasm runs in headless Chromium (profile `release`, the app's opt-level z, unless --wasm-profile; `native` is opt-level 3);\n--wasm-warm runs each workload once unmeasured first, in the same worker (V8 has tiered the hot code up)",
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

/// The table's label for rows run in wasm under cargo `profile`, `warm` after a first run.
fn wasm_label(profile: &str, warm: bool) -> String {
    let warm = if warm { ", warm" } else { "" };
    if profile == "release" {
        format!(" (wasm{warm})")
    } else {
        format!(" (wasm {profile}{warm})")
    }
}

/// Builds the bench page under each profile and starts a browser for it.
fn wasm_browsers(profiles: &[String]) -> Result<Vec<(Page, Browser)>, String> {
    let mut out = Vec::new();
    for profile in profiles {
        eprintln!("podflow-bench: building the wasm bench under profile {profile}");
        let page = browser::build_page(profile)?;
        let b = Browser::start(&page)?;
        out.push((page, b));
    }
    Ok(out)
}

/// One run of `name` in the page: its sample, or what went wrong.
fn wasm_sample(b: &Browser, name: &str, warm: bool, timeout: Duration) -> Result<Sample, String> {
    let function = if warm { "warm" } else { "run" };
    match b.call(function, name, timeout)? {
        Answer::Ok(line) => {
            report::decode(&line).ok_or_else(|| format!("{name}: unreadable result {line:?}"))
        }
        failed => Err(format!("{name}: {}", failed.describe())),
    }
}

/// Every workload named (default: all) at smoke size in wasm, checked in the page.
fn wasm_smoke(names: &[String], profiles: &[String], timeout: Duration) -> ExitCode {
    let names: Vec<String> = if names.is_empty() {
        WORKLOADS.iter().map(|w| w.to_string()).collect()
    } else {
        names.to_vec()
    };
    let browsers = match wasm_browsers(profiles) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut failed = 0;
    for (page, b) in &browsers {
        println!(
            "wasm smoke, profile {} ({:.0} KiB module)",
            page.profile,
            page.wasm_bytes as f64 / 1024.0
        );
        for name in &names {
            match b.call("smoke", name, timeout) {
                Ok(Answer::Ok(line)) => println!("{line}"),
                Ok(failure) => {
                    failed += 1;
                    println!("FAIL {name:<20} {}", failure.describe());
                }
                Err(e) => {
                    failed += 1;
                    println!("FAIL {name:<20} {e}");
                }
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The playground's scale scenario: `--ui-pods` pods as Deployments of at most 1,000 replicas,
/// `(deployments, replicas)`.
fn ui_shape(o: &Options) -> (usize, usize) {
    let replicas = 1_000.min(o.ui_pods.max(1));
    (o.ui_pods.div_ceil(replicas), replicas)
}

/// `--ui-items`: the playground's scale scenario natively, item by item, for `--seconds`.
fn ui_items(o: &Options) -> ExitCode {
    let (deployments, replicas) = ui_shape(o);
    let text = ui::scenario(o.ui_nodes, deployments, replicas);
    match items::run(&text, Duration::from_secs(o.seconds)) {
        Ok(m) => {
            print!("{}", items::report(&m, 15));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The playground's frame times at scale, printed as a table.
fn ui_frames(o: &Options) -> ExitCode {
    let dist = match &o.dist {
        Some(d) => PathBuf::from(d),
        None => {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
            let dist = target.join("ui-dist");
            eprintln!(
                "podflow-bench: trunk build --release=true --dist {}",
                dist.display()
            );
            if let Err(e) = ui::trunk_build(&dist) {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
            dist
        }
    };
    let css = match &o.css {
        Some(file) => match std::fs::read_to_string(file) {
            Ok(text) => Some(text),
            Err(e) => {
                eprintln!("podflow-bench: {file}: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    let (deployments, replicas) = ui_shape(o);
    let text = ui::scenario(o.ui_nodes, deployments, replicas);
    let speeds: Vec<String> = if o.speeds.is_empty() {
        ui::SPEEDS.iter().map(|s| s.to_string()).collect()
    } else {
        o.speeds.clone()
    };
    println!(
        "playground {}: {} nodes, {deployments} Deployments × {replicas} pods, per speed from t = 0 {} s of play then {} s recorded, frame = requestAnimationFrame interval",
        dist.display(),
        o.ui_nodes,
        o.warmup,
        o.seconds
    );
    println!("{}", ui::header());
    match ui::run(
        &dist,
        &text,
        &speeds,
        Duration::from_secs(o.warmup),
        o.seconds,
        ui::Probe {
            profile: o.ui_profile.then(|| dist.parent().unwrap_or(&dist)),
            css: css.as_deref(),
        },
        |f| {
            println!("{}\n{}", ui::line(f), ui::long_render_line(f));
            if let Some((tasks, work)) = &f.profile {
                println!("{}\n{}", work.line(), ui_profile::lines(tasks, 15));
            }
        },
    ) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// What the command line asked for.
struct Options {
    runs: usize,
    names: Vec<String>,
    native: bool,
    wasm: bool,
    /// `--wasm-warm`: each wasm sample is a workload's second run in its worker.
    warm: bool,
    smoke: bool,
    profiles: Vec<String>,
    timeout: Duration,
    ui: bool,
    ui_items: bool,
    /// `--ui-profile`: V8's CPU profile of each recording, its long tasks summed by function.
    ui_profile: bool,
    /// `--ui-css FILE`: a stylesheet added to the page before Play.
    css: Option<String>,
    dist: Option<String>,
    seconds: u64,
    warmup: u64,
    speeds: Vec<String>,
    ui_nodes: usize,
    ui_pods: usize,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut o = Options {
        runs: 3,
        names: Vec::new(),
        native: false,
        wasm: false,
        warm: false,
        smoke: false,
        profiles: Vec::new(),
        timeout: Duration::from_secs(3600),
        ui: false,
        ui_items: false,
        ui_profile: false,
        css: None,
        dist: None,
        seconds: 10,
        warmup: 0,
        speeds: Vec::new(),
        ui_nodes: 1_000,
        ui_pods: 30_000,
    };
    let bad = || {
        eprintln!("{}", usage());
        ExitCode::from(2)
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--one" => return one(it.next().map(String::as_str).unwrap_or("")),
            "--smoke" => o.smoke = true,
            "--fingerprint" => return fingerprints(),
            "--native" => o.native = true,
            "--ui-frames" => o.ui = true,
            "--ui-items" => o.ui_items = true,
            "--ui-profile" => o.ui_profile = true,
            "--dist" => match it.next() {
                Some(d) => o.dist = Some(d.clone()),
                None => return bad(),
            },
            "--ui-css" => match it.next() {
                Some(f) => o.css = Some(f.clone()),
                None => return bad(),
            },
            "--speed" => match it.next() {
                Some(s) => o.speeds.push(s.clone()),
                None => return bad(),
            },
            "--seconds" => match it.next().and_then(|n| n.parse().ok()).filter(|n| *n > 0) {
                Some(n) => o.seconds = n,
                None => return bad(),
            },
            "--warmup" => match it.next().and_then(|n| n.parse().ok()) {
                Some(n) => o.warmup = n,
                None => return bad(),
            },
            "--ui-nodes" => match it.next().and_then(|n| n.parse().ok()).filter(|n| *n > 0) {
                Some(n) => o.ui_nodes = n,
                None => return bad(),
            },
            "--ui-pods" => match it.next().and_then(|n| n.parse().ok()).filter(|n| *n > 0) {
                Some(n) => o.ui_pods = n,
                None => return bad(),
            },
            "--wasm" => o.wasm = true,
            "--wasm-warm" => {
                o.wasm = true;
                o.warm = true;
            }
            "--wasm-profile" => match it.next() {
                Some(p) => o.profiles.push(p.clone()),
                None => return bad(),
            },
            "--wasm-timeout" => match it.next().and_then(|n| n.parse().ok()) {
                Some(s) => o.timeout = Duration::from_secs(s),
                None => return bad(),
            },
            "--runs" => match it.next().and_then(|n| n.parse().ok()).filter(|n| *n > 0) {
                Some(n) => o.runs = n,
                None => return bad(),
            },
            "-h" | "--help" => {
                println!("{}", usage());
                return ExitCode::SUCCESS;
            }
            name => o.names.push(name.to_string()),
        }
    }
    if o.ui {
        return ui_frames(&o);
    }
    if o.ui_items {
        return ui_items(&o);
    }
    if o.profiles.is_empty() {
        o.profiles.push("release".into());
    }
    if o.smoke {
        return if o.wasm {
            wasm_smoke(&o.names, &o.profiles, o.timeout)
        } else {
            smoke()
        };
    }
    if !o.wasm {
        o.native = true;
    }
    if o.names.is_empty() {
        o.names.push("all".into());
    }
    let names = match expand(&o.names) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("{e}\n{}", usage());
            return ExitCode::from(2);
        }
    };
    let browsers = if o.wasm {
        match wasm_browsers(&o.profiles) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        Vec::new()
    };
    for (page, _) in &browsers {
        println!(
            "rows marked{}: cargo profile {}, {:.0} KiB module, run in a dedicated worker in headless Chromium; peak mem is the WebAssembly.Memory size",
            wasm_label(&page.profile, o.warm),
            page.profile,
            page.wasm_bytes as f64 / 1024.0
        );
    }
    println!("{}", report::header());
    let mut failed = false;
    let mut ratios = Vec::new();
    for name in &names {
        let mut native = None;
        if o.native {
            let mut row = Row {
                samples: Vec::new(),
                label: String::new(),
            };
            for _ in 0..o.runs {
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
                native = Some(row);
            }
        }
        for (page, b) in &browsers {
            let mut row = Row {
                samples: Vec::new(),
                label: wasm_label(&page.profile, o.warm),
            };
            for _ in 0..o.runs {
                match wasm_sample(b, name, o.warm, o.timeout) {
                    Ok(s) => row.samples.push(s),
                    Err(e) => {
                        println!("{name}{}: FAILED: {e}", row.label);
                        failed = true;
                        break;
                    }
                }
            }
            if !row.samples.is_empty() {
                println!("{}", report::line(&row));
                if let Some(r) = native.as_ref().and_then(|n| report::ratio_line(n, &row)) {
                    ratios.push(r);
                }
            }
        }
    }
    for r in ratios {
        println!("{r}");
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
