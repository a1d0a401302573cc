//! The one seeded random number generator (xoshiro256**, seeded by SplitMix64): every random name
//! suffix, UID, pod IP and tie-break in the simulation comes from here, so a seed replays exactly.

/// The alphabet Kubernetes uses for generated name suffixes (apimachinery `util/rand`): no vowels,
/// no look-alike characters.
pub const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// A small, fast, portable PRNG whose output depends only on its seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRng {
    s: [u64; 4],
}

impl SimRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> SimRng {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        SimRng {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform integer in `0..n` (0 when `n` is 0), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // A value is taken when it is below the zone, `u64::MAX - (u64::MAX % n)`, the largest
        // multiple of `n` that fits. The zone is never below `u64::MAX - (n - 1)`, so a value up
        // to `u64::MAX - n` is in it without the division that finds the zone exactly (one
        // division less per call: the scheduler draws one for each tied node).
        loop {
            let v = self.next_u64();
            if v <= u64::MAX - n || v < u64::MAX - (u64::MAX % n) {
                return v % n;
            }
        }
    }

    /// `len` characters from Kubernetes' name alphabet, as `generateName` and the
    /// `kube-api-access-xxxxx` volume use.
    pub fn name_suffix(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| NAME_ALPHABET[self.below(NAME_ALPHABET.len() as u64) as usize] as char)
            .collect()
    }

    /// A random (version 4) UUID in its canonical text form, as `metadata.uid` holds.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&a.to_be_bytes());
        bytes[8..].copy_from_slice(&b.to_be_bytes());
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(36);
        for (i, b) in bytes.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                text.push('-');
            }
            text.push(HEX[usize::from(b >> 4)] as char);
            text.push(HEX[usize::from(b & 0x0f)] as char);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let mut a = SimRng::new(42);
        let mut b = SimRng::new(42);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(SimRng::new(43).next_u64(), xs[0]);
    }

    #[test]
    fn below_draws_what_the_exact_zone_gives_and_rejects_the_same_values() {
        // The definition: reject values at or above the largest multiple of n that fits.
        fn by_definition(rng: &mut SimRng, n: u64) -> u64 {
            let zone = u64::MAX - (u64::MAX % n);
            loop {
                let v = rng.next_u64();
                if v < zone {
                    return v % n;
                }
            }
        }
        let (mut fast, mut exact) = (SimRng::new(9), SimRng::new(9));
        // Small counts, as the scheduler's ties draw, and counts so large that about half of
        // all values are rejected.
        let counts = (1..=600).chain([u64::MAX / 2 + 2, u64::MAX - 1, u64::MAX, 1 << 63]);
        for n in counts {
            for _ in 0..4 {
                assert_eq!(fast.below(n), by_definition(&mut exact, n), "n = {n}");
            }
        }
        assert_eq!(fast.next_u64(), exact.next_u64());
        assert_eq!(fast.below(0), 0);
    }

    #[test]
    fn suffixes_and_uuids_have_kubernetes_shapes() {
        let mut rng = SimRng::new(7);
        let suffix = rng.name_suffix(5);
        assert_eq!(suffix.len(), 5);
        assert!(suffix.bytes().all(|c| NAME_ALPHABET.contains(&c)));
        let uid = rng.uuid();
        assert_eq!(uid.len(), 36);
        assert_eq!(&uid[14..15], "4");
    }
}
