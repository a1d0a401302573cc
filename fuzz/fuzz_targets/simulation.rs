//! Fuzz target `simulation`: the fuzz input decoded (with `arbitrary`) as a small cluster and a
//! bounded sequence of actions — applying one of a set of small manifests with fuzzed fields
//! (Pods of several kinds, a Deployment, a Service, a Job, a DaemonSet, a ConfigMap, a
//! Namespace), deleting, scaling, stepping and running virtual time, failing, recovering,
//! partitioning and healing nodes, cordon, drain and `kubectl` console lines — with the
//! cluster's invariants checked after every action.
#![no_main]

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use podflow_core::apiserver::{authn, UserInfo};
use podflow_core::component::{Component, Ctx};
use podflow_core::console;
use podflow_core::sim::SimDuration;
use podflow_core::store::{WatchEvent, WatchFilter};
use podflow_core::{ApplyResult, Cluster};
use podflow_fuzz::{check_apply_results, check_capacity, check_results, check_snapshot};

/// The most actions run per input.
const MAX_ACTIONS: usize = 16;
/// The most virtual time one input may run, in seconds (over all its actions).
const MAX_VIRTUAL_SECS: u64 = 120;
/// The most items one `Advance` handles.
const MAX_ADVANCE: u8 = 32;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Name {
    A,
    B,
    C,
}

impl Name {
    fn as_str(self) -> &'static str {
        match self {
            Name::A => "a",
            Name::B => "b",
            Name::C => "c",
        }
    }

    /// node-1, node-2, node-3 for a, b, c.
    fn node(self) -> String {
        node(self as u8)
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Ns {
    Default,
    Team,
}

impl Ns {
    fn as_str(self) -> &'static str {
        match self {
            Ns::Default => "default",
            Ns::Team => "team",
        }
    }
}

