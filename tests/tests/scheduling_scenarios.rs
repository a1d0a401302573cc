//! The scheduler's golden scenarios, each built from real Node and Pod objects: taints and
//! tolerations, nodeSelector, required and preferred node affinity, pod anti-affinity spreading
//! replicas, topology spread over zones, host-port conflicts and a scheduler profile's weights.
//! Expected placements and FailedScheduling texts follow from upstream's plugins and v1.33's
//! message formats, worked out by hand in each test's comment.

use podflow_core::object::Object;
use podflow_core::sim::SimDuration;
use podflow_core::Cluster;

/// A Node with 16Gi as `kubectl get node -o yaml` would show it (capacity = allocatable).
fn node(name: &str, cpu: &str, labels: &[(&str, &str)], taints: &str) -> String {
    node_with(name, cpu, "16Gi", labels, taints)
}

/// A Node with its own memory, extra labels and taints (capacity = allocatable).
fn node_with(name: &str, cpu: &str, memory: &str, labels: &[(&str, &str)], taints: &str) -> String {
    let mut l = format!("kubernetes.io/hostname: {name}");
    for (k, v) in labels {
        l.push_str(&format!(", {k}: {v}"));
    }
    format!(
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels: {{{l}}}\nspec:\n  taints: [{taints}]\nstatus:\n  capacity: {{cpu: \"{cpu}\", memory: {memory}, pods: \"110\"}}\n  allocatable: {{cpu: \"{cpu}\", memory: {memory}, pods: \"110\"}}\n---\n"
    )
}

/// A pod running nginx; `extra` is appended to its spec (indented two spaces).
fn pod(name: &str, labels: &str, cpu: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{{labels}}}\nspec:\n  containers:\n  - name: nginx\n    image: nginx\n    resources: {{requests: {{cpu: \"{cpu}\"}}}}\n{extra}---\n"
    )
}

fn run(text: String, d: SimDuration) -> Cluster {
    let (mut cluster, results) = Cluster::load(&[("scenario.yaml".to_string(), text)]);
    assert!(results.iter().all(|r| r.ok), "{results:?}");
    cluster.run_for(d);
    cluster
}

/// The node each pod is bound to (`<none>` when pending), by pod name.
fn placement(cluster: &Cluster) -> Vec<(String, String)> {
    let mut v: Vec<_> = cluster
        .snapshot()
        .pods
        .iter()
        .map(|p| (p.name.clone(), p.node.clone()))
        .collect();
    v.sort();
    v
}

fn failed_scheduling(cluster: &Cluster, pod: &str) -> Vec<String> {
    cluster
        .objects(&["Event"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e)
                if e.reason.as_deref() == Some("FailedScheduling")
                    && e.involved_object.name.as_deref() == Some(pod) =>
            {
                e.message.clone()
            }
            _ => None,
        })
        .collect()
}

fn pending(cluster: &Cluster) -> Vec<String> {
    placement(cluster)
        .into_iter()
        .filter(|(_, n)| n == "<none>")
        .map(|(p, _)| p)
        .collect()
}

const GPU_TAINT: &str = "{key: dedicated, value: gpu, effect: NoSchedule}";

#[test]
fn taints_and_insufficient_cpu_give_the_sorted_histogram_and_the_preemption_suffix() {
    // node-1 and node-2 carry a taint the pod does not tolerate (UnschedulableAndUnresolvable:
    // preemption cannot help); node-3 has 1 CPU for a 2-CPU request (Unschedulable, and no
    // lower-priority pod to evict). Reasons are counted and sorted as strings.
    let text = node("node-1", "4", &[], GPU_TAINT)
        + &node("node-2", "4", &[], GPU_TAINT)
        + &node("node-3", "1", &[], "")
        + &pod("big", "app: big", "2", "");
    let cluster = run(text, SimDuration::secs(5));
    assert_eq!(pending(&cluster), ["big"]);
    let messages = failed_scheduling(&cluster, "big");
    assert_eq!(
        messages,
        ["0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."]
    );
    // The decision record says which plugin turned each node down.
    let decision = cluster.scheduling_decision("default", "big").unwrap();
    assert_eq!(decision.chosen, None);
    assert_eq!((decision.evaluated_nodes, decision.feasible_nodes), (3, 0));
    let table = decision.render();
    assert!(
        table.contains("node-1   TaintToleration: node(s) had untolerated taint {dedicated: gpu}"),
        "{table}"
    );
    assert!(
        table.contains("node-3   NodeResourcesFit: Insufficient cpu"),
        "{table}"
    );
}

#[test]
fn a_toleration_opens_the_tainted_nodes() {
    let toleration =
        "  tolerations:\n  - {key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}\n";
    let text = node("node-1", "4", &[], GPU_TAINT)
        + &node("node-2", "4", &[], GPU_TAINT)
        + &node("node-3", "1", &[], "")
        + &pod("big", "app: big", "2", toleration);
    let cluster = run(text, SimDuration::secs(5));
    let node = &placement(&cluster)[0].1;
    assert!(node == "node-1" || node == "node-2", "{node}");
    assert!(failed_scheduling(&cluster, "big").is_empty());
}

#[test]
fn a_node_selector_sends_every_replica_to_the_labelled_node() {
    let selector = "  nodeSelector: {disktype: ssd}\n";
    let text = node("node-1", "4", &[], "")
        + &node("node-2", "4", &[("disktype", "ssd")], "")
        + &node("node-3", "4", &[], "")
        + &pod("a", "app: web", "100m", selector)
        + &pod("b", "app: web", "100m", selector)
        + &pod("c", "app: web", "100m", selector);
    let cluster = run(text, SimDuration::secs(5));
    assert_eq!(
        placement(&cluster),
        [
            ("a".into(), "node-2".into()),
            ("b".into(), "node-2".into()),
            ("c".into(), "node-2".into())
        ]
    );
}

fn zones() -> String {
    node(
        "node-1",
        "4",
        &[("topology.kubernetes.io/zone", "zone-a")],
        "",
    ) + &node(
        "node-2",
        "4",
        &[("topology.kubernetes.io/zone", "zone-b")],
        "",
    ) + &node(
        "node-3",
        "4",
        &[("topology.kubernetes.io/zone", "zone-b")],
        "",
    )
}

#[test]
fn required_node_affinity_keeps_pods_in_their_zone() {
    let affinity = "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - {key: topology.kubernetes.io/zone, operator: In, values: [zone-b]}\n";
    let mut text = zones();
    for p in ["a", "b", "c", "d"] {
        text += &pod(p, "app: web", "100m", affinity);
    }
    let cluster = run(text, SimDuration::secs(5));
    for (pod, node) in placement(&cluster) {
        assert!(node == "node-2" || node == "node-3", "{pod} on {node}");
    }
}

const PREFER_ZONE_A: &str = "  affinity:\n    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 80\n        preference:\n          matchExpressions:\n          - {key: topology.kubernetes.io/zone, operator: In, values: [zone-a]}\n";

#[test]
fn preferred_node_affinity_outweighs_spreading_by_resources() {
    // NodeAffinity's normalized 100 × weight 2 = 200 for node-1; a third pod of 1 CPU costs
    // node-1 at most 25 points of LeastAllocated (× 1) and a little balance: node-1 wins.
    let mut text = zones();
    for p in ["a", "b", "c"] {
        text += &pod(p, "app: web", "1", PREFER_ZONE_A);
    }
    let cluster = run(text, SimDuration::secs(5));
    for (pod, node) in placement(&cluster) {
        assert_eq!(node, "node-1", "{pod}");
    }
    let decision = cluster.scheduling_decision("default", "c").unwrap();
    assert_eq!(decision.chosen.as_deref(), Some("node-1"));
    let table = decision.render();
    assert!(table.contains("NodeAffinity"), "{table}");
    // node-1's NodeAffinity cell: raw 80 (the matching term's weight), normalized 100, weight 2.
    let row = table.lines().find(|l| l.starts_with("node-1 *")).unwrap();
    assert!(row.contains("80\u{2192}100\u{d7}2"), "{row}");
}

#[test]
fn a_scheduler_profile_without_the_node_affinity_score_spreads_the_same_pods() {
    // The same three pods, with NodeAffinity's score disabled in the scenario's profile: only
    // the resource scores remain, and each 1-CPU pod goes to the least allocated node.
    let mut text = zones()
        + "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nmetadata: {name: weights}\nspec:\n  scheduler:\n    profiles:\n    - plugins:\n        score:\n          disabled: [{name: NodeAffinity}]\n---\n";
    for p in ["a", "b", "c"] {
        text += &pod(p, "app: web", "1", PREFER_ZONE_A);
    }
    let cluster = run(text, SimDuration::secs(5));
    let mut nodes: Vec<String> = placement(&cluster).into_iter().map(|(_, n)| n).collect();
    nodes.sort();
    assert_eq!(nodes, ["node-1", "node-2", "node-3"]);
    let table = cluster
        .scheduling_decision("default", "c")
        .unwrap()
        .render();
    assert!(!table.contains("NodeAffinity"), "{table}");
}

#[test]
fn a_bad_scheduler_profile_is_refused_when_the_scenario_is_read() {
    let text = "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nmetadata: {name: bad}\nspec:\n  scheduler:\n    percentageOfNodesToScore: 150\n".to_string();
    let (_, results) = Cluster::load(&[("scenario.yaml".to_string(), text)]);
    assert_eq!(
        results.iter().map(|r| r.message.as_str()).collect::<Vec<_>>(),
        ["error: error validating \"scenario.yaml\": error validating data: Scenario.spec.scheduler.percentageOfNodesToScore: Invalid value: 150: not in valid range [0-100]"]
    );
}

#[test]
fn required_pod_anti_affinity_spreads_replicas_and_refuses_a_fourth() {
    let anti = "  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {matchLabels: {app: web}}\n        topologyKey: kubernetes.io/hostname\n";
    let mut text = node("node-1", "4", &[], "")
        + &node("node-2", "4", &[], "")
        + &node("node-3", "4", &[], "");
    for p in ["a", "b", "c", "d"] {
        text += &pod(p, "app: web", "100m", anti);
    }
    let cluster = run(text, SimDuration::secs(5));
    let left = pending(&cluster);
    assert_eq!(left.len(), 1, "{:?}", placement(&cluster));
    let mut nodes: Vec<String> = placement(&cluster)
        .into_iter()
        .map(|(_, n)| n)
        .filter(|n| n != "<none>")
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["node-1", "node-2", "node-3"]);
    // The incoming pod's own anti-affinity is checked before the existing pods' (Unschedulable:
    // preemption is tried, but every pod has the same priority).
    let messages = failed_scheduling(&cluster, &left[0]);
    assert_eq!(
        messages.first().map(String::as_str),
        Some("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")
    );
}

#[test]
fn topology_spread_over_zones_keeps_the_skew_at_one() {
    // zone-a has one node, zone-b two: with maxSkew 1 over zones, four pods split 2/2, so
    // node-1 alone takes two.
    let spread = "  topologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: topology.kubernetes.io/zone\n    whenUnsatisfiable: DoNotSchedule\n    labelSelector: {matchLabels: {app: spread}}\n";
    let mut text = zones();
    for p in ["a", "b", "c", "d"] {
        text += &pod(p, "app: spread", "100m", spread);
    }
    let cluster = run(text, SimDuration::secs(5));
    let on_node_1 = placement(&cluster)
        .iter()
        .filter(|(_, n)| n == "node-1")
        .count();
    assert_eq!(on_node_1, 2, "{:?}", placement(&cluster));
    assert!(pending(&cluster).is_empty());
}

#[test]
fn a_host_port_fits_once_per_node() {
    let mut text = node("node-1", "4", &[], "")
        + &node("node-2", "4", &[], "")
        + &node("node-3", "4", &[], "");
    for p in ["a", "b", "c", "d"] {
        text += &format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {p}\nspec:\n  containers:\n  - name: nginx\n    image: nginx\n    ports:\n    - {{containerPort: 80, hostPort: 8080}}\n---\n"
        );
    }
    let cluster = run(text, SimDuration::secs(5));
    let left = pending(&cluster);
    assert_eq!(left.len(), 1, "{:?}", placement(&cluster));
    assert_eq!(
        failed_scheduling(&cluster, &left[0]).first().map(String::as_str),
        Some("0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")
    );
}

fn event_messages(cluster: &Cluster, reason: &str) -> Vec<(String, String)> {
    cluster
        .objects(&["Event"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) if e.reason.as_deref() == Some(reason) => Some((
                e.involved_object.name.clone().unwrap_or_default(),
                e.message.clone().unwrap_or_default(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn a_higher_priority_pod_preempts_a_running_one_and_takes_its_node() {
    // Two 1-CPU nodes, each running an 800m pod of priority 0. `vip` (priority 1000, 800m) fits
    // nowhere: DefaultPreemption picks one node, evicts its pod (DisruptionTarget, graceful
    // delete, `Preempted`), nominates the node; once the kubelet has removed the victim, `vip`
    // is bound there.
    let text = node("node-1", "1", &[], "")
        + &node("node-2", "1", &[], "")
        + "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: high\nvalue: 1000\n---\n"
        + &pod("low-a", "tier: batch", "800m", "")
        + &pod("low-b", "tier: batch", "800m", "");
    let mut cluster = run(text, SimDuration::secs(10));
    assert!(cluster
        .snapshot()
        .pods
        .iter()
        .all(|p| p.status == "Running"));
    let results = cluster.apply(
        &pod("vip", "tier: web", "800m", "  priorityClassName: high\n"),
        "vip.yaml",
    );
    assert_eq!(results[0].message, "pod/vip created");
    // The scheduler sees `vip` 1 ms after it is stored; the victim is marked and deleted at once.
    cluster.run_for(SimDuration::millis(5));
    let marked: Vec<_> = ["low-a", "low-b"]
        .iter()
        .filter_map(
            |n| match cluster.api().get("Pod", "default", n).as_deref() {
                Some(Object::Pod(p)) if p.metadata.deletion_timestamp.is_some() => Some(p.clone()),
                _ => None,
            },
        )
        .collect();
    assert_eq!(marked.len(), 1);
    let condition = marked[0]
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "DisruptionTarget"))
        .cloned()
        .expect("DisruptionTarget");
    assert_eq!(
        (
            condition.status.as_str(),
            condition.reason.as_deref(),
            condition.message.as_deref()
        ),
        (
            "True",
            Some("PreemptionByScheduler"),
            Some("default-scheduler: preempting to accommodate a higher priority pod")
        )
    );
    let vip = match cluster.api().get("Pod", "default", "vip").as_deref() {
        Some(Object::Pod(p)) => (**p).clone(),
        _ => panic!("vip is gone"),
    };
    let uid = vip.metadata.uid.clone().unwrap();
    let nominated = vip
        .status
        .as_ref()
        .and_then(|s| s.nominated_node_name.clone())
        .expect("nominatedNodeName");
    let victim = marked[0].metadata.name.clone().unwrap();
    assert_eq!(
        marked[0].spec.as_ref().and_then(|s| s.node_name.clone()),
        Some(nominated.clone())
    );
    assert_eq!(
        event_messages(&cluster, "Preempted"),
        [(
            victim.to_string(),
            format!("Preempted by pod {uid} on node {nominated}")
        )]
    );
    assert_eq!(
        failed_scheduling(&cluster, "vip"),
        ["0/2 nodes are available: 2 Insufficient cpu."]
    );
    cluster.run_for(SimDuration::secs(30));
    assert!(cluster.api().get("Pod", "default", &victim).is_none());
    assert_eq!(
        event_messages(&cluster, "Scheduled")
            .into_iter()
            .filter(|(p, _)| p == "vip")
            .map(|(_, m)| m)
            .collect::<Vec<_>>(),
        [format!("Successfully assigned default/vip to {nominated}")]
    );
    let vip = cluster
        .snapshot()
        .pods
        .into_iter()
        .find(|p| p.name == "vip")
        .unwrap();
    assert_eq!(
        (vip.node.as_str(), vip.status.as_str()),
        (nominated.as_str(), "Running")
    );
}

#[test]
fn the_kubelet_reports_pulled_images_and_image_locality_scores_them() {
    // The kubelet lists its images in the node status at its next 10 s status sync, by digest
    // and by tag as containerd names them; ImageLocality then favours that node for a pod
    // naming the image the same way.
    let image = "docker.io/library/nginx:1.14.2";
    let first = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: first\nspec:\n  containers:\n  - name: nginx\n    image: {image}\n"
    );
    let mut cluster = run(first, SimDuration::secs(15));
    let node = placement(&cluster)[0].1.clone();
    let listed: Vec<Vec<String>> = match cluster.api().get("Node", "", &node).as_deref() {
        Some(Object::Node(n)) => n
            .status
            .as_ref()
            .and_then(|s| s.images.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|i| i.names.unwrap_or_default())
            .collect(),
        _ => Vec::new(),
    };
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0][1], image);
    assert!(listed[0][0].starts_with("docker.io/library/nginx@sha256:"));
    cluster.apply(
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: second\nspec:\n  containers:\n  - name: nginx\n    image: {image}\n"
        ),
        "second.yaml",
    );
    cluster.run_for(SimDuration::secs(1));
    let decision = cluster.scheduling_decision("default", "second").unwrap();
    for n in decision.nodes() {
        let locality = n.score("ImageLocality").unwrap();
        if n.node() == node {
            assert!(locality.raw > 0, "{n:?}");
        } else {
            assert_eq!(locality.raw, 0, "{n:?}");
        }
    }
}

