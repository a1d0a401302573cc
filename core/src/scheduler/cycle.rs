//! One scheduling cycle, as upstream `schedule_one.go`: PreFilter, Filter from a rotating start
//! index until enough feasible nodes are found, Score and NormalizeScore × weight, host selection
//! with a random tie-break, and on failure PostFilter (preemption) and the exact FitError message.

// A FitError is built once per failed attempt and carries the whole diagnosis by design.
#![allow(clippy::result_large_err)]

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::decision::{Decision, FilterTrace, PluginVerdict};
use crate::scheduler::framework::{
    pod_key, pod_priority, ClusterSnapshot, Code, CycleState, FilterPlugin, NodeInfo,
    PreFilterResult, ScorePlugin, Status, MAX_NODE_SCORE, MIN_NODE_SCORE,
};
use crate::scheduler::plugins::default_preemption::Preemption;
use crate::scheduler::registry::Profile;
use crate::scheduler::verdict_memo::{KeptFilters, VerdictMemo};
use crate::sim::SimRng;

/// Below this many nodes every node is evaluated; also the least number searched for
/// (upstream `minFeasibleNodesToFind`).
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// The adaptive percentage never drops below this (upstream `minFeasibleNodesPercentageToFind`).
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;
/// The error when the snapshot has no nodes (upstream `ErrNoNodesAvailable`).
pub const NO_NODES_AVAILABLE: &str = "no nodes available to schedule pods";

/// How many feasible nodes to look for before stopping the filter search (upstream
/// `numFeasibleNodesToFind`): all nodes below 100, else `nodes × percentage / 100` but at least
/// 100, the percentage being the profile's or adaptive `50 − nodes/125` (at least 5).
pub fn num_feasible_nodes_to_find(percentage: Option<u32>, num_all_nodes: usize) -> usize {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut pct = percentage.unwrap_or(0) as usize;
    if pct == 0 {
        pct = 50usize
            .saturating_sub(num_all_nodes / 125)
            .max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
    }
    let n = num_all_nodes * pct.min(100) / 100;
    n.max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// Each node's rejection, by node name, plus the status of nodes not listed (upstream
/// `NodeToStatus`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeToStatus {
    /// Statuses of nodes that were evaluated (or dry-run by preemption).
    pub explicit: BTreeMap<String, Status>,
    /// The status every other node implicitly has.
    pub absent: Status,
}

impl Default for NodeToStatus {
    fn default() -> Self {
        NodeToStatus {
            explicit: BTreeMap::new(),
            absent: Status::new(Code::UnschedulableAndUnresolvable, Vec::<String>::new()),
        }
    }
}

impl NodeToStatus {
    /// The status of node `name`.
    pub fn get(&self, name: &str) -> &Status {
        self.explicit.get(name).unwrap_or(&self.absent)
    }

    /// The reasons histogram as upstream prints it: `"<count> <reason>"` entries sorted as Go's
    /// `sort.Strings` (byte order), for `num_all_nodes` nodes.
    pub fn histogram(&self, num_all_nodes: usize) -> Vec<String> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for s in self.explicit.values() {
            for r in &s.reasons {
                *counts.entry(r.as_ref()).or_insert(0) += 1;
            }
        }
        let absent = num_all_nodes.saturating_sub(self.explicit.len());
        if absent > 0 {
            for r in &self.absent.reasons {
                *counts.entry(r.as_ref()).or_insert(0) += absent;
            }
        }
        let mut out: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
        out.sort();
        out
    }
}

/// Why no node fits, as upstream `Diagnosis`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnosis {
    /// Each node's rejection.
    pub node_to_status: NodeToStatus,
    /// The PreFilter rejection message, when PreFilter rejected the pod.
    pub pre_filter_msg: String,
    /// The PostFilter (preemption) message, when it produced one.
    pub post_filter_msg: String,
    /// Plugins that rejected the pod on some node (for queueing hints).
    pub unschedulable_plugins: BTreeSet<&'static str>,
}

/// A failed attempt (upstream `FitError`, plus the two plain errors of `schedulePod`). Its
/// `Display` is the exact FailedScheduling message of v1.33.
#[derive(Debug, Clone, PartialEq)]
pub struct FitError {
    /// `namespace/name` of the pod.
    pub pod: String,
    /// Nodes in the snapshot (0: `no nodes available to schedule pods`).
    pub num_all_nodes: usize,
    /// Why no node fits.
    pub diagnosis: Diagnosis,
    /// An internal error (a plugin returned `Error`); printed instead of the FitError text.
    pub internal: Option<String>,
    /// What preemption decided, when it found a node (the caller deletes the victims and sets
    /// `status.nominatedNodeName`).
    pub preemption: Option<Preemption>,
    /// The attempt's record.
    pub decision: Box<Decision>,
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = &self.internal {
            return f.write_str(e);
        }
        if self.num_all_nodes == 0 {
            return f.write_str(NO_NODES_AVAILABLE);
        }
        write!(f, "0/{} nodes are available:", self.num_all_nodes)?;
        let d = &self.diagnosis;
        if !d.pre_filter_msg.is_empty() {
            write!(f, " {}.", d.pre_filter_msg)?;
        } else {
            let hist = d.node_to_status.histogram(self.num_all_nodes);
            if !hist.is_empty() {
                write!(f, " {}.", hist.join(", "))?;
            }
        }
        if !d.post_filter_msg.is_empty() {
            // v1.30+: the PostFilter message is itself a sentence; no second period.
            write!(f, " {}", d.post_filter_msg)?;
        }
        Ok(())
    }
}

impl std::error::Error for FitError {}

/// A successful attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleResult {
    /// The chosen node.
    pub suggested_host: String,
    /// Nodes the filters ran on.
    pub evaluated_nodes: usize,
    /// Nodes that passed every filter.
    pub feasible_nodes: usize,
    /// The attempt's record.
    pub decision: Decision,
}

/// What a PostFilter plugin may read: the profile (to re-run filters), the cycle state after
/// PreFilter, the snapshot and each node's rejection.
pub struct PostFilterContext<'a> {
    /// The profile being run.
    pub profile: &'a Profile,
    /// The cycle state after PreFilter.
    pub state: &'a CycleState,
    /// The cluster.
    pub snapshot: &'a ClusterSnapshot,
    /// Why each node was rejected.
    pub statuses: &'a NodeToStatus,
}

