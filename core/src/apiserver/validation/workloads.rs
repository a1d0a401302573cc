//! ReplicaSets, Deployments, DaemonSets and Jobs (`pkg/apis/apps/validation`,
//! `pkg/apis/batch/validation`): selectors that must match their template, replica counts,
//! strategies, restart policies, and what their updates may not change.

use super::meta::{
    selector_is_empty, selector_matches, validate_label_selector, validate_object_meta,
    validate_object_meta_update,
};
use super::names::{is_valid_percent, name_is_dns_subdomain};
use super::pod::validate_pod_template_spec;
use super::render::{go_int_or_string, go_label_selector, go_string_map};
use crate::apiserver::errors::{go_quote, FieldError};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

const MISMATCH: &str = "`selector` does not match template `labels`";

/// A selector as upstream saw it: `k8s-openapi` decodes a missing (required) selector as an
/// empty one, so one with neither `matchLabels` nor `matchExpressions` is taken as absent.
fn present(sel: &LabelSelector) -> Option<&LabelSelector> {
    (sel.match_labels.is_some() || sel.match_expressions.is_some()).then_some(sel)
}

fn nonnegative(v: i64, path: &str, errs: &mut Vec<FieldError>) {
    if v < 0 {
        errs.push(FieldError::invalid(
            path,
            v.to_string(),
            "must be greater than or equal to 0",
        ));
    }
}

fn template_labels(t: &PodTemplateSpec) -> Option<&BTreeMap<String, String>> {
    t.metadata.as_ref().and_then(|m| m.labels.as_ref())
}

fn template_restart_policy(t: &PodTemplateSpec) -> &str {
    t.spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("")
}

/// The selector checks shared by ReplicaSets and Deployments.
fn validate_selector_required(
    sel: Option<&LabelSelector>,
    what: &str,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    match sel {
        None => errs.push(FieldError::required(path, "")),
        Some(s) => {
            errs.extend(validate_label_selector(Some(s), path));
            if selector_is_empty(s) {
                errs.push(FieldError::invalid(
                    path,
                    go_label_selector(s),
                    format!("empty selector is invalid for {what}"),
                ));
            }
        }
    }
}

/// `ValidatePodTemplateSpecForReplicaSet`.
fn validate_template_for_replica_set(
    t: &PodTemplateSpec,
    sel: Option<&LabelSelector>,
    owner: &str,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let selects_everything = sel.is_some_and(selector_is_empty);
    if !selects_everything && !selector_matches(sel, template_labels(t)) {
        errs.push(FieldError::invalid(
            format!("{path}.metadata.labels"),
            go_string_map(template_labels(t)),
            MISMATCH,
        ));
    }
    errs.extend(validate_pod_template_spec(t, path));
    let rp = template_restart_policy(t);
    if rp != "Always" {
        errs.push(FieldError::not_supported(
            format!("{path}.spec.restartPolicy"),
            rp,
            &["Always"],
        ));
    }
    if t.spec
        .as_ref()
        .and_then(|s| s.active_deadline_seconds)
        .is_some()
    {
        errs.push(FieldError::forbidden(
            format!("{path}.spec.activeDeadlineSeconds"),
            format!("activeDeadlineSeconds in {owner} is not Supported"),
        ));
    }
    errs
}

/// `ValidateReplicaSet`.
pub fn validate_replica_set(rs: &ReplicaSet) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&rs.metadata, true, name_is_dns_subdomain, "metadata");
    let spec = rs.spec.clone().unwrap_or_default();
    nonnegative(
        spec.replicas.unwrap_or(0).into(),
        "spec.replicas",
        &mut errs,
    );
    nonnegative(
        spec.min_ready_seconds.unwrap_or(0).into(),
        "spec.minReadySeconds",
        &mut errs,
    );
    validate_selector_required(
        present(&spec.selector),
        "deployment",
        "spec.selector",
        &mut errs,
    );
    errs.extend(validate_template_for_replica_set(
        &spec.template.clone().unwrap_or_default(),
        present(&spec.selector),
        "ReplicaSet",
        "spec.template",
    ));
    errs
}

fn int_or_percent_value(v: Option<&IntOrString>) -> (i64, bool) {
    match v {
        None => (0, false),
        Some(IntOrString::Int(i)) => ((*i).into(), false),
        Some(IntOrString::String(s)) => (
            s.strip_suffix('%')
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
            true,
        ),
    }
}

fn validate_positive_int_or_percent(
    v: Option<&IntOrString>,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    match v {
        Some(IntOrString::String(s)) => {
            for m in is_valid_percent(s) {
                errs.push(FieldError::invalid(path, go_int_or_string(v), m));
            }
        }
        Some(IntOrString::Int(i)) => nonnegative((*i).into(), path, errs),
        None => {}
    }
}

