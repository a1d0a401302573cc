//! The playground's kubectl console: one command line in, what kubectl 1.33 would print out.
//! Commands act on the [`Cluster`] only through its kubectl-level calls (apply, create, delete,
//! scale, cordon, drain, label, taint, logs) and print with the core's printers, so the console
//! and `podflow run` show the same text.
//!
//! Supported: `get`, `describe`, `apply -f -`, `create -f -|namespace|deployment`, `run`,
//! `delete`, `scale`, `cordon`, `uncordon`, `drain`, `label`, `taint`, `rollout
//! status|undo|history`, `logs`, `events`, `version`.

pub mod args;
mod events;
mod get;
mod rollout;

use crate::cluster::{ApplyResult, Cluster};
use crate::object::kind_for_resource;

use args::Args;

/// What one command printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Standard output.
    pub stdout: String,
    /// Standard error (errors, warnings, notices).
    pub stderr: String,
    /// Exit status 0.
    pub ok: bool,
}

impl Output {
    fn ok(stdout: String) -> Output {
        Output {
            stdout,
            stderr: String::new(),
            ok: true,
        }
    }

    fn err(message: impl Into<String>) -> Output {
        let mut stderr: String = message.into();
        if !stderr.ends_with('\n') {
            stderr.push('\n');
        }
        Output {
            stdout: String::new(),
            stderr,
            ok: false,
        }
    }

    /// kubectl's lines for a list of results: successes on stdout, warnings and errors on
    /// stderr, failure if any failed.
    fn results(results: &[ApplyResult]) -> Output {
        let mut out = Output {
            ok: true,
            ..Output::default()
        };
        for r in results {
            for w in &r.warnings {
                out.stderr.push_str(w);
                out.stderr.push('\n');
            }
            if r.ok {
                out.stdout.push_str(&r.message);
                out.stdout.push('\n');
            } else {
                out.ok = false;
                out.stderr.push_str(&r.message);
                out.stderr.push('\n');
            }
        }
        out
    }
}

/// The namespace a command works in: `-n`, else `default`.
fn namespace(a: &Args) -> String {
    a.value(&["n", "namespace"])
        .unwrap_or("default")
        .to_string()
}

/// `TYPE NAME` or `TYPE/NAME` from the positional arguments after the verb.
fn type_and_name(rest: &[String]) -> Result<(String, String), String> {
    match rest {
        [one] if one.contains('/') => {
            let (t, n) = one.split_once('/').unwrap_or_default();
            Ok((t.to_string(), n.to_string()))
        }
        [t, n, ..] => Ok((t.clone(), n.clone())),
        _ => Err("error: you must specify the type of resource and its name".into()),
    }
}

