//! InterPodAffinity: required pod affinity and anti-affinity (the incoming pod's and existing
//! pods' anti-affinity) filter nodes by topology domain; preferred terms, and existing pods'
//! terms, score them (min–max normalized). Existing pods' terms come parsed from their
//! `PodInfo`, and only the nodes holding pods with terms are walked when the incoming pod has
//! none of its own (upstream's `HavePodsWith…AffinityList`).

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::affinity_terms::{AffinityTerm, PodAffinityTerms};
use crate::scheduler::framework::{
    ClusterSnapshot, CycleState, FilterPlugin, NodeInfo, Plugin, PreFilterPlugin, PreFilterResult,
    PreScorePlugin, ScorePlugin, Status, MAX_NODE_SCORE,
};
use crate::scheduler::plugin_memo::NodeShares;
use crate::scheduler::topology_counts::{Scored as DomainScore, TopologyCounts as Counts};

/// The plugin's upstream name.
pub const NAME: &str = "InterPodAffinity";
const PRE_SCORE_KEY: &str = "PreScoreInterPodAffinity";
/// The incoming pod's required affinity is not met on the node.
pub const ERR_REASON_AFFINITY: &str = "node(s) didn't match pod affinity rules";
/// The incoming pod's required anti-affinity is violated on the node.
pub const ERR_REASON_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
/// An existing pod's required anti-affinity forbids the incoming pod on the node.
pub const ERR_REASON_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
/// Weight of existing pods' required affinity terms in scoring (upstream
/// `hardPodAffinityWeight`, default 1).
pub const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// Inter-pod affinity (upstream `interpodaffinity`). Namespace selectors other than `{}` (all
/// namespaces) are not modelled: such terms see only their listed namespaces.
#[derive(Debug, Clone, Copy, Default)]
pub struct InterPodAffinity;

impl Plugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        NAME
    }
}

type Term = AffinityTerm;

#[derive(Debug, Clone)]
struct PreFilterState {
    affinity: Vec<Term>,
    anti_affinity: Vec<Term>,
    /// Shared with the counts kept across cycles (a preemption dry run changes a copy).
    counts: Arc<DomainCounts>,
}

/// What a PreFilter counts per topology domain.
#[derive(Debug, Clone, Default)]
struct DomainCounts {
    /// Domains where an existing pod's anti-affinity matches the incoming pod.
    existing_anti: Counts,
    /// Domains holding pods that match all of the incoming pod's affinity terms.
    affinity: Counts,
    /// Domains holding pods that match the incoming pod's anti-affinity terms.
    anti: Counts,
}

impl DomainCounts {
    /// Whether every count is numbered by the domains `snapshot` has now.
    fn numbered_by(&self, snapshot: &ClusterSnapshot) -> bool {
        [&self.existing_anti, &self.affinity, &self.anti]
            .into_iter()
            .all(|c| c.numbered_by(snapshot))
    }

    /// Adds `by` times a node's share, for an incoming pod with these required terms (a key
    /// counted for the first time is numbered by `snapshot`'s domains when one is given).
    fn apply(
        &mut self,
        affinity_terms: &[Term],
        anti_terms: &[Term],
        share: &Share,
        node: &NodeInfo,
        by: i64,
        snapshot: Option<&ClusterSnapshot>,
    ) {
        for (key, n) in &share.existing_anti {
            self.existing_anti.bump(node, key, n * by, snapshot);
        }
        if share.affinity > 0 {
            for t in affinity_terms {
                self.affinity
                    .bump(node, t.key(), share.affinity * by, snapshot);
            }
        }
        for (n, t) in share.anti.iter().zip(anti_terms) {
            if *n > 0 {
                self.anti.bump(node, t.key(), *n * by, snapshot);
            }
        }
    }
}

/// What one node's pods add to the counts of a PreFilter: per topology key, how many of their
/// required anti-affinity terms match the incoming pod; how many of them match all of its
/// required affinity terms; and how many match each of its required anti-affinity terms.
#[derive(Debug, Clone, Default, PartialEq)]
struct Share {
    existing_anti: Vec<(String, i64)>,
    affinity: i64,
    anti: Vec<i64>,
}

