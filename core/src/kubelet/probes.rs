//! Container probes as the kubelet runs them (`pkg/kubelet/prober`, `pkg/probe/*`): the four
//! handlers against a simulated container with their exact result texts, and a [`ProbeWorker`]
//! per probe that applies the upstream defaults, initial delay, period and thresholds and
//! produces the `Unhealthy` events and the liveness `Killing` message.

use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::kubelet::timing::go_duration;
use crate::runtime::shell::{exec, Process};
use crate::sim::{SimDuration, SimTime};

/// The most output an exec probe keeps (`maxReadLength` in `pkg/probe/exec`): 10 KiB.
pub const MAX_EXEC_OUTPUT: usize = 10 * 1024;

/// Which probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProbeKind {
    /// `livenessProbe`: failure restarts the container.
    Liveness,
    /// `readinessProbe`: failure only flips `Ready`.
    Readiness,
    /// `startupProbe`: gates the other two; failure restarts the container.
    Startup,
}

impl ProbeKind {
    /// The word the kubelet uses in messages: `Liveness`, `Readiness`, `Startup`.
    pub fn label(self) -> &'static str {
        match self {
            ProbeKind::Liveness => "Liveness",
            ProbeKind::Readiness => "Readiness",
            ProbeKind::Startup => "Startup",
        }
    }
}

/// What a probe does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handler {
    /// `exec.command`.
    Exec {
        /// The argv run inside the container.
        command: Vec<String>,
    },
    /// `httpGet`.
    HttpGet {
        /// `host` (default: the pod IP).
        host: Option<String>,
        /// The resolved port.
        port: u16,
        /// `path` (defaulted to `/` by the API server).
        path: String,
        /// `HTTP` or `HTTPS`.
        scheme: String,
    },
    /// `tcpSocket`.
    TcpSocket {
        /// `host` (default: the pod IP).
        host: Option<String>,
        /// The resolved port.
        port: u16,
    },
    /// `grpc`.
    Grpc {
        /// The port.
        port: u16,
        /// `service` (empty: the server's overall health).
        service: Option<String>,
    },
}

/// A probe with its timing, defaults applied (initialDelaySeconds 0, periodSeconds 10,
/// timeoutSeconds 1, successThreshold 1, failureThreshold 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSpec {
    /// The handler.
    pub handler: Handler,
    /// `initialDelaySeconds` (default 0).
    pub initial_delay_seconds: u32,
    /// `periodSeconds` (default 10, at least 1).
    pub period_seconds: u32,
    /// `timeoutSeconds` (default 1, at least 1).
    pub timeout_seconds: u32,
    /// `successThreshold` (default 1).
    pub success_threshold: u32,
    /// `failureThreshold` (default 3).
    pub failure_threshold: u32,
}

pub(crate) fn resolve_port(port: &IntOrString, container: &Container) -> Result<u16, String> {
    match port {
        IntOrString::Int(n) => u16::try_from(*n).map_err(|_| format!("invalid port number: {n}")),
        IntOrString::String(name) => {
            if let Ok(n) = name.parse::<u16>() {
                return Ok(n);
            }
            container
                .ports
                .iter()
                .flatten()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .and_then(|p| u16::try_from(p.container_port).ok())
                .ok_or_else(|| format!("couldn't find port: {name} in {}", container.name))
        }
    }
}

fn clamp(v: Option<i32>, default: u32, min: u32) -> u32 {
    v.map(|v| v.max(0) as u32).unwrap_or(default).max(min)
}

impl ProbeSpec {
    /// The spec of a `v1.Probe` on `container` (named ports resolved against its `ports`).
    pub fn from_k8s(probe: &Probe, container: &Container) -> Result<ProbeSpec, String> {
        let handler = if let Some(e) = &probe.exec {
            Handler::Exec {
                command: e.command.clone().unwrap_or_default(),
            }
        } else if let Some(h) = &probe.http_get {
            Handler::HttpGet {
                host: h.host.clone().filter(|h| !h.is_empty()),
                port: resolve_port(&h.port, container)?,
                path: h
                    .path
                    .clone()
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| "/".into()),
                scheme: h.scheme.clone().unwrap_or_else(|| "HTTP".into()),
            }
        } else if let Some(t) = &probe.tcp_socket {
            Handler::TcpSocket {
                host: t.host.clone().filter(|h| !h.is_empty()),
                port: resolve_port(&t.port, container)?,
            }
        } else if let Some(g) = &probe.grpc {
            Handler::Grpc {
                port: u16::try_from(g.port)
                    .map_err(|_| format!("invalid port number: {}", g.port))?,
                service: g.service.clone().filter(|s| !s.is_empty()),
            }
        } else {
            return Err("missing probe handler".into());
        };
        Ok(ProbeSpec {
            handler,
            initial_delay_seconds: clamp(probe.initial_delay_seconds, 0, 0),
            period_seconds: clamp(probe.period_seconds, 10, 1),
            timeout_seconds: clamp(probe.timeout_seconds, 1, 1),
            success_threshold: clamp(probe.success_threshold, 1, 1),
            failure_threshold: clamp(probe.failure_threshold, 3, 1),
        })
    }
}

