//! Cluster-level behaviour that needs no example files: the defaulted `kubectl run nginx` pod,
//! RBAC and authentication errors, kubectl's client-side errors, determinism.

use podflow_core::object::Object;
use podflow_core::Cluster;
use serde_json::json;

const NGINX: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\n  labels:\n    run: nginx\nspec:\n  containers:\n  - name: nginx\n    image: nginx\n";

fn load(files: &[(&str, &str)]) -> (Cluster, Vec<String>) {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let (cluster, results) = Cluster::load(&files);
    (cluster, results.into_iter().map(|r| r.message).collect())
}

#[test]
fn the_kubectl_run_nginx_pod_is_stored_exactly_as_a_real_cluster_stores_it() {
    let (cluster, lines) = load(&[("pod.yaml", NGINX)]);
    assert_eq!(lines, ["pod/nginx created"]);
    let pod = cluster
        .api()
        .get("Pod", "default", "nginx")
        .expect("stored");
    let mut v = pod.to_json();
    // Random parts: the uid and the kube-api-access volume's suffix.
    let volume = v["spec"]["volumes"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        volume.starts_with("kube-api-access-") && volume.len() == "kube-api-access-".len() + 5,
        "{volume}"
    );
    assert!(volume["kube-api-access-".len()..]
        .bytes()
        .all(|b| b"bcdfghjklmnpqrstvwxz2456789".contains(&b)));
    v["metadata"]["uid"] = json!("<uid>");
    v["metadata"]["annotations"] = json!("<last-applied>");
    let v = serde_json::to_string(&v)
        .unwrap()
        .replace(&volume, "kube-api-access-xxxxx");
    let v: serde_json::Value = serde_json::from_str(&v).unwrap();
    assert_eq!(
        v,
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "annotations": "<last-applied>",
                "creationTimestamp": "2025-04-23T00:00:00Z",
                "generation": 1,
                "labels": {"run": "nginx"},
                "name": "nginx",
                "namespace": "default",
                "resourceVersion": v["metadata"]["resourceVersion"].clone(),
                "uid": "<uid>"
            },
            "spec": {
                "containers": [{
                    "image": "nginx",
                    "imagePullPolicy": "Always",
                    "name": "nginx",
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "volumeMounts": [{
                        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                        "name": "kube-api-access-xxxxx",
                        "readOnly": true
                    }]
                }],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "preemptionPolicy": "PreemptLowerPriority",
                "priority": 0,
                "restartPolicy": "Always",
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "serviceAccount": "default",
                "serviceAccountName": "default",
                "terminationGracePeriodSeconds": 30,
                "tolerations": [
                    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
                    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}
                ],
                "volumes": [{
                    "name": "kube-api-access-xxxxx",
                    "projected": {
                        "defaultMode": 420,
                        "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                            {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                            {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}
                        ]
                    }
                }]
            },
            "status": {"phase": "Pending", "qosClass": "BestEffort"}
        })
    );
    let annotation = pod.meta().annotations.as_ref().unwrap()
        ["kubectl.kubernetes.io/last-applied-configuration"]
        .clone();
    assert_eq!(
        annotation,
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{},\"labels\":{\"run\":\"nginx\"},\"name\":\"nginx\",\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"image\":\"nginx\",\"name\":\"nginx\"}]}}\n"
    );
}

const JANE: &str = "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  users:\n  - name: jane\n    token: jane-token\n  as: jane\n";

#[test]
fn a_user_without_a_role_is_forbidden_with_rbacs_words() {
    let (_, lines) = load(&[("scenario.yaml", JANE), ("pod.yaml", NGINX)]);
    assert_eq!(
        lines,
        ["Error from server (Forbidden): error when creating \"pod.yaml\": pods is forbidden: User \"jane\" cannot create resource \"pods\" in API group \"\" in the namespace \"default\""]
    );
}

