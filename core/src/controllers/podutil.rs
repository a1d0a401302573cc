//! Pod and owner helpers shared by the workload controllers, as upstream's `podutil` and
//! `controller_utils.go`: readiness, availability with minReadySeconds, active pods, controller
//! references.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::object::Object;
use crate::sim::{SimDuration, SimTime};

/// The pod an object is, if it is one.
pub fn as_pod(object: &Object) -> Option<&Pod> {
    match object {
        Object::Pod(p) => Some(&**p),
        _ => None,
    }
}

/// The pod's `Ready` condition is `True` (`podutil.IsPodReady`).
pub fn is_ready(pod: &Pod) -> bool {
    ready_since(pod).is_some()
}

/// When the pod's `Ready` condition last became `True`, if it is `True`.
pub fn ready_since(pod: &Pod) -> Option<SimTime> {
    let cond = pod
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")?;
    if cond.status != "True" {
        return None;
    }
    Some(
        cond.last_transition_time
            .as_ref()
            .map(SimTime::from_k8s_time)
            .unwrap_or(SimTime::ZERO),
    )
}

/// `podutil.IsPodAvailable`: ready, and for longer than `min_ready_seconds` (strictly).
pub fn is_available(pod: &Pod, min_ready_seconds: i32, now: SimTime) -> bool {
    match ready_since(pod) {
        None => false,
        Some(_) if min_ready_seconds <= 0 => true,
        Some(since) => since.plus(SimDuration::secs(min_ready_seconds as u64)) < now,
    }
}

/// The pod's phase (`""` when unset).
pub fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

/// `controller.IsPodActive`: not Succeeded, not Failed, not being deleted.
pub fn is_active(pod: &Pod) -> bool {
    !matches!(phase(pod), "Succeeded" | "Failed") && pod.metadata.deletion_timestamp.is_none()
}

/// The node the pod is bound to (`""` when unscheduled).
pub fn node_name(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .unwrap_or("")
}

/// The owner reference with `controller: true`, if any (`metav1.GetControllerOf`).
pub fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
}

/// `metav1.NewControllerRef`: controller and blockOwnerDeletion set.
pub fn controller_ref(owner: &Object) -> OwnerReference {
    let info = owner.info();
    let meta = owner.meta();
    OwnerReference {
        api_version: info.api_version.to_string(),
        kind: info.kind.to_string(),
        name: meta.name.clone().unwrap_or_default(),
        uid: meta.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// `namespace/name` of an object.
pub fn key_of(meta: &ObjectMeta) -> (String, String) {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

/// The creation time of an object (zero when unset).
pub fn created(meta: &ObjectMeta) -> SimTime {
    meta.creation_timestamp
        .as_ref()
        .map(SimTime::from_k8s_time)
        .unwrap_or(SimTime::ZERO)
}
