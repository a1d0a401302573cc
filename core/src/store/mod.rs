//! The etcd behind the simulated API server: a revisioned key-value store of API objects with
//! watches, a bounded change log and a bounded per-key history.
//!
//! It behaves like etcd as the API server uses it:
//!
//! * One global revision counts every write. A fresh store is at revision 1 (as a fresh etcd);
//!   the first write is revision 2. Every key remembers its `create_revision`, `mod_revision` and
//!   `version` (writes since creation), and every write stamps `metadata.resourceVersion` with
//!   the write's revision.
//! * Updates and deletes may be conditional on a resourceVersion (optimistic concurrency); an
//!   update that changes nothing is not written at all (no new revision, no watch event), as the
//!   API server's `GuaranteedUpdate` skips identical writes.
//! * Watches start from a revision and deliver every later change exactly once, in revision
//!   order, as in the API server's watch cache: from `n` means changes *after* `n`. The change
//!   log that replays come from keeps the last `log_capacity` revisions; asking for anything
//!   older is `410 Expired` (`too old resource version: 5 (10)`).
//!
//! Values are `Arc<Object>`: watchers, the change log and the history share one allocation per
//! revision. The store's own entry keeps an Event packed instead (`packed_event.rs`): a
//! cluster's Events are most of its objects, and the typed form of each goes once the change
//! log, the history and the watchers are done with it.

mod history;
mod packed_event;
mod watch;

pub use history::{line_diff, render, DiffLine, History, HistoryEntry, HistorySlot};
pub use watch::{pod_node_name, WatchEvent, WatchEventType, WatchFilter, WatchId};

use std::cell::OnceCell;
use std::collections::{hash_map, BTreeSet, VecDeque};
use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use crate::apiserver::{ApiError, Reason};
use crate::hash_index::{self, HashIndex};
use crate::object::{kind_position, KindInfo, Object, KINDS};

use packed_event::PackedEvent;
use watch::Watchers;

/// Sizes of the store's bounded buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreConfig {
    /// How many revisions the change log keeps for watch replays; older ones are compacted.
    /// Default 10,000.
    pub log_capacity: usize,
    /// How many revisions of each key the history keeps. Default 16.
    pub history_per_key: usize,
    /// How many history entries are kept in all (the oldest writes go first). Default 20,000:
    /// about the last 20,000 writes, each a whole object (10 KB and more for a Pod in memory),
    /// so at 150,000 pods the history stays at a few hundred MB rather than a GB.
    pub history_total: usize,
    /// For how many deleted keys the history is kept (the longest-deleted go first).
    /// Default 1,000.
    pub tombstoned_keys: usize,
    /// How many events may wait unpolled for one watcher before the store closes the watch (as
    /// the API server drops a watcher that cannot keep up). Default 100,000.
    pub max_pending_per_watcher: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            log_capacity: 10_000,
            history_per_key: 16,
            history_total: 20_000,
            tombstoned_keys: 1_000,
            max_pending_per_watcher: 100_000,
        }
    }
}

/// Why a store operation failed. [`StoreError::to_api_error`] gives the API server's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// Create: the key already holds an object (409 AlreadyExists).
    AlreadyExists {
        /// The etcd key.
        key: String,
    },
    /// Update or delete: the key holds no object (404 NotFound).
    NotFound {
        /// The etcd key.
        key: String,
    },
    /// Update: the given resourceVersion is not the object's current one (409 Conflict,
    /// `the object has been modified; …`).
    Conflict {
        /// The etcd key.
        key: String,
        /// The resourceVersion the writer had.
        expected: String,
        /// The object's current resourceVersion.
        current: i64,
    },
    /// Delete: the resourceVersion precondition does not hold (409 Conflict carrying the
    /// storage layer's `Precondition failed: …` text).
    PreconditionFailed {
        /// The etcd key.
        key: String,
        /// The resourceVersion in the precondition.
        expected: String,
        /// The object's current resourceVersion.
        current: i64,
    },
    /// Watch: the revision is older than the compacted revision (410 Expired).
    TooOldResourceVersion {
        /// The revision asked for.
        requested: i64,
        /// The newest revision the change log no longer holds.
        compacted: i64,
    },
    /// Watch: the revision is newer than the store's (504 Timeout after the API server waited
    /// for it in vain).
    TooLargeResourceVersion {
        /// The revision asked for.
        requested: i64,
        /// The store's current revision.
        current: i64,
    },
}

