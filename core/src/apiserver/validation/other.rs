//! The remaining kinds: namespaces, config maps, secrets, service accounts, limit ranges,
//! quotas, claims, priority classes and RBAC.

use super::meta::validate_object_meta;
use super::names::{
    is_config_map_key, name_is_dns_label, name_is_dns_subdomain, name_is_path_segment,
};
use super::render::go_string_slice;
use crate::apiserver::errors::{go_quote, FieldError};
use crate::quantity::Quantity;
use k8s_openapi::api::core::v1::{
    ConfigMap, LimitRange, PersistentVolumeClaim, ResourceQuota, Secret,
};
use k8s_openapi::api::rbac::v1::{PolicyRule, RoleRef, Subject};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use std::collections::BTreeMap;

/// Largest ConfigMap or Secret payload.
pub const MAX_SECRET_SIZE: usize = 1024 * 1024;

fn data_keys<'a>(
    keys: impl Iterator<Item = &'a String>,
    other: &BTreeMap<String, ()>,
    bag: &str,
    other_bag: &str,
    errs: &mut Vec<FieldError>,
) {
    for k in keys {
        let p = format!("{bag}[{k}]");
        for m in is_config_map_key(k) {
            errs.push(FieldError::invalid(&p, go_quote(k), m));
        }
        if other.contains_key(k) {
            errs.push(FieldError::invalid(
                &p,
                go_quote(k),
                format!("duplicate of key present in {other_bag}"),
            ));
        }
    }
}

/// `ValidateConfigMap`.
pub fn validate_config_map(cm: &ConfigMap) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&cm.metadata, true, name_is_dns_subdomain, "metadata");
    let data = cm.data.clone().unwrap_or_default();
    let binary = cm.binary_data.clone().unwrap_or_default();
    let binary_keys: BTreeMap<String, ()> = binary.keys().map(|k| (k.clone(), ())).collect();
    let data_keys_set: BTreeMap<String, ()> = data.keys().map(|k| (k.clone(), ())).collect();
    data_keys(data.keys(), &binary_keys, "data", "binaryData", &mut errs);
    data_keys(
        binary.keys(),
        &data_keys_set,
        "binaryData",
        "data",
        &mut errs,
    );
    let total: usize = data.values().map(String::len).sum::<usize>()
        + binary.values().map(|b| b.0.len()).sum::<usize>();
    if total > MAX_SECRET_SIZE {
        errs.push(FieldError::too_long(
            "",
            format!("may not be more than {MAX_SECRET_SIZE} bytes"),
        ));
    }
    errs
}

/// `ValidateSecret`.
pub fn validate_secret(s: &Secret) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&s.metadata, true, name_is_dns_subdomain, "metadata");
    let data = s.data.clone().unwrap_or_default();
    let none = BTreeMap::new();
    data_keys(data.keys(), &none, "data", "", &mut errs);
    let total: usize = data.values().map(|b| b.0.len()).sum();
    if total > MAX_SECRET_SIZE {
        errs.push(FieldError::too_long(
            "data",
            format!("may not be more than {MAX_SECRET_SIZE} bytes"),
        ));
    }
    let required_key = |key: &str, errs: &mut Vec<FieldError>| {
        if !data.contains_key(key) {
            errs.push(FieldError::required(format!("data[{key}]"), ""));
        }
    };
    match s.type_.as_deref().unwrap_or("") {
        "kubernetes.io/service-account-token" => {
            let has = s
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("kubernetes.io/service-account.name"))
                .is_some_and(|n| !n.is_empty());
            if !has {
                errs.push(FieldError::required(
                    "metadata.annotations[kubernetes.io/service-account.name]",
                    "",
                ));
            }
        }
        "kubernetes.io/dockercfg" => required_key(".dockercfg", &mut errs),
        "kubernetes.io/dockerconfigjson" => required_key(".dockerconfigjson", &mut errs),
        "kubernetes.io/ssh-auth" => required_key("ssh-privatekey", &mut errs),
        "kubernetes.io/tls" => {
            required_key("tls.key", &mut errs);
            required_key("tls.crt", &mut errs);
        }
        _ => {}
    }
    errs
}

fn quantity(q: &k8s_openapi::apimachinery::pkg::api::resource::Quantity) -> Quantity {
    Quantity::parse(q.0.trim()).unwrap_or(Quantity::ZERO)
}

