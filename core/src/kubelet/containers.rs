//! One container as the kubelet tracks it: its stage in the runtime (pulling, creating,
//! starting, running with its process, stopping, exited), the status model it reports, its probe
//! workers, and the restart-policy rule that decides what happens when it exits.

use k8s_openapi::api::core::v1::Container;
use std::ops::Deref;
use std::sync::{Arc, LazyLock};

use crate::kubelet::images::PullTicket;
use crate::kubelet::probes::{ProbeKind, ProbeSpec, ProbeTick, ProbeWorker};
use crate::kubelet::status::{ContainerModel, Termination};
use crate::object::PodRef;
use crate::runtime::catalog::ImageInfo;
use crate::runtime::shell::{LogLine, Process};
use crate::sim::SimTime;

/// Where a container is in the runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// No container now; the next one may be started from `at` (after a back-off or a resync).
    Idle {
        /// When the kubelet tries next.
        at: SimTime,
    },
    /// Its image is being pulled.
    Pulling {
        /// The pull.
        ticket: PullTicket,
    },
    /// `CreateContainer` is running; done at `at`.
    Creating {
        /// When the container exists.
        at: SimTime,
        /// The image it runs.
        image: Arc<ImageInfo>,
        /// Its resolved `env`/`envFrom`.
        env: Vec<(String, String)>,
    },
    /// `StartContainer` is running; done at `at`.
    Starting {
        /// When the process starts.
        at: SimTime,
        /// The new container's ID (`containerd://…`).
        id: String,
        /// The image it runs.
        image: Arc<ImageInfo>,
        /// Its resolved `env`/`envFrom`.
        env: Vec<(String, String)>,
    },
    /// The process runs.
    Running {
        /// The main process.
        process: Box<Process>,
        /// When it started.
        since: SimTime,
        /// When the process has something to do next.
        wake: Option<SimTime>,
        /// When the cgroup OOM killer ends it (memory above the limit).
        oom_at: Option<SimTime>,
    },
    /// The kubelet is stopping it; the process ends at `at` with `code` (0 after a handled
    /// SIGTERM, 137 after the grace period's SIGKILL).
    Stopping {
        /// The main process.
        process: Box<Process>,
        /// When it started.
        since: SimTime,
        /// When it ends.
        at: SimTime,
        /// Its exit code.
        code: i32,
    },
    /// It exited; PLEG notices at `noticed_at`.
    Exited {
        /// How it ended.
        term: Termination,
        /// When the kubelet learns of it.
        noticed_at: SimTime,
    },
    /// It will not run again.
    Dead,
}

/// A container's spec as the kubelet admitted it: a place in a stored pod object (shared with
/// the store), not a copy of the container. Dereferences to the `Container`.
///
/// The kubelet keeps running the spec it admitted (the pod's later versions are read for its
/// metadata and deletion only), so the handle moves to a newer version of the pod only when
/// that version's container at the same place is equal ([`ContainerSpec::follow`]); otherwise
/// it keeps the version it was admitted from.
#[derive(Clone)]
pub struct ContainerSpec {
    pod: PodRef,
    init: bool,
    index: usize,
}

impl ContainerSpec {
    /// The `index`th init container (`init`) or container of `pod`.
    pub fn new(pod: &PodRef, init: bool, index: usize) -> ContainerSpec {
        ContainerSpec {
            pod: pod.clone(),
            init,
            index,
        }
    }

    fn of(pod: &PodRef, init: bool, index: usize) -> Option<&Container> {
        let spec = pod.spec.as_ref()?;
        let list = if init {
            spec.init_containers.as_deref()?
        } else {
            &spec.containers
        };
        list.get(index)
    }

    /// Whether it is an init container (sidecars included).
    pub fn init(&self) -> bool {
        self.init
    }

    /// Reads the container from `pod`, a newer version of the same pod, if it is unchanged
    /// there, so that the older version is not kept alive for it.
    pub fn follow(&mut self, pod: &PodRef) {
        if Arc::ptr_eq(self.pod.object(), pod.object()) {
            return;
        }
        if ContainerSpec::of(pod, self.init, self.index).is_some_and(|c| c == &**self) {
            self.pod = pod.clone();
        }
    }
}

