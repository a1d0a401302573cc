//! Every playground preset, loaded as the playground loads it and run for its `until`: kubectl's
//! lines for the file and its timed actions (every document accepted, or the exact refusal
//! that is the preset's point), then the outcome its explanation promises, as kubectl shows it:
//! pod rows (READY, STATUS, RESTARTS, NODE), node STATUS, Events, and a few object fields.
//! Generated name suffixes and UIDs are matched with `*`.

use podflow_core::object::Object;
use podflow_core::presets::{self, Preset};
use podflow_core::sim::SimDuration;
use podflow_core::Cluster;

use k8s_openapi::api::core::v1::Pod;

/// What one preset must show.
struct Expect {
    slug: &'static str,
    /// kubectl's lines for the file at t=0, then for each timed action, in order.
    kubectl: &'static [&'static str],
    /// Pod rows `namespace/name READY STATUS RESTARTS NODE` at `until` (all of them).
    pods: &'static [&'static str],
    /// Node rows `name STATUS` at `until` (only checked when given).
    nodes: &'static [&'static str],
    /// Events `Reason kind/name Message` that must exist at `until`.
    events: &'static [&'static str],
    /// `(ms, pod, STATUS)` seen on the way, before `until`.
    checkpoints: &'static [(u64, &'static str, &'static str)],
    /// Further checks on the cluster at `until`.
    extra: Option<fn(&Cluster)>,
}

const NONE: Expect = Expect {
    slug: "",
    kubectl: &[],
    pods: &[],
    nodes: &[],
    events: &[],
    checkpoints: &[],
    extra: None,
};

/// `*` matches any run of characters; everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text.ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// Matches every pattern to a distinct line (greedily, in order); returns what is unmatched.
fn unmatched(patterns: &[&str], lines: &[String]) -> (Vec<String>, Vec<String>) {
    let mut left: Vec<String> = lines.to_vec();
    let mut missing = Vec::new();
    for p in patterns {
        match left.iter().position(|l| glob(p, l)) {
            Some(i) => {
                left.remove(i);
            }
            None => missing.push(p.to_string()),
        }
    }
    (missing, left)
}

fn pod_rows(cluster: &Cluster) -> Vec<String> {
    cluster
        .snapshot()
        .pods
        .iter()
        .map(|p| {
            format!(
                "{}/{} {} {} {} {}",
                p.namespace, p.name, p.ready, p.status, p.restarts, p.node
            )
        })
        .collect()
}

fn event_rows(cluster: &Cluster) -> Vec<String> {
    cluster
        .objects(&["Event"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) => Some(format!(
                "{} {}/{} {}",
                e.reason.as_deref().unwrap_or(""),
                e.involved_object
                    .kind
                    .as_deref()
                    .unwrap_or("")
                    .to_lowercase(),
                e.involved_object.name.as_deref().unwrap_or(""),
                e.message.as_deref().unwrap_or("")
            )),
            _ => None,
        })
        .collect()
}

fn pod(cluster: &Cluster, namespace: &str, name: &str) -> Pod {
    match cluster.api().get("Pod", namespace, name).as_deref() {
        Some(Object::Pod(p)) => (**p).clone(),
        other => panic!("pod {namespace}/{name}: {other:?}"),
    }
}

