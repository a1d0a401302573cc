//! Pod status as the kubelet generates it (`generateAPIPodStatus`): the phase (`getPhase`, with
//! sidecars and restart policies), the kubelet-owned conditions with upstream reasons and
//! messages (`pkg/kubelet/status/generate.go`), and container statuses with their default
//! waiting reasons, computed from a small container-state model into real `v1.PodStatus`.

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodSpec, PodStatus,
    VolumeMountStatus,
};

use crate::sim::SimTime;

/// How a container ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Termination {
    /// The exit code.
    pub exit_code: i32,
    /// The signal, if killed by one.
    pub signal: Option<i32>,
    /// `Completed`, `Error`, `OOMKilled`, `StartError`, `ContainerCannotRun`, …
    pub reason: String,
    /// The runtime's message, if any.
    pub message: Option<String>,
    /// When it started (absent for start errors).
    pub started_at: Option<SimTime>,
    /// When it finished.
    pub finished_at: SimTime,
    /// `containerd://…`.
    pub container_id: Option<String>,
}

impl Termination {
    /// The runtime's reason for an exit code: `Completed` for 0, `Error` otherwise.
    pub fn reason_for(exit_code: i32) -> &'static str {
        if exit_code == 0 {
            "Completed"
        } else {
            "Error"
        }
    }

    /// A normal exit with `exit_code` (reason from [`Termination::reason_for`]).
    pub fn exited(
        exit_code: i32,
        started_at: SimTime,
        finished_at: SimTime,
        container_id: Option<String>,
    ) -> Termination {
        Termination {
            exit_code,
            signal: None,
            reason: Termination::reason_for(exit_code).to_string(),
            message: None,
            started_at: Some(started_at),
            finished_at,
            container_id,
        }
    }

    /// The cgroup OOM killer's end: exit code 137, reason `OOMKilled`.
    pub fn oom_killed(
        started_at: SimTime,
        finished_at: SimTime,
        container_id: Option<String>,
    ) -> Termination {
        Termination {
            reason: "OOMKilled".to_string(),
            ..Termination::exited(137, started_at, finished_at, container_id)
        }
    }

    /// A start failure (`StartError`, exit code 128) with the runtime's message.
    pub fn start_error(message: &str, at: SimTime, container_id: Option<String>) -> Termination {
        Termination {
            exit_code: 128,
            signal: None,
            reason: "StartError".to_string(),
            message: Some(message.to_string()),
            // Real status shows the Unix epoch here; the sim leaves it unset.
            started_at: None,
            finished_at: at,
            container_id,
        }
    }
}

/// A container's current state in the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    /// Not running: never created yet (`reason` `None`: the kubelet's default,
    /// `ContainerCreating` or `PodInitializing`), or waiting with a reason
    /// (`ErrImagePull`, `CrashLoopBackOff`, …).
    Waiting {
        /// The waiting reason, `None` for the default.
        reason: Option<String>,
        /// The waiting message.
        message: Option<String>,
    },
    /// Running since `started_at`.
    Running {
        /// When the current container started.
        started_at: SimTime,
    },
    /// Exited.
    Terminated(Termination),
}

/// What the kubelet knows about one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerModel {
    /// The container's name.
    pub name: String,
    /// The image as the runtime reports it (`docker.io/library/nginx:latest`); empty before it
    /// is pulled (the spec's image is shown then).
    pub image: String,
    /// `docker.io/library/nginx@sha256:…`, empty before the pull.
    pub image_id: String,
    /// The current container's ID (`containerd://…`).
    pub container_id: Option<String>,
    /// The current state.
    pub state: RunState,
    /// The previous container's end, after a restart.
    pub last: Option<Termination>,
    /// Restarts so far.
    pub restart_count: i32,
    /// Readiness (running and its readiness probe passing, or an init container that exited 0).
    pub ready: bool,
    /// Whether the startup probe passed (or it has none and is running).
    pub started: bool,
}

impl ContainerModel {
    /// A container that has not been created yet.
    pub fn new(name: &str) -> ContainerModel {
        ContainerModel {
            name: name.to_string(),
            image: String::new(),
            image_id: String::new(),
            container_id: None,
            state: RunState::Waiting {
                reason: None,
                message: None,
            },
            last: None,
            restart_count: 0,
            ready: false,
            started: false,
        }
    }
}

