//! ImageLocality: favours nodes that already hold the pod's images, scaled by how widely each
//! image is spread across the cluster (counted once per cycle, in PreScore, from the snapshot).

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::framework::{
    normalized_image_name, score_one, ClusterSnapshot, CycleState, ImageState, NodeInfo, Plugin,
    PreScorePlugin, ScorePlugin, Status, MAX_NODE_SCORE,
};

/// The plugin's upstream name.
pub const NAME: &str = "ImageLocality";

const MB: i64 = 1024 * 1024;
/// Below this total the score is 0 (upstream `minThreshold`, 23 MiB).
pub const MIN_THRESHOLD: i64 = 23 * MB;
/// Per container, above this total the score is 100 (upstream `maxContainerThreshold`, 1000 MiB).
pub const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// Image locality scoring (upstream `imagelocality`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ImageLocality;

impl Plugin for ImageLocality {
    fn name(&self) -> &'static str {
        NAME
    }
}

/// The pod's images (normalized, one per container that names one) with how many nodes hold
/// each, and the cluster's node count.
#[derive(Debug, Clone)]
struct PreScoreState {
    total_nodes: usize,
    containers: usize,
    images: Vec<(String, usize)>,
    /// Whether some node of the snapshot holds one of the images: when none does, every node
    /// scores the same and is not looked at (`None` without a snapshot to tell).
    held: Option<bool>,
}

fn pre_score_state(
    pod: &Pod,
    total_nodes: usize,
    snapshot: Option<&ClusterSnapshot>,
) -> PreScoreState {
    let mut containers = 0;
    let mut images = Vec::new();
    let mut held = snapshot.map(|_| false);
    if let Some(spec) = pod.spec.as_ref() {
        for c in spec
            .init_containers
            .iter()
            .flatten()
            .chain(spec.containers.iter())
        {
            containers += 1;
            if let Some(img) = c.image.as_deref() {
                let name = normalized_image_name(img);
                let counted = snapshot.and_then(|s| s.image_nodes.get(&name).copied());
                if counted.is_some() {
                    held = Some(true);
                }
                let nodes = counted.unwrap_or(1);
                images.push((name, nodes));
            }
        }
    }
    PreScoreState {
        total_nodes,
        containers,
        images,
        held,
    }
}

impl PreScorePlugin for ImageLocality {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _feasible: &[&NodeInfo],
        snapshot: &ClusterSnapshot,
    ) -> Status {
        state.write(
            NAME,
            pre_score_state(pod, snapshot.nodes.len(), Some(snapshot)),
        );
        Status::success()
    }
}

fn scaled_image_score(state: &ImageState, num_nodes: usize, total_nodes: usize) -> i64 {
    let spread = num_nodes as f64 / total_nodes.max(1) as f64;
    (state.size as f64 * spread) as i64
}

/// `100 × (sum − 23MiB) / (1000MiB × containers − 23MiB)` with the sum clamped to that range.
pub fn calculate_priority(sum: i64, num_containers: usize) -> i64 {
    let max = MAX_CONTAINER_THRESHOLD * num_containers as i64;
    let sum = if sum < MIN_THRESHOLD {
        MIN_THRESHOLD
    } else if sum > max {
        max
    } else {
        sum
    };
    if max == MIN_THRESHOLD {
        return 0;
    }
    MAX_NODE_SCORE * (sum - MIN_THRESHOLD) / (max - MIN_THRESHOLD)
}

/// The score of `node` for a pod whose images are `s` (upstream `ImageLocality.Score`).
fn node_score(s: &PreScoreState, node: &NodeInfo) -> i64 {
    let sum: i64 = s
        .images
        .iter()
        .filter_map(|(name, nodes)| {
            node.image_states
                .get(name)
                .map(|st| scaled_image_score(st, *nodes, s.total_nodes))
        })
        .sum();
    calculate_priority(sum, s.containers)
}

impl ScorePlugin for ImageLocality {
    /// `ImageLocality.ScoreExtensions` is nil upstream.
    fn has_score_extensions(&self) -> bool {
        false
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
        if pod.spec.is_none() {
            out.extend(nodes.iter().map(|_| 0));
            return Ok(());
        }
        // The cycle's state, or without PreScore the pod's own images.
        let computed;
        let s = match state.read::<PreScoreState>(NAME) {
            Some(s) => s,
            None => {
                computed = pre_score_state(pod, 1, None);
                &computed
            }
        };
        if s.held == Some(false) {
            // No node holds any of the images: each scores what an empty sum scores.
            let score = calculate_priority(0, s.containers);
            out.extend(nodes.iter().map(|_| score));
        } else {
            out.extend(nodes.iter().map(|n| node_score(s, n)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::testutil::{node, pod, with_image};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn an_image_on_half_the_nodes_counts_half_its_size() {
        let nodes = vec![
            with_image(node("a", "1", "1Gi"), "nginx:latest", 500 * MB),
            node("b", "1", "1Gi"),
        ];
        let snap = ClusterSnapshot::new(nodes, &[]);
        let p = pod("p", "", "");
        let mut st = CycleState::default();
        ImageLocality.pre_score(&mut st, &p, &[], &snap);
        // sum = 500MiB × 1/2 = 250MiB; 100 × (250 − 23) / (1000 − 23) = 23.
        assert_eq!(ImageLocality.score(&st, &p, &snap.nodes[0]).unwrap(), 23);
        assert_eq!(ImageLocality.score(&st, &p, &snap.nodes[1]).unwrap(), 0);
        assert_eq!(calculate_priority(2000 * MB, 1), 100);
        assert_eq!(normalized_image_name("nginx"), "nginx:latest");
        assert_eq!(
            normalized_image_name("reg:5000/nginx"),
            "reg:5000/nginx:latest"
        );
        assert_eq!(normalized_image_name("nginx:1.27"), "nginx:1.27");
    }

    #[test]
    fn an_image_no_node_holds_scores_every_node_as_an_empty_sum() {
        let nodes = vec![
            with_image(node("a", "1", "1Gi"), "redis:7", 500 * MB),
            node("b", "1", "1Gi"),
        ];
        let snap = ClusterSnapshot::new(nodes, &[]);
        let p = pod("p", "", "");
        let mut st = CycleState::default();
        ImageLocality.pre_score(&mut st, &p, &[], &snap);
        let mut out = Vec::new();
        let all: Vec<&NodeInfo> = snap.nodes.iter().map(|n| &**n).collect();
        ImageLocality.score_nodes(&st, &p, &all, &mut out).unwrap();
        assert_eq!(out, [0, 0]);
        // The same pod with the node holding its image: that node is looked at.
        let snap = ClusterSnapshot::new(
            vec![with_image(node("a", "1", "1Gi"), "nginx:latest", 2000 * MB)],
            &[],
        );
        let mut st = CycleState::default();
        ImageLocality.pre_score(&mut st, &p, &[], &snap);
        out.clear();
        ImageLocality
            .score_nodes(&st, &p, &[&*snap.nodes[0]], &mut out)
            .unwrap();
        assert_eq!(out, [100]);
    }
}
