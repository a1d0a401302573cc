//! A stored Event held in a compact form: its texts in one buffer and its times beside them.
//!
//! A cluster's Events are most of its objects (five or six a pod) and are read far less often
//! than they are written. As a `k8s_openapi` struct an Event is about 1,000 bytes before its
//! strings, nearly all of it unset options (an `ObjectMeta`, two `ObjectReference`s), and each
//! of its sixteen or so strings is an allocation of its own. The store keeps an Event it can
//! pack as a [`PackedEvent`] instead (about a third of the memory, two allocations) and makes
//! the typed object again when one is asked for. What it can pack are exactly the fields the
//! recorders and the API server set on an Event; one with anything else (labels, annotations,
//! owner references, managed fields, a deletion, a text over 64 KiB in all) stays typed, so
//! packing never loses a field: `unpack(pack(e)) == e` for every Event it packs.

use k8s_openapi::api::core::v1::{Event, EventSeries, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};

/// How many optional string fields an Event has that a [`PackedEvent`] keeps; their order is
/// [`PackedEvent::strings`]'s.
const STRINGS: usize = 26;

/// `related` is set.
const RELATED: u8 = 1;
/// `source` is set.
const SOURCE: u8 = 1 << 1;
/// `series` is set.
const SERIES: u8 = 1 << 2;

/// An Event without the typed struct's unset fields: see the module's documentation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PackedEvent {
    /// The set string fields' texts, one after another, in [`PackedEvent::strings`]' order.
    text: Box<str>,
    /// Where each string field's text ends in `text`; it starts where the one before ends.
    ends: [u16; STRINGS],
    /// Which string fields are set, one bit each (an empty text and an unset field differ).
    present: u32,
    /// Which optional structs are set: [`RELATED`], [`SOURCE`], [`SERIES`].
    parts: u8,
    count: Option<i32>,
    series_count: Option<i32>,
    creation_timestamp: Option<Time>,
    first_timestamp: Option<Time>,
    last_timestamp: Option<Time>,
    event_time: Option<MicroTime>,
    series_last_observed_time: Option<MicroTime>,
}

impl PackedEvent {
    /// `event` packed, or `None` when it sets a field the packed form does not keep.
    pub(crate) fn pack(event: &Event) -> Option<PackedEvent> {
        // Every field named: a field a later Kubernetes version adds fails to compile here
        // instead of being lost.
        let Event {
            action: _,
            count,
            event_time,
            first_timestamp,
            involved_object: _,
            last_timestamp,
            message: _,
            metadata,
            reason: _,
            related,
            reporting_component: _,
            reporting_instance: _,
            series,
            source,
            type_: _,
        } = event;
        let ObjectMeta {
            annotations,
            creation_timestamp,
            deletion_grace_period_seconds,
            deletion_timestamp,
            finalizers,
            generate_name,
            generation,
            labels,
            managed_fields,
            name: _,
            namespace: _,
            owner_references,
            resource_version: _,
            self_link,
            uid: _,
        } = metadata;
        if annotations.is_some()
            || deletion_grace_period_seconds.is_some()
            || deletion_timestamp.is_some()
            || finalizers.is_some()
            || generate_name.is_some()
            || generation.is_some()
            || labels.is_some()
            || managed_fields.is_some()
            || owner_references.is_some()
            || self_link.is_some()
        {
            return None;
        }
        let strings = Self::strings(event);
        let total: usize = strings.iter().flatten().map(|s| s.len()).sum();
        if total > usize::from(u16::MAX) {
            return None;
        }
        let mut text = String::with_capacity(total);
        let mut ends = [0u16; STRINGS];
        let mut present = 0u32;
        for (i, field) in strings.iter().enumerate() {
            if let Some(s) = field {
                text.push_str(s);
                present |= 1 << i;
            }
            // `total` fits, so every prefix of it does.
            ends[i] = text.len() as u16;
        }
        let mut parts = 0;
        if related.is_some() {
            parts |= RELATED;
        }
        if source.is_some() {
            parts |= SOURCE;
        }
        if series.is_some() {
            parts |= SERIES;
        }
        let series = series.as_ref();
        Some(PackedEvent {
            text: text.into_boxed_str(),
            ends,
            present,
            parts,
            count: *count,
            series_count: series.and_then(|s| s.count),
            creation_timestamp: creation_timestamp.clone(),
            first_timestamp: first_timestamp.clone(),
            last_timestamp: last_timestamp.clone(),
            event_time: event_time.clone(),
            series_last_observed_time: series.and_then(|s| s.last_observed_time.clone()),
        })
    }

