//! An object's etcd history: each remembered revision with the component that wrote it, and a
//! line diff between any two revisions.

use podflow_core::store::{line_diff, DiffLine};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// One remembered revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The store revision.
    pub revision: i64,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub type_: String,
    /// Who wrote it: `kubectl`, `kube-scheduler`, `kubelet/node-1`, …
    pub writer: String,
    /// The object as written, as JSON.
    pub rendered: String,
}

/// Properties of [`History`].
#[derive(Properties, PartialEq)]
pub struct HistoryProps {
    /// The etcd key, `/registry/pods/default/nginx`.
    pub etcd_key: AttrValue,
    /// Its revisions, oldest first.
    pub revisions: Vec<Revision>,
}

/// The history table and the diff of two chosen revisions (default: the last two).
#[function_component(History)]
pub fn history(props: &HistoryProps) -> Html {
    let n = props.revisions.len();
    let from = use_state(|| None::<usize>);
    let to = use_state(|| None::<usize>);
    let from_i = from.unwrap_or(n.saturating_sub(2)).min(n.saturating_sub(1));
    let to_i = to.unwrap_or(n.saturating_sub(1)).min(n.saturating_sub(1));
    let pick = |state: UseStateHandle<Option<usize>>| {
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            state.set(el.value().parse().ok());
        })
    };
    let diff = match (props.revisions.get(from_i), props.revisions.get(to_i)) {
        (Some(a), Some(b)) => line_diff(&a.rendered, &b.rendered),
        _ => Vec::new(),
    };
    let options = |selected: usize| {
        props
            .revisions
            .iter()
            .enumerate()
            .map(|(i, r)| html! { <option value={i.to_string()} selected={i == selected}>{ format!("{} · {}", r.revision, r.writer) }</option> })
            .collect::<Html>()
    };
    html! {
        <div class="history">
            <p class="etcd-key">{ format!("etcd key {}", props.etcd_key) }</p>
            <table class="revisions">
                <thead><tr><th>{ "REVISION" }</th><th>{ "TYPE" }</th><th>{ "WRITER" }</th></tr></thead>
                <tbody>
                    { for props.revisions.iter().map(|r| html! {
                        <tr><td>{ r.revision }</td><td>{ &r.type_ }</td><td>{ &r.writer }</td></tr>
                    }) }
                </tbody>
            </table>
            if n > 1 {
                <div class="diff-pick">
                    { "diff " }
                    <select onchange={pick(from.clone())} aria-label="From revision">{ options(from_i) }</select>
                    { " → " }
                    <select onchange={pick(to.clone())} aria-label="To revision">{ options(to_i) }</select>
                </div>
                <pre class="diff">
                    { for diff.iter().filter(|l| !matches!(l, DiffLine::Same(_))).map(|l| match l {
                        DiffLine::Added(t) => html! { <div class="added">{ format!("+ {t}") }</div> },
                        DiffLine::Removed(t) => html! { <div class="removed">{ format!("- {t}") }</div> },
                        DiffLine::Same(_) => html! {},
                    }) }
                </pre>
            }
        </div>
    }
}
