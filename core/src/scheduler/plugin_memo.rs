//! Data a plugin keeps from one cycle to the next beside the snapshot it was computed from, so
//! that a cycle brings it up to date for the nodes that changed instead of computing it again
//! over the whole cluster. Each plugin keeps one value under its name; the plugin checks, node by
//! node, that what it kept is for the snapshot's current node state (the `Arc<NodeInfo>` the
//! cache replaces on every change).

use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Weak};

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
/// `Arc<NodeInfo>` (the scheduler cache replaces it on every change). The state is kept as a
/// `Weak`, which keeps its address from being reused but not what is in it, and as a
/// [`NodeInfo::skeleton`], which is all a caller reads of an old state: a strong `Arc` would
/// keep the node's pods' objects, every older version of them, alive until the next pod with
/// the plugin's terms is scheduled.
#[derive(Debug)]
pub struct NodeShares<S> {
    shares: Vec<(Weak<NodeInfo>, NodeInfo, S)>,
    /// The address of each kept state, by position: what a cycle compares, for every node,
    /// with the snapshot's, in one pass over two dense arrays.
    kept: Vec<usize>,
}

impl<S> Default for NodeShares<S> {
    fn default() -> Self {
        NodeShares {
            shares: Vec::new(),
            kept: Vec::new(),
        }
    }
}

/// The address `NodeShares` compares a node state by.
fn address(node: &Arc<NodeInfo>) -> usize {
    Arc::as_ptr(node) as usize
}

/// How many leading nodes are in the kept states: eight compared at a time, with one branch.
fn unchanged_run(kept: &[usize], nodes: &[Arc<NodeInfo>]) -> usize {
    let n = kept.len().min(nodes.len());
    let (kept, nodes) = (&kept[..n], &nodes[..n]);
    let mut run = 0;
    for (k, c) in kept.chunks_exact(8).zip(nodes.chunks_exact(8)) {
        if !k
            .iter()
            .zip(c)
            .fold(true, |same, (k, c)| same & (*k == address(c)))
        {
            break;
        }
        run += 8;
    }
    while run < n && kept[run] == address(&nodes[run]) {
        run += 1;
    }
    run
}

impl<S> NodeShares<S> {
    /// How many nodes have a share.
    pub fn len(&self) -> usize {
        self.shares.len()
    }

    /// Whether no node has a share.
    pub fn is_empty(&self) -> bool {
        self.shares.is_empty()
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
        let mut at = 0;
        while at < nodes.len() {
            // The run of unchanged nodes from here.
            at += unchanged_run(&self.kept[at.min(self.kept.len())..], &nodes[at..]);
            let Some(node) = nodes.get(at) else {
                break;
            };
            let new = share(at, node);
            change(
                self.shares.get(at).map(|(_, n, s)| (n, s)),
                Some((&**node, &new)),
            );
            let kept = (Arc::downgrade(node), node.skeleton(), new);
            match self.shares.get_mut(at) {
                Some(slot) => {
                    *slot = kept;
                    self.kept[at] = address(node);
                }
                None => {
                    self.shares.push(kept);
                    self.kept.push(address(node));
                }
            }
            at += 1;
        }
        let gone = nodes.len().min(self.shares.len());
        self.kept.truncate(gone);
        for (_, old_node, old) in self.shares.drain(gone..) {
            change(Some((&old_node, &old)), None);
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

    #[test]
    fn shares_are_worked_out_again_only_for_nodes_whose_state_changed() {
        use crate::scheduler::testutil::node;
        let states = |names: &[&str]| -> Vec<Arc<NodeInfo>> {
            names
                .iter()
                .map(|n| Arc::new(NodeInfo::new(node(n, "1", "1Gi"))))
                .collect()
        };
        let mut shares: NodeShares<String> = NodeShares::default();
        // What each update worked out and handed over, as `old -> new` per position.
        let run = |shares: &mut NodeShares<String>, nodes: &[Arc<NodeInfo>]| {
            let mut seen = Vec::new();
            shares.update(
                nodes,
                |at, n| format!("{at}:{}", n.name()),
                |old, new| {
                    seen.push(format!(
                        "{} -> {}",
                        old.map_or("-".into(), |(_, s)| s.clone()),
                        new.map_or("-".into(), |(_, s)| s.clone())
                    ))
                },
            );
            seen
        };
        let mut nodes = states(&["a", "b", "c", "d"]);
        assert_eq!(
            run(&mut shares, &nodes),
            ["- -> 0:a", "- -> 1:b", "- -> 2:c", "- -> 3:d"]
        );
        assert!(run(&mut shares, &nodes).is_empty());
        // Two nodes change state (the cache replaced their `Arc`): only they are worked out.
        nodes[1] = Arc::new((*nodes[1]).clone());
        nodes[3] = Arc::new((*nodes[3]).clone());
        assert_eq!(run(&mut shares, &nodes), ["1:b -> 1:b", "3:d -> 3:d"]);
        // The shares hold no node state: one the snapshot lets go of is gone (with its pods),
        // and what the next update hands over of it is its name and position.
        let replaced = Arc::downgrade(&nodes[2]);
        nodes[2] = Arc::new((*nodes[2]).clone());
        assert!(replaced.upgrade().is_none());
        assert_eq!(run(&mut shares, &nodes), ["2:c -> 2:c"]);
        // A node joins at the end, then two go away.
        nodes.push(states(&["e"]).remove(0));
        assert_eq!(run(&mut shares, &nodes), ["- -> 4:e"]);
        nodes.truncate(3);
        assert_eq!(run(&mut shares, &nodes), ["3:d -> -", "4:e -> -"]);
        assert_eq!(shares.len(), 3);
        assert!(run(&mut shares, &nodes).is_empty());
    }
}
