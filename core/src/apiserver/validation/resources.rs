//! Resource names and quantities in container requirements (`validateResourceRequirements`):
//! requests ≤ limits, non-overcommittable resources, negative and fractional quantities.

use super::names::is_qualified_name;
use super::under;
use crate::apiserver::errors::{go_quote, FieldError};
use crate::quantity::Quantity;
use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;

/// A resource name without a domain, or in `kubernetes.io/`, is native (`IsNativeResource`).
pub fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// `hugepages-<size>` resources.
pub fn is_huge_pages(name: &str) -> bool {
    name.starts_with("hugepages-")
}

/// `IsExtendedResourceName`: a domain-prefixed, non-`kubernetes.io` name that is not a quota
/// `requests.` name.
pub fn is_extended_resource(name: &str) -> bool {
    if is_native_resource(name) || name.starts_with("requests.") {
        return false;
    }
    is_qualified_name(&format!("requests.{name}")).is_empty()
}

/// `IsOvercommitAllowed`: only native, non-hugepage resources may be requested below their limit.
pub fn is_overcommit_allowed(name: &str) -> bool {
    is_native_resource(name) && !is_huge_pages(name)
}

fn is_standard_container_resource(name: &str) -> bool {
    matches!(name, "cpu" | "memory" | "ephemeral-storage") || is_huge_pages(name)
}

fn validate_container_resource_name(name: &str, path: &str) -> Vec<FieldError> {
    let mut errs: Vec<FieldError> = is_qualified_name(name)
        .into_iter()
        .map(|m| FieldError::invalid(path, go_quote(name), m))
        .collect();
    if !errs.is_empty() {
        return errs;
    }
    if !name.contains('/') {
        if !is_standard_container_resource(name) {
            errs.push(FieldError::invalid(
                path,
                go_quote(name),
                "must be a standard resource for containers",
            ));
        }
    } else if !is_native_resource(name) && !is_extended_resource(name) {
        errs.push(FieldError::invalid(
            path,
            go_quote(name),
            "doesn't follow extended resource name standard",
        ));
    }
    errs
}

fn parse(q: &ApiQuantity) -> Quantity {
    // Defaulting already refused malformed quantities; a stray one counts as zero.
    Quantity::parse(q.0.trim()).unwrap_or(Quantity::ZERO)
}

fn validate_quantity_value(name: &str, q: &Quantity, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if q.is_negative() {
        errs.push(FieldError::invalid(
            path,
            go_quote(&q.to_string()),
            "must be greater than or equal to 0",
        ));
    }
    if is_extended_resource(name) && q.milli_value() % 1000 != 0 {
        errs.push(FieldError::invalid(
            path,
            go_quote(&q.to_string()),
            "must be an integer",
        ));
    }
    errs
}

/// `ValidateContainerResourceRequirements`. Upstream walks Go maps (random order); this walks
/// them sorted, so `cpu` comes before `memory`.
pub fn validate_resource_requirements(
    r: Option<&ResourceRequirements>,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(r) = r else {
        return errs;
    };
    // The paths are written only for the errors that name them: most containers are valid.
    let lim_path = || format!("{path}.limits");
    let req_path = || format!("{path}.requests");
    let named = |name: &str, q: &Quantity, at: &str| {
        let mut errs = validate_container_resource_name(name, at);
        errs.extend(validate_quantity_value(name, q, at));
        errs
    };
    let (mut lim_cpu_mem, mut req_cpu_mem, mut lim_huge, mut req_huge) =
        (false, false, false, false);
    for (name, q) in r.limits.iter().flatten() {
        let limit = parse(q);
        errs.extend(under(
            || format!("{path}.limits[{name}]"),
            |at| named(name, &limit, at),
        ));
        lim_huge |= is_huge_pages(name);
        lim_cpu_mem |= name == "cpu" || name == "memory";
    }
    for (name, q) in r.requests.iter().flatten() {
        let request = parse(q);
        errs.extend(under(
            || format!("{path}.requests[{name}]"),
            |at| named(name, &request, at),
        ));
        match r.limits.as_ref().and_then(|l| l.get(name)) {
            Some(limit) => {
                let limit = parse(limit);
                if request != limit && !is_overcommit_allowed(name) {
                    errs.push(FieldError::invalid(
                        req_path(),
                        go_quote(&request.to_string()),
                        format!("must be equal to {name} limit of {limit}"),
                    ));
                } else if request > limit {
                    errs.push(FieldError::invalid(
                        req_path(),
                        go_quote(&request.to_string()),
                        format!("must be less than or equal to {name} limit of {limit}"),
                    ));
                }
            }
            None if !is_overcommit_allowed(name) => errs.push(FieldError::required(
                lim_path(),
                "Limit must be set for non overcommitable resources",
            )),
            None => {}
        }
        req_huge |= is_huge_pages(name);
        req_cpu_mem |= name == "cpu" || name == "memory";
    }
    if !lim_cpu_mem && !req_cpu_mem && (lim_huge || req_huge) {
        errs.push(FieldError::forbidden(
            path,
            "HugePages require cpu or memory",
        ));
    }
    errs
}
