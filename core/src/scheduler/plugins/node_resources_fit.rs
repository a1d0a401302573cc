//! NodeResourcesFit: the pod's requests (containers, init containers and sidecars, overhead,
//! extended resources) must fit the node's free allocatable, and the pod count must stay under
//! `pods`; scores nodes by the LeastAllocated strategy (cpu and memory, weight 1 each).

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::framework::{
    pod_requests, score_one, ClusterSnapshot, Code, CycleState, FilterPlugin, NodeInfo, Plugin,
    PreFilterPlugin, PreFilterResult, Resource, ScorePlugin, Status, MAX_NODE_SCORE,
};

/// The plugin's upstream name.
pub const NAME: &str = "NodeResourcesFit";

/// Resource fit and LeastAllocated scoring (upstream `noderesources.Fit`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeResourcesFit;

impl Plugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        NAME
    }
}

/// One resource the node lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsufficientResource {
    /// The resource name, e.g. `cpu`.
    pub resource: String,
    /// The reason text, e.g. `Insufficient cpu`.
    pub reason: String,
    /// Whether even an empty node could not hold the request (informational in v1.33).
    pub exceeds_allocatable: bool,
}

/// The pod's requests, computed once per cycle: actual (Filter) and with the non-zero defaults
/// (Score).
#[derive(Debug, Clone)]
struct PreFilterState(Resource, Resource);

impl PreFilterPlugin for NodeResourcesFit {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _snapshot: &ClusterSnapshot,
    ) -> (Option<PreFilterResult>, Status) {
        state.write(
            NAME,
            PreFilterState(pod_requests(pod, false), pod_requests(pod, true)),
        );
        (None, Status::success())
    }
}

/// Calls `lacking(resource, exceeds_allocatable)` for each resource the node lacks for a pod
/// requesting `req`, in upstream order (pods, cpu, memory, ephemeral-storage, then scalar
/// resources by name), until it returns `false`.
fn for_each_lacking(req: &Resource, node: &NodeInfo, mut lacking: impl FnMut(&str, bool) -> bool) {
    let alloc = &node.allocatable;
    let used = &node.requested;
    if node.pods.len() as i64 + 1 > alloc.allowed_pod_number && !lacking("pods", false) {
        return;
    }
    let empty = req.milli_cpu == 0
        && req.memory == 0
        && req.ephemeral_storage == 0
        && req.scalar.values().all(|v| *v == 0);
    if empty {
        return;
    }
    let check = |want: i64, have: i64, used: i64| -> Option<bool> {
        (want > 0 && want > have.saturating_sub(used)).then_some(want > have)
    };
    for (resource, want, have, used) in [
        ("cpu", req.milli_cpu, alloc.milli_cpu, used.milli_cpu),
        ("memory", req.memory, alloc.memory, used.memory),
        (
            "ephemeral-storage",
            req.ephemeral_storage,
            alloc.ephemeral_storage,
            used.ephemeral_storage,
        ),
    ] {
        if let Some(u) = check(want, have, used) {
            if !lacking(resource, u) {
                return;
            }
        }
    }
    for (name, want) in &req.scalar {
        if let Some(u) = check(*want, alloc.get(name), used.get(name)) {
            if !lacking(name, u) {
                return;
            }
        }
    }
}

/// What the node lacks for a pod requesting `req` (upstream `fitsRequest`), in upstream order:
/// pods, cpu, memory, ephemeral-storage, then scalar resources by name.
pub fn fits_request(req: &Resource, node: &NodeInfo) -> Vec<InsufficientResource> {
    let mut out = Vec::new();
    for_each_lacking(req, node, |resource, unresolvable| {
        out.push(InsufficientResource {
            resource: resource.to_string(),
            reason: if resource == "pods" {
                "Too many pods".to_string()
            } else {
                format!("Insufficient {resource}")
            },
            exceeds_allocatable: unresolvable,
        });
        true
    });
    out
}

/// Whether the node has room for a pod requesting `req`: [`fits_request`] finding nothing,
/// without building the reasons (the Filter's common case, once per node).
pub fn fits(req: &Resource, node: &NodeInfo) -> bool {
    let mut fits = true;
    for_each_lacking(req, node, |_, _| {
        fits = false;
        false
    });
    fits
}

