//! The runs of one workload summarised (median, min and max wall time, peak memory) and the table
//! the binary prints, one row per workload (natively or in wasm), with the upstream threshold
//! ratio beside it, and the wasm/native ratio of a workload run both ways.

use std::time::Duration;

use crate::run::Outcome;
use crate::shape::{Scale, Shape};

/// One run as the child process (or the browser page) reports it: what it measured and its peak
/// memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// What the run measured.
    pub outcome: Outcome,
    /// The child's peak resident set size, KiB; in wasm, the size of the page's
    /// `WebAssembly.Memory` at the end of the run (it only grows, so it is the peak).
    pub peak_rss_kib: Option<u64>,
}

/// The line a child prints, and the parent parses: tab-separated fields after `RESULT`.
pub fn encode(sample: &Sample) -> String {
    let o = &sample.outcome;
    format!(
        "RESULT\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        o.workload,
        o.nodes,
        o.pods,
        o.measured_pods,
        o.setup.as_nanos(),
        o.measured.as_nanos(),
        o.measured_cpu.as_nanos(),
        o.virtual_end.0,
        o.steps,
        sample.peak_rss_kib.unwrap_or(0),
        o.measured_kernel.as_nanos()
    )
}

/// Parses a child's `RESULT` line.
pub fn decode(line: &str) -> Option<Sample> {
    let f: Vec<&str> = line.strip_prefix("RESULT\t")?.split('\t').collect();
    if f.len() != 11 {
        return None;
    }
    let n = |i: usize| f[i].parse::<u64>().ok();
    let rss = n(9)?;
    Some(Sample {
        outcome: Outcome {
            workload: f[0].to_string(),
            nodes: n(1)? as usize,
            pods: n(2)? as usize,
            measured_pods: n(3)? as usize,
            setup: Duration::from_nanos(n(4)?),
            measured: Duration::from_nanos(n(5)?),
            measured_cpu: Duration::from_nanos(n(6)?),
            measured_kernel: Duration::from_nanos(n(10)?),
            virtual_end: podflow_core::sim::SimTime(n(7)?),
            steps: n(8)?,
        },
        peak_rss_kib: (rss > 0).then_some(rss),
    })
}

/// Every run of one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The runs, in order.
    pub samples: Vec<Sample>,
    /// Appended to the workload's name in the table: empty natively, ` (wasm)` or
    /// ` (wasm O3)` for runs in the browser.
    pub label: String,
}

impl Row {
    fn sorted_walls(&self) -> Vec<Duration> {
        let mut w: Vec<Duration> = self.samples.iter().map(|s| s.outcome.measured).collect();
        w.sort();
        w
    }

    /// The median measured wall time (the lower middle one for an even count).
    pub fn median(&self) -> Duration {
        let w = self.sorted_walls();
        w.get((w.len().saturating_sub(1)) / 2)
            .copied()
            .unwrap_or_default()
    }

    /// The median CPU time of the measured phases.
    pub fn median_cpu(&self) -> Duration {
        self.median_of(|o| o.measured_cpu)
    }

    /// The median of the kernel's part of that CPU time.
    pub fn median_kernel(&self) -> Duration {
        self.median_of(|o| o.measured_kernel)
    }

    fn median_of(&self, f: impl Fn(&Outcome) -> Duration) -> Duration {
        let mut c: Vec<Duration> = self.samples.iter().map(|s| f(&s.outcome)).collect();
        c.sort();
        c.get((c.len().saturating_sub(1)) / 2)
            .copied()
            .unwrap_or_default()
    }

    /// The run whose wall time is the median.
    pub fn median_sample(&self) -> Option<&Sample> {
        let m = self.median();
        self.samples.iter().find(|s| s.outcome.measured == m)
    }
}

/// The table's header lines.
pub fn header() -> String {
    format!(
        "{:<26} {:>6} {:>7} {:>10} {:>21} {:>10} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9} {:>8}\n{}",
        "workload",
        "nodes",
        "pods",
        "wall(med)",
        "min..max",
        "cpu(med)",
        "sys(med)",
        "pods/s",
        "µs/pod",
        "peak mem",
        "setup",
        "upstream",
        "ratio",
        "-".repeat(155)
    )
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.1}ms", s * 1e3)
    } else {
        format!("{s:.2}s")
    }
}

