//! Label and node selector matching as the scheduler uses it (apimachinery `labels.Selector`,
//! component-helpers `nodeaffinity`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, NodeSelectorTerm, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Whether `labels` satisfy a `LabelSelector` (`matchLabels` and `matchExpressions` ANDed; an
/// empty selector matches everything).
pub fn label_selector_matches(
    selector: &LabelSelector,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k));
    for (k, v) in selector.match_labels.iter().flatten() {
        if get(k) != Some(v) {
            return false;
        }
    }
    for e in selector.match_expressions.iter().flatten() {
        let values = e.values.as_deref().unwrap_or(&[]);
        let ok = match e.operator.as_str() {
            "In" => get(&e.key).is_some_and(|v| values.contains(v)),
            "NotIn" => get(&e.key).is_none_or(|v| !values.contains(v)),
            "Exists" => get(&e.key).is_some(),
            "DoesNotExist" => get(&e.key).is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&String>) -> bool {
    let values = r.values.as_deref().unwrap_or(&[]);
    let int = |s: &str| s.parse::<i64>().ok();
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.contains(v)),
        "NotIn" => value.is_none_or(|v| !values.contains(v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(v), Some(bound)) = (
                value.and_then(|v| int(v)),
                values.first().and_then(|b| int(b)),
            ) else {
                return false;
            };
            if values.len() != 1 {
                return false;
            }
            if r.operator == "Gt" {
                v > bound
            } else {
                v < bound
            }
        }
        _ => false,
    }
}

/// Whether a node matches one `NodeSelectorTerm` (its expressions and fields ANDed; a term with
/// neither matches nothing, as upstream).
pub fn node_selector_term_matches(
    term: &NodeSelectorTerm,
    node_name: &str,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    let exprs = term.match_expressions.as_deref().unwrap_or(&[]);
    let fields = term.match_fields.as_deref().unwrap_or(&[]);
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    let name = node_name.to_string();
    exprs
        .iter()
        .all(|r| requirement_matches(r, labels.and_then(|l| l.get(&r.key))))
        && fields.iter().all(|r| {
            let v = (r.key == "metadata.name").then_some(&name);
            requirement_matches(r, v)
        })
}

/// Whether a node matches any of the terms (terms are ORed).
pub fn node_selector_terms_match(
    terms: &[NodeSelectorTerm],
    node_name: &str,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    terms
        .iter()
        .any(|t| node_selector_term_matches(t, node_name, labels))
}

/// Whether a toleration tolerates a taint with the given key, value and effect (upstream
/// `Toleration.ToleratesTaint`).
pub fn tolerates(t: &Toleration, key: &str, value: &str, effect: &str) -> bool {
    let t_effect = t.effect.as_deref().unwrap_or("");
    if !t_effect.is_empty() && t_effect != effect {
        return false;
    }
    let t_key = t.key.as_deref().unwrap_or("");
    if !t_key.is_empty() && t_key != key {
        return false;
    }
    match t.operator.as_deref().unwrap_or("") {
        "" | "Equal" => t.value.as_deref().unwrap_or("") == value,
        "Exists" => true,
        _ => false,
    }
}
