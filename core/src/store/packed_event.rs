//! A stored Event held in a compact form: its texts in one buffer and its times as numbers.
//!
//! A cluster's Events are most of its objects (five or six a pod) and are read far less often
//! than they are written. As a `k8s_openapi` struct an Event is about 1,000 bytes before its
//! strings, nearly all of it unset options (an `ObjectMeta`, two `ObjectReference`s), and each
//! of its sixteen or so strings is an allocation of its own. The store keeps an Event it can
//! pack as a [`PackedEvent`] instead (an 80-byte struct and one buffer, about a quarter of the
//! memory) and makes the typed object again when one is asked for. What it can pack are exactly
//! the fields the recorders and the API server set on an Event; one with anything else (labels,
//! annotations, owner references, managed fields, a deletion, a time outside the years
//! 1678–2261) stays typed, so packing never loses a field: `unpack(pack(e)) == e` for every
//! Event it packs.

use k8s_openapi::api::core::v1::{Event, EventSeries, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;

/// How many optional string fields an Event has that a [`PackedEvent`] keeps; their order is
/// [`PackedEvent::strings`]'s.
const STRINGS: usize = 26;

/// String fields that most often repeat another one, and which: the involved object's
/// namespace is the Event's, a kubelet's reporting component and instance are its source's.
/// A field equal to the one it is paired with is marked, not written again.
const REPEATS: [(usize, usize); 3] = [(8, 1), (17, 14), (18, 15)];

/// Nanoseconds a second.
const NANOS: i64 = 1_000_000_000;

/// `related` is set.
const RELATED: u8 = 1;
/// `source` is set.
const SOURCE: u8 = 1 << 1;
/// `series` is set.
const SERIES: u8 = 1 << 2;

/// How many bytes `n` takes in LEB128.
fn leb128_len(n: usize) -> usize {
    (usize::BITS - (n | 1).leading_zeros()).div_ceil(7) as usize
}

/// The string fields written out in `text`, one bit each: those `present` marks as set but
/// not those it marks as repeats.
fn written_fields(present: u32) -> u32 {
    let mut written = present;
    for (r, &(field, _)) in REPEATS.iter().enumerate() {
        if present & (1 << (STRINGS + r)) != 0 {
            written &= !(1 << field);
        }
    }
    written
}

/// An Event without the typed struct's unset fields: see the module's documentation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PackedEvent {
    /// The set string fields not marked as repeats, in [`PackedEvent::strings`]' order, each
    /// as its length in bytes (LEB128) followed by its text.
    text: Box<[u8]>,
    /// Which string fields are set (bit `i` for field `i`, an empty text and an unset field
    /// differ), and from bit [`STRINGS`] on, which of [`REPEATS`] are repeats.
    present: u32,
    /// Which optional structs are set: [`RELATED`], [`SOURCE`], [`SERIES`].
    parts: u8,
    /// Which of `times` are set, one bit each.
    times_set: u8,
    count: Option<i32>,
    series_count: Option<i32>,
    /// `creationTimestamp`, `firstTimestamp`, `lastTimestamp`, `eventTime` and the series'
    /// `lastObservedTime`, in nanoseconds since 1970.
    times: [i64; 5],
}