/// Pod-level facts the status needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PodFacts {
    /// Whether the sandbox is up with networking (`PodReadyToStartContainers`).
    pub sandbox_ready: bool,
    /// The pod IP, once the sandbox has one.
    pub pod_ip: Option<String>,
    /// The node's IP.
    pub host_ip: Option<String>,
    /// When the kubelet first saw the pod (`startTime`).
    pub start_time: Option<SimTime>,
    /// Whether the kubelet has decided the pod is terminal (deleted and stopped, or evicted).
    pub terminal: bool,
}

fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

fn terminated(t: &Termination) -> ContainerStateTerminated {
    ContainerStateTerminated {
        exit_code: t.exit_code,
        signal: t.signal,
        reason: Some(t.reason.clone()),
        message: t.message.clone(),
        started_at: t.started_at.map(|s| s.to_k8s_time()),
        finished_at: Some(t.finished_at.to_k8s_time()),
        container_id: t.container_id.clone(),
    }
}

/// The `v1.ContainerStatus` of `model` (or of a never-seen container) for `container`, with
/// `default_reason` for a container that has not started (`ContainerCreating` or
/// `PodInitializing`).
pub fn container_status(
    container: &Container,
    model: Option<&ContainerModel>,
    default_reason: &str,
) -> ContainerStatus {
    let fresh = ContainerModel::new(&container.name);
    let m = model.unwrap_or(&fresh);
    let state = match &m.state {
        RunState::Waiting { reason, message } => ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.clone().unwrap_or_else(|| default_reason.to_string())),
                message: message.clone(),
            }),
            ..Default::default()
        },
        RunState::Running { started_at } => ContainerState {
            running: Some(ContainerStateRunning {
                started_at: Some(started_at.to_k8s_time()),
            }),
            ..Default::default()
        },
        RunState::Terminated(t) => ContainerState {
            terminated: Some(terminated(t)),
            ..Default::default()
        },
    };
    ContainerStatus {
        name: container.name.clone(),
        image: if m.image.is_empty() {
            container.image.clone().unwrap_or_default()
        } else {
            m.image.clone()
        },
        image_id: m.image_id.clone(),
        container_id: m.container_id.clone(),
        ready: m.ready,
        restart_count: m.restart_count,
        started: Some(m.started),
        state: Some(state),
        last_state: Some(ContainerState {
            terminated: m.last.as_ref().map(terminated),
            ..Default::default()
        }),
        // Created containers report their mounts (RecursiveReadOnlyMounts, on since 1.31).
        volume_mounts: m.container_id.as_ref().and_then(|_| {
            container.volume_mounts.as_ref().map(|vms| {
                vms.iter()
                    .map(|vm| VolumeMountStatus {
                        mount_path: vm.mount_path.clone(),
                        name: vm.name.clone(),
                        read_only: vm.read_only.filter(|r| *r),
                        recursive_read_only: vm
                            .read_only
                            .filter(|r| *r)
                            .map(|_| "Disabled".to_string()),
                    })
                    .collect()
            })
        }),
        ..Default::default()
    }
}

fn find<'a>(statuses: &'a [ContainerStatus], name: &str) -> Option<&'a ContainerStatus> {
    statuses.iter().find(|s| s.name == name)
}

fn st(s: &ContainerStatus) -> ContainerState {
    s.state.clone().unwrap_or_default()
}

fn last_terminated(s: &ContainerStatus) -> Option<ContainerStateTerminated> {
    s.last_state.as_ref().and_then(|l| l.terminated.clone())
}

