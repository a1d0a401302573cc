//! The scheduling framework's vocabulary: status codes, per-cycle state, one small trait per
//! extension point, and the `NodeInfo`/`ClusterSnapshot` view the plugins read (upstream
//! `pkg/scheduler/framework/interface.go`, `types.go`).

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Container, Node, PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;

use crate::quantity::Quantity;

/// The highest score a score plugin may give a node after normalization (upstream `MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;
/// The lowest score a score plugin may give a node (upstream `MinNodeScore`).
pub const MIN_NODE_SCORE: i64 = 0;
/// CPU assumed for a container without a CPU request when scoring, in millicores (upstream
/// `DefaultMilliCPURequest`).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// Memory assumed for a container without a memory request when scoring: 200 MiB (upstream
/// `DefaultMemoryRequest`).
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// The outcome class of a plugin call (upstream `framework.Code`, same order and meaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Code {
    /// The plugin ran and the pod may proceed.
    Success,
    /// An internal error; the attempt fails without a FitError.
    Error,
    /// The pod does not fit now; preemption may help.
    Unschedulable,
    /// The pod does not fit and preemption on this node cannot help.
    UnschedulableAndUnresolvable,
    /// A Permit plugin asks the pod to wait.
    Wait,
    /// The plugin has nothing to do for this pod; its later extension points are skipped.
    Skip,
    /// The pod waits for something outside the scheduler (e.g. a DRA driver).
    Pending,
}

/// A plugin's verdict: a code, the reasons a user reads, and the plugin that produced it (filled
/// in by the runner, never by the plugin itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The outcome class.
    pub code: Code,
    /// Human-readable reasons, exactly as upstream words them.
    pub reasons: Vec<String>,
    /// The plugin that returned this status; empty until the runner records it.
    pub plugin: &'static str,
}

impl Status {
    /// A successful status.
    pub fn success() -> Status {
        Status::new(Code::Success, Vec::<String>::new())
    }

    /// A status with the given code and reasons.
    pub fn new<S: Into<String>>(code: Code, reasons: impl IntoIterator<Item = S>) -> Status {
        Status {
            code,
            reasons: reasons.into_iter().map(Into::into).collect(),
            plugin: "",
        }
    }

    /// An `Unschedulable` status with one reason.
    pub fn unschedulable(reason: impl Into<String>) -> Status {
        Status::new(Code::Unschedulable, [reason.into()])
    }

    /// An `UnschedulableAndUnresolvable` status with one reason.
    pub fn unresolvable(reason: impl Into<String>) -> Status {
        Status::new(Code::UnschedulableAndUnresolvable, [reason.into()])
    }

    /// An `Error` status with one reason.
    pub fn error(reason: impl Into<String>) -> Status {
        Status::new(Code::Error, [reason.into()])
    }

    /// A `Skip` status.
    pub fn skip() -> Status {
        Status::new(Code::Skip, Vec::<String>::new())
    }

    /// The same status, recorded as coming from `plugin`.
    pub fn with_plugin(mut self, plugin: &'static str) -> Status {
        self.plugin = plugin;
        self
    }

    /// Whether the code is `Success`.
    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }

    /// Whether the code is `Skip`.
    pub fn is_skip(&self) -> bool {
        self.code == Code::Skip
    }

    /// Whether the status rejects the pod (`Unschedulable`, `UnschedulableAndUnresolvable` or
    /// `Pending`), as upstream `IsRejected`.
    pub fn is_rejected(&self) -> bool {
        matches!(
            self.code,
            Code::Unschedulable | Code::UnschedulableAndUnresolvable | Code::Pending
        )
    }

    /// The reasons joined with `, ` (upstream `Status.Message`).
    pub fn message(&self) -> String {
        self.reasons.join(", ")
    }
}

