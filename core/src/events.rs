//! Kubernetes Events as real `core/v1` [`Event`] objects, recorded the way client-go records
//! them. Pure logic: a recorder turns "this happened" into the Event write a component would send
//! ([`EventWrite`]); the cluster sends it through the API server.
//!
//! Two recorders, as in a real cluster (reference §h.2b):
//!
//! * [`EventRecorder`] is client-go's `tools/record` recorder with its `EventCorrelator`, used by
//!   the kubelet and kube-controller-manager: `source {component, host}`, `firstTimestamp`,
//!   `lastTimestamp` and `count`. Identical events update one Event (`count` + 1, new
//!   `lastTimestamp`); the 10th distinct message with the same source, object, type and reason
//!   within 10 minutes becomes one `(combined from similar events): …` Event; a source may send
//!   25 events about one object in a burst, then one every 5 minutes (the spam filter). Caches
//!   are LRUs of 4,096 entries, as upstream.
//! * [`SeriesEventRecorder`] is client-go's `tools/events` (events.k8s.io/v1) recorder, used by
//!   kube-scheduler: `reportingController`, `reportingInstance`, `action`, a micro-time
//!   `eventTime`, an empty legacy `source`, and repeats folded into `series {count,
//!   lastObservedTime}` — written on the first repeat, then only by the periodic refresh
//!   (30 min) and when the series ends (6 min without a repeat), see
//!   [`SeriesEventRecorder::maintain`].
//!
//! Event names are `<involvedObject.name>.<hex of the Unix nanoseconds>` as client-go's
//! `fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())`. Virtual time has millisecond resolution, so
//! each recorder adds a fixed sub-millisecond offset derived from its identity and never reuses a
//! nanosecond: names are deterministic and unique even for events recorded at the same instant.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Event, EventSeries, EventSource, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::hash_index::HashIndex;
use crate::object::Object;
use crate::sim::clock::EPOCH_UNIX_SECONDS;
use crate::sim::{SimDuration, SimTime};

/// An Event's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    /// `Normal`: nothing to worry about.
    Normal,
    /// `Warning`: something may need attention.
    Warning,
}

impl EventType {
    /// The type as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// What a recorder asks the API server to do with an Event.
#[derive(Debug, Clone, PartialEq)]
pub enum EventWrite {
    /// Create this Event (`POST`).
    Create(Event),
    /// Update the Event of this name unconditionally (client-go sends a strategic-merge patch of
    /// the changed fields; the result is this object). If it no longer exists (Events expire
    /// after an hour), create it instead, as client-go does.
    Update(Event),
}

impl EventWrite {
    /// The Event to write.
    pub fn event(&self) -> &Event {
        match self {
            EventWrite::Create(e) | EventWrite::Update(e) => e,
        }
    }

    /// The Event to write, by value.
    pub fn into_event(self) -> Event {
        match self {
            EventWrite::Create(e) | EventWrite::Update(e) => e,
        }
    }
}

/// A reference to `object` as client-go's `ref.GetReference` builds it: `apiVersion`, `kind`,
/// `namespace` (namespaced kinds only), `name`, `uid` and `resourceVersion`.
pub fn object_reference(object: &Object) -> ObjectReference {
    let info = object.info();
    reference_to(info.api_version, info.kind, info.namespaced, object.meta())
}

fn reference_to(
    api_version: &str,
    kind: &str,
    namespaced: bool,
    meta: &ObjectMeta,
) -> ObjectReference {
    ObjectReference {
        api_version: Some(api_version.to_string()),
        kind: Some(kind.to_string()),
        namespace: meta.namespace.clone().filter(|_| namespaced),
        name: meta.name.clone(),
        uid: meta.uid.clone(),
        resource_version: meta.resource_version.clone(),
        field_path: None,
    }
}

/// A reference to one container of a pod, as the kubelet's `GenerateContainerRef` builds it:
/// the pod's reference with `fieldPath` `spec.containers{<name>}` (or `spec.initContainers{…}`,
/// `spec.ephemeralContainers{…}` for those).
pub fn container_reference(pod: &Pod, container: &str) -> ObjectReference {
    let spec = pod.spec.as_ref();
    let list = if spec.is_some_and(|s| s.containers.iter().any(|c| c.name == container)) {
        "containers"
    } else if spec
        .and_then(|s| s.init_containers.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.name == container))
    {
        "initContainers"
    } else if spec
        .and_then(|s| s.ephemeral_containers.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.name == container))
    {
        "ephemeralContainers"
    } else {
        "containers"
    };
    let mut reference = reference_to(
        <Pod as k8s_openapi::Resource>::API_VERSION,
        <Pod as k8s_openapi::Resource>::KIND,
        true,
        &pod.metadata,
    );
    reference.field_path = Some(["spec.", list, "{", container, "}"].concat());
    reference
}

/// The reference the kubelet uses for its node's events: kind `Node`, the node's name, and the
/// node's name again as `uid` (the kubelet does not know the Node object's UID).
pub fn node_reference(node_name: &str) -> ObjectReference {
    ObjectReference {
        kind: Some("Node".to_string()),
        name: Some(node_name.to_string()),
        uid: Some(node_name.to_string()),
        ..ObjectReference::default()
    }
}

/// Hands out the nanosecond timestamps in event names: the virtual millisecond, plus this
/// recorder's fixed sub-millisecond offset, never the same twice.
#[derive(Debug, Clone)]
struct NameClock {
    offset: i128,
    last: i128,
}

impl NameClock {
    fn new(identity: &str) -> NameClock {
        NameClock {
            offset: i128::from(fnv1a(identity) % 1_000_000),
            last: i128::MIN,
        }
    }

    fn next(&mut self, now: SimTime) -> i128 {
        let millis = i128::from(EPOCH_UNIX_SECONDS) * 1000 + i128::from(now.0);
        let nanos = (millis * 1_000_000 + self.offset).max(self.last.saturating_add(1));
        self.last = nanos;
        nanos
    }
}

