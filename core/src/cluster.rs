//! `Cluster`: the one owner of the simulated world — virtual clock, seeded RNG, the API server
//! with its store, the timer queue and the flow trace — and the entry points the CLI and the
//! playground call: `load`, `apply`, `delete`, `step`, `run_for`, `run_until_quiet`, `snapshot`,
//! and the node operations `set_unschedulable` (cordon), `drain`, `fail_node`, `recover_node`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, NamespaceStatus, Node, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use crate::apiserver::authn::{Authenticator, Credential};
use crate::apiserver::server::{ApiServer, Outcome, Propagation, Target};
use crate::apiserver::{ApiError, Reason, UserInfo, Verb};
use crate::component::{Component, Ctx};
use crate::controllers::namespace::NamespaceController;
use crate::controllers::node_lifecycle::NodeLifecycleController;
use crate::controllers::pod_gc::PodGcController;
use crate::controllers::resource_quota::ResourceQuotaController;
use crate::controllers::taint_eviction::TaintEvictionController;
use crate::events::EventWrite;
use crate::intake::{self, DecodeError, Document};
use crate::kubectl::apply as kapply;
use crate::kubelet::component::Kubelet;
use crate::kubelet::heartbeat::{self, NodeHeartbeat};
use crate::nodes::{healthy_conditions, NodePool};
use crate::object::{kind_for_resource, Object};
use crate::scenario::{self, ScenarioSpec};
use crate::scheduler::component::KubeScheduler;
use crate::scheduler::registry::Profile;
use crate::sim::{SimDuration, SimRng, SimTime, TimerQueue};
use crate::snapshot::{NodeView, PodView, Snapshot};
use crate::store::WatchId;
use crate::trace::{Stage, Trace, TraceStep};

mod commands;
mod logs;
mod partition;
mod watch_table;

use watch_table::WatchTable;

pub use logs::LogsOutput;

/// How a cluster starts: its seed, its nodes and its users.
#[derive(Debug, Clone, Default)]
pub struct ClusterConfig {
    /// Seed of the one RNG; the same seed replays the same run.
    pub seed: u64,
    /// The default node pool, used when `nodes` is empty.
    pub pool: NodePool,
    /// Nodes given as real Node objects (they replace the default pool).
    pub nodes: Vec<Node>,
    /// The scenario document's spec (users, actions).
    pub scenario: ScenarioSpec,
    /// Start no control-plane components (for tests of the component framework itself).
    pub bare: bool,
    /// Start the kubelets' node heartbeats but not their pod workers: for tests that write pod
    /// status themselves, as a stand-in kubelet, to drive controllers step by step.
    pub without_pod_workers: bool,
}

/// What `kubectl apply` printed for one object (or one file that failed as a whole).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApplyResult {
    /// Whether the object was accepted (`created`, `configured`, `unchanged`).
    pub ok: bool,
    /// The line(s) kubectl printed: `pod/nginx created` on stdout, or the error on stderr.
    pub message: String,
    /// `Warning: …` lines kubectl printed on stderr before the result.
    pub warnings: Vec<String>,
}

impl ApplyResult {
    fn ok(message: String, warnings: Vec<String>) -> ApplyResult {
        ApplyResult {
            ok: true,
            message,
            warnings,
        }
    }
    fn err(message: String) -> ApplyResult {
        ApplyResult {
            ok: false,
            message,
            warnings: Vec::new(),
        }
    }
}

/// Something due at a moment of virtual time.
#[derive(Debug, Clone, PartialEq)]
enum Task {
    /// The scenario's timed action with this index.
    Action(usize),
    /// Events are waiting on a component's watch.
    Deliver(WatchId),
    /// A component's timer.
    Timer {
        /// Index into the component list.
        component: usize,
        /// The token it asked for.
        token: u64,
    },
    /// etcd revokes the Event leases expired by then.
    LeaseExpiry,
}

/// The most watch events one item hands to a component. An informer's handlers take events
/// one at a time while the other components go on; a burst (a ReplicaSet creating 500 pods, 30
/// of them at once) reaches its watchers in items of this many, at the same virtual moment, so
/// that no single item of the simulation (which a Play tick cannot split) takes long.
pub const MAX_EVENTS_PER_DELIVERY: usize = 128;

/// How long a store change takes to reach a watching component (the watch cache fan-out).
pub const WATCH_LATENCY: SimDuration = SimDuration::millis(1);

/// What one `step` did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// When it happened.
    pub time: SimTime,
    /// The trace steps it produced.
    pub steps: Vec<TraceStep>,
    /// kubectl's output for actions that apply or delete.
    pub results: Vec<ApplyResult>,
}

/// A whole simulated Kubernetes cluster.
#[derive(Debug)]
pub struct Cluster {
    now: SimTime,
    seed: u64,
    rng: SimRng,
    api: ApiServer,
    authn: Authenticator,
    scenario: ScenarioSpec,
    timers: TimerQueue<Task>,
    trace: Trace,
    components: Vec<Box<dyn Component>>,
    /// Each component's name and user, read once when it starts (they never change), so a
    /// handler's context shares them instead of copying them for every call.
    identities: Vec<(Arc<str>, UserInfo)>,
    /// Each watch's owner and whether its delivery is scheduled.
    watches: WatchTable,
    failed_nodes: BTreeSet<String>,
    partitioned_nodes: BTreeSet<String>,
    /// Whether a [`Task::LeaseExpiry`] is pending (at most one is: a later lease never expires
    /// before an earlier one).
    lease_timer_armed: bool,
    /// The store's ready watches, taken after every step into this one buffer.
    ready_watches: Vec<WatchId>,
    /// The frontend's incrementally kept view ([`Cluster::sync_overview`]); it follows the
    /// store only once something asked for it.
    overview: crate::overview::Overview,
}

/// The namespaces every cluster starts with.
const SYSTEM_NAMESPACES: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];

