//! Component tests in headless Chromium: mount the app and read the DOM.

use std::time::Duration;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Lets the page render (all of Yew's scheduled work, which yields to the browser every 16 ms
/// and so can outlast a zero-length sleep on a loaded machine), and waits (up to 20 s) for a
/// move of the playhead it runs in slices (Settle, Back, a seek) to arrive.
async fn rendered() {
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    let document = web_sys::window().unwrap().document().unwrap();
    for _ in 0..2000 {
        if document.query_selector(".trip-text").unwrap().is_none() {
            return;
        }
        yew::platform::time::sleep(Duration::from_millis(10)).await;
        yew::scheduler::flush().await;
    }
    panic!("the page is still travelling after 20 s");
}

/// The editor's text area.
fn manifest_area(root: &web_sys::Element) -> web_sys::HtmlTextAreaElement {
    use wasm_bindgen::JsCast;
    root.query_selector("textarea.manifest")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap()
}

async fn mount_app() -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<podflow_web::App>::with_root(root.clone()).render();
    rendered().await;
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
    assert_eq!(
        heading.text_content().unwrap(),
        "Cluster · 3 nodes · 0 pods"
    );
}

#[wasm_bindgen_test]
async fn applying_the_default_manifest_creates_the_pod_and_running_schedules_it() {
    use wasm_bindgen::JsCast;
    let root = mount_app().await;
    let area = manifest_area(&root);
    assert!(area.value().contains("name: nginx"));
    let apply: web_sys::HtmlElement = root
        .query_selector("button.apply")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    apply.click();
    rendered().await;
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
        .query_selector("button.settle")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    run.click();
    rendered().await;
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
    let area = manifest_area(&root);
    area.set_value("apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"<script>alert(1)</script>\"\nspec:\n  containers: [{name: c, image: nginx}]\n");
    let apply: web_sys::HtmlElement = root
        .query_selector("button.apply")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    apply.click();
    rendered().await;
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

async fn apply_and_run(root: &web_sys::Element, manifest: &str) {
    use wasm_bindgen::JsCast;
    let area = manifest_area(root);
    area.set_value(manifest);
    for button in ["button.apply", "button.settle"] {
        let b: web_sys::HtmlElement = root
            .query_selector(button)
            .unwrap()
            .unwrap()
            .dyn_into()
            .unwrap();
        b.click();
        rendered().await;
    }
}

async fn click(el: web_sys::Element) {
    use wasm_bindgen::JsCast;
    el.dyn_into::<web_sys::HtmlElement>().unwrap().click();
    rendered().await;
}

fn texts(root: &web_sys::Element, selector: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().text_content().unwrap())
        .collect()
}

#[wasm_bindgen_test]
async fn a_pending_pod_shows_why_each_node_turned_it_down() {
    let root = mount_app().await;
    apply_and_run(
        &root,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: picky\nspec:\n  nodeSelector: {disktype: ssd}\n  containers: [{name: c, image: nginx}]\n",
    )
    .await;
    let chip = root.query_selector(".pending-lane .pod").unwrap().unwrap();
    click(chip).await;
    assert_eq!(texts(&root, ".pod-panel h2"), ["pod/picky · default"]);
    click(root.query_selector(".tab-scheduler").unwrap().unwrap()).await;
    assert_eq!(
        texts(&root, ".pod-panel .decision-summary"),
        ["3 node(s), 3 evaluated, 0 feasible (search stops at 3); no node chosen"]
    );
    assert_eq!(
        texts(&root, ".pod-panel .decision-node td:first-child"),
        ["node-1", "node-2", "node-3"]
    );
    assert_eq!(
        texts(&root, ".pod-panel .decision-node .verdict"),
        vec!["NodeAffinity: node(s) didn't match Pod's node affinity/selector"; 3]
    );
    assert_eq!(
        texts(&root, ".pod-panel .decision-postfilter"),
        ["PostFilter: preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."]
    );
}

