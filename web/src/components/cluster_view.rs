//! The cluster view: every node as a card holding its pods, and a lane for pods not yet
//! scheduled. Past [`DETAILED_NODES`] nodes the view aggregates: each node becomes a small cell
//! of one canvas ([`NodeGrid`]), coloured by its status and cpu allocation, so 1,000 nodes stay
//! fast. A line under the heading counts the pods by STATUS (`Running 29000 ·
//! ContainerCreating 1000`).
//!
//! [`ClusterViewProps::of`] reads the cluster's [`podflow_core::overview::Overview`], so a
//! redraw costs in proportion to the nodes and the pods drawn, not to every pod there is.

use std::rc::Rc;

use podflow_core::{Cluster, NodeView, PodView};
use yew::prelude::*;

use super::node_card::{notable_conditions, percent, NodeCard};
use super::node_grid::NodeGrid;
use super::pod_chip::PodChip;

/// Up to this many nodes are drawn as full cards.
pub const DETAILED_NODES: usize = 60;
/// At most this many pending pods are drawn as chips; the rest are counted.
pub const PENDING_CHIPS: usize = 100;
/// While playing, at most this many. During a big rollout the first pending pods change by the
/// hundred between two renders, and replacing 100 chips was a third of a render at 1,000 nodes
/// and 30,000 pods (3.6 of 9.4 ms in the browser); nobody reads chips changing ten times a
/// second.
pub const PLAYING_CHIPS: usize = 20;

/// One node of the aggregated grid ([`NodeGrid`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeCell {
    /// The node's name.
    pub name: String,
    /// `ok`, `waiting` (cordoned or a condition needs attention) or `bad` (not Ready).
    pub state: &'static str,
    /// Its cpu requests as a percentage of allocatable.
    pub cpu: u32,
    /// Its kubectl STATUS.
    pub status: String,
    /// How many pods are bound to it.
    pub pods: i64,
}

impl NodeCell {
    /// The cell of one node.
    pub fn of(n: &NodeView) -> NodeCell {
        let cpu = percent(n.cpu_requested_milli, n.cpu_allocatable_milli);
        let state = if !n.status.starts_with("Ready") {
            "bad"
        } else if n.status.contains("SchedulingDisabled") || !notable_conditions(n).is_empty() {
            "waiting"
        } else {
            "ok"
        };
        NodeCell {
            name: n.name.clone(),
            state,
            cpu,
            status: n.status.clone(),
            pods: n.pod_count,
        }
    }

    /// Its hover text: name, STATUS, pod count, cpu.
    pub fn title(&self) -> String {
        format!(
            "{} · {} · {} pods · cpu {}%",
            self.name, self.status, self.pods, self.cpu
        )
    }
}

/// How the nodes are drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodesDrawn {
    /// Up to [`DETAILED_NODES`]: a card per node with the pods bound to it.
    Cards(Vec<(NodeView, Vec<PodView>)>),
    /// More: a cell per node.
    Cells(Rc<[NodeCell]>),
}

/// Properties of [`ClusterView`].
#[derive(Properties, Debug, Clone, PartialEq, Eq)]
pub struct ClusterViewProps {
    /// How many nodes there are.
    pub node_count: usize,
    /// How many pods there are.
    pub pod_count: usize,
    /// How many pods show each kubectl STATUS, most common first.
    pub statuses: Vec<(String, usize)>,
    /// The first pods with no node (at most [`PENDING_CHIPS`]), in namespace/name order.
    pub pending: Vec<PodView>,
    /// How many pods have no node.
    pub pending_count: usize,
    /// The nodes, in name order.
    pub nodes: NodesDrawn,
}

impl ClusterViewProps {
    /// The view of `cluster` as of its last [`Cluster::sync_overview`], with at most `chips`
    /// pending pods drawn.
    pub fn of(cluster: &Cluster, chips: usize) -> ClusterViewProps {
        let o = cluster.overview();
        let nodes = if o.nodes().len() <= DETAILED_NODES {
            NodesDrawn::Cards(
                o.nodes()
                    .map(|n| (n.clone(), cluster.pod_views(o.pods_on(&n.name))))
                    .collect(),
            )
        } else {
            NodesDrawn::Cells(o.nodes().map(NodeCell::of).collect())
        };
        ClusterViewProps {
            node_count: o.nodes().len(),
            pod_count: o.pod_count(),
            statuses: o
                .status_counts()
                .into_iter()
                .map(|(s, n)| (s.to_string(), n))
                .collect(),
            pending: cluster.pod_views(o.unscheduled().take(chips)),
            pending_count: o.unscheduled().len(),
            nodes,
        }
    }
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
    let running = props
        .statuses
        .iter()
        .find(|(s, _)| s == "Running")
        .map_or(0, |(_, n)| *n);
    html! {
        <section class="cluster" aria-label="Cluster">
            <h2>{ format!("Cluster · {} · {}", counted(props.node_count, "node"), counted(props.pod_count, "pod")) }</h2>
            if props.pod_count > 0 {
                <p class="pod-summary" data-running={running.to_string()}>
                    { props.statuses.iter().map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(" · ") }
                </p>
            }
            if props.pending_count > 0 {
                <div class="pending-lane" aria-label="Not scheduled">
                    <span class="lane-title">{ format!("not scheduled · {}", props.pending_count) }</span>
                    { for props.pending.iter().map(|p| html! { <PodChip key={format!("{}/{}", p.namespace, p.name)} pod={p.clone()} /> }) }
                    if props.pending_count > props.pending.len() {
                        <span class="more">{ format!("+{} more", props.pending_count - props.pending.len()) }</span>
                    }
                </div>
            }
            {
                match &props.nodes {
                    NodesDrawn::Cards(cards) => html! {
                        <div class="nodes">
                            { for cards.iter().map(|(n, pods)| html! {
                                <NodeCard key={n.name.clone()} node={n.clone()} pods={pods.clone()} />
                            }) }
                        </div>
                    },
                    NodesDrawn::Cells(cells) => html! { <NodeGrid cells={cells.clone()} /> },
                }
            }
        </section>
    }
}
