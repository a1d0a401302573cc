//! Everything one scheduling cycle reads (upstream `backend/cache.Snapshot`): the nodes in a
//! stable order, each with its pods; the lists of nodes holding pods with affinity terms; how
//! many nodes hold each image; and the claims, storage classes and nominated pods the volume and
//! preemption logic consult. The scheduler keeps one and brings it up to date from its
//! [`Cache`](super::cache::Cache) before every cycle, copying only the nodes that changed.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::scheduler::node_info::{NodeInfo, PodInfo};
use crate::scheduler::plugin_memo::PluginMemos;
use crate::scheduler::selectors::label_selector_matches;

/// Each memo (selector counts, topology domains) keeps at most this many entries; past it, it
/// starts over.
const MAX_MEMOIZED: usize = 256;

/// Whether `pod` counts for `selector` in namespace `ns`: not being deleted, in `ns`, labels
/// matching (topology spreading's `countPodsMatchSelector`).
pub fn pod_matches(pod: &Pod, selector: &LabelSelector, ns: &str) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod.metadata.namespace.as_deref().unwrap_or("default") == ns
        && label_selector_matches(selector, pod.metadata.labels.as_ref())
}

/// Whether two versions of a pod count alike for every selector: they agree on all that
/// [`pod_matches`] reads (a status write, most often, changes none of it).
fn match_alike(a: &Pod, b: &Pod) -> bool {
    let (a, b) = (&a.metadata, &b.metadata);
    a.labels == b.labels
        && a.namespace == b.namespace
        && a.deletion_timestamp == b.deletion_timestamp
}

/// How many of `pods` count for `selector` in namespace `ns`.
pub fn count_matching(pods: &[Arc<PodInfo>], selector: &LabelSelector, ns: &str) -> i64 {
    pods.iter()
        .filter(|p| pod_matches(&p.pod, selector, ns))
        .count() as i64
}

/// For one label selector in one namespace, how many matching pods each node holds, by node
/// position in the snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectorCounts {
    /// The namespace the pods must be in.
    pub namespace: String,
    /// The selector.
    pub selector: LabelSelector,
    /// Matching pods per node, by the node's position.
    pub per_node: Vec<i64>,
}

/// The domains of one topology key: its values numbered in node order, and the number of each
/// node's value by the node's index (so a cycle reads a node's domain without a label lookup).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TopologyDomains {
    /// The domain of the node at each index; `None` when the node lacks the label.
    pub of_node: Vec<Option<u32>>,
    /// Domain numbers by value.
    pub by_value: BTreeMap<String, u32>,
    /// The name of the node at each index, to tell a node of the snapshot the table was made
    /// from (read by its index) from one it does not hold (read by its labels): the snapshot's
    /// own table ([`ClusterSnapshot::name_at`]).
    pub names: Arc<[Arc<str>]>,
}

impl TopologyDomains {
    /// The domain number of the node at index `at`; `None` when it lacks the label (or the
    /// table has no node at `at`).
    pub fn of(&self, at: usize) -> Option<usize> {
        self.of_node.get(at).copied().flatten().map(|d| d as usize)
    }

    /// Where `node` is for this key: `None` when it lacks the label, else its domain number, or
    /// `Err(value)` for a value no node of the table's snapshot has. A node of that snapshot is
    /// read from the table by its index, any other by its labels.
    #[inline(always)]
    pub fn place<'n>(&self, key: &str, node: &'n NodeInfo) -> Option<Result<usize, &'n str>> {
        let at = node.snapshot_index;
        if self
            .names
            .get(at)
            .is_some_and(|n| Arc::ptr_eq(n, node.shared_name()) || **n == *node.name())
        {
            return self.of(at).map(Ok);
        }
        let value = node.labels()?.get(key)?;
        Some(self.by_value.get(value).map(|d| *d as usize).ok_or(value))
    }
}

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
    index: Arc<BTreeMap<String, usize>>,
    /// The name of the node at each position, in one table: what a cycle records of the nodes
    /// it walks, read without reading their states (at 5,000 nodes each state read is a cache
    /// miss). Shared with the topology domain tables.
    names: Arc<[Arc<str>]>,
    /// Per-node matching-pod counts of the selectors topology spreading asked about, kept
    /// current as nodes change instead of recounted every cycle.
    selector_counts: RefCell<BTreeMap<String, Arc<SelectorCounts>>>,
    /// The domains of the topology keys topology spreading asked about, kept until a node is
    /// added, removed or relabelled.
    topology_domains: RefCell<BTreeMap<String, Arc<TopologyDomains>>>,
    /// Positions of the nodes holding pods whose affinity terms score other nodes.
    with_affinity: BTreeSet<usize>,
    /// Positions of the nodes holding pods with required anti-affinity terms.
    with_required_anti_affinity: BTreeSet<usize>,
    /// The node objects of the node states [`ClusterSnapshot::release_nodes`] let go of, by
    /// position, until [`ClusterSnapshot::refill`] takes states back for the same nodes.
    released: Option<Vec<Arc<Node>>>,
    /// The cache generation the snapshot reflects.
    pub(crate) generation: u64,
    /// What plugins keep from one cycle to the next about these nodes.
    pub(crate) plugin_memos: PluginMemos,
}

