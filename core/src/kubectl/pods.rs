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

/// Computes the columns as `printPod` does.
pub fn pod_columns(pod: &Pod, now: SimTime) -> PodColumns {
    let spec = pod.spec.clone().unwrap_or_default();
    let status = pod.status.clone().unwrap_or_default();
    let init_statuses: Vec<ContainerStatus> =
        status.init_container_statuses.clone().unwrap_or_default();
    let statuses: Vec<ContainerStatus> = status.container_statuses.clone().unwrap_or_default();
    let sidecars = spec
        .init_containers
        .as_ref()
        .map(|ics| {
            ics.iter()
                .filter(|c| c.restart_policy.as_deref() == Some("Always"))
                .count()
        })
        .unwrap_or(0);
    let total = spec.containers.len() + sidecars;
    let mut ready = 0;
    let mut restarts: i32 = 0;
    let mut last_restart: Option<SimTime> = None;
    let mut note_restart = |cs: &ContainerStatus, restarts: &mut i32| {
        *restarts += cs.restart_count;
        if let Some(t) = cs
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.finished_at.as_ref())
        {
            let t = SimTime::from_k8s_time(t);
            if last_restart.is_none_or(|l| t > l) {
                last_restart = Some(t);
            }
        }
    };

    let mut reason = status.phase.clone().unwrap_or_default();
    if let Some(r) = status.reason.clone().filter(|r| !r.is_empty()) {
        reason = r;
    }
    let conditions = status.conditions.clone().unwrap_or_default();
    if conditions
        .iter()
        .any(|c| c.type_ == "PodScheduled" && c.reason.as_deref() == Some("SchedulingGated"))
    {
        reason = "SchedulingGated".into();
    }

    let init_count = spec.init_containers.as_ref().map(Vec::len).unwrap_or(0);
    let mut initializing = false;
    for (i, cs) in init_statuses.iter().enumerate() {
        note_restart(cs, &mut restarts);
        let sidecar = is_sidecar(pod, &cs.name);
        let state = cs.state.clone().unwrap_or_default();
        if let Some(t) = &state.terminated {
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
        if let Some(t) = &state.terminated {
            reason = match t.reason.as_deref().filter(|r| !r.is_empty()) {
                Some(r) => format!("Init:{r}"),
                None if t.signal.unwrap_or(0) != 0 => {
                    format!("Init:Signal:{}", t.signal.unwrap_or(0))
                }
                None => format!("Init:ExitCode:{}", t.exit_code),
            };
        } else if let Some(r) = state
            .waiting
            .as_ref()
            .and_then(|w| w.reason.clone())
            .filter(|r| !r.is_empty() && r != "PodInitializing")
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
        restarts = 0;
        for cs in &init_statuses {
            if is_sidecar(pod, &cs.name) {
                note_restart(cs, &mut restarts);
            }
        }
        let mut has_running = false;
        for cs in statuses.iter().rev() {
            note_restart(cs, &mut restarts);
            let state = cs.state.clone().unwrap_or_default();
            if let Some(r) = state
                .waiting
                .as_ref()
                .and_then(|w| w.reason.clone())
                .filter(|r| !r.is_empty())
            {
                reason = r;
            } else if let Some(t) = &state.terminated {
                reason = match t.reason.as_deref().filter(|r| !r.is_empty()) {
                    Some(r) => r.to_string(),
                    None if t.signal.unwrap_or(0) != 0 => {
                        format!("Signal:{}", t.signal.unwrap_or(0))
                    }
                    None => format!("ExitCode:{}", t.exit_code),
                };
            } else if state.running.is_some() && cs.ready {
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
        if status.reason.as_deref() == Some("NodeLost") {
            reason = "Unknown".into();
        } else if !matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
            reason = "Terminating".into();
        }
    }

    let restarts = match last_restart {
        Some(t) if restarts > 0 => format!("{restarts} ({} ago)", human_duration(now.since(t))),
        _ => restarts.to_string(),
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
}
