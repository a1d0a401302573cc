//! Deployment helpers as upstream's `deployment/util`: replica arithmetic (maxSurge and
//! maxUnavailable fenceposts, the new ReplicaSet's size), revision and replicas annotations,
//! and the Deployment conditions (complete, progressing, timed out).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::object::Draft;
use crate::sim::{SimDuration, SimTime};

/// The label and selector key that ties a ReplicaSet's pods to its template.
pub const HASH_LABEL: &str = "pod-template-hash";
/// `deployment.kubernetes.io/revision`.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// `deployment.kubernetes.io/revision-history`.
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
/// `deployment.kubernetes.io/desired-replicas`.
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
/// `deployment.kubernetes.io/max-replicas`.
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
/// Annotations never copied from a Deployment to its ReplicaSets (`skipCopyAnnotation`).
pub(crate) const SKIP_COPY: [&str; 5] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
];

pub(crate) fn replicas(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

pub(crate) fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
}

pub(crate) fn rs_status(rs: &ReplicaSet) -> (i32, i32, i32) {
    let s = rs.status.clone().unwrap_or_default();
    (
        s.replicas,
        s.ready_replicas.unwrap_or(0),
        s.available_replicas.unwrap_or(0),
    )
}

pub(crate) fn is_rolling(d: &Deployment) -> bool {
    d.spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
        .unwrap_or("RollingUpdate")
        == "RollingUpdate"
}

/// `intstr.GetScaledValueFromIntOrPercent`: percentages of `total`, rounded up or down.
pub fn scaled_value(v: Option<&IntOrString>, total: i32, round_up: bool) -> i32 {
    match v {
        None => 0,
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::String(s)) => {
            let Some(p) = s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) else {
                return s.parse().unwrap_or(0);
            };
            let product = p * i64::from(total);
            let value = if round_up {
                (product + 99).div_euclid(100)
            } else {
                product.div_euclid(100)
            };
            value as i32
        }
    }
}

/// `ResolveFenceposts`: (maxSurge rounded up, maxUnavailable rounded down), never both zero.
pub fn fenceposts(d: &Deployment) -> (i32, i32) {
    let desired = replicas(d);
    let ru = d
        .spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.rolling_update.as_ref());
    let surge = scaled_value(ru.and_then(|r| r.max_surge.as_ref()), desired, true);
    let unavailable = scaled_value(ru.and_then(|r| r.max_unavailable.as_ref()), desired, false);
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

pub(crate) fn max_surge(d: &Deployment) -> i32 {
    if is_rolling(d) {
        fenceposts(d).0
    } else {
        0
    }
}

pub(crate) fn max_unavailable(d: &Deployment) -> i32 {
    if !is_rolling(d) || replicas(d) == 0 {
        return 0;
    }
    fenceposts(d).1.min(replicas(d))
}

pub(crate) fn revision(rs: &ReplicaSet) -> i64 {
    rs.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// `EqualIgnoreHash`: the two templates are equal once the `pod-template-hash` label is removed
/// from both (upstream copies both to remove it; here nothing is copied: the labels are compared
/// without it, every other field as it is).
pub(crate) fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    a.spec == b.spec
        && match (&a.metadata, &b.metadata) {
            (None, None) => true,
            (Some(a), Some(b)) => meta_equal_ignore_hash(a, b),
            _ => false,
        }
}

fn without_hash_label(
    labels: &BTreeMap<String, String>,
) -> impl Iterator<Item = (&String, &String)> {
    labels.iter().filter(|(k, _)| k.as_str() != HASH_LABEL)
}

