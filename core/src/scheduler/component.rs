//! kube-scheduler as a component: it learns of pods and nodes only through store watches, keeps
//! its scheduling queue, runs one scheduling cycle per pod, binds through the API server's
//! `binding` subresource and reports `Scheduled` / `FailedScheduling` events and the PodScheduled
//! condition exactly as `schedule_one.go` does.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Pod, PodCondition};

use crate::apiserver::authn;
use crate::apiserver::server::Target;
use crate::apiserver::UserInfo;
use crate::component::{Component, Ctx};
use crate::events::{object_reference, EventType, SeriesEventRecorder};
use crate::object::{kind_info, Object, PodRef};
use crate::scheduler::cache::Cache;
use crate::scheduler::cycle::{schedule_one_remembering, FitError};
use crate::scheduler::decision::Decision;
use crate::scheduler::framework::{pod_key, ClusterSnapshot};
use crate::scheduler::queue::{ClusterEvent, SchedulingQueue};
use crate::scheduler::registry::Profile;
use crate::scheduler::verdict_memo::VerdictMemo;
use crate::sim::{SimDuration, SimTime};
use crate::store::{WatchEvent, WatchEventType, WatchFilter};
use crate::trace::Stage;

/// The scheduler's name in `spec.schedulerName`, events and traces.
pub const SCHEDULER_NAME: &str = "default-scheduler";
/// FailedScheduling messages are cut to this many bytes (`" ..."` appended), as upstream.
const MAX_MESSAGE: usize = 1024;
/// How long one scheduling cycle takes in virtual time.
const CYCLE: SimDuration = SimDuration::millis(1);
/// How many decision records are kept (the latest per pod).
const MAX_DECISIONS: usize = 1024;

const TOKEN_CYCLE: u64 = 1;
const TOKEN_MAINTAIN: u64 = 2;

/// The default scheduler.
#[derive(Debug)]
pub struct KubeScheduler {
    user: UserInfo,
    profile: Profile,
    queue: SchedulingQueue,
    /// Nodes and the pods bound to them, kept current from watch events.
    cache: Cache,
    /// What the next cycle reads: brought up to date from the cache before each cycle. Its
    /// claims are kept here directly.
    snapshot: ClusterSnapshot,
    /// Unbound pods with a `status.nominatedNodeName`, by pod key.
    nominated: BTreeMap<String, Pod>,
    next_start_index: usize,
    /// What the node-local plugins said of each node for the last pod spec.
    memo: VerdictMemo,
    recorder: SeriesEventRecorder,
    decisions: BTreeMap<String, Decision>,
    cycle_due: Option<SimTime>,
    maintain_due: Option<SimTime>,
}

impl KubeScheduler {
    /// A scheduler with the default profile, started at `now`.
    pub fn new(profile: Profile, now: SimTime) -> KubeScheduler {
        KubeScheduler {
            user: authn::kube_scheduler(),
            profile,
            queue: SchedulingQueue::new(),
            cache: Cache::new(),
            snapshot: ClusterSnapshot::default(),
            nominated: BTreeMap::new(),
            next_start_index: 0,
            memo: VerdictMemo::new(),
            recorder: SeriesEventRecorder::new(SCHEDULER_NAME, "control-plane", now),
            decisions: BTreeMap::new(),
            cycle_due: None,
            maintain_due: None,
        }
    }

    /// The latest scheduling decision recorded for a pod (`namespace/name`).
    pub fn decision(&self, pod: &str) -> Option<&Decision> {
        self.decisions.get(pod)
    }

    fn arm_cycle(&mut self, ctx: &mut Ctx<'_>, at: SimTime) {
        if self.cycle_due.is_some_and(|due| due <= at) {
            return;
        }
        self.cycle_due = Some(at);
        ctx.after(at.since(ctx.now), TOKEN_CYCLE);
    }

