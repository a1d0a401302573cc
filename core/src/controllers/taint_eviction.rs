//! Taint-based eviction (k/k `pkg/controller/tainteviction`, the `taint-eviction-controller`
//! since v1.29): pods on a node with `NoExecute` taints they do not tolerate are deleted at once;
//! pods tolerating every such taint for a limited time (`tolerationSeconds`, 300 s from the
//! DefaultTolerationSeconds admission) are deleted when the shortest one runs out, counted from
//! when the controller saw the taint. Each deletion is announced with `TaintManagerEviction` /
//! `Marking for deletion Pod <ns>/<name>`, the pod gets `DisruptionTarget=True`
//! (`DeletionByTaintManager`) and is deleted gracefully; a scheduled deletion whose taints go
//! away is cancelled with `Cancelling deletion of Pod <ns>/<name>`.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ObjectReference, Pod, PodCondition, Taint, Toleration};

use crate::apiserver::server::Target;
use crate::apiserver::{authn, UserInfo};
use crate::component::{Component, Ctx};
use crate::events::{EventRecorder, EventType};
use crate::object::{kind_info, Object};
use crate::scheduler::selectors::tolerates;
use crate::sim::{SimDuration, SimTime};
use crate::store::{WatchEvent, WatchEventType, WatchFilter};

/// The controller's name: its event source and service account.
pub const CONTROLLER_NAME: &str = "taint-eviction-controller";

/// What the controller knows of a pod. Its tolerations are shared with the pods before it that
/// had the same: a Deployment's pods all have the same (most often the two that
/// DefaultTolerationSeconds adds), some 400 bytes each when copied.
#[derive(Debug, Clone, PartialEq)]
struct PodInfo {
    node: String,
    tolerations: Arc<[Toleration]>,
}

/// A scheduled deletion (upstream `TimedWorker`); `fired` keeps the key after it ran, so the
/// pod is not scheduled again.
#[derive(Debug, Clone)]
struct Work {
    created: SimTime,
    fire: SimTime,
    token: u64,
    fired: bool,
}

/// The taint eviction controller.
#[derive(Debug)]
pub struct TaintEvictionController {
    user: UserInfo,
    recorder: EventRecorder,
    tainted: BTreeMap<String, Vec<Taint>>,
    pods: BTreeMap<(String, String), PodInfo>,
    work: BTreeMap<(String, String), Work>,
    next_token: u64,
    /// The tolerations of the pod taken in last, for the next pod with the same to share.
    last_tolerations: Arc<[Toleration]>,
}

impl Default for TaintEvictionController {
    fn default() -> Self {
        TaintEvictionController::new()
    }
}

impl TaintEvictionController {
    /// The controller with empty caches.
    pub fn new() -> TaintEvictionController {
        TaintEvictionController {
            user: authn::controller(CONTROLLER_NAME),
            recorder: EventRecorder::new(CONTROLLER_NAME, ""),
            tainted: BTreeMap::new(),
            pods: BTreeMap::new(),
            work: BTreeMap::new(),
            next_token: 1,
            last_tolerations: Arc::new([]),
        }
    }

    fn on_node(&mut self, name: &str, taints: Vec<Taint>, ctx: &mut Ctx<'_>) {
        let old = self.tainted.get(name).cloned().unwrap_or_default();
        if old == taints {
            return;
        }
        if taints.is_empty() {
            self.tainted.remove(name);
        } else {
            self.tainted.insert(name.to_string(), taints.clone());
        }
        let on_node: Vec<((String, String), PodInfo)> = self
            .pods
            .iter()
            .filter(|(_, p)| p.node == name)
            .map(|(k, p)| (k.clone(), p.clone()))
            .collect();
        for (key, pod) in on_node {
            if taints.is_empty() {
                self.cancel_with_event(&key, ctx);
            } else {
                self.process_pod(&key, &pod.tolerations, &taints, ctx);
            }
        }
    }

