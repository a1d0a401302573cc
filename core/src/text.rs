//! Cutting UTF-8 text to a byte budget without splitting a character: Kubernetes' limits (an
//! event message's 1,024 bytes, a probe's 10 KiB of output, a generated name's 58-byte base)
//! are in bytes, and a Rust `str` may only be cut on a character boundary.

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn prefix_bytes(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_prefix_never_splits_a_character() {
        // "é" is two bytes, "€" three.
        assert_eq!(prefix_bytes("caf\u{e9}", 4), "caf");
        assert_eq!(prefix_bytes("caf\u{e9}", 5), "caf\u{e9}");
        assert_eq!(prefix_bytes("\u{20ac}\u{20ac}", 5), "\u{20ac}");
        assert_eq!(prefix_bytes("abc", 10), "abc");
        assert_eq!(prefix_bytes("\u{20ac}", 0), "");
    }
}