#[wasm_bindgen_test]
async fn a_scheduled_pod_shows_the_scores_and_the_chosen_node() {
    let root = mount_app().await;
    apply_and_run(&root, podflow_web::DEFAULT_MANIFEST).await;
    let chip = root.query_selector(".node .pod").unwrap().unwrap();
    let node = chip
        .closest(".node")
        .unwrap()
        .unwrap()
        .get_attribute("data-node")
        .unwrap();
    click(chip).await;
    click(root.query_selector(".tab-scheduler").unwrap().unwrap()).await;
    let chosen = root
        .query_selector(".pod-panel .decision-node.chosen")
        .unwrap()
        .unwrap();
    assert_eq!(chosen.get_attribute("data-node").unwrap(), node);
    assert_eq!(texts(&root, ".pod-panel-node"), [node]);
    let headers = texts(&root, ".pod-panel .decision-table th");
    assert_eq!(headers.first().map(String::as_str), Some("NODE"));
    assert_eq!(headers.last().map(String::as_str), Some("TOTAL"));
    assert!(
        headers.iter().any(|h| h == "NodeResourcesFit"),
        "{headers:?}"
    );
    assert_eq!(
        texts(&root, ".pod-panel .decision-node .verdict"),
        vec!["passed"; 3]
    );
}

async fn console_line(root: &web_sys::Element, line: &str) {
    use wasm_bindgen::JsCast;
    let input: web_sys::HtmlInputElement = root
        .query_selector(".console-input")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    input.set_value(line);
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Enter");
    init.set_bubbles(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    input.dispatch_event(&event).unwrap();
    rendered().await;
}

#[wasm_bindgen_test]
async fn the_console_runs_kubectl_against_the_simulated_cluster() {
    let root = mount_app().await;
    apply_and_run(&root, podflow_web::DEFAULT_MANIFEST).await;
    console_line(&root, "kubectl get pods").await;
    let out = texts(&root, ".console-stdout");
    let table = out.last().unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "NAME    READY   STATUS    RESTARTS   AGE");
    assert!(
        lines[1].starts_with("nginx   1/1     Running   0          "),
        "{table}"
    );
    console_line(&root, "kubectl get pod nope").await;
    assert_eq!(
        texts(&root, ".console-stderr"),
        ["Error from server (NotFound): pods \"nope\" not found\n"]
    );
    assert_eq!(
        texts(&root, ".console-line"),
        ["$ kubectl get pods", "$ kubectl get pod nope"]
    );
    console_line(&root, "kubectl delete pod nginx").await;
    assert_eq!(
        texts(&root, ".console-stdout").last().unwrap(),
        "pod \"nginx\" deleted\n"
    );
    assert_eq!(texts(&root, ".node .pod-status"), ["Terminating"]);
}

#[wasm_bindgen_test]
async fn the_timeline_lists_the_events_and_filters_them() {
    use wasm_bindgen::JsCast;
    let root = mount_app().await;
    apply_and_run(&root, podflow_web::DEFAULT_MANIFEST).await;
    let reasons = texts(&root, ".events tbody tr td:nth-child(3)");
    assert_eq!(
        reasons,
        ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    );
    let components = texts(&root, ".events tbody tr td:nth-child(5)");
    assert_eq!(components[0], "default-scheduler");
    assert!(
        components[1..].iter().all(|c| c == "kubelet"),
        "{components:?}"
    );
    let select: web_sys::HtmlSelectElement = root
        .query_selector(".filters select[aria-label='Filter by component']")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    select.set_value("default-scheduler");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    rendered().await;
    assert_eq!(
        texts(&root, ".events tbody tr td:nth-child(3)"),
        ["Scheduled"]
    );
}

#[wasm_bindgen_test]
async fn stepping_back_and_scrubbing_rebuild_earlier_moments() {
    use wasm_bindgen::JsCast;
    let root = mount_app().await;
    apply_and_run(&root, podflow_web::DEFAULT_MANIFEST).await;
    assert_eq!(texts(&root, ".node .pod-status"), ["Running"]);
    let scrubber: web_sys::HtmlInputElement = root
        .query_selector(".scrubber")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    scrubber.set_value("0");
    scrubber
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    rendered().await;
    assert_eq!(texts(&root, ".clock"), ["t = 0.000s"]);
    assert_eq!(texts(&root, ".pending-lane .pod-status"), ["Pending"]);
    let mut seen = Vec::new();
    for _ in 0..12 {
        click(root.query_selector("button.step").unwrap().unwrap()).await;
        seen.extend(texts(&root, ".pod-status"));
    }
    seen.dedup();
    assert_eq!(seen.first().map(String::as_str), Some("Pending"));
    assert!(seen.iter().any(|s| s == "ContainerCreating"), "{seen:?}");
    // Step until the clock moves on, then back: the clock returns to where it was.
    let before = texts(&root, ".clock");
    for _ in 0..5 {
        click(root.query_selector("button.step").unwrap().unwrap()).await;
        if texts(&root, ".clock") != before {
            break;
        }
    }
    assert_ne!(texts(&root, ".clock"), before);
    click(root.query_selector("button.back").unwrap().unwrap()).await;
    assert_eq!(texts(&root, ".clock"), before);
}

