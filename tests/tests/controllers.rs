//! kube-controller-manager's workload controllers in the flow: a Deployment's ReplicaSet and
//! pods with their v1.33 events, scaling with upstream's victim order, pods replaced, a rolling
//! update within maxSurge/maxUnavailable, and cascading deletion. Pods are made Running and
//! Ready by a stand-in kubelet that writes pod status through the API server as a kubelet would.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use k8s_openapi::api::core::v1::{Pod, PodCondition, PodStatus};
use podflow_core::apiserver::authn;
use podflow_core::apiserver::server::{Propagation, Target};
use podflow_core::apiserver::UserInfo;
use podflow_core::component::{Component, Ctx};
use podflow_core::object::{kind_info, Object};
use podflow_core::sim::{SimDuration, SimTime};
use podflow_core::store::{WatchEvent, WatchEventType, WatchFilter};
use podflow_core::Cluster;
use podflow_tests::manifests;

/// What the stand-in kubelets do, shared with the test.
#[derive(Debug, Default)]
struct Behaviour {
    /// How long after binding a pod becomes Running with an IP.
    running_after: SimDuration,
    /// How long after binding a pod becomes Ready.
    ready_after: SimDuration,
    /// New pods become Running but not Ready while this is set.
    hold_ready: bool,
    /// Pods finish (phase `Succeeded` or `Failed`) this long after binding.
    finish: Option<(SimDuration, &'static str)>,
}

/// What a stand-in kubelet's timer does to a pod.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Running,
    Ready,
    Finish(&'static str),
}

/// A minimal kubelet for one node: bound pods become Running with an IP and, unless held,
/// Ready; pods being deleted are removed at once (containers stop instantly).
#[derive(Debug)]
struct StandInKubelet {
    name: String,
    node: String,
    user: UserInfo,
    index: u8,
    behaviour: Rc<RefCell<Behaviour>>,
    pending: BTreeMap<u64, (String, String, Step)>,
    next_token: u64,
    next_ip: u8,
}

impl StandInKubelet {
    fn mark(&mut self, ns: &str, name: &str, step: Step, ctx: &mut Ctx<'_>) {
        let ready = step == Step::Ready;
        let Some(live) = ctx.get("Pod", ns, name) else {
            return;
        };
        let Object::Pod(mut pod) = (*live).clone() else {
            return;
        };
        if pod.metadata.deletion_timestamp.is_some() {
            return;
        }
        let now = Some(ctx.now.to_k8s_time());
        let status = pod.status.get_or_insert_with(PodStatus::default);
        if status.pod_ip.is_none() {
            self.next_ip += 1;
            status.pod_ip = Some(format!("10.244.{}.{}", self.index, self.next_ip));
            status.start_time = now.clone();
        }
        let cond = |t: &str, ok: bool| PodCondition {
            type_: t.into(),
            status: if ok { "True" } else { "False" }.into(),
            last_transition_time: now.clone(),
            ..Default::default()
        };
        status.phase = Some(
            match step {
                Step::Finish(phase) => phase,
                _ => "Running",
            }
            .into(),
        );
        let mut conditions = vec![cond("Initialized", true), cond("Ready", ready)];
        conditions.push(cond("ContainersReady", ready));
        conditions.extend(
            status
                .conditions
                .iter()
                .flatten()
                .filter(|c| c.type_ == "PodScheduled")
                .cloned(),
        );
        status.conditions = Some(conditions);
        let _ = ctx.update_status(Object::Pod(pod));
    }
}

impl Component for StandInKubelet {
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
        let Object::Pod(pod) = &*event.object else {
            return;
        };
        if event.type_ == WatchEventType::Deleted {
            return;
        }
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        if pod.metadata.deletion_timestamp.is_some() {
            if let Some(info) = kind_info("Pod") {
                let target = Target {
                    info,
                    namespace: &ns,
                    name: &name,
                };
                let _ = ctx.delete(target, Some(0));
            }
            return;
        }
        let started = pod.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Pending");
        let on_node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(&self.node);
        if on_node && !started && !self.pending.values().any(|p| p.1 == name) {
            let (running_after, ready_after, hold, finish) = {
                let b = self.behaviour.borrow();
                (b.running_after, b.ready_after, b.hold_ready, b.finish)
            };
            let mut steps = vec![(running_after, Step::Running)];
            if !hold {
                steps.push((ready_after, Step::Ready));
            }
            if let Some((after, phase)) = finish {
                steps.push((after, Step::Finish(phase)));
            }
            for (after, step) in steps {
                self.next_token += 1;
                self.pending
                    .insert(self.next_token, (ns.clone(), name.clone(), step));
                ctx.after(after, self.next_token);
            }
        }
    }
    fn on_timer(&mut self, token: u64, ctx: &mut Ctx<'_>) {
        if let Some((ns, name, step)) = self.pending.remove(&token) {
            self.mark(&ns, &name, step, ctx);
        }
    }
}

/// The default three nodes with their heartbeats but without the real kubelets' pod workers:
/// the stand-ins below drive pod status instead.
fn stand_in_cluster() -> Cluster {
    Cluster::new(podflow_core::ClusterConfig {
        seed: 1,
        without_pod_workers: true,
        ..Default::default()
    })
}

fn with_kubelets(cluster: &mut Cluster) -> Rc<RefCell<Behaviour>> {
    let behaviour = Rc::new(RefCell::new(Behaviour {
        running_after: SimDuration::secs(2),
        ready_after: SimDuration::secs(2),
        hold_ready: false,
        finish: None,
    }));
    for i in 1..=3u8 {
        let node = format!("node-{i}");
        cluster.add_component(Box::new(StandInKubelet {
            name: format!("kubelet/{node}"),
            user: authn::node(&node),
            node,
            index: i,
            behaviour: Rc::clone(&behaviour),
            pending: BTreeMap::new(),
            next_token: 0,
            next_ip: 0,
        }));
    }
    behaviour
}

fn nginx_deployment() -> Option<(String, String)> {
    let dir = manifests::dir()?;
    let file = "controllers__nginx-deployment.yaml";
    Some((file.to_string(), manifests::read(&dir, file)))
}

/// A cluster with the stand-in kubelets, the docs' nginx Deployment applied at t=0.
fn deployed() -> Option<(Cluster, Rc<RefCell<Behaviour>>)> {
    let (file, text) = nginx_deployment()?;
    let mut cluster = stand_in_cluster();
    let behaviour = with_kubelets(&mut cluster);
    let results = cluster.apply(&text, &file);
    assert_eq!(
        results[0].message,
        "deployment.apps/nginx-deployment created"
    );
    Some((cluster, behaviour))
}

/// `(source, reason, message)` of every Event written after `cursor`, in write order.
fn events_after(cluster: &Cluster, cursor: i64) -> Vec<(String, String, String)> {
    let (mut events, _) = cluster.events_since(cursor);
    let rv = |o: &Object| -> i64 {
        o.meta()
            .resource_version
            .as_deref()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    events.sort_by_key(|o| rv(o));
    events
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) => Some((
                e.reason.clone().unwrap_or_default(),
                e.message.clone().unwrap_or_default(),
                e.source
                    .as_ref()
                    .and_then(|s| s.component.clone())
                    .or_else(|| e.reporting_component.clone())
                    .unwrap_or_default(),
            )),
            _ => None,
        })
        .map(|(r, m, s)| (s, r, m))
        .collect()
}

