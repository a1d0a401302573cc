//! The selected pod: its kubectl STATUS, then tabs for `kubectl describe`, the scheduler's
//! latest decision (per node: each filter's verdict, each score plugin's raw, normalized and
//! weighted score, the total, the winner) and the object's etcd history with diffs.

use podflow_core::scheduler::decision::Decision;
use podflow_core::PodView;
use yew::prelude::*;

use super::decision_table::DecisionTable;
use super::history::{History, Revision};

/// Properties of [`PodPanel`].
#[derive(Properties, PartialEq)]
pub struct PodPanelProps {
    /// The pod.
    pub pod: PodView,
    /// The scheduler's record of its latest attempt, if it made one.
    #[prop_or_default]
    pub decision: Option<Decision>,
    /// `kubectl describe pod` of it.
    #[prop_or_default]
    pub describe: AttrValue,
    /// Its etcd key.
    #[prop_or_default]
    pub etcd_key: AttrValue,
    /// Its etcd history.
    #[prop_or_default]
    pub revisions: Vec<Revision>,
    /// Closes the panel.
    #[prop_or_default]
    pub on_close: Callback<()>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Describe,
    Scheduler,
    History,
}

/// The pod panel.
#[function_component(PodPanel)]
pub fn pod_panel(props: &PodPanelProps) -> Html {
    let tab = use_state(|| Tab::Describe);
    let p = &props.pod;
    let pick = |t: Tab| {
        let tab = tab.clone();
        Callback::from(move |_: MouseEvent| tab.set(t))
    };
    let close = {
        let cb = props.on_close.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let tab_button = |t: Tab, label: &'static str, class: &'static str| {
        html! { <button class={classes!("tab", class, (*tab == t).then_some("active"))} onclick={pick(t)}>{ label }</button> }
    };
    html! {
        <section class="pod-panel" aria-label="Pod">
            <header>
                <h2>{ format!("pod/{} · {}", p.name, p.namespace) }</h2>
                <button class="close" onclick={close} aria-label="Close">{ "×" }</button>
            </header>
            <dl>
                <dt>{ "STATUS" }</dt><dd class="pod-panel-status">{ &p.status }</dd>
                <dt>{ "READY" }</dt><dd>{ &p.ready }</dd>
                <dt>{ "RESTARTS" }</dt><dd>{ &p.restarts }</dd>
                <dt>{ "NODE" }</dt><dd class="pod-panel-node">{ &p.node }</dd>
                <dt>{ "IP" }</dt><dd>{ &p.ip }</dd>
            </dl>
            <div class="tabs" role="tablist">
                { tab_button(Tab::Describe, "describe", "tab-describe") }
                { tab_button(Tab::Scheduler, "scheduler", "tab-scheduler") }
                { tab_button(Tab::History, "etcd history", "tab-history") }
            </div>
            {
                match *tab {
                    Tab::Describe => html! { <pre class="describe">{ &props.describe }</pre> },
                    Tab::Scheduler => match &props.decision {
                        Some(d) => html! { <DecisionTable decision={d.clone()} /> },
                        None => html! { <p class="decision-none">{ "No scheduling attempt recorded for this pod." }</p> },
                    },
                    Tab::History => html! { <History etcd_key={props.etcd_key.clone()} revisions={props.revisions.clone()} /> },
                }
            }
        </section>
    }
}
