//! # podflow-core: a Kubernetes v1.33 control plane, simulated
//!
//! This crate is the whole simulated cluster behind podflow. It is deterministic and platform
//! independent: no I/O, no wall clock, no OS randomness. The same scenario and seed always give
//! the same event log, natively and in WebAssembly.
//!
//! ## A guided tour
//!
//! * [`Cluster`] owns everything: the virtual clock, the seeded RNG and the objects. The CLI and
//!   the playground only call it and render its [`Snapshot`]s.
//! * [`sim`] is the deterministic world underneath: [`sim::SimTime`], the timer queue and
//!   [`sim::SimRng`], the only source of randomness.
//! * [`object`] lists every API kind the simulated API server serves, as real `k8s-openapi`
//!   types, with their resource names and etcd key prefixes.
//! * [`intake`] reads manifest text (YAML, flow style, JSON, Lists) into typed objects, with
//!   kubectl's and the API server's exact error messages (syntax, unknown fields, type errors).
//! * [`nodes`] builds the default node pool as real `v1` Node objects.
//! * [`snapshot`] turns objects into ready-to-render views (kubectl's STATUS, allocation).

pub mod apiserver;
pub mod cluster;
pub mod intake;
pub mod nodes;
pub mod object;
pub mod sim;
pub mod snapshot;

pub use cluster::{Cluster, ClusterConfig};
pub use snapshot::{NodeView, Snapshot};
