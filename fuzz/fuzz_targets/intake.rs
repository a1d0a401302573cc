//! Fuzz target `intake`: arbitrary bytes as a manifest file, read as the CLI reads a file
//! (`intake::manifest_text`: invalid UTF-8 as U+FFFD) and applied as `kubectl apply -f
//! fuzz.yaml` to a default cluster (three nodes); when something was accepted, a bounded run
//! (at most 200 steps and 10 virtual seconds) takes it through the scheduler, the kubelets and
//! the controllers.
//!
//! Building a cluster costs about a millisecond, far more than reading most inputs, so an
//! input none of whose documents decodes — refused before the API server, which leaves the
//! cluster untouched — is applied to one shared cluster, and the target checks that it was
//! indeed left as it was. Every other input gets a fresh cluster.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use podflow_core::intake;
use podflow_core::sim::{SimDuration, SimTime};
use podflow_core::Cluster;
use podflow_fuzz::{check_apply_results, check_snapshot};

/// The name kubectl's messages give the input.
const SOURCE: &str = "fuzz.yaml";
/// The most simulation steps run after the apply.
const STEPS: usize = 200;
/// The furthest the run goes in virtual time.
const HORIZON: SimDuration = SimDuration::secs(10);
/// The run stops once the store holds this many objects.
const MAX_OBJECTS: usize = 2_000;

thread_local! {
    /// The cluster for inputs that never reach the API server.
    static UNTOUCHED: RefCell<Cluster> = RefCell::new(Cluster::default());
}

/// What an apply could change: the store's revision and size, and the trace.
fn state(cluster: &Cluster) -> (i64, usize, u64) {
    (
        cluster.api().store.revision(),
        cluster.api().store.len(),
        cluster.trace().next_seq(),
    )
}

fuzz_target!(|data: &[u8]| {
    let text = intake::manifest_text(data);
    let reaches_server = intake::parse_manifest(&text, SOURCE)
        .is_ok_and(|docs| docs.iter().any(|d| intake::decode(d, SOURCE).is_ok()));
    if !reaches_server {
        UNTOUCHED.with(|cluster| {
            let mut cluster = cluster.borrow_mut();
            let before = state(&cluster);
            let results = cluster.apply(&text, SOURCE);
            check_apply_results(&results);
            assert!(results.iter().all(|r| !r.ok), "{results:?}");
            assert_eq!(
                state(&cluster),
                before,
                "a refused input changed the cluster"
            );
        });
        return;
    }
    let mut cluster = Cluster::default();
    let mut revision = 0;
    let results = cluster.apply(&text, SOURCE);
    check_apply_results(&results);
    check_snapshot(&cluster, &mut revision);
    let end = SimTime::ZERO.plus(HORIZON);
    for _ in 0..STEPS {
        if cluster.next_due().is_none_or(|t| t > end)
            || cluster.api().store.len() > MAX_OBJECTS
            || cluster.advance().is_none()
        {
            break;
        }
    }
    check_snapshot(&cluster, &mut revision);
});
