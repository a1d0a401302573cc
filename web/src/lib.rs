//! # podflow-web: the playground
//!
//! A Yew (csr) app that asks `podflow_core::Cluster` for snapshots and renders them. The web crate
//! holds no Kubernetes logic: every status, message and table comes from the core.
//!
//! * [`App`] is the page: header, the cluster view.
//! * [`components`] holds one small component per file.

pub mod components;

use podflow_core::Cluster;
use yew::prelude::*;

use components::cluster_view::ClusterView;

/// The whole playground page.
#[function_component(App)]
pub fn app() -> Html {
    let cluster = use_memo((), |_| Cluster::default());
    let snapshot = cluster.snapshot();
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
                <ClusterView nodes={snapshot.nodes.clone()} />
            </main>
        </div>
    }
}
