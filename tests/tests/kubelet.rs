//! The kubelet in the flow, as golden timelines in virtual time: what `kubectl get events` and
//! `kubectl get pod -o yaml` show while a pod is pulled, created, started, probed, restarted,
//! backed off and deleted, with Kubernetes v1.33's reasons and messages.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ContainerStatus, Pod, PodStatus};
use podflow_core::kubelet::timing::go_duration;
use podflow_core::object::Object;
use podflow_core::sim::SimDuration;
use podflow_core::Cluster;
use podflow_tests::manifests;

/// One event write as a user sees it.
#[derive(Debug, Clone)]
struct Ev {
    at: u64,
    pod: String,
    type_: String,
    reason: String,
    field: String,
    message: String,
    host: String,
}

/// A cluster stepped one item at a time, logging every event write and status change.
struct Run {
    cluster: Cluster,
    cursor: i64,
    events: Vec<Ev>,
    statuses: Vec<(u64, String, PodStatus)>,
    gone: BTreeMap<String, u64>,
}

impl Run {
    fn new(text: &str) -> Run {
        let (cluster, results) = Cluster::load(&[("pod.yaml".to_string(), text.to_string())]);
        assert!(results.iter().all(|r| r.ok), "{results:?}");
        let mut run = Run {
            cluster,
            cursor: 0,
            events: Vec::new(),
            statuses: Vec::new(),
            gone: BTreeMap::new(),
        };
        run.collect();
        run
    }

    fn secs(&mut self, secs: u64) {
        let end = self.cluster.now().0 + secs * 1000;
        while self.cluster.next_due().is_some_and(|t| t.0 <= end) {
            self.cluster.step();
            self.collect();
        }
        let left = end.saturating_sub(self.cluster.now().0);
        self.cluster.run_for(SimDuration(left));
    }

    fn collect(&mut self) {
        let now = self.cluster.now().0;
        let (written, cursor) = self.cluster.events_since(self.cursor);
        self.cursor = cursor;
        for e in written {
            if let Object::Event(e) = &*e {
                self.events.push(Ev {
                    at: now,
                    pod: e.involved_object.name.clone().unwrap_or_default(),
                    type_: e.type_.clone().unwrap_or_default(),
                    reason: e.reason.clone().unwrap_or_default(),
                    field: e.involved_object.field_path.clone().unwrap_or_default(),
                    message: e.message.clone().unwrap_or_default(),
                    host: e
                        .source
                        .as_ref()
                        .and_then(|s| s.host.clone())
                        .unwrap_or_default(),
                });
            }
        }
        let mut present = Vec::new();
        for o in self.cluster.objects(&["Pod"]) {
            if let Object::Pod(p) = &*o {
                let name = p.metadata.name.clone().unwrap_or_default();
                present.push(name.clone());
                let status = p.status.clone().unwrap_or_default();
                let last = self.statuses.iter().rev().find(|(_, n, _)| *n == name);
                if last.is_none_or(|(_, _, s)| *s != status) {
                    self.statuses.push((now, name, status));
                }
            }
        }
        for (_, name, _) in &self.statuses {
            if !present.contains(name) && !self.gone.contains_key(name) {
                self.gone.insert(name.clone(), now);
            }
        }
    }

    fn of(&self, pod: &str) -> Vec<&Ev> {
        self.events.iter().filter(|e| e.pod == pod).collect()
    }

    fn with(&self, pod: &str, reason: &str) -> Vec<&Ev> {
        self.events
            .iter()
            .filter(|e| e.pod == pod && e.reason == reason)
            .collect()
    }

    fn pod(&self, name: &str) -> Pod {
        *self
            .cluster
            .objects(&["Pod"])
            .iter()
            .find_map(|o| match &**o {
                Object::Pod(p) if p.metadata.name.as_deref() == Some(name) => Some(p.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no pod {name}"))
    }

    fn history(&self, pod: &str) -> Vec<(u64, &PodStatus)> {
        self.statuses
            .iter()
            .filter(|(_, n, s)| n == pod && s.start_time.is_some())
            .map(|(t, _, s)| (*t, s))
            .collect()
    }
}

fn conditions(s: &PodStatus) -> Vec<String> {
    s.conditions
        .iter()
        .flatten()
        .map(|c| {
            let mut line = format!("{} {}", c.type_, c.status);
            if let Some(r) = &c.reason {
                line.push_str(&format!(" {r}"));
            }
            if let Some(m) = &c.message {
                line.push_str(&format!(" {m}"));
            }
            line
        })
        .collect()
}

fn container<'a>(s: &'a PodStatus, name: &str) -> &'a ContainerStatus {
    s.container_statuses
        .iter()
        .flatten()
        .chain(s.init_container_statuses.iter().flatten())
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no status for {name}"))
}

fn waiting(c: &ContainerStatus) -> Option<(String, String)> {
    c.state.as_ref().and_then(|s| s.waiting.as_ref()).map(|w| {
        (
            w.reason.clone().unwrap_or_default(),
            w.message.clone().unwrap_or_default(),
        )
    })
}

fn last_terminated(c: &ContainerStatus) -> (i32, String) {
    let t = c
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref())
        .expect("lastState.terminated");
    (t.exit_code, t.reason.clone().unwrap_or_default())
}

fn reasons(evs: &[&Ev]) -> Vec<String> {
    evs.iter().map(|e| e.reason.clone()).collect()
}

const NGINX: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\n  labels: {run: nginx}\nspec:\n  containers:\n  - name: nginx\n    image: nginx\n";

