//! Whether a finished run is right: every phase made its pods, the waited-for ones are bound (or
//! Running and Ready on the full path), the unschedulable ones are not, no node holds more pods
//! than it allows, and each template's placement rule holds (node affinity, topology spread,
//! pod affinity and anti-affinity).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Pod;
use podflow_core::apiserver::Lookup;
use podflow_core::object::Object;
use podflow_core::Cluster;

use crate::manifests::ZONE_LABEL;
use crate::shape::{Create, Shape, Template};

fn pods(cluster: &Cluster, namespace: &str) -> Vec<Pod> {
    cluster
        .api()
        .lookup()
        .list("Pod", Some(namespace))
        .iter()
        .filter_map(|o| match &**o {
            Object::Pod(p) => Some((**p).clone()),
            _ => None,
        })
        .collect()
}

fn node_of(pod: &Pod) -> Option<&str> {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .filter(|n| !n.is_empty())
}

/// Whether the pod is Running with its Ready condition True.
pub(crate) fn running_and_ready(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    status.and_then(|s| s.phase.as_deref()) == Some("Running")
        && status
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True")
}

fn zones(cluster: &Cluster) -> BTreeMap<String, String> {
    cluster
        .api()
        .lookup()
        .list("Node", None)
        .iter()
        .filter_map(|o| {
            let meta = o.meta();
            let zone = meta.labels.as_ref()?.get(ZONE_LABEL)?.clone();
            Some((meta.name.clone()?, zone))
        })
        .collect()
}

fn name(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or(""),
        pod.metadata.name.as_deref().unwrap_or("")
    )
}

/// Checks a run of `shape` that ended with `cluster`; the first problem found is the error.
pub fn check(shape: &Shape, cluster: &Cluster) -> Result<(), String> {
    let zones = zones(cluster);
    let mut per_node: BTreeMap<String, usize> = BTreeMap::new();
    let mut anti_affinity_nodes: BTreeSet<String> = BTreeSet::new();
    for phase in &shape.phases {
        let ns = phase.create.namespace();
        let pods = pods(cluster, ns);
        if pods.len() != phase.create.pods() {
            return Err(format!(
                "{}: {} pods in {ns}, want {}",
                shape.name,
                pods.len(),
                phase.create.pods()
            ));
        }
        let template = match &phase.create {
            Create::Pods { template, .. } => Some(*template),
            Create::Deployments { .. } => None,
        };
        let mut spread: BTreeMap<&str, usize> = BTreeMap::new();
        for pod in &pods {
            let node = node_of(pod);
            if let Some(n) = node {
                *per_node.entry(n.to_string()).or_insert(0) += 1;
            }
            if !phase.wait {
                if let Some(n) = node {
                    return Err(format!(
                        "{}: {} should not fit, but is on {n}",
                        shape.name,
                        name(pod)
                    ));
                }
                continue;
            }
            let Some(node) = node else {
                return Err(format!("{}: {} is not bound", shape.name, name(pod)));
            };
            if shape.full_path && !running_and_ready(pod) {
                return Err(format!(
                    "{}: {} is not Running and Ready",
                    shape.name,
                    name(pod)
                ));
            }
            let zone = zones.get(node).map(String::as_str);
            match template {
                Some(Template::NodeAffinity) if !matches!(zone, Some("zone1" | "zone2")) => {
                    return Err(format!(
                        "{}: {} is on {node} in zone {zone:?}",
                        shape.name,
                        name(pod)
                    ));
                }
                Some(Template::PodAffinity) if zone != Some("zone1") => {
                    return Err(format!(
                        "{}: {} is on {node} in zone {zone:?}",
                        shape.name,
                        name(pod)
                    ));
                }
                Some(Template::PodAntiAffinity)
                    if !anti_affinity_nodes.insert(node.to_string()) =>
                {
                    return Err(format!(
                        "{}: {} shares {node} with another green pod",
                        shape.name,
                        name(pod)
                    ));
                }
                Some(Template::TopologySpreading) => {
                    *spread.entry(zone.unwrap_or("")).or_insert(0) += 1;
                }
                _ => {}
            }
        }
        if template == Some(Template::TopologySpreading) {
            let counts: Vec<usize> = shape
                .zones
                .iter()
                .map(|z| spread.get(z).copied().unwrap_or(0))
                .collect();
            let (min, max) = (
                counts.iter().min().copied().unwrap_or(0),
                counts.iter().max().copied().unwrap_or(0),
            );
            if max - min > 5 {
                return Err(format!(
                    "{}: zone spread {counts:?} skews more than 5",
                    shape.name
                ));
            }
        }
    }
    if let Some((node, n)) = per_node
        .iter()
        .find(|(_, n)| **n > shape.node_pods as usize)
    {
        return Err(format!(
            "{}: {n} pods on {node}, more than {}",
            shape.name, shape.node_pods
        ));
    }
    Ok(())
}

