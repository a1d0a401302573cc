//! The garbage collector's ownership graph (upstream `garbagecollector/graph_builder.go`'s
//! `uidToNode`): for every object of the kinds that own or are owned, the UIDs its
//! ownerReferences name; for every UID, its dependents; which objects are being deleted with the
//! `orphan` or `foreground` finalizer; and which dependents may have lost every owner since they
//! were last looked at. It follows the store's change feed, so a scan sees the store as it is
//! at that moment — as the full scans it replaces did — while costing only what changed.

use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use crate::apiserver::server::{FOREGROUND_FINALIZER, ORPHAN_FINALIZER};
use crate::component::Ctx;
use crate::controllers::set_member::set_member;
use crate::hash_index::HashIndex;
use crate::object::{kind_info, KindInfo, Object};
use crate::store::{Change, FeedId, WatchEventType};

/// An object in the graph: the index of its kind in the collector's kind list, then its etcd
/// key — the order a scan visits objects in (kind by kind, each listed by key). The key is the
/// store's own, shared: the graph holds it three times for every object.
pub type Slot = (usize, Arc<str>);

/// What the collector knows about ownership, kept current from the change feed.
#[derive(Debug, Default)]
pub struct OwnerGraph {
    /// The kinds, in scan order.
    kinds: Vec<&'static KindInfo>,
    /// The etcd key prefix of each kind (`/registry/pods/`), by kind index.
    prefixes: Vec<String>,
    /// The store's change feed the graph follows; `None` until the first sync.
    feed: Option<FeedId>,
    /// The owner UIDs each object's ownerReferences name.
    owners: HashIndex<Slot, Vec<String>>,
    /// The objects naming each UID as an owner.
    dependents: HashIndex<String, BTreeSet<Slot>>,
    /// Every object of the kinds, by UID.
    live: HashIndex<String, Slot>,
    /// Objects being deleted with the `orphan` or `foreground` finalizer.
    deleting: BTreeSet<Slot>,
    /// Objects with owners that may all be gone: added or changed while none of their owners
    /// was in the graph, or one of their owners was deleted, since a scan last looked at them
    /// (upstream's graph builder likewise queues a dependent for `attemptToDelete` only when an
    /// owner is absent, or is deleted).
    suspects: BTreeSet<Slot>,
}

fn has_finalizer(obj: &Object, f: &str) -> bool {
    obj.meta().finalizers.iter().flatten().any(|x| x == f)
}

impl OwnerGraph {
    /// An empty graph over `kinds` (in scan order); it fills on its first [`OwnerGraph::sync`].
    pub fn new(kinds: &[&str]) -> OwnerGraph {
        let kinds: Vec<&'static KindInfo> = kinds.iter().filter_map(|k| kind_info(k)).collect();
        OwnerGraph {
            prefixes: kinds.iter().map(|info| info.prefix(None)).collect(),
            kinds,
            ..OwnerGraph::default()
        }
    }

    fn kind_of(&self, key: &str) -> Option<usize> {
        self.prefixes
            .iter()
            .position(|p| key.starts_with(p.as_str()))
    }

    /// Whether an owner one of `refs` names (from an object in `namespace`) is certainly there:
    /// an object of the graph's kinds with that kind, name and UID, or a kind the simulation
    /// does not serve (the collector never collects on its account). Owners of other served
    /// kinds are looked up by the scan.
    fn some_owner_present(&self, namespace: Option<&str>, refs: &[OwnerReference]) -> bool {
        refs.iter().any(|r| {
            let Some(info) = kind_info(&r.kind) else {
                return true;
            };
            let Some(kind) = self.kinds.iter().position(|k| k.kind == info.kind) else {
                return false;
            };
            self.live
                .get(&r.uid)
                .is_some_and(|(k, key)| *k == kind && **key == *info.key(namespace, &r.name))
        })
    }

