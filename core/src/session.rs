//! A playground session: the scenario the user loaded, the seed, and everything they did later
//! (applies and console commands, each at its virtual time). Because the simulation is
//! deterministic, any past moment is rebuilt by replaying that log from the start — this is
//! how the playground steps back, scrubs the timeline and reopens a shared link at its playhead.
//! Acting at a past moment discards the log after it, like a debugger's time travel.

mod travel;

pub use travel::{Heading, Travel};

use crate::cluster::{ApplyResult, Cluster};
use crate::console::{self, Output};
use crate::sim::{SimDuration, SimTime};

/// Something the user did at a moment of virtual time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `kubectl apply -f` of the editor's text.
    Apply(String),
    /// A console line, with the editor's text as its `-f -` input.
    Console {
        /// The command line.
        line: String,
        /// What `-f -` reads.
        stdin: String,
    },
}

/// The longest `settle` runs, in virtual time.
const SETTLE_LIMIT: SimDuration = SimDuration::secs(3600);
/// How long nothing must happen for the cluster to count as settled.
const SETTLE_QUIET: SimDuration = SimDuration::secs(30);

/// A session: base scenario, seed, action log and the cluster at the playhead.
#[derive(Debug)]
pub struct Session {
    files: Vec<(String, String)>,
    seed: Option<u64>,
    log: Vec<(SimTime, Action)>,
    cluster: Cluster,
    load_results: Vec<ApplyResult>,
    horizon: SimTime,
}

impl Default for Session {
    fn default() -> Self {
        Session::load(Vec::new(), None)
    }
}

impl Session {
    /// A session on scenario files (applied at t = 0, see [`Cluster::load`]); `seed` overrides
    /// the scenario's.
    pub fn load(files: Vec<(String, String)>, seed: Option<u64>) -> Session {
        let (cluster, load_results) = Cluster::load_seeded(&files, seed);
        Session {
            files,
            seed,
            log: Vec::new(),
            cluster,
            load_results,
            horizon: SimTime::ZERO,
        }
    }

    /// The cluster at the playhead.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// What loading the scenario printed (kubectl's lines for the t = 0 applies).
    pub fn load_results(&self) -> &[ApplyResult] {
        &self.load_results
    }

    /// The scenario files.
    pub fn files(&self) -> &[(String, String)] {
        &self.files
    }

    /// The user's actions after loading, with their times.
    pub fn log(&self) -> &[(SimTime, Action)] {
        &self.log
    }

    /// The seed in use.
    pub fn seed(&self) -> u64 {
        self.cluster.seed()
    }

    /// The playhead.
    pub fn now(&self) -> SimTime {
        self.cluster.now()
    }

    /// The furthest moment reached so far (the timeline's end).
    pub fn horizon(&self) -> SimTime {
        self.horizon.max(self.now())
    }

    /// Acting at a past moment forgets the future that followed it.
    fn truncate_future(&mut self) {
        let now = self.now();
        self.log.retain(|(t, _)| *t <= now);
        self.horizon = now;
    }

    /// `kubectl apply -f` of `text` at the playhead.
    pub fn apply(&mut self, text: &str) -> Vec<ApplyResult> {
        self.cluster.finish_moment();
        self.truncate_future();
        self.log.push((self.now(), Action::Apply(text.to_string())));
        self.cluster.apply(text, "manifest.yaml")
    }

    /// A console line at the playhead.
    pub fn console(&mut self, line: &str, stdin: &str) -> Output {
        self.cluster.finish_moment();
        self.truncate_future();
        self.log.push((
            self.now(),
            Action::Console {
                line: line.to_string(),
                stdin: stdin.to_string(),
            },
        ));
        console::run(&mut self.cluster, line, stdin)
    }

    /// Runs what is still due at the playhead after a slice stopped among the items of one
    /// moment, so the state is the one a replay to this moment builds (what Share captures).
    pub fn finish_moment(&mut self) {
        self.cluster.finish_moment();
    }

    /// Brings the cluster's [`Cluster::overview`] up to the present (see
    /// [`Cluster::sync_overview`]); it changes nothing the simulation sees.
    pub fn sync_overview(&mut self) {
        self.cluster.sync_overview();
    }

    /// Runs virtual time forward by `d`.
    pub fn advance(&mut self, d: SimDuration) {
        self.cluster.run_for(d);
        self.horizon = self.horizon.max(self.now());
    }

    /// Runs virtual time forward by up to `d`, stopping early (between two items) once `more()`
    /// says no, so a page can bound the time it spends per frame; returns whether all of `d`
    /// ran. An apply or console line after an early stop first finishes the moment, so the log
    /// replays to the same state.
    pub fn advance_while(&mut self, d: SimDuration, more: impl FnMut() -> bool) -> bool {
        let done = self.cluster.run_for_while(d, more);
        self.horizon = self.horizon.max(self.now());
        done
    }

    /// Runs to the next moment something visible happens (a flow step is traced); `false` when
    /// nothing is due.
    pub fn step_event(&mut self) -> bool {
        let before = self.cluster.trace().next_seq();
        while let Some(report) = self.cluster.step() {
            self.horizon = self.horizon.max(self.now());
            if !report.steps.is_empty() || self.cluster.trace().next_seq() > before {
                return true;
            }
        }
        false
    }

