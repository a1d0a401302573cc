//! Node lifecycle in virtual time: kubelet heartbeats (Lease every 10 s), a failed node going
//! `NotReady` after the v1.33 grace period with `NodeStatusUnknown`, the unreachable taints,
//! `NodeNotReady` events, taint-based eviction after `tolerationSeconds`, recovery, cordon, and
//! namespace deletion.

use podflow_core::apiserver::{authn, UserInfo};
use podflow_core::component::{Component, Ctx};
use podflow_core::object::Object;
use podflow_core::sim::{SimDuration, SimTime};
use podflow_core::store::{WatchEvent, WatchEventType, WatchFilter};
use podflow_core::Cluster;

use k8s_openapi::api::core::v1::{Node, Pod, PodCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

fn load(files: &[(&str, &str)]) -> (Cluster, Vec<String>) {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let (cluster, results) = Cluster::load(&files);
    (cluster, results.into_iter().map(|r| r.message).collect())
}

/// Whole seconds of virtual time a timestamp stands for.
fn secs(t: &Time) -> u64 {
    SimTime::from_k8s_time(t).0 / 1000
}

/// Every Event as `(lastTimestamp s, source component, object, reason, message)`, oldest first.
fn events(cluster: &Cluster) -> Vec<(u64, String, String, String, String)> {
    let mut out: Vec<_> = cluster
        .objects(&["Event"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) => Some((
                e.last_timestamp.as_ref().map(secs).unwrap_or(0),
                e.source
                    .as_ref()
                    .and_then(|s| s.component.clone())
                    .unwrap_or_default(),
                format!(
                    "{}/{}",
                    e.involved_object
                        .kind
                        .as_deref()
                        .unwrap_or("")
                        .to_lowercase(),
                    e.involved_object.name.as_deref().unwrap_or("")
                ),
                e.reason.clone().unwrap_or_default(),
                e.message.clone().unwrap_or_default(),
            )),
            _ => None,
        })
        .collect();
    out.sort();
    out
}

fn node(cluster: &Cluster, name: &str) -> Node {
    match cluster.api().get("Node", "", name).as_deref() {
        Some(Object::Node(n)) => (**n).clone(),
        other => panic!("node {name}: {other:?}"),
    }
}

fn pod(cluster: &Cluster, name: &str) -> Option<Pod> {
    match cluster.api().get("Pod", "default", name).as_deref() {
        Some(Object::Pod(p)) => Some((**p).clone()),
        _ => None,
    }
}

/// `Type Status Reason Message` of each node condition, and when it last changed.
fn conditions(node: &Node) -> Vec<(String, String, String, String, u64)> {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            (
                c.type_,
                c.status,
                c.reason.unwrap_or_default(),
                c.message.unwrap_or_default(),
                c.last_transition_time.as_ref().map(secs).unwrap_or(0),
            )
        })
        .collect()
}

/// `key:Effect@timeAdded` of each taint.
fn taints(node: &Node) -> Vec<String> {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            format!(
                "{}:{}@{}",
                t.key,
                t.effect,
                t.time_added
                    .as_ref()
                    .map(|a| SimTime::from_k8s_time(a).0.to_string())
                    .unwrap_or_default()
            )
        })
        .collect()
}

/// The second (of virtual time) a node's Lease was last renewed.
fn lease_renewed(cluster: &Cluster, node: &str) -> u64 {
    match cluster
        .api()
        .get("Lease", "kube-node-lease", node)
        .as_deref()
    {
        Some(Object::Lease(l)) => l
            .spec
            .as_ref()
            .and_then(|s| s.renew_time.as_ref())
            .map(|t| (t.0.as_millisecond() / 1000 - 1_745_366_400) as u64)
            .unwrap_or(0),
        other => panic!("lease {node}: {other:?}"),
    }
}

fn status(cluster: &Cluster, node: &str) -> String {
    cluster
        .snapshot()
        .nodes
        .into_iter()
        .find(|n| n.name == node)
        .map(|n| n.status)
        .unwrap_or_default()
}

/// Steps until `until` (absolute virtual time) and gives the first moment `seen` held.
fn first_time(cluster: &mut Cluster, until: SimTime, seen: impl Fn(&Cluster) -> bool) -> SimTime {
    while cluster.next_due().is_some_and(|t| t <= until) {
        cluster.step();
        if seen(cluster) {
            return cluster.now();
        }
    }
    panic!("not seen by {until:?}");
}