impl Cluster {
    /// A cluster with its nodes, system namespaces, default service accounts, RBAC bootstrap
    /// roles and priority classes, at virtual time zero.
    pub fn new(config: ClusterConfig) -> Cluster {
        let mut authn = Authenticator::new();
        for user in &config.scenario.users {
            let groups: Vec<&str> = user.groups.iter().map(String::as_str).collect();
            if let Some(token) = &user.token {
                authn.add_user(&user.name, &groups, token);
            }
        }
        let mut cluster = Cluster {
            now: SimTime::ZERO,
            seed: config.seed,
            rng: SimRng::new(config.seed),
            api: ApiServer::default(),
            authn,
            scenario: config.scenario.clone(),
            timers: TimerQueue::default(),
            trace: Trace::default(),
            components: Vec::new(),
            identities: Vec::new(),
            watches: WatchTable::default(),
            partitioned_nodes: BTreeSet::new(),
            lease_timer_armed: false,
            ready_watches: Vec::new(),
            overview: Default::default(),
            failed_nodes: BTreeSet::new(),
        };
        for ns in SYSTEM_NAMESPACES {
            cluster.bootstrap_namespace(ns);
        }
        for obj in crate::apiserver::bootstrap::objects() {
            let _ = cluster.api.bootstrap(obj, SimTime::ZERO, &mut cluster.rng);
        }
        let nodes = if config.nodes.is_empty() {
            config.pool.nodes()
        } else {
            let mut nodes = config.nodes;
            config.pool.complete(&mut nodes);
            nodes
        };
        let node_names: Vec<String> = nodes
            .iter()
            .filter_map(|n| n.metadata.name.clone())
            .collect();
        for mut node in nodes {
            let status = node.status.get_or_insert_with(Default::default);
            if status.conditions.as_ref().is_none_or(|c| c.is_empty()) {
                status.conditions = Some(healthy_conditions(SimTime::ZERO));
            }
            let _ = cluster
                .api
                .bootstrap(Object::from(node), SimTime::ZERO, &mut cluster.rng);
        }
        if !config.bare {
            // A configuration that does not validate was refused when the scenario was read.
            let profile = config
                .scenario
                .scheduler
                .as_ref()
                .and_then(|s| s.profile_config().ok())
                .map(|c| Profile::new(&c))
                .unwrap_or_else(Profile::default_scheduler);
            cluster.add_component(Box::new(KubeScheduler::new(profile, SimTime::ZERO)));
            let catalog = config.scenario.catalog();
            let timings = config.scenario.timings();
            for node in node_names.iter().filter(|_| !config.without_pod_workers) {
                cluster.add_component(Box::new(Kubelet::new(
                    node,
                    catalog.clone(),
                    timings.clone(),
                )));
            }
            cluster.start_node_agents_and_controllers();
            cluster.add_controllers();
        }
        for (i, action) in config.scenario.actions.iter().enumerate() {
            if let Ok(at) = scenario::parse_duration(&action.at) {
                cluster.timers.push(SimTime::ZERO.plus(at), Task::Action(i));
            }
        }
        cluster
    }

    /// Starts kube-controller-manager's controllers.
    fn add_controllers(&mut self) {
        use crate::controllers::{
            daemonset::DaemonSetController, deployment::DeploymentController,
            endpointslice::EndpointSliceController, garbage_collector::GarbageCollector,
            job::JobController, replicaset::ReplicaSetController,
        };
        self.add_component(Box::new(DeploymentController::new()));
        self.add_component(Box::new(ReplicaSetController::new()));
        self.add_component(Box::new(GarbageCollector::new()));
        self.add_component(Box::new(EndpointSliceController::new()));
        self.add_component(Box::new(DaemonSetController::new()));
        self.add_component(Box::new(JobController::new()));
        self.add_component(Box::new(ResourceQuotaController::new()));
    }

    /// Builds a cluster from scenario files — real Kubernetes objects plus at most one
    /// `podflow.dev/v1alpha1` Scenario document — and applies every object at t=0 as
    /// `kubectl apply -f` would, file by file. Node objects become the cluster's nodes.
    pub fn load(files: &[(String, String)]) -> (Cluster, Vec<ApplyResult>) {
        Cluster::load_seeded(files, None)
    }

    /// [`Cluster::load`] with the seed overridden (the playground's seed field).
    pub fn load_seeded(
        files: &[(String, String)],
        seed: Option<u64>,
    ) -> (Cluster, Vec<ApplyResult>) {
        let mut spec = ScenarioSpec::default();
        let mut nodes = Vec::new();
        let mut per_file: Vec<(String, Result<Vec<Document>, String>)> = Vec::new();
        let mut early = Vec::new();
        for (source, text) in files {
            match intake::parse_manifest(text, source) {
                Err(e) => per_file.push((source.clone(), Err(e.to_string()))),
                Ok(docs) => {
                    let mut rest = Vec::new();
                    for doc in docs {
                        let api_version = doc
                            .value
                            .get("apiVersion")
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        let kind = doc.value.get("kind").and_then(Value::as_str).unwrap_or("");
                        if api_version == scenario::API_VERSION && kind == scenario::KIND {
                            match scenario_spec(&doc.value) {
                                Ok(s) => spec = s,
                                Err(e) => early.push(ApplyResult::err(format!(
                                    "error: error validating \"{source}\": error validating data: {e}"
                                ))),
                            }
                        } else if api_version == "v1" && kind == "Node" {
                            match intake::decode(&doc, source) {
                                Ok(Object::Node(n)) => nodes.push(*n),
                                Ok(_) => {}
                                Err(e) => {
                                    early.push(ApplyResult::err(e.kubectl_message("creating")))
                                }
                            }
                        } else {
                            rest.push(doc);
                        }
                    }
                    per_file.push((source.clone(), Ok(rest)));
                }
            }
        }
        let mut pool = NodePool::default();
        if let Some(p) = &spec.nodes {
            if let Some(c) = p.count {
                pool.count = c;
            }
            if let Some(c) = &p.cpu {
                pool.cpu = c.clone();
            }
            if let Some(m) = &p.memory {
                pool.memory = m.clone();
            }
            if let Some(n) = p.pods {
                pool.pods = n;
            }
        }
        let config = ClusterConfig {
            seed: seed.or(spec.seed).unwrap_or(1),
            pool,
            nodes,
            scenario: spec,
            bare: false,
            without_pod_workers: false,
        };
        let mut cluster = Cluster::new(config);
        // One `kubectl apply -f a -f b …`: successes as they happen, every error at the end.
        let mut errors = early;
        let mut results = Vec::new();
        let user = cluster.scenario_user_checked(None);
        for (source, docs) in per_file {
            match (docs, &user) {
                (Err(e), _) => errors.push(ApplyResult::err(e)),
                (Ok(docs), Err(unauthorized)) => {
                    // kubectl gives up at the first 401: one line for the whole invocation.
                    if !docs.is_empty() && !errors.contains(unauthorized) {
                        errors.push(unauthorized.clone());
                    }
                }
                (Ok(docs), Ok(user)) => {
                    for r in cluster.apply_documents(&docs, &source, user) {
                        if r.ok {
                            results.push(r);
                        } else {
                            errors.push(r);
                        }
                    }
                }
            }
        }
        results.extend(errors);
        (cluster, results)
    }

