//! The manifest editor: a monospace text area with line numbers (the line of an intake error
//! marked), Tab inserting two spaces, Apply on the button or Ctrl/Cmd+Enter (`kubectl apply -f`),
//! a preset picker, and what kubectl printed, successes and errors alike, as text.

use podflow_core::ApplyResult;
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// One entry of the preset picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetChoice {
    /// Its identifier.
    pub slug: String,
    /// Its title.
    pub title: String,
}

/// Properties of [`Editor`].
#[derive(Properties, PartialEq)]
pub struct EditorProps {
    /// The editor's text (replaced when a preset or a shared link is loaded).
    pub text: AttrValue,
    /// Called with the editor's text when Apply is pressed.
    pub on_apply: Callback<String>,
    /// Called with the text as it is edited.
    #[prop_or_default]
    pub on_edit: Callback<String>,
    /// kubectl's output for the last apply.
    pub output: Vec<ApplyResult>,
    /// The presets to offer.
    #[prop_or_default]
    pub presets: Vec<PresetChoice>,
    /// Called with a preset's slug.
    #[prop_or_default]
    pub on_preset: Callback<String>,
}

/// The 1-based line an intake error names (`yaml: line 3: …`, `line 3, column 7`), if any.
pub fn error_line(results: &[ApplyResult]) -> Option<usize> {
    results.iter().filter(|r| !r.ok).find_map(|r| {
        let i = r.message.find("line ")?;
        let digits: String = r.message[i + 5..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().ok()
    })
}

/// The editor with its Apply button and kubectl's output.
#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let area = use_node_ref();
    let lines = use_state(|| props.text.lines().count().max(1));
    {
        let lines = lines.clone();
        let n = props.text.lines().count().max(1);
        use_effect_with(props.text.clone(), move |_| lines.set(n));
    }
    let apply = {
        let (area, on_apply) = (area.clone(), props.on_apply.clone());
        move || {
            if let Some(el) = area.cast::<HtmlTextAreaElement>() {
                on_apply.emit(el.value());
            }
        }
    };
    let onclick = {
        let apply = apply.clone();
        Callback::from(move |_: MouseEvent| apply())
    };
    let onkeydown = {
        let area = area.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                apply();
            } else if e.key() == "Tab" && !e.shift_key() {
                // Tab inserts two spaces, as YAML wants, instead of leaving the editor.
                e.prevent_default();
                if let Some(el) = area.cast::<HtmlTextAreaElement>() {
                    let value = el.value();
                    let start = el.selection_start().ok().flatten().unwrap_or(0) as usize;
                    let end = el.selection_end().ok().flatten().unwrap_or(0) as usize;
                    let chars: Vec<char> = value.chars().collect();
                    let (start, end) = (start.min(chars.len()), end.min(chars.len()));
                    let text: String = chars[..start]
                        .iter()
                        .chain("  ".chars().collect::<Vec<_>>().iter())
                        .chain(chars[end..].iter())
                        .collect();
                    el.set_value(&text);
                    let caret = (start + 2) as u32;
                    let _ = el.set_selection_range(caret, caret);
                }
            }
        })
    };
    let oninput = {
        let (lines, on_edit) = (lines.clone(), props.on_edit.clone());
        Callback::from(move |e: InputEvent| {
            let el: HtmlTextAreaElement = e.target_unchecked_into();
            let value = el.value();
            lines.set(value.lines().count().max(1));
            on_edit.emit(value);
        })
    };
    let on_preset = {
        let cb = props.on_preset.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            let slug = el.value();
            if !slug.is_empty() {
                cb.emit(slug);
            }
            el.set_value("");
        })
    };
    let bad = error_line(&props.output);
    html! {
        <section class="editor" aria-label="Manifest">
            <div class="editor-bar">
                if !props.presets.is_empty() {
                    <select class="presets" onchange={on_preset} aria-label="Load a preset">
                        <option value="" selected=true>{ "Presets…" }</option>
                        { for props.presets.iter().map(|p| html! { <option value={p.slug.clone()}>{ &p.title }</option> }) }
                    </select>
                }
                <span class="hint">{ "kubectl apply -f manifest.yaml · Ctrl+Enter" }</span>
            </div>
            <div class="editor-body">
                <pre class="gutter" aria-hidden="true">
                    { for (1..=*lines).map(|n| html! { <div class={classes!((Some(n) == bad).then_some("bad"))}>{ n }</div> }) }
                </pre>
                <textarea ref={area} class="manifest" spellcheck="false" rows="16" value={props.text.clone()} {onkeydown} {oninput} aria-label="Manifest text" />
            </div>
            <div class="editor-actions">
                <button class="apply" {onclick}>{ "Apply" }</button>
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
