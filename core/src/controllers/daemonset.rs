//! The DaemonSet controller (`pkg/controller/daemon`): one pod per eligible node — the node
//! matches the template's node selector and affinity and the pod tolerates the node's
//! NoSchedule/NoExecute taints — pinned with a required node affinity on `metadata.name` and
//! bound by the default scheduler; surplus pods deleted; `SuccessfulCreate`/`SuccessfulDelete`
//! events and the DaemonSet's status counts.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::apiserver::authn;
use crate::apiserver::server::Target;
use crate::apiserver::UserInfo;
use crate::component::{Component, Ctx};
use crate::controllers::podutil::{self, controller_of, controller_ref, key_of};
use crate::controllers::template_hash::compute_hash;
use crate::controllers::workqueue::WorkQueue;
use crate::events::{object_reference, EventRecorder, EventType};
use crate::object::{kind_info, Object};
use crate::scheduler::selectors::{node_selector_terms_match, tolerates};
use crate::store::{WatchEvent, WatchFilter};

/// The controller's name (event source, service account `daemon-set-controller`).
pub const NAME: &str = "daemonset-controller";
/// Creations per sync start with one pod and double (`slowStartBatch`).
const SLOW_START_INITIAL_BATCH: usize = 1;
/// `BurstReplicas`: at most this many pods created, and this many deleted, per sync. The rest
/// wait for the next sync, which the new pods' watch events bring (upstream's expectations).
pub const BURST_REPLICAS: usize = 250;

/// The DaemonSet controller.
#[derive(Debug)]
pub struct DaemonSetController {
    user: UserInfo,
    recorder: EventRecorder,
    queue: WorkQueue,
}

impl Default for DaemonSetController {
    fn default() -> Self {
        DaemonSetController::new()
    }
}

/// The tolerations every daemon pod gets (`AddOrUpdateDaemonPodTolerations`).
fn daemon_tolerations(host_network: bool) -> Vec<(&'static str, &'static str)> {
    let mut t = vec![
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    if host_network {
        t.push(("node.kubernetes.io/network-unavailable", "NoSchedule"));
    }
    t
}

/// `NodeShouldRunDaemonPod`: node selector, required node affinity, and every NoSchedule or
/// NoExecute taint tolerated.
pub fn should_run(ds: &DaemonSet, node: &Node) -> bool {
    let spec = ds
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.clone())
        .unwrap_or_default();
    let name = node.metadata.name.as_deref().unwrap_or("");
    let labels = node.metadata.labels.as_ref();
    for (k, v) in spec.node_selector.iter().flatten() {
        if labels.and_then(|l| l.get(k)) != Some(v) {
            return false;
        }
    }
    if let Some(required) = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
    {
        if !node_selector_terms_match(&required.node_selector_terms, name, labels) {
            return false;
        }
    }
    let mut tolerations = spec.tolerations.clone().unwrap_or_default();
    for (key, effect) in daemon_tolerations(spec.host_network == Some(true)) {
        tolerations.push(Toleration {
            key: Some(key.into()),
            operator: Some("Exists".into()),
            effect: Some(effect.into()),
            ..Default::default()
        });
    }
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .into_iter()
        .flatten()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .all(|t| {
            tolerations
                .iter()
                .any(|tol| tolerates(tol, &t.key, t.value.as_deref().unwrap_or(""), &t.effect))
        })
}

/// The node a daemon pod is pinned to (its `metadata.name` affinity), or where it runs.
fn target_node(pod: &Pod) -> String {
    let pinned = pod
        .spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .and_then(|r| r.node_selector_terms.first())
        .and_then(|t| t.match_fields.as_ref())
        .and_then(|f| f.iter().find(|r| r.key == "metadata.name"))
        .and_then(|r| r.values.as_ref())
        .and_then(|v| v.first().cloned());
    pinned.unwrap_or_else(|| podutil::node_name(pod).to_string())
}

impl DaemonSetController {
    /// A controller running as `system:serviceaccount:kube-system:daemon-set-controller`.
    pub fn new() -> DaemonSetController {
        DaemonSetController {
            user: authn::controller("daemon-set-controller"),
            recorder: EventRecorder::new(NAME, ""),
            queue: WorkQueue::default(),
        }
    }

    fn record(
        &mut self,
        owner: &Object,
        type_: EventType,
        reason: &str,
        message: &str,
        ctx: &mut Ctx<'_>,
    ) {
        let write = self
            .recorder
            .record(ctx.now, object_reference(owner), type_, reason, message);
        ctx.event(write);
    }

