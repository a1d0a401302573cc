//! The ReplicaSet controller (`pkg/controller/replicaset`): keeps `spec.replicas` active pods
//! per ReplicaSet — pods from the template with `generateName: <rs>-` and a controller
//! ownerReference, created in slow-start batches, deleted in upstream's victim order — adopts
//! and releases pods by selector, and writes the ReplicaSet's status.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetCondition, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use crate::apiserver::authn;
use crate::apiserver::server::Target;
use crate::apiserver::UserInfo;
use crate::component::{Component, Ctx};
use crate::controllers::podutil::{self, as_pod, controller_of, controller_ref, key_of};
use crate::controllers::replicaset_pods::ReplicaSetPods;
use crate::controllers::workqueue::WorkQueue;
use crate::events::{object_reference, EventRecorder, EventType};
use crate::object::{kind_info, Object};
use crate::scheduler::selectors::label_selector_matches;
use crate::sim::{SimDuration, SimTime};
use crate::store::{WatchEvent, WatchEventType, WatchFilter};

/// `--concurrent-replicaset-syncs`' burst: at most this many creations or deletions per sync.
pub const BURST_REPLICAS: usize = 500;
/// `controller.SlowStartInitialBatchSize`.
const SLOW_START_INITIAL_BATCH: usize = 1;
/// The controller's name (event source, service account).
pub const NAME: &str = "replicaset-controller";
/// The timer token of a sync's next slow-start batch, or the rest of one (the work queue's is 1).
const TOKEN_BATCH: u64 = 2;
/// At most this many creations of a slow-start batch run in one item of the simulation; the
/// rest of the batch follows at the same moment. Upstream runs a batch's creations at once in
/// goroutines; a batch of 245 in one item took 14 ms natively, longer than a Play frame.
const CREATIONS_PER_ITEM: usize = 32;
/// The rate limiter's first retry delay, in milliseconds.
const RETRY_BASE_MS: u64 = 5;
/// The rate limiter's longest retry delay, in milliseconds.
const RETRY_MAX_MS: u64 = 1_000_000;

/// The ReplicaSet controller.
#[derive(Debug)]
pub struct ReplicaSetController {
    user: UserInfo,
    recorder: EventRecorder,
    queue: WorkQueue,
    failures: BTreeMap<(String, String), u32>,
    /// The pods, indexed by controller and counted per ReplicaSet, as of the store.
    pods: ReplicaSetPods,
    /// The sync creating pods in slow-start batches, if one is under way.
    creating: Option<Creating>,
    /// The work queue's timer fired while a sync was under way (the worker took no key).
    queue_waiting: bool,
}

/// A sync under way: `slowStartBatch` sends one batch per simulation item, at the same virtual
/// moment, so other components' work runs between two batches as it runs beside upstream's
/// goroutines — and no single item holds 500 creations.
#[derive(Debug)]
struct Creating {
    /// The ReplicaSet's `(namespace, name)`.
    key: (String, String),
    /// The ReplicaSet as the sync read it.
    owner: Arc<Object>,
    /// Pods still to create.
    remaining: usize,
    /// The batch's size (the one under way, then the next).
    batch: usize,
    /// Creations of the batch under way not yet made (none once a batch failed: the sync ends).
    left_in_batch: usize,
    /// The batch's first failed creation.
    failed: Option<String>,
    /// The status counts over the pods claimed when the sync started.
    counts: StatusCounts,
}

/// What a sync claimed: the ReplicaSet's matching controlled pods as its tally counts them when
/// the sync starts, plus the orphans it adopted.
struct Claimed {
    uid: String,
    count: usize,
    fully_labeled: usize,
    ready: usize,
    adopted: Vec<(String, Arc<Object>)>,
}

impl Claimed {
    fn none() -> Claimed {
        Claimed {
            uid: String::new(),
            count: 0,
            fully_labeled: 0,
            ready: 0,
            adopted: Vec::new(),
        }
    }

