//! `describeContainers`: the `Init Containers:` / `Containers:` blocks — ID, image, ports,
//! command, state and last state, readiness, restarts, resources, probes, environment, mounts.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, ContainerState, ContainerStatus, Pod, ResourceRequirements,
};

use super::env::{describe_env_from, describe_env_vars};
use super::format::{print_bool, quantity, rfc1123z, string_or_none};
use super::probe::describe_probe;
use super::writer::{PrefixWriter, LEVEL_0, LEVEL_1, LEVEL_2, LEVEL_3};

/// Describes `containers` under `label`; `statuses` is `None` for a pod template (no state
/// lines), `pod` resolves `fieldRef` variables, `space` indents a template's blocks.
pub fn describe_containers(
    w: &mut PrefixWriter,
    label: &str,
    containers: &[Container],
    statuses: Option<&[ContainerStatus]>,
    pod: Option<&Pod>,
    space: &str,
) {
    let statuses: BTreeMap<&str, &ContainerStatus> = statuses
        .into_iter()
        .flatten()
        .map(|s| (s.name.as_str(), s))
        .collect();
    let none = if containers.is_empty() { " <none>" } else { "" };
    w.write(LEVEL_0, &format!("{space}{label}:{none}\n"));
    for container in containers {
        let status = statuses.get(container.name.as_str()).copied();
        describe_basic_info(w, container, status, space);
        describe_command(w, container);
        if let Some(status) = status {
            describe_container_state(w, status);
        }
        describe_resources(w, container.resources.as_ref(), LEVEL_2);
        describe_container_probes(w, container);
        if container.env_from.as_ref().is_some_and(|e| !e.is_empty()) {
            describe_env_from(w, container);
        }
        describe_env_vars(w, container, pod);
        describe_container_volumes(w, container);
    }
}

