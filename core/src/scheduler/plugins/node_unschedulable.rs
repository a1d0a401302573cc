//! NodeUnschedulable: cordoned nodes (`spec.unschedulable`) take only pods that tolerate the
//! `node.kubernetes.io/unschedulable:NoSchedule` taint.

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::framework::{CycleState, FilterPlugin, NodeInfo, Plugin, Status};
use crate::scheduler::selectors::tolerates;

/// The plugin's upstream name.
pub const NAME: &str = "NodeUnschedulable";
/// The reason for a cordoned node.
pub const ERR_REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";
/// The taint a pod must tolerate to land on a cordoned node.
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// Filters out cordoned nodes (upstream `nodeunschedulable`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeUnschedulable;

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl FilterPlugin for NodeUnschedulable {
    /// Reads the node's cordon flag and the pod's tolerations only.
    fn filter_is_node_local(&self) -> bool {
        true
    }

    fn filter(&self, _state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        if !node.unschedulable {
            return Status::success();
        }
        let tolerated = pod
            .spec
            .as_ref()
            .and_then(|s| s.tolerations.as_ref())
            .into_iter()
            .flatten()
            .any(|t| tolerates(t, TAINT_NODE_UNSCHEDULABLE, "", "NoSchedule"));
        if tolerated {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON_UNSCHEDULABLE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::framework::Code;
    use crate::scheduler::testutil::{node, pod, tolerating};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_cordoned_node_rejects_pods_that_do_not_tolerate_it() {
        let mut cordoned = node("n", "1", "1Gi");
        cordoned.spec.as_mut().unwrap().unschedulable = Some(true);
        let plain = pod("p", "", "");
        let tolerant = tolerating(pod("t", "", ""), TAINT_NODE_UNSCHEDULABLE, "Exists", "", "");
        let cases = [
            (node("n", "1", "1Gi"), &plain, None),
            (cordoned.clone(), &plain, Some(ERR_REASON_UNSCHEDULABLE)),
            (cordoned, &tolerant, None),
        ];
        for (n, p, want) in cases {
            let s = NodeUnschedulable.filter(&CycleState::default(), p, &NodeInfo::new(n));
            match want {
                None => assert!(s.is_success()),
                Some(r) => {
                    assert_eq!(s.code, Code::UnschedulableAndUnresolvable);
                    assert_eq!(s.message(), r);
                }
            }
        }
    }

    #[test]
    fn cordoning_tainting_and_undoing_both_by_node_updates_reach_the_filters() {
        use crate::scheduler::plugins::taint_toleration::TaintToleration;
        use crate::scheduler::testutil::with_taint;
        use std::sync::Arc;
        let p = pod("p", "", "");
        let verdicts = |info: &NodeInfo| {
            let st = CycleState::default();
            [
                NodeUnschedulable.filter(&st, &p, info).message(),
                TaintToleration.filter(&st, &p, info).message(),
            ]
        };
        let mut info = NodeInfo::new(node("n", "1", "1Gi"));
        assert_eq!(verdicts(&info), ["", ""]);
        let mut cordoned = with_taint(node("n", "1", "1Gi"), "dedicated", "gpu", "NoSchedule");
        cordoned.spec.as_mut().unwrap().unschedulable = Some(true);
        info.set_node(Arc::new(cordoned));
        assert_eq!(
            verdicts(&info),
            [
                ERR_REASON_UNSCHEDULABLE,
                "node(s) had untolerated taint {dedicated: gpu}"
            ]
        );
        info.set_node(Arc::new(node("n", "1", "1Gi")));
        assert_eq!(verdicts(&info), ["", ""]);
    }
}