    /// The claimed pods in key order (only scale-downs and `minReadySeconds` need them).
    fn list(&self, index: &ReplicaSetPods) -> Vec<Arc<Object>> {
        let mut out: Vec<(&str, Arc<Object>)> = index
            .matched(&self.uid)
            .filter_map(|k| index.pod(k).map(|o| (k.as_str(), Arc::clone(o))))
            .collect();
        out.extend(
            self.adopted
                .iter()
                .map(|(k, o)| (k.as_str(), Arc::clone(o))),
        );
        out.sort_by(|a, b| a.0.cmp(b.0));
        out.into_iter().map(|(_, o)| o).collect()
    }
}

impl Default for ReplicaSetController {
    fn default() -> Self {
        ReplicaSetController::new()
    }
}

impl ReplicaSetController {
    /// A controller running as `system:serviceaccount:kube-system:replicaset-controller`.
    pub fn new() -> ReplicaSetController {
        ReplicaSetController {
            user: authn::controller(NAME),
            recorder: EventRecorder::new(NAME, ""),
            queue: WorkQueue::default(),
            failures: BTreeMap::new(),
            pods: ReplicaSetPods::default(),
            creating: None,
            queue_waiting: false,
        }
    }

    fn enqueue_for_pod(&mut self, pod: &Pod, ctx: &mut Ctx<'_>) {
        let (ns, _) = key_of(&pod.metadata);
        match controller_of(&pod.metadata) {
            Some(r) if r.kind == "ReplicaSet" => self.queue.add((ns, r.name.clone()), ctx),
            Some(_) => {}
            None => {
                // An orphan: every ReplicaSet whose selector matches may adopt it.
                for rs in ctx.list("ReplicaSet", Some(&ns)) {
                    if let Object::ReplicaSet(rs) = &*rs {
                        if selector(rs).is_some_and(|s| {
                            label_selector_matches(s, pod.metadata.labels.as_ref())
                        }) {
                            let key = key_of(&rs.metadata);
                            self.queue.add(key, ctx);
                        }
                    }
                }
            }
        }
    }

    fn sync(&mut self, namespace: &str, name: &str, ctx: &mut Ctx<'_>) {
        let Some(live) = ctx.get("ReplicaSet", namespace, name) else {
            return;
        };
        let Object::ReplicaSet(rs) = &*live else {
            return;
        };
        self.pods.sync(ctx);
        let claimed = self.claim_pods(&live, rs, ctx);
        // Status reflects the pods claimed before this sync's creations and deletions, as
        // upstream; the next sync (on the pods' watch events) counts them.
        let min_ready = spec_min_ready(rs);
        let available = if min_ready <= 0 {
            claimed.ready
        } else {
            claimed
                .list(&self.pods)
                .iter()
                .filter_map(|o| as_pod(o))
                .filter(|p| podutil::is_ready(p) && podutil::is_available(p, min_ready, ctx.now))
                .count()
        };
        let counts = StatusCounts {
            replicas: claimed.count,
            fully_labeled: claimed.fully_labeled,
            ready: claimed.ready,
            available,
        };
        let mut error = None;
        if rs.metadata.deletion_timestamp.is_none() {
            let want = replicas(rs).max(0) as usize;
            if claimed.count < want {
                let diff = (want - claimed.count).min(BURST_REPLICAS);
                self.creating = Some(Creating {
                    key: (namespace.to_string(), name.to_string()),
                    owner: Arc::clone(&live),
                    remaining: diff,
                    batch: diff.min(SLOW_START_INITIAL_BATCH),
                    left_in_batch: diff.min(SLOW_START_INITIAL_BATCH),
                    failed: None,
                    counts,
                });
                self.create_batch(ctx);
                return;
            }
            error = self.manage_replicas(&live, rs, &claimed, ctx);
        }
        self.finish(rs, &counts, error, ctx);
    }

