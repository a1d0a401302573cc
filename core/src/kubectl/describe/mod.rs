//! `kubectl describe`, as kubectl 1.33's `pkg/describe/describe.go` prints it: a
//! [`PrefixWriter`](writer::PrefixWriter) over Go's tabwriter, one describer per kind, and the
//! object's Events at the end.
//!
//! [`describe`] is the command (`TYPE/NAME` or `TYPE` in a namespace, kubectl's errors);
//! [`describe_pod`] and its siblings render one object from the object and its Events.

pub mod containers;
pub mod env;
pub mod events;
pub mod format;
pub mod node;
pub mod pod;
pub mod probe;
pub mod template;
pub mod volumes;
pub mod workloads;
pub mod writer;

use std::fmt;

use crate::apiserver::Lookup;
use crate::object::{kind_for_resource, KindInfo, Object};
use crate::sim::SimTime;

pub use events::{describe_events, search_events, EventQuery};
pub use node::describe_node;
pub use pod::describe_pod;
pub use workloads::{describe_deployment, describe_replica_set};

/// Why `kubectl describe` printed an error instead of a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DescribeError {
    /// The type is not one the API server serves.
    UnknownResource(String),
    /// No object of that name (the qualified resource, e.g. `pods`, and the name).
    NotFound(String, String),
    /// Nothing of that type in the namespace (`No resources found in default namespace.`).
    NoResources(String),
    /// The kind exists but podflow has no describer for it yet.
    Unsupported(String),
}

impl fmt::Display for DescribeError {
    /// kubectl's text for the error, as printed on stderr.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DescribeError::UnknownResource(r) => {
                write!(f, "error: the server doesn't have a resource type \"{r}\"")
            }
            DescribeError::NotFound(resource, name) => {
                write!(
                    f,
                    "Error from server (NotFound): {resource} \"{name}\" not found"
                )
            }
            DescribeError::NoResources(ns) if ns.is_empty() => f.write_str("No resources found"),
            DescribeError::NoResources(ns) => write!(f, "No resources found in {ns} namespace."),
            DescribeError::Unsupported(kind) => {
                write!(f, "error: podflow does not describe {kind} objects yet")
            }
        }
    }
}

impl std::error::Error for DescribeError {}

/// The resource as error messages name it: `pods`, `deployments.apps`.
fn qualified_resource(info: &KindInfo) -> String {
    if info.group.is_empty() {
        info.resource.to_string()
    } else {
        format!("{}.{}", info.resource, info.group)
    }
}

/// The Events kubectl lists for `object`: a pod's by name, namespace and UID (no kind), other
/// objects' by kind too.
fn events_for(lookup: &dyn Lookup, object: &Object) -> Vec<k8s_openapi::api::core::v1::Event> {
    search_events(lookup, &event_query(object))
}

/// The field selector `searchEvents` builds from the object's reference.
fn event_query(object: &Object) -> EventQuery {
    let meta = object.meta();
    let info = object.info();
    EventQuery {
        name: meta.name.clone().unwrap_or_default(),
        namespace: if info.namespaced {
            meta.namespace.clone().unwrap_or_default()
        } else {
            String::new()
        },
        kind: if info.kind == "Pod" {
            String::new()
        } else {
            info.kind.to_string()
        },
        uid: meta.uid.clone().unwrap_or_default(),
    }
}

/// One object's description.
fn describe_object(
    lookup: &dyn Lookup,
    object: &Object,
    now: SimTime,
) -> Result<String, DescribeError> {
    let namespace = object.meta().namespace.clone().unwrap_or_default();
    match object {
        Object::Pod(p) => Ok(describe_pod(p, &events_for(lookup, object), now)),
        Object::Node(n) => {
            let name = n.metadata.name.clone().unwrap_or_default();
            let mut events = events_for(lookup, object);
            // The kubelet uses the node's name as its UID: kubectl searches both.
            events.extend(search_events(
                lookup,
                &EventQuery {
                    uid: name.clone(),
                    ..event_query(object)
                },
            ));
            let lease = match lookup.get("Lease", "kube-node-lease", &name) {
                Some(o) => match &*o {
                    Object::Lease(l) => Some((**l).clone()),
                    _ => None,
                },
                None => None,
            };
            let ctx = node::NodeContext {
                pods: node::node_pods(&lookup.list("Pod", None), &name),
                lease,
                events,
            };
            Ok(describe_node(n, &ctx, now))
        }
        Object::ReplicaSet(rs) => {
            let pods = lookup.list("Pod", Some(&namespace));
            let counts = workloads::pod_counts(
                &pods,
                rs.spec.as_ref().map(|s| &s.selector),
                rs.metadata.uid.as_deref().unwrap_or(""),
            );
            Ok(describe_replica_set(
                rs,
                counts,
                &events_for(lookup, object),
                now,
            ))
        }
        Object::Deployment(d) => {
            let sets: Vec<_> = lookup
                .list("ReplicaSet", Some(&namespace))
                .iter()
                .filter_map(|o| match &**o {
                    Object::ReplicaSet(rs) => Some((**rs).clone()),
                    _ => None,
                })
                .collect();
            Ok(describe_deployment(
                d,
                &sets,
                &events_for(lookup, object),
                now,
            ))
        }
        other => Err(DescribeError::Unsupported(other.info().kind.to_string())),
    }
}

/// `kubectl describe TARGET -n NAMESPACE` at `now`: `TARGET` is `TYPE/NAME` (`pod/nginx`,
/// `po/nginx`, `deploy/web`) or a bare `TYPE` for every object of it in the namespace,
/// separated by blank lines as kubectl prints them.
pub fn describe(
    lookup: &dyn Lookup,
    target: &str,
    namespace: &str,
    now: SimTime,
) -> Result<String, DescribeError> {
    let (resource, name) = match target.split_once('/') {
        Some((r, n)) => (r, Some(n)),
        None => (target, None),
    };
    let info = kind_for_resource(resource)
        .ok_or_else(|| DescribeError::UnknownResource(resource.to_string()))?;
    let ns = if info.namespaced { namespace } else { "" };
    let objects = match name {
        Some(name) => {
            let object = lookup
                .get(info.kind, ns, name)
                .ok_or_else(|| DescribeError::NotFound(qualified_resource(info), name.into()))?;
            vec![object]
        }
        None => {
            let all = lookup.list(info.kind, Some(ns).filter(|n| !n.is_empty()));
            if all.is_empty() {
                return Err(DescribeError::NoResources(ns.to_string()));
            }
            all
        }
    };
    let mut out = String::new();
    for (i, object) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        out.push_str(&describe_object(lookup, object, now)?);
    }
    Ok(out)
}
