//! The default node pool: real `v1` Node objects shaped like a kubeadm worker running kubelet
//! v1.33 on containerd, so that nodes exported from a real cluster and simulated ones look alike.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Node, NodeAddress, NodeCondition, NodeSpec, NodeStatus, NodeSystemInfo,
};

use crate::sim::SimTime;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The kubelet version every simulated node reports.
pub const KUBELET_VERSION: &str = "v1.33.1";
/// The container runtime every simulated node reports.
pub const CONTAINER_RUNTIME_VERSION: &str = "containerd://2.0.5";

/// The shape of a pool of identical nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePool {
    /// How many nodes (named `node-1`, `node-2`, …).
    pub count: usize,
    /// CPU capacity, as a quantity string (default `4`).
    pub cpu: String,
    /// Memory capacity, as a quantity string (default `16Gi`).
    pub memory: String,
    /// Pod capacity (default 110, the kubelet's `--max-pods`).
    pub pods: u32,
}

impl Default for NodePool {
    fn default() -> Self {
        NodePool {
            count: 3,
            cpu: "4".into(),
            memory: "16Gi".into(),
            pods: 110,
        }
    }
}

impl NodePool {
    /// The Node objects of this pool, as their kubelets would register them.
    pub fn nodes(&self) -> Vec<Node> {
        (1..=self.count).map(|i| self.node(i)).collect()
    }

    /// Fills in what registration gives a Node that a manifest left out, as a kubeadm cluster
    /// does: the kubelet's well-known labels, addresses, capacity (this pool's shape), system
    /// info and healthy conditions, and a pod CIDR from the node IPAM controller (the lowest
    /// free `10.244.<n>.0/24`). What the manifest gives is kept.
    pub fn complete(&self, nodes: &mut [Node]) {
        let mut taken: Vec<String> = nodes
            .iter()
            .filter_map(|n| n.spec.as_ref().and_then(|s| s.pod_cidr.clone()))
            .collect();
        let mut next = 1;
        for (position, node) in nodes.iter_mut().enumerate() {
            let name = node.metadata.name.clone().unwrap_or_default();
            // The pool's node at this position: its IP and shape, renamed.
            let mut template = self.node(position + 1);
            template.metadata.name = Some(name.clone());
            let labels = node.metadata.labels.get_or_insert_with(BTreeMap::new);
            for (k, v) in template.metadata.labels.take().unwrap_or_default() {
                let v = if k == "kubernetes.io/hostname" {
                    name.clone()
                } else {
                    v
                };
                labels.entry(k).or_insert(v);
            }
            let spec = node.spec.get_or_insert_with(Default::default);
            if spec.pod_cidr.is_none() {
                while taken.contains(&format!("10.244.{next}.0/24")) {
                    next += 1;
                }
                let cidr = format!("10.244.{next}.0/24");
                taken.push(cidr.clone());
                spec.pod_cidr = Some(cidr.clone());
                spec.pod_cidrs = Some(vec![cidr]);
            }
            let t = template.status.take().unwrap_or_default();
            let status = node.status.get_or_insert_with(Default::default);
            if status.addresses.as_ref().is_none_or(|a| a.is_empty()) {
                status.addresses = t.addresses.map(|addrs| {
                    addrs
                        .into_iter()
                        .map(|mut a| {
                            if a.type_ == "Hostname" {
                                a.address = name.clone();
                            }
                            a
                        })
                        .collect()
                });
            }
            match (status.capacity.is_some(), status.allocatable.is_some()) {
                (false, false) => {
                    status.capacity = t.capacity;
                    status.allocatable = t.allocatable;
                }
                (true, false) => status.allocatable = status.capacity.clone(),
                (false, true) => status.capacity = status.allocatable.clone(),
                (true, true) => {}
            }
            if status.node_info.is_none() {
                status.node_info = t.node_info;
            }
        }
    }

