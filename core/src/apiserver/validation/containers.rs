//! One container's rules (`validateContainerCommon`, probes, ports, env, mounts) and the lists
//! of regular and init containers with their shared name set.

use super::names::{
    inclusive_range_error, is_dns1123_label, is_env_var_name, is_valid_port_name, is_valid_port_num,
};
use super::resources::validate_resource_requirements;
use super::under;
use crate::apiserver::errors::{go_quote, FieldError};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, HTTPGetAction, LifecycleHandler, Probe, SecurityContext,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeSet;

/// Names of the volumes that validated, which mounts may refer to.
pub type VolumeNames = BTreeSet<String>;

/// DNS-1123 label errors for a name at a path.
pub fn dns1123_label(name: &str, path: &str) -> Vec<FieldError> {
    is_dns1123_label(name)
        .into_iter()
        .map(|m| FieldError::invalid(path, go_quote(name), m))
        .collect()
}

/// `validateContainerCommon`.
pub fn validate_container_common(c: &Container, vols: &VolumeNames, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if c.name.is_empty() {
        errs.push(FieldError::required(format!("{path}.name"), ""));
    } else {
        errs.extend(under(
            || format!("{path}.name"),
            |at| dns1123_label(&c.name, at),
        ));
    }
    if c.image.as_deref().unwrap_or("").is_empty() {
        errs.push(FieldError::required(format!("{path}.image"), ""));
    }
    match c.termination_message_policy.as_deref().unwrap_or("") {
        "File" | "FallbackToLogsOnError" => {}
        "" => errs.push(FieldError::required(
            format!("{path}.terminationMessagePolicy"),
            "",
        )),
        other => errs.push(FieldError::not_supported(
            format!("{path}.terminationMessagePolicy"),
            other,
            &["File", "FallbackToLogsOnError"],
        )),
    }
    errs.extend(under(
        || format!("{path}.ports"),
        |at| validate_ports(c.ports.as_deref().unwrap_or(&[]), at),
    ));
    errs.extend(under(
        || format!("{path}.env"),
        |at| validate_env(c.env.as_deref().unwrap_or(&[]), at),
    ));
    errs.extend(under(
        || format!("{path}.volumeMounts"),
        |at| validate_volume_mounts(c, vols, at),
    ));
    match c.image_pull_policy.as_deref().unwrap_or("") {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => errs.push(FieldError::required(format!("{path}.imagePullPolicy"), "")),
        other => errs.push(FieldError::not_supported(
            format!("{path}.imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    errs.extend(under(
        || format!("{path}.resources"),
        |at| validate_resource_requirements(c.resources.as_ref(), at),
    ));
    errs.extend(under(
        || format!("{path}.securityContext"),
        |at| validate_security_context(c.security_context.as_ref(), at),
    ));
    errs
}

fn validate_ports(ports: &[ContainerPort], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let ip = format!("{path}[{i}]");
        if let Some(name) = p.name.as_deref().filter(|n| !n.is_empty()) {
            let msgs = is_valid_port_name(name);
            if !msgs.is_empty() {
                for m in msgs {
                    errs.push(FieldError::invalid(format!("{ip}.name"), go_quote(name), m));
                }
            } else if !names.insert(name.to_string()) {
                errs.push(FieldError::duplicate(format!("{ip}.name"), go_quote(name)));
            }
        }
        if p.container_port == 0 {
            errs.push(FieldError::required(format!("{ip}.containerPort"), ""));
        } else {
            for m in is_valid_port_num(p.container_port.into()) {
                errs.push(FieldError::invalid(
                    format!("{ip}.containerPort"),
                    p.container_port.to_string(),
                    m,
                ));
            }
        }
        if let Some(hp) = p.host_port.filter(|&h| h != 0) {
            for m in is_valid_port_num(hp.into()) {
                errs.push(FieldError::invalid(
                    format!("{ip}.hostPort"),
                    hp.to_string(),
                    m,
                ));
            }
        }
        match p.protocol.as_deref().unwrap_or("") {
            "" => errs.push(FieldError::required(format!("{ip}.protocol"), "")),
            "TCP" | "UDP" | "SCTP" => {}
            other => errs.push(FieldError::not_supported(
                format!("{ip}.protocol"),
                other,
                &["SCTP", "TCP", "UDP"],
            )),
        }
    }
    errs
}

fn validate_env(vars: &[EnvVar], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, ev) in vars.iter().enumerate() {
        let ip = format!("{path}[{i}]");
        if ev.name.is_empty() {
            errs.push(FieldError::required(format!("{ip}.name"), ""));
        } else {
            for m in is_env_var_name(&ev.name) {
                errs.push(FieldError::invalid(
                    format!("{ip}.name"),
                    go_quote(&ev.name),
                    m,
                ));
            }
        }
        let Some(from) = ev.value_from.as_ref() else {
            continue;
        };
        let fp = format!("{ip}.valueFrom");
        let sources = usize::from(from.field_ref.is_some())
            + usize::from(from.resource_field_ref.is_some())
            + usize::from(from.config_map_key_ref.is_some())
            + usize::from(from.secret_key_ref.is_some());
        if let Some(f) = from.field_ref.as_ref() {
            if f.api_version.as_deref().unwrap_or("").is_empty() {
                errs.push(FieldError::required(
                    format!("{fp}.fieldRef.apiVersion"),
                    "",
                ));
            } else if f.field_path.is_empty() {
                errs.push(FieldError::required(format!("{fp}.fieldRef.fieldPath"), ""));
            } else {
                const SUPPORTED: &[&str] = &[
                    "metadata.name",
                    "metadata.namespace",
                    "metadata.uid",
                    "spec.nodeName",
                    "spec.serviceAccountName",
                    "status.hostIP",
                    "status.hostIPs",
                    "status.podIP",
                    "status.podIPs",
                ];
                let fp_path = f.field_path.as_str();
                let subscripted = fp_path.starts_with("metadata.labels[")
                    || fp_path.starts_with("metadata.annotations[");
                if !subscripted && !SUPPORTED.contains(&fp_path) {
                    errs.push(FieldError::not_supported(
                        format!("{fp}.fieldRef.fieldPath"),
                        fp_path,
                        SUPPORTED,
                    ));
                }
            }
        }
        for (key_ref, child) in [
            (
                from.config_map_key_ref.as_ref().map(|r| r.key.as_str()),
                "configMapKeyRef",
            ),
            (
                from.secret_key_ref.as_ref().map(|r| r.key.as_str()),
                "secretKeyRef",
            ),
        ] {
            if key_ref == Some("") {
                errs.push(FieldError::required(format!("{fp}.{child}.key"), ""));
            }
        }
        if sources == 0 {
            errs.push(FieldError::invalid(
                &fp,
                "\"\"",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            ));
        } else if !ev.value.as_deref().unwrap_or("").is_empty() {
            errs.push(FieldError::invalid(
                &fp,
                "\"\"",
                "may not be specified when `value` is not empty",
            ));
        } else if sources > 1 {
            errs.push(FieldError::invalid(
                &fp,
                "\"\"",
                "may not have more than one field specified at a time",
            ));
        }
    }
    errs
}