/// 64-bit FNV-1a: a stable hash (unlike std's, which may change between releases).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `<name>.<hex nanos>`.
fn event_name(reference: &ObjectReference, nanos: i128) -> String {
    // `<name>.<nanos in hex>` (`fmt.Sprintf("%v.%x", …)`), built by hand: one per Event.
    let name = reference.name.as_deref().unwrap_or("");
    let mut out = String::with_capacity(name.len() + 17);
    out.push_str(name);
    out.push('.');
    crate::text::push_hex(&mut out, nanos as u128, 1);
    out
}

/// The Event's namespace: the involved object's, or `default` for cluster-scoped objects.
fn event_namespace(reference: &ObjectReference) -> String {
    match reference.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => ns.to_string(),
        _ => "default".to_string(),
    }
}

/// Joins key parts with a separator that cannot occur in them.
fn join_key(parts: &[&str]) -> String {
    parts.join("\u{1f}")
}

fn s(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

/// The fields of a reference that identify the object (`GetReference` order, no fieldPath).
fn reference_parts(r: &ObjectReference) -> [&str; 5] {
    [
        s(&r.kind),
        s(&r.namespace),
        s(&r.name),
        s(&r.uid),
        s(&r.api_version),
    ]
}

/// A correlator cache key: a 64-bit hash of upstream's key string (its parts, each framed by
/// its length), computed without building the string. The caches hold up to 3 × 4,096 keys per
/// recorder, and upstream's keys are long (component, host, the involved object's kind,
/// namespace, name, UID, API version, type, reason and, for the counting cache, the message): a
/// fixed 8-byte key keeps the bound small. The hash reads eight bytes at a time and mixes each
/// word with a folded 64 × 64 → 128-bit multiply (as foldhash and wyhash do); it is fixed (no
/// random seed), so runs stay deterministic, and two of a recorder's few thousand live keys
/// colliding is a one-in-10^11 chance. Which keys the caches hold never reaches the output
/// through the hash itself: entries are found by key and evicted by last use.
fn key_hash(parts: &[&str]) -> u64 {
    const SEED: u64 = 0x243f_6a88_85a3_08d3;
    let mut h = SEED;
    for part in parts {
        let bytes = part.as_bytes();
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            h = fold_mix(h ^ u64::from_le_bytes(word));
        }
        let rest = words.remainder();
        let mut tail = [0u8; 8];
        tail[..rest.len()].copy_from_slice(rest);
        h = fold_mix(h ^ u64::from_le_bytes(tail));
        h = fold_mix(h ^ bytes.len() as u64);
    }
    h
}

/// The high and low halves of `x × K` (128-bit) xored: every input bit reaches every output bit.
fn fold_mix(x: u64) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let m = u128::from(x) * u128::from(K);
    (m >> 64) as u64 ^ m as u64
}

/// No slot: the end of the recency list.
const NIL: u32 = u32::MAX;

/// A cache entry: its key, which involved object it is about (the hash of its UID, to forget a
/// deleted object's entries), its neighbours in the recency list, and the value (`None` in a
/// freed slot).
#[derive(Debug, Clone)]
struct Slot<V> {
    key: u64,
    object: u64,
    /// The next more recently used entry, or [`NIL`].
    newer: u32,
    /// The next less recently used entry, or [`NIL`].
    older: u32,
    value: Option<V>,
}

/// A small deterministic least-recently-used cache with hashed keys, like groupcache's `lru`:
/// its entries in a slab, linked from the most to the least recently used, and found by key
/// through a [`HashIndex`], so a use, an insertion and an eviction each cost a hash look-up and
/// a few links (two ordered trees took a search of each, one of them twice). Nothing is ever
/// read in hash order: entries are found by key and evicted from the list's end.
#[derive(Debug, Clone)]
struct Lru<V> {
    capacity: usize,
    index: HashIndex<u64, u32>,
    slots: Vec<Slot<V>>,
    /// Slots freed by [`Lru::forget_object`], for the next insertions.
    free: Vec<u32>,
    /// The most recently used entry, or [`NIL`].
    newest: u32,
    /// The least recently used entry, the next to evict, or [`NIL`].
    oldest: u32,
}

impl<V> Lru<V> {
    fn new(capacity: usize) -> Lru<V> {
        Lru {
            capacity,
            index: HashIndex::default(),
            slots: Vec::new(),
            free: Vec::new(),
            newest: NIL,
            oldest: NIL,
        }
    }

    /// Updates the value at `key` (about the object whose UID hashes to `object`) in place with
    /// `change`, starting from `fresh()` when there is none, and marks it as just used, evicting
    /// the least recently used beyond capacity.
    fn upsert<R>(
        &mut self,
        key: u64,
        object: u64,
        fresh: impl FnOnce() -> V,
        change: impl FnOnce(&mut V) -> R,
    ) -> R {
        if let Some(&at) = self.index.get(&key) {
            self.unlink(at);
            self.push_newest(at);
            let slot = &mut self.slots[at as usize];
            slot.object = object;
            return change(slot.value.get_or_insert_with(fresh));
        }
        let mut value = fresh();
        let out = change(&mut value);
        self.insert(key, object, value);
        out
    }

    /// Stores `value` at `key`, which the cache does not hold, as just used, evicting the least
    /// recently used at capacity (with no capacity at all, nothing is kept).
    fn insert(&mut self, key: u64, object: u64, value: V) {
        if self.capacity == 0 {
            return;
        }
        let at = if self.index.len() >= self.capacity && self.oldest != NIL {
            // Evict the least recently used and take its slot.
            let at = self.oldest;
            self.unlink(at);
            let evicted = self.slots[at as usize].key;
            self.index.remove(&evicted);
            at
        } else if let Some(at) = self.free.pop() {
            at
        } else {
            let Ok(at) = u32::try_from(self.slots.len()) else {
                return;
            };
            self.slots.push(Slot {
                key,
                object,
                newer: NIL,
                older: NIL,
                value: None,
            });
            at
        };
        let slot = &mut self.slots[at as usize];
        slot.key = key;
        slot.object = object;
        slot.value = Some(value);
        self.push_newest(at);
        self.index.insert(key, at);
    }

