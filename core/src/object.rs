//! Every API object the simulated cluster stores, as real `k8s-openapi` types, and what the API
//! server knows about each kind (group, version, resource name, scope, etcd key prefix),
//! [`PodRef`], a stored pod shared instead of copied, and [`Draft`], a stored object a controller
//! changes, copied only when it does.

use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::{Arc, LazyLock};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{
    ConfigMap, Event, LimitRange, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod,
    ResourceQuota, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{Metadata, Resource};

/// Static facts about one kind of object, as the API server's discovery and storage know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KindInfo {
    /// The kind, e.g. `Pod`.
    pub kind: &'static str,
    /// The API group, `""` for the core group.
    pub group: &'static str,
    /// The version within the group, e.g. `v1`.
    pub version: &'static str,
    /// `apiVersion` as written in manifests, e.g. `apps/v1`.
    pub api_version: &'static str,
    /// The plural resource name used in URLs, RBAC rules and messages, e.g. `pods`.
    pub resource: &'static str,
    /// Whether objects of this kind live in a namespace.
    pub namespaced: bool,
    /// The etcd key prefix under `/registry`, e.g. `pods` or `minions` for nodes.
    pub etcd_prefix: &'static str,
}

impl KindInfo {
    /// The resource as kubectl names it in output lines: `pod`, `deployment.apps`, `job.batch`.
    pub fn kubectl_resource(&self) -> String {
        let singular = self.kind.to_ascii_lowercase();
        if self.group.is_empty() {
            singular
        } else {
            format!("{singular}.{}", self.group)
        }
    }

    /// The qualified kind used in `Invalid` status messages: `Pod`, `Deployment.apps`.
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.to_string()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    /// The etcd key of an object of this kind, e.g. `/registry/pods/default/nginx`.
    pub fn key(&self, namespace: Option<&str>, name: &str) -> String {
        let mut key = self.prefix_with_room(namespace, name.len());
        key.push_str(name);
        key
    }

    /// The etcd key prefix of this kind's objects in `namespace` (`/registry/pods/default/`), or
    /// of all of them when the kind is cluster-scoped or no namespace is given
    /// (`/registry/pods/`): what a list or a watch of the kind ranges over.
    pub fn prefix(&self, namespace: Option<&str>) -> String {
        self.prefix_with_room(namespace, 0)
    }

    /// [`KindInfo::prefix`] with room for `extra` more bytes. Built by hand: keys are made on
    /// every request and `format!` costs several times more.
    fn prefix_with_room(&self, namespace: Option<&str>, extra: usize) -> String {
        let namespace = namespace.filter(|_| self.namespaced);
        let len = 11 + self.etcd_prefix.len() + namespace.map_or(0, |ns| ns.len() + 1) + extra;
        let mut key = String::with_capacity(len);
        key.push_str("/registry/");
        key.push_str(self.etcd_prefix);
        key.push('/');
        if let Some(ns) = namespace {
            key.push_str(ns);
            key.push('/');
        }
        key
    }
}

macro_rules! objects {
    ($( $variant:ident ( $ty:ty ), $prefix:literal, $namespaced:literal; )*) => {
        /// One stored API object of any supported kind.
        ///
        /// Each variant is boxed, so an `Object` is two words whatever its kind: inline, every
        /// stored Event or Lease would take the size of the largest kind (3,472 bytes, a PersistentVolume),
        /// and the store holds hundreds of thousands of Events at the envelope's scale.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Object {
            $(
                #[doc = concat!("A `", stringify!($variant), "`.")]
                $variant(Box<$ty>),
            )*
        }

        /// Every kind the simulated API server serves, in a stable order.
        pub const KINDS: &[KindInfo] = &[
            $(
                KindInfo {
                    kind: <$ty as Resource>::KIND,
                    group: <$ty as Resource>::GROUP,
                    version: <$ty as Resource>::VERSION,
                    api_version: <$ty as Resource>::API_VERSION,
                    resource: <$ty as Resource>::URL_PATH_SEGMENT,
                    namespaced: $namespaced,
                    etcd_prefix: $prefix,
                },
            )*
        ];

        impl Object {
            /// What the API server knows about this object's kind.
            pub fn info(&self) -> &'static KindInfo {
                let kind = match self {
                    $( Object::$variant(_) => <$ty as Resource>::KIND, )*
                };
                kind_info(kind).expect("every Object variant is listed in KINDS")
            }

            /// The object's metadata.
            pub fn meta(&self) -> &ObjectMeta {
                match self {
                    $( Object::$variant(o) => o.metadata(), )*
                }
            }

            /// The namespace a request on this object addresses: its own for namespaced kinds,
            /// empty for cluster-scoped ones.
            pub fn request_namespace(&self) -> String {
                if self.info().namespaced {
                    self.meta().namespace.clone().unwrap_or_default()
                } else {
                    String::new()
                }
            }

            /// The object's metadata, mutably.
            pub fn meta_mut(&mut self) -> &mut ObjectMeta {
                match self {
                    $( Object::$variant(o) => o.metadata_mut(), )*
                }
            }

            /// The object as Kubernetes JSON (with `apiVersion` and `kind`).
            pub fn to_json(&self) -> serde_json::Value {
                let value = match self {
                    $( Object::$variant(o) => serde_json::to_value(o), )*
                };
                value.unwrap_or(serde_json::Value::Null)
            }

            /// Decodes a JSON value of the given kind into the typed object (lenient: unknown fields
            /// are dropped; strict decoding lives in the intake).
            pub fn from_json(kind: &str, value: serde_json::Value) -> Result<Object, serde_json::Error> {
                match kind {
                    $( k if k == <$ty as Resource>::KIND => serde_json::from_value::<$ty>(value).map(|o| Object::$variant(Box::new(o))), )*
                    other => Err(serde::de::Error::custom(format!("unsupported kind {other}"))),
                }
            }
        }

        $(
            impl From<$ty> for Object {
                fn from(o: $ty) -> Object {
                    Object::$variant(Box::new(o))
                }
            }

            impl Stored for $ty {
                fn of(object: &Object) -> Option<&$ty> {
                    match object {
                        Object::$variant(o) => Some(o),
                        _ => None,
                    }
                }

                fn fallback() -> &'static $ty {
                    static EMPTY: LazyLock<$ty> = LazyLock::new(<$ty>::default);
                    &EMPTY
                }
            }
        )*
    };
}

