//! The messages of the fact sheet's §b.3, byte for byte, and the shared manifests validating
//! clean after defaulting.

use super::*;
use crate::apiserver::defaults::set_defaults;
use crate::apiserver::errors::ApiError;
use serde_json::{json, Value};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Decodes, defaults and fills the namespace as the request would.
fn object(kind: &str, mut value: Value) -> Object {
    if !matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "PriorityClass"
            | "ClusterRole"
            | "ClusterRoleBinding"
    ) && value["metadata"].get("namespace").is_none()
    {
        value["metadata"]["namespace"] = json!("default");
    }
    let mut obj = Object::from_json(kind, value).unwrap();
    set_defaults(&mut obj).unwrap();
    if let Object::Job(job) = &mut obj {
        job.metadata.uid = Some("8f6d1c2e-0000-4000-8000-000000000001".into());
        workloads::generate_job_selector(job, "8f6d1c2e-0000-4000-8000-000000000001");
    }
    obj
}

fn pod(spec: Value) -> Object {
    object(
        "Pod",
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": spec}),
    )
}

fn messages(obj: &Object) -> Vec<String> {
    validate_create(obj)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn one(spec: Value) -> String {
    let m = messages(&pod(spec));
    assert_eq!(m.len(), 1, "expected one error, got {m:#?}");
    m[0].clone()
}

fn nginx() -> Value {
    json!({"name": "nginx", "image": "nginx"})
}

#[test]
fn a_pod_name_must_be_a_subdomain() {
    let obj = object(
        "Pod",
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "My_Pod"},
        "spec": {"containers": [nginx()]}}),
    );
    assert_eq!(messages(&obj), vec![
        "metadata.name: Invalid value: \"My_Pod\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ]);
    let long = "a".repeat(254);
    let obj = object(
        "Pod",
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": long},
        "spec": {"containers": [nginx()]}}),
    );
    assert_eq!(
        messages(&obj),
        vec![format!(
            "metadata.name: Invalid value: \"{long}\": must be no more than 253 characters"
        )]
    );
    let obj = object(
        "Pod",
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {},
        "spec": {"containers": [nginx()]}}),
    );
    assert_eq!(
        messages(&obj),
        vec!["metadata.name: Required value: name or generateName is required"]
    );
}

