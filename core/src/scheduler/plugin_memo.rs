//! Data a plugin keeps from one cycle to the next beside the snapshot it was computed from, so
//! that a cycle brings it up to date for the nodes that changed instead of computing it again
//! over the whole cluster. Each plugin keeps one value under its name; the plugin checks, node by
//! node, that what it kept is for the snapshot's current node state (the `Arc<NodeInfo>` the
//! cache replaces on every change).

use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::scheduler::node_info::NodeInfo;

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

/// Each node's share of sums a plugin keeps across cycles, with the node state it was computed
/// from, by snapshot position. A node's state is the same while the snapshot holds the same
/// `Arc<NodeInfo>` (the scheduler cache replaces it on every change, and the `Arc` kept here
/// keeps its address from being reused).
#[derive(Debug)]
pub struct NodeShares<S>(Vec<(Arc<NodeInfo>, S)>);

impl<S> Default for NodeShares<S> {
    fn default() -> Self {
        NodeShares(Vec::new())
    }
}

impl<S> NodeShares<S> {
    /// How many nodes have a share.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no node has a share.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Brings the shares up to date with `nodes` (a snapshot's, by position): for each node
    /// whose state is not the one its share was computed from, computes its new share with
    /// `share(position, node)` and hands `change` the old state and share (when there was one)
    /// and the new ones, for the caller to take the old share out of its sums and add the new.
    /// The shares of positions past the last node (nodes went away) are handed back alone.
    pub fn update(
        &mut self,
        nodes: &[Arc<NodeInfo>],
        mut share: impl FnMut(usize, &NodeInfo) -> S,
        mut change: impl FnMut(Option<(&NodeInfo, &S)>, Option<(&NodeInfo, &S)>),
    ) {
        for (at, node) in nodes.iter().enumerate() {
            if self
                .0
                .get(at)
                .is_some_and(|(kept, _)| Arc::ptr_eq(kept, node))
            {
                continue;
            }
            let new = share(at, node);
            change(
                self.0.get(at).map(|(n, s)| (&**n, s)),
                Some((&**node, &new)),
            );
            match self.0.get_mut(at) {
                Some(kept) => *kept = (Arc::clone(node), new),
                None => self.0.push((Arc::clone(node), new)),
            }
        }
        for (old_node, old) in self.0.drain(nodes.len().min(self.0.len())..) {
            change(Some((&*old_node, &old)), None);
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