/// Plays the running part of a kubelet for the pods of one node: reports them Running and
/// Ready once (the pod workers are another component). It stops with its node.
#[derive(Debug)]
struct PodsReady {
    node: String,
    user: UserInfo,
}

impl Component for PodsReady {
    fn name(&self) -> &str {
        "kubelet/node-2"
    }
    fn user(&self) -> &UserInfo {
        &self.user
    }
    fn watches(&self) -> Vec<WatchFilter> {
        vec![WatchFilter::pods_on_node(self.node.clone())]
    }
    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        let Object::Pod(p) = &*event.object else {
            return;
        };
        let (ns, name) = (
            p.metadata.namespace.clone().unwrap_or_default(),
            p.metadata.name.clone().unwrap_or_default(),
        );
        let Some(Object::Pod(mut live)) = ctx.get("Pod", &ns, &name).as_deref().cloned() else {
            return;
        };
        let st = live.status.get_or_insert_with(Default::default);
        let conditions = st.conditions.get_or_insert_with(Vec::new);
        if conditions.iter().any(|c| c.type_ == "Ready") {
            return;
        }
        st.phase = Some("Running".into());
        conditions.push(PodCondition {
            type_: "Ready".into(),
            status: "True".into(),
            last_transition_time: Some(ctx.now.to_k8s_time()),
            ..Default::default()
        });
        let _ = ctx.update_status(Object::Pod(live));
    }
    fn on_timer(&mut self, _token: u64, _ctx: &mut Ctx<'_>) {}
    fn node(&self) -> Option<&str> {
        Some(&self.node)
    }
}

const PODS: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\nspec:\n  nodeName: node-2\n  containers: [{name: nginx, image: nginx}]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: brief\nspec:\n  nodeName: node-2\n  tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 10}]\n  containers: [{name: c, image: nginx}]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: forever\nspec:\n  nodeName: node-2\n  tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute}]\n  containers: [{name: c, image: nginx}]\n";

fn scenario(actions: &str) -> String {
    format!("apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  actions:\n{actions}")
}

fn failing_cluster(actions: &str) -> Cluster {
    let scenario = scenario(actions);
    let (mut cluster, lines) = load(&[("pods.yaml", PODS), ("scenario.yaml", &scenario)]);
    assert_eq!(
        lines,
        [
            "pod/nginx created",
            "pod/brief created",
            "pod/forever created"
        ]
    );
    cluster.add_component(Box::new(PodsReady {
        node: "node-2".into(),
        user: authn::node("node-2"),
    }));
    cluster
}

#[test]
fn kubelets_renew_their_node_lease_every_ten_seconds_without_events_or_trace_lines() {
    let mut cluster = Cluster::default();
    cluster.run_for(SimDuration::secs(35));
    let lease = cluster
        .api()
        .get("Lease", "kube-node-lease", "node-2")
        .expect("the node-2 Lease");
    let Object::Lease(l) = &*lease else { panic!() };
    let spec = l.spec.clone().unwrap_or_default();
    assert_eq!(spec.holder_identity.as_deref(), Some("node-2"));
    assert_eq!(spec.lease_duration_seconds, Some(40));
    let owner = &l.metadata.owner_references.clone().unwrap_or_default()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("Node", "node-2")
    );
    let renewals: Vec<u64> = cluster
        .api()
        .store
        .history("/registry/leases/kube-node-lease/node-2")
        .iter()
        .filter_map(|e| match &*e.object {
            Object::Lease(l) => l
                .spec
                .as_ref()
                .and_then(|s| s.renew_time.as_ref())
                .map(|t| (t.0.as_millisecond() / 1000 - 1_745_366_400) as u64),
            _ => None,
        })
        .collect();
    assert_eq!(renewals, [0, 10, 20, 30]);
    assert_eq!(events(&cluster), []);
    assert!(
        !cluster
            .trace()
            .steps()
            .any(|s| s.object.starts_with("Lease/")),
        "Lease renewals stay out of the flow"
    );
    assert_eq!(status(&cluster, "node-2"), "Ready");
}

