//! The pod sandbox's network: host-local IPAM over the node's `spec.podCIDR` (addresses handed
//! out in order from `.2`, continuing after the last one given, never reused while in use), and
//! the container IDs containerd reports.

use std::collections::BTreeSet;

use crate::sim::SimRng;

/// One node's pod IP allocator for a `/24` pod CIDR (the default node pool's `10.244.N.0/24`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpAllocator {
    prefix: String,
    in_use: BTreeSet<u8>,
    last: u8,
}

impl IpAllocator {
    /// An allocator for `cidr` (e.g. `10.244.1.0/24`); an unusable CIDR gives no addresses.
    pub fn new(cidr: &str) -> IpAllocator {
        let base = cidr.split('/').next().unwrap_or("");
        let octets: Vec<&str> = base.split('.').collect();
        let prefix = if octets.len() == 4 && octets.iter().all(|o| o.parse::<u8>().is_ok()) {
            format!("{}.{}.{}.", octets[0], octets[1], octets[2])
        } else {
            String::new()
        };
        IpAllocator {
            prefix,
            in_use: BTreeSet::new(),
            last: 1,
        }
    }

    /// The next free address after the last one handed out (wrapping from `.254` to `.2`).
    pub fn allocate(&mut self) -> Option<String> {
        if self.prefix.is_empty() {
            return None;
        }
        for step in 1..=253u16 {
            let host = ((u16::from(self.last) + step - 2) % 253 + 2) as u8;
            if self.in_use.insert(host) {
                self.last = host;
                return Some(format!("{}{host}", self.prefix));
            }
        }
        None
    }

    /// Gives an address back when its sandbox is gone.
    pub fn release(&mut self, ip: &str) {
        if let Some(host) = ip
            .strip_prefix(&self.prefix)
            .and_then(|h| h.parse::<u8>().ok())
        {
            self.in_use.remove(&host);
        }
    }
}

/// A containerd container ID: `containerd://` and 64 hex digits from the seeded RNG.
pub fn container_id(rng: &mut SimRng) -> String {
    let mut id = String::from("containerd://");
    for _ in 0..4 {
        crate::text::push_hex(&mut id, u128::from(rng.next_u64()), 16);
    }
    id
}

/// A stable `sha256:` digest for an image reference (the same image has the same ID on every
/// node): 64 hex digits from an FNV-1a hash of the reference.
pub fn image_digest(reference: &str) -> String {
    let mut out = String::from("sha256:");
    for round in 0u64..4 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ round;
        for b in reference.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        crate::text::push_hex(&mut out, u128::from(h), 16);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn addresses_come_in_order_and_are_not_reused_at_once() {
        let mut a = IpAllocator::new("10.244.1.0/24");
        assert_eq!(a.allocate().as_deref(), Some("10.244.1.2"));
        assert_eq!(a.allocate().as_deref(), Some("10.244.1.3"));
        a.release("10.244.1.2");
        assert_eq!(a.allocate().as_deref(), Some("10.244.1.4"));
        assert_eq!(IpAllocator::new("garbage").allocate(), None);
    }

    #[test]
    fn container_ids_have_64_hex_digits() {
        let id = container_id(&mut SimRng::new(7));
        let hex = id.strip_prefix("containerd://").unwrap_or("");
        assert_eq!(hex.len(), 64);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(image_digest("a"), image_digest("a"));
        assert_ne!(image_digest("a"), image_digest("b"));
    }
}
