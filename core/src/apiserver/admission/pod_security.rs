//! PodSecurity (`k8s.io/pod-security-admission`): the Pod Security Standards, enforced, warned
//! and audited per namespace through `pod-security.kubernetes.io/<mode>[-version]` labels.
//!
//! Checks run in upstream order: the baseline checks that restricted does not replace, then
//! (for baseline) the overlapping baseline checks or (for restricted) the restricted checks.
//! Pod controllers (Deployments, ReplicaSets, DaemonSets, Jobs) are only warned about.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{forbidden, ValidatingPlugin, Verdict};
use crate::apiserver::errors::ApiError;
use crate::apiserver::request::{Attributes, RequestContext, Verb};
use crate::object::Object;

/// The plugin's upstream name.
pub const NAME: &str = "PodSecurity";

/// Namespace label prefix: `pod-security.kubernetes.io/enforce` and friends.
pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// A Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Everything allowed.
    Privileged,
    /// Known privilege escalations prevented.
    Baseline,
    /// Hardened pods only.
    Restricted,
}

impl Level {
    /// The level as labels spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// A level and the policy version it is evaluated at (`restricted:latest`, `baseline:v1.30`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LevelVersion {
    /// The level.
    pub level: Level,
    /// `latest` or `v1.N`.
    pub version: String,
}

impl std::fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.level.as_str(), self.version)
    }
}

