//! The playground at scale (`podflow-bench --ui-frames`): builds the release app with Trunk (or
//! takes a built `dist/`), serves it on 127.0.0.1, opens it in headless Chromium on a share link
//! holding a scenario of 1,000 nodes and Deployments totalling 30,000 pods, then plays it at each
//! speed of the toolbar while a `requestAnimationFrame` loop injected into the page records the
//! interval between frames. Each speed starts from a fresh page at t = 0.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use podflow_core::sim::SimTime;
use podflow_tests::static_server;
use podflow_tests::webdriver::{ChromeDriver, Session};
use serde_json::{json, Value};

use crate::manifests;
use crate::ui_profile::{self, LongTasks, RendererWork};

/// V8's sampling interval for `--ui-profile`, µs.
const PROFILE_INTERVAL_US: u64 = 200;

/// The toolbar's speeds, as their buttons read.
pub const SPEEDS: [&str; 4] = ["1×", "10×", "100×", "max"];

/// The scenario: a Scenario document with a pool of `nodes` nodes (4 CPUs, 16Gi, 110 pods) and
/// `deployments` nginx Deployments of `replicas` each.
pub fn scenario(nodes: usize, deployments: usize, replicas: usize) -> String {
    let mut text = format!(
        "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nmetadata: {{name: ui-scale}}\nspec:\n  nodes: {{count: {nodes}, cpu: \"4\", memory: 16Gi, pods: 110}}\n"
    );
    for i in 0..deployments {
        let d = manifests::deployment("default", &format!("web-{i}"), replicas);
        text.push_str("---\n");
        text.push_str(&d.to_string());
        text.push('\n');
    }
    text
}

/// Builds the release app (`trunk build --release=true`) into `dist`, with Trunk's cargo output
/// under the current `CARGO_TARGET_DIR`.
pub fn trunk_build(dist: &Path) -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("bench/ has a parent")?
        .to_path_buf();
    // wasm-opt as `cargo xtask setup` installs it, when it is there.
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    let binaryen = root.join("tools/binaryen/node_modules/binaryen/bin");
    if binaryen.is_dir() {
        let mut parts = vec![binaryen];
        parts.extend(std::env::split_paths(&path));
        path = std::env::join_paths(parts).map_err(|e| e.to_string())?;
    }
    let status = Command::new("trunk")
        .current_dir(&root)
        .env("PATH", path)
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .args(["build", "--release=true", "--dist"])
        .arg(dist)
        .status()
        .map_err(|e| format!("trunk: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("trunk build failed ({status})"))
}

/// The frame intervals of one speed, and what the page showed at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct Frames {
    /// The speed's label.
    pub speed: String,
    /// Every interval between two animation frames while playing, ms, in order.
    pub intervals: Vec<f64>,
    /// Milliseconds each Play frame spent running the simulation (`window.__podflowSim`).
    pub sim_ms: Vec<f64>,
    /// Milliseconds each Play frame spent bringing the overview up to date after simulating
    /// (`window.__podflowSync`).
    pub sync_ms: Vec<f64>,
    /// Milliseconds each render of the app took, view building to DOM patch
    /// (`window.__podflowRender`).
    pub render_ms: Vec<f64>,
    /// Milliseconds of each render spent building the page's view data before Yew's diff and
    /// the DOM patch (`window.__podflowView`).
    pub view_ms: Vec<f64>,
    /// The virtual clock when the recording stopped.
    pub clock: String,
    /// Pods Running at the end, and pods in all.
    pub running: usize,
    /// Every pod the cluster view counts.
    pub pods: usize,
    /// Wall time from opening the link to the node grid drawn.
    pub load: Duration,
    /// Wall time played before the recording started (`--warmup`).
    pub warmup: Duration,
    /// Wall time from the speed's click to the frames read back (longer than asked when a long
    /// task held the page).
    pub played: Duration,
    /// With `--ui-profile`: the recording's long busy stretches from V8's CPU profile, and the
    /// renderer's work by kind from the DevTools performance metrics.
    pub profile: Option<(LongTasks, RendererWork)>,
}

fn med_max(v: &[f64]) -> (f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    (percentile(&s, 0.5), s.last().copied().unwrap_or(0.0))
}

/// The `p` quantile (0 to 1) of sorted values, nearest rank; 0 when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

