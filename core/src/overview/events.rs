//! The cluster's Events in the order the playground's timeline lists them (last seen, then
//! etcd key, as a stable sort of the key-ordered list by last seen gives), kept from the same
//! store feed as the rest of the [`Overview`](super::Overview). At 30,000 pods there are about
//! 150,000 Events; the timeline draws the newest 200 that match its filters and 500 axis ticks,
//! and with this log it never builds a row for the others.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Event;

use super::event_counts::EventCounts;
use crate::kubectl::get::{event_last_seen, event_source};
use crate::sim::SimTime;

/// The etcd key prefix of Events.
pub const EVENT_PREFIX: &str = "/registry/events/";

/// One Event as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventEntry {
    /// When it was last seen.
    pub at: SimTime,
    /// `Normal` or `Warning`.
    pub type_: String,
    /// REASON.
    pub reason: String,
    /// OBJECT, `pod/nginx`.
    pub object: String,
    /// The recording component: `source.component`, else `reportingComponent`.
    pub component: String,
    /// MESSAGE, trimmed.
    pub message: String,
}

impl EventEntry {
    /// The entry of one Event.
    pub fn of(e: &Event) -> EventEntry {
        let component = event_source(e);
        EventEntry {
            at: event_last_seen(e).unwrap_or(SimTime::ZERO),
            type_: e.type_.clone().unwrap_or_default(),
            reason: e.reason.clone().unwrap_or_default(),
            object: format!(
                "{}/{}",
                e.involved_object
                    .kind
                    .as_deref()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                e.involved_object.name.as_deref().unwrap_or_default()
            ),
            component,
            message: e.message.as_deref().unwrap_or_default().trim().to_string(),
        }
    }

    /// Whether it is a `Warning`.
    pub fn is_warning(&self) -> bool {
        self.type_ == "Warning"
    }
}

/// Every Event by (last seen, etcd key), with the components that recorded them.
#[derive(Debug, Default)]
pub struct EventLog {
    by_time: BTreeMap<(SimTime, String), EventEntry>,
    /// When each Event (by etcd key) was last seen: where it is in `by_time`.
    at: BTreeMap<String, SimTime>,
    /// How many Events each component recorded.
    components: BTreeMap<String, usize>,
    /// How many Events, and Warnings, were last seen before any moment.
    counts: EventCounts,
}

impl EventLog {
    /// Adds or replaces the Event at etcd key `key`.
    pub fn put(&mut self, key: String, entry: EventEntry) {
        self.remove(&key);
        *self.components.entry(entry.component.clone()).or_insert(0) += 1;
        self.counts.add(entry.at, entry.is_warning(), 1);
        self.at.insert(key.clone(), entry.at);
        self.by_time.insert((entry.at, key), entry);
    }

    /// Forgets the Event at etcd key `key`.
    pub fn remove(&mut self, key: &str) {
        let Some(at) = self.at.remove(key) else {
            return;
        };
        if let Some(old) = self.by_time.remove(&(at, key.to_string())) {
            self.counts.add(at, old.is_warning(), -1);
            if let Some(n) = self.components.get_mut(&old.component) {
                *n -= 1;
                if *n == 0 {
                    self.components.remove(&old.component);
                }
            }
        }
    }

    /// How many Events there are.
    pub fn len(&self) -> usize {
        self.by_time.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_time.is_empty()
    }

    /// Every Event, oldest first; `.rev()` for the newest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &EventEntry> + ExactSizeIterator {
        self.by_time.values()
    }

    /// Every Event with its etcd key, oldest first.
    pub fn keyed(&self) -> impl DoubleEndedIterator<Item = (&str, &EventEntry)> {
        self.by_time.iter().map(|((_, key), e)| (key.as_str(), e))
    }

    /// How many Events, and how many Warnings among them, were last seen before `t`: O(log n).
    pub fn count_before(&self, t: SimTime) -> (usize, usize) {
        self.counts.before(t)
    }

    /// How many Events there are, and how many Warnings among them.
    pub fn count_all(&self) -> (usize, usize) {
        self.counts.all()
    }

    /// The first Event, in the log's order, last seen at `t` or later.
    pub fn first_from(&self, t: SimTime) -> Option<&EventEntry> {
        self.by_time
            .range((t, String::new())..)
            .next()
            .map(|(_, e)| e)
    }

    /// The components that recorded Events, in name order.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.components.keys().map(String::as_str)
    }
}
