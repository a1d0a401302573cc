//! One node drawn as a card: name, kubectl STATUS, kubelet version, its conditions that need
//! attention, taints, labels (on hover), cpu/memory/pods allocation bars and the pods bound to it.

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

/// `used / total` as a percentage, 0–100.
pub fn percent(used: i64, total: i64) -> u32 {
    if total <= 0 {
        return 0;
    }
    ((used.max(0) as f64 * 100.0 / total as f64).round() as u32).min(100)
}

/// Conditions worth showing: Ready not True, or a pressure condition that is True.
pub fn notable_conditions(node: &NodeView) -> Vec<String> {
    node.conditions
        .iter()
        .filter(|c| {
            let (t, s) = c.split_once('=').unwrap_or((c, ""));
            (t == "Ready" && s != "True") || (t != "Ready" && s == "True")
        })
        .cloned()
        .collect()
}

fn bar(label: &'static str, used: String, total: String, pct: u32) -> Html {
    html! {
        <div class="alloc" title={format!("{label}: {used} of {total} allocatable requested")}>
            <span class="alloc-label">{ label }</span>
            <span class="alloc-bar"><span class={classes!("alloc-fill", (pct >= 90).then_some("full"))} style={format!("width: {pct}%")} /></span>
            <span class="alloc-pct">{ format!("{pct}%") }</span>
        </div>
    }
}

/// A node card.
#[function_component(NodeCard)]
pub fn node_card(props: &NodeCardProps) -> Html {
    let n = &props.node;
    let mib = |b: i64| format!("{}Mi", b / (1024 * 1024));
    let status_class = if n.status.starts_with("Ready") {
        "ok"
    } else {
        "bad"
    };
    html! {
        <article class="node" data-node={n.name.clone()} title={n.labels.join("\n")}>
            <header>
                <span class="node-name">{ &n.name }</span>
                <span class={classes!("node-status", status_class)}>{ &n.status }</span>
            </header>
            { bar("cpu", format!("{}m", n.cpu_requested_milli), n.cpu.clone(), percent(n.cpu_requested_milli, n.cpu_allocatable_milli)) }
            { bar("memory", mib(n.memory_requested), n.memory.clone(), percent(n.memory_requested, n.memory_allocatable)) }
            { bar("pods", n.pod_count.to_string(), n.pods.clone(), percent(n.pod_count, n.pod_allocatable)) }
            <div class="node-meta">
                <span class="node-version">{ &n.version }</span>
                { for notable_conditions(n).iter().map(|c| html! { <span class="condition">{ c }</span> }) }
                { for n.taints.iter().map(|t| html! { <span class="taint">{ t }</span> }) }
            </div>
            <div class="node-pods">
                { for props.pods.iter().map(|p| html! { <super::pod_chip::PodChip key={format!("{}/{}", p.namespace, p.name)} pod={p.clone()} /> }) }
            </div>
        </article>
    }
}
