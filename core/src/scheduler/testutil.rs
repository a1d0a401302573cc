//! Builders for nodes, pods and snapshots shared by the scheduler's tests.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerImage, ContainerPort, Node, NodeSpec, NodeStatus, Pod, PodSpec,
    ResourceRequirements, Taint, Toleration,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// A node with the given allocatable cpu and memory, 110 pods.
pub fn node(name: &str, cpu: &str, memory: &str) -> Node {
    let mut alloc = BTreeMap::new();
    alloc.insert("cpu".to_string(), Quantity(cpu.into()));
    alloc.insert("memory".to_string(), Quantity(memory.into()));
    alloc.insert("pods".to_string(), Quantity("110".into()));
    let mut n = Node::default();
    n.metadata.name = Some(name.into());
    n.metadata.labels = Some(
        [("kubernetes.io/hostname".to_string(), name.to_string())]
            .into_iter()
            .collect(),
    );
    n.spec = Some(NodeSpec::default());
    n.status = Some(NodeStatus {
        allocatable: Some(alloc),
        ..Default::default()
    });
    n
}

/// Adds an allocatable resource.
pub fn with_alloc(mut n: Node, name: &str, q: &str) -> Node {
    if let Some(a) = n.status.as_mut().and_then(|s| s.allocatable.as_mut()) {
        a.insert(name.into(), Quantity(q.into()));
    }
    n
}

/// Adds a taint.
pub fn with_taint(mut n: Node, key: &str, value: &str, effect: &str) -> Node {
    let spec = n.spec.get_or_insert_with(Default::default);
    spec.taints.get_or_insert_with(Vec::new).push(Taint {
        key: key.into(),
        value: (!value.is_empty()).then(|| value.into()),
        effect: effect.into(),
        time_added: None,
    });
    n
}

/// Adds a label.
pub fn with_label(mut n: Node, key: &str, value: &str) -> Node {
    n.metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert(key.into(), value.into());
    n
}

/// Adds an image of `size` bytes.
pub fn with_image(mut n: Node, name: &str, size: i64) -> Node {
    let st = n.status.get_or_insert_with(Default::default);
    st.images.get_or_insert_with(Vec::new).push(ContainerImage {
        names: Some(vec![name.into()]),
        size_bytes: Some(size),
    });
    n
}

/// A pod in `default` with one container `app` (image `nginx`) requesting `cpu`/`memory`
/// (empty string: no request).
pub fn pod(name: &str, cpu: &str, memory: &str) -> Pod {
    let mut req = BTreeMap::new();
    if !cpu.is_empty() {
        req.insert("cpu".to_string(), Quantity(cpu.into()));
    }
    if !memory.is_empty() {
        req.insert("memory".to_string(), Quantity(memory.into()));
    }
    let mut p = Pod::default();
    p.metadata.name = Some(name.into());
    p.metadata.namespace = Some("default".into());
    p.spec = Some(PodSpec {
        containers: vec![Container {
            name: "app".into(),
            image: Some("nginx".into()),
            resources: Some(ResourceRequirements {
                requests: (!req.is_empty()).then_some(req),
                ..Default::default()
            }),
            ..Default::default()
        }],
        ..Default::default()
    });
    p
}

/// Adds a request for `name` to the first container.
pub fn with_request(mut p: Pod, name: &str, q: &str) -> Pod {
    if let Some(c) = p.spec.as_mut().and_then(|s| s.containers.first_mut()) {
        c.resources
            .get_or_insert_with(Default::default)
            .requests
            .get_or_insert_with(Default::default)
            .insert(name.into(), Quantity(q.into()));
    }
    p
}

/// Places the pod on a node.
pub fn on(mut p: Pod, node: &str) -> Pod {
    p.spec.get_or_insert_with(Default::default).node_name = Some(node.into());
    p
}

/// Sets the pod's priority.
pub fn with_priority(mut p: Pod, priority: i32) -> Pod {
    p.spec.get_or_insert_with(Default::default).priority = Some(priority);
    p
}

/// Adds a label to the pod.
pub fn with_pod_label(mut p: Pod, key: &str, value: &str) -> Pod {
    p.metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert(key.into(), value.into());
    p
}

/// Adds a toleration.
pub fn tolerating(mut p: Pod, key: &str, op: &str, value: &str, effect: &str) -> Pod {
    p.spec
        .get_or_insert_with(Default::default)
        .tolerations
        .get_or_insert_with(Vec::new)
        .push(Toleration {
            key: (!key.is_empty()).then(|| key.into()),
            operator: (!op.is_empty()).then(|| op.into()),
            value: (!value.is_empty()).then(|| value.into()),
            effect: (!effect.is_empty()).then(|| effect.into()),
            toleration_seconds: None,
        });
    p
}

/// Adds a host port to the first container.
pub fn with_host_port(mut p: Pod, port: i32) -> Pod {
    if let Some(c) = p.spec.as_mut().and_then(|s| s.containers.first_mut()) {
        c.ports.get_or_insert_with(Vec::new).push(ContainerPort {
            container_port: port,
            host_port: Some(port),
            ..Default::default()
        });
    }
    p
}

/// One step of the churn the side-by-side tests of what plugins keep across cycles run: binds
/// `pod` (in `default`) to a node picked round `snapshot`, and every 40 steps has a pod leave
/// (at 13), node `n04` move to zone `c` (21), a node join (29: every later position moves) and
/// `n05` leave (37). `named(i, zone)` builds node `n<i>`.
pub fn churn(
    cache: &mut crate::scheduler::cache::Cache,
    snapshot: &crate::scheduler::ClusterSnapshot,
    step: usize,
    pod: Pod,
    bound: &mut Vec<String>,
    named: impl Fn(usize, &str) -> Node,
) {
    let node = snapshot.nodes[(step * 7) % snapshot.nodes.len()]
        .name()
        .to_string();
    bound.push(format!(
        "default/{}",
        pod.metadata.name.as_deref().unwrap_or("")
    ));
    cache.assume_pod(&std::sync::Arc::new(crate::object::Object::from(on(
        pod, &node,
    ))));
    match step % 40 {
        13 => cache.remove_pod(&bound[step / 2]),
        21 => cache.upsert_node(&named(4, "c")),
        29 => cache.upsert_node(&named(40 + step / 40, "b")),
        37 => cache.remove_node("n05"),
        _ => {}
    }
}
