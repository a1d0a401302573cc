//! The API server's request handling: every create, update, status update and delete goes
//! through authentication's result, RBAC, scheme defaulting, mutating admission, the registry
//! strategy, validation, validating admission and the etcd write — each stage recorded as a
//! trace step so the flow view can show what happened and why.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Pod, PodStatus};

use crate::apiserver::admission::Chain;
use crate::apiserver::authz::RbacCache;
use crate::apiserver::leases::Leases;
use crate::apiserver::{authz, defaults, prepare, validation};
use crate::apiserver::{ApiError, Attributes, Lookup, Reason, RequestContext, UserInfo, Verb};
use crate::object::{kind_info, KindInfo, Object};
use crate::sim::{SimRng, SimTime};
use crate::store::Store;
use crate::trace::{Stage, TraceStep};

/// The component name the API server's own trace steps carry.
pub const COMPONENT: &str = "kube-apiserver";

/// [`COMPONENT`], shared by every step the API server traces.
static COMPONENT_NAME: std::sync::LazyLock<Arc<str>> =
    std::sync::LazyLock::new(|| Arc::from(COMPONENT));

/// At most this many keys of expired leases are deleted by one [`ApiServer::expire_leases`].
pub const EXPIRED_KEYS_PER_ITEM: usize = 64;

/// Read access to the store through the `Lookup` trait admission and RBAC use.
pub struct StoreLookup<'a>(pub &'a Store);

impl Lookup for StoreLookup<'_> {
    fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<Arc<Object>> {
        let info = kind_info(kind)?;
        self.0.get(&info.key(Some(namespace), name)).cloned()
    }

    fn list(&self, kind: &str, namespace: Option<&str>) -> Vec<Arc<Object>> {
        let Some(info) = kind_info(kind) else {
            return Vec::new();
        };
        if !self.0.holds_kind(info) {
            return Vec::new();
        }
        self.0.list(&info.prefix(namespace)).items
    }

    fn events_about(&self, namespace: Option<&str>, name: &str) -> Vec<Arc<Object>> {
        match kind_info("Event") {
            Some(info) if self.0.holds_kind(info) => {
                self.0
                    .list_events_about(&info.prefix(namespace), name)
                    .items
            }
            _ => Vec::new(),
        }
    }
}

/// The result of one request: the stored object or the error, the warnings for the client and
/// the trace of every stage it went through.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The object as stored (or as it was before a delete), or why the request failed.
    pub result: Result<Arc<Object>, ApiError>,
    /// `Warning: …` lines for the client.
    pub warnings: Vec<String>,
    /// What each stage did.
    pub trace: Vec<TraceStep>,
}

/// The simulated kube-apiserver in front of the store.
#[derive(Default)]
pub struct ApiServer {
    /// The etcd behind it.
    pub store: Store,
    /// The enabled admission plugins.
    pub chain: Chain,
    /// The leases of Events (`--event-ttl`): etcd deletes them an hour after their last write.
    pub leases: Leases,
    /// RBAC decisions, kept while no Role, ClusterRole or binding changes.
    rbac_cache: RbacCache,
}

impl std::fmt::Debug for ApiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiServer")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// One object named by kind, namespace and name (namespace ignored for cluster-scoped kinds).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The kind.
    pub info: &'static KindInfo,
    /// The namespace.
    pub namespace: &'a str,
    /// The name.
    pub name: &'a str,
}

/// Who writes which object's status, and at which version (see `ApiServer::write_status`).
struct StatusWrite<'a> {
    user: &'a UserInfo,
    info: &'static KindInfo,
    namespace: &'a str,
    name: &'a str,
    expected: Option<&'a str>,
    now: SimTime,
    writer: &'a str,
}

/// Builds trace steps for one request.
struct Tracer {
    now: SimTime,
    /// `kind/namespace/name`, shared by the request's steps.
    object: Arc<str>,
    /// Which stages this request's object shows in the flow.
    shown: Shown,
    steps: Vec<TraceStep>,
}

/// A trace step's text, or how to make it.
trait Detail {
    fn text(self) -> String;
}

impl Detail for &str {
    fn text(self) -> String {
        self.to_string()
    }
}

impl Detail for String {
    fn text(self) -> String {
        self
    }
}

impl<F: FnOnce() -> String> Detail for F {
    fn text(self) -> String {
        self()
    }
}

/// How much of a request the flow shows, by the object it writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// Every stage.
    All,
    /// Event writes are bookkeeping: only their storage step is worth a line in the flow.
    StorageOnly,
    /// Node Lease renewals (every 10 s per node) would drown the flow: not traced at all.
    Nothing,
}

impl Tracer {
    fn new(now: SimTime, info: &KindInfo, namespace: &str, name: &str) -> Tracer {
        // `concat`, not `format!`: a tracer is made for every request.
        let object: Arc<str> = if info.namespaced {
            [info.kind, "/", namespace, "/", name].concat().into()
        } else {
            [info.kind, "/", name].concat().into()
        };
        let shown = match info.kind {
            "Lease" if namespace == "kube-node-lease" => Shown::Nothing,
            "Event" => Shown::StorageOnly,
            _ => Shown::All,
        };
        Tracer {
            now,
            object,
            shown,
            steps: Vec::new(),
        }
    }

    /// Whether a step of `stage` would be kept: callers skip formatting the ones that would not.
    fn shows(&self, stage: Stage) -> bool {
        match self.shown {
            Shown::All => true,
            Shown::StorageOnly => stage == Stage::Storage,
            Shown::Nothing => false,
        }
    }