#[test]
fn kubectl_run_nginx_is_scheduled_pulled_created_and_started_and_becomes_ready() {
    let mut run = Run::new(NGINX);
    run.secs(15);
    let evs = run.of("nginx");
    assert_eq!(
        reasons(&evs),
        ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    );
    let node = run
        .pod("nginx")
        .spec
        .and_then(|s| s.node_name)
        .unwrap_or_default();
    for e in &evs[1..] {
        assert_eq!(e.field, "spec.containers{nginx}");
        assert_eq!(e.host, node);
        assert_eq!(e.type_, "Normal");
    }
    let (pulling, pulled) = (evs[1], evs[2]);
    assert_eq!(pulling.message, "Pulling image \"nginx\"");
    let took = go_duration(pulled.at - pulling.at);
    assert_eq!(
        pulled.message,
        format!("Successfully pulled image \"nginx\" in {took} ({took} including waiting). Image size: 192385289 bytes.")
    );
    // 192 MB at the node's 40 MB/s.
    assert!(pulled.at - pulling.at >= 4_810, "{took}");
    assert_eq!(evs[3].message, "Created container: nginx");
    assert_eq!(evs[4].message, "Started container nginx");
    assert!(evs.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(evs[4].at < 8_000, "started at {}", evs[4].at);

    let history = run.history("nginx");
    // Written by the kubelet (it sets startTime): admitted, sandbox up, started.
    let kubelet: Vec<_> = history
        .iter()
        .filter(|(_, s)| s.start_time.is_some())
        .collect();
    assert_eq!(
        kubelet.len(),
        3,
        "{:#?}",
        kubelet
            .iter()
            .map(|(t, s)| (t, conditions(s)))
            .collect::<Vec<_>>()
    );
    let unready = "containers with unready status: [nginx]";
    let (t0, admitted) = kubelet[0];
    assert!(*t0 < pulling.at + 1 && *t0 > 0);
    assert_eq!(admitted.phase.as_deref(), Some("Pending"));
    assert_eq!(
        conditions(admitted),
        [
            "PodReadyToStartContainers False".to_string(),
            "Initialized True".into(),
            format!("Ready False ContainersNotReady {unready}"),
            format!("ContainersReady False ContainersNotReady {unready}"),
            "PodScheduled True".into(),
        ]
    );
    assert_eq!(
        waiting(container(admitted, "nginx")),
        Some(("ContainerCreating".into(), String::new()))
    );
    assert_eq!(admitted.pod_ip, None);
    assert!(admitted
        .host_ip
        .as_deref()
        .is_some_and(|ip| ip.starts_with("172.18.0.")));

    let (_, sandbox) = kubelet[1];
    assert_eq!(sandbox.phase.as_deref(), Some("Pending"));
    assert_eq!(conditions(sandbox)[0], "PodReadyToStartContainers True");
    let index = node.trim_start_matches("node-");
    assert_eq!(sandbox.pod_ip, Some(format!("10.244.{index}.2")));

    let (t2, running) = kubelet[2];
    assert_eq!(*t2, evs[4].at, "Ready when Started");
    assert_eq!(running.phase.as_deref(), Some("Running"));
    assert_eq!(
        conditions(running),
        [
            "PodReadyToStartContainers True",
            "Initialized True",
            "Ready True",
            "ContainersReady True",
            "PodScheduled True"
        ]
    );
    let c = container(running, "nginx");
    assert!(c.ready && c.started == Some(true) && c.restart_count == 0);
    assert_eq!(c.image, "docker.io/library/nginx:latest");
    assert!(c.image_id.starts_with("docker.io/library/nginx@sha256:"));
    let id = c.container_id.clone().unwrap_or_default();
    let hex = id.strip_prefix("containerd://").unwrap_or("");
    assert!(
        hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    assert!(c.state.as_ref().and_then(|s| s.running.as_ref()).is_some());
}

#[test]
fn exec_liveness_fails_after_thirty_seconds_is_killed_after_the_grace_period_and_restarts() {
    let Some(dir) = manifests::dir() else { return };
    let mut run = Run::new(&manifests::read(&dir, "pods__probe__exec-liveness.yaml"));
    run.secs(120);
    let pod = "liveness-exec";
    let started = run.with(pod, "Started");
    let s1 = started[0].at;
    let unhealthy = run.with(pod, "Unhealthy");
    assert!(unhealthy.len() >= 3);
    for u in &unhealthy {
        assert_eq!(u.type_, "Warning");
        assert_eq!(
            u.message.trim_end(),
            "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory"
        );
    }
    // The file goes 30 s after the start; the probe runs every 5 s.
    let f1 = unhealthy[0].at;
    assert!(
        f1 > s1 + 30_000 && f1 <= s1 + 35_000,
        "start {s1}, first failure {f1}"
    );
    // Probes tick every 5 s; each answer lands after its own 2–10 ms round trip
    // (`probeLatency`), so failures are 5 s apart give or take 8 ms.
    assert!(
        unhealthy[1].at.abs_diff(f1 + 5_000) <= 8,
        "{f1} {}",
        unhealthy[1].at
    );
    assert!(
        unhealthy[2].at.abs_diff(f1 + 10_000) <= 8,
        "{f1} {}",
        unhealthy[2].at
    );
    let killing = run.with(pod, "Killing");
    assert_eq!(
        killing[0].message,
        "Container liveness failed liveness probe, will be restarted"
    );
    assert_eq!(killing[0].at, unhealthy[2].at);
    // `sh` ignores SIGTERM: SIGKILL after the 30 s grace period, then the new container.
    let s2 = started[1].at;
    assert!(
        s2 >= killing[0].at + 30_000 && s2 < killing[0].at + 33_000,
        "killed {}, restarted {s2}",
        killing[0].at
    );
    // `k8s.gcr.io/busybox` is `:latest`, so `Always`: pulled again for the new container.
    assert_eq!(run.with(pod, "Pulling").len(), 2);
    let status = run
        .history(pod)
        .into_iter()
        .find(|(t, _)| *t == s2)
        .map(|(_, s)| s.clone())
        .unwrap_or_default();
    let c = container(&status, "liveness");
    assert_eq!(c.restart_count, 1);
    assert_eq!(last_terminated(c), (137, "Error".to_string()));
    assert_eq!(status.phase.as_deref(), Some("Running"));
}

const HTTP_LIVENESS: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    test: liveness\n  name: liveness-http\nspec:\n  containers:\n  - name: liveness\n    image: registry.k8s.io/e2e-test-images/agnhost:2.40\n    args:\n    - liveness\n    livenessProbe:\n      httpGet:\n        path: /healthz\n        port: 8080\n        httpHeaders:\n        - name: Custom-Header\n          value: Awesome\n      initialDelaySeconds: 3\n      periodSeconds: 3\n";

#[test]
fn http_liveness_answers_500_after_ten_seconds_and_the_container_is_restarted() {
    let mut run = Run::new(HTTP_LIVENESS);
    run.secs(40);
    let pod = "liveness-http";
    let s1 = run.with(pod, "Started")[0].at;
    let unhealthy = run.with(pod, "Unhealthy");
    assert!(unhealthy.len() >= 3);
    assert!(unhealthy
        .iter()
        .all(|u| u.message == "Liveness probe failed: HTTP probe failed with statuscode: 500"));
    let f1 = unhealthy[0].at;
    assert!(
        f1 > s1 + 10_000 && f1 <= s1 + 13_000,
        "start {s1}, failure {f1}"
    );
    // Two 3 s periods, give or take the two answers' 2–10 ms round trips (`probeLatency`).
    assert!(
        unhealthy[2].at.abs_diff(f1 + 6_000) <= 8,
        "{f1} {}",
        unhealthy[2].at
    );
    let killing = run.with(pod, "Killing")[0];
    assert_eq!(killing.at, unhealthy[2].at);
    assert_eq!(
        killing.message,
        "Container liveness failed liveness probe, will be restarted"
    );
    // The server exits on SIGTERM at once; the first restart has no back-off.
    let created = run.with(pod, "Created");
    assert!(created[1].at > killing.at && created[1].at < killing.at + 2_000);
    assert!(run.with(pod, "Pulled")[1]
        .message
        .ends_with("already present on machine"));
}

const CRASH: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: crash\nspec:\n  containers:\n  - name: app\n    image: busybox:1.36\n    command: [sh, -c, 'sleep 2; exit 1']\n";

#[test]
fn a_crashing_container_backs_off_ten_twenty_forty_seconds_in_crash_loop_back_off() {
    let mut run = Run::new(CRASH);
    run.secs(150);
    let uid = run.pod("crash").metadata.uid.unwrap_or_default();
    let starts: Vec<u64> = run.with("crash", "Started").iter().map(|e| e.at).collect();
    assert!(starts.len() >= 5, "{starts:?}");
    // Each run lasts 2 s; PLEG notices within 1 s; create + start take under 1 s.
    let gaps: Vec<u64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    for (gap, backoff) in gaps.iter().zip([0, 10_000, 20_000, 40_000]) {
        assert!(
            *gap >= 2_000 + backoff && *gap <= 4_000 + backoff,
            "gaps {gaps:?}"
        );
    }
    let backoffs = run.with("crash", "BackOff");
    assert!(!backoffs.is_empty());
    for b in &backoffs {
        assert_eq!(b.type_, "Warning");
        assert_eq!(
            b.message,
            format!("Back-off restarting failed container app in pod crash_default({uid})")
        );
    }
    let mut messages: Vec<String> = Vec::new();
    for (_, s) in run.history("crash") {
        if let Some((reason, message)) = waiting(container(s, "app")) {
            if reason == "CrashLoopBackOff" && !messages.contains(&message) {
                messages.push(message);
            }
        }
    }
    let expect: Vec<String> = ["10s", "20s", "40s"]
        .iter()
        .map(|d| format!("back-off {d} restarting failed container=app pod=crash_default({uid})"))
        .collect();
    assert_eq!(messages[..3], expect[..]);
    let status = run.pod("crash").status.unwrap_or_default();
    assert_eq!(status.phase.as_deref(), Some("Running"));
    let c = container(&status, "app");
    assert_eq!(last_terminated(c), (1, "Error".to_string()));
    assert_eq!(c.restart_count as usize, starts.len() - 1);
}

#[test]
fn a_tag_that_does_not_exist_gives_err_image_pull_then_image_pull_back_off() {
    let mut run = Run::new(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n  - name: app\n    image: nginx:nope\n",
    );
    run.secs(60);
    let evs: Vec<(String, String, String)> = run
        .of("bad")
        .iter()
        .skip(1)
        .take(5)
        .map(|e| (e.type_.clone(), e.reason.clone(), e.message.clone()))
        .collect();
    let t = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        evs,
        [
            t("Normal", "Pulling", "Pulling image \"nginx:nope\""),
            t("Warning", "Failed", "Failed to pull image \"nginx:nope\": rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:nope\": failed to resolve reference \"docker.io/library/nginx:nope\": docker.io/library/nginx:nope: not found"),
            t("Warning", "Failed", "Error: ErrImagePull"),
            t("Normal", "BackOff", "Back-off pulling image \"nginx:nope\""),
            t("Warning", "Failed", "Error: ImagePullBackOff"),
        ]
    );
    let mut reasons_seen: Vec<String> = Vec::new();
    for (_, s) in run.history("bad") {
        if let Some((reason, _)) = waiting(container(s, "app")) {
            if reasons_seen.last() != Some(&reason) {
                reasons_seen.push(reason);
            }
        }
        assert_ne!(s.phase.as_deref(), Some("Running"));
    }
    assert_eq!(
        reasons_seen[..4],
        [
            "ContainerCreating",
            "ErrImagePull",
            "ImagePullBackOff",
            "ErrImagePull"
        ]
    );
    let status = run.pod("bad").status.unwrap_or_default();
    assert_eq!(
        waiting(container(&status, "app")),
        Some((
            "ImagePullBackOff".to_string(),
            "Back-off pulling image \"nginx:nope\"".to_string()
        ))
    );
    // Pulls retry after 10 s, then 20 s, from the previous failure.
    let pulls: Vec<u64> = run.with("bad", "Pulling").iter().map(|e| e.at).collect();
    let fails: Vec<u64> = run
        .of("bad")
        .iter()
        .filter(|e| e.message == "Error: ErrImagePull")
        .map(|e| e.at)
        .collect();
    assert!(pulls.len() >= 3 && fails.len() >= 2);
    assert_eq!(pulls[1] - fails[0], 10_000);
    assert_eq!(pulls[2] - fails[1], 20_000);
}

#[test]
fn a_missing_config_map_fails_the_mount_until_it_is_created_then_the_pod_completes() {
    let Some(dir) = manifests::dir() else { return };
    let scenario = "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  actions:\n  - at: 20s\n    apply: |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata: {name: special-config}\n      data: {SPECIAL_LEVEL: very, SPECIAL_TYPE: charm}\n---\n";
    let text = format!(
        "{scenario}{}",
        manifests::read(&dir, "pods__pod-configmap-volume.yaml").trim_start_matches("---\n")
    );
    let mut run = Run::new(&text);
    let pod = "dapi-test-pod";
    run.secs(19);
    let mounts = run.with(pod, "FailedMount");
    assert!(mounts.len() >= 4, "{mounts:?}");
    for m in &mounts {
        assert_eq!(m.type_, "Warning");
        assert_eq!(m.field, "");
        assert_eq!(
            m.message,
            "MountVolume.SetUp failed for volume \"config-volume\" : configmap \"special-config\" not found"
        );
    }
    // The volume manager retries with a doubling back-off.
    let gaps: Vec<u64> = mounts.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert_eq!(gaps[..3], [500, 1_000, 2_000]);
    let status = run.pod(pod).status.unwrap_or_default();
    assert_eq!(status.phase.as_deref(), Some("Pending"));
    assert_eq!(status.pod_ip, None);
    assert_eq!(conditions(&status)[0], "PodReadyToStartContainers False");
    assert_eq!(
        waiting(container(&status, "test-container")).map(|w| w.0),
        Some("ContainerCreating".into())
    );
    assert!(run.with(pod, "Pulling").is_empty());
    run.secs(60);
    let last_mount = run
        .with(pod, "FailedMount")
        .last()
        .map(|e| e.at)
        .unwrap_or(0);
    assert!(last_mount < 20_000);
    let pulling = run.with(pod, "Pulling")[0].at;
    assert!(pulling > 20_000 && pulling < 20_000 + 66_000);
    let status = run.pod(pod).status.unwrap_or_default();
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    let c = container(&status, "test-container");
    let t = c
        .state
        .as_ref()
        .and_then(|s| s.terminated.as_ref())
        .expect("terminated");
    assert_eq!((t.exit_code, t.reason.as_deref()), (0, Some("Completed")));
    assert_eq!(
        conditions(&status)[2..4],
        [
            "Ready False PodCompleted",
            "ContainersReady False PodCompleted"
        ]
    );
}

#[test]
fn a_missing_secret_key_is_create_container_config_error() {
    let mut run = Run::new(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: test-secret\nstringData:\n  password: s3cr3t\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: env-pod\nspec:\n  containers:\n  - name: app\n    image: busybox:1.36\n    command: [sleep, '3600']\n    env:\n    - name: SECRET_USERNAME\n      valueFrom:\n        secretKeyRef: {name: test-secret, key: username}\n",
    );
    run.secs(25);
    let failed = run.with("env-pod", "Failed");
    assert!(failed.len() >= 2);
    for f in &failed {
        assert_eq!(f.type_, "Warning");
        assert_eq!(f.field, "spec.containers{app}");
        assert_eq!(
            f.message,
            "Error: couldn't find key username in Secret default/test-secret"
        );
    }
    assert_eq!(failed[1].at - failed[0].at, 10_000);
    assert!(run.with("env-pod", "Created").is_empty());
    let status = run.pod("env-pod").status.unwrap_or_default();
    assert_eq!(status.phase.as_deref(), Some("Pending"));
    assert_eq!(
        waiting(container(&status, "app")),
        Some((
            "CreateContainerConfigError".to_string(),
            "couldn't find key username in Secret default/test-secret".to_string()
        ))
    );
}

#[test]
fn an_init_container_runs_to_completion_before_the_app_container_starts() {
    let mut run = Run::new(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: init-demo\nspec:\n  initContainers:\n  - name: install\n    image: busybox:1.28\n    command: [sh, -c, 'sleep 2']\n  containers:\n  - name: nginx\n    image: nginx:1.14.2\n",
    );
    run.secs(20);
    let evs = run.of("init-demo");
    let fields: Vec<String> = evs
        .iter()
        .skip(1)
        .map(|e| format!("{} {}", e.reason, e.field))
        .collect();
    assert_eq!(
        fields,
        [
            "Pulling spec.initContainers{install}",
            "Pulled spec.initContainers{install}",
            "Created spec.initContainers{install}",
            "Started spec.initContainers{install}",
            "Pulling spec.containers{nginx}",
            "Pulled spec.containers{nginx}",
            "Created spec.containers{nginx}",
            "Started spec.containers{nginx}",
        ]
    );
    assert!(
        evs[5].at >= evs[4].at + 2_000,
        "the app waits for the init container"
    );
    let history = run.history("init-demo");
    let initializing = history
        .iter()
        .find(|(_, s)| s.pod_ip.is_some())
        .map(|(_, s)| *s)
        .expect("sandbox");
    assert_eq!(initializing.phase.as_deref(), Some("Pending"));
    assert_eq!(
        conditions(initializing)[1],
        "Initialized False ContainersNotInitialized containers with incomplete status: [install]"
    );
    assert_eq!(
        waiting(container(initializing, "nginx")).map(|w| w.0),
        Some("PodInitializing".into())
    );
    let status = run.pod("init-demo").status.unwrap_or_default();
    assert_eq!(status.phase.as_deref(), Some("Running"));
    assert_eq!(conditions(&status)[1], "Initialized True");
    let init = container(&status, "install");
    assert!(init.ready);
    let t = init
        .state
        .as_ref()
        .and_then(|s| s.terminated.as_ref())
        .expect("terminated");
    assert_eq!((t.exit_code, t.reason.as_deref()), (0, Some("Completed")));
}

#[test]
fn a_sidecar_starts_first_and_keeps_running_beside_the_app() {
    let mut run = Run::new(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: with-sidecar\nspec:\n  initContainers:\n  - name: logshipper\n    image: alpine:latest\n    restartPolicy: Always\n    command: [sh, -c, 'sleep 3600']\n  containers:\n  - name: app\n    image: busybox:1.36\n    command: [sleep, '3600']\n",
    );
    run.secs(20);
    let started = run.with("with-sidecar", "Started");
    assert_eq!(started[0].field, "spec.initContainers{logshipper}");
    assert_eq!(started[1].field, "spec.containers{app}");
    let app_pulling = run
        .with("with-sidecar", "Pulling")
        .into_iter()
        .find(|e| e.field == "spec.containers{app}")
        .map(|e| e.at)
        .unwrap_or(0);
    assert!(app_pulling >= started[0].at);
    let status = run.pod("with-sidecar").status.unwrap_or_default();
    assert_eq!(status.phase.as_deref(), Some("Running"));
    assert_eq!(
        conditions(&status),
        [
            "PodReadyToStartContainers True",
            "Initialized True",
            "Ready True",
            "ContainersReady True",
            "PodScheduled True"
        ]
    );
    let sidecar = container(&status, "logshipper");
    assert!(sidecar.ready && sidecar.started == Some(true));
    assert!(sidecar
        .state
        .as_ref()
        .and_then(|s| s.running.as_ref())
        .is_some());
}

#[test]
fn a_container_over_its_memory_limit_is_oom_killed_and_restarted() {
    let Some(dir) = manifests::dir() else { return };
    let text = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: mem-example\n---\n{}",
        manifests::read(&dir, "pods__resource__memory-request-limit-2.yaml")
            .trim_start_matches("---\n")
    );
    let mut run = Run::new(&text);
    run.secs(40);
    let pod = "memory-demo-2";
    let mut oom_seen = false;
    for (_, s) in run.history(pod) {
        let c = container(s, "memory-demo-2-ctr");
        if let Some(t) = c.state.as_ref().and_then(|s| s.terminated.as_ref()) {
            assert_eq!((t.exit_code, t.reason.as_deref()), (137, Some("OOMKilled")));
            oom_seen = true;
        }
    }
    assert!(oom_seen, "the pod showed OOMKilled");
    let status = run.pod(pod).status.unwrap_or_default();
    let c = container(&status, "memory-demo-2-ctr");
    assert_eq!(last_terminated(c), (137, "OOMKilled".to_string()));
    assert!(c.restart_count >= 2);
    assert!(!run.with(pod, "BackOff").is_empty());
}

