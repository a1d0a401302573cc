//! NodeResourcesBalancedAllocation: favours nodes whose cpu and memory would be used in equal
//! fractions after placing the pod.

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::framework::{
    pod_requests, score_one, ClusterSnapshot, CycleState, NodeInfo, Plugin, PreScorePlugin,
    Resource, ScorePlugin, Status, MAX_NODE_SCORE,
};

/// The plugin's upstream name.
pub const NAME: &str = "NodeResourcesBalancedAllocation";

/// Balanced cpu/memory scoring (upstream `noderesources.BalancedAllocation`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeResourcesBalancedAllocation;

impl Plugin for NodeResourcesBalancedAllocation {
    fn name(&self) -> &'static str {
        NAME
    }
}

/// The pod's requests, computed once per cycle.
#[derive(Debug, Clone)]
struct PreScoreState(Resource);

impl PreScorePlugin for NodeResourcesBalancedAllocation {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _feasible: &[&NodeInfo],
        _snapshot: &ClusterSnapshot,
    ) -> Status {
        let r = pod_requests(pod, false);
        if r.milli_cpu == 0 && r.memory == 0 {
            // A best-effort pod changes no fractions (upstream skips it).
            Status::skip()
        } else {
            state.write(NAME, PreScoreState(r));
            Status::success()
        }
    }
}

/// `int((1 − std) × 100)` over the capped fractions of cpu and memory (upstream
/// `balancedResourceScorer`).
pub fn balanced_score(requested: &[i64], allocatable: &[i64]) -> i64 {
    // Computed without collecting the fractions: this runs for every scored node.
    let fractions = || {
        requested
            .iter()
            .zip(allocatable)
            .filter(|(_, a)| **a != 0)
            .map(|(r, a)| (*r as f64 / *a as f64).min(1.0))
    };
    let std = match fractions().count() {
        0 | 1 => 0.0,
        2 => {
            let mut f = fractions();
            let (a, b) = (f.next().unwrap_or(0.0), f.next().unwrap_or(0.0));
            ((a - b) / 2.0).abs()
        }
        n => {
            let mean = fractions().sum::<f64>() / n as f64;
            (fractions().map(|f| (f - mean) * (f - mean)).sum::<f64>() / n as f64).sqrt()
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

/// The score of `node` for a pod requesting `p`.
fn node_score(p: &Resource, node: &NodeInfo) -> i64 {
    let requested = [
        node.requested.milli_cpu.saturating_add(p.milli_cpu),
        node.requested.memory.saturating_add(p.memory),
    ];
    let alloc = [node.allocatable.milli_cpu, node.allocatable.memory];
    balanced_score(&requested, &alloc)
}

impl ScorePlugin for NodeResourcesBalancedAllocation {
    /// `BalancedAllocation.ScoreExtensions` is nil upstream.
    fn has_score_extensions(&self) -> bool {
        false
    }

    /// Reads the node's allocatable and requests and the spec's requests only.
    fn score_is_node_local(&self) -> bool {
        true
    }

    fn score(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        score_one(self, state, pod, node)
    }

    fn score_nodes(
        &self,
        state: &CycleState,
        pod: &Pod,
        nodes: &[&NodeInfo],
        out: &mut Vec<i64>,
    ) -> Result<(), Status> {
        let computed;
        let p = match state.read::<PreScoreState>(NAME) {
            Some(s) => &s.0,
            None => {
                computed = pod_requests(pod, false);
                &computed
            }
        };
        out.extend(nodes.iter().map(|n| node_score(p, n)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::testutil::{node, pod};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn equal_fractions_score_100_and_skew_costs_half_the_gap() {
        let n = NodeInfo::new(node("a", "4", "4Gi"));
        let st = CycleState::default();
        let cases = [
            // 1/4 cpu, 1/4 memory: balanced.
            (pod("even", "1", "1Gi"), 100),
            // 2/4 cpu, 1/4 memory: std = 0.125 → 87.
            (pod("skew", "2", "1Gi"), 87),
            // cpu only: 1/4 vs 0 → std 0.125 → 87.
            (pod("cpu", "1", ""), 87),
        ];
        for (p, want) in cases {
            assert_eq!(
                NodeResourcesBalancedAllocation.score(&st, &p, &n).unwrap(),
                want
            );
        }
        let mut st = CycleState::default();
        let s = NodeResourcesBalancedAllocation.pre_score(
            &mut st,
            &pod("be", "", ""),
            &[],
            &ClusterSnapshot::default(),
        );
        assert!(s.is_skip());
    }
}