#[wasm_bindgen_test]
async fn the_pod_panel_describes_the_pod_and_shows_who_wrote_each_revision() {
    let root = mount_app().await;
    apply_and_run(&root, podflow_web::DEFAULT_MANIFEST).await;
    click(root.query_selector(".node .pod").unwrap().unwrap()).await;
    let describe = texts(&root, ".pod-panel .describe");
    assert!(
        describe[0].starts_with("Name:             nginx\nNamespace:        default\n"),
        "{describe:?}"
    );
    click(root.query_selector(".tab-history").unwrap().unwrap()).await;
    assert_eq!(
        texts(&root, ".etcd-key"),
        ["etcd key /registry/pods/default/nginx"]
    );
    let writers = texts(&root, ".revisions tbody td:nth-child(3)");
    assert_eq!(writers.first().map(String::as_str), Some("kubectl"));
    assert_eq!(writers.get(1).map(String::as_str), Some("kube-scheduler"));
    assert!(
        writers.iter().any(|w| w.starts_with("kubelet/node-")),
        "{writers:?}"
    );
    let diff = texts(&root, ".diff .added");
    assert!(!diff.is_empty());
}

#[wasm_bindgen_test]
async fn pasting_a_real_clusters_nodes_simulates_on_those_nodes() {
    let root = mount_app().await;
    let nodes = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata:\n    name: kind-control-plane\n    labels: {kubernetes.io/hostname: kind-control-plane, node-role.kubernetes.io/control-plane: ''}\n  spec:\n    taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]\n  status:\n    allocatable: {cpu: '8', memory: 32761484Ki, pods: '110'}\n    capacity: {cpu: '8', memory: 32761484Ki, pods: '110'}\n    nodeInfo: {kubeletVersion: v1.30.0, architecture: amd64, bootID: a, containerRuntimeVersion: 'containerd://1.7.15', kernelVersion: '6.5', kubeProxyVersion: v1.30.0, machineID: b, operatingSystem: linux, osImage: Debian, systemUUID: c}\n- apiVersion: v1\n  kind: Node\n  metadata:\n    name: kind-worker\n  status:\n    allocatable: {cpu: '8', memory: 32761484Ki, pods: '110'}\n    capacity: {cpu: '8', memory: 32761484Ki, pods: '110'}\n---\n";
    let manifest = format!("{nodes}{}", podflow_web::DEFAULT_MANIFEST);
    assert!(podflow_web::loads_afresh(&manifest));
    assert!(!podflow_web::loads_afresh(podflow_web::DEFAULT_MANIFEST));
    apply_and_run(&root, &manifest).await;
    assert_eq!(
        texts(&root, ".node .node-name"),
        ["kind-control-plane", "kind-worker"]
    );
    assert_eq!(
        texts(&root, ".node[data-node='kind-control-plane'] .taint"),
        ["node-role.kubernetes.io/control-plane:NoSchedule"]
    );
    assert_eq!(
        texts(&root, ".node[data-node='kind-worker'] .pod-name"),
        ["nginx"]
    );
    assert_eq!(texts(&root, ".kubectl-output"), ["pod/nginx created"]);
}

#[wasm_bindgen_test]
async fn settling_a_bigger_cluster_shows_its_progress_and_any_action_stops_it() {
    use wasm_bindgen::JsCast;
    let root = mount_app().await;
    let area = manifest_area(&root);
    // Sixty nodes: more than one slice of work for Settle.
    area.set_value(&format!(
        "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nmetadata: {{name: sixty}}\nspec:\n  nodes: {{count: 60}}\n---\n{}",
        podflow_web::DEFAULT_MANIFEST
    ));
    let press = |css: &str| {
        root.query_selector(css)
            .unwrap()
            .unwrap()
            .dyn_into::<web_sys::HtmlElement>()
            .unwrap()
            .click()
    };
    press("button.apply");
    press("button.settle");
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    let progress = texts(&root, ".trip-text");
    assert_eq!(progress.len(), 1, "{progress:?}");
    assert!(progress[0].starts_with("Settling: t = "), "{progress:?}");
    rendered().await;
    assert_eq!(texts(&root, ".node .pod-status"), ["Running"]);

    // Back to t = 0 and Settle again, then Pause at once: it stops where it got to.
    press("button.reset");
    rendered().await;
    press("button.settle");
    press("button.play");
    yew::platform::time::sleep(Duration::from_millis(50)).await;
    yew::scheduler::flush().await;
    assert_eq!(texts(&root, ".trip-text"), Vec::<String>::new());
    press("button.play");
    rendered().await;
}