#[test]
fn kubelets_post_node_status_every_five_minutes_with_fresh_heartbeats() {
    let mut cluster = Cluster::default();
    cluster.run_for(SimDuration::secs(299));
    let ready = |c: &Cluster| {
        node(c, "node-1")
            .status
            .and_then(|s| s.conditions)
            .and_then(|cs| cs.into_iter().find(|c| c.type_ == "Ready"))
            .expect("Ready")
    };
    assert_eq!(
        ready(&cluster).last_heartbeat_time.as_ref().map(secs),
        Some(0)
    );
    cluster.run_for(SimDuration::secs(2));
    let r = ready(&cluster);
    assert_eq!(r.last_heartbeat_time.as_ref().map(secs), Some(300));
    assert_eq!(r.last_transition_time.as_ref().map(secs), Some(0));
    assert_eq!(r.reason.as_deref(), Some("KubeletReady"));
}

#[test]
fn a_failed_node_goes_not_ready_is_tainted_and_its_pods_are_evicted_after_their_toleration() {
    let mut cluster = failing_cluster("  - {at: 1m, failNode: node-2}\n");
    // The last renewal was at 50 s; the monitor pass that first finds it older than 50 s
    // is the one at 105 s.
    let not_ready = first_time(&mut cluster, SimTime(200_000), |c| {
        status(c, "node-2") == "NotReady"
    });
    assert_eq!(not_ready, SimTime(105_000));
    assert_eq!(
        lease_renewed(&cluster, "node-2"),
        50,
        "no renewal since the failure"
    );
    assert_eq!(lease_renewed(&cluster, "node-1"), 100);
    let unknown = |t: &str| {
        (
            t.to_string(),
            "Unknown".to_string(),
            "NodeStatusUnknown".to_string(),
            "Kubelet stopped posting node status.".to_string(),
            105,
        )
    };
    assert_eq!(
        conditions(&node(&cluster, "node-2")),
        [
            unknown("MemoryPressure"),
            unknown("DiskPressure"),
            unknown("PIDPressure"),
            unknown("Ready")
        ]
    );
    assert_eq!(status(&cluster, "node-1"), "Ready");
    assert_eq!(
        podflow_core::kubectl::get::nodes(&cluster.objects(&["Node"]), cluster.now()).as_deref(),
        Some(
            "NAME     STATUS     ROLES    AGE    VERSION\n\
             node-1   Ready      <none>   105s   v1.33.1\n\
             node-2   NotReady   <none>   105s   v1.33.1\n\
             node-3   Ready      <none>   105s   v1.33.1\n"
        )
    );
    // NoSchedule follows the condition at once; NoExecute comes from the next monitor pass
    // through the 100 ms tainting queue.
    cluster.run_for(SimDuration::millis(110_200 - 105_000));
    assert_eq!(
        taints(&node(&cluster, "node-2")),
        [
            "node.kubernetes.io/unreachable:NoSchedule@105000",
            "node.kubernetes.io/unreachable:NoExecute@110000"
        ]
    );
    let ready_of = |p: &Pod| {
        p.status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default()
            .into_iter()
            .find(|c| c.type_ == "Ready")
            .map(|c| (c.status, c.last_transition_time.as_ref().map(secs)))
    };
    let nginx = pod(&cluster, "nginx").expect("nginx");
    assert_eq!(ready_of(&nginx), Some(("False".into(), Some(105))));
    assert_eq!(
        nginx.metadata.deletion_timestamp, None,
        "300 s of toleration left"
    );

    cluster.run_for(SimDuration::secs(500));
    let evicted = pod(&cluster, "nginx").expect("still there: no kubelet to finish it");
    assert_eq!(
        evicted.metadata.deletion_timestamp.as_ref().map(secs),
        Some(410 + 30),
        "deleted at 410 s with the default 30 s grace period"
    );
    let disruption = evicted
        .status
        .and_then(|s| s.conditions)
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "DisruptionTarget")
        .expect("DisruptionTarget");
    assert_eq!(
        (
            disruption.status.as_str(),
            disruption.reason.as_deref(),
            disruption.message.as_deref()
        ),
        (
            "True",
            Some("DeletionByTaintManager"),
            Some("Taint manager: deleting due to NoExecute taint")
        )
    );
    let view = cluster.snapshot();
    let shown = |name: &str| {
        view.pods
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.status.clone())
    };
    assert_eq!(shown("nginx").as_deref(), Some("Terminating"));
    assert_eq!(shown("brief").as_deref(), Some("Terminating"));
    assert_eq!(
        pod(&cluster, "forever").and_then(|p| p.metadata.deletion_timestamp),
        None
    );

    let t = |s: &str| s.to_string();
    let from_controllers: Vec<_> = events(&cluster)
        .into_iter()
        .filter(|e| e.1 != "kubelet")
        .collect();
    assert_eq!(
        from_controllers,
        [
            (
                105,
                t("node-controller"),
                t("node/node-2"),
                t("NodeNotReady"),
                t("Node node-2 status is now: NodeNotReady")
            ),
            (
                105,
                t("node-controller"),
                t("pod/brief"),
                t("NodeNotReady"),
                t("Node is not ready")
            ),
            (
                105,
                t("node-controller"),
                t("pod/forever"),
                t("NodeNotReady"),
                t("Node is not ready")
            ),
            (
                105,
                t("node-controller"),
                t("pod/nginx"),
                t("NodeNotReady"),
                t("Node is not ready")
            ),
            (
                120,
                t("taint-eviction-controller"),
                t("pod/brief"),
                t("TaintManagerEviction"),
                t("Marking for deletion Pod default/brief")
            ),
            (
                410,
                t("taint-eviction-controller"),
                t("pod/nginx"),
                t("TaintManagerEviction"),
                t("Marking for deletion Pod default/nginx")
            ),
        ]
    );
}

