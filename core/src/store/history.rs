//! Per-key history for the UI: the last few revisions of every object (who wrote them and what
//! they were), kept a while after deletion, and a line diff between any two of them.
//!
//! Memory is bounded three ways, each with a default in [`StoreConfig`](super::StoreConfig):
//! at most `history_per_key` entries per key, at most `history_total` entries overall (the oldest
//! writes are forgotten first), and the history of at most `tombstoned_keys` deleted keys (the
//! longest-deleted are forgotten first).

use std::collections::VecDeque;
use std::sync::Arc;

use crate::hash_index::HashIndex;
use crate::object::Object;

use super::watch::WatchEventType;

/// Stale writes `order` may hold beyond the live entries before it is swept.
const MIN_SWEEP: usize = 1024;

/// One remembered revision of one key.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// The store revision of the write.
    pub revision: i64,
    /// What the write did.
    pub type_: WatchEventType,
    /// Who wrote it, e.g. `kube-scheduler`, `kubelet/node-1`, `kubectl`.
    pub writer: Arc<str>,
    /// The object as written; for a deletion, its last state with the deletion's revision.
    pub object: Arc<Object>,
}

/// One line of a diff between two renderings of an object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiffLine {
    /// The line is in both.
    Same(String),
    /// The line is only in the newer rendering.
    Added(String),
    /// The line is only in the older rendering.
    Removed(String),
}

/// Where one key's history is kept in [`History`]: the store's entry for a live key holds it,
/// so that a write of the key records without looking the key up.
pub type HistorySlot = usize;

/// One key's remembered revisions.
#[derive(Debug, Default)]
struct Slot {
    key: Arc<str>,
    entries: Vec<HistoryEntry>,
}

impl Slot {
    /// Whether the key's last remembered write deleted it.
    fn deleted(&self) -> bool {
        self.entries
            .last()
            .is_some_and(|e| e.type_ == WatchEventType::Deleted)
    }
}

/// The bounded per-key history of the store.
///
/// Each key's entries sit in a slot of a vector; the key finds its slot through `per_key`, the
/// store's entry remembers it, and the queues that forget hold slots, so neither a write nor
/// forgetting the oldest entry looks a key up. A key whose entries are all forgotten frees its
/// slot for reuse: the store's entry then finds that the slot names another key (or none) and
/// looks the key up. A slot in a queue that was freed and reused since is told apart by
/// revision: every later write has a later one.
#[derive(Debug, Default)]
pub struct History {
    per_key_cap: usize,
    total_cap: usize,
    tombstone_cap: usize,
    /// The slot of each key with a history (looked up, never listed).
    per_key: HashIndex<Arc<str>, HistorySlot>,
    slots: Vec<Slot>,
    /// Slots of forgotten keys, to reuse.
    free: Vec<HistorySlot>,
    /// How many entries the slots hold in all.
    live: usize,
    /// The recorded writes in revision order, to forget the oldest when over `total_cap`. An
    /// entry already dropped by the per-key or tombstone cap is skipped when it comes up, and
    /// such stale entries are swept out once they are as many as the live ones: without the
    /// sweep, this queue would grow to `total_cap` writes of a few busy keys (node Leases
    /// renewed every 10 s) while the history itself stays at a few thousand entries.
    order: VecDeque<(i64, HistorySlot)>,
    /// Deletions in revision order, to forget the longest-deleted keys.
    tombstones: VecDeque<(i64, HistorySlot)>,
}

impl History {
    /// An empty history with the given bounds.
    pub fn new(per_key_cap: usize, total_cap: usize, tombstone_cap: usize) -> History {
        History {
            per_key_cap,
            total_cap,
            tombstone_cap,
            ..History::default()
        }
    }