fn meta_equal_ignore_hash(a: &ObjectMeta, b: &ObjectMeta) -> bool {
    // Every field named, so that a field added to `ObjectMeta` must be added here.
    let ObjectMeta {
        annotations,
        creation_timestamp,
        deletion_grace_period_seconds,
        deletion_timestamp,
        finalizers,
        generate_name,
        generation,
        labels,
        managed_fields,
        name,
        namespace,
        owner_references,
        resource_version,
        self_link,
        uid,
    } = a;
    let labels_equal = match (labels, &b.labels) {
        (None, None) => true,
        (Some(x), Some(y)) => without_hash_label(x).eq(without_hash_label(y)),
        _ => false,
    };
    labels_equal
        && *annotations == b.annotations
        && *creation_timestamp == b.creation_timestamp
        && *deletion_grace_period_seconds == b.deletion_grace_period_seconds
        && *deletion_timestamp == b.deletion_timestamp
        && *finalizers == b.finalizers
        && *generate_name == b.generate_name
        && *generation == b.generation
        && *managed_fields == b.managed_fields
        && *name == b.name
        && *namespace == b.namespace
        && *owner_references == b.owner_references
        && *resource_version == b.resource_version
        && *self_link == b.self_link
        && *uid == b.uid
}

/// The template with the `pod-template-hash` label removed (`EqualIgnoreHash`).
pub(crate) fn without_hash(t: &PodTemplateSpec) -> PodTemplateSpec {
    let mut t = t.clone();
    if let Some(labels) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(HASH_LABEL);
    }
    t
}

pub(crate) fn condition<'a>(
    status: &'a DeploymentStatus,
    type_: &str,
) -> Option<&'a DeploymentCondition> {
    status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == type_)
}

pub(crate) fn new_condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
    now: SimTime,
) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message),
        last_update_time: Some(now.to_k8s_time()),
        last_transition_time: Some(now.to_k8s_time()),
    }
}

/// `SetDeploymentCondition`: no change for the same status and reason; the transition time kept
/// for the same status; the condition moved to the end.
pub(crate) fn set_condition(status: &mut DeploymentStatus, mut cond: DeploymentCondition) {
    if let Some(current) = condition(status, &cond.type_) {
        if current.status == cond.status && current.reason == cond.reason {
            return;
        }
        if current.status == cond.status {
            cond.last_transition_time = current.last_transition_time.clone();
        }
    }
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    conditions.retain(|c| c.type_ != cond.type_);
    conditions.push(cond);
}

pub(crate) fn remove_condition(status: &mut DeploymentStatus, type_: &str) {
    if let Some(c) = status.conditions.as_mut() {
        c.retain(|c| c.type_ != type_);
    }
}

pub(crate) fn sum<R: std::ops::Deref<Target = ReplicaSet>>(
    sets: &[R],
    f: impl Fn(&ReplicaSet) -> i32,
) -> i32 {
    sets.iter().map(|rs| f(rs)).sum()
}

/// `spec.progressDeadlineSeconds` as a span (`None` when unset or the "no deadline" maximum).
pub(crate) fn progress_deadline(d: &Deployment) -> Option<SimDuration> {
    d.spec
        .as_ref()
        .and_then(|s| s.progress_deadline_seconds)
        .filter(|s| *s != i32::MAX && *s >= 0)
        .map(|s| SimDuration::secs(s as u64))
}

/// `DeploymentTimedOut`: the Progressing condition has not been updated within the deadline.
pub(crate) fn timed_out(d: &Deployment, status: &DeploymentStatus, now: SimTime) -> bool {
    let Some(deadline) = progress_deadline(d) else {
        return false;
    };
    let Some(cond) = condition(status, "Progressing") else {
        return false;
    };
    match cond.reason.as_deref() {
        Some("NewReplicaSetAvailable") => false,
        Some("ProgressDeadlineExceeded") => true,
        _ => cond
            .last_update_time
            .as_ref()
            .map(SimTime::from_k8s_time)
            .is_some_and(|from| from.plus(deadline) < now),
    }
}

/// `DeploymentComplete`: every replica updated and available, the latest generation observed.
pub(crate) fn is_complete(d: &Deployment, s: &DeploymentStatus) -> bool {
    let want = replicas(d);
    s.updated_replicas.unwrap_or(0) == want
        && s.replicas.unwrap_or(0) == want
        && s.available_replicas.unwrap_or(0) == want
        && s.observed_generation >= d.metadata.generation
}

