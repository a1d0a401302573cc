//! DefaultPreemption: when no node fits, find a node where evicting lower-priority pods lets the
//! pod fit, choosing the node as upstream `pickOneNodeForPreemption` does.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::cycle::{run_filter_plugins, FitError, NodeToStatus, PostFilterContext};
use crate::scheduler::framework::{
    pod_key, pod_priority, Code, NodeInfo, Plugin, PodInfo, PostFilterPlugin, Status,
};
use crate::sim::{SimRng, SimTime};

/// The plugin's upstream name.
pub const NAME: &str = "DefaultPreemption";
/// A dry-run node whose pods all have equal or higher priority.
pub const ERR_NO_VICTIMS: &str = "No preemption victims found for incoming pod";
/// Nodes that were not dry-run: their rejection cannot be cured by evicting pods.
pub const ERR_NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
/// A pod with `preemptionPolicy: Never`.
pub const ERR_POLICY_NEVER: &str = "not eligible due to preemptionPolicy=Never.";
/// At least this share of potential nodes is dry-run (upstream `MinCandidateNodesPercentage`).
pub const MIN_CANDIDATE_NODES_PERCENTAGE: usize = 10;
/// At least this many potential nodes are dry-run (upstream `MinCandidateNodesAbsolute`).
pub const MIN_CANDIDATE_NODES_ABSOLUTE: usize = 100;

/// What preemption decided: the node to nominate and the pods to evict there.
#[derive(Debug, Clone, PartialEq)]
pub struct Preemption {
    /// The node the preemptor is nominated to (`status.nominatedNodeName`).
    pub nominated_node: String,
    /// Pods to delete, most important first.
    pub victims: Vec<Pod>,
}

/// Priority-based preemption (upstream `defaultpreemption`; PodDisruptionBudgets not modelled).
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultPreemption;

impl Plugin for DefaultPreemption {
    fn name(&self) -> &'static str {
        NAME
    }
}

fn start_time(p: &Pod) -> SimTime {
    p.status
        .as_ref()
        .and_then(|s| s.start_time.as_ref())
        .map(SimTime::from_k8s_time)
        .unwrap_or(SimTime::ZERO)
}

/// Upstream `MoreImportantPod`: higher priority, then the earlier start time.
fn more_important(a: &Pod, b: &Pod) -> std::cmp::Ordering {
    pod_priority(b)
        .cmp(&pod_priority(a))
        .then_with(|| start_time(a).cmp(&start_time(b)))
}

/// Dry-runs preemption on one node (upstream `SelectVictimsOnNode`): removes every lower-priority
/// pod, checks the pod fits, then reprieves as many victims as possible, most important first.
pub fn select_victims_on_node(
    ctx: &PostFilterContext<'_>,
    pod: &Pod,
    node: &NodeInfo,
) -> Result<Vec<Pod>, Status> {
    let mut node = node.clone();
    let mut state = ctx.state.clone();
    let priority = pod_priority(pod);
    let mut potential: Vec<Arc<PodInfo>> = node
        .pods
        .iter()
        .filter(|p| pod_priority(&p.pod) < priority)
        .cloned()
        .collect();
    for v in &potential {
        node.remove_pod(&v.key);
        for pl in &ctx.profile.pre_filter {
            pl.remove_pod(&mut state, pod, &v.pod, &node);
        }
    }
    if potential.is_empty() {
        return Err(Status::unresolvable(ERR_NO_VICTIMS));
    }
    let s = run_filter_plugins(ctx.profile, &state, pod, &node, None);
    if !s.is_success() {
        return Err(s);
    }
    potential.sort_by(|a, b| more_important(&a.pod, &b.pod));
    let mut victims = Vec::new();
    for v in potential {
        node.add_pod_info(Arc::clone(&v));
        for pl in &ctx.profile.pre_filter {
            pl.add_pod(&mut state, pod, &v.pod, &node);
        }
        if !run_filter_plugins(ctx.profile, &state, pod, &node, None).is_success() {
            node.remove_pod(&v.key);
            for pl in &ctx.profile.pre_filter {
                pl.remove_pod(&mut state, pod, &v.pod, &node);
            }
            victims.push((*v.pod).clone());
        }
    }
    Ok(victims)
}