impl StoreError {
    /// The API server's error for this failure on `resource` (`pods`) named `name`, with the
    /// exact upstream texts.
    pub fn to_api_error(&self, resource: &str, name: &str) -> ApiError {
        match self {
            StoreError::AlreadyExists { .. } => ApiError::already_exists(resource, name),
            StoreError::NotFound { .. } => ApiError::not_found(resource, name),
            StoreError::Conflict { .. } => ApiError::stale(resource, name),
            StoreError::PreconditionFailed {
                key,
                expected,
                current,
            } => ApiError::conflict(
                resource,
                name,
                // storage.NewInvalidObjError (code 4) wrapped by InterpretDeleteError.
                &format!(
                    "StorageError: invalid object, Code: 4, Key: {key}, ResourceVersion: 0, \
                     AdditionalErrorMsg: Precondition failed: ResourceVersion in precondition: \
                     {expected}, ResourceVersion in object meta: {current}"
                ),
            ),
            StoreError::TooOldResourceVersion { .. } => {
                ApiError::new(Reason::Expired, self.to_string())
            }
            StoreError::TooLargeResourceVersion { .. } => {
                ApiError::new(Reason::Timeout, self.to_string())
            }
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::AlreadyExists { key } => write!(f, "key exists: {key}"),
            StoreError::NotFound { key } => write!(f, "key not found: {key}"),
            StoreError::Conflict { key, .. } => write!(f, "resource version conflicts: {key}"),
            StoreError::PreconditionFailed {
                expected, current, ..
            } => write!(
                f,
                "Precondition failed: ResourceVersion in precondition: {expected}, \
                 ResourceVersion in object meta: {current}"
            ),
            StoreError::TooOldResourceVersion {
                requested,
                compacted,
            } => write!(f, "too old resource version: {requested} ({compacted})"),
            StoreError::TooLargeResourceVersion { requested, current } => write!(
                f,
                "Too large resource version: {requested}, current: {current}"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

/// One stored key: the object and etcd's per-key revisions.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The current object (its resourceVersion is `mod_revision`), as [`Entry::object`] gives it.
    value: Value,
    /// The revision that created the key.
    pub create_revision: i64,
    /// The revision of the last write to the key.
    pub mod_revision: i64,
    /// How many writes the key has had since creation (1 after create).
    pub version: i64,
    /// Where the key's history is kept (`None` when the history keeps nothing).
    history: Option<HistorySlot>,
}

impl Entry {
    /// The current object (its resourceVersion is `mod_revision`). A packed Event is unpacked
    /// the first time it is asked for and kept so until its next write.
    pub fn object(&self) -> &Arc<Object> {
        match &self.value {
            Value::Typed(object) => object,
            Value::Packed(packed) => packed.typed.get_or_init(|| packed.unpack()),
        }
    }

    /// The current object, without keeping a packed Event unpacked: for lists and replays,
    /// which read every object once.
    fn to_object(&self) -> Arc<Object> {
        match &self.value {
            Value::Typed(object) => Arc::clone(object),
            Value::Packed(packed) => packed.to_object(),
        }
    }

    /// Whether the object is an Event about an object named `name` (`involvedObject.name`),
    /// read without unpacking a packed Event.
    fn is_event_about(&self, name: &str) -> bool {
        match &self.value {
            Value::Typed(object) => is_event_about(object, name),
            Value::Packed(packed) => packed.event.involved_name() == Some(name),
        }
    }
}

/// Whether `object` is an Event about an object named `name`: the `involvedObject.name` field
/// selector.
pub fn is_event_about(object: &Object, name: &str) -> bool {
    matches!(object, Object::Event(e) if e.involved_object.name.as_deref() == Some(name))
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.create_revision == other.create_revision
            && self.mod_revision == other.mod_revision
            && self.version == other.version
            && self.history == other.history
            && self.object() == other.object()
    }
}

/// How an [`Entry`] holds its object.
#[derive(Debug, Clone)]
enum Value {
    /// As written, shared with the write's change, watch events and history.
    Typed(Arc<Object>),
    /// An Event in its compact form (see [`PackedEvent`]): most of a cluster's objects, held
    /// for as long as the key lives while the typed object goes with the change log.
    Packed(Box<Packed>),
}

impl Value {
    /// How the store keeps `object`: packed if it is an Event that packs, else as it is.
    fn of(object: &Arc<Object>) -> Value {
        if let Object::Event(event) = &**object {
            if let Some(event) = PackedEvent::pack(event) {
                return Value::Packed(Box::new(Packed {
                    event,
                    typed: OnceCell::new(),
                }));
            }
        }
        Value::Typed(Arc::clone(object))
    }

    /// The object, taking it out of the value.
    fn into_object(self) -> Arc<Object> {
        match self {
            Value::Typed(object) => object,
            Value::Packed(packed) => packed.to_object(),
        }
    }
}

/// A packed Event with its typed form once asked for.
#[derive(Debug, Clone)]
struct Packed {
    event: PackedEvent,
    typed: OnceCell<Arc<Object>>,
}

impl Packed {
    /// The Event unpacked anew.
    fn unpack(&self) -> Arc<Object> {
        Arc::new(Object::Event(Box::new(self.event.unpack())))
    }

    /// The typed Event: the one kept if it was asked for, else unpacked anew.
    fn to_object(&self) -> Arc<Object> {
        match self.typed.get() {
            Some(object) => Arc::clone(object),
            None => self.unpack(),
        }
    }
}

/// One committed write, as the change log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The write's revision.
    pub revision: i64,
    /// What the write did.
    pub type_: WatchEventType,
    /// The etcd key (shared: every watch event, feed and log entry of the change carries it).
    pub key: Arc<str>,
    /// The object after the write; for a deletion, its last state stamped with the deletion's
    /// revision.
    pub object: Arc<Object>,
    /// The object before the write (`None` for a creation).
    pub old: Option<Arc<Object>>,
    /// Who wrote it, e.g. `kube-scheduler`.
    pub writer: Arc<str>,
}

/// A feed of the store's changes opened with [`Store::open_feed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedId(usize);

/// A feed's key prefixes and the changes under them its reader has yet to take.
#[derive(Debug)]
struct Feed {
    prefixes: Vec<String>,
    unread: VecDeque<Change>,
}

/// A consistent listing: the objects under a prefix, sorted by key, at one revision.
#[derive(Debug, Clone, PartialEq)]
pub struct List {
    /// The revision the list reflects (the list's resourceVersion); watch from it to follow on.
    pub revision: i64,
    /// The objects, sorted by key.
    pub items: Vec<Arc<Object>>,
}

/// The simulated etcd.
#[derive(Debug)]
pub struct Store {
    config: StoreConfig,
    revision: i64,
    compacted: i64,
    /// The objects by key; the key is shared with `keys` and with every change, watch event and
    /// history entry of it.
    data: HashIndex<Arc<str>, Entry>,
    /// The stored keys in order, for lists (etcd's range reads); `data` answers point reads.
    keys: BTreeSet<Arc<str>>,
    /// How many objects of each kind `data` holds, by position in [`KINDS`]: a list of a kind
    /// with none (ResourceQuotas and LimitRanges at every create's admission, Services at
    /// every pod change) is answered without a search of the keys.
    per_kind: Vec<usize>,
    /// Pod keys by `spec.nodeName` (`""` for unbound), for node-filtered lists.
    pods_by_node: HashIndex<String, BTreeSet<Arc<str>>>,
    log: VecDeque<Change>,
    /// The feeds opened with [`Store::open_feed`], by [`FeedId`].
    feeds: Vec<Feed>,
    history: History,
    watchers: Watchers,
    /// The revision of the last write to a Role, ClusterRole or binding.
    rbac_revision: i64,
    /// The writer of the last change, shared by the next change of the same writer (a
    /// kubelet's Events and status patch of one sync, a controller's batch of creations).
    last_writer: Option<Arc<str>>,
}

impl Default for Store {
    fn default() -> Self {
        Store::new(StoreConfig::default())
    }
}

impl Store {
    /// An empty store at revision 1.
    pub fn new(config: StoreConfig) -> Store {
        Store {
            config,
            revision: 1,
            compacted: 1,
            data: hash_index::new(),
            keys: BTreeSet::new(),
            per_kind: vec![0; KINDS.len()],
            pods_by_node: hash_index::new(),
            log: VecDeque::new(),
            feeds: Vec::new(),
            history: History::new(
                config.history_per_key,
                config.history_total,
                config.tombstoned_keys,
            ),
            watchers: Watchers::new(config.max_pending_per_watcher),
            rbac_revision: 0,
            last_writer: None,
        }
    }

    /// The revision of the last write to a Role, ClusterRole, RoleBinding or ClusterRoleBinding
    /// (0 before any): RBAC decisions made since still hold.
    pub fn rbac_revision(&self) -> i64 {
        self.rbac_revision
    }

    /// The store's sizes.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// The current revision (of the last write; 1 for a fresh store).
    pub fn revision(&self) -> i64 {
        self.revision
    }

    /// The newest revision no longer in the change log: watches may start from it or later.
    pub fn compacted_revision(&self) -> i64 {
        self.compacted
    }

    /// The object at `key`.
    pub fn get(&self, key: &str) -> Option<&Arc<Object>> {
        self.data.get(key).map(Entry::object)
    }

    /// The stored key equal to `key`: the `Arc` the store's entry, its changes and its history
    /// share.
    pub fn shared_key(&self, key: &str) -> Option<Arc<str>> {
        self.data.get_key_value(key).map(|(k, _)| Arc::clone(k))
    }

    /// The object at `key` with its per-key revisions.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.data.get(key)
    }

    /// How many keys hold objects.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the store holds no object.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Whether any object of `kind` is stored.
    pub fn holds_kind(&self, kind: &KindInfo) -> bool {
        kind_position(kind).is_none_or(|at| self.per_kind[at] > 0)
    }

    fn count(&mut self, object: &Object, by: isize) {
        if let Some(at) = kind_position(object.info()) {
            self.per_kind[at] = self.per_kind[at].saturating_add_signed(by);
        }
    }

    /// Every object whose key starts with `prefix`, sorted by key, with the current revision.
    pub fn list(&self, prefix: &str) -> List {
        List {
            revision: self.revision,
            items: self.range(prefix).map(|(_, e)| e.to_object()).collect(),
        }
    }

    /// The Events under `prefix` about an object named `name`, sorted by key, with the current
    /// revision: the API server's `involvedObject.name` field selector, which `kubectl describe`
    /// lists with. Only the Events that match are unpacked.
    pub fn list_events_about(&self, prefix: &str, name: &str) -> List {
        List {
            revision: self.revision,
            items: self
                .range(prefix)
                .filter(|(_, e)| e.is_event_about(name))
                .map(|(_, e)| e.to_object())
                .collect(),
        }
    }

    /// Every object matching `filter`, sorted by key, with the current revision. A node filter
    /// uses the store's node index instead of scanning every pod.
    pub fn list_filtered(&self, filter: &WatchFilter) -> List {
        List {
            revision: self.revision,
            items: self
                .matching(filter)
                .into_iter()
                .map(|(_, e)| e.to_object())
                .collect(),
        }
    }

    /// The stored keys matching `filter`, sorted by key.
    fn matching(&self, filter: &WatchFilter) -> Vec<(&Arc<str>, &Entry)> {
        match &filter.node_name {
            None => self.range(&filter.prefix).collect(),
            Some(node) => self
                .pods_by_node
                .get(node)
                .into_iter()
                .flatten()
                .filter(|k| k.starts_with(&filter.prefix))
                .filter_map(|k| self.data.get_key_value(&**k))
                .collect(),
        }
    }

