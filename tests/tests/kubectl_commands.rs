//! kubectl's imperative commands through `Cluster`: `label`, `taint` and `logs`, with the exact
//! lines kubectl prints for success and for each refusal.

use podflow_core::apiserver::authn;
use podflow_core::object::Object;
use podflow_core::sim::SimDuration;
use podflow_core::Cluster;

fn cluster_with(manifest: &str, secs: u64) -> Cluster {
    let (mut cluster, results) = Cluster::load(&[("m.yaml".into(), manifest.into())]);
    assert!(results.iter().all(|r| r.ok), "{results:?}");
    cluster.run_for(SimDuration::secs(secs));
    cluster
}

fn node_labels(cluster: &Cluster, node: &str) -> Vec<(String, String)> {
    match cluster.api().get("Node", "", node).as_deref() {
        Some(Object::Node(n)) => n
            .metadata
            .labels
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        _ => panic!("no node {node}"),
    }
}

#[test]
fn label_adds_refuses_an_overwrite_and_removes_as_kubectl_says() {
    let mut c = Cluster::load(&[]).0;
    let admin = authn::default_user();
    let r = c.label("nodes", "", "node-2", &["disktype=ssd"], false, &admin);
    assert_eq!((r.ok, r.message.as_str()), (true, "node/node-2 labeled"));
    assert!(node_labels(&c, "node-2").contains(&("disktype".into(), "ssd".into())));
    let r = c.label("nodes", "", "node-2", &["disktype=ssd"], false, &admin);
    assert_eq!(r.message, "node/node-2 not labeled");
    let r = c.label("nodes", "", "node-2", &["disktype=hdd"], false, &admin);
    assert_eq!(
        (r.ok, r.message.as_str()),
        (
            false,
            "error: 'disktype' already has a value (ssd), and --overwrite is false"
        )
    );
    let r = c.label("no", "", "node-2", &["disktype-"], false, &admin);
    assert_eq!(r.message, "node/node-2 unlabeled");
    assert!(!node_labels(&c, "node-2")
        .iter()
        .any(|(k, _)| k == "disktype"));
    let r = c.label("nodes", "", "node-9", &["a=b"], false, &admin);
    assert_eq!(
        r.message,
        "Error from server (NotFound): nodes \"node-9\" not found"
    );
    let r = c.label("nodes", "", "node-2", &["bad label=x"], false, &admin);
    assert!(
        !r.ok
            && r.message.starts_with(
                "The Node \"node-2\" is invalid: metadata.labels: Invalid value: \"bad label\""
            ),
        "{}",
        r.message
    );
}

#[test]
fn taint_adds_refuses_a_duplicate_and_removes_and_the_scheduler_follows() {
    let mut c = Cluster::load(&[]).0;
    let admin = authn::default_user();
    for node in ["node-1", "node-2"] {
        let r = c.taint(node, &["dedicated=gpu:NoSchedule"], false, &admin);
        assert_eq!(r.message, format!("node/{node} tainted"));
    }
    let r = c.taint("node-1", &["dedicated=cpu:NoSchedule"], false, &admin);
    assert_eq!(
        r.message,
        "error: node node-1 already has dedicated taint(s) with same effect(s) and --overwrite is false"
    );
    let r = c.taint("node-1", &["dedicated:NoSchedule-"], false, &admin);
    assert_eq!(r.message, "node/node-1 untainted");
    let r = c.taint("node-1", &["nothere-"], false, &admin);
    assert_eq!(r.message, "error: taint \"nothere\" not found");
    // Only node-2 keeps the taint: three pods land on node-1 and node-3 only.
    c.apply(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 4\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.14.2\n",
        "web.yaml",
    );
    c.run_for(SimDuration::secs(30));
    let nodes: Vec<String> = c.snapshot().pods.iter().map(|p| p.node.clone()).collect();
    assert_eq!(nodes.len(), 4);
    assert!(
        nodes.iter().all(|n| n == "node-1" || n == "node-3"),
        "{nodes:?}"
    );
}

#[test]
fn logs_print_what_the_container_wrote_and_the_kubelets_refusals() {
    let c = cluster_with(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: hello\nspec:\n  restartPolicy: Never\n  initContainers:\n  - name: init\n    image: busybox:1.28\n    command: ['sh', '-c', 'echo init done']\n  containers:\n  - name: main\n    image: busybox:1.28\n    command: ['sh', '-c', 'echo hello; echo world']\n  - name: side\n    image: busybox:1.28\n    command: ['sh', '-c', 'echo side']\n",
        30,
    );
    let out = c.logs("default", "hello", None, false);
    assert_eq!(out.stdout, "hello\nworld\n");
    assert_eq!(
        out.stderr,
        "Defaulted container \"main\" out of: main, side, init (init)\n"
    );
    assert_eq!(
        c.logs("default", "hello", Some("init"), false).stdout,
        "init done\n"
    );
    assert_eq!(
        c.logs("default", "hello", Some("side"), false).stdout,
        "side\n"
    );
    let out = c.logs("default", "hello", Some("main"), true);
    assert_eq!(
        (out.ok, out.stderr.as_str()),
        (false, "Error from server (BadRequest): previous terminated container \"main\" in pod \"hello\" not found\n")
    );
    let out = c.logs("default", "hello", Some("nope"), false);
    assert_eq!(
        out.stderr,
        "Error from server (BadRequest): container nope is not valid for pod hello\n"
    );
    let out = c.logs("default", "ghost", None, false);
    assert_eq!(
        out.stderr,
        "Error from server (NotFound): pods \"ghost\" not found\n"
    );
}

#[test]
fn logs_of_a_waiting_container_say_why_it_has_none() {
    let c = cluster_with(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n  - name: app\n    image: nginx:nope\n",
        60,
    );
    let status = c.snapshot().pods[0].status.clone();
    let why = match status.as_str() {
        "ImagePullBackOff" => "trying and failing to pull image",
        "ErrImagePull" => "image can't be pulled",
        other => panic!("status {other}"),
    };
    let out = c.logs("default", "bad", None, false);
    assert_eq!(
        out.stderr,
        format!("Error from server (BadRequest): container \"app\" in pod \"bad\" is waiting to start: {why}\n")
    );
}

#[test]
fn logs_previous_shows_the_container_before_a_restart() {
    let c = cluster_with(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: crash\nspec:\n  containers:\n  - name: app\n    image: busybox:1.28\n    command: ['sh', '-c', 'echo starting; exit 1']\n",
        60,
    );
    let out = c.logs("default", "crash", None, true);
    assert!(out.ok, "{out:?}");
    assert_eq!(out.stdout, "starting\n");
}

#[test]
fn a_deleted_node_leaves_orphans_that_the_pod_gc_removes_and_the_replica_set_replaces() {
    let mut c = cluster_with(
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: rs\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: rs}\n  template:\n    metadata:\n      labels: {app: rs}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.14.2\n",
        30,
    );
    let on = |c: &Cluster, node: &str| c.snapshot().pods.iter().filter(|p| p.node == node).count();
    let before = on(&c, "node-3");
    assert!(before > 0);
    let r = c.delete("nodes", "", "node-3");
    assert_eq!(r.message, "node \"node-3\" deleted");
    c.run_for(SimDuration::secs(90));
    assert_eq!(on(&c, "node-3"), 0);
    let pods = c.snapshot().pods;
    assert_eq!(pods.len(), 3, "{pods:?}");
    assert!(pods.iter().all(|p| p.status == "Running"), "{pods:?}");
}