/// Chooses among candidate nodes (upstream `pickOneNodeForPreemption`): a node needing no
/// victims; else the lowest highest-victim priority, the lowest priority sum, the fewest
/// victims, the latest start of the highest-priority victims, then the first.
pub fn pick_one_node_for_preemption(candidates: &[(String, Vec<Pod>)]) -> Option<usize> {
    if candidates.is_empty() {
        return None;
    }
    if let Some(i) = candidates.iter().position(|(_, v)| v.is_empty()) {
        return Some(i);
    }
    let mut idx: Vec<usize> = (0..candidates.len()).collect();
    let keep_min = |idx: &mut Vec<usize>, key: &dyn Fn(usize) -> i64| {
        let min = idx.iter().map(|&i| key(i)).min().unwrap_or(0);
        idx.retain(|&i| key(i) == min);
    };
    let highest = |i: usize| i64::from(pod_priority(&candidates[i].1[0]));
    keep_min(&mut idx, &highest);
    let sum = |i: usize| {
        candidates[i]
            .1
            .iter()
            .map(|p| i64::from(pod_priority(p)) + i64::from(i32::MAX) + 1)
            .sum::<i64>()
    };
    keep_min(&mut idx, &sum);
    keep_min(&mut idx, &|i| candidates[i].1.len() as i64);
    // Latest start time among each node's earliest-started highest-priority victims.
    let earliest = |i: usize| {
        let top = pod_priority(&candidates[i].1[0]);
        candidates[i]
            .1
            .iter()
            .filter(|p| pod_priority(p) == top)
            .map(start_time)
            .min()
            .unwrap_or(SimTime::ZERO)
            .0 as i64
    };
    keep_min(&mut idx, &|i| -earliest(i));
    idx.first().copied()
}

fn no_candidates(ctx: &PostFilterContext<'_>, pod: &Pod, statuses: NodeToStatus) -> Status {
    let fit = FitError {
        pod: pod_key(pod),
        num_all_nodes: ctx.snapshot.nodes.len(),
        diagnosis: crate::scheduler::cycle::Diagnosis {
            node_to_status: statuses,
            ..Default::default()
        },
        internal: None,
        preemption: None,
        decision: Box::default(),
    };
    Status::unschedulable(format!("preemption: {fit}"))
}

