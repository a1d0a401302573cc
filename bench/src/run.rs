//! Runs a workload: builds the cluster with the shape's nodes, sends each phase's objects at the
//! current virtual time (pods as a client's POSTs, Deployments as `kubectl apply`), steps the
//! simulation until the phase's pods are bound (or Running and Ready on the full path), and
//! times the measured phases in wall time.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use podflow_core::apiserver::UserInfo;
use podflow_core::object::Object;
use podflow_core::sim::{SimDuration, SimTime};
use podflow_core::{Cluster, ClusterConfig};
use serde_json::Value;

use crate::clock::Clock;
use crate::manifests;
use crate::progress::Progress;
use crate::shape::{Create, Phase, Shape};

/// The client that creates the scheduler-only workloads' pods (the `writer` of their writes).
const CLIENT: &str = "scheduler-perf";

/// A run gives up when virtual time passes this without the phase being done.
pub const VIRTUAL_LIMIT: SimDuration = SimDuration::mins(60);

/// What one run of a workload measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The workload.
    pub workload: String,
    /// Nodes in the cluster.
    pub nodes: usize,
    /// Pods the workload created.
    pub pods: usize,
    /// Pods of the measured phases.
    pub measured_pods: usize,
    /// Wall time to build the cluster (nodes, leases, components) and namespaces.
    pub setup: Duration,
    /// Wall time of the measured phases: applying their objects and running until done.
    pub measured: Duration,
    /// CPU time of the measured phases (zero where the platform does not report it).
    pub measured_cpu: Duration,
    /// The kernel's part of `measured_cpu` (zero where the platform does not report it).
    pub measured_kernel: Duration,
    /// Virtual time when the run ended.
    pub virtual_end: SimTime,
    /// Simulation steps taken.
    pub steps: u64,
}

impl Outcome {
    /// Measured pods per wall-clock second.
    pub fn pods_per_sec(&self) -> f64 {
        self.measured_pods as f64 / self.measured.as_secs_f64().max(1e-9)
    }

    /// Wall time per measured pod, in microseconds.
    pub fn micros_per_pod(&self) -> f64 {
        self.measured.as_secs_f64() * 1e6 / self.measured_pods.max(1) as f64
    }
}

/// Sends a phase's objects: Pods as a client's POSTs of one typed template, one per pod, as
/// scheduler_perf's `createPods` does (no manifest, no kubectl); Deployments as the documents
/// of one `kubectl apply -f`, as a user would.
fn create(cluster: &mut Cluster, create: &Create) -> Result<(), String> {
    match create {
        Create::Pods {
            template,
            namespace,
            count,
        } => {
            let template: Pod = serde_json::from_value(manifests::pod(*template, namespace, ""))
                .map_err(|e| format!("the pod template: {e}"))?;
            let admin = UserInfo::admin();
            for i in 0..*count {
                let mut pod = template.clone();
                pod.metadata.name = Some(format!("pod-{i}"));
                let r = cluster.create_object(Object::from(pod), &admin, CLIENT, "bench");
                if !r.ok {
                    return Err(r.message);
                }
            }
            Ok(())
        }
        Create::Deployments {
            namespace,
            count,
            replicas,
        } => apply(
            cluster,
            (0..*count)
                .map(|i| manifests::deployment(namespace, &format!("web-{i}"), *replicas))
                .collect(),
        ),
    }
}

fn apply(cluster: &mut Cluster, values: Vec<Value>) -> Result<(), String> {
    let docs = manifests::documents(values);
    let results = cluster.apply_documents(&docs, "bench.yaml", &UserInfo::admin());
    match results.iter().find(|r| !r.ok) {
        Some(failed) => Err(failed.message.clone()),
        None => Ok(()),
    }
}

/// Steps the cluster until `done` holds; an error when nothing is left to do or virtual time
/// runs past [`VIRTUAL_LIMIT`] first.
fn run_until(
    cluster: &mut Cluster,
    progress: &mut Progress,
    steps: &mut u64,
    done: impl Fn(&Progress) -> bool,
) -> Result<(), String> {
    let limit = SimTime::ZERO.plus(VIRTUAL_LIMIT);
    while !done(progress) {
        if cluster.advance().is_none() {
            return Err(format!("the cluster went quiet at {}", cluster.now()));
        }
        *steps += 1;
        progress.update(cluster);
        if cluster.now() > limit {
            return Err(format!("not done after {} of virtual time", cluster.now()));
        }
    }
    Ok(())
}

fn phase_done(shape: &Shape, phase: &Phase, progress: &Progress) -> bool {
    let ns = phase.create.namespace();
    let want = phase.create.pods();
    if shape.full_path {
        progress.ready(ns) >= want
    } else {
        progress.bound(ns) >= want
    }
}

/// The cluster a shape starts from: its nodes and namespaces, nothing scheduled yet.
pub fn build(shape: &Shape) -> Result<Cluster, String> {
    let mut cluster = Cluster::new(ClusterConfig {
        seed: 1,
        nodes: manifests::nodes(shape),
        without_pod_workers: !shape.full_path,
        ..Default::default()
    });
    let namespaces = shape
        .namespaces()
        .iter()
        .map(|n| manifests::namespace(n))
        .collect();
    apply(&mut cluster, namespaces)?;
    Ok(cluster)
}

/// Runs `shape` once, timed by the native clock; returns what was measured and the cluster as it
/// ended (for checks).
#[cfg(not(target_arch = "wasm32"))]
pub fn run(shape: &Shape) -> Result<(Outcome, Cluster), String> {
    run_with(shape, &crate::clock::SystemClock::new())
}

/// Runs `shape` once, timed by `clock`; returns what was measured and the cluster as it ended.
pub fn run_with(shape: &Shape, clock: &dyn Clock) -> Result<(Outcome, Cluster), String> {
    let started = clock.now();
    let mut cluster = build(shape)?;
    let setup = clock.now().saturating_sub(started);
    let mut progress = Progress::new(&cluster);
    let mut steps = 0;
    let mut measured = Duration::ZERO;
    let mut measured_cpu = Duration::ZERO;
    let mut measured_kernel = Duration::ZERO;
    for phase in &shape.phases {
        let start = clock.now();
        let start_cpu = clock.cpu();
        let start_kernel = clock.kernel();
        create(&mut cluster, &phase.create)?;
        if phase.wait {
            run_until(&mut cluster, &mut progress, &mut steps, |p| {
                phase_done(shape, phase, p)
            })
            .map_err(|e| format!("{}: {e}", shape.name))?;
        }
        if phase.measured {
            measured += clock.now().saturating_sub(start);
            if let (Some(a), Some(b)) = (start_cpu, clock.cpu()) {
                measured_cpu += b.saturating_sub(a);
            }
            if let (Some(a), Some(b)) = (start_kernel, clock.kernel()) {
                measured_kernel += b.saturating_sub(a);
            }
        }
    }
    let outcome = Outcome {
        workload: shape.name.clone(),
        nodes: shape.nodes,
        pods: shape.total_pods(),
        measured_pods: shape.measured_pods(),
        setup,
        measured,
        measured_cpu,
        measured_kernel,
        virtual_end: cluster.now(),
        steps,
    };
    Ok((outcome, cluster))
}
