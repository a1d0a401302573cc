//! Watches on the store: what a watcher asks for ([`WatchFilter`]), what it receives
//! ([`WatchEvent`]), and the index that routes each change only to the watchers that can want it.
//!
//! Routing follows the API server's watch cache (`k8s.io/apiserver/pkg/storage/cacher`): watchers
//! without a field selector are found by key prefix, watchers with the kubelet's
//! `spec.nodeName=<node>` selector are found by node name (upstream's `NodeNameTriggerFunc`), so a
//! change costs a few map look-ups however many thousands of watchers exist.
//!
//! Field-selector semantics are upstream's `cacheWatcher.convertToWatchEvent`: an event is
//! delivered when the new object or the previous one matches the selector, and its type is
//! rewritten from the watcher's point of view:
//!
//! | old matches | new matches | delivered as |
//! |---|---|---|
//! | no  | yes | `ADDED` (e.g. a pod just bound to this node) |
//! | yes | yes | `MODIFIED` |
//! | yes | no  | `DELETED`, carrying the old object with the event's resourceVersion |
//! | no  | no  | nothing |
//!
//! A deletion never matches as "new", so it reaches exactly the watchers the last state matched.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use crate::hash_index::HashIndex;
use crate::object::Object;
use crate::text::prefix_bytes;

use super::Change;

/// The handle of one watch, returned by [`Store::watch`](super::Store::watch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WatchId(pub u64);

/// What happened to an object (`watch.EventType` without the protocol-only `BOOKMARK` and
/// `ERROR`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum WatchEventType {
    /// The object appeared (created, or started matching the watcher's filter).
    Added,
    /// The object changed.
    Modified,
    /// The object was deleted (or stopped matching the watcher's filter).
    Deleted,
}

impl WatchEventType {
    /// The type as the API and `kubectl get -w --output-watch-events` spell it: `ADDED`,
    /// `MODIFIED`, `DELETED`.
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventType::Added => "ADDED",
            WatchEventType::Modified => "MODIFIED",
            WatchEventType::Deleted => "DELETED",
        }
    }
}

/// One change as one watcher sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchEvent {
    /// The change's type from this watcher's point of view (see the module docs).
    pub type_: WatchEventType,
    /// The store revision of the change; equals `object.metadata.resourceVersion`.
    pub revision: i64,
    /// The etcd key, e.g. `/registry/pods/default/nginx` (shared with the change's other
    /// events).
    pub key: Arc<str>,
    /// The object after the change; for `DELETED`, its last state with the deletion's
    /// resourceVersion (as the API server sends it).
    pub object: Arc<Object>,
    /// The object before the change as stored, for `MODIFIED` and `DELETED`; `None` for `ADDED`.
    /// (Real watch events carry no old object; informers keep it in their cache.)
    pub old: Option<Arc<Object>>,
}

/// What a watcher wants to see.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct WatchFilter {
    /// Only keys starting with this, e.g. `/registry/pods/` or `/registry/pods/default/`.
    /// An empty prefix watches everything.
    pub prefix: String,
    /// The field selector `spec.nodeName=<node>`: only pods bound to this node (`Some("")`
    /// selects unbound pods, like `spec.nodeName=`). Objects other than pods never match a
    /// node filter (the field does not exist on them). `None` means no field selector.
    pub node_name: Option<String>,
}

impl WatchFilter {
    /// Every key under `prefix`, no field selector.
    pub fn prefix(prefix: impl Into<String>) -> WatchFilter {
        WatchFilter {
            prefix: prefix.into(),
            node_name: None,
        }
    }

    /// The kubelet's pod watch: pods in every namespace with `spec.nodeName=<node>`.
    pub fn pods_on_node(node: impl Into<String>) -> WatchFilter {
        WatchFilter {
            prefix: "/registry/pods/".to_string(),
            node_name: Some(node.into()),
        }
    }

    /// Whether the object stored at `key` matches this filter.
    pub fn matches(&self, key: &str, object: &Object) -> bool {
        if !key.starts_with(&self.prefix) {
            return false;
        }
        match &self.node_name {
            None => true,
            Some(node) => pod_node_name(object).is_some_and(|n| n == node),
        }
    }
}