impl Deref for ContainerSpec {
    type Target = Container;
    fn deref(&self) -> &Container {
        static NONE: LazyLock<Container> = LazyLock::new(Container::default);
        // Always there: the handle is made from a place in the pod and follows only to an
        // equal container.
        ContainerSpec::of(&self.pod, self.init, self.index).unwrap_or(&NONE)
    }
}

impl PartialEq for ContainerSpec {
    fn eq(&self, other: &ContainerSpec) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for ContainerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// A container of a pod on this node.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerRt {
    /// Its spec (which also says whether it is an init container: [`ContainerRt::init`]).
    pub spec: ContainerSpec,
    /// What the status reports.
    pub model: ContainerModel,
    /// Where it is.
    pub stage: Stage,
    /// Its probe workers (made at its first start).
    pub probes: Vec<ProbeWorker>,
    /// When its last image pull failed.
    pub pull_failed_at: Option<SimTime>,
    /// The previous container's end, once a container of it has run.
    pub previous: Option<Termination>,
    /// Whether a restart must pass the crash-loop back-off first.
    pub restart_pending: bool,
    /// The container's `postStart` hook in progress: the pod worker is blocked on it until it
    /// returns.
    pub post_start: Option<PostStart>,
    /// Probe results on their way back (`probeLatency`): when each lands, the probe, and what
    /// its tick did.
    pub answers: Vec<(SimTime, ProbeKind, ProbeTick)>,
    /// The handler's message of a failed `postStart` hook, reported as the `PostStartHookError`
    /// waiting state once the killed container has exited (the kubelet's reason cache).
    pub hook_error: Option<String>,
    /// The log of its latest container once that one has exited (a running one's log is read
    /// from its process): what `kubectl logs` shows.
    pub logs: Vec<LogLine>,
    /// The log of the container before it: what `kubectl logs --previous` shows.
    pub previous_logs: Vec<LogLine>,
}

/// A `postStart` handler the kubelet is waiting on (`startContainer` step 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostStart {
    /// When the handler returns.
    pub done_at: SimTime,
    /// The handler's message when it failed (`handlerRunner.Run`).
    pub failure: Option<String>,
}

impl ContainerRt {
    /// A container not created yet, to be tried from `at`.
    pub fn new(spec: ContainerSpec, at: SimTime) -> ContainerRt {
        ContainerRt {
            model: ContainerModel::new(&spec.name),
            spec,
            stage: Stage::Idle { at },
            probes: Vec::new(),
            pull_failed_at: None,
            previous: None,
            restart_pending: false,
            post_start: None,
            answers: Vec::new(),
            hook_error: None,
            logs: Vec::new(),
            previous_logs: Vec::new(),
        }
    }

    /// Whether it is an init container (sidecars included), as its spec's place says.
    pub fn init(&self) -> bool {
        self.spec.init()
    }

    /// The log of its current (or last) container: live from the process while it runs.
    pub fn current_logs(&self) -> &[LogLine] {
        match &self.stage {
            Stage::Running { process, .. } | Stage::Stopping { process, .. } => process.logs(),
            _ => &self.logs,
        }
    }

    /// A new container starts: the last one's log becomes the previous log.
    pub fn rotate_logs(&mut self) {
        self.previous_logs = std::mem::take(&mut self.logs);
    }

    /// A sidecar: an init container with `restartPolicy: Always`.
    pub fn is_sidecar(&self) -> bool {
        self.init() && self.spec.restart_policy.as_deref() == Some("Always")
    }

    /// Whether a regular init container has completed (exited 0).
    pub fn completed(&self) -> bool {
        self.init() && !self.is_sidecar() && self.model.ready
    }

    /// Whether it holds the pod's sync (a pull, create or start in progress, or a `postStart`
    /// hook not yet returned).
    pub fn busy(&self) -> bool {
        self.post_start.is_some()
            || matches!(
                self.stage,
                Stage::Pulling { .. } | Stage::Creating { .. } | Stage::Starting { .. }
            )
    }

    /// Whether its process is alive (running or being stopped).
    pub fn alive(&self) -> bool {
        matches!(self.stage, Stage::Running { .. } | Stage::Stopping { .. })
    }

