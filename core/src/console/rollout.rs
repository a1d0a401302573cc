//! `kubectl rollout status|undo|history` for Deployments (and `status` for DaemonSets), as
//! kubectl's `polymorphichelpers` compute them from the objects: status is printed once, as
//! with `--watch=false`.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use super::args::Args;
use super::{namespace, type_and_name, Output};
use crate::apiserver::UserInfo;
use crate::cluster::Cluster;
use crate::object::{kind_for_resource, Object};

const REVISION: &str = "deployment.kubernetes.io/revision";
const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
/// Annotations `rollout undo` keeps from the Deployment rather than copying from the ReplicaSet.
const SKIPPED: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// `kubectl rollout SUBCOMMAND TYPE/NAME`.
pub fn rollout(cluster: &mut Cluster, a: &Args, rest: &[String], user: &UserInfo) -> Output {
    let Some((sub, target)) = rest.split_first() else {
        return Output::err("error: Required subcommand: one of history, status, undo");
    };
    let (t, name) = match type_and_name(target) {
        Ok(x) => x,
        Err(e) => return Output::err(e),
    };
    let Some(info) = kind_for_resource(&t) else {
        return Output::err(format!(
            "error: the server doesn't have a resource type \"{t}\""
        ));
    };
    let ns = namespace(a);
    let Some(obj) = cluster.api().get(info.kind, &ns, &name) else {
        let resource = if info.group.is_empty() {
            info.resource.to_string()
        } else {
            format!("{}.{}", info.resource, info.group)
        };
        return Output::err(format!(
            "Error from server (NotFound): {resource} \"{name}\" not found"
        ));
    };
    match (sub.as_str(), &*obj) {
        ("status", Object::Deployment(d)) => deployment_status(d),
        ("status", Object::DaemonSet(ds)) => {
            let status = ds.status.clone().unwrap_or_default();
            let observed =
                ds.metadata.generation.unwrap_or(0) <= status.observed_generation.unwrap_or(0);
            let desired = status.desired_number_scheduled;
            let updated = status.updated_number_scheduled.unwrap_or(0);
            let available = status.number_available.unwrap_or(0);
            let line = if !observed {
                "Waiting for daemon set spec update to be observed...".to_string()
            } else if updated < desired {
                format!("Waiting for daemon set \"{name}\" rollout to finish: {updated} out of {desired} new pods have been updated...")
            } else if available < desired {
                format!("Waiting for daemon set \"{name}\" rollout to finish: {available} of {desired} updated pods are available...")
            } else {
                format!("daemon set \"{name}\" successfully rolled out")
            };
            Output::ok(format!("{line}\n"))
        }
        ("undo", Object::Deployment(d)) => {
            let to = a
                .value(&["to-revision"])
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0);
            undo(cluster, d, to, user)
        }
        ("history", Object::Deployment(d)) => {
            let mut revisions: Vec<(i64, String)> = replica_sets(cluster, d)
                .iter()
                .filter_map(|rs| {
                    let a = rs.metadata.annotations.clone().unwrap_or_default();
                    let r = a.get(REVISION)?.parse::<i64>().ok()?;
                    let cause = a
                        .get(CHANGE_CAUSE)
                        .cloned()
                        .filter(|c| !c.is_empty())
                        .unwrap_or_else(|| "<none>".into());
                    Some((r, cause))
                })
                .collect();
            revisions.sort();
            // `rollout history` writes through a tabwriter with 2 spaces of padding.
            let width = revisions
                .iter()
                .map(|(r, _)| r.to_string().len())
                .chain(std::iter::once("REVISION".len()))
                .max()
                .unwrap_or(8)
                + 2;
            let mut table = format!("{:<width$}CHANGE-CAUSE\n", "REVISION");
            for (r, cause) in revisions {
                table.push_str(&format!("{:<width$}{cause}\n", r.to_string()));
            }
            Output::ok(format!("{}/{name} \n{table}\n", info.kubectl_resource()))
        }
        (sub @ ("status" | "undo" | "history"), _) => Output::err(format!(
            "error: no {} has been implemented for {}",
            match sub {
                "status" => "status viewer",
                "undo" => "rollbacker",
                _ => "history viewer",
            },
            info.kind
        )),
        (other, _) => Output::err(format!(
            "error: unknown command \"{other}\" for \"kubectl rollout\""
        )),
    }
}

