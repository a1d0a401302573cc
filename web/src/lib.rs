//! # podflow-web: the playground
//!
//! A Yew (csr) app that asks `podflow_core::Cluster` for snapshots and renders them. The web crate
//! holds no Kubernetes logic: every status, message and table comes from the core.
//!
//! * [`App`] is the page: header, the manifest editor with kubectl's output, the cluster view,
//!   and the selected pod's panel with the scheduler's decision table.
//! * [`components`] holds one small component per file.
//! * [`start`] decides what the page opens with (a share link, the autosave or the default);
//!   [`autosave`] keeps the editor's text in `localStorage`; [`browser`] wraps the browser APIs
//!   so that none can throw; [`panic_banner`] is the error banner of last resort.

pub mod autosave;
pub mod browser;
pub mod components;
pub mod panic_banner;
pub mod start;

use std::cell::RefCell;
use std::rc::Rc;

use podflow_core::share;
use podflow_core::sim::SimDuration;
use podflow_core::Cluster;
use yew::prelude::*;

use components::cluster_view::ClusterView;
use components::editor::Editor;
use components::notice::Notice;
use components::pod_chip::SelectPod;
use components::pod_panel::PodPanel;
use components::share_link::{Copied, ShareLink};
use start::Start;

/// The manifest the editor starts with: the Kubernetes docs' simple pod.
pub const DEFAULT_MANIFEST: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\nspec:\n  containers:\n  - name: nginx\n    image: nginx:1.14.2\n    ports:\n    - containerPort: 80\n";

/// The whole playground page.
#[function_component(App)]
pub fn app() -> Html {
    let start = use_memo((), |_| Start::from_page());
    let cluster = use_mut_ref(|| start.take_cluster());
    let output = use_state(|| start.output.clone());
    let notice = use_state(|| start.notice.clone());
    // The editor's text as typed, for the Share button (not state: no render per keystroke).
    let text = use_mut_ref(|| start.text.clone());
    let shared = use_state(|| None::<(String, Copied)>);
    let version = use_state(|| 0u64);
    let on_apply = {
        let (cluster, output, version) = (cluster.clone(), output.clone(), version.clone());
        Callback::from(move |text: String| {
            output.set(cluster.borrow_mut().apply(&text, start::SOURCE));
            version.set(*version + 1);
        })
    };
    let on_input = {
        let text = text.clone();
        Callback::from(move |value: String| {
            autosave::save(&value);
            *text.borrow_mut() = value;
        })
    };
    let on_share = {
        let (cluster, text, shared, notice) = (
            cluster.clone(),
            text.clone(),
            shared.clone(),
            notice.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let fragment = share::encode(&text.borrow(), cluster.borrow().now());
            match fragment {
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
    let on_run = {
        let (cluster, version) = (cluster.clone(), version.clone());
        Callback::from(move |_: MouseEvent| {
            run_for(&cluster, SimDuration::secs(10));
            version.set(*version + 1);
        })
    };
    let selected = use_state(|| None::<(String, String)>);
    let select = {
        let selected = selected.clone();
        SelectPod(Callback::from(move |key: (String, String)| {
            selected.set(Some(key))
        }))
    };
    let snapshot = cluster.borrow().snapshot();
    let panel = (*selected).as_ref().and_then(|(ns, name)| {
        let pod = snapshot
            .pods
            .iter()
            .find(|p| &p.namespace == ns && &p.name == name)?
            .clone();
        let decision = cluster.borrow().scheduling_decision(ns, name).cloned();
        Some(html! { <PodPanel {pod} {decision} /> })
    });
    html! {
        <div class="app">
            <header class="app-header">
                <h1>{ "podflow" }</h1>
                <p class="tagline">
                    { "Watch how Kubernetes v1.33 really turns a manifest into a running Pod: \
                       the API server, etcd, the scheduler and the kubelet, simulated step by step in your browser." }
                </p>
            </header>
            <main>
                if let Some(message) = (*notice).clone() {
                    <Notice {message} {on_dismiss} />
                }
                <Editor initial={start.text.clone()} {on_apply} {on_input} output={(*output).clone()} />
                <div class="controls">
                    <button class="run" onclick={on_run}>{ "Run 10s" }</button>
                    <span class="clock">{ format!("t = {}", snapshot.time) }</span>
                    <button class="share-button" onclick={on_share}>{ "Share" }</button>
                </div>
                if let Some((url, copied)) = (*shared).clone() {
                    <ShareLink {url} {copied} />
                }
                <ContextProvider<SelectPod> context={select}>
                    <ClusterView nodes={snapshot.nodes.clone()} pods={snapshot.pods.clone()} />
                </ContextProvider<SelectPod>>
                { panel.unwrap_or_default() }
            </main>
        </div>
    }
}

fn run_for(cluster: &Rc<RefCell<Cluster>>, d: SimDuration) {
    cluster.borrow_mut().run_for(d);
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