impl Share {
    /// The share of `pods` (each with its required anti-affinity terms) for an incoming pod
    /// with these required terms.
    fn of<'p>(
        affinity_terms: &[Term],
        anti_terms: &[Term],
        incoming: &Pod,
        pods: impl IntoIterator<Item = (&'p Pod, &'p [Term])>,
    ) -> Share {
        let mut existing_anti: Vec<(&str, i64)> = Vec::new();
        let mut affinity = 0;
        let mut anti = vec![0; anti_terms.len()];
        for (other, other_anti) in pods {
            for t in other_anti {
                if t.matches(incoming) {
                    add_to(&mut existing_anti, t.key(), 1);
                }
            }
            if !affinity_terms.is_empty() && affinity_terms.iter().all(|t| t.matches(other)) {
                affinity += 1;
            }
            for (n, t) in anti.iter_mut().zip(anti_terms) {
                if t.matches(other) {
                    *n += 1;
                }
            }
        }
        Share {
            existing_anti: existing_anti
                .into_iter()
                .map(|(k, n)| (k.to_string(), n))
                .collect(),
            affinity,
            anti,
        }
    }
}

/// Adds `by` to the entry of `key` in a short list of per-key sums.
fn add_to<'k>(sums: &mut Vec<(&'k str, i64)>, key: &'k str, by: i64) {
    match sums.iter_mut().find(|(k, _)| *k == key) {
        Some((_, n)) => *n += by,
        None => sums.push((key, by)),
    }
}

/// Adds `weight × mult` to `sums` under the term's topology key when the term matches `of`.
fn add_matching<'t>(sums: &mut Vec<(&'t str, i64)>, t: &'t Term, weight: i64, of: &Pod, mult: i64) {
    if t.matches(of) {
        add_to(sums, t.key(), weight * mult);
    }
}

impl PreFilterState {
    /// Counts, `by` times, the pods of `node` given (each with its required anti-affinity
    /// terms): per topology key, how many match, then one change per key to the node's domain
    /// rather than one per pod.
    fn count<'p>(
        &mut self,
        incoming: &Pod,
        pods: impl IntoIterator<Item = (&'p Pod, &'p [Term])>,
        node: &NodeInfo,
        by: i64,
        snapshot: Option<&ClusterSnapshot>,
    ) {
        let share = Share::of(&self.affinity, &self.anti_affinity, incoming, pods);
        Arc::make_mut(&mut self.counts).apply(
            &self.affinity,
            &self.anti_affinity,
            &share,
            node,
            by,
            snapshot,
        );
    }
}

/// Whom kept counts are for: the incoming pod's namespace and labels, and its required affinity
/// and anti-affinity terms.
type Counted = (
    Option<String>,
    Option<BTreeMap<String, String>>,
    Vec<Term>,
    Vec<Term>,
);

/// The counts of the last PreFilter that walked every node (the incoming pod has required terms
/// of its own), kept with each node's share, so that the next one for a pod of the same
/// namespace, labels and required terms (the next pod of a ReplicaSet) takes back the share of
/// each node that changed and adds its new one, instead of walking every pod in the cluster.
/// The counts are sums, so they come out as a fresh walk's (a test checks it).
#[derive(Debug, Default)]
struct KeptCounts {
    incoming: Option<Counted>,
    /// Each node's share, with its state as counted.
    shares: NodeShares<Share>,
    counts: Arc<DomainCounts>,
}

