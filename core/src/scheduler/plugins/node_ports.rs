//! NodePorts: a pod's host ports must be free on the node (same protocol and port, overlapping
//! host IP, `0.0.0.0` overlapping everything).

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::framework::{
    pod_host_ports, ClusterSnapshot, CycleState, FilterPlugin, HostPort, NodeInfo, Plugin,
    PreFilterPlugin, PreFilterResult, Status,
};

/// The plugin's upstream name.
pub const NAME: &str = "NodePorts";
/// The reason when a wanted port is taken.
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

/// Checks host port conflicts (upstream `nodeports`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NodePorts;

impl Plugin for NodePorts {
    fn name(&self) -> &'static str {
        NAME
    }
}

#[derive(Debug, Clone)]
struct PreFilterState(Vec<HostPort>);

impl PreFilterPlugin for NodePorts {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _snapshot: &ClusterSnapshot,
    ) -> (Option<PreFilterResult>, Status) {
        let ports = pod_host_ports(pod);
        if ports.is_empty() {
            return (None, Status::skip());
        }
        state.write(NAME, PreFilterState(ports));
        (None, Status::success())
    }
}

fn conflicts(a: &HostPort, b: &HostPort) -> bool {
    a.port == b.port
        && a.protocol == b.protocol
        && (a.ip == b.ip || a.ip == "0.0.0.0" || b.ip == "0.0.0.0")
}

impl FilterPlugin for NodePorts {
    /// Reads the node's ports in use and the host ports PreFilter took from the spec only.
    fn filter_is_node_local(&self) -> bool {
        true
    }

    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        let computed;
        let wanted = match state.read::<PreFilterState>(NAME) {
            Some(s) => &s.0,
            None => {
                computed = pod_host_ports(pod);
                &computed
            }
        };
        let taken = wanted
            .iter()
            .any(|w| node.used_ports.keys().any(|u| conflicts(w, u)));
        if taken {
            Status::unschedulable(ERR_REASON)
        } else {
            Status::success()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::framework::Code;
    use crate::scheduler::testutil::{node, pod, with_host_port};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_taken_host_port_rejects_the_node_and_a_free_one_passes() {
        let mut n = NodeInfo::new(node("a", "1", "1Gi"));
        n.add_pod(with_host_port(pod("old", "", ""), 8080));
        let cases = [(8080, false), (9090, true)];
        for (port, fits) in cases {
            let p = with_host_port(pod("p", "", ""), port);
            let mut st = CycleState::default();
            let (_, s) = NodePorts.pre_filter(&mut st, &p, &ClusterSnapshot::default());
            assert!(s.is_success());
            let s = NodePorts.filter(&st, &p, &n);
            assert_eq!(s.is_success(), fits);
            if !fits {
                assert_eq!(s.code, Code::Unschedulable);
                assert_eq!(s.message(), ERR_REASON);
            }
        }
        let mut st = CycleState::default();
        let (_, s) =
            NodePorts.pre_filter(&mut st, &pod("none", "", ""), &ClusterSnapshot::default());
        assert!(s.is_skip());
    }
}