    /// The string fields kept, in their packed order: the metadata's, the involved object's,
    /// the Event's own, the source's and the related object's.
    fn strings(e: &Event) -> [Option<&str>; STRINGS] {
        let m = &e.metadata;
        let i = &e.involved_object;
        let r = e.related.as_ref();
        let related = |f: fn(&ObjectReference) -> &Option<String>| r.and_then(|r| f(r).as_deref());
        let s = e.source.as_ref();
        [
            m.name.as_deref(),
            m.namespace.as_deref(),
            m.uid.as_deref(),
            m.resource_version.as_deref(),
            i.api_version.as_deref(),
            i.field_path.as_deref(),
            i.kind.as_deref(),
            i.name.as_deref(),
            i.namespace.as_deref(),
            i.resource_version.as_deref(),
            i.uid.as_deref(),
            e.action.as_deref(),
            e.message.as_deref(),
            e.reason.as_deref(),
            e.reporting_component.as_deref(),
            e.reporting_instance.as_deref(),
            e.type_.as_deref(),
            s.and_then(|s| s.component.as_deref()),
            s.and_then(|s| s.host.as_deref()),
            related(|r| &r.api_version),
            related(|r| &r.field_path),
            related(|r| &r.kind),
            related(|r| &r.name),
            related(|r| &r.namespace),
            related(|r| &r.resource_version),
            related(|r| &r.uid),
        ]
    }

