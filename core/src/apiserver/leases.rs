//! Event TTL: kube-apiserver writes every Event with an etcd lease (`--event-ttl`, default 1h),
//! granted by its lease manager (`storage/etcd3/lease_manager.go`), and etcd deletes the keys of
//! an expired lease. This is what keeps Events from piling up on a long-running cluster.
//!
//! As upstream: each create or update of an Event attaches the key to a lease; a lease granted
//! less than the reuse window ago (5 % of the TTL, at most 60 s) is reused while it holds at most
//! 1,000 objects, and a new lease is granted for the TTL plus that window. When a lease expires,
//! every key still attached to it is deleted (in key order here; etcd does it in one revision).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::hash_index::{self, HashIndex};
use crate::sim::{SimDuration, SimTime};

/// kube-apiserver's `--event-ttl` default.
pub const EVENT_TTL: SimDuration = SimDuration::secs(3600);

/// `--lease-reuse-duration-seconds` default: a lease is reused for at most this long.
const MAX_REUSE: SimDuration = SimDuration::secs(60);

/// `leaseMaxAttachedObjectCount` default.
const MAX_ATTACHED: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Lease {
    expires: SimTime,
    /// The keys attached to it, in the order they were (each shared with `Leases::by_key`):
    /// a key since moved to a later lease, or deleted, stays here until the lease expires, and
    /// `by_key` tells it apart. Sorted in key order, once, when the lease has expired.
    keys: Vec<Arc<str>>,
    /// How many keys are attached to it now (those `by_key` gives this lease).
    live: usize,
    /// Whether `keys` is sorted (from the last) for revoking.
    sorted: bool,
}

/// The leases of TTL'd keys (Events) and when they expire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leases {
    ttl: SimDuration,
    next_id: u64,
    /// The lease the manager hands out while it may be reused, and how many writes it took.
    current: Option<(u64, usize)>,
    leases: BTreeMap<u64, Lease>,
    by_key: HashIndex<Arc<str>, u64>,
}

impl Default for Leases {
    fn default() -> Self {
        Leases::new(EVENT_TTL)
    }
}

impl Leases {
    /// Leases of `ttl` (`--event-ttl`).
    pub fn new(ttl: SimDuration) -> Leases {
        Leases {
            ttl,
            next_id: 1,
            current: None,
            leases: BTreeMap::new(),
            by_key: hash_index::new(),
        }
    }

    /// The reuse window for this TTL: 5 % of it, at most 60 s (`getReuseDurationSecondsLocked`).
    fn reuse(&self) -> SimDuration {
        SimDuration::millis((self.ttl.as_millis() / 20).min(MAX_REUSE.as_millis()))
    }

    /// `GetLease` and attach: `key` was written at `now`; returns when it will expire.
    pub fn attach(&mut self, key: impl Into<Arc<str>>, now: SimTime) -> SimTime {
        let reuse = self.reuse();
        let reusable = self.current.and_then(|(id, count)| {
            let lease = self.leases.get(&id)?;
            // valid: now+ttl is before the lease's expiry; sufficient: now+ttl+reuse is not
            // before it (upstream asks After; its clock has moved on since the grant, this
            // one may not have).
            let valid = now.plus(self.ttl) < lease.expires;
            let sufficient = now.plus(self.ttl).plus(reuse) >= lease.expires;
            (valid && sufficient && count < MAX_ATTACHED).then_some(id)
        });
        let id = match reusable {
            Some(id) => {
                if let Some((_, count)) = self.current.as_mut() {
                    *count += 1;
                }
                id
            }
            None => {
                let id = self.next_id;
                self.next_id += 1;
                self.leases.insert(
                    id,
                    Lease {
                        expires: now.plus(self.ttl).plus(reuse),
                        keys: Vec::new(),
                        live: 0,
                        sorted: false,
                    },
                );
                self.current = Some((id, 1));
                id
            }
        };
        let key: Arc<str> = key.into();
        let old = self.by_key.insert(Arc::clone(&key), id);
        if old == Some(id) {
            // Written again within the same lease: already among its keys.
            return self.leases.get(&id).map_or(now, |l| l.expires);
        }
        if let Some(old) = old {
            self.detach(old);
        }
        let lease = self.leases.get_mut(&id).expect("lease just found or made");
        lease.keys.push(key);
        lease.live += 1;
        lease.expires
    }

    /// One key of lease `id` left it.
    fn detach(&mut self, id: u64) {
        if let Some(lease) = self.leases.get_mut(&id) {
            lease.live = lease.live.saturating_sub(1);
            // A lease with no keys left still expires in etcd, harmlessly; forget it now unless
            // the manager may still hand it out.
            if lease.live == 0 && self.current.map(|(c, _)| c) != Some(id) {
                self.leases.remove(&id);
            }
        }
    }

    /// The key was deleted: it no longer belongs to any lease.
    pub fn forget(&mut self, key: &str) {
        if let Some(id) = self.by_key.remove(key) {
            self.detach(id);
        }
    }

    /// When the earliest lease with keys expires.
    pub fn next_expiry(&self) -> Option<SimTime> {
        self.leases
            .values()
            .filter(|l| l.live > 0)
            .map(|l| l.expires)
            .min()
    }

