//! Admission control: the built-in plugins a kubeadm v1.33 API server enables, as two small
//! traits (mutating and validating), a registry in upstream order, and runners that record what
//! each plugin did for the UI's flow view.
//!
//! Plugins never name themselves in their messages; the runner records which plugin acted.
//! Errors are built as `admission.NewForbidden` builds them: `<resource> "<name>" is forbidden:
//! <why>`, where the name is the object's name or, before name generation, its `generateName`.

use std::collections::BTreeMap;

use super::errors::ApiError;
use super::request::{Attributes, RequestContext};
use crate::object::Object;
use crate::quantity::Quantity;

pub mod default_toleration_seconds;
pub mod limit_ranger;
pub mod namespace_lifecycle;
pub mod pod_security;
pub mod priority;
pub mod resource_quota;
pub mod runtime_class;
pub mod service_account;

#[cfg(test)]
pub(crate) mod testing;

/// Every plugin kube-apiserver knows, in the order it runs them (`AllOrderedPlugins`).
pub const ALL_ORDERED_PLUGINS: &[&str] = &[
    "AlwaysAdmit",
    "NamespaceAutoProvision",
    "NamespaceLifecycle",
    "NamespaceExists",
    "LimitPodHardAntiAffinityTopology",
    "LimitRanger",
    "ServiceAccount",
    "NodeRestriction",
    "TaintNodesByCondition",
    "AlwaysPullImages",
    "ImagePolicyWebhook",
    "PodSecurity",
    "PodNodeSelector",
    "Priority",
    "DefaultTolerationSeconds",
    "PodTolerationRestriction",
    "EventRateLimit",
    "ExtendedResourceToleration",
    "DefaultStorageClass",
    "StorageObjectInUseProtection",
    "OwnerReferencesPermissionEnforcement",
    "PersistentVolumeClaimResize",
    "RuntimeClass",
    "CertificateApproval",
    "CertificateSigning",
    "ClusterTrustBundleAttest",
    "CertificateSubjectRestriction",
    "DefaultIngressClass",
    "DenyServiceExternalIPs",
    "PodTopologyLabels",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionWebhook",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionWebhook",
    "ResourceQuota",
    "AlwaysDeny",
];

/// A plugin that may change the object (`admission.MutationInterface`).
pub trait MutatingPlugin {
    /// The upstream plugin name, e.g. `ServiceAccount`.
    fn name(&self) -> &'static str;

    /// Admits (and possibly mutates) `obj`; returns one human-readable line per change, e.g.
    /// `set spec.serviceAccountName to "default"`. `old` is the stored object on update/delete.
    fn admit(
        &self,
        attrs: &Attributes,
        obj: &mut Object,
        old: Option<&Object>,
        ctx: &mut RequestContext<'_>,
    ) -> Result<Vec<String>, ApiError>;
}

/// What a validating plugin reports besides "allowed".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// Human-readable notes for the flow view (what was checked).
    pub notes: Vec<String>,
    /// Warnings returned to the client (`Warning: …` lines in kubectl).
    pub warnings: Vec<String>,
    /// New `status.used` of each ResourceQuota the request charged, by quota name.
    pub quota_usage: Vec<QuotaUsage>,
}

/// The usage a ResourceQuota will have once the request is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaUsage {
    /// The quota's namespace.
    pub namespace: String,
    /// The quota's name.
    pub name: String,
    /// The new `status.used`, keyed by resource name (only the quota's hard resources).
    pub used: BTreeMap<String, Quantity>,
}

/// A plugin that only accepts or rejects (`admission.ValidationInterface`).
pub trait ValidatingPlugin {
    /// The upstream plugin name, e.g. `ResourceQuota`.
    fn name(&self) -> &'static str;

    /// Accepts or rejects `obj` (already mutated); may return warnings and notes.
    fn validate(
        &self,
        attrs: &Attributes,
        obj: &Object,
        old: Option<&Object>,
        ctx: &RequestContext<'_>,
    ) -> Result<Verdict, ApiError>;
}

/// The admission phase a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Mutating admission (before the registry strategy and validation).
    Mutating,
    /// Validating admission (after validation, before storage).
    Validating,
}