    /// The credential kubectl presents for a scenario user: kubeadm's admin certificate by
    /// default, the user's bearer token when the scenario gives one, a client certificate for a
    /// user without one, and no credentials at all for a user the scenario does not define.
    fn credential(&self, name: Option<&str>) -> Credential {
        let name = name.or(self.scenario.as_user.as_deref());
        match name {
            None | Some("kubernetes-admin") => Credential::ClientCertificate(UserInfo::admin()),
            Some(n) => match self.scenario.users.iter().find(|u| u.name == n) {
                Some(u) => match &u.token {
                    Some(token) => Credential::Token(token.clone()),
                    None => {
                        let groups: Vec<&str> = u.groups.iter().map(String::as_str).collect();
                        Credential::ClientCertificate(UserInfo::new(n, &groups))
                    }
                },
                None => Credential::Anonymous,
            },
        }
    }

    /// Authenticates a scenario user, or gives kubectl's 401 line.
    fn scenario_user_checked(&self, name: Option<&str>) -> Result<UserInfo, ApplyResult> {
        self.authn
            .authenticate(&self.credential(name))
            .map_err(|e| ApplyResult::err(e.kubectl_message("", "")))
    }

    fn scenario_user(&self, name: Option<&str>) -> UserInfo {
        self.scenario_user_checked(name)
            .unwrap_or_else(|_| UserInfo::new("system:anonymous", &["system:unauthenticated"]))
    }