#[test]
fn two_containers_start_one_after_the_other_and_the_pod_is_ready_with_both() {
    let mut run = Run::new(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: two\nspec:\n  containers:\n  - name: web\n    image: nginx:1.14.2\n  - name: helper\n    image: busybox:1.36\n    command: [sleep, '3600']\n",
    );
    run.secs(15);
    let evs = run.of("two");
    let fields: Vec<String> = evs
        .iter()
        .skip(1)
        .map(|e| format!("{} {}", e.reason, e.field))
        .collect();
    assert_eq!(
        fields,
        [
            "Pulling spec.containers{web}",
            "Pulled spec.containers{web}",
            "Created spec.containers{web}",
            "Started spec.containers{web}",
            "Pulling spec.containers{helper}",
            "Pulled spec.containers{helper}",
            "Created spec.containers{helper}",
            "Started spec.containers{helper}",
        ]
    );
    let history = run.history("two");
    let one_up = history
        .iter()
        .find(|(_, s)| {
            s.container_statuses
                .iter()
                .flatten()
                .filter(|c| c.ready)
                .count()
                == 1
        })
        .map(|(_, s)| *s)
        .expect("web up first");
    assert_eq!(one_up.phase.as_deref(), Some("Pending"));
    assert_eq!(
        conditions(one_up)[2],
        "Ready False ContainersNotReady containers with unready status: [helper]"
    );
    let status = run.pod("two").status.unwrap_or_default();
    assert_eq!(status.phase.as_deref(), Some("Running"));
    assert_eq!(conditions(&status)[2], "Ready True");
}

