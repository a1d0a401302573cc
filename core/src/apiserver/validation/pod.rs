//! Pods and PodSpecs (`ValidatePodCreate`, `ValidatePodSpec`, `ValidatePodTemplateSpec`,
//! `ValidatePodUpdate`), in upstream's order of checks.

use super::containers::{
    dns1123_label, validate_container_common, validate_containers,
    validate_containers_only_for_pod, validate_init_containers,
};
use super::meta::{
    validate_annotations, validate_labels, validate_object_meta, validate_object_meta_update,
};
use super::names::{inclusive_range_error, is_dns1123_subdomain, name_is_dns_subdomain};
use super::scheduling::{
    validate_affinity, validate_scheduling_gates, validate_tolerations, validate_topology_spread,
};
use super::under;
use super::volumes::validate_volumes;
use crate::apiserver::errors::{go_quote, FieldError};
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodTemplateSpec, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The fields a Pod update may change, as the Forbidden error lists them.
pub const UPDATABLE_POD_SPEC_FIELDS: &[&str] = &[
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
];

/// Whether the spec is a Pod's own (some rules apply only there) or a template's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecOf {
    /// A Pod's spec.
    Pod,
    /// A pod template's spec inside a workload.
    Template,
}

fn id_range(v: Option<i64>, path: String, errs: &mut Vec<FieldError>) {
    if let Some(v) = v {
        if !(0..=i64::from(i32::MAX)).contains(&v) {
            errs.push(FieldError::invalid(
                path,
                v.to_string(),
                inclusive_range_error(0, i32::MAX.into()),
            ));
        }
    }
}