/// What one plugin did to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The plugin's upstream name.
    pub plugin: &'static str,
    /// Its phase.
    pub phase: Phase,
    /// Changes made (mutating) or notes (validating); empty when the plugin had nothing to do.
    pub changes: Vec<String>,
    /// Warnings the plugin returned.
    pub warnings: Vec<String>,
    /// The rejection message, if the plugin refused the request.
    pub rejected: Option<String>,
}

/// Everything admission did to a request, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// One step per plugin that ran.
    pub steps: Vec<Step>,
    /// All warnings, in order, as the client receives them.
    pub warnings: Vec<String>,
    /// New quota usages to write to `status.used` once the object is stored.
    pub quota_usage: Vec<QuotaUsage>,
}

/// A request refused by admission, with the trace up to and including the refusing plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// The error returned to the client.
    pub error: ApiError,
    /// What ran before (the last step is the refusing plugin).
    pub report: Report,
}

/// The enabled admission chain of a default kubeadm cluster, in upstream order.
pub struct Chain {
    /// Mutating plugins, in order.
    pub mutating: Vec<Box<dyn MutatingPlugin>>,
    /// Validating plugins, in order.
    pub validating: Vec<Box<dyn ValidatingPlugin>>,
}

impl Default for Chain {
    /// NamespaceLifecycle, LimitRanger, ServiceAccount, Priority, DefaultTolerationSeconds and
    /// RuntimeClass mutate; LimitRanger, PodSecurity, Priority and ResourceQuota (last)
    /// validate.
    fn default() -> Chain {
        Chain {
            mutating: vec![
                Box::new(namespace_lifecycle::NamespaceLifecycle),
                Box::new(limit_ranger::LimitRanger),
                Box::new(service_account::ServiceAccount),
                Box::new(priority::Priority),
                Box::new(default_toleration_seconds::DefaultTolerationSeconds),
                Box::new(runtime_class::RuntimeClass),
            ],
            validating: vec![
                Box::new(limit_ranger::LimitRanger),
                Box::new(pod_security::PodSecurity),
                Box::new(priority::Priority),
                Box::new(resource_quota::ResourceQuota),
            ],
        }
    }
}

impl Chain {
    /// Runs the mutating phase, then (if it passed) nothing else: see [`run_mutating`].
    pub fn admit(
        &self,
        attrs: &Attributes,
        obj: &mut Object,
        old: Option<&Object>,
        ctx: &mut RequestContext<'_>,
    ) -> Result<Report, Box<Rejection>> {
        // Room for a step of every plugin of both phases: the report grows to that on every
        // request that passes.
        let report = Report {
            steps: Vec::with_capacity(self.mutating.len() + self.validating.len()),
            ..Report::default()
        };
        mutate(&self.mutating, attrs, obj, old, ctx, report)
    }

    /// Runs the validating phase: see [`run_validating`].
    pub fn validate(
        &self,
        attrs: &Attributes,
        obj: &Object,
        old: Option<&Object>,
        ctx: &RequestContext<'_>,
        report: Report,
    ) -> Result<Report, Box<Rejection>> {
        run_validating(&self.validating, attrs, obj, old, ctx, report)
    }
}

/// Runs mutating plugins in order, recording each one's changes; stops at the first refusal.
pub fn run_mutating(
    plugins: &[Box<dyn MutatingPlugin>],
    attrs: &Attributes,
    obj: &mut Object,
    old: Option<&Object>,
    ctx: &mut RequestContext<'_>,
) -> Result<Report, Box<Rejection>> {
    mutate(plugins, attrs, obj, old, ctx, Report::default())
}

/// [`run_mutating`], its steps appended to `report`.
fn mutate(
    plugins: &[Box<dyn MutatingPlugin>],
    attrs: &Attributes,
    obj: &mut Object,
    old: Option<&Object>,
    ctx: &mut RequestContext<'_>,
    mut report: Report,
) -> Result<Report, Box<Rejection>> {
    for plugin in plugins {
        match plugin.admit(attrs, obj, old, ctx) {
            Ok(changes) => report.steps.push(Step {
                plugin: plugin.name(),
                phase: Phase::Mutating,
                changes,
                warnings: Vec::new(),
                rejected: None,
            }),
            Err(error) => {
                report.steps.push(Step {
                    plugin: plugin.name(),
                    phase: Phase::Mutating,
                    changes: Vec::new(),
                    warnings: Vec::new(),
                    rejected: Some(error.message.clone()),
                });
                return Err(Box::new(Rejection { error, report }));
            }
        }
    }
    Ok(report)
}

