//! The kubelet's pod worker for one pod (`pod_workers.go` + `SyncPod`), as an explicit state
//! machine: admission → volumes → sandbox → init containers in order (sidecars stay running) →
//! containers in spec order (pull, create, start, one at a time) → running with probes, exits,
//! restarts and back-off → graceful termination. [`PodWorker::step`] advances everything due at
//! a moment; the kubelet component records the events it leaves in [`PodWorker::events`] and
//! writes the status it generates.

use k8s_openapi::api::core::v1::Pod;
use std::sync::{Arc, LazyLock};

use crate::component::Ctx;
use crate::events::EventType;
use crate::kubelet::admission::Rejection;
use crate::kubelet::backoff::{
    container_key, crash_loop_event, crash_loop_message, format_pod, Backoff,
};
use crate::kubelet::containers::{ContainerRt, ContainerSpec, Stage as CStage};
use crate::kubelet::hooks::run_post_start;
use crate::kubelet::images::{Ensure, ImageEvent, ImageManager, PullPolicy};
use crate::kubelet::probes::{run_handler, ContainerView, ProbeKind, ProbeResult};
use crate::kubelet::sandbox::{container_id, image_digest, IpAllocator};
use crate::kubelet::status::{pod_status_of, ContainerModel, PodFacts, RunState, Termination};
use crate::kubelet::timing::{Step, Timings};
use crate::kubelet::volumes::{self, MOUNT_RETRY_INITIAL_MS, MOUNT_RETRY_MAX_MS};
use crate::object::PodRef;
use crate::quantity::Quantity;
use crate::runtime::catalog::{
    container_argv, container_env, kubernetes_service_env, parse_reference, program, Catalog,
    ImageInfo, Program,
};
use crate::runtime::shell::{EnvVar, Process, ProcessState};
use crate::scheduler::framework::{pod_requests, Resource};
use crate::sim::{SimDuration, SimRng, SimTime};

/// How long the pod worker waits before syncing a pod again after a sync error (a container
/// config error, an unusable image): the kubelet's `backOffPeriod`.
pub const SYNC_RETRY: SimDuration = SimDuration::secs(10);
/// The ClusterIP of the default `kubernetes` Service, for the service environment variables.
pub const KUBERNETES_SERVICE_IP: &str = "10.96.0.1";

/// The `kubernetes` Service's variables every container gets, made once and shared.
static SERVICE_ENV: LazyLock<Vec<EnvVar>> =
    LazyLock::new(|| kubernetes_service_env(KUBERNETES_SERVICE_IP));

/// Where the pod is in its life on this node.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Waiting for admission at `at`.
    Admitting {
        /// When the kubelet admits it.
        at: SimTime,
    },
    /// Setting up volumes; the next attempt is at `at`.
    Mounting {
        /// When the attempt completes.
        at: SimTime,
        /// Failed attempts so far.
        failures: u32,
    },
    /// `RunPodSandbox` in progress, done at `at`.
    Sandbox {
        /// When the sandbox has its network.
        at: SimTime,
    },
    /// The sandbox is up; containers run.
    Running,
    /// Deleted: containers are being stopped.
    Terminating,
    /// Every container is stopped after a deletion; the pod object can go.
    Finished,
    /// Refused by admission.
    Rejected(Rejection),
}

/// An event the worker wants recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emitted {
    /// The container it is about (`None`: the pod).
    pub container: Option<String>,
    /// `Normal` or `Warning`.
    pub type_: EventType,
    /// The reason.
    pub reason: String,
    /// The message.
    pub message: String,
}

/// The node-wide parts a pod worker uses.
#[derive(Debug)]
pub struct NodeEnv<'a> {
    /// The node's IP.
    pub host_ip: Option<&'a str>,
    /// The node's image cache and puller.
    pub images: &'a mut ImageManager,
    /// The image catalog.
    pub catalog: &'a Catalog,
    /// The timing table.
    pub timings: &'a Timings,
    /// The crash-loop back-off.
    pub crash: &'a mut Backoff,
    /// The pod IP allocator.
    pub ips: &'a mut IpAllocator,
    /// The lower layers of containers' mounts, shared.
    pub layers: &'a mut volumes::MountLayers,
}

/// One pod's worker.
#[derive(Debug, Clone)]
pub struct PodWorker {
    /// The latest pod object seen (shared with the store): [`PodWorker::pod`], replaced only
    /// by [`PodWorker::set_pod`], which keeps `terminal` with it.
    pod: PodRef,
    /// Whether that pod's phase is `Succeeded` or `Failed`: read for every other pod of the
    /// node at each admission, without reading the pods.
    terminal: bool,
    /// Where it is.
    pub stage: Stage,
    /// Its init containers, in spec order.
    pub inits: Vec<ContainerRt>,
    /// Its containers, in spec order.
    pub regular: Vec<ContainerRt>,
    /// The sandbox's IP.
    pub pod_ip: Option<String>,
    /// When the kubelet admitted it (`status.startTime`).
    pub start_time: Option<SimTime>,
    /// Events waiting to be recorded.
    pub events: Vec<Emitted>,
    /// Moments timers are already set for.
    pub armed: std::collections::BTreeSet<SimTime>,
    /// The regular containers finished for good: sidecars are stopped, not restarted.
    pub winding_down: bool,
    /// What the pod requests (its effective cpu, memory, …), for the kubelet's admission of
    /// the pods after it: fixed for the pod's life, so reckoned once.
    pub requests: Resource,
}

