//! Fuzz target `share_decode`: arbitrary bytes as a share link (invalid UTF-8 as U+FFFD, as
//! `podflow share decode -` reads one) through `share::decode`; a link that decodes must encode
//! back to the same text and playhead, and is opened as the playground opens one:
//! `Session::load` of its text as `manifest.yaml`, then run towards its playhead. The
//! playground's `seek` would load the scenario a second time to replay an empty log; running
//! the loaded session forward reaches the same state for half the cost.
//!
//! The run is bounded (5 virtual seconds, in slices of 1 ms, and no further once the store
//! holds 2,000 objects), and a
//! scenario asking for more than 1,000 nodes is only decoded: loading the maximum of 5,000 takes
//! about half a second, which would slow the run to a crawl. (The page runs a link to its
//! playhead in time-bounded slices, so neither cost freezes it.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use podflow_core::intake;
use podflow_core::session::Session;
use podflow_core::share::{self, ShareError};
use podflow_core::sim::{SimDuration, SimTime};
use podflow_fuzz::{check_results, check_snapshot};

/// The furthest the session is run (a link may carry up to an hour).
const PLAYHEAD_CAP: SimDuration = SimDuration::secs(5);
/// The slices the run goes in, checking the store's size between them.
const SLICE: SimDuration = SimDuration::millis(1);
/// The run stops once the store holds this many objects.
const MAX_OBJECTS: usize = 2_000;
/// Scenarios with more nodes are not loaded.
const MAX_NODES: u64 = 1_000;

/// The node count a Scenario document of `text` asks for, if any.
fn node_count(text: &str) -> u64 {
    let Ok(docs) = intake::parse_manifest(text, "manifest.yaml") else {
        return 0;
    };
    docs.iter()
        .filter(|d| d.value.get("kind").and_then(|k| k.as_str()) == Some("Scenario"))
        .filter_map(|d| d.value.pointer("/spec/nodes/count")?.as_u64())
        .max()
        .unwrap_or(0)
}

fuzz_target!(|data: &[u8]| {
    let link = String::from_utf8_lossy(data);
    let shared = match share::decode(&link) {
        Ok(shared) => shared,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    // What decodes encodes back to the same scenario and playhead.
    match share::encode(&shared.text, shared.playhead) {
        Ok(again) => assert_eq!(share::decode(&again).as_ref(), Ok(&shared)),
        // This encoder may compress less well than the one that wrote the link.
        Err(ShareError::TooLong { .. }) => {}
        Err(e) => panic!("a decoded link does not encode again: {e}"),
    }

    if node_count(&shared.text) > MAX_NODES {
        return;
    }
    let mut session = Session::load(vec![("manifest.yaml".into(), shared.text.clone())], None);
    check_results(session.load_results());
    let mut revision = 0;
    check_snapshot(session.cluster(), &mut revision);
    let playhead = shared.playhead.min(SimTime::ZERO.plus(PLAYHEAD_CAP));
    while session.now() < playhead && session.cluster().api().store.len() <= MAX_OBJECTS {
        let slice = playhead.since(session.now()).min(SLICE);
        session.advance(slice);
    }
    check_snapshot(session.cluster(), &mut revision);
});
