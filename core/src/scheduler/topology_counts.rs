//! Counts per topology domain (topology key → value → count) numbered by the snapshot's
//! [`TopologyDomains`], so that a filter reads a node's count by its index instead of looking
//! its label value up by string, node after node, in every cycle.
//!
//! A count is kept per key in a vector by domain number, from the table the snapshot had when
//! the key was first counted; a value that table does not number (a node it does not hold) is
//! counted by its string. Reading and counting give the same results as a map from value to
//! count, whichever table is used: an older table only makes more nodes read by their labels.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::scheduler::framework::{ClusterSnapshot, NodeInfo};
use crate::scheduler::snapshot::TopologyDomains;

/// The counts of one topology key.
#[derive(Clone, PartialEq)]
struct KeyCounts {
    key: String,
    /// The table the counts are numbered by; `None` when the key was first counted without a
    /// snapshot at hand (a preemption's `AddPod`), every value then counted by string.
    domains: Option<Arc<TopologyDomains>>,
    /// Counts by domain number.
    by_domain: Vec<i64>,
    /// Counts of values the table does not number.
    by_value: BTreeMap<String, i64>,
    /// How many domains have a count other than 0.
    nonzero: usize,
}

impl KeyCounts {
    fn new(key: &str, snapshot: Option<&ClusterSnapshot>) -> KeyCounts {
        let domains = snapshot.map(|s| s.topology_domains(key));
        KeyCounts {
            key: key.to_string(),
            by_domain: vec![0; domains.as_ref().map_or(0, |d| d.by_value.len())],
            domains,
            by_value: BTreeMap::new(),
            nonzero: 0,
        }
    }

    /// Where `node` is: `None` when it lacks the label.
    fn place<'n>(&self, node: &'n NodeInfo) -> Option<Result<usize, &'n str>> {
        match &self.domains {
            Some(d) => d.place(&self.key, node),
            None => node.labels()?.get(&self.key).map(|v| Err(v.as_str())),
        }
    }

    /// The count of `node`'s domain; `None` when it lacks the label.
    fn get(&self, node: &NodeInfo) -> Option<i64> {
        Some(match self.place(node)? {
            Ok(d) => self.by_domain[d],
            Err(v) => self.by_value.get(v).copied().unwrap_or(0),
        })
    }

    fn bump(&mut self, node: &NodeInfo, by: i64) {
        let (was, now) = match self.place(node) {
            None => return,
            Some(Ok(d)) => {
                let n = &mut self.by_domain[d];
                *n += by;
                (*n - by, *n)
            }
            Some(Err(v)) => {
                let was = self.by_value.get(v).copied().unwrap_or(0);
                if was + by == 0 {
                    self.by_value.remove(v);
                } else {
                    self.by_value.insert(v.to_string(), was + by);
                }
                (was, was + by)
            }
        };
        match (was != 0, now != 0) {
            (false, true) => self.nonzero += 1,
            (true, false) => self.nonzero -= 1,
            _ => {}
        }
    }

    /// Every non-zero count by value.
    fn by_value(&self) -> BTreeMap<&str, i64> {
        let numbered = self.domains.iter().flat_map(|d| {
            d.by_value
                .iter()
                .map(|(v, i)| (v.as_str(), self.by_domain[*i as usize]))
        });
        numbered
            .chain(self.by_value.iter().map(|(v, n)| (v.as_str(), *n)))
            .filter(|(_, n)| *n != 0)
            .collect()
    }
}

/// Pods per topology domain, for a few topology keys.
#[derive(Clone, Default, PartialEq)]
pub struct TopologyCounts {
    /// In the order first counted.
    keys: Vec<KeyCounts>,
}

impl TopologyCounts {
    /// Whether every count is 0.
    pub fn is_empty(&self) -> bool {
        self.keys.iter().all(|k| k.nonzero == 0)
    }

    /// Adds `by` to the domain of `node` for `key`, if the node has that label. A key counted
    /// for the first time is numbered by `snapshot`'s domains when one is given.
    pub fn bump(
        &mut self,
        node: &NodeInfo,
        key: &str,
        by: i64,
        snapshot: Option<&ClusterSnapshot>,
    ) {
        match self.keys.iter_mut().find(|k| k.key == key) {
            Some(k) => k.bump(node, by),
            None => {
                let mut k = KeyCounts::new(key, snapshot);
                k.bump(node, by);
                self.keys.push(k);
            }
        }
    }

    /// The count of `node`'s domain for `key`; `None` when the node lacks the label.
    pub fn get(&self, key: &str, node: &NodeInfo) -> Option<i64> {
        match self.keys.iter().find(|k| k.key == key) {
            Some(k) => k.get(node),
            None => node.labels()?.get(key).map(|_| 0),
        }
    }

