//! A pod's inter-pod affinity terms, parsed once (upstream `framework.PodInfo`'s
//! `RequiredAffinityTerms`, `RequiredAntiAffinityTerms` and the weighted preferred ones): each
//! term with its selector (`matchLabelKeys` / `mismatchLabelKeys` folded in), the namespaces it
//! applies to and its topology key.

use k8s_openapi::api::core::v1::{Affinity, Pod, PodAffinityTerm, WeightedPodAffinityTerm};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use crate::scheduler::selectors::label_selector_matches;

/// One pod affinity or anti-affinity term, ready to match pods. Namespace selectors other than
/// `{}` (all namespaces) are not modelled: such terms see only their listed namespaces.
#[derive(Debug, Clone, PartialEq)]
pub struct AffinityTerm {
    selector: Option<LabelSelector>,
    topology_key: String,
    namespaces: Vec<String>,
    all_namespaces: bool,
}

impl AffinityTerm {
    /// The term `t` of the pod `owner`.
    pub fn new(owner: &Pod, t: &PodAffinityTerm) -> AffinityTerm {
        let mut selector = t.label_selector.clone();
        let labels = owner.metadata.labels.as_ref();
        let mut extra = Vec::new();
        for (keys, op) in [
            (&t.match_label_keys, "In"),
            (&t.mismatch_label_keys, "NotIn"),
        ] {
            for k in keys.iter().flatten() {
                if let Some(v) = labels.and_then(|l| l.get(k)) {
                    extra.push(LabelSelectorRequirement {
                        key: k.clone(),
                        operator: op.into(),
                        values: Some(vec![v.clone()]),
                    });
                }
            }
        }
        if !extra.is_empty() {
            if let Some(sel) = selector.as_mut() {
                sel.match_expressions
                    .get_or_insert_with(Vec::new)
                    .extend(extra);
            }
        }
        let mut namespaces: Vec<String> = t.namespaces.clone().unwrap_or_default();
        let all_namespaces = t.namespace_selector.as_ref().is_some_and(|s| {
            s.match_labels.as_ref().is_none_or(|m| m.is_empty())
                && s.match_expressions.as_ref().is_none_or(|m| m.is_empty())
        });
        if namespaces.is_empty() && t.namespace_selector.is_none() {
            namespaces.push(
                owner
                    .metadata
                    .namespace
                    .clone()
                    .unwrap_or_else(|| "default".into()),
            );
        }
        AffinityTerm {
            selector,
            topology_key: t.topology_key.clone(),
            namespaces,
            all_namespaces,
        }
    }

    /// Whether `pod` is one of the pods the term selects.
    pub fn matches(&self, pod: &Pod) -> bool {
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        if !self.all_namespaces && !self.namespaces.iter().any(|n| n == ns) {
            return false;
        }
        match self.selector.as_ref() {
            // A nil selector matches nothing.
            None => false,
            Some(sel) => label_selector_matches(sel, pod.metadata.labels.as_ref()),
        }
    }

    /// The term's topology key.
    pub fn key(&self) -> &str {
        &self.topology_key
    }
}

/// Every inter-pod affinity term of one pod.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodAffinityTerms {
    /// `podAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
    pub required_affinity: Vec<AffinityTerm>,
    /// `podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
    pub required_anti_affinity: Vec<AffinityTerm>,
    /// `podAffinity.preferredDuringSchedulingIgnoredDuringExecution`, with weights.
    pub preferred_affinity: Vec<(i64, AffinityTerm)>,
    /// `podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution`, with weights.
    pub preferred_anti_affinity: Vec<(i64, AffinityTerm)>,
}

fn affinity(pod: &Pod) -> Option<&Affinity> {
    pod.spec.as_ref()?.affinity.as_ref()
}

fn terms(pod: &Pod, list: Option<&Vec<PodAffinityTerm>>) -> Vec<AffinityTerm> {
    list.into_iter()
        .flatten()
        .map(|t| AffinityTerm::new(pod, t))
        .collect()
}

fn weighted(pod: &Pod, list: Option<&Vec<WeightedPodAffinityTerm>>) -> Vec<(i64, AffinityTerm)> {
    list.into_iter()
        .flatten()
        .map(|w| {
            (
                i64::from(w.weight),
                AffinityTerm::new(pod, &w.pod_affinity_term),
            )
        })
        .collect()
}

impl PodAffinityTerms {
    /// The terms of `pod`.
    pub fn of(pod: &Pod) -> PodAffinityTerms {
        let Some(a) = affinity(pod) else {
            return PodAffinityTerms::default();
        };
        let aff = a.pod_affinity.as_ref();
        let anti = a.pod_anti_affinity.as_ref();
        PodAffinityTerms {
            required_affinity: terms(
                pod,
                aff.and_then(|a| {
                    a.required_during_scheduling_ignored_during_execution
                        .as_ref()
                }),
            ),
            required_anti_affinity: terms(
                pod,
                anti.and_then(|a| {
                    a.required_during_scheduling_ignored_during_execution
                        .as_ref()
                }),
            ),
            preferred_affinity: weighted(
                pod,
                aff.and_then(|a| {
                    a.preferred_during_scheduling_ignored_during_execution
                        .as_ref()
                }),
            ),
            preferred_anti_affinity: weighted(
                pod,
                anti.and_then(|a| {
                    a.preferred_during_scheduling_ignored_during_execution
                        .as_ref()
                }),
            ),
        }
    }

    /// Whether the pod has terms that make it score other pods' nodes (required affinity,
    /// preferred affinity or anti-affinity; upstream's `PodsWithAffinity` list).
    pub fn scores_others(&self) -> bool {
        !self.required_affinity.is_empty()
            || !self.preferred_affinity.is_empty()
            || !self.preferred_anti_affinity.is_empty()
    }

    /// Whether the pod has required anti-affinity terms (upstream's
    /// `PodsWithRequiredAntiAffinity` list).
    pub fn has_required_anti_affinity(&self) -> bool {
        !self.required_anti_affinity.is_empty()
    }
}