/// One probe attempt's result (`probe.Result` plus output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// It passed; the handler's output.
    Success(String),
    /// It passed with a warning (HTTP redirects), recorded as a `ProbeWarning` event.
    Warning(String),
    /// It failed; the text after `… probe failed: `.
    Failure(String),
}

fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Runs `handler` once against `process` (the container's main process, which owns the
/// listeners and the filesystem) reachable at `pod_ip`, at `now`, with `timeout`.
pub fn run_handler(
    handler: &Handler,
    timeout: SimDuration,
    pod_ip: &str,
    process: Option<&mut Process>,
    now: SimTime,
) -> ProbeOutcome {
    let timeout_text = go_duration(timeout.as_millis());
    match handler {
        Handler::Exec { command } => {
            let Some(p) = process else {
                return ProbeOutcome::Failure(String::new());
            };
            let env = p.env().to_vec();
            let mut r = exec(command, p.fs_mut(), &env, now);
            // The exec prober reads at most 10 KiB of output (`maxReadLength`).
            let kept = crate::text::prefix_bytes(&r.output, MAX_EXEC_OUTPUT).len();
            r.output.truncate(kept);
            match r.code {
                _ if r.elapsed > timeout => {
                    ProbeOutcome::Failure(format!("command {:?} timed out", command.join(" ")))
                }
                Some(0) => ProbeOutcome::Success(r.output),
                _ => ProbeOutcome::Failure(r.output),
            }
        }
        Handler::HttpGet {
            host,
            port,
            path,
            scheme,
        } => {
            let h = host.as_deref().unwrap_or(pod_ip);
            let path = if path.starts_with('/') {
                path.clone()
            } else {
                format!("/{path}")
            };
            let url = format!(
                "{}://{}{}",
                scheme.to_ascii_lowercase(),
                host_port(h, *port),
                path
            );
            let listener = process
                .as_ref()
                .filter(|_| h == pod_ip)
                .and_then(|p| p.listeners().iter().find(|l| l.port == *port).cloned());
            let uptime = process.map(|p| p.uptime(now)).unwrap_or_default();
            match listener {
                None => ProbeOutcome::Failure(format!(
                    "Get {url:?}: dial tcp {}: connect: connection refused",
                    host_port(h, *port)
                )),
                Some(l) => match l.http {
                    None => ProbeOutcome::Failure(format!(
                        "Get {url:?}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
                    )),
                    Some(b) => {
                        let status = b.status(&path, uptime);
                        if (200..300).contains(&status) {
                            ProbeOutcome::Success(String::new())
                        } else if (300..400).contains(&status) {
                            ProbeOutcome::Warning("Probe terminated redirects, Response body: ".into())
                        } else {
                            ProbeOutcome::Failure(format!(
                                "HTTP probe failed with statuscode: {status}"
                            ))
                        }
                    }
                },
            }
        }
        Handler::TcpSocket { host, port } => {
            let h = host.as_deref().unwrap_or(pod_ip);
            let open = process
                .filter(|_| h == pod_ip)
                .is_some_and(|p| p.listeners().iter().any(|l| l.port == *port));
            if open {
                ProbeOutcome::Success(String::new())
            } else {
                ProbeOutcome::Failure(format!(
                    "dial tcp {}: connect: connection refused",
                    host_port(h, *port)
                ))
            }
        }
        Handler::Grpc { port, service } => {
            let addr = host_port(pod_ip, *port);
            let listener =
                process.and_then(|p| p.listeners().iter().find(|l| l.port == *port).cloned());
            match listener.and_then(|l| l.grpc_serving) {
                None => ProbeOutcome::Failure(format!(
                    "timeout: failed to connect service {addr:?} within {timeout_text}: context deadline exceeded"
                )),
                Some(_) if service.is_some() => {
                    ProbeOutcome::Failure("service unhealthy (responded with \"SERVICE_UNKNOWN\")".into())
                }
                Some(true) => ProbeOutcome::Success("service healthy".into()),
                Some(false) => ProbeOutcome::Failure(
                    "service unhealthy (responded with \"NOT_SERVING\")".into(),
                ),
            }
        }
    }
}

/// A probe's current verdict (`proberesults.Result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeResult {
    /// Not known yet (startup probes start here).
    Unknown,
    /// Passing.
    Success,
    /// Failing.
    Failure,
}