    /// Revokes the leases expired by `now` and returns up to `max` of their keys (to delete),
    /// leases in the order they were granted, keys in order within each; an expired lease
    /// keeps the keys not taken yet for the next call (and is no longer handed out).
    pub fn take_expired(&mut self, now: SimTime, max: usize) -> Vec<Arc<str>> {
        let expired: Vec<u64> = self
            .leases
            .iter()
            .filter(|(_, l)| l.expires <= now)
            .map(|(id, _)| *id)
            .collect();
        let mut keys = Vec::new();
        for id in expired {
            if self.current.map(|(c, _)| c) == Some(id) {
                self.current = None;
            }
            let Some(lease) = self.leases.get_mut(&id) else {
                continue;
            };
            if !lease.sorted {
                // Last first, so that the first in key order is popped first; a key attached,
                // deleted and attached again is here twice.
                lease.keys.sort_unstable_by(|a, b| b.cmp(a));
                lease.keys.dedup();
                lease.sorted = true;
            }
            while keys.len() < max && lease.live > 0 {
                let Some(key) = lease.keys.pop() else {
                    break;
                };
                if self.by_key.get(&key) != Some(&id) {
                    // Moved to a later lease, or deleted, since it was attached here.
                    continue;
                }
                self.by_key.remove(&key);
                lease.live -= 1;
                keys.push(key);
            }
            if lease.live == 0 {
                self.leases.remove(&id);
            }
        }
        keys
    }

    /// How many keys hold a lease.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no key holds a lease.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> SimTime {
        SimTime::ZERO.plus(SimDuration::secs(s))
    }

    /// The keys `take_expired` gives, as strings.
    fn take(l: &mut Leases, now: SimTime, max: usize) -> Vec<String> {
        l.take_expired(now, max)
            .iter()
            .map(|k| k.to_string())
            .collect()
    }

    #[test]
    fn a_lease_is_granted_for_the_ttl_plus_the_reuse_window_and_reused_within_it() {
        let mut l = Leases::default();
        assert_eq!(
            l.attach("/registry/events/default/a", at(10)),
            at(10 + 3660)
        );
        // 59 s later the same lease is reused: now+1h is still before its expiry.
        assert_eq!(l.attach("/registry/events/default/b", at(69)), at(3670));
        // At 70 s it no longer is (not valid): a new lease.
        assert_eq!(
            l.attach("/registry/events/default/c", at(70)),
            at(70 + 3660)
        );
        assert_eq!(l.next_expiry(), Some(at(3670)));
        assert_eq!(take(&mut l, at(3669), usize::MAX), Vec::<String>::new());
        assert_eq!(
            take(&mut l, at(3670), usize::MAX),
            ["/registry/events/default/a", "/registry/events/default/b"]
        );
        assert_eq!(l.next_expiry(), Some(at(3730)));
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn an_update_moves_the_key_to_the_current_lease_and_a_delete_forgets_it() {
        let mut l = Leases::default();
        l.attach("k", at(0));
        l.attach("other", at(0));
        assert_eq!(l.attach("k", at(600)), at(600 + 3660));
        assert_eq!(take(&mut l, at(3660), usize::MAX), ["other"]);
        l.forget("k");
        assert!(l.is_empty());
        assert_eq!(l.next_expiry(), None);
    }

    #[test]
    fn a_key_deleted_and_written_again_within_one_lease_expires_once() {
        let mut l = Leases::default();
        l.attach("k", at(0));
        l.attach("j", at(0));
        l.forget("k");
        l.attach("k", at(1));
        // Written twice more: still one key of the lease.
        l.attach("k", at(2));
        assert_eq!(l.len(), 2);
        assert_eq!(take(&mut l, at(3660), usize::MAX), ["j", "k"]);
        assert!(l.is_empty());
        assert_eq!(l.next_expiry(), None);
    }

    #[test]
    fn a_lease_holds_at_most_a_thousand_objects() {
        let mut l = Leases::default();
        for i in 0..1000 {
            assert_eq!(l.attach(format!("k{i:04}"), at(0)), at(3660));
        }
        // The 1,001st object gets a new lease, although the first could still be reused.
        assert_eq!(l.attach("k1000", at(1)), at(3661));
        assert_eq!(take(&mut l, at(3660), usize::MAX).len(), 1000);
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn expired_keys_are_taken_a_few_at_a_time_in_order_and_the_lease_is_not_reused() {
        let mut l = Leases::default();
        for i in 0..150 {
            l.attach(format!("a{i:03}"), at(0));
        }
        l.attach("b", at(30));
        assert_eq!(l.attach("c", at(3600)), at(3600 + 3660));
        let first = take(&mut l, at(3660), 64);
        assert_eq!(first.len(), 64);
        assert_eq!((first[0].as_str(), first[63].as_str()), ("a000", "a063"));
        // The rest is still due at once; a key written now gets a lease of its own.
        assert_eq!(l.next_expiry(), Some(at(3660)));
        assert_eq!(l.attach("d", at(3660)), at(3660 + 3660));
        let second = take(&mut l, at(3660), 64);
        assert_eq!((second[0].as_str(), second[63].as_str()), ("a064", "a127"));
        // The last 22 keys, and "b": written within the reuse window, it went on the same lease.
        let third = take(&mut l, at(3660), 64);
        assert_eq!(third.len(), 23);
        assert_eq!((third[0].as_str(), third[22].as_str()), ("a128", "b"));
        assert_eq!(take(&mut l, at(3660), 64), Vec::<String>::new());
        assert_eq!(l.len(), 2);
        assert_eq!(l.next_expiry(), Some(at(3600 + 3660)));
    }
}
