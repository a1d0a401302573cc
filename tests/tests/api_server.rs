//! The first half of the flow, through `Cluster`: kubectl apply → authentication → RBAC →
//! defaulting → admission → validation → etcd, checked on the documentation's manifests and on
//! the exact texts kubectl prints.

use podflow_core::object::Object;
use podflow_core::{ApplyResult, Cluster};
use podflow_tests::manifests;

/// What `kubectl apply` prints for a set of files applied in order on a fresh default cluster.
fn apply_files(files: &[(&str, String)]) -> (Cluster, Vec<ApplyResult>) {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect();
    Cluster::load(&files)
}

fn lines(results: &[ApplyResult]) -> Vec<String> {
    results.iter().map(|r| r.message.clone()).collect()
}

/// The apply-step outcome of every INDEX.tsv row on a plain 3-node cluster, as data: file,
/// `created` or `refused`, and kubectl's exact lines (joined by ` ;; `). The engine issues add
/// what happens after the apply. One deliberate difference from INDEX.tsv's prose:
/// `pods__probe__grpc-liveness.yaml` spells the handler `gRPC:` in this revision of the docs, and
/// the API server's case-sensitive strict decoding refuses it.
const OUTCOMES: &str = include_str!("../data/apply-outcomes.tsv");

#[test]
fn every_docs_manifest_is_accepted_or_refused_as_a_real_api_server_would() {
    let Some(dir) = manifests::dir() else { return };
    let rows = manifests::index(&dir);
    assert_eq!(rows.len(), 49, "INDEX.tsv rows");
    let outcomes: Vec<Vec<&str>> = OUTCOMES
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(outcomes.len(), rows.len(), "one outcome per INDEX.tsv row");
    let mut matched = 0;
    for (row, outcome) in rows.iter().zip(&outcomes) {
        assert_eq!(
            row.file, outcome[0],
            "apply-outcomes.tsv follows INDEX.tsv's order"
        );
        let (_, results) = apply_files(&[(row.file.as_str(), manifests::read(&dir, &row.file))]);
        let want: Vec<&str> = outcome[2].split(" ;; ").collect();
        assert_eq!(lines(&results), want, "{}", row.file);
        let accepted = outcome[1] == "created";
        assert!(results.iter().all(|r| r.ok == accepted), "{}", row.file);
        matched += 1;
    }
    println!("{matched}/{} rows match at the apply step", rows.len());
}

#[test]
fn manifests_needing_a_namespace_are_created_once_it_exists() {
    let Some(dir) = manifests::dir() else { return };
    for (ns, file, line) in [
        (
            "qos-example",
            "pods__qos__qos-pod.yaml",
            "pod/qos-demo created",
        ),
        (
            "cpu-example",
            "pods__resource__cpu-request-limit.yaml",
            "pod/cpu-demo created",
        ),
        (
            "mem-example",
            "pods__resource__memory-request-limit.yaml",
            "pod/memory-demo created",
        ),
    ] {
        let namespace = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n");
        let (cluster, results) =
            apply_files(&[("ns.yaml", namespace), (file, manifests::read(&dir, file))]);
        assert_eq!(
            lines(&results),
            [format!("namespace/{ns} created"), line.to_string()]
        );
        // The service-account controller gave the new namespace its default ServiceAccount.
        assert!(cluster.api().get("ServiceAccount", ns, "default").is_some());
    }
}

#[test]
fn qos_classes_follow_requests_and_limits() {
    let Some(dir) = manifests::dir() else { return };
    let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: qos-example\n".to_string();
    let (cluster, _) = apply_files(&[
        ("ns.yaml", namespace),
        (
            "pods__qos__qos-pod.yaml",
            manifests::read(&dir, "pods__qos__qos-pod.yaml"),
        ),
        (
            "pods__qos__qos-pod-2.yaml",
            manifests::read(&dir, "pods__qos__qos-pod-2.yaml"),
        ),
        (
            "pods__qos__qos-pod-3.yaml",
            manifests::read(&dir, "pods__qos__qos-pod-3.yaml"),
        ),
    ]);
    let qos = |name: &str| match cluster.api().get("Pod", "qos-example", name).as_deref() {
        Some(Object::Pod(p)) => p
            .status
            .as_ref()
            .and_then(|s| s.qos_class.clone())
            .unwrap_or_default(),
        _ => panic!("no pod {name}"),
    };
    assert_eq!(qos("qos-demo"), "Guaranteed");
    assert_eq!(qos("qos-demo-2"), "Burstable");
    assert_eq!(qos("qos-demo-3"), "BestEffort");
}

