//! What the page did in its long tasks (`podflow-bench --ui-frames --ui-profile`): V8's sampling
//! CPU profile of the recording (the DevTools protocol's `Profiler`), cut into busy stretches —
//! samples between two idle ones — and the stretches longer than a refresh interval summed by
//! function, the leaf's own time and each function's time on the stack; and the renderer's style
//! and layout over the same seconds, from the DevTools performance metrics, which the profile
//! shows only as `(program)`.

use std::collections::BTreeMap;

use serde_json::Value;

/// The busy stretches of a profile that were longer than a threshold, and where their time went.
#[derive(Debug, Clone, PartialEq)]
pub struct LongTasks {
    /// Every busy stretch of the profile.
    pub stretches: usize,
    /// The length of each long stretch, ms, in order.
    pub long_ms: Vec<f64>,
    /// Milliseconds of the long stretches by the function a sample was in (V8's own pseudo
    /// functions included: `(garbage collector)`, `(program)` for the browser's native work),
    /// longest first.
    pub self_ms: Vec<(String, f64)>,
    /// Milliseconds of the long stretches by each function on the sample's stack (counted once
    /// per sample), longest first.
    pub total_ms: Vec<(String, f64)>,
}

/// One node of the profile's call tree: its function's name and its parent.
struct Node {
    name: String,
    parent: Option<usize>,
}

/// A function's name as the summary shows it: wasm and JS names as V8 gives them, an anonymous
/// function by its script and line.
fn frame_name(call_frame: &Value) -> String {
    let name = call_frame["functionName"].as_str().unwrap_or_default();
    if !name.is_empty() {
        return name.to_string();
    }
    let url = call_frame["url"].as_str().unwrap_or_default();
    let file = url.rsplit('/').next().unwrap_or(url);
    format!(
        "(anonymous {}:{})",
        file,
        call_frame["lineNumber"].as_i64().unwrap_or(-1) + 1
    )
}

/// Cuts `profile` (a `Profiler.stop` result's `profile`) into busy stretches and sums the ones
/// longer than `min_ms`. A sample lasts until the next one; `(idle)` samples separate stretches.
pub fn long_tasks(profile: &Value, min_ms: f64) -> Result<LongTasks, String> {
    let nodes = profile["nodes"]
        .as_array()
        .ok_or("the profile has no nodes")?;
    let mut index = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        let id = n["id"].as_u64().ok_or("a profile node has no id")?;
        index.insert(id, i);
    }
    let mut tree: Vec<Node> = nodes
        .iter()
        .map(|n| Node {
            name: frame_name(&n["callFrame"]),
            parent: None,
        })
        .collect();
    for (i, n) in nodes.iter().enumerate() {
        for child in n["children"].as_array().into_iter().flatten() {
            let c = child
                .as_u64()
                .and_then(|c| index.get(&c))
                .ok_or("a profile node names an unknown child")?;
            tree[*c].parent = Some(i);
        }
    }
    let samples = profile["samples"]
        .as_array()
        .ok_or("the profile has no samples")?;
    let deltas = profile["timeDeltas"]
        .as_array()
        .ok_or("the profile has no time deltas")?;
    if samples.len() != deltas.len() {
        return Err(format!(
            "the profile has {} samples and {} time deltas",
            samples.len(),
            deltas.len()
        ));
    }
    let mut leaves = Vec::with_capacity(samples.len());
    for s in samples {
        let id = s.as_u64().ok_or("a sample is not a node id")?;
        leaves.push(*index.get(&id).ok_or("a sample names an unknown node")?);
    }
    // A sample lasts until the next sample is taken; the last one's length is unknown.
    let lasts: Vec<f64> = (0..leaves.len())
        .map(|i| {
            deltas
                .get(i + 1)
                .and_then(Value::as_f64)
                .map_or(0.0, |us| us.max(0.0) / 1000.0)
        })
        .collect();

    let mut out = LongTasks {
        stretches: 0,
        long_ms: Vec::new(),
        self_ms: Vec::new(),
        total_ms: Vec::new(),
    };
    let mut own: BTreeMap<&str, f64> = BTreeMap::new();
    let mut on_stack: BTreeMap<&str, f64> = BTreeMap::new();
    let mut i = 0;
    while i < leaves.len() {
        if tree[leaves[i]].name == "(idle)" {
            i += 1;
            continue;
        }
        let start = i;
        while i < leaves.len() && tree[leaves[i]].name != "(idle)" {
            i += 1;
        }
        out.stretches += 1;
        let ms = lasts[start..i].iter().fold(0.0, |a, b| a + b);
        if ms <= min_ms {
            continue;
        }
        out.long_ms.push(ms);
        for (&leaf, &last) in leaves[start..i].iter().zip(&lasts[start..i]) {
            *own.entry(&tree[leaf].name).or_default() += last;
            let mut seen: Vec<&str> = Vec::new();
            let mut at = Some(leaf);
            while let Some(n) = at {
                let name = tree[n].name.as_str();
                if name != "(root)" && !seen.contains(&name) {
                    seen.push(name);
                    *on_stack.entry(name).or_default() += last;
                }
                at = tree[n].parent;
            }
        }
    }
    let sorted = |m: BTreeMap<&str, f64>| {
        let mut v: Vec<(String, f64)> = m.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    };
    out.self_ms = sorted(own);
    out.total_ms = sorted(on_stack);
    Ok(out)
}

