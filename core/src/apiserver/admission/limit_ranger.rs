//! LimitRanger (`plugin/pkg/admission/limitranger`): fills missing container requests and limits
//! from `Container` LimitRange defaults (mutating), then enforces min, max and
//! maxLimitRequestRatio per Container and per Pod (validating).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, LimitRange, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;

use super::{aggregate, forbidden, qty, MutatingPlugin, ValidatingPlugin, Verdict};
use crate::apiserver::errors::ApiError;
use crate::apiserver::request::{Attributes, Lookup, RequestContext, Verb};
use crate::object::Object;
use crate::quantity::Quantity;

/// The plugin's upstream name.
pub const NAME: &str = "LimitRanger";

/// The annotation recording which defaults were applied.
pub const ANNOTATION: &str = "kubernetes.io/limit-ranger";

/// The LimitRanger plugin.
pub struct LimitRanger;

type ResourceList = BTreeMap<String, K8sQuantity>;

/// Whether LimitRanger looks at this request: pod creates (not pod updates, not subresources).
fn applies(attrs: &Attributes) -> bool {
    attrs.kind.kind == "Pod" && attrs.subresource.is_none() && attrs.verb == Verb::Create
}

fn limit_ranges(lookup: &dyn Lookup, namespace: &str) -> Vec<LimitRange> {
    lookup
        .list("LimitRange", Some(namespace))
        .iter()
        .filter_map(|o| match o.as_ref() {
            Object::LimitRange(lr) => Some((**lr).clone()),
            _ => None,
        })
        .collect()
}

impl MutatingPlugin for LimitRanger {
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
        let Object::Pod(pod) = obj else {
            return Ok(Vec::new());
        };
        if !applies(attrs) {
            return Ok(Vec::new());
        }
        let mut changes = Vec::new();
        for lr in limit_ranges(ctx.lookup, &attrs.namespace) {
            changes.extend(apply_defaults(&lr, pod));
        }
        Ok(changes)
    }
}

/// `defaultContainerResourceRequirements` + `mergePodResourceRequirements`.
fn apply_defaults(lr: &LimitRange, pod: &mut Pod) -> Vec<String> {
    let mut default_requests = ResourceList::new();
    let mut default_limits = ResourceList::new();
    for item in lr.spec.as_ref().map(|s| s.limits.as_slice()).unwrap_or(&[]) {
        if item.type_ == "Container" {
            default_requests.extend(item.default_request.clone().unwrap_or_default());
            default_limits.extend(item.default.clone().unwrap_or_default());
        }
    }
    let mut annotations = Vec::new();
    let mut changes = Vec::new();
    let Some(spec) = pod.spec.as_mut() else {
        return changes;
    };
    let mut merge = |c: &mut Container, prefix: &str| {
        let resources = c.resources.get_or_insert_with(Default::default);
        let limits = resources.limits.get_or_insert_with(Default::default);
        let mut set_limits = Vec::new();
        for (k, v) in &default_limits {
            if !limits.contains_key(k) {
                limits.insert(k.clone(), v.clone());
                set_limits.push(k.clone());
                changes.push(format!(
                    "set {k} limit of {prefix} {} to {}",
                    c.name,
                    qty(v)
                ));
            }
        }
        let requests = resources.requests.get_or_insert_with(Default::default);
        let mut set_requests = Vec::new();
        for (k, v) in &default_requests {
            if !requests.contains_key(k) {
                requests.insert(k.clone(), v.clone());
                set_requests.push(k.clone());
                changes.push(format!(
                    "set {k} request of {prefix} {} to {}",
                    c.name,
                    qty(v)
                ));
            }
        }
        if !set_requests.is_empty() {
            annotations.push(format!(
                "{} request for {prefix} {}",
                set_requests.join(", "),
                c.name
            ));
        }
        if !set_limits.is_empty() {
            annotations.push(format!(
                "{} limit for {prefix} {}",
                set_limits.join(", "),
                c.name
            ));
        }
    };
    for c in spec.containers.iter_mut() {
        merge(c, "container");
    }
    for c in spec.init_containers.iter_mut().flatten() {
        merge(c, "init container");
    }
    if !annotations.is_empty() {
        let value = format!("LimitRanger plugin set: {}", annotations.join("; "));
        changes.push(format!("annotated {ANNOTATION}: {value}"));
        pod.metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(ANNOTATION.to_string(), value);
    }
    changes
}

