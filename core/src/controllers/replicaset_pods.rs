//! The ReplicaSet controller's index of pods (upstream's pod informer with its controller-UID
//! indexer): the active pods by the UID of their controller and the active orphans by namespace,
//! fed by the store's change feed so a sync reads the store as it is; and, per ReplicaSet, the
//! counts its status needs over the pods it controls and selects — kept as pods change, so a
//! sync costs what changed instead of a pass over every pod of the namespace.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::component::Ctx;
use crate::controllers::podutil::{self, as_pod, controller_of};
use crate::hash_index::HashIndex;
use crate::object::Object;
use crate::overview::POD_PREFIX;
use crate::scheduler::selectors::label_selector_matches;
use crate::store::{Change, FeedId, WatchEventType};

/// What one ReplicaSet's status counts over the active pods it controls in its namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    namespace: String,
    selector: LabelSelector,
    template: BTreeMap<String, String>,
    /// Controlled pods the selector matches (the claimed ones), by key.
    pub matched: BTreeSet<String>,
    /// Controlled pods the selector no longer matches (to release), by key.
    pub mismatched: BTreeSet<String>,
    /// Claimed pods carrying every template label.
    pub fully_labeled: usize,
    /// Claimed pods that are Ready.
    pub ready: usize,
}

impl Tally {
    fn count(&mut self, key: &str, pod: &Pod, by: i8) {
        if pod.metadata.namespace.as_deref().unwrap_or_default() != self.namespace {
            return;
        }
        if !label_selector_matches(&self.selector, pod.metadata.labels.as_ref()) {
            if by > 0 {
                self.mismatched.insert(key.to_string());
            } else {
                self.mismatched.remove(key);
            }
            return;
        }
        if by > 0 {
            self.matched.insert(key.to_string());
        } else {
            self.matched.remove(key);
        }
        let labels = pod.metadata.labels.as_ref();
        let fully = self
            .template
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v));
        let step = |n: &mut usize| {
            if by > 0 {
                *n += 1;
            } else {
                *n -= 1;
            }
        };
        if fully {
            step(&mut self.fully_labeled);
        }
        if podutil::is_ready(pod) {
            step(&mut self.ready);
        }
    }
}

/// The controller's pod index.
#[derive(Debug, Default)]
pub struct ReplicaSetPods {
    /// The store's change feed the index follows; `None` until the first sync.
    feed: Option<FeedId>,
    /// Every active pod (not Succeeded or Failed, not being deleted), by key.
    pods: HashIndex<String, Arc<Object>>,
    /// Active pods by (namespace, controller UID).
    controlled: BTreeMap<(String, String), BTreeSet<String>>,
    /// Active pods without a controller, by namespace.
    orphans: BTreeMap<String, BTreeSet<String>>,
    /// Per ReplicaSet UID, its counts.
    tallies: BTreeMap<String, Tally>,
}

fn owner_slot(pod: &Pod) -> (String, Option<String>) {
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    (ns, controller_of(&pod.metadata).map(|r| r.uid.clone()))
}

impl ReplicaSetPods {
    fn remove(&mut self, key: &str) {
        let Some(old) = self.pods.remove(key) else {
            return;
        };
        let Some(pod) = as_pod(&old) else {
            return;
        };
        match owner_slot(pod) {
            (ns, None) => {
                if let Some(keys) = self.orphans.get_mut(&ns) {
                    keys.remove(key);
                    if keys.is_empty() {
                        self.orphans.remove(&ns);
                    }
                }
            }
            (ns, Some(uid)) => {
                if let Some(t) = self.tallies.get_mut(&uid) {
                    t.count(key, pod, -1);
                }
                let slot = (ns, uid);
                if let Some(keys) = self.controlled.get_mut(&slot) {
                    keys.remove(key);
                    if keys.is_empty() {
                        self.controlled.remove(&slot);
                    }
                }
            }
        }
    }

