//! Everything one scheduling cycle reads (upstream `backend/cache.Snapshot`): the nodes in a
//! stable order, each with its pods; the lists of nodes holding pods with affinity terms; how
//! many nodes hold each image; and the claims, storage classes and nominated pods the volume and
//! preemption logic consult. The scheduler keeps one and brings it up to date from its
//! [`Cache`](super::cache::Cache) before every cycle, copying only the nodes that changed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, PersistentVolumeClaim, Pod};

use crate::scheduler::node_info::{NodeInfo, PodInfo};

/// A StorageClass's volume binding mode, as the scheduler needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumeBindingMode {
    /// Bind as soon as the claim is created (the default).
    Immediate,
    /// Delay binding until a pod using the claim is scheduled.
    WaitForFirstConsumer,
}

/// The cluster as one scheduling cycle sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterSnapshot {
    /// The nodes, in the order the caller gave them (the scheduler's: by name).
    pub nodes: Vec<Arc<NodeInfo>>,
    /// PersistentVolumeClaims by `namespace/name`.
    pub pvcs: BTreeMap<String, PersistentVolumeClaim>,
    /// Binding mode of each StorageClass by name (absent classes count as `Immediate`).
    pub storage_classes: BTreeMap<String, VolumeBindingMode>,
    /// Pods waiting for a node preemption freed for them, by `status.nominatedNodeName`.
    pub nominated: BTreeMap<String, Vec<Pod>>,
    /// How many nodes hold each image (by normalized name).
    pub image_nodes: BTreeMap<String, usize>,
    /// Position of each node by name.
    index: BTreeMap<String, usize>,
    /// Positions of the nodes holding pods whose affinity terms score other nodes.
    with_affinity: BTreeSet<usize>,
    /// Positions of the nodes holding pods with required anti-affinity terms.
    with_required_anti_affinity: BTreeSet<usize>,
    /// The cache generation the snapshot reflects.
    pub(crate) generation: u64,
}

/// Counts, for every image on the given nodes, how many of them hold it.
fn count_images<'a>(nodes: impl IntoIterator<Item = &'a NodeInfo>) -> BTreeMap<String, usize> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for n in nodes {
        for name in n.image_states.keys() {
            *counts.entry(name.clone()).or_insert(0) += 1;
        }
    }
    counts
}

impl ClusterSnapshot {
    /// Builds a snapshot from scratch: every pod with `spec.nodeName` set is placed on its node
    /// (pods naming an unknown node are ignored), and image spread counts are computed.
    pub fn new(nodes: Vec<Node>, pods: &[Pod]) -> ClusterSnapshot {
        let mut infos: Vec<NodeInfo> = nodes.into_iter().map(NodeInfo::new).collect();
        let index: BTreeMap<String, usize> = infos
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name().to_string(), i))
            .collect();
        for pod in pods {
            let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
                continue;
            };
            if let Some(&i) = index.get(node) {
                infos[i].add_pod(pod.clone());
            }
        }
        let mut snapshot = ClusterSnapshot {
            image_nodes: count_images(&infos),
            nodes: infos.into_iter().map(Arc::new).collect(),
            ..Default::default()
        };
        snapshot.reindex();
        snapshot
    }

    /// Rebuilds the name index and the affinity lists from `nodes`.
    pub(crate) fn reindex(&mut self) {
        self.index.clear();
        self.with_affinity.clear();
        self.with_required_anti_affinity.clear();
        for i in 0..self.nodes.len() {
            self.index.insert(self.nodes[i].name().to_string(), i);
            self.track(i);
        }
    }

    /// Records whether the node at `i` belongs to the affinity lists.
    pub(crate) fn track(&mut self, i: usize) {
        let n = &self.nodes[i];
        if n.pods_with_affinity > 0 {
            self.with_affinity.insert(i);
        } else {
            self.with_affinity.remove(&i);
        }
        if n.pods_with_required_anti_affinity > 0 {
            self.with_required_anti_affinity.insert(i);
        } else {
            self.with_required_anti_affinity.remove(&i);
        }
    }

    /// Adds claims to the snapshot.
    pub fn with_pvcs(mut self, pvcs: impl IntoIterator<Item = PersistentVolumeClaim>) -> Self {
        for pvc in pvcs {
            let key = format!(
                "{}/{}",
                pvc.metadata.namespace.as_deref().unwrap_or("default"),
                pvc.metadata.name.as_deref().unwrap_or("")
            );
            self.pvcs.insert(key, pvc);
        }
        self
    }

    /// The index of the node called `name`.
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Every pod in the snapshot with the index of its node.
    pub fn all_pods(&self) -> impl Iterator<Item = (usize, &PodInfo)> {
        self.nodes
            .iter()
            .enumerate()
            .flat_map(|(i, n)| n.pods.iter().map(move |p| (i, &**p)))
    }

    /// The nodes holding pods whose affinity terms score other pods' nodes, in node order
    /// (upstream `HavePodsWithAffinityList`).
    pub fn nodes_with_affinity(&self) -> impl Iterator<Item = &NodeInfo> {
        self.with_affinity.iter().map(|&i| &*self.nodes[i])
    }

    /// The nodes holding pods with required anti-affinity terms, in node order (upstream
    /// `HavePodsWithRequiredAntiAffinityList`).
    pub fn nodes_with_required_anti_affinity(&self) -> impl Iterator<Item = &NodeInfo> {
        self.with_required_anti_affinity
            .iter()
            .map(|&i| &*self.nodes[i])
    }
}
