//! A node as the scheduler sees it (upstream `framework.NodeInfo`) and the pods on it
//! (`framework.PodInfo`), each computed once when the pod arrives: its requests, host ports and
//! affinity terms. Nodes and pods are shared (`Arc`), so a snapshot copies a node cheaply.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};

use crate::object::{Object, PodRef};

use crate::scheduler::affinity_terms::PodAffinityTerms;
use crate::scheduler::resource::{pod_host_ports, pod_requests, HostPort, Resource};

/// A pod already on a node, with what the scheduler needs of it computed once.
#[derive(Debug, Clone, PartialEq)]
pub struct PodInfo {
    /// The pod object.
    pub pod: PodRef,
    /// `namespace/name`.
    pub key: String,
    /// Its actual requests.
    pub requests: Resource,
    /// Its requests with the 100m/200Mi non-zero defaults.
    pub non_zero_requests: Resource,
    /// The host ports it uses.
    pub host_ports: Vec<HostPort>,
    /// Its inter-pod affinity terms.
    pub terms: PodAffinityTerms,
}

impl PodInfo {
    /// Wraps a pod, computing its requests, ports and affinity terms.
    pub fn new(pod: Pod) -> PodInfo {
        PodInfo::of(PodRef::new(pod))
    }

    /// Wraps a stored pod without copying it (`None` for another kind of object).
    pub fn from_object(object: &Arc<Object>) -> Option<PodInfo> {
        PodRef::from_object(object).map(PodInfo::of)
    }

    fn of(pod: PodRef) -> PodInfo {
        PodInfo {
            key: crate::scheduler::framework::pod_key(&pod),
            requests: pod_requests(&pod, false),
            non_zero_requests: pod_requests(&pod, true),
            host_ports: pod_host_ports(&pod),
            terms: PodAffinityTerms::of(&pod),
            pod,
        }
    }
}

/// The size of one container image present on a node (how many nodes hold it is the snapshot's
/// [`image_nodes`](crate::scheduler::ClusterSnapshot::image_nodes)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageState {
    /// The image's size in bytes.
    pub size: i64,
}

/// A node as the scheduler sees it: the node, its pods (in `namespace/name` order), what they
/// request (actual and non-zero, kept up to date as pods are added and removed), the host ports
/// in use, the images present, and how many of its pods have inter-pod affinity terms.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeInfo {
    /// The node object.
    pub node: Arc<Node>,
    /// The node's name, shared with the scheduler's records and tables that name the node.
    name: Arc<str>,
    /// Pods bound to the node, ordered by `namespace/name`.
    pub pods: Vec<Arc<PodInfo>>,
    /// Sum of the pods' actual requests.
    pub requested: Resource,
    /// Sum of the pods' requests with non-zero defaults (scoring).
    pub non_zero_requested: Resource,
    /// The node's allocatable resources.
    pub allocatable: Resource,
    /// Host ports in use, with how many pods use each.
    pub used_ports: BTreeMap<HostPort, usize>,
    /// Images on the node by every name they are known as.
    pub image_states: BTreeMap<String, ImageState>,
    /// Pods whose affinity terms score other pods' nodes.
    pub pods_with_affinity: usize,
    /// Pods with required anti-affinity terms.
    pub pods_with_required_anti_affinity: usize,
    /// Whether the node is cordoned (`spec.unschedulable`), kept here so that the filters read
    /// it without reaching into the node object for every node of every cycle.
    pub unschedulable: bool,
    /// Whether the node has any taints (likewise).
    pub tainted: bool,
    /// The node's index in the scheduler's snapshot (its rank by name), kept by the cache and
    /// the snapshot so plugins can read per-node tables without looking the name up; 0 for a
    /// node in no snapshot. [`ClusterSnapshot::index_of`](super::snapshot::ClusterSnapshot::index_of)
    /// checks it.
    pub snapshot_index: usize,
}

/// Whether `node` is cordoned, and whether it has taints.
fn spec_flags(node: &Node) -> (bool, bool) {
    let spec = node.spec.as_ref();
    (
        spec.and_then(|s| s.unschedulable).unwrap_or(false),
        spec.and_then(|s| s.taints.as_ref())
            .is_some_and(|t| !t.is_empty()),
    )
}

