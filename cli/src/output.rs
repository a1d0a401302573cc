//! What `podflow run` prints after the run: kubectl tables, a v1 List as JSON, or the timeline,
//! and `kubectl describe` of an object when `--describe` asks for one.

use podflow_core::kubectl::describe::{describe, DescribeError};
use podflow_core::kubectl::get;
use podflow_core::Cluster;

use crate::args::Output;

/// The whole output for the chosen format.
pub fn render(cluster: &Cluster, output: Output) -> String {
    match output {
        Output::Table => tables(cluster),
        Output::Json => json(cluster),
        Output::Timeline => timeline(cluster),
    }
}

/// `kubectl describe TARGET` at the end of the run, under a `$ kubectl describe …` line like the
/// tables; the error is kubectl's text for stderr.
pub fn describe_section(
    cluster: &Cluster,
    target: &str,
    namespace: &str,
) -> Result<String, DescribeError> {
    let lookup = cluster.api().lookup();
    let text = describe(&lookup, target, namespace, cluster.now())?;
    let ns = if namespace == "default" {
        String::new()
    } else {
        format!(" -n {namespace}")
    };
    Ok(format!("\n$ kubectl describe {target}{ns}\n{text}"))
}

fn tables(cluster: &Cluster) -> String {
    let now = cluster.now();
    let snap = cluster.snapshot();
    let mut out = String::new();
    let mut section = |title: &str, body: Option<String>, empty: &str| {
        out.push_str(&format!("\n$ {title}\n"));
        out.push_str(&body.unwrap_or_else(|| format!("{empty}\n")));
    };
    section(
        "kubectl get pods -A -o wide",
        get::pods(&snap.pods, true, true),
        "No resources found",
    );
    section(
        "kubectl get nodes",
        get::nodes(&cluster.objects(&["Node"]), now),
        "No resources found",
    );
    // `kubectl get` of several types prints each type that has objects, a blank line between,
    // names as `deployment.apps/web`.
    let kinds = [
        ("deployments", "Deployment"),
        ("replicasets", "ReplicaSet"),
        ("daemonsets", "DaemonSet"),
        ("jobs", "Job"),
        ("services", "Service"),
    ];
    let present: Vec<(&str, &str)> = kinds
        .into_iter()
        .filter(|(_, kind)| !cluster.objects(&[kind]).is_empty())
        .collect();
    if !present.is_empty() {
        let opts = get::GetOptions {
            all_namespaces: true,
            wide: false,
            with_kind: present.len() > 1,
        };
        let body: Vec<String> = present
            .iter()
            .filter_map(|(_, kind)| get::table(kind, &cluster.objects(&[kind]), now, opts))
            .collect();
        let names: Vec<&str> = present.iter().map(|(r, _)| *r).collect();
        section(
            &format!("kubectl get {} -A", names.join(",")),
            Some(body.join("\n")),
            "No resources found",
        );
    }
    section(
        "kubectl get events -A --sort-by=.lastTimestamp",
        get::events(&cluster.objects(&["Event"]), now),
        "No resources found",
    );
    out
}

fn json(cluster: &Cluster) -> String {
    let kinds = [
        "Pod",
        "Node",
        "Event",
        "ReplicaSet",
        "Deployment",
        "Job",
        "Service",
        "EndpointSlice",
    ];
    let items: Vec<serde_json::Value> = kinds
        .iter()
        .flat_map(|k| cluster.objects(&[k]))
        .map(|o| o.to_json())
        .collect();
    let list = serde_json::json!({
        "apiVersion": "v1",
        "items": items,
        "kind": "List",
        "metadata": { "resourceVersion": "" }
    });
    let mut s = serde_json::to_string_pretty(&list).unwrap_or_default();
    s.push('\n');
    s
}

fn timeline(cluster: &Cluster) -> String {
    let mut out = String::new();
    for step in cluster.trace().steps() {
        out.push_str(&format!(
            "{:>12}  {:<16} {:<20} {:<40} {}\n",
            step.time.to_string(),
            step.component,
            step.stage.as_str(),
            step.object,
            step.detail
        ));
    }
    out
}
