//! PodTopologySpread: hard (`DoNotSchedule`) constraints filter nodes whose domain would exceed
//! `maxSkew`; soft (`ScheduleAnyway`) ones, or the system defaults for pods owned by a
//! ReplicaSet/StatefulSet/ReplicationController, score emptier domains higher.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{NodeAffinity, Pod, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use crate::scheduler::framework::{
    ClusterSnapshot, CycleState, FilterPlugin, NodeInfo, Plugin, PreFilterPlugin, PreFilterResult,
    PreScorePlugin, ScorePlugin, Status, MAX_NODE_SCORE,
};
use crate::scheduler::plugin_memo::NodeShares;
use crate::scheduler::plugins::node_affinity::required_affinity_matches;
use crate::scheduler::selectors::label_selector_matches;
use crate::scheduler::snapshot::{count_matching, pod_matches, SelectorCounts, TopologyDomains};
use crate::scheduler::topology_counts::{Scored, Tally};

/// The plugin's upstream name.
pub const NAME: &str = "PodTopologySpread";
const PRE_SCORE_KEY: &str = "PreScorePodTopologySpread";
/// A node whose domain would be too crowded.
pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints";
/// A node without a constraint's topology key label.
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";
/// The hostname label.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// The zone label.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";

/// Topology spread (upstream `podtopologyspread`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PodTopologySpread;

impl Plugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        NAME
    }
}

/// One constraint with its effective selector (`matchLabelKeys` folded in).
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// `maxSkew`.
    pub max_skew: i64,
    /// `topologyKey`.
    pub topology_key: String,
    /// The selector, with `matchLabelKeys` added as `In` requirements.
    pub selector: LabelSelector,
    /// `minDomains` (1 when unset).
    pub min_domains: i64,
}

fn to_constraint(pod: &Pod, c: &TopologySpreadConstraint) -> Constraint {
    let mut selector = c.label_selector.clone().unwrap_or_default();
    for key in c.match_label_keys.iter().flatten() {
        if let Some(v) = pod.metadata.labels.as_ref().and_then(|l| l.get(key)) {
            selector
                .match_expressions
                .get_or_insert_with(Vec::new)
                .push(LabelSelectorRequirement {
                    key: key.clone(),
                    operator: "In".into(),
                    values: Some(vec![v.clone()]),
                });
        }
    }
    Constraint {
        max_skew: i64::from(c.max_skew),
        topology_key: c.topology_key.clone(),
        selector,
        min_domains: i64::from(c.min_domains.unwrap_or(1)),
    }
}

fn owned_by_workload(pod: &Pod) -> bool {
    pod.metadata.owner_references.iter().flatten().any(|o| {
        matches!(
            o.kind.as_str(),
            "ReplicaSet" | "StatefulSet" | "ReplicationController"
        )
    })
}

/// The constraints with `whenUnsatisfiable` equal to `action`; for `ScheduleAnyway`, a pod with no
/// constraints at all that belongs to a workload gets the system defaults (hostname maxSkew 3,
/// zone maxSkew 5), selecting pods with its own labels (podflow's stand-in for the owning
/// workload's selector). Returns whether the defaults were used.
pub fn constraints(pod: &Pod, action: &str) -> (Vec<Constraint>, bool) {
    let declared = pod
        .spec
        .as_ref()
        .and_then(|s| s.topology_spread_constraints.as_deref())
        .unwrap_or(&[]);
    if !declared.is_empty() {
        let cs = declared
            .iter()
            .filter(|c| c.when_unsatisfiable == action)
            .map(|c| to_constraint(pod, c))
            .collect();
        return (cs, false);
    }
    if action != "ScheduleAnyway" || !owned_by_workload(pod) {
        return (Vec::new(), false);
    }
    let selector = LabelSelector {
        match_labels: pod.metadata.labels.clone().filter(|l| !l.is_empty()),
        match_expressions: None,
    };
    if selector.match_labels.is_none() {
        return (Vec::new(), false);
    }
    let mk = |key: &str, skew| Constraint {
        max_skew: skew,
        topology_key: key.into(),
        selector: selector.clone(),
        min_domains: 1,
    };
    (vec![mk(LABEL_HOSTNAME, 3), mk(LABEL_ZONE, 5)], true)
}

