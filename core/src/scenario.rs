//! The scenario document: what Kubernetes has no object for — the seed, the default node pool,
//! users and their tokens, timed actions — as one `apiVersion: podflow.dev/v1alpha1,
//! kind: Scenario` document beside real Kubernetes objects.
//!
//! ```yaml
//! apiVersion: podflow.dev/v1alpha1
//! kind: Scenario
//! metadata: { name: node-failure }
//! spec:
//!   seed: 7
//!   nodes: { count: 3, cpu: "4", memory: 16Gi, pods: 110 }
//!   users:
//!   - { name: jane, groups: [developers], token: jane-token }
//!   actions:
//!   - { at: 30s, cordon: node-1 }
//!   - { at: 1m, failNode: node-2 }
//!   - { at: 1m, partitionNode: node-3 }
//!   - { at: 9m, healNode: node-3 }
//!   - { at: 2m, delete: pod/nginx, namespace: default }
//!   - { at: 3m, scale: deployment/web, replicas: 5 }
//!   - { at: 3m30s, kubectl: kubectl label node node-2 disktype=ssd }
//!   - at: 4m
//!     as: jane
//!     apply: |
//!       apiVersion: v1
//!       kind: Pod
//!       ...
//!   scheduler:                      # as a KubeSchedulerConfiguration
//!     percentageOfNodesToScore: 50
//!     profiles:
//!     - plugins: { score: { enabled: [{ name: NodeResourcesBalancedAllocation, weight: 5 }] } }
//!   imageCatalog:
//!   - { image: registry.example.com/team/web:v2, size: 31457280, entrypoint: [nginx, -g, "daemon off;"] }
//!   timing:
//!     pullBytesPerSecond: 10000000
//!     sandboxCreate: { base: 1s, jitter: 200ms }
//! ```

use serde::{Deserialize, Serialize};

use crate::kubelet::timing::{Delay, Step, Timings};
use crate::runtime::catalog::{parse_reference, Catalog, ImageInfo};
use crate::scheduler::config::SchedulerSpec;
use crate::sim::SimDuration;

/// `apiVersion` of the scenario document.
pub const API_VERSION: &str = "podflow.dev/v1alpha1";
/// `kind` of the scenario document.
pub const KIND: &str = "Scenario";

/// The scenario document's `spec`. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScenarioSpec {
    /// Seed of the run's RNG (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The default node pool, used only when the input holds no Node objects
    /// (default: 3 nodes `node-1..3`, 4 CPU, 16Gi, 110 pods).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<PoolSpec>,
    /// Users known to the authenticator, besides `kubernetes-admin` (in `system:masters`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserSpec>,
    /// Who applies the input's objects at t=0 (default `kubernetes-admin`).
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub as_user: Option<String>,
    /// Timed actions, run in order of `at`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionSpec>,
    /// The scheduler's profile, shaped like a `KubeSchedulerConfiguration` (default: the
    /// default-scheduler profile with upstream weights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<SchedulerSpec>,
    /// Images added to the kubelets' catalog, or replacing built-in entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_catalog: Vec<ImageSpec>,
    /// Overrides of the kubelets' timing table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<TimingSpec>,
}

/// One image catalog entry. What the container does follows from the program its argv runs
/// (`nginx`, `redis-server`, `agnhost netexec`, `sh -c …`, `sleep`, `stress`, …), so an image
/// listens on the ports of the server its entrypoint starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImageSpec {
    /// The reference, e.g. `registry.example.com/team/app:v2` (no tag: any tag).
    pub image: String,
    /// Size in bytes (default: the catalog's default size, 50 MB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The image's `ENTRYPOINT`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    /// The image's `CMD`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    /// The image's `ENV`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub env: std::collections::BTreeMap<String, String>,
}

/// A delay as `base` plus up to `jitter` (Go durations: `600ms`, `1.5s`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelaySpec {
    /// The fixed part.
    pub base: String,
    /// The largest random extra (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<String>,
}

