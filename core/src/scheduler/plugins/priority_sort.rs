//! PrioritySort: the active queue pops higher `spec.priority` first, then the pod queued earliest.

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::framework::{pod_priority, Plugin, QueueSortPlugin};
use crate::sim::SimTime;

/// The plugin's upstream name.
pub const NAME: &str = "PrioritySort";

/// Orders the active queue by priority, then queue timestamp (upstream `queuesort`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PrioritySort;

impl Plugin for PrioritySort {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl QueueSortPlugin for PrioritySort {
    fn less(&self, a: &Pod, a_time: SimTime, b: &Pod, b_time: SimTime) -> bool {
        let (pa, pb) = (pod_priority(a), pod_priority(b));
        pa > pb || (pa == pb && a_time < b_time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::testutil::{pod, with_priority};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn higher_priority_goes_first_then_the_earlier_pod() {
        let low = with_priority(pod("low", "", ""), 1);
        let high = with_priority(pod("high", "", ""), 10);
        let cases = [
            (&high, 5, &low, 1, true),
            (&low, 1, &high, 5, false),
            (&low, 1, &low, 2, true),
            (&low, 2, &low, 1, false),
        ];
        for (a, at, b, bt, want) in cases {
            assert_eq!(PrioritySort.less(a, SimTime(at), b, SimTime(bt)), want);
        }
    }
}
