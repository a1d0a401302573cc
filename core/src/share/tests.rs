//! Share links: round trips, a link written by another deflater, and every refusal's sentence.

use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const SCENARIO: &str = "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  seed: 7\n  actions:\n  - {at: 30s, cordon: node-1}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: café\nspec:\n  containers: [{name: c, image: nginx}]\n";

/// A fragment carrying `payload` as it is, bypassing `encode`'s checks.
fn fragment_of(payload: &[u8]) -> String {
    format!(
        "#v1.{}",
        base64url::encode(&miniz_oxide::deflate::compress_to_vec(payload, 6))
    )
}

fn refusal(link: &str) -> String {
    decode(link).unwrap_err().to_string()
}

#[test]
fn a_scenario_and_its_playhead_come_back_unchanged() {
    for (text, at) in [(SCENARIO, 90_000), ("", 0), ("\n\n", 3_600_000)] {
        let fragment = encode(text, SimTime(at)).unwrap();
        assert!(fragment.starts_with("#v1."), "{fragment}");
        let want = SharedScenario {
            text: text.to_string(),
            playhead: SimTime(at),
        };
        assert_eq!(decode(&fragment), Ok(want.clone()));
        assert_eq!(decode(&fragment[1..]), Ok(want.clone()));
        let url = link("https://podflow.example/play?x=1#old", &fragment);
        assert!(url.starts_with("https://podflow.example/play?x=1#v1."));
        assert_eq!(decode(&format!("  {url}\n")), Ok(want));
    }
}

#[test]
fn the_fragment_is_url_safe_and_compressed() {
    let text = SCENARIO.repeat(50);
    let fragment = encode(&text, SimTime(0)).unwrap();
    assert!(fragment[4..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert!(fragment.len() < text.len() / 10, "{}", fragment.len());
}

#[test]
fn a_link_written_by_another_raw_deflate_encoder_is_read() {
    // Python: base64.urlsafe_b64encode(zlib.compressobj(9, zlib.DEFLATED, -15) …), `=` stripped.
    let link =
        "#v1.szQAAq7Egsyw1KLizPw8K4UyQ67szLwUKwW_xNzU4oLE5FSu3NSSxJTEkkQrheo8oKCVQnJi2uGVtVwA";
    assert_eq!(
        decode(link),
        Ok(SharedScenario {
            text: "apiVersion: v1\nkind: Namespace\nmetadata: {name: café}\n".into(),
            playhead: SimTime(90_000),
        })
    );
    // The same data with its base64 padding is the same link.
    let padded = format!("{link}==");
    assert_eq!(decode(&padded), decode(link));
}

#[test]
fn a_fragment_longer_than_a_browser_opens_is_refused_before_any_work() {
    let link = format!("#v1.{}", "A".repeat(MAX_LINK_CHARS));
    assert_eq!(
        refusal(&link),
        "the link is too long: 2097155 characters, the limit is 2097152"
    );
}

#[test]
fn something_that_is_not_a_share_link_says_so() {
    for link in [
        "",
        "#",
        "https://podflow.example/",
        "#hello",
        "#v1",
        "#x.abc",
        "#v.abc",
    ] {
        assert_eq!(
            refusal(link),
            "it is not a podflow share link (#v1.…)",
            "{link:?}"
        );
    }
}

#[test]
fn an_unknown_version_is_named() {
    assert_eq!(
        refusal("#v9.AAAA"),
        "unsupported share link version \"v9\" (this podflow reads \"v1\")"
    );
    assert_eq!(
        refusal("https://podflow.example/#v12.x"),
        "unsupported share link version \"v12\" (this podflow reads \"v1\")"
    );
}

#[test]
fn bad_base64_names_the_character_and_its_offset() {
    assert_eq!(
        refusal("#v1.ab+c"),
        "the link is not valid base64url: unexpected character '+' at offset 2"
    );
    assert_eq!(
        refusal("#v1.abcé"),
        "the link is not valid base64url: unexpected character 'é' at offset 3"
    );
    assert_eq!(
        refusal("#v1.abcde"),
        "the link is not valid base64url: its length is cut short"
    );
}

#[test]
fn a_broken_deflate_stream_is_corrupt_or_cut_short() {
    // Block type 3 does not exist.
    assert_eq!(
        refusal(&format!("#v1.{}", base64url::encode(&[0xff, 0xff, 0xff]))),
        "the compressed scenario is corrupt"
    );
    let whole = miniz_oxide::deflate::compress_to_vec(SCENARIO.as_bytes(), 9);
    let half = base64url::encode(&whole[..whole.len() / 2]);
    assert_eq!(
        refusal(&format!("#v1.{half}")),
        "the compressed scenario is cut short"
    );
    assert_eq!(refusal("#v1."), "the compressed scenario is cut short");
}

/// A raw deflate stream of `n` × 258 zero bytes in about 13 bits each: one fixed-Huffman block
/// with a literal 0 and then length-258, distance-1 copies — the densest bomb deflate allows.
fn zero_bomb(copies: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u64, 0u32);
    // Huffman codes are sent most significant bit first, header fields least significant first.
    let mut put = |value: u64, len: u32, reversed: bool| {
        let v = if reversed {
            (0..len).fold(0, |r, i| r | (((value >> i) & 1) << (len - 1 - i)))
        } else {
            value
        };
        acc |= v << bits;
        bits += len;
        while bits >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            bits -= 8;
        }
    };
    put(0b011, 3, false); // BFINAL = 1, BTYPE = 01 (fixed Huffman)
    put(0b0011_0000, 8, true); // literal 0
    for _ in 0..copies {
        put(0b1100_0101, 8, true); // length code 285: 258 bytes
        put(0, 5, true); // distance code 0: 1 byte back
    }
    put(0, 7, true); // end of block (256)
    put(0, 7, false); // flush the last byte
    out
}