    /// The daemon pod for `node`: the template, the revision labels, the `metadata.name`
    /// node affinity (`ReplaceDaemonSetPodNodeNameNodeAffinity`) and the daemon tolerations.
    fn pod_for(&self, ds: &DaemonSet, owner: &Object, node: &str) -> Pod {
        let (ns, name) = key_of(&ds.metadata);
        let template = ds
            .spec
            .as_ref()
            .map(|s| s.template.clone())
            .unwrap_or_default();
        let meta = template.metadata.clone().unwrap_or_default();
        let mut labels = meta.labels.clone().unwrap_or_default();
        labels.insert(
            "controller-revision-hash".into(),
            compute_hash(&template, None),
        );
        labels.insert(
            "pod-template-generation".into(),
            ds.metadata.generation.unwrap_or(1).to_string(),
        );
        let mut spec = template.spec.clone().unwrap_or_default();
        let term = NodeSelectorTerm {
            match_expressions: None,
            match_fields: Some(vec![NodeSelectorRequirement {
                key: "metadata.name".into(),
                operator: "In".into(),
                values: Some(vec![node.to_string()]),
            }]),
        };
        let affinity = spec.affinity.get_or_insert_with(Affinity::default);
        let node_affinity = affinity
            .node_affinity
            .get_or_insert_with(NodeAffinity::default);
        node_affinity.required_during_scheduling_ignored_during_execution = Some(NodeSelector {
            node_selector_terms: vec![term],
        });
        let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
        for (key, effect) in daemon_tolerations(spec.host_network == Some(true)) {
            let present = tolerations
                .iter()
                .any(|t| t.key.as_deref() == Some(key) && t.effect.as_deref() == Some(effect));
            if !present {
                tolerations.push(Toleration {
                    key: Some(key.into()),
                    operator: Some("Exists".into()),
                    effect: Some(effect.into()),
                    ..Default::default()
                });
            }
        }
        Pod {
            metadata: ObjectMeta {
                generate_name: Some(format!("{name}-")),
                namespace: Some(ns),
                labels: Some(labels),
                annotations: meta.annotations,
                owner_references: Some(vec![controller_ref(owner)]),
                ..Default::default()
            },
            spec: Some(spec),
            status: None,
        }
    }

