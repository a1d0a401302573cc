//! End-to-end: the release build in `dist/`, served on 127.0.0.1, loaded in headless Chromium.
//! Run by `cargo xtask test` after `trunk build` (ignored in a plain `cargo test`, which has no
//! `dist/` and no browser).

use std::time::Duration;

use podflow_tests::{static_server, webdriver::ChromeDriver, workspace_root};

#[test]
#[ignore = "needs dist/ (trunk build) and chromedriver: run by `cargo xtask test`"]
fn the_built_app_renders_three_nodes_applies_a_pod_and_schedules_it_without_console_errors() {
    let root = workspace_root();
    let dist = root.join("dist");
    assert!(
        dist.join("index.html").exists(),
        "run `trunk build --release=true` first"
    );
    let server = static_server::serve(&dist).expect("serve dist/");
    let driver = ChromeDriver::start().expect("chromedriver");
    let session = driver.session().expect("browser session");
    session
        .goto(&format!("{}/", server.base_url))
        .expect("open the app");
    session
        .wait_for(".node", Duration::from_secs(20))
        .expect("the app renders nodes");

    assert_eq!(session.texts("h1").unwrap(), ["podflow"]);
    assert_eq!(
        session.texts(".node .node-name").unwrap(),
        ["node-1", "node-2", "node-3"]
    );
    assert_eq!(
        session.texts(".node .node-status").unwrap(),
        ["Ready", "Ready", "Ready"]
    );
    let title = session.execute("return document.title").unwrap();
    assert_eq!(title.as_str(), Some("podflow"));

    let shots = root.join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join("home.png"), session.screenshot_png().unwrap()).unwrap();

    // Apply the docs' simple pod as kubectl would, then let the scheduler place it.
    session.click("button.apply").unwrap();
    session
        .wait_for(".pending-lane .pod", Duration::from_secs(5))
        .expect("the pod waits to be scheduled");
    assert_eq!(
        session.texts(".kubectl-output").unwrap(),
        ["pod/nginx created"]
    );
    // Step event by event until the pod runs.
    for _ in 0..40 {
        if session.texts(".node .pod-status").unwrap() == ["Running"] {
            break;
        }
        session.click("button.step").unwrap();
    }
    assert_eq!(
        session.texts(".node .node-pods .pod-name").unwrap(),
        ["nginx"]
    );
    assert_eq!(session.texts(".node .pod-status").unwrap(), ["Running"]);
    assert_eq!(
        session.texts(".events tbody td:nth-child(3)").unwrap(),
        ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    );
    // The flow view follows the pod: every step up to Ready reached, Ready highlighted.
    assert_eq!(
        session.texts(".flow-step.current .flow-number").unwrap(),
        ["8"]
    );
    std::fs::write(shots.join("applied.png"), session.screenshot_png().unwrap()).unwrap();

    // The pod panel: kubectl describe and the etcd history.
    session.click(".node .pod").unwrap();
    session
        .wait_for(".pod-panel .describe", Duration::from_secs(5))
        .expect("the pod panel opens");
    let describe = session.texts(".pod-panel .describe").unwrap();
    assert!(
        describe[0].starts_with("Name:             nginx"),
        "{describe:?}"
    );
    std::fs::write(
        shots.join("pod-panel.png"),
        session.screenshot_png().unwrap(),
    )
    .unwrap();

    // A preset: Insufficient cpu leaves its pod Pending with FailedScheduling.
    session
        .execute("const s = document.querySelector('select.presets'); s.value = 'insufficient-cpu'; s.dispatchEvent(new Event('change', {bubbles: true})); return true")
        .unwrap();
    session.click("button.settle").unwrap();
    session
        .wait_for(".events tr.warning", Duration::from_secs(10))
        .expect("a warning event");
    let warnings = session.texts(".events tr.warning td.message").unwrap();
    assert!(
        warnings.iter().any(|m| m == "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."),
        "{warnings:?}"
    );
    std::fs::write(
        shots.join("preset-insufficient-cpu.png"),
        session.screenshot_png().unwrap(),
    )
    .unwrap();

    // Share: the link in the address bar reopens the same state in a new page.
    let clock = session.texts(".clock").unwrap();
    let pods = session.texts(".pod").unwrap();
    session.click("button.share-button").unwrap();
    session
        .wait_for(".share-url", Duration::from_secs(5))
        .expect("the share link is shown");
    let link = session.execute("return location.href").unwrap();
    let link = link.as_str().unwrap().to_string();
    assert!(link.contains("#v1."), "{link}");
    session.goto("about:blank").unwrap();
    session.goto(&link).unwrap();
    session
        .wait_for(".node", Duration::from_secs(20))
        .expect("the shared page renders");
    // The page runs the link to its playhead in slices after the first render.
    session
        .wait_for_texts(".clock", &clock, Duration::from_secs(20))
        .unwrap();
    assert_eq!(session.texts(".trip-text").unwrap(), Vec::<String>::new());
    assert_eq!(session.texts(".pod").unwrap(), pods);
    std::fs::write(shots.join("shared.png"), session.screenshot_png().unwrap()).unwrap();

    // Autosave: what is typed survives a reload.
    session.goto(&format!("{}/", server.base_url)).unwrap();
    session
        .wait_for("textarea.manifest", Duration::from_secs(20))
        .unwrap();
    session
        .execute("const a = document.querySelector('textarea.manifest'); a.value = 'apiVersion: v1\\nkind: Namespace\\nmetadata:\\n  name: kept\\n'; a.dispatchEvent(new Event('input', {bubbles: true})); return true")
        .unwrap();
    session.goto(&format!("{}/", server.base_url)).unwrap();
    session
        .wait_for("textarea.manifest", Duration::from_secs(20))
        .unwrap();
    let kept = session
        .execute("return document.querySelector('textarea.manifest').value")
        .unwrap();
    assert_eq!(
        kept.as_str(),
        Some("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kept\n")
    );

    // A garbage fragment: a notice, and the page still works. (From another page: a change of
    // fragment alone would not load the page again.)
    session.goto("about:blank").unwrap();
    session
        .goto(&format!("{}/#v1.%%%not-a-link", server.base_url))
        .unwrap();
    session
        .wait_for(".notice-text", Duration::from_secs(20))
        .expect("a notice for the bad link");
    let notice = session.texts(".notice-text").unwrap();
    assert!(
        notice[0].starts_with("This share link could not be opened: "),
        "{notice:?}"
    );
    assert_eq!(
        session.texts(".node .node-name").unwrap(),
        ["node-1", "node-2", "node-3"]
    );
    std::fs::write(
        shots.join("bad-link.png"),
        session.screenshot_png().unwrap(),
    )
    .unwrap();

    let errors: Vec<_> = session
        .console_log()
        .unwrap()
        .into_iter()
        .filter(|(level, _)| level == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}
