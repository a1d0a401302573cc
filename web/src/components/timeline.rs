//! The timeline: every Event as `kubectl get events` shows it plus the component that recorded
//! it, filterable by object, component and type, and a scrubber over virtual time that rebuilds
//! the cluster at any past moment. A big cluster's log (150,000 Events at 30,000 pods) is drawn
//! bounded: the newest [`MAX_ROWS`] matching rows, and at most [`MAX_TICKS`] axis ticks (Events
//! closer than one tick's width share it).

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// At most this many rows are drawn: the newest that match the filters; the rest are counted.
pub const MAX_ROWS: usize = 200;
/// At most this many ticks are drawn on the axis.
pub const MAX_TICKS: usize = 500;

/// One Event row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// When it was last seen, ms of virtual time.
    pub at_ms: u64,
    /// LAST SEEN, as kubectl prints it.
    pub last_seen: String,
    /// `Normal` or `Warning`.
    pub type_: String,
    /// REASON.
    pub reason: String,
    /// OBJECT, `pod/nginx`.
    pub object: String,
    /// The recording component: `kubelet`, `default-scheduler`, `replicaset-controller`, …
    pub component: String,
    /// MESSAGE.
    pub message: String,
}

/// Properties of [`Timeline`].
#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    /// Every Event, oldest first.
    pub events: Vec<EventRow>,
    /// The playhead, ms.
    pub now_ms: u64,
    /// The furthest moment reached, ms.
    pub horizon_ms: u64,
    /// Called with a moment to travel to, ms.
    pub on_seek: Callback<u64>,
}

/// The timeline.
#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let object = use_state(String::new);
    let component = use_state(String::new);
    let type_ = use_state(String::new);
    let mut components: Vec<&str> = props.events.iter().map(|e| e.component.as_str()).collect();
    components.sort();
    components.dedup();
    let shown: Vec<&EventRow> = props
        .events
        .iter()
        .filter(|e| object.is_empty() || e.object.contains(object.as_str()))
        .filter(|e| component.is_empty() || e.component == *component)
        .filter(|e| type_.is_empty() || e.type_ == *type_)
        .collect();
    let on_object = {
        let object = object.clone();
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            object.set(el.value());
        })
    };
    let select = |state: UseStateHandle<String>| {
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            state.set(el.value());
        })
    };
    let on_scrub = {
        let on_seek = props.on_seek.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            if let Ok(ms) = el.value().parse::<u64>() {
                on_seek.emit(ms);
            }
        })
    };
    let span = props.horizon_ms.max(1) as f64;
    let hidden = shown.len().saturating_sub(MAX_ROWS);
    // Ticks: one per Event, or per 1/MAX_TICKS of the span (warning when any of its Events is).
    let mut ticks: Vec<(f64, bool, String)> = Vec::new();
    if props.events.len() <= MAX_TICKS {
        ticks.extend(props.events.iter().map(|e| {
            (
                e.at_ms as f64 * 100.0 / span,
                e.type_ == "Warning",
                format!("{} {}", e.reason, e.object),
            )
        }));
    } else {
        let mut buckets: std::collections::BTreeMap<usize, (bool, usize, &EventRow)> =
            Default::default();
        for e in &props.events {
            let b = ((e.at_ms as f64 / span) * MAX_TICKS as f64) as usize;
            let entry = buckets.entry(b).or_insert((false, 0, e));
            entry.0 |= e.type_ == "Warning";
            entry.1 += 1;
        }
        ticks.extend(buckets.into_iter().map(|(b, (warning, n, first))| {
            (
                b as f64 * 100.0 / MAX_TICKS as f64,
                warning,
                format!("{} {} and {} more", first.reason, first.object, n - 1),
            )
        }));
    }
    html! {
        <section class="timeline" aria-label="Timeline">
            <h2>{ format!("Events · {}", props.events.len()) }</h2>
            <div class="axis" aria-hidden="true">
                { for ticks.into_iter().map(|(left, warning, title)| {
                    let left = format!("left: {left:.2}%");
                    html! { <span class={classes!("tick", warning.then_some("warning"))} style={left} {title} /> }
                }) }
            </div>
            <input class="scrubber" type="range" min="0" max={props.horizon_ms.to_string()} step="100"
                value={props.now_ms.to_string()} onchange={on_scrub} aria-label="Travel to a moment" />
            <div class="filters">
                <input type="search" placeholder="object, e.g. pod/nginx" value={(*object).clone()} oninput={on_object} aria-label="Filter by object" />
                <select onchange={select(component.clone())} aria-label="Filter by component">
                    <option value="">{ "all components" }</option>
                    { for components.iter().map(|c| html! { <option value={c.to_string()} selected={*component == *c}>{ *c }</option> }) }
                </select>
                <select onchange={select(type_.clone())} aria-label="Filter by type">
                    <option value="">{ "all types" }</option>
                    <option value="Normal">{ "Normal" }</option>
                    <option value="Warning">{ "Warning" }</option>
                </select>
            </div>
            <table class="events">
                <thead><tr>
                    <th>{ "LAST SEEN" }</th><th>{ "TYPE" }</th><th>{ "REASON" }</th><th>{ "OBJECT" }</th><th>{ "COMPONENT" }</th><th>{ "MESSAGE" }</th>
                </tr></thead>
                <tbody>
                    { for shown.iter().skip(hidden).map(|e| html! {
                        <tr class={classes!((e.type_ == "Warning").then_some("warning"))}>
                            <td>{ &e.last_seen }</td><td>{ &e.type_ }</td><td>{ &e.reason }</td>
                            <td>{ &e.object }</td><td>{ &e.component }</td><td class="message">{ &e.message }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            if hidden > 0 {
                <p class="more-events">{ format!("showing the newest {MAX_ROWS} of {} events", shown.len()) }</p>
            }
        </section>
    }
}
