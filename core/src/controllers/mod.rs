//! kube-controller-manager's control loops, each a component fed by store watches that acts only
//! through the API server.

pub mod namespace;
pub mod node_lifecycle;
pub mod taint_eviction;
pub mod zone_state;
