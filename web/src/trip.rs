//! The playhead's moves that can take long — a share link's run to its playhead, a seek on the
//! timeline, Back, Settle, a new seed — kept as a [`Travel`] and run a time-bounded slice at a
//! time, so that on a big cluster the page stays responsive and says how far it got.

use std::cell::RefCell;
use std::rc::Rc;

use podflow_core::session::{Heading, Session, Travel};
use yew::UseStateHandle;

use crate::{browser, TICK_BUDGET_MS};

/// A travel under way.
#[derive(Debug)]
pub struct Trip {
    /// Where it got to.
    pub travel: Travel,
    /// Whether it is a share link's run to its playhead.
    pub link: bool,
}

impl Trip {
    /// The progress line: what it does, where it got to, where it goes.
    pub fn text(&self, session: &Session) -> String {
        let reached = self.travel.reached(session);
        match self.travel.heading() {
            Heading::Forward(to) if self.link => {
                format!("Running the shared scenario to its playhead: t = {reached} of t = {to}")
            }
            Heading::Forward(to) => format!("Running to t = {to}: t = {reached}"),
            Heading::Replay(to) => format!("Replaying from t = 0 to t = {to}: t = {reached}"),
            Heading::Settle => format!("Settling: t = {reached}"),
        }
    }

    /// The progress bar's `(value, max)` in milliseconds, when the end is known.
    pub fn progress(&self, session: &Session) -> Option<(u64, u64)> {
        let reached = self.travel.reached(session).0;
        match self.travel.heading() {
            Heading::Forward(to) | Heading::Replay(to) => Some((reached, to.0)),
            Heading::Settle => None,
        }
    }
}

/// Runs `travel` for as long as `more()` allows; the trip still to make when it did not arrive.
pub fn start(
    session: &mut Session,
    mut travel: Travel,
    link: bool,
    more: impl FnMut() -> bool,
) -> Option<Trip> {
    (!session.travel(&mut travel, more)).then_some(Trip { travel, link })
}

/// The page's handle on its trips: the session, the trip under way and whether there is one
/// (the state that keeps the page's slicing timer running).
#[derive(Clone)]
pub struct Trips {
    /// The page's session.
    pub session: Rc<RefCell<Session>>,
    /// The trip under way.
    pub trip: Rc<RefCell<Option<Trip>>>,
    /// Whether a trip is under way.
    pub travelling: UseStateHandle<bool>,
}

impl Trips {
    /// Starts the travel `make` plans from the session, giving it a first slice of
    /// [`TICK_BUDGET_MS`] at once: on a small cluster it arrives before the next render.
    pub fn begin(&self, make: impl FnOnce(&mut Session) -> Travel) {
        let started = browser::now_ms();
        let mut session = self.session.borrow_mut();
        let travel = make(&mut session);
        let left = start(&mut session, travel, false, || {
            browser::now_ms() - started < TICK_BUDGET_MS
        });
        self.travelling.set(left.is_some());
        *self.trip.borrow_mut() = left;
    }

    /// Gives up the trip under way where it got to (a replay's cluster is dropped: the session
    /// stays at the moment it showed).
    pub fn cancel(&self) {
        if self.trip.borrow_mut().take().is_some() {
            self.travelling.set(false);
        }
    }

    /// One slice of the trip under way, of at most [`TICK_BUDGET_MS`]; true when it arrived.
    pub fn slice(&self) -> bool {
        let started = browser::now_ms();
        let mut trip = self.trip.borrow_mut();
        let Some(t) = trip.as_mut() else {
            return true;
        };
        let arrived = self.session.borrow_mut().travel(&mut t.travel, || {
            browser::now_ms() - started < TICK_BUDGET_MS
        });
        if arrived {
            *trip = None;
        }
        arrived
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podflow_core::sim::{SimDuration, SimTime};

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\n";

    #[test]
    fn the_progress_line_says_what_the_trip_does_and_how_far_it_got() {
        let mut session = Session::default();
        session.apply(POD);
        session.advance(SimDuration::secs(90));
        let t = |s| SimTime::ZERO.plus(SimDuration::secs(s));

        let travel = session.travel_to(t(30));
        let back = start(&mut session, travel, false, || false).unwrap();
        assert_eq!(
            back.text(&session),
            "Replaying from t = 0 to t = 30.000s: t = 0.000s"
        );
        assert_eq!(back.progress(&session), Some((0, 30_000)));

        let travel = session.travel_to(t(120));
        let on = start(&mut session, travel, false, || false).unwrap();
        assert_eq!(on.text(&session), "Running to t = 2m00.000s: t = 1m30.000s");
        let travel = session.travel_to(t(120));
        let link = start(&mut session, travel, true, || false).unwrap();
        assert_eq!(
            link.text(&session),
            "Running the shared scenario to its playhead: t = 1m30.000s of t = 2m00.000s"
        );
        let travel = session.settling();
        let settle = start(&mut session, travel, false, || false).unwrap();
        assert_eq!(settle.text(&session), "Settling: t = 1m30.000s");
        assert_eq!(settle.progress(&session), None);

        // With time enough it arrives at once and nothing is left to do.
        let travel = session.travel_to(t(30));
        assert!(start(&mut session, travel, false, || true).is_none());
        assert_eq!(session.now(), t(30));
    }
}
