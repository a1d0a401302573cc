//! The kubelet's node heartbeats, as one component per node: the node Lease in
//! `kube-node-lease` renewed every 10 s (`0.25 × leaseDurationSeconds: 40`, the lease
//! controller's renew interval) and the Node status (MemoryPressure, DiskPressure, PIDPressure,
//! Ready) posted when it changed or every 5 min (`nodeStatusReportFrequency`). A restart after a
//! node failure records `Starting` / `Starting kubelet.`, `NodeAllocatableEnforced` and one
//! `Node <node> status is now: <Event>` per condition that flips back, as the kubelet's status
//! setters do; a cordon or uncordon is told at the next status sync with `NodeNotSchedulable` /
//! `NodeSchedulable`.

use std::sync::Arc;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Node, NodeCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::apiserver::{authn, UserInfo};
use crate::component::{Component, Ctx};
use crate::events::{node_reference, EventRecorder, EventType};
use crate::nodes::healthy_conditions;
use crate::object::Object;
use crate::sim::{SimDuration, SimTime};
use crate::store::{WatchEvent, WatchFilter};

/// The namespace node Leases live in.
pub const LEASE_NAMESPACE: &str = "kube-node-lease";
/// `leaseDurationSeconds` of a kubelet's Lease (the kubelet's `nodeLeaseDurationSeconds`).
pub const LEASE_DURATION_SECONDS: i32 = 40;
/// How often the Lease is renewed: 0.25 × the lease duration (`nodeLeaseRenewIntervalFraction`).
pub const RENEW_INTERVAL: SimDuration = SimDuration::secs(10);
/// How often the kubelet checks whether to post node status (`nodeStatusUpdateFrequency`).
pub const STATUS_UPDATE_FREQUENCY: SimDuration = SimDuration::secs(10);
/// How often the kubelet posts node status even when nothing changed
/// (`nodeStatusReportFrequency`).
pub const STATUS_REPORT_FREQUENCY: SimDuration = SimDuration::mins(5);

const TOKEN_TICK: u64 = 1;

/// The event each healthy condition's setter records when the condition flips to healthy.
const CONDITION_EVENTS: [(&str, &str); 4] = [
    ("MemoryPressure", "NodeHasSufficientMemory"),
    ("DiskPressure", "NodeHasNoDiskPressure"),
    ("PIDPressure", "NodeHasSufficientPID"),
    ("Ready", "NodeReady"),
];

/// One node's kubelet, as far as heartbeats go: its Lease and its Node status.
#[derive(Debug)]
pub struct NodeHeartbeat {
    node: String,
    name: String,
    user: UserInfo,
    recorder: EventRecorder,
    last_report: SimTime,
    last_unschedulable: bool,
    started: bool,
    tick_due: Option<SimTime>,
}

impl NodeHeartbeat {
    /// The heartbeat of `node`'s kubelet, which last reported the node's status at `now` (the
    /// node was registered healthy then).
    pub fn new(node: &str, now: SimTime) -> NodeHeartbeat {
        NodeHeartbeat {
            node: node.to_string(),
            name: format!("kubelet/{node}"),
            user: authn::node(node),
            recorder: EventRecorder::new("kubelet", node),
            last_report: now,
            last_unschedulable: false,
            started: false,
            tick_due: None,
        }
    }

