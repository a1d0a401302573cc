//! Container lifecycle hooks as the kubelet runs them (`pkg/kubelet/lifecycle/handlers.go`):
//! a `postStart` handler (exec, httpGet, sleep) run right after `Started container X`, how long
//! the kubelet is blocked on it, and the handler's message when it fails (since v1.26 the
//! `FailedPostStartHook` event only says `PostStartHook failed`; the message is the container's
//! `PostStartHookError` waiting message).

use k8s_openapi::api::core::v1::{Container, LifecycleHandler};

use crate::apiserver::errors::go_quote;
use crate::kubelet::containers::PostStart;
use crate::kubelet::probes::{resolve_port, run_handler, Handler, ProbeOutcome};
use crate::kubelet::timing::{Step, Timings};
use crate::runtime::shell::{exec, Process};
use crate::sim::{SimDuration, SimRng, SimTime};

/// Runs `handler`, the `postStart` hook of `container`, against its freshly started `process`
/// at `now`. `pod` is `format.Pod` (`<name>_<namespace>(<uid>)`). The result says when the
/// handler returns and, when it failed, `handlerRunner.Run`'s message.
#[allow(clippy::too_many_arguments)]
pub fn run_post_start(
    handler: &LifecycleHandler,
    container: &Container,
    pod: &str,
    pod_ip: &str,
    process: &mut Process,
    now: SimTime,
    timings: &Timings,
    rng: &mut SimRng,
) -> PostStart {
    let name = go_quote(&container.name);
    let pod_q = go_quote(pod);
    if let Some(e) = &handler.exec {
        let command = e.command.clone().unwrap_or_default();
        let env = process.env().to_vec();
        let r = exec(&command, process.fs_mut(), &env, now);
        let done_at = now
            .plus(r.elapsed)
            .plus(timings.sample(Step::ProbeLatency, rng));
        // `ExecSync`'s error carries stderr, the message stdout+stderr; the simulated shell
        // interleaves both into one output, which stands for each.
        let failure = match r.code {
            Some(0) | None => None,
            Some(code) => Some(format!(
                "Exec lifecycle hook ([{}]) for Container {name} in Pod {pod_q} failed - error: command '{}' exited with {code}: {}, message: {}",
                command.join(" "),
                command.join(" "),
                r.output,
                go_quote(&r.output)
            )),
        };
        return PostStart { done_at, failure };
    }
    if let Some(h) = &handler.http_get {
        let done_at = now.plus(timings.sample(Step::ProbeLatency, rng));
        // The API server defaults an empty path to `/`.
        let path = h
            .path
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/".into());
        let prefix = format!(
            "HTTP lifecycle hook ({path}) for Container {name} in Pod {pod_q} failed - error: "
        );
        let port = match resolve_port(&h.port, container) {
            Ok(p) => p,
            Err(e) => {
                return PostStart {
                    done_at,
                    failure: Some(format!("{prefix}{e}")),
                }
            }
        };
        let probe = Handler::HttpGet {
            host: h.host.clone().filter(|h| !h.is_empty()),
            port,
            path: path.clone(),
            scheme: h.scheme.clone().unwrap_or_else(|| "HTTP".into()),
        };
        let outcome = run_handler(&probe, SimDuration::secs(1), pod_ip, Some(process), now);
        // The hook's HTTP client only fails on transport errors: any status code passes.
        let failure = match outcome {
            ProbeOutcome::Failure(m) if !m.starts_with("HTTP probe failed with statuscode") => {
                Some(format!("{prefix}{m}"))
            }
            _ => None,
        };
        return PostStart { done_at, failure };
    }
    if let Some(s) = &handler.sleep {
        return PostStart {
            done_at: now.plus(SimDuration::secs(s.seconds.max(0) as u64)),
            failure: None,
        };
    }
    PostStart {
        done_at: now,
        failure: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use k8s_openapi::api::core::v1::{ExecAction, HTTPGetAction, SleepAction};
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    use crate::runtime::fs::Fs;

    fn sleeper() -> Process {
        let argv = vec!["sleep".to_string(), "3600".to_string()];
        let mut p = Process::start(&argv, &[], Fs::default()).expect("sleep starts");
        let _ = p.step(SimTime(0));
        p
    }

    fn container() -> Container {
        Container {
            name: "c".into(),
            ..Default::default()
        }
    }

    fn exec_hook(cmd: &[&str]) -> LifecycleHandler {
        LifecycleHandler {
            exec: Some(ExecAction {
                command: Some(cmd.iter().map(|s| s.to_string()).collect()),
            }),
            ..Default::default()
        }
    }

    fn run(h: &LifecycleHandler, p: &mut Process) -> PostStart {
        let mut rng = SimRng::new(1);
        run_post_start(
            h,
            &container(),
            "p_default(u1)",
            "10.244.0.5",
            p,
            SimTime(1000),
            &Timings::default(),
            &mut rng,
        )
    }

    #[test]
    fn a_failing_exec_hook_has_the_handler_runner_message() {
        let mut p = sleeper();
        let r = run(&exec_hook(&["sh", "-c", "exit 1"]), &mut p);
        assert_eq!(
            r.failure.as_deref(),
            Some("Exec lifecycle hook ([sh -c exit 1]) for Container \"c\" in Pod \"p_default(u1)\" failed - error: command 'sh -c exit 1' exited with 1: , message: \"\"")
        );
        // The exec round trip is the probe latency: 2 ms plus up to 8.
        assert!(r.done_at >= SimTime(1002) && r.done_at <= SimTime(1010));
    }

    #[test]
    fn an_exec_hook_writes_into_the_container_filesystem() {
        let mut p = sleeper();
        let r = run(
            &exec_hook(&[
                "/bin/sh",
                "-c",
                "echo Hello from the postStart handler > /usr/share/message",
            ]),
            &mut p,
        );
        assert_eq!(r.failure, None);
        assert_eq!(
            p.fs().read("/usr/share/message").ok(),
            Some("Hello from the postStart handler\n")
        );
    }

    #[test]
    fn a_sleep_hook_blocks_for_its_seconds_and_http_needs_a_listener() {
        let mut p = sleeper();
        let sleep = LifecycleHandler {
            sleep: Some(SleepAction { seconds: 5 }),
            ..Default::default()
        };
        assert_eq!(
            run(&sleep, &mut p),
            PostStart {
                done_at: SimTime(6000),
                failure: None
            }
        );
        let http = LifecycleHandler {
            http_get: Some(HTTPGetAction {
                port: IntOrString::Int(8080),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            run(&http, &mut p).failure.as_deref(),
            Some("HTTP lifecycle hook (/) for Container \"c\" in Pod \"p_default(u1)\" failed - error: Get \"http://10.244.0.5:8080/\": dial tcp 10.244.0.5:8080: connect: connection refused")
        );
    }
}
