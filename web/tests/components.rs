//! Component tests in headless Chromium: each panel rendered from a known snapshot built by the
//! core, and the DOM read back.

use std::time::Duration;

use podflow_core::sim::SimDuration;
use podflow_core::Cluster;
use podflow_web::components::cluster_view::{ClusterView, ClusterViewProps, PLAYING_CHIPS};
use podflow_web::components::node_card::{NodeCard, NodeCardProps};
use podflow_web::components::timeline::{EventFilter, Timeline, TimelineProps};
use wasm_bindgen_test::*;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

fn root() -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    root
}

fn texts(root: &web_sys::Element, selector: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().text_content().unwrap())
        .collect()
}

/// A cluster where node-1 is tainted and cordoned and a 1-cpu pod runs on node-2.
fn known_cluster() -> Cluster {
    let mut c = Cluster::load(&[]).0;
    let user = c.kubectl_user();
    c.taint("node-1", &["dedicated=gpu:NoSchedule"], false, &user);
    c.set_unschedulable("node-1", true, &user);
    c.apply(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  nodeName: node-2\n  containers:\n  - name: c\n    image: nginx\n    resources:\n      requests: {cpu: '1', memory: 4Gi}\n",
        "big.yaml",
    );
    c.run_for(SimDuration::secs(20));
    c
}

#[wasm_bindgen_test]
async fn a_node_card_shows_taints_allocation_and_its_pods() {
    let c = known_cluster();
    let snap = c.snapshot();
    let root = root();
    let node = snap
        .nodes
        .iter()
        .find(|n| n.name == "node-2")
        .unwrap()
        .clone();
    let pods = snap.pods.clone();
    yew::Renderer::<NodeCard>::with_root_and_props(root.clone(), NodeCardProps { node, pods })
        .render();
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    assert_eq!(texts(&root, ".node-name"), ["node-2"]);
    assert_eq!(texts(&root, ".alloc-label"), ["cpu", "memory", "pods"]);
    // 1 of 4 cpus, 4Gi of 16Gi, 1 of 110 pods.
    assert_eq!(texts(&root, ".alloc-pct"), ["25%", "25%", "1%"]);
    assert_eq!(texts(&root, ".node-pods .pod-name"), ["big"]);
    let root1 = self::root();
    let node1 = snap
        .nodes
        .iter()
        .find(|n| n.name == "node-1")
        .unwrap()
        .clone();
    yew::Renderer::<NodeCard>::with_root_and_props(
        root1.clone(),
        NodeCardProps {
            node: node1,
            pods: vec![],
        },
    )
    .render();
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    assert_eq!(texts(&root1, ".node-status"), ["Ready,SchedulingDisabled"]);
    assert_eq!(
        texts(&root1, ".taint"),
        [
            "dedicated=gpu:NoSchedule",
            "node.kubernetes.io/unschedulable:NoSchedule"
        ]
    );
    let title = root1
        .query_selector(".node")
        .unwrap()
        .unwrap()
        .get_attribute("title")
        .unwrap();
    assert!(title.contains("kubernetes.io/hostname=node-1"), "{title}");
}