    /// The Lease a kubelet holds for `node`, renewed at `now`, owned by the Node.
    pub fn lease(node: &Node, now: SimTime) -> Lease {
        let name = node.metadata.name.clone().unwrap_or_default();
        Lease {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(LEASE_NAMESPACE.into()),
                owner_references: Some(vec![OwnerReference {
                    api_version: "v1".into(),
                    kind: "Node".into(),
                    name: name.clone(),
                    uid: node.metadata.uid.clone().unwrap_or_default(),
                    ..Default::default()
                }]),
                ..Default::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(name),
                lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
                renew_time: Some(now.to_k8s_micro_time()),
                ..Default::default()
            }),
        }
    }

    fn arm(&mut self, ctx: &mut Ctx<'_>) {
        self.arm_at(ctx, ctx.now.plus(RENEW_INTERVAL));
    }

    fn arm_at(&mut self, ctx: &mut Ctx<'_>, at: SimTime) {
        if self.tick_due.is_some_and(|due| due <= at && due > ctx.now) {
            return;
        }
        self.tick_due = Some(at);
        ctx.after(at.since(ctx.now), TOKEN_TICK);
    }

    /// Renews the Lease (creating it when it is missing), as the lease controller's `sync`.
    fn renew(&mut self, ctx: &mut Ctx<'_>) {
        let Some(node) = self.own_node(ctx) else {
            return;
        };
        match ctx.get("Lease", LEASE_NAMESPACE, &self.node).as_deref() {
            Some(Object::Lease(live)) => {
                let mut lease = live.clone();
                let spec = lease.spec.get_or_insert_with(Default::default);
                spec.holder_identity = Some(self.node.clone());
                spec.lease_duration_seconds = Some(LEASE_DURATION_SECONDS);
                spec.renew_time = Some(ctx.now.to_k8s_micro_time());
                let _ = ctx.update(Object::Lease(lease));
            }
            _ => {
                let _ = ctx.create(Object::from(NodeHeartbeat::lease(&node, ctx.now)));
            }
        }
    }

    fn own_node(&self, ctx: &Ctx<'_>) -> Option<Node> {
        match ctx.get("Node", "", &self.node).as_deref() {
            Some(Object::Node(n)) => Some((**n).clone()),
            _ => None,
        }
    }

    /// `syncNodeStatus`: posts the status when a condition changed or the report is due.
    fn sync_status(&mut self, ctx: &mut Ctx<'_>) {
        let Some(node) = self.own_node(ctx) else {
            return;
        };
        let current = node
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        let (conditions, mut flipped) = next_conditions(&current, ctx.now);
        // `recordNodeSchedulableEvent`, the last status setter: cordon and uncordon.
        let unschedulable = node
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false);
        let schedulable_event = (unschedulable != self.last_unschedulable).then(|| {
            self.last_unschedulable = unschedulable;
            if unschedulable {
                "NodeNotSchedulable"
            } else {
                "NodeSchedulable"
            }
        });
        let due = ctx.now.since(self.last_report) >= STATUS_REPORT_FREQUENCY;
        if flipped.is_empty() && !due {
            if let Some(event) = schedulable_event {
                self.node_event(
                    ctx,
                    event,
                    &format!("Node {} status is now: {event}", self.node),
                );
            }
            return;
        }
        flipped.extend(schedulable_event);
        let mut updated = node.clone();
        updated
            .status
            .get_or_insert_with(Default::default)
            .conditions = Some(conditions);
        if ctx.update_status(Object::from(updated)).is_ok() {
            self.last_report = ctx.now;
            for event in flipped {
                self.node_event(
                    ctx,
                    event,
                    &format!("Node {} status is now: {event}", self.node),
                );
            }
        }
    }

    fn node_event(&mut self, ctx: &mut Ctx<'_>, reason: &str, message: &str) {
        let write = self.recorder.record(
            ctx.now,
            node_reference(&self.node),
            EventType::Normal,
            reason,
            message,
        );
        ctx.event(write);
    }
}

/// The conditions the kubelet posts at `now` given the stored ones: every condition healthy,
/// heartbeat `now`, transition time kept unless its status changes. Also the events of the
/// conditions that flipped to healthy, in the setters' order.
fn next_conditions(
    current: &[NodeCondition],
    now: SimTime,
) -> (Vec<NodeCondition>, Vec<&'static str>) {
    let mut flipped = Vec::new();
    let conditions = healthy_conditions(now)
        .into_iter()
        .map(|mut c| {
            match current.iter().find(|old| old.type_ == c.type_) {
                Some(old) if old.status == c.status => {
                    c.last_transition_time = old.last_transition_time.clone();
                }
                _ => {
                    if let Some((_, event)) = CONDITION_EVENTS.iter().find(|(t, _)| *t == c.type_) {
                        flipped.push(*event);
                    }
                }
            }
            c
        })
        .collect();
    (conditions, flipped)
}