fn validate_volume_mounts(c: &Container, vols: &VolumeNames, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut mount_points = BTreeSet::new();
    for (i, m) in c.volume_mounts.iter().flatten().enumerate() {
        let ip = format!("{path}[{i}]");
        if m.name.is_empty() {
            errs.push(FieldError::required(format!("{ip}.name"), ""));
        }
        if !vols.contains(&m.name) {
            errs.push(FieldError::not_found(
                format!("{ip}.name"),
                go_quote(&m.name),
            ));
        }
        if m.mount_path.is_empty() {
            errs.push(FieldError::required(format!("{ip}.mountPath"), ""));
        }
        if !mount_points.insert(m.mount_path.clone()) {
            errs.push(FieldError::invalid(
                format!("{ip}.mountPath"),
                go_quote(&m.mount_path),
                "must be unique",
            ));
        }
        if let Some(sp) = m.sub_path.as_deref().filter(|s| !s.is_empty()) {
            errs.extend(under(
                || format!("{path}.subPath"),
                |at| validate_local_descending_path(sp, at),
            ));
        }
    }
    errs
}

fn validate_local_descending_path(p: &str, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if p.starts_with('/') {
        errs.push(FieldError::invalid(
            path,
            go_quote(p),
            "must be a relative path",
        ));
    }
    if p.split('/').any(|seg| seg == "..") {
        errs.push(FieldError::invalid(
            path,
            go_quote(p),
            "must not contain '..'",
        ));
    }
    errs
}

