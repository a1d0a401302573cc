//! The workloads: each a cluster shape (nodes, zone labels) and phases of pods to create, after
//! kube-scheduler's `scheduler_perf` (`test/integration/scheduler_perf`, `performance-config.yaml`
//! and its templates) and podflow's own full-path envelopes.
//!
//! The scheduler_perf shapes run the control plane without pod workers (node heartbeats, the
//! scheduler and the controllers run; no kubelet starts containers), as scheduler_perf runs no
//! kubelets, and a phase is done when all its pods are bound. The full-path shapes (`small-*`,
//! `envelope`) apply Deployments and wait until every pod is Running and Ready.

/// Every workload name the binary accepts, in the order the table prints them (`growth` expands
/// to the four `growth-*` rows).
pub const WORKLOADS: [&str; 13] = [
    "small-100",
    "small-300",
    "basic",
    "node-affinity",
    "topology-spreading",
    "pod-anti-affinity",
    "pod-affinity",
    "unschedulable",
    "growth-500",
    "growth-1000",
    "growth-2000",
    "growth-5000",
    "envelope",
];

/// Node counts of the `growth` rows.
pub const GROWTH_NODES: [usize; 4] = [500, 1_000, 2_000, 5_000];

/// The pod a phase creates, after the scheduler_perf template of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// `pod-default.yaml`: one pause container asking 100m CPU and 500Mi.
    Default,
    /// `pod-with-node-affinity.yaml`: required node affinity to `zone1`/`zone2`.
    NodeAffinity,
    /// `pod-with-topology-spreading.yaml`: `color: blue`, maxSkew 5 across zones, DoNotSchedule.
    TopologySpreading,
    /// `pod-with-pod-anti-affinity.yaml`: `color: green`, required anti-affinity per hostname
    /// over the namespaces `sched-0` and `sched-1`.
    PodAntiAffinity,
    /// `pod-with-pod-affinity.yaml`: `color: blue`, required affinity per zone over `sched-0`
    /// and `sched-1`.
    PodAffinity,
    /// `pod-large-cpu.yaml`: asks 9 CPUs, more than any node has.
    LargeCpu,
}

/// What a phase creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Create {
    /// `count` Pods from `template`, named `pod-<i>`, in `namespace` (as scheduler_perf's
    /// `createPods`).
    Pods {
        /// The pod template.
        template: Template,
        /// Where the pods go.
        namespace: String,
        /// How many.
        count: usize,
    },
    /// `count` nginx Deployments of `replicas` each, named `web-<i>`, in `namespace`.
    Deployments {
        /// Where the Deployments go.
        namespace: String,
        /// How many Deployments.
        count: usize,
        /// Replicas of each.
        replicas: usize,
    },
}

impl Create {
    /// How many pods the phase makes.
    pub fn pods(&self) -> usize {
        match self {
            Create::Pods { count, .. } => *count,
            Create::Deployments {
                count, replicas, ..
            } => count * replicas,
        }
    }

    /// The namespace the phase's pods land in.
    pub fn namespace(&self) -> &str {
        match self {
            Create::Pods { namespace, .. } | Create::Deployments { namespace, .. } => namespace,
        }
    }
}

/// One step of a workload: create, then (with `wait`) run until the phase's pods are done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    /// What to create.
    pub create: Create,
    /// Whether to run until every pod of the phase is done before the next phase (scheduler_perf's
    /// `skipWaitToCompletion: true` is `false` here).
    pub wait: bool,
    /// Whether the phase's wall time counts (scheduler_perf's `collectMetrics: true`).
    pub measured: bool,
}

/// The upstream scheduler_perf test a workload mirrors, and its throughput threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// The upstream test and workload.
    pub test: &'static str,
    /// Its `SchedulingThroughput` threshold, pods per second.
    pub pods_per_sec: f64,
}

/// A workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// The workload's name (a `WORKLOADS` entry).
    pub name: String,
    /// How many nodes.
    pub nodes: usize,
    /// CPU allocatable of each node.
    pub node_cpu: &'static str,
    /// Memory allocatable of each node.
    pub node_memory: &'static str,
    /// Pod capacity of each node.
    pub node_pods: u32,
    /// Values of `topology.kubernetes.io/zone`, handed out round-robin (none: no zone label).
    pub zones: &'static [&'static str],
    /// Kubelets run the pods and phases wait for Running and Ready (else: for binding).
    pub full_path: bool,
    /// The phases, in order.
    pub phases: Vec<Phase>,
    /// The upstream threshold the measured throughput is compared with.
    pub threshold: Option<Threshold>,
}

