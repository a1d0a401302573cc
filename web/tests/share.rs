//! Share links, the autosave and the panic banner in headless Chromium: what the page opens with
//! for a fragment or a saved entry, what Share puts in the address bar, and the banner's text.

use std::time::Duration;

use podflow_core::share;
use podflow_core::sim::SimTime;
use podflow_web::{autosave, browser, DEFAULT_MANIFEST};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: shared}\nspec: {containers: [{name: c, image: nginx}]}\n";

/// Mounts the app, alone on the page (earlier tests' apps are removed), with `hash` in the address
/// bar and `saved` in the autosave, then puts the address back without a fragment.
async fn mount_with(hash: &str, saved: Option<&str>) -> web_sys::Element {
    let page = browser::location_without_fragment();
    browser::replace_url(&format!("{page}{hash}"));
    match saved {
        Some(value) => assert!(browser::storage_set(autosave::KEY, value)),
        None => browser::storage_remove(autosave::KEY),
    }
    let document = web_sys::window().unwrap().document().unwrap();
    let earlier = document.query_selector_all("div.test-root").unwrap();
    for i in 0..earlier.length() {
        if let Some(node) = earlier.item(i) {
            node.dyn_into::<web_sys::Element>().unwrap().remove();
        }
    }
    let root = document.create_element("div").unwrap();
    root.set_class_name("test-root");
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<podflow_web::App>::with_root(root.clone()).render();
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    browser::replace_url(&page);
    root
}

fn area(root: &web_sys::Element) -> web_sys::HtmlTextAreaElement {
    root.query_selector("textarea.manifest")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap()
}

fn text_of(root: &web_sys::Element, selector: &str) -> Option<String> {
    root.query_selector(selector)
        .unwrap()
        .and_then(|e| e.text_content())
}

#[wasm_bindgen_test]
async fn a_bad_share_link_shows_a_notice_and_the_default_scenario() {
    let root = mount_with("#v9.AAAA", None).await;
    assert_eq!(
        text_of(&root, ".notice-text").as_deref(),
        Some("This share link could not be opened: unsupported share link version \"v9\" (this podflow reads \"v1\")")
    );
    assert_eq!(area(&root).value(), DEFAULT_MANIFEST);
    assert_eq!(
        text_of(&root, ".cluster h2").as_deref(),
        Some("Cluster · 3 nodes · 0 pods")
    );
    let dismiss: web_sys::HtmlElement = root
        .query_selector(".notice-dismiss")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    dismiss.click();
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    assert_eq!(text_of(&root, ".notice-text"), None);
}

/// Waits (up to 10 s of wall time) until the page's clock reads `clock` and its trip has
/// arrived. The clock can read the playhead one slice before the trip ends: the items due at
/// that very moment still run, with the progress line showing "t = X of t = X".
async fn wait_for_clock(root: &web_sys::Element, clock: &str) {
    for _ in 0..1000 {
        if text_of(root, ".clock").as_deref() == Some(clock)
            && text_of(root, ".trip-text").is_none()
        {
            return;
        }
        yew::platform::time::sleep(Duration::from_millis(10)).await;
        yew::scheduler::flush().await;
    }
    panic!(
        "the clock reads {:?} and the progress line {:?}, not {clock:?} and none",
        text_of(root, ".clock"),
        text_of(root, ".trip-text")
    );
}

#[wasm_bindgen_test]
async fn a_share_link_is_loaded_applied_and_run_to_its_playhead() {
    let fragment = share::encode(POD, SimTime(10_000)).unwrap();
    let root = mount_with(&fragment, Some("{\"text\": \"kind: Saved\"}")).await;
    assert_eq!(area(&root).value(), POD);
    assert_eq!(text_of(&root, ".notice-text"), None);
    assert_eq!(
        text_of(&root, ".kubectl-output").as_deref(),
        Some("pod/shared created")
    );
    wait_for_clock(&root, "t = 10.000s").await;
    assert_eq!(text_of(&root, ".trip-text"), None);
    assert_eq!(
        text_of(&root, ".cluster h2").as_deref(),
        Some("Cluster · 3 nodes · 1 pod")
    );
}

#[wasm_bindgen_test]
async fn a_far_playhead_is_reached_in_slices_with_the_page_responsive() {
    // Half an hour of twenty nodes: far more than one frame's work.
    let scenario = format!(
        "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nmetadata: {{name: far}}\nspec:\n  nodes: {{count: 20}}\n---\n{POD}"
    );
    let fragment = share::encode(&scenario, SimTime(1_800_000)).unwrap();
    let root = mount_with(&fragment, None).await;
    // The page is drawn at t = 0 with the catch-up's progress, before the run.
    assert_eq!(text_of(&root, ".clock").as_deref(), Some("t = 0.000s"));
    assert_eq!(
        text_of(&root, ".trip-text").as_deref(),
        Some("Running the shared scenario to its playhead: t = 0.000s of t = 30m00.000s")
    );
    // It gets there, a slice per timer tick, and the progress goes away.
    wait_for_clock(&root, "t = 30m00.000s").await;
    assert_eq!(text_of(&root, ".trip-text"), None);

    // Pressing Step during a catch-up stops it where it is.
    let root = mount_with(&fragment, None).await;
    yew::platform::time::sleep(Duration::from_millis(50)).await;
    yew::scheduler::flush().await;
    let step: web_sys::HtmlElement = root
        .query_selector("button.step")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    step.click();
    yew::platform::time::sleep(Duration::from_millis(200)).await;
    yew::scheduler::flush().await;
    assert_eq!(text_of(&root, ".trip-text"), None);
    let stopped = text_of(&root, ".clock").unwrap();
    assert_ne!(stopped, "t = 30m00.000s");
    yew::platform::time::sleep(Duration::from_millis(200)).await;
    yew::scheduler::flush().await;
    assert_eq!(text_of(&root, ".clock").unwrap(), stopped);
}

