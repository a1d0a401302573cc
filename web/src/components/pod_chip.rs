//! One pod drawn as a chip: its name and kubectl's STATUS, coloured by that status.

use podflow_core::PodView;
use yew::prelude::*;

/// Properties of [`PodChip`].
#[derive(Properties, PartialEq)]
pub struct PodChipProps {
    /// The pod to draw.
    pub pod: PodView,
}

/// The CSS class for a kubectl STATUS.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "Running" | "Completed" => "ok",
        "Pending" | "ContainerCreating" | "PodInitializing" | "SchedulingGated" | "Terminating" => {
            "waiting"
        }
        s if s.starts_with("Init:")
            && s[5..].chars().next().is_some_and(|c| c.is_ascii_digit()) =>
        {
            "waiting"
        }
        _ => "bad",
    }
}

/// Selecting a pod (`namespace`, `name`), provided by the app as a context.
#[derive(Clone, PartialEq)]
pub struct SelectPod(pub Callback<(String, String)>);

/// A pod chip; clicking it selects the pod.
#[function_component(PodChip)]
pub fn pod_chip(props: &PodChipProps) -> Html {
    let p = &props.pod;
    let select = use_context::<SelectPod>();
    let onclick = {
        let key = (p.namespace.clone(), p.name.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(SelectPod(cb)) = &select {
                cb.emit(key.clone());
            }
        })
    };
    html! {
        <span class={classes!("pod", status_class(&p.status))} {onclick} role="button" tabindex="0" title={format!("{}/{} · {} · READY {}", p.namespace, p.name, p.status, p.ready)}>
            <span class="pod-name">{ &p.name }</span>
            <span class="pod-status">{ &p.status }</span>
        </span>
    }
}
