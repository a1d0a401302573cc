//! The namespace controller (k/k `pkg/controller/namespace`): a namespace marked for deletion
//! (`status.phase: Terminating`) has its content deleted, its deletion conditions kept in its
//! status, and once nothing is left its `kubernetes` finalizer removed through the `finalize`
//! subresource, after which it is deleted. Content still terminating (pods in their grace
//! period) is checked again after half its estimated time, plus a second, as upstream.

use k8s_openapi::api::core::v1::{Namespace, NamespaceCondition};

use crate::apiserver::server::Target;
use crate::apiserver::{authn, UserInfo};
use crate::component::{Component, Ctx};
use crate::object::{Object, KINDS};
use crate::sim::{SimDuration, SimTime};
use crate::store::{WatchEvent, WatchEventType, WatchFilter};
use crate::trace::Stage;

/// The finalizer the namespace controller owns.
pub const FINALIZER: &str = "kubernetes";

/// The namespace controller.
#[derive(Debug)]
pub struct NamespaceController {
    user: UserInfo,
    retries: Vec<(SimTime, String)>,
}

impl Default for NamespaceController {
    fn default() -> Self {
        NamespaceController::new()
    }
}

impl NamespaceController {
    /// The controller.
    pub fn new() -> NamespaceController {
        NamespaceController {
            user: authn::controller("namespace-controller"),
            retries: Vec::new(),
        }
    }

    /// The deleter's `Delete`: content, then the finalizer, then the namespace.
    fn sync(&mut self, name: &str, ctx: &mut Ctx<'_>) {
        let Some(Object::Namespace(ns)) = ctx.get("Namespace", "", name).as_deref().cloned() else {
            return;
        };
        if ns.metadata.deletion_timestamp.is_none() {
            return;
        }
        let finalizers = ns
            .spec
            .as_ref()
            .and_then(|s| s.finalizers.clone())
            .unwrap_or_default();
        if finalizers.iter().any(|f| f == FINALIZER) {
            let remaining = self.delete_content(name, ctx);
            self.update_conditions(&ns, &remaining, ctx);
            if let Some(estimate) = remaining.iter().map(|r| r.2).max() {
                let delay = SimDuration::secs(estimate / 2 + 1);
                let at = ctx.now.plus(delay);
                if !self.retries.iter().any(|(t, n)| *t == at && n == name) {
                    self.retries.push((at, name.to_string()));
                    ctx.after(delay, at.0);
                }
                return;
            }
            let rest: Vec<String> = finalizers.into_iter().filter(|f| f != FINALIZER).collect();
            let done = rest.is_empty();
            if ctx.finalize_namespace(name, rest).is_err() || !done {
                return;
            }
        }
        if let Some(info) = crate::object::kind_info("Namespace") {
            let _ = ctx.delete(
                Target {
                    info,
                    namespace: "",
                    name,
                },
                None,
            );
        }
    }

    /// Deletes every object in the namespace; returns what is still there as
    /// (resource, count, estimated seconds until gone).
    fn delete_content(&mut self, namespace: &str, ctx: &mut Ctx<'_>) -> Vec<(String, usize, u64)> {
        let mut remaining = Vec::new();
        for info in KINDS.iter().filter(|k| k.namespaced) {
            let objects = ctx.list(info.kind, Some(namespace));
            if objects.is_empty() {
                continue;
            }
            for obj in &objects {
                let Some(name) = obj.meta().name.clone() else {
                    continue;
                };
                if obj.meta().deletion_timestamp.is_none() {
                    let _ = ctx.delete(
                        Target {
                            info,
                            namespace,
                            name: &name,
                        },
                        None,
                    );
                }
            }
            let left = ctx.list(info.kind, Some(namespace));
            if !left.is_empty() {
                let estimate = left
                    .iter()
                    .filter_map(|o| o.meta().deletion_grace_period_seconds)
                    .max()
                    .unwrap_or(0)
                    .max(0) as u64;
                remaining.push((info.resource.to_string(), left.len(), estimate));
            }
        }
        if !remaining.is_empty() {
            ctx.trace(
                Stage::Controller,
                format!("Namespace/{namespace}"),
                format!(
                    "content remaining: {}",
                    remaining
                        .iter()
                        .map(|(r, n, _)| format!("{r} ({n})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        remaining
    }

    /// The deletion conditions the namespace's status carries while it terminates.
    fn update_conditions(
        &mut self,
        ns: &Namespace,
        remaining: &[(String, usize, u64)],
        ctx: &mut Ctx<'_>,
    ) {
        let stamp = ctx.now.to_k8s_time();
        let old = ns
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        let condition = |type_: &str, status: &str, reason: &str, message: String| {
            let kept = old
                .iter()
                .find(|c| c.type_ == type_ && c.status == status)
                .and_then(|c| c.last_transition_time.clone());
            NamespaceCondition {
                type_: type_.into(),
                status: status.into(),
                reason: Some(reason.into()),
                message: Some(message),
                last_transition_time: Some(kept.unwrap_or_else(|| stamp.clone())),
            }
        };
        let content = if remaining.is_empty() {
            condition(
                "NamespaceContentRemaining",
                "False",
                "ContentRemoved",
                "All content successfully removed".into(),
            )
        } else {
            let list = remaining
                .iter()
                .map(|(r, n, _)| format!("{r}. has {n} resource instances"))
                .collect::<Vec<_>>()
                .join(", ");
            condition(
                "NamespaceContentRemaining",
                "True",
                "SomeResourcesRemain",
                format!("Some resources are remaining: {list}"),
            )
        };
        let conditions = vec![
            condition(
                "NamespaceDeletionDiscoveryFailure",
                "False",
                "ResourcesDiscovered",
                "All resources successfully discovered".into(),
            ),
            condition(
                "NamespaceDeletionGroupVersionParsingFailure",
                "False",
                "ParsedGroupVersions",
                "All legacy kube types successfully parsed".into(),
            ),
            condition(
                "NamespaceDeletionContentFailure",
                "False",
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization".into(),
            ),
            content,
            condition(
                "NamespaceFinalizersRemaining",
                "False",
                "ContentHasNoFinalizers",
                "All content-preserving finalizers finished".into(),
            ),
        ];
        if old == conditions {
            return;
        }
        let Some(Object::Namespace(mut live)) = ctx
            .get("Namespace", "", ns.metadata.name.as_deref().unwrap_or(""))
            .as_deref()
            .cloned()
        else {
            return;
        };
        live.status.get_or_insert_with(Default::default).conditions = Some(conditions);
        let _ = ctx.update_status(Object::Namespace(live));
    }
}

impl Component for NamespaceController {
    fn name(&self) -> &str {
        "namespace-controller"
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        vec![WatchFilter::prefix("/registry/namespaces/")]
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        if event.type_ == WatchEventType::Deleted {
            return;
        }
        if let Object::Namespace(ns) = &*event.object {
            if ns.metadata.deletion_timestamp.is_some() {
                let name = ns.metadata.name.clone().unwrap_or_default();
                self.sync(&name, ctx);
            }
        }
    }

    fn on_timer(&mut self, token: u64, ctx: &mut Ctx<'_>) {
        let due: Vec<String> = self
            .retries
            .iter()
            .filter(|(t, _)| t.0 == token && *t == ctx.now)
            .map(|(_, n)| n.clone())
            .collect();
        self.retries.retain(|(t, _)| *t > ctx.now);
        for name in due {
            self.sync(&name, ctx);
        }
    }
}
