//! Authorization as kubeadm configures it (`--authorization-mode=Node,RBAC`): the superuser
//! group `system:masters`, then the Node authorizer for kubelets, then RBAC over the stored
//! Role/ClusterRole/RoleBinding/ClusterRoleBinding objects (`plugin/pkg/auth/authorizer/rbac`).
//! A denial is `403 Forbidden` with `responsewriters.forbiddenMessage`'s exact text.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::rbac::v1::{PolicyRule, RoleRef, Subject};

use super::admission::aggregate;
use super::errors::ApiError;
use super::request::{Attributes, Lookup, UserInfo, Verb};
use crate::object::Object;

/// The superuser group (`user.SystemPrivilegedGroup`).
pub const SYSTEM_MASTERS: &str = "system:masters";

/// Why a request was allowed, for the UI's trace: kept as what decided it, and written out by
/// [`Decision::reason`] only when the trace shows it (an Event write's authorization step is not
/// shown, and every kubelet Event is one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<'a> {
    why: Why<'a>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Why<'a> {
    /// The user is in `system:masters`.
    Superuser,
    /// The Node authorizer allowed `what` for its node.
    Node { what: &'static str, node: &'a str },
    /// RBAC's reason (shared with the decision cache).
    Rbac(Arc<str>),
}

impl Decision<'_> {
    /// E.g. `RBAC: allowed by RoleBinding "read-pods/default" of Role "pod-reader" to User "jane"`.
    pub fn reason(&self) -> String {
        match &self.why {
            Why::Superuser => format!(
                "allowed: group {SYSTEM_MASTERS} is the superuser group (ClusterRoleBinding cluster-admin)"
            ),
            Why::Node { what, node } => format!("Node: allowed {what} for node '{node}'"),
            Why::Rbac(reason) => reason.to_string(),
        }
    }
}

/// Authorizes a request: `Ok` with the reason it was allowed, or the `403` the client gets.
pub fn authorize<'a>(attrs: &'a Attributes, lookup: &dyn Lookup) -> Result<Decision<'a>, ApiError> {
    authorize_with(attrs, lookup, None)
}

/// RBAC decisions remembered until a Role, ClusterRole or binding changes (the decision is a
/// function of the request's attributes and those objects only). Bounded: it starts over when
/// full.
///
/// The object's name is part of a decision's key only when some rule that could match the
/// request lists `resourceNames`: otherwise every name gets the same answer, and a controller
/// creating thousands of differently named objects (the scheduler's bindings and Events) is
/// decided once, not once per object.
#[derive(Debug, Default, Clone)]
pub struct RbacCache {
    revision: i64,
    entries: BTreeMap<String, Result<Arc<str>, Option<String>>>,
    /// Per verb, API group, resource and subresource: whether any Role or ClusterRole has a rule
    /// for it that names `resourceNames`.
    named_rules: BTreeMap<String, bool>,
}

const RBAC_CACHE_ENTRIES: usize = 4096;

impl RbacCache {
    fn decide(
        &mut self,
        attrs: &Attributes,
        lookup: &dyn Lookup,
        rbac_revision: i64,
        decide: impl FnOnce() -> Result<String, Option<String>>,
    ) -> Result<Arc<str>, Option<String>> {
        if self.revision != rbac_revision || self.entries.len() >= RBAC_CACHE_ENTRIES {
            self.entries.clear();
            self.named_rules.clear();
            self.revision = rbac_revision;
        }
        let sub = attrs.subresource.as_deref().unwrap_or_default();
        let request = [
            attrs.verb.as_str(),
            attrs.kind.group,
            attrs.kind.resource,
            sub,
        ]
        .join("\0");
        let names_matter = match self.named_rules.get(&request) {
            Some(&matter) => matter,
            None => {
                let matter = any_rule_names_resources(attrs, lookup);
                self.named_rules.insert(request, matter);
                matter
            }
        };
        let name = if names_matter {
            attrs.name.as_str()
        } else {
            ""
        };
        let mut key = String::with_capacity(96);
        for part in [
            &*attrs.user.name,
            attrs.verb.as_str(),
            attrs.kind.group,
            attrs.kind.resource,
            sub,
            attrs.namespace.as_str(),
            name,
        ]
        .into_iter()
        .chain(attrs.user.groups.iter().map(String::as_str))
        {
            key.push_str(part);
            key.push('\0');
        }
        if let Some(hit) = self.entries.get(&key) {
            return hit.clone();
        }
        let decision = decide().map(Arc::from);
        self.entries.insert(key, decision.clone());
        decision
    }
}