/// `getPhase` (k/k `pkg/kubelet/kubelet_pods.go`, v1.33) over generated statuses.
pub fn get_phase(
    spec: &PodSpec,
    init: &[ContainerStatus],
    regular: &[ContainerStatus],
    pod_is_terminal: bool,
    pod_has_initialized: bool,
) -> &'static str {
    let policy = spec.restart_policy.as_deref().unwrap_or("Always");
    let inits = spec.init_containers.as_deref().unwrap_or(&[]);
    let (mut pending_regular_init, mut pending_sidecar, mut failed_init) = (0, 0, 0);
    for c in inits.iter().filter(|c| !is_sidecar(c)) {
        let Some(s) = find(init, &c.name) else {
            pending_regular_init += 1;
            continue;
        };
        let state = st(s);
        if state.running.is_some() {
            pending_regular_init += 1;
        } else if let Some(t) = &state.terminated {
            if t.exit_code != 0 {
                failed_init += 1;
            }
        } else if state.waiting.is_some() {
            match last_terminated(s) {
                Some(t) if t.exit_code != 0 => failed_init += 1,
                Some(_) => {}
                None => pending_regular_init += 1,
            }
        } else {
            pending_regular_init += 1;
        }
    }
    let (mut unknown, mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0, 0);
    for c in inits.iter().filter(|c| is_sidecar(c)) {
        let Some(s) = find(init, &c.name) else {
            unknown += 1;
            continue;
        };
        let state = st(s);
        if state.running.is_some() {
            if s.started != Some(true) {
                pending_sidecar += 1;
            }
            running += 1;
        } else if state.terminated.is_some() {
        } else if state.waiting.is_some() {
            if last_terminated(s).is_none() {
                pending_sidecar += 1;
                waiting += 1;
            }
        } else {
            pending_sidecar += 1;
            unknown += 1;
        }
    }
    for c in &spec.containers {
        let Some(s) = find(regular, &c.name) else {
            unknown += 1;
            continue;
        };
        let state = st(s);
        if state.running.is_some() {
            running += 1;
        } else if let Some(t) = &state.terminated {
            stopped += 1;
            if t.exit_code == 0 {
                succeeded += 1;
            }
        } else if state.waiting.is_some() {
            if last_terminated(s).is_some() {
                stopped += 1;
            } else {
                waiting += 1;
            }
        } else {
            unknown += 1;
        }
    }
    if failed_init > 0 && policy == "Never" {
        return "Failed";
    }
    if pending_regular_init > 0 || (pending_sidecar > 0 && !pod_has_initialized) {
        return "Pending";
    }
    if waiting > 0 {
        return "Pending";
    }
    if running > 0 && unknown == 0 {
        return "Running";
    }
    if running == 0 && stopped > 0 && unknown == 0 {
        if pod_is_terminal {
            return if stopped == succeeded {
                "Succeeded"
            } else {
                "Failed"
            };
        }
        if policy == "Always" {
            return "Running";
        }
        if stopped == succeeded {
            return "Succeeded";
        }
        if policy == "Never" {
            return "Failed";
        }
        return "Running";
    }
    "Pending"
}

/// `containers with unknown status: [a b], containers with <second> status: [c]`, the parts
/// with no names left out (upstream's messages print Go's `%v` of each name list), or `None`
/// when both lists are empty. Built in one string: a status is generated at every pod sync.
fn containers_message(unknown: &[&str], second: &str, others: &[&str]) -> Option<String> {
    let parts = [("unknown", unknown), (second, others)];
    // ", containers with <label> status: [" and "]", and each name with a separator.
    let len: usize = parts
        .iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(label, names)| {
            ", containers with  status: []".len()
                + label.len()
                + names.iter().map(|n| n.len() + 1).sum::<usize>()
        })
        .sum();
    if len == 0 {
        return None;
    }
    let mut out = String::with_capacity(len);
    for (label, names) in parts {
        if names.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str("containers with ");
        out.push_str(label);
        out.push_str(" status: [");
        crate::text::push_joined(&mut out, names.iter().copied(), " ");
        out.push(']');
    }
    Some(out)
}

fn condition(
    type_: &str,
    status: bool,
    reason: Option<&str>,
    message: Option<String>,
) -> PodCondition {
    PodCondition {
        type_: type_.to_string(),
        status: if status { "True" } else { "False" }.to_string(),
        reason: reason.map(str::to_string),
        message,
        ..Default::default()
    }
}

fn any_regular_started(spec: &PodSpec, regular: &[ContainerStatus]) -> bool {
    spec.containers.iter().any(|c| {
        find(regular, &c.name).is_some_and(|s| {
            let state = st(s);
            state.running.is_some() || state.terminated.is_some()
        })
    })
}