impl Frames {
    /// Median, 95th and 99th percentile and maximum frame interval, ms.
    pub fn stats(&self) -> (f64, f64, f64, f64) {
        let mut s = self.intervals.clone();
        s.sort_by(f64::total_cmp);
        (
            percentile(&s, 0.5),
            percentile(&s, 0.95),
            percentile(&s, 0.99),
            s.last().copied().unwrap_or(0.0),
        )
    }

    /// Frames longer than one refresh interval of a 60 Hz display (with 0.3 ms for the timer's
    /// jitter): each means a refresh the page missed.
    pub fn long_frames(&self) -> usize {
        self.intervals
            .iter()
            .filter(|i| **i > LONG_FRAME_MS)
            .count()
    }

    /// Median and maximum of the view data's share of each render, ms.
    pub fn view_stats(&self) -> (f64, f64) {
        med_max(&self.view_ms)
    }

    /// The renders of more than a refresh interval (16.7 ms), and the longest view building
    /// among them: when that stays small, a long render's time went to Yew's diff, the DOM
    /// patch, the canvas or the browser's own work, not to the page's view data.
    pub fn long_renders(&self) -> (usize, f64) {
        self.render_ms
            .iter()
            .zip(&self.view_ms)
            .filter(|(r, _)| **r > REFRESH_MS)
            .fold((0, 0.0), |(n, longest), (_, v)| {
                (n + 1, f64::max(longest, *v))
            })
    }

    /// Median and maximum of the overview's sync per Play frame, ms.
    pub fn sync_stats(&self) -> (f64, f64) {
        med_max(&self.sync_ms)
    }

    /// Median and maximum of the simulation per Play frame, ms.
    pub fn sim_stats(&self) -> (f64, f64) {
        med_max(&self.sim_ms)
    }

    /// Median and maximum render time, ms.
    pub fn render_stats(&self) -> (f64, f64) {
        med_max(&self.render_ms)
    }
}

/// A frame interval above this missed a refresh of a 60 Hz display, ms.
pub const LONG_FRAME_MS: f64 = 17.0;

/// One refresh interval of a 60 Hz display, ms: a render longer than this cannot fit a frame.
pub const REFRESH_MS: f64 = 1000.0 / 60.0;

/// Records `requestAnimationFrame` intervals into `window.__frames` until `window.__rec` is
/// false.
const RECORD_FRAMES: &str = r#"
window.__frames = [];
window.__rec = true;
let last = null;
const frame = (t) => {
  if (!window.__rec) return;
  if (last !== null) window.__frames.push(t - last);
  last = t;
  requestAnimationFrame(frame);
};
requestAnimationFrame(frame);
return true;
"#;

fn click_text(session: &Session<'_>, css: &str, text: &str) -> Result<(), String> {
    let script = format!(
        "const b = [...document.querySelectorAll({css:?})].find(e => e.textContent.trim() === {text:?}); if (!b) return false; b.click(); return true;"
    );
    match session.execute(&script)? {
        Value::Bool(true) => Ok(()),
        _ => Err(format!("no {css} reads {text:?}")),
    }
}

/// Pods per STATUS as the page's cluster view summarises them (`.pod-summary`), and the total
/// from its heading.
fn pod_counts(session: &Session<'_>) -> Result<(usize, usize), String> {
    let v = execute_patiently(
        session,
        "const s = document.querySelector('.pod-summary'); const h = document.querySelector('.cluster h2');\
         return [s ? s.dataset.running || '0' : '0', h ? h.textContent : ''];",
    )?;
    let running = v[0].as_str().unwrap_or("0").parse().unwrap_or(0);
    let heading = v[1].as_str().unwrap_or_default();
    let pods = heading
        .split('·')
        .map(str::trim)
        .find_map(|p| p.strip_suffix(" pods").or_else(|| p.strip_suffix(" pod")))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    Ok((running, pods))
}

/// Runs `script`, retrying for up to ten minutes while the page is too busy to answer (a long
/// task blocks the renderer; the WebDriver client gives up on a read after two minutes).
fn execute_patiently(session: &Session<'_>, script: &str) -> Result<Value, String> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        match session.execute(script) {
            Ok(v) => return Ok(v),
            Err(e) if Instant::now() < deadline && !e.contains("javascript error") => {
                eprintln!("podflow-bench: the page is busy ({e}); asking again");
            }
            Err(e) => return Err(e),
        }
    }
}