    /// Adds a step if its stage is shown; a formatted detail is passed as a closure, so that it
    /// is formatted only then.
    fn step(&mut self, stage: Stage, detail: impl Detail) {
        if !self.shows(stage) {
            return;
        }
        self.steps.push(TraceStep {
            time: self.now,
            component: Arc::clone(&COMPONENT_NAME),
            stage,
            object: Arc::clone(&self.object),
            detail: detail.text(),
        });
    }

    fn fail(&mut self, error: ApiError, warnings: Vec<String>) -> Outcome {
        Outcome {
            result: Err(error),
            warnings,
            trace: std::mem::take(&mut self.steps),
        }
    }

    /// The outcome of the storage write that ends a create or an update.
    fn stored(
        &mut self,
        result: Result<Arc<Object>, crate::store::StoreError>,
        done: &str,
        key: &str,
        info: &KindInfo,
        name: &str,
        warnings: Vec<String>,
    ) -> Outcome {
        match result {
            Ok(stored) => {
                self.step(Stage::Storage, || {
                    let rv = stored.meta().resource_version.as_deref().unwrap_or("");
                    [done, " ", key, " at revision ", rv].concat()
                });
                Outcome {
                    result: Ok(stored),
                    warnings,
                    trace: std::mem::take(&mut self.steps),
                }
            }
            Err(e) => {
                let e = e.to_api_error(&resource_name(info), name);
                self.step(Stage::Storage, || format!("refused: {}", e.message));
                self.fail(e, warnings)
            }
        }
    }
}

/// `<plural> "<name>"` as upstream names objects in messages.
fn resource_name(info: &KindInfo) -> String {
    if info.group.is_empty() {
        info.resource.to_string()
    } else {
        format!("{}.{}", info.resource, info.group)
    }
}

