//! The node lifecycle controller (k/k `pkg/controller/nodelifecycle`, event source
//! `node-controller`): every 5 s (`--node-monitor-period`) it checks each node's Lease and
//! Ready heartbeat; when neither moved for 50 s (`--node-monitor-grace-period`, v1.32+) it sets
//! the node's conditions to `Unknown` / `NodeStatusUnknown` / `Kubelet stopped posting node
//! status.`, records `NodeNotReady` and marks the node's pods not ready. It keeps the condition
//! taints in step: `node.kubernetes.io/unreachable` / `not-ready` / pressure and `unschedulable`
//! `NoSchedule` taints on every node change, and the `NoExecute` taints from the monitor pass
//! (through the tainting queue, 100 ms later, paced per zone — see [`super::zone_state`]),
//! removed again when the node is Ready. When no node at all is Ready it enters "master
//! disruption mode": NoExecute taints are removed and nothing is evicted until a node is back.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Node, NodeCondition, Taint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::apiserver::{authn, UserInfo};
use crate::component::{Component, Ctx};
use crate::controllers::zone_state::{zone_key, Zone, ZoneState};
use crate::events::{object_reference, EventRecorder, EventType};
use crate::kubelet::heartbeat::LEASE_NAMESPACE;
use crate::object::Object;
use crate::sim::{SimDuration, SimTime};
use crate::store::{WatchEvent, WatchEventType, WatchFilter};
use crate::trace::Stage;

/// `--node-monitor-period`.
pub const MONITOR_PERIOD: SimDuration = SimDuration::secs(5);
/// `--node-monitor-grace-period` (50 s since v1.32).
pub const GRACE_PERIOD: SimDuration = SimDuration::secs(50);
/// How often the NoExecute tainting queue is worked (`NodeEvictionPeriod`).
pub const EVICTION_PERIOD: SimDuration = SimDuration::millis(100);
/// The taint of a node whose Ready condition is Unknown.
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// The taint of a node whose Ready condition is False.
pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
/// The taint of a cordoned node.
pub const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

const REASON_UNKNOWN: &str = "NodeStatusUnknown";
const MESSAGE_UNKNOWN: &str = "Kubelet stopped posting node status.";
const TOKEN_MONITOR: u64 = 1;
const TOKEN_TAINT: u64 = 2;

/// What the controller remembers of a node between passes (upstream `nodeHealthData`).
#[derive(Debug, Clone)]
struct Health {
    probe: SimTime,
    heartbeat: Option<Time>,
    lease_renew: Option<k8s_openapi::jiff::Timestamp>,
}

/// The node lifecycle controller.
#[derive(Debug)]
pub struct NodeLifecycleController {
    user: UserInfo,
    recorder: EventRecorder,
    health: BTreeMap<String, Health>,
    to_taint: Vec<(String, &'static str)>,
    zones: BTreeMap<String, Zone>,
    monitor_due: Option<SimTime>,
    taint_due: Option<SimTime>,
}

impl NodeLifecycleController {
    /// The controller (its first monitor pass comes at the next multiple of the period).
    pub fn new() -> NodeLifecycleController {
        NodeLifecycleController {
            user: authn::controller("node-controller"),
            recorder: EventRecorder::new("node-controller", ""),
            health: BTreeMap::new(),
            to_taint: Vec::new(),
            zones: BTreeMap::new(),
            monitor_due: None,
            taint_due: None,
        }
    }

    fn arm_monitor(&mut self, ctx: &mut Ctx<'_>) {
        if self.monitor_due.is_some_and(|due| due > ctx.now) {
            return;
        }
        // Passes fall on multiples of the period.
        let period = MONITOR_PERIOD.as_millis();
        let next = (ctx.now.0 / period + 1) * period;
        self.monitor_due = Some(SimTime(next));
        ctx.after(SimTime(next).since(ctx.now), TOKEN_MONITOR);
    }