    /// The slot of `key` given the one it had (`hint`, from an earlier call): that one if it is
    /// still the key's, else the key's own if it has a history, else a fresh one; `None` when
    /// the history keeps nothing (a cap of 0).
    pub fn slot(&mut self, hint: Option<HistorySlot>, key: &Arc<str>) -> Option<HistorySlot> {
        if self.per_key_cap == 0 || self.total_cap == 0 {
            return None;
        }
        // A freed slot names no key, and keys are never empty.
        if self.key_of(hint, key).is_some() {
            return hint;
        }
        if let Some(&slot) = self.per_key.get(&**key) {
            return Some(slot);
        }
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot].key = Arc::clone(key);
                slot
            }
            None => {
                self.slots.push(Slot {
                    key: Arc::clone(key),
                    entries: Vec::new(),
                });
                self.slots.len() - 1
            }
        };
        self.per_key.insert(Arc::clone(key), slot);
        Some(slot)
    }

    /// The key of `slot` if it is `key`'s: the key's `Arc` kept since the slot was taken.
    pub fn key_of(&self, slot: Option<HistorySlot>, key: &str) -> Option<&Arc<str>> {
        let held = &self.slots.get(slot?)?.key;
        (**held == *key).then_some(held)
    }

    /// Remembers one write of the key whose slot is `slot`, just returned by [`History::slot`].
    pub fn record_at(&mut self, slot: HistorySlot, entry: HistoryEntry) {
        let revision = entry.revision;
        let deleted = entry.type_ == WatchEventType::Deleted;
        let entries = &mut self.slots[slot].entries;
        entries.push(entry);
        self.live += 1;
        if entries.len() > self.per_key_cap {
            let excess = entries.len() - self.per_key_cap;
            entries.drain(..excess);
            self.live -= excess;
        }
        self.order.push_back((revision, slot));
        while self.live > self.total_cap {
            match self.order.pop_front() {
                Some((rev, s)) => self.forget_entry(s, rev),
                None => break,
            }
        }
        if deleted {
            self.tombstones.push_back((revision, slot));
            while self.tombstones.len() > self.tombstone_cap {
                if let Some((rev, s)) = self.tombstones.pop_front() {
                    // Only if the key was not re-created (and deleted again) since.
                    let still_deleted = self.slots[s]
                        .entries
                        .last()
                        .is_some_and(|last| last.revision == rev);
                    if still_deleted {
                        self.release(s);
                    }
                }
            }
        }
        if self.order.len() > 2 * self.live + MIN_SWEEP {
            self.sweep_order();
        }
    }

    fn forget_entry(&mut self, slot: HistorySlot, revision: i64) {
        let entries = &mut self.slots[slot].entries;
        if entries.first().is_some_and(|e| e.revision == revision) {
            entries.remove(0);
            self.live -= 1;
            if entries.is_empty() {
                self.release(slot);
            }
        }
    }

    /// Forgets a key's history and frees its slot.
    fn release(&mut self, slot: HistorySlot) {
        let gone = std::mem::take(&mut self.slots[slot]);
        self.live -= gone.entries.len();
        self.per_key.remove(&gone.key);
        self.free.push(slot);
    }

    /// Drops the writes in `order` whose entries are gone. A key's remembered entries are the
    /// suffix of its writes from the first one still held, so a write is gone if it is older than
    /// that (or its slot holds nothing, or another key's later writes).
    fn sweep_order(&mut self) {
        let slots = &self.slots;
        self.order.retain(|(rev, s)| {
            slots[*s]
                .entries
                .first()
                .is_some_and(|first| *rev >= first.revision)
        });
    }

    /// The remembered revisions of `key`, oldest first (empty if none).
    pub fn entries(&self, key: &str) -> &[HistoryEntry] {
        self.per_key
            .get(key)
            .map_or(&[], |&slot| self.slots[slot].entries.as_slice())
    }

    /// The remembered entry of `key` at exactly `revision`.
    pub fn at(&self, key: &str, revision: i64) -> Option<&HistoryEntry> {
        self.entries(key).iter().find(|e| e.revision == revision)
    }

    /// A line diff of `key` from revision `from` to revision `to`, or `None` if either revision
    /// is not remembered.
    pub fn diff(&self, key: &str, from: i64, to: i64) -> Option<Vec<DiffLine>> {
        let a = self.at(key, from)?;
        let b = self.at(key, to)?;
        Some(line_diff(&render(&a.object), &render(&b.object)))
    }

    /// How many entries are remembered in all.
    pub fn total_len(&self) -> usize {
        self.live
    }

    /// How many writes the queue that forgets the oldest first holds (live and stale): at most
    /// twice [`History::total_len`] plus a constant.
    pub fn order_len(&self) -> usize {
        self.order.len()
    }

    /// How many keys have a remembered history.
    pub fn keys_len(&self) -> usize {
        self.per_key.len()
    }

    /// How many remembered keys are currently deleted.
    pub fn tombstoned_len(&self) -> usize {
        // A freed slot holds no entries, so it is not counted.
        self.slots.iter().filter(|s| s.deleted()).count()
    }
}

/// The rendering diffs compare: the object as pretty-printed Kubernetes JSON (keys sorted, as
/// `kubectl get -o json` prints them).
pub fn render(object: &Object) -> String {
    serde_json::to_string_pretty(&object.to_json()).unwrap_or_default()
}

/// Above this many cells (lines × lines after trimming the common start and end) the diff gives
/// up on alignment and shows the middle as removed then added.
const MAX_LCS_CELLS: usize = 4_000_000;

