//! Moving the playhead a slice at a time: seeking (forward by running on, back by replaying the
//! load and the log on a fresh cluster), settling and reseeding can take seconds on a big
//! cluster, so a [`Travel`] keeps where it got to and [`Session::travel`] resumes it until a
//! time budget runs out. Run in one go it is exactly [`Session::seek`] and [`Session::settle`].

use super::{Action, Session, SETTLE_LIMIT, SETTLE_QUIET};
use crate::cluster::{ApplyResult, Cluster};
use crate::console;
use crate::sim::SimTime;

/// A move of the playhead under way.
#[derive(Debug)]
pub struct Travel {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// Running the session's own cluster on to `to`, doing the logged actions on the way.
    Forward(Course),
    /// Rebuilding the moment `to` on a fresh cluster; the session keeps showing its cluster
    /// until the replay gets there.
    Replay {
        course: Course,
        /// Taken by the session when the replay arrives.
        cluster: Option<Box<Cluster>>,
        results: Vec<ApplyResult>,
    },
    /// Running in windows of 30 s until one passes without a flow step, at most an hour.
    Settle {
        start: SimTime,
        /// The current window's end, and the trace's next step number when it began.
        window: Option<(SimTime, u64)>,
    },
}

/// Where a seek is going and how far along the log it is.
#[derive(Debug)]
struct Course {
    to: SimTime,
    /// The next logged action to do.
    next: usize,
    /// Whether the cluster may still have items due at its current moment that a replay
    /// running straight there would already have run.
    mid_moment: bool,
}

/// What a travel is doing, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heading {
    /// Running forward to a moment.
    Forward(SimTime),
    /// Replaying from the start to a moment.
    Replay(SimTime),
    /// Settling.
    Settle,
}

impl Travel {
    /// Where it is headed.
    pub fn heading(&self) -> Heading {
        match &self.kind {
            Kind::Forward(c) => Heading::Forward(c.to),
            Kind::Replay { course, .. } => Heading::Replay(course.to),
            Kind::Settle { .. } => Heading::Settle,
        }
    }

    /// The moment it has reached: the replay's own clock while replaying, else the session's.
    pub fn reached(&self, session: &Session) -> SimTime {
        match &self.kind {
            Kind::Replay {
                cluster: Some(cluster),
                ..
            } => cluster.now(),
            _ => session.now(),
        }
    }
}

impl Course {
    /// Runs `cluster` along `log` to `self.to`; false when `more()` stopped it first.
    fn run(
        &mut self,
        cluster: &mut Cluster,
        log: &[(SimTime, Action)],
        mut more: impl FnMut() -> bool,
    ) -> bool {
        while let Some((at, action)) = log.get(self.next).filter(|(at, _)| *at <= self.to) {
            if !self.run_to(cluster, *at, &mut more) {
                return false;
            }
            match action {
                Action::Apply(text) => {
                    cluster.apply(text, "manifest.yaml");
                }
                Action::Console { line, stdin } => {
                    console::run(cluster, line, stdin);
                }
            }
            self.next += 1;
        }
        self.run_to(cluster, self.to, &mut more)
    }

    /// Runs to `t` as `Cluster::run_for` would from where a straight replay stands, that is
    /// only when `t` is later or an earlier run was cut short.
    fn run_to(&mut self, cluster: &mut Cluster, t: SimTime, more: impl FnMut() -> bool) -> bool {
        if t > cluster.now() || self.mid_moment {
            self.mid_moment = !cluster.run_for_while(t.since(cluster.now()), more);
        }
        !self.mid_moment
    }
}

impl Session {
    /// A travel to `t`: on from here when `t` is later (doing the logged actions on the way),
    /// else a replay from the start; nothing to do when `t` is now.
    pub fn travel_to(&self, t: SimTime) -> Travel {
        if t < self.now() {
            return self.replay_to(t);
        }
        let next = self.log.partition_point(|(at, _)| *at <= self.now());
        Travel {
            kind: Kind::Forward(Course {
                to: t,
                next,
                mid_moment: t > self.now(),
            }),
        }
    }

    /// A travel to `t` by replaying the scenario and the log on a fresh cluster (under the
    /// session's seed, which may have changed since this cluster was built).
    pub fn replay_to(&self, t: SimTime) -> Travel {
        let (cluster, results) = Cluster::load_seeded(&self.files, self.seed);
        Travel {
            kind: Kind::Replay {
                course: Course {
                    to: t,
                    next: 0,
                    mid_moment: false,
                },
                cluster: Some(Box::new(cluster)),
                results,
            },
        }
    }

    /// A travel that settles the cluster: on until 30 s of virtual time pass without a flow
    /// step, at most an hour.
    pub fn settling(&self) -> Travel {
        Travel {
            kind: Kind::Settle {
                start: self.now(),
                window: None,
            },
        }
    }