#[test]
fn a_role_binding_lets_the_user_create_pods() {
    let rbac = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: pod-creator\n  namespace: default\nrules:\n- apiGroups: [\"\"]\n  resources: [\"pods\"]\n  verbs: [\"get\", \"create\", \"patch\"]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: jane-creates-pods\n  namespace: default\nsubjects:\n- kind: User\n  name: jane\n  apiGroup: rbac.authorization.k8s.io\nroleRef:\n  kind: Role\n  name: pod-creator\n  apiGroup: rbac.authorization.k8s.io\n";
    let (mut cluster, lines) = load(&[("scenario.yaml", JANE), ("rbac.yaml", rbac)]);
    // The scenario applies as jane, who may not create roles: the admin must do it.
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("Error from server (Forbidden): error when creating \"rbac.yaml\": roles.rbac.authorization.k8s.io is forbidden: User \"jane\" cannot create resource \"roles\" in API group \"rbac.authorization.k8s.io\" in the namespace \"default\""), "{}", lines[0]);
    let admin = podflow_core::apiserver::UserInfo::admin();
    let created: Vec<String> = cluster
        .apply_as(rbac, "rbac.yaml", &admin)
        .into_iter()
        .map(|r| r.message)
        .collect();
    assert_eq!(
        created,
        [
            "role.rbac.authorization.k8s.io/pod-creator created",
            "rolebinding.rbac.authorization.k8s.io/jane-creates-pods created"
        ]
    );
    let results: Vec<String> = cluster
        .apply(NGINX, "pod.yaml")
        .into_iter()
        .map(|r| r.message)
        .collect();
    assert_eq!(results, ["pod/nginx created"]);
}

#[test]
fn an_unknown_user_is_unauthorized() {
    let scenario = "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  as: mallory\n";
    let (_, lines) = load(&[("scenario.yaml", scenario), ("pod.yaml", NGINX)]);
    assert_eq!(
        lines,
        ["error: You must be logged in to the server (Unauthorized)"]
    );
}

#[test]
fn client_side_errors_are_kubectls() {
    let (_, lines) = load(&[(
        "bad.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n spec: {}\n",
    )]);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with(
            "error: error parsing bad.yaml: error converting YAML to JSON: yaml: line "
        ),
        "{}",
        lines[0]
    );
    let (_, lines) = load(&[(
        "crd.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n",
    )]);
    assert_eq!(
        lines,
        ["error: resource mapping not found for name: \"w\" namespace: \"\" from \"crd.yaml\": no matches for kind \"Widget\" in version \"example.com/v1\"\nensure CRDs are installed first"]
    );
}

#[test]
fn an_invalid_pod_gets_every_cause_on_its_own_line() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: podtest3\nspec:\n  containers:\n  - name: c\n    image: nginx\n    resources:\n      limits: {cpu: 50m, memory: 50M}\n      requests: {cpu: 300m, memory: 400M}\n";
    let (_, lines) = load(&[("pod.yaml", pod)]);
    assert_eq!(
        lines,
        ["The Pod \"podtest3\" is invalid: \n* spec.containers[0].resources.requests: Invalid value: \"300m\": must be less than or equal to cpu limit of 50m\n* spec.containers[0].resources.requests: Invalid value: \"400M\": must be less than or equal to memory limit of 50M"]
    );
}

#[test]
fn deleting_an_unscheduled_pod_removes_it_at_once() {
    let (mut cluster, _) = load(&[("pod.yaml", NGINX)]);
    assert_eq!(
        cluster.delete("pod", "default", "nginx").message,
        "pod \"nginx\" deleted"
    );
    assert!(cluster.api().get("Pod", "default", "nginx").is_none());
    assert_eq!(
        cluster.delete("pod", "default", "nginx").message,
        "Error from server (NotFound): pods \"nginx\" not found"
    );
    assert_eq!(
        cluster.delete("namespace", "", "default").message,
        "Error from server (Forbidden): namespaces \"default\" is forbidden: this namespace may not be deleted"
    );
}