/// Runs the filters with the pods nominated to this node that are at least as important as `pod`
/// counted as if they were running there, then (when any were added and the pod fits) once more
/// without them (upstream `RunFilterPluginsWithNominatedPods`): a pod must fit both ways, so it
/// never takes the room a preemptor freed, nor relies on a nominated pod that may go elsewhere.
pub fn run_filter_plugins_with_nominated_pods(
    profile: &Profile,
    state: &CycleState,
    pod: &Pod,
    node: &NodeInfo,
    snapshot: &ClusterSnapshot,
    trace: Option<&mut FilterTrace>,
) -> Status {
    let filters = Filters::new(active_filters(profile, state));
    filter_with_nominated_pods(profile, &filters, state, pod, node, snapshot, trace, None)
}

/// [`run_filter_plugins_with_nominated_pods`] with the cycle's filters already chosen, and the
/// node-local verdicts of the cycle's memo, when it keeps one, standing in for running the
/// leading node-local filters again.
#[allow(clippy::too_many_arguments)]
fn filter_with_nominated_pods(
    profile: &Profile,
    filters: &Filters<'_>,
    state: &CycleState,
    pod: &Pod,
    node: &NodeInfo,
    snapshot: &ClusterSnapshot,
    mut trace: Option<&mut FilterTrace>,
    memo: Option<(&mut VerdictMemo, usize)>,
) -> Status {
    // (The name is read only when some pod is nominated anywhere: it lives in the node object.)
    let nominated_here = if snapshot.nominated.is_empty() {
        None
    } else {
        snapshot.nominated.get(node.name())
    };
    let nominated = match nominated_here {
        None => Vec::new(),
        Some(pods) => {
            let priority = pod_priority(pod);
            let uid = pod.metadata.uid.as_deref();
            pods.iter()
                .filter(|p| pod_priority(p) >= priority && p.metadata.uid.as_deref() != uid)
                .collect::<Vec<&Pod>>()
        }
    };
    if nominated.is_empty() {
        return match memo {
            Some((memo, at)) if filters.local > 0 => {
                run_filters_remembered(filters, memo, at, state, pod, node, trace)
            }
            _ => run_filters(&filters.all, state, pod, node, trace),
        };
    }
    let mut with_state = state.clone();
    let mut with_node = node.clone();
    for other in &nominated {
        with_node.add_pod((*other).clone());
        for pl in &profile.pre_filter {
            pl.add_pod(&mut with_state, pod, other, &with_node);
        }
    }
    // The record shows a rejection with the nominated pods, else the run without them.
    let s = run_filters(
        &filters.all,
        &with_state,
        pod,
        &with_node,
        trace.as_deref_mut(),
    );
    if !s.is_success() {
        return s;
    }
    run_filters(&filters.all, state, pod, node, trace)
}

/// The filters a cycle runs, in order, and how many of the first are node-local.
struct Filters<'p> {
    all: Vec<&'p dyn FilterPlugin>,
    /// The length of the leading run of node-local filters.
    local: usize,
}

impl<'p> Filters<'p> {
    fn new(all: Vec<&'p dyn FilterPlugin>) -> Filters<'p> {
        let local = all
            .iter()
            .take_while(|pl| pl.filter_is_node_local())
            .count();
        Filters { all, local }
    }

    /// Whether every filter is node-local (and there is one at least).
    fn all_local(&self) -> bool {
        self.local > 0 && self.local == self.all.len()
    }

    /// The record of a node on which every filter ran and passed, when all are node-local.
    fn all_local_passed(&self) -> FilterTrace {
        FilterTrace {
            run: self.local,
            last: None,
        }
    }
}

/// [`run_filters`] with the outcome of the leading node-local filters taken from the memo's
/// verdicts at `at` (computed and kept there when missing); the rest run as usual. The trace
/// reads as if every filter had run here.
fn run_filters_remembered(
    filters: &Filters<'_>,
    memo: &mut VerdictMemo,
    at: usize,
    state: &CycleState,
    pod: &Pod,
    node: &NodeInfo,
    trace: Option<&mut FilterTrace>,
) -> Status {
    let local = &filters.all[..filters.local];
    match memo.filters(at) {
        KeptFilters::Passed => memo.count_reuse(1),
        KeptFilters::Rejected(kept) => {
            let (s, t) = (**kept).clone();
            memo.count_reuse(1);
            if let Some(trace) = trace {
                *trace = t;
            }
            return s;
        }
        KeptFilters::Unknown => {
            let mut t = FilterTrace::default();
            let s = run_filters(local, state, pod, node, Some(&mut t));
            if !s.is_success() {
                memo.keep_filters(at, KeptFilters::Rejected(Box::new((s.clone(), t.clone()))));
                if let Some(trace) = trace {
                    *trace = t;
                }
                return s;
            }
            memo.keep_filters(at, KeptFilters::Passed);
        }
    }
    // The node-local filters passed; the others run.
    if filters.local == filters.all.len() {
        if let Some(t) = trace {
            *t = filters.all_local_passed();
        }
        return Status::success();
    }
    let mut rest = FilterTrace::default();
    let s = run_filters(
        &filters.all[filters.local..],
        state,
        pod,
        node,
        trace.is_some().then_some(&mut rest),
    );
    if let Some(t) = trace {
        *t = FilterTrace {
            run: filters.local + rest.run,
            last: rest.last,
        };
    }
    s
}

/// The profile's filters minus those whose PreFilter skipped them this cycle, in order.
fn active_filters<'p>(profile: &'p Profile, state: &CycleState) -> Vec<&'p dyn FilterPlugin> {
    profile
        .filter
        .iter()
        .filter(|pl| !state.skip_filter.contains(pl.name()))
        .map(|pl| &**pl)
        .collect()
}

/// Runs the profile's filters on one node; the first rejection wins and is tagged with its plugin
/// (upstream `RunFilterPlugins`). What ran is written to `trace` when given.
pub fn run_filter_plugins(
    profile: &Profile,
    state: &CycleState,
    pod: &Pod,
    node: &NodeInfo,
    trace: Option<&mut FilterTrace>,
) -> Status {
    run_filters(&active_filters(profile, state), state, pod, node, trace)
}

fn run_filters(
    filters: &[&dyn FilterPlugin],
    state: &CycleState,
    pod: &Pod,
    node: &NodeInfo,
    mut trace: Option<&mut FilterTrace>,
) -> Status {
    for (i, pl) in filters.iter().enumerate() {
        let s = pl.filter(state, pod, node);
        if !s.is_success() {
            if let Some(t) = trace.as_deref_mut() {
                *t = FilterTrace {
                    run: i + 1,
                    last: Some((s.code, s.message())),
                };
            }
            return s.with_plugin(pl.name());
        }
    }
    if let Some(t) = trace {
        *t = FilterTrace {
            run: filters.len(),
            last: None,
        };
    }
    Status::success()
}