    /// Goes on with `travel` until it arrives (true) or `more()` says no (false), checked
    /// between simulation items. A replay's cluster replaces the session's when it arrives.
    pub fn travel(&mut self, travel: &mut Travel, mut more: impl FnMut() -> bool) -> bool {
        let done = match &mut travel.kind {
            Kind::Forward(course) => course.run(&mut self.cluster, &self.log, more),
            Kind::Replay {
                course,
                cluster,
                results,
            } => {
                let Some(replayed) = cluster else {
                    return true;
                };
                if !course.run(replayed, &self.log, more) {
                    return false;
                }
                let horizon = self.horizon();
                if let Some(replayed) = cluster.take() {
                    self.cluster = *replayed;
                }
                self.load_results = std::mem::take(results);
                self.horizon = horizon;
                return true;
            }
            Kind::Settle { start, window } => loop {
                let (end, before) = *window.get_or_insert((
                    self.now().plus(SETTLE_QUIET),
                    self.cluster.trace().next_seq(),
                ));
                if !self.cluster.run_for_while(end.since(self.now()), &mut more) {
                    break false;
                }
                *window = None;
                if self.cluster.trace().next_seq() == before
                    || self.now().since(*start) >= SETTLE_LIMIT
                {
                    break true;
                }
            },
        };
        self.horizon = self.horizon.max(self.now());
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimDuration;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\nspec:\n  containers:\n  - name: nginx\n    image: nginx:1.14.2\n";

    /// Runs `travel` in slices of `items` simulation items; returns how many slices it took.
    fn in_slices(session: &mut Session, travel: &mut Travel, items: usize) -> usize {
        let mut slices = 0;
        loop {
            slices += 1;
            let mut left = items;
            if session.travel(travel, || {
                left = left.saturating_sub(1);
                left > 0
            }) {
                return slices;
            }
        }
    }

    fn at(secs: u64) -> SimTime {
        SimTime::ZERO.plus(SimDuration::secs(secs))
    }

    /// A session with actions at 5 s, 20 s (a console line) and 40 s, played to 60 s.
    fn played() -> Session {
        let mut s = Session::default();
        s.advance(SimDuration::secs(5));
        s.apply(POD);
        s.advance(SimDuration::secs(15));
        s.console("kubectl label pod nginx tier=web", "");
        s.advance(SimDuration::secs(20));
        s.console("kubectl delete pod nginx --wait=false", "");
        s.advance(SimDuration::secs(20));
        s
    }

    #[test]
    fn a_sliced_replay_shows_the_old_moment_until_it_arrives_at_the_one_a_replay_in_one_go_builds()
    {
        let mut sliced = played();
        let mut whole = played();
        whole.seek(at(30));
        let mut travel = sliced.travel_to(at(30));
        assert_eq!(travel.heading(), Heading::Replay(at(30)));
        let mut left = 5;
        assert!(!sliced.travel(&mut travel, || {
            left -= 1;
            left > 0
        }));
        // Meanwhile the session still shows 60 s; the replay has got somewhere before 30 s.
        assert_eq!(sliced.now(), at(60));
        assert!(travel.reached(&sliced) < at(30));
        assert!(in_slices(&mut sliced, &mut travel, 7) > 3);
        assert_eq!(sliced.now(), at(30));
        assert_eq!(sliced.cluster().snapshot(), whole.cluster().snapshot());
        assert_eq!(sliced.horizon(), at(60));
        // Arrived: going on with it does nothing more.
        assert!(sliced.travel(&mut travel, || true));
        assert_eq!(sliced.now(), at(30));
    }

    #[test]
    fn going_forward_does_the_logged_actions_at_their_times_as_a_replay_does() {
        let end = played();
        let mut s = played();
        s.seek(SimTime::ZERO);
        assert_eq!(s.log().len(), 3);
        // From t = 0 forward through the apply, the label and the delete, in slices of three.
        let mut travel = s.travel_to(at(60));
        assert_eq!(travel.heading(), Heading::Forward(at(60)));
        assert!(in_slices(&mut s, &mut travel, 3) > 10);
        assert_eq!(s.cluster().snapshot(), end.cluster().snapshot());
        assert_eq!(
            s.cluster().trace().steps().count(),
            end.cluster().trace().steps().count()
        );
        // And a stop at an action's own moment is the state right after the action.
        let mut replayed = played();
        replayed.seek(at(20));
        let mut forward = played();
        forward.seek(at(10));
        forward.seek(at(20));
        assert_eq!(forward.cluster().snapshot(), replayed.cluster().snapshot());
        assert_eq!(
            forward.cluster().trace().steps().count(),
            replayed.cluster().trace().steps().count()
        );
    }

    #[test]
    fn settling_in_slices_stops_where_settling_in_one_go_does() {
        let mut whole = Session::default();
        whole.apply(POD);
        whole.settle();
        let mut sliced = Session::default();
        sliced.apply(POD);
        let mut travel = sliced.settling();
        assert_eq!(travel.heading(), Heading::Settle);
        assert!(in_slices(&mut sliced, &mut travel, 2) > 5);
        assert_eq!(sliced.now(), whole.now());
        assert_eq!(sliced.cluster().snapshot(), whole.cluster().snapshot());
    }

    #[test]
    fn a_reseed_replays_to_the_playhead_under_the_new_seed() {
        let mut s = played();
        let mut travel = s.reseed(7);
        assert_eq!(travel.heading(), Heading::Replay(at(60)));
        assert_eq!(s.seed(), 1);
        in_slices(&mut s, &mut travel, 50);
        assert_eq!((s.seed(), s.now()), (7, at(60)));
        let mut direct = played();
        direct.set_seed(7);
        assert_eq!(s.cluster().snapshot(), direct.cluster().snapshot());
    }
}
