//! kubectl's pod columns (`printPod` in `pkg/printers/internalversion/printers.go`): READY,
//! STATUS and RESTARTS exactly as `kubectl get pods` computes them.

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

use crate::kubectl::age::human_duration;
use crate::sim::SimTime;

/// The READY, STATUS and RESTARTS cells of one pod at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodColumns {
    /// `<ready>/<total>`.
    pub ready: String,
    /// kubectl's STATUS.
    pub status: String,
    /// `<n>` or `<n> (<age> ago)`.
    pub restarts: String,
}

fn is_sidecar(pod: &Pod, name: &str) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.init_containers.as_ref())
        .and_then(|ics| ics.iter().find(|c| c.name == name))
        .is_some_and(|c| c.restart_policy.as_deref() == Some("Always"))
}

/// Restart counts and the latest `lastState.terminated.finishedAt` among the statuses noted.
#[derive(Debug, Clone, Copy, Default)]
struct Restarts {
    count: i32,
    last: Option<SimTime>,
}

impl Restarts {
    fn note(&mut self, cs: &ContainerStatus) {
        self.count += cs.restart_count;
        if let Some(t) = cs
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.finished_at.as_ref())
        {
            let t = SimTime::from_k8s_time(t);
            if self.last.is_none_or(|l| t > l) {
                self.last = Some(t);
            }
        }
    }
}

