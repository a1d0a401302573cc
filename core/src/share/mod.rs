//! Share links: a whole scenario text and the playhead in a URL fragment, versioned, compressed
//! and base64url-encoded, and read back within fixed limits so a hostile link can never hang or
//! crash the page.
//!
//! ## Format `v1`
//!
//! ```text
//! fragment = "#v1." base64url( raw-deflate( payload ) )   ; RFC 4648 §5 alphabet, no padding
//! payload  = playhead LF text
//! playhead = 1*20DIGIT   ; virtual milliseconds since t=0, decimal, at most MAX_PLAYHEAD
//! text     = the scenario text exactly as the editor holds it (UTF-8, at most MAX_INPUT_BYTES)
//! ```
//!
//! Raw deflate is RFC 1951 with no zlib or gzip header. [`decode`] also takes a whole URL (the
//! part after the first `#`), ignores whitespace around it and `=` padding, and checks, in order:
//! the fragment's length ([`MAX_LINK_CHARS`]), the version, the base64url, the deflate stream
//! (inflated at most [`MAX_PAYLOAD_BYTES`] + 1 bytes, so a "zip bomb" stops at the limit), the
//! UTF-8, the playhead line and the text's size. Any other version is refused by name; a later
//! format gets a new version rather than a change to `v1`.

mod base64url;

use std::fmt;

use crate::intake::yaml::MAX_INPUT_BYTES;
use crate::kubelet::timing::go_duration;
use crate::sim::{SimDuration, SimTime};

pub use base64url::Base64Error;

/// The format version this build writes and reads.
pub const VERSION: &str = "v1";

/// The longest fragment read or written, in characters (after the `#`): Chromium refuses URLs
/// longer than 2 MiB, so a longer link could not be opened anyway.
pub const MAX_LINK_CHARS: usize = 2 * 1024 * 1024;

/// The latest playhead a link may carry. Opening a link runs the simulation to it, so it is
/// bounded like every other input.
pub const MAX_PLAYHEAD: SimDuration = SimDuration::mins(60);

/// The longest playhead line: 20 digits (`u64::MAX`) and the line feed.
const MAX_PLAYHEAD_LINE: usize = 21;

/// The most bytes a payload inflates to: the intake's input limit for the text, plus the
/// playhead line.
pub const MAX_PAYLOAD_BYTES: usize = MAX_INPUT_BYTES + MAX_PLAYHEAD_LINE;

/// What a share link carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedScenario {
    /// The whole scenario text: manifests and the podflow Scenario document.
    pub text: String,
    /// Where the playhead was, in virtual time.
    pub playhead: SimTime,
}

/// Why a share link could not be written or read. `Display` gives the sentence shown to people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareError {
    /// The fragment is longer than [`MAX_LINK_CHARS`].
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// No `#v<N>.` prefix.
    NotALink,
    /// A version this build cannot read, e.g. `v9`.
    UnsupportedVersion(String),
    /// The data is not base64url.
    Base64(Base64Error),
    /// The data is not a complete raw deflate stream.
    Corrupt {
        /// The stream stops before its last block.
        truncated: bool,
    },
    /// The text is larger than the intake accepts ([`MAX_INPUT_BYTES`]).
    TooLarge,
    /// The payload is not UTF-8.
    NotUtf8,
    /// The payload has no playhead line, or it is not a number.
    BadPlayhead,
    /// The playhead is later than [`MAX_PLAYHEAD`].
    PlayheadTooLate(SimTime),
}

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShareError::TooLong { chars } => write!(
                f,
                "the link is too long: {chars} characters, the limit is {MAX_LINK_CHARS}"
            ),
            ShareError::NotALink => f.write_str("it is not a podflow share link (#v1.…)"),
            ShareError::UnsupportedVersion(v) => write!(
                f,
                "unsupported share link version \"{v}\" (this podflow reads \"{VERSION}\")"
            ),
            ShareError::Base64(Base64Error::InvalidCharacter { found, offset }) => write!(
                f,
                "the link is not valid base64url: unexpected character {found:?} at offset {offset}"
            ),
            ShareError::Base64(Base64Error::Truncated) => {
                f.write_str("the link is not valid base64url: its length is cut short")
            }
            ShareError::Corrupt { truncated: true } => {
                f.write_str("the compressed scenario is cut short")
            }
            ShareError::Corrupt { truncated: false } => {
                f.write_str("the compressed scenario is corrupt")
            }
            ShareError::TooLarge => write!(
                f,
                "the scenario is larger than {MAX_INPUT_BYTES} bytes, the API server's request limit"
            ),
            ShareError::NotUtf8 => f.write_str("the scenario is not valid UTF-8"),
            ShareError::BadPlayhead => {
                f.write_str("the playhead is not a whole number of milliseconds")
            }
            ShareError::PlayheadTooLate(t) => write!(
                f,
                "the playhead {} is later than the limit of {}",
                go_duration(t.0),
                go_duration(MAX_PLAYHEAD.as_millis())
            ),
        }
    }
}