/// `DeploymentStatusViewer.Status`.
fn deployment_status(d: &Deployment) -> Output {
    let name = d.metadata.name.clone().unwrap_or_default();
    let status = d.status.clone().unwrap_or_default();
    if d.metadata.generation.unwrap_or(0) > status.observed_generation.unwrap_or(0) {
        return Output::ok("Waiting for deployment spec update to be observed...\n".into());
    }
    let timed_out = status.conditions.iter().flatten().any(|c| {
        c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    });
    if timed_out {
        return Output::err(format!(
            "error: deployment \"{name}\" exceeded its progress deadline"
        ));
    }
    let replicas = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let updated = status.updated_replicas.unwrap_or(0);
    let total = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    let line = if updated < replicas {
        format!("Waiting for deployment \"{name}\" rollout to finish: {updated} out of {replicas} new replicas have been updated...")
    } else if total > updated {
        format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...",
            total - updated
        )
    } else if available < updated {
        format!("Waiting for deployment \"{name}\" rollout to finish: {available} of {updated} updated replicas are available...")
    } else {
        format!("deployment \"{name}\" successfully rolled out")
    };
    Output::ok(format!("{line}\n"))
}

/// The Deployment's ReplicaSets: those it controls.
fn replica_sets(cluster: &Cluster, d: &Deployment) -> Vec<ReplicaSet> {
    let uid = d.metadata.uid.clone();
    cluster
        .objects(&["ReplicaSet"])
        .iter()
        .filter_map(|o| match &**o {
            Object::ReplicaSet(rs)
                if rs.metadata.namespace == d.metadata.namespace
                    && rs
                        .metadata
                        .owner_references
                        .iter()
                        .flatten()
                        .any(|r| r.controller == Some(true) && Some(&r.uid) == uid.as_ref()) =>
            {
                Some((**rs).clone())
            }
            _ => None,
        })
        .collect()
}

/// `DeploymentRollbacker.Rollback`: the previous (or asked-for) revision's template and
/// annotations go back into the Deployment.
fn undo(cluster: &mut Cluster, d: &Deployment, to: i64, user: &UserInfo) -> Output {
    let name = d.metadata.name.clone().unwrap_or_default();
    let revision = |rs: &ReplicaSet| {
        rs.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION))
            .and_then(|r| r.parse::<i64>().ok())
    };
    let sets = replica_sets(cluster, d);
    let target = if to > 0 {
        match sets.iter().find(|rs| revision(rs) == Some(to)) {
            Some(rs) => rs.clone(),
            None => {
                return Output::err(format!(
                    "error: unable to find specified revision {to} in history"
                ))
            }
        }
    } else {
        let mut by_revision: Vec<(i64, &ReplicaSet)> = sets
            .iter()
            .filter_map(|rs| Some((revision(rs)?, rs)))
            .collect();
        by_revision.sort_by_key(|(r, _)| std::cmp::Reverse(*r));
        match by_revision.get(1) {
            Some((_, rs)) => (*rs).clone(),
            None => {
                return Output::err(format!(
                    "error: no rollout history found for deployment \"{name}\""
                ))
            }
        }
    };
    let mut template = target
        .spec
        .as_ref()
        .and_then(|s| s.template.clone())
        .unwrap_or_default();
    if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove("pod-template-hash");
    }
    let current = d
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    if template == current {
        return Output::ok(format!(
            "deployment.apps/{name} skipped rollback (current template already matches revision {to})\n"
        ));
    }
    let mut annotations = std::collections::BTreeMap::new();
    for (k, v) in d.metadata.annotations.iter().flatten() {
        if SKIPPED.contains(&k.as_str()) {
            annotations.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in target.metadata.annotations.iter().flatten() {
        if !SKIPPED.contains(&k.as_str()) {
            annotations.insert(k.clone(), v.clone());
        }
    }
    let mut updated = d.clone();
    updated.metadata.annotations = Some(annotations);
    if let Some(spec) = updated.spec.as_mut() {
        spec.template = template;
    }
    Output::results(&[cluster.patch_object(
        Object::from(updated),
        user,
        format!("deployment.apps/{name} rolled back"),
    )])
}