#[wasm_bindgen_test]
async fn the_autosaved_text_is_restored_without_a_link() {
    let saved = autosave::entry("kind: Saved\n").unwrap();
    let root = mount_with("", Some(&saved)).await;
    assert_eq!(area(&root).value(), "kind: Saved\n");
    assert_eq!(text_of(&root, ".notice-text"), None);
}

#[wasm_bindgen_test]
async fn a_corrupt_autosave_is_discarded_with_a_notice() {
    let root = mount_with("", Some("{\"text\": \"kind: Sa")).await;
    assert_eq!(
        text_of(&root, ".notice-text").as_deref(),
        Some("The autosaved scenario could not be restored and was discarded: it is not a saved scenario (EOF while parsing a string at line 1 column 18)")
    );
    assert_eq!(area(&root).value(), DEFAULT_MANIFEST);
    assert_eq!(browser::storage_get(autosave::KEY), None);
}

#[wasm_bindgen_test]
async fn typing_autosaves_the_text() {
    let root = mount_with("", None).await;
    let area = area(&root);
    area.set_value("kind: Typed\n");
    let event = web_sys::Event::new("input").unwrap();
    area.dispatch_event(&event).unwrap();
    assert_eq!(
        browser::storage_get(autosave::KEY).map(|v| autosave::read_entry(&v)),
        Some(Ok("kind: Typed\n".to_string()))
    );
    browser::storage_remove(autosave::KEY);
}

#[wasm_bindgen_test]
async fn share_puts_the_link_in_the_address_bar_and_in_a_field() {
    let root = mount_with("", None).await;
    let area = area(&root);
    area.set_value(POD);
    area.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    browser::storage_remove(autosave::KEY);
    let share: web_sys::HtmlElement = root
        .query_selector("button.share-button")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    share.click();
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    let hash = browser::location_hash();
    let page = browser::location_without_fragment();
    browser::replace_url(&page);
    assert_eq!(
        share::decode(&hash),
        Ok(share::SharedScenario {
            text: POD.to_string(),
            playhead: SimTime(0),
        })
    );
    let field: web_sys::HtmlInputElement = root
        .query_selector(".share-url")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(field.value(), format!("{page}{hash}"));
}

#[wasm_bindgen_test]
async fn the_panic_banner_is_plain_text_and_keeps_the_manifest() {
    let root = mount_with("", None).await;
    area(&root).set_value("kind: Precious\n");
    podflow_web::panic_banner::show("panicked at <b>core</b>: boom");
    let document = web_sys::window().unwrap().document().unwrap();
    let banner = document.query_selector(".panic-banner").unwrap().unwrap();
    assert_eq!(
        text_of(&banner, ".panic-headline").as_deref(),
        Some(podflow_web::panic_banner::HEADLINE)
    );
    assert_eq!(
        text_of(&banner, ".panic-message").as_deref(),
        Some("panicked at <b>core</b>: boom")
    );
    assert!(banner.query_selector("b").unwrap().is_none());
    let kept: web_sys::HtmlTextAreaElement = banner
        .query_selector(".panic-manifest")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(kept.value(), "kind: Precious\n");
    assert_eq!(area(&root).value(), "kind: Precious\n");
    assert_eq!(
        browser::storage_get(autosave::KEY).map(|v| autosave::read_entry(&v)),
        Some(Ok("kind: Precious\n".to_string()))
    );
    banner.remove();
    browser::storage_remove(autosave::KEY);
}

#[wasm_bindgen_test]
async fn a_shared_session_reopens_in_the_same_state() {
    let root = mount_with("", None).await;
    let area = area(&root);
    area.set_value(POD);
    area.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    let click = |css: &str| {
        let b: web_sys::HtmlElement = root
            .query_selector(css)
            .unwrap()
            .unwrap()
            .dyn_into()
            .unwrap();
        b.click();
    };
    click("button.apply");
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    click("button.settle");
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    // Settle runs in slices: wait for it to arrive.
    for _ in 0..2000 {
        if text_of(&root, ".trip-text").is_none() {
            break;
        }
        yew::platform::time::sleep(Duration::from_millis(10)).await;
        yew::scheduler::flush().await;
    }
    assert_eq!(text_of(&root, ".trip-text"), None);
    let clock = text_of(&root, ".clock");
    let pods = text_of(&root, ".node .pod");
    click("button.share-button");
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    let hash = browser::location_hash();
    browser::storage_remove(autosave::KEY);
    // Open the link as a new page would.
    let again = mount_with(&hash, None).await;
    wait_for_clock(&again, clock.as_deref().unwrap()).await;
    assert_eq!(text_of(&again, ".node .pod"), pods);
    assert!(text_of(&again, ".notice-text").is_none());
}