#[test]
fn a_link_that_inflates_past_the_limit_stops_at_the_limit() {
    // 1.4 MiB of deflate, the most a link can hold, would inflate to about 230 MiB.
    let bomb = zero_bomb(900_000);
    assert!(bomb.len() < MAX_LINK_CHARS / 4 * 3);
    let link = format!("#v1.{}", base64url::encode(&bomb));
    assert!(link.len() < MAX_LINK_CHARS);
    assert_eq!(
        refusal(&link),
        "the scenario is larger than 3145728 bytes, the API server's request limit"
    );
    // A small bomb is a stream like any other.
    assert_eq!(inflate(&zero_bomb(10)).map(|v| v.len()), Ok(1 + 10 * 258));
}

#[test]
fn the_payload_limit_is_the_intakes_limit_plus_the_playhead_line() {
    let fits = format!("0\n{}", "a".repeat(MAX_INPUT_BYTES));
    assert_eq!(
        decode(&fragment_of(fits.as_bytes())).map(|s| s.text.len()),
        Ok(MAX_INPUT_BYTES)
    );
    let over = format!("0\n{}", "a".repeat(MAX_INPUT_BYTES + 1));
    assert_eq!(
        refusal(&fragment_of(over.as_bytes())),
        "the scenario is larger than 3145728 bytes, the API server's request limit"
    );
    assert_eq!(
        encode(&"a".repeat(MAX_INPUT_BYTES + 1), SimTime(0))
            .unwrap_err()
            .to_string(),
        "the scenario is larger than 3145728 bytes, the API server's request limit"
    );
}

#[test]
fn the_payload_must_be_utf8_with_a_playhead_line() {
    assert_eq!(
        refusal(&fragment_of(b"0\nname: \xff\n")),
        "the scenario is not valid UTF-8"
    );
    for payload in [
        "apiVersion: v1\n",
        "no line feed",
        "\nkind: Pod\n",
        "-1\n",
        "+5\n",
        "1.5\n",
        "99999999999999999999\n",
        "123456789012345678901234567890\n",
    ] {
        assert_eq!(
            refusal(&fragment_of(payload.as_bytes())),
            "the playhead is not a whole number of milliseconds",
            "{payload:?}"
        );
    }
}

#[test]
fn a_playhead_past_an_hour_is_refused_both_ways() {
    let message = "the playhead 1h0m0.001s is later than the limit of 1h0m0s";
    assert_eq!(refusal(&fragment_of(b"3600001\nx: 1\n")), message);
    assert_eq!(
        encode("x: 1\n", SimTime(3_600_001))
            .unwrap_err()
            .to_string(),
        message
    );
    assert_eq!(
        refusal(&fragment_of(b"18446744073709551615\n")),
        "the playhead 5124095576030h25m51.615s is later than the limit of 1h0m0s"
    );
}

#[test]
fn a_scenario_too_random_to_fit_a_link_is_refused_when_written() {
    // Printable noise barely compresses: 2.5 MiB of it needs about 2.8 MiB of base64.
    let mut rng = crate::sim::SimRng::new(1);
    let text: String = (0..2_500_000)
        .map(|_| char::from(b' ' + rng.below(94) as u8))
        .collect();
    let err = encode(&text, SimTime(0)).unwrap_err();
    assert!(
        matches!(err, ShareError::TooLong { chars } if chars > MAX_LINK_CHARS),
        "{err}"
    );
    assert!(err
        .to_string()
        .ends_with(" characters, the limit is 2097152"));
}
