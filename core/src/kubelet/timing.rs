//! Every delay the kubelet and containerd take, in one overridable table (KWOK-stage style): a
//! base plus a small seeded jitter per step, the per-node pull bandwidth, and Go's
//! `time.Duration` text for the messages that print them.

use std::collections::BTreeMap;

use crate::sim::{SimDuration, SimRng};

/// One step of a pod's life on a node that takes time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// The kubelet's pod worker noticing a newly bound pod (watch latency + admission).
    Admit,
    /// `RunPodSandbox`: pause container, network namespace, CNI IP.
    SandboxCreate,
    /// Mounting the pod's volumes (emptyDir, configMap, projected token).
    VolumeMount,
    /// Resolving an image that is already present (`ImageStatus`).
    ImageInspect,
    /// Registry round trips before the first byte of a pull (auth, manifest, config).
    PullOverhead,
    /// `CreateContainer`.
    ContainerCreate,
    /// `StartContainer`.
    ContainerStart,
    /// How long a probe takes to answer.
    ProbeLatency,
    /// A stopped container's process exiting after SIGTERM (when it handles it).
    ContainerStop,
    /// PLEG noticing a container state change (relist every 1 s).
    PlegRelist,
    /// The status manager writing the pod status to the API server.
    StatusUpdate,
}

/// A delay: `base` plus a uniform jitter in `0..=jitter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delay {
    /// The fixed part.
    pub base: SimDuration,
    /// The largest random extra.
    pub jitter: SimDuration,
}

impl Delay {
    /// `base_ms` plus up to `jitter_ms`.
    pub const fn ms(base_ms: u64, jitter_ms: u64) -> Delay {
        Delay {
            base: SimDuration(base_ms),
            jitter: SimDuration(jitter_ms),
        }
    }
}

/// The timing table. Defaults are typical of a kind/kubeadm node on a laptop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timings {
    delays: BTreeMap<Step, Delay>,
    /// Image download bandwidth per node, bytes per second (default 40 MB/s).
    pub pull_bytes_per_sec: u64,
}

impl Default for Timings {
    fn default() -> Self {
        let delays = [
            (Step::Admit, Delay::ms(20, 30)),
            (Step::SandboxCreate, Delay::ms(600, 400)),
            (Step::VolumeMount, Delay::ms(80, 60)),
            (Step::ImageInspect, Delay::ms(10, 20)),
            (Step::PullOverhead, Delay::ms(400, 300)),
            (Step::ContainerCreate, Delay::ms(120, 100)),
            (Step::ContainerStart, Delay::ms(150, 100)),
            (Step::ProbeLatency, Delay::ms(2, 8)),
            (Step::ContainerStop, Delay::ms(100, 200)),
            (Step::PlegRelist, Delay::ms(0, 1000)),
            (Step::StatusUpdate, Delay::ms(10, 20)),
        ]
        .into_iter()
        .collect();
        Timings {
            delays,
            pull_bytes_per_sec: 40_000_000,
        }
    }
}

impl Timings {
    /// The delay configured for `step`.
    pub fn delay(&self, step: Step) -> Delay {
        self.delays.get(&step).copied().unwrap_or(Delay::ms(0, 0))
    }

    /// Overrides the delay of `step`.
    pub fn set(&mut self, step: Step, delay: Delay) {
        self.delays.insert(step, delay);
    }

    /// A sampled delay for `step`: its base plus seeded jitter.
    pub fn sample(&self, step: Step, rng: &mut SimRng) -> SimDuration {
        let d = self.delay(step);
        let extra = if d.jitter.as_millis() == 0 {
            0
        } else {
            rng.below(d.jitter.as_millis().saturating_add(1))
        };
        SimDuration(d.base.as_millis().saturating_add(extra))
    }

    /// How long downloading and unpacking `size` bytes takes on one node (without overhead or
    /// queueing), at least 1 ms.
    pub fn transfer(&self, size: u64) -> SimDuration {
        let bps = self.pull_bytes_per_sec.max(1) as u128;
        let ms = (size as u128 * 1000).div_ceil(bps);
        SimDuration((ms.min(u64::MAX as u128) as u64).max(1))
    }
}

/// Go's `time.Duration.String()` for a whole number of milliseconds (what the kubelet prints
/// after truncating to ms): `0s`, `890ms`, `5.969s`, `1m2.5s`, `5m0s`, `1h0m0s`.
pub fn go_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let frac = ms % 1000;
    let total_s = ms / 1000;
    let (h, m, s) = (total_s / 3600, (total_s / 60) % 60, total_s % 60);
    let mut secs = s.to_string();
    if frac > 0 {
        let f = format!("{frac:03}");
        secs.push('.');
        secs.push_str(f.trim_end_matches('0'));
    }
    if h > 0 {
        format!("{h}h{m}m{secs}s")
    } else if m > 0 {
        format!("{m}m{secs}s")
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn durations_print_as_go_does() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(890), "890ms");
        assert_eq!(go_duration(5_969), "5.969s");
        assert_eq!(go_duration(1_210), "1.21s");
        assert_eq!(go_duration(62_500), "1m2.5s");
        assert_eq!(go_duration(40_000), "40s");
        assert_eq!(go_duration(300_000), "5m0s");
        assert_eq!(go_duration(3_600_000), "1h0m0s");
    }

    #[test]
    fn sampled_delays_stay_within_their_jitter_and_replay_by_seed() {
        let t = Timings::default();
        let mut a = SimRng::new(1);
        let mut b = SimRng::new(1);
        for _ in 0..50 {
            let x = t.sample(Step::SandboxCreate, &mut a);
            assert!((600..=1000).contains(&x.as_millis()));
            assert_eq!(x, t.sample(Step::SandboxCreate, &mut b));
        }
    }

    #[test]
    fn overrides_replace_a_step() {
        let mut t = Timings::default();
        t.set(Step::ContainerStart, Delay::ms(5, 0));
        assert_eq!(
            t.sample(Step::ContainerStart, &mut SimRng::new(3)),
            SimDuration(5)
        );
        assert_eq!(t.transfer(40_000_000), SimDuration::secs(1));
    }
}