/// How big to make a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// The sizes the benchmark reports.
    Full,
    /// Tiny sizes for the smoke test (about 50 nodes and 200 pods).
    Smoke,
}

fn pods(template: Template, namespace: &str, count: usize, wait: bool, measured: bool) -> Phase {
    Phase {
        create: Create::Pods {
            template,
            namespace: namespace.into(),
            count,
        },
        wait,
        measured,
    }
}

fn deployments(count: usize, replicas: usize) -> Phase {
    Phase {
        create: Create::Deployments {
            namespace: "default".into(),
            count,
            replicas,
        },
        wait: true,
        measured: true,
    }
}

impl Shape {
    fn new(name: &str, nodes: usize) -> Shape {
        // scheduler_perf's `node-default.yaml`: 4 CPUs, 32Gi, 110 pods.
        Shape {
            name: name.into(),
            nodes,
            node_cpu: "4",
            node_memory: "32Gi",
            node_pods: 110,
            zones: &[],
            full_path: false,
            phases: Vec::new(),
            threshold: None,
        }
    }

    /// podflow's default node pool (4 CPUs, 16Gi, 110 pods), running pods end to end.
    fn full_path(name: &str, nodes: usize, phase: Phase) -> Shape {
        Shape {
            node_memory: "16Gi",
            full_path: true,
            phases: vec![phase],
            ..Shape::new(name, nodes)
        }
    }

    /// `init` then `measure` pods of one template, as SchedulingBasic and SchedulingNodeAffinity.
    fn two_phase(
        name: &str,
        nodes: usize,
        template: Template,
        init: usize,
        measure: usize,
    ) -> Shape {
        Shape {
            phases: vec![
                pods(template, "namespace-1", init, true, false),
                pods(template, "namespace-2", measure, true, true),
            ],
            ..Shape::new(name, nodes)
        }
    }