fn controller_events(cluster: &Cluster, cursor: i64) -> Vec<(String, String)> {
    events_after(cluster, cursor)
        .into_iter()
        .filter(|(s, _, _)| s.ends_with("-controller"))
        .map(|(_, r, m)| (r, m))
        .collect()
}

fn replica_sets(cluster: &Cluster) -> Vec<k8s_openapi::api::apps::v1::ReplicaSet> {
    cluster
        .objects(&["ReplicaSet"])
        .iter()
        .filter_map(|o| match &**o {
            Object::ReplicaSet(r) => Some((**r).clone()),
            _ => None,
        })
        .collect()
}

fn pods(cluster: &Cluster) -> Vec<Pod> {
    cluster
        .objects(&["Pod"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Pod(p) => Some((**p).clone()),
            _ => None,
        })
        .collect()
}

fn deployment(cluster: &Cluster, name: &str) -> k8s_openapi::api::apps::v1::Deployment {
    match cluster.api().get("Deployment", "default", name).as_deref() {
        Some(Object::Deployment(d)) => (**d).clone(),
        other => panic!("no deployment {name}: {other:?}"),
    }
}

fn name(p: &Pod) -> String {
    p.metadata.name.clone().unwrap_or_default()
}

fn revision(cluster: &Cluster) -> i64 {
    cluster.api().store.revision()
}

fn rs_name_of(cluster: &Cluster, image: &str) -> String {
    replica_sets(cluster)
        .into_iter()
        .find(|r| {
            r.spec
                .as_ref()
                .and_then(|s| s.template.as_ref())
                .and_then(|t| t.spec.as_ref())
                .is_some_and(|s| s.containers[0].image.as_deref() == Some(image))
        })
        .and_then(|r| r.metadata.name)
        .unwrap_or_default()
}

#[test]
fn a_deployment_of_three_replicas_rolls_out_with_the_upstream_event_chain() {
    let Some((mut cluster, _)) = deployed() else {
        return;
    };
    cluster.run_for(SimDuration::secs(10));
    let sets = replica_sets(&cluster);
    assert_eq!(sets.len(), 1);
    let rs = &sets[0];
    let rs_name = rs.metadata.name.clone().unwrap();
    let hash = rs_name.strip_prefix("nginx-deployment-").unwrap();
    assert!(
        (6..=10).contains(&hash.len()) && hash.chars().all(|c| "bcdf456789".contains(c)),
        "{rs_name}"
    );
    let labels = rs.spec.as_ref().unwrap().template.as_ref().unwrap();
    assert_eq!(
        labels.metadata.as_ref().unwrap().labels.as_ref().unwrap()["pod-template-hash"],
        hash
    );
    let annotations = rs.metadata.annotations.clone().unwrap();
    assert_eq!(annotations["deployment.kubernetes.io/revision"], "1");
    assert_eq!(
        annotations["deployment.kubernetes.io/desired-replicas"],
        "3"
    );
    assert_eq!(annotations["deployment.kubernetes.io/max-replicas"], "4");
    let owner = &rs.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (
            owner.kind.as_str(),
            owner.name.as_str(),
            owner.controller,
            owner.block_owner_deletion
        ),
        ("Deployment", "nginx-deployment", Some(true), Some(true))
    );

    let pods = pods(&cluster);
    assert_eq!(pods.len(), 3);
    let mut expected = vec![(
        "ScalingReplicaSet".to_string(),
        format!("Scaled up replica set {rs_name} from 0 to 3"),
    )];
    for p in &pods {
        assert!(name(p).starts_with(&format!("{rs_name}-")));
        assert_eq!(name(p).len(), rs_name.len() + 6);
        let r = &p.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (r.kind.as_str(), r.name.as_str()),
            ("ReplicaSet", rs_name.as_str())
        );
    }
    let created: Vec<(String, String)> = controller_events(&cluster, 0);
    for (_, m) in created.iter().skip(1) {
        expected.push(("SuccessfulCreate".into(), m.clone()));
    }
    assert_eq!(created, expected);
    let mut created_names: Vec<String> = created[1..]
        .iter()
        .map(|(_, m)| m.strip_prefix("Created pod: ").unwrap().to_string())
        .collect();
    created_names.sort();
    let mut pod_names: Vec<String> = pods.iter().map(name).collect();
    pod_names.sort();
    assert_eq!(created_names, pod_names);
    let scheduled = events_after(&cluster, 0)
        .into_iter()
        .filter(|(_, r, _)| r == "Scheduled")
        .count();
    assert_eq!(scheduled, 3);

    let d = deployment(&cluster, "nginx-deployment");
    assert_eq!(
        d.metadata.annotations.as_ref().unwrap()["deployment.kubernetes.io/revision"],
        "1"
    );
    let status = d.status.unwrap();
    assert_eq!(
        (
            status.replicas,
            status.updated_replicas,
            status.ready_replicas,
            status.available_replicas,
            status.observed_generation
        ),
        (Some(3), Some(3), Some(3), Some(3), Some(1))
    );
    let conditions: Vec<(String, String, String, String)> = status
        .conditions
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.type_,
                c.status,
                c.reason.unwrap_or_default(),
                c.message.unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        conditions,
        [
            (
                "Available".into(),
                "True".into(),
                "MinimumReplicasAvailable".into(),
                "Deployment has minimum availability.".into()
            ),
            (
                "Progressing".into(),
                "True".into(),
                "NewReplicaSetAvailable".into(),
                format!("ReplicaSet \"{rs_name}\" has successfully progressed.")
            ),
        ]
    );
    let now = cluster.now();
    let deployments =
        podflow_core::kubectl::get::deployments(&cluster.objects(&["Deployment"]), now);
    assert_eq!(
        deployments.unwrap(),
        "NAMESPACE   NAME               READY   UP-TO-DATE   AVAILABLE   AGE\n\
         default     nginx-deployment   3/3     3            3           10s\n"
    );
    let sets_table =
        podflow_core::kubectl::get::replica_sets(&cluster.objects(&["ReplicaSet"]), now);
    assert_eq!(
        sets_table.unwrap(),
        format!(
            "NAMESPACE   NAME                          DESIRED   CURRENT   READY   AGE\n\
             default     {rs_name:<28}  3         3         3       10s\n"
        )
    );
}

#[test]
fn the_deployment_status_follows_readiness_at_virtual_times() {
    let Some((mut cluster, behaviour)) = deployed() else {
        return;
    };
    behaviour.borrow_mut().ready_after = SimDuration::secs(5);
    cluster.run_for(SimDuration::secs(3));
    let status = deployment(&cluster, "nginx-deployment").status.unwrap();
    assert_eq!(
        (status.replicas, status.available_replicas),
        (Some(3), Some(0))
    );
    let available = status
        .conditions
        .unwrap()
        .into_iter()
        .find(|c| c.type_ == "Available")
        .unwrap();
    assert_eq!(
        (available.status.as_str(), available.reason.as_deref()),
        ("False", Some("MinimumReplicasUnavailable"))
    );
    assert_eq!(
        available.message.as_deref(),
        Some("Deployment does not have minimum availability.")
    );
    cluster.run_for(SimDuration::secs(5));
    let status = deployment(&cluster, "nginx-deployment").status.unwrap();
    assert_eq!(status.available_replicas, Some(3));
}