#[test]
fn a_deleted_pod_is_stopped_then_removed_after_its_containers_exit() {
    let mut run = Run::new(
        "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  actions:\n  - {at: 10s, delete: pod/nginx}\n  - {at: 10s, delete: pod/sleeper}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: nginx}\nspec:\n  containers: [{name: nginx, image: nginx}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: sleeper}\nspec:\n  containers: [{name: app, image: busybox:1.36, command: [sleep, '3600']}]\n",
    );
    run.secs(39);
    let killing = run.with("nginx", "Killing");
    assert_eq!(killing.len(), 1);
    assert_eq!(killing[0].message, "Stopping container nginx");
    assert!(killing[0].at >= 10_000 && killing[0].at < 10_100);
    // nginx exits on SIGTERM: gone within a second.
    let gone = run.gone.get("nginx").copied().expect("nginx deleted");
    assert!(
        gone > killing[0].at && gone < killing[0].at + 1_000,
        "{gone}"
    );
    // Its last status, written by the kubelet before it deleted the object: terminal, the
    // container terminated after SIGTERM (exit 0).
    let written = run
        .cluster
        .api()
        .store
        .history("/registry/pods/default/nginx");
    let last = written
        .iter()
        .rev()
        .find_map(|h| match &*h.object {
            Object::Pod(p) if h.writer.starts_with("kubelet/") => p.status.clone(),
            _ => None,
        })
        .unwrap_or_default();
    assert_eq!(last.phase.as_deref(), Some("Succeeded"));
    let t = container(&last, "nginx")
        .state
        .as_ref()
        .and_then(|s| s.terminated.clone())
        .expect("terminated");
    assert_eq!((t.exit_code, t.reason.as_deref()), (0, Some("Completed")));
    // `sleep` ignores SIGTERM: the pod stays (terminating) for its 30 s grace period.
    assert_eq!(
        run.with("sleeper", "Killing")[0].message,
        "Stopping container app"
    );
    assert!(run.pod("sleeper").metadata.deletion_timestamp.is_some());
    assert!(!run.gone.contains_key("sleeper"));
    run.secs(2);
    let gone = run.gone.get("sleeper").copied().expect("sleeper deleted");
    assert!((40_000..41_000).contains(&gone), "{gone}");
}

