//! The manifest editor: a monospace text area, an Apply button (`kubectl apply -f`) and what
//! kubectl printed, successes and errors alike, as text.

use podflow_core::ApplyResult;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// Properties of [`Editor`].
#[derive(Properties, PartialEq)]
pub struct EditorProps {
    /// The text the editor starts with.
    pub initial: AttrValue,
    /// Called with the editor's text when Apply is pressed.
    pub on_apply: Callback<String>,
    /// kubectl's output for the last apply.
    pub output: Vec<ApplyResult>,
    /// Called with the editor's text on every edit (for the autosave and the Share button).
    #[prop_or_default]
    pub on_input: Callback<String>,
}

/// The editor with its Apply button and kubectl's output.
#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let area = use_node_ref();
    let onclick = {
        let (area, on_apply) = (area.clone(), props.on_apply.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(el) = area.cast::<HtmlTextAreaElement>() {
                on_apply.emit(el.value());
            }
        })
    };
    let oninput = {
        let on_input = props.on_input.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(el) = e.target_dyn_into::<HtmlTextAreaElement>() {
                on_input.emit(el.value());
            }
        })
    };
    html! {
        <section class="editor" aria-label="Manifest">
            <textarea ref={area} class="manifest" spellcheck="false" rows="12" value={props.initial.clone()} {oninput} />
            <div class="editor-actions">
                <button class="apply" {onclick}>{ "Apply" }</button>
                <span class="hint">{ "kubectl apply -f manifest.yaml" }</span>
            </div>
            <pre class="kubectl-output">
                { for props.output.iter().map(|r| html! {
                    <div class={classes!("line", (!r.ok).then_some("error"))}>
                        { for r.warnings.iter().map(|w| html! { <div class="warning">{ w }</div> }) }
                        { &r.message }
                    </div>
                }) }
            </pre>
        </section>
    }
}