impl FilterPlugin for NodeResourcesFit {
    /// Reads the node's pods, allocatable and requests and the spec's requests only.
    fn filter_is_node_local(&self) -> bool {
        true
    }

    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        let computed;
        let req = match state.read::<PreFilterState>(NAME) {
            Some(s) => &s.0,
            None => {
                computed = pod_requests(pod, false);
                &computed
            }
        };
        if fits(req, node) {
            return Status::success();
        }
        let lacking = fits_request(req, node);
        // v1.33 keeps every reason under `Unschedulable`, even when the node could never hold the
        // request; `UnschedulableAndUnresolvable` for that case arrived in v1.34 (k/k #131345).
        Status::new(Code::Unschedulable, lacking.into_iter().map(|r| r.reason))
    }
}

/// `(allocatable − requested) × 100 / allocatable`, 0 when over-committed or allocatable is 0.
pub fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    // In i64 where it cannot overflow (the same quotient), else in i128: allocatable memory in
    // bytes times 100 can exceed i64.
    match capacity
        .checked_sub(requested)
        .and_then(|free| free.checked_mul(MAX_NODE_SCORE))
    {
        Some(scaled) => scaled / capacity,
        None => {
            ((i128::from(capacity) - i128::from(requested)) * i128::from(MAX_NODE_SCORE)
                / i128::from(capacity)) as i64
        }
    }
}

/// The LeastAllocated score of a node for a pod: cpu and memory, weight 1 each, using the node's
/// non-zero requested plus the pod's non-zero request.
pub fn least_allocated(pod: &Pod, node: &NodeInfo) -> i64 {
    least_allocated_for(&pod_requests(pod, true), node)
}

/// [`least_allocated`] for a pod whose non-zero requests are `pod_req`.
pub fn least_allocated_for(pod_req: &Resource, node: &NodeInfo) -> i64 {
    let mut total = 0;
    let mut weights = 0;
    let (alloc, used) = (&node.allocatable, &node.non_zero_requested);
    for (p, alloc, used) in [
        (pod_req.milli_cpu, alloc.milli_cpu, used.milli_cpu),
        (pod_req.memory, alloc.memory, used.memory),
    ] {
        if alloc == 0 {
            continue;
        }
        let requested = used.saturating_add(p);
        total += least_requested_score(requested, alloc);
        weights += 1;
    }
    if weights == 0 {
        0
    } else {
        total / weights
    }
}

