//! The plugin registry and scheduling profiles: which plugins run at each extension point, in
//! upstream order, with their score weights (upstream `plugins/registry.go`,
//! `apis/config/v1/default_plugins.go` and `KubeSchedulerConfiguration` profiles).

use std::collections::{BTreeMap, BTreeSet};

use crate::scheduler::framework::{
    BindPlugin, FilterPlugin, PermitPlugin, PostFilterPlugin, PreBindPlugin, PreEnqueuePlugin,
    PreFilterPlugin, PreScorePlugin, QueueSortPlugin, ReservePlugin, ScorePlugin,
};
use crate::scheduler::plugins::*;

/// The default plugins of the `default-scheduler` profile in v1.33, in upstream order, with their
/// score weights (0 for plugins that do not score).
pub const DEFAULT_PLUGINS: &[(&str, i64)] = &[
    (scheduling_gates::NAME, 0),
    (priority_sort::NAME, 0),
    (node_unschedulable::NAME, 0),
    (node_name::NAME, 0),
    (taint_toleration::NAME, 3),
    (node_affinity::NAME, 2),
    (node_ports::NAME, 0),
    (node_resources_fit::NAME, 1),
    (volume_restrictions::NAME, 0),
    (volume_binding::NAME, 0),
    (pod_topology_spread::NAME, 2),
    (inter_pod_affinity::NAME, 2),
    (default_preemption::NAME, 0),
    (node_resources_balanced_allocation::NAME, 1),
    (image_locality::NAME, 1),
    (default_binder::NAME, 0),
];

/// The upstream default score weight of a plugin (0 when it does not score or is unknown).
pub fn default_weight(name: &str) -> i64 {
    DEFAULT_PLUGINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, w)| *w)
        .unwrap_or(0)
}

/// A profile as written in a `KubeSchedulerConfiguration` (the parts podflow supports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileConfig {
    /// `schedulerName`; default `default-scheduler`.
    pub scheduler_name: String,
    /// Plugins disabled at every extension point (`plugins.multiPoint.disabled`); default none.
    pub disabled: BTreeSet<String>,
    /// Score weight overrides by plugin name; default none (upstream weights).
    pub weights: BTreeMap<String, i64>,
    /// `percentageOfNodesToScore`; default `None` (adaptive `50 − nodes/125`, at least 5).
    pub percentage_of_nodes_to_score: Option<u32>,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig {
            scheduler_name: "default-scheduler".into(),
            disabled: BTreeSet::new(),
            weights: BTreeMap::new(),
            percentage_of_nodes_to_score: None,
        }
    }
}

/// A score plugin with its weight.
pub struct WeightedScorePlugin {
    /// The plugin.
    pub plugin: Box<dyn ScorePlugin>,
    /// Its weight in the total.
    pub weight: i64,
}

/// A built profile: the plugins at each extension point, in order.
pub struct Profile {
    /// `schedulerName` pods select this profile by.
    pub scheduler_name: String,
    /// `percentageOfNodesToScore` (`None`: adaptive).
    pub percentage_of_nodes_to_score: Option<u32>,
    /// PreEnqueue plugins.
    pub pre_enqueue: Vec<Box<dyn PreEnqueuePlugin>>,
    /// The queue sort plugin.
    pub queue_sort: Box<dyn QueueSortPlugin>,
    /// PreFilter plugins.
    pub pre_filter: Vec<Box<dyn PreFilterPlugin>>,
    /// Filter plugins; the first rejection decides a node.
    pub filter: Vec<Box<dyn FilterPlugin>>,
    /// PostFilter plugins (preemption).
    pub post_filter: Vec<Box<dyn PostFilterPlugin>>,
    /// PreScore plugins.
    pub pre_score: Vec<Box<dyn PreScorePlugin>>,
    /// Score plugins with weights.
    pub score: Vec<WeightedScorePlugin>,
    /// Reserve plugins.
    pub reserve: Vec<Box<dyn ReservePlugin>>,
    /// Permit plugins.
    pub permit: Vec<Box<dyn PermitPlugin>>,
    /// PreBind plugins.
    pub pre_bind: Vec<Box<dyn PreBindPlugin>>,
    /// Bind plugins; the first that does not skip binds.
    pub bind: Vec<Box<dyn BindPlugin>>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("scheduler_name", &self.scheduler_name)
            .field(
                "filter",
                &self.filter.iter().map(|p| p.name()).collect::<Vec<_>>(),
            )
            .field(
                "score",
                &self
                    .score
                    .iter()
                    .map(|s| (s.plugin.name(), s.weight))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::new(&ProfileConfig::default())
    }
}

impl Profile {
    /// The `default-scheduler` profile with every default plugin.
    pub fn default_scheduler() -> Profile {
        Profile::default()
    }

    /// Builds a profile from its configuration, keeping upstream plugin order.
    pub fn new(config: &ProfileConfig) -> Profile {
        let mut p = Profile {
            scheduler_name: config.scheduler_name.clone(),
            percentage_of_nodes_to_score: config.percentage_of_nodes_to_score,
            pre_enqueue: Vec::new(),
            queue_sort: Box::new(priority_sort::PrioritySort),
            pre_filter: Vec::new(),
            filter: Vec::new(),
            post_filter: Vec::new(),
            pre_score: Vec::new(),
            score: Vec::new(),
            reserve: Vec::new(),
            permit: Vec::new(),
            pre_bind: Vec::new(),
            bind: Vec::new(),
        };
        for (name, default) in DEFAULT_PLUGINS {
            if config.disabled.contains(*name) {
                continue;
            }
            let weight = config.weights.get(*name).copied().unwrap_or(*default);
            p.register(name, weight);
        }
        p
    }