/// The lines printed under a speed's row: the long stretches and the `top` functions of each
/// summary.
pub fn lines(t: &LongTasks, top: usize) -> String {
    let sum = t.long_ms.iter().fold(0.0, |a, b| a + b);
    let mut lengths: Vec<String> = t.long_ms.iter().map(|ms| format!("{ms:.0}")).collect();
    if lengths.len() > 20 {
        lengths.truncate(20);
        lengths.push("…".into());
    }
    let mut out = format!(
        "       busy stretches over {:.1} ms (CPU profile): {} of {}, {:.0} ms in all [{}]",
        crate::ui::REFRESH_MS,
        t.long_ms.len(),
        t.stretches,
        sum,
        lengths.join(", ")
    );
    if t.long_ms.is_empty() {
        return out;
    }
    for (title, list) in [("self", &t.self_ms), ("on the stack", &t.total_ms)] {
        out.push_str(&format!("\n       in them, {title}:"));
        for (name, ms) in list.iter().take(top) {
            out.push_str(&format!(
                "\n         {ms:>8.1} ms {:>5.1} %  {name}",
                100.0 * ms / sum
            ));
        }
    }
    out
}

/// The renderer's work during a recording, from the DevTools protocol's performance metrics
/// (`Performance.getMetrics` before and after): what a CPU profile shows only as `(program)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RendererWork {
    /// Seconds of the main thread's tasks in all.
    pub task_s: f64,
    /// Seconds running scripts (wasm included).
    pub script_s: f64,
    /// Seconds recalculating style, and how many times.
    pub style_s: f64,
    /// Style recalculations.
    pub styles: u64,
    /// Seconds of layout, and how many times.
    pub layout_s: f64,
    /// Layouts.
    pub layouts: u64,
}

impl RendererWork {
    /// The work between two `Performance.getMetrics` results.
    pub fn between(before: &Value, after: &Value) -> RendererWork {
        let get = |m: &Value, name: &str| {
            m["metrics"]
                .as_array()
                .and_then(|a| a.iter().find(|x| x["name"] == name))
                .and_then(|x| x["value"].as_f64())
                .unwrap_or(0.0)
        };
        let delta = |name: &str| (get(after, name) - get(before, name)).max(0.0);
        RendererWork {
            task_s: delta("TaskDuration"),
            script_s: delta("ScriptDuration"),
            style_s: delta("RecalcStyleDuration"),
            styles: delta("RecalcStyleCount") as u64,
            layout_s: delta("LayoutDuration"),
            layouts: delta("LayoutCount") as u64,
        }
    }