    /// String field `i`, if set.
    fn string(&self, i: usize) -> Option<String> {
        if self.present & (1 << i) == 0 {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(self.text[usize::from(start)..usize::from(self.ends[i])].to_string())
    }

    /// The Event as it was packed.
    pub(crate) fn unpack(&self) -> Event {
        let s = |i| self.string(i);
        let reference = |at: usize| ObjectReference {
            api_version: s(at),
            field_path: s(at + 1),
            kind: s(at + 2),
            name: s(at + 3),
            namespace: s(at + 4),
            resource_version: s(at + 5),
            uid: s(at + 6),
        };
        Event {
            metadata: ObjectMeta {
                name: s(0),
                namespace: s(1),
                uid: s(2),
                resource_version: s(3),
                creation_timestamp: self.creation_timestamp.clone(),
                ..ObjectMeta::default()
            },
            involved_object: reference(4),
            action: s(11),
            message: s(12),
            reason: s(13),
            reporting_component: s(14),
            reporting_instance: s(15),
            type_: s(16),
            source: (self.parts & SOURCE != 0).then(|| EventSource {
                component: s(17),
                host: s(18),
            }),
            related: (self.parts & RELATED != 0).then(|| reference(19)),
            series: (self.parts & SERIES != 0).then(|| EventSeries {
                count: self.series_count,
                last_observed_time: self.series_last_observed_time.clone(),
            }),
            count: self.count,
            first_timestamp: self.first_timestamp.clone(),
            last_timestamp: self.last_timestamp.clone(),
            event_time: self.event_time.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sim::SimTime;

    fn reference(kind: &str, name: &str, field_path: Option<&str>) -> ObjectReference {
        ObjectReference {
            api_version: Some("v1".into()),
            field_path: field_path.map(Into::into),
            kind: Some(kind.into()),
            name: Some(name.into()),
            namespace: Some("default".into()),
            resource_version: Some("56".into()),
            uid: Some("44ecb20d-86dc-4b5d-bc75-7e5b40e1bfdc".into()),
        }
    }

    /// A kubelet's `Pulling` Event as the API server stores it.
    fn kubelet_event() -> Event {
        let t = SimTime(1_000).to_k8s_time();
        Event {
            metadata: ObjectMeta {
                name: Some("nginx.1838c97e903019ed".into()),
                namespace: Some("default".into()),
                uid: Some("c7bbeddb-2635-4265-baaa-89a3ce7ed856".into()),
                resource_version: Some("57".into()),
                creation_timestamp: Some(t.clone()),
                ..ObjectMeta::default()
            },
            involved_object: reference("Pod", "nginx", Some("spec.containers{nginx}")),
            reason: Some("Pulling".into()),
            message: Some("Pulling image \"nginx\"".into()),
            first_timestamp: Some(t.clone()),
            last_timestamp: Some(t),
            count: Some(1),
            type_: Some("Normal".into()),
            source: Some(EventSource {
                component: Some("kubelet".into()),
                host: Some("node-2".into()),
            }),
            reporting_component: Some("kubelet".into()),
            reporting_instance: Some("node-2".into()),
            ..Event::default()
        }
    }

    /// The scheduler's events.k8s.io-style Event, with a related object and a series.
    fn scheduler_event() -> Event {
        let t = SimTime(3_001).to_k8s_micro_time();
        Event {
            metadata: ObjectMeta {
                name: Some("web-1.1838c97e52fd291d".into()),
                namespace: Some("default".into()),
                uid: Some("c4a4350b-aaf3-4b56-b7dc-5f8a40fd703a".into()),
                resource_version: Some("55".into()),
                creation_timestamp: Some(SimTime(2_000).to_k8s_time()),
                ..ObjectMeta::default()
            },
            involved_object: reference("Pod", "web-1", None),
            related: Some(reference("Node", "node-1", None)),
            reason: Some("Preempted".into()),
            message: Some(String::new()),
            action: Some("Preempting".into()),
            type_: Some("Normal".into()),
            event_time: Some(t.clone()),
            series: Some(EventSeries {
                count: Some(3),
                last_observed_time: Some(t),
            }),
            reporting_component: Some("default-scheduler".into()),
            reporting_instance: Some("default-scheduler-control-plane".into()),
            source: Some(EventSource::default()),
            ..Event::default()
        }
    }

    #[test]
    fn the_recorders_events_unpack_to_what_was_packed() {
        for event in [kubelet_event(), scheduler_event(), Event::default()] {
            let packed = PackedEvent::pack(&event).expect("the recorders' fields are packed");
            assert_eq!(packed.unpack(), event);
        }
    }

    #[test]
    fn every_event_a_cluster_stores_is_kept_packed_and_reads_back_as_written() {
        use crate::cluster::Cluster;
        use crate::object::Object;
        use crate::sim::SimDuration;

        let mut cluster = Cluster::default();
        let applied = cluster.apply(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: nginx, image: nginx}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec: {containers: [{name: c, image: does-not-exist.example/none}]}\n",
            "test",
        );
        assert!(applied.iter().all(|a| a.ok), "{applied:?}");
        cluster.run_for(SimDuration::mins(2));
        let store = &cluster.api().store;
        let events = store.list("/registry/events/").items;
        // Scheduled, Pulling, Pulled, Created, Started for each replica; the ReplicaSet's and
        // the Deployment's; the failing pull's Failed, ErrImagePull, BackOff and their repeats.
        assert!(events.len() > 20, "{} events", events.len());
        for listed in &events {
            let key = format!(
                "/registry/events/{}/{}",
                listed.meta().namespace.as_deref().unwrap_or_default(),
                listed.meta().name.as_deref().unwrap_or_default()
            );
            let entry = store.entry(&key).expect("a listed key is stored");
            assert!(
                matches!(entry.value, super::super::Value::Packed(_)),
                "{key}"
            );
            let written = &store.history(&key).last().expect("a kept write").object;
            assert!(matches!(&**written, Object::Event(_)));
            assert_eq!(listed, written, "{key}");
            assert_eq!(entry.object(), written, "{key}");
        }
    }

    #[test]
    fn an_empty_text_and_an_unset_one_stay_apart() {
        let mut event = scheduler_event();
        event.message = None;
        event.involved_object.field_path = Some(String::new());
        event.source = None;
        event.series = Some(EventSeries::default());
        let unpacked = PackedEvent::pack(&event).unwrap().unpack();
        assert_eq!(unpacked.message, None);
        assert_eq!(unpacked.involved_object.field_path.as_deref(), Some(""));
        assert_eq!(unpacked, event);
    }

    #[test]
    fn an_event_with_a_field_the_packed_form_lacks_stays_typed() {
        let mut labelled = kubelet_event();
        labelled.metadata.labels = Some([("app".to_string(), "web".to_string())].into());
        assert_eq!(PackedEvent::pack(&labelled), None);
        let mut huge = kubelet_event();
        huge.message = Some("x".repeat(70_000));
        assert_eq!(PackedEvent::pack(&huge), None);
    }
}
