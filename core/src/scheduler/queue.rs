//! The scheduling queue (upstream `internal/queue/scheduling_queue.go`) as a pure data structure
//! over virtual time: activeQ ordered by the profile's QueueSort (PrioritySort), backoffQ with
//! per-pod exponential backoff (1 s doubling to 10 s), the unschedulable pool that cluster events
//! or a 5-minute timeout re-activate, and gated pods held out by PreEnqueue.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Pod;

use crate::object::PodRef;
use crate::scheduler::framework::{pod_key, pod_priority};
use crate::scheduler::plugins::{
    inter_pod_affinity, node_ports, node_resources_fit, pod_topology_spread, priority_sort,
    volume_binding, volume_restrictions,
};
use crate::scheduler::registry::Profile;
use crate::sim::{SimDuration, SimTime};

/// Backoff after the first failed attempt (upstream `podInitialBackoffSeconds`, 1 s).
pub const INITIAL_BACKOFF: SimDuration = SimDuration::secs(1);
/// The longest backoff (upstream `podMaxBackoffSeconds`, 10 s).
pub const MAX_BACKOFF: SimDuration = SimDuration::secs(10);
/// The longest a pod stays in the unschedulable pool without an event (upstream
/// `podMaxInUnschedulablePodsDuration`, 5 min).
pub const MAX_IN_UNSCHEDULABLE: SimDuration = SimDuration::mins(5);

/// A cluster change that may make unschedulable pods schedulable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClusterEvent {
    /// A node was added.
    NodeAdd,
    /// A node changed (labels, taints, allocatable, unschedulable).
    NodeUpdate,
    /// A pod was added or bound (topology spread and inter-pod affinity may now be satisfied).
    PodAdd,
    /// A pod changed.
    PodUpdate,
    /// A pod was deleted (resources and ports freed).
    PodDelete,
    /// A PersistentVolumeClaim or PersistentVolume was added or changed.
    VolumeChange,
}

impl ClusterEvent {
    /// Whether a pod rejected by `plugin` may become schedulable after this event (upstream
    /// `EventsToRegister`, coarsened).
    pub fn may_help(self, plugin: &str) -> bool {
        match self {
            ClusterEvent::NodeAdd | ClusterEvent::NodeUpdate => true,
            ClusterEvent::PodAdd | ClusterEvent::PodUpdate => {
                plugin == pod_topology_spread::NAME || plugin == inter_pod_affinity::NAME
            }
            ClusterEvent::PodDelete => [
                node_resources_fit::NAME,
                node_ports::NAME,
                pod_topology_spread::NAME,
                inter_pod_affinity::NAME,
                volume_restrictions::NAME,
            ]
            .contains(&plugin),
            ClusterEvent::VolumeChange => {
                plugin == volume_binding::NAME || plugin == volume_restrictions::NAME
            }
        }
    }
}

/// A pod waiting in the queue (upstream `QueuedPodInfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedPod {
    /// The pod, shared with the store (the queue never changes it).
    pub pod: PodRef,
    /// When it was (re-)added to the queue; PrioritySort's tie-break.
    pub timestamp: SimTime,
    /// How many times it has been popped for scheduling.
    pub attempts: u32,
    /// When it was first popped.
    pub initial_attempt: Option<SimTime>,
    /// When it entered the unschedulable pool.
    pub unschedulable_since: Option<SimTime>,
    /// Plugins that rejected it in its last attempt.
    pub unschedulable_plugins: BTreeSet<&'static str>,
    /// The scheduling cycle in which it was last popped.
    pub cycle: u64,
}

impl QueuedPod {
    fn new(pod: PodRef, now: SimTime) -> QueuedPod {
        QueuedPod {
            pod,
            timestamp: now,
            attempts: 0,
            initial_attempt: None,
            unschedulable_since: None,
            unschedulable_plugins: BTreeSet::new(),
            cycle: 0,
        }
    }

    /// The backoff after `attempts` failures: 1 s doubling, at most 10 s.
    pub fn backoff(&self) -> SimDuration {
        let mut d = INITIAL_BACKOFF.as_millis();
        for _ in 1..self.attempts {
            d = d.saturating_mul(2);
            if d >= MAX_BACKOFF.as_millis() {
                return MAX_BACKOFF;
            }
        }
        SimDuration::millis(d.min(MAX_BACKOFF.as_millis()))
    }

    /// When its backoff ends (its queue timestamp plus its backoff).
    pub fn backoff_expiry(&self) -> SimTime {
        self.timestamp.plus(self.backoff())
    }
}