/// Per-plugin scratch data kept in a [`CycleState`]; cloneable so preemption can simulate
/// removing pods without disturbing the real cycle.
pub trait StateData: Any {
    /// A boxed copy of the data.
    fn clone_data(&self) -> Box<dyn StateData>;
    /// The data as `Any`, for downcasting.
    fn as_any(&self) -> &dyn Any;
    /// The data as mutable `Any`, for downcasting.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any + Clone> StateData for T {
    fn clone_data(&self) -> Box<dyn StateData> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Scratch state for one scheduling cycle, keyed by plugin name (upstream `CycleState`).
#[derive(Default)]
pub struct CycleState {
    data: BTreeMap<&'static str, Box<dyn StateData>>,
    /// Plugins whose PreFilter returned `Skip`; their Filter is not called this cycle.
    pub skip_filter: BTreeSet<&'static str>,
    /// Plugins whose PreScore returned `Skip`; their Score is not called this cycle.
    pub skip_score: BTreeSet<&'static str>,
}

impl Clone for CycleState {
    fn clone(&self) -> Self {
        CycleState {
            data: self
                .data
                .iter()
                .map(|(k, v)| (*k, (**v).clone_data()))
                .collect(),
            skip_filter: self.skip_filter.clone(),
            skip_score: self.skip_score.clone(),
        }
    }
}

impl std::fmt::Debug for CycleState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CycleState")
            .field("keys", &self.data.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl CycleState {
    /// Stores `value` under `key`, replacing what was there.
    pub fn write<T: Any + Clone>(&mut self, key: &'static str, value: T) {
        self.data.insert(key, Box::new(value));
    }

    /// The value stored under `key`, if it has type `T`.
    pub fn read<T: Any>(&self, key: &'static str) -> Option<&T> {
        let v: &dyn StateData = &**self.data.get(key)?;
        v.as_any().downcast_ref::<T>()
    }

    /// The value stored under `key`, mutably, if it has type `T`.
    pub fn read_mut<T: Any>(&mut self, key: &'static str) -> Option<&mut T> {
        let v: &mut dyn StateData = &mut **self.data.get_mut(key)?;
        v.as_any_mut().downcast_mut::<T>()
    }
}

/// Resource amounts in the units the scheduler compares (upstream `framework.Resource`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resource {
    /// CPU in millicores.
    pub milli_cpu: i64,
    /// Memory in bytes.
    pub memory: i64,
    /// Ephemeral storage in bytes.
    pub ephemeral_storage: i64,
    /// How many pods fit (only meaningful for allocatable).
    pub allowed_pod_number: i64,
    /// Extended and hugepages resources, by name.
    pub scalar: BTreeMap<String, i64>,
}

fn parse_quantity(q: &K8sQuantity) -> Quantity {
    Quantity::parse(&q.0).unwrap_or(Quantity::ZERO)
}

impl Resource {
    /// A resource list (`requests`, `allocatable`, `overhead`) in scheduler units.
    pub fn from_list(list: &BTreeMap<String, K8sQuantity>) -> Resource {
        let mut r = Resource::default();
        for (name, q) in list {
            r.set(name, &parse_quantity(q));
        }
        r
    }

    fn set(&mut self, name: &str, q: &Quantity) {
        match name {
            "cpu" => self.milli_cpu = q.milli_value(),
            "memory" => self.memory = q.value(),
            "ephemeral-storage" => self.ephemeral_storage = q.value(),
            "pods" => self.allowed_pod_number = q.value(),
            other => {
                self.scalar.insert(other.to_string(), q.value());
            }
        }
    }

    /// Adds `other` into `self` (all resources).
    pub fn add(&mut self, other: &Resource) {
        self.milli_cpu = self.milli_cpu.saturating_add(other.milli_cpu);
        self.memory = self.memory.saturating_add(other.memory);
        self.ephemeral_storage = self
            .ephemeral_storage
            .saturating_add(other.ephemeral_storage);
        self.allowed_pod_number = self
            .allowed_pod_number
            .saturating_add(other.allowed_pod_number);
        for (k, v) in &other.scalar {
            let e = self.scalar.entry(k.clone()).or_insert(0);
            *e = e.saturating_add(*v);
        }
    }