    /// Whether some domain `node` is in has a count above 0 (for any key counted).
    pub fn any_above_zero(&self, node: &NodeInfo) -> bool {
        self.keys
            .iter()
            .any(|k| k.nonzero > 0 && k.get(node).is_some_and(|n| n > 0))
    }

    /// Whether every key is numbered by the domains `snapshot` has now (else counting again
    /// from scratch reads faster).
    pub fn numbered_by(&self, snapshot: &ClusterSnapshot) -> bool {
        self.keys.iter().all(|k| {
            k.domains
                .as_ref()
                .is_some_and(|d| Arc::ptr_eq(d, &snapshot.topology_domains(&k.key)))
        })
    }
}

/// As a map: topology key → value → count, without zeros.
impl fmt::Debug for TopologyCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let map: BTreeMap<&str, BTreeMap<&str, i64>> = self
            .keys
            .iter()
            .map(|k| (k.key.as_str(), k.by_value()))
            .filter(|(_, values)| !values.is_empty())
            .collect();
        f.debug_tuple("TopologyCounts").field(&map).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::testutil::{node, with_label};

    const ZONE: &str = "topology.kubernetes.io/zone";

    fn zoned(name: &str, zone: &str) -> k8s_openapi::api::core::v1::Node {
        with_label(node(name, "4", "8Gi"), ZONE, zone)
    }

    #[test]
    fn nodes_of_the_snapshot_and_others_read_the_same_counts() {
        let snap = ClusterSnapshot::new(
            vec![zoned("a1", "a"), zoned("a2", "a"), zoned("b1", "b")],
            &[],
        );
        let mut counts = TopologyCounts::default();
        counts.bump(&snap.nodes[0], ZONE, 2, Some(&snap));
        counts.bump(&snap.nodes[2], ZONE, 1, Some(&snap));
        // A node the snapshot does not hold: in zone a (numbered), and in zone c (not).
        let stray_a = NodeInfo::new(zoned("x1", "a"));
        let stray_c = NodeInfo::new(zoned("x2", "c"));
        let unlabelled = NodeInfo::new(node("x3", "4", "8Gi"));
        counts.bump(&stray_c, ZONE, 5, Some(&snap));
        let read = |n: &NodeInfo| counts.get(ZONE, n);
        assert_eq!(read(&snap.nodes[1]), Some(2));
        assert_eq!(read(&stray_a), Some(2));
        assert_eq!(read(&snap.nodes[2]), Some(1));
        assert_eq!(read(&stray_c), Some(5));
        assert_eq!(read(&unlabelled), None);
        assert_eq!(counts.get("other", &snap.nodes[0]), None);
        assert_eq!(
            format!("{counts:?}"),
            "TopologyCounts({\"topology.kubernetes.io/zone\": {\"a\": 2, \"b\": 1, \"c\": 5}})"
        );
        assert!(counts.any_above_zero(&snap.nodes[1]));
        assert!(counts.numbered_by(&snap));
        // Taking everything back leaves nothing counted.
        counts.bump(&snap.nodes[1], ZONE, -2, Some(&snap));
        counts.bump(&snap.nodes[2], ZONE, -1, None);
        counts.bump(&stray_c, ZONE, -5, None);
        assert!(counts.is_empty());
        assert!(!counts.any_above_zero(&snap.nodes[1]));
        assert_eq!(format!("{counts:?}"), "TopologyCounts({})");
    }

    #[test]
    fn counts_numbered_by_an_older_table_still_read_right() {
        let mut snap = ClusterSnapshot::new(vec![zoned("a1", "a"), zoned("b1", "b")], &[]);
        let mut counts = TopologyCounts::default();
        counts.bump(&snap.nodes[1], ZONE, 3, Some(&snap));
        // A node joins in front: every index moves, and the snapshot numbers domains anew.
        snap = ClusterSnapshot::new(
            vec![zoned("a0", "c"), zoned("a1", "a"), zoned("b1", "b")],
            &[],
        );
        assert!(!counts.numbered_by(&snap));
        assert_eq!(counts.get(ZONE, &snap.nodes[2]), Some(3));
        assert_eq!(counts.get(ZONE, &snap.nodes[1]), Some(0));
        counts.bump(&snap.nodes[0], ZONE, 1, Some(&snap));
        assert_eq!(counts.get(ZONE, &snap.nodes[0]), Some(1));
        // Counted without a snapshot: by value only.
        let mut by_value = TopologyCounts::default();
        by_value.bump(&snap.nodes[0], ZONE, 1, None);
        by_value.bump(&snap.nodes[2], ZONE, 3, None);
        assert_eq!(format!("{by_value:?}"), format!("{counts:?}"));
        assert!(!by_value.numbered_by(&snap));
    }
}