/// What the worker needs to know about its container at a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerView {
    /// When the current container started running; `None` when it is not running.
    pub running_since: Option<SimTime>,
    /// Whether the startup probe has passed (true when the container has none).
    pub started: bool,
    /// Whether the container has a startup probe.
    pub has_startup_probe: bool,
}

/// An event the probe produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeEvent {
    /// `Unhealthy` or `ProbeWarning`.
    pub reason: &'static str,
    /// `Liveness probe failed: …` etc.
    pub message: String,
}

/// What one worker tick did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProbeTick {
    /// Whether the handler ran.
    pub probed: bool,
    /// An event to record (Warning type), if any.
    pub event: Option<ProbeEvent>,
    /// The new result, when it changed.
    pub changed: Option<ProbeResult>,
    /// The `Killing` message when a liveness or startup failure reached its threshold:
    /// `Container <name> failed liveness probe, will be restarted`.
    pub kill: Option<String>,
}

/// One probe's worker (`prober.worker`): ticks every period from when it was created, skips
/// during the initial delay and while the startup probe has not passed, counts consecutive
/// results against the thresholds, and holds after a liveness/startup failure until the
/// container restarts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeWorker {
    /// Which probe.
    pub kind: ProbeKind,
    /// Its spec.
    pub spec: ProbeSpec,
    container: String,
    next_at: SimTime,
    result: ProbeResult,
    last: ProbeResult,
    run: u32,
    on_hold: bool,
}

impl ProbeWorker {
    /// A worker for `container`'s probe, created (and first ticking) at `now`.
    pub fn new(kind: ProbeKind, spec: ProbeSpec, container: &str, now: SimTime) -> ProbeWorker {
        let initial = ProbeWorker::initial(kind);
        ProbeWorker {
            kind,
            spec,
            container: container.to_string(),
            next_at: now,
            result: initial,
            last: initial,
            run: 0,
            on_hold: false,
        }
    }

    /// The initial result: readiness starts failing, liveness passing, startup unknown.
    pub fn initial(kind: ProbeKind) -> ProbeResult {
        match kind {
            ProbeKind::Readiness => ProbeResult::Failure,
            ProbeKind::Liveness => ProbeResult::Success,
            ProbeKind::Startup => ProbeResult::Unknown,
        }
    }

    /// The current result.
    pub fn result(&self) -> ProbeResult {
        self.result
    }

    /// When the next tick is due.
    pub fn next_at(&self) -> SimTime {
        self.next_at
    }

    /// A new container replaced the old one: forget the counts and the hold.
    pub fn container_restarted(&mut self) {
        self.on_hold = false;
        self.run = 0;
        self.result = ProbeWorker::initial(self.kind);
        self.last = self.result;
    }

    fn set(&mut self, r: ProbeResult, tick: &mut ProbeTick) {
        if self.result != r {
            self.result = r;
            tick.changed = Some(r);
        }
    }