/// [`authorize`], with RBAC's decisions remembered in `cache` while the RBAC objects stay at
/// `rbac_revision`.
pub fn authorize_cached<'a>(
    attrs: &'a Attributes,
    lookup: &dyn Lookup,
    cache: &mut RbacCache,
    rbac_revision: i64,
) -> Result<Decision<'a>, ApiError> {
    authorize_with(attrs, lookup, Some((cache, rbac_revision)))
}

fn authorize_with<'a>(
    attrs: &'a Attributes,
    lookup: &dyn Lookup,
    cache: Option<(&mut RbacCache, i64)>,
) -> Result<Decision<'a>, ApiError> {
    let mut reasons = Vec::new();
    if attrs.user.groups.iter().any(|g| g == SYSTEM_MASTERS) {
        return Ok(Decision {
            why: Why::Superuser,
        });
    }
    match node_authorizer(attrs, lookup) {
        NodeDecision::Allow { what, node } => {
            return Ok(Decision {
                why: Why::Node { what, node },
            })
        }
        NodeDecision::NoOpinion(Some(reason)) => reasons.push(reason),
        NodeDecision::NoOpinion(None) => {}
    }
    let decision = match cache {
        Some((cache, revision)) => cache.decide(attrs, lookup, revision, || rbac(attrs, lookup)),
        None => rbac(attrs, lookup).map(Arc::from),
    };
    match decision {
        Ok(reason) => {
            return Ok(Decision {
                why: Why::Rbac(reason),
            })
        }
        Err(Some(reason)) => reasons.push(reason),
        Err(None) => {}
    }
    Err(forbidden(attrs, &reasons.join("\n")))
}

/// `responsewriters.forbiddenMessage` (plus the authorizers' reason), wrapped in
/// `NewForbidden(<group resource>, <name>, …)`.
pub fn forbidden(attrs: &Attributes, reason: &str) -> ApiError {
    let mut resource = attrs.kind.resource.to_string();
    if let Some(sub) = attrs.subresource.as_deref().filter(|s| !s.is_empty()) {
        resource = format!("{resource}/{sub}");
    }
    let scope = if attrs.namespace.is_empty() {
        "at the cluster scope".to_string()
    } else {
        format!("in the namespace \"{}\"", attrs.namespace)
    };
    let mut msg = format!(
        "User \"{}\" cannot {} resource \"{resource}\" in API group \"{}\" {scope}",
        attrs.user.name,
        attrs.verb.as_str(),
        attrs.kind.group
    );
    if !reason.is_empty() {
        msg = format!("{msg}: {reason}");
    }
    ApiError::forbidden(&super::admission::group_resource(attrs), &attrs.name, msg)
}

/// `RuleAllows` (`pkg/apis/rbac/v1/evaluation_helpers.go`) for resource requests.
pub fn rule_allows(attrs: &Attributes, rule: &PolicyRule) -> bool {
    let names = rule.resource_names.as_deref().unwrap_or_default();
    rule_covers(attrs, rule) && (names.is_empty() || names.contains(&attrs.name))
}

/// Whether `rule` matches the request's verb, API group and resource, whatever its
/// `resourceNames`.
fn rule_covers(attrs: &Attributes, rule: &PolicyRule) -> bool {
    let has = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
    let sub = attrs.subresource.as_deref().unwrap_or_default();
    let combined = if sub.is_empty() {
        attrs.kind.resource.to_string()
    } else {
        format!("{}/{sub}", attrs.kind.resource)
    };
    let resources = rule.resources.as_deref().unwrap_or_default();
    let resource_matches = resources.iter().any(|r| {
        r == "*" || *r == combined || (!sub.is_empty() && r.strip_prefix("*/") == Some(sub))
    });
    has(&rule.verbs, attrs.verb.as_str())
        && has(
            rule.api_groups.as_deref().unwrap_or_default(),
            attrs.kind.group,
        )
        && resource_matches
}