    /// Takes slot `at` out of the recency list.
    fn unlink(&mut self, at: u32) {
        let (newer, older) = {
            let slot = &self.slots[at as usize];
            (slot.newer, slot.older)
        };
        match newer {
            NIL => self.newest = older,
            n => self.slots[n as usize].older = older,
        }
        match older {
            NIL => self.oldest = newer,
            o => self.slots[o as usize].newer = newer,
        }
    }

    /// Puts slot `at` at the most recently used end of the list.
    fn push_newest(&mut self, at: u32) {
        let old_newest = self.newest;
        {
            let slot = &mut self.slots[at as usize];
            slot.newer = NIL;
            slot.older = old_newest;
        }
        match old_newest {
            NIL => self.oldest = at,
            n => self.slots[n as usize].newer = at,
        }
        self.newest = at;
    }

    fn len(&self) -> usize {
        self.index.len()
    }

    /// Forgets every entry about the object whose UID hashes to `object`.
    fn forget_object(&mut self, object: u64) {
        for at in 0..self.slots.len() {
            let slot = &self.slots[at];
            if slot.value.is_none() || slot.object != object {
                continue;
            }
            let key = slot.key;
            // `at` is below `slots.len()`, which never exceeds `u32::MAX` (see `insert`).
            let at = at as u32;
            self.unlink(at);
            self.index.remove(&key);
            self.slots[at as usize].value = None;
            self.free.push(at);
        }
    }
}

/// The tunables of [`EventRecorder`]'s correlator, defaulting to client-go's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorrelatorConfig {
    /// Entries in each LRU cache (aggregation, counting, spam). Default 4,096.
    pub lru_cache_size: usize,
    /// Distinct messages of similar events before they are combined. Default 10.
    pub aggregate_max_events: usize,
    /// Quiet time after which similar events start a fresh aggregation. Default 10 minutes.
    pub aggregate_interval: SimDuration,
    /// Events a source may send about one object in a burst. Default 25.
    pub spam_burst: u64,
    /// Time to earn one more event after the burst. Default 5 minutes (QPS 1/300).
    pub spam_refill: SimDuration,
}

impl Default for CorrelatorConfig {
    fn default() -> Self {
        CorrelatorConfig {
            lru_cache_size: 4096,
            aggregate_max_events: 10,
            aggregate_interval: SimDuration::secs(600),
            spam_burst: 25,
            spam_refill: SimDuration::secs(300),
        }
    }
}

/// Similar events seen recently (`aggregateRecord`).
#[derive(Debug, Clone, Default)]
struct AggregateRecord {
    /// The distinct messages, as hashes (like the cache's keys), sorted: a set, usually of
    /// one, so a vector rather than a tree's node of eleven. Only their number is read.
    messages: Vec<u64>,
    last: Option<SimTime>,
}

/// The last written occurrence of an event (`eventLog`).
#[derive(Debug, Clone)]
struct EventLog {
    count: i32,
    first_timestamp: SimTime,
    name: String,
}

/// A token bucket in milliseconds of refill credit (`flowcontrol` token bucket, starting full).
#[derive(Debug, Clone)]
struct TokenBucket {
    credit: u64,
    last: SimTime,
}

/// client-go's core/v1 event recorder with its `EventCorrelator`, for one source (the kubelet
/// of one node, or one controller).
#[derive(Debug, Clone)]
pub struct EventRecorder {
    component: String,
    host: String,
    config: CorrelatorConfig,
    names: NameClock,
    aggregator: Lru<AggregateRecord>,
    observed: Lru<EventLog>,
    spam: Lru<TokenBucket>,
}

impl EventRecorder {
    /// A recorder for `source {component, host}`: `("kubelet", "node-1")`, or
    /// `("replicaset-controller", "")` for controllers (no host).
    pub fn new(component: impl Into<String>, host: impl Into<String>) -> EventRecorder {
        EventRecorder::with_config(component, host, CorrelatorConfig::default())
    }

    /// A recorder with non-default correlator settings.
    pub fn with_config(
        component: impl Into<String>,
        host: impl Into<String>,
        config: CorrelatorConfig,
    ) -> EventRecorder {
        let component = component.into();
        let host = host.into();
        EventRecorder {
            names: NameClock::new(&format!("{component}/{host}")),
            aggregator: Lru::new(config.lru_cache_size),
            observed: Lru::new(config.lru_cache_size),
            spam: Lru::new(config.lru_cache_size),
            component,
            host,
            config,
        }
    }

    /// `source.component`, e.g. `kubelet`.
    pub fn component(&self) -> &str {
        &self.component
    }

    /// `source.host`, e.g. `node-1` (empty for controllers).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Records that `reason`/`message` happened to `involved` at `now`, returning the write to
    /// send, or `None` when the spam filter drops it (the count is still remembered, as
    /// upstream, so the next write that passes carries the true count).
    pub fn record(
        &mut self,
        now: SimTime,
        involved: ObjectReference,
        type_: EventType,
        reason: &str,
        message: &str,
    ) -> Option<EventWrite> {
        let nanos = self.names.next(now);
        let event = self.make_event(now, nanos, involved, type_, reason, message);
        let (event, key) = self.aggregate(now, nanos, event);
        let event = self.observe(event, key);
        if self.spam_filtered(now, &event) {
            return None;
        }
        Some(if event.count.unwrap_or(1) > 1 {
            EventWrite::Update(event)
        } else {
            EventWrite::Create(event)
        })
    }

