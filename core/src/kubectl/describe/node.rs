//! `describeNode`: roles, labels, taints, the node Lease, conditions, addresses, capacity,
//! system info, the non-terminated pods with their requests and limits as a share of the
//! allocatable resources, the allocated totals, and the node's events.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Container, Event, Node, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;

use super::events::describe_events;
use super::format::{annotations_multiline, labels_multiline, rfc1123z, taints_multiline};
use super::writer::{PrefixWriter, LEVEL_0, LEVEL_1};
use crate::kubectl::age::translate_timestamp_since;
use crate::kubectl::get::node_roles;
use crate::object::Object;
use crate::quantity::Quantity;
use crate::sim::SimTime;

type ResourceList = BTreeMap<String, Quantity>;

fn parse_list(list: Option<&BTreeMap<String, ApiQuantity>>) -> ResourceList {
    list.into_iter()
        .flatten()
        .filter_map(|(k, v)| Quantity::parse(&v.0).ok().map(|q| (k.clone(), q)))
        .collect()
}

/// `addResourceList`: the first quantity of a name keeps its format.
fn add(into: &mut ResourceList, list: &ResourceList) {
    for (k, v) in list {
        let sum = into.get(k).map_or(*v, |q| q.add(v));
        into.insert(k.clone(), sum);
    }
}

/// `maxResourceList`.
fn max(into: &mut ResourceList, list: &ResourceList) {
    for (k, v) in list {
        if into.get(k).is_none_or(|q| v > q) {
            into.insert(k.clone(), *v);
        }
    }
}

fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// kubectl's `podRequests` (`limits` false) or `podLimits` (`limits` true): the containers'
/// sum plus sidecars, at least the init sequence's peak, plus the pod overhead (for limits only
/// where a limit is set).
fn pod_resources(pod: &Pod, limits: bool) -> ResourceList {
    let spec = pod.spec.clone().unwrap_or_default();
    let of = |c: &Container| {
        let r = c.resources.clone().unwrap_or_default();
        parse_list(if limits {
            r.limits.as_ref()
        } else {
            r.requests.as_ref()
        })
    };
    let mut total = ResourceList::new();
    for c in &spec.containers {
        add(&mut total, &of(c));
    }
    let mut restartable = ResourceList::new();
    let mut init_peak = ResourceList::new();
    for c in spec.init_containers.iter().flatten() {
        let own = of(c);
        let step = if is_sidecar(c) {
            add(&mut total, &own);
            add(&mut restartable, &own);
            restartable.clone()
        } else {
            let mut tmp = own;
            add(&mut tmp, &restartable);
            tmp
        };
        max(&mut init_peak, &step);
    }
    max(&mut total, &init_peak);
    let overhead = parse_list(spec.overhead.as_ref());
    if limits {
        for (k, v) in &overhead {
            if let Some(q) = total.get(k) {
                let sum = q.add(v);
                total.insert(k.clone(), sum);
            }
        }
    } else {
        add(&mut total, &overhead);
    }
    total
}

fn get(list: &ResourceList, name: &str) -> Quantity {
    list.get(name).copied().unwrap_or(Quantity::from_milli(0))
}

/// `int64(float64(a) / float64(b) * 100)`, 0 when there is nothing allocatable.
fn percent(a: i64, b: i64) -> i64 {
    if b == 0 {
        0
    } else {
        (a as f64 / b as f64 * 100.0) as i64
    }
}

fn share(q: &Quantity, of: &Quantity, milli: bool) -> String {
    let p = if milli {
        percent(q.milli_value(), of.milli_value())
    } else {
        percent(q.value(), of.value())
    };
    format!("{} ({p}%)", q.canonical())
}

/// What the node describer needs besides the Node: its pods, its Lease and its events.
#[derive(Debug, Clone, Default)]
pub struct NodeContext {
    /// The non-terminated pods bound to the node, in list order.
    pub pods: Vec<Pod>,
    /// `kube-node-lease/<node>`, if it exists.
    pub lease: Option<Lease>,
    /// Events about the node (by its UID, then by its name as the kubelet's UID).
    pub events: Vec<Event>,
}

/// The pods `describe node` lists: bound to `node` and neither Succeeded nor Failed.
pub fn node_pods(pods: &[Arc<Object>], node: &str) -> Vec<Pod> {
    pods.iter()
        .filter_map(|o| match &**o {
            Object::Pod(p) => Some(&**p),
            _ => None,
        })
        .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node))
        .filter(|p| {
            !matches!(
                p.status.as_ref().and_then(|s| s.phase.as_deref()),
                Some("Succeeded" | "Failed")
            )
        })
        .cloned()
        .collect()
}