impl ApiServer {
    /// A lookup over the current store contents.
    pub fn lookup(&self) -> StoreLookup<'_> {
        StoreLookup(&self.store)
    }

    /// The stored object of `kind` at `namespace`/`name`.
    pub fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<Arc<Object>> {
        self.lookup().get(kind, namespace, name)
    }

    fn authorize(&mut self, attrs: &Attributes, t: &mut Tracer) -> Result<(), ApiError> {
        t.step(Stage::Authentication, || {
            // `authenticated as <user> (groups: <g1>, <g2>)`, in a string of its final length.
            let groups = &attrs.user.groups;
            let len = "authenticated as  (groups: )".len()
                + attrs.user.name.len()
                + groups.iter().map(|g| g.len() + 2).sum::<usize>();
            let mut line = String::with_capacity(len);
            line.push_str("authenticated as ");
            line.push_str(&attrs.user.name);
            line.push_str(" (groups: ");
            crate::text::push_joined(&mut line, groups.iter().map(String::as_str), ", ");
            line.push(')');
            line
        });
        let rbac_revision = self.store.rbac_revision();
        match authz::authorize_cached(
            attrs,
            &StoreLookup(&self.store),
            &mut self.rbac_cache,
            rbac_revision,
        ) {
            Ok(decision) => {
                t.step(Stage::Authorization, || decision.reason());
                Ok(())
            }
            Err(e) => {
                t.step(Stage::Authorization, || format!("denied: {}", e.message));
                Err(e)
            }
        }
    }

    /// `POST`: creates an object (the namespace must already be set for namespaced kinds).
    pub fn create(
        &mut self,
        user: &UserInfo,
        mut obj: Object,
        now: SimTime,
        rng: &mut SimRng,
        writer: &str,
    ) -> Outcome {
        let info = obj.info();
        let namespace = obj.request_namespace();
        let shown_name = obj
            .meta()
            .name
            .clone()
            .or_else(|| obj.meta().generate_name.clone())
            .unwrap_or_default();
        let mut t = Tracer::new(now, info, &namespace, &shown_name);
        let attrs = Attributes {
            user: user.clone(),
            verb: Verb::Create,
            kind: info,
            subresource: None,
            namespace: namespace.clone(),
            name: shown_name.clone(),
        };
        // A create is a POST to the collection: RBAC sees no name.
        let authz_attrs = Attributes {
            name: String::new(),
            ..attrs.clone()
        };
        if let Err(e) = self.authorize(&authz_attrs, &mut t) {
            return t.fail(e, Vec::new());
        }
        if let Err(e) = defaults::set_defaults(&mut obj) {
            t.step(Stage::Defaulting, || {
                format!("decode failed: {}", e.message)
            });
            return t.fail(e, Vec::new());
        }
        t.step(Stage::Defaulting, "scheme defaults applied");
        let lookup_store = &self.store;
        let lookup = StoreLookup(lookup_store);
        let mut ctx = RequestContext {
            now,
            rng,
            lookup: &lookup,
        };
        let report = match admit(&self.chain, &mut t, &attrs, &mut obj, None, &mut ctx) {
            Ok(r) => r,
            Err(outcome) => return *outcome,
        };
        if obj.meta().name.as_deref().unwrap_or("").is_empty() {
            if let Some(base) = obj.meta().generate_name.clone().filter(|b| !b.is_empty()) {
                let name = prepare::generate_name(&base, ctx.rng);
                t.step(Stage::Prepare, || {
                    format!("generated name {name} from generateName {base}")
                });
                obj.meta_mut().name = Some(name);
            }
        }
        for change in prepare::prepare_for_create(&mut obj, &mut ctx, t.shows(Stage::Prepare)) {
            t.step(Stage::Prepare, change);
        }
        if let Object::Job(job) = &mut obj {
            // The Job strategy generates the selector and the controller-uid labels.
            let uid = job.metadata.uid.clone().unwrap_or_default();
            validation::workloads::generate_job_selector(job, &uid);
            t.step(
                Stage::Prepare,
                "generated spec.selector batch.kubernetes.io/controller-uid",
            );
        }
        let name = obj.meta().name.clone().unwrap_or_default();
        let errors = validation::validate_create(&obj);
        let report = match validate(
            &self.chain,
            &mut t,
            &attrs,
            &obj,
            None,
            &ctx,
            report,
            errors,
        ) {
            Ok(r) => r,
            Err(outcome) => return *outcome,
        };
        let key = info.key(Some(&namespace), &name);
        let result = self.store.create(&key, obj, writer);
        if result.is_ok() {
            self.write_quota_usage(&report.quota_usage, &mut t);
            self.attach_lease(info, &key, now);
        }
        t.stored(result, "created", &key, info, &name, report.warnings)
    }

    /// `PUT`/`PATCH` of a whole object (`verb` says which for RBAC): the stored object's
    /// identity and status are kept, the new spec validated against the old one.
    pub fn update(
        &mut self,
        user: &UserInfo,
        verb: Verb,
        mut obj: Object,
        now: SimTime,
        rng: &mut SimRng,
        writer: &str,
    ) -> Outcome {
        let info = obj.info();
        let namespace = obj.request_namespace();
        let name = obj.meta().name.clone().unwrap_or_default();
        let mut t = Tracer::new(now, info, &namespace, &name);
        let attrs = Attributes {
            user: user.clone(),
            verb,
            kind: info,
            subresource: None,
            namespace: namespace.clone(),
            name: name.clone(),
        };
        if let Err(e) = self.authorize(&attrs, &mut t) {
            return t.fail(e, Vec::new());
        }
        let key = info.key(Some(&namespace), &name);
        let Some(old) = self.store.get(&key).cloned() else {
            return t.fail(ApiError::not_found(&resource_name(info), &name), Vec::new());
        };
        if let Err(e) = defaults::set_defaults(&mut obj) {
            return t.fail(e, Vec::new());
        }
        t.step(Stage::Defaulting, "scheme defaults applied");
        keep_identity(&mut obj, &old);
        let lookup = StoreLookup(&self.store);
        let mut ctx = RequestContext {
            now,
            rng,
            lookup: &lookup,
        };
        let report = match admit(&self.chain, &mut t, &attrs, &mut obj, Some(&old), &mut ctx) {
            Ok(r) => r,
            Err(outcome) => return *outcome,
        };
        let errors = validation::validate_update(&obj, &old);
        let report = match validate(
            &self.chain,
            &mut t,
            &attrs,
            &obj,
            Some(&old),
            &ctx,
            report,
            errors,
        ) {
            Ok(r) => r,
            Err(outcome) => return *outcome,
        };
        bump_generation(&mut obj, &old);
        let expected = obj.meta().resource_version.clone();
        let finished = should_delete_during_update(&obj);
        let result = self.store.update(&key, obj, expected.as_deref(), writer);
        if result.is_ok() {
            self.write_quota_usage(&report.quota_usage, &mut t);
            self.attach_lease(info, &key, now);
        }
        if result.is_ok() && finished {
            // The last finalizer is gone from an object being deleted: it is deleted now.
            return match self.store.delete(&key, None, writer) {
                Ok(gone) => {
                    t.step(Stage::Storage, || {
                        format!("deleted {key}: no finalizers left")
                    });
                    Outcome {
                        result: Ok(gone),
                        warnings: report.warnings,
                        trace: t.steps,
                    }
                }
                Err(e) => t.fail(e.to_api_error(&resource_name(info), &name), Vec::new()),
            };
        }
        t.stored(result, "updated", &key, info, &name, report.warnings)
    }

    /// `PUT …/status`: replaces only the status of the stored object (optimistic concurrency on
    /// the given resourceVersion, if any).
    pub fn update_status(
        &mut self,
        user: &UserInfo,
        obj: Object,
        now: SimTime,
        writer: &str,
    ) -> Outcome {
        let info = obj.info();
        let namespace = obj.request_namespace();
        let name = obj.meta().name.clone().unwrap_or_default();
        let expected = obj.meta().resource_version.clone();
        let request = StatusWrite {
            user,
            info,
            namespace: &namespace,
            name: &name,
            expected: expected.as_deref(),
            now,
            writer,
        };
        self.write_status(request, |old| with_status_of(old, obj))
    }

    /// `PATCH pods/<name>/status`, as the kubelet's status manager sends it: `status` replaces the
    /// stored pod's status if the pod is still at `resource_version`. The same request as an
    /// [`update_status`](Self::update_status) of the stored pod with this status, without copying
    /// the pod twice or comparing its spec.
    pub fn patch_pod_status(
        &mut self,
        user: &UserInfo,
        stored: &Pod,
        status: PodStatus,
        now: SimTime,
        writer: &str,
    ) -> Outcome {
        let Some(info) = kind_info("Pod") else {
            return Outcome {
                result: Err(ApiError::new(Reason::InternalError, "no Pod kind")),
                warnings: Vec::new(),
                trace: Vec::new(),
            };
        };
        let request = StatusWrite {
            user,
            info,
            namespace: stored.metadata.namespace.as_deref().unwrap_or_default(),
            name: stored.metadata.name.as_deref().unwrap_or_default(),
            expected: stored.metadata.resource_version.as_deref(),
            now,
            writer,
        };
        self.write_status(request, |old| match old {
            // The stored metadata and spec with the new status: the old status is not copied.
            Object::Pod(p) => Object::from(Pod {
                metadata: p.metadata.clone(),
                spec: p.spec.clone(),
                status: Some(status),
            }),
            other => other.clone(),
        })
    }

    /// A status write (`PUT` or `PATCH` of the `status` subresource): authorized, then `merge`
    /// makes the new object from the stored one, written if it is still at `expected`.
    fn write_status(
        &mut self,
        request: StatusWrite<'_>,
        merge: impl FnOnce(&Object) -> Object,
    ) -> Outcome {
        let StatusWrite {
            user,
            info,
            namespace,
            name,
            expected,
            now,
            writer,
        } = request;
        let mut t = Tracer::new(now, info, namespace, name);
        let attrs = Attributes {
            user: user.clone(),
            verb: Verb::Update,
            kind: info,
            subresource: Some("status".into()),
            namespace: namespace.to_string(),
            name: name.to_string(),
        };
        if let Err(e) = self.authorize(&attrs, &mut t) {
            return t.fail(e, Vec::new());
        }
        let key = info.key(Some(namespace), name);
        let Some(old) = self.store.get(&key).cloned() else {
            return t.fail(ApiError::not_found(&resource_name(info), name), Vec::new());
        };
        let merged = merge(&old);
        match self.store.update(&key, merged, expected, writer) {
            Ok(stored) => {
                t.step(Stage::Storage, || {
                    format!(
                        "updated {key} status at revision {}",
                        stored.meta().resource_version.as_deref().unwrap_or("")
                    )
                });
                Outcome {
                    result: Ok(stored),
                    warnings: Vec::new(),
                    trace: t.steps,
                }
            }
            Err(e) => t.fail(e.to_api_error(&resource_name(info), name), Vec::new()),
        }
    }

    /// `PUT /api/v1/namespaces/<name>/finalize`: replaces the namespace's `spec.finalizers`
    /// (the only way to change them), as the namespace controller does once it is empty.
    pub fn finalize_namespace(
        &mut self,
        user: &UserInfo,
        name: &str,
        finalizers: Vec<String>,
        now: SimTime,
        writer: &str,
    ) -> Outcome {
        let Some(info) = crate::object::kind_info("Namespace") else {
            return Outcome {
                result: Err(ApiError::new(Reason::InternalError, "no Namespace kind")),
                warnings: Vec::new(),
                trace: Vec::new(),
            };
        };
        let mut t = Tracer::new(now, info, "", name);
        let attrs = Attributes {
            user: user.clone(),
            verb: Verb::Update,
            kind: info,
            subresource: Some("finalize".into()),
            namespace: String::new(),
            name: name.to_string(),
        };
        if let Err(e) = self.authorize(&attrs, &mut t) {
            return t.fail(e, Vec::new());
        }
        let key = info.key(None, name);
        let Some(old) = self.store.get(&key).cloned() else {
            return t.fail(ApiError::not_found(&resource_name(info), name), Vec::new());
        };
        let mut updated = (*old).clone();
        if let Object::Namespace(ns) = &mut updated {
            ns.spec.get_or_insert_with(Default::default).finalizers = Some(finalizers);
        }
        match self.store.update(&key, updated, None, writer) {
            Ok(stored) => {
                t.step(Stage::Storage, || format!("finalized {key}"));
                Outcome {
                    result: Ok(stored),
                    warnings: Vec::new(),
                    trace: t.steps,
                }
            }
            Err(e) => t.fail(e.to_api_error(&resource_name(info), name), Vec::new()),
        }
    }

    /// `POST …/pods/<name>/binding`: sets `spec.nodeName` and the PodScheduled=True condition,
    /// as the pod registry's binding storage does.
    pub fn bind(
        &mut self,
        user: &UserInfo,
        namespace: &str,
        pod: &str,
        node: &str,
        now: SimTime,
        writer: &str,
    ) -> Outcome {
        let Some(info) = kind_info("Pod") else {
            return Outcome {
                result: Err(ApiError::new(Reason::InternalError, "no pods")),
                warnings: Vec::new(),
                trace: Vec::new(),
            };
        };
        let mut t = Tracer::new(now, info, namespace, pod);
        let attrs = Attributes {
            user: user.clone(),
            verb: Verb::Create,
            kind: info,
            subresource: Some("binding".into()),
            namespace: namespace.to_string(),
            name: pod.to_string(),
        };
        if let Err(e) = self.authorize(&attrs, &mut t) {
            return t.fail(e, Vec::new());
        }
        let key = info.key(Some(namespace), pod);
        let Some(old) = self.store.get(&key).cloned() else {
            return t.fail(ApiError::not_found("pods", pod), Vec::new());
        };
        let Object::Pod(mut p) = (*old).clone() else {
            return t.fail(ApiError::not_found("pods", pod), Vec::new());
        };
        if p.metadata.deletion_timestamp.is_some() {
            return t.fail(
                ApiError::conflict(
                    "pods/binding",
                    pod,
                    &format!("pod {pod} is being deleted, cannot be assigned to a host"),
                ),
                Vec::new(),
            );
        }
        if let Some(current) = p
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .filter(|n| !n.is_empty())
        {
            return t.fail(
                ApiError::conflict(
                    "pods/binding",
                    pod,
                    &format!("pod {pod} is already assigned to node \"{current}\""),
                ),
                Vec::new(),
            );
        }
        p.spec.get_or_insert_with(Default::default).node_name = Some(node.to_string());
        let status = p.status.get_or_insert_with(Default::default);
        let conditions = status.conditions.get_or_insert_with(Vec::new);
        conditions.retain(|c| c.type_ != "PodScheduled");
        conditions.push(k8s_openapi::api::core::v1::PodCondition {
            type_: "PodScheduled".into(),
            status: "True".into(),
            last_transition_time: Some(now.to_k8s_time()),
            ..Default::default()
        });
        match self.store.update(&key, Object::Pod(p), None, writer) {
            Ok(stored) => {
                t.step(Stage::Binding, || {
                    format!("bound to {node}: spec.nodeName set, PodScheduled=True")
                });
                t.step(Stage::Storage, || {
                    format!(
                        "updated {key} at revision {}",
                        stored.meta().resource_version.as_deref().unwrap_or("")
                    )
                });
                Outcome {
                    result: Ok(stored),
                    warnings: Vec::new(),
                    trace: t.steps,
                }
            }
            Err(e) => t.fail(e.to_api_error("pods", pod), Vec::new()),
        }
    }

    /// `DELETE`: removes the object. Bound, running pods are deleted gracefully: they get a
    /// deletionTimestamp and stay until their kubelet confirms (grace 0 removes them).
    pub fn delete(
        &mut self,
        user: &UserInfo,
        target: Target<'_>,
        grace_seconds: Option<i64>,
        now: SimTime,
        writer: &str,
    ) -> Outcome {
        self.delete_with_propagation(user, target, grace_seconds, None, now, writer)
    }

    /// `DELETE` with `propagationPolicy`: `Foreground` and `Orphan` add the
    /// `foregroundDeletion` / `orphan` finalizer and only mark the object (the garbage collector
    /// finishes the job); an object with finalizers is only marked, whatever the policy.
    pub fn delete_with_propagation(
        &mut self,
        user: &UserInfo,
        target: Target<'_>,
        grace_seconds: Option<i64>,
        propagation: Option<Propagation>,
        now: SimTime,
        writer: &str,
    ) -> Outcome {
        let Target {
            info,
            namespace,
            name,
        } = target;
        let namespace = if info.namespaced { namespace } else { "" };
        let mut t = Tracer::new(now, info, namespace, name);
        let attrs = Attributes {
            user: user.clone(),
            verb: Verb::Delete,
            kind: info,
            subresource: None,
            namespace: namespace.to_string(),
            name: name.to_string(),
        };
        if let Err(e) = self.authorize(&attrs, &mut t) {
            return t.fail(e, Vec::new());
        }
        let key = info.key(Some(namespace), name);
        let Some(old) = self.store.get(&key).cloned() else {
            return t.fail(ApiError::not_found(&resource_name(info), name), Vec::new());
        };
        if info.kind == "Namespace" && matches!(name, "default" | "kube-system" | "kube-public") {
            let e = ApiError::forbidden("namespaces", name, "this namespace may not be deleted");
            t.step(Stage::MutatingAdmission, || {
                format!("NamespaceLifecycle: {}", e.message)
            });
            return t.fail(e, Vec::new());
        }
        if let Object::Namespace(ns) = &*old {
            let finalizers = ns
                .spec
                .as_ref()
                .and_then(|s| s.finalizers.as_ref())
                .is_some_and(|f| !f.is_empty());
            if finalizers {
                // The namespace registry: a namespace with finalizers is only marked
                // Terminating; the namespace controller empties it and finalizes it.
                if ns.metadata.deletion_timestamp.is_some() {
                    return Outcome {
                        result: Ok(old),
                        warnings: Vec::new(),
                        trace: t.steps,
                    };
                }
                let mut marked = (*old).clone();
                if let Object::Namespace(n) = &mut marked {
                    n.metadata.deletion_timestamp = Some(now.to_k8s_time());
                    n.metadata.deletion_grace_period_seconds = Some(0);
                    n.status.get_or_insert_with(Default::default).phase =
                        Some("Terminating".into());
                }
                return match self.store.update(&key, marked, None, writer) {
                    Ok(stored) => {
                        t.step(Stage::Storage, || {
                            format!("marked {key} Terminating (finalizers: kubernetes)")
                        });
                        Outcome {
                            result: Ok(stored),
                            warnings: Vec::new(),
                            trace: t.steps,
                        }
                    }
                    Err(e) => t.fail(e.to_api_error(&resource_name(info), name), Vec::new()),
                };
            }
        }
        let finalizer = match propagation {
            Some(Propagation::Foreground) => Some(FOREGROUND_FINALIZER),
            Some(Propagation::Orphan) => Some(ORPHAN_FINALIZER),
            _ => None,
        };
        let has_finalizers = old
            .meta()
            .finalizers
            .as_ref()
            .is_some_and(|f| !f.is_empty());
        if (finalizer.is_some() || has_finalizers) && !matches!(&*old, Object::Pod(_)) {
            let mut marked = (*old).clone();
            let meta = marked.meta_mut();
            let first = meta.deletion_timestamp.is_none();
            if first {
                meta.deletion_timestamp = Some(now.to_k8s_time());
                meta.deletion_grace_period_seconds = Some(0);
            }
            let mut added = false;
            if let Some(f) = finalizer {
                let list = meta.finalizers.get_or_insert_with(Vec::new);
                if !list.iter().any(|x| x == f) {
                    list.push(f.to_string());
                    added = true;
                }
            }
            if !first && !added {
                return Outcome {
                    result: Ok(old),
                    warnings: Vec::new(),
                    trace: t.steps,
                };
            }
            let finalizers = meta.finalizers.clone().unwrap_or_default().join(", ");
            return match self.store.update(&key, marked, None, writer) {
                Ok(stored) => {
                    t.step(Stage::Storage, || {
                        format!("marked {key} for deletion; waiting on finalizers: {finalizers}")
                    });
                    Outcome {
                        result: Ok(stored),
                        warnings: Vec::new(),
                        trace: t.steps,
                    }
                }
                Err(e) => t.fail(e.to_api_error(&resource_name(info), name), Vec::new()),
            };
        }
        if let Object::Pod(pod) = &*old {
            let grace = grace_seconds
                .or_else(|| {
                    pod.spec
                        .as_ref()
                        .and_then(|s| s.termination_grace_period_seconds)
                })
                .unwrap_or(30);
            let bound = pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.as_deref())
                .is_some_and(|n| !n.is_empty());
            let terminal = matches!(
                pod.status.as_ref().and_then(|s| s.phase.as_deref()),
                Some("Succeeded" | "Failed")
            );
            if bound && !terminal && grace > 0 {
                if pod.metadata.deletion_timestamp.is_some() {
                    return Outcome {
                        result: Ok(old),
                        warnings: Vec::new(),
                        trace: t.steps,
                    };
                }
                let mut marked = (*old).clone();
                let meta = marked.meta_mut();
                meta.deletion_timestamp = Some(
                    now.plus(crate::sim::SimDuration::secs(grace as u64))
                        .to_k8s_time(),
                );
                meta.deletion_grace_period_seconds = Some(grace);
                return match self.store.update(&key, marked, None, writer) {
                    Ok(stored) => {
                        t.step(Stage::Storage, || {
                            format!("marked {key} for graceful deletion ({grace}s)")
                        });
                        Outcome {
                            result: Ok(stored),
                            warnings: Vec::new(),
                            trace: t.steps,
                        }
                    }
                    Err(e) => t.fail(e.to_api_error(&resource_name(info), name), Vec::new()),
                };
            }
        }
        match self.store.delete(&key, None, writer) {
            Ok(gone) => {
                // A deleted Event leaves its lease (etcd detaches a deleted key).
                self.leases.forget(&key);
                t.step(Stage::Storage, || format!("deleted {key}"));
                Outcome {
                    result: Ok(gone),
                    warnings: Vec::new(),
                    trace: t.steps,
                }
            }
            Err(e) => t.fail(e.to_api_error(&resource_name(info), name), Vec::new()),
        }
    }

    /// Events are written with a lease of `--event-ttl` (the registry's TTLFunc, on create and
    /// on update alike).
    fn attach_lease(&mut self, info: &KindInfo, key: &str, now: SimTime) {
        if info.kind == "Event" {
            // The key as the store holds it, shared rather than copied.
            let shared = self.store.shared_key(key).unwrap_or_else(|| key.into());
            self.leases.attach(shared, now);
        }
    }

    /// When etcd next revokes an expired lease, if any key holds one.
    pub fn next_lease_expiry(&self) -> Option<SimTime> {
        self.leases.next_expiry()
    }

    /// etcd revokes the leases expired by `now`: every key still attached is deleted (watchers
    /// see `DELETED`), as an expired Event disappears from a real cluster. etcd deletes a
    /// lease's keys (up to 1,000 Events) in one transaction; here at most
    /// [`EXPIRED_KEYS_PER_ITEM`] go per call, and the rest with the next, at the same moment, so
    /// that no item of the simulation takes long (1,000 deletions took 28 ms natively).
    pub fn expire_leases(&mut self, now: SimTime) -> Vec<TraceStep> {
        let mut trace = Vec::new();
        for key in self.leases.take_expired(now, EXPIRED_KEYS_PER_ITEM) {
            let Some(old) = self.store.get(&key).cloned() else {
                continue;
            };
            if self.store.delete(&key, None, "etcd").is_ok() {
                let meta = old.meta();
                let mut t = Tracer::new(
                    now,
                    old.info(),
                    meta.namespace.as_deref().unwrap_or_default(),
                    meta.name.as_deref().unwrap_or_default(),
                );
                t.step(Stage::Storage, || {
                    format!(
                        "lease expired (--event-ttl=1h0m0s): etcd deleted {key} at revision {}",
                        self.store.revision()
                    )
                });
                for mut step in t.steps {
                    step.component = "etcd".into();
                    trace.push(step);
                }
            }
        }
        trace
    }

    /// Writes a system object directly (bootstrap objects a fresh cluster already has): no
    /// admission, but defaults, identity and validation as for any create.
    pub fn bootstrap(
        &mut self,
        mut obj: Object,
        now: SimTime,
        rng: &mut SimRng,
    ) -> Result<Arc<Object>, ApiError> {
        defaults::set_defaults(&mut obj)?;
        let info = obj.info();
        let lookup = StoreLookup(&self.store);
        let mut ctx = RequestContext {
            now,
            rng,
            lookup: &lookup,
        };
        prepare::prepare_for_create(&mut obj, &mut ctx, false);
        let namespace = obj.meta().namespace.clone().unwrap_or_default();
        let name = obj.meta().name.clone().unwrap_or_default();
        let key = info.key(Some(&namespace), &name);
        self.store
            .create(&key, obj, "kube-apiserver")
            .map_err(|e| e.to_api_error(&resource_name(info), &name))
    }

    fn write_quota_usage(
        &mut self,
        usages: &[crate::apiserver::admission::QuotaUsage],
        t: &mut Tracer,
    ) {
        for usage in usages {
            let key =
                kind_info("ResourceQuota").map(|i| i.key(Some(&usage.namespace), &usage.name));
            let Some(key) = key else { continue };
            let Some(Object::ResourceQuota(quota)) = self.store.get(&key).map(|o| (**o).clone())
            else {
                continue;
            };
            let mut quota = quota;
            let status = quota.status.get_or_insert_with(Default::default);
            status.hard = quota.spec.as_ref().and_then(|s| s.hard.clone());
            status.used = Some(
                usage
                    .used
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            k8s_openapi::apimachinery::pkg::api::resource::Quantity(v.to_string()),
                        )
                    })
                    .collect(),
            );
            if self
                .store
                .update(&key, Object::ResourceQuota(quota), None, "kube-apiserver")
                .is_ok()
            {
                t.step(Stage::Storage, || {
                    format!("ResourceQuota {} status.used updated", usage.name)
                });
            }
        }
    }
}

