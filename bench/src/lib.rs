//! podflow's scale and speed workloads, as a library the `podflow-bench` binary and the smoke
//! test share.
//!
//! * [`shape`]: what each workload is — nodes, pod templates, phases — mirroring
//!   kube-scheduler's `scheduler_perf` (`performance-config.yaml`) and podflow's own envelopes.
//! * [`manifests`]: the Node objects and the Pod / Deployment manifests the shapes create.
//! * [`progress`]: follows the store's change feed to know when pods are bound, Running and Ready.
//! * [`clock`]: where a run reads wall and CPU time (natively `Instant` and `/proc`, in a browser
//!   `performance.now()`), so the same code runs on both.
//! * [`run`]: builds the cluster and drives it through a shape's phases, timing the measured ones.
//! * [`check`]: asserts that a finished run is correct (every pod bound or Ready, placement rules).
//! * [`soak`]: 24 hours of virtual churn (rolling updates, a crash loop, node failures), sampled
//!   for memory and for every size that could grow (run natively by `podflow-soak`).
//! * [`heap`]: what a run's memory is made of at its end, the stored Pods field by field (run
//!   natively by `podflow-heap`).
//! * [`browser`]: the workloads compiled to wasm and run in headless Chromium (native only).
//! * [`ui`]: the playground's frame times at 1,000 nodes and 30,000 pods (native only), and
//!   [`ui_profile`]: what V8's CPU profile shows in the long tasks among them.
//! * [`items`]: the same scenario natively, item by item: which single items are too long for a
//!   frame.
//! * [`allocator`]: the benchmark binary's allocator, mimalloc (native only).
//! * [`rss`]: the process's peak and current resident set size; [`cpu`]: its CPU time; [`report`]: medians
//!   and the table.

#[cfg(not(target_arch = "wasm32"))]
pub mod allocator;
#[cfg(not(target_arch = "wasm32"))]
pub mod browser;
pub mod check;
pub mod clock;
pub mod cpu;
pub mod heap;
#[cfg(not(target_arch = "wasm32"))]
pub mod items;
pub mod manifests;
pub mod progress;
pub mod report;
pub mod rss;
pub mod run;
pub mod shape;
pub mod soak;
#[cfg(not(target_arch = "wasm32"))]
pub mod ui;
#[cfg(not(target_arch = "wasm32"))]
pub mod ui_profile;

#[cfg(not(target_arch = "wasm32"))]
pub use run::run;
pub use run::{run_with, Outcome};
pub use shape::{Shape, WORKLOADS};
