//! `kubectl events`: every Event of a namespace (or all, `-A`) oldest first, the OBJECT column
//! keeping the Kind's case (`Pod/nginx`) and LAST SEEN as `21s (x3 over 31s)` for repeats.

use super::args::Args;
use super::{namespace, Output};
use crate::apiserver::Lookup;
use crate::cluster::Cluster;
use crate::kubectl::age::human_duration;
use crate::kubectl::get::event_last_seen;
use crate::kubectl::table::Table;
use crate::object::Object;
use crate::sim::SimTime;

/// `kubectl events [-n NS | -A] [--for KIND/NAME]`.
pub fn events(cluster: &Cluster, a: &Args) -> Output {
    let all = a.has(&["A", "all-namespaces"]);
    let ns = namespace(a);
    let for_object = a.value(&["for"]).map(|f| {
        let (k, n) = f.split_once('/').unwrap_or(("pod", f));
        let kind = crate::object::kind_for_resource(k)
            .map(|i| i.kind.to_string())
            .unwrap_or_else(|| k.to_string());
        (kind, n.to_string())
    });
    let now = cluster.now();
    let mut rows: Vec<(SimTime, Vec<String>)> = Vec::new();
    // `--for` is a field selector on the involved object's name, as kubectl sends it.
    let listed = match &for_object {
        Some((_, name)) => cluster.api().lookup().events_about(None, name),
        None => cluster.objects(&["Event"]),
    };
    for o in listed {
        let Object::Event(e) = &*o else { continue };
        let event_ns = e.metadata.namespace.clone().unwrap_or_default();
        if !all && event_ns != ns {
            continue;
        }
        let kind = e.involved_object.kind.clone().unwrap_or_default();
        let name = e.involved_object.name.clone().unwrap_or_default();
        if let Some((k, n)) = &for_object {
            if *k != kind || *n != name {
                continue;
            }
        }
        let last = event_last_seen(e).unwrap_or(SimTime::ZERO);
        let first = e
            .first_timestamp
            .as_ref()
            .map(SimTime::from_k8s_time)
            .or_else(|| {
                e.event_time.as_ref().map(|t| {
                    SimTime(
                        (t.0.as_millisecond() - crate::sim::clock::EPOCH_UNIX_SECONDS * 1000).max(0)
                            as u64,
                    )
                })
            })
            .unwrap_or(last);
        let count = e
            .series
            .as_ref()
            .and_then(|s| s.count)
            .or(e.count)
            .unwrap_or(1);
        let seen = if count > 1 {
            format!(
                "{} (x{count} over {})",
                human_duration(now.since(last)),
                human_duration(now.since(first))
            )
        } else {
            human_duration(now.since(last))
        };
        let mut row = Vec::new();
        if all {
            row.push(event_ns);
        }
        row.extend([
            seen,
            e.type_.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            format!("{kind}/{name}"),
            e.message.clone().unwrap_or_default().trim().to_string(),
        ]);
        rows.push((last, row));
    }
    if rows.is_empty() {
        return Output {
            stdout: String::new(),
            stderr: if all {
                "No events found.\n".into()
            } else {
                format!("No events found in {ns} namespace.\n")
            },
            ok: true,
        };
    }
    rows.sort_by_key(|(t, _)| *t);
    let mut headers = Vec::new();
    if all {
        headers.push("NAMESPACE");
    }
    headers.extend(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
    let mut t = Table::new(&headers);
    for (_, row) in rows {
        t.push(row);
    }
    Output::ok(t.render())
}
