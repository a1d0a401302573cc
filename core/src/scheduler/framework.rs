//! The scheduling framework's vocabulary: status codes, per-cycle state and one small trait per
//! extension point (upstream `pkg/scheduler/framework/interface.go`, `cycle_state.go`). The view
//! the plugins read — `NodeInfo` and `ClusterSnapshot` — lives in [`node_info`](super::node_info)
//! and [`snapshot`](super::snapshot) and is re-exported here.

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Pod;

pub use crate::scheduler::affinity_terms::{AffinityTerm, PodAffinityTerms};
pub use crate::scheduler::node_info::{normalized_image_name, ImageState, NodeInfo, PodInfo};
pub use crate::scheduler::resource::{
    pod_host_ports, pod_requests, HostPort, Resource, DEFAULT_MEMORY_REQUEST,
    DEFAULT_MILLI_CPU_REQUEST,
};
pub use crate::scheduler::snapshot::{ClusterSnapshot, VolumeBindingMode};

/// The highest score a score plugin may give a node after normalization (upstream `MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;
/// The lowest score a score plugin may give a node (upstream `MinNodeScore`).
pub const MIN_NODE_SCORE: i64 = 0;

/// The outcome class of a plugin call (upstream `framework.Code`, same order and meaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Code {
    /// The plugin ran and the pod may proceed.
    Success,
    /// An internal error; the attempt fails without a FitError.
    Error,
    /// The pod does not fit now; preemption may help.
    Unschedulable,
    /// The pod does not fit and preemption on this node cannot help.
    UnschedulableAndUnresolvable,
    /// A Permit plugin asks the pod to wait.
    Wait,
    /// The plugin has nothing to do for this pod; its later extension points are skipped.
    Skip,
    /// The pod waits for something outside the scheduler (e.g. a DRA driver).
    Pending,
}

/// A plugin's verdict: a code, the reasons a user reads, and the plugin that produced it (filled
/// in by the runner, never by the plugin itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The outcome class.
    pub code: Code,
    /// Human-readable reasons, exactly as upstream words them (most are a plugin's constant:
    /// filters return one per rejected node).
    pub reasons: Vec<Cow<'static, str>>,
    /// The plugin that returned this status; empty until the runner records it.
    pub plugin: &'static str,
}

impl Status {
    /// A successful status.
    pub fn success() -> Status {
        Status::of(Code::Success)
    }

    /// A status with no reasons (built directly: every filter returns one per node).
    fn of(code: Code) -> Status {
        Status {
            code,
            reasons: Vec::new(),
            plugin: "",
        }
    }

    /// A status with the given code and reasons.
    pub fn new<S: Into<Cow<'static, str>>>(
        code: Code,
        reasons: impl IntoIterator<Item = S>,
    ) -> Status {
        Status {
            code,
            reasons: reasons.into_iter().map(Into::into).collect(),
            plugin: "",
        }
    }

    /// An `Unschedulable` status with one reason.
    pub fn unschedulable(reason: impl Into<Cow<'static, str>>) -> Status {
        Status::new(Code::Unschedulable, [reason.into()])
    }

    /// An `UnschedulableAndUnresolvable` status with one reason.
    pub fn unresolvable(reason: impl Into<Cow<'static, str>>) -> Status {
        Status::new(Code::UnschedulableAndUnresolvable, [reason.into()])
    }

    /// An `Error` status with one reason.
    pub fn error(reason: impl Into<Cow<'static, str>>) -> Status {
        Status::new(Code::Error, [reason.into()])
    }

    /// A `Skip` status.
    pub fn skip() -> Status {
        Status::of(Code::Skip)
    }

    /// The same status, recorded as coming from `plugin`.
    pub fn with_plugin(mut self, plugin: &'static str) -> Status {
        self.plugin = plugin;
        self
    }

    /// Whether the code is `Success`.
    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }

    /// Whether the code is `Skip`.
    pub fn is_skip(&self) -> bool {
        self.code == Code::Skip
    }

    /// Whether the status rejects the pod (`Unschedulable`, `UnschedulableAndUnresolvable` or
    /// `Pending`), as upstream `IsRejected`.
    pub fn is_rejected(&self) -> bool {
        matches!(
            self.code,
            Code::Unschedulable | Code::UnschedulableAndUnresolvable | Code::Pending
        )
    }

    /// The reasons joined with `, ` (upstream `Status.Message`).
    pub fn message(&self) -> String {
        self.reasons.join(", ")
    }
}