    /// `recorderImpl.makeEvent` + `generateEvent`.
    fn make_event(
        &self,
        now: SimTime,
        nanos: i128,
        involved: ObjectReference,
        type_: EventType,
        reason: &str,
        message: &str,
    ) -> Event {
        let t = now.to_k8s_time();
        Event {
            metadata: ObjectMeta {
                name: Some(event_name(&involved, nanos)),
                namespace: Some(event_namespace(&involved)),
                ..ObjectMeta::default()
            },
            involved_object: involved,
            reason: Some(reason.to_string()),
            message: Some(message.to_string()),
            first_timestamp: Some(t.clone()),
            last_timestamp: Some(t),
            count: Some(1),
            type_: Some(type_.as_str().to_string()),
            source: Some(self.source()),
            reporting_component: Some(self.component.clone()),
            reporting_instance: Some(self.host.clone()),
            ..Event::default()
        }
    }

    fn source(&self) -> EventSource {
        EventSource {
            component: Some(self.component.clone()).filter(|c| !c.is_empty()),
            host: Some(self.host.clone()).filter(|h| !h.is_empty()),
        }
    }

    /// `getEventKey`: identical events share it.
    fn event_key(&self, e: &Event) -> u64 {
        let r = &e.involved_object;
        key_hash(&[
            &self.component,
            &self.host,
            s(&r.kind),
            s(&r.namespace),
            s(&r.name),
            s(&r.field_path),
            s(&r.uid),
            s(&r.api_version),
            s(&e.type_),
            s(&e.reason),
            s(&e.message),
        ])
    }

    /// `EventAggregator.EventAggregate` with `EventAggregatorByReasonFunc`: returns the event to
    /// write (the original, or the combined one) and its counting key.
    fn aggregate(&mut self, now: SimTime, nanos: i128, event: Event) -> (Event, u64) {
        let event_key = self.event_key(&event);
        let [kind, namespace, name, uid, api_version] = reference_parts(&event.involved_object);
        let object = key_hash(&[uid]);
        let aggregate_key = key_hash(&[
            &self.component,
            &self.host,
            kind,
            namespace,
            name,
            uid,
            api_version,
            s(&event.type_),
            s(&event.reason),
            s(&event.reporting_component),
            s(&event.reporting_instance),
        ]);
        let message = key_hash(&[s(&event.message)]);

        let (interval, max) = (
            self.config.aggregate_interval,
            self.config.aggregate_max_events,
        );
        let similar =
            self.aggregator
                .upsert(aggregate_key, object, AggregateRecord::default, |record| {
                    let stale = record.last.is_none_or(|last| now.since(last) > interval);
                    if stale {
                        record.messages.clear();
                    }
                    if let Err(at) = record.messages.binary_search(&message) {
                        record.messages.insert(at, message);
                    }
                    record.last = Some(now);
                    let similar = record.messages.len();
                    if similar >= max {
                        // Upstream pops an arbitrary one (Go map order); the smallest hash is
                        // deterministic.
                        record.messages.remove(0);
                    }
                    similar
                });
        if similar < self.config.aggregate_max_events {
            return (event, event_key);
        }

        let t = now.to_k8s_time();
        let combined = Event {
            metadata: ObjectMeta {
                name: Some(event_name(&event.involved_object, nanos)),
                namespace: event.metadata.namespace.clone(),
                ..ObjectMeta::default()
            },
            count: Some(1),
            first_timestamp: Some(t.clone()),
            last_timestamp: Some(t),
            message: Some(format!(
                "(combined from similar events): {}",
                s(&event.message)
            )),
            type_: event.type_,
            reason: event.reason,
            source: event.source,
            involved_object: event.involved_object,
            ..Event::default()
        };
        (combined, aggregate_key)
    }

    /// `eventLogger.eventObserve`: a repeat takes the first occurrence's name and
    /// `firstTimestamp` and the next count.
    fn observe(&mut self, mut event: Event, key: u64) -> Event {
        let object = key_hash(&[s(&event.involved_object.uid)]);
        // A fresh entry has count 0: not a repeat.
        let fresh = || EventLog {
            count: 0,
            first_timestamp: SimTime::ZERO,
            name: String::new(),
        };
        self.observed.upsert(key, object, fresh, |last| {
            if last.count > 0 {
                event.metadata.name = Some(std::mem::take(&mut last.name));
                event.first_timestamp = Some(last.first_timestamp.to_k8s_time());
                event.count = Some(last.count + 1);
            }
            *last = EventLog {
                count: event.count.unwrap_or(1),
                first_timestamp: event
                    .first_timestamp
                    .as_ref()
                    .map_or(SimTime::ZERO, SimTime::from_k8s_time),
                name: event.metadata.name.clone().unwrap_or_default(),
            };
        });
        event
    }

    /// `EventSourceObjectSpamFilter.Filter`: true if the event must be dropped.
    fn spam_filtered(&mut self, now: SimTime, event: &Event) -> bool {
        let [kind, namespace, name, uid, api_version] = reference_parts(&event.involved_object);
        let object = key_hash(&[uid]);
        let key = key_hash(&[
            &self.component,
            &self.host,
            kind,
            namespace,
            name,
            uid,
            api_version,
        ]);
        let per_token = self.config.spam_refill.as_millis().max(1);
        let capacity = self.config.spam_burst.saturating_mul(per_token);
        let full = || TokenBucket {
            credit: capacity,
            last: now,
        };
        let accept = self.spam.upsert(key, object, full, |bucket| {
            bucket.credit = bucket
                .credit
                .saturating_add(now.since(bucket.last).as_millis())
                .min(capacity);
            bucket.last = now;
            let accept = bucket.credit >= per_token;
            if accept {
                bucket.credit -= per_token;
            }
            accept
        });
        !accept
    }

    /// The object with this UID is gone for good: its cache entries (keyed by the involved
    /// object's UID, which is never reused) can no longer be hit, so they are dropped instead of
    /// waiting to be the least recently used. A long-running cluster's recorders then hold only
    /// live objects' entries.
    pub fn forget_object(&mut self, uid: &str) {
        if uid.is_empty() {
            return;
        }
        let object = key_hash(&[uid]);
        self.aggregator.forget_object(object);
        self.observed.forget_object(object);
        self.spam.forget_object(object);
    }

