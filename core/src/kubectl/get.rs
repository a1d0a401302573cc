//! `kubectl get` tables for pods, nodes, deployments, replica sets and events, as kubectl 1.33
//! prints them (columns from `pkg/printers/internalversion/printers.go`).

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Event, Node};

use crate::kubectl::age::human_duration;
use crate::kubectl::table::Table;
use crate::object::Object;
use crate::sim::SimTime;
use crate::snapshot::{NodeView, PodView};

/// `kubectl get pods [-A] [-o wide]`; `None` when there are no pods (kubectl then prints
/// `No resources found` on stderr).
pub fn pods(pods: &[PodView], all_namespaces: bool, wide: bool) -> Option<String> {
    if pods.is_empty() {
        return None;
    }
    let mut headers = vec![];
    if all_namespaces {
        headers.push("NAMESPACE");
    }
    headers.extend(["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    if wide {
        headers.extend(["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    }
    let mut t = Table::new(&headers);
    for p in pods {
        let mut row = vec![];
        if all_namespaces {
            row.push(p.namespace.clone());
        }
        row.extend([
            p.name.clone(),
            p.ready.clone(),
            p.status.clone(),
            p.restarts.clone(),
            p.age.clone(),
        ]);
        if wide {
            row.extend([
                p.ip.clone(),
                p.node.clone(),
                p.nominated_node.clone(),
                p.readiness_gates.clone(),
            ]);
        }
        t.push(row);
    }
    Some(t.render())
}

/// The ROLES column: `node-role.kubernetes.io/<role>` label suffixes plus `kubernetes.io/role`.
pub fn node_roles(node: &Node) -> String {
    let mut roles: Vec<String> = Vec::new();
    for (k, v) in node.metadata.labels.iter().flatten() {
        if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
            if !role.is_empty() {
                roles.push(role.to_string());
            }
        } else if k == "kubernetes.io/role" && !v.is_empty() {
            roles.push(v.clone());
        }
    }
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        "<none>".into()
    } else {
        roles.join(",")
    }
}

/// `kubectl get nodes`.
pub fn nodes(nodes: &[Arc<Object>], now: SimTime) -> Option<String> {
    let mut t = Table::new(&["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    for o in nodes {
        if let Object::Node(n) = &**o {
            let view = NodeView::from_node(n);
            t.push(vec![
                view.name,
                view.status,
                node_roles(n),
                age(n.metadata.creation_timestamp.as_ref(), now),
                view.version,
            ]);
        }
    }
    (!t.rows.is_empty()).then(|| t.render())
}

fn age(t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>, now: SimTime) -> String {
    t.map(|t| human_duration(now.since(SimTime::from_k8s_time(t))))
        .unwrap_or_else(|| "<unknown>".into())
}

/// `kubectl get deployments -A`.
pub fn deployments(objects: &[Arc<Object>], now: SimTime) -> Option<String> {
    let mut t = Table::new(&[
        "NAMESPACE",
        "NAME",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "AGE",
    ]);
    for o in objects {
        if let Object::Deployment(d) = &**o {
            let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
            let status = d.status.clone().unwrap_or_default();
            t.push(vec![
                d.metadata.namespace.clone().unwrap_or_default(),
                d.metadata.name.clone().unwrap_or_default(),
                format!("{}/{desired}", status.ready_replicas.unwrap_or(0)),
                status.updated_replicas.unwrap_or(0).to_string(),
                status.available_replicas.unwrap_or(0).to_string(),
                age(d.metadata.creation_timestamp.as_ref(), now),
            ]);
        }
    }
    (!t.rows.is_empty()).then(|| t.render())
}

/// `kubectl get replicasets -A`.
pub fn replica_sets(objects: &[Arc<Object>], now: SimTime) -> Option<String> {
    let mut t = Table::new(&["NAMESPACE", "NAME", "DESIRED", "CURRENT", "READY", "AGE"]);
    for o in objects {
        if let Object::ReplicaSet(r) = &**o {
            let status = r.status.clone().unwrap_or_default();
            t.push(vec![
                r.metadata.namespace.clone().unwrap_or_default(),
                r.metadata.name.clone().unwrap_or_default(),
                r.spec
                    .as_ref()
                    .and_then(|s| s.replicas)
                    .unwrap_or(0)
                    .to_string(),
                status.replicas.to_string(),
                status.ready_replicas.unwrap_or(0).to_string(),
                age(r.metadata.creation_timestamp.as_ref(), now),
            ]);
        }
    }
    (!t.rows.is_empty()).then(|| t.render())
}

/// When an event last happened: series, then lastTimestamp, then eventTime.
pub fn event_last_seen(e: &Event) -> Option<SimTime> {
    if let Some(t) = e
        .series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref())
    {
        return Some(SimTime(
            (t.0.as_millisecond() - crate::sim::clock::EPOCH_UNIX_SECONDS * 1000).max(0) as u64,
        ));
    }
    if let Some(t) = &e.last_timestamp {
        return Some(SimTime::from_k8s_time(t));
    }
    e.event_time.as_ref().map(|t| {
        SimTime((t.0.as_millisecond() - crate::sim::clock::EPOCH_UNIX_SECONDS * 1000).max(0) as u64)
    })
}

/// The component that recorded an Event: `source.component`, else `reportingComponent` (what
/// `kubectl describe` shows under From).
pub fn event_source(e: &Event) -> String {
    e.source
        .as_ref()
        .and_then(|s| s.component.clone())
        .filter(|c| !c.is_empty())
        .or_else(|| e.reporting_component.clone())
        .unwrap_or_default()
}

/// `kubectl get events -A --sort-by=.lastTimestamp`.
pub fn events(objects: &[Arc<Object>], now: SimTime) -> Option<String> {
    let mut events: Vec<&Event> = objects
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) => Some(&**e),
            _ => None,
        })
        .collect();
    if events.is_empty() {
        return None;
    }
    events.sort_by_key(|e| e.last_timestamp.as_ref().map(SimTime::from_k8s_time));
    let mut t = Table::new(&[
        "NAMESPACE",
        "LAST SEEN",
        "TYPE",
        "REASON",
        "OBJECT",
        "MESSAGE",
    ]);
    for e in events {
        let object = format!(
            "{}/{}",
            e.involved_object
                .kind
                .clone()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            e.involved_object.name.clone().unwrap_or_default()
        );
        t.push(vec![
            e.metadata.namespace.clone().unwrap_or_default(),
            event_last_seen(e)
                .map(|t| human_duration(now.since(t)))
                .unwrap_or_else(|| "<unknown>".into()),
            e.type_.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            object,
            e.message.clone().unwrap_or_default().trim().to_string(),
        ]);
    }
    Some(t.render())
}

