//! The CPU time this process has run, from `/proc/self/schedstat` (nanoseconds on a CPU): on a
//! machine shared with other work, wall time stretches with the contention, CPU time much less.

use std::time::Duration;

/// CPU time used so far, when the platform reports it.
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}
