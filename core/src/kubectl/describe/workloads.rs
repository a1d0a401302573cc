//! `describeDeployment` and `describeReplicaSet`: replica counts, the rollout strategy, the pod
//! template, conditions, the old and new ReplicaSets, and the events.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::events::describe_events;
use super::format::{annotations_multiline, labels_multiline, rfc1123z};
use super::pod::controlled_by;
use super::template::describe_pod_template;
use super::writer::{PrefixWriter, LEVEL_0, LEVEL_1};
use crate::kubectl::selector::{format_label_selector, selector_string};
use crate::object::Object;
use crate::sim::SimTime;

/// `Pods Status:` counts of the pods a controller owns, by phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PodCounts {
    /// Phase Running.
    pub running: usize,
    /// Phase Pending.
    pub waiting: usize,
    /// Phase Succeeded.
    pub succeeded: usize,
    /// Phase Failed.
    pub failed: usize,
}

/// `getPodStatusForController`: pods in `pods` matching the selector whose controller is `uid`.
pub fn pod_counts(
    pods: &[Arc<Object>],
    selector: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>,
    uid: &str,
) -> PodCounts {
    let mut counts = PodCounts::default();
    for o in pods {
        let Object::Pod(p) = &**o else { continue };
        let matches = selector.is_some_and(|s| {
            crate::scheduler::selectors::label_selector_matches(s, p.metadata.labels.as_ref())
        });
        let owned = p
            .metadata
            .owner_references
            .iter()
            .flatten()
            .any(|r| r.controller == Some(true) && r.uid == uid);
        if !matches || !owned {
            continue;
        }
        match p.status.as_ref().and_then(|s| s.phase.as_deref()) {
            Some("Running") => counts.running += 1,
            Some("Pending") => counts.waiting += 1,
            Some("Succeeded") => counts.succeeded += 1,
            Some("Failed") => counts.failed += 1,
            _ => {}
        }
    }
    counts
}

fn name_and_namespace(w: &mut PrefixWriter, meta: &ObjectMeta) {
    w.write(
        LEVEL_0,
        &format!("Name:\t{}\n", meta.name.as_deref().unwrap_or("")),
    );
    w.write(
        LEVEL_0,
        &format!("Namespace:\t{}\n", meta.namespace.as_deref().unwrap_or("")),
    );
}

/// The description of a ReplicaSet with the counts of its pods and its events.
pub fn describe_replica_set(
    rs: &ReplicaSet,
    pods: PodCounts,
    events: &[Event],
    now: SimTime,
) -> String {
    let mut writer = PrefixWriter::new();
    let w = &mut writer;
    let spec = rs.spec.clone().unwrap_or_default();
    let status = rs.status.clone().unwrap_or_default();
    name_and_namespace(w, &rs.metadata);
    w.write(
        LEVEL_0,
        &format!(
            "Selector:\t{}\n",
            format_label_selector(Some(&spec.selector))
        ),
    );
    labels_multiline(w, "Labels", rs.metadata.labels.as_ref());
    annotations_multiline(w, "Annotations", rs.metadata.annotations.as_ref());
    let controller = controlled_by(&rs.metadata);
    if !controller.is_empty() {
        w.write(LEVEL_0, &format!("Controlled By:\t{controller}\n"));
    }
    w.write(
        LEVEL_0,
        &format!(
            "Replicas:\t{} current / {} desired\n",
            status.replicas,
            spec.replicas.unwrap_or(0)
        ),
    );
    w.write(LEVEL_0, "Pods Status:\t");
    w.write(
        LEVEL_0,
        &format!(
            "{} Running / {} Waiting / {} Succeeded / {} Failed\n",
            pods.running, pods.waiting, pods.succeeded, pods.failed
        ),
    );
    describe_pod_template(w, spec.template.as_ref());
    let conditions = status.conditions.clone().unwrap_or_default();
    if !conditions.is_empty() {
        w.write(LEVEL_0, "Conditions:\n  Type\tStatus\tReason\n");
        w.write(LEVEL_1, "----\t------\t------\n");
        for c in &conditions {
            w.write(
                LEVEL_1,
                &format!(
                    "{} \t{}\t{}\n",
                    c.type_,
                    c.status,
                    c.reason.as_deref().unwrap_or("")
                ),
            );
        }
    }
    describe_events(w, events, now);
    writer.finish()
}

fn int_or_string(v: Option<&IntOrString>) -> String {
    match v {
        Some(IntOrString::Int(i)) => i.to_string(),
        Some(IntOrString::String(s)) => s.clone(),
        None => "0".into(),
    }
}

