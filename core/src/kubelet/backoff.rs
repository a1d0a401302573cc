//! client-go's `util/flowcontrol` back-off as the kubelet uses it: one entry per key, starting at
//! 10 s and doubling to a 300 s cap, forgotten once the key has been quiet for twice the cap; plus
//! the kubelet's `BackOff` texts for crash loops and image pulls.

use std::collections::BTreeMap;

use crate::sim::{SimDuration, SimTime};

/// The kubelet's initial back-off (`backOffPeriod` in `pkg/kubelet/kubelet.go`): 10 s.
pub const INITIAL_BACKOFF: SimDuration = SimDuration::secs(10);
/// The kubelet's cap (`MaxContainerBackOff`, also used for image pulls): 300 s.
pub const MAX_BACKOFF: SimDuration = SimDuration::secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    backoff: SimDuration,
    last_update: SimTime,
}

/// Per-key exponential back-off (`flowcontrol.Backoff` without jitter, as the kubelet builds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    initial: SimDuration,
    max: SimDuration,
    entries: BTreeMap<String, Entry>,
}

impl Default for Backoff {
    /// The kubelet's 10 s → 300 s back-off.
    fn default() -> Self {
        Backoff::new(INITIAL_BACKOFF, MAX_BACKOFF)
    }
}

impl Backoff {
    /// A back-off starting at `initial` and capped at `max`.
    pub fn new(initial: SimDuration, max: SimDuration) -> Backoff {
        Backoff {
            initial,
            max,
            entries: BTreeMap::new(),
        }
    }

    /// `hasExpired`: the key has been stable for more than twice the cap.
    fn has_expired(&self, event_time: SimTime, last_update: SimTime) -> bool {
        event_time.since(last_update).as_millis() > self.max.as_millis().saturating_mul(2)
    }

    /// The current back-off of `key` (zero if it has none), as `Backoff.Get`.
    pub fn get(&self, key: &str) -> SimDuration {
        self.entries
            .get(key)
            .map(|e| e.backoff)
            .unwrap_or(SimDuration(0))
    }

    /// `Backoff.Next(id, eventTime)` at `now`: starts the key at the initial back-off (also when
    /// it has expired), otherwise doubles it up to the cap; records `now` as its last update.
    pub fn next(&mut self, key: &str, event_time: SimTime, now: SimTime) {
        let backoff = match self.entries.get(key) {
            Some(e) if !self.has_expired(event_time, e.last_update) => SimDuration(
                e.backoff
                    .as_millis()
                    .saturating_mul(2)
                    .min(self.max.as_millis()),
            ),
            _ => self.initial,
        };
        self.entries.insert(
            key.to_string(),
            Entry {
                backoff,
                last_update: now,
            },
        );
    }

    /// `IsInBackOffSince(id, eventTime)` at `now`: whether less than the key's back-off has
    /// passed since `event_time` (the kubelet passes the container's `finishedAt`).
    pub fn is_in_backoff_since(&self, key: &str, event_time: SimTime, now: SimTime) -> bool {
        match self.entries.get(key) {
            Some(e) if !self.has_expired(event_time, e.last_update) => {
                now.since(event_time) < e.backoff
            }
            _ => false,
        }
    }

    /// `IsInBackOffSinceUpdate(id, eventTime)`: whether less than the key's back-off has passed
    /// since its last update (the image manager passes `now`).
    pub fn is_in_backoff_since_update(&self, key: &str, event_time: SimTime) -> bool {
        match self.entries.get(key) {
            Some(e) if !self.has_expired(event_time, e.last_update) => {
                event_time.since(e.last_update) < e.backoff
            }
            _ => false,
        }
    }

    /// When the key's current back-off ends, counted from `since` (the caller's reference point),
    /// for scheduling the next sync.
    pub fn ends_at(&self, key: &str, since: SimTime) -> Option<SimTime> {
        self.entries.get(key).map(|e| since.plus(e.backoff))
    }