fn fail(
    pod: &Pod,
    profile: &Profile,
    state: &CycleState,
    snapshot: &ClusterSnapshot,
    mut diagnosis: Diagnosis,
    mut decision: Decision,
    rng: &mut SimRng,
) -> FitError {
    let mut preemption = None;
    if let Some(pl) = profile.post_filter.first() {
        let ctx = PostFilterContext {
            profile,
            state,
            snapshot,
            statuses: &diagnosis.node_to_status,
        };
        let (result, status) = pl.post_filter(&ctx, pod, rng);
        diagnosis.post_filter_msg = status.message();
        decision.post_filter = Some(status.message());
        preemption = result;
    }
    FitError {
        pod: pod_key(pod),
        num_all_nodes: snapshot.nodes.len(),
        diagnosis,
        internal: None,
        preemption,
        decision: Box::new(decision),
    }
}

fn internal_error(
    pod: &Pod,
    snapshot: &ClusterSnapshot,
    msg: String,
    decision: Decision,
) -> FitError {
    FitError {
        pod: pod_key(pod),
        num_all_nodes: snapshot.nodes.len(),
        diagnosis: Diagnosis::default(),
        internal: Some(msg),
        preemption: None,
        decision: Box::new(decision),
    }
}

/// Schedules one pod against a snapshot, exactly as upstream `schedulePod`: returns the chosen
/// node, or the FitError whose `Display` is the FailedScheduling message. `next_start_index` is
/// the scheduler's rotating filter start (upstream `nextStartNodeIndex`); `rng` breaks ties.
pub fn schedule_one(
    pod: &Pod,
    snapshot: &ClusterSnapshot,
    profile: &Profile,
    next_start_index: &mut usize,
    rng: &mut SimRng,
) -> Result<ScheduleResult, FitError> {
    schedule(pod, snapshot, profile, next_start_index, rng, None)
}

/// [`schedule_one`] reusing, for nodes unchanged since an earlier cycle of a pod with the same
/// spec, what the node-local filters and scores said then (see [`VerdictMemo`]): the same result
/// and decision record, computed with less work. The memo belongs to one profile.
pub fn schedule_one_remembering(
    pod: &Pod,
    snapshot: &ClusterSnapshot,
    profile: &Profile,
    next_start_index: &mut usize,
    rng: &mut SimRng,
    memo: &mut VerdictMemo,
) -> Result<ScheduleResult, FitError> {
    let memo = memo.begin(pod, profile.score.len()).then_some(memo);
    schedule(pod, snapshot, profile, next_start_index, rng, memo)
}

