//! The kubectl console: a terminal-like line that runs `kubectl …` against the simulated cluster
//! (the core's [`podflow_core::console`]), its output as text, and ↑/↓ through the history.

use web_sys::HtmlInputElement;
use yew::prelude::*;

/// One command and what it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleEntry {
    /// The command line.
    pub line: String,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Properties of [`Console`].
#[derive(Properties, PartialEq)]
pub struct ConsoleProps {
    /// Past commands, oldest first.
    pub entries: Vec<ConsoleEntry>,
    /// Called with a submitted line.
    pub on_submit: Callback<String>,
}

/// The console.
#[function_component(Console)]
pub fn console(props: &ConsoleProps) -> Html {
    let input = use_node_ref();
    // Position in the history while browsing with ↑/↓ (`None`: a fresh line).
    let cursor = use_state(|| None::<usize>);
    let onkeydown = {
        let (input, cursor, on_submit) = (input.clone(), cursor.clone(), props.on_submit.clone());
        let history: Vec<String> = props.entries.iter().map(|e| e.line.clone()).collect();
        Callback::from(move |e: KeyboardEvent| {
            let Some(el) = input.cast::<HtmlInputElement>() else {
                return;
            };
            match e.key().as_str() {
                "Enter" => {
                    let line = el.value();
                    if !line.trim().is_empty() {
                        on_submit.emit(line);
                    }
                    el.set_value("");
                    cursor.set(None);
                }
                "ArrowUp" if !history.is_empty() => {
                    e.prevent_default();
                    let i = cursor.map_or(history.len() - 1, |i| i.saturating_sub(1));
                    el.set_value(&history[i]);
                    cursor.set(Some(i));
                }
                "ArrowDown" => {
                    e.prevent_default();
                    match *cursor {
                        Some(i) if i + 1 < history.len() => {
                            el.set_value(&history[i + 1]);
                            cursor.set(Some(i + 1));
                        }
                        _ => {
                            el.set_value("");
                            cursor.set(None);
                        }
                    }
                }
                _ => {}
            }
        })
    };
    html! {
        <section class="console" aria-label="kubectl console">
            <h2>{ "kubectl console" }</h2>
            <pre class="console-log">
                { for props.entries.iter().map(|e| html! {
                    <div class="console-entry">
                        <div class="console-line">{ format!("$ {}", e.line) }</div>
                        if !e.stdout.is_empty() { <div class="console-stdout">{ &e.stdout }</div> }
                        if !e.stderr.is_empty() { <div class="console-stderr">{ &e.stderr }</div> }
                    </div>
                }) }
            </pre>
            <div class="console-prompt">
                <span class="prompt">{ "$" }</span>
                <input ref={input} class="console-input" type="text" spellcheck="false" autocomplete="off"
                    placeholder="kubectl get pods -o wide" aria-label="kubectl command" {onkeydown} />
            </div>
        </section>
    }
}
