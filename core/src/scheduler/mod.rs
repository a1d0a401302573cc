//! The kube-scheduler as a pure library: the framework's extension points, the default plugins
//! (one file each, upstream names, order and weights), the scheduling cycle with upstream's
//! sampling, scoring and exact FailedScheduling messages, preemption, the scheduling queue and a
//! per-attempt decision record for the UI.
//!
//! * [`framework`]: `Status`/`Code`, `CycleState` and the extension-point traits.
//! * [`node_info`]: `NodeInfo` and `PodInfo`; [`resource`]: requests and host ports;
//!   [`affinity_terms`]: a pod's inter-pod affinity terms, parsed once.
//! * [`snapshot`]: the `ClusterSnapshot` a cycle reads; [`cache`]: the scheduler's incremental
//!   cache that keeps it up to date (upstream `backend/cache`); [`topology_counts`]: counts per
//!   topology domain read by a node's index in the snapshot.
//! * [`plugins`]: the plugins; [`registry`]: which run where, and `Profile`;
//!   [`plugin_memo`]: what a plugin keeps from one cycle to the next beside the snapshot.
//! * [`cycle`]: `schedule_one` and `FitError`; [`decision`]: what the UI shows per attempt;
//!   [`verdict_memo`]: node-local verdicts reused across cycles of pods with the same spec.
//! * [`queue`]: activeQ, backoffQ and the unschedulable pool over virtual time.
//! * [`config`]: the scenario's `KubeSchedulerConfiguration`-shaped profile knob.
//! * [`component`]: the scheduler living in the cluster, fed by watches, binding through the API.

pub mod affinity_terms;
pub mod cache;
pub mod component;
pub mod config;
pub mod cycle;
pub mod decision;
pub mod framework;
pub mod node_info;
pub mod plugin_memo;
pub mod plugins;
pub mod queue;
pub mod registry;
pub mod resource;
pub mod selectors;
pub mod snapshot;
pub mod topology_counts;
pub mod verdict_memo;

#[cfg(test)]
pub(crate) mod testutil;

pub use cycle::{schedule_one, schedule_one_remembering, FitError, ScheduleResult};
pub use framework::{ClusterSnapshot, Code, CycleState, NodeInfo, Status};
pub use registry::{Profile, ProfileConfig};
