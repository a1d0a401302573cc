//! NodeAffinity: `nodeSelector` and required node affinity filter nodes; preferred terms add
//! their weights to a node's score.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{NodeSelectorTerm, Pod, PreferredSchedulingTerm};

use crate::scheduler::framework::{
    ClusterSnapshot, Code, CycleState, FilterPlugin, NodeInfo, Plugin, PreFilterPlugin,
    PreFilterResult, PreScorePlugin, ScorePlugin, Status,
};
use crate::scheduler::plugins::helper::default_normalize_score;
use crate::scheduler::selectors::{node_selector_term_matches, node_selector_terms_match};

/// The plugin's upstream name.
pub const NAME: &str = "NodeAffinity";
/// The reason for a node that does not match the pod's selector or required affinity.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
/// The PreFilter reason when the terms' `metadata.name` fields select no node at all.
pub const ERR_REASON_CONFLICT: &str = "pod affinity terms conflict";

/// Node selector and node affinity (upstream `nodeaffinity`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeAffinity;

impl Plugin for NodeAffinity {
    fn name(&self) -> &'static str {
        NAME
    }
}

fn required_terms(pod: &Pod) -> Option<&[NodeSelectorTerm]> {
    pod.spec
        .as_ref()?
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()
        .map(|r| r.node_selector_terms.as_slice())
}

fn preferred_terms(pod: &Pod) -> &[PreferredSchedulingTerm] {
    pod.spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.preferred_during_scheduling_ignored_during_execution
                .as_deref()
        })
        .unwrap_or(&[])
}

/// Whether the node satisfies the pod's `nodeSelector` and required node affinity.
pub fn required_affinity_matches(pod: &Pod, node: &NodeInfo) -> bool {
    let labels = node.labels();
    if let Some(sel) = pod.spec.as_ref().and_then(|s| s.node_selector.as_ref()) {
        if !sel
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
        {
            return false;
        }
    }
    match required_terms(pod) {
        Some(terms) => node_selector_terms_match(terms, node.name(), labels),
        None => true,
    }
}

impl PreFilterPlugin for NodeAffinity {
    fn pre_filter(
        &self,
        _state: &mut CycleState,
        pod: &Pod,
        _snapshot: &ClusterSnapshot,
    ) -> (Option<PreFilterResult>, Status) {
        let selector = pod.spec.as_ref().and_then(|s| s.node_selector.as_ref());
        let Some(terms) = required_terms(pod) else {
            return if selector.is_none() {
                (None, Status::skip())
            } else {
                (None, Status::success())
            };
        };
        if terms.is_empty() {
            return (None, Status::success());
        }
        let mut names: BTreeSet<String> = BTreeSet::new();
        for t in terms {
            let mut term_names: Option<BTreeSet<String>> = None;
            for r in t.match_fields.iter().flatten() {
                if r.key == "metadata.name" && r.operator == "In" {
                    let s: BTreeSet<String> = r.values.iter().flatten().cloned().collect();
                    term_names = Some(match term_names {
                        None => s,
                        Some(prev) => prev.intersection(&s).cloned().collect(),
                    });
                }
            }
            match term_names {
                None => return (None, Status::success()),
                Some(s) => names.extend(s),
            }
        }
        if names.is_empty() {
            return (
                None,
                Status::new(Code::UnschedulableAndUnresolvable, [ERR_REASON_CONFLICT]),
            );
        }
        (
            Some(PreFilterResult { node_names: names }),
            Status::success(),
        )
    }
}

impl FilterPlugin for NodeAffinity {
    /// Reads the node's name and labels and the pod's node selector and affinity only.
    fn filter_is_node_local(&self) -> bool {
        true
    }

    fn filter(&self, _state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        if required_affinity_matches(pod, node) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON_POD)
        }
    }
}

impl PreScorePlugin for NodeAffinity {
    fn pre_score(
        &self,
        _state: &mut CycleState,
        pod: &Pod,
        _feasible: &[&NodeInfo],
        _snapshot: &ClusterSnapshot,
    ) -> Status {
        if preferred_terms(pod).is_empty() {
            Status::skip()
        } else {
            Status::success()
        }
    }
}

impl ScorePlugin for NodeAffinity {
    /// Reads the node's name and labels and the pod's preferred terms only.
    fn score_is_node_local(&self) -> bool {
        true
    }

    fn score(&self, _state: &CycleState, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(preferred_terms(pod)
            .iter()
            .filter(|t| t.weight != 0)
            .filter(|t| node_selector_term_matches(&t.preference, node.name(), node.labels()))
            .map(|t| i64::from(t.weight))
            .sum())
    }

