//! The flow view: the nine steps a Pod goes through (kubectl → API server → etcd → scheduler →
//! binding → kubelet → runtime → Ready → continuous management) as a pipeline, the selected
//! pod's current step highlighted; a step opens what happened there for that pod (at the
//! scheduler, its decision table) and a short narration of the step, in English or Chinese.

use podflow_core::scheduler::decision::Decision;
use yew::prelude::*;

use super::decision_table::DecisionTable;

/// One step of the pipeline, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepView {
    /// 1–9.
    pub number: usize,
    /// Its title in the chosen language.
    pub title: String,
    /// Whether the pod got there.
    pub reached: bool,
    /// Whether this is the furthest step the pod reached.
    pub current: bool,
    /// The narration in the chosen language.
    pub narration: String,
    /// What happened there for the pod: `time component detail` lines.
    pub details: Vec<String>,
}

/// Properties of [`FlowView`].
#[derive(Properties, PartialEq)]
pub struct FlowViewProps {
    /// The pod the flow is about (`namespace/name`), if any.
    pub pod: Option<String>,
    /// The nine steps.
    pub steps: Vec<StepView>,
    /// Whether the language is Chinese.
    pub zh: bool,
    /// The scheduler's latest decision for the pod, shown at the scheduler step.
    #[prop_or_default]
    pub decision: Option<Decision>,
}

/// The flow view.
#[function_component(FlowView)]
pub fn flow_view(props: &FlowViewProps) -> Html {
    let open = use_state(|| None::<usize>);
    let current = props.steps.iter().find(|s| s.current).map(|s| s.number);
    let shown = open.or(current).unwrap_or(1);
    let heading = match (&props.pod, props.zh) {
        (Some(p), false) => format!("How pod/{p} is created"),
        (Some(p), true) => format!("pod/{p} 的创建过程"),
        (None, false) => "How a Pod is created".to_string(),
        (None, true) => "Pod 的创建过程".to_string(),
    };
    html! {
        <section class="flow" aria-label="Flow">
            <h2>{ heading }</h2>
            <ol class="pipeline">
                { for props.steps.iter().map(|s| {
                    let n = s.number;
                    let onclick = {
                        let open = open.clone();
                        Callback::from(move |_: MouseEvent| open.set(Some(n)))
                    };
                    html! {
                        <li class={classes!("flow-step", s.reached.then_some("reached"), s.current.then_some("current"), (n == shown).then_some("open"))}
                            data-step={n.to_string()} {onclick} role="button" tabindex="0">
                            <span class="flow-number">{ n }</span>
                            <span class="flow-title">{ &s.title }</span>
                        </li>
                    }
                }) }
            </ol>
            {
                match props.steps.iter().find(|s| s.number == shown) {
                    Some(s) => html! {
                        <div class="flow-detail">
                            <p class="narration">{ &s.narration }</p>
                            if s.details.is_empty() {
                                <p class="flow-none">{ if props.zh { "这个 Pod 还没有到达这一步。" } else { "Nothing happened here for this pod yet." } }</p>
                            } else {
                                <pre class="flow-steps">{ for s.details.iter().map(|d| html! { <div>{ d }</div> }) }</pre>
                            }
                            if s.number == 4 {
                                if let Some(d) = &props.decision {
                                    <DecisionTable decision={d.clone()} />
                                }
                            }
                        </div>
                    },
                    None => html! {},
                }
            }
        </section>
    }
}