/// The cycle of [`schedule_one`], with the memo's verdicts when it is given one.
fn schedule(
    pod: &Pod,
    snapshot: &ClusterSnapshot,
    profile: &Profile,
    next_start_index: &mut usize,
    rng: &mut SimRng,
    mut memo: Option<&mut VerdictMemo>,
) -> Result<ScheduleResult, FitError> {
    let all = snapshot.nodes.len();
    let mut decision = Decision::new(pod_key(pod), all);
    if all == 0 {
        return Err(FitError {
            pod: pod_key(pod),
            num_all_nodes: 0,
            diagnosis: Diagnosis::default(),
            internal: None,
            preemption: None,
            decision: Box::new(decision),
        });
    }
    let mut state = CycleState::default();
    let mut diagnosis = Diagnosis::default();

    // PreFilter: the first rejection ends the cycle; results narrow the nodes (intersection).
    let mut narrowed: Option<PreFilterResult> = None;
    let mut narrowing_plugins: Vec<&'static str> = Vec::new();
    for pl in &profile.pre_filter {
        let (result, s) = pl.pre_filter(&mut state, pod, snapshot);
        let s = s.with_plugin(pl.name());
        decision.pre_filter.push(PluginVerdict {
            plugin: pl.name(),
            code: s.code,
            reason: s.message(),
        });
        if s.is_skip() {
            state.skip_filter.insert(pl.name());
            continue;
        }
        if s.code == Code::Error {
            return Err(internal_error(pod, snapshot, s.message(), decision));
        }
        if s.is_rejected() {
            diagnosis.pre_filter_msg = s.message();
            diagnosis.unschedulable_plugins.insert(pl.name());
            diagnosis.node_to_status.absent = s;
            return Err(fail(
                pod, profile, &state, snapshot, diagnosis, decision, rng,
            ));
        }
        if let Some(r) = result {
            narrowing_plugins.push(pl.name());
            let merged = match narrowed.take() {
                None => r,
                Some(prev) => PreFilterResult {
                    node_names: prev
                        .node_names
                        .intersection(&r.node_names)
                        .cloned()
                        .collect(),
                },
            };
            if merged.node_names.is_empty() {
                // Upstream stops at the first plugin that empties the intersection.
                let msg = if narrowing_plugins.len() == 1 {
                    format!("node(s) didn't satisfy plugin {}", narrowing_plugins[0])
                } else {
                    format!(
                        "node(s) didn't satisfy plugin(s) [{}] simultaneously",
                        narrowing_plugins.join(" ")
                    )
                };
                let s = Status::unresolvable(msg);
                diagnosis.pre_filter_msg = s.message();
                diagnosis.node_to_status.absent = s;
                return Err(fail(
                    pod, profile, &state, snapshot, diagnosis, decision, rng,
                ));
            }
            narrowed = Some(merged);
        }
    }
    // The positions of the nodes left after PreFilter (`None`: every node, not listed per pod).
    let narrowed_at: Option<Vec<usize>> = match &narrowed {
        None => None,
        Some(r) => {
            let mut sorted = narrowing_plugins.clone();
            sorted.sort_unstable();
            diagnosis.node_to_status.absent = Status::unresolvable(format!(
                "node(s) didn't satisfy plugin(s) [{}]",
                sorted.join(" ")
            ));
            let mut at: Vec<usize> = r
                .node_names
                .iter()
                .filter_map(|n| snapshot.node_index(n))
                .collect();
            at.sort_unstable();
            Some(at)
        }
    };
    let count = narrowed_at.as_ref().map_or(all, Vec::len);
    // The snapshot position of the `k`th node left.
    let position = |k: usize| -> usize {
        match &narrowed_at {
            None => k,
            Some(at) => at[k],
        }
    };

    // Filter from the rotating start until enough feasible nodes are found.
    let filters = Filters::new(active_filters(profile, &state));
    decision.filter_plugins = filters.all.iter().map(|pl| pl.name()).collect();
    if let Some(memo) = memo.as_deref_mut() {
        memo.filters_for(&decision.filter_plugins[..filters.local]);
    }
    let all_local = filters.all_local();
    let to_find = num_feasible_nodes_to_find(profile.percentage_of_nodes_to_score, count);
    decision.nodes_to_find = to_find;
    let mut found = Feasible {
        nodes: Vec::with_capacity(to_find.min(count)),
        recorded: Vec::new(),
        at: Vec::with_capacity(to_find.min(count)),
    };
    decision.reserve_nodes(count);
    // The rejections, put in the diagnosis only if no node fits: a pod that is scheduled does
    // not read them, and at 5,000 nodes they are hundreds a cycle.
    let mut rejected: Vec<(&NodeInfo, Status)> = Vec::new();
    let mut processed = 0;
    let start = if count == 0 {
        0
    } else {
        *next_start_index % count
    };
    // The `k`th node left from the start, `(start + i) % count`, kept without a division a node.
    let mut k = start;
    for _ in 0..count {
        if found.nodes.len() >= to_find {
            break;
        }
        let index = position(k);
        k += 1;
        if k == count {
            k = 0;
        }
        let node: &Arc<NodeInfo> = &snapshot.nodes[index];
        processed += 1;
        // The name from the snapshot's table: the node's state is not read for it (the table
        // is made with the positions, as tests check).
        let slot = decision.record_node(|| {
            let name = snapshot.name_at(index).unwrap_or(node.shared_name());
            debug_assert!(Arc::ptr_eq(name, node.shared_name()), "{name} at {index}");
            Arc::clone(name)
        });
        // An unchanged node that passed every filter last time passes again: every filter of
        // the cycle is node-local and no pod is nominated anywhere, so nothing else could
        // change the verdict (what `filter_with_nominated_pods` finds, without its steps).
        if all_local && snapshot.nominated.is_empty() {
            if let Some(memo) = memo
                .as_deref_mut()
                .filter(|m| m.passed_unchanged(node, index))
            {
                memo.count_reuse(1);
                if let Some(i) = slot {
                    decision.set_filters(i, filters.all_local_passed());
                }
                found.nodes.push(node);
                found.recorded.extend(slot);
                found.at.push(index);
                continue;
            }
        }
        let mut trace = FilterTrace::default();
        let at = memo.as_deref_mut().map(|memo| {
            memo.make_current(node, index);
            index
        });
        let s = filter_with_nominated_pods(
            profile,
            &filters,
            &state,
            pod,
            node,
            snapshot,
            slot.map(|_| &mut trace),
            memo.as_deref_mut().zip(at),
        );
        if let Some(i) = slot {
            decision.set_filters(i, trace);
        }
        match s.code {
            Code::Success => {
                found.nodes.push(node);
                found.recorded.extend(slot);
                found.at.push(index);
            }
            Code::Error => {
                return Err(internal_error(pod, snapshot, s.message(), decision));
            }
            _ => rejected.push((node, s)),
        }
    }
    *next_start_index = (*next_start_index + processed) % all;
    decision.evaluated_nodes = processed;
    decision.feasible_nodes = found.nodes.len();

    if found.nodes.is_empty() {
        for (node, s) in rejected {
            if !s.plugin.is_empty() {
                diagnosis.unschedulable_plugins.insert(s.plugin);
            }
            diagnosis
                .node_to_status
                .explicit
                .insert(node.name().to_string(), s);
        }
        return Err(fail(
            pod, profile, &state, snapshot, diagnosis, decision, rng,
        ));
    }
    if found.nodes.len() == 1 {
        let host = found.nodes[0].name().to_string();
        decision.chosen = Some(host.clone());
        return Ok(ScheduleResult {
            suggested_host: host,
            evaluated_nodes: processed,
            feasible_nodes: 1,
            decision,
        });
    }

    // Score.
    let totals = match prioritize(
        pod,
        profile,
        &mut state,
        snapshot,
        &found,
        &mut decision,
        memo,
    ) {
        Ok(t) => t,
        Err(msg) => return Err(internal_error(pod, snapshot, msg, decision)),
    };
    let host = select_host(&found.nodes, &totals, rng);
    decision.chosen = Some(host.clone());
    Ok(ScheduleResult {
        suggested_host: host,
        evaluated_nodes: processed,
        feasible_nodes: found.nodes.len(),
        decision,
    })
}

/// The nodes that passed the filters, in the order found.
struct Feasible<'n> {
    nodes: Vec<&'n NodeInfo>,
    /// The slots in the decision record of those it records. They lead: a node is recorded
    /// when it is among the first evaluated, and the feasible are listed in evaluation order.
    recorded: Vec<usize>,
    /// Each one's position in the snapshot (and in the memo, when the cycle keeps one).
    at: Vec<usize>,
}