impl std::error::Error for ShareError {}

/// Writes the fragment (with its `#`) for a scenario text and a playhead.
pub fn encode(text: &str, playhead: SimTime) -> Result<String, ShareError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(ShareError::TooLarge);
    }
    if playhead.0 > MAX_PLAYHEAD.as_millis() {
        return Err(ShareError::PlayheadTooLate(playhead));
    }
    let mut payload = format!("{}\n", playhead.0).into_bytes();
    payload.extend_from_slice(text.as_bytes());
    let data = base64url::encode(&miniz_oxide::deflate::compress_to_vec(&payload, 9));
    let fragment = format!("#{VERSION}.{data}");
    let chars = fragment.len() - 1;
    if chars > MAX_LINK_CHARS {
        return Err(ShareError::TooLong { chars });
    }
    Ok(fragment)
}

/// A full link: `base` without its own fragment, then the fragment.
pub fn link(base: &str, fragment: &str) -> String {
    let base = base.split_once('#').map_or(base, |(b, _)| b);
    format!("{base}{fragment}")
}

/// Reads a share link: a fragment (`#v1.…` or `v1.…`) or a whole URL.
pub fn decode(link: &str) -> Result<SharedScenario, ShareError> {
    let link = link.trim();
    let fragment = link.split_once('#').map_or(link, |(_, f)| f);
    // Bytes bound characters from above; count characters only when the bytes are over.
    if fragment.len() > MAX_LINK_CHARS {
        let chars = fragment.chars().count();
        if chars > MAX_LINK_CHARS {
            return Err(ShareError::TooLong { chars });
        }
    }
    let Some((version, data)) = fragment.split_once('.') else {
        return Err(ShareError::NotALink);
    };
    if version != VERSION {
        let numbered = version.len() <= 10
            && version
                .strip_prefix('v')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        return Err(if numbered {
            ShareError::UnsupportedVersion(version.to_string())
        } else {
            ShareError::NotALink
        });
    }
    let compressed = base64url::decode(data).map_err(ShareError::Base64)?;
    let payload = inflate(&compressed)?;
    let payload = String::from_utf8(payload).map_err(|_| ShareError::NotUtf8)?;
    let (line, text) = payload.split_once('\n').ok_or(ShareError::BadPlayhead)?;
    if line.is_empty()
        || line.len() >= MAX_PLAYHEAD_LINE
        || !line.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ShareError::BadPlayhead);
    }
    let playhead = SimTime(line.parse().map_err(|_| ShareError::BadPlayhead)?);
    if playhead.0 > MAX_PLAYHEAD.as_millis() {
        return Err(ShareError::PlayheadTooLate(playhead));
    }
    if text.len() > MAX_INPUT_BYTES {
        return Err(ShareError::TooLarge);
    }
    Ok(SharedScenario {
        text: text.to_string(),
        playhead,
    })
}

/// Inflates a raw deflate stream, stopping one byte past [`MAX_PAYLOAD_BYTES`]: the output
/// buffer never grows past the limit, however much the stream would expand.
fn inflate(compressed: &[u8]) -> Result<Vec<u8>, ShareError> {
    use miniz_oxide::inflate::{decompress_to_vec_with_limit, TINFLStatus};
    match decompress_to_vec_with_limit(compressed, MAX_PAYLOAD_BYTES + 1) {
        Ok(payload) if payload.len() > MAX_PAYLOAD_BYTES => Err(ShareError::TooLarge),
        Ok(payload) => Ok(payload),
        Err(e) => Err(match e.status {
            TINFLStatus::HasMoreOutput => ShareError::TooLarge,
            TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                ShareError::Corrupt { truncated: true }
            }
            _ => ShareError::Corrupt { truncated: false },
        }),
    }
}

#[cfg(test)]
mod tests;