/// `DeletePropagationForeground`'s finalizer.
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";
/// `DeletePropagationOrphan`'s finalizer.
pub const ORPHAN_FINALIZER: &str = "orphan";

/// `DeleteOptions.propagationPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// Dependents are deleted by the garbage collector after the owner is gone.
    Background,
    /// The owner stays (with `foregroundDeletion`) until its blocking dependents are gone.
    Foreground,
    /// Dependents lose their ownerReferences and stay.
    Orphan,
}

/// `ShouldDeleteDuringUpdate`: an object being deleted whose last finalizer was removed (pods
/// only once their grace period is zero).
fn should_delete_during_update(obj: &Object) -> bool {
    let meta = obj.meta();
    let no_finalizers = meta.finalizers.as_ref().is_none_or(|f| f.is_empty());
    let grace_done = match obj {
        Object::Pod(_) => meta.deletion_grace_period_seconds == Some(0),
        _ => true,
    };
    meta.deletion_timestamp.is_some() && no_finalizers && grace_done
}

/// Copies what an update may not change from the stored object: uid, creation time, generation,
/// status (status has its own subresource) and the resourceVersion when none was given.
fn keep_identity(obj: &mut Object, old: &Object) {
    let old_meta = old.meta().clone();
    {
        let meta = obj.meta_mut();
        meta.uid = old_meta.uid.clone();
        meta.creation_timestamp = old_meta.creation_timestamp.clone();
        meta.generation = old_meta.generation;
        meta.deletion_timestamp = old_meta.deletion_timestamp.clone();
        meta.deletion_grace_period_seconds = old_meta.deletion_grace_period_seconds;
        if meta.resource_version.as_deref().unwrap_or("").is_empty() {
            meta.resource_version = old_meta.resource_version.clone();
        }
    }
    match (obj, old) {
        (Object::Pod(n), Object::Pod(o)) => n.status = o.status.clone(),
        (Object::Deployment(n), Object::Deployment(o)) => n.status = o.status.clone(),
        (Object::ReplicaSet(n), Object::ReplicaSet(o)) => n.status = o.status.clone(),
        (Object::DaemonSet(n), Object::DaemonSet(o)) => n.status = o.status.clone(),
        (Object::Job(n), Object::Job(o)) => n.status = o.status.clone(),
        (Object::Node(n), Object::Node(o)) => n.status = o.status.clone(),
        (Object::Namespace(n), Object::Namespace(o)) => n.status = o.status.clone(),
        (Object::Service(n), Object::Service(o)) => n.status = o.status.clone(),
        _ => {}
    }
}

