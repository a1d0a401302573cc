//! `describePod`: `kubectl describe pod` from the header (Name … Controlled By) through the
//! containers, conditions, volumes, QoS class, node selectors and tolerations to the events.

use k8s_openapi::api::core::v1::{Event, Pod, TopologySpreadConstraint};

use super::containers::{describe_containers, describe_resources};
use super::events::describe_events;
use super::format::{annotations_multiline, labels_multiline, rfc1123z, tolerations_multiline};
use super::volumes::describe_volumes;
use super::writer::{PrefixWriter, LEVEL_0, LEVEL_1};
use crate::apiserver::prepare::qos_class;
use crate::kubectl::age::translate_timestamp_since;
use crate::kubectl::selector::format_label_selector;
use crate::sim::SimTime;

/// `printController`: `Kind/name` of the owner reference marked `controller`.
pub fn controlled_by(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
        .map(|o| format!("{}/{}", o.kind, o.name))
        .unwrap_or_default()
}

/// `describeTopologySpreadConstraints`, sorted by topology key.
pub fn describe_topology_spread(
    w: &mut PrefixWriter,
    constraints: &[TopologySpreadConstraint],
    space: &str,
) {
    if constraints.is_empty() {
        return;
    }
    let mut sorted: Vec<&TopologySpreadConstraint> = constraints.iter().collect();
    sorted.sort_by(|a, b| a.topology_key.cmp(&b.topology_key));
    w.write(LEVEL_0, &format!("{space}Topology Spread Constraints:\t"));
    for (i, c) in sorted.into_iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, space);
            w.write(LEVEL_0, "\t");
        }
        let mut line = format!(
            "{}:{} when max skew {} is exceeded",
            c.topology_key, c.when_unsatisfiable, c.max_skew
        );
        if let Some(s) = &c.label_selector {
            line.push_str(&format!(" for selector {}", format_label_selector(Some(s))));
        }
        w.write(LEVEL_0, &format!("{line}\n"));
    }
}