/// A kind's type as an [`Object`] holds it.
pub trait Stored: Sized + Into<Object> + 'static {
    /// The typed object inside `object`, if it is of this kind.
    fn of(object: &Object) -> Option<&Self>;
    /// An empty object of this kind (what a [`Shared`] of another kind would show; none is
    /// ever built).
    fn fallback() -> &'static Self;
}

objects! {
    Namespace(Namespace), "namespaces", false;
    Node(Node), "minions", false;
    Pod(Pod), "pods", true;
    ConfigMap(ConfigMap), "configmaps", true;
    Secret(Secret), "secrets", true;
    ServiceAccount(ServiceAccount), "serviceaccounts", true;
    Service(Service), "services/specs", true;
    LimitRange(LimitRange), "limitranges", true;
    ResourceQuota(ResourceQuota), "resourcequotas", true;
    PersistentVolumeClaim(PersistentVolumeClaim), "persistentvolumeclaims", true;
    PersistentVolume(PersistentVolume), "persistentvolumes", false;
    Event(Event), "events", true;
    PriorityClass(PriorityClass), "priorityclasses", false;
    Role(Role), "roles", true;
    ClusterRole(ClusterRole), "clusterroles", false;
    RoleBinding(RoleBinding), "rolebindings", true;
    ClusterRoleBinding(ClusterRoleBinding), "clusterrolebindings", false;
    ReplicaSet(ReplicaSet), "replicasets", true;
    Deployment(Deployment), "deployments", true;
    DaemonSet(DaemonSet), "daemonsets", true;
    Job(Job), "jobs", true;
    Lease(Lease), "leases", true;
    EndpointSlice(EndpointSlice), "endpointslices", true;
}

/// An object as the store holds it, shared rather than copied (components that keep or pass
/// around what they read hold these); dereferences to the typed object. Clone it to share it,
/// `(*shared).clone()` for a copy to change.
pub struct Shared<T>(Arc<Object>, PhantomData<fn() -> T>);

/// A shared Pod.
pub type PodRef = Shared<Pod>;

impl<T: Stored> Shared<T> {
    /// Wraps an object of one's own.
    pub fn new(object: T) -> Shared<T> {
        Shared(Arc::new(object.into()), PhantomData)
    }

    /// Shares a stored object (`None` for another kind of object).
    pub fn from_object(object: &Arc<Object>) -> Option<Shared<T>> {
        T::of(object).map(|_| Shared(Arc::clone(object), PhantomData))
    }

    /// The stored object.
    pub fn object(&self) -> &Arc<Object> {
        &self.0
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Shared<T> {
        Shared(Arc::clone(&self.0), PhantomData)
    }
}

impl<T: Stored> From<T> for Shared<T> {
    fn from(object: T) -> Shared<T> {
        Shared::new(object)
    }
}

impl<T: Stored> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // Never built from another kind (see `Shared::from_object`).
        match T::of(&self.0) {
            Some(object) => object,
            None => T::fallback(),
        }
    }
}

impl<T: Stored + PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Shared<T>) -> bool {
        **self == **other
    }
}