    /// `monitorNodeHealth`: one pass over every node.
    fn monitor(&mut self, ctx: &mut Ctx<'_>) {
        // The informer's cache: shared objects, copied only to be changed.
        let objects = ctx.list("Node", None);
        let nodes: Vec<&Node> = objects
            .iter()
            .filter_map(|o| match &**o {
                Object::Node(n) => Some(&**n),
                _ => None,
            })
            .collect();
        // Forget the nodes that are gone (a set: comparing every name with every node was
        // quadratic, 500,000 comparisons a pass at 1,000 nodes).
        let names: BTreeSet<&str> = nodes
            .iter()
            .filter_map(|n| n.metadata.name.as_deref())
            .collect();
        self.health.retain(|name, _| names.contains(name.as_str()));
        for node in nodes {
            self.monitor_node(node, ctx);
        }
        self.handle_disruption(ctx);
    }

    /// `handleDisruption`: zone states from the nodes' current Ready conditions; when every
    /// zone is fully disrupted (no Ready node at all) the controller enters "master disruption
    /// mode": NoExecute taints are removed and tainting stops until some node is Ready again.
    fn handle_disruption(&mut self, ctx: &mut Ctx<'_>) {
        let objects = ctx.list("Node", None);
        let nodes: Vec<&Node> = objects
            .iter()
            .filter_map(|o| match &**o {
                Object::Node(n) => Some(&**n),
                _ => None,
            })
            .collect();
        let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for node in &nodes {
            let entry = counts.entry(zone_key(node)).or_default();
            match condition(node, "Ready") {
                Some(c) if c.status == "True" => entry.0 += 1,
                Some(_) => entry.1 += 1,
                None => {}
            }
        }
        let new_states: BTreeMap<String, ZoneState> = counts
            .iter()
            .map(|(zone, &(ready, not_ready))| (zone.clone(), ZoneState::compute(ready, not_ready)))
            .collect();
        let all_are = new_states.values().all(|s| *s == ZoneState::FullDisruption);
        for zone in new_states.keys() {
            self.zones.entry(zone.clone()).or_default();
        }
        self.zones.retain(|zone, _| new_states.contains_key(zone));
        let all_were = self
            .zones
            .values()
            .all(|z| z.state == ZoneState::FullDisruption);
        if all_are && all_were {
            return;
        }
        if all_are {
            ctx.trace(
                Stage::Controller,
                "Node/*",
                "all nodes are not Ready: entering master disruption mode, evictions stop",
            );
            for node in &nodes {
                self.mark_reachable(node, ctx);
            }
            for zone in self.zones.values_mut() {
                zone.stop();
            }
            return;
        }
        if all_were {
            ctx.trace(
                Stage::Controller,
                "Node/*",
                "some nodes are Ready: exiting master disruption mode",
            );
            for health in self.health.values_mut() {
                health.probe = ctx.now;
            }
        }
        for (name, zone) in self.zones.iter_mut() {
            let state = new_states.get(name).copied().unwrap_or(ZoneState::Normal);
            if zone.state == state && !all_were {
                continue;
            }
            let size = counts.get(name).map(|(r, n)| r + n).unwrap_or(0);
            zone.swap_limiter(state, size);
        }
        if !self.to_taint.is_empty() {
            self.arm_taint_pass(ctx, ctx.now);
        }
    }

    /// `markNodeAsReachable`: the NoExecute condition taints go and the node leaves the queue.
    fn mark_reachable(&mut self, node: &Node, ctx: &mut Ctx<'_>) {
        let name = node.metadata.name.clone().unwrap_or_default();
        self.to_taint.retain(|(n, _)| *n != name);
        let stale: Vec<Taint> = taints(node)
            .into_iter()
            .filter(|t| t.effect == "NoExecute" && (t.key == UNREACHABLE || t.key == NOT_READY))
            .collect();
        if !stale.is_empty() {
            self.swap_taints(&name, Vec::new(), &stale, ctx);
        }
    }

    /// Arms the tainting pass at the first 100 ms tick after `after`.
    fn arm_taint_pass(&mut self, ctx: &mut Ctx<'_>, after: SimTime) {
        let period = EVICTION_PERIOD.as_millis();
        let at = SimTime((after.0 / period + 1) * period);
        if self.taint_due.is_some_and(|due| due > ctx.now && due <= at) {
            return;
        }
        self.taint_due = Some(at);
        ctx.after(at.since(ctx.now), TOKEN_TAINT);
    }