impl ValidatingPlugin for LimitRanger {
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
        let Object::Pod(pod) = obj else {
            return Ok(Verdict::default());
        };
        if !applies(attrs) {
            return Ok(Verdict::default());
        }
        let mut verdict = Verdict::default();
        for lr in limit_ranges(ctx.lookup, &attrs.namespace) {
            let errs = validate_pod(&lr, pod);
            if !errs.is_empty() {
                return Err(forbidden(attrs, Some(obj), aggregate(&errs)));
            }
            verdict.notes.push(format!(
                "within LimitRange {}",
                lr.metadata.name.as_deref().unwrap_or_default()
            ));
        }
        Ok(verdict)
    }
}

fn list(q: &Option<ResourceList>) -> BTreeMap<String, Quantity> {
    q.iter()
        .flatten()
        .map(|(k, v)| (k.clone(), qty(v)))
        .collect()
}

fn requests_limits(c: &Container) -> (BTreeMap<String, Quantity>, BTreeMap<String, Quantity>) {
    let r = c.resources.clone().unwrap_or_default();
    (list(&r.requests), list(&r.limits))
}

/// `PodValidateLimitFunc`: every violated constraint, in order.
fn validate_pod(lr: &LimitRange, pod: &Pod) -> Vec<String> {
    let mut errs = Vec::new();
    let Some(spec) = pod.spec.as_ref() else {
        return errs;
    };
    let init = spec.init_containers.as_deref().unwrap_or(&[]);
    for item in lr.spec.as_ref().map(|s| s.limits.as_slice()).unwrap_or(&[]) {
        let t = item.type_.as_str();
        let mut check = |req: &BTreeMap<String, Quantity>, lim: &BTreeMap<String, Quantity>| {
            for (k, v) in list(&item.min) {
                errs.extend(min_constraint(t, &k, &v, req, lim));
            }
            for (k, v) in list(&item.max) {
                errs.extend(max_constraint(t, &k, &v, req, lim));
            }
            for (k, v) in list(&item.max_limit_request_ratio) {
                errs.extend(ratio_constraint(t, &k, &v, req, lim));
            }
        };
        if t == "Container" {
            for c in spec.containers.iter().chain(init) {
                let (req, lim) = requests_limits(c);
                check(&req, &lim);
            }
        }
        if t == "Pod" {
            let (req, lim) = pod_totals(&spec.containers, init);
            check(&req, &lim);
        }
    }
    errs
}

/// Pod requests and limits (`PodRequests`/`PodLimits` without overhead): the sum over
/// containers, raised to any single init container's. A resource keeps the format of the first
/// quantity seen, as upstream's `addResourceList` does.
pub fn pod_totals(
    containers: &[Container],
    init: &[Container],
) -> (BTreeMap<String, Quantity>, BTreeMap<String, Quantity>) {
    let mut req: BTreeMap<String, Quantity> = BTreeMap::new();
    let mut lim: BTreeMap<String, Quantity> = BTreeMap::new();
    for c in containers {
        let (r, l) = requests_limits(c);
        add_into(&mut req, &r);
        add_into(&mut lim, &l);
    }
    for c in init {
        let (r, l) = requests_limits(c);
        for (total, one) in [(&mut req, r), (&mut lim, l)] {
            for (k, v) in one {
                match total.get(&k) {
                    Some(e) if *e >= v => {}
                    _ => {
                        total.insert(k, v);
                    }
                }
            }
        }
    }
    (req, lim)
}

/// Adds `other` into `total` key by key; a new key takes `other`'s quantity (and format).
pub fn add_into(total: &mut BTreeMap<String, Quantity>, other: &BTreeMap<String, Quantity>) {
    for (k, v) in other {
        let sum = match total.get(k) {
            Some(e) => e.add(v),
            None => *v,
        };
        total.insert(k.clone(), sum);
    }
}

