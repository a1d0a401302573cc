//! The cluster at a glance, kept up to date from a store feed: every node's view with the
//! requests of the pods bound to it, the pods counted by kubectl's STATUS, which pods are on
//! which node and which are not yet scheduled; the Events in the timeline's order
//! ([`events`], counted by moment in [`event_counts`]); and which flow-trace steps concern each
//! object ([`TraceIndex`]).
//!
//! [`Cluster::snapshot`](crate::Cluster::snapshot) views every pod, which at 30,000 pods costs
//! a frame's time many times over. The playground redraws its cluster view several times a
//! second while playing, so it reads this instead: [`Cluster::sync_overview`] applies only the
//! pod and node changes since the last sync (the first sync lists them all), and drawing then
//! costs in proportion to the nodes, not the pods. What it shows is what the snapshot shows:
//! the same node views and the same STATUS per pod (`an_overview_kept_from_the_feed_matches_the_snapshot`).
//!
//! [`Cluster::sync_overview`]: crate::Cluster::sync_overview

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Pod;

use crate::kubectl::pods::pod_columns;
use crate::object::Object;
use crate::sim::SimTime;
use crate::snapshot::{node_charge, NodeView};
use crate::store::{Change, FeedId, Store, WatchEventType};
use crate::trace::{Trace, TraceIndex};

pub mod event_counts;
pub mod events;

use events::{EventEntry, EventLog, EVENT_PREFIX};

/// The etcd key prefix of pods.
pub const POD_PREFIX: &str = "/registry/pods/";
/// The etcd key prefix of nodes.
pub const NODE_PREFIX: &str = "/registry/minions/";

/// What one pod adds to the overview.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PodEntry {
    /// kubectl's STATUS.
    status: String,
    /// `spec.nodeName`, when set.
    node: Option<String>,
    /// What it charges to its node: cpu (milli), memory (bytes); none once it has finished.
    charge: Option<(i64, i64)>,
}

impl PodEntry {
    fn of(pod: &Pod) -> PodEntry {
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .filter(|n| !n.is_empty());
        PodEntry {
            // STATUS does not depend on the time; only RESTARTS' "(27s ago)" does.
            status: pod_columns(pod, SimTime::ZERO).status,
            node,
            charge: node_charge(pod),
        }
    }
}

/// The requests of the unfinished pods bound to one node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Charge {
    cpu_milli: i64,
    memory: i64,
    pods: i64,
}

/// Nodes, pod counts and unscheduled pods, kept from the store's pod and node changes.
#[derive(Debug, Default)]
pub struct Overview {
    /// The feed it follows, once the first sync opened it.
    feed: Option<FeedId>,
    /// Node views by name, their requested fields kept up to date.
    nodes: BTreeMap<String, NodeView>,
    /// What the pods bound to each node name charge it (also for a node not, or no longer,
    /// there, as the snapshot counts only existing nodes).
    charges: BTreeMap<String, Charge>,
    /// Every pod by etcd key.
    pods: BTreeMap<String, PodEntry>,
    /// The etcd keys of the pods bound to each node name.
    by_node: BTreeMap<String, BTreeSet<String>>,
    /// The etcd keys of the pods with no node.
    unscheduled: BTreeSet<String>,
    /// How many pods show each STATUS.
    statuses: BTreeMap<String, usize>,
    /// Every Event.
    events: EventLog,
    /// The flow trace's steps by object.
    trace: TraceIndex,
}

impl Overview {
    /// Brings the overview up to the store's and the trace's current state: everything on the
    /// first call, then the changes since the last.
    pub fn sync(&mut self, store: &mut Store, trace: &Trace) {
        self.trace.sync(trace);
        match self.feed {
            Some(id) => {
                for change in store.read_feed(id, usize::MAX) {
                    self.apply(&change);
                }
            }
            None => {
                // Nodes first, so that each pod's charge lands on its node as it is listed.
                let prefixes = [NODE_PREFIX, POD_PREFIX, EVENT_PREFIX];
                for prefix in prefixes {
                    for object in store.list(prefix).items {
                        let meta = object.meta();
                        let name = meta.name.as_deref().unwrap_or_default();
                        let key = object.info().key(meta.namespace.as_deref(), name);
                        self.put(key, &object);
                    }
                }
                self.feed = Some(store.open_feed(prefixes.map(String::from).to_vec()));
            }
        }
    }

    fn apply(&mut self, change: &Change) {
        if change.type_ == WatchEventType::Deleted {
            self.remove(&change.key);
        } else {
            self.put(String::from(&*change.key), &change.object);
        }
    }

    /// Adds or replaces the object at etcd key `key`.
    fn put(&mut self, key: String, object: &Object) {
        match object {
            Object::Node(n) => {
                if let Some(name) = key.strip_prefix(NODE_PREFIX) {
                    self.put_node(name.to_string(), NodeView::from_node(n));
                }
            }
            Object::Pod(p) => {
                self.remove_pod(&key);
                self.put_pod(key, PodEntry::of(p));
            }
            Object::Event(e) => self.events.put(key, EventEntry::of(e)),
            _ => {}
        }
    }

