//! The Job controller (`pkg/controller/job`, NonIndexed completion mode): keeps
//! `min(parallelism, completions − succeeded)` pods active, tracks finished pods with the
//! `batch.kubernetes.io/job-tracking` finalizer, recreates failed pods after the exponential
//! back-off (10 s doubling, capped at 6 min), fails the Job past `backoffLimit` and completes
//! it at `completions` with `SuccessCriteriaMet` then `Complete` and a `Completed` event.

use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus, UncountedTerminatedPods};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::apiserver::authn;
use crate::apiserver::server::Target;
use crate::apiserver::UserInfo;
use crate::component::{Component, Ctx};
use crate::controllers::podutil::{self, controller_of, controller_ref, key_of};
use crate::controllers::workqueue::WorkQueue;
use crate::events::{object_reference, EventRecorder, EventType};
use crate::object::{kind_info, Object};
use crate::sim::{SimDuration, SimTime};
use crate::store::{WatchEvent, WatchFilter};

/// The controller's name (event source, service account).
pub const NAME: &str = "job-controller";
/// The finalizer that keeps a Job's pods until they are counted.
pub const TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";
/// `DefaultJobPodFailureBackOff`.
const BACKOFF_BASE: SimDuration = SimDuration::secs(10);
/// `MaxJobPodFailureBackOff`.
const BACKOFF_MAX: SimDuration = SimDuration::mins(6);
/// `MaxPodCreateDeletePerSync`: the most pods one sync creates, or deletes as excess; the
/// next sync, which the new pods' events bring, does the rest.
pub const MAX_POD_CREATE_DELETE_PER_SYNC: usize = 500;
const COMPLETIONS_REACHED: &str = "Reached expected number of succeeded pods";
const BACKOFF_EXCEEDED: &str = "Job has reached the specified backoff limit";

/// The Job controller.
#[derive(Debug)]
pub struct JobController {
    user: UserInfo,
    recorder: EventRecorder,
    queue: WorkQueue,
}

impl Default for JobController {
    fn default() -> Self {
        JobController::new()
    }
}

fn condition(status: &JobStatus, type_: &str) -> bool {
    status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == type_ && c.status == "True")
}

fn new_condition(type_: &str, reason: &str, message: &str, now: SimTime) -> JobCondition {
    JobCondition {
        type_: type_.into(),
        status: "True".into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_probe_time: Some(now.to_k8s_time()),
        last_transition_time: Some(now.to_k8s_time()),
    }
}

/// When a finished pod finished: its Ready condition's last transition, else its creation.
fn finished_at(pod: &Pod) -> SimTime {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .and_then(|c| c.last_transition_time.as_ref())
        .map(SimTime::from_k8s_time)
        .unwrap_or_else(|| podutil::created(&pod.metadata))
}

