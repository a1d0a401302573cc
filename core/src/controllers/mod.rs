//! kube-controller-manager's control loops, each a [`crate::component::Component`] fed by store
//! watches that acts only through the API server as its own service account.

pub mod daemonset;
pub mod deployment;
pub mod deployment_util;
pub mod endpointslice;
pub mod garbage_collector;
pub mod job;
pub mod namespace;
pub mod node_lifecycle;
pub mod owner_graph;
pub mod pod_gc;
pub mod pod_gc_index;
pub mod podutil;
pub mod replicaset;
pub mod replicaset_pods;
pub mod resource_quota;
pub mod set_member;
pub mod taint_eviction;
pub mod template_hash;
pub mod workqueue;
pub mod zone_state;