/// What a Pod's (or a template's) container does.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Behaviour {
    /// nginx serving.
    Serve,
    /// busybox that exits 0 after a while.
    Finish,
    /// busybox that fails: CrashLoopBackOff.
    Crash,
    /// An image nobody has: ErrImagePull.
    MissingImage,
    /// A readiness probe that stops passing.
    Probe,
    /// A volume from a ConfigMap that may not exist.
    ConfigMapVolume(Name),
    /// An init container, then nginx.
    Init,
    /// More memory than its limit: OOMKilled.
    Oom,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct PodSpec {
    behaviour: Behaviour,
    /// cpu request in units of 100m (0: none).
    cpu: u8,
    /// memory request in units of 64Mi (0: none).
    memory: u8,
    /// A toleration for every NoExecute taint for this many seconds (0: none).
    tolerate_secs: u8,
    /// A node selector on node-N (0: none).
    node_selector: u8,
    priority_high: bool,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Resource {
    Pod,
    Deployment,
    ReplicaSet,
    Service,
    Job,
    DaemonSet,
    ConfigMap,
    Namespace,
    Node,
}

impl Resource {
    fn as_str(self) -> &'static str {
        match self {
            Resource::Pod => "pods",
            Resource::Deployment => "deployments",
            Resource::ReplicaSet => "replicasets",
            Resource::Service => "services",
            Resource::Job => "jobs",
            Resource::DaemonSet => "daemonsets",
            Resource::ConfigMap => "configmaps",
            Resource::Namespace => "namespaces",
            Resource::Node => "nodes",
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Action {
    Pod(Ns, Name, PodSpec),
    Deployment(Ns, Name, u8, PodSpec, bool),
    Service(Ns, Name, u16),
    Job(Ns, Name, u8, u8, PodSpec),
    DaemonSet(Ns, Name, PodSpec),
    ConfigMap(Ns, Name),
    Namespace,
    /// Several of the above in one `kubectl apply -f`.
    Many(Vec<Action>),
    Delete(Resource, Ns, Name),
    Scale(Ns, Name, u8),
    Advance(u8),
    RunFor(u8),
    FailNode(u8),
    RecoverNode(u8),
    PartitionNode(u8),
    HealNode(u8),
    Cordon(u8, bool),
    Drain(u8),
    Console(Command),
    /// A console line as typed, at most 64 bytes.
    Line(String),
}

/// A console command from a set of templates.
#[derive(Arbitrary, Debug)]
enum Command {
    GetAll,
    GetPodsWide,
    GetYaml(Resource, Ns, Name),
    Describe(Resource, Ns, Name),
    DescribeNode(u8),
    RolloutStatus(Name),
    RolloutUndo(Name),
    RolloutHistory(Name),
    SetImage(Name, bool),
    Label(Name, bool),
    Taint(u8, bool),
    Logs(Name, bool),
    Events,
    Run(Name),
    CreateDeployment(Name, u8),
    CreateNamespace,
    DeleteForce(Name),
    ApplyStdin(Ns, Name, PodSpec),
}

#[derive(Arbitrary, Debug)]
struct Input {
    seed: u8,
    /// 1 to 3 nodes.
    nodes: u8,
    actions: Vec<Action>,
}

fn node(n: u8) -> String {
    // node-4 does not exist: the not-found paths.
    format!("node-{}", n % 4 + 1)
}

fn metadata(out: &mut String, ns: Ns, name: &str) {
    let _ = write!(
        out,
        "metadata:\n  name: {name}\n  namespace: {}\n  labels: {{app: {name}}}\n",
        ns.as_str()
    );
}

/// A pod spec's body, indented by `indent` spaces.
fn pod_spec(spec: &PodSpec, indent: usize) -> String {
    let mut s = String::new();
    let resources = {
        let mut r = String::new();
        if spec.cpu > 0 || spec.memory > 0 {
            r.push_str("  resources:\n    requests:\n");
            if spec.cpu > 0 {
                let _ = writeln!(r, "      cpu: {}m", u32::from(spec.cpu % 64) * 100);
            }
            if spec.memory > 0 {
                let _ = writeln!(r, "      memory: {}Mi", u32::from(spec.memory % 64) * 64);
            }
        }
        r
    };
    match spec.behaviour {
        Behaviour::Serve => {
            s.push_str(
                "containers:\n- name: c\n  image: nginx:1.14.2\n  ports:\n  - containerPort: 80\n",
            );
        }
        Behaviour::Finish => {
            s.push_str("containers:\n- name: c\n  image: busybox:1.36\n  command: [\"sh\", \"-c\", \"echo hi; sleep 3\"]\n");
        }
        Behaviour::Crash => {
            s.push_str("containers:\n- name: c\n  image: busybox:1.36\n  command: [\"sh\", \"-c\", \"echo starting; sleep 2; exit 1\"]\n");
        }
        Behaviour::MissingImage => {
            s.push_str("containers:\n- name: c\n  image: example.invalid/nothing:9\n");
        }
        Behaviour::Probe => {
            s.push_str("containers:\n- name: c\n  image: registry.k8s.io/busybox\n  args: [/bin/sh, -c, \"touch /tmp/healthy; sleep 10; rm -f /tmp/healthy; sleep 600\"]\n  readinessProbe:\n    exec:\n      command: [cat, /tmp/healthy]\n    periodSeconds: 5\n  livenessProbe:\n    exec:\n      command: [cat, /tmp/healthy]\n    initialDelaySeconds: 5\n    periodSeconds: 5\n");
        }
        Behaviour::ConfigMapVolume(cm) => {
            let _ = write!(
                s,
                "containers:\n- name: c\n  image: nginx:1.14.2\n  volumeMounts:\n  - name: config\n    mountPath: /etc/config\nvolumes:\n- name: config\n  configMap:\n    name: {}\n",
                cm.as_str()
            );
        }
        Behaviour::Init => {
            s.push_str("initContainers:\n- name: init\n  image: busybox:1.36\n  command: [\"sh\", \"-c\", \"sleep 2\"]\ncontainers:\n- name: c\n  image: nginx:1.14.2\n");
        }
        Behaviour::Oom => {
            s.push_str("containers:\n- name: c\n  image: polinux/stress\n  resources:\n    limits:\n      memory: 100Mi\n  command: [stress]\n  args: [--vm, \"1\", --vm-bytes, 250M, --vm-hang, \"1\"]\n");
        }
    }
    if !matches!(spec.behaviour, Behaviour::Oom) {
        s.push_str(&resources);
    }
    if spec.tolerate_secs > 0 {
        let _ = write!(
            s,
            "tolerations:\n- operator: Exists\n  effect: NoExecute\n  tolerationSeconds: {}\n",
            spec.tolerate_secs % 120
        );
    }
    if spec.node_selector > 0 {
        let _ = write!(
            s,
            "nodeSelector:\n  kubernetes.io/hostname: {}\n",
            node(spec.node_selector)
        );
    }
    if spec.priority_high {
        s.push_str("priorityClassName: system-cluster-critical\n");
    }
    let pad = " ".repeat(indent);
    s.lines().map(|l| format!("{pad}{l}\n")).collect()
}

/// The manifest text for an object-creating action (`None` for the others).
fn manifest(action: &Action, depth: usize) -> Option<String> {
    let mut out = String::new();
    match action {
        Action::Pod(ns, name, spec) => {
            out.push_str("apiVersion: v1\nkind: Pod\n");
            metadata(&mut out, *ns, name.as_str());
            out.push_str("spec:\n");
            out.push_str(&pod_spec(spec, 2));
        }
        Action::Deployment(ns, name, replicas, spec, recreate) => {
            let n = name.as_str();
            out.push_str("apiVersion: apps/v1\nkind: Deployment\n");
            metadata(&mut out, *ns, n);
            let _ = write!(
                out,
                "spec:\n  replicas: {}\n  selector:\n    matchLabels: {{app: {n}}}\n  template:\n    metadata:\n      labels: {{app: {n}}}\n    spec:\n",
                replicas % 8
            );
            out.push_str(&pod_spec(spec, 6));
            if *recreate {
                out.push_str("  strategy:\n    type: Recreate\n");
            }
        }
        Action::Service(ns, name, port) => {
            let n = name.as_str();
            out.push_str("apiVersion: v1\nkind: Service\n");
            metadata(&mut out, *ns, n);
            let _ = write!(
                out,
                "spec:\n  selector: {{app: {n}}}\n  ports:\n  - port: {}\n    targetPort: 80\n",
                port % 2 * 8000 + 80
            );
        }
        Action::Job(ns, name, completions, parallelism, spec) => {
            let n = name.as_str();
            out.push_str("apiVersion: batch/v1\nkind: Job\n");
            metadata(&mut out, *ns, n);
            let _ = write!(
                out,
                "spec:\n  completions: {}\n  parallelism: {}\n  backoffLimit: 2\n  template:\n    spec:\n      restartPolicy: Never\n",
                completions % 4 + 1,
                parallelism % 3 + 1
            );
            out.push_str(&pod_spec(spec, 6));
        }
        Action::DaemonSet(ns, name, spec) => {
            let n = name.as_str();
            out.push_str("apiVersion: apps/v1\nkind: DaemonSet\n");
            metadata(&mut out, *ns, n);
            let _ = write!(
                out,
                "spec:\n  selector:\n    matchLabels: {{app: {n}}}\n  template:\n    metadata:\n      labels: {{app: {n}}}\n    spec:\n"
            );
            out.push_str(&pod_spec(spec, 6));
        }
        Action::ConfigMap(ns, name) => {
            out.push_str("apiVersion: v1\nkind: ConfigMap\n");
            metadata(&mut out, *ns, name.as_str());
            out.push_str("data:\n  key: value\n");
        }
        Action::Namespace => {
            out.push_str("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n");
        }
        Action::Many(actions) if depth == 0 => {
            let docs: Vec<String> = actions
                .iter()
                .take(4)
                .filter_map(|a| manifest(a, depth + 1))
                .collect();
            if docs.is_empty() {
                return None;
            }
            return Some(docs.join("---\n"));
        }
        _ => return None,
    }
    Some(out)
}

fn console_line(cmd: &Command) -> (String, String) {
    let line = match cmd {
        Command::GetAll => "kubectl get all -A".to_string(),
        Command::GetPodsWide => "kubectl get pods -A -o wide".to_string(),
        Command::GetYaml(r, ns, n) => format!(
            "kubectl get {} {} -n {} -o yaml",
            r.as_str(),
            n.as_str(),
            ns.as_str()
        ),
        Command::Describe(r, ns, n) => format!(
            "kubectl describe {} {} -n {}",
            r.as_str(),
            n.as_str(),
            ns.as_str()
        ),
        Command::DescribeNode(n) => format!("kubectl describe node {}", node(*n)),
        Command::RolloutStatus(n) => format!("kubectl rollout status deployment/{}", n.as_str()),
        Command::RolloutUndo(n) => format!("kubectl rollout undo deployment/{}", n.as_str()),
        Command::RolloutHistory(n) => {
            format!("kubectl rollout history deployment/{}", n.as_str())
        }
        Command::SetImage(n, new) => format!(
            "kubectl set image deployment/{} c={}",
            n.as_str(),
            if *new { "nginx:1.16.1" } else { "nginx:1.14.2" }
        ),
        Command::Label(n, remove) => format!(
            "kubectl label pod {} {} --overwrite",
            n.as_str(),
            if *remove { "tier-" } else { "tier=web" }
        ),
        Command::Taint(n, remove) => format!(
            "kubectl taint nodes {} dedicated=x:{}",
            node(*n),
            if *remove { "NoExecute-" } else { "NoExecute" }
        ),
        Command::Logs(n, previous) => format!(
            "kubectl logs {}{}",
            n.as_str(),
            if *previous { " -p" } else { "" }
        ),
        Command::Events => "kubectl get events -A".to_string(),
        Command::Run(n) => format!("kubectl run {} --image=nginx:1.14.2", n.as_str()),
        Command::CreateDeployment(n, r) => format!(
            "kubectl create deployment {} --image=nginx:1.14.2 --replicas={}",
            n.as_str(),
            r % 5
        ),
        Command::CreateNamespace => "kubectl create namespace team".to_string(),
        Command::DeleteForce(n) => {
            format!("kubectl delete pod {} --grace-period=0 --force", n.as_str())
        }
        Command::ApplyStdin(ns, n, spec) => {
            let text = manifest(&Action::Pod(*ns, *n, *spec), 1).unwrap_or_default();
            return ("kubectl apply -f -".to_string(), text);
        }
    };
    (line, String::new())
}

/// A watcher of every pod change: the revisions it saw, in order.
struct Probe {
    user: UserInfo,
    seen: Rc<RefCell<Vec<i64>>>,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Probe")
    }
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

fuzz_target!(|input: Input| {
    let scenario = format!(
        "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  seed: {}\n  nodes:\n    count: {}\n",
        input.seed,
        input.nodes % 3 + 1
    );
    let (mut c, results) = Cluster::load(&[("s.yaml".into(), scenario)]);
    assert!(results.is_empty(), "{results:?}");
    let seen = Rc::new(RefCell::new(Vec::new()));
    c.add_component(Box::new(Probe {
        user: authn::default_user(),
        seen: Rc::clone(&seen),
    }));
    let user = c.kubectl_user();
    let mut revision = 0;
    let mut budget = MAX_VIRTUAL_SECS;
    for action in input.actions.iter().take(MAX_ACTIONS) {
        if let Some(text) = manifest(action, 0) {
            check_apply_results(&c.apply(&text, "fuzz.yaml"));
        } else {
            let results: Vec<ApplyResult> = match action {
                Action::Delete(r, ns, n) => {
                    let ns = if matches!(r, Resource::Namespace | Resource::Node) {
                        ""
                    } else {
                        ns.as_str()
                    };
                    let name = match r {
                        Resource::Namespace => "team".to_string(),
                        Resource::Node => n.node(),
                        _ => n.as_str().to_string(),
                    };
                    vec![c.delete(r.as_str(), ns, &name)]
                }
                Action::Scale(ns, n, replicas) => vec![c.scale(
                    "deployment",
                    ns.as_str(),
                    n.as_str(),
                    i32::from(replicas % 8),
                    &user,
                )],
                Action::Advance(n) => {
                    for _ in 0..(n % MAX_ADVANCE) {
                        if c.advance().is_none() {
                            break;
                        }
                    }
                    Vec::new()
                }
                Action::RunFor(secs) => {
                    let secs = u64::from(*secs).min(budget);
                    budget -= secs;
                    c.run_for(SimDuration::secs(secs))
                        .into_iter()
                        .flat_map(|r| r.results)
                        .collect()
                }
                Action::FailNode(n) => vec![c.fail_node(&node(*n))],
                Action::RecoverNode(n) => vec![c.recover_node(&node(*n))],
                Action::PartitionNode(n) => vec![c.partition_node(&node(*n))],
                Action::HealNode(n) => vec![c.heal_node(&node(*n))],
                Action::Cordon(n, on) => vec![c.set_unschedulable(&node(*n), *on, &user)],
                Action::Drain(n) => c.drain(&node(*n), &user),
                Action::Console(cmd) => {
                    let (line, stdin) = console_line(cmd);
                    let out = console::run(&mut c, &line, &stdin);
                    assert!(out.ok || !out.stderr.is_empty(), "{line}: failed silently");
                    Vec::new()
                }
                Action::Line(line) => {
                    let line: String = line.chars().take(64).collect();
                    let out = console::run(&mut c, &line, "");
                    assert!(
                        out.ok || !out.stderr.is_empty(),
                        "{line:?}: failed silently"
                    );
                    Vec::new()
                }
                // Object-creating actions were handled above; an empty `Many` does nothing.
                _ => Vec::new(),
            };
            check_results(&results);
        }
        check_snapshot(&c, &mut revision);
        check_capacity(&c);
    }
    // The probe saw every pod change once, in order.
    let seen = seen.borrow();
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "watch events out of order or repeated"
    );
});
