//! The selected pod: its kubectl STATUS, node and the scheduler's latest decision for it.

use podflow_core::scheduler::decision::Decision;
use podflow_core::PodView;
use yew::prelude::*;

use super::decision_table::DecisionTable;

/// Properties of [`PodPanel`].
#[derive(Properties, PartialEq)]
pub struct PodPanelProps {
    /// The pod.
    pub pod: PodView,
    /// The scheduler's record of its latest attempt, if it made one.
    #[prop_or_default]
    pub decision: Option<Decision>,
}

/// The pod panel.
#[function_component(PodPanel)]
pub fn pod_panel(props: &PodPanelProps) -> Html {
    let p = &props.pod;
    html! {
        <section class="pod-panel" aria-label="Pod">
            <h2>{ format!("pod/{} · {}", p.name, p.namespace) }</h2>
            <dl>
                <dt>{ "STATUS" }</dt><dd class="pod-panel-status">{ &p.status }</dd>
                <dt>{ "READY" }</dt><dd>{ &p.ready }</dd>
                <dt>{ "NODE" }</dt><dd class="pod-panel-node">{ &p.node }</dd>
            </dl>
            <h3>{ "Scheduler decision" }</h3>
            if let Some(d) = &props.decision {
                <DecisionTable decision={d.clone()} />
            } else {
                <p class="decision-none">{ "No scheduling attempt recorded for this pod." }</p>
            }
        </section>
    }
}