    /// Forgets the object at etcd key `key`.
    fn remove(&mut self, key: &str) {
        if let Some(name) = key.strip_prefix(NODE_PREFIX) {
            self.nodes.remove(name);
        } else if key.starts_with(EVENT_PREFIX) {
            self.events.remove(key);
        } else if key.starts_with(POD_PREFIX) {
            self.remove_pod(key);
        }
    }

    fn put_node(&mut self, name: String, mut view: NodeView) {
        let charge = self.charges.get(&name).copied().unwrap_or_default();
        view.cpu_requested_milli = charge.cpu_milli;
        view.memory_requested = charge.memory;
        view.pod_count = charge.pods;
        self.nodes.insert(name, view);
    }

    /// Adds `sign` times a pod's charge to its node.
    fn charge(&mut self, node: &str, (cpu, memory): (i64, i64), sign: i64) {
        let c = self.charges.entry(node.to_string()).or_default();
        c.cpu_milli += sign * cpu;
        c.memory += sign * memory;
        c.pods += sign;
        let c = *c;
        if c == Charge::default() {
            self.charges.remove(node);
        }
        if let Some(view) = self.nodes.get_mut(node) {
            view.cpu_requested_milli = c.cpu_milli;
            view.memory_requested = c.memory;
            view.pod_count = c.pods;
        }
    }

    fn put_pod(&mut self, key: String, entry: PodEntry) {
        *self.statuses.entry(entry.status.clone()).or_insert(0) += 1;
        match &entry.node {
            Some(node) => {
                if let Some(charge) = entry.charge {
                    self.charge(node, charge, 1);
                }
                self.by_node
                    .entry(node.clone())
                    .or_default()
                    .insert(key.clone());
            }
            None => {
                self.unscheduled.insert(key.clone());
            }
        }
        self.pods.insert(key, entry);
    }

    fn remove_pod(&mut self, key: &str) {
        let Some(entry) = self.pods.remove(key) else {
            return;
        };
        if let Some(n) = self.statuses.get_mut(&entry.status) {
            *n -= 1;
            if *n == 0 {
                self.statuses.remove(&entry.status);
            }
        }
        match &entry.node {
            Some(node) => {
                if let Some(charge) = entry.charge {
                    self.charge(node, charge, -1);
                }
                if let Some(keys) = self.by_node.get_mut(node) {
                    keys.remove(key);
                    if keys.is_empty() {
                        self.by_node.remove(node);
                    }
                }
            }
            None => {
                self.unscheduled.remove(key);
            }
        }
    }

    /// The nodes in name order, as [`crate::Snapshot::nodes`] has them.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = &NodeView> {
        self.nodes.values()
    }

    /// How many pods there are.
    pub fn pod_count(&self) -> usize {
        self.pods.len()
    }

    /// How many pods show each kubectl STATUS, most common first (ties by STATUS).
    pub fn status_counts(&self) -> Vec<(&str, usize)> {
        let mut out: Vec<(&str, usize)> = self
            .statuses
            .iter()
            .map(|(s, n)| (s.as_str(), *n))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        out
    }

    /// The etcd keys of the pods with no node, in key order.
    pub fn unscheduled(&self) -> impl ExactSizeIterator<Item = &str> {
        self.unscheduled.iter().map(String::as_str)
    }

    /// The etcd keys of the pods bound to node `name`, in key order.
    pub fn pods_on(&self, name: &str) -> impl Iterator<Item = &str> {
        self.by_node
            .get(name)
            .into_iter()
            .flat_map(|keys| keys.iter().map(String::as_str))
    }

    /// Every Event, in the timeline's order.
    pub fn events(&self) -> &EventLog {
        &self.events
    }

    /// The flow trace's steps by object, for [`crate::flow::steps_for_pod_indexed`].
    pub fn trace_index(&self) -> &TraceIndex {
        &self.trace
    }

    /// The first pod in key order (`namespace`, `name`), as the snapshot's first.
    pub fn first_pod(&self) -> Option<(&str, &str)> {
        self.pods.keys().next().and_then(|k| pod_key_parts(k))
    }
}

