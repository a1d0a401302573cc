//! The cluster view: every node as a card holding its pods, and a lane for pods not yet
//! scheduled. Past [`DETAILED_NODES`] nodes the view aggregates: each node becomes a small cell
//! coloured by its status and cpu allocation, with its pod count, so 1,000 nodes stay fast. A
//! line under the heading counts the pods by STATUS (`Running 29000 · ContainerCreating 1000`).

use podflow_core::{NodeView, PodView};
use yew::prelude::*;

use super::node_card::{notable_conditions, percent, NodeCard};
use super::pod_chip::PodChip;

/// Up to this many nodes are drawn as full cards.
pub const DETAILED_NODES: usize = 60;
/// At most this many pending pods are drawn as chips; the rest are counted.
const PENDING_CHIPS: usize = 100;

/// Properties of [`ClusterView`].
#[derive(Properties, PartialEq)]
pub struct ClusterViewProps {
    /// The nodes to draw, in order.
    pub nodes: Vec<NodeView>,
    /// Every pod; each is drawn in its node's card or in the unscheduled lane.
    #[prop_or_default]
    pub pods: Vec<PodView>,
}

/// How many pods show each kubectl STATUS, most common first (ties by name).
pub fn status_counts(pods: &[PodView]) -> Vec<(&str, usize)> {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for p in pods {
        *counts.entry(p.status.as_str()).or_insert(0) += 1;
    }
    let mut out: Vec<(&str, usize)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out
}

/// `1 pod`, `2 pods`, `0 pods`.
pub fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// All nodes of the cluster and the pods on them.
#[function_component(ClusterView)]
pub fn cluster_view(props: &ClusterViewProps) -> Html {
    let pending: Vec<&PodView> = props.pods.iter().filter(|p| p.node == "<none>").collect();
    let detailed = props.nodes.len() <= DETAILED_NODES;
    let statuses = status_counts(&props.pods);
    let running = statuses
        .iter()
        .find(|(s, _)| *s == "Running")
        .map_or(0, |(_, n)| *n);
    html! {
        <section class="cluster" aria-label="Cluster">
            <h2>{ format!("Cluster · {} · {}", counted(props.nodes.len(), "node"), counted(props.pods.len(), "pod")) }</h2>
            if !props.pods.is_empty() {
                <p class="pod-summary" data-running={running.to_string()}>
                    { statuses.iter().map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(" · ") }
                </p>
            }
            if !pending.is_empty() {
                <div class="pending-lane" aria-label="Not scheduled">
                    <span class="lane-title">{ format!("not scheduled · {}", pending.len()) }</span>
                    { for pending.iter().take(PENDING_CHIPS).map(|p| html! { <PodChip key={format!("{}/{}", p.namespace, p.name)} pod={(*p).clone()} /> }) }
                    if pending.len() > PENDING_CHIPS {
                        <span class="more">{ format!("+{} more", pending.len() - PENDING_CHIPS) }</span>
                    }
                </div>
            }
            if detailed {
                <div class="nodes">
                    { for props.nodes.iter().map(|n| {
                        let pods: Vec<PodView> = props.pods.iter().filter(|p| p.node == n.name).cloned().collect();
                        html! { <NodeCard key={n.name.clone()} node={n.clone()} {pods} /> }
                    }) }
                </div>
            } else {
                <div class="node-grid" aria-label="Nodes">
                    { for props.nodes.iter().map(|n| {
                        let cpu = percent(n.cpu_requested_milli, n.cpu_allocatable_milli);
                        let state = if !n.status.starts_with("Ready") { "bad" } else if n.status.contains("SchedulingDisabled") || !notable_conditions(n).is_empty() { "waiting" } else { "ok" };
                        let title = format!("{} · {} · {} pods · cpu {}%", n.name, n.status, n.pod_count, cpu);
                        html! {
                            <span key={n.name.clone()} class={classes!("node-cell", state)} data-node={n.name.clone()} {title}
                                style={format!("--load: {cpu}%")} />
                        }
                    }) }
                </div>
            }
        </section>
    }
}