/// The description of `pod` at `now`, with `events` (those about the pod, in any order).
pub fn describe_pod(pod: &Pod, events: &[Event], now: SimTime) -> String {
    let mut writer = PrefixWriter::new();
    let w = &mut writer;
    let spec = pod.spec.clone().unwrap_or_default();
    let status = pod.status.clone().unwrap_or_default();
    let meta = &pod.metadata;
    w.write(
        LEVEL_0,
        &format!("Name:\t{}\n", meta.name.as_deref().unwrap_or("")),
    );
    w.write(
        LEVEL_0,
        &format!("Namespace:\t{}\n", meta.namespace.as_deref().unwrap_or("")),
    );
    if let Some(p) = spec.priority {
        w.write(LEVEL_0, &format!("Priority:\t{p}\n"));
    }
    if let Some(pc) = spec
        .priority_class_name
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("Priority Class Name:\t{pc}\n"));
    }
    if let Some(rc) = spec.runtime_class_name.as_deref().filter(|s| !s.is_empty()) {
        w.write(LEVEL_0, &format!("Runtime Class Name:\t{rc}\n"));
    }
    if let Some(sa) = spec
        .service_account_name
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("Service Account:\t{sa}\n"));
    }
    match spec.node_name.as_deref().filter(|s| !s.is_empty()) {
        None => w.write(LEVEL_0, "Node:\t<none>\n"),
        Some(node) => w.write(
            LEVEL_0,
            &format!(
                "Node:\t{node}/{}\n",
                status.host_ip.as_deref().unwrap_or("")
            ),
        ),
    }
    if let Some(t) = &status.start_time {
        w.write(LEVEL_0, &format!("Start Time:\t{}\n", rfc1123z(Some(t))));
    }
    labels_multiline(w, "Labels", meta.labels.as_ref());
    annotations_multiline(w, "Annotations", meta.annotations.as_ref());
    let phase = status.phase.clone().unwrap_or_default();
    match &meta.deletion_timestamp {
        Some(t) if phase != "Failed" && phase != "Succeeded" => {
            w.write(
                LEVEL_0,
                &format!(
                    "Status:\tTerminating (lasts {})\n",
                    translate_timestamp_since(now, Some(&t.0))
                ),
            );
            w.write(
                LEVEL_0,
                &format!(
                    "Termination Grace Period:\t{}s\n",
                    meta.deletion_grace_period_seconds.unwrap_or(0)
                ),
            );
        }
        _ => w.write(LEVEL_0, &format!("Status:\t{phase}\n")),
    }
    if let Some(r) = status.reason.as_deref().filter(|s| !s.is_empty()) {
        w.write(LEVEL_0, &format!("Reason:\t{r}\n"));
    }
    if let Some(m) = status.message.as_deref().filter(|s| !s.is_empty()) {
        w.write(LEVEL_0, &format!("Message:\t{m}\n"));
    }
    if let Some(p) = spec
        .security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
    {
        w.write(LEVEL_0, &format!("SeccompProfile:\t{}\n", p.type_));
        if p.type_ == "Localhost" {
            w.write(
                LEVEL_0,
                &format!(
                    "LocalhostProfile:\t{}\n",
                    p.localhost_profile.as_deref().unwrap_or("")
                ),
            );
        }
    }
    w.write(
        LEVEL_0,
        &format!("IP:\t{}\n", status.pod_ip.as_deref().unwrap_or("")),
    );
    let ips = status.pod_ips.clone().unwrap_or_default();
    if ips.is_empty() {
        w.write(LEVEL_0, "IPs:\t<none>\n");
    } else {
        w.write(LEVEL_0, "IPs:\n");
        for ip in &ips {
            w.write(LEVEL_1, &format!("IP:\t{}\n", ip.ip));
        }
    }
    let controller = controlled_by(meta);
    if !controller.is_empty() {
        w.write(LEVEL_0, &format!("Controlled By:\t{controller}\n"));
    }
    if let Some(n) = status
        .nominated_node_name
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("NominatedNodeName:\t{n}\n"));
    }
    if let Some(r) = &spec.resources {
        w.write(LEVEL_0, "Resources:\n");
        describe_resources(w, Some(r), LEVEL_1);
    }
    let init = spec.init_containers.clone().unwrap_or_default();
    if !init.is_empty() {
        describe_containers(
            w,
            "Init Containers",
            &init,
            Some(status.init_container_statuses.as_deref().unwrap_or(&[])),
            Some(pod),
            "",
        );
    }
    describe_containers(
        w,
        "Containers",
        &spec.containers,
        Some(status.container_statuses.as_deref().unwrap_or(&[])),
        Some(pod),
        "",
    );
    let ephemeral = spec.ephemeral_containers.clone().unwrap_or_default();
    if !ephemeral.is_empty() {
        let as_containers: Vec<_> = ephemeral
            .iter()
            .map(|e| {
                serde_json::to_value(e)
                    .ok()
                    .and_then(|v| serde_json::from_value(v).ok())
                    .unwrap_or_default()
            })
            .collect();
        describe_containers(
            w,
            "Ephemeral Containers",
            &as_containers,
            Some(
                status
                    .ephemeral_container_statuses
                    .as_deref()
                    .unwrap_or(&[]),
            ),
            Some(pod),
            "",
        );
    }
    let conditions = status.conditions.clone().unwrap_or_default();
    let gates = spec.readiness_gates.clone().unwrap_or_default();
    if !gates.is_empty() {
        w.write(LEVEL_0, "Readiness Gates:\n  Type\tStatus\n");
        for g in &gates {
            let status = conditions
                .iter()
                .find(|c| c.type_ == g.condition_type)
                .map(|c| c.status.clone())
                .unwrap_or_else(|| "<none>".into());
            w.write(LEVEL_1, &format!("{} \t{status} \n", g.condition_type));
        }
    }
    if !conditions.is_empty() {
        w.write(LEVEL_0, "Conditions:\n  Type\tStatus\n");
        for c in &conditions {
            w.write(LEVEL_1, &format!("{} \t{} \n", c.type_, c.status));
        }
    }
    describe_volumes(w, spec.volumes.as_deref().unwrap_or(&[]), "");
    // kubectl's GetPodQOS: the stored class, else computed as the API server would.
    let qos = status
        .qos_class
        .clone()
        .filter(|q| !q.is_empty())
        .unwrap_or_else(|| qos_class(&spec).to_string());
    w.write(LEVEL_0, &format!("QoS Class:\t{qos}\n"));
    labels_multiline(w, "Node-Selectors", spec.node_selector.as_ref());
    tolerations_multiline(w, "Tolerations", spec.tolerations.as_deref().unwrap_or(&[]));
    describe_topology_spread(
        w,
        spec.topology_spread_constraints.as_deref().unwrap_or(&[]),
        "",
    );
    describe_events(w, events, now);
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// No `Volumes:` heading ends the block, so the gates table aligns with the lines after it.
    #[test]
    fn a_terminating_gated_pod_shows_its_grace_period_gates_and_spread() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web", "namespace": "prod", "deletionTimestamp": "2025-04-23T00:00:30Z",
                "deletionGracePeriodSeconds": 30,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7c79c4bf97",
                    "uid": "u", "controller": true}]},
            "spec": {"priority": 1000, "priorityClassName": "high", "serviceAccountName": "default",
                "readinessGates": [{"conditionType": "example.com/lb"}],
                "containers": [{"name": "c", "image": "nginx"}],
                "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone",
                    "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "web"}}}]},
            "status": {"phase": "Running", "nominatedNodeName": "node-2", "qosClass": "BestEffort"}
        }))
        .unwrap();
        assert_eq!(
            describe_pod(&pod, &[], SimTime(10_000)),
            "Name:                      web\n\
             Namespace:                 prod\n\
             Priority:                  1000\n\
             Priority Class Name:       high\n\
             Service Account:           default\n\
             Node:                      <none>\n\
             Labels:                    <none>\n\
             Annotations:               <none>\n\
             Status:                    Terminating (lasts <invalid>)\n\
             Termination Grace Period:  30s\n\
             IP:                        \n\
             IPs:                       <none>\n\
             Controlled By:             ReplicaSet/web-7c79c4bf97\n\
             NominatedNodeName:         node-2\n\
             Containers:\n\
             \x20 c:\n\
             \x20   Image:        nginx\n\
             \x20   Port:         <none>\n\
             \x20   Host Port:    <none>\n\
             \x20   Environment:  <none>\n\
             \x20   Mounts:       <none>\n\
             Readiness Gates:\n\
             \x20 Type                        Status\n\
             \x20 example.com/lb              <none> \n\
             Volumes:                      <none>\n\
             QoS Class:                    BestEffort\n\
             Node-Selectors:               <none>\n\
             Tolerations:                  <none>\n\
             Topology Spread Constraints:  zone:DoNotSchedule when max skew 1 is exceeded for selector app=web\n\
             Events:                       <none>\n"
        );
    }
}