    fn add_score(&mut self, plugin: Box<dyn ScorePlugin>, weight: i64) {
        // Weight 0 is how a profile disables a score plugin; negative weights subtract.
        if weight != 0 {
            self.score.push(WeightedScorePlugin { plugin, weight });
        }
    }

    fn register(&mut self, name: &str, weight: i64) {
        use inter_pod_affinity::InterPodAffinity as Ipa;
        use node_affinity::NodeAffinity as Na;
        use node_resources_balanced_allocation::NodeResourcesBalancedAllocation as Ba;
        use node_resources_fit::NodeResourcesFit as Fit;
        use pod_topology_spread::PodTopologySpread as Pts;
        use taint_toleration::TaintToleration as Tt;
        match name {
            scheduling_gates::NAME => self
                .pre_enqueue
                .push(Box::new(scheduling_gates::SchedulingGates)),
            priority_sort::NAME => self.queue_sort = Box::new(priority_sort::PrioritySort),
            node_unschedulable::NAME => self
                .filter
                .push(Box::new(node_unschedulable::NodeUnschedulable)),
            node_name::NAME => self.filter.push(Box::new(node_name::NodeName)),
            taint_toleration::NAME => {
                self.filter.push(Box::new(Tt));
                self.pre_score.push(Box::new(Tt));
                self.add_score(Box::new(Tt), weight);
            }
            node_affinity::NAME => {
                self.pre_filter.push(Box::new(Na));
                self.filter.push(Box::new(Na));
                self.pre_score.push(Box::new(Na));
                self.add_score(Box::new(Na), weight);
            }
            node_ports::NAME => {
                self.pre_filter.push(Box::new(node_ports::NodePorts));
                self.filter.push(Box::new(node_ports::NodePorts));
            }
            node_resources_fit::NAME => {
                self.pre_filter.push(Box::new(Fit));
                self.filter.push(Box::new(Fit));
                self.add_score(Box::new(Fit), weight);
            }
            volume_restrictions::NAME => self
                .pre_filter
                .push(Box::new(volume_restrictions::VolumeRestrictions)),
            volume_binding::NAME => self
                .pre_filter
                .push(Box::new(volume_binding::VolumeBinding)),
            pod_topology_spread::NAME => {
                self.pre_filter.push(Box::new(Pts));
                self.filter.push(Box::new(Pts));
                self.pre_score.push(Box::new(Pts));
                self.add_score(Box::new(Pts), weight);
            }
            inter_pod_affinity::NAME => {
                self.pre_filter.push(Box::new(Ipa));
                self.filter.push(Box::new(Ipa));
                self.pre_score.push(Box::new(Ipa));
                self.add_score(Box::new(Ipa), weight);
            }
            default_preemption::NAME => self
                .post_filter
                .push(Box::new(default_preemption::DefaultPreemption)),
            node_resources_balanced_allocation::NAME => {
                self.pre_score.push(Box::new(Ba));
                self.add_score(Box::new(Ba), weight);
            }
            image_locality::NAME => {
                self.pre_score.push(Box::new(image_locality::ImageLocality));
                self.add_score(Box::new(image_locality::ImageLocality), weight);
            }
            default_binder::NAME => self.bind.push(Box::new(default_binder::DefaultBinder)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_default_profile_has_upstream_order_and_weights() {
        let p = Profile::default_scheduler();
        let filters: Vec<&str> = p.filter.iter().map(|f| f.name()).collect();
        assert_eq!(
            filters,
            vec![
                "NodeUnschedulable",
                "NodeName",
                "TaintToleration",
                "NodeAffinity",
                "NodePorts",
                "NodeResourcesFit",
                "PodTopologySpread",
                "InterPodAffinity",
            ]
        );
        let scores: Vec<(&str, i64)> = p
            .score
            .iter()
            .map(|s| (s.plugin.name(), s.weight))
            .collect();
        assert_eq!(
            scores,
            vec![
                ("TaintToleration", 3),
                ("NodeAffinity", 2),
                ("NodeResourcesFit", 1),
                ("PodTopologySpread", 2),
                ("InterPodAffinity", 2),
                ("NodeResourcesBalancedAllocation", 1),
                ("ImageLocality", 1),
            ]
        );
        let pre: Vec<&str> = p.pre_filter.iter().map(|f| f.name()).collect();
        assert_eq!(
            pre,
            vec![
                "NodeAffinity",
                "NodePorts",
                "NodeResourcesFit",
                "VolumeRestrictions",
                "VolumeBinding",
                "PodTopologySpread",
                "InterPodAffinity",
            ]
        );
    }

    #[test]
    fn a_profile_can_disable_plugins_and_change_weights() {
        let mut cfg = ProfileConfig::default();
        cfg.disabled.insert("ImageLocality".into());
        cfg.weights.insert("NodeResourcesFit".into(), 5);
        let p = Profile::new(&cfg);
        assert!(p.score.iter().all(|s| s.plugin.name() != "ImageLocality"));
        assert_eq!(
            p.score
                .iter()
                .find(|s| s.plugin.name() == "NodeResourcesFit")
                .map(|s| s.weight),
            Some(5)
        );
    }
}