impl KeptCounts {
    /// Brings the counts up to date for `incoming` (whose required terms are in `s`) over
    /// `snapshot`'s nodes, and puts them in `s`.
    fn update(&mut self, incoming: &Pod, s: &mut PreFilterState, snapshot: &ClusterSnapshot) {
        let meta = &incoming.metadata;
        let same = self.incoming.as_ref().is_some_and(|(ns, labels, a, b)| {
            *ns == meta.namespace
                && *labels == meta.labels
                && *a == s.affinity
                && *b == s.anti_affinity
        });
        // Counts numbered by domains the snapshot has since numbered anew (a node joined, left
        // or was relabelled) read by label: counting again is faster from here on.
        if !same || !self.counts.numbered_by(snapshot) {
            *self = KeptCounts {
                incoming: Some((
                    meta.namespace.clone(),
                    meta.labels.clone(),
                    s.affinity.clone(),
                    s.anti_affinity.clone(),
                )),
                ..KeptCounts::default()
            };
        }
        let counts = Arc::make_mut(&mut self.counts);
        let (a, b) = (&s.affinity, &s.anti_affinity);
        self.shares.update(
            &snapshot.nodes,
            |_, node| {
                let pods = node
                    .pods
                    .iter()
                    .map(|p| (&*p.pod, p.terms.required_anti_affinity.as_slice()));
                Share::of(a, b, incoming, pods)
            },
            |old, new| {
                for ((node, share), by) in [(old, -1), (new, 1)]
                    .into_iter()
                    .filter_map(|(s, by)| Some((s?, by)))
                {
                    counts.apply(a, b, share, node, by, Some(snapshot));
                }
            },
        );
        s.counts = Arc::clone(&self.counts);
    }
}

impl PreFilterPlugin for InterPodAffinity {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        snapshot: &ClusterSnapshot,
    ) -> (Option<PreFilterResult>, Status) {
        let own = PodAffinityTerms::of(pod);
        let mut s = PreFilterState {
            affinity: own.required_affinity,
            anti_affinity: own.required_anti_affinity,
            counts: Arc::default(),
        };
        let mut any_existing_anti = false;
        if s.affinity.is_empty() && s.anti_affinity.is_empty() {
            // Only existing pods' anti-affinity can matter: walk the nodes that have some.
            for node in snapshot.nodes_with_required_anti_affinity() {
                let counted = node
                    .pods
                    .iter()
                    .filter(|p| p.terms.has_required_anti_affinity());
                any_existing_anti |= node
                    .pods
                    .iter()
                    .any(|p| p.terms.has_required_anti_affinity());
                s.count(
                    pod,
                    counted.map(|p| (&*p.pod, p.terms.required_anti_affinity.as_slice())),
                    node,
                    1,
                    Some(snapshot),
                );
            }
        } else {
            // Every node's pods count: from the counts kept since the last such walk.
            snapshot.plugin_memos.with(NAME, |kept: &mut KeptCounts| {
                kept.update(pod, &mut s, snapshot)
            });
        }
        if s.affinity.is_empty() && s.anti_affinity.is_empty() && !any_existing_anti {
            return (None, Status::skip());
        }
        state.write(NAME, s);
        (None, Status::success())
    }

    fn remove_pod(&self, state: &mut CycleState, pod: &Pod, victim: &Pod, node: &NodeInfo) {
        if let Some(s) = state.read_mut::<PreFilterState>(NAME) {
            let anti = PodAffinityTerms::of(victim).required_anti_affinity;
            s.count(pod, [(victim, anti.as_slice())], node, -1, None);
        }
    }

    fn add_pod(&self, state: &mut CycleState, pod: &Pod, other: &Pod, node: &NodeInfo) {
        if let Some(s) = state.read_mut::<PreFilterState>(NAME) {
            let anti = PodAffinityTerms::of(other).required_anti_affinity;
            s.count(pod, [(other, anti.as_slice())], node, 1, None);
        }
    }
}

impl FilterPlugin for InterPodAffinity {
    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        let Some(s) = state.read::<PreFilterState>(NAME) else {
            return Status::success();
        };
        // Required affinity: every term's domain must hold a matching pod, unless no pod in the
        // cluster matches and the pod matches its own terms (the first of a group).
        let mut pods_exist = true;
        for t in &s.affinity {
            let Some(n) = s.counts.affinity.get(t.key(), node) else {
                return Status::unresolvable(ERR_REASON_AFFINITY);
            };
            if n <= 0 {
                pods_exist = false;
            }
        }
        let first_of_group =
            s.counts.affinity.is_empty() && s.affinity.iter().all(|t| t.matches(pod));
        if !pods_exist && !first_of_group {
            return Status::unresolvable(ERR_REASON_AFFINITY);
        }
        for t in &s.anti_affinity {
            if s.counts.anti.get(t.key(), node).is_some_and(|n| n > 0) {
                return Status::unschedulable(ERR_REASON_ANTI_AFFINITY);
            }
        }
        // An existing pod's anti-affinity forbids a domain the node is in: the node's domain
        // of each key counted (as upstream `satisfyExistingPodsAntiAffinity` looks the node's
        // own labels up), not every domain.
        if s.counts.existing_anti.any_above_zero(node) {
            return Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
        }
        Status::success()
    }
}