    fn on_pod(&mut self, event: &WatchEvent, pod: &Pod, ctx: &mut Ctx<'_>) {
        // Upstream `podUpdated`: an update that keeps the pod's node and tolerations (a status
        // write, most of them) changes nothing here.
        if let (WatchEventType::Modified, Some(Object::Pod(old))) =
            (event.type_, event.old.as_deref())
        {
            if node_and_tolerations(old) == node_and_tolerations(pod) {
                return;
            }
        }
        let key = (
            pod.metadata.namespace.clone().unwrap_or_default(),
            pod.metadata.name.clone().unwrap_or_default(),
        );
        if event.type_ == WatchEventType::Deleted {
            self.pods.remove(&key);
            self.cancel_with_event(&key, ctx);
            self.work.remove(&key);
            return;
        }
        let (node, tolerations) = node_and_tolerations(pod);
        // A pod seen again (as when the controller lists after a restart) as it was: compare
        // before copying.
        if self
            .pods
            .get(&key)
            .is_some_and(|p| p.node == node && *p.tolerations == *tolerations)
        {
            return;
        }
        if *self.last_tolerations != *tolerations {
            self.last_tolerations = tolerations.into();
        }
        let info = PodInfo {
            node: node.to_string(),
            tolerations: Arc::clone(&self.last_tolerations),
        };
        self.pods.insert(key.clone(), info);
        if node.is_empty() {
            return;
        }
        if let Some(taints) = self.tainted.get(node).cloned() {
            self.process_pod(&key, tolerations, &taints, ctx);
        }
    }

    /// `processPodOnNode`.
    fn process_pod(
        &mut self,
        key: &(String, String),
        tolerations: &[Toleration],
        taints: &[Taint],
        ctx: &mut Ctx<'_>,
    ) {
        let mut used: Vec<&Toleration> = Vec::new();
        for taint in taints {
            let value = taint.value.as_deref().unwrap_or("");
            match tolerations
                .iter()
                .find(|t| tolerates(t, &taint.key, value, &taint.effect))
            {
                Some(t) => used.push(t),
                None => {
                    self.cancel_with_event(key, ctx);
                    self.add_work(key, ctx.now, ctx.now, ctx);
                    return;
                }
            }
        }
        let Some(seconds) = min_toleration_seconds(&used) else {
            self.cancel_with_event(key, ctx);
            return;
        };
        let mut start = ctx.now;
        let trigger = start.plus(SimDuration::secs(seconds));
        if let Some(existing) = self.work.get(key) {
            if existing.fired {
                return;
            }
            start = existing.created;
            if start.plus(SimDuration::secs(seconds)) < trigger {
                return;
            }
            self.cancel_with_event(key, ctx);
        }
        self.add_work(key, start, start.plus(SimDuration::secs(seconds)), ctx);
    }

    fn add_work(
        &mut self,
        key: &(String, String),
        created: SimTime,
        fire: SimTime,
        ctx: &mut Ctx<'_>,
    ) {
        if self.work.contains_key(key) {
            return;
        }
        let token = self.next_token;
        self.next_token += 1;
        self.work.insert(
            key.clone(),
            Work {
                created,
                fire,
                token,
                fired: false,
            },
        );
        ctx.after(fire.since(ctx.now), token);
    }

    /// `cancelWorkWithEvent`: only a pending deletion is announced as cancelled.
    fn cancel_with_event(&mut self, key: &(String, String), ctx: &mut Ctx<'_>) {
        let Some(work) = self.work.remove(key) else {
            return;
        };
        if !work.fired {
            let message = format!("Cancelling deletion of Pod {}/{}", key.0, key.1);
            self.record(key, &message, ctx);
        }
    }

