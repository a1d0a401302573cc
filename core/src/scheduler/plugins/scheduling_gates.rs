//! SchedulingGates: a pod with `spec.schedulingGates` never enters the active queue.

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::framework::{Code, Plugin, PreEnqueuePlugin, Status};

/// The plugin's upstream name.
pub const NAME: &str = "SchedulingGates";

/// Keeps gated pods out of the active queue (upstream `schedulinggates`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SchedulingGates;

impl Plugin for SchedulingGates {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PreEnqueuePlugin for SchedulingGates {
    fn pre_enqueue(&self, pod: &Pod) -> Status {
        let gates = pod
            .spec
            .as_ref()
            .and_then(|s| s.scheduling_gates.as_ref())
            .filter(|g| !g.is_empty());
        match gates {
            None => Status::success(),
            Some(g) => {
                let names: Vec<&str> = g.iter().map(|g| g.name.as_str()).collect();
                Status::new(
                    Code::UnschedulableAndUnresolvable,
                    [format!(
                        "waiting for scheduling gates: [{}]",
                        names.join(" ")
                    )],
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::testutil::pod;
    use k8s_openapi::api::core::v1::PodSchedulingGate;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_gated_pod_waits_and_names_its_gates() {
        let mut p = pod("p", "", "");
        assert!(SchedulingGates.pre_enqueue(&p).is_success());
        p.spec.as_mut().unwrap().scheduling_gates = Some(vec![
            PodSchedulingGate { name: "a".into() },
            PodSchedulingGate { name: "b".into() },
        ]);
        let s = SchedulingGates.pre_enqueue(&p);
        assert_eq!(s.code, Code::UnschedulableAndUnresolvable);
        assert_eq!(s.message(), "waiting for scheduling gates: [a b]");
    }
}
