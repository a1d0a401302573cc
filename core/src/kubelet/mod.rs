//! The kubelet: its pure building blocks (back-off, timing, image pulls, probes, pod status,
//! admission, volumes, the sandbox), the per-node component that drives one pod worker per pod
//! with virtual time, and its node heartbeats (the node Lease and node status).

pub mod admission;
pub mod backoff;
pub mod component;
pub mod containers;
pub mod heartbeat;
pub mod hooks;
pub mod images;
pub mod pod_worker;
pub mod probes;
pub mod sandbox;
pub mod status;
pub mod timing;
pub mod volumes;
