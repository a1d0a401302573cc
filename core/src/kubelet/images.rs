//! The kubelet's image manager (`pkg/kubelet/images/image_manager.go`) on one node: the image
//! cache, pull-policy decisions, serialized pulls timed from image size and node bandwidth, pull
//! back-off, and the exact events and waiting reasons each path produces.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::kubelet::backoff::{image_key, image_pull_backoff_message, Backoff};
use crate::kubelet::timing::{go_duration, Step, Timings};
use crate::runtime::catalog::{
    invalid_image_name_message, parse_reference, Catalog, ImageInfo, Resolution,
};
use crate::sim::{SimDuration, SimRng, SimTime};

/// `imagePullPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    /// Always resolve with the registry.
    Always,
    /// Pull only when the node lacks the image.
    IfNotPresent,
    /// Never pull.
    Never,
}

impl PullPolicy {
    /// The policy as written, or the API server's default for `image` when absent: `Always`
    /// for `:latest` or untagged images, `IfNotPresent` otherwise.
    pub fn from_k8s(policy: Option<&str>, image: &str) -> PullPolicy {
        match policy {
            Some("Always") => PullPolicy::Always,
            Some("Never") => PullPolicy::Never,
            Some("IfNotPresent") => PullPolicy::IfNotPresent,
            _ => {
                let latest = match parse_reference(image) {
                    Ok(r) => r.digest.is_none() && r.tag.as_deref() == Some("latest"),
                    Err(_) => true,
                };
                if latest {
                    PullPolicy::Always
                } else {
                    PullPolicy::IfNotPresent
                }
            }
        }
    }
}

/// An event the image manager records on the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEvent {
    /// `Normal` or `Warning`.
    pub type_: &'static str,
    /// `Pulling`, `Pulled`, `Failed`, `BackOff`, `ErrImageNeverPull`, `InspectFailed`.
    pub reason: &'static str,
    /// The message.
    pub message: String,
}

fn normal(reason: &'static str, message: String) -> ImageEvent {
    ImageEvent {
        type_: "Normal",
        reason,
        message,
    }
}

fn warning(reason: &'static str, message: String) -> ImageEvent {
    ImageEvent {
        type_: "Warning",
        reason,
        message,
    }
}

/// A pull in progress; hand it back to [`ImageManager::finish`] at [`PullTicket::done_at`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullTicket {
    /// The image as written in the spec.
    pub image: String,
    /// The normalized reference.
    pub full: String,
    /// The back-off key.
    pub key: String,
    /// When the kubelet asked for the pull (the `Pulling` event).
    pub requested_at: SimTime,
    /// When the node's puller got to it (after earlier pulls).
    pub started_at: SimTime,
    /// When it completes.
    pub done_at: SimTime,
    outcome: Result<Arc<ImageInfo>, String>,
}

/// What [`ImageManager::ensure`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ensure {
    /// The image is on the node: create the container.
    Ready {
        /// Events to record (`Pulled` …).
        events: Vec<ImageEvent>,
        /// The image's metadata.
        image: Arc<ImageInfo>,
    },
    /// A pull started: record the events, then call [`ImageManager::finish`] at `done_at`.
    Pulling {
        /// `Pulling image "…"`.
        events: Vec<ImageEvent>,
        /// The pull.
        ticket: PullTicket,
    },
    /// The container cannot start now: record the events and set the waiting state.
    Waiting {
        /// The events (the last one is `Failed` `Error: <reason>`).
        events: Vec<ImageEvent>,
        /// The container's waiting reason (`ErrImagePull`, `ImagePullBackOff`, …).
        reason: &'static str,
        /// The waiting message.
        message: String,
    },
}

fn waiting(mut events: Vec<ImageEvent>, reason: &'static str, message: String) -> Ensure {
    events.push(warning("Failed", format!("Error: {reason}")));
    Ensure::Waiting {
        events,
        reason,
        message,
    }
}