impl PostFilterPlugin for DefaultPreemption {
    fn post_filter(
        &self,
        ctx: &PostFilterContext<'_>,
        pod: &Pod,
        rng: &mut SimRng,
    ) -> (Option<Preemption>, Status) {
        let policy = pod
            .spec
            .as_ref()
            .and_then(|s| s.preemption_policy.as_deref());
        if policy == Some("Never") {
            return (
                None,
                Status::unschedulable(format!("preemption: {ERR_POLICY_NEVER}")),
            );
        }
        let potential: Vec<&NodeInfo> = ctx
            .snapshot
            .nodes
            .iter()
            .filter(|n| ctx.statuses.get(n.name()).code == Code::Unschedulable)
            .map(|n| &**n)
            .collect();
        let mut statuses = NodeToStatus {
            explicit: Default::default(),
            absent: Status::unresolvable(ERR_NOT_HELPFUL),
        };
        if potential.is_empty() {
            return (None, no_candidates(ctx, pod, statuses));
        }
        let n = potential.len();
        let num_candidates = (n * MIN_CANDIDATE_NODES_PERCENTAGE / 100)
            .max(MIN_CANDIDATE_NODES_ABSOLUTE)
            .min(n);
        let offset = rng.below(n as u64) as usize;
        let mut candidates: Vec<(String, Vec<Pod>)> = Vec::new();
        for i in 0..n {
            if candidates.len() >= num_candidates {
                break;
            }
            let node = potential[(offset + i) % n];
            match select_victims_on_node(ctx, pod, node) {
                Ok(victims) => candidates.push((node.name().to_string(), victims)),
                Err(s) => {
                    statuses.explicit.insert(node.name().to_string(), s);
                }
            }
        }
        match pick_one_node_for_preemption(&candidates) {
            None => (None, no_candidates(ctx, pod, statuses)),
            Some(i) => {
                let (node, victims) = candidates.swap_remove(i);
                (
                    Some(Preemption {
                        nominated_node: node,
                        victims,
                    }),
                    Status::success(),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::cycle::schedule_one;
    use crate::scheduler::framework::ClusterSnapshot;
    use crate::scheduler::registry::Profile;
    use crate::scheduler::testutil::{node, on, pod, with_priority};
    use k8s_openapi::api::core::v1::PodStatus;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn victim(name: &str, priority: i32, started_s: u64) -> Pod {
        let mut p = with_priority(pod(name, "", ""), priority);
        p.status = Some(PodStatus {
            start_time: Some(SimTime(started_s * 1000).to_k8s_time()),
            ..Default::default()
        });
        p
    }

    fn cand(node: &str, victims: Vec<Pod>) -> (String, Vec<Pod>) {
        (node.to_string(), victims)
    }

    #[test]
    fn the_node_choice_follows_upstream_tie_breakers_in_order() {
        type Candidates = Vec<(String, Vec<Pod>)>;
        let cases: Vec<(&str, Candidates, &str)> = vec![
            (
                "a node needing no victims wins outright",
                vec![cand("a", vec![victim("x", 1, 0)]), cand("b", vec![])],
                "b",
            ),
            (
                "the lowest highest-priority victim",
                vec![
                    cand("a", vec![victim("x", 5, 0)]),
                    cand("b", vec![victim("y", 3, 0), victim("z", 3, 0)]),
                ],
                "b",
            ),
            (
                "then the lowest priority sum",
                vec![
                    cand("a", vec![victim("x", 5, 0), victim("y", 4, 0)]),
                    cand("b", vec![victim("z", 5, 0), victim("w", 1, 0)]),
                ],
                "b",
            ),
            (
                "each victim adds MaxInt32 + 1 to the sum, so fewer victims weigh less",
                vec![
                    cand("a", vec![victim("x", 5, 0), victim("y", 0, 0)]),
                    cand("b", vec![victim("z", 5, 0)]),
                ],
                "b",
            ),
            (
                "then the latest-started highest-priority victims",
                vec![
                    cand("a", vec![victim("x", 5, 10)]),
                    cand("b", vec![victim("y", 5, 20)]),
                ],
                "b",
            ),
            (
                "then the first candidate",
                vec![
                    cand("a", vec![victim("x", 5, 10)]),
                    cand("b", vec![victim("y", 5, 10)]),
                ],
                "a",
            ),
        ];
        for (what, cands, want) in cases {
            let i = pick_one_node_for_preemption(&cands).unwrap();
            assert_eq!(cands[i].0, want, "{what}");
        }
        assert_eq!(pick_one_node_for_preemption(&[]), None);
    }

    #[test]
    fn only_as_many_victims_as_needed_are_evicted_lowest_priority_first() {
        // Node a (2 cpu) holds three 600m pods of priority 1, 2 and 3; a 1-cpu pod of priority 10
        // needs two of them gone: the two least important (1 and 2) go, 3 is reprieved.
        let existing = vec![
            with_priority(on(pod("p1", "600m", ""), "a"), 1),
            with_priority(on(pod("p2", "600m", ""), "a"), 2),
            with_priority(on(pod("p3", "600m", ""), "a"), 3),
        ];
        let snap = ClusterSnapshot::new(vec![node("a", "2", "4Gi")], &existing);
        let p = with_priority(pod("p", "1", ""), 10);
        let err =
            schedule_one(&p, &snap, &Profile::default(), &mut 0, &mut SimRng::new(1)).unwrap_err();
        let pre = err.preemption.unwrap();
        let names: Vec<&str> = pre
            .victims
            .iter()
            .filter_map(|v| v.metadata.name.as_deref())
            .collect();
        assert_eq!(names, vec!["p2", "p1"]);
    }
}
