//! Which component owns each watch and which watches have a delivery scheduled, by watch id.
//!
//! The store numbers watches from 0 up, so both are vectors indexed by the id: a change that
//! wakes a watch costs two indexings instead of two tree look-ups, and a walk over the owners
//! goes in id order as a sorted map would.

use crate::store::WatchId;

/// The cluster's bookkeeping of its components' watches.
#[derive(Debug, Default)]
pub(crate) struct WatchTable {
    /// Per watch id, the owned watch there (`None` for an id no component opened).
    watches: Vec<Option<Owned>>,
}

/// An owned watch.
#[derive(Debug, Clone, Copy)]
struct Owned {
    /// The index of the component that opened it.
    owner: usize,
    /// Whether a delivery of its waiting events is in the timer queue.
    scheduled: bool,
}

fn slot(id: WatchId) -> usize {
    usize::try_from(id.0).unwrap_or(usize::MAX)
}

impl WatchTable {
    /// Records that component `index` opened watch `id`.
    pub(crate) fn own(&mut self, id: WatchId, index: usize) {
        let at = slot(id);
        if at == usize::MAX {
            return;
        }
        if self.watches.len() <= at {
            self.watches.resize(at + 1, None);
        }
        self.watches[at] = Some(Owned {
            owner: index,
            scheduled: false,
        });
    }

    /// The component that opened watch `id`.
    pub(crate) fn owner(&self, id: WatchId) -> Option<usize> {
        self.watches
            .get(slot(id))
            .copied()
            .flatten()
            .map(|w| w.owner)
    }

    /// The watches opened by any of `components`, in id order.
    pub(crate) fn owned_by(&self, components: &[usize]) -> Vec<WatchId> {
        self.watches
            .iter()
            .enumerate()
            .filter(|(_, w)| w.is_some_and(|w| components.contains(&w.owner)))
            .map(|(i, _)| WatchId(i as u64))
            .collect()
    }

    /// Marks a delivery of watch `id` as scheduled; false if one already was, or if no
    /// component owns the watch.
    pub(crate) fn schedule(&mut self, id: WatchId) -> bool {
        match self.watches.get_mut(slot(id)) {
            Some(Some(w)) if !w.scheduled => {
                w.scheduled = true;
                true
            }
            _ => false,
        }
    }

    /// The scheduled delivery of watch `id` is running.
    pub(crate) fn delivered(&mut self, id: WatchId) {
        if let Some(Some(w)) = self.watches.get_mut(slot(id)) {
            w.scheduled = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_watch_is_scheduled_once_until_delivered_and_only_if_owned() {
        let mut t = WatchTable::default();
        t.own(WatchId(3), 7);
        t.own(WatchId(1), 2);
        assert_eq!(t.owner(WatchId(3)), Some(7));
        assert_eq!(t.owner(WatchId(2)), None);
        assert_eq!(t.owner(WatchId(99)), None);
        assert!(t.schedule(WatchId(3)));
        assert!(!t.schedule(WatchId(3)));
        // Not owned: never scheduled, as before (deliveries only go to owned watches).
        assert!(!t.schedule(WatchId(2)));
        assert!(!t.schedule(WatchId(40)));
        t.delivered(WatchId(3));
        assert!(t.schedule(WatchId(3)));
        assert_eq!(t.owned_by(&[7, 2]), vec![WatchId(1), WatchId(3)]);
        assert_eq!(t.owned_by(&[5]), Vec::<WatchId>::new());
    }
}