    /// Subtracts `other` from `self` (all resources).
    pub fn sub(&mut self, other: &Resource) {
        self.milli_cpu = self.milli_cpu.saturating_sub(other.milli_cpu);
        self.memory = self.memory.saturating_sub(other.memory);
        self.ephemeral_storage = self
            .ephemeral_storage
            .saturating_sub(other.ephemeral_storage);
        self.allowed_pod_number = self
            .allowed_pod_number
            .saturating_sub(other.allowed_pod_number);
        for (k, v) in &other.scalar {
            let e = self.scalar.entry(k.clone()).or_insert(0);
            *e = e.saturating_sub(*v);
        }
    }

    /// Raises each resource of `self` to at least `other`'s amount.
    pub fn max_with(&mut self, other: &Resource) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        for (k, v) in &other.scalar {
            let e = self.scalar.entry(k.clone()).or_insert(0);
            *e = (*e).max(*v);
        }
    }

    /// The amount of a named resource (`cpu` in millicores, others in units).
    pub fn get(&self, name: &str) -> i64 {
        match name {
            "cpu" => self.milli_cpu,
            "memory" => self.memory,
            "ephemeral-storage" => self.ephemeral_storage,
            "pods" => self.allowed_pod_number,
            other => self.scalar.get(other).copied().unwrap_or(0),
        }
    }
}

fn container_requests(c: &Container, non_zero: bool) -> Resource {
    let list = c.resources.as_ref().and_then(|r| r.requests.as_ref());
    let mut r = list.map(Resource::from_list).unwrap_or_default();
    if non_zero {
        let has = |k: &str| list.is_some_and(|l| l.contains_key(k));
        if !has("cpu") {
            r.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
        }
        if !has("memory") {
            r.memory = DEFAULT_MEMORY_REQUEST;
        }
    }
    r
}

fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// What a pod asks of a node (upstream `resource.PodRequests`): the larger of the sum of its
/// containers (plus sidecars) and the peak of its init sequence, plus the pod overhead. With
/// `non_zero`, containers missing a CPU or memory request count 100m / 200Mi (used for scoring).
pub fn pod_requests(pod: &Pod, non_zero: bool) -> Resource {
    let Some(spec) = pod.spec.as_ref() else {
        return Resource::default();
    };
    let mut reqs = Resource::default();
    for c in &spec.containers {
        reqs.add(&container_requests(c, non_zero));
    }
    let mut restartable = Resource::default();
    let mut init_peak = Resource::default();
    for c in spec.init_containers.iter().flatten() {
        let mut creqs = container_requests(c, non_zero);
        if is_sidecar(c) {
            reqs.add(&creqs);
            restartable.add(&creqs);
            creqs = restartable.clone();
        } else {
            creqs.add(&restartable);
        }
        init_peak.max_with(&creqs);
    }
    reqs.max_with(&init_peak);
    if let Some(overhead) = spec.overhead.as_ref() {
        reqs.add(&Resource::from_list(overhead));
    }
    reqs
}

/// One host port in use on a node: protocol, host IP (`0.0.0.0` when unset) and port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HostPort {
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
    /// The host IP the port binds, `0.0.0.0` for all.
    pub ip: String,
    /// The port number.
    pub port: i32,
}

/// The host ports a pod asks for (containers and init containers with `hostPort` set).
pub fn pod_host_ports(pod: &Pod) -> Vec<HostPort> {
    let Some(spec) = pod.spec.as_ref() else {
        return Vec::new();
    };
    spec.containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .flat_map(|c| c.ports.iter().flatten())
        .filter_map(|p| {
            let port = p.host_port.filter(|p| *p > 0)?;
            Some(HostPort {
                protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                ip: p
                    .host_ip
                    .clone()
                    .filter(|ip| !ip.is_empty())
                    .unwrap_or_else(|| "0.0.0.0".into()),
                port,
            })
        })
        .collect()
}

/// The pod's priority (`spec.priority`, 0 when unset).
pub fn pod_priority(pod: &Pod) -> i32 {
    pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
}

/// `namespace/name` of a pod.
pub fn pod_key(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or("default"),
        pod.metadata.name.as_deref().unwrap_or("")
    )
}