/// A pod's etcd key as (`namespace`, `name`).
pub fn pod_key_parts(key: &str) -> Option<(&str, &str)> {
    key.strip_prefix(POD_PREFIX)?.split_once('/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimDuration;
    use crate::{Cluster, Snapshot};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// STATUS counts, unscheduled pod keys, and pod keys per node.
    type Expected = (
        Vec<(String, usize)>,
        Vec<String>,
        Vec<(String, Vec<String>)>,
    );

    /// What the overview must show, computed from a snapshot.
    fn expected(s: &Snapshot) -> Expected {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for p in &s.pods {
            *counts.entry(p.status.clone()).or_insert(0) += 1;
        }
        let mut statuses: Vec<(String, usize)> = counts.into_iter().collect();
        statuses.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let key = |p: &crate::PodView| format!("{POD_PREFIX}{}/{}", p.namespace, p.name);
        let unscheduled = s
            .pods
            .iter()
            .filter(|p| p.node == "<none>")
            .map(key)
            .collect();
        let mut on: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in s.pods.iter().filter(|p| p.node != "<none>") {
            on.entry(p.node.clone()).or_default().push(key(p));
        }
        (statuses, unscheduled, on.into_iter().collect())
    }

    fn check(c: &mut Cluster, when: &str) {
        c.sync_overview();
        let s = c.snapshot();
        let o = c.overview();
        let nodes: Vec<NodeView> = o.nodes().cloned().collect();
        assert_eq!(nodes, s.nodes, "{when}: nodes");
        assert_eq!(o.pod_count(), s.pods.len(), "{when}: pod count");
        let (statuses, unscheduled, on) = expected(&s);
        let got: Vec<(String, usize)> = o
            .status_counts()
            .into_iter()
            .map(|(s, n)| (s.to_string(), n))
            .collect();
        assert_eq!(got, statuses, "{when}: statuses");
        assert_eq!(
            o.unscheduled().collect::<Vec<_>>(),
            unscheduled,
            "{when}: unscheduled"
        );
        let mut names: BTreeSet<&str> = on.iter().map(|(n, _)| n.as_str()).collect();
        names.extend(s.nodes.iter().map(|n| n.name.as_str()));
        for name in names {
            let want = on
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, keys)| keys.clone())
                .unwrap_or_default();
            assert_eq!(
                o.pods_on(name).collect::<Vec<_>>(),
                want,
                "{when}: pods on {name}"
            );
        }
        let first = s
            .pods
            .first()
            .map(|p| (p.namespace.as_str(), p.name.as_str()));
        assert_eq!(o.first_pod(), first, "{when}: first pod");
        // The Events as a stable sort of the key-ordered list by last seen.
        let mut events: Vec<EventEntry> = c
            .objects(&["Event"])
            .iter()
            .filter_map(|o| match &**o {
                Object::Event(e) => Some(EventEntry::of(e)),
                _ => None,
            })
            .collect();
        events.sort_by_key(|e| e.at);
        assert_eq!(
            o.events().iter().cloned().collect::<Vec<_>>(),
            events,
            "{when}: events"
        );
        let mut components: Vec<&str> = events.iter().map(|e| e.component.as_str()).collect();
        components.sort();
        components.dedup();
        assert_eq!(
            o.events().components().collect::<Vec<_>>(),
            components,
            "{when}: components"
        );
    }

    #[test]
    fn an_overview_kept_from_the_feed_matches_the_snapshot() {
        let (mut c, results) = Cluster::load(&[(
            "s.yaml".into(),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 6\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.14.2\n        resources:\n          requests: {cpu: 300m, memory: 256Mi}\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\nspec:\n  completions: 2\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox:1.36\n        command: [sh, -c, \"echo hi; sleep 3\"]\n        resources:\n          requests: {cpu: 500m}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: huge\nspec:\n  containers:\n  - name: c\n    image: nginx:1.14.2\n    resources:\n      requests: {cpu: \"64\"}\n".into(),
        )]);
        assert!(results.iter().all(|r| r.ok), "{results:?}");
        // The first sync lists what is there; every later one reads the feed.
        check(&mut c, "t=0");
        c.run_for(SimDuration::secs(2));
        check(&mut c, "2s: scheduled, creating");
        c.run_for(SimDuration::secs(20));
        check(&mut c, "22s: running, the Job's pods completed");
        let user = c.kubectl_user();
        assert!(c.scale("deployment", "default", "web", 2, &user).ok);
        c.run_for(SimDuration::secs(1));
        check(&mut c, "scaled down, pods terminating");
        c.run_for(SimDuration::secs(40));
        check(&mut c, "terminated");
        let victim = c
            .snapshot()
            .pods
            .iter()
            .find(|p| p.name.starts_with("web-"))
            .map(|p| p.node.clone())
            .unwrap();
        assert!(c.fail_node(&victim).ok);
        c.run_for(SimDuration::secs(60));
        check(&mut c, "a node failed");
        assert!(c.delete("nodes", "", &victim).ok);
        c.run_for(SimDuration::secs(1));
        check(&mut c, "the failed node deleted");
        c.run_for(SimDuration::secs(60));
        check(&mut c, "after the pod GC");
        assert!(c.delete("pods", "default", "huge").ok);
        c.run_for(SimDuration::secs(1));
        check(&mut c, "the unschedulable pod deleted");
        // Some Events were updated in place (a series, a repeated FailedScheduling).
        let events = c.overview().events();
        assert!(events.len() > 30, "{}", events.len());
        assert!(events.iter().any(|e| e.is_warning()));
    }
}
