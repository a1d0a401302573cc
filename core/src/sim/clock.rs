//! Virtual time: a millisecond clock that only moves when the simulation says so, and the timer
//! queue that tells it where to jump next (ties broken by insertion order).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
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
///
/// A binary heap on that key: it is a total order (no two timers share a sequence number), so
/// timers come out in the same order as from a sorted map, without a tree node per timer.
#[derive(Debug, Clone)]
pub struct TimerQueue<T> {
    next_seq: u64,
    queue: BinaryHeap<Reverse<Timer<T>>>,
}

/// One pending timer, ordered by `(due, seq)` alone.
#[derive(Debug, Clone)]
struct Timer<T> {
    due: SimTime,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Timer<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}

impl<T> Eq for Timer<T> {}

impl<T> PartialOrd for Timer<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Timer<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

impl<T> Default for TimerQueue<T> {
    fn default() -> Self {
        TimerQueue {
            next_seq: 0,
            queue: BinaryHeap::new(),
        }
    }
}

impl<T> TimerQueue<T> {
    /// Schedules `item` at `due`.
    pub fn push(&mut self, due: SimTime, item: T) {
        self.queue.push(Reverse(Timer {
            due,
            seq: self.next_seq,
            item,
        }));
        self.next_seq += 1;
    }

    /// When the earliest timer is due, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.queue.peek().map(|Reverse(t)| t.due)
    }

    /// The earliest timer, left in place.
    pub fn peek(&self) -> Option<(SimTime, &T)> {
        self.queue.peek().map(|Reverse(t)| (t.due, &t.item))
    }

    /// Removes and returns the earliest timer.
    pub fn pop(&mut self) -> Option<(SimTime, T)> {
        self.queue.pop().map(|Reverse(t)| (t.due, t.item))
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
    fn many_timers_due_together_keep_their_order_across_pushes_and_pops() {
        // Pushes at a handful of due times, popping now and then, against a list kept sorted
        // by (due, push order): the queue must hand out exactly the list's order.
        let mut q = TimerQueue::default();
        let mut expected: Vec<(SimTime, u64, usize)> = Vec::new();
        let (mut seq, mut x) = (0u64, 7u64);
        let mut popped = Vec::new();
        let mut wanted = Vec::new();
        for i in 0..500 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let due = SimTime(popped.len() as u64 + (x >> 60));
            q.push(due, i);
            expected.push((due, seq, i));
            seq += 1;
            if x >> 62 == 0 {
                expected.sort();
                wanted.push(expected.remove(0));
                popped.push(q.pop().expect("a timer is pending"));
            }
        }
        expected.sort();
        wanted.extend(expected);
        while let Some(t) = q.pop() {
            popped.push(t);
        }
        let wanted: Vec<(SimTime, usize)> = wanted.into_iter().map(|(t, _, i)| (t, i)).collect();
        assert_eq!(popped, wanted);
        assert!(q.is_empty());
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
