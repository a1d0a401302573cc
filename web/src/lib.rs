//! # podflow-web: the playground
//!
//! A Yew (csr) app over a [`podflow_core::session::Session`]: the simulated cluster plus the log
//! of what the user did, so any past moment can be rebuilt. The web crate holds no Kubernetes
//! logic: every status, message and table comes from the core.
//!
//! * [`App`] is the page: the time controls, the manifest editor with kubectl's output, the
//!   cluster view, the selected pod's panel, the kubectl console and the event timeline.
//! * [`view`] turns the cluster into the rows and texts the components draw.
//! * [`components`] holds one small component per file.
//! * [`start`] decides what the page opens with (a share link, the autosave or the default);
//!   [`trip`] runs the playhead's long moves (a link's run to its playhead, seeks, Back,
//!   Settle, a new seed) in time-bounded slices;
//!   [`autosave`] keeps the editor's text in `localStorage`; [`browser`] wraps the browser APIs
//!   so that none can throw; [`panic_banner`] is the error banner of last resort.

pub mod autosave;
pub mod browser;
pub mod components;
pub mod pace;
pub mod panic_banner;
pub mod start;
pub mod trip;
pub mod view;

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::Interval;
use podflow_core::session::Session;
use podflow_core::share;
use podflow_core::sim::SimTime;
use podflow_core::ApplyResult;
use wasm_bindgen::JsCast;
use yew::prelude::*;

// The word-at-a-time `memcmp` (see the crate), named so that it is linked into the app.
#[cfg(target_arch = "wasm32")]
use podflow_wasm_memcmp as _;

use components::cluster_view::{ClusterView, ClusterViewProps};
use components::console::{Console, ConsoleEntry};
use components::editor::{Editor, PresetChoice};
use components::files::Files;
use components::flow_view::FlowView;
use components::notice::Notice;
use components::pod_chip::SelectPod;
use components::pod_panel::PodPanel;
use components::share_link::{Copied, ShareLink};
use components::timeline::{EventFilter, Timeline};
use components::toolbar::{Speed, TimeCommand, Toolbar};
use pace::Pace;

/// The manifest the editor starts with: the Kubernetes docs' simple pod.
pub const DEFAULT_MANIFEST: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\nspec:\n  containers:\n  - name: nginx\n    image: nginx:1.14.2\n    ports:\n    - containerPort: 80\n";

/// Wall milliseconds a trip's slice may spend simulating (the rest of a 16 ms frame is the
/// render's).
pub const TICK_BUDGET_MS: f64 = 8.0;

/// Wall milliseconds between two slices of a trip (a seek, Back, Settle, a share link's run).
const TRIP_PERIOD_MS: u32 = 10;
/// The least wall time between two renders during a trip: the page shows the progress without
/// spending the trip's time redrawing a big cluster.
const TRIP_RENDER_MS: f64 = 250.0;

/// Whether Apply must load the text as a new scenario rather than apply it to the running
/// cluster: it carries a podflow Scenario document or Node objects (a real cluster's `kubectl
/// get nodes -o yaml`), which only take effect when a cluster is built.
pub fn loads_afresh(text: &str) -> bool {
    let kind_line = |k: &str| {
        text.lines().any(|l| {
            let l = l.trim().trim_start_matches("- ");
            l == format!("kind: {k}") || l.replace(' ', "").contains(&format!("\"kind\":\"{k}\""))
        })
    };
    (text.contains(podflow_core::scenario::API_VERSION) && kind_line("Scenario"))
        || kind_line("Node")
}

