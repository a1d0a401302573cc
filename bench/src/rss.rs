//! The process's peak and current resident set size, from `/proc/self/status` (`VmHWM`, `VmRSS`),
//! so each workload, run in a child process of its own, reports its own memory.

/// Peak resident set size in KiB, when the platform reports it.
pub fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

/// Resident set size now, in KiB, when the platform reports it.
pub fn current_rss_kib() -> Option<u64> {
    status_kib("VmRSS:")
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