/// Whether a node's new state carries other labels than its object `old` (the topology
/// domains are made again then).
fn relabelled(old: &Arc<Node>, new: &NodeInfo) -> bool {
    !Arc::ptr_eq(old, &new.node) && old.metadata.labels.as_ref() != new.labels()
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

/// The name of each node, by position: the snapshot's table of names.
fn names_of(nodes: &[Arc<NodeInfo>]) -> Arc<[Arc<str>]> {
    nodes.iter().map(|n| Arc::clone(n.shared_name())).collect()
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

    /// Lets go of the node states, for a scheduler with nothing to schedule; the next
    /// [`Cache::update_snapshot`](super::cache::Cache::update_snapshot) takes them from the
    /// cache again ([`ClusterSnapshot::refill`]), or starts over if nodes came or went. The
    /// index, the selector counts, the topology domains and the affinity lists stay, with each
    /// node's object (not its pods), and are brought up to date for the nodes changed in the
    /// meantime: starting over recounted every selector over every pod of the cluster at the
    /// first cycle after each pause. What the plugins keep across cycles holds no node state
    /// ([`NodeShares`](super::plugin_memo::NodeShares)) and stays too: a node unchanged in the
    /// meantime comes back as the same state.
    pub(crate) fn release_nodes(&mut self) {
        let nodes = std::mem::take(&mut self.nodes);
        if self.released.is_none() && !nodes.is_empty() {
            self.released = Some(nodes.iter().map(|n| Arc::clone(&n.node)).collect());
        }
    }

    /// How many nodes the snapshot let go of, if it did (see [`ClusterSnapshot::refill`]).
    pub(crate) fn released_len(&self) -> Option<usize> {
        self.released.as_ref().map(Vec::len)
    }

    /// Takes back node states for the same nodes, in the same order, as before
    /// [`ClusterSnapshot::release_nodes`]; `changed` are the positions of the nodes that
    /// changed since. Their selector counts are recounted (their old pods are gone with the
    /// old states), the topology domains forgotten if one was relabelled, and the affinity lists
    /// brought up to date.
    pub(crate) fn refill(&mut self, nodes: Vec<Arc<NodeInfo>>, changed: &[usize]) {
        let released = self.released.take().unwrap_or_default();
        debug_assert_eq!(released.len(), nodes.len());
        self.nodes = nodes;
        for &i in changed {
            let Some(info) = self.nodes.get_mut(i) else {
                continue;
            };
            if info.snapshot_index != i {
                Arc::make_mut(info).snapshot_index = i;
            }
            if released.get(i).is_none_or(|old| relabelled(old, info)) {
                self.topology_domains.borrow_mut().clear();
            }
            for counts in self.selector_counts.borrow_mut().values_mut() {
                let now = count_matching(&self.nodes[i].pods, &counts.selector, &counts.namespace);
                if counts.per_node[i] != now {
                    Arc::make_mut(counts).per_node[i] = now;
                }
            }
            self.track(i);
        }
    }

    /// Rebuilds the name index and the affinity lists from `nodes` (and forgets the selector
    /// counts, whose positions moved).
    pub(crate) fn reindex(&mut self) {
        self.released = None;
        self.with_affinity.clear();
        self.with_required_anti_affinity.clear();
        self.selector_counts.borrow_mut().clear();
        self.topology_domains.borrow_mut().clear();
        for (i, n) in self.nodes.iter_mut().enumerate() {
            if n.snapshot_index != i {
                Arc::make_mut(n).snapshot_index = i;
            }
        }
        self.index = Arc::new(
            self.nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.name().to_string(), i))
                .collect(),
        );
        self.names = names_of(&self.nodes);
        for i in 0..self.nodes.len() {
            self.track(i);
        }
    }

    /// Replaces the node at `i` with its new state, bringing the selector counts up to date
    /// from the pods that changed.
    pub(crate) fn replace_node(&mut self, i: usize, mut info: Arc<NodeInfo>) {
        if info.snapshot_index != i {
            Arc::make_mut(&mut info).snapshot_index = i;
        }
        if relabelled(&self.nodes[i].node, &info) {
            self.topology_domains.borrow_mut().clear();
        }
        {
            let mut memo = self.selector_counts.borrow_mut();
            if !memo.is_empty() {
                let (added, removed) = changed_pods(&self.nodes[i], &info);
                for counts in memo.values_mut() {
                    let delta: i64 = added
                        .iter()
                        .filter(|p| pod_matches(&p.pod, &counts.selector, &counts.namespace))
                        .count() as i64
                        - removed
                            .iter()
                            .filter(|p| pod_matches(&p.pod, &counts.selector, &counts.namespace))
                            .count() as i64;
                    if delta != 0 {
                        Arc::make_mut(counts).per_node[i] += delta;
                    }
                }
            }
        }
        self.nodes[i] = info;
        self.track(i);
    }

    /// Per node, how many pods match `selector` in namespace `ns` (memoized across cycles).
    pub fn selector_counts(&self, ns: &str, selector: &LabelSelector) -> Arc<SelectorCounts> {
        let key = selector_key(ns, selector);
        if let Some(c) = self.selector_counts.borrow().get(&key) {
            return Arc::clone(c);
        }
        let counts = Arc::new(SelectorCounts {
            namespace: ns.to_string(),
            selector: selector.clone(),
            per_node: self
                .nodes
                .iter()
                .map(|n| count_matching(&n.pods, selector, ns))
                .collect(),
        });
        let mut memo = self.selector_counts.borrow_mut();
        if memo.len() >= MAX_MEMOIZED {
            memo.clear();
        }
        memo.insert(key, Arc::clone(&counts));
        counts
    }

    /// The domains of topology key `key` (memoized until the nodes or their labels change).
    pub fn topology_domains(&self, key: &str) -> Arc<TopologyDomains> {
        if let Some(d) = self.topology_domains.borrow().get(key) {
            return Arc::clone(d);
        }
        let mut domains = TopologyDomains {
            names: if self.names.len() == self.nodes.len() {
                Arc::clone(&self.names)
            } else {
                names_of(&self.nodes)
            },
            ..TopologyDomains::default()
        };
        domains.of_node.reserve(self.nodes.len());
        for n in &self.nodes {
            let value = n.labels().and_then(|l| l.get(key));
            let domain = value.map(|v| {
                let next = domains.by_value.len() as u32;
                *domains.by_value.entry(v.clone()).or_insert(next)
            });
            domains.of_node.push(domain);
        }
        let domains = Arc::new(domains);
        let mut memo = self.topology_domains.borrow_mut();
        if memo.len() >= MAX_MEMOIZED {
            memo.clear();
        }
        memo.insert(key.to_string(), Arc::clone(&domains));
        domains
    }

    /// The index of `node` in this snapshot: its `snapshot_index` when that is where it is (the
    /// very state the snapshot holds there, as for the feasible nodes of a cycle, is known
    /// without reading the names), else found by name; `None` for a node the snapshot does not
    /// hold.
    pub fn index_of(&self, node: &NodeInfo) -> Option<usize> {
        let at = node.snapshot_index;
        if self
            .nodes
            .get(at)
            .is_some_and(|n| std::ptr::eq(&**n, node) || n.name() == node.name())
        {
            return Some(at);
        }
        self.node_index(node.name())
    }

    /// The name of the node at position `at`, from the snapshot's table of names (the node's
    /// state is not read).
    pub fn name_at(&self, at: usize) -> Option<&Arc<str>> {
        self.names.get(at)
    }

    /// The position of every node by name.
    pub fn node_positions(&self) -> Arc<BTreeMap<String, usize>> {
        Arc::clone(&self.index)
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

/// The pods of `new` that `old` does not hold (as the same object), and those of `old` that
/// `new` does not, for the selector counts: both lists are in key order, unchanged pods are
/// shared, and a pod in both whose versions [`match_alike`] is in neither.
fn changed_pods<'a>(old: &'a NodeInfo, new: &'a NodeInfo) -> (Vec<&'a PodInfo>, Vec<&'a PodInfo>) {
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    let (mut a, mut b) = (old.pods.iter().peekable(), new.pods.iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(o), None) => {
                removed.push(&***o);
                a.next();
            }
            (None, Some(n)) => {
                added.push(&***n);
                b.next();
            }
            (Some(o), Some(n)) => {
                if Arc::ptr_eq(o, n) {
                    a.next();
                    b.next();
                    continue;
                }
                match o.key.cmp(&n.key) {
                    std::cmp::Ordering::Less => {
                        removed.push(&***o);
                        a.next();
                    }
                    std::cmp::Ordering::Greater => {
                        added.push(&***n);
                        b.next();
                    }
                    // Another version of the same pod.
                    std::cmp::Ordering::Equal => {
                        if !match_alike(&o.pod, &n.pod) {
                            removed.push(&***o);
                            added.push(&***n);
                        }
                        a.next();
                        b.next();
                    }
                }
            }
        }
    }
    (added, removed)
}