/// Runs one console line; `stdin` is what `-f -` reads (the editor's text).
pub fn run(cluster: &mut Cluster, line: &str, stdin: &str) -> Output {
    let words = match args::split_words(line) {
        Ok(w) => w,
        Err(e) => return Output::err(format!("error: {e}")),
    };
    let words: Vec<String> = match words.split_first() {
        Some((first, rest)) if first == "kubectl" || first == "k" => rest.to_vec(),
        Some(_) => {
            return Output::err(format!(
                "{}: command not found (this console runs kubectl)",
                words[0]
            ))
        }
        None => return Output::ok(String::new()),
    };
    let a = args::parse(&words);
    let Some(verb) = a.positional.first().cloned() else {
        return Output::ok(help());
    };
    let rest = &a.positional[1..];
    let user = cluster.kubectl_user();
    let ns = namespace(&a);
    match verb.as_str() {
        "get" => get::get(cluster, &a, rest),
        "describe" => get::describe(cluster, &a, rest),
        "events" => events::events(cluster, &a),
        "apply" | "create" if a.value(&["f", "filename"]).is_some() => {
            let file = a.value(&["f", "filename"]).unwrap_or_default();
            if file != "-" {
                return Output::err(format!("error: the path \"{file}\" does not exist"));
            }
            let results = if verb == "apply" {
                cluster.apply_as(stdin, "STDIN", &user)
            } else {
                cluster.create_as(stdin, "STDIN", &user)
            };
            Output::results(&results)
        }
        "apply" => Output::err("error: must specify one of -f and -k"),
        "create" => create(cluster, &a, rest, &user),
        "run" => run_pod(cluster, &a, rest, &user),
        "delete" => {
            let (resource, names) = match rest {
                [one] if one.contains('/') => {
                    let (t, n) = one.split_once('/').unwrap_or_default();
                    (t.to_string(), vec![n.to_string()])
                }
                [t, names @ ..] if !names.is_empty() => (t.clone(), names.to_vec()),
                _ => {
                    return Output::err(
                        "error: resource(s) were provided, but no name was specified",
                    )
                }
            };
            let results: Vec<ApplyResult> = names
                .iter()
                .map(|n| cluster.delete_as(&resource, &ns, n, &user))
                .collect();
            Output::results(&results)
        }
        "scale" => {
            let Some(replicas) = a.value(&["replicas"]).and_then(|r| r.parse::<i32>().ok()) else {
                return Output::err("error: --replicas=COUNT is required, and COUNT must be greater than or equal to 0");
            };
            match type_and_name(rest) {
                Ok((t, n)) => Output::results(&[cluster.scale(&t, &ns, &n, replicas, &user)]),
                Err(e) => Output::err(e),
            }
        }
        "cordon" | "uncordon" => match rest.first() {
            Some(node) => {
                Output::results(&[cluster.set_unschedulable(node, verb == "cordon", &user)])
            }
            None => Output::err(format!("error: USAGE: {verb} NODE [flags]")),
        },
        "drain" => match rest.first() {
            Some(node) => Output::results(&cluster.drain(node, &user)),
            None => Output::err("error: USAGE: drain NODE [flags]"),
        },
        "label" => {
            let (target, labels) = split_target(rest);
            match target {
                Ok((t, n)) => {
                    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
                    Output::results(&[cluster.label(
                        &t,
                        &ns,
                        &n,
                        &labels,
                        a.has(&["overwrite"]),
                        &user,
                    )])
                }
                Err(e) => Output::err(e),
            }
        }
        "taint" => {
            let (target, specs) = split_target(rest);
            match target {
                Ok((t, n)) if kind_for_resource(&t).is_some_and(|k| k.kind == "Node") => {
                    let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
                    Output::results(&[cluster.taint(&n, &specs, a.has(&["overwrite"]), &user)])
                }
                Ok((t, _)) => Output::err(format!(
                    "error: invalid resource type {t}, only node types are supported"
                )),
                Err(e) => Output::err(e),
            }
        }
        "rollout" => rollout::rollout(cluster, &a, rest, &user),
        "set" => match rest.split_first() {
            Some((sub, tail)) if sub == "image" => set_image(cluster, &ns, tail, &user),
            _ => Output::err("error: this console supports \"kubectl set image\""),
        },
        "logs" => {
            let Some(pod) = rest.first() else {
                return Output::err("error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command");
            };
            let pod = pod.strip_prefix("pod/").unwrap_or(pod);
            let container = a.value(&["c", "container"]);
            let out = cluster.logs(&ns, pod, container, a.has(&["p", "previous"]));
            Output {
                stdout: out.stdout,
                stderr: out.stderr,
                ok: out.ok,
            }
        }
        "version" => Output::ok(
            "Client Version: v1.33.1\nKustomize Version: v5.6.0\nServer Version: v1.33.1\n".into(),
        ),
        "help" => Output::ok(help()),
        other => Output::err(format!(
            "error: unknown command \"{other}\" for \"kubectl\"\n\n{}",
            help()
        )),
    }
}

/// `TYPE NAME args…` or `TYPE/NAME args…`.
fn split_target(rest: &[String]) -> (Result<(String, String), String>, Vec<String>) {
    match rest {
        [one, tail @ ..] if one.contains('/') => {
            let (t, n) = one.split_once('/').unwrap_or_default();
            (Ok((t.to_string(), n.to_string())), tail.to_vec())
        }
        [t, n, tail @ ..] => (Ok((t.clone(), n.clone())), tail.to_vec()),
        _ => (
            Err("error: you must specify the type of resource and its name".into()),
            Vec::new(),
        ),
    }
}

/// `kubectl set image TYPE/NAME CONTAINER=IMAGE…`: `deployment.apps/web image updated`.
fn set_image(
    cluster: &mut Cluster,
    ns: &str,
    rest: &[String],
    user: &crate::apiserver::UserInfo,
) -> Output {
    let (target, pairs) = split_target(rest);
    let (t, name) = match target {
        Ok(x) => x,
        Err(e) => return Output::err(e),
    };
    let Some(info) = kind_for_resource(&t) else {
        return Output::err(format!(
            "error: the server doesn't have a resource type \"{t}\""
        ));
    };
    let Some(live) = cluster.api().get(info.kind, ns, &name) else {
        return Output::err(format!(
            "Error from server (NotFound): {}{} \"{name}\" not found",
            info.resource,
            if info.group.is_empty() {
                String::new()
            } else {
                format!(".{}", info.group)
            }
        ));
    };
    let mut obj = (*live).clone();
    let spec = match &mut obj {
        crate::object::Object::Deployment(d) => {
            d.spec.as_mut().and_then(|s| s.template.spec.as_mut())
        }
        crate::object::Object::DaemonSet(d) => {
            d.spec.as_mut().and_then(|s| s.template.spec.as_mut())
        }
        crate::object::Object::ReplicaSet(r) => r
            .spec
            .as_mut()
            .and_then(|s| s.template.as_mut())
            .and_then(|t| t.spec.as_mut()),
        crate::object::Object::Pod(p) => p.spec.as_mut(),
        _ => None,
    };
    let Some(spec) = spec else {
        return Output::err(format!("error: {t}/{name} has no containers"));
    };
    for pair in &pairs {
        let Some((container, image)) = pair.split_once('=') else {
            return Output::err(format!("error: invalid image update {pair}"));
        };
        let mut found = false;
        for c in spec
            .containers
            .iter_mut()
            .chain(spec.init_containers.iter_mut().flatten())
        {
            if container == "*" || c.name == container {
                c.image = Some(image.to_string());
                found = true;
            }
        }
        if !found {
            return Output::err(format!(
                "error: unable to find container named \"{container}\""
            ));
        }
    }
    let line = format!("{}/{name} image updated", info.kubectl_resource());
    Output::results(&[cluster.patch_object(obj, user, line)])
}