fn validate_security_context(sc: Option<&SecurityContext>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(sc) = sc else {
        return errs;
    };
    for (v, field) in [
        (sc.run_as_user, "runAsUser"),
        (sc.run_as_group, "runAsGroup"),
    ] {
        if let Some(v) = v {
            if !(0..=i64::from(i32::MAX)).contains(&v) {
                errs.push(FieldError::invalid(
                    format!("{path}.{field}"),
                    v.to_string(),
                    inclusive_range_error(0, i32::MAX.into()),
                ));
            }
        }
    }
    if sc.allow_privilege_escalation == Some(false) && sc.privileged == Some(true) {
        errs.push(FieldError::invalid(
            path,
            "core.SecurityContext{…}",
            "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
        ));
    }
    errs
}

fn validate_port_num_or_name(port: &IntOrString, path: &str) -> Vec<FieldError> {
    match port {
        IntOrString::Int(i) => is_valid_port_num((*i).into())
            .into_iter()
            .map(|m| FieldError::invalid(path, i.to_string(), m))
            .collect(),
        IntOrString::String(s) => is_valid_port_name(s)
            .into_iter()
            .map(|m| FieldError::invalid(path, go_quote(s), m))
            .collect(),
    }
}

fn validate_http_get(h: &HTTPGetAction, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if h.path.as_deref().unwrap_or("").is_empty() {
        errs.push(FieldError::required(format!("{path}.path"), ""));
    }
    errs.extend(under(
        || format!("{path}.port"),
        |at| validate_port_num_or_name(&h.port, at),
    ));
    let scheme = h.scheme.as_deref().unwrap_or("");
    if scheme != "HTTP" && scheme != "HTTPS" {
        errs.push(FieldError::not_supported(
            format!("{path}.scheme"),
            scheme,
            &["HTTP", "HTTPS"],
        ));
    }
    errs
}

/// The handler kinds a probe or lifecycle hook may carry, in upstream's checking order.
struct Handler<'a> {
    exec: Option<&'a [String]>,
    http_get: Option<&'a HTTPGetAction>,
    tcp_port: Option<&'a IntOrString>,
    grpc_port: Option<i32>,
    sleep: Option<i64>,
}

fn validate_handler(h: Handler<'_>, grace: Option<i64>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut n = 0;
    let mut take = |kind: &str, errs: &mut Vec<FieldError>| -> bool {
        if n > 0 {
            errs.push(FieldError::forbidden(
                format!("{path}.{kind}"),
                "may not specify more than 1 handler type",
            ));
            false
        } else {
            n += 1;
            true
        }
    };
    if let Some(cmd) = h.exec {
        if take("exec", &mut errs) && cmd.is_empty() {
            errs.push(FieldError::required(format!("{path}.exec.command"), ""));
        }
    }
    if let Some(g) = h.http_get {
        if take("httpGet", &mut errs) {
            errs.extend(under(
                || format!("{path}.httpGet"),
                |at| validate_http_get(g, at),
            ));
        }
    }
    if let Some(p) = h.tcp_port {
        if take("tcpSocket", &mut errs) {
            errs.extend(under(
                || format!("{path}.tcpSocket.port"),
                |at| validate_port_num_or_name(p, at),
            ));
        }
    }
    if let Some(p) = h.grpc_port {
        if take("grpc", &mut errs) {
            errs.extend(under(
                || format!("{path}.grpc.port"),
                |at| validate_port_num_or_name(&IntOrString::Int(p), at),
            ));
        }
    }
    if let Some(s) = h.sleep {
        if take("sleep", &mut errs) {
            if let Some(g) = grace {
                if s < 0 || s > g {
                    errs.push(FieldError::invalid(
                        format!("{path}.sleep"),
                        s.to_string(),
                        format!("must be non-negative and less than terminationGracePeriodSeconds ({g})"),
                    ));
                }
            }
        }
    }
    if n == 0 {
        errs.push(FieldError::required(path, "must specify a handler type"));
    }
    errs
}

