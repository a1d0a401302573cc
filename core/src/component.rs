//! Components — the scheduler, kubelets, controllers — as plain structs with two entry points,
//! *a watch event arrived* and *a timer fired*, and a context that is their only way to act: an
//! API client carrying their identity, timers, the seeded RNG and the flow trace. Nothing reaches
//! into another component's state; everything goes through the API server and its store.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Pod, PodStatus};

use crate::apiserver::server::{ApiServer, Outcome, Propagation, Target};
use crate::apiserver::{ApiError, Lookup, UserInfo, Verb};
use crate::events::EventWrite;
use crate::object::Object;
use crate::scheduler::decision::Decision;
use crate::sim::{SimDuration, SimRng, SimTime};
use crate::store::{Change, FeedId, WatchEvent, WatchFilter};
use crate::trace::{Stage, Trace, TraceObject, TraceStep};

/// A control-plane or node component driven by the simulation.
pub trait Component: std::fmt::Debug {
    /// The name trace steps and store history carry, e.g. `kube-scheduler`, `kubelet/node-1`.
    fn name(&self) -> &str;
    /// The identity its requests authenticate as.
    fn user(&self) -> &UserInfo;
    /// What it lists and watches, from the moment it starts.
    fn watches(&self) -> Vec<WatchFilter>;
    /// A watch event arrived (events of one delivery come in revision order).
    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>);
    /// A timer it set with [`Ctx::after`] fired.
    fn on_timer(&mut self, token: u64, ctx: &mut Ctx<'_>);
    /// The node a node agent (a kubelet) runs on; `None` for control-plane components. While
    /// that node is failed, the agent gets no watch events and no timers (its process is gone).
    fn node(&self) -> Option<&str> {
        None
    }
    /// The agent's node recovered: the process starts again, relists what it watches and
    /// re-arms its timers (e.g. the node Lease heartbeat). Pending watch events follow.
    fn on_restart(&mut self, _ctx: &mut Ctx<'_>) {}
    /// The scheduler's record of its latest attempt to schedule the pod `namespace/name`, for
    /// the UI; other components keep none.
    fn scheduling_decision(&self, _pod: &str) -> Option<&Decision> {
        None
    }
    /// A kubelet's log of container `container` of the pod with `uid` (the current or last
    /// container, or the one before it with `previous`), as the container runtime keeps it;
    /// other components keep none.
    fn container_logs(&self, _uid: &str, _container: &str, _previous: bool) -> Option<Vec<String>> {
        None
    }
}

/// What a component may use while handling one event or timer.
pub struct Ctx<'a> {
    /// The current virtual time.
    pub now: SimTime,
    /// The one seeded RNG.
    pub rng: &'a mut SimRng,
    api: &'a mut ApiServer,
    trace: &'a mut Trace,
    /// The component's name, shared by its trace steps.
    name: Arc<str>,
    user: &'a UserInfo,
    timers: Vec<(SimDuration, u64)>,
    /// The component cannot reach the API server (its node is partitioned): every write fails.
    offline: bool,
}

