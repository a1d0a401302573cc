//! From the cluster to what the components draw: the timeline's rows and ticks and the
//! selected pod's panel (describe text, decision, etcd history). Pure functions of the cluster.

use podflow_core::kubectl::age::human_duration;
use podflow_core::object::kind_info;
use podflow_core::overview::events::EventLog;
use podflow_core::scheduler::decision::Decision;
use podflow_core::sim::SimTime;
use podflow_core::{Cluster, PodView};

use crate::components::history::Revision;
use crate::components::timeline::{EventFilter, EventRow, Tick, TimelineData, MAX_TICKS};

/// What the timeline draws: the newest `max_rows` rows that match `filter`, the filter's
/// choices and the axis ticks over `[0, horizon_ms]`. It reads the cluster's overview (as of its
/// last sync) and builds rows only for the Events it draws.
pub fn timeline(
    cluster: &Cluster,
    filter: &EventFilter,
    horizon_ms: u64,
    max_rows: usize,
) -> TimelineData {
    let log = cluster.overview().events();
    let now = cluster.now();
    let mut rows: Vec<EventRow> = log
        .keyed()
        .rev()
        .filter(|(_, e)| filter.matches(e))
        .take(max_rows)
        .map(|(key, e)| EventRow {
            key: key.to_string(),
            at_ms: e.at.0,
            last_seen: human_duration(now.since(e.at)),
            type_: e.type_.clone(),
            reason: e.reason.clone(),
            object: e.object.clone(),
            component: e.component.clone(),
            message: e.message.clone(),
        })
        .collect();
    rows.reverse();
    let matching = if filter.is_empty() {
        log.len()
    } else {
        log.iter().filter(|e| filter.matches(e)).count()
    };
    TimelineData {
        total: log.len(),
        matching,
        rows,
        components: log.components().map(str::to_string).collect(),
        ticks: ticks(log, horizon_ms),
    }
}

/// The axis: a tick per Event, or past [`MAX_TICKS`] Events one per 1/[`MAX_TICKS`] of the
/// span holding any (a warning when any of its Events is), titled with its first Event. Past
/// [`MAX_TICKS`] it counts each tick's Events with the log's counts by moment instead of walking
/// the log (150,000 Events at 30,000 pods, at every render while playing): its cost follows the
/// ticks, not the Events.
fn ticks(log: &EventLog, horizon_ms: u64) -> Vec<Tick> {
    let span = horizon_ms.max(1) as f64;
    if log.len() <= MAX_TICKS {
        return log
            .iter()
            .enumerate()
            .map(|(i, e)| Tick {
                bucket: i as u64,
                left: e.at.0 as f64 * 100.0 / span,
                warning: e.is_warning(),
                title: format!("{} {}", e.reason, e.object),
            })
            .collect();
    }
    // The bucket of a moment; it never decreases as the moment grows.
    let bucket = |at: u64| ((at as f64 / span) * MAX_TICKS as f64) as u64;
    // The first moment of bucket `b` (the least whose bucket is `b` or later), if there is one.
    let start = |b: u64| {
        let mut t = (b as f64 * span / MAX_TICKS as f64).ceil() as u64;
        while t > 0 && bucket(t - 1) >= b {
            t -= 1;
        }
        while bucket(t) < b {
            t = t.checked_add(1)?;
        }
        Some(SimTime(t))
    };
    let mut ticks = Vec::new();
    let mut next = log.first_from(SimTime::ZERO);
    // Events and Warnings before the current tick: the previous tick's end, as no Event lies
    // between that end and the current tick's first Event.
    let (mut before, mut warnings_before) = (0, 0);
    while let Some(first) = next {
        let b = bucket(first.at.0);
        let end = b.checked_add(1).and_then(start);
        let (upto, warnings_upto) = match end {
            Some(end) => log.count_before(end),
            None => log.count_all(),
        };
        ticks.push(Tick {
            bucket: b,
            left: b as f64 * 100.0 / MAX_TICKS as f64,
            warning: warnings_upto > warnings_before,
            title: format!(
                "{} {} and {} more",
                first.reason,
                first.object,
                upto.saturating_sub(before + 1)
            ),
        });
        (before, warnings_before) = (upto, warnings_upto);
        next = end.and_then(|end| log.first_from(end));
    }
    ticks
}

/// What the pod panel shows for one pod.
pub struct PanelData {
    /// The pod's row.
    pub pod: PodView,
    /// The scheduler's latest decision for it.
    pub decision: Option<Decision>,
    /// `kubectl describe pod`.
    pub describe: String,
    /// Its etcd key.
    pub etcd_key: String,
    /// Its remembered revisions, oldest first.
    pub revisions: Vec<Revision>,
}