/// Per-plugin scratch data kept in a [`CycleState`]; cloneable so preemption can simulate
/// removing pods without disturbing the real cycle.
pub trait StateData: Any {
    /// A boxed copy of the data.
    fn clone_data(&self) -> Box<dyn StateData>;
    /// The data as `Any`, for downcasting.
    fn as_any(&self) -> &dyn Any;
    /// The data as mutable `Any`, for downcasting.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any + Clone> StateData for T {
    fn clone_data(&self) -> Box<dyn StateData> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Scratch state for one scheduling cycle, keyed by plugin name (upstream `CycleState`). A
/// handful of entries, read once per node and plugin: kept in a small list, found by the key's
/// address first (plugins pass their `NAME` constant), then by its text.
#[derive(Default)]
pub struct CycleState {
    data: Vec<(&'static str, Box<dyn StateData>)>,
    /// Plugins whose PreFilter returned `Skip`; their Filter is not called this cycle.
    pub skip_filter: BTreeSet<&'static str>,
    /// Plugins whose PreScore returned `Skip`; their Score is not called this cycle.
    pub skip_score: BTreeSet<&'static str>,
}

impl Clone for CycleState {
    fn clone(&self) -> Self {
        CycleState {
            data: self
                .data
                .iter()
                .map(|(k, v)| (*k, (**v).clone_data()))
                .collect(),
            skip_filter: self.skip_filter.clone(),
            skip_score: self.skip_score.clone(),
        }
    }
}

impl std::fmt::Debug for CycleState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut keys: Vec<&str> = self.data.iter().map(|(k, _)| *k).collect();
        keys.sort_unstable();
        f.debug_struct("CycleState").field("keys", &keys).finish()
    }
}

impl CycleState {
    fn position(&self, key: &str) -> Option<usize> {
        self.data
            .iter()
            .position(|(k, _)| std::ptr::eq(*k, key))
            .or_else(|| self.data.iter().position(|(k, _)| *k == key))
    }

    /// Stores `value` under `key`, replacing what was there.
    pub fn write<T: Any + Clone>(&mut self, key: &'static str, value: T) {
        match self.position(key) {
            Some(i) => self.data[i].1 = Box::new(value),
            None => self.data.push((key, Box::new(value))),
        }
    }

    /// The value stored under `key`, if it has type `T`.
    pub fn read<T: Any>(&self, key: &'static str) -> Option<&T> {
        let v: &dyn StateData = &*self.data[self.position(key)?].1;
        v.as_any().downcast_ref::<T>()
    }

    /// The value stored under `key`, mutably, if it has type `T`.
    pub fn read_mut<T: Any>(&mut self, key: &'static str) -> Option<&mut T> {
        let i = self.position(key)?;
        let v: &mut dyn StateData = &mut *self.data[i].1;
        v.as_any_mut().downcast_mut::<T>()
    }
}

/// The pod's priority (`spec.priority`, 0 when unset).
pub fn pod_priority(pod: &Pod) -> i32 {
    pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
}

/// `namespace/name` of a pod.
pub fn pod_key(pod: &Pod) -> String {
    // Built by hand: the scheduler keys every pod it hears of, several times per event.
    [
        pod.metadata.namespace.as_deref().unwrap_or("default"),
        "/",
        pod.metadata.name.as_deref().unwrap_or(""),
    ]
    .concat()
}

/// Nodes a PreFilter plugin narrows the search to (`None` in the result means all nodes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreFilterResult {
    /// Names of the nodes worth filtering.
    pub node_names: BTreeSet<String>,
}

