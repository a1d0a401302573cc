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