/// Loads a preset, runs it through its checkpoints to `until`, and checks everything.
fn check(preset: &Preset, expect: &Expect) {
    let slug = preset.slug;
    let (mut cluster, results) = preset.load();
    let mut kubectl: Vec<String> = results.iter().map(|r| r.message.clone()).collect();
    let mut ran = SimDuration(0);
    let mut run_to = |cluster: &mut Cluster, to: SimDuration, kubectl: &mut Vec<String>| {
        for report in cluster.run_for(SimDuration(to.0.saturating_sub(ran.0))) {
            kubectl.extend(report.results.iter().map(|r| r.message.clone()));
        }
        ran = to;
    };
    for (ms, name, status) in expect.checkpoints {
        run_to(&mut cluster, SimDuration::millis(*ms), &mut kubectl);
        let seen: Vec<String> = cluster
            .snapshot()
            .pods
            .iter()
            .filter(|p| glob(name, &p.name))
            .map(|p| p.status.clone())
            .collect();
        assert_eq!(seen, [status.to_string()], "{slug}: {name} at {ms} ms");
    }
    run_to(&mut cluster, preset.until, &mut kubectl);
    assert_eq!(kubectl, expect.kubectl, "{slug}: kubectl's lines");
    let (missing, extra) = unmatched(expect.pods, &pod_rows(&cluster));
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{slug}: pods missing {missing:#?}, unexpected {extra:#?}"
    );
    if !expect.nodes.is_empty() {
        let nodes: Vec<String> = cluster
            .snapshot()
            .nodes
            .iter()
            .map(|n| format!("{} {}", n.name, n.status))
            .collect();
        assert_eq!(nodes, expect.nodes, "{slug}: nodes");
    }
    let events = event_rows(&cluster);
    let (missing, _) = unmatched(expect.events, &events);
    assert!(
        missing.is_empty(),
        "{slug}: events missing {missing:#?} in {events:#?}"
    );
    if let Some(extra) = expect.extra {
        extra(&cluster);
    }
}

