//! # podflow-web: the playground
//!
//! A Yew (csr) app that asks `podflow_core::Cluster` for snapshots and renders them. The web crate
//! holds no Kubernetes logic: every status, message and table comes from the core.
//!
//! * [`App`] is the page: header, the manifest editor with kubectl's output, the cluster view,
//!   and the selected pod's panel with the scheduler's decision table.
//! * [`components`] holds one small component per file.

pub mod components;

use std::cell::RefCell;
use std::rc::Rc;

use podflow_core::sim::SimDuration;
use podflow_core::{ApplyResult, Cluster};
use yew::prelude::*;

use components::cluster_view::ClusterView;
use components::editor::Editor;
use components::pod_chip::SelectPod;
use components::pod_panel::PodPanel;

/// The manifest the editor starts with: the Kubernetes docs' simple pod.
pub const DEFAULT_MANIFEST: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\nspec:\n  containers:\n  - name: nginx\n    image: nginx:1.14.2\n    ports:\n    - containerPort: 80\n";

/// The whole playground page.
#[function_component(App)]
pub fn app() -> Html {
    let cluster = use_mut_ref(Cluster::default);
    let output = use_state(Vec::<ApplyResult>::new);
    let version = use_state(|| 0u64);
    let on_apply = {
        let (cluster, output, version) = (cluster.clone(), output.clone(), version.clone());
        Callback::from(move |text: String| {
            output.set(cluster.borrow_mut().apply(&text, "manifest.yaml"));
            version.set(*version + 1);
        })
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
                <Editor initial={DEFAULT_MANIFEST} on_apply={on_apply} output={(*output).clone()} />
                <div class="controls">
                    <button class="run" onclick={on_run}>{ "Run 10s" }</button>
                    <span class="clock">{ format!("t = {}", snapshot.time) }</span>
                </div>
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