/// A longest-common-subsequence line diff of `old` to `new`.
pub fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (mid_a, mid_b) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);

    let mut out: Vec<DiffLine> = a[..prefix]
        .iter()
        .map(|l| DiffLine::Same(l.to_string()))
        .collect();
    let (n, m) = (mid_a.len(), mid_b.len());
    if n.saturating_mul(m) > MAX_LCS_CELLS {
        out.extend(mid_a.iter().map(|l| DiffLine::Removed(l.to_string())));
        out.extend(mid_b.iter().map(|l| DiffLine::Added(l.to_string())));
    } else {
        // lcs[i][j]: LCS length of mid_a[i..] and mid_b[j..].
        let width = m + 1;
        let mut lcs = vec![0u32; (n + 1) * width];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * width + j] = if mid_a[i] == mid_b[j] {
                    lcs[(i + 1) * width + j + 1] + 1
                } else {
                    lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n && j < m {
            if mid_a[i] == mid_b[j] {
                out.push(DiffLine::Same(mid_a[i].to_string()));
                i += 1;
                j += 1;
            } else if lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
                out.push(DiffLine::Removed(mid_a[i].to_string()));
                i += 1;
            } else {
                out.push(DiffLine::Added(mid_b[j].to_string()));
                j += 1;
            }
        }
        out.extend(mid_a[i..].iter().map(|l| DiffLine::Removed(l.to_string())));
        out.extend(mid_b[j..].iter().map(|l| DiffLine::Added(l.to_string())));
    }
    out.extend(
        a[a.len() - suffix..]
            .iter()
            .map(|l| DiffLine::Same(l.to_string())),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn line_diff_keeps_common_lines_and_marks_the_changes() {
        let d = line_diff("a\nb\nc\nd", "a\nc\nx\nd");
        assert_eq!(
            d,
            vec![
                DiffLine::Same("a".into()),
                DiffLine::Removed("b".into()),
                DiffLine::Same("c".into()),
                DiffLine::Added("x".into()),
                DiffLine::Same("d".into()),
            ]
        );
    }

    fn write(h: &mut History, key: &str, revision: i64, type_: WatchEventType) {
        let entry = HistoryEntry {
            revision,
            type_,
            writer: Arc::from("kubelet/node-1"),
            object: Arc::new(Object::Pod(Default::default())),
        };
        if let Some(slot) = h.slot(None, &Arc::from(key)) {
            h.record_at(slot, entry);
        }
    }

    #[test]
    fn a_busy_key_keeps_the_forgetting_queue_near_the_live_entries() {
        // A node Lease renewed every 10 s: the per-key cap keeps 16 entries, and the queue that
        // forgets the oldest writes does not keep the 100,000 writes the total cap would allow.
        let mut h = History::new(16, 100_000, 1_000);
        write(
            &mut h,
            "/registry/services/default/web",
            1,
            WatchEventType::Added,
        );
        for rev in 2..=50_000 {
            write(
                &mut h,
                "/registry/leases/node-1",
                rev,
                WatchEventType::Modified,
            );
        }
        assert_eq!(h.total_len(), 17);
        assert_eq!(h.entries("/registry/leases/node-1").len(), 16);
        assert!(h.order_len() <= 2 * 17 + MIN_SWEEP, "{}", h.order_len());
        // The quiet key's only write is still remembered: the total cap counts entries.
        assert_eq!(h.entries("/registry/services/default/web").len(), 1);
    }

    #[test]
    fn the_total_cap_forgets_the_oldest_live_entries_first() {
        let mut h = History::new(2, 5, 10);
        for (rev, key) in ["a", "b", "a", "a", "c", "d", "b", "e"].iter().enumerate() {
            write(&mut h, key, rev as i64 + 1, WatchEventType::Modified);
        }
        // Writes: a1 b2 a3 a4 c5 d6 b7 e8; the per-key cap drops a1; then the total cap of 5
        // drops b2 and a3 (the oldest live), leaving a4 c5 d6 b7 e8.
        let revs = |k: &str| h.entries(k).iter().map(|e| e.revision).collect::<Vec<_>>();
        assert_eq!(revs("a"), vec![4]);
        assert_eq!(revs("b"), vec![7]);
        assert_eq!(revs("c"), vec![5]);
        assert_eq!(revs("d"), vec![6]);
        assert_eq!(revs("e"), vec![8]);
        assert_eq!(h.total_len(), 5);
        // A deleted key forgotten by the tombstone cap leaves the count too.
        let mut h = History::new(4, 100, 1);
        write(&mut h, "x", 1, WatchEventType::Added);
        write(&mut h, "x", 2, WatchEventType::Deleted);
        write(&mut h, "y", 3, WatchEventType::Added);
        write(&mut h, "y", 4, WatchEventType::Deleted);
        assert_eq!(h.total_len(), 2);
        assert!(h.entries("x").is_empty());
    }

    #[test]
    fn line_diff_of_identical_texts_is_all_same() {
        let d = line_diff("a\nb", "a\nb");
        assert!(d.iter().all(|l| matches!(l, DiffLine::Same(_))));
        assert_eq!(d.len(), 2);
        assert_eq!(line_diff("", "x"), vec![DiffLine::Added("x".into())]);
    }
}
