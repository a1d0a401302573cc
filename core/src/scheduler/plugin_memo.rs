//! Data a plugin keeps from one cycle to the next beside the snapshot it was computed from, so
//! that a cycle brings it up to date for the nodes that changed instead of computing it again
//! over the whole cluster. Each plugin keeps one value under its name; the plugin checks, node by
//! node, that what it kept is for the snapshot's current node state (the `Arc<NodeInfo>` the
//! cache replaces on every change).

use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

/// One memo per plugin name, of the plugin's own type.
#[derive(Default)]
pub struct PluginMemos(RefCell<BTreeMap<&'static str, Box<dyn Any>>>);

impl PluginMemos {
    /// Runs `f` on the memo `plugin` keeps (a new `T::default()` the first time, or when the
    /// memo kept under that name has another type).
    pub fn with<T: Any + Default, R>(
        &self,
        plugin: &'static str,
        f: impl FnOnce(&mut T) -> R,
    ) -> R {
        let mut memos = self.0.borrow_mut();
        let slot = memos
            .entry(plugin)
            .or_insert_with(|| Box::new(T::default()));
        if !slot.is::<T>() {
            *slot = Box::new(T::default());
        }
        match slot.downcast_mut::<T>() {
            Some(memo) => f(memo),
            // (Unreachable: the slot was just made a `T`.)
            None => f(&mut T::default()),
        }
    }
}

/// A copy of a snapshot starts with no memos: they are a cache, not part of its value.
impl Clone for PluginMemos {
    fn clone(&self) -> Self {
        PluginMemos::default()
    }
}

/// Memos never make two snapshots differ.
impl PartialEq for PluginMemos {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl fmt::Debug for PluginMemos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.borrow().keys().copied().collect();
        f.debug_tuple("PluginMemos").field(&names).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_plugin_finds_what_it_kept_and_a_copy_starts_empty() {
        let memos = PluginMemos::default();
        memos.with("A", |n: &mut u32| *n += 2);
        memos.with("A", |n: &mut u32| *n += 3);
        memos.with("B", |s: &mut String| s.push_str("kept"));
        assert_eq!(memos.with("A", |n: &mut u32| *n), 5);
        assert_eq!(memos.with("B", |s: &mut String| s.clone()), "kept");
        // Another type under the same name starts afresh.
        assert_eq!(memos.with("A", |s: &mut String| s.clone()), "");
        assert_eq!(format!("{memos:?}"), "PluginMemos([\"A\", \"B\"])");
        let copy = memos.clone();
        assert_eq!(copy.with("B", |s: &mut String| s.clone()), "");
    }
}
