//! NamespaceLifecycle (apiserver `pkg/admission/plugin/namespace/lifecycle`): no content in a
//! missing or terminating namespace, and the system namespaces may not be deleted.

use super::{forbidden, MutatingPlugin};
use crate::apiserver::errors::ApiError;
use crate::apiserver::request::{Attributes, RequestContext, Verb};
use crate::object::Object;

/// The plugin's upstream name.
pub const NAME: &str = "NamespaceLifecycle";

/// Namespaces that may never be deleted (kube-apiserver's immortal namespaces).
pub const IMMORTAL_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public"];

/// The NamespaceLifecycle plugin.
pub struct NamespaceLifecycle;

impl MutatingPlugin for NamespaceLifecycle {
    fn name(&self) -> &'static str {
        NAME
    }

    fn admit(
        &self,
        attrs: &Attributes,
        obj: &mut Object,
        _old: Option<&Object>,
        ctx: &mut RequestContext<'_>,
    ) -> Result<Vec<String>, ApiError> {
        let is_namespace = attrs.kind.kind == "Namespace";
        if attrs.verb == Verb::Delete
            && is_namespace
            && IMMORTAL_NAMESPACES.contains(&attrs.name.as_str())
        {
            return Err(ApiError::forbidden(
                "namespaces",
                &attrs.name,
                "this namespace may not be deleted",
            ));
        }
        // Cluster-scoped objects, namespaces themselves and deletes of content are always allowed.
        if attrs.namespace.is_empty() || is_namespace || attrs.verb == Verb::Delete {
            return Ok(Vec::new());
        }
        let Some(ns) = ctx.lookup.get("Namespace", "", &attrs.namespace) else {
            return Err(ApiError::not_found("namespaces", &attrs.namespace));
        };
        let terminating = match ns.as_ref() {
            Object::Namespace(n) => {
                n.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Terminating")
            }
            _ => false,
        };
        if attrs.verb == Verb::Create && terminating {
            return Err(forbidden(
                attrs,
                Some(obj),
                format!(
                    "unable to create new content in namespace {} because it is being terminated",
                    attrs.namespace
                ),
            ));
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::admission::testing::{attrs, namespace, pod, MapLookup};
    use crate::sim::{SimRng, SimTime};
    use k8s_openapi::api::core::v1::NamespaceStatus;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn run(lookup: &MapLookup, a: &Attributes, obj: &mut Object) -> Result<Vec<String>, ApiError> {
        let mut rng = SimRng::new(1);
        let mut ctx = RequestContext {
            now: SimTime(0),
            rng: &mut rng,
            lookup,
        };
        NamespaceLifecycle.admit(a, obj, None, &mut ctx)
    }

    #[test]
    fn a_pod_in_a_missing_namespace_is_not_found() {
        let lookup = MapLookup::cluster();
        let mut p = pod("x", &["x"]);
        p.metadata.namespace = Some("foo".into());
        let err = run(
            &lookup,
            &attrs(Verb::Create, "Pod", "foo", "x"),
            &mut p.into(),
        )
        .unwrap_err();
        assert_eq!(err.message, "namespaces \"foo\" not found");
        assert_eq!(err.reason.code(), 404);
    }

    #[test]
    fn a_terminating_namespace_takes_no_new_content() {
        let mut lookup = MapLookup::cluster();
        let mut ns = namespace("foo");
        ns.status = Some(NamespaceStatus {
            phase: Some("Terminating".into()),
            ..Default::default()
        });
        lookup.add(ns);
        let mut p = pod("x", &["x"]);
        p.metadata.namespace = Some("foo".into());
        let err = run(
            &lookup,
            &attrs(Verb::Create, "Pod", "foo", "x"),
            &mut p.into(),
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "pods \"x\" is forbidden: unable to create new content in namespace foo because it is being terminated"
        );
    }

    #[test]
    fn the_default_namespace_may_not_be_deleted() {
        let lookup = MapLookup::cluster();
        let err = run(
            &lookup,
            &attrs(Verb::Delete, "Namespace", "", "default"),
            &mut namespace("default").into(),
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "namespaces \"default\" is forbidden: this namespace may not be deleted"
        );
    }

    #[test]
    fn a_pod_in_an_active_namespace_passes_unchanged() {
        let lookup = MapLookup::cluster();
        let changes = run(
            &lookup,
            &attrs(Verb::Create, "Pod", "default", "x"),
            &mut pod("x", &["x"]).into(),
        )
        .unwrap();
        assert!(changes.is_empty());
    }
}