/// Waits until the page draws the aggregated node grid.
fn wait_for_grid(session: &Session<'_>) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let n = execute_patiently(
            session,
            "const g = document.querySelector('.node-grid'); return g ? Number(g.dataset.nodes) : 0;",
        )?;
        if n.as_u64().unwrap_or(0) > 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err("the page drew no node grid within 10 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// What `--ui-profile` and `--ui-css` ask of each recording.
#[derive(Debug, Clone, Copy, Default)]
pub struct Probe<'a> {
    /// Record V8's CPU profile and the DevTools performance metrics, and save the profile in
    /// this directory as `ui-profile-<speed>.cpuprofile`.
    pub profile: Option<&'a Path>,
    /// A stylesheet added to the page before Play.
    pub css: Option<&'a str>,
}

/// Plays the scenario at `speed` from a fresh page for `warmup`, then records the frames for
/// `seconds` more.
pub fn record(
    driver: &ChromeDriver,
    url: &str,
    speed: &str,
    warmup: Duration,
    seconds: u64,
    probe: Probe<'_>,
) -> Result<Frames, String> {
    let session = driver.session()?;
    let opened = Instant::now();
    session.goto(url)?;
    wait_for_grid(&session)?;
    let load = opened.elapsed();
    if let Some(css) = probe.css {
        // A stylesheet of the caller's, to see what part of the page its style and layout cost.
        session.execute(&format!(
            "const s = document.createElement('style'); s.textContent = {css:?}; document.head.appendChild(s); return true;"
        ))?;
    }
    click_text(&session, "button.speed", speed)?;
    session.click("button.play")?;
    std::thread::sleep(warmup);
    let recording = Instant::now();
    execute_patiently(&session, RECORD_FRAMES)?;
    session.execute(
        "window.__podflowSim = []; window.__podflowSync = []; window.__podflowRender = []; window.__podflowView = [];",
    )?;
    let warmup = recording.duration_since(opened).saturating_sub(load);
    let mut metrics_before = Value::Null;
    if probe.profile.is_some() {
        session.cdp("Performance.enable", json!({}))?;
        metrics_before = session.cdp("Performance.getMetrics", json!({}))?;
        session.cdp("Profiler.enable", json!({}))?;
        session.cdp(
            "Profiler.setSamplingInterval",
            json!({ "interval": PROFILE_INTERVAL_US }),
        )?;
        session.cdp("Profiler.start", json!({}))?;
    }
    std::thread::sleep(Duration::from_secs(seconds));
    let profile = match probe.profile {
        Some(dir) => {
            let stopped = session.cdp("Profiler.stop", json!({}))?;
            let metrics_after = session.cdp("Performance.getMetrics", json!({}))?;
            // The whole profile too, for Chrome DevTools' Performance panel.
            let file = dir.join(format!("ui-profile-{}.cpuprofile", speed.replace('×', "x")));
            std::fs::write(&file, stopped["profile"].to_string())
                .map_err(|e| format!("{}: {e}", file.display()))?;
            Some((
                ui_profile::long_tasks(&stopped["profile"], REFRESH_MS)?,
                ui_profile::RendererWork::between(&metrics_before, &metrics_after),
            ))
        }
        None => None,
    };
    let v = execute_patiently(
        &session,
        "window.__rec = false; document.querySelector('button.play').click();\
         return [window.__frames, window.__podflowSim, window.__podflowSync, window.__podflowRender, window.__podflowView, document.querySelector('.clock').textContent];",
    )?;
    let played = recording.elapsed();
    let nums = |v: &Value| -> Vec<f64> {
        v.as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    let (running, pods) = pod_counts(&session)?;
    Ok(Frames {
        speed: speed.to_string(),
        intervals: nums(&v[0]),
        sim_ms: nums(&v[1]),
        sync_ms: nums(&v[2]),
        render_ms: nums(&v[3]),
        view_ms: nums(&v[4]),
        clock: v[5].as_str().unwrap_or_default().to_string(),
        running,
        pods,
        load,
        warmup,
        played,
        profile,
    })
}

/// Serves `dist`, opens the scenario and records each of `speeds` for `seconds`, looking closer as
/// `probe` asks.
pub fn run(
    dist: &Path,
    text: &str,
    speeds: &[String],
    warmup: Duration,
    seconds: u64,
    probe: Probe<'_>,
    mut each: impl FnMut(&Frames),
) -> Result<Vec<Frames>, String> {
    let server = static_server::serve(dist).map_err(|e| format!("serve: {e}"))?;
    let fragment =
        podflow_core::share::encode(text, SimTime::ZERO).map_err(|e| format!("share: {e}"))?;
    let url = podflow_core::share::link(&format!("{}/", server.base_url), &fragment);
    let driver = ChromeDriver::start()?;
    let mut out = Vec::new();
    for speed in speeds {
        let f = record(&driver, &url, speed, warmup, seconds, probe)?;
        each(&f);
        out.push(f);
    }
    Ok(out)
}

/// The line printed under a speed's row: how many renders were longer than a refresh interval,
/// and how much of the longest of them was the page's view building.
pub fn long_render_line(f: &Frames) -> String {
    let (n, view) = f.long_renders();
    let head = format!(
        "       renders over {REFRESH_MS:.1} ms: {n} of {}",
        f.render_ms.len()
    );
    if n == 0 {
        return head;
    }
    format!("{head}; view building in them at most {view:.1} ms (the rest: Yew's diff, the DOM patch, the canvas, the browser)")
}

/// The table's header.
pub fn header() -> String {
    format!(
        "{:<6} {:>6} {:>5} {:>7} {:>6} {:>6} {:>6} {:>6} {:>13} {:>13} {:>13} {:>13} {:>13} {:>10} {:>6} {:>7} {:>7}\n{}",
        "speed",
        "frames",
        ">17ms",
        "sims/rend",
        "med",
        "p95",
        "p99",
        "max",
        "sim med/max",
        "sync med/max",
        "rend med/max",
        "view med/max",
        "Running/pods",
        "virtual",
        "load",
        "warmup",
        "played",
        "-".repeat(154)
    )
}

/// One speed's line.
pub fn line(f: &Frames) -> String {
    let (med, p95, p99, max) = f.stats();
    let pair = |(m, x): (f64, f64), from: &[f64]| {
        if from.is_empty() {
            "-".to_string()
        } else {
            format!("{m:.1}/{x:.1}")
        }
    };
    format!(
        "{:<6} {:>6} {:>5} {:>9} {:>6.1} {:>6.1} {:>6.1} {:>6.1} {:>13} {:>13} {:>13} {:>13} {:>13} {:>10} {:>5.1}s {:>6.1}s {:>6.1}s",
        f.speed,
        f.intervals.len(),
        f.long_frames(),
        format!("{}/{}", f.sim_ms.len(), f.render_ms.len()),
        med,
        p95,
        p99,
        max,
        pair(f.sim_stats(), &f.sim_ms),
        pair(f.sync_stats(), &f.sync_ms),
        pair(f.render_stats(), &f.render_ms),
        pair(f.view_stats(), &f.view_ms),
        format!("{}/{}", f.running, f.pods),
        f.clock.trim_start_matches("t = "),
        f.load.as_secs_f64(),
        f.warmup.as_secs_f64(),
        f.played.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(render_ms: Vec<f64>, view_ms: Vec<f64>) -> Frames {
        Frames {
            speed: "10×".into(),
            intervals: vec![16.7, 33.3, 16.7],
            sim_ms: Vec::new(),
            sync_ms: Vec::new(),
            render_ms,
            view_ms,
            clock: "t = 4.849s".into(),
            running: 0,
            pods: 30_000,
            load: Duration::from_secs(1),
            warmup: Duration::from_secs(30),
            played: Duration::from_secs(10),
            profile: None,
        }
    }

    #[test]
    fn long_renders_are_counted_with_their_longest_view_building() {
        let f = frames(
            vec![9.8, 44.9, 16.6, 16.8, 12.0],
            vec![2.2, 2.8, 9.0, 3.1, 2.5],
        );
        assert_eq!(f.long_renders(), (2, 3.1));
        assert_eq!(
            long_render_line(&f),
            "       renders over 16.7 ms: 2 of 5; view building in them at most 3.1 ms (the rest: Yew's diff, the DOM patch, the canvas, the browser)"
        );
        let quiet = frames(vec![9.8, 12.0], vec![2.2, 2.5]);
        assert_eq!(quiet.long_renders(), (0, 0.0));
        assert_eq!(
            long_render_line(&quiet),
            "       renders over 16.7 ms: 0 of 2"
        );
        assert_eq!(quiet.long_frames(), 1);
    }
}
