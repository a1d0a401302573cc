//! Follows the store's change feed (as a watch on `/registry/pods/` would) and counts, per
//! namespace, the pods that are bound and the pods that are Running and Ready — so a run knows
//! when a phase is done without listing every pod after every step.

use std::collections::BTreeMap;
use std::sync::Arc;

use podflow_core::hash_index::HashIndex;
use podflow_core::object::Object;
use podflow_core::store::WatchEventType;
use podflow_core::Cluster;

const PODS: &str = "/registry/pods/";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct PodState {
    bound: bool,
    ready: bool,
}

impl PodState {
    fn of(object: &Object) -> PodState {
        let Object::Pod(pod) = object else {
            return PodState::default();
        };
        let bound = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .is_some_and(|n| !n.is_empty());
        let status = pod.status.as_ref();
        let running = status.and_then(|s| s.phase.as_deref()) == Some("Running");
        let ready = running
            && status
                .and_then(|s| s.conditions.as_ref())
                .into_iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "True");
        PodState { bound, ready }
    }
}

/// Bound and Ready pod counts per namespace, kept current from the change feed.
#[derive(Debug, Default)]
pub struct Progress {
    cursor: i64,
    /// Each pod's state by its key (the store's own `Arc`), looked up, never listed.
    pods: HashIndex<Arc<str>, PodState>,
    bound: BTreeMap<String, usize>,
    ready: BTreeMap<String, usize>,
}

fn namespace_of(key: &str) -> &str {
    key.strip_prefix(PODS)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
}

fn bump(counts: &mut BTreeMap<String, usize>, ns: &str, was: bool, is: bool) {
    if was == is {
        return;
    }
    let n = match counts.get_mut(ns) {
        Some(n) => n,
        None => counts.entry(ns.to_string()).or_insert(0),
    };
    if is {
        *n += 1;
    } else {
        *n = n.saturating_sub(1);
    }
}

impl Progress {
    /// Counts for the cluster as it is now.
    pub fn new(cluster: &Cluster) -> Progress {
        let mut p = Progress::default();
        p.rescan(cluster);
        p
    }

    fn set(&mut self, key: Arc<str>, state: Option<PodState>) {
        let old = match state {
            Some(s) => self.pods.insert(Arc::clone(&key), s),
            None => self.pods.remove(&key),
        }
        .unwrap_or_default();
        let new = state.unwrap_or_default();
        let ns = namespace_of(&key);
        bump(&mut self.bound, ns, old.bound, new.bound);
        bump(&mut self.ready, ns, old.ready, new.ready);
    }

    fn rescan(&mut self, cluster: &Cluster) {
        self.pods.clear();
        self.bound.clear();
        self.ready.clear();
        let store = &cluster.api().store;
        let list = store.list(PODS);
        for object in &list.items {
            let meta = object.meta();
            let key = format!(
                "{PODS}{}/{}",
                meta.namespace.as_deref().unwrap_or(""),
                meta.name.as_deref().unwrap_or("")
            );
            self.set(Arc::from(key), Some(PodState::of(object)));
        }
        self.cursor = list.revision;
    }

    /// Catches up with the store's changes since the last call (a full recount when the change
    /// log no longer reaches back that far).
    pub fn update(&mut self, cluster: &Cluster) {
        let store = &cluster.api().store;
        if store.revision() == self.cursor {
            return;
        }
        let changes: Vec<(Arc<str>, Option<PodState>)> = match store.changes_since(self.cursor) {
            Ok(changes) => changes
                .filter(|c| c.key.starts_with(PODS))
                .map(|c| {
                    let state =
                        (c.type_ != WatchEventType::Deleted).then(|| PodState::of(&c.object));
                    (c.key.clone(), state)
                })
                .collect(),
            Err(_) => {
                self.rescan(cluster);
                return;
            }
        };
        self.cursor = store.revision();
        for (key, state) in changes {
            self.set(key, state);
        }
    }

    /// How many pods of `namespace` are bound to a node.
    pub fn bound(&self, namespace: &str) -> usize {
        self.bound.get(namespace).copied().unwrap_or(0)
    }

    /// How many pods of `namespace` are Running and Ready.
    pub fn ready(&self, namespace: &str) -> usize {
        self.ready.get(namespace).copied().unwrap_or(0)
    }
}
