//! The garbage collector (`pkg/controller/garbagecollector`): cascading deletion through
//! ownerReferences. Objects whose owners are all gone are deleted (background); an owner
//! deleted in the foreground (`foregroundDeletion` finalizer) has its dependents deleted and
//! loses the finalizer once no blocking dependent is left; an owner deleted with the `orphan`
//! finalizer has its dependents' ownerReferences to it removed, then loses the finalizer. Which
//! objects to look at comes from the [`OwnerGraph`], kept current from the store's change feed.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use crate::apiserver::authn;
use crate::apiserver::server::{Propagation, Target, FOREGROUND_FINALIZER, ORPHAN_FINALIZER};
use crate::apiserver::UserInfo;
use crate::component::{Component, Ctx};
use crate::controllers::owner_graph::{OwnerGraph, Slot};
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

/// The most changes one scan applies to the owner graph. A burst beyond it (15,000 pods created
/// at one moment) is taken over several scans at the same moment, each one simulation item, as
/// upstream's graph builder works through its event queue while the other components go on.
pub const MAX_CHANGES_PER_SCAN: usize = 1024;

/// The garbage collector.
#[derive(Debug)]
pub struct GarbageCollector {
    user: UserInfo,
    scan_armed: bool,
    graph: OwnerGraph,
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
            graph: OwnerGraph::new(&KINDS),
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

    /// One pass over what may need collecting, as the full scan did — owners being deleted
    /// with the `orphan` or `foreground` finalizer first (everything read as the scan starts),
    /// then every object whose owners are all gone, in kind then key order — but visiting only
    /// what the ownership graph says may need it.
    fn scan(&mut self, ctx: &mut Ctx<'_>) {
        let mut budget = MAX_CHANGES_PER_SCAN;
        // Owners being deleted are handled once the graph has caught up: a dependent the
        // graph has yet to see would not block a foreground deletion.
        let behind = self.graph.sync(ctx, &mut budget);
        let deleting = if behind {
            Vec::new()
        } else {
            self.graph.deleting()
        };
        let mut owners = Vec::new();
        for (_, key) in deleting {
            let Some(owner) = ctx.get_by_key(&key) else {
                continue;
            };
            let uid = owner.meta().uid.clone().unwrap_or_default();
            let deps: Vec<(Arc<Object>, bool)> = self
                .graph
                .dependents(&uid)
                .into_iter()
                .filter_map(|(_, k)| ctx.get_by_key(&k))
                .map(|d| {
                    let own_uid = d.meta().uid.clone().unwrap_or_default();
                    let has_dependents = self.graph.has_dependents(&own_uid);
                    (d, has_dependents)
                })
                .collect();
            owners.push((owner, uid, deps));
        }
        for (owner, uid, deps) in &owners {
            if has_finalizer(owner, ORPHAN_FINALIZER) {
                self.orphan(owner, uid, deps, ctx);
            } else if has_finalizer(owner, FOREGROUND_FINALIZER) {
                self.delete_dependents(owner, uid, deps, ctx);
            }
        }
        let mut cursor: Option<Slot> = None;
        let behind = loop {
            // This scan's own writes count: a collected owner's dependents later in the order
            // are collected in the same scan.
            let behind = self.graph.sync(ctx, &mut budget);
            let Some(slot) = self.graph.take_suspect_after(cursor.as_ref()) else {
                break behind;
            };
            let Some(o) = ctx.get_by_key(&slot.1) else {
                cursor = Some(slot);
                continue;
            };
            cursor = Some(slot);
            let (namespace, name) = (
                o.meta().namespace.clone().unwrap_or_default(),
                o.meta().name.clone().unwrap_or_default(),
            );
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
        };
        if behind && !self.scan_armed {
            // The rest of a burst: the next scan, in an item of its own at this moment.
            self.scan_armed = true;
            ctx.after(SimDuration::millis(0), TOKEN_SCAN);
        }
    }

    /// `orphanDependents`, then the `orphan` finalizer removed.
    fn orphan(
        &mut self,
        owner: &Object,
        uid: &str,
        deps: &[(Arc<Object>, bool)],
        ctx: &mut Ctx<'_>,
    ) {
        for (dep, _) in deps {
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
    /// Each dependent comes with whether it had dependents of its own when the scan started.
    fn delete_dependents(
        &mut self,
        owner: &Object,
        uid: &str,
        deps: &[(Arc<Object>, bool)],
        ctx: &mut Ctx<'_>,
    ) {
        let mut blocking = 0;
        for (dep, has_dependents) in deps {
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
            let policy = if *has_dependents {
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
            .map(|info| WatchFilter::prefix(info.prefix(None)))
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
