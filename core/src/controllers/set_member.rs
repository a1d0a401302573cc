//! Keeping a key's membership of a sorted set in step with a fact, as the controllers' indexes
//! do on every change of an object: most changes leave the membership as it was, so the key is
//! copied only when it goes in.

use std::borrow::Borrow;
use std::collections::BTreeSet;

/// Puts `key` in `set` when `member`, else takes it out; copies the key only when it was not
/// there.
pub fn set_member<K, Q>(set: &mut BTreeSet<K>, key: &Q, member: bool)
where
    K: Borrow<Q> + Ord,
    Q: ?Sized + Ord + ToOwned<Owned = K>,
{
    if !member {
        set.remove(key);
    } else if !set.contains(key) {
        set.insert(key.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_key_goes_in_once_and_comes_out() {
        let mut set: BTreeSet<String> = BTreeSet::new();
        set_member(&mut set, "b", true);
        set_member(&mut set, "a", true);
        set_member(&mut set, "b", true);
        assert_eq!(set.iter().collect::<Vec<_>>(), ["a", "b"]);
        set_member(&mut set, "a", false);
        set_member(&mut set, "c", false);
        assert_eq!(set.iter().collect::<Vec<_>>(), ["b"]);
        let mut slots: BTreeSet<(usize, String)> = BTreeSet::new();
        set_member(&mut slots, &(1, "x".to_string()), true);
        assert!(slots.contains(&(1, "x".to_string())));
    }
}
