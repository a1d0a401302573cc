//! The Events block at the end of every description: kubectl's `searchEvents` (a field selector
//! on the involved object) and `DescribeEvents` (sorted by time, `10m (x5 over 12m)` ages, the
//! source component or else the reporting controller).

use k8s_openapi::api::core::v1::Event;
use k8s_openapi::jiff::Timestamp;

use super::writer::{PrefixWriter, LEVEL_0, LEVEL_1};
use crate::apiserver::Lookup;
use crate::kubectl::age::translate_timestamp_since;
use crate::object::Object;
use crate::sim::SimTime;

/// The involved-object fields `searchEvents` selects on; an empty kind or UID is not part of the
/// selector (a pod's search leaves the kind out, as kubectl does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// `involvedObject.name`.
    pub name: String,
    /// `involvedObject.namespace`, and the namespace listed (empty: cluster-scoped, all).
    pub namespace: String,
    /// `involvedObject.kind`, if selected on.
    pub kind: String,
    /// `involvedObject.uid`, if selected on.
    pub uid: String,
}

/// The Events the API server returns for `query`, in its list order (namespace, then name).
pub fn search_events(lookup: &dyn Lookup, query: &EventQuery) -> Vec<Event> {
    let namespace = Some(query.namespace.as_str()).filter(|ns| !ns.is_empty());
    lookup
        .events_about(namespace, &query.name)
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) => Some(&**e),
            _ => None,
        })
        .filter(|e| {
            let r = &e.involved_object;
            let field = |v: &Option<String>| v.clone().unwrap_or_default();
            field(&r.name) == query.name
                && field(&r.namespace) == query.namespace
                && (query.kind.is_empty() || field(&r.kind) == query.kind)
                && (query.uid.is_empty() || field(&r.uid) == query.uid)
        })
        .cloned()
        .collect()
}

/// The time kubectl sorts an Event by (`eventTime` in `pkg/util/event`): the series' last
/// observation, else `lastTimestamp`, else `eventTime`.
fn sort_time(e: &Event) -> Option<Timestamp> {
    if let Some(series) = &e.series {
        return series.last_observed_time.as_ref().map(|t| t.0);
    }
    if let Some(t) = &e.last_timestamp {
        return Some(t.0);
    }
    e.event_time.as_ref().map(|t| t.0)
}

/// `DescribeEvents`: `Events:\t<none>` (aligned with the lines above), or a flushed table of
/// `Type  Reason  Age  From  Message`, oldest first.
pub fn describe_events(w: &mut PrefixWriter, events: &[Event], now: SimTime) {
    if events.is_empty() {
        w.write(LEVEL_0, "Events:\t<none>\n");
        return;
    }
    w.flush();
    let mut sorted: Vec<&Event> = events.iter().collect();
    // Go's sort.Sort is an insertion sort (stable) below 13 elements; a stable sort everywhere.
    sorted.sort_by_key(|e| sort_time(e));
    w.write(LEVEL_0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    w.write(LEVEL_1, "----\t------\t----\t----\t-------\n");
    for e in sorted {
        let first = match &e.event_time {
            Some(t) => translate_timestamp_since(now, Some(&t.0)),
            None => translate_timestamp_since(now, e.first_timestamp.as_ref().map(|t| &t.0)),
        };
        let interval = if let Some(series) = &e.series {
            format!(
                "{} (x{} over {first})",
                translate_timestamp_since(now, series.last_observed_time.as_ref().map(|t| &t.0)),
                series.count.unwrap_or(0)
            )
        } else if e.count.unwrap_or(0) > 1 {
            format!(
                "{} (x{} over {first})",
                translate_timestamp_since(now, e.last_timestamp.as_ref().map(|t| &t.0)),
                e.count.unwrap_or(0)
            )
        } else {
            first
        };
        let source = crate::kubectl::get::event_source(e);
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{}\t{interval}\t{source}\t{}\n",
                e.type_.as_deref().unwrap_or(""),
                e.reason.as_deref().unwrap_or(""),
                e.message.as_deref().unwrap_or("").trim()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn event(v: serde_json::Value) -> Event {
        serde_json::from_value(v).unwrap()
    }

    fn describe(events: &[Event], now: SimTime) -> String {
        let mut w = PrefixWriter::new();
        w.write(LEVEL_0, "QoS Class:\tBestEffort\n");
        describe_events(&mut w, events, now);
        w.finish()
    }

    #[test]
    fn no_events_align_with_the_lines_above() {
        assert_eq!(
            describe(&[], SimTime::ZERO),
            "QoS Class:  BestEffort\nEvents:     <none>\n"
        );
    }

    #[test]
    fn events_are_a_flushed_table_sorted_by_time_with_repeat_counts() {
        let events = vec![
            event(serde_json::json!({
                "metadata": {"name": "a"}, "involvedObject": {},
                "type": "Warning", "reason": "Unhealthy", "count": 3,
                "firstTimestamp": "2025-04-23T00:00:35Z", "lastTimestamp": "2025-04-23T00:00:45Z",
                "message": "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n",
                "source": {"component": "kubelet", "host": "node-1"}
            })),
            event(serde_json::json!({
                "metadata": {"name": "b"}, "involvedObject": {},
                "type": "Normal", "reason": "Scheduled",
                "eventTime": "2025-04-23T00:00:00.001000Z",
                "message": "Successfully assigned default/p to node-1",
                "source": {}, "reportingComponent": "default-scheduler"
            })),
            event(serde_json::json!({
                "metadata": {"name": "c"}, "involvedObject": {},
                "type": "Warning", "reason": "FailedScheduling",
                "eventTime": "2025-04-23T00:00:10.000000Z",
                "series": {"count": 4, "lastObservedTime": "2025-04-23T00:01:40.000000Z"},
                "message": "0/3 nodes are available.",
                "source": {}, "reportingComponent": "default-scheduler"
            })),
        ];
        assert_eq!(
            describe(&events, SimTime(720_000)),
            "QoS Class:  BestEffort\n\
             Events:\n\
             \x20 Type     Reason            Age                From               Message\n\
             \x20 ----     ------            ----               ----               -------\n\
             \x20 Normal   Scheduled         11m                default-scheduler  Successfully assigned default/p to node-1\n\
             \x20 Warning  Unhealthy         11m (x3 over 11m)  kubelet            Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n\
             \x20 Warning  FailedScheduling  10m (x4 over 11m)  default-scheduler  0/3 nodes are available.\n"
        );
    }
}
