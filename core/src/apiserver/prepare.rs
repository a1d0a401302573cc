//! What the registry does to a new object before validation (`rest.BeforeCreate` and each
//! strategy's `PrepareForCreate`): system fields (uid, creationTimestamp), `generateName`, and
//! per kind: pods get `status: {phase: Pending, qosClass}` (plus the SchedulingGated condition)
//! and `generation: 1`; workloads get `generation: 1` and an empty status; namespaces start
//! Active with the `kubernetes` finalizer.

use k8s_openapi::api::core::v1::{
    NamespaceSpec, NamespaceStatus, PodCondition, PodSpec, PodStatus,
};

use super::admission::qty;
use super::request::RequestContext;
use crate::object::Object;
use crate::quantity::Quantity;
use crate::sim::SimRng;

/// How many random characters `generateName` appends.
pub const GENERATED_SUFFIX_LENGTH: usize = 5;

/// The longest `generateName` base kept (63 minus the suffix).
pub const MAX_GENERATED_BASE: usize = 58;

/// The message of the PodScheduled=False condition of a gated pod.
pub const SCHEDULING_GATED_MESSAGE: &str =
    "Scheduling is blocked due to non-empty scheduling gates";

/// `names.SimpleNameGenerator`: the base (cut to 58 bytes) plus 5 random characters.
pub fn generate_name(base: &str, rng: &mut SimRng) -> String {
    format!(
        "{}{}",
        crate::text::prefix_bytes(base, MAX_GENERATED_BASE),
        rng.name_suffix(GENERATED_SUFFIX_LENGTH)
    )
}

/// `ComputePodQOS`: Guaranteed when every container (init containers too) has cpu and memory
/// limits equal to its requests, BestEffort when nothing is requested or limited, else
/// Burstable.
pub fn qos_class(spec: &PodSpec) -> &'static str {
    // Upstream sums requests and limits by resource name over the QoS resources, cpu and
    // memory: one slot each (`None` where no container set a positive amount).
    let slot = |name: &str| match name {
        "cpu" => Some(0),
        "memory" => Some(1),
        _ => None,
    };
    let mut requests: [Option<Quantity>; 2] = [None, None];
    let mut limits: [Option<Quantity>; 2] = [None, None];
    let mut guaranteed = true;
    for c in spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
    {
        let Some(r) = c.resources.as_ref() else {
            guaranteed = false;
            continue;
        };
        for (name, q) in r.requests.iter().flatten() {
            let Some(i) = slot(name) else { continue };
            let q = qty(q);
            if q > Quantity::ZERO {
                requests[i] = Some(requests[i].unwrap_or(Quantity::ZERO).add(&q));
            }
        }
        let mut found = [false; 2];
        for (name, q) in r.limits.iter().flatten() {
            let Some(i) = slot(name) else { continue };
            let q = qty(q);
            if q > Quantity::ZERO {
                found[i] = true;
                limits[i] = Some(limits[i].unwrap_or(Quantity::ZERO).add(&q));
            }
        }
        if found != [true, true] {
            guaranteed = false;
        }
    }
    if requests == [None, None] && limits == [None, None] {
        return "BestEffort";
    }
    // Every request equals its limit, and no limit lacks a request.
    if guaranteed && requests == limits {
        return "Guaranteed";
    }
    "Burstable"
}

