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
//!   - { at: 2m, delete: pod/nginx, namespace: default }
//!   - { at: 3m, scale: deployment/web, replicas: 5 }
//!   - at: 4m
//!     as: jane
//!     apply: |
//!       apiVersion: v1
//!       kind: Pod
//!       ...
//! ```

use serde::{Deserialize, Serialize};

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
}

/// The default node pool's shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    /// How many nodes (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
/// `drain`, `failNode`, `recoverNode`, `scale`) is set.
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
    /// `<resource>/<name>` to scale, e.g. `deployment/web`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<String>,
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
