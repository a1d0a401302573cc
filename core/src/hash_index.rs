//! Hash maps for point lookups in big tables, with no way to iterate them.
//!
//! A `BTreeMap` keyed by strings searches a node at a time, comparing the sought key with up
//! to eleven keys of each node, each behind a pointer: at a few hundred thousand keys (the
//! store's objects, the Event leases) a lookup is some fifteen string comparisons and as many
//! cache misses. A [`HashIndex`] is one hash of the key and, nearly always, one comparison.
//!
//! The core bans `HashMap` (see `core/clippy.toml`) because its iteration order could reach
//! output. A `HashIndex` wraps one but offers no iteration at all, only "what is stored under
//! this key" and "how many", so its order cannot reach anything; a table that is ever read in
//! order stays a `BTreeMap` (the store keeps its keys in a `BTreeSet` beside its index for
//! lists). The hasher is foldhash's `FixedState` (the hasher `hashbrown` itself defaults to, a
//! few multiplications per eight bytes where SipHash takes rounds per byte), with its fixed
//! seed rather than a per-process random one: no OS randomness is read, and every run of a
//! build lays its tables out the same way.
//!
//! A big index is split into 64 tables by bits of the key's hash, each growing on its own, so
//! that no insert ever moves all its keys at once (see [`HashIndex`]).

// The one place the core holds a `HashMap`: private, and never iterated.
#![allow(clippy::disallowed_types)]

use std::borrow::Borrow;
use std::collections::hash_map::{self, HashMap};
use std::fmt;
use std::hash::{BuildHasher, Hash};

use foldhash::fast::FixedState;

/// How many keys an index holds in one table; at this many it splits into [`SHARDS`] tables.
/// Above the 4,096 of an Event recorder's caches, which stay one table.
const SPLIT_AT: usize = 8192;

/// How many tables a split index has (a power of two).
const SHARDS: usize = 64;

/// A map answering point lookups by hash, with no iteration (see the module).
///
/// A big index is split into [`SHARDS`] tables by bits of each key's hash. A hash table grows
/// by doubling, moving every key at once: one write to the store's table of a few hundred
/// thousand objects would take tens of milliseconds (a stalled frame in the playground). Split,
/// each table holds a 64th of the keys and grows on its own, so no write moves more than a
/// 64th of them.
#[derive(Clone)]
pub struct HashIndex<K, V> {
    /// Every key while the index has fewer than [`SPLIT_AT`]; empty once it has split.
    one: HashMap<K, V, FixedState>,
    /// The split tables ([`SHARDS`] of them), or none before the split.
    shards: Box<[HashMap<K, V, FixedState>]>,
}

/// Equal when they hold the same keys with equal values (in any order, however split).
impl<K: Eq + Hash, V: PartialEq> PartialEq for HashIndex<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .tables()
                .flat_map(|t| t.iter())
                .all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<K: Eq + Hash, V: Eq> Eq for HashIndex<K, V> {}

/// An empty [`HashIndex`].
pub fn new<K, V>() -> HashIndex<K, V> {
    HashIndex {
        one: HashMap::default(),
        shards: Box::new([]),
    }
}

impl<K, V> Default for HashIndex<K, V> {
    fn default() -> Self {
        new()
    }
}

/// Only the size: printing the entries would print them in hash order.
impl<K, V> fmt::Debug for HashIndex<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.one.len() + self.shards.iter().map(HashMap::len).sum::<usize>();
        f.debug_struct("HashIndex").field("len", &len).finish()
    }
}

/// The split table of a key with hash `hash`: bits 32 to 37, which the tables' own bucket
/// index (the low bits) and tag (the top seven) do not use, so each table's keys are still
/// spread over all its buckets.
fn shard_of(hash: u64) -> usize {
    (hash >> 32) as usize & (SHARDS - 1)
}

/// The split table of `key`. Out of line: an index that never splits (most of them) keeps its
/// look-ups as small as a plain table's.
#[inline(never)]
fn shard_of_key<Q: Hash + ?Sized>(key: &Q) -> usize {
    shard_of(FixedState::default().hash_one(key))
}