/// The panel of pod `namespace/name`, if it exists at this moment.
pub fn pod_panel(cluster: &Cluster, namespace: &str, name: &str) -> Option<PanelData> {
    let pod = cluster.pod_view(namespace, name)?;
    let lookup = cluster.api().lookup();
    let describe = podflow_core::kubectl::describe::describe(
        &lookup,
        &format!("pod/{name}"),
        namespace,
        cluster.now(),
    )
    .unwrap_or_else(|e| e.to_string());
    let etcd_key = kind_info("Pod")
        .map(|k| k.key(Some(namespace), name))
        .unwrap_or_default();
    let revisions = cluster
        .api()
        .store
        .history(&etcd_key)
        .iter()
        .map(|h| Revision {
            revision: h.revision,
            type_: h.type_.as_str().to_string(),
            writer: h.writer.to_string(),
            rendered: podflow_core::store::render(&h.object),
        })
        .collect();
    Some(PanelData {
        pod,
        decision: cluster.scheduling_decision(namespace, name).cloned(),
        describe,
        etcd_key,
        revisions,
    })
}

/// The flow pipeline for pod `namespace/name` (none: every step unreached), in the language,
/// from the trace's steps about the pod as of the last overview sync.
pub fn flow_steps(
    cluster: &Cluster,
    pod: Option<(&str, &str)>,
    zh: bool,
) -> Vec<crate::components::flow_view::StepView> {
    use podflow_core::flow::{self, FlowStep};
    let trace = cluster.trace();
    let reached = match pod {
        Some((ns, name)) => {
            flow::steps_for_pod_indexed(trace, cluster.overview().trace_index(), ns, name)
        }
        None => Vec::new(),
    };
    // As `flow::current_step`, without a second pass over the trace.
    let current = pod.map(|_| reached.last().map_or(FlowStep::Kubectl, |(f, _)| *f));
    let lang = if zh { "zh" } else { "en" };
    FlowStep::ALL
        .iter()
        .map(|&step| {
            let details: Vec<String> = reached
                .iter()
                .find(|(s, _)| *s == step)
                .map(|(_, steps)| {
                    steps
                        .iter()
                        .map(|t| {
                            format!(
                                "{:>10}  {:<24} {}",
                                t.time.to_string(),
                                t.component,
                                t.detail
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            crate::components::flow_view::StepView {
                number: step.number(),
                title: if zh { step.title_zh() } else { step.title() }.to_string(),
                reached: !details.is_empty(),
                current: current == Some(step) && pod.is_some(),
                narration: flow::narration(step, lang).to_string(),
                details,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::timeline::{MAX_ROWS, PLAYING_ROWS};
    use podflow_core::overview::events::EventEntry;
    use podflow_core::sim::SimDuration;

    /// 150 nginx pods started on the default three nodes: about 750 Events.
    fn busy() -> Cluster {
        let (mut c, results) = Cluster::load(&[(
            "d.yaml".into(),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 150\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.14.2\n".into(),
        )]);
        assert!(results.iter().all(|r| r.ok), "{results:?}");
        c.run_for(SimDuration::secs(30));
        c.sync_overview();
        c
    }

    /// The axis as a walk over every Event finds it (how `ticks` worked before the log counted
    /// its Events by moment).
    fn walked_ticks(log: &EventLog, horizon_ms: u64) -> Vec<Tick> {
        let span = horizon_ms.max(1) as f64;
        let mut ticks: Vec<Tick> = Vec::new();
        let mut current: Option<(u64, bool, usize, &EventEntry)> = None;
        let close = |ticks: &mut Vec<Tick>, bucket: Option<(u64, bool, usize, &EventEntry)>| {
            if let Some((b, warning, n, first)) = bucket {
                ticks.push(Tick {
                    bucket: b,
                    left: b as f64 * 100.0 / MAX_TICKS as f64,
                    warning,
                    title: format!("{} {} and {} more", first.reason, first.object, n - 1),
                });
            }
        };
        for e in log.iter() {
            let b = ((e.at.0 as f64 / span) * MAX_TICKS as f64) as u64;
            match &mut current {
                Some((cb, warning, n, _)) if *cb == b => {
                    *warning |= e.is_warning();
                    *n += 1;
                }
                _ => close(&mut ticks, current.replace((b, e.is_warning(), 1, e))),
            }
        }
        close(&mut ticks, current);
        ticks
    }

    #[test]
    fn the_axis_counts_by_moment_what_a_walk_over_the_log_finds() {
        let c = busy();
        let log = c.overview().events();
        let horizon = c.now().0;
        assert!(log.len() > MAX_TICKS);
        for h in [
            0,
            1,
            7,
            999,
            horizon / 3,
            horizon - 1,
            horizon,
            horizon + 1,
            3 * horizon,
        ] {
            assert_eq!(ticks(log, h), walked_ticks(log, h), "horizon {h} ms");
        }
        // Warnings alone in a bucket and among Normal ones, several Events at one moment,
        // moments on and past the horizon, an Event replaced by a later sighting.
        let mut log = EventLog::default();
        let entry = |at: u64, type_: &str, n: u64| EventEntry {
            at: SimTime(at),
            type_: type_.into(),
            reason: format!("R{n}"),
            object: format!("pod/p{n}"),
            component: "kubelet".into(),
            message: String::new(),
        };
        for n in 0..2_000u64 {
            let at = (n * n * 7919) % 10_007;
            let type_ = if n % 13 == 0 { "Warning" } else { "Normal" };
            log.put(
                format!("/registry/events/default/e{n}"),
                entry(at, type_, n),
            );
        }
        for n in (0..2_000u64).step_by(17) {
            log.put(
                format!("/registry/events/default/e{n}"),
                entry(10_007 + n, "Warning", n),
            );
        }
        for h in [1, 500, 1_000, 9_999, 10_006, 10_007, 12_000, 1 << 40] {
            let got = ticks(&log, h);
            assert_eq!(got, walked_ticks(&log, h), "horizon {h} ms");
            if h <= 12_000 {
                assert!(got.iter().any(|t| t.warning) && got.iter().any(|t| !t.warning));
            } else {
                assert_eq!(got.len(), 1, "every Event in the first tick");
            }
        }
    }

    #[test]
    fn the_timeline_draws_the_newest_rows_and_buckets_the_ticks_of_a_big_log() {
        let c = busy();
        let total = c.objects(&["Event"]).len();
        assert!(total > MAX_TICKS, "{total}");
        let horizon = c.now().0;
        let all = timeline(&c, &EventFilter::default(), horizon, MAX_ROWS);
        assert_eq!(
            (all.total, all.matching, all.rows.len()),
            (total, total, MAX_ROWS)
        );
        // The newest rows, oldest first, and the last is the latest Event.
        let latest = c.overview().events().iter().map(|e| e.at.0).max().unwrap();
        assert_eq!(all.rows.last().unwrap().at_ms, latest);
        assert!(all.rows.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        assert_eq!(
            all.rows.last().unwrap().last_seen,
            human_duration(c.now().since(podflow_core::sim::SimTime(latest)))
        );
        // Every Event is in exactly one tick: "<reason> <object> and <n> more".
        assert!(all.ticks.len() <= MAX_TICKS);
        let counted: usize = all
            .ticks
            .iter()
            .map(|t| {
                let n = t.title.rsplit_once(" and ").unwrap().1;
                n.strip_suffix(" more").unwrap().parse::<usize>().unwrap() + 1
            })
            .sum();
        assert_eq!(counted, total);
        assert_eq!(
            all.components,
            [
                "default-scheduler",
                "deployment-controller",
                "kubelet",
                "replicaset-controller"
            ]
        );
        // Filtered: the scheduler's Events only, counted over the whole log.
        let filter = EventFilter {
            component: "default-scheduler".into(),
            ..Default::default()
        };
        let scheduled = timeline(&c, &filter, horizon, MAX_ROWS);
        assert_eq!(scheduled.matching, 150);
        assert_eq!(scheduled.total, total);
        assert!(scheduled.rows.iter().all(|r| r.reason == "Scheduled"));
        assert_eq!(scheduled.rows.len(), 150);
        // While playing, the newest PLAYING_ROWS of them.
        let playing = timeline(&c, &filter, horizon, PLAYING_ROWS);
        assert_eq!((playing.matching, playing.rows.len()), (150, PLAYING_ROWS));
        assert_eq!(playing.rows[..], scheduled.rows[150 - PLAYING_ROWS..]);
        let first = &scheduled.rows[0];
        let one = timeline(
            &c,
            &EventFilter {
                object: first.object.clone(),
                type_: "Normal".into(),
                ..Default::default()
            },
            horizon,
            MAX_ROWS,
        );
        let mut want: Vec<String> = c
            .objects(&["Event"])
            .iter()
            .filter_map(|o| match &**o {
                podflow_core::object::Object::Event(e)
                    if e.involved_object.name.as_deref() == first.object.strip_prefix("pod/") =>
                {
                    e.reason.clone()
                }
                _ => None,
            })
            .collect();
        want.sort();
        let mut got: Vec<String> = one.rows.iter().map(|r| r.reason.clone()).collect();
        got.sort();
        assert_eq!(got, want);
        assert!(got.len() >= 4, "{got:?}");
    }
}