/// How many pods wait where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueCounts {
    /// Ready to be scheduled.
    pub active: usize,
    /// Waiting out their backoff.
    pub backoff: usize,
    /// Waiting for a cluster event.
    pub unschedulable: usize,
    /// Held by PreEnqueue (scheduling gates).
    pub gated: usize,
}

/// activeQ: the pods by key, and PrioritySort's order over them (priority, highest first, then
/// queue timestamp, then key) so a pop takes the first instead of comparing every pod.
#[derive(Debug, Clone, Default)]
struct ActiveQ {
    pods: BTreeMap<String, QueuedPod>,
    order: BTreeSet<(Reverse<i32>, SimTime, String)>,
}

fn order_key(key: &str, q: &QueuedPod) -> (Reverse<i32>, SimTime, String) {
    (Reverse(pod_priority(&q.pod)), q.timestamp, key.to_string())
}

impl ActiveQ {
    fn insert(&mut self, key: String, q: QueuedPod) {
        self.remove(&key);
        self.order.insert(order_key(&key, &q));
        self.pods.insert(key, q);
    }

    fn remove(&mut self, key: &str) -> Option<QueuedPod> {
        let q = self.pods.remove(key)?;
        self.order.remove(&order_key(key, &q));
        Some(q)
    }

    /// Replaces the object of a queued pod, keeping the order right.
    fn set_pod(&mut self, key: &str, pod: PodRef) -> bool {
        let Some(q) = self.pods.get_mut(key) else {
            return false;
        };
        if pod_priority(&pod) != pod_priority(&q.pod) {
            self.order
                .remove(&(Reverse(pod_priority(&q.pod)), q.timestamp, key.to_string()));
            self.order
                .insert((Reverse(pod_priority(&pod)), q.timestamp, key.to_string()));
        }
        q.pod = pod;
        true
    }

    fn len(&self) -> usize {
        self.pods.len()
    }

    /// The key of the pod `less` puts first (the first in key order among equals).
    fn first(&self, profile: &Profile) -> Option<String> {
        if profile.queue_sort.name() == priority_sort::NAME {
            return self.order.iter().next().map(|(_, _, k)| k.clone());
        }
        let mut best: Option<(&String, &QueuedPod)> = None;
        for (k, q) in &self.pods {
            best = match best {
                Some((bk, b))
                    if !profile
                        .queue_sort
                        .less(&q.pod, q.timestamp, &b.pod, b.timestamp) =>
                {
                    Some((bk, b))
                }
                _ => Some((k, q)),
            };
        }
        best.map(|(k, _)| k.clone())
    }
}

/// The three queues plus the gated pods.
#[derive(Debug, Clone, Default)]
pub struct SchedulingQueue {
    active: ActiveQ,
    backoff: BTreeMap<String, QueuedPod>,
    unschedulable: BTreeMap<String, QueuedPod>,
    gated: BTreeMap<String, QueuedPod>,
    scheduling_cycle: u64,
    move_request_cycle: u64,
}

impl SchedulingQueue {
    /// An empty queue.
    pub fn new() -> SchedulingQueue {
        SchedulingQueue::default()
    }

    fn enqueue(&mut self, profile: &Profile, q: QueuedPod) {
        let key = pod_key(&q.pod);
        let gated = profile
            .pre_enqueue
            .iter()
            .any(|pl| !pl.pre_enqueue(&q.pod).is_success());
        if gated {
            self.gated.insert(key, q);
        } else {
            self.active.insert(key, q);
        }
    }

    /// Adds a new pending pod (upstream `Add`): to activeQ, or held if PreEnqueue rejects it.
    pub fn add(&mut self, profile: &Profile, pod: PodRef, now: SimTime) {
        self.delete(&pod_key(&pod));
        self.enqueue(profile, QueuedPod::new(pod, now));
    }

    /// Replaces a queued pod's object (upstream `Update`); a gated pod whose gates were removed
    /// moves to activeQ, and an unschedulable pod moves on as if an event happened.
    pub fn update(&mut self, profile: &Profile, pod: PodRef, now: SimTime) {
        let key = pod_key(&pod);
        if let Some(mut q) = self.gated.remove(&key) {
            q.pod = pod;
            self.enqueue(profile, q);
        } else if self.active.pods.contains_key(&key) {
            self.active.set_pod(&key, pod);
        } else if let Some(q) = self.backoff.get_mut(&key) {
            q.pod = pod;
        } else if let Some(q) = self.unschedulable.get_mut(&key) {
            // Only a change beyond status and bookkeeping may make the pod schedulable
            // (upstream `isPodUpdated`): the scheduler's own PodScheduled=False write must not
            // retry it.
            let updated = is_pod_updated(&q.pod, &pod);
            q.pod = pod;
            if updated {
                if let Some(q) = self.unschedulable.remove(&key) {
                    self.requeue(q, now);
                }
            }
        } else {
            self.add(profile, pod, now);
        }
    }