/// The namespace's policy for one mode (`enforce`, `warn`, `audit`). Missing labels mean
/// `privileged:latest`; an unparsable level fails closed to `restricted`.
pub fn policy(labels: &BTreeMap<String, String>, mode: &str) -> LevelVersion {
    // Most namespaces carry no pod-security label: then no key is built to look one up.
    let labelled = labels
        .range::<str, _>((
            std::ops::Bound::Included(LABEL_PREFIX),
            std::ops::Bound::Unbounded,
        ))
        .next()
        .is_some_and(|(k, _)| k.starts_with(LABEL_PREFIX));
    let label = |suffix: &str| {
        labelled
            .then(|| labels.get(&[LABEL_PREFIX, mode, suffix].concat()))
            .flatten()
    };
    let level = match label("").map(String::as_str) {
        None | Some("privileged") => Level::Privileged,
        Some("baseline") => Level::Baseline,
        Some(_) => Level::Restricted,
    };
    let version = label("-version")
        .filter(|v| {
            *v == "latest"
                || v.strip_prefix("v1.")
                    .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .cloned()
        .unwrap_or_else(|| "latest".to_string());
    LevelVersion { level, version }
}

/// One failed check: its reason and (possibly empty) detail.
pub type Violation = (String, String);

/// Evaluates a pod against a level; returns every violation in upstream order.
pub fn evaluate(level: Level, meta: &ObjectMeta, spec: &PodSpec) -> Vec<Violation> {
    type Check = fn(&ObjectMeta, &PodSpec) -> Option<Violation>;
    const BASELINE: &[Check] = &[
        app_armor,
        host_namespaces,
        host_ports,
        privileged,
        proc_mount,
        se_linux_options,
        sysctls,
        windows_host_process,
    ];
    const BASELINE_OVERLAP: &[Check] =
        &[capabilities_baseline, host_path_volumes, seccomp_baseline];
    const RESTRICTED: &[Check] = &[
        allow_privilege_escalation,
        capabilities_restricted,
        restricted_volumes,
        run_as_non_root,
        run_as_user,
        seccomp_restricted,
    ];
    let extra = match level {
        Level::Privileged => return Vec::new(),
        Level::Baseline => BASELINE_OVERLAP,
        Level::Restricted => RESTRICTED,
    };
    BASELINE
        .iter()
        .chain(extra)
        .filter_map(|check| check(meta, spec))
        .collect()
}

/// `AggregateCheckResult.ForbiddenDetail()`: `reason (detail), reason, …`.
pub fn forbidden_detail(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|(r, d)| {
            if d.is_empty() {
                r.clone()
            } else {
                format!("{r} ({d})")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The PodSecurity plugin.
pub struct PodSecurity;

impl ValidatingPlugin for PodSecurity {
    fn name(&self) -> &'static str {
        NAME
    }

    fn validate(
        &self,
        attrs: &Attributes,
        obj: &Object,
        _old: Option<&Object>,
        ctx: &RequestContext<'_>,
    ) -> Result<Verdict, ApiError> {
        if attrs.verb != Verb::Create || attrs.subresource.is_some() {
            return Ok(Verdict::default());
        }
        let (meta, spec, controller) = match obj {
            Object::Pod(p) => (&p.metadata, p.spec.as_ref(), false),
            Object::Deployment(d) => template(d.spec.as_ref().map(|s| &s.template)),
            Object::ReplicaSet(r) => template(r.spec.as_ref().and_then(|s| s.template.as_ref())),
            Object::DaemonSet(d) => template(d.spec.as_ref().map(|s| &s.template)),
            Object::Job(j) => template(j.spec.as_ref().map(|s| &s.template)),
            _ => return Ok(Verdict::default()),
        };
        let Some(spec) = spec else {
            return Ok(Verdict::default());
        };
        let labels = match ctx.lookup.get("Namespace", "", &attrs.namespace).as_deref() {
            Some(Object::Namespace(ns)) => ns.metadata.labels.clone().unwrap_or_default(),
            _ => BTreeMap::new(),
        };
        let enforce = policy(&labels, "enforce");
        let warn = policy(&labels, "warn");
        let audit = policy(&labels, "audit");
        let mut verdict = Verdict::default();
        if controller {
            for lv in [&warn, &enforce] {
                let v = evaluate(lv.level, meta, spec);
                let w = format!(
                    "would violate PodSecurity \"{lv}\": {}",
                    forbidden_detail(&v)
                );
                if !v.is_empty() && !verdict.warnings.contains(&w) {
                    verdict.warnings.push(w);
                }
            }
            return Ok(verdict);
        }
        let v = evaluate(enforce.level, meta, spec);
        if !v.is_empty() {
            return Err(forbidden(
                attrs,
                Some(obj),
                format!(
                    "violates PodSecurity \"{enforce}\": {}",
                    forbidden_detail(&v)
                ),
            ));
        }
        verdict
            .notes
            .push(format!("allowed by PodSecurity \"{enforce}\""));
        let v = evaluate(audit.level, meta, spec);
        if !v.is_empty() {
            verdict.notes.push(format!(
                "audit: would violate PodSecurity \"{audit}\": {}",
                forbidden_detail(&v)
            ));
        }
        let v = evaluate(warn.level, meta, spec);
        if !v.is_empty() {
            verdict.warnings.push(format!(
                "would violate PodSecurity \"{warn}\": {}",
                forbidden_detail(&v)
            ));
        }
        Ok(verdict)
    }
}

fn template(
    t: Option<&k8s_openapi::api::core::v1::PodTemplateSpec>,
) -> (&ObjectMeta, Option<&PodSpec>, bool) {
    static EMPTY: std::sync::OnceLock<ObjectMeta> = std::sync::OnceLock::new();
    match t {
        Some(t) => (
            t.metadata
                .as_ref()
                .unwrap_or_else(|| EMPTY.get_or_init(ObjectMeta::default)),
            t.spec.as_ref(),
            true,
        ),
        None => (EMPTY.get_or_init(ObjectMeta::default), None, true),
    }
}

fn containers(spec: &PodSpec) -> impl Iterator<Item = &Container> {
    spec.init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter())
}

fn pluralize(singular: &str, plural: &str, n: usize) -> String {
    if n == 1 { singular } else { plural }.to_string()
}

fn join_quote<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    items
        .into_iter()
        .map(|s| format!("\"{}\"", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn containers_phrase(names: &[String]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        join_quote(names)
    )
}

fn bad_containers(spec: &PodSpec, bad: impl Fn(&Container) -> bool) -> Vec<String> {
    containers(spec)
        .filter(|c| bad(c))
        .map(|c| c.name.clone())
        .collect()
}

fn sc(c: &Container) -> Option<&k8s_openapi::api::core::v1::SecurityContext> {
    c.security_context.as_ref()
}

fn app_armor(meta: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    const PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";
    let mut bad: Vec<String> = meta
        .annotations
        .iter()
        .flatten()
        .filter(|(k, v)| {
            k.starts_with(PREFIX)
                && !(v.is_empty() || *v == "runtime/default" || v.starts_with("localhost/"))
        })
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect();
    if !bad.is_empty() {
        bad.sort();
        let reason = pluralize(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            bad.len(),
        );
        return Some((reason, bad.join(", ")));
    }
    // The 1.30+ field form.
    let ok = |t: &str| t == "RuntimeDefault" || t == "Localhost";
    let mut setters = Vec::new();
    let mut values = BTreeSet::new();
    if let Some(p) = spec
        .security_context
        .as_ref()
        .and_then(|s| s.app_armor_profile.as_ref())
    {
        if !ok(&p.type_) {
            setters.push("pod".to_string());
            values.insert(p.type_.clone());
        }
    }
    let names = bad_containers(spec, |c| {
        sc(c)
            .and_then(|s| s.app_armor_profile.as_ref())
            .is_some_and(|p| !ok(&p.type_))
    });
    for c in containers(spec) {
        if let Some(p) = sc(c).and_then(|s| s.app_armor_profile.as_ref()) {
            if !ok(&p.type_) {
                values.insert(p.type_.clone());
            }
        }
    }
    if !names.is_empty() {
        setters.push(containers_phrase(&names));
    }
    (!setters.is_empty()).then(|| {
        (
            "appArmorProfile".to_string(),
            format!(
                "{} must not set securityContext.appArmorProfile.type to {}",
                setters.join(" and "),
                join_quote(&values)
            ),
        )
    })
}

fn host_namespaces(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let mut used = Vec::new();
    if spec.host_network == Some(true) {
        used.push("hostNetwork=true");
    }
    if spec.host_pid == Some(true) {
        used.push("hostPID=true");
    }
    if spec.host_ipc == Some(true) {
        used.push("hostIPC=true");
    }
    (!used.is_empty()).then(|| ("host namespaces".to_string(), used.join(", ")))
}

fn host_ports(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let mut ports = BTreeSet::new();
    let names = bad_containers(spec, |c| {
        c.ports
            .iter()
            .flatten()
            .any(|p| p.host_port.unwrap_or(0) != 0)
    });
    for c in containers(spec) {
        for p in c.ports.iter().flatten() {
            if let Some(h) = p.host_port.filter(|h| *h != 0) {
                ports.insert(h.to_string());
            }
        }
    }
    (!names.is_empty()).then(|| {
        (
            "hostPort".to_string(),
            format!(
                "{} {} {} {}",
                containers_phrase(&names),
                pluralize("uses", "use", names.len()),
                pluralize("hostPort", "hostPorts", ports.len()),
                ports.into_iter().collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

fn privileged(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let names = bad_containers(spec, |c| sc(c).and_then(|s| s.privileged) == Some(true));
    (!names.is_empty()).then(|| {
        (
            "privileged".to_string(),
            format!(
                "{} must not set securityContext.privileged=true",
                containers_phrase(&names)
            ),
        )
    })
}

fn proc_mount(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    if spec.host_users == Some(false) {
        return None;
    }
    let bad = |c: &Container| {
        sc(c)
            .and_then(|s| s.proc_mount.as_deref())
            .filter(|m| *m != "Default")
            .map(str::to_string)
    };
    let names = bad_containers(spec, |c| bad(c).is_some());
    let types: BTreeSet<String> = containers(spec).filter_map(bad).collect();
    (!names.is_empty()).then(|| {
        (
            "procMount".to_string(),
            format!(
                "{} must not set securityContext.procMount to {}",
                containers_phrase(&names),
                join_quote(&types)
            ),
        )
    })
}

fn se_linux_options(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    const TYPES: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
    let mut bad_types = BTreeSet::new();
    let (mut set_user, mut set_role) = (false, false);
    let mut valid = |o: &k8s_openapi::api::core::v1::SELinuxOptions| {
        let t = o.type_.clone().unwrap_or_default();
        let mut ok = true;
        if !TYPES.contains(&t.as_str()) {
            ok = false;
            bad_types.insert(t);
        }
        if !o.user.as_deref().unwrap_or_default().is_empty() {
            ok = false;
            set_user = true;
        }
        if !o.role.as_deref().unwrap_or_default().is_empty() {
            ok = false;
            set_role = true;
        }
        ok
    };
    let mut setters = Vec::new();
    if let Some(o) = spec
        .security_context
        .as_ref()
        .and_then(|s| s.se_linux_options.as_ref())
    {
        if !valid(o) {
            setters.push("pod".to_string());
        }
    }
    let mut names = Vec::new();
    for c in containers(spec) {
        if let Some(o) = sc(c).and_then(|s| s.se_linux_options.as_ref()) {
            if !valid(o) {
                names.push(c.name.clone());
            }
        }
    }
    if !names.is_empty() {
        setters.push(containers_phrase(&names));
    }
    if setters.is_empty() {
        return None;
    }
    let mut data = Vec::new();
    if !bad_types.is_empty() {
        data.push(format!(
            "{} {}",
            pluralize("type", "types", bad_types.len()),
            join_quote(&bad_types)
        ));
        if set_user {
            data.push("user may not be set".to_string());
        }
        if set_role {
            data.push("role may not be set".to_string());
        }
    }
    Some((
        "seLinuxOptions".to_string(),
        format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters.join(" and "),
            data.join("; ")
        ),
    ))
}

/// Sysctls the baseline level allows (policy version 1.32 and later).
pub const ALLOWED_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

fn sysctls(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let bad: Vec<&str> = spec
        .security_context
        .iter()
        .flat_map(|s| s.sysctls.iter().flatten())
        .map(|s| s.name.as_str())
        .filter(|n| !ALLOWED_SYSCTLS.contains(n))
        .collect();
    (!bad.is_empty()).then(|| ("forbidden sysctls".to_string(), bad.join(", ")))
}

fn windows_host_process(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let host = |w: Option<&k8s_openapi::api::core::v1::WindowsSecurityContextOptions>| {
        w.and_then(|w| w.host_process) == Some(true)
    };
    let names = bad_containers(spec, |c| {
        host(sc(c).and_then(|s| s.windows_options.as_ref()))
    });
    let mut setters = Vec::new();
    if host(
        spec.security_context
            .as_ref()
            .and_then(|s| s.windows_options.as_ref()),
    ) {
        setters.push("pod".to_string());
    }
    if !names.is_empty() {
        setters.push(containers_phrase(&names));
    }
    (!setters.is_empty()).then(|| {
        (
            "hostProcess".to_string(),
            format!(
                "{} must not set securityContext.windowsOptions.hostProcess=true",
                setters.join(" and ")
            ),
        )
    })
}

/// Capabilities a baseline container may add.
pub const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn added(c: &Container) -> Vec<String> {
    sc(c)
        .and_then(|s| s.capabilities.as_ref())
        .and_then(|c| c.add.clone())
        .unwrap_or_default()
}

fn capabilities_baseline(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let bad = |cap: &String| !BASELINE_CAPABILITIES.contains(&cap.as_str());
    let names = bad_containers(spec, |c| added(c).iter().any(bad));
    let caps: BTreeSet<String> = containers(spec).flat_map(added).filter(bad).collect();
    (!names.is_empty()).then(|| {
        (
            "non-default capabilities".to_string(),
            format!(
                "{} must not include {} in securityContext.capabilities.add",
                containers_phrase(&names),
                join_quote(&caps)
            ),
        )
    })
}

fn host_path_volumes(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let names: Vec<String> = spec
        .volumes
        .iter()
        .flatten()
        .filter(|v| v.host_path.is_some())
        .map(|v| v.name.clone())
        .collect();
    (!names.is_empty()).then(|| {
        (
            "hostPath volumes".to_string(),
            format!(
                "{} {}",
                pluralize("volume", "volumes", names.len()),
                join_quote(&names)
            ),
        )
    })
}

fn seccomp_ok(t: &str) -> bool {
    t == "RuntimeDefault" || t == "Localhost"
}

fn seccomp_baseline(meta: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let mut setters = Vec::new();
    let mut values = BTreeSet::new();
    if let Some(p) = spec
        .security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
    {
        if !seccomp_ok(&p.type_) {
            setters.push("pod".to_string());
            values.insert(p.type_.clone());
        }
    }
    let mut names = Vec::new();
    for c in containers(spec) {
        if let Some(p) = sc(c).and_then(|s| s.seccomp_profile.as_ref()) {
            if !seccomp_ok(&p.type_) {
                names.push(c.name.clone());
                values.insert(p.type_.clone());
            }
        }
    }
    if !names.is_empty() {
        setters.push(containers_phrase(&names));
    }
    let _ = meta;
    (!setters.is_empty()).then(|| {
        (
            "seccompProfile".to_string(),
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters.join(" and "),
                join_quote(&values)
            ),
        )
    })
}

fn allow_privilege_escalation(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let names = bad_containers(spec, |c| {
        sc(c).and_then(|s| s.allow_privilege_escalation) != Some(false)
    });
    (!names.is_empty()).then(|| {
        (
            "allowPrivilegeEscalation != false".to_string(),
            format!(
                "{} must set securityContext.allowPrivilegeEscalation=false",
                containers_phrase(&names)
            ),
        )
    })
}

fn capabilities_restricted(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let caps = |c: &Container| sc(c).and_then(|s| s.capabilities.clone());
    let missing_drop = bad_containers(spec, |c| {
        !caps(c).is_some_and(|k| k.drop.iter().flatten().any(|d| d == "ALL"))
    });
    let forbidden = |cap: &String| cap != "NET_BIND_SERVICE";
    let adding = bad_containers(spec, |c| {
        caps(c).is_some() && added(c).iter().any(forbidden)
    });
    let bad_caps: BTreeSet<String> = containers(spec).flat_map(added).filter(forbidden).collect();
    let mut details = Vec::new();
    if !missing_drop.is_empty() {
        details.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&missing_drop)
        ));
    }
    if !adding.is_empty() {
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&adding),
            join_quote(&bad_caps)
        ));
    }
    (!details.is_empty()).then(|| ("unrestricted capabilities".to_string(), details.join("; ")))
}

fn restricted_volumes(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let mut names = Vec::new();
    let mut types = BTreeSet::new();
    for v in spec.volumes.iter().flatten() {
        let allowed = v.config_map.is_some()
            || v.csi.is_some()
            || v.downward_api.is_some()
            || v.empty_dir.is_some()
            || v.ephemeral.is_some()
            || v.persistent_volume_claim.is_some()
            || v.projected.is_some()
            || v.secret.is_some();
        if allowed {
            continue;
        }
        names.push(v.name.clone());
        let t = [
            (v.host_path.is_some(), "hostPath"),
            (v.gce_persistent_disk.is_some(), "gcePersistentDisk"),
            (v.aws_elastic_block_store.is_some(), "awsElasticBlockStore"),
            (v.git_repo.is_some(), "gitRepo"),
            (v.nfs.is_some(), "nfs"),
            (v.iscsi.is_some(), "iscsi"),
            (v.glusterfs.is_some(), "glusterfs"),
            (v.rbd.is_some(), "rbd"),
            (v.flex_volume.is_some(), "flexVolume"),
            (v.cinder.is_some(), "cinder"),
            (v.cephfs.is_some(), "cephfs"),
            (v.flocker.is_some(), "flocker"),
            (v.fc.is_some(), "fc"),
            (v.azure_file.is_some(), "azureFile"),
            (v.vsphere_volume.is_some(), "vsphereVolume"),
            (v.quobyte.is_some(), "quobyte"),
            (v.azure_disk.is_some(), "azureDisk"),
            (v.photon_persistent_disk.is_some(), "photonPersistentDisk"),
            (v.portworx_volume.is_some(), "portworxVolume"),
            (v.scale_io.is_some(), "scaleIO"),
            (v.storageos.is_some(), "storageos"),
        ]
        .iter()
        .find(|(set, _)| *set)
        .map(|(_, t)| *t)
        .unwrap_or("unknown");
        types.insert(t.to_string());
    }
    (!names.is_empty()).then(|| {
        (
            "restricted volume types".to_string(),
            format!(
                "{} {} {} {} {}",
                pluralize("volume", "volumes", names.len()),
                join_quote(&names),
                pluralize("uses", "use", names.len()),
                pluralize(
                    "restricted volume type",
                    "restricted volume types",
                    types.len()
                ),
                join_quote(&types)
            ),
        )
    })
}

fn run_as_non_root(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let mut setters = Vec::new();
    let pod = spec
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_non_root);
    if pod == Some(false) {
        setters.push("pod".to_string());
    }
    let explicit = bad_containers(spec, |c| {
        sc(c).and_then(|s| s.run_as_non_root) == Some(false)
    });
    let implicit = bad_containers(spec, |c| {
        sc(c).and_then(|s| s.run_as_non_root).is_none() && pod != Some(true)
    });
    if !explicit.is_empty() {
        setters.push(containers_phrase(&explicit));
    }
    if !setters.is_empty() {
        return Some((
            "runAsNonRoot != true".to_string(),
            format!(
                "{} must not set securityContext.runAsNonRoot=false",
                setters.join(" and ")
            ),
        ));
    }
    (!implicit.is_empty()).then(|| {
        (
            "runAsNonRoot != true".to_string(),
            format!(
                "pod or {} must set securityContext.runAsNonRoot=true",
                containers_phrase(&implicit)
            ),
        )
    })
}

