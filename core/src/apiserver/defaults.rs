//! Scheme defaulting, as the API server applies it while decoding a request body (upstream
//! `pkg/apis/*/v1/defaults.go` plus the generated `zz_generated.defaults.go` walkers and the
//! declarative `+default` markers), and the canonical form of every resource quantity.
//!
//! What is *not* here because upstream does it elsewhere: a Service's `clusterIP(s)`,
//! `ipFamilies` and `ipFamilyPolicy` (allocated by the Service REST storage), a Namespace's
//! `spec.finalizers: [kubernetes]` (the namespace strategy's `PrepareForCreate`), a Job's
//! generated selector and `controller-uid` labels (the job strategy), and everything admission
//! adds (service account, priority, default tolerations, LimitRanger).

pub mod image;
mod pod_spec;

use super::errors::{ApiError, Reason};
use crate::object::Object;
use crate::quantity::Quantity;
use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;
use std::collections::BTreeMap;

pub use image::image_pull_policy_for;

/// Applies upstream's scheme defaults to a freshly decoded object, in place.
///
/// Fails with the decode error upstream answers (400 BadRequest) when a quantity cannot be
/// parsed: `Pod in version "v1" cannot be handled as a Pod: quantities must match …`.
pub fn set_defaults(obj: &mut Object) -> Result<(), ApiError> {
    let info = obj.info();
    let decode_error = |e: crate::quantity::QuantityError| {
        ApiError::new(
            Reason::BadRequest,
            format!(
                "{kind} in version \"{version}\" cannot be handled as a {kind}: {e}",
                kind = info.kind,
                version = info.version
            ),
        )
    };
    match obj {
        Object::Pod(pod) => {
            let spec = pod.spec.get_or_insert_with(Default::default);
            pod_spec::set_pod_only_defaults(spec);
            pod_spec::set_pod_spec_defaults(spec).map_err(decode_error)?;
        }
        Object::ReplicaSet(rs) => {
            let spec = rs.spec.get_or_insert_with(Default::default);
            spec.replicas.get_or_insert(1);
            if let Some(t) = spec.template.as_mut() {
                pod_spec::set_template_defaults(t).map_err(decode_error)?;
            }
        }
        Object::Deployment(d) => {
            let spec = d.spec.get_or_insert_with(Default::default);
            spec.replicas.get_or_insert(1);
            let strategy = spec.strategy.get_or_insert_with(Default::default);
            let ty = strategy.type_.get_or_insert_with(|| "RollingUpdate".into());
            if ty == "RollingUpdate" {
                let ru = strategy.rolling_update.get_or_insert_with(Default::default);
                ru.max_unavailable.get_or_insert_with(|| percent("25%"));
                ru.max_surge.get_or_insert_with(|| percent("25%"));
            }
            spec.revision_history_limit.get_or_insert(10);
            spec.progress_deadline_seconds.get_or_insert(600);
            pod_spec::set_template_defaults(&mut spec.template).map_err(decode_error)?;
        }
        Object::DaemonSet(ds) => {
            let spec = ds.spec.get_or_insert_with(Default::default);
            let strategy = spec.update_strategy.get_or_insert_with(Default::default);
            let ty = strategy.type_.get_or_insert_with(|| "RollingUpdate".into());
            if ty == "RollingUpdate" {
                use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
                let ru = strategy.rolling_update.get_or_insert_with(Default::default);
                ru.max_unavailable.get_or_insert(IntOrString::Int(1));
                ru.max_surge.get_or_insert(IntOrString::Int(0));
            }
            spec.revision_history_limit.get_or_insert(10);
            pod_spec::set_template_defaults(&mut spec.template).map_err(decode_error)?;
        }
        Object::Job(job) => {
            let spec = job.spec.get_or_insert_with(Default::default);
            if spec.completions.is_none() && spec.parallelism.is_none() {
                spec.completions = Some(1);
                spec.parallelism = Some(1);
            }
            spec.parallelism.get_or_insert(1);
            if spec.backoff_limit.is_none() {
                spec.backoff_limit = Some(if spec.backoff_limit_per_index.is_some() {
                    i32::MAX
                } else {
                    6
                });
            }
            let template_labels = spec
                .template
                .metadata
                .as_ref()
                .and_then(|m| m.labels.clone());
            if let Some(labels) = template_labels {
                if job.metadata.labels.as_ref().is_none_or(BTreeMap::is_empty) {
                    job.metadata.labels = Some(labels);
                }
            }
            spec.completion_mode
                .get_or_insert_with(|| "NonIndexed".into());
            spec.suspend.get_or_insert(false);
            if let Some(pfp) = spec.pod_failure_policy.as_mut() {
                for rule in &mut pfp.rules {
                    for pattern in rule.on_pod_conditions.iter_mut().flatten() {
                        if pattern.status.is_empty() {
                            pattern.status = "True".into();
                        }
                    }
                }
            }
            if spec.pod_replacement_policy.is_none() {
                spec.pod_replacement_policy = Some(if spec.pod_failure_policy.is_some() {
                    "Failed".into()
                } else {
                    "TerminatingOrFailed".into()
                });
            }
            spec.manual_selector.get_or_insert(false);
            pod_spec::set_template_defaults(&mut spec.template).map_err(decode_error)?;
        }
        Object::Service(svc) => set_service_defaults(svc),
        Object::Namespace(ns) => {
            if let Some(name) = ns.metadata.name.clone().filter(|n| !n.is_empty()) {
                ns.metadata
                    .labels
                    .get_or_insert_with(Default::default)
                    .insert("kubernetes.io/metadata.name".into(), name);
            }
            let status = ns.status.get_or_insert_with(Default::default);
            status.phase.get_or_insert_with(|| "Active".into());
        }
        Object::Secret(s) => {
            if s.type_.as_deref().unwrap_or("").is_empty() {
                s.type_ = Some("Opaque".into());
            }
        }
        Object::PersistentVolumeClaim(pvc) => {
            let spec = pvc.spec.get_or_insert_with(Default::default);
            spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
            if let Some(r) = spec.resources.as_mut() {
                canonicalize_list(&mut r.limits).map_err(decode_error)?;
                canonicalize_list(&mut r.requests).map_err(decode_error)?;
            }
            let status = pvc.status.get_or_insert_with(Default::default);
            status.phase.get_or_insert_with(|| "Pending".into());
        }
        Object::PersistentVolume(pv) => {
            let spec = pv.spec.get_or_insert_with(Default::default);
            spec.persistent_volume_reclaim_policy
                .get_or_insert_with(|| "Retain".into());
            spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
            if let Some(hp) = spec.host_path.as_mut() {
                hp.type_.get_or_insert_with(String::new);
            }
            canonicalize_list(&mut spec.capacity).map_err(decode_error)?;
            let status = pv.status.get_or_insert_with(Default::default);
            status.phase.get_or_insert_with(|| "Pending".into());
        }
        Object::LimitRange(lr) => {
            for item in lr.spec.iter_mut().flat_map(|s| s.limits.iter_mut()) {
                if item.type_ == "Container" {
                    let default = item.default.get_or_insert_with(Default::default);
                    for (k, v) in item.max.iter().flatten() {
                        default.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                    let request = item.default_request.get_or_insert_with(Default::default);
                    for (k, v) in default.iter() {
                        request.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                    for (k, v) in item.min.iter().flatten() {
                        request.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                for list in [
                    &mut item.max,
                    &mut item.min,
                    &mut item.default,
                    &mut item.default_request,
                    &mut item.max_limit_request_ratio,
                ] {
                    canonicalize_list(list).map_err(decode_error)?;
                }
            }
        }
        Object::ResourceQuota(rq) => {
            if let Some(spec) = rq.spec.as_mut() {
                canonicalize_list(&mut spec.hard).map_err(decode_error)?;
            }
            if let Some(status) = rq.status.as_mut() {
                canonicalize_list(&mut status.hard).map_err(decode_error)?;
                canonicalize_list(&mut status.used).map_err(decode_error)?;
            }
        }
        Object::Node(node) => {
            if let Some(status) = node.status.as_mut() {
                if status.allocatable.is_none() && status.capacity.is_some() {
                    status.allocatable = status.capacity.clone();
                }
                canonicalize_list(&mut status.capacity).map_err(decode_error)?;
                canonicalize_list(&mut status.allocatable).map_err(decode_error)?;
            }
        }
        Object::PriorityClass(pc) => {
            pc.preemption_policy
                .get_or_insert_with(|| "PreemptLowerPriority".into());
        }
        Object::RoleBinding(rb) => {
            set_role_ref_defaults(&mut rb.role_ref);
            rb.subjects
                .iter_mut()
                .flatten()
                .for_each(set_subject_defaults);
        }
        Object::ClusterRoleBinding(rb) => {
            set_role_ref_defaults(&mut rb.role_ref);
            rb.subjects
                .iter_mut()
                .flatten()
                .for_each(set_subject_defaults);
        }
        Object::EndpointSlice(es) => {
            for port in es.ports.iter_mut().flatten() {
                port.name.get_or_insert_with(String::new);
                port.protocol.get_or_insert_with(|| "TCP".into());
            }
        }
        Object::ConfigMap(_)
        | Object::ServiceAccount(_)
        | Object::Event(_)
        | Object::Role(_)
        | Object::ClusterRole(_)
        | Object::Lease(_) => {}
    }
    Ok(())
}

fn percent(s: &str) -> k8s_openapi::apimachinery::pkg::util::intstr::IntOrString {
    k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s.into())
}

fn set_service_defaults(svc: &mut k8s_openapi::api::core::v1::Service) {
    use k8s_openapi::api::core::v1::{ClientIPConfig, SessionAffinityConfig};
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let spec = svc.spec.get_or_insert_with(Default::default);
    if spec.session_affinity.as_deref().unwrap_or("").is_empty() {
        spec.session_affinity = Some("None".into());
    }
    match spec.session_affinity.as_deref() {
        Some("None") => spec.session_affinity_config = None,
        Some("ClientIP") => {
            let has_timeout = spec
                .session_affinity_config
                .as_ref()
                .and_then(|c| c.client_ip.as_ref())
                .and_then(|c| c.timeout_seconds)
                .is_some();
            if !has_timeout {
                spec.session_affinity_config = Some(SessionAffinityConfig {
                    client_ip: Some(ClientIPConfig {
                        timeout_seconds: Some(10800),
                    }),
                });
            }
        }
        _ => {}
    }
    if spec.type_.as_deref().unwrap_or("").is_empty() {
        spec.type_ = Some("ClusterIP".into());
    }
    for port in spec.ports.iter_mut().flatten() {
        if port.protocol.as_deref().unwrap_or("").is_empty() {
            port.protocol = Some("TCP".into());
        }
        let unset = match &port.target_port {
            None => true,
            Some(IntOrString::Int(0)) => true,
            Some(IntOrString::String(s)) => s.is_empty(),
            Some(IntOrString::Int(_)) => false,
        };
        if unset {
            port.target_port = Some(IntOrString::Int(port.port));
        }
    }
    let ty = spec.type_.clone().unwrap_or_default();
    let externally_accessible = ty == "LoadBalancer"
        || ty == "NodePort"
        || (ty == "ClusterIP" && spec.external_ips.as_ref().is_some_and(|v| !v.is_empty()));
    if externally_accessible
        && spec
            .external_traffic_policy
            .as_deref()
            .unwrap_or("")
            .is_empty()
    {
        spec.external_traffic_policy = Some("Cluster".into());
    }
    if spec.internal_traffic_policy.is_none()
        && matches!(ty.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP")
    {
        spec.internal_traffic_policy = Some("Cluster".into());
    }
    if ty == "LoadBalancer" {
        spec.allocate_load_balancer_node_ports.get_or_insert(true);
        if let Some(lb) = svc.status.as_mut().and_then(|s| s.load_balancer.as_mut()) {
            for ing in lb.ingress.iter_mut().flatten() {
                if ing.ip.as_deref().is_some_and(|ip| !ip.is_empty()) && ing.ip_mode.is_none() {
                    ing.ip_mode = Some("VIP".into());
                }
            }
        }
    }
}

fn set_role_ref_defaults(r: &mut k8s_openapi::api::rbac::v1::RoleRef) {
    if r.api_group.is_empty() {
        r.api_group = "rbac.authorization.k8s.io".into();
    }
}

fn set_subject_defaults(s: &mut k8s_openapi::api::rbac::v1::Subject) {
    if s.api_group.as_deref().unwrap_or("").is_empty() {
        match s.kind.as_str() {
            "ServiceAccount" => s.api_group = Some(String::new()),
            "User" | "Group" => s.api_group = Some("rbac.authorization.k8s.io".into()),
            _ => {}
        }
    }
}

/// Rewrites one quantity in its canonical form (`1.5Gi` → `1536Mi`), as decoding does for every
/// quantity.
pub fn canonicalize_quantity(q: &mut ApiQuantity) -> Result<(), crate::quantity::QuantityError> {
    let parsed = Quantity::parse(q.0.trim())?;
    q.0 = parsed.canonical();
    Ok(())
}

/// Rounds every quantity of a resource list up to milli precision and rewrites it canonically
/// (`SetDefaults_ResourceList`): `cpu: 0.5` → `500m`, `cpu: 0.1m` → `1m`.
pub fn canonicalize_list(
    list: &mut Option<BTreeMap<String, ApiQuantity>>,
) -> Result<(), crate::quantity::QuantityError> {
    for q in list.iter_mut().flat_map(|l| l.values_mut()) {
        let parsed = Quantity::parse(q.0.trim())?;
        q.0 = parsed.round_up_to_milli().canonical();
    }
    Ok(())
}

fn canonicalize_requirements(
    r: &mut Option<ResourceRequirements>,
) -> Result<(), crate::quantity::QuantityError> {
    let r = r.get_or_insert_with(Default::default);
    canonicalize_list(&mut r.limits)?;
    canonicalize_list(&mut r.requests)
}

#[cfg(test)]
mod tests;