#[test]
fn container_names_are_dns_labels() {
    assert_eq!(
        one(json!({"containers": [{"name": "Nginx", "image": "nginx"}]})),
        "spec.containers[0].name: Invalid value: \"Nginx\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    );
    assert_eq!(
        one(json!({"containers": [{"name": "web.app", "image": "nginx"}]})),
        "spec.containers[0].name: Invalid value: \"web.app\": must not contain dots"
    );
    let long = "a".repeat(64);
    assert_eq!(
        one(json!({"containers": [{"name": long, "image": "nginx"}]})),
        format!("spec.containers[0].name: Invalid value: \"{long}\": must be no more than 63 characters")
    );
    assert_eq!(
        one(json!({"containers": [{"name": "", "image": "nginx"}]})),
        "spec.containers[0].name: Required value"
    );
}

#[test]
fn container_names_are_unique_across_init_and_regular_containers() {
    assert_eq!(
        one(json!({"containers": [nginx(), nginx()]})),
        "spec.containers[1].name: Duplicate value: \"nginx\""
    );
    assert_eq!(
        one(json!({"containers": [nginx()], "initContainers": [nginx()]})),
        "spec.initContainers[0].name: Duplicate value: \"nginx\""
    );
}

#[test]
fn a_pod_needs_containers_with_images() {
    assert_eq!(
        one(json!({"containers": []})),
        "spec.containers: Required value"
    );
    assert_eq!(
        one(json!({"containers": [{"name": "nginx"}]})),
        "spec.containers[0].image: Required value"
    );
}

#[test]
fn ports_are_checked_like_upstream() {
    let port =
        |p: Value| one(json!({"containers": [{"name": "nginx", "image": "nginx", "ports": p}]}));
    assert_eq!(
        port(json!([{"containerPort": 0}])),
        "spec.containers[0].ports[0].containerPort: Required value"
    );
    assert_eq!(
        port(json!([{"containerPort": 70000}])),
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"
    );
    assert_eq!(
        port(json!([{"containerPort": 80, "hostPort": 70000}])),
        "spec.containers[0].ports[0].hostPort: Invalid value: 70000: must be between 1 and 65535, inclusive"
    );
    assert_eq!(
        port(json!([{"name": "http", "containerPort": 80}, {"name": "http", "containerPort": 81}])),
        "spec.containers[0].ports[1].name: Duplicate value: \"http\""
    );
    assert_eq!(
        port(json!([{"containerPort": 80, "protocol": "tcp"}])),
        "spec.containers[0].ports[0].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\""
    );
}

#[test]
fn requests_above_limits_give_one_cause_per_resource() {
    let obj = pod(
        json!({"containers": [{"name": "nginx", "image": "nginx", "resources": {
        "requests": {"cpu": "300m", "memory": "400M"}, "limits": {"cpu": "50m", "memory": "50M"}}}]}),
    );
    let err = ApiError::invalid("Pod", "x", validate_create(&obj));
    assert_eq!(
        err.kubectl_message("creating", "pod.yaml"),
        "The Pod \"x\" is invalid: \n\
         * spec.containers[0].resources.requests: Invalid value: \"300m\": must be less than or equal to cpu limit of 50m\n\
         * spec.containers[0].resources.requests: Invalid value: \"400M\": must be less than or equal to memory limit of 50M"
    );
    assert_eq!(
        one(json!({"containers": [{"name": "nginx", "image": "nginx", "resources": {
            "requests": {"cpu": "1"}, "limits": {"cpu": "500m"}}}]})),
        "spec.containers[0].resources.requests: Invalid value: \"1\": must be less than or equal to cpu limit of 500m"
    );
}

#[test]
fn extended_resources_may_not_be_overcommitted() {
    // A Pod copies the limit into a missing request, so a template shows the missing limit.
    let obj = object(
        "ReplicaSet",
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "r"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
          "spec": {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"example.com/foo": "2"}}}]}}}}),
    );
    assert_eq!(messages(&obj), vec![
        "spec.template.spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources"
    ]);
    assert_eq!(
        one(json!({"containers": [{"name": "c", "image": "x", "resources": {
            "requests": {"example.com/foo": "1"}, "limits": {"example.com/foo": "2"}}}]})),
        "spec.containers[0].resources.requests: Invalid value: \"1\": must be equal to example.com/foo limit of 2"
    );
    // The Pod copies the negative limit into its request, so both are reported.
    assert_eq!(
        messages(&pod(json!({"containers": [{"name": "c", "image": "x", "resources": {"limits": {"memory": "-1"}}}]}))),
        vec![
            "spec.containers[0].resources.limits[memory]: Invalid value: \"-1\": must be greater than or equal to 0",
            "spec.containers[0].resources.requests[memory]: Invalid value: \"-1\": must be greater than or equal to 0",
        ]
    );
}

#[test]
fn policies_list_their_supported_values() {
    assert_eq!(
        one(json!({"restartPolicy": "Sometimes", "containers": [nginx()]})),
        "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""
    );
    assert_eq!(
        one(json!({"containers": [{"name": "nginx", "image": "nginx", "imagePullPolicy": "Sometimes"}]})),
        "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\""
    );
    assert_eq!(
        one(json!({"dnsPolicy": "Sometimes", "containers": [nginx()]})),
        "spec.dnsPolicy: Unsupported value: \"Sometimes\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\""
    );
}

