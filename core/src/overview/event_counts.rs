//! Events counted by the moment they were last seen, so that the timeline's axis can count the
//! Events (and the Warnings) of any span of time in O(log n) instead of walking the whole log at
//! every render: two Fenwick trees over the distinct moments, in time order. Time only moves on,
//! so a new moment is mostly the latest and is appended; an earlier one (the store's order brings
//! an Event seen a little before the latest now and then) rebuilds the trees from its place on,
//! and a log whose Events are mostly gone (Events expire after an hour) drops the moments left
//! empty, so the counts stay in proportion to the Events there are.

use crate::sim::SimTime;

/// Past this many empty moments, and when they are half of all, the empty ones are dropped.
const COMPACT_AT: usize = 1024;

/// Events and Warnings per distinct moment, with their prefix sums.
#[derive(Debug, Default, Clone)]
pub struct EventCounts {
    /// Every moment that has held an Event, ascending (a moment whose Events are gone stays, at 0,
    /// until the next compaction).
    moments: Vec<SimTime>,
    /// How many moments hold no Event.
    empty: usize,
    /// Events and Warnings at each moment, as the trees are built from.
    at: Vec<(u32, u32)>,
    events: Fenwick,
    warnings: Fenwick,
}

impl EventCounts {
    /// Counts one Event more (`delta` 1) or less (`delta` -1) at `at`.
    pub fn add(&mut self, at: SimTime, warning: bool, delta: i32) {
        let w = if warning { delta } else { 0 };
        let i = match self.moments.binary_search(&at) {
            Ok(i) => i,
            Err(_) if delta < 0 => return,
            Err(i) if i == self.moments.len() => {
                self.empty += 1;
                self.moments.push(at);
                self.at.push((0, 0));
                self.events.push(0);
                self.warnings.push(0);
                i
            }
            Err(i) => {
                self.empty += 1;
                self.moments.insert(i, at);
                self.at.insert(i, (0, 0));
                self.rebuild_from(i);
                i
            }
        };
        let c = &mut self.at[i];
        if delta < 0 && (c.0 == 0 || (warning && c.1 == 0)) {
            // Nothing to take away: the log never removes what it did not add.
            return;
        }
        let was = c.0;
        c.0 = c.0.saturating_add_signed(delta);
        c.1 = c.1.saturating_add_signed(w);
        let now = c.0;
        self.events.add(i, i64::from(delta));
        self.warnings.add(i, i64::from(w));
        match (was, now) {
            (0, n) if n > 0 => self.empty = self.empty.saturating_sub(1),
            (n, 0) if n > 0 => self.empty += 1,
            _ => {}
        }
        if self.empty > COMPACT_AT && 2 * self.empty > self.moments.len() {
            self.compact();
        }
    }

    /// Drops the moments that hold no Event.
    fn compact(&mut self) {
        let mut keep = self.at.iter().map(|c| c.0 > 0);
        self.moments.retain(|_| keep.next().unwrap_or(false));
        self.at.retain(|c| c.0 > 0);
        self.empty = 0;
        self.rebuild_from(0);
    }

    /// Builds the trees again from moment `i` on: the nodes before it sum only moments before
    /// it, so a moment inserted near the end (an Event seen a little before the latest, which the
    /// store's order often brings) costs in proportion to the moments after it.
    fn rebuild_from(&mut self, i: usize) {
        self.events.0.truncate(i);
        self.warnings.0.truncate(i);
        for c in &self.at[i..] {
            self.events.push(i64::from(c.0));
            self.warnings.push(i64::from(c.1));
        }
    }

    /// How many Events there are, and how many Warnings.
    pub fn all(&self) -> (usize, usize) {
        let n = |f: &Fenwick| usize::try_from(f.prefix(self.moments.len())).unwrap_or(0);
        (n(&self.events), n(&self.warnings))
    }

    /// How many moments are kept (for tests: they follow the Events there are).
    pub fn moments(&self) -> usize {
        self.moments.len()
    }

    /// How many Events, and how many of them Warnings, were last seen before `t`.
    pub fn before(&self, t: SimTime) -> (usize, usize) {
        let k = self.moments.partition_point(|m| *m < t);
        let n = |f: &Fenwick| usize::try_from(f.prefix(k)).unwrap_or(0);
        (n(&self.events), n(&self.warnings))
    }
}

