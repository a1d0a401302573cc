//! The resource quota controller (k/k `pkg/controller/resourcequota`, `resourcequota-controller`):
//! a new or changed ResourceQuota gets `status.hard` = `spec.hard` and `status.used` = what its
//! namespace uses of each of those resources now (so `kubectl get quota` shows
//! `requests.cpu: 0/1` at once); usage is recomputed when a pod goes away or finishes (the
//! replenishment controller) and on the full resync every 5 minutes.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ResourceQuota;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;

use crate::apiserver::admission::limit_ranger::add_into;
use crate::apiserver::admission::qty;
use crate::apiserver::admission::resource_quota::usage;
use crate::apiserver::{authn, UserInfo};
use crate::component::{Component, Ctx};
use crate::object::{Object, KINDS};
use crate::quantity::{Format, Quantity};
use crate::sim::SimDuration;
use crate::store::{WatchEvent, WatchEventType, WatchFilter};

/// The controller's name: its service account.
pub const CONTROLLER_NAME: &str = "resourcequota-controller";
/// `--resource-quota-sync-period`'s default.
const RESYNC: SimDuration = SimDuration::secs(300);
/// The timer token of a pending sync of the namespaces in `dirty`.
const SYNC: u64 = 1;
/// The timer token of the periodic full resync.
const FULL_RESYNC: u64 = 2;

/// The resource quota controller.
#[derive(Debug)]
pub struct ResourceQuotaController {
    user: UserInfo,
    /// Namespaces whose quotas need a sync.
    dirty: BTreeSet<String>,
    sync_armed: bool,
    resync_armed: bool,
}

impl Default for ResourceQuotaController {
    fn default() -> Self {
        ResourceQuotaController::new()
    }
}

impl ResourceQuotaController {
    /// The controller with nothing to do yet.
    pub fn new() -> ResourceQuotaController {
        ResourceQuotaController {
            user: authn::controller(CONTROLLER_NAME),
            dirty: BTreeSet::new(),
            sync_armed: false,
            resync_armed: false,
        }
    }

    fn mark(&mut self, namespace: &str, ctx: &mut Ctx<'_>) {
        self.dirty.insert(namespace.to_string());
        if !self.sync_armed {
            self.sync_armed = true;
            ctx.after(SimDuration(0), SYNC);
        }
    }

    /// `syncResourceQuota` for every quota of `namespace`.
    fn sync_namespace(&mut self, namespace: &str, ctx: &mut Ctx<'_>) {
        let quotas: Vec<ResourceQuota> = ctx
            .list("ResourceQuota", Some(namespace))
            .iter()
            .filter_map(|o| match &**o {
                Object::ResourceQuota(q) => Some((**q).clone()),
                _ => None,
            })
            .collect();
        if quotas.is_empty() {
            return;
        }
        let mut used_now: BTreeMap<String, Quantity> = BTreeMap::new();
        for kind in KINDS.iter().filter(|k| k.namespaced && k.kind != "Event") {
            for obj in ctx.list(kind.kind, Some(namespace)) {
                add_into(&mut used_now, &usage(&obj));
            }
        }
        for mut quota in quotas {
            let hard: BTreeMap<String, K8sQuantity> = quota
                .spec
                .as_ref()
                .and_then(|s| s.hard.clone())
                .unwrap_or_default();
            let used: BTreeMap<String, K8sQuantity> = hard
                .iter()
                .map(|(k, h)| {
                    let zero = if qty(h).format() == Format::BinarySI {
                        Quantity::from_units(0, Format::BinarySI)
                    } else {
                        Quantity::ZERO
                    };
                    let u = used_now.get(k).copied().unwrap_or(zero);
                    (k.clone(), K8sQuantity(u.to_string()))
                })
                .collect();
            let status = quota.status.get_or_insert_with(Default::default);
            if status.hard.as_ref() == Some(&hard) && status.used.as_ref() == Some(&used) {
                continue;
            }
            status.hard = Some(hard);
            status.used = Some(used);
            let _ = ctx.update_status(Object::from(quota));
        }
    }
}

impl Component for ResourceQuotaController {
    fn name(&self) -> &str {
        CONTROLLER_NAME
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        vec![
            WatchFilter::prefix("/registry/resourcequotas/"),
            WatchFilter::prefix("/registry/pods/"),
        ]
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        let namespace = event.object.meta().namespace.clone().unwrap_or_default();
        match &*event.object {
            Object::ResourceQuota(q) => {
                // Its own status writes come back too: only a spec it has not synced counts.
                let synced = q.status.as_ref().and_then(|s| s.hard.as_ref())
                    == q.spec.as_ref().and_then(|s| s.hard.as_ref());
                if event.type_ != WatchEventType::Deleted && !synced {
                    self.mark(&namespace, ctx);
                }
            }
            Object::Pod(p) => {
                // Replenishment: a pod deleted or finished gives its usage back.
                let finished = matches!(
                    p.status.as_ref().and_then(|s| s.phase.as_deref()),
                    Some("Succeeded" | "Failed")
                );
                if event.type_ == WatchEventType::Deleted || finished {
                    self.mark(&namespace, ctx);
                }
            }
            _ => {}
        }
        if !self.resync_armed {
            self.resync_armed = true;
            ctx.after(RESYNC, FULL_RESYNC);
        }
    }

    fn on_timer(&mut self, token: u64, ctx: &mut Ctx<'_>) {
        if token == FULL_RESYNC {
            let namespaces: BTreeSet<String> = ctx
                .list("ResourceQuota", None)
                .iter()
                .filter_map(|o| o.meta().namespace.clone())
                .collect();
            self.dirty.extend(namespaces);
            ctx.after(RESYNC, FULL_RESYNC);
        } else {
            self.sync_armed = false;
        }
        for namespace in std::mem::take(&mut self.dirty) {
            self.sync_namespace(&namespace, ctx);
        }
    }
}