    /// Back to the moment of the previous visible step (the state right after it).
    pub fn back(&mut self) {
        self.seek(self.previous_step_time());
    }

    /// The moment of the last visible step before the playhead (t = 0 if none): where
    /// [`Session::back`] goes.
    pub fn previous_step_time(&self) -> SimTime {
        let now = self.now();
        self.cluster
            .trace()
            .steps()
            .map(|s| s.time)
            .filter(|t| *t < now)
            .max()
            .unwrap_or(SimTime::ZERO)
    }

    /// Moves the playhead to `t`: on from here when `t` is later, else by replaying the scenario
    /// and the log on a fresh cluster. In one go; [`Session::travel_to`] does it in slices.
    pub fn seek(&mut self, t: SimTime) {
        let mut travel = self.travel_to(t);
        self.travel(&mut travel, || true);
    }

    /// Runs until nothing has happened for 30 s of virtual time (at most an hour). In one go;
    /// [`Session::settling`] does it in slices.
    pub fn settle(&mut self) {
        let mut travel = self.settling();
        self.travel(&mut travel, || true);
    }

    /// The whole session as one scenario text: the loaded files' documents, then a podflow
    /// Scenario document holding the seed and every later action at its time (an `apply`, or a
    /// `kubectl` line with its `-f -` input) — what a share link carries, so that loading it
    /// and running to the playhead rebuilds this very state.
    pub fn scenario_text(&self) -> String {
        use serde_json::{json, Value};
        let mut docs: Vec<Value> = Vec::new();
        for (name, text) in &self.files {
            match crate::intake::parse_manifest(text, name) {
                Ok(parsed) => docs.extend(parsed.into_iter().map(|d| d.value)),
                // Text that does not parse is kept as it is: loading it reports the same error.
                Err(_) => return self.files.iter().map(|(_, t)| t.as_str()).collect(),
            }
        }
        let is_scenario = |d: &Value| {
            d.get("apiVersion").and_then(Value::as_str) == Some(crate::scenario::API_VERSION)
                && d.get("kind").and_then(Value::as_str) == Some(crate::scenario::KIND)
        };
        if !docs.iter().any(is_scenario) {
            docs.push(json!({
                "apiVersion": crate::scenario::API_VERSION,
                "kind": crate::scenario::KIND,
                "spec": {}
            }));
        }
        let seed = self.seed();
        let log = &self.log;
        if let Some(scenario) = docs.iter_mut().find(|d| is_scenario(d)) {
            let spec = scenario
                .as_object_mut()
                .map(|o| o.entry("spec").or_insert_with(|| json!({})));
            if let Some(Value::Object(spec)) = spec {
                spec.insert("seed".into(), json!(seed));
                let actions = spec.entry("actions").or_insert_with(|| json!([]));
                if let Value::Array(actions) = actions {
                    for (at, action) in log {
                        let at = format!("{}ms", at.0);
                        actions.push(match action {
                            Action::Apply(text) => json!({ "at": at, "apply": text }),
                            Action::Console { line, stdin } if line.contains("-f") => {
                                json!({ "at": at, "kubectl": line, "stdin": stdin })
                            }
                            Action::Console { line, .. } => json!({ "at": at, "kubectl": line }),
                        });
                    }
                }
            }
        }
        docs.iter()
            .map(crate::kubectl::yaml::to_yaml)
            .collect::<Vec<_>>()
            .join("---\n")
    }

    /// Back to t = 0 with no user actions (the scenario stays).
    pub fn reset(&mut self) {
        *self = Session::load(std::mem::take(&mut self.files), self.seed);
    }

    /// The same session under another seed, replayed to the same playhead.
    pub fn set_seed(&mut self, seed: u64) {
        let mut travel = self.reseed(seed);
        self.travel(&mut travel, || true);
    }