#[test]
fn scaling_three_to_five_to_two_creates_then_deletes_the_right_pods() {
    let Some((mut cluster, behaviour)) = deployed() else {
        return;
    };
    cluster.run_for(SimDuration::secs(10));
    let rs_name = replica_sets(&cluster)[0].metadata.name.clone().unwrap();
    let first: Vec<String> = pods(&cluster).iter().map(name).collect();

    // The two new pods stay not ready: they are the first victims.
    behaviour.borrow_mut().hold_ready = true;
    let cursor = revision(&cluster);
    let user = UserInfo::admin();
    let r = cluster.scale("deployments", "default", "nginx-deployment", 5, &user);
    assert_eq!(r.message, "deployment.apps/nginx-deployment scaled");
    cluster.run_for(SimDuration::secs(10));
    let events = controller_events(&cluster, cursor);
    assert_eq!(
        events[0],
        (
            "ScalingReplicaSet".into(),
            format!("Scaled up replica set {rs_name} from 3 to 5")
        )
    );
    assert_eq!(events.len(), 3, "{events:?}");
    let added: Vec<String> = events[1..]
        .iter()
        .map(|(r, m)| {
            assert_eq!(r, "SuccessfulCreate");
            m.strip_prefix("Created pod: ").unwrap().to_string()
        })
        .collect();
    assert_eq!(pods(&cluster).len(), 5);
    let rs = &replica_sets(&cluster)[0];
    let st = rs.status.clone().unwrap();
    assert_eq!(
        (st.replicas, st.ready_replicas, st.available_replicas),
        (5, Some(3), Some(3))
    );
    assert_eq!(
        rs.metadata.annotations.as_ref().unwrap()["deployment.kubernetes.io/desired-replicas"],
        "5"
    );

    // Where each pod runs, before the scale-down.
    let node_of: BTreeMap<String, String> = pods(&cluster)
        .iter()
        .map(|p| (name(p), p.spec.clone().unwrap().node_name.unwrap()))
        .collect();
    let cursor = revision(&cluster);
    cluster.scale("deployments", "default", "nginx-deployment", 2, &user);
    cluster.run_for(SimDuration::secs(5));
    let events = controller_events(&cluster, cursor);
    assert_eq!(
        events[0],
        (
            "ScalingReplicaSet".into(),
            format!("Scaled down replica set {rs_name} from 5 to 2")
        )
    );
    let deleted: Vec<String> = events[1..]
        .iter()
        .map(|(r, m)| {
            assert_eq!(r, "SuccessfulDelete");
            m.strip_prefix("Deleted pod: ").unwrap().to_string()
        })
        .collect();
    assert_eq!(deleted.len(), 3);
    // Not ready before ready; among the ready pods (all ready at the same moment, spread over
    // three nodes) the one with the lowest UID goes first.
    let mut not_ready = deleted[..2].to_vec();
    not_ready.sort();
    let mut added_sorted = added.clone();
    added_sorted.sort();
    assert_eq!(not_ready, added_sorted);
    // Then the ready pod sharing its node with the most pods of the Deployment ("doubled
    // up"), ties in list (name) order: the pods were created and became ready together.
    let rank = |n: &String| node_of.values().filter(|v| **v == node_of[n]).count();
    let mut ready = first.clone();
    ready.sort();
    let third = ready
        .iter()
        .max_by(|a, b| rank(a).cmp(&rank(b)).then(b.cmp(a)))
        .unwrap();
    assert_eq!(&deleted[2], third, "{node_of:?}");
    let remaining: Vec<String> = pods(&cluster).iter().map(name).collect();
    assert_eq!(remaining.len(), 2);
    let rs = &replica_sets(&cluster)[0];
    assert_eq!(rs.status.clone().unwrap().replicas, 2);
    let d = deployment(&cluster, "nginx-deployment").status.unwrap();
    assert_eq!((d.replicas, d.available_replicas), (Some(2), Some(2)));
}

#[test]
fn a_deleted_pod_of_a_replica_set_is_replaced() {
    let Some((mut cluster, _)) = deployed() else {
        return;
    };
    cluster.run_for(SimDuration::secs(10));
    let rs_name = replica_sets(&cluster)[0].metadata.name.clone().unwrap();
    let victim = name(&pods(&cluster)[0]);
    let cursor = revision(&cluster);
    let r = cluster.delete("pods", "default", &victim);
    assert_eq!(r.message, format!("pod \"{victim}\" deleted"));
    cluster.run_for(SimDuration::secs(5));
    let events = controller_events(&cluster, cursor);
    assert_eq!(events.len(), 1, "{events:?}");
    let replacement = events[0]
        .1
        .strip_prefix("Created pod: ")
        .unwrap()
        .to_string();
    assert_eq!(events[0].0, "SuccessfulCreate");
    assert!(replacement.starts_with(&format!("{rs_name}-")) && replacement != victim);
    let names: Vec<String> = pods(&cluster).iter().map(name).collect();
    assert_eq!(names.len(), 3);
    assert!(names.contains(&replacement) && !names.contains(&victim));
    let st = replica_sets(&cluster)[0].status.clone().unwrap();
    assert_eq!((st.replicas, st.ready_replicas), (3, Some(3)));
}

#[test]
fn a_rolling_update_surges_one_pod_at_a_time_as_pods_become_ready() {
    let Some((mut cluster, _)) = deployed() else {
        return;
    };
    let Some((file, text)) = nginx_deployment() else {
        return;
    };
    cluster.run_for(SimDuration::secs(10));
    let old = rs_name_of(&cluster, "nginx:1.14.2");
    let cursor = revision(&cluster);
    let start = cluster.now();
    let updated = text.replace("nginx:1.14.2", "nginx:1.16.1");
    let r = cluster.apply(&updated, &file);
    assert_eq!(r[0].message, "deployment.apps/nginx-deployment configured");
    // Timeline of ScalingReplicaSet events with their virtual times.
    let mut timeline = Vec::new();
    let mut last = cursor;
    while cluster.now() < start.plus(SimDuration::secs(20)) {
        cluster.run_for(SimDuration::millis(100));
        for (_, r, m) in events_after(&cluster, last) {
            if r == "ScalingReplicaSet" {
                timeline.push((cluster.now().since(start).as_millis(), m));
            }
        }
        last = revision(&cluster);
    }
    let new = rs_name_of(&cluster, "nginx:1.16.1");
    assert_ne!(new, old);
    let messages: Vec<String> = timeline.iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(
        messages,
        [
            format!("Scaled up replica set {new} from 0 to 1"),
            format!("Scaled down replica set {old} from 3 to 2"),
            format!("Scaled up replica set {new} from 1 to 2"),
            format!("Scaled down replica set {old} from 2 to 1"),
            format!("Scaled up replica set {new} from 2 to 3"),
            format!("Scaled down replica set {old} from 1 to 0"),
        ]
    );
    // maxSurge 1, maxUnavailable 0: each step waits for the new pod to be Ready (2 s).
    let times: Vec<u64> = timeline.iter().map(|(t, _)| *t / 1000).collect();
    assert_eq!(times, [0, 2, 2, 4, 4, 6], "{timeline:?}");
    let d = deployment(&cluster, "nginx-deployment");
    assert_eq!(
        d.metadata.annotations.as_ref().unwrap()["deployment.kubernetes.io/revision"],
        "2"
    );
    let status = d.status.unwrap();
    assert_eq!(
        (
            status.replicas,
            status.updated_replicas,
            status.available_replicas
        ),
        (Some(3), Some(3), Some(3))
    );
    let progressing = status
        .conditions
        .unwrap()
        .into_iter()
        .find(|c| c.type_ == "Progressing")
        .unwrap();
    assert_eq!(
        progressing.message.as_deref(),
        Some(format!("ReplicaSet \"{new}\" has successfully progressed.").as_str())
    );
    let pods = pods(&cluster);
    assert_eq!(pods.len(), 3);
    assert!(pods.iter().all(|p| name(p).starts_with(&new)));
    let old_rs = replica_sets(&cluster)
        .into_iter()
        .find(|r| r.metadata.name.as_deref() == Some(old.as_str()))
        .unwrap();
    assert_eq!(old_rs.spec.unwrap().replicas, Some(0));
    assert_eq!(
        old_rs.metadata.annotations.unwrap()["deployment.kubernetes.io/revision"],
        "1"
    );
}