fn min_constraint(
    t: &str,
    name: &str,
    enforced: &Quantity,
    req: &BTreeMap<String, Quantity>,
    lim: &BTreeMap<String, Quantity>,
) -> Option<String> {
    let Some(r) = req.get(name) else {
        return Some(format!(
            "minimum {name} usage per {t} is {enforced}.  No request is specified"
        ));
    };
    if r.milli_value() < enforced.milli_value() {
        return Some(format!(
            "minimum {name} usage per {t} is {enforced}, but request is {r}"
        ));
    }
    match lim.get(name) {
        Some(l) if l.milli_value() < enforced.milli_value() => Some(format!(
            "minimum {name} usage per {t} is {enforced}, but limit is {l}"
        )),
        _ => None,
    }
}

fn max_constraint(
    t: &str,
    name: &str,
    enforced: &Quantity,
    req: &BTreeMap<String, Quantity>,
    lim: &BTreeMap<String, Quantity>,
) -> Option<String> {
    let Some(l) = lim.get(name) else {
        return Some(format!(
            "maximum {name} usage per {t} is {enforced}.  No limit is specified"
        ));
    };
    if l.milli_value() > enforced.milli_value() {
        return Some(format!(
            "maximum {name} usage per {t} is {enforced}, but limit is {l}"
        ));
    }
    match req.get(name) {
        Some(r) if r.milli_value() > enforced.milli_value() => Some(format!(
            "maximum {name} usage per {t} is {enforced}, but request is {r}"
        )),
        _ => None,
    }
}