impl<K: Eq + Hash, V> HashIndex<K, V> {
    /// The table holding `key` (or that would).
    #[inline]
    fn table<Q>(&self, key: &Q) -> &HashMap<K, V, FixedState>
    where
        Q: Hash + ?Sized,
    {
        if self.shards.is_empty() {
            &self.one
        } else {
            &self.shards[shard_of_key(key)]
        }
    }

    /// The table holding `key` (or that would), to change.
    #[inline]
    fn table_mut<Q>(&mut self, key: &Q) -> &mut HashMap<K, V, FixedState>
    where
        Q: Hash + ?Sized,
    {
        if self.shards.is_empty() {
            &mut self.one
        } else {
            &mut self.shards[shard_of_key(key)]
        }
    }

    /// Every table, for what reads them all in no particular order (equality).
    fn tables(&self) -> impl Iterator<Item = &HashMap<K, V, FixedState>> {
        std::iter::once(&self.one).chain(self.shards.iter())
    }

    /// Before a key may be added: splits the one table once it holds [`SPLIT_AT`] keys.
    #[inline]
    fn make_room(&mut self) {
        if self.shards.is_empty() && self.one.len() >= SPLIT_AT {
            self.split();
        }
    }

    /// Moves every key of the one table into [`SHARDS`] tables, each with room to double.
    #[cold]
    #[inline(never)]
    fn split(&mut self) {
        let per = self.one.len().div_ceil(SHARDS) * 2;
        let mut shards: Box<[HashMap<K, V, FixedState>]> = (0..SHARDS)
            .map(|_| HashMap::with_capacity_and_hasher(per, FixedState::default()))
            .collect();
        for (k, v) in std::mem::take(&mut self.one) {
            shards[shard_of_key(&k)].insert(k, v);
        }
        self.shards = shards;
    }