/// A pod's `spec.nodeName` as a field selector sees it (`""` when unset); `None` for objects
/// that are not pods.
pub fn pod_node_name(object: &Object) -> Option<&str> {
    match object {
        Object::Pod(pod) => Some(
            pod.spec
                .as_ref()
                .and_then(|s| s.node_name.as_deref())
                .unwrap_or(""),
        ),
        _ => None,
    }
}

/// One watcher's state: its filter and the events it has not polled yet.
#[derive(Debug)]
struct Watcher {
    filter: WatchFilter,
    pending: VecDeque<WatchEvent>,
    open: bool,
}

/// Every watcher, indexed by prefix (no field selector) and by node name (pod watches with a
/// `spec.nodeName` selector). The tables only ever answered "what is under this key" (none is
/// read in order), so the ones looked up at every change are [`HashIndex`]es: at 5,000 nodes a
/// `BTreeMap` look-up of a node name or a watcher's id was a dozen comparisons behind as many
/// pointers.
#[derive(Debug, Default)]
pub(crate) struct Watchers {
    next_id: u64,
    max_pending: usize,
    watchers: HashIndex<WatchId, Watcher>,
    /// Watchers without a node filter, by exact prefix.
    by_prefix: BTreeMap<String, BTreeSet<WatchId>>,
    /// Watchers with a node filter, by node name.
    by_node: HashIndex<String, BTreeSet<WatchId>>,
    /// Watchers that received events since the last `take_ready_into`, in the order they did, an id
    /// once for each run of events in a row (a change's watchers each get one): a push per
    /// event where a set took a tree insertion, sorted and deduplicated when taken.
    ready: Vec<WatchId>,
    /// By key directory (a key up to its last `/`, `/registry/pods/default/`): the watchers of
    /// every registered prefix of it, shortest prefix first. These are a change's watchers but
    /// for prefixes longer than its directory (a single object's key), which are rare, so most
    /// changes find their watchers with one look-up here and one in `by_prefix`. Emptied
    /// whenever `by_prefix` changes, and at [`MAX_DIRS`] directories.
    by_dir: HashIndex<String, Vec<WatchId>>,
    /// The list [`Watchers::dispatch`] gathers a change's watchers in, kept between changes.
    targets: Vec<(WatchId, WatchEventType, bool)>,
}

/// How many directories [`Watchers`] remembers the prefix watchers of.
const MAX_DIRS: usize = 256;

impl Watchers {
    /// An empty index whose watchers close once `max_pending` events wait unpolled.
    pub(crate) fn new(max_pending: usize) -> Watchers {
        Watchers {
            max_pending,
            ..Watchers::default()
        }
    }

    /// Registers a watcher with events it must see first (a replay), returning its id.
    pub(crate) fn add(&mut self, filter: WatchFilter, replay: VecDeque<WatchEvent>) -> WatchId {
        let id = WatchId(self.next_id);
        self.next_id += 1;
        let open = replay.len() <= self.max_pending;
        if open {
            self.index(id, &filter);
        }
        if !replay.is_empty() {
            self.mark_ready(id);
        }
        self.watchers.insert(
            id,
            Watcher {
                filter,
                pending: replay,
                open,
            },
        );
        id
    }

    fn index(&mut self, id: WatchId, filter: &WatchFilter) {
        match &filter.node_name {
            Some(node) => {
                self.by_node.entry(node.clone()).or_default().insert(id);
            }
            None => {
                self.by_prefix
                    .entry(filter.prefix.clone())
                    .or_default()
                    .insert(id);
                self.by_dir.clear();
            }
        }
    }

    fn unindex(&mut self, id: WatchId, filter: &WatchFilter) {
        match &filter.node_name {
            Some(node) => {
                if let Some(ids) = self.by_node.get_mut(node) {
                    ids.remove(&id);
                    if ids.is_empty() {
                        self.by_node.remove(node);
                    }
                }
            }
            None => {
                let Some(ids) = self.by_prefix.get_mut(&filter.prefix) else {
                    return;
                };
                ids.remove(&id);
                if ids.is_empty() {
                    self.by_prefix.remove(&filter.prefix);
                }
                self.by_dir.clear();
            }
        }
    }

