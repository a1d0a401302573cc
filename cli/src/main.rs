//! `podflow`: run a scenario headless and print what kubectl would show.
//!
//! ```text
//! podflow run [--seed N] [--until DURATION] [--nodes N] [-o table|json|timeline] FILE...
//! podflow scenario encode [--at DURATION] [--base URL] FILE...
//! podflow scenario decode LINK
//! ```
//!
//! Every document of the files is applied at t=0 as `kubectl apply -f` would (its lines on
//! stdout, its errors on stderr), virtual time runs to `--until` (default 5m), and the cluster is
//! printed. The exit status is 1 when any document was refused, as kubectl's. `scenario
//! encode`/`decode` write and read share links (see [`share`]).

mod args;
mod input;
mod output;
mod share;

use std::process::ExitCode;

use podflow_core::scenario::parse_duration;
use podflow_core::Cluster;

fn main() -> ExitCode {
    // `args()` would panic on an argument that is not UTF-8.
    let argv: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let run = match args::parse(&argv) {
        Ok(args::Command::Run(run)) => run,
        Ok(args::Command::Encode(encode)) => return share::encode(&encode),
        Ok(args::Command::Decode(link)) => return share::decode(&link),
        Ok(args::Command::Help) => {
            print!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let mut files = Vec::new();
    for path in &run.files {
        match input::read(path) {
            Ok(text) => files.push((path.clone(), text)),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(seed) = run.seed {
        files.insert(
            0,
            (
                "--seed".into(),
                format!(
                    "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  seed: {seed}\n"
                ),
            ),
        );
    }
    if let Some(n) = run.nodes {
        let doc = format!("apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  seed: {}\n  nodes: {{count: {n}}}\n", run.seed.unwrap_or(1));
        files.insert(0, ("--nodes".into(), doc));
    }
    let (mut cluster, results) = Cluster::load(&files);
    let mut refused = false;
    for r in &results {
        for w in &r.warnings {
            eprintln!("{w}");
        }
        if r.ok {
            println!("{}", r.message);
        } else {
            refused = true;
            eprintln!("{}", r.message);
        }
    }
    let until = match parse_duration(&run.until) {
        Ok(d) => d,
        Err(e) => {
            eprintln!(
                "error: invalid argument \"{}\" for \"--until\" flag: {e}",
                run.until
            );
            return ExitCode::from(2);
        }
    };
    for report in cluster.run_for(until) {
        for r in report.results {
            if r.ok {
                println!("{}", r.message);
            } else {
                eprintln!("{}", r.message);
            }
        }
    }
    print!(
        "{}",
        output::render(&cluster, run.output, run.describe.as_deref())
    );
    if refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
