//! The long-run soak: a churning cluster driven for 24 hours of virtual time — rolling updates
//! every 30 minutes, a crash-looping Deployment, scaling every hour, a node failing and recovering
//! every two hours — sampled every few hours for memory and for the sizes of everything that could
//! grow (store objects, Events, etcd history, change log, trace), so a leak shows as a trend.

use std::time::{Duration, Instant};

use podflow_core::apiserver::Lookup;
use podflow_core::nodes::NodePool;
use podflow_core::object::Object;
use podflow_core::sim::{SimDuration, SimTime};
use podflow_core::{console, Cluster, ClusterConfig};

use crate::rss;

/// How big a soak is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoakShape {
    /// Nodes in the pool.
    pub nodes: usize,
    /// Replicas of the rolling-updated `web` Deployment.
    pub web: usize,
    /// Replicas of the `api` Deployment at its low point (it scales between this and twice it).
    pub api: usize,
    /// Replicas of the crash-looping `crasher` Deployment.
    pub crashers: usize,
    /// Virtual hours to run.
    pub hours: u64,
}

impl SoakShape {
    /// The soak the bench reports: 6 nodes, 12 + 6..12 + 2 pods, 24 hours.
    pub const FULL: SoakShape = SoakShape {
        nodes: 6,
        web: 12,
        api: 6,
        crashers: 2,
        hours: 24,
    };

    /// The smoke version: the same churn, smaller and for 3 hours.
    pub const SMOKE: SoakShape = SoakShape {
        nodes: 3,
        web: 4,
        api: 2,
        crashers: 1,
        hours: 3,
    };
}

/// The sizes of one moment of the soak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoakSample {
    /// Virtual time of the sample.
    pub at: SimTime,
    /// Resident set size in KiB, when the platform reports it.
    pub rss_kib: Option<u64>,
    /// Bytes allocated and not yet freed, when the binary counts them (the bench binary does:
    /// unlike RSS, this does not include what the allocator keeps for reuse).
    pub live_heap: Option<u64>,
    /// Objects in the store (every kind).
    pub objects: usize,
    /// Of which Events.
    pub events: usize,
    /// Pods in the store.
    pub pods: usize,
    /// Pods Running and Ready.
    pub ready: usize,
    /// Entries in the per-key etcd history.
    pub history: usize,
    /// Entries in the store's change log (watch replays).
    pub change_log: usize,
    /// Steps kept in the flow trace.
    pub trace: usize,
    /// Timers waiting in the simulation.
    pub timers: usize,
}

/// What a soak did.
#[derive(Debug, Clone, PartialEq)]
pub struct SoakOutcome {
    /// The shape run.
    pub shape: SoakShape,
    /// One sample per period, the first after the first hour (the workload up), the last at the end.
    pub samples: Vec<SoakSample>,
    /// Wall time of the whole run.
    pub wall: Duration,
    /// Simulation steps taken.
    pub steps: u64,
    /// Container restarts counted at the end (the crash loop kept crashing).
    pub restarts: i64,
    /// Rollouts started.
    pub rollouts: usize,
    /// Node failures injected.
    pub node_failures: usize,
    /// When the least recently written Event still stored at the end was last written.
    pub oldest_event: Option<SimTime>,
}