impl<'a> Ctx<'a> {
    /// A context for the component `name` acting as `user`.
    pub fn new(
        now: SimTime,
        rng: &'a mut SimRng,
        api: &'a mut ApiServer,
        trace: &'a mut Trace,
        name: impl Into<Arc<str>>,
        user: &'a UserInfo,
    ) -> Ctx<'a> {
        Ctx {
            now,
            rng,
            api,
            trace,
            name: name.into(),
            user,
            timers: Vec::new(),
            offline: false,
        }
    }

    /// Cuts the component off from the API server: every write fails as a request that never
    /// got an answer (a network partition), reads still see its informer caches.
    pub fn go_offline(&mut self) {
        self.offline = true;
    }

    /// The error every write gets while offline.
    fn unreachable(&self) -> Result<Arc<Object>, ApiError> {
        Err(ApiError::new(
            crate::apiserver::Reason::Timeout,
            "dial tcp 10.0.0.1:6443: i/o timeout",
        ))
    }

    /// The timers the component asked for, as (delay, token).
    pub fn into_timers(self) -> Vec<(SimDuration, u64)> {
        self.timers
    }

    /// Asks for [`Component::on_timer`] with `token` after `delay`.
    pub fn after(&mut self, delay: SimDuration, token: u64) {
        self.timers.push((delay, token));
    }

    /// Records a flow step by this component.
    pub fn trace(&mut self, stage: Stage, object: impl TraceObject, detail: impl Into<String>) {
        self.trace.push(TraceStep {
            time: self.now,
            component: Arc::clone(&self.name),
            stage,
            object: object.into_object(),
            detail: detail.into(),
        });
    }

    fn record(&mut self, outcome: Outcome) -> Result<Arc<Object>, ApiError> {
        debug_assert!(
            !self.offline,
            "an offline component's write reached the API server"
        );
        for mut step in outcome.trace {
            step.time = self.now;
            self.trace.push(step);
        }
        outcome.result
    }

    /// Reads a stored object (an informer cache lookup).
    pub fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<Arc<Object>> {
        self.api.lookup().get(kind, namespace, name)
    }

    /// Lists stored objects of a kind (in one namespace or all).
    pub fn list(&self, kind: &str, namespace: Option<&str>) -> Vec<Arc<Object>> {
        self.api.lookup().list(kind, namespace)
    }

    /// The pods bound to `node`, sorted by key, from the store's index by `spec.nodeName` (an
    /// informer's `nodeName` indexer) rather than a scan of every pod.
    pub fn pods_on_node(&self, node: &str) -> Vec<Arc<Object>> {
        self.api
            .store
            .list_filtered(&WatchFilter::pods_on_node(node))
            .items
    }

    /// Reads a stored object by its etcd key.
    pub fn get_by_key(&self, key: &str) -> Option<Arc<Object>> {
        self.api.store.get(key).cloned()
    }

    /// The store's current revision.
    pub fn revision(&self) -> i64 {
        self.api.store.revision()
    }

    /// Opens a feed of every store change from now on under any of `prefixes` (see
    /// [`crate::store::Store::open_feed`]): an informer whose handlers must see each change.
    pub fn open_feed(&mut self, prefixes: Vec<String>) -> FeedId {
        self.api.store.open_feed(prefixes)
    }

    /// Takes the oldest `max` changes feed `id` received that its reader has not taken.
    pub fn read_feed(&mut self, id: FeedId, max: usize) -> Vec<Change> {
        self.api.store.read_feed(id, max)
    }

    /// How many changes wait in feed `id`.
    pub fn feed_len(&self, id: FeedId) -> usize {
        self.api.store.feed_len(id)
    }

    /// `POST`s an object through the whole pipeline.
    pub fn create(&mut self, obj: Object) -> Result<Arc<Object>, ApiError> {
        if self.offline {
            return self.unreachable();
        }
        let outcome = self
            .api
            .create(self.user, obj, self.now, self.rng, &self.name);
        self.record(outcome)
    }

    /// `PUT`s an object (optimistic concurrency on its resourceVersion).
    pub fn update(&mut self, obj: Object) -> Result<Arc<Object>, ApiError> {
        if self.offline {
            return self.unreachable();
        }
        let outcome = self
            .api
            .update(self.user, Verb::Update, obj, self.now, self.rng, &self.name);
        self.record(outcome)
    }

    /// `PATCH`es an object (sent whole; RBAC sees the `patch` verb), as controllers adopt and
    /// release pods.
    pub fn patch(&mut self, obj: Object) -> Result<Arc<Object>, ApiError> {
        if self.offline {
            return self.unreachable();
        }
        let outcome = self
            .api
            .update(self.user, Verb::Patch, obj, self.now, self.rng, &self.name);
        self.record(outcome)
    }

    /// `PUT`s an object's `status` subresource.
    pub fn update_status(&mut self, obj: Object) -> Result<Arc<Object>, ApiError> {
        if self.offline {
            return self.unreachable();
        }
        let outcome = self.api.update_status(self.user, obj, self.now, &self.name);
        self.record(outcome)
    }

    /// `PATCH`es a pod's status subresource: `status` replaces that of `stored`, the pod as last
    /// read, if it is still at that `resourceVersion`.
    pub fn patch_pod_status(
        &mut self,
        stored: &Pod,
        status: PodStatus,
    ) -> Result<Arc<Object>, ApiError> {
        if self.offline {
            return self.unreachable();
        }
        let outcome = self
            .api
            .patch_pod_status(self.user, stored, status, self.now, &self.name);
        self.record(outcome)
    }

    /// `POST`s a Binding: assigns a pod to a node.
    pub fn bind(
        &mut self,
        namespace: &str,
        pod: &str,
        node: &str,
    ) -> Result<Arc<Object>, ApiError> {
        if self.offline {
            return self.unreachable();
        }
        let outcome = self
            .api
            .bind(self.user, namespace, pod, node, self.now, &self.name);
        self.record(outcome)
    }

    /// `PUT`s a namespace's `finalize` subresource with the given `spec.finalizers`.
    pub fn finalize_namespace(
        &mut self,
        name: &str,
        finalizers: Vec<String>,
    ) -> Result<Arc<Object>, ApiError> {
        if self.offline {
            return self.unreachable();
        }
        let outcome = self
            .api
            .finalize_namespace(self.user, name, finalizers, self.now, &self.name);
        self.record(outcome)
    }

    /// `DELETE`s an object, gracefully for running pods unless `grace_seconds` is `Some(0)`.
    pub fn delete(
        &mut self,
        target: Target<'_>,
        grace_seconds: Option<i64>,
    ) -> Result<Arc<Object>, ApiError> {
        if self.offline {
            return self.unreachable();
        }
        let outcome = self
            .api
            .delete(self.user, target, grace_seconds, self.now, &self.name);
        self.record(outcome)
    }

    /// `DELETE`s an object with a `propagationPolicy` (the garbage collector's deletes).
    pub fn delete_propagating(
        &mut self,
        target: Target<'_>,
        propagation: Propagation,
    ) -> Result<Arc<Object>, ApiError> {
        if self.offline {
            return self.unreachable();
        }
        let outcome = self.api.delete_with_propagation(
            self.user,
            target,
            None,
            Some(propagation),
            self.now,
            &self.name,
        );
        self.record(outcome)
    }

    /// Writes an Event from this component's recorder (`None`, the spam filter's verdict, writes
    /// nothing): a new Event is created, a repeat updates the stored one, falling back to a
    /// create when it has gone.
    pub fn event(&mut self, write: Option<EventWrite>) -> Option<Result<Arc<Object>, ApiError>> {
        let write = write?;
        let mut event = match write {
            EventWrite::Create(e) => return Some(self.create(Object::from(e))),
            EventWrite::Update(e) => e,
        };
        let live = self.get(
            "Event",
            event.metadata.namespace.as_deref().unwrap_or_default(),
            event.metadata.name.as_deref().unwrap_or_default(),
        );
        Some(match live {
            Some(live) => {
                event.metadata.resource_version = live.meta().resource_version.clone();
                self.update(Object::from(event))
            }
            None => self.create(Object::from(event)),
        })
    }
}