/// How `kubectl get` was asked to print.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GetOptions {
    /// `-A`: a NAMESPACE column first (namespaced kinds only).
    pub all_namespaces: bool,
    /// `-o wide`: the priority-1 columns too.
    pub wide: bool,
    /// Several resource types were asked for (`kubectl get deploy,rs`): names print as
    /// `deployment.apps/web`.
    pub with_kind: bool,
}

/// `kubectl get <resource>` for the objects of one kind (already filtered and in kubectl's
/// order: namespace, then name), with kind's printer from [`printers`](super::printers);
/// `None` when there are none (kubectl then prints `No resources found …` on stderr).
pub fn table(
    kind: &str,
    objects: &[Arc<Object>],
    now: SimTime,
    opts: GetOptions,
) -> Option<String> {
    let objects: Vec<&Arc<Object>> = objects.iter().filter(|o| o.info().kind == kind).collect();
    let first = objects.first()?;
    let namespaced = first.info().namespaced && opts.all_namespaces;
    let mut headers: Vec<&str> = Vec::new();
    if namespaced {
        headers.push("NAMESPACE");
    }
    headers.extend(super::printers::columns(kind, opts.wide));
    let mut t = Table::new(&headers);
    for o in objects {
        let mut cells = super::printers::cells(o, now, opts.wide);
        if opts.with_kind && kind != "Event" {
            if let Some(name) = cells.first_mut() {
                *name = format!("{}/{name}", o.info().kubectl_resource());
            }
        }
        if namespaced {
            cells.insert(0, o.meta().namespace.clone().unwrap_or_default());
        }
        t.push(cells);
    }
    Some(t.render())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use k8s_openapi::api::core::v1::Pod;

    fn view(v: serde_json::Value, now: SimTime) -> PodView {
        let pod: Pod = serde_json::from_value(v).unwrap();
        PodView::from_pod(&pod, now)
    }

    fn views() -> Vec<PodView> {
        let now = SimTime(3_723_000);
        vec![
            view(
                serde_json::json!({
                    "metadata": {"name": "nginx", "namespace": "default", "creationTimestamp": "2025-04-23T00:00:00Z"},
                    "spec": {"nodeName": "node-1", "containers": [{"name": "nginx", "image": "nginx"}]},
                    "status": {"phase": "Running", "podIP": "10.244.1.2", "podIPs": [{"ip": "10.244.1.2"}],
                        "containerStatuses": [{"name": "nginx", "image": "nginx", "imageID": "", "ready": true, "restartCount": 0, "state": {"running": {}}}]}
                }),
                now,
            ),
            view(
                serde_json::json!({
                    "metadata": {"name": "qos-demo-pending-with-a-long-name", "namespace": "qos-example", "creationTimestamp": "2025-04-23T01:01:58Z"},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                    "status": {"phase": "Pending"}
                }),
                now,
            ),
        ]
    }

    #[test]
    fn one_namespace_has_no_namespace_column() {
        assert_eq!(
            pods(&views()[..1], false, false).unwrap(),
            "NAME    READY   STATUS    RESTARTS   AGE\n\
             nginx   1/1     Running   0          62m\n"
        );
    }

    #[test]
    fn all_namespaces_wide_adds_the_namespace_and_none_cells() {
        assert_eq!(
            pods(&views(), true, true).unwrap(),
            "NAMESPACE     NAME                                READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES\n\
             default       nginx                               1/1     Running   0          62m   10.244.1.2   node-1   <none>           <none>\n\
             qos-example   qos-demo-pending-with-a-long-name   0/1     Pending   0          5s    <none>       <none>   <none>           <none>\n"
        );
    }

    #[test]
    fn no_pods_is_no_table() {
        assert_eq!(pods(&[], true, false), None);
    }

    #[test]
    fn a_missing_creation_time_is_an_unknown_age() {
        let v = view(
            serde_json::json!({"metadata": {"name": "p"}, "spec": {"containers": []}}),
            SimTime::ZERO,
        );
        assert_eq!(v.age, "<unknown>");
        assert_eq!(v.ready, "0/0");
    }
}
