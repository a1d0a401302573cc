//! The node lifecycle controller's zones (nodes grouped by their region and zone labels): each
//! zone's health (`ZoneState`, from how many of its nodes are Ready) and the token bucket that
//! paces its NoExecute taints — `--node-eviction-rate` 0.1/s, `--secondary-node-eviction-rate`
//! 0.01/s for partially disrupted zones above `--large-cluster-size-threshold` 50 nodes, none for
//! smaller ones.

use k8s_openapi::api::core::v1::Node;

use crate::sim::{SimDuration, SimTime};

/// `--node-eviction-rate` (0.1/s) as the interval between two taintings in a zone.
pub const EVICTION_INTERVAL: SimDuration = SimDuration::secs(10);
/// `--secondary-node-eviction-rate` (0.01/s) as an interval.
pub const SECONDARY_EVICTION_INTERVAL: SimDuration = SimDuration::secs(100);
/// `--large-cluster-size-threshold`.
pub const LARGE_CLUSTER_THRESHOLD: usize = 50;
/// `--unhealthy-zone-threshold`.
pub const UNHEALTHY_ZONE_THRESHOLD: f64 = 0.55;

/// A zone's health; `Initial` until the controller's first pass over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneState {
    /// Not seen yet.
    Initial,
    /// Enough nodes are Ready.
    Normal,
    /// More than 2 nodes and at least 55 % of them are not Ready.
    PartialDisruption,
    /// No node is Ready.
    FullDisruption,
}

impl ZoneState {
    /// `ComputeZoneState` from the counts of Ready and not-Ready nodes.
    pub fn compute(ready: usize, not_ready: usize) -> ZoneState {
        if ready == 0 && not_ready > 0 {
            ZoneState::FullDisruption
        } else if not_ready > 2
            && not_ready as f64 / (ready + not_ready) as f64 >= UNHEALTHY_ZONE_THRESHOLD
        {
            ZoneState::PartialDisruption
        } else {
            ZoneState::Normal
        }
    }
}

/// A zone: its state and its tainting rate limiter, a token bucket of burst 1 refilled every
/// `interval` (never when `None`). Swapping the limiter starts a full bucket.
#[derive(Debug, Clone)]
pub struct Zone {
    /// The zone's state as of the last pass.
    pub state: ZoneState,
    interval: Option<SimDuration>,
    last_take: Option<SimTime>,
}

impl Default for Zone {
    fn default() -> Self {
        Zone::new()
    }
}

impl Zone {
    /// A zone not seen before, with the normal rate.
    pub fn new() -> Zone {
        Zone {
            state: ZoneState::Initial,
            interval: Some(EVICTION_INTERVAL),
            last_take: None,
        }
    }

    /// `setLimiterInZone`: the rate for a zone of `size` nodes entering `state`.
    pub fn swap_limiter(&mut self, state: ZoneState, size: usize) {
        self.interval = match state {
            ZoneState::PartialDisruption if size > LARGE_CLUSTER_THRESHOLD => {
                Some(SECONDARY_EVICTION_INTERVAL)
            }
            ZoneState::PartialDisruption => None,
            _ => Some(EVICTION_INTERVAL),
        };
        self.last_take = None;
        self.state = state;
    }

    /// Master disruption mode: no tainting at all.
    pub fn stop(&mut self) {
        self.interval = None;
        self.last_take = None;
        self.state = ZoneState::FullDisruption;
    }

    /// `TryAccept`: takes the token at `now`, or says when the next one comes (`None`: never).
    pub fn try_accept(&mut self, now: SimTime) -> Result<(), Option<SimTime>> {
        let Some(interval) = self.interval else {
            return Err(None);
        };
        if let Some(at) = self.last_take.map(|t| t.plus(interval)) {
            if now < at {
                return Err(Some(at));
            }
        }
        self.last_take = Some(now);
        Ok(())
    }
}

/// `GetZoneKey`: region and zone labels (current or beta), empty for nodes without them.
pub fn zone_key(node: &Node) -> String {
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let get = |a: &str, b: &str| {
        labels
            .get(a)
            .or_else(|| labels.get(b))
            .cloned()
            .unwrap_or_default()
    };
    let region = get(
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/region",
    );
    let zone = get(
        "topology.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/zone",
    );
    if region.is_empty() && zone.is_empty() {
        String::new()
    } else {
        format!("{region}:\x00:{zone}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_zone_is_fully_disrupted_only_without_any_ready_node() {
        assert_eq!(ZoneState::compute(0, 3), ZoneState::FullDisruption);
        assert_eq!(ZoneState::compute(1, 2), ZoneState::Normal);
        assert_eq!(ZoneState::compute(0, 0), ZoneState::Normal);
    }

    #[test]
    fn partial_disruption_needs_more_than_two_unready_nodes_and_55_percent() {
        assert_eq!(ZoneState::compute(2, 3), ZoneState::PartialDisruption);
        assert_eq!(ZoneState::compute(3, 3), ZoneState::Normal);
        assert_eq!(ZoneState::compute(10, 11), ZoneState::Normal);
        assert_eq!(ZoneState::compute(9, 11), ZoneState::PartialDisruption);
    }

    #[test]
    fn the_limiter_lets_one_node_through_every_ten_seconds_and_none_in_small_partial_zones() {
        let mut zone = Zone::new();
        assert_eq!(zone.try_accept(SimTime(110_100)), Ok(()));
        assert_eq!(
            zone.try_accept(SimTime(110_100)),
            Err(Some(SimTime(120_100)))
        );
        assert_eq!(zone.try_accept(SimTime(120_100)), Ok(()));
        zone.swap_limiter(ZoneState::PartialDisruption, 3);
        assert_eq!(zone.try_accept(SimTime(200_000)), Err(None));
        zone.swap_limiter(ZoneState::PartialDisruption, 51);
        assert_eq!(zone.try_accept(SimTime(200_000)), Ok(()));
        assert_eq!(
            zone.try_accept(SimTime(200_000)),
            Err(Some(SimTime(300_000)))
        );
        zone.stop();
        assert_eq!(zone.try_accept(SimTime(400_000)), Err(None));
    }

    #[test]
    fn nodes_without_topology_labels_share_one_zone() {
        let mut node = Node::default();
        assert_eq!(zone_key(&node), "");
        node.metadata.labels =
            Some([("topology.kubernetes.io/zone".to_string(), "a".to_string())].into());
        assert_eq!(zone_key(&node), ":\u{0}:a");
    }
}