#[test]
fn every_store_write_is_a_new_revision_with_its_key() {
    let (cluster, _) = load(&[("pod.yaml", NGINX)]);
    let store = &cluster.api().store;
    let entry = store
        .entry("/registry/pods/default/nginx")
        .expect("pod key");
    assert_eq!(entry.version, 1);
    assert_eq!(entry.create_revision, entry.mod_revision);
    assert_eq!(entry.mod_revision, store.revision());
    assert!(store.get("/registry/minions/node-1").is_some());
    assert!(store
        .get("/registry/serviceaccounts/default/default")
        .is_some());
    assert!(store
        .get("/registry/configmaps/default/kube-root-ca.crt")
        .is_some());
}

fn fingerprint(seed: u64) -> String {
    let scenario = format!("apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  seed: {seed}\n  actions:\n  - {{at: 10s, cordon: node-2}}\n  - at: 20s\n    apply: |\n      apiVersion: v1\n      kind: Pod\n      metadata: {{generateName: web-}}\n      spec:\n        containers: [{{name: web, image: nginx}}]\n");
    let (mut cluster, lines) = load(&[("scenario.yaml", &scenario), ("pod.yaml", NGINX)]);
    cluster.run_for(podflow_core::sim::SimDuration::mins(1));
    let objects: Vec<serde_json::Value> =
        cluster.objects(&[]).iter().map(|o| o.to_json()).collect();
    let trace: Vec<String> = cluster
        .trace()
        .steps()
        .map(|s| {
            format!(
                "{} {} {} {} {}",
                s.time,
                s.component,
                s.stage.as_str(),
                s.object,
                s.detail
            )
        })
        .collect();
    format!(
        "{lines:?}\n{}\n{}",
        trace.join("\n"),
        serde_json::to_string(&objects).unwrap()
    )
}

#[test]
fn the_same_seed_replays_byte_for_byte_and_another_seed_does_not() {
    let a = fingerprint(42);
    assert_eq!(a, fingerprint(42));
    assert_ne!(a, fingerprint(43));
    assert!(a.contains("node/node-2 cordoned") || a.contains("\"unschedulable\":true"));
    assert!(a.contains("generated name web-"));
}

#[test]
fn the_pipeline_stages_are_traced_in_order() {
    let (cluster, _) = load(&[("pod.yaml", NGINX)]);
    let stages: Vec<&str> = cluster
        .trace()
        .steps()
        .filter(|s| &*s.object == "Pod/default/nginx" || &*s.object == "pod/nginx")
        .map(|s| s.stage.as_str())
        .collect();
    let mut dedup = stages.clone();
    dedup.dedup();
    assert_eq!(
        dedup,
        [
            "kubectl",
            "authentication",
            "authorization",
            "defaulting",
            "mutating-admission",
            "prepare",
            "validation",
            "validating-admission",
            "etcd"
        ]
    );
    let Some(Object::Pod(_)) = cluster.api().get("Pod", "default", "nginx").as_deref() else {
        panic!()
    };
}