fn image_states(node: &Node) -> BTreeMap<String, ImageState> {
    let mut states = BTreeMap::new();
    for image in node
        .status
        .as_ref()
        .and_then(|s| s.images.as_ref())
        .into_iter()
        .flatten()
    {
        for name in image.names.iter().flatten() {
            states.insert(
                normalized_image_name(name),
                ImageState {
                    size: image.size_bytes.unwrap_or(0),
                },
            );
        }
    }
    states
}

fn allocatable(node: &Node) -> Resource {
    node.status
        .as_ref()
        .and_then(|s| s.allocatable.as_ref())
        .map(Resource::from_list)
        .unwrap_or_default()
}

impl NodeInfo {
    /// A node with no pods yet.
    pub fn new(node: Node) -> NodeInfo {
        NodeInfo::with_node(Arc::new(node))
    }

    /// A node with no pods yet, sharing the node object.
    pub fn with_node(node: Arc<Node>) -> NodeInfo {
        let (unschedulable, tainted) = spec_flags(&node);
        NodeInfo {
            name: Arc::from(node.metadata.name.as_deref().unwrap_or("")),
            unschedulable,
            tainted,
            allocatable: allocatable(&node),
            image_states: image_states(&node),
            node,
            pods: Vec::new(),
            requested: Resource::default(),
            non_zero_requested: Resource::default(),
            used_ports: BTreeMap::new(),
            pods_with_affinity: 0,
            pods_with_required_anti_affinity: 0,
            snapshot_index: 0,
        }
    }

    /// The node alone: its object, name and snapshot position, without its pods, images or
    /// sums. What the plugins' kept counts read of a node state they computed from
    /// ([`NodeShares`](super::plugin_memo::NodeShares)), without keeping its pods' objects.
    pub fn skeleton(&self) -> NodeInfo {
        NodeInfo {
            node: Arc::clone(&self.node),
            name: Arc::clone(&self.name),
            pods: Vec::new(),
            requested: Resource::default(),
            non_zero_requested: Resource::default(),
            allocatable: Resource::default(),
            used_ports: BTreeMap::new(),
            image_states: BTreeMap::new(),
            pods_with_affinity: 0,
            pods_with_required_anti_affinity: 0,
            unschedulable: self.unschedulable,
            tainted: self.tainted,
            snapshot_index: self.snapshot_index,
        }
    }

