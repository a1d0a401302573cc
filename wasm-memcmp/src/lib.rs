//! `memcmp` for wasm32-unknown-unknown, eight bytes at a time.
//!
//! On wasm32 there is no libc, so `memcmp` comes from Rust's `compiler-builtins`, which compares
//! one byte per loop turn. Every `str`/`[u8]` ordering calls it — each `BTreeMap<String, _>`
//! look-up, and the simulator's maps are keyed by etcd keys and object names that share long
//! prefixes (`/registry/pods/default/nginx-deployment-7c5ddbdf54-`). Natively glibc's vector
//! `memcmp` makes that cheap; in wasm it was a byte loop.
//!
//! Linking this crate into a wasm binary (`use podflow_wasm_memcmp as _;`) gives the linker a
//! `memcmp` that reads eight-byte words and looks at single bytes only where two words differ
//! and in the last few bytes. [`compare`] is the same comparison over slices, safe and
//! platform independent, which the tests check against a byte-by-byte comparison.
//! Elsewhere the crate is empty apart from [`compare`].

/// Compares the first `n` bytes of `a` and `b` as C's `memcmp` does, where `n` is the shorter
/// length: zero when they are equal, else the difference of the first differing bytes as
/// unsigned values (negative when `a`'s is smaller). The same code as the wasm `memcmp`.
#[allow(unsafe_code)]
pub fn compare(a: &[u8], b: &[u8]) -> i32 {
    let n = a.len().min(b.len());
    // SAFETY: both slices hold at least `n` bytes.
    unsafe { compare_raw(a.as_ptr(), b.as_ptr(), n) }
}

/// The comparison, on pointers: eight bytes a turn while eight remain, then byte by byte.
/// Written with plain loops and unaligned loads so that it stays a tight loop at the release
/// profile's opt-level "z", which leaves iterator adapters uninlined.
///
/// # Safety
///
/// `a` and `b` are readable for `n` bytes.
#[allow(unsafe_code)]
#[inline(always)]
unsafe fn compare_raw(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while n - i >= 8 {
        // SAFETY: `i + 8 <= n` bytes are readable at each pointer.
        let (x, y) = unsafe {
            (
                u64::from_le(a.add(i).cast::<u64>().read_unaligned()),
                u64::from_le(b.add(i).cast::<u64>().read_unaligned()),
            )
        };
        if x != y {
            // Read little-endian, the lowest set bit of the difference lies in the first byte
            // that differs.
            let at = i + (x ^ y).trailing_zeros() as usize / 8;
            // SAFETY: `at < i + 8 <= n`.
            return unsafe { i32::from(*a.add(at)) - i32::from(*b.add(at)) };
        }
        i += 8;
    }
    while i < n {
        // SAFETY: `i < n`.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// The `memcmp` the wasm linker resolves every byte-slice comparison to, in place of
/// `compiler-builtins`' (the disassembled release modules have this one as their `memcmp`).
///
/// # Safety
///
/// As C's `memcmp`: `a` and `b` are readable for `n` bytes.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the caller's guarantee is `compare_raw`'s.
    unsafe { compare_raw(a, b, n) }
}

#[cfg(test)]
mod tests {
    use super::compare;

    /// The standard library's ordering, as `memcmp`'s sign (over equal lengths).
    fn expected(a: &[u8], b: &[u8]) -> i32 {
        match a.iter().zip(b).find(|(x, y)| x != y) {
            Some((x, y)) => i32::from(*x) - i32::from(*y),
            None => 0,
        }
    }

    #[test]
    fn equal_slices_of_every_length_up_to_40_compare_equal() {
        let bytes: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37)).collect();
        for n in 0..=40 {
            assert_eq!(compare(&bytes[..n], &bytes[..n]), 0, "length {n}");
        }
    }

    #[test]
    fn the_first_differing_byte_decides_wherever_it_is_in_a_word() {
        // Every length to 40 and every position in it, with a later difference of the other
        // sign that must not count, and bytes above 0x7f (memcmp compares them unsigned).
        for n in 1..=40usize {
            for at in 0..n {
                let a: Vec<u8> = (0..n).map(|i| 0x80 | i as u8).collect();
                let mut b = a.clone();
                b[at] = a[at].wrapping_add(1);
                if at + 1 < n {
                    b[n - 1] = 0;
                }
                assert_eq!(compare(&a, &b), -1, "length {n}, at {at}");
                assert_eq!(compare(&b, &a), 1, "length {n}, at {at}");
                assert_eq!(compare(&a, &b), expected(&a, &b));
            }
        }
    }

    #[test]
    fn the_difference_is_that_of_the_bytes_as_unsigned() {
        assert_eq!(
            compare(b"/registry/pods/a", b"/registry/pods/\xff"),
            0x61 - 0xff
        );
        assert_eq!(compare(b"\x00", b"\xff"), -255);
        assert_eq!(
            compare(b"nginx-7c5ddbdf54-abcde", b"nginx-7c5ddbdf54-abcdf"),
            -1
        );
    }

    #[test]
    fn only_the_shorter_length_is_compared() {
        assert_eq!(compare(b"abcdefghij", b"abcdefgh"), 0);
        assert_eq!(compare(b"", b"abc"), 0);
    }

    #[test]
    fn pseudo_random_pairs_agree_with_the_byte_by_byte_answer() {
        // xorshift: pairs of 0..48 bytes from a small alphabet, so that long common prefixes
        // and equal slices both occur often.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut equal = 0;
        for _ in 0..20_000 {
            let n = (next() % 49) as usize;
            let a: Vec<u8> = (0..n).map(|_| b"ab\xfe"[(next() % 3) as usize]).collect();
            let mut b = a.clone();
            let changes = next() % 3;
            for _ in 0..changes {
                if n > 0 {
                    let at = (next() as usize) % n;
                    b[at] = b"ab\xfe"[(next() % 3) as usize];
                }
            }
            let got = compare(&a, &b);
            assert_eq!(got, expected(&a, &b), "{a:?} vs {b:?}");
            equal += usize::from(got == 0);
        }
        assert!(equal > 5_000 && equal < 15_000, "{equal} equal pairs");
    }
}