#[test]
fn a_limit_range_refuses_a_pod_over_its_maximum() {
    let Some(dir) = manifests::dir() else { return };
    let files = [
        "admin__resource__memory-constraints.yaml",
        "admin__resource__memory-constraints-pod.yaml",
        "admin__resource__memory-constraints-pod-2.yaml",
    ];
    let loaded: Vec<(&str, String)> = files
        .iter()
        .map(|f| (*f, manifests::read(&dir, f)))
        .collect();
    let (_, results) = apply_files(&loaded);
    assert_eq!(
        lines(&results),
        [
            "limitrange/mem-min-max-demo-lr created",
            "pod/constraints-mem-demo created",
            "Error from server (Forbidden): error when creating \"admin__resource__memory-constraints-pod-2.yaml\": pods \"constraints-mem-demo-2\" is forbidden: maximum memory usage per Container is 1Gi, but limit is 1536Mi",
        ]
    );
}

#[test]
fn a_resource_quota_refuses_what_would_exceed_it() {
    let Some(dir) = manifests::dir() else { return };
    let second = r#"apiVersion: v1
kind: Pod
metadata:
  name: quota-mem-cpu-demo-2
spec:
  containers:
  - name: quota-mem-cpu-demo-2-ctr
    image: redis
    resources:
      limits:
        memory: "1Gi"
        cpu: "800m"
      requests:
        memory: "700Mi"
        cpu: "400m"
"#;
    let (cluster, results) = apply_files(&[
        (
            "admin__resource__quota-mem-cpu.yaml",
            manifests::read(&dir, "admin__resource__quota-mem-cpu.yaml"),
        ),
        (
            "admin__resource__quota-mem-cpu-pod.yaml",
            manifests::read(&dir, "admin__resource__quota-mem-cpu-pod.yaml"),
        ),
        ("quota-mem-cpu-pod-2.yaml", second.to_string()),
    ]);
    assert_eq!(
        lines(&results),
        [
            "resourcequota/mem-cpu-demo created",
            "pod/quota-mem-cpu-demo created",
            "Error from server (Forbidden): error when creating \"quota-mem-cpu-pod-2.yaml\": pods \"quota-mem-cpu-demo-2\" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi",
        ]
    );
    let Some(Object::ResourceQuota(q)) = cluster
        .api()
        .get("ResourceQuota", "default", "mem-cpu-demo")
        .as_deref()
        .cloned()
    else {
        panic!("quota missing");
    };
    let used = q.status.and_then(|s| s.used).unwrap_or_default();
    assert_eq!(
        used.get("requests.memory").map(|q| q.0.as_str()),
        Some("600Mi")
    );
}

#[test]
fn a_selector_change_is_refused_as_immutable() {
    let Some(dir) = manifests::dir() else { return };
    let (_, results) = apply_files(&[
        (
            "application__deployment.yaml",
            manifests::read(&dir, "application__deployment.yaml"),
        ),
        (
            "application__deployment-scale.yaml",
            manifests::read(&dir, "application__deployment-scale.yaml"),
        ),
    ]);
    assert_eq!(
        lines(&results),
        [
            "deployment.apps/nginx-deployment created",
            "The Deployment \"nginx-deployment\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app.kubernetes.io/name\":\"nginx\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable",
        ]
    );
}

#[test]
fn applying_again_is_unchanged_and_a_new_image_is_configured() {
    let Some(dir) = manifests::dir() else { return };
    let (_, results) = apply_files(&[
        (
            "application__deployment.yaml",
            manifests::read(&dir, "application__deployment.yaml"),
        ),
        (
            "application__deployment.yaml",
            manifests::read(&dir, "application__deployment.yaml"),
        ),
        (
            "application__deployment-update.yaml",
            manifests::read(&dir, "application__deployment-update.yaml"),
        ),
    ]);
    assert_eq!(
        lines(&results),
        [
            "deployment.apps/nginx-deployment created",
            "deployment.apps/nginx-deployment unchanged",
            "deployment.apps/nginx-deployment configured",
        ]
    );
}