/// A Node with its own memory and no extra labels (for the table below).
fn sized_node(name: &str, cpu: &str, memory: &str, taints: &str) -> String {
    node_with(name, cpu, memory, &[], taints)
}

const CONTROL_PLANE_TAINT: &str =
    "{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}";

#[test]
fn every_verified_failed_scheduling_example_in_its_v1_33_form() {
    // The reference's verified real-world messages (from <= 1.29 clusters, so with one period
    // fewer at the end here), each reproduced from a cluster shaped like the one that printed it.
    let cases: Vec<(&str, String, String, &str)> = vec![
        (
            "one node short of cpu",
            sized_node("node-1", "1", "4Gi", ""),
            pod("p", "app: p", "2", ""),
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
        ),
        (
            "a lone control plane",
            sized_node("cp", "4", "8Gi", CONTROL_PLANE_TAINT),
            pod("p", "app: p", "100m", ""),
            "0/1 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
        ),
        (
            "a gpu nobody has and a control plane",
            sized_node("worker", "4", "8Gi", "") + &sized_node("cp", "4", "8Gi", CONTROL_PLANE_TAINT),
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: cuda\n    image: nginx\n    resources: {limits: {nvidia.com/gpu: 1}}\n".to_string(),
            "0/2 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
        ),
        (
            "a node can give several fit reasons",
            sized_node("n1", "1", "4Gi", "")
                + &sized_node("n2", "1", "16Gi", "")
                + &sized_node("n3", "1", "16Gi", "")
                + &sized_node("n4", "4", "4Gi", ""),
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx\n    resources: {requests: {cpu: \"2\", memory: 8Gi}}\n".to_string(),
            "0/4 nodes are available: 2 Insufficient memory, 3 Insufficient cpu. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.",
        ),
        (
            "a missing claim fails in PreFilter (v1.33: preemption cannot help)",
            sized_node("node-1", "4", "8Gi", "")
                + &sized_node("node-2", "4", "8Gi", "")
                + &sized_node("node-3", "4", "8Gi", ""),
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  volumes: [{name: data, persistentVolumeClaim: {claimName: rc-definitely-missing-pvc}}]\n  containers:\n  - name: c\n    image: nginx\n".to_string(),
            "0/3 nodes are available: persistentvolumeclaim \"rc-definitely-missing-pvc\" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
        ),
        (
            "a taint and a selector, digits sorted first",
            sized_node("node-1", "4", "8Gi", "{key: test-unschedulable, value: \"true\", effect: NoSchedule}")
                + &sized_node("node-2", "4", "8Gi", "")
                + &sized_node("node-3", "4", "8Gi", ""),
            pod("p", "app: p", "100m", "  nodeSelector: {disktype: ssd}\n"),
            "0/3 nodes are available: 1 node(s) had untolerated taint {test-unschedulable: true}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
        ),
    ];
    for (what, nodes, pod_text, expected) in cases {
        let cluster = run(nodes + &pod_text, SimDuration::secs(5));
        assert_eq!(
            failed_scheduling(&cluster, "p").first().map(String::as_str),
            Some(expected),
            "{what}"
        );
    }
}

#[test]
fn a_cluster_without_nodes_has_none_available() {
    let text = "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nmetadata: {name: empty}\nspec:\n  nodes: {count: 0}\n---\n".to_string()
        + &pod("p", "app: p", "100m", "");
    let cluster = run(text, SimDuration::secs(5));
    assert_eq!(
        failed_scheduling(&cluster, "p"),
        ["no nodes available to schedule pods"]
    );
}

/// A pod as `kubectl get pods` shows it: NAME, READY, STATUS.
type PodRow = (String, String, String);

/// A docs manifest, the namespaces it needs, its pods and its FailedScheduling texts.
type DocsCase<'a> = (&'a str, &'a [&'a str], Vec<PodRow>, Vec<&'a str>);

/// `(NAME, READY, STATUS)` of every pod, and each pod's FailedScheduling messages, after a docs
/// manifest ran for 2 minutes on the default three nodes (namespaces it needs created first).
fn docs_outcome(file: &str, namespaces: &[&str]) -> (Vec<PodRow>, Vec<String>) {
    let dir = podflow_tests::manifests::dir().expect("../shared/manifests");
    let mut files: Vec<(String, String)> = namespaces
        .iter()
        .map(|ns| {
            (
                format!("{ns}.yaml"),
                format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"),
            )
        })
        .collect();
    files.push((file.to_string(), podflow_tests::manifests::read(&dir, file)));
    let (mut cluster, results) = Cluster::load(&files);
    assert!(results.iter().all(|r| r.ok), "{file}: {results:?}");
    cluster.run_for(SimDuration::secs(120));
    let pods = cluster
        .snapshot()
        .pods
        .iter()
        .map(|p| (p.name.clone(), p.ready.clone(), p.status.clone()))
        .collect();
    let failed = cluster
        .objects(&["Event"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) if e.reason.as_deref() == Some("FailedScheduling") => {
                e.message.clone()
            }
            _ => None,
        })
        .collect();
    (pods, failed)
}

