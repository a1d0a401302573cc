//! InterPodAffinity: required pod affinity and anti-affinity (the incoming pod's and existing
//! pods' anti-affinity) filter nodes by topology domain; preferred terms, and existing pods'
//! terms, score them (min–max normalized). Existing pods' terms come parsed from their
//! `PodInfo`, and only the nodes holding pods with terms are walked when the incoming pod has
//! none of its own (upstream's `HavePodsWith…AffinityList`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::affinity_terms::{AffinityTerm, PodAffinityTerms};
use crate::scheduler::framework::{
    ClusterSnapshot, CycleState, FilterPlugin, NodeInfo, Plugin, PreFilterPlugin, PreFilterResult,
    PreScorePlugin, ScorePlugin, Status, MAX_NODE_SCORE,
};

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

/// Pods per topology domain: topology key → value → count (entries that fall to 0 are dropped).
#[derive(Debug, Clone, Default)]
struct Counts(BTreeMap<String, BTreeMap<String, i64>>);

impl Counts {
    fn get(&self, key: &str, value: &str) -> i64 {
        self.0
            .get(key)
            .and_then(|m| m.get(value))
            .copied()
            .unwrap_or(0)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds `by` to the domain of `node` for `key`, if the node has that label.
    fn bump(&mut self, node: &NodeInfo, key: &str, by: i64) {
        let Some(v) = label(node, key) else {
            return;
        };
        if !self.0.contains_key(key) {
            self.0.insert(key.to_string(), BTreeMap::new());
        }
        let Some(values) = self.0.get_mut(key) else {
            return;
        };
        if !values.contains_key(v.as_str()) {
            values.insert(v.clone(), 0);
        }
        let Some(n) = values.get_mut(v.as_str()) else {
            return;
        };
        *n += by;
        if *n == 0 {
            values.remove(v.as_str());
            if values.is_empty() {
                self.0.remove(key);
            }
        }
    }
}

#[derive(Debug, Clone)]
struct PreFilterState {
    affinity: Vec<Term>,
    anti_affinity: Vec<Term>,
    /// Domains where an existing pod's anti-affinity matches the incoming pod.
    existing_anti: Counts,
    /// Domains holding pods that match all of the incoming pod's affinity terms.
    affinity_counts: Counts,
    /// Domains holding pods that match the incoming pod's anti-affinity terms.
    anti_counts: Counts,
}

impl PreFilterState {
    /// Counts `other` (whose required anti-affinity terms are `other_anti`) on `node`.
    fn update(
        &mut self,
        incoming: &Pod,
        other: &Pod,
        other_anti: &[Term],
        node: &NodeInfo,
        by: i64,
    ) {
        for t in other_anti {
            if t.matches(incoming) {
                self.existing_anti.bump(node, t.key(), by);
            }
        }
        if !self.affinity.is_empty() && self.affinity.iter().all(|t| t.matches(other)) {
            for t in &self.affinity {
                self.affinity_counts.bump(node, t.key(), by);
            }
        }
        for t in &self.anti_affinity {
            if t.matches(other) {
                self.anti_counts.bump(node, t.key(), by);
            }
        }
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
            existing_anti: Counts::default(),
            affinity_counts: Counts::default(),
            anti_counts: Counts::default(),
        };
        let mut any_existing_anti = false;
        let visit = |s: &mut PreFilterState, any: &mut bool, node: &NodeInfo, all: bool| {
            for p in &node.pods {
                let has_anti = p.terms.has_required_anti_affinity();
                if has_anti || all {
                    *any |= has_anti;
                    s.update(pod, &p.pod, &p.terms.required_anti_affinity, node, 1);
                }
            }
        };
        if s.affinity.is_empty() && s.anti_affinity.is_empty() {
            // Only existing pods' anti-affinity can matter: walk the nodes that have some.
            for node in snapshot.nodes_with_required_anti_affinity() {
                visit(&mut s, &mut any_existing_anti, node, false);
            }
        } else {
            for node in &snapshot.nodes {
                visit(&mut s, &mut any_existing_anti, node, true);
            }
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
            s.update(pod, victim, &anti, node, -1);
        }
    }

    fn add_pod(&self, state: &mut CycleState, pod: &Pod, other: &Pod, node: &NodeInfo) {
        if let Some(s) = state.read_mut::<PreFilterState>(NAME) {
            let anti = PodAffinityTerms::of(other).required_anti_affinity;
            s.update(pod, other, &anti, node, 1);
        }
    }
}