fn yaml(shape: &SoakShape) -> String {
    format!(
        r#"apiVersion: v1
kind: Namespace
metadata:
  name: soak
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: soak
spec:
  replicas: {web}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
        readinessProbe:
          httpGet: {{path: /, port: 80}}
          periodSeconds: 5
        resources:
          requests: {{cpu: 50m, memory: 64Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: soak
spec:
  selector: {{app: web}}
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: soak
spec:
  replicas: {api}
  selector:
    matchLabels: {{app: api}}
  template:
    metadata:
      labels: {{app: api}}
    spec:
      containers:
      - name: api
        image: nginx:1.27
        resources:
          requests: {{cpu: 100m, memory: 128Mi}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: crasher
  namespace: soak
spec:
  replicas: {crashers}
  selector:
    matchLabels: {{app: crasher}}
  template:
    metadata:
      labels: {{app: crasher}}
    spec:
      containers:
      - name: crasher
        image: busybox:1.36
        command: ["sh", "-c", "echo starting; sleep 20; exit 1"]
"#,
        web = shape.web,
        api = shape.api,
        crashers = shape.crashers
    )
}

fn sample(cluster: &Cluster, live_heap: fn() -> Option<u64>) -> SoakSample {
    let lookup = cluster.api().lookup();
    let pods = lookup.list("Pod", None);
    let ready = pods
        .iter()
        .filter(|o| matches!(&***o, Object::Pod(p) if crate::check::running_and_ready(p)))
        .count();
    let store = &cluster.api().store;
    SoakSample {
        at: cluster.now(),
        rss_kib: rss::current_rss_kib(),
        live_heap: live_heap(),
        objects: store.len(),
        events: lookup.list("Event", None).len(),
        pods: pods.len(),
        ready,
        history: store.history_store().total_len(),
        change_log: store.log_len(),
        trace: cluster.trace().steps().count(),
        timers: cluster.pending_timers(),
    }
}

/// Runs the cluster to virtual time `t` (everything due by then handled, the clock left at
/// `t`), counting the steps.
fn run_to(cluster: &mut Cluster, t: SimTime, steps: &mut u64) {
    let d = t.since(cluster.now());
    cluster.run_for_while(d, || {
        *steps += 1;
        true
    });
}

fn kubectl(cluster: &mut Cluster, line: &str) -> Result<(), String> {
    let out = console::run(cluster, &format!("kubectl {line}"), "");
    if out.ok {
        Ok(())
    } else {
        Err(format!("kubectl {line}: {}", out.stderr.trim()))
    }
}

/// The last write of the stalest stored Event (its `lastTimestamp`, or `eventTime` for one
/// written through events.k8s.io, or its series' last observation).
fn oldest_event(cluster: &Cluster) -> Option<SimTime> {
    cluster
        .api()
        .lookup()
        .list("Event", None)
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) => {
                let last = e.last_timestamp.as_ref().map(SimTime::from_k8s_time);
                let micro = |m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime| {
                    SimTime::from_k8s_time(&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                        m.0,
                    ))
                };
                let event_time = e.event_time.as_ref().map(micro);
                let series = e
                    .series
                    .as_ref()
                    .and_then(|s| s.last_observed_time.as_ref())
                    .map(micro);
                [last, event_time, series].into_iter().flatten().max()
            }
            _ => None,
        })
        .min()
}

fn restarts(cluster: &Cluster) -> i64 {
    cluster
        .api()
        .lookup()
        .list("Pod", Some("soak"))
        .iter()
        .filter_map(|o| match &**o {
            Object::Pod(p) => p.status.as_ref()?.container_statuses.as_ref(),
            _ => None,
        })
        .flatten()
        .map(|c| i64::from(c.restart_count))
        .sum()
}

