//! Autosave: the editor's text in `localStorage` under a versioned key, restored on a reload
//! that opens no share link.
//!
//! The entry is JSON, `{"text": "…"}`, so a damaged or foreign value is recognised and
//! discarded with a notice instead of being loaded. Texts larger than the intake accepts
//! ([`MAX_INPUT_BYTES`]) are not saved: they could never be applied, and storage quotas are
//! about 5 MB.

use podflow_core::intake::yaml::MAX_INPUT_BYTES;
use serde::{Deserialize, Serialize};

use crate::browser;

/// The `localStorage` key; a new entry format gets a new key.
pub const KEY: &str = "podflow.v1.scenario";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    text: String,
}

/// The stored value for `text`, or `None` when it is too large to keep.
pub fn entry(text: &str) -> Option<String> {
    if text.len() > MAX_INPUT_BYTES {
        return None;
    }
    serde_json::to_string(&Entry {
        text: text.to_string(),
    })
    .ok()
}

/// The text of a stored value, or why it cannot be used.
pub fn read_entry(value: &str) -> Result<String, String> {
    // JSON escapes make the entry longer than its text; twice the limit covers any real one.
    if value.len() > 2 * MAX_INPUT_BYTES {
        return Err(format!(
            "it is larger than {MAX_INPUT_BYTES} bytes, the API server's request limit"
        ));
    }
    let entry: Entry =
        serde_json::from_str(value).map_err(|e| format!("it is not a saved scenario ({e})"))?;
    if entry.text.len() > MAX_INPUT_BYTES {
        return Err(format!(
            "it is larger than {MAX_INPUT_BYTES} bytes, the API server's request limit"
        ));
    }
    Ok(entry.text)
}

/// Saves the editor's text (silently skipped when too large or when storage is unavailable).
pub fn save(text: &str) {
    match entry(text) {
        Some(value) => {
            browser::storage_set(KEY, &value);
        }
        None => browser::storage_remove(KEY),
    }
}

/// The saved text: `None` when nothing is saved, an error (after removing the entry) when the
/// entry is damaged.
pub fn restore() -> Option<Result<String, String>> {
    let value = browser::storage_get(KEY)?;
    let text = read_entry(&value);
    if text.is_err() {
        browser::storage_remove(KEY);
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_carries_the_text_and_reads_back() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: \"x\\\"y\"}\n";
        assert_eq!(read_entry(&entry(text).unwrap()), Ok(text.to_string()));
        assert_eq!(entry(&"a".repeat(MAX_INPUT_BYTES + 1)), None);
    }

    #[test]
    fn a_damaged_entry_says_why() {
        assert_eq!(
            read_entry("apiVersion: v1"),
            Err("it is not a saved scenario (expected value at line 1 column 1)".into())
        );
        assert_eq!(
            read_entry("{\"text\": 3}"),
            Err("it is not a saved scenario (invalid type: integer `3`, expected a string at line 1 column 10)".into())
        );
        let big = format!("{{\"text\": \"{}\"}}", "a".repeat(MAX_INPUT_BYTES + 1));
        assert_eq!(
            read_entry(&big),
            Err("it is larger than 3145728 bytes, the API server's request limit".into())
        );
    }
}
