//! A record of one scheduling attempt for the UI: every evaluated node's filter verdicts, every
//! score plugin's raw, normalized and weighted score, the totals and the chosen node.

use std::sync::Arc;

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

/// A score plugin that ran in the attempt: one column of the decision table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScoreColumn {
    /// The plugin's name.
    pub plugin: &'static str,
    /// Its weight in the profile.
    pub weight: i64,
}

/// What one recorded node's filters said, compactly: every filter that ran passed, but the last
/// one when it rejected the node (filters run in plugin order and stop at the first rejection).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterTrace {
    /// How many filters ran on the node.
    pub run: usize,
    /// The last one's code and reason, when it did not return `Success`.
    pub last: Option<(Code, String)>,
}

/// One recorded node, as stored: its name, its filters' outcome and where its scores are.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NodeRecord {
    node: Arc<str>,
    /// How many of the attempt's filters ran on it.
    filters_run: u8,
    /// The last filter's code and reason, when it did not pass.
    last: Option<Box<(Code, String)>>,
    /// Where its row starts in the attempt's scores, when it was scored.
    scores_at: Option<u32>,
    /// The weighted total, when it was scored.
    total: Option<i64>,
}

/// A score before and after NormalizeScore, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RawScore {
    raw: i64,
    normalized: i64,
}

/// What happened to one node in the attempt: a view of the record.
#[derive(Clone, Copy)]
pub struct NodeDecision<'d> {
    decision: &'d Decision,
    record: &'d NodeRecord,
}

impl<'d> NodeDecision<'d> {
    /// The node's name.
    pub fn node(&self) -> &'d str {
        &self.record.node
    }

    /// Filter verdicts in plugin order, up to and including the first rejection.
    pub fn filters(&self) -> Vec<PluginVerdict> {
        let run = usize::from(self.record.filters_run);
        let plugins = &self.decision.filter_plugins[..run.min(self.decision.filter_plugins.len())];
        plugins
            .iter()
            .enumerate()
            .map(|(i, plugin)| match self.record.last.as_deref() {
                Some((code, reason)) if i + 1 == run => PluginVerdict {
                    plugin,
                    code: *code,
                    reason: reason.clone(),
                },
                _ => PluginVerdict {
                    plugin,
                    code: Code::Success,
                    reason: String::new(),
                },
            })
            .collect()
    }

    /// The verdict of the filter that stopped, when it did not pass.
    fn rejection(&self) -> Option<(&'static str, &'d str)> {
        let (code, reason) = self.record.last.as_deref()?;
        if matches!(code, Code::Success | Code::Skip) {
            return None;
        }
        let at = usize::from(self.record.filters_run).checked_sub(1)?;
        let plugin = self.decision.filter_plugins.get(at).copied().unwrap_or("");
        Some((plugin, reason.as_str()))
    }

    /// Whether every filter passed.
    pub fn feasible(&self) -> bool {
        self.rejection().is_none()
    }

    /// The filter verdict as one cell: the rejecting plugin and its reason, `passed`, or `-`
    /// when no filter ran.
    pub fn verdict(&self) -> String {
        match self.rejection() {
            Some((plugin, reason)) => format!("{plugin}: {reason}"),
            None if self.record.filters_run == 0 => "-".into(),
            None => "passed".into(),
        }
    }

    /// Score contributions in the order the plugins ran (empty when the node was infeasible or
    /// scoring was skipped).
    pub fn scores(&self) -> Vec<PluginScore> {
        (0..self.decision.score_columns.len())
            .filter_map(|c| self.score_at(c))
            .collect()
    }

    /// What the score plugin `plugin` gave this node, if it was scored.
    pub fn score(&self, plugin: &str) -> Option<PluginScore> {
        let c = self
            .decision
            .score_columns
            .iter()
            .position(|col| col.plugin == plugin)?;
        self.score_at(c)
    }

    fn score_at(&self, column: usize) -> Option<PluginScore> {
        let at = self.record.scores_at? as usize;
        let col = self.decision.score_columns.get(column)?;
        let s = self.decision.scores.get(at + column)?;
        Some(PluginScore {
            plugin: col.plugin,
            raw: s.raw,
            normalized: s.normalized,
            weight: col.weight,
            weighted: s.normalized * col.weight,
        })
    }

    /// The weighted total, when the node was scored.
    pub fn total(&self) -> Option<i64> {
        self.record.total
    }
}