    /// The stored keys under `prefix` with their entries, in key order.
    fn range<'a, 'p>(
        &'a self,
        prefix: &'p str,
    ) -> impl Iterator<Item = (&'a Arc<str>, &'a Entry)> + use<'a, 'p> {
        self.keys
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |k| k.starts_with(prefix))
            .filter_map(|k| self.data.get_key_value(&**k))
    }

    /// Creates `key`; fails if it exists. Sets `metadata.resourceVersion` to the new revision.
    pub fn create(
        &mut self,
        key: &str,
        mut obj: Object,
        writer: &str,
    ) -> Result<Arc<Object>, StoreError> {
        let vacant = match self.data.entry(Arc::from(key)) {
            hash_map::Entry::Occupied(_) => {
                return Err(StoreError::AlreadyExists {
                    key: key.to_string(),
                })
            }
            hash_map::Entry::Vacant(vacant) => vacant,
        };
        let revision = self.revision + 1;
        obj.meta_mut().resource_version = Some(revision.to_string());
        let object = Arc::new(obj);
        let key = Arc::clone(vacant.key());
        let history = self.history.slot(None, &key);
        self.keys.insert(Arc::clone(&key));
        vacant.insert(Entry {
            value: Value::of(&object),
            create_revision: revision,
            mod_revision: revision,
            version: 1,
            history,
        });
        index_pod(&mut self.pods_by_node, &key, None, Some(&object));
        self.count(&object, 1);
        self.commit(
            WatchEventType::Added,
            key,
            history,
            Arc::clone(&object),
            None,
            writer,
        );
        Ok(object)
    }

    /// Replaces the object at `key`. With a non-empty `expected_resource_version` the update
    /// only happens if it is the object's current one (else [`StoreError::Conflict`]); `None`
    /// or `""` updates unconditionally. An update identical to the stored object is not written
    /// and returns the stored object.
    pub fn update(
        &mut self,
        key: &str,
        mut obj: Object,
        expected_resource_version: Option<&str>,
        writer: &str,
    ) -> Result<Arc<Object>, StoreError> {
        let Some(entry) = self.data.get_mut(key) else {
            return Err(StoreError::NotFound {
                key: key.to_string(),
            });
        };
        if let Some(expected) = expected_resource_version.filter(|rv| !rv.is_empty()) {
            if !same_version(expected, entry.mod_revision) {
                return Err(StoreError::Conflict {
                    key: key.to_string(),
                    expected: expected.to_string(),
                    current: entry.mod_revision,
                });
            }
        }
        obj.meta_mut().resource_version = Some(entry.mod_revision.to_string());
        if unchanged(entry.object(), &obj) {
            return Ok(Arc::clone(entry.object()));
        }
        let revision = self.revision + 1;
        obj.meta_mut().resource_version = Some(revision.to_string());
        let object = Arc::new(obj);
        let old = std::mem::replace(&mut entry.value, Value::of(&object)).into_object();
        entry.mod_revision = revision;
        entry.version += 1;
        let (shared, history) = match self.history.key_of(entry.history, key) {
            // The slot is still the key's: the key as it holds it, the stored key's own `Arc`
            // since the create, not a copy.
            Some(held) => (Arc::clone(held), entry.history),
            // The key's history was forgotten and its slot reused (or none is kept): another.
            None => {
                let shared: Arc<str> = Arc::from(key);
                let slot = self.history.slot(None, &shared);
                (shared, slot)
            }
        };
        entry.history = history;
        index_pod(&mut self.pods_by_node, &shared, Some(&old), Some(&object));
        self.commit(
            WatchEventType::Modified,
            shared,
            history,
            Arc::clone(&object),
            Some(old),
            writer,
        );
        Ok(object)
    }

    /// Deletes `key`, optionally only if its resourceVersion is `expected_resource_version`
    /// (else [`StoreError::PreconditionFailed`]). Returns the object's last state stamped with
    /// the deletion's revision, as the API server returns it and as watchers receive it.
    pub fn delete(
        &mut self,
        key: &str,
        expected_resource_version: Option<&str>,
        writer: &str,
    ) -> Result<Arc<Object>, StoreError> {
        let Some(entry) = self.data.get(key) else {
            return Err(StoreError::NotFound {
                key: key.to_string(),
            });
        };
        if let Some(expected) = expected_resource_version.filter(|rv| !rv.is_empty()) {
            if !same_version(expected, entry.mod_revision) {
                return Err(StoreError::PreconditionFailed {
                    key: key.to_string(),
                    expected: expected.to_string(),
                    current: entry.mod_revision,
                });
            }
        }
        let Some((key, entry)) = self.data.remove_entry(key) else {
            return Err(StoreError::NotFound {
                key: key.to_string(),
            });
        };
        self.keys.remove(&key);
        let revision = self.revision + 1;
        let history = self.history.slot(entry.history, &key);
        let object = entry.value.into_object();
        let mut last = (*object).clone();
        last.meta_mut().resource_version = Some(revision.to_string());
        let tombstone = Arc::new(last);
        index_pod(&mut self.pods_by_node, &key, Some(&object), None);
        self.count(&object, -1);
        self.commit(
            WatchEventType::Deleted,
            key,
            history,
            Arc::clone(&tombstone),
            Some(object),
            writer,
        );
        Ok(tombstone)
    }

    /// Records a write: bumps the revision, remembers it in the history, hands it to the
    /// watchers and appends it to the change log (compacting the oldest if the log is full).
    fn commit(
        &mut self,
        type_: WatchEventType,
        key: Arc<str>,
        history: Option<HistorySlot>,
        object: Arc<Object>,
        old: Option<Arc<Object>>,
        writer: &str,
    ) {
        self.revision += 1;
        // `/registry/roles/`, `/registry/rolebindings/`, `/registry/clusterroles/`, …
        if key.starts_with("/registry/role") || key.starts_with("/registry/clusterrole") {
            self.rbac_revision = self.revision;
        }
        let writer = match &self.last_writer {
            Some(last) if **last == *writer => Arc::clone(last),
            _ => {
                let new: Arc<str> = Arc::from(writer);
                self.last_writer = Some(Arc::clone(&new));
                new
            }
        };
        let change = Change {
            revision: self.revision,
            type_,
            key,
            object,
            old,
            writer,
        };
        if let Some(slot) = history {
            self.history.record_at(
                slot,
                HistoryEntry {
                    revision: change.revision,
                    type_,
                    writer: Arc::clone(&change.writer),
                    object: Arc::clone(&change.object),
                },
            );
        }
        self.watchers.dispatch(&change);
        for feed in &mut self.feeds {
            if feed
                .prefixes
                .iter()
                .any(|p| change.key.starts_with(p.as_str()))
            {
                feed.unread.push_back(change.clone());
            }
        }
        self.log.push_back(change);
        while self.log.len() > self.config.log_capacity {
            if let Some(dropped) = self.log.pop_front() {
                self.compacted = dropped.revision;
            }
        }
    }

    /// Opens a feed of every change from now on under any of `prefixes`, for a reader that
    /// must see each one however many come between its reads — as an informer's event handlers
    /// do (the garbage collector's graph builder, the ReplicaSet controller's pod index). Unlike
    /// a watch it is read synchronously, with no delivery, and unlike the change log it is
    /// never compacted: what its reader has not read stays in memory, so the reader reads it
    /// whenever it handles a watch event of those prefixes.
    pub fn open_feed(&mut self, prefixes: Vec<String>) -> FeedId {
        self.feeds.push(Feed {
            prefixes,
            unread: VecDeque::new(),
        });
        FeedId(self.feeds.len() - 1)
    }

    /// Takes the oldest `max` changes feed `id` has received and its reader has not taken,
    /// oldest first.
    pub fn read_feed(&mut self, id: FeedId, max: usize) -> Vec<Change> {
        let Some(feed) = self.feeds.get_mut(id.0) else {
            return Vec::new();
        };
        let n = max.min(feed.unread.len());
        feed.unread.drain(..n).collect()
    }

    /// How many changes wait in feed `id`.
    pub fn feed_len(&self, id: FeedId) -> usize {
        self.feeds.get(id.0).map_or(0, |feed| feed.unread.len())
    }

    /// Forgets change-log entries up to and including `revision` (as etcd's compaction, which
    /// the API server runs every five minutes); watches from before it fail with 410.
    pub fn compact(&mut self, revision: i64) {
        let revision = revision.min(self.revision);
        while self.log.front().is_some_and(|c| c.revision <= revision) {
            self.log.pop_front();
        }
        self.compacted = self.compacted.max(revision);
    }

    /// The changes after `revision`, oldest first (the global feed behind the UI's timeline).
    pub fn changes_since(
        &self,
        revision: i64,
    ) -> Result<impl Iterator<Item = &Change>, StoreError> {
        self.check_start(revision)?;
        // The log holds one change per revision, consecutive (`commit` appends the next, only
        // the oldest are dropped), so the first change after `revision` is found by its
        // distance from the front rather than by a search through the log.
        let start = self.log.front().map_or(0, |first| {
            usize::try_from(revision + 1 - first.revision)
                .unwrap_or(0)
                .min(self.log.len())
        });
        debug_assert_eq!(start, self.log.partition_point(|c| c.revision <= revision));
        Ok(self.log.range(start..))
    }

    fn check_start(&self, revision: i64) -> Result<(), StoreError> {
        if revision < self.compacted {
            return Err(StoreError::TooOldResourceVersion {
                requested: revision,
                compacted: self.compacted,
            });
        }
        if revision > self.revision {
            return Err(StoreError::TooLargeResourceVersion {
                requested: revision,
                current: self.revision,
            });
        }
        Ok(())
    }

    /// Starts a watch.
    ///
    /// * `None`: from now on (the informer pattern: list, then watch from the list's revision).
    /// * `Some(0)`: resourceVersion `"0"`, "any": the current matching objects arrive first as
    ///   synthetic `ADDED` events (sorted by key, stamped with their own revisions), then every
    ///   later change.
    /// * `Some(n)`: every matching change after revision `n`, replayed from the change log, then
    ///   every later change. Older than [`Store::compacted_revision`] →
    ///   [`StoreError::TooOldResourceVersion`]; newer than [`Store::revision`] →
    ///   [`StoreError::TooLargeResourceVersion`].
    pub fn watch(
        &mut self,
        filter: WatchFilter,
        from_revision: Option<i64>,
    ) -> Result<WatchId, StoreError> {
        let replay: VecDeque<WatchEvent> = match from_revision {
            None => VecDeque::new(),
            Some(0) => self
                .matching(&filter)
                .into_iter()
                .map(|(key, e)| WatchEvent {
                    type_: WatchEventType::Added,
                    revision: e.mod_revision,
                    key: Arc::clone(key),
                    object: e.to_object(),
                    old: None,
                })
                .collect(),
            Some(n) => self
                .changes_since(n)?
                .filter_map(|c| {
                    watch::view(&filter, c).map(|(t, rewrite)| watch::watcher_event(c, t, rewrite))
                })
                .collect(),
        };
        Ok(self.watchers.add(filter, replay))
    }

    /// The watchers that received events since the last call, in id order: the simulation
    /// schedules a delivery for each instead of polling every watcher after every write.
    /// They go into `ready` (cleared first), so that a caller asking after every step keeps one
    /// buffer, and the store keeps its own.
    pub fn take_ready_watches_into(&mut self, ready: &mut Vec<WatchId>) {
        self.watchers.take_ready_into(ready);
    }

    /// Takes every event waiting for watch `id`, in revision order (empty for unknown ids).
    pub fn poll(&mut self, id: WatchId) -> Vec<WatchEvent> {
        self.watchers.poll(id)
    }

    /// Takes at most `max` of watch `id`'s pending events, oldest first; the rest stay pending.
    pub fn poll_up_to(&mut self, id: WatchId, max: usize) -> Vec<WatchEvent> {
        self.watchers.poll_up_to(id, max)
    }

    /// How many events wait for watch `id`.
    pub fn pending(&self, id: WatchId) -> usize {
        self.watchers.pending(id)
    }

    /// Whether watch `id` exists and still receives changes. A watch closes when more than
    /// [`StoreConfig::max_pending_per_watcher`] events wait for it; what it already received can
    /// still be polled, then its owner re-watches from the last revision it saw.
    pub fn is_open(&self, id: WatchId) -> bool {
        self.watchers.is_open(id)
    }

    /// Ends watch `id`; false if there was none.
    pub fn unwatch(&mut self, id: WatchId) -> bool {
        self.watchers.remove(id)
    }

    /// How many watches exist.
    pub fn watch_count(&self) -> usize {
        self.watchers.len()
    }

    /// How many changes the change log holds.
    pub fn log_len(&self) -> usize {
        self.log.len()
    }

    /// The remembered revisions of `key`, oldest first (kept a while after deletion).
    pub fn history(&self, key: &str) -> &[HistoryEntry] {
        self.history.entries(key)
    }

    /// The whole bounded history (sizes, lookups).
    pub fn history_store(&self) -> &History {
        &self.history
    }

    /// A line diff of `key`'s pretty JSON from revision `rev_a` to `rev_b`, or `None` if either
    /// is not in its history.
    pub fn diff(&self, key: &str, rev_a: i64, rev_b: i64) -> Option<Vec<DiffLine>> {
        self.history.diff(key, rev_a, rev_b)
    }
}

