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
