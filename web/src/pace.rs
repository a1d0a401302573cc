//! The pace of Play: on each animation frame, how much virtual time the simulation is asked for,
//! how much wall time it may take, and whether the frame draws the page.
//!
//! A frame is 16.7 ms at 60 Hz. A frame either simulates, for at most [`FRAME_BUDGET_MS`] (the
//! rest is the browser's), or draws the page, every [`PLAY_RENDER_MS`]: on a big cluster the
//! render alone takes half a frame, so the two together would miss the display's refresh.
//! Virtual time the budget could not run is owed to the next frames, up to two Play steps of
//! the speed, so a big cluster plays slower than the speed instead of dropping frames.

use podflow_core::sim::SimDuration;

use crate::components::toolbar::Speed;

/// Wall milliseconds a Play frame may simulate, the overview's sync included. The browser needs
/// the rest of the 16.7 ms for its own work: at 1,000 nodes and 30,000 pods, in headless
/// Chromium, a budget of 12 ms missed a refresh in 6–8 % of the frames, 10 ms in 2 %, 9 ms in
/// 0.5–1.2 % (most of those a single simulation item longer than the budget).
pub const FRAME_BUDGET_MS: f64 = 9.0;
/// The least wall time between two renders while playing.
pub const PLAY_RENDER_MS: f64 = 100.0;
/// A frame that simulated less than this says nothing of the sync's share.
const MIN_SIM_MS: f64 = 1.0;
/// The overview sync's cost per millisecond of simulation before one has been measured.
const SYNC_GUESS: f64 = 0.25;
/// The longest gap between two frames that counts as played: a hidden tab gets no frames, and
/// the time it was away is not owed.
const MAX_GAP_MS: f64 = 100.0;

/// What one frame does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Virtual time to run (none on a frame that draws).
    pub want: SimDuration,
    /// Wall milliseconds the simulation and the overview's sync may take.
    pub budget_ms: f64,
    /// Whether the frame draws the page instead of simulating.
    pub render: bool,
}

/// Play's pace at one speed, from frame to frame.
#[derive(Debug, Clone)]
pub struct Pace {
    /// Virtual milliseconds per wall millisecond.
    rate: f64,
    /// The most virtual time owed, ms.
    max_owed: f64,
    /// Virtual milliseconds played but not yet run.
    owed: f64,
    last_frame: Option<f64>,
    rendered_at: Option<f64>,
    /// Wall time the overview's sync takes per wall millisecond of simulation, as last seen.
    sync_per_sim: f64,
}

impl Pace {
    /// Play at `speed`, from its first frame.
    pub fn new(speed: Speed) -> Pace {
        let step = speed.tick_ms() as f64;
        Pace {
            rate: step / 100.0,
            max_owed: 2.0 * step,
            owed: 0.0,
            last_frame: None,
            rendered_at: None,
            sync_per_sim: SYNC_GUESS,
        }
    }

    /// The plan of the frame at wall time `now_ms`.
    pub fn plan(&mut self, now_ms: f64) -> Plan {
        let gap = self
            .last_frame
            .map_or(0.0, |last| (now_ms - last).clamp(0.0, MAX_GAP_MS));
        self.last_frame = Some(now_ms);
        self.owed = (self.owed + gap * self.rate).min(self.max_owed);
        let render = self
            .rendered_at
            .is_none_or(|at| now_ms - at >= PLAY_RENDER_MS);
        if render {
            self.rendered_at = Some(now_ms);
            return Plan {
                want: SimDuration(0),
                budget_ms: 0.0,
                render,
            };
        }
        Plan {
            want: SimDuration(self.owed as u64),
            budget_ms: FRAME_BUDGET_MS,
            render,
        }
    }

    /// The share of a frame's `budget_ms` the simulation may take, leaving the overview's sync
    /// of what it did its share.
    pub fn sim_share(&self, budget_ms: f64) -> f64 {
        budget_ms / (1.0 + self.sync_per_sim)
    }

