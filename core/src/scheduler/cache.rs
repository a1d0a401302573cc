//! The scheduler's cache (upstream `pkg/scheduler/backend/cache`): a `NodeInfo` per node kept
//! current from the scheduler's watch events — pods added, updated and removed, the pod the
//! scheduler just bound assumed until its watch event confirms it — with a generation counter,
//! so that [`Cache::update_snapshot`] copies into the cycle's snapshot only the nodes that
//! changed since the last cycle (upstream `UpdateSnapshot`) instead of rebuilding the cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};

use crate::hash_index::HashIndex;
use crate::object::Object;
use crate::scheduler::framework::pod_key;
use crate::scheduler::node_info::{ImageState, NodeInfo, PodInfo};
use crate::scheduler::snapshot::ClusterSnapshot;

/// One node's entry: its info and the generation of its last change.
#[derive(Debug, Clone)]
struct Entry {
    info: Arc<NodeInfo>,
    generation: u64,
}

/// The scheduler's view of the cluster, updated incrementally.
#[derive(Debug, Default)]
pub struct Cache {
    /// Nodes by name (the snapshot's order).
    nodes: BTreeMap<String, Entry>,
    /// Node names by the generation of their last change (each node once).
    by_generation: BTreeMap<u64, Arc<str>>,
    /// Pods bound to nodes the cache does not know (yet), by node name then pod key: they join
    /// the node when it arrives, as upstream keeps pods of a node it has not seen.
    ghosts: BTreeMap<String, BTreeMap<String, Arc<PodInfo>>>,
    /// The node of every bound pod the cache holds, by pod key.
    pod_nodes: HashIndex<String, String>,
    /// Pods bound by this scheduler whose confirming watch event has not arrived yet.
    assumed: BTreeSet<String>,
    /// The latest generation handed out.
    generation: u64,
    /// Whether nodes were added or removed since the last snapshot (positions shift).
    nodes_changed: bool,
    /// How many nodes hold each image.
    image_nodes: BTreeMap<String, usize>,
    /// Whether `image_nodes` changed since the last snapshot.
    images_changed: bool,
}

/// Gives a node's entry the next generation, so the next snapshot update copies it; the
/// generation table shares the node's name.
fn stamp(entry: &mut Entry, generation: &mut u64, by_generation: &mut BTreeMap<u64, Arc<str>>) {
    by_generation.remove(&entry.generation);
    *generation += 1;
    entry.generation = *generation;
    by_generation.insert(*generation, Arc::clone(entry.info.shared_name()));
}

fn bound_node(pod: &Pod) -> Option<&str> {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .filter(|n| !n.is_empty())
}

impl Cache {
    /// An empty cache.
    pub fn new() -> Cache {
        Cache::default()
    }

    /// How many nodes the cache holds.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the pod `namespace/name` is assumed (bound by this scheduler, not yet confirmed).
    pub fn is_assumed(&self, key: &str) -> bool {
        self.assumed.contains(key)
    }

    fn bump(&mut self, name: &str) {
        let Some(entry) = self.nodes.get_mut(name) else {
            return;
        };
        stamp(entry, &mut self.generation, &mut self.by_generation);
    }

    fn count_images(&mut self, images: &BTreeMap<String, ImageState>, add: bool) {
        for name in images.keys() {
            if add {
                *self.image_nodes.entry(name.clone()).or_insert(0) += 1;
            } else if let Some(n) = self.image_nodes.get_mut(name) {
                *n -= 1;
                if *n == 0 {
                    self.image_nodes.remove(name);
                }
            }
        }
        self.images_changed |= !images.is_empty();
    }

    /// A node was added or updated.
    pub fn upsert_node(&mut self, node: &Node) {
        let name = node.metadata.name.clone().unwrap_or_default();
        let node = Arc::new(node.clone());
        match self.nodes.get_mut(&name) {
            Some(entry) => {
                let info = Arc::make_mut(&mut entry.info);
                if let Some(old) = info.set_node(node) {
                    let new = info.image_states.clone();
                    self.count_images(&old, false);
                    self.count_images(&new, true);
                }
            }
            None => {
                let mut info = NodeInfo::with_node(node);
                for (_, pod) in self.ghosts.remove(&name).unwrap_or_default() {
                    info.add_pod_info(pod);
                }
                self.count_images(&info.image_states, true);
                self.nodes.insert(
                    name.clone(),
                    Entry {
                        info: Arc::new(info),
                        generation: 0,
                    },
                );
                self.nodes_changed = true;
            }
        }
        self.bump(&name);
    }

    /// A node was deleted: its pods stay known (as upstream) until they are deleted.
    pub fn remove_node(&mut self, name: &str) {
        let Some(entry) = self.nodes.remove(name) else {
            return;
        };
        self.by_generation.remove(&entry.generation);
        self.count_images(&entry.info.image_states, false);
        let ghosts = self.ghosts.entry(name.to_string()).or_default();
        for pod in &entry.info.pods {
            ghosts.insert(pod.key.clone(), Arc::clone(pod));
        }
        self.nodes_changed = true;
    }