#[test]
fn rolling_back_reuses_the_old_replica_set_with_a_new_revision() {
    let Some((mut cluster, _)) = deployed() else {
        return;
    };
    let Some((file, text)) = nginx_deployment() else {
        return;
    };
    cluster.run_for(SimDuration::secs(10));
    let first = rs_name_of(&cluster, "nginx:1.14.2");
    cluster.apply(&text.replace("nginx:1.14.2", "nginx:1.16.1"), &file);
    cluster.run_for(SimDuration::secs(20));
    // `kubectl rollout undo` puts revision 1's template back into the Deployment.
    cluster.apply(&text, &file);
    cluster.run_for(SimDuration::secs(20));
    assert_eq!(replica_sets(&cluster).len(), 2);
    let rs = replica_sets(&cluster)
        .into_iter()
        .find(|r| r.metadata.name.as_deref() == Some(first.as_str()))
        .unwrap();
    let a = rs.metadata.annotations.unwrap();
    assert_eq!(a["deployment.kubernetes.io/revision"], "3");
    assert_eq!(a["deployment.kubernetes.io/revision-history"], "1");
    assert_eq!(rs.spec.unwrap().replicas, Some(3));
    assert!(pods(&cluster).iter().all(|p| name(p).starts_with(&first)));
}

#[test]
fn a_replica_set_adopts_a_matching_orphan_pod() {
    let Some(dir) = manifests::dir() else { return };
    let mut cluster = stand_in_cluster();
    with_kubelets(&mut cluster);
    let pod = manifests::read(&dir, "pods__pod-rs.yaml");
    let rs = manifests::read(&dir, "controllers__frontend.yaml");
    cluster.apply(&pod, "pod-rs.yaml");
    cluster.run_for(SimDuration::secs(5));
    cluster.apply(&rs, "frontend.yaml");
    cluster.run_for(SimDuration::secs(5));
    let pods = pods(&cluster);
    let owned: Vec<&Pod> = pods
        .iter()
        .filter(|p| {
            p.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|r| r.name == "frontend")
        })
        .collect();
    assert_eq!(
        pods.len(),
        3,
        "{:?}",
        pods.iter().map(name).collect::<Vec<_>>()
    );
    assert_eq!(owned.len(), 3);
    let events = controller_events(&cluster, 0);
    assert!(events.iter().all(|(r, _)| r == "SuccessfulCreate"));
    assert_eq!(events.len(), 1, "{events:?}");
}

#[test]
fn scaling_during_a_rollout_is_proportional() {
    let Some((mut cluster, behaviour)) = deployed() else {
        return;
    };
    let Some((file, text)) = nginx_deployment() else {
        return;
    };
    cluster.run_for(SimDuration::secs(10));
    let old = rs_name_of(&cluster, "nginx:1.14.2");
    behaviour.borrow_mut().hold_ready = true;
    cluster.apply(&text.replace("nginx:1.14.2", "nginx:1.16.1"), &file);
    cluster.run_for(SimDuration::secs(5));
    let new = rs_name_of(&cluster, "nginx:1.16.1");
    let cursor = revision(&cluster);
    cluster.scale(
        "deployments",
        "default",
        "nginx-deployment",
        6,
        &UserInfo::admin(),
    );
    cluster.run_for(SimDuration::secs(1));
    // allowed 6 + 2 (25% surge of 6, rounded up) = 8 over the 4 replicas: old 3×8/4, new 1×8/4.
    let scaling: Vec<String> = controller_events(&cluster, cursor)
        .into_iter()
        .filter(|(r, _)| r == "ScalingReplicaSet")
        .map(|(_, m)| m)
        .collect();
    // Then the rollout goes on within the new bounds: 8 pods, at least 5 available (25% of 6
    // rounded down may be unavailable); the 3 new old pods are not ready yet, so one goes.
    assert_eq!(
        scaling,
        [
            format!("Scaled up replica set {old} from 3 to 6"),
            format!("Scaled up replica set {new} from 1 to 2"),
            format!("Scaled down replica set {old} from 6 to 5"),
            format!("Scaled up replica set {new} from 2 to 3"),
        ]
    );
}

fn cascade(cluster: &mut Cluster, policy: Option<Propagation>) -> String {
    let r = cluster.delete_cascade(
        "deployments",
        "default",
        "nginx-deployment",
        policy,
        &UserInfo::admin(),
    );
    r.message
}

#[test]
fn deleting_a_deployment_in_the_background_deletes_its_replica_set_and_pods() {
    let Some((mut cluster, _)) = deployed() else {
        return;
    };
    cluster.run_for(SimDuration::secs(10));
    assert_eq!(
        cascade(&mut cluster, None),
        "deployment.apps \"nginx-deployment\" deleted"
    );
    // The Deployment is gone at once; the garbage collector follows the ownerReferences.
    assert!(cluster
        .api()
        .get("Deployment", "default", "nginx-deployment")
        .is_none());
    assert_eq!(replica_sets(&cluster).len(), 1);
    cluster.run_for(SimDuration::millis(10));
    assert!(replica_sets(&cluster).is_empty());
    cluster.run_for(SimDuration::secs(1));
    assert!(pods(&cluster).is_empty());
    // No controller recreated anything.
    cluster.run_for(SimDuration::secs(10));
    assert!(pods(&cluster).is_empty() && replica_sets(&cluster).is_empty());
}

#[test]
fn deleting_a_deployment_in_the_foreground_keeps_it_until_its_pods_are_gone() {
    let Some((mut cluster, _)) = deployed() else {
        return;
    };
    cluster.run_for(SimDuration::secs(10));
    cascade(&mut cluster, Some(Propagation::Foreground));
    let d = deployment(&cluster, "nginx-deployment");
    assert!(d.metadata.deletion_timestamp.is_some());
    assert_eq!(
        d.metadata.finalizers,
        Some(vec!["foregroundDeletion".to_string()])
    );
    let cursor = revision(&cluster);
    cluster.run_for(SimDuration::secs(1));
    // What the store saw: the ReplicaSet marked with the same finalizer, its pods deleted,
    // then the ReplicaSet, and the Deployment last.
    let store = &cluster.api().store;
    let mut seen = Vec::new();
    for c in store.changes_since(cursor).unwrap() {
        let kind = c.object.info().kind;
        let fg = |o: &Object| {
            o.meta()
                .finalizers
                .iter()
                .flatten()
                .any(|f| f == "foregroundDeletion")
        };
        let marked = fg(&c.object) && !c.old.as_deref().is_some_and(fg);
        let step = match c.type_ {
            WatchEventType::Deleted => format!("deleted {kind}"),
            WatchEventType::Modified if kind == "ReplicaSet" && marked => {
                "marked ReplicaSet".to_string()
            }
            _ => continue,
        };
        if seen.last() != Some(&step) {
            seen.push(step);
        }
    }
    assert_eq!(
        seen,
        [
            "marked ReplicaSet",
            "deleted Pod",
            "deleted ReplicaSet",
            "deleted Deployment"
        ]
    );
    assert!(pods(&cluster).is_empty() && replica_sets(&cluster).is_empty());
}

