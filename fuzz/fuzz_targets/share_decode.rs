//! Fuzz target `share_decode`: arbitrary bytes as a share link (invalid UTF-8 as U+FFFD, as
//! `podflow share decode -` reads one) through `share::decode`; a link that decodes must encode
//! back to the same text and playhead, and is opened as the playground opens one:
//! `Session::load` of its text as `manifest.yaml`, then run to its playhead (capped at a few
//! virtual seconds). The playground's `seek` would load the scenario a second time to replay
//! an empty log; running the loaded session forward reaches the same state for half the cost.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podflow_core::session::Session;
use podflow_core::share;
use podflow_core::sim::{SimDuration, SimTime};
use podflow_fuzz::{check_results, check_snapshot};

/// The furthest the session is run (a link may carry up to an hour).
const PLAYHEAD_CAP: SimDuration = SimDuration::secs(5);

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
    let again = share::encode(&shared.text, shared.playhead).expect("a decoded link re-encodes");
    assert_eq!(share::decode(&again).as_ref(), Ok(&shared));

    let mut session = Session::load(vec![("manifest.yaml".into(), shared.text.clone())], None);
    check_results(session.load_results());
    let mut revision = 0;
    check_snapshot(session.cluster(), &mut revision);
    let playhead = shared.playhead.min(SimTime::ZERO.plus(PLAYHEAD_CAP));
    session.advance(playhead.since(SimTime::ZERO));
    assert_eq!(session.now(), playhead);
    check_snapshot(session.cluster(), &mut revision);
});
