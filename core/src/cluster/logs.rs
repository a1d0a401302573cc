//! `kubectl logs`: kubectl picks the container (`Defaulted container …`), the API server
//! finds the pod's node, and that node's kubelet checks the container's status
//! (`validateContainerLogStatus`) before streaming the log its runtime kept.

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

use super::Cluster;
use crate::object::Object;

/// What `kubectl logs` printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsOutput {
    /// Whether it succeeded (exit status 0).
    pub ok: bool,
    /// The log, one line per line written.
    pub stdout: String,
    /// Notices and errors: `Defaulted container "x" out of: x, y (init)`, `Error from server …`.
    pub stderr: String,
}

impl LogsOutput {
    fn error(stderr: String, message: String) -> LogsOutput {
        LogsOutput {
            ok: false,
            stdout: String::new(),
            stderr: format!("{stderr}{message}\n"),
        }
    }
}

impl Cluster {
    /// `kubectl logs <pod> [-c <container>] [--previous] [-n <namespace>]`.
    pub fn logs(
        &self,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
        previous: bool,
    ) -> LogsOutput {
        let Some(obj) = self.api.get("Pod", namespace, pod) else {
            return LogsOutput::error(
                String::new(),
                format!("Error from server (NotFound): pods \"{pod}\" not found"),
            );
        };
        let Object::Pod(p) = &*obj else {
            return LogsOutput::error(String::new(), format!("error: {pod} is not a pod"));
        };
        let mut stderr = String::new();
        let container = match container {
            Some(c) => c.to_string(),
            None => match default_container(p, &mut stderr) {
                Ok(c) => c,
                Err(e) => return LogsOutput::error(stderr, e),
            },
        };
        let spec = p.spec.clone().unwrap_or_default();
        let known = spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
            .any(|c| c.name == container);
        if !known {
            return LogsOutput::error(
                stderr,
                format!("Error from server (BadRequest): container {container} is not valid for pod {pod}"),
            );
        }
        // An unscheduled pod has no node to ask: the API server streams nothing.
        let Some(node) = spec.node_name.filter(|n| !n.is_empty()) else {
            return LogsOutput {
                ok: true,
                stdout: String::new(),
                stderr,
            };
        };
        if let Err(e) = validate_container_log_status(p, &container, previous) {
            return LogsOutput::error(stderr, format!("Error from server (BadRequest): {e}"));
        }
        // The API server proxies to the kubelet: a stopped one refuses, a cut-off one never
        // answers.
        let cause = if self.failed_nodes.contains(&node) {
            Some("connect: connection refused")
        } else if self.partitioned_nodes.contains(&node) {
            Some("i/o timeout")
        } else {
            None
        };
        if let Some(cause) = cause {
            let ip = self.node_internal_ip(&node);
            return LogsOutput::error(
                stderr,
                format!(
                    "Error from server: Get \"https://{ip}:10250/containerLogs/{namespace}/{pod}/{container}\": dial tcp {ip}:10250: {cause}"
                ),
            );
        }
        let uid = p.metadata.uid.clone().unwrap_or_default();
        let lines = self
            .components
            .iter()
            .filter(|c| c.node() == Some(node.as_str()))
            .find_map(|c| c.container_logs(&uid, &container, previous))
            .unwrap_or_default();
        let mut stdout = String::new();
        for line in lines {
            stdout.push_str(&line);
            stdout.push('\n');
        }
        LogsOutput {
            ok: true,
            stdout,
            stderr,
        }
    }

    fn node_internal_ip(&self, node: &str) -> String {
        match self.api.get("Node", "", node).as_deref() {
            Some(Object::Node(n)) => n
                .status
                .as_ref()
                .and_then(|s| s.addresses.as_ref())
                .and_then(|a| a.iter().find(|a| a.type_ == "InternalIP"))
                .map(|a| a.address.clone())
                .unwrap_or_default(),
            _ => String::new(),
        }
    }
}

/// kubectl's `FindOrDefaultContainerByName` without a name: the
/// `kubectl.kubernetes.io/default-container` annotation, else the first container, with a
/// notice when the pod has more than one.
fn default_container(pod: &Pod, stderr: &mut String) -> Result<String, String> {
    let spec = pod.spec.clone().unwrap_or_default();
    let Some(first) = spec.containers.first() else {
        return Err(format!(
            "error: pod {}/{} does not have any containers",
            pod.metadata.namespace.as_deref().unwrap_or_default(),
            pod.metadata.name.as_deref().unwrap_or_default()
        ));
    };
    if let Some(name) = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("kubectl.kubernetes.io/default-container"))
        .filter(|n| {
            spec.containers
                .iter()
                .chain(spec.init_containers.iter().flatten())
                .any(|c| &c.name == *n)
        })
    {
        return Ok(name.clone());
    }
    let inits = spec.init_containers.clone().unwrap_or_default();
    if spec.containers.len() > 1 || !inits.is_empty() {
        let mut all: Vec<String> = spec.containers.iter().map(|c| c.name.clone()).collect();
        all.extend(inits.iter().map(|c| format!("{} (init)", c.name)));
        stderr.push_str(&format!(
            "Defaulted container \"{}\" out of: {}\n",
            first.name,
            all.join(", ")
        ));
    }
    Ok(first.name.clone())
}

/// The kubelet's `validateContainerLogStatus`: which container's log may be read, or why not.
fn validate_container_log_status(pod: &Pod, container: &str, previous: bool) -> Result<(), String> {
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    let status = pod.status.clone().unwrap_or_default();
    let find = |list: &Option<Vec<ContainerStatus>>| {
        list.iter().flatten().find(|s| s.name == container).cloned()
    };
    let Some(cs) =
        find(&status.container_statuses).or_else(|| find(&status.init_container_statuses))
    else {
        return Err(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating"
        ));
    };
    let state = cs.state.clone().unwrap_or_default();
    let last = cs.last_state.as_ref().and_then(|s| s.terminated.clone());
    let has_id = |t: &k8s_openapi::api::core::v1::ContainerStateTerminated| {
        t.container_id.as_deref().is_some_and(|i| !i.is_empty())
    };
    if previous {
        return match last {
            Some(t) if has_id(&t) => Ok(()),
            _ => Err(format!(
                "previous terminated container \"{container}\" in pod \"{name}\" not found"
            )),
        };
    }
    if state.running.is_some() {
        return Ok(());
    }
    if let Some(t) = &state.terminated {
        return if has_id(t) || last.as_ref().is_some_and(has_id) {
            Ok(())
        } else {
            Err(format!(
                "container \"{container}\" in pod \"{name}\" is terminated"
            ))
        };
    }
    if let Some(t) = &last {
        return if has_id(t) {
            Ok(())
        } else {
            Err(format!(
                "container \"{container}\" in pod \"{name}\" is terminated"
            ))
        };
    }
    match state.waiting.and_then(|w| w.reason) {
        Some(r) if r == "ErrImagePull" => Err(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: image can't be pulled"
        )),
        Some(r) if r == "ImagePullBackOff" => Err(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: trying and failing to pull image"
        )),
        Some(r) => Err(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: {r}"
        )),
        None => Err(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start - no logs yet"
        )),
    }
}