    /// Forgets the key (`Backoff.Reset`).
    pub fn reset(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// Forgets the entries of a deleted pod, keyed by [`container_key`] with its UID. Upstream
    /// leaves them to the housekeeping's `Backoff.GC`, which drops them once quiet for twice the
    /// cap; the UID never comes back, so dropping them at once changes nothing else.
    pub fn forget_pod(&mut self, uid: &str) {
        if uid.is_empty() {
            return;
        }
        let infix = format!("_{uid}_");
        self.entries.retain(|k, _| !k.contains(&infix));
    }

    /// Drops every entry quiet for more than twice the cap (`Backoff.GC`).
    pub fn gc(&mut self, now: SimTime) {
        let limit = self.max.as_millis().saturating_mul(2);
        self.entries
            .retain(|_, e| now.since(e.last_update).as_millis() <= limit);
    }
}

/// The crash-loop key the kubelet uses (`getStableKey`): `<pod>_<namespace>_<uid>_<container>_<hash>`.
/// The container hash is omitted here; the key only has to be stable per container.
pub fn container_key(pod: &str, namespace: &str, uid: &str, container: &str) -> String {
    format!("{pod}_{namespace}_{uid}_{container}")
}

/// The image pull key (`<podUID>_<image>`).
pub fn image_key(uid: &str, image: &str) -> String {
    format!("{uid}_{image}")
}

/// `format.Pod`: `<name>_<namespace>(<uid>)`.
pub fn format_pod(pod: &str, namespace: &str, uid: &str) -> String {
    format!("{pod}_{namespace}({uid})")
}

/// Whole seconds of a back-off as Go prints them in these messages (`40s`, `5m0s`).
pub fn backoff_text(d: SimDuration) -> String {
    crate::kubelet::timing::go_duration(d.as_millis())
}

/// The `Warning BackOff` event: `Back-off restarting failed container <c> in pod <pod>_<ns>(<uid>)`.
pub fn crash_loop_event(container: &str, pod: &str, namespace: &str, uid: &str) -> String {
    format!(
        "Back-off restarting failed container {container} in pod {}",
        format_pod(pod, namespace, uid)
    )
}

/// The `CrashLoopBackOff` waiting message:
/// `back-off 40s restarting failed container=<c> pod=<pod>_<ns>(<uid>)`.
pub fn crash_loop_message(
    backoff: SimDuration,
    container: &str,
    pod: &str,
    namespace: &str,
    uid: &str,
) -> String {
    format!(
        "back-off {} restarting failed container={container} pod={}",
        backoff_text(backoff),
        format_pod(pod, namespace, uid)
    )
}

/// The `Normal BackOff` event and `ImagePullBackOff` waiting message:
/// `Back-off pulling image "<image>"`.
pub fn image_pull_backoff_message(image: &str) -> String {
    format!("Back-off pulling image \"{image}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn s(n: u64) -> SimTime {
        SimTime(n * 1000)
    }

    #[test]
    fn a_crash_looping_container_backs_off_ten_twenty_forty_seconds() {
        let mut b = Backoff::default();
        let k = "c";
        // First crash: not in back-off, restart at once.
        assert!(!b.is_in_backoff_since(k, s(5), s(5)));
        b.next(k, s(5), s(5));
        assert_eq!(b.get(k), SimDuration::secs(10));
        // Second crash at 7 s: back-off 10 s from finishedAt.
        assert!(b.is_in_backoff_since(k, s(7), s(8)));
        assert!(!b.is_in_backoff_since(k, s(7), s(17)));
        b.next(k, s(7), s(17));
        assert_eq!(b.get(k), SimDuration::secs(20));
        b.next(k, s(20), s(40));
        assert_eq!(b.get(k), SimDuration::secs(40));
        for _ in 0..10 {
            b.next(k, s(50), s(60));
        }
        assert_eq!(b.get(k), SimDuration::secs(300));
    }

    #[test]
    fn ten_stable_minutes_reset_the_back_off() {
        let mut b = Backoff::default();
        b.next("c", s(0), s(0));
        b.next("c", s(1), s(1));
        assert_eq!(b.get("c"), SimDuration::secs(20));
        assert!(!b.is_in_backoff_since("c", s(602), s(602)));
        b.next("c", s(602), s(602));
        assert_eq!(b.get("c"), SimDuration::secs(10));
        b.gc(s(1300));
        assert_eq!(b.get("c"), SimDuration(0));
    }

    #[test]
    fn a_deleted_pods_crash_entries_are_forgotten_and_others_kept() {
        let mut b = Backoff::default();
        let gone = container_key("web-1", "default", "uid-1", "nginx");
        let kept = container_key("web-2", "default", "uid-2", "nginx");
        b.next(&gone, s(5), s(5));
        b.next(&kept, s(5), s(5));
        b.forget_pod("uid-1");
        b.forget_pod("");
        assert_eq!(b.get(&gone), SimDuration(0));
        assert_eq!(b.get(&kept), SimDuration::secs(10));
    }

    #[test]
    fn image_pulls_back_off_from_the_last_attempt() {
        let mut b = Backoff::default();
        let k = image_key("uid-1", "nginx:nope");
        b.next(&k, s(2), s(2));
        assert!(b.is_in_backoff_since_update(&k, s(11)));
        assert!(!b.is_in_backoff_since_update(&k, s(12)));
    }

    #[test]
    fn back_off_texts_match_the_kubelet() {
        assert_eq!(
            crash_loop_event("app", "web", "default", "u-1"),
            "Back-off restarting failed container app in pod web_default(u-1)"
        );
        assert_eq!(
            crash_loop_message(SimDuration::secs(40), "app", "web", "default", "u-1"),
            "back-off 40s restarting failed container=app pod=web_default(u-1)"
        );
        assert_eq!(
            crash_loop_message(SimDuration::secs(300), "app", "web", "default", "u-1"),
            "back-off 5m0s restarting failed container=app pod=web_default(u-1)"
        );
        assert_eq!(
            image_pull_backoff_message("nginx:nope"),
            "Back-off pulling image \"nginx:nope\""
        );
    }
}
