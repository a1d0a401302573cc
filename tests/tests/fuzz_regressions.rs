//! Regression tests for what the fuzz targets in `fuzz/` found (issue #10, item 1): each feeds
//! the exact input through the same entry point as its target and checks what a user sees.
//! See README "Fuzzing".

use podflow_core::Cluster;
use podflow_tests::kubectl_lines;

fn pods(cluster: &Cluster) -> usize {
    cluster.objects(&["Pod"]).len()
}

/// Steps until the number of pods changes (at most `limit` steps); returns the new number.
fn step_until_pods_change(cluster: &mut Cluster, limit: usize) -> usize {
    let before = pods(cluster);
    for _ in 0..limit {
        assert!(cluster.advance().is_some(), "nothing left to do");
        if pods(cluster) != before {
            return pods(cluster);
        }
    }
    panic!("the pods stayed at {before} for {limit} steps");
}

/// `intake`: a Job asking for a million pods at once made the Job controller create them in
/// one sync, thousands per simulation step (2,781 in the first, until a generated name
/// collided), so ten virtual seconds took longer than the fuzzer's 10 s timeout: a hung page.
/// Upstream creates at most `MaxPodCreateDeletePerSync` (500) per sync, in slow-start
/// batches; the new pods' events bring the next sync.
#[test]
fn a_job_with_a_million_parallel_pods_creates_them_500_per_sync() {
    const INPUT: &str = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\nspec:\n  parallelism: 1000000\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: pi\n        image: busybox:1.36\n        command: [\"sh\", \"-c\", \"exit 0\"]\n";
    let mut cluster = Cluster::default();
    assert_eq!(
        kubectl_lines(&cluster.apply(INPUT, "fuzz.yaml")),
        "job.batch/pi created"
    );

    assert_eq!(step_until_pods_change(&mut cluster, 100), 500);
    assert_eq!(step_until_pods_change(&mut cluster, 100), 1000);
}

/// `simulation`: draining a node that holds a Pod no controller owns printed kubectl's warning
/// without its `Warning: ` prefix (`deleting Pods that declare no controller: default/c`),
/// unlike every other warning (the target checks each one). kubectl v1.32 and later print
/// `Warning: …` on stderr before the first eviction.
#[test]
fn a_drain_warns_about_a_pod_without_a_controller_on_a_warning_line() {
    let mut cluster = Cluster::default();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: c\nspec:\n  nodeName: node-1\n  containers:\n  - name: c\n    image: nginx\n";
    assert_eq!(
        kubectl_lines(&cluster.apply(pod, "fuzz.yaml")),
        "pod/c created"
    );
    let results = cluster.drain("node-1", &podflow_core::apiserver::UserInfo::admin());
    let lines: Vec<(String, Vec<String>)> = results
        .into_iter()
        .map(|r| (r.message, r.warnings))
        .collect();
    assert_eq!(
        lines,
        [
            ("node/node-1 cordoned".to_string(), vec![]),
            (
                "evicting pod default/c".to_string(),
                vec!["Warning: deleting Pods that declare no controller: default/c".to_string()]
            ),
            ("pod/c evicted".to_string(), vec![]),
            ("node/node-1 drained".to_string(), vec![]),
        ]
    );
}
