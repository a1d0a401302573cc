//! The cluster view: every node as a card holding its pods, and a lane for pods not yet
//! scheduled.

use podflow_core::{NodeView, PodView};
use yew::prelude::*;

use super::node_card::NodeCard;
use super::pod_chip::PodChip;

/// Properties of [`ClusterView`].
#[derive(Properties, PartialEq)]
pub struct ClusterViewProps {
    /// The nodes to draw, in order.
    pub nodes: Vec<NodeView>,
    /// Every pod; each is drawn in its node's card or in the unscheduled lane.
    #[prop_or_default]
    pub pods: Vec<PodView>,
}

/// All nodes of the cluster and the pods on them.
#[function_component(ClusterView)]
pub fn cluster_view(props: &ClusterViewProps) -> Html {
    let pending: Vec<&PodView> = props.pods.iter().filter(|p| p.node == "<none>").collect();
    html! {
        <section class="cluster" aria-label="Cluster">
            <h2>{ format!("Cluster · {} nodes", props.nodes.len()) }</h2>
            if !pending.is_empty() {
                <div class="pending-lane" aria-label="Not scheduled">
                    <span class="lane-title">{ "not scheduled" }</span>
                    { for pending.iter().map(|p| html! { <PodChip key={format!("{}/{}", p.namespace, p.name)} pod={(*p).clone()} /> }) }
                </div>
            }
            <div class="nodes">
                { for props.nodes.iter().map(|n| {
                    let pods: Vec<PodView> = props.pods.iter().filter(|p| p.node == n.name).cloned().collect();
                    html! { <NodeCard key={n.name.clone()} node={n.clone()} {pods} /> }
                }) }
            </div>
        </section>
    }
}