    /// Forgets a pod (deleted or bound by someone else).
    pub fn delete(&mut self, key: &str) {
        self.active.remove(key);
        self.backoff.remove(key);
        self.unschedulable.remove(key);
        self.gated.remove(key);
    }

    /// Moves backoffQ pods whose backoff ended, and pods stuck in the unschedulable pool for 5
    /// minutes, to activeQ (upstream `flushBackoffQCompleted`, `flushUnschedulablePodsLeftover`).
    pub fn flush(&mut self, now: SimTime) {
        let done: Vec<String> = self
            .backoff
            .iter()
            .filter(|(_, q)| q.backoff_expiry() <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in done {
            if let Some(q) = self.backoff.remove(&k) {
                self.active.insert(k, q);
            }
        }
        let stale: Vec<String> = self
            .unschedulable
            .iter()
            .filter(|(_, q)| {
                q.unschedulable_since
                    .is_some_and(|s| now.since(s) >= MAX_IN_UNSCHEDULABLE)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            if let Some(q) = self.unschedulable.remove(&k) {
                self.requeue(q, now);
            }
        }
    }

    fn requeue(&mut self, mut q: QueuedPod, now: SimTime) {
        q.unschedulable_since = None;
        let key = pod_key(&q.pod);
        if q.backoff_expiry() > now {
            self.backoff.insert(key, q);
        } else {
            self.active.insert(key, q);
        }
    }

    /// Pops the next pod to schedule by the profile's QueueSort (upstream `Pop`), after flushing.
    pub fn pop(&mut self, profile: &Profile, now: SimTime) -> Option<QueuedPod> {
        self.flush(now);
        let key = self.active.first(profile)?;
        let mut q = self.active.remove(&key)?;
        self.scheduling_cycle += 1;
        q.attempts += 1;
        q.cycle = self.scheduling_cycle;
        q.initial_attempt.get_or_insert(now);
        Some(q)
    }

    /// Returns a pod whose attempt failed (upstream `AddUnschedulableIfNotPresent`): to backoffQ
    /// if a cluster event arrived during its attempt, else to the unschedulable pool.
    pub fn add_unschedulable(
        &mut self,
        mut q: QueuedPod,
        plugins: BTreeSet<&'static str>,
        now: SimTime,
    ) {
        q.timestamp = now;
        q.unschedulable_plugins = plugins;
        let key = pod_key(&q.pod);
        if self.move_request_cycle >= q.cycle {
            self.backoff.insert(key, q);
        } else {
            q.unschedulable_since = Some(now);
            self.unschedulable.insert(key, q);
        }
    }

    /// A cluster event: unschedulable pods it may help move to backoffQ or activeQ (upstream
    /// `MoveAllToActiveOrBackoffQueue`).
    pub fn on_event(&mut self, event: ClusterEvent, now: SimTime) {
        self.move_request_cycle = self.scheduling_cycle;
        let moving: Vec<String> = self
            .unschedulable
            .iter()
            .filter(|(_, q)| {
                q.unschedulable_plugins.is_empty()
                    || q.unschedulable_plugins.iter().any(|p| event.may_help(p))
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in moving {
            if let Some(q) = self.unschedulable.remove(&k) {
                self.requeue(q, now);
            }
        }
    }

    /// The next moment something becomes ready by itself (a backoff ending or the 5-minute
    /// unschedulable timeout), for the simulation's timer queue.
    pub fn next_wakeup(&self) -> Option<SimTime> {
        let backoff = self.backoff.values().map(QueuedPod::backoff_expiry);
        let stale = self
            .unschedulable
            .values()
            .filter_map(|q| q.unschedulable_since.map(|s| s.plus(MAX_IN_UNSCHEDULABLE)));
        backoff.chain(stale).min()
    }

    /// How many pods wait where.
    pub fn counts(&self) -> QueueCounts {
        QueueCounts {
            active: self.active.len(),
            backoff: self.backoff.len(),
            unschedulable: self.unschedulable.len(),
            gated: self.gated.len(),
        }
    }
}

/// Upstream `isPodUpdated`: whether anything but status, resourceVersion, generation,
/// managedFields and finalizers changed.
fn is_pod_updated(old: &Pod, new: &Pod) -> bool {
    let strip = |p: &Pod| {
        let mut p = p.clone();
        p.status = None;
        p.metadata.resource_version = None;
        p.metadata.generation = None;
        p.metadata.managed_fields = None;
        p.metadata.finalizers = None;
        p
    };
    strip(old) != strip(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::testutil::{pod, with_priority};
    use k8s_openapi::api::core::v1::PodSchedulingGate;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn name(q: &QueuedPod) -> &str {
        q.pod.metadata.name.as_deref().unwrap_or("")
    }

    #[test]
    fn higher_priority_pops_first_then_the_earlier_pod() {
        let profile = Profile::default();
        let mut q = SchedulingQueue::new();
        q.add(
            &profile,
            PodRef::new(with_priority(pod("late", "", ""), 0)),
            SimTime(20),
        );
        q.add(
            &profile,
            PodRef::new(with_priority(pod("early", "", ""), 0)),
            SimTime(10),
        );
        q.add(
            &profile,
            PodRef::new(with_priority(pod("urgent", "", ""), 1000)),
            SimTime(30),
        );
        let order: Vec<String> = std::iter::from_fn(|| q.pop(&profile, SimTime(40)))
            .map(|p| name(&p).to_string())
            .collect();
        assert_eq!(order, vec!["urgent", "early", "late"]);
    }

    #[test]
    fn backoff_doubles_from_one_second_to_ten() {
        let mut p = QueuedPod::new(PodRef::new(pod("p", "", "")), SimTime::ZERO);
        let want = [1_000, 2_000, 4_000, 8_000, 10_000, 10_000];
        for (i, ms) in want.iter().enumerate() {
            p.attempts = i as u32 + 1;
            assert_eq!(p.backoff(), SimDuration::millis(*ms));
        }
    }

    #[test]
    fn an_unschedulable_pod_waits_for_an_event_then_its_backoff() {
        let profile = Profile::default();
        let mut q = SchedulingQueue::new();
        q.add(&profile, PodRef::new(pod("p", "", "")), SimTime::ZERO);
        let p = q.pop(&profile, SimTime::ZERO).unwrap();
        q.add_unschedulable(
            p,
            [node_resources_fit::NAME].into_iter().collect(),
            SimTime(100),
        );
        assert_eq!(q.counts().unschedulable, 1);
        // A new pod elsewhere does not help a resource rejection.
        q.on_event(ClusterEvent::PodAdd, SimTime(200));
        assert_eq!(q.counts().unschedulable, 1);
        // A deleted pod frees resources: back off until 100 + 1 s.
        q.on_event(ClusterEvent::PodDelete, SimTime(300));
        assert_eq!(q.counts().backoff, 1);
        assert_eq!(q.next_wakeup(), Some(SimTime(1_100)));
        assert!(q.pop(&profile, SimTime(1_099)).is_none());
        let p = q.pop(&profile, SimTime(1_100)).unwrap();
        assert_eq!(p.attempts, 2);
    }

    #[test]
    fn five_minutes_without_an_event_reactivates_the_pod() {
        let profile = Profile::default();
        let mut q = SchedulingQueue::new();
        q.add(&profile, PodRef::new(pod("p", "", "")), SimTime::ZERO);
        let p = q.pop(&profile, SimTime::ZERO).unwrap();
        q.add_unschedulable(p, BTreeSet::new(), SimTime(0));
        assert_eq!(q.next_wakeup(), Some(SimTime(300_000)));
        assert!(q.pop(&profile, SimTime(299_999)).is_none());
        assert!(q.pop(&profile, SimTime(300_000)).is_some());
    }

    #[test]
    fn an_event_during_the_attempt_sends_the_pod_to_backoff() {
        let profile = Profile::default();
        let mut q = SchedulingQueue::new();
        q.add(&profile, PodRef::new(pod("p", "", "")), SimTime::ZERO);
        let p = q.pop(&profile, SimTime::ZERO).unwrap();
        q.on_event(ClusterEvent::NodeAdd, SimTime(10));
        q.add_unschedulable(p, BTreeSet::new(), SimTime(20));
        assert_eq!(q.counts().backoff, 1);
    }

    #[test]
    fn gated_pods_stay_out_until_their_gates_are_removed() {
        let profile = Profile::default();
        let mut q = SchedulingQueue::new();
        let mut p = pod("p", "", "");
        p.spec.as_mut().unwrap().scheduling_gates =
            Some(vec![PodSchedulingGate { name: "g".into() }]);
        q.add(&profile, PodRef::new(p.clone()), SimTime::ZERO);
        assert_eq!(q.counts().gated, 1);
        assert!(q.pop(&profile, SimTime(1)).is_none());
        p.spec.as_mut().unwrap().scheduling_gates = None;
        q.update(&profile, PodRef::new(p), SimTime(2));
        assert_eq!(name(&q.pop(&profile, SimTime(3)).unwrap()), "p");
    }
}
