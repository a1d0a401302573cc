//! ObjectMeta rules (apimachinery `pkg/api/validation/objectmeta.go` and
//! `pkg/apis/meta/v1/validation`): names, namespace, labels, annotations, and what an update may
//! not change.

use super::names::{is_qualified_name, is_valid_label_value};
use super::under;
use crate::apiserver::errors::{go_quote, FieldError};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use std::collections::BTreeMap;

/// A name rule: `(name, is_prefix) -> messages`.
pub type NameFn = fn(&str, bool) -> Vec<String>;

/// Most annotation bytes an object may carry (keys plus values).
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// `ValidateObjectMeta`.
pub fn validate_object_meta(
    meta: &ObjectMeta,
    requires_namespace: bool,
    name_fn: NameFn,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let generate_name = meta.generate_name.as_deref().unwrap_or("");
    let name = meta.name.as_deref().unwrap_or("");
    if !generate_name.is_empty() {
        for m in name_fn(generate_name, true) {
            errs.push(FieldError::invalid(
                format!("{path}.generateName"),
                go_quote(generate_name),
                m,
            ));
        }
    }
    if name.is_empty() {
        // The registry generates the name from generateName before validation runs.
        if generate_name.is_empty() {
            errs.push(FieldError::required(
                format!("{path}.name"),
                "name or generateName is required",
            ));
        }
    } else {
        for m in name_fn(name, false) {
            errs.push(FieldError::invalid(
                format!("{path}.name"),
                go_quote(name),
                m,
            ));
        }
    }
    let namespace = meta.namespace.as_deref().unwrap_or("");
    if requires_namespace {
        if namespace.is_empty() {
            errs.push(FieldError::required(format!("{path}.namespace"), ""));
        } else {
            for m in super::names::name_is_dns_label(namespace, false) {
                errs.push(FieldError::invalid(
                    format!("{path}.namespace"),
                    go_quote(namespace),
                    m,
                ));
            }
        }
    } else if !namespace.is_empty() {
        errs.push(FieldError::forbidden(
            format!("{path}.namespace"),
            "not allowed on this type",
        ));
    }
    if let Some(g) = meta.generation {
        if g < 0 {
            errs.push(FieldError::invalid(
                format!("{path}.generation"),
                g.to_string(),
                "must be greater than or equal to 0",
            ));
        }
    }
    errs.extend(under(
        || format!("{path}.labels"),
        |at| validate_labels(meta.labels.as_ref(), at),
    ));
    errs.extend(under(
        || format!("{path}.annotations"),
        |at| validate_annotations(meta.annotations.as_ref(), at),
    ));
    for (i, f) in meta.finalizers.iter().flatten().enumerate() {
        for m in is_qualified_name(f) {
            errs.push(FieldError::invalid(
                format!("{path}.finalizers[{i}]"),
                go_quote(f),
                m,
            ));
        }
    }
    errs
}

/// `ValidateLabels`: every key a qualified name, every value a label value; errors name the
/// whole map's path.
pub fn validate_labels(labels: Option<&BTreeMap<String, String>>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (k, v) in labels.into_iter().flatten() {
        errs.extend(validate_label_name(k, path));
        for m in is_valid_label_value(v) {
            errs.push(FieldError::invalid(path, go_quote(v), m));
        }
    }
    errs
}

/// `ValidateLabelName`.
pub fn validate_label_name(key: &str, path: &str) -> Vec<FieldError> {
    is_qualified_name(key)
        .into_iter()
        .map(|m| FieldError::invalid(path, go_quote(key), m))
        .collect()
}

/// `ValidateAnnotations`: keys are qualified names (checked lower-cased), total size ≤ 256 KiB.
pub fn validate_annotations(
    annotations: Option<&BTreeMap<String, String>>,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut total = 0usize;
    for (k, v) in annotations.into_iter().flatten() {
        for m in is_qualified_name(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path, go_quote(k), m));
        }
        total += k.len() + v.len();
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(
            path,
            format!("may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT} bytes"),
        ));
    }
    errs
}

