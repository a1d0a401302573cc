//! Counts per topology domain (topology key → value → count) numbered by the snapshot's
//! [`TopologyDomains`], so that a filter or score reads a node's count by its index instead of
//! looking its label value up by string, node after node, in every cycle.
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

/// What a domain holds: a count of pods (`i64`, listed while not 0), or a [`Scored`] sum.
pub trait Tally: Copy + Default + PartialEq + fmt::Debug {
    /// Whether the domain is not listed.
    fn is_empty(&self) -> bool;
    /// Adds `by`.
    fn add(&mut self, by: Self);
}

impl Tally for i64 {
    fn is_empty(&self) -> bool {
        *self == 0
    }

    fn add(&mut self, by: i64) {
        *self += by;
    }
}

/// A domain's score and how many nodes' shares it holds: it is listed, even at a score of 0,
/// while it holds one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scored {
    /// The sum of the shares.
    pub score: i64,
    /// How many nodes' shares it holds.
    pub nodes: i64,
}

impl Tally for Scored {
    fn is_empty(&self) -> bool {
        self.nodes == 0
    }

    fn add(&mut self, by: Scored) {
        self.score += by.score;
        self.nodes += by.nodes;
    }
}

/// The counts of one topology key.
#[derive(Clone, PartialEq)]
struct KeyCounts<T> {
    key: String,
    /// The table the counts are numbered by; `None` when the key was first counted without a
    /// snapshot at hand (a preemption's `AddPod`), every value then counted by string.
    domains: Option<Arc<TopologyDomains>>,
    /// Counts by domain number.
    by_domain: Vec<T>,
    /// Counts of values the table does not number.
    by_value: BTreeMap<String, T>,
    /// How many domains are listed.
    nonzero: usize,
}

impl<T: Tally> KeyCounts<T> {
    fn new(key: &str, snapshot: Option<&ClusterSnapshot>) -> KeyCounts<T> {
        let domains = snapshot.map(|s| s.topology_domains(key));
        KeyCounts {
            key: key.to_string(),
            by_domain: vec![T::default(); domains.as_ref().map_or(0, |d| d.by_value.len())],
            domains,
            by_value: BTreeMap::new(),
            nonzero: 0,
        }
    }

    /// Where `node` is: `None` when it lacks the label.
    #[inline(always)]
    fn place<'n>(&self, node: &'n NodeInfo) -> Option<Result<usize, &'n str>> {
        match &self.domains {
            Some(d) => d.place(&self.key, node),
            None => node.labels()?.get(&self.key).map(|v| Err(v.as_str())),
        }
    }

    /// The count of `node`'s domain; `None` when it lacks the label.
    #[inline(always)]
    fn get(&self, node: &NodeInfo) -> Option<T> {
        Some(match self.place(node)? {
            Ok(d) => self.by_domain.get(d).copied().unwrap_or_default(),
            Err(v) => self.by_value.get(v).copied().unwrap_or_default(),
        })
    }

    fn bump(&mut self, node: &NodeInfo, by: T) {
        let (was, now) = match self.place(node) {
            None => return,
            Some(Ok(d)) => {
                let Some(n) = self.by_domain.get_mut(d) else {
                    return;
                };
                let was = *n;
                n.add(by);
                (was, *n)
            }
            Some(Err(v)) => {
                let was = self.by_value.get(v).copied().unwrap_or_default();
                let mut now = was;
                now.add(by);
                if now.is_empty() {
                    self.by_value.remove(v);
                } else {
                    self.by_value.insert(v.to_string(), now);
                }
                (was, now)
            }
        };
        match (was.is_empty(), now.is_empty()) {
            (true, false) => self.nonzero += 1,
            (false, true) => self.nonzero -= 1,
            _ => {}
        }
    }

    /// Every listed domain's count by value.
    fn by_value(&self) -> BTreeMap<&str, T> {
        let numbered = self.domains.iter().flat_map(|d| {
            d.by_value
                .iter()
                .filter_map(|(v, i)| Some((v.as_str(), *self.by_domain.get(*i as usize)?)))
        });
        numbered
            .chain(self.by_value.iter().map(|(v, n)| (v.as_str(), *n)))
            .filter(|(_, n)| !n.is_empty())
            .collect()
    }
}

/// Pods (or scores) per topology domain, for a few topology keys.
#[derive(Clone, PartialEq)]
pub struct TopologyCounts<T = i64> {
    /// In the order first counted.
    keys: Vec<KeyCounts<T>>,
}

impl<T> Default for TopologyCounts<T> {
    fn default() -> Self {
        TopologyCounts { keys: Vec::new() }
    }
}

impl<T: Tally> TopologyCounts<T> {
    /// Whether no domain is listed.
    pub fn is_empty(&self) -> bool {
        self.keys.iter().all(|k| k.nonzero == 0)
    }

    /// Adds `by` to the domain of `node` for `key`, if the node has that label. A key counted
    /// for the first time is numbered by `snapshot`'s domains when one is given.
    pub fn bump(&mut self, node: &NodeInfo, key: &str, by: T, snapshot: Option<&ClusterSnapshot>) {
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
    #[inline]
    pub fn get(&self, key: &str, node: &NodeInfo) -> Option<T> {
        match self.keys.iter().find(|k| k.key == key) {
            Some(k) => k.get(node),
            None => node.labels()?.get(key).map(|_| T::default()),
        }
    }

    /// The count of each domain `node` is in, for every key with a listed domain (a key whose
    /// label the node lacks is left out).
    pub fn at<'a>(&'a self, node: &'a NodeInfo) -> impl Iterator<Item = T> + 'a {
        self.keys
            .iter()
            .filter(|k| k.nonzero > 0)
            .filter_map(|k| k.get(node))
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

impl TopologyCounts {
    /// Whether some domain `node` is in has a count above 0 (for any key counted).
    pub fn any_above_zero(&self, node: &NodeInfo) -> bool {
        self.at(node).any(|n| n > 0)
    }
}

/// As a map: topology key → value → count, listed domains only.
impl<T: Tally> fmt::Debug for TopologyCounts<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let map: BTreeMap<&str, BTreeMap<&str, T>> = self
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

    #[test]
    fn a_scored_domain_is_listed_while_it_holds_a_node_even_at_zero() {
        let snap = ClusterSnapshot::new(vec![zoned("a1", "a"), zoned("b1", "b")], &[]);
        let share = |score, nodes| Scored { score, nodes };
        let mut scores: TopologyCounts<Scored> = TopologyCounts::default();
        scores.bump(&snap.nodes[0], ZONE, share(0, 1), Some(&snap));
        scores.bump(&snap.nodes[1], ZONE, share(7, 1), Some(&snap));
        assert!(!scores.is_empty());
        assert_eq!(
            format!("{scores:?}"),
            "TopologyCounts({\"topology.kubernetes.io/zone\": {\"a\": Scored { score: 0, nodes: 1 }, \
             \"b\": Scored { score: 7, nodes: 1 }}})"
        );
        let at = |n: &NodeInfo| scores.at(n).map(|d| d.score).collect::<Vec<_>>();
        assert_eq!(at(&snap.nodes[1]), vec![7]);
        assert_eq!(at(&NodeInfo::new(node("x", "4", "8Gi"))), Vec::<i64>::new());
        scores.bump(&snap.nodes[0], ZONE, share(0, -1), Some(&snap));
        scores.bump(&snap.nodes[1], ZONE, share(-7, -1), Some(&snap));
        assert!(scores.is_empty());
        assert_eq!(format!("{scores:?}"), "TopologyCounts({})");
    }
}