/// Overrides of the kubelet timing table; absent steps keep their defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TimingSpec {
    /// Image download bandwidth per node, bytes per second (default 40000000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_bytes_per_second: Option<u64>,
    /// The pod worker noticing and admitting a pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admit: Option<DelaySpec>,
    /// `RunPodSandbox`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_create: Option<DelaySpec>,
    /// Mounting volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_mount: Option<DelaySpec>,
    /// Resolving an image already present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_inspect: Option<DelaySpec>,
    /// Registry round trips before a pull's first byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_overhead: Option<DelaySpec>,
    /// `CreateContainer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_create: Option<DelaySpec>,
    /// `StartContainer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_start: Option<DelaySpec>,
    /// A probe's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_latency: Option<DelaySpec>,
    /// A process exiting after SIGTERM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_stop: Option<DelaySpec>,
    /// PLEG noticing a container's exit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pleg_relist: Option<DelaySpec>,
    /// The status manager's write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_update: Option<DelaySpec>,
}

impl ScenarioSpec {
    /// The built-in image catalog with this scenario's entries first (they win).
    pub fn catalog(&self) -> Catalog {
        let mut catalog = Catalog::default();
        let mut added = Vec::new();
        for entry in &self.image_catalog {
            let Ok(r) = parse_reference(&entry.image) else {
                continue;
            };
            let tagged = entry
                .image
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains(':'))
                || r.digest.is_some();
            let host = r.domain.split(':').next().unwrap_or(&r.domain).to_string();
            if !catalog.registries.contains(&host) {
                catalog.registries.push(host);
            }
            added.push(ImageInfo {
                repository: r.repository(),
                tags: if tagged {
                    r.tag.iter().cloned().collect()
                } else {
                    Vec::new()
                },
                size: entry.size.unwrap_or(catalog.default_size),
                entrypoint: entry.entrypoint.clone(),
                cmd: entry.cmd.clone(),
                env: entry
                    .env
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            });
        }
        added.append(&mut catalog.images);
        catalog.images = added;
        catalog
    }

    /// The default timing table with this scenario's overrides (unparsable durations are
    /// ignored).
    pub fn timings(&self) -> Timings {
        let mut t = Timings::default();
        let Some(spec) = &self.timing else {
            return t;
        };
        if let Some(bps) = spec.pull_bytes_per_second {
            t.pull_bytes_per_sec = bps.max(1);
        }
        let steps = [
            (Step::Admit, &spec.admit),
            (Step::SandboxCreate, &spec.sandbox_create),
            (Step::VolumeMount, &spec.volume_mount),
            (Step::ImageInspect, &spec.image_inspect),
            (Step::PullOverhead, &spec.pull_overhead),
            (Step::ContainerCreate, &spec.container_create),
            (Step::ContainerStart, &spec.container_start),
            (Step::ProbeLatency, &spec.probe_latency),
            (Step::ContainerStop, &spec.container_stop),
            (Step::PlegRelist, &spec.pleg_relist),
            (Step::StatusUpdate, &spec.status_update),
        ];
        for (step, delay) in steps {
            let Some(d) = delay else { continue };
            let Ok(base) = parse_duration(&d.base) else {
                continue;
            };
            let jitter = d
                .jitter
                .as_deref()
                .and_then(|j| parse_duration(j).ok())
                .unwrap_or(SimDuration(0));
            t.set(step, Delay { base, jitter });
        }
        t
    }
}

/// The most nodes a pool may have: Kubernetes' supported maximum ("No more than 5,000 nodes",
/// *Considerations for large clusters*). Every node is a kubelet and a heartbeat in the
/// simulation, so a scenario or a share link asking for more would take seconds and gigabytes to
/// open (50,000 nodes: 5 s and 1.4 GB natively before the first step) for a cluster no real one
/// matches.
pub const MAX_NODES: usize = 5_000;

/// The default node pool's shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    /// How many nodes (default 3, at most [`MAX_NODES`]).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "node_count"
    )]
    pub count: Option<usize>,
    /// CPU per node (default `4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Memory per node (default `16Gi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Pods per node (default 110).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<u32>,
}

/// `count`, refused above [`MAX_NODES`].
fn node_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    let count = Option::<u64>::deserialize(d)?;
    match count {
        Some(n) if n > MAX_NODES as u64 => Err(serde::de::Error::invalid_value(
            serde::de::Unexpected::Unsigned(n),
            &"a node count of at most 5000",
        )),
        n => Ok(n.map(|n| n as usize)),
    }
}

/// A user the authenticator knows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// The user name, e.g. `jane`.
    pub name: String,
    /// Groups besides `system:authenticated`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// A bearer token (default: none; the user can still be impersonated by `as`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// One timed action. Exactly one of the verbs (`apply`, `delete`, `cordon`, `uncordon`,