fn has_all_keys(node: &NodeInfo, cs: &[Constraint]) -> bool {
    cs.iter().all(|c| {
        node.labels()
            .is_some_and(|l| l.contains_key(&c.topology_key))
    })
}

#[derive(Debug, Clone)]
struct PreFilterState {
    constraints: Vec<Constraint>,
    /// Matching pods per constraint and domain (shared with the counts kept across cycles;
    /// a preemption dry run changes a copy).
    counts: Arc<Vec<DomainTally>>,
    /// The smallest domain count per constraint.
    min_match: Vec<i64>,
    /// Per constraint, 1 when the incoming pod matches its own selector (it will count in the
    /// domain it lands in), else 0: the pod's alone, so worked out once, not once per node.
    self_match: Vec<i64>,
}

/// One constraint's matching pods per domain of its topology key, by the domain numbers of the
/// snapshot's [`TopologyDomains`], so that the filter reads a node's count by the node's index.
#[derive(Clone, PartialEq)]
struct DomainTally {
    domains: Arc<TopologyDomains>,
    /// Matching pods (`score`) and nodes counted in it by domain number: a domain is listed,
    /// even at 0 matching pods, while it holds a counted node (as InterPodAffinity's scores).
    by_domain: Vec<Scored>,
}

impl DomainTally {
    fn new(domains: Arc<TopologyDomains>) -> DomainTally {
        DomainTally {
            by_domain: vec![Scored::default(); domains.by_value.len()],
            domains,
        }
    }

    /// The counts of the listed domains.
    fn listed(&self) -> impl Iterator<Item = i64> + '_ {
        self.by_domain
            .iter()
            .filter(|d| !d.is_empty())
            .map(|d| d.score)
    }

    /// The count of `node`'s domain (0 for a domain not listed); `None` when the node lacks the
    /// key's label.
    fn of(&self, key: &str, node: &NodeInfo) -> Option<i64> {
        Some(match self.domains.place(key, node)? {
            Ok(d) => self.by_domain.get(d).map_or(0, |d| d.score),
            Err(_) => 0,
        })
    }
}

/// As the listed domains' counts by value.
impl std::fmt::Debug for DomainTally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let listed: BTreeMap<&str, i64> = self
            .domains
            .by_value
            .iter()
            .filter_map(|(v, d)| Some((v.as_str(), *self.by_domain.get(*d as usize)?)))
            .filter(|(_, d)| !d.is_empty())
            .map(|(v, d)| (v, d.score))
            .collect();
        listed.fmt(f)
    }
}

impl PreFilterState {
    fn recompute_min(&mut self, i: usize) {
        let c = &self.constraints[i];
        let domains = self.counts[i].listed().count() as i64;
        let min = self.counts[i].listed().min().unwrap_or(0);
        self.min_match[i] = if domains < c.min_domains { 0 } else { min };
    }

    fn adjust(&mut self, pod: &Pod, other: &Pod, node: &NodeInfo, delta: i64) {
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        for i in 0..self.constraints.len() {
            let c = &self.constraints[i];
            let Some(place) = self.counts[i].domains.place(&c.topology_key, node) else {
                continue;
            };
            if !pod_matches(other, &c.selector, ns) {
                continue;
            }
            if let Ok(d) = place {
                if let Some(d) = Arc::make_mut(&mut self.counts)[i].by_domain.get_mut(d) {
                    if !d.is_empty() {
                        d.score += delta;
                    }
                }
            }
            self.recompute_min(i);
        }
    }
}

/// One node's share of a PreFilter's counts: `None` when the node is not counted (it lacks a
/// constraint's key or does not match the pod's required node affinity), else, per constraint,
/// its domain number and how many of its pods match.
type SpreadShare = Option<Vec<(usize, i64)>>;

/// Whom kept counts are for: the pod's namespace, its `DoNotSchedule` constraints, and its
/// node selector and node affinity (which decide the nodes counted).
type Spread = (
    Option<String>,
    Vec<Constraint>,
    Option<BTreeMap<String, String>>,
    Option<NodeAffinity>,
);

/// The counts of the last PreFilter, kept with each node's share, so that the next pod with the
/// same constraints (the next pod of a ReplicaSet) takes back the share of each node that
/// changed and adds its new one instead of walking every node again. Each domain also keeps how
/// many nodes' shares it holds: it is listed, even at 0 matching pods, while one does.
#[derive(Debug, Default)]
struct KeptSpread {
    incoming: Option<Spread>,
    /// Each node's share, with its state as counted.
    shares: NodeShares<SpreadShare>,
    /// Per constraint, the counts by domain.
    counts: Arc<Vec<DomainTally>>,
}

