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

#[test]
fn the_soak_churns_for_three_virtual_hours_and_events_expire_after_an_hour() {
    // smoke_soak checks that no stored Event was last written more than 1h01m ago.
    let o = podflow_bench::check::smoke_soak().unwrap();
    assert_eq!(o.samples.len(), 3);
    let oldest = o.oldest_event.expect("Events are stored");
    let end = o.samples[2].at;
    assert!(end.since(oldest).0 > 3_000_000, "{oldest} at {end}");
}