/// A pod already on a node, with its requests computed once.
#[derive(Debug, Clone, PartialEq)]
pub struct PodInfo {
    /// The pod object.
    pub pod: Pod,
    /// Its actual requests.
    pub requests: Resource,
    /// Its requests with the 100m/200Mi non-zero defaults.
    pub non_zero_requests: Resource,
}

impl PodInfo {
    /// Wraps a pod, computing its requests.
    pub fn new(pod: Pod) -> PodInfo {
        PodInfo {
            requests: pod_requests(&pod, false),
            non_zero_requests: pod_requests(&pod, true),
            pod,
        }
    }
}

/// One container image present on a node, and how many nodes in the snapshot have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageState {
    /// The image's size in bytes.
    pub size: i64,
    /// How many nodes of the snapshot hold this image.
    pub num_nodes: usize,
}

/// A node as the scheduler sees it (upstream `framework.NodeInfo`): the node, its pods, what they
/// request (actual and non-zero, kept up to date as pods are added and removed), the host ports
/// in use and the images present.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeInfo {
    /// The node object.
    pub node: Node,
    /// Pods bound to the node.
    pub pods: Vec<PodInfo>,
    /// Sum of the pods' actual requests.
    pub requested: Resource,
    /// Sum of the pods' requests with non-zero defaults (scoring).
    pub non_zero_requested: Resource,
    /// The node's allocatable resources.
    pub allocatable: Resource,
    /// Host ports in use, with how many pods use each.
    pub used_ports: BTreeMap<HostPort, usize>,
    /// Images on the node by every name they are known as.
    pub image_states: BTreeMap<String, ImageState>,
}

impl NodeInfo {
    /// A node with no pods yet.
    pub fn new(node: Node) -> NodeInfo {
        let allocatable = node
            .status
            .as_ref()
            .and_then(|s| s.allocatable.as_ref())
            .map(Resource::from_list)
            .unwrap_or_default();
        let mut image_states = BTreeMap::new();
        for image in node
            .status
            .as_ref()
            .and_then(|s| s.images.as_ref())
            .into_iter()
            .flatten()
        {
            for name in image.names.iter().flatten() {
                image_states.insert(
                    normalized_image_name(name),
                    ImageState {
                        size: image.size_bytes.unwrap_or(0),
                        num_nodes: 1,
                    },
                );
            }
        }
        NodeInfo {
            node,
            pods: Vec::new(),
            requested: Resource::default(),
            non_zero_requested: Resource::default(),
            allocatable,
            used_ports: BTreeMap::new(),
            image_states,
        }
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        self.node.metadata.name.as_deref().unwrap_or("")
    }

    /// The node's labels.
    pub fn labels(&self) -> Option<&BTreeMap<String, String>> {
        self.node.metadata.labels.as_ref()
    }

    /// Adds a pod, updating requests and ports.
    pub fn add_pod(&mut self, pod: Pod) {
        let info = PodInfo::new(pod);
        self.requested.add(&info.requests);
        self.non_zero_requested.add(&info.non_zero_requests);
        for p in pod_host_ports(&info.pod) {
            *self.used_ports.entry(p).or_insert(0) += 1;
        }
        self.pods.push(info);
    }

    /// Removes the pod `namespace/name`, updating requests and ports; returns it if it was here.
    pub fn remove_pod(&mut self, key: &str) -> Option<PodInfo> {
        let at = self.pods.iter().position(|p| pod_key(&p.pod) == key)?;
        let info = self.pods.remove(at);
        self.requested.sub(&info.requests);
        self.non_zero_requested.sub(&info.non_zero_requests);
        for p in pod_host_ports(&info.pod) {
            if let Some(n) = self.used_ports.get_mut(&p) {
                *n -= 1;
                if *n == 0 {
                    self.used_ports.remove(&p);
                }
            }
        }
        Some(info)
    }
}

