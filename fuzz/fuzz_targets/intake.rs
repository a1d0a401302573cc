//! Fuzz target `intake`: arbitrary bytes as a manifest file, read as the CLI reads a file
//! (invalid UTF-8 as U+FFFD), applied to a fresh default cluster as `kubectl apply -f
//! fuzz.yaml`, then a bounded number of simulation steps so what was accepted goes through the
//! scheduler, the kubelets and the controllers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podflow_core::Cluster;
use podflow_fuzz::{check_apply_results, check_snapshot};

/// The most simulation steps run after the apply.
const STEPS: usize = 200;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut cluster = Cluster::default();
    let mut revision = 0;
    check_snapshot(&cluster, &mut revision);
    let results = cluster.apply(&text, "fuzz.yaml");
    check_apply_results(&results);
    check_snapshot(&cluster, &mut revision);
    for _ in 0..STEPS {
        if cluster.advance().is_none() {
            break;
        }
    }
    check_snapshot(&cluster, &mut revision);
});