/// Every plugin has a name (upstream `Plugin`).
pub trait Plugin {
    /// The plugin's upstream name, e.g. `NodeResourcesFit`.
    fn name(&self) -> &'static str;
}

/// Decides whether a pod may enter the active queue at all (upstream `PreEnqueuePlugin`).
pub trait PreEnqueuePlugin: Plugin {
    /// `Success` lets the pod in; anything else keeps it out.
    fn pre_enqueue(&self, pod: &Pod) -> Status;
}

/// Orders the active queue (upstream `QueueSortPlugin`).
pub trait QueueSortPlugin: Plugin {
    /// Whether `a` (queued at `a_time`) should be scheduled before `b` (queued at `b_time`).
    fn less(
        &self,
        a: &Pod,
        a_time: crate::sim::SimTime,
        b: &Pod,
        b_time: crate::sim::SimTime,
    ) -> bool;
}

/// Runs once per cycle before filtering; may narrow the nodes or reject the pod outright.
pub trait PreFilterPlugin: Plugin {
    /// Computes per-cycle state; `Skip` disables this plugin's Filter for the cycle.
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        snapshot: &ClusterSnapshot,
    ) -> (Option<PreFilterResult>, Status);

    /// Updates this plugin's cycle state as if `victim` were removed from node `node`
    /// (preemption's dry run; upstream `PreFilterExtensions.RemovePod`). Default: nothing to do.
    fn remove_pod(&self, _state: &mut CycleState, _pod: &Pod, _victim: &Pod, _node: &NodeInfo) {}

    /// Updates this plugin's cycle state as if `other` were added to node `node` (preemption's
    /// reprieve step; upstream `PreFilterExtensions.AddPod`). Default: nothing to do.
    fn add_pod(&self, _state: &mut CycleState, _pod: &Pod, _other: &Pod, _node: &NodeInfo) {}
}

/// Decides whether a pod fits on one node (upstream `FilterPlugin`).
pub trait FilterPlugin: Plugin {
    /// `Success` when the pod fits; a rejection otherwise, with the exact upstream reason.
    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status;

    /// Whether the verdict depends on nothing but the node's [`NodeInfo`] and the pod's spec
    /// (volumes and volume mounts aside), through this plugin's own PreFilter state: then the
    /// cycle may reuse the verdict it had for an unchanged node and an equal spec
    /// ([`VerdictMemo`](crate::scheduler::verdict_memo::VerdictMemo)). Default `false`.
    fn filter_is_node_local(&self) -> bool {
        false
    }
}

/// Runs after no node fits (upstream `PostFilterPlugin`; DefaultPreemption).
pub trait PostFilterPlugin: Plugin {
    /// Tries to make room; returns the nominated node and victims, or why it could not.
    fn post_filter(
        &self,
        ctx: &crate::scheduler::cycle::PostFilterContext<'_>,
        pod: &Pod,
        rng: &mut crate::sim::SimRng,
    ) -> (
        Option<crate::scheduler::plugins::default_preemption::Preemption>,
        Status,
    );
}

/// Runs once before scoring the feasible nodes (upstream `PreScorePlugin`).
pub trait PreScorePlugin: Plugin {
    /// Computes per-cycle scoring state; `Skip` disables this plugin's Score for the cycle.
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        feasible: &[&NodeInfo],
        snapshot: &ClusterSnapshot,
    ) -> Status;

    /// [`pre_score`](Self::pre_score) told each feasible node's position in `snapshot`
    /// (`at[k]` for `feasible[k]`), as the cycle knows it from its walk: a plugin reading
    /// tables the snapshot keeps by node position can skip finding the nodes there, and so
    /// reading them at all. Default: `pre_score`.
    fn pre_score_at(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        feasible: &[&NodeInfo],
        at: &[usize],
        snapshot: &ClusterSnapshot,
    ) -> Status {
        let _ = at;
        self.pre_score(state, pod, feasible, snapshot)
    }
}