#[test]
fn deleting_a_deployment_with_orphan_keeps_its_replica_set_without_an_owner() {
    let Some((mut cluster, _)) = deployed() else {
        return;
    };
    cluster.run_for(SimDuration::secs(10));
    cascade(&mut cluster, Some(Propagation::Orphan));
    cluster.run_for(SimDuration::secs(2));
    assert!(cluster
        .api()
        .get("Deployment", "default", "nginx-deployment")
        .is_none());
    let sets = replica_sets(&cluster);
    assert_eq!(sets.len(), 1);
    assert!(sets[0]
        .metadata
        .owner_references
        .as_ref()
        .is_none_or(|r| r.is_empty()));
    assert_eq!(pods(&cluster).len(), 3);
}

const NGINX_SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: nginx
spec:
  selector:
    app.kubernetes.io/name: nginx
  ports:
  - protocol: TCP
    port: 80
    targetPort: 80
";

fn slices(cluster: &Cluster) -> Vec<k8s_openapi::api::discovery::v1::EndpointSlice> {
    cluster
        .objects(&["EndpointSlice"])
        .iter()
        .filter_map(|o| match &**o {
            Object::EndpointSlice(s) => Some((**s).clone()),
            _ => None,
        })
        .collect()
}

/// `(pod, address, ready, serving, terminating)` of the one slice's endpoints.
fn endpoints(cluster: &Cluster) -> Vec<(String, String, bool, bool, bool)> {
    let all = slices(cluster);
    assert_eq!(all.len(), 1);
    all[0]
        .endpoints
        .iter()
        .map(|e| {
            let c = e.conditions.clone().unwrap();
            (
                e.target_ref.clone().unwrap().name.unwrap(),
                e.addresses[0].clone(),
                c.ready.unwrap(),
                c.serving.unwrap(),
                c.terminating.unwrap(),
            )
        })
        .collect()
}

#[test]
fn service_endpoints_follow_pod_readiness() {
    let Some((file, text)) = nginx_deployment() else {
        return;
    };
    let mut cluster = stand_in_cluster();
    let behaviour = with_kubelets(&mut cluster);
    {
        let mut b = behaviour.borrow_mut();
        b.running_after = SimDuration::secs(1);
        b.ready_after = SimDuration::secs(5);
    }
    let r = cluster.apply(NGINX_SERVICE, "service.yaml");
    assert_eq!(r[0].message, "service/nginx created");
    let Some(Object::Service(svc)) = cluster
        .api()
        .get("Service", "default", "nginx")
        .as_deref()
        .cloned()
    else {
        panic!("no service");
    };
    let spec = svc.spec.unwrap();
    let ip = spec.cluster_ip.clone().unwrap();
    assert!(ip.starts_with("10.") && ip != "10.96.0.1", "{ip}");
    assert_eq!(spec.cluster_ips, Some(vec![ip]));
    assert_eq!(spec.ip_families, Some(vec!["IPv4".to_string()]));
    assert_eq!(spec.ip_family_policy.as_deref(), Some("SingleStack"));

    // No pods yet: one empty slice named after the Service.
    cluster.run_for(SimDuration::millis(10));
    let s = &slices(&cluster)[0];
    let slice_name = s.metadata.name.clone().unwrap();
    assert!(
        slice_name.starts_with("nginx-") && slice_name.len() == "nginx-".len() + 5,
        "{slice_name}"
    );
    let labels = s.metadata.labels.clone().unwrap();
    assert_eq!(labels["kubernetes.io/service-name"], "nginx");
    assert_eq!(
        labels["endpointslice.kubernetes.io/managed-by"],
        "endpointslice-controller.k8s.io"
    );
    assert_eq!(s.address_type, "IPv4");
    assert!(s.endpoints.is_empty());
    let owner = &s.metadata.owner_references.clone().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("Service", "nginx")
    );

    cluster.apply(&text, &file);
    // Scheduled but without an IP: not listed.
    cluster.run_for(SimDuration::millis(500));
    assert!(endpoints(&cluster).is_empty());
    // Running with an IP, not Ready.
    cluster.run_for(SimDuration::secs(1));
    let eps = endpoints(&cluster);
    assert_eq!(eps.len(), 3);
    assert!(
        eps.iter()
            .all(|e| e.1.starts_with("10.244.") && !e.2 && !e.3 && !e.4),
        "{eps:?}"
    );
    let s = &slices(&cluster)[0];
    let ports = s.ports.clone().unwrap();
    assert_eq!(
        (
            ports[0].name.as_deref(),
            ports[0].port,
            ports[0].protocol.as_deref()
        ),
        (Some(""), Some(80), Some("TCP"))
    );
    // Ready 5 s after binding.
    cluster.run_for(SimDuration::secs(4));
    let eps = endpoints(&cluster);
    assert!(eps.iter().all(|e| e.2 && e.3 && !e.4), "{eps:?}");
    let mut names: Vec<String> = eps.iter().map(|e| e.0.clone()).collect();
    names.sort();
    let mut expected: Vec<String> = pods(&cluster).iter().map(name).collect();
    expected.sort();
    assert_eq!(names, expected);

    // Deleting the Service takes its slice with it (the garbage collector).
    cluster.delete("services", "default", "nginx");
    cluster.run_for(SimDuration::millis(10));
    assert!(slices(&cluster).is_empty());
}

#[test]
fn a_daemon_set_runs_one_pod_per_node_and_skips_a_tainted_control_plane() {
    let Some(dir) = manifests::dir() else { return };
    let file = "controllers__daemonset.yaml";
    let text = manifests::read(&dir, file);
    let mut nodes = podflow_core::nodes::NodePool::default().nodes();
    nodes[0].spec.get_or_insert_with(Default::default).taints =
        Some(vec![k8s_openapi::api::core::v1::Taint {
            key: "node-role.kubernetes.io/control-plane".into(),
            effect: "NoSchedule".into(),
            ..Default::default()
        }]);
    let mut cluster = Cluster::new(podflow_core::ClusterConfig {
        seed: 1,
        nodes,
        without_pod_workers: true,
        ..Default::default()
    });
    with_kubelets(&mut cluster);
    let r = cluster.apply(&text, file);
    assert_eq!(r[0].message, "daemonset.apps/fluentd-elasticsearch created");
    cluster.run_for(SimDuration::secs(5));
    let pods = pods(&cluster);
    let mut placed: Vec<String> = pods
        .iter()
        .map(|p| p.spec.clone().unwrap().node_name.unwrap_or_default())
        .collect();
    placed.sort();
    assert_eq!(placed, ["node-2", "node-3"]);
    for p in &pods {
        assert!(name(p).starts_with("fluentd-elasticsearch-"));
        let term = &p
            .spec
            .clone()
            .unwrap()
            .affinity
            .unwrap()
            .node_affinity
            .unwrap()
            .required_during_scheduling_ignored_during_execution
            .unwrap()
            .node_selector_terms[0];
        let field = &term.match_fields.clone().unwrap()[0];
        assert_eq!(
            (field.key.as_str(), field.operator.as_str()),
            ("metadata.name", "In")
        );
        assert_eq!(
            field.values,
            Some(vec![p.spec.clone().unwrap().node_name.unwrap()])
        );
    }
    let created: Vec<String> = controller_events(&cluster, 0)
        .into_iter()
        .map(|(r, m)| format!("{r} {m}"))
        .collect();
    let mut expected: Vec<String> = pods
        .iter()
        .map(|p| format!("SuccessfulCreate Created pod: {}", name(p)))
        .collect();
    expected.sort();
    let mut got = created.clone();
    got.sort();
    assert_eq!(got, expected);
    let Some(Object::DaemonSet(ds)) = cluster
        .api()
        .get("DaemonSet", "kube-system", "fluentd-elasticsearch")
        .as_deref()
        .cloned()
    else {
        panic!("no daemonset");
    };
    let st = ds.status.unwrap();
    assert_eq!(
        (
            st.desired_number_scheduled,
            st.current_number_scheduled,
            st.number_ready,
            st.number_available,
            st.number_misscheduled
        ),
        (2, 2, 2, Some(2), 0)
    );
}