/// topologyKey → value → (score, how many nodes' shares it holds), by the snapshot's domain
/// numbers. A domain is listed, even at a score of 0, while some node in it has a share for its
/// key, as upstream's map gets an entry for every node it visits.
type TopologyScore = Counts<DomainScore>;

#[derive(Debug, Clone, Default)]
struct PreScoreState {
    topology_score: Arc<TopologyScore>,
}

/// Adds (`sign` 1) or takes back (`sign` −1) one node's share, per topology key, of the score
/// of the node's domain for that key.
fn add_share(
    score: &mut TopologyScore,
    share: &[(String, i64)],
    node: &NodeInfo,
    sign: i64,
    snapshot: &ClusterSnapshot,
) {
    for (key, sum) in share {
        let by = DomainScore {
            score: sum * sign,
            nodes: sign,
        };
        score.bump(node, key, by, Some(snapshot));
    }
}

/// One node's share of the PreScore, per topology key: the weights of the incoming pod's
/// preferred terms its pods match (all of them when `all`, else only the pods whose own terms
/// score others) and of those pods' terms the incoming pod matches.
fn score_share(
    incoming: &Pod,
    pref: &[(i64, Term)],
    pref_anti: &[(i64, Term)],
    node: &NodeInfo,
    all: bool,
) -> ScoreShare {
    let labelled = node.labels().is_some_and(|l| !l.is_empty());
    // Per topology key, the sum of this node's matching terms (the node's domain is looked up
    // once per key, not once per pod).
    let mut sums: Vec<(&str, i64)> = Vec::new();
    for existing in &node.pods {
        // Without preferred terms of its own, only existing pods with terms can score the
        // incoming pod.
        if !all && !existing.terms.scores_others() {
            continue;
        }
        let e = &existing.pod;
        for (w, t) in pref {
            add_matching(&mut sums, t, *w, e, 1);
        }
        for (w, t) in pref_anti {
            add_matching(&mut sums, t, *w, e, -1);
        }
        if labelled {
            for t in &existing.terms.required_affinity {
                add_matching(&mut sums, t, HARD_POD_AFFINITY_WEIGHT, incoming, 1);
            }
        }
        for (w, t) in &existing.terms.preferred_affinity {
            add_matching(&mut sums, t, *w, incoming, 1);
        }
        for (w, t) in &existing.terms.preferred_anti_affinity {
            add_matching(&mut sums, t, *w, incoming, -1);
        }
    }
    sums.into_iter().map(|(k, n)| (k.to_string(), n)).collect()
}

/// One node's share of the PreScore: per topology key, the sum of its matching terms.
type ScoreShare = Vec<(String, i64)>;

/// Whom a kept PreScore is for: the incoming pod's namespace and labels, and its preferred
/// affinity and anti-affinity terms.
type Scored = (
    Option<String>,
    Option<BTreeMap<String, String>>,
    Vec<(i64, Term)>,
    Vec<(i64, Term)>,
);

/// The PreScore of the last pod, kept with each node's share (as [`KeptCounts`] for the
/// PreFilter): the next pod of the same namespace, labels and preferred terms takes back the
/// share of each node that changed and adds its new one.
#[derive(Debug, Default)]
struct KeptScore {
    incoming: Option<Scored>,
    /// Each node's share, with its state as scored.
    shares: NodeShares<ScoreShare>,
    score: Arc<TopologyScore>,
}