/// Runs validating plugins in order after `report` (the mutating phase's), collecting
/// warnings and quota usage; stops at the first refusal.
pub fn run_validating(
    plugins: &[Box<dyn ValidatingPlugin>],
    attrs: &Attributes,
    obj: &Object,
    old: Option<&Object>,
    ctx: &RequestContext<'_>,
    mut report: Report,
) -> Result<Report, Box<Rejection>> {
    for plugin in plugins {
        match plugin.validate(attrs, obj, old, ctx) {
            Ok(verdict) => {
                report.warnings.extend(verdict.warnings.iter().cloned());
                report.quota_usage.extend(verdict.quota_usage);
                report.steps.push(Step {
                    plugin: plugin.name(),
                    phase: Phase::Validating,
                    changes: verdict.notes,
                    warnings: verdict.warnings,
                    rejected: None,
                });
            }
            Err(error) => {
                report.steps.push(Step {
                    plugin: plugin.name(),
                    phase: Phase::Validating,
                    changes: Vec::new(),
                    warnings: Vec::new(),
                    rejected: Some(error.message.clone()),
                });
                return Err(Box::new(Rejection { error, report }));
            }
        }
    }
    Ok(report)
}

/// The resource as `GroupResource.String()` prints it: `pods`, `deployments.apps`.
pub fn group_resource(attrs: &Attributes) -> String {
    if attrs.kind.group.is_empty() {
        attrs.kind.resource.to_string()
    } else {
        format!("{}.{}", attrs.kind.resource, attrs.kind.group)
    }
}

/// `admission.NewForbidden`: `<resource> "<name>" is forbidden: <why>`, naming the object by
/// its name, else its `generateName` (names are generated after admission), else `Unknown`.
pub fn forbidden(
    attrs: &Attributes,
    obj: Option<&Object>,
    why: impl std::fmt::Display,
) -> ApiError {
    let name = match obj {
        Some(o) => {
            let meta = o.meta();
            match (meta.name.as_deref(), meta.generate_name.as_deref()) {
                (Some(n), _) if !n.is_empty() => n.to_string(),
                (_, Some(g)) if !g.is_empty() => g.to_string(),
                _ => "Unknown".to_string(),
            }
        }
        None => "Unknown".to_string(),
    };
    ApiError::forbidden(&group_resource(attrs), &name, why)
}

/// `utilerrors.NewAggregate(errs).Error()`: one message alone, several deduplicated in
/// `[a, b]`.
pub fn aggregate(messages: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for m in messages {
        if !seen.contains(&m.as_str()) {
            seen.push(m);
        }
    }
    match seen.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        many => format!("[{}]", many.join(", ")),
    }
}

/// Parses a stored quantity (stored objects were validated; an unparsable one counts as zero).
pub fn qty(q: &k8s_openapi::apimachinery::pkg::api::resource::Quantity) -> Quantity {
    Quantity::parse(&q.0).unwrap_or(Quantity::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn aggregates_print_one_error_bare_and_several_in_brackets() {
        assert_eq!(aggregate(&["a".into()]), "a");
        assert_eq!(aggregate(&["a".into(), "b".into(), "a".into()]), "[a, b]");
        assert_eq!(aggregate(&[]), "");
    }

    #[test]
    fn the_default_chain_runs_in_upstream_order() {
        let chain = Chain::default();
        let names: Vec<&str> = chain.mutating.iter().map(|p| p.name()).collect();
        let position = |n: &str| ALL_ORDERED_PLUGINS.iter().position(|p| *p == n).unwrap();
        assert!(names.windows(2).all(|w| position(w[0]) < position(w[1])));
        let names: Vec<&str> = chain.validating.iter().map(|p| p.name()).collect();
        assert!(names.windows(2).all(|w| position(w[0]) < position(w[1])));
        assert_eq!(names.last(), Some(&"ResourceQuota"));
    }
}