    fn arm_maintenance(&mut self, ctx: &mut Ctx<'_>) {
        let at = self.recorder.next_maintenance();
        if self.maintain_due.is_none_or(|due| due > at) {
            self.maintain_due = Some(at);
            ctx.after(at.since(ctx.now), TOKEN_MAINTAIN);
        }
    }

    fn on_pod(&mut self, event: &WatchEvent, pod: &Pod, ctx: &mut Ctx<'_>) {
        // The watched object itself, shared rather than copied.
        let shared = |event: &WatchEvent, pod: &Pod| {
            PodRef::from_object(&event.object).unwrap_or_else(|| PodRef::new(pod.clone()))
        };
        let key = pod_key(pod);
        let bound = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .is_some_and(|n| !n.is_empty());
        let ours = pod
            .spec
            .as_ref()
            .and_then(|s| s.scheduler_name.as_deref())
            .unwrap_or(SCHEDULER_NAME)
            == SCHEDULER_NAME;
        let nominated = pod
            .status
            .as_ref()
            .and_then(|s| s.nominated_node_name.as_deref())
            .is_some_and(|n| !n.is_empty());
        if nominated && !bound && event.type_ != WatchEventType::Deleted {
            self.nominated.insert(key.clone(), pod.clone());
        } else {
            self.nominated.remove(&key);
        }
        match event.type_ {
            WatchEventType::Deleted => {
                self.queue.delete(&key);
                // The decision record is for the UI's pod panel: a deleted pod has none.
                self.decisions.remove(&key);
                if self.cache.has_pod(&key) {
                    self.cache.remove_pod(&key);
                    self.queue.on_event(ClusterEvent::PodDelete, ctx.now);
                }
            }
            _ if bound => {
                self.queue.delete(&key);
                let new = !self.cache.has_pod(&key);
                self.cache.upsert_pod(&event.object);
                let change = if new {
                    ClusterEvent::PodAdd
                } else {
                    ClusterEvent::PodUpdate
                };
                self.queue.on_event(change, ctx.now);
            }
            _ if !ours || pod.metadata.deletion_timestamp.is_some() => {}
            WatchEventType::Added => self.queue.add(&self.profile, shared(event, pod), ctx.now),
            WatchEventType::Modified => {
                self.queue
                    .update(&self.profile, shared(event, pod), ctx.now)
            }
        }
    }

    fn schedule_next(&mut self, ctx: &mut Ctx<'_>) {
        self.queue.flush(ctx.now);
        let Some(queued) = self.queue.pop(&self.profile, ctx.now) else {
            // Nothing to schedule now (a watch event armed this cycle): the snapshot lets go of
            // its node states, and the next cycle takes them from the cache again. Kept, a
            // state the cache replaced would keep the older version of each of its pods until
            // that cycle: once the last pod is scheduled, the kubelets' status writes would
            // leave a second version of nearly every pod alive. Released, the cache also
            // changes its states in place instead of copying them.
            self.snapshot.release_nodes();
            if let Some(at) = self.queue.next_wakeup() {
                self.arm_cycle(ctx, at.max(ctx.now));
            }
            return;
        };
        let pod = queued.pod.clone();
        let key = pod_key(&pod);
        self.cache.update_snapshot(&mut self.snapshot);
        if !self.nominated.is_empty() || !self.snapshot.nominated.is_empty() {
            self.snapshot.nominated.clear();
            for p in self.nominated.values() {
                if let Some(node) = p
                    .status
                    .as_ref()
                    .and_then(|s| s.nominated_node_name.clone())
                {
                    self.snapshot
                        .nominated
                        .entry(node)
                        .or_default()
                        .push(p.clone());
                }
            }
        }
        let total_nodes = self.snapshot.nodes.len();
        let object = ["Pod/", &key].concat();
        match schedule_one_remembering(
            &pod,
            &self.snapshot,
            &self.profile,
            &mut self.next_start_index,
            ctx.rng,
            &mut self.memo,
        ) {
            Ok(result) => {
                ctx.trace(
                    Stage::Scheduling,
                    &object,
                    format!(
                        "{} of {} nodes evaluated, {} feasible; selected {}",
                        result.evaluated_nodes,
                        total_nodes,
                        result.feasible_nodes,
                        result.suggested_host
                    ),
                );
                self.keep_decision(&key, result.decision);
                self.bind(&pod, &result.suggested_host, ctx);
            }
            Err(mut fit) => {
                ctx.trace(Stage::Scheduling, &object, format!("unschedulable: {fit}"));
                let plugins = fit.diagnosis.unschedulable_plugins.clone();
                self.keep_decision(&key, *std::mem::take(&mut fit.decision));
                self.fail(&pod, &fit, ctx);
                self.queue.add_unschedulable(queued, plugins, ctx.now);
            }
        }
        self.arm_cycle(ctx, ctx.now.plus(CYCLE));
    }