fn job_status(cluster: &Cluster) -> k8s_openapi::api::batch::v1::JobStatus {
    match cluster.api().get("Job", "default", "pi").as_deref() {
        Some(Object::Job(j)) => j.status.clone().unwrap_or_default(),
        other => panic!("no job: {other:?}"),
    }
}

fn job_conditions(cluster: &Cluster) -> Vec<(String, String, String)> {
    job_status(cluster)
        .conditions
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            (
                c.type_,
                c.reason.unwrap_or_default(),
                c.message.unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_job_runs_its_pod_to_completion() {
    let Some(dir) = manifests::dir() else { return };
    let file = "controllers__job.yaml";
    let mut cluster = stand_in_cluster();
    let behaviour = with_kubelets(&mut cluster);
    behaviour.borrow_mut().finish = Some((SimDuration::secs(8), "Succeeded"));
    let r = cluster.apply(&manifests::read(&dir, file), file);
    assert_eq!(r[0].message, "job.batch/pi created");
    cluster.run_for(SimDuration::secs(5));
    let pods = pods(&cluster);
    assert_eq!(pods.len(), 1);
    let pod = name(&pods[0]);
    assert!(pod.starts_with("pi-") && pod.len() == 8, "{pod}");
    assert_eq!(
        pods[0].metadata.finalizers,
        Some(vec!["batch.kubernetes.io/job-tracking".to_string()])
    );
    let st = job_status(&cluster);
    assert_eq!(
        (st.active, st.ready, st.succeeded),
        (Some(1), Some(1), None)
    );
    assert!(st.start_time.is_some() && st.completion_time.is_none());
    cluster.run_for(SimDuration::secs(5));
    let st = job_status(&cluster);
    assert_eq!((st.active, st.succeeded), (None, Some(1)));
    assert!(st.completion_time.is_some());
    let done = (
        "CompletionsReached".to_string(),
        "Reached expected number of succeeded pods".to_string(),
    );
    assert_eq!(
        job_conditions(&cluster),
        [
            ("SuccessCriteriaMet".into(), done.0.clone(), done.1.clone()),
            ("Complete".into(), done.0.clone(), done.1.clone()),
        ]
    );
    assert_eq!(
        controller_events(&cluster, 0),
        [
            (
                "SuccessfulCreate".to_string(),
                format!("Created pod: {pod}")
            ),
            ("Completed".to_string(), "Job completed".to_string()),
        ]
    );
    // The finished pod is counted and released, and stays (Completed).
    let p = &self::pods(&cluster)[0];
    assert!(p.metadata.finalizers.as_ref().is_none_or(|f| f.is_empty()));
}

#[test]
fn a_failing_job_backs_off_and_fails_past_its_backoff_limit() {
    let Some(dir) = manifests::dir() else { return };
    let file = "controllers__job.yaml";
    let mut cluster = stand_in_cluster();
    let behaviour = with_kubelets(&mut cluster);
    behaviour.borrow_mut().finish = Some((SimDuration::secs(3), "Failed"));
    let text = manifests::read(&dir, file).replace("backoffLimit: 4", "backoffLimit: 2");
    cluster.apply(&text, file);
    cluster.run_for(SimDuration::mins(3));
    // Pods at 0 s, then 10 s and 20 s after each failure (3 s after its creation).
    let mut created: Vec<u64> = pods(&cluster)
        .iter()
        .map(|p| {
            let t = p.metadata.creation_timestamp.clone().unwrap();
            podflow_core::sim::SimTime::from_k8s_time(&t).0 / 1000
        })
        .collect();
    created.sort();
    assert_eq!(created, [0, 13, 36]);
    let st = job_status(&cluster);
    assert_eq!((st.failed, st.succeeded, st.active), (Some(3), None, None));
    let message = "Job has reached the specified backoff limit".to_string();
    assert_eq!(
        job_conditions(&cluster),
        [
            (
                "FailureTarget".into(),
                "BackoffLimitExceeded".into(),
                message.clone()
            ),
            (
                "Failed".into(),
                "BackoffLimitExceeded".into(),
                message.clone()
            ),
        ]
    );
    let warnings: Vec<(String, String)> = controller_events(&cluster, 0)
        .into_iter()
        .filter(|(r, _)| r == "BackoffLimitExceeded")
        .collect();
    assert_eq!(warnings, [("BackoffLimitExceeded".to_string(), message)]);
}

#[test]
fn a_replica_set_over_quota_reports_failed_create_and_replica_failure() {
    let Some(dir) = manifests::dir() else { return };
    let mut cluster = stand_in_cluster();
    with_kubelets(&mut cluster);
    let quota = "apiVersion: v1
kind: ResourceQuota
metadata:
  name: pod-quota
spec:
  hard:
    pods: \"2\"
";
    let r = cluster.apply(quota, "quota.yaml");
    assert_eq!(r[0].message, "resourcequota/pod-quota created");
    cluster.run_for(SimDuration::secs(1));
    cluster.apply(
        &manifests::read(&dir, "controllers__frontend.yaml"),
        "frontend.yaml",
    );
    cluster.run_for(SimDuration::secs(5));
    assert_eq!(pods(&cluster).len(), 2);
    let events = controller_events(&cluster, 0);
    let failed: Vec<&String> = events
        .iter()
        .filter(|(r, _)| r == "FailedCreate")
        .map(|(_, m)| m)
        .collect();
    assert!(!failed.is_empty());
    // Retried with the rate limiter (5 ms doubling): each retry names a new pod, so after
    // ten distinct messages the recorder writes them as one combined Event.
    for m in &failed {
        let m = m
            .strip_prefix("(combined from similar events): ")
            .unwrap_or(m);
        assert!(
            m.starts_with("Error creating: pods \"frontend-")
                && m.ends_with("\" is forbidden: exceeded quota: pod-quota, requested: pods=1, used: pods=2, limited: pods=2"),
            "{m}"
        );
    }
    assert!(failed.len() >= 10, "{failed:?}");
    assert!(failed
        .iter()
        .any(|m| m.starts_with("(combined from similar events): ")));
    let rs = &replica_sets(&cluster)[0];
    let st = rs.status.clone().unwrap();
    assert_eq!(st.replicas, 2);
    let cond = &st.conditions.unwrap()[0];
    assert_eq!(
        (
            cond.type_.as_str(),
            cond.status.as_str(),
            cond.reason.as_deref()
        ),
        ("ReplicaFailure", "True", Some("FailedCreate"))
    );
    assert!(cond
        .message
        .as_deref()
        .unwrap_or("")
        .contains("exceeded quota: pod-quota"));
}

#[test]
fn a_recreate_deployment_scales_the_old_replica_set_to_zero_before_the_new_one_starts() {
    let Some((file, text)) = nginx_deployment() else {
        return;
    };
    let recreate = text.replace(
        "  replicas: 3\n",
        "  replicas: 3\n  strategy:\n    type: Recreate\n",
    );
    assert_ne!(recreate, text);
    let mut cluster = stand_in_cluster();
    with_kubelets(&mut cluster);
    cluster.apply(&recreate, &file);
    cluster.run_for(SimDuration::secs(10));
    let old = rs_name_of(&cluster, "nginx:1.14.2");
    let cursor = revision(&cluster);
    cluster.apply(&recreate.replace("nginx:1.14.2", "nginx:1.16.1"), &file);
    cluster.run_for(SimDuration::secs(10));
    let new = rs_name_of(&cluster, "nginx:1.16.1");
    let scaling: Vec<String> = controller_events(&cluster, cursor)
        .into_iter()
        .filter(|(r, _)| r == "ScalingReplicaSet")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(
        scaling,
        [
            format!("Scaled down replica set {old} from 3 to 0"),
            format!("Scaled up replica set {new} from 0 to 3"),
        ]
    );
    // The new pods were created only once every old pod was gone.
    let store = &cluster.api().store;
    let mut old_left = 3;
    for c in store.changes_since(cursor).unwrap() {
        let name = c.object.meta().name.clone().unwrap_or_default();
        if c.object.info().kind != "Pod" {
            continue;
        }
        match c.type_ {
            WatchEventType::Deleted if name.starts_with(&old) => old_left -= 1,
            WatchEventType::Added if name.starts_with(&new) => assert_eq!(old_left, 0, "{name}"),
            _ => {}
        }
    }
    assert_eq!(old_left, 0);
    assert_eq!(pods(&cluster).len(), 3);
}

#[test]
fn the_same_seed_gives_the_same_controller_event_log() {
    let run = || {
        let (mut cluster, _) = deployed()?;
        let (file, text) = nginx_deployment()?;
        cluster.run_for(SimDuration::secs(10));
        cluster.apply(&text.replace("nginx:1.14.2", "nginx:1.16.1"), &file);
        cluster.run_for(SimDuration::secs(20));
        Some(events_after(&cluster, 0))
    };
    let (Some(a), Some(b)) = (run(), run()) else {
        return;
    };
    assert!(a.len() > 20, "{}", a.len());
    assert_eq!(a, b);
}

#[test]
fn min_ready_seconds_delays_availability() {
    let Some(dir) = manifests::dir() else { return };
    let file = "application__simple_deployment.yaml";
    let mut cluster = stand_in_cluster();
    with_kubelets(&mut cluster);
    let r = cluster.apply(&manifests::read(&dir, file), file);
    assert_eq!(r[0].message, "deployment.apps/nginx-deployment created");
    let available = |cluster: &Cluster| {
        let d = deployment(cluster, "nginx-deployment").status.unwrap();
        let rs = replica_sets(cluster)[0].status.clone().unwrap();
        (
            rs.ready_replicas,
            rs.available_replicas,
            d.available_replicas,
        )
    };
    // Ready at 2 s (the stand-in kubelet), available only more than 5 s later.
    cluster.run_for(SimDuration::millis(6_900));
    assert_eq!(available(&cluster), (Some(1), None, Some(0)));
    cluster.run_for(SimDuration::millis(300));
    assert_eq!(available(&cluster), (Some(1), Some(1), Some(1)));
    let rs = &replica_sets(&cluster)[0];
    assert_eq!(rs.spec.as_ref().unwrap().min_ready_seconds, Some(5));
}

#[test]
fn a_stuck_rollout_exceeds_its_progress_deadline() {
    let Some((mut cluster, behaviour)) = deployed() else {
        return;
    };
    let Some((file, text)) = nginx_deployment() else {
        return;
    };
    cluster.run_for(SimDuration::secs(10));
    // The new pods never become ready.
    behaviour.borrow_mut().hold_ready = true;
    cluster.apply(&text.replace("nginx:1.14.2", "nginx:1.16.1"), &file);
    let new = {
        cluster.run_for(SimDuration::secs(1));
        rs_name_of(&cluster, "nginx:1.16.1")
    };
    let progressing = |cluster: &Cluster| {
        let c = deployment(cluster, "nginx-deployment")
            .status
            .unwrap()
            .conditions
            .unwrap()
            .into_iter()
            .find(|c| c.type_ == "Progressing")
            .unwrap();
        (
            c.status,
            c.reason.unwrap_or_default(),
            c.message.unwrap_or_default(),
        )
    };
    assert_eq!(
        progressing(&cluster),
        (
            "True".into(),
            "ReplicaSetUpdated".into(),
            format!("ReplicaSet \"{new}\" is progressing.")
        )
    );
    // progressDeadlineSeconds defaults to 600: checked a second after the deadline passes.
    cluster.run_for(SimDuration::secs(595));
    assert_eq!(progressing(&cluster).0, "True");
    cluster.run_for(SimDuration::secs(10));
    assert_eq!(
        progressing(&cluster),
        (
            "False".into(),
            "ProgressDeadlineExceeded".into(),
            format!("ReplicaSet \"{new}\" has timed out progressing.")
        )
    );
    // Still available: the old pods kept serving (maxUnavailable 0).
    let available = deployment(&cluster, "nginx-deployment")
        .status
        .unwrap()
        .conditions
        .unwrap()
        .into_iter()
        .find(|c| c.type_ == "Available")
        .unwrap();
    assert_eq!(available.status, "True");
}

/// Three ReplicaSets made dirty by one apply are synced one after another, in key order, at
/// the same virtual moment, as upstream's workers take one key at a time, and each sync sends
/// its creations in slow-start batches (1, then 2) of one simulation item each: no single item
/// holds every ReplicaSet's pod creations, nor one ReplicaSet's 500.
#[test]
fn replica_sets_dirty_at_once_are_synced_one_after_another_in_slow_start_batches() {
    let text = ["a", "b", "c"]
        .map(|n| {
            format!(
                "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: {n}}}\nspec:\n  replicas: 3\n  selector: {{matchLabels: {{app: {n}}}}}\n  template:\n    metadata: {{labels: {{app: {n}}}}}\n    spec: {{containers: [{{name: c, image: nginx}}]}}\n"
            )
        })
        .join("---\n");
    let mut cluster = Cluster::default();
    let results = cluster.apply(&text, "rs.yaml");
    assert_eq!(
        podflow_tests::kubectl_lines(&results),
        "replicaset.apps/a created\nreplicaset.apps/b created\nreplicaset.apps/c created"
    );
    // (moment, the ReplicaSets whose pods the item created)
    let mut syncs = Vec::new();
    while cluster.next_due().is_some_and(|t| t <= SimTime(1)) {
        let Some(report) = cluster.step() else { break };
        let created: Vec<&str> = report
            .steps
            .iter()
            .filter(|s| s.detail.starts_with("created /registry/pods/"))
            .filter_map(|s| s.object.strip_prefix("Pod/default/"))
            .collect();
        if !created.is_empty() {
            syncs.push((report.time.to_string(), created.join(" ")));
        }
    }
    let at = |pods: &str| ("0.001s".to_string(), pods.to_string());
    assert_eq!(
        syncs,
        vec![
            at("a-"),
            at("a- a-"),
            at("b-"),
            at("b- b-"),
            at("c-"),
            at("c- c-")
        ]
    );
}

/// A Pod whose ownerReferences name `owner` (`kind/name/uid`).
fn owned_pod(name: &str, owner: (&str, &str, &str)) -> String {
    let (kind, owner_name, uid) = owner;
    let api_version = kind_info(kind).map_or("v1", |i| i.api_version);
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  ownerReferences:\n  - apiVersion: {api_version}\n    kind: {kind}\n    name: {owner_name}\n    uid: {uid}\nspec:\n  containers:\n  - name: app\n    image: nginx\n"
    )
}

#[test]
fn pods_whose_owners_are_absent_are_collected_and_the_others_kept() {
    let mut cluster = stand_in_cluster();
    let _ = with_kubelets(&mut cluster);
    let r = cluster.apply(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
        "cm.yaml",
    );
    assert_eq!(r[0].message, "configmap/settings created");
    let cm_uid = cluster
        .api()
        .get("ConfigMap", "default", "settings")
        .and_then(|o| o.meta().uid.clone())
        .unwrap();
    let (file, text) = match nginx_deployment() {
        Some(d) => d,
        None => return,
    };
    cluster.apply(&text, &file);
    cluster.run_for(SimDuration::secs(1));
    let rs = replica_sets(&cluster);
    let (rs_name, rs_uid) = (
        rs[0].metadata.name.clone().unwrap(),
        rs[0].metadata.uid.clone().unwrap(),
    );
    let docs = [
        owned_pod("of-a-missing-rs", ("ReplicaSet", "gone", "0000-gone")),
        owned_pod(
            "of-the-rs-by-a-wrong-uid",
            ("ReplicaSet", &rs_name, "0000-stale"),
        ),
        owned_pod("of-the-rs", ("ReplicaSet", &rs_name, &rs_uid)),
        owned_pod("of-the-config-map", ("ConfigMap", "settings", &cm_uid)),
        owned_pod("of-a-missing-config-map", ("ConfigMap", "other", "0000-cm")),
        owned_pod("of-an-unserved-kind", ("Widget", "w", "0000-widget")),
    ]
    .join("---\n");
    let results = cluster.apply(&docs, "owned.yaml");
    assert!(results.iter().all(|r| r.ok), "{results:?}");
    cluster.run_for(SimDuration::secs(5));
    let mut left: Vec<String> = pods(&cluster)
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .filter(|n| n.starts_with("of-"))
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["of-an-unserved-kind", "of-the-config-map", "of-the-rs"]
    );
}