/// What a status update stores: the stored object `old` with the status of `from` (the status
/// strategy). An object of a kind whose strategy takes only the status, sent with the stored
/// metadata and spec (a kubelet's or controller's copy of what it read), is already that object
/// and is stored as sent, without a copy of `old`.
fn with_status_of(old: &Object, from: Object) -> Object {
    let as_sent = match (old, &from) {
        (Object::Pod(o), Object::Pod(n)) => n.metadata == o.metadata && n.spec == o.spec,
        (Object::Node(o), Object::Node(n)) => n.metadata == o.metadata && n.spec == o.spec,
        (Object::ReplicaSet(o), Object::ReplicaSet(n)) => {
            n.metadata == o.metadata && n.spec == o.spec
        }
        // The Deployment strategy also takes the sent annotations: equal ones change nothing.
        (Object::Deployment(o), Object::Deployment(n)) => {
            n.metadata == o.metadata && n.spec == o.spec
        }
        (Object::DaemonSet(o), Object::DaemonSet(n)) => {
            n.metadata == o.metadata && n.spec == o.spec
        }
        (Object::Job(o), Object::Job(n)) => n.metadata == o.metadata && n.spec == o.spec,
        _ => false,
    };
    if as_sent {
        return from;
    }
    let mut merged = old.clone();
    copy_status(&mut merged, from);
    merged
}