/// Keeps the node index of pod keys in step with a write of `key` from `old` to `new`.
fn index_pod(
    pods_by_node: &mut HashIndex<String, BTreeSet<Arc<str>>>,
    key: &Arc<str>,
    old: Option<&Arc<Object>>,
    new: Option<&Arc<Object>>,
) {
    let old_node = old.and_then(|o| pod_node_name(o));
    let new_node = new.and_then(|o| pod_node_name(o));
    if old_node == new_node {
        return;
    }
    if let Some(node) = old_node {
        if let Some(keys) = pods_by_node.get_mut(node) {
            keys.remove(&**key);
            if keys.is_empty() {
                pods_by_node.remove(node);
            }
        }
    }
    if let Some(node) = new_node {
        let keys = match pods_by_node.get_mut(node) {
            Some(keys) => keys,
            None => pods_by_node.entry(node.to_string()).or_default(),
        };
        keys.insert(Arc::clone(key));
    }
}

/// Whether a write changes nothing: the new object equals the stored one. Pods, Nodes,
/// ReplicaSets and Deployments are compared status first, where their writes (status writes,
/// most of them) differ, instead of through their whole metadata and spec (a workload's spec
/// holds its whole pod template) first.
fn unchanged(stored: &Object, new: &Object) -> bool {
    // Destructured, so that a field added to the type cannot be left out of the comparison.
    macro_rules! status_first {
        ($a:expr, $b:expr, $($ty:ident)::+) => {{
            let $($ty)::+ {
                metadata,
                spec,
                status,
            } = &**$a;
            *status == $b.status && *spec == $b.spec && *metadata == $b.metadata
        }};
    }
    use k8s_openapi::api::{apps::v1 as apps_v1, core::v1 as core_v1};
    match (stored, new) {
        (Object::Pod(a), Object::Pod(b)) => status_first!(a, b, core_v1::Pod),
        (Object::Node(a), Object::Node(b)) => status_first!(a, b, core_v1::Node),
        (Object::ReplicaSet(a), Object::ReplicaSet(b)) => status_first!(a, b, apps_v1::ReplicaSet),
        (Object::Deployment(a), Object::Deployment(b)) => status_first!(a, b, apps_v1::Deployment),
        _ => stored == new,
    }
}

