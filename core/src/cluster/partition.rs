//! Network partitions: a node cut off from the control plane. Unlike a failed node, its kubelet
//! and containers keep running (timers fire, probes run, processes go on), but every request it
//! sends fails and no watch event reaches it. The control plane sees only silence: the Lease
//! stops being renewed, the node lifecycle controller marks it `Unknown`, taints it and the
//! taint manager deletes its pods, which stay `Terminating` because the kubelet that would
//! confirm their end never hears of it. When the partition heals the kubelet gets the waiting
//! events, stops the deleted pods' containers and the objects go.

use super::{ApplyResult, Cluster, Task};

impl Cluster {
    /// Cuts `node` off from the control plane.
    pub fn partition_node(&mut self, node: &str) -> ApplyResult {
        if self.api.get("Node", "", node).is_none() {
            return ApplyResult::err(format!(
                "Error from server (NotFound): nodes \"{node}\" not found"
            ));
        }
        if !self.partitioned_nodes.insert(node.to_string()) {
            return ApplyResult::ok(format!("node/{node} already partitioned"), Vec::new());
        }
        self.trace_node(
            node,
            "network partitioned: the kubelet keeps running but cannot reach the API server",
        );
        ApplyResult::ok(format!("node/{node} partitioned"), Vec::new())
    }

    /// Heals a partitioned node: its agents' requests get through again and the watch events
    /// that waited reach them.
    pub fn heal_node(&mut self, node: &str) -> ApplyResult {
        if !self.partitioned_nodes.remove(node) {
            return ApplyResult::ok(format!("node/{node} is not partitioned"), Vec::new());
        }
        self.trace_node(
            node,
            "network healed: the kubelet reaches the API server again",
        );
        let agents: Vec<usize> = (0..self.components.len())
            .filter(|&i| self.components[i].node() == Some(node))
            .collect();
        for id in self.watches.owned_by(&agents) {
            if self.api.store.pending(id) > 0 && self.watches.schedule(id) {
                self.timers
                    .push(self.now.plus(super::WATCH_LATENCY), Task::Deliver(id));
            }
        }
        ApplyResult::ok(format!("node/{node} healed"), Vec::new())
    }

    /// The nodes that are partitioned now.
    pub fn partitioned_nodes(&self) -> &std::collections::BTreeSet<String> {
        &self.partitioned_nodes
    }
}
