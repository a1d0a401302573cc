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

// The one place the core holds a `HashMap`: private, and never iterated.
#![allow(clippy::disallowed_types)]

use std::borrow::Borrow;
use std::collections::hash_map::{self, HashMap};
use std::fmt;
use std::hash::Hash;

use foldhash::fast::FixedState;

/// A map answering point lookups by hash, with no iteration (see the module).
#[derive(Clone)]
pub struct HashIndex<K, V>(HashMap<K, V, FixedState>);

/// Equal when they hold the same keys with equal values (in any order).
impl<K: Eq + Hash, V: PartialEq> PartialEq for HashIndex<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<K: Eq + Hash, V: Eq> Eq for HashIndex<K, V> {}

/// An empty [`HashIndex`].
pub fn new<K, V>() -> HashIndex<K, V> {
    HashIndex(HashMap::default())
}

impl<K, V> Default for HashIndex<K, V> {
    fn default() -> Self {
        new()
    }
}

/// Only the size: printing the entries would print them in hash order.
impl<K, V> fmt::Debug for HashIndex<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashIndex")
            .field("len", &self.0.len())
            .finish()
    }
}

impl<K: Eq + Hash, V> HashIndex<K, V> {
    /// The value under `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get(key)
    }

    /// The stored key equal to `key`, and its value.
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get_key_value(key)
    }

    /// The value under `key`, to change.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get_mut(key)
    }

    /// Whether `key` is stored.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.contains_key(key)
    }

    /// Stores `value` under `key`, returning the value it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.0.insert(key, value)
    }

    /// The entry of `key`, to insert into or change in place (an entry iterates nothing).
    pub fn entry(&mut self, key: K) -> hash_map::Entry<'_, K, V> {
        self.0.entry(key)
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.remove(key)
    }

    /// Removes `key`, returning the stored key and its value.
    pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.remove_entry(key)
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// How many keys are stored.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no key is stored.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
        let (ha, hb) = (a.0.hasher().hash_one(key), b.0.hasher().hash_one(key));
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
}
