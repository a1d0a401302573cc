//! A record of one scheduling attempt for the UI: every evaluated node's filter verdicts, every
//! score plugin's raw, normalized and weighted score, the totals and the chosen node.

use serde::Serialize;

use crate::kubectl::table::Table;
use crate::scheduler::framework::Code;

/// How many nodes a decision records in detail; later nodes are only counted.
pub const MAX_RECORDED_NODES: usize = 100;

/// One plugin's verdict at PreFilter or Filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginVerdict {
    /// The plugin's name.
    pub plugin: &'static str,
    /// The code it returned.
    pub code: Code,
    /// Its reasons joined with `, ` (empty on success).
    pub reason: String,
}

impl PluginVerdict {
    /// Whether the plugin let the pod through (`Success` or `Skip`).
    pub fn passed(&self) -> bool {
        matches!(self.code, Code::Success | Code::Skip)
    }
}

/// One score plugin's contribution to a node's total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PluginScore {
    /// The plugin's name.
    pub plugin: &'static str,
    /// The score before normalization.
    pub raw: i64,
    /// The score after NormalizeScore (0..=100).
    pub normalized: i64,
    /// The plugin's weight in the profile.
    pub weight: i64,
    /// `normalized × weight`.
    pub weighted: i64,
}

/// What happened to one node in the attempt.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NodeDecision {
    /// The node's name.
    pub node: String,
    /// Filter verdicts in plugin order, up to and including the first rejection.
    pub filters: Vec<PluginVerdict>,
    /// Score contributions (empty when the node was infeasible or scoring was skipped).
    pub scores: Vec<PluginScore>,
    /// The weighted total, when the node was scored.
    pub total: Option<i64>,
}

impl NodeDecision {
    /// Whether every filter passed.
    pub fn feasible(&self) -> bool {
        self.filters.iter().all(PluginVerdict::passed)
    }

    /// The filter verdict as one cell: the rejecting plugin and its reason, `passed`, or `-`
    /// when no filter ran.
    pub fn verdict(&self) -> String {
        match self.filters.iter().find(|v| !v.passed()) {
            Some(v) => format!("{}: {}", v.plugin, v.reason),
            None if self.filters.is_empty() => "-".into(),
            None => "passed".into(),
        }
    }

    /// What the score plugin `plugin` gave this node, if it was scored.
    pub fn score(&self, plugin: &str) -> Option<&PluginScore> {
        self.scores.iter().find(|s| s.plugin == plugin)
    }
}

/// The record of one attempt to schedule one pod.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Decision {
    /// `namespace/name` of the pod.
    pub pod: String,
    /// Nodes in the snapshot.
    pub total_nodes: usize,
    /// How many feasible nodes the search stopped at (`numFeasibleNodesToFind`).
    pub nodes_to_find: usize,
    /// PreFilter verdicts in plugin order.
    pub pre_filter: Vec<PluginVerdict>,
    /// Per-node details, in evaluation order, at most [`MAX_RECORDED_NODES`].
    pub nodes: Vec<NodeDecision>,
    /// Nodes evaluated but not recorded in detail.
    pub unrecorded_nodes: usize,
    /// Nodes the filters ran on.
    pub evaluated_nodes: usize,
    /// Nodes that passed every filter.
    pub feasible_nodes: usize,
    /// The chosen node, if any.
    pub chosen: Option<String>,
    /// What PostFilter (preemption) said, if it ran.
    pub post_filter: Option<String>,
}

impl Decision {
    /// Starts recording an attempt for the node called `name()` (returns its slot, or `None`
    /// past the bound; the name is asked for only when the node is recorded).
    pub fn record_node<'n>(&mut self, name: impl FnOnce() -> &'n str) -> Option<usize> {
        if self.nodes.len() >= MAX_RECORDED_NODES {
            self.unrecorded_nodes += 1;
            return None;
        }
        self.nodes.push(NodeDecision {
            node: name().to_string(),
            ..Default::default()
        });
        Some(self.nodes.len() - 1)
    }

    /// The recorded details of node `node`, if it was recorded.
    pub fn node_mut(&mut self, node: &str) -> Option<&mut NodeDecision> {
        self.nodes.iter_mut().find(|n| n.node == node)
    }

    /// One line: how many nodes there were, were evaluated and were feasible, and the outcome.
    pub fn summary(&self) -> String {
        let outcome = match &self.chosen {
            Some(node) => format!("chosen: {node}"),
            None => "no node chosen".to_string(),
        };
        format!(
            "{} node(s), {} evaluated, {} feasible (search stops at {}); {outcome}",
            self.total_nodes, self.evaluated_nodes, self.feasible_nodes, self.nodes_to_find
        )
    }

    /// The score plugins that scored any recorded node, in the order they ran.
    pub fn score_plugins(&self) -> Vec<&'static str> {
        let mut plugins: Vec<&'static str> = Vec::new();
        for s in self.nodes.iter().flat_map(|n| &n.scores) {
            if !plugins.contains(&s.plugin) {
                plugins.push(s.plugin);
            }
        }
        plugins
    }

    /// The attempt as text: a summary line, then one row per recorded node with its filter
    /// verdict (`passed`, or the rejecting plugin and its reason), each score plugin's
    /// `raw→normalized×weight` and the total, the chosen node marked `*`.
    pub fn render(&self) -> String {
        let mut out = format!("Scheduling attempt for {}: {}\n", self.pod, self.summary());
        for v in self.pre_filter.iter().filter(|v| !v.passed()) {
            out.push_str(&format!("PreFilter {}: {}\n", v.plugin, v.reason));
        }
        if let Some(p) = &self.post_filter {
            out.push_str(&format!("PostFilter: {p}\n"));
        }
        let plugins = self.score_plugins();
        let mut headers = vec!["NODE", "FILTERS"];
        headers.extend(plugins.iter().copied());
        headers.push("TOTAL");
        let mut table = Table::new(&headers);
        for n in &self.nodes {
            let chosen = self.chosen.as_deref() == Some(n.node.as_str());
            let mut row = vec![format!("{}{}", n.node, if chosen { " *" } else { "" })];
            row.push(n.verdict());
            for p in &plugins {
                row.push(match n.score(p) {
                    Some(s) => format!("{}\u{2192}{}\u{d7}{}", s.raw, s.normalized, s.weight),
                    None => "-".into(),
                });
            }
            row.push(n.total.map_or("-".into(), |t| t.to_string()));
            table.push(row);
        }
        out.push_str(&table.render());
        if self.unrecorded_nodes > 0 {
            out.push_str(&format!(
                "({} more node(s) evaluated, not recorded)\n",
                self.unrecorded_nodes
            ));
        }
        out
    }
}