fn expectations() -> Vec<Expect> {
    vec![
        Expect {
            slug: "hello-nginx",
            kubectl: &["pod/nginx created"],
            pods: &["default/nginx 1/1 Running 0 node-2"],
            events: &[
                "Scheduled pod/nginx Successfully assigned default/nginx to node-2",
                "Pulling pod/nginx Pulling image \"nginx:1.14.2\"",
                "Pulled pod/nginx Successfully pulled image \"nginx:1.14.2\" in 3.401s (3.401s including waiting). Image size: 109129446 bytes.",
                "Created pod/nginx Created container: nginx",
                "Started pod/nginx Started container nginx",
            ],
            ..NONE
        },
        Expect {
            slug: "deployment",
            kubectl: &["deployment.apps/nginx-deployment created"],
            pods: &[
                "default/nginx-deployment-cf4cd4db7-* 1/1 Running 0 node-1",
                "default/nginx-deployment-cf4cd4db7-* 1/1 Running 0 node-2",
                "default/nginx-deployment-cf4cd4db7-* 1/1 Running 0 node-3",
            ],
            events: &[
                "ScalingReplicaSet deployment/nginx-deployment Scaled up replica set nginx-deployment-cf4cd4db7 from 0 to 3",
                "SuccessfulCreate replicaset/nginx-deployment-cf4cd4db7 Created pod: nginx-deployment-cf4cd4db7-*",
                "SuccessfulCreate replicaset/nginx-deployment-cf4cd4db7 Created pod: nginx-deployment-cf4cd4db7-*",
                "SuccessfulCreate replicaset/nginx-deployment-cf4cd4db7 Created pod: nginx-deployment-cf4cd4db7-*",
            ],
            ..NONE
        },
        Expect {
            slug: "insufficient-cpu",
            kubectl: &["namespace/cpu-example created", "pod/cpu-demo-2 created"],
            pods: &["cpu-example/cpu-demo-2 0/1 Pending 0 <none>"],
            events: &["FailedScheduling pod/cpu-demo-2 0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."],
            ..NONE
        },
        Expect {
            slug: "taints-tolerations",
            kubectl: &["pod/nginx created", "pod/no-toleration created"],
            pods: &[
                "default/nginx 1/1 Running 0 node-3",
                "default/no-toleration 0/1 Pending 0 <none>",
            ],
            events: &["FailedScheduling pod/no-toleration 0/3 nodes are available: 3 node(s) had untolerated taint {example-key: value1}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."],
            ..NONE
        },
        Expect {
            slug: "node-affinity",
            kubectl: &["pod/with-node-affinity created", "pod/nginx created"],
            pods: &[
                "default/nginx 1/1 Running 0 node-3",
                "default/with-node-affinity 1/1 Running 0 node-2",
            ],
            events: &[
                "Scheduled pod/with-node-affinity Successfully assigned default/with-node-affinity to node-2",
                "Scheduled pod/nginx Successfully assigned default/nginx to node-3",
            ],
            ..NONE
        },
        Expect {
            slug: "pod-anti-affinity",
            kubectl: &["deployment.apps/web created"],
            pods: &[
                "default/web-7cdbb59746-* 1/1 Running 0 node-1",
                "default/web-7cdbb59746-* 1/1 Running 0 node-2",
                "default/web-7cdbb59746-* 1/1 Running 0 node-3",
                "default/web-7cdbb59746-* 0/1 Pending 0 <none>",
            ],
            events: &["FailedScheduling pod/web-7cdbb59746-* 0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."],
            ..NONE
        },
        Expect {
            slug: "topology-spread",
            kubectl: &["deployment.apps/spread created"],
            pods: &[
                "default/spread-79b4d99f96-* 1/1 Running 0 node-1",
                "default/spread-79b4d99f96-* 1/1 Running 0 node-1",
                "default/spread-79b4d99f96-* 1/1 Running 0 node-2",
                "default/spread-79b4d99f96-* 1/1 Running 0 node-3",
            ],
            ..NONE
        },
        Expect {
            slug: "preemption",
            kubectl: &[
                "priorityclass.scheduling.k8s.io/high-priority created",
                "pod/batch-1 created",
                "pod/batch-2 created",
                "pod/important created",
            ],
            pods: &[
                "default/batch-1 1/1 Running 0 node-2",
                "default/important 1/1 Running 0 node-1",
            ],
            events: &[
                "FailedScheduling pod/important 0/2 nodes are available: 2 Insufficient cpu.",
                "Preempted pod/batch-2 Preempted by pod * on node node-1",
                "Killing pod/batch-2 Stopping container nginx",
                "Scheduled pod/important Successfully assigned default/important to node-1",
            ],
            extra: Some(|cluster| {
                let uid = pod(cluster, "default", "important").metadata.uid.unwrap();
                assert!(event_rows(cluster)
                    .contains(&format!("Preempted pod/batch-2 Preempted by pod {uid} on node node-1")));
            }),
            ..NONE
        },
        Expect {
            slug: "init-containers",
            kubectl: &["pod/init-demo created"],
            pods: &["default/init-demo 1/1 Running 0 node-2"],
            events: &[
                "Created pod/init-demo Created container: install",
                "Started pod/init-demo Started container install",
                "Created pod/init-demo Created container: nginx",
                "Started pod/init-demo Started container nginx",
            ],
            checkpoints: &[(1000, "init-demo", "Init:0/1"), (5000, "init-demo", "PodInitializing")],
            ..NONE
        },
        Expect {
            slug: "sidecar",
            kubectl: &["deployment.apps/myapp created"],
            pods: &["default/myapp-5c94d4b768-* 2/2 Running 0 node-2"],
            events: &[
                "Started pod/myapp-5c94d4b768-* Started container logshipper",
                "Started pod/myapp-5c94d4b768-* Started container myapp",
            ],
            ..NONE
        },
        Expect {
            slug: "probes",
            kubectl: &["pod/readiness-exec created", "pod/liveness-exec created"],
            pods: &[
                "default/liveness-exec 1/1 Running 1 (15s ago) node-3",
                "default/readiness-exec 0/1 Running 0 node-1",
            ],
            // Exec probe output ends with the command's newline, and so does the event message.
            events: &[
                "Unhealthy pod/readiness-exec Readiness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n",
                "Unhealthy pod/liveness-exec Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n",
                "Killing pod/liveness-exec Container liveness failed liveness probe, will be restarted",
            ],
            ..NONE
        },
        Expect {
            slug: "crashloopbackoff",
            kubectl: &["pod/crasher created"],
            pods: &["default/crasher 0/1 CrashLoopBackOff 4 (36s ago) node-2"],
            events: &["BackOff pod/crasher Back-off restarting failed container app in pod crasher_default(*)"],
            ..NONE
        },
        Expect {
            slug: "imagepullbackoff",
            kubectl: &["pod/typo created"],
            pods: &["default/typo 0/1 ImagePullBackOff 0 node-2"],
            events: &[
                "Failed pod/typo Failed to pull image \"nginx:nope\": rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:nope\": failed to resolve reference \"docker.io/library/nginx:nope\": docker.io/library/nginx:nope: not found",
                "Failed pod/typo Error: ErrImagePull",
                "BackOff pod/typo Back-off pulling image \"nginx:nope\"",
                "Failed pod/typo Error: ImagePullBackOff",
            ],
            ..NONE
        },
        Expect {
            slug: "missing-configmap",
            kubectl: &["pod/dapi-test-pod created", "configmap/special-config created"],
            pods: &["default/dapi-test-pod 0/1 Completed 0 node-2"],
            events: &["FailedMount pod/dapi-test-pod MountVolume.SetUp failed for volume \"config-volume\" : configmap \"special-config\" not found"],
            checkpoints: &[(20_000, "dapi-test-pod", "ContainerCreating")],
            extra: Some(|cluster| {
                let logs = cluster.logs("default", "dapi-test-pod", None, false);
                assert_eq!(logs.stdout, "SPECIAL_LEVEL\nSPECIAL_TYPE\n");
            }),
            ..NONE
        },
        Expect {
            slug: "oomkilled",
            kubectl: &["namespace/mem-example created", "pod/memory-demo-2 created"],
            pods: &["mem-example/memory-demo-2 0/1 CrashLoopBackOff 3 (24s ago) node-3"],
            events: &["BackOff pod/memory-demo-2 Back-off restarting failed container memory-demo-2-ctr in pod memory-demo-2_mem-example(*)"],
            checkpoints: &[(3000, "memory-demo-2", "OOMKilled")],
            extra: Some(|cluster| {
                let p = pod(cluster, "mem-example", "memory-demo-2");
                let status = &p.status.unwrap().container_statuses.unwrap()[0];
                let last = status.last_state.as_ref().and_then(|s| s.terminated.as_ref()).unwrap();
                assert_eq!((last.reason.as_deref(), last.exit_code), (Some("OOMKilled"), 137));
            }),
            ..NONE
        },
        Expect {
            slug: "rbac-forbidden",
            kubectl: &[
                "role.rbac.authorization.k8s.io/pod-reader created",
                "rolebinding.rbac.authorization.k8s.io/read-pods created",
                "Error from server (Forbidden): error when creating \"STDIN\": pods is forbidden: User \"jane\" cannot create resource \"pods\" in API group \"\" in the namespace \"default\"",
            ],
            pods: &[],
            ..NONE
        },
        Expect {
            slug: "resourcequota",
            kubectl: &[
                "namespace/quota-mem-cpu-example created",
                "resourcequota/mem-cpu-demo created",
                "pod/quota-mem-cpu-demo created",
                "Error from server (Forbidden): error when creating \"STDIN\": pods \"quota-mem-cpu-demo-2\" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi",
            ],
            pods: &["quota-mem-cpu-example/quota-mem-cpu-demo 1/1 Running 0 node-1"],
            ..NONE
        },
        Expect {
            slug: "limitrange-defaults",
            kubectl: &[
                "namespace/default-cpu-example created",
                "limitrange/cpu-limit-range created",
                "pod/default-cpu-demo created",
            ],
            pods: &["default-cpu-example/default-cpu-demo 1/1 Running 0 node-1"],
            extra: Some(|cluster| {
                let p = pod(cluster, "default-cpu-example", "default-cpu-demo");
                assert_eq!(
                    p.metadata.annotations.unwrap()["kubernetes.io/limit-ranger"],
                    "LimitRanger plugin set: cpu request for container default-cpu-demo-ctr; cpu limit for container default-cpu-demo-ctr"
                );
                let resources = p.spec.unwrap().containers[0].resources.clone().unwrap();
                assert_eq!(resources.requests.unwrap()["cpu"].0, "500m");
                assert_eq!(resources.limits.unwrap()["cpu"].0, "1");
            }),
            ..NONE
        },
        Expect {
            slug: "node-failure",
            kubectl: &["deployment.apps/nginx-deployment created", "node/node-2 failed"],
            pods: &[
                "default/nginx-deployment-cf4cd4db7-* 1/1 Terminating 0 node-2",
                "default/nginx-deployment-cf4cd4db7-* 1/1 Running 0 node-1",
                "default/nginx-deployment-cf4cd4db7-* 1/1 Running 0 node-1",
                "default/nginx-deployment-cf4cd4db7-* 1/1 Running 0 node-3",
            ],
            nodes: &["node-1 Ready", "node-2 NotReady", "node-3 Ready"],
            events: &[
                "NodeNotReady node/node-2 Node node-2 status is now: NodeNotReady",
                "NodeNotReady pod/nginx-deployment-cf4cd4db7-* Node is not ready",
                "TaintManagerEviction pod/nginx-deployment-cf4cd4db7-* Marking for deletion Pod default/nginx-deployment-cf4cd4db7-*",
            ],
            ..NONE
        },
        Expect {
            slug: "rolling-update",
            kubectl: &[
                "deployment.apps/nginx-deployment created",
                "deployment.apps/nginx-deployment configured",
            ],
            pods: &[
                "default/nginx-deployment-cff86b44d-* 1/1 Running 0 node-1",
                "default/nginx-deployment-cff86b44d-* 1/1 Running 0 node-2",
            ],
            events: &[
                "ScalingReplicaSet deployment/nginx-deployment Scaled up replica set nginx-deployment-cf4cd4db7 from 0 to 2",
                "ScalingReplicaSet deployment/nginx-deployment Scaled up replica set nginx-deployment-cff86b44d from 0 to 1",
                "ScalingReplicaSet deployment/nginx-deployment Scaled down replica set nginx-deployment-cf4cd4db7 from 2 to 1",
                "ScalingReplicaSet deployment/nginx-deployment Scaled up replica set nginx-deployment-cff86b44d from 1 to 2",
                "ScalingReplicaSet deployment/nginx-deployment Scaled down replica set nginx-deployment-cf4cd4db7 from 1 to 0",
            ],
            extra: Some(|cluster| {
                for p in cluster.snapshot().pods {
                    let spec = pod(cluster, "default", &p.name).spec.unwrap();
                    assert_eq!(spec.containers[0].image.as_deref(), Some("nginx:1.16.1"));
                }
            }),
            ..NONE
        },
        Expect {
            slug: "service-endpoints",
            kubectl: &["service/web created", "deployment.apps/web created", "pod/web-broken created"],
            pods: &[
                "default/web-667b7bd76c-* 1/1 Running 0 node-1",
                "default/web-667b7bd76c-* 1/1 Running 0 node-2",
                "default/web-broken 0/1 Running 0 node-3",
            ],
            events: &["Unhealthy pod/web-broken Readiness probe failed: HTTP probe failed with statuscode: 404"],
            extra: Some(|cluster| {
                let slices = cluster.objects(&["EndpointSlice"]);
                let endpoints: Vec<String> = slices
                    .iter()
                    .filter_map(|o| match &**o {
                        Object::EndpointSlice(s) => Some(s.endpoints.clone()),
                        _ => None,
                    })
                    .flatten()
                    .map(|e| {
                        format!(
                            "{} {} ready={}",
                            e.target_ref.and_then(|r| r.name).unwrap_or_default(),
                            e.addresses.join(","),
                            e.conditions.and_then(|c| c.ready).unwrap_or(false)
                        )
                    })
                    .collect();
                let (missing, extra) = unmatched(
                    &[
                        "web-667b7bd76c-* 10.244.1.2 ready=true",
                        "web-667b7bd76c-* 10.244.2.2 ready=true",
                        "web-broken 10.244.3.2 ready=false",
                    ],
                    &endpoints,
                );
                assert!(missing.is_empty() && extra.is_empty(), "{endpoints:#?}");
            }),
            ..NONE
        },
    ]
}