    fn sync(&mut self, namespace: &str, name: &str, ctx: &mut Ctx<'_>) {
        let Some(live) = ctx.get("DaemonSet", namespace, name) else {
            return;
        };
        let Object::DaemonSet(ds) = &*live else {
            return;
        };
        let uid = ds.metadata.uid.clone().unwrap_or_default();
        // The informers' caches: shared objects, read in place.
        let node_objects = ctx.list("Node", None);
        let nodes: Vec<&Node> = node_objects
            .iter()
            .filter_map(|o| match &**o {
                Object::Node(n) => Some(&**n),
                _ => None,
            })
            .collect();
        let mut by_node: BTreeMap<String, Vec<Pod>> = BTreeMap::new();
        for o in ctx.list("Pod", Some(namespace)) {
            if let Object::Pod(p) = &*o {
                if podutil::is_active(p) && controller_of(&p.metadata).is_some_and(|r| r.uid == uid)
                {
                    by_node
                        .entry(target_node(p))
                        .or_default()
                        .push((**p).clone());
                }
            }
        }
        let mut to_create = Vec::new();
        let mut to_delete = Vec::new();
        let mut desired = 0;
        for node in &nodes {
            let node_name = node.metadata.name.clone().unwrap_or_default();
            let pods = by_node.remove(&node_name).unwrap_or_default();
            if should_run(ds, node) {
                desired += 1;
                if pods.is_empty() {
                    to_create.push(node_name);
                } else {
                    // Keep the oldest, delete duplicates.
                    let mut pods = pods;
                    pods.sort_by_key(|p| (podutil::created(&p.metadata), p.metadata.name.clone()));
                    to_delete.extend(pods.into_iter().skip(1));
                }
            } else {
                to_delete.extend(pods);
            }
        }
        // Pods pinned to nodes that no longer exist.
        to_delete.extend(by_node.into_values().flatten());
        // `syncNodes`: createDiff and deleteDiff capped at burstReplicas.
        to_create.truncate(BURST_REPLICAS);
        to_delete.truncate(BURST_REPLICAS);
        if ds.metadata.deletion_timestamp.is_none() {
            let mut remaining = to_create.len();
            let mut batch = remaining.min(SLOW_START_INITIAL_BATCH);
            let mut nodes_left = to_create.into_iter();
            'batches: while batch > 0 {
                for _ in 0..batch {
                    let Some(node) = nodes_left.next() else {
                        break 'batches;
                    };
                    let pod = self.pod_for(ds, &live, &node);
                    match ctx.create(Object::from(pod)) {
                        Ok(created) => {
                            let message = format!(
                                "Created pod: {}",
                                created.meta().name.as_deref().unwrap_or("")
                            );
                            self.record(
                                &live,
                                EventType::Normal,
                                "SuccessfulCreate",
                                &message,
                                ctx,
                            );
                        }
                        Err(e) => {
                            let message = format!("Error creating: {}", e.message);
                            self.record(&live, EventType::Warning, "FailedCreate", &message, ctx);
                            break 'batches;
                        }
                    }
                }
                remaining -= batch;
                batch = (2 * batch).min(remaining);
            }
            for pod in to_delete {
                let (ns, pod_name) = key_of(&pod.metadata);
                let Some(info) = kind_info("Pod") else {
                    continue;
                };
                let target = Target {
                    info,
                    namespace: &ns,
                    name: &pod_name,
                };
                if ctx.delete(target, None).is_ok() {
                    let message = format!("Deleted pod: {pod_name}");
                    self.record(&live, EventType::Normal, "SuccessfulDelete", &message, ctx);
                }
            }
        }
        self.update_status(ds, desired, &nodes, ctx);
    }

    /// `updateDaemonSetStatus`: scheduled, misscheduled, ready and available counts.
    fn update_status(&mut self, ds: &DaemonSet, desired: i32, nodes: &[&Node], ctx: &mut Ctx<'_>) {
        let uid = ds.metadata.uid.clone().unwrap_or_default();
        let min_ready = ds
            .spec
            .as_ref()
            .and_then(|s| s.min_ready_seconds)
            .unwrap_or(0);
        let generation = ds.metadata.generation.unwrap_or(1).to_string();
        let (mut current, mut misscheduled, mut ready, mut available, mut updated) =
            (0, 0, 0, 0, 0);
        // A set: each pod's node is looked up in it (a list made this quadratic in the nodes).
        let eligible: BTreeSet<&str> = nodes
            .iter()
            .filter(|n| should_run(ds, n))
            .filter_map(|n| n.metadata.name.as_deref())
            .collect();
        for o in ctx.list("Pod", ds.metadata.namespace.as_deref()) {
            let Object::Pod(p) = &*o else {
                continue;
            };
            if !podutil::is_active(p) || controller_of(&p.metadata).is_none_or(|r| r.uid != uid) {
                continue;
            }
            let node = podutil::node_name(p);
            if node.is_empty() {
                continue;
            }
            if eligible.contains(node) {
                current += 1;
                if podutil::is_ready(p) {
                    ready += 1;
                    if podutil::is_available(p, min_ready, ctx.now) {
                        available += 1;
                    }
                }
                let generation_label = p
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("pod-template-generation"));
                if generation_label == Some(&generation) {
                    updated += 1;
                }
            } else {
                misscheduled += 1;
            }
        }
        let nonzero = |n: i32| (n != 0).then_some(n);
        let status = DaemonSetStatus {
            current_number_scheduled: current,
            desired_number_scheduled: desired,
            number_misscheduled: misscheduled,
            number_ready: ready,
            number_available: nonzero(available),
            number_unavailable: nonzero(desired - available),
            updated_number_scheduled: nonzero(updated),
            observed_generation: ds.metadata.generation,
            collision_count: ds.status.as_ref().and_then(|s| s.collision_count),
            conditions: ds.status.as_ref().and_then(|s| s.conditions.clone()),
        };
        if ds.status.as_ref() != Some(&status) {
            let mut copy = ds.clone();
            copy.status = Some(status);
            let _ = ctx.update_status(Object::from(copy));
        }
    }
}

impl Component for DaemonSetController {
    fn name(&self) -> &str {
        NAME
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        vec![
            WatchFilter::prefix("/registry/daemonsets/"),
            WatchFilter::prefix("/registry/pods/"),
            WatchFilter::prefix("/registry/minions/"),
        ]
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        match &*event.object {
            Object::DaemonSet(ds) => {
                let key = key_of(&ds.metadata);
                self.queue.add(key, ctx);
            }
            Object::Pod(pod) => {
                if let Some(r) = controller_of(&pod.metadata).filter(|r| r.kind == "DaemonSet") {
                    let (ns, _) = key_of(&pod.metadata);
                    self.queue.add((ns, r.name.clone()), ctx);
                }
            }
            Object::Node(_) => {
                for o in ctx.list("DaemonSet", None) {
                    let key = key_of(o.meta());
                    self.queue.add(key, ctx);
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, _token: u64, ctx: &mut Ctx<'_>) {
        if let Some((ns, name)) = self.queue.take_next(ctx) {
            self.sync(&ns, &name, ctx);
        }
    }
}