/// `DeploymentProgressing`: more updated, fewer old, more ready or more available replicas.
pub(crate) fn is_progressing(old: &DeploymentStatus, new: &DeploymentStatus) -> bool {
    let g = |v: Option<i32>| v.unwrap_or(0);
    let old_old = g(old.replicas) - g(old.updated_replicas);
    let new_old = g(new.replicas) - g(new.updated_replicas);
    g(new.updated_replicas) > g(old.updated_replicas)
        || new_old < old_old
        || g(new.ready_replicas) > g(old.ready_replicas)
        || g(new.available_replicas) > g(old.available_replicas)
}

/// `NewRSNewReplicas`: how big the new ReplicaSet may be now.
pub(crate) fn new_rs_replicas<R: std::ops::Deref<Target = ReplicaSet>>(
    d: &Deployment,
    all: &[R],
    new: &ReplicaSet,
) -> i32 {
    let want = replicas(d);
    if !is_rolling(d) {
        return want;
    }
    let current = sum(all, rs_replicas);
    let max_total = want + fenceposts(d).0;
    if current >= max_total {
        return rs_replicas(new);
    }
    let up = (max_total - current).min(want - rs_replicas(new));
    rs_replicas(new) + up
}

/// `SetDeploymentRevision`: the Deployment's revision annotation; whether it changed.
pub(crate) fn set_deployment_revision(d: &mut Draft<Deployment>, revision: &str) -> bool {
    // Read before written: a draft is copied only when something changes.
    let current = d
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION));
    if current.map(String::as_str) == Some(revision) {
        return false;
    }
    d.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(REVISION.into(), revision.into());
    true
}

/// `SetReplicasAnnotations`: desired-replicas and max-replicas; whether they changed.
pub(crate) fn set_replicas_annotations(rs_meta: &mut ObjectMeta, desired: i32, max: i32) -> bool {
    let annotations = rs_meta.annotations.get_or_insert_with(Default::default);
    let mut changed = false;
    for (k, v) in [(DESIRED_REPLICAS, desired), (MAX_REPLICAS, max)] {
        let v = v.to_string();
        if annotations.get(k) != Some(&v) {
            annotations.insert(k.into(), v);
            changed = true;
        }
    }
    changed
}

