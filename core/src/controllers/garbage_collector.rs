//! The garbage collector (`pkg/controller/garbagecollector`): cascading deletion through
//! ownerReferences. Objects whose owners are all gone are deleted (background); an owner
//! deleted in the foreground (`foregroundDeletion` finalizer) has its dependents deleted and
//! loses the finalizer once no blocking dependent is left; an owner deleted with the `orphan`
//! finalizer has its dependents' ownerReferences to it removed, then loses the finalizer.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use crate::apiserver::authn;
use crate::apiserver::server::{Propagation, Target, FOREGROUND_FINALIZER, ORPHAN_FINALIZER};
use crate::apiserver::UserInfo;
use crate::component::{Component, Ctx};
use crate::object::{kind_info, Object};
use crate::sim::SimDuration;
use crate::store::{WatchEvent, WatchFilter};

/// The controller's name (service account `generic-garbage-collector`).
pub const NAME: &str = "garbage-collector-controller";
/// The kinds whose objects own or are owned in the simulation.
const KINDS: [&str; 7] = [
    "Deployment",
    "ReplicaSet",
    "Pod",
    "Job",
    "DaemonSet",
    "Service",
    "EndpointSlice",
];

const TOKEN_SCAN: u64 = 1;

/// The garbage collector.
#[derive(Debug)]
pub struct GarbageCollector {
    user: UserInfo,
    scan_armed: bool,
}

impl Default for GarbageCollector {
    fn default() -> Self {
        GarbageCollector::new()
    }
}

fn has_finalizer(obj: &Object, f: &str) -> bool {
    obj.meta().finalizers.iter().flatten().any(|x| x == f)
}

fn target_of<'a>(obj: &'a Object, namespace: &'a str, name: &'a str) -> Target<'a> {
    Target {
        info: obj.info(),
        namespace,
        name,
    }
}

impl GarbageCollector {
    /// A collector running as `system:serviceaccount:kube-system:generic-garbage-collector`.
    pub fn new() -> GarbageCollector {
        GarbageCollector {
            user: authn::controller("generic-garbage-collector"),
            scan_armed: false,
        }
    }

    /// Whether the owner a reference names still exists (same kind, name and uid).
    fn owner_exists(r: &OwnerReference, namespace: &str, ctx: &Ctx<'_>) -> bool {
        let Some(info) = kind_info(&r.kind) else {
            // A kind the simulation does not serve: never collect on its account.
            return true;
        };
        let ns = if info.namespaced { namespace } else { "" };
        ctx.get(info.kind, ns, &r.name)
            .is_some_and(|o| o.meta().uid.as_deref() == Some(r.uid.as_str()))
    }

    fn scan(&mut self, ctx: &mut Ctx<'_>) {
        let objects: Vec<Arc<Object>> = KINDS.iter().flat_map(|k| ctx.list(k, None)).collect();
        let mut dependents: BTreeMap<String, Vec<Arc<Object>>> = BTreeMap::new();
        for o in &objects {
            for r in o.meta().owner_references.iter().flatten() {
                dependents
                    .entry(r.uid.clone())
                    .or_default()
                    .push(Arc::clone(o));
            }
        }
        for owner in &objects {
            let meta = owner.meta();
            if meta.deletion_timestamp.is_none() {
                continue;
            }
            let uid = meta.uid.clone().unwrap_or_default();
            let deps = dependents.get(&uid).cloned().unwrap_or_default();
            if has_finalizer(owner, ORPHAN_FINALIZER) {
                self.orphan(owner, &uid, &deps, ctx);
            } else if has_finalizer(owner, FOREGROUND_FINALIZER) {
                self.delete_dependents(owner, &uid, &deps, &dependents, ctx);
            }
        }
        for o in &objects {
            // Read again: the owner passes above may have changed it.
            let (namespace, name) = (
                o.meta().namespace.clone().unwrap_or_default(),
                o.meta().name.clone().unwrap_or_default(),
            );
            let Some(o) = ctx.get(o.info().kind, &namespace, &name) else {
                continue;
            };
            let meta = o.meta();
            let refs = meta.owner_references.clone().unwrap_or_default();
            if refs.is_empty() || meta.deletion_timestamp.is_some() {
                continue;
            }
            if refs.iter().all(|r| !Self::owner_exists(r, &namespace, ctx)) {
                let policy = if has_finalizer(&o, ORPHAN_FINALIZER) {
                    Propagation::Orphan
                } else if has_finalizer(&o, FOREGROUND_FINALIZER) {
                    Propagation::Foreground
                } else {
                    Propagation::Background
                };
                let _ = ctx.delete_propagating(target_of(&o, &namespace, &name), policy);
            }
        }
    }

    /// `orphanDependents`, then the `orphan` finalizer removed.
    fn orphan(&mut self, owner: &Object, uid: &str, deps: &[Arc<Object>], ctx: &mut Ctx<'_>) {
        for dep in deps {
            let mut released = (**dep).clone();
            if let Some(refs) = released.meta_mut().owner_references.as_mut() {
                refs.retain(|r| r.uid != uid);
            }
            let _ = ctx.patch(released);
        }
        self.remove_finalizer(owner, ORPHAN_FINALIZER, ctx);
    }

    /// Foreground deletion: dependents deleted (in the foreground when they have dependents of
    /// their own); the finalizer removed once no dependent with `blockOwnerDeletion` is left.
    fn delete_dependents(
        &mut self,
        owner: &Object,
        uid: &str,
        deps: &[Arc<Object>],
        all: &BTreeMap<String, Vec<Arc<Object>>>,
        ctx: &mut Ctx<'_>,
    ) {
        let mut blocking = 0;
        for dep in deps {
            let meta = dep.meta();
            let blocks = meta
                .owner_references
                .iter()
                .flatten()
                .any(|r| r.uid == uid && r.block_owner_deletion == Some(true));
            if blocks {
                blocking += 1;
            }
            if meta.deletion_timestamp.is_some() {
                continue;
            }
            let namespace = meta.namespace.clone().unwrap_or_default();
            let name = meta.name.clone().unwrap_or_default();
            let own_uid = meta.uid.clone().unwrap_or_default();
            let policy = if all.get(&own_uid).is_some_and(|d| !d.is_empty()) {
                Propagation::Foreground
            } else {
                Propagation::Background
            };
            let _ = ctx.delete_propagating(target_of(dep, &namespace, &name), policy);
        }
        if blocking == 0 {
            self.remove_finalizer(owner, FOREGROUND_FINALIZER, ctx);
        }
    }

    fn remove_finalizer(&mut self, owner: &Object, finalizer: &str, ctx: &mut Ctx<'_>) {
        let mut copy = owner.clone();
        if let Some(f) = copy.meta_mut().finalizers.as_mut() {
            f.retain(|x| x != finalizer);
        }
        let _ = ctx.patch(copy);
    }
}

impl Component for GarbageCollector {
    fn name(&self) -> &str {
        NAME
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        KINDS
            .iter()
            .filter_map(|k| kind_info(k))
            .map(|info| WatchFilter::prefix(format!("/registry/{}/", info.etcd_prefix)))
            .collect()
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        let _ = event;
        if !self.scan_armed {
            self.scan_armed = true;
            ctx.after(SimDuration::millis(0), TOKEN_SCAN);
        }
    }

    fn on_timer(&mut self, _token: u64, ctx: &mut Ctx<'_>) {
        self.scan_armed = false;
        self.scan(ctx);
    }
}