#[test]
fn every_preset_shows_what_its_explanation_promises() {
    let expectations = expectations();
    let slugs: Vec<&str> = presets::all().iter().map(|p| p.slug).collect();
    assert_eq!(
        expectations.iter().map(|e| e.slug).collect::<Vec<_>>(),
        slugs,
        "one expectation per preset, in the picker's order"
    );
    for (preset, expect) in presets::all().iter().zip(&expectations) {
        check(preset, expect);
    }
}

#[test]
fn presets_are_deterministic() {
    for preset in presets::all() {
        let run = || {
            let (mut cluster, _) = preset.load();
            cluster.run_for(preset.until);
            (pod_rows(&cluster), event_rows(&cluster))
        };
        assert_eq!(run(), run(), "{}", preset.slug);
    }
}

#[test]
fn the_endpoints_follow_readiness_over_time() {
    // Before the readiness probes' first pass no endpoint is ready; afterwards the two
    // Deployment Pods are.
    let preset = presets::find("service-endpoints").unwrap();
    let (mut cluster, _) = preset.load();
    let ready = |cluster: &Cluster| -> usize {
        cluster
            .objects(&["EndpointSlice"])
            .iter()
            .filter_map(|o| match &**o {
                Object::EndpointSlice(s) => Some(s.endpoints.clone()),
                _ => None,
            })
            .flatten()
            .filter(|e| e.conditions.as_ref().and_then(|c| c.ready) == Some(true))
            .count()
    };
    cluster.run_for(SimDuration::secs(8));
    assert_eq!(ready(&cluster), 0);
    cluster.run_for(SimDuration::secs(12));
    assert_eq!(ready(&cluster), 2);
}

