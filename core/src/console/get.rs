//! `kubectl get` (tables, `-o wide|yaml|json|name`, several types, `all`) and `kubectl
//! describe` in the console.

use std::sync::Arc;

use super::args::Args;
use super::{namespace, Output};
use crate::cluster::Cluster;
use crate::kubectl::get::{self, GetOptions};
use crate::kubectl::yaml::to_yaml;
use crate::object::{kind_for_resource, KindInfo, Object};

/// What `kubectl get all` expands to, in kubectl's order.
const ALL: &[&str] = &[
    "pods",
    "services",
    "daemonsets",
    "deployments",
    "replicasets",
    "jobs",
];

/// `kubectl get TYPE[,TYPE…] [NAME…] | TYPE/NAME…`.
pub fn get(cluster: &Cluster, a: &Args, rest: &[String]) -> Output {
    if let Some(e) = a.unknown(&[
        "n",
        "namespace",
        "A",
        "all-namespaces",
        "o",
        "output",
        "show-labels",
    ]) {
        return Output::err(e);
    }
    if rest.is_empty() {
        return Output::err("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.");
    }
    let all_namespaces = a.has(&["A", "all-namespaces"]);
    let ns = namespace(a);
    // (kind, names) requests in order.
    let mut requests: Vec<(&'static KindInfo, Vec<String>)> = Vec::new();
    if rest.iter().all(|r| r.contains('/')) {
        for r in rest {
            let (t, n) = r.split_once('/').unwrap_or_default();
            let Some(info) = kind_for_resource(t) else {
                return Output::err(format!(
                    "error: the server doesn't have a resource type \"{t}\""
                ));
            };
            match requests.iter_mut().find(|(i, _)| i.kind == info.kind) {
                Some((_, names)) => names.push(n.to_string()),
                None => requests.push((info, vec![n.to_string()])),
            }
        }
    } else {
        let types: Vec<&str> = rest[0].split(',').collect();
        let names: Vec<String> = rest[1..].to_vec();
        for t in types {
            let expanded: Vec<&str> = if t == "all" { ALL.to_vec() } else { vec![t] };
            for t in expanded {
                let Some(info) = kind_for_resource(t) else {
                    return Output::err(format!(
                        "error: the server doesn't have a resource type \"{t}\""
                    ));
                };
                requests.push((info, names.clone()));
            }
        }
    }
    let output = a.value(&["o", "output"]).unwrap_or("");
    let with_kind = requests.len() > 1 || rest.iter().any(|r| r.contains('/') || r == "all");
    let mut out = Output {
        ok: true,
        ..Output::default()
    };
    let mut found: Vec<Arc<Object>> = Vec::new();
    let mut tables: Vec<String> = Vec::new();
    for (info, names) in &requests {
        let in_scope = |o: &Arc<Object>| {
            !info.namespaced || all_namespaces || o.meta().namespace.as_deref() == Some(ns.as_str())
        };
        let mut objects: Vec<Arc<Object>> = cluster
            .objects(&[info.kind])
            .into_iter()
            .filter(in_scope)
            .collect();
        if !names.is_empty() {
            let mut picked = Vec::new();
            for n in names {
                match objects
                    .iter()
                    .find(|o| o.meta().name.as_deref() == Some(n.as_str()))
                {
                    Some(o) => picked.push(Arc::clone(o)),
                    None => {
                        out.ok = false;
                        out.stderr.push_str(&format!(
                            "Error from server (NotFound): {} \"{n}\" not found\n",
                            qualified(info)
                        ));
                    }
                }
            }
            objects = picked;
        }
        if objects.is_empty() {
            continue;
        }
        if output.is_empty() || output == "wide" {
            let opts = GetOptions {
                all_namespaces: all_namespaces && info.namespaced,
                wide: output == "wide",
                with_kind,
            };
            let mut table =
                get::table(info.kind, &objects, cluster.now(), opts).unwrap_or_default();
            if a.has(&["show-labels"]) {
                table = with_labels(&table, &objects);
            }
            tables.push(table);
        }
        found.extend(objects);
    }
    match output {
        "" | "wide" => out.stdout = tables.join("\n"),
        "name" => {
            for o in &found {
                out.stdout.push_str(&format!(
                    "{}/{}\n",
                    o.info().kubectl_resource(),
                    o.meta().name.clone().unwrap_or_default()
                ));
            }
        }
        "json" | "yaml" => {
            if found.is_empty() && !out.ok {
                return out;
            }
            let single = found.len() == 1 && requests.iter().all(|(_, n)| n.len() == 1);
            let value = if single {
                found[0].to_json()
            } else {
                serde_json::json!({
                    "apiVersion": "v1",
                    "items": found.iter().map(|o| o.to_json()).collect::<Vec<_>>(),
                    "kind": "List",
                    "metadata": { "resourceVersion": "" }
                })
            };
            out.stdout = if output == "json" {
                go_json(&value)
            } else {
                to_yaml(&value)
            };
            return out;
        }
        other => {
            return Output::err(format!(
                "error: unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,name,wide,yaml"
            ))
        }
    }
    if found.is_empty() && out.ok {
        out.stderr = if all_namespaces || requests.iter().all(|(i, _)| !i.namespaced) {
            "No resources found\n".into()
        } else {
            format!("No resources found in {ns} namespace.\n")
        };
    }
    out
}

/// `pods` / `deployments.apps`, as NotFound messages name a resource.
fn qualified(info: &KindInfo) -> String {
    if info.group.is_empty() {
        info.resource.to_string()
    } else {
        format!("{}.{}", info.resource, info.group)
    }
}

/// `--show-labels`: a LABELS column at the end (`k=v,k=v` or `<none>`).
fn with_labels(table: &str, objects: &[Arc<Object>]) -> String {
    let mut t = crate::kubectl::Table::default();
    for (i, line) in table.lines().enumerate() {
        let mut cells: Vec<String> = line
            .split("   ")
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        if i == 0 {
            cells.push("LABELS".into());
            t.headers = cells;
        } else {
            let labels = objects
                .get(i - 1)
                .map(|o| crate::kubectl::printers::format_labels(o.meta().labels.as_ref()))
                .unwrap_or_default();
            cells.push(labels);
            t.rows.push(cells);
        }
    }
    t.render()
}

/// `json.MarshalIndent(obj, "", "    ")`: four-space indents and Go's HTML-safe escapes.
pub fn go_json(value: &serde_json::Value) -> String {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    if serde::Serialize::serialize(value, &mut ser).is_err() {
        return String::new();
    }
    let text = String::from_utf8(buf).unwrap_or_default();
    // Outside strings JSON has no `<`, `>` or `&`: these replacements only touch string content.
    let mut text = text
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    text.push('\n');
    text
}

/// `kubectl describe TYPE NAME | TYPE/NAME | TYPE`.
pub fn describe(cluster: &Cluster, a: &Args, rest: &[String]) -> Output {
    let target = match rest {
        [one] => one.clone(),
        [t, n] => format!("{t}/{n}"),
        _ => return Output::err("error: You must specify the type of resource to describe. Use \"kubectl api-resources\" for a complete list of supported resources."),
    };
    let lookup = cluster.api().lookup();
    match crate::kubectl::describe::describe(&lookup, &target, &namespace(a), cluster.now()) {
        Ok(text) => Output::ok(text),
        Err(e) => Output::err(e.to_string()),
    }
}
