//! Authentication: who a request is from. Users come from the scenario's token table (bearer
//! tokens) or present client certificates (kubeadm's `kubernetes-admin` and the control-plane
//! components); anything else is refused with `401 Unauthorized`, which kubectl prints as
//! `error: You must be logged in to the server (Unauthorized)`.

use std::collections::BTreeMap;

use super::errors::{ApiError, Reason};
use super::request::UserInfo;

/// How a request proves who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A bearer token from the scenario's user table.
    Token(String),
    /// A client certificate signed by the cluster CA (its CN and O are the user and groups):
    /// how kubeadm's admin and the control-plane components authenticate.
    ClientCertificate(UserInfo),
    /// No credentials at all.
    Anonymous,
}

/// The token table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Authenticator {
    tokens: BTreeMap<String, UserInfo>,
}

impl Authenticator {
    /// An authenticator that knows no tokens (client certificates always work).
    pub fn new() -> Authenticator {
        Authenticator::default()
    }

    /// Adds a user reachable by `token` (`system:authenticated` is added to its groups).
    pub fn add_user(&mut self, name: &str, groups: &[&str], token: &str) {
        self.tokens
            .insert(token.to_string(), UserInfo::new(name, groups));
    }

    /// The user a credential stands for, or `401 Unauthorized`.
    pub fn authenticate(&self, credential: &Credential) -> Result<UserInfo, ApiError> {
        match credential {
            Credential::ClientCertificate(user) => Ok(user.clone()),
            Credential::Token(token) => self.tokens.get(token).cloned().ok_or_else(unauthorized),
            Credential::Anonymous => Err(unauthorized()),
        }
    }
}

/// The API server's 401: reason `Unauthorized`, message `Unauthorized`.
pub fn unauthorized() -> ApiError {
    ApiError::new(Reason::Unauthorized, "Unauthorized")
}

/// The user every request runs as unless the scenario says otherwise.
pub fn default_user() -> UserInfo {
    UserInfo::admin()
}

/// kube-scheduler's identity.
pub fn kube_scheduler() -> UserInfo {
    UserInfo::new("system:kube-scheduler", &[])
}

/// kube-controller-manager's own identity (leader election, its own loops).
pub fn kube_controller_manager() -> UserInfo {
    UserInfo::new("system:kube-controller-manager", &[])
}

/// A kubelet's identity: `system:node:<node>` in `system:nodes`.
pub fn node(name: &str) -> UserInfo {
    UserInfo::new(format!("system:node:{name}"), &["system:nodes"])
}

/// A controller running with `--use-service-account-credentials`, e.g.
/// `system:serviceaccount:kube-system:replicaset-controller`.
pub fn controller(name: &str) -> UserInfo {
    UserInfo::service_account("kube-system", name)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_known_token_authenticates_its_user() {
        let mut authn = Authenticator::new();
        authn.add_user("jane", &["developers"], "jane-token");
        let user = authn
            .authenticate(&Credential::Token("jane-token".into()))
            .unwrap();
        assert_eq!(&*user.name, "jane");
        assert_eq!(*user.groups, ["developers", "system:authenticated"]);
    }

    #[test]
    fn an_unknown_token_or_no_credentials_is_unauthorized_as_kubectl_prints_it() {
        let authn = Authenticator::new();
        for cred in [Credential::Token("nope".into()), Credential::Anonymous] {
            let err = authn.authenticate(&cred).unwrap_err();
            assert_eq!(err.reason.code(), 401);
            assert_eq!(
                err.kubectl_message("", ""),
                "error: You must be logged in to the server (Unauthorized)"
            );
        }
        assert_eq!(
            unauthorized().kubectl_message("creating", "pod.yaml"),
            "error: You must be logged in to the server (error when creating \"pod.yaml\": Unauthorized)"
        );
    }

    #[test]
    fn components_have_their_kubernetes_identities() {
        assert_eq!(default_user().groups[0], "system:masters");
        assert_eq!(&*kube_scheduler().name, "system:kube-scheduler");
        assert_eq!(
            &*kube_controller_manager().name,
            "system:kube-controller-manager"
        );
        assert_eq!(&*node("node-1").name, "system:node:node-1");
        assert_eq!(node("node-1").groups[0], "system:nodes");
        assert_eq!(
            &*controller("replicaset-controller").name,
            "system:serviceaccount:kube-system:replicaset-controller"
        );
    }
}