fn nonnegative(v: Option<i32>, path: String, errs: &mut Vec<FieldError>) {
    if let Some(v) = v.filter(|v| *v < 0) {
        errs.push(FieldError::invalid(
            path,
            v.to_string(),
            "must be greater than or equal to 0",
        ));
    }
}

/// Which probe, for its extra rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

fn validate_probe(
    p: Option<&Probe>,
    kind: ProbeKind,
    grace: Option<i64>,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(p) = p else {
        return errs;
    };
    errs.extend(validate_handler(
        Handler {
            exec: p.exec.as_ref().map(|e| e.command.as_deref().unwrap_or(&[])),
            http_get: p.http_get.as_ref(),
            tcp_port: p.tcp_socket.as_ref().map(|t| &t.port),
            grpc_port: p.grpc.as_ref().map(|g| g.port),
            sleep: None,
        },
        grace,
        path,
    ));
    nonnegative(
        p.initial_delay_seconds,
        format!("{path}.initialDelaySeconds"),
        &mut errs,
    );
    nonnegative(
        p.timeout_seconds,
        format!("{path}.timeoutSeconds"),
        &mut errs,
    );
    nonnegative(p.period_seconds, format!("{path}.periodSeconds"), &mut errs);
    nonnegative(
        p.success_threshold,
        format!("{path}.successThreshold"),
        &mut errs,
    );
    nonnegative(
        p.failure_threshold,
        format!("{path}.failureThreshold"),
        &mut errs,
    );
    if let Some(t) = p.termination_grace_period_seconds.filter(|t| *t <= 0) {
        errs.push(FieldError::invalid(
            format!("{path}.terminationGracePeriodSeconds"),
            t.to_string(),
            "must be greater than 0",
        ));
    }
    match kind {
        ProbeKind::Liveness | ProbeKind::Startup => {
            let st = p.success_threshold.unwrap_or(0);
            if st != 1 {
                errs.push(FieldError::invalid(
                    format!("{path}.successThreshold"),
                    st.to_string(),
                    "must be 1",
                ));
            }
        }
        ProbeKind::Readiness => {
            if let Some(t) = p.termination_grace_period_seconds {
                errs.push(FieldError::invalid(
                    format!("{path}.terminationGracePeriodSeconds"),
                    t.to_string(),
                    "must not be set for readinessProbes",
                ));
            }
        }
    }
    errs
}

fn lifecycle_handler(h: &LifecycleHandler) -> Handler<'_> {
    Handler {
        exec: h.exec.as_ref().map(|e| e.command.as_deref().unwrap_or(&[])),
        http_get: h.http_get.as_ref(),
        tcp_port: h.tcp_socket.as_ref().map(|t| &t.port),
        grpc_port: None,
        sleep: h.sleep.as_ref().map(|s| s.seconds),
    }
}

fn validate_lifecycle_and_probes(c: &Container, grace: Option<i64>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(lc) = c.lifecycle.as_ref() {
        if let Some(h) = lc.post_start.as_ref() {
            errs.extend(under(
                || format!("{path}.lifecycle.postStart"),
                |at| validate_handler(lifecycle_handler(h), grace, at),
            ));
        }
        if let Some(h) = lc.pre_stop.as_ref() {
            errs.extend(under(
                || format!("{path}.lifecycle.preStop"),
                |at| validate_handler(lifecycle_handler(h), grace, at),
            ));
        }
    }
    errs.extend(under(
        || format!("{path}.livenessProbe"),
        |at| validate_probe(c.liveness_probe.as_ref(), ProbeKind::Liveness, grace, at),
    ));
    errs.extend(under(
        || format!("{path}.readinessProbe"),
        |at| validate_probe(c.readiness_probe.as_ref(), ProbeKind::Readiness, grace, at),
    ));
    errs.extend(under(
        || format!("{path}.startupProbe"),
        |at| validate_probe(c.startup_probe.as_ref(), ProbeKind::Startup, grace, at),
    ));
    errs
}

