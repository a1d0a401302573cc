//! One node drawn as a card: name, kubectl STATUS, kubelet version, allocatable resources.

use podflow_core::NodeView;
use yew::prelude::*;

/// Properties of [`NodeCard`].
#[derive(Properties, PartialEq)]
pub struct NodeCardProps {
    /// The node to draw.
    pub node: NodeView,
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
        </article>
    }
}