    /// One batch of `slowStartBatch`, or [`CREATIONS_PER_ITEM`] of its creations: the rest of
    /// the batch and then the next batch follow in items of their own at this moment; after the
    /// last batch, or a batch with a failed creation (every creation of that batch is still
    /// made; the later batches are skipped), the sync finishes and the worker takes the queue's
    /// next key.
    fn create_batch(&mut self, ctx: &mut Ctx<'_>) {
        let Some(mut c) = self.creating.take() else {
            return;
        };
        let Object::ReplicaSet(rs) = &*c.owner else {
            return;
        };
        let now = c.left_in_batch.min(CREATIONS_PER_ITEM);
        for _ in 0..now {
            if let Err(e) = self.create_pod(&c.owner, rs, ctx) {
                c.failed.get_or_insert(e);
            }
        }
        c.left_in_batch -= now;
        if c.left_in_batch == 0 {
            // The batch is made: the next one follows unless a creation of this one failed.
            c.remaining -= c.batch;
            c.batch = (2 * c.batch).min(c.remaining);
            c.left_in_batch = if c.failed.is_none() { c.batch } else { 0 };
        }
        if c.left_in_batch > 0 {
            self.creating = Some(c);
            ctx.after(SimDuration::millis(0), TOKEN_BATCH);
            return;
        }
        let failed = c.failed.take();
        // The status goes on the ReplicaSet as it is now (the sync's copy may be stale when
        // another component wrote it between two batches).
        let (namespace, name) = &c.key;
        let live = ctx
            .get("ReplicaSet", namespace, name)
            .filter(|o| o.meta().uid == c.owner.meta().uid);
        let rs = match live.as_deref() {
            Some(Object::ReplicaSet(now)) => now,
            _ => rs,
        };
        self.finish(rs, &c.counts, failed.map(|e| ("FailedCreate", e)), ctx);
        if std::mem::take(&mut self.queue_waiting) {
            self.queue.resume(ctx);
        }
    }