fn host_port_conflicts(containers: &[&Container], path: &str) -> Vec<FieldError> {
    let mut seen = BTreeSet::new();
    let mut errs = Vec::new();
    for (ci, c) in containers.iter().enumerate() {
        for (pi, p) in c.ports.iter().flatten().enumerate() {
            let hp = p.host_port.unwrap_or(0);
            if hp == 0 {
                continue;
            }
            let key = format!(
                "{}/{}/{hp}",
                p.protocol.as_deref().unwrap_or(""),
                p.host_ip.as_deref().unwrap_or("")
            );
            if !seen.insert(key.clone()) {
                errs.push(FieldError::duplicate(
                    format!("{path}[{ci}].ports[{pi}].hostPort"),
                    go_quote(&key),
                ));
            }
        }
    }
    errs
}

/// `validateContainers`: the regular containers.
pub fn validate_containers(
    cs: &[Container],
    vols: &VolumeNames,
    grace: Option<i64>,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if cs.is_empty() {
        errs.push(FieldError::required(path, ""));
        return errs;
    }
    let mut names = BTreeSet::new();
    for (i, c) in cs.iter().enumerate() {
        let p = format!("{path}[{i}]");
        errs.extend(validate_container_common(c, vols, &p));
        if !names.insert(c.name.clone()) {
            errs.push(FieldError::duplicate(
                format!("{p}.name"),
                go_quote(&c.name),
            ));
        }
        errs.extend(validate_lifecycle_and_probes(c, grace, &p));
        if c.restart_policy.is_some() {
            errs.push(FieldError::forbidden(
                format!("{p}.restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }
    errs.extend(host_port_conflicts(&cs.iter().collect::<Vec<_>>(), path));
    errs
}

/// `validateInitContainers`: init containers share the name set with the regular ones; only
/// `restartPolicy: Always` (sidecars) may carry probes and lifecycle hooks.
pub fn validate_init_containers(
    inits: &[Container],
    regular: &[Container],
    vols: &VolumeNames,
    grace: Option<i64>,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names: BTreeSet<String> = regular.iter().map(|c| c.name.clone()).collect();
    for (i, c) in inits.iter().enumerate() {
        let p = format!("{path}[{i}]");
        errs.extend(validate_container_common(c, vols, &p));
        let mut restart_always = false;
        if let Some(rp) = c.restart_policy.as_deref() {
            if rp == "Always" {
                restart_always = true;
            } else {
                errs.push(FieldError::not_supported(
                    format!("{p}.restartPolicy"),
                    rp,
                    &["Always"],
                ));
            }
        }
        if names.contains(&c.name) {
            errs.push(FieldError::duplicate(
                format!("{p}.name"),
                go_quote(&c.name),
            ));
        } else if !c.name.is_empty() {
            names.insert(c.name.clone());
        }
        // Upstream checks each init container alone, so its paths always say `[0]`.
        errs.extend(host_port_conflicts(&[c], path));
        if restart_always {
            errs.extend(validate_lifecycle_and_probes(c, grace, &p));
        } else {
            for (set, field) in [
                (c.lifecycle.is_some(), "lifecycle"),
                (c.liveness_probe.is_some(), "livenessProbe"),
                (c.readiness_probe.is_some(), "readinessProbe"),
                (c.startup_probe.is_some(), "startupProbe"),
            ] {
                if set {
                    errs.push(FieldError::forbidden(
                        format!("{p}.{field}"),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
    errs
}

/// `validateContainerOnlyForPod`: a Pod's (not a template's) images may not be padded.
pub fn validate_containers_only_for_pod(cs: &[Container], path: &str) -> Vec<FieldError> {
    cs.iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let image = c.image.as_deref().unwrap_or("");
            (image.trim() != image).then(|| {
                FieldError::invalid(
                    format!("{path}[{i}].image"),
                    go_quote(image),
                    "must not have leading or trailing whitespace",
                )
            })
        })
        .collect()
}