    /// Takes `seed` for the session and returns the replay to the playhead under it; the
    /// cluster under the old seed stays until the replay arrives ([`Session::travel`]).
    pub fn reseed(&mut self, seed: u64) -> Travel {
        self.seed = Some(seed);
        self.replay_to(self.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\nspec:\n  containers:\n  - name: nginx\n    image: nginx:1.14.2\n";

    fn status(s: &Session) -> Vec<(String, String)> {
        s.cluster()
            .snapshot()
            .pods
            .iter()
            .map(|p| (p.name.clone(), p.status.clone()))
            .collect()
    }

    #[test]
    fn advancing_in_slices_reaches_the_same_state_and_an_apply_mid_moment_replays_the_same() {
        let mut whole = Session::default();
        whole.apply(POD);
        whole.advance(SimDuration::secs(20));
        let mut sliced = Session::default();
        sliced.apply(POD);
        // Three items per call: many calls, some stopping among items due at one moment.
        let mut calls = 0;
        let end = SimTime::ZERO.plus(SimDuration::secs(20));
        loop {
            let mut budget = 3;
            let want = end.since(sliced.now());
            calls += 1;
            if sliced.advance_while(want, || {
                budget -= 1;
                budget >= 0
            }) {
                break;
            }
        }
        assert!(calls > 3);
        assert_eq!(sliced.cluster().snapshot(), whole.cluster().snapshot());
        // An apply after an early stop finishes the moment first, so a replay agrees.
        let mut live = Session::default();
        live.apply(POD);
        live.advance_while(SimDuration::secs(1), || false);
        let mut n = 0;
        live.advance_while(SimDuration::secs(5), || {
            n += 1;
            n < 4
        });
        live.console("kubectl create namespace team-a", "");
        live.advance(SimDuration::secs(10));
        let at = live.now();
        let before = live.cluster().snapshot();
        live.seek(at);
        assert_eq!(live.cluster().snapshot(), before);
    }

    #[test]
    fn seeking_back_replays_the_same_state_and_acting_in_the_past_forgets_the_future() {
        let mut s = Session::default();
        s.advance(SimDuration::secs(5));
        let lines: Vec<String> = s.apply(POD).into_iter().map(|r| r.message).collect();
        assert_eq!(lines, ["pod/nginx created"]);
        s.advance(SimDuration::secs(30));
        s.console("kubectl delete pod nginx", "");
        let at_35 = s.cluster().snapshot();
        s.advance(SimDuration::secs(40));
        assert!(status(&s).is_empty());
        // Back to 35 s: the pod is there again, Terminating, exactly as it was.
        s.seek(SimTime::ZERO.plus(SimDuration::secs(35)));
        assert_eq!(s.cluster().snapshot(), at_35);
        assert_eq!(s.horizon(), SimTime::ZERO.plus(SimDuration::secs(75)));
        // Before the apply there is no pod.
        s.seek(SimTime::ZERO.plus(SimDuration::secs(4)));
        assert!(status(&s).is_empty());
        // Acting now drops the apply and the delete that came later.
        s.console("kubectl create namespace team-a", "");
        assert_eq!(s.log().len(), 1);
        assert_eq!(s.horizon(), SimTime::ZERO.plus(SimDuration::secs(4)));
    }

    #[test]
    fn stepping_moves_to_the_next_visible_step_and_back_returns_to_the_previous_one() {
        let mut s = Session::default();
        s.apply(POD);
        let t0 = s.now();
        assert!(s.step_event());
        let t1 = s.now();
        assert!(t1 > t0);
        assert!(s.step_event());
        s.back();
        assert_eq!(s.now(), t1);
    }

    #[test]
    fn the_scenario_text_rebuilds_the_same_state_when_loaded_and_run_to_the_playhead() {
        let mut s = Session::default();
        s.advance(SimDuration::secs(3));
        s.apply(POD);
        s.advance(SimDuration::secs(20));
        s.console("kubectl label pod nginx tier=web", "");
        s.console("kubectl run other --image=nginx:1.14.2", "");
        s.advance(SimDuration::secs(20));
        let text = s.scenario_text();
        assert!(text.contains("kind: Scenario"), "{text}");
        let mut again = Session::load(vec![("shared.yaml".into(), text)], None);
        assert!(
            again.load_results().iter().all(|r| r.ok),
            "{:?}",
            again.load_results()
        );
        again.seek(s.now());
        assert_eq!(again.cluster().snapshot(), s.cluster().snapshot());
        let labels = |s: &Session| {
            s.cluster()
                .api()
                .get("Pod", "default", "nginx")
                .and_then(|p| p.meta().labels.clone())
        };
        assert_eq!(labels(&again), labels(&s));
    }

    #[test]
    fn a_moment_a_slice_stopped_in_is_finished_before_it_is_shared() {
        let mut s = Session::default();
        s.apply(POD);
        let mut items = 0;
        s.advance_while(SimDuration::secs(10), || {
            items += 1;
            items < 6
        });
        let stopped = s.cluster().snapshot();
        s.finish_moment();
        assert_eq!(s.now(), stopped.time);
        assert_ne!(
            s.cluster().snapshot(),
            stopped,
            "the slice stopped between moments"
        );
        let mut again = Session::load(vec![("shared.yaml".into(), s.scenario_text())], None);
        again.seek(s.now());
        assert_eq!(again.cluster().snapshot(), s.cluster().snapshot());
    }

    #[test]
    fn settling_runs_until_the_pod_is_running_and_the_seed_changes_the_run() {
        let mut s = Session::default();
        s.apply(POD);
        s.settle();
        assert_eq!(status(&s), [("nginx".to_string(), "Running".to_string())]);
        let node = s.cluster().snapshot().pods[0].node.clone();
        let now = s.now();
        let mut nodes = std::collections::BTreeSet::new();
        for seed in 2..8 {
            s.set_seed(seed);
            assert_eq!(s.now(), now);
            assert_eq!(s.seed(), seed);
            nodes.insert(s.cluster().snapshot().pods[0].node.clone());
        }
        nodes.insert(node);
        assert!(
            nodes.len() > 1,
            "the seed never changed the chosen node: {nodes:?}"
        );
    }
}