    /// The end of a sync: the status, and a retry after a failure.
    fn finish(
        &mut self,
        rs: &ReplicaSet,
        counts: &StatusCounts,
        error: Option<(&'static str, String)>,
        ctx: &mut Ctx<'_>,
    ) {
        let (namespace, name) = key_of(&rs.metadata);
        let status = calculate_status(rs, counts, error.as_ref(), ctx.now);
        // The status as it stands after this sync: the stored one when the write succeeded.
        let mut st = status.clone();
        if rs.status.as_ref() != Some(&status) {
            let mut updated = rs.clone();
            updated.status = Some(status);
            if let Ok(stored) = ctx.update_status(Object::from(updated)) {
                if let Object::ReplicaSet(s) = &*stored {
                    st = s.status.clone().unwrap_or_default();
                }
            }
        }
        // A failed sync is retried with the work queue's rate limiter: 5 ms doubling, at most
        // 1000 s (`DefaultControllerRateLimiter`).
        let key = (namespace.clone(), name.clone());
        if error.is_some() {
            let n = self.failures.entry(key.clone()).or_insert(0);
            let delay = RETRY_BASE_MS
                .saturating_mul(1u64 << (*n).min(20))
                .min(RETRY_MAX_MS);
            *n += 1;
            self.queue.add_after(key, SimDuration::millis(delay), ctx);
        } else {
            self.failures.remove(&key);
        }
        // A status write keeps the spec, so `rs` still has the spec these read.
        let min_ready = spec_min_ready(rs);
        if error.is_none()
            && min_ready > 0
            && st.ready_replicas.unwrap_or(0) == replicas(rs)
            && st.available_replicas.unwrap_or(0) != replicas(rs)
        {
            self.queue
                .add_after((namespace, name), SimDuration::secs(min_ready as u64), ctx);
        }
    }

    /// `ClaimPods`: adopts matching orphans, releases owned pods that no longer match — the
    /// writes in key order, as a pass over the namespace's active pods would make them — and
    /// claims the controlled pods the selector matches.
    fn claim_pods(&mut self, owner: &Object, rs: &ReplicaSet, ctx: &mut Ctx<'_>) -> Claimed {
        let uid = rs.metadata.uid.clone().unwrap_or_default();
        let Some(sel) = selector(rs) else {
            return Claimed::none();
        };
        let namespace = rs.metadata.namespace.clone().unwrap_or_default();
        let template = template_labels(rs);
        let deleting = rs.metadata.deletion_timestamp.is_some();
        self.pods.refresh_tally(&uid, &namespace, sel, &template);
        let Some(tally) = self.pods.tally(&uid) else {
            return Claimed::none();
        };
        let mut claimed = Claimed {
            uid: uid.clone(),
            count: tally.matched.len(),
            fully_labeled: tally.fully_labeled,
            ready: tally.ready,
            adopted: Vec::new(),
        };
        if deleting {
            return claimed;
        }
        let mut writes: BTreeMap<String, (bool, Arc<Object>)> = BTreeMap::new();
        for key in &tally.mismatched {
            if let Some(o) = self.pods.pod(key) {
                writes.insert(key.clone(), (true, Arc::clone(o)));
            }
        }
        for key in self.pods.orphans(&namespace) {
            if let Some(o) = self.pods.pod(key) {
                let matches = as_pod(o)
                    .is_some_and(|p| label_selector_matches(sel, p.metadata.labels.as_ref()));
                if matches {
                    writes.insert(key.clone(), (false, Arc::clone(o)));
                }
            }
        }
        for (key, (release, object)) in writes {
            let Some(pod) = as_pod(&object) else {
                continue;
            };
            if release {
                let mut released = pod.clone();
                if let Some(refs) = released.metadata.owner_references.as_mut() {
                    refs.retain(|r| r.uid != uid);
                }
                let _ = ctx.patch(Object::from(released));
                continue;
            }
            let mut adopted = pod.clone();
            adopted
                .metadata
                .owner_references
                .get_or_insert_with(Vec::new)
                .push(controller_ref(owner));
            if let Ok(stored) = ctx.patch(Object::from(adopted)) {
                if let Some(p) = as_pod(&stored) {
                    claimed.count += 1;
                    if fully_labeled(p, &template) {
                        claimed.fully_labeled += 1;
                    }
                    if podutil::is_ready(p) {
                        claimed.ready += 1;
                    }
                    claimed.adopted.push((key, stored));
                }
            }
        }
        claimed
    }

    /// `manageReplicas` with too many pods: deletes the difference; the first error, if any.
    /// (Too few: [`ReplicaSetController::create_batch`].)
    fn manage_replicas(
        &mut self,
        owner: &Object,
        rs: &ReplicaSet,
        claimed: &Claimed,
        ctx: &mut Ctx<'_>,
    ) -> Option<(&'static str, String)> {
        let want = replicas(rs).max(0) as usize;
        let have = claimed.count;
        if have > want {
            let diff = (have - want).min(BURST_REPLICAS);
            let listed = claimed.list(&self.pods);
            let pods: Vec<&Pod> = listed.iter().filter_map(|o| as_pod(o)).collect();
            let related = self.related_pods(rs, ctx);
            let related: Vec<&Pod> = related.iter().filter_map(|o| as_pod(o)).collect();
            let victims = pods_to_delete(&pods, &related, diff, ctx.now);
            let mut failed = None;
            for pod in victims {
                if let Err(e) = self.delete_pod(owner, &pod, ctx) {
                    failed.get_or_insert(e);
                }
            }
            if let Some(e) = failed {
                return Some(("FailedDelete", e));
            }
        }
        None
    }

    /// `RealPodControl.CreatePods`: the pod from the template, a `SuccessfulCreate` or
    /// `FailedCreate` event.
    fn create_pod(
        &mut self,
        owner: &Object,
        rs: &ReplicaSet,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), String> {
        let (ns, name) = key_of(&rs.metadata);
        let template = rs
            .spec
            .as_ref()
            .and_then(|s| s.template.clone())
            .unwrap_or_default();
        let tmeta = template.metadata.unwrap_or_default();
        if tmeta.labels.as_ref().is_none_or(|l| l.is_empty()) {
            return Err("unable to create pods, no labels".into());
        }
        let pod = Pod {
            metadata: ObjectMeta {
                generate_name: Some(format!("{name}-")),
                namespace: Some(ns),
                labels: tmeta.labels,
                annotations: tmeta.annotations,
                finalizers: tmeta.finalizers,
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
                let write = self.recorder.record(
                    ctx.now,
                    object_reference(owner),
                    EventType::Normal,
                    "SuccessfulCreate",
                    &message,
                );
                ctx.event(write);
                Ok(())
            }
            Err(e) => {
                let write = self.recorder.record(
                    ctx.now,
                    object_reference(owner),
                    EventType::Warning,
                    "FailedCreate",
                    &format!("Error creating: {}", e.message),
                );
                ctx.event(write);
                Err(e.message)
            }
        }
    }

    /// `RealPodControl.DeletePod`: a `SuccessfulDelete` or `FailedDelete` event.
    fn delete_pod(&mut self, owner: &Object, pod: &Pod, ctx: &mut Ctx<'_>) -> Result<(), String> {
        let (ns, name) = key_of(&pod.metadata);
        let Some(info) = kind_info("Pod") else {
            return Ok(());
        };
        let target = Target {
            info,
            namespace: &ns,
            name: &name,
        };
        match ctx.delete(target, None) {
            Ok(_) => {
                let write = self.recorder.record(
                    ctx.now,
                    object_reference(owner),
                    EventType::Normal,
                    "SuccessfulDelete",
                    &format!("Deleted pod: {name}"),
                );
                ctx.event(write);
                Ok(())
            }
            Err(e) if crate::apiserver::server::is_not_found(&e) => Err(e.message),
            Err(e) => {
                let write = self.recorder.record(
                    ctx.now,
                    object_reference(owner),
                    EventType::Warning,
                    "FailedDelete",
                    &format!("Error deleting: {}", e.message),
                );
                ctx.event(write);
                Err(e.message)
            }
        }
    }

    /// `getIndirectlyRelatedPods`: active pods of every ReplicaSet sharing this one's
    /// controller (the Deployment's other ReplicaSets), or of this one alone.
    fn related_pods(&self, rs: &ReplicaSet, ctx: &Ctx<'_>) -> Vec<Arc<Object>> {
        let (ns, _) = key_of(&rs.metadata);
        let mut uids = vec![rs.metadata.uid.clone().unwrap_or_default()];
        if let Some(owner) = controller_of(&rs.metadata) {
            for other in ctx.list("ReplicaSet", Some(&ns)) {
                if controller_of(other.meta()).is_some_and(|r| r.uid == owner.uid) {
                    uids.push(other.meta().uid.clone().unwrap_or_default());
                }
            }
        }
        ctx.list("Pod", Some(&ns))
            .into_iter()
            .filter(|o| {
                matches!(&**o, Object::Pod(p)
                    if podutil::is_active(p)
                        && controller_of(&p.metadata).is_some_and(|r| uids.contains(&r.uid)))
            })
            .collect()
    }
}

fn selector(rs: &ReplicaSet) -> Option<&LabelSelector> {
    rs.spec.as_ref().map(|s| &s.selector)
}

fn replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

fn spec_min_ready(rs: &ReplicaSet) -> i32 {
    rs.spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0)
}