    /// Records an object's current state (`present` false: it is gone).
    fn observe(&mut self, slot: Slot, object: &Object, present: bool) {
        let meta = object.meta();
        let refs = meta.owner_references.as_deref().unwrap_or_default();
        // Most changes are status writes that keep the owners: the edges stay as they are
        // (upstream's graph builder, too, acts on an update only when its references differ).
        let same_edges = present
            && self.owners.get(&slot).is_some_and(|uids| {
                uids.len() == refs.len() && uids.iter().zip(refs).all(|(u, r)| *u == r.uid)
            })
            && meta
                .uid
                .as_deref()
                .is_some_and(|uid| self.live.get(uid) == Some(&slot));
        if same_edges {
            self.observe_state(&slot, object, refs);
            return;
        }
        for uid in self.owners.remove(&slot).unwrap_or_default() {
            if let Some(deps) = self.dependents.get_mut(&uid) {
                deps.remove(&slot);
                if deps.is_empty() {
                    self.dependents.remove(&uid);
                }
            }
        }
        if let Some(uid) = meta.uid.as_deref() {
            if present {
                self.live.insert(uid.to_string(), slot.clone());
            } else if self.live.get(uid) == Some(&slot) {
                self.live.remove(uid);
            }
        }
        if !present {
            self.deleting.remove(&slot);
            self.suspects.remove(&slot);
            return;
        }
        if refs.is_empty() {
            self.observe_state(&slot, object, refs);
            return;
        }
        let uids: Vec<String> = refs.iter().map(|r| r.uid.clone()).collect();
        for uid in &uids {
            self.dependents
                .entry(uid.clone())
                .or_default()
                .insert(slot.clone());
        }
        self.observe_state(&slot, object, refs);
        self.owners.insert(slot, uids);
    }

    /// Whether a present object is being deleted with the orphan or foreground finalizer, and
    /// whether it is a suspect (it has owners and none of them is present).
    fn observe_state(&mut self, slot: &Slot, object: &Object, refs: &[OwnerReference]) {
        let meta = object.meta();
        let deleting = meta.deletion_timestamp.is_some()
            && (has_finalizer(object, ORPHAN_FINALIZER)
                || has_finalizer(object, FOREGROUND_FINALIZER));
        set_member(&mut self.deleting, slot, deleting);
        let suspect = !refs.is_empty() && !self.some_owner_present(meta.namespace.as_deref(), refs);
        set_member(&mut self.suspects, slot, suspect);
    }

    fn apply(&mut self, change: &Change) {
        if let Some(kind) = self.kind_of(&change.key) {
            let present = change.type_ != WatchEventType::Deleted;
            self.observe((kind, Arc::clone(&change.key)), &change.object, present);
        }
        if change.type_ == WatchEventType::Deleted {
            if let Some(deps) = change
                .object
                .meta()
                .uid
                .as_deref()
                .and_then(|uid| self.dependents.get(uid))
            {
                self.suspects.extend(deps.iter().cloned());
            }
        }
    }

    /// Catches up with the store, applying at most `budget` of the changes the feed brought
    /// (and counting them off it); the first time, opens the feed and lists every object of
    /// the kinds. Whether changes are left in the feed.
    pub fn sync(&mut self, ctx: &mut Ctx<'_>, budget: &mut usize) -> bool {
        if let Some(feed) = self.feed {
            let changes = ctx.read_feed(feed, *budget);
            *budget -= changes.len();
            for change in &changes {
                self.apply(change);
            }
            return ctx.feed_len(feed) > 0;
        }
        self.feed = Some(ctx.open_feed(self.prefixes.clone()));
        for (i, info) in self.kinds.clone().into_iter().enumerate() {
            for object in ctx.list(info.kind, None) {
                let meta = object.meta();
                let key = info.key(
                    meta.namespace.as_deref(),
                    meta.name.as_deref().unwrap_or(""),
                );
                self.observe((i, key.into()), &object, true);
            }
        }
        false
    }

    /// The objects being deleted with the `orphan` or `foreground` finalizer, in scan order.
    pub fn deleting(&self) -> Vec<Slot> {
        self.deleting.iter().cloned().collect()
    }

    /// The objects naming `uid` as an owner, in scan order.
    pub fn dependents(&self, uid: &str) -> Vec<Slot> {
        self.dependents
            .get(uid)
            .map(|d| d.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether any object names `uid` as an owner.
    pub fn has_dependents(&self, uid: &str) -> bool {
        self.dependents.contains_key(uid)
    }

    /// Takes the first suspect after `after` (from the start when `None`), in scan order.
    pub fn take_suspect_after(&mut self, after: Option<&Slot>) -> Option<Slot> {
        let next = match after {
            None => self.suspects.iter().next().cloned(),
            Some(a) => self
                .suspects
                .range((Bound::Excluded(a), Bound::Unbounded))
                .next()
                .cloned(),
        }?;
        self.suspects.remove(&next);
        Some(next)
    }
}
