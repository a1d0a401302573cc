//! Property tests over random scenarios and seeds: random sequences of applies, scales,
//! deletions, node failures, recoveries and node deletions with time passing in between, and
//! after every step the invariants a Kubernetes cluster keeps: no node over-committed, every
//! bound pod on an existing node (once the pod GC has had its time), resourceVersions strictly
//! increasing and every watcher seeing every change once and in order, the same seed giving the
//! same event log, ReplicaSets converging once nodes suffice, nothing Running on a node that is
//! gone. `PROPTEST_CASES` sets the number of cases (24 by default; the slow profile runs 1,000).

use std::cell::RefCell;
use std::rc::Rc;

use podflow_core::apiserver::{authn, UserInfo};
use podflow_core::component::{Component, Ctx};
use podflow_core::object::Object;
use podflow_core::sim::SimDuration;
use podflow_core::store::{WatchEvent, WatchFilter};
use podflow_core::Cluster;
use proptest::prelude::*;

/// One step of a random scenario.
#[derive(Debug, Clone)]
enum Step {
    Deployment { name: u8, replicas: u8, cpu_m: u16 },
    Pod { name: u8, cpu_m: u16 },
    Scale { name: u8, replicas: u8 },
    DeletePod { name: u8 },
    FailNode { node: u8 },
    RecoverNode { node: u8 },
    DeleteNode { node: u8 },
    Wait { secs: u16 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..3, 0u8..6, 0u16..13).prop_map(|(name, replicas, c)| Step::Deployment { name, replicas, cpu_m: c * 100 }),
        2 => (0u8..4, 0u16..13).prop_map(|(name, c)| Step::Pod { name, cpu_m: c * 100 }),
        2 => (0u8..3, 0u8..6).prop_map(|(name, replicas)| Step::Scale { name, replicas }),
        1 => (0u8..4).prop_map(|name| Step::DeletePod { name }),
        1 => (1u8..4).prop_map(|node| Step::FailNode { node }),
        1 => (1u8..4).prop_map(|node| Step::RecoverNode { node }),
        1 => (1u8..4).prop_map(|node| Step::DeleteNode { node }),
        4 => (1u16..240).prop_map(|secs| Step::Wait { secs }),
    ]
}

/// A watcher of every pod change: the revisions it saw, in order.
#[derive(Debug)]
struct Probe {
    user: UserInfo,
    seen: Rc<RefCell<Vec<i64>>>,
}

impl Component for Probe {
    fn name(&self) -> &str {
        "probe"
    }
    fn user(&self) -> &UserInfo {
        &self.user
    }
    fn watches(&self) -> Vec<WatchFilter> {
        vec![WatchFilter::prefix("/registry/pods/")]
    }
    fn on_watch(&mut self, event: &WatchEvent, _ctx: &mut Ctx<'_>) {
        self.seen.borrow_mut().push(event.revision);
    }
    fn on_timer(&mut self, _token: u64, _ctx: &mut Ctx<'_>) {}
}

fn deployment(name: u8, replicas: u8, cpu_m: u16) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d{name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: d{name}}}\n  template:\n    metadata:\n      labels: {{app: d{name}}}\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.14.2\n        resources:\n          requests: {{cpu: {cpu_m}m}}\n"
    )
}

fn pod(name: u8, cpu_m: u16) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{name}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.14.2\n    resources:\n      requests: {{cpu: {cpu_m}m}}\n"
    )
}

/// The invariants that hold at every moment.
fn check_now(c: &Cluster, last_revision: &mut i64) -> Result<(), TestCaseError> {
    let snap = c.snapshot();
    prop_assert!(snap.revision >= *last_revision, "revision went back");
    *last_revision = snap.revision;
    for n in &snap.nodes {
        prop_assert!(
            n.cpu_requested_milli <= n.cpu_allocatable_milli,
            "{} over-committed: {}m of {}m",
            n.name,
            n.cpu_requested_milli,
            n.cpu_allocatable_milli
        );
        prop_assert!(n.pod_count <= n.pod_allocatable);
    }
    Ok(())
}