impl KeptSpread {
    /// The per-domain counts for `pod`'s constraints `cs` (with each one's matching pods per
    /// node in `matching`, and its key's domains in `domains`) over `snapshot`'s nodes, brought
    /// up to date.
    fn update(
        &mut self,
        pod: &Pod,
        cs: &[Constraint],
        matching: &[Arc<SelectorCounts>],
        domains: &[Arc<TopologyDomains>],
        snapshot: &ClusterSnapshot,
    ) -> Arc<Vec<DomainTally>> {
        let spec = pod.spec.as_ref();
        let selector = spec.and_then(|s| s.node_selector.as_ref());
        let affinity = spec
            .and_then(|s| s.affinity.as_ref())
            .and_then(|a| a.node_affinity.as_ref());
        let same = self.incoming.as_ref().is_some_and(|(ns, kept, sel, aff)| {
            *ns == pod.metadata.namespace
                && kept.as_slice() == cs
                && sel.as_ref() == selector
                && aff.as_ref() == affinity
        });
        // Domains numbered anew (a node joined, left or was relabelled): count again.
        let renumbered = || {
            self.counts
                .iter()
                .zip(domains)
                .any(|(t, d)| !Arc::ptr_eq(&t.domains, d))
        };
        if !same || renumbered() {
            *self = KeptSpread {
                incoming: Some((
                    pod.metadata.namespace.clone(),
                    cs.to_vec(),
                    selector.cloned(),
                    affinity.cloned(),
                )),
                shares: NodeShares::default(),
                counts: Arc::new(domains.iter().cloned().map(DomainTally::new).collect()),
            };
        }
        let counts = Arc::make_mut(&mut self.counts);
        self.shares.update(
            &snapshot.nodes,
            |at, node| {
                (has_all_keys(node, cs) && required_affinity_matches(pod, node)).then(|| {
                    domains
                        .iter()
                        .enumerate()
                        .map(|(i, d)| (d.of(at).unwrap_or_default(), matching[i].per_node[at]))
                        .collect::<Vec<_>>()
                })
            },
            |old, new| {
                // The old share out, the new one in (a node not counted has none).
                for (tally, (d, n)) in counts
                    .iter_mut()
                    .zip(old.and_then(|(_, s)| s.as_deref()).unwrap_or_default())
                {
                    if let Some(d) = tally.by_domain.get_mut(*d) {
                        d.add(Scored {
                            score: -n,
                            nodes: -1,
                        });
                    }
                }
                for (tally, (d, n)) in counts
                    .iter_mut()
                    .zip(new.and_then(|(_, s)| s.as_deref()).unwrap_or_default())
                {
                    if let Some(d) = tally.by_domain.get_mut(*d) {
                        d.add(Scored {
                            score: *n,
                            nodes: 1,
                        });
                    }
                }
            },
        );
        Arc::clone(&self.counts)
    }
}

impl PreFilterPlugin for PodTopologySpread {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        snapshot: &ClusterSnapshot,
    ) -> (Option<PreFilterResult>, Status) {
        let (cs, _) = constraints(pod, "DoNotSchedule");
        if cs.is_empty() {
            return (None, Status::skip());
        }
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let matching: Vec<Arc<SelectorCounts>> = cs
            .iter()
            .map(|c| snapshot.selector_counts(ns, &c.selector))
            .collect();
        let domains: Vec<Arc<TopologyDomains>> = cs
            .iter()
            .map(|c| snapshot.topology_domains(&c.topology_key))
            .collect();
        // Every node counts: from the counts kept since the last pod with these constraints.
        let counts = snapshot.plugin_memos.with(NAME, |kept: &mut KeptSpread| {
            kept.update(pod, &cs, &matching, &domains, snapshot)
        });
        let self_match = cs
            .iter()
            .map(|c| {
                i64::from(label_selector_matches(
                    &c.selector,
                    pod.metadata.labels.as_ref(),
                ))
            })
            .collect();
        let mut s = PreFilterState {
            min_match: vec![0; cs.len()],
            constraints: cs,
            counts,
            self_match,
        };
        for i in 0..s.constraints.len() {
            s.recompute_min(i);
        }
        state.write(NAME, s);
        (None, Status::success())
    }

    fn remove_pod(&self, state: &mut CycleState, pod: &Pod, victim: &Pod, node: &NodeInfo) {
        if let Some(s) = state.read_mut::<PreFilterState>(NAME) {
            s.adjust(pod, victim, node, -1);
        }
    }

    fn add_pod(&self, state: &mut CycleState, pod: &Pod, other: &Pod, node: &NodeInfo) {
        if let Some(s) = state.read_mut::<PreFilterState>(NAME) {
            s.adjust(pod, other, node, 1);
        }
    }
}