fn ms(d: u64) -> SimDuration {
    SimDuration(d)
}

/// Whether `pod`'s phase is `Succeeded` or `Failed`.
fn terminal_phase(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    matches!(phase, Some("Succeeded" | "Failed"))
}

fn grace_seconds(pod: &Pod) -> u64 {
    pod.metadata
        .deletion_grace_period_seconds
        .or_else(|| {
            pod.spec
                .as_ref()
                .and_then(|s| s.termination_grace_period_seconds)
        })
        .unwrap_or(30)
        .max(0) as u64
}

impl PodWorker {
    /// A worker for a pod the kubelet just learned of, admitted at `admit_at`.
    pub fn new(pod: impl Into<PodRef>, admit_at: SimTime) -> PodWorker {
        let pod: PodRef = pod.into();
        let spec = pod.spec.as_ref();
        let inits = spec
            .and_then(|s| s.init_containers.as_ref())
            .map_or(0, Vec::len);
        let regular = spec.map_or(0, |s| s.containers.len());
        // Collected from a range, so the vectors are exactly as long: a container tracker is
        // small enough that a vector grown one by one would start with room for four.
        let containers = |init: bool, count: usize| -> Vec<ContainerRt> {
            (0..count)
                .map(|i| ContainerRt::new(ContainerSpec::new(&pod, init, i), admit_at))
                .collect()
        };
        PodWorker {
            inits: containers(true, inits),
            regular: containers(false, regular),
            requests: pod_requests(&pod, false),
            terminal: terminal_phase(&pod),
            pod,
            stage: Stage::Admitting { at: admit_at },
            pod_ip: None,
            start_time: None,
            events: Vec::new(),
            armed: Default::default(),
            winding_down: false,
        }
    }

    /// Takes a newer version of its pod (from a watch event or its own status write); the
    /// containers read their specs from it where they are unchanged.
    pub fn set_pod(&mut self, pod: PodRef) {
        for c in self.inits.iter_mut().chain(&mut self.regular) {
            c.spec.follow(&pod);
        }
        self.terminal = terminal_phase(&pod);
        self.pod = pod;
    }

    /// The latest pod object seen (shared with the store).
    pub fn pod(&self) -> &PodRef {
        &self.pod
    }

    fn name(&self) -> String {
        self.pod.metadata.name.clone().unwrap_or_default()
    }

    fn namespace(&self) -> String {
        self.pod.metadata.namespace.clone().unwrap_or_default()
    }

    fn uid(&self) -> String {
        self.pod.metadata.uid.clone().unwrap_or_default()
    }

    fn policy(&self) -> String {
        self.pod
            .spec
            .as_ref()
            .and_then(|s| s.restart_policy.clone())
            .unwrap_or_else(|| "Always".into())
    }

    fn emit(&mut self, container: Option<&str>, type_: EventType, reason: &str, message: String) {
        self.events.push(Emitted {
            container: container.map(str::to_string),
            type_,
            reason: reason.to_string(),
            message,
        });
    }

    fn emit_image(&mut self, container: &str, events: Vec<ImageEvent>) {
        for e in events {
            let t = if e.type_ == "Warning" {
                EventType::Warning
            } else {
                EventType::Normal
            };
            self.emit(Some(container), t, e.reason, e.message);
        }
    }

    /// Whether admission is due.
    pub fn admission_due(&self, now: SimTime) -> bool {
        matches!(self.stage, Stage::Admitting { at } if at <= now)
    }

    /// Admission passed at `now`: volumes are set up next.
    pub fn admitted(&mut self, now: SimTime, timings: &Timings, ctx: &mut Ctx<'_>) {
        self.start_time = Some(now);
        // The prober manager adds the pod's probe workers when the pod worker starts: their
        // period ticks from here, not from the container's start.
        for c in self.inits.iter_mut().chain(self.regular.iter_mut()) {
            c.arm_probes(now);
        }
        self.stage = Stage::Mounting {
            at: now.plus(timings.sample(Step::VolumeMount, ctx.rng)),
            failures: 0,
        };
    }

    /// Admission refused the pod.
    pub fn reject(&mut self, rejection: Rejection) {
        self.emit(
            None,
            EventType::Warning,
            &rejection.reason,
            rejection.message.clone(),
        );
        self.stage = Stage::Rejected(rejection);
    }