impl Component for NodeHeartbeat {
    fn name(&self) -> &str {
        &self.name
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        vec![WatchFilter::prefix(format!(
            "/registry/minions/{}",
            self.node
        ))]
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        let ours = event.object.meta().name.as_deref() == Some(self.node.as_str());
        if ours && !self.started {
            if let Object::Node(n) = &*event.object {
                self.last_unschedulable = n
                    .spec
                    .as_ref()
                    .and_then(|s| s.unschedulable)
                    .unwrap_or(false);
            }
            // The kubelet was already running when the simulation began (its Lease renewed at
            // t=0): keep beating on the same 10 s rhythm.
            self.started = true;
            let period = RENEW_INTERVAL.as_millis();
            let next = SimTime((ctx.now.0 / period + 1) * period);
            self.arm_at(ctx, next);
        }
    }

    fn on_timer(&mut self, token: u64, ctx: &mut Ctx<'_>) {
        if token != TOKEN_TICK || self.tick_due != Some(ctx.now) {
            return;
        }
        self.tick_due = None;
        self.renew(ctx);
        self.sync_status(ctx);
        self.arm(ctx);
    }

    fn node(&self) -> Option<&str> {
        Some(&self.node)
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_>) {
        // A new process: it has not seen its node schedulable or not yet.
        self.last_unschedulable = false;
        self.started = true;
        self.tick_due = None;
        self.node_event(ctx, "Starting", "Starting kubelet.");
        self.node_event(
            ctx,
            "NodeAllocatableEnforced",
            "Updated Node Allocatable limit across pods",
        );
        self.renew(ctx);
        self.sync_status(ctx);
        self.arm(ctx);
    }
}

/// The Lease objects of `nodes`, as their running kubelets hold them at `now`.
pub fn leases(nodes: &[Arc<Object>], now: SimTime) -> Vec<Lease> {
    nodes
        .iter()
        .filter_map(|o| match &**o {
            Object::Node(n) => Some(NodeHeartbeat::lease(n, now)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn unknown_at(t: SimTime) -> Vec<NodeCondition> {
        healthy_conditions(SimTime::ZERO)
            .into_iter()
            .map(|mut c| {
                c.status = "Unknown".into();
                c.reason = Some("NodeStatusUnknown".into());
                c.last_transition_time = Some(t.to_k8s_time());
                c
            })
            .collect()
    }

    #[test]
    fn a_kubelet_back_from_unknown_flips_every_condition_and_says_so_in_setter_order() {
        let now = SimTime(180_000);
        let (conditions, flipped) = next_conditions(&unknown_at(SimTime(105_000)), now);
        assert_eq!(
            flipped,
            [
                "NodeHasSufficientMemory",
                "NodeHasNoDiskPressure",
                "NodeHasSufficientPID",
                "NodeReady"
            ]
        );
        let ready = &conditions[3];
        assert_eq!(
            (
                ready.type_.as_str(),
                ready.status.as_str(),
                ready.reason.as_deref()
            ),
            ("Ready", "True", Some("KubeletReady"))
        );
        assert_eq!(ready.last_transition_time, Some(now.to_k8s_time()));
    }

    #[test]
    fn a_routine_report_keeps_transition_times_and_refreshes_heartbeats() {
        let now = SimTime(300_000);
        let (conditions, flipped) = next_conditions(&healthy_conditions(SimTime::ZERO), now);
        assert!(flipped.is_empty());
        for c in &conditions {
            assert_eq!(c.last_transition_time, Some(SimTime::ZERO.to_k8s_time()));
            assert_eq!(c.last_heartbeat_time, Some(now.to_k8s_time()));
        }
    }
}
