//! kubectl's AGE column: apimachinery's `duration.HumanDuration`, the same function behind the
//! RESTARTS "(27s ago)" suffix and event ages, and kubectl's `translateTimestampSince` around it.

use k8s_openapi::jiff::Timestamp;

use crate::sim::clock::EPOCH_UNIX_SECONDS;
use crate::sim::{SimDuration, SimTime};

/// Renders a span the way `kubectl get` prints ages (`5s`, `3m20s`, `179m`, `7h59m`, `2d3h`).
pub fn human_duration(d: SimDuration) -> String {
    let seconds = d.as_millis() / 1000;
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        let days = hours / 24;
        return if h == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{h}h")
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let years = hours / 24 / 365;
        let dy = hours / 24 % 365;
        return if dy == 0 {
            format!("{years}y")
        } else {
            format!("{years}y{dy}d")
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// `HumanDuration` of a signed span in milliseconds: up to a second and a half in the future
/// still reads `0s` (Go truncates `-1.5s` to `-1` whole seconds), anything further ahead is
/// `<invalid>`.
pub fn human_duration_millis(ms: i64) -> String {
    if ms / 1000 < -1 {
        "<invalid>".into()
    } else if ms < 0 {
        "0s".into()
    } else {
        human_duration(SimDuration(ms.unsigned_abs()))
    }
}

/// kubectl's `translateTimestampSince`: the age of `t` at `now`, `<unknown>` for no time.
pub fn translate_timestamp_since(now: SimTime, t: Option<&Timestamp>) -> String {
    match t {
        None => "<unknown>".into(),
        Some(t) => {
            let now_ms = EPOCH_UNIX_SECONDS.saturating_mul(1000) + now.0 as i64;
            human_duration_millis(now_ms.saturating_sub(t.as_millisecond()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn age(secs: u64) -> String {
        human_duration(SimDuration::secs(secs))
    }

    #[test]
    fn ages_follow_every_boundary_of_human_duration() {
        assert_eq!(age(0), "0s");
        assert_eq!(age(5), "5s");
        assert_eq!(age(119), "119s");
        assert_eq!(age(120), "2m");
        assert_eq!(age(200), "3m20s");
        assert_eq!(age(599), "9m59s");
        assert_eq!(age(600), "10m");
        assert_eq!(age(179 * 60 + 59), "179m");
        assert_eq!(age(3 * 3600), "3h");
        assert_eq!(age(7 * 3600 + 59 * 60), "7h59m");
        assert_eq!(age(8 * 3600), "8h");
        assert_eq!(age(47 * 3600), "47h");
        assert_eq!(age(48 * 3600), "2d");
        assert_eq!(age(51 * 3600), "2d3h");
        assert_eq!(age(8 * 86400), "8d");
        assert_eq!(age(729 * 86400), "729d");
        assert_eq!(age(730 * 86400), "2y");
        assert_eq!(age(3 * 365 * 86400 + 120 * 86400), "3y120d");
        assert_eq!(age(9 * 365 * 86400), "9y");
    }

    #[test]
    fn future_times_within_a_second_and_a_half_read_zero_and_beyond_are_invalid() {
        assert_eq!(human_duration_millis(-999), "0s");
        assert_eq!(human_duration_millis(-1_999), "0s");
        assert_eq!(human_duration_millis(-2_000), "<invalid>");
        assert_eq!(human_duration_millis(-30_000), "<invalid>");
        assert_eq!(human_duration_millis(1_999), "1s");
        assert_eq!(human_duration_millis(119_999), "119s");
        assert_eq!(human_duration_millis(125_000), "2m5s");
        assert_eq!(human_duration_millis(600_000), "10m");
    }

    #[test]
    fn seconds_are_truncated_not_rounded() {
        assert_eq!(human_duration(SimDuration(999)), "0s");
        assert_eq!(human_duration(SimDuration(59_999)), "59s");
        assert_eq!(human_duration(SimDuration(120_999)), "2m");
        assert_eq!(human_duration(SimDuration(179 * 60_000 + 59_999)), "179m");
        assert_eq!(human_duration(SimDuration(180 * 60_000)), "3h");
    }

    #[test]
    fn a_missing_timestamp_is_unknown_and_a_present_one_is_its_age() {
        assert_eq!(translate_timestamp_since(SimTime(5_000), None), "<unknown>");
        let t = SimTime(1_000).to_k8s_time().0;
        assert_eq!(
            translate_timestamp_since(SimTime(128_000), Some(&t)),
            "2m7s"
        );
        assert_eq!(translate_timestamp_since(SimTime(0), Some(&t)), "0s");
        let later = SimTime(30_000).to_k8s_time().0;
        assert_eq!(
            translate_timestamp_since(SimTime(0), Some(&later)),
            "<invalid>"
        );
    }
}