    /// Whether the pod counts against the node's resources.
    pub fn holds_resources(&self) -> bool {
        !self.terminal
            && !matches!(
                self.stage,
                Stage::Admitting { .. } | Stage::Rejected(_) | Stage::Finished
            )
    }

    /// The pod was deleted (it has a `deletionTimestamp`): stop its containers — `Killing`
    /// `Stopping container <name>`, SIGTERM, SIGKILL after the grace period.
    pub fn terminate(&mut self, now: SimTime, timings: &Timings, ctx: &mut Ctx<'_>) {
        if matches!(
            self.stage,
            Stage::Terminating | Stage::Finished | Stage::Rejected(_)
        ) {
            return;
        }
        self.stage = Stage::Terminating;
        let grace = SimDuration::secs(grace_seconds(&self.pod));
        let mut events = Vec::new();
        // Regular containers first, then sidecars (in reverse order), as upstream.
        let order: Vec<(bool, usize)> = (0..self.regular.len())
            .map(|i| (false, i))
            .chain((0..self.inits.len()).rev().map(|i| (true, i)))
            .collect();
        for (init, i) in order {
            let c = if init {
                &mut self.inits[i]
            } else {
                &mut self.regular[i]
            };
            if stop_container(c, now, grace, timings, ctx) {
                events.push(c.spec.name.clone());
            } else if !matches!(c.stage, CStage::Stopping { .. }) {
                c.stage = CStage::Dead;
            }
        }
        for name in events {
            self.emit(
                Some(&name),
                EventType::Normal,
                "Killing",
                format!("Stopping container {name}"),
            );
        }
    }

    /// Advances everything due at `now`.
    pub fn step(&mut self, now: SimTime, ctx: &mut Ctx<'_>, env: &mut NodeEnv<'_>) {
        for _ in 0..256 {
            if !self.advance(now, ctx, env) {
                break;
            }
        }
        if self.stage == Stage::Terminating
            && self.inits.iter().chain(&self.regular).all(|c| !c.alive())
        {
            self.stage = Stage::Finished;
        }
    }

    fn advance(&mut self, now: SimTime, ctx: &mut Ctx<'_>, env: &mut NodeEnv<'_>) -> bool {
        match self.stage.clone() {
            Stage::Mounting { at, failures } if at <= now => {
                let ns = self.namespace();
                let errors = {
                    let lookup = |kind: &str, name: &str| ctx.get(kind, &ns, name);
                    volumes::mount_errors(&self.pod, &lookup)
                };
                if errors.is_empty() {
                    self.stage = Stage::Sandbox {
                        at: now.plus(env.timings.sample(Step::SandboxCreate, ctx.rng)),
                    };
                } else {
                    for (_, message) in errors {
                        self.emit(None, EventType::Warning, "FailedMount", message);
                    }
                    let delay = MOUNT_RETRY_INITIAL_MS
                        .saturating_mul(1u64 << failures.min(20))
                        .min(MOUNT_RETRY_MAX_MS);
                    self.stage = Stage::Mounting {
                        at: now.plus(ms(delay)),
                        failures: failures.saturating_add(1),
                    };
                }
                true
            }
            Stage::Sandbox { at } if at <= now => {
                self.pod_ip = env.ips.allocate();
                self.stage = Stage::Running;
                for c in self.inits.iter_mut().chain(self.regular.iter_mut()) {
                    c.stage = CStage::Idle { at: now };
                }
                true
            }
            Stage::Running | Stage::Terminating => self.drive_containers(now, ctx, env),
            _ => false,
        }
    }

    fn drive_containers(&mut self, now: SimTime, ctx: &mut Ctx<'_>, env: &mut NodeEnv<'_>) -> bool {
        let terminating = self.stage == Stage::Terminating;
        let mut inits_done = true;
        for i in 0..self.inits.len() {
            if self.inits[i].completed() {
                continue;
            }
            if self.drive(true, i, now, ctx, env) {
                return true;
            }
            let c = &self.inits[i];
            if c.is_sidecar() {
                if !c.model.started {
                    inits_done = false;
                    break;
                }
            } else if !c.completed() {
                inits_done = false;
                break;
            }
        }
        if !inits_done && !terminating {
            return false;
        }
        for i in 0..self.regular.len() {
            if self.drive(false, i, now, ctx, env) {
                return true;
            }
        }
        // With restartPolicy Never/OnFailure, once every regular container has finished for
        // good the kubelet stops the sidecars (last first) so the pod can complete.
        if !terminating
            && !self.winding_down
            && self.policy() != "Always"
            && !self.regular.is_empty()
            && self.regular.iter().all(|c| matches!(c.stage, CStage::Dead))
            && self
                .inits
                .iter()
                .any(|c| c.is_sidecar() && !matches!(c.stage, CStage::Dead))
        {
            self.winding_down = true;
            let grace = SimDuration::secs(grace_seconds(&self.pod));
            let mut stopped = Vec::new();
            for i in (0..self.inits.len()).rev() {
                let c = &mut self.inits[i];
                if !c.is_sidecar() {
                    continue;
                }
                if stop_container(c, now, grace, env.timings, ctx) {
                    stopped.push(c.spec.name.clone());
                } else if !c.alive() {
                    c.stage = CStage::Dead;
                }
            }
            for name in stopped {
                self.emit(
                    Some(&name),
                    EventType::Normal,
                    "Killing",
                    format!("Stopping container {name}"),
                );
            }
            return true;
        }
        false
    }

