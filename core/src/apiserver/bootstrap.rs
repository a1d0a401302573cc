//! The objects a fresh kubeadm v1.33 cluster already has (`plugin/pkg/auth/authorizer/rbac/
//! bootstrappolicy`): the user-facing ClusterRoles `cluster-admin`, `admin`, `edit`, `view`, the
//! roles of the components the simulation runs (scheduler, controller manager, controllers),
//! their bindings, and the two system PriorityClasses. Rules are abridged to what the
//! simulation's resources need; names, labels and bindings are upstream's.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{
    AggregationRule, ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::admission::priority::system_priority_classes;
use crate::object::Object;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    PolicyRule {
        api_groups: Some(v(groups)),
        resources: Some(v(resources)),
        verbs: v(verbs),
        ..Default::default()
    }
}

fn events() -> PolicyRule {
    rule(
        &["", "events.k8s.io"],
        &["events"],
        &["create", "patch", "update"],
    )
}

fn meta(name: &str, extra_labels: &[(&str, &str)]) -> ObjectMeta {
    let mut labels: BTreeMap<String, String> = [(
        "kubernetes.io/bootstrapping".to_string(),
        "rbac-defaults".to_string(),
    )]
    .into();
    labels.extend(
        extra_labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    ObjectMeta {
        name: Some(name.to_string()),
        labels: Some(labels),
        annotations: Some(
            [(
                "rbac.authorization.kubernetes.io/autoupdate".to_string(),
                "true".to_string(),
            )]
            .into(),
        ),
        ..Default::default()
    }
}

fn role(name: &str, labels: &[(&str, &str)], rules: Vec<PolicyRule>) -> ClusterRole {
    ClusterRole {
        metadata: meta(name, labels),
        rules: Some(rules),
        aggregation_rule: None,
    }
}

fn aggregated(name: &str, labels: &[(&str, &str)], rules: Vec<PolicyRule>) -> ClusterRole {
    let mut r = role(name, labels, rules);
    r.aggregation_rule = Some(AggregationRule {
        cluster_role_selectors: Some(vec![LabelSelector {
            match_labels: Some(
                [(
                    format!("rbac.authorization.k8s.io/aggregate-to-{name}"),
                    "true".to_string(),
                )]
                .into(),
            ),
            ..Default::default()
        }]),
    });
    r
}

fn binding(
    name: &str,
    role: &str,
    kind: &str,
    subject: &str,
    namespace: Option<&str>,
) -> ClusterRoleBinding {
    ClusterRoleBinding {
        metadata: meta(name, &[]),
        role_ref: RoleRef {
            api_group: RBAC_GROUP.into(),
            kind: "ClusterRole".into(),
            name: role.into(),
        },
        subjects: Some(vec![Subject {
            api_group: (kind != "ServiceAccount").then(|| RBAC_GROUP.to_string()),
            kind: kind.into(),
            name: subject.into(),
            namespace: namespace.map(str::to_string),
        }]),
    }
}

const CORE_READ: &[&str] = &[
    "pods",
    "pods/log",
    "pods/status",
    "configmaps",
    "endpoints",
    "persistentvolumeclaims",
    "persistentvolumeclaims/status",
    "replicationcontrollers",
    "services",
    "services/status",
    "serviceaccounts",
    "resourcequotas",
    "resourcequotas/status",
    "limitranges",
    "namespaces",
    "namespaces/status",
    "events",
    "bindings",
];
const APPS: &[&str] = &[
    "deployments",
    "deployments/scale",
    "deployments/status",
    "replicasets",
    "replicasets/scale",
    "replicasets/status",
    "daemonsets",
    "daemonsets/status",
    "statefulsets",
    "statefulsets/scale",
    "statefulsets/status",
    "controllerrevisions",
];
const BATCH: &[&str] = &["jobs", "jobs/status", "cronjobs", "cronjobs/status"];
const CORE_EDIT: &[&str] = &[
    "pods",
    "pods/attach",
    "pods/exec",
    "pods/portforward",
    "pods/proxy",
    "pods/eviction",
    "configmaps",
    "secrets",
    "services",
    "serviceaccounts",
    "persistentvolumeclaims",
    "replicationcontrollers",
    "endpoints",
];

fn view_rules() -> Vec<PolicyRule> {
    vec![
        rule(&[""], CORE_READ, READ),
        rule(&["apps"], APPS, READ),
        rule(&["batch"], BATCH, READ),
        rule(&["discovery.k8s.io"], &["endpointslices"], READ),
        rule(
            &["policy"],
            &["poddisruptionbudgets", "poddisruptionbudgets/status"],
            READ,
        ),
    ]
}

fn edit_rules() -> Vec<PolicyRule> {
    let mut rules = view_rules();
    rules.push(rule(&[""], &["secrets"], READ));
    rules.push(rule(&[""], CORE_EDIT, WRITE));
    rules.push(rule(&["apps"], APPS, WRITE));
    rules.push(rule(&["batch"], BATCH, WRITE));
    rules.push(rule(&["policy"], &["poddisruptionbudgets"], WRITE));
    rules
}

fn admin_rules() -> Vec<PolicyRule> {
    let mut rules = edit_rules();
    rules.push(rule(
        &[RBAC_GROUP],
        &["roles", "rolebindings"],
        &[
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ],
    ));
    rules.push(rule(
        &["authorization.k8s.io"],
        &["localsubjectaccessreviews"],
        &["create"],
    ));
    rules
}

/// `(controller service account, rules)` for the controllers the simulation runs.
fn controller_roles() -> Vec<(&'static str, Vec<PolicyRule>)> {
    vec![
        (
            "replicaset-controller",
            vec![
                rule(
                    &["apps"],
                    &["replicasets"],
                    &["get", "list", "watch", "update"],
                ),
                rule(
                    &["apps"],
                    &["replicasets/status", "replicasets/finalizers"],
                    &["update"],
                ),
                rule(
                    &[""],
                    &["pods"],
                    &["create", "delete", "list", "patch", "watch"],
                ),
                events(),
            ],
        ),
        (
            "deployment-controller",
            vec![
                rule(
                    &["apps"],
                    &["deployments"],
                    &["get", "list", "update", "watch"],
                ),
                rule(
                    &["apps"],
                    &["deployments/status", "deployments/finalizers"],
                    &["update"],
                ),
                rule(
                    &["apps"],
                    &["replicasets"],
                    &[
                        "create", "delete", "get", "list", "patch", "update", "watch",
                    ],
                ),
                rule(&[""], &["pods"], &["get", "list", "update", "watch"]),
                events(),
            ],
        ),
        (
            "job-controller",
            vec![
                rule(
                    &["batch"],
                    &["jobs"],
                    &["get", "list", "patch", "update", "watch"],
                ),
                rule(
                    &["batch"],
                    &["jobs/status", "jobs/finalizers"],
                    &["patch", "update"],
                ),
                rule(
                    &[""],
                    &["pods"],
                    &["create", "delete", "list", "patch", "watch"],
                ),
                events(),
            ],
        ),
        (
            "daemon-set-controller",
            vec![
                rule(&["apps"], &["daemonsets"], READ),
                rule(
                    &["apps"],
                    &["daemonsets/status", "daemonsets/finalizers"],
                    &["update"],
                ),
                rule(&[""], &["nodes"], &["list", "watch"]),
                rule(
                    &[""],
                    &["pods"],
                    &["create", "delete", "list", "patch", "watch"],
                ),
                rule(&[""], &["pods/binding"], &["create"]),
                rule(
                    &["apps"],
                    &["controllerrevisions"],
                    &[
                        "create", "delete", "get", "list", "patch", "update", "watch",
                    ],
                ),
                events(),
            ],
        ),
        (
            "node-controller",
            vec![
                rule(
                    &[""],
                    &["nodes"],
                    &["delete", "get", "list", "patch", "update"],
                ),
                rule(&[""], &["nodes/status"], &["patch", "update"]),
                rule(&[""], &["pods/status"], &["update"]),
                rule(&[""], &["pods"], &["delete", "list"]),
                events(),
            ],
        ),
        (
            "resourcequota-controller",
            vec![
                rule(&["*"], &["*"], &["list", "watch"]),
                // Upstream updates resourcequotas/status.
                rule(&[""], &["resourcequotas/status"], &["update"]),
                events(),
            ],
        ),
        (
            "pod-garbage-collector",
            vec![
                rule(&[""], &["pods"], &["list", "watch", "delete"]),
                rule(&[""], &["nodes"], &["get", "list", "watch"]),
                // Upstream patches pods/status; this engine's status writes are updates.
                rule(&[""], &["pods/status"], &["patch", "update"]),
            ],
        ),
        (
            "taint-eviction-controller",
            vec![
                // Upstream patches pods/status; this engine's status writes are updates.
                rule(&[""], &["pods/status"], &["patch", "update"]),
                rule(&[""], &["pods"], &["delete", "get", "list"]),
                events(),
            ],
        ),
        (
            "endpointslice-controller",
            vec![
                rule(&[""], &["services", "pods", "nodes"], READ),
                rule(&[""], &["services/finalizers"], &["update"]),
                rule(
                    &["discovery.k8s.io"],
                    &["endpointslices"],
                    &["create", "delete", "get", "list", "update"],
                ),
                events(),
            ],
        ),
        (
            "namespace-controller",
            vec![
                rule(&[""], &["namespaces"], &["delete", "get", "list", "watch"]),
                rule(
                    &[""],
                    &["namespaces/finalize", "namespaces/status"],
                    &["update"],
                ),
                rule(
                    &["*"],
                    &["*"],
                    &["delete", "deletecollection", "get", "list"],
                ),
            ],
        ),
        (
            "generic-garbage-collector",
            vec![rule(
                &["*"],
                &["*"],
                &["delete", "get", "list", "patch", "update", "watch"],
            )],
        ),
    ]
}

/// Every bootstrap object, in a stable order, for the Cluster to store at start.
pub fn objects() -> Vec<Object> {
    let mut out: Vec<Object> = Vec::new();
    let mut cluster_admin = role(
        "cluster-admin",
        &[],
        vec![
            rule(&["*"], &["*"], &["*"]),
            PolicyRule {
                non_resource_urls: Some(vec!["*".into()]),
                verbs: vec!["*".into()],
                ..Default::default()
            },
        ],
    );
    cluster_admin.rules.get_or_insert_with(Vec::new);
    out.push(cluster_admin.into());
    out.push(aggregated("admin", &[], admin_rules()).into());
    out.push(
        aggregated(
            "edit",
            &[("rbac.authorization.k8s.io/aggregate-to-admin", "true")],
            edit_rules(),
        )
        .into(),
    );
    out.push(
        aggregated(
            "view",
            &[("rbac.authorization.k8s.io/aggregate-to-edit", "true")],
            view_rules(),
        )
        .into(),
    );
    out.push(
        role(
            "system:kube-scheduler",
            &[],
            vec![
                events(),
                rule(
                    &["coordination.k8s.io"],
                    &["leases"],
                    &["create", "get", "update"],
                ),
                rule(
                    &[""],
                    &["nodes", "namespaces", "services", "replicationcontrollers"],
                    READ,
                ),
                rule(&[""], &["pods"], &["delete", "get", "list", "watch"]),
                rule(&[""], &["bindings", "pods/binding"], &["create"]),
                rule(&[""], &["pods/status"], &["patch", "update"]),
                rule(&["apps"], &["replicasets", "statefulsets"], READ),
                rule(&["policy"], &["poddisruptionbudgets"], READ),
                rule(
                    &[""],
                    &["persistentvolumeclaims", "persistentvolumes"],
                    READ,
                ),
                rule(
                    &["storage.k8s.io"],
                    &[
                        "csinodes",
                        "csidrivers",
                        "csistoragecapacities",
                        "storageclasses",
                    ],
                    READ,
                ),
            ],
        )
        .into(),
    );
    out.push(
        role(
            "system:kube-controller-manager",
            &[],
            vec![
                events(),
                rule(
                    &["coordination.k8s.io"],
                    &["leases"],
                    &["create", "get", "update"],
                ),
                rule(
                    &[""],
                    &["secrets", "serviceaccounts"],
                    &["create", "get", "update"],
                ),
                rule(&[""], &["serviceaccounts/token"], &["create"]),
                rule(&["*"], &["*"], &["list", "watch"]),
            ],
        )
        .into(),
    );
    for (name, rules) in controller_roles() {
        out.push(role(&format!("system:controller:{name}"), &[], rules).into());
    }
    out.push(
        binding(
            "cluster-admin",
            "cluster-admin",
            "Group",
            "system:masters",
            None,
        )
        .into(),
    );
    for name in ["system:kube-scheduler", "system:kube-controller-manager"] {
        out.push(binding(name, name, "User", name, None).into());
    }
    for (name, _) in controller_roles() {
        let role = format!("system:controller:{name}");
        out.push(binding(&role, &role, "ServiceAccount", name, Some("kube-system")).into());
    }
    out.extend(system_priority_classes().into_iter().map(Object::from));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn cluster_admin_is_bound_to_system_masters() {
        let objs = objects();
        let b = objs
            .iter()
            .find_map(|o| match o {
                Object::ClusterRoleBinding(b)
                    if b.metadata.name.as_deref() == Some("cluster-admin") =>
                {
                    Some(b)
                }
                _ => None,
            })
            .unwrap();
        assert_eq!(b.role_ref.name, "cluster-admin");
        let s = &b.subjects.as_ref().unwrap()[0];
        assert_eq!(
            (s.kind.as_str(), s.name.as_str()),
            ("Group", "system:masters")
        );
        let names: Vec<String> = objs
            .iter()
            .filter(|o| o.info().kind == "ClusterRole")
            .map(|o| o.meta().name.clone().unwrap())
            .take(4)
            .collect();
        assert_eq!(names, vec!["cluster-admin", "admin", "edit", "view"]);
    }
}
