//! The last resort: a panic hook that puts a plain-text error banner at the top of the page. A
//! panic stops the wasm module for good, but the DOM stays — the banner says so, carries the
//! editor's text in a read-only box to copy, and saves it to the autosave so a reload keeps it.

use wasm_bindgen::JsCast;

use crate::autosave;

/// The banner's first line; the panic message follows.
pub const HEADLINE: &str = "podflow stopped after an internal error. Your manifest is kept below and in this browser's storage; reload the page to start again.";

/// Installs the hook through Yew, which otherwise replaces any hook with its own when the app
/// is rendered. The hook still logs the panic to the console first.
pub fn install() {
    yew::set_custom_panic_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show(&info.to_string());
    }));
}

/// Shows the banner for `message` (text only: nothing in it is ever parsed as HTML).
pub fn show(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let text = document
        .query_selector("textarea.manifest")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
        .map(|area| area.value());
    if let Some(text) = &text {
        autosave::save(text);
    }
    let Ok(banner) = document.create_element("div") else {
        return;
    };
    banner.set_class_name("panic-banner");
    let _ = banner.set_attribute("role", "alert");
    for (tag, class, content) in [
        ("p", "panic-headline", HEADLINE),
        ("pre", "panic-message", message),
    ] {
        if let Ok(el) = document.create_element(tag) {
            el.set_class_name(class);
            el.set_text_content(Some(content));
            let _ = banner.append_child(&el);
        }
    }
    if let Some(text) = text {
        if let Ok(area) = document.create_element("textarea") {
            area.set_class_name("panic-manifest");
            let _ = area.set_attribute("readonly", "");
            area.set_text_content(Some(&text));
            let _ = banner.append_child(&area);
        }
    }
    if let Some(body) = document.body() {
        let _ = body.prepend_with_node_1(&banner);
    }
}