/// `ValidateLimitRange` (types and the min ≤ defaultRequest ≤ default ≤ max ordering).
pub fn validate_limit_range(lr: &LimitRange) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&lr.metadata, true, name_is_dns_subdomain, "metadata");
    let mut types = Vec::new();
    for (i, item) in lr.spec.iter().flat_map(|s| s.limits.iter()).enumerate() {
        let p = format!("spec.limits[{i}]");
        if types.contains(&item.type_) {
            errs.push(FieldError::duplicate(
                format!("{p}.type"),
                go_quote(&item.type_),
            ));
        }
        types.push(item.type_.clone());
        let get = |l: &Option<
            BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
        >,
                   k: &str| { l.as_ref().and_then(|m| m.get(k)).map(quantity) };
        let mut keys: Vec<String> = Vec::new();
        for l in [
            &item.max,
            &item.min,
            &item.default,
            &item.default_request,
            &item.max_limit_request_ratio,
        ] {
            for k in l.iter().flat_map(|m| m.keys()) {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        keys.sort();
        for k in keys {
            let (min, max) = (get(&item.min, &k), get(&item.max, &k));
            let (def, def_req) = (get(&item.default, &k), get(&item.default_request, &k));
            let mut check = |a: Option<Quantity>,
                             b: Option<Quantity>,
                             field: &str,
                             shown: Option<Quantity>,
                             msg: &str| {
                if let (Some(a), Some(b), Some(shown)) = (a, b, shown) {
                    if a > b {
                        errs.push(FieldError::invalid(
                            format!("{p}.{field}[{k}]"),
                            go_quote(&shown.to_string()),
                            msg.replace("{a}", &a.to_string())
                                .replace("{b}", &b.to_string()),
                        ));
                    }
                }
            };
            check(
                min,
                max,
                "min",
                min,
                "min value {a} is greater than max value {b}",
            );
            check(
                min,
                def_req,
                "defaultRequest",
                def_req,
                "min value {a} is greater than default request value {b}",
            );
            check(
                def_req,
                max,
                "defaultRequest",
                def_req,
                "default request value {a} is greater than max value {b}",
            );
            check(
                def_req,
                def,
                "defaultRequest",
                def_req,
                "default request value {a} is greater than default limit value {b}",
            );
            check(
                min,
                def,
                "default",
                def,
                "min value {a} is greater than default value {b}",
            );
            check(
                def,
                max,
                "default",
                def,
                "default value {a} is greater than max value {b}",
            );
        }
    }
    errs
}

/// `ValidateResourceQuota` (hard amounts may not be negative).
pub fn validate_resource_quota(rq: &ResourceQuota) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&rq.metadata, true, name_is_dns_subdomain, "metadata");
    for (k, q) in rq.spec.iter().flat_map(|s| s.hard.iter().flatten()) {
        let q = quantity(q);
        if q.is_negative() {
            errs.push(FieldError::invalid(
                format!("spec.hard[{k}]"),
                go_quote(&q.to_string()),
                "must be greater than or equal to 0",
            ));
        }
    }
    errs
}

/// `ValidatePersistentVolumeClaim` (access modes and a storage request).
pub fn validate_pvc(pvc: &PersistentVolumeClaim) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&pvc.metadata, true, name_is_dns_subdomain, "metadata");
    let spec = pvc.spec.clone().unwrap_or_default();
    let modes = spec.access_modes.clone().unwrap_or_default();
    if modes.is_empty() {
        errs.push(FieldError::required(
            "spec.accessModes",
            "at least 1 access mode is required",
        ));
    }
    const MODES: &[&str] = &[
        "ReadOnlyMany",
        "ReadWriteMany",
        "ReadWriteOnce",
        "ReadWriteOncePod",
    ];
    for m in &modes {
        if !MODES.contains(&m.as_str()) {
            errs.push(FieldError::not_supported("spec.accessModes", m, MODES));
        }
    }
    match spec
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"))
    {
        None => errs.push(FieldError::required("spec.resources[storage]", "")),
        Some(q) => {
            let q = quantity(q);
            if q.is_zero() || q.is_negative() {
                errs.push(FieldError::invalid(
                    "spec.resources[storage]",
                    go_quote(&q.to_string()),
                    "must be greater than zero",
                ));
            }
        }
    }
    errs
}

