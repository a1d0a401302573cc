//! The cluster view: every node as a card.

use podflow_core::NodeView;
use yew::prelude::*;

use super::node_card::NodeCard;

/// Properties of [`ClusterView`].
#[derive(Properties, PartialEq)]
pub struct ClusterViewProps {
    /// The nodes to draw, in order.
    pub nodes: Vec<NodeView>,
}

/// All nodes of the cluster.
#[function_component(ClusterView)]
pub fn cluster_view(props: &ClusterViewProps) -> Html {
    html! {
        <section class="cluster" aria-label="Cluster">
            <h2>{ format!("Cluster · {} nodes", props.nodes.len()) }</h2>
            <div class="nodes">
                { for props.nodes.iter().map(|n| html! { <NodeCard key={n.name.clone()} node={n.clone()} /> }) }
            </div>
        </section>
    }
}
