//! The scheduler's decision record for one attempt as a table: a row per evaluated node with
//! the first filter that turned it down (or `passed`), each score plugin's raw → normalized ×
//! weight, and the total; the chosen node is highlighted.

use podflow_core::scheduler::decision::Decision;
use yew::prelude::*;

/// Properties of [`DecisionTable`].
#[derive(Properties, PartialEq)]
pub struct DecisionTableProps {
    /// The attempt to show.
    pub decision: Decision,
}

/// One scheduling attempt, node by node.
#[function_component(DecisionTable)]
pub fn decision_table(props: &DecisionTableProps) -> Html {
    let d = &props.decision;
    let plugins = d.score_plugins();
    let summary = d.summary();
    html! {
        <div class="decision">
            <p class="decision-summary">{ summary }</p>
            { for d.pre_filter.iter().filter(|v| !v.passed()).map(|v| html! {
                <p class="decision-prefilter">{ format!("PreFilter {}: {}", v.plugin, v.reason) }</p>
            }) }
            if let Some(p) = &d.post_filter {
                <p class="decision-postfilter">{ format!("PostFilter: {p}") }</p>
            }
            <table class="decision-table">
                <thead>
                    <tr>
                        <th>{ "NODE" }</th>
                        <th>{ "FILTERS" }</th>
                        { for plugins.iter().map(|p| html! { <th>{ *p }</th> }) }
                        <th>{ "TOTAL" }</th>
                    </tr>
                </thead>
                <tbody>
                    { for d.nodes().map(|n| {
                        let chosen = d.chosen.as_deref() == Some(n.node());
                        let verdict = n.verdict();
                        let class = classes!(
                            "decision-node",
                            chosen.then_some("chosen"),
                            (!n.feasible()).then_some("rejected")
                        );
                        html! {
                            <tr class={class} data-node={n.node().to_string()}>
                                <td>{ n.node() }</td>
                                <td class="verdict">{ verdict }</td>
                                { for plugins.iter().map(|p| {
                                    let cell = n.score(p).map_or(
                                        "-".to_string(),
                                        |s| format!("{} \u{2192} {} \u{d7} {}", s.raw, s.normalized, s.weight),
                                    );
                                    html! { <td class="score">{ cell }</td> }
                                }) }
                                <td class="total">{ n.total().map_or("-".to_string(), |t| t.to_string()) }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            if d.unrecorded_nodes > 0 {
                <p class="decision-more">{ format!("{} more node(s) evaluated, not recorded", d.unrecorded_nodes) }</p>
            }
        </div>
    }
}
