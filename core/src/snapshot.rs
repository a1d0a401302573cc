//! Ready-to-render views of the cluster, computed in the core so the web crate holds no Kubernetes
//! logic: what `kubectl get` would show, as plain serializable data.

use k8s_openapi::api::core::v1::{Node, Pod};
use serde::{Deserialize, Serialize};

use crate::kubectl::age::human_duration;
use crate::kubectl::pods::pod_columns;
use crate::sim::SimTime;

/// Everything a frontend needs to draw one moment of the cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The virtual time of this view.
    pub time: SimTime,
    /// The seed of the run.
    pub seed: u64,
    /// The store's revision at this moment.
    pub revision: i64,
    /// Nodes in name order.
    pub nodes: Vec<NodeView>,
    /// Pods in namespace/name order.
    pub pods: Vec<PodView>,
}

/// One pod as `kubectl get pods -o wide` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodView {
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// READY, e.g. `1/1`.
    pub ready: String,
    /// kubectl's STATUS.
    pub status: String,
    /// RESTARTS, e.g. `0` or `5 (27s ago)`.
    pub restarts: String,
    /// AGE.
    pub age: String,
    /// IP (`<none>` when unset).
    pub ip: String,
    /// NODE (`<none>` when unscheduled).
    pub node: String,
    /// NOMINATED NODE (`<none>` when unset).
    pub nominated_node: String,
    /// READINESS GATES (`<none>` or `ready/total`).
    pub readiness_gates: String,
}

impl PodView {
    /// The view of a Pod object at `now`.
    pub fn from_pod(pod: &Pod, now: SimTime) -> PodView {
        let cols = pod_columns(pod, now);
        let status = pod.status.as_ref();
        let none = || "<none>".to_string();
        let age = pod
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| human_duration(now.since(SimTime::from_k8s_time(t))))
            .unwrap_or_else(|| "<unknown>".into());
        let gates = pod
            .spec
            .as_ref()
            .and_then(|s| s.readiness_gates.as_ref())
            .filter(|g| !g.is_empty());
        let readiness_gates = match gates {
            None => none(),
            Some(g) => {
                let conditions = status
                    .and_then(|s| s.conditions.as_deref())
                    .unwrap_or_default();
                let ready = g
                    .iter()
                    .filter(|gate| {
                        conditions
                            .iter()
                            .any(|c| c.type_ == gate.condition_type && c.status == "True")
                    })
                    .count();
                format!("{ready}/{}", g.len())
            }
        };
        PodView {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            name: pod.metadata.name.clone().unwrap_or_default(),
            ready: cols.ready,
            status: cols.status,
            restarts: cols.restarts,
            age,
            // printPod shows the first of status.podIPs, not status.podIP.
            ip: status
                .and_then(|s| s.pod_ips.as_ref())
                .and_then(|ips| ips.first())
                .map(|ip| ip.ip.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(none),
            node: pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(none),
            nominated_node: status
                .and_then(|s| s.nominated_node_name.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(none),
            readiness_gates,
        }
    }
}

/// One node as a card shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView {
    /// `metadata.name`.
    pub name: String,
    /// kubectl's STATUS column: `Ready`, `NotReady`, `Unknown`, plus `,SchedulingDisabled`.
    pub status: String,
    /// kubectl's VERSION column (the kubelet version).
    pub version: String,
    /// Allocatable CPU as written on the node.
    pub cpu: String,
    /// Allocatable memory as written on the node.
    pub memory: String,
    /// Allocatable pod count.
    pub pods: String,
    /// Its conditions as `Type=Status` (`Ready=True`, `MemoryPressure=False`, …).
    pub conditions: Vec<String>,
    /// Its taints as kubectl prints them: `key=value:Effect`.
    pub taints: Vec<String>,
    /// Its labels as `key=value`.
    pub labels: Vec<String>,
    /// CPU requested by the pods bound to it, millicores (what the scheduler counts).
    pub cpu_requested_milli: i64,
    /// Allocatable CPU, millicores.
    pub cpu_allocatable_milli: i64,
    /// Memory requested by its pods, bytes.
    pub memory_requested: i64,
    /// Allocatable memory, bytes.
    pub memory_allocatable: i64,
    /// Pods bound to it that have not finished.
    pub pod_count: i64,
    /// Allocatable pod count.
    pub pod_allocatable: i64,
}

impl NodeView {
    /// The view of a Node object.
    pub fn from_node(node: &Node) -> NodeView {
        let status = node.status.as_ref();
        let alloc = |key: &str| {
            status
                .and_then(|s| s.allocatable.as_ref())
                .and_then(|a| a.get(key))
                .map(|q| q.0.clone())
                .unwrap_or_default()
        };
        let ready = status
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
            .map(|c| c.status.as_str());
        let mut kubectl_status = match ready {
            Some("True") => "Ready".to_string(),
            Some(_) => "NotReady".to_string(),
            None => "Unknown".to_string(),
        };
        if node
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false)
        {
            kubectl_status.push_str(",SchedulingDisabled");
        }
        NodeView {
            name: node.metadata.name.clone().unwrap_or_default(),
            status: kubectl_status,
            version: status
                .and_then(|s| s.node_info.as_ref())
                .map(|i| i.kubelet_version.clone())
                .unwrap_or_default(),
            cpu: alloc("cpu"),
            memory: alloc("memory"),
            pods: alloc("pods"),
            conditions: status
                .and_then(|s| s.conditions.as_ref())
                .iter()
                .flat_map(|cs| cs.iter())
                .map(|c| format!("{}={}", c.type_, c.status))
                .collect(),
            taints: node
                .spec
                .as_ref()
                .and_then(|s| s.taints.as_ref())
                .iter()
                .flat_map(|ts| ts.iter())
                .map(|t| match &t.value {
                    Some(v) if !v.is_empty() => format!("{}={v}:{}", t.key, t.effect),
                    _ => format!("{}:{}", t.key, t.effect),
                })
                .collect(),
            labels: node
                .metadata
                .labels
                .iter()
                .flatten()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            cpu_requested_milli: 0,
            cpu_allocatable_milli: quantity(&alloc("cpu"), true),
            memory_requested: 0,
            memory_allocatable: quantity(&alloc("memory"), false),
            pod_count: 0,
            pod_allocatable: quantity(&alloc("pods"), false),
        }
    }

    /// Counts a pod bound to this node into its allocation (finished pods free theirs).
    pub fn charge(&mut self, pod: &Pod) {
        if let Some((cpu_milli, memory)) = node_charge(pod) {
            self.cpu_requested_milli += cpu_milli;
            self.memory_requested += memory;
            self.pod_count += 1;
        }
    }
}

/// What a pod bound to a node takes of its allocation: its cpu (milli) and memory requests;
/// nothing once it has finished (Succeeded or Failed).
pub fn node_charge(pod: &Pod) -> Option<(i64, i64)> {
    let finished = matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    );
    (!finished).then(|| {
        let r = crate::scheduler::framework::pod_requests(pod, false);
        (r.milli_cpu, r.memory)
    })
}

/// A quantity's value (milli-units for CPU), 0 when unparsable.
fn quantity(s: &str, milli: bool) -> i64 {
    crate::quantity::Quantity::parse(s)
        .map(|q| if milli { q.milli_value() } else { q.value() })
        .unwrap_or(0)
}