/// The description of `node` at `now`.
pub fn describe_node(node: &Node, ctx: &NodeContext, now: SimTime) -> String {
    let mut writer = PrefixWriter::new();
    let w = &mut writer;
    let spec = node.spec.clone().unwrap_or_default();
    let status = node.status.clone().unwrap_or_default();
    let name = node.metadata.name.clone().unwrap_or_default();
    w.write(LEVEL_0, &format!("Name:\t{name}\n"));
    w.write(LEVEL_0, &format!("Roles:\t{}\n", node_roles(node)));
    labels_multiline(w, "Labels", node.metadata.labels.as_ref());
    annotations_multiline(w, "Annotations", node.metadata.annotations.as_ref());
    w.write(
        LEVEL_0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z(node.metadata.creation_timestamp.as_ref())
        ),
    );
    taints_multiline(w, "Taints", spec.taints.as_deref().unwrap_or(&[]));
    w.write(
        LEVEL_0,
        &format!("Unschedulable:\t{}\n", spec.unschedulable.unwrap_or(false)),
    );
    match &ctx.lease {
        Some(lease) => {
            let l = lease.spec.clone().unwrap_or_default();
            w.write(LEVEL_0, "Lease:\n");
            w.write(
                LEVEL_1,
                &format!(
                    "HolderIdentity:\t{}\n",
                    l.holder_identity.as_deref().unwrap_or("<unset>")
                ),
            );
            let time = |t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime>| {
                t.map(|t| t.0.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string())
                    .unwrap_or_else(|| "<unset>".into())
            };
            w.write(
                LEVEL_1,
                &format!("AcquireTime:\t{}\n", time(l.acquire_time.as_ref())),
            );
            w.write(
                LEVEL_1,
                &format!("RenewTime:\t{}\n", time(l.renew_time.as_ref())),
            );
        }
        None => w.write(
            LEVEL_0,
            &format!(
                "Lease:\tFailed to get lease: leases.coordination.k8s.io \"{name}\" not found\n"
            ),
        ),
    }
    let conditions = status.conditions.clone().unwrap_or_default();
    if !conditions.is_empty() {
        w.write(
            LEVEL_0,
            "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n",
        );
        w.write(
            LEVEL_1,
            "----\t------\t-----------------\t------------------\t------\t-------\n",
        );
        for c in &conditions {
            w.write(
                LEVEL_1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}\n",
                    c.type_,
                    c.status,
                    rfc1123z(c.last_heartbeat_time.as_ref()),
                    rfc1123z(c.last_transition_time.as_ref()),
                    c.reason.as_deref().unwrap_or(""),
                    c.message.as_deref().unwrap_or("")
                ),
            );
        }
    }
    w.write(LEVEL_0, "Addresses:\n");
    for a in status.addresses.iter().flatten() {
        w.write(LEVEL_1, &format!("{}:\t{}\n", a.type_, a.address));
    }
    for (title, list) in [
        ("Capacity", &status.capacity),
        ("Allocatable", &status.allocatable),
    ] {
        let Some(list) = list.as_ref().filter(|l| !l.is_empty()) else {
            continue;
        };
        w.write(LEVEL_0, &format!("{title}:\n"));
        for (k, v) in list {
            w.write(
                LEVEL_0,
                &format!("  {k}:\t{}\n", super::format::quantity(v)),
            );
        }
    }
    let info = status.node_info.clone().unwrap_or_default();
    w.write(LEVEL_0, "System Info:\n");
    for (k, v) in [
        ("Machine ID", &info.machine_id),
        ("System UUID", &info.system_uuid),
        ("Boot ID", &info.boot_id),
        ("Kernel Version", &info.kernel_version),
        ("OS Image", &info.os_image),
        ("Operating System", &info.operating_system),
        ("Architecture", &info.architecture),
        ("Container Runtime Version", &info.container_runtime_version),
        ("Kubelet Version", &info.kubelet_version),
        ("Kube-Proxy Version", &info.kube_proxy_version),
    ] {
        w.write(LEVEL_0, &format!("  {k}:\t{v}\n"));
    }
    if let Some(cidr) = spec.pod_cidr.as_deref().filter(|s| !s.is_empty()) {
        w.write(LEVEL_0, &format!("PodCIDR:\t{cidr}\n"));
    }
    if let Some(cidrs) = spec.pod_cidrs.as_ref().filter(|c| !c.is_empty()) {
        w.write(LEVEL_0, &format!("PodCIDRs:\t{}\n", cidrs.join(",")));
    }
    if let Some(id) = spec.provider_id.as_deref().filter(|s| !s.is_empty()) {
        w.write(LEVEL_0, &format!("ProviderID:\t{id}\n"));
    }
    describe_node_resource(w, node, &ctx.pods, now);
    describe_events(w, &ctx.events, now);
    writer.finish()
}