/// An image name as the scheduler compares them: `:latest` added when no tag or digest is given.
pub fn normalized_image_name(name: &str) -> String {
    let colon = name.rfind(':').map(|i| i as isize).unwrap_or(-1);
    let slash = name.rfind('/').map(|i| i as isize).unwrap_or(-1);
    if colon <= slash {
        format!("{name}:latest")
    } else {
        name.to_string()
    }
}

/// A StorageClass's volume binding mode, as the scheduler needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumeBindingMode {
    /// Bind as soon as the claim is created (the default).
    Immediate,
    /// Delay binding until a pod using the claim is scheduled.
    WaitForFirstConsumer,
}

/// Everything one scheduling cycle reads: the nodes (in a stable order, each with its pods) and
/// the claims and storage classes volume plugins consult.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterSnapshot {
    /// The nodes, in the order the caller gave them.
    pub nodes: Vec<NodeInfo>,
    /// PersistentVolumeClaims by `namespace/name`.
    pub pvcs: BTreeMap<String, PersistentVolumeClaim>,
    /// Binding mode of each StorageClass by name (absent classes count as `Immediate`).
    pub storage_classes: BTreeMap<String, VolumeBindingMode>,
    /// Pods waiting for a node preemption freed for them, by `status.nominatedNodeName`.
    pub nominated: BTreeMap<String, Vec<Pod>>,
}

impl ClusterSnapshot {
    /// Builds the snapshot: every pod with `spec.nodeName` set is placed on its node (pods naming
    /// an unknown node are ignored), and image spread counts are computed.
    pub fn new(nodes: Vec<Node>, pods: &[Pod]) -> ClusterSnapshot {
        let mut infos: Vec<NodeInfo> = nodes.into_iter().map(NodeInfo::new).collect();
        let index: BTreeMap<String, usize> = infos
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name().to_string(), i))
            .collect();
        for pod in pods {
            let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
                continue;
            };
            if let Some(&i) = index.get(node) {
                infos[i].add_pod(pod.clone());
            }
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for n in &infos {
            for name in n.image_states.keys() {
                *counts.entry(name.clone()).or_insert(0) += 1;
            }
        }
        for n in &mut infos {
            for (name, st) in n.image_states.iter_mut() {
                st.num_nodes = counts.get(name).copied().unwrap_or(1);
            }
        }
        ClusterSnapshot {
            nodes: infos,
            pvcs: BTreeMap::new(),
            storage_classes: BTreeMap::new(),
            nominated: BTreeMap::new(),
        }
    }

    /// Adds claims to the snapshot.
    pub fn with_pvcs(mut self, pvcs: impl IntoIterator<Item = PersistentVolumeClaim>) -> Self {
        for pvc in pvcs {
            let key = format!(
                "{}/{}",
                pvc.metadata.namespace.as_deref().unwrap_or("default"),
                pvc.metadata.name.as_deref().unwrap_or("")
            );
            self.pvcs.insert(key, pvc);
        }
        self
    }

    /// The index of the node called `name`.
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name() == name)
    }

    /// Every pod in the snapshot with the index of its node.
    pub fn all_pods(&self) -> impl Iterator<Item = (usize, &PodInfo)> {
        self.nodes
            .iter()
            .enumerate()
            .flat_map(|(i, n)| n.pods.iter().map(move |p| (i, p)))
    }
}

/// Nodes a PreFilter plugin narrows the search to (`None` in the result means all nodes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreFilterResult {
    /// Names of the nodes worth filtering.
    pub node_names: BTreeSet<String>,
}

/// Every plugin has a name (upstream `Plugin`).
pub trait Plugin {
    /// The plugin's upstream name, e.g. `NodeResourcesFit`.
    fn name(&self) -> &'static str;
}

/// Decides whether a pod may enter the active queue at all (upstream `PreEnqueuePlugin`).
pub trait PreEnqueuePlugin: Plugin {
    /// `Success` lets the pod in; anything else keeps it out.
    fn pre_enqueue(&self, pod: &Pod) -> Status;
}

/// Orders the active queue (upstream `QueueSortPlugin`).
pub trait QueueSortPlugin: Plugin {
    /// Whether `a` (queued at `a_time`) should be scheduled before `b` (queued at `b_time`).
    fn less(
        &self,
        a: &Pod,
        a_time: crate::sim::SimTime,
        b: &Pod,
        b_time: crate::sim::SimTime,
    ) -> bool;
}

