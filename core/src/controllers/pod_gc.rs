//! The pod garbage collector (k/k `pkg/controller/podgc`, `pod-garbage-collector`): every 20 s
//! it force-deletes pods bound to a node that no longer exists once the node has been missing
//! for the 40 s quarantine (`gcOrphaned`: phase Failed and `DisruptionTarget=True`
//! `DeletionByPodGC` / `PodGC: node no longer exists` first), terminating pods that were never
//! scheduled (`gcUnscheduledTerminating`), terminating pods on a not-ready node carrying the
//! `node.kubernetes.io/out-of-service` taint (`gcTerminating`), and the oldest finished pods
//! above the 12,500 threshold (`gcTerminated`). It records no Events, as upstream.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod, PodCondition};

use crate::apiserver::server::Target;
use crate::apiserver::{authn, UserInfo};
use crate::component::{Component, Ctx};
use crate::controllers::pod_gc_index::PodGcIndex;
use crate::controllers::podutil::as_pod;
use crate::object::{kind_info, Object};
use crate::overview::POD_PREFIX;
use crate::sim::{SimDuration, SimTime};
use crate::store::{WatchEvent, WatchFilter};
use crate::trace::Stage;

/// The controller's name: its service account.
pub const CONTROLLER_NAME: &str = "pod-garbage-collector";
/// `gcCheckPeriod`.
const GC_PERIOD: SimDuration = SimDuration::secs(20);
/// `quarantineTime`: how long a node must be missing before its pods are orphans.
const QUARANTINE: SimDuration = SimDuration::secs(40);
/// `--terminated-pod-gc-threshold`'s default.
const TERMINATED_THRESHOLD: usize = 12_500;

/// The pod garbage collector.
#[derive(Debug)]
pub struct PodGcController {
    user: UserInfo,
    /// Missing nodes and when they are out of quarantine (`nodeQueue.AddAfter`).
    quarantine: BTreeMap<String, SimTime>,
    armed: bool,
    /// Its pod informer's cache, as much of it as a pass reads.
    index: PodGcIndex,
}

impl Default for PodGcController {
    fn default() -> Self {
        PodGcController::new()
    }
}

impl PodGcController {
    /// The controller; its first pass runs when it starts.
    pub fn new() -> PodGcController {
        PodGcController {
            user: authn::controller(CONTROLLER_NAME),
            quarantine: BTreeMap::new(),
            armed: false,
            index: PodGcIndex::default(),
        }
    }

    /// One `gc` pass over the informer's cache: the pods it can act on, as they are at the
    /// start of the pass.
    fn gc(&mut self, ctx: &mut Ctx<'_>) {
        let node_objects = ctx.list("Node", None);
        let nodes: BTreeMap<&str, &Node> = node_objects
            .iter()
            .filter_map(|o| match &**o {
                Object::Node(n) => Some((n.metadata.name.as_deref().unwrap_or_default(), &**n)),
                _ => None,
            })
            .collect();
        let read = |keys: &mut dyn Iterator<Item = &str>| -> Vec<Arc<Object>> {
            keys.filter_map(|k| ctx.get_by_key(k)).collect()
        };
        // Finished pods are read only when there are more than the threshold.
        let finished = if self.index.finished().len() > TERMINATED_THRESHOLD {
            read(&mut self.index.finished().iter().map(String::as_str))
        } else {
            Vec::new()
        };
        let terminating = read(&mut self.index.terminating().iter().map(String::as_str));
        let on_missing_nodes: BTreeMap<String, Vec<Arc<Object>>> = self
            .index
            .nodes()
            .filter(|n| !nodes.contains_key(n))
            .map(|n| (n.to_string(), read(&mut self.index.pods_on(n))))
            .collect();
        self.gc_terminated(&as_pods(&finished), ctx);
        let terminating = as_pods(&terminating);
        self.gc_terminating(&terminating, &nodes, ctx);
        let on_missing_nodes: BTreeMap<&str, Vec<&Pod>> = on_missing_nodes
            .iter()
            .map(|(n, objects)| (n.as_str(), as_pods(objects)))
            .collect();
        self.gc_orphaned(&on_missing_nodes, ctx);
        self.gc_unscheduled_terminating(&terminating, ctx);
    }

    /// `gcTerminated`: above the threshold, the oldest finished pods go.
    fn gc_terminated(&mut self, pods: &[&Pod], ctx: &mut Ctx<'_>) {
        let mut finished: Vec<&Pod> = pods
            .iter()
            .copied()
            .filter(|p| {
                matches!(
                    p.status.as_ref().and_then(|s| s.phase.as_deref()),
                    Some("Succeeded" | "Failed")
                )
            })
            .collect();
        let excess = finished.len().saturating_sub(TERMINATED_THRESHOLD);
        if excess == 0 {
            return;
        }
        finished.sort_by_key(|p| {
            p.metadata
                .creation_timestamp
                .as_ref()
                .map(SimTime::from_k8s_time)
        });
        for pod in finished.into_iter().take(excess) {
            self.force_delete(pod, None, ctx);
        }
    }