/// `drain`, `failNode`, `recoverNode`, `partitionNode`, `healNode`, `scale`, `kubectl`) is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ActionSpec {
    /// When, as a Go duration from the start (`30s`, `1m30s`, `500ms`).
    pub at: String,
    /// Manifest text to `kubectl apply -f -`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply: Option<String>,
    /// `<resource>/<name>` to delete, e.g. `pod/nginx`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<String>,
    /// A node to cordon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cordon: Option<String>,
    /// A node to uncordon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncordon: Option<String>,
    /// A node to drain, as `kubectl drain <node> --ignore-daemonsets --delete-emptydir-data
    /// --force`: cordoned, then every pod not managed by a DaemonSet evicted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain: Option<String>,
    /// A node whose kubelet stops (the node becomes unreachable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_node: Option<String>,
    /// A failed node whose kubelet comes back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recover_node: Option<String>,
    /// A node cut off from the control plane: its kubelet and containers keep running but
    /// nothing it sends arrives and nothing reaches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_node: Option<String>,
    /// A partitioned node whose network comes back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heal_node: Option<String>,
    /// `<resource>/<name>` to scale, e.g. `deployment/web`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<String>,
    /// A kubectl command line run as the playground's console runs it, e.g.
    /// `kubectl label node node-2 disktype=ssd` (its `-f -` reads `stdin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubectl: Option<String>,
    /// What the `kubectl` action's `-f -` reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// The replica count for `scale`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// The namespace for `delete` and `scale` (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The user performing the action (default: the scenario's `as`).
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub as_user: Option<String>,
}

/// Parses a Go duration string (`300ms`, `1.5s`, `2m30s`, `1h`) as `time.ParseDuration` does
/// (without negative durations).
pub fn parse_duration(s: &str) -> Result<SimDuration, String> {
    let err = || {
        format!(
            "time: invalid duration {}",
            crate::apiserver::errors::go_quote(s)
        )
    };
    if s == "0" {
        return Ok(SimDuration(0));
    }
    if s.is_empty() {
        return Err(err());
    }
    let mut total: f64 = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(err());
        }
        let number: f64 = rest[..num_len].parse().map_err(|_| err())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit_ms = match &rest[..unit_len] {
            "ns" => 1e-6,
            "us" | "µs" => 1e-3,
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "" => {
                return Err(format!(
                    "time: missing unit in duration {}",
                    crate::apiserver::errors::go_quote(s)
                ))
            }
            other => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    crate::apiserver::errors::go_quote(other),
                    crate::apiserver::errors::go_quote(s)
                ))
            }
        };
        total += number * unit_ms;
        rest = &rest[unit_len..];
    }
    if !total.is_finite() || total > 1e15 {
        return Err(err());
    }
    Ok(SimDuration(total.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn go_durations_parse_like_time_parse_duration() {
        assert_eq!(parse_duration("30s"), Ok(SimDuration::secs(30)));
        assert_eq!(parse_duration("1m30s"), Ok(SimDuration::secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(SimDuration::millis(500)));
        assert_eq!(parse_duration("1.5h"), Ok(SimDuration::mins(90)));
        assert_eq!(parse_duration("0"), Ok(SimDuration(0)));
        assert_eq!(
            parse_duration("5"),
            Err("time: missing unit in duration \"5\"".into())
        );
        assert_eq!(
            parse_duration("5d"),
            Err("time: unknown unit \"d\" in duration \"5d\"".into())
        );
        assert_eq!(
            parse_duration("abc"),
            Err("time: invalid duration \"abc\"".into())
        );
    }

    #[test]
    fn a_scenario_spec_refuses_unknown_fields() {
        let spec: Result<ScenarioSpec, _> =
            serde_json::from_value(serde_json::json!({ "seed": 1, "sede": 2 }));
        assert!(spec
            .unwrap_err()
            .to_string()
            .starts_with("unknown field `sede`"));
        let spec: ScenarioSpec = serde_json::from_value(serde_json::json!({
            "seed": 7,
            "nodes": { "count": 5 },
            "actions": [{ "at": "1m", "failNode": "node-2" }]
        }))
        .unwrap();
        assert_eq!(spec.seed, Some(7));
        assert_eq!(spec.actions[0].fail_node.as_deref(), Some("node-2"));
    }
}