/// The memo key of a namespace and a selector: every string length-prefixed, so two different
/// selectors never share a key (it was their `Debug` text, several times dearer to build on
/// every scheduling cycle).
fn selector_key(ns: &str, selector: &LabelSelector) -> String {
    fn part(key: &mut String, s: &str) {
        key.push_str(&s.len().to_string());
        key.push(':');
        key.push_str(s);
    }
    let mut key = String::with_capacity(64);
    part(&mut key, ns);
    match &selector.match_labels {
        None => key.push('-'),
        Some(labels) => {
            key.push('{');
            for (k, v) in labels {
                part(&mut key, k);
                part(&mut key, v);
            }
            key.push('}');
        }
    }
    match &selector.match_expressions {
        None => key.push('-'),
        Some(exprs) => {
            key.push('[');
            for e in exprs {
                part(&mut key, &e.key);
                part(&mut key, &e.operator);
                match &e.values {
                    None => key.push('-'),
                    Some(values) => {
                        key.push('(');
                        for v in values {
                            part(&mut key, v);
                        }
                        key.push(')');
                    }
                }
            }
            key.push(']');
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::cache::Cache;
    use crate::scheduler::testutil::{node, on, pod, with_label};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const ZONE: &str = "topology.kubernetes.io/zone";

    #[test]
    fn different_selectors_never_share_a_memo_key() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
        let labels = |pairs: &[(&str, &str)]| LabelSelector {
            match_labels: Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            match_expressions: None,
        };
        let expr = |key: &str, op: &str, values: Option<&[&str]>| LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: key.into(),
                operator: op.into(),
                values: values.map(|v| v.iter().map(|s| s.to_string()).collect()),
            }]),
        };
        let selectors = [
            labels(&[("app", "web")]),
            labels(&[("app", "web"), ("tier", "x")]),
            labels(&[("app:web", "")]),
            labels(&[("ap", "p:web")]),
            labels(&[]),
            LabelSelector::default(),
            expr("app", "In", Some(&["web", "db"])),
            expr("app", "In", Some(&["web,db"])),
            expr("app", "In", Some(&[])),
            expr("app", "Exists", None),
            expr("app", "NotIn", Some(&["web"])),
        ];
        let mut keys = BTreeSet::new();
        for ns in ["default", "team"] {
            for s in &selectors {
                assert!(keys.insert(selector_key(ns, s)), "{ns} {s:?}");
            }
        }
        // The same selector in the same namespace: the same key.
        assert_eq!(
            selector_key("default", &labels(&[("app", "web")])),
            selector_key("default", &labels(&[("app", "web")]))
        );
    }

    /// Each node's zone as the snapshot's domain table gives it, by node index.
    fn zones(snapshot: &ClusterSnapshot) -> Vec<Option<String>> {
        let domains = snapshot.topology_domains(ZONE);
        let names: BTreeMap<u32, &str> = domains
            .by_value
            .iter()
            .map(|(v, d)| (*d, v.as_str()))
            .collect();
        snapshot
            .nodes
            .iter()
            .map(|n| {
                domains
                    .of(snapshot.index_of(n).unwrap())
                    .map(|d| names[&(d as u32)].to_string())
            })
            .collect()
    }

    fn some(zones: &[&str]) -> Vec<Option<String>> {
        zones
            .iter()
            .map(|z| Some(z.to_string()).filter(|z| !z.is_empty()))
            .collect()
    }

    #[test]
    fn node_indices_and_topology_domains_follow_binds_relabels_and_new_nodes() {
        let mut cache = Cache::new();
        for (name, zone) in [("b", "z1"), ("c", "z2"), ("d", "")] {
            let n = node(name, "1", "1Gi");
            cache.upsert_node(&if zone.is_empty() {
                n
            } else {
                with_label(n, ZONE, zone)
            });
        }
        let mut snapshot = ClusterSnapshot::default();
        cache.update_snapshot(&mut snapshot);
        let indices = |s: &ClusterSnapshot| -> Vec<usize> {
            s.nodes.iter().map(|n| n.snapshot_index).collect()
        };
        assert_eq!(indices(&snapshot), [0, 1, 2]);
        assert_eq!(zones(&snapshot), some(&["z1", "z2", ""]));

        // A bind replaces one node's state: its index is kept, the domains stay memoized.
        let before = snapshot.topology_domains(ZONE);
        cache.upsert_pod(&Arc::new(crate::object::Object::from(on(
            pod("p", "", ""),
            "c",
        ))));
        cache.update_snapshot(&mut snapshot);
        assert_eq!(snapshot.nodes[1].pods.len(), 1);
        assert_eq!(indices(&snapshot), [0, 1, 2]);
        assert!(Arc::ptr_eq(&before, &snapshot.topology_domains(ZONE)));

        // Relabelling a node is seen by the next cycle.
        cache.upsert_node(&with_label(node("d", "1", "1Gi"), ZONE, "z1"));
        cache.update_snapshot(&mut snapshot);
        assert_eq!(zones(&snapshot), some(&["z1", "z2", "z1"]));

        // A new node first in name order moves every index.
        cache.upsert_node(&with_label(node("a", "1", "1Gi"), ZONE, "z3"));
        cache.update_snapshot(&mut snapshot);
        assert_eq!(indices(&snapshot), [0, 1, 2, 3]);
        assert_eq!(zones(&snapshot), some(&["z3", "z1", "z2", "z1"]));
        assert_eq!(snapshot.nodes[2].pods.len(), 1);

        // A node state from elsewhere is found by name; one the snapshot lacks is not.
        let mut stale = (*snapshot.nodes[3]).clone();
        stale.snapshot_index = 0;
        assert_eq!(snapshot.index_of(&stale), Some(3));
        assert_eq!(
            snapshot.index_of(&NodeInfo::new(node("e", "1", "1Gi"))),
            None
        );
    }

    #[test]
    fn selector_counts_follow_a_pods_labels_and_deletion_but_not_its_status() {
        use crate::scheduler::testutil::with_pod_label;
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
        let mut cache = Cache::new();
        cache.upsert_node(&node("a", "1", "1Gi"));
        let web = LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            match_expressions: None,
        };
        let mut rv = 0;
        let mut write = |cache: &mut Cache, p: Pod| {
            let mut p = on(p, "a");
            rv += 1;
            p.metadata.resource_version = Some(rv.to_string());
            cache.upsert_pod(&Arc::new(crate::object::Object::from(p)));
        };
        let mut snapshot = ClusterSnapshot::default();
        write(&mut cache, with_pod_label(pod("p", "", ""), "app", "web"));
        cache.update_snapshot(&mut snapshot);
        let counted = snapshot.selector_counts("default", &web);
        assert_eq!(counted.per_node, [1]);

        // A status write: the same labels, so the same counts (not even copied).
        let mut running = with_pod_label(pod("p", "", ""), "app", "web");
        running.status = Some(k8s_openapi::api::core::v1::PodStatus {
            phase: Some("Running".into()),
            ..Default::default()
        });
        write(&mut cache, running);
        cache.update_snapshot(&mut snapshot);
        assert!(Arc::ptr_eq(
            &counted,
            &snapshot.selector_counts("default", &web)
        ));

        // Relabelled away, back, then being deleted.
        write(&mut cache, with_pod_label(pod("p", "", ""), "app", "db"));
        cache.update_snapshot(&mut snapshot);
        assert_eq!(snapshot.selector_counts("default", &web).per_node, [0]);
        write(&mut cache, with_pod_label(pod("p", "", ""), "app", "web"));
        cache.update_snapshot(&mut snapshot);
        assert_eq!(snapshot.selector_counts("default", &web).per_node, [1]);
        let mut deleting = with_pod_label(pod("p", "", ""), "app", "web");
        deleting.metadata.deletion_timestamp = Some(Time(Default::default()));
        write(&mut cache, deleting);
        cache.update_snapshot(&mut snapshot);
        assert_eq!(snapshot.selector_counts("default", &web).per_node, [0]);
    }

    #[test]
    fn a_snapshot_that_let_go_of_its_nodes_takes_them_back_with_its_memos_up_to_date() {
        use crate::scheduler::testutil::with_pod_label;
        let web = LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            match_expressions: None,
        };
        let mut cache = Cache::new();
        for (name, zone) in [("a", "z1"), ("b", "z1"), ("c", "z2")] {
            cache.upsert_node(&with_label(node(name, "1", "1Gi"), ZONE, zone));
        }
        let mut rv = 0;
        // Writes pod `name` labelled `app` on `node`.
        let mut write = |cache: &mut Cache, name: &str, app: &str, node: &str| {
            let mut p = on(with_pod_label(pod(name, "", ""), "app", app), node);
            rv += 1;
            p.metadata.resource_version = Some(rv.to_string());
            cache.upsert_pod(&Arc::new(crate::object::Object::from(p)));
        };
        write(&mut cache, "p1", "web", "a");
        write(&mut cache, "p2", "web", "b");
        let mut snapshot = ClusterSnapshot::default();
        cache.update_snapshot(&mut snapshot);
        assert_eq!(
            snapshot.selector_counts("default", &web).per_node,
            [1, 1, 0]
        );
        let zones = snapshot.topology_domains(ZONE);
        assert_eq!(zones.of_node, [Some(0), Some(0), Some(1)]);

        // Nothing to schedule: the states go, and the cluster changes meanwhile.
        snapshot.release_nodes();
        assert!(snapshot.nodes.is_empty());
        write(&mut cache, "p3", "web", "c");
        write(&mut cache, "p1", "db", "a");
        cache.update_snapshot(&mut snapshot);
        assert_eq!(
            snapshot
                .nodes
                .iter()
                .map(|n| n.name().to_string())
                .collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(
            snapshot.selector_counts("default", &web).per_node,
            [0, 1, 1]
        );
        // No node was relabelled: the domains are the ones kept.
        assert!(Arc::ptr_eq(&zones, &snapshot.topology_domains(ZONE)));

        // A node relabelled while released: the domains are made again.
        snapshot.release_nodes();
        cache.upsert_node(&with_label(node("b", "1", "1Gi"), ZONE, "z2"));
        cache.update_snapshot(&mut snapshot);
        assert_eq!(
            snapshot.topology_domains(ZONE).of_node,
            [Some(0), Some(1), Some(1)]
        );

        // A node joining while released: the snapshot starts over, and counts all four.
        snapshot.release_nodes();
        cache.upsert_node(&node("d", "1", "1Gi"));
        write(&mut cache, "p4", "web", "d");
        cache.update_snapshot(&mut snapshot);
        assert_eq!(snapshot.nodes.len(), 4);
        assert_eq!(
            snapshot.selector_counts("default", &web).per_node,
            [0, 1, 1, 1]
        );
    }
}