#[test]
fn glob_matches_generated_names() {
    assert!(glob("web-*", "web-abcde"));
    assert!(glob("a * on node node-1", "a 1-2-3 on node node-1"));
    assert!(!glob("web-*-x", "web-x"));
    assert!(glob("exact", "exact"));
    assert!(!glob("exact", "exactly"));
}

#[test]
fn the_pipeline_stops_where_each_preset_says() {
    use podflow_core::flow::{current_step, FlowStep};
    let cases: &[(&str, u64, &str, &str, FlowStep)] = &[
        ("hello-nginx", 30_000, "default", "nginx", FlowStep::Ready),
        (
            "insufficient-cpu",
            30_000,
            "cpu-example",
            "cpu-demo-2",
            FlowStep::Scheduler,
        ),
        (
            "taints-tolerations",
            30_000,
            "default",
            "no-toleration",
            FlowStep::Scheduler,
        ),
        (
            "preemption",
            60_000,
            "default",
            "batch-2",
            FlowStep::ContinuousManagement,
        ),
        (
            "imagepullbackoff",
            60_000,
            "default",
            "typo",
            FlowStep::Runtime,
        ),
        (
            "missing-configmap",
            20_000,
            "default",
            "dapi-test-pod",
            FlowStep::Kubelet,
        ),
        (
            "crashloopbackoff",
            120_000,
            "default",
            "crasher",
            FlowStep::ContinuousManagement,
        ),
        (
            "rbac-forbidden",
            20_000,
            "default",
            "nginx",
            FlowStep::ApiServer,
        ),
        (
            "resourcequota",
            30_000,
            "quota-mem-cpu-example",
            "quota-mem-cpu-demo-2",
            FlowStep::ApiServer,
        ),
    ];
    for (slug, ms, namespace, name, want) in cases {
        let (mut cluster, _) = presets::find(slug).unwrap().load();
        cluster.run_for(SimDuration::millis(*ms));
        assert_eq!(
            current_step(cluster.trace(), namespace, name),
            *want,
            "{slug}"
        );
    }
    // The evicted Pod of a failed node ends in continuous management; its replacement is Ready.
    let preset = presets::find("node-failure").unwrap();
    let (mut cluster, _) = preset.load();
    cluster.run_for(preset.until);
    let pods = cluster.snapshot().pods;
    let evicted = pods.iter().find(|p| p.status == "Terminating").unwrap();
    assert_eq!(
        current_step(cluster.trace(), "default", &evicted.name),
        FlowStep::ContinuousManagement
    );
    assert!(pods
        .iter()
        .filter(|p| p.status == "Running")
        .all(|p| current_step(cluster.trace(), "default", &p.name) == FlowStep::Ready));
}