/// `ValidatePriorityClass`.
pub fn validate_priority_class(pc: &PriorityClass) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&pc.metadata, false, name_is_dns_subdomain, "metadata");
    let name = pc.metadata.name.as_deref().unwrap_or("");
    if name.starts_with("system-") {
        let known = matches!(
            (name, pc.value),
            ("system-node-critical", 2_000_001_000) | ("system-cluster-critical", 2_000_000_000)
        );
        if !known {
            errs.push(FieldError::forbidden(
                "metadata.name",
                format!("priority class names with 'system-' prefix are reserved for system use only. error: {name} is not a known system priority class"),
            ));
        }
    } else if pc.value > 1_000_000_000 {
        errs.push(FieldError::forbidden(
            "value",
            "maximum allowed value of a user defined priority is 1000000000",
        ));
    }
    if let Some(p) = pc.preemption_policy.as_deref() {
        if p != "PreemptLowerPriority" && p != "Never" {
            errs.push(FieldError::not_supported(
                "preemptionPolicy",
                p,
                &["PreemptLowerPriority", "Never"],
            ));
        }
    }
    errs
}

/// `ValidatePolicyRule`.
pub fn validate_policy_rules(rules: &[PolicyRule], namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let p = format!("rules[{i}]");
        if r.verbs.is_empty() {
            errs.push(FieldError::required(
                format!("{p}.verbs"),
                "verbs must contain at least one value",
            ));
        }
        if r.non_resource_urls.as_ref().is_some_and(|u| !u.is_empty()) {
            let urls = go_string_slice(r.non_resource_urls.as_ref());
            if namespaced {
                errs.push(FieldError::invalid(
                    format!("{p}.nonResourceURLs"),
                    &urls,
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            let has_resources = [&r.api_groups, &r.resources, &r.resource_names]
                .iter()
                .any(|v| v.as_ref().is_some_and(|v| !v.is_empty()));
            if has_resources {
                errs.push(FieldError::invalid(
                    format!("{p}.nonResourceURLs"),
                    &urls,
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if r.api_groups.as_ref().is_none_or(Vec::is_empty) {
            errs.push(FieldError::required(
                format!("{p}.apiGroups"),
                "resource rules must supply at least one api group",
            ));
        }
        if r.resources.as_ref().is_none_or(Vec::is_empty) {
            errs.push(FieldError::required(
                format!("{p}.resources"),
                "resource rules must supply at least one resource",
            ));
        }
    }
    errs
}

/// `ValidateRoleBinding`/`ValidateClusterRoleBinding`'s roleRef and subjects.
pub fn validate_binding(
    role_ref: &RoleRef,
    subjects: &[Subject],
    namespaced: bool,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if role_ref.api_group != "rbac.authorization.k8s.io" {
        errs.push(FieldError::not_supported(
            "roleRef.apiGroup",
            &role_ref.api_group,
            &["rbac.authorization.k8s.io"],
        ));
    }
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    if !kinds.contains(&role_ref.kind.as_str()) {
        errs.push(FieldError::not_supported(
            "roleRef.kind",
            &role_ref.kind,
            kinds,
        ));
    }
    if role_ref.name.is_empty() {
        errs.push(FieldError::required("roleRef.name", ""));
    } else {
        for m in name_is_path_segment(&role_ref.name, false) {
            errs.push(FieldError::invalid(
                "roleRef.name",
                go_quote(&role_ref.name),
                m,
            ));
        }
    }
    for (i, s) in subjects.iter().enumerate() {
        let p = format!("subjects[{i}]");
        if s.name.is_empty() {
            errs.push(FieldError::required(format!("{p}.name"), ""));
        }
        let group = s.api_group.as_deref().unwrap_or("");
        match s.kind.as_str() {
            "ServiceAccount" => {
                if !s.name.is_empty() {
                    for m in name_is_dns_subdomain(&s.name, false) {
                        errs.push(FieldError::invalid(
                            format!("{p}.name"),
                            go_quote(&s.name),
                            m,
                        ));
                    }
                }
                if !group.is_empty() {
                    errs.push(FieldError::not_supported(
                        format!("{p}.apiGroup"),
                        group,
                        &[""],
                    ));
                }
                if !namespaced && s.namespace.as_deref().unwrap_or("").is_empty() {
                    errs.push(FieldError::required(format!("{p}.namespace"), ""));
                }
            }
            "User" | "Group" => {
                if group != "rbac.authorization.k8s.io" {
                    errs.push(FieldError::not_supported(
                        format!("{p}.apiGroup"),
                        group,
                        &["rbac.authorization.k8s.io"],
                    ));
                }
            }
            other => errs.push(FieldError::not_supported(
                format!("{p}.kind"),
                other,
                &["ServiceAccount", "User", "Group"],
            )),
        }
    }
    errs
}

/// A namespace's own name is a DNS label and it has no namespace.
pub fn validate_namespace(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Vec<FieldError> {
    validate_object_meta(meta, false, name_is_dns_label, "metadata")
}