    fn bootstrap_namespace(&mut self, name: &str) {
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some(
                    [("kubernetes.io/metadata.name".to_string(), name.to_string())].into(),
                ),
                ..Default::default()
            },
            status: Some(NamespaceStatus {
                phase: Some("Active".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let _ = self
            .api
            .bootstrap(Object::from(ns), self.now, &mut self.rng);
        self.populate_namespace(name);
    }

    /// What the service-account and root-CA controllers put in every namespace: the `default`
    /// ServiceAccount and the `kube-root-ca.crt` ConfigMap.
    fn populate_namespace(&mut self, name: &str) {
        let sa = ServiceAccount {
            metadata: ObjectMeta {
                name: Some("default".into()),
                namespace: Some(name.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let _ = self
            .api
            .bootstrap(Object::from(sa), self.now, &mut self.rng);
        let ca = ConfigMap {
            metadata: ObjectMeta {
                name: Some("kube-root-ca.crt".into()),
                namespace: Some(name.into()),
                annotations: Some(
                    [("kubernetes.io/description".to_string(), "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.".to_string())].into(),
                ),
                ..Default::default()
            },
            data: Some([("ca.crt".to_string(), "-----BEGIN CERTIFICATE-----\n(simulated cluster CA)\n-----END CERTIFICATE-----\n".to_string())].into()),
            ..Default::default()
        };
        let _ = self
            .api
            .bootstrap(Object::from(ca), self.now, &mut self.rng);
    }

    /// The current virtual time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The seed this cluster was started with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The API server (and through it the store), for reading.
    pub fn api(&self) -> &ApiServer {
        &self.api
    }

    /// The scheduler's record of its latest attempt to schedule a pod: per node, each filter's
    /// verdict and each score plugin's raw, normalized and weighted score.
    pub fn scheduling_decision(
        &self,
        namespace: &str,
        name: &str,
    ) -> Option<&crate::scheduler::decision::Decision> {
        let key = format!("{namespace}/{name}");
        self.components
            .iter()
            .find_map(|c| c.scheduling_decision(&key))
    }

    /// The flow trace so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// `kubectl apply -f <source>` of a manifest text as the scenario's user.
    pub fn apply(&mut self, text: &str, source: &str) -> Vec<ApplyResult> {
        match self.scenario_user_checked(None) {
            Ok(user) => self.apply_as(text, source, &user),
            Err(unauthorized) => vec![unauthorized],
        }
    }

    /// `kubectl apply -f <source>` as a given user.
    pub fn apply_as(&mut self, text: &str, source: &str, user: &UserInfo) -> Vec<ApplyResult> {
        match intake::parse_manifest(text, source) {
            Err(e) => vec![ApplyResult::err(e.to_string())],
            Ok(docs) => self.apply_documents(&docs, source, user),
        }
    }

    /// Applies parsed documents in order. Successes are reported in order; errors come after
    /// them, as kubectl prints its aggregated errors last.
    pub fn apply_documents(
        &mut self,
        docs: &[Document],
        source: &str,
        user: &UserInfo,
    ) -> Vec<ApplyResult> {
        let mut ok = Vec::new();
        let mut errors = Vec::new();
        for doc in docs {
            match self.apply_document(doc, source, user) {
                Ok(r) => ok.push(r),
                Err(r) => errors.push(r),
            }
        }
        ok.extend(errors);
        ok
    }

    fn trace_kubectl(&mut self, object: String, detail: String) {
        self.trace.push(TraceStep {
            time: self.now,
            component: "kubectl".into(),
            stage: Stage::Kubectl,
            object: object.into(),
            detail,
        });
    }

    fn record(&mut self, outcome: &Outcome) {
        for step in &outcome.trace {
            self.trace.push(step.clone());
        }
        self.schedule_deliveries();
    }

    fn apply_document(
        &mut self,
        doc: &Document,
        source: &str,
        user: &UserInfo,
    ) -> Result<ApplyResult, ApplyResult> {
        // kubectl fills in the namespace of its context before computing anything.
        let mut manifest = doc.value.clone();
        let obj = match intake::decode(doc, source) {
            Ok(o) => o,
            Err(DecodeError::Client(text)) => return Err(ApplyResult::err(text)),
            Err(e) => return Err(ApplyResult::err(e.kubectl_message("creating"))),
        };
        let info = obj.info();
        let name = obj.meta().name.clone().unwrap_or_default();
        let namespace = if info.namespaced {
            let ns = obj
                .meta()
                .namespace
                .clone()
                .unwrap_or_else(|| "default".into());
            if let Some(meta) = manifest.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert("namespace".into(), Value::String(ns.clone()));
            }
            ns
        } else {
            String::new()
        };
        let shown = format!(
            "{}/{}",
            info.kubectl_resource(),
            if name.is_empty() { "" } else { &name }
        );
        self.trace_kubectl(
            shown.clone(),
            format!(
                "apply -f {}: {} {}",
                if source == "STDIN" { "-" } else { source },
                info.kind,
                name
            ),
        );
        let annotated = kapply::with_last_applied(&manifest);
        let existing = if name.is_empty() {
            None
        } else {
            self.api.get(info.kind, &namespace, &name)
        };
        match existing {
            None => {
                let obj = Object::from_json(info.kind, annotated)
                    .map_err(|e| ApplyResult::err(format!("error: {e}")))?;
                let outcome = self
                    .api
                    .create(user, obj, self.now, &mut self.rng, "kubectl");
                self.record(&outcome);
                match outcome.result {
                    Ok(stored) => {
                        self.after_create(&stored);
                        let stored_name = stored.meta().name.clone().unwrap_or_default();
                        Ok(ApplyResult::ok(
                            format!("{}/{} created", info.kubectl_resource(), stored_name),
                            outcome
                                .warnings
                                .iter()
                                .map(|w| format!("Warning: {w}"))
                                .collect(),
                        ))
                    }
                    Err(e) => Err(ApplyResult::err(e.kubectl_message("creating", source))),
                }
            }
            Some(live) => {
                let live_json = live.to_json();
                let original = kapply::last_applied(&live_json);
                let Some(patch) =
                    kapply::three_way_patch(original.as_ref(), &annotated, &live_json)
                else {
                    return Ok(ApplyResult::ok(format!("{shown} unchanged"), Vec::new()));
                };
                let merged = kapply::apply_patch(&live_json, &patch);
                let obj = Object::from_json(info.kind, merged)
                    .map_err(|e| ApplyResult::err(format!("error: {e}")))?;
                let outcome =
                    self.api
                        .update(user, Verb::Patch, obj, self.now, &mut self.rng, "kubectl");
                self.record(&outcome);
                match outcome.result {
                    Ok(_) => Ok(ApplyResult::ok(
                        format!("{shown} configured"),
                        outcome
                            .warnings
                            .iter()
                            .map(|w| format!("Warning: {w}"))
                            .collect(),
                    )),
                    Err(e) if e.reason == Reason::Invalid => {
                        Err(ApplyResult::err(e.kubectl_message("patching", source)))
                    }
                    Err(e) => Err(ApplyResult::err(patch_error(
                        &e, &patch, info, &namespace, &name, source,
                    ))),
                }
            }
        }
    }

    /// Reactions of the controllers that a create triggers immediately in this engine.
    fn after_create(&mut self, stored: &Arc<Object>) {
        if let Object::Namespace(ns) = &**stored {
            if let Some(name) = ns.metadata.name.clone() {
                self.populate_namespace(&name);
            }
        }
    }

    /// `kubectl delete <resource> <name> -n <namespace>`: `pod "nginx" deleted` or the error.
    pub fn delete(&mut self, resource: &str, namespace: &str, name: &str) -> ApplyResult {
        let user = self.scenario_user(None);
        self.delete_as(resource, namespace, name, &user)
    }

    /// `kubectl delete` as a given user.
    pub fn delete_as(
        &mut self,
        resource: &str,
        namespace: &str,
        name: &str,
        user: &UserInfo,
    ) -> ApplyResult {
        self.delete_cascade(resource, namespace, name, None, user)
    }

    /// `kubectl delete --cascade=background|foreground|orphan` as a given user (`None`: the
    /// server's default, background).
    pub fn delete_cascade(
        &mut self,
        resource: &str,
        namespace: &str,
        name: &str,
        cascade: Option<Propagation>,
        user: &UserInfo,
    ) -> ApplyResult {
        let Some(info) = kind_for_resource(resource) else {
            return ApplyResult::err(format!(
                "error: the server doesn't have a resource type \"{resource}\""
            ));
        };
        let target = Target {
            info,
            namespace,
            name,
        };
        let outcome = self
            .api
            .delete_with_propagation(user, target, None, cascade, self.now, "kubectl");
        self.record(&outcome);
        match outcome.result {
            Ok(_) => ApplyResult::ok(
                format!("{} \"{name}\" deleted", info.kubectl_resource()),
                Vec::new(),
            ),
            Err(e) => ApplyResult::err(e.kubectl_message("", "")),
        }
    }

    /// When the next thing is due, if anything is.
    pub fn next_due(&self) -> Option<SimTime> {
        self.timers.peek_time()
    }

    /// What the next due item is, in words: `watch delivery to kube-scheduler (12 events)`,
    /// `timer of kubelet/node-3`, `scenario action 2`, `lease expiry` (for profiling tools).
    pub fn next_item(&self) -> Option<String> {
        let name = |i: usize| self.components.get(i).map_or("?", |c| c.name());
        Some(match self.timers.peek()?.1 {
            Task::Action(i) => format!("scenario action {i}"),
            Task::Deliver(id) => match self.watches.owner(*id) {
                Some(i) => format!(
                    "watch delivery to {} ({} events)",
                    name(i),
                    self.api.store.pending(*id)
                ),
                None => "watch delivery".to_string(),
            },
            Task::Timer { component, .. } => format!("timer of {}", name(*component)),
            Task::LeaseExpiry => "lease expiry".to_string(),
        })
    }

    /// How many timers wait in the simulation (deliveries, component timers, actions).
    pub fn pending_timers(&self) -> usize {
        self.timers.len()
    }

    /// Handles the next due item (moving the clock to it) and says what happened; `None` when
    /// nothing is left to do.
    pub fn step(&mut self) -> Option<StepReport> {
        let first = self.trace.next_seq();
        let results = self.advance()?;
        let steps = self.trace.since(first).cloned().collect();
        Some(StepReport {
            time: self.now,
            steps,
            results,
        })
    }

    /// Handles the next due item as [`Cluster::step`] does, without copying its trace steps
    /// into a report: kubectl's output for actions, or `None` when nothing is left to do.
    pub fn advance(&mut self) -> Option<Vec<ApplyResult>> {
        let (time, task) = self.timers.pop()?;
        self.now = self.now.max(time);
        let mut results = Vec::new();
        match task {
            Task::Action(i) => results.extend(self.run_action(i)),
            Task::Deliver(id) => {
                self.watches.delivered(id);
                let owner = self.watches.owner(id);
                // A stopped or cut-off node agent's events wait in its watch until the node
                // recovers or the partition heals.
                if owner.is_some_and(|i| self.is_stopped(i) || self.is_partitioned(i)) {
                    return Some(results);
                }
                let events = self.api.store.poll_up_to(id, MAX_EVENTS_PER_DELIVERY);
                if let Some(index) = owner {
                    self.run_component(index, |c, ctx| {
                        for event in &events {
                            c.on_watch(event, ctx);
                        }
                    });
                }
                // The rest, at this same moment: they have already waited the watch latency.
                if self.api.store.pending(id) > 0 && self.watches.schedule(id) {
                    self.timers.push(self.now, Task::Deliver(id));
                }
            }
            // A stopped node agent's timers are gone with its process.
            Task::Timer { component, .. } if self.is_stopped(component) => {}
            Task::Timer { component, token } => {
                self.run_component(component, |c, ctx| c.on_timer(token, ctx))
            }
            Task::LeaseExpiry => {
                self.lease_timer_armed = false;
                for step in self.api.expire_leases(self.now) {
                    self.trace.push(step);
                }
            }
        }
        self.schedule_deliveries();
        Some(results)
    }

    /// Runs every item due up to `now + d`, then leaves the clock at `now + d`.
    pub fn run_for(&mut self, d: SimDuration) -> Vec<StepReport> {
        let end = self.now.plus(d);
        let mut reports = Vec::new();
        while self.timers.peek_time().is_some_and(|t| t <= end) {
            if let Some(r) = self.step() {
                reports.push(r);
            }
        }
        self.now = end;
        reports
    }

    /// As [`Cluster::run_for`] without the step reports, but stopping early, between two items,
    /// once `more()` says no. Returns whether the clock reached `now + d`; when it did not, it
    /// stays at the last item run, possibly with more items due at that same moment (see
    /// [`Cluster::finish_moment`]).
    pub fn run_for_while(&mut self, d: SimDuration, mut more: impl FnMut() -> bool) -> bool {
        let end = self.now.plus(d);
        while self.timers.peek_time().is_some_and(|t| t <= end) {
            if !more() {
                return false;
            }
            self.advance();
        }
        self.now = end;
        true
    }

    /// Runs the items still due at the current moment (after [`Cluster::run_for_while`] stopped
    /// among them), so the state is the one `run_for` would have left at this time.
    pub fn finish_moment(&mut self) {
        while self.timers.peek_time().is_some_and(|t| t <= self.now) {
            self.advance();
        }
    }

    /// Steps until nothing is due or `limit` steps ran; returns how many ran.
    pub fn run_until_quiet(&mut self, limit: usize) -> usize {
        let mut n = 0;
        while n < limit && self.advance().is_some() {
            n += 1;
        }
        n
    }

    fn run_action(&mut self, index: usize) -> Vec<ApplyResult> {
        let Some(action) = self.scenario.actions.get(index).cloned() else {
            return Vec::new();
        };
        let user = match self.scenario_user_checked(action.as_user.as_deref()) {
            Ok(u) => u,
            Err(unauthorized) => return vec![unauthorized],
        };
        let namespace = action.namespace.clone().unwrap_or_else(|| "default".into());
        if let Some(text) = &action.apply {
            // `kubectl apply -f -`: kubectl names standard input "STDIN" in its messages.
            return self.apply_as(text, "STDIN", &user);
        }
        if let Some(target) = &action.delete {
            let (resource, name) = target.split_once('/').unwrap_or((target.as_str(), ""));
            return vec![self.delete_as(resource, &namespace, name, &user)];
        }
        if let Some(node) = action.cordon.as_ref().or(action.uncordon.as_ref()) {
            let unschedulable = action.cordon.is_some();
            return vec![self.set_unschedulable(node, unschedulable, &user)];
        }
        if let Some(target) = &action.scale {
            let (resource, name) = target.split_once('/').unwrap_or((target.as_str(), ""));
            return vec![self.scale(
                resource,
                &namespace,
                name,
                action.replicas.unwrap_or(0),
                &user,
            )];
        }
        if let Some(node) = &action.drain {
            return self.drain(node, &user);
        }
        if let Some(node) = &action.fail_node {
            return vec![self.fail_node(node)];
        }
        if let Some(node) = &action.recover_node {
            return vec![self.recover_node(node)];
        }
        if let Some(line) = &action.kubectl {
            let out = crate::console::run(self, line, action.stdin.as_deref().unwrap_or(""));
            let mut results: Vec<ApplyResult> = out
                .stdout
                .lines()
                .map(|l| ApplyResult::ok(l.to_string(), Vec::new()))
                .collect();
            if !out.stderr.is_empty() {
                let message = out.stderr.trim_end().to_string();
                results.push(if out.ok {
                    ApplyResult::ok(message, Vec::new())
                } else {
                    ApplyResult::err(message)
                });
            }
            return results;
        }
        if let Some(node) = &action.partition_node {
            return vec![self.partition_node(node)];
        }
        if let Some(node) = &action.heal_node {
            return vec![self.heal_node(node)];
        }
        Vec::new()
    }

    /// `kubectl scale <resource>/<name> --replicas=N`: `deployment.apps/web scaled`.
    pub fn scale(
        &mut self,
        resource: &str,
        namespace: &str,
        name: &str,
        replicas: i32,
        user: &UserInfo,
    ) -> ApplyResult {
        let Some(info) =
            kind_for_resource(resource).filter(|i| matches!(i.kind, "Deployment" | "ReplicaSet"))
        else {
            return ApplyResult::err(format!(
                "error: no scaler has been implemented for {{\"\" \"{resource}\"}}"
            ));
        };
        let Some(live) = self.api.get(info.kind, namespace, name) else {
            return ApplyResult::err(format!(
                "Error from server (NotFound): {}.{} \"{name}\" not found",
                info.resource, info.group
            ));
        };
        let mut obj = (*live).clone();
        match &mut obj {
            Object::Deployment(d) => {
                d.spec.get_or_insert_with(Default::default).replicas = Some(replicas)
            }
            Object::ReplicaSet(r) => {
                r.spec.get_or_insert_with(Default::default).replicas = Some(replicas)
            }
            _ => {}
        }
        let outcome = self
            .api
            .update(user, Verb::Patch, obj, self.now, &mut self.rng, "kubectl");
        self.record(&outcome);
        match outcome.result {
            Ok(_) => ApplyResult::ok(
                format!("{}/{name} scaled", info.kubectl_resource()),
                Vec::new(),
            ),
            Err(e) => ApplyResult::err(e.kubectl_message("", "")),
        }
    }

    /// `kubectl cordon|uncordon <node>`.
    pub fn set_unschedulable(
        &mut self,
        node: &str,
        unschedulable: bool,
        user: &UserInfo,
    ) -> ApplyResult {
        let Some(live) = self.api.get("Node", "", node) else {
            return ApplyResult::err(format!(
                "Error from server (NotFound): nodes \"{node}\" not found"
            ));
        };
        let mut obj = (*live).clone();
        if let Object::Node(n) = &mut obj {
            let spec = n.spec.get_or_insert_with(Default::default);
            if spec.unschedulable.unwrap_or(false) == unschedulable {
                let verb = if unschedulable {
                    "cordoned"
                } else {
                    "uncordoned"
                };
                return ApplyResult::ok(format!("node/{node} already {verb}"), Vec::new());
            }
            spec.unschedulable = if unschedulable { Some(true) } else { None };
        }
        let outcome = self
            .api
            .update(user, Verb::Patch, obj, self.now, &mut self.rng, "kubectl");
        self.record(&outcome);
        match outcome.result {
            Ok(_) => ApplyResult::ok(
                format!(
                    "node/{node} {}",
                    if unschedulable {
                        "cordoned"
                    } else {
                        "uncordoned"
                    }
                ),
                Vec::new(),
            ),
            Err(e) => ApplyResult::err(e.kubectl_message("", "")),
        }
    }

    /// `kubectl drain <node> --ignore-daemonsets --delete-emptydir-data --force`: cordons the
    /// node, then evicts every pod on it that no DaemonSet manages (the Eviction API: the
    /// `DisruptionTarget` condition, then a graceful delete). One result per line kubectl
    /// prints; the `Warning:` line rides on the first eviction. kubectl waits for each pod to
    /// be gone before printing `pod/<name> evicted`; here the lines come at once.
    pub fn drain(&mut self, node: &str, user: &UserInfo) -> Vec<ApplyResult> {
        let cordon = self.set_unschedulable(node, true, user);
        if !cordon.ok {
            return vec![cordon];
        }
        let mut out = vec![cordon];
        let pods: Vec<k8s_openapi::api::core::v1::Pod> = self
            .objects(&["Pod"])
            .iter()
            .filter_map(|o| match &**o {
                Object::Pod(p)
                    if p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node) =>
                {
                    Some((**p).clone())
                }
                _ => None,
            })
            .collect();
        let mut warnings: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut evict = Vec::new();
        for pod in pods {
            let shown = format!(
                "{}/{}",
                pod.metadata.namespace.as_deref().unwrap_or(""),
                pod.metadata.name.as_deref().unwrap_or("")
            );
            let controller = pod
                .metadata
                .owner_references
                .iter()
                .flatten()
                .find(|o| o.controller == Some(true))
                .map(|o| o.kind.clone());
            if controller.as_deref() == Some("DaemonSet") {
                warnings
                    .entry("ignoring DaemonSet-managed Pods")
                    .or_default()
                    .push(shown);
                continue;
            }
            let finished = matches!(
                pod.status.as_ref().and_then(|s| s.phase.as_deref()),
                Some("Succeeded" | "Failed")
            );
            let empty_dir = pod
                .spec
                .as_ref()
                .and_then(|s| s.volumes.as_ref())
                .is_some_and(|vs| vs.iter().any(|v| v.empty_dir.is_some()));
            if empty_dir && !finished {
                warnings
                    .entry("deleting Pods with local storage")
                    .or_default()
                    .push(shown.clone());
            }
            if controller.is_none() && !finished {
                warnings
                    .entry("deleting Pods that declare no controller")
                    .or_default()
                    .push(shown.clone());
            }
            evict.push((pod, shown));
        }
        // kubectl (v1.32 and later) prints them on one `Warning: ` line: the groups joined with
        // `; ` (in a Go map's order upstream; here by message).
        let mut warning: Vec<String> = Vec::new();
        if !warnings.is_empty() {
            warning.push(format!(
                "Warning: {}",
                warnings
                    .iter()
                    .map(|(m, pods)| format!("{m}: {}", pods.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        let mut evicted = Vec::new();
        for (pod, shown) in evict {
            out.push(ApplyResult::ok(
                format!("evicting pod {shown}"),
                std::mem::take(&mut warning),
            ));
            match self.evict(pod, user) {
                Ok(name) => {
                    evicted.push(ApplyResult::ok(format!("pod/{name} evicted"), Vec::new()))
                }
                Err(e) => evicted.push(ApplyResult::err(format!(
                    "error when evicting pods/\"{}\" -n \"{}\": {e}",
                    shown.split('/').nth(1).unwrap_or(""),
                    shown.split('/').next().unwrap_or("")
                ))),
            }
        }
        out.extend(evicted);
        out.push(ApplyResult::ok(format!("node/{node} drained"), warning));
        out
    }

    /// The Eviction API on one pod: `DisruptionTarget=True` (`EvictionByEvictionAPI`), then a
    /// graceful delete.
    fn evict(
        &mut self,
        mut pod: k8s_openapi::api::core::v1::Pod,
        user: &UserInfo,
    ) -> Result<String, String> {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let conditions = pod
            .status
            .get_or_insert_with(Default::default)
            .conditions
            .get_or_insert_with(Vec::new);
        if !conditions
            .iter()
            .any(|c| c.type_ == "DisruptionTarget" && c.status == "True")
        {
            conditions.retain(|c| c.type_ != "DisruptionTarget");
            conditions.push(k8s_openapi::api::core::v1::PodCondition {
                type_: "DisruptionTarget".into(),
                status: "True".into(),
                reason: Some("EvictionByEvictionAPI".into()),
                message: Some("Eviction API: evicting".into()),
                last_transition_time: Some(self.now.to_k8s_time()),
                ..Default::default()
            });
            let outcome = self
                .api
                .update_status(user, Object::from(pod), self.now, "kubectl");
            self.record(&outcome);
            outcome.result.map_err(|e| e.message)?;
        }
        let Some(info) = crate::object::kind_info("Pod") else {
            return Err("no Pod kind".into());
        };
        let target = Target {
            info,
            namespace: &namespace,
            name: &name,
        };
        let outcome = self.api.delete(user, target, None, self.now, "kubectl");
        self.record(&outcome);
        outcome.result.map(|_| name).map_err(|e| e.message)
    }

    /// Writes an Event a recorder produced, through the API server as `user` (the recording
    /// component's identity); see [`Ctx::event`].
    pub fn write_event(
        &mut self,
        write: EventWrite,
        user: &UserInfo,
        writer: &str,
    ) -> Result<Arc<Object>, ApiError> {
        let mut ctx = Ctx::new(
            self.now,
            &mut self.rng,
            &mut self.api,
            &mut self.trace,
            writer,
            user,
        );
        let result = ctx
            .event(Some(write))
            .unwrap_or_else(|| Err(ApiError::new(Reason::InternalError, "no event")));
        self.schedule_deliveries();
        result
    }

    /// The node agents (one heartbeat per node, with its Lease as the running kubelet holds it)
    /// and the kube-controller-manager loops this engine runs.
    fn start_node_agents_and_controllers(&mut self) {
        use crate::apiserver::Lookup;
        let nodes = self.api.lookup().list("Node", None);
        for lease in heartbeat::leases(&nodes, self.now) {
            let _ = self
                .api
                .bootstrap(Object::from(lease), self.now, &mut self.rng);
        }
        for node in &nodes {
            if let Some(name) = node.meta().name.as_deref() {
                self.add_component(Box::new(NodeHeartbeat::new(name, self.now)));
            }
        }
        self.add_component(Box::new(NodeLifecycleController::new()));
        self.add_component(Box::new(TaintEvictionController::new()));
        self.add_component(Box::new(PodGcController::new()));
        self.add_component(Box::new(NamespaceController::new()));
    }

    /// Whether component `index` is a node agent on a failed node.
    fn is_stopped(&self, index: usize) -> bool {
        self.components
            .get(index)
            .and_then(|c| c.node())
            .is_some_and(|n| self.failed_nodes.contains(n))
    }

    /// Whether component `index` is a node agent on a partitioned node.
    fn is_partitioned(&self, index: usize) -> bool {
        self.components
            .get(index)
            .and_then(|c| c.node())
            .is_some_and(|n| self.partitioned_nodes.contains(n))
    }

    /// The nodes that are failed now.
    pub fn failed_nodes(&self) -> &BTreeSet<String> {
        &self.failed_nodes
    }

    /// Fails a node: every agent on it (its kubelet) stops — no watch deliveries, its timers
    /// dropped — so it stops renewing its Lease and the node lifecycle controller takes over.
    pub fn fail_node(&mut self, node: &str) -> ApplyResult {
        if self.api.get("Node", "", node).is_none() {
            return ApplyResult::err(format!(
                "Error from server (NotFound): nodes \"{node}\" not found"
            ));
        }
        if !self.failed_nodes.insert(node.to_string()) {
            return ApplyResult::ok(format!("node/{node} already failed"), Vec::new());
        }
        self.trace_node(node, "node failed: its kubelet stopped");
        ApplyResult::ok(format!("node/{node} failed"), Vec::new())
    }

    /// Recovers a failed node: its agents restart ([`Component::on_restart`]), then receive
    /// the watch events that waited for them.
    pub fn recover_node(&mut self, node: &str) -> ApplyResult {
        if !self.failed_nodes.remove(node) {
            return ApplyResult::ok(format!("node/{node} is not failed"), Vec::new());
        }
        self.trace_node(node, "node recovered: its kubelet starts again");
        let agents: Vec<usize> = (0..self.components.len())
            .filter(|&i| self.components[i].node() == Some(node))
            .collect();
        for &index in &agents {
            self.run_component(index, |c, ctx| c.on_restart(ctx));
        }
        for id in self.watches.owned_by(&agents) {
            if self.api.store.pending(id) > 0 && self.watches.schedule(id) {
                self.timers
                    .push(self.now.plus(WATCH_LATENCY), Task::Deliver(id));
            }
        }
        self.schedule_deliveries();
        ApplyResult::ok(format!("node/{node} recovered"), Vec::new())
    }

    /// A flow step by a node's kubelet about its Node (failure, recovery, a partition).
    fn trace_node(&mut self, node: &str, detail: &str) {
        self.trace.push(TraceStep {
            time: self.now,
            component: format!("kubelet/{node}").into(),
            stage: Stage::Kubelet,
            object: format!("Node/{node}").into(),
            detail: detail.into(),
        });
    }

    /// Starts a component: it lists and watches what it asks for (current objects arrive first,
    /// as ADDED events) and from then on is driven by deliveries and its timers.
    pub fn add_component(&mut self, component: Box<dyn Component>) {
        let index = self.components.len();
        for filter in component.watches() {
            if let Ok(id) = self.api.store.watch(filter, Some(0)) {
                self.watches.own(id, index);
            }
        }
        self.identities
            .push((Arc::from(component.name()), component.user().clone()));
        self.components.push(component);
        self.schedule_deliveries();
    }

    /// Schedules one delivery for every watch that has events waiting.
    fn schedule_deliveries(&mut self) {
        let mut ready = std::mem::take(&mut self.ready_watches);
        self.api.store.take_ready_watches_into(&mut ready);
        for &id in &ready {
            if self.watches.schedule(id) {
                self.timers
                    .push(self.now.plus(WATCH_LATENCY), Task::Deliver(id));
            }
        }
        self.ready_watches = ready;
        if !self.lease_timer_armed {
            if let Some(at) = self.api.next_lease_expiry() {
                self.timers.push(at.max(self.now), Task::LeaseExpiry);
                self.lease_timer_armed = true;
            }
        }
    }

    /// Runs one component handler with a fresh context, then schedules what it asked for.
    fn run_component(&mut self, index: usize, work: impl FnOnce(&mut dyn Component, &mut Ctx<'_>)) {
        let (Some(component), Some((name, user))) =
            (self.components.get_mut(index), self.identities.get(index))
        else {
            return;
        };
        let offline = component
            .node()
            .is_some_and(|n| self.partitioned_nodes.contains(n));
        let mut ctx = Ctx::new(
            self.now,
            &mut self.rng,
            &mut self.api,
            &mut self.trace,
            Arc::clone(name),
            user,
        );
        if offline {
            ctx.go_offline();
        }
        work(component.as_mut(), &mut ctx);
        for (delay, token) in ctx.into_timers() {
            self.timers.push(
                self.now.plus(delay),
                Task::Timer {
                    component: index,
                    token,
                },
            );
        }
    }

    /// The Events written (created or updated) after store revision `cursor`, oldest first, and
    /// the cursor to ask from next time. A cursor older than the store's change log gives every
    /// current Event.
    pub fn events_since(&self, cursor: i64) -> (Vec<Arc<Object>>, i64) {
        let store = &self.api.store;
        let latest = store.revision();
        match store.changes_since(cursor) {
            Ok(changes) => {
                let events = changes
                    .filter(|c| {
                        c.key.starts_with("/registry/events/")
                            && c.type_ != crate::store::WatchEventType::Deleted
                    })
                    .map(|c| Arc::clone(&c.object))
                    .collect();
                (events, latest)
            }
            Err(_) => (self.objects(&["Event"]), latest),
        }
    }

    /// A ready-to-render view of the cluster at the current time.
    pub fn snapshot(&self) -> Snapshot {
        let lookup = self.api.lookup();
        use crate::apiserver::Lookup;
        let mut nodes: Vec<NodeView> = lookup
            .list("Node", None)
            .iter()
            .filter_map(|o| match &**o {
                Object::Node(n) => Some(NodeView::from_node(n)),
                _ => None,
            })
            .collect();
        let index: BTreeMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
        let pods = lookup
            .list("Pod", None)
            .iter()
            .filter_map(|o| match &**o {
                Object::Pod(p) => {
                    let node = p.spec.as_ref().and_then(|s| s.node_name.as_ref());
                    if let Some(&i) = node.and_then(|n| index.get(n)) {
                        nodes[i].charge(p);
                    }
                    Some(PodView::from_pod(p, self.now))
                }
                _ => None,
            })
            .collect();
        Snapshot {
            time: self.now,
            seed: self.seed,
            revision: self.api.store.revision(),
            nodes,
            pods,
        }
    }

    /// Brings [`Cluster::overview`] up to the present: the pod, node and Event changes and the
    /// trace steps since the last sync (everything on the first, which also makes the store
    /// feed them to it from then on).
    pub fn sync_overview(&mut self) {
        self.overview.sync(&mut self.api.store, &self.trace);
    }

    /// Nodes, pod counts, unscheduled pods, Events and the trace's index as of the last
    /// [`Cluster::sync_overview`] (empty before the first).
    pub fn overview(&self) -> &crate::overview::Overview {
        &self.overview
    }

    /// The view of pod `namespace/name`, if it exists.
    pub fn pod_view(&self, namespace: &str, name: &str) -> Option<PodView> {
        let key = format!("{}{namespace}/{name}", crate::overview::POD_PREFIX);
        self.pod_views([key.as_str()]).pop()
    }

    /// The views of the pods with these etcd keys that exist, in the order given.
    pub fn pod_views<'k>(&self, keys: impl IntoIterator<Item = &'k str>) -> Vec<PodView> {
        keys.into_iter()
            .filter_map(|k| match self.api.store.get(k).map(|o| &**o) {
                Some(Object::Pod(p)) => Some(PodView::from_pod(p, self.now)),
                _ => None,
            })
            .collect()
    }

    /// Every stored object of the given kinds (all when empty), in key order.
    pub fn objects(&self, kinds: &[&str]) -> Vec<Arc<Object>> {
        use crate::apiserver::Lookup;
        let lookup = self.api.lookup();
        crate::object::KINDS
            .iter()
            .filter(|k| kinds.is_empty() || kinds.contains(&k.kind))
            .flat_map(|k| lookup.list(k.kind, None))
            .collect()
    }
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster::new(ClusterConfig {
            seed: 1,
            ..Default::default()
        })
    }
}

fn scenario_spec(doc: &Value) -> Result<ScenarioSpec, String> {
    let spec = doc
        .get("spec")
        .cloned()
        .unwrap_or(Value::Object(Default::default()));
    let spec: ScenarioSpec =
        serde_json::from_value(spec).map_err(|e| format!("Scenario.spec: {e}"))?;
    if let Some(scheduler) = &spec.scheduler {
        scheduler
            .profile_config()
            .map_err(|e| format!("Scenario.spec.scheduler.{e}"))?;
    }
    Ok(spec)
}

/// kubectl apply's error for a refused patch (other than Invalid, which kubectl rebuilds from
/// the causes): `Error from server (<Reason>): error when applying patch: …`.
fn patch_error(
    e: &ApiError,
    patch: &Value,
    info: &crate::object::KindInfo,
    namespace: &str,
    name: &str,
    source: &str,
) -> String {
    let gv = if info.group.is_empty() {
        format!("/{}", info.version)
    } else {
        format!("{}/{}", info.group, info.version)
    };
    format!(
        "Error from server ({}): error when applying patch:\n{}\nto:\nResource: \"{gv}, Resource={}\", GroupVersionKind: \"{gv}, Kind={}\"\nName: \"{name}\", Namespace: \"{namespace}\"\nfor: \"{source}\": error when patching \"{source}\": {}",
        e.reason.as_str(),
        patch,
        info.resource,
        info.kind,
        e.message
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_default_cluster_has_three_ready_nodes() {
        let snap = Cluster::default().snapshot();
        let names: Vec<&str> = snap.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["node-1", "node-2", "node-3"]);
        assert_eq!(snap.nodes[0].cpu, "4");
        assert_eq!(snap.nodes[0].memory, "16Gi");
        assert_eq!(snap.nodes[0].version, "v1.33.1");
        assert_eq!(snap.nodes[0].status, "Ready");
    }

    #[test]
    fn a_pod_status_patch_replaces_only_the_status_and_is_refused_on_a_stale_version() {
        use k8s_openapi::api::core::v1::{Pod, PodStatus};
        let mut cluster = Cluster::default();
        let applied = cluster.apply(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  nodeName: node-1\n  containers: [{name: c, image: nginx}]\n",
            "test",
        );
        assert!(applied[0].ok, "{applied:?}");
        let Some(Object::Pod(before)) =
            cluster.api.get("Pod", "default", "web").as_deref().cloned()
        else {
            panic!("the pod was not created");
        };
        let kubelet = crate::apiserver::authn::node("node-1");
        let running = PodStatus {
            phase: Some("Running".into()),
            ..PodStatus::default()
        };
        let at = cluster.now;
        let outcome =
            cluster
                .api
                .patch_pod_status(&kubelet, &before, running.clone(), at, "kubelet");
        let Ok(stored) = outcome.result else {
            panic!("the patch was refused: {:?}", outcome.result);
        };
        let Object::Pod(after) = &*stored else {
            panic!("not a pod");
        };
        assert_eq!(after.status.as_ref(), Some(&running));
        assert_eq!(after.spec, before.spec);
        let revision = after.metadata.resource_version.clone().unwrap_or_default();
        assert_ne!(
            before.metadata.resource_version.as_deref(),
            Some(revision.as_str())
        );
        let details: Vec<&str> = outcome.trace.iter().map(|s| s.detail.as_str()).collect();
        assert_eq!(
            details.last().copied(),
            Some(
                format!("updated /registry/pods/default/web status at revision {revision}")
                    .as_str()
            )
        );
        // `before` is now stale: the write is refused as upstream refuses it, nothing changes.
        let pending = PodStatus {
            phase: Some("Pending".into()),
            ..PodStatus::default()
        };
        let stale: Pod = *before;
        let refused = cluster
            .api
            .patch_pod_status(&kubelet, &stale, pending, at, "kubelet");
        let Err(e) = refused.result else {
            panic!("a stale patch was accepted");
        };
        assert_eq!(
            e.message,
            "Operation cannot be fulfilled on pods \"web\": the object has been modified; please apply your changes to the latest version and try again"
        );
        let Some(Object::Pod(now)) = cluster.api.get("Pod", "default", "web").as_deref().cloned()
        else {
            panic!("the pod is gone");
        };
        assert_eq!(now.status.as_ref(), Some(&running));
    }
}