/// Puts `from`'s status into `into` (same kind), leaving everything else as stored.
fn copy_status(into: &mut Object, from: Object) {
    match (into, from) {
        (Object::Pod(n), Object::Pod(o)) => n.status = o.status,
        (Object::Node(n), Object::Node(o)) => n.status = o.status,
        (Object::Deployment(n), Object::Deployment(o)) => {
            // The Deployment status strategy keeps only spec and labels: the deployment
            // controller writes its revision annotation with the status.
            n.status = o.status;
            n.metadata.annotations = o.metadata.annotations;
        }
        (Object::ReplicaSet(n), Object::ReplicaSet(o)) => n.status = o.status,
        (Object::DaemonSet(n), Object::DaemonSet(o)) => n.status = o.status,
        (Object::Job(n), Object::Job(o)) => n.status = o.status,
        (Object::Namespace(n), Object::Namespace(o)) => n.status = o.status,
        (Object::Service(n), Object::Service(o)) => n.status = o.status,
        (Object::ResourceQuota(n), Object::ResourceQuota(o)) => n.status = o.status,
        (Object::PersistentVolumeClaim(n), Object::PersistentVolumeClaim(o)) => n.status = o.status,
        _ => {}
    }
}

/// Workloads bump `metadata.generation` when their spec changes.
fn bump_generation(obj: &mut Object, old: &Object) {
    let changed = match (&*obj, old) {
        (Object::Deployment(n), Object::Deployment(o)) => n.spec != o.spec,
        (Object::ReplicaSet(n), Object::ReplicaSet(o)) => n.spec != o.spec,
        (Object::DaemonSet(n), Object::DaemonSet(o)) => n.spec != o.spec,
        (Object::Job(n), Object::Job(o)) => n.spec != o.spec,
        (Object::Pod(n), Object::Pod(o)) => n.spec != o.spec,
        _ => false,
    };
    if changed {
        let meta = obj.meta_mut();
        meta.generation = Some(meta.generation.unwrap_or(0) + 1);
    }
}

