//! Import and export: download the editor's scenario as a manifest file, and load a file into
//! the editor (a manifest, a scenario, or a real cluster's `kubectl get nodes -o yaml`).

use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Properties of [`Files`].
#[derive(Properties, PartialEq)]
pub struct FilesProps {
    /// The text to download.
    pub text: AttrValue,
    /// Called with a loaded file's text.
    pub on_load: Callback<String>,
    /// Called with an error to show (`error: reading "x.yaml": …`).
    pub on_error: Callback<String>,
}

/// Largest file the page reads (the intake's own budget refuses more anyway).
const MAX_FILE_BYTES: f64 = 3.0 * 1024.0 * 1024.0;

/// Saves `text` as `name` through a temporary object URL.
pub fn download(name: &str, text: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/yaml");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| "cannot make the file")?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| "cannot make a URL")?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "cannot make a link")?
        .dyn_into()
        .map_err(|_| "cannot make a link")?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// The download button and the file picker.
#[function_component(Files)]
pub fn files(props: &FilesProps) -> Html {
    let on_download = {
        let (text, on_error) = (props.text.clone(), props.on_error.clone());
        Callback::from(move |_: MouseEvent| {
            if let Err(e) = download("scenario.yaml", &text) {
                on_error.emit(format!("error: {e}"));
            }
        })
    };
    let on_pick = {
        let (on_load, on_error) = (props.on_load.clone(), props.on_error.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|l| l.get(0)) else {
                return;
            };
            input.set_value("");
            let name = file.name();
            if file.size() > MAX_FILE_BYTES {
                on_error.emit(format!(
                    "error: reading \"{name}\": the file is larger than 3 MiB"
                ));
                return;
            }
            let (on_load, on_error) = (on_load.clone(), on_error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match gloo_file::futures::read_as_text(&gloo_file::File::from(file)).await {
                    Ok(text) => on_load.emit(text),
                    Err(e) => on_error.emit(format!("error: reading \"{name}\": {e}")),
                }
            });
        })
    };
    html! {
        <span class="files">
            <button class="download" onclick={on_download} title="Download the scenario as a manifest file">{ "Download" }</button>
            <label class="load-file" title="Load a manifest, a scenario or kubectl get nodes -o yaml">
                { "Load file…" }
                <input type="file" accept=".yaml,.yml,.json,text/yaml,application/json" onchange={on_pick} />
            </label>
        </span>
    }
}