    fn monitor_node(&mut self, node: &Node, ctx: &mut Ctx<'_>) {
        let mut node = std::borrow::Cow::Borrowed(node);
        let name = node.metadata.name.clone().unwrap_or_default();
        let Some(observed) = condition(&node, "Ready").cloned() else {
            return;
        };
        let lease_renew = match ctx.get("Lease", LEASE_NAMESPACE, &name).as_deref() {
            Some(Object::Lease(l)) => l
                .spec
                .as_ref()
                .and_then(|s| s.renew_time.as_ref())
                .map(|t| t.0),
            _ => None,
        };
        let now = ctx.now;
        let health = self.health.entry(name.clone()).or_insert_with(|| Health {
            probe: now,
            heartbeat: observed.last_heartbeat_time.clone(),
            lease_renew,
        });
        if health.heartbeat != observed.last_heartbeat_time {
            health.heartbeat = observed.last_heartbeat_time.clone();
            health.probe = now;
        }
        if lease_renew.is_some() && health.lease_renew < lease_renew {
            health.lease_renew = lease_renew;
            health.probe = now;
        }
        let mut current = observed.clone();
        if ctx.now > health.probe.plus(GRACE_PERIOD) {
            let mut changed = false;
            let stamp = ctx.now.to_k8s_time();
            let mut updated = node.clone().into_owned();
            for c in updated
                .status
                .get_or_insert_with(Default::default)
                .conditions
                .get_or_insert_with(Vec::new)
                .iter_mut()
                .filter(|c| {
                    matches!(
                        c.type_.as_str(),
                        "Ready" | "MemoryPressure" | "DiskPressure" | "PIDPressure"
                    )
                })
            {
                if c.status != "Unknown" {
                    c.status = "Unknown".into();
                    c.reason = Some(REASON_UNKNOWN.into());
                    c.message = Some(MESSAGE_UNKNOWN.into());
                    c.last_transition_time = Some(stamp.clone());
                    changed = true;
                }
            }
            if changed {
                match ctx.update_status(Object::from(updated)) {
                    Ok(stored) => {
                        if let Some(c) = condition_of(&stored, "Ready") {
                            current = c;
                        }
                        if let Object::Node(n) = &*stored {
                            node = std::borrow::Cow::Owned((**n).clone());
                        }
                    }
                    Err(_) => return,
                }
            }
        }
        self.taint_by_observed(&node, &observed, ctx);
        if current.status != "True" && observed.status == "True" {
            // `RecordNodeStatusChange` builds its reference by hand: no resourceVersion.
            let reference = k8s_openapi::api::core::v1::ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Node".into()),
                name: Some(name.clone()),
                uid: node.metadata.uid.clone(),
                ..Default::default()
            };
            self.record(
                ctx,
                reference,
                EventType::Normal,
                "NodeNotReady",
                &format!("Node {name} status is now: NodeNotReady"),
            );
            self.mark_pods_not_ready(&name, ctx);
        }
    }

    /// `processTaintBaseEviction` with the Ready condition observed at the start of the pass.
    fn taint_by_observed(&mut self, node: &Node, observed: &NodeCondition, ctx: &mut Ctx<'_>) {
        let name = node.metadata.name.clone().unwrap_or_default();
        let wanted = match observed.status.as_str() {
            "False" => NOT_READY,
            "Unknown" => UNREACHABLE,
            _ => {
                self.mark_reachable(node, ctx);
                return;
            }
        };
        let present = taints(node)
            .iter()
            .any(|t| t.effect == "NoExecute" && t.key == wanted);
        if present {
            return;
        }
        match self.to_taint.iter_mut().find(|(n, _)| *n == name) {
            Some(queued) => queued.1 = wanted,
            None => self.to_taint.push((name, wanted)),
        }
        self.arm_taint_pass(ctx, ctx.now);
    }