    /// The frame simulated for `sim_ms` and then synced the overview in `sync_ms`.
    pub fn synced(&mut self, sim_ms: f64, sync_ms: f64) {
        if sim_ms >= MIN_SIM_MS {
            let seen = (sync_ms / sim_ms).clamp(0.0, 4.0);
            self.sync_per_sim = 0.75 * self.sync_per_sim + 0.25 * seen;
        }
    }

    /// The simulation ran `d` of what the frame asked.
    pub fn ran(&mut self, d: SimDuration) {
        self.owed = (self.owed - d.0 as f64).max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames at 60 Hz: the wall time of frame `i`, ms.
    fn frame(i: u32) -> f64 {
        1_000.0 + f64::from(i) * 1_000.0 / 60.0
    }

    #[test]
    fn at_one_x_a_second_of_frames_plays_a_virtual_second_and_draws_ten_times() {
        let mut pace = Pace::new(Speed::X1);
        let (mut played, mut renders) = (0, 0);
        for i in 0..=61 {
            let plan = pace.plan(frame(i));
            pace.ran(plan.want);
            played += plan.want.0;
            renders += u32::from(plan.render && i > 0);
            // A frame draws or simulates, never both.
            let (want, budget) = if plan.render {
                (0, 0.0)
            } else {
                (plan.want.0, FRAME_BUDGET_MS)
            };
            assert_eq!((plan.want.0, plan.budget_ms), (want, budget), "frame {i}");
        }
        // The first frame only starts the clock (and draws); a drawing frame's time is run by
        // the next; whole milliseconds carry over.
        assert!((999..=1_017).contains(&played), "{played}");
        assert_eq!(renders, 10);
    }

    #[test]
    fn what_a_frame_could_not_run_is_owed_up_to_two_steps() {
        let mut pace = Pace::new(Speed::X10);
        pace.plan(frame(0));
        // A frame asks for its 16.7 ms at ten times: 166 virtual ms.
        let plan = pace.plan(frame(1));
        assert_eq!(plan.want, SimDuration(166));
        pace.ran(SimDuration(0));
        // Nothing ran for a while: the debt stops at two steps (2 × 1,000 virtual ms).
        let mut last = plan;
        for i in 2..40 {
            let plan = pace.plan(frame(i));
            if !plan.render {
                last = plan;
            }
            pace.ran(SimDuration(0));
        }
        assert_eq!(last.want, SimDuration(2_000));
        pace.ran(SimDuration(2_000));
        assert_eq!(pace.plan(frame(40)).want, SimDuration(166));
    }

    #[test]
    fn a_hidden_tab_s_absence_is_not_owed() {
        let mut pace = Pace::new(Speed::X1);
        pace.plan(frame(0));
        let plan = pace.plan(frame(1));
        pace.ran(plan.want);
        // Ten seconds without frames count as one gap of 100 ms (and the frame draws); the
        // next frame runs that and its own 16.7 ms (with the 0.7 ms left over).
        let plan = pace.plan(frame(1) + 10_000.0);
        assert!(plan.render);
        let plan = pace.plan(frame(2) + 10_000.0);
        assert_eq!(plan.want, SimDuration(117));
    }

    #[test]
    fn the_overview_sync_gets_the_share_of_the_budget_it_was_seen_to_take() {
        let mut pace = Pace::new(Speed::X1);
        assert_eq!(pace.sim_share(12.5), 10.0);
        // The sync took as long as the simulation, frame after frame: the simulation's share
        // goes toward half the budget.
        for _ in 0..40 {
            pace.synced(6.0, 6.0);
        }
        assert!(
            (pace.sim_share(12.0) - 6.0).abs() < 0.01,
            "{}",
            pace.sim_share(12.0)
        );
        // A frame that hardly simulated says nothing about the ratio.
        pace.synced(0.1, 5.0);
        assert!((pace.sim_share(12.0) - 6.0).abs() < 0.01);
    }
}
