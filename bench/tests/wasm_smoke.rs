//! The bench's tiny `basic` and `envelope` compiled to wasm and run in headless Chromium, checked
//! in the page (every pod bound, or Running and Ready; counts right). Ignored in a plain `cargo
//! test`: it builds the wasm crate and needs chromedriver and Chromium
//! (`cargo test -p podflow-bench --test wasm_smoke -- --ignored`).

use std::time::Duration;

use podflow_bench::browser::{build_page, Answer, Browser};

#[test]
#[ignore = "builds podflow-bench-wasm and needs chromedriver: run with -- --ignored"]
fn basic_and_envelope_run_correctly_in_wasm_at_smoke_size() {
    let page = build_page("release").expect("the wasm bench page builds");
    let browser = Browser::start(&page).expect("chromedriver and the page server start");
    for name in ["basic", "envelope"] {
        match browser.call("smoke", name, Duration::from_secs(600)) {
            Ok(Answer::Ok(line)) => assert!(line.starts_with("ok "), "{line}"),
            Ok(failed) => panic!("{name}: {}", failed.describe()),
            Err(e) => panic!("{name}: {e}"),
        }
    }
}