    /// Removes a watcher; false if it did not exist.
    pub(crate) fn remove(&mut self, id: WatchId) -> bool {
        match self.watchers.remove(&id) {
            Some(w) => {
                if w.open {
                    self.unindex(id, &w.filter);
                }
                true
            }
            None => false,
        }
    }

    /// Takes every pending event of a watcher, oldest first.
    pub(crate) fn poll(&mut self, id: WatchId) -> Vec<WatchEvent> {
        self.poll_up_to(id, usize::MAX)
    }

    /// Takes at most `max` of a watcher's pending events, oldest first.
    pub(crate) fn poll_up_to(&mut self, id: WatchId, max: usize) -> Vec<WatchEvent> {
        self.watchers
            .get_mut(&id)
            .map(|w| {
                let n = w.pending.len().min(max);
                w.pending.drain(..n).collect()
            })
            .unwrap_or_default()
    }

    /// How many events wait for a watcher.
    pub(crate) fn pending(&self, id: WatchId) -> usize {
        self.watchers.get(&id).map_or(0, |w| w.pending.len())
    }

    /// Whether a watcher exists and still receives changes.
    pub(crate) fn is_open(&self, id: WatchId) -> bool {
        self.watchers.get(&id).is_some_and(|w| w.open)
    }

    /// How many watchers exist (open or closed).
    pub(crate) fn len(&self) -> usize {
        self.watchers.len()
    }

    /// Delivers one change to every watcher it concerns, exactly once each.
    pub(crate) fn dispatch(&mut self, change: &Change) {
        let key: &str = &change.key;
        let mut targets = std::mem::take(&mut self.targets);

        // Watchers without a field selector: those of every registered prefix of the key,
        // shortest first: the directory's, then any longer ones.
        let dir = &key[..key.rfind('/').map_or(0, |i| i + 1)];
        if !self.by_dir.contains_key(dir) {
            let ids: Vec<WatchId> = self
                .prefixes_of(dir, None)
                .into_iter()
                .rev()
                .flatten()
                .copied()
                .collect();
            if self.by_dir.len() >= MAX_DIRS {
                self.by_dir.clear();
            }
            self.by_dir.insert(dir.to_string(), ids);
        }
        let in_dir = self.by_dir.get(dir).map_or(&[][..], Vec::as_slice);
        targets.extend(in_dir.iter().map(|&id| (id, change.type_, false)));
        for ids in self.prefixes_of(key, Some(dir.len())).into_iter().rev() {
            targets.extend(ids.iter().map(|&id| (id, change.type_, false)));
        }

        // Watchers with a node selector: only the nodes of the old and new pod.
        if !self.by_node.is_empty() {
            let (new_node, old_node) = nodes_of(change);
            let old_node = old_node.filter(|old| Some(*old) != new_node);
            for node in new_node.into_iter().chain(old_node) {
                let Some(ids) = self.by_node.get(node) else {
                    continue;
                };
                for &id in ids {
                    if let Some((type_, rewrite_old)) =
                        self.watchers.get(&id).and_then(|w| view(&w.filter, change))
                    {
                        targets.push((id, type_, rewrite_old));
                    }
                }
            }
        }

        for (id, type_, rewrite_old) in targets.drain(..) {
            let event = watcher_event(change, type_, rewrite_old);
            self.deliver(id, event);
        }
        self.targets = targets;
    }

    /// The watchers of each registered prefix of `key` (only those longer than `longer_than`
    /// bytes, if given), longest prefix first. Rather than probing every length, it asks the
    /// index for the greatest prefix not after a bound, starting from the key itself: a
    /// registered prefix of the key is never after the key, so the answer either is one (then
    /// the next are shorter than it) or shares with the key a start that every remaining one is
    /// a prefix of. A few range look-ups per change, however many prefixes (one per node's
    /// Lease and Node, …) are registered, and one when none is longer than `longer_than`.
    fn prefixes_of(&self, key: &str, longer_than: Option<usize>) -> Vec<&BTreeSet<WatchId>> {
        // Whether every prefix left (none longer than `len`) is too short.
        let done = |len: usize| longer_than.is_some_and(|min| len <= min);
        let mut found = Vec::new();
        let mut bound = key;
        while let Some((prefix, ids)) = self
            .by_prefix
            .range::<str, _>((Bound::Unbounded, Bound::Included(bound)))
            .next_back()
        {
            let end = if key.starts_with(prefix.as_str()) {
                if done(prefix.len()) {
                    break;
                }
                found.push(ids);
                if prefix.is_empty() {
                    break;
                }
                prefix.len() - 1
            } else {
                prefix
                    .bytes()
                    .zip(key.bytes())
                    .take_while(|(a, b)| a == b)
                    .count()
            };
            if done(end) {
                break;
            }
            bound = prefix_bytes(key, end);
        }
        found
    }