#[test]
fn a_recovered_node_is_ready_again_untainted_and_pending_evictions_are_cancelled() {
    let mut cluster =
        failing_cluster("  - {at: 1m, failNode: node-2}\n  - {at: 3m, recoverNode: node-2}\n");
    cluster.run_for(SimDuration::secs(179));
    assert_eq!(status(&cluster, "node-2"), "NotReady");
    let results: Vec<String> = cluster
        .run_for(SimDuration::secs(2))
        .into_iter()
        .flat_map(|r| r.results)
        .map(|r| r.message)
        .collect();
    assert_eq!(results, ["node/node-2 recovered"]);
    let n = node(&cluster, "node-2");
    assert_eq!(status(&cluster, "node-2"), "Ready");
    assert_eq!(taints(&n), Vec::<String>::new());
    let ready = conditions(&n).pop().expect("Ready");
    assert_eq!(
        ready,
        (
            "Ready".into(),
            "True".into(),
            "KubeletReady".into(),
            "kubelet is posting ready status".into(),
            180
        )
    );
    let t = |s: &str| s.to_string();
    let after_recovery: Vec<(u64, String, String, String, String)> = events(&cluster)
        .into_iter()
        .filter(|e| e.0 >= 180)
        .collect();
    let kubelet =
        |reason: &str, message: &str| (180, t("kubelet"), t("node/node-2"), t(reason), t(message));
    assert_eq!(
        after_recovery,
        [
            kubelet(
                "NodeAllocatableEnforced",
                "Updated Node Allocatable limit across pods"
            ),
            kubelet(
                "NodeHasNoDiskPressure",
                "Node node-2 status is now: NodeHasNoDiskPressure"
            ),
            kubelet(
                "NodeHasSufficientMemory",
                "Node node-2 status is now: NodeHasSufficientMemory"
            ),
            kubelet(
                "NodeHasSufficientPID",
                "Node node-2 status is now: NodeHasSufficientPID"
            ),
            kubelet("NodeReady", "Node node-2 status is now: NodeReady"),
            kubelet("Starting", "Starting kubelet."),
            // The kubelet is back and finds `brief` (evicted while it was gone) marked for
            // deletion: it stops its container.
            (
                180,
                t("kubelet"),
                t("pod/brief"),
                t("Killing"),
                t("Stopping container c")
            ),
            (
                180,
                t("taint-eviction-controller"),
                t("pod/nginx"),
                t("TaintManagerEviction"),
                t("Cancelling deletion of Pod default/nginx")
            ),
        ]
    );
    // The Lease is renewed again from the restart on, every 10 s.
    assert_eq!(lease_renewed(&cluster, "node-2"), 180);
    cluster.run_for(SimDuration::secs(300));
    assert_eq!(lease_renewed(&cluster, "node-2"), 480);
    assert_eq!(
        pod(&cluster, "nginx").and_then(|p| p.metadata.deletion_timestamp),
        None
    );
    assert_eq!(status(&cluster, "node-2"), "Ready");
}

