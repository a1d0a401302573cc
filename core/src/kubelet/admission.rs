//! The kubelet's pod admission (`pkg/kubelet/lifecycle/predicate.go`): a pod bound to a node it
//! does not fit (usually by setting `spec.nodeName` directly) is rejected with `OutOfcpu`,
//! `OutOfmemory`, `OutOfpods` or `NodeAffinity`, and the kubelet fails it with
//! `Pod was rejected: <message>`.

use k8s_openapi::api::core::v1::{Node, Pod};

use crate::scheduler::framework::Resource;
use crate::scheduler::selectors::node_selector_terms_match;

/// Why the kubelet refused a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// `OutOfcpu`, `OutOfmemory`, `NodeAffinity`, …: the event reason and `status.reason`.
    pub reason: String,
    /// The event message (`status.message` is `Pod was rejected: ` + this).
    pub message: String,
}

/// Admits `pod`, which requests `want`, on `node` where pods requesting `admitted` already run,
/// or says why not. The kubelet keeps each pod's requests (a pod's resources cannot change), so
/// they are not read again from every running pod at each admission.
pub fn admit(
    pod: &Pod,
    want: &Resource,
    node: &Node,
    admitted: &[&Resource],
) -> Result<(), Rejection> {
    let name = node.metadata.name.as_deref().unwrap_or("");
    let labels = node.metadata.labels.as_ref();
    let spec = pod.spec.as_ref();
    let selector_ok = spec
        .and_then(|s| s.node_selector.as_ref())
        .is_none_or(|sel| {
            sel.iter()
                .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
        });
    let affinity_ok = spec
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| {
            na.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .is_none_or(|req| node_selector_terms_match(&req.node_selector_terms, name, labels));
    if !selector_ok || !affinity_ok {
        return Err(Rejection {
            reason: "NodeAffinity".into(),
            message:
                "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"
                    .into(),
        });
    }
    let allocatable = node
        .status
        .as_ref()
        .and_then(|s| s.allocatable.as_ref())
        .map(Resource::from_list)
        .unwrap_or_default();
    let mut used = Resource::default();
    for r in admitted {
        used.add(r);
    }
    if allocatable.allowed_pod_number > 0
        && admitted.len() as i64 + 1 > allocatable.allowed_pod_number
    {
        return Err(insufficient(
            "pods",
            1,
            admitted.len() as i64,
            allocatable.allowed_pod_number,
        ));
    }
    for resource in ["cpu", "memory"] {
        let (req, u, cap) = (
            want.get(resource),
            used.get(resource),
            allocatable.get(resource),
        );
        if req > 0 && req > cap - u {
            return Err(insufficient(resource, req, u, cap));
        }
    }
    Ok(())
}

fn insufficient(resource: &str, requested: i64, used: i64, capacity: i64) -> Rejection {
    Rejection {
        reason: format!("OutOf{resource}"),
        message: format!(
            "Node didn't have enough resource: {resource}, requested: {requested}, used: {used}, capacity: {capacity}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn node() -> Node {
        serde_json::from_value(
            json!({"metadata": {"name": "node-1", "labels": {"disk": "hdd"}},
            "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"}}}),
        )
        .unwrap_or_default()
    }

    fn pod(spec: serde_json::Value) -> Pod {
        serde_json::from_value(json!({"metadata": {"name": "p"}, "spec": spec})).unwrap_or_default()
    }

    /// [`admit`] of `pod` beside the `running` pods, their requests read as the kubelet's pod
    /// workers read them.
    fn admit_beside(pod: &Pod, running: &[&Pod]) -> Result<(), Rejection> {
        use crate::scheduler::framework::pod_requests;
        let used: Vec<Resource> = running.iter().map(|p| pod_requests(p, false)).collect();
        let used: Vec<&Resource> = used.iter().collect();
        admit(pod, &pod_requests(pod, false), &node(), &used)
    }

    #[test]
    fn too_much_cpu_is_out_of_cpu_with_the_predicate_message() {
        let big =
            pod(json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": "3"}}}]}));
        let more =
            pod(json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": "2"}}}]}));
        assert_eq!(admit_beside(&big, &[]), Ok(()));
        assert_eq!(
            admit_beside(&more, &[&big]),
            Err(Rejection {
                reason: "OutOfcpu".into(),
                message: "Node didn't have enough resource: cpu, requested: 2000, used: 3000, capacity: 4000".into()
            })
        );
    }

    #[test]
    fn a_selector_the_node_lacks_is_node_affinity() {
        let p = pod(json!({"nodeSelector": {"disk": "ssd"}, "containers": [{"name": "c"}]}));
        assert_eq!(
            admit_beside(&p, &[]).map_err(|r| r.reason),
            Err("NodeAffinity".to_string())
        );
    }
}
