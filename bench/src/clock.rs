//! Where a run reads the time: a [`Clock`] gives wall time since a fixed origin and, where the
//! platform reports it, CPU time — `std::time::Instant` and `/proc` natively ([`SystemClock`]),
//! `performance.now()` in a browser (the `podflow-bench-wasm` crate), since `Instant` panics on
//! wasm32-unknown-unknown.

use std::time::Duration;

/// A source of wall time (and optionally CPU time) for timing a run.
pub trait Clock {
    /// Wall time since an arbitrary origin fixed for the clock's life.
    fn now(&self) -> Duration;

    /// CPU time this process has used, when the platform reports it.
    fn cpu(&self) -> Option<Duration> {
        None
    }

    /// The part of [`Clock::cpu`] spent in the kernel, when the platform reports it.
    fn kernel(&self) -> Option<Duration> {
        None
    }
}

/// Native time: `Instant` for wall time, `/proc/self/schedstat` for CPU time, `/proc/self/stat`
/// for its kernel part.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: std::time::Instant,
}

#[cfg(not(target_arch = "wasm32"))]
impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> SystemClock {
        SystemClock {
            origin: std::time::Instant::now(),
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn cpu(&self) -> Option<Duration> {
        crate::cpu::cpu_time()
    }

    fn kernel(&self) -> Option<Duration> {
        crate::cpu::kernel_time()
    }
}

/// A clock reading milliseconds from a function (as `performance.now()` gives them).
#[derive(Debug, Clone, Copy)]
pub struct MillisClock(pub fn() -> f64);

impl Clock for MillisClock {
    fn now(&self) -> Duration {
        Duration::from_secs_f64((self.0)().max(0.0) / 1e3)
    }
}
