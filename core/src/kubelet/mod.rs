//! The kubelet: its pure building blocks (back-off, timing, image pulls, probes, pod status,
//! admission, volumes, the sandbox) and the per-node component that drives one pod worker per
//! pod with virtual time.

pub mod admission;
pub mod backoff;
pub mod component;
pub mod containers;
pub mod images;
pub mod pod_worker;
pub mod probes;
pub mod sandbox;
pub mod status;
pub mod timing;
pub mod volumes;