    /// Replaces the node object (a Node update), keeping the pods; returns the previous image
    /// states when the node's images changed.
    pub fn set_node(&mut self, node: Arc<Node>) -> Option<BTreeMap<String, ImageState>> {
        fn status(n: &Node) -> Option<&k8s_openapi::api::core::v1::NodeStatus> {
            n.status.as_ref()
        }
        if status(&node).and_then(|s| s.allocatable.as_ref())
            != status(&self.node).and_then(|s| s.allocatable.as_ref())
        {
            self.allocatable = allocatable(&node);
        }
        let images_changed = status(&node).and_then(|s| s.images.as_ref())
            != status(&self.node).and_then(|s| s.images.as_ref());
        (self.unschedulable, self.tainted) = spec_flags(&node);
        if node.metadata.name.as_deref().unwrap_or("") != &*self.name {
            self.name = Arc::from(node.metadata.name.as_deref().unwrap_or(""));
        }
        self.node = node;
        images_changed.then(|| std::mem::replace(&mut self.image_states, image_states(&self.node)))
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The node's name, shared.
    pub fn shared_name(&self) -> &Arc<str> {
        &self.name
    }

    /// The node's labels.
    pub fn labels(&self) -> Option<&BTreeMap<String, String>> {
        self.node.metadata.labels.as_ref()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.pods.binary_search_by(|p| p.key.as_str().cmp(key))
    }

    /// The pod `namespace/name`, if it is on this node.
    pub fn pod(&self, key: &str) -> Option<&Arc<PodInfo>> {
        self.position(key).ok().map(|at| &self.pods[at])
    }

    /// Adds a pod, updating requests and ports.
    pub fn add_pod(&mut self, pod: Pod) {
        self.add_pod_info(Arc::new(PodInfo::new(pod)));
    }

    /// Adds a pod already wrapped, keeping the pods in key order (a pod of the same key is
    /// added after it).
    pub fn add_pod_info(&mut self, info: Arc<PodInfo>) {
        self.count(&info);
        let at = self.pods.partition_point(|p| {
            matches!(
                p.key.as_str().cmp(&info.key),
                Ordering::Less | Ordering::Equal
            )
        });
        self.pods.insert(at, info);
    }

    /// Removes the pod `namespace/name`, updating requests and ports; returns it if it was here.
    pub fn remove_pod(&mut self, key: &str) -> Option<Arc<PodInfo>> {
        let at = self.position(key).ok()?;
        let info = self.pods.remove(at);
        self.uncount(&info);
        Some(info)
    }

    /// Puts `info` in the place of the pod with its key (or adds it): what removing the old one
    /// and adding the new one does, without moving the other pods twice.
    pub fn replace_pod_info(&mut self, info: Arc<PodInfo>) {
        match self.position(&info.key) {
            Ok(at) => {
                self.count(&info);
                let old = std::mem::replace(&mut self.pods[at], info);
                self.uncount(&old);
            }
            Err(_) => self.add_pod_info(info),
        }
    }

    /// Adds a pod's requests, host ports and affinity terms to the node's totals.
    fn count(&mut self, info: &PodInfo) {
        self.requested.add(&info.requests);
        self.non_zero_requested.add(&info.non_zero_requests);
        for p in &info.host_ports {
            *self.used_ports.entry(p.clone()).or_insert(0) += 1;
        }
        if info.terms.scores_others() {
            self.pods_with_affinity += 1;
        }
        if info.terms.has_required_anti_affinity() {
            self.pods_with_required_anti_affinity += 1;
        }
    }

    /// Takes a pod's requests, host ports and affinity terms off the node's totals.
    fn uncount(&mut self, info: &PodInfo) {
        self.requested.sub(&info.requests);
        self.non_zero_requested.sub(&info.non_zero_requests);
        for p in &info.host_ports {
            if let Some(n) = self.used_ports.get_mut(p) {
                *n -= 1;
                if *n == 0 {
                    self.used_ports.remove(p);
                }
            }
        }
        if info.terms.scores_others() {
            self.pods_with_affinity -= 1;
        }
        if info.terms.has_required_anti_affinity() {
            self.pods_with_required_anti_affinity -= 1;
        }
    }
}

/// An image name as the scheduler compares them: `:latest` added when no tag or digest is given.
pub fn normalized_image_name(name: &str) -> String {
    let colon = name.rfind(':').map(|i| i as isize).unwrap_or(-1);
    let slash = name.rfind('/').map(|i| i as isize).unwrap_or(-1);
    if colon <= slash {
        [name, ":latest"].concat()
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use crate::scheduler::testutil::{node, on, pod, with_host_port};

    fn info(p: Pod) -> Arc<PodInfo> {
        Arc::new(PodInfo::from_object(&Arc::new(p.into())).unwrap())
    }

    #[test]
    fn a_pod_replaced_in_place_leaves_the_node_as_removing_and_adding_it_would() {
        let n = Arc::new(node("node-1", "4", "8Gi"));
        let a = on(with_host_port(pod("a", "100m", "128Mi"), 80), "node-1");
        let b = on(with_host_port(pod("b", "200m", "256Mi"), 80), "node-1");
        let c = on(pod("c", "50m", "64Mi"), "node-1");
        // a again, asking for more and on another port.
        let a2 = on(with_host_port(pod("a", "300m", "512Mi"), 81), "node-1");

        let mut replaced = NodeInfo::with_node(Arc::clone(&n));
        for p in [&a, &b, &c] {
            replaced.add_pod_info(info(p.clone()));
        }
        replaced.replace_pod_info(info(a2.clone()));
        // A pod not on the node yet is added.
        let d = on(pod("d", "10m", "16Mi"), "node-1");
        replaced.replace_pod_info(info(d.clone()));

        let mut fresh = NodeInfo::with_node(n);
        for p in [&a2, &b, &c, &d] {
            fresh.add_pod_info(info(p.clone()));
        }
        assert_eq!(replaced, fresh);
        let keys: Vec<&str> = replaced.pods.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["default/a", "default/b", "default/c", "default/d"]);
        assert_eq!(replaced.used_ports.len(), 2, "port 80 (b) and 81 (a)");
    }
}