async fn pick_preset(root: &web_sys::Element, slug: &str) {
    use wasm_bindgen::JsCast;
    let select: web_sys::HtmlSelectElement = root
        .query_selector("select.presets")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    select.set_value(slug);
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    rendered().await;
}

#[wasm_bindgen_test]
async fn the_insufficient_cpu_preset_shows_failed_scheduling() {
    let root = mount_app().await;
    assert_eq!(
        root.query_selector_all("select.presets option")
            .unwrap()
            .length(),
        22
    );
    pick_preset(&root, "insufficient-cpu").await;
    assert!(
        texts(&root, ".preset-note strong")[0].contains("cpu"),
        "{:?}",
        texts(&root, ".preset-note strong")
    );
    click(root.query_selector("button.settle").unwrap().unwrap()).await;
    let warnings = texts(&root, ".events tr.warning td.message");
    assert!(
        warnings.iter().any(|m| m == "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."),
        "{warnings:?}"
    );
    // The flow stops at the scheduler for the pending pod.
    click(root.query_selector(".pending-lane .pod").unwrap().unwrap()).await;
    assert_eq!(texts(&root, ".flow-step.current .flow-number"), ["4"]);
}

#[wasm_bindgen_test]
async fn the_flow_view_follows_the_pod_to_ready_and_speaks_chinese() {
    let root = mount_app().await;
    apply_and_run(&root, podflow_web::DEFAULT_MANIFEST).await;
    assert_eq!(
        texts(&root, ".flow h2"),
        ["How pod/default/nginx is created"]
    );
    let reached = texts(&root, ".flow-step.reached .flow-number");
    assert_eq!(reached, ["1", "2", "3", "4", "5", "6", "7", "8"]);
    assert_eq!(texts(&root, ".flow-step.current .flow-number"), ["8"]);
    click(
        root.query_selector(".flow-step[data-step='4']")
            .unwrap()
            .unwrap(),
    )
    .await;
    let detail = texts(&root, ".flow-steps")[0].clone();
    assert!(detail.contains("kube-scheduler"), "{detail}");
    // The scheduler step carries the decision table: three nodes, one chosen.
    assert_eq!(
        texts(&root, ".flow .decision-node td:first-child"),
        ["node-1", "node-2", "node-3"]
    );
    assert_eq!(
        root.query_selector_all(".flow .decision-node.chosen")
            .unwrap()
            .length(),
        1
    );
    assert!(texts(&root, ".narration")[0]
        .starts_with("kube-scheduler watches Pods without spec.nodeName"));
    click(root.query_selector("button.lang").unwrap().unwrap()).await;
    assert_eq!(texts(&root, ".flow h2"), ["pod/default/nginx 的创建过程"]);
    assert!(
        texts(&root, ".narration")[0].starts_with("kube-scheduler 监听没有 spec.nodeName 的 Pod")
    );
}

#[wasm_bindgen_test]
async fn playing_runs_on_animation_frames_until_paused() {
    let root = mount_app().await;
    let list = root.query_selector_all("button.speed").unwrap();
    let max = (0..list.length())
        .map(|i| list.item(i).unwrap())
        .find(|b| b.text_content().as_deref() == Some("max"))
        .unwrap();
    let max = wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(max).unwrap();
    click(max).await;
    manifest_area(&root).set_value(podflow_web::DEFAULT_MANIFEST);
    click(root.query_selector("button.apply").unwrap().unwrap()).await;
    assert_eq!(texts(&root, ".clock"), ["t = 0.000s"]);
    click(root.query_selector("button.play").unwrap().unwrap()).await;
    assert_eq!(texts(&root, "button.play"), ["⏸ Pause"]);
    // At max, each frame runs up to two Play steps of ten virtual minutes: the pod is soon
    // Running, and the clock goes on while nothing happens.
    let mut waited = 0;
    while texts(&root, ".node .pod-status") != ["Running"] {
        assert!(waited < 10_000, "{:?}", texts(&root, ".node .pod-status"));
        yew::platform::time::sleep(Duration::from_millis(50)).await;
        waited += 50;
    }
    click(root.query_selector("button.play").unwrap().unwrap()).await;
    assert_eq!(texts(&root, "button.play"), ["▶ Play"]);
    let paused = texts(&root, ".clock");
    assert_ne!(paused, ["t = 0.000s"]);
    // Paused: no frame moves the clock.
    yew::platform::time::sleep(Duration::from_millis(200)).await;
    rendered().await;
    assert_eq!(texts(&root, ".clock"), paused);
}
