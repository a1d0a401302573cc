//! The scenario's scheduler knob, shaped like `KubeSchedulerConfiguration`
//! (`kubescheduler.config.k8s.io/v1`): `percentageOfNodesToScore` and one profile's `plugins`,
//! where `multiPoint` enables or disables a plugin at every extension point and `score` sets or
//! zeroes its score weight — the two ways a learner changes where pods go.
//!
//! ```yaml
//! spec:
//!   scheduler:
//!     percentageOfNodesToScore: 50
//!     profiles:
//!     - plugins:
//!         score:
//!           disabled: [{ name: ImageLocality }]
//!           enabled: [{ name: NodeResourcesBalancedAllocation, weight: 5 }]
//!         multiPoint:
//!           disabled: [{ name: TaintToleration }]
//! ```

use serde::{Deserialize, Serialize};

use crate::scheduler::registry::{ProfileConfig, DEFAULT_PLUGINS};

/// `spec.scheduler`: the parts of a `KubeSchedulerConfiguration` the simulation honours.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SchedulerSpec {
    /// Percentage of nodes to score once that many feasible nodes are found (0 = adaptive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage_of_nodes_to_score: Option<i64>,
    /// Scheduling profiles; podflow simulates one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<ProfileSpec>,
}

/// One `KubeSchedulerProfile`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileSpec {
    /// The name pods select with `spec.schedulerName` (default `default-scheduler`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    /// Plugins enabled and disabled per extension point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugins: Option<PluginsSpec>,
}

/// `plugins`: the extension points podflow lets a scenario configure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PluginsSpec {
    /// Plugins enabled or disabled at every extension point they implement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_point: Option<PluginSet>,
    /// Score plugins and their weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<PluginSet>,
}

/// `enabled` and `disabled` lists of one extension point.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginSet {
    /// Plugins to enable (or re-weight).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enabled: Vec<PluginRef>,
    /// Plugins to disable; `*` disables every default plugin of the point.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled: Vec<PluginRef>,
}

/// A plugin by name, with an optional score weight.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginRef {
    /// The plugin's registered name, e.g. `NodeResourcesFit`.
    pub name: String,
    /// The score weight (score and multiPoint only), an `int32` as upstream: 0 counts as 1,
    /// and a negative weight subtracts the plugin's score, as kube-scheduler's framework does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
}

impl SchedulerSpec {
    /// The profile this configuration describes, or kube-scheduler's validation error.
    pub fn profile_config(&self) -> Result<ProfileConfig, String> {
        let mut config = ProfileConfig::default();
        if let Some(p) = self.percentage_of_nodes_to_score {
            if !(0..=100).contains(&p) {
                return Err(format!(
                    "percentageOfNodesToScore: Invalid value: {p}: not in valid range [0-100]"
                ));
            }
            config.percentage_of_nodes_to_score = u32::try_from(p).ok().filter(|p| *p > 0);
        }
        let profile = match self.profiles.as_slice() {
            [] => return Ok(config),
            [one] => one,
            _ => {
                return Err(
                    "profiles: podflow simulates one scheduler profile; give only one".into(),
                )
            }
        };
        if let Some(name) = &profile.scheduler_name {
            if name.is_empty() {
                return Err("profiles[0].schedulerName: Required value".into());
            }
            config.scheduler_name = name.clone();
        }
        let Some(plugins) = &profile.plugins else {
            return Ok(config);
        };
        if let Some(set) = &plugins.multi_point {
            apply_set(&mut config, set, "multiPoint", true)?;
        }
        if let Some(set) = &plugins.score {
            apply_set(&mut config, set, "score", false)?;
        }
        Ok(config)
    }
}

fn apply_set(
    config: &mut ProfileConfig,
    set: &PluginSet,
    point: &str,
    whole_plugin: bool,
) -> Result<(), String> {
    let known = |name: &str| DEFAULT_PLUGINS.iter().any(|(n, _)| *n == name);
    for (i, p) in set.disabled.iter().enumerate() {
        let names: Vec<&str> = if p.name == "*" {
            DEFAULT_PLUGINS.iter().map(|(n, _)| *n).collect()
        } else if known(&p.name) {
            vec![p.name.as_str()]
        } else {
            return Err(unknown(point, "disabled", i, &p.name));
        };
        for name in names {
            if whole_plugin {
                config.disabled.insert(name.to_string());
            } else {
                config.weights.insert(name.to_string(), 0);
            }
        }
    }
    for (i, p) in set.enabled.iter().enumerate() {
        if !known(&p.name) {
            return Err(unknown(point, "enabled", i, &p.name));
        }
        config.disabled.remove(&p.name);
        if let Some(w) = p.weight {
            // Upstream `getScoreWeights`: "a weight of zero is not permitted", it becomes 1.
            let w = if w == 0 { 1 } else { i64::from(w) };
            config.weights.insert(p.name.clone(), w);
        } else if !whole_plugin {
            // Re-enabling a score plugin without a weight gives it weight 1, as upstream.
            config.weights.entry(p.name.clone()).or_insert(1);
        }
    }
    Ok(())
}

fn unknown(point: &str, list: &str, i: usize, name: &str) -> String {
    format!(
        "profiles[0].plugins.{point}.{list}[{i}].name: Invalid value: \"{name}\": podflow simulates the default plugins only: {}",
        DEFAULT_PLUGINS
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn spec(json: serde_json::Value) -> SchedulerSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn score_weights_and_disabled_plugins_become_a_profile() {
        let config = spec(serde_json::json!({
            "percentageOfNodesToScore": 30,
            "profiles": [{ "plugins": {
                "score": {
                    "disabled": [{ "name": "ImageLocality" }],
                    "enabled": [{ "name": "NodeResourcesBalancedAllocation", "weight": 5 }]
                },
                "multiPoint": { "disabled": [{ "name": "TaintToleration" }] }
            }}]
        }))
        .profile_config()
        .unwrap();
        assert_eq!(config.percentage_of_nodes_to_score, Some(30));
        let zero = spec(serde_json::json!({
            "profiles": [{ "plugins": { "score": { "enabled": [{ "name": "ImageLocality", "weight": 0 }] } } }]
        }))
        .profile_config()
        .unwrap();
        assert_eq!(zero.weights.get("ImageLocality"), Some(&1));
        assert_eq!(config.weights.get("ImageLocality"), Some(&0));
        assert_eq!(
            config.weights.get("NodeResourcesBalancedAllocation"),
            Some(&5)
        );
        assert!(config.disabled.contains("TaintToleration"));
        assert!(!config.disabled.contains("ImageLocality"));
    }

    #[test]
    fn bad_configurations_get_kube_scheduler_style_errors() {
        assert_eq!(
            spec(serde_json::json!({ "percentageOfNodesToScore": 101 })).profile_config(),
            Err("percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]".into())
        );
        let err = spec(serde_json::json!({
            "profiles": [{ "plugins": { "score": { "enabled": [{ "name": "Foo" }] } } }]
        }))
        .profile_config()
        .unwrap_err();
        assert!(
            err.starts_with(
                "profiles[0].plugins.score.enabled[0].name: Invalid value: \"Foo\": podflow simulates the default plugins only: SchedulingGates, PrioritySort,"
            ),
            "{err}"
        );
        assert!(spec(serde_json::json!({ "profiles": [{}, {}] }))
            .profile_config()
            .is_err());
    }
}