impl KeptScore {
    /// The PreScore for `incoming` over `snapshot`'s nodes, brought up to date.
    fn update(
        &mut self,
        incoming: &Pod,
        pref: &[(i64, Term)],
        pref_anti: &[(i64, Term)],
        snapshot: &ClusterSnapshot,
    ) -> Arc<TopologyScore> {
        let meta = &incoming.metadata;
        let same = self.incoming.as_ref().is_some_and(|(ns, labels, a, b)| {
            *ns == meta.namespace && *labels == meta.labels && a == pref && b == pref_anti
        });
        // Scores numbered by domains the snapshot has since numbered anew: score again.
        if !same || !self.score.numbered_by(snapshot) {
            *self = KeptScore {
                incoming: Some((
                    meta.namespace.clone(),
                    meta.labels.clone(),
                    pref.to_vec(),
                    pref_anti.to_vec(),
                )),
                ..KeptScore::default()
            };
        }
        let all = !(pref.is_empty() && pref_anti.is_empty());
        let score = Arc::make_mut(&mut self.score);
        self.shares.update(
            &snapshot.nodes,
            |_, node| score_share(incoming, pref, pref_anti, node, all),
            |old, new| {
                if let Some((node, share)) = old {
                    add_share(score, share, node, -1, snapshot);
                }
                if let Some((node, share)) = new {
                    add_share(score, share, node, 1, snapshot);
                }
            },
        );
        Arc::clone(&self.score)
    }
}

impl PreScorePlugin for InterPodAffinity {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _feasible: &[&NodeInfo],
        snapshot: &ClusterSnapshot,
    ) -> Status {
        let own = PodAffinityTerms::of(pod);
        let pref = own.preferred_affinity;
        let pref_anti = own.preferred_anti_affinity;
        // Upstream walks every node when the pod has preferred terms, else the nodes holding
        // pods whose terms score others (`HavePodsWithAffinityList`); a node outside that list
        // has no share then, so the kept score over every node is the same.
        let walk = !(pref.is_empty() && pref_anti.is_empty())
            || snapshot.nodes_with_affinity().next().is_some();
        let topology_score = if walk {
            snapshot
                .plugin_memos
                .with(PRE_SCORE_KEY, |kept: &mut KeptScore| {
                    kept.update(pod, &pref, &pref_anti, snapshot)
                })
        } else {
            Arc::default()
        };
        if topology_score.is_empty() && pref.is_empty() && pref_anti.is_empty() {
            return Status::skip();
        }
        state.write(PRE_SCORE_KEY, PreScoreState { topology_score });
        Status::success()
    }
}