fn prioritize(
    pod: &Pod,
    profile: &Profile,
    state: &mut CycleState,
    snapshot: &ClusterSnapshot,
    found: &Feasible<'_>,
    decision: &mut Decision,
    mut memo: Option<&mut VerdictMemo>,
) -> Result<Vec<i64>, String> {
    let (feasible, slots) = (found.nodes.as_slice(), found.recorded.as_slice());
    if profile.score.is_empty() {
        return Ok(vec![1; feasible.len()]);
    }
    // Filled by the first column that runs, then added to.
    let mut totals: Vec<i64> = Vec::with_capacity(feasible.len());
    for pl in &profile.pre_score {
        let s = pl.pre_score_at(state, pod, feasible, &found.at, snapshot);
        if s.is_skip() {
            state.skip_score.insert(pl.name());
        } else if !s.is_success() {
            return Err(s.message());
        }
    }
    let columns = profile
        .score
        .iter()
        .filter(|wp| !state.skip_score.contains(wp.plugin.name()))
        .count();
    decision.start_scores(columns, slots);
    for (k, wp) in profile.score.iter().enumerate() {
        let pl = &wp.plugin;
        if state.skip_score.contains(pl.name()) {
            continue;
        }
        decision.push_score_column(pl.name(), wp.weight);
        let mut raw = Vec::with_capacity(feasible.len());
        match memo.as_deref_mut() {
            Some(memo) if pl.score_is_node_local() => {
                score_remembered(&**pl, k, state, pod, found, memo, &mut raw)
            }
            _ => pl.score_nodes_at(state, pod, feasible, &found.at, &mut raw),
        }
        .map_err(|s| s.message())?;
        let normalized: Cow<'_, [i64]> = if pl.has_score_extensions() {
            let mut normalized = raw.clone();
            let s = pl.normalize_score(state, pod, &mut normalized);
            if !s.is_success() {
                return Err(s.message());
            }
            Cow::Owned(normalized)
        } else {
            Cow::Borrowed(&raw)
        };
        // The first score out of range fails the cycle; the record keeps the scores before it.
        // (A pass without an early exit finds whether there is one: it compiles to a vector
        // compare.)
        let in_range = |v: &i64| (MIN_NODE_SCORE..=MAX_NODE_SCORE).contains(v);
        let bad = if normalized.iter().fold(true, |ok, v| ok & in_range(v)) {
            None
        } else {
            normalized.iter().position(|v| !in_range(v))
        };
        for (i, &j) in slots
            .iter()
            .enumerate()
            .take_while(|(i, _)| bad.is_none_or(|b| *i < b))
        {
            decision.set_score(j, raw[i], normalized[i]);
        }
        if let Some(b) = bad {
            return Err(format!(
                "plugin \"{}\" returns an invalid score {}, it should in the range of [{MIN_NODE_SCORE}, {MAX_NODE_SCORE}] after normalizing",
                pl.name(),
                normalized[b]
            ));
        }
        if totals.is_empty() {
            totals.extend(normalized.iter().map(|v| v * wp.weight));
        } else {
            for (total, v) in totals.iter_mut().zip(normalized.iter()) {
                *total += v * wp.weight;
            }
        }
    }
    if totals.is_empty() {
        // Every score plugin skipped itself.
        totals.resize(feasible.len(), 0);
    }
    for (i, &j) in slots.iter().enumerate() {
        decision.set_total(j, totals[i]);
    }
    Ok(totals)
}

/// A node-local score plugin's raw scores of the feasible nodes into `out`: the memo's where it
/// has them, the plugin's for the rest, which the memo then keeps. `k` is the plugin's position
/// in the profile's score list.
fn score_remembered(
    pl: &dyn ScorePlugin,
    k: usize,
    state: &CycleState,
    pod: &Pod,
    found: &Feasible<'_>,
    memo: &mut VerdictMemo,
    out: &mut Vec<i64>,
) -> Result<(), Status> {
    let (feasible, at) = (found.nodes.as_slice(), found.at.as_slice());
    let mut missing: Vec<usize> = Vec::new();
    memo.scores_into(k, at, out, &mut missing);
    memo.count_reuse(feasible.len() - missing.len());
    if missing.is_empty() {
        return Ok(());
    }
    let nodes: Vec<&NodeInfo> = missing.iter().map(|&i| feasible[i]).collect();
    let mut scored = Vec::with_capacity(nodes.len());
    pl.score_nodes(state, pod, &nodes, &mut scored)?;
    for (&i, v) in missing.iter().zip(scored) {
        out[i] = v;
        memo.keep_score(at[i], k, v);
    }
    Ok(())
}

/// The node with the highest total; ties broken uniformly by reservoir sampling (upstream
/// `selectHost`).
pub fn select_host(nodes: &[&NodeInfo], totals: &[i64], rng: &mut SimRng) -> String {
    let mut best = 0usize;
    let mut count = 0u64;
    let max = totals.iter().copied().max().unwrap_or(0);
    for (i, t) in totals.iter().enumerate() {
        if *t != max {
            continue;
        }
        count += 1;
        if count == 1 || rng.below(count) == 0 {
            best = i;
        }
    }
    nodes
        .get(best)
        .map(|n| n.name().to_string())
        .unwrap_or_default()
}