/// `printReplicaSetsByLabels`: `name (current/desired replicas created)`, or `<none>`.
fn replica_sets_line(sets: &[&ReplicaSet]) -> String {
    let list: Vec<String> = sets
        .iter()
        .map(|rs| {
            format!(
                "{} ({}/{} replicas created)",
                rs.metadata.name.as_deref().unwrap_or(""),
                rs.status.as_ref().map_or(0, |s| s.replicas),
                rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
            )
        })
        .collect();
    if list.is_empty() {
        "<none>".into()
    } else {
        list.join(", ")
    }
}

/// kubectl's `GetAllReplicaSets`: the Deployment's ReplicaSets (selector match and controller
/// reference), split into all the old ones and the new one (the oldest whose template equals the
/// Deployment's, ignoring `pod-template-hash`).
pub fn old_and_new_replica_sets<'a>(
    d: &Deployment,
    sets: &'a [ReplicaSet],
) -> (Vec<&'a ReplicaSet>, Option<&'a ReplicaSet>) {
    let uid = d.metadata.uid.clone().unwrap_or_default();
    let spec = d.spec.clone().unwrap_or_default();
    let mut owned: Vec<&ReplicaSet> = sets
        .iter()
        .filter(|rs| {
            crate::scheduler::selectors::label_selector_matches(
                &spec.selector,
                rs.metadata.labels.as_ref(),
            )
        })
        .filter(|rs| {
            rs.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|r| r.controller == Some(true) && r.uid == uid)
        })
        .collect();
    owned.sort_by(|a, b| {
        let key = |rs: &ReplicaSet| {
            (
                rs.metadata.creation_timestamp.as_ref().map(|t| t.0),
                rs.metadata.name.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    let target = crate::controllers::deployment_util::without_hash(&spec.template);
    let new = owned.iter().copied().find(|rs| {
        rs.spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .map(crate::controllers::deployment_util::without_hash)
            == Some(target.clone())
    });
    let old = owned
        .into_iter()
        .filter(|rs| new.is_none_or(|n| n.metadata.uid != rs.metadata.uid))
        .collect();
    (old, new)
}

/// The description of a Deployment with its ReplicaSets and events.
pub fn describe_deployment(
    d: &Deployment,
    sets: &[ReplicaSet],
    events: &[Event],
    now: SimTime,
) -> String {
    let mut writer = PrefixWriter::new();
    let w = &mut writer;
    let spec = d.spec.clone().unwrap_or_default();
    let status = d.status.clone().unwrap_or_default();
    name_and_namespace(w, &d.metadata);
    w.write(
        LEVEL_0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z(d.metadata.creation_timestamp.as_ref())
        ),
    );
    labels_multiline(w, "Labels", d.metadata.labels.as_ref());
    annotations_multiline(w, "Annotations", d.metadata.annotations.as_ref());
    w.write(
        LEVEL_0,
        &format!(
            "Selector:\t{}\n",
            selector_string(Some(&spec.selector)).unwrap_or_default()
        ),
    );
    w.write(
        LEVEL_0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
            spec.replicas.unwrap_or(0),
            status.updated_replicas.unwrap_or(0),
            status.replicas.unwrap_or(0),
            status.available_replicas.unwrap_or(0),
            status.unavailable_replicas.unwrap_or(0)
        ),
    );
    let strategy = spec.strategy.clone().unwrap_or_default();
    w.write(
        LEVEL_0,
        &format!(
            "StrategyType:\t{}\n",
            strategy.type_.as_deref().unwrap_or("")
        ),
    );
    w.write(
        LEVEL_0,
        &format!(
            "MinReadySeconds:\t{}\n",
            spec.min_ready_seconds.unwrap_or(0)
        ),
    );
    if let Some(ru) = &strategy.rolling_update {
        w.write(
            LEVEL_0,
            &format!(
                "RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
                int_or_string(ru.max_unavailable.as_ref()),
                int_or_string(ru.max_surge.as_ref())
            ),
        );
    }
    describe_pod_template(w, Some(&spec.template));
    let conditions = status.conditions.clone().unwrap_or_default();
    if !conditions.is_empty() {
        w.write(LEVEL_0, "Conditions:\n  Type\tStatus\tReason\n");
        w.write(LEVEL_1, "----\t------\t------\n");
        for c in &conditions {
            w.write(
                LEVEL_1,
                &format!(
                    "{} \t{}\t{}\n",
                    c.type_,
                    c.status,
                    c.reason.as_deref().unwrap_or("")
                ),
            );
        }
    }
    let (old, new) = old_and_new_replica_sets(d, sets);
    if !old.is_empty() || new.is_some() {
        w.write(
            LEVEL_0,
            &format!("OldReplicaSets:\t{}\n", replica_sets_line(&old)),
        );
        let new: Vec<&ReplicaSet> = new.into_iter().collect();
        w.write(
            LEVEL_0,
            &format!("NewReplicaSet:\t{}\n", replica_sets_line(&new)),
        );
    }
    describe_events(w, events, now);
    writer.finish()
}
