//! `podflow-soak`: the long-run soak (`podflow_bench::soak`), 24 hours of virtual churn by
//! default, printing memory (RSS and the live heap, counted by this binary's allocator) and every
//! bounded size every 4 hours.
//!
//! ```text
//! cargo run --profile native -p podflow-bench --bin podflow-soak -- [HOURS]
//! ```

use std::alloc::System;
use std::process::ExitCode;

use podflow_bench::soak::{self, SoakShape};
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};

/// Counts allocations, so the soak can report the live heap: RSS also holds what the allocator
/// keeps for reuse, and never shrinks much.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes allocated and not yet freed (a `realloc` counts its growth as allocated and its
/// shrinking as freed).
fn live_heap() -> Option<u64> {
    let s = GLOBAL.stats();
    u64::try_from(s.bytes_allocated as i128 - s.bytes_deallocated as i128).ok()
}

fn main() -> ExitCode {
    let hours = match std::env::args().nth(1).map(|h| h.parse::<u64>()) {
        None => SoakShape::FULL.hours,
        Some(Ok(h)) if h > 0 => h,
        Some(_) => {
            eprintln!("usage: podflow-soak [HOURS]   (default 24)");
            return ExitCode::from(2);
        }
    };
    let shape = SoakShape {
        hours,
        ..SoakShape::FULL
    };
    match soak::soak(shape, 4, live_heap) {
        Ok(o) => {
            print!("{}", soak::render(&o));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::FAILURE
        }
    }
}
