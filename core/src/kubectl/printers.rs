//! The server-side table printers of kubectl 1.33 for every kind the simulated API server
//! serves: the columns and cells of `pkg/printers/internalversion/printers.go` (`printDeployment`,
//! `printJob`, `printService`, …), and the default `NAME  CREATED AT` table for kinds that have
//! no printer (LimitRange, Role, ClusterRole).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, Time};

use crate::kubectl::age::human_duration;
use crate::kubectl::get::node_roles;
use crate::kubectl::pods::pod_columns;
use crate::object::Object;
use crate::sim::SimTime;
use crate::snapshot::NodeView;

/// The column headers of `kind`'s table, upper-cased as kubectl prints them; `wide` adds the
/// priority-1 columns of `-o wide`.
pub fn columns(kind: &str, wide: bool) -> Vec<&'static str> {
    let (base, extra): (&[&str], &[&str]) = match kind {
        "Pod" => (
            &["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
            &["IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
        ),
        "Node" => (
            &["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
            &[
                "INTERNAL-IP",
                "EXTERNAL-IP",
                "OS-IMAGE",
                "KERNEL-VERSION",
                "CONTAINER-RUNTIME",
            ],
        ),
        "Deployment" => (
            &["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        "ReplicaSet" => (
            &["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        "DaemonSet" => (
            &[
                "NAME",
                "DESIRED",
                "CURRENT",
                "READY",
                "UP-TO-DATE",
                "AVAILABLE",
                "NODE SELECTOR",
                "AGE",
            ],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        "Job" => (
            &["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        "Service" => (
            &[
                "NAME",
                "TYPE",
                "CLUSTER-IP",
                "EXTERNAL-IP",
                "PORT(S)",
                "AGE",
            ],
            &["SELECTOR"],
        ),
        "EndpointSlice" => (&["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], &[]),
        "Namespace" => (&["NAME", "STATUS", "AGE"], &[]),
        "ConfigMap" => (&["NAME", "DATA", "AGE"], &[]),
        "Secret" => (&["NAME", "TYPE", "DATA", "AGE"], &[]),
        "ServiceAccount" => (&["NAME", "SECRETS", "AGE"], &[]),
        "ResourceQuota" => (&["NAME", "REQUEST", "LIMIT", "AGE"], &[]),
        "PersistentVolumeClaim" => (
            &[
                "NAME",
                "STATUS",
                "VOLUME",
                "CAPACITY",
                "ACCESS MODES",
                "STORAGECLASS",
                "VOLUMEATTRIBUTESCLASS",
                "AGE",
            ],
            &["VOLUMEMODE"],
        ),
        "PersistentVolume" => (
            &[
                "NAME",
                "CAPACITY",
                "ACCESS MODES",
                "RECLAIM POLICY",
                "STATUS",
                "CLAIM",
                "STORAGECLASS",
                "VOLUMEATTRIBUTESCLASS",
                "REASON",
                "AGE",
            ],
            &["VOLUMEMODE"],
        ),
        "PriorityClass" => (
            &["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"],
            &[],
        ),
        "RoleBinding" | "ClusterRoleBinding" => (
            &["NAME", "ROLE", "AGE"],
            &["USERS", "GROUPS", "SERVICEACCOUNTS"],
        ),
        "Lease" => (&["NAME", "HOLDER", "AGE"], &[]),
        "Event" => (
            &["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
            &[
                "LAST SEEN",
                "TYPE",
                "REASON",
                "OBJECT",
                "SUBOBJECT",
                "SOURCE",
                "MESSAGE",
                "FIRST SEEN",
                "COUNT",
                "NAME",
            ],
        ),
        // No printer: the API server's default table.
        _ => (&["NAME", "CREATED AT"], &[]),
    };
    if kind == "Event" && wide {
        // The event table's wide columns interleave with the base ones.
        return extra.to_vec();
    }
    let mut out = base.to_vec();
    if wide {
        out.extend_from_slice(extra);
    }
    out
}

/// One object's cells under [`columns`], NAME cell first (events have no NAME column but for
/// `-o wide`).
pub fn cells(obj: &Object, now: SimTime, wide: bool) -> Vec<String> {
    let meta = obj.meta();
    let name = meta.name.clone().unwrap_or_default();
    let age = age(meta.creation_timestamp.as_ref(), now);
    let mut row = vec![name];
    match obj {
        Object::Pod(p) => {
            let c = pod_columns(p, now);
            row.extend([c.ready, c.status, c.restarts, age]);
            if wide {
                let v = crate::snapshot::PodView::from_pod(p, now);
                row.extend([v.ip, v.node, v.nominated_node, v.readiness_gates]);
            }
        }
        Object::Node(n) => {
            let view = NodeView::from_node(n);
            row.extend([view.status, node_roles(n), age, view.version]);
            if wide {
                let status = n.status.clone().unwrap_or_default();
                let address = |t: &str| {
                    status
                        .addresses
                        .iter()
                        .flatten()
                        .find(|a| a.type_ == t)
                        .map(|a| a.address.clone())
                        .unwrap_or_else(|| "<none>".into())
                };
                let info = status.node_info.unwrap_or_default();
                let or_unknown = |s: String| {
                    if s.is_empty() {
                        "<unknown>".to_string()
                    } else {
                        s
                    }
                };
                row.extend([
                    address("InternalIP"),
                    address("ExternalIP"),
                    or_unknown(info.os_image),
                    or_unknown(info.kernel_version),
                    or_unknown(info.container_runtime_version),
                ]);
            }
        }
        Object::Deployment(d) => {
            let spec = d.spec.clone().unwrap_or_default();
            let status = d.status.clone().unwrap_or_default();
            row.extend([
                format!(
                    "{}/{}",
                    status.ready_replicas.unwrap_or(0),
                    spec.replicas.unwrap_or(0)
                ),
                status.updated_replicas.unwrap_or(0).to_string(),
                status.available_replicas.unwrap_or(0).to_string(),
                age,
            ]);
            if wide {
                row.extend(template_cells(
                    spec.template.spec.as_ref().map(|s| &s.containers[..]),
                    Some(&spec.selector),
                ));
            }
        }
        Object::ReplicaSet(r) => {
            let spec = r.spec.clone().unwrap_or_default();
            let status = r.status.clone().unwrap_or_default();
            row.extend([
                spec.replicas.unwrap_or(0).to_string(),
                status.replicas.to_string(),
                status.ready_replicas.unwrap_or(0).to_string(),
                age,
            ]);
            if wide {
                row.extend(template_cells(
                    spec.template
                        .as_ref()
                        .and_then(|t| t.spec.as_ref())
                        .map(|s| &s.containers[..]),
                    Some(&spec.selector),
                ));
            }
        }
        Object::DaemonSet(ds) => {
            let spec = ds.spec.clone().unwrap_or_default();
            let status = ds.status.clone().unwrap_or_default();
            let pod_spec = spec.template.spec.as_ref();
            row.extend([
                status.desired_number_scheduled.to_string(),
                status.current_number_scheduled.to_string(),
                status.number_ready.to_string(),
                status.updated_number_scheduled.unwrap_or(0).to_string(),
                status.number_available.unwrap_or(0).to_string(),
                format_labels(pod_spec.and_then(|s| s.node_selector.as_ref())),
                age,
            ]);
            if wide {
                row.extend(template_cells(
                    pod_spec.map(|s| &s.containers[..]),
                    Some(&spec.selector),
                ));
            }
        }
        Object::Job(j) => {
            let spec = j.spec.clone().unwrap_or_default();
            let status = j.status.clone().unwrap_or_default();
            let succeeded = status.succeeded.unwrap_or(0);
            let completions = match (spec.completions, spec.parallelism.unwrap_or(0)) {
                (Some(c), _) => format!("{succeeded}/{c}"),
                (None, p) if p > 1 => format!("{succeeded}/1 of {p}"),
                _ => format!("{succeeded}/1"),
            };
            let start = status.start_time.as_ref().map(SimTime::from_k8s_time);
            let end = status.completion_time.as_ref().map(SimTime::from_k8s_time);
            let duration = match (start, end) {
                (None, _) => String::new(),
                (Some(s), None) => human_duration(now.since(s)),
                (Some(s), Some(e)) => human_duration(e.since(s)),
            };
            let has = |t: &str| {
                status
                    .conditions
                    .iter()
                    .flatten()
                    .any(|c| c.type_ == t && c.status == "True")
            };
            let state = if has("Complete") {
                "Complete"
            } else if has("Failed") {
                "Failed"
            } else if j.metadata.deletion_timestamp.is_some() {
                "Terminating"
            } else if has("Suspended") {
                "Suspended"
            } else if has("FailureTarget") {
                "FailureTarget"
            } else {
                "Running"
            };
            row.extend([state.to_string(), completions, duration, age]);
            if wide {
                row.extend(template_cells(
                    spec.template.spec.as_ref().map(|s| &s.containers[..]),
                    spec.selector.as_ref(),
                ));
            }
        }
        Object::Service(s) => {
            let spec = s.spec.clone().unwrap_or_default();
            let type_ = spec.type_.clone().unwrap_or_else(|| "ClusterIP".into());
            let cluster_ip = spec
                .cluster_ips
                .as_ref()
                .and_then(|ips| ips.first().cloned())
                .unwrap_or_else(|| "<none>".into());
            let external = spec.external_ips.clone().unwrap_or_default();
            let external_ip = match type_.as_str() {
                "ClusterIP" | "NodePort" if !external.is_empty() => external.join(","),
                "ClusterIP" | "NodePort" => "<none>".into(),
                "LoadBalancer" => {
                    let mut lb: Vec<String> = s
                        .status
                        .as_ref()
                        .and_then(|st| st.load_balancer.as_ref())
                        .and_then(|lb| lb.ingress.as_ref())
                        .into_iter()
                        .flatten()
                        .filter_map(|i| i.ip.clone().or_else(|| i.hostname.clone()))
                        .collect();
                    lb.sort();
                    lb.dedup();
                    let mut joined = lb.join(",");
                    if !wide && joined.len() > 16 {
                        joined = format!("{}...", &joined[..13]);
                    }
                    match (joined.is_empty(), external.is_empty()) {
                        (_, false) => lb.into_iter().chain(external).collect::<Vec<_>>().join(","),
                        (false, true) => joined,
                        (true, true) => "<pending>".into(),
                    }
                }
                "ExternalName" => spec.external_name.clone().unwrap_or_default(),
                _ => "<unknown>".into(),
            };
            let ports: Vec<String> = spec
                .ports
                .iter()
                .flatten()
                .map(|p| {
                    let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".into());
                    match p.node_port {
                        Some(np) if np > 0 => format!("{}:{np}/{protocol}", p.port),
                        _ => format!("{}/{protocol}", p.port),
                    }
                })
                .collect();
            let ports = if ports.is_empty() {
                "<none>".to_string()
            } else {
                ports.join(",")
            };
            row.extend([type_, cluster_ip, external_ip, ports, age]);
            if wide {
                row.push(format_labels(spec.selector.as_ref()));
            }
        }
        Object::EndpointSlice(e) => {
            let ports: Vec<String> = e
                .ports
                .iter()
                .flatten()
                .map(|p| {
                    p.port
                        .map(|n| n.to_string())
                        .or_else(|| p.name.clone())
                        .unwrap_or_else(|| "*".into())
                })
                .collect();
            let addresses: Vec<String> = e
                .endpoints
                .iter()
                .flat_map(|ep| ep.addresses.iter().cloned())
                .collect();
            row.extend([
                e.address_type.clone(),
                more_string(&ports),
                more_string(&addresses),
                age,
            ]);
        }
        Object::Namespace(n) => {
            let phase = n
                .status
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_default();
            row.extend([phase, age]);
        }
        Object::ConfigMap(c) => {
            let n = c.data.as_ref().map_or(0, |d| d.len())
                + c.binary_data.as_ref().map_or(0, |d| d.len());
            row.extend([n.to_string(), age]);
        }
        Object::Secret(s) => {
            row.extend([
                s.type_.clone().unwrap_or_else(|| "Opaque".into()),
                s.data.as_ref().map_or(0, |d| d.len()).to_string(),
                age,
            ]);
        }
        Object::ServiceAccount(sa) => {
            row.extend([sa.secrets.as_ref().map_or(0, |s| s.len()).to_string(), age]);
        }
        Object::ResourceQuota(q) => {
            let status = q.status.clone().unwrap_or_default();
            let hard = status.hard.unwrap_or_default();
            let used = status.used.unwrap_or_default();
            let (mut requests, mut limits) = (Vec::new(), Vec::new());
            for (resource, h) in &hard {
                let u = used.get(resource).map_or("0", |q| q.0.as_str());
                let cell = format!("{resource}: {u}/{}", h.0);
                if resource.split('.').next() == Some("limits") && resource.contains('.') {
                    limits.push(cell);
                } else {
                    requests.push(cell);
                }
            }
            row.extend([requests.join(", "), limits.join(", "), age]);
        }
        Object::PersistentVolumeClaim(c) => {
            let spec = c.spec.clone().unwrap_or_default();
            let status = c.status.clone().unwrap_or_default();
            let phase = if c.metadata.deletion_timestamp.is_some() {
                "Terminating".to_string()
            } else {
                status.phase.clone().unwrap_or_default()
            };
            let capacity = status
                .capacity
                .as_ref()
                .and_then(|c| c.get("storage"))
                .map(|q| q.0.clone())
                .unwrap_or_default();
            row.extend([
                phase,
                spec.volume_name.clone().unwrap_or_default(),
                capacity,
                access_modes(status.access_modes.as_deref()),
                spec.storage_class_name.clone().unwrap_or_default(),
                spec.volume_attributes_class_name
                    .clone()
                    .unwrap_or_else(|| "<unset>".into()),
                age,
            ]);
            if wide {
                row.push(spec.volume_mode.clone().unwrap_or_else(|| "<unset>".into()));
            }
        }
        Object::PersistentVolume(v) => {
            let spec = v.spec.clone().unwrap_or_default();
            let status = v.status.clone().unwrap_or_default();
            let claim = spec
                .claim_ref
                .as_ref()
                .map(|r| {
                    format!(
                        "{}/{}",
                        r.namespace.clone().unwrap_or_default(),
                        r.name.clone().unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            row.extend([
                spec.capacity
                    .as_ref()
                    .and_then(|c| c.get("storage"))
                    .map(|q| q.0.clone())
                    .unwrap_or_default(),
                access_modes(spec.access_modes.as_deref()),
                spec.persistent_volume_reclaim_policy
                    .clone()
                    .unwrap_or_default(),
                status.phase.clone().unwrap_or_default(),
                claim,
                spec.storage_class_name.clone().unwrap_or_default(),
                spec.volume_attributes_class_name
                    .clone()
                    .unwrap_or_else(|| "<unset>".into()),
                status.reason.clone().unwrap_or_default(),
                age,
            ]);
            if wide {
                row.push(spec.volume_mode.clone().unwrap_or_else(|| "<unset>".into()));
            }
        }
        Object::PriorityClass(pc) => {
            row.extend([
                pc.value.to_string(),
                pc.global_default.unwrap_or(false).to_string(),
                age,
                pc.preemption_policy
                    .clone()
                    .unwrap_or_else(|| "<none>".into()),
            ]);
        }
        Object::RoleBinding(rb) => {
            row.extend([format!("{}/{}", rb.role_ref.kind, rb.role_ref.name), age]);
            if wide {
                row.extend(subjects(rb.subjects.as_deref()));
            }
        }
        Object::ClusterRoleBinding(rb) => {
            row.extend([format!("{}/{}", rb.role_ref.kind, rb.role_ref.name), age]);
            if wide {
                row.extend(subjects(rb.subjects.as_deref()));
            }
        }
        Object::Lease(l) => {
            row.extend([
                l.spec
                    .as_ref()
                    .and_then(|s| s.holder_identity.clone())
                    .unwrap_or_default(),
                age,
            ]);
        }
        Object::Event(e) => {
            let last = crate::kubectl::get::event_last_seen(e)
                .map(|t| human_duration(now.since(t)))
                .unwrap_or_else(|| "<unknown>".into());
            let object = format!(
                "{}/{}",
                e.involved_object
                    .kind
                    .clone()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                e.involved_object.name.clone().unwrap_or_default()
            );
            let message = e.message.clone().unwrap_or_default().trim().to_string();
            let type_ = e.type_.clone().unwrap_or_default();
            let reason = e.reason.clone().unwrap_or_default();
            let event_name = row.remove(0);
            if wide {
                let source = e.source.clone().unwrap_or_default();
                let source = match (source.component, source.host) {
                    (Some(c), Some(h)) if !h.is_empty() => format!("{c}, {h}"),
                    (Some(c), _) if !c.is_empty() => c,
                    _ => e.reporting_component.clone().unwrap_or_default(),
                };
                let first = e
                    .first_timestamp
                    .as_ref()
                    .map(|t| human_duration(now.since(SimTime::from_k8s_time(t))))
                    .unwrap_or_else(|| "<unknown>".into());
                row.extend([
                    last,
                    type_,
                    reason,
                    object,
                    e.involved_object.field_path.clone().unwrap_or_default(),
                    source,
                    message,
                    first,
                    e.count.unwrap_or(1).to_string(),
                    event_name,
                ]);
            } else {
                row.extend([last, type_, reason, object, message]);
            }
        }
        _ => {
            row.push(
                meta.creation_timestamp
                    .as_ref()
                    .map(|t| t.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .unwrap_or_default(),
            );
        }
    }
    row
}

/// `translateTimestampSince`: the object's age, `<unknown>` without a timestamp.
fn age(t: Option<&Time>, now: SimTime) -> String {
    t.map(|t| human_duration(now.since(SimTime::from_k8s_time(t))))
        .unwrap_or_else(|| "<unknown>".into())
}

/// `layoutContainerCells` and `FormatLabelSelector`: CONTAINERS, IMAGES and SELECTOR.
fn template_cells(
    containers: Option<&[Container]>,
    selector: Option<&LabelSelector>,
) -> [String; 3] {
    let containers = containers.unwrap_or_default();
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    let images: Vec<&str> = containers
        .iter()
        .map(|c| c.image.as_deref().unwrap_or(""))
        .collect();
    [
        names.join(","),
        images.join(","),
        format_label_selector(selector),
    ]
}

/// `metav1.FormatLabelSelector`: `app=nginx,tier in (a,b)`, `<none>` when empty.
pub fn format_label_selector(selector: Option<&LabelSelector>) -> String {
    let Some(s) = selector else {
        return "<none>".into();
    };
    let mut parts: Vec<String> = s
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in s.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default();
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({})", e.key, values.join(",")),
            "NotIn" => format!("{} notin ({})", e.key, values.join(",")),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            op => format!("{} {op} ({})", e.key, values.join(",")),
        });
    }
    if parts.is_empty() {
        "<none>".into()
    } else {
        parts.join(",")
    }
}

/// `labels.FormatLabels`: sorted `k=v` pairs, `<none>` when empty.
pub fn format_labels(labels: Option<&BTreeMap<String, String>>) -> String {
    match labels {
        Some(l) if !l.is_empty() => l
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
        _ => "<none>".into(),
    }
}

/// `formatMoreString` with at most 3 items: `a,b,c + 2 more...`, `<unset>` when empty.
fn more_string(items: &[String]) -> String {
    match items.len() {
        0 => "<unset>".into(),
        n if n > 3 => format!("{} + {} more...", items[..3].join(","), n - 3),
        _ => items.join(","),
    }
}

/// `GetAccessModesAsString`: `RWO,ROX,RWX,RWOP` in that order.
fn access_modes(modes: Option<&[String]>) -> String {
    let modes = modes.unwrap_or_default();
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(long, _)| modes.iter().any(|m| m == long))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

/// The USERS, GROUPS and SERVICEACCOUNTS cells of a (Cluster)RoleBinding.
fn subjects(subjects: Option<&[k8s_openapi::api::rbac::v1::Subject]>) -> [String; 3] {
    let (mut users, mut groups, mut sas) = (Vec::new(), Vec::new(), Vec::new());
    for s in subjects.unwrap_or_default() {
        match s.kind.as_str() {
            "User" => users.push(s.name.clone()),
            "Group" => groups.push(s.name.clone()),
            "ServiceAccount" => sas.push(format!(
                "{}/{}",
                s.namespace.clone().unwrap_or_default(),
                s.name
            )),
            _ => {}
        }
    }
    [users.join(", "), groups.join(", "), sas.join(", ")]
}