/// `ValidateLabelSelector`.
pub fn validate_label_selector(sel: Option<&LabelSelector>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(sel) = sel else {
        return errs;
    };
    errs.extend(under(
        || format!("{path}.matchLabels"),
        |at| validate_labels(sel.match_labels.as_ref(), at),
    ));
    for (i, r) in sel.match_expressions.iter().flatten().enumerate() {
        let p = format!("{path}.matchExpressions[{i}]");
        let values = r.values.as_deref().unwrap_or(&[]);
        match r.operator.as_str() {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        format!("{p}.values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::forbidden(
                        format!("{p}.values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            op => errs.push(FieldError::invalid(
                format!("{p}.operator"),
                go_quote(op),
                "not a valid selector operator",
            )),
        }
        errs.extend(validate_label_name(&r.key, &format!("{p}.key")));
        for (j, v) in values.iter().enumerate() {
            for m in is_valid_label_value(v) {
                errs.push(FieldError::invalid(
                    format!("{p}.values[{j}]"),
                    go_quote(v),
                    m,
                ));
            }
        }
    }
    errs
}

/// Whether a label selector (as `LabelSelectorAsSelector` builds it) matches a label set.
/// A missing selector matches nothing; an empty one matches everything.
pub fn selector_matches(
    sel: Option<&LabelSelector>,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    let Some(sel) = sel else {
        return false;
    };
    let empty = BTreeMap::new();
    let labels = labels.unwrap_or(&empty);
    let labels_ok = sel
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let exprs_ok = sel.match_expressions.iter().flatten().all(|r| {
        let values = r.values.as_deref().unwrap_or(&[]);
        let got = labels.get(&r.key);
        match r.operator.as_str() {
            "In" => got.is_some_and(|g| values.contains(g)),
            "NotIn" => got.is_none_or(|g| !values.contains(g)),
            "Exists" => got.is_some(),
            "DoesNotExist" => got.is_none(),
            _ => false,
        }
    });
    labels_ok && exprs_ok
}

/// Whether a selector has no requirements at all (matches everything).
pub fn selector_is_empty(sel: &LabelSelector) -> bool {
    sel.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && sel.match_expressions.as_ref().is_none_or(Vec::is_empty)
}

/// `ValidateObjectMetaUpdate`: name, namespace, uid, creationTimestamp and generateName-derived
/// identity may not change.
pub fn validate_object_meta_update(
    new: &ObjectMeta,
    old: &ObjectMeta,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let immutable =
        |field: &str, n: Option<&String>, o: Option<&String>, errs: &mut Vec<FieldError>| {
            let (n, o) = (
                n.map(String::as_str).unwrap_or(""),
                o.map(String::as_str).unwrap_or(""),
            );
            if n != o {
                errs.push(FieldError::invalid(
                    format!("{path}.{field}"),
                    go_quote(n),
                    "field is immutable",
                ));
            }
        };
    immutable("name", new.name.as_ref(), old.name.as_ref(), &mut errs);
    immutable(
        "namespace",
        new.namespace.as_ref(),
        old.namespace.as_ref(),
        &mut errs,
    );
    immutable("uid", new.uid.as_ref(), old.uid.as_ref(), &mut errs);
    if new.creation_timestamp.is_some() && new.creation_timestamp != old.creation_timestamp {
        errs.push(FieldError::invalid(
            format!("{path}.creationTimestamp"),
            "\"<changed>\"",
            "field is immutable",
        ));
    }
    errs.extend(under(
        || format!("{path}.labels"),
        |at| validate_labels(new.labels.as_ref(), at),
    ));
    errs.extend(under(
        || format!("{path}.annotations"),
        |at| validate_annotations(new.annotations.as_ref(), at),
    ));
    errs
}