/// `describeNodeResource`: the pods table and the allocated totals.
fn describe_node_resource(w: &mut PrefixWriter, node: &Node, pods: &[Pod], now: SimTime) {
    let status = node.status.clone().unwrap_or_default();
    let allocatable = if status.allocatable.as_ref().is_some_and(|a| !a.is_empty()) {
        parse_list(status.allocatable.as_ref())
    } else {
        parse_list(status.capacity.as_ref())
    };
    let cpu = get(&allocatable, "cpu");
    let memory = get(&allocatable, "memory");
    let storage = get(&allocatable, "ephemeral-storage");
    w.write(
        LEVEL_0,
        &format!("Non-terminated Pods:\t({} in total)\n", pods.len()),
    );
    w.write(
        LEVEL_1,
        "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n",
    );
    w.write(
        LEVEL_1,
        "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n",
    );
    let mut reqs = ResourceList::new();
    let mut limits = ResourceList::new();
    for pod in pods {
        let (r, l) = (pod_resources(pod, false), pod_resources(pod, true));
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{}\t\t{}\t{}\t{}\t{}\t{}\n",
                pod.metadata.namespace.as_deref().unwrap_or(""),
                pod.metadata.name.as_deref().unwrap_or(""),
                share(&get(&r, "cpu"), &cpu, true),
                share(&get(&l, "cpu"), &cpu, true),
                share(&get(&r, "memory"), &memory, false),
                share(&get(&l, "memory"), &memory, false),
                translate_timestamp_since(
                    now,
                    pod.metadata.creation_timestamp.as_ref().map(|t| &t.0)
                )
            ),
        );
        add(&mut reqs, &r);
        add(&mut limits, &l);
    }
    w.write(
        LEVEL_0,
        "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n",
    );
    w.write(LEVEL_1, "Resource\tRequests\tLimits\n");
    w.write(LEVEL_1, "--------\t--------\t------\n");
    for (name, of, milli) in [
        ("cpu", &cpu, true),
        ("memory", &memory, false),
        ("ephemeral-storage", &storage, false),
    ] {
        w.write(
            LEVEL_1,
            &format!(
                "{name}\t{}\t{}\n",
                share(&get(&reqs, name), of, milli),
                share(&get(&limits, name), of, milli)
            ),
        );
    }
    for (name, of) in allocatable
        .iter()
        .filter(|(k, _)| k.starts_with("hugepages-"))
    {
        w.write(
            LEVEL_1,
            &format!(
                "{name}\t{}\t{}\n",
                share(&get(&reqs, name), of, false),
                share(&get(&limits, name), of, false)
            ),
        );
    }
    let standard = |k: &str| {
        matches!(k, "cpu" | "memory" | "ephemeral-storage" | "pods") || k.starts_with("hugepages-")
    };
    for name in allocatable.keys().filter(|k| !standard(k)) {
        w.write(
            LEVEL_1,
            &format!(
                "{name}\t{}\t{}\n",
                get(&reqs, name).canonical(),
                get(&limits, name).canonical()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn requests_and_limits_add_sidecars_take_the_init_peak_and_show_their_share() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web", "namespace": "default", "creationTimestamp": "2025-04-23T00:00:00Z"},
            "spec": {
                "initContainers": [
                    {"name": "migrate", "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "2"}}},
                    {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}
                ],
                "containers": [
                    {"name": "app", "resources": {"requests": {"cpu": "250m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}},
                    {"name": "log", "resources": {"requests": {"memory": "32Mi"}}}
                ],
                "overhead": {"cpu": "50m"}
            }
        }))
        .unwrap();
        let node: Node = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "node-1"},
            "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "ephemeral-storage": "100Gi", "pods": "110", "example.com/dongle": "4"}}
        }))
        .unwrap();
        let mut w = PrefixWriter::new();
        describe_node_resource(&mut w, &node, &[pod], SimTime(90_000));
        assert_eq!(
            w.finish(),
            "Non-terminated Pods:  (1 in total)\n\
             \x20 Namespace           Name    CPU Requests  CPU Limits   Memory Requests  Memory Limits  Age\n\
             \x20 ---------           ----    ------------  ----------   ---------------  -------------  ---\n\
             \x20 default             web     2050m (51%)   2050m (51%)  224Mi (1%)       256Mi (1%)     90s\n\
             Allocated resources:\n\
             \x20 (Total limits may be over 100 percent, i.e., overcommitted.)\n\
             \x20 Resource            Requests     Limits\n\
             \x20 --------            --------     ------\n\
             \x20 cpu                 2050m (51%)  2050m (51%)\n\
             \x20 memory              224Mi (1%)   256Mi (1%)\n\
             \x20 ephemeral-storage   0 (0%)       0 (0%)\n\
             \x20 example.com/dongle  0            0\n"
        );
    }
}
