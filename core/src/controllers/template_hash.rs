//! The `pod-template-hash` of a Deployment's ReplicaSets (`controller.ComputeHash`): FNV-32a
//! over the pod template plus the collision count, printed in decimal and re-encoded with
//! `rand.SafeEncodeString`.
//!
//! Upstream feeds the hasher Go's `spew` dump of the `v1.PodTemplateSpec` struct; this hashes
//! the template's canonical JSON instead, so names have the real shape (`nginx-deployment-`
//! followed by 8–10 of `bcdf456789`) and change exactly when the template changes, but are not
//! the hashes a real cluster prints for the same manifest.

use k8s_openapi::api::core::v1::PodTemplateSpec;

use crate::sim::rng::NAME_ALPHABET;

const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

fn fnv32a(hash: u32, bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(hash, |h, b| (h ^ u32::from(*b)).wrapping_mul(FNV_PRIME))
}

/// `rand.SafeEncodeString`: each byte mapped into the no-vowel alphabet.
pub fn safe_encode(s: &str) -> String {
    s.bytes()
        .map(|b| NAME_ALPHABET[usize::from(b) % NAME_ALPHABET.len()] as char)
        .collect()
}

/// The hash of a template (and the Deployment's `status.collisionCount`, when set).
pub fn compute_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let dump = serde_json::to_string(template).unwrap_or_default();
    let mut h = fnv32a(FNV_OFFSET, dump.as_bytes());
    if let Some(c) = collision_count {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&(c as u32).to_le_bytes());
        h = fnv32a(h, &bytes);
    }
    safe_encode(&h.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn fnv32a_matches_the_reference_vectors() {
        assert_eq!(fnv32a(FNV_OFFSET, b""), 0x811c_9dc5);
        assert_eq!(fnv32a(FNV_OFFSET, b"a"), 0xe40c_292c);
        assert_eq!(fnv32a(FNV_OFFSET, b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn decimal_digits_encode_as_upstream() {
        // 2 2 6 2 7 0 4 8 8 1 → the docs' nginx-deployment-66b6c48dd5.
        assert_eq!(safe_encode("2262704881"), "66b6c48dd5");
    }

    #[test]
    fn the_collision_count_changes_the_hash() {
        let t = PodTemplateSpec::default();
        assert_ne!(compute_hash(&t, None), compute_hash(&t, Some(1)));
        assert_eq!(compute_hash(&t, None), compute_hash(&t, None));
    }
}