/// `GeneratePodInitializedCondition`.
pub fn initialized_condition(
    spec: &PodSpec,
    init: &[ContainerStatus],
    regular: &[ContainerStatus],
    phase: &str,
) -> PodCondition {
    let inits = spec.init_containers.as_deref().unwrap_or(&[]);
    if inits.is_empty() {
        return condition("Initialized", true, None, None);
    }
    let mut unknown = Vec::new();
    let mut incomplete = Vec::new();
    for c in inits {
        let Some(s) = find(init, &c.name) else {
            unknown.push(c.name.as_str());
            continue;
        };
        if is_sidecar(c) {
            if s.started != Some(true) {
                incomplete.push(c.name.as_str());
            }
        } else if !s.ready {
            incomplete.push(c.name.as_str());
        }
    }
    if phase == "Succeeded" && unknown.is_empty() {
        return condition("Initialized", true, Some("PodCompleted"), None);
    }
    if any_regular_started(spec, regular) {
        return condition("Initialized", true, None, None);
    }
    match containers_message(&unknown, "incomplete", &incomplete) {
        None => condition("Initialized", true, None, None),
        Some(message) => condition(
            "Initialized",
            false,
            Some("ContainersNotInitialized"),
            Some(message),
        ),
    }
}

/// `GenerateContainersReadyCondition`.
pub fn containers_ready_condition(
    spec: &PodSpec,
    init: &[ContainerStatus],
    regular: &[ContainerStatus],
    phase: &str,
) -> PodCondition {
    let mut unknown = Vec::new();
    let mut unready = Vec::new();
    for c in spec
        .init_containers
        .iter()
        .flatten()
        .filter(|c| is_sidecar(c))
    {
        match find(init, &c.name) {
            None => unknown.push(c.name.as_str()),
            Some(s) if !s.ready => unready.push(c.name.as_str()),
            _ => {}
        }
    }
    for c in &spec.containers {
        match find(regular, &c.name) {
            None => unknown.push(c.name.as_str()),
            Some(s) if !s.ready => unready.push(c.name.as_str()),
            _ => {}
        }
    }
    if phase == "Succeeded" && unknown.is_empty() {
        return condition("ContainersReady", false, Some("PodCompleted"), None);
    }
    if phase == "Failed" {
        return condition("ContainersReady", false, Some("PodFailed"), None);
    }
    match containers_message(&unknown, "unready", &unready) {
        None => condition("ContainersReady", true, None, None),
        Some(message) => condition(
            "ContainersReady",
            false,
            Some("ContainersNotReady"),
            Some(message),
        ),
    }
}

/// `GeneratePodReadyCondition`: ContainersReady plus the pod's readiness gates, judged against
/// `existing` conditions.
pub fn ready_condition(
    spec: &PodSpec,
    containers_ready: &PodCondition,
    existing: &[PodCondition],
) -> PodCondition {
    if containers_ready.status != "True" {
        let mut c = containers_ready.clone();
        c.type_ = "Ready".into();
        return c;
    }
    let mut msgs = Vec::new();
    for gate in spec.readiness_gates.iter().flatten() {
        match existing.iter().find(|c| c.type_ == gate.condition_type) {
            None => msgs.push(format!(
                "corresponding condition of pod readiness gate {:?} does not exist.",
                gate.condition_type
            )),
            Some(c) if c.status != "True" => msgs.push(format!(
                "the status of pod readiness gate {:?} is not \"True\", but {}",
                gate.condition_type, c.status
            )),
            _ => {}
        }
    }
    if msgs.is_empty() {
        condition("Ready", true, None, None)
    } else {
        condition(
            "Ready",
            false,
            Some("ReadinessGatesNotReady"),
            Some(msgs.join(", ")),
        )
    }
}