/// The whole playground page.
#[function_component(App)]
pub fn app() -> Html {
    let start = use_memo((), |_| start::Start::from_page());
    let session: Rc<RefCell<Session>> = use_mut_ref(|| start.take_session());
    let force = use_force_update();
    let text = use_state(|| start.text.clone());
    let output = use_state(|| start.output.clone());
    let notice = use_state(|| start.notice.clone());
    // A move of the playhead under way, run in slices (a share link's run to its playhead
    // first); any other action of the user's ends it where it got to.
    let trip = use_mut_ref(|| {
        start.playhead.map(|t| trip::Trip {
            travel: session.borrow().travel_to(t),
            link: true,
        })
    });
    let travelling = use_state(|| start.playhead.is_some());
    let trips = trip::Trips {
        session: session.clone(),
        trip: trip.clone(),
        travelling: travelling.clone(),
    };
    let shared = use_state(|| None::<(String, Copied)>);
    let entries = use_state(Vec::<ConsoleEntry>::new);
    let playing = use_state(|| false);
    let speed = use_state(|| Speed::X10);
    let selected = use_state(|| None::<(String, String)>);
    let zh = use_state(|| false);
    let preset = use_state(|| None::<&'static podflow_core::presets::Preset>);
    let event_filter = use_state(EventFilter::default);

    // Playing: on every animation frame, virtual time moves by the speed times the wall time
    // since the last frame, as far as the frame's budget of simulation allows; what did not fit
    // is owed to the next frames (at most two Play steps' worth), so a big cluster plays slower
    // than the speed instead of dropping frames. Every PLAY_RENDER_MS a frame draws the page
    // instead (see `pace`).
    {
        let (session, force) = (session.clone(), force.clone());
        use_effect_with((*playing, *speed), move |(playing, speed)| {
            let frames = playing.then(|| {
                let mut pace = Pace::new(*speed);
                browser::frame_loop(move || {
                    let started = browser::now_ms();
                    let plan = pace.plan(started);
                    if plan.want.0 > 0 {
                        let mut s = session.borrow_mut();
                        let from = s.now();
                        let sim_ms = pace.sim_share(plan.budget_ms);
                        s.advance_while(plan.want, || browser::now_ms() - started < sim_ms);
                        pace.ran(s.now().since(from));
                        // The overview follows in the same frame, so a render only draws.
                        let simulated = browser::now_ms();
                        s.sync_overview();
                        drop(s);
                        let synced = browser::now_ms();
                        pace.synced(simulated - started, synced - simulated);
                        browser::record_ms("__podflowSim", simulated - started);
                        browser::record_ms("__podflowSync", synced - simulated);
                    }
                    if plan.render {
                        force.force_update();
                    }
                })
            });
            move || drop(frames)
        });
    }

    // A trip runs a slice of at most TICK_BUDGET_MS every TRIP_PERIOD_MS, so on a big cluster
    // the page stays responsive and shows how far it got.
    {
        let (trips, force) = (trips.clone(), force.clone());
        use_effect_with(*travelling, move |travelling| {
            let interval = travelling.then(|| {
                let mut rendered = browser::now_ms();
                Interval::new(TRIP_PERIOD_MS, move || {
                    if trips.slice() {
                        trips.travelling.set(false);
                        force.force_update();
                    } else if browser::now_ms() - rendered >= TRIP_RENDER_MS {
                        rendered = browser::now_ms();
                        force.force_update();
                    }
                })
            });
            move || drop(interval)
        });
    }

    let on_command = {
        let trips = trips.clone();
        let (session, force, playing, speed, output, selected) = (
            session.clone(),
            force.clone(),
            playing.clone(),
            speed.clone(),
            output.clone(),
            selected.clone(),
        );
        Callback::from(move |c: TimeCommand| {
            if !matches!(c, TimeCommand::Speed(_)) {
                trips.cancel();
            }
            match c {
                TimeCommand::Reset => {
                    session.borrow_mut().reset();
                    output.set(session.borrow().load_results().to_vec());
                    selected.set(None);
                    playing.set(false);
                }
                TimeCommand::Back => trips.begin(|s| s.travel_to(s.previous_step_time())),
                TimeCommand::TogglePlay => playing.set(!*playing),
                TimeCommand::Step => {
                    session.borrow_mut().step_event();
                }
                TimeCommand::Settle => trips.begin(|s| s.settling()),
                TimeCommand::Speed(s) => speed.set(s),
                TimeCommand::Seed(n) => trips.begin(|s| s.reseed(n)),
            }
            force.force_update();
        })
    };

    // Space, ← and → drive time unless the focus is in a text field.
    let latest_command = use_mut_ref(|| on_command.clone());
    *latest_command.borrow_mut() = on_command.clone();
    use_effect_with((), move |_| {
        let listener = web_sys::window().map(|w| {
            EventListener::new(&w, "keydown", move |e| {
                let Some(e) = e.dyn_ref::<KeyboardEvent>() else {
                    return;
                };
                let typing = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| {
                        matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    });
                if typing || e.ctrl_key() || e.meta_key() || e.alt_key() {
                    return;
                }
                let command = match e.key().as_str() {
                    " " => TimeCommand::TogglePlay,
                    "ArrowRight" => TimeCommand::Step,
                    "ArrowLeft" => TimeCommand::Back,
                    _ => return,
                };
                e.prevent_default();
                let cb = latest_command.borrow().clone();
                cb.emit(command);
            })
        });
        move || drop(listener)
    });

    let on_apply = {
        let trips = trips.clone();
        let (session, force, output, text) =
            (session.clone(), force.clone(), output.clone(), text.clone());
        Callback::from(move |manifest: String| {
            trips.cancel();
            text.set(manifest.clone());
            if loads_afresh(&manifest) {
                let loaded = Session::load(vec![("scenario.yaml".into(), manifest)], None);
                output.set(loaded.load_results().to_vec());
                *session.borrow_mut() = loaded;
            } else {
                output.set(session.borrow_mut().apply(&manifest));
            }
            force.force_update();
        })
    };
    let on_preset = {
        let (session, force, output, text, preset, selected, playing) = (
            session.clone(),
            force.clone(),
            output.clone(),
            text.clone(),
            preset.clone(),
            selected.clone(),
            playing.clone(),
        );
        let trips = trips.clone();
        Callback::from(move |slug: String| {
            let Some(p) = podflow_core::presets::find(&slug) else {
                return;
            };
            trips.cancel();
            let loaded = Session::load(vec![(p.file_name(), p.text.to_string())], None);
            output.set(loaded.load_results().to_vec());
            *session.borrow_mut() = loaded;
            text.set(p.text.to_string());
            preset.set(Some(p));
            selected.set(None);
            playing.set(false);
            force.force_update();
        })
    };
    let toggle_lang = {
        let zh = zh.clone();
        Callback::from(move |_: MouseEvent| zh.set(!*zh))
    };
    let on_edit = {
        let text = text.clone();
        Callback::from(move |t: String| {
            autosave::save(&t);
            text.set(t)
        })
    };
    let on_share = {
        let (session, shared, notice, text) = (
            session.clone(),
            shared.clone(),
            notice.clone(),
            text.clone(),
        );
        let trips = trips.clone();
        Callback::from(move |_: MouseEvent| {
            // What is shared is a moment a replay rebuilds: a trip stops where it got to, and
            // the moment it stopped in is finished.
            trips.cancel();
            session.borrow_mut().finish_moment();
            let s = session.borrow();
            // The session as a scenario (what was loaded and done, at its times); before
            // anything was applied, the editor's text.
            let scenario = if s.files().is_empty() && s.log().is_empty() {
                (*text).clone()
            } else {
                s.scenario_text()
            };
            match share::encode(&scenario, s.now()) {
                Ok(fragment) => {
                    let url = share::link(&browser::location_without_fragment(), &fragment);
                    browser::replace_url(&url);
                    copy_link(url, shared.clone());
                }
                Err(e) => notice.set(Some(format!("No share link was made: {e}"))),
            }
        })
    };
    let on_dismiss = {
        let notice = notice.clone();
        Callback::from(move |()| notice.set(None))
    };
    let on_console = {
        let (session, force, entries, text) = (
            session.clone(),
            force.clone(),
            entries.clone(),
            text.clone(),
        );
        let trips = trips.clone();
        Callback::from(move |line: String| {
            trips.cancel();
            let out = session.borrow_mut().console(&line, &text);
            let mut list = (*entries).clone();
            list.push(ConsoleEntry {
                line,
                stdout: out.stdout,
                stderr: out.stderr,
            });
            entries.set(list);
            force.force_update();
        })
    };
    let on_seek = {
        let (trips, force) = (trips.clone(), force.clone());
        Callback::from(move |ms: u64| {
            trips.begin(|s| s.travel_to(SimTime(ms)));
            force.force_update();
        })
    };
    let select = {
        let selected = selected.clone();
        SelectPod(Callback::from(move |key: (String, String)| {
            selected.set(Some(key))
        }))
    };
    let on_file = {
        let (text, output) = (text.clone(), output.clone());
        Callback::from(move |t: String| {
            text.set(t);
            output.set(Vec::new());
        })
    };
    let on_file_error = {
        let output = output.clone();
        Callback::from(move |message: String| {
            output.set(vec![ApplyResult {
                ok: false,
                message,
                warnings: Vec::new(),
            }])
        })
    };
    let on_filter = {
        let event_filter = event_filter.clone();
        Callback::from(move |f: EventFilter| event_filter.set(f))
    };
    let on_close = {
        let selected = selected.clone();
        Callback::from(move |_| selected.set(None))
    };

    // The render's cost (view building, Yew's diff and the DOM patch), for the bench's profiler.
    let render_started = browser::now_ms();
    use_effect(move || browser::record_ms("__podflowRender", browser::now_ms() - render_started));
    // The cluster view and the timeline read the overview, brought up to date here with the
    // changes since the last render, instead of viewing every pod and every Event.
    session.borrow_mut().sync_overview();
    let s = session.borrow();
    let cluster = s.cluster();
    let now = cluster.now();
    let panel = (*selected)
        .as_ref()
        .and_then(|(ns, name)| view::pod_panel(cluster, ns, name));
    // While playing a big cluster, rows and chips change by the hundred between two renders:
    // fewer are drawn.
    let (rows, chips) = if *playing {
        (
            components::timeline::PLAYING_ROWS,
            components::cluster_view::PLAYING_CHIPS,
        )
    } else {
        (
            components::timeline::MAX_ROWS,
            components::cluster_view::PENDING_CHIPS,
        )
    };
    let events = view::timeline(cluster, &event_filter, s.horizon().0, rows);
    // The flow follows the selected pod (there is a panel while it exists), else the first pod
    // there is.
    let flow_pod = (*selected).clone().filter(|_| panel.is_some()).or_else(|| {
        cluster
            .overview()
            .first_pod()
            .map(|(ns, n)| (ns.to_string(), n.to_string()))
    });
    let flow = view::flow_steps(
        cluster,
        flow_pod.as_ref().map(|(ns, n)| (ns.as_str(), n.as_str())),
        *zh,
    );
    let presets: Vec<PresetChoice> = podflow_core::presets::all()
        .iter()
        .map(|p| PresetChoice {
            slug: p.slug.to_string(),
            title: p.title_in(if *zh { "zh" } else { "en" }).to_string(),
        })
        .collect();
    let explanation = (*preset).map(|p| {
        (
            p.title_in(if *zh { "zh" } else { "en" }),
            p.explanation_in(if *zh { "zh" } else { "en" }),
        )
    });
    // The view data's share of the render; the rest is Yew's diff and the DOM patch.
    browser::record_ms("__podflowView", browser::now_ms() - render_started);
    html! {
        <div class="app">
            <header class="app-header">
                <h1>{ "podflow" }</h1>
                <button class="lang" onclick={toggle_lang} aria-label="Language">{ if *zh { "English" } else { "中文" } }</button>
                <p class="tagline">
                    { "Watch how Kubernetes v1.33 really turns a manifest into a running Pod: \
                       the API server, etcd, the scheduler and the kubelet, simulated step by step in your browser." }
                </p>
            </header>
            <Toolbar clock={now.to_string()} playing={*playing} speed={*speed} seed={s.seed()} {on_command} />
            <div class="share-bar">
                <button class="share-button" onclick={on_share}>{ "Share" }</button>
                if let Some((url, copied)) = (*shared).clone() {
                    <ShareLink {url} {copied} />
                }
            </div>
            if let Some(message) = (*notice).clone() {
                <Notice {message} {on_dismiss} />
            }
            if let Some(t) = &*trip.borrow() {
                <div class="trip" role="status">
                    <span class="trip-text">{ t.text(&s) }</span>
                    {
                        match t.progress(&s) {
                            Some((value, max)) => html! { <progress max={max.to_string()} value={value.to_string()} /> },
                            None => html! { <progress /> },
                        }
                    }
                </div>
            }
            <main>
                <div class="left">
                    <Files text={(*text).clone()} on_load={on_file} on_error={on_file_error} />
                    <Editor text={(*text).clone()} {on_apply} {on_edit} output={(*output).clone()} {presets} {on_preset} />
                    if let Some((title, explanation)) = explanation {
                        <div class="preset-note"><strong>{ title }</strong><p>{ explanation }</p></div>
                    }
                    <Console entries={(*entries).clone()} on_submit={on_console} />
                </div>
                <div class="right">
                    <FlowView pod={flow_pod.as_ref().map(|(ns, n)| format!("{ns}/{n}"))} steps={flow} zh={*zh}
                        decision={flow_pod.as_ref().and_then(|(ns, n)| cluster.scheduling_decision(ns, n).cloned())} />
                    <ContextProvider<SelectPod> context={select}>
                        <ClusterView ..ClusterViewProps::of(cluster, chips) />
                    </ContextProvider<SelectPod>>
                    {
                        match panel {
                            Some(p) => html! {
                                <PodPanel pod={p.pod} decision={p.decision} describe={p.describe}
                                    etcd_key={p.etcd_key} revisions={p.revisions} {on_close} />
                            },
                            None => html! {},
                        }
                    }
                    <Timeline data={events} filter={(*event_filter).clone()} {on_filter} now_ms={now.0} horizon_ms={s.horizon().0} {on_seek} />
                </div>
            </main>
        </div>
    }
}

/// Shows the link and tries the clipboard; the field stays either way.
fn copy_link(url: String, shared: UseStateHandle<Option<(String, Copied)>>) {
    let Some(promise) = browser::clipboard_write(&url) else {
        shared.set(Some((url, Copied::No)));
        return;
    };
    shared.set(Some((url.clone(), Copied::Pending)));
    yew::platform::spawn_local(async move {
        let copied = match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(_) => Copied::Yes,
            Err(_) => Copied::No,
        };
        shared.set(Some((url, copied)));
    });
}