/// What a ReplicaSet's status counts over its claimed pods.
#[derive(Debug)]
struct StatusCounts {
    replicas: usize,
    fully_labeled: usize,
    ready: usize,
    available: usize,
}

/// The ReplicaSet's template labels.
fn template_labels(rs: &ReplicaSet) -> BTreeMap<String, String> {
    rs.spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

/// Whether the pod carries every template label.
fn fully_labeled(pod: &Pod, template: &BTreeMap<String, String>) -> bool {
    let labels = pod.metadata.labels.as_ref();
    template
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

/// `calculateStatus`: the counts over the claimed active pods, the ReplicaFailure condition.
fn calculate_status(
    rs: &ReplicaSet,
    counts: &StatusCounts,
    error: Option<&(&'static str, String)>,
    now: SimTime,
) -> ReplicaSetStatus {
    let old = rs.status.clone().unwrap_or_default();
    let mut conditions = old.conditions.clone().unwrap_or_default();
    let has_failure = conditions.iter().any(|c| c.type_ == "ReplicaFailure");
    match error {
        Some((reason, message)) if !has_failure => conditions.push(ReplicaSetCondition {
            type_: "ReplicaFailure".into(),
            status: "True".into(),
            reason: Some((*reason).into()),
            message: Some(message.clone()),
            last_transition_time: Some(now.to_k8s_time()),
        }),
        None if has_failure => conditions.retain(|c| c.type_ != "ReplicaFailure"),
        _ => {}
    }
    let nonzero = |n: i32| if n == 0 { None } else { Some(n) };
    ReplicaSetStatus {
        replicas: counts.replicas as i32,
        fully_labeled_replicas: nonzero(counts.fully_labeled as i32),
        ready_replicas: nonzero(counts.ready as i32),
        available_replicas: nonzero(counts.available as i32),
        observed_generation: rs.metadata.generation,
        conditions: if conditions.is_empty() {
            None
        } else {
            Some(conditions)
        },
        terminating_replicas: None,
    }
}

/// `podPhaseToOrdinal`: Pending < Unknown < Running (others count as Pending).
fn phase_ordinal(pod: &Pod) -> u8 {
    match podutil::phase(pod) {
        "Unknown" => 1,
        "Running" => 2,
        _ => 0,
    }
}

/// `logarithmicRankDiff`: compares ages in powers of two of nanoseconds.
fn log_rank(t: SimTime, now: SimTime) -> i64 {
    let d = now.since(t).as_millis() as f64 * 1e6;
    if d > 0.0 {
        d.log2() as i64
    } else {
        -1
    }
}

fn max_restarts(pod: &Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map(|cs| cs.iter().map(|c| c.restart_count).max().unwrap_or(0))
        .unwrap_or(0)
}

fn deletion_cost(pod: &Pod) -> i32 {
    pod.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("controller.kubernetes.io/pod-deletion-cost"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// `ActivePodsWithRanks.Less` with LogarithmicScaleDown and PodDeletionCost (both on in
/// v1.33): the pod to delete first sorts first.
fn deletion_order(a: &Pod, ra: usize, b: &Pod, rb: usize, now: SimTime) -> Ordering {
    let (na, nb) = (podutil::node_name(a), podutil::node_name(b));
    if na != nb && (na.is_empty() || nb.is_empty()) {
        return if na.is_empty() {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    let by = phase_ordinal(a).cmp(&phase_ordinal(b));
    if by != Ordering::Equal {
        return by;
    }
    let (ya, yb) = (podutil::is_ready(a), podutil::is_ready(b));
    if ya != yb {
        return if ya {
            Ordering::Greater
        } else {
            Ordering::Less
        };
    }
    let by = deletion_cost(a).cmp(&deletion_cost(b));
    if by != Ordering::Equal {
        return by;
    }
    if ra != rb {
        return rb.cmp(&ra);
    }
    let uid = |p: &Pod| p.metadata.uid.clone().unwrap_or_default();
    if let (Some(ta), Some(tb)) = (podutil::ready_since(a), podutil::ready_since(b)) {
        if ta != tb {
            let diff = log_rank(ta, now) - log_rank(tb, now);
            return if diff == 0 {
                uid(a).cmp(&uid(b))
            } else {
                diff.cmp(&0)
            };
        }
    }
    let by = max_restarts(b).cmp(&max_restarts(a));
    if by != Ordering::Equal {
        return by;
    }
    let (ca, cb) = (podutil::created(&a.metadata), podutil::created(&b.metadata));
    if ca != cb {
        let diff = log_rank(ca, now) - log_rank(cb, now);
        return if diff == 0 {
            uid(a).cmp(&uid(b))
        } else {
            diff.cmp(&0)
        };
    }
    Ordering::Equal
}

/// `getPodsToDelete`: the `diff` pods to delete first, ranked by how many related pods share
/// their node.
pub fn pods_to_delete(pods: &[&Pod], related: &[&Pod], diff: usize, now: SimTime) -> Vec<Pod> {
    let mut per_node: BTreeMap<&str, usize> = BTreeMap::new();
    for r in related {
        *per_node.entry(podutil::node_name(r)).or_insert(0) += 1;
    }
    let mut ranked: Vec<(&Pod, usize)> = pods
        .iter()
        .map(|p| {
            let node = podutil::node_name(p);
            let rank = if node.is_empty() {
                0
            } else {
                per_node.get(node).copied().unwrap_or(0)
            };
            (*p, rank)
        })
        .collect();
    if diff < ranked.len() {
        ranked.sort_by(|(a, ra), (b, rb)| deletion_order(a, *ra, b, *rb, now));
    }
    ranked
        .into_iter()
        .take(diff)
        .map(|(p, _)| p.clone())
        .collect()
}

impl Component for ReplicaSetController {
    fn name(&self) -> &str {
        NAME
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        vec![
            WatchFilter::prefix("/registry/replicasets/"),
            WatchFilter::prefix("/registry/pods/"),
        ]
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        match &*event.object {
            Object::ReplicaSet(rs) => {
                if event.type_ == WatchEventType::Deleted {
                    self.pods
                        .forget(rs.metadata.uid.as_deref().unwrap_or_default());
                }
                let key = key_of(&rs.metadata);
                self.queue.add(key, ctx);
            }
            Object::Pod(pod) => {
                // The pod informer's handler: the index takes the changes as they come, so its
                // feed does not pile up while no ReplicaSet syncs (pods of Jobs, bare pods).
                self.pods.sync(ctx);
                self.enqueue_for_pod(pod, ctx);
                if let Some(Object::Pod(old)) = event.old.as_deref() {
                    if controller_of(&old.metadata) != controller_of(&pod.metadata) {
                        self.enqueue_for_pod(old, ctx);
                    }
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, token: u64, ctx: &mut Ctx<'_>) {
        if token == TOKEN_BATCH {
            self.create_batch(ctx);
            return;
        }
        if self.creating.is_some() {
            // The worker is busy with a sync's batches; it takes the next key when done.
            self.queue_waiting = true;
            return;
        }
        if let Some((ns, name)) = self.queue.take_next(ctx) {
            self.sync(&ns, &name, ctx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use k8s_openapi::api::core::v1::{PodCondition, PodSpec, PodStatus};

    fn pod(name: &str, node: &str, phase: &str, ready_at: Option<u64>) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                uid: Some(format!("uid-{name}")),
                creation_timestamp: Some(SimTime::ZERO.to_k8s_time()),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: (!node.is_empty()).then(|| node.to_string()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some(phase.into()),
                conditions: ready_at.map(|s| {
                    vec![PodCondition {
                        type_: "Ready".into(),
                        status: "True".into(),
                        last_transition_time: Some(SimTime(s * 1000).to_k8s_time()),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            }),
        }
    }

    fn refs(pods: &[Pod]) -> Vec<&Pod> {
        pods.iter().collect()
    }

    fn names(pods: &[Pod]) -> Vec<String> {
        pods.iter()
            .map(|p| p.metadata.name.clone().unwrap_or_default())
            .collect()
    }

    #[test]
    fn unassigned_pending_and_not_ready_pods_go_first() {
        let now = SimTime(600_000);
        let pods = vec![
            pod("running-ready", "node-1", "Running", Some(10)),
            pod("running-not-ready", "node-2", "Running", None),
            pod("pending", "node-3", "Pending", None),
            pod("unassigned", "", "Pending", None),
        ];
        let victims = pods_to_delete(&refs(&pods), &refs(&pods), 3, now);
        assert_eq!(
            names(&victims),
            ["unassigned", "pending", "running-not-ready"]
        );
    }

    #[test]
    fn doubled_up_pods_then_recently_ready_pods_go_first() {
        let now = SimTime(3_600_000);
        let pods = vec![
            pod("alone-old", "node-1", "Running", Some(10)),
            pod("shared-a", "node-2", "Running", Some(10)),
            pod("shared-b", "node-2", "Running", Some(10)),
            pod("alone-new", "node-3", "Running", Some(3_590)),
        ];
        // Two pods share node-2: one of them first (lower UID), then the pod ready for 10 s
        // rather than the one ready for an hour.
        let victims = pods_to_delete(&refs(&pods), &refs(&pods), 2, now);
        assert_eq!(names(&victims), ["shared-a", "shared-b"]);
        let singles = vec![pods[0].clone(), pods[3].clone()];
        let victims = pods_to_delete(&refs(&singles), &refs(&singles), 1, now);
        assert_eq!(names(&victims), ["alone-new"]);
    }

    #[test]
    fn ready_times_in_the_same_power_of_two_bucket_tie_on_uid() {
        let now = SimTime(100_000);
        // Ready for 60 s and 40 s: log2 of the nanoseconds is 35 for both.
        let pods = vec![
            pod("b", "node-1", "Running", Some(40)),
            pod("a", "node-2", "Running", Some(60)),
        ];
        let victims = pods_to_delete(&refs(&pods), &refs(&pods), 1, now);
        assert_eq!(names(&victims), ["a"]);
    }
}
