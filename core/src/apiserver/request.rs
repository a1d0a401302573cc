//! What a request to the API server carries: who asks (after authentication), the verb, the
//! resource, namespace and name (RBAC's attributes), and read-only access to stored objects for
//! the stages that need to look things up (admission, authorization).

use std::sync::Arc;

use crate::object::{KindInfo, Object};
use crate::sim::{SimRng, SimTime};

/// An authenticated user (`user.Info`). Shared, not copied: every request's attributes carry
/// their user, and a component sends thousands of requests as the same one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserInfo {
    /// The user name, e.g. `kubernetes-admin`, `system:kube-scheduler`, `system:node:node-1`.
    pub name: Arc<str>,
    /// The groups, e.g. `system:masters`, `system:authenticated`.
    pub groups: Arc<[String]>,
}

impl UserInfo {
    /// A user with groups; `system:authenticated` is added as the API server does.
    pub fn new(name: impl Into<String>, groups: &[&str]) -> UserInfo {
        let mut groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        if !groups.iter().any(|g| g == "system:authenticated") {
            groups.push("system:authenticated".into());
        }
        UserInfo {
            name: Arc::from(name.into()),
            groups: Arc::from(groups),
        }
    }

    /// kubeadm's admin user, `kubernetes-admin` in `system:masters`.
    pub fn admin() -> UserInfo {
        UserInfo::new("kubernetes-admin", &["system:masters"])
    }

    /// A service account's user, `system:serviceaccount:<ns>:<name>`.
    pub fn service_account(namespace: &str, name: &str) -> UserInfo {
        UserInfo::new(
            format!("system:serviceaccount:{namespace}:{name}"),
            &[
                "system:serviceaccounts",
                &format!("system:serviceaccounts:{namespace}"),
            ],
        )
    }
}

/// An API verb as RBAC names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verb {
    /// `create` (POST).
    Create,
    /// `update` (PUT).
    Update,
    /// `patch` (PATCH).
    Patch,
    /// `delete` (DELETE).
    Delete,
    /// `get`.
    Get,
    /// `list`.
    List,
    /// `watch`.
    Watch,
}

impl Verb {
    /// The verb as RBAC rules and Forbidden messages spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
        }
    }
}

/// The attributes of one request (`authorizer.Attributes` / `admission.Attributes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attributes {
    /// Who asks.
    pub user: UserInfo,
    /// What they want to do.
    pub verb: Verb,
    /// Which kind of object.
    pub kind: &'static KindInfo,
    /// A subresource such as `status` or `binding`, if any.
    pub subresource: Option<String>,
    /// The namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// The object's name (empty for create with generateName, list and watch).
    pub name: String,
}

/// Read-only access to the stored objects, for admission plugins and the authorizer.
pub trait Lookup {
    /// The object of `kind` (e.g. `"ServiceAccount"`) at `namespace`/`name` (`namespace` empty
    /// for cluster-scoped kinds), if it exists.
    fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<Arc<Object>>;
    /// Every object of `kind`, in one namespace or (with `None`) in all, sorted by key.
    fn list(&self, kind: &str, namespace: Option<&str>) -> Vec<Arc<Object>>;
    /// The Events in one namespace or (with `None`) in all whose `involvedObject.name` is
    /// `name`, sorted by key: the field selector `kubectl describe` lists Events with.
    fn events_about(&self, namespace: Option<&str>, name: &str) -> Vec<Arc<Object>> {
        let mut events = self.list("Event", namespace);
        events.retain(|o| crate::store::is_event_about(o, name));
        events
    }
}

/// What the stages of a request may use besides the request: the time, the seeded RNG (random
/// names such as `kube-api-access-xxxxx`) and the stored objects.
pub struct RequestContext<'a> {
    /// The current virtual time.
    pub now: SimTime,
    /// The one seeded RNG.
    pub rng: &'a mut SimRng,
    /// Stored objects.
    pub lookup: &'a dyn Lookup,
}