    fn busy(&self) -> bool {
        self.inits
            .iter()
            .chain(&self.regular)
            .any(ContainerRt::busy)
    }

    fn container(&mut self, init: bool, i: usize) -> &mut ContainerRt {
        if init {
            &mut self.inits[i]
        } else {
            &mut self.regular[i]
        }
    }

    /// Moves one container forward if something is due; whether it changed stage.
    fn drive(
        &mut self,
        init: bool,
        i: usize,
        now: SimTime,
        ctx: &mut Ctx<'_>,
        env: &mut NodeEnv<'_>,
    ) -> bool {
        let terminating = self.stage == Stage::Terminating;
        let busy = self.busy();
        let stage = self.container(init, i).stage.clone();
        match stage {
            CStage::Idle { at } if at <= now && !busy && !terminating => {
                self.begin(init, i, now, ctx, env);
                true
            }
            CStage::Pulling { ticket } if ticket.done_at <= now => {
                let name = self.container(init, i).spec.name.clone();
                match env.images.finish(ticket, now) {
                    Ensure::Ready { events, image } => {
                        self.emit_image(&name, events);
                        self.prepare(init, i, image, now, ctx, env);
                    }
                    Ensure::Waiting {
                        events,
                        reason,
                        message,
                    } => {
                        self.emit_image(&name, events);
                        let c = self.container(init, i);
                        c.pull_failed_at = Some(now);
                        c.model.state = RunState::Waiting {
                            reason: Some(reason.into()),
                            message: Some(message),
                        };
                        // The failed sync is retried at once and meets the pull back-off.
                        c.stage = CStage::Idle {
                            at: now.plus(env.timings.sample(Step::PlegRelist, ctx.rng)),
                        };
                    }
                    Ensure::Pulling { .. } => {}
                }
                true
            }
            CStage::Creating {
                at,
                image,
                env: vars,
            } if at <= now => {
                let id = container_id(ctx.rng);
                let c = self.container(init, i);
                let name = c.spec.name.clone();
                c.stage = CStage::Starting {
                    at: now.plus(env.timings.sample(Step::ContainerStart, ctx.rng)),
                    id,
                    image,
                    env: vars,
                };
                self.emit(
                    Some(&name),
                    EventType::Normal,
                    "Created",
                    format!("Created container: {name}"),
                );
                true
            }
            CStage::Starting {
                at,
                id,
                image,
                env: vars,
            } if at <= now => {
                self.start(init, i, id, image, vars, now, ctx, env);
                true
            }
            CStage::Running { .. } => self.tick_running(init, i, now, ctx, env),
            CStage::Stopping {
                mut process,
                since,
                at,
                code,
            } if at <= now => {
                process.kill(code);
                self.container(init, i).logs = process.logs().to_vec();
                let id = self.container(init, i).model.container_id.clone();
                let term = Termination::exited(code, since, now, id);
                self.exited(init, i, term, now);
                true
            }
            CStage::Exited { term, noticed_at } if noticed_at <= now => {
                self.exited(init, i, term, now);
                true
            }
            _ => false,
        }
    }

    /// Starts a container's pipeline: the crash-loop back-off, then the image.
    fn begin(
        &mut self,
        init: bool,
        i: usize,
        now: SimTime,
        ctx: &mut Ctx<'_>,
        env: &mut NodeEnv<'_>,
    ) {
        let (pod, ns, uid) = (self.name(), self.namespace(), self.uid());
        let c = self.container(init, i);
        let name = c.spec.name.clone();
        if c.restart_pending {
            let key = container_key(&pod, &ns, &uid, &name);
            let finished = c.previous.as_ref().map(|t| t.finished_at).unwrap_or(now);
            if env.crash.is_in_backoff_since(&key, finished, now) {
                let backoff = env.crash.get(&key);
                c.model.last = c.previous.clone();
                c.model.state = RunState::Waiting {
                    reason: Some("CrashLoopBackOff".into()),
                    message: Some(crash_loop_message(backoff, &name, &pod, &ns, &uid)),
                };
                c.stage = CStage::Idle {
                    at: finished.plus(backoff),
                };
                self.emit(
                    Some(&name),
                    EventType::Warning,
                    "BackOff",
                    crash_loop_event(&name, &pod, &ns, &uid),
                );
                return;
            }
            env.crash.next(&key, finished, now);
            c.restart_pending = false;
        }
        let image = c.spec.image.clone().unwrap_or_default();
        let policy = PullPolicy::from_k8s(c.spec.image_pull_policy.as_deref(), &image);
        let ensure =
            env.images
                .ensure(&image, policy, &uid, env.catalog, env.timings, ctx.rng, now);
        match ensure {
            Ensure::Ready { events, image } => {
                self.emit_image(&name, events);
                self.prepare(init, i, image, now, ctx, env);
            }
            Ensure::Pulling { events, ticket } => {
                self.emit_image(&name, events);
                self.container(init, i).stage = CStage::Pulling { ticket };
            }
            Ensure::Waiting {
                events,
                reason,
                message,
            } => {
                self.emit_image(&name, events);
                let uid = self.uid();
                let c = self.container(init, i);
                let retry = match (reason, c.pull_failed_at) {
                    ("ImagePullBackOff", Some(failed)) => env
                        .images
                        .backoff_ends_at(&uid, &image, failed)
                        .filter(|t| *t > now)
                        .unwrap_or(now.plus(SYNC_RETRY)),
                    _ => now.plus(SYNC_RETRY),
                };
                c.model.state = RunState::Waiting {
                    reason: Some(reason.into()),
                    message: Some(message),
                };
                c.stage = CStage::Idle { at: retry };
            }
        }
    }