    fn deliver(&mut self, id: WatchId, event: WatchEvent) {
        let Some(w) = self.watchers.get_mut(&id) else {
            return;
        };
        if !w.open {
            return;
        }
        if w.pending.len() >= self.max_pending {
            // Like the cacher terminating a watcher that cannot keep up: it stops receiving
            // changes; its client re-watches from the last revision it saw (or re-lists on 410).
            w.open = false;
            let filter = w.filter.clone();
            self.unindex(id, &filter);
            return;
        }
        w.pending.push_back(event);
        self.mark_ready(id);
    }

    fn mark_ready(&mut self, id: WatchId) {
        if self.ready.last() != Some(&id) {
            self.ready.push(id);
            // A store nobody takes the ready list from (no cluster driving it) still holds
            // each watcher's id at most a few times.
            if self.ready.len() > 4 * self.watchers.len() + 64 {
                self.ready.sort_unstable();
                self.ready.dedup();
            }
        }
    }

    /// How many ids the ready list holds (repeats included).
    #[cfg(test)]
    pub(crate) fn ready_len(&self) -> usize {
        self.ready.len()
    }

    /// The watchers that received events since the last call, in id order, each once, into
    /// `out` (cleared first).
    pub(crate) fn take_ready_into(&mut self, out: &mut Vec<WatchId>) {
        out.clear();
        out.append(&mut self.ready);
        out.sort_unstable();
        out.dedup();
    }
}

/// The node names (as the `spec.nodeName` selector sees them) of a change's new and old object.
fn nodes_of(change: &Change) -> (Option<&str>, Option<&str>) {
    let new_node = if change.type_ == WatchEventType::Deleted {
        None
    } else {
        pod_node_name(&change.object)
    };
    (new_node, change.old.as_deref().and_then(pod_node_name))
}

/// How a watcher with `filter` sees a change: the event type it receives and whether the object
/// must be the old state re-stamped (it left the selector), or `None` if it does not see it.
pub(crate) fn view(filter: &WatchFilter, change: &Change) -> Option<(WatchEventType, bool)> {
    if !change.key.starts_with(&filter.prefix) {
        return None;
    }
    let Some(node) = filter.node_name.as_deref() else {
        return Some((change.type_, false));
    };
    let (new_node, old_node) = nodes_of(change);
    let new_passes = new_node == Some(node);
    let old_passes = old_node == Some(node);
    match (old_passes, new_passes) {
        (false, true) => Some((WatchEventType::Added, false)),
        (true, true) => Some((WatchEventType::Modified, false)),
        (true, false) if change.type_ == WatchEventType::Deleted => {
            Some((WatchEventType::Deleted, false))
        }
        (true, false) => Some((WatchEventType::Deleted, true)),
        (false, false) => None,
    }
}

/// The event a watcher receives for a change, given the type it sees.
pub(crate) fn watcher_event(
    change: &Change,
    type_: WatchEventType,
    rewrite_old: bool,
) -> WatchEvent {
    let (object, old) = match (type_, rewrite_old) {
        // The pod left this watcher's selector: a DELETED carrying its previous state, stamped
        // with the change's resourceVersion (upstream `updateResourceVersion`).
        (_, true) => {
            let prev = change.old.as_deref().unwrap_or(&change.object);
            let mut gone = prev.clone();
            gone.meta_mut().resource_version = Some(change.revision.to_string());
            (Arc::new(gone), change.old.clone())
        }
        (WatchEventType::Added, false) => (Arc::clone(&change.object), None),
        _ => (Arc::clone(&change.object), change.old.clone()),
    };
    WatchEvent {
        type_,
        revision: change.revision,
        key: change.key.clone(),
        object,
        old,
    }
}