#[test]
fn a_pod_placed_on_a_node_without_room_is_rejected_out_of_cpu() {
    let mut run = Run::new(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  nodeName: node-1\n  containers:\n  - name: app\n    image: nginx\n    resources:\n      requests: {cpu: '5'}\n",
    );
    run.secs(5);
    let evs = run.of("big");
    assert_eq!(evs.len(), 1);
    assert_eq!(
        (evs[0].type_.as_str(), evs[0].reason.as_str()),
        ("Warning", "OutOfcpu")
    );
    assert_eq!(
        evs[0].message,
        "Node didn't have enough resource: cpu, requested: 5000, used: 0, capacity: 4000"
    );
    let status = run.pod("big").status.unwrap_or_default();
    assert_eq!(status.phase.as_deref(), Some("Failed"));
    assert_eq!(status.reason.as_deref(), Some("OutOfcpu"));
    assert_eq!(
        status.message.as_deref(),
        Some("Pod was rejected: Node didn't have enough resource: cpu, requested: 5000, used: 0, capacity: 4000")
    );
}

#[test]
fn the_scenario_image_catalog_and_timing_override_the_built_in_ones() {
    let mut run = Run::new(
        "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  imageCatalog:\n  - image: registry.example.com/team/web:v2\n    size: 30000000\n    entrypoint: [nginx, -g, 'daemon off;']\n  timing:\n    pullBytesPerSecond: 10000000\n    pullOverhead: {base: 500ms}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: web\n    image: registry.example.com/team/web:v2\n    readinessProbe:\n      httpGet: {path: /, port: 80}\n      periodSeconds: 2\n",
    );
    run.secs(20);
    let pulled = run.with("web", "Pulled");
    assert_eq!(
        pulled[0].message,
        "Successfully pulled image \"registry.example.com/team/web:v2\" in 3.5s (3.5s including waiting). Image size: 30000000 bytes."
    );
    // The image's entrypoint is nginx: it serves on port 80, so the readiness probe passes.
    let status = run.pod("web").status.unwrap_or_default();
    assert_eq!(conditions(&status)[2], "Ready True");
    assert!(run.with("web", "Unhealthy").is_empty());
}

