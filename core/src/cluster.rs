//! `Cluster`: the one owner of the simulated world — virtual clock, seeded RNG and the objects the
//! components share — and the entry points the CLI and the playground call.

use k8s_openapi::api::core::v1::Node;

use crate::nodes::NodePool;
use crate::sim::{SimRng, SimTime};
use crate::snapshot::{NodeView, Snapshot};

/// How a cluster starts: its seed and its nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Seed of the one RNG; the same seed replays the same run.
    pub seed: u64,
    /// The default node pool, used when the scenario brings no Node objects.
    pub pool: NodePool,
}

/// A whole simulated Kubernetes cluster.
#[derive(Debug, Clone)]
pub struct Cluster {
    now: SimTime,
    seed: u64,
    #[allow(dead_code)]
    rng: SimRng,
    nodes: Vec<Node>,
}

impl Cluster {
    /// A cluster with the configured node pool, at virtual time zero.
    pub fn new(config: ClusterConfig) -> Cluster {
        Cluster {
            now: SimTime::ZERO,
            seed: config.seed,
            rng: SimRng::new(config.seed),
            nodes: config.pool.nodes(),
        }
    }

    /// The current virtual time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The seed this cluster was started with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A ready-to-render view of the cluster at the current time.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            time: self.now,
            seed: self.seed,
            nodes: self.nodes.iter().map(NodeView::from_node).collect(),
        }
    }
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster::new(ClusterConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_default_cluster_has_three_nodes() {
        let snap = Cluster::default().snapshot();
        let names: Vec<&str> = snap.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["node-1", "node-2", "node-3"]);
        assert_eq!(snap.nodes[0].cpu, "4");
        assert_eq!(snap.nodes[0].memory, "16Gi");
        assert_eq!(snap.nodes[0].version, "v1.33.1");
        assert_eq!(snap.nodes[0].status, "Ready");
    }
}
