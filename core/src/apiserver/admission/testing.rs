//! Test helpers shared by the admission, authorization and prepare tests: an in-memory
//! [`Lookup`] over a `BTreeMap`, and small builders for requests and pods.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, Namespace, Pod, PodSpec, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::apiserver::request::{Attributes, Lookup, UserInfo, Verb};
use crate::object::{kind_info, Object};

/// Stored objects keyed by (kind, namespace, name).
#[derive(Default)]
pub struct MapLookup {
    objects: BTreeMap<(String, String, String), Arc<Object>>,
}

impl MapLookup {
    /// An empty store.
    pub fn new() -> MapLookup {
        MapLookup::default()
    }

    /// A store with namespace `default` and its `default` ServiceAccount, as a fresh cluster has.
    pub fn cluster() -> MapLookup {
        let mut l = MapLookup::new();
        l.add(namespace("default"));
        l.add(ServiceAccount {
            metadata: meta("default", "default"),
            ..Default::default()
        });
        l
    }

    /// Stores an object.
    pub fn add(&mut self, obj: impl Into<Object>) -> &mut MapLookup {
        let obj = obj.into();
        let key = (
            obj.info().kind.to_string(),
            obj.meta().namespace.clone().unwrap_or_default(),
            obj.meta().name.clone().unwrap_or_default(),
        );
        self.objects.insert(key, Arc::new(obj));
        self
    }
}

impl Lookup for MapLookup {
    fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<Arc<Object>> {
        self.objects
            .get(&(kind.to_string(), namespace.to_string(), name.to_string()))
            .cloned()
    }

    fn list(&self, kind: &str, namespace: Option<&str>) -> Vec<Arc<Object>> {
        self.objects
            .iter()
            .filter(|((k, ns, _), _)| k == kind && namespace.is_none_or(|n| n == ns))
            .map(|(_, o)| o.clone())
            .collect()
    }
}

/// Metadata with a namespace and a name.
pub fn meta(namespace: &str, name: &str) -> ObjectMeta {
    ObjectMeta {
        namespace: Some(namespace.to_string()),
        name: Some(name.to_string()),
        ..Default::default()
    }
}

/// An active namespace.
pub fn namespace(name: &str) -> Namespace {
    Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A pod in `default` with one container per name, image nginx.
pub fn pod(name: &str, containers: &[&str]) -> Pod {
    Pod {
        metadata: meta("default", name),
        spec: Some(PodSpec {
            containers: containers
                .iter()
                .map(|c| Container {
                    name: c.to_string(),
                    image: Some("nginx".into()),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A request by `user` (`kubernetes-admin` by default) for `verb` on `kind` in `namespace`.
pub fn attrs(verb: Verb, kind: &str, namespace: &str, name: &str) -> Attributes {
    Attributes {
        user: UserInfo::admin(),
        verb,
        kind: kind_info(kind).expect("known kind"),
        subresource: None,
        namespace: namespace.to_string(),
        name: name.to_string(),
    }
}
