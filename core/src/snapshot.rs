//! Ready-to-render views of the cluster, computed in the core so the web crate holds no Kubernetes
//! logic: what `kubectl get` would show, as plain serializable data.

use k8s_openapi::api::core::v1::Node;
use serde::{Deserialize, Serialize};

use crate::sim::SimTime;

/// Everything a frontend needs to draw one moment of the cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The virtual time of this view.
    pub time: SimTime,
    /// The seed of the run.
    pub seed: u64,
    /// Nodes in name order.
    pub nodes: Vec<NodeView>,
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
        }
    }
}