/// Runs `BeforeCreate` on a new object; returns one line per change for the flow view when
/// `described` (the view shows this request's preparation; an Event's it does not, and its lines
/// are then never formatted).
pub fn prepare_for_create(
    obj: &mut Object,
    ctx: &mut RequestContext<'_>,
    described: bool,
) -> Vec<String> {
    let mut changes = Changes {
        described,
        lines: Vec::new(),
    };
    let uid = ctx.rng.uuid();
    let now = ctx.now.to_k8s_time();
    {
        let meta = obj.meta_mut();
        meta.deletion_timestamp = None;
        meta.deletion_grace_period_seconds = None;
        meta.uid = Some(uid.clone());
        meta.creation_timestamp = Some(now);
        changes.note(|| format!("set metadata.uid to {uid}"));
    }
    match obj {
        Object::Pod(pod) => {
            let no_spec = PodSpec::default();
            let spec = pod.spec.as_ref().unwrap_or(&no_spec);
            let qos = qos_class(spec);
            let mut status = PodStatus {
                phase: Some("Pending".into()),
                qos_class: Some(qos.into()),
                ..Default::default()
            };
            changes.note(|| format!("set status to {{phase: Pending, qosClass: {qos}}}"));
            if spec
                .scheduling_gates
                .as_ref()
                .is_some_and(|g| !g.is_empty())
            {
                status.conditions = Some(vec![PodCondition {
                    type_: "PodScheduled".into(),
                    status: "False".into(),
                    reason: Some("SchedulingGated".into()),
                    message: Some(SCHEDULING_GATED_MESSAGE.into()),
                    ..Default::default()
                }]);
                changes.note(|| "added condition PodScheduled=False (SchedulingGated)".into());
            }
            pod.status = Some(status);
            pod.metadata.generation = Some(1);
        }
        Object::Deployment(d) => {
            d.status = None;
            d.metadata.generation = Some(1);
        }
        Object::ReplicaSet(r) => {
            r.status = None;
            r.metadata.generation = Some(1);
        }
        Object::DaemonSet(d) => {
            d.status = None;
            d.metadata.generation = Some(1);
        }
        Object::Job(j) => {
            j.status = None;
            j.metadata.generation = Some(1);
        }
        Object::ResourceQuota(q) => q.status = None,
        Object::Service(s) => {
            s.status = None;
            if let Some(ip) = allocate_cluster_ip(s, ctx) {
                changes.note(|| format!("allocated clusterIP {ip}"));
            }
            for port in allocate_node_ports(s, ctx) {
                changes.note(|| format!("allocated nodePort {port}"));
            }
        }
        Object::Namespace(ns) => {
            ns.status = Some(NamespaceStatus {
                phase: Some("Active".into()),
                ..Default::default()
            });
            ns.spec = Some(NamespaceSpec {
                finalizers: Some(vec!["kubernetes".into()]),
            });
            changes
                .note(|| "set status.phase to Active and spec.finalizers to [kubernetes]".into());
        }
        _ => {}
    }
    if obj.meta().generation == Some(1) {
        changes.note(|| "set metadata.generation to 1".into());
    }
    let meta = obj.meta_mut();
    let unnamed = meta.name.as_deref().unwrap_or_default().is_empty();
    if let (true, Some(base)) = (
        unnamed,
        meta.generate_name.clone().filter(|g| !g.is_empty()),
    ) {
        let name = generate_name(&base, ctx.rng);
        changes.note(|| format!("generated name {name}"));
        meta.name = Some(name);
    }
    changes.note(|| {
        format!(
            "set metadata.creationTimestamp to {}",
            ctx.now.to_k8s_time().0.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    });
    changes.lines
}

/// The lines of a preparation, formatted only when they will be shown.
struct Changes {
    described: bool,
    lines: Vec<String>,
}

impl Changes {
    fn note(&mut self, line: impl FnOnce() -> String) {
        if self.described {
            self.lines.push(line());
        }
    }
}

/// The Service CIDR of a kubeadm cluster, `10.96.0.0/12`, as (first address, size).
const SERVICE_CIDR: (u32, u32) = (0x0a60_0000, 1 << 20);
/// The lower band of the Service CIDR kept for static IPs (`calculateRangeOffset`: size/16,
/// clamped to 16..=256); dynamic allocation picks above it.
const STATIC_BAND: u32 = 256;

fn ipv4(n: u32) -> String {
    let b = n.to_be_bytes();
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

/// What the Service REST storage does on create: a random free `clusterIP` from the dynamic
/// band of the Service CIDR (unless one was asked for, or the Service is headless or an
/// ExternalName), `clusterIPs`, `ipFamilies: [IPv4]`, `ipFamilyPolicy: SingleStack`. Returns
/// the allocated address.
pub fn allocate_cluster_ip(
    svc: &mut k8s_openapi::api::core::v1::Service,
    ctx: &mut RequestContext<'_>,
) -> Option<String> {
    let spec = svc.spec.as_mut()?;
    if spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    spec.ip_families.get_or_insert_with(|| vec!["IPv4".into()]);
    spec.ip_family_policy
        .get_or_insert_with(|| "SingleStack".into());
    let asked = spec.cluster_ip.clone().filter(|ip| !ip.is_empty());
    if let Some(ip) = asked {
        spec.cluster_ips.get_or_insert_with(|| vec![ip.clone()]);
        return None;
    }
    let used: Vec<String> = ctx
        .lookup
        .list("Service", None)
        .iter()
        .filter_map(|o| match &**o {
            Object::Service(s) => s.spec.as_ref().and_then(|s| s.cluster_ip.clone()),
            _ => None,
        })
        .collect();
    let (base, size) = SERVICE_CIDR;
    // Usable addresses exclude the network and broadcast addresses.
    let span = size - 2 - STATIC_BAND;
    let start = ctx.rng.below(u64::from(span)) as u32;
    let ip = (0..span)
        .map(|i| ipv4(base + 1 + STATIC_BAND + (start + i) % span))
        .find(|ip| !used.contains(ip))?;
    spec.cluster_ip = Some(ip.clone());
    spec.cluster_ips = Some(vec![ip.clone()]);
    Some(ip)
}

/// The NodePort range, `30000-32767`, as (first port, size).
const NODE_PORT_RANGE: (u32, u32) = (30000, 2768);
/// Its lower band kept for static ports (`calculateRangeOffset`: size/32 clamped to 16..=128).
const NODE_PORT_STATIC_BAND: u32 = 86;

/// What the Service REST storage does for a `NodePort` Service, or a `LoadBalancer` one with
/// `allocateLoadBalancerNodePorts` (the default): each port without a `nodePort` gets a random
/// free one from the dynamic band of 30000-32767. Returns the allocated ports.
pub fn allocate_node_ports(
    svc: &mut k8s_openapi::api::core::v1::Service,
    ctx: &mut RequestContext<'_>,
) -> Vec<i32> {
    let Some(spec) = svc.spec.as_mut() else {
        return Vec::new();
    };
    let wants = match spec.type_.as_deref() {
        Some("NodePort") => true,
        Some("LoadBalancer") => spec.allocate_load_balancer_node_ports.unwrap_or(true),
        _ => false,
    };
    if !wants {
        return Vec::new();
    }
    let mut used: Vec<i32> = ctx
        .lookup
        .list("Service", None)
        .iter()
        .filter_map(|o| match &**o {
            Object::Service(s) => s.spec.as_ref().and_then(|s| s.ports.clone()),
            _ => None,
        })
        .flatten()
        .filter_map(|p| p.node_port)
        .collect();
    used.extend(spec.ports.iter().flatten().filter_map(|p| p.node_port));
    let (base, size) = NODE_PORT_RANGE;
    let span = size - NODE_PORT_STATIC_BAND;
    let mut allocated = Vec::new();
    for port in spec.ports.iter_mut().flatten() {
        if port.node_port.is_some_and(|p| p != 0) {
            continue;
        }
        let start = ctx.rng.below(u64::from(span)) as u32;
        let Some(free) = (0..span)
            .map(|i| (base + NODE_PORT_STATIC_BAND + (start + i) % span) as i32)
            .find(|p| !used.contains(p))
        else {
            break;
        };
        used.push(free);
        port.node_port = Some(free);
        allocated.push(free);
    }
    allocated
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::admission::testing::{attrs, pod, MapLookup};
    use crate::apiserver::admission::Chain;
    use crate::apiserver::request::Verb;
    use crate::sim::SimTime;
    use k8s_openapi::api::core::v1::{Container, Pod, PodSchedulingGate, ResourceRequirements};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn resources(
        requests: &[(&str, &str)],
        limits: &[(&str, &str)],
    ) -> Option<ResourceRequirements> {
        let rl = |p: &[(&str, &str)]| {
            Some(
                p.iter()
                    .map(|(k, v)| (k.to_string(), K8sQuantity(v.to_string())))
                    .collect(),
            )
        };
        Some(ResourceRequirements {
            requests: rl(requests),
            limits: rl(limits),
            ..Default::default()
        })
    }

    #[test]
    fn qos_follows_requests_and_limits_including_init_containers() {
        let mut p = pod("x", &["a"]);
        let spec = p.spec.as_mut().unwrap();
        assert_eq!(qos_class(spec), "BestEffort");
        let both = [("cpu", "500m"), ("memory", "128Mi")];
        spec.containers[0].resources = resources(&both, &both);
        assert_eq!(qos_class(spec), "Guaranteed");
        spec.init_containers = Some(vec![Container {
            name: "init".into(),
            resources: resources(&[("cpu", "100m")], &[]),
            ..Default::default()
        }]);
        assert_eq!(qos_class(spec), "Burstable");
        spec.init_containers = None;
        spec.containers[0].resources = resources(&[("memory", "1Gi")], &[("memory", "2Gi")]);
        assert_eq!(qos_class(spec), "Burstable");
        // Only cpu and memory count, and only amounts above zero.
        spec.containers[0].resources = resources(
            &[("nvidia.com/gpu", "1"), ("cpu", "0")],
            &[("nvidia.com/gpu", "1")],
        );
        assert_eq!(qos_class(spec), "BestEffort");
        // A request unlike its limit, or a limit without a request, is not Guaranteed; equal
        // sums over two containers are.
        spec.containers[0].resources = resources(&[("cpu", "1")], &both);
        assert_eq!(qos_class(spec), "Burstable");
        spec.containers[0].resources = resources(&both, &both);
        spec.containers.push(Container {
            name: "b".into(),
            resources: resources(&[("cpu", "0.5"), ("memory", "128Mi")], &both),
            ..Default::default()
        });
        assert_eq!(qos_class(spec), "Guaranteed");
        spec.containers[1].resources = None;
        assert_eq!(qos_class(spec), "Burstable");
    }

    #[test]
    fn generated_names_cut_the_base_to_58_characters() {
        let mut rng = SimRng::new(3);
        let name = generate_name(&"a".repeat(70), &mut rng);
        assert_eq!(name.len(), 63);
        assert!(name.starts_with(&"a".repeat(58)));
        let name = generate_name("nginx-7c5ddbdf54-", &mut SimRng::new(3));
        assert_eq!(
            name,
            format!("nginx-7c5ddbdf54-{}", SimRng::new(3).name_suffix(5))
        );
    }

    #[test]
    fn a_gated_pod_is_marked_scheduling_gated() {
        let lookup = MapLookup::cluster();
        let mut rng = SimRng::new(1);
        let mut ctx = RequestContext {
            now: SimTime(0),
            rng: &mut rng,
            lookup: &lookup,
        };
        let mut p = pod("x", &["x"]);
        p.spec.as_mut().unwrap().scheduling_gates = Some(vec![PodSchedulingGate {
            name: "example.com/foo".into(),
        }]);
        let mut obj: Object = p.into();
        prepare_for_create(&mut obj, &mut ctx, true);
        assert_eq!(
            obj.to_json()["status"],
            json!({
                "phase": "Pending",
                "qosClass": "BestEffort",
                "conditions": [{
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "SchedulingGated",
                    "message": "Scheduling is blocked due to non-empty scheduling gates"
                }]
            })
        );
    }

    /// `kubectl run nginx --image=nginx` as decoded and defaulted (§a.1).
    fn kubectl_run_nginx() -> Pod {
        serde_json::from_value(json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "nginx", "namespace": "default", "labels": {"run": "nginx"}},
            "spec": {
                "containers": [{
                    "name": "nginx",
                    "image": "nginx",
                    "imagePullPolicy": "Always",
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
            },
            "status": {}
        }))
        .unwrap()
    }

    #[test]
    fn kubectl_run_nginx_is_stored_with_the_upstream_shape() {
        let lookup = MapLookup::cluster();
        let mut rng = SimRng::new(42);
        let mut ctx = RequestContext {
            now: SimTime(5_000),
            rng: &mut rng,
            lookup: &lookup,
        };
        let a = attrs(Verb::Create, "Pod", "default", "nginx");
        let chain = Chain::default();
        let mut obj: Object = kubectl_run_nginx().into();
        let report = chain.admit(&a, &mut obj, None, &mut ctx).unwrap();
        prepare_for_create(&mut obj, &mut ctx, true);
        let report = chain.validate(&a, &obj, None, &ctx, report).unwrap();
        assert!(report.warnings.is_empty());

        let mut expected_rng = SimRng::new(42);
        let volume = format!("kube-api-access-{}", expected_rng.name_suffix(5));
        let uid = expected_rng.uuid();
        assert_eq!(
            obj.to_json(),
            json!({
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": "nginx",
                    "namespace": "default",
                    "labels": {"run": "nginx"},
                    "uid": uid,
                    "generation": 1,
                    "creationTimestamp": "2025-04-23T00:00:05Z"
                },
                "spec": {
                    "containers": [{
                        "name": "nginx",
                        "image": "nginx",
                        "imagePullPolicy": "Always",
                        "resources": {},
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File",
                        "volumeMounts": [{
                            "name": volume,
                            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
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
                        "name": volume,
                        "projected": {
                            "defaultMode": 420,
                            "sources": [
                                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                                {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}
                            ]
                        }
                    }]
                },
                "status": {"phase": "Pending", "qosClass": "BestEffort"}
            })
        );
        let trace: Vec<(&str, usize)> = report
            .steps
            .iter()
            .map(|s| (s.plugin, s.changes.len()))
            .collect();
        assert_eq!(
            trace,
            vec![
                ("NamespaceLifecycle", 0),
                ("LimitRanger", 0),
                ("ServiceAccount", 3),
                ("Priority", 2),
                ("DefaultTolerationSeconds", 2),
                ("RuntimeClass", 0),
                ("LimitRanger", 0),
                ("PodSecurity", 1),
                ("Priority", 0),
                ("ResourceQuota", 0),
            ]
        );
    }

    #[test]
    fn a_rejection_keeps_the_trace_up_to_the_refusing_plugin() {
        let lookup = MapLookup::new();
        let mut rng = SimRng::new(1);
        let mut ctx = RequestContext {
            now: SimTime(0),
            rng: &mut rng,
            lookup: &lookup,
        };
        let a = attrs(Verb::Create, "Pod", "default", "nginx");
        let rejection = Chain::default()
            .admit(&a, &mut kubectl_run_nginx().into(), None, &mut ctx)
            .unwrap_err();
        assert_eq!(rejection.error.message, "namespaces \"default\" not found");
        assert_eq!(rejection.report.steps.len(), 1);
        assert_eq!(
            rejection.report.steps[0].rejected.as_deref(),
            Some("namespaces \"default\" not found")
        );
    }
}
