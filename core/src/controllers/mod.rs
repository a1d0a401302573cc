//! kube-controller-manager's controllers, each a [`crate::component::Component`].

pub mod daemonset;
pub mod deployment;
pub mod deployment_util;
pub mod endpointslice;
pub mod garbage_collector;
pub mod job;
pub mod podutil;
pub mod replicaset;
pub mod template_hash;
pub mod workqueue;
