//! The timeline: every Event as `kubectl get events` shows it plus the component that recorded
//! it, filterable by object, component and type, and a scrubber over virtual time that rebuilds
//! the cluster at any past moment. A big cluster's log (150,000 Events at 30,000 pods) is drawn
//! bounded: the newest [`MAX_ROWS`] matching rows ([`PLAYING_ROWS`] while playing), and at most
//! [`MAX_TICKS`] axis ticks (Events closer than one tick's width share it).

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// At most this many rows are drawn: the newest that match the filters; the rest are counted.
pub const MAX_ROWS: usize = 200;
/// While playing, at most this many rows are drawn: what the table shows without scrolling. A
/// big cluster's Events arrive by the thousand between two renders, so each render replaces
/// every row; with 200 that cost more than the rest of the page together (at 1,000 nodes and
/// 30,000 pods, one refresh of a 60 Hz display missed in five frames became one in fourteen with
/// no rows drawn), and with 50 the rows past the table's height still cost the renderer their
/// DOM and their layout at every render, unseen. Paused, the page draws [`MAX_ROWS`] again.
pub const PLAYING_ROWS: usize = 20;
/// At most this many ticks are drawn on the axis.
pub const MAX_TICKS: usize = 500;

/// One Event row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// The Event's etcd key: the row's identity, so a redraw moves rows instead of rewriting
    /// every cell when newer Events push them down.
    pub key: String,
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

/// The timeline's filters: an object substring, a component, a type (empty: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// A part of OBJECT, e.g. `pod/nginx`.
    pub object: String,
    /// The recording component, exactly.
    pub component: String,
    /// `Normal` or `Warning`.
    pub type_: String,
}

impl EventFilter {
    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        self.object.is_empty() && self.component.is_empty() && self.type_.is_empty()
    }

    /// Whether an Event passes the filters.
    pub fn matches(&self, e: &podflow_core::overview::events::EventEntry) -> bool {
        (self.object.is_empty() || e.object.contains(self.object.as_str()))
            && (self.component.is_empty() || e.component == self.component)
            && (self.type_.is_empty() || e.type_ == self.type_)
    }
}

/// One tick of the axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// Its identity on the axis: the Event's place in the log, or past [`MAX_TICKS`] Events the
    /// bucket (a fixed place on the axis, so a redraw keeps the tick's element).
    pub bucket: u64,
    /// Where, as a percentage of the span.
    pub left: f64,
    /// Whether an Event it stands for is a Warning.
    pub warning: bool,
    /// The hover text.
    pub title: String,
}

/// What the timeline draws ([`crate::view::timeline`] builds it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimelineData {
    /// How many Events there are.
    pub total: usize,
    /// How many match the filters.
    pub matching: usize,
    /// The newest that match (at most [`MAX_ROWS`]), oldest first.
    pub rows: Vec<EventRow>,
    /// The components that recorded Events, in name order.
    pub components: Vec<String>,
    /// The axis ticks.
    pub ticks: Vec<Tick>,
}

/// Properties of [`Timeline`].
#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    /// The rows, choices and ticks to draw.
    pub data: TimelineData,
    /// The filters in force.
    #[prop_or_default]
    pub filter: EventFilter,
    /// Called with the filters changed.
    #[prop_or_default]
    pub on_filter: Callback<EventFilter>,
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
    let data = &props.data;
    let filter = &props.filter;
    let on_object = {
        let (filter, on_filter) = (filter.clone(), props.on_filter.clone());
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            on_filter.emit(EventFilter {
                object: el.value(),
                ..filter.clone()
            });
        })
    };
    let select = |set: fn(&mut EventFilter, String)| {
        let (filter, on_filter) = (filter.clone(), props.on_filter.clone());
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            let mut f = filter.clone();
            set(&mut f, el.value());
            on_filter.emit(f);
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
    // A tick's hover text is set on the tick under the pointer only: while playing a big
    // cluster every tick's count changes at each render, and rewriting 500 titles per render
    // was most of the 3 ms of a 13.6 ms render that went to `setAttribute` and the text passed
    // to it (1,000 nodes, 30,000 pods, in Chromium).
    let hovered = use_state_eq(|| None::<u64>);
    let on_hover = {
        let hovered = hovered.clone();
        Callback::from(move |e: MouseEvent| {
            let tick = e
                .target_dyn_into::<web_sys::Element>()
                .and_then(|el| el.get_attribute("data-tick"))
                .and_then(|b| b.parse::<u64>().ok());
            hovered.set(tick);
        })
    };
    let on_leave = {
        let hovered = hovered.clone();
        Callback::from(move |_: MouseEvent| hovered.set(None))
    };
    let hidden = data.matching.saturating_sub(data.rows.len());
    html! {
        <section class="timeline" aria-label="Timeline">
            <h2>{ format!("Events · {}", data.total) }</h2>
            <div class="axis" aria-hidden="true" onmouseover={on_hover} onmouseleave={on_leave}>
                { for data.ticks.iter().map(|t| {
                    let left = format!("left: {:.2}%", t.left);
                    let title = (*hovered == Some(t.bucket)).then(|| t.title.clone());
                    html! {
                        <span key={t.bucket} data-tick={t.bucket.to_string()}
                            class={classes!("tick", t.warning.then_some("warning"))} style={left} {title} />
                    }
                }) }
            </div>
            <input class="scrubber" type="range" min="0" max={props.horizon_ms.to_string()} step="100"
                value={props.now_ms.to_string()} onchange={on_scrub} aria-label="Travel to a moment" />
            <div class="filters">
                <input type="search" placeholder="object, e.g. pod/nginx" value={filter.object.clone()} oninput={on_object} aria-label="Filter by object" />
                <select onchange={select(|f, v| f.component = v)} aria-label="Filter by component">
                    <option value="">{ "all components" }</option>
                    { for data.components.iter().map(|c| html! { <option value={c.clone()} selected={filter.component == *c}>{ c }</option> }) }
                </select>
                <select onchange={select(|f, v| f.type_ = v)} aria-label="Filter by type">
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
                    { for data.rows.iter().map(|e| html! {
                        <tr key={e.key.clone()} class={classes!((e.type_ == "Warning").then_some("warning"))}>
                            <td>{ &e.last_seen }</td><td>{ &e.type_ }</td><td>{ &e.reason }</td>
                            <td>{ &e.object }</td><td>{ &e.component }</td><td class="message">{ &e.message }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            if hidden > 0 {
                <p class="more-events">{ format!("showing the newest {} of {} events", data.rows.len(), data.matching) }</p>
            }
        </section>
    }
}