/// What `kubectl get pod` shows (READY, STATUS) after a run of `secs`.
fn get_pod(text: &str, secs: u64) -> Vec<(String, String, String)> {
    let mut run = Run::new(text);
    run.secs(secs);
    run.cluster
        .snapshot()
        .pods
        .iter()
        .map(|p| (p.name.clone(), p.ready.clone(), p.status.clone()))
        .collect()
}

#[test]
fn the_docs_pod_manifests_reach_the_states_in_the_index() {
    let Some(dir) = manifests::dir() else { return };
    let t = |name: &str, ready: &str, status: &str| {
        vec![(name.to_string(), ready.to_string(), status.to_string())]
    };
    let cases = [
        ("pods__simple-pod.yaml", t("nginx", "1/1", "Running")),
        ("pods__commands.yaml", t("command-demo", "0/1", "Completed")),
        (
            "pods__inject__envars.yaml",
            t("envar-demo", "1/1", "Running"),
        ),
        (
            "pods__inject__dapi-envars-pod.yaml",
            t("dapi-envars-fieldref", "1/1", "Running"),
        ),
        (
            "pods__security__security-context.yaml",
            t("security-context-demo", "1/1", "Running"),
        ),
        ("pods__storage__redis.yaml", t("redis", "1/1", "Running")),
        (
            "pods__probe__tcp-liveness-readiness.yaml",
            t("goproxy", "1/1", "Running"),
        ),
        (
            "pods__pod-configmap-volume.yaml",
            t("dapi-test-pod", "0/1", "ContainerCreating"),
        ),
        // The cluster has egress, as INDEX.tsv assumes: the init container's wget succeeds.
        (
            "pods__init-containers.yaml",
            t("init-demo", "1/1", "Running"),
        ),
    ];
    for (file, want) in cases {
        assert_eq!(get_pod(&manifests::read(&dir, file), 120), want, "{file}");
    }
}