    /// Ticks at `now` if due; `probe` runs the handler (called only when the worker probes).
    pub fn step(
        &mut self,
        now: SimTime,
        container: ContainerView,
        probe: impl FnOnce() -> ProbeOutcome,
    ) -> ProbeTick {
        let mut tick = ProbeTick::default();
        if now < self.next_at {
            return tick;
        }
        let period = SimDuration::secs(u64::from(self.spec.period_seconds.max(1)));
        let behind = now.since(self.next_at).as_millis() / period.as_millis();
        self.next_at = self
            .next_at
            .plus(SimDuration(period.as_millis().saturating_mul(behind + 1)));
        let Some(since) = container.running_since else {
            if self.kind != ProbeKind::Liveness || self.on_hold {
                self.set(ProbeResult::Failure, &mut tick);
            }
            return tick;
        };
        if self.on_hold {
            return tick;
        }
        if container.has_startup_probe && self.kind != ProbeKind::Startup && !container.started {
            return tick;
        }
        if self.kind == ProbeKind::Startup && container.started {
            return tick;
        }
        if now.since(since).as_millis() / 1000 < u64::from(self.spec.initial_delay_seconds) {
            return tick;
        }
        tick.probed = true;
        let label = self.kind.label();
        let result = match probe() {
            ProbeOutcome::Success(_) => ProbeResult::Success,
            ProbeOutcome::Warning(out) => {
                tick.event = Some(ProbeEvent {
                    reason: "ProbeWarning",
                    message: format!("{label} probe warning: {out}"),
                });
                ProbeResult::Success
            }
            ProbeOutcome::Failure(out) => {
                tick.event = Some(ProbeEvent {
                    reason: "Unhealthy",
                    message: format!("{label} probe failed: {out}"),
                });
                ProbeResult::Failure
            }
        };
        if self.last == result {
            self.run = self.run.saturating_add(1);
        } else {
            self.last = result;
            self.run = 1;
        }
        let below = match result {
            ProbeResult::Failure => self.run < self.spec.failure_threshold,
            ProbeResult::Success => self.run < self.spec.success_threshold,
            ProbeResult::Unknown => false,
        };
        if below {
            return tick;
        }
        self.set(result, &mut tick);
        if result == ProbeResult::Failure
            && matches!(self.kind, ProbeKind::Liveness | ProbeKind::Startup)
        {
            self.on_hold = true;
            self.run = 0;
            let which = if self.kind == ProbeKind::Liveness {
                "liveness"
            } else {
                "startup"
            };
            tick.kill = Some(format!(
                "Container {} failed {which} probe, will be restarted",
                self.container
            ));
        }
        tick
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::fs::Fs;
    use crate::runtime::shell::base_env;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn s(n: u64) -> SimTime {
        SimTime(n * 1000)
    }

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    fn spec(probe: serde_json::Value, container: serde_json::Value) -> ProbeSpec {
        let p: Probe = serde_json::from_value(probe).unwrap();
        let c: Container = serde_json::from_value(container).unwrap();
        ProbeSpec::from_k8s(&p, &c).unwrap()
    }

    #[test]
    fn exec_liveness_fails_three_times_after_thirty_seconds_then_kills() {
        let sp = spec(
            json!({"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5, "periodSeconds": 5}),
            json!({"name": "liveness", "image": "k8s.gcr.io/busybox"}),
        );
        assert_eq!((sp.timeout_seconds, sp.failure_threshold), (1, 3));
        let argv = v(&[
            "/bin/sh",
            "-c",
            "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600",
        ]);
        let mut p = Process::start(&argv, base_env("liveness-exec"), Fs::new()).unwrap();
        let started = s(2);
        p.step(started);
        let mut w = ProbeWorker::new(ProbeKind::Liveness, sp.clone(), "liveness", s(1));
        let view = ContainerView {
            running_since: Some(started),
            started: true,
            has_startup_probe: false,
        };
        let mut events = Vec::new();
        let mut kill = None;
        let mut t = s(1);
        while t <= s(60) && kill.is_none() {
            p.step(t);
            let tick = w.step(t, view, || {
                run_handler(
                    &sp.handler,
                    SimDuration::secs(1),
                    "10.244.1.5",
                    Some(&mut p),
                    t,
                )
            });
            if let Some(e) = tick.event {
                events.push((t, e.message));
            }
            kill = tick.kill.map(|k| (t, k));
            t = w.next_at();
        }
        let msg =
            "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n";
        assert_eq!(
            events,
            vec![
                (s(36), msg.to_string()),
                (s(41), msg.to_string()),
                (s(46), msg.to_string())
            ]
        );
        assert_eq!(
            kill,
            Some((
                s(46),
                "Container liveness failed liveness probe, will be restarted".into()
            ))
        );
        assert_eq!(w.result(), ProbeResult::Failure);
        // On hold until the container restarts.
        assert_eq!(
            w.step(s(51), view, || panic!("probed while on hold")),
            ProbeTick::default()
        );
        w.container_restarted();
        assert_eq!(w.result(), ProbeResult::Success);
    }

    #[test]
    fn http_probes_report_status_codes_and_refused_connections() {
        let mut p = Process::start(&v(&["/agnhost", "liveness"]), &[], Fs::new()).unwrap();
        p.step(s(0));
        let h = Handler::HttpGet {
            host: None,
            port: 8080,
            path: "/healthz".into(),
            scheme: "HTTP".into(),
        };
        let one = SimDuration::secs(1);
        assert_eq!(
            run_handler(&h, one, "10.244.1.5", Some(&mut p), s(3)),
            ProbeOutcome::Success(String::new())
        );
        assert_eq!(
            run_handler(&h, one, "10.244.1.5", Some(&mut p), s(12)),
            ProbeOutcome::Failure("HTTP probe failed with statuscode: 500".into())
        );
        assert_eq!(
            run_handler(&h, one, "10.244.1.5", None, s(12)),
            ProbeOutcome::Failure("Get \"http://10.244.1.5:8080/healthz\": dial tcp 10.244.1.5:8080: connect: connection refused".into())
        );
    }

    #[test]
    fn tcp_and_grpc_probes_see_the_listeners() {
        let mut redis = Process::start(&v(&["redis-server"]), &[], Fs::new()).unwrap();
        redis.step(s(0));
        let one = SimDuration::secs(1);
        let tcp = |port| Handler::TcpSocket { host: None, port };
        assert_eq!(
            run_handler(&tcp(6379), one, "10.244.1.5", Some(&mut redis), s(1)),
            ProbeOutcome::Success(String::new())
        );
        assert_eq!(
            run_handler(&tcp(6380), one, "10.244.1.5", Some(&mut redis), s(1)),
            ProbeOutcome::Failure("dial tcp 10.244.1.5:6380: connect: connection refused".into())
        );
        let mut etcd = Process::start(
            &v(&[
                "/usr/local/bin/etcd",
                "--listen-client-urls",
                "http://0.0.0.0:2379",
            ]),
            &[],
            Fs::new(),
        )
        .unwrap();
        let g = Handler::Grpc {
            port: 2379,
            service: None,
        };
        assert_eq!(
            run_handler(&g, one, "10.244.1.5", Some(&mut etcd), s(1)),
            ProbeOutcome::Success("service healthy".into())
        );
        assert_eq!(
            run_handler(&g, one, "10.244.1.5", Some(&mut redis), s(1)),
            ProbeOutcome::Failure("timeout: failed to connect service \"10.244.1.5:2379\" within 1s: context deadline exceeded".into())
        );
    }

    #[test]
    fn readiness_starts_failing_and_waits_for_the_initial_delay() {
        let sp = spec(
            json!({"tcpSocket": {"port": 8080}, "initialDelaySeconds": 15, "periodSeconds": 10}),
            json!({"name": "goproxy", "image": "registry.k8s.io/goproxy:0.1"}),
        );
        let mut p = Process::start(&v(&["/goproxy"]), &[], Fs::new()).unwrap();
        p.step(s(1));
        let mut w = ProbeWorker::new(ProbeKind::Readiness, sp.clone(), "goproxy", s(0));
        let view = ContainerView {
            running_since: Some(s(1)),
            started: true,
            has_startup_probe: false,
        };
        assert_eq!(w.result(), ProbeResult::Failure);
        assert!(!w.step(s(0), view, || panic!("too early")).probed);
        assert!(!w.step(s(10), view, || panic!("too early")).probed);
        let tick = w.step(s(20), view, || {
            run_handler(
                &sp.handler,
                SimDuration::secs(1),
                "10.244.1.5",
                Some(&mut p),
                s(20),
            )
        });
        assert_eq!(tick.changed, Some(ProbeResult::Success));
        assert_eq!(w.next_at(), s(30));
    }

    #[test]
    fn named_ports_resolve_and_liveness_waits_for_startup() {
        let sp = spec(
            json!({"httpGet": {"port": "liveness-port", "path": "healthz"}}),
            json!({"name": "c", "image": "x", "ports": [{"name": "liveness-port", "containerPort": 8080}]}),
        );
        assert_eq!(
            sp.handler,
            Handler::HttpGet {
                host: None,
                port: 8080,
                path: "healthz".into(),
                scheme: "HTTP".into()
            }
        );
        let mut w = ProbeWorker::new(ProbeKind::Liveness, sp, "c", s(0));
        let view = ContainerView {
            running_since: Some(s(0)),
            started: false,
            has_startup_probe: true,
        };
        assert!(
            !w.step(s(0), view, || panic!("liveness before startup"))
                .probed
        );
    }
}