#[wasm_bindgen_test]
async fn a_thousand_nodes_are_drawn_as_an_aggregated_grid() {
    let mut c = Cluster::load(&[(
        "s.yaml".into(),
        "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  nodes: {count: 1000}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ssd\nspec:\n  replicas: 120\n  selector:\n    matchLabels: {app: ssd}\n  template:\n    metadata:\n      labels: {app: ssd}\n    spec:\n      nodeSelector: {disktype: ssd}\n      containers: [{name: c, image: nginx}]\n".into(),
    )])
    .0;
    c.run_for(SimDuration::secs(3));
    c.sync_overview();
    let root = root();
    yew::Renderer::<ClusterView>::with_root_and_props(root.clone(), ClusterViewProps::of(&c, 100))
        .render();
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    assert_eq!(
        texts(&root, ".cluster h2"),
        ["Cluster · 1000 nodes · 120 pods"]
    );
    assert_eq!(texts(&root, ".pod-summary"), ["Pending 120"]);
    assert_eq!(texts(&root, ".lane-title"), ["not scheduled · 120"]);
    assert_eq!(
        root.query_selector_all(".pending-lane .pod")
            .unwrap()
            .length(),
        100
    );
    assert_eq!(texts(&root, ".pending-lane .more"), ["+20 more"]);
    let grid = root.query_selector("canvas.node-grid").unwrap().unwrap();
    assert_eq!(grid.get_attribute("data-nodes").as_deref(), Some("1000"));
    assert_eq!(
        grid.get_attribute("aria-label").as_deref(),
        Some("1000 nodes; hover for each node's status")
    );
    assert_eq!(root.query_selector_all(".node").unwrap().length(), 0);
    // The hover text names the cell under the pointer: the first (node-1), then the ninth of
    // the second row.
    let hover = |dx: f64, dy: f64| {
        let rect = grid.get_bounding_client_rect();
        let init = web_sys::MouseEventInit::new();
        init.set_bubbles(true);
        init.set_client_x((rect.left() + dx) as i32);
        init.set_client_y((rect.top() + dy) as i32);
        let e = web_sys::MouseEvent::new_with_mouse_event_init_dict("mousemove", &init).unwrap();
        grid.dispatch_event(&e).unwrap();
        grid.get_attribute("title").unwrap()
    };
    let title = hover(3.0, 3.0);
    assert_eq!(title, "node-1 · Ready · 0 pods · cpu 0%");
    let cols = podflow_web::components::node_grid::columns(grid.client_width() as u32) as usize;
    // Names sort as strings: node-1, node-10, node-100, node-1000, node-101, …
    let mut names: Vec<String> = (1..=1000).map(|i| format!("node-{i}")).collect();
    names.sort();
    let title = hover(8.0 * 12.0 + 3.0, 12.0 + 3.0);
    assert_eq!(
        title,
        format!("{} · Ready · 0 pods · cpu 0%", names[cols + 8])
    );
    // A gap between cells names none.
    assert_eq!(hover(10.5, 3.0), "");

    // A narrower grid (the page's stylesheet, not loaded here, makes it as wide as the page): a
    // resize redraws it in 10 columns (100 rows of 12 px, less the last gap) and the hover text
    // follows the new rows.
    grid.set_attribute("style", "width: 120px").unwrap();
    web_sys::window()
        .unwrap()
        .dispatch_event(&web_sys::Event::new("resize").unwrap())
        .unwrap();
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    assert_eq!(
        grid.get_attribute("style").as_deref(),
        Some("width: 120px; height: 1198px;")
    );
    assert_eq!(
        hover(3.0, 12.0 + 3.0),
        format!("{} · Ready · 0 pods · cpu 0%", names[10])
    );

    // While playing, fewer chips are drawn; the rest are counted.
    let playing = self::root();
    yew::Renderer::<ClusterView>::with_root_and_props(
        playing.clone(),
        ClusterViewProps::of(&c, PLAYING_CHIPS),
    )
    .render();
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    assert_eq!(
        playing
            .query_selector_all(".pending-lane .pod")
            .unwrap()
            .length(),
        20
    );
    assert_eq!(texts(&playing, ".pending-lane .more"), ["+100 more"]);
}

#[wasm_bindgen_test]
async fn the_timeline_draws_a_known_event_log() {
    let mut c = Cluster::load(&[]).0;
    c.apply(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: picky\nspec:\n  nodeSelector: {disktype: ssd}\n  containers: [{name: c, image: nginx}]\n",
        "p.yaml",
    );
    c.run_for(SimDuration::secs(5));
    c.sync_overview();
    let data = podflow_web::view::timeline(&c, &EventFilter::default(), 5_000, 200);
    let root = root();
    yew::Renderer::<Timeline>::with_root_and_props(
        root.clone(),
        TimelineProps {
            data,
            filter: EventFilter::default(),
            on_filter: Callback::noop(),
            now_ms: 5_000,
            horizon_ms: 5_000,
            on_seek: Callback::noop(),
        },
    )
    .render();
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    assert_eq!(texts(&root, ".timeline h2"), ["Events · 1"]);
    assert_eq!(
        texts(&root, ".events tbody td"),
        [
            "4s",
            "Warning",
            "FailedScheduling",
            "pod/picky",
            "default-scheduler",
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        ]
    );
    assert_eq!(
        root.query_selector_all(".axis .tick.warning")
            .unwrap()
            .length(),
        1
    );
    // The tick's hover text is set when the pointer is over it, and goes when it leaves.
    let tick = root.query_selector(".axis .tick").unwrap().unwrap();
    assert_eq!(tick.get_attribute("title"), None);
    let over = web_sys::MouseEventInit::new();
    over.set_bubbles(true);
    tick.dispatch_event(
        &web_sys::MouseEvent::new_with_mouse_event_init_dict("mouseover", &over).unwrap(),
    )
    .unwrap();
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    assert_eq!(
        tick.get_attribute("title").as_deref(),
        Some("FailedScheduling pod/picky")
    );
    let axis = root.query_selector(".axis").unwrap().unwrap();
    axis.dispatch_event(&web_sys::MouseEvent::new("mouseleave").unwrap())
        .unwrap();
    yew::platform::time::sleep(Duration::ZERO).await;
    yew::scheduler::flush().await;
    assert_eq!(tick.get_attribute("title"), None);
}