    /// Whether a container that exited with `code` is started again, for the pod's
    /// `restartPolicy` (sidecars always; regular init containers only after failures).
    pub fn restarts(&self, pod_policy: &str, code: i32) -> bool {
        if self.is_sidecar() {
            return true;
        }
        if self.init() {
            return code != 0 && pod_policy != "Never";
        }
        match pod_policy {
            "Never" => false,
            "OnFailure" => code != 0,
            _ => true,
        }
    }

    /// Makes (or resets, for a new container) its probe workers at `now`.
    pub fn arm_probes(&mut self, now: SimTime) {
        if !self.probes.is_empty() {
            for w in &mut self.probes {
                w.container_restarted();
            }
            return;
        }
        let c = &self.spec;
        let probes = [
            (ProbeKind::Startup, c.startup_probe.as_ref()),
            (ProbeKind::Liveness, c.liveness_probe.as_ref()),
            (ProbeKind::Readiness, c.readiness_probe.as_ref()),
        ];
        for (kind, probe) in probes {
            if let Some(spec) = probe.and_then(|p| ProbeSpec::from_k8s(p, c).ok()) {
                self.probes.push(ProbeWorker::new(kind, spec, &c.name, now));
            }
        }
    }

    /// Whether it has a probe of `kind`.
    pub fn has_probe(&self, kind: ProbeKind) -> bool {
        self.probes.iter().any(|w| w.kind == kind)
    }

    /// The earliest moment after `now` it has something to do.
    pub fn next_wake(&self, now: SimTime) -> Option<SimTime> {
        let mut times = Vec::new();
        match &self.stage {
            Stage::Idle { at } => times.push(*at),
            Stage::Pulling { ticket } => times.push(ticket.done_at),
            Stage::Creating { at, .. }
            | Stage::Starting { at, .. }
            | Stage::Stopping { at, .. } => times.push(*at),
            Stage::Exited { noticed_at, .. } => times.push(*noticed_at),
            Stage::Running { wake, oom_at, .. } => {
                times.extend(wake.iter().copied());
                times.extend(oom_at.iter().copied());
                times.extend(self.post_start.iter().map(|h| h.done_at));
                times.extend(self.answers.iter().map(|(at, _, _)| *at));
                times.extend(self.probes.iter().map(|w| w.next_at()));
            }
            Stage::Dead => {}
        }
        times.into_iter().filter(|t| *t > now).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Pod, PodSpec, PodStatus};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn pod(image: &str, phase: &str) -> PodRef {
        PodRef::new(Pod {
            spec: Some(PodSpec {
                init_containers: Some(vec![Container {
                    name: "init-myservice".into(),
                    image: Some("busybox:1.28".into()),
                    ..Container::default()
                }]),
                containers: vec![Container {
                    name: "nginx".into(),
                    image: Some(image.into()),
                    ..Container::default()
                }],
                ..PodSpec::default()
            }),
            status: Some(PodStatus {
                phase: Some(phase.into()),
                ..PodStatus::default()
            }),
            ..Pod::default()
        })
    }

    #[test]
    fn a_container_spec_reads_its_place_in_the_pod_and_follows_only_an_unchanged_container() {
        let admitted = pod("nginx:1.14.2", "Pending");
        let mut init = ContainerSpec::new(&admitted, true, 0);
        let mut main = ContainerSpec::new(&admitted, false, 0);
        assert_eq!(init.name, "init-myservice");
        assert_eq!(main.image.as_deref(), Some("nginx:1.14.2"));

        // A status write: the same containers, so the handles move to the new version and the
        // admitted one is no longer kept alive by them.
        let running = pod("nginx:1.14.2", "Running");
        init.follow(&running);
        main.follow(&running);
        assert!(Arc::ptr_eq(main.pod.object(), running.object()));
        assert!(Arc::ptr_eq(init.pod.object(), running.object()));
        assert_eq!(Arc::strong_count(admitted.object()), 1);

        // The image changed: the kubelet keeps the spec it admitted.
        let updated = pod("nginx:1.16.1", "Running");
        main.follow(&updated);
        init.follow(&updated);
        assert_eq!(main.image.as_deref(), Some("nginx:1.14.2"));
        assert!(Arc::ptr_eq(main.pod.object(), running.object()));
        assert!(Arc::ptr_eq(init.pod.object(), updated.object()));
    }
}