impl FilterPlugin for PodTopologySpread {
    fn filter(&self, state: &CycleState, _pod: &Pod, node: &NodeInfo) -> Status {
        let Some(s) = state.read::<PreFilterState>(NAME) else {
            return Status::success();
        };
        for (i, c) in s.constraints.iter().enumerate() {
            let Some(match_num) = s.counts[i].of(&c.topology_key, node) else {
                return Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
            };
            if match_num + s.self_match[i] - s.min_match[i] > c.max_skew {
                return Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
            }
        }
        Status::success()
    }
}

#[derive(Debug, Clone)]
struct PreScoreState {
    constraints: Vec<Constraint>,
    /// Each constraint's per-node matching-pod counts, by node index.
    matching: Vec<Arc<SelectorCounts>>,
    /// Each constraint's domains, by node index.
    domains: Vec<Arc<TopologyDomains>>,
    /// The snapshot's node indices by name, for a node scored on its own.
    positions: Arc<BTreeMap<String, usize>>,
    /// Per feasible node (same order as the scores): whether it is ignored for missing labels.
    ignored: Vec<bool>,
    /// Matching pods per constraint and domain number (non-hostname keys); `None` for a domain
    /// no feasible node is in.
    counts: Vec<Vec<Option<i64>>>,
    weights: Vec<f64>,
    /// Each constraint's `maxSkew - 1`, added to its weighted count.
    skews: Vec<f64>,
    /// Whether each constraint's key is the hostname (counted per node, not per domain).
    by_host: Vec<bool>,
}

/// The domain of `node` for a topology key: `None` when the node lacks the label, else its
/// domain number (`Some(None)` for a value no node of the snapshot has). Read from the table by
/// the node's snapshot index `at`, or from its labels for a node the snapshot does not hold.
fn domain_of(
    domains: &TopologyDomains,
    key: &str,
    node: &NodeInfo,
    at: Option<usize>,
) -> Option<Option<usize>> {
    match at {
        Some(at) => domains.of(at).map(Some),
        None => {
            let v = node.labels()?.get(key)?;
            Some(domains.by_value.get(v).map(|d| *d as usize))
        }
    }
}

impl PreScoreState {
    /// The raw score of `node`, at snapshot index `at` (`None`: a node the snapshot does not
    /// hold, read by its labels).
    fn score(&self, node: &NodeInfo, at: Option<usize>, ns: &str) -> i64 {
        if let Some(at) = at {
            return self.score_at(at);
        }
        let mut score = 0.0;
        for (i, c) in self.constraints.iter().enumerate() {
            let Some(d) = domain_of(&self.domains[i], &c.topology_key, node, None) else {
                continue;
            };
            let cnt = if self.by_host[i] {
                count_matching(&node.pods, &c.selector, ns)
            } else {
                d.and_then(|d| self.counts[i][d]).unwrap_or(0)
            };
            score += cnt as f64 * self.weights[i] + self.skews[i];
        }
        score.round() as i64
    }

    /// The raw score of the node at snapshot index `at`, from the tables alone (the node
    /// itself is not read): the same sum, term by term, as for a node read by its labels.
    fn score_at(&self, at: usize) -> i64 {
        let mut score = 0.0;
        for i in 0..self.constraints.len() {
            let Some(d) = self.domains[i].of(at) else {
                continue;
            };
            let cnt = if self.by_host[i] {
                self.matching[i].per_node[at]
            } else {
                self.counts[i][d].unwrap_or(0)
            };
            score += cnt as f64 * self.weights[i] + self.skews[i];
        }
        score.round() as i64
    }
}