/// A burst of dependents beyond what one garbage-collector scan takes from its feed
/// (`MAX_CHANGES_PER_SCAN`) is collected over several scans, each an item of its own, all at the
/// moment the burst is seen; every one of them is collected.
#[test]
fn a_burst_of_orphans_is_collected_over_several_scans_at_one_moment() {
    use podflow_core::controllers::garbage_collector::MAX_CHANGES_PER_SCAN;
    let mut cluster = stand_in_cluster();
    // Pods no node can take: never bound, so a deletion removes them at once.
    let orphan = |name: &str| {
        owned_pod(name, ("ReplicaSet", "gone", "0000-gone")) + "  nodeSelector:\n    none: x\n"
    };
    // A first orphan: the collector's first scan lists everything and opens its feed.
    cluster.apply(&orphan("first"), "first.yaml");
    cluster.run_for(SimDuration::secs(1));
    assert!(cluster.api().get("Pod", "default", "first").is_none());
    let n = MAX_CHANGES_PER_SCAN + 300;
    let docs: Vec<String> = (0..n).map(|i| orphan(&format!("of-gone-{i:04}"))).collect();
    let results = cluster.apply(&docs.join("---\n"), "burst.yaml");
    assert_eq!(results.iter().filter(|r| r.ok).count(), n);
    // (moment, pods the garbage collector deleted) per item that deleted any.
    let mut scans = Vec::new();
    while cluster.next_due().is_some_and(|t| t <= SimTime(2_000)) {
        let gc = cluster
            .next_item()
            .is_some_and(|i| i == "timer of garbage-collector-controller");
        let Some(report) = cluster.step() else { break };
        let deleted = report
            .steps
            .iter()
            .filter(|s| {
                &*s.component == "kube-apiserver" && s.detail.starts_with("deleted /registry/pods/")
            })
            .count();
        if gc && deleted > 0 {
            scans.push((report.time.to_string(), deleted));
        }
    }
    assert!(scans.len() >= 2, "{scans:?}");
    assert!(scans.iter().all(|(t, _)| *t == scans[0].0), "{scans:?}");
    assert_eq!(scans.iter().map(|(_, d)| d).sum::<usize>(), n, "{scans:?}");
    let left = pods(&cluster)
        .iter()
        .filter(|p| {
            p.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("of-gone-"))
        })
        .count();
    assert_eq!(left, 0);
}