    /// `gcTerminating`: terminating pods on a not-ready node with the out-of-service taint.
    fn gc_terminating(&mut self, pods: &[&Pod], nodes: &BTreeMap<&str, &Node>, ctx: &mut Ctx<'_>) {
        for pod in pods
            .iter()
            .filter(|p| p.metadata.deletion_timestamp.is_some())
        {
            let Some(node) = pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.as_ref())
                .and_then(|n| nodes.get(n.as_str()))
            else {
                continue;
            };
            let ready = node
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
                .is_some_and(|c| c.status == "True");
            let out_of_service = node
                .spec
                .as_ref()
                .and_then(|s| s.taints.as_ref())
                .is_some_and(|t| {
                    t.iter().any(|t| {
                        t.key == "node.kubernetes.io/out-of-service" && t.effect == "NoExecute"
                    })
                });
            if !ready && out_of_service {
                let condition = disruption("DeletionByPodGC", "PodGC: node no longer exists");
                self.force_delete(pod, Some(condition), ctx);
            }
        }
    }

    /// `gcOrphaned`: pods on a node missing for the whole quarantine (`pods` are the pods on
    /// each node some pod is bound to and the node list lacks).
    fn gc_orphaned(&mut self, pods: &BTreeMap<&str, Vec<&Pod>>, ctx: &mut Ctx<'_>) {
        for node in pods.keys() {
            if !self.quarantine.contains_key(*node) {
                self.quarantine
                    .insert(node.to_string(), ctx.now.plus(QUARANTINE));
            }
        }
        let due: Vec<String> = self
            .quarantine
            .iter()
            .filter(|(_, at)| **at <= ctx.now)
            .map(|(n, _)| n.clone())
            .collect();
        for node in due {
            self.quarantine.remove(&node);
            // `discoverDeletedNodes`: a live GET, not the cache.
            if ctx.get("Node", "", &node).is_some() {
                continue;
            }
            for pod in pods.get(node.as_str()).into_iter().flatten() {
                let condition = disruption("DeletionByPodGC", "PodGC: node no longer exists");
                self.force_delete(pod, Some(condition), ctx);
            }
        }
    }

    /// `gcUnscheduledTerminating`: terminating pods that no node will ever finish.
    fn gc_unscheduled_terminating(&mut self, pods: &[&Pod], ctx: &mut Ctx<'_>) {
        for pod in pods.iter().filter(|p| {
            p.metadata.deletion_timestamp.is_some()
                && p.spec
                    .as_ref()
                    .and_then(|s| s.node_name.as_deref())
                    .is_none_or(str::is_empty)
        }) {
            self.force_delete(pod, None, ctx);
        }
    }

    /// `markFailedAndDeletePodWithCondition`: phase Failed (and the condition) unless finished,
    /// then a delete with grace period 0.
    fn force_delete(&mut self, pod: &Pod, condition: Option<PodCondition>, ctx: &mut Ctx<'_>) {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        if !matches!(phase, Some("Succeeded" | "Failed")) {
            let mut pod = pod.clone();
            let status = pod.status.get_or_insert_with(Default::default);
            status.phase = Some("Failed".into());
            if let Some(mut c) = condition {
                c.last_transition_time = Some(ctx.now.to_k8s_time());
                let conditions = status.conditions.get_or_insert_with(Vec::new);
                conditions.retain(|x| x.type_ != c.type_);
                conditions.push(c);
            }
            if ctx.update_status(Object::from(pod)).is_err() {
                return;
            }
        }
        ctx.trace(
            Stage::Controller,
            format!("Pod/{namespace}/{name}"),
            "PodGC is force deleting Pod",
        );
        if let Some(info) = kind_info("Pod") {
            let _ = ctx.delete(
                Target {
                    info,
                    namespace: &namespace,
                    name: &name,
                },
                Some(0),
            );
        }
    }
}

/// The pods among `objects`.
fn as_pods(objects: &[Arc<Object>]) -> Vec<&Pod> {
    objects.iter().filter_map(|o| as_pod(o)).collect()
}

fn disruption(reason: &str, message: &str) -> PodCondition {
    PodCondition {
        type_: "DisruptionTarget".into(),
        status: "True".into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        ..Default::default()
    }
}

impl Component for PodGcController {
    fn name(&self) -> &str {
        CONTROLLER_NAME
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        // Its informers: pods fill its cache; a node's event makes sure a pass is armed (the
        // pass reads the nodes as they are).
        vec![
            WatchFilter::prefix("/registry/minions/"),
            WatchFilter::prefix(POD_PREFIX),
        ]
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        if event.key.starts_with(POD_PREFIX) {
            self.index.apply(event);
            return;
        }
        if !self.armed {
            self.armed = true;
            self.gc(ctx);
            ctx.after(GC_PERIOD, 0);
        }
    }

    fn on_timer(&mut self, _token: u64, ctx: &mut Ctx<'_>) {
        self.gc(ctx);
        ctx.after(GC_PERIOD, 0);
    }
}
