//! Small text helpers shared across the simulation.
//!
//! * [`prefix_bytes`] cuts UTF-8 text to a byte budget without splitting a character:
//!   Kubernetes' limits (an event message's 1,024 bytes, a probe's 10 KiB of output, a generated
//!   name's 58-byte base) are in bytes, and a Rust `str` may only be cut on a character boundary.
//! * [`push_hex`] writes a number in lowercase hexadecimal without `format!`'s machinery, for the
//!   IDs and names made on every pod's path (Event names, container IDs, image digests).
//! * [`push_joined`] writes a list with separators into a string being built, where
//!   `join` would make a string of its own first.

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn prefix_bytes(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Appends `items` separated by `sep`: what `items.join(sep)` makes, written into `out` instead
/// of a string of its own.
pub fn push_joined<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>, sep: &str) {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(item);
    }
}

/// Appends `v` in lowercase hexadecimal, zero-padded to at least `width` digits: what
/// `format!("{v:0width$x}")` writes for a `u128` (an `i128` cast to `u128` gives `{:x}`'s two's
/// complement of a negative one).
pub fn push_hex(out: &mut String, v: u128, width: usize) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut v = v;
    let mut buf = [b'0'; 32];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = DIGITS[(v & 0xf) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    let start = at.min(buf.len().saturating_sub(width));
    // Hex digits are ASCII, so this is always the digits.
    out.push_str(std::str::from_utf8(&buf[start..]).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn joined_items_read_as_join_makes_them() {
        for items in [
            &[][..],
            &["a"][..],
            &["system:nodes", "system:authenticated"][..],
        ] {
            let mut out = String::from("(");
            push_joined(&mut out, items.iter().copied(), ", ");
            assert_eq!(out, format!("({}", items.join(", ")));
        }
    }

    #[test]
    fn a_prefix_never_splits_a_character() {
        // "é" is two bytes, "€" three.
        assert_eq!(prefix_bytes("caf\u{e9}", 4), "caf");
        assert_eq!(prefix_bytes("caf\u{e9}", 5), "caf\u{e9}");
        assert_eq!(prefix_bytes("\u{20ac}\u{20ac}", 5), "\u{20ac}");
        assert_eq!(prefix_bytes("abc", 10), "abc");
        assert_eq!(prefix_bytes("\u{20ac}", 0), "");
    }

    #[test]
    fn hex_is_written_as_format_writes_it() {
        for v in [
            0u128,
            1,
            9,
            10,
            15,
            16,
            255,
            0xdead_beef,
            u64::MAX as u128,
            u128::MAX,
        ] {
            for width in [0, 1, 16] {
                let mut s = String::from("x.");
                push_hex(&mut s, v, width);
                assert_eq!(s, format!("x.{v:0width$x}"), "{v} {width}");
            }
        }
        let mut s = String::new();
        push_hex(&mut s, -1i128 as u128, 1);
        assert_eq!(s, format!("{:x}", -1i128));
    }
}