    /// How many entries the correlator's caches hold (aggregation, counting, spam); each is at
    /// most [`CorrelatorConfig::lru_cache_size`].
    pub fn cache_sizes(&self) -> (usize, usize, usize) {
        (self.aggregator.len(), self.observed.len(), self.spam.len())
    }
}

/// How often a series recorder re-writes every running series (`refreshTime`).
pub const SERIES_REFRESH: SimDuration = SimDuration::mins(30);
/// How long without a repeat ends a series (`finishTime`); also how often that is checked.
pub const SERIES_FINISH: SimDuration = SimDuration::mins(6);

/// One cached event of a [`SeriesEventRecorder`].
#[derive(Debug, Clone)]
struct CachedEvent {
    event: Event,
    seq: u64,
    event_time: SimTime,
    last_observed: Option<SimTime>,
}

/// client-go's events.k8s.io/v1 recorder (`tools/events`), as kube-scheduler uses it.
///
/// Events are keyed by type, action, reason, reporting controller and instance, regarding and
/// related object (the note is not part of the key: a repeat with another note keeps the first
/// note, as upstream). The cache is bounded to `capacity` events (upstream's map is only cleaned
/// by the 6-minute finish pass; the bound matters only beyond thousands of distinct events in six
/// minutes).
#[derive(Debug, Clone)]
pub struct SeriesEventRecorder {
    reporting_controller: String,
    reporting_instance: String,
    names: NameClock,
    capacity: usize,
    next_seq: u64,
    cache: BTreeMap<String, CachedEvent>,
    by_seq: BTreeMap<u64, String>,
    next_refresh: SimTime,
    next_finish: SimTime,
}

impl SeriesEventRecorder {
    /// A recorder for `reporting_controller` (e.g. `default-scheduler`) running on `host`,
    /// started at `now`; its `reportingInstance` is `<controller>-<host>` as upstream's
    /// `NewRecorder`. Its cache holds at most 4,096 events.
    pub fn new(
        reporting_controller: impl Into<String>,
        host: &str,
        now: SimTime,
    ) -> SeriesEventRecorder {
        let reporting_controller = reporting_controller.into();
        let reporting_instance = format!("{reporting_controller}-{host}");
        SeriesEventRecorder {
            names: NameClock::new(&reporting_instance),
            reporting_controller,
            reporting_instance,
            capacity: 4096,
            next_seq: 0,
            cache: BTreeMap::new(),
            by_seq: BTreeMap::new(),
            next_refresh: now.plus(SERIES_REFRESH),
            next_finish: now.plus(SERIES_FINISH),
        }
    }

    /// `reportingController`, e.g. `default-scheduler`.
    pub fn reporting_controller(&self) -> &str {
        &self.reporting_controller
    }

    /// `reportingInstance`, e.g. `default-scheduler-control-plane`.
    pub fn reporting_instance(&self) -> &str {
        &self.reporting_instance
    }

