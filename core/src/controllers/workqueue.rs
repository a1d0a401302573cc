//! A controller's work queue in virtual time: keys marked dirty by watch events are synced on
//! the next timer, each once, in key order; keys may be re-added after a delay (`AddAfter`).

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

    /// The timer fired: the keys due now, in order (the queue re-arms for later ones).
    pub fn take_due(&mut self, ctx: &mut Ctx<'_>) -> Vec<(String, String)> {
        if self.armed.is_some_and(|t| t <= ctx.now) {
            self.armed = None;
        }
        let due: Vec<SimTime> = self.later.range(..=ctx.now).map(|(t, _)| *t).collect();
        for t in due {
            if let Some(keys) = self.later.remove(&t) {
                self.dirty.extend(keys);
            }
        }
        if let Some(next) = self.later.keys().next().copied() {
            self.arm(next, ctx);
        }
        std::mem::take(&mut self.dirty).into_iter().collect()
    }
}
