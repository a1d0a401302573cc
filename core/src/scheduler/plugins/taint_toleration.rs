//! TaintToleration: a node's NoSchedule/NoExecute taints must be tolerated; PreferNoSchedule
//! taints the pod does not tolerate lower the node's score.

use k8s_openapi::api::core::v1::{Pod, Taint, Toleration};

use crate::scheduler::framework::{
    score_one, ClusterSnapshot, CycleState, FilterPlugin, NodeInfo, Plugin, PreScorePlugin,
    ScorePlugin, Status,
};
use crate::scheduler::plugins::helper::default_normalize_score;
use crate::scheduler::selectors::tolerates;

/// The plugin's upstream name.
pub const NAME: &str = "TaintToleration";

/// Checks taints against tolerations (upstream `tainttoleration`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TaintToleration;

impl Plugin for TaintToleration {
    fn name(&self) -> &'static str {
        NAME
    }
}

/// The node's taints (none read from the node object when `NodeInfo` knows it has none).
fn taints(node: &NodeInfo) -> &[Taint] {
    if !node.tainted {
        return &[];
    }
    node.node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or(&[])
}

fn tolerations(pod: &Pod) -> &[Toleration] {
    pod.spec
        .as_ref()
        .and_then(|s| s.tolerations.as_deref())
        .unwrap_or(&[])
}

fn tolerated(tols: &[Toleration], t: &Taint) -> bool {
    tols.iter().any(|tol| {
        tolerates(
            tol,
            &t.key,
            t.value.as_deref().unwrap_or(""),
            t.effect.as_str(),
        )
    })
}

impl FilterPlugin for TaintToleration {
    /// Reads the node's taints and the pod's tolerations only.
    fn filter_is_node_local(&self) -> bool {
        true
    }

    fn filter(&self, _state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        let tols = tolerations(pod);
        let untolerated = taints(node)
            .iter()
            .find(|t| (t.effect == "NoSchedule" || t.effect == "NoExecute") && !tolerated(tols, t));
        match untolerated {
            None => Status::success(),
            Some(t) => Status::unresolvable(format!(
                "node(s) had untolerated taint {{{}: {}}}",
                t.key,
                t.value.as_deref().unwrap_or("")
            )),
        }
    }
}

#[derive(Debug, Clone)]
struct PreScoreState {
    tolerations: Vec<Toleration>,
}

impl PreScorePlugin for TaintToleration {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _feasible: &[&NodeInfo],
        _snapshot: &ClusterSnapshot,
    ) -> Status {
        let tolerations = tolerations(pod)
            .iter()
            .filter(|t| {
                matches!(
                    t.effect.as_deref(),
                    None | Some("") | Some("PreferNoSchedule")
                )
            })
            .cloned()
            .collect();
        state.write(NAME, PreScoreState { tolerations });
        Status::success()
    }
}

/// How many of the node's PreferNoSchedule taints `tols` do not tolerate (upstream
/// `countIntolerableTaintsPreferNoSchedule`).
fn intolerable_prefer_no_schedule(tols: &[Toleration], node: &NodeInfo) -> i64 {
    taints(node)
        .iter()
        .filter(|t| t.effect == "PreferNoSchedule" && !tolerated(tols, t))
        .count() as i64
}

impl ScorePlugin for TaintToleration {
    /// Reads the node's taints and the tolerations PreScore took from the spec only.
    fn score_is_node_local(&self) -> bool {
        true
    }

    fn score(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        score_one(self, state, pod, node)
    }

    fn score_nodes(
        &self,
        state: &CycleState,
        _pod: &Pod,
        nodes: &[&NodeInfo],
        out: &mut Vec<i64>,
    ) -> Result<(), Status> {
        // The tolerations PreScore kept (none without PreScore).
        let tols = state
            .read::<PreScoreState>(NAME)
            .map(|s| s.tolerations.as_slice())
            .unwrap_or(&[]);
        out.extend(
            nodes
                .iter()
                .map(|n| intolerable_prefer_no_schedule(tols, n)),
        );
        Ok(())
    }

    fn normalize_score(&self, _state: &CycleState, _pod: &Pod, scores: &mut [i64]) -> Status {
        default_normalize_score(scores, true);
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::framework::Code;
    use crate::scheduler::testutil::{node, pod, tolerating, with_taint};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_first_untolerated_hard_taint_is_named_with_an_empty_value_kept_visible() {
        let cp = with_taint(
            node("cp", "1", "1Gi"),
            "node-role.kubernetes.io/control-plane",
            "",
            "NoSchedule",
        );
        let gpu = with_taint(node("g", "1", "1Gi"), "dedicated", "gpu", "NoExecute");
        let soft = with_taint(node("s", "1", "1Gi"), "x", "y", "PreferNoSchedule");
        let plain = pod("p", "", "");
        let tol_gpu = tolerating(pod("t", "", ""), "dedicated", "Equal", "gpu", "");
        let tol_all = tolerating(pod("a", "", ""), "", "Exists", "", "");
        let cases = [
            (
                &cp,
                &plain,
                Some("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"),
            ),
            (
                &gpu,
                &plain,
                Some("node(s) had untolerated taint {dedicated: gpu}"),
            ),
            (&gpu, &tol_gpu, None),
            (
                &cp,
                &tol_gpu,
                Some("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"),
            ),
            (&cp, &tol_all, None),
            (&soft, &plain, None),
        ];
        for (n, p, want) in cases {
            let s = TaintToleration.filter(&CycleState::default(), p, &NodeInfo::new(n.clone()));
            match want {
                None => assert!(s.is_success(), "{s:?}"),
                Some(r) => {
                    assert_eq!(s.code, Code::UnschedulableAndUnresolvable);
                    assert_eq!(s.message(), r);
                }
            }
        }
    }

    #[test]
    fn prefer_no_schedule_taints_score_in_reverse() {
        let n0 = NodeInfo::new(node("a", "1", "1Gi"));
        let n1 = NodeInfo::new(with_taint(
            node("b", "1", "1Gi"),
            "x",
            "1",
            "PreferNoSchedule",
        ));
        let n2 = NodeInfo::new(with_taint(
            with_taint(node("c", "1", "1Gi"), "x", "1", "PreferNoSchedule"),
            "y",
            "1",
            "PreferNoSchedule",
        ));
        let p = tolerating(pod("p", "", ""), "y", "Exists", "", "PreferNoSchedule");
        let mut st = CycleState::default();
        let snap = ClusterSnapshot::default();
        TaintToleration.pre_score(&mut st, &p, &[], &snap);
        let mut scores: Vec<i64> = [&n0, &n1, &n2]
            .iter()
            .map(|n| TaintToleration.score(&st, &p, n).unwrap())
            .collect();
        assert_eq!(scores, vec![0, 1, 1]);
        TaintToleration.normalize_score(&st, &p, &mut scores);
        assert_eq!(scores, vec![100, 0, 0]);
    }
}