    /// Takes in a change that leaves an indexed pod active, in its namespace, under its
    /// controller and with its labels (most often a status change): only the Ready count can
    /// move. False, with nothing done, for any other change.
    fn replace(&mut self, key: &str, object: &Arc<Object>) -> bool {
        let Some(new) = as_pod(object).filter(|p| podutil::is_active(p)) else {
            return false;
        };
        let Some(stored) = self.pods.get_mut(key) else {
            return false;
        };
        let Some(old) = as_pod(stored) else {
            return false;
        };
        let controller = controller_of(&new.metadata).map(|r| &r.uid);
        if old.metadata.namespace != new.metadata.namespace
            || old.metadata.labels != new.metadata.labels
            || controller_of(&old.metadata).map(|r| &r.uid) != controller
        {
            return false;
        }
        let (was_ready, is_ready) = (podutil::is_ready(old), podutil::is_ready(new));
        if was_ready != is_ready {
            // A pod counts towards Ready only where it is claimed, which its unchanged
            // namespace and labels keep as it was.
            if let Some(t) = controller.and_then(|uid| self.tallies.get_mut(uid)) {
                if t.matched.contains(key) {
                    if is_ready {
                        t.ready += 1;
                    } else {
                        t.ready -= 1;
                    }
                }
            }
        }
        *stored = Arc::clone(object);
        true
    }

    fn insert(&mut self, key: &str, object: Arc<Object>) {
        let Some(pod) = as_pod(&object) else {
            return;
        };
        if !podutil::is_active(pod) {
            return;
        }
        match owner_slot(pod) {
            (ns, None) => {
                self.orphans.entry(ns).or_default().insert(key.to_string());
            }
            (ns, Some(uid)) => {
                if let Some(t) = self.tallies.get_mut(&uid) {
                    t.count(key, pod, 1);
                }
                self.controlled
                    .entry((ns, uid))
                    .or_default()
                    .insert(key.to_string());
            }
        }
        self.pods.insert(key.to_string(), object);
    }

    fn apply(&mut self, change: &Change) {
        if !change.key.starts_with(POD_PREFIX) {
            return;
        }
        if change.type_ != WatchEventType::Deleted && self.replace(&change.key, &change.object) {
            return;
        }
        self.remove(&change.key);
        if change.type_ != WatchEventType::Deleted {
            self.insert(&change.key, Arc::clone(&change.object));
        }
    }

    /// Catches up with the store: the first time, opens a feed and lists every pod; then
    /// applies what the feed brought since.
    pub fn sync(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(feed) = self.feed {
            for change in ctx.read_feed(feed, usize::MAX) {
                self.apply(&change);
            }
            return;
        }
        self.feed = Some(ctx.open_feed(vec![POD_PREFIX.to_string()]));
        for object in ctx.list("Pod", None) {
            let meta = object.meta();
            let key = format!(
                "{POD_PREFIX}{}/{}",
                meta.namespace.as_deref().unwrap_or(""),
                meta.name.as_deref().unwrap_or("")
            );
            self.insert(&key, object);
        }
    }

    /// Makes sure the ReplicaSet `uid` in `namespace` with `selector` and template labels
    /// `template` has a tally, counted afresh when it is new or its selector or template changed.
    pub fn refresh_tally(
        &mut self,
        uid: &str,
        namespace: &str,
        selector: &LabelSelector,
        template: &BTreeMap<String, String>,
    ) {
        let stale = self.tallies.get(uid).is_none_or(|t| {
            t.namespace != namespace || &t.selector != selector || &t.template != template
        });
        if stale {
            let mut t = Tally {
                namespace: namespace.to_string(),
                selector: selector.clone(),
                template: template.clone(),
                matched: BTreeSet::new(),
                mismatched: BTreeSet::new(),
                fully_labeled: 0,
                ready: 0,
            };
            let slot = (namespace.to_string(), uid.to_string());
            for key in self.controlled.get(&slot).into_iter().flatten() {
                if let Some(pod) = self.pods.get(key).and_then(|o| as_pod(o)) {
                    t.count(key, pod, 1);
                }
            }
            self.tallies.insert(uid.to_string(), t);
        }
    }

    /// The tally of the ReplicaSet `uid`, once [`ReplicaSetPods::refresh_tally`] made it.
    pub fn tally(&self, uid: &str) -> Option<&Tally> {
        self.tallies.get(uid)
    }

    /// Forgets the tally of a ReplicaSet that is gone.
    pub fn forget(&mut self, uid: &str) {
        self.tallies.remove(uid);
    }

    /// The keys of the pods the tally of ReplicaSet `uid` claims (none without a tally).
    pub fn matched(&self, uid: &str) -> impl Iterator<Item = &String> {
        self.tallies
            .get(uid)
            .into_iter()
            .flat_map(|t| t.matched.iter())
    }