    fn detach(&mut self, key: &str) {
        let Some(node) = self.pod_nodes.remove(key) else {
            return;
        };
        if let Some(entry) = self.nodes.get_mut(&node) {
            Arc::make_mut(&mut entry.info).remove_pod(key);
            self.bump(&node);
        } else if let Some(ghosts) = self.ghosts.get_mut(&node) {
            ghosts.remove(key);
            if ghosts.is_empty() {
                self.ghosts.remove(&node);
            }
        }
    }

    fn attach(&mut self, key: String, node: &str, info: Arc<PodInfo>) {
        self.pod_nodes.insert(key.clone(), node.to_string());
        if let Some(entry) = self.nodes.get_mut(node) {
            Arc::make_mut(&mut entry.info).add_pod_info(info);
            self.bump(node);
        } else {
            self.ghosts
                .entry(node.to_string())
                .or_default()
                .insert(key, info);
        }
    }

    /// The stored revision of pod `key` held as a ghost of unknown node `node`.
    fn ghost_version(&self, key: &str, node: &str) -> Option<&str> {
        let info = self.ghosts.get(node)?.get(key)?;
        info.pod.metadata.resource_version.as_deref()
    }

    /// A bound pod was added or updated (its watch event, or the result of this scheduler's
    /// binding): it replaces the cached one, confirming an assumed pod.
    pub fn upsert_pod(&mut self, object: &Arc<Object>) {
        let Object::Pod(pod) = &**object else {
            return;
        };
        let Some(node) = bound_node(pod) else {
            return;
        };
        let key = pod_key(pod);
        self.assumed.remove(&key);
        let same_node = self.pod_nodes.get(&key).is_some_and(|n| n == node);
        let version = pod.metadata.resource_version.as_deref();
        if same_node {
            if let Some(entry) = self.nodes.get_mut(node) {
                // The node found once, for the version check, the replacement and the stamp.
                let cached = entry
                    .info
                    .pod(&key)
                    .map(|p| p.pod.metadata.resource_version.as_deref());
                if version.is_some() && cached == Some(version) {
                    // The same stored revision again (the binding's result, then its watch event).
                    return;
                }
                let Some(info) = PodInfo::from_object(object).map(Arc::new) else {
                    return;
                };
                // Updated where it is (most often a status write): its entry is replaced in place.
                Arc::make_mut(&mut entry.info).replace_pod_info(info);
                stamp(entry, &mut self.generation, &mut self.by_generation);
                return;
            }
            if version.is_some() && self.ghost_version(&key, node) == version {
                // The same revision of a pod of a node not seen yet.
                return;
            }
        }
        let Some(info) = PodInfo::from_object(object).map(Arc::new) else {
            return;
        };
        self.detach(&key);
        self.attach(key, node, info);
    }

    /// Assumes `pod` — as this scheduler's binding stored it — is on its node until the pod's
    /// watch event confirms it (upstream `AssumePod`; bindings are synchronous here, so a failed
    /// one never gets this far and nothing is forgotten).
    pub fn assume_pod(&mut self, object: &Arc<Object>) {
        self.upsert_pod(object);
        if let Object::Pod(pod) = &**object {
            self.assumed.insert(pod_key(pod));
        }
    }

    /// Whether the cache holds the bound pod `namespace/name`.
    pub fn has_pod(&self, key: &str) -> bool {
        self.pod_nodes.contains_key(key)
    }

    /// A pod was deleted (or is no longer bound).
    pub fn remove_pod(&mut self, key: &str) {
        self.assumed.remove(key);
        self.detach(key);
    }

    /// Brings `snapshot` up to date: the node list is rebuilt when nodes came or went, else only
    /// the nodes changed since the snapshot's generation are copied (upstream `UpdateSnapshot`).
    pub fn update_snapshot(&mut self, snapshot: &mut ClusterSnapshot) {
        if !self.nodes_changed && snapshot.released_len() == Some(self.nodes.len()) {
            // The same nodes as when the snapshot let go of them: it takes the states back and
            // brings what it keeps up to date for the nodes changed since.
            let changed: Vec<usize> = self
                .by_generation
                .range(snapshot.generation + 1..)
                .filter_map(|(_, name)| snapshot.node_index(name))
                .collect();
            let nodes = self.nodes.values().map(|e| Arc::clone(&e.info)).collect();
            snapshot.refill(nodes, &changed);
        } else if self.nodes_changed || snapshot.nodes.len() != self.nodes.len() {
            // The cache's own node states carry their snapshot index, so the states it hands
            // the snapshot node by node later need no copy to set it.
            for (i, e) in self.nodes.values_mut().enumerate() {
                if e.info.snapshot_index != i {
                    Arc::make_mut(&mut e.info).snapshot_index = i;
                }
            }
            snapshot.nodes = self.nodes.values().map(|e| Arc::clone(&e.info)).collect();
            snapshot.reindex();
            self.nodes_changed = false;
        } else {
            let changed: Vec<&Arc<str>> = self
                .by_generation
                .range(snapshot.generation + 1..)
                .map(|(_, name)| name)
                .collect();
            for name in changed {
                let (Some(i), Some(entry)) = (snapshot.node_index(name), self.nodes.get(&**name))
                else {
                    continue;
                };
                snapshot.replace_node(i, Arc::clone(&entry.info));
            }
        }
        if self.images_changed {
            snapshot.image_nodes = self.image_nodes.clone();
            self.images_changed = false;
        }
        snapshot.generation = self.generation;
    }
}