/// Runs a scenario; returns the cluster and its event log.
fn run(
    seed: u64,
    steps: &[Step],
    check: bool,
) -> Result<(Cluster, String, Vec<i64>), TestCaseError> {
    let scenario =
        format!("apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  seed: {seed}\n");
    let (mut c, _) = Cluster::load(&[("s.yaml".into(), scenario)]);
    let seen = Rc::new(RefCell::new(Vec::new()));
    c.add_component(Box::new(Probe {
        user: authn::default_user(),
        seen: Rc::clone(&seen),
    }));
    let mut last_revision = 0;
    let mut deleted_nodes: Vec<String> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    for s in steps {
        match s {
            Step::Deployment {
                name,
                replicas,
                cpu_m,
            } => {
                c.apply(&deployment(*name, *replicas, *cpu_m), "d.yaml");
            }
            Step::Pod { name, cpu_m } => {
                c.apply(&pod(*name, *cpu_m), "p.yaml");
            }
            Step::Scale { name, replicas } => {
                let user = c.kubectl_user();
                c.scale(
                    "deployment",
                    "default",
                    &format!("d{name}"),
                    i32::from(*replicas),
                    &user,
                );
            }
            Step::DeletePod { name } => {
                c.delete("pod", "default", &format!("p{name}"));
            }
            Step::FailNode { node } => {
                let n = format!("node-{node}");
                if c.fail_node(&n).ok {
                    failed.push(n);
                }
            }
            Step::RecoverNode { node } => {
                let n = format!("node-{node}");
                c.recover_node(&n);
                failed.retain(|f| *f != n);
            }
            Step::DeleteNode { node } => {
                let n = format!("node-{node}");
                if c.delete("nodes", "", &n).ok {
                    deleted_nodes.push(n);
                }
            }
            Step::Wait { secs } => {
                c.run_for(SimDuration::secs(u64::from(*secs)));
            }
        }
        if check {
            check_now(&c, &mut last_revision)?;
        }
    }
    // The end: every failed node comes back, then ten quiet minutes.
    for n in failed.clone() {
        c.recover_node(&n);
    }
    c.run_for(SimDuration::secs(600));
    if check {
        check_now(&c, &mut last_revision)?;
    }
    let mut log = String::new();
    for o in c.objects(&["Event"]) {
        log.push_str(&o.to_json().to_string());
        log.push('\n');
    }
    let seen = seen.borrow().clone();
    if check {
        let snap = c.snapshot();
        let nodes: Vec<&str> = snap.nodes.iter().map(|n| n.name.as_str()).collect();
        // Every bound pod is on a node that exists; nothing runs on a node that is gone.
        for p in &snap.pods {
            prop_assert!(
                p.node == "<none>" || nodes.contains(&p.node.as_str()),
                "pod {} is on {}, which is gone",
                p.name,
                p.node
            );
        }
        // A ReplicaSet converges once nodes suffice: with no node deleted and room for every
        // replica (each node has 4 cpus; pods ask at most 1.2), every Deployment is ready.
        let requested: i64 = snap.nodes.iter().map(|n| n.cpu_requested_milli).sum();
        let pending: usize = snap.pods.iter().filter(|p| p.node == "<none>").count();
        if deleted_nodes.is_empty() && pending == 0 && requested <= 6000 {
            for o in c.objects(&["Deployment"]) {
                if let Object::Deployment(d) = &*o {
                    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
                    let ready = d
                        .status
                        .as_ref()
                        .and_then(|s| s.ready_replicas)
                        .unwrap_or(0);
                    prop_assert_eq!(ready, want, "{:?} not converged", d.metadata.name);
                }
            }
        }
        // The probe saw every pod change once, in order.
        prop_assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "watch events out of order or repeated"
        );
    }
    Ok((c, log, seen))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_random_scenario_keeps_the_clusters_invariants(seed in 1u64..1000, steps in prop::collection::vec(step(), 1..24)) {
        let (_, log, seen) = run(seed, &steps, true)?;
        // The same seed and the same steps give the same event log and the same watch stream.
        let (_, again, seen_again) = run(seed, &steps, false)?;
        prop_assert_eq!(log, again);
        prop_assert_eq!(seen, seen_again);
    }
}