    fn normalize_score(&self, _state: &CycleState, _pod: &Pod, scores: &mut [i64]) -> Status {
        default_normalize_score(scores, false);
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::testutil::{node, pod, with_label};
    use k8s_openapi::api::core::v1::{Affinity, NodeSelector, NodeSelectorRequirement};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn req(key: &str, op: &str, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        }
    }

    fn with_required(mut p: Pod, terms: Vec<NodeSelectorTerm>) -> Pod {
        let spec = p.spec.as_mut().unwrap();
        let aff = spec.affinity.get_or_insert_with(Affinity::default);
        aff.node_affinity
            .get_or_insert_with(Default::default)
            .required_during_scheduling_ignored_during_execution = Some(NodeSelector {
            node_selector_terms: terms,
        });
        p
    }

    fn term(exprs: Vec<NodeSelectorRequirement>) -> NodeSelectorTerm {
        NodeSelectorTerm {
            match_expressions: Some(exprs),
            match_fields: None,
        }
    }

    #[test]
    fn selector_and_required_terms_filter_nodes() {
        let ssd = NodeInfo::new(with_label(node("a", "1", "1Gi"), "disk", "ssd"));
        let hdd = NodeInfo::new(with_label(node("b", "1", "1Gi"), "disk", "hdd"));
        let mut by_selector = pod("s", "", "");
        by_selector.spec.as_mut().unwrap().node_selector = Some(
            [("disk".to_string(), "ssd".to_string())]
                .into_iter()
                .collect(),
        );
        let by_in = with_required(
            pod("i", "", ""),
            vec![term(vec![req("disk", "In", &["ssd"])])],
        );
        let by_notin = with_required(
            pod("n", "", ""),
            vec![term(vec![req("disk", "NotIn", &["ssd"])])],
        );
        let ored = with_required(
            pod("o", "", ""),
            vec![
                term(vec![req("disk", "In", &["nvme"])]),
                term(vec![req("disk", "Exists", &[])]),
            ],
        );
        let cases = [
            (&by_selector, &ssd, true),
            (&by_selector, &hdd, false),
            (&by_in, &ssd, true),
            (&by_in, &hdd, false),
            (&by_notin, &hdd, true),
            (&ored, &hdd, true),
        ];
        for (p, n, fits) in cases {
            let s = NodeAffinity.filter(&CycleState::default(), p, n);
            assert_eq!(
                s.is_success(),
                fits,
                "{:?} on {}",
                p.metadata.name,
                n.name()
            );
            if !fits {
                assert_eq!(s.code, Code::UnschedulableAndUnresolvable);
                assert_eq!(s.message(), ERR_REASON_POD);
            }
        }
    }

    #[test]
    fn metadata_name_fields_narrow_the_nodes_in_pre_filter() {
        let p = with_required(
            pod("p", "", ""),
            vec![NodeSelectorTerm {
                match_expressions: None,
                match_fields: Some(vec![req("metadata.name", "In", &["b", "c"])]),
            }],
        );
        let (res, s) =
            NodeAffinity.pre_filter(&mut CycleState::default(), &p, &ClusterSnapshot::default());
        assert!(s.is_success());
        assert_eq!(
            res.unwrap().node_names.into_iter().collect::<Vec<_>>(),
            vec!["b".to_string(), "c".to_string()]
        );
        let (_, s) = NodeAffinity.pre_filter(
            &mut CycleState::default(),
            &pod("q", "", ""),
            &ClusterSnapshot::default(),
        );
        assert!(s.is_skip());
    }

    #[test]
    fn preferred_terms_sum_their_weights_and_normalize_to_the_best() {
        let mut p = pod("p", "", "");
        p.spec.as_mut().unwrap().affinity = Some(Affinity {
            node_affinity: Some(k8s_openapi::api::core::v1::NodeAffinity {
                preferred_during_scheduling_ignored_during_execution: Some(vec![
                    PreferredSchedulingTerm {
                        weight: 20,
                        preference: term(vec![req("disk", "In", &["ssd"])]),
                    },
                    PreferredSchedulingTerm {
                        weight: 60,
                        preference: term(vec![req("zone", "In", &["a"])]),
                    },
                ]),
                ..Default::default()
            }),
            ..Default::default()
        });
        let nodes = [
            NodeInfo::new(with_label(node("a", "1", "1Gi"), "disk", "ssd")),
            NodeInfo::new(with_label(
                with_label(node("b", "1", "1Gi"), "disk", "ssd"),
                "zone",
                "a",
            )),
            NodeInfo::new(node("c", "1", "1Gi")),
        ];
        let st = CycleState::default();
        let mut scores: Vec<i64> = nodes
            .iter()
            .map(|n| NodeAffinity.score(&st, &p, n).unwrap())
            .collect();
        assert_eq!(scores, vec![20, 80, 0]);
        NodeAffinity.normalize_score(&st, &p, &mut scores);
        assert_eq!(scores, vec![25, 100, 0]);
    }
}
