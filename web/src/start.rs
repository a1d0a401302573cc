//! What the page opens with: the scenario of a share link in the address bar (loaded at t = 0;
//! the page then runs it to its playhead in time-bounded slices, see [`crate::trip`], so a link
//! asking for a big cluster or a far playhead never freezes it), else the autosaved editor text,
//! else the default manifest — with a notice when a link or a saved entry could not be used.
//! Never a blank page.

use std::cell::RefCell;

use podflow_core::session::Session;
use podflow_core::share;
use podflow_core::sim::SimTime;
use podflow_core::ApplyResult;

use crate::{autosave, browser, DEFAULT_MANIFEST};

/// The name kubectl's messages give the editor's text.
pub const SOURCE: &str = "manifest.yaml";

/// The page's starting state.
#[derive(Debug)]
pub struct Start {
    /// The editor's text.
    pub text: String,
    /// What a share link's scenario printed when it was applied.
    pub output: Vec<ApplyResult>,
    /// Why a share link or the autosave could not be used.
    pub notice: Option<String>,
    /// A share link's playhead, still to be reached: the session starts at t = 0 and the page
    /// runs it there slice by slice.
    pub playhead: Option<SimTime>,
    session: RefCell<Option<Session>>,
}

impl Start {
    /// Reads the address bar's fragment and the autosave.
    pub fn from_page() -> Start {
        Start::from(&browser::location_hash(), autosave::restore)
    }

    /// The starting state for a fragment, with `saved` asked only when there is no fragment.
    pub fn from(hash: &str, saved: impl FnOnce() -> Option<Result<String, String>>) -> Start {
        let mut start = Start {
            text: DEFAULT_MANIFEST.to_string(),
            output: Vec::new(),
            notice: None,
            playhead: None,
            session: RefCell::new(None),
        };
        if !hash.is_empty() && hash != "#" {
            match share::decode(hash) {
                Ok(shared) => {
                    let session =
                        Session::load(vec![(SOURCE.to_string(), shared.text.clone())], None);
                    start.output = session.load_results().to_vec();
                    start.playhead = (shared.playhead > session.now()).then_some(shared.playhead);
                    start.text = shared.text;
                    start.session = RefCell::new(Some(session));
                }
                Err(e) => {
                    start.notice = Some(format!("This share link could not be opened: {e}"));
                }
            }
            return start;
        }
        match saved() {
            Some(Ok(text)) => start.text = text,
            Some(Err(e)) => {
                start.notice = Some(format!(
                    "The autosaved scenario could not be restored and was discarded: {e}"
                ));
            }
            None => {}
        }
        start
    }

    /// The session to start with (taken once; a fresh default session afterwards).
    pub fn take_session(&self) -> Session {
        self.session.borrow_mut().take().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: shared}\nspec: {containers: [{name: c, image: nginx}]}\n";

    #[test]
    fn a_share_link_is_applied_then_caught_up_to_its_playhead_in_slices() {
        let hash = share::encode(POD, SimTime(20_000)).unwrap();
        let start = Start::from(&hash, || panic!("the autosave is not read"));
        assert_eq!(start.text, POD);
        assert_eq!(start.notice, None);
        let output: Vec<&str> = start.output.iter().map(|r| r.message.as_str()).collect();
        assert_eq!(output, ["pod/shared created"]);
        assert_eq!(start.playhead, Some(SimTime(20_000)));
        let mut session = start.take_session();
        assert_eq!(session.now(), SimTime(0));

        // A slice of five simulation items, as a frame's time budget would cut it.
        let mut travel = session.travel_to(SimTime(20_000));
        let mut slices = 0;
        loop {
            slices += 1;
            let mut items = 0;
            if session.travel(&mut travel, || {
                items += 1;
                items <= 5
            }) {
                break;
            }
            assert!(session.now() <= SimTime(20_000));
        }
        assert!(slices > 1, "{slices}");
        assert_eq!(session.now(), SimTime(20_000));
        assert_eq!(session.cluster().snapshot().pods[0].status, "Running");

        // The same state as seeking there.
        let mut sought = Session::load(vec![(SOURCE.to_string(), POD.to_string())], None);
        sought.seek(SimTime(20_000));
        assert_eq!(
            session.cluster().trace().steps().count(),
            sought.cluster().trace().steps().count()
        );
        assert_eq!(session.cluster().snapshot(), sought.cluster().snapshot());
    }

    #[test]
    fn a_link_at_t_zero_has_nothing_to_catch_up() {
        let start = Start::from(&share::encode(POD, SimTime(0)).unwrap(), || None);
        assert_eq!(start.playhead, None);
    }

    #[test]
    fn a_bad_link_falls_back_to_the_default_with_a_notice() {
        let start = Start::from("#v9.AAAA", || Some(Ok("kind: Saved\n".into())));
        assert_eq!(start.text, DEFAULT_MANIFEST);
        assert_eq!(
            start.notice.as_deref(),
            Some("This share link could not be opened: unsupported share link version \"v9\" (this podflow reads \"v1\")")
        );
        assert_eq!(start.playhead, None);
        assert_eq!(start.take_session().now(), SimTime(0));
    }

    #[test]
    fn without_a_link_the_autosave_is_restored_or_its_damage_reported() {
        assert_eq!(
            Start::from("", || Some(Ok("kind: Saved\n".into()))).text,
            "kind: Saved\n"
        );
        assert_eq!(Start::from("", || None).text, DEFAULT_MANIFEST);
        let damaged = Start::from("", || Some(Err("it is not a saved scenario".into())));
        assert_eq!(damaged.text, DEFAULT_MANIFEST);
        assert_eq!(
            damaged.notice.as_deref(),
            Some("The autosaved scenario could not be restored and was discarded: it is not a saved scenario")
        );
    }
}
