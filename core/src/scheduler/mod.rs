//! The kube-scheduler as a pure library: the framework's extension points, the default plugins
//! (one file each, upstream names, order and weights), the scheduling cycle with upstream's
//! sampling, scoring and exact FailedScheduling messages, preemption, the scheduling queue and a
//! per-attempt decision record for the UI.
//!
//! * [`framework`]: `Status`/`Code`, `CycleState`, the extension-point traits, `NodeInfo` and
//!   `ClusterSnapshot`.
//! * [`plugins`]: the plugins; [`registry`]: which run where, and `Profile`.
//! * [`cycle`]: `schedule_one` and `FitError`; [`decision`]: what the UI shows per attempt.
//! * [`queue`]: activeQ, backoffQ and the unschedulable pool over virtual time.
//! * [`config`]: the scenario's `KubeSchedulerConfiguration`-shaped profile knob.
//! * [`component`]: the scheduler living in the cluster, fed by watches, binding through the API.

pub mod component;
pub mod config;
pub mod cycle;
pub mod decision;
pub mod framework;
pub mod plugins;
pub mod queue;
pub mod registry;
pub mod selectors;

#[cfg(test)]
pub(crate) mod testutil;

pub use cycle::{schedule_one, FitError, ScheduleResult};
pub use framework::{ClusterSnapshot, Code, CycleState, NodeInfo, Status};
pub use registry::{Profile, ProfileConfig};