fn ratio_constraint(
    t: &str,
    name: &str,
    enforced: &Quantity,
    req: &BTreeMap<String, Quantity>,
    lim: &BTreeMap<String, Quantity>,
) -> Option<String> {
    let r = req.get(name).map(Quantity::milli_value).unwrap_or(0);
    if r == 0 {
        return Some(format!(
            "{name} max limit to request ratio per {t} is {enforced}, but no request is specified or request is 0"
        ));
    }
    let l = lim.get(name).map(Quantity::milli_value).unwrap_or(0);
    if l == 0 {
        return Some(format!(
            "{name} max limit to request ratio per {t} is {enforced}, but no limit is specified or limit is 0"
        ));
    }
    let observed = l as f64 / r as f64;
    if observed * 1000.0 > enforced.milli_value() as f64 {
        return Some(format!(
            "{name} max limit to request ratio per {t} is {enforced}, but provided ratio is {observed:.6}"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::admission::testing::{attrs, meta, pod, MapLookup};
    use crate::sim::{SimRng, SimTime};
    use k8s_openapi::api::core::v1::{LimitRangeItem, LimitRangeSpec, ResourceRequirements};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn rl(pairs: &[(&str, &str)]) -> Option<ResourceList> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), K8sQuantity(v.to_string())))
                .collect(),
        )
    }

    fn with_resources(mut p: Pod, requests: &[(&str, &str)], limits: &[(&str, &str)]) -> Pod {
        p.spec.as_mut().unwrap().containers[0].resources = Some(ResourceRequirements {
            requests: rl(requests),
            limits: rl(limits),
            ..Default::default()
        });
        p
    }

    /// admin/resource/memory-constraints.yaml in namespace default.
    fn memory_constraints() -> LimitRange {
        LimitRange {
            metadata: meta("default", "mem-min-max-demo-lr"),
            spec: Some(LimitRangeSpec {
                limits: vec![LimitRangeItem {
                    type_: "Container".into(),
                    max: rl(&[("memory", "1Gi")]),
                    min: rl(&[("memory", "500Mi")]),
                    ..Default::default()
                }],
            }),
        }
    }

    fn admit_and_validate(lookup: &MapLookup, p: Pod) -> Result<Object, ApiError> {
        let mut rng = SimRng::new(1);
        let mut ctx = RequestContext {
            now: SimTime(0),
            rng: &mut rng,
            lookup,
        };
        let a = attrs(
            Verb::Create,
            "Pod",
            "default",
            p.metadata.name.as_deref().unwrap(),
        );
        let mut obj: Object = p.into();
        LimitRanger.admit(&a, &mut obj, None, &mut ctx)?;
        LimitRanger.validate(&a, &obj, None, &ctx)?;
        Ok(obj)
    }

    #[test]
    fn a_pod_within_the_memory_constraints_is_admitted() {
        let mut lookup = MapLookup::cluster();
        lookup.add(memory_constraints());
        let p = with_resources(
            pod("constraints-mem-demo", &["constraints-mem-demo-ctr"]),
            &[("memory", "600Mi")],
            &[("memory", "800Mi")],
        );
        assert!(admit_and_validate(&lookup, p).is_ok());
    }

    #[test]
    fn a_one_and_a_half_gi_limit_exceeds_the_container_maximum() {
        let mut lookup = MapLookup::cluster();
        lookup.add(memory_constraints());
        let p = with_resources(
            pod("constraints-mem-demo-2", &["constraints-mem-demo-2-ctr"]),
            &[("memory", "800Mi")],
            &[("memory", "1.5Gi")],
        );
        let err = admit_and_validate(&lookup, p).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"constraints-mem-demo-2\" is forbidden: maximum memory usage per Container is 1Gi, but limit is 1536Mi"
        );
        assert_eq!(
            err.kubectl_message("creating", "memory-constraints-pod-2.yaml"),
            "Error from server (Forbidden): error when creating \"memory-constraints-pod-2.yaml\": pods \"constraints-mem-demo-2\" is forbidden: maximum memory usage per Container is 1Gi, but limit is 1536Mi"
        );
    }

    #[test]
    fn a_small_request_is_below_the_minimum() {
        let mut lookup = MapLookup::cluster();
        lookup.add(memory_constraints());
        let p = with_resources(
            pod("p", &["c"]),
            &[("memory", "100Mi")],
            &[("memory", "800Mi")],
        );
        let err = admit_and_validate(&lookup, p).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"p\" is forbidden: minimum memory usage per Container is 500Mi, but request is 100Mi"
        );
    }

    #[test]
    fn defaults_fill_missing_values_and_annotate_the_pod() {
        let mut lookup = MapLookup::cluster();
        lookup.add(LimitRange {
            metadata: meta("default", "cpu-limit-range"),
            spec: Some(LimitRangeSpec {
                limits: vec![LimitRangeItem {
                    type_: "Container".into(),
                    default: rl(&[("cpu", "1")]),
                    default_request: rl(&[("cpu", "0.5")]),
                    ..Default::default()
                }],
            }),
        });
        let obj = admit_and_validate(&lookup, pod("default-cpu-demo", &["default-cpu-demo-ctr"]))
            .unwrap();
        let Object::Pod(p) = obj else { unreachable!() };
        assert_eq!(
            p.metadata.annotations.unwrap()[ANNOTATION],
            "LimitRanger plugin set: cpu request for container default-cpu-demo-ctr; cpu limit for container default-cpu-demo-ctr"
        );
        let r = p.spec.unwrap().containers[0].resources.clone().unwrap();
        assert_eq!(qty(&r.requests.unwrap()["cpu"]).to_string(), "500m");
        assert_eq!(qty(&r.limits.unwrap()["cpu"]).to_string(), "1");
    }

    #[test]
    fn missing_limits_and_ratios_have_their_own_messages() {
        let mut lookup = MapLookup::cluster();
        lookup.add(LimitRange {
            metadata: meta("default", "lr"),
            spec: Some(LimitRangeSpec {
                limits: vec![
                    LimitRangeItem {
                        type_: "Container".into(),
                        max_limit_request_ratio: rl(&[("cpu", "2")]),
                        ..Default::default()
                    },
                    LimitRangeItem {
                        type_: "Pod".into(),
                        max: rl(&[("cpu", "800m")]),
                        ..Default::default()
                    },
                ],
            }),
        });
        let p = with_resources(pod("p", &["c"]), &[("cpu", "250m")], &[("cpu", "1")]);
        let err = admit_and_validate(&lookup, p).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"p\" is forbidden: [cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000, maximum cpu usage per Pod is 800m, but limit is 1]"
        );
        let p = with_resources(pod("q", &["c"]), &[("cpu", "250m")], &[]);
        let err = admit_and_validate(&lookup, p).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"q\" is forbidden: [cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0, maximum cpu usage per Pod is 800m.  No limit is specified]"
        );
    }
}