#[test]
fn a_repeated_event_is_one_event_object_whose_count_grows() {
    use podflow_core::events::{object_reference, EventRecorder, EventType};
    let (mut cluster, _) = load(&[("pod.yaml", NGINX)]);
    let pod = cluster.api().get("Pod", "default", "nginx").unwrap();
    let kubelet = podflow_core::apiserver::authn::node("node-1");
    let mut recorder = EventRecorder::new("kubelet", "node-1");
    let (_, cursor) = cluster.events_since(0);
    let first = recorder
        .record(
            cluster.now(),
            object_reference(&pod),
            EventType::Normal,
            "Pulling",
            "Pulling image \"nginx\"",
        )
        .unwrap();
    let stored = cluster
        .write_event(first, &kubelet, "kubelet/node-1")
        .expect("event created");
    cluster.run_for(podflow_core::sim::SimDuration::secs(5));
    let again = recorder
        .record(
            cluster.now(),
            object_reference(&pod),
            EventType::Normal,
            "Pulling",
            "Pulling image \"nginx\"",
        )
        .unwrap();
    let updated = cluster
        .write_event(again, &kubelet, "kubelet/node-1")
        .expect("event updated");
    assert_eq!(stored.meta().name, updated.meta().name);
    assert!(stored.meta().name.as_deref().unwrap().starts_with("nginx."));
    let Object::Event(e) = &*updated else {
        panic!()
    };
    assert_eq!(e.count, Some(2));
    assert_eq!(
        e.source.as_ref().and_then(|s| s.component.as_deref()),
        Some("kubelet")
    );
    assert_eq!(e.involved_object.kind.as_deref(), Some("Pod"));
    assert_eq!(
        e.first_timestamp
            .as_ref()
            .map(|t| t.0.to_string())
            .as_deref(),
        Some("2025-04-23T00:00:00Z")
    );
    assert_eq!(
        e.last_timestamp
            .as_ref()
            .map(|t| t.0.to_string())
            .as_deref(),
        Some("2025-04-23T00:00:05Z")
    );
    // The hand-recorded events (on the pod, no fieldPath), not the node's real kubelet's.
    let is_pulling = |e: &std::sync::Arc<Object>| matches!(&**e, Object::Event(ev) if ev.reason.as_deref() == Some("Pulling") && ev.involved_object.field_path.is_none());
    let (written, _) = cluster.events_since(cursor);
    let written: Vec<_> = written.into_iter().filter(is_pulling).collect();
    assert_eq!(written.len(), 2, "a create and an update");
    let key = format!(
        "/registry/events/default/{}",
        stored.meta().name.as_deref().unwrap()
    );
    assert!(cluster.api().store.get(&key).is_some());
    let pulling: Vec<_> = cluster
        .objects(&["Event"])
        .into_iter()
        .filter(is_pulling)
        .collect();
    let table = podflow_core::kubectl::get::events(&pulling, cluster.now()).unwrap();
    assert_eq!(
        table,
        "NAMESPACE   LAST SEEN   TYPE     REASON    OBJECT      MESSAGE\ndefault     0s          Normal   Pulling   pod/nginx   Pulling image \"nginx\"\n"
    );
}

#[test]
fn timed_actions_scale_and_cordon_at_their_moments() {
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: [{name: web, image: nginx}]\n";
    let scenario = "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  actions:\n  - {at: 30s, scale: deployment/web, replicas: 5}\n  - {at: 1m, cordon: node-1}\n";
    let (mut cluster, lines) = load(&[("scenario.yaml", scenario), ("web.yaml", deploy)]);
    assert_eq!(lines, ["deployment.apps/web created"]);
    let results: Vec<(podflow_core::sim::SimTime, String)> = cluster
        .run_for(podflow_core::sim::SimDuration::mins(2))
        .into_iter()
        .flat_map(|step| {
            step.results
                .into_iter()
                .map(move |r| (step.time, r.message))
        })
        .collect();
    assert_eq!(
        results,
        [
            (
                podflow_core::sim::SimTime(30_000),
                "deployment.apps/web scaled".to_string()
            ),
            (
                podflow_core::sim::SimTime(60_000),
                "node/node-1 cordoned".to_string()
            ),
        ]
    );
    assert_eq!(
        cluster.snapshot().nodes[0].status,
        "Ready,SchedulingDisabled"
    );
    let Some(Object::Deployment(d)) = cluster
        .api()
        .get("Deployment", "default", "web")
        .as_deref()
        .cloned()
    else {
        panic!()
    };
    assert_eq!(d.spec.unwrap().replicas, Some(5));
    assert_eq!(d.metadata.generation, Some(2));
}