impl ScorePlugin for NodeResourcesFit {
    /// `Fit.ScoreExtensions` is nil upstream.
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
        let req = match state.read::<PreFilterState>(NAME) {
            Some(s) => &s.1,
            None => {
                computed = pod_requests(pod, true);
                &computed
            }
        };
        out.extend(nodes.iter().map(|n| least_allocated_for(req, n)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::testutil::{node, on, pod, with_alloc, with_request};
    use k8s_openapi::api::core::v1::Container;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn filter(p: &Pod, n: &NodeInfo) -> Status {
        let mut st = CycleState::default();
        NodeResourcesFit.pre_filter(&mut st, p, &ClusterSnapshot::default());
        NodeResourcesFit.filter(&st, p, n)
    }

    #[test]
    fn every_lacking_resource_is_reported_in_upstream_order() {
        let mut full = NodeInfo::new(with_alloc(node("a", "2", "2Gi"), "nvidia.com/gpu", "1"));
        full.add_pod(on(pod("old", "1500m", "1Gi"), "a"));
        let cases: Vec<(Pod, Option<(Code, &str)>)> = vec![
            (pod("fits", "500m", "1Gi"), None),
            (
                pod("cpu", "600m", ""),
                Some((Code::Unschedulable, "Insufficient cpu")),
            ),
            (
                pod("both", "1", "2Gi"),
                Some((Code::Unschedulable, "Insufficient cpu, Insufficient memory")),
            ),
            (
                with_request(pod("gpu", "", ""), "nvidia.com/gpu", "2"),
                Some((Code::Unschedulable, "Insufficient nvidia.com/gpu")),
            ),
            (
                pod("huge", "3", ""),
                Some((Code::Unschedulable, "Insufficient cpu")),
            ),
            (pod("besteffort", "", ""), None),
        ];
        for (p, want) in cases {
            let s = filter(&p, &full);
            match want {
                None => assert!(s.is_success(), "{s:?}"),
                Some((code, msg)) => {
                    assert_eq!((s.code, s.message().as_str()), (code, msg));
                }
            }
        }
    }

    #[test]
    fn a_full_node_reports_too_many_pods_even_for_best_effort_pods() {
        let mut n = NodeInfo::new(with_alloc(node("a", "2", "2Gi"), "pods", "1"));
        n.add_pod(pod("old", "", ""));
        assert_eq!(filter(&pod("p", "", ""), &n).message(), "Too many pods");
    }

    #[test]
    fn init_containers_sidecars_and_overhead_shape_the_request() {
        let mut p = pod("p", "200m", "");
        let spec = p.spec.as_mut().unwrap();
        let init = |cpu: &str, sidecar: bool| {
            let mut c = Container {
                name: "i".into(),
                ..Default::default()
            };
            c.resources = pod("x", cpu, "").spec.unwrap().containers[0]
                .resources
                .clone();
            if sidecar {
                c.restart_policy = Some("Always".into());
            }
            c
        };
        // A plain init container of 500m dominates the 200m app container.
        spec.init_containers = Some(vec![init("500m", false)]);
        assert_eq!(pod_requests(&p, false).milli_cpu, 500);
        // A 100m sidecar runs beside the app (300m) and under later init containers (600m).
        let spec = p.spec.as_mut().unwrap();
        spec.init_containers = Some(vec![init("100m", true), init("500m", false)]);
        assert_eq!(pod_requests(&p, false).milli_cpu, 600);
        let spec = p.spec.as_mut().unwrap();
        spec.init_containers = None;
        spec.overhead = Some(
            [(
                "cpu".to_string(),
                k8s_openapi::apimachinery::pkg::api::resource::Quantity("50m".into()),
            )]
            .into_iter()
            .collect(),
        );
        assert_eq!(pod_requests(&p, false).milli_cpu, 250);
    }

    #[test]
    fn least_allocated_uses_non_zero_defaults_for_missing_requests() {
        // Node 4 cpu / 8Gi with a best-effort pod (counted as 100m / 200Mi).
        let mut n = NodeInfo::new(node("a", "4", "8Gi"));
        n.add_pod(pod("old", "", ""));
        // Incoming 1 cpu / 1Gi: cpu (4000-1100)*100/4000 = 72; memory (8192-1224)Mi*100/8192Mi = 85.
        let p = pod("p", "1", "1Gi");
        assert_eq!(least_allocated(&p, &n), (72 + 85) / 2);
        // Incoming best-effort pod: cpu (4000-200)*100/4000 = 95; memory (8192-400)*100/8192 = 95.
        assert_eq!(least_allocated(&pod("q", "", ""), &n), 95);
        assert_eq!(least_requested_score(5, 4), 0);
        assert_eq!(least_requested_score(1, 0), 0);
        assert_eq!(least_requested_score(0, i64::MAX), 100);
    }

    #[test]
    fn least_requested_score_is_exact_whether_or_not_free_times_100_fits_in_i64() {
        let exact = |requested: i64, capacity: i64| {
            ((i128::from(capacity) - i128::from(requested)) * 100 / i128::from(capacity)) as i64
        };
        let edge = i64::MAX / 100;
        for (requested, capacity) in [
            (0, edge),
            (0, edge + 1),
            (1, edge + 2),
            (3, 7),
            (6_999, 7_000),
            (1 << 40, 1 << 41),
            (1 << 61, 1 << 62),
            ((1 << 62) - 1, 1 << 62),
            (i64::MAX - 1, i64::MAX),
        ] {
            assert_eq!(
                least_requested_score(requested, capacity),
                exact(requested, capacity),
                "{requested}/{capacity}"
            );
        }
        assert_eq!(least_requested_score(1 << 61, 1 << 62), 50);
    }
}
