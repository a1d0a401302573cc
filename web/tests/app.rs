//! Component tests in headless Chromium: mount the app and read the DOM.

use std::time::Duration;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn mount_app() -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<podflow_web::App>::with_root(root.clone()).render();
    yew::platform::time::sleep(Duration::ZERO).await;
    root
}

#[wasm_bindgen_test]
async fn the_page_shows_the_title_and_three_nodes() {
    let root = mount_app().await;
    let title = root.query_selector("h1").unwrap().unwrap();
    assert_eq!(title.text_content().unwrap(), "podflow");
    let nodes = root.query_selector_all(".node .node-name").unwrap();
    let names: Vec<String> = (0..nodes.length())
        .map(|i| nodes.item(i).unwrap().text_content().unwrap())
        .collect();
    assert_eq!(names, ["node-1", "node-2", "node-3"]);
    let heading = root.query_selector(".cluster h2").unwrap().unwrap();
    assert_eq!(heading.text_content().unwrap(), "Cluster · 3 nodes");
}

#[wasm_bindgen_test]
async fn applying_the_default_manifest_creates_the_pod_and_running_schedules_it() {
    use wasm_bindgen::JsCast;
    let root = mount_app().await;
    let area: web_sys::HtmlTextAreaElement = root
        .query_selector("textarea.manifest")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!(area.value().contains("name: nginx"));
    let apply: web_sys::HtmlElement = root
        .query_selector("button.apply")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    apply.click();
    yew::platform::time::sleep(Duration::ZERO).await;
    let out = root
        .query_selector(".kubectl-output")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert_eq!(out, "pod/nginx created");
    let lane = root
        .query_selector(".pending-lane .pod-name")
        .unwrap()
        .unwrap();
    assert_eq!(lane.text_content().unwrap(), "nginx");
    let run: web_sys::HtmlElement = root
        .query_selector("button.run")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    run.click();
    yew::platform::time::sleep(Duration::ZERO).await;
    assert!(root.query_selector(".pending-lane").unwrap().is_none());
    let chips = root
        .query_selector_all(".node .node-pods .pod-name")
        .unwrap();
    assert_eq!(chips.length(), 1);
    assert_eq!(chips.item(0).unwrap().text_content().unwrap(), "nginx");
}

#[wasm_bindgen_test]
async fn a_manifest_full_of_markup_is_shown_as_text() {
    use wasm_bindgen::JsCast;
    let root = mount_app().await;
    let area: web_sys::HtmlTextAreaElement = root
        .query_selector("textarea.manifest")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    area.set_value("apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"<script>alert(1)</script>\"\nspec:\n  containers: [{name: c, image: nginx}]\n");
    let apply: web_sys::HtmlElement = root
        .query_selector("button.apply")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    apply.click();
    yew::platform::time::sleep(Duration::ZERO).await;
    let out = root.query_selector(".kubectl-output").unwrap().unwrap();
    assert!(out.query_selector("script").unwrap().is_none());
    assert!(
        out.text_content().unwrap().starts_with(
            "The Pod \"<script>alert(1)</script>\" is invalid: metadata.name: Invalid value:"
        ),
        "{}",
        out.text_content().unwrap()
    );
}