/// One node's images and puller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageManager {
    present: BTreeMap<String, Arc<ImageInfo>>,
    /// Bumped whenever `present` changes, so the node status sync can tell cheaply.
    generation: u64,
    in_flight: BTreeMap<String, SimTime>,
    puller_free_at: SimTime,
    backoff: Backoff,
}

impl ImageManager {
    /// A node with no images.
    pub fn new() -> ImageManager {
        ImageManager::default()
    }

    /// Marks an image present (pre-pulled on the node, e.g. the pause image).
    pub fn preload(&mut self, image: &str, catalog: &Catalog) {
        if let Ok(r) = parse_reference(image) {
            if let Resolution::Found(info) = catalog.resolve(&r) {
                self.present.insert(r.full(), info);
                self.generation += 1;
            }
        }
    }

    /// Whether the node has `image`.
    pub fn has(&self, image: &str) -> bool {
        parse_reference(image).is_ok_and(|r| self.present.contains_key(&r.full()))
    }

    /// A counter that changes whenever the set of images present changes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The normalized references present on the node, with sizes (`status.images`).
    pub fn images(&self) -> Vec<(String, u64)> {
        self.present
            .iter()
            .map(|(k, i)| (k.clone(), i.size))
            .collect()
    }

    /// `EnsureImageExists` for `image` with `policy`, for the pod `pod_uid`, at `now`.
    #[allow(clippy::too_many_arguments)]
    pub fn ensure(
        &mut self,
        image: &str,
        policy: PullPolicy,
        pod_uid: &str,
        catalog: &Catalog,
        timings: &Timings,
        rng: &mut SimRng,
        now: SimTime,
    ) -> Ensure {
        let r = match parse_reference(image) {
            Ok(r) => r,
            Err(e) => {
                let msg = invalid_image_name_message(image, &e);
                return waiting(
                    vec![warning("InspectFailed", msg.clone())],
                    "InvalidImageName",
                    msg,
                );
            }
        };
        let full = r.full();
        let present = self.present.get(&full).cloned();
        let should_pull = match policy {
            PullPolicy::Never => false,
            PullPolicy::Always => true,
            PullPolicy::IfNotPresent => present.is_none(),
        };
        if !should_pull {
            return match present {
                Some(info) => Ensure::Ready {
                    events: vec![normal(
                        "Pulled",
                        format!("Container image {image:?} already present on machine"),
                    )],
                    image: info,
                },
                None => {
                    let msg = format!(
                        "Container image {image:?} is not present with pull policy of Never"
                    );
                    waiting(
                        vec![warning("ErrImageNeverPull", msg.clone())],
                        "ErrImageNeverPull",
                        msg,
                    )
                }
            };
        }
        let key = image_key(pod_uid, image);
        if self.backoff.is_in_backoff_since_update(&key, now) {
            let msg = image_pull_backoff_message(image);
            return waiting(
                vec![normal("BackOff", msg.clone())],
                "ImagePullBackOff",
                msg,
            );
        }
        let resolution = catalog.resolve(&r);
        let overhead = timings.sample(Step::PullOverhead, rng);
        let started_at = self.puller_free_at.max(now);
        let (outcome, took) = match resolution {
            Resolution::Failed(e) => (Err(e), overhead),
            Resolution::Found(info) => {
                let cached =
                    present.is_some() || self.in_flight.get(&full).is_some_and(|done| *done > now);
                let transfer = if cached {
                    SimDuration(0)
                } else {
                    timings.transfer(info.size)
                };
                (
                    Ok(info),
                    SimDuration(overhead.as_millis().saturating_add(transfer.as_millis())),
                )
            }
        };
        let done_at = started_at.plus(took);
        self.puller_free_at = done_at;
        if outcome.is_ok() {
            self.in_flight.insert(full.clone(), done_at);
        }
        Ensure::Pulling {
            events: vec![normal("Pulling", format!("Pulling image {image:?}"))],
            ticket: PullTicket {
                image: image.to_string(),
                full,
                key,
                requested_at: now,
                started_at,
                done_at,
                outcome,
            },
        }
    }