#[test]
fn a_mount_of_an_unknown_volume_is_not_found() {
    assert_eq!(
        one(json!({"containers": [{"name": "c", "image": "x",
            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]})),
        "spec.containers[0].volumeMounts[0].name: Not found: \"data\""
    );
}

#[test]
fn probes_and_sidecars_follow_the_init_container_rules() {
    assert_eq!(
        one(json!({"containers": [{"name": "c", "image": "x", "livenessProbe": {}}]})),
        "spec.containers[0].livenessProbe: Required value: must specify a handler type"
    );
    assert_eq!(
        one(json!({"containers": [{"name": "c", "image": "x",
            "readinessProbe": {"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}}}]})),
        "spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"
    );
    assert!(messages(&pod(json!({"containers": [nginx()],
        "initContainers": [{"name": "log", "image": "busybox", "restartPolicy": "Always",
                            "readinessProbe": {"exec": {"command": ["true"]}}}]})))
    .is_empty());
    assert_eq!(
        one(json!({"containers": [{"name": "c", "image": "x", "restartPolicy": "Always"}]})),
        "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"
    );
    assert_eq!(
        one(json!({"containers": [nginx()], "initContainers": [{"name": "i", "image": "x", "restartPolicy": "Never"}]})),
        "spec.initContainers[0].restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""
    );
}

#[test]
fn tolerations_and_gates_are_checked() {
    assert_eq!(
        one(json!({"containers": [nginx()], "tolerations": [{"key": "", "operator": "Equal", "value": "v"}]})),
        "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\""
    );
    assert_eq!(
        one(json!({"containers": [nginx()], "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}]})),
        "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"
    );
    assert_eq!(
        one(json!({"containers": [nginx()], "tolerations": [
            {"key": "ok", "operator": "Exists"}, {"key": "a b", "operator": "Exists"}]})),
        "spec.tolerations[1].key: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    );
    assert_eq!(
        one(
            json!({"containers": [nginx()], "schedulingGates": [{"name": "a/b"}, {"name": "a/b"}]})
        ),
        "spec.schedulingGates[1]: Duplicate value: \"a/b\""
    );
}

fn deployment(selector: Value, labels: Value) -> Object {
    object(
        "Deployment",
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nginx-deployment"},
        "spec": {"selector": selector, "template": {"metadata": {"labels": labels},
          "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}}}}),
    )
}

#[test]
fn a_selector_must_match_the_template_labels() {
    let d = deployment(
        json!({"matchLabels": {"app": "nginx"}}),
        json!({"app": "web"}),
    );
    assert_eq!(messages(&d), vec![
        "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`"
    ]);
}

#[test]
fn workload_templates_must_restart_always() {
    let rs = object(
        "ReplicaSet",
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "f"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
          "spec": {"restartPolicy": "Never", "containers": [nginx()]}}}}),
    );
    assert_eq!(messages(&rs), vec![
        "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""
    ]);
    let job = object(
        "Job",
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
        "spec": {"template": {"spec": {"containers": [nginx()]}}}}),
    );
    assert_eq!(
        messages(&job),
        vec![
        "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""
    ]
    );
}

#[test]
fn a_rolling_update_may_not_have_both_bounds_zero() {
    let mut d = deployment(
        json!({"matchLabels": {"app": "nginx"}}),
        json!({"app": "nginx"}),
    );
    if let Object::Deployment(dep) = &mut d {
        let ru = dep
            .spec
            .as_mut()
            .unwrap()
            .strategy
            .as_mut()
            .unwrap()
            .rolling_update
            .as_mut()
            .unwrap();
        ru.max_surge = Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(0));
        ru.max_unavailable =
            Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("0%".into()));
    }
    assert_eq!(messages(&d), vec![
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"0%\"}: may not be 0 when `maxSurge` is 0"
    ]);
}

#[test]
fn a_deployment_selector_is_immutable() {
    let old = deployment(
        json!({"matchLabels": {"app": "nginx"}}),
        json!({"app": "nginx"}),
    );
    let new = deployment(
        json!({"matchLabels": {"app.kubernetes.io/name": "nginx"}}),
        json!({"app.kubernetes.io/name": "nginx"}),
    );
    let err = ApiError::invalid(
        "Deployment.apps",
        "nginx-deployment",
        validate_update(&new, &old),
    );
    assert_eq!(
        err.kubectl_message("applying", "deployment-scale.yaml"),
        "The Deployment \"nginx-deployment\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app.kubernetes.io/name\":\"nginx\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
    );
    assert!(err
        .message
        .starts_with("Deployment.apps \"nginx-deployment\" is invalid: spec.selector: "));
}

#[test]
fn a_pod_update_may_only_change_images() {
    let old = pod(
        json!({"containers": [{"name": "nginx", "image": "nginx", "ports": [{"containerPort": 80}]}]}),
    );
    // An image-only change, as `kubectl set image` patches the live object.
    let mut new_image = old.clone();
    if let Object::Pod(p) = &mut new_image {
        p.spec.as_mut().unwrap().containers[0].image = Some("nginx:1.16.1".into());
    }
    assert!(validate_update(&new_image, &old).is_empty());
    let new_port = pod(
        json!({"containers": [{"name": "nginx", "image": "nginx", "ports": [{"containerPort": 8080}]}]}),
    );
    let errs = validate_update(&new_port, &old);
    assert_eq!(errs.len(), 1);
    let text = errs[0].to_string();
    assert!(text.starts_with(
        "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n  core.PodSpec{\n"
    ), "{text}");
    assert!(text.contains("- \tContainers: "), "{text}");
    let renamed = pod(json!({"containers": [nginx(), {"name": "b", "image": "x"}]}));
    assert_eq!(
        validate_update(&renamed, &old)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec!["spec.containers: Forbidden: pod updates may not add or remove containers"]
    );
}

#[test]
fn a_name_may_not_change_on_update() {
    let old = pod(json!({"containers": [nginx()]}));
    let mut new = old.clone();
    new.meta_mut().name = Some("y".into());
    assert_eq!(
        validate_update(&new, &old)[0].to_string(),
        "metadata.name: Invalid value: \"y\": field is immutable"
    );
}

#[test]
fn namespaces_services_and_roles_use_their_own_rules() {
    let ns = object(
        "Namespace",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev.team"}}),
    );
    assert_eq!(
        messages(&ns),
        vec!["metadata.name: Invalid value: \"dev.team\": must not contain dots"]
    );
    let svc = object(
        "Service",
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1svc"},
        "spec": {"ports": [{"port": 80}]}}),
    );
    assert_eq!(messages(&svc), vec![
        "metadata.name: Invalid value: \"1svc\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    ]);
    let role = object(
        "Role",
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"},
        "rules": [{"verbs": [], "resources": ["pods"]}]}),
    );
    assert_eq!(
        messages(&role),
        vec![
            "rules[0].verbs: Required value: verbs must contain at least one value",
            "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
        ]
    );
    let pc = object(
        "PriorityClass",
        json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": {"name": "huge"}, "value": 2000000000}),
    );
    assert_eq!(
        messages(&pc),
        vec!["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"]
    );
    let cm = object(
        "ConfigMap",
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
        "data": {"bad key": "v"}}),
    );
    assert_eq!(messages(&cm), vec![
        "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
    ]);
}

/// Quantities written as YAML numbers (`cpu: 1`) reach the API server as JSON numbers, which
/// Go's Quantity accepts; `k8s-openapi` wants strings. (Used by the native-only manifest tests.)
#[cfg(not(target_arch = "wasm32"))]
fn stringify_quantities(v: &mut Value, in_list: bool) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                let list = matches!(
                    k.as_str(),
                    "limits"
                        | "requests"
                        | "default"
                        | "defaultRequest"
                        | "max"
                        | "min"
                        | "hard"
                        | "capacity"
                );
                if in_list {
                    if let Value::Number(n) = child {
                        *child = Value::String(n.to_string());
                        continue;
                    }
                }
                stringify_quantities(child, list);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| stringify_quantities(c, false)),
        _ => {}
    }
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_shared_manifests_validate_clean_after_defaulting() {
    // The manifests as JSON (converted from shared/manifests/*.yaml; core has no YAML decoder yet).
    let fixtures: Vec<Value> =
        serde_json::from_str(include_str!("testdata/manifests.json")).unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/manifests");
    let mut seen = 0;
    for f in &fixtures {
        let file = f["file"].as_str().unwrap();
        if std::path::Path::new(dir).exists() {
            assert!(
                std::path::Path::new(dir).join(file).exists(),
                "{file} is still in shared/manifests"
            );
        }
        let mut value = f["object"].clone();
        stringify_quantities(&mut value, false);
        let kind = value["kind"].as_str().unwrap().to_string();
        let obj = object(&kind, value);
        let errs: Vec<String> = validate_create(&obj)
            .iter()
            .map(ToString::to_string)
            .collect();
        if file == "pods__probe__grpc-liveness.yaml" {
            // The file spells the handler `gRPC:`. Decoding is case-sensitive, so strict
            // decoding rejects it as an unknown field; leniently decoded, the probe has no handler.
            assert_eq!(
                errs,
                vec![
                    "spec.containers[0].livenessProbe: Required value: must specify a handler type"
                ]
            );
            seen += 1;
            continue;
        }
        assert!(errs.is_empty(), "{file}: {errs:#?}");
        seen += 1;
    }
    assert_eq!(seen, 51);
    // INDEX.tsv: deployment-scale.yaml applied over deployment.yaml's object changes the selector.
    let by_file = |name: &str| {
        let mut v = fixtures.iter().find(|f| f["file"] == name).unwrap()["object"].clone();
        stringify_quantities(&mut v, false);
        object("Deployment", v)
    };
    let errs = validate_update(
        &by_file("application__deployment-scale.yaml"),
        &by_file("application__deployment.yaml"),
    );
    assert_eq!(
        errs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app.kubernetes.io/name\":\"nginx\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"]
    );
}

#[test]
fn a_field_path_is_built_only_for_a_field_with_errors() {
    use std::cell::Cell;
    let built = Cell::new(0);
    let path = || {
        built.set(built.get() + 1);
        "spec.containers[0]".to_string()
    };
    assert!(under(path, |_| Vec::new()).is_empty());
    assert_eq!(built.get(), 0);
    let errs = under(path, |at| {
        vec![FieldError::required(format!("{at}.image"), "")]
    });
    assert_eq!(built.get(), 1);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].field, "spec.containers[0].image");
    // Through a real validator: a bad port reports its full path.
    let pod = object(
        "Pod",
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
               "spec": {"containers": [{"name": "c", "image": "nginx",
                        "ports": [{"containerPort": 70000}]}]}}),
    );
    let errs = validate_create(&pod);
    assert_eq!(
        errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
        ["spec.containers[0].ports[0].containerPort"]
    );
}
