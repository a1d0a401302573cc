//! The kubelet of one node as a component: it watches the pods bound to its node, runs a
//! [`PodWorker`] per pod on timers, records the workers' events as the `kubelet` source of its
//! node, writes each pod's status through the API server when the visible status changes (the
//! status manager), and deletes a gracefully deleted pod once its containers have stopped.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ContainerImage, Node, Pod};

use crate::apiserver::authn;
use crate::apiserver::server::Target;
use crate::apiserver::UserInfo;
use crate::component::{Component, Ctx};
use crate::events::{container_reference, object_reference, EventRecorder};
use crate::hash_index::HashIndex;
use crate::kubelet::admission::admit;
use crate::kubelet::backoff::Backoff;
use crate::kubelet::images::ImageManager;
use crate::kubelet::pod_worker::{NodeEnv, PodWorker, Stage};
use crate::kubelet::sandbox::{image_digest, IpAllocator};
use crate::kubelet::timing::{Step, Timings};
use crate::kubelet::volumes::MountLayers;
use crate::object::{kind_info, Object, PodRef};
use crate::runtime::catalog::{parse_reference, Catalog};
use crate::scheduler::framework::Resource;
use crate::sim::{SimDuration, SimTime};
use crate::store::{WatchEvent, WatchEventType, WatchFilter};
use crate::trace::Stage as TraceStage;

/// The kubelet on one node.
#[derive(Debug)]
pub struct Kubelet {
    node: String,
    name: String,
    user: UserInfo,
    recorder: EventRecorder,
    catalog: Catalog,
    timings: Timings,
    images: ImageManager,
    crash: Backoff,
    ips: Option<IpAllocator>,
    /// The lower layers of its containers' mounts, shared between containers that mount the
    /// same files.
    layers: MountLayers,
    workers: BTreeMap<String, Box<PodWorker>>,
    /// Each pod worker's timer token, and the pod UID of each token: looked up only, at every
    /// sync and timer.
    tokens: HashIndex<u64, String>,
    token_of: HashIndex<String, u64>,
    next_token: u64,
    /// The image manager's generation last written to the node's `status.images`.
    posted_images: u64,
    /// Whether a node status sync for a changed image list is pending.
    image_sync_armed: bool,
}

/// The timer token of the node status sync that reports the image list.
const IMAGE_SYNC: u64 = u64::MAX;
/// `nodeStatusUpdateFrequency`: the kubelet computes its node status every 10 s.
const NODE_STATUS_UPDATE: SimDuration = SimDuration::secs(10);
/// `nodeStatusMaxImages`: at most 50 images are reported, the largest first.
const NODE_STATUS_MAX_IMAGES: usize = 50;

/// Sets `w`'s timer (`token`) for `at`, unless it is already set for then.
fn arm_worker(w: &mut PodWorker, token: u64, at: SimTime, ctx: &mut Ctx<'_>) {
    if w.armed.insert(at) {
        ctx.after(at.since(ctx.now), token);
    }
}

impl Kubelet {
    /// The kubelet of `node`, with the image catalog and timing table it uses.
    pub fn new(node: &str, catalog: Catalog, timings: Timings) -> Kubelet {
        Kubelet {
            node: node.to_string(),
            name: format!("kubelet/{node}"),
            user: authn::node(node),
            recorder: EventRecorder::new("kubelet", node),
            catalog,
            timings,
            images: ImageManager::new(),
            crash: Backoff::default(),
            ips: None,
            layers: MountLayers::default(),
            workers: BTreeMap::new(),
            tokens: HashIndex::default(),
            token_of: HashIndex::default(),
            next_token: 1,
            posted_images: 0,
            image_sync_armed: false,
        }
    }

    /// When the images on the node changed, the next node status sync (on the 10 s grid)
    /// reports them.
    fn arm_image_sync(&mut self, ctx: &mut Ctx<'_>) {
        if self.image_sync_armed || self.images.generation() == self.posted_images {
            return;
        }
        let period = NODE_STATUS_UPDATE.0;
        let next = (ctx.now.0 / period + 1) * period;
        self.image_sync_armed = true;
        ctx.after(SimTime(next).since(ctx.now), IMAGE_SYNC);
    }