fn not_more_than_100_percent(v: Option<&IntOrString>, path: &str, errs: &mut Vec<FieldError>) {
    let (value, is_percent) = int_or_percent_value(v);
    if is_percent && value > 100 {
        errs.push(FieldError::invalid(
            path,
            go_int_or_string(v),
            "must not be greater than 100%",
        ));
    }
}

/// `ValidateDeployment`.
pub fn validate_deployment(d: &Deployment) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&d.metadata, true, name_is_dns_subdomain, "metadata");
    let spec = d.spec.clone().unwrap_or_default();
    nonnegative(
        spec.replicas.unwrap_or(0).into(),
        "spec.replicas",
        &mut errs,
    );
    validate_selector_required(
        present(&spec.selector),
        "deployment",
        "spec.selector",
        &mut errs,
    );
    errs.extend(validate_template_for_replica_set(
        &spec.template,
        present(&spec.selector),
        "ReplicaSet",
        "spec.template",
    ));
    let strategy = spec.strategy.clone().unwrap_or_default();
    match strategy.type_.as_deref().unwrap_or("") {
        "Recreate" => {
            if strategy.rolling_update.is_some() {
                errs.push(FieldError::forbidden(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => match strategy.rolling_update.as_ref() {
            None => errs.push(FieldError::required(
                "spec.strategy.rollingUpdate",
                "this should be defaulted and never be nil",
            )),
            Some(ru) => {
                let p = "spec.strategy.rollingUpdate";
                let (mu, ms) = (ru.max_unavailable.as_ref(), ru.max_surge.as_ref());
                validate_positive_int_or_percent(mu, &format!("{p}.maxUnavailable"), &mut errs);
                validate_positive_int_or_percent(ms, &format!("{p}.maxSurge"), &mut errs);
                if int_or_percent_value(mu).0 == 0 && int_or_percent_value(ms).0 == 0 {
                    errs.push(FieldError::invalid(
                        format!("{p}.maxUnavailable"),
                        go_int_or_string(mu),
                        "may not be 0 when `maxSurge` is 0",
                    ));
                }
                not_more_than_100_percent(mu, &format!("{p}.maxUnavailable"), &mut errs);
            }
        },
        other => errs.push(FieldError::not_supported(
            "spec.strategy",
            other,
            &["Recreate", "RollingUpdate"],
        )),
    }
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    nonnegative(min_ready.into(), "spec.minReadySeconds", &mut errs);
    if let Some(r) = spec.revision_history_limit {
        nonnegative(r.into(), "spec.revisionHistoryLimit", &mut errs);
    }
    if let Some(pd) = spec.progress_deadline_seconds {
        nonnegative(pd.into(), "spec.progressDeadlineSeconds", &mut errs);
        if pd <= min_ready {
            errs.push(FieldError::invalid(
                "spec.progressDeadlineSeconds",
                pd.to_string(),
                "must be greater than minReadySeconds",
            ));
        }
    }
    errs
}

/// `ValidateDaemonSet`.
pub fn validate_daemon_set(ds: &DaemonSet) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&ds.metadata, true, name_is_dns_subdomain, "metadata");
    let spec = ds.spec.clone().unwrap_or_default();
    errs.extend(validate_daemon_set_spec(&spec));
    errs
}

fn validate_daemon_set_spec(spec: &k8s_openapi::api::apps::v1::DaemonSetSpec) -> Vec<FieldError> {
    let sel = present(&spec.selector);
    let mut errs = validate_label_selector(sel, "spec.selector");
    let selects_everything = sel.is_some_and(selector_is_empty);
    if !selects_everything && !selector_matches(sel, template_labels(&spec.template)) {
        errs.push(FieldError::invalid(
            "spec.template.metadata.labels",
            go_string_map(template_labels(&spec.template)),
            MISMATCH,
        ));
    }
    if selects_everything {
        errs.push(FieldError::invalid(
            "spec.selector",
            go_label_selector(&spec.selector),
            "empty selector is invalid for daemonset",
        ));
    }
    errs.extend(validate_pod_template_spec(&spec.template, "spec.template"));
    let rp = template_restart_policy(&spec.template);
    if rp != "Always" {
        errs.push(FieldError::not_supported(
            "spec.template.spec.restartPolicy",
            rp,
            &["Always"],
        ));
    }
    if let Some(ads) = spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.active_deadline_seconds)
    {
        errs.push(FieldError::invalid(
            "spec.template.spec.activeDeadlineSeconds",
            ads.to_string(),
            "activeDeadlineSeconds in DaemonSet is not Supported",
        ));
    }
    nonnegative(
        spec.min_ready_seconds.unwrap_or(0).into(),
        "spec.minReadySeconds",
        &mut errs,
    );
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    match strategy.type_.as_deref().unwrap_or("") {
        "OnDelete" => {}
        "RollingUpdate" => match strategy.rolling_update.as_ref() {
            None => errs.push(FieldError::required(
                "spec.updateStrategy.rollingUpdate",
                "",
            )),
            Some(ru) => {
                let p = "spec.updateStrategy.rollingUpdate";
                let (mu, ms) = (ru.max_unavailable.as_ref(), ru.max_surge.as_ref());
                validate_positive_int_or_percent(mu, &format!("{p}.maxUnavailable"), &mut errs);
                validate_positive_int_or_percent(ms, &format!("{p}.maxSurge"), &mut errs);
                if int_or_percent_value(mu).0 == 0 && int_or_percent_value(ms).0 == 0 {
                    errs.push(FieldError::invalid(
                        format!("{p}.maxUnavailable"),
                        go_int_or_string(mu),
                        "may not be 0 when `maxSurge` is 0",
                    ));
                }
                not_more_than_100_percent(mu, &format!("{p}.maxUnavailable"), &mut errs);
                not_more_than_100_percent(ms, &format!("{p}.maxSurge"), &mut errs);
            }
        },
        other => errs.push(FieldError::not_supported(
            "spec.updateStrategy",
            other,
            &["OnDelete", "RollingUpdate"],
        )),
    }
    if let Some(r) = spec.revision_history_limit {
        nonnegative(r.into(), "spec.revisionHistoryLimit", &mut errs);
    }
    errs
}