    fn record(&mut self, key: &(String, String), message: &str, ctx: &mut Ctx<'_>) {
        let involved = ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Pod".into()),
            namespace: Some(key.0.clone()),
            name: Some(key.1.clone()),
            ..Default::default()
        };
        let write = self.recorder.record(
            ctx.now,
            involved,
            EventType::Normal,
            "TaintManagerEviction",
            message,
        );
        ctx.event(write);
    }

    /// `deletePodHandler`: the event, the DisruptionTarget condition, then a graceful delete.
    fn evict(&mut self, key: &(String, String), ctx: &mut Ctx<'_>) {
        let message = format!("Marking for deletion Pod {}/{}", key.0, key.1);
        self.record(key, &message, ctx);
        let Some(Object::Pod(mut pod)) = ctx.get("Pod", &key.0, &key.1).as_deref().cloned() else {
            return;
        };
        let conditions = pod
            .status
            .get_or_insert_with(Default::default)
            .conditions
            .get_or_insert_with(Vec::new);
        let wanted = PodCondition {
            type_: "DisruptionTarget".into(),
            status: "True".into(),
            reason: Some("DeletionByTaintManager".into()),
            message: Some("Taint manager: deleting due to NoExecute taint".into()),
            last_transition_time: Some(ctx.now.to_k8s_time()),
            ..Default::default()
        };
        let updated = match conditions.iter_mut().find(|c| c.type_ == wanted.type_) {
            Some(c) if c.status == wanted.status && c.reason == wanted.reason => false,
            Some(c) => {
                if c.status != wanted.status {
                    c.last_transition_time = wanted.last_transition_time.clone();
                }
                c.status = wanted.status.clone();
                c.reason = wanted.reason.clone();
                c.message = wanted.message.clone();
                true
            }
            None => {
                conditions.push(wanted);
                true
            }
        };
        if updated && ctx.update_status(Object::Pod(pod)).is_err() {
            return;
        }
        if let Some(info) = kind_info("Pod") {
            let _ = ctx.delete(
                Target {
                    info,
                    namespace: &key.0,
                    name: &key.1,
                },
                None,
            );
        }
    }
}

/// `getMinTolerationTime`: the shortest `tolerationSeconds` (0 when none was used, since an
/// empty list means every taint is gone), `None` when every used toleration is forever.
fn min_toleration_seconds(used: &[&Toleration]) -> Option<u64> {
    if used.is_empty() {
        return Some(0);
    }
    let mut min: Option<u64> = None;
    for t in used {
        if let Some(s) = t.toleration_seconds {
            let s = s.max(0) as u64;
            min = Some(min.map_or(s, |m| m.min(s)));
        }
    }
    min
}

/// A pod's `spec.nodeName` (`""` if unbound) and tolerations, what the controller acts on.
fn node_and_tolerations(pod: &Pod) -> (&str, &[Toleration]) {
    let spec = pod.spec.as_ref();
    (
        spec.and_then(|s| s.node_name.as_deref())
            .unwrap_or_default(),
        spec.and_then(|s| s.tolerations.as_deref())
            .unwrap_or_default(),
    )
}

impl Component for TaintEvictionController {
    fn name(&self) -> &str {
        CONTROLLER_NAME
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        vec![
            WatchFilter::prefix("/registry/minions/"),
            WatchFilter::prefix("/registry/pods/"),
        ]
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        match &*event.object {
            Object::Node(node) => {
                let name = node.metadata.name.clone().unwrap_or_default();
                let taints = if event.type_ == WatchEventType::Deleted {
                    Vec::new()
                } else {
                    node.spec
                        .as_ref()
                        .and_then(|s| s.taints.clone())
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|t| t.effect == "NoExecute")
                        .collect()
                };
                self.on_node(&name, taints, ctx);
            }
            Object::Pod(pod) => self.on_pod(event, pod, ctx),
            _ => {}
        }
    }

    fn on_timer(&mut self, token: u64, ctx: &mut Ctx<'_>) {
        let Some(key) = self
            .work
            .iter()
            .find(|(_, w)| w.token == token && !w.fired && w.fire == ctx.now)
            .map(|(k, _)| k.clone())
        else {
            return;
        };
        if let Some(w) = self.work.get_mut(&key) {
            w.fired = true;
        }
        self.evict(&key, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn toleration(seconds: Option<i64>) -> Toleration {
        Toleration {
            key: Some("node.kubernetes.io/unreachable".into()),
            operator: Some("Exists".into()),
            effect: Some("NoExecute".into()),
            toleration_seconds: seconds,
            ..Default::default()
        }
    }

    #[test]
    fn the_shortest_limited_toleration_decides_and_unlimited_ones_wait_forever() {
        let (forever, long, short) = (
            toleration(None),
            toleration(Some(300)),
            toleration(Some(10)),
        );
        assert_eq!(min_toleration_seconds(&[&long, &short]), Some(10));
        assert_eq!(min_toleration_seconds(&[&forever, &long]), Some(300));
        assert_eq!(min_toleration_seconds(&[&forever]), None);
        assert_eq!(min_toleration_seconds(&[&toleration(Some(-5))]), Some(0));
        assert_eq!(min_toleration_seconds(&[]), Some(0));
    }
}
