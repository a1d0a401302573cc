//! base64url (RFC 4648 §5: `A–Z a–z 0–9 - _`) without padding, the alphabet that survives a URL
//! fragment unescaped. Hand-written: fifty lines cost less wasm than a crate, and the decoder can
//! say which character is wrong.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Why a text is not base64url.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base64Error {
    /// A character outside the alphabet, at this 0-based character offset.
    InvalidCharacter {
        /// The character.
        found: char,
        /// Its offset in the encoded text.
        offset: usize,
    },
    /// A length no encoding produces (one character left over after the last full group).
    Truncated,
}

/// Encodes bytes as base64url, without `=` padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Decodes base64url. `=` padding at the end (at most two) is accepted and ignored; leftover
/// bits of the last character are ignored.
pub fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let data = text.strip_suffix("==").or_else(|| text.strip_suffix('='));
    let data = data.unwrap_or(text).as_bytes();
    let mut out = Vec::with_capacity(data.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0u32);
    for (offset, &c) in data.iter().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => {
                // Report the whole character, not its first byte.
                // Every byte before `offset` is ASCII, so it is a character boundary.
                let found = text.get(offset..).and_then(|t| t.chars().next());
                let found = found.unwrap_or(char::REPLACEMENT_CHARACTER);
                return Err(Base64Error::InvalidCharacter { found, offset });
            }
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if data.len() % 4 == 1 {
        return Err(Base64Error::Truncated);
    }
    Ok(out)
}
