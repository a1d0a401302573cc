//! Validation as the API server runs it after defaulting and admission: one entry point for
//! creates and one for updates, each returning upstream's field errors in upstream's order
//! (which decides the order of kubectl's `* ` lines). Wrap them with
//! [`ApiError::invalid`](crate::apiserver::ApiError::invalid) to answer 422.

pub mod containers;
pub mod diff;
pub mod meta;
pub mod names;
pub mod other;
pub mod pod;
pub mod render;
pub mod resources;
pub mod scheduling;
pub mod service;
pub mod volumes;
pub mod workloads;

use crate::apiserver::errors::FieldError;
use crate::object::Object;
use meta::{validate_object_meta, validate_object_meta_update};
use names::{name_is_dns_subdomain, name_is_path_segment};

/// Runs `check` at the field path `path()` builds, building it only when `check` finds
/// something: most objects are valid, and a path is a `format!` per field checked. `check` runs
/// at the empty path first and, when it reports errors, again at the real one (validation reads
/// only the object, so both runs find the same errors).
pub fn under(
    path: impl FnOnce() -> String,
    check: impl Fn(&str) -> Vec<FieldError>,
) -> Vec<FieldError> {
    let errs = check("");
    if errs.is_empty() {
        errs
    } else {
        check(&path())
    }
}

/// Validates an object about to be created.
pub fn validate_create(obj: &Object) -> Vec<FieldError> {
    match obj {
        Object::Pod(p) => pod::validate_pod_create(p),
        Object::ReplicaSet(rs) => workloads::validate_replica_set(rs),
        Object::Deployment(d) => workloads::validate_deployment(d),
        Object::DaemonSet(ds) => workloads::validate_daemon_set(ds),
        Object::Job(j) => workloads::validate_job(j),
        Object::Service(s) => service::validate_service(s),
        Object::Namespace(ns) => other::validate_namespace(&ns.metadata),
        Object::ConfigMap(cm) => other::validate_config_map(cm),
        Object::Secret(s) => other::validate_secret(s),
        Object::LimitRange(lr) => other::validate_limit_range(lr),
        Object::ResourceQuota(rq) => other::validate_resource_quota(rq),
        Object::PersistentVolumeClaim(pvc) => other::validate_pvc(pvc),
        Object::PriorityClass(pc) => other::validate_priority_class(pc),
        Object::Role(r) => {
            let mut errs =
                validate_object_meta(&r.metadata, true, name_is_path_segment, "metadata");
            errs.extend(other::validate_policy_rules(
                r.rules.as_deref().unwrap_or(&[]),
                true,
            ));
            errs
        }
        Object::ClusterRole(r) => {
            let mut errs =
                validate_object_meta(&r.metadata, false, name_is_path_segment, "metadata");
            if r.aggregation_rule.is_none() {
                errs.extend(other::validate_policy_rules(
                    r.rules.as_deref().unwrap_or(&[]),
                    false,
                ));
            }
            errs
        }
        Object::RoleBinding(b) => {
            let mut errs =
                validate_object_meta(&b.metadata, true, name_is_path_segment, "metadata");
            errs.extend(other::validate_binding(
                &b.role_ref,
                b.subjects.as_deref().unwrap_or(&[]),
                true,
            ));
            errs
        }
        Object::ClusterRoleBinding(b) => {
            let mut errs =
                validate_object_meta(&b.metadata, false, name_is_path_segment, "metadata");
            errs.extend(other::validate_binding(
                &b.role_ref,
                b.subjects.as_deref().unwrap_or(&[]),
                false,
            ));
            errs
        }
        Object::ServiceAccount(_)
        | Object::Event(_)
        | Object::Lease(_)
        | Object::EndpointSlice(_) => {
            validate_object_meta(obj.meta(), true, name_is_dns_subdomain, "metadata")
        }
        Object::Node(_) | Object::PersistentVolume(_) => {
            validate_object_meta(obj.meta(), false, name_is_dns_subdomain, "metadata")
        }
    }
}

/// Validates an update of `old` to `new`, including what may not change.
pub fn validate_update(new: &Object, old: &Object) -> Vec<FieldError> {
    match (new, old) {
        (Object::Pod(n), Object::Pod(o)) => pod::validate_pod_update(n, o),
        (Object::Deployment(n), Object::Deployment(o)) => {
            workloads::validate_deployment_update(n, o)
        }
        (Object::ReplicaSet(n), Object::ReplicaSet(o)) => {
            workloads::validate_replica_set_update(n, o)
        }
        (Object::DaemonSet(n), Object::DaemonSet(o)) => workloads::validate_daemon_set_update(n, o),
        (Object::Job(n), Object::Job(o)) => workloads::validate_job_update(n, o),
        (Object::Service(n), Object::Service(o)) => service::validate_service_update(n, o),
        _ => {
            let mut errs = validate_object_meta_update(new.meta(), old.meta(), "metadata");
            let mut create = validate_create(new);
            create.retain(|e| !e.field.starts_with("metadata."));
            errs.extend(create);
            errs
        }
    }
}

#[cfg(test)]
mod tests;