    /// Records `reason`/`note` about `regarding` (and optionally `related`) at `now`, for
    /// `action` (`Scheduling`, `Binding`, …). Returns the write to send: a new Event, the Event
    /// with `series.count` 2 on the first repeat, and nothing for later repeats (the series is
    /// counted and written by [`SeriesEventRecorder::maintain`]).
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        now: SimTime,
        regarding: ObjectReference,
        related: Option<ObjectReference>,
        type_: EventType,
        reason: &str,
        action: &str,
        note: &str,
    ) -> Option<EventWrite> {
        let key = self.key(type_, action, reason, &regarding, related.as_ref());
        if let Some(cached) = self.cache.get_mut(&key) {
            let series = cached.event.series.get_or_insert_with(EventSeries::default);
            let first_repeat = cached.last_observed.is_none();
            series.count = Some(series.count.map_or(2, |c| c + 1));
            series.last_observed_time = Some(now.to_k8s_micro_time());
            cached.last_observed = Some(now);
            return first_repeat.then(|| EventWrite::Update(cached.event.clone()));
        }

        let nanos = self.names.next(now);
        let event = Event {
            metadata: ObjectMeta {
                name: Some(event_name(&regarding, nanos)),
                namespace: Some(event_namespace(&regarding)),
                ..ObjectMeta::default()
            },
            involved_object: regarding,
            related,
            reason: Some(reason.to_string()),
            message: Some(note.to_string()),
            type_: Some(type_.as_str().to_string()),
            event_time: Some(now.to_k8s_micro_time()),
            action: Some(action.to_string()),
            reporting_component: Some(self.reporting_controller.clone()),
            reporting_instance: Some(self.reporting_instance.clone()),
            source: Some(EventSource::default()),
            ..Event::default()
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_seq.insert(seq, key.clone());
        self.cache.insert(
            key,
            CachedEvent {
                event: event.clone(),
                seq,
                event_time: now,
                last_observed: None,
            },
        );
        while self.cache.len() > self.capacity {
            match self.by_seq.pop_first() {
                Some((_, oldest)) => {
                    self.cache.remove(&oldest);
                }
                None => break,
            }
        }
        Some(EventWrite::Create(event))
    }

    fn key(
        &self,
        type_: EventType,
        action: &str,
        reason: &str,
        regarding: &ObjectReference,
        related: Option<&ObjectReference>,
    ) -> String {
        let empty = ObjectReference::default();
        let related = related.unwrap_or(&empty);
        let mut parts: Vec<&str> = vec![
            type_.as_str(),
            action,
            reason,
            &self.reporting_controller,
            &self.reporting_instance,
        ];
        for r in [regarding, related] {
            parts.extend(reference_parts(r));
            parts.push(s(&r.resource_version));
            parts.push(s(&r.field_path));
        }
        join_key(&parts)
    }

    /// When [`SeriesEventRecorder::maintain`] next has work to do.
    pub fn next_maintenance(&self) -> SimTime {
        self.next_refresh.min(self.next_finish)
    }

    /// Runs the periodic passes that are due at `now`: every 30 minutes the refresh re-writes
    /// every running series; every 6 minutes the finish pass writes the final count of each
    /// series without a repeat for 6 minutes and forgets it, and forgets single events older
    /// than 6 minutes (their next occurrence starts a new Event).
    pub fn maintain(&mut self, now: SimTime) -> Vec<EventWrite> {
        let mut writes = Vec::new();
        if now >= self.next_refresh {
            writes.extend(
                self.cache
                    .values()
                    .filter(|c| c.last_observed.is_some())
                    .map(|c| EventWrite::Update(c.event.clone())),
            );
            self.next_refresh = now.plus(SERIES_REFRESH);
        }
        if now >= self.next_finish {
            let horizon = now.0.checked_sub(SERIES_FINISH.as_millis()).map(SimTime);
            let mut finished = Vec::new();
            for (key, c) in &self.cache {
                let Some(horizon) = horizon else { break };
                match c.last_observed {
                    Some(last) if last < horizon => {
                        writes.push(EventWrite::Update(c.event.clone()));
                        finished.push((key.clone(), c.seq));
                    }
                    None if c.event_time < horizon => finished.push((key.clone(), c.seq)),
                    _ => {}
                }
            }
            for (key, seq) in finished {
                self.cache.remove(&key);
                self.by_seq.remove(&seq);
            }
            self.next_finish = now.plus(SERIES_FINISH);
        }
        writes
    }

    /// How many events the recorder remembers.
    pub fn cache_len(&self) -> usize {
        self.cache.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use k8s_openapi::api::core::v1::{Container, PodSpec};

    #[test]
    fn an_event_name_is_the_object_name_and_the_nanoseconds_in_hex() {
        let reference = ObjectReference {
            name: Some("web-0".into()),
            ..Default::default()
        };
        for nanos in [
            0,
            1,
            15,
            16,
            255,
            1_745_366_400_000_000_000,
            i128::MAX,
            -1,
            i128::MIN,
        ] {
            assert_eq!(
                event_name(&reference, nanos),
                format!("web-0.{nanos:x}"),
                "{nanos}"
            );
        }
        assert_eq!(
            event_name(&reference, 1_745_366_400_000_000_000),
            "web-0.1838c97e52e70000"
        );
    }

    #[test]
    fn correlator_keys_of_a_busy_node_do_not_collide() {
        // Where the parts split matters, and so do empty parts.
        assert_ne!(key_hash(&["ab", "c"]), key_hash(&["a", "bc"]));
        assert_ne!(key_hash(&["a", ""]), key_hash(&["a"]));
        assert_ne!(key_hash(&["12345678"]), key_hash(&["12345678", ""]));
        // 200,000 keys as a kubelet makes them, differing in a pod name, a UID or a reason.
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..50_000 {
            let name = format!("web-7d4b9c8f6-{i:05x}");
            let uid = format!("6f1c2a4e-0000-4000-8000-{i:012x}");
            for reason in ["Pulling", "Pulled", "Created", "Started"] {
                let key = key_hash(&[
                    "kubelet", "node-17", "Pod", "default", &name, &uid, "v1", "Normal", reason,
                ]);
                assert!(seen.insert(key), "{name} {reason} collides");
            }
        }
    }

    fn nginx() -> Pod {
        let mut pod = Pod::default();
        pod.metadata.name = Some("nginx".into());
        pod.metadata.namespace = Some("default".into());
        pod.metadata.uid = Some("uid-1".into());
        pod.metadata.resource_version = Some("7".into());
        pod.spec = Some(PodSpec {
            containers: vec![Container {
                name: "nginx".into(),
                ..Container::default()
            }],
            ..PodSpec::default()
        });
        pod
    }

    fn at(secs: u64) -> SimTime {
        SimTime(secs * 1000)
    }

    fn expected_name(object: &str, identity: &str, now: SimTime) -> String {
        let nanos = (i128::from(EPOCH_UNIX_SECONDS) * 1000 + i128::from(now.0)) * 1_000_000
            + i128::from(fnv1a(identity) % 1_000_000);
        format!("{object}.{nanos:x}")
    }

    fn json(e: &Event) -> serde_json::Value {
        serde_json::to_value(e).unwrap()
    }

    #[test]
    fn a_first_event_is_created_with_count_one_and_the_client_go_fields() {
        let mut kubelet = EventRecorder::new("kubelet", "node-1");
        let pod = nginx();
        let write = kubelet
            .record(
                SimTime(5_250),
                container_reference(&pod, "nginx"),
                EventType::Normal,
                "Pulling",
                "Pulling image \"nginx\"",
            )
            .unwrap();
        let EventWrite::Create(e) = write else {
            panic!("expected a create, got {write:?}")
        };
        assert_eq!(
            e.metadata.name.as_deref(),
            Some(expected_name("nginx", "kubelet/node-1", SimTime(5_250)).as_str())
        );
        assert_eq!(
            e.metadata.name.as_deref().unwrap().len(),
            "nginx.".len() + 16
        );
        assert_eq!(
            json(&e),
            serde_json::json!({
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": e.metadata.name, "namespace": "default"},
                "involvedObject": {
                    "apiVersion": "v1", "kind": "Pod", "namespace": "default", "name": "nginx",
                    "uid": "uid-1", "resourceVersion": "7", "fieldPath": "spec.containers{nginx}"
                },
                "reason": "Pulling",
                "message": "Pulling image \"nginx\"",
                "source": {"component": "kubelet", "host": "node-1"},
                "firstTimestamp": "2025-04-23T00:00:05Z",
                "lastTimestamp": "2025-04-23T00:00:05Z",
                "count": 1,
                "type": "Normal",
                "reportingComponent": "kubelet",
                "reportingInstance": "node-1"
            })
        );
    }

    #[test]
    fn a_repeat_updates_the_same_event_with_count_two_and_a_later_last_timestamp() {
        let mut kubelet = EventRecorder::new("kubelet", "node-1");
        let reference = container_reference(&nginx(), "nginx");
        let first = kubelet
            .record(
                at(10),
                reference.clone(),
                EventType::Warning,
                "BackOff",
                "Back-off pulling image \"nginx:nope\"",
            )
            .unwrap()
            .into_event();
        let second = kubelet
            .record(
                at(40),
                reference,
                EventType::Warning,
                "BackOff",
                "Back-off pulling image \"nginx:nope\"",
            )
            .unwrap();
        let EventWrite::Update(e) = second else {
            panic!("expected an update, got {second:?}")
        };
        assert_eq!(e.metadata.name, first.metadata.name);
        assert_eq!(e.count, Some(2));
        assert_eq!(json(&e)["firstTimestamp"], "2025-04-23T00:00:10Z");
        assert_eq!(json(&e)["lastTimestamp"], "2025-04-23T00:00:40Z");
    }

    #[test]
    fn the_tenth_similar_event_within_ten_minutes_is_combined() {
        let mut rs = EventRecorder::new("replicaset-controller", "");
        let mut owner = ObjectReference {
            api_version: Some("apps/v1".into()),
            kind: Some("ReplicaSet".into()),
            namespace: Some("default".into()),
            name: Some("web-7c79c4bf97".into()),
            uid: Some("rs-uid".into()),
            ..ObjectReference::default()
        };
        let mut names = BTreeSet::new();
        for i in 0..9 {
            owner.resource_version = Some(i.to_string());
            let e = rs
                .record(
                    at(i),
                    owner.clone(),
                    EventType::Warning,
                    "FailedCreate",
                    &format!("Error creating: pods \"web-{i}\" is forbidden"),
                )
                .unwrap();
            assert!(matches!(e, EventWrite::Create(_)));
            assert_eq!(
                e.event().message.as_deref(),
                Some(format!("Error creating: pods \"web-{i}\" is forbidden").as_str())
            );
            names.insert(e.event().metadata.name.clone());
        }
        let tenth = rs
            .record(
                at(9),
                owner.clone(),
                EventType::Warning,
                "FailedCreate",
                "Error creating: pods \"web-9\" is forbidden",
            )
            .unwrap();
        let EventWrite::Create(combined) = tenth else {
            panic!("expected a create, got {tenth:?}")
        };
        assert_eq!(
            combined.message.as_deref(),
            Some("(combined from similar events): Error creating: pods \"web-9\" is forbidden")
        );
        assert_eq!(combined.count, Some(1));
        assert_eq!(combined.reporting_component, None);
        assert_eq!(
            combined.source,
            Some(EventSource {
                component: Some("replicaset-controller".into()),
                host: None
            })
        );
        assert!(names.insert(combined.metadata.name.clone()));

        let eleventh = rs
            .record(
                at(20),
                owner.clone(),
                EventType::Warning,
                "FailedCreate",
                "Error creating: pods \"web-10\" is forbidden",
            )
            .unwrap();
        let EventWrite::Update(e) = eleventh else {
            panic!("expected an update, got {eleventh:?}")
        };
        assert_eq!(e.metadata.name, combined.metadata.name);
        assert_eq!(e.count, Some(2));
        assert_eq!(
            e.message.as_deref(),
            Some("(combined from similar events): Error creating: pods \"web-10\" is forbidden")
        );

        // After ten quiet minutes similar events start over.
        let later = rs
            .record(
                at(20 + 601),
                owner,
                EventType::Warning,
                "FailedCreate",
                "Error creating: pods \"web-11\" is forbidden",
            )
            .unwrap();
        assert_eq!(
            later.event().message.as_deref(),
            Some("Error creating: pods \"web-11\" is forbidden")
        );
    }

    #[test]
    fn a_source_may_burst_25_events_about_an_object_then_one_every_five_minutes() {
        let mut kubelet = EventRecorder::new("kubelet", "node-1");
        let reference = object_reference(&Object::from(nginx()));
        for i in 0..25 {
            let w = kubelet.record(
                at(i),
                reference.clone(),
                EventType::Warning,
                "BackOff",
                "Back-off restarting failed container",
            );
            assert!(w.is_some(), "event {i}");
        }
        assert!(kubelet
            .record(
                at(30),
                reference.clone(),
                EventType::Warning,
                "BackOff",
                "Back-off restarting failed container"
            )
            .is_none());
        let next = kubelet
            .record(
                at(24 + 300),
                reference,
                EventType::Warning,
                "BackOff",
                "Back-off restarting failed container",
            )
            .unwrap();
        // The dropped occurrence still counted.
        assert_eq!(next.event().count, Some(27));
    }

    #[test]
    fn events_at_the_same_instant_get_distinct_names() {
        let mut kubelet = EventRecorder::new("kubelet", "node-1");
        let reference = node_reference("node-1");
        let reasons = [
            "NodeHasSufficientMemory",
            "NodeHasNoDiskPressure",
            "NodeHasSufficientPID",
        ];
        let names: BTreeSet<_> = reasons
            .iter()
            .map(|r| {
                let w = kubelet
                    .record(SimTime::ZERO, reference.clone(), EventType::Normal, r, r)
                    .unwrap();
                assert_eq!(w.event().metadata.namespace.as_deref(), Some("default"));
                assert_eq!(w.event().involved_object.uid.as_deref(), Some("node-1"));
                w.event().metadata.name.clone().unwrap()
            })
            .collect();
        assert_eq!(names.len(), 3);
        let mut controller = EventRecorder::new("node-controller", "");
        let other = controller
            .record(
                SimTime::ZERO,
                reference,
                EventType::Normal,
                "RegisteredNode",
                "Node node-1 event: Registered Node node-1 in Controller",
            )
            .unwrap();
        assert!(!names.contains(other.event().metadata.name.as_deref().unwrap()));
    }

    #[test]
    fn an_upsert_updates_in_place_and_evicts_the_least_recently_used() {
        let mut lru: Lru<u32> = Lru::new(2);
        let count = |lru: &mut Lru<u32>, key: u64| {
            lru.upsert(
                key,
                key,
                || 0,
                |n| {
                    *n += 1;
                    *n
                },
            )
        };
        assert_eq!(count(&mut lru, 1), 1);
        assert_eq!(count(&mut lru, 2), 1);
        // 1 again: updated where it is, and now the most recently used.
        assert_eq!(count(&mut lru, 1), 2);
        // A third key evicts 2, the least recently used, not 1.
        assert_eq!(count(&mut lru, 3), 1);
        assert_eq!(lru.len(), 2);
        assert_eq!(count(&mut lru, 1), 3);
        assert_eq!(count(&mut lru, 2), 1, "2 was evicted, so it starts again");
        // With no room at all nothing is kept, as a put beyond capacity keeps nothing.
        let mut none: Lru<u32> = Lru::new(0);
        assert_eq!(count(&mut none, 1), 1);
        assert_eq!(count(&mut none, 1), 1);
        assert_eq!(none.len(), 0);
    }

    #[test]
    fn correlator_caches_stay_within_their_lru_bound() {
        let config = CorrelatorConfig {
            lru_cache_size: 64,
            ..CorrelatorConfig::default()
        };
        let mut kubelet = EventRecorder::with_config("kubelet", "node-1", config);
        for i in 0..1000 {
            let mut pod = nginx();
            pod.metadata.name = Some(format!("p{i}"));
            kubelet.record(
                at(i),
                object_reference(&Object::from(pod)),
                EventType::Normal,
                "Scheduled",
                "x",
            );
        }
        let (a, o, s) = kubelet.cache_sizes();
        assert!(a <= 64 && o <= 64 && s <= 64);
    }

    #[test]
    fn a_deleted_objects_cache_entries_are_forgotten_and_others_kept() {
        let mut kubelet = EventRecorder::new("kubelet", "node-1");
        for (name, uid) in [("a", "uid-a"), ("b", "uid-b")] {
            let mut pod = nginx();
            pod.metadata.name = Some(name.into());
            pod.metadata.uid = Some(uid.into());
            kubelet.record(
                at(1),
                object_reference(&Object::from(pod)),
                EventType::Normal,
                "Pulled",
                "x",
            );
        }
        assert_eq!(kubelet.cache_sizes(), (2, 2, 2));
        kubelet.forget_object("uid-a");
        assert_eq!(kubelet.cache_sizes(), (1, 1, 1));
        kubelet.forget_object("");
        assert_eq!(kubelet.cache_sizes(), (1, 1, 1));
    }

    #[test]
    fn the_scheduler_records_events_k8s_io_style_and_folds_repeats_into_a_series() {
        let mut scheduler =
            SeriesEventRecorder::new("default-scheduler", "control-plane", SimTime::ZERO);
        let pod = object_reference(&Object::from(nginx()));
        let note = "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
        let first = scheduler
            .record(
                SimTime(1_500),
                pod.clone(),
                None,
                EventType::Warning,
                "FailedScheduling",
                "Scheduling",
                note,
            )
            .unwrap();
        let EventWrite::Create(e) = &first else {
            panic!("expected a create, got {first:?}")
        };
        assert_eq!(
            json(e),
            serde_json::json!({
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": expected_name("nginx", "default-scheduler-control-plane", SimTime(1_500)), "namespace": "default"},
                "involvedObject": {
                    "apiVersion": "v1", "kind": "Pod", "namespace": "default", "name": "nginx",
                    "uid": "uid-1", "resourceVersion": "7"
                },
                "reason": "FailedScheduling",
                "message": note,
                "source": {},
                "type": "Warning",
                "eventTime": "2025-04-23T00:00:01.500000Z",
                "action": "Scheduling",
                "reportingComponent": "default-scheduler",
                "reportingInstance": "default-scheduler-control-plane"
            })
        );

        let second = scheduler
            .record(
                at(61),
                pod.clone(),
                None,
                EventType::Warning,
                "FailedScheduling",
                "Scheduling",
                "another note",
            )
            .unwrap();
        let EventWrite::Update(s2) = &second else {
            panic!("expected an update, got {second:?}")
        };
        assert_eq!(s2.metadata.name, e.metadata.name);
        assert_eq!(s2.message.as_deref(), Some(note));
        assert_eq!(
            json(s2)["series"],
            serde_json::json!({"count": 2, "lastObservedTime": "2025-04-23T00:01:01.000000Z"})
        );

        assert!(scheduler
            .record(
                at(121),
                pod.clone(),
                None,
                EventType::Warning,
                "FailedScheduling",
                "Scheduling",
                note
            )
            .is_none());

        // Nothing due before six minutes; at 6 minutes the series is still running.
        assert_eq!(scheduler.next_maintenance(), at(360));
        assert!(scheduler.maintain(at(360)).is_empty());
        // At 12 minutes it has been quiet for over 6: the final count is written and forgotten.
        let done = scheduler.maintain(at(720));
        assert_eq!(done.len(), 1);
        assert_eq!(json(done[0].event())["series"]["count"], 3);
        assert_eq!(scheduler.cache_len(), 0);

        let again = scheduler
            .record(
                at(800),
                pod,
                None,
                EventType::Warning,
                "FailedScheduling",
                "Scheduling",
                note,
            )
            .unwrap();
        assert!(matches!(again, EventWrite::Create(_)));
        assert_ne!(again.event().metadata.name, e.metadata.name);
    }

    #[test]
    fn running_series_are_rewritten_by_the_thirty_minute_refresh() {
        let mut scheduler = SeriesEventRecorder::new("default-scheduler", "cp", SimTime::ZERO);
        let pod = object_reference(&Object::from(nginx()));
        let mut refreshed = Vec::new();
        for minute in 0..40 {
            scheduler.record(
                at(minute * 60),
                pod.clone(),
                None,
                EventType::Warning,
                "FailedScheduling",
                "Scheduling",
                "x",
            );
            if at(minute * 60) >= scheduler.next_maintenance() {
                refreshed.extend(scheduler.maintain(at(minute * 60)));
            }
        }
        assert_eq!(refreshed.len(), 1);
        assert_eq!(json(refreshed[0].event())["series"]["count"], 31);
    }
}