/// A Fenwick (binary indexed) tree of sums that grows at its end.
#[derive(Debug, Default, Clone)]
struct Fenwick(Vec<i64>);

impl Fenwick {
    /// Appends a value: node `i` (1-based) holds the sum of the `i & -i` values ending at it.
    fn push(&mut self, v: i64) {
        let i = self.0.len() + 1;
        let low = i & i.wrapping_neg();
        let covered = self.prefix(i - 1) - self.prefix(i - low);
        self.0.push(covered + v);
    }

    /// Adds `delta` to the value at `index` (0-based).
    fn add(&mut self, index: usize, delta: i64) {
        let mut i = index + 1;
        while i <= self.0.len() {
            self.0[i - 1] += delta;
            i += i & i.wrapping_neg();
        }
    }

    /// The sum of the first `k` values.
    fn prefix(&self, k: usize) -> i64 {
        let mut i = k.min(self.0.len());
        let mut sum = 0;
        while i > 0 {
            sum += self.0[i - 1];
            i &= i - 1;
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counts before every moment, as a walk over a plain list of (moment, warning) finds them.
    fn walk(list: &[(u64, bool)], t: u64) -> (usize, usize) {
        let before: Vec<_> = list.iter().filter(|(at, _)| *at < t).collect();
        (before.len(), before.iter().filter(|(_, w)| *w).count())
    }

    #[test]
    fn counts_before_any_moment_match_a_walk_over_the_events() {
        let mut counts = EventCounts::default();
        let mut list: Vec<(u64, bool)> = Vec::new();
        // A small deterministic generator: mostly later moments, some earlier, some removals.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut latest = 0;
        for step in 0..3_000 {
            let r = next();
            if r % 7 == 0 && !list.is_empty() {
                let (at, w) = list.swap_remove((r as usize / 7) % list.len());
                counts.add(SimTime(at), w, -1);
            } else {
                let at = if r % 11 == 0 {
                    r % (latest + 1)
                } else {
                    latest += r % 3;
                    latest
                };
                let w = r % 5 == 0;
                list.push((at, w));
                counts.add(SimTime(at), w, 1);
            }
            if step % 97 == 0 {
                for t in 0..=latest + 1 {
                    assert_eq!(counts.before(SimTime(t)), walk(&list, t), "t = {t}");
                }
            }
        }
        assert_eq!(counts.before(SimTime(u64::MAX)), walk(&list, u64::MAX));
        counts.add(SimTime(u64::MAX), true, 1);
        list.push((u64::MAX, true));
        let warnings = list.iter().filter(|(_, w)| *w).count();
        assert_eq!(counts.all(), (list.len(), warnings));
    }

    #[test]
    fn moments_whose_events_are_gone_are_dropped_and_the_counts_stay_right() {
        let mut counts = EventCounts::default();
        // A day of Events, one a second, each gone an hour after it came.
        for s in 0..86_400u64 {
            counts.add(SimTime(s * 1000), s % 10 == 0, 1);
            if s >= 3_600 {
                let gone = s - 3_600;
                counts.add(SimTime(gone * 1000), gone % 10 == 0, -1);
            }
        }
        assert!(
            counts.moments() <= 2 * 3_600 + COMPACT_AT + 1,
            "{}",
            counts.moments()
        );
        let last_hour = SimTime((86_400 - 3_600) * 1000);
        assert_eq!(counts.before(last_hour), (0, 0));
        assert_eq!(counts.before(SimTime(u64::MAX)), (3_600, 360));
        assert_eq!(
            counts.before(SimTime((86_400 - 1_800) * 1000)),
            (1_800, 180)
        );
    }

    #[test]
    fn an_empty_count_and_one_moment() {
        let mut counts = EventCounts::default();
        assert_eq!(counts.before(SimTime(10)), (0, 0));
        counts.add(SimTime(5), true, 1);
        counts.add(SimTime(5), false, 1);
        assert_eq!(counts.before(SimTime(5)), (0, 0));
        assert_eq!(counts.before(SimTime(6)), (2, 1));
        counts.add(SimTime(5), true, -1);
        assert_eq!(counts.before(SimTime(6)), (1, 0));
    }
}