    fn keep_decision(&mut self, key: &str, decision: Decision) {
        if self.decisions.len() >= MAX_DECISIONS && !self.decisions.contains_key(key) {
            if let Some(first) = self.decisions.keys().next().cloned() {
                self.decisions.remove(&first);
            }
        }
        self.decisions.insert(key.to_string(), decision);
    }

    fn bind(&mut self, pod: &Pod, node: &str, ctx: &mut Ctx<'_>) {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        match ctx.bind(&ns, &name, node) {
            Ok(bound) => {
                self.cache.assume_pod(&bound);
                let write = self.recorder.record(
                    ctx.now,
                    object_reference(&bound),
                    None,
                    EventType::Normal,
                    "Scheduled",
                    "Binding",
                    &format!("Successfully assigned {ns}/{name} to {node}"),
                );
                ctx.event(write);
                self.arm_maintenance(ctx);
            }
            Err(e) => {
                ctx.trace(
                    Stage::Binding,
                    format!("Pod/{ns}/{name}"),
                    format!("binding rejected: {}", e.message),
                );
            }
        }
    }

    fn fail(&mut self, pod: &Pod, fit: &FitError, ctx: &mut Ctx<'_>) {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let mut message = fit.to_string();
        if message.len() > MAX_MESSAGE {
            let kept = crate::text::prefix_bytes(&message, MAX_MESSAGE - 4).len();
            message.truncate(kept);
            message.push_str(" ...");
        }
        let Some(live) = ctx.get("Pod", &ns, &name) else {
            return;
        };
        // DefaultPreemption's PostFilter has already evicted the victims when the failure is
        // handled: each gets the DisruptionTarget condition, is deleted gracefully, and a
        // `Preempted` event names the preemptor's UID and the node.
        if let Some(preemption) = &fit.preemption {
            for victim in &preemption.victims {
                let vns = victim.metadata.namespace.clone().unwrap_or_default();
                let vname = victim.metadata.name.clone().unwrap_or_default();
                let Some(info) = kind_info("Pod") else {
                    continue;
                };
                let Some(live_victim) = ctx.get("Pod", &vns, &vname) else {
                    continue;
                };
                if let Object::Pod(mut v) = (*live_victim).clone() {
                    let status = v.status.get_or_insert_with(Default::default);
                    let conditions = status.conditions.get_or_insert_with(Vec::new);
                    if !conditions
                        .iter()
                        .any(|c| c.type_ == "DisruptionTarget" && c.status == "True")
                    {
                        conditions.retain(|c| c.type_ != "DisruptionTarget");
                        conditions.push(PodCondition {
                            type_: "DisruptionTarget".into(),
                            status: "True".into(),
                            reason: Some("PreemptionByScheduler".into()),
                            message: Some(format!(
                                "{SCHEDULER_NAME}: preempting to accommodate a higher priority pod"
                            )),
                            last_transition_time: Some(ctx.now.to_k8s_time()),
                            ..Default::default()
                        });
                        let _ = ctx.update_status(Object::Pod(v));
                    }
                }
                let _ = ctx.delete(
                    Target {
                        info,
                        namespace: &vns,
                        name: &vname,
                    },
                    None,
                );
                let write = self.recorder.record(
                    ctx.now,
                    object_reference(&live_victim),
                    Some(object_reference(&live)),
                    EventType::Normal,
                    "Preempted",
                    "Preempting",
                    &format!(
                        "Preempted by pod {} on node {}",
                        live.meta().uid.clone().unwrap_or_default(),
                        preemption.nominated_node
                    ),
                );
                ctx.event(write);
            }
        }
        let reason = if fit.internal.is_some() {
            "SchedulerError"
        } else {
            "Unschedulable"
        };
        let write = self.recorder.record(
            ctx.now,
            object_reference(&live),
            None,
            EventType::Warning,
            "FailedScheduling",
            "Scheduling",
            &message,
        );
        ctx.event(write);
        self.arm_maintenance(ctx);
        if let Object::Pod(p) = &*live {
            // Only the status is copied: it is sent as a status patch (upstream `PatchPodStatus`).
            let mut status = p.status.clone().unwrap_or_default();
            let conditions = status.conditions.get_or_insert_with(Vec::new);
            let unchanged = conditions.iter().any(|c| {
                c.type_ == "PodScheduled"
                    && c.status == "False"
                    && c.reason.as_deref() == Some(reason)
                    && c.message.as_deref() == Some(message.as_str())
            });
            if !unchanged {
                conditions.retain(|c| c.type_ != "PodScheduled");
                conditions.push(PodCondition {
                    type_: "PodScheduled".into(),
                    status: "False".into(),
                    reason: Some(reason.into()),
                    message: Some(message.clone()),
                    last_transition_time: Some(ctx.now.to_k8s_time()),
                    ..Default::default()
                });
            }
            if let Some(preemption) = &fit.preemption {
                status.nominated_node_name = Some(preemption.nominated_node.clone());
            }
            if !unchanged || fit.preemption.is_some() {
                let _ = ctx.patch_pod_status(p, status);
            }
        }
    }
}