/// Runs Reserve, Permit, PreBind and Bind for the chosen node (upstream `schedulingCycle`'s
/// tail and `bindingCycle`): the `Binding` to write to `pods/<name>/binding`, or the status that
/// stopped it (Reserve is undone on any later failure; a Permit `Wait` is returned as is, with
/// the plugin's timeout in milliseconds left to the caller).
pub fn run_binding_cycle(
    profile: &Profile,
    state: &mut CycleState,
    pod: &Pod,
    node: &str,
) -> Result<k8s_openapi::api::core::v1::Binding, Status> {
    let unreserve = |state: &mut CycleState| {
        for pl in profile.reserve.iter().rev() {
            pl.unreserve(state, pod, node);
        }
    };
    for pl in &profile.reserve {
        let s = pl.reserve(state, pod, node).with_plugin(pl.name());
        if !s.is_success() {
            unreserve(state);
            return Err(s);
        }
    }
    for pl in &profile.permit {
        let (s, _timeout) = pl.permit(state, pod, node);
        let s = s.with_plugin(pl.name());
        if !s.is_success() {
            if s.code != Code::Wait {
                unreserve(state);
            }
            return Err(s);
        }
    }
    for pl in &profile.pre_bind {
        let s = pl.pre_bind(state, pod, node).with_plugin(pl.name());
        if !s.is_success() {
            unreserve(state);
            return Err(s);
        }
    }
    for pl in &profile.bind {
        match pl.bind(state, pod, node) {
            Ok(b) => return Ok(b),
            Err(s) if s.is_skip() => continue,
            Err(s) => {
                unreserve(state);
                return Err(s.with_plugin(pl.name()));
            }
        }
    }
    unreserve(state);
    Err(Status::error("no bind plugin bound the pod"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::decision::MAX_RECORDED_NODES;
    use crate::scheduler::testutil::*;
    use k8s_openapi::api::core::v1::{Node, PersistentVolumeClaimVolumeSource, Volume};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn run(nodes: Vec<Node>, existing: &[Pod], p: &Pod) -> Result<ScheduleResult, FitError> {
        let snap = ClusterSnapshot::new(nodes, existing);
        schedule_one(p, &snap, &Profile::default(), &mut 0, &mut SimRng::new(1))
    }

    fn message(nodes: Vec<Node>, existing: &[Pod], p: &Pod) -> String {
        run(nodes, existing, p).unwrap_err().to_string()
    }

    #[test]
    fn each_score_plugin_scores_a_batch_as_it_scores_node_by_node() {
        let nodes = vec![
            with_image(node("a", "4", "8Gi"), "nginx:1.27", 300 * 1024 * 1024),
            with_taint(node("b", "2", "2Gi"), "spot", "true", "PreferNoSchedule"),
            with_label(node("c", "16", "64Gi"), "zone", "z1"),
            with_image(node("d", "1", "512Mi"), "nginx:1.27", 300 * 1024 * 1024),
            with_alloc(node("e", "8", "4Gi"), "nvidia.com/gpu", "2"),
        ];
        let existing = [
            on(pod("old-1", "500m", "1Gi"), "a"),
            on(pod("old-2", "1", ""), "b"),
            on(pod("old-3", "", "3Gi"), "c"),
            on(
                with_pod_label(pod("old-4", "250m", "256Mi"), "app", "web"),
                "e",
            ),
        ];
        let snap = ClusterSnapshot::new(nodes, &existing);
        let feasible: Vec<&NodeInfo> = snap.nodes.iter().map(|n| &**n).collect();
        let profile = Profile::default();
        for p in [
            pod("sized", "300m", "700Mi"),
            pod("best-effort", "", ""),
            tolerating(
                pod("tolerant", "1", "1Gi"),
                "spot",
                "Exists",
                "",
                "PreferNoSchedule",
            ),
        ] {
            let mut state = CycleState::default();
            for pl in &profile.pre_filter {
                pl.pre_filter(&mut state, &p, &snap);
            }
            for pl in &profile.pre_score {
                pl.pre_score(&mut state, &p, &feasible, &snap);
            }
            for wp in &profile.score {
                let one_by_one: Vec<i64> = feasible
                    .iter()
                    .map(|n| wp.plugin.score(&state, &p, n).unwrap())
                    .collect();
                let mut batch = vec![-1];
                wp.plugin
                    .score_nodes(&state, &p, &feasible, &mut batch)
                    .unwrap();
                assert_eq!(batch[1..], one_by_one[..], "{}", wp.plugin.name());
            }
        }
    }

    fn control_plane(name: &str) -> Node {
        with_taint(
            node(name, "4", "8Gi"),
            "node-role.kubernetes.io/control-plane",
            "",
            "NoSchedule",
        )
    }

    #[test]
    fn three_nodes_short_of_cpu_find_no_victims() {
        let nodes = vec![
            node("a", "1", "4Gi"),
            node("b", "1", "4Gi"),
            node("c", "1", "4Gi"),
        ];
        let busy: Vec<Pod> = ["a", "b", "c"]
            .iter()
            .map(|n| on(pod(&format!("busy-{n}"), "800m", ""), n))
            .collect();
        assert_eq!(
            message(nodes, &busy, &pod("p", "500m", "")),
            "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
        );
    }

    #[test]
    fn a_node_selector_nobody_matches_is_not_helped_by_preemption() {
        let nodes = vec![
            node("a", "1", "1Gi"),
            node("b", "1", "1Gi"),
            node("c", "1", "1Gi"),
        ];
        let mut p = pod("p", "", "");
        p.spec.as_mut().unwrap().node_selector = Some(
            [("disktype".to_string(), "ssd".to_string())]
                .into_iter()
                .collect(),
        );
        assert_eq!(
            message(nodes, &[], &p),
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn a_lone_control_plane_shows_its_empty_taint_value() {
        assert_eq!(
            message(vec![control_plane("cp")], &[], &pod("p", "", "")),
            "0/1 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn a_busy_gpu_and_a_tainted_control_plane_mix_both_preemption_verdicts() {
        let worker = with_alloc(node("w", "4", "8Gi"), "nvidia.com/gpu", "1");
        let holder = on(
            with_request(pod("holder", "", ""), "nvidia.com/gpu", "1"),
            "w",
        );
        let p = with_request(pod("p", "", ""), "nvidia.com/gpu", "1");
        assert_eq!(
            message(vec![worker, control_plane("cp")], &[holder], &p),
            "0/2 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn a_node_can_contribute_several_fit_reasons() {
        let nodes = vec![
            node("a", "1", "4Gi"),
            node("b", "1", "4Gi"),
            node("c", "1", "1Gi"),
            node("d", "4", "1Gi"),
        ];
        let busy = vec![
            on(pod("x", "900m", ""), "a"),
            on(pod("y", "900m", ""), "b"),
            on(pod("z", "900m", "900Mi"), "c"),
            on(pod("w", "", "900Mi"), "d"),
        ];
        assert_eq!(
            message(nodes, &busy, &pod("p", "500m", "512Mi")),
            "0/4 nodes are available: 2 Insufficient memory, 3 Insufficient cpu. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod."
        );
    }

    #[test]
    fn a_missing_claim_fails_in_pre_filter_for_every_node() {
        let nodes = vec![
            node("a", "1", "1Gi"),
            node("b", "1", "1Gi"),
            node("c", "1", "1Gi"),
        ];
        let mut p = pod("p", "", "");
        p.spec.as_mut().unwrap().volumes = Some(vec![Volume {
            name: "data".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: "rc-definitely-missing-pvc".into(),
                read_only: None,
            }),
            ..Default::default()
        }]);
        // v1.33: the PreFilter status is UnschedulableAndUnresolvable for every node, so no node
        // is a preemption candidate (≤ 1.29 clusters printed "No preemption victims found").
        assert_eq!(
            message(nodes, &[], &p),
            "0/3 nodes are available: persistentvolumeclaim \"rc-definitely-missing-pvc\" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn a_taint_and_node_affinity_sort_digits_first() {
        let nodes = vec![
            with_taint(
                node("a", "1", "1Gi"),
                "test-unschedulable",
                "true",
                "NoSchedule",
            ),
            node("b", "1", "1Gi"),
            node("c", "1", "1Gi"),
        ];
        let mut p = pod("p", "", "");
        p.spec.as_mut().unwrap().node_selector = Some(
            [("kubernetes.io/hostname".to_string(), "a".to_string())]
                .into_iter()
                .collect(),
        );
        assert_eq!(
            message(nodes, &[], &p),
            "0/3 nodes are available: 1 node(s) had untolerated taint {test-unschedulable: true}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn the_brief_example_mixes_cpu_and_a_dedicated_taint() {
        let nodes = vec![
            node("a", "1", "4Gi"),
            with_taint(node("g1", "8", "8Gi"), "dedicated", "gpu", "NoSchedule"),
            with_taint(node("g2", "8", "8Gi"), "dedicated", "gpu", "NoSchedule"),
        ];
        let busy = [on(pod("x", "900m", ""), "a")];
        assert_eq!(
            message(nodes, &busy, &pod("p", "500m", "")),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn an_empty_cluster_has_no_nodes_available() {
        assert_eq!(
            message(vec![], &[], &pod("p", "", "")),
            "no nodes available to schedule pods"
        );
    }

    #[test]
    fn preemption_policy_never_is_not_eligible() {
        let mut p = pod("p", "2", "");
        p.spec.as_mut().unwrap().preemption_policy = Some("Never".into());
        assert_eq!(
            message(vec![node("a", "1", "1Gi")], &[], &p),
            "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
        );
    }

    #[test]
    fn sampling_searches_all_small_clusters_and_a_shrinking_share_of_large_ones() {
        let cases = [
            (None, 50, 50),
            (None, 100, 100),
            (None, 500, 230),
            (None, 5_000, 500),
            (None, 15_000, 750),
            (Some(50), 500, 250),
            (Some(10), 500, 100),
            (Some(100), 5_000, 5_000),
        ];
        for (pct, nodes, want) in cases {
            assert_eq!(
                num_feasible_nodes_to_find(pct, nodes),
                want,
                "{pct:?} {nodes}"
            );
        }
    }

    #[test]
    fn filtering_stops_at_the_sample_and_the_start_index_rotates() {
        for (count, evaluated) in [(50, 50), (500, 230)] {
            let nodes: Vec<Node> = (0..count)
                .map(|i| node(&format!("n{i:04}"), "4", "8Gi"))
                .collect();
            let snap = ClusterSnapshot::new(nodes, &[]);
            let mut next = 0;
            let r = schedule_one(
                &pod("p", "100m", ""),
                &snap,
                &Profile::default(),
                &mut next,
                &mut SimRng::new(7),
            )
            .unwrap();
            assert_eq!(
                (r.evaluated_nodes, r.feasible_nodes),
                (evaluated, evaluated)
            );
            assert_eq!(next, evaluated % count);
            assert_eq!(r.decision.nodes().len(), evaluated.min(MAX_RECORDED_NODES));
        }
    }

    #[test]
    fn sampling_five_thousand_nodes_evaluates_five_hundred() {
        let nodes: Vec<Node> = (0..5_000)
            .map(|i| node(&format!("n{i:05}"), "4", "8Gi"))
            .collect();
        let snap = ClusterSnapshot::new(nodes, &[]);
        let mut next = 4_900;
        let r = schedule_one(
            &pod("p", "100m", ""),
            &snap,
            &Profile::default(),
            &mut next,
            &mut SimRng::new(7),
        )
        .unwrap();
        assert_eq!(r.evaluated_nodes, 500);
        assert_eq!(next, 400);
        assert_eq!(r.decision.unrecorded_nodes, 400);
    }

    #[test]
    fn a_single_feasible_node_is_chosen_without_scoring() {
        let nodes = vec![node("small", "1", "1Gi"), node("big", "8", "8Gi")];
        let r = run(nodes, &[], &pod("p", "2", "")).unwrap();
        assert_eq!(r.suggested_host, "big");
        assert!(r.decision.nodes().all(|n| n.scores().is_empty()));
    }

    #[test]
    fn the_emptier_node_wins_and_every_score_is_recorded() {
        let nodes = vec![node("a", "4", "8Gi"), node("b", "4", "8Gi")];
        let existing = [on(pod("x", "2", "4Gi"), "a")];
        let r = run(nodes, &existing, &pod("p", "1", "1Gi")).unwrap();
        assert_eq!(r.suggested_host, "b");
        let b = r.decision.node("b").unwrap();
        let fit = b.score("NodeResourcesFit").unwrap();
        // cpu (4000−1000)×100/4000 = 75, memory (8192−1024)×100/8192 = 87 → 81.
        assert_eq!((fit.raw, fit.normalized, fit.weighted), (81, 81, 81));
        let total: i64 = b.scores().iter().map(|s| s.weighted).sum();
        assert_eq!(b.total(), Some(total));
    }

    #[test]
    fn a_score_out_of_range_fails_the_cycle_with_upstream_s_message() {
        /// Scores each node by the digit its name ends in, times 50.
        struct Overshoot;
        impl crate::scheduler::framework::Plugin for Overshoot {
            fn name(&self) -> &'static str {
                "Overshoot"
            }
        }
        impl ScorePlugin for Overshoot {
            fn score(&self, _: &CycleState, _: &Pod, node: &NodeInfo) -> Result<i64, Status> {
                let digit = node.name().bytes().last().unwrap_or(b'0') - b'0';
                Ok(i64::from(digit) * 50)
            }
        }
        let profile = Profile {
            score: vec![crate::scheduler::registry::WeightedScorePlugin {
                plugin: Box::new(Overshoot),
                weight: 1,
            }],
            ..Profile::default()
        };
        let nodes: Vec<Node> = (0..4).map(|i| node(&format!("n{i}"), "4", "8Gi")).collect();
        let snap = ClusterSnapshot::new(nodes, &[]);
        let err = schedule_one(
            &pod("p", "", ""),
            &snap,
            &profile,
            &mut 0,
            &mut SimRng::new(1),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "plugin \"Overshoot\" returns an invalid score 150, it should in the range of [0, 100] after normalizing"
        );
        // The nodes before it were scored and recorded; the one out of range (150) was not, and
        // its cell reads as never set.
        let recorded: Vec<Option<i64>> = ["n0", "n1", "n2", "n3"]
            .iter()
            .map(|n| {
                err.decision
                    .node(n)
                    .and_then(|r| r.score("Overshoot"))
                    .map(|s| s.raw)
            })
            .collect();
        assert_eq!(recorded, vec![Some(0), Some(50), Some(100), Some(0)]);
    }

    #[test]
    fn ties_are_broken_by_the_seeded_rng_and_replay_exactly() {
        let nodes: Vec<Node> = (0..4).map(|i| node(&format!("n{i}"), "4", "8Gi")).collect();
        let snap = ClusterSnapshot::new(nodes, &[]);
        let pick = |seed| {
            schedule_one(
                &pod("p", "1", "1Gi"),
                &snap,
                &Profile::default(),
                &mut 0,
                &mut SimRng::new(seed),
            )
            .unwrap()
            .suggested_host
        };
        let picks: std::collections::BTreeSet<String> = (0..40).map(pick).collect();
        assert!(picks.len() > 1, "ties should spread: {picks:?}");
        assert_eq!(pick(3), pick(3));
    }

    #[test]
    fn the_binding_cycle_returns_the_binding_for_the_chosen_node() {
        let r = run(vec![node("a", "1", "1Gi")], &[], &pod("p", "", "")).unwrap();
        let b = run_binding_cycle(
            &Profile::default(),
            &mut CycleState::default(),
            &pod("p", "", ""),
            &r.suggested_host,
        )
        .unwrap();
        assert_eq!(b.target.name.as_deref(), Some("a"));
        let mut cfg = crate::scheduler::registry::ProfileConfig::default();
        cfg.disabled.insert("DefaultBinder".into());
        let s = run_binding_cycle(
            &Profile::new(&cfg),
            &mut CycleState::default(),
            &pod("p", "", ""),
            "a",
        )
        .unwrap_err();
        assert_eq!(s.code, Code::Error);
    }

    #[test]
    fn nodes_left_out_by_a_pre_filter_result_count_as_unresolvable() {
        use k8s_openapi::api::core::v1::{
            Affinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
        };
        let nodes = vec![
            node("a", "1", "1Gi"),
            node("b", "1", "1Gi"),
            node("c", "1", "1Gi"),
        ];
        let busy = [on(pod("x", "900m", ""), "b")];
        let pinned = |names: &[&str]| {
            let mut p = pod("p", "500m", "");
            p.spec.as_mut().unwrap().affinity = Some(Affinity {
                node_affinity: Some(k8s_openapi::api::core::v1::NodeAffinity {
                    required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                        node_selector_terms: vec![NodeSelectorTerm {
                            match_expressions: None,
                            match_fields: Some(vec![NodeSelectorRequirement {
                                key: "metadata.name".into(),
                                operator: "In".into(),
                                values: Some(names.iter().map(|n| n.to_string()).collect()),
                            }]),
                        }],
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            });
            p
        };
        assert_eq!(
            message(nodes.clone(), &busy, &pinned(&["b"])),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
        );
        assert_eq!(
            run(nodes, &busy, &pinned(&["c"])).unwrap().suggested_host,
            "c"
        );
    }

    #[test]
    fn the_decision_shows_each_filter_verdict_up_to_the_first_rejection() {
        let nodes = vec![
            node("a", "4", "8Gi"),
            with_taint(node("g", "4", "8Gi"), "dedicated", "gpu", "NoSchedule"),
        ];
        let r = run(nodes, &[], &pod("p", "1", "")).unwrap();
        let d = &r.decision;
        assert_eq!(
            (
                d.total_nodes,
                d.nodes_to_find,
                d.evaluated_nodes,
                d.feasible_nodes
            ),
            (2, 2, 2, 1)
        );
        assert_eq!(d.chosen.as_deref(), Some("a"));
        let g = d.node("g").unwrap();
        let filters = g.filters();
        let seen: Vec<(&str, bool)> = filters.iter().map(|v| (v.plugin, v.passed())).collect();
        assert_eq!(
            seen,
            vec![
                ("NodeUnschedulable", true),
                ("NodeName", true),
                ("TaintToleration", false)
            ]
        );
        assert_eq!(
            filters[2].reason,
            "node(s) had untolerated taint {dedicated: gpu}"
        );
        assert!(!g.feasible());
        let pre: Vec<&str> = d.pre_filter.iter().map(|v| v.plugin).collect();
        assert_eq!(pre.len(), 7);
        assert!(pre.contains(&"NodeResourcesFit"));
    }

    #[test]
    fn the_same_seed_gives_the_same_decision_twice() {
        let nodes: Vec<Node> = (0..120)
            .map(|i| {
                with_label(
                    node(&format!("n{i:03}"), "4", "8Gi"),
                    "topology.kubernetes.io/zone",
                    &format!("z{}", i % 3),
                )
            })
            .collect();
        let existing: Vec<Pod> = (0..60)
            .map(|i| {
                on(
                    pod(&format!("e{i}"), "500m", "1Gi"),
                    &format!("n{:03}", i * 2),
                )
            })
            .collect();
        let snap = ClusterSnapshot::new(nodes, &existing);
        let attempt = || {
            let mut next = 17;
            let mut rng = SimRng::new(42);
            let a = schedule_one(
                &pod("p", "1", "1Gi"),
                &snap,
                &Profile::default(),
                &mut next,
                &mut rng,
            )
            .unwrap();
            let b = schedule_one(
                &pod("q", "1", "1Gi"),
                &snap,
                &Profile::default(),
                &mut next,
                &mut rng,
            )
            .unwrap();
            (a, b, next)
        };
        assert_eq!(attempt(), attempt());
    }

    #[test]
    fn preemption_evicts_the_lower_priority_pod() {
        let nodes = vec![node("a", "1", "4Gi"), node("b", "1", "4Gi")];
        let existing = vec![
            with_priority(on(pod("important", "900m", ""), "a"), 100),
            with_priority(on(pod("batch", "900m", ""), "b"), 1),
        ];
        let p = with_priority(pod("p", "500m", ""), 50);
        let err = run(nodes, &existing, &p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "0/2 nodes are available: 2 Insufficient cpu."
        );
        let pre = err.preemption.unwrap();
        assert_eq!(pre.nominated_node, "b");
        assert_eq!(pre.victims.len(), 1);
        assert_eq!(pre.victims[0].metadata.name.as_deref(), Some("batch"));
    }

    #[test]
    fn room_freed_for_a_nominated_pod_is_not_taken_by_a_less_important_one() {
        let nodes = vec![node("a", "1", "4Gi")];
        let mut preemptor = with_priority(pod("preemptor", "800m", ""), 100);
        preemptor.metadata.uid = Some("uid-preemptor".into());
        let mut snap = ClusterSnapshot::new(nodes, &[]);
        snap.nominated.insert("a".into(), vec![preemptor.clone()]);
        let mut p = with_priority(pod("p", "500m", ""), 0);
        p.metadata.uid = Some("uid-p".into());
        let err =
            schedule_one(&p, &snap, &Profile::default(), &mut 0, &mut SimRng::new(1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
        );
        // A more important pod does not count the nominated one; nor does the preemptor itself.
        let urgent = with_priority(pod("urgent", "500m", ""), 1000);
        assert!(schedule_one(
            &urgent,
            &snap,
            &Profile::default(),
            &mut 0,
            &mut SimRng::new(1)
        )
        .is_ok());
        assert!(schedule_one(
            &preemptor,
            &snap,
            &Profile::default(),
            &mut 0,
            &mut SimRng::new(1)
        )
        .is_ok());
    }
}