impl ScorePlugin for InterPodAffinity {
    fn score(&self, state: &CycleState, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_KEY) else {
            return Ok(0);
        };
        Ok(s.topology_score.at(node).map(|d| d.score).sum())
    }

    fn normalize_score(&self, state: &CycleState, _pod: &Pod, scores: &mut [i64]) -> Status {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_KEY) else {
            return Status::success();
        };
        if s.topology_score.is_empty() {
            return Status::success();
        }
        let min = scores.iter().copied().min().unwrap_or(0);
        let max = scores.iter().copied().max().unwrap_or(0);
        let diff = max - min;
        for v in scores.iter_mut() {
            *v = if diff > 0 {
                (MAX_NODE_SCORE as f64 * ((*v - min) as f64 / diff as f64)) as i64
            } else {
                0
            };
        }
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::framework::Code;
    use crate::scheduler::testutil::{churn, node, on, pod, with_label, with_pod_label};
    use k8s_openapi::api::core::v1::{
        Affinity, PodAffinity, PodAffinityTerm, PodAntiAffinity, WeightedPodAffinityTerm,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const ZONE: &str = "topology.kubernetes.io/zone";

    fn term(app: &str, key: &str) -> PodAffinityTerm {
        PodAffinityTerm {
            label_selector: Some(LabelSelector {
                match_labels: Some([("app".to_string(), app.to_string())].into_iter().collect()),
                match_expressions: None,
            }),
            topology_key: key.into(),
            ..Default::default()
        }
    }

    fn with_affinity(
        mut p: Pod,
        aff: Option<PodAffinityTerm>,
        anti: Option<PodAffinityTerm>,
    ) -> Pod {
        p.spec.as_mut().unwrap().affinity = Some(Affinity {
            pod_affinity: aff.map(|t| PodAffinity {
                required_during_scheduling_ignored_during_execution: Some(vec![t]),
                ..Default::default()
            }),
            pod_anti_affinity: anti.map(|t| PodAntiAffinity {
                required_during_scheduling_ignored_during_execution: Some(vec![t]),
                ..Default::default()
            }),
            ..Default::default()
        });
        p
    }

    /// The filter's verdict on each node of `snap`, checked to be the same for a copy of the
    /// node the snapshot does not hold at that index (read by its labels, not its index).
    fn verdicts(snap: &ClusterSnapshot, p: &Pod) -> Vec<(Code, String)> {
        let mut st = CycleState::default();
        let (_, s) = InterPodAffinity.pre_filter(&mut st, p, snap);
        snap.nodes
            .iter()
            .map(|n| {
                let verdict = |n: &NodeInfo| {
                    let s = if s.is_skip() {
                        Status::success()
                    } else {
                        InterPodAffinity.filter(&st, p, n)
                    };
                    (s.code, s.message())
                };
                for at in [usize::MAX, (n.snapshot_index + 1) % snap.nodes.len()] {
                    let mut elsewhere = (**n).clone();
                    elsewhere.snapshot_index = at;
                    assert_eq!(verdict(&elsewhere), verdict(n), "{} at {at}", n.name());
                }
                verdict(n)
            })
            .collect()
    }

    fn zoned(name: &str, zone: &str) -> k8s_openapi::api::core::v1::Node {
        with_label(node(name, "4", "8Gi"), ZONE, zone)
    }

    #[test]
    fn affinity_anti_affinity_and_existing_anti_affinity_each_have_their_reason() {
        let db = on(with_pod_label(pod("db", "", ""), "app", "db"), "a1");
        let loner = on(
            with_affinity(
                with_pod_label(pod("loner", "", ""), "app", "loner"),
                None,
                Some(term("web", ZONE)),
            ),
            "b1",
        );
        let snap = ClusterSnapshot::new(
            vec![zoned("a1", "a"), zoned("b1", "b"), zoned("c1", "c")],
            &[db, loner],
        );
        let ok = (Code::Success, String::new());
        let near_db = with_affinity(pod("p", "", ""), Some(term("db", ZONE)), None);
        assert_eq!(
            verdicts(&snap, &near_db),
            vec![
                ok.clone(),
                (
                    Code::UnschedulableAndUnresolvable,
                    ERR_REASON_AFFINITY.into()
                ),
                (
                    Code::UnschedulableAndUnresolvable,
                    ERR_REASON_AFFINITY.into()
                ),
            ]
        );
        let away_from_db = with_affinity(pod("p", "", ""), None, Some(term("db", ZONE)));
        assert_eq!(
            verdicts(&snap, &away_from_db),
            vec![
                (Code::Unschedulable, ERR_REASON_ANTI_AFFINITY.into()),
                ok.clone(),
                ok.clone()
            ]
        );
        let web = with_pod_label(pod("w", "", ""), "app", "web");
        assert_eq!(
            verdicts(&snap, &web),
            vec![
                ok.clone(),
                (
                    Code::Unschedulable,
                    ERR_REASON_EXISTING_ANTI_AFFINITY.into()
                ),
                ok
            ]
        );
    }

    #[test]
    fn counting_a_node_s_pods_at_once_gives_the_counts_of_counting_them_one_by_one() {
        const HOST: &str = "kubernetes.io/hostname";
        let labelled = |name: &str, app: &str| with_pod_label(pod(name, "", ""), "app", app);
        let pods = [
            on(labelled("web-1", "web"), "a1"),
            on(labelled("web-2", "web"), "a1"),
            on(
                with_affinity(labelled("db-1", "db"), None, Some(term("web", ZONE))),
                "a1",
            ),
            on(
                with_affinity(labelled("db-2", "db"), None, Some(term("web", HOST))),
                "a2",
            ),
            on(labelled("web-3", "web"), "b1"),
            on(labelled("cache-1", "cache"), "b1"),
            on(
                with_affinity(labelled("web-4", "web"), Some(term("web", ZONE)), None),
                "b1",
            ),
        ];
        let snap = ClusterSnapshot::new(
            vec![
                with_label(zoned("a1", "a"), HOST, "a1"),
                with_label(zoned("a2", "a"), HOST, "a2"),
                with_label(zoned("b1", "b"), HOST, "b1"),
                node("bare", "4", "8Gi"),
            ],
            &pods,
        );
        let incoming = with_affinity(
            labelled("web-5", "web"),
            Some(term("web", ZONE)),
            Some(term("cache", HOST)),
        );
        let own = PodAffinityTerms::of(&incoming);
        let empty = || PreFilterState {
            affinity: own.required_affinity.clone(),
            anti_affinity: own.required_anti_affinity.clone(),
            counts: Arc::default(),
        };
        let (mut at_once, mut one_by_one) = (empty(), empty());
        for n in &snap.nodes {
            at_once.count(
                &incoming,
                n.pods
                    .iter()
                    .map(|p| (&*p.pod, p.terms.required_anti_affinity.as_slice())),
                n,
                1,
                Some(&snap),
            );
            for p in &n.pods {
                let one = [(&*p.pod, p.terms.required_anti_affinity.as_slice())];
                one_by_one.count(&incoming, one, n, 1, None);
            }
        }
        let counts = |s: &PreFilterState| {
            format!(
                "{:?} {:?} {:?}",
                s.counts.existing_anti, s.counts.affinity, s.counts.anti
            )
        };
        assert_eq!(counts(&at_once), counts(&one_by_one));
        assert_eq!(
            counts(&at_once),
            "TopologyCounts({\"kubernetes.io/hostname\": {\"a2\": 1}, \"topology.kubernetes.io/zone\": {\"a\": 1}}) \
             TopologyCounts({\"topology.kubernetes.io/zone\": {\"a\": 2, \"b\": 2}}) \
             TopologyCounts({\"kubernetes.io/hostname\": {\"b1\": 1}})"
        );
        // Removing every pod again (preemption's `remove_pod`) leaves nothing counted.
        for n in &snap.nodes {
            for p in &n.pods {
                let one = [(&*p.pod, p.terms.required_anti_affinity.as_slice())];
                at_once.count(&incoming, one, n, -1, None);
            }
        }
        assert_eq!(
            counts(&at_once),
            "TopologyCounts({}) TopologyCounts({}) TopologyCounts({})"
        );
    }

    /// Adds a preferred affinity term of `weight`.
    fn preferring(mut p: Pod, t: PodAffinityTerm, weight: i32) -> Pod {
        p.spec
            .get_or_insert_with(Default::default)
            .affinity
            .get_or_insert_with(Default::default)
            .pod_affinity
            .get_or_insert_with(Default::default)
            .preferred_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(WeightedPodAffinityTerm {
                weight,
                pod_affinity_term: t,
            });
        p
    }

    #[test]
    fn kept_counts_and_scores_brought_up_to_date_equal_a_fresh_walk() {
        use crate::scheduler::cache::Cache;
        const HOST: &str = "kubernetes.io/hostname";
        let host_zoned = |i: usize, zone: &str| {
            let name = format!("n{i:02}");
            with_label(zoned(&name, zone), HOST, &name)
        };
        let mut cache = Cache::new();
        for i in 0..24 {
            cache.upsert_node(&host_zoned(i, ["a", "b", "c"][i % 3]));
        }
        // Alone in its zone until it moves: the zone's score must then go, not stay at 0.
        cache.upsert_node(&host_zoned(99, "d"));
        let labelled = |name: &str, app: &str| with_pod_label(pod(name, "", ""), "app", app);
        // Templates: a self-affine web tier, a db that avoids other dbs per host, a cache that
        // wants web in its zone and avoids caches per zone, and a plain pod.
        let templates = [
            with_affinity(labelled("web", "web"), Some(term("web", ZONE)), None),
            with_affinity(labelled("db", "db"), None, Some(term("db", HOST))),
            with_affinity(
                labelled("cache", "cache"),
                Some(term("web", ZONE)),
                Some(term("cache", ZONE)),
            ),
            labelled("plain", "plain"),
            preferring(labelled("api", "api"), term("web", HOST), 30),
        ];
        let mut snapshot = ClusterSnapshot::default();
        let counts = |snap: &ClusterSnapshot, p: &Pod| {
            let mut st = CycleState::default();
            let (_, status) = InterPodAffinity.pre_filter(&mut st, p, snap);
            let kept = st.read::<PreFilterState>(NAME).map(|s| {
                format!(
                    "{:?} {:?} {:?}",
                    s.counts.existing_anti, s.counts.affinity, s.counts.anti
                )
            });
            let scored = InterPodAffinity.pre_score(&mut st, p, &[], snap);
            let score = st
                .read::<PreScoreState>(PRE_SCORE_KEY)
                .map(|s| format!("{:?}", s.topology_score));
            (status.code, kept, scored.code, score)
        };
        let mut bound: Vec<String> = Vec::new();
        for step in 0..160usize {
            // Runs of one template with a switch now and then, as ReplicaSets create pods.
            let t = [0, 0, 0, 1, 1, 2, 0, 3, 2, 4, 4, 2][(step / 4) % 12];
            let mut p = templates[t].clone();
            p.metadata.name = Some(format!("p{step}"));
            cache.update_snapshot(&mut snapshot);
            // The snapshot's kept counts against a copy's (a copy starts with no memos).
            let fresh = snapshot.clone();
            assert_eq!(counts(&snapshot, &p), counts(&fresh, &p), "step {step}");
            churn(&mut cache, &snapshot, step, p, &mut bound, host_zoned);
            if step == 9 {
                cache.upsert_node(&host_zoned(99, "a"));
            }
        }
        let shares = snapshot
            .plugin_memos
            .with(NAME, |kept: &mut KeptCounts| kept.shares.len());
        assert_eq!(shares, snapshot.nodes.len());
        let scored = snapshot
            .plugin_memos
            .with(PRE_SCORE_KEY, |kept: &mut KeptScore| kept.shares.len());
        assert_eq!(scored, snapshot.nodes.len());
    }

    #[test]
    fn the_first_pod_of_a_self_affine_group_may_go_anywhere() {
        let snap = ClusterSnapshot::new(vec![zoned("a1", "a")], &[]);
        let p = with_affinity(
            with_pod_label(pod("p", "", ""), "app", "web"),
            Some(term("web", ZONE)),
            None,
        );
        assert_eq!(verdicts(&snap, &p), vec![(Code::Success, String::new())]);
    }

    #[test]
    fn preferred_affinity_scores_min_max_normalized() {
        let db = on(with_pod_label(pod("db", "", ""), "app", "db"), "a1");
        let snap = ClusterSnapshot::new(vec![zoned("a1", "a"), zoned("b1", "b")], &[db]);
        let mut p = pod("p", "", "");
        p.spec.as_mut().unwrap().affinity = Some(Affinity {
            pod_affinity: Some(PodAffinity {
                preferred_during_scheduling_ignored_during_execution: Some(vec![
                    WeightedPodAffinityTerm {
                        weight: 30,
                        pod_affinity_term: term("db", ZONE),
                    },
                ]),
                ..Default::default()
            }),
            ..Default::default()
        });
        let mut st = CycleState::default();
        let feasible: Vec<&NodeInfo> = snap.nodes.iter().map(|n| &**n).collect();
        assert!(InterPodAffinity
            .pre_score(&mut st, &p, &feasible, &snap)
            .is_success());
        let mut scores: Vec<i64> = feasible
            .iter()
            .map(|n| InterPodAffinity.score(&st, &p, n).unwrap())
            .collect();
        assert_eq!(scores, vec![30, 0]);
        InterPodAffinity.normalize_score(&st, &p, &mut scores);
        assert_eq!(scores, vec![100, 0]);
    }
}