/// Whether some Role or ClusterRole has a rule that would allow this request for some object
/// name but lists `resourceNames`: only then does the name change RBAC's answer.
fn any_rule_names_resources(attrs: &Attributes, lookup: &dyn Lookup) -> bool {
    let named = |rule: &PolicyRule| {
        rule.resource_names
            .as_deref()
            .is_some_and(|n| !n.is_empty())
            && rule_covers(attrs, rule)
    };
    ["ClusterRole", "Role"].into_iter().any(|kind| {
        lookup.list(kind, None).iter().any(|o| {
            RoleObject(std::sync::Arc::clone(o))
                .rules()
                .iter()
                .any(named)
        })
    })
}

fn applies_to(user: &UserInfo, subject: &Subject, namespace: &str) -> bool {
    match subject.kind.as_str() {
        "User" => *user.name == *subject.name,
        "Group" => user.groups.contains(&subject.name),
        "ServiceAccount" => {
            let ns = subject
                .namespace
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(namespace);
            // `system:serviceaccount:<ns>:<name>`, compared piece by piece.
            !ns.is_empty()
                && user
                    .name
                    .strip_prefix("system:serviceaccount:")
                    .and_then(|rest| rest.strip_prefix(ns))
                    .and_then(|rest| rest.strip_prefix(':'))
                    == Some(subject.name.as_str())
        }
        _ => false,
    }
}

fn describe_subject(s: &Subject, binding_namespace: &str) -> String {
    match s.kind.as_str() {
        "ServiceAccount" => {
            let ns = s
                .namespace
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(binding_namespace);
            format!("{} \"{}/{ns}\"", s.kind, s.name)
        }
        _ => format!("{} \"{}\"", s.kind, s.name),
    }
}

/// The stored Role or ClusterRole a binding refers to.
struct RoleObject(Arc<Object>);

impl RoleObject {
    fn rules(&self) -> &[PolicyRule] {
        match &*self.0 {
            Object::Role(r) => r.rules.as_deref().unwrap_or_default(),
            Object::ClusterRole(r) => r.rules.as_deref().unwrap_or_default(),
            _ => &[],
        }
    }
}

/// `GetRoleReferenceRules`: the referenced role (to read its rules) or the lister's NotFound
/// text.
fn role_rules(
    lookup: &dyn Lookup,
    role_ref: &RoleRef,
    namespace: &str,
) -> Result<RoleObject, String> {
    match role_ref.kind.as_str() {
        "Role" => match lookup.get("Role", namespace, &role_ref.name) {
            Some(o) if matches!(&*o, Object::Role(_)) => Ok(RoleObject(o)),
            _ => Err(format!(
                "role.rbac.authorization.k8s.io \"{}\" not found",
                role_ref.name
            )),
        },
        "ClusterRole" => match lookup.get("ClusterRole", "", &role_ref.name) {
            Some(o) if matches!(&*o, Object::ClusterRole(_)) => Ok(RoleObject(o)),
            _ => Err(format!(
                "clusterrole.rbac.authorization.k8s.io \"{}\" not found",
                role_ref.name
            )),
        },
        other => Err(format!("unsupported role reference kind: \"{other}\"")),
    }
}