/// Whether a client's resourceVersion string names revision `current` (compared as numbers, as
/// the API server parses them; an unparsable one never matches).
fn same_version(expected: &str, current: i64) -> bool {
    expected.parse::<i64>().is_ok_and(|v| v == current)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use crate::object::kind_info;
    use k8s_openapi::api::core::v1::{Node, Pod, PodSpec};

    fn pod(name: &str, node: Option<&str>) -> Object {
        let mut p = Pod::default();
        p.metadata.name = Some(name.to_string());
        p.metadata.namespace = Some("default".to_string());
        p.spec = Some(PodSpec {
            node_name: node.map(str::to_string),
            ..PodSpec::default()
        });
        Object::from(p)
    }

    fn with_label(mut obj: Object, value: &str) -> Object {
        obj.meta_mut()
            .labels
            .get_or_insert_with(Default::default)
            .insert("v".to_string(), value.to_string());
        obj
    }

    fn key(name: &str) -> String {
        format!("/registry/pods/default/{name}")
    }

    fn rv(obj: &Object) -> &str {
        obj.meta().resource_version.as_deref().unwrap_or("")
    }

    fn summary(events: &[WatchEvent]) -> Vec<(WatchEventType, i64, String)> {
        events
            .iter()
            .map(|e| (e.type_, e.revision, e.key.to_string()))
            .collect()
    }

    #[test]
    fn revisions_start_at_one_and_every_write_bumps_them_across_keys() {
        let mut s = Store::default();
        assert_eq!(s.revision(), 1);
        let a = s.create(&key("a"), pod("a", None), "kubectl").unwrap();
        let b = s.create(&key("b"), pod("b", None), "kubectl").unwrap();
        let a2 = s
            .update(&key("a"), with_label(pod("a", None), "x"), None, "kubectl")
            .unwrap();
        let gone = s.delete(&key("b"), None, "kubectl").unwrap();
        assert_eq!([rv(&a), rv(&b), rv(&a2), rv(&gone)], ["2", "3", "4", "5"]);
        assert_eq!(s.revision(), 5);
    }

    #[test]
    fn keys_track_create_revision_mod_revision_and_version() {
        let mut s = Store::default();
        s.create(&key("other"), pod("other", None), "kubectl")
            .unwrap();
        s.create(&key("a"), pod("a", None), "kubectl").unwrap();
        s.update(
            &key("a"),
            with_label(pod("a", None), "1"),
            Some("3"),
            "kubectl",
        )
        .unwrap();
        s.update(
            &key("a"),
            with_label(pod("a", None), "2"),
            Some("4"),
            "kubectl",
        )
        .unwrap();
        let e = s.entry(&key("a")).unwrap();
        assert_eq!((e.create_revision, e.mod_revision, e.version), (3, 5, 3));
        assert_eq!(rv(s.get(&key("a")).unwrap()), "5");
        assert_eq!(s.len(), 2);

        let deleted = s.delete(&key("a"), Some("5"), "kubectl").unwrap();
        assert_eq!(rv(&deleted), "6");
        assert!(s.get(&key("a")).is_none());
        assert_eq!(
            s.delete(&key("a"), None, "kubectl"),
            Err(StoreError::NotFound { key: key("a") })
        );
    }

    #[test]
    fn creating_an_existing_key_fails_with_already_exists() {
        let mut s = Store::default();
        s.create(&key("nginx"), pod("nginx", None), "kubectl")
            .unwrap();
        let err = s
            .create(&key("nginx"), pod("nginx", None), "kubectl")
            .unwrap_err();
        assert_eq!(
            err.to_api_error("pods", "nginx").kubectl_message("creating", "pod.yaml"),
            "Error from server (AlreadyExists): error when creating \"pod.yaml\": pods \"nginx\" already exists"
        );
        assert_eq!(s.revision(), 2);
    }

    #[test]
    fn an_update_with_a_stale_resource_version_is_a_conflict_with_the_upstream_text() {
        let mut s = Store::default();
        s.create(&key("x"), pod("x", None), "kubectl").unwrap();
        s.update(
            &key("x"),
            with_label(pod("x", None), "1"),
            Some("2"),
            "kubelet/node-1",
        )
        .unwrap();
        let err = s
            .update(
                &key("x"),
                with_label(pod("x", None), "2"),
                Some("2"),
                "kubectl",
            )
            .unwrap_err();
        assert_eq!(
            err,
            StoreError::Conflict {
                key: key("x"),
                expected: "2".to_string(),
                current: 3
            }
        );
        let api = err.to_api_error("pods", "x");
        assert_eq!(api.reason, Reason::Conflict);
        assert_eq!(
            api.message,
            "Operation cannot be fulfilled on pods \"x\": the object has been modified; please apply your changes to the latest version and try again"
        );
        assert_eq!(s.revision(), 3);
        assert_eq!(
            s.update(&key("nope"), pod("nope", None), None, "kubectl"),
            Err(StoreError::NotFound { key: key("nope") })
        );
    }

    #[test]
    fn an_empty_resource_version_updates_unconditionally() {
        let mut s = Store::default();
        s.create(&key("x"), pod("x", None), "kubectl").unwrap();
        s.update(&key("x"), with_label(pod("x", None), "1"), None, "a")
            .unwrap();
        let out = s
            .update(&key("x"), with_label(pod("x", None), "2"), Some(""), "b")
            .unwrap();
        assert_eq!(rv(&out), "4");
    }

    #[test]
    fn the_ready_watches_come_once_each_in_id_order_and_only_after_new_events() {
        let mut s = Store::default();
        let pods = s
            .watch(WatchFilter::prefix("/registry/pods/"), None)
            .unwrap();
        let nodes = s
            .watch(WatchFilter::prefix("/registry/nodes/"), None)
            .unwrap();
        let all = s.watch(WatchFilter::prefix("/registry/"), None).unwrap();
        let quiet = s
            .watch(WatchFilter::prefix("/registry/leases/"), None)
            .unwrap();
        let mut ready = vec![WatchId(99)];
        let mut take = |s: &mut Store| {
            s.take_ready_watches_into(&mut ready);
            ready.clone()
        };
        assert!(take(&mut s).is_empty());
        let node = |name: &str| {
            let mut n = Node::default();
            n.metadata.name = Some(name.to_string());
            Object::from(n)
        };
        // Pods, a node, then pods again: each watch is ready once, in id order.
        s.create(&key("a"), pod("a", None), "kubectl").unwrap();
        s.create("/registry/nodes/n1", node("n1"), "kubelet")
            .unwrap();
        s.create(&key("b"), pod("b", None), "kubectl").unwrap();
        assert_eq!(take(&mut s), vec![pods, nodes, all]);
        assert!(take(&mut s).is_empty());
        s.create("/registry/nodes/n2", node("n2"), "kubelet")
            .unwrap();
        assert_eq!(take(&mut s), vec![nodes, all]);
        assert_eq!(s.poll(pods).len(), 2);
        assert!(s.poll(quiet).is_empty());
        // Never taken: thousands of writes leave each watch's id in the list a few times at most.
        for i in 0..3_000 {
            let name = format!("p{i}");
            s.create(&key(&name), pod(&name, None), "kubectl").unwrap();
            s.create(&format!("/registry/nodes/{name}"), node(&name), "kubelet")
                .unwrap();
        }
        assert!(s.watchers.ready_len() <= 4 * 4 + 64);
        assert_eq!(take(&mut s), vec![pods, nodes, all]);
    }

    #[test]
    fn a_prefix_watch_receives_exactly_the_keys_that_start_with_its_prefix() {
        // Nested, sibling and partial-name prefixes, one ending inside a two-byte character's
        // neighbourhood, and the empty prefix (everything).
        let prefixes = [
            "",
            "/registry/",
            "/registry/nodes/",
            "/registry/pods/",
            "/registry/pods/default/",
            "/registry/pods/default/w",
            "/registry/pods/default/web",
            "/registry/pods/default/web-2",
            "/registry/pods/default/wz",
            "/registry/pods/default/w\u{e9}",
            "/registry/pods/default/w\u{e9}b",
            "/registry/pods/kube-system/",
        ];
        let mut s = Store::default();
        let watches: Vec<_> = prefixes
            .iter()
            .map(|p| s.watch(WatchFilter::prefix(*p), None).unwrap())
            .collect();
        let names = [
            "web", "web-2", "web-20", "w\u{e9}", "w\u{e9}b", "wa", "a", "x",
        ];
        for name in names {
            s.create(&key(name), pod(name, None), "kubectl").unwrap();
        }
        for (p, w) in prefixes.iter().zip(&watches) {
            let seen: Vec<String> = s.poll(*w).into_iter().map(|e| e.key.to_string()).collect();
            let want: Vec<String> = names
                .iter()
                .map(|n| key(n))
                .filter(|k| k.starts_with(p))
                .collect();
            assert_eq!(seen, want, "prefix {p:?}");
        }
    }

    #[test]
    fn watches_opened_and_closed_between_writes_of_a_directory_see_exactly_their_writes() {
        let mut s = Store::default();
        let dir = s
            .watch(WatchFilter::prefix("/registry/pods/default/"), None)
            .unwrap();
        // The directory's watchers are worked out here and remembered…
        s.create(&key("a"), pod("a", None), "kubectl").unwrap();
        // …and must be worked out again once a watch of a shorter prefix, of a longer one and
        // of everything is opened, and once the directory's own is closed.
        let pods = s
            .watch(WatchFilter::prefix("/registry/pods/"), None)
            .unwrap();
        let web = s
            .watch(WatchFilter::prefix("/registry/pods/default/web"), None)
            .unwrap();
        let all = s.watch(WatchFilter::prefix(""), None).unwrap();
        s.create(&key("web-1"), pod("web-1", None), "kubectl")
            .unwrap();
        assert!(s.unwatch(dir));
        s.create(&key("b"), pod("b", None), "kubectl").unwrap();
        s.create("/registry/pods/kube-system/c", pod("c", None), "kubectl")
            .unwrap();
        let mut seen =
            |w| -> Vec<String> { s.poll(w).into_iter().map(|e| e.key.to_string()).collect() };
        assert_eq!(
            seen(dir),
            Vec::<String>::new(),
            "closed, its events dropped"
        );
        assert_eq!(
            seen(pods),
            [
                key("web-1"),
                key("b"),
                "/registry/pods/kube-system/c".into()
            ]
        );
        assert_eq!(seen(web), [key("web-1")]);
        assert_eq!(
            seen(all),
            [
                key("web-1"),
                key("b"),
                "/registry/pods/kube-system/c".into()
            ]
        );
    }

    #[test]
    fn an_update_that_changes_nothing_is_not_written() {
        let mut s = Store::default();
        let w = s.watch(WatchFilter::prefix("/registry/"), None).unwrap();
        s.create(&key("x"), pod("x", None), "kubectl").unwrap();
        let same = s
            .update(&key("x"), pod("x", None), Some("2"), "kubelet/node-1")
            .unwrap();
        assert_eq!(rv(&same), "2");
        assert_eq!(s.revision(), 2);
        assert_eq!(s.entry(&key("x")).unwrap().version, 1);
        assert_eq!(s.poll(w).len(), 1);
        assert_eq!(s.history(&key("x")).len(), 1);
    }

    /// Creates `stored` at `key`, then writes it again unchanged, with `status_changed`, with
    /// `spec_changed` (its status as `status_changed`'s) and with a label added: only the
    /// unchanged write is skipped.
    fn assert_only_the_unchanged_write_is_skipped(
        key: &str,
        stored: Object,
        status_changed: Object,
        spec_changed: Object,
    ) {
        let mut s = Store::default();
        s.create(key, stored.clone(), "kube-controller-manager")
            .unwrap();
        let created = s.revision();
        s.update(key, stored, None, "kube-controller-manager")
            .unwrap();
        assert_eq!(
            s.revision(),
            created,
            "{key}: the same object is not written"
        );
        s.update(key, status_changed, None, "kube-controller-manager")
            .unwrap();
        assert_eq!(
            s.revision(),
            created + 1,
            "{key}: a status change is written"
        );
        s.update(key, spec_changed.clone(), None, "kube-controller-manager")
            .unwrap();
        assert_eq!(
            s.revision(),
            created + 2,
            "{key}: a spec change with the same status is written"
        );
        let mut labelled = spec_changed;
        labelled.meta_mut().labels = Some([("app".to_string(), "web".to_string())].into());
        s.update(key, labelled, None, "kube-controller-manager")
            .unwrap();
        assert_eq!(
            s.revision(),
            created + 3,
            "{key}: a metadata change is written"
        );
    }

    #[test]
    fn a_workload_write_is_skipped_only_when_status_spec_and_metadata_are_all_the_same() {
        use k8s_openapi::api::apps::v1::{
            Deployment, DeploymentSpec, DeploymentStatus, ReplicaSet, ReplicaSetSpec,
            ReplicaSetStatus,
        };
        let rs = |replicas: i32, ready: i32| -> Object {
            let mut rs = ReplicaSet::default();
            rs.metadata.name = Some("web-1".into());
            rs.metadata.namespace = Some("default".into());
            rs.spec = Some(ReplicaSetSpec {
                replicas: Some(replicas),
                ..ReplicaSetSpec::default()
            });
            rs.status = Some(ReplicaSetStatus {
                replicas: 3,
                ready_replicas: Some(ready),
                ..ReplicaSetStatus::default()
            });
            rs.into()
        };
        assert_only_the_unchanged_write_is_skipped(
            "/registry/replicasets/default/web-1",
            rs(3, 0),
            rs(3, 1),
            rs(4, 1),
        );
        let deployment = |paused: bool, updated: i32| -> Object {
            let mut d = Deployment::default();
            d.metadata.name = Some("web".into());
            d.metadata.namespace = Some("default".into());
            d.spec = Some(DeploymentSpec {
                paused: Some(paused),
                ..DeploymentSpec::default()
            });
            d.status = Some(DeploymentStatus {
                updated_replicas: Some(updated),
                ..DeploymentStatus::default()
            });
            d.into()
        };
        assert_only_the_unchanged_write_is_skipped(
            "/registry/deployments/default/web",
            deployment(false, 0),
            deployment(false, 1),
            deployment(true, 1),
        );
    }

    #[test]
    fn a_delete_precondition_on_a_stale_resource_version_fails_like_the_storage_layer() {
        let mut s = Store::default();
        s.create(&key("x"), pod("x", None), "kubectl").unwrap();
        let err = s.delete(&key("x"), Some("1"), "kubectl").unwrap_err();
        assert_eq!(
            err.to_api_error("pods", "x").message,
            "Operation cannot be fulfilled on pods \"x\": StorageError: invalid object, Code: 4, Key: /registry/pods/default/x, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: 2"
        );
        assert!(s.get(&key("x")).is_some());
    }

    #[test]
    fn lists_are_sorted_by_key_and_carry_the_revision() {
        let mut s = Store::default();
        for name in ["c", "a", "b"] {
            s.create(&key(name), pod(name, None), "kubectl").unwrap();
        }
        let mut node = Node::default();
        node.metadata.name = Some("node-1".to_string());
        s.create("/registry/minions/node-1", node.into(), "kubelet/node-1")
            .unwrap();
        let list = s.list("/registry/pods/");
        assert_eq!(list.revision, 5);
        let names: Vec<_> = list
            .items
            .iter()
            .map(|o| o.meta().name.clone().unwrap_or_default())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(s.list("/registry/").items.len(), 4);
        assert_eq!(s.list("/registry/pods/kube-system/").items.len(), 0);
    }

    #[test]
    fn the_store_knows_which_kinds_it_holds_through_creates_updates_and_deletes() {
        let (pods, nodes) = (kind_info("Pod").unwrap(), kind_info("Node").unwrap());
        let mut s = Store::default();
        assert!(!s.holds_kind(pods) && !s.holds_kind(nodes));
        s.create(&key("a"), pod("a", None), "kubectl").unwrap();
        s.create(&key("b"), pod("b", None), "kubectl").unwrap();
        s.update(&key("a"), with_label(pod("a", None), "1"), None, "kubectl")
            .unwrap();
        assert!(s.holds_kind(pods) && !s.holds_kind(nodes));
        // Creating an existing key fails and counts nothing.
        assert!(s.create(&key("b"), pod("b", None), "kubectl").is_err());
        s.delete(&key("a"), None, "kubectl").unwrap();
        assert!(s.holds_kind(pods), "b is still there");
        s.delete(&key("b"), None, "kubectl").unwrap();
        assert!(!s.holds_kind(pods));
        assert_eq!(s.list("/registry/pods/").items.len(), 0);
    }

    /// A little history touching several keys: 12 writes, revisions 2..=13.
    fn busy_store(config: StoreConfig) -> Store {
        let mut s = Store::new(config);
        for name in ["a", "b", "c"] {
            s.create(&key(name), pod(name, None), "kubectl").unwrap();
        }
        for i in 0..3 {
            for name in ["a", "b"] {
                s.update(
                    &key(name),
                    with_label(pod(name, None), &i.to_string()),
                    None,
                    "kubectl",
                )
                .unwrap();
            }
        }
        s.delete(&key("c"), None, "kubectl").unwrap();
        s.create(&key("c"), pod("c", None), "kubectl").unwrap();
        s.delete(&key("a"), None, "kubectl").unwrap();
        s
    }

    #[test]
    fn a_watch_from_any_revision_replays_every_later_change_once_and_in_order() {
        let mut s = busy_store(StoreConfig::default());
        assert_eq!(s.revision(), 13);
        let all: Vec<_> = s.changes_since(1).unwrap().map(|c| c.revision).collect();
        assert_eq!(all, (2..=13).collect::<Vec<_>>());

        let watches: Vec<_> = (1..=13)
            .map(|from| {
                (
                    from,
                    s.watch(WatchFilter::prefix("/registry/pods/"), Some(from))
                        .unwrap(),
                )
            })
            .collect();
        s.create(&key("d"), pod("d", None), "kubectl").unwrap();
        s.update(&key("d"), with_label(pod("d", None), "z"), None, "kubectl")
            .unwrap();
        for (from, id) in watches {
            let got: Vec<i64> = s.poll(id).iter().map(|e| e.revision).collect();
            assert_eq!(
                got,
                (from + 1..=15).collect::<Vec<_>>(),
                "watch from {from}"
            );
            assert!(s.poll(id).is_empty());
        }
    }

    #[test]
    fn replayed_events_have_the_types_and_objects_of_the_writes() {
        let mut s = busy_store(StoreConfig::default());
        let w = s.watch(WatchFilter::prefix(key("c")), Some(1)).unwrap();
        let events = s.poll(w);
        assert_eq!(
            summary(&events),
            vec![
                (WatchEventType::Added, 4, key("c")),
                (WatchEventType::Deleted, 11, key("c")),
                (WatchEventType::Added, 12, key("c")),
            ]
        );
        assert_eq!(rv(&events[1].object), "11");
        assert_eq!(events[1].old.as_deref().map(rv), Some("4"));
    }

    #[test]
    fn a_watch_from_zero_starts_with_the_current_objects_as_added() {
        let mut s = busy_store(StoreConfig::default());
        let w = s
            .watch(WatchFilter::prefix("/registry/pods/"), Some(0))
            .unwrap();
        assert_eq!(
            summary(&s.poll(w)),
            vec![
                (WatchEventType::Added, 10, key("b")),
                (WatchEventType::Added, 12, key("c")),
            ]
        );
        s.delete(&key("b"), None, "kubectl").unwrap();
        assert_eq!(
            summary(&s.poll(w)),
            vec![(WatchEventType::Deleted, 14, key("b"))]
        );
    }

    #[test]
    fn a_node_watch_sees_pods_bound_to_its_node_as_added_and_nothing_else() {
        let mut s = Store::default();
        let node1 = s.watch(WatchFilter::pods_on_node("node-1"), None).unwrap();
        let node2 = s.watch(WatchFilter::pods_on_node("node-2"), None).unwrap();
        let unbound = s.watch(WatchFilter::pods_on_node(""), None).unwrap();

        s.create(&key("web"), pod("web", None), "kubectl").unwrap(); // 2
        s.create(&key("idle"), pod("idle", None), "kubectl")
            .unwrap(); // 3
        assert!(s.poll(node1).is_empty());

        s.update(
            &key("web"),
            pod("web", Some("node-1")),
            None,
            "kube-scheduler",
        )
        .unwrap(); // 4
        s.update(
            &key("web"),
            with_label(pod("web", Some("node-1")), "ready"),
            None,
            "kubelet/node-1",
        )
        .unwrap(); // 5
        s.delete(&key("web"), None, "kubelet/node-1").unwrap(); // 6

        let seen = s.poll(node1);
        assert_eq!(
            summary(&seen),
            vec![
                (WatchEventType::Added, 4, key("web")),
                (WatchEventType::Modified, 5, key("web")),
                (WatchEventType::Deleted, 6, key("web")),
            ]
        );
        assert!(seen[0].old.is_none());
        assert_eq!(rv(&seen[2].object), "6");
        assert!(s.poll(node2).is_empty());

        // The unbound-pods watch (`spec.nodeName=`) sees the pod leave its selector on binding.
        let seen = s.poll(unbound);
        assert_eq!(
            summary(&seen),
            vec![
                (WatchEventType::Added, 2, key("web")),
                (WatchEventType::Added, 3, key("idle")),
                (WatchEventType::Deleted, 4, key("web")),
            ]
        );
        assert_eq!(rv(&seen[2].object), "4");
        assert_eq!(pod_node_name(&seen[2].object), Some(""));

        // Replays apply the same selector, and node-filtered lists use the node index.
        let replay = s
            .watch(WatchFilter::pods_on_node("node-1"), Some(1))
            .unwrap();
        assert_eq!(s.poll(replay).len(), 3);
        s.create(&key("db"), pod("db", Some("node-2")), "kubectl")
            .unwrap();
        assert_eq!(
            s.list_filtered(&WatchFilter::pods_on_node("node-2"))
                .items
                .len(),
            1
        );
        assert_eq!(
            s.list_filtered(&WatchFilter::pods_on_node("node-1"))
                .items
                .len(),
            0
        );
        assert_eq!(
            s.list_filtered(&WatchFilter::pods_on_node("")).items.len(),
            1
        );
    }

    #[test]
    fn a_node_filter_never_matches_objects_that_are_not_pods() {
        let mut s = Store::default();
        let w = s
            .watch(
                WatchFilter {
                    prefix: String::new(),
                    node_name: Some("node-1".into()),
                },
                None,
            )
            .unwrap();
        let mut node = Node::default();
        node.metadata.name = Some("node-1".to_string());
        s.create("/registry/minions/node-1", node.into(), "kubelet/node-1")
            .unwrap();
        assert!(s.poll(w).is_empty());
    }

    #[test]
    fn thousands_of_node_watches_each_receive_only_their_own_pods() {
        let mut s = Store::default();
        let ids: Vec<_> = (0..2000)
            .map(|n| {
                s.watch(WatchFilter::pods_on_node(format!("node-{n}")), None)
                    .unwrap()
            })
            .collect();
        let all = s
            .watch(WatchFilter::prefix("/registry/pods/"), None)
            .unwrap();
        for i in 0..4000 {
            let name = format!("p{i}");
            let node = format!("node-{}", i % 2000);
            s.create(&key(&name), pod(&name, Some(&node)), "kubectl")
                .unwrap();
        }
        for (n, id) in ids.iter().enumerate() {
            let events = s.poll(*id);
            assert_eq!(events.len(), 2);
            for e in events {
                assert_eq!(pod_node_name(&e.object), Some(format!("node-{n}").as_str()));
            }
        }
        assert_eq!(s.poll(all).len(), 4000);
    }

    #[test]
    fn the_changes_of_a_key_share_its_stored_key_and_a_writer_its_name() {
        let mut s = Store::default();
        let feed = s.open_feed(vec!["/registry/pods/".to_string()]);
        s.create(&key("a"), pod("a", None), "kubectl").unwrap();
        s.update(&key("a"), with_label(pod("a", None), "1"), None, "kubectl")
            .unwrap();
        s.update(&key("a"), with_label(pod("a", None), "2"), None, "kubelet")
            .unwrap();
        s.update(&key("a"), with_label(pod("a", None), "3"), None, "kubelet")
            .unwrap();
        let changes = s.read_feed(feed, usize::MAX);
        let writers: Vec<&str> = changes.iter().map(|c| &*c.writer).collect();
        assert_eq!(writers, ["kubectl", "kubectl", "kubelet", "kubelet"]);
        let stored = s.data.get_key_value(key("a").as_str()).unwrap().0;
        assert!(changes.iter().all(|c| Arc::ptr_eq(&c.key, stored)));
        assert!(Arc::ptr_eq(&s.shared_key(&key("a")).unwrap(), stored));
        assert_eq!(s.shared_key(&key("none")), None);
        assert!(Arc::ptr_eq(&changes[0].writer, &changes[1].writer));
        assert!(!Arc::ptr_eq(&changes[1].writer, &changes[2].writer));
        assert!(Arc::ptr_eq(&changes[2].writer, &changes[3].writer));
        // Without a history (a cap of 0) an update's change holds a copy of the key.
        let mut bare = Store::new(StoreConfig {
            history_per_key: 0,
            ..StoreConfig::default()
        });
        let feed = bare.open_feed(vec!["/registry/pods/".to_string()]);
        bare.create(&key("b"), pod("b", None), "kubectl").unwrap();
        bare.update(&key("b"), with_label(pod("b", None), "1"), None, "kubectl")
            .unwrap();
        let changes = bare.read_feed(feed, usize::MAX);
        assert_eq!(&*changes[1].key, key("b"));
        assert!(!Arc::ptr_eq(&changes[0].key, &changes[1].key));
    }

    #[test]
    fn a_feed_hands_over_every_change_under_its_prefixes_past_the_log_and_compaction() {
        let config = StoreConfig {
            log_capacity: 5,
            ..StoreConfig::default()
        };
        let mut s = Store::new(config);
        let feed = s.open_feed(vec!["/registry/pods/".to_string()]);
        for i in 0..20 {
            let name = format!("p{i}");
            s.create(&key(&name), pod(&name, None), "kubectl").unwrap();
            let mut node = Node::default();
            node.metadata.name = Some(format!("node-{i}"));
            s.create(
                &format!("/registry/minions/node-{i}"),
                node.into(),
                "kubelet",
            )
            .unwrap();
        }
        s.delete(&key("p3"), None, "kubectl").unwrap();
        s.compact(s.revision());
        assert_eq!(s.log_len(), 0);
        let read: Vec<(i64, WatchEventType, String)> = s
            .read_feed(feed, usize::MAX)
            .into_iter()
            .map(|c| (c.revision, c.type_, c.key.to_string()))
            .collect();
        assert_eq!(read.len(), 21);
        assert_eq!(read[0], (2, WatchEventType::Added, key("p0")));
        assert_eq!(read[19], (40, WatchEventType::Added, key("p19")));
        assert_eq!(read[20], (42, WatchEventType::Deleted, key("p3")));
        assert!(read.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(s.read_feed(feed, usize::MAX).is_empty());
        for name in ["p3", "p20", "p21"] {
            s.create(&key(name), pod(name, None), "kubectl").unwrap();
        }
        assert_eq!(s.feed_len(feed), 3);
        let first: Vec<i64> = s.read_feed(feed, 2).iter().map(|c| c.revision).collect();
        assert_eq!(first, vec![43, 44]);
        let rest: Vec<i64> = s.read_feed(feed, 2).iter().map(|c| c.revision).collect();
        assert_eq!(rest, vec![45]);
        assert_eq!(s.feed_len(feed), 0);
    }

    #[test]
    fn the_changes_since_a_revision_are_the_later_ones_whatever_the_log_still_holds() {
        let mut s = busy_store(StoreConfig {
            log_capacity: 5,
            ..StoreConfig::default()
        });
        let since = |s: &Store, from: i64| -> Option<Vec<i64>> {
            s.changes_since(from)
                .ok()
                .map(|changes| changes.map(|c| c.revision).collect())
        };
        // Revisions 9 to 13 are left; 8 is the last one dropped.
        for from in 0..8 {
            assert_eq!(since(&s, from), None, "from {from}");
        }
        for from in 8..=13 {
            assert_eq!(
                since(&s, from),
                Some(((from + 1)..=13).collect()),
                "from {from}"
            );
        }
        assert_eq!(since(&s, 14), None);
        // Compacted past what the log dropped, then up to the newest.
        s.compact(10);
        assert_eq!(since(&s, 9), None);
        assert_eq!(since(&s, 10), Some(vec![11, 12, 13]));
        s.compact(13);
        assert_eq!(since(&s, 13), Some(vec![]));
    }

    #[test]
    fn compaction_makes_older_watches_fail_with_410_too_old() {
        let config = StoreConfig {
            log_capacity: 5,
            ..StoreConfig::default()
        };
        let mut s = busy_store(config);
        assert_eq!(s.log_len(), 5);
        assert_eq!(s.compacted_revision(), 8);
        let err = s.watch(WatchFilter::prefix(""), Some(5)).unwrap_err();
        assert_eq!(
            err,
            StoreError::TooOldResourceVersion {
                requested: 5,
                compacted: 8
            }
        );
        let api = err.to_api_error("pods", "");
        assert_eq!((api.reason, api.reason.code()), (Reason::Expired, 410));
        assert_eq!(api.message, "too old resource version: 5 (8)");

        let w = s.watch(WatchFilter::prefix(""), Some(8)).unwrap();
        assert_eq!(s.poll(w).len(), 5);

        s.compact(11);
        assert_eq!(s.compacted_revision(), 11);
        assert!(s.watch(WatchFilter::prefix(""), Some(10)).is_err());
        assert_eq!(
            s.watch(WatchFilter::prefix(""), Some(14))
                .unwrap_err()
                .to_string(),
            "Too large resource version: 14, current: 13"
        );
    }

    #[test]
    fn a_watcher_that_never_polls_is_closed_at_its_cap() {
        let config = StoreConfig {
            max_pending_per_watcher: 3,
            ..StoreConfig::default()
        };
        let mut s = Store::new(config);
        let w = s.watch(WatchFilter::prefix(""), None).unwrap();
        for i in 0..5 {
            let name = format!("p{i}");
            s.create(&key(&name), pod(&name, None), "kubectl").unwrap();
        }
        assert!(!s.is_open(w));
        assert_eq!(s.poll(w).len(), 3);
        assert!(s.unwatch(w));
        assert_eq!(s.watch_count(), 0);
    }

    #[test]
    fn history_keeps_the_last_revisions_with_writers_and_diffs_two_of_them() {
        let config = StoreConfig {
            history_per_key: 3,
            ..StoreConfig::default()
        };
        let mut s = Store::new(config);
        s.create(&key("x"), pod("x", None), "kubectl").unwrap(); // 2
        s.update(&key("x"), pod("x", Some("node-1")), None, "kube-scheduler")
            .unwrap(); // 3
        s.update(
            &key("x"),
            with_label(pod("x", Some("node-1")), "a"),
            None,
            "kubelet/node-1",
        )
        .unwrap(); // 4
        s.update(
            &key("x"),
            with_label(pod("x", Some("node-1")), "b"),
            None,
            "kubelet/node-1",
        )
        .unwrap(); // 5
        let h = s.history(&key("x"));
        let revs: Vec<_> = h.iter().map(|e| (e.revision, &*e.writer)).collect();
        assert_eq!(
            revs,
            [
                (3, "kube-scheduler"),
                (4, "kubelet/node-1"),
                (5, "kubelet/node-1")
            ]
        );
        assert!(s.diff(&key("x"), 2, 3).is_none());

        let diff = s.diff(&key("x"), 4, 5).unwrap();
        let changed: Vec<_> = diff
            .iter()
            .filter(|l| !matches!(l, DiffLine::Same(_)))
            .cloned()
            .collect();
        assert_eq!(
            changed,
            vec![
                DiffLine::Removed("      \"v\": \"a\"".into()),
                DiffLine::Added("      \"v\": \"b\"".into()),
                DiffLine::Removed("    \"resourceVersion\": \"4\"".into()),
                DiffLine::Added("    \"resourceVersion\": \"5\"".into()),
            ]
        );
    }

    #[test]
    fn deleted_keys_keep_their_history_for_a_bounded_number_of_deletions() {
        let config = StoreConfig {
            tombstoned_keys: 2,
            ..StoreConfig::default()
        };
        let mut s = Store::new(config);
        for name in ["a", "b", "c"] {
            s.create(&key(name), pod(name, None), "kubectl").unwrap();
        }
        s.delete(&key("a"), None, "kubectl").unwrap();
        s.delete(&key("b"), None, "kubectl").unwrap();
        assert_eq!(s.history(&key("a")).len(), 2);
        assert_eq!(
            s.history(&key("a")).last().map(|e| e.type_),
            Some(WatchEventType::Deleted)
        );
        s.delete(&key("c"), None, "kubectl").unwrap();
        assert!(s.history(&key("a")).is_empty());
        assert_eq!(s.history(&key("b")).len(), 2);
        assert_eq!(s.history_store().tombstoned_len(), 2);
    }

    #[test]
    fn a_live_key_whose_history_was_forgotten_starts_a_new_one_without_touching_others() {
        let config = StoreConfig {
            history_total: 2,
            ..StoreConfig::default()
        };
        let mut s = Store::new(config);
        let revs = |s: &Store, name: &str| -> Vec<i64> {
            s.history(&key(name)).iter().map(|e| e.revision).collect()
        };
        s.create(&key("a"), pod("a", None), "kubectl").unwrap(); // 2
        s.create(&key("b"), pod("b", None), "kubectl").unwrap(); // 3
        s.create(&key("c"), pod("c", None), "kubectl").unwrap(); // 4: a's history is forgotten
        assert_eq!(revs(&s, "a"), Vec::<i64>::new());
        s.create(&key("d"), pod("d", None), "kubectl").unwrap(); // 5: b's too

        // a is written again: its history restarts with this write alone, and c's and d's
        // (one of which holds a's old place) lose only what the cap takes.
        s.update(&key("a"), with_label(pod("a", None), "1"), None, "kubectl")
            .unwrap(); // 6
        assert_eq!(revs(&s, "a"), [6]);
        assert_eq!(revs(&s, "b"), Vec::<i64>::new());
        assert_eq!(revs(&s, "c"), Vec::<i64>::new());
        assert_eq!(revs(&s, "d"), [5]);
        s.update(&key("d"), with_label(pod("d", None), "1"), None, "kubectl")
            .unwrap(); // 7
        s.delete(&key("a"), None, "kubectl").unwrap(); // 8
        assert_eq!(revs(&s, "a"), [8]);
        assert_eq!(revs(&s, "d"), [7]);
        assert_eq!(s.history_store().total_len(), 2);
        assert_eq!(s.history_store().keys_len(), 2);
    }

    #[test]
    fn a_hundred_thousand_writes_keep_every_buffer_under_its_cap() {
        let config = StoreConfig {
            log_capacity: 1_000,
            history_per_key: 4,
            history_total: 2_000,
            tombstoned_keys: 50,
            max_pending_per_watcher: 10_000,
        };
        let mut s = Store::new(config);
        let node_watch = s.watch(WatchFilter::pods_on_node("node-1"), None).unwrap();
        let all = s.watch(WatchFilter::prefix("/registry/"), None).unwrap();
        let mut writes = 0;
        let mut i = 0u64;
        while writes < 100_000 {
            let name = format!("p{}", i % 700);
            let k = key(&name);
            match s.get(&k).map(|o| o.meta().labels.is_some()) {
                None => s.create(&k, pod(&name, None), "kubectl").map(|_| ()),
                Some(false) => s
                    .update(
                        &k,
                        with_label(pod(&name, Some("node-1")), "x"),
                        None,
                        "kube-scheduler",
                    )
                    .map(|_| ()),
                Some(true) => s.delete(&k, None, "kubelet/node-1").map(|_| ()),
            }
            .unwrap();
            writes += 1;
            i += 1;
            if i % 500 == 0 {
                s.poll(node_watch);
                s.poll(all);
            }
            assert!(s.log_len() <= 1_000);
        }
        let h = s.history_store();
        assert_eq!(s.revision(), 100_001);
        assert!(h.total_len() <= 2_000, "{}", h.total_len());
        assert!(
            h.order_len() <= 2 * h.total_len() + 1_024,
            "{}",
            h.order_len()
        );
        assert!(h.tombstoned_len() <= 50);
        assert!(s.pending(all) <= 500 && s.is_open(all));
        assert!(s.is_open(node_watch));
    }
}