impl PreScorePlugin for PodTopologySpread {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        feasible: &[&NodeInfo],
        snapshot: &ClusterSnapshot,
    ) -> Status {
        self.pre_score_with(state, pod, feasible, None, snapshot)
    }

    /// The feasible nodes' positions come from the cycle: none of them is read.
    fn pre_score_at(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        feasible: &[&NodeInfo],
        at: &[usize],
        snapshot: &ClusterSnapshot,
    ) -> Status {
        let at = (at.len() == feasible.len()).then_some(at);
        self.pre_score_with(state, pod, feasible, at, snapshot)
    }
}

impl PodTopologySpread {
    /// PreScore, the feasible nodes' snapshot positions given (`positions[k]` for
    /// `feasible[k]`) or found.
    fn pre_score_with(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        feasible: &[&NodeInfo],
        positions: Option<&[usize]>,
        snapshot: &ClusterSnapshot,
    ) -> Status {
        let (cs, defaulted) = constraints(pod, "ScheduleAnyway");
        if cs.is_empty() {
            return Status::skip();
        }
        let require_all = !defaulted;
        // Domains are read by node index from tables the snapshot keeps, not by label lookups:
        // this runs over every node for every pod.
        let domains: Vec<Arc<TopologyDomains>> = cs
            .iter()
            .map(|c| snapshot.topology_domains(&c.topology_key))
            .collect();
        let mut ignored = Vec::with_capacity(feasible.len());
        let mut counts: Vec<Vec<Option<i64>>> = domains
            .iter()
            .map(|d| vec![None; d.by_value.len()])
            .collect();
        // Domains of feasible nodes the snapshot does not hold, whose values no node has.
        let mut unknown: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); cs.len()];
        for (k, n) in feasible.iter().enumerate() {
            let at = match positions {
                Some(p) => Some(p[k]),
                None => snapshot.index_of(n),
            };
            let of = |i: usize| domain_of(&domains[i], &cs[i].topology_key, n, at);
            let skip = require_all && (0..cs.len()).any(|i| of(i).is_none());
            ignored.push(skip);
            if skip {
                continue;
            }
            for (i, c) in cs.iter().enumerate() {
                if c.topology_key == LABEL_HOSTNAME {
                    continue;
                }
                match of(i) {
                    Some(Some(d)) => {
                        counts[i][d].get_or_insert(0);
                    }
                    Some(None) => {
                        if let Some(v) = n.labels().and_then(|l| l.get(&c.topology_key)) {
                            unknown[i].insert(v);
                        }
                    }
                    None => {}
                }
            }
        }
        let considered = ignored.iter().filter(|i| !**i).count();
        let weights = cs
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let size = if c.topology_key == LABEL_HOSTNAME {
                    considered
                } else {
                    counts[i].iter().flatten().count() + unknown[i].len()
                };
                ((size + 2) as f64).ln()
            })
            .collect();
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let matching: Vec<Arc<SelectorCounts>> = cs
            .iter()
            .map(|c| snapshot.selector_counts(ns, &c.selector))
            .collect();
        // Only domains of feasible nodes are counted: with none (hostname keys are counted per
        // node in Score), the walk over every node would add nothing.
        if counts.iter().any(|c| c.iter().any(Option::is_some)) {
            for (at, node) in snapshot.nodes.iter().enumerate() {
                if require_all && domains.iter().any(|d| d.of(at).is_none()) {
                    continue;
                }
                if !required_affinity_matches(pod, node) {
                    continue;
                }
                for i in 0..cs.len() {
                    if let Some(n) = domains[i].of(at).and_then(|d| counts[i][d].as_mut()) {
                        *n += matching[i].per_node[at];
                    }
                }
            }
        }
        let skews = cs.iter().map(|c| (c.max_skew - 1) as f64).collect();
        let by_host = cs
            .iter()
            .map(|c| c.topology_key == LABEL_HOSTNAME)
            .collect();
        state.write(
            PRE_SCORE_KEY,
            PreScoreState {
                constraints: cs,
                matching,
                domains,
                positions: snapshot.node_positions(),
                ignored,
                counts,
                weights,
                skews,
                by_host,
            },
        );
        Status::success()
    }
}