#[test]
fn the_same_seed_replays_the_same_kubelet_timeline() {
    let timeline = || {
        let mut run = Run::new(&format!("{CRASH}---\n{NGINX}"));
        run.secs(60);
        run.events
            .iter()
            .map(|e| format!("{} {} {} {}", e.at, e.pod, e.reason, e.message))
            .collect::<Vec<_>>()
    };
    let a = timeline();
    assert!(a.len() > 10);
    assert_eq!(a, timeline());
}

#[test]
fn tcp_readiness_gates_ready_and_a_failing_readiness_probe_never_restarts() {
    let Some(dir) = manifests::dir() else { return };
    let wrong_port = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: unready\nspec:\n  containers:\n  - name: goproxy\n    image: registry.k8s.io/goproxy:0.1\n    readinessProbe:\n      tcpSocket:\n        port: 9999\n      periodSeconds: 5\n";
    let text = format!(
        "{}{wrong_port}",
        manifests::read(&dir, "pods__probe__tcp-liveness-readiness.yaml")
    );
    let mut run = Run::new(&text);
    run.secs(60);
    let started = run.with("goproxy", "Started")[0].at;
    let history = run.history("goproxy");
    let ready_at = history
        .iter()
        .find(|(_, s)| conditions(s)[2] == "Ready True")
        .map(|(t, _)| *t)
        .expect("ready");
    // The first probe after initialDelaySeconds (15 s) connects; probes tick every 10 s.
    assert!(
        ready_at >= started + 15_000 && ready_at < started + 25_000,
        "started {started}, ready {ready_at}"
    );
    let (_, before) = history
        .iter()
        .rev()
        .find(|(t, _)| *t < ready_at)
        .expect("a status before");
    assert_eq!(before.phase.as_deref(), Some("Running"));
    assert_eq!(
        conditions(before)[2],
        "Ready False ContainersNotReady containers with unready status: [goproxy]"
    );
    let c = container(before, "goproxy");
    assert!(!c.ready && c.started == Some(true));
    assert!(run.with("goproxy", "Unhealthy").is_empty());

    let ip = run
        .pod("unready")
        .status
        .and_then(|s| s.pod_ip)
        .unwrap_or_default();
    let unhealthy = run.with("unready", "Unhealthy");
    assert!(unhealthy.len() >= 3);
    assert!(unhealthy.iter().all(|u| u.message
        == format!("Readiness probe failed: dial tcp {ip}:9999: connect: connection refused")));
    assert!(run.with("unready", "Killing").is_empty());
    let status = run.pod("unready").status.unwrap_or_default();
    assert_eq!(status.phase.as_deref(), Some("Running"));
    assert_eq!(container(&status, "goproxy").restart_count, 0);
    assert_eq!(
        conditions(&status)[2],
        "Ready False ContainersNotReady containers with unready status: [goproxy]"
    );
}

#[test]
fn a_pod_that_completes_stops_its_sidecar_and_succeeds() {
    let mut run = Run::new(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: job-like\nspec:\n  restartPolicy: Never\n  initContainers:\n  - name: proxy\n    image: nginx:1.14.2\n    restartPolicy: Always\n  containers:\n  - name: task\n    image: busybox:1.36\n    command: [sh, -c, 'sleep 5']\n",
    );
    run.secs(30);
    let killing = run.with("job-like", "Killing");
    assert_eq!(killing.len(), 1);
    assert_eq!(killing[0].message, "Stopping container proxy");
    assert_eq!(killing[0].field, "spec.initContainers{proxy}");
    let task_started = run
        .with("job-like", "Started")
        .into_iter()
        .find(|e| e.field == "spec.containers{task}")
        .map(|e| e.at)
        .unwrap_or(0);
    // The task runs 5 s; PLEG notices within a second.
    assert!(killing[0].at >= task_started + 5_000 && killing[0].at <= task_started + 6_000);
    let status = run.pod("job-like").status.unwrap_or_default();
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    let proxy = container(&status, "proxy");
    assert_eq!(proxy.restart_count, 0);
    assert!(proxy
        .state
        .as_ref()
        .and_then(|s| s.terminated.as_ref())
        .is_some());
}

