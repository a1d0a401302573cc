//! The process's peak resident set size, from `/proc/self/status` (`VmHWM`), so each workload,
//! run in a child process of its own, reports its own peak.

/// Peak resident set size in KiB, when the platform reports it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