#[test]
fn failing_an_unknown_node_is_not_found() {
    let mut cluster = Cluster::default();
    assert_eq!(
        cluster.fail_node("node-9").message,
        "Error from server (NotFound): nodes \"node-9\" not found"
    );
    assert_eq!(
        cluster.recover_node("node-1").message,
        "node/node-1 is not failed"
    );
}

#[test]
fn a_cordoned_node_shows_scheduling_disabled_and_gets_the_unschedulable_taint() {
    let scenario = scenario("  - {at: 5s, cordon: node-1}\n  - {at: 25s, uncordon: node-1}\n");
    let (mut cluster, _) = load(&[("scenario.yaml", &scenario)]);
    cluster.run_for(SimDuration::secs(6));
    assert_eq!(status(&cluster, "node-1"), "Ready,SchedulingDisabled");
    assert_eq!(
        taints(&node(&cluster, "node-1")),
        ["node.kubernetes.io/unschedulable:NoSchedule@5000"]
    );
    cluster.run_for(SimDuration::secs(25));
    assert_eq!(status(&cluster, "node-1"), "Ready");
    assert_eq!(taints(&node(&cluster, "node-1")), Vec::<String>::new());
    // The kubelet tells of it at its next status sync (every 10 s).
    let t = |s: &str| s.to_string();
    assert_eq!(
        events(&cluster),
        [
            (
                10,
                t("kubelet"),
                t("node/node-1"),
                t("NodeNotSchedulable"),
                t("Node node-1 status is now: NodeNotSchedulable")
            ),
            (
                30,
                t("kubelet"),
                t("node/node-1"),
                t("NodeSchedulable"),
                t("Node node-1 status is now: NodeSchedulable")
            ),
        ]
    );
}

const NAMESPACES: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: dev\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: dev\ndata: {a: b}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: busy\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: busy\nspec:\n  nodeName: node-1\n  containers: [{name: web, image: nginx}]\n";

#[test]
fn a_deleted_namespace_terminates_loses_its_content_and_then_disappears() {
    let scenario = scenario("  - {at: 10s, delete: namespace/dev}\n  - {at: 10s, delete: namespace/busy}\n  - at: 11s\n    apply: |\n      apiVersion: v1\n      kind: Pod\n      metadata: {name: late, namespace: busy}\n      spec:\n        containers: [{name: c, image: nginx}]\n");
    let (mut cluster, lines) = load(&[("ns.yaml", NAMESPACES), ("scenario.yaml", &scenario)]);
    assert_eq!(
        lines,
        [
            "namespace/dev created",
            "configmap/settings created",
            "namespace/busy created",
            "pod/web created"
        ]
    );
    let reports = cluster.run_for(SimDuration::secs(12));
    let results: Vec<String> = reports
        .into_iter()
        .flat_map(|r| r.results)
        .map(|r| r.message)
        .collect();
    assert_eq!(
        results,
        [
            "namespace \"dev\" deleted",
            "namespace \"busy\" deleted",
            "Error from server (Forbidden): error when creating \"STDIN\": pods \"late\" is forbidden: unable to create new content in namespace busy because it is being terminated"
        ]
    );
    // dev had only a ConfigMap, a ServiceAccount and the root CA: gone, then the namespace.
    assert!(cluster.api().get("Namespace", "", "dev").is_none());
    assert!(cluster.api().get("ConfigMap", "dev", "settings").is_none());
    let dev_history = cluster.api().store.history("/registry/namespaces/dev");
    let phases: Vec<String> = dev_history
        .iter()
        .map(|e| match &*e.object {
            Object::Namespace(n) => format!(
                "{:?} {}",
                e.type_,
                n.status
                    .as_ref()
                    .and_then(|s| s.phase.clone())
                    .unwrap_or_default()
            ),
            _ => String::new(),
        })
        .collect();
    assert_eq!(phases.first().map(String::as_str), Some("Added Active"));
    assert_eq!(
        phases.get(1).map(String::as_str),
        Some("Modified Terminating")
    );
    assert_eq!(
        phases.last().map(String::as_str),
        Some("Deleted Terminating")
    );
    // busy still has its pod terminating (its grace period runs on the kubelet).
    let Some(Object::Namespace(busy)) = cluster
        .api()
        .get("Namespace", "", "busy")
        .as_deref()
        .cloned()
    else {
        panic!("busy is still there")
    };
    assert!(busy.metadata.deletion_timestamp.is_some());
    let st = busy.status.unwrap_or_default();
    assert_eq!(st.phase.as_deref(), Some("Terminating"));
    let remaining = st
        .conditions
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "NamespaceContentRemaining")
        .expect("NamespaceContentRemaining");
    assert_eq!(
        (
            remaining.status.as_str(),
            remaining.reason.as_deref(),
            remaining.message.as_deref()
        ),
        (
            "True",
            Some("SomeResourcesRemain"),
            Some("Some resources are remaining: pods. has 1 resource instances")
        )
    );
    assert!(cluster
        .api()
        .get("ConfigMap", "busy", "kube-root-ca.crt")
        .is_none());
}

