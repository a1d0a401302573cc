//! Invariants shared by the fuzz targets: what every `kubectl` result and every snapshot of a
//! cluster must satisfy, whatever the input. A failed `assert!` is a finding, as a panic is.

use podflow_core::{ApplyResult, Cluster};

/// How a line kubectl prints for a refused request begins: kubectl's own errors
/// (`error: error parsing …`, `error when evicting pods/…`), the API server's
/// (`Error from server (Forbidden): …`) and the validation summary (`The Pod "x" is invalid: …`).
const ERROR_PREFIXES: [&str; 3] = ["error", "Error from server (", "The "];

/// What `kubectl apply` prints for an accepted object.
const APPLY_VERBS: [&str; 3] = [" created", " configured", " unchanged"];

/// Every result has a message; a refusal reads as kubectl's or the API server's error; every
/// warning is kubectl's `Warning: …` line.
pub fn check_results(results: &[ApplyResult]) {
    for r in results {
        assert!(!r.message.is_empty(), "a result without a message: {r:?}");
        if !r.ok {
            assert!(
                ERROR_PREFIXES.iter().any(|p| r.message.starts_with(p)),
                "an error kubectl would not print: {:?}",
                r.message
            );
        }
        for w in &r.warnings {
            assert!(
                w.starts_with("Warning: "),
                "a warning without its prefix: {w:?}"
            );
        }
    }
}

/// [`check_results`], and every accepted object is `created`, `configured` or `unchanged`.
pub fn check_apply_results(results: &[ApplyResult]) {
    check_results(results);
    for r in results.iter().filter(|r| r.ok) {
        assert!(
            APPLY_VERBS.iter().any(|v| r.message.ends_with(v)),
            "an apply result kubectl would not print: {:?}",
            r.message
        );
    }
}

/// What holds at any moment: the store's revision never goes back, and the snapshot lists
/// nodes and pods in key order (`namespace/name`) without duplicates.
pub fn check_snapshot(cluster: &Cluster, last_revision: &mut i64) {
    let snap = cluster.snapshot();
    assert!(
        snap.revision >= *last_revision,
        "the revision went back from {} to {}",
        *last_revision,
        snap.revision
    );
    *last_revision = snap.revision;
    assert_eq!(snap.revision, cluster.api().store.revision());
    assert!(
        snap.nodes.windows(2).all(|w| w[0].name < w[1].name),
        "nodes out of order or repeated"
    );
    let keys: Vec<String> = snap
        .pods
        .iter()
        .map(|p| format!("{}/{}", p.namespace, p.name))
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "pods out of order or repeated: {keys:?}"
    );
}

/// No node is over-committed: the cpu and memory its pods request and its pod count stay within
/// its allocatable (for input that never sets `spec.nodeName` itself, which skips the
/// scheduler).
pub fn check_capacity(cluster: &Cluster) {
    for n in &cluster.snapshot().nodes {
        assert!(
            n.cpu_requested_milli <= n.cpu_allocatable_milli,
            "{} over-committed: {}m of {}m cpu",
            n.name,
            n.cpu_requested_milli,
            n.cpu_allocatable_milli
        );
        assert!(
            n.memory_requested <= n.memory_allocatable,
            "{} over-committed: {} of {} bytes of memory",
            n.name,
            n.memory_requested,
            n.memory_allocatable
        );
        assert!(
            n.pod_count <= n.pod_allocatable,
            "{} runs {} pods, more than {}",
            n.name,
            n.pod_count,
            n.pod_allocatable
        );
    }
}