/// One table line for a workload's runs.
pub fn line(row: &Row) -> String {
    let Some(median) = row.median_sample() else {
        return String::new();
    };
    let o = &median.outcome;
    let walls = row.sorted_walls();
    let range = format!(
        "{}..{}",
        secs(walls.first().copied().unwrap_or_default()),
        secs(walls.last().copied().unwrap_or_default())
    );
    let rss = row
        .samples
        .iter()
        .filter_map(|s| s.peak_rss_kib)
        .max()
        .map(|k| format!("{:.0}MiB", k as f64 / 1024.0))
        .unwrap_or_else(|| "-".into());
    let cpu = match row.median_cpu() {
        d if d.is_zero() => "-".to_string(),
        d => secs(d),
    };
    // The kernel's part is read in 10 ms ticks; none where there is no CPU time at all.
    let kernel = if row.median_cpu().is_zero() {
        "-".to_string()
    } else {
        secs(row.median_kernel())
    };
    let threshold = Shape::named(&o.workload, Scale::Full).and_then(|s| s.threshold);
    let (upstream, ratio) = match threshold {
        Some(t) => (
            format!("{:.0}/s", t.pods_per_sec),
            match o.pods_per_sec() / t.pods_per_sec {
                r if r < 10.0 => format!("{r:.1}×"),
                r => format!("{r:.0}×"),
            },
        ),
        None => ("-".into(), "-".into()),
    };
    format!(
        "{:<26} {:>6} {:>7} {:>10} {:>21} {:>10} {:>9} {:>9.0} {:>9.1} {:>9} {:>8} {:>9} {:>8}",
        format!("{}{}", o.workload, row.label),
        o.nodes,
        o.measured_pods,
        secs(o.measured),
        range,
        cpu,
        kernel,
        o.pods_per_sec(),
        o.micros_per_pod(),
        rss,
        secs(o.setup),
        upstream,
        ratio
    )
}

/// The wasm/native comparison of one workload: the ratio of the median wall times (above 1:
/// wasm is slower) and of the peak memories.
pub fn ratio_line(native: &Row, wasm: &Row) -> Option<String> {
    let n = native.median_sample()?;
    let w = wasm.median_sample()?;
    let wall = w.outcome.measured.as_secs_f64() / n.outcome.measured.as_secs_f64().max(1e-9);
    let mem = match (peak_kib(native), peak_kib(wasm)) {
        (Some(a), Some(b)) if a > 0 => format!(
            ", peak memory {:.0}MiB / {:.0}MiB = {:.2}×",
            b as f64 / 1024.0,
            a as f64 / 1024.0,
            b as f64 / a as f64
        ),
        _ => String::new(),
    };
    Some(format!(
        "{}{} / native: wall {} / {} = {wall:.2}× (medians of {} and {} runs){mem}",
        n.outcome.workload,
        wasm.label,
        secs(w.outcome.measured),
        secs(n.outcome.measured),
        wasm.samples.len(),
        native.samples.len(),
    ))
}

fn peak_kib(row: &Row) -> Option<u64> {
    row.samples.iter().filter_map(|s| s.peak_rss_kib).max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use podflow_core::sim::SimTime;

    fn sample(wall_ms: u64, cpu_ms: u64, kernel_ms: u64) -> Sample {
        Sample {
            outcome: Outcome {
                workload: "growth-2000".into(),
                nodes: 2_000,
                pods: 6_000,
                measured_pods: 4_000,
                setup: Duration::from_millis(20),
                measured: Duration::from_millis(wall_ms),
                measured_cpu: Duration::from_millis(cpu_ms),
                measured_kernel: Duration::from_millis(kernel_ms),
                virtual_end: SimTime(12_345),
                steps: 99,
            },
            peak_rss_kib: Some(288_768),
        }
    }

    #[test]
    fn a_result_line_reads_back_as_the_sample_it_was_written_from() {
        let s = sample(1_280, 1_270, 450);
        assert_eq!(decode(&encode(&s)), Some(s));
        // A line of the older ten-field format (or a truncated one) is not a result.
        let old = encode(&sample(1, 1, 0));
        assert_eq!(decode(old.rsplit_once('\t').unwrap().0), None);
    }

    #[test]
    fn the_row_shows_the_median_kernel_time_beside_the_cpu_time() {
        let row = Row {
            samples: vec![
                sample(1_280, 1_270, 450),
                sample(910, 900, 50),
                sample(880, 870, 40),
            ],
            label: String::new(),
        };
        let line = line(&row);
        assert!(line.starts_with("growth-2000"), "{line}");
        // wall 910 ms (880..1,280), CPU 900 ms of which 50 ms in the kernel.
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            &cells[1..7],
            [
                "2000",
                "4000",
                "910.0ms",
                "880.0ms..1.28s",
                "900.0ms",
                "50.0ms"
            ],
            "{line}"
        );
    }
}