    /// `doNoExecuteTaintingPass`: the queued nodes get their NoExecute taint, the other one of
    /// the pair swapped out.
    fn no_execute_pass(&mut self, ctx: &mut Ctx<'_>) {
        let mut waiting = Vec::new();
        let mut next: Option<SimTime> = None;
        let mut blocked: Vec<String> = Vec::new();
        for (name, key) in std::mem::take(&mut self.to_taint) {
            let Some(Object::Node(node)) = ctx.get("Node", "", &name).as_deref().cloned() else {
                continue;
            };
            // The zone's rate limiter: one node per token; a zone out of tokens waits.
            let zone_name = zone_key(&node);
            let Some(zone) = self.zones.get_mut(&zone_name) else {
                waiting.push((name, key));
                continue;
            };
            if blocked.contains(&zone_name) {
                waiting.push((name, key));
                continue;
            }
            if let Err(again) = zone.try_accept(ctx.now) {
                if let Some(at) = again {
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
                blocked.push(zone_name);
                waiting.push((name, key));
                continue;
            }
            let Some(ready) = condition(&node, "Ready") else {
                continue;
            };
            let still = match key {
                UNREACHABLE => ready.status == "Unknown",
                _ => ready.status == "False",
            };
            if !still {
                continue;
            }
            let other = if key == UNREACHABLE {
                NOT_READY
            } else {
                UNREACHABLE
            };
            let remove: Vec<Taint> = taints(&node)
                .into_iter()
                .filter(|t| t.effect == "NoExecute" && t.key == other)
                .collect();
            self.swap_taints(&name, vec![taint(key, "NoExecute")], &remove, ctx);
        }
        self.to_taint = waiting;
        if let Some(at) = next {
            // The first tick at or after the token comes back.
            self.arm_taint_pass(ctx, SimTime(at.0.saturating_sub(1)));
        }
    }

    /// `doNoScheduleTaintingPass`: NoSchedule taints follow the node's conditions and
    /// `spec.unschedulable`.
    fn no_schedule_pass(&mut self, node: &Node, ctx: &mut Ctx<'_>) {
        let mut wanted: Vec<&str> = Vec::new();
        for c in node
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
        {
            let key = match (c.type_.as_str(), c.status.as_str()) {
                ("Ready", "False") => NOT_READY,
                ("Ready", "Unknown") => UNREACHABLE,
                ("MemoryPressure", "True") => "node.kubernetes.io/memory-pressure",
                ("DiskPressure", "True") => "node.kubernetes.io/disk-pressure",
                ("NetworkUnavailable", "True") => "node.kubernetes.io/network-unavailable",
                ("PIDPressure", "True") => "node.kubernetes.io/pid-pressure",
                _ => continue,
            };
            wanted.push(key);
        }
        if node
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false)
        {
            wanted.push(UNSCHEDULABLE);
        }
        let existing: Vec<Taint> = taints(node)
            .into_iter()
            .filter(|t| t.effect == "NoSchedule" && is_controller_key(&t.key))
            .collect();
        let add: Vec<Taint> = wanted
            .iter()
            .filter(|k| !existing.iter().any(|t| t.key == **k))
            .map(|k| taint(k, "NoSchedule"))
            .collect();
        let remove: Vec<Taint> = existing
            .into_iter()
            .filter(|t| !wanted.contains(&t.key.as_str()))
            .collect();
        if add.is_empty() && remove.is_empty() {
            return;
        }
        let name = node.metadata.name.clone().unwrap_or_default();
        self.swap_taints(&name, add, &remove, ctx);
    }