/// Runs once per cycle before filtering; may narrow the nodes or reject the pod outright.
pub trait PreFilterPlugin: Plugin {
    /// Computes per-cycle state; `Skip` disables this plugin's Filter for the cycle.
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        snapshot: &ClusterSnapshot,
    ) -> (Option<PreFilterResult>, Status);

    /// Updates this plugin's cycle state as if `victim` were removed from node `node`
    /// (preemption's dry run; upstream `PreFilterExtensions.RemovePod`). Default: nothing to do.
    fn remove_pod(&self, _state: &mut CycleState, _pod: &Pod, _victim: &Pod, _node: &NodeInfo) {}

    /// Updates this plugin's cycle state as if `other` were added to node `node` (preemption's
    /// reprieve step; upstream `PreFilterExtensions.AddPod`). Default: nothing to do.
    fn add_pod(&self, _state: &mut CycleState, _pod: &Pod, _other: &Pod, _node: &NodeInfo) {}
}

/// Decides whether a pod fits on one node (upstream `FilterPlugin`).
pub trait FilterPlugin: Plugin {
    /// `Success` when the pod fits; a rejection otherwise, with the exact upstream reason.
    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status;
}

/// Runs after no node fits (upstream `PostFilterPlugin`; DefaultPreemption).
pub trait PostFilterPlugin: Plugin {
    /// Tries to make room; returns the nominated node and victims, or why it could not.
    fn post_filter(
        &self,
        ctx: &crate::scheduler::cycle::PostFilterContext<'_>,
        pod: &Pod,
        rng: &mut crate::sim::SimRng,
    ) -> (
        Option<crate::scheduler::plugins::default_preemption::Preemption>,
        Status,
    );
}

/// Runs once before scoring the feasible nodes (upstream `PreScorePlugin`).
pub trait PreScorePlugin: Plugin {
    /// Computes per-cycle scoring state; `Skip` disables this plugin's Score for the cycle.
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        feasible: &[&NodeInfo],
        snapshot: &ClusterSnapshot,
    ) -> Status;
}

/// Ranks feasible nodes (upstream `ScorePlugin` with its `ScoreExtensions`).
pub trait ScorePlugin: Plugin {
    /// The raw score of one node.
    fn score(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Result<i64, Status>;

    /// Maps raw scores into `0..=100` in place (upstream `NormalizeScore`). Default: unchanged.
    fn normalize_score(&self, _state: &CycleState, _pod: &Pod, _scores: &mut [i64]) -> Status {
        Status::success()
    }
}

/// Reserves cluster state for the chosen node before binding (upstream `ReservePlugin`).
pub trait ReservePlugin: Plugin {
    /// Reserves; a failure aborts the attempt.
    fn reserve(&self, state: &mut CycleState, pod: &Pod, node: &str) -> Status;
    /// Undoes `reserve` when a later step fails.
    fn unreserve(&self, state: &mut CycleState, pod: &Pod, node: &str);
}

/// Approves, denies or delays binding (upstream `PermitPlugin`).
pub trait PermitPlugin: Plugin {
    /// `Success`, a rejection, or `Wait` with how long to wait in milliseconds.
    fn permit(&self, state: &mut CycleState, pod: &Pod, node: &str) -> (Status, u64);
}

/// Prepares the binding (e.g. volumes) (upstream `PreBindPlugin`).
pub trait PreBindPlugin: Plugin {
    /// A failure aborts the binding.
    fn pre_bind(&self, state: &mut CycleState, pod: &Pod, node: &str) -> Status;
}

/// Binds the pod to the node (upstream `BindPlugin`).
pub trait BindPlugin: Plugin {
    /// The `Binding` to write to `pods/<name>/binding`, or `Skip` to let the next binder try.
    fn bind(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        node: &str,
    ) -> Result<k8s_openapi::api::core::v1::Binding, Status>;
}
