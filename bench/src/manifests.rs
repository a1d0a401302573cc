//! The objects a workload creates: its Node objects (podflow's node pool with scheduler_perf's
//! zone labels), scheduler_perf's Pod templates (which the run decodes once and POSTs a copy of
//! per pod), and Deployment and Namespace manifests as the documents `kubectl apply` sends, all
//! built directly rather than parsed from text.

use k8s_openapi::api::core::v1::Node;
use podflow_core::intake::Document;
use podflow_core::nodes::NodePool;
use serde_json::{json, Value};

use crate::shape::{Shape, Template};

/// The label scheduler_perf's `labelNodePrepareStrategy` sets.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// The shape's nodes: `node-1…` from podflow's node pool with the shape's allocatable, each
/// with a zone label handed out round-robin when the shape has zones.
pub fn nodes(shape: &Shape) -> Vec<Node> {
    let pool = NodePool {
        count: shape.nodes,
        cpu: shape.node_cpu.into(),
        memory: shape.node_memory.into(),
        pods: shape.node_pods,
    };
    let mut nodes = pool.nodes();
    if !shape.zones.is_empty() {
        for (i, node) in nodes.iter_mut().enumerate() {
            let zone = shape.zones[i % shape.zones.len()];
            node.metadata
                .labels
                .get_or_insert_with(Default::default)
                .insert(ZONE_LABEL.into(), zone.into());
        }
    }
    nodes
}

fn pause_container(image: &str, limits: bool) -> Value {
    let requests = json!({"cpu": "100m", "memory": "500Mi"});
    let resources = if limits {
        json!({"limits": requests.clone(), "requests": requests})
    } else {
        json!({"requests": requests})
    };
    json!({
        "image": image,
        "name": "pause",
        "ports": [{"containerPort": 80}],
        "resources": resources,
    })
}

/// A Pod from one of scheduler_perf's templates, named `name` in `namespace`.
pub fn pod(template: Template, namespace: &str, name: &str) -> Value {
    let mut labels = json!({});
    let mut spec = json!({"containers": [pause_container("registry.k8s.io/pause:3.10", true)]});
    match template {
        Template::Default => {}
        Template::NodeAffinity => {
            spec["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{
                    "key": ZONE_LABEL, "operator": "In", "values": ["zone1", "zone2"]
                }]}]
            }}});
        }
        Template::TopologySpreading => {
            labels = json!({"color": "blue"});
            spec["topologySpreadConstraints"] = json!([{
                "maxSkew": 5,
                "topologyKey": ZONE_LABEL,
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"color": "blue"}},
            }]);
        }
        Template::PodAntiAffinity => {
            labels = json!({"color": "green"});
            spec["affinity"] = json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
                "labelSelector": {"matchLabels": {"color": "green"}},
                "topologyKey": "kubernetes.io/hostname",
                "namespaces": ["sched-1", "sched-0"],
            }]}});
        }
        Template::PodAffinity => {
            labels = json!({"color": "blue"});
            spec["affinity"] = json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
                "labelSelector": {"matchLabels": {"color": "blue"}},
                "topologyKey": ZONE_LABEL,
                "namespaces": ["sched-1", "sched-0"],
            }]}});
        }
        Template::LargeCpu => {
            spec["containers"] = json!([{
                "image": "registry.k8s.io/pause:3.10",
                "name": "pause",
                "ports": [{"containerPort": 80}],
                "resources": {"requests": {"cpu": "9", "memory": "500Mi"}},
            }]);
        }
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": spec,
    })
}

/// An nginx Deployment of `replicas`, labelled `app: <name>`.
pub fn deployment(namespace: &str, name: &str, replicas: usize) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]},
            },
        },
    })
}

/// A Namespace.
pub fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

/// Values as the documents of one `kubectl apply -f` input, in order.
pub fn documents(values: Vec<Value>) -> Vec<Document> {
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| Document {
            value,
            index,
            line: 1,
            item: None,
        })
        .collect()
}
