//! The component framework: components learn of changes only from store watches (a delivery
//! one watch latency after the write) and act only through the API server with their identity.

use podflow_core::apiserver::{authn, UserInfo};
use podflow_core::component::{Component, Ctx};
use podflow_core::events::{object_reference, EventRecorder, EventType};
use podflow_core::object::Object;
use podflow_core::sim::{SimDuration, SimTime};
use podflow_core::store::{WatchEvent, WatchEventType, WatchFilter};
use podflow_core::trace::Stage;
use podflow_core::{Cluster, ClusterConfig};

/// A cluster with no control-plane components: the toys below are the only ones.
fn bare() -> Cluster {
    Cluster::new(ClusterConfig {
        seed: 1,
        bare: true,
        ..Default::default()
    })
}

/// A toy binder: puts every new unbound pod on node-1 (the real scheduler comes later).
#[derive(Debug)]
struct ToyBinder {
    user: UserInfo,
    recorder: EventRecorder,
}

impl Component for ToyBinder {
    fn name(&self) -> &str {
        "kube-scheduler"
    }
    fn user(&self) -> &UserInfo {
        &self.user
    }
    fn watches(&self) -> Vec<WatchFilter> {
        vec![WatchFilter::pods_on_node("")]
    }
    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        let Object::Pod(pod) = &*event.object else {
            return;
        };
        if event.type_ != WatchEventType::Added {
            return;
        }
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        ctx.trace(
            Stage::Scheduling,
            format!("Pod/{ns}/{name}"),
            "picked node-1",
        );
        if let Ok(bound) = ctx.bind(&ns, &name, "node-1") {
            let write = self.recorder.record(
                ctx.now,
                object_reference(&bound),
                EventType::Normal,
                "Scheduled",
                &format!("Successfully assigned {ns}/{name} to node-1"),
            );
            ctx.event(write);
        }
    }
    fn on_timer(&mut self, _token: u64, _ctx: &mut Ctx<'_>) {}
}

/// A toy kubelet: records when pods arrive on its node and re-checks them after a timer.
#[derive(Debug)]
struct ToyKubelet {
    user: UserInfo,
    seen: Vec<(SimTime, String, &'static str)>,
}

impl Component for ToyKubelet {
    fn name(&self) -> &str {
        "kubelet/node-1"
    }
    fn user(&self) -> &UserInfo {
        &self.user
    }
    fn watches(&self) -> Vec<WatchFilter> {
        vec![WatchFilter::pods_on_node("node-1")]
    }
    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        let name = event.object.meta().name.clone().unwrap_or_default();
        self.seen.push((ctx.now, name, event.type_.as_str()));
        if event.type_ == WatchEventType::Added {
            ctx.after(SimDuration::secs(1), 7);
        }
    }
    fn on_timer(&mut self, token: u64, ctx: &mut Ctx<'_>) {
        self.seen.push((ctx.now, format!("timer {token}"), "TIMER"));
    }
}

