//! One node drawn as a card: name, kubectl STATUS, kubelet version, allocatable resources and
//! the pods bound to it.

use podflow_core::{NodeView, PodView};
use yew::prelude::*;

/// Properties of [`NodeCard`].
#[derive(Properties, PartialEq)]
pub struct NodeCardProps {
    /// The node to draw.
    pub node: NodeView,
    /// The pods bound to it.
    #[prop_or_default]
    pub pods: Vec<PodView>,
}

/// A node card.
#[function_component(NodeCard)]
pub fn node_card(props: &NodeCardProps) -> Html {
    let n = &props.node;
    html! {
        <article class="node" data-node={n.name.clone()}>
            <header>
                <span class="node-name">{ &n.name }</span>
                <span class="node-status">{ &n.status }</span>
            </header>
            <dl>
                <dt>{ "cpu" }</dt><dd>{ &n.cpu }</dd>
                <dt>{ "memory" }</dt><dd>{ &n.memory }</dd>
                <dt>{ "pods" }</dt><dd>{ &n.pods }</dd>
                <dt>{ "version" }</dt><dd>{ &n.version }</dd>
            </dl>
            <div class="node-pods">
                { for props.pods.iter().map(|p| html! { <super::pod_chip::PodChip key={format!("{}/{}", p.namespace, p.name)} pod={p.clone()} /> }) }
            </div>
        </article>
    }
}