/// RBAC: the first rule that allows wins (its binding is the reason); otherwise the
/// resolution errors met on the way (`RBAC: …`), if any.
fn rbac(attrs: &Attributes, lookup: &dyn Lookup) -> Result<String, Option<String>> {
    let mut errors = Vec::new();
    for obj in lookup.list("ClusterRoleBinding", None) {
        let Object::ClusterRoleBinding(b) = obj.as_ref() else {
            continue;
        };
        let Some(subject) = b
            .subjects
            .iter()
            .flatten()
            .find(|s| applies_to(&attrs.user, s, ""))
        else {
            continue;
        };
        match role_rules(lookup, &b.role_ref, "") {
            Ok(rules) => {
                if rules.rules().iter().any(|r| rule_allows(attrs, r)) {
                    return Ok(format!(
                        "RBAC: allowed by ClusterRoleBinding \"{}\" of {} \"{}\" to {}",
                        b.metadata.name.as_deref().unwrap_or_default(),
                        b.role_ref.kind,
                        b.role_ref.name,
                        describe_subject(subject, "")
                    ));
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if !attrs.namespace.is_empty() {
        for obj in lookup.list("RoleBinding", Some(&attrs.namespace)) {
            let Object::RoleBinding(b) = obj.as_ref() else {
                continue;
            };
            let ns = b.metadata.namespace.clone().unwrap_or_default();
            let Some(subject) = b
                .subjects
                .iter()
                .flatten()
                .find(|s| applies_to(&attrs.user, s, &ns))
            else {
                continue;
            };
            match role_rules(lookup, &b.role_ref, &ns) {
                Ok(rules) => {
                    if rules.rules().iter().any(|r| rule_allows(attrs, r)) {
                        return Ok(format!(
                            "RBAC: allowed by RoleBinding \"{}/{ns}\" of {} \"{}\" to {}",
                            b.metadata.name.as_deref().unwrap_or_default(),
                            b.role_ref.kind,
                            b.role_ref.name,
                            describe_subject(subject, &ns)
                        ));
                    }
                }
                Err(e) => errors.push(e),
            }
        }
    }
    if errors.is_empty() {
        Err(None)
    } else {
        Err(Some(format!("RBAC: {}", aggregate(&errors))))
    }
}

enum NodeDecision<'a> {
    /// Allowed: `what` for `node` (written out only if the trace shows it).
    Allow {
        what: &'static str,
        node: &'a str,
    },
    NoOpinion(Option<String>),
}

/// A simplified Node authorizer: kubelets read cluster state, write their own Node and Lease,
/// read and update pods bound to them, and write events.
fn node_authorizer<'a>(attrs: &'a Attributes, lookup: &dyn Lookup) -> NodeDecision<'a> {
    let Some(node) = attrs
        .user
        .name
        .strip_prefix("system:node:")
        .filter(|_| attrs.user.groups.iter().any(|g| g == "system:nodes"))
    else {
        return NodeDecision::NoOpinion(None);
    };
    let read = matches!(attrs.verb, Verb::Get | Verb::List | Verb::Watch);
    let sub = attrs.subresource.as_deref().unwrap_or_default();
    let allow = |what: &'static str| NodeDecision::Allow { what, node };
    let no_relationship = || {
        NodeDecision::NoOpinion(Some(format!(
            "no relationship found between node '{node}' and this object"
        )))
    };
    match (attrs.kind.kind, sub) {
        ("Node", _) if read => allow("reading nodes"),
        ("Node", "" | "status") if attrs.name == node => allow("writing its own Node"),
        ("Node", _) => NodeDecision::NoOpinion(Some(format!(
            "node '{node}' cannot modify node '{}'",
            attrs.name
        ))),
        ("Lease", "") if attrs.namespace == "kube-node-lease" && attrs.name == node => {
            allow("its own Lease")
        }
        ("Pod", "") if matches!(attrs.verb, Verb::List | Verb::Watch) => allow("listing pods"),
        ("Pod", "eviction") if attrs.verb == Verb::Create => allow("evicting pods"),
        ("Pod", "" | "status") => {
            let bound = match lookup.get("Pod", &attrs.namespace, &attrs.name).as_deref() {
                Some(Object::Pod(p)) => {
                    p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node)
                }
                _ => false,
            };
            if bound {
                allow("a pod bound to it")
            } else {
                no_relationship()
            }
        }
        ("Event", "") if matches!(attrs.verb, Verb::Create | Verb::Update | Verb::Patch) => {
            allow("writing events")
        }
        (
            "Service"
            | "EndpointSlice"
            | "ConfigMap"
            | "Secret"
            | "PersistentVolumeClaim"
            | "PersistentVolume",
            "",
        ) if read => allow("reading what its pods need"),
        _ => NodeDecision::NoOpinion(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::admission::testing::{attrs, meta, pod, MapLookup};
    use crate::apiserver::authn;
    use crate::apiserver::bootstrap;
    use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn jane(verb: Verb, kind: &str, namespace: &str, name: &str) -> Attributes {
        let mut a = attrs(verb, kind, namespace, name);
        a.user = UserInfo::new("jane", &[]);
        a
    }

    fn rule(verbs: &[&str], resources: &[&str]) -> PolicyRule {
        PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(resources.iter().map(|s| s.to_string()).collect()),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn pod_reader() -> MapLookup {
        let mut lookup = MapLookup::cluster();
        for o in bootstrap::objects() {
            lookup.add(o);
        }
        lookup.add(Role {
            metadata: meta("default", "pod-reader"),
            rules: Some(vec![rule(&["get", "watch", "list"], &["pods"])]),
        });
        lookup.add(RoleBinding {
            metadata: meta("default", "read-pods"),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "Role".into(),
                name: "pod-reader".into(),
            },
            subjects: Some(vec![Subject {
                kind: "User".into(),
                name: "jane".into(),
                api_group: Some("rbac.authorization.k8s.io".into()),
                namespace: None,
            }]),
        });
        lookup
    }

    #[test]
    fn jane_may_read_pods_through_her_role_binding() {
        let request = jane(Verb::Get, "Pod", "default", "nginx");
        let decision = authorize(&request, &pod_reader()).unwrap();
        assert_eq!(
            decision.reason(),
            "RBAC: allowed by RoleBinding \"read-pods/default\" of Role \"pod-reader\" to User \"jane\""
        );
    }

    #[test]
    fn jane_may_not_create_pods() {
        let err = authorize(&jane(Verb::Create, "Pod", "default", ""), &pod_reader()).unwrap_err();
        assert_eq!(
            err.message,
            "pods is forbidden: User \"jane\" cannot create resource \"pods\" in API group \"\" in the namespace \"default\""
        );
    }

    #[test]
    fn a_named_request_names_the_object() {
        let err = authorize(
            &jane(Verb::Delete, "Pod", "default", "nginx"),
            &pod_reader(),
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "pods \"nginx\" is forbidden: User \"jane\" cannot delete resource \"pods\" in API group \"\" in the namespace \"default\""
        );
    }

    #[test]
    fn subresources_and_cluster_scope_read_as_upstream() {
        let lookup = pod_reader();
        let mut a = jane(Verb::Get, "Pod", "default", "nginx");
        a.subresource = Some("log".into());
        assert_eq!(
            authorize(&a, &lookup).unwrap_err().message,
            "pods \"nginx\" is forbidden: User \"jane\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"default\""
        );
        assert_eq!(
            authorize(&jane(Verb::List, "Node", "", ""), &lookup).unwrap_err().message,
            "nodes is forbidden: User \"jane\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
        );
        assert_eq!(
            authorize(&jane(Verb::List, "Deployment", "default", ""), &lookup).unwrap_err().message,
            "deployments.apps is forbidden: User \"jane\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"default\""
        );
    }

    #[test]
    fn a_binding_to_a_missing_role_adds_an_rbac_reason() {
        let mut lookup = MapLookup::cluster();
        lookup.add(RoleBinding {
            metadata: meta("default", "dangling"),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: "ghost".into(),
            },
            subjects: Some(vec![Subject {
                kind: "User".into(),
                name: "jane".into(),
                ..Default::default()
            }]),
        });
        assert_eq!(
            authorize(&jane(Verb::List, "Pod", "default", ""), &lookup).unwrap_err().message,
            "pods is forbidden: User \"jane\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\": RBAC: clusterrole.rbac.authorization.k8s.io \"ghost\" not found"
        );
    }

    #[test]
    fn wildcards_and_resource_names_match_as_upstream() {
        let mut r = rule(&["*"], &["*/status"]);
        let mut a = jane(Verb::Update, "Pod", "default", "nginx");
        a.subresource = Some("status".into());
        assert!(rule_allows(&a, &r));
        a.subresource = None;
        assert!(!rule_allows(&a, &r));
        r = rule(&["get"], &["pods"]);
        r.resource_names = Some(vec!["web".into()]);
        assert!(!rule_allows(
            &jane(Verb::Get, "Pod", "default", "nginx"),
            &r
        ));
        assert!(rule_allows(&jane(Verb::Get, "Pod", "default", "web"), &r));
    }

    #[test]
    fn cached_decisions_share_one_entry_across_names_unless_a_rule_names_resources() {
        let mut lookup = pod_reader();
        let mut cache = RbacCache::default();
        let get = |name: &str| jane(Verb::Get, "Pod", "default", name);
        for name in ["nginx", "web", "db"] {
            let request = get(name);
            let decision = authorize_cached(&request, &lookup, &mut cache, 1).unwrap();
            assert_eq!(
                decision.reason(),
                "RBAC: allowed by RoleBinding \"read-pods/default\" of Role \"pod-reader\" to User \"jane\""
            );
        }
        assert_eq!(
            cache.entries.len(),
            1,
            "no rule names pods: one decision for every name"
        );

        // A Role that grants `delete` on one pod only: deleting another must still be refused,
        // whichever name was decided first.
        let mut named = rule(&["delete"], &["pods"]);
        named.resource_names = Some(vec!["web".into()]);
        lookup.add(Role {
            metadata: meta("default", "pod-reader"),
            rules: Some(vec![rule(&["get", "watch", "list"], &["pods"]), named]),
        });
        let delete = |name: &str| jane(Verb::Delete, "Pod", "default", name);
        assert!(authorize_cached(&delete("web"), &lookup, &mut cache, 2).is_ok());
        let err = authorize_cached(&delete("nginx"), &lookup, &mut cache, 2).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"nginx\" is forbidden: User \"jane\" cannot delete resource \"pods\" in API group \"\" in the namespace \"default\""
        );
        assert!(authorize_cached(&delete("web"), &lookup, &mut cache, 2).is_ok());
        assert_eq!(
            cache.entries.len(),
            2,
            "a named rule: one decision per name"
        );
    }

    #[test]
    fn masters_and_components_are_allowed_by_their_bootstrap_roles() {
        let lookup = pod_reader();
        let admin = attrs(Verb::Delete, "Node", "", "node-1");
        assert_eq!(
            authorize(&admin, &lookup).unwrap().reason(),
            "allowed: group system:masters is the superuser group (ClusterRoleBinding cluster-admin)"
        );
        let mut a = attrs(Verb::Create, "Pod", "default", "nginx");
        a.subresource = Some("binding".into());
        a.user = authn::kube_scheduler();
        assert_eq!(
            authorize(&a, &lookup).unwrap().reason(),
            "RBAC: allowed by ClusterRoleBinding \"system:kube-scheduler\" of ClusterRole \"system:kube-scheduler\" to User \"system:kube-scheduler\""
        );
        let mut a = attrs(Verb::Create, "Pod", "default", "");
        a.user = authn::controller("replicaset-controller");
        assert!(authorize(&a, &lookup)
            .unwrap()
            .reason()
            .contains("to ServiceAccount \"replicaset-controller/kube-system\""));
    }

    #[test]
    fn kubelets_touch_only_their_own_node_and_pods() {
        let mut lookup = pod_reader();
        let mut p = pod("nginx", &["nginx"]);
        p.spec.as_mut().unwrap().node_name = Some("node-1".into());
        lookup.add(p);
        let mut a = attrs(Verb::Update, "Pod", "default", "nginx");
        a.subresource = Some("status".into());
        a.user = authn::node("node-1");
        assert_eq!(
            authorize(&a, &lookup).unwrap().reason(),
            "Node: allowed a pod bound to it for node 'node-1'"
        );
        a.user = authn::node("node-2");
        assert_eq!(
            authorize(&a, &lookup).unwrap_err().message,
            "pods \"nginx\" is forbidden: User \"system:node:node-2\" cannot update resource \"pods/status\" in API group \"\" in the namespace \"default\": no relationship found between node 'node-2' and this object"
        );
        let mut a = attrs(Verb::Update, "Node", "", "node-1");
        a.user = authn::node("node-1");
        assert_eq!(
            authorize(&a, &lookup).unwrap().reason(),
            "Node: allowed writing its own Node for node 'node-1'"
        );
    }
}
