//! The CPU time this process has run, from `/proc/self/schedstat` (nanoseconds on a CPU): on a
//! machine shared with other work, wall time stretches with the contention, CPU time much less.
//! And its share in the kernel, from `/proc/self/stat`: on the development machine (a VM) the
//! kernel's zeroing of fresh memory pages costs 0.04 s in one run and 0.45 s in the next for the
//! same 440 page faults, so the user-space part is the figure that follows the code.

use std::time::Duration;

/// CPU time used so far, when the platform reports it.
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Clock ticks per second of `/proc/<pid>/stat`'s times: `USER_HZ`, 100 on Linux whatever the
/// kernel's own tick rate.
const USER_HZ: u64 = 100;

/// CPU time this process has spent in the kernel so far (`stime`, 10 ms resolution), when the
/// platform reports it.
pub fn kernel_time() -> Option<Duration> {
    kernel_time_of(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// `stime` of a `/proc/<pid>/stat` line: the 15th field, counted after the command name, which
/// is in parentheses and may itself hold spaces and parentheses.
fn kernel_time_of(stat: &str) -> Option<Duration> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    // Fields 3 (state) onwards; stime is field 15.
    let ticks: u64 = after_comm.split_whitespace().nth(12)?.parse().ok()?;
    Some(Duration::from_millis(ticks * 1_000 / USER_HZ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_time_is_the_fifteenth_field_even_when_the_command_has_spaces() {
        let stat =
            "4242 (podflow (bench) x) R 1 4242 1 0 -1 4194304 5063 0 0 0 81 45 0 0 20 0 1 0 \
                    123 456 789";
        assert_eq!(kernel_time_of(stat), Some(Duration::from_millis(450)));
        assert_eq!(kernel_time_of("garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_reports_its_kernel_time() {
        assert!(kernel_time().is_some());
    }
}