impl std::fmt::Debug for NodeDecision<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeDecision")
            .field("node", &self.node())
            .field("filters", &self.filters())
            .field("scores", &self.scores())
            .field("total", &self.total())
            .finish()
    }
}

/// The record of one attempt to schedule one pod. Kept for the UI's pod panel (the scheduler
/// keeps the latest 1,024), so it is stored compactly: a recorded node is its name, how many
/// filters ran on it with the last one's verdict when it rejected, and a row of raw and
/// normalized scores; the plugin names and weights are kept once per attempt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    /// `namespace/name` of the pod.
    pub pod: String,
    /// Nodes in the snapshot.
    pub total_nodes: usize,
    /// How many feasible nodes the search stopped at (`numFeasibleNodesToFind`).
    pub nodes_to_find: usize,
    /// PreFilter verdicts in plugin order.
    pub pre_filter: Vec<PluginVerdict>,
    /// The filters of this cycle in order (the profile's, minus those PreFilter skipped).
    pub filter_plugins: Vec<&'static str>,
    /// The score plugins that ran, in order, with their weights.
    pub score_columns: Vec<ScoreColumn>,
    /// Per-node records, in evaluation order, at most [`MAX_RECORDED_NODES`].
    nodes: Vec<NodeRecord>,
    /// Each scored recorded node's row of `score_stride` scores.
    scores: Vec<RawScore>,
    /// How many score plugins each row has room for.
    score_stride: usize,
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
    /// An empty record of an attempt for `pod` (`namespace/name`) among `total_nodes` nodes.
    pub fn new(pod: String, total_nodes: usize) -> Decision {
        Decision {
            pod,
            total_nodes,
            ..Default::default()
        }
    }

    /// Starts recording an attempt for the node called `name()` (returns its slot, or `None`
    /// past the bound; the name is asked for only when the node is recorded).
    #[inline]
    pub fn record_node(&mut self, name: impl FnOnce() -> Arc<str>) -> Option<usize> {
        if self.nodes.len() >= MAX_RECORDED_NODES {
            self.unrecorded_nodes += 1;
            return None;
        }
        self.nodes.push(NodeRecord {
            node: name(),
            filters_run: 0,
            last: None,
            scores_at: None,
            total: None,
        });
        Some(self.nodes.len() - 1)
    }

    /// Makes room for about `n` recorded nodes.
    pub fn reserve_nodes(&mut self, n: usize) {
        self.nodes.reserve(n.min(MAX_RECORDED_NODES));
    }

    /// Records what the filters said on the node in `slot`.
    pub fn set_filters(&mut self, slot: usize, trace: FilterTrace) {
        if let Some(r) = self.nodes.get_mut(slot) {
            r.filters_run = u8::try_from(trace.run).unwrap_or(u8::MAX);
            r.last = trace.last.map(Box::new);
        }
    }

    /// Starts the scores: `columns` score plugins will run, each scoring the feasible nodes, of
    /// which the recorded ones have the slots `slots` in the record.
    #[inline]
    pub fn start_scores(&mut self, columns: usize, slots: &[usize]) {
        self.score_stride = columns;
        self.scores.reserve(columns * slots.len());
        for slot in slots {
            let at = u32::try_from(self.scores.len()).ok();
            if let Some(r) = self.nodes.get_mut(*slot) {
                r.scores_at = at;
                let zero = RawScore {
                    raw: 0,
                    normalized: 0,
                };
                self.scores.resize(self.scores.len() + columns, zero);
            }
        }
    }

    /// Adds a score plugin's column (call before [`Decision::set_score`] for it).
    pub fn push_score_column(&mut self, plugin: &'static str, weight: i64) {
        self.score_columns.push(ScoreColumn { plugin, weight });
    }

    /// Records the current score column's raw and normalized score for the node in `slot`.
    pub fn set_score(&mut self, slot: usize, raw: i64, normalized: i64) {
        let column = self.score_columns.len().saturating_sub(1);
        if column >= self.score_stride {
            return;
        }
        let at = self.nodes.get(slot).and_then(|r| r.scores_at);
        if let Some(s) = at.and_then(|at| self.scores.get_mut(at as usize + column)) {
            *s = RawScore { raw, normalized };
        }
    }

    /// Records the weighted total of the node in `slot`.
    pub fn set_total(&mut self, slot: usize, total: i64) {
        if let Some(r) = self.nodes.get_mut(slot) {
            r.total = Some(total);
        }
    }

    /// The recorded nodes, in evaluation order.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = NodeDecision<'_>> + '_ {
        self.nodes.iter().map(move |record| NodeDecision {
            decision: self,
            record,
        })
    }

    /// The recorded node called `name`, if it was recorded.
    pub fn node(&self, name: &str) -> Option<NodeDecision<'_>> {
        self.nodes().find(|n| n.node() == name)
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
        if self.nodes.iter().all(|r| r.scores_at.is_none()) {
            return Vec::new();
        }
        self.score_columns.iter().map(|c| c.plugin).collect()
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
        for n in self.nodes() {
            let chosen = self.chosen.as_deref() == Some(n.node());
            let mut row = vec![format!("{}{}", n.node(), if chosen { " *" } else { "" })];
            row.push(n.verdict());
            for p in &plugins {
                row.push(match n.score(p) {
                    Some(s) => format!("{}\u{2192}{}\u{d7}{}", s.raw, s.normalized, s.weight),
                    None => "-".into(),
                });
            }
            row.push(n.total().map_or("-".into(), |t| t.to_string()));
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

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Three nodes: one rejected at the second filter, two scored by two plugins.
    fn attempt() -> Decision {
        let mut d = Decision::new("default/web".into(), 3);
        d.filter_plugins = vec!["NodeUnschedulable", "TaintToleration", "NodeResourcesFit"];
        for name in ["a", "b", "c"] {
            let slot = d.record_node(|| name.into()).unwrap();
            let trace = if name == "a" {
                FilterTrace {
                    run: 2,
                    last: Some((
                        Code::UnschedulableAndUnresolvable,
                        "node(s) had untolerated taint {dedicated: gpu}".into(),
                    )),
                }
            } else {
                FilterTrace { run: 3, last: None }
            };
            d.set_filters(slot, trace);
        }
        d.start_scores(2, &[1, 2]);
        d.push_score_column("NodeResourcesFit", 1);
        d.set_score(1, 81, 81);
        d.set_score(2, 50, 50);
        d.push_score_column("NodeAffinity", 2);
        d.set_score(1, 0, 0);
        d.set_score(2, 80, 100);
        d.set_total(1, 81);
        d.set_total(2, 250);
        d.evaluated_nodes = 3;
        d.feasible_nodes = 2;
        d.nodes_to_find = 3;
        d.chosen = Some("c".into());
        d
    }

    #[test]
    fn a_compact_record_reads_back_every_verdict_and_score() {
        let d = attempt();
        let a = d.node("a").unwrap();
        assert!(!a.feasible());
        let filters: Vec<(&str, Code, String)> = a
            .filters()
            .into_iter()
            .map(|v| (v.plugin, v.code, v.reason))
            .collect();
        assert_eq!(
            filters,
            [
                ("NodeUnschedulable", Code::Success, String::new()),
                (
                    "TaintToleration",
                    Code::UnschedulableAndUnresolvable,
                    "node(s) had untolerated taint {dedicated: gpu}".into()
                ),
            ]
        );
        assert!(a.scores().is_empty());
        let c = d.node("c").unwrap();
        assert_eq!(c.filters().len(), 3);
        assert_eq!(
            c.score("NodeAffinity"),
            Some(PluginScore {
                plugin: "NodeAffinity",
                raw: 80,
                normalized: 100,
                weight: 2,
                weighted: 200,
            })
        );
        assert_eq!(
            d.render(),
            "Scheduling attempt for default/web: 3 node(s), 3 evaluated, 2 feasible (search stops at 3); chosen: c\n\
             NODE   FILTERS                                                           NodeResourcesFit   NodeAffinity   TOTAL\n\
             a      TaintToleration: node(s) had untolerated taint {dedicated: gpu}   -                  -              -\n\
             b      passed                                                            81\u{2192}81\u{d7}1            0\u{2192}0\u{d7}2          81\n\
             c *    passed                                                            50\u{2192}50\u{d7}1            80\u{2192}100\u{d7}2       250\n"
        );
    }
}