/// Ranks feasible nodes (upstream `ScorePlugin` with its `ScoreExtensions`).
pub trait ScorePlugin: Plugin {
    /// The raw score of one node.
    fn score(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Result<i64, Status>;

    /// The raw scores of `nodes`, in order, appended to `out`; the first error stops it. The
    /// same as [`score`](Self::score) node by node (the default), but one call per cycle lets a
    /// plugin read its cycle state once instead of once per node.
    fn score_nodes(
        &self,
        state: &CycleState,
        pod: &Pod,
        nodes: &[&NodeInfo],
        out: &mut Vec<i64>,
    ) -> Result<(), Status> {
        for n in nodes {
            out.push(self.score(state, pod, n)?);
        }
        Ok(())
    }

    /// [`score_nodes`](Self::score_nodes) told each node's position in the cycle's snapshot
    /// (`at[k]` for `nodes[k]`), for a plugin that reads its PreScore state by node position.
    /// Default: `score_nodes`.
    fn score_nodes_at(
        &self,
        state: &CycleState,
        pod: &Pod,
        nodes: &[&NodeInfo],
        at: &[usize],
        out: &mut Vec<i64>,
    ) -> Result<(), Status> {
        let _ = at;
        self.score_nodes(state, pod, nodes, out)
    }

    /// Whether the raw score depends on nothing but the node's [`NodeInfo`] and the pod's spec
    /// (volumes and volume mounts aside), through this plugin's own PreScore state: then the
    /// cycle may reuse the raw score it had for an unchanged node and an equal spec. Default
    /// `false`.
    fn score_is_node_local(&self) -> bool {
        false
    }

    /// Whether the plugin has a NormalizeScore step (upstream `ScoreExtensions()` returns one):
    /// without one the cycle takes the raw scores as the normalized ones, without a copy.
    /// Default `true` (the default [`ScorePlugin::normalize_score`] changes nothing).
    fn has_score_extensions(&self) -> bool {
        true
    }

    /// Maps raw scores into `0..=100` in place (upstream `NormalizeScore`). Default: unchanged.
    fn normalize_score(&self, _state: &CycleState, _pod: &Pod, _scores: &mut [i64]) -> Status {
        Status::success()
    }
}

/// One node's raw score through [`ScorePlugin::score_nodes`]: the [`ScorePlugin::score`] of a
/// plugin whose scoring is written once, for a cycle's nodes.
pub fn score_one<P: ScorePlugin + ?Sized>(
    plugin: &P,
    state: &CycleState,
    pod: &Pod,
    node: &NodeInfo,
) -> Result<i64, Status> {
    let mut out = Vec::with_capacity(1);
    plugin.score_nodes(state, pod, &[node], &mut out)?;
    out.first()
        .copied()
        .ok_or_else(|| Status::error(format!("plugin {:?} scored no node", plugin.name())))
}

/// Reserves cluster state for the chosen node before binding (upstream `ReservePlugin`).
pub trait ReservePlugin: Plugin {
    /// Reserves; a failure aborts the attempt.
    fn reserve(&self, state: &mut CycleState, pod: &Pod, node: &str) -> Status;
    /// Undoes `reserve` when a later step fails.
    fn unreserve(&self, state: &mut CycleState, pod: &Pod, node: &str);
}

/// Approves, denies or delays binding (upstream `PermitPlugin`).
pub trait PermitPlugin: Plugin {
    /// `Success`, a rejection, or `Wait` with how long to wait in milliseconds.
    fn permit(&self, state: &mut CycleState, pod: &Pod, node: &str) -> (Status, u64);
}

/// Prepares the binding (e.g. volumes) (upstream `PreBindPlugin`).
pub trait PreBindPlugin: Plugin {
    /// A failure aborts the binding.
    fn pre_bind(&self, state: &mut CycleState, pod: &Pod, node: &str) -> Status;
}

/// Binds the pod to the node (upstream `BindPlugin`).
pub trait BindPlugin: Plugin {
    /// The `Binding` to write to `pods/<name>/binding`, or `Skip` to let the next binder try.
    fn bind(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        node: &str,
    ) -> Result<k8s_openapi::api::core::v1::Binding, Status>;
}