impl Component for KubeScheduler {
    fn name(&self) -> &str {
        "kube-scheduler"
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        vec![
            WatchFilter::prefix("/registry/minions/"),
            WatchFilter::prefix("/registry/pods/"),
            WatchFilter::prefix("/registry/persistentvolumeclaims/"),
        ]
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        match &*event.object {
            Object::Node(node) => match event.type_ {
                WatchEventType::Deleted => {
                    self.cache
                        .remove_node(node.metadata.name.as_deref().unwrap_or_default());
                }
                WatchEventType::Added => {
                    self.cache.upsert_node(node);
                    self.queue.on_event(ClusterEvent::NodeAdd, ctx.now);
                }
                WatchEventType::Modified => {
                    self.cache.upsert_node(node);
                    self.queue.on_event(ClusterEvent::NodeUpdate, ctx.now);
                }
            },
            Object::Pod(pod) => self.on_pod(event, pod, ctx),
            Object::PersistentVolumeClaim(pvc) => {
                let key = format!(
                    "{}/{}",
                    pvc.metadata.namespace.clone().unwrap_or_default(),
                    pvc.metadata.name.clone().unwrap_or_default()
                );
                if event.type_ == WatchEventType::Deleted {
                    self.snapshot.pvcs.remove(&key);
                } else {
                    self.snapshot.pvcs.insert(key, (**pvc).clone());
                }
                self.queue.on_event(ClusterEvent::VolumeChange, ctx.now);
            }
            _ => {}
        }
        self.arm_cycle(ctx, ctx.now);
    }

    fn scheduling_decision(&self, pod: &str) -> Option<&Decision> {
        self.decision(pod)
    }