/// `ValidatePodSpec`.
pub fn validate_pod_spec(spec: &PodSpec, of: SpecOf, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let grace = spec.termination_grace_period_seconds;
    if grace.is_none() {
        errs.push(FieldError::required(
            format!("{path}.terminationGracePeriodSeconds"),
            "",
        ));
    }
    let (vols, vol_errs) = validate_volumes(
        spec.volumes.as_deref().unwrap_or(&[]),
        &format!("{path}.volumes"),
    );
    errs.extend(vol_errs);
    errs.extend(under(
        || format!("{path}.containers"),
        |at| validate_containers(&spec.containers, &vols, grace, at),
    ));
    errs.extend(under(
        || format!("{path}.initContainers"),
        |at| {
            validate_init_containers(
                spec.init_containers.as_deref().unwrap_or(&[]),
                &spec.containers,
                &vols,
                grace,
                at,
            )
        },
    ));
    // Ephemeral containers: only their common rules (they may not be set on create anyway).
    for (i, ec) in spec.ephemeral_containers.iter().flatten().enumerate() {
        if let Ok(c) = serde_json::to_value(ec).and_then(serde_json::from_value::<Container>) {
            errs.extend(under(
                || format!("{path}.ephemeralContainers[{i}]"),
                |at| validate_container_common(&c, &vols, at),
            ));
        }
    }
    if spec.host_network == Some(true) {
        for (i, c) in spec.containers.iter().enumerate() {
            for (j, p) in c.ports.iter().flatten().enumerate() {
                let hp = p.host_port.unwrap_or(0);
                if (of == SpecOf::Pod || hp != 0) && hp != p.container_port {
                    errs.push(FieldError::invalid(
                        format!("{path}.containers[{i}].ports[{j}].hostPort"),
                        hp.to_string(),
                        "must match `containerPort` when `hostNetwork` is true",
                    ));
                }
            }
        }
    }
    match spec.restart_policy.as_deref().unwrap_or("") {
        "Always" | "OnFailure" | "Never" => {}
        "" => errs.push(FieldError::required(format!("{path}.restartPolicy"), "")),
        other => errs.push(FieldError::not_supported(
            format!("{path}.restartPolicy"),
            other,
            &["Always", "OnFailure", "Never"],
        )),
    }
    match spec.dns_policy.as_deref().unwrap_or("") {
        "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None" => {}
        "" => errs.push(FieldError::required(format!("{path}.dnsPolicy"), "")),
        other => errs.push(FieldError::not_supported(
            format!("{path}.dnsPolicy"),
            other,
            &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        )),
    }
    errs.extend(under(
        || format!("{path}.nodeSelector"),
        |at| validate_labels(spec.node_selector.as_ref(), at),
    ));
    if let Some(sc) = spec.security_context.as_ref() {
        let p = format!("{path}.securityContext");
        id_range(sc.fs_group, format!("{p}.fsGroup"), &mut errs);
        id_range(sc.run_as_user, format!("{p}.runAsUser"), &mut errs);
        id_range(sc.run_as_group, format!("{p}.runAsGroup"), &mut errs);
        for (i, g) in sc.supplemental_groups.iter().flatten().enumerate() {
            id_range(Some(*g), format!("{p}.supplementalGroups[{i}]"), &mut errs);
        }
    }
    errs.extend(under(
        || format!("{path}.affinity"),
        |at| validate_affinity(spec.affinity.as_ref(), at),
    ));
    if spec.dns_policy.as_deref() == Some("None") {
        match spec.dns_config.as_ref() {
            None => errs.push(FieldError::required(
                format!("{path}.dnsConfig"),
                "must provide `dnsConfig` when `dnsPolicy` is None",
            )),
            Some(c) if c.nameservers.as_ref().is_none_or(Vec::is_empty) => {
                errs.push(FieldError::required(
                    format!("{path}.dnsConfig.nameservers"),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                ))
            }
            Some(_) => {}
        }
    }
    errs.extend(under(
        || format!("{path}.schedulingGates"),
        |at| validate_scheduling_gates(spec.scheduling_gates.as_deref().unwrap_or(&[]), at),
    ));
    errs.extend(under(
        || format!("{path}.topologySpreadConstraints"),
        |at| {
            validate_topology_spread(
                spec.topology_spread_constraints.as_deref().unwrap_or(&[]),
                at,
            )
        },
    ));
    for (field, value) in [
        ("serviceAccountName", spec.service_account_name.as_deref()),
        ("nodeName", spec.node_name.as_deref()),
    ] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            for m in name_is_dns_subdomain(v, false) {
                errs.push(FieldError::invalid(
                    format!("{path}.{field}"),
                    go_quote(v),
                    m,
                ));
            }
        }
    }
    if let Some(ads) = spec.active_deadline_seconds {
        if !(1..=i64::from(i32::MAX)).contains(&ads) {
            errs.push(FieldError::invalid(
                format!("{path}.activeDeadlineSeconds"),
                ads.to_string(),
                inclusive_range_error(1, i32::MAX.into()),
            ));
        }
    }
    for (field, value) in [
        ("hostname", spec.hostname.as_deref()),
        ("subdomain", spec.subdomain.as_deref()),
    ] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            errs.extend(under(
                || format!("{path}.{field}"),
                |at| dns1123_label(v, at),
            ));
        }
    }
    if let Some(ts) = spec.tolerations.as_deref().filter(|t| !t.is_empty()) {
        errs.extend(under(
            || format!("{path}.tolerations"),
            |at| validate_tolerations(ts, at),
        ));
    }
    if let Some(pc) = spec
        .priority_class_name
        .as_deref()
        .filter(|v| !v.is_empty())
    {
        for m in is_dns1123_subdomain(pc) {
            errs.push(FieldError::invalid(
                format!("{path}.priorityClassName"),
                go_quote(pc),
                m,
            ));
        }
    }
    if let Some(pp) = spec.preemption_policy.as_deref() {
        match pp {
            "PreemptLowerPriority" | "Never" => {}
            "" => errs.push(FieldError::required(format!("{path}.preemptionPolicy"), "")),
            other => errs.push(FieldError::not_supported(
                format!("{path}.preemptionPolicy"),
                other,
                &["PreemptLowerPriority", "Never"],
            )),
        }
    }
    if let Some(os) = spec.os.as_ref() {
        if os.name != "linux" && os.name != "windows" {
            errs.push(FieldError::not_supported(
                format!("{path}.os.name"),
                &os.name,
                &["linux", "windows"],
            ));
        }
    }
    errs
}