/// Steps the cluster through its first millisecond and returns, for each item that created pods
/// named `prefix…` in `default`, its virtual time and how many it created.
fn creations_per_item(cluster: &mut Cluster, prefix: &str) -> Vec<(String, usize)> {
    let created = format!("created /registry/pods/default/{prefix}");
    let mut items = Vec::new();
    while cluster.next_due().is_some_and(|t| t <= SimTime(1)) {
        let Some(report) = cluster.step() else { break };
        let n = report
            .steps
            .iter()
            .filter(|s| s.detail.starts_with(&created))
            .count();
        if n > 0 {
            items.push((report.time.to_string(), n));
        }
    }
    items
}

/// A slow-start batch bigger than 32 creations is made in items of at most 32 at the same
/// moment (upstream makes a batch's creations at once, in goroutines): 100 replicas are created
/// in batches of 1, 2, 4, 8, 16, 32 and 37, the last in two items, and no item of the
/// simulation holds more than 32 creations.
#[test]
fn a_big_slow_start_batch_is_made_in_items_of_at_most_32_creations() {
    let mut cluster = Cluster::default();
    let results = cluster.apply(
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: big}\nspec:\n  replicas: 100\n  selector: {matchLabels: {app: big}}\n  template:\n    metadata: {labels: {app: big}}\n    spec: {containers: [{name: c, image: nginx}]}\n",
        "rs.yaml",
    );
    assert_eq!(
        podflow_tests::kubectl_lines(&results),
        "replicaset.apps/big created"
    );
    let items = creations_per_item(&mut cluster, "big-");
    let at = |n: usize| ("0.001s".to_string(), n);
    assert_eq!(
        items,
        vec![at(1), at(2), at(4), at(8), at(16), at(32), at(32), at(5)]
    );
    assert_eq!(cluster.objects(&["Pod"]).len(), 100);
}

#[test]
fn a_daemon_set_on_300_nodes_creates_at_most_250_pods_a_sync() {
    let mut cluster = Cluster::new(podflow_core::ClusterConfig {
        seed: 1,
        nodes: podflow_core::nodes::NodePool {
            count: 300,
            ..Default::default()
        }
        .nodes(),
        ..Default::default()
    });
    let results = cluster.apply(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec: {containers: [{name: c, image: nginx}]}\n",
        "ds.yaml",
    );
    assert_eq!(
        podflow_tests::kubectl_lines(&results),
        "daemonset.apps/agent created"
    );
    let items = creations_per_item(&mut cluster, "agent-");
    // Upstream's `burstReplicas`: 250 in the first sync (slow-start batches 1, 2, 4, … 128,
    // then 115), the other 50 in the sync the new pods' watch events bring.
    assert_eq!(
        items,
        vec![("0.001s".to_string(), 250), ("0.001s".to_string(), 50)]
    );
    assert_eq!(cluster.objects(&["Pod"]).len(), 300);
}
