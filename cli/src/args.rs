//! Command-line arguments, parsed by hand (the CLI has few flags and no dependencies).

/// The help text.
pub const USAGE: &str = "Usage:
  podflow run [--seed N] [--until DURATION] [--nodes N] [-o table|json|timeline]
              [--describe TYPE/NAME [-n NAMESPACE]] FILE...
  podflow scenario encode [--at DURATION] [--base URL] FILE...
  podflow scenario decode LINK

Applies every document of FILE... at t=0 as `kubectl apply -f` would, runs virtual time to
--until (default 5m) and prints the cluster as kubectl shows it.

Options:
  --seed N          seed of the simulation's RNG (default: the scenario's, else 1)
  --until DURATION  how long to run, as a Go duration: 30s, 5m, 1h30m (default 5m)
  --nodes N         size of the default node pool (default 3)
  -o, --output F    table (default), json (a v1 List of every object) or timeline
  --describe R/NAME also print `kubectl describe` of an object after the output, e.g.
                    pod/nginx, node/node-1, deploy/web; a bare type (pods) describes all
  -n, --namespace NS  the namespace --describe looks in (default: default)

`scenario encode` prints the share-link fragment (#v1.…) of FILE... joined into one scenario
text, with the playhead at --at (default 0s); with --base, the whole link. `scenario decode`
prints the scenario text of a link or fragment on stdout and `playhead: DURATION` on stderr.
A FILE or LINK of `-` is read from standard input.
";

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// kubectl get tables.
    Table,
    /// A v1 List of every object.
    Json,
    /// One line per step of the flow.
    Timeline,
}

/// `podflow run`'s options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--until`.
    pub until: String,
    /// `--nodes`.
    pub nodes: Option<usize>,
    /// `-o`.
    pub output: Output,
    /// `--describe`.
    pub describe: Option<String>,
    /// `-n`: the namespace `--describe` looks in.
    pub namespace: String,
    /// The manifest files (`-` for standard input).
    pub files: Vec<String>,
}

/// `podflow scenario encode`'s options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encode {
    /// `--at`: the playhead, as a Go duration.
    pub at: String,
    /// `--base`: the page the fragment is appended to.
    pub base: Option<String>,
    /// The scenario files (`-` for standard input).
    pub files: Vec<String>,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `podflow run …`.
    Run(Run),
    /// `podflow scenario encode …`.
    Encode(Encode),
    /// `podflow scenario decode LINK` (`-` for standard input).
    Decode(String),
    /// `podflow help`, `--help`.
    Help,
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("run") => {}
        Some("scenario") => return parse_scenario(&args[1..]),
        Some("help" | "--help" | "-h") | None => return Ok(Command::Help),
        Some(other) => return Err(format!("unknown command \"{other}\" for \"podflow\"")),
    }
    let mut run = Run {
        seed: None,
        until: "5m".into(),
        nodes: None,
        output: Output::Table,
        describe: None,
        namespace: "default".into(),
        files: Vec::new(),
    };
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with('-') => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("flag needs an argument: {name}"))
        };
        match flag.as_str() {
            "--seed" => {
                let v = value("--seed")?;
                run.seed = Some(v.parse().map_err(|_| format!("invalid argument \"{v}\" for \"--seed\" flag"))?);
            }
            "--until" => run.until = value("--until")?,
            "--nodes" => {
                let v = value("--nodes")?;
                let n: usize = v.parse().map_err(|_| format!("invalid argument \"{v}\" for \"--nodes\" flag"))?;
                if n == 0 || n > podflow_core::scenario::MAX_NODES {
                    return Err(format!("invalid argument \"{v}\" for \"--nodes\" flag: must be between 1 and {}", podflow_core::scenario::MAX_NODES));
                }
                run.nodes = Some(n);
            }
            "-o" | "--output" => {
                run.output = match value("-o")?.as_str() {
                    "table" | "wide" => Output::Table,
                    "json" => Output::Json,
                    "timeline" => Output::Timeline,
                    other => return Err(format!("unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,table,timeline")),
                }
            }
            "--describe" => run.describe = Some(value("--describe")?),
            "-n" | "--namespace" => run.namespace = value("--namespace")?,
            "-f" | "--filename" => run.files.push(value("-f")?),
            f if f.starts_with('-') && f != "-" => return Err(format!("unknown flag: {f}")),
            _ => run.files.push(arg.clone()),
        }
    }
    if run.files.is_empty() {
        return Err("must specify at least one FILE".into());
    }
    Ok(Command::Run(run))
}