    /// Completes a pull at `now` (normally `ticket.done_at`): the image lands in the cache and
    /// the container can be created, or the failure starts the back-off.
    pub fn finish(&mut self, ticket: PullTicket, now: SimTime) -> Ensure {
        self.in_flight.remove(&ticket.full);
        self.backoff.gc(now);
        match ticket.outcome {
            Ok(info) => {
                let pull = ticket.done_at.since(ticket.started_at);
                let total = now.since(ticket.requested_at);
                let msg = format!(
                    "Successfully pulled image {:?} in {} ({} including waiting). Image size: {} bytes.",
                    ticket.image,
                    go_duration(pull.as_millis()),
                    go_duration(total.as_millis()),
                    info.size
                );
                self.present.insert(ticket.full, info.clone());
                self.generation += 1;
                Ensure::Ready {
                    events: vec![normal("Pulled", msg)],
                    image: info,
                }
            }
            Err(e) => {
                self.backoff.next(&ticket.key, now, now);
                waiting(
                    vec![warning(
                        "Failed",
                        format!("Failed to pull image {:?}: {e}", ticket.image),
                    )],
                    "ErrImagePull",
                    e,
                )
            }
        }
    }

    /// When the back-off for `image` in pod `pod_uid` ends (to schedule the next sync).
    pub fn backoff_ends_at(
        &self,
        pod_uid: &str,
        image: &str,
        last_failure: SimTime,
    ) -> Option<SimTime> {
        self.backoff
            .ends_at(&image_key(pod_uid, image), last_failure)
    }

