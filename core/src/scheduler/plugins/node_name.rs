//! NodeName: a pod that names a node (`spec.nodeName`) fits only that node.

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::framework::{CycleState, FilterPlugin, NodeInfo, Plugin, Status};

/// The plugin's upstream name.
pub const NAME: &str = "NodeName";
/// The reason for any other node.
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

/// Matches `spec.nodeName` (upstream `nodename`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeName;

impl Plugin for NodeName {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl FilterPlugin for NodeName {
    /// Reads the node's name and the pod's `spec.nodeName` only.
    fn filter_is_node_local(&self) -> bool {
        true
    }

    fn filter(&self, _state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        match pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) {
            Some(want) if !want.is_empty() && want != node.name() => {
                Status::unresolvable(ERR_REASON)
            }
            _ => Status::success(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::testutil::{node, on, pod};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn only_the_named_node_fits() {
        let n = NodeInfo::new(node("a", "1", "1Gi"));
        let cases = [
            (pod("p", "", ""), true),
            (on(pod("p", "", ""), "a"), true),
            (on(pod("p", "", ""), "b"), false),
        ];
        for (p, fits) in cases {
            let s = NodeName.filter(&CycleState::default(), &p, &n);
            assert_eq!(s.is_success(), fits);
            if !fits {
                assert_eq!(s.message(), ERR_REASON);
            }
        }
    }
}