/// Generates the pod's status from the models of its init and regular containers, found by
/// name through `init` (among the init containers') and `regular` (among the others'; missing
/// ones are not created yet), keeping `lastTransitionTime` of conditions whose status did not
/// change and never leaving a terminal phase. The models are read where their owner keeps
/// them, not gathered into copies.
pub fn pod_status_of<'m>(
    pod: &Pod,
    init: impl Fn(&str) -> Option<&'m ContainerModel>,
    regular: impl Fn(&str) -> Option<&'m ContainerModel>,
    facts: &PodFacts,
    now: SimTime,
) -> PodStatus {
    let empty_spec;
    let spec = match &pod.spec {
        Some(s) => s,
        None => {
            empty_spec = PodSpec::default();
            &empty_spec
        }
    };
    let empty_status;
    let old = match &pod.status {
        Some(s) => s,
        None => {
            empty_status = PodStatus::default();
            &empty_status
        }
    };
    let inits: &[Container] = spec.init_containers.as_deref().unwrap_or_default();
    let default_reason = if inits.is_empty() {
        "ContainerCreating"
    } else {
        "PodInitializing"
    };
    let init_statuses: Vec<ContainerStatus> = inits
        .iter()
        .map(|c| container_status(c, init(&c.name), "PodInitializing"))
        .collect();
    let statuses: Vec<ContainerStatus> = spec
        .containers
        .iter()
        .map(|c| container_status(c, regular(&c.name), default_reason))
        .collect();
    let has_initialized = any_regular_started(spec, &statuses);
    let mut phase = get_phase(
        spec,
        &init_statuses,
        &statuses,
        facts.terminal,
        has_initialized,
    );
    if let Some(prev) = old.phase.as_deref() {
        if prev == "Succeeded" || prev == "Failed" {
            phase = if prev == "Succeeded" {
                "Succeeded"
            } else {
                "Failed"
            };
        }
    }
    let existing: &[PodCondition] = old.conditions.as_deref().unwrap_or_default();
    let containers_ready = containers_ready_condition(spec, &init_statuses, &statuses, phase);
    let mut conditions = vec![
        condition("PodReadyToStartContainers", facts.sandbox_ready, None, None),
        initialized_condition(spec, &init_statuses, &statuses, phase),
        ready_condition(spec, &containers_ready, existing),
        containers_ready,
        condition("PodScheduled", true, None, None),
    ];
    for c in conditions.iter_mut() {
        let prev = existing.iter().find(|p| p.type_ == c.type_);
        c.last_transition_time = match prev {
            Some(p) if p.status == c.status => p.last_transition_time.clone(),
            _ => Some(now.to_k8s_time()),
        };
        c.last_probe_time = None;
    }
    // Conditions owned by others (DisruptionTarget, readiness gates) are kept.
    for p in existing {
        if !conditions.iter().any(|c| c.type_ == p.type_) {
            conditions.push(p.clone());
        }
    }
    PodStatus {
        phase: Some(phase.to_string()),
        conditions: Some(conditions),
        host_ip: facts.host_ip.clone(),
        host_ips: facts
            .host_ip
            .as_ref()
            .map(|ip| vec![HostIP { ip: ip.clone() }]),
        pod_ip: facts.pod_ip.clone(),
        pod_ips: facts
            .pod_ip
            .as_ref()
            .map(|ip| vec![PodIP { ip: ip.clone() }]),
        start_time: facts.start_time.map(|t| t.to_k8s_time()),
        init_container_statuses: (!inits.is_empty()).then_some(init_statuses),
        container_statuses: Some(statuses),
        qos_class: old.qos_class.clone(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn s(n: u64) -> SimTime {
        SimTime(n * 1000)
    }

    /// [`pod_status_of`] with the models in two slices.
    fn pod_status(
        pod: &Pod,
        init: &[ContainerModel],
        regular: &[ContainerModel],
        facts: &PodFacts,
        now: SimTime,
    ) -> PodStatus {
        pod_status_of(
            pod,
            |name| init.iter().find(|m| m.name == name),
            |name| regular.iter().find(|m| m.name == name),
            facts,
            now,
        )
    }

    #[test]
    fn containers_messages_list_names_as_go_prints_a_slice_and_join_both_parts() {
        // `fmt.Sprintf("containers with unknown status: %s", unknownContainers)`, and the
        // unready (or incomplete) part after `, `.
        assert_eq!(
            containers_message(&["a", "b"], "unready", &["c"]).as_deref(),
            Some("containers with unknown status: [a b], containers with unready status: [c]")
        );
        assert_eq!(
            containers_message(&[], "incomplete", &["init", "setup"]).as_deref(),
            Some("containers with incomplete status: [init setup]")
        );
        assert_eq!(
            containers_message(&["x"], "unready", &[]).as_deref(),
            Some("containers with unknown status: [x]")
        );
        assert_eq!(containers_message(&[], "unready", &[]), None);
    }

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    fn nginx() -> Pod {
        pod(
            json!({"metadata": {"name": "nginx"}, "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}),
        )
    }

    fn running(name: &str, ready: bool) -> ContainerModel {
        ContainerModel {
            state: RunState::Running { started_at: s(3) },
            ready,
            started: true,
            image: "docker.io/library/nginx:latest".into(),
            container_id: Some("containerd://abc".into()),
            ..ContainerModel::new(name)
        }
    }

    fn exited(code: i32) -> Termination {
        Termination {
            exit_code: code,
            signal: None,
            reason: Termination::reason_for(code).into(),
            message: None,
            started_at: Some(s(3)),
            finished_at: s(4),
            container_id: None,
        }
    }

    fn conds(st: &PodStatus) -> Vec<String> {
        st.conditions
            .iter()
            .flatten()
            .map(|c| {
                format!(
                    "{} {} {} {}",
                    c.type_,
                    c.status,
                    c.reason.clone().unwrap_or_default(),
                    c.message.clone().unwrap_or_default()
                )
                .trim_end()
                .to_string()
            })
            .collect()
    }

    fn facts() -> PodFacts {
        PodFacts {
            sandbox_ready: true,
            pod_ip: Some("10.244.1.5".into()),
            host_ip: Some("172.18.0.3".into()),
            start_time: Some(s(1)),
            terminal: false,
        }
    }

    #[test]
    fn a_creating_pod_is_pending_with_container_creating() {
        let st = pod_status(&nginx(), &[], &[], &PodFacts::default(), s(1));
        assert_eq!(st.phase.as_deref(), Some("Pending"));
        let w = st.container_statuses.unwrap()[0]
            .state
            .clone()
            .unwrap()
            .waiting
            .unwrap();
        assert_eq!(w.reason.as_deref(), Some("ContainerCreating"));
        assert_eq!(
            conds(&pod_status(&nginx(), &[], &[], &PodFacts::default(), s(1))),
            vec![
                "PodReadyToStartContainers False",
                "Initialized True",
                "Ready False ContainersNotReady containers with unready status: [nginx]",
                "ContainersReady False ContainersNotReady containers with unready status: [nginx]",
                "PodScheduled True",
            ]
        );
    }

    #[test]
    fn a_running_ready_pod_has_every_condition_true() {
        let st = pod_status(&nginx(), &[], &[running("nginx", true)], &facts(), s(5));
        assert_eq!(st.phase.as_deref(), Some("Running"));
        assert_eq!(
            conds(&st),
            vec![
                "PodReadyToStartContainers True",
                "Initialized True",
                "Ready True",
                "ContainersReady True",
                "PodScheduled True",
            ]
        );
        assert_eq!(st.pod_ip.as_deref(), Some("10.244.1.5"));
    }

    #[test]
    fn an_initializing_pod_names_its_incomplete_init_container() {
        let p = pod(json!({"metadata": {"name": "init-demo"}, "spec": {
            "initContainers": [{"name": "install", "image": "busybox:1.28"}],
            "containers": [{"name": "nginx", "image": "nginx"}]}}));
        let st = pod_status(&p, &[], &[], &facts(), s(2));
        assert_eq!(st.phase.as_deref(), Some("Pending"));
        assert_eq!(
            conds(&st)[1],
            "Initialized False ContainersNotInitialized containers with incomplete status: [install]"
        );
        let main = &st.container_statuses.as_ref().unwrap()[0];
        assert_eq!(
            main.state
                .clone()
                .unwrap()
                .waiting
                .unwrap()
                .reason
                .as_deref(),
            Some("PodInitializing")
        );
        // The init container exits 0 and is marked ready: initialized.
        let done = ContainerModel {
            state: RunState::Terminated(exited(0)),
            ready: true,
            ..ContainerModel::new("install")
        };
        let st = pod_status(&p, &[done], &[running("nginx", true)], &facts(), s(9));
        assert_eq!(st.phase.as_deref(), Some("Running"));
        assert_eq!(conds(&st)[1], "Initialized True");
        // A failing init container with restartPolicy Never fails the pod.
        let mut never = p.clone();
        never.spec.as_mut().unwrap().restart_policy = Some("Never".into());
        let failed = ContainerModel {
            state: RunState::Terminated(exited(1)),
            ..ContainerModel::new("install")
        };
        assert_eq!(
            pod_status(&never, &[failed], &[], &facts(), s(9))
                .phase
                .as_deref(),
            Some("Failed")
        );
    }

    #[test]
    fn a_completed_pod_succeeds_with_pod_completed_reasons() {
        let mut p = nginx();
        p.spec.as_mut().unwrap().restart_policy = Some("OnFailure".into());
        let c = ContainerModel {
            state: RunState::Terminated(exited(0)),
            ..ContainerModel::new("nginx")
        };
        let f = PodFacts {
            sandbox_ready: false,
            ..facts()
        };
        let st = pod_status(&p, &[], &[c], &f, s(9));
        assert_eq!(st.phase.as_deref(), Some("Succeeded"));
        assert_eq!(
            conds(&st),
            vec![
                "PodReadyToStartContainers False",
                "Initialized True",
                "Ready False PodCompleted",
                "ContainersReady False PodCompleted",
                "PodScheduled True",
            ]
        );
    }

    #[test]
    fn failures_depend_on_the_restart_policy() {
        let failed = ContainerModel {
            state: RunState::Terminated(exited(1)),
            ..ContainerModel::new("nginx")
        };
        let phase = |policy: &str| {
            let mut p = nginx();
            p.spec.as_mut().unwrap().restart_policy = Some(policy.into());
            pod_status(&p, &[], std::slice::from_ref(&failed), &facts(), s(9))
                .phase
                .unwrap()
        };
        assert_eq!(phase("Never"), "Failed");
        assert_eq!(phase("OnFailure"), "Running");
        assert_eq!(phase("Always"), "Running");
    }

    #[test]
    fn a_crash_looping_container_keeps_the_pod_running_and_unready() {
        let c = ContainerModel {
            state: RunState::Waiting {
                reason: Some("CrashLoopBackOff".into()),
                message: Some(
                    "back-off 20s restarting failed container=nginx pod=nginx_default(u)".into(),
                ),
            },
            last: Some(exited(1)),
            restart_count: 2,
            ..ContainerModel::new("nginx")
        };
        let st = pod_status(&nginx(), &[], &[c], &facts(), s(30));
        assert_eq!(st.phase.as_deref(), Some("Running"));
        let cs = &st.container_statuses.as_ref().unwrap()[0];
        assert_eq!(cs.restart_count, 2);
        assert_eq!(
            cs.last_state
                .clone()
                .unwrap()
                .terminated
                .unwrap()
                .reason
                .as_deref(),
            Some("Error")
        );
        assert_eq!(
            conds(&st)[3],
            "ContainersReady False ContainersNotReady containers with unready status: [nginx]"
        );
    }

    #[test]
    fn a_terminal_phase_never_changes_back() {
        let mut p = nginx();
        p.status = Some(PodStatus {
            phase: Some("Succeeded".into()),
            ..Default::default()
        });
        assert_eq!(
            pod_status(&p, &[], &[running("nginx", true)], &facts(), s(9))
                .phase
                .as_deref(),
            Some("Succeeded")
        );
    }

    #[test]
    fn a_started_sidecar_lets_the_pod_run() {
        let p = pod(json!({"metadata": {"name": "p"}, "spec": {
            "initContainers": [{"name": "log", "image": "busybox", "restartPolicy": "Always"}],
            "containers": [{"name": "app", "image": "nginx"}]}}));
        let st = pod_status(
            &p,
            &[running("log", true)],
            &[running("app", true)],
            &facts(),
            s(9),
        );
        assert_eq!(st.phase.as_deref(), Some("Running"));
        assert_eq!(conds(&st)[2], "Ready True");
        let st = pod_status(&p, &[running("log", false)], &[], &facts(), s(9));
        assert_eq!(st.phase.as_deref(), Some("Pending"));
    }

    #[test]
    fn created_containers_report_their_mounts_and_oom_kills_read_as_such() {
        let p = pod(
            json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "polinux/stress",
            "volumeMounts": [{"name": "kube-api-access-x", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}]}]}}),
        );
        let c = ContainerModel {
            state: RunState::Waiting {
                reason: Some("CrashLoopBackOff".into()),
                message: None,
            },
            last: Some(Termination::oom_killed(
                s(3),
                s(4),
                Some("containerd://abc".into()),
            )),
            container_id: Some("containerd://abc".into()),
            restart_count: 1,
            ..ContainerModel::new("c")
        };
        let st = pod_status(&p, &[], &[c], &facts(), s(5));
        let cs = &st.container_statuses.unwrap()[0];
        let last = cs.last_state.clone().unwrap().terminated.unwrap();
        assert_eq!(
            (last.exit_code, last.reason.as_deref()),
            (137, Some("OOMKilled"))
        );
        let vm = &cs.volume_mounts.as_ref().unwrap()[0];
        assert_eq!(vm.recursive_read_only.as_deref(), Some("Disabled"));
        assert_eq!(vm.read_only, Some(true));
    }
}