    /// Writes `status.images` as containerd reports them: each image by digest and by tag,
    /// largest first, at most 50 (upstream `nodeStatusMaxImages`).
    fn sync_images(&mut self, ctx: &mut Ctx<'_>) {
        self.image_sync_armed = false;
        let generation = self.images.generation();
        let images = self.images.images();
        let Some(mut node) = self.node_object(ctx) else {
            return;
        };
        let mut listed: Vec<ContainerImage> = images
            .iter()
            .map(|(reference, size)| {
                let repo = parse_reference(reference)
                    .map(|r| r.repository())
                    .unwrap_or_else(|_| reference.clone());
                ContainerImage {
                    names: Some(vec![
                        format!("{repo}@{}", image_digest(&repo)),
                        reference.clone(),
                    ]),
                    size_bytes: i64::try_from(*size).ok(),
                }
            })
            .collect();
        listed.sort_by_key(|i| std::cmp::Reverse(i.size_bytes));
        listed.truncate(NODE_STATUS_MAX_IMAGES);
        node.status.get_or_insert_with(Default::default).images = Some(listed);
        if ctx.update_status(Object::from(node)).is_ok() {
            self.posted_images = generation;
        } else {
            self.arm_image_sync(ctx);
        }
    }

    /// The node it runs on.
    pub fn node_name(&self) -> &str {
        &self.node
    }

    /// The images present on its node, with sizes.
    pub fn images(&self) -> Vec<(String, u64)> {
        self.images.images()
    }

    fn node_object(&self, ctx: &Ctx<'_>) -> Option<Node> {
        match ctx.get("Node", "", &self.node).as_deref() {
            Some(Object::Node(n)) => Some((**n).clone()),
            _ => None,
        }
    }

    fn host_ip(node: Option<&Node>) -> Option<String> {
        node.and_then(|n| n.status.as_ref())
            .and_then(|s| s.addresses.as_ref())
            .and_then(|a| a.iter().find(|a| a.type_ == "InternalIP"))
            .map(|a| a.address.clone())
    }

    fn token(&mut self, uid: &str) -> u64 {
        if let Some(t) = self.token_of.get(uid) {
            return *t;
        }
        let t = self.next_token;
        self.next_token += 1;
        self.tokens.insert(t, uid.to_string());
        self.token_of.insert(uid.to_string(), t);
        t
    }

    fn arm(&mut self, uid: &str, at: SimTime, ctx: &mut Ctx<'_>) {
        let token = self.token(uid);
        if let Some(w) = self.workers.get_mut(uid) {
            arm_worker(w, token, at, ctx);
        }
    }

    fn forget(&mut self, uid: &str) {
        if let Some(w) = self.workers.remove(uid) {
            if let (Some(ip), Some(ips)) = (&w.pod_ip, self.ips.as_mut()) {
                ips.release(ip);
            }
        }
        if let Some(t) = self.token_of.remove(uid) {
            self.tokens.remove(&t);
        }
        self.recorder.forget_object(uid);
        self.crash.forget_pod(uid);
    }

    fn on_pod(&mut self, type_: WatchEventType, object: &Arc<Object>, ctx: &mut Ctx<'_>) {
        let Some(pod) = PodRef::from_object(object) else {
            return;
        };
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        if type_ == WatchEventType::Deleted {
            self.forget(&uid);
            return;
        }
        match self.workers.get_mut(&uid) {
            Some(w) => {
                w.set_pod(pod.clone());
                if w.pod().metadata.deletion_timestamp.is_some()
                    && !matches!(w.stage, Stage::Terminating | Stage::Finished)
                {
                    self.sync(&uid, ctx);
                }
            }
            None => {
                let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
                if matches!(phase, Some("Succeeded" | "Failed")) {
                    return;
                }
                if pod.metadata.deletion_timestamp.is_some() {
                    // Never started here: nothing to stop.
                    self.delete_pod(&pod, ctx);
                    return;
                }
                let at = ctx.now.plus(self.timings.sample(Step::Admit, ctx.rng));
                self.workers
                    .insert(uid.clone(), Box::new(PodWorker::new(pod, at)));
                self.arm(&uid, at, ctx);
            }
        }
    }