/// A bare pod and a ReplicaSet's pod on node-1, a DaemonSet's pod on every node, a bare pod on
/// node-2: real owners, since the garbage collector removes pods whose owner does not exist.
const DRAIN_PODS: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: solo\nspec:\n  nodeName: node-1\n  containers: [{name: c, image: nginx}]\n---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      nodeSelector: {kubernetes.io/hostname: node-1}\n      containers: [{name: c, image: nginx}]\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      containers: [{name: c, image: nginx}]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: elsewhere\nspec:\n  nodeName: node-2\n  containers: [{name: c, image: nginx}]\n";

/// The name of the pod on `node` whose name starts with `prefix`.
fn pod_on(cluster: &Cluster, prefix: &str, node: &str) -> String {
    cluster
        .snapshot()
        .pods
        .iter()
        .find(|p| p.name.starts_with(prefix) && p.node == node)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| panic!("no {prefix}* pod on {node}"))
}

#[test]
fn draining_a_node_cordons_it_and_evicts_all_but_daemon_set_pods() {
    let scenario = scenario("  - {at: 5s, drain: node-1}\n");
    let (mut cluster, lines) = load(&[("pods.yaml", DRAIN_PODS), ("scenario.yaml", &scenario)]);
    assert_eq!(lines.len(), 4, "{lines:?}");
    cluster.run_for(SimDuration::millis(4_900));
    let web = pod_on(&cluster, "web-", "node-1");
    let agent = pod_on(&cluster, "agent-", "node-1");
    let results: Vec<(String, Vec<String>)> = cluster
        .run_for(SimDuration::millis(100))
        .into_iter()
        .flat_map(|r| r.results)
        .map(|r| (r.message, r.warnings))
        .collect();
    let line = |m: &str| (m.to_string(), Vec::<String>::new());
    assert_eq!(
        results,
        [
            line("node/node-1 cordoned"),
            (
                "evicting pod default/solo".to_string(),
                vec![format!("Warning: deleting Pods that declare no controller: default/solo; ignoring DaemonSet-managed Pods: default/{agent}")]
            ),
            line(&format!("evicting pod default/{web}")),
            line("pod/solo evicted"),
            line(&format!("pod/{web} evicted")),
            line("node/node-1 drained"),
        ]
    );
    assert_eq!(status(&cluster, "node-1"), "Ready,SchedulingDisabled");
    let deleting = |name: &str| {
        pod(&cluster, name)
            .and_then(|p| p.metadata.deletion_timestamp)
            .map(|t| secs(&t))
    };
    assert_eq!(deleting("solo"), Some(35));
    assert_eq!(deleting(&web), Some(35));
    assert_eq!(deleting(&agent), None);
    assert_eq!(deleting("elsewhere"), None);
    let reason = pod(&cluster, "solo")
        .and_then(|p| p.status)
        .and_then(|s| s.conditions)
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "DisruptionTarget")
        .and_then(|c| c.reason);
    assert_eq!(reason.as_deref(), Some("EvictionByEvictionAPI"));
    // node-1's kubelet stops nginx at once (it exits on SIGTERM) and the pods are gone long
    // before their 30 s grace period ends; the ReplicaSet's replacement cannot go back to the
    // cordoned node it selects, so it stays Pending.
    cluster.run_for(SimDuration::secs(5));
    assert!(pod(&cluster, "solo").is_none());
    assert!(pod(&cluster, &web).is_none());
    assert!(pod(&cluster, &agent).is_some());
    let replacement: Vec<(String, String)> = cluster
        .snapshot()
        .pods
        .iter()
        .filter(|p| p.name.starts_with("web-"))
        .map(|p| (p.node.clone(), p.status.clone()))
        .collect();
    assert_eq!(replacement, [("<none>".to_string(), "Pending".to_string())]);
}