/// Mutating admission, traced; a refusal becomes the request's outcome.
fn admit(
    chain: &Chain,
    t: &mut Tracer,
    attrs: &Attributes,
    obj: &mut Object,
    old: Option<&Object>,
    ctx: &mut RequestContext<'_>,
) -> Result<crate::apiserver::admission::Report, Box<Outcome>> {
    match chain.admit(attrs, obj, old, ctx) {
        Ok(report) => {
            trace_admission(t, &report);
            Ok(report)
        }
        Err(rejection) => {
            trace_admission(t, &rejection.report);
            Err(Box::new(t.fail(rejection.error, rejection.report.warnings)))
        }
    }
}

/// Field validation (its errors are given), then validating admission, traced; a refusal
/// becomes the request's outcome.
#[allow(clippy::too_many_arguments)]
fn validate(
    chain: &Chain,
    t: &mut Tracer,
    attrs: &Attributes,
    obj: &Object,
    old: Option<&Object>,
    ctx: &RequestContext<'_>,
    report: crate::apiserver::admission::Report,
    errors: Vec<crate::apiserver::FieldError>,
) -> Result<crate::apiserver::admission::Report, Box<Outcome>> {
    use crate::apiserver::admission::Phase;
    if !errors.is_empty() {
        let name = obj.meta().name.clone().unwrap_or_default();
        let e = ApiError::invalid(&obj.info().qualified_kind(), &name, errors);
        t.step(Stage::Validation, || format!("invalid: {}", e.message));
        return Err(Box::new(t.fail(e, report.warnings)));
    }
    t.step(Stage::Validation, "valid");
    match chain.validate(attrs, obj, old, ctx, report) {
        Ok(report) => {
            trace_admission_from(t, &report, Phase::Validating);
            Ok(report)
        }
        Err(rejection) => {
            trace_admission_from(t, &rejection.report, Phase::Validating);
            Err(Box::new(t.fail(rejection.error, rejection.report.warnings)))
        }
    }
}

fn trace_admission(t: &mut Tracer, report: &crate::apiserver::admission::Report) {
    trace_admission_from(t, report, crate::apiserver::admission::Phase::Mutating);
}

fn trace_admission_from(
    t: &mut Tracer,
    report: &crate::apiserver::admission::Report,
    phase: crate::apiserver::admission::Phase,
) {
    use crate::apiserver::admission::Phase;
    let stage = match phase {
        Phase::Mutating => Stage::MutatingAdmission,
        Phase::Validating => Stage::ValidatingAdmission,
    };
    for step in report.steps.iter().filter(|s| s.phase == phase) {
        if let Some(rejected) = &step.rejected {
            t.step(stage, || format!("{}: rejected: {rejected}", step.plugin));
        } else if step.changes.is_empty() {
            t.step(stage, || [step.plugin, ": no changes"].concat());
        } else {
            t.step(stage, || {
                let mut line = [step.plugin, ": "].concat();
                line.push_str(&step.changes.join("; "));
                line
            });
        }
        for w in &step.warnings {
            t.step(stage, || format!("{}: warning: {w}", step.plugin));
        }
    }
}

/// Whether an error means the object was not there.
pub fn is_not_found(e: &ApiError) -> bool {
    e.reason == Reason::NotFound
}