/// `podflow scenario encode|decode …`.
fn parse_scenario(args: &[String]) -> Result<Command, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("encode") => {}
        Some("decode") => {
            let links: Vec<&String> = it.collect();
            return match links.as_slice() {
                [flag] if flag.starts_with('-') && flag.as_str() != "-" => {
                    Err(format!("unknown flag: {flag}"))
                }
                [link] => Ok(Command::Decode(link.to_string())),
                [] => Err("must specify a LINK".into()),
                _ => Err("accepts one LINK".into()),
            };
        }
        Some("help" | "--help" | "-h") | None => return Ok(Command::Help),
        Some(other) => {
            return Err(format!(
                "unknown command \"{other}\" for \"podflow scenario\""
            ))
        }
    }
    let mut encode = Encode {
        at: "0s".into(),
        base: None,
        files: Vec::new(),
    };
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with('-') => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("flag needs an argument: {name}"))
        };
        match flag.as_str() {
            "--at" => encode.at = value("--at")?,
            "--base" => encode.base = Some(value("--base")?),
            "-f" | "--filename" => encode.files.push(value("-f")?),
            f if f.starts_with('-') && f != "-" => return Err(format!("unknown flag: {f}")),
            _ => encode.files.push(arg.clone()),
        }
    }
    if encode.files.is_empty() {
        return Err("must specify at least one FILE".into());
    }
    Ok(Command::Encode(encode))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn run_takes_flags_and_files() {
        let Ok(Command::Run(run)) =
            parse(&args("run --seed 7 --until=30s -o json a.yaml -f b.yaml"))
        else {
            panic!("not a run");
        };
        assert_eq!(run.seed, Some(7));
        assert_eq!(run.until, "30s");
        assert_eq!(run.output, Output::Json);
        assert_eq!(run.files, ["a.yaml", "b.yaml"]);
    }

    #[test]
    fn describe_takes_a_target_and_an_optional_namespace() {
        let Ok(Command::Run(run)) = parse(&args("run --describe pod/nginx x.yaml")) else {
            panic!("not a run");
        };
        assert_eq!(run.describe.as_deref(), Some("pod/nginx"));
        assert_eq!(run.namespace, "default");
        let Ok(Command::Run(run)) =
            parse(&args("run x.yaml --describe=pod/qos-demo -n qos-example"))
        else {
            panic!("not a run");
        };
        assert_eq!(run.describe.as_deref(), Some("pod/qos-demo"));
        assert_eq!(run.namespace, "qos-example");
        assert_eq!(
            parse(&args("run x.yaml --describe")),
            Err("flag needs an argument: --describe".into())
        );
    }

    #[test]
    fn bad_flags_are_refused_with_kubectl_like_messages() {
        assert_eq!(
            parse(&args("run --bogus x.yaml")),
            Err("unknown flag: --bogus".into())
        );
        assert_eq!(
            parse(&args("run")),
            Err("must specify at least one FILE".into())
        );
        assert_eq!(
            parse(&args("run --seed abc x")),
            Err("invalid argument \"abc\" for \"--seed\" flag".into())
        );
    }

    #[test]
    fn scenario_encode_and_decode_take_their_arguments() {
        assert_eq!(
            parse(&args(
                "scenario encode --at=90s --base https://x/ a.yaml -f b.yaml"
            )),
            Ok(Command::Encode(Encode {
                at: "90s".into(),
                base: Some("https://x/".into()),
                files: vec!["a.yaml".into(), "b.yaml".into()],
            }))
        );
        assert_eq!(
            parse(&args("scenario decode #v1.abc")),
            Ok(Command::Decode("#v1.abc".into()))
        );
        assert_eq!(
            parse(&args("scenario decode -")),
            Ok(Command::Decode("-".into()))
        );
        assert_eq!(
            parse(&args("scenario encode")),
            Err("must specify at least one FILE".into())
        );
        assert_eq!(
            parse(&args("scenario decode")),
            Err("must specify a LINK".into())
        );
        assert_eq!(
            parse(&args("scenario decode a b")),
            Err("accepts one LINK".into())
        );
        assert_eq!(
            parse(&args("scenario encode --at")),
            Err("flag needs an argument: --at".into())
        );
        assert_eq!(
            parse(&args("scenario share x")),
            Err("unknown command \"share\" for \"podflow scenario\"".into())
        );
    }
}