/// Computes the columns as `printPod` does.
pub fn pod_columns(pod: &Pod, now: SimTime) -> PodColumns {
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let init_statuses: &[ContainerStatus] = status
        .and_then(|s| s.init_container_statuses.as_deref())
        .unwrap_or_default();
    let statuses: &[ContainerStatus] = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default();
    let init_containers = spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or_default();
    let sidecars = init_containers
        .iter()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"))
        .count();
    let total = spec.map_or(0, |s| s.containers.len()) + sidecars;
    let mut ready = 0;
    // All restarts seen so far, and those of sidecars only (upstream's two counters).
    let mut restarts = Restarts::default();
    let mut sidecar_restarts = Restarts::default();

    let phase = status.and_then(|s| s.phase.as_deref());
    let status_reason = status.and_then(|s| s.reason.as_deref());
    let mut reason = phase.unwrap_or_default().to_string();
    if let Some(r) = status_reason.filter(|r| !r.is_empty()) {
        reason = r.to_string();
    }
    let conditions = status
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default();
    if conditions
        .iter()
        .any(|c| c.type_ == "PodScheduled" && c.reason.as_deref() == Some("SchedulingGated"))
    {
        reason = "SchedulingGated".into();
    }

    let init_count = init_containers.len();
    let mut initializing = false;
    for (i, cs) in init_statuses.iter().enumerate() {
        restarts.note(cs);
        let sidecar = is_sidecar(pod, &cs.name);
        if sidecar {
            sidecar_restarts.note(cs);
        }
        let state = cs.state.as_ref();
        let terminated = state.and_then(|s| s.terminated.as_ref());
        if let Some(t) = terminated {
            if t.exit_code == 0 {
                continue;
            }
        }
        if sidecar && cs.started == Some(true) {
            if cs.ready {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = terminated {
            reason = match t.reason.as_deref().filter(|r| !r.is_empty()) {
                Some(r) => format!("Init:{r}"),
                None if t.signal.unwrap_or(0) != 0 => {
                    format!("Init:Signal:{}", t.signal.unwrap_or(0))
                }
                None => format!("Init:ExitCode:{}", t.exit_code),
            };
        } else if let Some(r) = state
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.as_deref())
            .filter(|r| !r.is_empty() && *r != "PodInitializing")
        {
            reason = format!("Init:{r}");
        } else {
            reason = format!("Init:{i}/{init_count}");
        }
        initializing = true;
        break;
    }

    let initialized = conditions
        .iter()
        .any(|c| c.type_ == "Initialized" && c.status == "True");
    if !initializing || initialized {
        restarts = sidecar_restarts;
        let mut has_running = false;
        for cs in statuses.iter().rev() {
            restarts.note(cs);
            let state = cs.state.as_ref();
            if let Some(r) = state
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| w.reason.as_deref())
                .filter(|r| !r.is_empty())
            {
                reason = r.to_string();
            } else if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
                reason = match t.reason.as_deref().filter(|r| !r.is_empty()) {
                    Some(r) => r.to_string(),
                    None if t.signal.unwrap_or(0) != 0 => {
                        format!("Signal:{}", t.signal.unwrap_or(0))
                    }
                    None => format!("ExitCode:{}", t.exit_code),
                };
            } else if state.is_some_and(|s| s.running.is_some()) && cs.ready {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True");
            reason = if pod_ready {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }

    if pod.metadata.deletion_timestamp.is_some() {
        if status_reason == Some("NodeLost") {
            reason = "Unknown".into();
        } else if !matches!(phase, Some("Succeeded" | "Failed")) {
            reason = "Terminating".into();
        }
    }

    let restarts = match restarts.last {
        Some(t) if restarts.count != 0 => {
            format!("{} ({} ago)", restarts.count, human_duration(now.since(t)))
        }
        _ => restarts.count.to_string(),
    };
    PodColumns {
        ready: format!("{ready}/{total}"),
        status: reason,
        restarts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_new_pod_is_pending_with_nothing_ready() {
        let p = pod(
            json!({"metadata": {"name": "nginx"}, "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}, "status": {"phase": "Pending"}}),
        );
        assert_eq!(
            pod_columns(&p, SimTime::ZERO),
            PodColumns {
                ready: "0/1".into(),
                status: "Pending".into(),
                restarts: "0".into()
            }
        );
    }

    #[test]
    fn a_gated_pod_shows_scheduling_gated() {
        let p = pod(
            json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "pause"}]},
            "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}}),
        );
        assert_eq!(pod_columns(&p, SimTime::ZERO).status, "SchedulingGated");
    }

    #[test]
    fn a_crash_looping_container_shows_restarts_with_their_age() {
        let p = pod(
            json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "c", "image": "busybox", "imageID": "", "ready": false, "restartCount": 5,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2025-04-23T00:01:00Z"}}}]}}),
        );
        let cols = pod_columns(&p, SimTime(87_000));
        assert_eq!(cols.status, "CrashLoopBackOff");
        assert_eq!(cols.restarts, "5 (27s ago)");
        assert_eq!(cols.ready, "0/1");
    }

    #[test]
    fn init_containers_show_progress_and_failures() {
        let base = json!({"metadata": {"name": "p"}, "spec": {"initContainers": [{"name": "a", "image": "busybox"}, {"name": "b", "image": "busybox"}], "containers": [{"name": "c", "image": "nginx"}]}});
        let mut v = base.clone();
        v["status"] = json!({"phase": "Pending", "initContainerStatuses": [
            {"name": "a", "image": "busybox", "imageID": "", "ready": true, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
            {"name": "b", "image": "busybox", "imageID": "", "ready": false, "restartCount": 0, "state": {"running": {}}}]});
        assert_eq!(pod_columns(&pod(v), SimTime::ZERO).status, "Init:1/2");
        let mut v = base;
        v["status"] = json!({"phase": "Pending", "initContainerStatuses": [
            {"name": "a", "image": "busybox", "imageID": "", "ready": false, "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]});
        assert_eq!(
            pod_columns(&pod(v), SimTime::ZERO).status,
            "Init:CrashLoopBackOff"
        );
    }

    #[test]
    fn a_deleted_running_pod_is_terminating() {
        let p = pod(
            json!({"metadata": {"name": "p", "deletionTimestamp": "2025-04-23T00:00:30Z"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "c", "image": "nginx", "imageID": "", "ready": true, "restartCount": 0, "state": {"running": {}}}]}}),
        );
        let cols = pod_columns(&p, SimTime::ZERO);
        assert_eq!(
            (cols.ready.as_str(), cols.status.as_str()),
            ("1/1", "Terminating")
        );
    }

    /// A pod with one init container `init` (if `init` is given), one sidecar `side` (if
    /// `sidecar`), and app containers `a` and `b`, with the given status.
    fn pod_with(
        init: bool,
        sidecar: bool,
        meta: serde_json::Value,
        status: serde_json::Value,
    ) -> Pod {
        let mut init_containers = vec![];
        if init {
            init_containers.push(json!({"name": "init", "image": "busybox"}));
        }
        if sidecar {
            init_containers
                .push(json!({"name": "side", "image": "busybox", "restartPolicy": "Always"}));
        }
        let mut meta = meta;
        meta["name"] = "p".into();
        pod(json!({
            "metadata": meta,
            "spec": {"initContainers": init_containers, "containers": [
                {"name": "a", "image": "nginx"}, {"name": "b", "image": "nginx"}]},
            "status": status
        }))
    }

    fn cs(name: &str, ready: bool, restarts: i32, state: serde_json::Value) -> serde_json::Value {
        json!({"name": name, "image": "x", "imageID": "", "ready": ready, "restartCount": restarts, "state": state})
    }

    fn running() -> serde_json::Value {
        json!({"running": {"startedAt": "2025-04-23T00:00:01Z"}})
    }

    fn waiting(reason: &str) -> serde_json::Value {
        json!({"waiting": {"reason": reason}})
    }

    fn terminated(exit: i32, signal: i32, reason: &str) -> serde_json::Value {
        let mut t = json!({"exitCode": exit, "finishedAt": "2025-04-23T00:00:50Z"});
        if signal != 0 {
            t["signal"] = signal.into();
        }
        if !reason.is_empty() {
            t["reason"] = reason.into();
        }
        json!({"terminated": t})
    }

    fn cond(type_: &str, status: &str) -> serde_json::Value {
        json!({"type": type_, "status": status})
    }

    /// READY, STATUS and RESTARTS of a pod with two app containers at one minute.
    fn cols(
        init: bool,
        sidecar: bool,
        meta: serde_json::Value,
        status: serde_json::Value,
    ) -> (String, String, String) {
        let c = pod_columns(&pod_with(init, sidecar, meta, status), SimTime(60_000));
        (c.ready, c.status, c.restarts)
    }

    fn row(ready: &str, status: &str, restarts: &str) -> (String, String, String) {
        (ready.into(), status.into(), restarts.into())
    }

    /// A case: its name, whether the pod has an init container and a sidecar, its metadata
    /// and status, and the READY, STATUS and RESTARTS cells expected.
    type Case = (
        &'static str,
        bool,
        bool,
        serde_json::Value,
        serde_json::Value,
        (String, String, String),
    );

    #[test]
    fn every_status_print_pod_can_show() {
        let none = json!({});
        let scheduled = [cond("PodScheduled", "True")];
        let cases: Vec<Case> = vec![
            (
                "unscheduled",
                false,
                false,
                none.clone(),
                json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}),
                row("0/2", "Pending", "0"),
            ),
            (
                "gated",
                false,
                false,
                none.clone(),
                json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
                row("0/2", "SchedulingGated", "0"),
            ),
            (
                "creating",
                false,
                false,
                none.clone(),
                json!({"phase": "Pending", "conditions": scheduled, "containerStatuses": [
                    cs("a", false, 0, waiting("ContainerCreating")), cs("b", false, 0, waiting("ContainerCreating"))]}),
                row("0/2", "ContainerCreating", "0"),
            ),
            (
                "running",
                false,
                false,
                none.clone(),
                json!({"phase": "Running", "containerStatuses": [cs("a", true, 0, running()), cs("b", true, 0, running())]}),
                row("2/2", "Running", "0"),
            ),
            (
                "running but one not ready",
                false,
                false,
                none.clone(),
                json!({"phase": "Running", "containerStatuses": [cs("a", true, 0, running()), cs("b", false, 0, running())]}),
                row("1/2", "Running", "0"),
            ),
            (
                "completed",
                false,
                false,
                none.clone(),
                json!({"phase": "Succeeded", "containerStatuses": [
                    cs("a", false, 0, terminated(0, 0, "Completed")), cs("b", false, 0, terminated(0, 0, "Completed"))]}),
                row("0/2", "Completed", "0"),
            ),
            (
                "one completed, one running and ready",
                false,
                false,
                none.clone(),
                json!({"phase": "Running", "conditions": [cond("Ready", "True")], "containerStatuses": [
                    cs("a", false, 0, terminated(0, 0, "Completed")), cs("b", true, 0, running())]}),
                row("1/2", "Running", "0"),
            ),
            (
                "one completed, one running, pod not ready",
                false,
                false,
                none.clone(),
                json!({"phase": "Running", "conditions": [cond("Ready", "False")], "containerStatuses": [
                    cs("a", false, 0, terminated(0, 0, "Completed")), cs("b", true, 0, running())]}),
                row("1/2", "NotReady", "0"),
            ),
            (
                "error",
                false,
                false,
                none.clone(),
                json!({"phase": "Failed", "containerStatuses": [
                    cs("a", false, 0, terminated(1, 0, "Error")), cs("b", false, 0, terminated(0, 0, "Completed"))]}),
                row("0/2", "Error", "0"),
            ),
            (
                "the first container's reason wins",
                false,
                false,
                none.clone(),
                json!({"phase": "Running", "containerStatuses": [
                    cs("a", false, 0, waiting("ImagePullBackOff")), cs("b", false, 3, waiting("CrashLoopBackOff"))]}),
                row("0/2", "ImagePullBackOff", "3"),
            ),
            (
                "err image pull",
                false,
                false,
                none.clone(),
                json!({"phase": "Pending", "containerStatuses": [
                    cs("a", false, 0, waiting("ErrImagePull")), cs("b", true, 0, running())]}),
                row("1/2", "ErrImagePull", "0"),
            ),
            (
                "create container config error",
                false,
                false,
                none.clone(),
                json!({"phase": "Pending", "containerStatuses": [
                    cs("a", false, 0, waiting("CreateContainerConfigError")), cs("b", false, 0, waiting("ContainerCreating"))]}),
                row("0/2", "CreateContainerConfigError", "0"),
            ),
            (
                "oom killed",
                false,
                false,
                none.clone(),
                json!({"phase": "Running", "containerStatuses": [
                    {"name": "a", "image": "x", "imageID": "", "ready": false, "restartCount": 4,
                     "state": terminated(137, 0, "OOMKilled"),
                     "lastState": terminated(137, 0, "OOMKilled")},
                    cs("b", true, 0, running())]}),
                row("1/2", "OOMKilled", "4 (10s ago)"),
            ),
            (
                "signal without a reason",
                false,
                false,
                none.clone(),
                json!({"phase": "Failed", "containerStatuses": [
                    cs("a", false, 0, terminated(137, 9, "")), cs("b", false, 0, terminated(0, 0, "Completed"))]}),
                row("0/2", "Signal:9", "0"),
            ),
            (
                "exit code without a reason",
                false,
                false,
                none.clone(),
                json!({"phase": "Failed", "containerStatuses": [
                    cs("a", false, 0, terminated(2, 0, "")), cs("b", false, 0, terminated(0, 0, "Completed"))]}),
                row("0/2", "ExitCode:2", "0"),
            ),
            (
                "evicted",
                false,
                false,
                none.clone(),
                json!({"phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory."}),
                row("0/2", "Evicted", "0"),
            ),
            (
                "rejected by the kubelet",
                false,
                false,
                none.clone(),
                json!({"phase": "Failed", "reason": "OutOfcpu"}),
                row("0/2", "OutOfcpu", "0"),
            ),
            (
                "node lost while deleting",
                false,
                false,
                json!({"deletionTimestamp": "2025-04-23T00:01:30Z"}),
                json!({"phase": "Running", "reason": "NodeLost", "containerStatuses": [cs("a", true, 0, running()), cs("b", true, 0, running())]}),
                row("2/2", "Unknown", "0"),
            ),
            (
                "terminating",
                false,
                false,
                json!({"deletionTimestamp": "2025-04-23T00:01:30Z"}),
                json!({"phase": "Running", "containerStatuses": [cs("a", true, 0, running()), cs("b", true, 0, running())]}),
                row("2/2", "Terminating", "0"),
            ),
            (
                "a deleted pod that already failed keeps its status",
                false,
                false,
                json!({"deletionTimestamp": "2025-04-23T00:01:30Z"}),
                json!({"phase": "Failed", "containerStatuses": [
                    cs("a", false, 0, terminated(1, 0, "Error")), cs("b", false, 0, terminated(1, 0, "Error"))]}),
                row("0/2", "Error", "0"),
            ),
            (
                "waiting for its init container",
                true,
                false,
                none.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [cs("init", false, 0, waiting("PodInitializing"))],
                    "containerStatuses": [cs("a", false, 0, waiting("PodInitializing")), cs("b", false, 0, waiting("PodInitializing"))]}),
                row("0/2", "Init:0/1", "0"),
            ),
            (
                "init container failed",
                true,
                false,
                none.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [cs("init", false, 1, terminated(1, 0, "Error"))]}),
                row("0/2", "Init:Error", "1"),
            ),
            (
                "init container killed by a signal",
                true,
                false,
                none.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [cs("init", false, 0, terminated(137, 9, ""))]}),
                row("0/2", "Init:Signal:9", "0"),
            ),
            (
                "init container exit code",
                true,
                false,
                none.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [cs("init", false, 0, terminated(3, 0, ""))]}),
                row("0/2", "Init:ExitCode:3", "0"),
            ),
            (
                "init container crash looping",
                true,
                false,
                none.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [
                    {"name": "init", "image": "x", "imageID": "", "ready": false, "restartCount": 3,
                     "state": waiting("CrashLoopBackOff"), "lastState": terminated(1, 0, "Error")}]}),
                row("0/2", "Init:CrashLoopBackOff", "3 (10s ago)"),
            ),
            (
                "init done, app containers initializing",
                true,
                false,
                none.clone(),
                json!({"phase": "Pending", "conditions": [cond("Initialized", "True")],
                    "initContainerStatuses": [cs("init", true, 0, terminated(0, 0, "Completed"))],
                    "containerStatuses": [cs("a", false, 0, waiting("PodInitializing")), cs("b", false, 0, waiting("PodInitializing"))]}),
                row("0/2", "PodInitializing", "0"),
            ),
            (
                "a started sidecar counts as ready and its restarts count",
                false,
                true,
                none.clone(),
                json!({"phase": "Running", "conditions": [cond("Initialized", "True")],
                    "initContainerStatuses": [
                        {"name": "side", "image": "x", "imageID": "", "ready": true, "started": true, "restartCount": 2,
                         "state": running(), "lastState": terminated(1, 0, "Error")}],
                    "containerStatuses": [cs("a", true, 0, running()), cs("b", true, 1, running())]}),
                row("3/3", "Running", "3 (10s ago)"),
            ),
            (
                "an init container's restarts stop counting once the pod is initialized",
                true,
                false,
                none.clone(),
                json!({"phase": "Running", "conditions": [cond("Initialized", "True")],
                    "initContainerStatuses": [
                        {"name": "init", "image": "x", "imageID": "", "ready": true, "restartCount": 2,
                         "state": terminated(0, 0, "Completed"), "lastState": terminated(1, 0, "Error")}],
                    "containerStatuses": [cs("a", true, 0, running()), cs("b", true, 0, running())]}),
                row("2/2", "Running", "0"),
            ),
        ];
        for (name, init, sidecar, meta, status, want) in cases {
            assert_eq!(cols(init, sidecar, meta, status), want, "{name}");
        }
    }

    #[test]
    fn readiness_gates_are_counted_in_the_wide_column() {
        let p = pod(
            json!({"metadata": {"name": "p"}, "spec": {"readinessGates": [
                {"conditionType": "www.example.com/feature-1"}, {"conditionType": "www.example.com/feature-2"}],
                "containers": [{"name": "c", "image": "nginx"}]},
            "status": {"phase": "Running", "podIPs": [{"ip": "10.244.1.5"}], "conditions": [
                {"type": "www.example.com/feature-1", "status": "True"},
                {"type": "www.example.com/feature-2", "status": "False"},
                {"type": "Ready", "status": "False"}],
              "containerStatuses": [{"name": "c", "image": "nginx", "imageID": "", "ready": true, "restartCount": 0, "state": {"running": {}}}]}}),
        );
        let view = crate::snapshot::PodView::from_pod(&p, SimTime::ZERO);
        assert_eq!(
            (
                view.ready.as_str(),
                view.status.as_str(),
                view.readiness_gates.as_str(),
                view.ip.as_str()
            ),
            ("1/1", "Running", "1/2", "10.244.1.5")
        );
    }
}