/// `SetNewReplicaSetAnnotations`: the Deployment's annotations copied, the revision (and the
/// revision history when a template comes back), and for a new ReplicaSet the replicas
/// annotations; whether anything changed.
pub(crate) fn set_new_rs_annotations(
    d: &Deployment,
    rs_meta: &mut ObjectMeta,
    new_revision: &str,
    exists: bool,
) -> bool {
    let mut changed = false;
    let annotations = rs_meta.annotations.get_or_insert_with(Default::default);
    for (k, v) in d.metadata.annotations.iter().flatten() {
        if SKIP_COPY.contains(&k.as_str()) || annotations.get(k) == Some(v) {
            continue;
        }
        annotations.insert(k.clone(), v.clone());
        changed = true;
    }
    let old_revision = annotations.get(REVISION).cloned();
    let old_number: i64 = old_revision
        .as_deref()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let new_number: i64 = new_revision.parse().unwrap_or(0);
    if old_number < new_number {
        annotations.insert(REVISION.into(), new_revision.into());
        changed = true;
    }
    if changed {
        if let Some(old) = old_revision.filter(|r| !r.is_empty()) {
            if old_number < new_number {
                let history = match annotations.get(REVISION_HISTORY) {
                    Some(h) if !h.is_empty() => format!("{h},{old}"),
                    _ => old,
                };
                annotations.insert(REVISION_HISTORY.into(), history);
            }
        }
    }
    if !exists {
        let desired = replicas(d);
        if set_replicas_annotations(rs_meta, desired, desired + max_surge(d)) {
            changed = true;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use k8s_openapi::api::apps::v1::{DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};

    fn deployment(replicas: i32, surge: IntOrString, unavailable: IntOrString) -> Deployment {
        Deployment {
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                strategy: Some(DeploymentStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(RollingUpdateDeployment {
                        max_surge: Some(surge),
                        max_unavailable: Some(unavailable),
                    }),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn templates_equal_but_for_the_hash_label_are_equal_and_any_other_difference_is_not() {
        let template = |labels: &[(&str, &str)]| PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                ..ObjectMeta::default()
            }),
            spec: None,
        };
        let deployment = template(&[("app", "web")]);
        let replica_set = template(&[("app", "web"), (HASH_LABEL, "5d4b8f7c9")]);
        assert!(equal_ignore_hash(&deployment, &replica_set));
        assert!(equal_ignore_hash(&replica_set, &deployment));
        assert!(!equal_ignore_hash(
            &template(&[("app", "db")]),
            &replica_set
        ));
        assert!(!equal_ignore_hash(
            &template(&[("app", "web"), ("tier", "x")]),
            &replica_set
        ));
        // Only the hash label left: an empty label map, not an absent one (as upstream's
        // deletion from a copy leaves it).
        let no_labels = PodTemplateSpec {
            metadata: Some(ObjectMeta::default()),
            spec: None,
        };
        assert!(!equal_ignore_hash(
            &no_labels,
            &template(&[(HASH_LABEL, "1")])
        ));
        assert!(equal_ignore_hash(
            &template(&[]),
            &template(&[(HASH_LABEL, "1")])
        ));
        // Any other field counts.
        let mut annotated = replica_set.clone();
        annotated.metadata.as_mut().unwrap().annotations =
            Some([("a".to_string(), "b".to_string())].into());
        assert!(!equal_ignore_hash(&deployment, &annotated));
        assert!(!equal_ignore_hash(&deployment, &PodTemplateSpec::default()));
    }

    fn pct(s: &str) -> IntOrString {
        IntOrString::String(s.into())
    }

    #[test]
    fn percentages_round_surge_up_and_unavailable_down() {
        assert_eq!(fenceposts(&deployment(3, pct("25%"), pct("25%"))), (1, 0));
        assert_eq!(fenceposts(&deployment(10, pct("25%"), pct("25%"))), (3, 2));
        assert_eq!(fenceposts(&deployment(4, pct("50%"), pct("50%"))), (2, 2));
        assert_eq!(
            fenceposts(&deployment(5, IntOrString::Int(2), IntOrString::Int(1))),
            (2, 1)
        );
    }

    #[test]
    fn zero_surge_and_zero_unavailable_allow_one_unavailable() {
        assert_eq!(
            fenceposts(&deployment(3, IntOrString::Int(0), IntOrString::Int(0))),
            (0, 1)
        );
        assert_eq!(fenceposts(&deployment(1, pct("0%"), pct("10%"))), (0, 1));
    }

    #[test]
    fn max_unavailable_is_capped_by_replicas_and_zero_for_recreate() {
        assert_eq!(
            max_unavailable(&deployment(2, IntOrString::Int(1), IntOrString::Int(5))),
            2
        );
        let mut recreate = deployment(3, pct("25%"), pct("25%"));
        if let Some(s) = recreate.spec.as_mut() {
            s.strategy = Some(DeploymentStrategy {
                type_: Some("Recreate".into()),
                rolling_update: None,
            });
        }
        assert_eq!((max_unavailable(&recreate), max_surge(&recreate)), (0, 0));
    }

    #[test]
    fn a_condition_keeps_its_transition_time_while_its_status_holds() {
        let mut status = DeploymentStatus::default();
        let t0 = SimTime::ZERO;
        let t1 = SimTime(5_000);
        set_condition(
            &mut status,
            new_condition(
                "Progressing",
                "True",
                "NewReplicaSetCreated",
                "a".into(),
                t0,
            ),
        );
        set_condition(
            &mut status,
            new_condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "b".into(),
                t0,
            ),
        );
        set_condition(
            &mut status,
            new_condition(
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                "c".into(),
                t1,
            ),
        );
        let conditions = status.conditions.unwrap();
        let types: Vec<&str> = conditions.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(types, ["Available", "Progressing"]);
        assert_eq!(conditions[1].last_transition_time, Some(t0.to_k8s_time()));
        assert_eq!(conditions[1].last_update_time, Some(t1.to_k8s_time()));
    }
}