impl<T: Stored + std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// A stored object a controller is working on, as upstream's `DeepCopy` before a sync: read in
/// place, copied on the first change (`DerefMut`), so a sync that changes nothing copies
/// nothing, and the copy is handed to the API server without another copy
/// ([`Draft::take_object`]).
pub struct Draft<T> {
    live: Shared<T>,
    own: Option<T>,
}

impl<T: Stored + Clone> Draft<T> {
    /// Works on `live` (not copied yet).
    pub fn new(live: Shared<T>) -> Draft<T> {
        Draft { live, own: None }
    }

    /// The object as an [`Object`] to send: the changed copy if there is one (taken, so the
    /// draft reads the stored object again), else a copy of the stored object.
    pub fn take_object(&mut self) -> Object {
        match self.own.take() {
            Some(own) => own.into(),
            None => (*self.live).clone().into(),
        }
    }
}

impl<T: Stored> Deref for Draft<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match &self.own {
            Some(own) => own,
            None => &self.live,
        }
    }
}

impl<T: Stored + Clone> std::ops::DerefMut for Draft<T> {
    fn deref_mut(&mut self) -> &mut T {
        let live = &self.live;
        self.own.get_or_insert_with(|| (**live).clone())
    }
}

/// The position of `info` in [`KINDS`] (`None` for a `KindInfo` not taken from there).
pub fn kind_position(info: &KindInfo) -> Option<usize> {
    KINDS.iter().position(|k| std::ptr::eq(k, info))
}

/// Looks a kind up by its `kind` name, e.g. `Pod`.
pub fn kind_info(kind: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// Looks a kind up as discovery would for a manifest's `apiVersion` and `kind`.
pub fn kind_for(api_version: &str, kind: &str) -> Option<&'static KindInfo> {
    KINDS
        .iter()
        .find(|k| k.kind == kind && k.api_version == api_version)
}

/// Looks a kind up by its plural resource name or kubectl's short forms (`po`, `no`, `deploy`, …).
pub fn kind_for_resource(name: &str) -> Option<&'static KindInfo> {
    let lower = name.to_ascii_lowercase();
    let base = lower.split('.').next().unwrap_or("");
    let short = match base {
        "po" => "pods",
        "no" => "nodes",
        "ns" => "namespaces",
        "cm" => "configmaps",
        "sa" => "serviceaccounts",
        "svc" => "services",
        "limits" => "limitranges",
        "quota" => "resourcequotas",
        "pvc" => "persistentvolumeclaims",
        "pv" => "persistentvolumes",
        "ev" => "events",
        "pc" => "priorityclasses",
        "rs" => "replicasets",
        "deploy" => "deployments",
        "ds" => "daemonsets",
        other => other,
    };
    KINDS.iter().find(|k| {
        k.resource == short
            || k.kind.eq_ignore_ascii_case(short)
            || format!("{}s", k.kind.to_ascii_lowercase()) == short
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn pods_and_nodes_have_their_etcd_keys() {
        let pod = kind_info("Pod").unwrap();
        assert_eq!(
            pod.key(Some("default"), "nginx"),
            "/registry/pods/default/nginx"
        );
        let node = kind_info("Node").unwrap();
        assert_eq!(node.key(None, "node-1"), "/registry/minions/node-1");
        // What a list ranges over: a namespace's pods, all pods, all nodes (a namespace given
        // for a cluster-scoped kind is ignored, as the key ignores it).
        assert_eq!(pod.prefix(Some("default")), "/registry/pods/default/");
        assert_eq!(pod.prefix(None), "/registry/pods/");
        assert_eq!(node.prefix(Some("default")), "/registry/minions/");
        assert_eq!(
            kind_for("apps/v1", "Deployment")
                .unwrap()
                .kubectl_resource(),
            "deployment.apps"
        );
        assert_eq!(kind_for_resource("deploy").unwrap().kind, "Deployment");
        assert_eq!(kind_for_resource("po").unwrap().qualified_kind(), "Pod");
    }

    #[test]
    fn a_draft_reads_the_stored_object_until_changed_and_sends_its_change() {
        let stored = |name: &str| Deployment {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..ObjectMeta::default()
            },
            ..Deployment::default()
        };
        let live = Shared::new(stored("web"));
        let mut d = Draft::new(live.clone());
        // Read in place: no copy yet.
        assert!(std::ptr::eq(&*d, &*live));
        d.metadata.generation = Some(2);
        assert!(!std::ptr::eq(&*d, &*live));
        assert_eq!(
            live.metadata.generation, None,
            "the stored object is untouched"
        );
        // The change is what is sent; then the draft reads the stored object again.
        let Object::Deployment(sent) = d.take_object() else {
            panic!("not a Deployment");
        };
        assert_eq!(sent.metadata.generation, Some(2));
        assert!(std::ptr::eq(&*d, &*live));
        // Unchanged, it sends a copy of the stored object.
        assert_eq!(d.take_object(), Object::from(stored("web")));
    }
}