impl ScorePlugin for PodTopologySpread {
    fn score(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_KEY) else {
            return Ok(0);
        };
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let at = s.positions.get(node.name()).copied();
        Ok(s.score(node, at, ns))
    }

    /// The cycle's positions: each score from the tables alone, no node read.
    fn score_nodes_at(
        &self,
        state: &CycleState,
        pod: &Pod,
        nodes: &[&NodeInfo],
        at: &[usize],
        out: &mut Vec<i64>,
    ) -> Result<(), Status> {
        if at.len() != nodes.len() {
            return self.score_nodes(state, pod, nodes, out);
        }
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_KEY) else {
            out.extend(nodes.iter().map(|_| 0));
            return Ok(());
        };
        out.extend(at.iter().map(|&at| s.score_at(at)));
        Ok(())
    }

    fn normalize_score(&self, state: &CycleState, _pod: &Pod, scores: &mut [i64]) -> Status {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_KEY) else {
            return Status::success();
        };
        let ignored = |i: usize| s.ignored.get(i).copied().unwrap_or(false);
        let mut min = i64::MAX;
        let mut max = 0;
        for (i, v) in scores.iter().enumerate() {
            if ignored(i) {
                continue;
            }
            min = min.min(*v);
            max = max.max(*v);
        }
        for (i, v) in scores.iter_mut().enumerate() {
            if ignored(i) {
                *v = 0;
            } else if max == 0 {
                *v = MAX_NODE_SCORE;
            } else {
                *v = MAX_NODE_SCORE * (max + min - *v) / max;
            }
        }
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::framework::Code;
    use crate::scheduler::testutil::{churn, node, on, pod, with_label, with_pod_label};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn spread(p: Pod, key: &str, skew: i32, action: &str) -> Pod {
        let mut p = with_pod_label(p, "app", "web");
        p.spec
            .as_mut()
            .unwrap()
            .topology_spread_constraints
            .get_or_insert_with(Vec::new)
            .push(TopologySpreadConstraint {
                max_skew: skew,
                topology_key: key.into(),
                when_unsatisfiable: action.into(),
                label_selector: Some(LabelSelector {
                    match_labels: Some(
                        [("app".to_string(), "web".to_string())]
                            .into_iter()
                            .collect(),
                    ),
                    match_expressions: None,
                }),
                ..Default::default()
            });
        p
    }

    fn zoned(name: &str, zone: &str) -> k8s_openapi::api::core::v1::Node {
        with_label(node(name, "4", "8Gi"), LABEL_ZONE, zone)
    }

    fn web(name: &str, node: &str) -> Pod {
        on(with_pod_label(pod(name, "", ""), "app", "web"), node)
    }

    #[test]
    fn a_crowded_zone_and_an_unlabelled_node_are_filtered_out() {
        let snap = ClusterSnapshot::new(
            vec![zoned("a1", "a"), zoned("b1", "b"), node("bare", "4", "8Gi")],
            &[web("w1", "a1"), web("w2", "a1")],
        );
        let p = spread(pod("p", "", ""), LABEL_ZONE, 1, "DoNotSchedule");
        let mut st = CycleState::default();
        let (_, s) = PodTopologySpread.pre_filter(&mut st, &p, &snap);
        assert!(s.is_success());
        let verdict = |n: &NodeInfo| {
            let s = PodTopologySpread.filter(&st, &p, n);
            (s.code, s.message())
        };
        let verdicts: Vec<(Code, String)> = snap.nodes.iter().map(|n| verdict(n)).collect();
        assert_eq!(
            verdicts,
            vec![
                (
                    Code::Unschedulable,
                    ERR_REASON_CONSTRAINTS_NOT_MATCH.to_string()
                ),
                (Code::Success, String::new()),
                (
                    Code::UnschedulableAndUnresolvable,
                    ERR_REASON_NODE_LABEL_NOT_MATCH.to_string()
                ),
            ]
        );
        // A node the snapshot does not hold at that index is read by its labels, the same way;
        // one in a zone no node of the snapshot is in has no pods there.
        for n in &snap.nodes {
            for at in [usize::MAX, (n.snapshot_index + 1) % snap.nodes.len()] {
                let mut elsewhere = (**n).clone();
                elsewhere.snapshot_index = at;
                assert_eq!(verdict(&elsewhere), verdict(n), "{} at {at}", n.name());
            }
        }
        let stray = NodeInfo::new(zoned("c1", "c"));
        assert_eq!(verdict(&stray), (Code::Success, String::new()));
    }

    #[test]
    fn soft_constraints_score_the_emptier_zone_higher() {
        let snap = ClusterSnapshot::new(
            vec![zoned("a1", "a"), zoned("b1", "b")],
            &[web("w1", "a1"), web("w2", "a1")],
        );
        let p = spread(pod("p", "", ""), LABEL_ZONE, 1, "ScheduleAnyway");
        let feasible: Vec<&NodeInfo> = snap.nodes.iter().map(|n| &**n).collect();
        let mut st = CycleState::default();
        assert!(PodTopologySpread
            .pre_score(&mut st, &p, &feasible, &snap)
            .is_success());
        let mut scores: Vec<i64> = feasible
            .iter()
            .map(|n| PodTopologySpread.score(&st, &p, n).unwrap())
            .collect();
        // a: 2 × ln(2 + 2) + 0 = 2.77 → 3; b: 0.
        assert_eq!(scores, vec![3, 0]);
        PodTopologySpread.normalize_score(&st, &p, &mut scores);
        // 100 × (3 + 0 − s) / 3.
        assert_eq!(scores, vec![0, 100]);
    }

    #[test]
    fn scores_from_the_cycle_s_node_positions_equal_scores_from_the_nodes() {
        // Two zones, hostname labels, a node with neither; pods spread over them.
        let host = |n: k8s_openapi::api::core::v1::Node| {
            let name = n.metadata.name.clone().unwrap_or_default();
            with_label(n, LABEL_HOSTNAME, &name)
        };
        let snap = ClusterSnapshot::new(
            vec![
                host(zoned("a1", "a")),
                host(zoned("a2", "a")),
                host(zoned("b1", "b")),
                node("bare", "4", "8Gi"),
                host(zoned("c1", "c")),
            ],
            &[
                web("w1", "a1"),
                web("w2", "a1"),
                web("w3", "a2"),
                web("w4", "b1"),
                web("w5", "bare"),
            ],
        );
        let both = spread(
            spread(pod("p", "", ""), LABEL_HOSTNAME, 2, "ScheduleAnyway"),
            LABEL_ZONE,
            1,
            "ScheduleAnyway",
        );
        let mut owned = with_pod_label(pod("q", "", ""), "app", "web");
        owned.metadata.owner_references = Some(vec![
            k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
                kind: "ReplicaSet".into(),
                name: "web-abc".into(),
                ..Default::default()
            },
        ]);
        // The feasible nodes in a walk's order, from a rotated start, one left out.
        let at = [2, 3, 4, 0];
        let feasible: Vec<&NodeInfo> = at.iter().map(|&i| &*snap.nodes[i]).collect();
        for p in [both, owned] {
            let scored = |positions: bool| {
                let mut st = CycleState::default();
                let s = if positions {
                    PodTopologySpread.pre_score_at(&mut st, &p, &feasible, &at, &snap)
                } else {
                    PodTopologySpread.pre_score(&mut st, &p, &feasible, &snap)
                };
                assert!(s.is_success());
                let mut raw = Vec::new();
                if positions {
                    PodTopologySpread.score_nodes_at(&st, &p, &feasible, &at, &mut raw)
                } else {
                    PodTopologySpread.score_nodes(&st, &p, &feasible, &mut raw)
                }
                .unwrap();
                let one_by_one: Vec<i64> = feasible
                    .iter()
                    .map(|n| PodTopologySpread.score(&st, &p, n).unwrap())
                    .collect();
                assert_eq!(raw, one_by_one);
                // The same nodes under names the snapshot does not know: read by their labels.
                let by_labels: Vec<i64> = feasible
                    .iter()
                    .map(|n| {
                        let mut renamed = (*n.node).clone();
                        renamed.metadata.name = Some(format!("stray-{}", n.name()));
                        let mut stray = NodeInfo::new(renamed);
                        for pod in &n.pods {
                            stray.add_pod_info(Arc::clone(pod));
                        }
                        PodTopologySpread.score(&st, &p, &stray).unwrap()
                    })
                    .collect();
                assert_eq!(raw, by_labels);
                let mut normalized = raw.clone();
                PodTopologySpread.normalize_score(&st, &p, &mut normalized);
                (raw, normalized)
            };
            let (from_nodes, from_positions) = (scored(false), scored(true));
            assert_eq!(from_positions, from_nodes, "{:?}", p.metadata.name);
            if p.metadata.name.as_deref() == Some("p") {
                // b1, bare (no zone: ignored, normalized to 0), c1, a1; both weights ln(3 + 2)
                // = 1.61: b1 1 × 1.61 + 1 + 1 × 1.61 = 4.22, bare 1 × 1.61 + 1 = 2.61, c1 0 +
                // 1 + 0 = 1, a1 2 × 1.61 + 1 + 3 × 1.61 = 9.05; then 100 × (9 + 1 − s) / 9.
                assert_eq!(from_nodes, (vec![4, 3, 1, 9], vec![66, 0, 100, 11]));
            }
        }
    }

    #[test]
    fn workload_pods_without_constraints_get_the_system_defaults() {
        let mut p = with_pod_label(pod("p", "", ""), "app", "web");
        assert!(constraints(&p, "ScheduleAnyway").0.is_empty());
        p.metadata.owner_references = Some(vec![
            k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
                kind: "ReplicaSet".into(),
                name: "web-abc".into(),
                ..Default::default()
            },
        ]);
        let (cs, defaulted) = constraints(&p, "ScheduleAnyway");
        assert!(defaulted);
        let keys: Vec<(&str, i64)> = cs
            .iter()
            .map(|c| (c.topology_key.as_str(), c.max_skew))
            .collect();
        assert_eq!(keys, vec![(LABEL_HOSTNAME, 3), (LABEL_ZONE, 5)]);
        assert!(constraints(&p, "DoNotSchedule").0.is_empty());
    }

    #[test]
    fn kept_spread_counts_brought_up_to_date_equal_a_fresh_walk() {
        use crate::scheduler::cache::Cache;
        let named = |i: usize, zone: &str| {
            let name = format!("n{i:02}");
            let n = with_label(node(&name, "4", "8Gi"), LABEL_HOSTNAME, &name);
            if zone.is_empty() {
                n
            } else {
                with_label(n, LABEL_ZONE, zone)
            }
        };
        let mut cache = Cache::new();
        for i in 0..20 {
            // Zones a–c, and every seventh node without a zone (not counted for zone keys).
            let zone = if i % 7 == 6 {
                ""
            } else {
                ["a", "b", "c"][i % 3]
            };
            cache.upsert_node(&named(i, zone));
        }
        // Alone in its zone until it moves: the domain must then go, not stay at 0.
        cache.upsert_node(&named(90, "d"));
        let mut pinned = spread(pod("pinned", "", ""), LABEL_ZONE, 1, "DoNotSchedule");
        pinned.spec.as_mut().unwrap().node_selector =
            Some([(LABEL_ZONE.to_string(), "a".to_string())].into());
        let templates = [
            spread(pod("web", "", ""), LABEL_ZONE, 1, "DoNotSchedule"),
            spread(pod("host", "", ""), LABEL_HOSTNAME, 2, "DoNotSchedule"),
            spread(
                spread(pod("both", "", ""), LABEL_ZONE, 3, "DoNotSchedule"),
                LABEL_HOSTNAME,
                1,
                "DoNotSchedule",
            ),
            pinned,
        ];
        let mut snapshot = ClusterSnapshot::default();
        let counts = |snap: &ClusterSnapshot, p: &Pod| {
            let mut st = CycleState::default();
            let (_, status) = PodTopologySpread.pre_filter(&mut st, p, snap);
            let kept = st
                .read::<PreFilterState>(NAME)
                .map(|s| format!("{:?} {:?}", s.counts, s.min_match));
            (status.code, kept)
        };
        let mut bound: Vec<String> = Vec::new();
        for step in 0..160usize {
            let t = [0, 0, 1, 2, 0, 3, 1, 1][(step / 4) % 8];
            let mut p = templates[t].clone();
            p.metadata.name = Some(format!("p{step}"));
            cache.update_snapshot(&mut snapshot);
            let fresh = snapshot.clone();
            assert_eq!(counts(&snapshot, &p), counts(&fresh, &p), "step {step}");
            churn(&mut cache, &snapshot, step, p, &mut bound, named);
            if step == 2 {
                cache.upsert_node(&named(90, "a"));
            }
        }
        let shares = snapshot
            .plugin_memos
            .with(NAME, |kept: &mut KeptSpread| kept.shares.len());
        assert_eq!(shares, snapshot.nodes.len());
    }
}