/// `kubectl create namespace|deployment …`.
fn create(
    cluster: &mut Cluster,
    a: &Args,
    rest: &[String],
    user: &crate::apiserver::UserInfo,
) -> Output {
    let ns = namespace(a);
    let manifest = match rest {
        [kind, name] if kind == "namespace" || kind == "ns" => {
            format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n")
        }
        [kind, name] if kind == "deployment" || kind == "deploy" => {
            let Some(image) = a.value(&["image"]) else {
                return Output::err("error: required flag(s) \"image\" not set");
            };
            let replicas = a.value(&["replicas"]).unwrap_or("1");
            // The container is named after the image: `registry/x/nginx:1.14` → `nginx`.
            let base = image.rsplit('/').next().unwrap_or(image);
            let container = base.split([':', '@']).next().unwrap_or(base);
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    app: {name}\n  name: {name}\n  namespace: {ns}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n  strategy: {{}}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - image: {image}\n        name: {container}\n        resources: {{}}\n"
            )
        }
        [kind, ..] => {
            return Output::err(format!(
                "error: unknown command \"{kind}\" for \"kubectl create\" (this console creates namespaces and deployments, or -f -)"
            ))
        }
        [] => return Output::err("error: must specify one of -f and -k"),
    };
    Output::results(&cluster.create_as(&manifest, "STDIN", user))
}

/// `kubectl run NAME --image=IMAGE [--port=N] [--restart=Never|OnFailure]`: the pod kubectl's
/// run generator builds (label `run=NAME`), created.
fn run_pod(
    cluster: &mut Cluster,
    a: &Args,
    rest: &[String],
    user: &crate::apiserver::UserInfo,
) -> Output {
    let Some(name) = rest.first() else {
        return Output::err("error: NAME is required for run");
    };
    let Some(image) = a.value(&["image"]) else {
        return Output::err("error: required flag(s) \"image\" not set");
    };
    let ns = namespace(a);
    let restart = a.value(&["restart"]).unwrap_or("Always");
    let ports = a
        .value(&["port"])
        .map(|p| format!("    ports:\n    - containerPort: {p}\n"))
        .unwrap_or_default();
    let command = if rest.len() > 1 {
        let args: Vec<String> = rest[1..]
            .iter()
            .map(|s| serde_json::Value::String(s.clone()).to_string())
            .collect();
        format!("    args: [{}]\n", args.join(", "))
    } else {
        String::new()
    };
    let manifest = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    run: {name}\n  name: {name}\n  namespace: {ns}\nspec:\n  containers:\n  - image: {image}\n    name: {name}\n{command}{ports}    resources: {{}}\n  dnsPolicy: ClusterFirst\n  restartPolicy: {restart}\n"
    );
    Output::results(&cluster.create_as(&manifest, "STDIN", user))
}

/// The console's help text.
pub fn help() -> String {
    "kubectl controls the simulated Kubernetes cluster.\n\n\
     Basic Commands:\n  \
     create        Create a resource from stdin (-f -), a namespace or a deployment\n  \
     run           Run a particular image on the cluster\n  \
     get           Display one or many resources\n  \
     delete        Delete resources by names\n  \
     events        List events\n\n\
     Deploy Commands:\n  \
     rollout       Manage the rollout of a resource (status, undo, history)\n  \
     scale         Set a new size for a deployment or replica set\n\n\
     Cluster Management Commands:\n  \
     cordon        Mark node as unschedulable\n  \
     uncordon      Mark node as schedulable\n  \
     drain         Drain node in preparation for maintenance\n  \
     taint         Update the taints on one or more nodes\n\n\
     Troubleshooting and Debugging Commands:\n  \
     describe      Show details of a specific resource\n  \
     logs          Print the logs for a container in a pod\n\n\
     Advanced Commands:\n  \
     apply         Apply a configuration to a resource from stdin (-f -: the editor)\n\n\
     Settings Commands:\n  \
     label         Update the labels on a resource\n\n\
     Other Commands:\n  \
     version       Print the client and server version information\n"
        .to_string()
}