/// The selector and labels the job strategy generates when `manualSelector` is not true:
/// `batch.kubernetes.io/controller-uid=<uid>` (and the legacy `controller-uid`) plus
/// `batch.kubernetes.io/job-name`/`job-name` on the template.
pub fn generate_job_selector(job: &mut Job, uid: &str) {
    let name = job.metadata.name.clone().unwrap_or_default();
    let Some(spec) = job.spec.as_mut() else {
        return;
    };
    if spec.manual_selector == Some(true) {
        return;
    }
    let labels = spec
        .template
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(Default::default);
    labels.insert("batch.kubernetes.io/controller-uid".into(), uid.into());
    labels.insert("batch.kubernetes.io/job-name".into(), name.clone());
    labels.insert("controller-uid".into(), uid.into());
    labels.insert("job-name".into(), name);
    let mut match_labels = BTreeMap::new();
    match_labels.insert(
        "batch.kubernetes.io/controller-uid".to_string(),
        uid.to_string(),
    );
    spec.selector = Some(LabelSelector {
        match_labels: Some(match_labels),
        match_expressions: None,
    });
}

/// `ValidateJob` (after the strategy generated the selector).
pub fn validate_job(job: &Job) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&job.metadata, true, name_is_dns_subdomain, "metadata");
    let spec = job.spec.clone().unwrap_or_default();
    if spec.manual_selector != Some(true) && spec.selector.is_some() {
        let uid = job.metadata.uid.as_deref().unwrap_or("");
        if uid.is_empty() {
            errs.push(FieldError::required("metadata.uid", ""));
        }
    }
    for (v, p) in [
        (spec.parallelism.map(i64::from), "spec.parallelism"),
        (spec.completions.map(i64::from), "spec.completions"),
        (spec.active_deadline_seconds, "spec.activeDeadlineSeconds"),
        (spec.backoff_limit.map(i64::from), "spec.backoffLimit"),
        (
            spec.ttl_seconds_after_finished.map(i64::from),
            "spec.ttlSecondsAfterFinished",
        ),
    ] {
        if let Some(v) = v {
            nonnegative(v, p, &mut errs);
        }
    }
    if let Some(mode) = spec.completion_mode.as_deref() {
        if mode != "NonIndexed" && mode != "Indexed" {
            errs.push(FieldError::not_supported(
                "spec.completionMode",
                mode,
                &["NonIndexed", "Indexed"],
            ));
        }
        if mode == "Indexed" && spec.completions.is_none() {
            errs.push(FieldError::required(
                "spec.completions",
                "when completion mode is Indexed",
            ));
        }
    }
    if let Some(p) = spec.pod_replacement_policy.as_deref() {
        let allowed: &[&str] = if spec.pod_failure_policy.is_some() {
            &["Failed"]
        } else {
            &["Failed", "TerminatingOrFailed"]
        };
        if !allowed.contains(&p) {
            errs.push(FieldError::not_supported(
                "spec.podReplacementPolicy",
                p,
                allowed,
            ));
        }
    }
    errs.extend(validate_pod_template_spec(&spec.template, "spec.template"));
    match template_restart_policy(&spec.template) {
        "Always" | "" => errs.push(FieldError::required(
            "spec.template.spec.restartPolicy",
            "valid values: \"OnFailure\", \"Never\"",
        )),
        "OnFailure" | "Never" => {}
        other => errs.push(FieldError::not_supported(
            "spec.template.spec.restartPolicy",
            other,
            &["OnFailure", "Never"],
        )),
    }
    match spec.selector.as_ref() {
        None => errs.push(FieldError::required("spec.selector", "")),
        Some(s) => errs.extend(validate_label_selector(Some(s), "spec.selector")),
    }
    let selects_everything = spec.selector.as_ref().is_some_and(selector_is_empty);
    if !selects_everything
        && !selector_matches(spec.selector.as_ref(), template_labels(&spec.template))
    {
        errs.push(FieldError::invalid(
            "spec.template.metadata.labels",
            go_string_map(template_labels(&spec.template)),
            MISMATCH,
        ));
    }
    errs
}