fn ports(ports: &[ContainerPort], host: bool) -> String {
    ports
        .iter()
        .map(|p| {
            let port = if host {
                p.host_port.unwrap_or(0)
            } else {
                p.container_port
            };
            format!("{port}/{}", p.protocol.as_deref().unwrap_or(""))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `describeContainerBasicInfo`.
fn describe_basic_info(
    w: &mut PrefixWriter,
    c: &Container,
    status: Option<&ContainerStatus>,
    space: &str,
) {
    let name_indent = if space.is_empty() { "" } else { " " };
    w.write(LEVEL_1, &format!("{name_indent}{}:\n", c.name));
    if let Some(s) = status {
        w.write(
            LEVEL_2,
            &format!(
                "Container ID:\t{}\n",
                s.container_id.as_deref().unwrap_or("")
            ),
        );
    }
    w.write(
        LEVEL_2,
        &format!("Image:\t{}\n", c.image.as_deref().unwrap_or("")),
    );
    if let Some(s) = status {
        w.write(LEVEL_2, &format!("Image ID:\t{}\n", s.image_id));
    }
    let list = c.ports.clone().unwrap_or_default();
    let port = ports(&list, false);
    if port.contains(',') {
        w.write(LEVEL_2, &format!("Ports:\t{port}\n"));
    } else {
        w.write(LEVEL_2, &format!("Port:\t{}\n", string_or_none(&port)));
    }
    let host_port = ports(&list, true);
    if host_port.contains(',') {
        w.write(LEVEL_2, &format!("Host Ports:\t{host_port}\n"));
    } else {
        w.write(
            LEVEL_2,
            &format!("Host Port:\t{}\n", string_or_none(&host_port)),
        );
    }
    if let Some(p) = c
        .security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
    {
        w.write(LEVEL_2, &format!("SeccompProfile:\t{}\n", p.type_));
        if p.type_ == "Localhost" {
            w.write(
                LEVEL_3,
                &format!(
                    "LocalhostProfile:\t{}\n",
                    p.localhost_profile.as_deref().unwrap_or("")
                ),
            );
        }
    }
}

/// `describeContainerCommand`: one line per argument line.
fn describe_command(w: &mut PrefixWriter, c: &Container) {
    for (title, list) in [("Command", &c.command), ("Args", &c.args)] {
        let list = list.clone().unwrap_or_default();
        if list.is_empty() {
            continue;
        }
        w.write(LEVEL_2, &format!("{title}:\n"));
        for item in &list {
            for line in item.split('\n') {
                w.write(LEVEL_3, &format!("{line}\n"));
            }
        }
    }
}

/// `describeResources`: `Limits:` and `Requests:`, names sorted.
pub fn describe_resources(w: &mut PrefixWriter, r: Option<&ResourceRequirements>, level: usize) {
    let Some(r) = r else { return };
    for (title, list) in [("Limits", &r.limits), ("Requests", &r.requests)] {
        let Some(list) = list.as_ref().filter(|l| !l.is_empty()) else {
            continue;
        };
        w.write(level, &format!("{title}:\n"));
        for (name, q) in list {
            w.write(level + 1, &format!("{name}:\t{}\n", quantity(q)));
        }
    }
}

/// `describeStatus`: a state's kind and its details.
fn describe_status(w: &mut PrefixWriter, name: &str, state: Option<&ContainerState>) {
    let state = state.cloned().unwrap_or_default();
    if let Some(r) = &state.running {
        w.write(LEVEL_2, &format!("{name}:\tRunning\n"));
        w.write(
            LEVEL_3,
            &format!("Started:\t{}\n", rfc1123z(r.started_at.as_ref())),
        );
    } else if let Some(wt) = &state.waiting {
        w.write(LEVEL_2, &format!("{name}:\tWaiting\n"));
        if let Some(reason) = wt.reason.as_deref().filter(|r| !r.is_empty()) {
            w.write(LEVEL_3, &format!("Reason:\t{reason}\n"));
        }
    } else if let Some(t) = &state.terminated {
        w.write(LEVEL_2, &format!("{name}:\tTerminated\n"));
        if let Some(reason) = t.reason.as_deref().filter(|r| !r.is_empty()) {
            w.write(LEVEL_3, &format!("Reason:\t{reason}\n"));
        }
        if let Some(message) = t.message.as_deref().filter(|m| !m.is_empty()) {
            w.write(LEVEL_3, &format!("Message:\t{message}\n"));
        }
        w.write(LEVEL_3, &format!("Exit Code:\t{}\n", t.exit_code));
        if let Some(signal) = t.signal.filter(|s| *s > 0) {
            w.write(LEVEL_3, &format!("Signal:\t{signal}\n"));
        }
        w.write(
            LEVEL_3,
            &format!("Started:\t{}\n", rfc1123z(t.started_at.as_ref())),
        );
        w.write(
            LEVEL_3,
            &format!("Finished:\t{}\n", rfc1123z(t.finished_at.as_ref())),
        );
    } else {
        w.write(LEVEL_2, &format!("{name}:\tWaiting\n"));
    }
}

/// `describeContainerState`: State, Last State (when it terminated), Ready, Restart Count.
fn describe_container_state(w: &mut PrefixWriter, s: &ContainerStatus) {
    describe_status(w, "State", s.state.as_ref());
    if let Some(last) = s.last_state.as_ref().filter(|l| l.terminated.is_some()) {
        describe_status(w, "Last State", Some(last));
    }
    w.write(LEVEL_2, &format!("Ready:\t{}\n", print_bool(s.ready)));
    w.write(LEVEL_2, &format!("Restart Count:\t{}\n", s.restart_count));
}

/// `describeContainerProbe`.
fn describe_container_probes(w: &mut PrefixWriter, c: &Container) {
    for (title, probe) in [
        ("Liveness", &c.liveness_probe),
        ("Readiness", &c.readiness_probe),
        ("Startup", &c.startup_probe),
    ] {
        if let Some(p) = probe {
            w.write(LEVEL_2, &format!("{title}:\t{}\n", describe_probe(p)));
        }
    }
}

/// Go's `%q` for a plain string.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `describeContainerVolumes`: mounts sorted by path with `ro`/`rw` and a sub-path, then
/// block devices.
fn describe_container_volumes(w: &mut PrefixWriter, c: &Container) {
    let mut mounts = c.volume_mounts.clone().unwrap_or_default();
    let none = if mounts.is_empty() { "\t<none>" } else { "" };
    w.write(LEVEL_2, &format!("Mounts:{none}\n"));
    mounts.sort_by(|a, b| a.mount_path.cmp(&b.mount_path));
    for m in &mounts {
        let mut flags = vec![if m.read_only == Some(true) {
            "ro"
        } else {
            "rw"
        }
        .to_string()];
        if let Some(sub) = m.sub_path.as_deref().filter(|s| !s.is_empty()) {
            flags.push(format!("path={}", go_quote(sub)));
        }
        w.write(
            LEVEL_3,
            &format!("{} from {} ({})\n", m.mount_path, m.name, flags.join(",")),
        );
    }
    let mut devices = c.volume_devices.clone().unwrap_or_default();
    if !devices.is_empty() {
        w.write(LEVEL_2, &format!("Devices:{none}\n"));
        devices.sort_by(|a, b| a.device_path.cmp(&b.device_path));
        for d in &devices {
            w.write(LEVEL_3, &format!("{} from {}\n", d.device_path, d.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn describe(c: serde_json::Value, s: Option<serde_json::Value>) -> String {
        let c: Container = serde_json::from_value(c).unwrap();
        let s: Option<Vec<ContainerStatus>> = s.map(|s| serde_json::from_value(s).unwrap());
        let mut w = PrefixWriter::new();
        describe_containers(
            &mut w,
            "Containers",
            std::slice::from_ref(&c),
            s.as_deref(),
            None,
            "",
        );
        w.finish()
    }

    #[test]
    fn a_restarted_container_shows_its_last_state_and_count() {
        let out = describe(
            serde_json::json!({
                "name": "liveness", "image": "k8s.gcr.io/busybox",
                "args": ["/bin/sh", "-c", "touch /tmp/healthy; sleep 30"],
                "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 53, "hostPort": 53, "protocol": "UDP"}],
                "resources": {"limits": {"memory": "200Mi", "cpu": "1"}, "requests": {"memory": "100Mi"}},
                "volumeMounts": [
                    {"name": "kube-api-access-x", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true},
                    {"name": "data", "mountPath": "/data", "subPath": "a b"}
                ]
            }),
            Some(serde_json::json!([{
                "name": "liveness", "image": "k8s.gcr.io/busybox:latest",
                "imageID": "k8s.gcr.io/busybox@sha256:abc", "containerID": "containerd://123",
                "ready": false, "restartCount": 2,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 20s"}},
                "lastState": {"terminated": {"exitCode": 137, "signal": 9, "reason": "Error",
                    "startedAt": "2025-04-23T00:00:01Z", "finishedAt": "2025-04-23T00:01:15Z"}}
            }])),
        );
        assert_eq!(
            out,
            "Containers:\n\
             \x20 liveness:\n\
             \x20   Container ID:  containerd://123\n\
             \x20   Image:         k8s.gcr.io/busybox\n\
             \x20   Image ID:      k8s.gcr.io/busybox@sha256:abc\n\
             \x20   Ports:         80/TCP, 53/UDP\n\
             \x20   Host Ports:    0/TCP, 53/UDP\n\
             \x20   Args:\n\
             \x20     /bin/sh\n\
             \x20     -c\n\
             \x20     touch /tmp/healthy; sleep 30\n\
             \x20   State:          Waiting\n\
             \x20     Reason:       CrashLoopBackOff\n\
             \x20   Last State:     Terminated\n\
             \x20     Reason:       Error\n\
             \x20     Exit Code:    137\n\
             \x20     Signal:       9\n\
             \x20     Started:      Wed, 23 Apr 2025 00:00:01 +0000\n\
             \x20     Finished:     Wed, 23 Apr 2025 00:01:15 +0000\n\
             \x20   Ready:          False\n\
             \x20   Restart Count:  2\n\
             \x20   Limits:\n\
             \x20     cpu:     1\n\
             \x20     memory:  200Mi\n\
             \x20   Requests:\n\
             \x20     memory:     100Mi\n\
             \x20   Environment:  <none>\n\
             \x20   Mounts:\n\
             \x20     /data from data (rw,path=\"a b\")\n\
             \x20     /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-x (ro)\n"
        );
    }

    #[test]
    fn a_template_container_has_no_state_and_says_none() {
        let out = describe(
            serde_json::json!({"name": "nginx", "image": "nginx:1.14.2"}),
            None,
        );
        assert_eq!(
            out,
            "Containers:\n\
             \x20 nginx:\n\
             \x20   Image:        nginx:1.14.2\n\
             \x20   Port:         <none>\n\
             \x20   Host Port:    <none>\n\
             \x20   Environment:  <none>\n\
             \x20   Mounts:       <none>\n"
        );
    }
}
