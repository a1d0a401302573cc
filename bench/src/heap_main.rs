//! `podflow-heap`: runs a workload natively and reports what its memory is made of at the end
//! (`podflow_bench::heap`): the live heap per pod, counted by this binary's allocator, and the
//! bytes of the stored Pods field by field.
//!
//! ```text
//! cargo run --profile native -p podflow-bench --bin podflow-heap -- [WORKLOAD]   # default envelope/10
//! ```

use std::alloc::System;
use std::process::ExitCode;

use podflow_bench::heap;
use podflow_bench::run;
use podflow_bench::shape::{Scale, Shape};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

/// Counts allocations: the live heap, and what a clone allocates.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes allocated and not yet freed.
fn live_heap() -> u64 {
    let s = GLOBAL.stats();
    (s.bytes_allocated as i128 - s.bytes_deallocated as i128).max(0) as u64
}

fn main() -> ExitCode {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "envelope/10".to_string());
    let Some(shape) = Shape::named(&name, Scale::Full) else {
        eprintln!("podflow-heap: unknown workload {name:?} (see podflow-bench --help)");
        return ExitCode::from(2);
    };
    let before = live_heap();
    let cluster = match run::run(&shape) {
        Ok((_, cluster)) => cluster,
        Err(e) => {
            eprintln!("podflow-heap: {e}");
            return ExitCode::FAILURE;
        }
    };
    let live = live_heap().saturating_sub(before);
    let allocated_by = |f: &mut dyn FnMut()| {
        let region = Region::new(GLOBAL);
        f();
        region.change().bytes_allocated
    };
    let bytes = heap::pod_bytes(&cluster, &allocated_by);
    print!("{}", heap::render(&name, Some(live), &bytes));
    ExitCode::SUCCESS
}
