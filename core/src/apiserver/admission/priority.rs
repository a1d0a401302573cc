//! Priority (`plugin/pkg/admission/priority`): resolves a pod's `priorityClassName` (or the
//! global default) into `spec.priority` and `spec.preemptionPolicy`, and keeps a second
//! PriorityClass from claiming `globalDefault`.

use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{forbidden, MutatingPlugin, ValidatingPlugin, Verdict};
use crate::apiserver::errors::ApiError;
use crate::apiserver::request::{Attributes, Lookup, RequestContext, Verb};
use crate::object::Object;

/// The plugin's upstream name.
pub const NAME: &str = "Priority";

/// The preemption policy of a class that names none (scheme default).
pub const PREEMPT_LOWER_PRIORITY: &str = "PreemptLowerPriority";

/// The built-in classes every cluster has, with their values.
pub const SYSTEM_PRIORITY_CLASSES: &[(&str, i32, &str)] = &[
    (
        "system-node-critical",
        2_000_001_000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    (
        "system-cluster-critical",
        2_000_000_000,
        "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
    ),
];

/// The built-in PriorityClass objects the API server creates at start.
pub fn system_priority_classes() -> Vec<PriorityClass> {
    SYSTEM_PRIORITY_CLASSES
        .iter()
        .map(|(name, value, description)| PriorityClass {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                ..Default::default()
            },
            value: *value,
            description: Some(description.to_string()),
            preemption_policy: Some(PREEMPT_LOWER_PRIORITY.into()),
            global_default: None,
        })
        .collect()
}

/// The Priority plugin.
pub struct Priority;

fn find_class(lookup: &dyn Lookup, name: &str) -> Option<PriorityClass> {
    match lookup.get("PriorityClass", "", name).as_deref() {
        Some(Object::PriorityClass(pc)) => Some((**pc).clone()),
        _ => system_priority_classes()
            .into_iter()
            .find(|pc| pc.metadata.name.as_deref() == Some(name)),
    }
}

/// The global default class (the lowest value if several claim it).
fn default_class(lookup: &dyn Lookup) -> Option<PriorityClass> {
    lookup
        .list("PriorityClass", None)
        .iter()
        .filter_map(|o| match o.as_ref() {
            Object::PriorityClass(pc) if pc.global_default == Some(true) => Some((**pc).clone()),
            _ => None,
        })
        .min_by_key(|pc| pc.value)
}

impl MutatingPlugin for Priority {
    fn name(&self) -> &'static str {
        NAME
    }

    fn admit(
        &self,
        attrs: &Attributes,
        obj: &mut Object,
        old: Option<&Object>,
        ctx: &mut RequestContext<'_>,
    ) -> Result<Vec<String>, ApiError> {
        if attrs.subresource.is_some() {
            return Ok(Vec::new());
        }
        let Object::Pod(pod) = obj else {
            return Ok(Vec::new());
        };
        if attrs.verb != Verb::Create {
            if let Some(Object::Pod(old)) = old {
                if pod.spec.as_ref().and_then(|s| s.priority).is_none() {
                    pod.spec.get_or_insert_with(Default::default).priority =
                        old.spec.as_ref().and_then(|s| s.priority);
                }
            }
            return Ok(Vec::new());
        }
        // Read from the pod as sent; it is changed only once every check has passed.
        let sent = pod.spec.as_ref();
        let class_name = sent
            .and_then(|s| s.priority_class_name.clone())
            .unwrap_or_default();
        let (class, priority, policy) = if class_name.is_empty() {
            match default_class(ctx.lookup) {
                Some(pc) => (
                    pc.metadata.name.clone(),
                    pc.value,
                    pc.preemption_policy.clone(),
                ),
                None => (None, 0, Some(PREEMPT_LOWER_PRIORITY.to_string())),
            }
        } else {
            let Some(pc) = find_class(ctx.lookup, &class_name) else {
                return Err(forbidden(
                    attrs,
                    Some(obj),
                    format!("no PriorityClass with name {class_name} was found"),
                ));
            };
            (Some(class_name.clone()), pc.value, pc.preemption_policy)
        };
        if let Some(p) = sent.and_then(|s| s.priority) {
            if p != priority {
                return Err(forbidden(
                    attrs,
                    Some(obj),
                    format!("the integer value of priority ({p}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name"),
                ));
            }
        }
        if let Some(policy) = &policy {
            if let Some(own) = sent.and_then(|s| s.preemption_policy.clone()) {
                if own != *policy {
                    return Err(forbidden(
                        attrs,
                        Some(obj),
                        format!("the string value of PreemptionPolicy ({own}) must not be provided in pod spec; priority admission controller computed {policy} from the given PriorityClass name"),
                    ));
                }
            }
        }
        let spec = pod.spec.get_or_insert_with(Default::default);
        let mut changes = Vec::new();
        if let Some(name) = class.filter(|_| class_name.is_empty()) {
            changes.push(format!(
                "set spec.priorityClassName to \"{name}\" (global default)"
            ));
            spec.priority_class_name = Some(name);
        }
        spec.priority = Some(priority);
        changes.push(format!("set spec.priority to {priority}"));
        if let Some(policy) = policy {
            changes.push(format!("set spec.preemptionPolicy to {policy}"));
            spec.preemption_policy = Some(policy);
        }
        Ok(changes)
    }
}

