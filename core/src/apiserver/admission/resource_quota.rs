//! ResourceQuota (apiserver `pkg/admission/plugin/resourcequota`, evaluators from
//! `pkg/quota/v1/evaluator/core`): runs last; charges the new object's usage to every quota of
//! its namespace and refuses the request if any quota would be exceeded, or if a quota limits
//! cpu/memory and a container does not say how much it needs.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Container, Pod, ResourceQuota as Quota};

use super::limit_ranger::{add_into, pod_totals};
use super::{forbidden, qty, QuotaUsage, ValidatingPlugin, Verdict};
use crate::apiserver::errors::ApiError;
use crate::apiserver::request::{Attributes, Lookup, RequestContext, Verb};
use crate::object::{KindInfo, Object};
use crate::quantity::{Format, Quantity};

/// The plugin's upstream name.
pub const NAME: &str = "ResourceQuota";

/// Quota resources that require every container to state the matching request or limit.
const VALIDATION_SET: &[&str] = &[
    "cpu",
    "memory",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
];

/// The ResourceQuota plugin.
pub struct ResourceQuota;

type Usage = BTreeMap<String, Quantity>;

fn one() -> Quantity {
    Quantity::from_units(1, Format::DecimalSI)
}

/// The object-count resource name: `count/pods`, `count/deployments.apps`.
pub fn count_name(kind: &KindInfo) -> String {
    if kind.group.is_empty() {
        format!("count/{}", kind.resource)
    } else {
        format!("count/{}.{}", kind.resource, kind.group)
    }
}

/// `podComputeUsageHelper`: what a container (or a pod's totals) charges.
fn compute_usage(requests: &Usage, limits: &Usage) -> Usage {
    let mut u = Usage::new();
    u.insert("pods".into(), one());
    for r in ["cpu", "memory", "ephemeral-storage"] {
        if let Some(q) = requests.get(r) {
            u.insert(r.to_string(), *q);
            u.insert(format!("requests.{r}"), *q);
        }
        if let Some(q) = limits.get(r) {
            u.insert(format!("limits.{r}"), *q);
        }
    }
    u
}

fn container_lists(c: &Container) -> (Usage, Usage) {
    let r = c.resources.clone().unwrap_or_default();
    let list =
        |l: Option<BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>| {
            l.unwrap_or_default()
                .iter()
                .map(|(k, v)| (k.clone(), qty(v)))
                .collect::<Usage>()
        };
    (list(r.requests), list(r.limits))
}

/// `PodUsageFunc`: `count/pods` always; compute resources unless the pod has finished.
pub fn pod_usage(pod: &Pod) -> Usage {
    let mut u = Usage::new();
    u.insert("count/pods".into(), one());
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if matches!(phase, Some("Succeeded") | Some("Failed")) {
        return u;
    }
    let spec = pod.spec.clone().unwrap_or_default();
    let (requests, limits) = pod_totals(
        &spec.containers,
        spec.init_containers.as_deref().unwrap_or(&[]),
    );
    add_into(&mut u, &compute_usage(&requests, &limits));
    u
}

/// What one object charges to its namespace's quotas.
pub fn usage(obj: &Object) -> Usage {
    if let Object::Pod(p) = obj {
        return pod_usage(p);
    }
    let kind = obj.info();
    let mut u = Usage::new();
    u.insert(count_name(kind), one());
    if kind.group.is_empty()
        && matches!(
            kind.resource,
            "services" | "secrets" | "configmaps" | "persistentvolumeclaims" | "resourcequotas"
        )
    {
        u.insert(kind.resource.to_string(), one());
    }
    u
}

/// The namespace's current usage of everything `obj`'s kind can charge, as the quota
/// controller would compute it (the object itself excluded).
fn namespace_usage(lookup: &dyn Lookup, obj: &Object, namespace: &str) -> Usage {
    let name = obj.meta().name.clone();
    let mut total = Usage::new();
    for other in lookup.list(obj.info().kind, Some(namespace)) {
        if name.is_some() && other.meta().name == name {
            continue;
        }
        add_into(&mut total, &usage(&other));
    }
    total
}

