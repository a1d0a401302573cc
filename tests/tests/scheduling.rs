//! The scheduler in the flow: pods learned of through watches, bound through the API server,
//! `Scheduled` and `FailedScheduling` events and the PodScheduled condition in v1.33's words.

use podflow_core::object::Object;
use podflow_core::sim::SimDuration;
use podflow_core::Cluster;
use podflow_tests::manifests;

fn run(files: &[(&str, String)], d: SimDuration) -> Cluster {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect();
    let (mut cluster, _) = Cluster::load(&files);
    cluster.run_for(d);
    cluster
}

fn events(cluster: &Cluster, reason: &str) -> Vec<String> {
    cluster
        .objects(&["Event"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) if e.reason.as_deref() == Some(reason) => e.message.clone(),
            _ => None,
        })
        .collect()
}

#[test]
fn a_simple_pod_is_bound_to_a_node_with_a_scheduled_event() {
    let Some(dir) = manifests::dir() else { return };
    let cluster = run(
        &[(
            "pods__simple-pod.yaml",
            manifests::read(&dir, "pods__simple-pod.yaml"),
        )],
        SimDuration::secs(1),
    );
    let pod = &cluster.snapshot().pods[0];
    assert!(pod.node.starts_with("node-"), "bound: {pod:?}");
    assert_eq!(
        events(&cluster, "Scheduled"),
        [format!(
            "Successfully assigned default/nginx to {}",
            pod.node
        )]
    );
    let Some(Object::Event(e)) = cluster.objects(&["Event"]).first().map(|e| (**e).clone()) else {
        panic!()
    };
    assert_eq!(e.reporting_component.as_deref(), Some("default-scheduler"));
    assert_eq!(e.action.as_deref(), Some("Binding"));
}

#[test]
fn a_node_selector_no_node_matches_leaves_the_pod_pending_with_the_v1_33_message() {
    let Some(dir) = manifests::dir() else { return };
    let cluster = run(
        &[(
            "pods__pod-nginx.yaml",
            manifests::read(&dir, "pods__pod-nginx.yaml"),
        )],
        SimDuration::secs(30),
    );
    let message = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    let failed = events(&cluster, "FailedScheduling");
    assert!(!failed.is_empty());
    assert!(failed.iter().all(|m| m == message), "{failed:?}");
    let Some(Object::Pod(p)) = cluster
        .api()
        .get("Pod", "default", "nginx")
        .as_deref()
        .cloned()
    else {
        panic!()
    };
    let cond = p
        .status
        .unwrap()
        .conditions
        .unwrap()
        .into_iter()
        .find(|c| c.type_ == "PodScheduled")
        .unwrap();
    assert_eq!(
        (
            cond.status.as_str(),
            cond.reason.as_deref(),
            cond.message.as_deref()
        ),
        ("False", Some("Unschedulable"), Some(message))
    );
    assert_eq!(cluster.snapshot().pods[0].status, "Pending");
    assert_eq!(cluster.snapshot().pods[0].node, "<none>");
}

#[test]
fn a_cpu_request_larger_than_any_node_gets_insufficient_cpu() {
    let Some(dir) = manifests::dir() else { return };
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cpu-example\n".to_string();
    let cluster = run(
        &[
            ("ns.yaml", ns),
            (
                "pods__resource__cpu-request-limit-2.yaml",
                manifests::read(&dir, "pods__resource__cpu-request-limit-2.yaml"),
            ),
        ],
        SimDuration::secs(5),
    );
    assert_eq!(
        events(&cluster, "FailedScheduling")[0],
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    );
}

#[test]
fn scheduling_gates_keep_a_pod_out_of_the_queue() {
    let Some(dir) = manifests::dir() else { return };
    let cluster = run(
        &[(
            "pods__pod-with-scheduling-gates.yaml",
            manifests::read(&dir, "pods__pod-with-scheduling-gates.yaml"),
        )],
        SimDuration::mins(1),
    );
    assert!(events(&cluster, "FailedScheduling").is_empty());
    assert_eq!(cluster.snapshot().pods[0].status, "SchedulingGated");
}