    fn node(&self, index: usize) -> Node {
        let name = format!("node-{index}");
        let labels = BTreeMap::from([
            ("kubernetes.io/arch".to_string(), "amd64".to_string()),
            ("kubernetes.io/hostname".to_string(), name.clone()),
            ("kubernetes.io/os".to_string(), "linux".to_string()),
        ]);
        let resources = BTreeMap::from([
            ("cpu".to_string(), Quantity(self.cpu.clone())),
            ("ephemeral-storage".to_string(), Quantity("100Gi".into())),
            ("memory".to_string(), Quantity(self.memory.clone())),
            ("pods".to_string(), Quantity(self.pods.to_string())),
        ]);
        // Node IPs and pod CIDRs as kubeadm with the default 10.244.0.0/16 cluster CIDR hands them
        // out; past 255 nodes the /24s continue into the next /16s (as a larger `--cluster-cidr`
        // would), and node IPs into the next /24s, so every node of a large pool is addressable.
        let host = index + 1;
        let internal_ip = format!("172.18.{}.{}", (host >> 8) & 255, host & 255);
        let block = 244 * 256 + index;
        let pod_cidr = format!("10.{}.{}.0/24", (block >> 8) & 255, block & 255);
        Node {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some(labels),
                ..Default::default()
            },
            spec: Some(NodeSpec {
                pod_cidr: Some(pod_cidr.clone()),
                pod_cidrs: Some(vec![pod_cidr]),
                ..Default::default()
            }),
            status: Some(NodeStatus {
                addresses: Some(vec![
                    NodeAddress {
                        type_: "InternalIP".into(),
                        address: internal_ip,
                    },
                    NodeAddress {
                        type_: "Hostname".into(),
                        address: name,
                    },
                ]),
                allocatable: Some(resources.clone()),
                conditions: Some(healthy_conditions(SimTime::ZERO)),
                capacity: Some(resources),
                node_info: Some(NodeSystemInfo {
                    architecture: "amd64".into(),
                    boot_id: String::new(),
                    container_runtime_version: CONTAINER_RUNTIME_VERSION.into(),
                    kernel_version: "6.1.0-28-amd64".into(),
                    kube_proxy_version: String::new(),
                    kubelet_version: KUBELET_VERSION.into(),
                    machine_id: String::new(),
                    operating_system: "linux".into(),
                    os_image: "Debian GNU/Linux 12 (bookworm)".into(),
                    system_uuid: String::new(),
                    swap: None,
                }),
                ..Default::default()
            }),
        }
    }
}

/// The conditions a healthy kubelet posts (`kubectl describe node` order), stamped at `now`.
pub fn healthy_conditions(now: SimTime) -> Vec<NodeCondition> {
    let condition = |type_: &str, status: &str, reason: &str, message: &str| NodeCondition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_heartbeat_time: Some(now.to_k8s_time()),
        last_transition_time: Some(now.to_k8s_time()),
    };
    vec![
        condition(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        condition(
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
        ),
        condition(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        ),
        condition(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_node_manifest_is_completed_as_registration_would() {
        let mut given = Node {
            metadata: ObjectMeta {
                name: Some("zone-a-1".into()),
                labels: Some(BTreeMap::from([(
                    "topology.kubernetes.io/zone".to_string(),
                    "zone-a".to_string(),
                )])),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut other = NodePool::default().nodes().remove(0);
        other.metadata.name = Some("exported".into());
        let mut nodes = vec![other.clone(), given.clone()];
        NodePool::default().complete(&mut nodes);
        // The exported node is untouched; the manifest gets the next free CIDR.
        assert_eq!(nodes[0], other);
        given = nodes.remove(1);
        let spec = given.spec.unwrap();
        assert_eq!(spec.pod_cidr.as_deref(), Some("10.244.2.0/24"));
        let labels = given.metadata.labels.unwrap();
        assert_eq!(
            labels.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "kubernetes.io/arch",
                "kubernetes.io/hostname",
                "kubernetes.io/os",
                "topology.kubernetes.io/zone"
            ]
        );
        assert_eq!(labels["kubernetes.io/hostname"], "zone-a-1");
        let status = given.status.unwrap();
        assert_eq!(status.allocatable.unwrap()["cpu"].0, "4");
        assert_eq!(status.node_info.unwrap().kubelet_version, KUBELET_VERSION);
        let addresses: Vec<(String, String)> = status
            .addresses
            .unwrap()
            .into_iter()
            .map(|a| (a.type_, a.address))
            .collect();
        assert_eq!(
            addresses,
            [
                ("InternalIP".to_string(), "172.18.0.3".to_string()),
                ("Hostname".to_string(), "zone-a-1".to_string())
            ]
        );
    }

    #[test]
    fn large_pools_get_distinct_usable_pod_cidrs_and_node_ips() {
        let pool = NodePool {
            count: 5_000,
            ..Default::default()
        };
        let nodes = pool.nodes();
        let cidr = |i: usize| nodes[i - 1].spec.as_ref().and_then(|s| s.pod_cidr.clone());
        assert_eq!(cidr(1).as_deref(), Some("10.244.1.0/24"));
        assert_eq!(cidr(255).as_deref(), Some("10.244.255.0/24"));
        assert_eq!(cidr(256).as_deref(), Some("10.245.0.0/24"));
        let cidrs: std::collections::BTreeSet<_> = (1..=5_000).filter_map(cidr).collect();
        assert_eq!(cidrs.len(), 5_000);
        let ips: std::collections::BTreeSet<_> = nodes
            .iter()
            .filter_map(|n| Some(n.status.as_ref()?.addresses.as_ref()?[0].address.clone()))
            .collect();
        assert_eq!(ips.len(), 5_000);
        assert!(ips.contains("172.18.0.2") && ips.contains("172.18.19.137"));
    }
}