/// `pods` evaluator `Constraints`: cpu/memory quotas need every container to state them.
fn constraints(required: &BTreeSet<String>, pod: &Pod) -> Option<String> {
    let required: BTreeSet<&str> = required
        .iter()
        .map(String::as_str)
        .filter(|r| VALIDATION_SET.contains(r))
        .collect();
    let mut missing: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let spec = pod.spec.clone().unwrap_or_default();
    for c in spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
    {
        let (r, l) = container_lists(c);
        let has = compute_usage(&r, &l);
        for res in &required {
            if !has.contains_key(*res) {
                missing.entry(res).or_default().insert(c.name.clone());
            }
        }
    }
    if missing.is_empty() {
        return None;
    }
    let parts: Vec<String> = missing
        .iter()
        .map(|(res, names)| {
            format!(
                "{res} for: {}",
                names.iter().cloned().collect::<Vec<_>>().join(",")
            )
        })
        .collect();
    Some(format!("must specify {}", parts.join("; ")))
}

/// `prettyPrint`: `k=v` pairs sorted by key, joined by commas.
fn pretty(list: &Usage, keys: &[String]) -> String {
    keys.iter()
        .filter_map(|k| list.get(k).map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(",")
}

impl ValidatingPlugin for ResourceQuota {
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
        if attrs.verb != Verb::Create || attrs.subresource.is_some() || attrs.namespace.is_empty() {
            return Ok(Verdict::default());
        }
        let quotas: Vec<Quota> = ctx
            .lookup
            .list("ResourceQuota", Some(&attrs.namespace))
            .iter()
            .filter_map(|o| match o.as_ref() {
                Object::ResourceQuota(q) => Some((**q).clone()),
                _ => None,
            })
            .collect();
        if quotas.is_empty() {
            return Ok(Verdict::default());
        }
        let delta = usage(obj);
        let used_now = namespace_usage(ctx.lookup, obj, &attrs.namespace);
        let mut verdict = Verdict::default();
        for quota in &quotas {
            let quota_name = quota.metadata.name.clone().unwrap_or_default();
            let hard: Usage = quota
                .spec
                .as_ref()
                .and_then(|s| s.hard.as_ref())
                .iter()
                .flat_map(|h| h.iter())
                .map(|(k, v)| (k.clone(), qty(v)))
                .collect();
            let hard_names: BTreeSet<String> = hard.keys().cloned().collect();
            if let Object::Pod(pod) = obj {
                if let Some(why) = constraints(&hard_names, pod) {
                    return Err(forbidden(
                        attrs,
                        Some(obj),
                        format!("failed quota: {quota_name}: {why}"),
                    ));
                }
            }
            let requested: Usage = delta
                .iter()
                .filter(|(k, v)| hard.contains_key(*k) && !v.is_zero())
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            if requested.is_empty() {
                continue;
            }
            let used: Usage = hard
                .iter()
                .map(|(k, h)| {
                    let zero = if h.format() == Format::BinarySI {
                        Quantity::from_units(0, Format::BinarySI)
                    } else {
                        Quantity::ZERO
                    };
                    (k.clone(), used_now.get(k).copied().unwrap_or(zero))
                })
                .collect();
            let mut new_usage = used.clone();
            add_into(&mut new_usage, &requested);
            let exceeded: Vec<String> = requested
                .keys()
                .filter(|k| new_usage[*k] > hard[*k])
                .cloned()
                .collect();
            if !exceeded.is_empty() {
                return Err(forbidden(
                    attrs,
                    Some(obj),
                    format!(
                        "exceeded quota: {quota_name}, requested: {}, used: {}, limited: {}",
                        pretty(&requested, &exceeded),
                        pretty(&used, &exceeded),
                        pretty(&hard, &exceeded)
                    ),
                ));
            }
            verdict.notes.push(format!(
                "charged quota {quota_name}: {}",
                pretty(&new_usage, &requested.keys().cloned().collect::<Vec<_>>())
            ));
            verdict.quota_usage.push(QuotaUsage {
                namespace: attrs.namespace.clone(),
                name: quota_name,
                used: new_usage,
            });
        }
        Ok(verdict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::admission::testing::{attrs, meta, pod, MapLookup};
    use crate::sim::{SimRng, SimTime};
    use k8s_openapi::api::core::v1::{ResourceQuotaSpec, ResourceRequirements};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn rl(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, K8sQuantity>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), K8sQuantity(v.to_string())))
                .collect(),
        )
    }

    /// admin/resource/quota-mem-cpu.yaml in namespace default.
    fn mem_cpu_demo() -> Quota {
        Quota {
            metadata: meta("default", "mem-cpu-demo"),
            spec: Some(ResourceQuotaSpec {
                hard: rl(&[
                    ("requests.cpu", "1"),
                    ("requests.memory", "1Gi"),
                    ("limits.cpu", "2"),
                    ("limits.memory", "2Gi"),
                ]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn sized(name: &str, requests: &[(&str, &str)], limits: &[(&str, &str)]) -> Pod {
        let mut p = pod(name, &[&format!("{name}-ctr")]);
        p.spec.as_mut().unwrap().containers[0].resources = Some(ResourceRequirements {
            requests: rl(requests),
            limits: rl(limits),
            ..Default::default()
        });
        p
    }

    fn check(lookup: &MapLookup, p: Pod) -> Result<Verdict, ApiError> {
        let rng = &mut SimRng::new(1);
        let ctx = RequestContext {
            now: SimTime(0),
            rng,
            lookup,
        };
        let a = attrs(
            Verb::Create,
            "Pod",
            "default",
            p.metadata.name.as_deref().unwrap(),
        );
        ResourceQuota.validate(&a, &p.into(), None, &ctx)
    }

    fn first_pod() -> Pod {
        sized(
            "quota-mem-cpu-demo",
            &[("memory", "600Mi"), ("cpu", "400m")],
            &[("memory", "800Mi"), ("cpu", "800m")],
        )
    }

    #[test]
    fn the_first_pod_fits_and_reports_the_new_usage() {
        let mut lookup = MapLookup::cluster();
        lookup.add(mem_cpu_demo());
        let verdict = check(&lookup, first_pod()).unwrap();
        let used = &verdict.quota_usage[0].used;
        let printed: Vec<String> = used.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            printed,
            vec![
                "limits.cpu=800m",
                "limits.memory=800Mi",
                "requests.cpu=400m",
                "requests.memory=600Mi"
            ]
        );
    }

    #[test]
    fn a_second_pod_asking_for_700_mi_exceeds_the_memory_quota() {
        let mut lookup = MapLookup::cluster();
        lookup.add(mem_cpu_demo());
        lookup.add(first_pod());
        let err = check(
            &lookup,
            sized(
                "quota-mem-cpu-demo-2",
                &[("memory", "700Mi"), ("cpu", "400m")],
                &[("memory", "1Gi"), ("cpu", "800m")],
            ),
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "pods \"quota-mem-cpu-demo-2\" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi"
        );
    }

    #[test]
    fn several_exceeded_resources_are_sorted_and_joined_without_spaces() {
        let mut lookup = MapLookup::cluster();
        lookup.add(mem_cpu_demo());
        lookup.add(first_pod());
        let err = check(
            &lookup,
            sized(
                "big",
                &[("memory", "700Mi"), ("cpu", "700m")],
                &[("memory", "1Gi"), ("cpu", "800m")],
            ),
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "pods \"big\" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.cpu=700m,requests.memory=700Mi, used: requests.cpu=400m,requests.memory=600Mi, limited: requests.cpu=1,requests.memory=1Gi"
        );
    }

    #[test]
    fn a_pod_without_resources_must_specify_them() {
        let mut lookup = MapLookup::cluster();
        lookup.add(mem_cpu_demo());
        let err = check(&lookup, pod("nginx", &["nginx"])).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"nginx\" is forbidden: failed quota: mem-cpu-demo: must specify limits.cpu for: nginx; limits.memory for: nginx; requests.cpu for: nginx; requests.memory for: nginx"
        );
    }

    #[test]
    fn object_counts_use_count_names() {
        let mut lookup = MapLookup::cluster();
        lookup.add(Quota {
            metadata: meta("default", "pods-max"),
            spec: Some(ResourceQuotaSpec {
                hard: rl(&[("pods", "1")]),
                ..Default::default()
            }),
            ..Default::default()
        });
        lookup.add(pod("a", &["a"]));
        let err = check(&lookup, pod("b", &["b"])).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"b\" is forbidden: exceeded quota: pods-max, requested: pods=1, used: pods=1, limited: pods=1"
        );
    }
}
