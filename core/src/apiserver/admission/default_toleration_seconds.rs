//! DefaultTolerationSeconds (`plugin/pkg/admission/defaulttolerationseconds`): pods tolerate
//! `node.kubernetes.io/not-ready` and `node.kubernetes.io/unreachable` NoExecute taints for
//! 300 s unless they already tolerate them.

use k8s_openapi::api::core::v1::Toleration;

use super::MutatingPlugin;
use crate::apiserver::errors::ApiError;
use crate::apiserver::request::{Attributes, RequestContext, Verb};
use crate::object::Object;

/// The plugin's upstream name.
pub const NAME: &str = "DefaultTolerationSeconds";

/// `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds`.
pub const DEFAULT_SECONDS: i64 = 300;

/// The taint keys the plugin adds tolerations for, in the order it appends them.
pub const TAINT_KEYS: &[&str] = &[
    "node.kubernetes.io/not-ready",
    "node.kubernetes.io/unreachable",
];

/// The DefaultTolerationSeconds plugin.
pub struct DefaultTolerationSeconds;

impl MutatingPlugin for DefaultTolerationSeconds {
    fn name(&self) -> &'static str {
        NAME
    }

    fn admit(
        &self,
        attrs: &Attributes,
        obj: &mut Object,
        _old: Option<&Object>,
        _ctx: &mut RequestContext<'_>,
    ) -> Result<Vec<String>, ApiError> {
        if attrs.verb != Verb::Create || attrs.subresource.is_some() {
            return Ok(Vec::new());
        }
        let Object::Pod(pod) = obj else {
            return Ok(Vec::new());
        };
        let spec = pod.spec.get_or_insert_with(Default::default);
        let mut changes = Vec::new();
        for key in TAINT_KEYS {
            let tolerated = spec.tolerations.iter().flatten().any(|t| {
                let k = t.key.as_deref().unwrap_or_default();
                let e = t.effect.as_deref().unwrap_or_default();
                (k == *key || k.is_empty()) && (e == "NoExecute" || e.is_empty())
            });
            if !tolerated {
                spec.tolerations
                    .get_or_insert_with(Vec::new)
                    .push(Toleration {
                        key: Some(key.to_string()),
                        operator: Some("Exists".into()),
                        effect: Some("NoExecute".into()),
                        toleration_seconds: Some(DEFAULT_SECONDS),
                        value: None,
                    });
                changes.push(format!(
                    "added toleration {key}:NoExecute op=Exists for {DEFAULT_SECONDS}s"
                ));
            }
        }
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::admission::testing::{attrs, pod, MapLookup};
    use crate::sim::{SimRng, SimTime};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn admit(p: k8s_openapi::api::core::v1::Pod) -> (Vec<String>, Vec<Toleration>) {
        let lookup = MapLookup::cluster();
        let mut rng = SimRng::new(1);
        let mut ctx = RequestContext {
            now: SimTime(0),
            rng: &mut rng,
            lookup: &lookup,
        };
        let mut obj: Object = p.into();
        let changes = DefaultTolerationSeconds
            .admit(
                &attrs(Verb::Create, "Pod", "default", "x"),
                &mut obj,
                None,
                &mut ctx,
            )
            .unwrap();
        let Object::Pod(p) = obj else { unreachable!() };
        (changes, p.spec.unwrap().tolerations.unwrap_or_default())
    }

    #[test]
    fn both_tolerations_are_added_with_three_hundred_seconds() {
        let (changes, tolerations) = admit(pod("x", &["x"]));
        assert_eq!(
            changes,
            vec![
                "added toleration node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
                "added toleration node.kubernetes.io/unreachable:NoExecute op=Exists for 300s",
            ]
        );
        assert_eq!(tolerations.len(), 2);
        assert_eq!(
            tolerations[1].key.as_deref(),
            Some("node.kubernetes.io/unreachable")
        );
        assert_eq!(tolerations[1].toleration_seconds, Some(300));
    }

    #[test]
    fn an_existing_toleration_for_the_key_is_kept() {
        let mut p = pod("x", &["x"]);
        p.spec.as_mut().unwrap().tolerations = Some(vec![Toleration {
            key: Some("node.kubernetes.io/not-ready".into()),
            operator: Some("Exists".into()),
            effect: Some("NoExecute".into()),
            toleration_seconds: Some(5),
            value: None,
        }]);
        let (changes, tolerations) = admit(p);
        assert_eq!(changes.len(), 1);
        assert_eq!(tolerations[0].toleration_seconds, Some(5));
    }

    #[test]
    fn a_toleration_of_everything_needs_nothing_more() {
        let mut p = pod("x", &["x"]);
        p.spec.as_mut().unwrap().tolerations = Some(vec![Toleration {
            operator: Some("Exists".into()),
            ..Default::default()
        }]);
        let (changes, tolerations) = admit(p);
        assert!(changes.is_empty());
        assert_eq!(tolerations.len(), 1);
    }
}