    fn delete_pod(&mut self, pod: &Pod, ctx: &mut Ctx<'_>) {
        let Some(info) = kind_info("Pod") else {
            return;
        };
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let _ = ctx.delete(
            Target {
                info,
                namespace: &ns,
                name: &name,
            },
            Some(0),
        );
    }

    /// Runs the pod's worker for everything due now, then records, writes and re-arms.
    fn sync(&mut self, uid: &str, ctx: &mut Ctx<'_>) {
        // Taken out while it works (its key with it, to go back without a copy).
        let Some((key, mut w)) = self.workers.remove_entry(uid) else {
            return;
        };
        let now = ctx.now;
        w.armed.retain(|t| *t > now);
        // The node object is read in place, not copied: it carries every image the node holds.
        let node_object = ctx.get("Node", "", &self.node);
        let node = match node_object.as_deref() {
            Some(Object::Node(n)) => Some(&**n),
            _ => None,
        };
        let host_ip = Kubelet::host_ip(node);
        if w.admission_due(now) {
            let others: Vec<&Resource> = self
                .workers
                .values()
                .filter(|o| o.holds_resources())
                .map(|o| &o.requests)
                .collect();
            let verdict = match node {
                Some(n) => admit(w.pod(), &w.requests, n, &others),
                None => Ok(()),
            };
            let object = pod_object(w.pod());
            match verdict {
                Ok(()) => {
                    ctx.trace(TraceStage::Kubelet, &object, "admitted; mounting volumes");
                    w.admitted(now, &self.timings, ctx)
                }
                Err(r) => {
                    ctx.trace(
                        TraceStage::Kubelet,
                        &object,
                        format!("rejected: {}: {}", r.reason, r.message),
                    );
                    w.reject(r)
                }
            }
        }
        if w.pod().metadata.deletion_timestamp.is_some() {
            w.terminate(now, &self.timings, ctx);
        }
        if self.ips.is_none() {
            let cidr = node
                .and_then(|n| n.spec.as_ref())
                .and_then(|s| s.pod_cidr.clone())
                .unwrap_or_default();
            self.ips = Some(IpAllocator::new(&cidr));
        }
        let mut ips = self.ips.take().unwrap_or_default();
        {
            let mut env = NodeEnv {
                host_ip: host_ip.as_deref(),
                images: &mut self.images,
                catalog: &self.catalog,
                timings: &self.timings,
                crash: &mut self.crash,
                ips: &mut ips,
                layers: &mut self.layers,
            };
            w.step(now, ctx, &mut env);
        }
        self.ips = Some(ips);
        // The stored pod, read once for the Events and the status write: recording Events
        // writes only Events, so it is the same object for both.
        let stored = ctx.get(
            "Pod",
            w.pod().metadata.namespace.as_deref().unwrap_or(""),
            w.pod().metadata.name.as_deref().unwrap_or(""),
        );
        self.record(&mut w, stored.as_ref(), ctx);
        let finished = w.stage == Stage::Finished;
        self.write_status(&mut w, stored.as_deref(), host_ip.as_deref(), ctx);
        if finished {
            let pod = w.pod().clone();
            self.workers.insert(key, w);
            self.delete_pod(&pod, ctx);
            return;
        }
        // Re-armed before it goes back, rather than found again by `arm`.
        if let Some(at) = w.next_wake(now) {
            let token = self.token(uid);
            arm_worker(&mut w, token, at, ctx);
        }
        self.workers.insert(key, w);
    }

