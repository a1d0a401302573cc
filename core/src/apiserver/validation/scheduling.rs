//! Where a pod may run: node selector, affinity terms, tolerations, topology spread
//! constraints and scheduling gates.

use super::meta::{validate_label_name, validate_label_selector};
use super::names::{is_qualified_name, is_valid_label_value};
use super::under;
use crate::apiserver::errors::{go_quote, FieldError};
use k8s_openapi::api::core::v1::{
    Affinity, NodeSelectorTerm, PodAffinityTerm, PodSchedulingGate, Toleration,
    TopologySpreadConstraint, WeightedPodAffinityTerm,
};
use std::collections::BTreeSet;

fn validate_node_selector_term(t: &NodeSelectorTerm, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (j, r) in t.match_expressions.iter().flatten().enumerate() {
        let p = format!("{path}.matchExpressions[{j}]");
        let values = r.values.as_deref().unwrap_or(&[]);
        match r.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => errs.push(FieldError::required(
                format!("{p}.values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "In" | "NotIn" => {}
            "Exists" | "DoesNotExist" if !values.is_empty() => errs.push(FieldError::forbidden(
                format!("{p}.values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )),
            "Exists" | "DoesNotExist" => {}
            "Gt" | "Lt" if values.len() != 1 => errs.push(FieldError::required(
                format!("{p}.values"),
                "must be specified single value when `operator` is 'Lt' or 'Gt'",
            )),
            "Gt" | "Lt" => {}
            op => errs.push(FieldError::invalid(
                format!("{p}.operator"),
                go_quote(op),
                "not a valid selector operator",
            )),
        }
        errs.extend(validate_label_name(&r.key, &format!("{p}.key")));
        for (k, v) in values.iter().enumerate() {
            for m in is_valid_label_value(v) {
                errs.push(FieldError::invalid(
                    format!("{p}.values[{k}]"),
                    go_quote(v),
                    m,
                ));
            }
        }
    }
    for (j, r) in t.match_fields.iter().flatten().enumerate() {
        let p = format!("{path}.matchFields[{j}]");
        if r.key != "metadata.name" {
            errs.push(FieldError::invalid(
                format!("{p}.key"),
                go_quote(&r.key),
                "not a valid field selector key",
            ));
        }
    }
    errs
}

fn validate_pod_affinity_term(t: &PodAffinityTerm, path: &str) -> Vec<FieldError> {
    let mut errs =
        validate_label_selector(t.label_selector.as_ref(), &format!("{path}.labelSelector"));
    errs.extend(under(
        || format!("{path}.namespaceSelector"),
        |at| validate_label_selector(t.namespace_selector.as_ref(), at),
    ));
    for ns in t.namespaces.iter().flatten() {
        for m in super::names::is_dns1123_label(ns) {
            errs.push(FieldError::invalid(
                format!("{path}.namespace"),
                go_quote(ns),
                m,
            ));
        }
    }
    if t.topology_key.is_empty() {
        errs.push(FieldError::required(
            format!("{path}.topologyKey"),
            "can not be empty",
        ));
    } else {
        errs.extend(under(
            || format!("{path}.topologyKey"),
            |at| validate_label_name(&t.topology_key, at),
        ));
    }
    errs
}

fn validate_weighted_terms(terms: &[WeightedPodAffinityTerm], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (j, t) in terms.iter().enumerate() {
        if !(1..=100).contains(&t.weight) {
            errs.push(FieldError::invalid(
                format!("{path}[{j}].weight"),
                t.weight.to_string(),
                "must be in the range 1-100",
            ));
        }
        errs.extend(under(
            || format!("{path}[{j}].podAffinityTerm"),
            |at| validate_pod_affinity_term(&t.pod_affinity_term, at),
        ));
    }
    errs
}

/// `validateAffinity`.
pub fn validate_affinity(a: Option<&Affinity>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(a) = a else {
        return errs;
    };
    if let Some(na) = a.node_affinity.as_ref() {
        let p = format!("{path}.nodeAffinity");
        if let Some(req) = na
            .required_during_scheduling_ignored_during_execution
            .as_ref()
        {
            let tp =
                format!("{p}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
            if req.node_selector_terms.is_empty() {
                errs.push(FieldError::required(
                    &tp,
                    "must have at least one node selector term",
                ));
            }
            for (i, t) in req.node_selector_terms.iter().enumerate() {
                errs.extend(validate_node_selector_term(t, &format!("{tp}[{i}]")));
            }
        }
        for (i, t) in na
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .flatten()
            .enumerate()
        {
            let tp = format!("{p}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
            if !(1..=100).contains(&t.weight) {
                errs.push(FieldError::invalid(
                    format!("{tp}.weight"),
                    t.weight.to_string(),
                    "must be in the range 1-100",
                ));
            }
            errs.extend(validate_node_selector_term(
                &t.preference,
                &format!("{tp}.preference"),
            ));
        }
    }
    for (aff, name) in [
        (
            a.pod_affinity.as_ref().map(|p| {
                (
                    &p.required_during_scheduling_ignored_during_execution,
                    &p.preferred_during_scheduling_ignored_during_execution,
                )
            }),
            "podAffinity",
        ),
        (
            a.pod_anti_affinity.as_ref().map(|p| {
                (
                    &p.required_during_scheduling_ignored_during_execution,
                    &p.preferred_during_scheduling_ignored_during_execution,
                )
            }),
            "podAntiAffinity",
        ),
    ] {
        let Some((required, preferred)) = aff else {
            continue;
        };
        let p = format!("{path}.{name}");
        for (i, t) in required.iter().flatten().enumerate() {
            errs.extend(validate_pod_affinity_term(
                t,
                &format!("{p}.requiredDuringSchedulingIgnoredDuringExecution[{i}]"),
            ));
        }
        if let Some(pref) = preferred {
            errs.extend(validate_weighted_terms(
                pref,
                &format!("{p}.preferredDuringSchedulingIgnoredDuringExecution"),
            ));
        }
    }
    errs
}

/// `ValidateTolerations`.
pub fn validate_tolerations(ts: &[Toleration], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, t) in ts.iter().enumerate() {
        errs.extend(under(
            || format!("{path}[{i}]"),
            |p| validate_toleration(t, p),
        ));
    }
    errs
}

/// One toleration at `p` (`spec.tolerations[i]`).
fn validate_toleration(t: &Toleration, p: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let key = t.key.as_deref().unwrap_or("");
    let op = t.operator.as_deref().unwrap_or("");
    let effect = t.effect.as_deref().unwrap_or("");
    let value = t.value.as_deref().unwrap_or("");
    if !key.is_empty() {
        errs.extend(under(
            || format!("{p}.key"),
            |at| validate_label_name(key, at),
        ));
    }
    if key.is_empty() && op != "Exists" {
        errs.push(FieldError::invalid(
            format!("{p}.operator"),
            go_quote(op),
            "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
        ));
    }
    if t.toleration_seconds.is_some() && effect != "NoExecute" {
        errs.push(FieldError::invalid(
            format!("{p}.effect"),
            go_quote(effect),
            "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ));
    }
    match op {
        "Equal" | "" => {
            let msgs = is_valid_label_value(value);
            if !msgs.is_empty() {
                errs.push(FieldError::invalid(
                    format!("{p}.operator"),
                    go_quote(value),
                    msgs.join(";"),
                ));
            }
        }
        "Exists" => {
            if !value.is_empty() {
                errs.push(FieldError::invalid(
                    format!("{p}.operator"),
                    go_quote(value),
                    "value must be empty when `operator` is 'Exists'",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            format!("{p}.operator"),
            other,
            &["Equal", "Exists"],
        )),
    }
    if !effect.is_empty() && !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
        errs.push(FieldError::not_supported(
            format!("{p}.effect"),
            effect,
            &["NoSchedule", "PreferNoSchedule", "NoExecute"],
        ));
    }
    errs
}

/// `validateTopologySpreadConstraints`.
pub fn validate_topology_spread(cs: &[TopologySpreadConstraint], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, c) in cs.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if c.max_skew <= 0 {
            errs.push(FieldError::invalid(
                format!("{p}.maxSkew"),
                c.max_skew.to_string(),
                "must be greater than zero",
            ));
        }
        if c.topology_key.is_empty() {
            errs.push(FieldError::required(
                format!("{p}.topologyKey"),
                "can not be empty",
            ));
        } else {
            errs.extend(validate_label_name(
                &c.topology_key,
                &format!("{p}.topologyKey"),
            ));
        }
        let wu = c.when_unsatisfiable.as_str();
        if wu != "DoNotSchedule" && wu != "ScheduleAnyway" {
            errs.push(FieldError::not_supported(
                format!("{p}.whenUnsatisfiable"),
                wu,
                &["DoNotSchedule", "ScheduleAnyway"],
            ));
        }
        if cs[i + 1..].iter().any(|o| {
            o.topology_key == c.topology_key && o.when_unsatisfiable == c.when_unsatisfiable
        }) {
            errs.push(FieldError::duplicate(
                format!("{p}.{{topologyKey, whenUnsatisfiable}}"),
                format!("{{{}, {}}}", c.topology_key, wu),
            ));
        }
        if let Some(md) = c.min_domains {
            if md <= 0 {
                errs.push(FieldError::invalid(
                    format!("{p}.minDomains"),
                    md.to_string(),
                    "must be greater than 0",
                ));
            } else if wu != "DoNotSchedule" {
                errs.push(FieldError::invalid(
                    format!("{p}.minDomains"),
                    md.to_string(),
                    "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway",
                ));
            }
        }
        for (policy, field) in [
            (&c.node_affinity_policy, "nodeAffinityPolicy"),
            (&c.node_taints_policy, "nodeTaintsPolicy"),
        ] {
            if let Some(v) = policy.as_deref() {
                if v != "Honor" && v != "Ignore" {
                    errs.push(FieldError::not_supported(
                        format!("{p}.{field}"),
                        v,
                        &["Honor", "Ignore"],
                    ));
                }
            }
        }
        errs.extend(validate_label_selector(
            c.label_selector.as_ref(),
            &format!("{p}.labelSelector"),
        ));
    }
    errs
}

/// `validateSchedulingGates`.
pub fn validate_scheduling_gates(gates: &[PodSchedulingGate], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, g) in gates.iter().enumerate() {
        let p = format!("{path}[{i}]");
        for m in is_qualified_name(&g.name) {
            errs.push(FieldError::invalid(&p, go_quote(&g.name), m));
        }
        if !seen.insert(g.name.clone()) {
            errs.push(FieldError::duplicate(&p, go_quote(&g.name)));
        }
    }
    errs
}
