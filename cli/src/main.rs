//! `podflow`: run a scenario headless and print what kubectl would show.
//!
//! ```text
//! podflow run [--seed N] [--until DURATION] [--nodes N] [-o table|json|timeline]
//!             [--describe TYPE/NAME [-n NAMESPACE]] FILE...
//! podflow scenario encode [--at DURATION] [--base URL] FILE...
//! podflow scenario decode LINK
//! ```
//!
//! Every document of the files is applied at t=0 as `kubectl apply -f` would (its lines on
//! stdout, its errors on stderr), virtual time runs to `--until` (default 5m), and the cluster is
//! printed, then `kubectl describe` of the `--describe` object. The exit status is 1 when any
//! document was refused or the object to describe does not exist, as kubectl's. `scenario
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
            // kubectl names standard input STDIN in its messages.
            Ok(text) if path == "-" => files.push(("STDIN".to_string(), text)),
            Ok(text) => files.push((path.clone(), text)),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(n) = run.nodes {
        let doc = format!(
            "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  nodes: {{count: {n}}}\n"
        );
        files.insert(0, ("--nodes".into(), doc));
    }
    let (mut cluster, results) = Cluster::load_seeded(&files, run.seed);
    // With `-o json` standard output is the List alone, so it stays machine-readable: kubectl's
    // lines and the describe section go to standard error.
    let json = matches!(run.output, args::Output::Json);
    let say = |line: &str| {
        if json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    };
    let mut refused = false;
    for r in &results {
        for w in &r.warnings {
            eprintln!("{w}");
        }
        if r.ok {
            say(&r.message);
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
                say(&r.message);
            } else {
                eprintln!("{}", r.message);
            }
        }
    }
    print!("{}", output::render(&cluster, run.output));
    if let Some(target) = &run.describe {
        match output::describe_section(&cluster, target, &run.namespace) {
            Ok(text) if json => eprint!("{text}"),
            Ok(text) => print!("{text}"),
            Err(e) => {
                eprintln!("{e}");
                refused = true;
            }
        }
    }
    if refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