    fn record(&mut self, w: &mut PodWorker, stored: Option<&Arc<Object>>, ctx: &mut Ctx<'_>) {
        if w.events.is_empty() {
            return;
        }
        // The stored pod (else the worker's), shared rather than copied.
        let live: PodRef = stored
            .and_then(PodRef::from_object)
            .unwrap_or_else(|| w.pod().clone());
        let object = pod_object(&live);
        for e in std::mem::take(&mut w.events) {
            let stage = match e.reason.as_str() {
                "Unhealthy" | "ProbeWarning" => TraceStage::Probe,
                "Pulling" | "Pulled" | "Created" | "Started" | "Killing" | "BackOff" | "Failed"
                | "InspectFailed" | "ErrImageNeverPull" => TraceStage::Runtime,
                _ => TraceStage::Kubelet,
            };
            let detail = match &e.container {
                Some(c) => [c, ": ", &e.reason, " ", e.message.trim_end()].concat(),
                None => [&e.reason, " ", e.message.trim_end()].concat(),
            };
            ctx.trace(stage, &object, detail);
            let involved = match &e.container {
                Some(c) => container_reference(&live, c),
                None => object_reference(live.object()),
            };
            let write = self
                .recorder
                .record(ctx.now, involved, e.type_, &e.reason, &e.message);
            ctx.event(write);
        }
    }

    /// The status manager: one write when the generated status differs from the stored one.
    fn write_status(
        &mut self,
        w: &mut PodWorker,
        stored: Option<&Object>,
        host_ip: Option<&str>,
        ctx: &mut Ctx<'_>,
    ) {
        let Some(Object::Pod(current)) = stored else {
            return;
        };
        if current.metadata.uid != w.pod().metadata.uid {
            return;
        }
        if matches!(w.stage, Stage::Admitting { .. }) {
            return;
        }
        let status = w.status(current, host_ip, ctx.now);
        if current.status.as_ref() == Some(&status) {
            return;
        }
        let phase = status.phase.clone().unwrap_or_default();
        // "status manager: phase Running, Initialized=True, Ready=True, …, podIP 10.244.1.5",
        // built in one string (a status write per pod state change).
        let mut detail = String::with_capacity(160);
        detail.push_str("status manager: phase ");
        detail.push_str(&phase);
        detail.push_str(", ");
        let shown = status.conditions.iter().flatten();
        for (i, c) in shown.filter(|c| c.type_ != "PodScheduled").enumerate() {
            if i > 0 {
                detail.push_str(", ");
            }
            detail.push_str(&c.type_);
            detail.push('=');
            detail.push_str(&c.status);
        }
        if let Some(ip) = status.pod_ip.as_deref() {
            detail.push_str(", podIP ");
            detail.push_str(ip);
        }
        let object = pod_object(w.pod());
        ctx.trace(TraceStage::Kubelet, &object, detail);
        match ctx.patch_pod_status(current, status) {
            Ok(stored) => {
                if let Some(p) = PodRef::from_object(&stored) {
                    w.set_pod(p);
                }
            }
            Err(e) => ctx.trace(
                TraceStage::Kubelet,
                object,
                format!("status update failed ({phase}): {}", e.message),
            ),
        }
    }
}

impl Component for Kubelet {
    fn name(&self) -> &str {
        &self.name
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        vec![WatchFilter::pods_on_node(self.node.clone())]
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        self.on_pod(event.type_, &event.object, ctx);
        self.arm_image_sync(ctx);
    }

    fn on_timer(&mut self, token: u64, ctx: &mut Ctx<'_>) {
        if token == IMAGE_SYNC {
            self.sync_images(ctx);
            return;
        }
        if let Some(uid) = self.tokens.get(&token).cloned() {
            self.sync(&uid, ctx);
        }
        self.arm_image_sync(ctx);
    }

    fn node(&self) -> Option<&str> {
        Some(&self.node)
    }