    /// The workload called `name` at `scale`, or `None` for an unknown name. `name/N` is the
    /// workload with its nodes and pods divided by `N` (for quick looks at the large ones).
    pub fn named(name: &str, scale: Scale) -> Option<Shape> {
        if let Some((base, div)) = name.split_once('/') {
            let div: usize = div.parse().ok().filter(|d| *d > 0)?;
            let mut shape = Shape::named(base, scale)?;
            shape.name = name.to_string();
            shape.nodes = (shape.nodes / div).max(1);
            shape.threshold = None;
            for phase in &mut shape.phases {
                match &mut phase.create {
                    Create::Pods { count, .. } => *count = (*count / div).max(1),
                    Create::Deployments {
                        count, replicas, ..
                    } => {
                        let total = (*count * *replicas / div).max(1);
                        *count = (*count / div).max(1);
                        *replicas = (total / *count).max(1);
                    }
                }
            }
            return Some(shape);
        }
        let smoke = scale == Scale::Smoke;
        // Smoke sizes: 50 nodes and 200 pods unless the shape needs otherwise.
        let (n, init, measure) = if smoke {
            (50, 50, 150)
        } else {
            (5_000, 5_000, 10_000)
        };
        let shape = match name {
            "small-100" | "small-300" => {
                let replicas = if smoke {
                    30
                } else if name == "small-100" {
                    100
                } else {
                    300
                };
                Shape::full_path(name, 3, deployments(1, replicas))
            }
            "basic" => Shape {
                threshold: Some(Threshold {
                    test: "SchedulingBasic/5000Nodes_10000Pods",
                    pods_per_sec: 270.0,
                }),
                ..Shape::two_phase(name, n, Template::Default, init, measure)
            },
            "node-affinity" => Shape {
                zones: &["zone1"],
                threshold: Some(Threshold {
                    test: "SchedulingNodeAffinity/5000Nodes_10000Pods",
                    pods_per_sec: 220.0,
                }),
                ..Shape::two_phase(name, n, Template::NodeAffinity, init, measure)
            },
            "topology-spreading" => Shape {
                zones: &["moon-1", "moon-2", "moon-3"],
                phases: vec![
                    pods(Template::Default, "namespace-1", init, true, false),
                    pods(
                        Template::TopologySpreading,
                        "namespace-2",
                        if smoke { 150 } else { 5_000 },
                        true,
                        true,
                    ),
                ],
                threshold: Some(Threshold {
                    test: "TopologySpreading/5000Nodes_5000Pods",
                    pods_per_sec: 85.0,
                }),
                ..Shape::new(name, n)
            },
            "pod-anti-affinity" => Shape {
                // Every pod needs a node of its own: 1,000 + 2,000 pods on 5,000 nodes.
                phases: vec![
                    pods(
                        Template::PodAntiAffinity,
                        "sched-0",
                        if smoke { 10 } else { 1_000 },
                        true,
                        false,
                    ),
                    pods(
                        Template::PodAntiAffinity,
                        "sched-1",
                        if smoke { 30 } else { 2_000 },
                        true,
                        true,
                    ),
                ],
                threshold: Some(Threshold {
                    test: "SchedulingPodAntiAffinity/5000Nodes_2000Pods",
                    pods_per_sec: 35.0,
                }),
                ..Shape::new(name, n)
            },
            "pod-affinity" => Shape {
                zones: &["zone1"],
                phases: vec![
                    pods(Template::PodAffinity, "sched-0", init, true, false),
                    pods(
                        Template::PodAffinity,
                        "sched-1",
                        if smoke { 150 } else { 5_000 },
                        true,
                        true,
                    ),
                ],
                threshold: Some(Threshold {
                    test: "SchedulingPodAffinity/5000Nodes_5000Pods",
                    pods_per_sec: 35.0,
                }),
                ..Shape::new(name, n)
            },
            "unschedulable" => Shape {
                // 200 pods no node can take stay in the queue (skipWaitToCompletion) while
                // 5,000 schedulable ones are measured.
                phases: vec![
                    pods(
                        Template::LargeCpu,
                        "namespace-1",
                        if smoke { 5 } else { 200 },
                        false,
                        false,
                    ),
                    pods(
                        Template::Default,
                        "namespace-2",
                        if smoke { 150 } else { 5_000 },
                        true,
                        true,
                    ),
                ],
                ..Shape::new(name, n)
            },
            "envelope" => {
                let (nodes, count, replicas) = if smoke {
                    (50, 4, 50)
                } else {
                    (5_000, 30, 5_000)
                };
                Shape::full_path(name, nodes, deployments(count, replicas))
            }
            other => {
                let nodes: usize = other.strip_prefix("growth-")?.parse().ok()?;
                if !GROWTH_NODES.contains(&nodes) {
                    return None;
                }
                // SchedulingBasic's proportions (as many initial pods as nodes, then twice as
                // many measured) at each size.
                let nodes = if smoke { nodes / 100 } else { nodes };
                Shape::two_phase(other, nodes, Template::Default, nodes, 2 * nodes)
            }
        };
        Some(shape)
    }

    /// Every pod the workload creates.
    pub fn total_pods(&self) -> usize {
        self.phases.iter().map(|p| p.create.pods()).sum()
    }

    /// The pods of the measured phases.
    pub fn measured_pods(&self) -> usize {
        self.phases
            .iter()
            .filter(|p| p.measured)
            .map(|p| p.create.pods())
            .sum()
    }

    /// The namespaces the phases use (besides `default`), in order, without repeats.
    pub fn namespaces(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in &self.phases {
            let ns = p.create.namespace();
            if ns != "default" && !out.iter().any(|o| o == ns) {
                out.push(ns.to_string());
            }
        }
        out
    }
}

/// The workload names `args` ask for: `growth` expands to its rows, `all` to every workload
/// (`name/N` divides a workload's nodes and pods by `N`).
pub fn expand(args: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for a in args {
        match a.as_str() {
            "all" => out.extend(WORKLOADS.iter().map(|w| w.to_string())),
            "growth" => out.extend(GROWTH_NODES.iter().map(|n| format!("growth-{n}"))),
            name if Shape::named(name, Scale::Full).is_some() => out.push(name.to_string()),
            name => {
                return Err(format!(
                    "unknown workload {name:?}; known: {}, growth, all",
                    WORKLOADS.join(", ")
                ))
            }
        }
    }
    Ok(out)
}