/// `ValidatePodTemplateSpec`.
pub fn validate_pod_template_spec(t: &PodTemplateSpec, path: &str) -> Vec<FieldError> {
    let no_meta = ObjectMeta::default();
    let meta = t.metadata.as_ref().unwrap_or(&no_meta);
    let mut errs = validate_labels(meta.labels.as_ref(), &format!("{path}.labels"));
    errs.extend(under(
        || format!("{path}.annotations"),
        |at| validate_annotations(meta.annotations.as_ref(), at),
    ));
    let no_spec = PodSpec::default();
    let spec = t.spec.as_ref().unwrap_or(&no_spec);
    errs.extend(under(
        || format!("{path}.spec"),
        |at| validate_pod_spec(spec, SpecOf::Template, at),
    ));
    if spec
        .ephemeral_containers
        .as_ref()
        .is_some_and(|e| !e.is_empty())
    {
        errs.push(FieldError::forbidden(
            format!("{path}.spec.ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
    errs
}

fn validate_pod_metadata_and_spec(pod: &Pod) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&pod.metadata, true, name_is_dns_subdomain, "metadata");
    let no_spec = PodSpec::default();
    let spec = pod.spec.as_ref().unwrap_or(&no_spec);
    errs.extend(validate_pod_spec(spec, SpecOf::Pod, "spec"));
    if spec
        .service_account_name
        .as_deref()
        .unwrap_or("")
        .is_empty()
    {
        for (vi, v) in spec.volumes.iter().flatten().enumerate() {
            for (si, s) in v
                .projected
                .iter()
                .flat_map(|p| p.sources.iter().flatten())
                .enumerate()
            {
                if s.service_account_token.is_some() {
                    errs.push(FieldError::forbidden(
                        format!("spec.volumes[{vi}].projected.sources[{si}].serviceAccountToken"),
                        "must not be specified when serviceAccountName is not set",
                    ));
                }
            }
        }
    }
    errs.extend(validate_containers_only_for_pod(
        &spec.containers,
        "spec.containers",
    ));
    errs.extend(validate_containers_only_for_pod(
        spec.init_containers.as_deref().unwrap_or(&[]),
        "spec.initContainers",
    ));
    errs
}

/// `ValidatePodCreate`.
pub fn validate_pod_create(pod: &Pod) -> Vec<FieldError> {
    let mut errs = validate_pod_metadata_and_spec(pod);
    let no_spec = PodSpec::default();
    let spec = pod.spec.as_ref().unwrap_or(&no_spec);
    if spec
        .ephemeral_containers
        .as_ref()
        .is_some_and(|e| !e.is_empty())
    {
        errs.push(FieldError::forbidden(
            "spec.ephemeralContainers",
            "cannot be set on create",
        ));
    }
    if !spec.node_name.as_deref().unwrap_or("").is_empty()
        && spec
            .scheduling_gates
            .as_ref()
            .is_some_and(|g| !g.is_empty())
    {
        errs.push(FieldError::forbidden(
            "spec.nodeName",
            "cannot be set until all schedulingGates have been cleared",
        ));
    }
    errs
}

fn validate_container_updates(
    new: &[Container],
    old: &[Container],
    path: &str,
) -> (Vec<FieldError>, bool) {
    if new.len() != old.len() {
        return (
            vec![FieldError::forbidden(
                path,
                "pod updates may not add or remove containers",
            )],
            true,
        );
    }
    let mut errs = Vec::new();
    for (i, c) in new.iter().enumerate() {
        let image = c.image.as_deref().unwrap_or("");
        if image.is_empty() {
            errs.push(FieldError::required(format!("{path}[{i}].image"), ""));
        }
        if image.trim() != image {
            errs.push(FieldError::invalid(
                format!("{path}[{i}].image"),
                go_quote(image),
                "must not have leading or trailing whitespace",
            ));
        }
    }
    (errs, false)
}

fn only_added_tolerations(new: &[Toleration], old: &[Toleration], path: &str) -> Vec<FieldError> {
    for o in old {
        let found = new.iter().any(|n| {
            let mut o = o.clone();
            o.toleration_seconds = n.toleration_seconds;
            &o == n
        });
        if !found {
            return vec![FieldError::forbidden(
                path,
                "existing toleration can not be modified except its tolerationSeconds",
            )];
        }
    }
    validate_tolerations(new, path)
}

/// `ValidatePodUpdate`: only images, `activeDeadlineSeconds`, added tolerations, removed
/// scheduling gates and a negative grace period set to 1 may change.
pub fn validate_pod_update(new: &Pod, old: &Pod) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &old.metadata, "metadata");
    errs.extend(validate_pod_metadata_and_spec(new));
    let ns = new.spec.clone().unwrap_or_default();
    let os = old.spec.clone().unwrap_or_default();
    let (e, stop) = validate_container_updates(&ns.containers, &os.containers, "spec.containers");
    errs.extend(e);
    if stop {
        return errs;
    }
    let empty = Vec::new();
    let (new_inits, old_inits) = (
        ns.init_containers.as_ref().unwrap_or(&empty),
        os.init_containers.as_ref().unwrap_or(&empty),
    );
    let (e, stop) = validate_container_updates(new_inits, old_inits, "spec.initContainers");
    errs.extend(e);
    if stop {
        return errs;
    }
    match (ns.active_deadline_seconds, os.active_deadline_seconds) {
        (Some(n), _) if !(0..=i64::from(i32::MAX)).contains(&n) => {
            errs.push(FieldError::invalid(
                "spec.activeDeadlineSeconds",
                n.to_string(),
                inclusive_range_error(0, i32::MAX.into()),
            ));
            return errs;
        }
        (Some(n), Some(o)) if o < n => {
            errs.push(FieldError::invalid(
                "spec.activeDeadlineSeconds",
                n.to_string(),
                "must be less than or equal to previous value",
            ));
            return errs;
        }
        (None, Some(_)) => errs.push(FieldError::invalid(
            "spec.activeDeadlineSeconds",
            "null",
            "must not update from a positive integer to nil value",
        )),
        _ => {}
    }
    errs.extend(only_added_tolerations(
        ns.tolerations.as_deref().unwrap_or(&[]),
        os.tolerations.as_deref().unwrap_or(&[]),
        "spec.tolerations",
    ));
    let old_gates: Vec<&str> = os
        .scheduling_gates
        .iter()
        .flatten()
        .map(|g| g.name.as_str())
        .collect();
    for (i, g) in ns.scheduling_gates.iter().flatten().enumerate() {
        if !old_gates.contains(&g.name.as_str()) {
            errs.push(FieldError::forbidden(
                format!("spec.schedulingGates[{i}].name"),
                format!(
                    "only deletion is allowed, but found new scheduling gate '{}'",
                    g.name
                ),
            ));
        }
    }
    if ns == os {
        return errs;
    }
    let mut munged = ns.clone();
    for (c, o) in munged.containers.iter_mut().zip(&os.containers) {
        c.image = o.image.clone();
    }
    for (c, o) in munged.init_containers.iter_mut().flatten().zip(old_inits) {
        c.image = o.image.clone();
    }
    munged.active_deadline_seconds = os.active_deadline_seconds;
    munged.scheduling_gates = os.scheduling_gates.clone();
    munged.tolerations = os.tolerations.clone();
    if os.termination_grace_period_seconds.is_some_and(|g| g < 0)
        && munged.termination_grace_period_seconds == Some(1)
    {
        munged.termination_grace_period_seconds = os.termination_grace_period_seconds;
    }
    if os.scheduling_gates.as_ref().is_some_and(|g| !g.is_empty()) {
        // Gated pods may gain node selector entries and node affinity.
        let additions_only = os
            .node_selector
            .iter()
            .flatten()
            .all(|(k, v)| munged.node_selector.as_ref().and_then(|m| m.get(k)) == Some(v));
        if additions_only {
            munged.node_selector = os.node_selector.clone();
        }
    }
    if munged != os {
        errs.push(FieldError::forbidden(
            "spec",
            format!(
                "pod updates may not change fields other than {}\n{}",
                UPDATABLE_POD_SPEC_FIELDS.join(","),
                super::diff::pod_spec_diff(&os, &munged)
            ),
        ));
    }
    errs
}