#[test]
fn a_pod_travels_from_apply_through_a_watcher_to_its_node() {
    let mut cluster = bare();
    cluster.add_component(Box::new(ToyBinder {
        user: authn::kube_scheduler(),
        recorder: EventRecorder::new("default-scheduler", ""),
    }));
    cluster.add_component(Box::new(ToyKubelet {
        user: authn::node("node-1"),
        seen: Vec::new(),
    }));
    let results = cluster.apply("apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\nspec:\n  containers: [{name: nginx, image: nginx}]\n", "pod.yaml");
    assert_eq!(results[0].message, "pod/nginx created");
    // Ten seconds are plenty (an hour would see the Event expire: `--event-ttl`).
    cluster.run_for(SimDuration::secs(10));

    let pod = cluster.api().get("Pod", "default", "nginx").unwrap();
    let Object::Pod(p) = &*pod else { panic!() };
    assert_eq!(
        p.spec.as_ref().unwrap().node_name.as_deref(),
        Some("node-1")
    );
    let scheduled = p
        .status
        .as_ref()
        .unwrap()
        .conditions
        .as_ref()
        .unwrap()
        .iter()
        .find(|c| c.type_ == "PodScheduled")
        .unwrap();
    assert_eq!(scheduled.status, "True");

    // The binder saw the pod 1 ms after the write; the kubelet saw the bound pod 1 ms later.
    let steps: Vec<(String, String, String)> = cluster
        .trace()
        .steps()
        .filter(|s| &*s.component != "kubectl" && s.stage != Stage::Kubectl)
        .filter(|s| matches!(s.stage, Stage::Scheduling | Stage::Binding))
        .map(|s| {
            (
                s.time.to_string(),
                s.component.to_string(),
                s.detail.clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (
                "0.001s".to_string(),
                "kube-scheduler".to_string(),
                "picked node-1".to_string()
            ),
            // The API server performs the binding the scheduler asked for.
            (
                "0.001s".to_string(),
                "kube-apiserver".to_string(),
                "bound to node-1: spec.nodeName set, PodScheduled=True".to_string()
            ),
        ]
    );
    let events = cluster.objects(&["Event"]);
    assert_eq!(events.len(), 1);
    let Object::Event(e) = &*events[0] else {
        panic!()
    };
    assert_eq!(
        e.message.as_deref(),
        Some("Successfully assigned default/nginx to node-1")
    );
    // The kubelet saw the bound pod by 1.002 s; all that is left is the Event's lease to expire.
    assert_eq!(cluster.next_due(), Some(SimTime(3_660_001)));
}

/// Tries once to bind pod `p` to node-1 and keeps the error.
#[derive(Debug)]
struct BindOnce(UserInfo, std::rc::Rc<std::cell::RefCell<Option<String>>>);

impl Component for BindOnce {
    fn name(&self) -> &str {
        "kube-scheduler"
    }
    fn user(&self) -> &UserInfo {
        &self.0
    }
    fn watches(&self) -> Vec<WatchFilter> {
        vec![WatchFilter::prefix("/registry/pods/")]
    }
    fn on_watch(&mut self, _e: &WatchEvent, ctx: &mut Ctx<'_>) {
        if self.1.borrow().is_none() {
            let message = ctx
                .bind("default", "p", "node-1")
                .err()
                .map(|e| e.message)
                .unwrap_or_default();
            *self.1.borrow_mut() = Some(message);
        }
    }
    fn on_timer(&mut self, _t: u64, _c: &mut Ctx<'_>) {}
}

#[test]
fn binding_an_already_bound_pod_is_a_conflict() {
    let mut cluster = bare();
    cluster.apply("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  nodeName: node-2\n  containers: [{name: c, image: nginx}]\n", "p.yaml");
    let seen = std::rc::Rc::new(std::cell::RefCell::new(None));
    cluster.add_component(Box::new(BindOnce(authn::kube_scheduler(), seen.clone())));
    cluster.run_until_quiet(10);
    assert_eq!(
        seen.borrow().as_deref(),
        Some("Operation cannot be fulfilled on pods/binding \"p\": pod p is already assigned to node \"node-2\"")
    );
}

#[test]
fn an_event_expires_an_hour_after_its_last_write_as_etcd_revokes_its_lease() {
    let mut cluster = bare();
    cluster.add_component(Box::new(ToyBinder {
        user: authn::kube_scheduler(),
        recorder: EventRecorder::new("default-scheduler", ""),
    }));
    cluster.apply("apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\nspec:\n  containers: [{name: nginx, image: nginx}]\n", "pod.yaml");
    // The Scheduled Event is written at 1 ms with a lease of 1h plus the 60 s reuse window.
    cluster.run_for(SimDuration::secs(3660));
    assert_eq!(cluster.objects(&["Event"]).len(), 1);
    cluster.run_for(SimDuration::millis(1));
    assert_eq!(cluster.objects(&["Event"]).len(), 0);
    let last = cluster.trace().steps().last().unwrap();
    assert_eq!(&*last.component, "etcd");
    assert_eq!(last.time.to_string(), "1h01m00.001s");
    assert!(
        last.detail.starts_with(
            "lease expired (--event-ttl=1h0m0s): etcd deleted /registry/events/default/nginx."
        ),
        "{}",
        last.detail
    );
    // The pod itself stays.
    assert!(cluster.api().get("Pod", "default", "nginx").is_some());
}

/// Counts the ConfigMap events it is handed.
#[derive(Debug)]
struct ConfigMapCounter {
    user: UserInfo,
    seen: std::rc::Rc<std::cell::Cell<usize>>,
}

impl Component for ConfigMapCounter {
    fn name(&self) -> &str {
        "counter"
    }
    fn user(&self) -> &UserInfo {
        &self.user
    }
    fn watches(&self) -> Vec<WatchFilter> {
        vec![WatchFilter::prefix("/registry/configmaps/")]
    }
    fn on_watch(&mut self, _event: &WatchEvent, _ctx: &mut Ctx<'_>) {
        self.seen.set(self.seen.get() + 1);
    }
    fn on_timer(&mut self, _token: u64, _ctx: &mut Ctx<'_>) {}
}

/// A burst of 300 changes reaches a watcher in items of at most 128 events, all one watch
/// latency after the write and in order, so that no single item of the simulation is long.
#[test]
fn a_burst_of_changes_is_delivered_in_items_of_at_most_128_events_at_one_moment() {
    let mut cluster = bare();
    let seen = std::rc::Rc::new(std::cell::Cell::new(0));
    cluster.add_component(Box::new(ConfigMapCounter {
        user: authn::default_user(),
        seen: std::rc::Rc::clone(&seen),
    }));
    let text: Vec<String> = (0..300)
        .map(|i| format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}}}\n"))
        .collect();
    let results = cluster.apply(&text.join("---\n"), "burst.yaml");
    assert!(results.iter().all(|r| r.ok), "{results:?}");
    // With the kube-root-ca.crt ConfigMaps of the four namespaces, listed when it started.
    assert_eq!(
        cluster.next_item().as_deref(),
        Some("watch delivery to counter (304 events)")
    );
    let mut handed = Vec::new();
    while let Some(report) = cluster.step() {
        let n = seen.replace(0);
        if n > 0 {
            handed.push((report.time.to_string(), n));
        }
    }
    let at = |n| ("0.001s".to_string(), n);
    assert_eq!(handed, vec![at(128), at(128), at(48)]);
}