#[test]
fn the_docs_scheduling_manifests_behave_as_the_index_says() {
    if podflow_tests::manifests::dir().is_none() {
        return;
    }
    let one = |name: &str, ready: &str, status: &str| {
        vec![(name.to_string(), ready.to_string(), status.to_string())]
    };
    let no_zone = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    let no_label = "0/3 nodes are available: 3 node(s) didn't match pod topology spread constraints (missing required label). preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    let cases: Vec<DocsCase<'_>> = vec![
        (
            "pods__pod-nginx-preferred-affinity.yaml",
            &[],
            one("nginx", "1/1", "Running"),
            vec![],
        ),
        (
            "pods__pod-with-node-affinity-1.yaml",
            &[],
            one("with-node-affinity-1", "0/1", "Pending"),
            vec![no_zone],
        ),
        (
            "pods__pod-with-affinity-anti-affinity.yaml",
            &[],
            one("with-affinity-anti-affinity", "1/1", "Running"),
            vec![],
        ),
        (
            "pods__pod-with-toleration.yaml",
            &[],
            one("nginx", "1/1", "Running"),
            vec![],
        ),
        (
            "pods__pod-with-scheduling-gates.yaml",
            &[],
            one("test-pod", "0/1", "SchedulingGated"),
            vec![],
        ),
        (
            "pods__pod-without-scheduling-gates.yaml",
            &[],
            one("test-pod", "1/1", "Running"),
            vec![],
        ),
        // nodeName names a node that does not exist: the scheduler never sees it, no kubelet
        // picks it up, and after the 40 s quarantine the pod garbage collector deletes the
        // orphan, so nothing is left at 2 minutes.
        (
            "pods__pod-nginx-specific-node.yaml",
            &[],
            vec![],
            vec![],
        ),
        (
            "pods__resource__cpu-request-limit.yaml",
            &["cpu-example"],
            one("cpu-demo", "1/1", "Running"),
            vec![],
        ),
        (
            "pods__resource__cpu-request-limit-2.yaml",
            &["cpu-example"],
            one("cpu-demo-2", "0/1", "Pending"),
            vec!["0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."],
        ),
        (
            "pods__resource__memory-request-limit.yaml",
            &["mem-example"],
            one("memory-demo", "1/1", "Running"),
            vec![],
        ),
        (
            "pods__resource__extended-resource-pod.yaml",
            &[],
            one("extended-resource-demo", "0/1", "Pending"),
            vec!["0/3 nodes are available: 3 Insufficient example.com/dongle. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."],
        ),
        (
            "pods__storage__pv-pod.yaml",
            &[],
            one("task-pv-pod", "0/1", "Pending"),
            vec!["0/3 nodes are available: persistentvolumeclaim \"task-pv-claim\" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."],
        ),
        (
            "pods__topology-spread-constraints__one-constraint.yaml",
            &[],
            one("mypod", "0/1", "Pending"),
            vec![no_label],
        ),
        (
            "pods__topology-spread-constraints__one-constraint-with-nodeaffinity.yaml",
            &[],
            one("mypod", "0/1", "Pending"),
            vec![no_label],
        ),
    ];
    let mut mismatches = Vec::new();
    for (file, namespaces, pods, failed) in cases {
        let (got_pods, got_failed) = docs_outcome(file, namespaces);
        let mut got_failed = got_failed;
        got_failed.dedup();
        if got_pods != pods || got_failed != failed {
            mismatches.push(format!("{file}: {got_pods:?} {got_failed:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