    /// The image is there: resolve the environment (`CreateContainerConfigError` when a
    /// referenced key is missing), then create the container.
    fn prepare(
        &mut self,
        init: bool,
        i: usize,
        image: Arc<ImageInfo>,
        now: SimTime,
        ctx: &mut Ctx<'_>,
        env: &mut NodeEnv<'_>,
    ) {
        let ns = self.namespace();
        let spec = self.container(init, i).spec.clone();
        let resolved = {
            let lookup = |kind: &str, name: &str| ctx.get(kind, &ns, name);
            volumes::container_env(
                &self.pod,
                &spec,
                self.pod_ip.as_deref(),
                env.host_ip,
                &lookup,
            )
        };
        match resolved {
            Ok(vars) => {
                self.container(init, i).stage = CStage::Creating {
                    at: now.plus(env.timings.sample(Step::ContainerCreate, ctx.rng)),
                    image,
                    env: vars,
                };
            }
            Err(message) => {
                let c = self.container(init, i);
                c.model.state = RunState::Waiting {
                    reason: Some("CreateContainerConfigError".into()),
                    message: Some(message.clone()),
                };
                c.stage = CStage::Idle {
                    at: now.plus(SYNC_RETRY),
                };
                self.emit(
                    Some(&spec.name),
                    EventType::Warning,
                    "Failed",
                    format!("Error: {message}"),
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn start(
        &mut self,
        init: bool,
        i: usize,
        id: String,
        image: Arc<ImageInfo>,
        vars: Vec<(String, String)>,
        now: SimTime,
        ctx: &mut Ctx<'_>,
        env: &mut NodeEnv<'_>,
    ) {
        let ns = self.namespace();
        let full = self
            .container(init, i)
            .spec
            .image
            .as_deref()
            .and_then(|s| parse_reference(s).ok())
            .map(|r| r.full())
            .unwrap_or_default();
        let repo = image.repository.clone();
        // The runtime reports the new container (and the previous one's end) from here on.
        let c = self.container(init, i);
        if let Some(prev) = c.previous.take() {
            c.model.last = Some(prev);
            c.model.restart_count += 1;
        }
        c.model.container_id = Some(id);
        c.model.image = full;
        c.model.image_id = format!("{repo}@{}", image_digest(&repo));
        let hostname = self.name();
        let spec = self.container(init, i).spec.clone();
        let argv = exec_single_command(container_argv(
            &image,
            spec.command.as_deref(),
            spec.args.as_deref(),
        ));
        let full_env = container_env(&hostname, &image, &vars, &SERVICE_ENV);
        let fs = {
            let lookup = |kind: &str, name: &str| ctx.get(kind, &ns, name);
            volumes::container_fs(&self.pod, &spec, &lookup, env.layers)
        };
        let limit = spec
            .resources
            .as_ref()
            .and_then(|r| r.limits.as_ref())
            .and_then(|l| l.get("memory"))
            .and_then(|q| Quantity::parse(&q.0).ok())
            .map(|q| q.value());
        let oom_delay = env.timings.sample(Step::ContainerStop, ctx.rng);
        let c = self.container(init, i);
        match Process::start(&argv, full_env, fs) {
            Ok(mut process) => {
                let state = process.step(now);
                c.rotate_logs();
                if matches!(state, ProcessState::Exited { .. }) {
                    c.logs = process.logs().to_vec();
                }
                c.model.state = RunState::Running { started_at: now };
                c.arm_probes(now);
                c.model.started = !c.has_probe(ProbeKind::Startup);
                c.model.ready = c.model.started
                    && !c.has_probe(ProbeKind::Readiness)
                    && (!c.init() || c.is_sidecar());
                let oom_at = limit
                    .filter(|l| *l > 0 && process.memory_bytes() > *l as u64)
                    .map(|_| now.plus(oom_delay));
                c.stage = match state {
                    ProcessState::Exited { code, .. } => CStage::Exited {
                        term: Termination::exited(code, now, now, c.model.container_id.clone()),
                        noticed_at: now.plus(env.timings.sample(Step::PlegRelist, ctx.rng)),
                    },
                    ProcessState::Running { wake_at } => CStage::Running {
                        process: Box::new(process),
                        since: now,
                        wake: wake_at,
                        oom_at,
                    },
                };
                self.emit(
                    Some(&spec.name),
                    EventType::Normal,
                    "Started",
                    format!("Started container {}", spec.name),
                );
                self.post_start(init, i, now, ctx, env);
            }
            Err(message) => {
                let term = Termination::start_error(&message, now, c.model.container_id.clone());
                c.stage = CStage::Exited {
                    term,
                    noticed_at: now,
                };
                self.emit(
                    Some(&spec.name),
                    EventType::Warning,
                    "Failed",
                    format!("Error: {message}"),
                );
            }
        }
    }

    /// `startContainer` step 4: the container's `postStart` handler runs; the pod worker is
    /// blocked on it until it returns (see [`ContainerRt::busy`]).
    fn post_start(
        &mut self,
        init: bool,
        i: usize,
        now: SimTime,
        ctx: &mut Ctx<'_>,
        env: &mut NodeEnv<'_>,
    ) {
        let pod = format_pod(&self.name(), &self.namespace(), &self.uid());
        let pod_ip = self.pod_ip.clone().unwrap_or_default();
        let c = self.container(init, i);
        let Some(handler) = c.spec.lifecycle.as_ref().and_then(|l| l.post_start.clone()) else {
            return;
        };
        let spec = c.spec.clone();
        if let CStage::Running { process, .. } = &mut c.stage {
            c.post_start = Some(run_post_start(
                &handler,
                &spec,
                &pod,
                &pod_ip,
                process,
                now,
                env.timings,
                ctx.rng,
            ));
        }
    }

    /// A running container: its process, the OOM killer, its probes.
    fn tick_running(
        &mut self,
        init: bool,
        i: usize,
        now: SimTime,
        ctx: &mut Ctx<'_>,
        env: &mut NodeEnv<'_>,
    ) -> bool {
        let pod_ip = self.pod_ip.clone().unwrap_or_default();
        let uid = self.uid();
        let grace = SimDuration::secs(grace_seconds(&self.pod));
        let stop_delay = env.timings.sample(Step::ContainerStop, ctx.rng);
        let pleg = env.timings.sample(Step::PlegRelist, ctx.rng);
        let mut emitted: Vec<(EventType, &'static str, String)> = Vec::new();
        let c = self.container(init, i);
        let CStage::Running {
            process,
            since,
            wake,
            oom_at,
        } = &mut c.stage
        else {
            return false;
        };
        let since = *since;
        let id = c.model.container_id.clone();
        if oom_at.is_some_and(|t| t <= now) {
            process.kill(137);
            c.logs = process.logs().to_vec();
            c.stage = CStage::Exited {
                term: Termination::oom_killed(since, now, id),
                noticed_at: now.plus(pleg),
            };
            return true;
        }
        if wake.is_some_and(|t| t <= now) {
            match process.step(now) {
                ProcessState::Exited { code, .. } => {
                    c.logs = process.logs().to_vec();
                    c.stage = CStage::Exited {
                        term: Termination::exited(code, since, now, id),
                        noticed_at: now.plus(pleg),
                    };
                    return true;
                }
                ProcessState::Running { wake_at } => *wake = wake_at,
            }
        }
        let mut kill = None;
        if c.post_start.as_ref().is_some_and(|h| h.done_at <= now) {
            if let Some(message) = c.post_start.take().and_then(|h| h.failure) {
                // Since v1.26 the event leaves the handler's message out (it may hold secrets):
                // `PostStartHook failed`, then `killContainer(…, "FailedPostStartHook", …)`. The
                // message goes to the container's `PostStartHookError` waiting state.
                emitted.push((
                    EventType::Warning,
                    "FailedPostStartHook",
                    "PostStartHook failed".to_string(),
                ));
                c.hook_error = Some(message);
                kill = Some("FailedPostStartHook".to_string());
            }
        }
        // While the hook runs, `SyncPod` has not returned: the status the prober reads does not
        // have the new container yet, so its probes wait.
        let hooked = c.post_start.is_some() || kill.is_some();
        let has_startup = c.probes.iter().any(|w| w.kind == ProbeKind::Startup);
        let has_readiness = c.probes.iter().any(|w| w.kind == ProbeKind::Readiness);
        for w in c.probes.iter_mut() {
            if hooked || w.next_at() > now {
                continue;
            }
            let view = ContainerView {
                running_since: Some(since),
                started: c.model.started,
                has_startup_probe: has_startup,
            };
            let handler = w.spec.handler.clone();
            let timeout = SimDuration::secs(u64::from(w.spec.timeout_seconds));
            let tick = w.step(now, view, || {
                run_handler(&handler, timeout, &pod_ip, Some(process), now)
            });
            // A probe that ran answers after its round trip (`probeLatency`); one that did not
            // (no container to probe) takes effect at once.
            let at = if tick.probed {
                let mut rng = SimRng::new(latency_seed(&uid, &c.spec.name, w.kind, now));
                now.plus(env.timings.sample(Step::ProbeLatency, &mut rng))
            } else {
                now
            };
            c.answers.push((at, w.kind, tick));
        }
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut c.answers)
            .into_iter()
            .partition(|(at, _, _)| *at <= now);
        c.answers = later;
        for (_, kind, tick) in due {
            if let Some(e) = tick.event {
                emitted.push((EventType::Warning, e.reason, e.message));
            }
            if let Some(r) = tick.changed {
                match kind {
                    ProbeKind::Startup => c.model.started = r == ProbeResult::Success,
                    ProbeKind::Readiness => c.model.ready = r == ProbeResult::Success,
                    ProbeKind::Liveness => {}
                }
            }
            if tick.kill.is_some() && kill.is_none() {
                kill = tick.kill;
            }
        }
        if c.model.started && !has_readiness && (!c.init() || c.is_sidecar()) {
            c.model.ready = true;
        }
        let mut changed = false;
        if let Some(message) = kill {
            emitted.push((EventType::Normal, "Killing", message));
            if let CStage::Running { process, since, .. } =
                std::mem::replace(&mut c.stage, CStage::Dead)
            {
                let (at, code) = if process.handles_sigterm() {
                    (now.plus(stop_delay), 0)
                } else {
                    (now.plus(grace), 137)
                };
                c.stage = CStage::Stopping {
                    process,
                    since,
                    at,
                    code,
                };
                c.model.ready = false;
            }
            changed = true;
        }
        let name = c.spec.name.clone();
        for (t, reason, message) in emitted {
            self.emit(Some(&name), t, reason, message);
        }
        changed
    }

    /// The kubelet learned that a container ended: report it, and restart it if the policy says
    /// so (through the crash-loop back-off).
    fn exited(&mut self, init: bool, i: usize, term: Termination, _now: SimTime) {
        let policy = self.policy();
        let terminating = matches!(self.stage, Stage::Terminating | Stage::Finished);
        let winding_down = self.winding_down;
        let c = self.container(init, i);
        c.post_start = None;
        c.answers.clear();
        let code = term.exit_code;
        c.model.state = RunState::Terminated(term.clone());
        c.model.started = false;
        c.model.ready = c.init() && !c.is_sidecar() && code == 0;
        c.previous = Some(term);
        if terminating || (winding_down && c.is_sidecar()) || !c.restarts(&policy, code) {
            c.hook_error = None;
            c.stage = CStage::Dead;
            return;
        }
        c.restart_pending = true;
        c.stage = CStage::Idle { at: _now };
        if let Some(message) = c.hook_error.take() {
            c.model.last = c.previous.clone();
            c.model.state = RunState::Waiting {
                reason: Some("PostStartHookError".into()),
                message: Some(message),
            };
        }
    }

    /// The earliest moment after `now` something is due.
    pub fn next_wake(&self, now: SimTime) -> Option<SimTime> {
        match &self.stage {
            Stage::Admitting { at } | Stage::Mounting { at, .. } | Stage::Sandbox { at } => {
                Some(*at).filter(|t| *t > now)
            }
            Stage::Running | Stage::Terminating => self
                .inits
                .iter()
                .chain(&self.regular)
                .filter_map(|c| c.next_wake(now))
                .min(),
            _ => None,
        }
    }

    /// The pod status the kubelet reports now.
    pub fn status(
        &self,
        live: &Pod,
        host_ip: Option<&str>,
        now: SimTime,
    ) -> k8s_openapi::api::core::v1::PodStatus {
        if let Stage::Rejected(r) = &self.stage {
            let mut st = live.status.clone().unwrap_or_default();
            st.phase = Some("Failed".into());
            st.reason = Some(r.reason.clone());
            st.message = Some(format!("Pod was rejected: {}", r.message));
            if st.start_time.is_none() {
                st.start_time = Some(now.to_k8s_time());
            }
            return st;
        }
        let facts = PodFacts {
            sandbox_ready: self.pod_ip.is_some()
                && matches!(self.stage, Stage::Running | Stage::Terminating),
            pod_ip: self.pod_ip.clone(),
            host_ip: host_ip.map(str::to_string),
            start_time: self.start_time,
            terminal: self.stage == Stage::Finished,
        };
        pod_status_of(
            live,
            |name| model_named(&self.inits, name),
            |name| model_named(&self.regular, name),
            &facts,
            now,
        )
    }
}

/// The model of the container called `name` among `containers`.
fn model_named<'a>(containers: &'a [ContainerRt], name: &str) -> Option<&'a ContainerModel> {
    containers.iter().map(|c| &c.model).find(|m| m.name == name)
}

/// The seed of one probe answer's latency: its own stream (pod, container, probe, moment), so
/// probing never shifts the cluster's other seeded delays.
fn latency_seed(uid: &str, container: &str, kind: ProbeKind, now: SimTime) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let kind = match kind {
        ProbeKind::Startup => 1u8,
        ProbeKind::Liveness => 2,
        ProbeKind::Readiness => 3,
    };
    let bytes = uid
        .bytes()
        .chain([0])
        .chain(container.bytes())
        .chain([0, kind])
        .chain(now.0.to_le_bytes());
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Sends a running container SIGTERM: it stops after the runtime's stop delay when its program
/// handles the signal (exit 0), otherwise it is SIGKILLed after `grace` (exit 137). Whether it
/// was running.
fn stop_container(
    c: &mut ContainerRt,
    now: SimTime,
    grace: SimDuration,
    timings: &Timings,
    ctx: &mut Ctx<'_>,
) -> bool {
    let stage = std::mem::replace(&mut c.stage, CStage::Dead);
    match stage {
        CStage::Running {
            mut process, since, ..
        } => {
            if let Some(cmd) = c
                .spec
                .lifecycle
                .as_ref()
                .and_then(|l| l.pre_stop.as_ref())
                .and_then(|h| h.exec.as_ref())
                .and_then(|e| e.command.clone())
            {
                let env = process.env().to_vec();
                let _ = crate::runtime::shell::exec(&cmd, process.fs_mut(), &env, now);
            }
            let (at, code) = if process.handles_sigterm() {
                (now.plus(timings.sample(Step::ContainerStop, ctx.rng)), 0)
            } else {
                (now.plus(grace), 137)
            };
            c.model.ready = false;
            c.stage = CStage::Stopping {
                process,
                since,
                at,
                code,
            };
            true
        }
        other => {
            c.stage = other;
            false
        }
    }
}

/// `sh -c "<one simple command>"`: the shell execs the command (busybox and dash do), so a server
/// started this way (`/bin/sh -c "node server.js"`) is that server, not a script.
pub fn exec_single_command(argv: Vec<String>) -> Vec<String> {
    let Some(Program::Shell {
        script: Some(script),
        ..
    }) = program(&argv)
    else {
        return argv;
    };
    let simple = !script.is_empty()
        && script
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " ./-_=:,".contains(c));
    if !simple {
        return argv;
    }
    let words: Vec<String> = script.split_whitespace().map(str::to_string).collect();
    match program(&words) {
        Some(Program::Daemon(_)) => words,
        _ => argv,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_probe_answer_takes_the_probe_latency_from_its_own_stream() {
        let t = Timings::default();
        let sample = |now: u64| {
            let mut rng = SimRng::new(latency_seed("u1", "c", ProbeKind::Readiness, SimTime(now)));
            t.sample(Step::ProbeLatency, &mut rng).as_millis()
        };
        assert_eq!(sample(1000), sample(1000));
        assert!((0..50)
            .map(|i| sample(i * 1000))
            .all(|ms| (2..=10).contains(&ms)));
    }

    #[test]
    fn a_pod_holds_the_node_s_resources_from_admission_until_its_phase_ends() {
        let pod = |phase: &str| Pod {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some("p".into()),
                uid: Some("u1".into()),
                ..Default::default()
            },
            spec: Some(k8s_openapi::api::core::v1::PodSpec::default()),
            status: Some(k8s_openapi::api::core::v1::PodStatus {
                phase: Some(phase.into()),
                ..Default::default()
            }),
        };
        let mut w = PodWorker::new(pod("Pending"), SimTime(0));
        assert!(!w.holds_resources(), "still being admitted");
        w.stage = Stage::Running;
        let mut held = Vec::new();
        for phase in ["Running", "Succeeded", "Running", "Failed", "Pending"] {
            w.set_pod(pod(phase).into());
            held.push((phase, w.holds_resources()));
        }
        assert_eq!(
            held,
            [
                ("Running", true),
                ("Succeeded", false),
                ("Running", true),
                ("Failed", false),
                ("Pending", true)
            ]
        );
        // A worker made for a pod already over holds nothing either.
        let mut done = PodWorker::new(pod("Succeeded"), SimTime(0));
        done.stage = Stage::Running;
        assert!(!done.holds_resources());
    }

    #[test]
    fn a_shell_running_one_server_execs_it() {
        assert_eq!(
            exec_single_command(v(&["/bin/sh", "-c", "node server.js"])),
            v(&["node", "server.js"])
        );
        let script = v(&["/bin/sh", "-c", "touch /tmp/healthy; sleep 30"]);
        assert_eq!(exec_single_command(script.clone()), script);
        let sleep = v(&["sh", "-c", "sleep 3600"]);
        assert_eq!(exec_single_command(sleep.clone()), sleep);
    }
}
