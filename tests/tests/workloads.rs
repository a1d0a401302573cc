//! The docs' workload manifests with the whole cluster running — scheduler, real kubelets and
//! kube-controller-manager — on the default three nodes: each ends as INDEX.tsv says, and the
//! Deployment's rollout shows the full event chain from `ScalingReplicaSet` to `Started`.

use podflow_core::object::Object;
use podflow_core::sim::SimDuration;
use podflow_core::Cluster;
use podflow_tests::manifests;

fn run(file: &str, secs: u64) -> Option<Cluster> {
    let dir = manifests::dir()?;
    let (mut cluster, results) = Cluster::load(&[(file.to_string(), manifests::read(&dir, file))]);
    assert!(results.iter().all(|r| r.ok), "{file}: {results:?}");
    cluster.run_for(SimDuration::secs(secs));
    Some(cluster)
}

/// (READY, STATUS) of every pod whose name starts with `prefix`.
fn pods(cluster: &Cluster, prefix: &str) -> Vec<(String, String)> {
    cluster
        .snapshot()
        .pods
        .iter()
        .filter(|p| p.name.starts_with(prefix))
        .map(|p| (p.ready.clone(), p.status.clone()))
        .collect()
}

/// `(creation time in ns, reason, object name)` of every Event, oldest first: an Event's name
/// ends in the hexadecimal nanoseconds of its creation, as client-go names them.
fn events(cluster: &Cluster) -> Vec<(u64, String, String)> {
    let mut v: Vec<_> = cluster
        .objects(&["Event"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) => Some((
                e.metadata
                    .name
                    .as_deref()
                    .and_then(|n| n.rsplit_once('.'))
                    .and_then(|(_, hex)| u64::from_str_radix(hex, 16).ok())
                    .unwrap_or_default(),
                e.reason.clone().unwrap_or_default(),
                e.involved_object.name.clone().unwrap_or_default(),
            )),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

#[test]
fn the_nginx_deployment_rolls_out_to_three_running_pods_with_the_full_event_chain() {
    let Some(cluster) = run("controllers__nginx-deployment.yaml", 60) else {
        return;
    };
    let running = pods(&cluster, "nginx-deployment-");
    assert_eq!(running, vec![("1/1".to_string(), "Running".to_string()); 3]);
    let table = podflow_core::kubectl::get::deployments(
        &cluster.objects(&["Deployment", "ReplicaSet"]),
        cluster.now(),
    )
    .unwrap();
    let row: Vec<&str> = table.lines().nth(1).unwrap().split_whitespace().collect();
    // NAMESPACE NAME READY UP-TO-DATE AVAILABLE AGE
    assert_eq!(&row[..5], ["default", "nginx-deployment", "3/3", "3", "3"]);
    // Per pod: created by the ReplicaSet, scheduled, then the kubelet's chain.
    let all = events(&cluster);
    let reasons: Vec<&str> = all.iter().map(|(_, r, _)| r.as_str()).collect();
    assert_eq!(reasons[0], "ScalingReplicaSet");
    assert_eq!(
        reasons.iter().filter(|r| **r == "SuccessfulCreate").count(),
        3
    );
    let pod_names: Vec<String> = cluster
        .snapshot()
        .pods
        .iter()
        .map(|p| p.name.clone())
        .collect();
    for pod in &pod_names {
        let chain: Vec<&str> = all
            .iter()
            .filter(|(_, _, o)| o == pod)
            .map(|(_, r, _)| r.as_str())
            .collect();
        let pulled = if chain.contains(&"Pulling") {
            vec!["Scheduled", "Pulling", "Pulled", "Created", "Started"]
        } else {
            vec!["Scheduled", "Pulled", "Created", "Started"]
        };
        assert_eq!(chain, pulled, "{pod}");
    }
}

#[test]
fn the_frontend_replica_set_runs_three_pods() {
    let Some(cluster) = run("controllers__frontend.yaml", 60) else {
        return;
    };
    assert_eq!(
        pods(&cluster, "frontend-"),
        vec![("1/1".to_string(), "Running".to_string()); 3]
    );
    let created: Vec<String> = cluster
        .objects(&["Event"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) if e.reason.as_deref() == Some("SuccessfulCreate") => {
                e.message.clone()
            }
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 3);
    assert!(
        created
            .iter()
            .all(|m| m.starts_with("Created pod: frontend-")
                && m.len() == "Created pod: frontend-xxxxx".len()),
        "{created:?}"
    );
}

#[test]
fn the_pi_job_completes() {
    let Some(cluster) = run("controllers__job.yaml", 300) else {
        return;
    };
    assert_eq!(
        pods(&cluster, "pi-"),
        [("0/1".to_string(), "Completed".to_string())]
    );
    let job = cluster.api().get("Job", "default", "pi").unwrap();
    let Object::Job(job) = &*job else { panic!() };
    let status = job.status.clone().unwrap();
    assert_eq!(status.succeeded, Some(1));
    let complete = status
        .conditions
        .unwrap_or_default()
        .into_iter()
        .any(|c| c.type_ == "Complete" && c.status == "True");
    assert!(complete);
}

#[test]
fn the_daemon_set_runs_one_pod_per_node() {
    let Some(cluster) = run("controllers__daemonset.yaml", 120) else {
        return;
    };
    let snap = cluster.snapshot();
    let mut nodes: Vec<String> = snap
        .pods
        .iter()
        .filter(|p| p.name.starts_with("fluentd-elasticsearch-"))
        .map(|p| p.node.clone())
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["node-1", "node-2", "node-3"]);
}

#[test]
fn the_application_deployments_reach_their_replica_counts() {
    for (file, prefix, want) in [
        ("application__deployment.yaml", "nginx-deployment-", 2),
        (
            "application__simple_deployment.yaml",
            "nginx-deployment-",
            1,
        ),
        ("application__nginx-app.yaml", "my-nginx-", 3),
    ] {
        let Some(cluster) = run(file, 60) else {
            return;
        };
        assert_eq!(
            pods(&cluster, prefix),
            vec![("1/1".to_string(), "Running".to_string()); want],
            "{file}"
        );
    }
}

/// Applies `second` over the objects of `first` after `secs` seconds, as a second
/// `kubectl apply -f`.
fn apply_over(first: &str, second: &str, secs: u64) -> Option<(Cluster, Vec<String>)> {
    let dir = manifests::dir()?;
    let mut cluster = run(first, secs)?;
    let lines = cluster
        .apply(&manifests::read(&dir, second), second)
        .into_iter()
        .map(|r| r.message)
        .collect();
    Some((cluster, lines))
}

#[test]
fn the_docs_rolling_update_replaces_the_pods_with_scaling_events() {
    let Some((mut cluster, lines)) = apply_over(
        "application__deployment.yaml",
        "application__deployment-update.yaml",
        60,
    ) else {
        return;
    };
    assert_eq!(lines, ["deployment.apps/nginx-deployment configured"]);
    cluster.run_for(SimDuration::secs(120));
    let scaled: Vec<String> = events(&cluster)
        .into_iter()
        .filter(|(_, r, _)| r == "ScalingReplicaSet")
        .map(|(_, _, o)| o)
        .collect();
    // 0→2 of the first RS, then the new RS up and the old one down, step by step.
    assert!(scaled.len() >= 3, "{scaled:?}");
    let images: Vec<String> = cluster
        .objects(&["Pod"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Pod(p) => p
                .spec
                .as_ref()
                .map(|s| s.containers[0].image.clone().unwrap_or_default()),
            _ => None,
        })
        .collect();
    assert_eq!(images, vec!["nginx:1.16.1".to_string(); 2]);
    assert_eq!(
        pods(&cluster, "nginx-deployment-"),
        vec![("1/1".to_string(), "Running".to_string()); 2]
    );
}

#[test]
fn the_docs_scale_manifest_over_the_deployment_is_refused_for_its_selector() {
    let Some((_, lines)) = apply_over(
        "application__deployment.yaml",
        "application__deployment-scale.yaml",
        5,
    ) else {
        return;
    };
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with(
            "The Deployment \"nginx-deployment\" is invalid: spec.selector: Invalid value: "
        ) && lines[0].ends_with(": field is immutable"),
        "{lines:?}"
    );
}