fn immutable_selector(
    new: Option<&LabelSelector>,
    old: Option<&LabelSelector>,
    path: &str,
) -> Vec<FieldError> {
    if new == old {
        return Vec::new();
    }
    let value = new.map_or_else(|| "null".to_string(), go_label_selector);
    vec![FieldError::invalid(path, value, "field is immutable")]
}

/// Deployment update: the spec rules, then (apps/v1) the immutable selector, last.
pub fn validate_deployment_update(new: &Deployment, old: &Deployment) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &old.metadata, "metadata");
    let mut create = validate_deployment(new);
    create.retain(|e| !e.field.starts_with("metadata."));
    errs.extend(create);
    errs.extend(immutable_selector(
        new.spec.as_ref().and_then(|s| present(&s.selector)),
        old.spec.as_ref().and_then(|s| present(&s.selector)),
        "spec.selector",
    ));
    errs
}

/// ReplicaSet update: the spec rules, then (apps/v1) the immutable selector, last.
pub fn validate_replica_set_update(new: &ReplicaSet, old: &ReplicaSet) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &old.metadata, "metadata");
    let mut create = validate_replica_set(new);
    create.retain(|e| !e.field.starts_with("metadata."));
    errs.extend(create);
    errs.extend(immutable_selector(
        new.spec.as_ref().and_then(|s| present(&s.selector)),
        old.spec.as_ref().and_then(|s| present(&s.selector)),
        "spec.selector",
    ));
    errs
}

/// DaemonSet update: the immutable selector comes before the spec rules.
pub fn validate_daemon_set_update(new: &DaemonSet, old: &DaemonSet) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &old.metadata, "metadata");
    errs.extend(immutable_selector(
        new.spec.as_ref().and_then(|s| present(&s.selector)),
        old.spec.as_ref().and_then(|s| present(&s.selector)),
        "spec.selector",
    ));
    errs.extend(validate_daemon_set_spec(
        &new.spec.clone().unwrap_or_default(),
    ));
    errs
}

/// Job update: completions, selector, template, completionMode and podFailurePolicy may not
/// change (the template may while the job is suspended and has never started).
pub fn validate_job_update(new: &Job, old: &Job) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &old.metadata, "metadata");
    let mut create = validate_job(new);
    create.retain(|e| !e.field.starts_with("metadata."));
    errs.extend(create);
    let (ns, os) = (
        new.spec.clone().unwrap_or_default(),
        old.spec.clone().unwrap_or_default(),
    );
    if ns.completions != os.completions {
        let v = ns
            .completions
            .map_or_else(|| "null".to_string(), |c| c.to_string());
        errs.push(FieldError::invalid(
            "spec.completions",
            v,
            "field is immutable",
        ));
    }
    errs.extend(immutable_selector(
        ns.selector.as_ref(),
        os.selector.as_ref(),
        "spec.selector",
    ));
    let never_started = new
        .status
        .as_ref()
        .and_then(|s| s.start_time.as_ref())
        .is_none();
    let suspended = ns.suspend == Some(true);
    if !(suspended && never_started) && ns.template != os.template {
        errs.push(FieldError::invalid(
            "spec.template",
            "core.PodTemplateSpec{…}",
            "field is immutable",
        ));
    }
    if ns.completion_mode != os.completion_mode {
        let v = ns
            .completion_mode
            .as_deref()
            .map_or_else(|| "null".to_string(), go_quote);
        errs.push(FieldError::invalid(
            "spec.completionMode",
            v,
            "field is immutable",
        ));
    }
    if ns.pod_failure_policy != os.pod_failure_policy {
        errs.push(FieldError::invalid(
            "spec.podFailurePolicy",
            "batch.PodFailurePolicy{…}",
            "field is immutable",
        ));
    }
    errs
}
