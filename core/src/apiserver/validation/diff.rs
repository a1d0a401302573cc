//! The diff under a refused Pod update. Upstream prints `cmp.Diff` of its internal
//! `core.PodSpec`; this renders the same shape (changed fields as `-`/`+` lines, runs of equal
//! fields elided as `... // N identical fields`) with values in JSON, which is as close as a
//! simulator gets without Go's reflection.

use k8s_openapi::api::core::v1::PodSpec;
use serde_json::Value;

/// `core.PodSpec` fields in Go declaration order, with the v1 JSON keys folded into each.
const FIELDS: &[(&str, &[&str])] = &[
    ("Volumes", &["volumes"]),
    ("InitContainers", &["initContainers"]),
    ("Containers", &["containers"]),
    ("EphemeralContainers", &["ephemeralContainers"]),
    ("RestartPolicy", &["restartPolicy"]),
    (
        "TerminationGracePeriodSeconds",
        &["terminationGracePeriodSeconds"],
    ),
    ("ActiveDeadlineSeconds", &["activeDeadlineSeconds"]),
    ("DNSPolicy", &["dnsPolicy"]),
    ("NodeSelector", &["nodeSelector"]),
    (
        "ServiceAccountName",
        &["serviceAccountName", "serviceAccount"],
    ),
    (
        "AutomountServiceAccountToken",
        &["automountServiceAccountToken"],
    ),
    ("NodeName", &["nodeName"]),
    (
        "SecurityContext",
        &[
            "securityContext",
            "hostNetwork",
            "hostPID",
            "hostIPC",
            "shareProcessNamespace",
            "hostUsers",
        ],
    ),
    ("ImagePullSecrets", &["imagePullSecrets"]),
    ("Hostname", &["hostname"]),
    ("Subdomain", &["subdomain"]),
    ("SetHostnameAsFQDN", &["setHostnameAsFQDN"]),
    ("Affinity", &["affinity"]),
    ("SchedulerName", &["schedulerName"]),
    ("Tolerations", &["tolerations"]),
    ("HostAliases", &["hostAliases"]),
    ("PriorityClassName", &["priorityClassName"]),
    ("Priority", &["priority"]),
    ("PreemptionPolicy", &["preemptionPolicy"]),
    ("DNSConfig", &["dnsConfig"]),
    ("ReadinessGates", &["readinessGates"]),
    ("RuntimeClassName", &["runtimeClassName"]),
    ("Overhead", &["overhead"]),
    ("EnableServiceLinks", &["enableServiceLinks"]),
    ("TopologySpreadConstraints", &["topologySpreadConstraints"]),
    ("OS", &["os"]),
    ("SchedulingGates", &["schedulingGates"]),
    ("ResourceClaims", &["resourceClaims"]),
    ("Resources", &["resources"]),
];

fn field_value(spec: &Value, keys: &[&str]) -> Value {
    if keys.len() == 1 {
        return spec.get(keys[0]).cloned().unwrap_or(Value::Null);
    }
    let mut m = serde_json::Map::new();
    for k in keys {
        if let Some(v) = spec.get(*k) {
            m.insert((*k).to_string(), v.clone());
        }
    }
    Value::Object(m)
}

fn render(v: &Value) -> String {
    match v {
        Value::Null => "nil".to_string(),
        other => other.to_string(),
    }
}

/// The diff from `old` to `new`, in go-cmp's layout.
pub fn pod_spec_diff(old: &PodSpec, new: &PodSpec) -> String {
    let o = serde_json::to_value(old).unwrap_or_default();
    let n = serde_json::to_value(new).unwrap_or_default();
    let mut out = String::from("  core.PodSpec{\n");
    let mut same = 0usize;
    let flush = |same: &mut usize, out: &mut String| {
        if *same > 0 {
            out.push_str(&format!("  \t... // {same} identical fields\n"));
            *same = 0;
        }
    };
    for (name, keys) in FIELDS {
        let (ov, nv) = (field_value(&o, keys), field_value(&n, keys));
        if ov == nv {
            same += 1;
            continue;
        }
        flush(&mut same, &mut out);
        out.push_str(&format!("- \t{name}: {},\n", render(&ov)));
        out.push_str(&format!("+ \t{name}: {},\n", render(&nv)));
    }
    flush(&mut same, &mut out);
    out.push_str("  }\n");
    out
}