#[test]
fn a_failed_node_loses_its_pod_after_the_toleration_and_the_replica_set_replaces_it() {
    let Some(dir) = manifests::dir() else {
        return;
    };
    let scenario = "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nmetadata: {name: fail}\nspec:\n  actions:\n  - {at: 1m, failNode: node-2}\n";
    let (mut cluster, results) = Cluster::load(&[
        (
            "deploy.yaml".to_string(),
            manifests::read(&dir, "controllers__nginx-deployment.yaml"),
        ),
        ("scenario.yaml".to_string(), scenario.to_string()),
    ]);
    assert!(results.iter().all(|r| r.ok), "{results:?}");
    cluster.run_for(SimDuration::secs(59));
    let on_node_2: Vec<String> = cluster
        .snapshot()
        .pods
        .iter()
        .filter(|p| p.node == "node-2")
        .map(|p| p.name.clone())
        .collect();
    assert!(!on_node_2.is_empty(), "the spread put a pod on node-2");
    // NotReady after the 50 s grace (105 s), NoExecute taint, eviction 300 s later (~410 s).
    cluster.run_for(SimDuration::secs(330));
    for p in cluster
        .snapshot()
        .pods
        .iter()
        .filter(|p| p.node == "node-2")
    {
        assert_eq!(p.status, "Running", "{} not yet evicted at 389 s", p.name);
    }
    cluster.run_for(SimDuration::secs(60));
    let snap = cluster.snapshot();
    for name in &on_node_2 {
        let p = snap
            .pods
            .iter()
            .find(|p| &p.name == name)
            .expect("kept while Terminating");
        assert_eq!(p.status, "Terminating", "{name}");
    }
    let running: Vec<&str> = snap
        .pods
        .iter()
        .filter(|p| p.status == "Running")
        .map(|p| p.node.as_str())
        .collect();
    assert_eq!(running.len(), 3, "{:?}", snap.pods);
    assert!(running.iter().all(|n| *n != "node-2"));
    let evictions: Vec<String> = cluster
        .objects(&["Event"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) if e.reason.as_deref() == Some("TaintManagerEviction") => {
                e.message.clone()
            }
            _ => None,
        })
        .collect();
    let want: Vec<String> = on_node_2
        .iter()
        .map(|n| format!("Marking for deletion Pod default/{n}"))
        .collect();
    assert_eq!(evictions, want);
}