    /// The active orphans of `namespace`, by key.
    pub fn orphans(&self, namespace: &str) -> impl Iterator<Item = &String> {
        self.orphans.get(namespace).into_iter().flatten()
    }

    /// The active pod at `key`.
    pub fn pod(&self, key: &str) -> Option<&Arc<Object>> {
        self.pods.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodCondition, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const UID: &str = "rs-uid";

    fn pod(labels: &[(&str, &str)], ready: bool, phase: &str) -> Arc<Object> {
        Arc::new(Object::from(Pod {
            metadata: ObjectMeta {
                name: Some("web-1".into()),
                namespace: Some("default".into()),
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                owner_references: Some(vec![OwnerReference {
                    api_version: "apps/v1".into(),
                    kind: "ReplicaSet".into(),
                    name: "web".into(),
                    uid: UID.into(),
                    controller: Some(true),
                    ..OwnerReference::default()
                }]),
                ..ObjectMeta::default()
            },
            spec: None,
            status: Some(PodStatus {
                phase: Some(phase.into()),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: if ready { "True" } else { "False" }.into(),
                    ..PodCondition::default()
                }]),
                ..PodStatus::default()
            }),
        }))
    }

    fn change(type_: WatchEventType, object: Arc<Object>) -> Change {
        Change {
            revision: 1,
            type_,
            key: Arc::from("/registry/pods/default/web-1"),
            object,
            old: None,
            writer: Arc::from("test"),
        }
    }

    fn counts(index: &ReplicaSetPods) -> (usize, usize, usize, usize) {
        let t = index.tally(UID).expect("a tally");
        (
            t.matched.len(),
            t.mismatched.len(),
            t.fully_labeled,
            t.ready,
        )
    }

    #[test]
    fn status_and_label_changes_keep_the_tally_as_a_fresh_count_would() {
        use WatchEventType::{Added, Deleted, Modified};
        let selector = LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            ..LabelSelector::default()
        };
        let template: BTreeMap<String, String> = [("app", "web"), ("tier", "front")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut index = ReplicaSetPods::default();
        index.refresh_tally(UID, "default", &selector, &template);
        let labels = [("app", "web"), ("tier", "front")];

        index.apply(&change(Added, pod(&labels, false, "Pending")));
        assert_eq!(counts(&index), (1, 0, 1, 0));
        // The kubelet's status writes: Ready, then not Ready, then Ready again.
        index.apply(&change(Modified, pod(&labels, true, "Running")));
        assert_eq!(counts(&index), (1, 0, 1, 1));
        index.apply(&change(Modified, pod(&labels, false, "Running")));
        assert_eq!(counts(&index), (1, 0, 1, 0));
        index.apply(&change(Modified, pod(&labels, true, "Running")));
        assert_eq!(counts(&index), (1, 0, 1, 1));
        // A template label removed: still claimed and Ready, no longer fully labeled.
        index.apply(&change(Modified, pod(&[("app", "web")], true, "Running")));
        assert_eq!(counts(&index), (1, 0, 0, 1));
        // Relabelled out of the selector: released, so no longer counted as Ready.
        index.apply(&change(Modified, pod(&[("app", "db")], true, "Running")));
        assert_eq!(counts(&index), (0, 1, 0, 0));
        // Back in, then finished (no longer active), then gone.
        index.apply(&change(Modified, pod(&labels, true, "Running")));
        assert_eq!(counts(&index), (1, 0, 1, 1));
        index.apply(&change(Modified, pod(&labels, false, "Succeeded")));
        assert_eq!(counts(&index), (0, 0, 0, 0));
        assert!(index.pod("/registry/pods/default/web-1").is_none());
        index.apply(&change(Deleted, pod(&labels, false, "Succeeded")));
        assert_eq!(counts(&index), (0, 0, 0, 0));

        // Each state counted afresh gives the same tally as the changes did.
        let mut fresh = ReplicaSetPods::default();
        fresh.apply(&change(Added, pod(&[("app", "web")], true, "Running")));
        fresh.refresh_tally(UID, "default", &selector, &template);
        assert_eq!(counts(&fresh), (1, 0, 0, 1));
    }
}
