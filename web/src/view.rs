//! From the cluster to what the components draw: the event rows of the timeline and the
//! selected pod's panel (describe text, decision, etcd history). Pure functions of the cluster.

use podflow_core::kubectl::age::human_duration;
use podflow_core::kubectl::get::event_last_seen;
use podflow_core::object::{kind_info, Object};
use podflow_core::scheduler::decision::Decision;
use podflow_core::sim::SimTime;
use podflow_core::{Cluster, PodView};

use crate::components::history::Revision;
use crate::components::timeline::EventRow;

/// Every Event, oldest first, as the timeline shows it.
pub fn event_rows(cluster: &Cluster) -> Vec<EventRow> {
    let now = cluster.now();
    let mut rows: Vec<EventRow> = cluster
        .objects(&["Event"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) => {
                let at = event_last_seen(e).unwrap_or(SimTime::ZERO);
                let component = e
                    .source
                    .as_ref()
                    .and_then(|s| s.component.clone())
                    .filter(|c| !c.is_empty())
                    .or_else(|| e.reporting_component.clone())
                    .unwrap_or_default();
                Some(EventRow {
                    at_ms: at.0,
                    last_seen: human_duration(now.since(at)),
                    type_: e.type_.clone().unwrap_or_default(),
                    reason: e.reason.clone().unwrap_or_default(),
                    object: format!(
                        "{}/{}",
                        e.involved_object
                            .kind
                            .clone()
                            .unwrap_or_default()
                            .to_ascii_lowercase(),
                        e.involved_object.name.clone().unwrap_or_default()
                    ),
                    component,
                    message: e.message.clone().unwrap_or_default().trim().to_string(),
                })
            }
            _ => None,
        })
        .collect();
    rows.sort_by_key(|r| r.at_ms);
    rows
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

/// The flow pipeline for pod `namespace/name` (none: every step unreached), in the language.
pub fn flow_steps(
    cluster: &Cluster,
    pod: Option<(&str, &str)>,
    zh: bool,
) -> Vec<crate::components::flow_view::StepView> {
    use podflow_core::flow::{self, FlowStep};
    let trace = cluster.trace();
    let reached = match pod {
        Some((ns, name)) => flow::steps_for_pod(trace, ns, name),
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