impl PackedEvent {
    /// `event` packed, or `None` when it sets a field the packed form does not keep.
    pub(crate) fn pack<'a>(event: &'a Event) -> Option<PackedEvent> {
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
        let series = series.as_ref();
        let all_times = [
            creation_timestamp.as_ref().map(|t| t.0),
            first_timestamp.as_ref().map(|t| t.0),
            last_timestamp.as_ref().map(|t| t.0),
            event_time.as_ref().map(|t| t.0),
            series
                .and_then(|s| s.last_observed_time.as_ref())
                .map(|t| t.0),
        ];
        let mut times = [0i64; 5];
        let mut times_set = 0u8;
        for (i, t) in all_times.into_iter().enumerate() {
            if let Some(t) = t {
                times[i] = t
                    .as_second()
                    .checked_mul(NANOS)?
                    .checked_add(i64::from(t.subsec_nanosecond()))?;
                times_set |= 1 << i;
            }
        }

        let strings = Self::strings(event);
        let mut present = 0u32;
        for (i, field) in strings.iter().enumerate() {
            if field.is_some() {
                present |= 1 << i;
            }
        }
        for (r, &(field, of)) in REPEATS.iter().enumerate() {
            if strings[field].is_some() && strings[field] == strings[of] {
                present |= 1 << (STRINGS + r);
            }
        }
        let written = written_fields(present);
        let kept = |(i, s): (usize, &Option<&'a str>)| s.filter(|_| written & (1 << i) != 0);
        let size: usize = strings
            .iter()
            .enumerate()
            .filter_map(kept)
            .map(|s| leb128_len(s.len()) + s.len())
            .sum();
        let mut text = Vec::with_capacity(size);
        for s in strings.iter().enumerate().filter_map(kept) {
            let mut len = s.len();
            while len >= 0x80 {
                text.push((len as u8) | 0x80);
                len >>= 7;
            }
            text.push(len as u8);
            text.extend_from_slice(s.as_bytes());
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
        Some(PackedEvent {
            text: text.into_boxed_slice(),
            present,
            parts,
            times_set,
            count: *count,
            series_count: series.and_then(|s| s.count),
            times,
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

    /// The fields written out in `text`, in order: each one's number and bytes.
    fn written(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        let written = written_fields(self.present);
        let mut at = 0;
        (0..STRINGS)
            .filter(move |i| written & (1 << i) != 0)
            .map(move |i| {
                let mut len = 0usize;
                let mut shift = 0;
                while let Some(&byte) = self.text.get(at) {
                    at += 1;
                    len |= usize::from(byte & 0x7f) << shift;
                    shift += 7;
                    if byte < 0x80 {
                        break;
                    }
                }
                let bytes = self.text.get(at..at + len).unwrap_or_default();
                at += len;
                (i, bytes)
            })
    }

    /// The string fields as they lie in `text`, in order (a repeat as the field it repeats),
    /// without copying them.
    fn texts(&self) -> [Option<&str>; STRINGS] {
        let mut fields: [Option<&str>; STRINGS] = [None; STRINGS];
        for (i, bytes) in self.written() {
            // Written from a `&str` at its boundaries, so always UTF-8.
            fields[i] = Some(std::str::from_utf8(bytes).unwrap_or_default());
        }
        for (r, &(field, of)) in REPEATS.iter().enumerate() {
            if self.present & (1 << (STRINGS + r)) != 0 {
                fields[field] = fields[of];
            }
        }
        fields
    }

    /// `involvedObject.name`, read in place: what `kubectl describe`'s field selector matches
    /// first, on every Event of a namespace.
    pub(crate) fn involved_name(&self) -> Option<&str> {
        // Not one of the repeats: set means written.
        let (_, bytes) = self.written().find(|&(i, _)| i == 7)?;
        std::str::from_utf8(bytes).ok()
    }

    /// Time `i`, if set.
    fn time(&self, i: usize) -> Option<Timestamp> {
        if self.times_set & (1 << i) == 0 {
            return None;
        }
        // Read from a `Timestamp` in `pack`, so always in range.
        let t = self.times[i];
        Timestamp::new(t.div_euclid(NANOS), t.rem_euclid(NANOS) as i32).ok()
    }

    /// The Event as it was packed.
    pub(crate) fn unpack(&self) -> Event {
        let mut s = self.texts().map(|t| t.map(str::to_string));
        let mut take = |i: usize| s[i].take();
        let mut reference = |at: usize| ObjectReference {
            api_version: take(at),
            field_path: take(at + 1),
            kind: take(at + 2),
            name: take(at + 3),
            namespace: take(at + 4),
            resource_version: take(at + 5),
            uid: take(at + 6),
        };
        let involved_object = reference(4);
        let related = reference(19);
        Event {
            metadata: ObjectMeta {
                name: take(0),
                namespace: take(1),
                uid: take(2),
                resource_version: take(3),
                creation_timestamp: self.time(0).map(Time),
                ..ObjectMeta::default()
            },
            involved_object,
            action: take(11),
            message: take(12),
            reason: take(13),
            reporting_component: take(14),
            reporting_instance: take(15),
            type_: take(16),
            source: (self.parts & SOURCE != 0).then(|| EventSource {
                component: take(17),
                host: take(18),
            }),
            related: (self.parts & RELATED != 0).then_some(related),
            series: (self.parts & SERIES != 0).then(|| EventSeries {
                count: self.series_count,
                last_observed_time: self.time(4).map(MicroTime),
            }),
            count: self.count,
            first_timestamp: self.time(1).map(Time),
            last_timestamp: self.time(2).map(Time),
            event_time: self.time(3).map(MicroTime),
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

        // An Event a user writes with labels stays typed; the field selector finds both forms.
        let manual = "apiVersion: v1\nkind: Event\nmetadata: {name: manual, labels: {by: hand}}\ninvolvedObject: {kind: Pod, name: broken, namespace: default}\nreason: Manual\nmessage: written by hand\ntype: Normal\n";
        let applied = cluster.apply(manual, "test");
        assert!(applied.iter().all(|a| a.ok), "{applied:?}");
        let store = &cluster.api().store;
        let entry = store.entry("/registry/events/default/manual").unwrap();
        assert!(matches!(entry.value, super::super::Value::Typed(_)));
        let events = store.list("/registry/events/").items;
        for name in ["broken", "web", "nope"] {
            let about = |o: &&std::sync::Arc<Object>| matches!(&***o, Object::Event(e) if e.involved_object.name.as_deref() == Some(name));
            let want: Vec<_> = events.iter().filter(about).cloned().collect();
            let got = store
                .list_events_about("/registry/events/default/", name)
                .items;
            assert_eq!(got, want, "{name}");
        }
        let broken = store
            .list_events_about("/registry/events/default/", "broken")
            .items;
        assert!(broken.len() >= 3, "{}", broken.len());
        assert!(broken
            .iter()
            .any(|o| o.meta().name.as_deref() == Some("manual")));
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_packed_event_is_a_tenth_of_the_typed_struct() {
        assert_eq!(std::mem::size_of::<Event>(), 1000);
        assert!(std::mem::size_of::<PackedEvent>() <= 80);
    }

    #[test]
    fn long_texts_and_repeated_ones_read_back_whole() {
        let mut event = kubelet_event();
        for len in [127, 128, 16_383, 16_384, 70_000] {
            event.message = Some("é".repeat(len / 2) + &"x".repeat(len % 2));
            let packed = PackedEvent::pack(&event).unwrap();
            assert_eq!(packed.unpack(), event, "a message of {len} bytes");
        }
        // Times keep their nanoseconds, before 1970 too.
        event.first_timestamp = Some(Time("1969-12-31T23:59:58.5Z".parse().unwrap()));
        event.event_time = Some(MicroTime("2025-04-23T00:00:00.000001Z".parse().unwrap()));
        assert_eq!(PackedEvent::pack(&event).unwrap().unpack(), event);
        // The kubelet's source repeats its reporting fields, the involved object the namespace:
        // written once each.
        let packed = PackedEvent::pack(&kubelet_event()).unwrap();
        assert_eq!(packed.involved_name(), Some("nginx"));
        let text = String::from_utf8_lossy(&packed.text);
        assert_eq!(text.matches("node-2").count(), 1, "{text}");
        assert_eq!(text.matches("default").count(), 1, "{text}");
        // A source that differs from the reporting fields is written out.
        let mut other = kubelet_event();
        other.source.as_mut().unwrap().host = Some("node-3".into());
        assert_eq!(PackedEvent::pack(&other).unwrap().unpack(), other);
    }

    #[test]
    fn a_length_takes_a_byte_for_each_seven_bits() {
        let lens = [0, 1, 127, 128, 16_383, 16_384].map(leb128_len);
        assert_eq!(lens, [1, 1, 1, 2, 2, 3]);
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
        let mut far = kubelet_event();
        far.last_timestamp = Some(Time("2300-01-01T00:00:00Z".parse().unwrap()));
        assert_eq!(PackedEvent::pack(&far), None);
    }
}