    fn on_timer(&mut self, token: u64, ctx: &mut Ctx<'_>) {
        match token {
            TOKEN_CYCLE => {
                if self.cycle_due.is_some_and(|due| due <= ctx.now) {
                    self.cycle_due = None;
                }
                self.schedule_next(ctx);
            }
            TOKEN_MAINTAIN => {
                self.maintain_due = None;
                let writes = self.recorder.maintain(ctx.now);
                let wrote = !writes.is_empty();
                for write in writes {
                    ctx.event(Some(write));
                }
                if wrote {
                    self.arm_maintenance(ctx);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use k8s_openapi::api::core::v1::PodStatus;

    use super::*;
    use crate::apiserver::server::ApiServer;
    use crate::scheduler::testutil::{node, on, pod};
    use crate::sim::SimRng;
    use crate::trace::Trace;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Hands the scheduler the watch event of a write of `object` (over `old`), then runs the
    /// cycle the event arms.
    fn deliver(
        s: &mut KubeScheduler,
        api: &mut ApiServer,
        rng: &mut SimRng,
        object: &Arc<Object>,
        old: Option<&Arc<Object>>,
    ) {
        let meta = object.meta();
        let event = WatchEvent {
            type_: if old.is_some() {
                WatchEventType::Modified
            } else {
                WatchEventType::Added
            },
            revision: meta
                .resource_version
                .as_deref()
                .and_then(|rv| rv.parse().ok())
                .unwrap_or_default(),
            key: format!(
                "/registry/{}/{}",
                if matches!(**object, Object::Node(_)) {
                    "minions"
                } else {
                    "pods/default"
                },
                meta.name.as_deref().unwrap_or_default()
            )
            .into(),
            object: Arc::clone(object),
            old: old.cloned(),
        };
        let mut trace = Trace::default();
        let user = s.user().clone();
        let mut ctx = Ctx::new(SimTime::ZERO, rng, api, &mut trace, SCHEDULER_NAME, &user);
        s.on_watch(&event, &mut ctx);
        s.on_timer(TOKEN_CYCLE, &mut ctx);
    }

    #[test]
    fn with_nothing_to_schedule_the_scheduler_keeps_no_older_version_of_a_pod() {
        let mut api = ApiServer::default();
        let mut rng = SimRng::new(1);
        let mut s = KubeScheduler::new(Profile::default_scheduler(), SimTime::ZERO);
        let mut stored = |o: Object| api.bootstrap(o, SimTime::ZERO, &mut rng);
        // The bootstrap RBAC policy lets the scheduler bind.
        for o in crate::apiserver::bootstrap::objects() {
            let _ = stored(o);
        }
        let n = stored(Object::from(node("node-1", "4", "8Gi"))).expect("node stored");
        let pending = stored(Object::from(pod("pending", "", ""))).expect("pod stored");
        // A pod the scheduler learns of from its watch only (the API server's history and
        // change log would keep any version it stored).
        let version = |rv: &str, phase: &str| {
            let mut p = on(pod("running", "", ""), "node-1");
            p.metadata.resource_version = Some(rv.into());
            p.status = Some(PodStatus {
                phase: Some(phase.into()),
                ..PodStatus::default()
            });
            Arc::new(Object::from(p))
        };
        let first = version("100", "Pending");
        deliver(&mut s, &mut api, &mut rng, &n, None);
        deliver(&mut s, &mut api, &mut rng, &first, None);
        // A cycle schedules the pending pod: its snapshot holds node-1 with `running` as it
        // was then.
        deliver(&mut s, &mut api, &mut rng, &pending, None);
        let bound = api.get("Pod", "default", "pending").expect("pod");
        let Object::Pod(bound) = &*bound else {
            panic!("not a pod")
        };
        let node_name = bound.spec.as_ref().and_then(|s| s.node_name.as_deref());
        assert_eq!(node_name, Some("node-1"));

        // The kubelet writes `running`'s status, and nothing is left to schedule: the cycle
        // the watch event arms keeps no node state that holds the older version.
        let kept = Arc::downgrade(&first);
        let second = version("101", "Running");
        deliver(&mut s, &mut api, &mut rng, &second, Some(&first));
        drop(first);
        assert!(kept.upgrade().is_none());
        assert!(s.cache.has_pod("default/running"));
    }
}