impl JobController {
    /// A controller running as `system:serviceaccount:kube-system:job-controller`.
    pub fn new() -> JobController {
        JobController {
            user: authn::controller(NAME),
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

    fn sync(&mut self, namespace: &str, name: &str, ctx: &mut Ctx<'_>) {
        let Some(live) = ctx.get("Job", namespace, name) else {
            return;
        };
        let Object::Job(job) = &*live else {
            return;
        };
        let mut status = job.status.clone().unwrap_or_default();
        if condition(&status, "Complete") || condition(&status, "Failed") {
            return;
        }
        let uid = job.metadata.uid.clone().unwrap_or_default();
        let spec = job.spec.clone().unwrap_or_default();
        let owned: Vec<Pod> = ctx
            .list("Pod", Some(namespace))
            .iter()
            .filter_map(|o| match &**o {
                Object::Pod(p) if controller_of(&p.metadata).is_some_and(|r| r.uid == uid) => {
                    Some((**p).clone())
                }
                _ => None,
            })
            .collect();
        if status.start_time.is_none() {
            status.start_time = Some(ctx.now.to_k8s_time());
        }
        // Count finished pods still carrying the tracking finalizer, then release them.
        let mut last_failure: Option<SimTime> = None;
        for pod in &owned {
            let phase = podutil::phase(pod);
            if !matches!(phase, "Succeeded" | "Failed") {
                continue;
            }
            if phase == "Failed" {
                let at = finished_at(pod);
                last_failure = Some(last_failure.map_or(at, |t: SimTime| t.max(at)));
            }
            let tracked = pod
                .metadata
                .finalizers
                .iter()
                .flatten()
                .any(|f| f == TRACKING_FINALIZER);
            if !tracked {
                continue;
            }
            let mut released = pod.clone();
            if let Some(f) = released.metadata.finalizers.as_mut() {
                f.retain(|x| x != TRACKING_FINALIZER);
            }
            if ctx.patch(Object::from(released)).is_ok() {
                if phase == "Succeeded" {
                    status.succeeded = Some(status.succeeded.unwrap_or(0) + 1);
                } else {
                    status.failed = Some(status.failed.unwrap_or(0) + 1);
                }
            }
        }
        let active: Vec<&Pod> = owned.iter().filter(|p| podutil::is_active(p)).collect();
        let terminating = owned
            .iter()
            .filter(|p| {
                p.metadata.deletion_timestamp.is_some()
                    && !matches!(podutil::phase(p), "Succeeded" | "Failed")
            })
            .count() as i32;
        let succeeded = status.succeeded.unwrap_or(0);
        let failed = status.failed.unwrap_or(0);
        let parallelism = spec.parallelism.unwrap_or(1).max(0);
        let completions = spec.completions;
        let backoff_limit = spec.backoff_limit.unwrap_or(6);
        let mut active_count = active.len() as i32;
        if failed > backoff_limit && !condition(&status, "FailureTarget") {
            let conditions = status.conditions.get_or_insert_with(Vec::new);
            conditions.push(new_condition(
                "FailureTarget",
                "BackoffLimitExceeded",
                BACKOFF_EXCEEDED,
                ctx.now,
            ));
            self.record(
                &live,
                EventType::Warning,
                "BackoffLimitExceeded",
                BACKOFF_EXCEEDED,
                ctx,
            );
        }
        let complete_target = completions.is_some_and(|c| succeeded >= c)
            || (completions.is_none() && succeeded > 0 && active.is_empty());
        if complete_target && !condition(&status, "SuccessCriteriaMet") {
            let conditions = status.conditions.get_or_insert_with(Vec::new);
            conditions.push(new_condition(
                "SuccessCriteriaMet",
                "CompletionsReached",
                COMPLETIONS_REACHED,
                ctx.now,
            ));
        }
        let finishing =
            condition(&status, "FailureTarget") || condition(&status, "SuccessCriteriaMet");
        if finishing {
            for pod in &active {
                self.delete_pod(&live, pod, ctx);
            }
            active_count = 0;
        } else if job.metadata.deletion_timestamp.is_none() && spec.suspend != Some(true) {
            let want = match completions {
                Some(c) => (c - succeeded).min(parallelism).max(0),
                None if succeeded > 0 => 0,
                None => parallelism,
            };
            if active_count < want {
                let delay = self.backoff(failed, last_failure, ctx.now);
                if delay == SimDuration::default() {
                    let mut remaining =
                        ((want - active_count) as usize).min(MAX_POD_CREATE_DELETE_PER_SYNC);
                    let mut batch = remaining.min(1);
                    'batches: while batch > 0 {
                        for _ in 0..batch {
                            if !self.create_pod(&live, job, ctx) {
                                break 'batches;
                            }
                            active_count += 1;
                        }
                        remaining -= batch;
                        batch = (2 * batch).min(remaining);
                    }
                } else {
                    self.queue
                        .add_after((namespace.to_string(), name.to_string()), delay, ctx);
                }
            } else if active_count > want {
                let excess = ((active_count - want) as usize).min(MAX_POD_CREATE_DELETE_PER_SYNC);
                for pod in active.iter().rev().take(excess) {
                    self.delete_pod(&live, pod, ctx);
                    active_count -= 1;
                }
            }
        }
        status.active = Some(active_count).filter(|n| *n != 0);
        status.ready = Some(
            active
                .iter()
                .filter(|p| podutil::is_ready(p) && !finishing)
                .count() as i32,
        );
        status.terminating = Some(terminating);
        status.uncounted_terminated_pods = Some(UncountedTerminatedPods::default());
        // The terminal condition follows once no pod of the Job is left running.
        let still_running = owned
            .iter()
            .any(|p| !matches!(podutil::phase(p), "Succeeded" | "Failed"));
        if finishing && !still_running {
            if condition(&status, "FailureTarget") {
                let conditions = status.conditions.get_or_insert_with(Vec::new);
                conditions.push(new_condition(
                    "Failed",
                    "BackoffLimitExceeded",
                    BACKOFF_EXCEEDED,
                    ctx.now,
                ));
            } else {
                let conditions = status.conditions.get_or_insert_with(Vec::new);
                conditions.push(new_condition(
                    "Complete",
                    "CompletionsReached",
                    COMPLETIONS_REACHED,
                    ctx.now,
                ));
                status.completion_time = Some(ctx.now.to_k8s_time());
                self.record(&live, EventType::Normal, "Completed", "Job completed", ctx);
            }
        }
        if job.status.as_ref() != Some(&status) {
            let mut copy = job.clone();
            copy.status = Some(status);
            let _ = ctx.update_status(Object::Job(copy));
        }
    }

    /// How long to wait before creating a pod after `failed` failures, the last at `last`.
    fn backoff(&self, failed: i32, last: Option<SimTime>, now: SimTime) -> SimDuration {
        let Some(last) = last.filter(|_| failed > 0) else {
            return SimDuration::default();
        };
        let mut wait = BACKOFF_BASE;
        for _ in 1..failed {
            wait = SimDuration::millis(wait.as_millis().saturating_mul(2));
            if wait >= BACKOFF_MAX {
                wait = BACKOFF_MAX;
                break;
            }
        }
        let due = last.plus(wait);
        due.since(now)
    }

    fn create_pod(&mut self, owner: &Object, job: &Job, ctx: &mut Ctx<'_>) -> bool {
        let (ns, name) = key_of(&job.metadata);
        let template = job
            .spec
            .as_ref()
            .map(|s| s.template.clone())
            .unwrap_or_default();
        let meta = template.metadata.unwrap_or_default();
        let mut finalizers = meta.finalizers.unwrap_or_default();
        finalizers.push(TRACKING_FINALIZER.into());
        let pod = Pod {
            metadata: ObjectMeta {
                generate_name: Some(format!("{name}-")),
                namespace: Some(ns),
                labels: meta.labels,
                annotations: meta.annotations,
                finalizers: Some(finalizers),
                owner_references: Some(vec![controller_ref(owner)]),
                ..Default::default()
            },
            spec: template.spec,
            status: None,
        };
        match ctx.create(Object::from(pod)) {
            Ok(created) => {
                let message = format!(
                    "Created pod: {}",
                    created.meta().name.as_deref().unwrap_or("")
                );
                self.record(owner, EventType::Normal, "SuccessfulCreate", &message, ctx);
                true
            }
            Err(e) => {
                let message = format!("Error creating: {}", e.message);
                self.record(owner, EventType::Warning, "FailedCreate", &message, ctx);
                false
            }
        }
    }

    fn delete_pod(&mut self, owner: &Object, pod: &Pod, ctx: &mut Ctx<'_>) {
        let (ns, name) = key_of(&pod.metadata);
        let Some(info) = kind_info("Pod") else {
            return;
        };
        let target = Target {
            info,
            namespace: &ns,
            name: &name,
        };
        if ctx.delete(target, None).is_ok() {
            let message = format!("Deleted pod: {name}");
            self.record(owner, EventType::Normal, "SuccessfulDelete", &message, ctx);
        }
    }
}

impl Component for JobController {
    fn name(&self) -> &str {
        NAME
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        vec![
            WatchFilter::prefix("/registry/jobs/"),
            WatchFilter::prefix("/registry/pods/"),
        ]
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        match &*event.object {
            Object::Job(job) => {
                let key = key_of(&job.metadata);
                self.queue.add(key, ctx);
            }
            Object::Pod(pod) => {
                if let Some(r) = controller_of(&pod.metadata).filter(|r| r.kind == "Job") {
                    let (ns, _) = key_of(&pod.metadata);
                    self.queue.add((ns, r.name.clone()), ctx);
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