#[test]
fn two_failed_nodes_are_tainted_one_per_ten_seconds_by_the_zone_rate_limiter() {
    let mut cluster =
        failing_cluster("  - {at: 1m, failNode: node-2}\n  - {at: 1m, failNode: node-3}\n");
    cluster.run_for(SimDuration::secs(130));
    assert_eq!(status(&cluster, "node-2"), "NotReady");
    assert_eq!(status(&cluster, "node-3"), "NotReady");
    assert_eq!(
        taints(&node(&cluster, "node-2")),
        [
            "node.kubernetes.io/unreachable:NoSchedule@105000",
            "node.kubernetes.io/unreachable:NoExecute@110000"
        ]
    );
    // --node-eviction-rate 0.1: the zone's next token comes 10 s later.
    assert_eq!(
        taints(&node(&cluster, "node-3")),
        [
            "node.kubernetes.io/unreachable:NoSchedule@105000",
            "node.kubernetes.io/unreachable:NoExecute@120000"
        ]
    );
}

#[test]
fn when_every_node_fails_the_controller_stops_tainting_for_eviction() {
    let mut cluster = failing_cluster(
        "  - {at: 1m, failNode: node-1}\n  - {at: 1m, failNode: node-2}\n  - {at: 1m, failNode: node-3}\n",
    );
    cluster.run_for(SimDuration::secs(600));
    for n in ["node-1", "node-2", "node-3"] {
        assert_eq!(status(&cluster, n), "NotReady");
        assert_eq!(
            taints(&node(&cluster, n)),
            ["node.kubernetes.io/unreachable:NoSchedule@105000"],
            "{n}: no NoExecute taint in master disruption mode"
        );
    }
    assert_eq!(
        pod(&cluster, "nginx").and_then(|p| p.metadata.deletion_timestamp),
        None,
        "nothing is evicted"
    );
    assert!(cluster.trace().steps().any(|s| s
        .detail
        .starts_with("all nodes are not Ready: entering master disruption mode")));
}

/// A node agent that logs what reaches it: timers every second, pod events, restarts.
#[derive(Debug)]
struct Recorder {
    user: UserInfo,
    seen: std::rc::Rc<std::cell::RefCell<Vec<(u64, String)>>>,
}

impl Component for Recorder {
    fn name(&self) -> &str {
        "kubelet/node-3"
    }
    fn user(&self) -> &UserInfo {
        &self.user
    }
    fn watches(&self) -> Vec<WatchFilter> {
        vec![WatchFilter::pods_on_node("node-3")]
    }
    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        // Status writes by node-3's real kubelet are not what this test is about.
        if event.type_ == WatchEventType::Modified {
            return;
        }
        let name = event.object.meta().name.clone().unwrap_or_default();
        if self.seen.borrow().is_empty() {
            ctx.after(SimDuration::secs(1), 1);
        }
        self.seen
            .borrow_mut()
            .push((ctx.now.0, format!("{:?} {name}", event.type_)));
    }
    fn on_timer(&mut self, token: u64, ctx: &mut Ctx<'_>) {
        self.seen
            .borrow_mut()
            .push((ctx.now.0, format!("timer {token}")));
        ctx.after(SimDuration::secs(1), token + 1);
    }
    fn node(&self) -> Option<&str> {
        Some("node-3")
    }
    fn on_restart(&mut self, ctx: &mut Ctx<'_>) {
        self.seen.borrow_mut().push((ctx.now.0, "restart".into()));
        ctx.after(SimDuration::secs(1), 100);
    }
}

