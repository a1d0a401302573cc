//! A controller's work queue in virtual time: keys marked dirty by watch events are synced one
//! per timer, each once, in key order; keys may be re-added after a delay (`AddAfter`).
//!
//! One key per item, as one of upstream's workers takes one key from the queue at a time
//! (`processNextWorkItem`): the other components' work at the same moment runs between two
//! syncs, and no single item of the simulation holds every dirty object's sync (thirty
//! 500-pod ReplicaSet syncs in one item took seconds of the page's time).

use std::collections::{BTreeMap, BTreeSet};

use crate::component::Ctx;
use crate::sim::{SimDuration, SimTime};

/// The timer token a work queue uses.
const TOKEN_WORK: u64 = 1;

/// Dirty `(namespace, name)` keys waiting for a sync.
#[derive(Debug, Default)]
pub struct WorkQueue {
    dirty: BTreeSet<(String, String)>,
    later: BTreeMap<SimTime, BTreeSet<(String, String)>>,
    armed: Option<SimTime>,
}

impl WorkQueue {
    /// Marks a key for the next sync, arming the queue's timer.
    pub fn add(&mut self, key: (String, String), ctx: &mut Ctx<'_>) {
        self.dirty.insert(key);
        self.arm(ctx.now, ctx);
    }

    /// Adds a key after `delay` (`AddAfter`).
    pub fn add_after(&mut self, key: (String, String), delay: SimDuration, ctx: &mut Ctx<'_>) {
        let at = ctx.now.plus(delay);
        self.later.entry(at).or_default().insert(key);
        self.arm(at, ctx);
    }

    fn arm(&mut self, at: SimTime, ctx: &mut Ctx<'_>) {
        if self.armed.is_some_and(|t| t <= at && t >= ctx.now) {
            return;
        }
        self.armed = Some(at);
        ctx.after(at.since(ctx.now), TOKEN_WORK);
    }

    /// The worker was busy when the timer fired and took no key: arms the timer again for
    /// what is due (now, or the next delayed key), now that it is free.
    pub fn resume(&mut self, ctx: &mut Ctx<'_>) {
        self.armed = None;
        self.promote_due(ctx.now);
        self.arm_for_next(ctx);
    }

    /// Moves the delayed keys due by `now` to the dirty set.
    fn promote_due(&mut self, now: SimTime) {
        let due: Vec<SimTime> = self.later.range(..=now).map(|(t, _)| *t).collect();
        for t in due {
            if let Some(keys) = self.later.remove(&t) {
                self.dirty.extend(keys);
            }
        }
    }

    /// Arms the timer for the next key: now when one is dirty, else the first delayed one.
    fn arm_for_next(&mut self, ctx: &mut Ctx<'_>) {
        if !self.dirty.is_empty() {
            self.arm(ctx.now, ctx);
        } else if let Some(next) = self.later.keys().next().copied() {
            self.arm(next, ctx);
        }
    }

    /// The timer fired: the first key due now, if any. The queue re-arms for the next one,
    /// at this same moment when more keys are due.
    pub fn take_next(&mut self, ctx: &mut Ctx<'_>) -> Option<(String, String)> {
        if self.armed.is_some_and(|t| t <= ctx.now) {
            self.armed = None;
        }
        self.promote_due(ctx.now);
        let key = self.dirty.pop_first();
        self.arm_for_next(ctx);
        key
    }
}