    fn container_logs(&self, uid: &str, container: &str, previous: bool) -> Option<Vec<String>> {
        let w = self.workers.get(uid)?;
        let c = w
            .regular
            .iter()
            .chain(w.inits.iter())
            .find(|c| c.spec.name == container)?;
        let lines = if previous {
            &c.previous_logs[..]
        } else {
            c.current_logs()
        };
        Some(lines.iter().map(|l| l.text.clone()).collect())
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_>) {
        // Its pods, from the store's index by `spec.nodeName` (the kubelet's own field-selected
        // list), not a scan of every pod in the cluster.
        let listed: BTreeMap<String, Arc<Object>> = ctx
            .pods_on_node(&self.node)
            .into_iter()
            .filter_map(|o| match &*o {
                Object::Pod(p) => {
                    Some((p.metadata.uid.clone().unwrap_or_default(), Arc::clone(&o)))
                }
                _ => None,
            })
            .collect();
        let gone: Vec<String> = self
            .workers
            .keys()
            .filter(|uid| !listed.contains_key(*uid))
            .cloned()
            .collect();
        for uid in gone {
            self.forget(&uid);
        }
        for w in self.workers.values_mut() {
            w.armed.clear();
        }
        // The image sync timer died with the process.
        self.image_sync_armed = false;
        self.arm_image_sync(ctx);
        for (uid, pod) in listed {
            if let (Some(w), Some(pod)) = (self.workers.get_mut(&uid), PodRef::from_object(&pod)) {
                w.set_pod(pod);
                let now = ctx.now;
                self.arm(&uid, now, ctx);
            } else {
                self.on_pod(WatchEventType::Added, &pod, ctx);
            }
        }
    }
}

/// `Pod/<namespace>/<name>`, shared by the trace steps of one sync.
fn pod_object(pod: &Pod) -> Arc<str> {
    [
        "Pod/",
        pod.metadata.namespace.as_deref().unwrap_or(""),
        "/",
        pod.metadata.name.as_deref().unwrap_or(""),
    ]
    .concat()
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::server::ApiServer;
    use crate::nodes::NodePool;
    use crate::sim::{SimDuration, SimRng};
    use crate::trace::Trace;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn pod(name: &str, node: &str) -> Object {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx:1.14.2"}]}
        }))
        .unwrap_or_default();
        Object::from(pod)
    }

    /// Runs `work` on the kubelet with a fresh context at `now`; the timers it asked for.
    fn with_ctx(
        k: &mut Kubelet,
        api: &mut ApiServer,
        rng: &mut SimRng,
        now: SimTime,
        work: impl FnOnce(&mut Kubelet, &mut Ctx<'_>),
    ) -> Vec<(SimDuration, u64)> {
        let mut trace = Trace::default();
        let user = k.user().clone();
        let name = k.name().to_string();
        let mut ctx = Ctx::new(now, rng, api, &mut trace, name.as_str(), &user);
        work(k, &mut ctx);
        ctx.into_timers()
    }

    #[test]
    fn a_restarted_kubelet_relists_its_pods_and_resyncs_them() {
        let mut api = ApiServer::default();
        let mut rng = SimRng::new(1);
        for node in NodePool::default().nodes() {
            let _ = api.bootstrap(Object::from(node), SimTime::ZERO, &mut rng);
        }
        let _ = api.bootstrap(pod("mine", "node-1"), SimTime::ZERO, &mut rng);
        let _ = api.bootstrap(pod("theirs", "node-2"), SimTime::ZERO, &mut rng);
        let mut k = Kubelet::new("node-1", Catalog::default(), Timings::default());
        assert_eq!(k.node(), Some("node-1"));
        let now = SimTime(5_000);
        let timers = with_ctx(&mut k, &mut api, &mut rng, now, |k, ctx| k.on_restart(ctx));
        // Only its own pod: one worker, one timer for its admission.
        assert_eq!(k.workers.len(), 1);
        assert_eq!(timers.len(), 1);
        let (delay, token) = timers[0];
        let mut timers = with_ctx(&mut k, &mut api, &mut rng, now.plus(delay), |k, ctx| {
            k.on_timer(token, ctx)
        });
        // Admitted: the status manager wrote Pending with the node's IP and a start time.
        let Some(Object::Pod(p)) = api.get("Pod", "default", "mine").as_deref().cloned() else {
            panic!("pod gone")
        };
        let status = p.status.unwrap_or_default();
        assert_eq!(status.phase.as_deref(), Some("Pending"));
        assert!(status.host_ip.is_some() && status.start_time.is_some());
        // A second restart re-arms the known pod at once instead of adding another worker.
        let later = now.plus(delay);
        timers.extend(with_ctx(&mut k, &mut api, &mut rng, later, |k, ctx| {
            k.on_restart(ctx)
        }));
        assert_eq!(k.workers.len(), 1);
        assert!(timers.iter().any(|(d, _)| *d == SimDuration(0)));
    }
}