fn run_as_user(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let mut setters = Vec::new();
    if spec.security_context.as_ref().and_then(|s| s.run_as_user) == Some(0) {
        setters.push("pod".to_string());
    }
    let names = bad_containers(spec, |c| sc(c).and_then(|s| s.run_as_user) == Some(0));
    if !names.is_empty() {
        setters.push(containers_phrase(&names));
    }
    (!setters.is_empty()).then(|| {
        (
            "runAsUser=0".to_string(),
            format!("{} must not set runAsUser=0", setters.join(" and ")),
        )
    })
}

fn seccomp_restricted(_: &ObjectMeta, spec: &PodSpec) -> Option<Violation> {
    let mut setters = Vec::new();
    let mut values = BTreeSet::new();
    let mut pod_set = false;
    if let Some(p) = spec
        .security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
    {
        if seccomp_ok(&p.type_) {
            pod_set = true;
        } else {
            setters.push("pod".to_string());
            values.insert(p.type_.clone());
        }
    }
    let (mut explicit, mut implicit) = (Vec::new(), Vec::new());
    for c in containers(spec) {
        match sc(c).and_then(|s| s.seccomp_profile.as_ref()) {
            Some(p) if !seccomp_ok(&p.type_) => {
                explicit.push(c.name.clone());
                values.insert(p.type_.clone());
            }
            Some(_) => {}
            None if !pod_set => implicit.push(c.name.clone()),
            None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_phrase(&explicit));
    }
    if !setters.is_empty() {
        return Some((
            "seccompProfile".to_string(),
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters.join(" and "),
                join_quote(&values)
            ),
        ));
    }
    (!implicit.is_empty()).then(|| {
        (
            "seccompProfile".to_string(),
            format!(
                "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
                containers_phrase(&implicit)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::admission::testing::{attrs, namespace, pod, MapLookup};
    use crate::sim::{SimRng, SimTime};
    use k8s_openapi::api::core::v1::{
        Capabilities, ContainerPort, HostPathVolumeSource, Pod, PodSecurityContext, SeccompProfile,
        SecurityContext, Volume,
    };
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn labelled(pairs: &[(&str, &str)]) -> MapLookup {
        let mut lookup = MapLookup::new();
        let mut ns = namespace("default");
        ns.metadata.labels = Some(
            pairs
                .iter()
                .map(|(k, v)| (format!("{LABEL_PREFIX}{k}"), v.to_string()))
                .collect(),
        );
        lookup.add(ns);
        lookup
    }

    fn check(lookup: &MapLookup, obj: Object) -> Result<Verdict, ApiError> {
        let rng = &mut SimRng::new(1);
        let ctx = RequestContext {
            now: SimTime(0),
            rng,
            lookup,
        };
        let a = attrs(Verb::Create, obj.info().kind, "default", "x");
        PodSecurity.validate(&a, &obj, None, &ctx)
    }

    fn hardened(name: &str) -> Pod {
        let mut p = pod(name, &[name]);
        let spec = p.spec.as_mut().unwrap();
        spec.security_context = Some(PodSecurityContext {
            run_as_non_root: Some(true),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".into(),
                ..Default::default()
            }),
            ..Default::default()
        });
        spec.containers[0].security_context = Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Default::default()
            }),
            ..Default::default()
        });
        p
    }

    const NGINX_RESTRICTED: &str = "allowPrivilegeEscalation != false (container \"x\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"x\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"x\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"x\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")";

    #[test]
    fn a_plain_pod_violates_restricted_in_four_ways() {
        let lookup = labelled(&[("enforce", "restricted")]);
        let err = check(&lookup, pod("x", &["x"]).into()).unwrap_err();
        assert_eq!(
            err.message,
            format!("pods \"x\" is forbidden: violates PodSecurity \"restricted:latest\": {NGINX_RESTRICTED}")
        );
    }

    #[test]
    fn a_hardened_pod_passes_restricted() {
        let lookup = labelled(&[("enforce", "restricted")]);
        let verdict = check(&lookup, hardened("x").into()).unwrap();
        assert_eq!(
            verdict.notes,
            vec!["allowed by PodSecurity \"restricted:latest\""]
        );
    }

    #[test]
    fn warn_mode_admits_with_a_warning_naming_the_version() {
        let lookup = labelled(&[("warn", "restricted"), ("warn-version", "v1.30")]);
        let verdict = check(&lookup, pod("x", &["x"]).into()).unwrap();
        assert_eq!(
            verdict.warnings,
            vec![format!(
                "would violate PodSecurity \"restricted:v1.30\": {NGINX_RESTRICTED}"
            )]
        );
    }

    #[test]
    fn baseline_lists_host_namespaces_ports_privilege_and_host_paths_in_order() {
        let lookup = labelled(&[("enforce", "baseline")]);
        let mut p = pod("x", &["a", "b"]);
        let spec = p.spec.as_mut().unwrap();
        spec.host_network = Some(true);
        spec.host_pid = Some(true);
        spec.containers[0].ports = Some(vec![ContainerPort {
            container_port: 80,
            host_port: Some(8080),
            ..Default::default()
        }]);
        spec.containers[1].security_context = Some(SecurityContext {
            privileged: Some(true),
            capabilities: Some(Capabilities {
                add: Some(vec!["SYS_ADMIN".into(), "CHOWN".into()]),
                ..Default::default()
            }),
            ..Default::default()
        });
        spec.volumes = Some(vec![Volume {
            name: "data".into(),
            host_path: Some(HostPathVolumeSource {
                path: "/data".into(),
                ..Default::default()
            }),
            ..Default::default()
        }]);
        let err = check(&lookup, p.into()).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"x\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true, hostPID=true), hostPort (container \"a\" uses hostPort 8080), privileged (container \"b\" must not set securityContext.privileged=true), non-default capabilities (container \"b\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add), hostPath volumes (volume \"data\")"
        );
    }

    #[test]
    fn restricted_reports_host_path_as_a_restricted_volume_type() {
        let lookup = labelled(&[("enforce", "restricted")]);
        let mut p = hardened("x");
        p.spec.as_mut().unwrap().volumes = Some(vec![Volume {
            name: "data".into(),
            host_path: Some(HostPathVolumeSource {
                path: "/data".into(),
                ..Default::default()
            }),
            ..Default::default()
        }]);
        let err = check(&lookup, p.into()).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"x\" is forbidden: violates PodSecurity \"restricted:latest\": restricted volume types (volume \"data\" uses restricted volume type \"hostPath\")"
        );
    }

    #[test]
    fn deployments_are_only_warned_about() {
        use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
        use k8s_openapi::api::core::v1::PodTemplateSpec;
        let lookup = labelled(&[("enforce", "restricted")]);
        let d = Deployment {
            metadata: crate::apiserver::admission::testing::meta("default", "x"),
            spec: Some(DeploymentSpec {
                template: PodTemplateSpec {
                    metadata: None,
                    spec: pod("x", &["x"]).spec,
                },
                ..Default::default()
            }),
            ..Default::default()
        };
        let verdict = check(&lookup, d.into()).unwrap();
        assert_eq!(
            verdict.warnings,
            vec![format!(
                "would violate PodSecurity \"restricted:latest\": {NGINX_RESTRICTED}"
            )]
        );
    }

    #[test]
    fn an_unlabelled_namespace_is_privileged() {
        let mut p = pod("x", &["x"]);
        p.spec.as_mut().unwrap().host_pid = Some(true);
        let verdict = check(&MapLookup::cluster(), p.into()).unwrap();
        assert!(verdict.warnings.is_empty());
    }
}