/// Runs a soak, sampling every `every_hours` (and at the end); `live_heap` says how many bytes
/// are allocated, if the caller counts them.
pub fn soak(
    shape: SoakShape,
    every_hours: u64,
    live_heap: fn() -> Option<u64>,
) -> Result<SoakOutcome, String> {
    let started = Instant::now();
    let mut cluster = Cluster::new(ClusterConfig {
        seed: 1,
        pool: NodePool {
            count: shape.nodes,
            ..Default::default()
        },
        ..Default::default()
    });
    let applied = cluster.apply(&yaml(&shape), "soak.yaml");
    if let Some(bad) = applied.iter().find(|r| !r.ok) {
        return Err(bad.message.clone());
    }
    let mut steps = 0;
    let mut samples = Vec::new();
    let mut rollouts = 0;
    let mut node_failures = 0;
    let mut failed: Option<(String, SimTime)> = None;
    let hour = SimDuration::secs(3600);
    let half_hour = SimDuration::secs(1800);
    let end = SimTime::ZERO.plus(SimDuration::secs(3600 * shape.hours));
    let mut t = SimTime::ZERO;
    while t < end {
        let next = t.plus(half_hour);
        run_to(&mut cluster, next, &mut steps);
        t = next;
        let half_hours = t.0 / 1_800_000;
        // Every 30 minutes: a rolling update of `web` to the other nginx.
        let image = if half_hours % 2 == 1 { "1.28" } else { "1.27" };
        kubectl(
            &mut cluster,
            &format!("set image deployment/web nginx=nginx:{image} -n soak"),
        )?;
        rollouts += 1;
        if half_hours % 2 == 0 {
            // Every hour: `api` between its low and twice it.
            let replicas = if half_hours % 4 == 0 {
                shape.api * 2
            } else {
                shape.api
            };
            kubectl(
                &mut cluster,
                &format!("scale deployment/api --replicas={replicas} -n soak"),
            )?;
        }
        // Every two hours a node fails; it comes back 10 minutes later.
        if half_hours % 4 == 1 && t.plus(hour) <= end {
            let node = format!("node-{}", 1 + (node_failures % shape.nodes));
            let r = cluster.fail_node(&node);
            if !r.ok {
                return Err(r.message);
            }
            node_failures += 1;
            failed = Some((node, t.plus(SimDuration::secs(600))));
        }
        if let Some((node, at)) = failed.take() {
            run_to(&mut cluster, at, &mut steps);
            let r = cluster.recover_node(&node);
            if !r.ok {
                return Err(r.message);
            }
        }
        if half_hours % (2 * every_hours.max(1)) == 0 || t >= end {
            samples.push(sample(&cluster, live_heap));
        }
    }
    Ok(SoakOutcome {
        shape,
        samples,
        wall: started.elapsed(),
        steps,
        restarts: restarts(&cluster),
        oldest_event: oldest_event(&cluster),
        rollouts,
        node_failures,
    })
}

/// The soak's report: one row per sample.
pub fn render(o: &SoakOutcome) -> String {
    let mut s = format!(
        "soak: {} nodes, web {} (rolling update every 30m), api {}..{} (scaled hourly), crasher {} (crash loop), a node failing every 2h for 10m; {} h virtual\n",
        o.shape.nodes,
        o.shape.web,
        o.shape.api,
        o.shape.api * 2,
        o.shape.crashers,
        o.shape.hours
    );
    s.push_str(&format!(
        "{:>13} {:>9} {:>10} {:>8} {:>7} {:>6} {:>6} {:>8} {:>9} {:>7} {:>7}\n",
        "virtual",
        "RSS",
        "live heap",
        "objects",
        "events",
        "pods",
        "ready",
        "history",
        "changelog",
        "trace",
        "timers"
    ));
    let mib = |b: f64| format!("{:.1}MiB", b / 1_048_576.0);
    for x in &o.samples {
        let rss = x
            .rss_kib
            .map(|k| mib(k as f64 * 1024.0))
            .unwrap_or_else(|| "-".into());
        let heap = x
            .live_heap
            .map(|b| mib(b as f64))
            .unwrap_or_else(|| "-".into());
        s.push_str(&format!(
            "{:>13} {:>9} {:>10} {:>8} {:>7} {:>6} {:>6} {:>8} {:>9} {:>7} {:>7}\n",
            x.at.to_string(),
            rss,
            heap,
            x.objects,
            x.events,
            x.pods,
            x.ready,
            x.history,
            x.change_log,
            x.trace,
            x.timers
        ));
    }
    s.push_str(&format!(
        "{} steps in {:.1} s wall; {} rollouts, {} node failures, {} container restarts at the end\n",
        o.steps,
        o.wall.as_secs_f64(),
        o.rollouts,
        o.node_failures,
        o.restarts
    ));
    if let (Some(first), Some(last)) = (o.samples.first(), o.samples.last()) {
        let line = |what: &str, a: f64, b: f64| {
            format!(
                "{what}: {} at {} → {} at {} ({:+.1} %)\n",
                mib(a),
                first.at,
                mib(b),
                last.at,
                (b - a) * 100.0 / a
            )
        };
        if let (Some(a), Some(b)) = (first.rss_kib, last.rss_kib) {
            s.push_str(&line("RSS", a as f64 * 1024.0, b as f64 * 1024.0));
        }
        if let (Some(a), Some(b)) = (first.live_heap, last.live_heap) {
            s.push_str(&line("live heap", a as f64, b as f64));
        }
    }
    s
}
