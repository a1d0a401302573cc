//! Defaulting checked against what a v1.33 API server stores.

use super::*;
use serde_json::json;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn defaulted(kind: &str, value: serde_json::Value) -> serde_json::Value {
    let mut obj = Object::from_json(kind, value).unwrap();
    set_defaults(&mut obj).unwrap();
    obj.to_json()
}

#[test]
fn kubectl_run_nginx_gets_every_scheme_default() {
    let pod = defaulted(
        "Pod",
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "nginx", "labels": {"run": "nginx"}},
               "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}),
    );
    assert_eq!(
        pod["spec"],
        json!({
            "containers": [{
                "image": "nginx",
                "imagePullPolicy": "Always",
                "name": "nginx",
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File"
            }],
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": true,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "terminationGracePeriodSeconds": 30
        })
    );
}

#[test]
fn a_pod_copies_limits_into_missing_requests_and_rounds_quantities() {
    let pod = defaulted(
        "Pod",
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q"},
               "spec": {"containers": [{"name": "c", "image": "nginx:1.14.2",
                 "ports": [{"containerPort": 80}],
                 "resources": {"limits": {"cpu": "0.5", "memory": "1.5Gi"},
                               "requests": {"cpu": "0.1m"}}}]}}),
    );
    let c = &pod["spec"]["containers"][0];
    assert_eq!(c["imagePullPolicy"], "IfNotPresent");
    assert_eq!(c["ports"][0]["protocol"], "TCP");
    assert_eq!(
        c["resources"]["limits"],
        json!({"cpu": "500m", "memory": "1536Mi"})
    );
    assert_eq!(
        c["resources"]["requests"],
        json!({"cpu": "1m", "memory": "1536Mi"})
    );
}

#[test]
fn a_malformed_quantity_is_a_decode_error() {
    let mut obj = Object::from_json(
        "Pod",
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q"},
               "spec": {"containers": [{"name": "c", "image": "nginx",
                 "resources": {"limits": {"cpu": "lots"}}}]}}),
    )
    .unwrap();
    let err = set_defaults(&mut obj).unwrap_err();
    assert_eq!(err.reason, Reason::BadRequest);
    assert_eq!(
        err.message,
        "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    );
}

#[test]
fn host_network_pods_get_host_ports() {
    let pod = defaulted(
        "Pod",
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "h"},
               "spec": {"hostNetwork": true,
                        "containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 8080}]}]}}),
    );
    assert_eq!(pod["spec"]["containers"][0]["ports"][0]["hostPort"], 8080);
}

