//! RuntimeClass (`plugin/pkg/admission/runtimeclass`): a pod naming a RuntimeClass must name one
//! that exists. The simulated cluster serves no RuntimeClass objects (kubeadm creates none), so
//! any named class is unknown.

use super::{forbidden, MutatingPlugin};
use crate::apiserver::errors::ApiError;
use crate::apiserver::request::{Attributes, RequestContext, Verb};
use crate::object::Object;

/// The plugin's upstream name.
pub const NAME: &str = "RuntimeClass";

/// The RuntimeClass plugin.
pub struct RuntimeClass;

impl MutatingPlugin for RuntimeClass {
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
        if attrs.verb != Verb::Create || attrs.subresource.is_some() {
            return Ok(Vec::new());
        }
        let Object::Pod(pod) = obj else {
            return Ok(Vec::new());
        };
        let class = pod
            .spec
            .as_ref()
            .and_then(|s| s.runtime_class_name.clone())
            .unwrap_or_default();
        if class.is_empty() || ctx.lookup.get("RuntimeClass", "", &class).is_some() {
            return Ok(Vec::new());
        }
        Err(forbidden(
            attrs,
            Some(obj),
            format!("pod rejected: RuntimeClass \"{class}\" not found"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::admission::testing::{attrs, pod, MapLookup};
    use crate::sim::{SimRng, SimTime};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn an_unknown_runtime_class_is_rejected() {
        let lookup = MapLookup::cluster();
        let mut rng = SimRng::new(1);
        let mut ctx = RequestContext {
            now: SimTime(0),
            rng: &mut rng,
            lookup: &lookup,
        };
        let mut p = pod("x", &["x"]);
        p.spec.as_mut().unwrap().runtime_class_name = Some("foo".into());
        let err = RuntimeClass
            .admit(
                &attrs(Verb::Create, "Pod", "default", "x"),
                &mut p.into(),
                None,
                &mut ctx,
            )
            .unwrap_err();
        assert_eq!(
            err.message,
            "pods \"x\" is forbidden: pod rejected: RuntimeClass \"foo\" not found"
        );
    }
}