    /// The line printed under a speed's row.
    pub fn line(&self) -> String {
        let per = |s: f64, n: u64| if n == 0 { 0.0 } else { 1000.0 * s / n as f64 };
        format!(
            "       the renderer's main thread (DevTools metrics): tasks {:.2} s, scripts {:.2} s, style {:.2} s in {} ({:.1} ms each), layout {:.2} s in {} ({:.1} ms each)",
            self.task_s,
            self.script_s,
            self.style_s,
            self.styles,
            per(self.style_s, self.styles),
            self.layout_s,
            self.layouts,
            per(self.layout_s, self.layouts)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(id: u64, name: &str, children: &[u64]) -> Value {
        json!({ "id": id, "callFrame": { "functionName": name, "url": "", "lineNumber": 0 }, "children": children })
    }

    /// (root) → (idle); (root) → frame → render → diff; (root) → (garbage collector).
    fn profile(samples: &[u64], deltas: &[u64]) -> Value {
        json!({
            "nodes": [
                node(1, "(root)", &[2, 3, 6]),
                node(2, "(idle)", &[]),
                node(3, "frame", &[4]),
                node(4, "render", &[5]),
                node(5, "diff", &[]),
                node(6, "(garbage collector)", &[]),
            ],
            "samples": samples,
            "timeDeltas": deltas,
        })
    }

    #[test]
    fn stretches_between_idle_samples_are_summed_by_function_when_long() {
        // idle, then 4 busy samples of 5 ms (20 ms: long), idle, 2 busy (10 ms: short), idle.
        let p = profile(
            &[2, 3, 4, 5, 6, 2, 5, 5, 2, 2],
            &[0, 1000, 5000, 5000, 5000, 5000, 2000, 5000, 5000, 1000],
        );
        let t = long_tasks(&p, 16.7).unwrap();
        assert_eq!(t.stretches, 2);
        assert_eq!(t.long_ms, vec![20.0]);
        assert_eq!(
            t.self_ms,
            vec![
                ("(garbage collector)".to_string(), 5.0),
                ("diff".to_string(), 5.0),
                ("frame".to_string(), 5.0),
                ("render".to_string(), 5.0),
            ]
        );
        assert_eq!(
            t.total_ms,
            vec![
                ("frame".to_string(), 15.0),
                ("render".to_string(), 10.0),
                ("(garbage collector)".to_string(), 5.0),
                ("diff".to_string(), 5.0),
            ]
        );
        let text = lines(&t, 2);
        assert_eq!(
            text,
            "       busy stretches over 16.7 ms (CPU profile): 1 of 2, 20 ms in all [20]\n       in them, self:\n              5.0 ms  25.0 %  (garbage collector)\n              5.0 ms  25.0 %  diff\n       in them, on the stack:\n             15.0 ms  75.0 %  frame\n             10.0 ms  50.0 %  render"
        );
    }

    #[test]
    fn renderer_work_is_the_difference_of_two_metric_readings() {
        let reading = |task: f64, layout: f64, layouts: f64| {
            json!({ "metrics": [
                { "name": "TaskDuration", "value": task },
                { "name": "ScriptDuration", "value": task / 2.0 },
                { "name": "LayoutDuration", "value": layout },
                { "name": "LayoutCount", "value": layouts },
                { "name": "RecalcStyleDuration", "value": 0.5 },
                { "name": "RecalcStyleCount", "value": 10.0 },
            ]})
        };
        let w = RendererWork::between(&reading(2.0, 0.25, 40.0), &reading(9.5, 0.925, 136.0));
        assert_eq!(w.layouts, 96);
        assert_eq!(w.styles, 0);
        assert_eq!(
            w.line(),
            "       the renderer's main thread (DevTools metrics): tasks 7.50 s, scripts 3.75 s, style 0.00 s in 0 (0.0 ms each), layout 0.68 s in 96 (7.0 ms each)"
        );
    }

    #[test]
    fn a_profile_without_long_stretches_says_so_and_a_broken_one_is_an_error() {
        let p = profile(&[2, 3, 2], &[0, 1000, 1000]);
        let t = long_tasks(&p, 16.7).unwrap();
        assert_eq!((t.stretches, t.long_ms.len()), (1, 0));
        assert_eq!(
            lines(&t, 5),
            "       busy stretches over 16.7 ms (CPU profile): 0 of 1, 0 ms in all []"
        );
        assert_eq!(
            long_tasks(&profile(&[9], &[0]), 16.7).unwrap_err(),
            "a sample names an unknown node"
        );
        assert_eq!(
            long_tasks(&profile(&[2, 3], &[0]), 16.7).unwrap_err(),
            "the profile has 2 samples and 1 time deltas"
        );
        assert_eq!(
            long_tasks(&json!({}), 16.7).unwrap_err(),
            "the profile has no nodes"
        );
    }
}