    /// The value under `key`.
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table(key).get(key)
    }

    /// The stored key equal to `key`, and its value.
    #[inline]
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table(key).get_key_value(key)
    }

    /// The value under `key`, to change.
    #[inline]
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table_mut(key).get_mut(key)
    }

    /// Whether `key` is stored.
    #[inline]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table(key).contains_key(key)
    }

    /// Stores `value` under `key`, returning the value it replaces.
    #[inline]
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.make_room();
        self.table_mut(&key).insert(key, value)
    }

    /// The entry of `key`, to insert into or change in place (an entry iterates nothing).
    #[inline]
    pub fn entry(&mut self, key: K) -> hash_map::Entry<'_, K, V> {
        self.make_room();
        self.table_mut(&key).entry(key)
    }

    /// Removes `key`, returning its value.
    #[inline]
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table_mut(key).remove(key)
    }

    /// Removes `key`, returning the stored key and its value.
    #[inline]
    pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table_mut(key).remove_entry(key)
    }

    /// Removes every key (and the split: the index starts over as one table).
    #[inline]
    pub fn clear(&mut self) {
        self.one.clear();
        self.shards = Box::new([]);
    }

    /// How many keys are stored.
    #[inline]
    pub fn len(&self) -> usize {
        self.one.len() + self.shards.iter().map(HashMap::len).sum::<usize>()
    }

    /// Whether no key is stored.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.one.is_empty() && self.shards.iter().all(HashMap::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn keys_hash_with_a_fixed_seed_the_same_in_every_index() {
        let a: HashIndex<&str, ()> = new();
        let b: HashIndex<&str, ()> = new();
        let key = "/registry/pods/default/nginx";
        let (ha, hb) = (a.one.hasher().hash_one(key), b.one.hasher().hash_one(key));
        assert_eq!(ha, hb);
        // `FixedState::default()` is the seed 0, not one drawn per process or per map.
        assert_eq!(ha, FixedState::with_seed(0).hash_one(key));
        assert_ne!(ha, FixedState::with_seed(1).hash_one(key));
    }

    #[test]
    fn an_index_answers_lookups_and_prints_only_its_size() {
        let mut index: HashIndex<String, u32> = new();
        assert!(index.is_empty());
        assert_eq!(index.insert("b".into(), 1), None);
        assert_eq!(index.insert("a".into(), 2), None);
        assert_eq!(index.insert("b".into(), 3), Some(1));
        *index.entry("c".into()).or_insert(0) += 4;
        assert_eq!(index.get("b"), Some(&3));
        assert_eq!(index.get_key_value("c"), Some((&"c".to_string(), &4)));
        assert!(index.contains_key("a"));
        assert_eq!(index.remove_entry("a"), Some(("a".to_string(), 2)));
        assert_eq!(index.remove("a"), None);
        assert_eq!(index.len(), 2);
        assert_eq!(format!("{index:?}"), "HashIndex { len: 2 }");
        index.clear();
        assert!(index.is_empty());
    }

    #[test]
    fn an_index_split_into_tables_answers_as_one_table_did() {
        let n = SPLIT_AT * 3;
        let mut index: HashIndex<String, usize> = new();
        for i in 0..n {
            assert_eq!(
                index.insert(format!("/registry/pods/default/web-{i}"), i),
                None
            );
            if i + 1 == SPLIT_AT {
                // Split at the next key, not before.
                assert!(index.shards.is_empty());
                assert_eq!(index.len(), SPLIT_AT);
            }
        }
        assert_eq!(index.shards.len(), SHARDS);
        assert!(index.one.is_empty());
        assert_eq!(index.len(), n);
        assert_eq!(format!("{index:?}"), format!("HashIndex {{ len: {n} }}"));
        // Every table holds a share of the keys, none a quarter more than its 64th.
        for t in index.shards.iter() {
            assert!(t.len() * SHARDS * 4 < n * 5, "{} of {n}", t.len());
        }
        for i in (0..n).step_by(7) {
            let key = format!("/registry/pods/default/web-{i}");
            assert_eq!(index.get(key.as_str()), Some(&i));
            assert!(index.contains_key(key.as_str()));
            assert_eq!(
                index.get_key_value(key.as_str()).map(|(k, _)| k),
                Some(&key)
            );
        }
        assert_eq!(index.get("/registry/pods/default/web-x"), None);
        *index.get_mut("/registry/pods/default/web-1").unwrap() += 10;
        *index
            .entry("/registry/pods/default/web-2".into())
            .or_insert(0) += 20;
        *index
            .entry("/registry/pods/default/new".into())
            .or_insert(5) += 1;
        assert_eq!(index.get("/registry/pods/default/web-1"), Some(&11));
        assert_eq!(index.get("/registry/pods/default/web-2"), Some(&22));
        assert_eq!(index.get("/registry/pods/default/new"), Some(&6));
        assert_eq!(index.remove("/registry/pods/default/web-3"), Some(3));
        assert_eq!(index.remove("/registry/pods/default/web-3"), None);
        assert_eq!(
            index.remove_entry("/registry/pods/default/web-4"),
            Some(("/registry/pods/default/web-4".to_string(), 4))
        );
        assert_eq!(index.len(), n - 1);
        // The same keys and values held in one table are an equal index; one value differing
        // or one key missing is not.
        let mut other: HashIndex<String, usize> = new();
        other.one.reserve(n);
        for i in (0..n).rev().filter(|i| *i != 3 && *i != 4) {
            let v = match i {
                1 => 11,
                2 => 22,
                _ => i,
            };
            other
                .one
                .insert(format!("/registry/pods/default/web-{i}"), v);
        }
        other.one.insert("/registry/pods/default/new".into(), 6);
        assert!(other.shards.is_empty());
        assert_eq!(index, other);
        assert_eq!(other, index);
        other.one.insert("/registry/pods/default/new".into(), 7);
        assert!(index != other);
        other.one.remove("/registry/pods/default/new");
        assert_ne!(index, other);
        assert_ne!(other, index);
        index.clear();
        assert!(index.is_empty() && index.shards.is_empty());
        index.insert("a".into(), 1);
        assert_eq!(index.get("a"), Some(&1));
    }
}