impl ValidatingPlugin for Priority {
    fn name(&self) -> &'static str {
        NAME
    }

    fn validate(
        &self,
        attrs: &Attributes,
        obj: &Object,
        _old: Option<&Object>,
        ctx: &RequestContext<'_>,
    ) -> Result<Verdict, ApiError> {
        let Object::PriorityClass(pc) = obj else {
            return Ok(Verdict::default());
        };
        if pc.global_default != Some(true) || attrs.subresource.is_some() {
            return Ok(Verdict::default());
        }
        if let Some(existing) = default_class(ctx.lookup) {
            let same = existing.metadata.name == pc.metadata.name;
            if attrs.verb == Verb::Create || (attrs.verb != Verb::Delete && !same) {
                return Err(forbidden(
                    attrs,
                    Some(obj),
                    format!(
                        "PriorityClass {} is already marked as default. Only one default can exist",
                        existing.metadata.name.unwrap_or_default()
                    ),
                ));
            }
        }
        Ok(Verdict::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::admission::testing::{attrs, pod, MapLookup};
    use crate::sim::{SimRng, SimTime};
    use k8s_openapi::api::core::v1::Pod;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn admit(lookup: &MapLookup, p: Pod) -> (Result<Vec<String>, ApiError>, Pod) {
        let mut rng = SimRng::new(1);
        let mut ctx = RequestContext {
            now: SimTime(0),
            rng: &mut rng,
            lookup,
        };
        let a = attrs(Verb::Create, "Pod", "default", "x");
        let mut obj: Object = p.into();
        let r = Priority.admit(&a, &mut obj, None, &mut ctx);
        let Object::Pod(p) = obj else { unreachable!() };
        (r, *p)
    }

    fn class(name: &str, value: i32, global_default: bool) -> PriorityClass {
        PriorityClass {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            value,
            global_default: Some(global_default),
            preemption_policy: Some("Never".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_pod_without_a_class_gets_priority_zero_and_preempt_lower_priority() {
        let (r, p) = admit(&MapLookup::cluster(), pod("x", &["x"]));
        assert_eq!(
            r.unwrap(),
            vec![
                "set spec.priority to 0",
                "set spec.preemptionPolicy to PreemptLowerPriority"
            ]
        );
        let spec = p.spec.unwrap();
        assert_eq!(spec.priority, Some(0));
        assert_eq!(
            spec.preemption_policy.as_deref(),
            Some("PreemptLowerPriority")
        );
        assert_eq!(spec.priority_class_name, None);
    }

    #[test]
    fn the_global_default_class_applies_to_pods_without_one() {
        let mut lookup = MapLookup::cluster();
        lookup.add(class("low", 10, true));
        let (_, p) = admit(&lookup, pod("x", &["x"]));
        let spec = p.spec.unwrap();
        assert_eq!(spec.priority, Some(10));
        assert_eq!(spec.priority_class_name.as_deref(), Some("low"));
        assert_eq!(spec.preemption_policy.as_deref(), Some("Never"));
    }

    #[test]
    fn system_classes_resolve_to_their_values() {
        let mut p = pod("x", &["x"]);
        p.spec.as_mut().unwrap().priority_class_name = Some("system-node-critical".into());
        let (_, p) = admit(&MapLookup::cluster(), p);
        assert_eq!(p.spec.unwrap().priority, Some(2_000_001_000));
    }

    #[test]
    fn an_unknown_class_is_forbidden() {
        let mut p = pod("x", &["x"]);
        p.spec.as_mut().unwrap().priority_class_name = Some("foo".into());
        let (r, _) = admit(&MapLookup::cluster(), p);
        assert_eq!(
            r.unwrap_err().message,
            "pods \"x\" is forbidden: no PriorityClass with name foo was found"
        );
    }

    #[test]
    fn a_client_set_priority_that_differs_is_forbidden() {
        let mut p = pod("x", &["x"]);
        p.spec.as_mut().unwrap().priority = Some(100);
        let (r, _) = admit(&MapLookup::cluster(), p);
        assert_eq!(
            r.unwrap_err().message,
            "pods \"x\" is forbidden: the integer value of priority (100) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name"
        );
    }

    #[test]
    fn only_one_class_may_be_the_global_default() {
        let mut lookup = MapLookup::cluster();
        lookup.add(class("low", 10, true));
        let rng = &mut SimRng::new(1);
        let ctx = RequestContext {
            now: SimTime(0),
            rng,
            lookup: &lookup,
        };
        let a = attrs(Verb::Create, "PriorityClass", "", "high");
        let err = Priority
            .validate(&a, &class("high", 100, true).into(), None, &ctx)
            .unwrap_err();
        assert_eq!(
            err.message,
            "priorityclasses.scheduling.k8s.io \"high\" is forbidden: PriorityClass low is already marked as default. Only one default can exist"
        );
    }
}
