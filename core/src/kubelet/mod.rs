//! The kubelet's pure building blocks: back-off, timing, image pulls, probes and pod status, each
//! a state machine or a function the kubelet component drives with virtual time; and its node
//! heartbeats (Lease and node status), a component per node.

pub mod backoff;
pub mod heartbeat;
pub mod images;
pub mod probes;
pub mod status;
pub mod timing;