#[test]
fn a_failed_node_agent_gets_no_timers_or_events_until_it_restarts_then_the_waiting_events() {
    let scenario = scenario("  - {at: 1500ms, failNode: node-3}\n  - at: 2s\n    apply: |\n      apiVersion: v1\n      kind: Pod\n      metadata: {name: late}\n      spec:\n        nodeName: node-3\n        containers: [{name: c, image: nginx}]\n  - {at: 4s, recoverNode: node-3}\n");
    let (mut cluster, _) = load(&[("scenario.yaml", &scenario)]);
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    cluster.add_component(Box::new(Recorder {
        user: authn::node("node-3"),
        seen: seen.clone(),
    }));
    // Start its timer chain through a first event: a pod on node-3 at t=0.
    cluster.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: early}\nspec:\n  nodeName: node-3\n  containers: [{name: c, image: nginx}]\n",
        "early.yaml",
    );
    cluster.run_for(SimDuration::secs(6));
    let t = |ms: u64, what: &str| (ms, what.to_string());
    assert_eq!(
        *seen.borrow(),
        [
            t(1, "Added early"),
            t(1_001, "timer 1"),
            // timer 2 (2.001 s) died with the process; the pod added at 2 s waited.
            t(4_000, "restart"),
            t(4_001, "Added late"),
            t(5_000, "timer 100"),
            t(6_000, "timer 101"),
        ]
    );
}

#[test]
fn a_partitioned_node_keeps_its_containers_its_evicted_pods_stay_terminating_until_it_heals() {
    let deployment = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.14.2\n";
    let scenario =
        scenario("  - { at: 30s, partitionNode: node-2 }\n  - { at: 8m, healNode: node-2 }\n");
    let (mut cluster, lines) = load(&[("web.yaml", deployment), ("scenario.yaml", &scenario)]);
    assert_eq!(lines, ["replicaset.apps/web created"]);
    cluster.run_for(SimDuration::secs(30));
    let on_node_2 = |c: &Cluster| -> Vec<(String, String)> {
        c.snapshot()
            .pods
            .iter()
            .filter(|p| p.node == "node-2")
            .map(|p| (p.name.clone(), p.status.clone()))
            .collect()
    };
    let victims = on_node_2(&cluster);
    assert_eq!(victims.len(), 1, "{victims:?}");
    let victim = victims[0].0.clone();
    // The Lease stops: after the 50 s grace period the node is Unknown and tainted.
    let unknown = first_time(
        &mut cluster,
        SimTime::ZERO.plus(SimDuration::secs(200)),
        |c| status(c, "node-2") == "NotReady",
    );
    assert!(
        (SimTime::ZERO.plus(SimDuration::secs(75))..=SimTime::ZERO.plus(SimDuration::secs(95)))
            .contains(&unknown),
        "NotReady at {unknown}"
    );
    // 300 s of tolerance later the taint manager deletes the pod; nobody confirms its end.
    cluster.run_for(SimDuration::secs(400));
    assert_eq!(
        on_node_2(&cluster),
        [(victim.clone(), "Terminating".to_string())]
    );
    assert!(events(&cluster)
        .iter()
        .any(|e| e.3 == "TaintManagerEviction"
            && e.4 == format!("Marking for deletion Pod default/{victim}")));
    // Its replacement runs elsewhere: three Running pods besides the Terminating one.
    let running = cluster
        .snapshot()
        .pods
        .iter()
        .filter(|p| p.status == "Running" && p.node != "node-2")
        .count();
    assert_eq!(running, 3);
    // The API server cannot reach the kubelet for the pod's log either.
    assert!(cluster.partitioned_nodes().contains("node-2"));
    let logs = cluster.logs("default", &victim, None, false);
    assert!(
        logs.stderr.starts_with("Error from server: Get \"https://")
            && logs.stderr.ends_with(&format!(
                ":10250/containerLogs/default/{victim}/nginx\": dial tcp {}:10250: i/o timeout\n",
                node_ip(&cluster, "node-2")
            )),
        "{}",
        logs.stderr
    );
    // Healed at 8 m: the kubelet hears of the deletion, stops the container, the pod goes.
    cluster.run_for(SimDuration::secs(120));
    assert!(on_node_2(&cluster).is_empty(), "{:?}", on_node_2(&cluster));
    assert_eq!(status(&cluster, "node-2"), "Ready");
}

fn node_ip(cluster: &Cluster, name: &str) -> String {
    node(cluster, name)
        .status
        .and_then(|s| s.addresses)
        .and_then(|a| a.into_iter().find(|a| a.type_ == "InternalIP"))
        .map(|a| a.address)
        .unwrap_or_default()
}