#[test]
fn probes_volumes_and_field_refs_get_their_defaults() {
    let pod = defaulted(
        "Pod",
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
               "spec": {
                 "volumes": [{"name": "scratch"}, {"name": "cfg", "configMap": {"name": "c"}},
                             {"name": "logs", "hostPath": {"path": "/var/log"}},
                             {"name": "tok", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}}],
                 "initContainers": [{"name": "init", "image": "busybox:1.28"}],
                 "containers": [{"name": "c", "image": "x",
                    "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                    "livenessProbe": {"httpGet": {"port": 8080}},
                    "readinessProbe": {"grpc": {"port": 2379}}}]}}),
    );
    let spec = &pod["spec"];
    assert_eq!(
        spec["volumes"][0],
        json!({"name": "scratch", "emptyDir": {}})
    );
    assert_eq!(spec["volumes"][1]["configMap"]["defaultMode"], 420);
    assert_eq!(
        spec["volumes"][2]["hostPath"],
        json!({"path": "/var/log", "type": ""})
    );
    assert_eq!(spec["volumes"][3]["projected"]["defaultMode"], 420);
    assert_eq!(
        spec["volumes"][3]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"],
        3600
    );
    assert_eq!(spec["initContainers"][0]["imagePullPolicy"], "IfNotPresent");
    let c = &spec["containers"][0];
    assert_eq!(c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
    assert_eq!(
        c["livenessProbe"],
        json!({"httpGet": {"path": "/", "port": 8080, "scheme": "HTTP"},
               "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
    );
    assert_eq!(
        c["readinessProbe"]["grpc"],
        json!({"port": 2379, "service": ""})
    );
}

#[test]
fn a_deployment_and_its_template_get_defaults_but_not_pod_only_ones() {
    let d = defaulted(
        "Deployment",
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2",
                             "resources": {"limits": {"cpu": "1"}}}]}}}}),
    );
    let spec = &d["spec"];
    assert_eq!(spec["replicas"], 1);
    assert_eq!(
        spec["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    );
    assert_eq!(spec["revisionHistoryLimit"], 10);
    assert_eq!(spec["progressDeadlineSeconds"], 600);
    let t = &spec["template"]["spec"];
    assert_eq!(t["dnsPolicy"], "ClusterFirst");
    assert_eq!(t["restartPolicy"], "Always");
    assert_eq!(t["schedulerName"], "default-scheduler");
    assert_eq!(t["securityContext"], json!({}));
    assert_eq!(t["terminationGracePeriodSeconds"], 30);
    assert!(t.get("enableServiceLinks").is_none());
    assert!(t["containers"][0]["resources"].get("requests").is_none());
}

#[test]
fn workloads_get_their_controller_defaults() {
    let rs = defaulted(
        "ReplicaSet",
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "f"},
               "spec": {"selector": {}, "template": {}}}),
    );
    assert_eq!(rs["spec"]["replicas"], 1);
    let ds = defaulted(
        "DaemonSet",
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "f"},
               "spec": {"selector": {}, "template": {}}}),
    );
    assert_eq!(
        ds["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}})
    );
    assert_eq!(ds["spec"]["revisionHistoryLimit"], 10);
    let job = defaulted(
        "Job",
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
               "spec": {"template": {"metadata": {"labels": {"app": "pi"}},
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}}}}),
    );
    let s = &job["spec"];
    assert_eq!(
        (
            s["completions"].clone(),
            s["parallelism"].clone(),
            s["backoffLimit"].clone()
        ),
        (json!(1), json!(1), json!(6))
    );
    assert_eq!(s["completionMode"], "NonIndexed");
    assert_eq!(s["suspend"], false);
    assert_eq!(s["manualSelector"], false);
    assert_eq!(s["podReplacementPolicy"], "TerminatingOrFailed");
    assert_eq!(job["metadata"]["labels"], json!({"app": "pi"}));
}

#[test]
fn services_namespaces_and_others_get_their_defaults() {
    let svc = defaulted(
        "Service",
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
               "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}),
    );
    assert_eq!(
        svc["spec"],
        json!({"type": "LoadBalancer", "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
               "sessionAffinity": "None", "externalTrafficPolicy": "Cluster",
               "internalTrafficPolicy": "Cluster", "allocateLoadBalancerNodePorts": true})
    );
    let ns = defaulted(
        "Namespace",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}}),
    );
    assert_eq!(
        ns["metadata"]["labels"],
        json!({"kubernetes.io/metadata.name": "dev"})
    );
    assert_eq!(ns["status"], json!({"phase": "Active"}));
    let secret = defaulted(
        "Secret",
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}),
    );
    assert_eq!(secret["type"], "Opaque");
    let pvc = defaulted(
        "PersistentVolumeClaim",
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"},
               "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "3Gi"}}}}),
    );
    assert_eq!(pvc["spec"]["volumeMode"], "Filesystem");
    let lr = defaulted(
        "LimitRange",
        json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "l"},
               "spec": {"limits": [{"type": "Container", "max": {"memory": "1Gi"}, "min": {"memory": "500Mi"}}]}}),
    );
    assert_eq!(
        lr["spec"]["limits"][0],
        json!({"type": "Container", "max": {"memory": "1Gi"}, "min": {"memory": "500Mi"},
               "default": {"memory": "1Gi"}, "defaultRequest": {"memory": "1Gi"}})
    );
    let lr = defaulted(
        "LimitRange",
        json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "l"},
               "spec": {"limits": [{"type": "Container", "default": {"cpu": "1"}, "defaultRequest": {"cpu": "0.5"}}]}}),
    );
    assert_eq!(
        lr["spec"]["limits"][0]["defaultRequest"],
        json!({"cpu": "500m"})
    );
}
