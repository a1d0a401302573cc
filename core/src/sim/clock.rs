//! Virtual time: a millisecond clock that only moves when the simulation says so, and the timer
//! queue that tells it where to jump next (ties broken by insertion order).

use std::collections::BTreeMap;
use std::fmt;

/// A moment of virtual time, in milliseconds since the simulation started.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct SimTime(pub u64);

/// A span of virtual time, in milliseconds.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct SimDuration(pub u64);

impl SimDuration {
    /// `n` milliseconds.
    pub const fn millis(n: u64) -> SimDuration {
        SimDuration(n)
    }
    /// `n` seconds.
    pub const fn secs(n: u64) -> SimDuration {
        SimDuration(n * 1000)
    }
    /// `n` minutes.
    pub const fn mins(n: u64) -> SimDuration {
        SimDuration(n * 60_000)
    }
    /// The span in milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
}

/// The wall-clock moment virtual time zero stands for: 2025-04-23T00:00:00Z, the day Kubernetes
/// v1.33 was released. Timestamps in objects (creationTimestamp, event times) count from here.
pub const EPOCH_UNIX_SECONDS: i64 = 1_745_366_400;

impl SimTime {
    /// The start of the simulation.
    pub const ZERO: SimTime = SimTime(0);

    /// This moment as a `metav1.Time` (whole seconds, as the API server stores it).
    pub fn to_k8s_time(self) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::Time {
        let secs = EPOCH_UNIX_SECONDS + (self.0 / 1000) as i64;
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            k8s_openapi::jiff::Timestamp::from_second(secs)
                .unwrap_or(k8s_openapi::jiff::Timestamp::UNIX_EPOCH),
        )
    }

    /// This moment as a `metav1.MicroTime` (microsecond precision, as `eventTime` carries).
    pub fn to_k8s_micro_time(self) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime {
        let micros = (EPOCH_UNIX_SECONDS as i128) * 1_000_000 + (self.0 as i128) * 1000;
        k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(
            k8s_openapi::jiff::Timestamp::from_microsecond(micros as i64)
                .unwrap_or(k8s_openapi::jiff::Timestamp::UNIX_EPOCH),
        )
    }

    /// The virtual moment a `metav1.Time` stands for (clamped to zero before the epoch).
    pub fn from_k8s_time(t: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time) -> SimTime {
        let ms = t.0.as_millisecond() - EPOCH_UNIX_SECONDS * 1000;
        SimTime(ms.max(0) as u64)
    }

    /// This moment plus a span.
    pub fn plus(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// The span from `earlier` to this moment (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for SimTime {
    /// `+1m02.345s`-style offsets from the start, stable for goldens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 % 1000;
        let total_s = self.0 / 1000;
        let (h, m, s) = (total_s / 3600, (total_s / 60) % 60, total_s % 60);
        if h > 0 {
            write!(f, "{h}h{m:02}m{s:02}.{ms:03}s")
        } else if m > 0 {
            write!(f, "{m}m{s:02}.{ms:03}s")
        } else {
            write!(f, "{s}.{ms:03}s")
        }
    }
}

/// Pending timers ordered by due time, then by the order they were set.
#[derive(Debug, Clone)]
pub struct TimerQueue<T> {
    next_seq: u64,
    queue: BTreeMap<(SimTime, u64), T>,
}

impl<T> Default for TimerQueue<T> {
    fn default() -> Self {
        TimerQueue {
            next_seq: 0,
            queue: BTreeMap::new(),
        }
    }
}

impl<T> TimerQueue<T> {
    /// Schedules `item` at `due`.
    pub fn push(&mut self, due: SimTime, item: T) {
        self.queue.insert((due, self.next_seq), item);
        self.next_seq += 1;
    }

    /// When the earliest timer is due, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.queue.keys().next().map(|(t, _)| *t)
    }

    /// The earliest timer, left in place.
    pub fn peek(&self) -> Option<(SimTime, &T)> {
        self.queue.iter().next().map(|((t, _), item)| (*t, item))
    }

    /// Removes and returns the earliest timer.
    pub fn pop(&mut self) -> Option<(SimTime, T)> {
        self.queue.pop_first().map(|((t, _), item)| (t, item))
    }

    /// How many timers are pending.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no timer is pending.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn timers_pop_by_time_then_insertion_order() {
        let mut q = TimerQueue::default();
        q.push(SimTime(20), "late");
        q.push(SimTime(10), "first");
        q.push(SimTime(10), "second");
        assert_eq!(q.pop(), Some((SimTime(10), "first")));
        assert_eq!(q.pop(), Some((SimTime(10), "second")));
        assert_eq!(q.pop(), Some((SimTime(20), "late")));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn virtual_zero_is_the_v1_33_release_day() {
        let t = SimTime(61_500).to_k8s_time();
        assert_eq!(t.0.to_string(), "2025-04-23T00:01:01Z");
        assert_eq!(SimTime::from_k8s_time(&t), SimTime(61_000));
        assert_eq!(
            SimTime(1_250).to_k8s_micro_time().0.to_string(),
            "2025-04-23T00:00:01.25Z"
        );
    }

    #[test]
    fn times_print_as_offsets() {
        assert_eq!(SimTime(1_500).to_string(), "1.500s");
        assert_eq!(SimTime(62_005).to_string(), "1m02.005s");
        assert_eq!(SimTime(3_600_000).to_string(), "1h00m00.000s");
    }
}