fn label<'a>(node: &'a NodeInfo, key: &str) -> Option<&'a String> {
    node.labels().and_then(|l| l.get(key))
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
            let Some(v) = label(node, t.key()) else {
                return Status::unresolvable(ERR_REASON_AFFINITY);
            };
            if s.affinity_counts.get(t.key(), v) <= 0 {
                pods_exist = false;
            }
        }
        let first_of_group =
            s.affinity_counts.is_empty() && s.affinity.iter().all(|t| t.matches(pod));
        if !pods_exist && !first_of_group {
            return Status::unresolvable(ERR_REASON_AFFINITY);
        }
        for t in &s.anti_affinity {
            if let Some(v) = label(node, t.key()) {
                if s.anti_counts.get(t.key(), v) > 0 {
                    return Status::unschedulable(ERR_REASON_ANTI_AFFINITY);
                }
            }
        }
        // An existing pod's anti-affinity forbids a domain the node is in: look the node's own
        // labels up (as upstream `satisfyExistingPodsAntiAffinity`), not every domain.
        if !s.existing_anti.is_empty() {
            for (k, v) in node.labels().into_iter().flatten() {
                if s.existing_anti.get(k, v) > 0 {
                    return Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
                }
            }
        }
        Status::success()
    }
}

#[derive(Debug, Clone, Default)]
struct PreScoreState {
    /// topologyKey → value → score.
    topology_score: BTreeMap<String, BTreeMap<String, i64>>,
}

impl PreScoreState {
    fn process(&mut self, term: &Term, weight: i64, pod: &Pod, node: &NodeInfo, mult: i64) {
        if !term.matches(pod) {
            return;
        }
        if let Some(v) = label(node, term.key()) {
            let key = term.key();
            if !self.topology_score.contains_key(key) {
                self.topology_score.insert(key.to_string(), BTreeMap::new());
            }
            if let Some(values) = self.topology_score.get_mut(key) {
                match values.get_mut(v.as_str()) {
                    Some(n) => *n += weight * mult,
                    None => {
                        values.insert(v.clone(), weight * mult);
                    }
                }
            }
        }
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
        let mut s = PreScoreState::default();
        let mut visit = |node: &NodeInfo, all: bool| {
            let labelled = node.labels().is_some_and(|l| !l.is_empty());
            for existing in &node.pods {
                // Without preferred terms of its own, only existing pods with terms can score
                // the incoming pod.
                if !all && !existing.terms.scores_others() {
                    continue;
                }
                let e = &existing.pod;
                for (w, t) in &pref {
                    s.process(t, *w, e, node, 1);
                }
                for (w, t) in &pref_anti {
                    s.process(t, *w, e, node, -1);
                }
                if labelled {
                    for t in &existing.terms.required_affinity {
                        s.process(t, HARD_POD_AFFINITY_WEIGHT, pod, node, 1);
                    }
                }
                for (w, t) in &existing.terms.preferred_affinity {
                    s.process(t, *w, pod, node, 1);
                }
                for (w, t) in &existing.terms.preferred_anti_affinity {
                    s.process(t, *w, pod, node, -1);
                }
            }
        };
        if pref.is_empty() && pref_anti.is_empty() {
            // Upstream walks `HavePodsWithAffinityList` then.
            for node in snapshot.nodes_with_affinity() {
                visit(node, false);
            }
        } else {
            for node in &snapshot.nodes {
                visit(node, true);
            }
        }
        if s.topology_score.is_empty() && pref.is_empty() && pref_anti.is_empty() {
            return Status::skip();
        }
        state.write(PRE_SCORE_KEY, s);
        Status::success()
    }
}

impl ScorePlugin for InterPodAffinity {
    fn score(&self, state: &CycleState, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_KEY) else {
            return Ok(0);
        };
        Ok(s.topology_score
            .iter()
            .filter_map(|(k, values)| label(node, k).and_then(|v| values.get(v)))
            .sum())
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
    use crate::scheduler::testutil::{node, on, pod, with_label, with_pod_label};
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

    fn verdicts(snap: &ClusterSnapshot, p: &Pod) -> Vec<(Code, String)> {
        let mut st = CycleState::default();
        let (_, s) = InterPodAffinity.pre_filter(&mut st, p, snap);
        snap.nodes
            .iter()
            .map(|n| {
                let s = if s.is_skip() {
                    Status::success()
                } else {
                    InterPodAffinity.filter(&st, p, n)
                };
                (s.code, s.message())
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