    /// Removes an image (image GC or `crictl rmi`).
    pub fn remove(&mut self, image: &str) {
        if let Ok(r) = parse_reference(image) {
            if self.present.remove(&r.full()).is_some() {
                self.generation += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubelet::timing::Delay;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn s(n: u64) -> SimTime {
        SimTime(n * 1000)
    }

    fn fixed() -> Timings {
        let mut t = Timings::default();
        t.set(Step::PullOverhead, Delay::ms(500, 0));
        t.pull_bytes_per_sec = 40_000_000;
        t
    }

    fn messages(e: &Ensure) -> Vec<String> {
        let evs = match e {
            Ensure::Ready { events, .. }
            | Ensure::Pulling { events, .. }
            | Ensure::Waiting { events, .. } => events,
        };
        evs.iter()
            .map(|e| format!("{} {} {}", e.type_, e.reason, e.message))
            .collect()
    }

    #[test]
    fn a_first_pull_reports_duration_waiting_and_size() {
        let (c, t, mut rng) = (Catalog::default(), fixed(), SimRng::new(1));
        let mut m = ImageManager::new();
        let policy = PullPolicy::from_k8s(None, "nginx");
        assert_eq!(policy, PullPolicy::Always);
        let e = m.ensure("nginx", policy, "u1", &c, &t, &mut rng, s(1));
        assert_eq!(messages(&e), vec!["Normal Pulling Pulling image \"nginx\""]);
        let Ensure::Pulling { ticket, .. } = e else {
            panic!("no pull")
        };
        // 192385289 bytes at 40 MB/s = 4810 ms, plus 500 ms overhead.
        assert_eq!(ticket.done_at, SimTime(1000 + 5310));
        let done = ticket.done_at;
        let e = m.finish(ticket, done);
        assert_eq!(
            messages(&e),
            vec!["Normal Pulled Successfully pulled image \"nginx\" in 5.31s (5.31s including waiting). Image size: 192385289 bytes."]
        );
        assert!(m.has("docker.io/library/nginx:latest"));
    }

    #[test]
    fn pulls_on_one_node_are_serialized_and_the_wait_is_counted() {
        let (c, t, mut rng) = (Catalog::default(), fixed(), SimRng::new(1));
        let mut m = ImageManager::new();
        let Ensure::Pulling { ticket: a, .. } =
            m.ensure("redis", PullPolicy::Always, "u1", &c, &t, &mut rng, s(0))
        else {
            panic!()
        };
        let Ensure::Pulling { ticket: b, .. } = m.ensure(
            "busybox:1.28",
            PullPolicy::IfNotPresent,
            "u2",
            &c,
            &t,
            &mut rng,
            s(0),
        ) else {
            panic!()
        };
        assert_eq!(b.started_at, a.done_at);
        let done = b.done_at;
        let e = m.finish(b, done);
        assert_eq!(
            messages(&e),
            vec!["Normal Pulled Successfully pulled image \"busybox:1.28\" in 529ms (3.966s including waiting). Image size: 1146369 bytes."]
        );
    }

    #[test]
    fn present_images_and_never_policy_give_their_messages() {
        let (c, t, mut rng) = (Catalog::default(), fixed(), SimRng::new(1));
        let mut m = ImageManager::new();
        m.preload("nginx:1.14.2", &c);
        let e = m.ensure(
            "nginx:1.14.2",
            PullPolicy::IfNotPresent,
            "u",
            &c,
            &t,
            &mut rng,
            s(0),
        );
        assert_eq!(
            messages(&e),
            vec!["Normal Pulled Container image \"nginx:1.14.2\" already present on machine"]
        );
        let e = m.ensure("x", PullPolicy::Never, "u", &c, &t, &mut rng, s(0));
        assert_eq!(
            messages(&e),
            vec![
                "Warning ErrImageNeverPull Container image \"x\" is not present with pull policy of Never",
                "Warning Failed Error: ErrImageNeverPull"
            ]
        );
    }

    #[test]
    fn a_missing_tag_fails_then_backs_off() {
        let (c, t, mut rng) = (Catalog::default(), fixed(), SimRng::new(1));
        let mut m = ImageManager::new();
        let Ensure::Pulling { ticket, .. } = m.ensure(
            "nginx:nope",
            PullPolicy::IfNotPresent,
            "u",
            &c,
            &t,
            &mut rng,
            s(0),
        ) else {
            panic!()
        };
        let done = ticket.done_at;
        let err = "rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:nope\": failed to resolve reference \"docker.io/library/nginx:nope\": docker.io/library/nginx:nope: not found";
        let e = m.finish(ticket, done);
        assert_eq!(
            messages(&e),
            vec![
                format!("Warning Failed Failed to pull image \"nginx:nope\": {err}"),
                "Warning Failed Error: ErrImagePull".to_string()
            ]
        );
        assert!(
            matches!(e, Ensure::Waiting { reason: "ErrImagePull", ref message, .. } if message == err)
        );
        let e = m.ensure(
            "nginx:nope",
            PullPolicy::IfNotPresent,
            "u",
            &c,
            &t,
            &mut rng,
            done.plus(SimDuration::secs(3)),
        );
        assert_eq!(
            messages(&e),
            vec![
                "Normal BackOff Back-off pulling image \"nginx:nope\"",
                "Warning Failed Error: ImagePullBackOff"
            ]
        );
        assert!(matches!(
            m.ensure(
                "nginx:nope",
                PullPolicy::IfNotPresent,
                "u",
                &c,
                &t,
                &mut rng,
                done.plus(SimDuration::secs(10))
            ),
            Ensure::Pulling { .. }
        ));
    }

    #[test]
    fn an_uppercase_image_is_an_invalid_name() {
        let (c, t, mut rng) = (Catalog::default(), fixed(), SimRng::new(1));
        let e =
            ImageManager::new().ensure("NGINX", PullPolicy::Always, "u", &c, &t, &mut rng, s(0));
        assert_eq!(
            messages(&e),
            vec![
                "Warning InspectFailed Failed to apply default image tag \"NGINX\": couldn't parse image name \"NGINX\": invalid reference format: repository name (library/NGINX) must be lowercase",
                "Warning Failed Error: InvalidImageName"
            ]
        );
    }
}