const POST_START_FILE: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: lifecycle-demo\nspec:\n  containers:\n  - name: lifecycle-demo-container\n    image: nginx\n    lifecycle:\n      postStart:\n        exec:\n          command: [\"/bin/sh\", \"-c\", \"echo Hello from the postStart handler > /usr/share/message\"]\n    readinessProbe:\n      exec:\n        command: [cat, /usr/share/message]\n      periodSeconds: 2\n";

#[test]
fn a_post_start_hook_writes_a_file_that_an_exec_readiness_probe_reads() {
    let mut run = Run::new(POST_START_FILE);
    run.secs(20);
    let pod = "lifecycle-demo";
    assert_eq!(
        reasons(&run.of(pod)),
        ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    );
    let status = run.pod(pod).status.unwrap_or_default();
    assert_eq!(status.phase.as_deref(), Some("Running"));
    assert!(container(&status, "lifecycle-demo-container").ready);
    assert_eq!(conditions(&status)[2], "Ready True");
}

#[test]
fn the_next_container_waits_for_a_sleep_post_start_hook() {
    let mut run = Run::new(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: slow-hook\nspec:\n  containers:\n  - name: first\n    image: busybox:1.36\n    command: [sleep, '3600']\n    lifecycle:\n      postStart:\n        sleep:\n          seconds: 5\n  - name: second\n    image: busybox:1.36\n    command: [sleep, '3600']\n",
    );
    run.secs(20);
    let started = run.with("slow-hook", "Started");
    assert_eq!(started.len(), 2);
    let pulled = run.with("slow-hook", "Pulled");
    // `second` is only looked at once `first`'s hook has returned, 5 s after it started.
    assert!(
        pulled[1].at >= started[0].at + 5_000 && pulled[1].at < started[0].at + 5_100,
        "first started {}, second's image checked {}",
        started[0].at,
        pulled[1].at
    );
    assert!(run.with("slow-hook", "FailedPostStartHook").is_empty());
}

#[test]
fn a_failing_exec_post_start_hook_kills_the_container_which_restarts_with_back_off() {
    let mut run = Run::new(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  terminationGracePeriodSeconds: 2\n  containers:\n  - name: c\n    image: busybox:1.36\n    command: [sleep, '3600']\n    lifecycle:\n      postStart:\n        exec:\n          command: [sh, -c, exit 1]\n",
    );
    run.secs(120);
    let uid = run.pod("p").metadata.uid.unwrap_or_default();
    let failed = run.with("p", "FailedPostStartHook");
    assert!(!failed.is_empty());
    assert_eq!(failed[0].type_, "Warning");
    assert_eq!(failed[0].field, "spec.containers{c}");
    // v1.26+ keeps the handler's message out of the event (kubernetes#119541); it is the
    // container's `PostStartHookError` waiting message once the killed container has exited.
    assert_eq!(failed[0].message, "PostStartHook failed");
    let waiting_msg = run
        .history("p")
        .into_iter()
        .find_map(|(_, s)| waiting(container(s, "c")).filter(|(r, _)| r == "PostStartHookError"))
        .map(|(_, m)| m);
    assert_eq!(
        waiting_msg,
        Some(format!(
            "Exec lifecycle hook ([sh -c exit 1]) for Container \"c\" in Pod \"p_default({uid})\" failed - error: command 'sh -c exit 1' exited with 1: , message: \"\""
        ))
    );
    let started = run.with("p", "Started");
    // The hook's exec round trip is the probe latency (2–10 ms).
    assert!(failed[0].at > started[0].at && failed[0].at <= started[0].at + 10);
    let killing = run.with("p", "Killing");
    assert_eq!(killing[0].message, "FailedPostStartHook");
    assert_eq!(killing[0].type_, "Normal");
    assert_eq!(killing[0].at, failed[0].at);
    let evs = run.of("p");
    let order: Vec<&str> = evs.iter().map(|e| e.reason.as_str()).collect();
    let i = order
        .iter()
        .position(|r| *r == "FailedPostStartHook")
        .unwrap_or_default();
    assert_eq!(order[i + 1], "Killing");
    assert!(started.len() >= 2, "{order:?}");
    assert!(!run.with("p", "BackOff").is_empty(), "{order:?}");
    let c = run.pod("p").status.unwrap_or_default();
    assert!(container(&c, "c").restart_count >= 1);
}

#[test]
fn an_http_post_start_hook_to_a_closed_port_fails_with_connection_refused() {
    let mut run = Run::new(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-hook\nspec:\n  containers:\n  - name: app\n    image: busybox:1.36\n    command: [sleep, '3600']\n    lifecycle:\n      postStart:\n        httpGet:\n          path: /started\n          port: 8080\n",
    );
    // `sleep` ignores SIGTERM: it exits after the 30 s grace period.
    run.secs(45);
    let pod = run.pod("web-hook");
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let ip = pod.status.and_then(|s| s.pod_ip).unwrap_or_default();
    assert!(!ip.is_empty());
    assert_eq!(
        run.with("web-hook", "FailedPostStartHook")[0].message,
        "PostStartHook failed"
    );
    let waiting_msg = run
        .history("web-hook")
        .into_iter()
        .find_map(|(_, s)| waiting(container(s, "app")).filter(|(r, _)| r == "PostStartHookError"))
        .map(|(_, m)| m);
    assert_eq!(
        waiting_msg.unwrap_or_default(),
        format!(
            "HTTP lifecycle hook (/started) for Container \"app\" in Pod \"web-hook_default({uid})\" failed - error: Get \"http://{ip}:8080/started\": dial tcp {ip}:8080: connect: connection refused"
        )
    );
    assert_eq!(
        run.with("web-hook", "Killing")[0].message,
        "FailedPostStartHook"
    );
}
