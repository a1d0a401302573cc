//! Every bench workload at smoke size (about 50 nodes and 200 pods), run and checked: every pod
//! bound or Running and Ready, the unschedulable ones left pending, placement rules kept.

use podflow_bench::check::smoke;
use podflow_bench::shape::WORKLOADS;

#[test]
fn every_workload_runs_correctly_at_smoke_size() {
    let failures: Vec<String> = WORKLOADS
        .iter()
        .filter_map(|name| smoke(name).err())
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}