    /// `SwapNodeControllerTaint`: adds taints (stamped `timeAdded`) and removes others.
    fn swap_taints(&mut self, name: &str, add: Vec<Taint>, remove: &[Taint], ctx: &mut Ctx<'_>) {
        let Some(Object::Node(mut node)) = ctx.get("Node", "", name).as_deref().cloned() else {
            return;
        };
        let stamp = ctx.now.to_k8s_time();
        let spec = node.spec.get_or_insert_with(Default::default);
        let mut list = spec.taints.take().unwrap_or_default();
        list.retain(|t| {
            !remove
                .iter()
                .any(|r| r.key == t.key && r.effect == t.effect)
        });
        for mut t in add {
            if list.iter().any(|x| x.key == t.key && x.effect == t.effect) {
                continue;
            }
            t.time_added = Some(stamp.clone());
            list.push(t);
        }
        spec.taints = if list.is_empty() { None } else { Some(list) };
        let detail = format!(
            "taints now [{}]",
            spec.taints
                .iter()
                .flatten()
                .map(|t| format!("{}:{}", t.key, t.effect))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if ctx.update(Object::Node(node)).is_ok() {
            ctx.trace(Stage::Controller, format!("Node/{name}"), detail);
        }
    }

    /// `MarkPodsNotReady`: every pod on the node with a Ready condition gets Ready=False and a
    /// `NodeNotReady` Warning.
    fn mark_pods_not_ready(&mut self, node: &str, ctx: &mut Ctx<'_>) {
        for live in ctx.pods_on_node(node) {
            let Object::Pod(pod) = &*live else {
                continue;
            };
            let ready_now = pod
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"));
            if ready_now.is_none_or(|c| c.status == "False") {
                continue;
            }
            // Only the status is copied, and sent as a status patch.
            let mut status = pod.status.clone().unwrap_or_default();
            let Some(ready) = status
                .conditions
                .as_mut()
                .and_then(|cs| cs.iter_mut().find(|c| c.type_ == "Ready"))
            else {
                continue;
            };
            ready.status = "False".into();
            ready.last_transition_time = Some(ctx.now.to_k8s_time());
            if let Ok(stored) = ctx.patch_pod_status(pod, status) {
                self.record(
                    ctx,
                    object_reference(&stored),
                    EventType::Warning,
                    "NodeNotReady",
                    "Node is not ready",
                );
            }
        }
    }

    fn record(
        &mut self,
        ctx: &mut Ctx<'_>,
        involved: k8s_openapi::api::core::v1::ObjectReference,
        type_: EventType,
        reason: &str,
        message: &str,
    ) {
        let write = self
            .recorder
            .record(ctx.now, involved, type_, reason, message);
        ctx.event(write);
    }
}

fn condition<'a>(node: &'a Node, type_: &str) -> Option<&'a NodeCondition> {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == type_))
}

fn condition_of(obj: &Object, type_: &str) -> Option<NodeCondition> {
    match obj {
        Object::Node(n) => condition(n, type_).cloned(),
        _ => None,
    }
}

fn taints(node: &Node) -> Vec<Taint> {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default()
}

fn taint(key: &str, effect: &str) -> Taint {
    Taint {
        key: key.into(),
        effect: effect.into(),
        ..Default::default()
    }
}

/// Whether a NoSchedule taint key is one the controller manages.
fn is_controller_key(key: &str) -> bool {
    matches!(
        key,
        NOT_READY
            | UNREACHABLE
            | UNSCHEDULABLE
            | "node.kubernetes.io/memory-pressure"
            | "node.kubernetes.io/disk-pressure"
            | "node.kubernetes.io/network-unavailable"
            | "node.kubernetes.io/pid-pressure"
    )
}

impl Default for NodeLifecycleController {
    fn default() -> Self {
        NodeLifecycleController::new()
    }
}

impl Component for NodeLifecycleController {
    fn name(&self) -> &str {
        "node-lifecycle-controller"
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        vec![WatchFilter::prefix("/registry/minions/")]
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        self.arm_monitor(ctx);
        if event.type_ == WatchEventType::Deleted {
            return;
        }
        if let Object::Node(node) = &*event.object {
            // Work from the latest stored node: a delivery may carry several versions.
            let latest = match ctx.get("Node", "", node.metadata.name.as_deref().unwrap_or("")) {
                Some(o) => match &*o {
                    Object::Node(n) => n.clone(),
                    _ => return,
                },
                None => return,
            };
            if latest.metadata.resource_version == node.metadata.resource_version {
                self.no_schedule_pass(&latest, ctx);
            }
        }
    }

    fn on_timer(&mut self, token: u64, ctx: &mut Ctx<'_>) {
        match token {
            TOKEN_MONITOR if self.monitor_due == Some(ctx.now) => {
                self.monitor_due = None;
                self.monitor(ctx);
                self.arm_monitor(ctx);
            }
            TOKEN_TAINT if self.taint_due == Some(ctx.now) => {
                self.taint_due = None;
                self.no_execute_pass(ctx);
            }
            _ => {}
        }
    }
}