/// Runs the workload `name` at smoke size and checks it.
#[cfg(not(target_arch = "wasm32"))]
pub fn smoke(name: &str) -> Result<crate::Outcome, String> {
    smoke_with(name, &crate::clock::SystemClock::new())
}

/// Runs the workload `name` at smoke size, timed by `clock`, and checks it.
pub fn smoke_with(name: &str, clock: &dyn crate::clock::Clock) -> Result<crate::Outcome, String> {
    let shape = Shape::named(name, crate::shape::Scale::Smoke)
        .ok_or_else(|| format!("unknown workload {name:?}"))?;
    let (outcome, cluster) = crate::run::run_with(&shape, clock)?;
    check(&shape, &cluster)?;
    Ok(outcome)
}

/// A fingerprint of a finished run: an FNV-1a hash over every trace step still kept and every
/// stored object as JSON. Two builds that behave the same give the same fingerprint.
pub fn fingerprint(cluster: &Cluster) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |s: &str| {
        for b in s.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for step in cluster.trace().steps() {
        feed(&step.time.to_string());
        feed(&step.component);
        feed(step.stage.as_str());
        feed(&step.object);
        feed(&step.detail);
    }
    for object in cluster.objects(&[]) {
        feed(&object.to_json().to_string());
    }
    h
}

/// Runs the workload `name` at smoke size and fingerprints the run.
#[cfg(not(target_arch = "wasm32"))]
pub fn smoke_fingerprint(name: &str) -> Result<(u64, usize), String> {
    let shape = Shape::named(name, crate::shape::Scale::Smoke)
        .ok_or_else(|| format!("unknown workload {name:?}"))?;
    let (_, cluster) = crate::run::run(&shape)?;
    Ok((fingerprint(&cluster), cluster.trace().steps().count()))
}

/// The soak at smoke size, checked: the crash loop crashed, the rollouts and node failures
/// happened, and nothing that should be bounded grew past its bound (Events live an hour).
pub fn smoke_soak() -> Result<crate::soak::SoakOutcome, String> {
    let shape = crate::soak::SoakShape::SMOKE;
    let o = crate::soak::soak(shape, 1, || None)?;
    let last = o.samples.last().ok_or("the soak took no sample")?;
    if last.at.0 != shape.hours * 3_600_000 {
        return Err(format!("the soak ended at {}", last.at));
    }
    if o.restarts == 0 {
        return Err("the crash-looping Deployment never restarted".into());
    }
    if o.rollouts != shape.hours as usize * 2 || o.node_failures != 1 {
        return Err(format!(
            "{} rollouts and {} node failures in {} h",
            o.rollouts, o.node_failures, shape.hours
        ));
    }
    if let Some(stale) = o.oldest_event.filter(|t| last.at.since(*t).0 > 3_661_000) {
        return Err(format!(
            "an Event last written at {stale} is still stored at {}",
            last.at
        ));
    }
    Ok(o)
}