/// A pod's NAME, READY, STATUS and `status.qosClass`.
type PodRow = (String, String, String, String);

/// The rows of every pod after the files ran for `secs` at t=0.
fn outcome(files: &[&str], extra: &str, secs: u64) -> Option<Vec<PodRow>> {
    let dir = manifests::dir()?;
    let mut inputs = vec![("extra.yaml".to_string(), extra.to_string())];
    inputs.extend(
        files
            .iter()
            .map(|f| (f.to_string(), manifests::read(&dir, f))),
    );
    let (mut cluster, results) = Cluster::load(&inputs);
    assert!(results.iter().all(|r| r.ok), "{files:?}: {results:?}");
    cluster.run_for(SimDuration::secs(secs));
    let snap = cluster.snapshot();
    Some(
        snap.pods
            .iter()
            .map(|p| {
                let qos = match cluster.api().get("Pod", &p.namespace, &p.name).as_deref() {
                    Some(Object::Pod(pod)) => pod
                        .status
                        .as_ref()
                        .and_then(|s| s.qos_class.clone())
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                (p.name.clone(), p.ready.clone(), p.status.clone(), qos)
            })
            .collect(),
    )
}

#[test]
fn the_remaining_docs_pod_manifests_end_as_the_index_says() {
    let row = |name: &str, ready: &str, status: &str, qos: &str| {
        (
            name.to_string(),
            ready.to_string(),
            status.to_string(),
            qos.to_string(),
        )
    };
    let qos_ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: qos-example\n";
    let cases: Vec<(Vec<&str>, &str, Vec<PodRow>)> = vec![
        (
            vec!["pods__init-containers@a2659dc.yaml"],
            "",
            vec![row("init-demo", "1/1", "Running", "BestEffort")],
        ),
        (
            vec!["pods__probe__pod-with-tcp-socket-healthcheck.yaml"],
            "",
            vec![row(
                "pod-with-tcp-socket-healthcheck",
                "1/1",
                "Running",
                "BestEffort",
            )],
        ),
        (
            vec!["pods__qos__qos-pod.yaml"],
            qos_ns,
            vec![row("qos-demo", "1/1", "Running", "Guaranteed")],
        ),
        (
            vec!["pods__qos__qos-pod-2.yaml"],
            qos_ns,
            vec![row("qos-demo-2", "1/1", "Running", "Burstable")],
        ),
        (
            vec!["pods__qos__qos-pod-3.yaml"],
            qos_ns,
            vec![row("qos-demo-3", "1/1", "Running", "BestEffort")],
        ),
        (
            vec!["pods__pod-rs.yaml"],
            "",
            vec![
                row("pod1", "1/1", "Running", "BestEffort"),
                row("pod2", "1/1", "Running", "BestEffort"),
            ],
        ),
        (
            vec!["application__shell-demo.yaml"],
            "",
            vec![row("shell-demo", "1/1", "Running", "BestEffort")],
        ),
        (
            vec![
                "admin__resource__memory-constraints.yaml",
                "admin__resource__memory-constraints-pod.yaml",
            ],
            "",
            vec![row("constraints-mem-demo", "1/1", "Running", "Burstable")],
        ),
        (
            vec![
                "admin__resource__quota-mem-cpu.yaml",
                "admin__resource__quota-mem-cpu-pod.yaml",
            ],
            "",
            vec![row("quota-mem-cpu-demo", "1/1", "Running", "Burstable")],
        ),
    ];
    let mut mismatches = Vec::new();
    for (files, extra, want) in cases {
        let Some(got) = outcome(&files, extra, 120) else {
            return;
        };
        if got != want {
            mismatches.push(format!("{files:?}: {got:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
